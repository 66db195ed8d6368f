/* rel_helper: the libismo client behind the tests/reliability scripts.
 *
 *   rel_helper ping     EP                    exit 0 when ismod answers
 *   rel_helper last-seq EP                    print PingReply.last_seq
 *   rel_helper put      EP ID FUNCTION        a "maintain >= 50" objective (aggregation last,
 *                                             deadline in 30 days)
 *   rel_helper flip     EP ID N               push N single samples alternating 100 / 0 with
 *                                             rising effective times (now, or 1 ms after the
 *                                             previous one): each one changes the
 *                                             health (ON_TRACK <-> OFF_TRACK), one event each
 *   rel_helper events   EP FUNCTION KIND      print the seq of every stored event of the
 *                                             function and kind word (status|reminder|objective);
 *                                             FUNCTION "" and KIND "all": every event, printed
 *                                             as "seq kind objective function"
 *   rel_helper fill     EP ID BATCH MAX       push batches of BATCH random-id samples until a
 *                                             STORAGE_FULL reply or MAX batches (or 20 other
 *                                             errors); prints counts; exit 0 only when
 *                                             STORAGE_FULL was seen and no other error
 *   rel_helper push     EP ID N [BATCH]       push N random-id samples; exit 0 when all stored
 *   rel_helper load     EP ID SECONDS         push batches of 100 until SECONDS passed or
 *                                             SIGTERM; prints the count accepted
 *   rel_helper verify   EP EXPECTED... -- OBJ...
 *                                             read every stored sample of OBJ... (ListSamples
 *                                             pages) and compare with the union of the
 *                                             EXPECTED files ("<id>\t<obj>\t<value>" lines):
 *                                             prints count, unique, duplicates, missing,
 *                                             extra, value mismatches and both checksums;
 *                                             exit 0 when the store holds each expected sample
 *                                             exactly once and nothing else
 *   rel_helper count    EP OBJ                read every stored sample of OBJ; print the count
 *                                             and the number of distinct ids
 *   rel_helper heartbeat PUB_EP SECONDS       exit 0 when a "heartbeat." message arrives within
 *                                             SECONDS (prints its seq); 1 when none does
 *   rel_helper status   EP                    one line per objective: id, health, value,
 *                                             total_samples, last_sample_ms (id order)
 *
 * Exit 0 on success, 1 on a failed check or error (reason on stderr). */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ismo.h"

static volatile sig_atomic_t g_stop;
static void on_term(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int fail(const char *what, ismo_client_t *c)
{
    fprintf(stderr, "rel_helper: %s: %s\n", what, c ? ismo_client_error(c) : "");
    return 1;
}

/* ---- samples as (id, value) pairs ------------------------------------------ */

typedef struct pair {
    char *id;
    double value;
} pair;

typedef struct pairs {
    pair *v;
    size_t n, cap;
} pairs;

static void pairs_add(pairs *p, const char *id, double value)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 1024;
        p->v = realloc(p->v, p->cap * sizeof *p->v);
        if (!p->v) {
            abort();
        }
    }
    p->v[p->n].id = strdup(id);
    p->v[p->n].value = value;
    p->n++;
}

static int pair_cmp(const void *a, const void *b)
{
    return strcmp(((const pair *)a)->id, ((const pair *)b)->id);
}

static void pairs_free(pairs *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].id);
    }
    free(p->v);
}

/* FNV-1a 64 of "id=value", summed: independent of order. */
static uint64_t pair_hash(const pair *x)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s=%.17g", x->id, x->value);
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = buf; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Read every sample of obj into out, paging by effective time (a page's last
 * time is asked again; ids already seen in that last millisecond are skipped). */
