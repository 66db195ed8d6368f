/* evaluator: an objective's health computed from measured data (ISO/IEC
 * 27001:2022 6.2 b "measurable", f "monitored"). Pure functions: no storage,
 * no clock (now is a parameter), no sockets; any thread. docs/evaluation.md
 * is the long form of these rules; server/assess.h feeds it from the store.
 *
 * Rules:
 *  - The current value is the metric's aggregation (last, mean, min, max, sum,
 *    count, ratio, p95) over samples with effective time in [end - window, end],
 *    where end = min(now, deadline) (deadline unset: now) and window 0 = all
 *    samples. RATIO = 100 * sum(value) / sum(total) (Sample.total absent = 1;
 *    sum(total) == 0: no value). P95 = nearest rank: the ceil(0.95 n)-th
 *    smallest of the n values.
 *  - met: value >= target (higher is better) or value <= target (lower is
 *    better); with Objective.target_exclusive value > target / value < target;
 *    for ValueKind YES_NO value == target (direction and exclusive ignored).
 *  - progress = (value - baseline) / (target - baseline); without a baseline, or
 *    when baseline == target, or for YES_NO, progress is 1 when met and 0
 *    otherwise. Met counts as at least 1.
 *  - expected progress = (now - start) / (deadline - start), clamped to [0, 1];
 *    start = start_ms, else baseline_at_ms; when start is unset it is 0 before
 *    the deadline and 1 once the deadline passed; 0 without a deadline.
 *  - REACH: met -> ACHIEVED; past deadline -> MISSED; progress >= expected ->
 *    ON_TRACK; progress >= expected - margin -> AT_RISK; else OFF_TRACK.
 *  - MAINTAIN: met -> ON_TRACK (ACHIEVED once the deadline passed); not met:
 *    past deadline -> MISSED; progress >= 1 - margin -> AT_RISK; else OFF_TRACK.
 *  - no value in the window: MISSED if the deadline passed, else NO_DATA.
 *  - no target: NO_DATA (nothing to measure against).
 *  - Periods (Metric.period set, or Objective.period_targets): each period is
 *    judged on its own samples (effective time in [from, to), not after now)
 *    against its own target; a completed period with no sample counts as
 *    missed. Past the deadline: any missed -> MISSED, else ACHIEVED. Before:
 *    any completed period missed -> OFF_TRACK; else the current period is
 *    judged (MAINTAIN rule; REACH period targets: REACH rule with the
 *    expected progress inside the period, which is then the expected
 *    progress reported: ismo_expected_judged); a current period without samples
 *    after met completed periods is ON_TRACK; nothing at all is NO_DATA.
 *  - Hysteresis h (fraction of |target - baseline|, progress terms): before
 *    the deadline, a change from prev_health to a worse health among
 *    ACHIEVED > ON_TRACK > AT_RISK > OFF_TRACK happens only when the progress
 *    is more than h beyond the threshold; otherwise prev_health is kept (the
 *    rule is re-run with every threshold moved down by h and the worse of
 *    that and prev_health is taken). Needs a scale: no baseline, baseline ==
 *    target or YES_NO disables it. Better health is taken at once. */
#ifndef ISMO_EVALUATOR_H
#define ISMO_EVALUATOR_H

#include <stddef.h>
#include <stdint.h>

#include "ismo_codec.h"
#include "ismo_err.h"

/* ---- calendar periods (UTC; ismo.v1.CalendarPeriod) ---- */

/* Start of the period containing t_ms (UTC ms): midnight, Monday 00:00 (ISO
 * week), the 1st of the month / quarter / year. period NONE returns t_ms. */
int64_t ismo_period_floor_ms(int period, int64_t t_ms);
/* Start of the period after the one starting at start_ms (UTC ms). */
int64_t ismo_period_next_ms(int period, int64_t start_ms);
/* Label of the period containing t_ms into buf (>= 16 bytes): "2026-11-30",
 * "2026-W48" (ISO week-year), "2026-11", "2026-Q4", "2026". Returns buf. */
char *ismo_period_label(int period, int64_t t_ms, char *buf, size_t len);

/* ---- aggregation ---- */

/* Running aggregation of samples. Initialise with ismo_agg_init, add samples
 * in any order, read with ismo_agg_value, release with ismo_agg_release.
 * Memory: none, except P95, which keeps values (8 bytes each): all n of them,
 * or, after ismo_agg_bound(a, N), only the largest N - ceil(0.95 N) + 1
 * (about N / 20 + 1) in a min-heap. */
typedef struct ismo_agg {
    int aggregation;        /* ismo.v1.Aggregation */
    uint64_t count;
    double sum;
    double total;           /* sum of Sample.total (RATIO) */
    double min;
    double max;
    int64_t last_ms;        /* effective time of the latest sample */
    double last;            /* its value */
    double *top;            /* P95: the kept values (owned) */
    size_t n_top, cap_top;
    size_t keep_max;        /* P95 with a bound: keep at most this many (0 = all) */
    uint64_t bound;         /* the bound N (0 = none) */
    int overflow;           /* more than N samples were added: the P95 may be wrong */
} ismo_agg;

