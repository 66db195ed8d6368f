/* evaluator: health from baseline, target, deadline and the measured samples
 * (aggregation over a window, or per period). Owns no state beyond one run's
 * buffers; no storage, no clock, no sockets; any thread. See evaluator.h for
 * the rules and docs/evaluation.md for the long form. */
#include "evaluator.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ismo_time.h"

/* ---- calendar ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int64_t ismo_period_floor_ms(int period, int64_t t_ms)
{
    int64_t days = floor_div(t_ms, ISMO_DAY_MS);
    int64_t y;
    int m, d;
    switch (period) {
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_DAY:
        return days * ISMO_DAY_MS;
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_WEEK: {
        int64_t wd = ((days + 3) % 7 + 7) % 7; /* 1970-01-01 was a Thursday; Monday = 0 */
        return (days - wd) * ISMO_DAY_MS;
    }
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_MONTH:
        civil_from_days(days, &y, &m, &d);
        return days_from_civil(y, m, 1) * ISMO_DAY_MS;
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_QUARTER:
        civil_from_days(days, &y, &m, &d);
        return days_from_civil(y, (m - 1) / 3 * 3 + 1, 1) * ISMO_DAY_MS;
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_YEAR:
        civil_from_days(days, &y, &m, &d);
        return days_from_civil(y, 1, 1) * ISMO_DAY_MS;
    default:
        return t_ms;
    }
}

int64_t ismo_period_next_ms(int period, int64_t start_ms)
{
    int64_t s = ismo_period_floor_ms(period, start_ms);
    int64_t y;
    int m, d;
    civil_from_days(floor_div(s, ISMO_DAY_MS), &y, &m, &d);
    switch (period) {
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_DAY: return s + ISMO_DAY_MS;
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_WEEK: return s + 7 * ISMO_DAY_MS;
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_MONTH:
        return days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * ISMO_DAY_MS;
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_QUARTER:
        return days_from_civil(m >= 10 ? y + 1 : y, m >= 10 ? 1 : m + 3, 1) * ISMO_DAY_MS;
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_YEAR: return days_from_civil(y + 1, 1, 1) * ISMO_DAY_MS;
    default: return start_ms;
    }
}

char *ismo_period_label(int period, int64_t t_ms, char *buf, size_t len)
{
    int64_t days = floor_div(t_ms, ISMO_DAY_MS);
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    switch (period) {
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_DAY:
        snprintf(buf, len, "%04lld-%02d-%02d", (long long)y, m, d);
        break;
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_WEEK: {
        /* ISO 8601: the week belongs to the year of its Thursday */
        int64_t wd = ((days + 3) % 7 + 7) % 7;
        int64_t thu = days - wd + 3;
        int64_t ty;
        int tm, td;
        civil_from_days(thu, &ty, &tm, &td);
        int64_t week = (thu - days_from_civil(ty, 1, 1)) / 7 + 1;
        snprintf(buf, len, "%04lld-W%02lld", (long long)ty, (long long)week);
        break;
    }
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_MONTH:
        snprintf(buf, len, "%04lld-%02d", (long long)y, m);
        break;
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_QUARTER:
        snprintf(buf, len, "%04lld-Q%d", (long long)y, (m - 1) / 3 + 1);
        break;
    case ISMO__V1__CALENDAR_PERIOD__PERIOD_YEAR:
        snprintf(buf, len, "%04lld", (long long)y);
        break;
    default:
        snprintf(buf, len, "-");
        break;
    }
    return buf;
}

/* ---- aggregation ---- */

void ismo_agg_init(ismo_agg *a, int aggregation)
{
    a->aggregation = aggregation;
    a->count = 0;
    a->sum = 0;
    a->total = 0;
    a->min = INFINITY;
    a->max = -INFINITY;
    a->last_ms = INT64_MIN;
    a->last = 0;
    a->top = NULL;
    a->n_top = 0;
    a->cap_top = 0;
    a->keep_max = 0;
    a->bound = 0;
    a->overflow = 0;
}

void ismo_agg_release(ismo_agg *a)
{
    free(a->top);
    a->top = NULL;
    a->n_top = 0;
    a->cap_top = 0;
}

/* P95 (nearest rank) is the ceil(0.95 n)-th smallest of n values, i.e. the
 * k-th largest with k = n - ceil(0.95 n) + 1. Without a bound every value is
 * kept. With a bound N on the number of samples (ismo_agg_bound), only the
 * k(N) largest are kept in a min-heap: k(n) <= k(N) for every n <= N, so the
 * k(n)-th largest is always among them. More samples than N set overflow
 * (the caller must start again without a bound). */
static size_t p95_keep(uint64_t n)
{
    return (size_t)(n - (95 * n + 99) / 100 + 1);
}

static void heap_swap(double *h, size_t i, size_t j)
{
    double t = h[i];
    h[i] = h[j];
    h[j] = t;
}

static void heap_up(double *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p] <= h[i]) {
            break;
        }
        heap_swap(h, p, i);
        i = p;
    }
}

static void heap_down(double *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        if (l < n && h[l] < h[s]) {
            s = l;
        }
        if (r < n && h[r] < h[s]) {
            s = r;
        }
        if (s == i) {
            break;
        }
        heap_swap(h, s, i);
        i = s;
    }
}

void ismo_agg_bound(ismo_agg *a, uint64_t max_count)
{
    a->keep_max = a->aggregation == ISMO__V1__AGGREGATION__P95 && max_count > 0 ? p95_keep(max_count)
                                                                                 : 0;
    a->bound = max_count;
}

static ismo_err top_push(ismo_agg *a, double value)
{
    if (a->n_top == a->cap_top) {
        size_t cap = a->cap_top ? a->cap_top * 2 : 16;
        double *p = realloc(a->top, cap * sizeof *p);
        if (!p) {
            return ISMO_ERR_NOMEM;
        }
        a->top = p;
        a->cap_top = cap;
    }
    a->top[a->n_top++] = value;
    return ISMO_OK;
}

ismo_err ismo_agg_add_total(ismo_agg *a, int64_t effective_ms, double value, double total)
{
    if (a->aggregation == ISMO__V1__AGGREGATION__P95) {
        if (a->keep_max == 0) {
            ismo_err err = top_push(a, value); /* unbounded: every value */
            if (err != ISMO_OK) {
                return err;
            }
        } else if (a->n_top < a->keep_max) {
            ismo_err err = top_push(a, value);
            if (err != ISMO_OK) {
                return err;
            }
            heap_up(a->top, a->n_top - 1);
        } else if (value > a->top[0]) {
            a->top[0] = value;
            heap_down(a->top, a->n_top, 0);
        }
        if (a->bound > 0 && a->count + 1 > a->bound) {
            a->overflow = 1;
        }
    }
    a->count++;
    a->sum += value;
    a->total += total;
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
    return ISMO_OK;
}

