/* ismo_audit: the format of the audit trail's hash chain, and a verifier for
 * it (docs/protocol.md "Audit trail").
 *
 * A pure module: no store, no socket, no key files. ismod (server/audit.c)
 * uses it to append and to verify online; the ismo CLI uses the same code to
 * verify an exported trail offline with only the server's public key. It is
 * the one place that knows the hash rule and the signed message, so both
 * sides cannot drift apart. Uses libsodium (SHA-256, Ed25519). Any thread;
 * a verifier object belongs to one thread.
 *
 * The hash rule (stable; version 1). For an AuditRecord r:
 *
 *   hash(r) = SHA-256( "ismo-audit-v1" 0x00
 *                      || be64(seq) || be64((uint64)time_ms)
 *                      || lp(actor) || lp(action) || lp(subject) || lp(detail)
 *                      || prev_hash (32 bytes)
 *                      || lp(signature) )
 *
 * where be64 is 8 bytes big-endian, lp(x) = be32(byte length of x) || bytes
 * of x, and an absent string or bytes field counts as empty. Every field but
 * hash is covered. The genesis record (seq 1) has prev_hash = 32 zero bytes;
 * record n has prev_hash = hash(record n-1).
 *
 * A checkpoint (action "checkpoint") carries an Ed25519 signature (detached,
 * crypto_sign_detached) over the 65-byte message
 *
 *   "ismo-audit-checkpoint-v1" 0x00 || be64(seq) || prev_hash
 *
 * i.e. the signer vouches for the whole chain up to the record before the
 * checkpoint. The signature is then covered by the checkpoint's own hash. */
#ifndef ISMO_AUDIT_H
#define ISMO_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "ismo/v1/audit.pb-c.h"
#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ISMO_AUDIT_HASH_BYTES 32        /* SHA-256 */
#define ISMO_AUDIT_SIG_BYTES 64         /* Ed25519 signature */
#define ISMO_AUDIT_PK_BYTES 32          /* Ed25519 public key */
#define ISMO_AUDIT_SK_BYTES 64          /* Ed25519 secret key (libsodium layout: seed || pk) */
#define ISMO_AUDIT_SIGNED_BYTES 65      /* length of the checkpoint's signed message */
#define ISMO_AUDIT_MAX_DETAIL_BYTES 512 /* detail is cut to this many bytes (UTF-8 boundary) */
#define ISMO_AUDIT_MAX_SHORT_BYTES 256  /* actor, action, subject are cut to this */
#define ISMO_AUDIT_CHECKPOINT "checkpoint" /* the action of a checkpoint record */

/* Compute hash(r) (the rule above) into out. Never fails for a well-formed
 * struct; r->hash is ignored. */
void ismo_audit_record_hash(const Ismo__V1__AuditRecord *r, uint8_t out[ISMO_AUDIT_HASH_BYTES]);

/* Build the checkpoint's signed message for seq and prev_hash into out. */
void ismo_audit_checkpoint_message(uint64_t seq, const uint8_t prev_hash[ISMO_AUDIT_HASH_BYTES],
                                   uint8_t out[ISMO_AUDIT_SIGNED_BYTES]);

/* Lower-case hex of n bytes into out (>= 2n+1 bytes, NUL-terminated). Returns out. */
char *ismo_hex_encode(const uint8_t *bytes, size_t n, char *out);

/* Parse exactly n bytes of hex (either case, no separators, nothing after,
 * surrounding white space allowed). 0 on success, -1 otherwise. */
int ismo_hex_decode(const char *hex, uint8_t *out, size_t n);

/* Copy text into out (out_len bytes, NUL-terminated) as one line of valid
 * UTF-8 of at most max_bytes: control characters become ' ', bytes that are
 * not valid UTF-8 become '?', and a cut never splits a character. NULL
 * becomes "". Returns out. Used for every string field before hashing. */
char *ismo_audit_clean_text(const char *text, size_t max_bytes, char *out, size_t out_len);

/* A streaming verifier: feed records in the order read; it checks seq
 * continuity, prev_hash links, each record's hash, and (when a public key is
 * set) each checkpoint's signature. The first problem is kept; later records
 * are counted but not judged. Caller-allocated; no resources to free. */
typedef struct ismo_audit_verifier {
    int has_public_key;
    uint8_t public_key[ISMO_AUDIT_PK_BYTES];
    uint64_t records;                 /* records fed */
    uint64_t first_seq, last_seq;     /* seq of the first and of the last record fed */
    uint64_t last_checkpoint_seq;     /* newest checkpoint whose signature verified (0 = none) */
    uint64_t checkpoints;             /* checkpoints verified */
    uint64_t first_bad_seq;           /* 0 = no problem found */
    char problem[256];                /* what is wrong at first_bad_seq */
    uint8_t prev_hash[ISMO_AUDIT_HASH_BYTES]; /* hash of the last record fed */
} ismo_audit_verifier;

/* Start a verifier. public_key NULL: signatures are not checked (a
 * checkpoint then does not count as verified). */
void ismo_audit_verifier_init(ismo_audit_verifier *v, const uint8_t *public_key);

/* Feed the next record. The first record fed may have any seq: with seq 1
 * its prev_hash must be zero (genesis); with a later seq (a partial export)
 * its prev_hash is taken as given. Returns 0 while the chain holds, -1 once
 * broken (first_bad_seq and problem set). */
int ismo_audit_verifier_feed(ismo_audit_verifier *v, const Ismo__V1__AuditRecord *r);

/* As feed, for a record stored as bytes: also refuses bytes that do not
 * decode as an AuditRecord or whose decoded seq differs from key_seq (the
 * seq the record is stored under). */
int ismo_audit_verifier_feed_bytes(ismo_audit_verifier *v, uint64_t key_seq, const uint8_t *bytes,
                                   size_t len);

#ifdef __cplusplus
}
#endif
#endif
