/* store: the only LMDB user. Owns the environment, its databases, the map
 * size (grown on demand up to a maximum), the data-directory lock, and the
 * translation of MDB_* codes to ismo_err. Does not evaluate, schedule or
 * publish anything. Runs on the server thread (tests: the test thread). */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "ismo_log.h"

enum { DBI_OBJECTIVES, DBI_VERSIONS, DBI_SAMPLES, DBI_SAMPLE_IDS, DBI_STATUS,
       DBI_EVENTS, DBI_REMINDERS, DBI_META, DBI_AGGREGATES, DBI_DUE, DBI_DUE_BY_ID,
       DBI_AUDIT, DBI_REVIEWS, DBI_POLICIES, DBI_RISKS, DBI_CHILDREN, DBI_COUNT };

static const char *dbi_names[DBI_COUNT] = {"objectives", "versions",   "samples", "sample_ids",
                                           "status",     "events",     "reminders", "meta",
                                           "aggregates", "due",        "due_by_id", "audit",
                                           "reviews",    "policies",   "risks",     "children"};

/* Below this many free bytes on the data directory's file system, a failed
 * commit (LMDB reports a short write as EIO) counts as "disk full". */
#define DISK_FULL_MARGIN_BYTES ((uint64_t)8 << 20)

struct ismo_store {
    char dir[1024];
    int disk_full;      /* the last failed commit ran out of disk, not of map */
    MDB_env *env;
    MDB_dbi dbi[DBI_COUNT];
    ismo_store_opts opts;
    size_t map_size;
    int lock_fd;
};

/* A write transaction caches the two counters it advances (the ingest
 * sequence of samples and the event sequence) and writes them to "meta" once,
 * at the top-level commit; a nested transaction hands its counters to its
 * parent when it commits and drops them when it aborts. */
struct ismo_txn {
    ismo_store_t *store;
    MDB_txn *txn;
    struct ismo_txn *parent;
    int write;
    int seq_dirty;
    uint64_t ingest_seq;
    uint64_t last_seq;
};

static uint64_t meta_get_u64(ismo_txn_t *t, const char *name);
static ismo_err meta_put_u64(ismo_txn_t *t, const char *name, uint64_t value);

ismo_store_opts ismo_store_opts_default(void)
{
    ismo_store_opts o;
    o.map_size_bytes = (size_t)64 << 20;
    o.map_max_bytes = (size_t)16 << 30;
    o.no_sync = 0;
    return o;
}

/* The one place MDB_* becomes ismo_err. */
static ismo_err map_rc(int rc)
{
    switch (rc) {
    case MDB_SUCCESS: return ISMO_OK;
    case MDB_NOTFOUND: return ISMO_ERR_NOT_FOUND;
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
    case ENOSPC: return ISMO_ERR_FULL;
    case ENOMEM: return ISMO_ERR_NOMEM;
    case MDB_BAD_VALSIZE: return ISMO_ERR_TOO_LARGE;
    default: return ISMO_ERR_IO;
    }
}

static ismo_err log_rc(const char *what, int rc)
{
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        ISMO_ERROR("store", "%s: %s", what, mdb_strerror(rc));
    }
    return map_rc(rc);
}

ismo_err ismo_store_open(const char *dir, const ismo_store_opts *opts, ismo_store_t **store_p,
                         char *why, size_t why_len)
{
    *store_p = NULL;
    ismo_store_t *s = calloc(1, sizeof *s);
    if (!s) {
        return ISMO_ERR_NOMEM;
    }
    s->opts = opts ? *opts : ismo_store_opts_default();
    s->lock_fd = -1;
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(why, why_len, "cannot create data directory %s: %s", dir, strerror(errno));
        free(s);
        return ISMO_ERR_IO;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/ismod.lock", dir);
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        snprintf(why, why_len, "cannot open %s: %s", path, strerror(errno));
        free(s);
        return ISMO_ERR_IO;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(why, why_len,
                 "data directory %s is in use by another ismod (lock %s held); stop it first", dir,
                 path);
        close(s->lock_fd);
        free(s);
        return ISMO_ERR_LOCKED;
    }
    int rc = mdb_env_create(&s->env);
    if (rc == 0) {
        rc = mdb_env_set_maxdbs(s->env, DBI_COUNT + 2);
    }
    /* keep an existing larger map: LMDB adopts the file's size when ours is smaller */
    s->map_size = s->opts.map_size_bytes;
    if (rc == 0) {
        rc = mdb_env_set_mapsize(s->env, s->map_size);
    }
    if (rc == 0) {
        unsigned flags = MDB_NOTLS | (s->opts.no_sync ? MDB_NOSYNC : 0);
        rc = mdb_env_open(s->env, dir, flags, 0600);
    }
    if (rc != 0) {
        snprintf(why, why_len, "cannot open LMDB environment in %s: %s", dir, mdb_strerror(rc));
        ismo_store_destroy(&s);
        return map_rc(rc) == ISMO_ERR_FULL ? ISMO_ERR_FULL : ISMO_ERR_IO;
    }
    MDB_envinfo info;
    if (mdb_env_info(s->env, &info) == 0) {
        s->map_size = info.me_mapsize;
    }
    int dead = 0;
    mdb_reader_check(s->env, &dead);
    if (dead > 0) {
        ISMO_WARN("store", "cleared %d stale reader slot(s)", dead);
    }
    MDB_txn *txn;
    rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    for (int i = 0; rc == 0 && i < DBI_COUNT; i++) {
        rc = mdb_dbi_open(txn, dbi_names[i], MDB_CREATE, &s->dbi[i]);
    }
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
    } else {
        mdb_txn_abort(txn);
    }
    if (rc != 0) {
        snprintf(why, why_len, "cannot open databases in %s: %s", dir, mdb_strerror(rc));
        ismo_store_destroy(&s);
        return ISMO_ERR_IO;
    }
    *store_p = s;
    return ISMO_OK;
}

