/* hook: run the configured hook command once for one event.
 *
 * ISO/IEC 27001:2022 6.2 e "communicated": the hook is how a department is
 * told about reminders (deadline approaching, overdue, metric stale), health
 * changes and objective changes of its function. The command runs with
 * `/bin/sh -c` (proc.h) with the event in environment variables, stdout and
 * stderr inherited from the agent; it is killed after its time-out. Its exit
 * status is logged; a failing hook is not run again for the same event (the
 * agent's cursor moves on; see docs/agent.md).
 *
 * Environment (every variable is always set; empty when not applicable):
 *   ISMO_EVENT_SEQ      Event.seq, decimal
 *   ISMO_EVENT_KIND     status | reminder | objective
 *   ISMO_FUNCTION       Event.function
 *   ISMO_OBJECTIVE_ID   Event.objective_id
 *   ISMO_TITLE          objective title
 *   ISMO_MESSAGE        one human-readable line
 *   ISMO_EVENT_TIME     when the event was stored, "2026-12-31T23:59:59.000Z"
 *   ISMO_REMINDER_KIND  reminders: one of the seven ReminderKind names
 *                       (deadline_approaching, overdue, metric_stale,
 *                       work_should_start, review_due, action_due_approaching,
 *                       action_overdue)
 *   ISMO_DUE            reminders: Reminder.due_ms, the instant the reminder is
 *                       about (deadline, start, review date, action due; for
 *                       metric_stale when a sample was due), ISO UTC as above
 *   ISMO_OWNER          objective owner (reminders)
 *   ISMO_REMINDER_KEY   Reminder.key, for `ismo ack --key` (reminders)
 *   ISMO_REMINDER_REPEAT     Reminder.repeat, decimal (reminders; 0 the first time)
 *   ISMO_REMINDER_ESCALATED  1 when escalated, else 0 (reminders)
 *   ISMO_REMINDER_AUDIENCE   Reminder.audience: the owner, or escalate_to (reminders)
 *   ISMO_REMINDER_LATE       1 when fired late (at start-up), else 0 (reminders)
 *   ISMO_OLD_HEALTH     e.g. on_track (status changes)
 *   ISMO_NEW_HEALTH     e.g. at_risk (status changes)
 *   ISMO_AGENT_NAME     agent.name
 * Values are cut at ISMO_HOOK_MAX_VALUE_BYTES. Runs on the agent's thread. */
#ifndef ISMO_AGENT_HOOK_H
#define ISMO_AGENT_HOOK_H

#include <signal.h>
#include <stdint.h>

#include "ismo/v1/event.pb-c.h"
#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ISMO_HOOK_N_VARS 18
#define ISMO_HOOK_MAX_VALUE_BYTES 1024

/* The environment for one event: vars[] points into buf; NULL-terminated. */
typedef struct ismo_hook_env {
    const char *vars[ISMO_HOOK_N_VARS + 1];
    char buf[ISMO_HOOK_N_VARS * (ISMO_HOOK_MAX_VALUE_BYTES + 32)];
} ismo_hook_env;

/* Fill env for event e (borrowed) and agent_name. Pure. */
void ismo_hook_env_build(const Ismo__V1__Event *e, const char *agent_name, ismo_hook_env *env);

/* Value of variable name in env, or NULL (for tests and logs). */
const char *ismo_hook_env_get(const ismo_hook_env *env, const char *name);

/* Run command for e with the environment above, at most timeout_ms.
 * stop: optional; when it becomes non-zero the hook is killed.
 * Returns ISMO_OK when the hook exited 0; ISMO_ERR_IO for another exit
 * status, a signal, or a hook that could not start; ISMO_ERR_TIMEOUT;
 * ISMO_ERR_INTERRUPTED (stop). Every outcome is logged ("hook: seq=N ..."). */
ismo_err ismo_hook_run(const char *command, int64_t timeout_ms, const Ismo__V1__Event *e,
                       const char *agent_name, const volatile sig_atomic_t *stop);

#ifdef __cplusplus
}
#endif
#endif
