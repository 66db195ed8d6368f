/* ismod black-box tests over the wire: every request type, the bad-input
 * rules (docs/protocol.md "Errors"), events and reminders, restart. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>

#include "harness.h"
#include "ismo.h"

static harness H;

static int setup(void **state)
{
    harness_init(&H);
    harness_start(&H);
    return 0;
}

static int teardown(void **state)
{
    harness_stop(&H);
    harness_cleanup(&H);
    return 0;
}

typedef struct obj_spec {
    const char *id;
    const char *function;
    int direction;
    int mode;
    double baseline, target;
    int64_t start_ms, deadline_ms, frequency_ms, window_ms;
} obj_spec;

static ismo_err put(ismo_client_t *c, const obj_spec *s, Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    o.id = (char *)s->id;
    o.title = (char *)"test objective";
    o.function = (char *)(s->function ? s->function : "it-ops");
    o.owner = (char *)"Tess Owner";
    o.has_level = 1;
    o.level = ISMO__V1__LEVEL__OPERATIONAL;
    m.name = (char *)"metric";
    m.unit = (char *)"%";
    m.has_direction = 1;
    m.direction = s->direction ? (Ismo__V1__Direction)s->direction : ISMO__V1__DIRECTION__HIGHER_IS_BETTER;
    m.has_aggregation = 1;
    m.aggregation = ISMO__V1__AGGREGATION__LAST;
    m.has_window_ms = 1;
    m.window_ms = s->window_ms;
    m.has_frequency_ms = s->frequency_ms != 0;
    m.frequency_ms = s->frequency_ms;
    o.metric = &m;
    o.has_baseline = 1;
    o.baseline = s->baseline;
    o.has_target = 1;
    o.target = s->target;
    o.has_target_mode = 1;
    o.target_mode = (Ismo__V1__TargetMode)s->mode;
    o.has_start_ms = s->start_ms != 0;
    o.start_ms = s->start_ms;
    o.has_deadline_ms = s->deadline_ms != 0;
    o.deadline_ms = s->deadline_ms;
    return ismo_put_objective(c, &o, reply_p);
}

static ismo_err push1(ismo_client_t *c, const char *id, double v, int64_t at, const char *sid,
                      Ismo__V1__Reply **reply_p)
{
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    Ismo__V1__Sample *arr[1] = {&s};
    s.objective_id = (char *)id;
    s.has_value = 1;
    s.value = v;
    s.has_effective_ms = at != 0;
    s.effective_ms = at;
    s.sample_id = (char *)sid;
    s.source = (char *)"test";
    return ismo_push_samples(c, arr, 1, reply_p);
}

static Ismo__V1__Status *status_of(ismo_client_t *c, const char *id)
{
    const char *ids[1] = {id};
    Ismo__V1__Reply *r = NULL;
    ismo_err err = ismo_get_status(c, ids, 1, NULL, &r);
    assert_int_equal(err, ISMO_OK);
    assert_int_equal(r->get_status->n_statuses, 1);
    /* detach the status from the reply */
    Ismo__V1__Status *copy = (Ismo__V1__Status *)ismo_codec_copy(&r->get_status->statuses[0]->base);
    assert_non_null(copy);
    ismo__v1__reply__free_unpacked(r, NULL);
    return copy;
}

static void test_ping(void **state)
{
    ismo_client_t *c = ismo_client_new(H.endpoint, "tester");
    assert_non_null(c);
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_ping(c, &r), ISMO_OK);
    assert_int_equal(r->body_case, ISMO__V1__REPLY__BODY_PING);
    assert_string_equal(r->ping->server_version, ISMO_VERSION);
    assert_true(r->ping->server_time_ms > 1700000000000LL);
    ismo__v1__reply__free_unpacked(r, NULL);
    ismo_client_destroy(&c);
    assert_null(c);
}

