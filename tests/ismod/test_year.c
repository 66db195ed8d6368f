/* test_year: a year in the life of one objective, on a simulated clock
 * (ismo_config.now_fn) driving an in-process ismod (harness.c). The clock is
 * stepped 6 h at a time and each step waits for the tick the jump triggers.
 * Covered (docs/evaluation.md "Reminders"): per-objective deadline offsets,
 * WORK_SHOULD_START, action due approaching and overdue, REVIEW_DUE from a
 * review date and from the cadence (from the start, then from a review), OVERDUE repeats with escalation after
 * escalate_after unacknowledged reminders, Ack stopping an episode (and the
 * REMINDER_ACKED event on "ack.<function>.<id>"), a later episode after a new
 * deadline, ismod stopped across reminder times and restarted (the missed
 * ones fire once, late), the lifecycle at each deadline (ACTIVE -> MISSED)
 * and after a late sample (MISSED -> ACHIEVED). The complete ordered list of
 * reminder and ack events is asserted: kind, repeat, escalated, audience,
 * late, key and event time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "ismo.h"
#include "ismo_keys.h"
#include "ismo_time.h"
#include "store.h"

#define T0 INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define DAY ISMO_DAY_MS
#define HOUR ISMO_HOUR_MS
#define AT(days) (T0 + (int64_t)(days) * DAY)
#define STEP_MS (6 * HOUR)
#define ID "OBJ-YEAR"

#define D1 AT(200)      /* the first deadline */
#define D2 AT(300)      /* the deadline after the change on day 230 */
#define ACTION_DUE AT(50)

static harness H;
static _Atomic int_least64_t g_clock = T0;
static int64_t g_now = T0;

