/* libismo: the client library of ismo (the manual for programs that talk to ismod).
 *
 * Two objects:
 *   ismo_client_t  a request/reply connection to ismod's ROUTER endpoint
 *                  (a DEALER socket; one outstanding request at a time);
 *   ismo_sub_t     a subscription to ismod's PUB endpoint (a SUB socket).
 * Neither is thread-safe: use one object per thread.
 *
 * Messages are the protobuf-c structs of proto/ismo/v1/ (generated
 * headers "ismo/v1/api.pb-c.h" etc.). Every reply a function hands back is
 * owned by the caller: free it with ismo__v1__reply__free_unpacked(reply, NULL)
 * (events: ismo__v1__event__free_unpacked). Times are UTC ms, durations ms.
 * Wire rules: docs/protocol.md. */
#ifndef ISMO_H
#define ISMO_H

#include <stddef.h>
#include <stdint.h>

#include "ismo_codec.h"
#include "ismo_err.h"
#include "ismo_time.h"
#include "ismo_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default time to wait for a reply, ms. */
#define ISMO_DEFAULT_TIMEOUT_MS 5000

typedef struct ismo_client ismo_client_t;

/* Connect to ismod's request endpoint (e.g. "tcp://127.0.0.1:7770"; NULL =
 * ISMO_DEFAULT_ENDPOINT). actor: recorded by the server as who made each
 * change (NULL = "$USER" or "unknown"); a CURVE server records the name in
 * the client's certificate instead. Connecting is asynchronous: a dead
 * server, and a CURVE server that refuses the client's key, show only as
 * ISMO_ERR_TIMEOUT on the first call.
 * CURVE (docs/security.md): when the environment holds ISMO_SERVER_KEY (the
 * server's public .cert file, or its 40-character Z85 key) and ISMO_CERT
 * (this client's secret certificate file, NAME.cert_secret, from
 * `ismo keygen`), the connection uses them; one without the other, or an
 * unreadable file, makes this return NULL (reason on stderr).
 * Returns NULL on bad endpoint or allocation failure (reason on stderr).
 * Free with ismo_client_destroy. */
ismo_client_t *ismo_client_new(const char *endpoint, const char *actor);

/* Close the connection and free; sets *self_p to NULL; safe on NULL. */
void ismo_client_destroy(ismo_client_t **self_p);

/* Use CURVE with the server's public key (a .cert file path or a Z85 key)
 * and this client's secret certificate file (both NULL = plain TCP); the
 * socket is reopened. Overrides ISMO_SERVER_KEY / ISMO_CERT. Errors:
 * ISMO_ERR_INVALID (only one given), ISMO_ERR_IO (unreadable key or
 * certificate; ismo_client_error says which), ISMO_ERR_TRANSPORT. */
ismo_err ismo_client_set_curve(ismo_client_t *self, const char *server_key, const char *cert_path);

/* Time to wait for each reply, ms (default ISMO_DEFAULT_TIMEOUT_MS). */
void ismo_client_set_timeout_ms(ismo_client_t *self, int64_t timeout_ms);

/* The reason recorded with following changes (Request.reason); NULL clears.
 * The string is copied. */
void ismo_client_set_reason(ismo_client_t *self, const char *reason);

/* Text of the last error: the server's Reply.message, or a local reason.
 * Borrowed; valid until the next call on self. Never NULL. */
const char *ismo_client_error(const ismo_client_t *self);

/* Send req and wait for its reply. Fills req->protocol, request_id, actor and
 * reason when unset. On a time-out the DEALER socket is closed and reopened
 * (the Lazy Pirate pattern), so a late reply never answers a later request;
 * the request is NOT resent (the caller decides; pushes are idempotent by
 * sample id).
 * Returns ISMO_OK with *reply_p set; or, when the server answered with a
 * non-OK code, the matching ismo_err (ismo_err_from_status) with *reply_p
 * still set (e.g. PushSamples PARTIAL carries the rejections); or
 * ISMO_ERR_TIMEOUT / ISMO_ERR_TRANSPORT / ISMO_ERR_PROTOCOL with *reply_p NULL.
 * The caller frees *reply_p. */