static void test_objective_versions(void **state)
{
    ismo_client_t *c = ismo_client_new(H.endpoint, "alice");
    ismo_client_set_reason(c, "initial import");
    int64_t now = ismo_now_ms();
    obj_spec s = {"OBJ-V", "it-ops", 1, 0, 0, 100, now - ISMO_DAY_MS, now + 100 * ISMO_DAY_MS, 0, 0};
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(put(c, &s, &r), ISMO_OK);
    assert_true(r->put_objective->created);
    assert_int_equal(r->put_objective->version, 1);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* same again: unchanged, no new version */
    assert_int_equal(put(c, &s, &r), ISMO_OK);
    assert_true(r->put_objective->unchanged);
    assert_int_equal(r->put_objective->version, 1);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* change the target: version 2, with who and why */
    ismo_client_set_reason(c, "raise the bar");
    s.target = 120;
    assert_int_equal(put(c, &s, &r), ISMO_OK);
    assert_int_equal(r->put_objective->version, 2);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_get_objective(c, "OBJ-V", 1, &r), ISMO_OK);
    assert_int_equal(r->get_objective->objective->target, 100);
    assert_string_equal(r->get_objective->objective->updated_by, "alice");
    assert_string_equal(r->get_objective->objective->change_reason, "initial import");
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_get_objective(c, "OBJ-V", 0, &r), ISMO_OK);
    assert_int_equal(r->get_objective->objective->target, 120);
    assert_int_equal(r->get_objective->objective->version, 2);
    assert_string_equal(r->get_objective->objective->change_reason, "raise the bar");
    ismo__v1__reply__free_unpacked(r, NULL);
    /* unknown id and version */
    assert_int_equal(ismo_get_objective(c, "NOPE", 0, &r), ISMO_ERR_NOT_FOUND);
    assert_int_equal(r->code, ISMO__V1__STATUS_CODE__NOT_FOUND);
    assert_non_null(strstr(r->message, "NOPE"));
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_get_objective(c, "OBJ-V", 9, &r), ISMO_ERR_NOT_FOUND);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* invalid objective: bad function */
    obj_spec bad = s;
    bad.id = "OBJ-BAD";
    bad.function = "IT Ops";
    assert_int_equal(put(c, &bad, &r), ISMO_ERR_INVALID);
    assert_int_equal(r->code, ISMO__V1__STATUS_CODE__INVALID_ARGUMENT);
    assert_non_null(strstr(r->message, "function"));
    ismo__v1__reply__free_unpacked(r, NULL);
    /* retire: new version, then changes refused, list hides it */
    ismo_client_set_reason(c, "superseded");
    assert_int_equal(ismo_retire_objective(c, "OBJ-V", &r), ISMO_OK);
    assert_int_equal(r->retire_objective->version, 3);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(put(c, &s, &r), ISMO_ERR_CONFLICT);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_list_objectives(c, NULL, 0, &r), ISMO_OK);
    for (size_t i = 0; i < r->list_objectives->n_objectives; i++) {
        assert_string_not_equal(r->list_objectives->objectives[i]->id, "OBJ-V");
    }
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_list_objectives(c, NULL, 1, &r), ISMO_OK);
    int seen = 0;
    for (size_t i = 0; i < r->list_objectives->n_objectives; i++) {
        seen += strcmp(r->list_objectives->objectives[i]->id, "OBJ-V") == 0;
    }
    assert_int_equal(seen, 1);
    ismo__v1__reply__free_unpacked(r, NULL);
    ismo_client_destroy(&c);
}

