/* test_evaluator: the health rules of server/evaluator.h as a table, and
 * server/assess.h against a real store.
 *
 * Each row is one objective (direction, aggregation, target mode, baseline,
 * target, start, deadline, window, and in .x the rest: value kind, exclusive
 * target, calendar period, period targets, sample totals, unit, previous
 * health and hysteresis), a list of samples as (offset from T0, value), the
 * evaluation instant, and the expected health, progress, expected progress,
 * value, and for periods the period shown and the periods missed. Rows run
 * exactly as server/assess.c runs them: ismo_eval_run_init -> add every
 * sample (in the row's order: order must not matter) -> ismo_eval_run_finish
 * with margin 0.10. Rows without periods or hysteresis also run through
 * ismo_eval_window + ismo_agg + ismo_evaluate, which must agree.
 *
 * The expected values come from the rules written in evaluator.h and
 * docs/evaluation.md, not from the code: a failing row is a disagreement
 * between the two. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assess.h"
#include "evaluator.h"
#include "ismo_time.h"
#include "store.h"

/* T0 = 2026-01-01T00:00:00Z (a Thursday); every instant in the table is an offset from it. */
#define T0 INT64_C(1767225600000)
#define D(x) ((int64_t)((x) * (double)ISMO_DAY_MS))
#define H(x) ((int64_t)((x) * (double)ISMO_HOUR_MS))
#define UNSET INT64_MIN       /* start / baseline_at / deadline not set */
#define NOCHECK NAN           /* progress / expected not checked */
#define MARGIN 0.10
#define TOL 1e-9
#define MAX_SAMPLES 24

#define HIB ISMO__V1__DIRECTION__HIGHER_IS_BETTER
#define LIB ISMO__V1__DIRECTION__LOWER_IS_BETTER
#define DUNSPEC ISMO__V1__DIRECTION__DIRECTION_UNSPECIFIED
#define LAST ISMO__V1__AGGREGATION__LAST
#define MEAN ISMO__V1__AGGREGATION__MEAN
#define MIN ISMO__V1__AGGREGATION__MIN
#define MAX ISMO__V1__AGGREGATION__MAX
#define SUM ISMO__V1__AGGREGATION__SUM
#define COUNT ISMO__V1__AGGREGATION__COUNT
#define RATIO ISMO__V1__AGGREGATION__RATIO
#define P95 ISMO__V1__AGGREGATION__P95
#define REACH ISMO__V1__TARGET_MODE__REACH
#define MAINTAIN ISMO__V1__TARGET_MODE__MAINTAIN
#define YESNO ISMO__V1__VALUE_KIND__YES_NO
#define DURATION ISMO__V1__VALUE_KIND__DURATION
#define DAY ISMO__V1__CALENDAR_PERIOD__PERIOD_DAY
#define WEEK ISMO__V1__CALENDAR_PERIOD__PERIOD_WEEK
#define MONTH ISMO__V1__CALENDAR_PERIOD__PERIOD_MONTH
#define QUARTER ISMO__V1__CALENDAR_PERIOD__PERIOD_QUARTER

#define HUNSPEC ISMO__V1__HEALTH__HEALTH_UNSPECIFIED
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

typedef struct ptarget {
    const char *label;
    int64_t from, to; /* offsets from T0 */
    double target;
} ptarget;

/* What a row adds to the base shape (designated initializers; zero = default). */
typedef struct xcase {
    int value_kind;          /* ismo.v1.ValueKind */
    int exclusive;           /* Objective.target_exclusive */
    int period;              /* ismo.v1.CalendarPeriod */
    size_t n_targets;
    ptarget targets[4];      /* Objective.period_targets */
    int has_totals;
    double totals[MAX_SAMPLES]; /* Sample.total per sample (has_totals) */
    const char *unit;        /* Metric.unit; NULL = "u" */
    int prev_health;         /* for hysteresis */
    double hysteresis;
    const char *period_label;   /* expected Status.period_label; NULL = not checked */
    int check_missed;
    uint32_t periods_missed;    /* expected when check_missed */
    const char *says;           /* expected in the explanation or a rule line; NULL = not checked */
    int held;                   /* expected ismo_eval.held */
} xcase;

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
    sample s[MAX_SAMPLES];
    int64_t now;                          /* offset from T0 */
    int health;
    double progress, expected;            /* NOCHECK = not checked */
    int has_value;                        /* expected has_value (1 unless no data) */
    double value;                         /* expected aggregated value (NOCHECK) */
    const xcase *x;                       /* NULL = a plain number, no periods, no hysteresis */
} eval_case;

/* Shorthands for the most common objective shapes. Standard plan: start T0,
 * deadline T0 + 100 d, so expected progress at day x is x / 100. */
#define STD D(0), UNSET, D(100)
/* First quarter of 2026: start 2026-01-01, deadline 2026-04-01T00:00Z (the end
 * of 2026-03-31); months begin at D(0), D(31), D(59); expected at day x is x / 90. */
#define Q1PLAN D(0), UNSET, D(90)
/* The year 2026; Q3 is [D(181), D(273)), Q4 is [D(273), D(365)). */
#define YEAR D(0), UNSET, D(365)
#define Q3Q4(t3, t4) .n_targets = 2, .targets = {{"2026-Q3", D(181), D(273), t3}, {"2026-Q4", D(273), D(365), t4}}
#define X(...) (&(const xcase){__VA_ARGS__})
#define MISSED_N(k) .check_missed = 1, .periods_missed = k

