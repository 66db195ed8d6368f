/* cmd_status: "ismo ping" (is ismod there?) and "ismo status" (the computed
 * status of objectives, as a table or as JSON for scripts). Status is
 * computed by ismod from samples; this file only joins it with the
 * objectives (title, owner, target) for display. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "tree.h"

int cmd_ping(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int rc = cli_global_option(cli, c, optarg);
        if (rc != CLI_EXIT_OK) {
            return rc < 0 ? CLI_EXIT_OK : rc;
        }
    }
    if (optind < argc) {
        return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    Ismo__V1__Reply *reply = NULL;
    int64_t t0 = ismo_mono_ms();
    ismo_err err = ismo_ping(client, &reply);
    int rc = CLI_EXIT_OK;
    if (err != ISMO_OK || !reply->ping) {
        rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                             "no answer from ismod");
    } else {
        char t[40];
        const Ismo__V1__PingReply *p = reply->ping;
        printf("ismod %s at %s: protocol %u, server time %s, last event seq %llu, %lld ms\n",
               p->server_version ? p->server_version : "?", cli->endpoint, p->protocol,
               ismo_fmt_time(p->server_time_ms, t, sizeof t),
               (unsigned long long)p->last_seq, (long long)(ismo_mono_ms() - t0));
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    ismo_client_destroy(&client);
    return rc;
}

static const Ismo__V1__Objective *find_objective(const Ismo__V1__ListObjectivesReply *l,
                                                 const char *id)
{
    /* the listing is in id order: binary search, then a linear fallback */
    size_t lo = 0, hi = l ? l->n_objectives : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(l->objectives[mid]->id, id);
        if (c == 0) {
            return l->objectives[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (size_t i = 0; l && i < l->n_objectives; i++) {
        if (strcmp(l->objectives[i]->id, id) == 0) {
            return l->objectives[i];
        }
    }
    return NULL;
}

static json_t *status_json(const Ismo__V1__Status *s, const Ismo__V1__Objective *o, int depth)
{
    json_t *j = json_object();
    json_object_set_new(j, "objective_id", json_string(s->objective_id ? s->objective_id : ""));
    json_object_set_new(j, "health", json_string(ismo_health_name(s->health)));
    json_object_set_new(j, "value", s->has_value ? json_real(s->value) : json_null());
    json_object_set_new(j, "progress", s->has_progress ? json_real(s->progress) : json_null());
    json_object_set_new(j, "expected_progress",
                        s->has_expected_progress ? json_real(s->expected_progress) : json_null());
    json_object_set_new(j, "evaluated_ms", json_integer(s->evaluated_ms));
    json_object_set_new(j, "last_sample_ms", json_integer(s->last_sample_ms));
    json_object_set_new(j, "window_samples", json_integer((json_int_t)s->window_samples));
    json_object_set_new(j, "total_samples", json_integer((json_int_t)s->total_samples));
    json_object_set_new(j, "explanation", json_string(s->explanation ? s->explanation : ""));
    json_object_set_new(j, "next_deadline_ms", json_integer(s->next_deadline_ms));
    json_object_set_new(j, "reminders_outstanding", json_integer(s->reminders_outstanding));
    json_object_set_new(j, "changed_ms", json_integer(s->changed_ms));
    json_object_set_new(j, "lifecycle", json_string(ismo_lifecycle_name(
                                            s->has_lifecycle ? (int)s->lifecycle
                                                             : o ? (int)o->lifecycle : 0)));
    json_object_set_new(j, "rollup_health",
                        json_string(ismo_health_name(s->has_rollup_health ? (int)s->rollup_health
                                                                          : (int)s->health)));
    json_object_set_new(j, "children", json_integer(s->children));
    json_object_set_new(j, "period_label", json_string(s->period_label ? s->period_label : ""));
    json_object_set_new(j, "periods_missed", json_integer(s->periods_missed));
    json_object_set_new(j, "as_of_ms", json_integer(s->as_of_ms));
    json_object_set_new(j, "objective_version", json_integer(s->objective_version));
    json_object_set_new(j, "title", json_string(o && o->title ? o->title : ""));
    json_object_set_new(j, "function", json_string(o && o->function ? o->function : ""));
    json_object_set_new(j, "owner", json_string(o && o->owner ? o->owner : ""));
    json_object_set_new(j, "parent_id", json_string(o && o->parent_id ? o->parent_id : ""));
    json_object_set_new(j, "depth", json_integer(depth));
    json_object_set_new(j, "target", o && o->has_target ? json_real(o->target) : json_null());
    json_object_set_new(j, "unit",
                        json_string(o && o->metric && o->metric->unit ? o->metric->unit : ""));
    json_object_set_new(j, "direction",
                        json_string(ismo_direction_name(o && o->metric ? o->metric->direction : 0)));
    json_object_set_new(j, "target_mode", json_string(ismo_target_mode_name(o ? o->target_mode : 0)));
    json_object_set_new(j, "deadline_ms", json_integer(o ? o->deadline_ms : 0));
    return j;
}

/* "  " per tree level before the id (at most 12 levels shown). */
static void tree_cell(char *buf, size_t len, int depth, const char *id)
{
    int d = depth > 12 ? 12 : depth;
    snprintf(buf, len, "%*s%s", 2 * d, "", id ? id : "?");
}

int cmd_status(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"function", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"as-of", required_argument, NULL, 'A'},
                                         {NULL, 0, NULL, 0}};
    const char *function = NULL, *format = "table";
    int64_t as_of_ms = 0;
    const char *as_of_text = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:o:", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            function = optarg;
            break;
        case 'o':
            format = optarg;
            break;
        case 'A':
            as_of_text = optarg;
            if (cli_parse_instant(cli, "--as-of", optarg, &as_of_ms) != 0) {
                return CLI_EXIT_USAGE;
            }
            break;
            CLI_OPTION_DEFAULT(cli, c);
        }
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
        return cli_usage(cli, "-o must be table or json, not '%s'", format);
    }
    /* objective ids as arguments narrow the status to those objectives */
    const char *const *ids = (const char *const *)(argv + optind);
    size_t n_ids = (size_t)(argc - optind);
    for (size_t i = 0; i < n_ids; i++) {
        if (cli_check_id(cli, ids[i]) != CLI_EXIT_OK) {
            return CLI_EXIT_USAGE;
        }
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    int rc0;
    if (as_of_ms && (rc0 = cli_check_as_of(cli, client, "--as-of", as_of_text, &as_of_ms)) != 0) {
        ismo_client_destroy(&client);
        return rc0;
    }
    Ismo__V1__Reply *sreply = NULL, *oreply = NULL;
    ismo_err err = ismo_get_status_as_of(client, n_ids ? ids : NULL, n_ids, function, as_of_ms,
                                         &sreply);
    if (err != ISMO_OK || !sreply->get_status) {
        int rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                 "cannot get status");
        if (sreply) {
            ismo__v1__reply__free_unpacked(sreply, NULL);
        }
        ismo_client_destroy(&client);
        return rc;
    }
    err = ismo_list_objectives(client, function, 1, &oreply);
    if (err != ISMO_OK || !oreply->list_objectives) {
        int rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                 "cannot list objectives");
        ismo__v1__reply__free_unpacked(sreply, NULL);
        if (oreply) {
            ismo__v1__reply__free_unpacked(oreply, NULL);
        }
        ismo_client_destroy(&client);
        return rc;
    }
    const Ismo__V1__GetStatusReply *st = sreply->get_status;
    const Ismo__V1__ListObjectivesReply *ol = oreply->list_objectives;
    size_t n = st->n_statuses;
    /* the objectives behind the statuses, and their tree order */
    const Ismo__V1__Objective **objs = calloc(n + 1, sizeof *objs);
    const char **tids = calloc(n + 1, sizeof *tids);
    const char **tpar = calloc(n + 1, sizeof *tpar);
    size_t *order = calloc(n + 1, sizeof *order);
    int *depth = calloc(n + 1, sizeof *depth);
    if (!objs || !tids || !tpar || !order || !depth) {
        abort();
    }
    /* --as-of: each objective as the version in force then (target, deadline,
     * unit, function and parent of that version, not today's) */
    Ismo__V1__Reply **vreplies = calloc(n + 1, sizeof *vreplies);
    if (!vreplies) {
        abort();
    }
    int rc = CLI_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        const Ismo__V1__Status *s = st->statuses[i];
        objs[i] = find_objective(ol, s->objective_id);
        if (as_of_ms && objs[i] && s->objective_version &&
            s->objective_version != objs[i]->version) {
            ismo_err verr = ismo_get_objective(client, s->objective_id, s->objective_version,
                                               &vreplies[i]);
            if (verr != ISMO_OK || !vreplies[i]->get_objective ||
                !vreplies[i]->get_objective->objective) {
                char what[160];
                snprintf(what, sizeof what, "cannot get version %u of %s", s->objective_version,
                         s->objective_id);
                rc = cli_call_failed(cli, client, verr == ISMO_OK ? ISMO_ERR_PROTOCOL : verr,
                                     what);
                break;
            }
            objs[i] = vreplies[i]->get_objective->objective;
        }
        tids[i] = s->objective_id ? s->objective_id : "";
        tpar[i] = objs[i] ? objs[i]->parent_id : NULL;
    }
    if (rc != CLI_EXIT_OK) {
        n = 0; /* nothing printed; the replies are freed below */
    }
    cli_tree_order(tids, tpar, n, order, depth);
    if (rc != CLI_EXIT_OK) {
        /* the error is printed */
    } else if (strcmp(format, "json") == 0) {
        json_t *arr = json_array();
        for (size_t k = 0; k < n; k++) {
            size_t i = order[k];
            json_array_append_new(arr, status_json(st->statuses[i], objs[i], depth[i]));
        }
        char *text = json_dumps(arr, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        printf("%s\n", text ? text : "[]");
        free(text);
        json_decref(arr);
    } else {
        static const char *const headers[] = {"ID",       "FUNCTION", "LIFECYCLE", "HEALTH",
                                              "ROLLUP",   "VALUE",    "TARGET",    "PROGRESS",
                                              "EXPECTED", "DEADLINE", "SAMPLES"};
        ismo_table_t *t = ismo_table_new(11, headers);
        for (size_t k = 0; k < n; k++) {
            size_t i = order[k];
            const Ismo__V1__Status *s = st->statuses[i];
            const Ismo__V1__Objective *o = objs[i];
            char idc[160], value[64], target[80], prog[16], exp[16], deadline[40], samples[32];
            char life[32], rollup[32];
            tree_cell(idc, sizeof idc, depth[i], s->objective_id);
            ismo_fmt_metric(o, s->value, value, sizeof value);
            ismo_fmt_target(o, target, sizeof target);
            ismo_fmt_percent(s->progress, prog, sizeof prog);
            ismo_fmt_percent(s->expected_progress, exp, sizeof exp);
            ismo_fmt_deadline(o ? o->deadline_ms : 0, deadline, sizeof deadline);
            snprintf(samples, sizeof samples, "%llu", (unsigned long long)s->total_samples);
            snprintf(life, sizeof life, "%s",
                     ismo_fmt_lifecycle(s->has_lifecycle ? (int)s->lifecycle
                                                         : o ? (int)o->lifecycle : 0));
            snprintf(rollup, sizeof rollup, "%s",
                     ismo_fmt_health(s->has_rollup_health ? (int)s->rollup_health : (int)s->health));
            const char *cells[] = {idc,
                                   o ? o->function : NULL,
                                   life,
                                   ismo_fmt_health(s->health),
                                   rollup,
                                   s->has_value ? value : NULL,
                                   target,
                                   s->has_progress ? prog : NULL,
                                   s->has_expected_progress ? exp : NULL,
                                   deadline,
                                   samples};
            ismo_table_add(t, cells);
        }
        if (as_of_ms) {
            char when[48];
            printf("as of %s\n", ismo_fmt_time(as_of_ms, when, sizeof when));
        }
        if (ismo_table_rows(t) == 0) {
            printf("no objectives%s%s\n", function ? " in function " : "", function ? function : "");
        } else {
            ismo_table_print(t, stdout);
        }
        ismo_table_destroy(&t);
    }
    for (size_t i = 0; i < st->n_statuses; i++) {
        if (vreplies[i]) {
            ismo__v1__reply__free_unpacked(vreplies[i], NULL);
        }
    }
    free(vreplies);
    free(objs);
    free(tids);
    free(tpar);
    free(order);
    free(depth);
    ismo__v1__reply__free_unpacked(sreply, NULL);
    ismo__v1__reply__free_unpacked(oreply, NULL);
    ismo_client_destroy(&client);
    return rc;
}

