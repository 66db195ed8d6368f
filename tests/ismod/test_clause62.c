/* ismod black-box tests of the clause-6.2 requests (ISO/IEC 27001:2022 6.2,
 * 9.3) over the wire: the SMART gate and lifecycle on PutObjective, cycles in
 * the objective tree, management reviews, the policy and risk registers,
 * as-of reconstruction (GetObjective, GetStatus, Explain), Explain, the
 * roll-up over a three-level tree, and bad input. A real ismod runs
 * in-process on 127.0.0.1:* (tests/ismod/harness.h), one per test. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "ismo.h"
#include "ismo_time.h"

static harness H;
static ismo_client_t *C;

static int setup(void **state)
{
    (void)state;
    harness_init(&H);
    harness_start(&H);
    C = ismo_client_new(H.endpoint, "tess");
    assert_non_null(C);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ismo_client_destroy(&C);
    harness_stop(&H);
    harness_cleanup(&H);
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- building objectives ---- */

/* A complete objective (passes the SMART gate) that the caller adjusts. */
typedef struct obj {
    Ismo__V1__Objective o;
    Ismo__V1__Metric m;
    Ismo__V1__Action a;
    Ismo__V1__Action *acts[1];
} obj;

static void complete(obj *x, const char *id, double target)
{
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    Ismo__V1__Action a = ISMO__V1__ACTION__INIT;
    int64_t now = ismo_now_ms();
    x->o = o;
    x->m = m;
    x->a = a;
    x->o.id = (char *)id;
    x->o.title = "patch critical vulnerabilities";
    x->o.function = "it-ops";
    x->o.owner = "tess";
    x->o.has_level = 1;
    x->o.level = ISMO__V1__LEVEL__OPERATIONAL;
    x->m.name = "coverage";
    x->m.unit = "%";
    x->m.has_direction = 1;
    x->m.direction = ISMO__V1__DIRECTION__HIGHER_IS_BETTER;
    x->m.has_aggregation = 1;
    x->m.aggregation = ISMO__V1__AGGREGATION__LAST;
    x->m.has_window_ms = 1;
    x->m.window_ms = 0;
    x->o.metric = &x->m;
    x->o.has_baseline = 1;
    x->o.baseline = 0;
    x->o.has_baseline_at_ms = 1;
    x->o.baseline_at_ms = now - 10 * ISMO_DAY_MS;
    x->o.has_target = 1;
    x->o.target = target;
    x->o.has_start_ms = 1;
    x->o.start_ms = now - 10 * ISMO_DAY_MS;
    x->o.has_deadline_ms = 1;
    x->o.deadline_ms = now + 100 * ISMO_DAY_MS;
    x->o.evaluation_method = "monthly scan report";
    x->a.what = "roll out the patch agent";
    x->a.resources = "2 days of ops time";
    x->a.responsible = "ops lead";
    x->a.has_due_ms = 1;
    x->a.due_ms = now + 30 * ISMO_DAY_MS;
    x->acts[0] = &x->a;
    x->o.actions = x->acts;
    x->o.n_actions = 1;
}

static void put_ok(obj *x, Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Reply *r = NULL;
    ismo_err err = ismo_put_objective(C, &x->o, &r);
    if (err != ISMO_OK) {
        fail_msg("put %s: %s", x->o.id, r && r->message ? r->message : ismo_strerror(err));
    }
    if (reply_p) {
        *reply_p = r;
    } else {
        ismo__v1__reply__free_unpacked(r, NULL);
    }
}

static ismo_err put_expect(obj *x, ismo_err want)
{
    Ismo__V1__Reply *r = NULL;
    ismo_err err = ismo_put_objective(C, &x->o, &r);
    if (err != want) {
        fail_msg("put %s: want %s, got %s (%s)", x->o.id, ismo_strerror(want), ismo_strerror(err),
                 r && r->message ? r->message : "");
    }
    if (want != ISMO_OK) {
        assert_non_null(r);
        assert_non_null(r->message);
        assert_true(strlen(r->message) > 0);
    }
    ismo__v1__reply__free_unpacked(r, NULL);
    return err;
}

static Ismo__V1__Objective *get_obj(const char *id)
{
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_get_objective(C, id, 0, &r), ISMO_OK);
    Ismo__V1__Objective *o = (Ismo__V1__Objective *)ismo_codec_copy(&r->get_objective->objective->base);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_non_null(o);
    return o;
}

static int has_gap(const Ismo__V1__Objective *o, const char *gap)
{
    for (size_t i = 0; i < o->n_smart_gaps; i++) {
        if (strcmp(o->smart_gaps[i], gap) == 0) {
            return 1;
        }
    }
    return 0;
}

static void push(const char *id, double v, int64_t effective_ms)
{
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    Ismo__V1__Sample *arr[1] = {&s};
    s.objective_id = (char *)id;
    s.has_value = 1;
    s.value = v;
    s.has_effective_ms = effective_ms != 0;
    s.effective_ms = effective_ms;
    s.source = "test";
    Ismo__V1__Reply *r = NULL;
    ismo_err err = ismo_push_samples(C, arr, 1, &r);
    if (err != ISMO_OK) {
        fail_msg("push %s: %s", id, r && r->message ? r->message : ismo_strerror(err));
    }
    assert_int_equal(r->push_samples->accepted, 1);
    ismo__v1__reply__free_unpacked(r, NULL);
}

static Ismo__V1__Status *status_of(const char *id, int64_t as_of_ms)
{
    const char *ids[1] = {id};
    Ismo__V1__Reply *r = NULL;
    ismo_err err = ismo_get_status_as_of(C, ids, 1, NULL, as_of_ms, &r);
    if (err != ISMO_OK) {
        fail_msg("status %s: %s", id, r && r->message ? r->message : ismo_strerror(err));
    }
    assert_int_equal(r->get_status->n_statuses, 1);
    Ismo__V1__Status *st = (Ismo__V1__Status *)ismo_codec_copy(&r->get_status->statuses[0]->base);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_non_null(st);
    return st;
}

/* The newest event of kind for objective id (copied), or NULL. */
static Ismo__V1__Event *last_event(int kind, const char *id)
{
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_list_events(C, 0, 0, NULL, kind, &r), ISMO_OK);
    Ismo__V1__Event *found = NULL;
    for (size_t i = r->list_events->n_events; i-- > 0;) {
        if (strcmp(r->list_events->events[i]->objective_id, id) == 0) {
            found = (Ismo__V1__Event *)ismo_codec_copy(&r->list_events->events[i]->base);
            break;
        }
    }
    ismo__v1__reply__free_unpacked(r, NULL);
    return found;
}