void ismo_store_destroy(ismo_store_t **store_p)
{
    if (!store_p || !*store_p) {
        return;
    }
    ismo_store_t *s = *store_p;
    if (s->env) {
        mdb_env_close(s->env);
    }
    if (s->lock_fd >= 0) {
        close(s->lock_fd); /* releases the flock */
    }
    free(s);
    *store_p = NULL;
}

int ismo_store_disk_full(const ismo_store_t *s) { return s->disk_full; }

ismo_err ismo_store_grow(ismo_store_t *s)
{
    if (s->disk_full) {
        return ISMO_ERR_FULL; /* a bigger map cannot help a full disk */
    }
    if (s->map_size >= s->opts.map_max_bytes) {
        return ISMO_ERR_FULL;
    }
    size_t next = s->map_size * 2;
    if (next > s->opts.map_max_bytes) {
        next = s->opts.map_max_bytes;
    }
    int rc = mdb_env_set_mapsize(s->env, next);
    if (rc != 0) {
        return log_rc("mdb_env_set_mapsize", rc);
    }
    ISMO_INFO("store", "map size grown from %zu to %zu bytes (max %zu)", s->map_size, next,
              s->opts.map_max_bytes);
    s->map_size = next;
    return ISMO_OK;
}

size_t ismo_store_map_size(const ismo_store_t *s) { return s->map_size; }

ismo_err ismo_txn_begin(ismo_store_t *s, int write, ismo_txn_t **txn_p)
{
    *txn_p = NULL;
    ismo_txn_t *t = malloc(sizeof *t);
    if (!t) {
        return ISMO_ERR_NOMEM;
    }
    t->store = s;
    t->parent = NULL;
    t->write = write != 0;
    t->seq_dirty = 0;
    int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
    if (rc == MDB_MAP_RESIZED) {
        /* another process grew the map (e.g. a backup tool): adopt it */
        mdb_env_set_mapsize(s->env, 0);
        rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
    }
    if (rc != 0) {
        free(t);
        return log_rc("mdb_txn_begin", rc);
    }
    t->ingest_seq = meta_get_u64(t, "ingest_seq");
    t->last_seq = meta_get_u64(t, "last_seq");
    *txn_p = t;
    return ISMO_OK;
}

ismo_err ismo_txn_begin_child(ismo_txn_t *parent, ismo_txn_t **txn_p)
{
    *txn_p = NULL;
    ismo_txn_t *t = malloc(sizeof *t);
    if (!t) {
        return ISMO_ERR_NOMEM;
    }
    t->store = parent->store;
    t->parent = parent;
    t->write = 1;
    t->seq_dirty = 0;
    t->ingest_seq = parent->ingest_seq;
    t->last_seq = parent->last_seq;
    int rc = mdb_txn_begin(parent->store->env, parent->txn, 0, &t->txn);
    if (rc != 0) {
        free(t);
        return log_rc("mdb_txn_begin (nested)", rc);
    }
    *txn_p = t;
    return ISMO_OK;
}

ismo_err ismo_txn_commit(ismo_txn_t **txn_p)
{
    ismo_txn_t *t = *txn_p;
    *txn_p = NULL;
    if (t->seq_dirty && !t->parent) {
        ismo_err err = meta_put_u64(t, "ingest_seq", t->ingest_seq);
        if (err == ISMO_OK) {
            err = meta_put_u64(t, "last_seq", t->last_seq);
        }
        if (err != ISMO_OK) {
            mdb_txn_abort(t->txn);
            free(t);
            return err;
        }
    }
    int rc = mdb_txn_commit(t->txn);
    if (rc == 0 && t->parent) {
        t->parent->ingest_seq = t->ingest_seq;
        t->parent->last_seq = t->last_seq;
        t->parent->seq_dirty |= t->seq_dirty;
    }
    ismo_store_t *store = t->store;
    int top = t->parent == NULL;
    free(t);
    if (top && rc == 0) {
        store->disk_full = 0;
    } else if (top && (rc == ENOSPC || rc == EIO)) {
        /* LMDB turns a short write into EIO: ask the file system */
        struct statvfs vfs;
        if (rc == ENOSPC ||
            (statvfs(store->dir, &vfs) == 0 &&
             (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize < DISK_FULL_MARGIN_BYTES)) {
            store->disk_full = 1;
            ISMO_ERROR("store", "commit failed: disk full under %s (%s); nothing was written",
                       store->dir, mdb_strerror(rc));
            return ISMO_ERR_FULL;
        }
    }
    return log_rc("mdb_txn_commit", rc);
}

void ismo_txn_abort(ismo_txn_t **txn_p)
{
    if (!txn_p || !*txn_p) {
        return;
    }
    mdb_txn_abort((*txn_p)->txn);
    free(*txn_p);
    *txn_p = NULL;
}

/* ---- helpers ---- */

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Effective times are signed; flip the sign bit so keys sort numerically. */
static uint64_t time_key(int64_t ms) { return (uint64_t)ms ^ (UINT64_C(1) << 63); }

static ismo_err put_msg(ismo_txn_t *t, int dbi, const void *k, size_t klen, const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    MDB_val key = {klen, (void *)k};
    MDB_val val = {len, NULL};
    int rc = mdb_put(t->txn, t->store->dbi[dbi], &key, &val, MDB_RESERVE);
    if (rc != 0) {
        return log_rc("mdb_put", rc);
    }
    protobuf_c_message_pack(m, val.mv_data);
    return ISMO_OK;
}

static ismo_err get_val(ismo_txn_t *t, int dbi, const void *k, size_t klen, MDB_val *val)
{
    MDB_val key = {klen, (void *)k};
    return log_rc("mdb_get", mdb_get(t->txn, t->store->dbi[dbi], &key, val));
}

/* ---- scanning a key range of messages ---- */

/* What a scan does with a record, judged by its key. */
typedef enum { SCAN_TAKE, SCAN_SKIP, SCAN_END } scan_verdict;

typedef struct msg_scan {
    int dbi;
    const MDB_val *start; /* from the first key >= start; NULL: from the first key */
    scan_verdict (*judge)(const void *kctx, const MDB_val *key); /* NULL: every record is taken */
    const void *kctx;
    const ProtobufCMessageDescriptor *d; /* the records' message type */
    const char *noun; /* an undecodable record is skipped, logged "undecodable <noun> record" (NULL: not logged) */
    const char *what; /* names a cursor error in the log */
} msg_scan;

typedef int (*msg_fn)(void *ctx, const ProtobufCMessage *m);

/* Walks s->dbi in key order, decodes each record taken and calls fn(ctx, m)
 * with it (borrowed for the call) until fn returns non-zero. */
static ismo_err scan_msgs(ismo_txn_t *t, const msg_scan *s, msg_fn fn, void *ctx)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[s->dbi], &c);
    if (rc != 0) {
        return log_rc("mdb_cursor_open", rc);
    }
    MDB_val key = {0, NULL}, v;
    if (s->start) {
        key = *s->start;
    }
    for (rc = mdb_cursor_get(c, &key, &v, s->start ? MDB_SET_RANGE : MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &key, &v, MDB_NEXT)) {
        scan_verdict verdict = s->judge ? s->judge(s->kctx, &key) : SCAN_TAKE;
        if (verdict == SCAN_END) {
            break;
        }
        if (verdict == SCAN_SKIP) {
            continue;
        }
        ProtobufCMessage *m = protobuf_c_message_unpack(s->d, NULL, v.mv_size, v.mv_data);
        if (!m) {
            if (s->noun) {
                ISMO_ERROR("store", "undecodable %s record (%zu bytes) skipped", s->noun, v.mv_size);
            }
            continue;
        }
        int stop = fn(ctx, m);
        protobuf_c_message_free_unpacked(m, NULL);
        if (stop) {
            break;
        }
    }
    ismo_err err = rc == 0 || rc == MDB_NOTFOUND ? ISMO_OK : log_rc(s->what, rc);
    mdb_cursor_close(c);
    return err;
}