ismo_err ismo_agg_add(ismo_agg *a, int64_t effective_ms, double value)
{
    return ismo_agg_add_total(a, effective_ms, value, 1.0);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : (a > b ? 1 : 0);
}

int ismo_agg_value(ismo_agg *a, double *value)
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
    case ISMO__V1__AGGREGATION__RATIO:
        if (a->total == 0) {
            return 0;
        }
        *value = 100.0 * a->sum / a->total;
        break;
    case ISMO__V1__AGGREGATION__P95: {
        size_t k = p95_keep(a->count); /* the k-th largest of the kept values */
        if (a->n_top == 0 || k > a->n_top) {
            return 0; /* cannot happen unless more samples than the bound were added */
        }
        /* ascending order (a sorted array is also a valid min-heap) */
        qsort(a->top, a->n_top, sizeof *a->top, cmp_double);
        *value = a->top[a->n_top - k];
        break;
    }
    default: *value = a->last; break;
    }
    return 1;
}

/* ---- objective shape ---- */

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

static int value_kind(const Ismo__V1__Objective *o)
{
    return o->metric && o->metric->has_value_kind ? (int)o->metric->value_kind
                                                  : ISMO__V1__VALUE_KIND__NUMBER;
}

static int aggregation_of(const Ismo__V1__Objective *o)
{
    return o->metric && o->metric->has_aggregation ? (int)o->metric->aggregation
                                                   : ISMO__V1__AGGREGATION__LAST;
}

static double clamp01(double x) { return x < 0 ? 0 : (x > 1 ? 1 : x); }

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

double ismo_expected_judged(const Ismo__V1__Objective *o, int64_t now_ms)
{
    int maintain = o->has_target_mode && o->target_mode == ISMO__V1__TARGET_MODE__MAINTAIN;
    int past = o->has_deadline_ms && o->deadline_ms > 0 && now_ms >= o->deadline_ms;
    if (o->n_period_targets == 0 || maintain || past) {
        return ismo_expected_progress(o, now_ms);
    }
    /* the evaluator's current period (finish_periods): the first by from_ms
     * (ties: list order) that has not ended */
    size_t n = o->n_period_targets < ISMO_MAX_PERIODS ? o->n_period_targets : ISMO_MAX_PERIODS;
    const Ismo__V1__PeriodTarget *cur = NULL;
    for (size_t i = 0; i < n; i++) {
        const Ismo__V1__PeriodTarget *t = o->period_targets[i];
        if (!t->has_from_ms || !t->has_to_ms || t->to_ms <= t->from_ms || !t->has_target || t->to_ms <= now_ms) {
            continue;
        }
        if (!cur || t->from_ms < cur->from_ms) {
            cur = t;
        }
    }
    if (!cur) {
        return ismo_expected_progress(o, now_ms);
    }
    return clamp01((double)(now_ms - cur->from_ms) / (double)(cur->to_ms - cur->from_ms));
}

/* seconds per Metric.unit of a DURATION metric; 0 = unknown unit */
static double duration_unit_s(const char *unit)
{
    if (strcmp(unit, "s") == 0) {
        return 1;
    }
    if (strcmp(unit, "min") == 0) {
        return 60;
    }
    if (strcmp(unit, "h") == 0) {
        return 3600;
    }
    if (strcmp(unit, "d") == 0) {
        return 86400;
    }
    return 0;
}

/* "2h 45min": the largest unit and the next one, rounded to the next one. */
static void format_duration_s(double secs, char *buf, size_t len)
{
    static const struct {
        double s;
        const char *name;
    } u[] = {{86400, "d"}, {3600, "h"}, {60, "min"}, {1, "s"}};
    const char *sign = secs < 0 ? "-" : "";
    double a = fabs(secs);
    if (a < 60) {
        snprintf(buf, len, "%s%.3gs", sign, a);
        return;
    }
    size_t i = 0;
    while (i + 1 < sizeof u / sizeof u[0] && a < u[i].s) {
        i++;
    }
    double major = floor(a / u[i].s);
    double minor = round((a - major * u[i].s) / u[i + 1].s);
    if (minor * u[i + 1].s >= u[i].s) {
        major += 1;
        minor = 0;
    }
    if (minor > 0) {
        snprintf(buf, len, "%s%.0f%s %.0f%s", sign, major, u[i].name, minor, u[i + 1].name);
    } else {
        snprintf(buf, len, "%s%.0f%s", sign, major, u[i].name);
    }
}

char *ismo_value_format(const Ismo__V1__Objective *o, double v, char *buf, size_t len)
{
    const char *unit = o->metric && o->metric->unit ? o->metric->unit : "";
    int agg = aggregation_of(o);
    int kind = value_kind(o);
    if (agg == ISMO__V1__AGGREGATION__COUNT) {
        snprintf(buf, len, "%g", v);
    } else if (agg == ISMO__V1__AGGREGATION__RATIO) {
        snprintf(buf, len, "%g %%", v);
    } else if (kind == ISMO__V1__VALUE_KIND__YES_NO && (v == 0 || v == 1)) {
        snprintf(buf, len, "%s", v == 1 ? "yes" : "no");
    } else if (kind == ISMO__V1__VALUE_KIND__DURATION && duration_unit_s(unit) > 0) {
        format_duration_s(v * duration_unit_s(unit), buf, len);
    } else {
        /* "93 %" style: a space before a unit word and before "%" */
        snprintf(buf, len, "%g%s%s", v, unit[0] ? " " : "", unit);
    }
    return buf;
}

/* ---- judging ---- */

typedef struct judge {
    const Ismo__V1__Objective *o;
    int64_t now;
    double margin;
    int hib, yesno, exclusive, maintain, past, has_deadline;
    int has_scale;            /* a baseline different from the target: progress is continuous */
} judge;

static void judge_init(judge *j, const Ismo__V1__Objective *o, int64_t now, double margin)
{
    j->o = o;
    j->now = now;
    j->margin = margin;
    j->hib = higher_is_better(o);
    j->yesno = value_kind(o) == ISMO__V1__VALUE_KIND__YES_NO;
    j->exclusive = o->has_target_exclusive && o->target_exclusive && !j->yesno;
    j->maintain = o->has_target_mode && o->target_mode == ISMO__V1__TARGET_MODE__MAINTAIN;
    j->has_deadline = o->has_deadline_ms && o->deadline_ms > 0;
    j->past = j->has_deadline && now >= o->deadline_ms;
    j->has_scale = 0;
}