ismo_err ismo_client_call(ismo_client_t *self, Ismo__V1__Request *req, Ismo__V1__Reply **reply_p);

/* Request helpers. Each builds the request, calls ismo_client_call and hands
 * back the whole Reply in *reply_p (caller frees; NULL on local errors). */
ismo_err ismo_ping(ismo_client_t *self, Ismo__V1__Reply **reply_p);
/* Create or change an objective; a new version is stored with actor and reason. */
ismo_err ismo_put_objective(ismo_client_t *self, Ismo__V1__Objective *objective,
                            Ismo__V1__Reply **reply_p);
/* version 0 = current. ISMO_ERR_NOT_FOUND for an unknown id. */
ismo_err ismo_get_objective(ismo_client_t *self, const char *id, uint32_t version,
                            Ismo__V1__Reply **reply_p);
/* The version in force at as_of_ms (UTC ms; the newest version stored at
 * or before it); as_of_ms 0 = current. ISMO_ERR_NOT_FOUND for an unknown id
 * or when the objective did not exist yet at as_of_ms. */
ismo_err ismo_get_objective_as_of(ismo_client_t *self, const char *id, int64_t as_of_ms,
                                  Ismo__V1__Reply **reply_p);
/* function NULL/"" = all functions. Pages through the server's 10,000-item
 * replies and hands back one Reply holding every objective (more = 0). */
ismo_err ismo_list_objectives(ismo_client_t *self, const char *function, int include_retired,
                              Ismo__V1__Reply **reply_p);
ismo_err ismo_retire_objective(ismo_client_t *self, const char *id, Ismo__V1__Reply **reply_p);
/* Push n samples (1..ISMO_DEFAULT_MAX_BATCH) in one batch. The reply arrives
 * only after the server committed the accepted samples. ISMO_ERR_PARTIAL when
 * some were rejected (see reply->push_samples->rejected). Borrowed samples. */
ismo_err ismo_push_samples(ismo_client_t *self, Ismo__V1__Sample **samples, size_t n,
                           Ismo__V1__Reply **reply_p);
/* ids NULL/n_ids 0 = all objectives of function (NULL = all functions),
 * paged like ismo_list_objectives into one Reply. */
ismo_err ismo_get_status(ismo_client_t *self, const char *const *ids, size_t n_ids,
                         const char *function, Ismo__V1__Reply **reply_p);
/* As ismo_get_status, reconstructed as of as_of_ms (UTC ms; 0 = now): the
 * objective version in force then, the samples received by then, evaluated
 * at that instant (each Status.as_of_ms set). Objectives that did not exist
 * yet are left out. */
ismo_err ismo_get_status_as_of(ismo_client_t *self, const char *const *ids, size_t n_ids,
                               const char *function, int64_t as_of_ms, Ismo__V1__Reply **reply_p);
/* Events with seq > since_seq; limit 0 = server maximum; kind 0 = all. */
ismo_err ismo_list_events(ismo_client_t *self, uint64_t since_seq, uint32_t limit,
                          const char *function, int kind, Ismo__V1__Reply **reply_p);
/* Samples of one objective with effective time >= since_ms, oldest first,
 * after skipping `skip` of them (to page: since_ms = the last effective time
 * received, skip = how many at that time were already received). */
ismo_err ismo_list_samples(ismo_client_t *self, const char *objective_id, int64_t since_ms,
                           uint32_t limit, Ismo__V1__Reply **reply_p);
ismo_err ismo_list_samples_page(ismo_client_t *self, const char *objective_id, int64_t since_ms,
                                uint32_t skip, uint32_t limit, Ismo__V1__Reply **reply_p);