/* The typed callbacks of store.h, called through msg_fn. */
#define MSG_ADAPTER(name, type)                                                                        \
    typedef struct name##_adapter {                                                                    \
        int (*fn)(void *, const type *);                                                               \
        void *ctx;                                                                                     \
    } name##_adapter;                                                                                  \
    static int name##_adapt(void *ctx, const ProtobufCMessage *m)                                      \
    {                                                                                                  \
        name##_adapter *a = ctx;                                                                       \
        return a->fn(a->ctx, (const type *)m);                                                         \
    }

MSG_ADAPTER(objective, Ismo__V1__Objective)
MSG_ADAPTER(sample, Ismo__V1__Sample)
MSG_ADAPTER(event, Ismo__V1__Event)
MSG_ADAPTER(review, Ismo__V1__Review)
MSG_ADAPTER(policy, Ismo__V1__PolicyCommitment)
MSG_ADAPTER(risk, Ismo__V1__Risk)

static uint64_t meta_get_u64(ismo_txn_t *t, const char *name)
{
    MDB_val v;
    if (get_val(t, DBI_META, name, strlen(name), &v) == ISMO_OK && v.mv_size == 8) {
        return rd64(v.mv_data);
    }
    return 0;
}

static ismo_err meta_put_u64(ismo_txn_t *t, const char *name, uint64_t value)
{
    uint8_t b[8];
    be64(b, value);
    MDB_val key = {strlen(name), (void *)name};
    MDB_val val = {8, b};
    return log_rc("mdb_put meta", mdb_put(t->txn, t->store->dbi[DBI_META], &key, &val, 0));
}

/* ---- objectives ---- */

static size_t version_key(uint8_t *buf, const char *id, uint32_t version)
{
    size_t n = strlen(id);
    memcpy(buf, id, n);
    buf[n] = 0;
    buf[n + 1] = (uint8_t)(version >> 24);
    buf[n + 2] = (uint8_t)(version >> 16);
    buf[n + 3] = (uint8_t)(version >> 8);
    buf[n + 4] = (uint8_t)version;
    return n + 5;
}

ismo_err ismo_store_objective_get(ismo_txn_t *t, const char *id, uint32_t version,
                                  Ismo__V1__Objective **o_p)
{
    *o_p = NULL;
    if (!id || strlen(id) > ISMO_MAX_ID_BYTES) {
        return ISMO_ERR_NOT_FOUND;
    }
    MDB_val v;
    ismo_err err;
    if (version == 0) {
        err = get_val(t, DBI_OBJECTIVES, id, strlen(id), &v);
    } else {
        uint8_t k[ISMO_MAX_ID_BYTES + 8];
        size_t kl = version_key(k, id, version);
        err = get_val(t, DBI_VERSIONS, k, kl, &v);
    }
    if (err != ISMO_OK) {
        return err;
    }
    *o_p = ismo__v1__objective__unpack(NULL, v.mv_size, v.mv_data);
    return *o_p ? ISMO_OK : ISMO_ERR_IO;
}

/* children key: parent \0 child */
static size_t edge_key(uint8_t *buf, const char *parent, const char *child)
{
    size_t p = strlen(parent), c = strlen(child);
    memcpy(buf, parent, p);
    buf[p] = 0;
    memcpy(buf + p + 1, child, c);
    return p + 1 + c;
}

/* Keep the children index in step with o's parent_id (old: the current
 * version before this put, NULL when new). */
