/* store: ismod's durable state in one LMDB environment (the only module that
 * includes lmdb.h; MDB_* codes become ismo_err here and nowhere else).
 *
 * Databases (DBIs) in the environment under the data directory:
 *   objectives  id                          -> Objective (current version)
 *   versions    id \0 be32(version)          -> Objective (every version, never deleted)
 *   samples     id \0 be64(effective_ms) be64(ingest seq) -> Sample
 *   sample_ids  sample_id                   -> be64(ingest seq)   (idempotent ingest)
 *   status      id                          -> Status (last evaluation)
 *   events      be64(seq)                   -> Event (global, gap-free sequence)
 *   reminders   id \0 reminder key           -> be64(event seq, 0 = suppressed)
 *   meta        name                        -> value (e.g. "last_seq", "ingest_seq")
 *   aggregates  id                          -> ismo_store_agg (all samples, kept incrementally)
 *   due         be64(due_ms) id             -> ""  (when each objective must be looked at next)
 *   due_by_id   id                          -> be64(due_ms)
 *   audit       be64(seq)                   -> AuditRecord bytes (server/audit.c; append-only)
 *   reviews     id \0 be64(reviewed_ms) be64(review seq) -> Review (management review, 9.3)
 *   policies    id                          -> PolicyCommitment (6.2 a)
 *   risks       id                          -> Risk (6.2 c)
 *   children    parent_id \0 child id       -> ""  (the objective tree, kept by objective_put)
 *
 * Threading: one writer (the server thread). A transaction belongs to the
 * thread that began it. Decoded messages handed out are owned by the caller
 * (free with the matching ismo__v1__*__free_unpacked(msg, NULL)). */
#ifndef ISMO_STORE_H
#define ISMO_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ismo_codec.h"
#include "ismo_err.h"

typedef struct ismo_store ismo_store_t;
typedef struct ismo_txn ismo_txn_t;

typedef struct ismo_store_opts {
    size_t map_size_bytes;     /* initial LMDB map size, bytes (default 64 MiB) */
    size_t map_max_bytes;      /* the map grows up to this, bytes (default 16 GiB) */
    int no_sync;               /* 1 = MDB_NOSYNC (tests only; loses durability) */
} ismo_store_opts;

ismo_store_opts ismo_store_opts_default(void);

/* Open (creating if needed) the environment in directory dir (created with
 * mode 0700 if missing). Clears stale reader slots (mdb_reader_check).
 * Errors: ISMO_ERR_IO (directory, permissions, corrupt file) with a reason in
 * why; ISMO_ERR_LOCKED when another ismod holds the directory.
 * The caller owns *store_p; free with ismo_store_destroy. */
ismo_err ismo_store_open(const char *dir, const ismo_store_opts *opts, ismo_store_t **store_p,
                         char *why, size_t why_len);

/* Close the environment; nulls *store_p; safe on NULL. No transaction may be open. */
void ismo_store_destroy(ismo_store_t **store_p);

/* Double the map size (up to map_max_bytes). Call with no transaction open,
 * after an operation returned ISMO_ERR_FULL. ISMO_ERR_FULL when already at the
 * maximum (or the disk is full). */
ismo_err ismo_store_grow(ismo_store_t *store);

/* 1 when the last top-level commit failed because the disk (not the map) is
 * full; a later successful commit clears it. ismo_store_grow does not grow
 * the map then. */
int ismo_store_disk_full(const ismo_store_t *store);

/* Current map size, bytes. */
size_t ismo_store_map_size(const ismo_store_t *store);

/* Begin a transaction (write != 0: the single write transaction). Caller
 * ends it with ismo_txn_commit or ismo_txn_abort. */
ismo_err ismo_txn_begin(ismo_store_t *store, int write, ismo_txn_t **txn_p);
/* Begin a nested transaction inside parent (a write transaction), so one
 * request's writes can be undone without undoing the batch (group commit). */
