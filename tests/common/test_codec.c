/* test_codec: common/ismo_codec.h, the pure codec: decoding requests (garbage,
 * oversize, no body, future protocol), a pack/unpack round trip of a full
 * objective, objective and sample validation, enum names, event topics, and
 * hand-made hostile byte strings that must be refused without a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ismo_codec.h"
#include "ismo_time.h"

static uint8_t *pack_request(const Ismo__V1__Request *req, size_t *len)
{
    uint8_t *buf = NULL;
    assert_int_equal(ismo_codec_pack(&req->base, &buf, len), ISMO_OK);
    assert_non_null(buf);
    return buf;
}

/* ---- decode ---- */

static void test_decode_garbage(void **state)
{
    (void)state;
    static const uint8_t g1[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t g2[] = {0x0f, 0x00};                 /* wire type 7 does not exist */
    static const uint8_t g3[] = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1'};
    const struct {
        const uint8_t *b;
        size_t n;
    } g[] = {{g1, sizeof g1}, {g2, sizeof g2}, {g3, sizeof g3}};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        Ismo__V1__Request *req = (Ismo__V1__Request *)1;
        char why[256] = "";
        assert_int_equal(ismo_codec_decode_request(g[i].b, g[i].n, 1024, &req, why, sizeof why),
                         ISMO_ERR_PROTOCOL);
        assert_null(req);
        assert_true(strlen(why) > 0);
    }
    Ismo__V1__Reply *rep = (Ismo__V1__Reply *)1;
    assert_int_equal(ismo_codec_decode_reply(g1, sizeof g1, &rep), ISMO_ERR_PROTOCOL);
    assert_null(rep);
    Ismo__V1__Event *ev = (Ismo__V1__Event *)1;
    assert_int_equal(ismo_codec_decode_event(g2, sizeof g2, &ev), ISMO_ERR_PROTOCOL);
    assert_null(ev);
}

static void test_decode_oversize(void **state)
{
    (void)state;
    Ismo__V1__Request r = ISMO__V1__REQUEST__INIT;
    Ismo__V1__PingRequest ping = ISMO__V1__PING_REQUEST__INIT;
    r.body_case = ISMO__V1__REQUEST__BODY_PING;
    r.ping = &ping;
    r.actor = "a-fairly-long-actor-name-to-make-the-frame-bigger";
    size_t len;
    uint8_t *buf = pack_request(&r, &len);
    Ismo__V1__Request *req = (Ismo__V1__Request *)1;
    char why[256] = "";
    assert_int_equal(ismo_codec_decode_request(buf, len, len - 1, &req, why, sizeof why),
                     ISMO_ERR_TOO_LARGE);
    assert_null(req);
    assert_true(strlen(why) > 0);
    /* exactly at the maximum is fine */
    assert_int_equal(ismo_codec_decode_request(buf, len, len, &req, why, sizeof why), ISMO_OK);
    assert_non_null(req);
    assert_int_equal(req->body_case, ISMO__V1__REQUEST__BODY_PING);
    assert_string_equal(req->actor, r.actor);
    ismo__v1__request__free_unpacked(req, NULL);
    free(buf);
}

/* A Request without a body is refused, but the decoded request is handed back
 * so the server can echo request_id in its BAD_REQUEST reply. */
static void test_decode_no_body_keeps_request(void **state)
{
    (void)state;
    Ismo__V1__Request r = ISMO__V1__REQUEST__INIT;
    r.has_request_id = 1;
    r.request_id = 77;
    size_t len;
    uint8_t *buf = pack_request(&r, &len);
    Ismo__V1__Request *req = NULL;
    char why[256] = "";
    assert_int_equal(ismo_codec_decode_request(buf, len, 1024, &req, why, sizeof why),
                     ISMO_ERR_PROTOCOL);
    assert_true(strlen(why) > 0);
    assert_non_null(req);
    assert_int_equal(req->request_id, 77);
    ismo__v1__request__free_unpacked(req, NULL);
    free(buf);
    /* zero bytes: an empty Request, same answer */
    req = NULL;
    assert_int_equal(ismo_codec_decode_request((const uint8_t *)"", 0, 1024, &req, why, sizeof why),
                     ISMO_ERR_PROTOCOL);
    if (req) {
        ismo__v1__request__free_unpacked(req, NULL);
    }
}

static void test_decode_protocol_version(void **state)
{
    (void)state;
    Ismo__V1__Request r = ISMO__V1__REQUEST__INIT;
    Ismo__V1__PingRequest ping = ISMO__V1__PING_REQUEST__INIT;
    r.body_case = ISMO__V1__REQUEST__BODY_PING;
    r.ping = &ping;
    r.has_protocol = 1;
    for (uint32_t v = 0; v <= 2; v++) {
        r.protocol = v;
        size_t len;
        uint8_t *buf = pack_request(&r, &len);
        Ismo__V1__Request *req = (Ismo__V1__Request *)1;
        char why[256] = "";
        ismo_err err = ismo_codec_decode_request(buf, len, 1024, &req, why, sizeof why);
        free(buf);
        if (v <= ISMO_PROTOCOL_VERSION) {
            assert_int_equal(err, ISMO_OK);
            assert_non_null(req);
            ismo__v1__request__free_unpacked(req, NULL);
        } else {
            assert_int_equal(err, ISMO_ERR_PROTOCOL);
            assert_null(req);
            assert_non_null(strstr(why, "2"));
        }
    }
}

/* ---- a full objective ---- */

typedef struct full {
    Ismo__V1__Objective o;
    Ismo__V1__Metric m;
    Ismo__V1__Action a1, a2;
    Ismo__V1__Action *acts[2];
    Ismo__V1__ImportNote note;
    Ismo__V1__ImportNote *notes[1];
    char *policy[2], *risk[1], *control[3];
} full;