static int64_t sim_now(void *ctx)
{
    (void)ctx;
    return atomic_load(&g_clock);
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait (at most 10 s) until ismod has run a tick at or after t. */
static void wait_tick(int64_t t)
{
    double until = wall_s() + 10;
    while (ismo_server_ticked_ms(H.server) < t) {
        if (wall_s() > until) {
            fail_msg("no tick at %lld within 10 s (last %lld)", (long long)t,
                     (long long)ismo_server_ticked_ms(H.server));
        }
        usleep(200);
    }
}

/* Step the simulated clock to t, 6 h at a time, each step ticked. */
static void advance_to(int64_t t)
{
    assert_true(t >= g_now);
    while (g_now < t) {
        g_now = g_now + STEP_MS < t ? g_now + STEP_MS : t;
        atomic_store(&g_clock, g_now);
        wait_tick(g_now);
    }
}

/* The objective as its owner writes it; deadline and action 0's status vary. */
static ismo_err put(ismo_client_t *c, int64_t deadline, int action_done)
{
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    Ismo__V1__Action a0 = ISMO__V1__ACTION__INIT, a1 = ISMO__V1__ACTION__INIT;
    Ismo__V1__Action *acts[] = {&a0, &a1};
    int64_t offsets[] = {14 * DAY, 2 * DAY};
    int64_t action_offsets[] = {7 * DAY};
    int64_t review_dates[] = {AT(60)};
    o.id = (char *)ID;
    o.title = (char *)"Patch critical vulnerabilities within 48 h";
    o.function = (char *)"it-ops";
    o.owner = (char *)"alice";
    o.has_level = 1;
    o.level = ISMO__V1__LEVEL__OPERATIONAL;
    m.name = (char *)"patched_within_48h";
    m.unit = (char *)"%";
    m.has_direction = 1;
    m.direction = ISMO__V1__DIRECTION__HIGHER_IS_BETTER;
    m.has_aggregation = 1;
    m.aggregation = ISMO__V1__AGGREGATION__LAST;
    m.has_window_ms = 1;
    m.window_ms = 0;
    o.metric = &m;
    o.has_baseline = 1;
    o.baseline = 0;
    o.has_baseline_at_ms = 1;
    o.baseline_at_ms = T0 - DAY;
    o.has_target = 1;
    o.target = 100;
    o.has_target_mode = 1;
    o.target_mode = ISMO__V1__TARGET_MODE__REACH;
    o.has_start_ms = 1;
    o.start_ms = AT(10);
    o.has_deadline_ms = 1;
    o.deadline_ms = deadline;
    o.evaluation_method = (char *)"monthly scanner report, reviewed by the ISMS manager";
    o.n_reminder_offsets_ms = 2;
    o.reminder_offsets_ms = offsets; /* this objective's, not the server's 30d,7d,1d */
    o.has_escalate_after = 1;
    o.escalate_after = 2;
    o.escalate_to = (char *)"ciso";
    o.n_review_dates_ms = 1;
    o.review_dates_ms = review_dates;
    o.has_review_cadence_ms = 1;
    o.review_cadence_ms = 150 * DAY;
    a0.what = (char *)"Roll out the patch management tool";
    a0.resources = (char *)"2 FTE, tool licence";
    a0.responsible = (char *)"bob";
    a0.has_due_ms = 1;
    a0.due_ms = ACTION_DUE;
    a0.has_status = 1;
    a0.status = action_done ? ISMO__V1__ACTION_STATUS__DONE : ISMO__V1__ACTION_STATUS__IN_PROGRESS;
    a0.n_reminder_offsets_ms = 1;
    a0.reminder_offsets_ms = action_offsets;
    a1.what = (char *)"Inventory of servers";
    a1.resources = (char *)"1 FTE";
    a1.responsible = (char *)"bob";
    a1.has_due_ms = 1;
    a1.due_ms = AT(20);
    a1.has_status = 1;
    a1.status = ISMO__V1__ACTION_STATUS__DONE; /* done: never reminded */
    o.n_actions = 2;
    o.actions = acts;
    Ismo__V1__Reply *r = NULL;
    ismo_err err = ismo_put_objective(c, &o, &r);
    if (err != ISMO_OK) {
        fprintf(stderr, "put: %s: %s\n", ismo_strerror(err), r && r->message ? r->message : "");
    }
    if (r) {
        ismo__v1__reply__free_unpacked(r, NULL);
    }
    return err;
}

static void push(ismo_client_t *c, double value, int64_t effective_ms)
{
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    Ismo__V1__Sample *arr[1] = {&s};
    s.objective_id = (char *)ID;
    s.has_value = 1;
    s.value = value;
    s.has_effective_ms = 1;
    s.effective_ms = effective_ms;
    s.source = (char *)"test";
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_push_samples(c, arr, 1, &r), ISMO_OK);
    assert_int_equal(r->push_samples->accepted, 1);
    ismo__v1__reply__free_unpacked(r, NULL);
}

/* Acknowledge keys (NULL = every outstanding one); returns the reply. */
static Ismo__V1__Reply *ack(ismo_client_t *c, const char *id, const char *const *keys, size_t n, ismo_err want)
{
    Ismo__V1__Reply *r = NULL;
    ismo_err err = ismo_ack(c, id, keys, n, "seen, on it", &r);
    if (err != want) {
        fail_msg("ack %s: %s (want %s): %s", id, ismo_strerror(err), ismo_strerror(want),
                 r && r->message ? r->message : "");
    }
    return r;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void assert_keys(const Ismo__V1__Reply *r, char keys[][96], size_t n)
{
    const char *sorted[16];
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        sorted[i] = keys[i];
    }
    qsort(sorted, n, sizeof sorted[0], key_cmp);
    assert_non_null(r->ack);
    if (r->ack->n_keys != n) {
        for (size_t i = 0; i < r->ack->n_keys; i++) {
            fprintf(stderr, "  acked %s\n", r->ack->keys[i]);
        }
        fail_msg("ack: %zu keys, want %zu", r->ack->n_keys, n);
    }
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(r->ack->keys[i], sorted[i]);
    }
    assert_true(r->ack->has_seq && r->ack->seq > 0);
}

