/* test_evaluator: the health rules of server/evaluator.h as a table.
 *
 * Each row is one objective (direction, aggregation, target mode, baseline,
 * target, start, deadline, window), a list of samples as (offset from T0,
 * value), the evaluation instant, and the expected health, progress and
 * expected progress. Rows are run exactly as server/monitor.c does it:
 * ismo_eval_window -> aggregate the samples with from <= effective <= to ->
 * has_value = count > 0 && ismo_agg_value -> ismo_evaluate with margin 0.10.
 *
 * The expected values come from the rules written in evaluator.h, not from
 * the code: a failing row is a disagreement between the two. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "evaluator.h"
#include "ismo_time.h"

/* T0 = 2026-01-01T00:00:00Z; every instant in the table is an offset from it. */
#define T0 INT64_C(1767225600000)
#define D(x) ((int64_t)((x) * (double)ISMO_DAY_MS))
#define UNSET INT64_MIN       /* start / baseline_at / deadline not set */
#define NOCHECK NAN           /* progress / expected not checked */
#define MARGIN 0.10
#define TOL 1e-9

#define HIB ISMO__V1__DIRECTION__HIGHER_IS_BETTER
#define LIB ISMO__V1__DIRECTION__LOWER_IS_BETTER
#define DUNSPEC ISMO__V1__DIRECTION__DIRECTION_UNSPECIFIED
#define LAST ISMO__V1__AGGREGATION__LAST
#define MEAN ISMO__V1__AGGREGATION__MEAN
#define MIN ISMO__V1__AGGREGATION__MIN
#define MAX ISMO__V1__AGGREGATION__MAX
#define SUM ISMO__V1__AGGREGATION__SUM
#define COUNT ISMO__V1__AGGREGATION__COUNT
#define REACH ISMO__V1__TARGET_MODE__REACH
#define MAINTAIN ISMO__V1__TARGET_MODE__MAINTAIN

#define NO_DATA ISMO__V1__HEALTH__NO_DATA
#define ON_TRACK ISMO__V1__HEALTH__ON_TRACK
#define AT_RISK ISMO__V1__HEALTH__AT_RISK
#define OFF_TRACK ISMO__V1__HEALTH__OFF_TRACK
#define ACHIEVED ISMO__V1__HEALTH__ACHIEVED
#define MISSED ISMO__V1__HEALTH__MISSED

typedef struct sample {
    int64_t at;      /* effective time, offset from T0, ms */
    double value;
} sample;

typedef struct eval_case {
    const char *name;
    int direction, aggregation, mode;
    int has_baseline;
    double baseline;
    int has_target;
    double target;
    int64_t start, baseline_at, deadline; /* offsets from T0, or UNSET */
    int64_t window_ms;                    /* 0 = all samples */
    size_t n;
    sample s[8];
    int64_t now;                          /* offset from T0 */
    int health;
    double progress, expected;            /* NOCHECK = not checked */
    int has_value;                        /* expected has_value (1 unless no data) */
    double value;                         /* expected aggregated value (NOCHECK) */
} eval_case;

/* Shorthands for the most common objective shapes. Standard plan: start T0,
 * deadline T0 + 100 d, so expected progress at day x is x / 100. */
#define STD D(0), UNSET, D(100)