static ismo_err update_edge(ismo_txn_t *t, const Ismo__V1__Objective *o)
{
    MDB_val v;
    char old_parent[ISMO_MAX_ID_BYTES + 1] = "";
    ismo_err err = get_val(t, DBI_OBJECTIVES, o->id, strlen(o->id), &v);
    if (err == ISMO_OK) {
        Ismo__V1__Objective *cur = ismo__v1__objective__unpack(NULL, v.mv_size, v.mv_data);
        if (cur && cur->parent_id && strlen(cur->parent_id) <= ISMO_MAX_ID_BYTES) {
            snprintf(old_parent, sizeof old_parent, "%s", cur->parent_id);
        }
        if (cur) {
            ismo__v1__objective__free_unpacked(cur, NULL);
        }
    } else if (err != ISMO_ERR_NOT_FOUND) {
        return err;
    }
    const char *new_parent = o->parent_id && strlen(o->parent_id) <= ISMO_MAX_ID_BYTES ? o->parent_id : "";
    if (strcmp(old_parent, new_parent) == 0) {
        return ISMO_OK;
    }
    uint8_t k[2 * ISMO_MAX_ID_BYTES + 2];
    int rc;
    if (*old_parent) {
        MDB_val key = {edge_key(k, old_parent, o->id), k};
        rc = mdb_del(t->txn, t->store->dbi[DBI_CHILDREN], &key, NULL);
        if (rc != 0 && rc != MDB_NOTFOUND) {
            return log_rc("mdb_del child", rc);
        }
    }
    if (*new_parent) {
        MDB_val key = {edge_key(k, new_parent, o->id), k}, empty = {0, ""};
        rc = mdb_put(t->txn, t->store->dbi[DBI_CHILDREN], &key, &empty, 0);
        if (rc != 0) {
            return log_rc("mdb_put child", rc);
        }
    }
    return ISMO_OK;
}

ismo_err ismo_store_objective_put(ismo_txn_t *t, const Ismo__V1__Objective *o)
{
    ismo_err err = update_edge(t, o);
    if (err == ISMO_OK) {
        err = put_msg(t, DBI_OBJECTIVES, o->id, strlen(o->id), &o->base);
    }
    if (err != ISMO_OK) {
        return err;
    }
    uint8_t k[ISMO_MAX_ID_BYTES + 8];
    size_t kl = version_key(k, o->id, o->version);
    return put_msg(t, DBI_VERSIONS, k, kl, &o->base);
}

ismo_err ismo_store_objective_get_as_of(ismo_txn_t *t, const char *id, int64_t as_of_ms,
                                        Ismo__V1__Objective **o_p)
{
    Ismo__V1__Objective *o = NULL;
    ismo_err err = ismo_store_objective_get(t, id, 0, &o);
    /* versions are few (one per human change): walk back from the newest */
    while (err == ISMO_OK && o->has_updated_ms && o->updated_ms > as_of_ms) {
        uint32_t v = o->version;
        ismo__v1__objective__free_unpacked(o, NULL);
        o = NULL;
        err = v > 1 ? ismo_store_objective_get(t, id, v - 1, &o) : ISMO_ERR_NOT_FOUND;
    }
    *o_p = err == ISMO_OK ? o : NULL;
    return err;
}

ismo_err ismo_store_children(ismo_txn_t *t, const char *parent_id, ismo_id_fn fn, void *ctx)
{
    size_t n = parent_id ? strlen(parent_id) : 0;
    if (n == 0 || n > ISMO_MAX_ID_BYTES) {
        return ISMO_OK;
    }
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[DBI_CHILDREN], &c);
    if (rc != 0) {
        return log_rc("mdb_cursor_open", rc);
    }
    uint8_t k[ISMO_MAX_ID_BYTES + 1];
    memcpy(k, parent_id, n);
    k[n] = 0;
    MDB_val key = {n + 1, k}, v;
    for (rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &key, &v, MDB_NEXT)) {
        const uint8_t *kp = key.mv_data;
        if (key.mv_size <= n + 1 || key.mv_size > n + 1 + ISMO_MAX_ID_BYTES || memcmp(kp, parent_id, n) != 0 ||
            kp[n] != 0) {
            break;
        }
        char child[ISMO_MAX_ID_BYTES + 1];
        memcpy(child, kp + n + 1, key.mv_size - n - 1);
        child[key.mv_size - n - 1] = 0;
        if (fn(ctx, child)) {
            break;
        }
    }
    ismo_err err = rc == 0 || rc == MDB_NOTFOUND ? ISMO_OK : log_rc("mdb_cursor_get children", rc);
    mdb_cursor_close(c);
    return err;
}

ismo_err ismo_store_objective_foreach(ismo_txn_t *t, ismo_objective_fn fn, void *ctx)
{
    return ismo_store_objective_foreach_after(t, NULL, fn, ctx);
}

/* Every key but after_id itself (strictly after). */
static scan_verdict after_judge(const void *kctx, const MDB_val *key)
{
    const char *after_id = kctx;
    return key->mv_size == strlen(after_id) && memcmp(key->mv_data, after_id, key->mv_size) == 0 ? SCAN_SKIP
                                                                                                  : SCAN_TAKE;
}

ismo_err ismo_store_objective_foreach_after(ismo_txn_t *t, const char *after_id,
                                            ismo_objective_fn fn, void *ctx)
{
    int after = after_id && *after_id;
    MDB_val start = {after ? strlen(after_id) : 0, (void *)after_id};
    msg_scan s = {DBI_OBJECTIVES, after ? &start : NULL, after ? after_judge : NULL, after_id,
                  &ismo__v1__objective__descriptor, "objective", "mdb_cursor_get"};
    objective_adapter a = {fn, ctx};
    return scan_msgs(t, &s, objective_adapt, &a);
}

/* ---- samples ---- */

ismo_err ismo_store_sample_seen(ismo_txn_t *t, const char *sample_id, int *seen)
{
    *seen = 0;
    if (!sample_id || !*sample_id) {
        return ISMO_OK;
    }
    MDB_val v;
    ismo_err err = get_val(t, DBI_SAMPLE_IDS, sample_id, strlen(sample_id), &v);
    if (err == ISMO_OK) {
        *seen = 1;
        return ISMO_OK;
    }
    return err == ISMO_ERR_NOT_FOUND ? ISMO_OK : err;
}

