/* work: what one server step (a batch of requests, or a clock tick) carries:
 * the write transaction, the clock reading, the settings, and the outbox of
 * replies and events that leave only after the transaction commits.
 * Server-internal; server thread only. */
#ifndef ISMO_WORK_H
#define ISMO_WORK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ismo_codec.h"
#include "store.h"

/* Samples may be dated at most this far ahead of the server clock, ms
 * (clock skew between hosts); later ones are INVALID_ARGUMENT. */
#define ISMO_MAX_CLOCK_SKEW_MS INT64_C(300000)

/* A packed message waiting for the commit. */
typedef struct ismo_outmsg {
    uint8_t *topic_or_identity;  /* PUB topic, or ROUTER peer identity */
    size_t head_len;
    int has_delimiter;           /* reply to a REQ peer: send an empty frame first */
    uint8_t *body;               /* packed Reply or Event */
    size_t body_len;
} ismo_outmsg;

typedef struct ismo_outbox {
    ismo_outmsg *items;
    size_t count, cap;
} ismo_outbox;

void ismo_outbox_clear(ismo_outbox *box);
void ismo_outbox_free(ismo_outbox *box);
/* Append (copies head, takes ownership of body). ISMO_ERR_NOMEM on failure
 * (body is freed then too). */
ismo_err ismo_outbox_push(ismo_outbox *box, const void *head, size_t head_len, int delim,
                          uint8_t *body, size_t body_len);

typedef struct ismo_work {
    ismo_store_t *store;         /* the store (for what runs outside the transaction: backup) */
    ismo_txn_t *txn;             /* current (possibly nested) write transaction */
    const ismo_config *cfg;
    int64_t now_ms;              /* one clock reading for the whole step, UTC ms */
    ismo_outbox *events;         /* events to publish after commit */
    int writes_refused;          /* 1: storage full; write requests get STORAGE_FULL */
    struct ismo_audit *audit;    /* the audit trail (server/audit.h); NULL = not recorded */
    const struct ismo_peer *peer; /* who sent the request being dispatched (server/zap.h) */
    int peer_known;              /* 0: CURVE peer whose certificate was revoked */
    int authenticated;           /* 1: CURVE (peer from a certificate); 0: --insecure (admin) */
    int64_t late_before_ms;      /* reminders due before this instant fire with late = 1 (the
                                  * first ticks after start-up: ismod was down); 0 = none */
    int64_t quiet_before_ms;     /* the first ticks on a data directory from before these
                                  * reminder kinds: theirs due before this instant are only
                                  * recorded (docs/evaluation.md "Reminders"); 0 = none */
    /* objectives touched by samples in this step, evaluated before commit */
    char (*touched)[ISMO_MAX_ID_BYTES + 1];
    size_t n_touched, cap_touched;
} ismo_work;

/* Remember that id got new samples in this step (deduplicated). */
ismo_err ismo_work_touch(ismo_work *w, const char *id);

/* Append e to the store (assigning its seq) and queue it for publishing. */
ismo_err ismo_work_emit(ismo_work *w, Ismo__V1__Event *e);

/* monitor: evaluate objective o now, store its Status, emit STATUS_CHANGED
 * when the health changed, and fire due reminders (recording each once).
 * sample_delta: samples added to o in this step (for the total count). */
ismo_err ismo_monitor_objective(ismo_work *w, const Ismo__V1__Objective *o, uint64_t sample_delta);

/* monitor: call fn(ctx, key) for each reminder key of o that is outstanding
 * now (fired, not acknowledged, its condition still holds: what
 * Status.reminders_outstanding counts; an overdue episode once, by its latest
 * slot), as the scheduler decides it from o's stored Status. The first
 * non-OK return of fn is returned (fn is not called again). Server thread,
 * inside the step's transaction. */
typedef ismo_err (*ismo_key_fn)(void *ctx, const char *key);
ismo_err ismo_monitor_outstanding(ismo_work *w, const Ismo__V1__Objective *o, ismo_key_fn fn, void *ctx);

/* monitor: a clock tick: evaluate the objectives whose due time has come
 * (each evaluation sets the next due time). */
ismo_err ismo_monitor_tick(ismo_work *w);

/* monitor: make every current objective due now (start-up of a data
 * directory written before the due-time index existed, or after a restore). */
ismo_err ismo_monitor_schedule_all(ismo_work *w);

/* dispatch: handle one decoded request inside w (its own nested transaction
 * is managed by the caller). Fills reply (code, message, body); the body
 * memory is released by ismo_dispatch_release after packing.
 * Returns ISMO_ERR_FULL when the store is full (the caller grows the map or
 * refuses writes and runs the step again); other errors are already in reply. */
ismo_err ismo_dispatch(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply);
void ismo_dispatch_release(Ismo__V1__Reply *reply);

/* 1 if the request type writes to the store. */
int ismo_dispatch_writes(const Ismo__V1__Request *req);

/* ack (server/ack.c): the Ack request handler (route row in dispatch.c):
 * records the acknowledgement of reminder keys (empty = every one fired and
 * not yet acknowledged) and emits REMINDER_ACKED. The reply body it sets is
 * freed by ismo_ack_release_reply (the server loop calls it before
 * ismo_dispatch_release); a no-op for other bodies. */
ismo_err ismo_ack_handle(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply);
void ismo_ack_release_reply(Ismo__V1__Reply *reply);

#endif