/* One expected event: a reminder (kind > 0) or an ack (kind 0). */
typedef struct want_ev {
    int64_t at_ms;
    int kind;          /* ReminderKind; 0 = REMINDER_ACKED */
    uint32_t repeat;
    int escalated;
    int late;
    const char *audience;
    char key[96];      /* reminder: Reminder.key; ack: its first key */
    size_t n_keys;     /* ack: how many keys */
} want_ev;

static void test_year(void **state)
{
    (void)state;
    double started = wall_s();
    char k[32][96];
    harness_init(&H);
    H.cfg.now_fn = sim_now;
    H.cfg.no_sync = 1;
    atomic_store(&g_clock, T0);
    harness_start(&H);
    wait_tick(T0);
    ismo_client_t *c = ismo_client_new(H.endpoint, "alice");
    ismo_client_set_timeout_ms(c, 5000);
    ismo_sub_t *sub = ismo_sub_new(H.pub_endpoint);
    assert_non_null(sub);
    assert_int_equal(ismo_sub_subscribe(sub, "ack.it-ops."), ISMO_OK);

    /* day 0: created; its lifecycle is ACTIVE (the SMART gate passes) */
    assert_int_equal(put(c, D1, 0), ISMO_OK);
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_get_objective(c, ID, 0, &r), ISMO_OK);
    if (r->get_objective->objective->lifecycle != ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE) {
        fail_msg("lifecycle %s after put (gaps: %zu, first: %s)",
                 ismo_lifecycle_name(r->get_objective->objective->lifecycle),
                 r->get_objective->objective->n_smart_gaps,
                 r->get_objective->objective->n_smart_gaps ? r->get_objective->objective->smart_gaps[0] : "");
    }
    ismo__v1__reply__free_unpacked(r, NULL);

    advance_to(AT(30));
    push(c, 20, AT(30));
    advance_to(AT(66));
    /* the action's episode escalated on day 64: the owner acknowledges its
     * latest key, which acknowledges the whole episode */
    snprintf(k[0], sizeof k[0], "action-overdue:0:%lld:2", (long long)ACTION_DUE);
    const char *one[] = {k[0]};
    r = ack(c, ID, one, 1, ISMO_OK);
    snprintf(k[1], sizeof k[1], "action-overdue:0:%lld", (long long)ACTION_DUE);
    snprintf(k[2], sizeof k[2], "action-overdue:0:%lld:1", (long long)ACTION_DUE);
    assert_keys(r, k, 3);
    uint64_t ack1_seq = r->ack->seq;
    ismo__v1__reply__free_unpacked(r, NULL);
    /* ... published on "ack.it-ops.OBJ-YEAR" */
    Ismo__V1__Event *ev = NULL;
    int got = 0;
    for (int i = 0; i < 20 && !got; i++) {
        if (ismo_sub_recv(sub, 250, &ev) == ISMO_OK && ev) {
            got = ev->kind == ISMO__V1__EVENT_KIND__REMINDER_ACKED && ev->seq == ack1_seq;
            if (got) {
                assert_string_equal(ev->ack->actor, "alice");
                assert_string_equal(ev->ack->note, "seen, on it");
                assert_int_equal(ev->ack->n_keys, 3);
            }
            ismo__v1__event__free_unpacked(ev, NULL);
            ev = NULL;
        }
    }
    assert_true(got);
    /* bad acks lose nothing */
    r = ack(c, "NO-SUCH-OBJECTIVE", NULL, 0, ISMO_ERR_NOT_FOUND);
    ismo__v1__reply__free_unpacked(r, NULL);
    const char *never[] = {"overdue:1"};
    r = ack(c, ID, never, 1, ISMO_ERR_NOT_FOUND);
    ismo__v1__reply__free_unpacked(r, NULL);

    advance_to(AT(100));
    push(c, 50, AT(100));
    /* day 165: a management review (9.3); the review cadence (150 d) now
     * counts from it: the next REVIEW_DUE is day 315, not day 310 */
    advance_to(AT(165));
    Ismo__V1__Review rv = ISMO__V1__REVIEW__INIT;
    rv.objective_id = (char *)ID;
    rv.has_decision = 1;
    rv.decision = ISMO__V1__REVIEW_DECISION__CONTINUE;
    rv.note = (char *)"keep going";
    assert_int_equal(ismo_add_review(c, &rv, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    advance_to(AT(180));
    push(c, 70, AT(180));
    advance_to(AT(215));
    /* the deadline episode escalated on day 214: acknowledge every
     * outstanding reminder: the overdue episode, whole; not the deadline
     * offsets (their deadline passed), the action's approach (done with),
     * the start or the review reminders (not outstanding) */
    r = ack(c, ID, NULL, 0, ISMO_OK);
    size_t n = 0;
    snprintf(k[n++], sizeof k[0], "overdue:%lld", (long long)D1);
    snprintf(k[n++], sizeof k[0], "overdue:%lld:1", (long long)D1);
    snprintf(k[n++], sizeof k[0], "overdue:%lld:2", (long long)D1);
    assert_keys(r, k, n);
    ismo__v1__reply__free_unpacked(r, NULL);

    /* day 230: a management decision moves the deadline (a new episode) and
     * the action is done */
    advance_to(AT(230));
    assert_int_equal(put(c, D2, 1), ISMO_OK);
    advance_to(AT(250));
    push(c, 80, AT(250));
    advance_to(AT(305));

    /* ismod is down from day 305 to day 318: OVERDUE repeat 1 (day 307) and
     * 2 (day 314) and the review due on day 315 pass while it is down */
    ismo_client_destroy(&c);
    ismo_sub_destroy(&sub);
    harness_stop(&H);
    g_now = AT(318);
    atomic_store(&g_clock, g_now);
    harness_start(&H);
    wait_tick(g_now);
    c = ismo_client_new(H.endpoint, "alice");
    ismo_client_set_timeout_ms(c, 5000);
    advance_to(AT(322));
    r = ack(c, ID, NULL, 0, ISMO_OK);
    n = 0;
    snprintf(k[n++], sizeof k[0], "overdue:%lld", (long long)D2);
    snprintf(k[n++], sizeof k[0], "overdue:%lld:2", (long long)D2);
    snprintf(k[n++], sizeof k[0], "overdue:%lld:3", (long long)D2);
    assert_keys(r, k, n);
    ismo__v1__reply__free_unpacked(r, NULL);
    advance_to(AT(323));
    /* nothing outstanding: OK, zero keys, said in the message */
    r = ack(c, ID, NULL, 0, ISMO_OK);
    assert_int_equal(r->ack->n_keys, 0);
    assert_non_null(r->message);
    assert_non_null(strstr(r->message, "nothing outstanding"));
    ismo__v1__reply__free_unpacked(r, NULL);

    /* day 330: a late sample (measured on day 299) changes the final health */
    advance_to(AT(330));
    push(c, 100, AT(299));
    advance_to(AT(365));

    /* ---- the complete ordered list of reminder and ack events ---- */
    const char *al = "alice", *ci = "ciso";
    enum {
        START = ISMO__V1__REMINDER_KIND__WORK_SHOULD_START,
        APPROACH = ISMO__V1__REMINDER_KIND__DEADLINE_APPROACHING,
        OVERDUE = ISMO__V1__REMINDER_KIND__OVERDUE,
        REVIEW = ISMO__V1__REMINDER_KIND__REVIEW_DUE,
        A_APPROACH = ISMO__V1__REMINDER_KIND__ACTION_DUE_APPROACHING,
        A_OVERDUE = ISMO__V1__REMINDER_KIND__ACTION_OVERDUE,
        ACK = 0
    };
    want_ev want[] = {
        {AT(10), START, 0, 0, 0, al, "", 0},
        {AT(43), A_APPROACH, 0, 0, 0, al, "", 0},
        {AT(50), A_OVERDUE, 0, 0, 0, al, "", 0},
        {AT(57), A_OVERDUE, 1, 0, 0, al, "", 0},
        {AT(60), REVIEW, 0, 0, 0, al, "", 0},
        {AT(64), A_OVERDUE, 2, 1, 0, ci, "", 0},
        {AT(66), ACK, 0, 0, 0, NULL, "", 3},
        {AT(160), REVIEW, 0, 0, 0, al, "", 0},
        {AT(186), APPROACH, 0, 0, 0, al, "", 0},
        {AT(198), APPROACH, 0, 0, 0, al, "", 0},
        {AT(200), OVERDUE, 0, 0, 0, al, "", 0},
        {AT(207), OVERDUE, 1, 0, 0, al, "", 0},
        {AT(214), OVERDUE, 2, 1, 0, ci, "", 0},
        {AT(215), ACK, 0, 0, 0, NULL, "", 3},
        {AT(286), APPROACH, 0, 0, 0, al, "", 0},
        {AT(298), APPROACH, 0, 0, 0, al, "", 0},
        {AT(300), OVERDUE, 0, 0, 0, al, "", 0},
        {AT(318), REVIEW, 0, 0, 1, al, "", 0},  /* late: day 315 (review + cadence) passed while ismod was down */
        {AT(318), OVERDUE, 2, 0, 1, al, "", 0}, /* late; repeat 1 suppressed */
        {AT(321), OVERDUE, 3, 1, 0, ci, "", 0},
        {AT(322), ACK, 0, 0, 0, NULL, "", 3},
    };
    size_t nw = sizeof want / sizeof want[0];
    int i = 0;
    snprintf(want[i++].key, 96, "start:%lld", (long long)AT(10));
    snprintf(want[i++].key, 96, "action-due:0:%lld:%lld", (long long)ACTION_DUE, (long long)(7 * DAY));
    snprintf(want[i++].key, 96, "action-overdue:0:%lld", (long long)ACTION_DUE);
    snprintf(want[i++].key, 96, "action-overdue:0:%lld:1", (long long)ACTION_DUE);
    snprintf(want[i++].key, 96, "review:%lld", (long long)AT(60));
    snprintf(want[i++].key, 96, "action-overdue:0:%lld:2", (long long)ACTION_DUE);
    snprintf(want[i++].key, 96, "action-overdue:0:%lld", (long long)ACTION_DUE);
    snprintf(want[i++].key, 96, "review:%lld", (long long)AT(160));
    snprintf(want[i++].key, 96, "deadline:%lld:%lld", (long long)D1, (long long)(14 * DAY));
    snprintf(want[i++].key, 96, "deadline:%lld:%lld", (long long)D1, (long long)(2 * DAY));
    snprintf(want[i++].key, 96, "overdue:%lld", (long long)D1);
    snprintf(want[i++].key, 96, "overdue:%lld:1", (long long)D1);
    snprintf(want[i++].key, 96, "overdue:%lld:2", (long long)D1);
    snprintf(want[i++].key, 96, "overdue:%lld", (long long)D1); /* ack: the episode only */
    snprintf(want[i++].key, 96, "deadline:%lld:%lld", (long long)D2, (long long)(14 * DAY));
    snprintf(want[i++].key, 96, "deadline:%lld:%lld", (long long)D2, (long long)(2 * DAY));
    snprintf(want[i++].key, 96, "overdue:%lld", (long long)D2);
    snprintf(want[i++].key, 96, "review:%lld", (long long)AT(315));
    snprintf(want[i++].key, 96, "overdue:%lld:2", (long long)D2);
    snprintf(want[i++].key, 96, "overdue:%lld:3", (long long)D2);
    snprintf(want[i++].key, 96, "overdue:%lld", (long long)D2); /* ack: the episode only */
    assert_int_equal((size_t)i, nw);

    assert_int_equal(ismo_list_events(c, 0, 0, NULL, 0, &r), ISMO_OK);
    const Ismo__V1__ListEventsReply *le = r->list_events;
    size_t got_n = 0;
    int ismod_lifecycle = 0;
    int64_t lc_at[3] = {0};
    int lc_old[3] = {0}, lc_new[3] = {0};
    for (size_t e = 0; e < le->n_events; e++) {
        const Ismo__V1__Event *x = le->events[e];
        if (!x->objective_id || strcmp(x->objective_id, ID) != 0) {
            continue;
        }
        if (x->kind == ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED && x->objective_change->actor &&
            strcmp(x->objective_change->actor, "ismod") == 0) {
            assert_true(ismod_lifecycle < 3);
            lc_at[ismod_lifecycle] = x->time_ms;
            lc_old[ismod_lifecycle] = x->objective_change->old_lifecycle;
            lc_new[ismod_lifecycle] = x->objective_change->new_lifecycle;
            ismod_lifecycle++;
            continue;
        }
        if (x->kind != ISMO__V1__EVENT_KIND__REMINDER && x->kind != ISMO__V1__EVENT_KIND__REMINDER_ACKED) {
            continue;
        }
        if (got_n >= nw) {
            fail_msg("unexpected event #%llu at day %.2f: %s", (unsigned long long)x->seq,
                     (double)(x->time_ms - T0) / DAY, x->message);
        }
        const want_ev *w = &want[got_n];
        char where[200];
        snprintf(where, sizeof where, "event %zu (#%llu, day %.2f, want day %.2f): %s", got_n,
                 (unsigned long long)x->seq, (double)(x->time_ms - T0) / DAY, (double)(w->at_ms - T0) / DAY,
                 x->message);
        if (x->time_ms != w->at_ms) {
            fail_msg("time: %s", where);
        }
        if (w->kind == ACK) {
            if (x->kind != ISMO__V1__EVENT_KIND__REMINDER_ACKED || x->payload_case != ISMO__V1__EVENT__PAYLOAD_ACK) {
                fail_msg("want an ack: %s", where);
            }
            assert_int_equal(x->ack->n_keys, w->n_keys);
            assert_string_equal(x->ack->keys[0], w->key);
            assert_string_equal(x->ack->actor, "alice");
        } else {
            if (x->kind != ISMO__V1__EVENT_KIND__REMINDER || (int)x->reminder->reminder_kind != w->kind) {
                fail_msg("want %s: %s", ismo_reminder_kind_name(w->kind), where);
            }
            const Ismo__V1__Reminder *rm = x->reminder;
            if (rm->repeat != w->repeat || rm->escalated != w->escalated || rm->late != w->late) {
                fail_msg("repeat %u escalated %d late %d, want %u %d %d: %s", rm->repeat, rm->escalated, rm->late,
                         w->repeat, w->escalated, w->late, where);
            }
            assert_string_equal(rm->audience, w->audience);
            assert_string_equal(rm->owner, "alice");
            assert_string_equal(rm->key, w->key);
            if (w->kind == A_APPROACH || w->kind == A_OVERDUE) {
                assert_true(rm->has_action_index);
                assert_int_equal(rm->action_index, 0);
                assert_string_equal(rm->action, "Roll out the patch management tool");
            }
        }
        got_n++;
    }
    if (got_n != nw) {
        fail_msg("%zu reminder/ack events, want %zu", got_n, nw);
    }
    /* lifecycle: ACTIVE -> MISSED at each deadline, MISSED -> ACHIEVED after
     * the late sample, each a version by ismod */
    assert_int_equal(ismod_lifecycle, 3);
    const int64_t want_at[3] = {D1, D2, AT(330)};
    const int want_old[3] = {ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE, ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE,
                             ISMO__V1__LIFECYCLE__LIFECYCLE_MISSED};
    const int want_new[3] = {ISMO__V1__LIFECYCLE__LIFECYCLE_MISSED, ISMO__V1__LIFECYCLE__LIFECYCLE_MISSED,
                             ISMO__V1__LIFECYCLE__LIFECYCLE_ACHIEVED};
    for (int j = 0; j < 3; j++) {
        assert_int_equal(lc_at[j], want_at[j]);
        assert_int_equal(lc_old[j], want_old[j]);
        assert_int_equal(lc_new[j], want_new[j]);
    }
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_get_objective(c, ID, 0, &r), ISMO_OK);
    const Ismo__V1__Objective *cur = r->get_objective->objective;
    assert_int_equal(cur->lifecycle, ISMO__V1__LIFECYCLE__LIFECYCLE_ACHIEVED);
    assert_string_equal(cur->updated_by, "ismod");
    assert_non_null(strstr(cur->change_reason, "lifecycle: missed -> achieved (deadline 2026-10-27 passed"));
    ismo__v1__reply__free_unpacked(r, NULL);

    ismo_client_destroy(&c);
    harness_stop(&H);
    harness_cleanup(&H);
    double took = wall_s() - started;
    fprintf(stderr, "test_year: a simulated year in %.1f s\n", took);
}