/* ---- the SMART gate and the lifecycle ---- */

static void test_gate_and_lifecycle(void **state)
{
    (void)state;
    obj x;
    complete(&x, "GATE-1", 95);
    x.o.has_baseline_at_ms = 0;
    x.o.evaluation_method = NULL;
    Ismo__V1__Reply *r = NULL;
    put_ok(&x, &r);
    /* OK, and the message names what the gate lacks */
    assert_int_equal(r->code, ISMO__V1__STATUS_CODE__OK);
    assert_non_null(r->message);
    assert_non_null(strstr(r->message, "draft"));
    assert_non_null(strstr(r->message, "baseline date"));
    assert_non_null(strstr(r->message, "evaluation method"));
    ismo__v1__reply__free_unpacked(r, NULL);
    Ismo__V1__Objective *o = get_obj("GATE-1");
    assert_int_equal(o->lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT);
    assert_int_equal(o->n_smart_gaps, 2);
    assert_true(has_gap(o, "baseline date"));
    assert_true(has_gap(o, "evaluation method"));
    ismo__v1__objective__free_unpacked(o, NULL);
    Ismo__V1__Event *e = last_event(ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED, "GATE-1");
    assert_non_null(e);
    assert_true(e->objective_change->has_new_lifecycle);
    assert_int_equal(e->objective_change->new_lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT);
    ismo__v1__event__free_unpacked(e, NULL);

    /* complete: ACTIVE, no gaps, no message; the event shows DRAFT -> ACTIVE */
    complete(&x, "GATE-1", 95);
    put_ok(&x, &r);
    assert_true(r->message == NULL || r->message[0] == '\0');
    assert_int_equal(r->put_objective->version, 2);
    ismo__v1__reply__free_unpacked(r, NULL);
    o = get_obj("GATE-1");
    assert_int_equal(o->lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE);
    assert_int_equal(o->n_smart_gaps, 0);
    ismo__v1__objective__free_unpacked(o, NULL);
    e = last_event(ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED, "GATE-1");
    assert_int_equal(e->objective_change->version, 2);
    assert_int_equal(e->objective_change->old_lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT);
    assert_int_equal(e->objective_change->new_lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE);
    ismo__v1__event__free_unpacked(e, NULL);

    /* server-set fields in the request are ignored: the same content is unchanged */
    char *fake_gaps[1] = {"made up"};
    x.o.has_lifecycle = 1;
    x.o.lifecycle = ISMO__V1__LIFECYCLE__LIFECYCLE_ACHIEVED;
    x.o.smart_gaps = fake_gaps;
    x.o.n_smart_gaps = 1;
    put_ok(&x, &r);
    assert_true(r->put_objective->unchanged);
    ismo__v1__reply__free_unpacked(r, NULL);
    x.o.title = "patch critical vulnerabilities faster";
    put_ok(&x, NULL);
    o = get_obj("GATE-1");
    assert_int_equal(o->version, 3);
    assert_int_equal(o->lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE);
    assert_int_equal(o->n_smart_gaps, 0);
    ismo__v1__objective__free_unpacked(o, NULL);
    e = last_event(ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED, "GATE-1");
    assert_false(e->objective_change->has_new_lifecycle); /* no lifecycle change */
    ismo__v1__event__free_unpacked(e, NULL);

    /* a change that removes the plan: DRAFT again */
    complete(&x, "GATE-1", 95);
    x.o.n_actions = 0;
    put_ok(&x, NULL);
    o = get_obj("GATE-1");
    assert_int_equal(o->lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT);
    assert_true(has_gap(o, "plan (no action)"));
    ismo__v1__objective__free_unpacked(o, NULL);
    e = last_event(ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED, "GATE-1");
    assert_int_equal(e->objective_change->old_lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE);
    assert_int_equal(e->objective_change->new_lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT);
    ismo__v1__event__free_unpacked(e, NULL);

    /* retire: RETIRED, shown in the event */
    assert_int_equal(ismo_retire_objective(C, "GATE-1", &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    o = get_obj("GATE-1");
    assert_int_equal(o->lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_RETIRED);
    ismo__v1__objective__free_unpacked(o, NULL);
    e = last_event(ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED, "GATE-1");
    assert_true(e->objective_change->retired);
    assert_int_equal(e->objective_change->old_lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT);
    assert_int_equal(e->objective_change->new_lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_RETIRED);
    ismo__v1__event__free_unpacked(e, NULL);
}

/* ACHIEVED/MISSED (set by the monitor at the deadline) survive a change
 * that leaves the deadline in the past; moving it into the future re-opens. */
static void test_lifecycle_after_deadline(void **state)
{
    (void)state;
    obj x;
    int64_t now = ismo_now_ms();
    complete(&x, "LATE-1", 90);
    x.o.start_ms = now - 20 * ISMO_DAY_MS;
    x.o.baseline_at_ms = x.o.start_ms;
    x.o.deadline_ms = now - ISMO_DAY_MS;
    Ismo__V1__Reply *r = NULL;
    put_ok(&x, &r);
    assert_true(r->put_objective->created);
    uint32_t v = r->put_objective->version; /* the monitor's own version when it judged the deadline */
    ismo__v1__reply__free_unpacked(r, NULL);
    Ismo__V1__Objective *o = get_obj("LATE-1");
    assert_int_equal(o->version, v);
    assert_int_equal(o->lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_MISSED); /* no data by the deadline */
    ismo__v1__objective__free_unpacked(o, NULL);

    x.o.title = "renamed after the deadline";
    put_ok(&x, NULL);
    o = get_obj("LATE-1");
    assert_int_equal(o->version, v + 1);
    assert_string_equal(o->title, "renamed after the deadline");
    assert_int_equal(o->lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_MISSED);
    ismo__v1__objective__free_unpacked(o, NULL);

    x.o.deadline_ms = now + 30 * ISMO_DAY_MS;
    put_ok(&x, NULL);
    o = get_obj("LATE-1");
    assert_int_equal(o->lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE);
    ismo__v1__objective__free_unpacked(o, NULL);
    Ismo__V1__Event *e = last_event(ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED, "LATE-1");
    assert_int_equal(e->objective_change->old_lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_MISSED);
    assert_int_equal(e->objective_change->new_lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE);
    ismo__v1__event__free_unpacked(e, NULL);
}

static void test_gate_not_measurable(void **state)
{
    (void)state;
    obj x;
    int64_t dates[1] = {ismo_now_ms() + 90 * ISMO_DAY_MS};
    complete(&x, "NM-1", 0);
    x.o.metric = NULL;
    x.o.has_baseline = x.o.has_baseline_at_ms = x.o.has_target = 0;
    x.o.has_not_measurable = 1;
    x.o.not_measurable = 1;
    put_ok(&x, NULL);
    Ismo__V1__Objective *o = get_obj("NM-1");
    assert_int_equal(o->lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT);
    assert_true(has_gap(o, "reason why it is not practicable to measure"));
    assert_true(has_gap(o, "review dates"));
    assert_false(has_gap(o, "metric")); /* not asked of a not-measurable objective */
    ismo__v1__objective__free_unpacked(o, NULL);
    x.o.not_measurable_reason = "culture change has no sound metric";
    x.o.review_dates_ms = dates;
    x.o.n_review_dates_ms = 1;
    put_ok(&x, NULL);
    o = get_obj("NM-1");
    assert_int_equal(o->lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE);
    assert_int_equal(o->n_smart_gaps, 0);
    ismo__v1__objective__free_unpacked(o, NULL);
}

/* ---- the objective tree ---- */

static void test_cycles_refused(void **state)
{
    (void)state;
    obj a, b, c;
    complete(&a, "T-A", 90);
    complete(&b, "T-B", 90);
    b.o.parent_id = "T-A";
    complete(&c, "T-C", 90);
    c.o.parent_id = "T-B";
    put_ok(&a, NULL);
    put_ok(&b, NULL);
    put_ok(&c, NULL);
    a.o.parent_id = "T-C"; /* A -> C -> B -> A */
    put_expect(&a, ISMO_ERR_INVALID);
    a.o.parent_id = "T-A";
    put_expect(&a, ISMO_ERR_INVALID);
    a.o.parent_id = "not an id";
    put_expect(&a, ISMO_ERR_INVALID);
    /* nothing was stored by the refusals */
    Ismo__V1__Objective *o = get_obj("T-A");
    assert_int_equal(o->version, 1);
    assert_true(o->parent_id == NULL || o->parent_id[0] == '\0');
    ismo__v1__objective__free_unpacked(o, NULL);
    /* an unknown parent is accepted (imports may come children first) */
    a.o.parent_id = "T-ROOT";
    put_ok(&a, NULL);
}

/* S (strategic, not measurable) -> T (tactical, own metric) -> O1 (off track), O2 (achieved). */
static void test_rollup_three_levels(void **state)
{
    (void)state;
    obj s, t, o1, o2;
    int64_t now = ismo_now_ms();
    int64_t dates[1] = {now + 90 * ISMO_DAY_MS};
    complete(&s, "R-S", 0);
    s.o.level = ISMO__V1__LEVEL__STRATEGIC;
    s.o.metric = NULL;
    s.o.has_baseline = s.o.has_baseline_at_ms = s.o.has_target = 0;
    s.o.has_not_measurable = 1;
    s.o.not_measurable = 1;
    s.o.not_measurable_reason = "a direction, judged at review";
    s.o.review_dates_ms = dates;
    s.o.n_review_dates_ms = 1;
    complete(&t, "R-T", 50);
    t.o.level = ISMO__V1__LEVEL__TACTICAL;
    t.o.parent_id = "R-S";
    /* O1: 10 % of the way after 90 % of the time: off track */
    complete(&o1, "R-O1", 100);
    o1.o.parent_id = "R-T";
    o1.o.start_ms = now - 90 * ISMO_DAY_MS;
    o1.o.baseline_at_ms = o1.o.start_ms;
    o1.o.deadline_ms = now + 10 * ISMO_DAY_MS;
    complete(&o2, "R-O2", 80);
    o2.o.parent_id = "R-T";
    put_ok(&s, NULL);
    put_ok(&t, NULL);
    put_ok(&o1, NULL);
    put_ok(&o2, NULL);
    push("R-T", 60, 0);  /* met: ACHIEVED */
    push("R-O1", 10, 0); /* OFF_TRACK */
    push("R-O2", 85, 0); /* ACHIEVED */

    Ismo__V1__Status *st = status_of("R-O1", 0);
    assert_int_equal(st->health, ISMO__V1__HEALTH__OFF_TRACK);
    assert_int_equal(st->rollup_health, ISMO__V1__HEALTH__OFF_TRACK); /* a leaf: its own */
    assert_int_equal(st->children, 0);
    assert_int_equal(st->lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE);
    ismo__v1__status__free_unpacked(st, NULL);
    st = status_of("R-T", 0);
    assert_int_equal(st->health, ISMO__V1__HEALTH__ACHIEVED);
    assert_int_equal(st->rollup_health, ISMO__V1__HEALTH__OFF_TRACK);
    assert_int_equal(st->children, 2);
    ismo__v1__status__free_unpacked(st, NULL);
    st = status_of("R-S", 0);
    assert_int_equal(st->health, ISMO__V1__HEALTH__NO_DATA);          /* nothing of its own */
    assert_int_equal(st->rollup_health, ISMO__V1__HEALTH__OFF_TRACK); /* its own NO_DATA is left out */
    assert_int_equal(st->children, 1);
    ismo__v1__status__free_unpacked(st, NULL);

    /* the whole listing carries the same roll-up */
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_get_status(C, NULL, 0, NULL, &r), ISMO_OK);
    size_t seen = 0;
    for (size_t i = 0; i < r->get_status->n_statuses; i++) {
        const Ismo__V1__Status *x = r->get_status->statuses[i];
        if (strcmp(x->objective_id, "R-S") == 0 || strcmp(x->objective_id, "R-T") == 0) {
            assert_int_equal(x->rollup_health, ISMO__V1__HEALTH__OFF_TRACK);
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    ismo__v1__reply__free_unpacked(r, NULL);

    /* a retired descendant is ignored */
    assert_int_equal(ismo_retire_objective(C, "R-O1", &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    st = status_of("R-S", 0);
    assert_int_equal(st->rollup_health, ISMO__V1__HEALTH__ACHIEVED);
    ismo__v1__status__free_unpacked(st, NULL);
    st = status_of("R-T", 0);
    assert_int_equal(st->children, 1);
    assert_int_equal(st->rollup_health, ISMO__V1__HEALTH__ACHIEVED);
    ismo__v1__status__free_unpacked(st, NULL);
}

/* ---- management reviews (9.3) ---- */

static void test_reviews(void **state)
{
    (void)state;
    obj x;
    complete(&x, "REV-1", 90);
    put_ok(&x, NULL);
    sleep_ms(30);
    int64_t early = ismo_now_ms(); /* after the first version, before the sample */
    sleep_ms(30);
    push("REV-1", 40, 0);
    int64_t before = ismo_now_ms();
    Ismo__V1__Review rv = ISMO__V1__REVIEW__INIT;
    rv.objective_id = "REV-1";
    rv.has_decision = 1;
    rv.decision = ISMO__V1__REVIEW_DECISION__ADJUST;
    rv.note = "raise the budget";
    rv.reviewer = "someone else"; /* set by ismod */
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_add_review(C, &rv, &r), ISMO_OK);
    const Ismo__V1__Review *got = r->add_review->review;
    assert_int_equal(got->seq, 1);
    assert_string_equal(got->reviewer, "tess");
    assert_int_equal(got->objective_version, 1);
    assert_true(got->has_health);
    assert_int_not_equal(got->health, ISMO__V1__HEALTH__HEALTH_UNSPECIFIED);
    assert_true(got->has_value);
    assert_true(got->value == 40);
    assert_true(got->reviewed_ms >= before);
    assert_string_equal(got->note, "raise the budget");
    ismo__v1__reply__free_unpacked(r, NULL);

    /* the event: REVIEW_RECORDED with the record, topic review.it-ops.REV-1 */
    Ismo__V1__Event *e = last_event(ISMO__V1__EVENT_KIND__REVIEW_RECORDED, "REV-1");
    assert_non_null(e);
    assert_int_equal(e->payload_case, ISMO__V1__EVENT__PAYLOAD_REVIEW);
    assert_int_equal(e->review->seq, 1);
    assert_int_equal(e->review->decision, ISMO__V1__REVIEW_DECISION__ADJUST);
    char topic[128];
    ismo_event_topic(e, topic, sizeof topic);
    assert_string_equal(topic, "review.it-ops.REV-1");
    ismo__v1__event__free_unpacked(e, NULL);

    /* an earlier review (dated in the past) sorts first; it records what
     * was known then: no sample yet */
    rv.has_reviewed_ms = 1;
    rv.reviewed_ms = early;
    rv.decision = ISMO__V1__REVIEW_DECISION__CONTINUE;
    rv.note = NULL;
    assert_int_equal(ismo_add_review(C, &rv, &r), ISMO_OK);
    assert_int_equal(r->add_review->review->seq, 2);
    assert_false(r->add_review->review->has_value);
    assert_int_equal(r->add_review->review->health, ISMO__V1__HEALTH__NO_DATA);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_list_reviews(C, "REV-1", 0, 0, &r), ISMO_OK);
    assert_int_equal(r->list_reviews->n_reviews, 2);
    assert_int_equal(r->list_reviews->reviews[0]->seq, 2);
    assert_int_equal(r->list_reviews->reviews[1]->seq, 1);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_list_reviews(C, NULL, before - 10, 0, &r), ISMO_OK);
    assert_int_equal(r->list_reviews->n_reviews, 1);
    assert_int_equal(r->list_reviews->reviews[0]->seq, 1);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_list_reviews(C, NULL, 0, before - 10, &r), ISMO_OK);
    assert_int_equal(r->list_reviews->n_reviews, 1);
    assert_int_equal(r->list_reviews->reviews[0]->seq, 2);
    ismo__v1__reply__free_unpacked(r, NULL);

    /* CLOSE records the decision; it does not retire */
    rv.has_reviewed_ms = 0;
    rv.decision = ISMO__V1__REVIEW_DECISION__CLOSE;
    assert_int_equal(ismo_add_review(C, &rv, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    Ismo__V1__Objective *o = get_obj("REV-1");
    assert_false(o->retired);
    ismo__v1__objective__free_unpacked(o, NULL);

    /* bad input: nothing stored */
    rv.objective_id = "NO-SUCH";
    assert_int_equal(ismo_add_review(C, &rv, &r), ISMO_ERR_NOT_FOUND);
    ismo__v1__reply__free_unpacked(r, NULL);
    rv.objective_id = "REV-1";
    rv.has_reviewed_ms = 1;
    rv.reviewed_ms = ismo_now_ms() + ISMO_DAY_MS;
    assert_int_equal(ismo_add_review(C, &rv, &r), ISMO_ERR_INVALID);
    assert_non_null(strstr(r->message, "future"));
    ismo__v1__reply__free_unpacked(r, NULL);
    rv.has_reviewed_ms = 0;
    rv.has_decision = 0;
    assert_int_equal(ismo_add_review(C, &rv, &r), ISMO_ERR_INVALID);
    ismo__v1__reply__free_unpacked(r, NULL);
    rv.has_decision = 1;
    char *long_note = malloc(4098);
    assert_non_null(long_note);
    memset(long_note, 'n', 4097);
    long_note[4097] = 0;
    rv.note = long_note;
    assert_int_equal(ismo_add_review(C, &rv, &r), ISMO_ERR_INVALID);
    ismo__v1__reply__free_unpacked(r, NULL);
    free(long_note);
    assert_int_equal(ismo_list_reviews(C, "NO-SUCH", 0, 0, &r), ISMO_ERR_NOT_FOUND);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_list_reviews(C, "REV-1", 0, 0, &r), ISMO_OK);
    assert_int_equal(r->list_reviews->n_reviews, 3);
    ismo__v1__reply__free_unpacked(r, NULL);
}

/* A backdated review records the version, health and value as of its date
 * (the samples received by then); a date before the first version is
 * refused and stores nothing. */
static void test_review_backdated(void **state)
{
    (void)state;
    obj x;
    int64_t created = ismo_now_ms();
    complete(&x, "REV-B", 90);
    put_ok(&x, NULL);
    push("REV-B", 95, 0); /* target met */
    sleep_ms(30);
    int64_t mid = ismo_now_ms();
    sleep_ms(30);
    x.o.target = 99;
    put_ok(&x, NULL); /* version 2 */
    push("REV-B", 40, 0);
    Ismo__V1__Review rv = ISMO__V1__REVIEW__INIT;
    rv.objective_id = "REV-B";
    rv.has_decision = 1;
    rv.decision = ISMO__V1__REVIEW_DECISION__CONTINUE;
    rv.has_reviewed_ms = 1;
    rv.reviewed_ms = mid;
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_add_review(C, &rv, &r), ISMO_OK);
    const Ismo__V1__Review *got = r->add_review->review;
    assert_int_equal(got->reviewed_ms, mid);
    assert_int_equal(got->objective_version, 1);
    assert_int_equal(got->health, ISMO__V1__HEALTH__ACHIEVED);
    assert_true(got->has_value && got->value == 95);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* now: version 2, value 40 */
    rv.has_reviewed_ms = 0;
    assert_int_equal(ismo_add_review(C, &rv, &r), ISMO_OK);
    assert_int_equal(r->add_review->review->objective_version, 2);
    assert_true(r->add_review->review->value == 40);
    assert_int_not_equal(r->add_review->review->health, ISMO__V1__HEALTH__ACHIEVED);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* before the objective existed: refused, nothing stored */
    rv.has_reviewed_ms = 1;
    rv.reviewed_ms = created - 15 * ISMO_DAY_MS;
    assert_int_equal(ismo_add_review(C, &rv, &r), ISMO_ERR_INVALID);
    assert_non_null(strstr(r->message, "did not exist"));
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_list_reviews(C, "REV-B", 0, 0, &r), ISMO_OK);
    assert_int_equal(r->list_reviews->n_reviews, 2);
    ismo__v1__reply__free_unpacked(r, NULL);
}