static void full_objective(full *f)
{
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    Ismo__V1__Action a = ISMO__V1__ACTION__INIT;
    Ismo__V1__ImportNote n = ISMO__V1__IMPORT_NOTE__INIT;
    f->o = o;
    f->m = m;
    f->a1 = a;
    f->a2 = a;
    f->note = n;
    f->m.name = "critical_patch_hours";
    f->m.unit = "h";
    f->m.has_direction = 1;
    f->m.direction = ISMO__V1__DIRECTION__LOWER_IS_BETTER;
    f->m.has_aggregation = 1;
    f->m.aggregation = ISMO__V1__AGGREGATION__MAX;
    f->m.has_window_ms = 1;
    f->m.window_ms = 30LL * 86400000;
    f->m.has_frequency_ms = 1;
    f->m.frequency_ms = 86400000;
    f->a1.what = "Automate patch roll-out";
    f->a1.resources = "2 FTE, WSUS";
    f->a1.responsible = "Head of IT";
    f->a1.has_due_ms = 1;
    f->a1.due_ms = 1780000000000;
    f->a1.has_status = 1;
    f->a1.status = ISMO__V1__ACTION_STATUS__IN_PROGRESS;
    f->a2.what = "Weekly report";
    f->a2.has_status = 1;
    f->a2.status = ISMO__V1__ACTION_STATUS__DONE;
    f->acts[0] = &f->a1;
    f->acts[1] = &f->a2;
    f->note.field = "Target";
    f->note.text = "as soon as possible";
    f->note.problem = "not a number";
    f->notes[0] = &f->note;
    f->policy[0] = "POL-1";
    f->policy[1] = "POL-7";
    f->risk[0] = "R-12";
    f->control[0] = "A.8.8";
    f->control[1] = "A.5.7";
    f->control[2] = "A.8.16";
    f->o.id = "IT-OPS.patch_48h:v2";
    f->o.title = "Patch critical vulnerabilities within 48 hours";
    f->o.description = "Critical CVEs on internet-facing systems are patched within 48 h.";
    f->o.has_level = 1;
    f->o.level = ISMO__V1__LEVEL__OPERATIONAL;
    f->o.function = "it-ops";
    f->o.owner = "Head of IT";
    f->o.metric = &f->m;
    f->o.has_baseline = 1;
    f->o.baseline = 96.5;
    f->o.has_baseline_at_ms = 1;
    f->o.baseline_at_ms = 1767225600000;
    f->o.has_target = 1;
    f->o.target = 48;
    f->o.has_target_mode = 1;
    f->o.target_mode = ISMO__V1__TARGET_MODE__MAINTAIN;
    f->o.has_start_ms = 1;
    f->o.start_ms = 1767225600000;
    f->o.has_deadline_ms = 1;
    f->o.deadline_ms = 1798761600000;
    f->o.has_review_cadence_ms = 1;
    f->o.review_cadence_ms = 90LL * 86400000;
    f->o.n_policy_refs = 2;
    f->o.policy_refs = f->policy;
    f->o.n_risk_refs = 1;
    f->o.risk_refs = f->risk;
    f->o.n_control_refs = 3;
    f->o.control_refs = f->control;
    f->o.evaluation_method = "Monthly: max hours from the patch report";
    f->o.n_actions = 2;
    f->o.actions = f->acts;
    f->o.n_import_notes = 1;
    f->o.import_notes = f->notes;
    f->o.has_version = 1;
    f->o.version = 3;
    f->o.has_retired = 1;
    f->o.retired = 0;
    f->o.has_updated_ms = 1;
    f->o.updated_ms = 1767225600123;
    f->o.updated_by = "alice";
    f->o.change_reason = "management review 2026-01";
}