static int is_met(const judge *j, double value, double target)
{
    if (j->yesno) {
        return value == target;
    }
    if (j->exclusive) {
        return j->hib ? value > target : value < target;
    }
    return j->hib ? value >= target : value <= target;
}

/* progress toward target; sets *scaled when it is continuous (baseline != target) */
static double progress_of(const judge *j, double value, double target, int met, int *scaled)
{
    const Ismo__V1__Objective *o = j->o;
    double p;
    *scaled = 0;
    if (!j->yesno && o->has_baseline && target != o->baseline) {
        p = (value - o->baseline) / (target - o->baseline);
        *scaled = 1;
    } else {
        p = met ? 1 : 0;
    }
    if (met && p < 1) {
        p = 1;
    }
    return p;
}

static const char *cmp_text(const judge *j)
{
    if (j->yesno) {
        return "=";
    }
    if (j->exclusive) {
        return j->hib ? ">" : "<";
    }
    return j->hib ? ">=" : "<=";
}

/* The value rule (REACH or MAINTAIN) with every threshold moved down by slack. */
static int health_value(const judge *j, int maintain, int met, double progress, double expected,
                        double slack)
{
    int met_eff = met || (slack > 0 && progress >= 1 - slack);
    if (maintain) {
        if (met_eff) {
            return j->past ? ISMO__V1__HEALTH__ACHIEVED : ISMO__V1__HEALTH__ON_TRACK;
        }
        if (j->past) {
            return ISMO__V1__HEALTH__MISSED;
        }
        return progress + slack >= 1 - j->margin ? ISMO__V1__HEALTH__AT_RISK
                                                 : ISMO__V1__HEALTH__OFF_TRACK;
    }
    if (met_eff) {
        return ISMO__V1__HEALTH__ACHIEVED;
    }
    if (j->past) {
        return ISMO__V1__HEALTH__MISSED;
    }
    if (progress + slack >= expected) {
        return ISMO__V1__HEALTH__ON_TRACK;
    }
    return progress + slack >= expected - j->margin ? ISMO__V1__HEALTH__AT_RISK
                                                    : ISMO__V1__HEALTH__OFF_TRACK;
}

/* health as written in rule lines and explanations: "ON_TRACK" */
static const char *health_word(int h)
{
    static const char *words[] = {"HEALTH_UNSPECIFIED", "NO_DATA",  "ON_TRACK", "AT_RISK",
                                  "OFF_TRACK",          "ACHIEVED", "MISSED"};
    return h >= 0 && (size_t)h < sizeof words / sizeof words[0] ? words[h] : "?";
}

static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

/* better health first: ACHIEVED, ON_TRACK, AT_RISK, OFF_TRACK; -1 = outside the hysteresis set */
static int health_rank(int h)
{
    switch (h) {
    case ISMO__V1__HEALTH__ACHIEVED: return 0;
    case ISMO__V1__HEALTH__ON_TRACK: return 1;
    case ISMO__V1__HEALTH__AT_RISK: return 2;
    case ISMO__V1__HEALTH__OFF_TRACK: return 3;
    default: return -1;
    }
}

/* Hysteresis: raw is the health at slack 0, cand at slack h. */
static int apply_hysteresis(int prev, int raw, int cand)
{
    int rp = health_rank(prev), rr = health_rank(raw);
    if (rp < 0 || rr < 0 || rr <= rp) {
        return raw;
    }
    return health_rank(cand) > rp ? cand : prev;
}

static void add_rule(ismo_eval *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_rule(ismo_eval *out, const char *fmt, ...)
{
    if (out->n_rules >= ISMO_EVAL_MAX_RULES) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->rules[out->n_rules], ISMO_EVAL_RULE_BYTES, fmt, ap);
    va_end(ap);
    out->n_rules++;
}

/* the explanation line (truncated to its size) */
static void set_expl(ismo_eval *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_expl(ismo_eval *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->explanation, sizeof out->explanation, fmt, ap);
    va_end(ap);
}

static void add_expl(ismo_eval *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_expl(ismo_eval *out, const char *fmt, ...)
{
    size_t l = strlen(out->explanation);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->explanation + l, sizeof out->explanation - l, fmt, ap);
    va_end(ap);
}

static char *fmt_instant(int64_t ms, char *buf, size_t len)
{
    if (ms % ISMO_DAY_MS == 0) {
        return ismo_date_format_ms(ms, buf, len);
    }
    char t[40];
    ismo_time_format_ms(ms, t, sizeof t);
    /* "2026-11-30T14:05:00.000Z" -> "2026-11-30T14:05Z" */
    snprintf(buf, len, "%.16sZ", t);
    return buf;
}

static void init_out(ismo_eval *out)
{
    out->health = ISMO__V1__HEALTH__NO_DATA;
    out->has_value = 0;
    out->value = 0;
    out->progress = 0;
    out->expected = 0;
    out->held = 0;
    out->explanation[0] = '\0';
    out->n_rules = 0;
    out->period_label[0] = '\0';
    out->periods_missed = 0;
    out->next_change_ms = 0;
}

static void target_rule(const judge *j, ismo_eval *out, double target, const char *suffix)
{
    char ts[64];
    ismo_value_format(j->o, target, ts, sizeof ts);
    if (j->yesno) {
        add_rule(out, "target %s (yes/no: met when the value equals the target)%s", ts, suffix);
    } else {
        add_rule(out, "target %s %s (%s is better%s)%s", cmp_text(j), ts, j->hib ? "higher" : "lower",
                 j->exclusive ? ", exclusive" : "", suffix);
    }
}

/* the earliest instant > now at which expected progress reaches x (REACH plan), 0 = none */
static int64_t expected_reaches(const Ismo__V1__Objective *o, int64_t now, double x)
{
    int64_t start = o->has_start_ms && o->start_ms ? o->start_ms
                    : (o->has_baseline_at_ms ? o->baseline_at_ms : 0);
    if (!(o->has_deadline_ms && o->deadline_ms > start && start > 0) || x <= 0 || x > 1) {
        return 0;
    }
    int64_t t = start + (int64_t)ceil(x * (double)(o->deadline_ms - start));
    return t > now ? t : 0;
}

static int64_t earliest(int64_t a, int64_t b)
{
    if (a == 0) {
        return b;
    }
    if (b == 0) {
        return a;
    }
    return a < b ? a : b;
}