int cmd_backup(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int rc = cli_global_option(cli, c, optarg);
        if (rc != CLI_EXIT_OK) {
            return rc < 0 ? CLI_EXIT_OK : rc;
        }
    }
    if (optind + 1 != argc) {
        return cli_usage(cli, "usage: ismo backup DIR (a new directory on ismod's host)");
    }
    const char *dir = argv[optind];
    char abs[4096];
    if (dir[0] != '/') { /* relative: to the current directory (same host only) */
        char cwd[3000];
        if (!getcwd(cwd, sizeof cwd)) {
            return cli_fail(cli, "cannot resolve %s", dir);
        }
        snprintf(abs, sizeof abs, "%s/%s", cwd, dir);
        dir = abs;
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    /* a large store takes a while to copy */
    ismo_client_set_timeout_ms(client, cli->timeout_ms > 600000 ? cli->timeout_ms : 600000);
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_backup(client, dir, &reply);
    int rc = CLI_EXIT_OK;
    if (err != ISMO_OK || !reply->backup) {
        rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err, "backup failed");
    } else {
        printf("backup: %s/data.mdb, %llu bytes, events up to seq %llu, %lld ms\n"
               "restore: stop ismod, then start it with --data-dir %s\n",
               dir, (unsigned long long)reply->backup->bytes,
               (unsigned long long)reply->backup->last_seq, (long long)reply->backup->duration_ms,
               dir);
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    ismo_client_destroy(&client);
    return rc;
}