/* Ask ismod to write a compacted, consistent copy of its store into the new
 * directory dir on ismod's host (absolute path, must not exist). The copy
 * holds every change acknowledged before the request. reply->backup has
 * bytes, last_seq and duration_ms. ISMO_ERR_CONFLICT if dir exists. */
ismo_err ismo_backup(ismo_client_t *self, const char *dir, Ismo__V1__Reply **reply_p);

/* Ask ismod to recompute its whole audit trail and check each signed
 * checkpoint (reply->audit_verify: records, first_bad_seq (0 = intact),
 * problem, last_checkpoint_seq, last_seq, public_key). The server is busy for
 * the duration (about a second per million records). */
ismo_err ismo_audit_verify(ismo_client_t *self, Ismo__V1__Reply **reply_p);
/* One page of audit records with seq > since_seq, at most limit (0 = server
 * maximum); reply->audit_export->more says whether to ask again from the
 * last seq. The records are exactly as stored; verify them with
 * common/ismo_audit.h and the reply's public_key (or one kept elsewhere). */
ismo_err ismo_audit_export(ismo_client_t *self, uint64_t since_seq, uint32_t limit,
                           Ismo__V1__Reply **reply_p);

/* ---- clause 6.2 / 9.3 requests (docs/protocol.md) ------------------------ */

/* Store policy commitments (ISO/IEC 27001:2022 5.2, 6.2 a) and risks (6.1.2,
 * 6.1.3, 6.2 c) that objectives reference by id (Objective.policy_refs,
 * risk_refs). policies/risks: borrowed arrays of n_policies / n_risks
 * entries (either may be 0; NULL with 0). replace: 1 = the server drops
 * entries not in this request, 0 = add or change only. reply->put_context
 * says how many of each are stored now. Errors: ISMO_ERR_INVALID for a bad
 * id or an over-long text (nothing stored), ISMO_ERR_TOO_LARGE for more
 * than the server's max_list policies or risks in one request (nothing
 * stored), ISMO_ERR_PERMISSION, transport errors as ismo_client_call. */
ismo_err ismo_put_context(ismo_client_t *self, Ismo__V1__PolicyCommitment **policies,
                          size_t n_policies, Ismo__V1__Risk **risks, size_t n_risks, int replace,
                          Ismo__V1__Reply **reply_p);
/* The stored policy commitments and risks, id order (reply->list_context);
 * at most the server's max_list of each: reply->list_context->more is set
 * when either register was cut (there is no paging for them). */
ismo_err ismo_list_context(ismo_client_t *self, Ismo__V1__Reply **reply_p);

/* Acknowledge reminders of one objective (6.2 e "communicated"): stops the
 * OVERDUE repeats and the escalation of their episode. keys: n_keys reminder
 * keys (Reminder.key, borrowed; NULL/0 = every outstanding reminder of the
 * objective); note: NULL or <= 4096 bytes. reply->ack->keys lists the keys
 * acknowledged now (empty when none was outstanding), reply->ack->seq the
 * REMINDER_ACKED event. Errors: ISMO_ERR_NOT_FOUND (unknown objective or
 * key), ISMO_ERR_INVALID (note too long). */
ismo_err ismo_ack(ismo_client_t *self, const char *objective_id, const char *const *keys,
                  size_t n_keys, const char *note, Ismo__V1__Reply **reply_p);

/* Record a management-review decision on an objective (ISO/IEC 27001:2022
 * 9.3; 6.2 "updated as appropriate"). review (borrowed): objective_id,
 * decision (CONTINUE, ADJUST, CLOSE), note (<= 4096 bytes), reviewed_ms (UTC
 * ms; 0 = now). reply->add_review->review is the stored record with reviewer,
 * objective_version, health, value, seq and recorded_ms set by the server.
 * Errors: ISMO_ERR_NOT_FOUND (unknown objective), ISMO_ERR_INVALID. */
ismo_err ismo_add_review(ismo_client_t *self, const Ismo__V1__Review *review,
                         Ismo__V1__Reply **reply_p);