ismo_err ismo_store_sample_put(ismo_txn_t *t, const Ismo__V1__Sample *s)
{
    uint64_t seq = ++t->ingest_seq;
    t->seq_dirty = 1;
    ismo_err err;
    uint8_t k[ISMO_MAX_ID_BYTES + 17];
    size_t n = strlen(s->objective_id);
    memcpy(k, s->objective_id, n);
    k[n] = 0;
    be64(k + n + 1, time_key(s->effective_ms));
    be64(k + n + 9, seq);
    err = put_msg(t, DBI_SAMPLES, k, n + 17, &s->base);
    if (err != ISMO_OK) {
        return err;
    }
    if (s->sample_id && *s->sample_id) {
        uint8_t b[8];
        be64(b, seq);
        MDB_val key = {strlen(s->sample_id), s->sample_id};
        MDB_val val = {8, b};
        err = log_rc("mdb_put sample_id", mdb_put(t->txn, t->store->dbi[DBI_SAMPLE_IDS], &key, &val, 0));
    }
    return err;
}

typedef struct sample_range {
    const char *id;
    size_t n; /* strlen(id) */
    int64_t to_ms;
} sample_range;

/* Keys "id \0 time_key(effective_ms) seq": up to the first of another
 * objective or after to_ms. */
static scan_verdict sample_judge(const void *kctx, const MDB_val *key)
{
    const sample_range *r = kctx;
    const uint8_t *kp = key->mv_data;
    if (key->mv_size != r->n + 17 || memcmp(kp, r->id, r->n) != 0 || kp[r->n] != 0) {
        return SCAN_END;
    }
    int64_t eff = (int64_t)(rd64(kp + r->n + 1) ^ (UINT64_C(1) << 63));
    return eff > r->to_ms ? SCAN_END : SCAN_TAKE;
}

ismo_err ismo_store_samples_scan(ismo_txn_t *t, const char *id, int64_t from_ms, int64_t to_ms,
                                 ismo_sample_fn fn, void *ctx)
{
    sample_range r = {id, strlen(id), to_ms};
    if (r.n > ISMO_MAX_ID_BYTES) {
        return ISMO_ERR_NOT_FOUND;
    }
    uint8_t k[ISMO_MAX_ID_BYTES + 17];
    memcpy(k, id, r.n);
    k[r.n] = 0;
    be64(k + r.n + 1, time_key(from_ms));
    be64(k + r.n + 9, 0);
    MDB_val start = {r.n + 17, k};
    msg_scan s = {DBI_SAMPLES, &start, sample_judge, &r, &ismo__v1__sample__descriptor, NULL, "mdb_cursor_get"};
    sample_adapter a = {fn, ctx};
    return scan_msgs(t, &s, sample_adapt, &a);
}

/* The time in id's newest key "id \0 time_key(ms) seq" of dbi into *ms (left
 * as it is when id has none; n = strlen(id), at most ISMO_MAX_ID_BYTES): seeks
 * just past id's keys (id \1) and steps back. what names a cursor error. */
static ismo_err last_time_of(ismo_txn_t *t, int dbi, const char *id, size_t n, int64_t *ms, const char *what)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[dbi], &c);
    if (rc != 0) {
        return log_rc("mdb_cursor_open", rc);
    }
    uint8_t k[ISMO_MAX_ID_BYTES + 2];
    memcpy(k, id, n);
    k[n] = 1;
    MDB_val key = {n + 1, k}, v;
    rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE);
    if (rc == 0) {
        rc = mdb_cursor_get(c, &key, &v, MDB_PREV);
    } else if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(c, &key, &v, MDB_LAST);
    }
    if (rc == 0) {
        const uint8_t *kp = key.mv_data;
        if (key.mv_size == n + 17 && memcmp(kp, id, n) == 0 && kp[n] == 0) {
            *ms = (int64_t)(rd64(kp + n + 1) ^ (UINT64_C(1) << 63));
        }
    }
    mdb_cursor_close(c);
    return rc == 0 || rc == MDB_NOTFOUND ? ISMO_OK : log_rc(what, rc);
}

ismo_err ismo_store_sample_last(ismo_txn_t *t, const char *id, int64_t *effective_ms)
{
    *effective_ms = 0;
    size_t n = strlen(id);
    if (n > ISMO_MAX_ID_BYTES) {
        return ISMO_OK;
    }
    return last_time_of(t, DBI_SAMPLES, id, n, effective_ms, "mdb_cursor_get");
}

ismo_err ismo_store_sample_count(ismo_txn_t *t, uint64_t *count)
{
    MDB_stat st;
    int rc = mdb_stat(t->txn, t->store->dbi[DBI_SAMPLES], &st);
    *count = rc == 0 ? st.ms_entries : 0;
    return log_rc("mdb_stat", rc);
}

/* ---- status ---- */

ismo_err ismo_store_status_get(ismo_txn_t *t, const char *id, Ismo__V1__Status **st_p)
{
    *st_p = NULL;
    MDB_val v;
    ismo_err err = get_val(t, DBI_STATUS, id, strlen(id), &v);
    if (err != ISMO_OK) {
        return err;
    }
    *st_p = ismo__v1__status__unpack(NULL, v.mv_size, v.mv_data);
    return *st_p ? ISMO_OK : ISMO_ERR_IO;
}

ismo_err ismo_store_status_put(ismo_txn_t *t, const Ismo__V1__Status *st)
{
    return put_msg(t, DBI_STATUS, st->objective_id, strlen(st->objective_id), &st->base);
}

/* ---- events ---- */

ismo_err ismo_store_last_seq(ismo_txn_t *t, uint64_t *seq)
{
    *seq = t->last_seq;
    return ISMO_OK;
}

ismo_err ismo_store_event_append(ismo_txn_t *t, Ismo__V1__Event *e)
{
    uint64_t seq = ++t->last_seq;
    t->seq_dirty = 1;
    e->has_seq = 1;
    e->seq = seq;
    uint8_t k[8];
    be64(k, seq);
    return put_msg(t, DBI_EVENTS, k, 8, &e->base);
}