/* ismo samples ID [--since TIME] [--limit N] [-o table|json]: the stored
 * samples of one objective, oldest first (pages through ListSamples). */
int cmd_samples(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"since", required_argument, NULL, 's'},
                                         {"limit", required_argument, NULL, 'n'},
                                         {"output", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    int64_t since = 0;
    uint64_t limit = 1000000;
    const char *output = "table";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (c == 's') {
            if (cli_parse_time(cli, optarg, 0, &since) != 0) {
                return cli_bad_time(cli, 1, "--since", optarg, "2026-06-30, 2026-06-30T14:00Z, @ms");
            }
        } else if (c == 'n') {
            if (cli_parse_u64(cli, "--limit", optarg, &limit) != 0) {
                return CLI_EXIT_USAGE;
            }
        } else if (c == 'o') {
            output = optarg;
        } else {
            int rc = cli_global_option(cli, c, optarg);
            if (rc != CLI_EXIT_OK) {
                return rc < 0 ? CLI_EXIT_OK : rc;
            }
        }
    }
    if (strcmp(output, "table") != 0 && strcmp(output, "json") != 0) {
        return cli_usage(cli, "-o: 'table' or 'json'");
    }
    if (optind + 1 != argc) {
        return cli_usage(cli, "usage: ismo samples ID [--since TIME] [--limit N] [-o table|json]");
    }
    const char *id = argv[optind];
    if (cli_check_id(cli, id) != CLI_EXIT_OK) {
        return CLI_EXIT_USAGE;
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    json_t *arr = strcmp(output, "json") == 0 ? json_array() : NULL;
    if (!arr) {
        printf("%-29s  %-16s  %-24s  %s\n", "EFFECTIVE", "VALUE", "SOURCE", "SAMPLE ID");
    }
    uint64_t shown = 0;
    int rc = CLI_EXIT_OK;
    uint32_t skip = 0; /* samples at `since` already shown */
    for (int page = 0; page < 100000 && shown < limit; page++) {
        Ismo__V1__Reply *reply = NULL;
        ismo_err err = ismo_list_samples_page(client, id, since, skip, 0, &reply);
        if (err != ISMO_OK || !reply->list_samples) {
            rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                 "cannot list samples");
            if (reply) {
                ismo__v1__reply__free_unpacked(reply, NULL);
            }
            break;
        }
        const Ismo__V1__ListSamplesReply *l = reply->list_samples;
        for (size_t i = 0; i < l->n_samples && shown < limit; i++) {
            const Ismo__V1__Sample *s = l->samples[i];
            char t[40];
            if (arr) {
                json_t *j = json_object();
                json_object_set_new(j, "effective_ms", json_integer(s->effective_ms));
                json_object_set_new(j, "value", json_real(s->value));
                json_object_set_new(j, "total", s->has_total ? json_real(s->total) : json_null());
                json_object_set_new(j, "source", json_string(s->source ? s->source : ""));
                json_object_set_new(j, "sample_id", json_string(s->sample_id ? s->sample_id : ""));
                json_object_set_new(j, "received_ms", json_integer(s->received_ms));
                json_array_append_new(arr, j);
            } else {
                char v[64];
                if (s->has_total) { /* a ratio metric's sample: value of total */
                    snprintf(v, sizeof v, "%g of %g", s->value, s->total);
                } else {
                    snprintf(v, sizeof v, "%g", s->value == 0 ? 0.0 : s->value); /* -0 as 0 */
                }
                char *src = ismo_text_dup(s->source), *sid = ismo_text_dup(s->sample_id);
                printf("%-29s  %-16s  %-24s  %s\n", ismo_fmt_time(s->effective_ms, t, sizeof t), v,
                       src, sid);
                free(src);
                free(sid);
            }
            shown++;
            if (s->effective_ms == since) {
                skip++;
            } else {
                since = s->effective_ms;
                skip = 1;
            }
        }
        int more = l->more && l->n_samples > 0;
        ismo__v1__reply__free_unpacked(reply, NULL);
        if (!more) {
            break;
        }
    }
    if (arr) {
        if (rc == CLI_EXIT_OK) {
            json_dumpf(arr, stdout, JSON_INDENT(2));
            printf("\n");
        }
        json_decref(arr);
    }
    ismo_client_destroy(&client);
    return rc;
}
