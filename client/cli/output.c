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

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the byte at s
 * does not start one (a stray continuation, an overlong or cut sequence). */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    unsigned min;
    unsigned cp;
    if (c < 0x80) {
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        n = 2, min = 0x80, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3, min = 0x800, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return n;
}

/* Append the one-line form of s to out (NULL: count only); returns its length. */
static size_t escape_into(const char *s, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_len(p);
        const char *named = NULL;
        size_t k = 1; /* bytes to escape as \xHH */
        if (n == 1 && (*p < 0x20 || *p == 0x7f)) {
            named = *p == '\n' ? "\\n" : *p == '\t' ? "\\t" : *p == '\r' ? "\\r" : NULL;
        }
        if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
            n = 0; /* a C1 control (U+0080..U+009F): escape its bytes */
            k = 2;
        }
        if (named) {
            if (out) {
                memcpy(out + o, named, 2);
            }
            o += 2;
            p++;
        } else if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
            for (size_t i = 0; i < k; i++) {
                if (out) {
                    out[o] = '\\', out[o + 1] = 'x', out[o + 2] = hex[p[i] >> 4],
                    out[o + 3] = hex[p[i] & 15];
                }
                o += 4;
            }
            p += k;
        } else {
            if (out) {
                memcpy(out + o, p, n);
            }
            o += n;
            p += n;
        }
    }
    if (out) {
        out[o] = 0;
    }
    return o;
}

char *ismo_text_dup(const char *s)
{
    s = s ? s : "";
    char *d = malloc(escape_into(s, NULL) + 1);
    if (!d) {
        abort();
    }
    escape_into(s, d);
    return d;
}

void ismo_put_text(FILE *f, const char *s)
{
    char *d = ismo_text_dup(s);
    fputs(d, f);
    free(d);
}

static char *dup_or_dash(const char *s)
{
    return ismo_text_dup(s && *s ? s : "-");
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
    v = v == 0 ? 0.0 : v; /* -0 shows as 0 */
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
