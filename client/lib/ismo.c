/* libismo: client connection (DEALER, Lazy Pirate on time-out) and event
 * subscription (SUB). Owns one zmq context per object; not thread-safe. */
#include "ismo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "ismo_keys.h"

/* CURVE keys of a client or subscriber; all "" = plain TCP. */
typedef struct curve_keys {
    char server[ISMO_KEY_Z85_BYTES];
    char pub[ISMO_KEY_Z85_BYTES];
    char sec[ISMO_KEY_Z85_BYTES];
} curve_keys;

static ismo_err curve_load(curve_keys *k, const char *server_key, const char *cert_path, char *why,
                           size_t why_len)
{
    memset(k, 0, sizeof *k);
    if ((!server_key || !*server_key) && (!cert_path || !*cert_path)) {
        return ISMO_OK;
    }
    if (!server_key || !*server_key || !cert_path || !*cert_path) {
        snprintf(why, why_len, "CURVE needs both the server's public key (ISMO_SERVER_KEY, --server-key) "
                               "and this client's secret certificate (ISMO_CERT, --cert)");
        return ISMO_ERR_INVALID;
    }
    ismo_err err = ismo_keys_load_public(server_key, k->server, why, why_len);
    if (err == ISMO_OK) {
        err = ismo_keys_load_secret(cert_path, k->pub, k->sec, why, why_len);
    }
    if (err != ISMO_OK) {
        memset(k, 0, sizeof *k);
    }
    return err;
}

static void curve_apply(const curve_keys *k, ismo_socket_opts *o)
{
    snprintf(o->curve_server_key, sizeof o->curve_server_key, "%s", k->server);
    snprintf(o->curve_public_key, sizeof o->curve_public_key, "%s", k->pub);
    snprintf(o->curve_secret_key, sizeof o->curve_secret_key, "%s", k->sec);
}

struct ismo_client {
    void *ctx;
    void *sock;
    char *endpoint;
    char *actor;
    char *reason;
    int64_t timeout_ms;
    uint64_t next_request_id;
    char error[512];
    curve_keys curve;
};

static ismo_err client_connect(ismo_client_t *self)
{
    char why[256];
    ismo_socket_opts opts = ismo_socket_opts_default();
    curve_apply(&self->curve, &opts);
    ismo_err err = ismo_socket_open(self->ctx, ZMQ_DEALER, self->endpoint, 0, &opts, &self->sock,
                                    why, sizeof why);
    if (err != ISMO_OK) {
        snprintf(self->error, sizeof self->error, "%s", why);
    }
    return err;
}

ismo_client_t *ismo_client_new(const char *endpoint, const char *actor)
{
    ismo_client_t *self = calloc(1, sizeof *self);
    if (!self) {
        return NULL;
    }
    self->ctx = zmq_ctx_new();
    if (!actor || !*actor) {
        actor = getenv("USER");
    }
    self->endpoint = strdup(endpoint && *endpoint ? endpoint : ISMO_DEFAULT_ENDPOINT);
    self->actor = strdup(actor && *actor ? actor : "unknown");
    self->timeout_ms = ISMO_DEFAULT_TIMEOUT_MS;
    /* request ids start at a random-ish point so restarts do not reuse them */
    self->next_request_id = ((uint64_t)ismo_now_ms() << 16) | (uint64_t)(getpid() & 0xffff);
    if (self->ctx && curve_load(&self->curve, getenv("ISMO_SERVER_KEY"), getenv("ISMO_CERT"), self->error,
                                sizeof self->error) != ISMO_OK) {
        fprintf(stderr, "ismo: %s\n", self->error);
        ismo_client_destroy(&self);
        return NULL;
    }
    if (!self->ctx || !self->endpoint || !self->actor || client_connect(self) != ISMO_OK) {
        fprintf(stderr, "ismo: cannot connect to %s: %s\n", self->endpoint ? self->endpoint : "?",
                self->error);
        ismo_client_destroy(&self);
        return NULL;
    }
    return self;
}

