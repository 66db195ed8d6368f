/* test_scheduler: reminder decisions of server/scheduler.h with offsets
 * 30 d, 7 d, 1 d; OVERDUE repeats and escalation, acknowledgements, action
 * reminders, work-should-start, review dates and cadence, late reminders. A small in-memory map of reminder keys plays the store's
 * part (what fired, what was suppressed), and every decision is recorded in
 * it the way server/monitor.c records it: suppressed -> SUPPRESSED, else
 * FIRED. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ismo_time.h"
#include "scheduler.h"

#define T0 INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define DAY ISMO_DAY_MS
#define HOUR ISMO_HOUR_MS

/* ---- a tiny map of fired keys ---- */
#define MAP_CAP 64
typedef struct keymap {
    char key[MAP_CAP][ISMO_REMINDER_KEY_BYTES];
    int state[MAP_CAP];
    size_t n;
    unsigned calls;
} keymap;

static int map_get(void *ctx, const char *key)
{
    keymap *m = ctx;
    m->calls++;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->key[i], key) == 0) {
            return m->state[i];
        }
    }
    return ISMO_REMINDER_NOT_FIRED;
}

static void map_set(keymap *m, const char *key, int state)
{
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->key[i], key) == 0) {
            m->state[i] = state;
            return;
        }
    }
    assert_true(m->n < MAP_CAP);
    snprintf(m->key[m->n], ISMO_REMINDER_KEY_BYTES, "%s", key);
    m->state[m->n++] = state;
}

/* Record what ismo_schedule asked for, as the server would. */
static void record(keymap *m, const ismo_reminder_due *due, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        map_set(m, due[i].key, due[i].suppress ? ISMO_REMINDER_SUPPRESSED : ISMO_REMINDER_FIRED);
    }
}

/* The store's count: keys with prefix that fired with an event. */
static uint32_t map_count(void *ctx, const char *prefix)
{
    keymap *m = ctx;
    uint32_t n = 0;
    for (size_t i = 0; i < m->n; i++) {
        n += strncmp(m->key[i], prefix, strlen(prefix)) == 0 && m->state[i] == ISMO_REMINDER_FIRED;
    }
    return n;
}

static size_t count_published(const ismo_reminder_due *due, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += !due[i].suppress;
    }
    return k;
}

static const int64_t offsets[] = {30 * DAY, 7 * DAY, 1 * DAY};

typedef struct fixture {
    Ismo__V1__Metric metric;
    Ismo__V1__Objective o;
    keymap map;
    ismo_schedule_input in;
    ismo_reminder_due due[ISMO_MAX_REMINDER_OFFSETS + 4];
    uint32_t outstanding;
} fixture;

/* WORK_SHOULD_START of the current start is decided already (most tests
 * are about other kinds). */
static void quiet_start(fixture *f)
{
    char key[ISMO_REMINDER_KEY_BYTES];
    snprintf(key, sizeof key, "start:%lld", (long long)f->o.start_ms);
    map_set(&f->map, key, ISMO_REMINDER_SUPPRESSED);
}

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    f.metric = m;
    f.o = o;
    f.o.id = "OBJ-1";
    f.o.function = "it-ops";
    f.o.title = "Patch critical vulnerabilities within 48h";
    f.o.owner = "Head of IT";
    f.o.metric = &f.metric;
    f.o.has_target = 1;
    f.o.target = 48;
    f.o.has_start_ms = 1;
    f.o.start_ms = T0;
    f.o.has_deadline_ms = 1;
    f.o.deadline_ms = T0 + 100 * DAY;
    f.in.objective = &f.o;
    f.in.health = ISMO__V1__HEALTH__ON_TRACK;
    f.in.last_sample_ms = 0;
    f.in.offsets_ms = offsets;
    f.in.n_offsets = 3;
    quiet_start(&f);
    *state = &f;
    return 0;
}

static size_t run_at(fixture *f, int64_t now)
{
    f->in.now_ms = now;
    f->outstanding = 0xdeadbeef;
    return ismo_schedule(&f->in, map_get, map_count, &f->map, f->due, sizeof f->due / sizeof f->due[0],
                         &f->outstanding, NULL);
}

static void test_nothing_before_30d(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_at(f, f->o.deadline_ms - 30 * DAY - 1), 0);
    assert_int_equal(f->outstanding, 0);
    assert_int_equal(run_at(f, T0 + DAY), 0);
    assert_int_equal(f->outstanding, 0);
}

