/* test_confidentiality: event confidentiality (issue 4 item 3) through the
 * libismo subscription API against an in-process ismod with CURVE: an agent
 * of function it-ops subscribes with every kind of prefix (empty, one
 * letter, a kind, a kind and another function, a whole other topic, a prefix
 * of another function's name...) and receives no event of function hr,
 * while an admin subscribed to "" receives hr's events (the events exist).
 * Also: a plain (non-CURVE) subscriber receives nothing at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "ismo.h"
#include "ismo_keys.h"

static harness H;
static char server_pub[600], boss_secret[600], itops_secret[600];

static void keygen(const char *dir, const char *name, const char *role, const char *functions, char *secret,
                   size_t len)
{
    char path[500], why[300];
    const char *meta[3][2] = {{"name", name}, {"role", role}, {"functions", functions}};
    snprintf(path, sizeof path, "%s/%s.cert", dir, name);
    assert_int_equal(ismo_keys_generate(path, (const char *const(*)[2])meta, functions ? 3 : 2, NULL, why, sizeof why),
                     ISMO_OK);
    if (secret) {
        snprintf(secret, len, "%s_secret", path);
    }
}

static int setup(void **state)
{
    harness_init(&H);
    char keys[400], certs[400], path[600];
    snprintf(keys, sizeof keys, "%s/keys", H.dir);
    snprintf(certs, sizeof certs, "%s/certs", H.dir);
    mkdir(keys, 0700);
    mkdir(certs, 0700);
    keygen(keys, "server", "server", NULL, NULL, 0);
    snprintf(server_pub, sizeof server_pub, "%s/server.cert", keys);
    snprintf(path, sizeof path, "%s/server.cert_secret", keys);
    H.cfg.insecure = 0;
    snprintf(H.cfg.curve_cert, sizeof H.cfg.curve_cert, "%s", path);
    snprintf(H.cfg.certs_dir, sizeof H.cfg.certs_dir, "%s", certs);
    /* *.cert_secret beside *.cert in the certificate directory is ignored by ismod */
    keygen(certs, "boss", "admin", NULL, boss_secret, sizeof boss_secret);
    keygen(certs, "itops", "agent", "it-ops", itops_secret, sizeof itops_secret);
    harness_start(&H);
    return 0;
}

static int teardown(void **state)
{
    harness_stop(&H);
    harness_cleanup(&H);
    return 0;
}

static void put_under(ismo_client_t *c, const char *id, const char *function, const char *parent);

static void put(ismo_client_t *c, const char *id, const char *function) { put_under(c, id, function, NULL); }

