/* Unit tests of ismo-agent's modules: config, collector (and proc), spool,
 * state, hook environment. No server needed. Each test works in its own
 * temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "collector.h"
#include "config.h"
#include "hook.h"
#include "ismo_log.h"
#include "ismo_time.h"
#include "spool.h"
#include "state.h"

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/ismo-agent-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- config ------------------------------------------------------------------ */

static const char *valid_yaml =
    "agent:\n"
    "  name: it-ops-web1\n"
    "  function: it-ops\n"
    "  state_dir: /tmp/x\n"
    "server:\n"
    "  endpoint: tcp://127.0.0.1:7770\n"
    "  timeout_ms: 2500\n"
    "collectors:\n"
    "  - name: ssh-up\n"
    "    objective: OBJ-AVAIL\n"
    "    command: \"echo 100\"\n"
    "    interval_s: 5\n"
    "  - name: updates\n"
    "    objective: OBJ-PENDING-UPDATES\n"
    "    command: echo 3\n"
    "subscription:\n"
    "  kinds: [reminder, status]\n"
    "  hook: /bin/true\n";

static void test_config_valid(void **state)
{
    (void)state;
    char why[512];
    ismo_agent_config *cfg = NULL;
    assert_int_equal(ismo_agent_config_parse(valid_yaml, strlen(valid_yaml), "t.yaml", &cfg, why,
                                             sizeof why),
                     ISMO_OK);
    assert_string_equal(cfg->name, "it-ops-web1");
    assert_string_equal(cfg->function, "it-ops");
    assert_string_equal(cfg->state_dir, "/tmp/x");
    assert_int_equal(cfg->timeout_ms, 2500);
    assert_string_equal(cfg->pub_endpoint, "tcp://127.0.0.1:7771"); /* default */
    assert_int_equal(cfg->spool_max_bytes, 64 * 1024 * 1024);       /* default "64MiB" */
    assert_int_equal(cfg->batch_max_samples, 500);
    assert_int_equal(cfg->retry_min_ms, 1000);
    assert_int_equal(cfg->retry_max_ms, 60000);
    assert_int_equal(cfg->n_collectors, 2);
    assert_string_equal(cfg->collectors[0].objective, "OBJ-AVAIL");
    assert_int_equal(cfg->collectors[0].interval_s, 5);
    assert_int_equal(cfg->collectors[0].timeout_s, 10); /* default */
    assert_int_equal(cfg->collectors[1].interval_s, 60);
    assert_int_equal(cfg->collectors[1].line, 13);
    assert_int_equal(cfg->kinds_mask, (1u << 1) | (1u << 2));
    assert_string_equal(cfg->hook, "/bin/true");
    assert_int_equal(cfg->hook_timeout_s, 30);
    assert_int_equal(cfg->catch_up_s, 30);

    setenv("ISMO_AGENT_STATE_DIR", "/tmp/override", 1);
    setenv("ISMO_ENDPOINT", "tcp://10.0.0.1:1", 1);
    assert_int_equal(ismo_agent_config_apply_env(cfg), ISMO_OK);
    unsetenv("ISMO_AGENT_STATE_DIR");
    unsetenv("ISMO_ENDPOINT");
    assert_string_equal(cfg->state_dir, "/tmp/override");
    assert_string_equal(cfg->endpoint, "tcp://10.0.0.1:1");
    ismo_agent_config_destroy(&cfg);
    assert_null(cfg);
    ismo_agent_config_destroy(&cfg); /* safe twice */
}

static void test_config_defaults_minimal(void **state)
{
    (void)state;
    const char *y = "agent: {name: a, function: hr}\n";
    char why[512];
    ismo_agent_config *cfg = NULL;
    assert_int_equal(ismo_agent_config_parse(y, strlen(y), "m.yaml", &cfg, why, sizeof why),
                     ISMO_OK);
    assert_string_equal(cfg->state_dir, "/var/lib/ismo-agent");
    assert_int_equal(cfg->n_collectors, 0);
    assert_int_equal(cfg->kinds_mask, 1u << 2); /* [reminder] */
    assert_null(cfg->hook);
    assert_string_equal(cfg->spool_full, "refuse");
    assert_int_equal(cfg->heartbeat_timeout_s, 3);
    ismo_agent_config_destroy(&cfg);
}