static const eval_case cases[] = {
    /* ---- higher is better, reach: training completion 50 % -> 90 % ---- */
    {"hib_last_on_track_ahead_of_schedule", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(10), 70}}, D(40), ON_TRACK, 0.5, 0.4, 1, 70, NULL},
    {"hib_last_at_risk_within_margin", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(10), 66}}, D(45), AT_RISK, 0.4, 0.45, 1, 66, NULL},
    {"hib_last_off_track_beyond_margin", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(10), 58}}, D(45), OFF_TRACK, 0.2, 0.45, 1, 58, NULL},
    {"hib_reach_met_early_achieved", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(5), 92}}, D(20), ACHIEVED, 1.05, 0.2, 1, 92, NULL},
    {"hib_reach_past_deadline_not_met_missed", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(90), 80}}, D(110), MISSED, 0.75, 1.0, 1, 80, NULL},
    {"hib_reach_past_deadline_met_achieved", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(95), 91}}, D(120), ACHIEVED, 1.025, 1.0, 1, 91, NULL},
    {"hib_last_is_latest_effective_not_latest_added", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     2, {{D(30), 85}, {D(10), 55}}, D(50), ON_TRACK, 0.875, 0.5, 1, 85, NULL},
    {"hib_worse_than_baseline_no_deadline_off_track", HIB, LAST, REACH, 1, 50, 1, 90,
     D(0), UNSET, UNSET, 0, 1, {{D(10), 40}}, D(20), OFF_TRACK, -0.25, 0.0, 1, 40, NULL},
    {"direction_unspecified_is_higher_is_better", DUNSPEC, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(10), 91}}, D(20), ACHIEVED, 1.025, 0.2, 1, 91, NULL},

    /* ---- lower is better, reach: critical patch time 96 h -> 48 h ---- */
    {"lib_last_on_track", LIB, LAST, REACH, 1, 96, 1, 48, STD, 0,
     1, {{D(20), 72}}, D(30), ON_TRACK, 0.5, 0.3, 1, 72, NULL},
    {"lib_reach_met_achieved", LIB, LAST, REACH, 1, 96, 1, 48, STD, 0,
     1, {{D(20), 40}}, D(30), ACHIEVED, 56.0 / 48.0, 0.3, 1, 40, NULL},
    {"lib_at_risk_within_margin", LIB, LAST, REACH, 1, 96, 1, 48, STD, 0,
     1, {{D(20), 76}}, D(50), AT_RISK, 20.0 / 48.0, 0.5, 1, 76, NULL},
    {"lib_off_track_beyond_margin", LIB, LAST, REACH, 1, 96, 1, 48, STD, 0,
     1, {{D(20), 90}}, D(50), OFF_TRACK, 6.0 / 48.0, 0.5, 1, 90, NULL},
    {"lib_past_deadline_not_met_missed", LIB, LAST, REACH, 1, 96, 1, 48, STD, 0,
     1, {{D(99), 60}}, D(101), MISSED, 0.75, 1.0, 1, 60, NULL},
    {"lib_max_takes_worst_sample", LIB, MAX, REACH, 1, 96, 1, 48, STD, 0,
     3, {{D(10), 30}, {D(20), 60}, {D(30), 45}}, D(50), ON_TRACK, 0.75, 0.5, 1, 60, NULL},

    /* ---- aggregations ---- */
    {"mean_of_window", HIB, MEAN, REACH, 1, 0, 1, 100, STD, 0,
     3, {{D(10), 20}, {D(20), 40}, {D(30), 60}}, D(38), ON_TRACK, 0.4, 0.38, 1, 40, NULL},
    {"min_maintain_not_held_off_track", HIB, MIN, MAINTAIN, 1, 99.0, 1, 99.9, STD, 0,
     3, {{D(10), 99.95}, {D(20), 99.5}, {D(30), 99.99}}, D(40), OFF_TRACK, 0.5 / 0.9, 0.4, 1, 99.5, NULL},
    {"min_maintain_held_on_track", HIB, MIN, MAINTAIN, 1, 99.0, 1, 99.9, STD, 0,
     3, {{D(10), 99.95}, {D(20), 99.92}, {D(30), 99.99}}, D(40), ON_TRACK, NOCHECK, 0.4, 1, 99.92, NULL},
    {"max_hib_reach_best_sample", HIB, MAX, REACH, 1, 0, 1, 100, STD, 0,
     3, {{D(10), 30}, {D(20), 80}, {D(30), 20}}, D(50), ON_TRACK, 0.8, 0.5, 1, 80, NULL},
    {"sum_lib_maintain_in_30d_window", LIB, SUM, MAINTAIN, 0, 0, 1, 5, STD, D(30),
     4, {{D(5), 5}, {D(25), 2}, {D(40), 1}, {D(50), 1}}, D(50), ON_TRACK, 1.0, 0.5, 1, 4, NULL},
    {"count_hib_reach", HIB, COUNT, REACH, 1, 0, 1, 4, STD, 0,
     3, {{D(10), 1}, {D(30), 1}, {D(50), 1}}, D(60), ON_TRACK, 0.75, 0.6, 1, 3, NULL},
    {"count_without_samples_is_no_data", HIB, COUNT, REACH, 1, 0, 1, 4, STD, 0,
     0, {{0, 0}}, D(60), NO_DATA, NOCHECK, 0.6, 0, NOCHECK, NULL},

    /* ---- maintain ---- */
    {"maintain_held_on_track", HIB, LAST, MAINTAIN, 0, 0, 1, 99.9, STD, 0,
     1, {{D(40), 99.95}}, D(50), ON_TRACK, 1.0, 0.5, 1, 99.95, NULL},
    {"maintain_held_past_deadline_achieved", HIB, LAST, MAINTAIN, 0, 0, 1, 99.9, STD, 0,
     1, {{D(99), 99.95}}, D(105), ACHIEVED, 1.0, 1.0, 1, 99.95, NULL},
    {"maintain_not_held_past_deadline_missed", HIB, LAST, MAINTAIN, 1, 99.0, 1, 99.9, STD, 0,
     1, {{D(99), 99.85}}, D(105), MISSED, NOCHECK, 1.0, 1, 99.85, NULL},
    {"maintain_not_held_within_margin_at_risk", HIB, LAST, MAINTAIN, 1, 99.0, 1, 99.9, STD, 0,
     1, {{D(40), 99.85}}, D(50), AT_RISK, 0.85 / 0.9, 0.5, 1, 99.85, NULL},
    {"maintain_lib_not_held_beyond_margin_off_track", LIB, LAST, MAINTAIN, 1, 10, 1, 4, STD, 0,
     1, {{D(40), 8}}, D(50), OFF_TRACK, 2.0 / 6.0, 0.5, 1, 8, NULL},

    /* ---- no data, no target ---- */
    {"no_sample_before_deadline_no_data", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     0, {{0, 0}}, D(50), NO_DATA, 0.0, 0.5, 0, NOCHECK, NULL},
    {"no_sample_after_deadline_missed", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     0, {{0, 0}}, D(101), MISSED, 0.0, 1.0, 0, NOCHECK, NULL},
    {"no_sample_maintain_after_deadline_missed", HIB, LAST, MAINTAIN, 0, 0, 1, 99.9, STD, 0,
     0, {{0, 0}}, D(101), MISSED, 0.0, 1.0, 0, NOCHECK, NULL},
    {"no_target_is_no_data", HIB, LAST, REACH, 1, 50, 0, 0, STD, 0,
     1, {{D(10), 70}}, D(40), NO_DATA, NOCHECK, 0.4, 1, 70, NULL},

    /* ---- baseline == target: zero regulatory fines, lower is better ---- */
    {"zero_fines_maintain_value0_on_track", LIB, LAST, MAINTAIN, 1, 0, 1, 0, STD, 0,
     1, {{D(40), 0}}, D(50), ON_TRACK, 1.0, 0.5, 1, 0, NULL},
    {"zero_fines_maintain_value1_off_track", LIB, LAST, MAINTAIN, 1, 0, 1, 0, STD, 0,
     1, {{D(40), 1}}, D(50), OFF_TRACK, 0.0, 0.5, 1, 1, NULL},
    {"zero_fines_maintain_value0_past_deadline_achieved", LIB, LAST, MAINTAIN, 1, 0, 1, 0, STD, 0,
     1, {{D(99), 0}}, D(101), ACHIEVED, 1.0, 1.0, 1, 0, NULL},
    {"zero_fines_reach_value0_achieved", LIB, LAST, REACH, 1, 0, 1, 0, STD, 0,
     1, {{D(40), 0}}, D(50), ACHIEVED, 1.0, 0.5, 1, 0, NULL},

    /* ---- window ---- */
    {"samples_outside_window_ignored", HIB, MEAN, REACH, 1, 0, 1, 100, STD, D(10),
     3, {{D(5), -300}, {D(45), 80}, {D(48), 100}}, D(50), ON_TRACK, 0.9, 0.5, 1, 90, NULL},
    {"only_samples_outside_window_no_data", HIB, LAST, REACH, 1, 50, 1, 90, STD, D(7),
     1, {{D(10), 95}}, D(50), NO_DATA, NOCHECK, 0.5, 0, NOCHECK, NULL},
    {"window_bounds_inclusive", HIB, MEAN, REACH, 1, 0, 1, 100, STD, D(10),
     3, {{D(40) - 1, -1000}, {D(40), 60}, {D(50), 80}}, D(50), ON_TRACK, 0.7, 0.5, 1, 70, NULL},
    {"past_deadline_samples_after_deadline_ignored", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     2, {{D(90), 70}, {D(105), 95}}, D(110), MISSED, 0.5, 1.0, 1, 70, NULL},
    {"past_deadline_window_ends_at_deadline", HIB, MEAN, REACH, 1, 0, 1, 100, STD, D(10),
     3, {{D(85), 100}, {D(95), 40}, {D(101), 100}}, D(110), MISSED, 0.4, 1.0, 1, 40, NULL},

    /* ---- yes/no metric (0 = no, 1 = yes), target 1 ---- */
    {"yesno_no_off_track", HIB, LAST, REACH, 1, 0, 1, 1, STD, 0,
     1, {{D(10), 0}}, D(50), OFF_TRACK, 0.0, 0.5, 1, 0, NULL},
    {"yesno_yes_achieved", HIB, LAST, REACH, 1, 0, 1, 1, STD, 0,
     2, {{D(10), 0}, {D(30), 1}}, D(50), ACHIEVED, 1.0, 0.5, 1, 1, NULL},
    {"yesno_no_past_deadline_missed", HIB, LAST, REACH, 1, 0, 1, 1, STD, 0,
     1, {{D(10), 0}}, D(101), MISSED, 0.0, 1.0, 1, 0, NULL},
    {"yesno_no_early_within_margin_at_risk", HIB, LAST, REACH, 0, 0, 1, 1, STD, 0,
     1, {{D(1), 0}}, D(5), AT_RISK, 0.0, 0.05, 1, 0, NULL},

    /* ---- expected progress ---- */
    {"start_from_baseline_at", HIB, LAST, REACH, 1, 50, 1, 90, UNSET, D(0), D(100), 0,
     1, {{D(10), 70}}, D(25), ON_TRACK, 0.5, 0.25, 1, 70, NULL},
    {"before_start_expected_zero", HIB, LAST, REACH, 1, 50, 1, 90, D(10), UNSET, D(110), 0,
     1, {{D(4), 54}}, D(5), ON_TRACK, 0.1, 0.0, 1, 54, NULL},
    {"no_deadline_expected_zero", HIB, LAST, REACH, 1, 50, 1, 90, D(0), UNSET, UNSET, 0,
     1, {{D(10), 62}}, D(400), ON_TRACK, 0.3, 0.0, 1, 62, NULL},
    /* evaluator.h: without a start, expected is 0 before the deadline, 1 after */
    {"no_start_before_deadline_expected_zero", HIB, LAST, REACH, 1, 50, 1, 90, UNSET, UNSET,
     D(100), 0, 1, {{D(40), 60}}, D(50), ON_TRACK, 0.25, 0.0, 1, 60, NULL},
    {"no_start_past_deadline_expected_one", HIB, LAST, REACH, 1, 50, 1, 90, UNSET, UNSET,
     D(100), 0, 1, {{D(90), 80}}, D(110), MISSED, 0.75, 1.0, 1, 80, NULL},


    /* ==== ratio (100 * sum(value) / sum(total), total absent = 1) ==== */
    {"ratio_47_of_50_achieved", HIB, RATIO, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(10), 47}}, D(20), ACHIEVED, 44.0 / 40.0, 0.2, 1, 94,
     X(.has_totals = 1, .totals = {50}, .says = "(47 of 50)")},
    {"ratio_sums_values_and_totals_not_mean_of_ratios", HIB, RATIO, REACH, 1, 50, 1, 90, STD, 0,
     2, {{D(10), 30}, {D(20), 10}}, D(40), ON_TRACK, (100.0 * 40 / 60 - 50) / 40, 0.4, 1,
     100.0 * 40 / 60, X(.has_totals = 1, .totals = {40, 20})},
    {"ratio_total_absent_is_one", HIB, RATIO, REACH, 1, 50, 1, 90, STD, 0,
     4, {{D(10), 1}, {D(20), 1}, {D(30), 0}, {D(40), 1}}, D(60), ON_TRACK, 0.625, 0.6, 1, 75, NULL},
    {"ratio_zero_totals_no_value_no_data", HIB, RATIO, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(10), 0}}, D(20), NO_DATA, NOCHECK, 0.2, 0, NOCHECK,
     X(.has_totals = 1, .totals = {0})},
    {"ratio_in_window", HIB, RATIO, REACH, 1, 50, 1, 90, STD, D(10),
     3, {{D(5), 0}, {D(45), 9}, {D(48), 8}}, D(50), ON_TRACK, 35.0 / 40.0, 0.5, 1, 85,
     X(.has_totals = 1, .totals = {10, 10, 10})},

    /* ==== p95 (nearest rank: the ceil(0.95 n)-th smallest) ==== */
    {"p95_nearest_rank_of_20_is_19th", LIB, P95, REACH, 1, 40, 1, 18, STD, 0,
     20, {{D(1), 20}, {D(2), 1}, {D(3), 19}, {D(4), 2}, {D(5), 18}, {D(6), 3}, {D(7), 17}, {D(8), 4},
          {D(9), 16}, {D(10), 5}, {D(11), 15}, {D(12), 6}, {D(13), 14}, {D(14), 7}, {D(15), 13},
          {D(16), 8}, {D(17), 12}, {D(18), 9}, {D(19), 11}, {D(20), 10}},
     D(30), ON_TRACK, 21.0 / 22.0, 0.3, 1, 19, X(.says = "aggregation p95")},
    {"p95_of_three_is_the_largest", HIB, P95, REACH, 1, 0, 1, 100, STD, 0,
     3, {{D(1), 5}, {D(2), 1}, {D(2.5), 3}}, D(3), ON_TRACK, 0.05, 0.03, 1, 5, NULL},
    {"p95_window_only", LIB, P95, MAINTAIN, 1, 10, 1, 4, STD, D(7),
     3, {{D(30), 50}, {D(45), 3}, {D(48), 2}}, D(50), ON_TRACK, NOCHECK, 0.5, 1, 3, NULL},

    /* ==== yes/no (ValueKind YES_NO: met when value == target) ==== */
    {"yesno_kind_yes_achieved", HIB, LAST, REACH, 1, 0, 1, 1, STD, 0,
     2, {{D(5), 0}, {D(10), 1}}, D(20), ACHIEVED, 1.0, 0.2, 1, 1,
     X(.value_kind = YESNO, .says = "value yes = target yes")},
    {"yesno_kind_direction_ignored", LIB, LAST, REACH, 1, 0, 1, 1, STD, 0,
     1, {{D(10), 1}}, D(20), ACHIEVED, 1.0, 0.2, 1, 1, X(.value_kind = YESNO)},
    {"yesno_kind_no_behind_schedule_off_track", HIB, LAST, REACH, 1, 0, 1, 1, STD, 0,
     1, {{D(10), 0}}, D(50), OFF_TRACK, 0.0, 0.5, 1, 0, X(.value_kind = YESNO, .says = "value no")},
    {"yesno_kind_no_past_deadline_missed", HIB, LAST, REACH, 1, 0, 1, 1, STD, 0,
     1, {{D(10), 0}}, D(101), MISSED, 0.0, 1.0, 1, 0, X(.value_kind = YESNO)},
    {"yesno_kind_target_no_met", HIB, LAST, MAINTAIN, 0, 0, 1, 0, STD, 0,
     1, {{D(10), 0}}, D(20), ON_TRACK, 1.0, 0.2, 1, 0, X(.value_kind = YESNO)},
    {"yesno_kind_exclusive_ignored", HIB, LAST, REACH, 1, 0, 1, 1, STD, 0,
     1, {{D(10), 1}}, D(20), ACHIEVED, 1.0, 0.2, 1, 1, X(.value_kind = YESNO, .exclusive = 1)},

    /* ==== durations (ValueKind DURATION, Metric.unit s/min/h/d) and exclusive targets ==== */
    {"duration_p95_exclusive_met", LIB, P95, REACH, 1, 4, 1, 2, STD, 0,
     20, {{D(1), 1.5}, {D(2), 1.5}, {D(3), 1.5}, {D(4), 1.5}, {D(5), 1.5}, {D(6), 1.5}, {D(7), 1.5},
          {D(8), 1.5}, {D(9), 1.5}, {D(10), 1.5}, {D(11), 1.5}, {D(12), 1.5}, {D(13), 1.5},
          {D(14), 1.5}, {D(15), 1.5}, {D(16), 1.5}, {D(17), 1.5}, {D(18), 1.5}, {D(19), 1.9},
          {D(20), 3.0}},
     D(30), ACHIEVED, (1.9 - 4) / (2.0 - 4), 0.3, 1, 1.9,
     X(.value_kind = DURATION, .exclusive = 1, .unit = "h", .says = "1h 54min < target 2h")},
    {"duration_exclusive_equal_not_met", LIB, LAST, REACH, 1, 4, 1, 2, STD, 0,
     1, {{D(10), 2.0}}, D(30), ON_TRACK, 1.0, 0.3, 1, 2,
     X(.value_kind = DURATION, .exclusive = 1, .unit = "h", .says = "target < 2h (lower is better, exclusive)")},
    {"duration_mean_hours_minutes", LIB, MEAN, MAINTAIN, 0, 0, 1, 3, STD, 0,
     2, {{D(10), 2.5}, {D(20), 3.0}}, D(30), ON_TRACK, 1.0, 0.3, 1, 2.75,
     X(.value_kind = DURATION, .unit = "h", .says = "2h 45min")},
    {"duration_minutes_unit", LIB, LAST, MAINTAIN, 1, 480, 1, 240, STD, 0,
     1, {{D(10), 150}}, D(30), ON_TRACK, 330.0 / 240.0, 0.3, 1, 150,
     X(.value_kind = DURATION, .unit = "min", .says = "2h 30min <= target 4h")},
    {"duration_days_unit_missed", LIB, MAX, MAINTAIN, 0, 0, 1, 1, STD, 0,
     2, {{D(10), 0.5}, {D(50), 1.5}}, D(101), MISSED, 0.0, 1.0, 1, 1.5,
     X(.value_kind = DURATION, .unit = "d", .says = "1d 12h")},
    {"exclusive_hib_equal_maintain_at_risk", HIB, LAST, MAINTAIN, 1, 99, 1, 99.9, STD, 0,
     1, {{D(40), 99.9}}, D(50), AT_RISK, 1.0, 0.5, 1, 99.9, X(.exclusive = 1, .says = "misses target > 99.9 u")},
    {"inclusive_hib_equal_maintain_on_track", HIB, LAST, MAINTAIN, 1, 99, 1, 99.9, STD, 0,
     1, {{D(40), 99.9}}, D(50), ON_TRACK, 1.0, 0.5, 1, 99.9, NULL},
    {"exclusive_lib_below_achieved", LIB, LAST, REACH, 1, 96, 1, 48, STD, 0,
     1, {{D(20), 47}}, D(30), ACHIEVED, 49.0 / 48.0, 0.3, 1, 47, X(.exclusive = 1)},
    {"exclusive_reach_equal_past_deadline_missed", HIB, LAST, REACH, 1, 50, 1, 90, STD, 0,
     1, {{D(99), 90}}, D(101), MISSED, 1.0, 1.0, 1, 90, X(.exclusive = 1)},

    /* ==== maintain per calendar month (Metric.period = MONTH), 2026-Q1 plan ==== */
    {"month_all_met_so_far_on_track", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN, 0,
     3, {{D(14), 99.95}, {D(40), 99.92}, {D(60), 99.97}}, D(65), ON_TRACK,
     (99.97 - 99.0) / (99.9 - 99.0), 65.0 / 90, 1, 99.97,
     X(.period = MONTH, .period_label = "2026-03", MISSED_N(0), .says = "completed: 2 of 2 met")},
    {"month_completed_period_missed_off_track", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN, 0,
     3, {{D(14), 99.95}, {D(40), 99.5}, {D(60), 99.97}}, D(65), OFF_TRACK,
     (99.97 - 99.0) / (99.9 - 99.0), 65.0 / 90, 1, 99.97,
     X(.period = MONTH, .period_label = "2026-03", MISSED_N(1), .says = "2026-02 (99.5 u)")},
    {"month_completed_period_without_sample_is_missed", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9,
     Q1PLAN, 0, 2, {{D(14), 99.95}, {D(60), 99.97}}, D(65), OFF_TRACK, NOCHECK, 65.0 / 90, 1, 99.97,
     X(.period = MONTH, .period_label = "2026-03", MISSED_N(1), .says = "2026-02 (no sample)")},
    /* the same with a late sample whose effective time is in February (listed last) */
    {"month_late_sample_in_completed_period_counts", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9,
     Q1PLAN, 0, 3, {{D(14), 99.95}, {D(60), 99.97}, {D(45), 99.93}}, D(65), ON_TRACK, NOCHECK,
     65.0 / 90, 1, 99.97, X(.period = MONTH, .period_label = "2026-03", MISSED_N(0))},
    {"month_mean_is_per_period_not_overall", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN, 0,
     3, {{D(10), 100}, {D(20), 99.7}, {D(40), 100}}, D(45), OFF_TRACK, 1.0 / 0.9, 0.5, 1, 100,
     X(.period = MONTH, .period_label = "2026-02", MISSED_N(1), .says = "2026-01 (99.85 u)")},
    {"month_all_met_at_deadline_achieved", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN, 0,
     3, {{D(14), 99.95}, {D(40), 99.92}, {D(60), 99.97}}, D(95), ACHIEVED, NOCHECK, 1.0, 1, 99.97,
     X(.period = MONTH, .period_label = "2026-03", MISSED_N(0))},
    {"month_one_missed_past_deadline_missed", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN, 0,
     3, {{D(14), 99.95}, {D(40), 99.95}, {D(70), 99.0}}, D(95), MISSED, 0.0, 1.0, 1, 99.0,
     X(.period = MONTH, .period_label = "2026-03", MISSED_N(1))},
    {"month_sample_after_deadline_ignored", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN, 0,
     4, {{D(14), 99.95}, {D(40), 99.95}, {D(70), 99.95}, {D(91), 90.0}}, D(95), ACHIEVED, NOCHECK,
     1.0, 1, 99.95, X(.period = MONTH, .period_label = "2026-03", MISSED_N(0))},
    {"month_current_misses_within_margin_at_risk", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN,
     0, 2, {{D(14), 99.95}, {D(40), 99.85}}, D(45), AT_RISK, 0.85 / 0.9, 0.5, 1, 99.85,
     X(.period = MONTH, .period_label = "2026-02", MISSED_N(0))},
    {"month_current_without_sample_yet_on_track", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN,
     0, 1, {{D(14), 99.95}}, D(31) + H(1), ON_TRACK, 0.95 / 0.9, NOCHECK, 1, 99.95,
     X(.period = MONTH, .period_label = "2026-01", MISSED_N(0), .says = "current 2026-02: no sample yet")},
    {"month_nothing_yet_no_data", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN, 0,
     0, {{0, 0}}, D(10), NO_DATA, NOCHECK, 10.0 / 90, 0, NOCHECK,
     X(.period = MONTH, .period_label = "2026-01", MISSED_N(0))},
    {"month_nothing_past_deadline_missed", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN, 0,
     0, {{0, 0}}, D(95), MISSED, NOCHECK, 1.0, 0, NOCHECK, X(.period = MONTH, MISSED_N(3))},
    {"month_without_start_begins_at_first_sample", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, UNSET,
     UNSET, UNSET, 0, 2, {{D(40), 99.95}, {D(70), 99.95}}, D(75), ON_TRACK, NOCHECK, 0.0, 1, 99.95,
     X(.period = MONTH, .period_label = "2026-03", MISSED_N(0))},
    {"week_iso_weeks_lib_max_off_track", LIB, MAX, MAINTAIN, 1, 10, 1, 4, D(0), UNSET, D(28), 0,
     2, {{D(2), 3}, {D(5), 5}}, D(8), OFF_TRACK, 5.0 / 6.0, 8.0 / 28, 1, 5,
     X(.period = WEEK, .unit = "h", .period_label = "2026-W02", MISSED_N(0))},
    {"quarter_last_per_quarter", HIB, LAST, MAINTAIN, 1, 80, 1, 95, YEAR, 0,
     3, {{D(80), 96}, {D(150), 97}, {D(200), 93}}, D(200), OFF_TRACK, 13.0 / 15.0, 200.0 / 365, 1,
     93, X(.period = QUARTER, .period_label = "2026-Q3", MISSED_N(0))},
    {"day_sum_zero_incidents_each_day", LIB, SUM, MAINTAIN, 0, 0, 1, 0, D(0), UNSET, D(10), 0,
     2, {{D(1) + H(3), 0}, {D(2) + H(5), 1}}, D(3) + H(1), OFF_TRACK, 0.0, NOCHECK, 1, 1,
     X(.period = DAY, .period_label = "2026-01-03", MISSED_N(2), .says = "2026-01-01 (no sample)")},

    /* ==== period targets: "100 % in 2026-Q3 and Q4" ==== */
    {"targets_before_first_period_no_data", HIB, LAST, REACH, 1, 60, 1, 100, YEAR, 0,
     1, {{D(100), 80}}, D(150), NO_DATA, NOCHECK, 0.0 /* Q3 not begun */, 0, NOCHECK,
     X(Q3Q4(100, 100), .period_label = "2026-Q3", MISSED_N(0))},
    {"targets_reach_both_met_achieved", HIB, LAST, REACH, 1, 60, 1, 100, YEAR, 0,
     2, {{D(200), 100}, {D(280), 100}}, D(300), ACHIEVED, 1.0, 27.0 / 92 /* of Q4 */, 1, 100,
     X(Q3Q4(100, 100), .period_label = "2026-Q4", MISSED_N(0))},
    {"targets_reach_q3_missed_off_track", HIB, LAST, REACH, 1, 60, 1, 100, YEAR, 0,
     2, {{D(200), 90}, {D(280), 100}}, D(300), OFF_TRACK, 1.0, 27.0 / 92 /* of Q4 */, 1, 100,
     X(Q3Q4(100, 100), .period_label = "2026-Q4", MISSED_N(1), .says = "2026-Q3 (90 u)")},
    {"targets_maintain_current_met_on_track", HIB, LAST, MAINTAIN, 1, 60, 1, 100, YEAR, 0,
     2, {{D(200), 100}, {D(280), 100}}, D(300), ON_TRACK, 1.0, 300.0 / 365, 1, 100,
     X(Q3Q4(100, 100), .period_label = "2026-Q4", MISSED_N(0))},
    {"targets_maintain_past_deadline_achieved", HIB, LAST, MAINTAIN, 1, 60, 1, 100, YEAR, 0,
     2, {{D(200), 100}, {D(300), 100}}, D(370), ACHIEVED, 1.0, 1.0, 1, 100,
     X(Q3Q4(100, 100), .period_label = "2026-Q4", MISSED_N(0))},
    {"targets_each_period_its_own_target", HIB, LAST, MAINTAIN, 1, 60, 1, 100, YEAR, 0,
     2, {{D(200), 95}, {D(300), 95}}, D(370), MISSED, 35.0 / 40.0, 1.0, 1, 95,
     X(Q3Q4(90, 100), .period_label = "2026-Q4", MISSED_N(1), .says = "2026-Q4 (95 u)")},
    {"targets_reach_current_behind_period_schedule", HIB, LAST, REACH, 1, 60, 1, 100, YEAR, 0,
     1, {{D(190), 70}}, D(227), OFF_TRACK, 0.25, 46.0 / 92, 1, 70, /* expected: the part of Q3 elapsed */
     X(Q3Q4(100, 100), .period_label = "2026-Q3", MISSED_N(0),
       .says = "misses its target so far: progress 25% vs 50% expected by now (the part of 2026-Q3 elapsed")},
    {"targets_reach_current_ahead_of_period_schedule", HIB, LAST, REACH, 1, 60, 1, 100, YEAR, 0,
     1, {{D(190), 85}}, D(227), ON_TRACK, 0.625, 46.0 / 92, 1, 85,
     X(Q3Q4(100, 100), .period_label = "2026-Q3", MISSED_N(0))},
    {"targets_sample_outside_periods_ignored", HIB, MEAN, MAINTAIN, 1, 60, 1, 100, YEAR, 0,
     2, {{D(100), 0}, {D(200), 100}}, D(220), ON_TRACK, 1.0, 220.0 / 365, 1, 100,
     X(Q3Q4(100, 100), .period_label = "2026-Q3")},

    /* ==== hysteresis 2 % (prev_health is the last evaluation's health) ==== */
    {"hyst_wobble_just_below_expected_keeps_on_track", HIB, LAST, REACH, 1, 0, 1, 100, STD, 0,
     1, {{D(49), 49}}, D(50), ON_TRACK, 0.49, 0.5, 1, 49,
     X(.prev_health = ON_TRACK, .hysteresis = 0.02, .held = 1, .says = "hysteresis")},
    {"hyst_clear_crossing_goes_at_risk", HIB, LAST, REACH, 1, 0, 1, 100, STD, 0,
     1, {{D(49), 47}}, D(50), AT_RISK, 0.47, 0.5, 1, 47,
     X(.prev_health = ON_TRACK, .hysteresis = 0.02)},
    {"hyst_better_health_taken_at_once", HIB, LAST, REACH, 1, 0, 1, 100, STD, 0,
     1, {{D(49), 50.5}}, D(50), ON_TRACK, 0.505, 0.5, 1, 50.5,
     X(.prev_health = AT_RISK, .hysteresis = 0.02)},
    {"hyst_zero_disables", HIB, LAST, REACH, 1, 0, 1, 100, STD, 0,
     1, {{D(49), 49}}, D(50), AT_RISK, 0.49, 0.5, 1, 49,
     X(.prev_health = ON_TRACK, .hysteresis = 0)},
    {"hyst_without_previous_health_nothing_kept", HIB, LAST, REACH, 1, 0, 1, 100, STD, 0,
     1, {{D(49), 49}}, D(50), AT_RISK, 0.49, 0.5, 1, 49,
     X(.prev_health = HUNSPEC, .hysteresis = 0.02)},
    {"hyst_achieved_kept_before_deadline", HIB, LAST, REACH, 1, 0, 1, 100, STD, 0,
     1, {{D(49), 99}}, D(50), ACHIEVED, 0.99, 0.5, 1, 99,
     X(.prev_health = ACHIEVED, .hysteresis = 0.02, .held = 1)},
    {"hyst_achieved_left_on_clear_drop", HIB, LAST, REACH, 1, 0, 1, 100, STD, 0,
     1, {{D(49), 95}}, D(50), ON_TRACK, 0.95, 0.5, 1, 95,
     X(.prev_health = ACHIEVED, .hysteresis = 0.02)},
    {"hyst_at_risk_kept_near_off_track_threshold", HIB, LAST, REACH, 1, 0, 1, 100, STD, 0,
     1, {{D(49), 39}}, D(50), AT_RISK, 0.39, 0.5, 1, 39,
     X(.prev_health = AT_RISK, .hysteresis = 0.02, .held = 1)},
    {"hyst_maintain_just_below_target_keeps_on_track", HIB, LAST, MAINTAIN, 1, 99, 1, 99.9, STD,
     0, 1, {{D(49), 99.89}}, D(50), ON_TRACK, 0.89 / 0.9, 0.5, 1, 99.89,
     X(.prev_health = ON_TRACK, .hysteresis = 0.02, .held = 1)},
    {"hyst_maintain_clear_miss_shifted_thresholds", HIB, LAST, MAINTAIN, 1, 99, 1, 99.9, STD, 0,
     1, {{D(49), 99.8}}, D(50), AT_RISK, 0.8 / 0.9, 0.5, 1, 99.8,
     X(.prev_health = ON_TRACK, .hysteresis = 0.02, .held = 1)},
    {"hyst_not_applied_past_deadline", HIB, LAST, REACH, 1, 0, 1, 100, STD, 0,
     1, {{D(99), 99}}, D(101), MISSED, 0.99, 1.0, 1, 99,
     X(.prev_health = ACHIEVED, .hysteresis = 0.02)},
    {"hyst_needs_a_baseline_scale", HIB, LAST, MAINTAIN, 0, 0, 1, 99.9, STD, 0,
     1, {{D(49), 99.89}}, D(50), OFF_TRACK, 0.0, 0.5, 1, 99.89,
     X(.prev_health = ON_TRACK, .hysteresis = 0.02)},
    {"hyst_month_current_period_kept", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN, 0,
     2, {{D(14), 99.95}, {D(40), 99.89}}, D(45), ON_TRACK, 0.89 / 0.9, 0.5, 1, 99.89,
     X(.period = MONTH, .prev_health = ON_TRACK, .hysteresis = 0.02, .held = 1,
       .period_label = "2026-02")},
    {"hyst_month_completed_miss_not_softened", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN, 0,
     2, {{D(14), 99.89}, {D(40), 99.95}}, D(45), OFF_TRACK, NOCHECK, 0.5, 1, 99.95,
     X(.period = MONTH, .prev_health = ON_TRACK, .hysteresis = 0.02, MISSED_N(1))},
};

