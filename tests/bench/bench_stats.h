/* bench_stats: clocks, series of measurements, percentiles, and the table of
 * figures that ismo-bench prints and writes as JSON lines.
 * Owns the figure list (process-wide, main thread only). Does not measure. */
#ifndef ISMO_BENCH_STATS_H
#define ISMO_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Monotonic clock, ns / µs / s. */
int64_t bench_now_ns(void);
double bench_now_s(void);

/* A growable array of doubles (one value per run, or one latency per request). */
typedef struct bench_series {
    double *v;
    size_t n, cap;
} bench_series;

void bench_series_add(bench_series *s, double x);
void bench_series_free(bench_series *s);
/* Append every value of src to dst. */
void bench_series_merge(bench_series *dst, const bench_series *src);
/* Percentile p in [0, 100] (nearest rank; sorts s in place). 0 when empty. */
double bench_pct(bench_series *s, double p);
double bench_min(const bench_series *s);
double bench_max(const bench_series *s);

/* How a figure is judged against the goal. */
typedef enum {
    GOAL_NONE,       /* reported only */
    GOAL_AT_LEAST,   /* median >= goal */
    GOAL_AT_MOST,    /* median <= goal */
    GOAL_RATIO_MIN,  /* median / baseline >= goal */
    GOAL_RATIO_MAX   /* median / baseline <= goal */
} bench_goal_kind;

/* Record one figure: runs holds one value per repetition (copied); the
 * baseline likewise (its median is the reference; NULL or empty = none).
 * goal_text is shown in the table ("≥ 1,000,000/s"). note: one line, may be NULL. */
void bench_figure(const char *scenario, const char *name, const char *unit, bench_series *runs,
                  const char *baseline_name, bench_series *baseline, bench_goal_kind goal_kind,
                  double goal, const char *goal_text, const char *note);

/* Print the table of every recorded figure to out. */
void bench_table_print(FILE *out);
/* Append every figure as one JSON object per line to path, tagged with run_id
 * and the start time; params is a JSON object text describing the run.
 * Returns 0, or -1 with errno set. */
int bench_json_write(const char *path, const char *run_id, const char *params_json);

#endif