ismo_err ismo_txn_begin_child(ismo_txn_t *parent, ismo_txn_t **txn_p);
/* Commit (synced to disk unless no_sync) and free; nulls *txn_p. On error the
 * transaction is aborted: ISMO_ERR_FULL (map/disk full) or ISMO_ERR_IO. */
ismo_err ismo_txn_commit(ismo_txn_t **txn_p);
/* Abort and free; nulls *txn_p; safe on NULL. */
void ismo_txn_abort(ismo_txn_t **txn_p);

/* ---- objectives ---- */
/* Get an objective: version 0 = current. ISMO_ERR_NOT_FOUND if unknown. */
ismo_err ismo_store_objective_get(ismo_txn_t *txn, const char *id, uint32_t version,
                                  Ismo__V1__Objective **o_p);
/* Store o as current and as version o->version (caller sets version and the
 * updated_* fields). Also moves o in the children index when its parent_id
 * differs from the current version's. */
ismo_err ismo_store_objective_put(ismo_txn_t *txn, const Ismo__V1__Objective *o);
/* The version in force at as_of_ms (UTC ms): the newest version whose
 * updated_ms <= as_of_ms. ISMO_ERR_NOT_FOUND when the objective is unknown or
 * did not exist yet then. The caller owns *o_p (ismo__v1__objective__free_unpacked).
 * Cost: one read per version newer than the instant. */
ismo_err ismo_store_objective_get_as_of(ismo_txn_t *txn, const char *id, int64_t as_of_ms,
                                        Ismo__V1__Objective **o_p);
/* Call fn(ctx, child_id) for each objective whose current parent_id is
 * parent_id (retired ones included), in id order, until fn returns non-zero.
 * child_id is borrowed for the call. Unknown parent: no call, ISMO_OK. */
typedef int (*ismo_id_fn)(void *ctx, const char *id);
ismo_err ismo_store_children(ismo_txn_t *txn, const char *parent_id, ismo_id_fn fn, void *ctx);
/* Call fn for each current objective in id order; stop early when fn returns
 * non-zero. The objective passed is borrowed for the call only. */
typedef int (*ismo_objective_fn)(void *ctx, const Ismo__V1__Objective *o);
ismo_err ismo_store_objective_foreach(ismo_txn_t *txn, ismo_objective_fn fn, void *ctx);
/* The same, starting after after_id (NULL or "" = from the first). */
ismo_err ismo_store_objective_foreach_after(ismo_txn_t *txn, const char *after_id,
                                            ismo_objective_fn fn, void *ctx);

/* ---- samples ---- */
/* 1 in *seen if sample_id was stored before. */
ismo_err ismo_store_sample_seen(ismo_txn_t *txn, const char *sample_id, int *seen);
/* Store a validated sample (effective_ms and received_ms set by the caller),
 * and its sample_id when non-empty. */
ismo_err ismo_store_sample_put(ismo_txn_t *txn, const Ismo__V1__Sample *s);
/* Call fn(ctx, effective_ms, value, sample) for each sample of objective id with
 * from_ms <= effective_ms <= to_ms, oldest first; stop when fn returns non-zero.
 * sample is borrowed for the call only. */
typedef int (*ismo_sample_fn)(void *ctx, const Ismo__V1__Sample *s);
ismo_err ismo_store_samples_scan(ismo_txn_t *txn, const char *id, int64_t from_ms, int64_t to_ms,
                                 ismo_sample_fn fn, void *ctx);
/* Effective time of the newest sample of id into *effective_ms (0 when none). */
ismo_err ismo_store_sample_last(ismo_txn_t *txn, const char *id, int64_t *effective_ms);
/* Number of samples of every objective (for tests and stats). */
ismo_err ismo_store_sample_count(ismo_txn_t *txn, uint64_t *count);

/* ---- status ---- */
ismo_err ismo_store_status_get(ismo_txn_t *txn, const char *id, Ismo__V1__Status **st_p);
ismo_err ismo_store_status_put(ismo_txn_t *txn, const Ismo__V1__Status *st);