/* ---- the context registers (6.2 a, c) ---- */

static void test_context(void **state)
{
    (void)state;
    Ismo__V1__PolicyCommitment p1 = ISMO__V1__POLICY_COMMITMENT__INIT, p2 = ISMO__V1__POLICY_COMMITMENT__INIT;
    Ismo__V1__Risk k1 = ISMO__V1__RISK__INIT, k2 = ISMO__V1__RISK__INIT, k3 = ISMO__V1__RISK__INIT;
    p1.id = "POL-1";
    p1.text = "protect customer data";
    p1.source = "ISP v3 2";
    p2.id = "POL-2";
    k1.id = "R-1";
    k1.rating = "Very-High";
    k2.id = "R-2";
    k2.rating = "low";
    k2.has_high = 1;
    k2.high = 1; /* the importer's flag (e.g. a score threshold) is kept */
    k3.id = "R-3";
    k3.rating = "medium";
    Ismo__V1__PolicyCommitment *ps[2] = {&p1, &p2};
    Ismo__V1__Risk *ks[3] = {&k1, &k2, &k3};
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_put_context(C, ps, 2, ks, 3, 0, &r), ISMO_OK);
    assert_int_equal(r->put_context->policies, 2);
    assert_int_equal(r->put_context->risks, 3);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_list_context(C, &r), ISMO_OK);
    const Ismo__V1__ListContextReply *l = r->list_context;
    assert_int_equal(l->n_policies, 2);
    assert_string_equal(l->policies[0]->id, "POL-1");
    assert_string_equal(l->policies[0]->text, "protect customer data");
    assert_int_equal(l->n_risks, 3);
    assert_string_equal(l->risks[0]->id, "R-1");
    assert_true(l->risks[0]->high);
    assert_true(l->risks[1]->high);
    assert_false(l->risks[2]->high);
    ismo__v1__reply__free_unpacked(r, NULL);

    /* a bad entry refuses the whole request */
    Ismo__V1__Risk bad = ISMO__V1__RISK__INIT;
    bad.id = "R-9";
    bad.has_score = 1;
    bad.score = NAN;
    Ismo__V1__Risk *bs[1] = {&bad};
    assert_int_equal(ismo_put_context(C, NULL, 0, bs, 1, 1, &r), ISMO_ERR_INVALID);
    ismo__v1__reply__free_unpacked(r, NULL);
    bad.score = 3;
    bad.id = "R 9";
    assert_int_equal(ismo_put_context(C, NULL, 0, bs, 1, 1, &r), ISMO_ERR_INVALID);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_list_context(C, &r), ISMO_OK);
    assert_int_equal(r->list_context->n_policies, 2);
    assert_int_equal(r->list_context->n_risks, 3);
    ismo__v1__reply__free_unpacked(r, NULL);

    /* replace: what is not in the request goes */
    p2.text = "new text";
    Ismo__V1__PolicyCommitment *only[1] = {&p2};
    assert_int_equal(ismo_put_context(C, only, 1, NULL, 0, 1, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_list_context(C, &r), ISMO_OK);
    assert_int_equal(r->list_context->n_policies, 1);
    assert_string_equal(r->list_context->policies[0]->id, "POL-2");
    assert_string_equal(r->list_context->policies[0]->text, "new text");
    assert_int_equal(r->list_context->n_risks, 0);
    ismo__v1__reply__free_unpacked(r, NULL);
}