ismo_err ismo_store_events_scan(ismo_txn_t *t, uint64_t since_seq, ismo_event_fn fn, void *ctx)
{
    if (since_seq == UINT64_MAX) { /* nothing can come after it */
        return ISMO_OK;
    }
    uint8_t k[8];
    be64(k, since_seq + 1);
    MDB_val start = {8, k};
    msg_scan s = {DBI_EVENTS, &start, NULL, NULL, &ismo__v1__event__descriptor, NULL, "mdb_cursor_get"};
    event_adapter a = {fn, ctx};
    return scan_msgs(t, &s, event_adapt, &a);
}

/* ---- reminders ---- */

static size_t reminder_key(uint8_t *buf, size_t cap, const char *id, const char *key)
{
    size_t n = strlen(id), m = strlen(key);
    if (n + 1 + m > cap) {
        m = cap - n - 1;
    }
    memcpy(buf, id, n);
    buf[n] = 0;
    memcpy(buf + n + 1, key, m);
    return n + 1 + m;
}

ismo_err ismo_store_reminder_fired(ismo_txn_t *t, const char *id, const char *key, int *fired)
{
    uint8_t k[256];
    size_t kl = reminder_key(k, sizeof k, id, key);
    MDB_val v;
    ismo_err err = get_val(t, DBI_REMINDERS, k, kl, &v);
    *fired = err != ISMO_OK ? 0 : (v.mv_size == 8 && rd64(v.mv_data) != 0 ? 1 : 2);
    return err == ISMO_ERR_NOT_FOUND ? ISMO_OK : err;
}

ismo_err ismo_store_reminder_mark(ismo_txn_t *t, const char *id, const char *key, uint64_t seq)
{
    uint8_t k[256], b[8];
    size_t kl = reminder_key(k, sizeof k, id, key);
    be64(b, seq);
    MDB_val mk = {kl, k}, mv = {8, b};
    return log_rc("mdb_put reminder", mdb_put(t->txn, t->store->dbi[DBI_REMINDERS], &mk, &mv, 0));
}

ismo_err ismo_store_reminder_count(ismo_txn_t *t, const char *id, const char *prefix,
                                   uint32_t *count)
{
    *count = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[DBI_REMINDERS], &c);
    if (rc != 0) {
        return log_rc("mdb_cursor_open", rc);
    }
    uint8_t k[256];
    size_t kl = reminder_key(k, sizeof k, id, prefix);
    MDB_val key = {kl, k}, v;
    for (rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &key, &v, MDB_NEXT)) {
        if (key.mv_size < kl || memcmp(key.mv_data, k, kl) != 0) {
            break;
        }
        if (v.mv_size == 8 && rd64(v.mv_data) != 0) {
            (*count)++;
        }
    }
    mdb_cursor_close(c);
    return ISMO_OK;
}

/* ---- management reviews (9.3) ---- */

static size_t review_key(uint8_t *buf, const char *id, int64_t reviewed_ms, uint64_t seq)
{
    size_t n = strlen(id);
    memcpy(buf, id, n);
    buf[n] = 0;
    be64(buf + n + 1, time_key(reviewed_ms));
    be64(buf + n + 9, seq);
    return n + 17;
}

ismo_err ismo_store_review_add(ismo_txn_t *t, Ismo__V1__Review *r)
{
    if (!r->objective_id || !*r->objective_id || strlen(r->objective_id) > ISMO_MAX_ID_BYTES) {
        return ISMO_ERR_INVALID;
    }
    uint64_t seq = meta_get_u64(t, "review_seq") + 1;
    ismo_err err = meta_put_u64(t, "review_seq", seq);
    if (err != ISMO_OK) {
        return err;
    }
    r->has_seq = 1;
    r->seq = seq;
    uint8_t k[ISMO_MAX_ID_BYTES + 17];
    size_t kl = review_key(k, r->objective_id, r->reviewed_ms, seq);
    return put_msg(t, DBI_REVIEWS, k, kl, &r->base);
}

ismo_err ismo_store_review_last(ismo_txn_t *t, const char *id, int64_t *reviewed_ms)
{
    *reviewed_ms = 0;
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > ISMO_MAX_ID_BYTES) {
        return ISMO_OK;
    }
    return last_time_of(t, DBI_REVIEWS, id, n, reviewed_ms, "mdb_cursor_get review");
}

typedef struct review_range {
    const char *id; /* NULL: every objective */
    size_t n;       /* strlen(id), 0 without */
    int64_t from_ms, until_ms;
} review_range;

/* Keys "id \0 time_key(reviewed_ms) seq": one objective's up to the first of
 * another or at until_ms; every objective's: those in [from_ms, until_ms). */
static scan_verdict review_judge(const void *kctx, const MDB_val *key)
{
    const review_range *r = kctx;
    const uint8_t *kp = key->mv_data;
    if (key->mv_size < 18) {
        return SCAN_SKIP;
    }
    size_t idl = key->mv_size - 17;
    if (r->n > 0 && (idl != r->n || memcmp(kp, r->id, r->n) != 0)) {
        return SCAN_END;
    }
    int64_t at = (int64_t)(rd64(kp + idl + 1) ^ (UINT64_C(1) << 63));
    if (at < r->from_ms) {
        return SCAN_SKIP;
    }
    if (at >= r->until_ms) {
        return r->n > 0 ? SCAN_END : SCAN_SKIP;
    }
    return SCAN_TAKE;
}

ismo_err ismo_store_reviews_scan(ismo_txn_t *t, const char *id, int64_t from_ms, int64_t until_ms,
                                 ismo_review_fn fn, void *ctx)
{
    review_range r = {id, id ? strlen(id) : 0, from_ms, until_ms};
    if (r.n > ISMO_MAX_ID_BYTES) {
        return ISMO_OK;
    }
    uint8_t k[ISMO_MAX_ID_BYTES + 17];
    MDB_val start = {0, k};
    if (r.n > 0) {
        start.mv_size = review_key(k, id, from_ms, 0);
    }
    msg_scan s = {DBI_REVIEWS, r.n > 0 ? &start : NULL, review_judge, &r, &ismo__v1__review__descriptor,
                  "review", "mdb_cursor_get reviews"};
    review_adapter a = {fn, ctx};
    return scan_msgs(t, &s, review_adapt, &a);
}