/* ---- events ---- */
/* Assign e->seq = last seq + 1, e->time_ms unchanged, and store e. */
ismo_err ismo_store_event_append(ismo_txn_t *txn, Ismo__V1__Event *e);
/* Newest stored seq (0 when none). */
ismo_err ismo_store_last_seq(ismo_txn_t *txn, uint64_t *seq);
/* Call fn for each event with seq > since_seq in ascending order; stop when fn
 * returns non-zero. The event is borrowed for the call only. */
typedef int (*ismo_event_fn)(void *ctx, const Ismo__V1__Event *e);
ismo_err ismo_store_events_scan(ismo_txn_t *txn, uint64_t since_seq, ismo_event_fn fn, void *ctx);

/* ---- reminders fired (survive restarts) ---- */
/* *fired: 0 if (id, key) was never recorded, 1 if recorded with an event,
 * 2 if recorded as suppressed (seq 0). */
ismo_err ismo_store_reminder_fired(ismo_txn_t *txn, const char *id, const char *key, int *fired);
/* Record (id, key) with the event seq that announced it (0 = suppressed). */
ismo_err ismo_store_reminder_mark(ismo_txn_t *txn, const char *id, const char *key, uint64_t seq);
/* Count reminders recorded for id whose key starts with prefix (seq != 0 only). */
ismo_err ismo_store_reminder_count(ismo_txn_t *txn, const char *id, const char *prefix,
                                   uint32_t *count);

/* ---- management reviews (ISO/IEC 27001:2022 9.3) ---- */
/* Store review r (objective_id, reviewed_ms and the ismod-set fields filled by
 * the caller, except seq): assigns r->seq = the next review number (1, 2, 3,
 * ... per data directory). ISMO_ERR_INVALID without a usable objective_id. */
ismo_err ismo_store_review_add(ismo_txn_t *txn, Ismo__V1__Review *r);
/* reviewed_ms (UTC ms) of id's latest review into *reviewed_ms; 0 = none. */
ismo_err ismo_store_review_last(ismo_txn_t *txn, const char *id, int64_t *reviewed_ms);
/* Call fn for each review with from_ms <= reviewed_ms < until_ms, of objective
 * id (NULL or "" = every objective), until fn returns non-zero. Order: one
 * objective: reviewed_ms, then seq; every objective: by id, then as for one
 * (callers wanting time order sort). The review is borrowed for the call. */
typedef int (*ismo_review_fn)(void *ctx, const Ismo__V1__Review *r);
ismo_err ismo_store_reviews_scan(ismo_txn_t *txn, const char *id, int64_t from_ms, int64_t until_ms,
                                 ismo_review_fn fn, void *ctx);

/* ---- context registers: policy commitments (6.2 a) and risks (6.2 c) ---- */
/* Store (replace) one entry by its id. ISMO_ERR_INVALID without a usable id. */
ismo_err ismo_store_policy_put(ismo_txn_t *txn, const Ismo__V1__PolicyCommitment *p);
ismo_err ismo_store_risk_put(ismo_txn_t *txn, const Ismo__V1__Risk *r);
/* Drop every policy commitment and every risk. */
ismo_err ismo_store_context_clear(ismo_txn_t *txn);
/* Call fn for each entry in id order until it returns non-zero; the entry is
 * borrowed for the call. */
typedef int (*ismo_policy_fn)(void *ctx, const Ismo__V1__PolicyCommitment *p);
typedef int (*ismo_risk_fn)(void *ctx, const Ismo__V1__Risk *r);
ismo_err ismo_store_policies_scan(ismo_txn_t *txn, ismo_policy_fn fn, void *ctx);
ismo_err ismo_store_risks_scan(ismo_txn_t *txn, ismo_risk_fn fn, void *ctx);
/* *exists = 1 when a policy commitment with this id is stored. */
ismo_err ismo_store_policy_exists(ismo_txn_t *txn, const char *id, int *exists);

