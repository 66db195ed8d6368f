/* cmd_watch: "ismo events" (stored events, from ListEvents) and "ismo watch"
 * (events as they happen, from the PUB endpoint, with catch-up from the
 * event log so that nothing between subscribing and listening is missed;
 * ISO/IEC 27001:2022 6.2 "communicated"). Both print one line per event:
 *
 *   #<seq> <time> <kind> <function> <objective> <detail>
 *
 * watch is single-threaded: it polls the SUB socket and, when a sequence gap
 * shows, asks ListEvents for the missing part. SIGINT/SIGTERM stop it. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

/* User text on the event's one line: control bytes escaped (ismo_put_text). */
static void put(const char *text, const char *after)
{
    ismo_put_text(stdout, text);
    fputs(after, stdout);
}

static void event_print(const Ismo__V1__Event *e)
{
    char t[40], d[40];
    printf("#%llu %s %s ", (unsigned long long)e->seq, ismo_fmt_time(e->time_ms, t, sizeof t),
           ismo_event_kind_topic(e->kind));
    put(e->function && *e->function ? e->function : "-", " ");
    put(e->objective_id && *e->objective_id ? e->objective_id : "-", " ");
    switch (e->payload_case) {
    case ISMO__V1__EVENT__PAYLOAD_STATUS_CHANGE: {
        const Ismo__V1__StatusChange *s = e->status_change;
        printf("%s -> %s", ismo_health_name(s->old_health), ismo_health_name(s->new_health));
        if (s->has_value) {
            printf(" (value %.4g", s->value);
            if (s->has_progress) {
                printf(", progress %.0f %%", s->progress * 100.0);
            }
            if (s->has_expected_progress) {
                printf(", expected %.0f %%", s->expected_progress * 100.0);
            }
            printf(")");
        }
        break;
    }
    case ISMO__V1__EVENT__PAYLOAD_REMINDER: {
        const Ismo__V1__Reminder *r = e->reminder;
        printf("%s due %s", ismo_reminder_kind_name(r->reminder_kind),
               ismo_fmt_reminder_due((int)r->reminder_kind, r->due_ms, d, sizeof d));
        if (r->action && *r->action) {
            printf(" action \"");
            put(r->action, "\"");
        }
        if (r->owner && *r->owner) {
            printf(" owner \"");
            put(r->owner, "\"");
        }
        if (r->audience && *r->audience && (!r->owner || strcmp(r->audience, r->owner) != 0)) {
            printf(" to \"");
            put(r->audience, "\"");
        }
        if (r->repeat) {
            printf(" repeat %u", r->repeat);
        }
        if (r->escalated) {
            printf(" escalated");
        }
        if (r->late) {
            printf(" late");
        }
        if (r->key && *r->key) {
            printf(" key ");
            put(r->key, "");
        }
        break;
    }
    case ISMO__V1__EVENT__PAYLOAD_ACK: {
        const Ismo__V1__Ack *a = e->ack;
        printf("acknowledged %zu reminder%s by ", a->n_keys, a->n_keys == 1 ? "" : "s");
        put(a->actor && *a->actor ? a->actor : "-", "");
        if (a->note && *a->note) {
            printf(": ");
            put(a->note, "");
        }
        break;
    }
    case ISMO__V1__EVENT__PAYLOAD_REVIEW: {
        const Ismo__V1__Review *v = e->review;
        printf("%s by ", ismo_review_decision_name(v->decision));
        put(v->reviewer && *v->reviewer ? v->reviewer : "-", "");
        printf(" on %s", ismo_fmt_time(v->reviewed_ms, d, sizeof d));
        if (v->note && *v->note) {
            printf(": ");
            put(v->note, "");
        }
        break;
    }
    case ISMO__V1__EVENT__PAYLOAD_OBJECTIVE_CHANGE: {
        const Ismo__V1__ObjectiveChange *o = e->objective_change;
        printf("%s version %u", o->retired ? "retired," : "changed,", o->version);
        if (o->has_new_lifecycle && o->new_lifecycle != o->old_lifecycle) {
            if (o->old_lifecycle) {
                printf(" (lifecycle %s -> %s)", ismo_lifecycle_name(o->old_lifecycle),
                       ismo_lifecycle_name(o->new_lifecycle));
            } else {
                printf(" (lifecycle %s)", ismo_lifecycle_name(o->new_lifecycle));
            }
        }
        if (o->actor && *o->actor) {
            printf(" by ");
            put(o->actor, "");
        }
        if (o->reason && *o->reason) {
            printf(": ");
            put(o->reason, "");
        }
        break;
    }
    default:
        put(e->message && *e->message ? e->message : "-", "");
        break;
    }
    printf("\n");
    fflush(stdout);
}

