/* ismo-bench: how close ismod is to the machine's limits (issue 6,
 * docs/performance.md). Starts ismod in-process on tcp://127.0.0.1:* with a
 * fresh durable data directory per scenario, measures each figure several
 * times (median and min..max) next to a baseline measured in the same run,
 * prints a table and appends the figures as JSON lines.
 *
 * Scenarios (--only NAME[,NAME]):
 *   ingest  durable batched ingest: N agents (threads, one ismo_client each)
 *           push batches of B samples; baselines: the same request bytes
 *           through raw DEALER->ROUTER into a null server, and the same keys
 *           inserted straight into LMDB with synced commits;
 *   single  one sample per request, 50 concurrent clients each waiting for
 *           its reply; baseline: the same driver against the null server;
 *   event   push-to-event latency (a sample flipping an objective's health to
 *           the STATUS_CHANGED on a SUB socket); baseline: a raw round trip;
 *   scale   100,000 objectives and 10 M samples (times --scale): load rate,
 *           bytes on disk per sample, start-up, status p99 while ingesting,
 *           report generation;
 *   tick    scheduler tick with 100 k and 1 M pending reminders (times
 *           --scale) and the same number due;
 *   agent   ismo-agent with 10 collectors every second: RSS and CPU.
 *
 * Everything is bounded in count and time. Only 127.0.0.1 is used.
 * Raw libzmq and LMDB are used in bench_raw.c only (baselines, bulk loader);
 * the scheduler tick is timed by calling ismo_monitor_tick (server/work.h) on
 * a closed store, so the clock can be set where a known number is due. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_raw.h"
#include "bench_server.h"
#include "bench_stats.h"
#include "ismo.h"
#include "ismo_log.h"
#include "ismo_time.h"
#include "store.h"
#include "work.h"

#define DAY_MS 86400000LL

typedef struct opts {
    int quick;
    double scale;            /* at-scale sizes multiplier (1 = 100 k objectives, 10 M samples) */
    char only[128];
    char json[1024];
    char agent[1024];
    char cli[1024];
    int agent_seconds;
    int runs;                /* repetitions of the short measurements */
    int agents;              /* N of the batched ingest */
    int batch;               /* B of the batched ingest */
    double load_budget_s;    /* upper bound on the at-scale sample load */
} opts;

static opts O;

static int selected(const char *name)
{
    if (!O.only[0]) {
        return 1;
    }
    char buf[128];
    snprintf(buf, sizeof buf, "%s", O.only);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, name) == 0) {
            return 1;
        }
    }
    return 0;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ismo-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static ismo_client_t *client_or_die(const char *endpoint, const char *actor)
{
    ismo_client_t *c = ismo_client_new(endpoint, actor);
    if (!c) {
        say("cannot create a client for %s", endpoint);
        exit(1);
    }
    ismo_client_set_timeout_ms(c, 60000);
    return c;
}

/* Put n objectives "<prefix><i>" one request at a time (small counts). */
static void put_few(const char *endpoint, const char *prefix, int n, const char *function, int maintain)
{
    ismo_client_t *c = client_or_die(endpoint, "ismo-bench");
    int64_t now = ismo_now_ms();
    for (int i = 0; i < n; i++) {
        char id[80];
        snprintf(id, sizeof id, "%s%d", prefix, i);
        Ismo__V1__Objective o;
        Ismo__V1__Metric m;
        bench_objective(&o, &m, id, function, maintain, now, now + 365 * DAY_MS);
        Ismo__V1__Reply *r = NULL;
        ismo_err err = ismo_put_objective(c, &o, &r);
        if (err != ISMO_OK) {
            say("put objective %s: %s", id, ismo_client_error(c));
            exit(1);
        }
        ismo__v1__reply__free_unpacked(r, NULL);
    }
    ismo_client_destroy(&c);
}

/* Pack a PushSamples request of the samples in s[0..n). */
static int pack_push(Ismo__V1__Sample **s, size_t n, uint64_t request_id, uint8_t **buf, size_t *len)
{
    Ismo__V1__PushSamplesRequest p = ISMO__V1__PUSH_SAMPLES_REQUEST__INIT;
    p.n_samples = n;
    p.samples = s;
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    req.has_protocol = 1;
    req.protocol = ISMO_PROTOCOL_VERSION;
    req.has_request_id = 1;
    req.request_id = request_id;
    req.actor = "ismo-bench";
    req.body_case = ISMO__V1__REQUEST__BODY_PUSH_SAMPLES;
    req.push_samples = &p;
    return ismo_codec_pack(&req.base, buf, len) == ISMO_OK ? 0 : -1;
}

/* ======================= 1. durable batched ingest ======================= */

typedef struct ingest_arg {
    const char *endpoint;
    int agent, objectives_per_agent, batch, batches, run;
    double time_s;
    pthread_barrier_t *barrier;
    uint64_t accepted;
    int failed;
} ingest_arg;

static void *ingest_thread(void *p)
{
    ingest_arg *a = p;
    char actor[32];
    snprintf(actor, sizeof actor, "agent:bench-%d", a->agent);
    ismo_client_t *c = client_or_die(a->endpoint, actor);
    Ismo__V1__Sample *s = calloc((size_t)a->batch, sizeof *s);
    Ismo__V1__Sample **sp = calloc((size_t)a->batch, sizeof *sp);
    char (*ids)[48] = calloc((size_t)a->batch, sizeof *ids);
    char (*oids)[32] = calloc((size_t)a->objectives_per_agent, sizeof *oids);
    for (int j = 0; j < a->objectives_per_agent; j++) {
        snprintf(oids[j], sizeof oids[j], "ing-%d-%d", a->agent, j);
    }
    for (int j = 0; j < a->batch; j++) {
        ismo__v1__sample__init(&s[j]);
        s[j].objective_id = oids[j % a->objectives_per_agent];
        s[j].has_value = 1;
        s[j].value = 42;
        s[j].source = "bench";
        s[j].sample_id = ids[j];
        sp[j] = &s[j];
    }
    pthread_barrier_wait(a->barrier);
    int64_t deadline = bench_now_ns() + (int64_t)(a->time_s * 1e9);
    uint64_t seq = 0;
    for (int b = 0; b < a->batches && bench_now_ns() < deadline; b++) {
        for (int j = 0; j < a->batch; j++) {
            snprintf(ids[j], sizeof ids[j], "r%d-a%d-%" PRIu64, a->run, a->agent, seq++);
        }
        Ismo__V1__Reply *r = NULL;
        ismo_err err = ismo_push_samples(c, sp, (size_t)a->batch, &r);
        if (err != ISMO_OK) {
            say("ingest agent %d: %s", a->agent, ismo_client_error(c));
            a->failed = 1;
            if (r) {
                ismo__v1__reply__free_unpacked(r, NULL);
            }
            break;
        }
        a->accepted += r->push_samples ? r->push_samples->accepted : 0;
        ismo__v1__reply__free_unpacked(r, NULL);
    }
    ismo_client_destroy(&c);
    free(s);
    free(sp);
    free(ids);
    free(oids);
    return NULL;
}

typedef struct prepacked {
    uint8_t *buf;
    size_t len;
} prepacked;

static int make_prepacked(void *ctx, int client, uint64_t seq, uint8_t **buf, size_t *len)
{
    prepacked *p = ctx;
    (void)client;
    (void)seq;
    *buf = malloc(p->len);
    if (!*buf) {
        return -1;
    }
    memcpy(*buf, p->buf, p->len);
    *len = p->len;
    return 0;
}

typedef struct lmdb_keys {
    int agents, per_agent, batch;
    int64_t t0;
    char (*oids)[32];
} lmdb_keys;

/* Sample i of the LMDB baseline: the same objective, time and id pattern as
 * the ingest threads produce (agents interleaved batch by batch). */