/* ---- as of an instant ---- */

static void test_as_of(void **state)
{
    (void)state;
    obj x;
    int64_t t0 = ismo_now_ms();
    sleep_ms(20);
    complete(&x, "ASOF-1", 90);
    put_ok(&x, NULL);
    push("ASOF-1", 92, 0);
    sleep_ms(20);
    int64_t t_mid = ismo_now_ms();
    sleep_ms(20);
    x.o.target = 95;
    put_ok(&x, NULL);
    push("ASOF-1", 93, 0);

    /* now: version 2, target 95 not met by 93 */
    Ismo__V1__Status *st = status_of("ASOF-1", 0);
    assert_int_equal(st->objective_version, 2);
    assert_true(st->value == 93);
    assert_int_not_equal(st->health, ISMO__V1__HEALTH__ACHIEVED);
    assert_false(st->has_as_of_ms && st->as_of_ms != 0);
    int now_health = st->health;
    ismo__v1__status__free_unpacked(st, NULL);
    /* between the two: version 1 (target 90), only the first sample, ACHIEVED */
    st = status_of("ASOF-1", t_mid);
    assert_int_equal(st->objective_version, 1);
    assert_int_equal(st->as_of_ms, t_mid);
    assert_true(st->value == 92);
    assert_int_equal(st->total_samples, 1);
    assert_int_equal(st->health, ISMO__V1__HEALTH__ACHIEVED);
    ismo__v1__status__free_unpacked(st, NULL);
    /* as of now (explicitly): version 2 again, the same health as the stored one */
    st = status_of("ASOF-1", ismo_now_ms() + 1);
    assert_int_equal(st->objective_version, 2);
    assert_true(st->value == 93);
    assert_int_equal(st->total_samples, 2);
    assert_int_equal(st->health, now_health);
    ismo__v1__status__free_unpacked(st, NULL);

    /* GetObjective as of */
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_get_objective_as_of(C, "ASOF-1", t_mid, &r), ISMO_OK);
    assert_int_equal(r->get_objective->objective->version, 1);
    assert_true(r->get_objective->objective->target == 90);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_get_objective_as_of(C, "ASOF-1", t0, &r), ISMO_ERR_NOT_FOUND);
    ismo__v1__reply__free_unpacked(r, NULL);

    /* before it existed: left out of GetStatus */
    const char *ids[1] = {"ASOF-1"};
    assert_int_equal(ismo_get_status_as_of(C, ids, 1, NULL, t0, &r), ISMO_OK);
    assert_int_equal(r->get_status->n_statuses, 0);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_get_status_as_of(C, NULL, 0, NULL, t0, &r), ISMO_OK);
    for (size_t i = 0; i < r->get_status->n_statuses; i++) {
        assert_string_not_equal(r->get_status->statuses[i]->objective_id, "ASOF-1");
    }
    ismo__v1__reply__free_unpacked(r, NULL);

    /* Explain as of */
    assert_int_equal(ismo_explain(C, "ASOF-1", t_mid, 0, &r), ISMO_OK);
    assert_int_equal(r->explain->objective->version, 1);
    assert_int_equal(r->explain->status->health, ISMO__V1__HEALTH__ACHIEVED);
    assert_int_equal(r->explain->n_samples, 1);
    assert_true(r->explain->samples[0]->value == 92);
    ismo__v1__reply__free_unpacked(r, NULL);
}

