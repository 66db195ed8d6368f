/* assess: one objective's evaluation from the store, at one instant — what
 * the monitor records as Status, what Explain shows (rule lines, periods,
 * samples) and what an as-of request reconstructs (only the samples received
 * by then). ISO/IEC 27001:2022 6.2 b "measurable", f "monitored", 9.1
 * "when the results ... shall be analysed and evaluated".
 *
 * It owns the reading of samples for an evaluation; the rules themselves are
 * server/evaluator.h (pure). It does not write: the caller stores the Status,
 * events and due time. Runs in the thread that owns txn (a read or write
 * transaction). docs/evaluation.md describes the result. */
#ifndef ISMO_ASSESS_H
#define ISMO_ASSESS_H

#include <stddef.h>
#include <stdint.h>

#include "evaluator.h"
#include "ismo_codec.h"
#include "ismo_err.h"
#include "store.h"

typedef struct ismo_assess_opts {
    int64_t now_ms;          /* evaluate at this instant, UTC ms */
    int64_t received_by_ms;  /* 0 = all samples; else only samples with received_ms <= this
                                (as-of; a sample without received_ms counts as received at its
                                effective time) */
    int prev_health;         /* ismo.v1.Health for hysteresis; HEALTH_UNSPECIFIED = none */
    double margin;           /* at-risk margin, fraction (config at_risk_margin) */
    double hysteresis;       /* fraction of |target - baseline| (config hysteresis); 0 = none */
    size_t keep_samples;     /* copy up to this many window samples (newest first) into the
                                result; 0 = none */
} ismo_assess_opts;

typedef struct ismo_assessment {
    ismo_eval eval;              /* health, value, progress, expected, explanation, the rule
                                    lines (eval.rules[0..eval.n_rules)), eval.period_label,
                                    eval.periods_missed */
    int64_t window_from_ms;      /* samples judged: effective time in [from, to], UTC ms;
                                    0 = from the first sample (window 0) */
    int64_t window_to_ms;
    uint64_t window_samples;     /* samples judged (window, or all judged periods) */
    uint64_t total_samples;      /* samples stored for the objective (as-of: received by then) */
    int64_t last_sample_ms;      /* newest sample's effective time, UTC ms; 0 = none */
    int64_t oldest_in_window_ms; /* oldest judged sample's effective time, UTC ms; 0 = none */
    ismo_period_result *periods; /* judged periods in time order (owned); NULL when none */
    size_t n_periods;
    int64_t next_boundary_ms;    /* when time alone can change the health besides what
                                    ismo_next_check_ms knows: the current period's end, a
                                    hysteresis-shifted threshold; UTC ms, 0 = none */
    Ismo__V1__Sample **samples;  /* judged samples, newest first, at most keep_samples (owned) */
    size_t n_samples;
    int mode;                    /* ISMO_EVAL_MODE_WINDOW, _CALENDAR (Metric.period) or
                                    _TARGETS (Objective.period_targets) */
    int scanned;                 /* 1 when samples were read; 0 when the store's incremental
                                    all-samples aggregate sufficed */
} ismo_assessment;

/* Evaluate objective o (borrowed) as of opts->now_ms and fill *out (zeroed
 * first). Reads samples through txn: without a window and before the
 * deadline, for LAST/MEAN/MIN/MAX/SUM/COUNT and without received_by_ms or
 * keep_samples, the store's incremental aggregate (no scan); otherwise a range
 * scan of the samples that matter (as-of: of all samples). Memory: the
 * aggregation's (P95: n / 20 + 1 values), one record per period, and the kept
 * samples. Errors: ISMO_ERR_NOMEM, ISMO_ERR_IO (store); on error *out holds
 * nothing to free. On success the caller frees *out with ismo_assessment_free. */
ismo_err ismo_assess(ismo_txn_t *txn, const Ismo__V1__Objective *o, const ismo_assess_opts *opts,
                     ismo_assessment *out);

/* Free what *a owns (periods, samples) and zero it; safe twice. */
void ismo_assessment_free(ismo_assessment *a);

#endif