#define N_CASES (sizeof cases / sizeof cases[0])

static int64_t at(int64_t off) { return off == UNSET ? 0 : T0 + off; }

/* The objective of a row; storage in *m, *pt, *ptp (borrowed by *o). */
typedef struct row_obj {
    Ismo__V1__Objective o;
    Ismo__V1__Metric m;
    Ismo__V1__PeriodTarget pt[4];
    Ismo__V1__PeriodTarget *ptp[4];
} row_obj;

static void build_objective(const eval_case *c, row_obj *r)
{
    static const xcase none;
    const xcase *x = c->x ? c->x : &none;
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    r->m = m;
    r->o = o;
    r->m.unit = (char *)(x->unit ? x->unit : "u");
    r->m.has_direction = 1;
    r->m.direction = (Ismo__V1__Direction)c->direction;
    r->m.has_aggregation = 1;
    r->m.aggregation = (Ismo__V1__Aggregation)c->aggregation;
    r->m.has_window_ms = c->window_ms != 0;
    r->m.window_ms = c->window_ms;
    r->m.has_value_kind = x->value_kind != 0;
    r->m.value_kind = (Ismo__V1__ValueKind)x->value_kind;
    r->m.has_period = x->period != 0;
    r->m.period = (Ismo__V1__CalendarPeriod)x->period;
    r->o.id = "OBJ-1";
    r->o.function = "it-ops";
    r->o.title = (char *)c->name;
    r->o.metric = &r->m;
    r->o.has_target_mode = 1;
    r->o.target_mode = (Ismo__V1__TargetMode)c->mode;
    r->o.has_baseline = c->has_baseline;
    r->o.baseline = c->baseline;
    r->o.has_target = c->has_target;
    r->o.target = c->target;
    r->o.has_start_ms = c->start != UNSET;
    r->o.start_ms = at(c->start);
    r->o.has_baseline_at_ms = c->baseline_at != UNSET;
    r->o.baseline_at_ms = at(c->baseline_at);
    r->o.has_deadline_ms = c->deadline != UNSET;
    r->o.deadline_ms = at(c->deadline);
    r->o.has_target_exclusive = x->exclusive != 0;
    r->o.target_exclusive = x->exclusive != 0;
    for (size_t i = 0; i < x->n_targets; i++) {
        Ismo__V1__PeriodTarget pt = ISMO__V1__PERIOD_TARGET__INIT;
        r->pt[i] = pt;
        r->pt[i].label = (char *)x->targets[i].label;
        r->pt[i].has_from_ms = 1;
        r->pt[i].from_ms = T0 + x->targets[i].from;
        r->pt[i].has_to_ms = 1;
        r->pt[i].to_ms = T0 + x->targets[i].to;
        r->pt[i].has_target = 1;
        r->pt[i].target = x->targets[i].target;
        r->ptp[i] = &r->pt[i];
    }
    r->o.n_period_targets = x->n_targets;
    r->o.period_targets = x->n_targets ? r->ptp : NULL;
}

