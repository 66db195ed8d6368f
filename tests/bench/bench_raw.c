/* bench_raw: baselines (null ZeroMQ server, LMDB-only inserts) and the
 * pipelined loader of ismo-bench (see bench_raw.h). This file, and only this
 * file, includes zmq.h and lmdb.h: a baseline must not run ismod's code. */
#include "bench_raw.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ismo_codec.h"

/* ---- null server ---------------------------------------------------------- */

struct bench_null_server {
    void *ctx;
    void *router;
    pthread_t thread;
    char endpoint[256];
    uint8_t *reply;
    size_t reply_len;
};

static void *null_run(void *arg)
{
    bench_null_server *s = arg;
    for (;;) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, s->router, 0) < 0) {
            zmq_msg_close(&id);
            break; /* context terminated */
        }
        zmq_msg_init(&body);
        int more = zmq_msg_more(&id);
        while (more) {
            zmq_msg_close(&body);
            zmq_msg_init(&body);
            if (zmq_msg_recv(&body, s->router, 0) < 0) {
                break;
            }
            more = zmq_msg_more(&body);
        }
        zmq_msg_close(&body);
        zmq_msg_send(&id, s->router, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(s->router, s->reply, s->reply_len, ZMQ_DONTWAIT);
        zmq_msg_close(&id);
    }
    return NULL;
}

bench_null_server *bench_null_server_new(void)
{
    bench_null_server *s = calloc(1, sizeof *s);
    if (!s) {
        return NULL;
    }
    /* the reply a durable push gets: OK, accepted 1 */
    Ismo__V1__PushSamplesReply pr = ISMO__V1__PUSH_SAMPLES_REPLY__INIT;
    pr.has_accepted = 1;
    pr.accepted = 1;
    Ismo__V1__Reply r = ISMO__V1__REPLY__INIT;
    r.has_request_id = 1;
    r.request_id = 1;
    r.has_code = 1;
    r.code = ISMO__V1__STATUS_CODE__OK;
    r.body_case = ISMO__V1__REPLY__BODY_PUSH_SAMPLES;
    r.push_samples = &pr;
    if (ismo_codec_pack(&r.base, &s->reply, &s->reply_len) != ISMO_OK) {
        free(s);
        return NULL;
    }
    s->ctx = zmq_ctx_new();
    s->router = zmq_socket(s->ctx, ZMQ_ROUTER);
    int zero = 0, hwm = 100000;
    zmq_setsockopt(s->router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s->router, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_bind(s->router, "tcp://127.0.0.1:*") != 0) {
        fprintf(stderr, "ismo-bench: null server bind: %s\n", zmq_strerror(errno));
        zmq_close(s->router);
        zmq_ctx_term(s->ctx);
        free(s->reply);
        free(s);
        return NULL;
    }
    size_t len = sizeof s->endpoint;
    zmq_getsockopt(s->router, ZMQ_LAST_ENDPOINT, s->endpoint, &len);
    pthread_create(&s->thread, NULL, null_run, s);
    return s;
}

const char *bench_null_server_endpoint(const bench_null_server *s) { return s->endpoint; }

void bench_null_server_destroy(bench_null_server **s_p)
{
    if (!s_p || !*s_p) {
        return;
    }
    bench_null_server *s = *s_p;
    zmq_ctx_shutdown(s->ctx); /* wakes the thread's blocking recv with ETERM */
    pthread_join(s->thread, NULL);
    zmq_close(s->router);
    zmq_ctx_term(s->ctx);
    free(s->reply);
    free(s);
    *s_p = NULL;
}

/* ---- closed-loop driver ---------------------------------------------------- */

static void *dealer(void *ctx, const char *endpoint)
{
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, hwm = 100000;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(d, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(d, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_connect(d, endpoint) != 0) {
        fprintf(stderr, "ismo-bench: connect %s: %s\n", endpoint, zmq_strerror(errno));
        zmq_close(d);
        return NULL;
    }
    return d;
}

static int send_one(void *sock, bench_make_req make_req, void *ctx, int client, uint64_t seq)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (make_req(ctx, client, seq, &buf, &len) != 0) {
        return -1;
    }
    int rc = zmq_send(sock, buf, len, 0);
    free(buf);
    return rc < 0 ? -1 : 0;
}