static int parse_kind(const cli_t *cli, const char *text, int *kind)
{
    if (!text) {
        *kind = 0;
        return 0;
    }
    if (ismo_event_kind_parse(text, kind) != 0) {
        cli_usage(cli, "--kind must be status, reminder, objective, ack or review, not '%s'", text);
        return -1;
    }
    return 0;
}

int cmd_events(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"since", required_argument, NULL, 's'},
                                         {"function", required_argument, NULL, 'f'},
                                         {"kind", required_argument, NULL, 'k'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    uint64_t since = 0, limit = 0;
    const char *function = NULL, *kind_text = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "s:f:k:l:", opts, NULL)) != -1) {
        if (c == 's') {
            if (cli_parse_u64(cli, "--since", optarg, &since) != 0) {
                return CLI_EXIT_USAGE;
            }
        } else if (c == 'l') {
            if (cli_parse_u64(cli, "--limit", optarg, &limit) != 0) {
                return CLI_EXIT_USAGE;
            }
        } else if (c == 'f') {
            function = optarg;
        } else if (c == 'k') {
            kind_text = optarg;
        } else {
            int rc = cli_global_option(cli, c, optarg);
            if (rc != CLI_EXIT_OK) {
                return rc < 0 ? CLI_EXIT_OK : rc;
            }
        }
    }
    int kind;
    if (parse_kind(cli, kind_text, &kind) != 0) {
        return CLI_EXIT_USAGE;
    }
    if (optind < argc) {
        return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    uint64_t printed = 0;
    int rc = CLI_EXIT_OK;
    for (;;) {
        Ismo__V1__Reply *reply = NULL;
        uint32_t ask = limit && limit - printed < 10000 ? (uint32_t)(limit - printed) : 0;
        ismo_err err = ismo_list_events(client, since, ask, function, kind, &reply);
        if (err != ISMO_OK || !reply->list_events) {
            rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                 "cannot list events");
            if (reply) {
                ismo__v1__reply__free_unpacked(reply, NULL);
            }
            break;
        }
        const Ismo__V1__ListEventsReply *l = reply->list_events;
        for (size_t i = 0; i < l->n_events; i++) {
            event_print(l->events[i]);
            since = l->events[i]->seq;
            printed++;
        }
        int more = l->more && l->n_events > 0 && (!limit || printed < limit);
        ismo__v1__reply__free_unpacked(reply, NULL);
        if (!more) {
            break;
        }
    }
    ismo_client_destroy(&client);
    return rc;
}

static volatile sig_atomic_t watch_stop;

static void on_signal(int sig)
{
    (void)sig;
    watch_stop = 1;
}

typedef struct watch {
    const cli_t *cli;
    ismo_client_t *client;
    const char *function;
    int kind;
    uint64_t last_seq;  /* newest seq printed (or skipped as history) */
    uint64_t listed;    /* every wanted event up to this seq has been printed */
    uint64_t count;     /* stop after this many printed; 0 = no limit */
    uint64_t printed;
} watch_t;