void ismo_client_destroy(ismo_client_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    ismo_client_t *self = *self_p;
    if (self->sock) {
        zmq_close(self->sock);
    }
    if (self->ctx) {
        zmq_ctx_term(self->ctx);
    }
    free(self->endpoint);
    free(self->actor);
    free(self->reason);
    free(self);
    *self_p = NULL;
}

ismo_err ismo_client_set_curve(ismo_client_t *self, const char *server_key, const char *cert_path)
{
    ismo_err err = curve_load(&self->curve, server_key, cert_path, self->error, sizeof self->error);
    if (err != ISMO_OK) {
        return err;
    }
    if (self->sock) {
        zmq_close(self->sock);
        self->sock = NULL;
    }
    return client_connect(self);
}

void ismo_client_set_timeout_ms(ismo_client_t *self, int64_t timeout_ms)
{
    self->timeout_ms = timeout_ms;
}

void ismo_client_set_reason(ismo_client_t *self, const char *reason)
{
    free(self->reason);
    self->reason = reason ? strdup(reason) : NULL;
}

const char *ismo_client_error(const ismo_client_t *self) { return self->error; }

ismo_err ismo_client_call(ismo_client_t *self, Ismo__V1__Request *req, Ismo__V1__Reply **reply_p)
{
    *reply_p = NULL;
    self->error[0] = '\0';
    req->has_protocol = 1;
    req->protocol = ISMO_PROTOCOL_VERSION;
    if (!req->has_request_id) {
        req->has_request_id = 1;
        req->request_id = self->next_request_id++;
    }
    if (!req->actor) {
        req->actor = self->actor;
    }
    if (!req->reason && self->reason) {
        req->reason = self->reason;
    }
    uint8_t *buf;
    size_t len;
    ismo_err err = ismo_codec_pack((const ProtobufCMessage *)req, &buf, &len);
    if (req->actor == self->actor) {
        req->actor = NULL;
    }
    if (req->reason == self->reason) {
        req->reason = NULL;
    }
    if (err != ISMO_OK) {
        snprintf(self->error, sizeof self->error, "%s", ismo_strerror(err));
        return err;
    }
    if (!self->sock && client_connect(self) != ISMO_OK) {
        free(buf);
        return ISMO_ERR_TRANSPORT;
    }
    int rc = zmq_send(self->sock, buf, len, 0);
    free(buf);
    if (rc < 0) {
        snprintf(self->error, sizeof self->error, "send: %s", zmq_strerror(errno));
        return ISMO_ERR_TRANSPORT;
    }
    int64_t deadline = ismo_mono_ms() + self->timeout_ms;
    for (;;) {
        int64_t left = deadline - ismo_mono_ms();
        if (left < 0) {
            left = 0;
        }
        zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
        rc = zmq_poll(&item, 1, (long)left);
        if (rc < 0 && errno == EINTR) {
            snprintf(self->error, sizeof self->error, "interrupted");
            return ISMO_ERR_INTERRUPTED;
        }
        if (rc <= 0) {
            /* Lazy Pirate: drop the socket so a late reply cannot be mistaken
             * for the answer to a later request. */
            zmq_close(self->sock);
            self->sock = NULL;
            client_connect(self);
            snprintf(self->error, sizeof self->error,
                     "no reply from %s within %lld ms (is ismod running?%s)", self->endpoint,
                     (long long)self->timeout_ms,
                     self->curve.server[0] ? " does its certificate directory hold this client's key?"
                                           : " a CURVE server answers only clients with keys: ISMO_SERVER_KEY, ISMO_CERT");
            return ISMO_ERR_TIMEOUT;
        }
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->sock, 0) < 0) {
            zmq_msg_close(&msg);
            snprintf(self->error, sizeof self->error, "recv: %s", zmq_strerror(errno));
            return ISMO_ERR_TRANSPORT;
        }
        int more = zmq_msg_more(&msg);
        if (more) { /* unexpected extra frames: skip to the last one */
            zmq_msg_close(&msg);
            continue;
        }
        Ismo__V1__Reply *reply = NULL;
        err = ismo_codec_decode_reply(zmq_msg_data(&msg), zmq_msg_size(&msg), &reply);
        zmq_msg_close(&msg);
        if (err != ISMO_OK) {
            snprintf(self->error, sizeof self->error, "server sent an undecodable reply");
            return ISMO_ERR_PROTOCOL;
        }
        if (reply->request_id != req->request_id && reply->request_id != 0) {
            /* a stale reply to an earlier request: ignore it */
            ismo__v1__reply__free_unpacked(reply, NULL);
            continue;
        }
        *reply_p = reply;
        if (reply->code != ISMO__V1__STATUS_CODE__OK) {
            snprintf(self->error, sizeof self->error, "%s: %s", ismo_status_name(reply->code),
                     reply->message && *reply->message ? reply->message : "(no message)");
            return ismo_err_from_status(reply->code);
        }
        return ISMO_OK;
    }
}