static void lmdb_sample(void *ctx, uint64_t i, const char **oid, int64_t *eff, char *sid, size_t sid_len)
{
    lmdb_keys *k = ctx;
    uint64_t per_round = (uint64_t)k->agents * (uint64_t)k->batch;
    int agent = (int)((i % per_round) / (uint64_t)k->batch);
    uint64_t seq = (i / per_round) * (uint64_t)k->batch + i % (uint64_t)k->batch;
    *oid = k->oids[agent * k->per_agent + (int)(seq % (uint64_t)k->per_agent)];
    *eff = k->t0 + (int64_t)(i / 1000); /* ~1000 samples per ms, as at 1 M/s */
    snprintf(sid, sid_len, "r0-a%d-%" PRIu64, agent, seq);
}

static void scenario_ingest(void)
{
    int n = O.agents, b = O.batch, per = 25;
    int batches = O.quick ? 20 : 250;
    int runs = O.runs;
    double cap_s = O.quick ? 3 : 8;
    say("ingest: %d agents x %d batches of %d samples, %d objectives per agent, %d runs", n, batches, b,
        per, runs);
    bench_series ismo_rate = {0}, zmq_rate = {0}, lmdb_rate = {0};
    for (int run = 0; run < runs; run++) {
        bench_server bs;
        bench_server_init(&bs, NULL, 1000);
        bench_server_start(&bs);
        for (int a = 0; a < n; a++) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "ing-%d-", a);
            put_few(bs.endpoint, prefix, per, "bench", 0);
        }
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, (unsigned)n + 1);
        ingest_arg *args = calloc((size_t)n, sizeof *args);
        pthread_t *th = calloc((size_t)n, sizeof *th);
        for (int a = 0; a < n; a++) {
            args[a] = (ingest_arg){bs.endpoint, a, per, b, batches, run, cap_s, &bar, 0, 0};
            pthread_create(&th[a], NULL, ingest_thread, &args[a]);
        }
        pthread_barrier_wait(&bar);
        int64_t t0 = bench_now_ns();
        uint64_t acc = 0;
        int failed = 0;
        for (int a = 0; a < n; a++) {
            pthread_join(th[a], NULL);
            acc += args[a].accepted;
            failed |= args[a].failed;
        }
        double el = (double)(bench_now_ns() - t0) / 1e9;
        pthread_barrier_destroy(&bar);
        free(args);
        free(th);
        bench_server_cleanup(&bs);
        if (!failed) {
            bench_series_add(&ismo_rate, (double)acc / el);
        }

        /* raw zmq: the same bytes (a packed 1000-sample PushSamples) to a null server */
        Ismo__V1__Sample *s = calloc((size_t)b, sizeof *s);
        Ismo__V1__Sample **sp = calloc((size_t)b, sizeof *sp);
        char (*ids)[48] = calloc((size_t)b, sizeof *ids);
        for (int j = 0; j < b; j++) {
            ismo__v1__sample__init(&s[j]);
            s[j].objective_id = "ing-0-0";
            s[j].has_value = 1;
            s[j].value = 42;
            s[j].source = "bench";
            snprintf(ids[j], sizeof ids[j], "r%d-a0-%d", run, j);
            s[j].sample_id = ids[j];
            sp[j] = &s[j];
        }
        prepacked pp;
        pack_push(sp, (size_t)b, 1, &pp.buf, &pp.len);
        bench_null_server *ns = bench_null_server_new();
        double zel = 0;
        uint64_t answered = bench_drive(bench_null_server_endpoint(ns), n, (uint64_t)n * (uint64_t)batches,
                                        cap_s, make_prepacked, &pp, NULL, &zel);
        bench_null_server_destroy(&ns);
        if (answered > 0 && zel > 0) {
            bench_series_add(&zmq_rate, (double)answered * b / zel);
        }
        free(pp.buf);
        free(s);
        free(sp);
        free(ids);

        /* LMDB only: the same keys, committed (synced) every n*b samples */
        lmdb_keys k = {n, per, b, ismo_now_ms(), calloc((size_t)(n * per), 32)};
        for (int a = 0; a < n; a++) {
            for (int j = 0; j < per; j++) {
                snprintf(k.oids[a * per + j], 32, "ing-%d-%d", a, j);
            }
        }
        char dir[256];
        snprintf(dir, sizeof dir, "%s/ismo-bench-lmdb-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (mkdtemp(dir)) {
            double r = bench_lmdb_insert(dir, (uint64_t)n * batches * b, (uint64_t)n * b, lmdb_sample, &k, cap_s);
            if (r > 0) {
                bench_series_add(&lmdb_rate, r);
            }
            rmdir(dir);
        }
        free(k.oids);
        say("ingest run %d: ismod %.0f/s, raw zmq %.0f/s, LMDB only %.0f/s", run + 1,
            ismo_rate.n ? ismo_rate.v[ismo_rate.n - 1] : 0, zmq_rate.n ? zmq_rate.v[zmq_rate.n - 1] : 0,
            lmdb_rate.n ? lmdb_rate.v[lmdb_rate.n - 1] : 0);
    }
    char note[200];
    snprintf(note, sizeof note, "%d agents x batches of %d, up to %d batches each or %.0f s per run; fresh data dir per run",
             n, b, batches, cap_s);
    bench_figure("ingest", "batched durable ingest", "samples/s", &ismo_rate, "LMDB-only synced batches",
                 &lmdb_rate, GOAL_RATIO_MIN, 0.5, ">= 50% of LMDB-only", note);
    bench_figure("ingest", "batched durable ingest", "samples/s", &ismo_rate, "raw zmq DEALER->ROUTER null sink",
                 &zmq_rate, GOAL_AT_LEAST, 1e6, ">= 1,000,000/s", NULL);
    bench_figure("ingest", "LMDB-only batched insert", "samples/s", &lmdb_rate, NULL, NULL, GOAL_NONE, 0, NULL,
                 "same keys and values as ismod stores, one synced commit per N*B samples");
    bench_series_free(&ismo_rate);
    bench_series_free(&zmq_rate);
    bench_series_free(&lmdb_rate);
}

/* ================== 2. one sample per request, 50 clients ================= */

typedef struct single_ctx {
    int run;
    int n_objectives;
} single_ctx;

static int make_single(void *vctx, int client, uint64_t seq, uint8_t **buf, size_t *len)
{
    single_ctx *c = vctx;
    char oid[32], sid[48];
    snprintf(oid, sizeof oid, "one-%d", client % c->n_objectives);
    snprintf(sid, sizeof sid, "s%d-%" PRIu64, c->run, seq);
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    s.objective_id = oid;
    s.has_value = 1;
    s.value = 42;
    s.source = "bench";
    s.sample_id = sid;
    Ismo__V1__Sample *sp = &s;
    return pack_push(&sp, 1, seq + 1, buf, len);
}

