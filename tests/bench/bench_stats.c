/* bench_stats: series, percentiles, the table of figures and its JSON lines
 * (see bench_stats.h). Main thread only, except the clocks. */
#include "bench_stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double bench_now_s(void) { return (double)bench_now_ns() / 1e9; }

void bench_series_add(bench_series *s, double x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        double *p = realloc(s->v, cap * sizeof *p);
        if (!p) {
            abort(); /* a benchmark without memory has nothing to report */
        }
        s->v = p;
        s->cap = cap;
    }
    s->v[s->n++] = x;
}

void bench_series_free(bench_series *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

void bench_series_merge(bench_series *dst, const bench_series *src)
{
    for (size_t i = 0; i < src->n; i++) {
        bench_series_add(dst, src->v[i]);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_pct(bench_series *s, double p)
{
    if (s->n == 0) {
        return 0;
    }
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    size_t rank = (size_t)ceil(p / 100.0 * (double)s->n);
    if (rank < 1) {
        rank = 1;
    }
    if (rank > s->n) {
        rank = s->n;
    }
    return s->v[rank - 1];
}

double bench_min(const bench_series *s)
{
    double m = s->n ? s->v[0] : 0;
    for (size_t i = 1; i < s->n; i++) {
        m = s->v[i] < m ? s->v[i] : m;
    }
    return m;
}

double bench_max(const bench_series *s)
{
    double m = s->n ? s->v[0] : 0;
    for (size_t i = 1; i < s->n; i++) {
        m = s->v[i] > m ? s->v[i] : m;
    }
    return m;
}

typedef struct figure {
    char scenario[32];
    char name[96];
    char unit[24];
    bench_series runs;
    char baseline_name[96];
    double median, min, max, baseline;
    int has_baseline;
    bench_goal_kind goal_kind;
    double goal;
    char goal_text[40];
    char note[200];
} figure;

static figure *figs;
static size_t n_figs, cap_figs;

void bench_figure(const char *scenario, const char *name, const char *unit, bench_series *runs,
                  const char *baseline_name, bench_series *baseline, bench_goal_kind goal_kind,
                  double goal, const char *goal_text, const char *note)
{
    if (n_figs == cap_figs) {
        cap_figs = cap_figs ? cap_figs * 2 : 32;
        figs = realloc(figs, cap_figs * sizeof *figs);
        if (!figs) {
            abort();
        }
    }
    figure *f = &figs[n_figs++];
    memset(f, 0, sizeof *f);
    snprintf(f->scenario, sizeof f->scenario, "%s", scenario);
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->unit, sizeof f->unit, "%s", unit);
    bench_series_merge(&f->runs, runs);
    f->median = bench_pct(runs, 50);
    f->min = bench_min(runs);
    f->max = bench_max(runs);
    if (baseline && baseline->n > 0) {
        f->has_baseline = 1;
        f->baseline = bench_pct(baseline, 50);
        snprintf(f->baseline_name, sizeof f->baseline_name, "%s", baseline_name ? baseline_name : "");
    }
    f->goal_kind = goal_kind;
    f->goal = goal;
    snprintf(f->goal_text, sizeof f->goal_text, "%s", goal_text ? goal_text : "");
    snprintf(f->note, sizeof f->note, "%s", note ? note : "");
}

static double ratio(const figure *f)
{
    return f->runs.n > 0 && f->has_baseline && f->baseline != 0 ? f->median / f->baseline : NAN;
}

/* 1 met, 0 not met, -1 no goal (or no data to judge). */
static int met(const figure *f)
{
    if (f->runs.n == 0) {
        return f->goal_kind == GOAL_NONE ? -1 : 0;
    }
    double r = ratio(f);
    switch (f->goal_kind) {
    case GOAL_AT_LEAST: return f->median >= f->goal;
    case GOAL_AT_MOST: return f->median <= f->goal;
    case GOAL_RATIO_MIN: return isnan(r) ? 0 : r >= f->goal;
    case GOAL_RATIO_MAX: return isnan(r) ? 0 : r <= f->goal;
    default: return -1;
    }
}

/* Numbers with 4 significant digits, thousands grouped for big ones. */
static void fmt_num(char *buf, size_t len, double x)
{
    if (isnan(x)) {
        snprintf(buf, len, "-");
    } else if (fabs(x) >= 100000) {
        snprintf(buf, len, "%.0f", x);
        /* group thousands */
        char tmp[64];
        size_t n = strlen(buf), j = 0, lead = buf[0] == '-';
        for (size_t i = 0; i < n && j + 2 < sizeof tmp; i++) {
            if (i > lead && (n - i) % 3 == 0) {
                tmp[j++] = ',';
            }
            tmp[j++] = buf[i];
        }
        tmp[j] = 0;
        snprintf(buf, len, "%s", tmp);
    } else if (fabs(x) >= 100) {
        snprintf(buf, len, "%.0f", x);
    } else if (fabs(x) >= 10) {
        snprintf(buf, len, "%.1f", x);
    } else if (fabs(x) >= 1) {
        snprintf(buf, len, "%.2f", x);
    } else {
        snprintf(buf, len, "%.3g", x);
    }
}

void bench_table_print(FILE *out)
{
    fprintf(out, "\n| scenario | figure | unit | median | min | max | runs | baseline | baseline median | ratio | goal | met |\n");
    fprintf(out, "|---|---|---|---:|---:|---:|---:|---|---:|---:|---|---|\n");
    for (size_t i = 0; i < n_figs; i++) {
        figure *f = &figs[i];
        char med[32], mn[32], mx[32], bl[32], ra[32];
        fmt_num(med, sizeof med, f->runs.n ? f->median : NAN);
        fmt_num(mn, sizeof mn, f->runs.n ? f->min : NAN);
        fmt_num(mx, sizeof mx, f->runs.n ? f->max : NAN);
        fmt_num(bl, sizeof bl, f->has_baseline ? f->baseline : NAN);
        double r = ratio(f);
        if (isnan(r)) {
            snprintf(ra, sizeof ra, "-");
        } else {
            snprintf(ra, sizeof ra, "%.3g", r);
        }
        int m = met(f);
        fprintf(out, "| %s | %s | %s | %s | %s | %s | %zu | %s | %s | %s | %s | %s |\n", f->scenario,
                f->name, f->unit, med, mn, mx, f->runs.n, f->has_baseline ? f->baseline_name : "-", bl,
                ra, f->goal_text[0] ? f->goal_text : "-", m < 0 ? "-" : m ? "yes" : "**no**");
    }
    int notes = 0;
    for (size_t i = 0; i < n_figs; i++) {
        if (figs[i].note[0]) {
            if (!notes++) {
                fprintf(out, "\nNotes:\n");
            }
            fprintf(out, "- %s / %s: %s\n", figs[i].scenario, figs[i].name, figs[i].note);
        }
    }
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            fputc(c, f);
        }
    }
    fputc('"', f);
}