ismo_err ismo_ping(ismo_client_t *self, Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__PingRequest body = ISMO__V1__PING_REQUEST__INIT;
    req.body_case = ISMO__V1__REQUEST__BODY_PING;
    req.ping = &body;
    return ismo_client_call(self, &req, reply_p);
}

ismo_err ismo_put_objective(ismo_client_t *self, Ismo__V1__Objective *objective,
                            Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__PutObjectiveRequest body = ISMO__V1__PUT_OBJECTIVE_REQUEST__INIT;
    body.objective = objective;
    req.body_case = ISMO__V1__REQUEST__BODY_PUT_OBJECTIVE;
    req.put_objective = &body;
    return ismo_client_call(self, &req, reply_p);
}

/* GetObjective: version and as_of_ms are sent only when non-zero. */
static ismo_err get_objective(ismo_client_t *self, const char *id, uint32_t version, int64_t as_of_ms,
                              Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__GetObjectiveRequest body = ISMO__V1__GET_OBJECTIVE_REQUEST__INIT;
    body.id = (char *)id;
    body.has_version = version != 0;
    body.version = version;
    body.has_as_of_ms = as_of_ms != 0;
    body.as_of_ms = as_of_ms;
    req.body_case = ISMO__V1__REQUEST__BODY_GET_OBJECTIVE;
    req.get_objective = &body;
    return ismo_client_call(self, &req, reply_p);
}

ismo_err ismo_get_objective(ismo_client_t *self, const char *id, uint32_t version,
                            Ismo__V1__Reply **reply_p)
{
    return get_objective(self, id, version, 0, reply_p);
}

ismo_err ismo_get_objective_as_of(ismo_client_t *self, const char *id, int64_t as_of_ms,
                                  Ismo__V1__Reply **reply_p)
{
    return get_objective(self, id, 0, as_of_ms, reply_p);
}

static ismo_err list_page(ismo_client_t *self, const char *function, int include_retired,
                          const char *after_id, Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__ListObjectivesRequest body = ISMO__V1__LIST_OBJECTIVES_REQUEST__INIT;
    body.function = (char *)(function && *function ? function : NULL);
    body.has_include_retired = 1;
    body.include_retired = include_retired != 0;
    body.after_id = (char *)after_id;
    req.body_case = ISMO__V1__REQUEST__BODY_LIST_OBJECTIVES;
    req.list_objectives = &body;
    return ismo_client_call(self, &req, reply_p);
}

/* Move the items of a later page into the first reply (pointers only). */
static int append_items(void ***dst, size_t *n_dst, void **src, size_t *n_src)
{
    if (*n_src == 0) {
        return 0;
    }
    void **p = realloc(*dst, (*n_dst + *n_src) * sizeof *p);
    if (!p) {
        return -1;
    }
    memcpy(p + *n_dst, src, *n_src * sizeof *p);
    *dst = p;
    *n_dst += *n_src;
    *n_src = 0;
    return 0;
}