static void scenario_single(void)
{
    int clients = 50, runs = O.runs;
    double secs = O.quick ? 1.0 : 3.0;
    say("single: %d clients, one sample per request, %.0f s x %d runs", clients, secs, runs);
    bench_server bs;
    bench_server_init(&bs, NULL, 1000);
    bench_server_start(&bs);
    put_few(bs.endpoint, "one-", clients, "bench", 0);
    bench_null_server *ns = bench_null_server_new();
    bench_series rate = {0}, p50 = {0}, p99 = {0}, p999 = {0};
    bench_series brate = {0}, b50 = {0}, b99 = {0}, b999 = {0};
    for (int run = 0; run < runs; run++) {
        single_ctx c = {run, clients};
        bench_series lat = {0};
        double el = 0;
        uint64_t done = bench_drive(bs.endpoint, clients, UINT64_MAX / 2, secs, make_single, &c, &lat, &el);
        if (done > 0) {
            bench_series_add(&rate, (double)done / el);
            bench_series_add(&p50, bench_pct(&lat, 50));
            bench_series_add(&p99, bench_pct(&lat, 99));
            bench_series_add(&p999, bench_pct(&lat, 99.9));
        }
        bench_series_free(&lat);
        done = bench_drive(bench_null_server_endpoint(ns), clients, UINT64_MAX / 2, secs, make_single, &c, &lat, &el);
        if (done > 0) {
            bench_series_add(&brate, (double)done / el);
            bench_series_add(&b50, bench_pct(&lat, 50));
            bench_series_add(&b99, bench_pct(&lat, 99));
            bench_series_add(&b999, bench_pct(&lat, 99.9));
        }
        bench_series_free(&lat);
        say("single run %d: ismod %.0f/s p99 %.0f us; null server %.0f/s p99 %.0f us", run + 1,
            rate.n ? rate.v[rate.n - 1] : 0, p99.n ? p99.v[p99.n - 1] : 0, brate.n ? brate.v[brate.n - 1] : 0,
            b99.n ? b99.v[b99.n - 1] : 0);
    }
    bench_null_server_destroy(&ns);
    bench_server_cleanup(&bs);
    const char *bn = "raw zmq null server, same driver";
    bench_figure("single", "1 sample/request, 50 clients", "samples/s", &rate, bn, &brate, GOAL_AT_LEAST, 1e5,
                 ">= 100,000/s", "one driver thread, 50 DEALER sockets, one request outstanding each");
    bench_figure("single", "latency p50", "us", &p50, bn, &b50, GOAL_NONE, 0, NULL, NULL);
    bench_figure("single", "latency p99", "us", &p99, bn, &b99, GOAL_AT_MOST, 2000, "<= 2 ms", NULL);
    bench_figure("single", "latency p99.9", "us", &p999, bn, &b999, GOAL_NONE, 0, NULL, NULL);
    bench_series *all[] = {&rate, &p50, &p99, &p999, &brate, &b50, &b99, &b999};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        bench_series_free(all[i]);
    }
}

/* ====================== 3. push-to-event latency ========================== */

static int push_value(ismo_client_t *c, const char *oid, double value, uint64_t seq)
{
    char sid[48];
    snprintf(sid, sizeof sid, "ev-%" PRIu64, seq);
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    s.objective_id = (char *)oid;
    s.has_value = 1;
    s.value = value;
    s.source = "bench";
    s.sample_id = sid;
    Ismo__V1__Sample *sp = &s;
    Ismo__V1__Reply *r = NULL;
    ismo_err err = ismo_push_samples(c, &sp, 1, &r);
    if (r) {
        ismo__v1__reply__free_unpacked(r, NULL);
    }
    return err == ISMO_OK ? 0 : -1;
}

/* Wait for a STATUS_CHANGED of oid; 0 when it came within timeout_ms. */
static int wait_status_event(ismo_sub_t *sub, const char *oid, int64_t timeout_ms)
{
    int64_t end = ismo_mono_ms() + timeout_ms;
    while (ismo_mono_ms() < end) {
        Ismo__V1__Event *e = NULL;
        ismo_err err = ismo_sub_recv(sub, end - ismo_mono_ms(), &e);
        if (err == ISMO_ERR_TIMEOUT) {
            return -1;
        }
        if (err != ISMO_OK) {
            continue;
        }
        int hit = e->kind == ISMO__V1__EVENT_KIND__STATUS_CHANGED && e->objective_id &&
                  strcmp(e->objective_id, oid) == 0;
        ismo__v1__event__free_unpacked(e, NULL);
        if (hit) {
            return 0;
        }
    }
    return -1;
}

static void scenario_event(void)
{
    int runs = O.runs, per_run = O.quick ? 100 : 300;
    say("event: %d runs x %d health flips, one at a time", runs, per_run);
    bench_server bs;
    bench_server_init(&bs, NULL, 1000);
    bench_server_start(&bs);
    put_few(bs.endpoint, "ev-", 1, "bench", 1);
    const char *oid = "ev-0";
    ismo_client_t *c = client_or_die(bs.endpoint, "ismo-bench");
    ismo_sub_t *sub = ismo_sub_new(bs.pub_endpoint);
    ismo_sub_subscribe(sub, "status.");
    uint64_t seq = 0;
    double value = 0;
    /* slow joiner: flip until the subscription delivers (at most 5 s) */
    int joined = 0;
    for (int i = 0; i < 50 && !joined; i++) {
        value = value > 50 ? 0 : 100;
        push_value(c, oid, value, seq++);
        joined = wait_status_event(sub, oid, 100) == 0;
    }
    bench_null_server *ns = bench_null_server_new();
    bench_series p50 = {0}, p99 = {0}, b50 = {0}, b99 = {0};
    int lost = 0;
    for (int run = 0; run < runs && joined; run++) {
        bench_series lat = {0};
        for (int i = 0; i < per_run; i++) {
            value = value > 50 ? 0 : 100;
            int64_t t0 = bench_now_ns();
            if (push_value(c, oid, value, seq++) != 0 || wait_status_event(sub, oid, 2000) != 0) {
                lost++;
                continue;
            }
            bench_series_add(&lat, (double)(bench_now_ns() - t0) / 1e3);
        }
        if (lat.n) {
            bench_series_add(&p50, bench_pct(&lat, 50));
            bench_series_add(&p99, bench_pct(&lat, 99));
        }
        bench_series_free(&lat);
        single_ctx sc = {run, 1};
        double el;
        bench_drive(bench_null_server_endpoint(ns), 1, (uint64_t)per_run, 30, make_single, &sc, &lat, &el);
        if (lat.n) {
            bench_series_add(&b50, bench_pct(&lat, 50));
            bench_series_add(&b99, bench_pct(&lat, 99));
        }
        bench_series_free(&lat);
        say("event run %d: p50 %.0f us p99 %.0f us; raw round trip p99 %.0f us", run + 1,
            p50.n ? p50.v[p50.n - 1] : 0, p99.n ? p99.v[p99.n - 1] : 0, b99.n ? b99.v[b99.n - 1] : 0);
    }
    if (!joined) {
        say("event: the subscription never delivered a STATUS_CHANGED");
    }
    bench_null_server_destroy(&ns);
    ismo_sub_destroy(&sub);
    ismo_client_destroy(&c);
    bench_server_cleanup(&bs);
    char note[200];
    snprintf(note, sizeof note, "%d flips per run (MAINTAIN target, values 100/0), %d events missing", per_run, lost);
    const char *bn = "raw zmq DEALER/ROUTER round trip";
    bench_figure("event", "push-to-event p50", "us", &p50, bn, &b50, GOAL_NONE, 0, NULL, note);
    bench_figure("event", "push-to-event p99", "us", &p99, bn, &b99, GOAL_AT_MOST, 1000, "<= 1 ms", NULL);
    bench_series_free(&p50);
    bench_series_free(&p99);
    bench_series_free(&b50);
    bench_series_free(&b99);
}

/* =============================== 4. at scale ============================== */

typedef struct load_ctx {
    uint64_t n_objectives;
    uint64_t n_samples;
    int batch;
    int64_t t0;
    int by_objective;        /* 0: round-robin over objectives; 1: history, objective by objective */
    uint64_t per_objective;  /* by_objective: samples per objective */
    char prefix;             /* sample id prefix, one per phase */
    Ismo__V1__Sample *s;
    Ismo__V1__Sample **sp;
    char (*ids)[32];
    char (*oids)[24];
} load_ctx;

/* Request seq of the load: samples [seq*batch, ...), one a minute per
 * objective from t0: round-robin over the objectives (every objective
 * measured in turn, as live agents do: each batch touches `batch` objectives)
 * or objective by objective (a history backfill: each batch touches few). */