static void keygen(const char *dir, const char *name, const char *role, char *secret, size_t len)
{
    char path[500], why[300];
    const char *meta[2][2] = {{"name", name}, {"role", role}};
    snprintf(path, sizeof path, "%s/%s.cert", dir, name);
    assert_int_equal(ismo_keys_generate(path, (const char *const(*)[2])meta, 2, NULL, why, sizeof why), ISMO_OK);
    snprintf(secret, len, "%s_secret", path);
}

/* With CURVE: an owner acknowledges only reminders of its own objectives
 * (the PutObjective rule), an auditor none; a refusal writes nothing. */
static void test_ack_owner_only(void **state)
{
    (void)state;
    char keys[400], certs[400], server_secret[600], server_pub[600], alice[600], mallory[600], auditor[600];
    harness_init(&H);
    snprintf(keys, sizeof keys, "%s/keys", H.dir);
    snprintf(certs, sizeof certs, "%s/certs", H.dir);
    mkdir(keys, 0700);
    mkdir(certs, 0700);
    keygen(keys, "server", "server", server_secret, sizeof server_secret);
    snprintf(server_pub, sizeof server_pub, "%s/server.cert", keys);
    keygen(certs, "alice", "owner", alice, sizeof alice);
    keygen(certs, "mallory", "owner", mallory, sizeof mallory);
    keygen(certs, "audrey", "auditor", auditor, sizeof auditor);
    H.cfg.insecure = 0;
    snprintf(H.cfg.curve_cert, sizeof H.cfg.curve_cert, "%s", server_secret);
    snprintf(H.cfg.certs_dir, sizeof H.cfg.certs_dir, "%s", certs);
    H.cfg.now_fn = sim_now;
    H.cfg.no_sync = 1;
    g_now = T0;
    atomic_store(&g_clock, T0);
    harness_start(&H);
    wait_tick(T0);
    ismo_client_t *ca = ismo_client_new(H.endpoint, "alice");
    ismo_client_t *cm = ismo_client_new(H.endpoint, "mallory");
    ismo_client_t *cu = ismo_client_new(H.endpoint, "audrey");
    assert_int_equal(ismo_client_set_curve(ca, server_pub, alice), ISMO_OK);
    assert_int_equal(ismo_client_set_curve(cm, server_pub, mallory), ISMO_OK);
    assert_int_equal(ismo_client_set_curve(cu, server_pub, auditor), ISMO_OK);
    ismo_client_set_timeout_ms(ca, 5000);
    ismo_client_set_timeout_ms(cm, 5000);
    ismo_client_set_timeout_ms(cu, 5000);
    assert_int_equal(put(ca, D1, 0), ISMO_OK); /* owner alice: her own */
    advance_to(AT(12)); /* WORK_SHOULD_START fired on day 10 */
    Ismo__V1__Reply *r = ack(cm, ID, NULL, 0, ISMO_ERR_PERMISSION);
    assert_non_null(strstr(r->message, "owner"));
    ismo__v1__reply__free_unpacked(r, NULL);
    r = ack(cu, ID, NULL, 0, ISMO_ERR_PERMISSION);
    ismo__v1__reply__free_unpacked(r, NULL);
    char k[1][96];
    snprintf(k[0], sizeof k[0], "start:%lld", (long long)AT(10));
    const char *start_key[1] = {k[0]};
    r = ack(cm, ID, start_key, 1, ISMO_ERR_PERMISSION);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* WORK_SHOULD_START is not outstanding (nothing to ack without keys);
     * named, it is acknowledged */
    r = ack(ca, ID, NULL, 0, ISMO_OK);
    assert_int_equal(r->ack->n_keys, 0);
    ismo__v1__reply__free_unpacked(r, NULL);
    r = ack(ca, ID, start_key, 1, ISMO_OK);
    assert_keys(r, k, 1); /* the refusals acknowledged nothing */
    ismo__v1__reply__free_unpacked(r, NULL);
    ismo_client_destroy(&ca);
    ismo_client_destroy(&cm);
    ismo_client_destroy(&cu);
    harness_stop(&H);
    harness_cleanup(&H);
}