static void test_objective_roundtrip(void **state)
{
    (void)state;
    full f;
    full_objective(&f);
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK);
    Ismo__V1__PutObjectiveRequest put = ISMO__V1__PUT_OBJECTIVE_REQUEST__INIT;
    put.objective = &f.o;
    Ismo__V1__Request r = ISMO__V1__REQUEST__INIT;
    r.has_protocol = 1;
    r.protocol = 1;
    r.has_request_id = 1;
    r.request_id = UINT64_MAX;
    r.actor = "alice";
    r.reason = "annual update";
    r.body_case = ISMO__V1__REQUEST__BODY_PUT_OBJECTIVE;
    r.put_objective = &put;
    size_t len;
    uint8_t *buf = pack_request(&r, &len);
    Ismo__V1__Request *req = NULL;
    char why[256] = "";
    assert_int_equal(ismo_codec_decode_request(buf, len, ISMO_DEFAULT_MAX_FRAME_BYTES, &req, why, sizeof why),
                     ISMO_OK);
    free(buf);
    assert_int_equal(req->request_id, UINT64_MAX);
    assert_string_equal(req->actor, "alice");
    assert_string_equal(req->reason, "annual update");
    assert_int_equal(req->body_case, ISMO__V1__REQUEST__BODY_PUT_OBJECTIVE);
    const Ismo__V1__Objective *o = req->put_objective->objective;
    assert_non_null(o);
    assert_string_equal(o->id, f.o.id);
    assert_string_equal(o->title, f.o.title);
    assert_string_equal(o->description, f.o.description);
    assert_int_equal(o->level, ISMO__V1__LEVEL__OPERATIONAL);
    assert_string_equal(o->function, "it-ops");
    assert_string_equal(o->owner, "Head of IT");
    assert_string_equal(o->metric->name, "critical_patch_hours");
    assert_string_equal(o->metric->unit, "h");
    assert_int_equal(o->metric->direction, ISMO__V1__DIRECTION__LOWER_IS_BETTER);
    assert_true(o->metric->has_aggregation);
    assert_int_equal(o->metric->aggregation, ISMO__V1__AGGREGATION__MAX);
    assert_int_equal(o->metric->window_ms, 30LL * 86400000);
    assert_int_equal(o->metric->frequency_ms, 86400000);
    assert_true(o->has_baseline && o->baseline == 96.5);
    assert_int_equal(o->baseline_at_ms, 1767225600000);
    assert_true(o->has_target && o->target == 48);
    assert_true(o->has_target_mode);
    assert_int_equal(o->target_mode, ISMO__V1__TARGET_MODE__MAINTAIN);
    assert_int_equal(o->start_ms, 1767225600000);
    assert_int_equal(o->deadline_ms, 1798761600000);
    assert_int_equal(o->review_cadence_ms, 90LL * 86400000);
    assert_int_equal(o->n_policy_refs, 2);
    assert_string_equal(o->policy_refs[1], "POL-7");
    assert_int_equal(o->n_risk_refs, 1);
    assert_string_equal(o->risk_refs[0], "R-12");
    assert_int_equal(o->n_control_refs, 3);
    assert_string_equal(o->control_refs[2], "A.8.16");
    assert_string_equal(o->evaluation_method, f.o.evaluation_method);
    assert_int_equal(o->n_actions, 2);
    assert_string_equal(o->actions[0]->what, "Automate patch roll-out");
    assert_string_equal(o->actions[0]->resources, "2 FTE, WSUS");
    assert_string_equal(o->actions[0]->responsible, "Head of IT");
    assert_int_equal(o->actions[0]->due_ms, 1780000000000);
    assert_int_equal(o->actions[0]->status, ISMO__V1__ACTION_STATUS__IN_PROGRESS);
    assert_int_equal(o->actions[1]->status, ISMO__V1__ACTION_STATUS__DONE);
    assert_int_equal(o->n_import_notes, 1);
    assert_string_equal(o->import_notes[0]->text, "as soon as possible");
    assert_string_equal(o->import_notes[0]->problem, "not a number");
    assert_int_equal(o->version, 3);
    assert_true(o->has_retired);
    assert_false(o->retired);
    assert_int_equal(o->updated_ms, 1767225600123);
    assert_string_equal(o->updated_by, "alice");
    assert_string_equal(o->change_reason, "management review 2026-01");
    assert_int_equal(ismo_objective_validate(o, why, sizeof why), ISMO_OK);

    /* packing the decoded message gives the same bytes again */
    uint8_t *again = NULL;
    size_t len2 = 0;
    assert_int_equal(ismo_codec_pack(&req->base, &again, &len2), ISMO_OK);
    assert_int_equal(len2, len);
    ismo__v1__request__free_unpacked(req, NULL);
    buf = pack_request(&r, &len);
    assert_memory_equal(buf, again, len);
    free(buf);
    free(again);
}

/* ---- validation ---- */

static char long_text[5000];

static const char *text_of(size_t n)
{
    assert_true(n < sizeof long_text);
    memset(long_text, 'x', n);
    long_text[n] = '\0';
    return long_text;
}

static void expect_invalid(const Ismo__V1__Objective *o, const char *what)
{
    char why[256] = "";
    ismo_err err = ismo_objective_validate(o, why, sizeof why);
    if (err != ISMO_ERR_INVALID || why[0] == '\0') {
        fail_msg("%s: err %d, why '%s'", what, (int)err, why);
    }
}

static void test_objective_validate(void **state)
{
    (void)state;
    full f;
    char id65[66];
    memset(id65, 'A', 65);
    id65[65] = '\0';
    static const char *bad_ids[] = {"", "OBJ 1", "OBJ/1", "OBJ#1", "\303\204B", "OBJ\t1", "a,b"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        full_objective(&f);
        f.o.id = (char *)bad_ids[i];
        expect_invalid(&f.o, bad_ids[i]);
    }
    full_objective(&f);
    f.o.id = id65;
    expect_invalid(&f.o, "id of 65 bytes");
    id65[64] = '\0';
    f.o.id = id65;
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK); /* 64 is the limit */
    full_objective(&f);
    f.o.id = NULL;
    expect_invalid(&f.o, "no id");

    static const char *bad_functions[] = {"IT-Ops", "It", "it ops", "it.ops", ""};
    for (size_t i = 0; i < sizeof bad_functions / sizeof bad_functions[0]; i++) {
        full_objective(&f);
        f.o.function = (char *)bad_functions[i];
        expect_invalid(&f.o, bad_functions[i]);
    }
    full_objective(&f);
    f.o.function = NULL;
    expect_invalid(&f.o, "no function");

    full_objective(&f);
    f.o.target = NAN;
    expect_invalid(&f.o, "NaN target");
    full_objective(&f);
    f.o.target = INFINITY;
    expect_invalid(&f.o, "infinite target");
    full_objective(&f);
    f.o.baseline = -INFINITY;
    expect_invalid(&f.o, "infinite baseline");
    full_objective(&f);
    f.o.deadline_ms = f.o.start_ms - 1;
    expect_invalid(&f.o, "deadline before start");
    full_objective(&f);
    f.o.title = (char *)text_of(257);
    expect_invalid(&f.o, "title of 257 bytes");
    f.o.title = (char *)text_of(256);
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK);
    full_objective(&f);
    f.o.title = "";
    expect_invalid(&f.o, "empty title");
    full_objective(&f);
    f.o.description = (char *)text_of(4097);
    expect_invalid(&f.o, "description of 4097 bytes");
    full_objective(&f);
    f.m.window_ms = -1;
    expect_invalid(&f.o, "negative window");
    full_objective(&f);
    f.o.level = (Ismo__V1__Level)99;
    expect_invalid(&f.o, "unknown level");
    full_objective(&f);
    f.m.aggregation = (Ismo__V1__Aggregation)8;
    expect_invalid(&f.o, "unknown aggregation");
    full_objective(&f);
    f.a2.status = (Ismo__V1__ActionStatus)9;
    expect_invalid(&f.o, "unknown action status");
    assert_int_equal(ismo_objective_validate(NULL, NULL, 0), ISMO_ERR_INVALID);
}

/* The clause-6.2 fields (issue 3): tree, review dates, reminders, escalation,
 * value kinds, periods and period targets. */
