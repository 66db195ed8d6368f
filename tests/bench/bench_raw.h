/* bench_raw: what ismo-bench compares ismod with, and its pipelined loader.
 * This is the one part of the benchmark that uses libzmq and LMDB directly
 * (zmq.h, lmdb.h): the baselines must not go through ismod's code, and the
 * bulk loader needs many requests in flight, which libismo (one outstanding
 * request per client) does not offer. Thread use is per function. */
#ifndef ISMO_BENCH_RAW_H
#define ISMO_BENCH_RAW_H

#include <stddef.h>
#include <stdint.h>

#include "bench_stats.h"

/* A null server: a ROUTER bound on tcp://127.0.0.1:* in its own thread that
 * answers every request frame with a fixed small reply frame (like an OK
 * PushSamplesReply), without decoding or storing anything. */
typedef struct bench_null_server bench_null_server;
bench_null_server *bench_null_server_new(void);
const char *bench_null_server_endpoint(const bench_null_server *s);
void bench_null_server_destroy(bench_null_server **s_p);

/* n_clients DEALER sockets driven by the calling thread, each with one
 * request outstanding (it sends the next when its reply came): the "N
 * concurrent clients each waiting for its reply" load, with the same driver
 * against ismod and against the null server. make_req packs request number
 * seq of client c into a malloc'ed buffer (caller of make_req frees nothing:
 * the driver frees). Runs until total requests were answered or time_s
 * passed. Latencies of each answered request (µs) go to lat (may be NULL).
 * Returns requests answered; *elapsed_s the wall time. */
typedef int (*bench_make_req)(void *ctx, int client, uint64_t seq, uint8_t **buf, size_t *len);
uint64_t bench_drive(const char *endpoint, int n_clients, uint64_t total, double time_s,
                     bench_make_req make_req, void *ctx, bench_series *lat, double *elapsed_s);

/* Pipelined sender: one DEALER that keeps up to window requests in flight
 * (the server drains them into one write transaction). Replies are decoded
 * and counted OK when code is OK (or PARTIAL with count_partial). Returns the
 * number of OK replies; stops at count requests or time_s. *sent_p: sent. */
uint64_t bench_pipeline(const char *endpoint, uint64_t count, int window, double time_s,
                        bench_make_req make_req, void *ctx, uint64_t *sent_p);

/* LMDB-only baseline: in a fresh environment under dir, insert n samples
 * (keys id \0 be64(time) be64(seq) -> value bytes; sample-id DBI id -> be64(seq)),
 * as ismod's store lays them out, commit every batch samples with a synced
 * commit (mdb_txn_commit, no MDB_NOSYNC). key_fn gives sample i's objective
 * id, time and sample id; value bytes are a packed Sample. Returns samples/s;
 * 0 on failure. The directory is removed afterwards. */
typedef void (*bench_sample_fn)(void *ctx, uint64_t i, const char **objective_id,
                                int64_t *effective_ms, char *sample_id, size_t sample_id_len);
double bench_lmdb_insert(const char *dir, uint64_t n, uint64_t batch, bench_sample_fn fn, void *ctx,
                         double time_s);

/* One line per DBI of the LMDB environment in dir (read-only; no other
 * environment handle to it may be open in this process): entries, depth,
 * pages (branch, leaf, overflow) and bytes, written into buf.
 * *sample_pages_bytes: bytes in pages of the "samples" and "sample_ids" DBIs. */
void bench_lmdb_describe(const char *dir, char *buf, size_t len, double *samples_bytes,
                         double *sample_ids_bytes);

#endif