static void test_30d_fires_once(void **state)
{
    fixture *f = *state;
    int64_t dl = f->o.deadline_ms;
    size_t n = run_at(f, dl - 30 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__DEADLINE_APPROACHING);
    assert_int_equal(f->due[0].offset_ms, 30 * DAY);
    assert_int_equal(f->due[0].due_ms, dl);
    assert_int_equal(f->due[0].suppress, 0);
    char want[ISMO_REMINDER_KEY_BYTES];
    snprintf(want, sizeof want, "deadline:%lld:%lld", (long long)dl, (long long)(30 * DAY));
    assert_string_equal(f->due[0].key, want);
    assert_int_equal(f->outstanding, 1);
    record(&f->map, f->due, n);

    /* same condition an hour later: the callback says FIRED, nothing new */
    n = run_at(f, dl - 30 * DAY + HOUR);
    assert_int_equal(n, 0);
    assert_int_equal(f->outstanding, 1);
    /* and again on day 80 (7 d not yet due) */
    n = run_at(f, dl - 8 * DAY);
    assert_int_equal(n, 0);
    assert_int_equal(f->outstanding, 1);

    /* 7 d later: 7 d fires, published (30 d already spoke earlier) */
    n = run_at(f, dl - 7 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].offset_ms, 7 * DAY);
    assert_int_equal(f->due[0].suppress, 0);
    assert_int_equal(f->outstanding, 2);
    record(&f->map, f->due, n);
    n = run_at(f, dl - 1 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].offset_ms, 1 * DAY);
    assert_int_equal(f->due[0].suppress, 0);
    assert_int_equal(f->outstanding, 3);
    record(&f->map, f->due, n);
    assert_int_equal(run_at(f, dl - 1), 0);
    assert_int_equal(f->outstanding, 3);
}

static void test_created_5d_before_deadline(void **state)
{
    fixture *f = *state;
    int64_t now = T0 + 10 * DAY;
    f->o.start_ms = now;
    f->o.deadline_ms = now + 5 * DAY;
    quiet_start(f);
    size_t n = run_at(f, now);
    /* 7 d fires; 30 d is recorded as suppressed; 1 d not yet due */
    assert_int_equal(count_published(f->due, n), 1);
    int saw7 = 0, saw30 = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(f->due[i].kind, ISMO__V1__REMINDER_KIND__DEADLINE_APPROACHING);
        if (f->due[i].offset_ms == 7 * DAY) {
            saw7 = 1;
            assert_int_equal(f->due[i].suppress, 0);
        } else if (f->due[i].offset_ms == 30 * DAY) {
            saw30 = 1;
            assert_int_equal(f->due[i].suppress, 1);
        } else {
            fail_msg("unexpected offset %lld", (long long)f->due[i].offset_ms);
        }
    }
    assert_true(saw7);
    assert_true(saw30);
    assert_int_equal(f->outstanding, 1); /* the suppressed one does not count */
    record(&f->map, f->due, n);

    /* next tick: nothing new; 30 d stays silent */
    n = run_at(f, now + HOUR);
    assert_int_equal(n, 0);
    assert_int_equal(f->outstanding, 1);

    /* the last day: 1 d fires alone */
    n = run_at(f, f->o.deadline_ms - DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].offset_ms, DAY);
    assert_int_equal(f->due[0].suppress, 0);
    assert_int_equal(f->outstanding, 2);
}

static void test_all_offsets_due_at_once_only_nearest(void **state)
{
    fixture *f = *state;
    /* offsets given in any order */
    static const int64_t shuffled[] = {7 * DAY, 1 * DAY, 30 * DAY};
    f->in.offsets_ms = shuffled;
    size_t n = run_at(f, f->o.deadline_ms - 12 * HOUR);
    assert_int_equal(n, 3);
    assert_int_equal(count_published(f->due, n), 1);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(f->due[i].suppress, f->due[i].offset_ms != DAY);
    }
    assert_int_equal(f->outstanding, 1);
}

static void test_overdue_fires_once(void **state)
{
    fixture *f = *state;
    f->in.health = ISMO__V1__HEALTH__MISSED;
    int64_t dl = f->o.deadline_ms;
    size_t n = run_at(f, dl);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__OVERDUE);
    assert_int_equal(f->due[0].due_ms, dl);
    assert_int_equal(f->due[0].suppress, 0);
    char want[ISMO_REMINDER_KEY_BYTES];
    snprintf(want, sizeof want, "overdue:%lld", (long long)dl);
    assert_string_equal(f->due[0].key, want);
    assert_int_equal(f->outstanding, 1);
    record(&f->map, f->due, n);
    assert_int_equal(run_at(f, dl + DAY), 0);
    assert_int_equal(f->outstanding, 1);
    assert_int_equal(run_at(f, dl + 30 * DAY), 0);
    assert_int_equal(f->outstanding, 1);
}

static void test_no_reminders_when_achieved(void **state)
{
    fixture *f = *state;
    f->metric.has_frequency_ms = 1;
    f->metric.frequency_ms = DAY;
    f->in.last_sample_ms = T0;
    f->in.health = ISMO__V1__HEALTH__ACHIEVED;
    assert_int_equal(run_at(f, f->o.deadline_ms - 12 * HOUR), 0);
    assert_int_equal(f->outstanding, 0);
    assert_int_equal(run_at(f, f->o.deadline_ms + DAY), 0);
    assert_int_equal(f->outstanding, 0);
    assert_int_equal(f->map.n, 1); /* only the start key of setup */
}

static void test_no_reminders_when_retired(void **state)
{
    fixture *f = *state;
    f->metric.has_frequency_ms = 1;
    f->metric.frequency_ms = DAY;
    f->in.last_sample_ms = T0;
    f->o.has_retired = 1;
    f->o.retired = 1;
    f->in.health = ISMO__V1__HEALTH__OFF_TRACK;
    assert_int_equal(run_at(f, f->o.deadline_ms - 12 * HOUR), 0);
    assert_int_equal(run_at(f, f->o.deadline_ms + DAY), 0);
    assert_int_equal(f->outstanding, 0);
}

