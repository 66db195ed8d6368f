/* bench_server: ismod in-process for the benchmark (a thread running
 * ismo_server_run on tcp://127.0.0.1:* with a durable store), plus the
 * objectives and samples the scenarios send. Main thread only. */
#ifndef ISMO_BENCH_SERVER_H
#define ISMO_BENCH_SERVER_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "ismo_codec.h"
#include "server.h"

typedef struct bench_server {
    ismo_config cfg;
    ismo_server_t *server;
    pthread_t thread;
    int running;
    char dir[256];          /* temporary directory; the store is dir/data */
    char endpoint[256];
    char pub_endpoint[256];
} bench_server;

/* Make a fresh temporary directory under base (NULL = $TMPDIR or /tmp) and fill
 * cfg with durable defaults (no_sync 0), loopback ephemeral ports, tick_ms. */
void bench_server_init(bench_server *b, const char *base, int64_t tick_ms);
/* Open the store and start the server thread; aborts on failure (a benchmark
 * that cannot start its server has nothing to measure). Restarts on the same
 * data directory when called after bench_server_stop. */
void bench_server_start(bench_server *b);
void bench_server_stop(bench_server *b);
/* Stop (if running) and remove the directory. */
void bench_server_cleanup(bench_server *b);
/* The store's data file (dir/data/data.mdb) into buf. */
void bench_server_data_file(const bench_server *b, char *buf, size_t len);

/* Fill o (and its metric m) as a benchmark objective: id, function, MAINTAIN
 * or REACH, target 100 from baseline 0, window 0 (all samples), aggregation
 * LAST, frequency 0 (never stale), start now - 1 day, the given deadline.
 * Strings are borrowed from id/function (keep them alive). */
void bench_objective(Ismo__V1__Objective *o, Ismo__V1__Metric *m, const char *id,
                     const char *function, int maintain, int64_t now_ms, int64_t deadline_ms);

/* Put count objectives "<prefix><i>" (i from 0) with functions "f<i % n_functions>"
 * through a pipelined DEALER (window outstanding requests). deadline_fn gives
 * each one's deadline (NULL: now + 365 days). Returns the number acknowledged
 * OK; stops at time_limit_s. */
typedef int64_t (*bench_deadline_fn)(void *ctx, uint64_t i, int64_t now_ms);
uint64_t bench_put_objectives(const char *endpoint, const char *prefix, uint64_t count,
                              int n_functions, int maintain, bench_deadline_fn deadline_fn,
                              void *ctx, double time_limit_s);

#endif
