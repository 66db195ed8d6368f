/* cmd_audit: "ismo audit verify" (ismod recomputes its chain), "ismo audit
 * export" (JSON lines, one record per line, hashes and signatures in hex)
 * and "ismo audit verify-file" (offline: only the file and the server's
 * public key). The chain rule and the verifier are common/ismo_audit.h, the
 * same code ismod runs; this file only moves records between the wire, JSON
 * and that verifier. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ismo_audit.h"

static int print_broken(uint64_t seq, const char *problem)
{
    printf("audit chain broken at seq %llu: %s\n", (unsigned long long)seq, problem ? problem : "?");
    return CLI_EXIT_ERROR;
}

static int audit_verify(cli_t *cli)
{
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    /* the server recomputes every record: give a long trail time */
    ismo_client_set_timeout_ms(client, cli->timeout_ms > 120000 ? cli->timeout_ms : 120000);
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_audit_verify(client, &reply);
    int rc = CLI_EXIT_OK;
    if (err != ISMO_OK || !reply->audit_verify) {
        rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err, "audit verify failed");
    } else {
        const Ismo__V1__AuditVerifyReply *v = reply->audit_verify;
        char pk[2 * ISMO_AUDIT_PK_BYTES + 1] = "?";
        if (v->public_key.len == ISMO_AUDIT_PK_BYTES) {
            ismo_hex_encode(v->public_key.data, ISMO_AUDIT_PK_BYTES, pk);
        }
        if (v->first_bad_seq) {
            rc = print_broken(v->first_bad_seq, v->problem);
            printf("records checked: %llu\n", (unsigned long long)v->records);
        } else {
            printf("audit trail intact: %llu records checked (seq 1..%llu)\n"
                   "last signed checkpoint: seq %llu\n"
                   "public key: %s\n",
                   (unsigned long long)v->records, (unsigned long long)v->last_seq,
                   (unsigned long long)v->last_checkpoint_seq, pk);
        }
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    ismo_client_destroy(&client);
    return rc;
}

/* A JSON string for s; text that is not UTF-8 (only a damaged record has
 * such) is cleaned, which then fails its hash check, as it should. */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (!j) {
        char clean[ISMO_AUDIT_MAX_DETAIL_BYTES * 4 + 1];
        j = json_string(ismo_audit_clean_text(s, sizeof clean - 1, clean, sizeof clean));
    }
    return j;
}

static json_t *jhex(const ProtobufCBinaryData *b)
{
    char *hex = malloc(2 * b->len + 1);
    if (!hex) {
        return NULL;
    }
    json_t *j = json_string(ismo_hex_encode(b->data, b->len, hex));
    free(hex);
    return j;
}

static int write_record(FILE *out, const Ismo__V1__AuditRecord *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
    json_object_set_new(o, "time_ms", json_integer((json_int_t)r->time_ms));
    json_object_set_new(o, "actor", jstr(r->actor));
    json_object_set_new(o, "action", jstr(r->action));
    json_object_set_new(o, "subject", jstr(r->subject));
    json_object_set_new(o, "detail", jstr(r->detail));
    json_object_set_new(o, "prev_hash", jhex(&r->prev_hash));
    json_object_set_new(o, "hash", jhex(&r->hash));
    if (r->has_signature) {
        json_object_set_new(o, "signature", jhex(&r->signature));
    }
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!line) {
        return -1;
    }
    int ok = fprintf(out, "%s\n", line) >= 0;
    free(line);
    return ok ? 0 : -1;
}

