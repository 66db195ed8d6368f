/* scheduler: which reminders an objective is due (ISO/IEC 27001:2022 6.2 e
 * "communicated", 6.2 g-j "what will be done ... by when", 6.2 "updated as
 * appropriate"). Pure: it decides, the server records and publishes. No
 * clock (now is a parameter), no storage (what fired or was acknowledged is
 * asked through callbacks).
 *
 * Reminder keys identify "once per objective and key" (the store keeps each
 * key with the seq of the event that announced it, 0 = suppressed). They
 * embed the date they are about, so a changed date re-arms its reminders:
 *   deadline:<deadline_ms>:<offset_ms>   DEADLINE_APPROACHING, now in [deadline - offset, deadline)
 *   overdue:<deadline_ms>                OVERDUE (repeat 0), now >= deadline, health not ACHIEVED
 *   overdue:<deadline_ms>:<k>            OVERDUE repeat k >= 1, now >= deadline + k * repeat
 *   stale:<last_sample_ms>               METRIC_STALE, now > last sample + frequency; with no
 *                                        sample yet: now > max(start, updated_ms) + frequency
 *   start:<start_ms>                     WORK_SHOULD_START, now >= start_ms
 *   review:<review_ms>                   REVIEW_DUE for a review date, or a cadence slot
 *                                        (last review, else start, else creation) + k * cadence
 *   action-due:<i>:<due_ms>:<offset_ms>  ACTION_DUE_APPROACHING for open action i
 *   action-overdue:<i>:<due_ms>[:<k>]    ACTION_OVERDUE for open action i (repeat k as OVERDUE)
 *   ack:<key or episode>                 not a reminder: the acknowledgement (server/ack.c)
 *
 * An *episode* is one overdue deadline ("overdue:<deadline_ms>") or one
 * action's overdue ("action-overdue:<i>:<due_ms>"): its reminders repeat every
 * overdue_repeat_ms until the episode is acknowledged ("ack:<episode>"
 * recorded) or the target is met; after escalate_after published reminders
 * of the episode, the later ones are escalated.
 *
 * Nearest only: when several keys of one series are due at once (deadline
 * offsets of an objective imported 5 days before its deadline, repeats or
 * review dates missed while ismod was down), only the latest fires; the
 * others are recorded as suppressed, so nobody gets a burst of stale
 * messages. */
#ifndef ISMO_SCHEDULER_H
#define ISMO_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

#include "ismo_codec.h"

#define ISMO_MAX_REMINDER_OFFSETS 16
#define ISMO_REMINDER_KEY_BYTES 96
/* Suppressed repeats or review slots recorded per series and evaluation. */
#define ISMO_MAX_SUPPRESSED_SLOTS 16

/* What the callback says about a key. */
enum { ISMO_REMINDER_NOT_FIRED = 0, ISMO_REMINDER_FIRED = 1, ISMO_REMINDER_SUPPRESSED = 2 };
typedef int (*ismo_fired_fn)(void *ctx, const char *key);
/* Number of keys starting with prefix that fired with an event (not
 * suppressed). May be NULL: no escalation then. */
typedef uint32_t (*ismo_count_fn)(void *ctx, const char *prefix);

typedef struct ismo_reminder_due {
    int kind;                           /* ismo.v1.ReminderKind */
    int64_t offset_ms;                  /* *_APPROACHING: the offset; METRIC_STALE: frequency */
    int64_t due_ms;                     /* deadline, action due, start, review date, or when the
                                         * next sample was due, UTC ms */
    int64_t at_ms;                      /* when it became due (due - offset, due + k * repeat) */
    uint32_t repeat;                    /* 0, 1, 2, ... (OVERDUE, ACTION_OVERDUE) */
    int escalated;                      /* escalate_after published reminders of the episode passed */
    int late;                           /* at_ms < late_before_ms: missed while ismod was down */
    int action_index;                   /* ACTION_*: index in Objective.actions; else -1 */
    int suppress;                       /* 1: record only, publish nothing */
    char key[ISMO_REMINDER_KEY_BYTES];
} ismo_reminder_due;