/* A later page failed (err, or ISMO_OK with a reply without the body asked
 * for): the first reply is dropped, *reply_p becomes next (the error reply or
 * NULL), and the error is returned. */
static ismo_err page_failed(Ismo__V1__Reply **reply_p, Ismo__V1__Reply *next, ismo_err err)
{
    ismo__v1__reply__free_unpacked(*reply_p, NULL);
    *reply_p = next;
    return err != ISMO_OK ? err : ISMO_ERR_PROTOCOL;
}

#define ISMO_MAX_PAGES 10000

ismo_err ismo_list_objectives(ismo_client_t *self, const char *function, int include_retired,
                              Ismo__V1__Reply **reply_p)
{
    ismo_err err = list_page(self, function, include_retired, NULL, reply_p);
    for (int page = 0; err == ISMO_OK && page < ISMO_MAX_PAGES; page++) {
        Ismo__V1__ListObjectivesReply *first = (*reply_p)->list_objectives;
        if (!first || !first->more || first->n_objectives == 0) {
            break;
        }
        char after[ISMO_MAX_ID_BYTES + 1];
        snprintf(after, sizeof after, "%s", first->objectives[first->n_objectives - 1]->id);
        Ismo__V1__Reply *next = NULL;
        err = list_page(self, function, include_retired, after, &next);
        if (err != ISMO_OK || !next->list_objectives) {
            return page_failed(reply_p, next, err);
        }
        if (append_items((void ***)&first->objectives, &first->n_objectives,
                         (void **)next->list_objectives->objectives,
                         &next->list_objectives->n_objectives) != 0) {
            ismo__v1__reply__free_unpacked(next, NULL);
            return ISMO_ERR_NOMEM;
        }
        first->more = next->list_objectives->more;
        ismo__v1__reply__free_unpacked(next, NULL);
    }
    return err;
}

ismo_err ismo_retire_objective(ismo_client_t *self, const char *id, Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__RetireObjectiveRequest body = ISMO__V1__RETIRE_OBJECTIVE_REQUEST__INIT;
    body.id = (char *)id;
    req.body_case = ISMO__V1__REQUEST__BODY_RETIRE_OBJECTIVE;
    req.retire_objective = &body;
    return ismo_client_call(self, &req, reply_p);
}

ismo_err ismo_push_samples(ismo_client_t *self, Ismo__V1__Sample **samples, size_t n,
                           Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__PushSamplesRequest body = ISMO__V1__PUSH_SAMPLES_REQUEST__INIT;
    body.samples = samples;
    body.n_samples = n;
    req.body_case = ISMO__V1__REQUEST__BODY_PUSH_SAMPLES;
    req.push_samples = &body;
    return ismo_client_call(self, &req, reply_p);
}

static ismo_err status_page(ismo_client_t *self, const char *const *ids, size_t n_ids,
                            const char *function, int64_t as_of_ms, const char *after_id,
                            Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__GetStatusRequest body = ISMO__V1__GET_STATUS_REQUEST__INIT;
    body.ids = (char **)ids;
    body.n_ids = n_ids;
    body.function = (char *)(function && *function ? function : NULL);
    body.after_id = (char *)after_id;
    body.has_as_of_ms = as_of_ms != 0;
    body.as_of_ms = as_of_ms;
    req.body_case = ISMO__V1__REQUEST__BODY_GET_STATUS;
    req.get_status = &body;
    return ismo_client_call(self, &req, reply_p);
}

ismo_err ismo_get_status(ismo_client_t *self, const char *const *ids, size_t n_ids,
                         const char *function, Ismo__V1__Reply **reply_p)
{
    return ismo_get_status_as_of(self, ids, n_ids, function, 0, reply_p);
}