/* ---- context registers: policy commitments and risks (6.2 a, c) ---- */

ismo_err ismo_store_policy_put(ismo_txn_t *t, const Ismo__V1__PolicyCommitment *p)
{
    if (!p->id || !*p->id || strlen(p->id) > ISMO_MAX_ID_BYTES) {
        return ISMO_ERR_INVALID;
    }
    return put_msg(t, DBI_POLICIES, p->id, strlen(p->id), &p->base);
}

ismo_err ismo_store_risk_put(ismo_txn_t *t, const Ismo__V1__Risk *r)
{
    if (!r->id || !*r->id || strlen(r->id) > ISMO_MAX_ID_BYTES) {
        return ISMO_ERR_INVALID;
    }
    return put_msg(t, DBI_RISKS, r->id, strlen(r->id), &r->base);
}

ismo_err ismo_store_context_clear(ismo_txn_t *t)
{
    int rc = mdb_drop(t->txn, t->store->dbi[DBI_POLICIES], 0);
    if (rc == 0) {
        rc = mdb_drop(t->txn, t->store->dbi[DBI_RISKS], 0);
    }
    return log_rc("mdb_drop context", rc);
}

ismo_err ismo_store_policies_scan(ismo_txn_t *t, ismo_policy_fn fn, void *ctx)
{
    msg_scan s = {DBI_POLICIES, NULL, NULL, NULL, &ismo__v1__policy_commitment__descriptor,
                  dbi_names[DBI_POLICIES], "mdb_cursor_get context"};
    policy_adapter a = {fn, ctx};
    return scan_msgs(t, &s, policy_adapt, &a);
}

ismo_err ismo_store_risks_scan(ismo_txn_t *t, ismo_risk_fn fn, void *ctx)
{
    msg_scan s = {DBI_RISKS, NULL, NULL, NULL, &ismo__v1__risk__descriptor, dbi_names[DBI_RISKS],
                  "mdb_cursor_get context"};
    risk_adapter a = {fn, ctx};
    return scan_msgs(t, &s, risk_adapt, &a);
}

ismo_err ismo_store_policy_exists(ismo_txn_t *t, const char *id, int *exists)
{
    MDB_val v;
    ismo_err err = id && *id && strlen(id) <= ISMO_MAX_ID_BYTES ? get_val(t, DBI_POLICIES, id, strlen(id), &v)
                                                                : ISMO_ERR_NOT_FOUND;
    *exists = err == ISMO_OK;
    return err == ISMO_ERR_NOT_FOUND ? ISMO_OK : err;
}

/* ---- aggregates ---- */

ismo_err ismo_store_agg_get(ismo_txn_t *t, const char *id, ismo_store_agg *a)
{
    memset(a, 0, sizeof *a);
    MDB_val v;
    ismo_err err = get_val(t, DBI_AGGREGATES, id, strlen(id), &v);
    if (err == ISMO_ERR_NOT_FOUND) {
        return ISMO_OK;
    }
    if (err != ISMO_OK) {
        return err;
    }
    if (v.mv_size != sizeof *a) {
        ISMO_ERROR("store", "aggregate record of %s has %zu bytes, want %zu; rebuilt", id, v.mv_size,
                   sizeof *a);
        return ISMO_ERR_IO;
    }
    memcpy(a, v.mv_data, sizeof *a);
    return ISMO_OK;
}

ismo_err ismo_store_agg_put(ismo_txn_t *t, const char *id, const ismo_store_agg *a)
{
    MDB_val key = {strlen(id), (void *)id};
    MDB_val val = {sizeof *a, (void *)a};
    return log_rc("mdb_put aggregate", mdb_put(t->txn, t->store->dbi[DBI_AGGREGATES], &key, &val, 0));
}

/* ---- due-time index ---- */

ismo_err ismo_store_due_set(ismo_txn_t *t, const char *id, int64_t due_ms)
{
    size_t n = strlen(id);
    MDB_val idk = {n, (void *)id}, old;
    uint8_t k[8 + ISMO_MAX_ID_BYTES];
    if (n > ISMO_MAX_ID_BYTES) {
        return ISMO_ERR_INVALID;
    }
    int rc = mdb_get(t->txn, t->store->dbi[DBI_DUE_BY_ID], &idk, &old);
    if (rc == 0 && old.mv_size == 8) {
        if (due_ms != 0 && (int64_t)(rd64(old.mv_data) ^ (UINT64_C(1) << 63)) == due_ms) {
            return ISMO_OK; /* unchanged */
        }
        memcpy(k, old.mv_data, 8);
        memcpy(k + 8, id, n);
        MDB_val dk = {8 + n, k};
        rc = mdb_del(t->txn, t->store->dbi[DBI_DUE], &dk, NULL);
        if (rc != 0 && rc != MDB_NOTFOUND) {
            return log_rc("mdb_del due", rc);
        }
    } else if (rc != MDB_NOTFOUND && rc != 0) {
        return log_rc("mdb_get due_by_id", rc);
    }
    if (due_ms == 0) {
        rc = mdb_del(t->txn, t->store->dbi[DBI_DUE_BY_ID], &idk, NULL);
        return rc == MDB_NOTFOUND ? ISMO_OK : log_rc("mdb_del due_by_id", rc);
    }
    be64(k, time_key(due_ms));
    memcpy(k + 8, id, n);
    MDB_val dk = {8 + n, k}, empty = {0, ""};
    rc = mdb_put(t->txn, t->store->dbi[DBI_DUE], &dk, &empty, 0);
    if (rc == 0) {
        MDB_val tv = {8, k};
        rc = mdb_put(t->txn, t->store->dbi[DBI_DUE_BY_ID], &idk, &tv, 0);
    }
    return log_rc("mdb_put due", rc);
}