static int audit_export(cli_t *cli, const char *path, uint64_t since)
{
    FILE *out = stdout;
    if (path && strcmp(path, "-") != 0) {
        out = fopen(path, "w");
        if (!out) {
            return cli_fail(cli, "cannot write %s: %s", path, strerror(errno));
        }
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        if (out != stdout) {
            fclose(out);
        }
        return CLI_EXIT_ERROR;
    }
    int rc = CLI_EXIT_OK;
    uint64_t n = 0, first = 0, last = since;
    char pk[2 * ISMO_AUDIT_PK_BYTES + 1] = "?";
    for (;;) {
        Ismo__V1__Reply *reply = NULL;
        ismo_err err = ismo_audit_export(client, last, 0, &reply);
        if (err != ISMO_OK || !reply->audit_export) {
            rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err, "audit export failed");
            if (reply) {
                ismo__v1__reply__free_unpacked(reply, NULL);
            }
            break;
        }
        const Ismo__V1__AuditExportReply *e = reply->audit_export;
        if (e->public_key.len == ISMO_AUDIT_PK_BYTES) {
            ismo_hex_encode(e->public_key.data, ISMO_AUDIT_PK_BYTES, pk);
        }
        for (size_t i = 0; i < e->n_records && rc == CLI_EXIT_OK; i++) {
            if (write_record(out, e->records[i]) != 0) {
                rc = cli_fail(cli, "cannot write %s: %s", path ? path : "stdout", strerror(errno));
            }
            if (n++ == 0) {
                first = e->records[i]->seq;
            }
            last = e->records[i]->seq;
        }
        int more = e->more && e->n_records > 0;
        ismo__v1__reply__free_unpacked(reply, NULL);
        if (!more || rc != CLI_EXIT_OK) {
            break;
        }
    }
    ismo_client_destroy(&client);
    if (out != stdout && fclose(out) != 0 && rc == CLI_EXIT_OK) {
        rc = cli_fail(cli, "cannot write %s: %s", path, strerror(errno));
    }
    if (rc == CLI_EXIT_OK) {
        fprintf(stderr, "exported %llu audit records (seq %llu..%llu)%s%s; server public key %s\n",
                (unsigned long long)n, (unsigned long long)first, (unsigned long long)last,
                path && strcmp(path, "-") != 0 ? " to " : "", path && strcmp(path, "-") != 0 ? path : "",
                pk);
    }
    return rc;
}

/* The public key from 64 hex digits, or from a file holding them. */
static int read_public_key(const char *arg, uint8_t pk[ISMO_AUDIT_PK_BYTES])
{
    if (ismo_hex_decode(arg, pk, ISMO_AUDIT_PK_BYTES) == 0) {
        return 0;
    }
    FILE *f = fopen(arg, "r");
    if (!f) {
        return -1;
    }
    char text[256];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    return ismo_hex_decode(text, pk, ISMO_AUDIT_PK_BYTES);
}

/* Hex text of a JSON field into buf (cap bytes); the length found, or
 * (size_t)-1 when it is not hex of at most cap bytes. Absent = 0 bytes. */
static size_t json_hex(json_t *o, const char *key, uint8_t *buf, size_t cap)
{
    const char *hex = json_string_value(json_object_get(o, key));
    if (!hex) {
        return 0;
    }
    size_t len = strlen(hex);
    if (len % 2 != 0 || len / 2 > cap || ismo_hex_decode(hex, buf, len / 2) != 0) {
        return (size_t)-1;
    }
    return len / 2;
}

/* Feed one JSON line to the verifier; -1 if it is not a record. */
static int feed_line(ismo_audit_verifier *v, const char *line, char *why, size_t why_len)
{
    json_error_t jerr;
    json_t *o = json_loads(line, 0, &jerr);
    if (!o || !json_is_object(o) || !json_is_integer(json_object_get(o, "seq"))) {
        snprintf(why, why_len, "%s", o ? "not an audit record (no seq)" : jerr.text);
        json_decref(o);
        return -1;
    }
    uint8_t prev[ISMO_AUDIT_HASH_BYTES], hash[ISMO_AUDIT_HASH_BYTES], sig[ISMO_AUDIT_SIG_BYTES];
    Ismo__V1__AuditRecord r = ISMO__V1__AUDIT_RECORD__INIT;
    r.has_seq = 1;
    r.seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
    r.has_time_ms = 1;
    r.time_ms = (int64_t)json_integer_value(json_object_get(o, "time_ms"));
    r.actor = (char *)json_string_value(json_object_get(o, "actor"));
    r.action = (char *)json_string_value(json_object_get(o, "action"));
    r.subject = (char *)json_string_value(json_object_get(o, "subject"));
    r.detail = (char *)json_string_value(json_object_get(o, "detail"));
    size_t lp = json_hex(o, "prev_hash", prev, sizeof prev);
    size_t lh = json_hex(o, "hash", hash, sizeof hash);
    size_t ls = json_hex(o, "signature", sig, sizeof sig);
    /* a malformed hex field becomes a wrong length: the verifier names it */
    r.has_prev_hash = 1;
    r.prev_hash.data = prev;
    r.prev_hash.len = lp == (size_t)-1 ? 0 : lp;
    r.has_hash = 1;
    r.hash.data = hash;
    r.hash.len = lh == (size_t)-1 ? 0 : lh;
    r.has_signature = json_object_get(o, "signature") != NULL;
    r.signature.data = sig;
    r.signature.len = ls == (size_t)-1 ? 0 : ls;
    ismo_audit_verifier_feed(v, &r);
    json_decref(o);
    return 0;
}

