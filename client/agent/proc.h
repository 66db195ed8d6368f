/* proc: run one shell command in its own process group, with a time-out.
 *
 * Used by the collectors (capture stdout, parse a number) and the hooks
 * (extra environment, output left to the agent's own stdout). The command
 * runs as `/bin/sh -c COMMAND` with stdin from /dev/null, stderr inherited,
 * default signal dispositions and an empty signal mask. It is started with
 * posix_spawn (no copy of the agent's memory) in a new process group, so a
 * time-out kills the shell and everything it started (SIGKILL to the group).
 *
 * Blocking: ismo_proc_run returns when the command has exited, or when the
 * time-out or a stop request ended it; never later than timeout_ms plus a
 * few ms. Not thread-safe only in the sense that it reaps exactly its own
 * child (waitpid on the pid it started); no SIGCHLD handler is needed. */
#ifndef ISMO_AGENT_PROC_H
#define ISMO_AGENT_PROC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a command ended. */
typedef enum ismo_proc_end {
    ISMO_PROC_EXITED = 0,     /* exited by itself; exit_code is valid */
    ISMO_PROC_SIGNALED = 1,   /* killed by a signal it did not get from us; term_signal valid */
    ISMO_PROC_TIMED_OUT = 2,  /* still running at the time-out: its group got SIGKILL */
    ISMO_PROC_STOPPED = 3,    /* *stop became non-zero: its group got SIGKILL */
    ISMO_PROC_SPAWN_FAILED = 4/* could not be started (reason in ismo_proc_result.why) */
} ismo_proc_end;

typedef struct ismo_proc_result {
    ismo_proc_end end;
    int exit_code;            /* ISMO_PROC_EXITED: 0..255 */
    int term_signal;          /* ISMO_PROC_SIGNALED: the signal number */
    int64_t elapsed_ms;       /* wall time from start to reaping, ms (monotonic) */
    size_t out_bytes;         /* bytes of stdout stored in the caller's buffer (NUL-terminated) */
    size_t out_total_bytes;   /* bytes of stdout the command wrote (beyond the buffer: discarded) */
    char why[128];            /* ISMO_PROC_SPAWN_FAILED: the reason */
} ismo_proc_result;

/* Run `/bin/sh -c command`.
 *   env:        NULL-terminated "NAME=value" strings added to (and overriding)
 *               the agent's environment for this command; NULL = none. Borrowed.
 *   timeout_ms: > 0; after it the process group is killed.
 *   out, out_len: when out is not NULL, stdout is captured into out (at most
 *               out_len-1 bytes, NUL-terminated; the rest is read and dropped
 *               so the command never blocks on a full pipe). When out is NULL,
 *               stdout is inherited from the agent.
 *   stop:       optional flag (e.g. set by a signal handler); when it becomes
 *               non-zero the command is killed and ISMO_PROC_STOPPED reported.
 * Returns ISMO_OK with *result filled (also for failing commands: look at
 * result->end and exit_code), or ISMO_ERR_INVALID for a NULL/empty command or
 * timeout_ms <= 0, or ISMO_ERR_NOMEM. */
ismo_err ismo_proc_run(const char *command, const char *const *env, int64_t timeout_ms, char *out,
                       size_t out_len, const volatile sig_atomic_t *stop, ismo_proc_result *result);

/* One-line description of how the command ended, e.g. "exit status 1",
 * "killed by signal 9", "timed out after 10000 ms", into buf. Returns buf. */
char *ismo_proc_describe(const ismo_proc_result *result, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