static int make_load(void *vctx, int client, uint64_t seq, uint8_t **buf, size_t *len)
{
    load_ctx *l = vctx;
    (void)client;
    uint64_t first = seq * (uint64_t)l->batch;
    size_t n = 0;
    for (uint64_t i = first; i < first + (uint64_t)l->batch && i < l->n_samples; i++, n++) {
        Ismo__V1__Sample *s = &l->s[n];
        ismo__v1__sample__init(s);
        uint64_t obj = l->by_objective ? i / l->per_objective : i % l->n_objectives;
        uint64_t k = l->by_objective ? i % l->per_objective : i / l->n_objectives;
        snprintf(l->oids[n], sizeof l->oids[n], "obj-%" PRIu64, obj % l->n_objectives);
        snprintf(l->ids[n], sizeof l->ids[n], "%c%" PRIx64, l->prefix, i);
        s->objective_id = l->oids[n];
        s->has_value = 1;
        s->value = 42;
        s->has_effective_ms = 1;
        s->effective_ms = l->t0 + (int64_t)k * 60000;
        s->source = "bench";
        s->sample_id = l->ids[n];
        l->sp[n] = s;
    }
    return pack_push(l->sp, n, seq + 1, buf, len);
}

static int ping_until_ok(const char *endpoint, double limit_s)
{
    ismo_client_t *c = client_or_die(endpoint, "ismo-bench");
    ismo_client_set_timeout_ms(c, 100);
    double end = bench_now_s() + limit_s;
    int ok = 0;
    while (!ok && bench_now_s() < end) {
        Ismo__V1__Reply *r = NULL;
        ok = ismo_ping(c, &r) == ISMO_OK;
        if (r) {
            ismo__v1__reply__free_unpacked(r, NULL);
        }
    }
    ismo_client_destroy(&c);
    return ok ? 0 : -1;
}

static double measure_startup(bench_server *bs)
{
    double t0 = bench_now_s();
    bench_server_start(bs);
    if (ping_until_ok(bs->endpoint, 120) != 0) {
        say("scale: no ping reply within 120 s of start");
        return -1;
    }
    double el = bench_now_s() - t0;
    bench_server_stop(bs);
    return el;
}

typedef struct live_arg {
    const char *endpoint;
    uint64_t n_objectives;
    double rate, secs;
    int run;
    volatile int *stop;
    uint64_t accepted;
    double elapsed;
} live_arg;

/* Ingest at a paced rate (batches of 1000) until *stop or secs passed. */
static void *live_ingest(void *p)
{
    live_arg *a = p;
    enum { B = 1000 };
    ismo_client_t *c = client_or_die(a->endpoint, "agent:live");
    Ismo__V1__Sample *s = calloc(B, sizeof *s);
    Ismo__V1__Sample **sp = calloc(B, sizeof *sp);
    char (*ids)[40] = calloc(B, sizeof *ids);
    char (*oids)[24] = calloc(B, sizeof *oids);
    double start = bench_now_s(), period = B / a->rate;
    uint64_t seq = 0;
    for (int k = 0; !*a->stop && bench_now_s() - start < a->secs; k++) {
        double due = start + k * period;
        double wait = due - bench_now_s();
        if (wait > 0) {
            struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
            nanosleep(&ts, NULL);
        }
        for (int j = 0; j < B; j++, seq++) {
            ismo__v1__sample__init(&s[j]);
            snprintf(oids[j], sizeof oids[j], "obj-%" PRIu64, (seq * 7919 + (uint64_t)a->run * 104729) % a->n_objectives);
            snprintf(ids[j], sizeof ids[j], "live%d-%" PRIu64, a->run, seq);
            s[j].objective_id = oids[j];
            s[j].has_value = 1;
            s[j].value = 42;
            s[j].source = "bench";
            s[j].sample_id = ids[j];
            sp[j] = &s[j];
        }
        Ismo__V1__Reply *r = NULL;
        if (ismo_push_samples(c, sp, B, &r) == ISMO_OK && r->push_samples) {
            a->accepted += r->push_samples->accepted;
        }
        if (r) {
            ismo__v1__reply__free_unpacked(r, NULL);
        }
    }
    a->elapsed = bench_now_s() - start;
    ismo_client_destroy(&c);
    free(s);
    free(sp);
    free(ids);
    free(oids);
    return NULL;
}

/* GetStatus of one random objective, repeatedly, for secs; latencies in µs. */
static void query_loop(const char *endpoint, uint64_t n_objectives, double secs, bench_series *lat)
{
    ismo_client_t *c = client_or_die(endpoint, "ismo-bench");
    double end = bench_now_s() + secs;
    unsigned seed = 12345;
    while (bench_now_s() < end) {
        char id[32];
        snprintf(id, sizeof id, "obj-%" PRIu64, (uint64_t)rand_r(&seed) % n_objectives);
        const char *ids[1] = {id};
        Ismo__V1__Reply *r = NULL;
        int64_t t0 = bench_now_ns();
        ismo_err err = ismo_get_status(c, ids, 1, NULL, &r);
        int64_t t1 = bench_now_ns();
        if (err == ISMO_OK) {
            bench_series_add(lat, (double)(t1 - t0) / 1e3);
        }
        if (r) {
            ismo__v1__reply__free_unpacked(r, NULL);
        }
    }
    ismo_client_destroy(&c);
}

/* Run `ismo report --function fK` for every function; total seconds, -1 on failure. */
static double run_reports(const char *endpoint, int n_functions, const char *outdir)
{
    double t0 = bench_now_s();
    for (int f = 0; f < n_functions; f++) {
        char fn[16], out[600];
        snprintf(fn, sizeof fn, "f%d", f);
        snprintf(out, sizeof out, "%s/report-%s.md", outdir, fn);
        pid_t pid = fork();
        if (pid == 0) {
            if (!freopen("/dev/null", "w", stderr)) {
                _exit(127);
            }
            execl(O.cli, O.cli, "--endpoint", endpoint, "--timeout-ms", "120000", "report", "--function", fn,
                  "-o", out, (char *)NULL);
            _exit(127);
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            say("scale: %s report --function %s failed (status %d)", O.cli, fn, st);
            return -1;
        }
    }
    return bench_now_s() - t0;
}

/* The data a report needs, fetched through libismo: objectives and statuses per function. */
static double fetch_report_data(const char *endpoint, int n_functions, uint64_t *n_status)
{
    ismo_client_t *c = client_or_die(endpoint, "ismo-bench");
    double t0 = bench_now_s();
    *n_status = 0;
    for (int f = 0; f < n_functions; f++) {
        char fn[16];
        snprintf(fn, sizeof fn, "f%d", f);
        Ismo__V1__Reply *r = NULL;
        if (ismo_list_objectives(c, fn, 0, &r) != ISMO_OK) {
            say("scale: list objectives: %s", ismo_client_error(c));
        }
        if (r) {
            ismo__v1__reply__free_unpacked(r, NULL);
        }
        r = NULL;
        if (ismo_get_status(c, NULL, 0, fn, &r) == ISMO_OK && r->get_status) {
            *n_status += r->get_status->n_statuses;
        }
        if (r) {
            ismo__v1__reply__free_unpacked(r, NULL);
        }
    }
    double el = bench_now_s() - t0;
    ismo_client_destroy(&c);
    return el;
}

/* Deadlines for the reminder store: the first `due` objectives get a 30-day
 * reminder due between now+30 min and now+32 min; every other one a deadline
 * spread over the year after now+31 days (nothing due for a day). */
typedef struct due_ctx {
    uint64_t n, due;
} due_ctx;