uint64_t bench_drive(const char *endpoint, int n_clients, uint64_t total, double time_s,
                     bench_make_req make_req, void *ctx, bench_series *lat, double *elapsed_s)
{
    void *zctx = zmq_ctx_new();
    void **socks = calloc((size_t)n_clients, sizeof *socks);
    int64_t *sent_at = calloc((size_t)n_clients, sizeof *sent_at);
    zmq_pollitem_t *items = calloc((size_t)n_clients, sizeof *items);
    uint64_t seq = 0, done = 0;
    int inflight = 0;
    for (int c = 0; c < n_clients; c++) {
        socks[c] = dealer(zctx, endpoint);
        if (!socks[c]) {
            goto out;
        }
        items[c].socket = socks[c];
        items[c].events = ZMQ_POLLIN;
    }
    int64_t start = bench_now_ns();
    int64_t deadline = start + (int64_t)(time_s * 1e9);
    for (int c = 0; c < n_clients && seq < total; c++) {
        sent_at[c] = bench_now_ns();
        if (send_one(socks[c], make_req, ctx, c, seq++) == 0) {
            inflight++;
        }
    }
    int stopping = 0;
    while (inflight > 0) {
        int64_t now = bench_now_ns();
        if (now >= deadline) {
            stopping = 1;
        }
        /* replies to requests in flight at the deadline still count, up to 10 s */
        if (now >= deadline + 10000000000LL) {
            fprintf(stderr, "ismo-bench: %d requests unanswered 10 s after the deadline\n", inflight);
            break;
        }
        int rc = zmq_poll(items, n_clients, 100);
        if (rc <= 0) {
            continue;
        }
        for (int c = 0; c < n_clients; c++) {
            if (!(items[c].revents & ZMQ_POLLIN)) {
                continue;
            }
            char buf[512];
            if (zmq_recv(socks[c], buf, sizeof buf, ZMQ_DONTWAIT) < 0) {
                continue;
            }
            int64_t t = bench_now_ns();
            inflight--;
            done++;
            if (lat) {
                bench_series_add(lat, (double)(t - sent_at[c]) / 1e3);
            }
            if (!stopping && seq < total && t < deadline) {
                sent_at[c] = t;
                if (send_one(socks[c], make_req, ctx, c, seq++) == 0) {
                    inflight++;
                }
            }
        }
    }
    if (elapsed_s) {
        *elapsed_s = (double)(bench_now_ns() - start) / 1e9;
    }
out:
    for (int c = 0; c < n_clients; c++) {
        if (socks[c]) {
            zmq_close(socks[c]);
        }
    }
    zmq_ctx_term(zctx);
    free(socks);
    free(sent_at);
    free(items);
    return done;
}

/* ---- pipelined loader ------------------------------------------------------ */

uint64_t bench_pipeline(const char *endpoint, uint64_t count, int window, double time_s,
                        bench_make_req make_req, void *ctx, uint64_t *sent_p)
{
    void *zctx = zmq_ctx_new();
    void *d = dealer(zctx, endpoint);
    uint64_t sent = 0, ok = 0, answered = 0, bad = 0;
    if (!d) {
        zmq_ctx_term(zctx);
        return 0;
    }
    int64_t deadline = bench_now_ns() + (int64_t)(time_s * 1e9);
    int64_t last_reply = bench_now_ns();
    while (answered < sent || (sent < count && bench_now_ns() < deadline)) {
        while (sent < count && sent - answered < (uint64_t)window && bench_now_ns() < deadline) {
            if (send_one(d, make_req, ctx, 0, sent) != 0) {
                fprintf(stderr, "ismo-bench: loader: cannot send\n");
                goto out;
            }
            sent++;
        }
        zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 200) <= 0) {
            if (bench_now_ns() - last_reply > 60000000000LL) {
                fprintf(stderr, "ismo-bench: loader: no reply for 60 s, giving up\n");
                break;
            }
            continue;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        while (zmq_msg_recv(&m, d, ZMQ_DONTWAIT) >= 0) {
            answered++;
            last_reply = bench_now_ns();
            Ismo__V1__Reply *r = NULL;
            if (ismo_codec_decode_reply(zmq_msg_data(&m), zmq_msg_size(&m), &r) == ISMO_OK) {
                if (!r->has_code || r->code == ISMO__V1__STATUS_CODE__OK) {
                    ok++;
                } else if (bad++ < 3) {
                    fprintf(stderr, "ismo-bench: loader: reply %s: %s\n",
                            ismo_status_name(r->code), r->message ? r->message : "");
                }
                ismo__v1__reply__free_unpacked(r, NULL);
            }
        }
        zmq_msg_close(&m);
    }
out:
    if (sent_p) {
        *sent_p = sent;
    }
    zmq_close(d);
    zmq_ctx_term(zctx);
    return ok;
}

/* ---- LMDB-only baseline ---------------------------------------------------- */

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

