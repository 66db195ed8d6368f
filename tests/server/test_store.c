/* test_store: server/store.h against a real LMDB environment in a fresh
 * mkdtemp directory under /tmp per test (removed afterwards). Covers
 * objective versions, samples in effective-time order across negative and
 * positive times, idempotent ingest, gap-free event sequence numbers,
 * reminder records, durability across close/reopen, the data-directory lock,
 * a map that fills up, and nested transactions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ismo_time.h"
#include "store.h"

typedef struct fixture {
    char dir[64];
    ismo_store_t *store;
    char why[512];
} fixture;

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        return;
    }
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static ismo_store_opts small_opts(void)
{
    ismo_store_opts o = ismo_store_opts_default();
    o.map_size_bytes = (size_t)8 << 20;
    o.map_max_bytes = (size_t)64 << 20;
    o.no_sync = 0;
    return o;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ismo-test-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    ismo_store_opts o = small_opts();
    assert_int_equal(ismo_store_open(f->dir, &o, &f->store, f->why, sizeof f->why), ISMO_OK);
    assert_non_null(f->store);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ismo_store_destroy(&f->store);
    assert_null(f->store);
    ismo_store_destroy(&f->store); /* safe twice */
    rm_dir(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static void put_objective(ismo_txn_t *txn, const char *id, uint32_t version, const char *title)
{
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    o.id = (char *)id;
    o.function = "it-ops";
    o.title = (char *)title;
    o.has_version = 1;
    o.version = version;
    o.has_target = 1;
    o.target = 48;
    assert_int_equal(ismo_store_objective_put(txn, &o), ISMO_OK);
}

static void expect_title(ismo_txn_t *txn, const char *id, uint32_t version, const char *title,
                         uint32_t want_version)
{
    Ismo__V1__Objective *o = NULL;
    assert_int_equal(ismo_store_objective_get(txn, id, version, &o), ISMO_OK);
    assert_non_null(o);
    assert_string_equal(o->id, id);
    assert_string_equal(o->title, title);
    assert_int_equal(o->version, want_version);
    ismo__v1__objective__free_unpacked(o, NULL);
}

static void put_sample(ismo_txn_t *txn, const char *id, int64_t eff, double v, const char *sid)
{
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    s.objective_id = (char *)id;
    s.has_value = 1;
    s.value = v;
    s.has_effective_ms = 1;
    s.effective_ms = eff;
    s.has_received_ms = 1;
    s.received_ms = 1767225600000;
    s.sample_id = (char *)sid;
    assert_int_equal(ismo_store_sample_put(txn, &s), ISMO_OK);
}

#define MAXREC 64
typedef struct rec {
    size_t n;
    int64_t t[MAXREC];
    double v[MAXREC];
    uint64_t seq[MAXREC];
    size_t stop_after; /* 0 = never */
} rec;

static int sample_cb(void *ctx, const Ismo__V1__Sample *s)
{
    rec *r = ctx;
    assert_true(r->n < MAXREC);
    r->t[r->n] = s->effective_ms;
    r->v[r->n] = s->value;
    r->n++;
    return r->stop_after && r->n >= r->stop_after;
}

static int event_cb(void *ctx, const Ismo__V1__Event *e)
{
    rec *r = ctx;
    assert_true(r->n < MAXREC);
    r->seq[r->n] = e->seq;
    char want[32];
    snprintf(want, sizeof want, "event %llu", (unsigned long long)e->seq);
    assert_string_equal(e->message, want); /* the stored event is the one appended as seq */
    r->n++;
    return r->stop_after && r->n >= r->stop_after;
}

static uint64_t append_event(ismo_txn_t *txn, uint64_t expect_seq)
{
    Ismo__V1__Event e = ISMO__V1__EVENT__INIT;
    char msg[32];
    snprintf(msg, sizeof msg, "event %llu", (unsigned long long)expect_seq);
    e.has_kind = 1;
    e.kind = ISMO__V1__EVENT_KIND__REMINDER;
    e.function = "it-ops";
    e.objective_id = "OBJ-1";
    e.has_time_ms = 1;
    e.time_ms = 1767225600000;
    e.message = msg;
    assert_int_equal(ismo_store_event_append(txn, &e), ISMO_OK);
    assert_true(e.has_seq);
    assert_int_equal(e.seq, expect_seq);
    return e.seq;
}

/* ---- objectives ---- */

typedef struct ids {
    size_t n;
    char id[8][ISMO_MAX_ID_BYTES + 1];
    size_t stop_after;
} ids;

static int objective_cb(void *ctx, const Ismo__V1__Objective *o)
{
    ids *x = ctx;
    assert_true(x->n < 8);
    snprintf(x->id[x->n++], sizeof x->id[0], "%s", o->id);
    return x->stop_after && x->n >= x->stop_after;
}

static void test_objective_versions(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    put_objective(txn, "OBJ-1", 1, "first");
    put_objective(txn, "OBJ-1", 2, "second");
    put_objective(txn, "B-2", 1, "b");
    put_objective(txn, "A", 1, "a");
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
    assert_null(txn);

    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    expect_title(txn, "OBJ-1", 0, "second", 2);
    expect_title(txn, "OBJ-1", 1, "first", 1);
    expect_title(txn, "OBJ-1", 2, "second", 2);
    Ismo__V1__Objective *o = (Ismo__V1__Objective *)1;
    assert_int_equal(ismo_store_objective_get(txn, "OBJ-1", 3, &o), ISMO_ERR_NOT_FOUND);
    assert_null(o);
    assert_int_equal(ismo_store_objective_get(txn, "OBJ-2", 0, &o), ISMO_ERR_NOT_FOUND);
    assert_int_equal(ismo_store_objective_get(txn, "OBJ", 0, &o), ISMO_ERR_NOT_FOUND);

    ids x = {0};
    assert_int_equal(ismo_store_objective_foreach(txn, objective_cb, &x), ISMO_OK);
    assert_int_equal(x.n, 3); /* current versions only */
    assert_string_equal(x.id[0], "A");
    assert_string_equal(x.id[1], "B-2");
    assert_string_equal(x.id[2], "OBJ-1");
    ids y = {0};
    y.stop_after = 1;
    assert_int_equal(ismo_store_objective_foreach(txn, objective_cb, &y), ISMO_OK);
    assert_int_equal(y.n, 1);
    ismo_txn_abort(&txn);
    assert_null(txn);
    ismo_txn_abort(&txn); /* safe on NULL */
}

/* An objective as it arrives on the wire (validated by the codec) and is
 * stored by dispatch as a struct copy: get must return it. The bytes carry a
 * field-0 tag written as a non-canonical varint (0x82 0x00), which protobuf-c
 * keeps as an unknown field (found by tests/fuzz/fuzz_request). */
static void test_objective_from_wire_roundtrip(void **state)
{
    fixture *f = *state;
    static const uint8_t wire[] = {0x0a, 0x05, 'O', 'B', 'J', '-', '1',            /* id */
                                   0x12, 0x01, 't',                                /* title */
                                   0x2a, 0x06, 'i', 't', '-', 'o', 'p', 's',       /* function */
                                   0x82, 0x00, 0x00};                              /* field 0 */
    /* the server's path: a PutObjective request decoded by the codec (which
     * drops unknown fields), then stored as dispatch.c h_put_objective does */
    uint8_t req_bytes[64];
    size_t n = 0;
    req_bytes[n++] = 0x5a; /* field 11 (put_objective), length-delimited */
    req_bytes[n++] = (uint8_t)(sizeof wire + 2);
    req_bytes[n++] = 0x0a; /* PutObjectiveRequest.objective */
    req_bytes[n++] = (uint8_t)sizeof wire;
    memcpy(req_bytes + n, wire, sizeof wire);
    n += sizeof wire;
    Ismo__V1__Request *req = NULL;
    char why[256] = "";
    assert_int_equal(ismo_codec_decode_request(req_bytes, n, 0, &req, why, sizeof why), ISMO_OK);
    Ismo__V1__Objective *in = req->put_objective->objective;
    assert_non_null(in);
    assert_int_equal(ismo_objective_validate(in, why, sizeof why), ISMO_OK);
    Ismo__V1__Objective o = *in;
    o.has_version = 1;
    o.version = 1;
    ismo_txn_t *txn = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    assert_int_equal(ismo_store_objective_put(txn, &o), ISMO_OK);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
    ismo__v1__request__free_unpacked(req, NULL);

    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    Ismo__V1__Objective *got = NULL;
    ismo_err err = ismo_store_objective_get(txn, "OBJ-1", 0, &got);
    ids x = {0};
    assert_int_equal(ismo_store_objective_foreach(txn, objective_cb, &x), ISMO_OK);
    ismo_txn_abort(&txn);
    if (got) {
        ismo__v1__objective__free_unpacked(got, NULL);
    }
    assert_int_equal(err, ISMO_OK);
    assert_int_equal(x.n, 1);
}

/* ---- samples ---- */

static void test_samples_order_negative_positive(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    /* inserted out of order, across the sign boundary */
    const int64_t times[] = {3000, -5000, 1, -1, 0, INT64_C(1767225600000), -INT64_C(86400000000), 2};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        put_sample(txn, "OBJ-1", times[i], (double)i, NULL);
    }
    /* neighbours whose ids share a prefix */
    put_sample(txn, "OBJ", 10, 100, NULL);
    put_sample(txn, "OBJ-10", 20, 200, NULL);
    put_sample(txn, "OBJ-10", -20, 201, NULL);
    /* two samples at the same instant keep ingest order */
    put_sample(txn, "OBJ-2", 50, 1, NULL);
    put_sample(txn, "OBJ-2", 50, 2, NULL);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);

    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    rec r = {0};
    assert_int_equal(ismo_store_samples_scan(txn, "OBJ-1", INT64_MIN / 2, INT64_MAX / 2, sample_cb, &r),
                     ISMO_OK);
    const int64_t sorted[] = {-INT64_C(86400000000), -5000, -1, 0, 1, 2, 3000, INT64_C(1767225600000)};
    assert_int_equal(r.n, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(r.t[i], sorted[i]);
    }
    /* inclusive range [-1, 2] */
    rec r2 = {0};
    assert_int_equal(ismo_store_samples_scan(txn, "OBJ-1", -1, 2, sample_cb, &r2), ISMO_OK);
    assert_int_equal(r2.n, 4);
    assert_int_equal(r2.t[0], -1);
    assert_int_equal(r2.t[3], 2);
    assert_true(r2.v[0] == 3.0); /* the value stored with -1 (index 3) */
    /* stop early */
    rec r3 = {0};
    r3.stop_after = 2;
    assert_int_equal(ismo_store_samples_scan(txn, "OBJ-1", INT64_MIN / 2, INT64_MAX / 2, sample_cb, &r3),
                     ISMO_OK);
    assert_int_equal(r3.n, 2);
    /* prefix neighbours stay apart */
    rec r4 = {0};
    assert_int_equal(ismo_store_samples_scan(txn, "OBJ", INT64_MIN / 2, INT64_MAX / 2, sample_cb, &r4),
                     ISMO_OK);
    assert_int_equal(r4.n, 1);
    assert_true(r4.v[0] == 100);
    rec r5 = {0};
    assert_int_equal(ismo_store_samples_scan(txn, "OBJ-10", INT64_MIN / 2, INT64_MAX / 2, sample_cb, &r5),
                     ISMO_OK);
    assert_int_equal(r5.n, 2);
    assert_int_equal(r5.t[0], -20);
    assert_int_equal(r5.t[1], 20);
    rec r6 = {0};
    assert_int_equal(ismo_store_samples_scan(txn, "OBJ-2", 0, 100, sample_cb, &r6), ISMO_OK);
    assert_int_equal(r6.n, 2);
    assert_true(r6.v[0] == 1 && r6.v[1] == 2);
    rec r7 = {0};
    assert_int_equal(ismo_store_samples_scan(txn, "NOPE", INT64_MIN / 2, INT64_MAX / 2, sample_cb, &r7),
                     ISMO_OK);
    assert_int_equal(r7.n, 0);
    rec r8 = {0}; /* empty range between samples */
    assert_int_equal(ismo_store_samples_scan(txn, "OBJ-1", 4, 2999, sample_cb, &r8), ISMO_OK);
    assert_int_equal(r8.n, 0);

    int64_t last = 42;
    assert_int_equal(ismo_store_sample_last(txn, "OBJ-1", &last), ISMO_OK);
    assert_int_equal(last, INT64_C(1767225600000));
    assert_int_equal(ismo_store_sample_last(txn, "OBJ", &last), ISMO_OK);
    assert_int_equal(last, 10);
    assert_int_equal(ismo_store_sample_last(txn, "OBJ-10", &last), ISMO_OK);
    assert_int_equal(last, 20);
    assert_int_equal(ismo_store_sample_last(txn, "OBJ-2", &last), ISMO_OK);
    assert_int_equal(last, 50);
    last = 42;
    assert_int_equal(ismo_store_sample_last(txn, "NOPE", &last), ISMO_OK);
    assert_int_equal(last, 0);
    last = 42;
    assert_int_equal(ismo_store_sample_last(txn, "ZZZ", &last), ISMO_OK); /* after every key */
    assert_int_equal(last, 0);
    uint64_t count = 0;
    assert_int_equal(ismo_store_sample_count(txn, &count), ISMO_OK);
    assert_int_equal(count, 8 + 1 + 2 + 2);
    ismo_txn_abort(&txn);
}