/* Parse y; expect err and a message containing every string of wants. */
static void expect_error(const char *y, ismo_err want_err, const char *want1, const char *want2)
{
    char why[512];
    ismo_agent_config *cfg = NULL;
    ismo_err err = ismo_agent_config_parse(y, strlen(y), "bad.yaml", &cfg, why, sizeof why);
    if (err != want_err || !strstr(why, want1) || (want2 && !strstr(why, want2))) {
        fail_msg("got %d '%s', want %d with '%s' '%s'", err, why, want_err, want1,
                 want2 ? want2 : "");
    }
    assert_null(cfg);
}

static void test_config_errors(void **state)
{
    (void)state;
    /* unknown key, with its line number */
    expect_error("agent:\n  name: a\n  function: hr\n  nmae: b\n", ISMO_ERR_INVALID,
                 "bad.yaml:4:", "agent.nmae: unknown key");
    expect_error("agent: {name: a, function: hr}\ncolector: []\n", ISMO_ERR_INVALID, "bad.yaml:2:",
                 "colector: unknown key");
    /* bad interval: below the minimum, and not a number */
    expect_error("agent: {name: a, function: hr}\ncollectors:\n  - name: c\n    objective: O\n"
                 "    command: echo 1\n    interval_s: 0\n",
                 ISMO_ERR_INVALID, "bad.yaml:6:", "collectors[0].interval_s: 0 is below the minimum 1");
    expect_error("agent: {name: a, function: hr}\ncollectors:\n  - name: c\n    objective: O\n"
                 "    command: echo 1\n    interval_s: ten\n",
                 ISMO_ERR_INVALID, "bad.yaml:6:", "'ten' is not an integer");
    /* wrong type */
    expect_error("agent: {name: a, function: hr}\nserver:\n  timeout_ms: [1, 2]\n",
                 ISMO_ERR_INVALID, "bad.yaml:3:", "server.timeout_ms: expected a integer");
    /* required, bad values, duplicates, syntax */
    expect_error("agent: {name: a}\n", ISMO_ERR_INVALID, "agent.function: required", NULL);
    expect_error("agent: {name: 'a b', function: hr}\n", ISMO_ERR_INVALID, "agent.name: 'a b'",
                 NULL);
    expect_error("agent: {name: a, function: IT}\n", ISMO_ERR_INVALID, "agent.function", NULL);
    expect_error("agent: {name: a, function: hr}\ncollectors:\n  - {name: c, objective: O, command: x}\n"
                 "  - {name: c, objective: P, command: y}\n",
                 ISMO_ERR_INVALID, "bad.yaml:4:", "also the name of collectors[0]");
    expect_error("agent: {name: a, function: hr}\nsubscription: {kinds: [reminders]}\n",
                 ISMO_ERR_INVALID, "unknown event kind 'reminders'", NULL);
    expect_error("agent: {name: a, function: hr}\nagent: {name: b}\n", ISMO_ERR_INVALID,
                 "section given twice", NULL);
    expect_error("agent:\n  name: a\n   function: hr\n", ISMO_ERR_PARSE, "YAML syntax", NULL);
    expect_error("agent: {name: a, function: hr, spool_max_bytes: 10}\n", ISMO_ERR_INVALID,
                 "below the minimum", NULL);
    expect_error("agent: {name: a, function: hr, spool_max_bytes: 1TiB}\n", ISMO_ERR_INVALID,
                 "not a size in bytes", NULL);
    expect_error("agent: {name: a, function: hr, spool_full: drop_newest}\n", ISMO_ERR_INVALID,
                 "agent.spool_full: 'drop_newest' is not valid", "refuse or drop_oldest");
    expect_error("agent: {name: a, function: hr}\nsubscription: {heartbeat_timeout_s: -1}\n",
                 ISMO_ERR_INVALID, "subscription.heartbeat_timeout_s", NULL);
}

