/* collector: one measurement command of ismo-agent, run on a schedule.
 *
 * A collector turns a shell command into samples of one information security
 * objective's metric (ISO/IEC 27001:2022 6.2 c "measurable", f "monitored").
 * The command runs with `/bin/sh -c` in its own process group (proc.h) and
 * is killed after its time-out. A run yields a value only when the command
 * exited with status 0 and its stdout, with leading and trailing white space
 * removed, is exactly one finite number as strtod reads it ("97.5", "0",
 * "-3", "1e3"; not "", "97 %", "nan", "inf", "1 2"). Anything else is logged
 * as a warning (collector name, how it ended, the first bytes of its output)
 * and yields no sample.
 *
 * The collector knows nothing of samples, sequence numbers or the spool:
 * agent.c turns a value into a Sample. Runs on the agent's one thread. */
#ifndef ISMO_AGENT_COLLECTOR_H
#define ISMO_AGENT_COLLECTOR_H

#include <signal.h>
#include <stdint.h>

#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Captured stdout per run, bytes; output beyond it is read and discarded
 * (and makes the run fail: one number never needs this much). */
#define ISMO_COLLECTOR_MAX_OUTPUT_BYTES 4096

typedef struct ismo_collector ismo_collector_t;

/* A collector named name (for logs) measuring objective_id by running
 * command every interval_ms, each run bounded by timeout_ms (both > 0).
 * Strings are copied. The first run is due at once (ismo_collector_next_due_ms
 * = now). NULL on allocation failure or invalid arguments.
 * Free with ismo_collector_destroy. */
ismo_collector_t *ismo_collector_new(const char *name, const char *objective_id,
                                     const char *command, int64_t interval_ms,
                                     int64_t timeout_ms);

/* Free; sets *self_p to NULL; safe on NULL. */
void ismo_collector_destroy(ismo_collector_t **self_p);

/* Borrowed; valid until destroy. */
const char *ismo_collector_name(const ismo_collector_t *self);
const char *ismo_collector_objective(const ismo_collector_t *self);

/* When the next run is due, monotonic ms (ismo_mono_ms). */
int64_t ismo_collector_next_due_ms(const ismo_collector_t *self);

/* Run the command now (blocking, at most timeout_ms plus a few ms) and
 * schedule the next run interval_ms after this one was due (or after now,
 * when the agent fell behind by more than one interval).
 * stop: optional; when it becomes non-zero the run is killed.
 * On ISMO_OK *value is the number and *finished_ms the wall-clock time (UTC ms)
 * when the command finished. Errors (each logged as a warning with the name):
 *   ISMO_ERR_PARSE       exit status 0 but the output is not one finite number
 *   ISMO_ERR_IO          non-zero exit status, killed by a signal, or not started
 *   ISMO_ERR_TIMEOUT     still running after timeout_ms; its group was killed
 *   ISMO_ERR_INTERRUPTED stop was set during the run
 *   ISMO_ERR_NOMEM */
ismo_err ismo_collector_run(ismo_collector_t *self, const volatile sig_atomic_t *stop,
                            double *value, int64_t *finished_ms);

/* Runs so far and how many yielded no value. */
uint64_t ismo_collector_runs(const ismo_collector_t *self);
uint64_t ismo_collector_failures(const ismo_collector_t *self);

/* The pure part: parse text (NUL-terminated) as one finite number with
 * optional surrounding white space. ISMO_OK and *value, or ISMO_ERR_PARSE. */
ismo_err ismo_collector_parse_value(const char *text, double *value);

#ifdef __cplusplus
}
#endif
#endif