ismo_err ismo_get_status_as_of(ismo_client_t *self, const char *const *ids, size_t n_ids,
                               const char *function, int64_t as_of_ms, Ismo__V1__Reply **reply_p)
{
    ismo_err err = status_page(self, ids, n_ids, function, as_of_ms, NULL, reply_p);
    for (int page = 0; err == ISMO_OK && n_ids == 0 && page < ISMO_MAX_PAGES; page++) {
        Ismo__V1__GetStatusReply *first = (*reply_p)->get_status;
        if (!first || !first->more || first->n_statuses == 0) {
            break;
        }
        char after[ISMO_MAX_ID_BYTES + 1];
        snprintf(after, sizeof after, "%s", first->statuses[first->n_statuses - 1]->objective_id);
        Ismo__V1__Reply *next = NULL;
        err = status_page(self, NULL, 0, function, as_of_ms, after, &next);
        if (err != ISMO_OK || !next->get_status) {
            return page_failed(reply_p, next, err);
        }
        if (append_items((void ***)&first->statuses, &first->n_statuses,
                         (void **)next->get_status->statuses, &next->get_status->n_statuses) != 0) {
            ismo__v1__reply__free_unpacked(next, NULL);
            return ISMO_ERR_NOMEM;
        }
        first->more = next->get_status->more;
        ismo__v1__reply__free_unpacked(next, NULL);
    }
    return err;
}

ismo_err ismo_list_events(ismo_client_t *self, uint64_t since_seq, uint32_t limit,
                          const char *function, int kind, Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__ListEventsRequest body = ISMO__V1__LIST_EVENTS_REQUEST__INIT;
    body.has_since_seq = 1;
    body.since_seq = since_seq;
    body.has_limit = limit != 0;
    body.limit = limit;
    body.function = (char *)(function && *function ? function : NULL);
    body.has_kind = kind != 0;
    body.kind = (Ismo__V1__EventKind)kind;
    req.body_case = ISMO__V1__REQUEST__BODY_LIST_EVENTS;
    req.list_events = &body;
    return ismo_client_call(self, &req, reply_p);
}

ismo_err ismo_list_samples(ismo_client_t *self, const char *objective_id, int64_t since_ms,
                           uint32_t limit, Ismo__V1__Reply **reply_p)
{
    return ismo_list_samples_page(self, objective_id, since_ms, 0, limit, reply_p);
}

ismo_err ismo_list_samples_page(ismo_client_t *self, const char *objective_id, int64_t since_ms,
                                uint32_t skip, uint32_t limit, Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__ListSamplesRequest body = ISMO__V1__LIST_SAMPLES_REQUEST__INIT;
    body.objective_id = (char *)objective_id;
    body.has_since_ms = since_ms != 0;
    body.since_ms = since_ms;
    body.has_limit = limit != 0;
    body.limit = limit;
    body.has_skip = skip != 0;
    body.skip = skip;
    req.body_case = ISMO__V1__REQUEST__BODY_LIST_SAMPLES;
    req.list_samples = &body;
    return ismo_client_call(self, &req, reply_p);
}

ismo_err ismo_backup(ismo_client_t *self, const char *dir, Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__BackupRequest body = ISMO__V1__BACKUP_REQUEST__INIT;
    body.directory = (char *)dir;
    req.body_case = ISMO__V1__REQUEST__BODY_BACKUP;
    req.backup = &body;
    return ismo_client_call(self, &req, reply_p);
}

/* ---- audit trail (docs/protocol.md "Audit trail") ---- */

ismo_err ismo_audit_verify(ismo_client_t *self, Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__AuditVerifyRequest body = ISMO__V1__AUDIT_VERIFY_REQUEST__INIT;
    req.body_case = ISMO__V1__REQUEST__BODY_AUDIT_VERIFY;
    req.audit_verify = &body;
    return ismo_client_call(self, &req, reply_p);
}