/* Write a compacted, consistent copy of the environment into directory dir
 * (created 0700; it must not exist). The copy reflects the last committed
 * transaction. *bytes receives the size of the copy's data.mdb.
 * Errors: ISMO_ERR_CONFLICT (dir exists), ISMO_ERR_IO (with why), ISMO_ERR_FULL. */
ismo_err ismo_store_backup(ismo_store_t *store, const char *dir, uint64_t *bytes, char *why,
                           size_t why_len);

/* ---- meta counters ---- */
/* A named counter (0 when never written). */
ismo_err ismo_store_meta_get(ismo_txn_t *txn, const char *name, uint64_t *value);
ismo_err ismo_store_meta_put(ismo_txn_t *txn, const char *name, uint64_t value);

/* ---- aggregates over all samples of an objective (incremental) ---- */
typedef struct ismo_store_agg {
    uint64_t count;
    double sum, min, max;
    double last;            /* value of the sample with the latest effective time */
    int64_t first_ms;       /* earliest effective time, UTC ms */
    int64_t last_ms;        /* latest effective time, UTC ms */
} ismo_store_agg;
/* Zeroed *a (count 0) when the objective has no record. */
ismo_err ismo_store_agg_get(ismo_txn_t *txn, const char *id, ismo_store_agg *a);
ismo_err ismo_store_agg_put(ismo_txn_t *txn, const char *id, const ismo_store_agg *a);

/* ---- due-time index: each objective is looked at again at its due time ---- */
/* Set (replacing any earlier entry) or, with due_ms 0, clear id's due time. */
ismo_err ismo_store_due_set(ismo_txn_t *txn, const char *id, int64_t due_ms);
/* Up to max ids whose due time is <= until_ms, earliest first, into ids. The
 * cost grows with the entries returned, not with the index size. */
ismo_err ismo_store_due_list(ismo_txn_t *txn, int64_t until_ms, size_t max,
                             char (*ids)[ISMO_MAX_ID_BYTES + 1], size_t *n);

/* ---- audit trail (append-only; the record format belongs to server/audit.c) ---- */
/* Store bytes (len bytes, copied) under seq. ISMO_ERR_CONFLICT when seq
 * exists (records are never overwritten); ISMO_ERR_FULL; ISMO_ERR_IO. */
ismo_err ismo_store_audit_append(ismo_txn_t *txn, uint64_t seq, const void *bytes, size_t len);
/* The bytes stored under seq, borrowed: valid until the next write in txn or
 * its end. ISMO_ERR_NOT_FOUND when there is none. */
ismo_err ismo_store_audit_get(ismo_txn_t *txn, uint64_t seq, const uint8_t **bytes, size_t *len);
/* The newest record: its seq (0 and bytes NULL when the trail is empty) and
 * its bytes, borrowed as for ismo_store_audit_get. */
ismo_err ismo_store_audit_last(ismo_txn_t *txn, uint64_t *seq, const uint8_t **bytes, size_t *len);
/* Call fn(ctx, seq, bytes, len) for each record with seq > since_seq in
 * ascending order until fn returns non-zero. bytes are borrowed for the call. */
typedef int (*ismo_audit_bytes_fn)(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len);
ismo_err ismo_store_audit_scan(ismo_txn_t *txn, uint64_t since_seq, ismo_audit_bytes_fn fn, void *ctx);

/* ---- reminder keys of one objective (server/ack.c, the "reminders" helper) ---- */
/* Call fn(ctx, key, seq) for each reminder key recorded for objective id whose
 * key starts with prefix ("" = all), in key order, with the seq stored with
 * it (0 = suppressed); stop when fn returns non-zero. key is a NUL-terminated
 * copy valid for the call only (keys longer than 255 bytes are cut). */
typedef int (*ismo_reminder_key_fn)(void *ctx, const char *key, uint64_t seq);
ismo_err ismo_store_reminder_foreach(ismo_txn_t *txn, const char *id, const char *prefix,
                                     ismo_reminder_key_fn fn, void *ctx);

#endif