static int64_t due_deadline(void *vctx, uint64_t i, int64_t now_ms)
{
    due_ctx *d = vctx;
    if (i < d->due) {
        return now_ms + 30 * DAY_MS + 30 * 60000 + (int64_t)i * 1000;
    }
    return now_ms + 31 * DAY_MS + (int64_t)((double)(i - d->due) / (double)d->n * 365.0 * DAY_MS);
}

typedef struct tick_result {
    bench_series due_ms;     /* tick with `due` reminders due */
    bench_series idle_ms;    /* tick with none due */
    double fired;            /* events the due tick emitted */
    uint64_t objectives;
    int ok;
} tick_result;

/* Load n objectives (due of them with a reminder coming due), then time
 * ismo_monitor_tick on the closed store at a chosen clock, aborting each tick
 * so the same reminders are due every time. */
static void tick_measure(uint64_t n, uint64_t due, int runs, tick_result *res)
{
    memset(res, 0, sizeof *res);
    bench_server bs;
    bench_server_init(&bs, NULL, 3600000); /* no clock tick while loading */
    bench_server_start(&bs);
    due_ctx dc = {n, due};
    int64_t t_load = ismo_now_ms();
    double t0 = bench_now_s();
    res->objectives = bench_put_objectives(bs.endpoint, "rem-", n, 10, 0, due_deadline, &dc, O.quick ? 60 : 150);
    say("tick: loaded %" PRIu64 " objectives in %.1f s", res->objectives, bench_now_s() - t0);
    bench_server_stop(&bs);
    ismo_store_opts so = ismo_store_opts_default();
    so.map_size_bytes = (size_t)bs.cfg.map_size_bytes;
    so.map_max_bytes = (size_t)bs.cfg.map_max_bytes;
    ismo_store_t *store = NULL;
    char why[300];
    if (ismo_store_open(bs.cfg.data_dir, &so, &store, why, sizeof why) != ISMO_OK) {
        say("tick: cannot open the store: %s", why);
        bench_server_cleanup(&bs);
        return;
    }
    ismo_outbox box = {0};
    for (int r = 0; r < runs * 2; r++) {
        int idle = r % 2;
        ismo_txn_t *txn = NULL;
        if (ismo_txn_begin(store, 1, &txn) != ISMO_OK) {
            break;
        }
        ismo_work w;
        memset(&w, 0, sizeof w);
        w.txn = txn;
        w.cfg = &bs.cfg;
        /* due tick: 1 h after loading (the due reminders' time has come);
         * idle tick: 5 min after loading (nothing due yet) */
        w.now_ms = t_load + (idle ? 5 * 60000 : 3600000);
        w.events = &box;
        int64_t s = bench_now_ns();
        ismo_err err = ismo_monitor_tick(&w);
        double ms = (double)(bench_now_ns() - s) / 1e6;
        if (err == ISMO_ERR_FULL) { /* the tick wrote more than the map holds: grow, measure again */
            ismo_txn_abort(&txn);
            ismo_outbox_clear(&box);
            free(w.touched);
            if (ismo_store_grow(store) != ISMO_OK) {
                say("tick: store full");
                break;
            }
            r--;
            continue;
        }
        if (err != ISMO_OK) {
            say("tick: ismo_monitor_tick: %s", ismo_strerror(err));
        } else {
            bench_series_add(idle ? &res->idle_ms : &res->due_ms, ms);
            if (!idle) {
                res->fired = (double)box.count;
            }
            res->ok = 1;
        }
        ismo_txn_abort(&txn);
        ismo_outbox_clear(&box);
        free(w.touched);
    }
    ismo_outbox_free(&box);
    ismo_store_destroy(&store);
    bench_server_cleanup(&bs);
}

