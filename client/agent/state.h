/* state: the agent's small durable state in its state_dir.
 *
 * Files in state_dir (created 0700 if missing):
 *   lock            held with flock(LOCK_EX) while the agent runs: one agent per state_dir
 *   sample_seq      decimal: the sample sequence numbers below it may have been used
 *   event_seq       decimal: the last event (Event.seq) whose hook ran (or was skipped)
 *   lost            decimal: samples refused or dropped by the spool quota, ever
 *   lost_reported   decimal: the value of "lost" the server last acknowledged
 *   rejected        text, one line per sample the server rejected as INVALID_ARGUMENT:
 *                   "<UTC now>\t<sample_id>\t<objective_id>\t<value>\t<effective UTC>\t<code>\t<message>"
 *   spool, parked   the two spool files (spool.h; opened by agent.c)
 * Small files are replaced atomically (write NAME.tmp, fsync, rename, fsync dir).
 *
 * Sample sequence numbers (the <seq> in sample ids "<agent name>:<seq>") are
 * never reused, across crashes and restarts: they are reserved in blocks of
 * ISMO_STATE_SEQ_BLOCK, and a block is on disk before any number of it is
 * handed out. A restart skips the rest of the last block (gaps are fine).
 * A state_dir without sample_seq (new, or lost with a container) starts at
 * UTC now in ms times ISMO_STATE_SEQ_PER_MS, above any number an earlier
 * incarnation of the same agent name handed out (unless it made more than
 * that many samples per ms of its life, or the clock went back), so a lost
 * state_dir never turns new measurements into "duplicates" of old sample ids.
 * Not thread-safe; runs on the agent's one thread. */
#ifndef ISMO_AGENT_STATE_H
#define ISMO_AGENT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "ismo/v1/objective.pb-c.h"
#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ISMO_STATE_SEQ_BLOCK 1000
#define ISMO_STATE_SEQ_PER_MS 1000

typedef struct ismo_agent_state ismo_agent_state_t;

/* Open dir (mkdir -p, mode 0700), take its lock, read the counters.
 * Errors: ISMO_ERR_LOCKED (another agent runs on dir), ISMO_ERR_IO (cannot
 * create/read; reason logged), ISMO_ERR_PARSE (a counter file is not a
 * number: fix or remove it; logged), ISMO_ERR_NOMEM.
 * On success the caller owns *self_p: ismo_agent_state_destroy. */
ismo_err ismo_agent_state_open(const char *dir, ismo_agent_state_t **self_p);

/* Release the lock and free; sets *self_p to NULL; safe on NULL. */
void ismo_agent_state_destroy(ismo_agent_state_t **self_p);

/* The next sample sequence number (1, 2, ...; never one handed out before).
 * ISMO_OK, or ISMO_ERR_IO when a new block could not be made durable (then
 * no number is handed out). */
ismo_err ismo_agent_state_next_sample_seq(ismo_agent_state_t *self, uint64_t *seq);

/* The last processed event sequence number (0 = none yet). */
uint64_t ismo_agent_state_event_seq(const ismo_agent_state_t *self);

/* Record seq as processed, durably. ISMO_OK or ISMO_ERR_IO. */
ismo_err ismo_agent_state_set_event_seq(ismo_agent_state_t *self, uint64_t seq);

/* Append one line for a sample the server refused for good (code: the wire
 * status name, e.g. "INVALID_ARGUMENT"; message: the server's reason), and
 * fsync. ISMO_OK or ISMO_ERR_IO. */
ismo_err ismo_agent_state_reject(ismo_agent_state_t *self, const Ismo__V1__Sample *sample,
                                 const char *code, const char *message);

/* Read the decimal counter file state_dir/name into *value (0 when the file
 * does not exist). ISMO_OK, ISMO_ERR_IO, or ISMO_ERR_PARSE (not a number). */
ismo_err ismo_agent_state_counter_get(ismo_agent_state_t *self, const char *name, uint64_t *value);

/* Replace state_dir/name with value, atomically and durably.
 * ISMO_OK or ISMO_ERR_IO (logged). */
ismo_err ismo_agent_state_counter_set(ismo_agent_state_t *self, const char *name, uint64_t value);

/* "<dir>/<name>" into buf; returns buf. */
char *ismo_agent_state_path(const ismo_agent_state_t *self, const char *name, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