/* ---- collector ------------------------------------------------------------------ */

static void test_collector_parse(void **state)
{
    (void)state;
    double v = 0;
    assert_int_equal(ismo_collector_parse_value("42\n", &v), ISMO_OK);
    assert_true(v == 42.0);
    assert_int_equal(ismo_collector_parse_value("  -3.5e1 \t\n", &v), ISMO_OK);
    assert_true(v == -35.0);
    const char *bad[] = {"", "\n", "97 %", "nan", "inf", "-infinity", "1 2", "abc", "1e999", "0x", NULL};
    for (int i = 0; bad[i]; i++) {
        if (ismo_collector_parse_value(bad[i], &v) != ISMO_ERR_PARSE) {
            fail_msg("'%s' should not parse", bad[i]);
        }
    }
}

static void test_collector_run(void **state)
{
    (void)state;
    double v = 0;
    int64_t t = 0;
    ismo_collector_t *c = ismo_collector_new("c1", "OBJ-A", "echo 99.5", 1000, 5000);
    assert_non_null(c);
    int64_t before = ismo_now_ms();
    assert_int_equal(ismo_collector_run(c, NULL, &v, &t), ISMO_OK);
    assert_true(v == 99.5);
    assert_true(t >= before && t <= ismo_now_ms());
    assert_true(ismo_collector_next_due_ms(c) > ismo_mono_ms());
    ismo_collector_destroy(&c);
    assert_null(c);

    /* not a number: no value */
    c = ismo_collector_new("c2", "OBJ-A", "echo hello", 1000, 5000);
    assert_int_equal(ismo_collector_run(c, NULL, &v, &t), ISMO_ERR_PARSE);
    assert_int_equal(ismo_collector_failures(c), 1);
    ismo_collector_destroy(&c);

    /* a number but a failing exit status: no value */
    c = ismo_collector_new("c3", "OBJ-A", "echo 5; exit 3", 1000, 5000);
    assert_int_equal(ismo_collector_run(c, NULL, &v, &t), ISMO_ERR_IO);
    ismo_collector_destroy(&c);

    /* huge output: no value, and the command never blocks on the pipe */
    c = ismo_collector_new("c4", "OBJ-A", "yes 1 | head -c 100000", 1000, 5000);
    assert_int_equal(ismo_collector_run(c, NULL, &v, &t), ISMO_ERR_PARSE);
    ismo_collector_destroy(&c);
}