/* Set the data directory's "reminders_v2" marker (0 = as written by an
 * ismod from before the new reminder kinds). ismod must be stopped. */
static void set_marker(uint64_t value, uint64_t *old)
{
    ismo_store_t *st = NULL;
    ismo_txn_t *txn = NULL;
    char why[300];
    ismo_store_opts so = ismo_store_opts_default();
    assert_int_equal(ismo_store_open(H.cfg.data_dir, &so, &st, why, sizeof why), ISMO_OK);
    assert_int_equal(ismo_txn_begin(st, 1, &txn), ISMO_OK);
    if (old) {
        assert_int_equal(ismo_store_meta_get(txn, "reminders_v2", old), ISMO_OK);
    }
    assert_int_equal(ismo_store_meta_put(txn, "reminders_v2", value), ISMO_OK);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
    ismo_store_destroy(&st);
}

/* An upgrade: a data directory from an ismod without the new reminder kinds
 * does not announce their past times at the first start (recorded as
 * suppressed); what comes later is announced as usual. */
static void test_upgrade_is_quiet(void **state)
{
    (void)state;
    harness_init(&H);
    H.cfg.now_fn = sim_now;
    H.cfg.no_sync = 1;
    g_now = T0;
    atomic_store(&g_clock, T0);
    harness_start(&H);
    wait_tick(T0);
    ismo_client_t *c = ismo_client_new(H.endpoint, "alice");
    ismo_client_set_timeout_ms(c, 5000);
    assert_int_equal(put(c, D1, 0), ISMO_OK);
    advance_to(AT(1));
    ismo_client_destroy(&c);
    harness_stop(&H);
    uint64_t was = 0;
    set_marker(0, &was);
    assert_int_equal(was, 1); /* written at the first start's catch-up */
    /* down until day 65: start (10), action approaching (43), overdue (50,
     * 57, 64) and the review date (60) passed */
    g_now = AT(65);
    atomic_store(&g_clock, g_now);
    harness_start(&H);
    wait_tick(g_now);
    c = ismo_client_new(H.endpoint, "alice");
    ismo_client_set_timeout_ms(c, 5000);
    advance_to(AT(72));
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_list_events(c, 0, 0, NULL, ISMO__V1__EVENT_KIND__REMINDER, &r), ISMO_OK);
    size_t n = 0;
    for (size_t e = 0; e < r->list_events->n_events; e++) {
        const Ismo__V1__Event *x = r->list_events->events[e];
        if (strcmp(x->objective_id, ID) != 0) {
            continue;
        }
        n++;
        /* only the repeat that came after the upgrade */
        if (x->reminder->reminder_kind != ISMO__V1__REMINDER_KIND__ACTION_OVERDUE || x->reminder->repeat != 3 ||
            x->time_ms != AT(71) || x->reminder->late || x->reminder->escalated) {
            fail_msg("unexpected reminder at day %.2f: %s", (double)(x->time_ms - T0) / DAY, x->message);
        }
    }
    assert_int_equal(n, 1);
    ismo__v1__reply__free_unpacked(r, NULL);
    ismo_client_destroy(&c);
    harness_stop(&H);
    set_marker(1, &was);
    assert_int_equal(was, 1); /* the catch-up wrote it again */
    harness_cleanup(&H);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_year),
        cmocka_unit_test(test_ack_owner_only),
        cmocka_unit_test(test_upgrade_is_quiet),
    };
    return cmocka_run_group_tests_name("year", tests, NULL, NULL);
}
