/* assess: feeds the pure evaluator from the store for one objective at one
 * instant (monitor, Explain, as-of). Owns the choice between the store's
 * incremental aggregate and a range scan, the as-of filter on received_ms,
 * and the copies of the samples an Explain lists. Writes nothing. Runs in the
 * thread that owns the transaction. See assess.h. */
#include "assess.h"

#include <stdlib.h>
#include <string.h>

typedef struct scan_ctx {
    ismo_eval_run *run;
    const ismo_assess_opts *opts;
    uint64_t total;              /* samples counted (as-of: received by then) */
    int64_t last_ms;             /* newest effective time counted */
    Ismo__V1__Sample **ring;     /* keep_samples newest judged samples (owned copies) */
    size_t ring_n, ring_head;    /* ring_head: where the next one goes */
    ismo_err err;
} scan_ctx;

static int scan_cb(void *ctx, const Ismo__V1__Sample *s)
{
    scan_ctx *c = ctx;
    int64_t t = s->effective_ms;
    if (c->opts->received_by_ms > 0) {
        int64_t received = s->has_received_ms && s->received_ms > 0 ? s->received_ms : t;
        if (received > c->opts->received_by_ms) {
            return 0; /* not yet received at that instant */
        }
    }
    if (c->total == 0 || t > c->last_ms) {
        c->last_ms = t;
    }
    c->total++;
    if (!ismo_eval_run_wants(c->run, t)) {
        return 0;
    }
    c->err = ismo_eval_run_add(c->run, t, s->value, s->has_total ? s->total : 1.0);
    if (c->err != ISMO_OK) {
        return 1;
    }
    size_t keep = c->opts->keep_samples;
    if (keep > 0) {
        Ismo__V1__Sample *copy = (Ismo__V1__Sample *)ismo_codec_copy(&s->base);
        if (!copy) {
            c->err = ISMO_ERR_NOMEM;
            return 1;
        }
        if (c->ring_n == keep) {
            ismo__v1__sample__free_unpacked(c->ring[c->ring_head], NULL);
        } else {
            c->ring_n++;
        }
        c->ring[c->ring_head] = copy;
        c->ring_head = (c->ring_head + 1) % keep;
    }
    return 0;
}

static void ring_free(scan_ctx *c)
{
    for (size_t i = 0; i < c->ring_n; i++) {
        size_t keep = c->opts->keep_samples;
        size_t idx = (c->ring_head + keep - 1 - i) % keep;
        ismo__v1__sample__free_unpacked(c->ring[idx], NULL);
    }
    free(c->ring);
    c->ring = NULL;
    c->ring_n = 0;
}

