/* output: aligned tables and value formatting for the ismo CLI (see output.h).
 * Owns only the table rows it copied. Single-threaded. */
#include "output.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ismo_time.h"

struct ismo_table {
    size_t n_cols;
    char **cells; /* (rows + 1) * n_cols, row 0 = headers */
    size_t n_rows;
};

static char *dup_or_dash(const char *s)
{
    char *d = strdup(s && *s ? s : "-");
    if (!d) {
        abort();
    }
    return d;
}

ismo_table_t *ismo_table_new(size_t n_cols, const char *const *headers)
{
    ismo_table_t *self = calloc(1, sizeof *self);
    if (!self) {
        abort();
    }
    self->n_cols = n_cols;
    ismo_table_add(self, headers);
    self->n_rows = 0;
    return self;
}

void ismo_table_destroy(ismo_table_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    ismo_table_t *self = *self_p;
    for (size_t i = 0; i < (self->n_rows + 1) * self->n_cols; i++) {
        free(self->cells[i]);
    }
    free(self->cells);
    free(self);
    *self_p = NULL;
}

void ismo_table_add(ismo_table_t *self, const char *const *cells)
{
    size_t have = self->cells ? (self->n_rows + 1) : 0;
    self->cells = realloc(self->cells, (have + 1) * self->n_cols * sizeof *self->cells);
    if (!self->cells) {
        abort();
    }
    for (size_t c = 0; c < self->n_cols; c++) {
        self->cells[have * self->n_cols + c] = dup_or_dash(cells[c]);
    }
    if (have > 0) {
        self->n_rows++;
    }
}

size_t ismo_table_rows(const ismo_table_t *self) { return self->n_rows; }

/* Display width: count UTF-8 lead bytes only. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++) {
        w += ((unsigned char)*s & 0xc0) != 0x80;
    }
    return w;
}

void ismo_table_print(const ismo_table_t *self, FILE *f)
{
    size_t *w = calloc(self->n_cols, sizeof *w);
    if (!w) {
        abort();
    }
    for (size_t r = 0; r <= self->n_rows; r++) {
        for (size_t c = 0; c < self->n_cols; c++) {
            size_t cw = width(self->cells[r * self->n_cols + c]);
            w[c] = cw > w[c] ? cw : w[c];
        }
    }
    for (size_t r = 0; r <= self->n_rows; r++) {
        for (size_t c = 0; c < self->n_cols; c++) {
            const char *cell = self->cells[r * self->n_cols + c];
            if (c + 1 == self->n_cols) {
                fprintf(f, "%s\n", cell);
            } else {
                fprintf(f, "%s%*s  ", cell, (int)(w[c] - width(cell)), "");
            }
        }
    }
    free(w);
}

char *ismo_fmt_value(double v, const char *unit, char *buf, size_t len)
{
    if (unit && strcmp(unit, "yes/no") == 0 && (v == 0 || v == 1)) {
        snprintf(buf, len, "%s", v == 1 ? "yes" : "no");
    } else if (unit && *unit) {
        snprintf(buf, len, "%.4g%s%s", v, strcmp(unit, "%") == 0 ? " " : " ", unit);
    } else {
        snprintf(buf, len, "%.4g", v);
    }
    return buf;
}

/* ms per unit of a DURATION metric; 0 for an unknown unit. */
static double duration_unit_ms(const char *unit)
{
    if (!unit) {
        return 0;
    }
    if (strcmp(unit, "s") == 0) {
        return 1000.0;
    }
    if (strcmp(unit, "min") == 0) {
        return 60000.0;
    }
    if (strcmp(unit, "h") == 0) {
        return 3600000.0;
    }
    if (strcmp(unit, "d") == 0) {
        return 86400000.0;
    }
    return 0;
}