static void test_metric_stale(void **state)
{
    fixture *f = *state;
    f->o.has_deadline_ms = 0; /* keep deadline reminders out of the way */
    f->o.deadline_ms = 0;
    f->metric.has_frequency_ms = 1;
    f->metric.frequency_ms = DAY;
    int64_t last = T0 + 10 * DAY;
    f->in.last_sample_ms = last;

    /* exactly at last + frequency: not yet stale (now must be > ) */
    assert_int_equal(run_at(f, last + DAY), 0);
    size_t n = run_at(f, last + DAY + 1);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__METRIC_STALE);
    assert_int_equal(f->due[0].due_ms, last + DAY);
    assert_int_equal(f->due[0].suppress, 0);
    char want[ISMO_REMINDER_KEY_BYTES];
    snprintf(want, sizeof want, "stale:%lld", (long long)last);
    assert_string_equal(f->due[0].key, want);
    assert_int_equal(f->outstanding, 1);
    record(&f->map, f->due, n);
    assert_int_equal(run_at(f, last + 3 * DAY), 0);
    assert_int_equal(f->outstanding, 1);

    /* a new sample re-arms: not stale right after it, stale again a day later */
    int64_t last2 = last + 3 * DAY;
    f->in.last_sample_ms = last2;
    assert_int_equal(run_at(f, last2 + HOUR), 0);
    assert_int_equal(f->outstanding, 0);
    n = run_at(f, last2 + 2 * DAY);
    assert_int_equal(n, 1);
    snprintf(want, sizeof want, "stale:%lld", (long long)last2);
    assert_string_equal(f->due[0].key, want);
    assert_int_equal(f->due[0].due_ms, last2 + DAY);
}

static void test_stale_without_samples_counts_from_start(void **state)
{
    fixture *f = *state;
    f->o.has_deadline_ms = 0;
    f->o.deadline_ms = 0;
    f->metric.has_frequency_ms = 1;
    f->metric.frequency_ms = 7 * DAY;
    assert_int_equal(run_at(f, T0 + 7 * DAY), 0);
    size_t n = run_at(f, T0 + 8 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__METRIC_STALE);
    assert_int_equal(f->due[0].due_ms, T0 + 7 * DAY);
}

/* scheduler.h: with no sample yet, stale counts from max(start, updated_ms). */
static void test_stale_without_samples_counts_from_definition(void **state)
{
    fixture *f = *state;
    f->o.has_deadline_ms = 0;
    f->o.deadline_ms = 0;
    f->metric.has_frequency_ms = 1;
    f->metric.frequency_ms = 7 * DAY;
    f->o.has_updated_ms = 1;
    f->o.updated_ms = T0 + 20 * DAY; /* imported long after the start */
    assert_int_equal(run_at(f, T0 + 21 * DAY), 0);
    assert_int_equal(run_at(f, T0 + 27 * DAY), 0);
    size_t n = run_at(f, T0 + 27 * DAY + 1);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__METRIC_STALE);
    assert_int_equal(f->due[0].due_ms, T0 + 27 * DAY);
}

static void test_changed_deadline_rearms(void **state)
{
    fixture *f = *state;
    int64_t dl = f->o.deadline_ms;
    size_t n = run_at(f, dl - 7 * DAY);
    assert_int_equal(count_published(f->due, n), 1);
    record(&f->map, f->due, n);
    assert_int_equal(run_at(f, dl - 7 * DAY + HOUR), 0);

    /* deadline moved 60 days later: at 30 d before the new one, 30 d fires */
    int64_t dl2 = dl + 60 * DAY;
    f->o.deadline_ms = dl2;
    n = run_at(f, dl2 - 30 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].offset_ms, 30 * DAY);
    assert_int_equal(f->due[0].due_ms, dl2);
    char want[ISMO_REMINDER_KEY_BYTES];
    snprintf(want, sizeof want, "deadline:%lld:%lld", (long long)dl2, (long long)(30 * DAY));
    assert_string_equal(f->due[0].key, want);
    /* reminders of the old deadline no longer count as outstanding */
    assert_int_equal(f->outstanding, 1);
    record(&f->map, f->due, n);
    n = run_at(f, dl2 - 7 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].offset_ms, 7 * DAY);
    assert_int_equal(f->due[0].suppress, 0);

    /* overdue is keyed by the deadline too */
    f->in.health = ISMO__V1__HEALTH__MISSED;
    record(&f->map, f->due, n);
    n = run_at(f, dl2 + DAY);
    assert_int_equal(n, 1);
    record(&f->map, f->due, n);
    f->o.deadline_ms = dl2 + 10 * DAY;
    n = run_at(f, dl2 + 11 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__OVERDUE);
    assert_int_equal(f->due[0].due_ms, dl2 + 10 * DAY);
}

static void test_duplicate_offsets_one_key(void **state)
{
    fixture *f = *state;
    static const int64_t dup[] = {7 * DAY, 7 * DAY};
    f->in.offsets_ms = dup;
    f->in.n_offsets = 2;
    size_t n = run_at(f, f->o.deadline_ms - 6 * DAY);
    /* one reminder per objective and offset: a key is asked for at most once */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            assert_string_not_equal(f->due[i].key, f->due[j].key);
        }
    }
    assert_int_equal(count_published(f->due, n), 1);
}

