/* bench_server: ismod in-process for ismo-bench (see bench_server.h).
 * The server runs in one thread exactly as tests/ismod/harness.c does; the
 * benchmark talks to it only over its public endpoints. */
#include "bench_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_raw.h"
#include "ismo_log.h"
#include "ismo_time.h"

static void *run(void *arg)
{
    bench_server *b = arg;
    ismo_err err = ismo_server_run(b->server);
    if (err != ISMO_OK) {
        fprintf(stderr, "ismo-bench: server loop ended: %s\n", ismo_strerror(err));
    }
    return NULL;
}

void bench_server_init(bench_server *b, const char *base, int64_t tick_ms)
{
    memset(b, 0, sizeof *b);
    ismo_config_defaults(&b->cfg);
    if (!base) {
        base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    }
    snprintf(b->dir, sizeof b->dir, "%s/ismo-bench-XXXXXX", base);
    if (!mkdtemp(b->dir)) {
        perror("ismo-bench: mkdtemp");
        exit(1);
    }
    snprintf(b->cfg.data_dir, sizeof b->cfg.data_dir, "%s/data", b->dir);
    snprintf(b->cfg.endpoint, sizeof b->cfg.endpoint, "tcp://127.0.0.1:*");
    snprintf(b->cfg.pub_endpoint, sizeof b->cfg.pub_endpoint, "tcp://127.0.0.1:*");
    b->cfg.tick_ms = tick_ms;
    b->cfg.insecure = 1; /* plain TCP on loopback, like the baseline it is compared with */
    b->cfg.no_sync = 0; /* durable: every reply follows an fsync'ed commit */
    /* a sparse 1 GiB map from the start, so that map growth (an aborted and
     * retried step, logged as MAP_FULL) does not land inside a measurement */
    b->cfg.map_size_bytes = (int64_t)1 << 30;
    b->cfg.log_level = ISMO_LOG_WARN;
}

void bench_server_start(bench_server *b)
{
    char why[512];
    if (b->endpoint[0]) { /* restart: ephemeral ports again (clients reconnect anew) */
        snprintf(b->cfg.endpoint, sizeof b->cfg.endpoint, "tcp://127.0.0.1:*");
        snprintf(b->cfg.pub_endpoint, sizeof b->cfg.pub_endpoint, "tcp://127.0.0.1:*");
    }
    ismo_err err = ismo_server_new(&b->cfg, &b->server, why, sizeof why);
    if (err != ISMO_OK) {
        fprintf(stderr, "ismo-bench: cannot start ismod: %s\n", why);
        exit(1);
    }
    snprintf(b->endpoint, sizeof b->endpoint, "%s", ismo_server_endpoint(b->server));
    snprintf(b->pub_endpoint, sizeof b->pub_endpoint, "%s", ismo_server_pub_endpoint(b->server));
    if (pthread_create(&b->thread, NULL, run, b) != 0) {
        fprintf(stderr, "ismo-bench: cannot start the server thread\n");
        exit(1);
    }
    b->running = 1;
}

void bench_server_stop(bench_server *b)
{
    if (!b->running) {
        return;
    }
    ismo_server_stop(b->server);
    pthread_join(b->thread, NULL);
    ismo_server_destroy(&b->server);
    b->running = 0;
}

void bench_server_cleanup(bench_server *b)
{
    bench_server_stop(b);
    if (!b->dir[0]) {
        return;
    }
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "ismo-bench: could not remove %s\n", b->dir);
    }
    b->dir[0] = 0;
}

void bench_server_data_file(const bench_server *b, char *buf, size_t len)
{
    snprintf(buf, len, "%s/data.mdb", b->cfg.data_dir);
}

void bench_objective(Ismo__V1__Objective *o, Ismo__V1__Metric *m, const char *id,
                     const char *function, int maintain, int64_t now_ms, int64_t deadline_ms)
{
    ismo__v1__objective__init(o);
    ismo__v1__metric__init(m);
    m->name = "bench_value";
    m->unit = "%";
    m->has_direction = 1;
    m->direction = ISMO__V1__DIRECTION__HIGHER_IS_BETTER;
    m->has_aggregation = 1;
    m->aggregation = ISMO__V1__AGGREGATION__LAST;
    m->has_window_ms = 1;
    m->window_ms = 0;
    m->has_frequency_ms = 1;
    m->frequency_ms = 0;
    o->id = (char *)id;
    o->title = "benchmark objective";
    o->function = (char *)function;
    o->owner = "bench";
    o->has_level = 1;
    o->level = ISMO__V1__LEVEL__OPERATIONAL;
    o->metric = m;
    o->has_baseline = 1;
    o->baseline = 0;
    o->has_target = 1;
    o->target = 100;
    o->has_target_mode = 1;
    o->target_mode = maintain ? ISMO__V1__TARGET_MODE__MAINTAIN : ISMO__V1__TARGET_MODE__REACH;
    o->has_start_ms = 1;
    o->start_ms = now_ms - 86400000LL;
    o->has_deadline_ms = 1;
    o->deadline_ms = deadline_ms;
}

typedef struct put_ctx {
    const char *prefix;
    int n_functions;
    int maintain;
    bench_deadline_fn deadline_fn;
    void *ctx;
    int64_t now_ms;
} put_ctx;

static int make_put(void *vctx, int client, uint64_t seq, uint8_t **buf, size_t *len)
{
    put_ctx *p = vctx;
    char id[80], fn[16];
    snprintf(id, sizeof id, "%s%llu", p->prefix, (unsigned long long)seq);
    snprintf(fn, sizeof fn, "f%d", (int)(seq % (uint64_t)p->n_functions));
    Ismo__V1__Objective o;
    Ismo__V1__Metric m;
    int64_t deadline = p->deadline_fn ? p->deadline_fn(p->ctx, seq, p->now_ms)
                                      : p->now_ms + 365LL * 86400000;
    bench_objective(&o, &m, id, fn, p->maintain, p->now_ms, deadline);
    Ismo__V1__PutObjectiveRequest put = ISMO__V1__PUT_OBJECTIVE_REQUEST__INIT;
    put.objective = &o;
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    req.has_protocol = 1;
    req.protocol = ISMO_PROTOCOL_VERSION;
    req.has_request_id = 1;
    req.request_id = seq + 1;
    req.actor = "ismo-bench";
    req.reason = "benchmark load";
    req.body_case = ISMO__V1__REQUEST__BODY_PUT_OBJECTIVE;
    req.put_objective = &put;
    (void)client;
    return ismo_codec_pack(&req.base, buf, len) == ISMO_OK ? 0 : -1;
}

uint64_t bench_put_objectives(const char *endpoint, const char *prefix, uint64_t count,
                              int n_functions, int maintain, bench_deadline_fn deadline_fn,
                              void *ctx, double time_limit_s)
{
    put_ctx p = {prefix, n_functions > 0 ? n_functions : 1, maintain, deadline_fn, ctx, ismo_now_ms()};
    return bench_pipeline(endpoint, count, 256, time_limit_s, make_put, &p, NULL);
}