static void test_sample_last_negative_only(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    put_sample(txn, "OBJ-1", -7000, 1, NULL);
    put_sample(txn, "OBJ-1", -9000, 1, NULL);
    int64_t last = 0;
    assert_int_equal(ismo_store_sample_last(txn, "OBJ-1", &last), ISMO_OK);
    assert_int_equal(last, -7000);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
}

static void test_sample_seen(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    int seen = -1;
    assert_int_equal(ismo_store_sample_seen(txn, "agent:web1:0001", &seen), ISMO_OK);
    assert_int_equal(seen, 0);
    put_sample(txn, "OBJ-1", 1000, 1, "agent:web1:0001");
    put_sample(txn, "OBJ-1", 2000, 2, "");
    assert_int_equal(ismo_store_sample_seen(txn, "agent:web1:0001", &seen), ISMO_OK);
    assert_int_equal(seen, 1); /* visible inside the same transaction */
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    assert_int_equal(ismo_store_sample_seen(txn, "agent:web1:0001", &seen), ISMO_OK);
    assert_int_equal(seen, 1);
    assert_int_equal(ismo_store_sample_seen(txn, "agent:web1:0002", &seen), ISMO_OK);
    assert_int_equal(seen, 0);
    assert_int_equal(ismo_store_sample_seen(txn, "agent:web1:000", &seen), ISMO_OK);
    assert_int_equal(seen, 0);
    seen = -1;
    assert_int_equal(ismo_store_sample_seen(txn, "", &seen), ISMO_OK);
    assert_int_equal(seen, 0);
    ismo_txn_abort(&txn);
}