static void test_reminder_message(void **state)
{
    fixture *f = *state;
    size_t n = run_at(f, f->o.deadline_ms - 7 * DAY);
    assert_int_equal(n, 2); /* 7 d published, 30 d recorded as suppressed */
    assert_int_equal(f->due[0].offset_ms, 7 * DAY);
    assert_int_equal(f->due[0].suppress, 0);
    char buf[256];
    ismo_reminder_message(&f->o, &f->due[0], NULL, buf, sizeof buf);
    assert_non_null(strstr(buf, "OBJ-1"));
    assert_non_null(strstr(buf, "7d"));
    /* T0 + 100 d is 2026-04-11T00:00Z, the end of 2026-04-10: shown as the
     * date people wrote (ismo_deadline_format_ms) */
    assert_non_null(strstr(buf, "2026-04-10"));
    assert_non_null(strstr(buf, "Head of IT"));
}


/* ismo_next_check_ms: the due-time index looks at an objective again exactly
 * when something can change; never later than one day. */
static void test_next_check(void **state)
{
    fixture *f = *state;
    int64_t D = f->o.deadline_ms; /* T0 + 100 d */
    /* early on, no value: a day at most (the 30 d offset is far) */
    f->in.now_ms = T0 + DAY;
    assert_int_equal(ismo_next_check_ms(&f->in, 0, 0, 0.1, 0), T0 + 2 * DAY);
    /* 31 days before the deadline: next is the 30 d offset */
    f->in.now_ms = D - 31 * DAY + 1000;
    assert_int_equal(ismo_next_check_ms(&f->in, 0, 0, 0.1, 0), D - 30 * DAY);
    /* a day before the 7 d offset is reached... and just before the deadline */
    f->in.now_ms = D - 1000;
    assert_int_equal(ismo_next_check_ms(&f->in, 0, 0, 0.1, 0), D);
    /* REACH with progress 0.5: expected passes 0.5 at T0 + 50 d, 0.6 at 60 d */
    f->in.now_ms = T0 + 10 * DAY;
    assert_int_equal(ismo_next_check_ms(&f->in, 1, 0.5, 0.1, 0), T0 + 11 * DAY); /* daily cap */
    f->in.now_ms = T0 + 49 * DAY + 1000;
    assert_int_equal(ismo_next_check_ms(&f->in, 1, 0.5, 0.1, 0), T0 + 50 * DAY + 1);
    f->in.now_ms = T0 + 59 * DAY + 1000;
    assert_int_equal(ismo_next_check_ms(&f->in, 1, 0.5, 0.1, 0), T0 + 60 * DAY + 1);
    /* stale: a sample every hour, last one 30 min ago */
    f->metric.has_frequency_ms = 1;
    f->metric.frequency_ms = HOUR;
    f->in.last_sample_ms = T0 + 10 * DAY;
    f->in.now_ms = T0 + 10 * DAY + HOUR / 2;
    assert_int_equal(ismo_next_check_ms(&f->in, 1, 0.9, 0.1, 0), T0 + 10 * DAY + HOUR + 1);
    /* a window: the oldest sample leaves it */
    f->metric.has_frequency_ms = 0;
    f->metric.has_window_ms = 1;
    f->metric.window_ms = 2 * HOUR;
    assert_int_equal(ismo_next_check_ms(&f->in, 1, 0.9, 0.1, T0 + 10 * DAY - HOUR),
                     T0 + 10 * DAY + HOUR + 1);
    /* always in the future */
    f->in.now_ms = D + 5 * DAY;
    assert_true(ismo_next_check_ms(&f->in, 1, 0.9, 0.1, 0) > f->in.now_ms);
}

/* OVERDUE repeats every overdue_repeat_ms; after escalate_after published
 * reminders of the episode the later ones are escalated; an ack stops it. */
static void test_overdue_repeats_escalates_until_acked(void **state)
{
    fixture *f = *state;
    f->in.health = ISMO__V1__HEALTH__MISSED;
    f->in.overdue_repeat_ms = 7 * DAY;
    f->o.has_escalate_after = 1;
    f->o.escalate_after = 2;
    f->o.escalate_to = "CISO";
    int64_t dl = f->o.deadline_ms;
    char want[ISMO_REMINDER_KEY_BYTES];
    const int esc[] = {0, 0, 1, 1};
    for (int k = 0; k < 4; k++) {
        size_t n = run_at(f, dl + k * 7 * DAY + HOUR);
        assert_int_equal(n, 1);
        assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__OVERDUE);
        assert_int_equal(f->due[0].repeat, k);
        assert_int_equal(f->due[0].escalated, esc[k]);
        assert_int_equal(f->due[0].late, 0);
        assert_int_equal(f->due[0].at_ms, dl + k * 7 * DAY);
        if (k == 0) {
            snprintf(want, sizeof want, "overdue:%lld", (long long)dl);
        } else {
            snprintf(want, sizeof want, "overdue:%lld:%d", (long long)dl, k);
        }
        assert_string_equal(f->due[0].key, want);
        assert_int_equal(f->outstanding, 1); /* an episode counts once */
        record(&f->map, f->due, n);
        assert_int_equal(run_at(f, dl + k * 7 * DAY + 2 * HOUR), 0);
    }
    /* acknowledged (server/ack.c records "ack:<episode>"): silence */
    snprintf(want, sizeof want, "ack:overdue:%lld", (long long)dl);
    map_set(&f->map, want, ISMO_REMINDER_FIRED);
    assert_int_equal(run_at(f, dl + 28 * DAY + HOUR), 0);
    assert_int_equal(run_at(f, dl + 90 * DAY), 0);
    assert_int_equal(f->outstanding, 0);
    /* the target met (ACHIEVED) also stops an un-acked episode: see
     * test_no_reminders_when_achieved; -1/0 = never repeats: */
}