ismo_err ismo_audit_export(ismo_client_t *self, uint64_t since_seq, uint32_t limit,
                           Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__AuditExportRequest body = ISMO__V1__AUDIT_EXPORT_REQUEST__INIT;
    body.has_since_seq = 1;
    body.since_seq = since_seq;
    body.has_limit = limit > 0;
    body.limit = limit;
    req.body_case = ISMO__V1__REQUEST__BODY_AUDIT_EXPORT;
    req.audit_export = &body;
    return ismo_client_call(self, &req, reply_p);
}

/* ---- clause 6.2 / 9.3 requests ---- */

ismo_err ismo_put_context(ismo_client_t *self, Ismo__V1__PolicyCommitment **policies,
                          size_t n_policies, Ismo__V1__Risk **risks, size_t n_risks, int replace,
                          Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__PutContextRequest body = ISMO__V1__PUT_CONTEXT_REQUEST__INIT;
    body.policies = policies;
    body.n_policies = policies ? n_policies : 0;
    body.risks = risks;
    body.n_risks = risks ? n_risks : 0;
    body.has_replace = 1;
    body.replace = replace != 0;
    req.body_case = ISMO__V1__REQUEST__BODY_PUT_CONTEXT;
    req.put_context = &body;
    return ismo_client_call(self, &req, reply_p);
}

ismo_err ismo_list_context(ismo_client_t *self, Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__ListContextRequest body = ISMO__V1__LIST_CONTEXT_REQUEST__INIT;
    req.body_case = ISMO__V1__REQUEST__BODY_LIST_CONTEXT;
    req.list_context = &body;
    return ismo_client_call(self, &req, reply_p);
}

ismo_err ismo_ack(ismo_client_t *self, const char *objective_id, const char *const *keys,
                  size_t n_keys, const char *note, Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__AckRequest body = ISMO__V1__ACK_REQUEST__INIT;
    body.objective_id = (char *)objective_id;
    body.keys = (char **)keys;
    body.n_keys = keys ? n_keys : 0;
    body.note = (char *)(note && *note ? note : NULL);
    req.body_case = ISMO__V1__REQUEST__BODY_ACK;
    req.ack = &body;
    return ismo_client_call(self, &req, reply_p);
}

ismo_err ismo_add_review(ismo_client_t *self, const Ismo__V1__Review *review,
                         Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__AddReviewRequest body = ISMO__V1__ADD_REVIEW_REQUEST__INIT;
    body.review = (Ismo__V1__Review *)review;
    req.body_case = ISMO__V1__REQUEST__BODY_ADD_REVIEW;
    req.add_review = &body;
    return ismo_client_call(self, &req, reply_p);
}

static ismo_err reviews_page(ismo_client_t *self, const char *objective_id, int64_t since_ms,
                             int64_t until_ms, Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__ListReviewsRequest body = ISMO__V1__LIST_REVIEWS_REQUEST__INIT;
    body.objective_id = (char *)(objective_id && *objective_id ? objective_id : NULL);
    body.has_since_ms = since_ms != 0;
    body.since_ms = since_ms;
    body.has_until_ms = until_ms != 0;
    body.until_ms = until_ms;
    req.body_case = ISMO__V1__REQUEST__BODY_LIST_REVIEWS;
    req.list_reviews = &body;
    return ismo_client_call(self, &req, reply_p);
}