/* ---- events ---- */

static void test_events_gap_free(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    uint64_t seq = 99;
    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    assert_int_equal(ismo_store_last_seq(txn, &seq), ISMO_OK);
    assert_int_equal(seq, 0);
    ismo_txn_abort(&txn);

    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    for (uint64_t i = 1; i <= 5; i++) {
        append_event(txn, i);
    }
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
    /* an aborted append leaves no gap */
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    append_event(txn, 6);
    ismo_txn_abort(&txn);
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    append_event(txn, 6);
    append_event(txn, 7);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);

    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    assert_int_equal(ismo_store_last_seq(txn, &seq), ISMO_OK);
    assert_int_equal(seq, 7);
    rec all = {0};
    assert_int_equal(ismo_store_events_scan(txn, 0, event_cb, &all), ISMO_OK);
    assert_int_equal(all.n, 7);
    for (size_t i = 0; i < all.n; i++) {
        assert_int_equal(all.seq[i], i + 1);
    }
    rec rest = {0};
    assert_int_equal(ismo_store_events_scan(txn, 4, event_cb, &rest), ISMO_OK);
    assert_int_equal(rest.n, 3);
    assert_int_equal(rest.seq[0], 5);
    assert_int_equal(rest.seq[2], 7);
    rec none = {0};
    assert_int_equal(ismo_store_events_scan(txn, 7, event_cb, &none), ISMO_OK);
    assert_int_equal(none.n, 0);
    rec stop = {0};
    stop.stop_after = 2;
    assert_int_equal(ismo_store_events_scan(txn, 0, event_cb, &stop), ISMO_OK);
    assert_int_equal(stop.n, 2);
    ismo_txn_abort(&txn);
}