/* A review cadence stored below the 1-day floor (before it was enforced)
 * counts as 1 day: one REVIEW_DUE a day, not one a second. */
static void test_review_cadence_floor(void **state)
{
    fixture *f = *state;
    f->o.has_review_cadence_ms = 1;
    f->o.review_cadence_ms = 1000;
    f->in.last_review_ms = T0;
    assert_int_equal(run_at(f, T0 + 5000), 0);
    assert_int_equal(run_at(f, T0 + DAY - 1), 0);
    size_t n = run_at(f, T0 + DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__REVIEW_DUE);
    assert_int_equal(f->due[0].due_ms, T0 + DAY);
    record(&f->map, f->due, n);
    assert_int_equal(run_at(f, T0 + DAY + 5000), 0);
    f->in.now_ms = T0 + DAY + 5000;
    assert_int_equal(ismo_next_check_ms(&f->in, 0, 0, 0.1, 0), T0 + 2 * DAY);
}

/* outstanding_key: what Ack without keys acknowledges (collected here). */
static char g_keys[8][ISMO_REMINDER_KEY_BYTES];
static size_t g_n_keys;

static void collect_key(void *ctx, const char *key)
{
    (void)ctx;
    assert_true(g_n_keys < 8);
    snprintf(g_keys[g_n_keys++], ISMO_REMINDER_KEY_BYTES, "%s", key);
}

/* The keys counted as outstanding are reported one by one: a deadline
 * offset before the deadline; after it, not the offsets (their time
 * passed) but the overdue episode once, by its latest slot. A DRAFT
 * objective is reminded like an ACTIVE one (docs/evaluation.md). */
static void test_outstanding_keys_and_draft(void **state)
{
    fixture *f = *state;
    f->o.has_lifecycle = 1;
    f->o.lifecycle = ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT;
    f->in.overdue_repeat_ms = 7 * DAY;
    f->in.outstanding_key = collect_key;
    int64_t dl = f->o.deadline_ms;
    char want[ISMO_REMINDER_KEY_BYTES];
    g_n_keys = 0;
    size_t n = run_at(f, dl - 30 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(g_n_keys, 0); /* decided now, not fired before */
    record(&f->map, f->due, n);
    g_n_keys = 0;
    assert_int_equal(run_at(f, dl - 29 * DAY), 0);
    assert_int_equal(f->outstanding, 1);
    assert_int_equal(g_n_keys, 1);
    snprintf(want, sizeof want, "deadline:%lld:%lld", (long long)dl, (long long)(30 * DAY));
    assert_string_equal(g_keys[0], want);
    /* past the deadline, not met: OVERDUE for the DRAFT objective too */
    f->in.health = ISMO__V1__HEALTH__MISSED;
    n = run_at(f, dl + HOUR);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__OVERDUE);
    assert_int_equal(f->due[0].suppress, 0);
    record(&f->map, f->due, n);
    n = run_at(f, dl + 7 * DAY + HOUR);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].repeat, 1);
    record(&f->map, f->due, n);
    g_n_keys = 0;
    assert_int_equal(run_at(f, dl + 7 * DAY + 2 * HOUR), 0);
    assert_int_equal(f->outstanding, 1);
    assert_int_equal(g_n_keys, 1);
    snprintf(want, sizeof want, "overdue:%lld:1", (long long)dl);
    assert_string_equal(g_keys[0], want);
    f->in.outstanding_key = NULL;
}

static void test_overdue_never_repeats(void **state)
{
    fixture *f = *state;
    f->in.health = ISMO__V1__HEALTH__MISSED;
    f->in.overdue_repeat_ms = -1;
    int64_t dl = f->o.deadline_ms;
    size_t n = run_at(f, dl);
    assert_int_equal(n, 1);
    record(&f->map, f->due, n);
    assert_int_equal(run_at(f, dl + 100 * DAY), 0);
}

/* ismod was down across three repeat times: only the latest fires, late;
 * the missed ones are recorded as suppressed. */
static void test_missed_repeats_fire_once_late(void **state)
{
    fixture *f = *state;
    f->in.health = ISMO__V1__HEALTH__MISSED;
    f->in.overdue_repeat_ms = 7 * DAY;
    int64_t dl = f->o.deadline_ms;
    size_t n = run_at(f, dl);
    record(&f->map, f->due, n);
    f->in.late_before_ms = dl + 30 * DAY;
    n = run_at(f, dl + 30 * DAY);
    assert_int_equal(n, 4); /* repeat 4 published, 3, 2, 1 suppressed */
    assert_int_equal(count_published(f->due, n), 1);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(f->due[i].repeat, 4 - (int)i);
        assert_int_equal(f->due[i].suppress, i > 0);
    }
    assert_int_equal(f->due[0].late, 1);
    assert_int_equal(f->due[0].at_ms, dl + 28 * DAY);
    record(&f->map, f->due, n);
    f->in.late_before_ms = 0;
    assert_int_equal(run_at(f, dl + 31 * DAY), 0);
    n = run_at(f, dl + 35 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].repeat, 5);
    assert_int_equal(f->due[0].late, 0);
}