static void test_objective_validate_clause62(void **state)
{
    (void)state;
    full f;
    full_objective(&f);
    f.o.parent_id = "OBJ-0";
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK);
    f.o.parent_id = "";
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK); /* empty = a root */
    f.o.parent_id = "bad id";
    expect_invalid(&f.o, "parent id with a space");
    f.o.parent_id = f.o.id;
    expect_invalid(&f.o, "its own parent");

    int64_t dates[2] = {1767225600000, 0};
    full_objective(&f);
    f.o.n_review_dates_ms = 1;
    f.o.review_dates_ms = dates;
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK);
    f.o.n_review_dates_ms = 2;
    expect_invalid(&f.o, "review date 0");
    dates[1] = INT64_C(253402300800000);
    expect_invalid(&f.o, "review date after 9999");

    int64_t offs[17];
    for (int i = 0; i < 17; i++) {
        offs[i] = (int64_t)(i + 1) * 86400000;
    }
    full_objective(&f);
    f.o.reminder_offsets_ms = offs;
    f.o.n_reminder_offsets_ms = 16;
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK);
    f.o.n_reminder_offsets_ms = 17;
    expect_invalid(&f.o, "17 offsets");
    f.o.n_reminder_offsets_ms = 1;
    offs[0] = 0;
    expect_invalid(&f.o, "offset 0");
    offs[0] = -5;
    expect_invalid(&f.o, "negative offset");
    offs[0] = ISMO_MAX_DURATION_MS + 1;
    expect_invalid(&f.o, "offset over 100 years");
    offs[0] = ISMO_MAX_DURATION_MS;
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK);
    full_objective(&f);
    f.a2.reminder_offsets_ms = offs;
    f.a2.n_reminder_offsets_ms = 1;
    offs[0] = 0;
    expect_invalid(&f.o, "action offset 0");

    full_objective(&f);
    f.o.has_overdue_repeat_ms = 1;
    int64_t repeats_ok[] = {-1, 0, ISMO_MIN_OVERDUE_REPEAT_MS, 86400000};
    for (size_t i = 0; i < sizeof repeats_ok / sizeof repeats_ok[0]; i++) {
        f.o.overdue_repeat_ms = repeats_ok[i];
        assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK);
    }
    f.o.overdue_repeat_ms = -2;
    expect_invalid(&f.o, "overdue repeat -2");
    f.o.overdue_repeat_ms = 1;
    expect_invalid(&f.o, "overdue repeat 1 ms (below the 1 h floor)");
    f.o.overdue_repeat_ms = ISMO_MIN_OVERDUE_REPEAT_MS - 1;
    expect_invalid(&f.o, "overdue repeat just below 1 h");

    f.o.overdue_repeat_ms = ISMO_MAX_DURATION_MS + 1;
    expect_invalid(&f.o, "overdue repeat over 100 years");
    full_objective(&f);
    f.o.has_review_cadence_ms = 1;
    f.o.review_cadence_ms = 1000;
    expect_invalid(&f.o, "review cadence of 1 s (below the 1-day floor)");
    f.o.review_cadence_ms = ISMO_MIN_REVIEW_CADENCE_MS - 1;
    expect_invalid(&f.o, "review cadence just below 1 day");
    f.o.review_cadence_ms = ISMO_MIN_REVIEW_CADENCE_MS;
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK);
    f.o.review_cadence_ms = 0;
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK);

    full_objective(&f);
    f.o.escalate_to = (char *)text_of(257);
    expect_invalid(&f.o, "escalate_to of 257 bytes");
    f.o.escalate_to = "\xff\xfe";
    expect_invalid(&f.o, "escalate_to not UTF-8");
    full_objective(&f);
    f.o.not_measurable_reason = (char *)text_of(4097);
    expect_invalid(&f.o, "reason of 4097 bytes");

    full_objective(&f);
    f.m.has_value_kind = 1;
    f.m.value_kind = (Ismo__V1__ValueKind)3;
    expect_invalid(&f.o, "unknown value kind");
    f.m.value_kind = ISMO__V1__VALUE_KIND__DURATION;
    f.m.unit = "h";
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK);
    f.m.unit = "%";
    expect_invalid(&f.o, "duration in %");
    full_objective(&f);
    f.m.has_period = 1;
    f.m.period = (Ismo__V1__CalendarPeriod)6;
    expect_invalid(&f.o, "unknown period");
    f.m.period = ISMO__V1__CALENDAR_PERIOD__PERIOD_QUARTER;
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK);

    Ismo__V1__PeriodTarget pt = ISMO__V1__PERIOD_TARGET__INIT;
    Ismo__V1__PeriodTarget *pts[1] = {&pt};
    pt.label = "2026-Q3";
    pt.has_from_ms = pt.has_to_ms = pt.has_target = 1;
    pt.from_ms = 1782864000000;
    pt.to_ms = 1790812800000;
    pt.target = 100;
    full_objective(&f);
    f.o.n_period_targets = 1;
    f.o.period_targets = pts;
    assert_int_equal(ismo_objective_validate(&f.o, NULL, 0), ISMO_OK);
    pt.to_ms = pt.from_ms;
    expect_invalid(&f.o, "period target from == to");
    pt.to_ms = 1790812800000;
    pt.target = NAN;
    expect_invalid(&f.o, "period target NaN");
    pt.target = 100;
    pt.has_target = 0;
    expect_invalid(&f.o, "period target without target");
    pt.has_target = 1;
    pt.label = (char *)text_of(65);
    expect_invalid(&f.o, "period label of 65 bytes");
}