static int says(const ismo_eval *ev, const char *text)
{
    if (strstr(ev->explanation, text)) {
        return 1;
    }
    for (size_t i = 0; i < ev->n_rules; i++) {
        if (strstr(ev->rules[i], text)) {
            return 1;
        }
    }
    return 0;
}

static void run_case(void **state)
{
    const eval_case *c = *state;
    static const xcase none;
    const xcase *x = c->x ? c->x : &none;
    row_obj r;
    build_objective(c, &r);
    const Ismo__V1__Objective *o = &r.o;
    int64_t now = T0 + c->now;

    ismo_eval_run run;
    assert_int_equal(ismo_eval_run_init(&run, o, now), ISMO_OK);
    for (size_t i = 0; i < c->n; i++) {
        double total = x->has_totals ? x->totals[i] : 1.0;
        assert_int_equal(ismo_eval_run_add(&run, T0 + c->s[i].at, c->s[i].value, total), ISMO_OK);
    }
    ismo_eval_params p = {now, MARGIN, x->hysteresis, x->prev_health};
    ismo_eval ev;
    memset(&ev, 0x5a, sizeof ev);
    assert_int_equal(ismo_eval_run_finish(&run, &p, &ev), ISMO_OK);

    print_message("  %s: health %s progress %g expected %g value %g period %s missed %u (%s)\n",
                  c->name, ismo_health_name(ev.health), ev.progress, ev.expected, ev.value,
                  ev.period_label, ev.periods_missed, ev.explanation);
    for (size_t i = 0; i < ev.n_rules; i++) {
        print_message("      %zu. %s\n", i + 1, ev.rules[i]);
    }
    assert_int_equal(ev.has_value, c->has_value);
    if (!isnan(c->value) && c->has_value) {
        if (fabs(ev.value - c->value) >= TOL) {
            fail_msg("%s: value %.12g, expected %.12g", c->name, ev.value, c->value);
        }
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
    /* what GetStatus reports as expected progress is what the rule used */
    if (fabs(ev.expected - ismo_expected_judged(o, now)) >= TOL) {
        fail_msg("%s: expected progress %.12g, ismo_expected_judged %.12g", c->name, ev.expected,
                 ismo_expected_judged(o, now));
    }
    if (x->period_label) {
        assert_string_equal(ev.period_label, x->period_label);
    }
    if (x->check_missed) {
        assert_int_equal(ev.periods_missed, x->periods_missed);
    }
    if (x->says && !says(&ev, x->says)) {
        fail_msg("%s: neither the explanation nor a rule line says \"%s\"", c->name, x->says);
    }
    assert_int_equal(ev.held, x->held);
    /* the explanation is one non-empty, terminated line; rule lines too, at least two */
    assert_true(memchr(ev.explanation, '\0', sizeof ev.explanation) != NULL);
    assert_true(strlen(ev.explanation) > 0);
    assert_null(strchr(ev.explanation, '\n'));
    assert_true(ev.n_rules >= 2 && ev.n_rules <= ISMO_EVAL_MAX_RULES);
    for (size_t i = 0; i < ev.n_rules; i++) {
        assert_true(strlen(ev.rules[i]) > 0);
        assert_null(strchr(ev.rules[i], '\n'));
    }
    /* period results agree with the summary */
    size_t n;
    const ismo_period_result *res = ismo_eval_run_results(&run, &n);
    uint32_t missed = 0;
    for (size_t i = 0; i < n; i++) {
        missed += res[i].complete && !res[i].met;
        assert_true(res[i].from_ms < res[i].to_ms);
        assert_true(i == 0 || res[i - 1].to_ms <= res[i].from_ms);
        assert_true(!res[i].met || res[i].has_value);
    }
    assert_int_equal(missed, ev.periods_missed);
    ismo_eval_run_free(&run);

    /* rows without periods or hysteresis: the simple path agrees */
    if (!x->period && !x->n_targets && !x->hysteresis && !x->has_totals) {
        int64_t from, to;
        ismo_eval_window(o, now, &from, &to);
        ismo_agg agg;
        ismo_agg_init(&agg, c->aggregation);
        for (size_t i = 0; i < c->n; i++) {
            int64_t t = T0 + c->s[i].at;
            if (t >= from && t <= to) {
                assert_int_equal(ismo_agg_add(&agg, t, c->s[i].value), ISMO_OK);
            }
        }
        double value = 0;
        int has_value = agg.count > 0 && ismo_agg_value(&agg, &value);
        ismo_eval ev2;
        ismo_evaluate(o, has_value, value, now, MARGIN, &ev2);
        ismo_agg_release(&agg);
        assert_int_equal(ev2.health, ev.health);
        assert_int_equal(ev2.has_value, ev.has_value);
        assert_true(ev2.progress == ev.progress);
        assert_string_equal(ev2.explanation, ev.explanation);
    }
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
    ismo_agg_init(&a, RATIO);
    assert_int_equal(ismo_agg_value(&a, &v), 0);
    ismo_agg_add_total(&a, 1, 47, 50);
    ismo_agg_add_total(&a, 2, 3, 50);
    assert_int_equal(ismo_agg_value(&a, &v), 1);
    assert_true(fabs(v - 50.0) < TOL);
}

/* P95 against a sort, for many n and orders; the kept memory stays about n / 20. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

static void test_p95_nearest_rank(void **state)
{
    (void)state;
    static double vals[2000], sorted[2000];
    uint32_t seed = 12345;
    for (size_t n = 1; n <= 2000; n = n < 60 ? n + 1 : n * 3 / 2) {
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            vals[i] = (double)(seed >> 16 & 0x3ff) / 8.0; /* ties included */
            sorted[i] = vals[i];
        }
        qsort(sorted, n, sizeof sorted[0], cmp_double);
        size_t rank = (95 * n + 99) / 100; /* ceil(0.95 n), 1-based */
        /* unbounded, bounded by exactly n, bounded by more than n */
        for (int mode = 0; mode < 3; mode++) {
            ismo_agg a;
            ismo_agg_init(&a, P95);
            if (mode > 0) {
                ismo_agg_bound(&a, mode == 1 ? n : 3 * n);
            }
            for (size_t i = 0; i < n; i++) {
                assert_int_equal(ismo_agg_add(&a, (int64_t)i, vals[i]), ISMO_OK);
                if (i == n / 2) { /* reading midway must not disturb what follows */
                    double mid;
                    assert_int_equal(ismo_agg_value(&a, &mid), 1);
                }
            }
            double v = -1;
            assert_int_equal(ismo_agg_value(&a, &v), 1);
            if (v != sorted[rank - 1]) {
                fail_msg("n %zu mode %d: p95 %g, sorted[%zu] %g", n, mode, v, rank - 1, sorted[rank - 1]);
            }
            assert_false(a.overflow);
            if (mode == 1) {
                assert_true(a.n_top <= n / 20 + 1); /* the documented memory bound */
            }
            ismo_agg_release(&a);
            ismo_agg_release(&a); /* safe twice */
        }
        if (n >= 2) { /* more samples than the bound: flagged */
            ismo_agg a;
            ismo_agg_init(&a, P95);
            ismo_agg_bound(&a, n - 1);
            for (size_t i = 0; i < n; i++) {
                ismo_agg_add(&a, (int64_t)i, vals[i]);
            }
            assert_true(a.overflow);
            ismo_agg_release(&a);
        }
    }
    /* 1..100 -> 95; 1..1000 -> 950 (descending input) */
    ismo_agg a;
    ismo_agg_init(&a, P95);
    for (int i = 100; i >= 1; i--) {
        ismo_agg_add(&a, i, i);
    }
    double v;
    assert_int_equal(ismo_agg_value(&a, &v), 1);
    assert_true(v == 95);
    ismo_agg_release(&a);
    ismo_agg_init(&a, P95);
    for (int i = 1000; i >= 1; i--) {
        ismo_agg_add(&a, i, i);
    }
    assert_int_equal(ismo_agg_value(&a, &v), 1);
    assert_true(v == 950);
    ismo_agg_release(&a);
}