static int audit_verify_file(cli_t *cli, const char *path, const char *key_arg)
{
    uint8_t pk[ISMO_AUDIT_PK_BYTES];
    if (read_public_key(key_arg, pk) != 0) {
        return cli_usage(cli, "--public-key: want 64 hex digits, or a file holding them (audit.pub)");
    }
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        return cli_fail(cli, "cannot read %s: %s", path, strerror(errno));
    }
    ismo_audit_verifier v;
    ismo_audit_verifier_init(&v, pk);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (len <= 1) {
            continue; /* blank line */
        }
        char why[200];
        if (feed_line(&v, line, why, sizeof why) != 0 && !v.first_bad_seq) {
            v.first_bad_seq = v.last_seq + 1;
            snprintf(v.problem, sizeof v.problem, "line %lu of %s is not a record: %s", lineno, path, why);
        }
    }
    free(line);
    if (f != stdin) {
        fclose(f);
    }
    if (v.first_bad_seq) {
        print_broken(v.first_bad_seq, v.problem);
        printf("records read: %llu\n", (unsigned long long)v.records);
        return CLI_EXIT_ERROR;
    }
    if (v.records == 0) {
        return cli_fail(cli, "%s holds no audit records", path);
    }
    printf("audit file intact: %llu records (seq %llu..%llu), %llu signed checkpoints verified\n",
           (unsigned long long)v.records, (unsigned long long)v.first_seq, (unsigned long long)v.last_seq,
           (unsigned long long)v.checkpoints);
    if (v.last_checkpoint_seq) {
        printf("last signed checkpoint: seq %llu; %llu later records are protected by the hash chain only\n",
               (unsigned long long)v.last_checkpoint_seq,
               (unsigned long long)(v.last_seq - v.last_checkpoint_seq));
    } else {
        printf("no signed checkpoint in the file: its records are protected by the hash chain only\n");
    }
    if (v.first_seq > 1) {
        printf("note: the file starts at seq %llu; its first link is taken as given\n",
               (unsigned long long)v.first_seq);
    }
    return CLI_EXIT_OK;
}

int cmd_audit(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"output", required_argument, NULL, 'o'},
                                         {"since", required_argument, NULL, 's'},
                                         {"public-key", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    const char *output = NULL, *key = NULL;
    uint64_t since = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (c == 'o') {
            output = optarg;
        } else if (c == 's') {
            if (cli_parse_u64(cli, "--since", optarg, &since) != 0) {
                return CLI_EXIT_USAGE;
            }
        } else if (c == 'k') {
            key = optarg;
        } else {
            int rc = cli_global_option(cli, c, optarg);
            if (rc != CLI_EXIT_OK) {
                return rc < 0 ? CLI_EXIT_OK : rc;
            }
        }
    }
    const char *sub = optind < argc ? argv[optind] : NULL;
    int rest = argc - optind - 1;
    if (sub && strcmp(sub, "verify") == 0 && rest == 0) {
        return audit_verify(cli);
    }
    if (sub && strcmp(sub, "export") == 0 && rest == 0) {
        return audit_export(cli, output, since);
    }
    if (sub && strcmp(sub, "verify-file") == 0 && rest == 1) {
        if (!key) {
            return cli_usage(cli, "verify-file needs --public-key HEX|FILE (the server's audit.pub)");
        }
        return audit_verify_file(cli, argv[optind + 1], key);
    }
    return cli_usage(cli, "usage: ismo audit verify | export [-o FILE] [--since SEQ] | "
                          "verify-file FILE --public-key HEX|FILE");
}