static const eval_case cases[] = {
    /* ---- higher is better, reach: training completion 50 % -> 90 % ---- */
    {"hib_last_on_track_ahead_of_schedule", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(10), 70}}, D(40), ON_TRACK, 0.5, 0.4, 1, 70},
    {"hib_last_at_risk_within_margin", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(10), 66}}, D(45), AT_RISK, 0.4, 0.45, 1, 66},
    {"hib_last_off_track_beyond_margin", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(10), 58}}, D(45), OFF_TRACK, 0.2, 0.45, 1, 58},
    {"hib_reach_met_early_achieved", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(5), 92}}, D(20), ACHIEVED, 1.05, 0.2, 1, 92},
    {"hib_reach_past_deadline_not_met_missed", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(90), 80}}, D(110), MISSED, 0.75, 1.0, 1, 80},
    {"hib_reach_past_deadline_met_achieved", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(95), 91}}, D(120), ACHIEVED, 1.025, 1.0, 1, 91},
    {"hib_last_is_latest_effective_not_latest_added", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     2, {{D(30), 85}, {D(10), 55}}, D(50), ON_TRACK, 0.875, 0.5, 1, 85},
    {"hib_worse_than_baseline_no_deadline_off_track", HIB, LAST, REACH, 1, 50, 1, 90,
     D(0), UNSET, UNSET, 0, 1, {{D(10), 40}}, D(20), OFF_TRACK, -0.25, 0.0, 1, 40},
    {"direction_unspecified_is_higher_is_better", DUNSPEC, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(10), 91}}, D(20), ACHIEVED, 1.025, 0.2, 1, 91},

    /* ---- lower is better, reach: critical patch time 96 h -> 48 h ---- */
    {"lib_last_on_track", LIB, LAST, REACH, 1, 96, 1, 48, STD, 0,
     1, {{D(20), 72}}, D(30), ON_TRACK, 0.5, 0.3, 1, 72},
    {"lib_reach_met_achieved", LIB, LAST, REACH, 1, 96, 1, 48, STD, 0,
     1, {{D(20), 40}}, D(30), ACHIEVED, 56.0 / 48.0, 0.3, 1, 40},
    {"lib_at_risk_within_margin", LIB, LAST, REACH, 1, 96, 1, 48, STD, 0,
     1, {{D(20), 76}}, D(50), AT_RISK, 20.0 / 48.0, 0.5, 1, 76},
    {"lib_off_track_beyond_margin", LIB, LAST, REACH, 1, 96, 1, 48, STD, 0,
     1, {{D(20), 90}}, D(50), OFF_TRACK, 6.0 / 48.0, 0.5, 1, 90},
    {"lib_past_deadline_not_met_missed", LIB, LAST, REACH, 1, 96, 1, 48, STD, 0,
     1, {{D(99), 60}}, D(101), MISSED, 0.75, 1.0, 1, 60},
    {"lib_max_takes_worst_sample", LIB, MAX, REACH, 1, 96, 1, 48, STD, 0,
     3, {{D(10), 30}, {D(20), 60}, {D(30), 45}}, D(50), ON_TRACK, 0.75, 0.5, 1, 60},

    /* ---- aggregations ---- */
    {"mean_of_window", HIB, MEAN, REACH, 1, 0, 1, 100, STD, 0,
     3, {{D(10), 20}, {D(20), 40}, {D(30), 60}}, D(38), ON_TRACK, 0.4, 0.38, 1, 40},
    {"min_maintain_not_held_off_track", HIB, MIN, MAINTAIN, 1, 99.0, 1, 99.9, STD, 0,
     3, {{D(10), 99.95}, {D(20), 99.5}, {D(30), 99.99}}, D(40), OFF_TRACK, 0.5 / 0.9, 0.4, 1, 99.5},
    {"min_maintain_held_on_track", HIB, MIN, MAINTAIN, 1, 99.0, 1, 99.9, STD, 0,
     3, {{D(10), 99.95}, {D(20), 99.92}, {D(30), 99.99}}, D(40), ON_TRACK, NOCHECK, 0.4, 1, 99.92},
    {"max_hib_reach_best_sample", HIB, MAX, REACH, 1, 0, 1, 100, STD, 0,
     3, {{D(10), 30}, {D(20), 80}, {D(30), 20}}, D(50), ON_TRACK, 0.8, 0.5, 1, 80},
    {"sum_lib_maintain_in_30d_window", LIB, SUM, MAINTAIN, 0, 0, 1, 5, STD, D(30),
     4, {{D(5), 5}, {D(25), 2}, {D(40), 1}, {D(50), 1}}, D(50), ON_TRACK, 1.0, 0.5, 1, 4},
    {"count_hib_reach", HIB, COUNT, REACH, 1, 0, 1, 4, STD, 0,
     3, {{D(10), 1}, {D(30), 1}, {D(50), 1}}, D(60), ON_TRACK, 0.75, 0.6, 1, 3},
    {"count_without_samples_is_no_data", HIB, COUNT, REACH, 1, 0, 1, 4, STD, 0,
     0, {{0, 0}}, D(60), NO_DATA, NOCHECK, 0.6, 0, NOCHECK},

    /* ---- maintain ---- */
    {"maintain_held_on_track", HIB, LAST, MAINTAIN, 0, 0, 1, 99.9, STD, 0,
     1, {{D(40), 99.95}}, D(50), ON_TRACK, 1.0, 0.5, 1, 99.95},
    {"maintain_held_past_deadline_achieved", HIB, LAST, MAINTAIN, 0, 0, 1, 99.9, STD, 0,
     1, {{D(99), 99.95}}, D(105), ACHIEVED, 1.0, 1.0, 1, 99.95},
    {"maintain_not_held_past_deadline_missed", HIB, LAST, MAINTAIN, 1, 99.0, 1, 99.9, STD, 0,
     1, {{D(99), 99.85}}, D(105), MISSED, NOCHECK, 1.0, 1, 99.85},
    {"maintain_not_held_within_margin_at_risk", HIB, LAST, MAINTAIN, 1, 99.0, 1, 99.9, STD, 0,
     1, {{D(40), 99.85}}, D(50), AT_RISK, 0.85 / 0.9, 0.5, 1, 99.85},
    {"maintain_lib_not_held_beyond_margin_off_track", LIB, LAST, MAINTAIN, 1, 10, 1, 4, STD, 0,
     1, {{D(40), 8}}, D(50), OFF_TRACK, 2.0 / 6.0, 0.5, 1, 8},

    /* ---- no data, no target ---- */
    {"no_sample_before_deadline_no_data", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     0, {{0, 0}}, D(50), NO_DATA, 0.0, 0.5, 0, NOCHECK},
    {"no_sample_after_deadline_missed", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     0, {{0, 0}}, D(101), MISSED, 0.0, 1.0, 0, NOCHECK},
    {"no_sample_maintain_after_deadline_missed", HIB, LAST, MAINTAIN, 0, 0, 1, 99.9, STD, 0,
     0, {{0, 0}}, D(101), MISSED, 0.0, 1.0, 0, NOCHECK},
    {"no_target_is_no_data", HIB, LAST, REACH, 1, 50, 0, 0, STD, 0,
     1, {{D(10), 70}}, D(40), NO_DATA, NOCHECK, 0.4, 1, 70},

    /* ---- baseline == target: zero regulatory fines, lower is better ---- */
    {"zero_fines_maintain_value0_on_track", LIB, LAST, MAINTAIN, 1, 0, 1, 0, STD, 0,
     1, {{D(40), 0}}, D(50), ON_TRACK, 1.0, 0.5, 1, 0},
    {"zero_fines_maintain_value1_off_track", LIB, LAST, MAINTAIN, 1, 0, 1, 0, STD, 0,
     1, {{D(40), 1}}, D(50), OFF_TRACK, 0.0, 0.5, 1, 1},
    {"zero_fines_maintain_value0_past_deadline_achieved", LIB, LAST, MAINTAIN, 1, 0, 1, 0, STD, 0,
     1, {{D(99), 0}}, D(101), ACHIEVED, 1.0, 1.0, 1, 0},
    {"zero_fines_reach_value0_achieved", LIB, LAST, REACH, 1, 0, 1, 0, STD, 0,
     1, {{D(40), 0}}, D(50), ACHIEVED, 1.0, 0.5, 1, 0},

    /* ---- window ---- */
    {"samples_outside_window_ignored", HIB, MEAN, REACH, 1, 0, 1, 100, STD, D(10),
     3, {{D(5), -300}, {D(45), 80}, {D(48), 100}}, D(50), ON_TRACK, 0.9, 0.5, 1, 90},
    {"only_samples_outside_window_no_data", HIB, LAST, REACH, 1, 50, 1, 90, STD, D(7),
     1, {{D(10), 95}}, D(50), NO_DATA, NOCHECK, 0.5, 0, NOCHECK},
    {"window_bounds_inclusive", HIB, MEAN, REACH, 1, 0, 1, 100, STD, D(10),
     3, {{D(40) - 1, -1000}, {D(40), 60}, {D(50), 80}}, D(50), ON_TRACK, 0.7, 0.5, 1, 70},
    {"past_deadline_samples_after_deadline_ignored", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     2, {{D(90), 70}, {D(105), 95}}, D(110), MISSED, 0.5, 1.0, 1, 70},
    {"past_deadline_window_ends_at_deadline", HIB, MEAN, REACH, 1, 0, 1, 100, STD, D(10),
     3, {{D(85), 100}, {D(95), 40}, {D(101), 100}}, D(110), MISSED, 0.4, 1.0, 1, 40},

    /* ---- yes/no metric (0 = no, 1 = yes), target 1 ---- */
    {"yesno_no_off_track", HIB, LAST, REACH, 1, 0, 1, 1, STD, 0,
     1, {{D(10), 0}}, D(50), OFF_TRACK, 0.0, 0.5, 1, 0},
    {"yesno_yes_achieved", HIB, LAST, REACH, 1, 0, 1, 1, STD, 0,
     2, {{D(10), 0}, {D(30), 1}}, D(50), ACHIEVED, 1.0, 0.5, 1, 1},
    {"yesno_no_past_deadline_missed", HIB, LAST, REACH, 1, 0, 1, 1, STD, 0,
     1, {{D(10), 0}}, D(101), MISSED, 0.0, 1.0, 1, 0},
    {"yesno_no_early_within_margin_at_risk", HIB, LAST, REACH, 0, 0, 1, 1, STD, 0,
     1, {{D(1), 0}}, D(5), AT_RISK, 0.0, 0.05, 1, 0},

    /* ---- expected progress ---- */
    {"start_from_baseline_at", HIB, LAST, REACH, 1, 50, 1, 90, UNSET, D(0), D(100), 0,
     1, {{D(10), 70}}, D(25), ON_TRACK, 0.5, 0.25, 1, 70},
    {"before_start_expected_zero", HIB, LAST, REACH, 1, 50, 1, 90, D(10), UNSET, D(110), 0,
     1, {{D(4), 54}}, D(5), ON_TRACK, 0.1, 0.0, 1, 54},
    {"no_deadline_expected_zero", HIB, LAST, REACH, 1, 50, 1, 90, D(0), UNSET, UNSET, 0,
     1, {{D(10), 62}}, D(400), ON_TRACK, 0.3, 0.0, 1, 62},
    /* evaluator.h: without a start, expected is 0 before the deadline, 1 after */
    {"no_start_before_deadline_expected_zero", HIB, LAST, REACH, 1, 50, 1, 90, UNSET, UNSET,
     D(100), 0, 1, {{D(40), 60}}, D(50), ON_TRACK, 0.25, 0.0, 1, 60},
    {"no_start_past_deadline_expected_one", HIB, LAST, REACH, 1, 50, 1, 90, UNSET, UNSET,
     D(100), 0, 1, {{D(90), 80}}, D(110), MISSED, 0.75, 1.0, 1, 80},
};

