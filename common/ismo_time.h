/* ismo_time: instants and durations, all in milliseconds, all UTC.
 *
 * An instant is int64 ms since 1970-01-01T00:00:00Z; a duration is int64 ms.
 * This is the one unit of the wire schema (proto/ismo/v1/objective.proto). */
#ifndef ISMO_TIME_H
#define ISMO_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ISMO_SECOND_MS INT64_C(1000)
#define ISMO_MINUTE_MS INT64_C(60000)
#define ISMO_HOUR_MS INT64_C(3600000)
#define ISMO_DAY_MS INT64_C(86400000)

/* Instants ismo accepts: 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z. */
#define ISMO_MIN_INSTANT_MS INT64_C(0)
#define ISMO_MAX_INSTANT_MS INT64_C(253402300799999)
/* Longest duration ismo accepts (windows, frequencies, cadences): 100 years. */
#define ISMO_MAX_DURATION_MS (INT64_C(36525) * ISMO_DAY_MS)

/* Wall-clock now, UTC ms (CLOCK_REALTIME). Code that must be testable with a
 * simulated clock takes "now" as a parameter instead of calling this. */
int64_t ismo_now_ms(void);

/* Monotonic clock, ms, for time-outs and intervals (CLOCK_MONOTONIC). */
int64_t ismo_mono_ms(void);

/* Parse a UTC instant. Accepted forms:
 *   "2026-12-31"                      midnight UTC at the start of that day
 *   "2026-12-31T23:59", "...:59", "...:59.123", each optionally followed by
 *   "Z" or a "+hh:mm"/"-hh:mm" offset (converted to UTC)
 *   "2026-Q4"                         the end of the quarter: 2027-01-01T00:00Z
 *   "2026-12"                         the end of the month:   2027-01-01T00:00Z
 *   "@1767225599000"                  ms since the epoch
 * end_of_period: for the date-only form, return the end of the day (next
 * midnight) instead of its start; quarters and months always give the end.
 * Returns ISMO_OK and sets *ms, or ISMO_ERR_PARSE. */
ismo_err ismo_time_parse(const char *text, int end_of_period, int64_t *ms);

/* Parse a duration: a number followed by a unit ms, s, m (minutes), h, d, w,
 * e.g. "48h", "30d", "1.5h", "90s", or "0". Several parts may follow each
 * other: "2h45m". Returns ISMO_OK and sets *ms, or ISMO_ERR_PARSE. */
ismo_err ismo_duration_parse(const char *text, int64_t *ms);

/* Format an instant as "2026-12-31T23:59:59.000Z" into buf (>= 25 bytes).
 * Returns buf. ms == 0 formats as "-". */
char *ismo_time_format_ms(int64_t ms, char *buf, size_t len);

/* Format an instant as a date "2026-12-31" (UTC) into buf (>= 11 bytes). */
char *ismo_date_format_ms(int64_t ms, char *buf, size_t len);

/* Format a deadline the way people write it: an instant at exactly midnight
 * UTC (how a date-only deadline "2026-12-31" is stored: the end of that day)
 * as that day ("2026-12-31"); any other instant in full. 0 gives "-". */
char *ismo_deadline_format_ms(int64_t ms, char *buf, size_t len);

/* Format a duration compactly: "30d", "48h", "2h45m", "90s", "250ms". */
char *ismo_duration_format_ms(int64_t ms, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