/* events with seq > UINT64_MAX: there are none. */
static void test_events_scan_since_max(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    append_event(txn, 1);
    append_event(txn, 2);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    rec r = {0};
    assert_int_equal(ismo_store_events_scan(txn, UINT64_MAX, event_cb, &r), ISMO_OK);
    ismo_txn_abort(&txn);
    assert_int_equal(r.n, 0);
}

/* ---- reminders ---- */

static void test_reminders(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    int fired = -1;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    assert_int_equal(ismo_store_reminder_fired(txn, "OBJ-1", "deadline:100:7", &fired), ISMO_OK);
    assert_int_equal(fired, 0);
    assert_int_equal(ismo_store_reminder_mark(txn, "OBJ-1", "deadline:100:7", 12), ISMO_OK);
    assert_int_equal(ismo_store_reminder_mark(txn, "OBJ-1", "deadline:100:30", 0), ISMO_OK);
    assert_int_equal(ismo_store_reminder_mark(txn, "OBJ-1", "overdue:100", 13), ISMO_OK);
    assert_int_equal(ismo_store_reminder_mark(txn, "OBJ-10", "deadline:100:7", 14), ISMO_OK);
    assert_int_equal(ismo_store_reminder_mark(txn, "OBJ", "deadline:100:1", 15), ISMO_OK);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);

    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    assert_int_equal(ismo_store_reminder_fired(txn, "OBJ-1", "deadline:100:7", &fired), ISMO_OK);
    assert_int_equal(fired, 1);
    assert_int_equal(ismo_store_reminder_fired(txn, "OBJ-1", "deadline:100:30", &fired), ISMO_OK);
    assert_int_equal(fired, 2);
    assert_int_equal(ismo_store_reminder_fired(txn, "OBJ-1", "deadline:100:1", &fired), ISMO_OK);
    assert_int_equal(fired, 0);
    assert_int_equal(ismo_store_reminder_fired(txn, "OBJ-2", "deadline:100:7", &fired), ISMO_OK);
    assert_int_equal(fired, 0);
    uint32_t count = 99;
    assert_int_equal(ismo_store_reminder_count(txn, "OBJ-1", "deadline:", &count), ISMO_OK);
    assert_int_equal(count, 1); /* the suppressed one does not count */
    assert_int_equal(ismo_store_reminder_count(txn, "OBJ-1", "deadline:100:", &count), ISMO_OK);
    assert_int_equal(count, 1);
    assert_int_equal(ismo_store_reminder_count(txn, "OBJ-1", "overdue:", &count), ISMO_OK);
    assert_int_equal(count, 1);
    assert_int_equal(ismo_store_reminder_count(txn, "OBJ-1", "", &count), ISMO_OK);
    assert_int_equal(count, 2);
    assert_int_equal(ismo_store_reminder_count(txn, "OBJ-1", "stale:", &count), ISMO_OK);
    assert_int_equal(count, 0);
    assert_int_equal(ismo_store_reminder_count(txn, "OBJ", "", &count), ISMO_OK);
    assert_int_equal(count, 1);
    assert_int_equal(ismo_store_reminder_count(txn, "OBJ-3", "", &count), ISMO_OK);
    assert_int_equal(count, 0);
    ismo_txn_abort(&txn);
}

/* ---- status ---- */

static void test_status_roundtrip(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    Ismo__V1__Status st = ISMO__V1__STATUS__INIT;
    st.objective_id = "OBJ-1";
    st.has_health = 1;
    st.health = ISMO__V1__HEALTH__AT_RISK;
    st.has_value = 1;
    st.value = 51.5;
    st.explanation = "reach: progress 40%";
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    assert_int_equal(ismo_store_status_put(txn, &st), ISMO_OK);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    Ismo__V1__Status *got = NULL;
    assert_int_equal(ismo_store_status_get(txn, "OBJ-1", &got), ISMO_OK);
    assert_int_equal(got->health, ISMO__V1__HEALTH__AT_RISK);
    assert_true(got->value == 51.5);
    assert_string_equal(got->explanation, "reach: progress 40%");
    ismo__v1__status__free_unpacked(got, NULL);
    assert_int_equal(ismo_store_status_get(txn, "OBJ-2", &got), ISMO_ERR_NOT_FOUND);
    assert_null(got);
    ismo_txn_abort(&txn);
}