static void scenario_scale(void)
{
    double sc = O.scale;
    uint64_t n_obj = (uint64_t)llround(100000 * sc), n_samples = (uint64_t)llround(10000000 * sc);
    if (n_obj < 100) {
        n_obj = 100;
    }
    int n_functions = 10, runs = O.quick ? 3 : 3;
    say("scale: %" PRIu64 " objectives, %" PRIu64 " samples (scale %g)", n_obj, n_samples, sc);
    bench_server bs;
    bench_server_init(&bs, NULL, 1000);
    bs.cfg.map_size_bytes = (int64_t)4 << 30;
    bench_server_start(&bs);

    double t0 = bench_now_s();
    uint64_t got = bench_put_objectives(bs.endpoint, "obj-", n_obj, n_functions, 0, NULL, NULL, 300);
    double obj_s = bench_now_s() - t0;
    say("scale: %" PRIu64 " objectives in %.1f s", got, obj_s);

    /* phase 1: round-robin over all objectives (10 % of the samples, at most
     * 20 s): what live agents look like; phase 2: the rest as a history
     * backfill, objective by objective */
    load_ctx l = {n_obj, n_samples / 10, 10000, 0, 0, 1, 'L', NULL, NULL, NULL, NULL};
    l.s = calloc((size_t)l.batch, sizeof *l.s);
    l.sp = calloc((size_t)l.batch, sizeof *l.sp);
    l.ids = calloc((size_t)l.batch, sizeof *l.ids);
    l.oids = calloc((size_t)l.batch, sizeof *l.oids);
    l.t0 = ismo_now_ms() - (int64_t)(l.n_samples / n_obj + 2) * 60000;
    uint64_t n_req = (l.n_samples + (uint64_t)l.batch - 1) / (uint64_t)l.batch, sent = 0;
    double rr_budget = O.quick ? 5 : 20;
    t0 = bench_now_s();
    uint64_t ok = bench_pipeline(bs.endpoint, n_req, 4, rr_budget, make_load, &l, &sent);
    double rr_s = bench_now_s() - t0;
    uint64_t rr_loaded = ok * (uint64_t)l.batch < l.n_samples ? ok * (uint64_t)l.batch : l.n_samples;
    say("scale: round-robin load: %" PRIu64 " samples in %.1f s (%.0f/s)", rr_loaded, rr_s, (double)rr_loaded / rr_s);

    l.n_samples = n_samples - rr_loaded;
    l.by_objective = 1;
    l.per_objective = (l.n_samples + n_obj - 1) / n_obj;
    l.prefix = 'H';
    l.t0 = ismo_now_ms() - (int64_t)(l.per_objective + rr_loaded / n_obj + 10) * 60000;
    n_req = (l.n_samples + (uint64_t)l.batch - 1) / (uint64_t)l.batch;
    t0 = bench_now_s();
    ok = bench_pipeline(bs.endpoint, n_req, 4, O.load_budget_s, make_load, &l, &sent);
    double load_s = bench_now_s() - t0;
    uint64_t hist = ok * (uint64_t)l.batch < l.n_samples ? ok * (uint64_t)l.batch : l.n_samples;
    uint64_t loaded = rr_loaded + hist;
    free(l.s);
    free(l.sp);
    free(l.ids);
    free(l.oids);
    say("scale: history backfill: %" PRIu64 " samples in %.1f s (%.0f/s)%s", hist, load_s, (double)hist / load_s,
        loaded < n_samples ? " -- load budget reached, figures below are for fewer samples" : "");
    bench_series s_load = {0}, s_obj = {0}, s_rr = {0};
    bench_series_add(&s_load, (double)hist / load_s);
    bench_series_add(&s_rr, (double)rr_loaded / rr_s);
    bench_series_add(&s_obj, (double)got / obj_s);
    char note[200];
    snprintf(note, sizeof note, "%" PRIu64 " samples, 10,000 per request (4 in flight), each request touching 10,000 objectives; budget %.0f s",
             rr_loaded, rr_budget);
    bench_figure("scale", "load, round-robin over objectives", "samples/s", &s_rr, NULL, NULL, GOAL_NONE, 0, NULL, note);
    snprintf(note, sizeof note, "%" PRIu64 " samples, %" PRIu64 " per objective in time order, 10,000 per request; %" PRIu64 " of %" PRIu64 " stored in total (budget %.0f s)",
             hist, l.per_objective, loaded, n_samples, O.load_budget_s);
    bench_figure("scale", "load, history backfill", "samples/s", &s_load, NULL, NULL, GOAL_NONE, 0, NULL, note);
    bench_figure("scale", "objective load (PutObjective)", "objectives/s", &s_obj, NULL, NULL, GOAL_NONE, 0, NULL, NULL);
    bench_server_stop(&bs);

    /* bytes on disk */
    char path[1200];
    bench_server_data_file(&bs, path, sizeof path);
    struct stat st;
    bench_series s_bytes = {0}, s_dbi = {0};
    if (stat(path, &st) == 0 && loaded > 0) {
        double used = (double)st.st_blocks * 512.0;
        bench_series_add(&s_bytes, used / (double)loaded);
        char desc[4096];
        double sb, ib;
        bench_lmdb_describe(bs.cfg.data_dir, desc, sizeof desc, &sb, &ib);
        fprintf(stderr, "ismo-bench: scale: data.mdb %.1f MiB allocated (%.1f MiB apparent)\n%s", used / 1048576.0,
                (double)st.st_size / 1048576.0, desc);
        bench_series_add(&s_dbi, (sb + ib) / (double)loaded);
        snprintf(note, sizeof note, "data.mdb allocated blocks / samples stored (%.0f MiB for %" PRIu64 ")",
                 used / 1048576.0, loaded);
        /* the payload floor: one stored sample's key and packed value plus its sample-id key and value */
        Ismo__V1__Sample ex = ISMO__V1__SAMPLE__INIT;
        char exo[32], exi[32];
        snprintf(exo, sizeof exo, "obj-%" PRIu64, n_obj / 2);
        snprintf(exi, sizeof exi, "L%" PRIx64, n_samples / 2);
        ex.objective_id = exo;
        ex.has_value = 1;
        ex.value = 42;
        ex.has_effective_ms = 1;
        ex.effective_ms = ismo_now_ms();
        ex.source = "bench";
        ex.sample_id = exi;
        ex.has_received_ms = 1;
        ex.received_ms = ex.effective_ms;
        double floor_b = (double)(protobuf_c_message_get_packed_size(&ex.base) + strlen(exo) + 17 + strlen(exi) + 8);
        bench_series raw = {0};
        bench_series_add(&raw, floor_b);
        bench_figure("scale", "bytes on disk per sample", "bytes", &s_bytes, "key+value bytes of one sample", &raw,
                     GOAL_NONE, 0, NULL, note);
        bench_figure("scale", "samples+sample_ids DBI pages per sample", "bytes", &s_dbi, "key+value bytes of one sample",
                     &raw, GOAL_NONE, 0, NULL, "LMDB pages (branch+leaf+overflow) of the two sample DBIs");
        bench_series_free(&raw);
    }

    /* start-up */
    bench_series s_start = {0}, s_empty = {0};
    for (int r = 0; r < runs; r++) {
        double el = measure_startup(&bs);
        if (el >= 0) {
            bench_series_add(&s_start, el);
        }
    }
    bench_server empty;
    bench_server_init(&empty, NULL, 1000);
    for (int r = 0; r < runs; r++) {
        double el = measure_startup(&empty);
        if (el >= 0) {
            bench_series_add(&s_empty, el);
        }
    }
    bench_server_cleanup(&empty);
    snprintf(note, sizeof note, "open store + first tick + first Ping answered; %" PRIu64 " samples, %" PRIu64 " objectives",
             loaded, got);
    bench_figure("scale", "start-up", "s", &s_start, "start-up on an empty data dir", &s_empty, GOAL_AT_MOST, 1.0,
                 "<= 1 s", note);
    say("scale: start-up %.3f s (empty %.3f s)", bench_pct(&s_start, 50), bench_pct(&s_empty, 50));

    /* status query p99 while ingesting at ~100,000 samples/s */
    bench_server_start(&bs);
    ping_until_ok(bs.endpoint, 120);
    double qsecs = O.quick ? 2 : 5;
    bench_series q99 = {0}, q50 = {0}, idle99 = {0}, idle50 = {0}, irate = {0};
    for (int r = 0; r < runs; r++) {
        bench_series lat = {0};
        query_loop(bs.endpoint, got ? got : 1, qsecs, &lat);
        bench_series_add(&idle99, bench_pct(&lat, 99));
        bench_series_add(&idle50, bench_pct(&lat, 50));
        bench_series_free(&lat);
        volatile int stop = 0;
        enum { LIVE = 4 }; /* 4 agents x 25,000/s, batches of 1000 */
        live_arg la[LIVE];
        pthread_t th[LIVE];
        for (int k = 0; k < LIVE; k++) {
            la[k] = (live_arg){bs.endpoint, got ? got : 1, 100000.0 / LIVE, qsecs + 5, r * LIVE + k, &stop, 0, 0};
            pthread_create(&th[k], NULL, live_ingest, &la[k]);
        }
        query_loop(bs.endpoint, got ? got : 1, qsecs, &lat);
        stop = 1;
        double rate = 0;
        for (int k = 0; k < LIVE; k++) {
            pthread_join(th[k], NULL);
            rate += la[k].elapsed > 0 ? (double)la[k].accepted / la[k].elapsed : 0;
        }
        bench_series_add(&q99, bench_pct(&lat, 99));
        bench_series_add(&q50, bench_pct(&lat, 50));
        bench_series_add(&irate, rate);
        say("scale: status p99 %.0f us while ingesting %.0f/s (idle p99 %.0f us)", bench_pct(&lat, 99), rate,
            bench_pct(&idle99, 50));
        bench_series_free(&lat);
    }
    const char *ib = "same query, no ingest";
    bench_figure("scale", "status query p99 while ingesting", "us", &q99, ib, &idle99, GOAL_AT_MOST, 1000, "<= 1 ms",
                 "GetStatus of one random objective, back to back, while 4 clients push 1000-sample batches, 25/s each");
    bench_figure("scale", "status query p50 while ingesting", "us", &q50, ib, &idle50, GOAL_NONE, 0, NULL, NULL);
    bench_figure("scale", "ingest rate during the queries", "samples/s", &irate, NULL, NULL, GOAL_AT_LEAST, 1e5,
                 ">= 100,000/s (the load)", NULL);

    /* report generation */
    bench_series rep = {0}, fetch = {0};
    uint64_t n_status = 0;
    for (int r = 0; r < runs; r++) {
        double f = fetch_report_data(bs.endpoint, n_functions, &n_status);
        bench_series_add(&fetch, f);
        if (access(O.cli, X_OK) == 0) {
            double el = run_reports(bs.endpoint, n_functions, bs.dir);
            if (el >= 0) {
                bench_series_add(&rep, el);
            }
        }
    }
    snprintf(note, sizeof note, "`ismo report --function fK` for each of %d functions (%" PRIu64 " objectives); %s", n_functions,
             n_status, access(O.cli, X_OK) == 0 ? O.cli : "CLI not found: use --cli PATH");
    bench_figure("scale", "report generation", "s", &rep, "ListObjectives+GetStatus via libismo", &fetch, GOAL_NONE, 0,
                 NULL, note);
    bench_server_cleanup(&bs);

    bench_series *all[] = {&s_load, &s_rr, &s_obj, &s_bytes, &s_dbi, &s_start, &s_empty, &q99, &q50, &idle99, &idle50,
                           &irate, &rep, &fetch};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        bench_series_free(all[i]);
    }
}