/* Calendar periods: boundaries and labels, across years, ISO weeks, before 1970. */
static void test_calendar_periods(void **state)
{
    (void)state;
    int64_t t;
    char buf[32];
    assert_int_equal(ismo_time_parse("2026-11-17T13:45Z", 0, &t), ISMO_OK);
    int64_t exp;
    assert_int_equal(ismo_time_parse("2026-11-01", 0, &exp), ISMO_OK);
    assert_int_equal(ismo_period_floor_ms(MONTH, t), exp);
    assert_int_equal(ismo_time_parse("2026-12-01", 0, &exp), ISMO_OK);
    assert_int_equal(ismo_period_next_ms(MONTH, t), exp);
    assert_string_equal(ismo_period_label(MONTH, t, buf, sizeof buf), "2026-11");
    assert_int_equal(ismo_time_parse("2026-10-01", 0, &exp), ISMO_OK);
    assert_int_equal(ismo_period_floor_ms(QUARTER, t), exp);
    assert_int_equal(ismo_time_parse("2027-01-01", 0, &exp), ISMO_OK);
    assert_int_equal(ismo_period_next_ms(QUARTER, t), exp);
    assert_int_equal(ismo_period_next_ms(ISMO__V1__CALENDAR_PERIOD__PERIOD_YEAR, t), exp);
    assert_string_equal(ismo_period_label(QUARTER, t, buf, sizeof buf), "2026-Q4");
    assert_string_equal(ismo_period_label(ISMO__V1__CALENDAR_PERIOD__PERIOD_YEAR, t, buf, sizeof buf), "2026");
    assert_string_equal(ismo_period_label(DAY, t, buf, sizeof buf), "2026-11-17");
    assert_int_equal(ismo_time_parse("2026-11-17", 0, &exp), ISMO_OK);
    assert_int_equal(ismo_period_floor_ms(DAY, t), exp);
    /* 2026-11-17 is a Tuesday: the ISO week starts Monday 2026-11-16, week 47 */
    assert_int_equal(ismo_time_parse("2026-11-16", 0, &exp), ISMO_OK);
    assert_int_equal(ismo_period_floor_ms(WEEK, t), exp);
    assert_int_equal(ismo_period_next_ms(WEEK, t), exp + 7 * ISMO_DAY_MS);
    assert_string_equal(ismo_period_label(WEEK, t, buf, sizeof buf), "2026-W47");
    /* ISO week-years: 2025-12-29 (Mon) is 2026-W01; 2027-01-01 (Fri) is 2026-W53;
     * 2027-01-04 (Mon) is 2027-W01; 2021-01-03 (Sun) is 2020-W53 */
    assert_int_equal(ismo_time_parse("2025-12-29", 0, &t), ISMO_OK);
    assert_string_equal(ismo_period_label(WEEK, t, buf, sizeof buf), "2026-W01");
    assert_int_equal(ismo_time_parse("2027-01-01T12:00Z", 0, &t), ISMO_OK);
    assert_string_equal(ismo_period_label(WEEK, t, buf, sizeof buf), "2026-W53");
    assert_int_equal(ismo_time_parse("2027-01-04", 0, &t), ISMO_OK);
    assert_string_equal(ismo_period_label(WEEK, t, buf, sizeof buf), "2027-W01");
    assert_int_equal(ismo_time_parse("2021-01-03", 0, &t), ISMO_OK);
    assert_string_equal(ismo_period_label(WEEK, t, buf, sizeof buf), "2020-W53");
    /* leap February, December -> January */
    assert_int_equal(ismo_time_parse("2028-02-29T23:59:59.999Z", 0, &t), ISMO_OK);
    assert_int_equal(ismo_time_parse("2028-03-01", 0, &exp), ISMO_OK);
    assert_int_equal(ismo_period_next_ms(MONTH, t), exp);
    assert_int_equal(ismo_time_parse("2026-12-31T23:00Z", 0, &t), ISMO_OK);
    assert_int_equal(ismo_time_parse("2027-01-01", 0, &exp), ISMO_OK);
    assert_int_equal(ismo_period_next_ms(MONTH, t), exp);
    /* before the epoch (negative instants floor downwards) */
    assert_int_equal(ismo_period_floor_ms(DAY, -1), -ISMO_DAY_MS);
    assert_string_equal(ismo_period_label(MONTH, -1, buf, sizeof buf), "1969-12");
    /* every boundary is the floor of itself and next is strictly later */
    int64_t k = ismo_period_floor_ms(WEEK, T0);
    for (int i = 0; i < 200; i++) {
        int64_t nk = ismo_period_next_ms(WEEK, k);
        assert_true(nk > k);
        assert_int_equal(ismo_period_floor_ms(WEEK, nk), nk);
        assert_int_equal(ismo_period_floor_ms(WEEK, nk - 1), k);
        k = nk;
    }
}