void ismo_agg_init(ismo_agg *a, int aggregation);
/* P95: at most max_count samples will be added (e.g. all samples of the
 * objective); keep only what the percentile of up to that many needs. Call
 * before adding. Adding more sets a->overflow. Other aggregations: no effect. */
void ismo_agg_bound(ismo_agg *a, uint64_t max_count);
/* Add a sample with total 1. ISMO_ERR_NOMEM (P95 only; the sample is not counted). */
ismo_err ismo_agg_add(ismo_agg *a, int64_t effective_ms, double value);
/* Add a sample with its RATIO denominator (Sample.total; pass 1 when absent). */
ismo_err ismo_agg_add_total(ismo_agg *a, int64_t effective_ms, double value, double total);
/* 1 and *value set when there is a value: at least one sample (RATIO: and a
 * non-zero sum of totals); COUNT: always 1. P95 sorts the kept values
 * (O(m log m) for m kept); adding more afterwards stays correct. */
int ismo_agg_value(ismo_agg *a, double *value);
/* Free the P95 memory; a may be initialised again. Safe twice. */
void ismo_agg_release(ismo_agg *a);

/* Window [*from_ms, *to_ms] (inclusive, UTC ms) to aggregate for o at now_ms.
 * window 0: *from_ms = INT64_MIN / 2 (all samples). */
void ismo_eval_window(const Ismo__V1__Objective *o, int64_t now_ms, int64_t *from_ms, int64_t *to_ms);

/* Expected progress of o at now_ms (fraction, see the rules above). */
double ismo_expected_progress(const Ismo__V1__Objective *o, int64_t now_ms);

/* The expected progress the health rule uses at now_ms (what
 * Status.expected_progress shows): for REACH period targets before the end,
 * the part of the current period elapsed (the first period, by from_ms, not
 * ended by now; 0 before it starts); otherwise ismo_expected_progress. */
double ismo_expected_judged(const Ismo__V1__Objective *o, int64_t now_ms);

/* A value of o's metric as people write it into buf: "93 %", "48 h",
 * "yes"/"no" (YES_NO), "2h 45min" (DURATION, unit s/min/h/d). Returns buf. */
char *ismo_value_format(const Ismo__V1__Objective *o, double value, char *buf, size_t len);

/* ---- evaluation ---- */

#define ISMO_EVAL_MAX_RULES 10
#define ISMO_EVAL_RULE_BYTES 256
#define ISMO_PERIOD_LABEL_BYTES 72   /* PeriodTarget.label <= 64 bytes */
/* Most periods judged: the most recent ones (4000 days is about 11 years). */
#define ISMO_MAX_PERIODS 4000

typedef struct ismo_eval_params {
    int64_t now_ms;          /* evaluate at this instant, UTC ms */
    double margin;           /* at-risk margin, fraction (0.10 = 10 percentage points) */
    double hysteresis;       /* fraction of |target - baseline|, progress terms; 0 = none */
    int prev_health;         /* ismo.v1.Health of the last evaluation; HEALTH_UNSPECIFIED = none */
} ismo_eval_params;

typedef struct ismo_eval {
    int health;              /* ismo.v1.Health */
    int has_value;
    double value;            /* current value, metric unit (periods: the period_label period's) */
    double progress;         /* fraction baseline -> target */
    double expected;         /* expected fraction by now */
    int held;                /* 1: hysteresis changed the health from what the rule alone
                                gives (kept prev_health, or a smaller step down) */
    char explanation[320];   /* one line: rule and numbers */
    size_t n_rules;          /* rule lines, in order of application */
    char rules[ISMO_EVAL_MAX_RULES][ISMO_EVAL_RULE_BYTES];
    char period_label[ISMO_PERIOD_LABEL_BYTES]; /* periods: the period shown; "" otherwise */
    uint32_t periods_missed; /* completed periods that missed their target */
    int64_t next_change_ms;  /* a later instant when time alone can change the health that
                                ismo_next_check_ms does not know (a period boundary, a
                                hysteresis-shifted threshold), UTC ms; 0 = none */
} ismo_eval;

/* Evaluate o at now_ms given the aggregated window (has_value/value) and
 * the server's at-risk margin (no hysteresis, no periods). */
void ismo_evaluate(const Ismo__V1__Objective *o, int has_value, double value, int64_t now_ms,
                   double at_risk_margin, ismo_eval *out);
/* The same with hysteresis against p->prev_health. */
void ismo_evaluate_value(const Ismo__V1__Objective *o, int has_value, double value,
                         const ismo_eval_params *p, ismo_eval *out);