double bench_lmdb_insert(const char *dir, uint64_t n, uint64_t batch, bench_sample_fn fn, void *ctx,
                         double time_s)
{
    MDB_env *env = NULL;
    MDB_dbi samples, ids;
    double rate = 0;
    int rc = mdb_env_create(&env);
    if (rc == 0) {
        rc = mdb_env_set_maxdbs(env, 4);
    }
    if (rc == 0) {
        rc = mdb_env_set_mapsize(env, (size_t)64 << 30); /* sparse file; only used pages count */
    }
    if (rc == 0) {
        rc = mdb_env_open(env, dir, MDB_NOTLS, 0600); /* synced commits, like ismod */
    }
    MDB_txn *txn = NULL;
    if (rc == 0) {
        rc = mdb_txn_begin(env, NULL, 0, &txn);
    }
    if (rc == 0) {
        rc = mdb_dbi_open(txn, "samples", MDB_CREATE, &samples);
    }
    if (rc == 0) {
        rc = mdb_dbi_open(txn, "sample_ids", MDB_CREATE, &ids);
    }
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (rc != 0) {
        fprintf(stderr, "ismo-bench: LMDB baseline: %s\n", mdb_strerror(rc));
        goto out;
    }
    int64_t start = bench_now_ns(), deadline = start + (int64_t)(time_s * 1e9);
    uint64_t i = 0;
    while (i < n && rc == 0 && bench_now_ns() < deadline) {
        rc = mdb_txn_begin(env, NULL, 0, &txn);
        for (uint64_t j = 0; j < batch && i < n && rc == 0; j++, i++) {
            const char *oid;
            int64_t eff;
            char sid[128];
            fn(ctx, i, &oid, &eff, sid, sizeof sid);
            Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
            s.objective_id = (char *)oid;
            s.has_value = 1;
            s.value = 42;
            s.has_effective_ms = 1;
            s.effective_ms = eff;
            s.source = "bench";
            s.sample_id = sid;
            s.has_received_ms = 1;
            s.received_ms = eff;
            uint8_t k[ISMO_MAX_ID_BYTES + 17];
            size_t kl = strlen(oid);
            memcpy(k, oid, kl);
            k[kl] = 0;
            be64(k + kl + 1, (uint64_t)eff ^ (UINT64_C(1) << 63));
            be64(k + kl + 9, i + 1);
            MDB_val key = {kl + 17, k};
            MDB_val val = {protobuf_c_message_get_packed_size(&s.base), NULL};
            rc = mdb_put(txn, samples, &key, &val, MDB_RESERVE);
            if (rc == 0) {
                protobuf_c_message_pack(&s.base, val.mv_data);
                uint8_t b[8];
                be64(b, i + 1);
                MDB_val ik = {strlen(sid), sid}, iv = {8, b};
                rc = mdb_put(txn, ids, &ik, &iv, 0);
            }
        }
        if (rc == 0) {
            rc = mdb_txn_commit(txn);
        } else {
            mdb_txn_abort(txn);
        }
        txn = NULL;
    }
    double el = (double)(bench_now_ns() - start) / 1e9;
    if (rc != 0) {
        fprintf(stderr, "ismo-bench: LMDB baseline: %s\n", mdb_strerror(rc));
    } else if (el > 0) {
        rate = (double)i / el;
    }
out:
    if (env) {
        mdb_env_close(env);
    }
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -f '%s/data.mdb' '%s/lock.mdb'", dir, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "ismo-bench: could not clean %s\n", dir);
    }
    return rate;
}

void bench_lmdb_describe(const char *dir, char *buf, size_t len, double *samples_bytes,
                         double *sample_ids_bytes)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_cursor *c = NULL;
    size_t used = 0;
    buf[0] = 0;
    *samples_bytes = *sample_ids_bytes = 0;
    int rc = mdb_env_create(&env);
    if (rc == 0) {
        rc = mdb_env_set_maxdbs(env, 32);
    }
    if (rc == 0) {
        rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600);
    }
    if (rc == 0) {
        rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    }
    MDB_dbi main_dbi;
    if (rc == 0) {
        rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
    }
    if (rc == 0) {
        rc = mdb_cursor_open(txn, main_dbi, &c);
    }
    MDB_stat est;
    if (rc == 0 && mdb_env_stat(env, &est) == 0) {
        used += (size_t)snprintf(buf + used, len - used, "page size %u bytes\n", est.ms_psize);
    }
    MDB_val k, v;
    for (int r = rc == 0 ? mdb_cursor_get(c, &k, &v, MDB_FIRST) : rc; r == 0 && used < len;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(k.mv_size < 63 ? k.mv_size : 63), (char *)k.mv_data);
        MDB_dbi d;
        MDB_stat st;
        if (mdb_dbi_open(txn, name, 0, &d) != 0 || mdb_stat(txn, d, &st) != 0) {
            continue;
        }
        double pages = (double)(st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages);
        double bytes = pages * st.ms_psize;
        if (strcmp(name, "samples") == 0) {
            *samples_bytes = bytes;
        } else if (strcmp(name, "sample_ids") == 0) {
            *sample_ids_bytes = bytes;
        }
        used += (size_t)snprintf(buf + used, len - used,
                                 "%-12s entries %10zu depth %u pages: branch %8zu leaf %9zu overflow %6zu = %.1f MiB\n",
                                 name, st.ms_entries, st.ms_depth, st.ms_branch_pages, st.ms_leaf_pages,
                                 st.ms_overflow_pages, bytes / 1048576.0);
    }
    if (rc != 0) {
        snprintf(buf, len, "cannot read %s: %s\n", dir, mdb_strerror(rc));
    }
    if (c) {
        mdb_cursor_close(c);
    }
    if (txn) {
        mdb_txn_abort(txn);
    }
    if (env) {
        mdb_env_close(env);
    }
}