static void hysteresis_rule(ismo_eval *out, int prev, int raw, int health, double h)
{
    add_rule(out, "hysteresis %.3g%%: the rule alone gives %s; %s (was %s): a worse health needs "
                  "progress more than %.3g%% past its threshold",
             h * 100, health_word(raw), health_word(health), health_word(prev), h * 100);
    add_expl(out, "; %s by hysteresis %.3g%% (rule alone: %s)", health_word(health), h * 100,
             health_word(raw));
}

void ismo_evaluate_value(const Ismo__V1__Objective *o, int has_value, double value,
                         const ismo_eval_params *p, ismo_eval *out)
{
    judge j;
    judge_init(&j, o, p->now_ms, p->margin);
    init_out(out);
    out->has_value = has_value;
    out->value = has_value ? value : 0;
    out->expected = ismo_expected_progress(o, p->now_ms);
    char dl[40];
    ismo_deadline_format_ms(j.has_deadline ? o->deadline_ms : 0, dl, sizeof dl);
    if (!o->has_target) {
        out->health = ISMO__V1__HEALTH__NO_DATA;
        set_expl(out,
                 "no target set: nothing to measure against");
        add_rule(out, "no target -> NO_DATA");
        return;
    }
    target_rule(&j, out, o->target, "");
    if (!has_value) {
        out->health = j.past ? ISMO__V1__HEALTH__MISSED : ISMO__V1__HEALTH__NO_DATA;
        set_expl(out,
                 j.past ? "no sample in the window up to the deadline"
                        : "no sample in the metric's window yet");
        add_rule(out, "no value %s -> %s", j.past ? "up to the deadline" : "in the window yet",
                 health_word(out->health));
        return;
    }
    int met = is_met(&j, value, o->target);
    int scaled;
    out->progress = progress_of(&j, value, o->target, met, &scaled);
    j.has_scale = scaled;
    double h = scaled && !j.past && p->hysteresis > 0 ? p->hysteresis : 0;
    int raw = health_value(&j, j.maintain, met, out->progress, out->expected, 0);
    int health = raw;
    if (h > 0) {
        int cand = health_value(&j, j.maintain, met, out->progress, out->expected, h);
        health = apply_hysteresis(p->prev_health, raw, cand);
    }
    out->health = health;
    out->held = health != raw;

    const char *cmp = cmp_text(&j);
    char vs[64], ts[64], bs[64];
    ismo_value_format(o, value, vs, sizeof vs);
    ismo_value_format(o, o->target, ts, sizeof ts);
    ismo_value_format(o, o->has_baseline ? o->baseline : o->target, bs, sizeof bs);
    if (scaled) {
        add_rule(out, "progress %.0f%% = (%s - baseline %s) / (target - baseline); expected %.0f%% by now (deadline %s)",
                 out->progress * 100, vs, bs, out->expected * 100, dl);
    } else {
        add_rule(out, "progress %.0f%% (%s: no baseline scale, 1 when met, 0 otherwise); expected %.0f%% by now (deadline %s)",
                 out->progress * 100, met ? "met" : "not met", out->expected * 100, dl);
    }
    const char *ex = j.exclusive ? " (exclusive)" : "";
    if (j.maintain) {
        if (met) {
            set_expl(out, "maintain: value %s %s target %s%s%s", vs,
                     cmp, ts, ex, j.past ? " at the deadline" : " so far");
            add_rule(out, "maintain: met%s -> %s", j.past ? " at the deadline" : " so far",
                     health_word(raw));
        } else if (j.past) {
            set_expl(out,
                     "maintain: value %s did not hold target %s %s%s by the deadline", vs, cmp, ts, ex);
            add_rule(out, "maintain: not met at the deadline -> MISSED");
        } else {
            set_expl(out,
                     "maintain: value %s misses target %s %s%s (progress %.0f%%, at-risk margin %.0f%%)",
                     vs, cmp, ts, ex, out->progress * 100, p->margin * 100);
            add_rule(out, "maintain: not met, progress %.0f%% %s %.0f%% (1 - at-risk margin) -> %s",
                     out->progress * 100, raw == ISMO__V1__HEALTH__AT_RISK ? ">=" : "<",
                     (1 - p->margin) * 100, health_word(raw));
        }
    } else if (met) {
        set_expl(out, "reach: value %s %s target %s%s", vs, cmp,
                 ts, ex);
        add_rule(out, "reach: met -> ACHIEVED");
    } else if (j.past) {
        set_expl(out,
                 "reach: deadline passed with value %s, target %s %s%s (progress %.0f%%)", vs, cmp, ts,
                 ex, out->progress * 100);
        add_rule(out, "reach: not met by the deadline -> MISSED");
    } else {
        set_expl(out,
                 "reach: progress %.0f%% (value %s, baseline %s, target %s%s) vs %.0f%% expected by now (at-risk margin %.0f%%)",
                 out->progress * 100, vs, bs, ts, ex, out->expected * 100, p->margin * 100);
        add_rule(out, "reach: not met, progress %.0f%% %s expected %.0f%%%s -> %s",
                 out->progress * 100, raw == ISMO__V1__HEALTH__ON_TRACK ? ">=" : "<",
                 out->expected * 100,
                 raw == ISMO__V1__HEALTH__ON_TRACK ? ""
                 : raw == ISMO__V1__HEALTH__AT_RISK ? " but within the at-risk margin"
                                                    : " beyond the at-risk margin",
                 health_word(raw));
    }
    if (out->held) {
        hysteresis_rule(out, p->prev_health, raw, health, h);
    }
    /* when expected progress alone crosses a hysteresis-shifted threshold */
    if (h > 0 && !j.maintain && !met) {
        out->next_change_ms = earliest(expected_reaches(o, p->now_ms, out->progress + h),
                                       expected_reaches(o, p->now_ms, out->progress + h + p->margin));
    }
}

void ismo_evaluate(const Ismo__V1__Objective *o, int has_value, double value, int64_t now_ms,
                   double margin, ismo_eval *out)
{
    ismo_eval_params p = {now_ms, margin, 0, ISMO__V1__HEALTH__HEALTH_UNSPECIFIED};
    ismo_evaluate_value(o, has_value, value, &p, out);
}

/* ---- runs: window or periods ---- */

static int64_t run_end(const Ismo__V1__Objective *o, int64_t now)
{
    if (o->has_deadline_ms && o->deadline_ms > 0 && o->deadline_ms < now) {
        return o->deadline_ms;
    }
    return now;
}

static int64_t plan_start(const Ismo__V1__Objective *o)
{
    if (o->has_start_ms && o->start_ms > 0) {
        return o->start_ms;
    }
    if (o->has_baseline_at_ms && o->baseline_at_ms > 0) {
        return o->baseline_at_ms;
    }
    return INT64_MIN;
}