static void put_under(ismo_client_t *c, const char *id, const char *function, const char *parent)
{
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    int64_t now = ismo_now_ms();
    o.id = (char *)id;
    o.title = (char *)"test objective";
    o.function = (char *)function;
    o.owner = (char *)"Tess Owner";
    o.has_level = 1;
    o.level = ISMO__V1__LEVEL__OPERATIONAL;
    m.name = (char *)"metric";
    m.unit = (char *)"%";
    m.has_direction = 1;
    m.direction = ISMO__V1__DIRECTION__HIGHER_IS_BETTER;
    m.has_aggregation = 1;
    m.aggregation = ISMO__V1__AGGREGATION__LAST;
    o.metric = &m;
    o.has_baseline = 1;
    o.baseline = 0;
    o.has_target = 1;
    o.target = 100;
    o.has_start_ms = 1;
    o.start_ms = now - 10 * ISMO_DAY_MS;
    o.has_deadline_ms = 1;
    o.deadline_ms = now + 10 * ISMO_DAY_MS;
    o.parent_id = (char *)parent;
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_put_objective(c, &o, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
}

static void push(ismo_client_t *c, const char *id, double v)
{
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    Ismo__V1__Sample *arr[1] = {&s};
    char sid[40];
    ismo_sample_id_random(sid, sizeof sid);
    s.objective_id = (char *)id;
    s.has_value = 1;
    s.value = v;
    s.sample_id = sid;
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_push_samples(c, arr, 1, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
}

typedef struct counts {
    int it_ops, hr, heartbeat, other;
} counts;

static counts drain(ismo_sub_t *sub, int64_t for_ms)
{
    counts n = {0, 0, 0, 0};
    int64_t end = ismo_mono_ms() + for_ms;
    for (;;) {
        int64_t left = end - ismo_mono_ms();
        if (left <= 0) {
            break;
        }
        Ismo__V1__Event *e = NULL;
        if (ismo_sub_recv(sub, left, &e) != ISMO_OK) {
            continue;
        }
        if (e->kind == ISMO__V1__EVENT_KIND__HEARTBEAT) {
            n.heartbeat++;
        } else if (e->function && strcmp(e->function, "it-ops") == 0) {
            n.it_ops++;
        } else if (e->function && strcmp(e->function, "hr") == 0) {
            n.hr++;
        } else {
            n.other++;
        }
        ismo__v1__event__free_unpacked(e, NULL);
    }
    return n;
}

static void test_agent_gets_only_its_function(void **state)
{
    /* prefix, and whether it-ops events are expected through it */
    static const struct {
        const char *prefix;
        int want_it_ops;
    } subs[] = {
        {"", 1},           {"s", 1},          {"status", 1},     {"status.", 1},       {"status.h", 0},
        {"status.hr", 0},  {"status.hr.", 0}, {"status.hr.OBJ-HR", 0}, {"objective.", 1}, {"objective.hr.", 0},
        {"o", 1},          {"reminder.", 1}, /* the 30-day deadline reminder */  {"event", 0},      {"status.it-ops.", 1}, {"heartbeat.", 0},
        {"status.it", 1},  {"x", 0},
    };
    enum { N = sizeof subs / sizeof subs[0] };
    ismo_sub_t *sub[N];
    for (int i = 0; i < N; i++) {
        sub[i] = ismo_sub_new(H.pub_endpoint);
        assert_non_null(sub[i]);
        assert_int_equal(ismo_sub_set_curve(sub[i], server_pub, itops_secret), ISMO_OK);
        assert_int_equal(ismo_sub_subscribe(sub[i], subs[i].prefix), ISMO_OK);
    }
    ismo_sub_t *admin = ismo_sub_new(H.pub_endpoint), *plain = ismo_sub_new(H.pub_endpoint);
    assert_int_equal(ismo_sub_set_curve(admin, server_pub, boss_secret), ISMO_OK);
    ismo_sub_subscribe(admin, "");
    ismo_sub_subscribe(plain, "");
    usleep(500 * 1000); /* CURVE handshakes and subscriptions reach ismod */

    ismo_client_t *boss = ismo_client_new(H.endpoint, "boss");
    assert_non_null(boss);
    assert_int_equal(ismo_client_set_curve(boss, server_pub, boss_secret), ISMO_OK);
    put(boss, "OBJ-IT", "it-ops");
    put(boss, "OBJ-HR", "hr");
    for (int k = 0; k < 3; k++) {
        push(boss, "OBJ-HR", k % 2 ? 100 : 1);
        push(boss, "OBJ-IT", k % 2 ? 100 : 1);
    }
    counts a = drain(admin, 1500);
    assert_true(a.hr >= 4);       /* hr's events were published: created, status changes */
    assert_true(a.it_ops >= 4);
    for (int i = 0; i < N; i++) {
        counts n = drain(sub[i], 100);
        printf("  it-ops agent subscribed to '%s': it-ops %d, hr %d, heartbeats %d, other %d\n", subs[i].prefix,
               n.it_ops, n.hr, n.heartbeat, n.other);
        assert_int_equal(n.hr, 0);
        assert_int_equal(n.other, 0);
        if (subs[i].want_it_ops) {
            assert_true(n.it_ops > 0);
        } else {
            assert_int_equal(n.it_ops, 0);
        }
        if (strcmp(subs[i].prefix, "heartbeat.") == 0) {
            assert_true(n.heartbeat > 0); /* heartbeats are for everyone */
        }
        ismo_sub_destroy(&sub[i]);
    }
    counts p = drain(plain, 100);
    assert_int_equal(p.it_ops + p.hr + p.heartbeat + p.other, 0); /* no CURVE: no connection at all */
    ismo_sub_destroy(&admin);
    ismo_sub_destroy(&plain);
    ismo_client_destroy(&boss);
}

static Ismo__V1__Status *status_as(ismo_client_t *c, const char *id)
{
    const char *ids[1] = {id};
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_get_status(c, ids, 1, NULL, &r), ISMO_OK);
    assert_int_equal(r->get_status->n_statuses, 1);
    Ismo__V1__Status *st = (Ismo__V1__Status *)ismo_codec_copy(&r->get_status->statuses[0]->base);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_non_null(st);
    return st;
}

/* An it-ops parent with an hr child and an it-ops child: the agent's roll-up
 * holds only what it may read (hr's off-track health does not leak). */
static void test_rollup_only_readable(void **state)
{
    (void)state;
    ismo_client_t *boss = ismo_client_new(H.endpoint, "boss");
    ismo_client_t *itops = ismo_client_new(H.endpoint, "itops");
    assert_non_null(boss);
    assert_non_null(itops);
    assert_int_equal(ismo_client_set_curve(boss, server_pub, boss_secret), ISMO_OK);
    assert_int_equal(ismo_client_set_curve(itops, server_pub, itops_secret), ISMO_OK);
    put(boss, "TREE-IT", "it-ops");
    put_under(boss, "TREE-IT-C", "it-ops", "TREE-IT");
    put_under(boss, "TREE-HR-C", "hr", "TREE-IT");
    push(boss, "TREE-IT", 100);
    push(boss, "TREE-IT-C", 100);
    push(boss, "TREE-HR-C", 1); /* 1 % of the way at half time: off track */
    Ismo__V1__Status *st = status_as(boss, "TREE-IT");
    assert_int_equal(st->children, 2);
    assert_int_equal(st->rollup_health, ISMO__V1__HEALTH__OFF_TRACK);
    ismo__v1__status__free_unpacked(st, NULL);
    st = status_as(itops, "TREE-IT");
    assert_int_equal(st->children, 1);
    assert_int_equal(st->rollup_health, ISMO__V1__HEALTH__ACHIEVED);
    ismo__v1__status__free_unpacked(st, NULL);
    ismo_client_destroy(&itops);
    ismo_client_destroy(&boss);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_gets_only_its_function),
        cmocka_unit_test(test_rollup_only_readable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