/* ---- explain ---- */

static void test_explain(void **state)
{
    (void)state;
    obj x;
    int64_t now = ismo_now_ms();
    complete(&x, "EXP-1", 90);
    x.m.aggregation = ISMO__V1__AGGREGATION__MEAN;
    x.m.window_ms = 30 * ISMO_DAY_MS;
    put_ok(&x, NULL);
    for (int i = 0; i < 5; i++) {
        push("EXP-1", 80 + i, now - (5 - i) * 3600000);
    }
    push("EXP-1", 10, now - 60 * ISMO_DAY_MS); /* outside the window */
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_explain(C, "EXP-1", 0, 3, &r), ISMO_OK);
    const Ismo__V1__ExplainReply *e = r->explain;
    assert_int_equal(e->objective->version, 1);
    assert_true(e->n_rules >= 1);
    for (size_t i = 0; i < e->n_rules; i++) {
        assert_true(strlen(e->rules[i]) > 0);
    }
    assert_int_equal(e->window_samples, 5);
    assert_int_equal(e->n_samples, 3); /* limited, newest first */
    assert_true(e->samples[0]->value == 84);
    assert_true(e->samples[1]->value == 83);
    assert_true(e->samples[2]->value == 82);
    assert_true(e->window_to_ms >= now);
    assert_true(e->window_from_ms <= now - 5 * 3600000);
    assert_true(e->window_from_ms > now - 60 * ISMO_DAY_MS);
    assert_true(e->status->has_value);
    assert_true(fabs(e->status->value - 82) < 1e-9); /* mean of 80..84 */
    Ismo__V1__Status *st = status_of("EXP-1", 0);
    assert_int_equal(e->status->health, st->health);
    ismo__v1__status__free_unpacked(st, NULL);
    ismo__v1__reply__free_unpacked(r, NULL);

    assert_int_equal(ismo_explain(C, "EXP-1", 0, 0, &r), ISMO_OK);
    assert_int_equal(r->explain->n_samples, 5); /* 0 = up to 100 */
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_explain(C, "NO-SUCH", 0, 0, &r), ISMO_ERR_NOT_FOUND);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_explain(C, "", 0, 0, &r), ISMO_ERR_INVALID);
    ismo__v1__reply__free_unpacked(r, NULL);
}