static void test_action_reminders(void **state)
{
    fixture *f = *state;
    Ismo__V1__Action a0 = ISMO__V1__ACTION__INIT, a1 = ISMO__V1__ACTION__INIT;
    Ismo__V1__Action *acts[] = {&a0, &a1};
    int64_t due = T0 + 50 * DAY;
    int64_t offs[] = {3 * DAY, 10 * DAY};
    a0.what = "Deploy the patch tool";
    a0.has_due_ms = 1;
    a0.due_ms = due;
    a0.n_reminder_offsets_ms = 2;
    a0.reminder_offsets_ms = offs;
    a1 = a0;
    a1.has_status = 1;
    a1.status = ISMO__V1__ACTION_STATUS__DONE; /* done: never reminded */
    f->o.n_actions = 2;
    f->o.actions = acts;
    f->in.overdue_repeat_ms = 7 * DAY;
    assert_int_equal(run_at(f, due - 11 * DAY), 0);
    size_t n = run_at(f, due - 10 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__ACTION_DUE_APPROACHING);
    assert_int_equal(f->due[0].action_index, 0);
    assert_int_equal(f->due[0].offset_ms, 10 * DAY);
    char want[ISMO_REMINDER_KEY_BYTES];
    snprintf(want, sizeof want, "action-due:0:%lld:%lld", (long long)due, (long long)(10 * DAY));
    assert_string_equal(f->due[0].key, want);
    record(&f->map, f->due, n);
    n = run_at(f, due - 3 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].offset_ms, 3 * DAY);
    record(&f->map, f->due, n);
    n = run_at(f, due);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__ACTION_OVERDUE);
    assert_int_equal(f->due[0].action_index, 0);
    assert_int_equal(f->due[0].due_ms, due);
    snprintf(want, sizeof want, "action-overdue:0:%lld", (long long)due);
    assert_string_equal(f->due[0].key, want);
    record(&f->map, f->due, n);
    char buf[512];
    n = run_at(f, due + 7 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].repeat, 1);
    ismo_reminder_message(&f->o, &f->due[0], NULL, buf, sizeof buf);
    assert_non_null(strstr(buf, "Deploy the patch tool"));
    assert_non_null(strstr(buf, "repeat 1"));
    record(&f->map, f->due, n);
    /* done now: silence */
    a0.has_status = 1;
    a0.status = ISMO__V1__ACTION_STATUS__DONE;
    assert_int_equal(run_at(f, due + 14 * DAY), 0);
}

static void test_work_should_start(void **state)
{
    fixture *f = *state;
    f->o.start_ms = T0 + 10 * DAY;
    f->in.created_ms = T0;
    assert_int_equal(run_at(f, T0 + 10 * DAY - 1), 0);
    size_t n = run_at(f, T0 + 10 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__WORK_SHOULD_START);
    assert_int_equal(f->due[0].suppress, 0);
    assert_int_equal(f->due[0].due_ms, T0 + 10 * DAY);
    record(&f->map, f->due, n);
    assert_int_equal(run_at(f, T0 + 11 * DAY), 0);
    /* an objective created after its start: recorded, not published */
    f->o.start_ms = T0 + 20 * DAY;
    f->in.created_ms = T0 + 21 * DAY;
    n = run_at(f, T0 + 21 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__WORK_SHOULD_START);
    assert_int_equal(f->due[0].suppress, 1);
}

static void test_review_dates_and_cadence(void **state)
{
    fixture *f = *state;
    int64_t dates[] = {T0 + 10 * DAY, T0 + 20 * DAY};
    f->o.n_review_dates_ms = 2;
    f->o.review_dates_ms = dates;
    /* both dates passed at once: the later one speaks */
    size_t n = run_at(f, T0 + 25 * DAY);
    assert_int_equal(n, 2);
    assert_int_equal(f->due[0].kind, ISMO__V1__REMINDER_KIND__REVIEW_DUE);
    assert_int_equal(f->due[0].due_ms, T0 + 20 * DAY);
    assert_int_equal(f->due[0].suppress, 0);
    assert_int_equal(f->due[1].due_ms, T0 + 10 * DAY);
    assert_int_equal(f->due[1].suppress, 1);
    record(&f->map, f->due, n);
    assert_int_equal(run_at(f, T0 + 26 * DAY), 0);
    /* cadence 30 d from the start (no review yet) */
    f->o.has_review_cadence_ms = 1;
    f->o.review_cadence_ms = 30 * DAY;
    n = run_at(f, T0 + 30 * DAY);
    assert_int_equal(n, 1);
    char want[ISMO_REMINDER_KEY_BYTES];
    snprintf(want, sizeof want, "review:%lld", (long long)(T0 + 30 * DAY));
    assert_string_equal(f->due[0].key, want);
    record(&f->map, f->due, n);
    /* reviewed on day 35: next slot day 65, not day 60 */
    f->in.last_review_ms = T0 + 35 * DAY;
    assert_int_equal(run_at(f, T0 + 60 * DAY), 0);
    f->in.now_ms = T0 + 40 * DAY;
    assert_int_equal(ismo_next_check_ms(&f->in, 0, 0, 0.1, 0), T0 + 41 * DAY); /* daily cap */
    f->in.now_ms = T0 + 64 * DAY + HOUR;
    assert_int_equal(ismo_next_check_ms(&f->in, 0, 0, 0.1, 0), T0 + 65 * DAY);
    n = run_at(f, T0 + 65 * DAY);
    assert_int_equal(n, 1);
    assert_int_equal(f->due[0].due_ms, T0 + 65 * DAY);
    record(&f->map, f->due, n);
    /* reviews come whatever the health */
    f->in.health = ISMO__V1__HEALTH__ACHIEVED;
    assert_int_equal(run_at(f, T0 + 95 * DAY), 1);
}

