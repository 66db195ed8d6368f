/* test_audit: the audit trail in a temporary store: the chain grows and
 * verifies; an altered, deleted or reordered record and a checkpoint with a
 * bad signature are each named by seq. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"

typedef struct fixture {
    char dir[64];
    ismo_store_t *store;
    ismo_audit_t *audit;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ismo-test-audit.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    ismo_store_opts o = ismo_store_opts_default();
    o.no_sync = 1;
    char why[512] = "";
    assert_int_equal(ismo_store_open(f->dir, &o, &f->store, why, sizeof why), ISMO_OK);
    assert_int_equal(ismo_audit_new(f->dir, "", 4, &f->audit, why, sizeof why), ISMO_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ismo_audit_destroy(&f->audit);
    ismo_store_destroy(&f->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", f->dir);
    }
    free(f);
    return 0;
}

/* Append n records (checkpoints follow every 4). */
static void append_n(fixture *f, int n)
{
    ismo_txn_t *t = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &t), ISMO_OK);
    for (int i = 0; i < n; i++) {
        char detail[64];
        snprintf(detail, sizeof detail, "change %d", i);
        assert_int_equal(ismo_audit_append(f->audit, t, 1000 + i, "alice", "objective.put", "OBJ-1", detail),
                         ISMO_OK);
    }
    assert_int_equal(ismo_txn_commit(&t), ISMO_OK);
}

/* Every stored record, decoded (caller frees each, and the array). */
static size_t load_all(fixture *f, Ismo__V1__AuditRecord **out, size_t cap)
{
    ismo_txn_t *t = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 0, &t), ISMO_OK);
    size_t n = 0;
    for (uint64_t seq = 1; n < cap; seq++) {
        const uint8_t *b;
        size_t len;
        if (ismo_store_audit_get(t, seq, &b, &len) != ISMO_OK) {
            break;
        }
        out[n] = ismo__v1__audit_record__unpack(NULL, len, b);
        assert_non_null(out[n]);
        n++;
    }
    ismo_txn_abort(&t);
    return n;
}

static void free_all(Ismo__V1__AuditRecord **r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (r[i]) {
            ismo__v1__audit_record__free_unpacked(r[i], NULL);
        }
    }
}

/* Feed records (skipping index skip; -1 none) to a fresh verifier with the key. */
static ismo_audit_verifier check(fixture *f, Ismo__V1__AuditRecord **r, size_t n, long skip)
{
    ismo_audit_verifier v;
    ismo_audit_verifier_init(&v, ismo_audit_public_key(f->audit));
    for (size_t i = 0; i < n; i++) {
        if ((long)i != skip) {
            ismo_audit_verifier_feed(&v, r[i]);
        }
    }
    return v;
}

static void test_chain_grows_and_verifies(void **state)
{
    fixture *f = *state;
    append_n(f, 10);
    ismo_txn_t *t = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 1, &t), ISMO_OK);
    ismo_audit_verifier v;
    assert_int_equal(ismo_audit_verify_store(f->audit, t, &v), ISMO_OK);
    /* 10 records and a checkpoint after each 4: seq 5 and 10 are checkpoints */
    assert_int_equal(v.first_bad_seq, 0);
    assert_int_equal(v.records, 12);
    assert_int_equal(v.checkpoints, 2);
    assert_int_equal(v.last_checkpoint_seq, 10);
    /* a stop adds a checkpoint unless the newest record is one */
    assert_int_equal(ismo_audit_checkpoint(f->audit, t, 5000), ISMO_OK);
    assert_int_equal(ismo_audit_verify_store(f->audit, t, &v), ISMO_OK);
    assert_int_equal(v.records, 13); /* seq 12 was a regular record; 13 is the new checkpoint */
    assert_int_equal(v.last_checkpoint_seq, 13);
    assert_int_equal(ismo_audit_checkpoint(f->audit, t, 5001), ISMO_OK);
    assert_int_equal(ismo_audit_verify_store(f->audit, t, &v), ISMO_OK);
    assert_int_equal(v.records, 13); /* nothing new since: no second checkpoint */
    ismo_txn_abort(&t);
}