ismo_err ismo_list_reviews(ismo_client_t *self, const char *objective_id, int64_t since_ms,
                           int64_t until_ms, Ismo__V1__Reply **reply_p)
{
    ismo_err err = reviews_page(self, objective_id, since_ms, until_ms, reply_p);
    for (int page = 0; err == ISMO_OK && page < ISMO_MAX_PAGES; page++) {
        Ismo__V1__ListReviewsReply *first = (*reply_p)->list_reviews;
        if (!first || !first->more || first->n_reviews == 0) {
            break;
        }
        /* next page: from the last review time; the records at that time
         * already received come again and are dropped by seq */
        int64_t last = first->reviews[first->n_reviews - 1]->reviewed_ms;
        Ismo__V1__Reply *next = NULL;
        err = reviews_page(self, objective_id, last, until_ms, &next);
        if (err != ISMO_OK || !next->list_reviews) {
            return page_failed(reply_p, next, err);
        }
        Ismo__V1__ListReviewsReply *nl = next->list_reviews;
        size_t keep = 0;
        for (size_t i = 0; i < nl->n_reviews; i++) {
            Ismo__V1__Review *r = nl->reviews[i];
            int seen = 0;
            for (size_t k = first->n_reviews; k > 0 && !seen; k--) {
                const Ismo__V1__Review *o = first->reviews[k - 1];
                if (o->reviewed_ms != last) {
                    break;
                }
                seen = o->seq == r->seq;
            }
            if (seen) {
                ismo__v1__review__free_unpacked(r, NULL);
            } else {
                nl->reviews[keep++] = r;
            }
        }
        nl->n_reviews = keep;
        if (keep == 0 && nl->more) {
            /* no progress: more than max_list records share one reviewed_ms;
             * the rest cannot be asked for (more stays 1) */
            ismo__v1__reply__free_unpacked(next, NULL);
            break;
        }
        if (append_items((void ***)&first->reviews, &first->n_reviews, (void **)nl->reviews,
                         &nl->n_reviews) != 0) {
            ismo__v1__reply__free_unpacked(next, NULL);
            return ISMO_ERR_NOMEM;
        }
        first->more = nl->more;
        ismo__v1__reply__free_unpacked(next, NULL);
    }
    return err;
}

ismo_err ismo_explain(ismo_client_t *self, const char *id, int64_t as_of_ms, uint32_t sample_limit,
                      Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    Ismo__V1__ExplainRequest body = ISMO__V1__EXPLAIN_REQUEST__INIT;
    body.id = (char *)id;
    body.has_as_of_ms = as_of_ms != 0;
    body.as_of_ms = as_of_ms;
    body.has_sample_limit = sample_limit != 0;
    body.sample_limit = sample_limit;
    req.body_case = ISMO__V1__REQUEST__BODY_EXPLAIN;
    req.explain = &body;
    return ismo_client_call(self, &req, reply_p);
}

ismo_err ismo_sample_id_random(char *buf, size_t len)
{
    unsigned char raw[16];
    if (len < 33) {
        return ISMO_ERR_INVALID;
    }
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return ISMO_ERR_IO;
    }
    ssize_t n = read(fd, raw, sizeof raw);
    close(fd);
    if (n != (ssize_t)sizeof raw) {
        return ISMO_ERR_IO;
    }
    for (size_t i = 0; i < sizeof raw; i++) {
        snprintf(buf + 2 * i, 3, "%02x", raw[i]);
    }
    return ISMO_OK;
}

/* ---- subscription --------------------------------------------------------- */

struct ismo_sub {
    void *ctx;
    void *sock;
    char *endpoint;
    curve_keys curve;
    char **topics; /* subscriptions, replayed when set_curve reopens the socket */
    size_t n_topics;
};

static ismo_err sub_open(ismo_sub_t *self, char *why, size_t why_len)
{
    ismo_socket_opts opts = ismo_socket_opts_default();
    opts.rcvhwm = 100000;
    curve_apply(&self->curve, &opts);
    return ismo_socket_open(self->ctx, ZMQ_SUB, self->endpoint, 0, &opts, &self->sock, why, why_len);
}

ismo_sub_t *ismo_sub_new(const char *pub_endpoint)
{
    ismo_sub_t *self = calloc(1, sizeof *self);
    if (!self) {
        return NULL;
    }
    self->ctx = zmq_ctx_new();
    char why[512] = "no context";
    const char *ep = pub_endpoint && *pub_endpoint ? pub_endpoint : ISMO_DEFAULT_PUB_ENDPOINT;
    self->endpoint = strdup(ep);
    if (!self->ctx || !self->endpoint ||
        curve_load(&self->curve, getenv("ISMO_SERVER_KEY"), getenv("ISMO_CERT"), why, sizeof why) != ISMO_OK ||
        sub_open(self, why, sizeof why) != ISMO_OK) {
        fprintf(stderr, "ismo: cannot subscribe to %s: %s\n", ep, why);
        ismo_sub_destroy(&self);
        return NULL;
    }
    return self;
}