static void test_review_and_context_validate(void **state)
{
    (void)state;
    char why[256];
    Ismo__V1__Review r = ISMO__V1__REVIEW__INIT;
    r.objective_id = "OBJ-1";
    r.has_decision = 1;
    r.decision = ISMO__V1__REVIEW_DECISION__ADJUST;
    r.note = "target too low";
    assert_int_equal(ismo_review_validate(&r, why, sizeof why), ISMO_OK);
    r.has_reviewed_ms = 1;
    r.reviewed_ms = 1767225600000;
    assert_int_equal(ismo_review_validate(&r, why, sizeof why), ISMO_OK);
    r.reviewed_ms = -1;
    assert_int_equal(ismo_review_validate(&r, why, sizeof why), ISMO_ERR_INVALID);
    r.reviewed_ms = 0;
    r.decision = ISMO__V1__REVIEW_DECISION__REVIEW_DECISION_UNSPECIFIED;
    assert_int_equal(ismo_review_validate(&r, why, sizeof why), ISMO_ERR_INVALID);
    r.decision = (Ismo__V1__ReviewDecision)4;
    assert_int_equal(ismo_review_validate(&r, why, sizeof why), ISMO_ERR_INVALID);
    r.decision = ISMO__V1__REVIEW_DECISION__CLOSE;
    r.note = (char *)text_of(4097);
    assert_int_equal(ismo_review_validate(&r, why, sizeof why), ISMO_ERR_INVALID);
    r.note = NULL;
    r.objective_id = "no such id!";
    assert_int_equal(ismo_review_validate(&r, why, sizeof why), ISMO_ERR_INVALID);
    assert_int_equal(ismo_review_validate(NULL, why, sizeof why), ISMO_ERR_INVALID);

    Ismo__V1__PolicyCommitment p = ISMO__V1__POLICY_COMMITMENT__INIT;
    p.id = "POL-5.2-C1";
    p.text = "protect customer data";
    assert_int_equal(ismo_policy_validate(&p, why, sizeof why), ISMO_OK);
    p.id = NULL;
    assert_int_equal(ismo_policy_validate(&p, why, sizeof why), ISMO_ERR_INVALID);
    p.id = "POL 1";
    assert_int_equal(ismo_policy_validate(&p, why, sizeof why), ISMO_ERR_INVALID);
    p.id = "POL-1";
    p.text = (char *)text_of(4097);
    assert_int_equal(ismo_policy_validate(&p, why, sizeof why), ISMO_ERR_INVALID);

    Ismo__V1__Risk k = ISMO__V1__RISK__INIT;
    k.id = "R-012";
    k.rating = "high";
    k.has_score = 1;
    k.score = 20;
    assert_int_equal(ismo_risk_validate(&k, why, sizeof why), ISMO_OK);
    k.score = NAN;
    assert_int_equal(ismo_risk_validate(&k, why, sizeof why), ISMO_ERR_INVALID);
    k.score = 20;
    k.owner = (char *)text_of(257);
    assert_int_equal(ismo_risk_validate(&k, why, sizeof why), ISMO_ERR_INVALID);
    k.owner = NULL;
    k.id = "";
    assert_int_equal(ismo_risk_validate(&k, why, sizeof why), ISMO_ERR_INVALID);
}

static void valid_sample(Ismo__V1__Sample *s)
{
    Ismo__V1__Sample init = ISMO__V1__SAMPLE__INIT;
    *s = init;
    s->objective_id = "OBJ-1";
    s->has_value = 1;
    s->value = 47.5;
    s->has_effective_ms = 1;
    s->effective_ms = 1767225600000;
    s->source = "agent:it-ops-web1";
    s->sample_id = "web1:2026-01-01";
}

static void expect_sample_invalid(const Ismo__V1__Sample *s, const char *what)
{
    char why[256] = "";
    ismo_err err = ismo_sample_validate(s, why, sizeof why);
    if (err != ISMO_ERR_INVALID || why[0] == '\0') {
        fail_msg("%s: err %d, why '%s'", what, (int)err, why);
    }
}

static void test_sample_validate(void **state)
{
    (void)state;
    Ismo__V1__Sample s;
    valid_sample(&s);
    assert_int_equal(ismo_sample_validate(&s, NULL, 0), ISMO_OK);
    s.value = NAN;
    expect_sample_invalid(&s, "NaN");
    s.value = INFINITY;
    expect_sample_invalid(&s, "+inf");
    s.value = -INFINITY;
    expect_sample_invalid(&s, "-inf");
    valid_sample(&s);
    s.has_value = 0;
    expect_sample_invalid(&s, "missing value");
    valid_sample(&s);
    s.objective_id = NULL;
    expect_sample_invalid(&s, "no objective id");
    s.objective_id = "";
    expect_sample_invalid(&s, "empty objective id");
    s.objective_id = "OBJ 1";
    expect_sample_invalid(&s, "bad objective id");
    valid_sample(&s);
    s.sample_id = (char *)text_of(129);
    expect_sample_invalid(&s, "sample id of 129 bytes");
    s.sample_id = (char *)text_of(128);
    assert_int_equal(ismo_sample_validate(&s, NULL, 0), ISMO_OK);
    valid_sample(&s);
    s.source = (char *)text_of(257);
    expect_sample_invalid(&s, "source of 257 bytes");
    valid_sample(&s);
    s.value = -0.0;
    assert_int_equal(ismo_sample_validate(&s, NULL, 0), ISMO_OK);
    s.value = 1e15; /* the largest magnitude allowed (ISMO_MAX_ABS_VALUE) */
    assert_int_equal(ismo_sample_validate(&s, NULL, 0), ISMO_OK);
    s.value = -1e15;
    assert_int_equal(ismo_sample_validate(&s, NULL, 0), ISMO_OK);
    s.value = 1e308; /* finite, but sums and progress would overflow */
    expect_sample_invalid(&s, "1e308");
    valid_sample(&s);
    s.has_effective_ms = 1;
    s.effective_ms = ISMO_MAX_INSTANT_MS + 1;
    expect_sample_invalid(&s, "after 9999");
    valid_sample(&s);
    s.sample_id = (char *)"caf\xc3";
    expect_sample_invalid(&s, "truncated UTF-8 in sample id");
    s.sample_id = (char *)"caf\xc3\xa9";
    assert_int_equal(ismo_sample_validate(&s, NULL, 0), ISMO_OK);
    assert_int_equal(ismo_sample_validate(NULL, NULL, 0), ISMO_ERR_INVALID);
    /* RATIO samples: total finite and > 0 */
    valid_sample(&s);
    s.has_total = 1;
    s.total = 50;
    assert_int_equal(ismo_sample_validate(&s, NULL, 0), ISMO_OK);
    s.total = 0;
    expect_sample_invalid(&s, "total 0");
    s.total = -1;
    expect_sample_invalid(&s, "negative total");
    s.total = NAN;
    expect_sample_invalid(&s, "NaN total");
    s.total = 2e15;
    expect_sample_invalid(&s, "total above 1e15");
    /* UTF-8: overlong, surrogate, beyond U+10FFFF */
    assert_false(ismo_utf8_is_valid("\xc0\xaf"));
    assert_false(ismo_utf8_is_valid("\xed\xa0\x80"));
    assert_false(ismo_utf8_is_valid("\xf4\x90\x80\x80"));
    assert_true(ismo_utf8_is_valid("Ren\xc3\xa9 M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x94\x92"));
}