static int pid_alive(pid_t pid)
{
    char path[64];
    char buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static void test_collector_timeout_kills_group(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char cmd[512];
    char pidfile[300];
    snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
    /* the shell starts a grandchild that would outlive a plain kill of sh */
    snprintf(cmd, sizeof cmd, "sleep 30 & echo $! > %s; wait", pidfile);
    ismo_collector_t *c = ismo_collector_new("slow", "OBJ-A", cmd, 1000, 500);
    double v = 0;
    int64_t t = 0;
    int64_t start = ismo_mono_ms();
    assert_int_equal(ismo_collector_run(c, NULL, &v, &t), ISMO_ERR_TIMEOUT);
    int64_t took = ismo_mono_ms() - start;
    assert_true(took >= 500 && took < 1500);
    FILE *f = fopen(pidfile, "r");
    assert_non_null(f);
    int pid = 0;
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    for (int i = 0; i < 100 && pid_alive(pid); i++) {
        usleep(10000);
    }
    assert_false(pid_alive(pid));
    ismo_collector_destroy(&c);

    /* a stop request ends a run early */
    static volatile sig_atomic_t stop = 1;
    c = ismo_collector_new("stopped", "OBJ-A", "sleep 5; echo 1", 1000, 5000);
    start = ismo_mono_ms();
    assert_int_equal(ismo_collector_run(c, &stop, &v, &t), ISMO_ERR_INTERRUPTED);
    assert_true(ismo_mono_ms() - start < 1000);
    ismo_collector_destroy(&c);
    rm_rf(dir);
    free(dir);
}

/* ---- spool ----------------------------------------------------------------------- */

static void make_sample(Ismo__V1__Sample *s, char *id_buf, size_t len, int i)
{
    ismo__v1__sample__init(s);
    snprintf(id_buf, len, "agent1:%d", i);
    s->objective_id = "OBJ-A";
    s->has_value = 1;
    s->value = i * 1.5;
    s->has_effective_ms = 1;
    s->effective_ms = 1700000000000 + i;
    s->source = "agent:agent1";
    s->sample_id = id_buf;
}

static void append_n(ismo_spool_t *sp, int from, int n)
{
    for (int i = from; i < from + n; i++) {
        Ismo__V1__Sample s;
        char id[32];
        make_sample(&s, id, sizeof id, i);
        assert_int_equal(ismo_spool_append(sp, &s, 1), ISMO_OK);
    }
}

/* Peek up to max_n and check the ids are agent1:from.. */
static size_t expect_peek(ismo_spool_t *sp, ismo_spool_batch_t *b, size_t max_n, int from,
                          size_t want)
{
    assert_int_equal(ismo_spool_peek(sp, b, max_n), ISMO_OK);
    assert_int_equal(ismo_spool_batch_count(b), want);
    Ismo__V1__Sample **s = ismo_spool_batch_samples(b);
    for (size_t i = 0; i < want; i++) {
        char id[32];
        snprintf(id, sizeof id, "agent1:%d", from + (int)i);
        assert_string_equal(s[i]->sample_id, id);
        assert_true(s[i]->value == (from + (int)i) * 1.5);
        assert_string_equal(s[i]->objective_id, "OBJ-A");
    }
    return want;
}

static void test_spool_append_read_ack(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[300];
    snprintf(path, sizeof path, "%s/spool", dir);
    ismo_spool_t *sp = NULL;
    assert_int_equal(ismo_spool_open(path, 0, &sp), ISMO_OK);
    ismo_spool_batch_t *b = ismo_spool_batch_new();
    assert_int_equal(ismo_spool_count(sp), 0);
    expect_peek(sp, b, 10, 0, 0);
    append_n(sp, 0, 5);
    assert_int_equal(ismo_spool_count(sp), 5);
    expect_peek(sp, b, 3, 0, 3);
    expect_peek(sp, b, 3, 0, 3); /* peeking does not consume */
    assert_int_equal(ismo_spool_ack(sp, b), ISMO_OK);
    assert_int_equal(ismo_spool_count(sp), 2);
    expect_peek(sp, b, 10, 3, 2);
    assert_int_equal(ismo_spool_ack(sp, b), ISMO_OK);
    assert_int_equal(ismo_spool_count(sp), 0);
    assert_int_equal(ismo_spool_live_bytes(sp), 0);
    /* fully acknowledged: the file is back to its header */
    assert_int_equal(ismo_spool_file_bytes(sp), ISMO_SPOOL_HEADER_BYTES);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, ISMO_SPOOL_HEADER_BYTES);
    ismo_spool_batch_destroy(&b);
    ismo_spool_destroy(&sp);
    assert_null(sp);
    rm_rf(dir);
    free(dir);
}

static void test_spool_survives_reopen(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[300];
    snprintf(path, sizeof path, "%s/spool", dir);
    ismo_spool_t *sp = NULL;
    ismo_spool_batch_t *b = ismo_spool_batch_new();
    assert_int_equal(ismo_spool_open(path, 0, &sp), ISMO_OK);
    append_n(sp, 0, 6);
    expect_peek(sp, b, 2, 0, 2);
    assert_int_equal(ismo_spool_ack(sp, b), ISMO_OK);
    ismo_spool_destroy(&sp);
    /* "crash" and restart: the 4 unacknowledged samples are still there, in order */
    assert_int_equal(ismo_spool_open(path, 0, &sp), ISMO_OK);
    assert_int_equal(ismo_spool_count(sp), 4);
    expect_peek(sp, b, 10, 2, 4);
    ismo_spool_destroy(&sp);
    ismo_spool_batch_destroy(&b);
    rm_rf(dir);
    free(dir);
}