static int read_all(ismo_client_t *c, const char *obj, pairs *out)
{
    int64_t since = 0;
    pairs last_ms = {0}; /* ids seen at time `since` */
    for (int pages = 0; pages < 100000; pages++) {
        Ismo__V1__Reply *reply = NULL;
        if (ismo_list_samples(c, obj, since, 0, &reply) != ISMO_OK || !reply->list_samples) {
            if (reply) {
                ismo__v1__reply__free_unpacked(reply, NULL);
            }
            pairs_free(&last_ms);
            return fail("list_samples", c);
        }
        const Ismo__V1__ListSamplesReply *b = reply->list_samples;
        size_t added = 0;
        int64_t page_last = since;
        for (size_t i = 0; i < b->n_samples; i++) {
            const Ismo__V1__Sample *s = b->samples[i];
            int seen = 0;
            if (s->effective_ms == since) {
                for (size_t j = 0; j < last_ms.n && !seen; j++) {
                    seen = !strcmp(last_ms.v[j].id, s->sample_id);
                }
            }
            if (seen) {
                continue;
            }
            pairs_add(out, s->sample_id ? s->sample_id : "", s->value);
            added++;
            page_last = s->effective_ms;
        }
        int more = b->has_more && b->more;
        if (more) {
            if (page_last != since) {
                pairs_free(&last_ms);
                memset(&last_ms, 0, sizeof last_ms);
                since = page_last;
            }
            for (size_t i = 0; i < b->n_samples; i++) {
                if (b->samples[i]->effective_ms == since) {
                    int dup = 0;
                    for (size_t j = 0; j < last_ms.n && !dup; j++) {
                        dup = !strcmp(last_ms.v[j].id, b->samples[i]->sample_id);
                    }
                    if (!dup) {
                        pairs_add(&last_ms, b->samples[i]->sample_id, 0);
                    }
                }
            }
        }
        ismo__v1__reply__free_unpacked(reply, NULL);
        if (!more) {
            pairs_free(&last_ms);
            return 0;
        }
        if (added == 0) {
            fprintf(stderr, "rel_helper: more than one page of samples in one millisecond\n");
            pairs_free(&last_ms);
            return 1;
        }
    }
    pairs_free(&last_ms);
    return 1;
}

static int verify(ismo_client_t *c, int argc, char **argv)
{
    pairs want = {0}, have = {0};
    int i = 0;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        char line[512];
        while (fgets(line, sizeof line, f)) {
            char *tab1 = strchr(line, '\t');
            char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
            if (!tab2) {
                continue;
            }
            *tab1 = 0;
            pairs_add(&want, line, strtod(tab2 + 1, NULL));
        }
        fclose(f);
    }
    for (i++; i < argc; i++) {
        if (read_all(c, argv[i], &have) != 0) {
            return 1;
        }
    }
    qsort(want.v, want.n, sizeof *want.v, pair_cmp);
    qsort(have.v, have.n, sizeof *have.v, pair_cmp);
    uint64_t want_sum = 0, have_sum = 0;
    size_t unique = 0, dups = 0, missing = 0, extra = 0, mismatch = 0, want_dups = 0;
    for (size_t k = 0; k < want.n; k++) {
        want_sum += pair_hash(&want.v[k]);
        want_dups += k > 0 && !strcmp(want.v[k].id, want.v[k - 1].id);
    }
    for (size_t k = 0; k < have.n; k++) {
        have_sum += pair_hash(&have.v[k]);
        if (k > 0 && !strcmp(have.v[k].id, have.v[k - 1].id)) {
            dups++;
        } else {
            unique++;
        }
    }
    size_t a = 0, b = 0;
    while (a < want.n || b < have.n) {
        int cmp = a == want.n ? 1 : b == have.n ? -1 : strcmp(want.v[a].id, have.v[b].id);
        if (cmp < 0) {
            if (missing++ < 5) {
                fprintf(stderr, "missing: %s\n", want.v[a].id);
            }
            a++;
        } else if (cmp > 0) {
            if (b == 0 || strcmp(have.v[b].id, have.v[b - 1].id)) {
                if (extra++ < 5) {
                    fprintf(stderr, "extra: %s\n", have.v[b].id);
                }
            }
            b++;
        } else {
            if (want.v[a].value != have.v[b].value && mismatch++ < 5) {
                fprintf(stderr, "value mismatch: %s %.17g != %.17g\n", want.v[a].id,
                        want.v[a].value, have.v[b].value);
            }
            a++;
            b++;
            while (b < have.n && !strcmp(have.v[b].id, have.v[b - 1].id)) {
                b++; /* duplicates counted above */
            }
        }
    }
    printf("expected %zu (duplicate ids in the lists %zu), stored %zu, unique %zu, duplicates %zu, "
           "missing %zu, extra %zu, value mismatches %zu\n",
           want.n, want_dups, have.n, unique, dups, missing, extra, mismatch);
    printf("checksum expected %016" PRIx64 " stored %016" PRIx64 "\n", want_sum, have_sum);
    int ok = want_dups == 0 && dups == 0 && missing == 0 && extra == 0 && mismatch == 0 &&
             want_sum == have_sum && want.n == have.n;
    pairs_free(&want);
    pairs_free(&have);
    return ok ? 0 : 1;
}

