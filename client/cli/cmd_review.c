/* cmd_review: "ismo ack" (acknowledge reminders: ISO/IEC 27001:2022 6.2 e
 * "communicated", the owner says the reminder reached them) and "ismo review"
 * (management-review records: 9.3 decisions on each objective, 6.2 "updated
 * as appropriate"). Each subcommand is one request; the server records who
 * (Request.actor), the objective version, health and value. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

#define ACK_MAX_KEYS 256

int cmd_ack(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"key", required_argument, NULL, 'k'},
                                         {"note", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    const char *keys[ACK_MAX_KEYS];
    size_t n_keys = 0;
    const char *note = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "k:n:", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (n_keys == ACK_MAX_KEYS) {
                return cli_usage(cli, "at most %d --key options", ACK_MAX_KEYS);
            }
            if (!*optarg) {
                return cli_usage(cli, "--key needs a reminder key (see 'ismo events --kind reminder')");
            }
            keys[n_keys++] = optarg;
            break;
        case 'n':
            note = optarg;
            break;
            CLI_OPTION_DEFAULT(cli, c);
        }
    }
    if (argc - optind != 1) {
        return cli_usage(cli, "usage: ismo ack ID [--key K ...] [--note TEXT]");
    }
    const char *id = argv[optind];
    if (cli_check_id(cli, id) != CLI_EXIT_OK) {
        return CLI_EXIT_USAGE;
    }
    if (note && strlen(note) > ISMO_MAX_TEXT_BYTES) {
        return cli_fail(cli, "--note is longer than %d bytes", ISMO_MAX_TEXT_BYTES);
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_ack(client, id, n_keys ? keys : NULL, n_keys, note, &reply);
    int rc = CLI_EXIT_OK;
    if (err != ISMO_OK || !reply->ack) {
        char what[128];
        snprintf(what, sizeof what, "cannot acknowledge reminders of %s", id);
        rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err, what);
    } else if (reply->ack->n_keys == 0) {
        printf("nothing to acknowledge: no outstanding reminder of %s%s\n", id,
               n_keys ? " with those keys" : "");
    } else {
        printf("acknowledged %zu reminder%s of %s (event #%llu):\n", reply->ack->n_keys,
               reply->ack->n_keys == 1 ? "" : "s", id, (unsigned long long)reply->ack->seq);
        for (size_t i = 0; i < reply->ack->n_keys; i++) {
            printf("  %s\n", reply->ack->keys[i]);
        }
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    ismo_client_destroy(&client);
    return rc;
}

static void review_print_one(const Ismo__V1__Review *r)
{
    char when[48], value[64];
    printf("review #%llu of %s recorded: %s on %s by %s (version %u, health %s, value %s)\n",
           (unsigned long long)r->seq, r->objective_id ? r->objective_id : "?",
           ismo_review_decision_name(r->decision), ismo_fmt_time(r->reviewed_ms, when, sizeof when),
           r->reviewer && *r->reviewer ? r->reviewer : "-", r->objective_version,
           ismo_fmt_health(r->health),
           r->has_value ? ismo_fmt_value(r->value, NULL, value, sizeof value) : "no data");
}

static int review_add(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"decision", required_argument, NULL, 'd'},
                                         {"note", required_argument, NULL, 'n'},
                                         {"date", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    const char *note = NULL;
    int decision = 0;
    int64_t reviewed_ms = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "d:n:t:", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (ismo_review_decision_parse(optarg, &decision) != 0 || decision == 0) {
                return cli_usage(cli, "--decision must be continue, adjust or close, not '%s'", optarg);
            }
            break;
        case 'n':
            note = optarg;
            break;
        case 't':
            /* a date is the start of that day (when the meeting took place) */
            if (cli_parse_time(cli, optarg, 0, &reviewed_ms) != 0 || reviewed_ms <= 0) {
                return cli_bad_time(cli, 1, "--date", optarg, "2026-06-30, 2026-06-30T14:00Z, @ms");
            }
            break;
            CLI_OPTION_DEFAULT(cli, c);
        }
    }
    if (argc - optind != 1) {
        return cli_usage(cli, "usage: ismo review add ID --decision continue|adjust|close --note TEXT "
                              "[--date DATE]");
    }
    if (!decision) {
        return cli_usage(cli, "needs --decision continue|adjust|close");
    }
    if (!note || !*note) {
        return cli_usage(cli, "needs --note TEXT (what the review decided, and why)");
    }
    if (strlen(note) > ISMO_MAX_TEXT_BYTES) {
        return cli_fail(cli, "--note is longer than %d bytes", ISMO_MAX_TEXT_BYTES);
    }
    const char *id = argv[optind];
    if (cli_check_id(cli, id) != CLI_EXIT_OK) {
        return CLI_EXIT_USAGE;
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    Ismo__V1__Review r = ISMO__V1__REVIEW__INIT;
    r.objective_id = (char *)id;
    r.has_decision = 1;
    r.decision = (Ismo__V1__ReviewDecision)decision;
    r.note = (char *)note;
    r.has_reviewed_ms = reviewed_ms != 0;
    r.reviewed_ms = reviewed_ms;
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_add_review(client, &r, &reply);
    int rc = CLI_EXIT_OK;
    if (err != ISMO_OK || !reply->add_review || !reply->add_review->review) {
        char what[128];
        snprintf(what, sizeof what, "cannot record the review of %s", id);
        rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err, what);
    } else {
        review_print_one(reply->add_review->review);
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    ismo_client_destroy(&client);
    return rc;
}