static void test_altered_deleted_reordered(void **state)
{
    fixture *f = *state;
    append_n(f, 10);
    Ismo__V1__AuditRecord *r[32];
    size_t n = load_all(f, r, 32);
    assert_int_equal(n, 12);
    ismo_audit_verifier v = check(f, r, n, -1);
    assert_int_equal(v.first_bad_seq, 0);

    char *saved = r[6]->detail; /* seq 7 */
    r[6]->detail = "change 99";
    v = check(f, r, n, -1);
    assert_int_equal(v.first_bad_seq, 7);
    assert_non_null(strstr(v.problem, "altered"));
    r[6]->detail = saved;

    v = check(f, r, n, 2); /* seq 3 deleted */
    assert_int_equal(v.first_bad_seq, 3);

    Ismo__V1__AuditRecord *tmp = r[7]; /* seq 8 and 9 swapped */
    r[7] = r[8];
    r[8] = tmp;
    v = check(f, r, n, -1);
    assert_int_equal(v.first_bad_seq, 8);
    free_all(r, n);
}

static void test_bad_checkpoint_signature(void **state)
{
    fixture *f = *state;
    append_n(f, 10);
    Ismo__V1__AuditRecord *r[32];
    size_t n = load_all(f, r, 32);
    assert_string_equal(r[4]->action, ISMO_AUDIT_CHECKPOINT); /* seq 5 */
    /* forge: change the signature and re-hash the chain from there on, so
     * every hash link holds and only the signature is wrong */
    r[4]->signature.data[10] ^= 1;
    uint8_t hashes[32][ISMO_AUDIT_HASH_BYTES];
    for (size_t i = 4; i < n; i++) {
        if (i > 4) {
            memcpy(r[i]->prev_hash.data, hashes[i - 1], ISMO_AUDIT_HASH_BYTES);
        }
        ismo_audit_record_hash(r[i], hashes[i]);
        memcpy(r[i]->hash.data, hashes[i], ISMO_AUDIT_HASH_BYTES);
    }
    ismo_audit_verifier v = check(f, r, n, -1);
    assert_int_equal(v.first_bad_seq, 5);
    assert_non_null(strstr(v.problem, "signature"));
    /* without the key the chain itself looks whole: the signature is what
     * tells a forger without the secret key apart */
    ismo_audit_verifier nokey;
    ismo_audit_verifier_init(&nokey, NULL);
    for (size_t i = 0; i < n; i++) {
        ismo_audit_verifier_feed(&nokey, r[i]);
    }
    assert_int_equal(nokey.first_bad_seq, 0);
    free_all(r, n);
}

static void test_stored_bytes_altered(void **state)
{
    fixture *f = *state;
    append_n(f, 3);
    ismo_txn_t *t = NULL;
    assert_int_equal(ismo_txn_begin(f->store, 0, &t), ISMO_OK);
    const uint8_t *b;
    size_t len;
    assert_int_equal(ismo_store_audit_get(t, 2, &b, &len), ISMO_OK);
    uint8_t *copy = malloc(len);
    memcpy(copy, b, len);
    ismo_txn_abort(&t);
    uint8_t *p = memmem(copy, len, "change 1", 8);
    assert_non_null(p);
    p[0] ^= 0x20; /* one byte, as an editor of data.mdb would */
    ismo_audit_verifier v;
    ismo_audit_verifier_init(&v, NULL);
    assert_int_equal(ismo_audit_verifier_feed_bytes(&v, 2, copy, len), -1);
    assert_int_equal(v.first_bad_seq, 2);
    free(copy);
}

static void test_clean_text(void **state)
{
    (void)state;
    char out[16];
    assert_string_equal(ismo_audit_clean_text("a\nb\tc", 15, out, sizeof out), "a b c");
    assert_string_equal(ismo_audit_clean_text("x\xff" "y", 15, out, sizeof out), "x?y");
    /* a cut never splits a character: "é" is 2 bytes */
    assert_string_equal(ismo_audit_clean_text("abc\xc3\xa9", 4, out, sizeof out), "abc");
    assert_string_equal(ismo_audit_clean_text(NULL, 15, out, sizeof out), "");
    uint8_t k[4];
    assert_int_equal(ismo_hex_decode("0aFf10 \n", k, 3), 0);
    assert_int_equal(k[1], 0xff);
    assert_int_equal(ismo_hex_decode("0aFf1", k, 3), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain_grows_and_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altered_deleted_reordered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_checkpoint_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stored_bytes_altered, setup, teardown),
        cmocka_unit_test(test_clean_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