typedef struct ismo_schedule_input {
    const Ismo__V1__Objective *objective;
    int health;                  /* current ismo.v1.Health */
    int64_t last_sample_ms;      /* newest sample's effective time, 0 = none */
    int64_t now_ms;
    const int64_t *offsets_ms;   /* deadline offsets, any order (the objective's, else the server's) */
    size_t n_offsets;
    int64_t overdue_repeat_ms;   /* resolved repeat period, ms; <= 0 = never repeat */
    int64_t created_ms;          /* when the first version was stored, UTC ms; 0 = unknown */
    int64_t last_review_ms;      /* newest review record, UTC ms; 0 = none */
    int64_t late_before_ms;      /* reminders that became due before this instant are late
                                  * (ismod was down); 0 = none */
    int64_t quiet_before_ms;     /* WORK_SHOULD_START, REVIEW_DUE, ACTION_* and OVERDUE repeats
                                  * (kinds older ismods did not have) that became due before
                                  * this instant are recorded as suppressed (upgrade); 0 = none */
    int more_pending;            /* 1: ismo_schedule ran out of room; ismo_next_check_ms then
                                  * answers now + 1 so the rest are decided at the next tick */
    void (*outstanding_key)(void *ctx, const char *key); /* optional (NULL = none): called by
                                  * ismo_schedule with each key counted in *outstanding (an
                                  * overdue episode: its latest fired slot) and the ctx of
                                  * ismo_schedule; what Ack without keys acknowledges */
} ismo_schedule_input;

/* Fill out[0..cap) with reminders to record now (not yet fired or
 * suppressed). Returns the count; *more (if not NULL) is set to 1 when out
 * was too small (evaluate again soon for the rest). outstanding (if not NULL)
 * receives the number of reminders that fired earlier (not suppressed) and
 * whose condition still holds (an episode counts once, and not once
 * acknowledged). count may be NULL (no escalation). */
size_t ismo_schedule(const ismo_schedule_input *in, ismo_fired_fn fired, ismo_count_fn count,
                     void *ctx, ismo_reminder_due *out, size_t cap, uint32_t *outstanding, int *more);

/* The episode a reminder key belongs to ("overdue:<d>" for "overdue:<d>:3",
 * "action-overdue:<i>:<d>" for "action-overdue:<i>:<d>:2") into buf; returns
 * 1, or 0 when the key belongs to no episode (buf then holds the key). */
int ismo_reminder_episode(const char *key, char *buf, size_t len);

/* The longest an objective goes without being looked at, ms (1 day). */
#define ISMO_MAX_RECHECK_MS INT64_C(86400000)

/* When the objective of in must be evaluated again (UTC ms, > now): the
 * earliest of its next deadline offset, its deadline, its next OVERDUE
 * repeat, each open action's offsets, due date and repeats, its start, its
 * next review date or cadence slot, the moment its metric goes stale, the
 * moments when time alone moves a REACH objective's health across a
 * threshold (expected progress passing progress, and progress + margin), and
 * when the oldest sample in a window leaves it (oldest_in_window_ms, 0 =
 * none); never later than now + ISMO_MAX_RECHECK_MS. This is what lets a
 * clock tick cost grow with the objectives due, not with all objectives
 * (server/monitor.c keeps a due-time index). */
int64_t ismo_next_check_ms(const ismo_schedule_input *in, int has_value, double progress,
                           double margin, int64_t oldest_in_window_ms);

/* One human-readable line for a reminder into buf, e.g.
 * "OBJ-1: deadline 2026-12-31 is within 7d; owner Head of IT". Instants in
 * the text are shown in time zone tz (IANA name; NULL, "" or "UTC" = UTC, as
 * dates when they fall on a UTC midnight); only the text uses tz. */
void ismo_reminder_message(const Ismo__V1__Objective *o, const ismo_reminder_due *r, const char *tz,
                           char *buf, size_t len);

#endif
