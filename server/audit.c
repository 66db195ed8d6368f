/* audit: appends ismod's audit trail inside the step's write transaction,
 * signs checkpoints, keeps the key files, and answers AuditVerify and
 * AuditExport. It owns the audit key (secret in memory, wiped at destroy)
 * and the meta counter "audit_checkpoint_seq". It does not define the chain
 * format (common/ismo_audit.h does, for the CLI's offline check too) and does
 * not decide what a change is (dispatch, monitor and the server loop call
 * it). Server thread only. */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ismo_log.h"

#define META_CHECKPOINT "audit_checkpoint_seq"

struct ismo_audit {
    uint8_t sk[ISMO_AUDIT_SK_BYTES];
    uint8_t pk[ISMO_AUDIT_PK_BYTES];
    uint64_t checkpoint_every;
};

/* ---- keys ---- */

static ismo_err read_small_file(const char *path, char *buf, size_t cap, char *why, size_t why_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_len, "cannot open audit key %.1000s: %s", path, strerror(errno));
        return ISMO_ERR_IO;
    }
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
    return ISMO_OK;
}

static ismo_err write_file_mode(const char *path, const char *text, mode_t mode, int exclusive,
                                char *why, size_t why_len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), mode);
    if (fd < 0) {
        snprintf(why, why_len, "cannot create %s: %s", path, strerror(errno));
        return ISMO_ERR_IO;
    }
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int ok = w == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        snprintf(why, why_len, "cannot write %s: %s", path, strerror(errno));
        return ISMO_ERR_IO;
    }
    return ISMO_OK;
}

static ismo_err load_key(ismo_audit_t *a, const char *path, char *why, size_t why_len)
{
    char text[512];
    ismo_err err = read_small_file(path, text, sizeof text, why, why_len);
    if (err != ISMO_OK) {
        return err;
    }
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077)) {
        ISMO_WARN("audit", "audit key %s is readable by group or others (mode %03o); it should be 0600",
                  path, (unsigned)(st.st_mode & 0777));
    }
    uint8_t seed[crypto_sign_SEEDBYTES];
    if (ismo_hex_decode(text, a->sk, ISMO_AUDIT_SK_BYTES) == 0) {
        crypto_sign_ed25519_sk_to_pk(a->pk, a->sk);
        /* the secret key embeds its public key: check the file is whole */
        uint8_t check_pk[ISMO_AUDIT_PK_BYTES], check_sk[ISMO_AUDIT_SK_BYTES];
        crypto_sign_ed25519_sk_to_seed(seed, a->sk);
        crypto_sign_seed_keypair(check_pk, check_sk, seed);
        int same = memcmp(check_sk, a->sk, sizeof check_sk) == 0;
        sodium_memzero(check_sk, sizeof check_sk);
        sodium_memzero(seed, sizeof seed);
        sodium_memzero(text, sizeof text);
        if (!same) {
            snprintf(why, why_len, "audit key %s: the secret key's public half does not match its seed", path);
            return ISMO_ERR_PARSE;
        }
        return ISMO_OK;
    }
    if (ismo_hex_decode(text, seed, sizeof seed) == 0) {
        crypto_sign_seed_keypair(a->pk, a->sk, seed);
        sodium_memzero(seed, sizeof seed);
        sodium_memzero(text, sizeof text);
        return ISMO_OK;
    }
    sodium_memzero(text, sizeof text);
    snprintf(why, why_len,
             "audit key %s: want 128 hex digits (Ed25519 secret key) or 64 (seed), and nothing else", path);
    return ISMO_ERR_PARSE;
}