static int cmp_period(const void *a, const void *b)
{
    const ismo_eval_period *x = a, *y = b;
    if (x->from_ms != y->from_ms) {
        return x->from_ms < y->from_ms ? -1 : 1;
    }
    return x->key_ms < y->key_ms ? -1 : (x->key_ms > y->key_ms ? 1 : 0);
}

static ismo_err periods_reserve(ismo_eval_run *r, size_t n)
{
    if (n <= r->cap_periods) {
        return ISMO_OK;
    }
    size_t cap = r->cap_periods ? r->cap_periods : 8;
    while (cap < n) {
        cap *= 2;
    }
    ismo_eval_period *p = realloc(r->periods, cap * sizeof *p);
    if (!p) {
        return ISMO_ERR_NOMEM;
    }
    r->periods = p;
    r->cap_periods = cap;
    return ISMO_OK;
}

ismo_err ismo_eval_run_init(ismo_eval_run *r, const Ismo__V1__Objective *o, int64_t now_ms)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    r->now_ms = now_ms;
    r->aggregation = aggregation_of(o);
    ismo_agg_init(&r->window, r->aggregation);
    r->period = o->metric && o->metric->has_period ? (int)o->metric->period
                                                   : ISMO__V1__CALENDAR_PERIOD__PERIOD_NONE;
    if (r->period < ISMO__V1__CALENDAR_PERIOD__PERIOD_DAY ||
        r->period > ISMO__V1__CALENDAR_PERIOD__PERIOD_YEAR) {
        r->period = ISMO__V1__CALENDAR_PERIOD__PERIOD_NONE; /* unknown value: the window applies */
    }
    r->lo_ms = INT64_MIN;
    int64_t end = run_end(o, now_ms);
    if (o->n_period_targets > 0) {
        r->mode = ISMO_EVAL_MODE_TARGETS;
        size_t n = o->n_period_targets < ISMO_MAX_PERIODS ? o->n_period_targets : ISMO_MAX_PERIODS;
        ismo_err err = periods_reserve(r, n);
        if (err != ISMO_OK) {
            return err;
        }
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (size_t i = 0; i < n; i++) {
            const Ismo__V1__PeriodTarget *t = o->period_targets[i];
            if (!t->has_from_ms || !t->has_to_ms || t->to_ms <= t->from_ms || !t->has_target) {
                continue; /* not a period (the codec refuses these; never judged) */
            }
            ismo_eval_period *p = &r->periods[r->n_periods++];
            p->key_ms = (int64_t)i;
            p->from_ms = t->from_ms;
            p->to_ms = t->to_ms;
            p->target = t->target;
            p->label = t->label;
            ismo_agg_init(&p->agg, r->aggregation);
            lo = t->from_ms < lo ? t->from_ms : lo;
            hi = t->to_ms - 1 > hi ? t->to_ms - 1 : hi;
        }
        qsort(r->periods, r->n_periods, sizeof *r->periods, cmp_period);
        r->from_ms = lo;
        r->to_ms = hi < now_ms ? hi : now_ms;
    } else if (r->period != ISMO__V1__CALENDAR_PERIOD__PERIOD_NONE) {
        r->mode = ISMO_EVAL_MODE_CALENDAR;
        r->lo_ms = plan_start(o);
        r->from_ms = r->lo_ms == INT64_MIN ? INT64_MIN / 2 : r->lo_ms;
        r->to_ms = end;
        if (o->has_deadline_ms && o->deadline_ms > 0 && r->to_ms >= o->deadline_ms) {
            r->to_ms = o->deadline_ms - 1; /* periods end at the deadline, exclusive */
        }
    } else {
        r->mode = ISMO_EVAL_MODE_WINDOW;
        ismo_eval_window(o, now_ms, &r->from_ms, &r->to_ms);
    }
    return ISMO_OK;
}

void ismo_eval_run_range(const ismo_eval_run *r, int64_t *from_ms, int64_t *to_ms)
{
    *from_ms = r->from_ms;
    *to_ms = r->to_ms;
}

int ismo_eval_run_wants(const ismo_eval_run *r, int64_t t)
{
    if (t < r->from_ms || t > r->to_ms) {
        return 0;
    }
    if (r->mode == ISMO_EVAL_MODE_TARGETS) {
        for (size_t i = 0; i < r->n_periods; i++) {
            if (t >= r->periods[i].from_ms && t < r->periods[i].to_ms) {
                return 1;
            }
        }
        return 0;
    }
    return 1;
}

static void note_time(ismo_eval_run *r, int64_t t)
{
    if (r->samples == 0 || t < r->oldest_ms) {
        r->oldest_ms = t;
    }
    if (r->samples == 0 || t > r->newest_ms) {
        r->newest_ms = t;
    }
    r->samples++;
}

/* CALENDAR: the period keyed by its unclipped start, created on demand (sorted). */
static ismo_err calendar_period(ismo_eval_run *r, int64_t key, ismo_eval_period **p_out)
{
    size_t lo = 0, hi = r->n_periods;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->periods[mid].key_ms < key) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < r->n_periods && r->periods[lo].key_ms == key) {
        *p_out = &r->periods[lo];
        return ISMO_OK;
    }
    ismo_err err = periods_reserve(r, r->n_periods + 1);
    if (err != ISMO_OK) {
        return err;
    }
    memmove(&r->periods[lo + 1], &r->periods[lo], (r->n_periods - lo) * sizeof *r->periods);
    r->n_periods++;
    ismo_eval_period *p = &r->periods[lo];
    memset(p, 0, sizeof *p);
    p->key_ms = key;
    ismo_agg_init(&p->agg, r->aggregation);
    ismo_agg_bound(&p->agg, r->bound);
    *p_out = p;
    return ISMO_OK;
}

ismo_err ismo_eval_run_add(ismo_eval_run *r, int64_t t, double value, double total)
{
    if (!ismo_eval_run_wants(r, t)) {
        return ISMO_OK;
    }
    ismo_err err = ISMO_OK;
    if (r->mode == ISMO_EVAL_MODE_WINDOW) {
        err = ismo_agg_add_total(&r->window, t, value, total);
    } else if (r->mode == ISMO_EVAL_MODE_CALENDAR) {
        ismo_eval_period *p;
        err = calendar_period(r, ismo_period_floor_ms(r->period, t), &p);
        if (err == ISMO_OK) {
            err = ismo_agg_add_total(&p->agg, t, value, total);
        }
    } else {
        for (size_t i = 0; i < r->n_periods && err == ISMO_OK; i++) {
            if (t >= r->periods[i].from_ms && t < r->periods[i].to_ms) {
                err = ismo_agg_add_total(&r->periods[i].agg, t, value, total);
            }
        }
    }
    if (err == ISMO_OK) {
        note_time(r, t);
    }
    return err;
}