char *ismo_fmt_metric(const Ismo__V1__Objective *o, double v, char *buf, size_t len)
{
    const Ismo__V1__Metric *m = o ? o->metric : NULL;
    const char *unit = m ? m->unit : NULL;
    int kind = m ? (int)m->value_kind : 0;
    if (kind == ISMO__V1__VALUE_KIND__YES_NO && (v == 0 || v == 1)) {
        snprintf(buf, len, "%s", v == 1 ? "yes" : "no");
        return buf;
    }
    double per = duration_unit_ms(unit);
    if (kind == ISMO__V1__VALUE_KIND__DURATION && per > 0 && isfinite(v) &&
        fabs(v * per) < 1e15) {
        long long s = llround(fabs(v * per) / 1000.0);
        static const struct {
            long long secs;
            const char *name;
        } parts[] = {{86400, "d"}, {3600, "h"}, {60, "min"}, {1, "s"}};
        size_t used = (size_t)snprintf(buf, len, "%s", v < 0 ? "-" : "");
        int any = 0;
        for (size_t i = 0; i < sizeof parts / sizeof parts[0] && used < len; i++) {
            long long n = s / parts[i].secs;
            s %= parts[i].secs;
            if (n) {
                int w = snprintf(buf + used, len - used, "%s%lld%s", any ? " " : "", n, parts[i].name);
                used += w > 0 ? (size_t)w : 0;
                any = 1;
            }
        }
        if (!any) {
            snprintf(buf, len, "0%s", unit);
        }
        return buf;
    }
    return ismo_fmt_value(v, unit, buf, len);
}

char *ismo_fmt_percent(double fraction, char *buf, size_t len)
{
    if (!isfinite(fraction)) {
        snprintf(buf, len, "-");
    } else {
        double pct = fraction * 100.0;
        /* whole percent; huge ones in 3 digits with an exponent, so the
         * cell keeps its % sign ("2e+17 %") */
        snprintf(buf, len, fabs(pct) < 1e6 ? "%.0f %%" : "%.3g %%", pct);
    }
    return buf;
}

/* ---- display zone ---- */

static char zone_name[128] = "UTC";
static int zone_is_utc = 1;

static int zone_file_exists(const char *zone)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ismo_fmt_set_zone(const char *zone, char *why, size_t why_len)
{
    if (!zone || !*zone || strcmp(zone, "UTC") == 0 || strcmp(zone, "Z") == 0) {
        snprintf(zone_name, sizeof zone_name, "UTC");
        zone_is_utc = 1;
        setenv("TZ", "UTC", 1);
        tzset();
        return 0;
    }
    /* an IANA name: letters, digits, '/', '_', '-', '+'; no "..", not absolute */
    int ok = strlen(zone) < sizeof zone_name && zone[0] != '/' && !strstr(zone, "..");
    for (const char *p = zone; ok && *p; p++) {
        ok = isalnum((unsigned char)*p) || *p == '/' || *p == '_' || *p == '-' || *p == '+';
    }
    if (!ok || !zone_file_exists(zone)) {
        snprintf(why, why_len,
                 "unknown time zone '%s' (an IANA name from the tz database, e.g. Europe/Berlin, "
                 "America/New_York, UTC; is tzdata installed?)",
                 zone);
        return -1;
    }
    snprintf(zone_name, sizeof zone_name, "%s", zone);
    zone_is_utc = 0;
    setenv("TZ", zone, 1);
    tzset();
    return 0;
}

const char *ismo_fmt_zone(void) { return zone_name; }

char *ismo_fmt_time(int64_t ms, char *buf, size_t len)
{
    if (zone_is_utc || ms == 0) {
        return ismo_time_format_ms(ms, buf, len);
    }
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int msec = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    if (!localtime_r(&t, &tm)) {
        return ismo_time_format_ms(ms, buf, len);
    }
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) {
        off = -off;
    }
    char date[40];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03d%c%02ld:%02ld", date, msec, sign, off / 3600, (off % 3600) / 60);
    return buf;
}

char *ismo_fmt_deadline(int64_t ms, char *buf, size_t len)
{
    if (ms != 0 && ms % ISMO_DAY_MS != 0) {
        return ismo_fmt_time(ms, buf, len);
    }
    return ismo_deadline_format_ms(ms, buf, len);
}

