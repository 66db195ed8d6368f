/* output: how the ismo CLI shows things: aligned text tables and the
 * formatting of values, units, dates and health. Pure formatting; JSON is
 * built with jansson in the commands that emit it. */
#ifndef ISMO_CLI_OUTPUT_H
#define ISMO_CLI_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ismo_codec.h"

typedef struct ismo_table ismo_table_t;

/* New table with n_cols columns, headed by the NULL-terminated list of
 * headers (n_cols strings). Aborts on out-of-memory. Free with
 * ismo_table_destroy. */
/* One line of terminal output from user text (titles, notes, actions,
 * names): newline, tab and carriage return become \n \t \r, other control
 * bytes (< 0x20, 0x7f, C1 U+0080..U+009F such as ESC sequences) and bytes
 * that are not valid UTF-8 become \xHH; everything else (backslashes too)
 * is kept. ismo_text_dup returns a malloc'd copy (caller frees; NULL is
 * read as ""; aborts when out of memory); ismo_put_text writes it to f.
 * Table cells (ismo_table_add) are escaped the same way. */
char *ismo_text_dup(const char *s);
void ismo_put_text(FILE *f, const char *s);

ismo_table_t *ismo_table_new(size_t n_cols, const char *const *headers);
void ismo_table_destroy(ismo_table_t **self_p);

/* Append a row of n_cols cells (copied; NULL prints as "-"). */
void ismo_table_add(ismo_table_t *self, const char *const *cells);

/* Print as aligned columns separated by two spaces, headers first. */
void ismo_table_print(const ismo_table_t *self, FILE *f);

/* Number of rows added. */
size_t ismo_table_rows(const ismo_table_t *self);

/* A metric value with its unit: "4.2 %", "48 h", "1 yes/no" -> "yes". */
char *ismo_fmt_value(double v, const char *unit, char *buf, size_t len);

/* A value of objective o's metric, as its value kind asks (objective.proto
 * ValueKind): YES_NO 1/0 -> "yes"/"no"; DURATION in the unit "s", "min",
 * "h" or "d" -> "2h 45min" (days, hours, minutes, seconds; zero parts left
 * out); NUMBER (or o NULL) as ismo_fmt_value with the metric's unit. */
char *ismo_fmt_metric(const Ismo__V1__Objective *o, double v, char *buf, size_t len);

/* What a sample stands for on its objective's value axis: for a RATIO
 * metric (objective.proto Aggregation RATIO) the share 100 * value / total
 * in % (total absent = 1, a 0/1 sample); NAN when that total is not a
 * finite number > 0; for every other metric (or o NULL) the value as is. */
double ismo_sample_metric_value(const Ismo__V1__Objective *o, const Ismo__V1__Sample *s);

/* A sample for people: a RATIO sample as "7 of 11 (63.64 %)" (total absent:
 * "1 of 1 (100 %)"), a total on another metric as "7 of 11", else as
 * ismo_fmt_metric. Returns buf. */
char *ismo_fmt_sample(const Ismo__V1__Objective *o, const Ismo__V1__Sample *s, char *buf,
                      size_t len);

/* A fraction as percent with no decimals: 0.734 -> "73 %"; from a million
 * percent on with three digits and an exponent: 2e15 -> "2e+17 %" (buf >= 16
 * bytes). NAN or infinite -> "-". */
char *ismo_fmt_percent(double fraction, char *buf, size_t len);

/* The zone instants are displayed in: an IANA name from the system's tz
 * database (tzdata, /usr/share/zoneinfo or $TZDIR), e.g. "Europe/Berlin",
 * or "UTC" (the default; NULL or "" also mean UTC). Only display changes:
 * every computation, request and JSON value stays UTC ms. Sets the process's
 * TZ (the CLI is single-threaded). Returns 0, or -1 for a name that is not
 * in the tz database (then the zone is unchanged; why says so). */
int ismo_fmt_set_zone(const char *zone, char *why, size_t why_len);

/* The zone set by ismo_fmt_set_zone ("UTC" by default). Borrowed, static. */
const char *ismo_fmt_zone(void);

/* An instant in the display zone: "2026-11-30T10:00:00.000Z" in UTC,
 * "2026-11-30T11:00:00.000+01:00" elsewhere (ISO 8601 with the zone's
 * offset at that instant, daylight saving included). 0 -> "-".
 * buf >= 32 bytes. Returns buf. */
char *ismo_fmt_time(int64_t ms, char *buf, size_t len);

/* A deadline (or other end-of-period instant) as the last day it includes:
 * 2027-01-01T00:00Z (the end of 2026-12-31) -> "2026-12-31" (a date-only
 * deadline is a UTC day whatever the display zone); an instant that is not
 * midnight UTC prints as ismo_fmt_time does; 0 -> "-". */
char *ismo_fmt_deadline(int64_t ms, char *buf, size_t len);

/* A date that names a UTC day and is stored as that day's start (a review
 * date, 2026-06-30 -> 2026-06-30T00:00Z) as that day: "2026-06-30" whatever
 * the display zone; an instant that is not midnight UTC prints as
 * ismo_fmt_time does; 0 -> "-". Unlike ismo_fmt_deadline no day is taken
 * off. */
char *ismo_fmt_day(int64_t ms, char *buf, size_t len);

/* The due time of a reminder of kind `kind` (ReminderKind): a REVIEW_DUE
 * reminder is due on a review date or cadence slot and WORK_SHOULD_START at
 * the objective's start, both the start of the day they name
 * (ismo_fmt_day); every other kind at a deadline (ismo_fmt_deadline). */
char *ismo_fmt_reminder_due(int kind, int64_t due_ms, char *buf, size_t len);

/* Lifecycle name upper-case for humans ("ACTIVE"); "-" when unset. */
const char *ismo_fmt_lifecycle(int lifecycle);

/* The target with its direction and unit: "<= 48 h", ">= 99.9 % (maintain)";
 * a strict target (target_exclusive) "< 2h", a yes/no target "yes". */
char *ismo_fmt_target(const Ismo__V1__Objective *o, char *buf, size_t len);

/* Health name upper-case for humans ("ON_TRACK"); "-" when unset. */
const char *ismo_fmt_health(int health);

#endif
