/* Restart test (issue "First release", tests item 8): push samples to a real
 * ismod process, SIGKILL it mid-stream (one request in flight) several times,
 * restart it on the same data directory, re-push what was not acknowledged,
 * and check that every acknowledged sample, event and reminder-fired fact is
 * still there, none twice. Usage: ismod_restart PATH-TO-ISMOD */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "ismo.h"

#define BATCHES 60
#define PER_BATCH 50
#define KILLS 4

static const char *g_ismod;
static char g_dir[256], g_ep[64], g_pub[64];
static pid_t g_pid;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            if (g_pid > 0) {                                                                       \
                kill(g_pid, SIGKILL);                                                              \
            }                                                                                      \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* A free port below the kernel's ephemeral range (32768-60999): a client
 * that reconnects to a dead port inside that range can connect to itself
 * (TCP self-connect) and keep the restarted server from binding. */
static int free_port(void)
{
    for (int attempt = 0; attempt < 500; attempt++) {
        int port = 20000 + rand() % 12000;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons((uint16_t)port);
        int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok) {
            return port;
        }
    }
    return 0;
}

static void start_server(void)
{
    g_pid = fork();
    CHECK(g_pid >= 0, "fork");
    if (g_pid == 0) {
        char data[300], log[300];
        snprintf(data, sizeof data, "%s/data", g_dir);
        snprintf(log, sizeof log, "%s/ismod.log", g_dir);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(fd, 2);
        execl(g_ismod, g_ismod, "--data-dir", data, "--insecure", "--endpoint", g_ep, "--pub-endpoint", g_pub,
              "--tick-ms", "100", (char *)NULL);
        _exit(127);
    }
    /* wait until it answers */
    ismo_client_t *c = ismo_client_new(g_ep, "restart-test");
    ismo_client_set_timeout_ms(c, 200);
    for (int i = 0; i < 100; i++) {
        Ismo__V1__Reply *r = NULL;
        if (ismo_ping(c, &r) == ISMO_OK) {
            ismo__v1__reply__free_unpacked(r, NULL);
            ismo_client_destroy(&c);
            return;
        }
    }
    CHECK(0, "ismod did not start (see %s/ismod.log)", g_dir);
}

static void kill_server(void)
{
    kill(g_pid, SIGKILL);
    waitpid(g_pid, NULL, 0);
    g_pid = 0;
}

typedef struct counts {
    uint64_t reminders, events, last_seq;
} counts;