static void test_samples_and_status(void **state)
{
    ismo_client_t *c = ismo_client_new(H.endpoint, "bob");
    int64_t now = ismo_now_ms();
    /* lower is better: patch time from 120 h to 48 h over 100 days, 50 days in */
    obj_spec s = {"OBJ-PATCH", "it-ops", ISMO__V1__DIRECTION__LOWER_IS_BETTER, 0, 120, 48,
                  now - 50 * ISMO_DAY_MS, now + 50 * ISMO_DAY_MS, 0, 0};
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(put(c, &s, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    Ismo__V1__Status *st = status_of(c, "OBJ-PATCH");
    assert_int_equal(st->health, ISMO__V1__HEALTH__NO_DATA);
    ismo__v1__status__free_unpacked(st, NULL);
    /* 80 h is a little ahead of half-way: on track */
    assert_int_equal(push1(c, "OBJ-PATCH", 80, now - 1000, "p-1", &r), ISMO_OK);
    assert_int_equal(r->push_samples->accepted, 1);
    ismo__v1__reply__free_unpacked(r, NULL);
    st = status_of(c, "OBJ-PATCH");
    assert_int_equal(st->health, ISMO__V1__HEALTH__ON_TRACK);
    assert_true(fabs(st->value - 80) < 1e-9);
    assert_true(fabs(st->progress - 40.0 / 72.0) < 1e-9);
    assert_true(fabs(st->expected_progress - 0.5) < 0.01);
    assert_int_equal(st->total_samples, 1);
    ismo__v1__status__free_unpacked(st, NULL);
    /* 110 h: far behind: off track */
    assert_int_equal(push1(c, "OBJ-PATCH", 110, now - 500, "p-2", &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    st = status_of(c, "OBJ-PATCH");
    assert_int_equal(st->health, ISMO__V1__HEALTH__OFF_TRACK);
    ismo__v1__status__free_unpacked(st, NULL);
    /* duplicate sample id: acknowledged as duplicate, not stored twice */
    assert_int_equal(push1(c, "OBJ-PATCH", 40, now - 100, "p-2", &r), ISMO_OK);
    assert_int_equal(r->push_samples->accepted, 0);
    assert_int_equal(r->push_samples->duplicates, 1);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* 40 h: target met -> achieved */
    assert_int_equal(push1(c, "OBJ-PATCH", 40, now - 100, "p-3", &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    st = status_of(c, "OBJ-PATCH");
    assert_int_equal(st->health, ISMO__V1__HEALTH__ACHIEVED);
    assert_int_equal(st->total_samples, 3);
    ismo__v1__status__free_unpacked(st, NULL);
    /* list samples: oldest first, 3 of them */
    assert_int_equal(ismo_list_samples(c, "OBJ-PATCH", 0, 0, &r), ISMO_OK);
    assert_int_equal(r->list_samples->n_samples, 3);
    assert_true(r->list_samples->samples[0]->effective_ms <= r->list_samples->samples[1]->effective_ms);
    ismo__v1__reply__free_unpacked(r, NULL);
    ismo_client_destroy(&c);
}

static void test_bad_samples(void **state)
{
    ismo_client_t *c = ismo_client_new(H.endpoint, "mallory");
    int64_t now = ismo_now_ms();
    obj_spec s = {"OBJ-B", "hr", 1, 0, 0, 100, now - ISMO_DAY_MS, now + 10 * ISMO_DAY_MS, 0, 0};
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(put(c, &s, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    Ismo__V1__Sample a = ISMO__V1__SAMPLE__INIT, b = ISMO__V1__SAMPLE__INIT,
                     d = ISMO__V1__SAMPLE__INIT, e = ISMO__V1__SAMPLE__INIT;
    a.objective_id = (char *)"OBJ-B";
    a.has_value = 1;
    a.value = 50;
    b.objective_id = (char *)"OBJ-B";
    b.has_value = 1;
    b.value = NAN;
    d.objective_id = (char *)"OBJ-UNKNOWN";
    d.has_value = 1;
    d.value = 1;
    e.objective_id = (char *)"OBJ-B";
    e.has_value = 1;
    e.value = INFINITY;
    Ismo__V1__Sample *arr[4] = {&a, &b, &d, &e};
    assert_int_equal(ismo_push_samples(c, arr, 4, &r), ISMO_ERR_PARTIAL);
    assert_int_equal(r->code, ISMO__V1__STATUS_CODE__PARTIAL);
    assert_int_equal(r->push_samples->accepted, 1);
    assert_int_equal(r->push_samples->n_rejected, 3);
    assert_int_equal(r->push_samples->rejected[0]->index, 1);
    assert_int_equal(r->push_samples->rejected[0]->code, ISMO__V1__STATUS_CODE__INVALID_ARGUMENT);
    assert_non_null(strstr(r->push_samples->rejected[0]->message, "NaN"));
    assert_int_equal(r->push_samples->rejected[1]->code, ISMO__V1__STATUS_CODE__NOT_FOUND);
    assert_non_null(strstr(r->push_samples->rejected[2]->message, "infinite"));
    ismo__v1__reply__free_unpacked(r, NULL);
    /* missing value */
    Ismo__V1__Sample m = ISMO__V1__SAMPLE__INIT;
    m.objective_id = (char *)"OBJ-B";
    Ismo__V1__Sample *one[1] = {&m};
    assert_int_equal(ismo_push_samples(c, one, 1, &r), ISMO_ERR_PARTIAL);
    assert_non_null(strstr(r->push_samples->rejected[0]->message, "value missing"));
    ismo__v1__reply__free_unpacked(r, NULL);
    /* empty batch */
    assert_int_equal(ismo_push_samples(c, NULL, 0, &r), ISMO_ERR_INVALID);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* the server still serves */
    assert_int_equal(ismo_ping(c, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    ismo_client_destroy(&c);
}

/* Raw frames: not protobuf, no body, oversize, wrong framing. */
static Ismo__V1__Reply *raw_call(void *sock, const void *buf, size_t len, int frames)
{
    if (frames == 2) {
        zmq_send(sock, "x", 1, ZMQ_SNDMORE);
        zmq_send(sock, "y", 1, ZMQ_SNDMORE);
    }
    zmq_send(sock, buf, len, 0);
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    assert_int_equal(zmq_poll(&it, 1, 5000), 1);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    assert_true(zmq_msg_recv(&msg, sock, 0) >= 0);
    Ismo__V1__Reply *r = ismo__v1__reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
    zmq_msg_close(&msg);
    assert_non_null(r);
    return r;
}

static void test_malformed_frames(void **state)
{
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(sock, H.endpoint), 0);
    Ismo__V1__Reply *r = raw_call(sock, "\xff\xff\xff garbage", 12, 1);
    assert_int_equal(r->code, ISMO__V1__STATUS_CODE__BAD_REQUEST);
    assert_non_null(strstr(r->message, "not an ismo.v1.Request"));
    ismo__v1__reply__free_unpacked(r, NULL);
    /* a valid Request with no body (unknown type) */
    Ismo__V1__Request req = ISMO__V1__REQUEST__INIT;
    req.has_request_id = 1;
    req.request_id = 77;
    uint8_t buf[64];
    size_t len = ismo__v1__request__pack(&req, buf);
    r = raw_call(sock, buf, len, 1);
    assert_int_equal(r->code, ISMO__V1__STATUS_CODE__BAD_REQUEST);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* oversize frame: above max_frame_bytes (4 MiB), below the hard limit */
    size_t big = 5u << 20;
    uint8_t *huge = calloc(1, big);
    r = raw_call(sock, huge, big, 1);
    assert_int_equal(r->code, ISMO__V1__STATUS_CODE__TOO_LARGE);
    ismo__v1__reply__free_unpacked(r, NULL);
    free(huge);
    /* three frames: bad framing */
    r = raw_call(sock, "z", 1, 2);
    assert_int_equal(r->code, ISMO__V1__STATUS_CODE__BAD_REQUEST);
    ismo__v1__reply__free_unpacked(r, NULL);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    /* and the server still answers */
    ismo_client_t *c = ismo_client_new(H.endpoint, "t");
    assert_int_equal(ismo_ping(c, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    ismo_client_destroy(&c);
}

typedef struct ev_count {
    int status_changed, reminders, approaching, overdue, stale, objective_changed;
} ev_count;

static ev_count count_events(ismo_client_t *c, const char *id)
{
    ev_count n = {0};
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_list_events(c, 0, 0, NULL, 0, &r), ISMO_OK);
    uint64_t prev = 0;
    for (size_t i = 0; i < r->list_events->n_events; i++) {
        Ismo__V1__Event *e = r->list_events->events[i];
        assert_true(e->seq > prev); /* ascending, unique */
        prev = e->seq;
        if (strcmp(e->objective_id, id) != 0) {
            continue;
        }
        if (e->kind == ISMO__V1__EVENT_KIND__STATUS_CHANGED) {
            n.status_changed++;
        } else if (e->kind == ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED) {
            n.objective_changed++;
        } else if (e->kind == ISMO__V1__EVENT_KIND__REMINDER) {
            n.reminders++;
            switch (e->reminder->reminder_kind) {
            case ISMO__V1__REMINDER_KIND__DEADLINE_APPROACHING: n.approaching++; break;
            case ISMO__V1__REMINDER_KIND__OVERDUE: n.overdue++; break;
            case ISMO__V1__REMINDER_KIND__METRIC_STALE: n.stale++; break;
            default: break;
            }
        }
    }
    assert_int_equal(prev, r->list_events->last_seq);
    ismo__v1__reply__free_unpacked(r, NULL);
    return n;
}

static void test_events_reminders_restart(void **state)
{
    ismo_client_t *c = ismo_client_new(H.endpoint, "carol");
    ismo_sub_t *sub = ismo_sub_new(H.pub_endpoint);
    char prefix[128];
    assert_int_equal(ismo_sub_subscribe(sub, ismo_topic_prefix("reminder", "compliance", prefix, sizeof prefix)), ISMO_OK);
    usleep(300 * 1000); /* let the subscription reach the PUB socket */
    int64_t now = ismo_now_ms();
    /* deadline in 2 days: the 7 d offset fires, 30 d is suppressed, 1 d later */
    obj_spec s = {"OBJ-DUE", "compliance", 1, 0, 0, 1, now - 10 * ISMO_DAY_MS, now + 2 * ISMO_DAY_MS,
                  0, 0};
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(put(c, &s, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* overdue: deadline yesterday, target not met */
    obj_spec o = {"OBJ-LATE", "compliance", 1, 0, 0, 1, now - 10 * ISMO_DAY_MS, now - ISMO_DAY_MS, 0, 0};
    assert_int_equal(put(c, &o, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* stale: measured every hour, started 30 min ago, last sample 2 h ago */
    obj_spec st = {"OBJ-STALE", "compliance", 1, 1, 0, 1, now - 30 * ISMO_MINUTE_MS, now + 300 * ISMO_DAY_MS,
                   ISMO_HOUR_MS, 0};
    assert_int_equal(put(c, &st, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(push1(c, "OBJ-STALE", 1, now - 2 * ISMO_HOUR_MS, "st-1", &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    /* the subscriber gets the reminders as they are published */
    int got = 0;
    int64_t until = ismo_mono_ms() + 5000;
    while (got < 3 && ismo_mono_ms() < until) {
        Ismo__V1__Event *e = NULL;
        if (ismo_sub_recv(sub, 500, &e) == ISMO_OK) {
            assert_int_equal(e->kind, ISMO__V1__EVENT_KIND__REMINDER);
            assert_string_equal(e->function, "compliance");
            got++;
            ismo__v1__event__free_unpacked(e, NULL);
        }
    }
    assert_int_equal(got, 3);
    usleep(300 * 1000); /* a few more ticks: nothing fires twice */
    ev_count due = count_events(c, "OBJ-DUE");
    assert_int_equal(due.approaching, 1);
    assert_int_equal(due.reminders, 1);
    assert_int_equal(due.objective_changed, 1);
    ev_count late = count_events(c, "OBJ-LATE");
    assert_int_equal(late.overdue, 1);
    ev_count stale = count_events(c, "OBJ-STALE");
    assert_int_equal(stale.stale, 1);
    Ismo__V1__Status *sts = status_of(c, "OBJ-DUE");
    assert_int_equal(sts->reminders_outstanding, 1);
    ismo__v1__status__free_unpacked(sts, NULL);
    ismo_sub_destroy(&sub);
    ismo_client_destroy(&c);

    /* restart: fired reminders are remembered, nothing fires again */
    harness_stop(&H);
    harness_start(&H);
    c = ismo_client_new(H.endpoint, "carol");
    usleep(400 * 1000);
    due = count_events(c, "OBJ-DUE");
    assert_int_equal(due.reminders, 1);
    late = count_events(c, "OBJ-LATE");
    assert_int_equal(late.overdue, 1);
    stale = count_events(c, "OBJ-STALE");
    assert_int_equal(stale.stale, 1);
    /* a fresh sample re-arms the stale reminder */
    assert_int_equal(push1(c, "OBJ-STALE", 1, ismo_now_ms(), "st-2", &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    Ismo__V1__Status *s2 = status_of(c, "OBJ-STALE");
    assert_int_equal(s2->reminders_outstanding, 0);
    ismo__v1__status__free_unpacked(s2, NULL);
    ismo_client_destroy(&c);
}


/* The due-time index: a reminder whose time comes later fires then, on a
 * tick, without any request (the tick evaluates only what is due). */
static void test_reminder_fires_when_due(void **state)
{
    ismo_client_t *c = ismo_client_new(H.endpoint, "dora");
    int64_t now = ismo_now_ms();
    /* 30 d offset reached 1.5 s from now; metric stale 1 s after definition */
    obj_spec s = {"OBJ-LATER", "hr", 1, 0, 0, 1, now - ISMO_DAY_MS, now + 30 * ISMO_DAY_MS + 1500,
                  1000, 0};
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(put(c, &s, &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    usleep(300 * 1000);
    ev_count n = count_events(c, "OBJ-LATER");
    assert_int_equal(n.approaching, 0);
    assert_int_equal(n.stale, 0);
    int64_t until = ismo_mono_ms() + 5000;
    while (ismo_mono_ms() < until) {
        n = count_events(c, "OBJ-LATER");
        if (n.approaching == 1 && n.stale == 1) {
            break;
        }
        usleep(100 * 1000);
    }
    assert_int_equal(n.approaching, 1);
    assert_int_equal(n.stale, 1);
    /* a sample dated far in the future is refused, one within the skew is not */
    assert_int_equal(push1(c, "OBJ-LATER", 1, ismo_now_ms() + ISMO_DAY_MS, "fut-1", &r), ISMO_ERR_PARTIAL);
    assert_non_null(strstr(r->push_samples->rejected[0]->message, "future"));
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(push1(c, "OBJ-LATER", 1, ismo_now_ms() + 1000, "fut-2", &r), ISMO_OK);
    ismo__v1__reply__free_unpacked(r, NULL);
    ismo_client_destroy(&c);
}


/* Lists longer than max_list come in pages; libismo joins them. Values,
 * times and text the protocol cannot hold safely are refused. */
static void test_paging_and_limits(void **state)
{
    harness h2;
    harness_init(&h2);
    h2.cfg.max_list = 7;
    harness_start(&h2);
    ismo_client_t *c = ismo_client_new(h2.endpoint, "pat");
    int64_t now = ismo_now_ms();
    Ismo__V1__Reply *r = NULL;
    char ids[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(ids[i], sizeof ids[i], "OBJ-P%02d", i);
        obj_spec s = {ids[i], i % 2 ? "hr" : "it-ops", 1, 0, 0, 100, now - ISMO_DAY_MS,
                      now + 100 * ISMO_DAY_MS, 0, 0};
        assert_int_equal(put(c, &s, &r), ISMO_OK);
        ismo__v1__reply__free_unpacked(r, NULL);
    }
    assert_int_equal(ismo_list_objectives(c, NULL, 0, &r), ISMO_OK);
    assert_int_equal(r->list_objectives->n_objectives, 20);
    assert_false(r->list_objectives->more);
    for (int i = 0; i < 20; i++) {
        assert_string_equal(r->list_objectives->objectives[i]->id, ids[i]);
    }
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_list_objectives(c, "hr", 0, &r), ISMO_OK);
    assert_int_equal(r->list_objectives->n_objectives, 10);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_get_status(c, NULL, 0, NULL, &r), ISMO_OK);
    assert_int_equal(r->get_status->n_statuses, 20);
    assert_string_equal(r->get_status->statuses[19]->objective_id, "OBJ-P19");
    ismo__v1__reply__free_unpacked(r, NULL);
    /* samples page by (effective time, skip), even when many share one time */
    int64_t t = now - ISMO_HOUR_MS;
    for (int i = 0; i < 17; i++) {
        char sid[32];
        snprintf(sid, sizeof sid, "page-%02d", i);
        assert_int_equal(push1(c, "OBJ-P00", i, i < 12 ? t : t + 1000 * i, sid, &r), ISMO_OK);
        ismo__v1__reply__free_unpacked(r, NULL);
    }
    int64_t since = 0;
    uint32_t skip = 0;
    int got = 0, pages = 0;
    for (int more = 1; more && pages < 20; pages++) {
        assert_int_equal(ismo_list_samples_page(c, "OBJ-P00", since, skip, 0, &r), ISMO_OK);
        for (size_t i = 0; i < r->list_samples->n_samples; i++) {
            const Ismo__V1__Sample *sm = r->list_samples->samples[i];
            char want[32];
            snprintf(want, sizeof want, "page-%02d", got);
            assert_string_equal(sm->sample_id, want); /* each once, in order */
            got++;
            if (sm->effective_ms == since) {
                skip++;
            } else {
                since = sm->effective_ms;
                skip = 1;
            }
        }
        more = r->list_samples->more;
        ismo__v1__reply__free_unpacked(r, NULL);
    }
    assert_int_equal(got, 17);
    assert_int_equal(pages, 3);
    /* limits: magnitude, time range, UTF-8 */
    assert_int_equal(push1(c, "OBJ-P00", 1.7e308, 0, NULL, &r), ISMO_ERR_PARTIAL);
    assert_non_null(strstr(r->push_samples->rejected[0]->message, "out of range"));
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(push1(c, "OBJ-P00", 1, -5, NULL, &r), ISMO_ERR_PARTIAL);
    assert_non_null(strstr(r->push_samples->rejected[0]->message, "1970"));
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(push1(c, "OBJ-P00", 1, 0, "bad\xff-id", &r), ISMO_ERR_PARTIAL);
    assert_non_null(strstr(r->push_samples->rejected[0]->message, "UTF-8"));
    ismo__v1__reply__free_unpacked(r, NULL);
    obj_spec early = {"OBJ-1900", "hr", 1, 0, 0, 1, 0, INT64_MIN, 0, 0};
    assert_int_equal(put(c, &early, &r), ISMO_ERR_INVALID);
    assert_non_null(strstr(r->message, "1970"));
    ismo__v1__reply__free_unpacked(r, NULL);
    obj_spec huge = {"OBJ-HUGE", "hr", 1, 0, 0, 1e300, 0, 0, 0, 0};
    assert_int_equal(put(c, &huge, &r), ISMO_ERR_INVALID);
    ismo__v1__reply__free_unpacked(r, NULL);
    ismo_client_destroy(&c);
    harness_stop(&h2);
    harness_cleanup(&h2);
}


/* Heartbeats carry the newest event seq; a backup restores to a server that
 * answers the same. */
static void test_heartbeat_and_backup(void **state)
{
    ismo_client_t *c = ismo_client_new(H.endpoint, "olga");
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_ping(c, &r), ISMO_OK);
    uint64_t last = r->ping->last_seq;
    ismo__v1__reply__free_unpacked(r, NULL);
    ismo_sub_t *sub = ismo_sub_new(H.pub_endpoint);
    assert_int_equal(ismo_sub_subscribe(sub, "heartbeat."), ISMO_OK);
    Ismo__V1__Event *e = NULL;
    int64_t until = ismo_mono_ms() + 5000;
    while (!e && ismo_mono_ms() < until) {
        ismo_sub_recv(sub, 500, &e);
    }
    assert_non_null(e);
    assert_int_equal(e->kind, ISMO__V1__EVENT_KIND__HEARTBEAT);
    assert_true(e->seq >= last);
    ismo__v1__event__free_unpacked(e, NULL);
    ismo_sub_destroy(&sub);

    char dir[400];
    snprintf(dir, sizeof dir, "%s/backup-1", H.dir);
    assert_int_equal(ismo_backup(c, dir, &r), ISMO_OK);
    assert_true(r->backup->bytes > 0);
    assert_true(r->backup->last_seq >= last);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_backup(c, dir, &r), ISMO_ERR_CONFLICT);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_backup(c, "relative/dir", &r), ISMO_ERR_INVALID);
    ismo__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(ismo_get_status(c, NULL, 0, NULL, &r), ISMO_OK);
    Ismo__V1__Reply *orig = r;

    /* restore: a server on the copy answers the same status */
    harness h2;
    harness_init(&h2);
    snprintf(h2.cfg.data_dir, sizeof h2.cfg.data_dir, "%s", dir);
    harness_start(&h2);
    ismo_client_t *c2 = ismo_client_new(h2.endpoint, "olga");
    assert_int_equal(ismo_get_status(c2, NULL, 0, NULL, &r), ISMO_OK);
    assert_int_equal(r->get_status->n_statuses, orig->get_status->n_statuses);
    for (size_t i = 0; i < r->get_status->n_statuses; i++) {
        Ismo__V1__Status *a = orig->get_status->statuses[i], *b = r->get_status->statuses[i];
        assert_string_equal(a->objective_id, b->objective_id);
        assert_int_equal(a->health, b->health);
        assert_int_equal(a->total_samples, b->total_samples);
        assert_true(a->value == b->value);
    }
    ismo__v1__reply__free_unpacked(r, NULL);
    ismo__v1__reply__free_unpacked(orig, NULL);
    ismo_client_destroy(&c2);
    harness_stop(&h2);
    harness_cleanup(&h2);
    ismo_client_destroy(&c);
}

static void test_second_server_refused(void **state)
{
    ismo_config cfg = H.cfg;
    snprintf(cfg.endpoint, sizeof cfg.endpoint, "tcp://127.0.0.1:*");
    snprintf(cfg.pub_endpoint, sizeof cfg.pub_endpoint, "tcp://127.0.0.1:*");
    ismo_server_t *second = NULL;
    char why[512];
    assert_int_equal(ismo_server_new(&cfg, &second, why, sizeof why), ISMO_ERR_LOCKED);
    assert_null(second);
    assert_non_null(strstr(why, "in use by another ismod"));
}

static void test_dead_server_times_out(void **state)
{
    ismo_client_t *c = ismo_client_new("tcp://127.0.0.1:1", "t");
    ismo_client_set_timeout_ms(c, 300);
    Ismo__V1__Reply *r = NULL;
    assert_int_equal(ismo_ping(c, &r), ISMO_ERR_TIMEOUT);
    assert_null(r);
    assert_non_null(strstr(ismo_client_error(c), "no reply"));
    ismo_client_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_objective_versions),
        cmocka_unit_test(test_samples_and_status),
        cmocka_unit_test(test_bad_samples),
        cmocka_unit_test(test_malformed_frames),
        cmocka_unit_test(test_events_reminders_restart),
        cmocka_unit_test(test_reminder_fires_when_due),
        cmocka_unit_test(test_paging_and_limits),
        cmocka_unit_test(test_heartbeat_and_backup),
        cmocka_unit_test(test_second_server_refused),
        cmocka_unit_test(test_dead_server_times_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