static void test_spool_torn_tail(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[300];
    snprintf(path, sizeof path, "%s/spool", dir);
    ismo_spool_t *sp = NULL;
    ismo_spool_batch_t *b = ismo_spool_batch_new();
    assert_int_equal(ismo_spool_open(path, 0, &sp), ISMO_OK);
    append_n(sp, 0, 3);
    uint64_t good = ismo_spool_file_bytes(sp);
    ismo_spool_destroy(&sp);
    /* a crash in the middle of an append: a record header and half a payload */
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    uint8_t torn[20] = {40, 0, 0, 0, 1, 2, 3, 4, 'h', 'a', 'l', 'f'};
    assert_int_equal(write(fd, torn, sizeof torn), (ssize_t)sizeof torn);
    close(fd);
    assert_int_equal(ismo_spool_open(path, 0, &sp), ISMO_OK);
    assert_int_equal(ismo_spool_count(sp), 3);
    assert_int_equal(ismo_spool_file_bytes(sp), good);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((uint64_t)st.st_size, good);
    /* appends continue cleanly after the recovered tail */
    append_n(sp, 3, 1);
    ismo_spool_destroy(&sp);
    assert_int_equal(ismo_spool_open(path, 0, &sp), ISMO_OK);
    expect_peek(sp, b, 10, 0, 4);

    /* a flipped bit in the last record's payload: that record is dropped */
    ismo_spool_destroy(&sp);
    fd = open(path, O_RDWR);
    uint8_t byte;
    assert_int_equal(pread(fd, &byte, 1, (off_t)good + 10), 1);
    byte ^= 0x40;
    assert_int_equal(pwrite(fd, &byte, 1, (off_t)good + 10), 1);
    close(fd);
    assert_int_equal(ismo_spool_open(path, 0, &sp), ISMO_OK);
    assert_int_equal(ismo_spool_count(sp), 3);

    /* a corrupt header: everything is re-sent (duplicates are harmless) */
    expect_peek(sp, b, 1, 0, 1);
    assert_int_equal(ismo_spool_ack(sp, b), ISMO_OK);
    ismo_spool_destroy(&sp);
    fd = open(path, O_RDWR);
    assert_int_equal(pwrite(fd, "\xff", 1, 17), 1);
    close(fd);
    assert_int_equal(ismo_spool_open(path, 0, &sp), ISMO_OK);
    assert_int_equal(ismo_spool_count(sp), 3);
    expect_peek(sp, b, 10, 0, 3);
    ismo_spool_destroy(&sp);

    /* not a spool at all: moved aside, a new one is started */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "hello world, not a spool file at all", 36), 36);
    close(fd);
    assert_int_equal(ismo_spool_open(path, 0, &sp), ISMO_OK);
    assert_int_equal(ismo_spool_count(sp), 0);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "ls %s/spool.corrupt-* >/dev/null", dir);
    assert_int_equal(system(cmd), 0);
    ismo_spool_destroy(&sp);
    ismo_spool_batch_destroy(&b);
    rm_rf(dir);
    free(dir);
}