static counts event_counts(ismo_client_t *c)
{
    counts n = {0, 0, 0};
    Ismo__V1__Reply *r = NULL;
    CHECK(ismo_list_events(c, 0, 0, NULL, 0, &r) == ISMO_OK, "list events: %s", ismo_client_error(c));
    uint64_t prev = 0;
    for (size_t i = 0; i < r->list_events->n_events; i++) {
        Ismo__V1__Event *e = r->list_events->events[i];
        CHECK(e->seq == prev + 1, "event seq gap or duplicate: %llu after %llu",
              (unsigned long long)e->seq, (unsigned long long)prev);
        prev = e->seq;
        n.events++;
        n.reminders += e->kind == ISMO__V1__EVENT_KIND__REMINDER;
    }
    n.last_seq = r->list_events->last_seq;
    ismo__v1__reply__free_unpacked(r, NULL);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-ISMOD\n", argv[0]);
        return 2;
    }
    g_ismod = argv[1];
    snprintf(g_dir, sizeof g_dir, "/tmp/ismo-restart-XXXXXX");
    CHECK(mkdtemp(g_dir), "mkdtemp");
    srand((unsigned)getpid() ^ (unsigned)ismo_now_ms());
    snprintf(g_ep, sizeof g_ep, "tcp://127.0.0.1:%d", free_port());
    snprintf(g_pub, sizeof g_pub, "tcp://127.0.0.1:%d", free_port());
    srand((unsigned)getpid());
    start_server();

    ismo_client_t *c = ismo_client_new(g_ep, "restart-test");
    ismo_client_set_timeout_ms(c, 2000);
    int64_t now = ismo_now_ms();
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    o.id = (char *)"OBJ-RESTART";
    o.title = (char *)"restart test";
    o.function = (char *)"it-ops";
    o.metric = &m;
    m.has_aggregation = 1;
    m.aggregation = ISMO__V1__AGGREGATION__COUNT;
    o.has_target = 1;
    o.target = 1e9;
    o.has_start_ms = 1;
    o.start_ms = now - ISMO_DAY_MS;
    o.has_deadline_ms = 1;
    o.deadline_ms = now + 2 * ISMO_DAY_MS; /* a DEADLINE_APPROACHING reminder fires at once */
    Ismo__V1__Reply *r = NULL;
    CHECK(ismo_put_objective(c, &o, &r) == ISMO_OK, "put: %s", ismo_client_error(c));
    ismo__v1__reply__free_unpacked(r, NULL);
    usleep(300 * 1000);
    counts before = event_counts(c);
    CHECK(before.reminders == 1, "expected 1 reminder before the kills, got %llu",
          (unsigned long long)before.reminders);

    /* kill points: batches at which the server dies with the request in flight */
    int kill_at[KILLS];
    for (int k = 0; k < KILLS; k++) {
        kill_at[k] = 5 + k * (BATCHES / KILLS) + rand() % 5;
    }
    uint64_t acked = 0, dup_acks = 0, timeouts = 0, kills = 0;
    double value_sum = 0;
    char ids[PER_BATCH][48];
    for (int b = 0; b < BATCHES; b++) {
        Ismo__V1__Sample s[PER_BATCH], *arr[PER_BATCH];
        for (int i = 0; i < PER_BATCH; i++) {
            ismo__v1__sample__init(&s[i]);
            snprintf(ids[i], sizeof ids[i], "restart-%d-%d", b, i);
            s[i].objective_id = (char *)"OBJ-RESTART";
            s[i].has_value = 1;
            s[i].value = b * 1000 + i;
            s[i].has_effective_ms = 1;
            s[i].effective_ms = now - (BATCHES - b) * 1000 + i;
            s[i].sample_id = ids[i];
            arr[i] = &s[i];
        }
        int killed_here = 0;
        for (;;) {
            if (!killed_here && kills < KILLS && b == kill_at[kills]) {
                /* send, then kill before reading the reply: the batch may or
                 * may not have committed; the re-push decides, idempotently */
                ismo_client_set_timeout_ms(c, 1);
                ismo_err e = ismo_push_samples(c, arr, PER_BATCH, &r);
                if (r) {
                    ismo__v1__reply__free_unpacked(r, NULL);
                }
                (void)e;
                kill_server();
                kills++;
                killed_here = 1;
                start_server();
                ismo_client_set_timeout_ms(c, 2000);
                continue;
            }
            ismo_err e = ismo_push_samples(c, arr, PER_BATCH, &r);
            if (e == ISMO_ERR_TIMEOUT) {
                timeouts++;
                continue;
            }
            CHECK(e == ISMO_OK, "push batch %d: %s", b, ismo_client_error(c));
            CHECK(r->push_samples->accepted + r->push_samples->duplicates == PER_BATCH,
                  "batch %d: accepted %u + duplicates %u != %d", b, r->push_samples->accepted,
                  r->push_samples->duplicates, PER_BATCH);
            acked += PER_BATCH;
            dup_acks += r->push_samples->duplicates;
            ismo__v1__reply__free_unpacked(r, NULL);
            break;
        }
        for (int i = 0; i < PER_BATCH; i++) {
            value_sum += b * 1000 + i;
        }
    }
    /* one more kill at rest, then verify */
    kill_server();
    start_server();
    CHECK(ismo_list_samples(c, "OBJ-RESTART", 0, 0, &r) == ISMO_OK, "list samples: %s",
          ismo_client_error(c));
    size_t n = r->list_samples->n_samples;
    double stored_sum = 0;
    unsigned char *seen = calloc(BATCHES * PER_BATCH, 1);
    for (size_t i = 0; i < n; i++) {
        Ismo__V1__Sample *s = r->list_samples->samples[i];
        int b, k;
        CHECK(sscanf(s->sample_id, "restart-%d-%d", &b, &k) == 2, "odd sample id %s", s->sample_id);
        CHECK(!seen[b * PER_BATCH + k], "sample %s stored twice", s->sample_id);
        seen[b * PER_BATCH + k] = 1;
        CHECK(s->value == b * 1000 + k, "sample %s has value %g", s->sample_id, s->value);
        stored_sum += s->value;
    }
    ismo__v1__reply__free_unpacked(r, NULL);
    free(seen);
    CHECK(n == (size_t)acked, "stored %zu samples, acknowledged %llu", n, (unsigned long long)acked);
    CHECK(stored_sum == value_sum, "value checksum %.0f != %.0f", stored_sum, value_sum);
    const char *ids1[1] = {"OBJ-RESTART"};
    CHECK(ismo_get_status(c, ids1, 1, NULL, &r) == ISMO_OK, "status");
    CHECK(r->get_status->statuses[0]->total_samples == acked, "status total_samples %llu != %llu",
          (unsigned long long)r->get_status->statuses[0]->total_samples, (unsigned long long)acked);
    ismo__v1__reply__free_unpacked(r, NULL);
    usleep(300 * 1000);
    counts after = event_counts(c);
    CHECK(after.reminders == 1, "reminder fired %llu times across restarts (want 1)",
          (unsigned long long)after.reminders);
    CHECK(after.last_seq >= before.last_seq, "event log shrank: %llu < %llu",
          (unsigned long long)after.last_seq, (unsigned long long)before.last_seq);
    printf("restart: %d kills with a request in flight (+1 at rest), %llu samples acknowledged, "
           "%zu stored, %llu acknowledged as duplicates on re-push, %llu client time-outs, "
           "value checksum %.0f, events %llu (seq 1..%llu gap-free), reminders fired 1\n",
           KILLS, (unsigned long long)acked, n, (unsigned long long)dup_acks,
           (unsigned long long)timeouts, stored_sum, (unsigned long long)after.events,
           (unsigned long long)after.last_seq);
    ismo_client_destroy(&c);
    kill(g_pid, SIGTERM);
    int status = 0;
    waitpid(g_pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ismod did not stop cleanly on SIGTERM");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) {
        return 1;
    }
    printf("1 passed, 0 failed\n");
    return 0;
}