/* A sample against its metric: yes/no 0 or 1; ratio 0 <= value <= total
 * (total absent = 1); a total only on a ratio metric; no metric, no rule. */
static void test_sample_fits_metric(void **state)
{
    (void)state;
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    char why[200] = "";
    s.objective_id = (char *)"OBJ-1";
    s.has_value = 1;
    m.has_value_kind = 1;
    m.value_kind = ISMO__V1__VALUE_KIND__YES_NO;
    s.value = 1;
    assert_int_equal(ismo_sample_fits_metric(&s, &m, why, sizeof why), ISMO_OK);
    s.value = 0;
    assert_int_equal(ismo_sample_fits_metric(&s, &m, why, sizeof why), ISMO_OK);
    s.value = 2;
    assert_int_equal(ismo_sample_fits_metric(&s, &m, why, sizeof why), ISMO_ERR_INVALID);
    assert_non_null(strstr(why, "yes/no"));
    s.value = 0.5;
    assert_int_equal(ismo_sample_fits_metric(&s, &m, NULL, 0), ISMO_ERR_INVALID);
    m.value_kind = ISMO__V1__VALUE_KIND__NUMBER;
    assert_int_equal(ismo_sample_fits_metric(&s, &m, NULL, 0), ISMO_OK);
    s.has_total = 1;
    s.total = 10;
    assert_int_equal(ismo_sample_fits_metric(&s, &m, why, sizeof why), ISMO_ERR_INVALID);
    assert_non_null(strstr(why, "ratio"));
    m.has_aggregation = 1;
    m.aggregation = ISMO__V1__AGGREGATION__RATIO;
    assert_int_equal(ismo_sample_fits_metric(&s, &m, NULL, 0), ISMO_OK);
    s.value = 10;
    assert_int_equal(ismo_sample_fits_metric(&s, &m, NULL, 0), ISMO_OK);
    s.value = 12;
    assert_int_equal(ismo_sample_fits_metric(&s, &m, why, sizeof why), ISMO_ERR_INVALID);
    assert_non_null(strstr(why, "0 <= value <= total"));
    s.value = -1;
    assert_int_equal(ismo_sample_fits_metric(&s, &m, NULL, 0), ISMO_ERR_INVALID);
    s.has_total = 0;
    s.value = 1;
    assert_int_equal(ismo_sample_fits_metric(&s, &m, NULL, 0), ISMO_OK);
    s.value = 2;
    assert_int_equal(ismo_sample_fits_metric(&s, &m, NULL, 0), ISMO_ERR_INVALID);
    assert_int_equal(ismo_sample_fits_metric(&s, NULL, NULL, 0), ISMO_OK);
}

/* ---- names ---- */

typedef const char *(*name_fn)(int);
typedef int (*parse_fn)(const char *, int *);

static void roundtrip(const char *what, name_fn name, parse_fn parse, int first, int last)
{
    for (int v = first; v <= last; v++) {
        const char *n = name(v);
        int back = -1;
        if (strcmp(n, "unknown") == 0 || parse(n, &back) != 0 || back != v) {
            fail_msg("%s %d -> '%s' -> %d", what, v, n, back);
        }
    }
    assert_string_equal(name(last + 1), "unknown");
    assert_string_equal(name(-1), "unknown");
    int x = 12345;
    assert_int_equal(parse("no-such-name", &x), -1);
    assert_int_equal(parse("", &x), -1);
}