void ismo_eval_run_bound(ismo_eval_run *r, uint64_t max_samples)
{
    r->bound = max_samples;
    ismo_agg_bound(&r->window, max_samples);
    for (size_t i = 0; i < r->n_periods; i++) {
        ismo_agg_bound(&r->periods[i].agg, max_samples);
    }
}

int ismo_eval_run_overflowed(const ismo_eval_run *r)
{
    if (r->window.overflow) {
        return 1;
    }
    for (size_t i = 0; i < r->n_periods; i++) {
        if (r->periods[i].agg.overflow) {
            return 1;
        }
    }
    return 0;
}

int ismo_eval_run_summary_ok(const ismo_eval_run *r)
{
    const Ismo__V1__Objective *o = r->o;
    int64_t window = o->metric && o->metric->has_window_ms ? o->metric->window_ms : 0;
    int past = o->has_deadline_ms && o->deadline_ms > 0 && r->now_ms >= o->deadline_ms;
    int agg = r->aggregation;
    return r->mode == ISMO_EVAL_MODE_WINDOW && window == 0 && !past &&
           (agg == ISMO__V1__AGGREGATION__LAST || agg == ISMO__V1__AGGREGATION__MEAN ||
            agg == ISMO__V1__AGGREGATION__MIN || agg == ISMO__V1__AGGREGATION__MAX ||
            agg == ISMO__V1__AGGREGATION__SUM || agg == ISMO__V1__AGGREGATION__COUNT);
}

void ismo_eval_run_add_summary(ismo_eval_run *r, uint64_t count, double sum, double min, double max,
                               int64_t first_ms, int64_t last_ms, double last)
{
    if (count == 0) {
        return;
    }
    ismo_agg *a = &r->window;
    if (a->count == 0 || first_ms < r->oldest_ms) {
        r->oldest_ms = first_ms;
    }
    if (a->count == 0 || last_ms > r->newest_ms) {
        r->newest_ms = last_ms;
    }
    a->count += count;
    a->sum += sum;
    a->total += (double)count;
    a->min = min < a->min ? min : a->min;
    a->max = max > a->max ? max : a->max;
    if (last_ms >= a->last_ms) {
        a->last_ms = last_ms;
        a->last = last;
    }
    r->samples += count;
}

static void finish_window(ismo_eval_run *r, const ismo_eval_params *p, ismo_eval *out)
{
    double value = 0;
    int has_value = r->window.count > 0 && ismo_agg_value(&r->window, &value);
    ismo_evaluate_value(r->o, has_value, value, p, out);
    /* the aggregation line goes first */
    char line[ISMO_EVAL_RULE_BYTES], fr[40], to[40], vs[64];
    int64_t window = r->o->metric && r->o->metric->has_window_ms ? r->o->metric->window_ms : 0;
    if (window > 0) {
        snprintf(line, sizeof line, "aggregation %s over %s..%s: %llu sample%s -> %s",
                 ismo_aggregation_name(r->aggregation), fmt_instant(r->from_ms, fr, sizeof fr),
                 fmt_instant(r->to_ms, to, sizeof to), (unsigned long long)r->window.count,
                 plural(r->window.count),
                 has_value ? ismo_value_format(r->o, value, vs, sizeof vs) : "no value");
    } else {
        snprintf(line, sizeof line, "aggregation %s over all samples up to %s: %llu sample%s -> %s",
                 ismo_aggregation_name(r->aggregation), fmt_instant(r->to_ms, to, sizeof to),
                 (unsigned long long)r->window.count, plural(r->window.count),
                 has_value ? ismo_value_format(r->o, value, vs, sizeof vs) : "no value");
    }
    if (r->aggregation == ISMO__V1__AGGREGATION__RATIO) {
        size_t l = strlen(line);
        snprintf(line + l, sizeof line - l, " (%g of %g)", r->window.sum, r->window.total);
    }
    size_t n = out->n_rules < ISMO_EVAL_MAX_RULES ? out->n_rules : ISMO_EVAL_MAX_RULES - 1;
    memmove(out->rules[1], out->rules[0], n * sizeof out->rules[0]);
    snprintf(out->rules[0], sizeof out->rules[0], "%s", line);
    out->n_rules = n + 1;
}

/* Build the judged period list (CALENDAR: every period from the plan start,
 * or the first sample, to the end, empty ones too). */
