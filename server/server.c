/* server: the loop of ismod. Owns the two sockets (ROUTER for requests, XPUB
 * for events, in manual mode: each subscription is checked against the
 * subscriber's certificate, see on_subscription), the ZAP handler (zap.c),
 * the store handle, the clock ticks, and group commit: every
 * request ready on the ROUTER socket is drained (up to DRAIN_MAX) into one
 * write transaction, each request in its own nested transaction; after the
 * commit the replies are sent and the events published. A reply therefore
 * never acknowledges anything that is not on disk, and an event is never
 * published before it is stored. Clock ticks come every tick_ms and whenever
 * the server clock (the wall clock, or ismo_config.now_fn in tests, plus
 * clock_offset_ms) has moved by a tick or more; until a tick leaves nothing
 * due after start-up, reminders whose time passed before the start fire as
 * late (ismod was down). Single-threaded: the server thread. */
#include "server.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "ismo_keys.h"

#include "audit.h"
#include "ismo_codec.h"
#include "ismo_log.h"
#include "ismo_time.h"
#include "ismo_transport.h"
#include "store.h"
#include "work.h"
#include "zap.h"

#define DRAIN_MAX 512
#define IDENTITY_MAX 256

struct ismo_server {
    ismo_config cfg;
    ismo_store_t *store;
    void *ctx;
    void *router;
    void *pub;
    char endpoint[256];
    char pub_endpoint[256];
    volatile sig_atomic_t stop;
    int64_t next_tick_ms;
    int64_t next_heartbeat_ms;
    int64_t next_keys_ms;        /* next look for certificate changes to audit */
    ismo_outbox events;
    ismo_outbox replies;
    ismo_work work;
    ismo_audit_t *audit;         /* the audit trail's key and checkpoints (audit.c) */
    ismo_zap_t *zap;             /* CURVE: the ZAP handler and certificate table; NULL = --insecure */
    int64_t started_ms;          /* server clock at start-up, UTC ms */
    int64_t quiet_before_ms;     /* a data directory from before the reminder kinds of
                                  * "reminders_v2": started_ms until the catch-up is done */
    int catching_up;             /* 1 until a tick leaves nothing due: reminders whose time
                                  * passed before started_ms fire late (ismod was down) */
    int64_t last_tick_clock_ms;  /* server clock of the last tick, UTC ms */
    _Atomic int_least64_t ticked_ms; /* the same, for other threads (ismo_server_ticked_ms) */
};

/* ---- outbox ---- */

void ismo_outbox_clear(ismo_outbox *box)
{
    for (size_t i = 0; i < box->count; i++) {
        free(box->items[i].topic_or_identity);
        free(box->items[i].body);
    }
    box->count = 0;
}

void ismo_outbox_free(ismo_outbox *box)
{
    ismo_outbox_clear(box);
    free(box->items);
    box->items = NULL;
    box->cap = 0;
}

ismo_err ismo_outbox_push(ismo_outbox *box, const void *head, size_t head_len, int delim,
                          uint8_t *body, size_t body_len)
{
    if (box->count == box->cap) {
        size_t cap = box->cap ? box->cap * 2 : 64;
        void *p = realloc(box->items, cap * sizeof *box->items);
        if (!p) {
            free(body);
            return ISMO_ERR_NOMEM;
        }
        box->items = p;
        box->cap = cap;
    }
    uint8_t *h = malloc(head_len + 1);
    if (!h) {
        free(body);
        return ISMO_ERR_NOMEM;
    }
    memcpy(h, head, head_len);
    ismo_outmsg *m = &box->items[box->count++];
    m->topic_or_identity = h;
    m->head_len = head_len;
    m->has_delimiter = delim;
    m->body = body;
    m->body_len = body_len;
    return ISMO_OK;
}

/* ---- life cycle ---- */

/* The server's clock, UTC ms: the wall clock (or the test clock hook) plus
 * clock_offset_ms. Every reading of the time in ismod goes through here. */
static int64_t server_now(const ismo_server_t *s)
{
    int64_t base = s->cfg.now_fn ? s->cfg.now_fn(s->cfg.now_ctx) : ismo_now_ms();
    return base + s->cfg.clock_offset_ms;
}

/* A data directory without the due-time index (first start, or written by
 * an older ismod): make every objective due once, so the first tick evaluates
 * all of them, including reminders missed while ismod was down. */