/* The newest seq up to which nothing wanted is missing. */
static uint64_t watch_have(const watch_t *w)
{
    return w->last_seq > w->listed ? w->last_seq : w->listed;
}

static int watch_wanted(const watch_t *w, const Ismo__V1__Event *e)
{
    if (w->kind && (int)e->kind != w->kind) {
        return 0;
    }
    if (w->function && (!e->function || strcmp(e->function, w->function) != 0)) {
        return 0;
    }
    return 1;
}

/* Print stored wanted events with watch_have() < seq < upto (upto 0 = no
 * bound), using the watch's filters. Afterwards every wanted event up to
 * upto - 1 (or up to the newest stored seq) has been printed.
 * Returns CLI_EXIT_OK or an exit code. */
static int watch_catch_up(watch_t *w, uint64_t upto)
{
    for (;;) {
        Ismo__V1__Reply *reply = NULL;
        uint64_t from = watch_have(w);
        ismo_err err = ismo_list_events(w->client, from, 0, w->function, w->kind, &reply);
        if (err != ISMO_OK || !reply->list_events) {
            int rc = cli_call_failed(w->cli, w->client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                     "cannot catch up with stored events");
            if (reply) {
                ismo__v1__reply__free_unpacked(reply, NULL);
            }
            return rc;
        }
        const Ismo__V1__ListEventsReply *l = reply->list_events;
        int more = l->more && l->n_events > 0;
        int complete = !more; /* this list reached the newest stored seq */
        for (size_t i = 0; i < l->n_events; i++) {
            const Ismo__V1__Event *e = l->events[i];
            if (upto && e->seq >= upto) {
                more = 0;
                complete = 1; /* everything below upto was listed */
                break;
            }
            if (e->seq > from) {
                event_print(e);
                w->last_seq = e->seq;
                w->printed++;
                if (w->count && w->printed >= w->count) {
                    more = 0;
                    complete = 0;
                    break;
                }
            }
        }
        if (complete) {
            uint64_t top = l->has_last_seq ? l->last_seq : 0;
            if (upto && top >= upto) {
                top = upto - 1;
            }
            if (top > w->listed) {
                w->listed = top;
            }
        }
        ismo__v1__reply__free_unpacked(reply, NULL);
        if (!more) {
            return CLI_EXIT_OK;
        }
    }
}