static ismo_err build_results(ismo_eval_run *r)
{
    const Ismo__V1__Objective *o = r->o;
    int has_deadline = o->has_deadline_ms && o->deadline_ms > 0;
    int past = has_deadline && r->now_ms >= o->deadline_ms;
    if (r->mode == ISMO_EVAL_MODE_TARGETS) {
        r->results = calloc(r->n_periods ? r->n_periods : 1, sizeof *r->results);
        if (!r->results) {
            return ISMO_ERR_NOMEM;
        }
        for (size_t i = 0; i < r->n_periods; i++) {
            ismo_eval_period *p = &r->periods[i];
            ismo_period_result *res = &r->results[r->n_results++];
            snprintf(res->label, sizeof res->label, "%s",
                     p->label && p->label[0] ? p->label : "(unnamed)");
            res->from_ms = p->from_ms;
            res->to_ms = p->to_ms;
            res->target = p->target;
            res->samples = p->agg.count;
            res->has_value = p->agg.count > 0 && ismo_agg_value(&p->agg, &res->value);
            res->complete = p->to_ms <= r->now_ms || past;
        }
        return ISMO_OK;
    }
    /* CALENDAR */
    int64_t end = r->to_ms; /* inclusive */
    int64_t first;
    if (r->lo_ms != INT64_MIN) {
        first = ismo_period_floor_ms(r->period, r->lo_ms);
    } else if (r->n_periods > 0) {
        first = r->periods[0].key_ms;
    } else {
        return ISMO_OK; /* no start and no sample: nothing to judge yet */
    }
    if (end < r->from_ms) {
        return ISMO_OK; /* the plan starts after the end */
    }
    int64_t last = ismo_period_floor_ms(r->period, end);
    /* days and weeks have a fixed length: count and skip without walking them */
    int64_t len = r->period == ISMO__V1__CALENDAR_PERIOD__PERIOD_DAY    ? ISMO_DAY_MS
                  : r->period == ISMO__V1__CALENDAR_PERIOD__PERIOD_WEEK ? 7 * ISMO_DAY_MS
                                                                        : 0;
    size_t count = 0;
    if (len > 0) {
        count = (size_t)((last - first) / len) + 1;
    } else {
        for (int64_t k = first; k <= last; k = ismo_period_next_ms(r->period, k)) {
            count++;
        }
    }
    size_t skip = count > ISMO_MAX_PERIODS ? count - ISMO_MAX_PERIODS : 0;
    r->dropped = skip > 0;
    r->results = calloc(count - skip ? count - skip : 1, sizeof *r->results);
    if (!r->results) {
        return ISMO_ERR_NOMEM;
    }
    int64_t k0 = first;
    if (len > 0) {
        k0 = first + (int64_t)skip * len;
    } else {
        for (size_t i = 0; i < skip; i++) {
            k0 = ismo_period_next_ms(r->period, k0);
        }
    }
    size_t j = 0;
    for (int64_t k = k0; k <= last; k = ismo_period_next_ms(r->period, k)) {
        while (j < r->n_periods && r->periods[j].key_ms < k) {
            j++;
        }
        ismo_period_result *res = &r->results[r->n_results++];
        ismo_period_label(r->period, k, res->label, sizeof res->label);
        int64_t next = ismo_period_next_ms(r->period, k);
        res->from_ms = r->lo_ms != INT64_MIN && r->lo_ms > k ? r->lo_ms : k;
        res->to_ms = has_deadline && o->deadline_ms < next ? o->deadline_ms : next;
        res->target = o->target;
        res->complete = res->to_ms <= r->now_ms;
        if (j < r->n_periods && r->periods[j].key_ms == k) {
            ismo_agg *a = &r->periods[j].agg;
            res->samples = a->count;
            res->has_value = a->count > 0 && ismo_agg_value(a, &res->value);
        }
    }
    return ISMO_OK;
}

/* Health of a period run at slack (hysteresis) s. cur: index of the current
 * period or -1. */
static int health_periods(const judge *j, const ismo_eval_run *r, uint32_t missed, long cur,
                          int any_complete, int last_met_early, double cur_progress,
                          double cur_expected, double s)
{
    if (r->n_results == 0) {
        return j->past ? ISMO__V1__HEALTH__MISSED : ISMO__V1__HEALTH__NO_DATA;
    }
    if (j->past) {
        return missed > 0 ? ISMO__V1__HEALTH__MISSED : ISMO__V1__HEALTH__ACHIEVED;
    }
    if (missed > 0) {
        return ISMO__V1__HEALTH__OFF_TRACK;
    }
    if (cur >= 0 && r->results[cur].has_value) {
        const ismo_period_result *c = &r->results[cur];
        int reach = r->mode == ISMO_EVAL_MODE_TARGETS && !j->maintain;
        int h = health_value(j, !reach, c->met, cur_progress, cur_expected, s);
        if (reach && h == ISMO__V1__HEALTH__ACHIEVED && !last_met_early) {
            h = ISMO__V1__HEALTH__ON_TRACK; /* a later period still to come */
        }
        return h;
    }
    return any_complete ? ISMO__V1__HEALTH__ON_TRACK : ISMO__V1__HEALTH__NO_DATA;
}