static ismo_err schedule_if_new(ismo_server_t *s, char *why, size_t why_len)
{
    ismo_txn_t *txn = NULL;
    ismo_err err = ismo_txn_begin(s->store, 1, &txn);
    uint64_t done = 0, v2 = 0;
    if (err == ISMO_OK) {
        err = ismo_store_meta_get(txn, "due_index_v1", &done);
    }
    if (err == ISMO_OK) {
        err = ismo_store_meta_get(txn, "reminders_v2", &v2);
    }
    if (err == ISMO_OK && !v2) {
        /* written by an ismod without WORK_SHOULD_START, REVIEW_DUE, action
         * reminders and OVERDUE repeats (or new): evaluate everything at the
         * first ticks, recording those kinds' past times as suppressed; the
         * marker is written when that catch-up is done */
        s->quiet_before_ms = s->started_ms;
        done = 0;
    }
    if (err == ISMO_OK && !done) {
        s->work.txn = txn;
        s->work.now_ms = server_now(s);
        err = ismo_monitor_schedule_all(&s->work);
        s->work.txn = NULL;
        if (err == ISMO_OK) {
            err = ismo_store_meta_put(txn, "due_index_v1", 1);
        }
    }
    if (err == ISMO_OK) {
        err = ismo_txn_commit(&txn);
    } else {
        ismo_txn_abort(&txn);
    }
    if (err != ISMO_OK) {
        snprintf(why, why_len, "cannot prepare the due-time index: %s", ismo_strerror(err));
    }
    return err;
}

/* 1 if endpoint only accepts connections from this host: tcp on 127.x.y.z
 * (digits and dots only, not a host name starting "127."), localhost, [::1],
 * or ipc/inproc. */
static int endpoint_is_local(const char *ep)
{
    static const char *const local[] = {"tcp://localhost:", "tcp://[::1]:", "ipc://", "inproc://"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        if (strncmp(ep, local[i], strlen(local[i])) == 0) {
            return 1;
        }
    }
    if (strncmp(ep, "tcp://127.", 10) != 0) {
        return 0;
    }
    const char *p = ep + 10;
    while ((*p >= '0' && *p <= '9') || *p == '.') {
        p++;
    }
    return *p == ':';
}

/* libzmq binds "tcp://localhost:PORT" as an interface named localhost and
 * fails ("No such device"): rewrite it to tcp://127.0.0.1:PORT (logged). */
static void localhost_to_loopback(char *ep, size_t len, const char *what)
{
    static const char host[] = "tcp://localhost:";
    if (strncmp(ep, host, strlen(host)) != 0) {
        return;
    }
    char was[256];
    snprintf(was, sizeof was, "%s", ep);
    snprintf(ep, len, "tcp://127.0.0.1:%s", was + strlen(host));
    ISMO_INFO("server", "%s %s: binding %s (libzmq binds IP addresses, not host names)", what, was, ep);
}

/* CURVE set-up: the server's key pair (created in data_dir when missing) and
 * the ZAP handler, started before any socket binds so that no connection is
 * ever admitted without it. Fills the key fields of ro and po. */
static ismo_err curve_setup(ismo_server_t *s, ismo_socket_opts *ro, ismo_socket_opts *po, char *why,
                            size_t why_len)
{
    const ismo_config *cfg = &s->cfg;
    char path[1100], pub[ISMO_KEY_Z85_BYTES], sec[ISMO_KEY_Z85_BYTES];
    struct stat st;
    if (cfg->curve_cert[0]) {
        snprintf(path, sizeof path, "%s", cfg->curve_cert);
    } else {
        snprintf(path, sizeof path, "%s/server.cert", cfg->data_dir);
        char secret_path[1200];
        snprintf(secret_path, sizeof secret_path, "%s_secret", path);
        if (stat(secret_path, &st) != 0) {
            static const char *const meta[][2] = {{"name", "ismod"}, {"role", "server"}};
            ismo_err gerr = ismo_keys_generate(path, meta, 2, NULL, why, why_len);
            if (gerr != ISMO_OK) {
                return gerr;
            }
            ISMO_INFO("server", "created the server's CURVE key pair %s (give clients its public half)", path);
        }
    }
    ismo_err err = ismo_keys_load_secret(path, pub, sec, why, why_len);
    if (err != ISMO_OK) {
        return err;
    }
    /* CURVE is the default: without --certs-dir, data_dir/certs (made empty
     * on first start; nobody gets in until an admin adds a certificate) */
    char certs_dir[1100];
    if (cfg->certs_dir[0]) {
        snprintf(certs_dir, sizeof certs_dir, "%s", cfg->certs_dir);
    } else {
        snprintf(certs_dir, sizeof certs_dir, "%s/certs", cfg->data_dir);
        if (stat(certs_dir, &st) != 0 && mkdir(certs_dir, 0700) != 0) {
            snprintf(why, why_len, "cannot create %s: %s", certs_dir, strerror(errno));
            return ISMO_ERR_IO;
        }
    }
    err = ismo_zap_new(s->ctx, certs_dir, &s->zap, why, why_len);
    if (err != ISMO_OK) {
        return err;
    }
    ismo_socket_opts *o[2] = {ro, po};
    for (int i = 0; i < 2; i++) {
        snprintf(o[i]->curve_secret_key, sizeof o[i]->curve_secret_key, "%s", sec);
        snprintf(o[i]->zap_domain, sizeof o[i]->zap_domain, "%s", ISMO_ZAP_DOMAIN);
    }
    size_t l = strlen(path);
    ISMO_INFO("server", "CURVE on: server public key %s (file %.*s), client certificates in %s", pub,
              (int)(l > 7 && strcmp(path + l - 7, "_secret") == 0 ? l - 7 : l), path, certs_dir);
    return ISMO_OK;
}