/* ---- pushes ----------------------------------------------------------------- */

/* Push n random-id samples of obj in one batch. Returns the ismo_err. */
static ismo_err push_batch(ismo_client_t *c, const char *obj, size_t n, uint32_t *accepted,
                           char *msg, size_t msg_len)
{
    Ismo__V1__Sample *s = calloc(n, sizeof *s);
    Ismo__V1__Sample **pp = calloc(n, sizeof *pp);
    char (*ids)[40] = calloc(n, sizeof *ids);
    int64_t now = ismo_now_ms();
    for (size_t i = 0; i < n; i++) {
        ismo__v1__sample__init(&s[i]);
        ismo_sample_id_random(ids[i], sizeof ids[i]);
        s[i].objective_id = (char *)obj;
        s[i].sample_id = ids[i];
        s[i].source = "rel_helper";
        s[i].has_value = 1;
        s[i].value = (double)(i % 100);
        s[i].has_effective_ms = 1;
        s[i].effective_ms = now;
        pp[i] = &s[i];
    }
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_push_samples(c, pp, n, &reply);
    *accepted = reply && reply->push_samples ? reply->push_samples->accepted : 0;
    snprintf(msg, msg_len, "%s", ismo_client_error(c));
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    free(s);
    free(pp);
    free(ids);
    return err;
}

static int fill(ismo_client_t *c, const char *obj, size_t batch, long max_batches)
{
    uint64_t accepted = 0;
    long ok = 0, full = 0, other = 0;
    char msg[512] = "";
    for (long b = 0; b < max_batches; b++) {
        uint32_t acc = 0;
        ismo_err err = push_batch(c, obj, batch, &acc, msg, sizeof msg);
        accepted += acc;
        if (err == ISMO_OK) {
            ok++;
        } else if (err == ISMO_ERR_FULL) {
            full++;
            printf("STORAGE_FULL reply after %ld batches: \"%s\"\n", ok, msg);
            break;
        } else {
            other++;
            fprintf(stderr, "rel_helper: batch %ld: %s: %s\n", b, ismo_strerror(err), msg);
            if (other >= 20) {
                break;
            }
        }
    }
    printf("fill: batches ok %ld, storage_full %ld, other errors %ld, samples accepted %" PRIu64
           "\n", ok, full, other, accepted);
    return full > 0 && other == 0 ? 0 : 1;
}

static int put(ismo_client_t *c, const char *id, const char *function)
{
    int64_t now = ismo_now_ms();
    Ismo__V1__Objective o = ISMO__V1__OBJECTIVE__INIT;
    Ismo__V1__Metric m = ISMO__V1__METRIC__INIT;
    m.name = "value";
    m.unit = "%";
    m.has_direction = 1;
    m.direction = ISMO__V1__DIRECTION__HIGHER_IS_BETTER;
    m.has_aggregation = 1;
    m.aggregation = ISMO__V1__AGGREGATION__LAST;
    o.id = (char *)id;
    o.title = "reliability test objective";
    o.function = (char *)function;
    o.owner = "tester";
    o.has_level = 1;
    o.level = ISMO__V1__LEVEL__OPERATIONAL;
    o.metric = &m;
    o.has_baseline = 1;
    o.baseline = 0;
    o.has_target = 1;
    o.target = 50;
    o.has_target_mode = 1;
    o.target_mode = ISMO__V1__TARGET_MODE__MAINTAIN;
    o.has_start_ms = 1;
    o.start_ms = now - ISMO_DAY_MS;
    o.has_deadline_ms = 1;
    o.deadline_ms = now + 30 * ISMO_DAY_MS;
    Ismo__V1__Reply *reply = NULL;
    int rc = ismo_put_objective(c, &o, &reply) == ISMO_OK ? 0 : fail("put", c);
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    return rc;
}