static void json_num(FILE *f, double x)
{
    if (isnan(x) || isinf(x)) {
        fprintf(f, "null");
    } else {
        fprintf(f, "%.6g", x);
    }
}

int bench_json_write(const char *path, const char *run_id, const char *params_json)
{
    FILE *f = fopen(path, "a");
    if (!f) {
        return -1;
    }
    char when[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    for (size_t i = 0; i < n_figs; i++) {
        figure *g = &figs[i];
        fprintf(f, "{\"run_id\":");
        json_str(f, run_id);
        fprintf(f, ",\"time\":\"%s\",\"scenario\":", when);
        json_str(f, g->scenario);
        fprintf(f, ",\"figure\":");
        json_str(f, g->name);
        fprintf(f, ",\"unit\":");
        json_str(f, g->unit);
        fprintf(f, ",\"median\":");
        json_num(f, g->runs.n ? g->median : NAN);
        fprintf(f, ",\"min\":");
        json_num(f, g->runs.n ? g->min : NAN);
        fprintf(f, ",\"max\":");
        json_num(f, g->runs.n ? g->max : NAN);
        fprintf(f, ",\"runs\":[");
        for (size_t j = 0; j < g->runs.n; j++) {
            fprintf(f, j ? "," : "");
            json_num(f, g->runs.v[j]);
        }
        fprintf(f, "],\"baseline_name\":");
        json_str(f, g->has_baseline ? g->baseline_name : "");
        fprintf(f, ",\"baseline\":");
        json_num(f, g->has_baseline ? g->baseline : NAN);
        fprintf(f, ",\"ratio\":");
        json_num(f, ratio(g));
        fprintf(f, ",\"goal\":");
        json_str(f, g->goal_text);
        int m = met(g);
        fprintf(f, ",\"met\":%s,\"note\":", m < 0 ? "null" : m ? "true" : "false");
        json_str(f, g->note);
        fprintf(f, ",\"params\":%s}\n", params_json ? params_json : "{}");
    }
    int rc = fclose(f);
    return rc == 0 ? 0 : -1;
}