ismo_err ismo_server_new(const ismo_config *cfg, ismo_server_t **server_p, char *why, size_t why_len)
{
    *server_p = NULL;
    ismo_server_t *s = calloc(1, sizeof *s);
    if (!s) {
        return ISMO_ERR_NOMEM;
    }
    s->cfg = *cfg;
    localhost_to_loopback(s->cfg.endpoint, sizeof s->cfg.endpoint, "endpoint");
    localhost_to_loopback(s->cfg.pub_endpoint, sizeof s->cfg.pub_endpoint, "pub endpoint");
    cfg = &s->cfg;
    ismo_store_opts so = ismo_store_opts_default();
    so.map_size_bytes = (size_t)cfg->map_size_bytes;
    so.map_max_bytes = (size_t)cfg->map_max_bytes;
    if (so.map_size_bytes > so.map_max_bytes) {
        so.map_size_bytes = so.map_max_bytes;
    }
    so.no_sync = cfg->no_sync;
    int local = endpoint_is_local(cfg->endpoint) && endpoint_is_local(cfg->pub_endpoint);
    if (cfg->certs_dir[0] && cfg->insecure) {
        snprintf(why, why_len, "--certs-dir (CURVE) and --insecure (plain TCP) exclude each other");
        free(s);
        return ISMO_ERR_INVALID;
    }
    if (cfg->insecure && !local) {
        snprintf(why, why_len,
                 "--insecure (plain TCP) is refused on a non-loopback endpoint (%s, %s): drop it (CURVE is the default)",
                 cfg->endpoint, cfg->pub_endpoint);
        free(s);
        return ISMO_ERR_INVALID;
    }
    ismo_err err = ismo_store_open(cfg->data_dir, &so, &s->store, why, why_len);
    if (err != ISMO_OK) {
        free(s);
        return err;
    }
    s->ctx = zmq_ctx_new();
    ismo_socket_opts ro = ismo_socket_opts_default();
    /* frames up to twice the answered maximum are read and refused with
     * TOO_LARGE; larger ones make libzmq drop the connection (memory bound) */
    ro.max_msg_bytes = cfg->max_frame_bytes * 2 + 1024;
    ro.router_mandatory = 0;
    ro.sndhwm = 100000;
    ro.rcvhwm = 100000;
    ro.handshake_ivl_ms = (int)cfg->handshake_ms;
    ismo_socket_opts po = ismo_socket_opts_default();
    po.sndhwm = (int)cfg->pub_hwm;
    po.handshake_ivl_ms = (int)cfg->handshake_ms;
    po.max_msg_bytes = 1024; /* inbound on XPUB: only subscriptions (a topic prefix is < 400 bytes) */
    if (!cfg->insecure) {
        err = curve_setup(s, &ro, &po, why, why_len);
    } else {
        ISMO_WARN("server", "--insecure: plain TCP without CURVE (loopback only): every peer is admin");
    }
    if (err == ISMO_OK) {
        err = ismo_socket_open(s->ctx, ZMQ_ROUTER, cfg->endpoint, 1, &ro, &s->router, why, why_len);
    }
    if (err == ISMO_OK) {
        po.xpub_manual = 1;
        err = ismo_socket_open(s->ctx, ZMQ_XPUB, cfg->pub_endpoint, 1, &po, &s->pub, why, why_len);
    }
    if (err != ISMO_OK) {
        ismo_server_destroy(&s);
        return err;
    }
    ismo_socket_last_endpoint(s->router, s->endpoint, sizeof s->endpoint);
    ismo_socket_last_endpoint(s->pub, s->pub_endpoint, sizeof s->pub_endpoint);
    s->work.cfg = &s->cfg;
    s->work.events = &s->events;
    s->work.store = s->store;
    s->started_ms = server_now(s);
    s->catching_up = 1;
    err = schedule_if_new(s, why, why_len);
    if (err != ISMO_OK) {
        ismo_server_destroy(&s);
        return err;
    }
    /* audit trail: key, then a record of this start */
    err = ismo_audit_new(cfg->data_dir, cfg->audit_key, (uint64_t)cfg->audit_checkpoint_every, &s->audit,
                         why, why_len);
    if (err == ISMO_OK) {
        char pk_hex[2 * ISMO_AUDIT_PK_BYTES + 1], detail[200];
        snprintf(detail, sizeof detail, "ismod %s started; audit public key %s", ISMO_VERSION,
                 ismo_hex_encode(ismo_audit_public_key(s->audit), ISMO_AUDIT_PK_BYTES, pk_hex));
        err = ismo_audit_append_now(s->audit, s->store, server_now(s), "ismod", "server.start", detail);
        if (err != ISMO_OK) {
            snprintf(why, why_len, "cannot append to the audit trail: %s", ismo_strerror(err));
        }
    }
    if (err != ISMO_OK) {
        ismo_server_destroy(&s);
        return err;
    }
    s->work.audit = s->audit;
    ISMO_INFO("server", "ismod %s: data %s, requests on %s, events on %s", ISMO_VERSION,
              cfg->data_dir, s->endpoint, s->pub_endpoint);
    *server_p = s;
    return ISMO_OK;
}