/* ---- durability, lock ---- */

static void test_survives_reopen(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    put_objective(txn, "OBJ-1", 1, "first");
    put_objective(txn, "OBJ-1", 2, "second");
    put_sample(txn, "OBJ-1", -1000, 1.5, "s-1");
    put_sample(txn, "OBJ-1", 1000, 2.5, "s-2");
    append_event(txn, 1);
    append_event(txn, 2);
    assert_int_equal(ismo_store_reminder_mark(txn, "OBJ-1", "overdue:5", 2), ISMO_OK);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
    /* an uncommitted write must not survive */
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    put_objective(txn, "GHOST", 1, "never committed");
    ismo_txn_abort(&txn);

    ismo_store_destroy(&f->store);
    ismo_store_opts o = small_opts();
    assert_int_equal(ismo_store_open(f->dir, &o, &f->store, f->why, sizeof f->why), ISMO_OK);

    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    expect_title(txn, "OBJ-1", 0, "second", 2);
    expect_title(txn, "OBJ-1", 1, "first", 1);
    Ismo__V1__Objective *ghost = NULL;
    assert_int_equal(ismo_store_objective_get(txn, "GHOST", 0, &ghost), ISMO_ERR_NOT_FOUND);
    rec r = {0};
    assert_int_equal(ismo_store_samples_scan(txn, "OBJ-1", INT64_MIN / 2, INT64_MAX / 2, sample_cb, &r),
                     ISMO_OK);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.t[0], -1000);
    assert_true(r.v[1] == 2.5);
    int seen = 0;
    assert_int_equal(ismo_store_sample_seen(txn, "s-2", &seen), ISMO_OK);
    assert_int_equal(seen, 1);
    uint64_t seq = 0;
    assert_int_equal(ismo_store_last_seq(txn, &seq), ISMO_OK);
    assert_int_equal(seq, 2);
    int fired = 0;
    assert_int_equal(ismo_store_reminder_fired(txn, "OBJ-1", "overdue:5", &fired), ISMO_OK);
    assert_int_equal(fired, 1);
    ismo_txn_abort(&txn);
    /* the sequence continues after the restart */
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    append_event(txn, 3);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
}

static void test_second_open_locked(void **state)
{
    fixture *f = *state;
    ismo_store_t *second = (ismo_store_t *)1;
    char why[512] = "";
    ismo_store_opts o = small_opts();
    assert_int_equal(ismo_store_open(f->dir, &o, &second, why, sizeof why), ISMO_ERR_LOCKED);
    assert_null(second);
    assert_non_null(strstr(why, f->dir));
    /* the first store still works */
    ismo_txn_t *txn = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    put_objective(txn, "OBJ-1", 1, "t");
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
    /* after closing the first, the directory opens again */
    ismo_store_destroy(&f->store);
    assert_int_equal(ismo_store_open(f->dir, &o, &second, why, sizeof why), ISMO_OK);
    f->store = second;
}

static void test_open_bad_dir(void **state)
{
    (void)state;
    ismo_store_t *s = NULL;
    char why[512] = "";
    ismo_store_opts o = small_opts();
    assert_int_equal(ismo_store_open("/nonexistent-ismo/a/b", &o, &s, why, sizeof why), ISMO_ERR_IO);
    assert_null(s);
    assert_true(strlen(why) > 0);
}

/* ---- map size ---- */

static void test_grow_doubles_to_max(void **state)
{
    fixture *f = *state;
    ismo_store_destroy(&f->store);
    rm_dir(f->dir);
    assert_non_null(mkdtemp(strcpy(f->dir, "/tmp/ismo-test-store-XXXXXX")));
    ismo_store_opts o = small_opts();
    o.map_size_bytes = (size_t)1 << 20;
    o.map_max_bytes = (size_t)3 << 20;
    assert_int_equal(ismo_store_open(f->dir, &o, &f->store, f->why, sizeof f->why), ISMO_OK);
    assert_int_equal(ismo_store_map_size(f->store), (size_t)1 << 20);
    assert_int_equal(ismo_store_grow(f->store), ISMO_OK);
    assert_int_equal(ismo_store_map_size(f->store), (size_t)2 << 20);
    assert_int_equal(ismo_store_grow(f->store), ISMO_OK);
    assert_int_equal(ismo_store_map_size(f->store), (size_t)3 << 20); /* capped at the max */
    assert_int_equal(ismo_store_grow(f->store), ISMO_ERR_FULL);
    assert_int_equal(ismo_store_map_size(f->store), (size_t)3 << 20);
}

static int count_cb(void *ctx, const Ismo__V1__Objective *o)
{
    (void)o;
    (*(size_t *)ctx)++;
    return 0;
}