static json_t *review_json(const Ismo__V1__Review *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "seq", json_integer((json_int_t)r->seq));
    json_object_set_new(j, "objective_id", json_string(r->objective_id ? r->objective_id : ""));
    json_object_set_new(j, "decision", json_string(ismo_review_decision_name(r->decision)));
    json_object_set_new(j, "note", json_string(r->note ? r->note : ""));
    json_object_set_new(j, "reviewed_ms", json_integer(r->reviewed_ms));
    json_object_set_new(j, "reviewer", json_string(r->reviewer ? r->reviewer : ""));
    json_object_set_new(j, "objective_version", json_integer(r->objective_version));
    json_object_set_new(j, "health", json_string(ismo_health_name(r->health)));
    json_object_set_new(j, "value", r->has_value ? json_real(r->value) : json_null());
    json_object_set_new(j, "recorded_ms", json_integer(r->recorded_ms));
    return j;
}

static int review_list(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"since", required_argument, NULL, 's'},
                                         {"until", required_argument, NULL, 'u'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    int64_t since = 0, until = 0;
    const char *format = "table";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cli_parse_time(cli, optarg, 0, &since) != 0) {
                return cli_bad_time(cli, 1, "--since", optarg, "2026-06-30, 2026-06-30T14:00Z, @ms");
            }
            break;
        case 'u':
            if (cli_parse_time(cli, optarg, 1, &until) != 0) {
                return cli_bad_time(cli, 1, "--until", optarg, "2026-06-30, 2026-06-30T14:00Z, @ms");
            }
            break;
        case 'o':
            format = optarg;
            break;
        case 'j':
            format = "json";
            break;
            CLI_OPTION_DEFAULT(cli, c);
        }
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
        return cli_usage(cli, "-o must be table or json, not '%s'", format);
    }
    if (argc - optind > 1) {
        return cli_usage(cli, "usage: ismo review list [ID] [--since DATE] [--until DATE] [-o table|json]");
    }
    const char *id = argc - optind == 1 ? argv[optind] : NULL;
    if (id && cli_check_id(cli, id) != CLI_EXIT_OK) {
        return CLI_EXIT_USAGE;
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_list_reviews(client, id, since, until, &reply);
    int rc = CLI_EXIT_OK;
    if (err != ISMO_OK || !reply->list_reviews) {
        rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                             "cannot list reviews");
    } else if (strcmp(format, "json") == 0) {
        if (reply->list_reviews->more) {
            fprintf(stderr, "ismo: review list: the list is cut: more records at one instant than "
                            "the server lists at once\n");
        }
        json_t *arr = json_array();
        for (size_t i = 0; i < reply->list_reviews->n_reviews; i++) {
            json_array_append_new(arr, review_json(reply->list_reviews->reviews[i]));
        }
        char *text = json_dumps(arr, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        printf("%s\n", text ? text : "[]");
        free(text);
        json_decref(arr);
    } else {
        static const char *const headers[] = {"REVIEWED", "OBJECTIVE", "DECISION", "REVIEWER",
                                              "VERSION",  "HEALTH",    "VALUE",    "NOTE"};
        ismo_table_t *t = ismo_table_new(8, headers);
        for (size_t i = 0; i < reply->list_reviews->n_reviews; i++) {
            const Ismo__V1__Review *r = reply->list_reviews->reviews[i];
            char when[48], version[16], value[64], note[200];
            ismo_fmt_time(r->reviewed_ms, when, sizeof when);
            snprintf(version, sizeof version, "%u", r->objective_version);
            ismo_fmt_value(r->value, NULL, value, sizeof value);
            /* one line: newlines become spaces, long notes are cut */
            snprintf(note, sizeof note, "%s", r->note ? r->note : "");
            for (char *p = note; *p; p++) {
                if (*p == '\n' || *p == '\r' || *p == '\t') {
                    *p = ' ';
                }
            }
            if (r->note && strlen(r->note) >= sizeof note) {
                /* cut at a UTF-8 boundary */
                size_t k = sizeof note - 4;
                while (k > 0 && ((unsigned char)note[k] & 0xc0) == 0x80) {
                    k--;
                }
                snprintf(note + k, sizeof note - k, "...");
            }
            const char *cells[] = {when,
                                   r->objective_id,
                                   ismo_review_decision_name(r->decision),
                                   r->reviewer,
                                   version,
                                   ismo_fmt_health(r->health),
                                   r->has_value ? value : NULL,
                                   note};
            ismo_table_add(t, cells);
        }
        if (ismo_table_rows(t) == 0) {
            printf("no review records%s%s\n", id ? " of " : "", id ? id : "");
        } else {
            ismo_table_print(t, stdout);
        }
        if (reply->list_reviews->more) {
            fprintf(stderr, "ismo: review list: the list is cut: more records at one instant than "
                            "the server lists at once\n");
        }
        ismo_table_destroy(&t);
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    ismo_client_destroy(&client);
    return rc;
}

int cmd_review(cli_t *cli, int argc, char **argv)
{
    if (argc < 2) {
        return cli_usage(cli, "needs a subcommand: review add ID ... | review list [ID]");
    }
    if (strcmp(argv[1], "add") == 0) {
        return review_add(cli, argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "list") == 0) {
        return review_list(cli, argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_print_usage(stdout);
        return CLI_EXIT_OK;
    }
    return cli_usage(cli, "unknown subcommand '%s' (add or list)", argv[1]);
}
