/* ismo_audit: the hash rule, the checkpoint's signed message and the chain
 * verifier of the audit trail (the rule itself is written in ismo_audit.h).
 * Pure: it owns no state beyond a caller's verifier struct, reads no file,
 * touches no store or socket. Any thread. */
#include "ismo_audit.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HASH_DOMAIN[] = "ismo-audit-v1";             /* + its NUL */
static const char SIGN_DOMAIN[] = "ismo-audit-checkpoint-v1";  /* + its NUL */

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static void be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static void hash_lp(crypto_hash_sha256_state *st, const void *data, size_t len)
{
    uint8_t n[4];
    be32(n, (uint32_t)len);
    crypto_hash_sha256_update(st, n, 4);
    if (len > 0) {
        crypto_hash_sha256_update(st, data, len);
    }
}

static void hash_str(crypto_hash_sha256_state *st, const char *s)
{
    hash_lp(st, s ? s : "", s ? strlen(s) : 0);
}

void ismo_audit_record_hash(const Ismo__V1__AuditRecord *r, uint8_t out[ISMO_AUDIT_HASH_BYTES])
{
    static const uint8_t zero[ISMO_AUDIT_HASH_BYTES] = {0};
    crypto_hash_sha256_state st;
    uint8_t n[8];
    if (sodium_init() < 0) {
        abort(); /* libsodium cannot run here at all: nothing sensible to do */
    }
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)HASH_DOMAIN, sizeof HASH_DOMAIN);
    be64(n, r->has_seq ? r->seq : 0);
    crypto_hash_sha256_update(&st, n, 8);
    be64(n, r->has_time_ms ? (uint64_t)r->time_ms : 0);
    crypto_hash_sha256_update(&st, n, 8);
    hash_str(&st, r->actor);
    hash_str(&st, r->action);
    hash_str(&st, r->subject);
    hash_str(&st, r->detail);
    /* prev_hash is fixed-size: a missing or short one hashes as zeros plus
     * what is there, so a verifier still computes something (and then
     * reports the bad length itself) */
    uint8_t prev[ISMO_AUDIT_HASH_BYTES];
    memcpy(prev, zero, sizeof prev);
    if (r->has_prev_hash && r->prev_hash.data) {
        memcpy(prev, r->prev_hash.data,
               r->prev_hash.len < sizeof prev ? r->prev_hash.len : sizeof prev);
    }
    crypto_hash_sha256_update(&st, prev, sizeof prev);
    hash_lp(&st, r->has_signature ? r->signature.data : NULL, r->has_signature ? r->signature.len : 0);
    crypto_hash_sha256_final(&st, out);
}

void ismo_audit_checkpoint_message(uint64_t seq, const uint8_t prev_hash[ISMO_AUDIT_HASH_BYTES],
                                   uint8_t out[ISMO_AUDIT_SIGNED_BYTES])
{
    memcpy(out, SIGN_DOMAIN, sizeof SIGN_DOMAIN);
    be64(out + sizeof SIGN_DOMAIN, seq);
    memcpy(out + sizeof SIGN_DOMAIN + 8, prev_hash, ISMO_AUDIT_HASH_BYTES);
}

char *ismo_hex_encode(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = 0;
    return out;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int ismo_hex_decode(const char *hex, uint8_t *out, size_t n)
{
    if (!hex) {
        return -1;
    }
    while (*hex == ' ' || *hex == '\t' || *hex == '\n' || *hex == '\r') {
        hex++;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]);
        int lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    for (const char *p = hex + 2 * n; *p; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            return -1;
        }
    }
    return 0;
}

/* Length of the valid UTF-8 character at s (1..4), or 0 if it is not one. */
static size_t utf8_char_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        return 1;
    }
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF) {
            return 0;
        }
    }
    return n;
}

char *ismo_audit_clean_text(const char *text, size_t max_bytes, char *out, size_t out_len)
{
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    if (max_bytes > out_len - 1) {
        max_bytes = out_len - 1;
    }
    while (*s) {
        size_t n = utf8_char_len(s);
        if (n == 0) { /* not UTF-8: one '?' for the byte */
            if (o + 1 > max_bytes) {
                break;
            }
            out[o++] = '?';
            s++;
            continue;
        }
        if (o + n > max_bytes) {
            break;
        }
        if (n == 1 && (*s < 0x20 || *s == 0x7F)) {
            out[o++] = ' ';
        } else {
            memcpy(out + o, s, n);
            o += n;
        }
        s += n;
    }
    out[o] = 0;
    return out;
}

void ismo_audit_verifier_init(ismo_audit_verifier *v, const uint8_t *public_key)
{
    memset(v, 0, sizeof *v);
    if (public_key) {
        v->has_public_key = 1;
        memcpy(v->public_key, public_key, ISMO_AUDIT_PK_BYTES);
    }
}