/* Calendar periods beyond ISMO_MAX_PERIODS: only the most recent are judged. */
static void test_period_cap(void **state)
{
    (void)state;
    static const xcase daily = {.period = DAY};
    static const eval_case c = {"cap", LIB, SUM, MAINTAIN, 0, 0, 1, 0, D(-5000), UNSET, UNSET, 0,
                                0, {{0, 0}}, 0, 0, NOCHECK, NOCHECK, 0, NOCHECK, &daily};
    row_obj r;
    build_objective(&c, &r);
    int64_t now = T0 + D(10) + H(12);
    for (int month = 0; month < 2; month++) {
        r.m.period = month ? MONTH : DAY;
        ismo_eval_run run;
        assert_int_equal(ismo_eval_run_init(&run, &r.o, now), ISMO_OK);
        assert_int_equal(ismo_eval_run_add(&run, T0 + D(3), 0, 1), ISMO_OK); /* 2026-01-04 met */
        ismo_eval_params p = {now, MARGIN, 0, HUNSPEC};
        ismo_eval ev;
        assert_int_equal(ismo_eval_run_finish(&run, &p, &ev), ISMO_OK);
        size_t n;
        const ismo_period_result *res = ismo_eval_run_results(&run, &n);
        char buf[32];
        if (!month) { /* 5011 days: the last 4000 */
            assert_int_equal(n, ISMO_MAX_PERIODS);
            assert_true(run.dropped);
            assert_string_equal(res[n - 1].label, "2026-01-11");
            assert_string_equal(res[0].label, ismo_period_label(DAY, T0 + D(11) - D(4000), buf, sizeof buf));
            assert_int_equal(ev.periods_missed, ISMO_MAX_PERIODS - 2); /* all complete but 01-04 */
            assert_true(says(&ev, "only the most recent 4000 periods"));
        } else { /* 2012-04 .. 2026-01: 166 months, all judged */
            assert_int_equal(n, 166);
            assert_false(run.dropped);
            assert_int_equal(res[0].from_ms, T0 + D(-5000)); /* cut at the start */
            assert_string_equal(res[n - 1].label, "2026-01");
        }
        assert_int_equal(ev.health, OFF_TRACK);
        ismo_eval_run_free(&run);
    }
}