static void test_spool_quota(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[300];
    snprintf(path, sizeof path, "%s/spool", dir);
    ismo_spool_t *sp = NULL;
    ismo_spool_batch_t *b = ismo_spool_batch_new();
    assert_int_equal(ismo_spool_open(path, 500, &sp), ISMO_OK);
    int accepted = 0;
    for (int i = 0; i < 20; i++) {
        Ismo__V1__Sample s;
        char id[32];
        make_sample(&s, id, sizeof id, i);
        ismo_err err = ismo_spool_append(sp, &s, 1);
        if (err == ISMO_OK) {
            assert_int_equal(accepted, i); /* no refusal before an acceptance */
            accepted++;
        } else {
            assert_int_equal(err, ISMO_ERR_FULL);
        }
    }
    assert_true(accepted > 0 && accepted < 20);
    assert_int_equal(ismo_spool_refused(sp), 20 - accepted);
    assert_true(ismo_spool_live_bytes(sp) <= 500);
    /* nothing accepted was dropped */
    assert_int_equal(ismo_spool_count(sp), accepted);
    expect_peek(sp, b, 100, 0, (size_t)accepted);
    /* acknowledging makes room again */
    assert_int_equal(ismo_spool_ack(sp, b), ISMO_OK);
    append_n(sp, 100, 1);
    ismo_spool_destroy(&sp);
    ismo_spool_batch_destroy(&b);
    rm_rf(dir);
    free(dir);
}

static void test_spool_compaction(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[300];
    snprintf(path, sizeof path, "%s/spool", dir);
    ismo_spool_t *sp = NULL;
    ismo_spool_batch_t *b = ismo_spool_batch_new();
    assert_int_equal(ismo_spool_open(path, 0, &sp), ISMO_OK);
    /* ~70 bytes per record: 30000 records are ~2 MiB; ack all but the last 10 */
    for (int i = 0; i < 30000; i++) {
        Ismo__V1__Sample s;
        char id[32];
        make_sample(&s, id, sizeof id, i);
        assert_int_equal(ismo_spool_append(sp, &s, 0), ISMO_OK);
    }
    assert_int_equal(ismo_spool_sync(sp), ISMO_OK);
    int done = 0;
    while (done < 29990) {
        size_t n = 29990 - done < 500 ? (size_t)(29990 - done) : 500;
        done += (int)expect_peek(sp, b, n, done, n);
        assert_int_equal(ismo_spool_ack(sp, b), ISMO_OK);
    }
    assert_int_equal(ismo_spool_count(sp), 10);
    assert_true(ismo_spool_file_bytes(sp) < (1u << 20)); /* compacted at least once */
    ismo_spool_destroy(&sp);
    assert_int_equal(ismo_spool_open(path, 0, &sp), ISMO_OK);
    expect_peek(sp, b, 100, 29990, 10);
    ismo_spool_destroy(&sp);
    ismo_spool_batch_destroy(&b);
    rm_rf(dir);
    free(dir);
}

static void test_spool_crc(void **state)
{
    (void)state;
    /* the standard check value of CRC-32/ISO-HDLC */
    assert_int_equal(ismo_spool_crc32(0, "123456789", 9), 0xCBF43926u);
}

/* ---- state --------------------------------------------------------------------- */