ismo_err ismo_audit_new(const char *data_dir, const char *key_file, uint64_t checkpoint_every,
                        ismo_audit_t **audit_p, char *why, size_t why_len)
{
    *audit_p = NULL;
    if (sodium_init() < 0) {
        snprintf(why, why_len, "libsodium cannot be initialised");
        return ISMO_ERR_IO;
    }
    ismo_audit_t *a = sodium_malloc(sizeof *a);
    if (!a) {
        return ISMO_ERR_NOMEM;
    }
    a->checkpoint_every = checkpoint_every ? checkpoint_every : 1000;
    char path[2048], pub_path[2048];
    snprintf(pub_path, sizeof pub_path, "%s/audit.pub", data_dir);
    ismo_err err;
    if (key_file && *key_file) {
        snprintf(path, sizeof path, "%s", key_file);
        err = load_key(a, path, why, why_len);
    } else {
        snprintf(path, sizeof path, "%s/audit.key", data_dir);
        if (access(path, F_OK) == 0) {
            err = load_key(a, path, why, why_len);
        } else {
            char hex[2 * ISMO_AUDIT_SK_BYTES + 2];
            crypto_sign_keypair(a->pk, a->sk);
            ismo_hex_encode(a->sk, ISMO_AUDIT_SK_BYTES, hex);
            strcat(hex, "\n");
            err = write_file_mode(path, hex, 0600, 1, why, why_len);
            sodium_memzero(hex, sizeof hex);
            if (err == ISMO_OK) {
                ISMO_INFO("audit", "created audit key %s (secret, 0600) and %s", path, pub_path);
            }
        }
    }
    if (err == ISMO_OK) {
        char pub_hex[2 * ISMO_AUDIT_PK_BYTES + 2], old[256] = "";
        ismo_hex_encode(a->pk, ISMO_AUDIT_PK_BYTES, pub_hex);
        strcat(pub_hex, "\n");
        char ignore[1200];
        read_small_file(pub_path, old, sizeof old, ignore, sizeof ignore);
        if (strcmp(old, pub_hex) != 0) {
            err = write_file_mode(pub_path, pub_hex, 0644, 0, why, why_len);
        }
    }
    if (err != ISMO_OK) {
        sodium_free(a);
        return err;
    }
    *audit_p = a;
    return ISMO_OK;
}

void ismo_audit_destroy(ismo_audit_t **audit_p)
{
    if (!audit_p || !*audit_p) {
        return;
    }
    sodium_free(*audit_p); /* zeroes the memory */
    *audit_p = NULL;
}

const uint8_t *ismo_audit_public_key(const ismo_audit_t *a) { return a->pk; }

/* ---- appending ---- */

/* The newest record's seq, hash and whether it is a checkpoint. A newest
 * record that does not decode (damaged) is chained to with its bytes'
 * SHA-256, so appending goes on; verification reports the damage. */
static ismo_err newest(ismo_txn_t *txn, uint64_t *seq, uint8_t hash[ISMO_AUDIT_HASH_BYTES],
                       int *is_checkpoint)
{
    const uint8_t *bytes;
    size_t len;
    memset(hash, 0, ISMO_AUDIT_HASH_BYTES);
    *is_checkpoint = 0;
    ismo_err err = ismo_store_audit_last(txn, seq, &bytes, &len);
    if (err != ISMO_OK || *seq == 0) {
        return err;
    }
    Ismo__V1__AuditRecord *r = ismo__v1__audit_record__unpack(NULL, len, bytes);
    if (r && r->has_hash && r->hash.len == ISMO_AUDIT_HASH_BYTES) {
        memcpy(hash, r->hash.data, ISMO_AUDIT_HASH_BYTES);
        *is_checkpoint = r->action && strcmp(r->action, ISMO_AUDIT_CHECKPOINT) == 0;
    } else {
        ISMO_ERROR("audit", "newest audit record %llu does not decode; chaining to its bytes",
                   (unsigned long long)*seq);
        crypto_hash_sha256(hash, bytes, len);
    }
    if (r) {
        ismo__v1__audit_record__free_unpacked(r, NULL);
    }
    return ISMO_OK;
}