/* Scheduler tick cost at 100 k and 1 M pending reminders with the same number due. */
static void scenario_tick(void)
{
    double sc = O.scale;
    ismo_config defaults;
    ismo_config_defaults(&defaults);
    size_t n_offsets = defaults.n_reminder_offsets;
    char note[200];
    /* scheduler tick: 100 k and 1 M pending reminders, the same number due */
    uint64_t per_obj = (uint64_t)n_offsets + 1; /* offsets + overdue */
    uint64_t small = (uint64_t)llround(100000.0 * sc / (double)per_obj);
    uint64_t big = (uint64_t)llround(1000000.0 * sc / (double)per_obj);
    uint64_t due = small / 10 < 100 ? small / 10 : 100;
    tick_result ts, tb;
    tick_measure(small, due, 5, &ts);
    tick_measure(big, due, 5, &tb);
    if (ts.ok && tb.ok) {
        char name[96];
        snprintf(note, sizeof note, "%" PRIu64 " objectives x %" PRIu64 " reminders each; %.0f reminders fired by the due tick",
                 tb.objectives, per_obj, tb.fired);
        snprintf(name, sizeof name, "tick, %.0fk pending, %" PRIu64 " due", (double)tb.objectives * per_obj / 1000.0, due);
        char bname[96];
        snprintf(bname, sizeof bname, "tick, %.0fk pending, %" PRIu64 " due", (double)ts.objectives * per_obj / 1000.0, due);
        bench_figure("tick", name, "ms", &tb.due_ms, bname, &ts.due_ms, GOAL_RATIO_MAX, 2.0,
                     "grows with due, not all (ratio <= 2)", note);
        snprintf(note, sizeof note, "%" PRIu64 " objectives; %.0f reminders fired", ts.objectives, ts.fired);
        bench_figure("tick", bname, "ms", &ts.due_ms, NULL, NULL, GOAL_NONE, 0, NULL, note);
        snprintf(name, sizeof name, "tick, %.0fk pending, 0 due", (double)tb.objectives * per_obj / 1000.0);
        snprintf(bname, sizeof bname, "tick, %.0fk pending, 0 due", (double)ts.objectives * per_obj / 1000.0);
        bench_figure("tick", name, "ms", &tb.idle_ms, bname, &ts.idle_ms, GOAL_RATIO_MAX, 2.0,
                     "grows with due, not all (ratio <= 2)", "ismo_monitor_tick in a write transaction, aborted (no commit/fsync)");
    }
    bench_series *all[] = {&ts.due_ms, &ts.idle_ms, &tb.due_ms, &tb.idle_ms};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        bench_series_free(all[i]);
    }
}

/* ================================ 5. agent ================================= */

/* VmRSS and VmHWM of pid in KiB; 0 when unreadable. */
static void proc_mem(pid_t pid, double *rss_kib, double *hwm_kib)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    *rss_kib = *hwm_kib = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        return;
    }
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            *rss_kib = strtod(line + 6, NULL);
        } else if (strncmp(line, "VmHWM:", 6) == 0) {
            *hwm_kib = strtod(line + 6, NULL);
        }
    }
    fclose(f);
}

/* utime+stime (own) and cutime+cstime (waited-for children) of pid, seconds. */
static int proc_cpu(pid_t pid, double *own_s, double *children_s)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p) {
        return -1;
    }
    unsigned long long ut, st;
    long long cut, cst;
    /* after ")": state(3) ppid ... utime is field 14, stime 15, cutime 16, cstime 17 */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &ut, &st, &cut, &cst) != 4) {
        return -1;
    }
    double hz = (double)sysconf(_SC_CLK_TCK);
    *own_s = (double)(ut + st) / hz;
    *children_s = (double)(cut + cst) / hz;
    return 0;
}

static pid_t spawn(char *const argv[], const char *log_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = log_path ? freopen(log_path, "w", stderr) : NULL;
        (void)f;
        if (log_path && !freopen("/dev/null", "w", stdout)) {
            _exit(127);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void reap(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 50; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            return;
        }
        usleep(100000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void scenario_agent(void)
{
    if (access(O.agent, X_OK) != 0) {
        say("agent: %s not found or not executable (use --agent PATH); skipped", O.agent);
        bench_series none = {0};
        bench_figure("agent", "ismo-agent RSS", "MiB", &none, NULL, NULL, GOAL_AT_MOST, 2.0, "<= 2 MiB",
                     "ismo-agent not found");
        return;
    }
    int secs = O.agent_seconds;
    say("agent: %s with 10 collectors every second for %d s", O.agent, secs);
    bench_server bs;
    bench_server_init(&bs, NULL, 1000);
    bench_server_start(&bs);
    put_few(bs.endpoint, "agent-obj-", 10, "bench", 0);
    char conf[600], state[600], log[600];
    snprintf(conf, sizeof conf, "%s/agent.yaml", bs.dir);
    snprintf(state, sizeof state, "%s/agent-state", bs.dir);
    snprintf(log, sizeof log, "%s/agent.log", bs.dir);
    FILE *f = fopen(conf, "w");
    if (!f) {
        say("agent: cannot write %s", conf);
        bench_server_cleanup(&bs);
        return;
    }
    fprintf(f, "agent:\n  name: bench-agent\n  function: bench\n  state_dir: %s\n", state);
    fprintf(f, "server:\n  endpoint: %s\n  pub_endpoint: %s\n", bs.endpoint, bs.pub_endpoint);
    fprintf(f, "collectors:\n");
    for (int i = 0; i < 10; i++) {
        fprintf(f, "  - name: c%d\n    objective: agent-obj-%d\n    command: \"echo 42\"\n    interval_s: 1\n", i, i);
    }
    fclose(f);
    char *argv[] = {O.agent, "--config", conf, "--log-level", "warn", NULL};
    pid_t pid = spawn(argv, log);
    bench_series rss = {0}, hwm = {0}, cpu = {0}, cpu_all = {0};
    double last_own = 0, last_child = 0, last_t = bench_now_s();
    double peak_hwm = 0;
    for (int s = 1; s <= secs; s++) {
        sleep(1);
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            say("agent: ismo-agent exited early; see %s", log);
            pid = -1;
            break;
        }
        double r, h, own, child;
        proc_mem(pid, &r, &h);
        if (s >= 2 && r > 0) { /* after the first second: steady state */
            bench_series_add(&rss, r / 1024.0);
        }
        peak_hwm = h > peak_hwm ? h : peak_hwm;
        if (proc_cpu(pid, &own, &child) == 0 && s % 10 == 0) {
            double now = bench_now_s();
            bench_series_add(&cpu, (own - last_own) / (now - last_t) * 100.0);
            bench_series_add(&cpu_all, (own - last_own + child - last_child) / (now - last_t) * 100.0);
            last_own = own;
            last_child = child;
            last_t = now;
        }
    }
    if (pid > 0) {
        double own, child;
        if (cpu.n == 0 && proc_cpu(pid, &own, &child) == 0) {
            double now = bench_now_s();
            bench_series_add(&cpu, own / (now - last_t) * 100.0);
            bench_series_add(&cpu_all, (own + child) / (now - last_t) * 100.0);
        }
        reap(pid);
    }
    bench_series_add(&hwm, peak_hwm / 1024.0);
    /* what arrived */
    uint64_t stored = 0;
    ismo_client_t *c = client_or_die(bs.endpoint, "ismo-bench");
    Ismo__V1__Reply *rep = NULL;
    if (ismo_get_status(c, NULL, 0, "bench", &rep) == ISMO_OK && rep->get_status) {
        for (size_t i = 0; i < rep->get_status->n_statuses; i++) {
            stored += rep->get_status->statuses[i]->total_samples;
        }
    }
    if (rep) {
        ismo__v1__reply__free_unpacked(rep, NULL);
    }
    ismo_client_destroy(&c);
    bench_server_cleanup(&bs);
    /* baseline: the resident memory of a trivial process */
    bench_series base = {0};
    char *sargv[] = {"/bin/sleep", "30", NULL};
    pid_t sp = spawn(sargv, "/dev/null");
    usleep(300000);
    double r, h;
    proc_mem(sp, &r, &h);
    reap(sp);
    if (r > 0) {
        bench_series_add(&base, r / 1024.0);
    }
    char note[200];
    snprintf(note, sizeof note, "per-second VmRSS over %d s; %" PRIu64 " samples stored (10 collectors x 1/s); collectd ~5 MB, Telegraf ~80 MB",
             secs, stored);
    bench_figure("agent", "ismo-agent RSS", "MiB", &rss, "/bin/sleep RSS", &base, GOAL_AT_MOST, 2.0, "<= 2 MiB", note);
    bench_figure("agent", "ismo-agent peak RSS (VmHWM)", "MiB", &hwm, "/bin/sleep RSS", &base, GOAL_NONE, 0, NULL, NULL);
    bench_figure("agent", "ismo-agent CPU (own)", "% of a core", &cpu, NULL, NULL, GOAL_NONE, 0, NULL,
                 "per 10 s window; utime+stime from /proc/PID/stat");
    bench_figure("agent", "ismo-agent CPU incl. collectors", "% of a core", &cpu_all, NULL, NULL, GOAL_NONE, 0, NULL,
                 "adds cutime+cstime: the 10 `sh -c 'echo 42'` per second");
    bench_series *all[] = {&rss, &hwm, &cpu, &cpu_all, &base};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        bench_series_free(all[i]);
    }
}

/* ================================== main =================================== */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ismo-bench [--quick] [--only ingest,single,event,scale,tick,agent] [--scale X]\n"
            "                  [--json FILE] [--runs N] [--agents N] [--batch B]\n"
            "                  [--agent-seconds S] [--agent PATH] [--cli PATH] [--load-budget-s S]\n"
            "Measures ismod (started in-process on 127.0.0.1 with durable temp data dirs)\n"
            "against baselines measured in the same run; prints a table and appends JSON lines\n"
            "(default bench-results.jsonl). --quick: small sizes, under a minute.\n"
            "Full run: 100,000 objectives and 10 M samples at --scale 1 (default).\n");
}