static int is_ratio(const Ismo__V1__Objective *o)
{
    return o && o->metric && o->metric->aggregation == ISMO__V1__AGGREGATION__RATIO;
}

double ismo_sample_metric_value(const Ismo__V1__Objective *o, const Ismo__V1__Sample *s)
{
    if (!is_ratio(o)) {
        return s->value;
    }
    double total = s->has_total ? s->total : 1.0;
    if (!isfinite(total) || !(total > 0)) {
        return NAN;
    }
    return 100.0 * s->value / total;
}

char *ismo_fmt_sample(const Ismo__V1__Objective *o, const Ismo__V1__Sample *s, char *buf,
                      size_t len)
{
    if (is_ratio(o)) {
        double share = ismo_sample_metric_value(o, s);
        char pct[48];
        if (isfinite(share)) {
            snprintf(pct, sizeof pct, "%.4g %%", share);
        } else {
            snprintf(pct, sizeof pct, "no share");
        }
        snprintf(buf, len, "%.6g of %.6g (%s)", s->value, s->has_total ? s->total : 1.0, pct);
        return buf;
    }
    if (s->has_total) {
        snprintf(buf, len, "%.6g of %.6g", s->value, s->total);
        return buf;
    }
    return ismo_fmt_metric(o, s->value, buf, len);
}

char *ismo_fmt_day(int64_t ms, char *buf, size_t len)
{
    if (ms != 0 && ms % ISMO_DAY_MS != 0) {
        return ismo_fmt_time(ms, buf, len);
    }
    if (ms == 0) {
        snprintf(buf, len, "-");
        return buf;
    }
    return ismo_date_format_ms(ms, buf, len);
}

char *ismo_fmt_reminder_due(int kind, int64_t due_ms, char *buf, size_t len)
{
    if (kind == ISMO__V1__REMINDER_KIND__REVIEW_DUE ||
        kind == ISMO__V1__REMINDER_KIND__WORK_SHOULD_START) {
        return ismo_fmt_day(due_ms, buf, len);
    }
    return ismo_fmt_deadline(due_ms, buf, len);
}

const char *ismo_fmt_lifecycle(int lifecycle)
{
    static char buf[32];
    if (lifecycle == 0) {
        return "-";
    }
    const char *n = ismo_lifecycle_name(lifecycle);
    size_t i = 0;
    for (; n[i] && i + 1 < sizeof buf; i++) {
        buf[i] = (char)toupper((unsigned char)n[i]);
    }
    buf[i] = '\0';
    return buf;
}

char *ismo_fmt_target(const Ismo__V1__Objective *o, char *buf, size_t len)
{
    if (!o || !o->has_target) {
        snprintf(buf, len, "-");
        return buf;
    }
    const char *unit = o->metric ? o->metric->unit : NULL;
    int lower = o->metric && o->metric->direction == ISMO__V1__DIRECTION__LOWER_IS_BETTER;
    char v[64];
    ismo_fmt_metric(o, o->target, v, sizeof v);
    int yes_no = (unit && strcmp(unit, "yes/no") == 0) ||
                 (o->metric && o->metric->value_kind == ISMO__V1__VALUE_KIND__YES_NO);
    const char *op = yes_no ? ""
                     : lower ? (o->target_exclusive ? "< " : "<= ")
                             : (o->target_exclusive ? "> " : ">= ");
    snprintf(buf, len, "%s%s%s", op, v,
             o->target_mode == ISMO__V1__TARGET_MODE__MAINTAIN ? " (maintain)" : "");
    return buf;
}

const char *ismo_fmt_health(int health)
{
    static char buf[32];
    if (health == 0) {
        return "-";
    }
    const char *n = ismo_health_name(health);
    size_t i = 0;
    for (; n[i] && i + 1 < sizeof buf; i++) {
        buf[i] = (char)toupper((unsigned char)n[i]);
    }
    buf[i] = '\0';
    return buf;
}