/* How values are written in explanations. */
static void test_value_format(void **state)
{
    (void)state;
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    o.metric = &m;
    char buf[64];
    m.unit = "%";
    assert_string_equal(ismo_value_format(&o, 93, buf, sizeof buf), "93 %");
    m.unit = "h";
    assert_string_equal(ismo_value_format(&o, 48, buf, sizeof buf), "48 h");
    m.has_value_kind = 1;
    m.value_kind = DURATION;
    assert_string_equal(ismo_value_format(&o, 2.75, buf, sizeof buf), "2h 45min");
    assert_string_equal(ismo_value_format(&o, 1.9, buf, sizeof buf), "1h 54min");
    assert_string_equal(ismo_value_format(&o, 48, buf, sizeof buf), "2d");
    assert_string_equal(ismo_value_format(&o, 49.5, buf, sizeof buf), "2d 2h");
    assert_string_equal(ismo_value_format(&o, 1.9999, buf, sizeof buf), "2h");
    assert_string_equal(ismo_value_format(&o, 0.25, buf, sizeof buf), "15min");
    assert_string_equal(ismo_value_format(&o, -0.5, buf, sizeof buf), "-30min");
    m.unit = "s";
    assert_string_equal(ismo_value_format(&o, 45, buf, sizeof buf), "45s");
    assert_string_equal(ismo_value_format(&o, 90, buf, sizeof buf), "1min 30s");
    m.unit = "d";
    assert_string_equal(ismo_value_format(&o, 3, buf, sizeof buf), "3d");
    m.unit = "weeks"; /* not a duration unit: a plain number */
    assert_string_equal(ismo_value_format(&o, 3, buf, sizeof buf), "3 weeks");
    m.value_kind = YESNO;
    m.unit = "";
    assert_string_equal(ismo_value_format(&o, 1, buf, sizeof buf), "yes");
    assert_string_equal(ismo_value_format(&o, 0, buf, sizeof buf), "no");
    assert_string_equal(ismo_value_format(&o, 0.5, buf, sizeof buf), "0.5");
    m.has_aggregation = 1;
    m.aggregation = RATIO;
    assert_string_equal(ismo_value_format(&o, 94, buf, sizeof buf), "94 %");
}

/* A value wobbling around the ON_TRACK / AT_RISK threshold, fed back as
 * prev_health like the monitor does: with hysteresis the health does not
 * flap; without it, it does; a clear crossing still changes it. */
static void test_hysteresis_sequence(void **state)
{
    (void)state;
    static const eval_case c = {"seq", HIB, LAST, REACH, 1, 0, 1, 100, STD, 0, 0, {{0, 0}}, 0,
                                0, NOCHECK, NOCHECK, 0, NOCHECK, NULL};
    row_obj r;
    build_objective(&c, &r);
    int64_t now = T0 + D(50); /* expected 50 % */
    for (int pass = 0; pass < 2; pass++) {
        double h = pass == 0 ? 0.02 : 0;
        ismo_eval_params p = {now, MARGIN, h, ON_TRACK};
        int changes = 0;
        for (int i = 0; i < 40; i++) {
            double value = 50 + ((i % 2) ? -1.0 : 0.5); /* 50.5, 49, 50.5, 49, ... */
            ismo_eval ev;
            ismo_evaluate_value(&r.o, 1, value, &p, &ev);
            changes += ev.health != p.prev_health;
            p.prev_health = ev.health;
        }
        if (pass == 0) {
            assert_int_equal(changes, 0);
            assert_int_equal(p.prev_health, ON_TRACK);
        } else {
            assert_true(changes >= 39);
        }
    }
    /* clear crossing: 45 % is 5 points below expected -> AT_RISK at once, and
     * a wobble around the AT_RISK / OFF_TRACK threshold (40 %) then stays AT_RISK */
    ismo_eval_params p = {now, MARGIN, 0.02, ON_TRACK};
    ismo_eval ev;
    ismo_evaluate_value(&r.o, 1, 45, &p, &ev);
    assert_int_equal(ev.health, AT_RISK);
    p.prev_health = ev.health;
    for (int i = 0; i < 10; i++) {
        ismo_evaluate_value(&r.o, 1, (i % 2) ? 39 : 40.5, &p, &ev);
        assert_int_equal(ev.health, AT_RISK);
        p.prev_health = ev.health;
    }
    ismo_evaluate_value(&r.o, 1, 30, &p, &ev);
    assert_int_equal(ev.health, OFF_TRACK);
    /* time alone: expected progress passing progress + h is reported as a moment to look again */
    p.prev_health = ON_TRACK;
    ismo_evaluate_value(&r.o, 1, 49.5, &p, &ev);
    assert_int_equal(ev.health, ON_TRACK);
    assert_true(ev.held);
    assert_true(llabs(ev.next_change_ms - (T0 + D(51.5))) <= 1); /* 49.5 % + 2 % = 51.5 % of 100 d */
}

/* ---- ismo_assess against a real store ---- */

typedef struct store_fx {
    char dir[64];
    ismo_store_t *store;
} store_fx;

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        return;
    }
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int store_setup(void **state)
{
    store_fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ismo-test-assess-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    ismo_store_opts o = ismo_store_opts_default();
    o.map_size_bytes = (size_t)8 << 20;
    o.map_max_bytes = (size_t)64 << 20;
    o.no_sync = 1;
    char why[256];
    assert_int_equal(ismo_store_open(f->dir, &o, &f->store, why, sizeof why), ISMO_OK);
    *state = f;
    return 0;
}

static int store_teardown(void **state)
{
    store_fx *f = *state;
    ismo_store_destroy(&f->store);
    rm_dir(f->dir);
    free(f);
    return 0;
}

/* Store a sample as ismod's PushSamples does (sample, then the incremental aggregate). */
static void put_sample(ismo_txn_t *txn, const char *id, int64_t effective_ms, double value,
                       double total, int64_t received_ms)
{
    static unsigned seq;
    char sid[32];
    snprintf(sid, sizeof sid, "s-%u", ++seq);
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    s.objective_id = (char *)id;
    s.has_value = 1;
    s.value = value;
    s.has_effective_ms = 1;
    s.effective_ms = effective_ms;
    s.has_received_ms = 1;
    s.received_ms = received_ms;
    s.sample_id = sid;
    s.has_total = total != 1.0;
    s.total = total;
    assert_int_equal(ismo_store_sample_put(txn, &s), ISMO_OK);
    ismo_store_agg a;
    assert_int_equal(ismo_store_agg_get(txn, id, &a), ISMO_OK);
    if (a.count == 0 || value < a.min) {
        a.min = value;
    }
    if (a.count == 0 || value > a.max) {
        a.max = value;
    }
    if (a.count == 0 || effective_ms < a.first_ms) {
        a.first_ms = effective_ms;
    }
    if (a.count == 0 || effective_ms >= a.last_ms) {
        a.last_ms = effective_ms;
        a.last = value;
    }
    a.count++;
    a.sum += value;
    assert_int_equal(ismo_store_agg_put(txn, id, &a), ISMO_OK);
}

static ismo_assess_opts opts_at(int64_t now)
{
    ismo_assess_opts o = {now, 0, HUNSPEC, MARGIN, 0, 0};
    return o;
}

/* The fast path (incremental aggregate) and a scan agree; kept samples are
 * the newest, newest first; a window scans only the window. */