#define N_CASES (sizeof cases / sizeof cases[0])

typedef struct run_ctx {
    ismo_agg agg;
} run_ctx;

static int64_t at(int64_t off) { return off == UNSET ? 0 : T0 + off; }

static void run_case(void **state)
{
    const eval_case *c = *state;
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    m.unit = "u";
    m.has_direction = 1;
    m.direction = (Ismo__V1__Direction)c->direction;
    m.has_aggregation = 1;
    m.aggregation = (Ismo__V1__Aggregation)c->aggregation;
    m.has_window_ms = c->window_ms != 0;
    m.window_ms = c->window_ms;
    o.id = "OBJ-1";
    o.function = "it-ops";
    o.title = (char *)c->name;
    o.metric = &m;
    o.has_target_mode = 1;
    o.target_mode = (Ismo__V1__TargetMode)c->mode;
    o.has_baseline = c->has_baseline;
    o.baseline = c->baseline;
    o.has_target = c->has_target;
    o.target = c->target;
    o.has_start_ms = c->start != UNSET;
    o.start_ms = at(c->start);
    o.has_baseline_at_ms = c->baseline_at != UNSET;
    o.baseline_at_ms = at(c->baseline_at);
    o.has_deadline_ms = c->deadline != UNSET;
    o.deadline_ms = at(c->deadline);

    int64_t now = T0 + c->now;
    int64_t from, to;
    ismo_eval_window(&o, now, &from, &to);

    /* aggregate as the server does: store scan of [from, to], inclusive */
    ismo_agg agg;
    ismo_agg_init(&agg, c->aggregation);
    for (size_t i = 0; i < c->n; i++) {
        int64_t t = T0 + c->s[i].at;
        if (t >= from && t <= to) {
            ismo_agg_add(&agg, t, c->s[i].value);
        }
    }
    double value = 0;
    int has_value = agg.count > 0 && ismo_agg_value(&agg, &value);

    ismo_eval ev;
    memset(&ev, 0x5a, sizeof ev);
    ismo_evaluate(&o, has_value, value, now, MARGIN, &ev);

    print_message("  %s: health %s progress %g expected %g value %g (%s)\n", c->name,
                  ismo_health_name(ev.health), ev.progress, ev.expected, ev.value, ev.explanation);
    assert_int_equal(has_value, c->has_value);
    assert_int_equal(ev.has_value, c->has_value);
    if (!isnan(c->value)) {
        assert_true(fabs(value - c->value) < TOL);
        assert_true(fabs(ev.value - c->value) < TOL);
    }
    assert_string_equal(ismo_health_name(ev.health), ismo_health_name(c->health));
    if (!isnan(c->progress)) {
        if (fabs(ev.progress - c->progress) >= TOL) {
            fail_msg("%s: progress %.12g, expected %.12g", c->name, ev.progress, c->progress);
        }
    }
    if (!isnan(c->expected)) {
        if (fabs(ev.expected - c->expected) >= TOL) {
            fail_msg("%s: expected progress %.12g, expected %.12g", c->name, ev.expected, c->expected);
        }
    }
    /* the explanation is one non-empty, terminated line */
    assert_true(memchr(ev.explanation, '\0', sizeof ev.explanation) != NULL);
    assert_true(strlen(ev.explanation) > 0);
    assert_null(strchr(ev.explanation, '\n'));
}