/* ---- bad input ---- */

static void test_bad_input(void **state)
{
    (void)state;
    obj x;
    complete(&x, "BAD-1", 90);
    x.o.has_overdue_repeat_ms = 1;
    x.o.overdue_repeat_ms = -7;
    put_expect(&x, ISMO_ERR_INVALID);
    complete(&x, "BAD-1", 90);
    int64_t offs[1] = {0};
    x.o.reminder_offsets_ms = offs;
    x.o.n_reminder_offsets_ms = 1;
    put_expect(&x, ISMO_ERR_INVALID);
    complete(&x, "BAD-1", 90);
    Ismo__V1__PeriodTarget pt = ISMO__V1__PERIOD_TARGET__INIT;
    Ismo__V1__PeriodTarget *pts[1] = {&pt};
    pt.has_from_ms = pt.has_to_ms = pt.has_target = 1;
    pt.from_ms = 2000;
    pt.to_ms = 1000;
    pt.target = 1;
    x.o.period_targets = pts;
    x.o.n_period_targets = 1;
    put_expect(&x, ISMO_ERR_INVALID);
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_get_objective(C, "BAD-1", 0, &r), ISMO_ERR_NOT_FOUND); /* nothing stored */
    ismo__v1__reply__free_unpacked(r, NULL);

    /* a RATIO sample with a NaN total is rejected on its own */
    complete(&x, "BAD-2", 90);
    put_ok(&x, NULL);
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    Ismo__V1__Sample *arr[1] = {&s};
    s.objective_id = "BAD-2";
    s.has_value = 1;
    s.value = 47;
    s.has_total = 1;
    s.total = NAN;
    assert_int_equal(ismo_push_samples(C, arr, 1, &r), ISMO_ERR_PARTIAL);
    assert_int_equal(r->push_samples->accepted, 0);
    assert_int_equal(r->push_samples->n_rejected, 1);
    assert_int_equal(r->push_samples->rejected[0]->code, ISMO__V1__STATUS_CODE__INVALID_ARGUMENT);
    ismo__v1__reply__free_unpacked(r, NULL);

    /* as-of out of range */
    const char *ids[1] = {"BAD-2"};
    assert_int_equal(ismo_get_status_as_of(C, ids, 1, NULL, -5, &r), ISMO_ERR_INVALID);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_explain(C, "BAD-2", -5, 0, &r), ISMO_ERR_INVALID);
    ismo__v1__reply__free_unpacked(r, NULL);

    /* the server still answers */
    assert_int_equal(ismo_ping(C, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
}

/* One sample, value of total (has_total), for id: the push's status code. */
static ismo_err push_one(const char *id, double v, int has_total, double total, char *msg, size_t msg_len)
{
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    Ismo__V1__Sample *arr[1] = {&s};
    s.objective_id = (char *)id;
    s.has_value = 1;
    s.value = v;
    s.has_total = has_total;
    s.total = total;
    Ismo__V1__Reply *r = NULL;
    ismo_err err = ismo_push_samples(C, arr, 1, &r);
    if (msg && msg_len) {
        snprintf(msg, msg_len, "%s", r && r->message ? r->message : "");
    }
    if (err == ISMO_ERR_PARTIAL) {
        assert_int_equal(r->push_samples->accepted, 0);
        assert_int_equal(r->push_samples->rejected[0]->code, ISMO__V1__STATUS_CODE__INVALID_ARGUMENT);
    }
    ismo__v1__reply__free_unpacked(r, NULL);
    return err;
}

/* A sample must fit its metric: yes/no takes 0 or 1, a ratio 0 <= value <=
 * total, a total only on a ratio metric; nothing refused is stored. */
static void test_sample_fits_metric(void **state)
{
    (void)state;
    obj x;
    char msg[300];
    complete(&x, "FIT-YN", 1);
    x.m.has_value_kind = 1;
    x.m.value_kind = ISMO__V1__VALUE_KIND__YES_NO;
    x.m.unit = "";
    put_ok(&x, NULL);
    assert_int_equal(push_one("FIT-YN", 2, 0, 0, msg, sizeof msg), ISMO_ERR_PARTIAL);
    assert_non_null(strstr(msg, "yes/no"));
    assert_int_equal(push_one("FIT-YN", 0.5, 0, 0, NULL, 0), ISMO_ERR_PARTIAL);
    assert_int_equal(push_one("FIT-YN", -1, 0, 0, NULL, 0), ISMO_ERR_PARTIAL);
    assert_int_equal(push_one("FIT-YN", 0, 0, 0, NULL, 0), ISMO_OK);
    assert_int_equal(push_one("FIT-YN", 1, 0, 0, NULL, 0), ISMO_OK);

    complete(&x, "FIT-RATIO", 90);
    x.m.aggregation = ISMO__V1__AGGREGATION__RATIO;
    put_ok(&x, NULL);
    assert_int_equal(push_one("FIT-RATIO", 12, 1, 10, msg, sizeof msg), ISMO_ERR_PARTIAL);
    assert_non_null(strstr(msg, "0 <= value <= total"));
    assert_int_equal(push_one("FIT-RATIO", -1, 1, 10, NULL, 0), ISMO_ERR_PARTIAL);
    assert_int_equal(push_one("FIT-RATIO", 2, 0, 0, NULL, 0), ISMO_ERR_PARTIAL); /* total absent = 1 */
    assert_int_equal(push_one("FIT-RATIO", 10, 1, 10, NULL, 0), ISMO_OK);
    assert_int_equal(push_one("FIT-RATIO", 1, 0, 0, NULL, 0), ISMO_OK);

    complete(&x, "FIT-NUM", 90);
    put_ok(&x, NULL);
    assert_int_equal(push_one("FIT-NUM", 5, 1, 10, msg, sizeof msg), ISMO_ERR_PARTIAL);
    assert_non_null(strstr(msg, "total"));
    assert_int_equal(push_one("FIT-NUM", 5, 0, 0, NULL, 0), ISMO_OK);

    Ismo__V1__Status *st = status_of("FIT-YN", 0);
    assert_int_equal(st->total_samples, 2);
    ismo__v1__status__free_unpacked(st, NULL);
    st = status_of("FIT-RATIO", 0);
    assert_int_equal(st->total_samples, 2);
    ismo__v1__status__free_unpacked(st, NULL);
    st = status_of("FIT-NUM", 0);
    assert_int_equal(st->total_samples, 1);
    ismo__v1__status__free_unpacked(st, NULL);
}

/* overdue_repeat_ms has a floor of 1 h (-1 and 0 stay allowed). */
static void test_overdue_repeat_floor(void **state)
{
    (void)state;
    obj x;
    complete(&x, "REP-1", 90);
    x.o.has_overdue_repeat_ms = 1;
    x.o.overdue_repeat_ms = 1000;
    put_expect(&x, ISMO_ERR_INVALID);
    x.o.overdue_repeat_ms = 3600000 - 1;
    put_expect(&x, ISMO_ERR_INVALID);
    x.o.overdue_repeat_ms = 3600000;
    put_expect(&x, ISMO_OK);
    x.o.overdue_repeat_ms = 0;
    put_expect(&x, ISMO_OK);
    x.o.overdue_repeat_ms = -1;
    put_expect(&x, ISMO_OK);
}

/* An as-of instant after the server's now (plus the clock skew allowance)
 * is refused: as-of reconstructs, it does not predict. */
static void test_as_of_future_refused(void **state)
{
    (void)state;
    obj x;
    complete(&x, "FUT-1", 90);
    put_ok(&x, NULL);
    int64_t future = ismo_now_ms() + 2 * ISMO_DAY_MS;
    const char *ids[1] = {"FUT-1"};
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_get_status_as_of(C, ids, 1, NULL, future, &r), ISMO_ERR_INVALID);
    assert_non_null(r->message);
    assert_non_null(strstr(r->message, "future"));
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_get_status_as_of(C, NULL, 0, NULL, future, &r), ISMO_ERR_INVALID);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_get_objective_as_of(C, "FUT-1", future, &r), ISMO_ERR_INVALID);
    assert_non_null(strstr(r->message, "future"));
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_explain(C, "FUT-1", future, 0, &r), ISMO_ERR_INVALID);
    assert_non_null(strstr(r->message, "future"));
    ismo__v1__reply__free_unpacked(r, NULL);
    /* within the skew allowance: answered */
    int64_t soon = ismo_now_ms() + 1000;
    assert_int_equal(ismo_get_status_as_of(C, ids, 1, NULL, soon, &r), ISMO_OK);
    assert_int_equal(r->get_status->n_statuses, 1);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_explain(C, "FUT-1", soon, 0, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
}

