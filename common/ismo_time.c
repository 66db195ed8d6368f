/* ismo_time: UTC instants and durations in ms; parsing and formatting.
 * Pure functions apart from the two clock reads; any thread. */
#include "ismo_time.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t ismo_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ismo_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), H. Hinnant's algorithm. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 29;
    }
    return dm[m - 1];
}

static int read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) {
            return -1;
        }
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

ismo_err ismo_time_parse(const char *text, int end_of_period, int64_t *ms)
{
    if (!text || !ms) {
        return ISMO_ERR_PARSE;
    }
    while (isspace((unsigned char)*text)) {
        text++;
    }
    if (*text == '@') {
        char *end = NULL;
        long long v = strtoll(text + 1, &end, 10);
        if (end == text + 1 || *end != '\0') {
            return ISMO_ERR_PARSE;
        }
        *ms = v;
        return ISMO_OK;
    }
    const char *p = text;
    int y, mo, d = 1, hh = 0, mi = 0, ss = 0, frac_ms = 0;
    if (read_digits(&p, 4, &y) != 0 || *p != '-') {
        return ISMO_ERR_PARSE;
    }
    p++;
    if (*p == 'Q' || *p == 'q') {
        p++;
        int q;
        if (read_digits(&p, 1, &q) != 0 || q < 1 || q > 4 || *p != '\0') {
            return ISMO_ERR_PARSE;
        }
        int end_month = q * 3; /* end of quarter: first day of next month */
        int ny = end_month == 12 ? y + 1 : y;
        int nm = end_month == 12 ? 1 : end_month + 1;
        *ms = days_from_civil(ny, (unsigned)nm, 1) * ISMO_DAY_MS;
        return ISMO_OK;
    }
    if (read_digits(&p, 2, &mo) != 0 || mo < 1 || mo > 12) {
        return ISMO_ERR_PARSE;
    }
    if (*p == '\0') { /* YYYY-MM: end of month */
        int ny = mo == 12 ? y + 1 : y;
        int nm = mo == 12 ? 1 : mo + 1;
        *ms = days_from_civil(ny, (unsigned)nm, 1) * ISMO_DAY_MS;
        return ISMO_OK;
    }
    if (*p != '-') {
        return ISMO_ERR_PARSE;
    }
    p++;
    if (read_digits(&p, 2, &d) != 0 || d < 1 || d > days_in_month(y, mo)) {
        return ISMO_ERR_PARSE;
    }
    int date_only = 1;
    int64_t offset_ms = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        date_only = 0;
        p++;
        if (read_digits(&p, 2, &hh) != 0 || hh > 23 || *p != ':') {
            return ISMO_ERR_PARSE;
        }
        p++;
        if (read_digits(&p, 2, &mi) != 0 || mi > 59) {
            return ISMO_ERR_PARSE;
        }
        if (*p == ':') {
            p++;
            if (read_digits(&p, 2, &ss) != 0 || ss > 60) {
                return ISMO_ERR_PARSE;
            }
            if (*p == '.') {
                p++;
                int digits = 0;
                frac_ms = 0;
                while (isdigit((unsigned char)*p)) {
                    if (digits < 3) {
                        frac_ms = frac_ms * 10 + (*p - '0');
                    }
                    digits++;
                    p++;
                }
                if (digits == 0) {
                    return ISMO_ERR_PARSE;
                }
                for (int i = digits; i < 3; i++) {
                    frac_ms *= 10;
                }
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1;
            int oh, om = 0;
            p++;
            if (read_digits(&p, 2, &oh) != 0) {
                return ISMO_ERR_PARSE;
            }
            if (*p == ':') {
                p++;
            }
            if (*p) {
                if (read_digits(&p, 2, &om) != 0) {
                    return ISMO_ERR_PARSE;
                }
            }
            if (oh > 23 || om > 59) {
                return ISMO_ERR_PARSE;
            }
            offset_ms = sign * ((int64_t)oh * ISMO_HOUR_MS + (int64_t)om * ISMO_MINUTE_MS);
        }
    }
    if (*p != '\0') {
        return ISMO_ERR_PARSE;
    }
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    if (date_only && end_of_period) {
        days += 1;
    }
    *ms = days * ISMO_DAY_MS + hh * ISMO_HOUR_MS + mi * ISMO_MINUTE_MS + ss * ISMO_SECOND_MS +
          frac_ms - offset_ms;
    return ISMO_OK;
}