static void test_next_check_new_kinds(void **state)
{
    fixture *f = *state;
    int64_t D = f->o.deadline_ms;
    f->in.overdue_repeat_ms = 7 * DAY;
    f->in.now_ms = D + 8 * DAY + HOUR;
    assert_int_equal(ismo_next_check_ms(&f->in, 0, 0, 0.1, 0), D + 9 * DAY + HOUR); /* daily cap */
    f->in.now_ms = D + 13 * DAY + HOUR;
    assert_int_equal(ismo_next_check_ms(&f->in, 0, 0, 0.1, 0), D + 14 * DAY); /* repeat 2 */
    /* an action due in 5 h with a 2 h offset */
    Ismo__V1__Action a0 = ISMO__V1__ACTION__INIT;
    Ismo__V1__Action *acts[] = {&a0};
    int64_t offs[] = {2 * HOUR};
    f->in.now_ms = T0 + 5 * DAY;
    a0.has_due_ms = 1;
    a0.due_ms = T0 + 5 * DAY + 5 * HOUR;
    a0.n_reminder_offsets_ms = 1;
    a0.reminder_offsets_ms = offs;
    f->o.n_actions = 1;
    f->o.actions = acts;
    assert_int_equal(ismo_next_check_ms(&f->in, 0, 0, 0.1, 0), T0 + 5 * DAY + 3 * HOUR);
    f->in.now_ms = T0 + 5 * DAY + 4 * HOUR;
    assert_int_equal(ismo_next_check_ms(&f->in, 0, 0, 0.1, 0), T0 + 5 * DAY + 5 * HOUR);
    /* the start */
    f->o.n_actions = 0;
    f->o.start_ms = T0 + 7 * DAY;
    f->in.now_ms = T0 + 6 * DAY + HOUR;
    assert_int_equal(ismo_next_check_ms(&f->in, 0, 0, 0.1, 0), T0 + 7 * DAY);
    /* out of room: look again at once */
    f->in.more_pending = 1;
    assert_int_equal(ismo_next_check_ms(&f->in, 0, 0, 0.1, 0), f->in.now_ms + 1);
}

/* More reminders due than the caller has room for: the rest come at the
 * next evaluation (more = 1), none is lost or repeated. */
static void test_out_of_room(void **state)
{
    fixture *f = *state;
    Ismo__V1__Action a[5];
    Ismo__V1__Action *acts[5];
    for (int i = 0; i < 5; i++) {
        Ismo__V1__Action init = ISMO__V1__ACTION__INIT;
        a[i] = init;
        a[i].what = "step";
        a[i].has_due_ms = 1;
        a[i].due_ms = T0 + (10 + i) * DAY;
        acts[i] = &a[i];
    }
    f->o.n_actions = 5;
    f->o.actions = acts;
    f->in.now_ms = T0 + 20 * DAY;
    int seen[5] = {0};
    for (int round = 0; round < 3; round++) {
        int more = -1;
        size_t n = ismo_schedule(&f->in, map_get, map_count, &f->map, f->due, 2, NULL, &more);
        assert_int_equal(more, round < 2);
        assert_int_equal(n, round < 2 ? 2 : 1);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(f->due[i].kind, ISMO__V1__REMINDER_KIND__ACTION_OVERDUE);
            seen[f->due[i].action_index]++;
        }
        record(&f->map, f->due, n);
    }
    for (int i = 0; i < 5; i++) {
        assert_int_equal(seen[i], 1);
    }
    int more = -1;
    assert_int_equal(ismo_schedule(&f->in, map_get, map_count, &f->map, f->due, 2, NULL, &more), 0);
    assert_int_equal(more, 0);
}

/* An upgrade (quiet_before_ms): kinds older ismods did not have are only
 * recorded for times before it; the older kinds fire as before. */