int cmd_watch(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"since", required_argument, NULL, 's'},
                                         {"function", required_argument, NULL, 'f'},
                                         {"kind", required_argument, NULL, 'k'},
                                         {"count", required_argument, NULL, 'n'},
                                         {"timeout-s", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    uint64_t since = 0, count = 0, timeout_s = 0;
    int has_since = 0;
    const char *function = NULL, *kind_text = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "s:f:k:n:t:", opts, NULL)) != -1) {
        if (c == 's') {
            has_since = 1;
            if (cli_parse_u64(cli, "--since", optarg, &since) != 0) {
                return CLI_EXIT_USAGE;
            }
        } else if (c == 'n') {
            if (cli_parse_u64(cli, "--count", optarg, &count) != 0) {
                return CLI_EXIT_USAGE;
            }
        } else if (c == 't') {
            if (cli_parse_u64(cli, "--timeout-s", optarg, &timeout_s) != 0) {
                return CLI_EXIT_USAGE;
            }
        } else if (c == 'f') {
            function = optarg;
        } else if (c == 'k') {
            kind_text = optarg;
        } else {
            int rc = cli_global_option(cli, c, optarg);
            if (rc != CLI_EXIT_OK) {
                return rc < 0 ? CLI_EXIT_OK : rc;
            }
        }
    }
    watch_t w = {.cli = cli, .function = function, .count = count};
    if (parse_kind(cli, kind_text, &w.kind) != 0) {
        return CLI_EXIT_USAGE;
    }
    if (optind < argc) {
        return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the poll returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int64_t deadline = timeout_s ? ismo_mono_ms() + (int64_t)timeout_s * 1000 : 0;
    ismo_sub_t *sub = ismo_sub_new(cli->pub_endpoint);
    if (!sub) {
        return cli_fail(cli, "cannot use event endpoint '%s'", cli->pub_endpoint);
    }
    /* topic prefixes "<kind>.<function>." (ismo_topic_prefix) */
    char prefix[160];
    if (w.kind) {
        ismo_sub_subscribe(sub, ismo_topic_prefix(ismo_event_kind_topic(w.kind), function, prefix,
                                                  sizeof prefix));
    } else if (function) {
        static const char *const kinds[] = {"status", "reminder", "objective", "ack", "review"};
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            ismo_sub_subscribe(sub, ismo_topic_prefix(kinds[i], function, prefix, sizeof prefix));
        }
    } else {
        ismo_sub_subscribe(sub, "");
    }
    if (w.kind || function) {
        /* the heartbeat carries the newest stored seq: an event published
         * while the subscription was down (e.g. at ismod's start) shows */
        ismo_sub_subscribe(sub, "heartbeat.");
    }
    w.client = cli_connect(cli);
    if (!w.client) {
        ismo_sub_destroy(&sub);
        return CLI_EXIT_ERROR;
    }
    int rc = CLI_EXIT_OK;
    if (has_since) {
        w.last_seq = since;
    } else {
        /* only new events: start from the newest stored seq */
        Ismo__V1__Reply *reply = NULL;
        ismo_err err = ismo_ping(w.client, &reply);
        if (err != ISMO_OK || !reply->ping) {
            rc = cli_call_failed(cli, w.client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                 "no answer from ismod");
        } else {
            w.last_seq = reply->ping->last_seq;
        }
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
    }
    if (rc == CLI_EXIT_OK) {
        /* history (and whatever happened while the subscription travelled) */
        rc = watch_catch_up(&w, 0);
    }
    while (rc == CLI_EXIT_OK && !watch_stop && !(w.count && w.printed >= w.count)) {
        int64_t wait_ms = -1;
        if (deadline) {
            wait_ms = deadline - ismo_mono_ms();
            if (wait_ms <= 0) {
                break;
            }
        }
        Ismo__V1__Event *e = NULL;
        ismo_err err = ismo_sub_recv(sub, wait_ms, &e);
        if (err == ISMO_ERR_TIMEOUT || err == ISMO_ERR_INTERRUPTED || err == ISMO_ERR_PROTOCOL) {
            continue;
        }
        if (err != ISMO_OK) {
            rc = cli_fail(cli, "event subscription failed: %s", ismo_strerror(err));
            break;
        }
        if (e->kind == ISMO__V1__EVENT_KIND__HEARTBEAT) {
            /* not an event: its seq is the newest stored one; beyond what
             * we have, something was published that we did not get */
            if (e->seq > watch_have(&w)) {
                rc = watch_catch_up(&w, 0);
            }
        } else if (e->seq > watch_have(&w) && watch_wanted(&w, e)) {
            if (e->seq > watch_have(&w) + 1) {
                /* a gap: events we may have missed (or that our filter skips) */
                rc = watch_catch_up(&w, e->seq);
            }
            if (rc == CLI_EXIT_OK && !(w.count && w.printed >= w.count)) {
                event_print(e);
                w.last_seq = e->seq;
                w.printed++;
            }
        }
        ismo__v1__event__free_unpacked(e, NULL);
    }
    if (rc == CLI_EXIT_OK && w.count && w.printed < w.count && !watch_stop) {
        rc = cli_fail(cli, "%llu of %llu events received before the %llu s time-out",
                      (unsigned long long)w.printed, (unsigned long long)w.count,
                      (unsigned long long)timeout_s);
    }
    ismo_client_destroy(&w.client);
    ismo_sub_destroy(&sub);
    return rc;
}