ismo_err ismo_sub_set_curve(ismo_sub_t *self, const char *server_key, const char *cert_path)
{
    char why[512];
    ismo_err err = curve_load(&self->curve, server_key, cert_path, why, sizeof why);
    if (err != ISMO_OK) {
        fprintf(stderr, "ismo: %s\n", why);
        return err;
    }
    if (self->sock) {
        zmq_close(self->sock);
        self->sock = NULL;
    }
    err = sub_open(self, why, sizeof why);
    if (err != ISMO_OK) {
        fprintf(stderr, "ismo: cannot subscribe to %s: %s\n", self->endpoint, why);
        return err;
    }
    for (size_t i = 0; i < self->n_topics; i++) {
        zmq_setsockopt(self->sock, ZMQ_SUBSCRIBE, self->topics[i], strlen(self->topics[i]));
    }
    return ISMO_OK;
}

void ismo_sub_destroy(ismo_sub_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    ismo_sub_t *self = *self_p;
    if (self->sock) {
        zmq_close(self->sock);
    }
    if (self->ctx) {
        zmq_ctx_term(self->ctx);
    }
    for (size_t i = 0; i < self->n_topics; i++) {
        free(self->topics[i]);
    }
    free(self->topics);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

ismo_err ismo_sub_subscribe(ismo_sub_t *self, const char *topic_prefix)
{
    const char *t = topic_prefix ? topic_prefix : "";
    if (zmq_setsockopt(self->sock, ZMQ_SUBSCRIBE, t, strlen(t)) != 0) {
        return ISMO_ERR_TRANSPORT;
    }
    char **p = realloc(self->topics, (self->n_topics + 1) * sizeof *p);
    if (!p) {
        return ISMO_ERR_NOMEM;
    }
    self->topics = p;
    self->topics[self->n_topics] = strdup(t);
    if (self->topics[self->n_topics]) {
        self->n_topics++;
    }
    return ISMO_OK;
}

char *ismo_topic_prefix(const char *kind_word, const char *function, char *buf, size_t len)
{
    if (!kind_word || !*kind_word) {
        snprintf(buf, len, "%s", "");
    } else if (!function || !*function) {
        snprintf(buf, len, "%s.", kind_word);
    } else {
        snprintf(buf, len, "%s.%s.", kind_word, function);
    }
    return buf;
}

ismo_err ismo_sub_recv(ismo_sub_t *self, int64_t timeout_ms, Ismo__V1__Event **event_p)
{
    *event_p = NULL;
    zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
    int rc = zmq_poll(&item, 1, (long)timeout_ms);
    if (rc < 0) {
        return errno == EINTR ? ISMO_ERR_INTERRUPTED : ISMO_ERR_TRANSPORT;
    }
    if (rc == 0) {
        return ISMO_ERR_TIMEOUT;
    }
    /* frames: [topic][event]; read all parts, decode the last */
    ismo_err err = ISMO_ERR_PROTOCOL;
    int parts = 0;
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->sock, 0) < 0) {
            zmq_msg_close(&msg);
            return errno == EINTR ? ISMO_ERR_INTERRUPTED : ISMO_ERR_TRANSPORT;
        }
        parts++;
        int more = zmq_msg_more(&msg);
        if (!more && parts == 2) {
            err = ismo_codec_decode_event(zmq_msg_data(&msg), zmq_msg_size(&msg), event_p);
        }
        zmq_msg_close(&msg);
        if (!more) {
            break;
        }
    }
    return err;
}

void *ismo_sub_socket(ismo_sub_t *self) { return self->sock; }