/* Review records with since_ms <= reviewed_ms < until_ms (UTC ms; 0 = no
 * bound), of one objective (objective_id NULL/"" = all), in reviewed_ms
 * order (reply->list_reviews->reviews). Pages through the server's
 * max_list-item replies (asking again from the last reviewed_ms and dropping
 * the records already received, by seq) into one Reply (more = 0; more
 * stays 1 only when more than the server's max_list records share one
 * reviewed_ms, which cannot be paged). */
ismo_err ismo_list_reviews(ismo_client_t *self, const char *objective_id, int64_t since_ms,
                           int64_t until_ms, Ismo__V1__Reply **reply_p);

/* Why an objective has its health (docs/evaluation.md): reply->explain holds
 * the objective version evaluated, its Status, the rule lines in order of
 * application, the aggregation window, the samples in it (newest first, at
 * most sample_limit; 0 = the server's 100) and the period results.
 * as_of_ms (UTC ms): 0 = now, else reconstructed as in ismo_get_status_as_of.
 * Errors: ISMO_ERR_NOT_FOUND (unknown objective, or not yet existing). */
ismo_err ismo_explain(ismo_client_t *self, const char *id, int64_t as_of_ms, uint32_t sample_limit,
                      Ismo__V1__Reply **reply_p);

/* Write a new random sample id (32 hex characters from /dev/urandom) into buf
 * (>= 33 bytes). Returns ISMO_OK or ISMO_ERR_IO. */
ismo_err ismo_sample_id_random(char *buf, size_t len);

/* ---- subscription --------------------------------------------------------- */

typedef struct ismo_sub ismo_sub_t;

/* Connect a SUB socket to ismod's PUB endpoint (NULL = ISMO_DEFAULT_PUB_ENDPOINT).
 * Nothing is received until ismo_sub_subscribe. NULL on failure. Free with
 * ismo_sub_destroy. Note (ZeroMQ PUB/SUB): events published before the
 * subscription reached the server are not delivered; catch up with
 * ismo_list_events (docs/protocol.md "Catching up"). */
ismo_sub_t *ismo_sub_new(const char *pub_endpoint);
/* CURVE for the subscription, as ismo_client_set_curve (ismo_sub_new reads
 * ISMO_SERVER_KEY / ISMO_CERT the same way). The socket is reopened and its
 * subscriptions are made again. A CURVE server delivers only the events of
 * the functions the certificate allows, whatever the topic asked for. */
ismo_err ismo_sub_set_curve(ismo_sub_t *self, const char *server_key, const char *cert_path);
void ismo_sub_destroy(ismo_sub_t **self_p);

/* Subscribe to a topic prefix, e.g. "reminder.it-ops." ("" = everything).
 * Topics are "<kind>.<function>.<objective_id>", see ismo_topic_prefix. */
ismo_err ismo_sub_subscribe(ismo_sub_t *self, const char *topic_prefix);

/* Build the topic prefix for kind word ("status", "reminder", "objective"; NULL
 * = all kinds: returns "" and the caller must filter by function itself) and
 * function (NULL = all functions) into buf. Returns buf. */
char *ismo_topic_prefix(const char *kind_word, const char *function, char *buf, size_t len);

/* Wait up to timeout_ms (-1 = forever) for the next event. ISMO_OK with
 * *event_p set (caller frees with ismo__v1__event__free_unpacked);
 * ISMO_ERR_TIMEOUT when none came; ISMO_ERR_INTERRUPTED when a signal
 * interrupted the wait; ISMO_ERR_PROTOCOL for an undecodable frame (skipped). */
ismo_err ismo_sub_recv(ismo_sub_t *self, int64_t timeout_ms, Ismo__V1__Event **event_p);

/* The SUB socket, for zmq_poll alongside other sockets (borrowed). */
void *ismo_sub_socket(ismo_sub_t *self);

#ifdef __cplusplus
}
#endif
#endif