/* The window itself: [min(now, deadline) - window, min(now, deadline)]. */
static void test_window_bounds(void **state)
{
    (void)state;
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    o.metric = &m;
    m.has_window_ms = 1;
    m.window_ms = D(7);
    o.has_deadline_ms = 1;
    o.deadline_ms = T0 + D(100);
    int64_t from, to;
    ismo_eval_window(&o, T0 + D(50), &from, &to);
    assert_int_equal(to, T0 + D(50));
    assert_int_equal(from, T0 + D(43));
    ismo_eval_window(&o, T0 + D(200), &from, &to);
    assert_int_equal(to, T0 + D(100));
    assert_int_equal(from, T0 + D(93));
    m.window_ms = 0; /* all samples */
    ismo_eval_window(&o, T0 + D(50), &from, &to);
    assert_int_equal(to, T0 + D(50));
    assert_true(from < -T0); /* far before any real sample */
}

/* Aggregation primitives directly (order independence, ties). */
static void test_agg_primitives(void **state)
{
    (void)state;
    ismo_agg a;
    double v = -1;
    ismo_agg_init(&a, LAST);
    assert_int_equal(ismo_agg_value(&a, &v), 0);
    ismo_agg_add(&a, 30, 3.0);
    ismo_agg_add(&a, 10, 1.0);
    ismo_agg_add(&a, 20, 2.0);
    assert_int_equal(ismo_agg_value(&a, &v), 1);
    assert_true(v == 3.0);
    ismo_agg_init(&a, MEAN);
    ismo_agg_add(&a, 1, 1.0);
    ismo_agg_add(&a, 2, 2.0);
    ismo_agg_add(&a, 3, 6.0);
    assert_int_equal(ismo_agg_value(&a, &v), 1);
    assert_true(fabs(v - 3.0) < TOL);
    ismo_agg_init(&a, MIN);
    ismo_agg_add(&a, 1, -5.0);
    ismo_agg_add(&a, 2, 7.0);
    assert_int_equal(ismo_agg_value(&a, &v), 1);
    assert_true(v == -5.0);
    ismo_agg_init(&a, MAX);
    ismo_agg_add(&a, 1, -5.0);
    ismo_agg_add(&a, 2, -7.0);
    assert_int_equal(ismo_agg_value(&a, &v), 1);
    assert_true(v == -5.0);
    ismo_agg_init(&a, SUM);
    ismo_agg_add(&a, 1, 1.5);
    ismo_agg_add(&a, 2, 2.5);
    assert_int_equal(ismo_agg_value(&a, &v), 1);
    assert_true(v == 4.0);
    ismo_agg_init(&a, COUNT);
    assert_int_equal(ismo_agg_value(&a, &v), 1); /* header: COUNT always 1 */
    assert_true(v == 0.0);
    ismo_agg_add(&a, 1, 100.0);
    ismo_agg_add(&a, 2, 100.0);
    assert_int_equal(ismo_agg_value(&a, &v), 1);
    assert_true(v == 2.0);
}

int main(void)
{
    struct CMUnitTest tests[N_CASES + 2];
    for (size_t i = 0; i < N_CASES; i++) {
        tests[i] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
    }
    tests[N_CASES] = (struct CMUnitTest)cmocka_unit_test(test_window_bounds);
    tests[N_CASES + 1] = (struct CMUnitTest)cmocka_unit_test(test_agg_primitives);
    return cmocka_run_group_tests_name("evaluator", tests, NULL, NULL);
}