static int flip(ismo_client_t *c, const char *id, long n)
{
    int64_t t = 0;
    char sid[40];
    for (long i = 0; i < n; i++) {
        /* "last" is the newest effective time: keep it rising across calls */
        int64_t now = ismo_now_ms();
        t = now > t ? now : t + 1;
        Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
        ismo_sample_id_random(sid, sizeof sid);
        s.objective_id = (char *)id;
        s.sample_id = sid;
        s.source = "rel_helper";
        s.has_value = 1;
        s.value = i % 2 ? 0 : 100;
        s.has_effective_ms = 1;
        s.effective_ms = t;
        Ismo__V1__Sample *pp = &s;
        Ismo__V1__Reply *reply = NULL;
        ismo_err err = ismo_push_samples(c, &pp, 1, &reply);
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        if (err != ISMO_OK) {
            return fail("flip push", c);
        }
    }
    printf("flip: %ld samples pushed\n", n);
    return 0;
}

static int events(ismo_client_t *c, const char *function, const char *kind_word)
{
    int all = !strcmp(kind_word, "all");
    int kind = all                              ? 0
               : !strcmp(kind_word, "status")   ? ISMO__V1__EVENT_KIND__STATUS_CHANGED
               : !strcmp(kind_word, "reminder") ? ISMO__V1__EVENT_KIND__REMINDER
                                                : ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED;
    uint64_t since = 0;
    for (;;) {
        Ismo__V1__Reply *reply = NULL;
        if (ismo_list_events(c, since, 0, *function ? function : NULL, kind, &reply) != ISMO_OK || !reply->list_events) {
            if (reply) {
                ismo__v1__reply__free_unpacked(reply, NULL);
            }
            return fail("list_events", c);
        }
        const Ismo__V1__ListEventsReply *b = reply->list_events;
        for (size_t i = 0; i < b->n_events; i++) {
            const Ismo__V1__Event *e = b->events[i];
            if (all) {
                printf("%" PRIu64 " %d %s %s\n", e->seq, (int)e->kind,
                       e->objective_id ? e->objective_id : "", e->function ? e->function : "");
            } else {
                printf("%" PRIu64 "\n", e->seq);
            }
            since = b->events[i]->seq;
        }
        int more = b->has_more && b->more && b->n_events > 0;
        ismo__v1__reply__free_unpacked(reply, NULL);
        if (!more) {
            return 0;
        }
    }
}