ismo_err ismo_duration_parse(const char *text, int64_t *ms)
{
    if (!text || !ms) {
        return ISMO_ERR_PARSE;
    }
    const char *p = text;
    while (isspace((unsigned char)*p)) {
        p++;
    }
    if (*p == '\0') {
        return ISMO_ERR_PARSE;
    }
    double total = 0;
    int parts = 0;
    while (*p) {
        char *end = NULL;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || v < 0) {
            return ISMO_ERR_PARSE;
        }
        p = end;
        while (isspace((unsigned char)*p)) {
            p++;
        }
        double unit;
        if (strncmp(p, "ms", 2) == 0) {
            unit = 1;
            p += 2;
        } else if (strncmp(p, "min", 3) == 0) {
            unit = (double)ISMO_MINUTE_MS;
            p += 3;
        } else if (*p == 's') {
            unit = (double)ISMO_SECOND_MS;
            p++;
        } else if (*p == 'm') {
            unit = (double)ISMO_MINUTE_MS;
            p++;
        } else if (*p == 'h') {
            unit = (double)ISMO_HOUR_MS;
            p++;
        } else if (*p == 'd') {
            unit = (double)ISMO_DAY_MS;
            p++;
        } else if (*p == 'w') {
            unit = 7.0 * (double)ISMO_DAY_MS;
            p++;
        } else if (*p == '\0' && parts == 0 && v == 0) {
            unit = 0;
        } else {
            return ISMO_ERR_PARSE;
        }
        total += v * unit;
        parts++;
        while (isspace((unsigned char)*p)) {
            p++;
        }
    }
    if (total > 9.0e15) {
        return ISMO_ERR_PARSE;
    }
    *ms = (int64_t)llround(total);
    return ISMO_OK;
}

char *ismo_time_format_ms(int64_t ms, char *buf, size_t len)
{
    if (ms == 0) {
        snprintf(buf, len, "-");
        return buf;
    }
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int rem = (int)(ms - (int64_t)secs * 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rem);
    return buf;
}

char *ismo_date_format_ms(int64_t ms, char *buf, size_t len)
{
    if (ms == 0) {
        snprintf(buf, len, "-");
        return buf;
    }
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, len, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return buf;
}

char *ismo_deadline_format_ms(int64_t ms, char *buf, size_t len)
{
    if (ms == 0) {
        snprintf(buf, len, "-");
    } else if (ms % ISMO_DAY_MS == 0) {
        ismo_date_format_ms(ms - 1, buf, len);
    } else {
        ismo_time_format_ms(ms, buf, len);
    }
    return buf;
}

char *ismo_duration_format_ms(int64_t ms, char *buf, size_t len)
{
    const char *sign = ms < 0 ? "-" : "";
    int64_t a = ms < 0 ? -ms : ms;
    if (a == 0) {
        snprintf(buf, len, "0");
    } else if (a % ISMO_DAY_MS == 0) {
        snprintf(buf, len, "%s%lldd", sign, (long long)(a / ISMO_DAY_MS));
    } else if (a % ISMO_HOUR_MS == 0) {
        snprintf(buf, len, "%s%lldh", sign, (long long)(a / ISMO_HOUR_MS));
    } else if (a % ISMO_MINUTE_MS == 0 && a >= ISMO_HOUR_MS) {
        snprintf(buf, len, "%s%lldh%lldm", sign, (long long)(a / ISMO_HOUR_MS),
                 (long long)(a % ISMO_HOUR_MS / ISMO_MINUTE_MS));
    } else if (a % ISMO_MINUTE_MS == 0) {
        snprintf(buf, len, "%s%lldm", sign, (long long)(a / ISMO_MINUTE_MS));
    } else if (a % ISMO_SECOND_MS == 0) {
        snprintf(buf, len, "%s%llds", sign, (long long)(a / ISMO_SECOND_MS));
    } else {
        snprintf(buf, len, "%s%lldms", sign, (long long)a);
    }
    return buf;
}