static void test_state_seq_never_reused(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char sub[300];
    snprintf(sub, sizeof sub, "%s/a/b", dir); /* created on open */
    ismo_agent_state_t *st = NULL;
    assert_int_equal(ismo_agent_state_open(sub, &st), ISMO_OK);
    /* one agent per state_dir */
    ismo_agent_state_t *other = NULL;
    assert_int_equal(ismo_agent_state_open(sub, &other), ISMO_ERR_LOCKED);
    assert_null(other);
    uint64_t seq = 0;
    uint64_t last = 0;
    /* a new state_dir starts above every id an earlier incarnation can have used */
    uint64_t floor = (uint64_t)ismo_now_ms() * ISMO_STATE_SEQ_PER_MS - 60000 * ISMO_STATE_SEQ_PER_MS;
    assert_int_equal(ismo_agent_state_next_sample_seq(st, &seq), ISMO_OK);
    assert_true(seq > floor);
    for (int i = 0; i < 1500; i++) {
        assert_int_equal(ismo_agent_state_next_sample_seq(st, &seq), ISMO_OK);
        assert_true(seq > last);
        last = seq;
    }
    assert_int_equal(ismo_agent_state_event_seq(st), 0);
    assert_int_equal(ismo_agent_state_set_event_seq(st, 42), ISMO_OK);
    Ismo__V1__Sample s;
    char id[32];
    make_sample(&s, id, sizeof id, 7);
    assert_int_equal(ismo_agent_state_reject(st, &s, "INVALID_ARGUMENT", "bad\tvalue"), ISMO_OK);
    ismo_agent_state_destroy(&st);
    assert_null(st);
    /* a restart continues above every number handed out before */
    assert_int_equal(ismo_agent_state_open(sub, &st), ISMO_OK);
    assert_int_equal(ismo_agent_state_next_sample_seq(st, &seq), ISMO_OK);
    assert_true(seq > last);
    assert_int_equal(ismo_agent_state_event_seq(st), 42);
    char path[400];
    FILE *f = fopen(ismo_agent_state_path(st, "rejected", path, sizeof path), "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_non_null(strstr(line, "\tagent1:7\tOBJ-A\t10.5\t"));
    assert_non_null(strstr(line, "\tINVALID_ARGUMENT\tbad value\n"));
    ismo_agent_state_destroy(&st);
    rm_rf(dir);
    free(dir);
}

/* ---- hook ---------------------------------------------------------------------- */

static void test_hook_env(void **state)
{
    (void)state;
    Ismo__V1__Event e = ISMO__V1__EVENT__INIT;
    Ismo__V1__Reminder r = ISMO__V1__REMINDER__INIT;
    e.has_seq = 1;
    e.seq = 17;
    e.has_kind = 1;
    e.kind = ISMO__V1__EVENT_KIND__REMINDER;
    e.function = "it-ops";
    e.objective_id = "OBJ-PATCH";
    e.title = "Patch critical vulnerabilities within 48 h";
    e.message = "deadline in 1 day";
    e.has_time_ms = 1;
    e.time_ms = 1767225599000;
    r.has_reminder_kind = 1;
    r.reminder_kind = ISMO__V1__REMINDER_KIND__DEADLINE_APPROACHING;
    r.has_due_ms = 1;
    r.due_ms = 1767225600000;
    r.owner = "CISO";
    r.key = "deadline:86400000";
    r.has_repeat = 1;
    r.repeat = 2;
    r.has_escalated = 1;
    r.escalated = 1;
    r.audience = "head-of-it";
    e.payload_case = ISMO__V1__EVENT__PAYLOAD_REMINDER;
    e.reminder = &r;
    ismo_hook_env env;
    ismo_hook_env_build(&e, "web1", &env);
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_EVENT_SEQ"), "17");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_EVENT_KIND"), "reminder");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_FUNCTION"), "it-ops");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_OBJECTIVE_ID"), "OBJ-PATCH");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_TITLE"),
                        "Patch critical vulnerabilities within 48 h");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_MESSAGE"), "deadline in 1 day");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_EVENT_TIME"), "2025-12-31T23:59:59.000Z");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_REMINDER_KIND"), "deadline_approaching");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_DUE"), "2026-01-01T00:00:00.000Z");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_OWNER"), "CISO");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_REMINDER_KEY"), "deadline:86400000");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_REMINDER_REPEAT"), "2");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_REMINDER_ESCALATED"), "1");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_REMINDER_AUDIENCE"), "head-of-it");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_REMINDER_LATE"), "0");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_OLD_HEALTH"), "");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_NEW_HEALTH"), "");
    assert_string_equal(ismo_hook_env_get(&env, "ISMO_AGENT_NAME"), "web1");

    /* the hook sees the variables; its exit status is reported */
    char *dir = make_tmpdir();
    char cmd[512];
    char out[300];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(cmd, sizeof cmd, "echo \"$ISMO_EVENT_SEQ $ISMO_REMINDER_KIND $ISMO_OWNER $ISMO_REMINDER_KEY\" > %s", out);
    assert_int_equal(ismo_hook_run(cmd, 5000, &e, "web1", NULL), ISMO_OK);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[128] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "17 deadline_approaching CISO deadline:86400000\n");
    assert_int_equal(ismo_hook_run("exit 4", 5000, &e, "web1", NULL), ISMO_ERR_IO);
    assert_int_equal(ismo_hook_run("sleep 10", 300, &e, "web1", NULL), ISMO_ERR_TIMEOUT);
    rm_rf(dir);
    free(dir);
}

