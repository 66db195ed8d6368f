/* audit: ismod's tamper-evident audit trail (ISO/IEC 27001:2022 Annex A 8.15
 * logging; docs/protocol.md "Audit trail", docs/security.md).
 *
 * Every change is appended as an AuditRecord in the store's "audit" database
 * inside the same write transaction as the change, so a change and its
 * record commit or vanish together: objective versions (objective.put,
 * objective.retire), accepted sample batches (samples.push, with a digest of
 * the samples), status changes and reminders (event.status, event.reminder),
 * backups, refused requests (request.refused), and ismod's own start
 * (server.start). Records are chained by SHA-256 and every
 * audit_checkpoint_every records, and at a clean stop, a checkpoint record
 * carries an Ed25519 signature by ismod's audit key. The chain format (hash
 * rule, signed message, verifier) is common/ismo_audit.h, shared with the
 * CLI's offline verifier; this module owns appending, checkpoints, the key
 * files and the two requests (AuditVerify, AuditExport).
 *
 * Not covered: what an attacker who holds the secret key and can write the
 * data directory does (rewrite and re-sign); see docs/security.md.
 * Server thread only, inside the caller's write transaction. */
#ifndef ISMO_SERVER_AUDIT_H
#define ISMO_SERVER_AUDIT_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "ismo_audit.h"
#include "store.h"
#include "work.h"

typedef struct ismo_audit ismo_audit_t;

/* Load the audit key, or create it. key_file "" = data_dir/audit.key, created
 * (mode 0600, 128 hex digits: libsodium's 64-byte Ed25519 secret key) when
 * missing; a key_file given explicitly must exist (128 hex digits, or 64 hex
 * digits of a seed). The public key is written to data_dir/audit.pub (64 hex
 * digits and a newline) whenever it is missing or different. data_dir must
 * exist (open the store first). checkpoint_every: records between signed
 * checkpoints (>= 1).
 * Errors: ISMO_ERR_IO (files; reason in why), ISMO_ERR_PARSE (bad key file).
 * The caller owns *audit_p; free with ismo_audit_destroy. */
ismo_err ismo_audit_new(const char *data_dir, const char *key_file, uint64_t checkpoint_every,
                        ismo_audit_t **audit_p, char *why, size_t why_len);

/* Wipe the secret key from memory and free; nulls *audit_p; safe on NULL. */
void ismo_audit_destroy(ismo_audit_t **audit_p);

/* The Ed25519 public key (ISMO_AUDIT_PK_BYTES), borrowed until destroy. */
const uint8_t *ismo_audit_public_key(const ismo_audit_t *audit);

/* Append one record in txn (a write transaction): seq = newest + 1, prev_hash
 * = newest record's hash, strings cleaned and cut (ismo_audit_clean_text).
 * When checkpoint_every records have been appended since the last checkpoint,
 * a checkpoint follows at once. Errors from the store (ISMO_ERR_FULL: grow
 * the map and run the step again). */
ismo_err ismo_audit_append(ismo_audit_t *audit, ismo_txn_t *txn, int64_t time_ms, const char *actor,
                           const char *action, const char *subject, const char *detail);

/* Append a signed checkpoint now (unless the newest record is one already). */
ismo_err ismo_audit_checkpoint(ismo_audit_t *audit, ismo_txn_t *txn, int64_t time_ms);

/* The same two in their own write transaction on store (start-up, clean
 * stop); errors are logged and returned. */
ismo_err ismo_audit_append_now(ismo_audit_t *audit, ismo_store_t *store, int64_t time_ms,
                               const char *actor, const char *action, const char *detail);
ismo_err ismo_audit_checkpoint_now(ismo_audit_t *audit, ismo_store_t *store, int64_t time_ms);

/* Recompute the whole chain in txn and check each checkpoint with this
 * server's public key; the outcome is in *v (first_bad_seq 0 = intact).
 * Errors only from the store. */
ismo_err ismo_audit_verify_store(const ismo_audit_t *audit, ismo_txn_t *txn, ismo_audit_verifier *v);

/* ---- what the server step records (no-ops when w->audit is NULL, or when
 * w->writes_refused: with the store full nothing more can be written) ---- */

/* A free-form record by actor (NULL/"" = "unknown") at w->now_ms. */
ismo_err ismo_audit_work(ismo_work *w, const char *actor, const char *action, const char *subject,
                         const char *detail);
/* An objective version as stored (action "objective.put" or
 * "objective.retire"): version, actor, reason and SHA-256 of the version. */
ismo_err ismo_audit_objective(ismo_work *w, const Ismo__V1__Objective *o, const char *action);
/* A stored event: STATUS_CHANGED -> "event.status", REMINDER ->
 * "event.reminder"; OBJECTIVE_CHANGED is skipped (ismo_audit_objective
 * records the version itself). Actor "ismod". */
ismo_err ismo_audit_event(ismo_work *w, const Ismo__V1__Event *e);
/* A refused request (code = the reply's StatusCode, message its text).
 * req NULL: a frame that could not be decoded (actor "?"). */
ismo_err ismo_audit_refusal(ismo_work *w, const Ismo__V1__Request *req, int code, const char *message);

/* The digest of one sample batch: SHA-256 over, for each accepted sample in
 * order, lp(sample_id) || lp(objective_id) || be64(effective_ms) ||
 * be64(IEEE-754 bits of value) (lp = be32 length || bytes). */
typedef struct ismo_audit_batch {
    crypto_hash_sha256_state sha;
    uint32_t accepted;
    int mixed;                               /* samples of more than one objective */
    char subject[ISMO_MAX_ID_BYTES + 1];     /* the (first) objective */
} ismo_audit_batch;
void ismo_audit_batch_init(ismo_audit_batch *b);
void ismo_audit_batch_add(ismo_audit_batch *b, const Ismo__V1__Sample *stored);
/* Record "samples.push" when anything was accepted or rejected. */
ismo_err ismo_audit_batch_record(ismo_work *w, const Ismo__V1__Request *req, ismo_audit_batch *b,
                                 uint32_t duplicates, uint32_t rejected);

/* ---- the requests (rows in dispatch.c's table) ---- */
ismo_err ismo_audit_handle_verify(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply);
ismo_err ismo_audit_handle_export(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply);
/* Free the body the two handlers built (called by ismo_dispatch_release). */
void ismo_audit_release_reply(Ismo__V1__Reply *reply);

#endif