static void test_assess_fast_path_and_scan(void **state)
{
    store_fx *f = *state;
    static const eval_case c = {"fast", HIB, MEAN, REACH, 1, 0, 1, 100, STD, 0, 0, {{0, 0}}, 0,
                                0, NOCHECK, NOCHECK, 0, NOCHECK, NULL};
    row_obj r;
    build_objective(&c, &r);
    ismo_txn_t *txn;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    for (int i = 0; i < 30; i++) {
        put_sample(txn, "OBJ-1", T0 + D(i), 10 + i, 1, T0 + D(i) + 1000);
    }
    put_sample(txn, "OTHER", T0 + D(3), 1e6, 1, T0 + D(3)); /* another objective's sample */
    ismo_assess_opts ao = opts_at(T0 + D(40));
    ismo_assessment a, b;
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_int_equal(a.scanned, 0);
    assert_int_equal(a.mode, ISMO_EVAL_MODE_WINDOW);
    ao.keep_samples = 5;
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &b), ISMO_OK);
    assert_int_equal(b.scanned, 1);
    assert_int_equal(a.eval.health, b.eval.health);
    assert_true(fabs(a.eval.value - (10 + 39) / 2.0) < TOL);
    assert_true(fabs(b.eval.value - a.eval.value) < TOL);
    assert_int_equal(a.window_samples, 30);
    assert_int_equal(b.window_samples, 30);
    assert_int_equal(a.total_samples, 30);
    assert_int_equal(a.last_sample_ms, T0 + D(29));
    assert_int_equal(b.last_sample_ms, T0 + D(29));
    assert_int_equal(a.oldest_in_window_ms, T0);
    assert_int_equal(b.oldest_in_window_ms, T0);
    assert_int_equal(a.window_from_ms, 0);
    assert_int_equal(a.window_to_ms, T0 + D(40));
    assert_int_equal(b.n_samples, 5);
    for (size_t i = 0; i < b.n_samples; i++) {
        assert_int_equal(b.samples[i]->effective_ms, T0 + D(29 - (int)i)); /* newest first */
        assert_string_equal(b.samples[i]->objective_id, "OBJ-1");
    }
    assert_true(a.eval.n_rules >= 3);
    assert_non_null(strstr(a.eval.rules[0], "aggregation mean over all samples"));
    assert_non_null(strstr(a.eval.rules[0], "30 samples"));
    ismo_assessment_free(&a);
    ismo_assessment_free(&b);
    ismo_assessment_free(&b); /* safe twice */

    /* a 7-day window at day 33: [D(26), D(33)] holds the samples of days 26..29 */
    r.m.has_window_ms = 1;
    r.m.window_ms = D(7);
    ao = opts_at(T0 + D(33));
    ao.keep_samples = 100;
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_int_equal(a.scanned, 1);
    assert_int_equal(a.window_samples, 4);
    assert_int_equal(a.n_samples, 4);
    assert_int_equal(a.total_samples, 30);
    assert_int_equal(a.oldest_in_window_ms, T0 + D(26));
    assert_int_equal(a.window_from_ms, T0 + D(26));
    assert_true(fabs(a.eval.value - (36 + 37 + 38 + 39) / 4.0) < TOL);
    ismo_assessment_free(&a);

    /* ratio and p95 always scan */
    r.m.has_window_ms = 0;
    r.m.aggregation = RATIO;
    ao = opts_at(T0 + D(40));
    put_sample(txn, "RAT", T0 + D(1), 47, 50, T0 + D(1));
    put_sample(txn, "RAT", T0 + D(2), 3, 50, T0 + D(2));
    put_sample(txn, "RAT", T0 + D(3), 1, 1, T0 + D(3)); /* total absent = 1 */
    r.o.id = "RAT";
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_int_equal(a.scanned, 1);
    assert_true(fabs(a.eval.value - 100.0 * 51 / 101) < TOL);
    ismo_assessment_free(&a);

    /* p95: 1..40 -> the 38th smallest = 38; also when the stored count is
     * stale (samples stored without it): the bound overflows and ismo_assess
     * runs again without one */
    r.m.aggregation = P95;
    r.o.id = "P95";
    for (int i = 1; i <= 40; i++) {
        put_sample(txn, "P95", T0 + D(i % 7) + i, i, 1, T0 + D(10));
    }
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_true(a.eval.value == 38);
    assert_int_equal(a.window_samples, 40);
    ismo_assessment_free(&a);
    ismo_store_agg stale = {0};
    stale.count = 2;
    assert_int_equal(ismo_store_agg_put(txn, "P95", &stale), ISMO_OK);
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_true(a.eval.value == 38);
    assert_int_equal(a.window_samples, 40);
    ismo_assessment_free(&a);
    ismo_txn_abort(&txn);
}

/* As-of (received_by_ms) and a late sample: a monthly MAINTAIN objective is
 * OFF_TRACK because February has no sample; a sample for February received in
 * March makes February met (the period is recomputed from the samples); as of
 * an instant before that sample was received, it is OFF_TRACK again. */
static void test_assess_late_sample_and_as_of(void **state)
{
    store_fx *f = *state;
    static const xcase monthly = {.period = MONTH};
    static const eval_case c = {"late", HIB, MEAN, MAINTAIN, 1, 99.0, 1, 99.9, Q1PLAN, 0, 0,
                                {{0, 0}}, 0, 0, NOCHECK, NOCHECK, 0, NOCHECK, &monthly};
    row_obj r;
    build_objective(&c, &r);
    ismo_txn_t *txn;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    put_sample(txn, "OBJ-1", T0 + D(14), 99.95, 1, T0 + D(14));
    put_sample(txn, "OBJ-1", T0 + D(60), 99.97, 1, T0 + D(60));
    ismo_assess_opts ao = opts_at(T0 + D(62));
    ao.keep_samples = 10;
    ismo_assessment a;
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_int_equal(a.mode, ISMO_EVAL_MODE_CALENDAR);
    assert_int_equal(a.eval.health, OFF_TRACK);
    assert_int_equal(a.eval.periods_missed, 1);
    assert_string_equal(a.eval.period_label, "2026-03");
    assert_int_equal(a.n_periods, 3);
    assert_string_equal(a.periods[0].label, "2026-01");
    assert_string_equal(a.periods[1].label, "2026-02");
    assert_int_equal(a.periods[1].from_ms, T0 + D(31));
    assert_int_equal(a.periods[1].to_ms, T0 + D(59));
    assert_int_equal(a.periods[1].samples, 0);
    assert_false(a.periods[1].met);
    assert_true(a.periods[1].complete);
    assert_false(a.periods[2].complete);
    assert_int_equal(a.next_boundary_ms, T0 + D(90)); /* March ends (at the deadline) */
    assert_int_equal(a.window_from_ms, T0);
    ismo_assessment_free(&a);

    /* the late sample: effective in February, received on day 63 */
    put_sample(txn, "OBJ-1", T0 + D(45), 99.93, 1, T0 + D(63));
    ao.now_ms = T0 + D(64);
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_int_equal(a.eval.health, ON_TRACK);
    assert_int_equal(a.eval.periods_missed, 0);
    assert_int_equal(a.periods[1].samples, 1);
    assert_true(a.periods[1].met);
    assert_true(fabs(a.periods[1].value - 99.93) < TOL);
    assert_int_equal(a.total_samples, 3);
    assert_int_equal(a.n_samples, 3);
    assert_int_equal(a.samples[0]->effective_ms, T0 + D(60)); /* newest (effective) first */
    assert_int_equal(a.samples[1]->effective_ms, T0 + D(45));
    ismo_assessment_free(&a);

    /* as of day 62.5 (evaluated at that instant): the late sample was not received yet */
    ao.now_ms = T0 + D(62.5);
    ao.received_by_ms = T0 + D(62.5);
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_int_equal(a.scanned, 1);
    assert_int_equal(a.eval.health, OFF_TRACK);
    assert_int_equal(a.eval.periods_missed, 1);
    assert_int_equal(a.total_samples, 2);
    assert_int_equal(a.window_samples, 2);
    assert_int_equal(a.n_samples, 2);
    ismo_assessment_free(&a);

    /* as of day 20: only January's sample had been received */
    ao.now_ms = T0 + D(20);
    ao.received_by_ms = T0 + D(20);
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_int_equal(a.eval.health, ON_TRACK);
    assert_int_equal(a.total_samples, 1);
    assert_int_equal(a.last_sample_ms, T0 + D(14));
    assert_string_equal(a.eval.period_label, "2026-01");
    assert_int_equal(a.n_periods, 1);
    ismo_assessment_free(&a);

    /* at the deadline, all three months met: ACHIEVED */
    ao.now_ms = T0 + D(95);
    ao.received_by_ms = 0;
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_int_equal(a.eval.health, ACHIEVED);
    ismo_assessment_free(&a);
    ismo_txn_abort(&txn);
}

/* As-of on a plain window objective, hysteresis through ismo_assess, and an
 * objective without samples. */
static void test_assess_as_of_window_and_hysteresis(void **state)
{
    store_fx *f = *state;
    static const eval_case c = {"asof", HIB, LAST, REACH, 1, 0, 1, 100, STD, 0, 0, {{0, 0}}, 0,
                                0, NOCHECK, NOCHECK, 0, NOCHECK, NULL};
    row_obj r;
    build_objective(&c, &r);
    ismo_txn_t *txn;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    ismo_assess_opts ao = opts_at(T0 + D(10));
    ismo_assessment a;
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK); /* no samples at all */
    assert_int_equal(a.eval.health, NO_DATA);
    assert_int_equal(a.total_samples, 0);
    assert_int_equal(a.last_sample_ms, 0);
    assert_int_equal(a.oldest_in_window_ms, 0);
    ismo_assessment_free(&a);

    put_sample(txn, "OBJ-1", T0 + D(10), 20, 1, T0 + D(10));
    put_sample(txn, "OBJ-1", T0 + D(20), 49, 1, T0 + D(20));
    /* backfilled on day 30 with an effective time of day 25: LAST is the latest effective */
    put_sample(txn, "OBJ-1", T0 + D(25), 60, 1, T0 + D(30));
    ao = opts_at(T0 + D(50));
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_true(a.eval.value == 60);
    assert_int_equal(a.eval.health, ON_TRACK);
    ismo_assessment_free(&a);
    ao.received_by_ms = T0 + D(29);
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_true(a.eval.value == 49);
    assert_int_equal(a.eval.health, AT_RISK); /* 49 % vs 50 % expected */
    assert_int_equal(a.total_samples, 2);
    assert_int_equal(a.last_sample_ms, T0 + D(20));
    ismo_assessment_free(&a);
    /* the same with the previous health ON_TRACK and hysteresis: kept */
    ao.prev_health = ON_TRACK;
    ao.hysteresis = 0.02;
    assert_int_equal(ismo_assess(txn, &r.o, &ao, &a), ISMO_OK);
    assert_int_equal(a.eval.health, ON_TRACK);
    assert_true(a.eval.held);
    assert_true(a.next_boundary_ms > T0 + D(50));
    ismo_assessment_free(&a);
    ismo_txn_abort(&txn);
}

int main(void)
{
    struct CMUnitTest tests[N_CASES + 10];
    size_t n = 0;
    for (size_t i = 0; i < N_CASES; i++) {
        tests[n++] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_window_bounds);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_agg_primitives);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_p95_nearest_rank);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_calendar_periods);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_period_cap);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_value_format);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_hysteresis_sequence);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(test_assess_fast_path_and_scan,
                                                                      store_setup, store_teardown);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(test_assess_late_sample_and_as_of,
                                                                      store_setup, store_teardown);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(
        test_assess_as_of_window_and_hysteresis, store_setup, store_teardown);
    return _cmocka_run_group_tests("evaluator", tests, n, NULL, NULL);
}