static void test_upgrade_quiet(void **state)
{
    fixture *f = *state;
    Ismo__V1__Action a0 = ISMO__V1__ACTION__INIT;
    Ismo__V1__Action *acts[] = {&a0};
    a0.has_due_ms = 1;
    a0.due_ms = T0 + 10 * DAY;
    f->o.n_actions = 1;
    f->o.actions = acts;
    f->o.start_ms = T0 + 5 * DAY; /* a new start key, not quietened by setup */
    f->in.health = ISMO__V1__HEALTH__MISSED;
    f->in.overdue_repeat_ms = 7 * DAY;
    f->in.quiet_before_ms = f->o.deadline_ms + 8 * DAY + 1; /* started just after */
    f->in.late_before_ms = f->in.quiet_before_ms;
    size_t n = run_at(f, f->o.deadline_ms + 8 * DAY);
    size_t published = 0;
    for (size_t i = 0; i < n; i++) {
        if (!f->due[i].suppress) {
            published++;
            /* OVERDUE repeat 0 would be the old kind, but repeat 1 is due: a
             * repeat, new, so quiet; nothing at all is published */
        }
    }
    assert_int_equal(published, 0);
    assert_int_equal(f->outstanding, 0);
    record(&f->map, f->due, n);
    /* later: as usual */
    f->in.quiet_before_ms = 0;
    f->in.late_before_ms = 0;
    n = run_at(f, f->o.deadline_ms + 15 * DAY); /* OVERDUE repeat 2, ACTION_OVERDUE repeat 15 */
    assert_int_equal(count_published(f->due, n), 2);
    record(&f->map, f->due, n);
    /* the old kinds are never quiet: a fresh deadline's OVERDUE (repeat 0) */
    f->o.deadline_ms += 20 * DAY;
    f->in.quiet_before_ms = f->o.deadline_ms + 1;
    n = run_at(f, f->o.deadline_ms + 1);
    assert_int_equal(count_published(f->due, n), 1);
}

static void test_episode_of_key(void **state)
{
    (void)state;
    char buf[ISMO_REMINDER_KEY_BYTES];
    assert_int_equal(ismo_reminder_episode("overdue:1798761600000", buf, sizeof buf), 1);
    assert_string_equal(buf, "overdue:1798761600000");
    assert_int_equal(ismo_reminder_episode("overdue:1798761600000:3", buf, sizeof buf), 1);
    assert_string_equal(buf, "overdue:1798761600000");
    assert_int_equal(ismo_reminder_episode("action-overdue:2:1798761600000:12", buf, sizeof buf), 1);
    assert_string_equal(buf, "action-overdue:2:1798761600000");
    assert_int_equal(ismo_reminder_episode("deadline:1798761600000:86400000", buf, sizeof buf), 0);
    assert_string_equal(buf, "deadline:1798761600000:86400000");
}

/* display_tz changes the text only; dates on a UTC midnight stay dates. */
static void test_message_time_zone(void **state)
{
    fixture *f = *state;
    ismo_reminder_due r;
    memset(&r, 0, sizeof r);
    r.kind = ISMO__V1__REMINDER_KIND__REVIEW_DUE;
    r.due_ms = T0 + 14 * DAY + 12 * HOUR; /* 2026-01-15T12:00Z */
    r.action_index = -1;
    char buf[512];
    ismo_reminder_message(&f->o, &r, "Europe/Berlin", buf, sizeof buf);
    assert_non_null(strstr(buf, "2026-01-15 13:00 CET"));
    ismo_reminder_message(&f->o, &r, "UTC", buf, sizeof buf);
    assert_non_null(strstr(buf, "2026-01-15T12:00:00"));
    r.due_ms = T0 + 15 * DAY; /* a review date 2026-01-16 (stored as 00:00Z) */
    ismo_reminder_message(&f->o, &r, "America/New_York", buf, sizeof buf);
    assert_non_null(strstr(buf, "review due 2026-01-16 "));
    r.kind = ISMO__V1__REMINDER_KIND__OVERDUE; /* a date-only deadline: the day it ends */
    ismo_reminder_message(&f->o, &r, "America/New_York", buf, sizeof buf);
    assert_non_null(strstr(buf, "deadline 2026-01-15 passed"));
    r.kind = ISMO__V1__REMINDER_KIND__WORK_SHOULD_START; /* a start date: the day it names */
    ismo_reminder_message(&f->o, &r, "America/New_York", buf, sizeof buf);
    assert_non_null(strstr(buf, "work should start now (start 2026-01-16,"));
    assert_null(getenv("TZ")); /* the process time zone is left as it was */
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_nothing_before_30d),
        T(test_30d_fires_once),
        T(test_created_5d_before_deadline),
        T(test_all_offsets_due_at_once_only_nearest),
        T(test_overdue_fires_once),
        T(test_no_reminders_when_achieved),
        T(test_no_reminders_when_retired),
        T(test_metric_stale),
        T(test_stale_without_samples_counts_from_start),
        T(test_stale_without_samples_counts_from_definition),
        T(test_changed_deadline_rearms),
        T(test_duplicate_offsets_one_key),
        T(test_reminder_message),
        T(test_next_check),
        T(test_overdue_repeats_escalates_until_acked),
        T(test_overdue_never_repeats),
        T(test_outstanding_keys_and_draft),
        T(test_review_cadence_floor),
        T(test_missed_repeats_fire_once_late),
        T(test_action_reminders),
        T(test_work_should_start),
        T(test_review_dates_and_cadence),
        T(test_next_check_new_kinds),
        T(test_out_of_room),
        T(test_upgrade_quiet),
        cmocka_unit_test(test_episode_of_key),
        T(test_message_time_zone),
    };
    return cmocka_run_group_tests_name("scheduler", tests, NULL, NULL);
}