/* Directory of this executable, for the default paths of ismo-agent and ismo. */
static void exe_dir(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0) {
        snprintf(buf, len, ".");
        return;
    }
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (slash) {
        *slash = 0;
    }
}

static int parse_args(int argc, char **argv)
{
    char dir[1024];
    exe_dir(dir, sizeof dir);
    memset(&O, 0, sizeof O);
    O.scale = -1;
    O.runs = 0;
    O.agents = 4;
    O.batch = 1000;
    O.agent_seconds = -1;
    O.load_budget_s = -1;
    snprintf(O.json, sizeof O.json, "bench-results.jsonl");
    /* build/tests/bench/ismo-bench -> build/client/{ismo-agent,ismo} */
    snprintf(O.agent, sizeof O.agent, "%s/../../client/ismo-agent", dir);
    snprintf(O.cli, sizeof O.cli, "%s/../../client/ismo", dir);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0) {
            O.quick = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (!v) {
            usage(stderr);
            return -1;
        }
        i++;
        if (strcmp(a, "--only") == 0) {
            snprintf(O.only, sizeof O.only, "%s", v);
        } else if (strcmp(a, "--json") == 0) {
            snprintf(O.json, sizeof O.json, "%s", v);
        } else if (strcmp(a, "--agent") == 0) {
            snprintf(O.agent, sizeof O.agent, "%s", v);
        } else if (strcmp(a, "--cli") == 0) {
            snprintf(O.cli, sizeof O.cli, "%s", v);
        } else if (strcmp(a, "--scale") == 0) {
            O.scale = strtod(v, NULL);
        } else if (strcmp(a, "--runs") == 0) {
            O.runs = atoi(v);
        } else if (strcmp(a, "--agents") == 0) {
            O.agents = atoi(v);
        } else if (strcmp(a, "--batch") == 0) {
            O.batch = atoi(v);
        } else if (strcmp(a, "--agent-seconds") == 0) {
            O.agent_seconds = atoi(v);
        } else if (strcmp(a, "--load-budget-s") == 0) {
            O.load_budget_s = strtod(v, NULL);
        } else {
            usage(stderr);
            return -1;
        }
    }
    if (O.scale < 0) {
        O.scale = O.quick ? 0.01 : 1.0;
    }
    if (O.runs <= 0) {
        O.runs = O.quick ? 3 : 5;
    }
    if (O.agent_seconds < 0) {
        O.agent_seconds = O.quick ? 5 : 60;
    }
    if (O.load_budget_s < 0) {
        O.load_budget_s = O.quick ? 30 : 180;
    }
    if (O.scale <= 0 || O.scale > 10 || O.agents < 1 || O.agents > 64 || O.batch < 1 || O.batch > 10000 ||
        O.runs > 50 || O.agent_seconds < 1 || O.agent_seconds > 3600 || O.load_budget_s <= 0) {
        fprintf(stderr, "ismo-bench: a value is out of bounds (scale 0..10, agents 1..64, batch 1..10000, "
                        "runs 1..50, agent-seconds 1..3600)\n");
        return -1;
    }
    return 0;
}

static void machine(char *buf, size_t len)
{
    struct utsname u;
    uname(&u);
    char model[128] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                snprintf(model, sizeof model, "%s", p + 2);
                model[strcspn(model, "\n")] = 0;
            }
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    snprintf(buf, len, "%ld cores, %s, %s %s", sysconf(_SC_NPROCESSORS_ONLN), model, u.sysname, u.release);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (parse_args(argc, argv) != 0) {
        return 2;
    }
    ismo_log_set_level(ISMO_LOG_WARN);
    char run_id[64], mach[300];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(run_id, sizeof run_id, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(run_id + strlen(run_id), sizeof run_id - strlen(run_id), "-%d", (int)getpid());
    machine(mach, sizeof mach);
    double t0 = bench_now_s();
    say("run %s on %s%s", run_id, mach, O.quick ? " (quick)" : "");
    if (selected("ingest")) {
        scenario_ingest();
    }
    if (selected("single")) {
        scenario_single();
    }
    if (selected("event")) {
        scenario_event();
    }
    if (selected("scale")) {
        scenario_scale();
    }
    if (selected("tick")) {
        scenario_tick();
    }
    if (selected("agent")) {
        scenario_agent();
    }
    double total = bench_now_s() - t0;
    printf("# ismo-bench run %s\n\n%s; %s; total %.0f s\n", run_id, mach, O.quick ? "--quick" : "full", total);
    printf("scale %g, runs %d, ingest %d agents x %d samples per batch\n", O.scale, O.runs, O.agents, O.batch);
    bench_table_print(stdout);
    char params[600];
    snprintf(params, sizeof params,
             "{\"quick\":%s,\"scale\":%g,\"runs\":%d,\"agents\":%d,\"batch\":%d,\"agent_seconds\":%d,"
             "\"machine\":\"%s\",\"total_s\":%.1f}",
             O.quick ? "true" : "false", O.scale, O.runs, O.agents, O.batch, O.agent_seconds, mach, total);
    /* the machine string comes from /proc: keep the JSON valid */
    for (char *p = params; *p; p++) {
        if (*p == '\\') {
            *p = '/';
        }
    }
    if (bench_json_write(O.json, run_id, params) != 0) {
        say("cannot write %s: %s", O.json, strerror(errno));
        return 1;
    }
    say("figures appended to %s (run_id %s)", O.json, run_id);
    return 0;
}
