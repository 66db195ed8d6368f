/* evaluator: an objective's health computed from measured data (ISO/IEC
 * 27001:2022 6.2 b "measurable", f "monitored"). Pure functions: no storage,
 * no clock (now is a parameter), no sockets; any thread.
 *
 * Rules (docs/evaluation.md):
 *  - The current value is the metric's aggregation (last, mean, min, max, sum,
 *    count) over samples with effective time in [end - window, end], where
 *    end = min(now, deadline) (deadline unset: now) and window 0 = all samples.
 *  - met: value >= target (higher is better) or value <= target (lower is better).
 *  - progress = (value - baseline) / (target - baseline); without a baseline, or
 *    when baseline == target, progress is 1 when met and 0 otherwise.
 *  - expected progress = (now - start) / (deadline - start), clamped to [0, 1];
 *    start = start_ms, else baseline_at_ms; when start is unset it is 0 before
 *    the deadline and 1 once the deadline passed; 0 without a deadline.
 *  - REACH: met -> ACHIEVED; past deadline -> MISSED; progress >= expected ->
 *    ON_TRACK; progress >= expected - margin -> AT_RISK; else OFF_TRACK.
 *  - MAINTAIN: met -> ON_TRACK (ACHIEVED once the deadline passed); not met:
 *    past deadline -> MISSED; progress >= 1 - margin -> AT_RISK; else OFF_TRACK.
 *  - no value in the window: MISSED if the deadline passed, else NO_DATA.
 *  - no target: NO_DATA (nothing to measure against). */
#ifndef ISMO_EVALUATOR_H
#define ISMO_EVALUATOR_H

#include <stdint.h>

#include "ismo_codec.h"

/* Running aggregation of samples (no allocation). Initialise with
 * ismo_agg_init, add samples in any order, read with ismo_agg_value. */
typedef struct ismo_agg {
    int aggregation;        /* ismo.v1.Aggregation */
    uint64_t count;
    double sum;
    double min;
    double max;
    int64_t last_ms;        /* effective time of the latest sample */
    double last;            /* its value */
} ismo_agg;

void ismo_agg_init(ismo_agg *a, int aggregation);
void ismo_agg_add(ismo_agg *a, int64_t effective_ms, double value);
/* 1 and *value set when at least one sample was added (COUNT: always 1). */
int ismo_agg_value(const ismo_agg *a, double *value);

/* Window [*from_ms, *to_ms] (inclusive, UTC ms) to aggregate for o at now_ms. */
void ismo_eval_window(const Ismo__V1__Objective *o, int64_t now_ms, int64_t *from_ms, int64_t *to_ms);

/* Expected progress of o at now_ms (fraction, see the rules above). */
double ismo_expected_progress(const Ismo__V1__Objective *o, int64_t now_ms);

typedef struct ismo_eval {
    int health;              /* ismo.v1.Health */
    int has_value;
    double value;            /* current value, metric unit */
    double progress;         /* fraction baseline -> target */
    double expected;         /* expected fraction by now */
    char explanation[320];   /* one line: rule and numbers */
} ismo_eval;

/* Evaluate o at now_ms given the aggregated window (has_value/value) and
 * the server's at-risk margin (fraction, e.g. 0.10 = 10 percentage points). */
void ismo_evaluate(const Ismo__V1__Objective *o, int has_value, double value, int64_t now_ms,
                   double at_risk_margin, ismo_eval *out);

#endif