static int bad(ismo_audit_verifier *v, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(ismo_audit_verifier *v, uint64_t seq, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    v->first_bad_seq = seq ? seq : v->last_seq + 1;
    vsnprintf(v->problem, sizeof v->problem, fmt, ap);
    va_end(ap);
    return -1;
}

int ismo_audit_verifier_feed(ismo_audit_verifier *v, const Ismo__V1__AuditRecord *r)
{
    static const uint8_t zero[ISMO_AUDIT_HASH_BYTES] = {0};
    uint64_t seq = r->has_seq ? r->seq : 0;
    uint64_t prev_seq = v->last_seq;
    int first = v->records == 0;
    v->records++;
    if (first) {
        v->first_seq = seq;
    }
    v->last_seq = seq;
    if (v->first_bad_seq) {
        return -1;
    }
    if (seq == 0) {
        return bad(v, prev_seq + 1, "record after seq %llu has no sequence number",
                   (unsigned long long)prev_seq);
    }
    if (!first && seq != prev_seq + 1) {
        return bad(v, prev_seq + 1, "record %llu missing or out of order: seq %llu follows seq %llu",
                   (unsigned long long)(prev_seq + 1), (unsigned long long)seq,
                   (unsigned long long)prev_seq);
    }
    if (!r->has_prev_hash || r->prev_hash.len != ISMO_AUDIT_HASH_BYTES) {
        return bad(v, seq, "prev_hash is not %d bytes", ISMO_AUDIT_HASH_BYTES);
    }
    if (!r->has_hash || r->hash.len != ISMO_AUDIT_HASH_BYTES) {
        return bad(v, seq, "hash is not %d bytes", ISMO_AUDIT_HASH_BYTES);
    }
    if (first && seq == 1 && memcmp(r->prev_hash.data, zero, sizeof zero) != 0) {
        return bad(v, seq, "the first record's prev_hash is not 32 zero bytes");
    }
    if (!first && memcmp(r->prev_hash.data, v->prev_hash, ISMO_AUDIT_HASH_BYTES) != 0) {
        return bad(v, seq, "prev_hash does not match the hash of record %llu (link broken)",
                   (unsigned long long)prev_seq);
    }
    uint8_t h[ISMO_AUDIT_HASH_BYTES];
    ismo_audit_record_hash(r, h);
    if (memcmp(h, r->hash.data, sizeof h) != 0) {
        return bad(v, seq, "hash does not match the record's contents (record altered)");
    }
    int is_checkpoint = r->action && strcmp(r->action, ISMO_AUDIT_CHECKPOINT) == 0;
    if (!is_checkpoint && r->has_signature && r->signature.len > 0) {
        return bad(v, seq, "signature on a record that is not a checkpoint");
    }
    if (is_checkpoint) {
        if (!r->has_signature || r->signature.len != ISMO_AUDIT_SIG_BYTES) {
            return bad(v, seq, "checkpoint without a %d-byte signature", ISMO_AUDIT_SIG_BYTES);
        }
        if (v->has_public_key) {
            uint8_t msg[ISMO_AUDIT_SIGNED_BYTES];
            ismo_audit_checkpoint_message(seq, r->prev_hash.data, msg);
            if (sodium_init() < 0 ||
                crypto_sign_verify_detached(r->signature.data, msg, sizeof msg, v->public_key) != 0) {
                return bad(v, seq, "checkpoint signature does not verify with the public key");
            }
            v->last_checkpoint_seq = seq;
            v->checkpoints++;
        }
    }
    memcpy(v->prev_hash, r->hash.data, ISMO_AUDIT_HASH_BYTES);
    return 0;
}

int ismo_audit_verifier_feed_bytes(ismo_audit_verifier *v, uint64_t key_seq, const uint8_t *bytes,
                                   size_t len)
{
    if (v->first_bad_seq) {
        v->records++;
        v->last_seq = key_seq;
        return -1;
    }
    Ismo__V1__AuditRecord *r = ismo__v1__audit_record__unpack(NULL, len, bytes);
    if (!r) {
        v->records++;
        v->last_seq = key_seq;
        return bad(v, key_seq, "stored bytes do not decode as an AuditRecord (record altered)");
    }
    int rc;
    if (!r->has_seq || r->seq != key_seq) {
        v->records++;
        v->last_seq = key_seq;
        rc = bad(v, key_seq, "stored under seq %llu but the record says seq %llu",
                 (unsigned long long)key_seq, (unsigned long long)(r->has_seq ? r->seq : 0));
    } else {
        /* the bytes must be exactly the record's encoding: nothing hidden
         * in unknown fields or odd encodings */
        size_t plen = ismo__v1__audit_record__get_packed_size(r);
        uint8_t *p = plen == len ? malloc(plen + 1) : NULL;
        int same = 0;
        if (p) {
            ismo__v1__audit_record__pack(r, p);
            same = memcmp(p, bytes, len) == 0;
        }
        free(p);
        if (!same) {
            v->records++;
            v->last_seq = key_seq;
            rc = bad(v, key_seq, "stored bytes are not the plain encoding of the record (record altered)");
        } else {
            rc = ismo_audit_verifier_feed(v, r);
        }
    }
    ismo__v1__audit_record__free_unpacked(r, NULL);
    return rc;
}