/* One judged period (ExplainReply.periods). */
typedef struct ismo_period_result {
    char label[ISMO_PERIOD_LABEL_BYTES];
    int64_t from_ms, to_ms;  /* [from, to), UTC ms */
    double target;           /* metric unit */
    int has_value;
    double value;
    uint64_t samples;
    int met;
    int complete;            /* the period ended (to <= now, or the deadline passed) */
} ismo_period_result;

/* A whole evaluation of one objective at one instant: decide which samples
 * matter (ismo_eval_run_range), add them (ismo_eval_run_add), then
 * ismo_eval_run_finish. The fields are private; the struct is public so a run
 * lives on the stack. Free with ismo_eval_run_free. */
enum { ISMO_EVAL_MODE_WINDOW = 0, ISMO_EVAL_MODE_CALENDAR = 1, ISMO_EVAL_MODE_TARGETS = 2 };
typedef struct ismo_eval_period {
    int64_t key_ms;          /* calendar: period start (unclipped); targets: index */
    int64_t from_ms, to_ms;  /* [from, to) clipped to start and deadline */
    double target;
    const char *label;       /* PeriodTarget.label (borrowed from the objective) or NULL */
    ismo_agg agg;
} ismo_eval_period;

typedef struct ismo_eval_run {
    const Ismo__V1__Objective *o; /* borrowed for the run's life */
    int64_t now_ms;
    int mode;                /* ISMO_EVAL_MODE_* */
    int period;              /* CALENDAR: ismo.v1.CalendarPeriod */
    int aggregation;
    int64_t from_ms, to_ms;  /* samples outside [from, to] (inclusive) are ignored */
    int64_t lo_ms;           /* CALENDAR: periods begin here (start); INT64_MIN = first sample */
    ismo_agg window;         /* WINDOW */
    uint64_t samples;        /* samples taken (each once) */
    int64_t oldest_ms, newest_ms; /* effective times of the samples taken; 0 = none */
    ismo_eval_period *periods;
    size_t n_periods, cap_periods;
    ismo_period_result *results; /* after finish; owned */
    size_t n_results;
    int dropped;             /* CALENDAR: older periods beyond ISMO_MAX_PERIODS not judged */
    uint64_t bound;          /* most samples that will be added (P95 memory); 0 = unknown */
} ismo_eval_run;

/* Set up the run of o at now_ms. ISMO_ERR_NOMEM. */
ismo_err ismo_eval_run_init(ismo_eval_run *r, const Ismo__V1__Objective *o, int64_t now_ms);
/* Effective-time range [*from_ms, *to_ms] (inclusive) whose samples matter. */
void ismo_eval_run_range(const ismo_eval_run *r, int64_t *from_ms, int64_t *to_ms);
/* 1 when a sample with this effective time is taken (in the window or in a judged period). */
int ismo_eval_run_wants(const ismo_eval_run *r, int64_t effective_ms);
/* At most max_samples samples will be added (e.g. the objective's sample
 * count): P95 then keeps about max_samples / 20 + 1 values per aggregate
 * instead of all. Call before adding. */
void ismo_eval_run_bound(ismo_eval_run *r, uint64_t max_samples);
/* 1 when more samples than the bound were added (the P95 may be wrong: run
 * again without a bound). */
int ismo_eval_run_overflowed(const ismo_eval_run *r);
/* Take one sample (total: Sample.total, 1 when absent). Samples outside the
 * range are ignored. Any order. ISMO_ERR_NOMEM. */
ismo_err ismo_eval_run_add(ismo_eval_run *r, int64_t effective_ms, double value, double total);
/* WINDOW mode, all samples: take a precomputed aggregate of count samples
 * (the store's incremental one) instead of adding them one by one. */
void ismo_eval_run_add_summary(ismo_eval_run *r, uint64_t count, double sum, double min, double max,
                               int64_t first_ms, int64_t last_ms, double last);
/* 1 when the fast path may be used: WINDOW mode, window 0, the deadline not
 * passed and an aggregation the summary holds (LAST, MEAN, MIN, MAX, SUM, COUNT). */
int ismo_eval_run_summary_ok(const ismo_eval_run *r);
/* Judge: fills *out, and the period results (ismo_eval_run_results).
 * ISMO_ERR_NOMEM (then *out is not a judgement). */
ismo_err ismo_eval_run_finish(ismo_eval_run *r, const ismo_eval_params *p, ismo_eval *out);
/* Period results after finish, borrowed until ismo_eval_run_free (or taken:
 * ismo_eval_run_take_results hands the array to the caller, who frees it with free()). */
const ismo_period_result *ismo_eval_run_results(const ismo_eval_run *r, size_t *n);
ismo_period_result *ismo_eval_run_take_results(ismo_eval_run *r, size_t *n);
void ismo_eval_run_free(ismo_eval_run *r);

#endif