ismo_err ismo_store_due_list(ismo_txn_t *t, int64_t until_ms, size_t max,
                             char (*ids)[ISMO_MAX_ID_BYTES + 1], size_t *n)
{
    *n = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[DBI_DUE], &c);
    if (rc != 0) {
        return log_rc("mdb_cursor_open", rc);
    }
    MDB_val k, v;
    uint64_t limit = time_key(until_ms);
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && *n < max;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 9 || k.mv_size > 8 + ISMO_MAX_ID_BYTES) {
            continue;
        }
        if (rd64(k.mv_data) > limit) {
            break;
        }
        memcpy(ids[*n], (const uint8_t *)k.mv_data + 8, k.mv_size - 8);
        ids[*n][k.mv_size - 8] = 0;
        (*n)++;
    }
    mdb_cursor_close(c);
    return rc == 0 || rc == MDB_NOTFOUND ? ISMO_OK : log_rc("mdb_cursor_get due", rc);
}

ismo_err ismo_store_meta_get(ismo_txn_t *t, const char *name, uint64_t *value)
{
    *value = meta_get_u64(t, name);
    return ISMO_OK;
}

ismo_err ismo_store_meta_put(ismo_txn_t *t, const char *name, uint64_t value)
{
    return meta_put_u64(t, name, value);
}

ismo_err ismo_store_backup(ismo_store_t *s, const char *dir, uint64_t *bytes, char *why, size_t why_len)
{
    *bytes = 0;
    if (mkdir(dir, 0700) != 0) {
        snprintf(why, why_len, "cannot create backup directory %s: %s", dir, strerror(errno));
        return errno == EEXIST ? ISMO_ERR_CONFLICT : (errno == ENOSPC ? ISMO_ERR_FULL : ISMO_ERR_IO);
    }
    int rc = mdb_env_copy2(s->env, dir, MDB_CP_COMPACT);
    if (rc != 0) {
        snprintf(why, why_len, "backup to %s failed: %s", dir, mdb_strerror(rc));
        return map_rc(rc) == ISMO_ERR_FULL ? ISMO_ERR_FULL : ISMO_ERR_IO;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat st;
    if (stat(path, &st) == 0) {
        *bytes = (uint64_t)st.st_size;
    }
    return ISMO_OK;
}

/* ---- audit trail: opaque record bytes by seq (server/audit.c owns the format) ---- */

ismo_err ismo_store_audit_append(ismo_txn_t *t, uint64_t seq, const void *bytes, size_t len)
{
    uint8_t k[8];
    be64(k, seq);
    MDB_val key = {8, k};
    MDB_val val = {len, (void *)bytes};
    int rc = mdb_put(t->txn, t->store->dbi[DBI_AUDIT], &key, &val, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) {
        return ISMO_ERR_CONFLICT;
    }
    return log_rc("mdb_put audit", rc);
}

ismo_err ismo_store_audit_get(ismo_txn_t *t, uint64_t seq, const uint8_t **bytes, size_t *len)
{
    uint8_t k[8];
    be64(k, seq);
    MDB_val v;
    ismo_err err = get_val(t, DBI_AUDIT, k, 8, &v);
    if (err == ISMO_OK) {
        *bytes = v.mv_data;
        *len = v.mv_size;
    }
    return err;
}

ismo_err ismo_store_audit_last(ismo_txn_t *t, uint64_t *seq, const uint8_t **bytes, size_t *len)
{
    *seq = 0;
    *bytes = NULL;
    *len = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[DBI_AUDIT], &c);
    if (rc != 0) {
        return log_rc("mdb_cursor_open", rc);
    }
    MDB_val key, v;
    rc = mdb_cursor_get(c, &key, &v, MDB_LAST);
    if (rc == 0 && key.mv_size == 8) {
        *seq = rd64(key.mv_data);
        *bytes = v.mv_data;
        *len = v.mv_size;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? ISMO_OK : log_rc("mdb_cursor_get audit", rc);
}

ismo_err ismo_store_audit_scan(ismo_txn_t *t, uint64_t since_seq, ismo_audit_bytes_fn fn, void *ctx)
{
    if (since_seq == UINT64_MAX) {
        return ISMO_OK;
    }
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[DBI_AUDIT], &c);
    if (rc != 0) {
        return log_rc("mdb_cursor_open", rc);
    }
    uint8_t k[8];
    be64(k, since_seq + 1);
    MDB_val key = {8, k}, v;
    for (rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &key, &v, MDB_NEXT)) {
        uint64_t seq = key.mv_size == 8 ? rd64(key.mv_data) : 0;
        if (fn(ctx, seq, v.mv_data, v.mv_size)) {
            break;
        }
    }
    ismo_err err = rc == 0 || rc == MDB_NOTFOUND ? ISMO_OK : log_rc("mdb_cursor_get audit", rc);
    mdb_cursor_close(c);
    return err;
}

/* ---- reminder keys of one objective (server/ack.c) ---- */

ismo_err ismo_store_reminder_foreach(ismo_txn_t *t, const char *id, const char *prefix,
                                     ismo_reminder_key_fn fn, void *ctx)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[DBI_REMINDERS], &c);
    if (rc != 0) {
        return log_rc("mdb_cursor_open", rc);
    }
    uint8_t k[256];
    size_t kl = reminder_key(k, sizeof k, id, prefix ? prefix : "");
    size_t idl = strlen(id) + 1;
    MDB_val key = {kl, k}, v;
    for (rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &key, &v, MDB_NEXT)) {
        if (key.mv_size < kl || memcmp(key.mv_data, k, kl) != 0) {
            break;
        }
        char name[256];
        size_t nl = key.mv_size - idl < sizeof name - 1 ? key.mv_size - idl : sizeof name - 1;
        memcpy(name, (const uint8_t *)key.mv_data + idl, nl);
        name[nl] = 0;
        uint64_t seq = v.mv_size == 8 ? rd64(v.mv_data) : 0;
        if (fn(ctx, name, seq)) {
            break;
        }
    }
    mdb_cursor_close(c);
    return rc == 0 || rc == MDB_NOTFOUND ? ISMO_OK : log_rc("mdb_cursor_get reminders", rc);
}