void ismo_server_destroy(ismo_server_t **server_p)
{
    if (!server_p || !*server_p) {
        return;
    }
    ismo_server_t *s = *server_p;
    if (s->router) {
        zmq_close(s->router);
    }
    if (s->pub) {
        zmq_close(s->pub);
    }
    ismo_zap_destroy(&s->zap); /* its socket must close before the context ends */
    if (s->ctx) {
        zmq_ctx_term(s->ctx);
    }
    ismo_store_destroy(&s->store);
    ismo_audit_destroy(&s->audit);
    ismo_outbox_free(&s->events);
    ismo_outbox_free(&s->replies);
    free(s->work.touched);
    free(s);
    *server_p = NULL;
}

const char *ismo_server_endpoint(const ismo_server_t *s) { return s->endpoint; }
int64_t ismo_server_ticked_ms(const ismo_server_t *s) { return atomic_load(&s->ticked_ms); }
const char *ismo_server_pub_endpoint(const ismo_server_t *s) { return s->pub_endpoint; }
void ismo_server_stop(ismo_server_t *s) { s->stop = 1; }

/* ---- one step ---- */

/* A received request: [identity][optional empty delimiter][body]. */
typedef struct inmsg {
    uint8_t identity[IDENTITY_MAX];
    size_t identity_len;
    int delimiter;
    zmq_msg_t body;
    int ok;          /* framing understood */
    char refused[240]; /* ok == 2: why it was answered before the step (for the audit trail) */
    ismo_peer peer;    /* who sent it (CURVE: from the ZAP metadata, checked against the current certificates) */
    int peer_known;    /* 0: CURVE peer whose certificate is gone (revoked since it connected) */
} inmsg;

/* Who sent m: with CURVE the ZAP handler's metadata names the key; the
 * certificate holding it now gives name, role and functions (so a revoked or
 * changed certificate counts from the next message). Without CURVE
 * (--insecure): an admin named by the request's actor. */
static void identify_peer(ismo_server_t *s, inmsg *m)
{
    memset(&m->peer, 0, sizeof m->peer);
    if (!s->zap) {
        m->peer.role = ISMO_ROLE_ADMIN;
        snprintf(m->peer.functions, sizeof m->peer.functions, "*");
        m->peer_known = 1;
        return;
    }
    const char *key = zmq_msg_gets(&m->body, "Key");
    m->peer_known = key && ismo_zap_lookup(s->zap, key, &m->peer);
    if (!m->peer_known) {
        const char *user = zmq_msg_gets(&m->body, "User-Id");
        snprintf(m->peer.name, sizeof m->peer.name, "%s", user ? user : "?");
    }
}

static int recv_one(ismo_server_t *s, inmsg *m, int flags)
{
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, s->router, flags) < 0) {
        zmq_msg_close(&part);
        return -1;
    }
    m->identity_len = zmq_msg_size(&part) < IDENTITY_MAX ? zmq_msg_size(&part) : IDENTITY_MAX;
    memcpy(m->identity, zmq_msg_data(&part), m->identity_len);
    int more = zmq_msg_more(&part);
    zmq_msg_close(&part);
    m->delimiter = 0;
    m->ok = 0;
    zmq_msg_init(&m->body);
    int nparts = 0;
    while (more) {
        zmq_msg_t p;
        zmq_msg_init(&p);
        if (zmq_msg_recv(&p, s->router, 0) < 0) {
            zmq_msg_close(&p);
            break;
        }
        more = zmq_msg_more(&p);
        nparts++;
        if (nparts == 1 && zmq_msg_size(&p) == 0 && more) {
            m->delimiter = 1; /* REQ-style envelope */
            zmq_msg_close(&p);
            continue;
        }
        zmq_msg_close(&m->body);
        zmq_msg_init(&m->body);
        zmq_msg_move(&m->body, &p);
        zmq_msg_close(&p);
        m->ok = !more && (nparts == 1 || (nparts == 2 && m->delimiter));
    }
    identify_peer(s, m);
    return 0;
}

static ismo_err queue_reply(ismo_server_t *s, const inmsg *m, Ismo__V1__Reply *reply)
{
    uint8_t *buf;
    size_t len;
    ismo_err err = ismo_codec_pack(&reply->base, &buf, &len);
    if (err != ISMO_OK) {
        return err;
    }
    return ismo_outbox_push(&s->replies, m->identity, m->identity_len, m->delimiter, buf, len);
}