/* One pass; *again set when the P95 bound (the stored sample count) proved too small. */
static ismo_err assess_once(ismo_txn_t *txn, const Ismo__V1__Objective *o, const ismo_assess_opts *opts,
                            const ismo_store_agg *all, uint64_t bound, ismo_assessment *out,
                            int *again)
{
    memset(out, 0, sizeof *out);
    *again = 0;
    ismo_eval_run run;
    ismo_err err = ismo_eval_run_init(&run, o, opts->now_ms);
    if (err != ISMO_OK) {
        ismo_eval_run_free(&run);
        return err;
    }
    ismo_eval_run_bound(&run, bound);
    scan_ctx c;
    memset(&c, 0, sizeof c);
    c.run = &run;
    c.opts = opts;
    c.err = ISMO_OK;
    int64_t from, to;
    ismo_eval_run_range(&run, &from, &to);
    if (opts->received_by_ms == 0 && opts->keep_samples == 0 && ismo_eval_run_summary_ok(&run)) {
        /* all samples count: the incremental aggregate, no scan */
        ismo_eval_run_add_summary(&run, all->count, all->sum, all->min, all->max, all->first_ms,
                                  all->last_ms, all->last);
        c.total = all->count;
        c.last_ms = all->count > 0 ? all->last_ms : 0;
    } else {
        if (opts->keep_samples > 0) {
            c.ring = calloc(opts->keep_samples, sizeof *c.ring);
            if (!c.ring) {
                ismo_eval_run_free(&run);
                return ISMO_ERR_NOMEM;
            }
        }
        if (opts->received_by_ms > 0) {
            /* as-of: every sample, to count what had been received by then */
            err = ismo_store_samples_scan(txn, o->id, INT64_MIN / 2, INT64_MAX / 2, scan_cb, &c);
        } else if (from <= to) {
            err = ismo_store_samples_scan(txn, o->id, from, to, scan_cb, &c);
        }
        if (err == ISMO_OK) {
            err = c.err;
        }
        if (opts->received_by_ms == 0) {
            c.total = all->count;
            c.last_ms = all->count > 0 ? all->last_ms : 0;
        }
        out->scanned = 1;
    }
    if (err == ISMO_OK && ismo_eval_run_overflowed(&run)) {
        *again = 1; /* the stored count was stale; the caller runs again without a bound */
        ring_free(&c);
        ismo_eval_run_free(&run);
        return ISMO_OK;
    }
    ismo_eval_params p = {opts->now_ms, opts->margin, opts->hysteresis, opts->prev_health};
    if (err == ISMO_OK) {
        err = ismo_eval_run_finish(&run, &p, &out->eval);
    }
    if (err != ISMO_OK) {
        ring_free(&c);
        ismo_eval_run_free(&run);
        memset(out, 0, sizeof *out);
        return err;
    }
    out->mode = run.mode;
    out->window_from_ms = from <= INT64_MIN / 2 ? 0 : from;
    out->window_to_ms = to;
    if (run.mode != ISMO_EVAL_MODE_WINDOW) {
        size_t n;
        const ismo_period_result *res = ismo_eval_run_results(&run, &n);
        out->window_from_ms = n > 0 ? res[0].from_ms : out->window_from_ms;
        out->window_to_ms = n > 0 && res[n - 1].to_ms - 1 < to ? res[n - 1].to_ms - 1 : to;
    }
    out->window_samples = run.samples;
    out->oldest_in_window_ms = run.samples > 0 ? run.oldest_ms : 0;
    out->total_samples = c.total;
    out->last_sample_ms = c.total > 0 ? c.last_ms : 0;
    out->next_boundary_ms = out->eval.next_change_ms;
    out->periods = ismo_eval_run_take_results(&run, &out->n_periods);
    if (out->n_periods == 0) {
        free(out->periods);
        out->periods = NULL;
    }
    if (c.ring_n > 0) {
        out->samples = malloc(c.ring_n * sizeof *out->samples);
        if (!out->samples) {
            ring_free(&c);
            ismo_eval_run_free(&run);
            ismo_assessment_free(out);
            return ISMO_ERR_NOMEM;
        }
        size_t keep = opts->keep_samples;
        for (size_t i = 0; i < c.ring_n; i++) {
            /* newest first: from the last written slot backwards (the scan is in time order) */
            out->samples[i] = c.ring[(c.ring_head + keep - 1 - i) % keep];
        }
        out->n_samples = c.ring_n;
        c.ring_n = 0;
    }
    ring_free(&c);
    ismo_eval_run_free(&run);
    return ISMO_OK;
}

ismo_err ismo_assess(ismo_txn_t *txn, const Ismo__V1__Objective *o, const ismo_assess_opts *opts,
                     ismo_assessment *out)
{
    memset(out, 0, sizeof *out);
    ismo_store_agg all;
    ismo_err err = ismo_store_agg_get(txn, o->id, &all);
    if (err != ISMO_OK) {
        return err;
    }
    int again = 0;
    /* the stored sample count bounds what a scan can add (P95 memory ~ count / 20) */
    err = assess_once(txn, o, opts, &all, all.count, out, &again);
    if (err == ISMO_OK && again) {
        err = assess_once(txn, o, opts, &all, 0, out, &again);
    }
    return err;
}

void ismo_assessment_free(ismo_assessment *a)
{
    for (size_t i = 0; i < a->n_samples; i++) {
        ismo__v1__sample__free_unpacked(a->samples[i], NULL);
    }
    free(a->samples);
    free(a->periods);
    memset(a, 0, sizeof *a);
}