/* total_samples counts every stored sample, live and as of now alike, also
 * when a sample changes nothing else (outside the window: value, health and
 * window count stay). */
static void test_total_samples_live_and_as_of(void **state)
{
    (void)state;
    obj x;
    int64_t now = ismo_now_ms();
    complete(&x, "TOT-1", 90);
    x.m.aggregation = ISMO__V1__AGGREGATION__MAX;
    x.m.window_ms = ISMO_DAY_MS;
    put_ok(&x, NULL);
    push("TOT-1", 50, now - 3600000);
    push("TOT-1", 40, now - 5 * ISMO_DAY_MS); /* outside the window */
    push("TOT-1", 30, now - 6 * ISMO_DAY_MS); /* outside the window */
    Ismo__V1__Status *st = NULL;
    for (int i = 0; i < 50; i++) { /* the monitor may run after the reply: at most 5 s */
        st = status_of("TOT-1", 0);
        if (st->total_samples == 3) {
            break;
        }
        ismo__v1__status__free_unpacked(st, NULL);
        st = NULL;
        sleep_ms(100);
    }
    if (!st) {
        st = status_of("TOT-1", 0);
        fail_msg("live total_samples %llu, 3 stored", (unsigned long long)st->total_samples);
    }
    assert_int_equal(st->window_samples, 1);
    assert_true(st->value == 50);
    ismo__v1__status__free_unpacked(st, NULL);
    st = status_of("TOT-1", ismo_now_ms() + 1);
    assert_int_equal(st->total_samples, 3);
    ismo__v1__status__free_unpacked(st, NULL);
}