static void test_enum_names(void **state)
{
    (void)state;
    roundtrip("health", ismo_health_name, ismo_health_parse, 1, 6);
    roundtrip("level", ismo_level_name, ismo_level_parse, 1, 3);
    roundtrip("direction", ismo_direction_name, ismo_direction_parse, 1, 2);
    roundtrip("aggregation", ismo_aggregation_name, ismo_aggregation_parse, 0, 7);
    roundtrip("target mode", ismo_target_mode_name, ismo_target_mode_parse, 0, 1);
    roundtrip("action status", ismo_action_status_name, ismo_action_status_parse, 0, 3);
    roundtrip("reminder kind", ismo_reminder_kind_name, ismo_reminder_kind_parse, 1, 7);
    roundtrip("value kind", ismo_value_kind_name, ismo_value_kind_parse, 0, 2);
    roundtrip("period", ismo_period_name, ismo_period_parse, 0, 5);
    roundtrip("lifecycle", ismo_lifecycle_name, ismo_lifecycle_parse, 1, 5);
    roundtrip("review decision", ismo_review_decision_name, ismo_review_decision_parse, 1, 3);

    assert_string_equal(ismo_health_name(ISMO__V1__HEALTH__ON_TRACK), "on_track");
    assert_string_equal(ismo_direction_name(ISMO__V1__DIRECTION__HIGHER_IS_BETTER), "higher_is_better");
    assert_string_equal(ismo_level_name(ISMO__V1__LEVEL__STRATEGIC), "strategic");
    assert_string_equal(ismo_reminder_kind_name(ISMO__V1__REMINDER_KIND__DEADLINE_APPROACHING),
                        "deadline_approaching");
    int v = -1;
    assert_int_equal(ismo_health_parse("On-Track", &v), 0);
    assert_int_equal(v, ISMO__V1__HEALTH__ON_TRACK);
    assert_int_equal(ismo_health_parse("AT RISK", &v), 0);
    assert_int_equal(v, ISMO__V1__HEALTH__AT_RISK);
    assert_int_equal(ismo_health_parse("on_trac", &v), -1);
    assert_int_equal(ismo_health_parse("on_track_", &v), -1);
    assert_int_equal(ismo_direction_parse("Lower-Is-Better", &v), 0);
    assert_int_equal(v, ISMO__V1__DIRECTION__LOWER_IS_BETTER);
    assert_int_equal(ismo_aggregation_parse("AVG", &v), 0);
    assert_int_equal(v, ISMO__V1__AGGREGATION__MEAN);
    assert_int_equal(ismo_target_mode_parse("Maintain", &v), 0);
    assert_int_equal(v, ISMO__V1__TARGET_MODE__MAINTAIN);
    assert_int_equal(ismo_action_status_parse("in progress", &v), 0);
    assert_int_equal(v, ISMO__V1__ACTION_STATUS__IN_PROGRESS);

    static const struct {
        const char *text;
        int kind;
    } kinds[] = {
        {"status", ISMO__V1__EVENT_KIND__STATUS_CHANGED},
        {"status_changed", ISMO__V1__EVENT_KIND__STATUS_CHANGED},
        {"reminder", ISMO__V1__EVENT_KIND__REMINDER},
        {"objective", ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED},
        {"Objective-Changed", ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        v = -1;
        assert_int_equal(ismo_event_kind_parse(kinds[i].text, &v), 0);
        assert_int_equal(v, kinds[i].kind);
    }
    for (int k = 1; k <= 3; k++) {
        assert_int_equal(ismo_event_kind_parse(ismo_event_kind_topic(k), &v), 0);
        assert_int_equal(v, k);
    }
    assert_string_equal(ismo_event_kind_topic(0), "event");
    assert_int_equal(ismo_event_kind_parse("reminders", &v), -1);
    /* ismo_codec.h: "event" if unknown */
    assert_string_equal(ismo_event_kind_topic(42), "event");
}

static void test_topic(void **state)
{
    (void)state;
    Ismo__V1__Event e = ISMO__V1__EVENT__INIT;
    e.has_kind = 1;
    e.kind = ISMO__V1__EVENT_KIND__REMINDER;
    e.function = "it-ops";
    e.objective_id = "OBJ-1";
    char buf[128];
    assert_int_equal(ismo_event_topic(&e, buf, sizeof buf), strlen("reminder.it-ops.OBJ-1"));
    assert_string_equal(buf, "reminder.it-ops.OBJ-1");
    e.kind = ISMO__V1__EVENT_KIND__STATUS_CHANGED;
    ismo_event_topic(&e, buf, sizeof buf);
    assert_string_equal(buf, "status.it-ops.OBJ-1");
    e.kind = ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED;
    ismo_event_topic(&e, buf, sizeof buf);
    assert_string_equal(buf, "objective.it-ops.OBJ-1");
    /* truncated to len - 1 */
    char small[10];
    assert_int_equal(ismo_event_topic(&e, small, sizeof small), 9);
    assert_string_equal(small, "objective");
}

/* ---- hostile fixtures ---- */

typedef struct fixture_bytes {
    const char *name;
    const uint8_t *b;
    size_t n;
    int must_fail; /* 1: must be refused with ISMO_ERR_PROTOCOL */
} fixture_bytes;

/* Decode, and when it decodes, validate every embedded objective/sample. */
static ismo_err decode_and_validate(const uint8_t *b, size_t n)
{
    Ismo__V1__Request *req = NULL;
    char why[256];
    ismo_err err = ismo_codec_decode_request(b, n, ISMO_DEFAULT_MAX_FRAME_BYTES, &req, why, sizeof why);
    if (req && err == ISMO_OK) {
        if (req->body_case == ISMO__V1__REQUEST__BODY_PUT_OBJECTIVE && req->put_objective) {
            (void)ismo_objective_validate(req->put_objective->objective, why, sizeof why);
        }
        if (req->body_case == ISMO__V1__REQUEST__BODY_PUSH_SAMPLES && req->push_samples) {
            for (size_t i = 0; i < req->push_samples->n_samples; i++) {
                (void)ismo_sample_validate(req->push_samples->samples[i], why, sizeof why);
            }
        }
    }
    if (req) {
        ismo__v1__request__free_unpacked(req, NULL);
    }
    return err;
}

static void test_hostile_fixtures(void **state)
{
    (void)state;
    /* field 2 (request_id, varint) whose varint never ends */
    static const uint8_t trunc_varint[] = {0x10, 0xff, 0xff, 0xff};
    /* varint of 11 bytes: longer than any 64-bit varint */
    static const uint8_t long_varint[] = {0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          0xff, 0xff, 0xff, 0x01};
    /* field 4 (reason, string) claiming 127 bytes with 1 present */
    static const uint8_t long_len[] = {0x22, 0x7f, 'a'};
    /* field 4 claiming ~4 GiB */
    static const uint8_t huge_len[] = {0x22, 0xff, 0xff, 0xff, 0xff, 0x0f, 'a'};
    /* put_objective (11) of 10 bytes containing objective (1) claiming 50 */
    static const uint8_t nested_over[] = {0x5a, 0x0a, 0x0a, 0x32, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'};
    /* tag 0 is not a field */
    static const uint8_t tag_zero[] = {0x00, 0x01};
    /* end-group without a start (wire type 4) */
    static const uint8_t end_group[] = {0x0c};
    /* a ping with an unknown field 99 (length-delimited) after it: skipped */
    static const uint8_t unknown_field[] = {0x52, 0x00, 0x9a, 0x06, 0x02, 'h', 'i'};
    /* a string field that is not UTF-8 */
    static const uint8_t bad_utf8[] = {0x1a, 0x02, 0xc3, 0x28, 0x52, 0x00};
    const fixture_bytes fx[] = {
        {"truncated varint", trunc_varint, sizeof trunc_varint, 1},
        {"overlong varint", long_varint, sizeof long_varint, 1},
        {"length past the end", long_len, sizeof long_len, 1},
        {"4 GiB length", huge_len, sizeof huge_len, 1},
        {"nested length past its parent", nested_over, sizeof nested_over, 1},
        {"tag 0", tag_zero, sizeof tag_zero, 1},
        {"lone end-group", end_group, sizeof end_group, 1},
        {"unknown field", unknown_field, sizeof unknown_field, 0},
        {"invalid UTF-8 string", bad_utf8, sizeof bad_utf8, 0},
    };
    for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
        ismo_err err = decode_and_validate(fx[i].b, fx[i].n);
        print_message("  %-32s -> %s\n", fx[i].name, ismo_strerror(err));
        if (fx[i].must_fail && err != ISMO_ERR_PROTOCOL) {
            fail_msg("%s: err %d, want ISMO_ERR_PROTOCOL", fx[i].name, (int)err);
        }
    }
    /* every prefix of a valid full request is handled (refused or decoded) */
    full f;
    full_objective(&f);
    Ismo__V1__PutObjectiveRequest put = ISMO__V1__PUT_OBJECTIVE_REQUEST__INIT;
    put.objective = &f.o;
    Ismo__V1__Request r = ISMO__V1__REQUEST__INIT;
    r.body_case = ISMO__V1__REQUEST__BODY_PUT_OBJECTIVE;
    r.put_objective = &put;
    size_t len;
    uint8_t *buf = pack_request(&r, &len);
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size, so ASan sees any over-read */
        memcpy(copy, buf, n);
        (void)decode_and_validate(copy, n);
        free(copy);
    }
    /* and every single-byte corruption */
    for (size_t i = 0; i < len; i++) {
        uint8_t save = buf[i];
        buf[i] ^= 0x80;
        (void)decode_and_validate(buf, len);
        buf[i] = 0xff;
        (void)decode_and_validate(buf, len);
        buf[i] = save;
    }
    free(buf);
}