static int status(ismo_client_t *c)
{
    Ismo__V1__Reply *reply = NULL;
    if (ismo_get_status(c, NULL, 0, NULL, &reply) != ISMO_OK || !reply->get_status) {
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        return fail("get_status", c);
    }
    for (size_t i = 0; i < reply->get_status->n_statuses; i++) {
        const Ismo__V1__Status *s = reply->get_status->statuses[i];
        printf("%s health=%d value=%.17g total_samples=%" PRIu64 " last_sample_ms=%" PRId64 "\n",
               s->objective_id, (int)s->health, s->has_value ? s->value : -1.0, s->total_samples,
               s->last_sample_ms);
    }
    ismo__v1__reply__free_unpacked(reply, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: rel_helper COMMAND ENDPOINT ... (see the source)\n");
        return 1;
    }
    signal(SIGTERM, on_term);
    if (!strcmp(argv[1], "heartbeat") && argc == 4) {
        ismo_sub_t *sub = ismo_sub_new(argv[2]);
        if (!sub || ismo_sub_subscribe(sub, "heartbeat.") != ISMO_OK) {
            ismo_sub_destroy(&sub);
            return 1;
        }
        Ismo__V1__Event *e = NULL;
        int rc = 1;
        if (ismo_sub_recv(sub, atol(argv[3]) * 1000, &e) == ISMO_OK) {
            printf("heartbeat seq %" PRIu64 "\n", e->seq);
            ismo__v1__event__free_unpacked(e, NULL);
            rc = 0;
        }
        ismo_sub_destroy(&sub);
        return rc;
    }
    ismo_client_t *c = ismo_client_new(argv[2], "reliability-test");
    if (!c) {
        return 1;
    }
    ismo_client_set_timeout_ms(c, 5000);
    const char *cmd = argv[1];
    int rc = 1;
    if (!strcmp(cmd, "ping") || !strcmp(cmd, "last-seq")) {
        ismo_client_set_timeout_ms(c, 1000);
        Ismo__V1__Reply *reply = NULL;
        rc = ismo_ping(c, &reply) == ISMO_OK ? 0 : 1;
        if (rc == 0 && !strcmp(cmd, "last-seq") && reply->ping) {
            printf("%" PRIu64 "\n", reply->ping->last_seq);
        }
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
    } else if (!strcmp(cmd, "put") && argc == 5) {
        rc = put(c, argv[3], argv[4]);
    } else if (!strcmp(cmd, "flip") && argc == 5) {
        rc = flip(c, argv[3], atol(argv[4]));
    } else if (!strcmp(cmd, "events") && argc == 5) {
        rc = events(c, argv[3], argv[4]);
    } else if (!strcmp(cmd, "fill") && argc == 6) {
        rc = fill(c, argv[3], (size_t)atol(argv[4]), atol(argv[5]));
    } else if (!strcmp(cmd, "push") && argc >= 5) {
        long n = atol(argv[4]);
        long batch = argc >= 6 ? atol(argv[5]) : 1000;
        uint64_t accepted = 0;
        char msg[512] = "";
        rc = 0;
        for (long done = 0; done < n && rc == 0;) {
            size_t k = (size_t)(n - done < batch ? n - done : batch);
            uint32_t acc = 0;
            ismo_err err = push_batch(c, argv[3], k, &acc, msg, sizeof msg);
            accepted += acc;
            if (err != ISMO_OK) {
                fprintf(stderr, "rel_helper: push: %s: %s\n", ismo_strerror(err), msg);
                rc = 1;
            }
            done += (long)k;
        }
        printf("push: %" PRIu64 " samples accepted\n", accepted);
    } else if (!strcmp(cmd, "load") && argc == 5) {
        int64_t until = ismo_mono_ms() + atol(argv[4]) * 1000;
        uint64_t accepted = 0;
        char msg[512] = "";
        while (!g_stop && ismo_mono_ms() < until) {
            uint32_t acc = 0;
            if (push_batch(c, argv[3], 100, &acc, msg, sizeof msg) != ISMO_OK) {
                fprintf(stderr, "rel_helper: load: %s\n", msg);
            }
            accepted += acc;
        }
        printf("load: %" PRIu64 " samples accepted\n", accepted);
        rc = 0;
    } else if (!strcmp(cmd, "verify") && argc >= 5) {
        rc = verify(c, argc - 3, argv + 3);
    } else if (!strcmp(cmd, "count") && argc == 4) {
        pairs have = {0};
        rc = read_all(c, argv[3], &have);
        if (rc == 0) {
            qsort(have.v, have.n, sizeof *have.v, pair_cmp);
            size_t unique = 0;
            for (size_t k = 0; k < have.n; k++) {
                unique += k == 0 || strcmp(have.v[k].id, have.v[k - 1].id);
            }
            printf("count %s: %zu samples read, %zu distinct ids\n", argv[3], have.n, unique);
            rc = unique == have.n ? 0 : 1;
        }
        pairs_free(&have);
    } else if (!strcmp(cmd, "status") && argc == 3) {
        rc = status(c);
    } else {
        fprintf(stderr, "rel_helper: bad arguments\n");
    }
    ismo_client_destroy(&c);
    return rc;
}