/* ---- replies cut at max_list ---- */

static int setup_small_lists(void **state)
{
    (void)state;
    harness_init(&H);
    H.cfg.max_list = 2;
    harness_start(&H);
    C = ismo_client_new(H.endpoint, "tess");
    assert_non_null(C);
    return 0;
}

static void test_lists_cut_at_max_list(void **state)
{
    (void)state;
    obj x;
    complete(&x, "CUT-1", 90);
    put_ok(&x, NULL);
    Ismo__V1__Review rv = ISMO__V1__REVIEW__INIT;
    rv.objective_id = "CUT-1";
    rv.has_decision = 1;
    rv.decision = ISMO__V1__REVIEW_DECISION__CONTINUE;
    rv.has_reviewed_ms = 1;
    Ismo__V1__Reply *r = NULL;
    sleep_ms(50); /* the reviews are dated after the objective's first version */
    int64_t now = ismo_now_ms();
    const int64_t step = 10; /* ms between the review dates */
    for (int i = 0; i < 3; i++) {
        rv.reviewed_ms = now - (3 - i) * step;
        assert_int_equal(ismo_add_review(C, &rv, &r), ISMO_OK);
        ismo__v1__reply__free_unpacked(r, NULL);
    }
    /* one raw request: cut at 2, the two oldest, more set */
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__ListReviewsRequest lr = ISMO__V1__LIST_REVIEWS_REQUEST__INIT;
    lr.objective_id = "CUT-1";
    req.body_case = ISMO__V1__REQUEST__BODY_LIST_REVIEWS;
    req.list_reviews = &lr;
    assert_int_equal(ismo_client_call(C, &req, &r), ISMO_OK);
    assert_int_equal(r->list_reviews->n_reviews, 2);
    assert_true(r->list_reviews->more);
    assert_int_equal(r->list_reviews->reviews[1]->reviewed_ms, now - 2 * step);
    ismo__v1__reply__free_unpacked(r, NULL);
    lr.has_since_ms = 1;
    lr.since_ms = now - step;
    assert_int_equal(ismo_client_call(C, &req, &r), ISMO_OK);
    assert_int_equal(r->list_reviews->n_reviews, 1);
    assert_false(r->list_reviews->more);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* libismo pages with since_ms and more: all three, in order, once */
    assert_int_equal(ismo_list_reviews(C, "CUT-1", 0, 0, &r), ISMO_OK);
    assert_int_equal(r->list_reviews->n_reviews, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r->list_reviews->reviews[i]->reviewed_ms, now - (3 - i) * step);
    }
    ismo__v1__reply__free_unpacked(r, NULL);

    Ismo__V1__PolicyCommitment p[3] = {ISMO__V1__POLICY_COMMITMENT__INIT, ISMO__V1__POLICY_COMMITMENT__INIT,
                                       ISMO__V1__POLICY_COMMITMENT__INIT};
    Ismo__V1__PolicyCommitment *ps[3] = {&p[0], &p[1], &p[2]};
    p[0].id = "P-1";
    p[1].id = "P-2";
    p[2].id = "P-3";
    assert_int_equal(ismo_put_context(C, ps, 3, NULL, 0, 0, &r), ISMO_ERR_TOO_LARGE); /* > max_list */
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_put_context(C, ps, 2, NULL, 0, 0, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_put_context(C, ps + 2, 1, NULL, 0, 0, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_list_context(C, &r), ISMO_OK);
    assert_int_equal(r->list_context->n_policies, 2);
    assert_true(r->list_context->more);
    ismo__v1__reply__free_unpacked(r, NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_gate_and_lifecycle),
        T(test_lifecycle_after_deadline),
        T(test_gate_not_measurable),
        T(test_cycles_refused),
        T(test_rollup_three_levels),
        T(test_reviews),
        T(test_review_backdated),
        T(test_context),
        T(test_as_of),
        T(test_explain),
        T(test_bad_input),
        T(test_sample_fits_metric),
        T(test_overdue_repeat_floor),
        T(test_as_of_future_refused),
        T(test_total_samples_live_and_as_of),
        cmocka_unit_test_setup_teardown(test_lists_cut_at_max_list, setup_small_lists, teardown),
    };
    return cmocka_run_group_tests_name("ismod_clause62", tests, NULL, NULL);
}
