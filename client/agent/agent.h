/* agent: ismo-agent, the departmental measuring and notification daemon.
 *
 * An agent makes its function's information security objectives monitored
 * and communicated (ISO/IEC 27001:2022 6.2 f, e) without anyone typing
 * numbers: collectors measure, samples go to ismod through a durable spool,
 * and events of the function (reminders by default) run a hook.
 *
 * One thread, one loop (ismo_agent_run), woken by zmq_poll on the SUB socket
 * or by the earliest timer:
 *   1. collectors that are due run one after another, each bounded by its
 *      timeout_s; a value becomes a Sample {objective_id, value, effective_ms
 *      = when the command finished, source "agent:<name>", sample_id
 *      "<name>:<seq>"} appended durably to the spool before any send;
 *   2. the spool is sent in batches (batch_max_samples); a batch is removed
 *      only after ismod's reply (which comes after its commit). Accepted and
 *      duplicate samples are done; NOT_FOUND rejections (objective not
 *      imported yet) go to the "parked" spool and are re-sent every
 *      not_found_retry_s; every other rejection (INVALID_ARGUMENT, CONFLICT
 *      for a retired objective) goes to state_dir/rejected (logged, never
 *      dropped silently). Time-outs and transport errors keep everything and
 *      back off exponentially with jitter (retry_min_ms .. retry_max_ms);
 *   3. event catch-up: a message on the SUB socket (prefixes
 *      "<kind>.<function>.") only says "something happened"; the agent then
 *      asks ListEvents(since = its cursor, function, kind) and runs the hook
 *      once per new event, persisting the cursor after each. The same
 *      catch-up runs at start and every catch_up_s, so events published
 *      while the agent or its SUB connection was down are not lost, and
 *      nothing is run twice (de-duplicated by Event.seq). A heartbeat
 *      ("heartbeat." topic) with a seq above what was handled is a doorbell
 *      too; none for heartbeat_timeout_s reconnects the SUB socket;
 *   4. samples lost to the spool quota (refused or dropped, per spool_full)
 *      are counted in state_dir/lost and, with loss_objective set, reported
 *      as a sample of that objective (value = the count, ever; sample id
 *      "<name>:lost:<count>", so a re-sent report is a duplicate).
 * The loop never blocks longer than the longest of: one collector timeout,
 * one request timeout_ms (per batch, at most ~1 s of batches per turn), one
 * hook timeout (at most ISMO_AGENT_HOOKS_PER_TURN hooks per turn).
 *
 * Not thread-safe: one thread calls everything. The stop flag may be set
 * from a signal handler. */
#ifndef ISMO_AGENT_AGENT_H
#define ISMO_AGENT_AGENT_H

#include <signal.h>
#include <stdint.h>

#include "config.h"
#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hooks run per loop turn before collectors and sends get their turn again. */
#define ISMO_AGENT_HOOKS_PER_TURN 20
/* On stop, time spent trying to send what is spooled, ms. */
#define ISMO_AGENT_STOP_FLUSH_MS 2000

typedef struct ismo_agent ismo_agent_t;

/* Counters since ismo_agent_new. */
typedef struct ismo_agent_stats {
    uint64_t collected;     /* samples spooled from collectors */
    uint64_t collect_failed;/* collector runs without a value */
    uint64_t refused;       /* samples refused because the spool was full (spool_full: refuse) */
    uint64_t dropped;       /* oldest samples dropped for room (spool_full: drop_oldest) */
    uint64_t lost;          /* refused + dropped, ever (state_dir/lost, across restarts) */
    uint64_t lost_reported; /* the "lost" value the server last acknowledged (loss_objective) */
    uint64_t accepted;      /* samples the server stored */
    uint64_t duplicates;    /* samples the server already had */
    uint64_t rejected;      /* samples written to state_dir/rejected */
    uint64_t parked;        /* NOT_FOUND rejections moved to the parked spool */
    uint64_t send_failures; /* batches not answered (time-out, transport, server error) */
    uint64_t hooks_run;     /* hook runs (any exit status) */
    uint64_t hooks_failed;  /* hook runs that did not exit 0 */
    uint64_t spooled;       /* samples waiting now (spool + parked) */
    uint64_t event_seq;     /* the event cursor now */
} ismo_agent_stats;

/* Create an agent for cfg (borrowed: must outlive the agent). Opens the
 * state_dir (taking its lock), the spools, the collectors and the request
 * connection (asynchronous: a missing server is not an error here).
 * Errors: ISMO_ERR_LOCKED (another agent uses state_dir), ISMO_ERR_IO,
 * ISMO_ERR_PARSE (a state file is corrupt), ISMO_ERR_TRANSPORT (bad
 * endpoint), ISMO_ERR_NOMEM; each logged. On ISMO_OK the caller owns
 * *self_p: ismo_agent_destroy. */
ismo_err ismo_agent_new(const ismo_agent_config *cfg, ismo_agent_t **self_p);

/* Close everything and free; sets *self_p to NULL; safe on NULL. Spooled
 * samples stay on disk for the next start. */
void ismo_agent_destroy(ismo_agent_t **self_p);

/* Run the loop until *stop becomes non-zero (stop must not be NULL), then
 * spend up to ISMO_AGENT_STOP_FLUSH_MS sending what is spooled.
 * Returns ISMO_OK, or ISMO_ERR_TRANSPORT when the SUB socket cannot be set up. */
ismo_err ismo_agent_run(ismo_agent_t *self, const volatile sig_atomic_t *stop);

/* Run every collector once, send the spool (one attempt per batch, no
 * back-off), re-send parked samples once, and when a hook is configured
 * catch up with events once. For tests and cron.
 * Returns ISMO_OK when nothing is left spooled; otherwise the error of the
 * last failed send (e.g. ISMO_ERR_TIMEOUT), or ISMO_ERR_NOT_FOUND when only
 * samples of unknown objectives are left. */
ismo_err ismo_agent_run_once(ismo_agent_t *self, const volatile sig_atomic_t *stop);

/* Synthetic load (ismo-agent --synthetic N, for load and reliability tests):
 * instead of running the collectors, offer n generated samples through the
 * same path as collected ones (sequence number, quota and spool_full
 * policy, spool, batches, back-off). Objectives go round-robin over the
 * configured collectors' objectives; value = (k mod 1000) + 0.25 for the
 * k-th sample; effective time = when it was spooled. per_s > 0 paces the
 * offers to per_s samples per second (0 = as fast as the spool takes them).
 * Samples are spooled in chunks of at most 500 with one fdatasync per chunk, and each spooled one is
 * appended to state_dir/synthetic as "<sample id>\t<objective>\t<value>"
 * (the list a test compares the store against). ismo_agent_run returns once
 * all n were offered and the spool and parked spool are empty.
 * Call before run. ISMO_ERR_INVALID when there is no collector. */
ismo_err ismo_agent_set_synthetic(ismo_agent_t *self, uint64_t n, uint64_t per_s);

/* Copy the counters into *stats. */
void ismo_agent_get_stats(const ismo_agent_t *self, ismo_agent_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