static void finish_periods(ismo_eval_run *r, const ismo_eval_params *p, ismo_eval *out)
{
    const Ismo__V1__Objective *o = r->o;
    judge j;
    judge_init(&j, o, p->now_ms, p->margin);
    out->expected = ismo_expected_judged(o, p->now_ms); /* REACH targets: the current period's */
    if (r->mode == ISMO_EVAL_MODE_TARGETS && !j.has_deadline && r->n_results > 0) {
        /* without a deadline the last period's end closes the objective */
        j.past = r->results[r->n_results - 1].to_ms <= p->now_ms;
    }
    if (r->mode == ISMO_EVAL_MODE_CALENDAR && !o->has_target) {
        out->health = ISMO__V1__HEALTH__NO_DATA;
        set_expl(out,
                 "no target set: nothing to measure against");
        add_rule(out, "no target -> NO_DATA");
        return;
    }
    char ps[160];
    if (r->mode == ISMO_EVAL_MODE_CALENDAR) {
        char fr[40];
        snprintf(ps, sizeof ps, "every %s (UTC calendar) from %s", ismo_period_name(r->period),
                 r->lo_ms != INT64_MIN ? fmt_instant(r->lo_ms, fr, sizeof fr) : "the first sample");
    } else {
        snprintf(ps, sizeof ps, "%zu period target%s", r->n_results, r->n_results == 1 ? "" : "s");
    }
    add_rule(out, "periods: %s; aggregation %s of each period's own samples%s", ps,
             ismo_aggregation_name(r->aggregation),
             r->dropped ? " (only the most recent 4000 periods are judged)" : "");
    if (r->mode == ISMO_EVAL_MODE_CALENDAR) {
        target_rule(&j, out, o->target, " in every period");
    } else {
        char line[ISMO_EVAL_RULE_BYTES];
        size_t l = (size_t)snprintf(line, sizeof line, "targets:");
        for (size_t i = 0; i < r->n_results && l < sizeof line; i++) {
            char ts[64];
            l += (size_t)snprintf(line + l, sizeof line - l, "%s %s %s %s", i ? "," : "",
                                  r->results[i].label, cmp_text(&j),
                                  ismo_value_format(o, r->results[i].target, ts, sizeof ts));
        }
        add_rule(out, "%s (%s is better%s%s)", line, j.hib ? "higher" : "lower",
                 j.exclusive ? ", exclusive" : "", j.maintain ? ", maintain" : ", reach");
    }

    /* judge each period */
    uint32_t missed = 0, complete = 0;
    long cur = -1;
    char missed_list[160] = "";
    size_t ml = 0;
    for (size_t i = 0; i < r->n_results; i++) {
        ismo_period_result *res = &r->results[i];
        if (j.past) {
            res->complete = 1;
        }
        res->met = res->has_value && is_met(&j, res->value, res->target);
        if (res->complete) {
            complete++;
            if (!res->met) {
                missed++;
                if (ml < sizeof missed_list - 1) {
                    char vs[64];
                    ml += (size_t)snprintf(missed_list + ml, sizeof missed_list - ml, "%s%s (%s)",
                                           missed > 1 ? ", " : "", res->label,
                                           res->has_value ? ismo_value_format(o, res->value, vs, sizeof vs)
                                                          : "no sample");
                    if (ml >= sizeof missed_list) {
                        ml = sizeof missed_list - 1;
                    }
                }
            }
        } else if (cur < 0) {
            cur = (long)i;
        }
    }
    out->periods_missed = missed;
    if (complete > 0) {
        if (missed > 0) {
            add_rule(out, "completed: %u of %u missed: %s", missed, complete, missed_list);
        } else {
            add_rule(out, "completed: %u of %u met", complete, complete);
        }
    }

    /* the value shown: the current period's, else the latest with a value */
    long shown = -1;
    if (cur >= 0 && r->results[cur].has_value) {
        shown = cur;
    } else {
        for (long i = (long)r->n_results - 1; i >= 0; i--) {
            if (r->results[i].has_value) {
                shown = i;
                break;
            }
        }
    }
    double cur_progress = 0, cur_expected = 0;
    int scaled = 0;
    if (shown >= 0) {
        const ismo_period_result *s = &r->results[shown];
        out->has_value = 1;
        out->value = s->value;
        out->progress = progress_of(&j, s->value, s->target, s->met, &scaled);
        snprintf(out->period_label, sizeof out->period_label, "%s", s->label);
    } else if (cur >= 0) {
        snprintf(out->period_label, sizeof out->period_label, "%s", r->results[cur].label);
    } else if (r->n_results > 0) {
        snprintf(out->period_label, sizeof out->period_label, "%s",
                 r->results[r->n_results - 1].label);
    }
    int last_met_early = 0;
    if (cur >= 0) {
        const ismo_period_result *c = &r->results[cur];
        cur_progress = out->progress;
        cur_expected = c->to_ms > c->from_ms
                           ? clamp01((double)(p->now_ms - c->from_ms) / (double)(c->to_ms - c->from_ms))
                           : 1;
        last_met_early = c->met && (size_t)cur == r->n_results - 1;
        out->next_change_ms = c->to_ms > p->now_ms ? c->to_ms : 0;
        if (r->mode == ISMO_EVAL_MODE_TARGETS && c->from_ms > p->now_ms) {
            out->next_change_ms = c->from_ms;
        }
        if (c->has_value) {
            char vs[64], ts[64];
            add_rule(out, "current %s: %llu sample%s -> %s %s %s target %s so far", c->label,
                     (unsigned long long)c->samples, plural(c->samples),
                     ismo_value_format(o, c->value, vs, sizeof vs),
                     c->met ? "meets" : "misses", cmp_text(&j),
                     ismo_value_format(o, c->target, ts, sizeof ts));
        } else {
            add_rule(out, "current %s: no sample yet", c->label);
        }
    }
    double h = scaled && !j.past && p->hysteresis > 0 ? p->hysteresis : 0;
    int any_complete = complete > 0;
    int raw = health_periods(&j, r, missed, cur, any_complete, last_met_early, cur_progress,
                             cur_expected, 0);
    int health = raw;
    if (h > 0 && shown == cur && cur >= 0) {
        int cand = health_periods(&j, r, missed, cur, any_complete, last_met_early, cur_progress,
                                  cur_expected, h);
        health = apply_hysteresis(p->prev_health, raw, cand);
    }
    out->health = health;
    out->held = health != raw;
    const char *why;
    char why_buf[ISMO_EVAL_RULE_BYTES - 16];
    if (r->n_results == 0) {
        why = j.past ? "no period with samples up to the deadline" : "no period to judge yet";
    } else if (j.past) {
        why = missed > 0 ? "a period missed its target" : "every period met its target";
    } else if (missed > 0) {
        why = "a completed period missed its target";
    } else if (cur >= 0 && r->results[cur].has_value) {
        why = r->results[cur].met ? "the current period meets its target so far"
                                  : "the current period misses its target so far";
        if (r->mode == ISMO_EVAL_MODE_TARGETS && !j.maintain && !r->results[cur].met) {
            /* the REACH rule inside the period: its numbers */
            snprintf(why_buf, sizeof why_buf,
                     "%s: progress %.0f%% vs %.0f%% expected by now (the part of %s elapsed; at-risk margin "
                     "%.0f%%)",
                     why, cur_progress * 100, cur_expected * 100, r->results[cur].label, p->margin * 100);
            why = why_buf;
        }
    } else {
        why = any_complete ? "completed periods met; the current one has no sample yet"
                           : "no sample in a period yet";
    }
    add_rule(out, "%s -> %s", why, health_word(raw));

    char vs[64], ts[64];
    const char *tgt = "";
    if (shown >= 0) {
        ismo_value_format(o, r->results[shown].target, ts, sizeof ts);
        tgt = ts;
    }
    if (missed > 0) {
        set_expl(out, "%s: %u of %u completed periods missed: %s",
                 ps, missed, complete, missed_list);
    } else if (shown >= 0) {
        set_expl(out, "%s: %u completed period%s met; %s %s %s %s %s%s", ps, complete,
                 plural(complete), r->results[shown].label,
                 ismo_value_format(o, out->value, vs, sizeof vs),
                 r->results[shown].met ? "meets" : "misses", cmp_text(&j), tgt,
                 r->results[shown].complete ? "" : " so far");
    } else {
        set_expl(out, "%s: %s", ps, why);
    }
    if (out->held) {
        hysteresis_rule(out, p->prev_health, raw, health, h);
    }
}

ismo_err ismo_eval_run_finish(ismo_eval_run *r, const ismo_eval_params *p, ismo_eval *out)
{
    init_out(out);
    if (r->mode == ISMO_EVAL_MODE_WINDOW) {
        finish_window(r, p, out);
        return ISMO_OK;
    }
    free(r->results);
    r->results = NULL;
    r->n_results = 0;
    ismo_err err = build_results(r);
    if (err != ISMO_OK) {
        return err;
    }
    finish_periods(r, p, out);
    return ISMO_OK;
}

const ismo_period_result *ismo_eval_run_results(const ismo_eval_run *r, size_t *n)
{
    *n = r->n_results;
    return r->results;
}

ismo_period_result *ismo_eval_run_take_results(ismo_eval_run *r, size_t *n)
{
    ismo_period_result *res = r->results;
    *n = r->n_results;
    r->results = NULL;
    r->n_results = 0;
    return res;
}

void ismo_eval_run_free(ismo_eval_run *r)
{
    ismo_agg_release(&r->window);
    for (size_t i = 0; i < r->n_periods; i++) {
        ismo_agg_release(&r->periods[i].agg);
    }
    free(r->periods);
    r->periods = NULL;
    r->n_periods = r->cap_periods = 0;
    free(r->results);
    r->results = NULL;
    r->n_results = 0;
}