static ismo_err put_record(ismo_txn_t *txn, Ismo__V1__AuditRecord *r, uint8_t hash[ISMO_AUDIT_HASH_BYTES])
{
    ismo_audit_record_hash(r, hash);
    r->has_hash = 1;
    r->hash.data = hash;
    r->hash.len = ISMO_AUDIT_HASH_BYTES;
    size_t len = ismo__v1__audit_record__get_packed_size(r);
    uint8_t *buf = malloc(len + 1);
    if (!buf) {
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__audit_record__pack(r, buf);
    ismo_err err = ismo_store_audit_append(txn, r->seq, buf, len);
    free(buf);
    return err;
}

static ismo_err append_checkpoint(ismo_audit_t *a, ismo_txn_t *txn, int64_t time_ms, uint64_t seq,
                                  const uint8_t prev[ISMO_AUDIT_HASH_BYTES])
{
    uint8_t msg[ISMO_AUDIT_SIGNED_BYTES], sig[ISMO_AUDIT_SIG_BYTES], hash[ISMO_AUDIT_HASH_BYTES];
    char detail[160], pk_hex[2 * ISMO_AUDIT_PK_BYTES + 1];
    ismo_audit_checkpoint_message(seq, prev, msg);
    crypto_sign_detached(sig, NULL, msg, sizeof msg, a->sk);
    ismo_hex_encode(a->pk, ISMO_AUDIT_PK_BYTES, pk_hex);
    snprintf(detail, sizeof detail, "records 1..%llu signed by audit key %.16s",
             (unsigned long long)(seq - 1), pk_hex);
    Ismo__V1__AuditRecord r = ISMO__V1__AUDIT_RECORD__INIT;
    r.has_seq = 1;
    r.seq = seq;
    r.has_time_ms = 1;
    r.time_ms = time_ms;
    r.actor = "ismod";
    r.action = ISMO_AUDIT_CHECKPOINT;
    r.subject = "";
    r.detail = detail;
    r.has_prev_hash = 1;
    r.prev_hash.data = (uint8_t *)prev;
    r.prev_hash.len = ISMO_AUDIT_HASH_BYTES;
    r.has_signature = 1;
    r.signature.data = sig;
    r.signature.len = sizeof sig;
    ismo_err err = put_record(txn, &r, hash);
    if (err == ISMO_OK) {
        err = ismo_store_meta_put(txn, META_CHECKPOINT, seq);
    }
    return err;
}

ismo_err ismo_audit_append(ismo_audit_t *a, ismo_txn_t *txn, int64_t time_ms, const char *actor,
                           const char *action, const char *subject, const char *detail)
{
    uint64_t last = 0;
    uint8_t prev[ISMO_AUDIT_HASH_BYTES], hash[ISMO_AUDIT_HASH_BYTES];
    int last_is_cp;
    ismo_err err = newest(txn, &last, prev, &last_is_cp);
    if (err != ISMO_OK) {
        return err;
    }
    char c_actor[ISMO_AUDIT_MAX_SHORT_BYTES + 1], c_action[ISMO_AUDIT_MAX_SHORT_BYTES + 1];
    char c_subject[ISMO_AUDIT_MAX_SHORT_BYTES + 1], c_detail[ISMO_AUDIT_MAX_DETAIL_BYTES + 1];
    Ismo__V1__AuditRecord r = ISMO__V1__AUDIT_RECORD__INIT;
    r.has_seq = 1;
    r.seq = last + 1;
    r.has_time_ms = 1;
    r.time_ms = time_ms;
    r.actor = ismo_audit_clean_text(actor && *actor ? actor : "unknown", ISMO_AUDIT_MAX_SHORT_BYTES,
                                    c_actor, sizeof c_actor);
    r.action = ismo_audit_clean_text(action, ISMO_AUDIT_MAX_SHORT_BYTES, c_action, sizeof c_action);
    r.subject = ismo_audit_clean_text(subject, ISMO_AUDIT_MAX_SHORT_BYTES, c_subject, sizeof c_subject);
    r.detail = ismo_audit_clean_text(detail, ISMO_AUDIT_MAX_DETAIL_BYTES, c_detail, sizeof c_detail);
    r.has_prev_hash = 1;
    r.prev_hash.data = prev;
    r.prev_hash.len = sizeof prev;
    err = put_record(txn, &r, hash);
    if (err != ISMO_OK) {
        return err;
    }
    uint64_t cp = 0;
    err = ismo_store_meta_get(txn, META_CHECKPOINT, &cp);
    if (err == ISMO_OK && r.seq - cp >= a->checkpoint_every) {
        err = append_checkpoint(a, txn, time_ms, r.seq + 1, hash);
    }
    return err;
}

ismo_err ismo_audit_checkpoint(ismo_audit_t *a, ismo_txn_t *txn, int64_t time_ms)
{
    uint64_t last = 0;
    uint8_t prev[ISMO_AUDIT_HASH_BYTES];
    int last_is_cp;
    ismo_err err = newest(txn, &last, prev, &last_is_cp);
    if (err != ISMO_OK || last == 0 || last_is_cp) {
        return err;
    }
    return append_checkpoint(a, txn, time_ms, last + 1, prev);
}

static ismo_err in_own_txn(ismo_audit_t *a, ismo_store_t *store, int64_t time_ms, const char *actor,
                           const char *action, const char *detail)
{
    ismo_err err = ISMO_ERR_FULL;
    for (int attempt = 0; attempt < 8 && err == ISMO_ERR_FULL; attempt++) {
        if (attempt > 0 && ismo_store_grow(store) != ISMO_OK) {
            break;
        }
        ismo_txn_t *txn = NULL;
        err = ismo_txn_begin(store, 1, &txn);
        if (err != ISMO_OK) {
            break;
        }
        err = action ? ismo_audit_append(a, txn, time_ms, actor, action, "", detail)
                     : ismo_audit_checkpoint(a, txn, time_ms);
        if (err == ISMO_OK) {
            err = ismo_txn_commit(&txn);
        } else {
            ismo_txn_abort(&txn);
        }
    }
    if (err != ISMO_OK) {
        ISMO_ERROR("audit", "cannot append %s: %s", action ? action : "checkpoint", ismo_strerror(err));
    }
    return err;
}

ismo_err ismo_audit_append_now(ismo_audit_t *a, ismo_store_t *store, int64_t time_ms, const char *actor,
                               const char *action, const char *detail)
{
    return in_own_txn(a, store, time_ms, actor, action, detail);
}

ismo_err ismo_audit_checkpoint_now(ismo_audit_t *a, ismo_store_t *store, int64_t time_ms)
{
    return in_own_txn(a, store, time_ms, NULL, NULL, NULL);
}

/* ---- verification ---- */

static int verify_cb(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
    ismo_audit_verifier_feed_bytes(ctx, seq, bytes, len);
    return 0; /* count them all */
}

ismo_err ismo_audit_verify_store(const ismo_audit_t *a, ismo_txn_t *txn, ismo_audit_verifier *v)
{
    ismo_audit_verifier_init(v, a->pk);
    return ismo_store_audit_scan(txn, 0, verify_cb, v);
}

/* ---- what a step records ---- */

ismo_err ismo_audit_work(ismo_work *w, const char *actor, const char *action, const char *subject,
                         const char *detail)
{
    if (!w->audit || w->writes_refused) {
        return ISMO_OK;
    }
    return ismo_audit_append(w->audit, w->txn, w->now_ms, actor, action, subject, detail);
}

ismo_err ismo_audit_objective(ismo_work *w, const Ismo__V1__Objective *o, const char *action)
{
    if (!w->audit || w->writes_refused) {
        return ISMO_OK;
    }
    uint8_t *buf;
    size_t len;
    ismo_err err = ismo_codec_pack(&o->base, &buf, &len);
    if (err != ISMO_OK) {
        return err;
    }
    uint8_t h[ISMO_AUDIT_HASH_BYTES];
    char hex[2 * ISMO_AUDIT_HASH_BYTES + 1], detail[ISMO_AUDIT_MAX_DETAIL_BYTES + 1];
    crypto_hash_sha256(h, buf, len);
    free(buf);
    snprintf(detail, sizeof detail, "version %u sha256 %s; reason: %s", o->version,
             ismo_hex_encode(h, sizeof h, hex), o->change_reason ? o->change_reason : "");
    return ismo_audit_work(w, o->updated_by, action, o->id, detail);
}

ismo_err ismo_audit_event(ismo_work *w, const Ismo__V1__Event *e)
{
    const char *action;
    switch (e->kind) {
    case ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED: return ISMO_OK;
    case ISMO__V1__EVENT_KIND__STATUS_CHANGED: action = "event.status"; break;
    case ISMO__V1__EVENT_KIND__REMINDER: action = "event.reminder"; break;
    default: action = "event"; break;
    }
    char detail[ISMO_AUDIT_MAX_DETAIL_BYTES + 1];
    snprintf(detail, sizeof detail, "event %llu: %s", (unsigned long long)e->seq,
             e->message ? e->message : "");
    return ismo_audit_work(w, "ismod", action, e->objective_id, detail);
}

/* The objective a request is about, when it names one. */
static const char *request_subject(const Ismo__V1__Request *req)
{
    switch (req->body_case) {
    case ISMO__V1__REQUEST__BODY_PUT_OBJECTIVE:
        return req->put_objective->objective ? req->put_objective->objective->id : NULL;
    case ISMO__V1__REQUEST__BODY_GET_OBJECTIVE: return req->get_objective->id;
    case ISMO__V1__REQUEST__BODY_RETIRE_OBJECTIVE: return req->retire_objective->id;
    case ISMO__V1__REQUEST__BODY_LIST_SAMPLES: return req->list_samples->objective_id;
    case ISMO__V1__REQUEST__BODY_ACK: return req->ack->objective_id;
    case ISMO__V1__REQUEST__BODY_EXPLAIN: return req->explain->id;
    case ISMO__V1__REQUEST__BODY_ADD_REVIEW:
        return req->add_review->review ? req->add_review->review->objective_id : NULL;
    case ISMO__V1__REQUEST__BODY_LIST_REVIEWS: return req->list_reviews->objective_id;
    default: return NULL;
    }
}

ismo_err ismo_audit_refusal(ismo_work *w, const Ismo__V1__Request *req, int code, const char *message)
{
    char detail[ISMO_AUDIT_MAX_DETAIL_BYTES + 1];
    const char *what = "undecodable frame";
    if (req) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(&ismo__v1__request__descriptor, (unsigned)req->body_case);
        what = f ? f->name : "request without a body";
    }
    snprintf(detail, sizeof detail, "%s refused: %s: %s", what, ismo_status_name(code),
             message ? message : "");
    return ismo_audit_work(w, req ? req->actor : "?", "request.refused", req ? request_subject(req) : NULL,
                           detail);
}