static void test_map_full(void **state)
{
    fixture *f = *state;
    ismo_store_destroy(&f->store);
    rm_dir(f->dir);
    assert_non_null(mkdtemp(strcpy(f->dir, "/tmp/ismo-test-store-XXXXXX")));
    ismo_store_opts o = small_opts();
    o.map_size_bytes = (size_t)1 << 20;
    o.map_max_bytes = (size_t)1 << 20;
    o.no_sync = 1;
    assert_int_equal(ismo_store_open(f->dir, &o, &f->store, f->why, sizeof f->why), ISMO_OK);

    static char desc[3000];
    memset(desc, 'x', sizeof desc - 1);
    size_t committed = 0;
    ismo_err full = ISMO_OK;
    int where = 0; /* 1 = put, 2 = commit */
    for (int batch = 0; batch < 1000 && full == ISMO_OK; batch++) {
        ismo_txn_t *txn = NULL;
        assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
        size_t in_batch = 0;
        for (int i = 0; i < 10; i++) {
            char id[32];
            snprintf(id, sizeof id, "OBJ-%05zu", committed + in_batch);
            Ismo__V1__Objective ob = ISMO__V1__OBJECTIVE__INIT;
            ob.id = id;
            ob.function = "it-ops";
            ob.title = "filler";
            ob.description = desc;
            ob.has_version = 1;
            ob.version = 1;
            ismo_err err = ismo_store_objective_put(txn, &ob);
            if (err != ISMO_OK) {
                full = err;
                where = 1;
                break;
            }
            in_batch++;
        }
        if (full != ISMO_OK) {
            ismo_txn_abort(&txn);
            break;
        }
        ismo_err err = ismo_txn_commit(&txn);
        assert_null(txn);
        if (err != ISMO_OK) {
            full = err;
            where = 2;
            break;
        }
        committed += in_batch;
    }
    print_message("map full after %zu committed objectives (at %s)\n", committed,
                  where == 1 ? "put" : "commit");
    assert_int_equal(full, ISMO_ERR_FULL);
    assert_true(committed > 0);
    assert_int_equal(ismo_store_grow(f->store), ISMO_ERR_FULL);

    /* what was committed is still readable, nothing of the failed batch is */
    ismo_txn_t *txn = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    size_t n = 0;
    assert_int_equal(ismo_store_objective_foreach(txn, count_cb, &n), ISMO_OK);
    assert_int_equal(n, committed);
    char id[32];
    snprintf(id, sizeof id, "OBJ-%05zu", committed - 1);
    Ismo__V1__Objective *got = NULL;
    assert_int_equal(ismo_store_objective_get(txn, id, 1, &got), ISMO_OK);
    assert_int_equal(strlen(got->description), sizeof desc - 1);
    ismo__v1__objective__free_unpacked(got, NULL);
    snprintf(id, sizeof id, "OBJ-%05zu", committed);
    assert_int_equal(ismo_store_objective_get(txn, id, 0, &got), ISMO_ERR_NOT_FOUND);
    ismo_txn_abort(&txn);

    /* and survives a reopen */
    ismo_store_destroy(&f->store);
    assert_int_equal(ismo_store_open(f->dir, &o, &f->store, f->why, sizeof f->why), ISMO_OK);
    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    n = 0;
    assert_int_equal(ismo_store_objective_foreach(txn, count_cb, &n), ISMO_OK);
    assert_int_equal(n, committed);
    ismo_txn_abort(&txn);
}

/* ---- nested transactions ---- */

static void test_nested_abort(void **state)
{
    fixture *f = *state;
    ismo_txn_t *parent = NULL, *child = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &parent), ISMO_OK);
    put_objective(parent, "A", 1, "a");
    append_event(parent, 1);

    assert_int_equal(ismo_txn_begin_child(parent, &child), ISMO_OK);
    put_objective(child, "B", 1, "b");
    put_sample(child, "B", 10, 1, "sid-b");
    append_event(child, 2);
    expect_title(child, "A", 0, "a", 1); /* the child sees the parent's writes */
    ismo_txn_abort(&child);
    assert_null(child);

    Ismo__V1__Objective *o = NULL;
    assert_int_equal(ismo_store_objective_get(parent, "B", 0, &o), ISMO_ERR_NOT_FOUND);
    int seen = 1;
    assert_int_equal(ismo_store_sample_seen(parent, "sid-b", &seen), ISMO_OK);
    assert_int_equal(seen, 0);
    uint64_t seq = 0;
    assert_int_equal(ismo_store_last_seq(parent, &seq), ISMO_OK);
    assert_int_equal(seq, 1);

    /* a committed child becomes part of the parent */
    assert_int_equal(ismo_txn_begin_child(parent, &child), ISMO_OK);
    put_objective(child, "C", 1, "c");
    append_event(child, 2);
    assert_int_equal(ismo_txn_commit(&child), ISMO_OK);
    assert_null(child);
    expect_title(parent, "C", 0, "c", 1);
    append_event(parent, 3);
    assert_int_equal(ismo_txn_commit(&parent), ISMO_OK);

    ismo_txn_t *rd = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 0, &rd), ISMO_OK);
    ids x = {0};
    assert_int_equal(ismo_store_objective_foreach(rd, objective_cb, &x), ISMO_OK);
    assert_int_equal(x.n, 2);
    assert_string_equal(x.id[0], "A");
    assert_string_equal(x.id[1], "C");
    rec r = {0};
    assert_int_equal(ismo_store_events_scan(rd, 0, event_cb, &r), ISMO_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.seq[2], 3);
    ismo_txn_abort(&rd);
}