/* ---- agent ------------------------------------------------------------------- */

static void test_agent_once_without_server(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char yaml[1024];
    /* nobody listens on port 9 of loopback (discard service is never on in CI) */
    snprintf(yaml, sizeof yaml,
             "agent: {name: t, function: it-ops, state_dir: '%s/state'}\n"
             "server: {endpoint: 'tcp://127.0.0.1:9', timeout_ms: 200}\n"
             "collectors:\n"
             "  - {name: a, objective: OBJ-A, command: 'echo 1'}\n"
             "  - {name: b, objective: OBJ-B, command: 'echo oops'}\n",
             dir);
    char why[512];
    ismo_agent_config *cfg = NULL;
    assert_int_equal(ismo_agent_config_parse(yaml, strlen(yaml), "t", &cfg, why, sizeof why),
                     ISMO_OK);
    for (int run = 1; run <= 2; run++) {
        ismo_agent_t *agent = NULL;
        assert_int_equal(ismo_agent_new(cfg, &agent), ISMO_OK);
        /* the server is away: the sample stays spooled, the run says so */
        assert_int_equal(ismo_agent_run_once(agent, NULL), ISMO_ERR_TIMEOUT);
        ismo_agent_stats st;
        ismo_agent_get_stats(agent, &st);
        assert_int_equal(st.collected, 1);
        assert_int_equal(st.collect_failed, 1);
        assert_int_equal(st.spooled, (uint64_t)run); /* the first run's sample survived */
        ismo_agent_destroy(&agent);
        assert_null(agent);
    }
    /* both samples are in the spool with distinct ids of this agent */
    char path[400];
    snprintf(path, sizeof path, "%s/state/spool", dir);
    ismo_spool_t *sp = NULL;
    ismo_spool_batch_t *b = ismo_spool_batch_new();
    assert_int_equal(ismo_spool_open(path, 0, &sp), ISMO_OK);
    assert_int_equal(ismo_spool_peek(sp, b, 10), ISMO_OK);
    assert_int_equal(ismo_spool_batch_count(b), 2);
    Ismo__V1__Sample **s = ismo_spool_batch_samples(b);
    assert_string_not_equal(s[0]->sample_id, s[1]->sample_id);
    assert_int_equal(strncmp(s[0]->sample_id, "t:", 2), 0);
    assert_string_equal(s[1]->source, "agent:t");
    assert_string_equal(s[1]->objective_id, "OBJ-A");
    assert_true(s[1]->value == 1.0 && s[1]->effective_ms > 0);
    ismo_spool_batch_destroy(&b);
    ismo_spool_destroy(&sp);
    ismo_agent_config_destroy(&cfg);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    ismo_log_set_level(ISMO_LOG_ERROR);
    if (getenv("ISMO_TEST_VERBOSE")) {
        ismo_log_set_level(ISMO_LOG_DEBUG);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_valid),
        cmocka_unit_test(test_config_defaults_minimal),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_collector_parse),
        cmocka_unit_test(test_collector_run),
        cmocka_unit_test(test_collector_timeout_kills_group),
        cmocka_unit_test(test_spool_append_read_ack),
        cmocka_unit_test(test_spool_survives_reopen),
        cmocka_unit_test(test_spool_torn_tail),
        cmocka_unit_test(test_spool_quota),
        cmocka_unit_test(test_spool_compaction),
        cmocka_unit_test(test_spool_crc),
        cmocka_unit_test(test_state_seq_never_reused),
        cmocka_unit_test(test_hook_env),
        cmocka_unit_test(test_agent_once_without_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