static void send_outbox(ismo_server_t *s)
{
    for (size_t i = 0; i < s->replies.count; i++) {
        ismo_outmsg *o = &s->replies.items[i];
        /* ROUTER drops replies to peers that went away: nothing to undo,
         * the client re-asks and pushes are idempotent by sample id. */
        zmq_send(s->router, o->topic_or_identity, o->head_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (o->has_delimiter) {
            zmq_send(s->router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        }
        zmq_send(s->router, o->body, o->body_len, ZMQ_DONTWAIT);
    }
    for (size_t i = 0; i < s->events.count; i++) {
        ismo_outmsg *o = &s->events.items[i];
        zmq_send(s->pub, o->topic_or_identity, o->head_len, ZMQ_SNDMORE);
        zmq_send(s->pub, o->body, o->body_len, 0);
    }
    ismo_outbox_clear(&s->replies);
    ismo_outbox_clear(&s->events);
}

/* Evaluate objectives that received samples in this step. */
static ismo_err evaluate_touched(ismo_work *w)
{
    for (size_t i = 0; i < w->n_touched; i++) {
        Ismo__V1__Objective *o = NULL;
        ismo_err err = ismo_store_objective_get(w->txn, w->touched[i], 0, &o);
        if (err == ISMO_ERR_NOT_FOUND) {
            continue;
        }
        if (err != ISMO_OK) {
            return err;
        }
        err = ismo_monitor_objective(w, o, 0);
        ismo__v1__objective__free_unpacked(o, NULL);
        if (err != ISMO_OK) {
            return err;
        }
    }
    return ISMO_OK;
}

static void release_body_keep_message(Ismo__V1__Reply *reply)
{
    char *msg = reply->message;
    reply->message = NULL;
    ismo_dispatch_release(reply);
    reply->message = msg;
}

/* Run a step over n received messages; returns ISMO_ERR_FULL to ask for a retry. */
static ismo_err run_step(ismo_server_t *s, inmsg *msgs, Ismo__V1__Request **reqs, size_t n, int tick)
{
    ismo_work *w = &s->work;
    w->now_ms = server_now(s);
    w->n_touched = 0;
    ismo_txn_t *txn = NULL;
    ismo_err err = ismo_txn_begin(s->store, 1, &txn);
    if (err != ISMO_OK) {
        return err;
    }
    ismo_outbox_clear(&s->events);
    ismo_outbox_clear(&s->replies);
    w->txn = txn;
    /* audit: frames refused before the step (undecodable) */
    for (size_t i = 0; i < n && err == ISMO_OK; i++) {
        if (msgs[i].ok == 2) {
            err = ismo_audit_refusal(w, NULL, ISMO__V1__STATUS_CODE__BAD_REQUEST, msgs[i].refused);
        }
    }
    for (size_t i = 0; i < n && err == ISMO_OK; i++) {
        Ismo__V1__Reply reply = ISMO__V1__REPLY__INIT;
        if (msgs[i].ok != 1 || !reqs[i]) {
            continue; /* error replies for undecodable frames are queued after commit */
        }
        size_t before = w->n_touched;
        ismo_txn_t *child = NULL;
        err = ismo_txn_begin_child(txn, &child);
        if (err != ISMO_OK) {
            break;
        }
        w->txn = child;
        size_t events_before = s->events.count;
        w->peer = &msgs[i].peer;
        w->peer_known = msgs[i].peer_known;
        w->authenticated = s->zap != NULL;
        if (s->zap && msgs[i].peer.name[0]) { /* the authenticated name is who acts, not the claim */
            free(reqs[i]->actor);
            reqs[i]->actor = strdup(msgs[i].peer.name);
        }
        ismo_err herr = ismo_dispatch(w, reqs[i], &reply);
        w->peer = NULL;
        if (herr == ISMO_OK) {
            err = ismo_txn_commit(&child);
        } else {
            ismo_txn_abort(&child);
            /* drop what this request queued or touched */
            while (s->events.count > events_before) {
                s->events.count--;
                free(s->events.items[s->events.count].topic_or_identity);
                free(s->events.items[s->events.count].body);
            }
            w->n_touched = before;
            if (herr == ISMO_ERR_FULL && !w->writes_refused) {
                err = ISMO_ERR_FULL;
            } else if (reply.code != ISMO__V1__STATUS_CODE__PARTIAL) {
                release_body_keep_message(&reply);
            }
        }
        w->txn = txn;
        /* audit: a refusal is recorded in the step's transaction (the request's own was undone) */
        if (err == ISMO_OK && herr != ISMO_OK && reply.code != ISMO__V1__STATUS_CODE__OK &&
            reply.code != ISMO__V1__STATUS_CODE__PARTIAL) {
            err = ismo_audit_refusal(w, reqs[i], (int)reply.code, reply.message);
        }
        if (err == ISMO_OK) {
            err = queue_reply(s, &msgs[i], &reply);
        }
        ismo_ack_release_reply(&reply); /* the Ack body is ack.c's to free */
        ismo_dispatch_release(&reply);
    }
    if (err == ISMO_OK && w->n_touched > 0) {
        err = evaluate_touched(w);
    }
    int drained = 0;
    if (err == ISMO_OK && tick && !w->writes_refused) {
        /* the first ticks after start-up: what fell due while ismod was down is late */
        w->late_before_ms = s->catching_up ? s->started_ms : 0;
        w->quiet_before_ms = s->catching_up ? s->quiet_before_ms : 0;
        err = ismo_monitor_tick(w);
        w->late_before_ms = 0;
        w->quiet_before_ms = 0;
        if (err == ISMO_OK && s->catching_up) {
            static char left[1][ISMO_MAX_ID_BYTES + 1];
            size_t n_left = 0;
            err = ismo_store_due_list(w->txn, w->now_ms, 1, left, &n_left);
            drained = n_left == 0;
        }
        if (err == ISMO_OK && drained && s->quiet_before_ms) {
            err = ismo_store_meta_put(w->txn, "reminders_v2", 1);
        }
    }
    w->txn = NULL;
    if (err != ISMO_OK) {
        ismo_txn_abort(&txn);
        return err;
    }
    err = ismo_txn_commit(&txn);
    if (err == ISMO_OK && tick && !w->writes_refused) {
        if (drained) {
            s->catching_up = 0;
            s->quiet_before_ms = 0;
        }
        atomic_store(&s->ticked_ms, w->now_ms);
    }
    return err;
}

static void error_reply(ismo_server_t *s, const inmsg *m, uint64_t request_id, ismo_err err,
                        const char *why)
{
    Ismo__V1__Reply reply = ISMO__V1__REPLY__INIT;
    reply.has_request_id = 1;
    reply.request_id = request_id;
    reply.has_code = 1;
    reply.code = (Ismo__V1__StatusCode)ismo_err_to_status(err);
    reply.message = (char *)why;
    queue_reply(s, m, &reply);
}

static void handle_batch(ismo_server_t *s, inmsg *msgs, size_t n, int tick)
{
    Ismo__V1__Request *reqs[DRAIN_MAX] = {0};
    char why[300];
    /* decode first: malformed frames get an error reply and never touch the store */
    for (size_t i = 0; i < n; i++) {
        if (!msgs[i].ok) {
            ISMO_WARN("server", "bad request: unexpected framing (want [body] or [empty][body])");
            msgs[i].ok = 2;
            snprintf(msgs[i].refused, sizeof msgs[i].refused, "unexpected framing");
            error_reply(s, &msgs[i], 0, ISMO_ERR_BAD_REQUEST,
                        "unexpected framing: send one frame (DEALER) or an empty delimiter and one frame (REQ)");
            continue;
        }
        ismo_err derr = ismo_codec_decode_request(zmq_msg_data(&msgs[i].body), zmq_msg_size(&msgs[i].body),
                                                  (size_t)s->cfg.max_frame_bytes, &reqs[i], why, sizeof why);
        if (derr != ISMO_OK) {
            ISMO_WARN("server", "bad request (%zu bytes): %s", zmq_msg_size(&msgs[i].body), why);
            uint64_t request_id = 0;
            if (reqs[i]) { /* decodable but without a body: echo its id */
                request_id = reqs[i]->request_id;
                ismo__v1__request__free_unpacked(reqs[i], NULL);
                reqs[i] = NULL;
            }
            msgs[i].ok = 2; /* answered already; run_step skips it */
            snprintf(msgs[i].refused, sizeof msgs[i].refused, "%.200s (%zu bytes)", why,
                     zmq_msg_size(&msgs[i].body));
            error_reply(s, &msgs[i], request_id, derr, why);
        }
    }
    /* replies queued above would be lost by run_step's clear: keep them aside */
    ismo_outbox early = s->replies;
    memset(&s->replies, 0, sizeof s->replies);
    s->work.writes_refused = 0;
    ismo_err err;
    int attempts = 0;
    for (;;) {
        err = run_step(s, msgs, reqs, n, tick);
        if (err != ISMO_ERR_FULL || attempts++ > 8) {
            break;
        }
        if (ismo_store_grow(s->store) != ISMO_OK) {
            if (ismo_store_disk_full(s->store)) {
                ISMO_ERROR("server", "disk full under %s: refusing writes in this step (reads go on)",
                           s->cfg.data_dir);
            } else {
                ISMO_ERROR("server",
                           "storage full at map size %zu bytes (max %lld): refusing writes in this step",
                           ismo_store_map_size(s->store), (long long)s->cfg.map_max_bytes);
            }
            s->work.writes_refused = 1;
        }
    }
    if (err != ISMO_OK) {
        ISMO_ERROR("server", "step failed: %s; answering INTERNAL", ismo_strerror(err));
        ismo_outbox_clear(&s->replies);
        ismo_outbox_clear(&s->events);
        for (size_t i = 0; i < n; i++) {
            if (msgs[i].ok == 1 && reqs[i]) {
                error_reply(s, &msgs[i], reqs[i]->request_id, err == ISMO_ERR_FULL ? ISMO_ERR_FULL : ISMO_ERR_INTERNAL,
                            err == ISMO_ERR_FULL ? "storage full; nothing was written"
                                                 : "server fault; nothing was written; see the server log");
            }
        }
    }
    /* early error replies first, then the step's replies and events */
    for (size_t i = 0; i < early.count; i++) {
        ismo_outmsg *o = &early.items[i];
        zmq_send(s->router, o->topic_or_identity, o->head_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (o->has_delimiter) {
            zmq_send(s->router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        }
        zmq_send(s->router, o->body, o->body_len, ZMQ_DONTWAIT);
    }
    ismo_outbox_free(&early);
    send_outbox(s);
    for (size_t i = 0; i < n; i++) {
        if (reqs[i]) {
            ismo__v1__request__free_unpacked(reqs[i], NULL);
        }
    }
}

/* ---- event confidentiality (issue 4 item 3) ---- */

/* 1 if a starts with b (lengths given). */
static int starts_with(const char *a, size_t al, const char *b, size_t bl)
{
    return al >= bl && memcmp(a, b, bl) == 0;
}

/* Apply (or undo, opt ZMQ_UNSUBSCRIBE) what a subscription to prefix may
 * cover within the allowed topic root: the root itself when the prefix is
 * broader, the prefix when it lies inside the root. Returns 1 if applied. */
static int narrow(ismo_server_t *s, int opt, const char *prefix, size_t pl, const char *root, size_t rl)
{
    if (starts_with(root, rl, prefix, pl)) {
        zmq_setsockopt(s->pub, opt, root, rl);
        return 1;
    }
    if (starts_with(prefix, pl, root, rl)) {
        zmq_setsockopt(s->pub, opt, prefix, pl);
        return 1;
    }
    return 0;
}

/* One subscription message from the XPUB socket ([1|0][topic prefix]).
 * Auditors, admins (and every peer with --insecure) get what they ask for.
 * A peer limited to functions F1..Fn gets, for each event kind K and each
 * Fi, the part of its prefix inside "K.Fi." ("" and "status." become
 * "status.Fi.", a prefix for another function nothing), and "heartbeat."
 * when asked. The subscription applies to the peer that sent it (libzmq's
 * manual mode: setsockopt right after the receive). */
static void on_subscription(ismo_server_t *s)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, s->pub, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return;
    }
    const char *d = zmq_msg_data(&m);
    size_t len = zmq_msg_size(&m);
    if (len < 1 || (d[0] != 0 && d[0] != 1)) {
        zmq_msg_close(&m);
        return;
    }
    int opt = d[0] == 1 ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE;
    const char *prefix = d + 1;
    size_t pl = len - 1;
    ismo_peer peer;
    memset(&peer, 0, sizeof peer);
    if (!s->zap) {
        zmq_setsockopt(s->pub, opt, prefix, pl);
        zmq_msg_close(&m);
        return;
    }
    const char *key = zmq_msg_gets(&m, "Key");
    if (!key || !ismo_zap_lookup(s->zap, key, &peer)) {
        if (opt == ZMQ_SUBSCRIBE) { /* unsubscriptions at disconnect carry no metadata */
            ISMO_WARN("server", "subscription from a peer without a current certificate dropped");
        }
        zmq_msg_close(&m);
        return;
    }
    if (!ismo_peer_limited(&peer)) {
        zmq_setsockopt(s->pub, opt, prefix, pl);
        zmq_msg_close(&m);
        return;
    }
    static const char *const kinds[] = {"status", "reminder", "objective", "ack", "review", "event"};
    int applied = narrow(s, opt, prefix, pl, "heartbeat.", 10);
    for (const char *f = peer.functions; *f;) {
        const char *end = strchr(f, ',');
        size_t fl = end ? (size_t)(end - f) : strlen(f);
        while (fl > 0 && *f == ' ') {
            f++, fl--;
        }
        while (fl > 0 && f[fl - 1] == ' ') {
            fl--;
        }
        for (size_t k = 0; fl > 0 && k < sizeof kinds / sizeof kinds[0]; k++) {
            char root[300];
            int rl = snprintf(root, sizeof root, "%s.%.*s.", kinds[k], (int)fl, f);
            if (rl > 0 && (size_t)rl < sizeof root) {
                applied |= narrow(s, opt, prefix, pl, root, (size_t)rl);
            }
        }
        if (!end) {
            break;
        }
        f = end + 1;
    }
    if (!applied && opt == ZMQ_SUBSCRIBE) {
        ISMO_WARN("server", "subscription of %s to '%.*s' dropped: not its functions (%s)", peer.name,
                  (int)(pl < 80 ? pl : 80), prefix, peer.functions);
    }
    zmq_msg_close(&m);
}

/* Publish a heartbeat carrying the newest stored event seq (not stored). */
static void heartbeat(ismo_server_t *s)
{
    ismo_txn_t *rt = NULL;
    uint64_t last = 0;
    if (ismo_txn_begin(s->store, 0, &rt) == ISMO_OK) {
        ismo_store_last_seq(rt, &last);
        ismo_txn_abort(&rt);
    }
    Ismo__V1__Event e = ISMO__V1__EVENT__INIT;
    e.has_seq = 1;
    e.seq = last;
    e.has_kind = 1;
    e.kind = ISMO__V1__EVENT_KIND__HEARTBEAT;
    e.has_time_ms = 1;
    e.time_ms = server_now(s);
    uint8_t buf[64];
    size_t len = ismo__v1__event__pack(&e, buf);
    zmq_send(s->pub, "heartbeat.", 10, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(s->pub, buf, len, ZMQ_DONTWAIT);
}

ismo_err ismo_server_run(ismo_server_t *s)
{
    static inmsg msgs[DRAIN_MAX];
    s->next_tick_ms = ismo_mono_ms();
    while (!s->stop) {
        int64_t now = ismo_mono_ms();
        int64_t next = s->next_tick_ms;
        if (s->cfg.heartbeat_ms > 0 && s->next_heartbeat_ms < next) {
            next = s->next_heartbeat_ms;
        }
        long wait = (long)(next - now);
        if (wait < 0) {
            wait = 0;
        }
        if (wait > 200) {
            wait = 200; /* re-check the stop flag regularly */
        }
        if (s->cfg.now_fn && wait > 2) {
            wait = 2; /* a test clock may jump at any time: notice it promptly */
        }
        zmq_pollitem_t items[2] = {{s->router, 0, ZMQ_POLLIN, 0}, {s->pub, 0, ZMQ_POLLIN, 0}};
        zmq_pollitem_t *item = &items[0];
        int rc = zmq_poll(items, 2, wait);
        if (rc < 0 && errno != EINTR) {
            ISMO_ERROR("server", "zmq_poll: %s", zmq_strerror(errno));
            return ISMO_ERR_TRANSPORT;
        }
        if (rc > 0 && (items[1].revents & ZMQ_POLLIN)) {
            for (int k = 0; k < 1000; k++) { /* subscriptions: bounded per turn, requests wait little */
                int ev = 0;
                size_t evl = sizeof ev;
                if (zmq_getsockopt(s->pub, ZMQ_EVENTS, &ev, &evl) != 0 || !(ev & ZMQ_POLLIN)) {
                    break;
                }
                on_subscription(s);
            }
        }
        size_t n = 0;
        if (rc > 0 && (item->revents & ZMQ_POLLIN)) {
            while (n < DRAIN_MAX && recv_one(s, &msgs[n], ZMQ_DONTWAIT) == 0) {
                n++;
            }
        }
        /* ticks follow the server's clock too: a clock that jumped (a test
         * clock, a stepped wall clock) by a tick or more ticks at once */
        int64_t clock = server_now(s);
        int tick = ismo_mono_ms() >= s->next_tick_ms || clock - s->last_tick_clock_ms >= s->cfg.tick_ms ||
                   clock < s->last_tick_clock_ms;
        if (tick) {
            s->last_tick_clock_ms = clock;
            s->next_tick_ms = ismo_mono_ms() + s->cfg.tick_ms;
        }
        if (n > 0 || tick) {
            handle_batch(s, msgs, n, tick);
        }
        if (s->zap && ismo_mono_ms() >= s->next_keys_ms) {
            /* key changes (certificates added, removed, rewritten) go to the audit trail */
            char changes[ISMO_AUDIT_MAX_DETAIL_BYTES + 1];
            s->next_keys_ms = ismo_mono_ms() + ISMO_ZAP_RESCAN_MS;
            if (ismo_zap_take_changes(s->zap, changes, sizeof changes)) {
                ismo_audit_append_now(s->audit, s->store, server_now(s), "ismod", "keys.change", changes);
            }
        }
        if (s->cfg.heartbeat_ms > 0 && ismo_mono_ms() >= s->next_heartbeat_ms) {
            s->next_heartbeat_ms = ismo_mono_ms() + s->cfg.heartbeat_ms;
            heartbeat(s);
        }
        for (size_t i = 0; i < n; i++) {
            zmq_msg_close(&msgs[i].body);
        }
    }
    ISMO_INFO("server", "stopping");
    ismo_audit_checkpoint_now(s->audit, s->store, server_now(s)); /* signed at a clean stop */
    return ISMO_OK;
}