/* Found by fuzz_request: a tag written as a non-canonical varint
 * (0x82 0x00 = field 0, length-delimited) is accepted and kept as an unknown
 * field; packing the decoded message writes it back canonically (0x02), which
 * no decoder accepts. The server stores decoded objectives and samples by
 * packing them, so what decodes must pack into bytes that decode again. */
static void test_decoded_request_repacks(void **state)
{
    (void)state;
    static const uint8_t in[] = {0x62, 0x00, 0x82, 0x00, 0x00, 0x82, 0x01, 0x00};
    Ismo__V1__Request *req = NULL;
    char why[256];
    ismo_err err = ismo_codec_decode_request(in, sizeof in, 1024, &req, why, sizeof why);
    if (err != ISMO_OK) {
        assert_null(req); /* refusing the frame is a fine answer too */
        return;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(ismo_codec_pack(&req->base, &buf, &len), ISMO_OK);
    ismo__v1__request__free_unpacked(req, NULL);
    Ismo__V1__Request *again = NULL;
    err = ismo_codec_decode_request(buf, len, 1024, &again, why, sizeof why);
    free(buf);
    if (again) {
        ismo__v1__request__free_unpacked(again, NULL);
    }
    assert_int_equal(err, ISMO_OK);
}

/* A repeated field repeated many times: 20000 empty samples in one batch. */
static void test_deeply_repeated(void **state)
{
    (void)state;
    const size_t count = 20000;
    size_t inner = 2 * count;
    uint8_t *b = malloc(inner + 8);
    size_t n = 0;
    b[n++] = 0x7a; /* field 15, push_samples, length-delimited */
    for (size_t v = inner; ; v >>= 7) {
        if (v < 0x80) {
            b[n++] = (uint8_t)v;
            break;
        }
        b[n++] = (uint8_t)(0x80 | (v & 0x7f));
    }
    for (size_t i = 0; i < count; i++) {
        b[n++] = 0x0a; /* samples (1), empty */
        b[n++] = 0x00;
    }
    Ismo__V1__Request *req = NULL;
    char why[256];
    assert_int_equal(ismo_codec_decode_request(b, n, ISMO_DEFAULT_MAX_FRAME_BYTES, &req, why, sizeof why),
                     ISMO_OK);
    assert_int_equal(req->body_case, ISMO__V1__REQUEST__BODY_PUSH_SAMPLES);
    assert_int_equal(req->push_samples->n_samples, count);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(ismo_sample_validate(req->push_samples->samples[i], why, sizeof why),
                         ISMO_ERR_INVALID);
    }
    ismo__v1__request__free_unpacked(req, NULL);
    /* the same frame over a small maximum is refused before decoding */
    assert_int_equal(ismo_codec_decode_request(b, n, 1024, &req, why, sizeof why), ISMO_ERR_TOO_LARGE);
    assert_null(req);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_garbage),
        cmocka_unit_test(test_decode_oversize),
        cmocka_unit_test(test_decode_no_body_keeps_request),
        cmocka_unit_test(test_decode_protocol_version),
        cmocka_unit_test(test_objective_roundtrip),
        cmocka_unit_test(test_objective_validate),
        cmocka_unit_test(test_objective_validate_clause62),
        cmocka_unit_test(test_review_and_context_validate),
        cmocka_unit_test(test_sample_validate),
        cmocka_unit_test(test_sample_fits_metric),
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_topic),
        cmocka_unit_test(test_hostile_fixtures),
        cmocka_unit_test(test_decoded_request_repacks),
        cmocka_unit_test(test_deeply_repeated),
    };
    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