/* An aborted parent undoes its committed child too. */
static void test_nested_parent_abort(void **state)
{
    fixture *f = *state;
    ismo_txn_t *parent = NULL, *child = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &parent), ISMO_OK);
    assert_int_equal(ismo_txn_begin_child(parent, &child), ISMO_OK);
    put_objective(child, "C", 1, "c");
    assert_int_equal(ismo_txn_commit(&child), ISMO_OK);
    ismo_txn_abort(&parent);
    ismo_txn_t *rd = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 0, &rd), ISMO_OK);
    Ismo__V1__Objective *o = NULL;
    assert_int_equal(ismo_store_objective_get(rd, "C", 0, &o), ISMO_ERR_NOT_FOUND);
    ismo_txn_abort(&rd);
}

/* ---- as-of versions, the children index, reviews, context ---- */

static void put_version_at(ismo_txn_t *txn, const char *id, uint32_t version, int64_t updated_ms,
                           const char *parent)
{
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    o.id = (char *)id;
    o.function = "it-ops";
    o.title = "t";
    o.has_version = 1;
    o.version = version;
    o.has_updated_ms = 1;
    o.updated_ms = updated_ms;
    o.parent_id = (char *)parent;
    assert_int_equal(ismo_store_objective_put(txn, &o), ISMO_OK);
}

static void test_objective_as_of(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    put_version_at(txn, "OBJ-1", 1, 1000, NULL);
    put_version_at(txn, "OBJ-1", 2, 2000, NULL);
    put_version_at(txn, "OBJ-1", 3, 3000, NULL);
    Ismo__V1__Objective *o = NULL;
    int64_t at[] = {999, 1000, 1999, 2000, 2500, 3000, INT64_MAX};
    uint32_t want[] = {0, 1, 1, 2, 2, 3, 3};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        ismo_err err = ismo_store_objective_get_as_of(txn, "OBJ-1", at[i], &o);
        if (want[i] == 0) {
            assert_int_equal(err, ISMO_ERR_NOT_FOUND);
            assert_null(o);
        } else {
            assert_int_equal(err, ISMO_OK);
            assert_int_equal(o->version, want[i]);
            ismo__v1__objective__free_unpacked(o, NULL);
        }
    }
    assert_int_equal(ismo_store_objective_get_as_of(txn, "NOPE", 5000, &o), ISMO_ERR_NOT_FOUND);
    ismo_txn_abort(&txn);
}

static int child_cb(void *ctx, const char *id)
{
    ids *x = ctx;
    assert_true(x->n < 8);
    snprintf(x->id[x->n++], sizeof x->id[0], "%s", id);
    return 0;
}

static void test_children_index(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    put_version_at(txn, "P", 1, 1, NULL);
    put_version_at(txn, "PX", 1, 1, NULL);
    put_version_at(txn, "C2", 1, 1, "P");
    put_version_at(txn, "C1", 1, 1, "P");
    put_version_at(txn, "D", 1, 1, "PX"); /* "PX" must not look like a child list of "P" */
    ids x = {0};
    assert_int_equal(ismo_store_children(txn, "P", child_cb, &x), ISMO_OK);
    assert_int_equal(x.n, 2);
    assert_string_equal(x.id[0], "C1");
    assert_string_equal(x.id[1], "C2");
    /* move C1 to PX, make C2 a root */
    put_version_at(txn, "C1", 2, 2, "PX");
    put_version_at(txn, "C2", 2, 2, "");
    ids y = {0};
    assert_int_equal(ismo_store_children(txn, "P", child_cb, &y), ISMO_OK);
    assert_int_equal(y.n, 0);
    ids z = {0};
    assert_int_equal(ismo_store_children(txn, "PX", child_cb, &z), ISMO_OK);
    assert_int_equal(z.n, 2);
    assert_string_equal(z.id[0], "C1");
    assert_string_equal(z.id[1], "D");
    ids e = {0};
    assert_int_equal(ismo_store_children(txn, "", child_cb, &e), ISMO_OK);
    assert_int_equal(e.n, 0);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
}

typedef struct reviews_seen {
    size_t n;
    int64_t at[8];
    uint64_t seq[8];
    char id[8][16];
} reviews_seen;

static int review_cb(void *ctx, const Ismo__V1__Review *r)
{
    reviews_seen *x = ctx;
    assert_true(x->n < 8);
    x->at[x->n] = r->reviewed_ms;
    x->seq[x->n] = r->seq;
    snprintf(x->id[x->n], sizeof x->id[0], "%s", r->objective_id);
    x->n++;
    return 0;
}

static void add_review(ismo_txn_t *txn, const char *id, int64_t at, uint64_t want_seq)
{
    Ismo__V1__Review r = ISMO__V1__REVIEW__INIT;
    r.objective_id = (char *)id;
    r.has_reviewed_ms = 1;
    r.reviewed_ms = at;
    r.has_decision = 1;
    r.decision = ISMO__V1__REVIEW_DECISION__CONTINUE;
    assert_int_equal(ismo_store_review_add(txn, &r), ISMO_OK);
    assert_int_equal(r.seq, want_seq);
}