static void sha_lp(crypto_hash_sha256_state *st, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    uint8_t n[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    crypto_hash_sha256_update(st, n, 4);
    if (len) {
        crypto_hash_sha256_update(st, (const uint8_t *)s, len);
    }
}

static void sha_be64(crypto_hash_sha256_state *st, uint64_t v)
{
    uint8_t b[8];
    for (int i = 7; i >= 0; i--) {
        b[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
    crypto_hash_sha256_update(st, b, 8);
}

void ismo_audit_batch_init(ismo_audit_batch *b)
{
    memset(b, 0, sizeof *b);
    crypto_hash_sha256_init(&b->sha);
}

void ismo_audit_batch_add(ismo_audit_batch *b, const Ismo__V1__Sample *s)
{
    uint64_t bits;
    memcpy(&bits, &s->value, sizeof bits);
    sha_lp(&b->sha, s->sample_id);
    sha_lp(&b->sha, s->objective_id);
    sha_be64(&b->sha, (uint64_t)s->effective_ms);
    sha_be64(&b->sha, bits);
    if (b->accepted == 0) {
        snprintf(b->subject, sizeof b->subject, "%s", s->objective_id ? s->objective_id : "");
    } else if (strcmp(b->subject, s->objective_id ? s->objective_id : "") != 0) {
        b->mixed = 1;
    }
    b->accepted++;
}

ismo_err ismo_audit_batch_record(ismo_work *w, const Ismo__V1__Request *req, ismo_audit_batch *b,
                                 uint32_t duplicates, uint32_t rejected)
{
    if (b->accepted == 0 && rejected == 0) {
        return ISMO_OK; /* only duplicates: nothing changed */
    }
    uint8_t h[ISMO_AUDIT_HASH_BYTES];
    char hex[2 * ISMO_AUDIT_HASH_BYTES + 1], detail[ISMO_AUDIT_MAX_DETAIL_BYTES + 1];
    crypto_hash_sha256_final(&b->sha, h);
    snprintf(detail, sizeof detail, "accepted %u, duplicates %u, rejected %u%s; sha256 %s", b->accepted,
             duplicates, rejected, b->mixed ? "; several objectives" : "",
             ismo_hex_encode(h, sizeof h, hex));
    return ismo_audit_work(w, req->actor, "samples.push", b->mixed ? "" : b->subject, detail);
}

/* ---- requests ---- */

ismo_err ismo_audit_handle_verify(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    if (!w->audit) {
        return ISMO_ERR_INTERNAL;
    }
    ismo_audit_verifier v;
    ismo_err err = ismo_audit_verify_store(w->audit, w->txn, &v);
    if (err != ISMO_OK) {
        return err;
    }
    Ismo__V1__AuditVerifyReply *r = malloc(sizeof *r);
    if (!r) {
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__audit_verify_reply__init(r);
    r->has_records = 1;
    r->records = v.records;
    r->has_first_bad_seq = 1;
    r->first_bad_seq = v.first_bad_seq;
    r->problem = strdup(v.problem);
    r->has_last_checkpoint_seq = 1;
    r->last_checkpoint_seq = v.last_checkpoint_seq;
    r->has_last_seq = 1;
    r->last_seq = v.last_seq;
    r->has_public_key = 1;
    r->public_key.data = w->audit->pk; /* borrowed: release does not free it */
    r->public_key.len = ISMO_AUDIT_PK_BYTES;
    reply->body_case = ISMO__V1__REPLY__BODY_AUDIT_VERIFY;
    reply->audit_verify = r;
    if (v.first_bad_seq) {
        ISMO_ERROR("audit", "verify by %s: chain broken at seq %llu: %s", req->actor ? req->actor : "?",
                   (unsigned long long)v.first_bad_seq, v.problem);
    }
    return ISMO_OK;
}

typedef struct export_ctx {
    Ismo__V1__AuditRecord **items;
    size_t n, limit;
    int more;
    ismo_err err;
} export_ctx;

static int export_cb(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
    export_ctx *c = ctx;
    if (c->n >= c->limit) {
        c->more = 1;
        return 1;
    }
    Ismo__V1__AuditRecord *r = ismo__v1__audit_record__unpack(NULL, len, bytes);
    if (!r) {
        /* damaged beyond decoding: hand out what can be said, so the
         * offline check names this seq too */
        r = malloc(sizeof *r);
        if (!r) {
            c->err = ISMO_ERR_NOMEM;
            return 1;
        }
        ismo__v1__audit_record__init(r);
        r->has_seq = 1;
        r->seq = seq;
        r->detail = NULL;
        Ismo__V1__AuditRecord *copy = NULL;
        size_t plen = ismo__v1__audit_record__get_packed_size(r);
        uint8_t buf[64];
        if (plen < sizeof buf) {
            ismo__v1__audit_record__pack(r, buf);
            copy = ismo__v1__audit_record__unpack(NULL, plen, buf);
        }
        free(r);
        r = copy;
        if (!r) {
            c->err = ISMO_ERR_NOMEM;
            return 1;
        }
    }
    c->items[c->n++] = r;
    return 0;
}

ismo_err ismo_audit_handle_export(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__AuditExportRequest *q = req->audit_export;
    if (!w->audit) {
        return ISMO_ERR_INTERNAL;
    }
    size_t max = (size_t)w->cfg->max_list;
    export_ctx c = {NULL, 0, q->has_limit && q->limit && q->limit < max ? q->limit : max, 0, ISMO_OK};
    c.items = calloc(c.limit, sizeof *c.items);
    Ismo__V1__AuditExportReply *r = malloc(sizeof *r);
    if (!c.items || !r) {
        free(c.items);
        free(r);
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__audit_export_reply__init(r);
    r->records = c.items;
    reply->body_case = ISMO__V1__REPLY__BODY_AUDIT_EXPORT;
    reply->audit_export = r;
    ismo_err err = ismo_store_audit_scan(w->txn, q->has_since_seq ? q->since_seq : 0, export_cb, &c);
    r->n_records = c.n;
    r->has_more = 1;
    r->more = c.more;
    r->has_public_key = 1;
    r->public_key.data = w->audit->pk; /* borrowed */
    r->public_key.len = ISMO_AUDIT_PK_BYTES;
    return err != ISMO_OK ? err : c.err;
}

void ismo_audit_release_reply(Ismo__V1__Reply *reply)
{
    switch (reply->body_case) {
    case ISMO__V1__REPLY__BODY_AUDIT_VERIFY:
        free(reply->audit_verify->problem);
        free(reply->audit_verify);
        break;
    case ISMO__V1__REPLY__BODY_AUDIT_EXPORT:
        for (size_t i = 0; i < reply->audit_export->n_records; i++) {
            ismo__v1__audit_record__free_unpacked(reply->audit_export->records[i], NULL);
        }
        free(reply->audit_export->records);
        free(reply->audit_export);
        break;
    default: break;
    }
}
