/* scheduler: which reminders an objective is due (ISO/IEC 27001:2022 6.2 e
 * "communicated", 6.2 j "when it will be completed"). Pure: it decides, the
 * server records and publishes. No clock (now is a parameter), no storage
 * (whether a reminder already fired is asked through a callback).
 *
 * Reminder keys identify "once per objective and offset"; they embed the
 * deadline, so a changed deadline re-arms its reminders:
 *   deadline:<deadline_ms>:<offset_ms>   DEADLINE_APPROACHING, now in [deadline - offset, deadline)
 *   overdue:<deadline_ms>                OVERDUE, now >= deadline and not ACHIEVED
 *   stale:<last_sample_ms>               METRIC_STALE, now > last sample + frequency; with no
 *                                        sample yet: now > max(start, updated_ms) + frequency
 * When several deadline offsets are due at once (e.g. an objective created 5
 * days before its deadline with offsets 30 d, 7 d, 1 d), only the nearest one
 * (7 d) fires; the wider ones are recorded as suppressed, so nobody gets a
 * burst of stale "30 days left" messages. */
#ifndef ISMO_SCHEDULER_H
#define ISMO_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

#include "ismo_codec.h"

#define ISMO_MAX_REMINDER_OFFSETS 16
#define ISMO_REMINDER_KEY_BYTES 64

/* What the callback says about a key. */
enum { ISMO_REMINDER_NOT_FIRED = 0, ISMO_REMINDER_FIRED = 1, ISMO_REMINDER_SUPPRESSED = 2 };
typedef int (*ismo_fired_fn)(void *ctx, const char *key);

typedef struct ismo_reminder_due {
    int kind;                           /* ismo.v1.ReminderKind */
    int64_t offset_ms;                  /* DEADLINE_APPROACHING: the offset */
    int64_t due_ms;                     /* deadline, or when the next sample was due */
    int suppress;                       /* 1: record only, publish nothing */
    char key[ISMO_REMINDER_KEY_BYTES];
} ismo_reminder_due;

typedef struct ismo_schedule_input {
    const Ismo__V1__Objective *objective;
    int health;                  /* current ismo.v1.Health */
    int64_t last_sample_ms;      /* newest sample's effective time, 0 = none */
    int64_t now_ms;
    const int64_t *offsets_ms;   /* deadline offsets, any order */
    size_t n_offsets;
} ismo_schedule_input;

/* Fill out[0..cap) with reminders to record now (not yet fired). Returns the
 * count. outstanding (if not NULL) receives the number of reminders that
 * fired earlier (not suppressed) and whose condition still holds. */
size_t ismo_schedule(const ismo_schedule_input *in, ismo_fired_fn fired, void *ctx,
                     ismo_reminder_due *out, size_t cap, uint32_t *outstanding);

/* The longest an objective goes without being looked at, ms (1 day). */
#define ISMO_MAX_RECHECK_MS INT64_C(86400000)

/* When the objective of in must be evaluated again (UTC ms, > now): the
 * earliest of its next deadline offset, its deadline, the moment its metric
 * goes stale, the moments when time alone moves a REACH objective's health
 * across a threshold (expected progress passing progress, and progress +
 * margin), and when the oldest sample in a window leaves it
 * (oldest_in_window_ms, 0 = none); never later than now + ISMO_MAX_RECHECK_MS.
 * This is what lets a clock tick cost grow with the objectives due, not with
 * all objectives (server/monitor.c keeps a due-time index). */
int64_t ismo_next_check_ms(const ismo_schedule_input *in, int has_value, double progress,
                           double margin, int64_t oldest_in_window_ms);

/* One human-readable line for a reminder into buf, e.g.
 * "OBJ-1 deadline in 7d (2026-12-31): target 48h, owner Head of IT". */
void ismo_reminder_message(const Ismo__V1__Objective *o, const ismo_reminder_due *r, char *buf,
                           size_t len);

#endif