static void test_reviews(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    int64_t last = -1;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    assert_int_equal(ismo_store_review_last(txn, "A", &last), ISMO_OK);
    assert_int_equal(last, 0);
    add_review(txn, "A", 3000, 1);
    add_review(txn, "A", 1000, 2);
    add_review(txn, "B", 2000, 3);
    add_review(txn, "AB", 9000, 4); /* a longer id with the same prefix */
    Ismo__V1__Review bad = ISMO__V1__REVIEW__INIT;
    assert_int_equal(ismo_store_review_add(txn, &bad), ISMO_ERR_INVALID);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);

    assert_int_equal(ismo_txn_begin(f->store, 0, &txn), ISMO_OK);
    assert_int_equal(ismo_store_review_last(txn, "A", &last), ISMO_OK);
    assert_int_equal(last, 3000);
    assert_int_equal(ismo_store_review_last(txn, "AB", &last), ISMO_OK);
    assert_int_equal(last, 9000);
    assert_int_equal(ismo_store_review_last(txn, "C", &last), ISMO_OK);
    assert_int_equal(last, 0);
    reviews_seen x = {0};
    assert_int_equal(ismo_store_reviews_scan(txn, "A", INT64_MIN, INT64_MAX, review_cb, &x), ISMO_OK);
    assert_int_equal(x.n, 2);
    assert_int_equal(x.at[0], 1000);
    assert_int_equal(x.seq[0], 2);
    assert_int_equal(x.at[1], 3000);
    reviews_seen y = {0};
    assert_int_equal(ismo_store_reviews_scan(txn, "A", 1001, 3000, review_cb, &y), ISMO_OK);
    assert_int_equal(y.n, 0); /* until is exclusive, since inclusive */
    reviews_seen z = {0};
    assert_int_equal(ismo_store_reviews_scan(txn, NULL, 1500, 5000, review_cb, &z), ISMO_OK);
    assert_int_equal(z.n, 2);
    assert_string_equal(z.id[0], "A");
    assert_string_equal(z.id[1], "B");
    ismo_txn_abort(&txn);
}

static int policy_cb(void *ctx, const Ismo__V1__PolicyCommitment *p)
{
    ids *x = ctx;
    snprintf(x->id[x->n++], sizeof x->id[0], "%s", p->id);
    return 0;
}

static int risk_cb(void *ctx, const Ismo__V1__Risk *r)
{
    ids *x = ctx;
    snprintf(x->id[x->n++], sizeof x->id[0], "%s%s", r->id, r->high ? "!" : "");
    return 0;
}

static void test_context(void **state)
{
    fixture *f = *state;
    ismo_txn_t *txn = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &txn), ISMO_OK);
    Ismo__V1__PolicyCommitment p = ISMO__V1__POLICY_COMMITMENT__INIT;
    Ismo__V1__Risk r = ISMO__V1__RISK__INIT;
    p.id = "POL-2";
    assert_int_equal(ismo_store_policy_put(txn, &p), ISMO_OK);
    p.id = "POL-1";
    p.text = "first";
    assert_int_equal(ismo_store_policy_put(txn, &p), ISMO_OK);
    p.text = "replaced";
    assert_int_equal(ismo_store_policy_put(txn, &p), ISMO_OK);
    r.id = "R-1";
    r.has_high = 1;
    r.high = 1;
    assert_int_equal(ismo_store_risk_put(txn, &r), ISMO_OK);
    r.id = NULL;
    assert_int_equal(ismo_store_risk_put(txn, &r), ISMO_ERR_INVALID);
    ids x = {0}, y = {0};
    assert_int_equal(ismo_store_policies_scan(txn, policy_cb, &x), ISMO_OK);
    assert_int_equal(x.n, 2);
    assert_string_equal(x.id[0], "POL-1");
    assert_string_equal(x.id[1], "POL-2");
    assert_int_equal(ismo_store_risks_scan(txn, risk_cb, &y), ISMO_OK);
    assert_int_equal(y.n, 1);
    assert_string_equal(y.id[0], "R-1!");
    int exists = 0;
    assert_int_equal(ismo_store_policy_exists(txn, "POL-1", &exists), ISMO_OK);
    assert_true(exists);
    assert_int_equal(ismo_store_policy_exists(txn, "POL-3", &exists), ISMO_OK);
    assert_false(exists);
    assert_int_equal(ismo_store_context_clear(txn), ISMO_OK);
    ids z = {0};
    assert_int_equal(ismo_store_policies_scan(txn, policy_cb, &z), ISMO_OK);
    assert_int_equal(ismo_store_risks_scan(txn, risk_cb, &z), ISMO_OK);
    assert_int_equal(z.n, 0);
    assert_int_equal(ismo_txn_commit(&txn), ISMO_OK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_objective_versions),
        T(test_objective_from_wire_roundtrip),
        T(test_samples_order_negative_positive),
        T(test_sample_last_negative_only),
        T(test_sample_seen),
        T(test_events_gap_free),
        T(test_events_scan_since_max),
        T(test_reminders),
        T(test_status_roundtrip),
        T(test_survives_reopen),
        T(test_second_open_locked),
        T(test_open_bad_dir),
        T(test_grow_doubles_to_max),
        T(test_map_full),
        T(test_nested_abort),
        T(test_nested_parent_abort),
        T(test_objective_as_of),
        T(test_children_index),
        T(test_reviews),
        T(test_context),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
