/* evaluator: health from baseline, target, deadline and the aggregated
 * measurement. Owns no state; see evaluator.h for the rules. */
#include "evaluator.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void ismo_agg_init(ismo_agg *a, int aggregation)
{
    a->aggregation = aggregation;
    a->count = 0;
    a->sum = 0;
    a->min = INFINITY;
    a->max = -INFINITY;
    a->last_ms = INT64_MIN;
    a->last = 0;
}

void ismo_agg_add(ismo_agg *a, int64_t effective_ms, double value)
{
    a->count++;
    a->sum += value;
    if (value < a->min) {
        a->min = value;
    }
    if (value > a->max) {
        a->max = value;
    }
    if (effective_ms >= a->last_ms) {
        a->last_ms = effective_ms;
        a->last = value;
    }
}

int ismo_agg_value(const ismo_agg *a, double *value)
{
    if (a->aggregation == ISMO__V1__AGGREGATION__COUNT) {
        *value = (double)a->count;
        return 1;
    }
    if (a->count == 0) {
        return 0;
    }
    switch (a->aggregation) {
    case ISMO__V1__AGGREGATION__MEAN: *value = a->sum / (double)a->count; break;
    case ISMO__V1__AGGREGATION__MIN: *value = a->min; break;
    case ISMO__V1__AGGREGATION__MAX: *value = a->max; break;
    case ISMO__V1__AGGREGATION__SUM: *value = a->sum; break;
    default: *value = a->last; break;
    }
    return 1;
}

void ismo_eval_window(const Ismo__V1__Objective *o, int64_t now_ms, int64_t *from_ms, int64_t *to_ms)
{
    int64_t end = now_ms;
    if (o->has_deadline_ms && o->deadline_ms > 0 && o->deadline_ms < end) {
        end = o->deadline_ms;
    }
    int64_t window = o->metric && o->metric->has_window_ms ? o->metric->window_ms : 0;
    *to_ms = end;
    *from_ms = window > 0 ? end - window : INT64_MIN / 2;
}

static int higher_is_better(const Ismo__V1__Objective *o)
{
    return !(o->metric && o->metric->has_direction &&
             o->metric->direction == ISMO__V1__DIRECTION__LOWER_IS_BETTER);
}

static double clamp01(double x) { return x < 0 ? 0 : (x > 1 ? 1 : x); }

/* "93 %" style: a space before a unit word, none before "%". */
static const char *with_unit(char *buf, size_t len, double v, const char *unit)
{
    snprintf(buf, len, "%g%s%s", v, unit[0] && strcmp(unit, "%") != 0 ? " " : "", unit);
    return buf;
}

double ismo_expected_progress(const Ismo__V1__Objective *o, int64_t now_ms)
{
    int has_deadline = o->has_deadline_ms && o->deadline_ms > 0;
    int64_t start = o->has_start_ms && o->start_ms ? o->start_ms
                    : (o->has_baseline_at_ms ? o->baseline_at_ms : 0);
    if (has_deadline && start > 0 && o->deadline_ms > start) {
        return clamp01((double)(now_ms - start) / (double)(o->deadline_ms - start));
    }
    return has_deadline && now_ms >= o->deadline_ms ? 1 : 0;
}

void ismo_evaluate(const Ismo__V1__Objective *o, int has_value, double value, int64_t now_ms,
                   double margin, ismo_eval *out)
{
    const char *unit = o->metric && o->metric->unit ? o->metric->unit : "";
    int hib = higher_is_better(o);
    int has_deadline = o->has_deadline_ms && o->deadline_ms > 0;
    int past = has_deadline && now_ms >= o->deadline_ms;
    int maintain = o->has_target_mode && o->target_mode == ISMO__V1__TARGET_MODE__MAINTAIN;

    out->has_value = has_value;
    out->value = has_value ? value : 0;
    out->progress = 0;
    out->expected = ismo_expected_progress(o, now_ms);
    if (!o->has_target) {
        out->health = ISMO__V1__HEALTH__NO_DATA;
        snprintf(out->explanation, sizeof out->explanation,
                 "no target set: nothing to measure against");
        return;
    }
    if (!has_value) {
        out->health = past ? ISMO__V1__HEALTH__MISSED : ISMO__V1__HEALTH__NO_DATA;
        snprintf(out->explanation, sizeof out->explanation,
                 past ? "no sample in the window up to the deadline"
                      : "no sample in the metric's window yet");
        return;
    }
    int met = hib ? value >= o->target : value <= o->target;
    double span = o->target - (o->has_baseline ? o->baseline : o->target);
    if (o->has_baseline && span != 0) {
        out->progress = (value - o->baseline) / span;
    } else {
        out->progress = met ? 1 : 0;
    }
    if (met && out->progress < 1) {
        out->progress = 1;
    }
    const char *cmp = hib ? ">=" : "<=";
    char vs[64], ts[64];
    with_unit(vs, sizeof vs, value, unit);
    with_unit(ts, sizeof ts, o->target, unit);
    if (maintain) {
        if (met) {
            out->health = past ? ISMO__V1__HEALTH__ACHIEVED : ISMO__V1__HEALTH__ON_TRACK;
            snprintf(out->explanation, sizeof out->explanation,
                     "maintain: value %s %s target %s%s", vs, cmp, ts,
                     past ? " at the deadline" : " so far");
        } else if (past) {
            out->health = ISMO__V1__HEALTH__MISSED;
            snprintf(out->explanation, sizeof out->explanation,
                     "maintain: value %s did not hold target %s %s by the deadline", vs, cmp, ts);
        } else {
            out->health = out->progress >= 1 - margin ? ISMO__V1__HEALTH__AT_RISK
                                                      : ISMO__V1__HEALTH__OFF_TRACK;
            snprintf(out->explanation, sizeof out->explanation,
                     "maintain: value %s misses target %s %s (progress %.0f%%, at-risk margin %.0f%%)",
                     vs, cmp, ts, out->progress * 100, margin * 100);
        }
        return;
    }
    if (met) {
        out->health = ISMO__V1__HEALTH__ACHIEVED;
        snprintf(out->explanation, sizeof out->explanation, "reach: value %s %s target %s", vs,
                 cmp, ts);
    } else if (past) {
        out->health = ISMO__V1__HEALTH__MISSED;
        snprintf(out->explanation, sizeof out->explanation,
                 "reach: deadline passed with value %s, target %s %s (progress %.0f%%)", vs, cmp, ts,
                 out->progress * 100);
    } else {
        if (out->progress >= out->expected) {
            out->health = ISMO__V1__HEALTH__ON_TRACK;
        } else if (out->progress >= out->expected - margin) {
            out->health = ISMO__V1__HEALTH__AT_RISK;
        } else {
            out->health = ISMO__V1__HEALTH__OFF_TRACK;
        }
        snprintf(out->explanation, sizeof out->explanation,
                 "reach: progress %.0f%% (value %s, baseline %g, target %s) vs %.0f%% expected by now (at-risk margin %.0f%%)",
                 out->progress * 100, vs, o->has_baseline ? o->baseline : o->target, ts,
                 out->expected * 100, margin * 100);
    }
}
