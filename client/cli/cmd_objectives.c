/* cmd_objectives: the ismo commands about single objectives and their
 * samples: list, show, push, retire. Each makes one or two requests and
 * prints the reply; nothing is cached. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "tree.h"


int cmd_list(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"function", required_argument, NULL, 'f'},
                                         {"all", no_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    const char *function = NULL;
    int all = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:a", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            function = optarg;
            break;
        case 'a':
            all = 1;
            break;
            CLI_OPTION_DEFAULT(cli, c);
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
    ismo_err err = ismo_list_objectives(client, function, all, &reply);
    if (err != ISMO_OK) {
        int rc = cli_call_failed(cli, client, err, "cannot list objectives");
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        ismo_client_destroy(&client);
        return rc;
    }
    static const char *const headers[] = {"ID",    "LEVEL",    "FUNCTION", "OWNER",
                                          "LIFECYCLE", "DEADLINE", "VERSION"};
    ismo_table_t *t = ismo_table_new(7, headers);
    Ismo__V1__ListObjectivesReply *l = reply->list_objectives;
    size_t n = l ? l->n_objectives : 0;
    const char **tids = calloc(n + 1, sizeof *tids);
    const char **tpar = calloc(n + 1, sizeof *tpar);
    size_t *order = calloc(n + 1, sizeof *order);
    int *depth = calloc(n + 1, sizeof *depth);
    if (!tids || !tpar || !order || !depth) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        tids[i] = l->objectives[i]->id ? l->objectives[i]->id : "";
        tpar[i] = l->objectives[i]->parent_id;
    }
    cli_tree_order(tids, tpar, n, order, depth);
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        Ismo__V1__Objective *o = l->objectives[i];
        char idc[160], deadline[40], version[32], life[32];
        snprintf(idc, sizeof idc, "%*s%s", 2 * (depth[i] > 12 ? 12 : depth[i]), "", tids[i]);
        ismo_fmt_deadline(o->deadline_ms, deadline, sizeof deadline);
        snprintf(version, sizeof version, "%u%s", o->version, o->retired ? " (retired)" : "");
        snprintf(life, sizeof life, "%s", ismo_fmt_lifecycle(o->lifecycle));
        const char *cells[] = {idc,  ismo_level_name(o->level), o->function, o->owner,
                               life, deadline,                  version};
        ismo_table_add(t, cells);
    }
    free(tids);
    free(tpar);
    free(order);
    free(depth);
    if (ismo_table_rows(t) == 0) {
        printf("no objectives%s%s\n", function ? " in function " : "", function ? function : "");
    } else {
        ismo_table_print(t, stdout);
    }
    ismo_table_destroy(&t);
    ismo__v1__reply__free_unpacked(reply, NULL);
    ismo_client_destroy(&client);
    return CLI_EXIT_OK;
}

static void print_strv(const char *label, char **v, size_t n)
{
    printf("%-18s ", label);
    if (n == 0) {
        printf("-");
    }
    for (size_t i = 0; i < n; i++) {
        printf("%s%s", i ? ", " : "", v[i]);
    }
    printf("\n");
}

static void print_time(const char *label, protobuf_c_boolean has, int64_t ms, int deadline)
{
    char buf[40];
    if (!has || ms == 0) {
        printf("%-18s -\n", label);
    } else if (deadline) {
        printf("%-18s %s\n", label, ismo_fmt_deadline(ms, buf, sizeof buf));
    } else {
        printf("%-18s %s\n", label, ismo_fmt_time(ms, buf, sizeof buf));
    }
}

static void print_duration(const char *label, protobuf_c_boolean has, int64_t ms)
{
    char buf[40];
    printf("%-18s %s\n", label, has ? ismo_duration_format_ms(ms, buf, sizeof buf) : "-");
}

static void print_objective(const Ismo__V1__Objective *o)
{
    char buf[128];
    const Ismo__V1__Metric *m = o->metric;
    printf("%-18s %s\n", "id:", o->id);
    printf("%-18s ", "title:");
    ismo_put_text(stdout, o->title && *o->title ? o->title : "-");
    printf("\n");
    if (o->description && *o->description) {
        printf("%-18s %s\n", "description:", o->description);
    }
    printf("%-18s %s\n", "level:", ismo_level_name(o->level));
    printf("%-18s %s\n", "function:", o->function ? o->function : "-");
    printf("%-18s ", "owner:");
    ismo_put_text(stdout, o->owner && *o->owner ? o->owner : "-");
    printf("\n");
    printf("%-18s %u%s\n", "version:", o->version, o->retired ? " (retired)" : "");
    printf("%-18s %s\n", "lifecycle:", ismo_fmt_lifecycle(o->lifecycle));
    if (o->n_smart_gaps) {
        print_strv("smart gaps:", o->smart_gaps, o->n_smart_gaps);
    }
    if (o->parent_id && *o->parent_id) {
        printf("%-18s %s\n", "parent:", o->parent_id);
    }
    print_time("updated:", o->has_updated_ms, o->updated_ms, 0);
    printf("%-18s %s\n", "updated by:", o->updated_by && *o->updated_by ? o->updated_by : "-");
    printf("%-18s %s\n", "change reason:",
           o->change_reason && *o->change_reason ? o->change_reason : "-");
    if (m) {
        printf("%-18s %s\n", "metric:", m->name ? m->name : "-");
        printf("%-18s %s\n", "  unit:", m->unit && *m->unit ? m->unit : "-");
        printf("%-18s %s\n", "  direction:", ismo_direction_name(m->direction));
        printf("%-18s %s\n", "  aggregation:", ismo_aggregation_name(m->aggregation));
        printf("%-18s %s\n", "  window:",
               m->window_ms ? ismo_duration_format_ms(m->window_ms, buf, sizeof buf)
                            : "all samples");
        printf("%-18s %s\n", "  frequency:",
               m->frequency_ms ? ismo_duration_format_ms(m->frequency_ms, buf, sizeof buf)
                               : "not set (never stale)");
    } else {
        printf("%-18s -\n", "metric:");
    }
    printf("%-18s %s\n", "baseline:",
           o->has_baseline ? ismo_fmt_metric(o, o->baseline, buf, sizeof buf) : "-");
    print_time("baseline at:", o->has_baseline_at_ms, o->baseline_at_ms, 0);
    printf("%-18s %s\n", "target:", ismo_fmt_target(o, buf, sizeof buf));
    printf("%-18s %s\n", "target mode:", ismo_target_mode_name(o->target_mode));
    print_time("start:", o->has_start_ms, o->start_ms, 0);
    print_time("deadline:", o->has_deadline_ms, o->deadline_ms, 1);
    print_duration("review cadence:", o->has_review_cadence_ms, o->review_cadence_ms);
    if (o->n_period_targets) {
        printf("%-18s", "period targets:");
        for (size_t i = 0; i < o->n_period_targets; i++) {
            const Ismo__V1__PeriodTarget *p = o->period_targets[i];
            printf("%s%s %s", i ? ", " : " ", p->label ? p->label : "?",
                   ismo_fmt_metric(o, p->target, buf, sizeof buf));
        }
        printf("\n");
    }
    if (m && m->period) {
        printf("%-18s every %s\n", "  period:", ismo_period_name(m->period));
    }
    if (o->not_measurable) {
        printf("%-18s yes: %s\n", "not measurable:",
               o->not_measurable_reason && *o->not_measurable_reason ? o->not_measurable_reason
                                                                      : "(no reason given)");
    }
    if (o->n_review_dates_ms) {
        printf("%-18s", "review dates:");
        for (size_t i = 0; i < o->n_review_dates_ms; i++) {
            printf("%s%s", i ? ", " : " ", ismo_fmt_day(o->review_dates_ms[i], buf, sizeof buf));
        }
        printf("\n");
    }
    if (o->n_reminder_offsets_ms) {
        printf("%-18s", "reminders:");
        for (size_t i = 0; i < o->n_reminder_offsets_ms; i++) {
            printf("%s%s", i ? ", " : " ",
                   ismo_duration_format_ms(o->reminder_offsets_ms[i], buf, sizeof buf));
        }
        printf(" before the deadline\n");
    }
    if (o->has_overdue_repeat_ms && o->overdue_repeat_ms != 0) {
        printf("%-18s %s\n", "overdue repeat:",
               o->overdue_repeat_ms < 0 ? "never"
                                        : ismo_duration_format_ms(o->overdue_repeat_ms, buf, sizeof buf));
    }
    if (o->escalate_after) {
        printf("%-18s after %u unacknowledged reminders, to %s\n", "escalation:", o->escalate_after,
               o->escalate_to && *o->escalate_to ? o->escalate_to : "-");
    }
    print_strv("policy refs:", o->policy_refs, o->n_policy_refs);
    print_strv("risk refs:", o->risk_refs, o->n_risk_refs);
    print_strv("controls:", o->control_refs, o->n_control_refs);
    printf("%-18s %s\n", "evaluation method:",
           o->evaluation_method && *o->evaluation_method ? o->evaluation_method : "-");
    printf("\nplan (%zu action%s):\n", o->n_actions, o->n_actions == 1 ? "" : "s");
    for (size_t i = 0; i < o->n_actions; i++) {
        const Ismo__V1__Action *a = o->actions[i];
        printf("  %zu. %s [%s]\n", i + 1, a->what ? a->what : "(no description)",
               ismo_action_status_name(a->status));
        if (a->resources && *a->resources) {
            printf("     resources:   %s\n", a->resources);
        }
        if (a->responsible && *a->responsible) {
            printf("     responsible: %s\n", a->responsible);
        }
        if (a->has_due_ms && a->due_ms) {
            printf("     due:         %s\n", ismo_fmt_deadline(a->due_ms, buf, sizeof buf));
        }
    }
    if (o->n_import_notes) {
        printf("\nimport notes (%zu, values kept as written):\n", o->n_import_notes);
        for (size_t i = 0; i < o->n_import_notes; i++) {
            const Ismo__V1__ImportNote *n = o->import_notes[i];
            printf("  - %s: '%s': %s\n", n->field ? n->field : "?", n->text ? n->text : "",
                   n->problem ? n->problem : "");
        }
    }
}

static void print_status(const Ismo__V1__Status *s, const Ismo__V1__Objective *o)
{
    char buf[64];
    if (s->as_of_ms) {
        printf("\nstatus as of %s:\n", ismo_fmt_time(s->as_of_ms, buf, sizeof buf));
    } else {
        printf("\nstatus:\n");
    }
    printf("  %-16s %s\n", "health:", ismo_fmt_health(s->health));
    if (s->has_rollup_health && s->children) {
        printf("  %-16s %s (worst of it and its %u child%s' trees)\n", "rolled up:",
               ismo_fmt_health(s->rollup_health), s->children, s->children == 1 ? "" : "ren");
    }
    if (s->period_label && *s->period_label) {
        printf("  %-16s %s (%u completed period%s missed)\n", "period:", s->period_label,
               s->periods_missed, s->periods_missed == 1 ? "" : "s");
    }
    printf("  %-16s %s\n", "value:", s->has_value ? ismo_fmt_metric(o, s->value, buf, sizeof buf) : "no data");
    printf("  %-16s %s\n", "progress:",
           s->has_progress ? ismo_fmt_percent(s->progress, buf, sizeof buf) : "-");
    printf("  %-16s %s\n", "expected:",
           s->has_expected_progress ? ismo_fmt_percent(s->expected_progress, buf, sizeof buf) : "-");
    printf("  %-16s %llu in window, %llu in total\n", "samples:",
           (unsigned long long)s->window_samples, (unsigned long long)s->total_samples);
    printf("  %-16s %s\n", "last sample:",
           s->last_sample_ms ? ismo_fmt_time(s->last_sample_ms, buf, sizeof buf) : "-");
    printf("  %-16s %s\n", "next deadline:", ismo_fmt_deadline(s->next_deadline_ms, buf, sizeof buf));
    printf("  %-16s %u\n", "reminders:", s->reminders_outstanding);
    printf("  %-16s %s\n", "evaluated:",
           s->evaluated_ms ? ismo_fmt_time(s->evaluated_ms, buf, sizeof buf) : "-");
    if (s->explanation && *s->explanation) {
        printf("  %-16s %s\n", "explanation:", s->explanation);
    }
}

int cmd_show(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"version", required_argument, NULL, 'v'},
                                         {"as-of", required_argument, NULL, 'A'},
                                         {NULL, 0, NULL, 0}};
    uint64_t version = 0;
    int64_t as_of_ms = 0;
    const char *as_of_text = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "v:", opts, NULL)) != -1) {
        switch (c) {
        case 'A':
            as_of_text = optarg;
            if (cli_parse_instant(cli, "--as-of", optarg, &as_of_ms) != 0) {
                return CLI_EXIT_USAGE;
            }
            break;
        case 'v':
            if (cli_parse_u64(cli, "--version", optarg, &version) != 0) {
                return CLI_EXIT_USAGE;
            }
            if (version > UINT32_MAX) {
                return cli_usage(cli, "--version is too large");
            }
            break;
            CLI_OPTION_DEFAULT(cli, c);
        }
    }
    if (argc - optind != 1) {
        return cli_usage(cli, "needs exactly one objective id");
    }
    if (version && as_of_ms) {
        return cli_usage(cli, "--version and --as-of exclude each other");
    }
    const char *id = argv[optind];
    if (cli_check_id(cli, id) != CLI_EXIT_OK) {
        return CLI_EXIT_USAGE;
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
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = as_of_ms ? ismo_get_objective_as_of(client, id, as_of_ms, &reply)
                            : ismo_get_objective(client, id, (uint32_t)version, &reply);
    if (err != ISMO_OK || !reply->get_objective || !reply->get_objective->objective) {
        char what[160], when[48];
        if (as_of_ms) {
            snprintf(what, sizeof what, "cannot get objective %s as of %s", id,
                     ismo_fmt_time(as_of_ms, when, sizeof when));
        } else {
            snprintf(what, sizeof what, "cannot get objective %s", id);
        }
        int rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err, what);
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        ismo_client_destroy(&client);
        return rc;
    }
    const Ismo__V1__Objective *o = reply->get_objective->objective;
    print_objective(o);
    Ismo__V1__Reply *sreply = NULL;
    const char *ids[] = {id};
    err = ismo_get_status_as_of(client, ids, 1, NULL, as_of_ms, &sreply);
    int rc = CLI_EXIT_OK;
    if (err != ISMO_OK) {
        rc = cli_call_failed(cli, client, err, "cannot get status");
    } else if (sreply->get_status && sreply->get_status->n_statuses > 0) {
        print_status(sreply->get_status->statuses[0], o);
    } else {
        printf("\nstatus: not available\n");
    }
    if (sreply) {
        ismo__v1__reply__free_unpacked(sreply, NULL);
    }
    ismo__v1__reply__free_unpacked(reply, NULL);
    ismo_client_destroy(&client);
    return rc;
}

/* A finite decimal number, the whole text: 0 and *v set (-0 read as 0),
 * -1 not a number (or NaN, infinity, hex), -2 out of the range of a double
 * (overflow, or underflow: a non-zero value nearer to 0 than ~2.2e-308 that
 * would be stored as 0 or lose its precision). */
static int value_parse(const char *text, double *v)
{
    char *end;
    const char *p = text;
    if (*p == '+' || *p == '-') {
        p++;
    }
    if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))) {
        return -1;
    }
    for (const char *q = p; *q; q++) {
        if (*q == 'x' || *q == 'X') {
            return -1;
        }
    }
    errno = 0;
    double d = strtod(text, &end);
    if (end == text || *end) {
        return -1;
    }
    if (errno == ERANGE) {
        return -2;
    }
    if (!isfinite(d)) {
        return -1;
    }
    *v = d == 0 ? 0.0 : d;
    return 0;
}

int cmd_push(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"at", required_argument, NULL, 't'},
                                         {"source", required_argument, NULL, 's'},
                                         {"id", required_argument, NULL, 'i'},
                                         {"total", required_argument, NULL, 'T'},
                                         {NULL, 0, NULL, 0}};
    const char *at = NULL, *source = NULL, *sample_id = NULL, *total_text = NULL;
    int c;
    opterr = 0;
    /* a negative VALUE needs "--" before it: ismo push ID -- -3 */
    while ((c = getopt_long(argc, argv, "t:s:i:", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            at = optarg;
            break;
        case 's':
            source = optarg;
            break;
        case 'i':
            sample_id = optarg;
            break;
        case 'T':
            total_text = optarg;
            break;
            CLI_OPTION_DEFAULT(cli, c);
        }
    }
    if (argc - optind != 2) {
        return cli_usage(cli, "needs an objective id and a value: push ID VALUE");
    }
    const char *id = argv[optind];
    const char *vtext = argv[optind + 1];
    double value;
    int vrc = value_parse(vtext, &value);
    if (vrc != 0) {
        char *shown = ismo_text_dup(vtext);
        if (vrc == -2) {
            cli_fail(cli, "'%s' is out of the range of a number (1e-307..1e308 in magnitude, "
                          "or 0): it would be stored as another value",
                     shown);
        } else {
            cli_fail(cli, "'%s' is not a finite number (NaN and infinity are refused)", shown);
        }
        free(shown);
        return CLI_EXIT_ERROR;
    }
    double total = 0;
    if (total_text && (value_parse(total_text, &total) != 0 || !(total > 0))) {
        return cli_fail(cli, "--total '%s' is not a finite number > 0 (within 1e-307..1e308)",
                        total_text);
    }
    if (cli_check_id(cli, id) != CLI_EXIT_OK) {
        return CLI_EXIT_USAGE;
    }
    int64_t at_ms = 0;
    if (at && cli_parse_time(cli, at, 0, &at_ms) != 0) {
        return cli_bad_time(cli, 0, "--at", at, "2026-11-30, 2026-11-30T10:00Z, @ms");
    }
    char rid[40];
    if (!sample_id) {
        if (ismo_sample_id_random(rid, sizeof rid) != ISMO_OK) {
            return cli_fail(cli, "cannot make a random sample id (/dev/urandom)");
        }
        sample_id = rid;
    }
    char src[160];
    if (!source) {
        const char *who = cli->actor ? cli->actor : getenv("USER");
        snprintf(src, sizeof src, "cli:%s", who && *who ? who : "unknown");
        source = src;
    }
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    s.objective_id = (char *)id;
    s.has_value = 1;
    s.value = value;
    s.has_total = total_text != NULL; /* RATIO metrics: value "good" of total */
    s.total = total;
    s.has_effective_ms = at_ms != 0;
    s.effective_ms = at_ms;
    s.source = (char *)source;
    s.sample_id = (char *)sample_id;
    Ismo__V1__Sample *batch[] = {&s};
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_push_samples(client, batch, 1, &reply);
    int rc = CLI_EXIT_OK;
    Ismo__V1__PushSamplesReply *p = reply ? reply->push_samples : NULL;
    if (p && p->n_rejected > 0) {
        rc = cli_fail(cli, "sample for %s rejected: %s: %s", id,
                      ismo_status_name(p->rejected[0]->code),
                      p->rejected[0]->message ? p->rejected[0]->message : "");
    } else if (err != ISMO_OK) {
        rc = cli_call_failed(cli, client, err, "cannot push sample");
    } else if (p && p->duplicates > 0) {
        printf("duplicate: sample %s of %s was already stored\n", sample_id, id);
    } else {
        printf("accepted: %s = %s%s%s (sample %s)\n", id, vtext, total_text ? " of " : "",
               total_text ? total_text : "", sample_id);
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    ismo_client_destroy(&client);
    return rc;
}

int cmd_retire(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
            CLI_OPTION_DEFAULT(cli, c);
        }
    }
    if (argc - optind != 1) {
        return cli_usage(cli, "needs exactly one objective id: retire ID --reason TEXT");
    }
    if (!cli->reason || !*cli->reason) {
        return cli_usage(cli, "needs --reason TEXT (why the objective is retired is recorded)");
    }
    const char *id = argv[optind];
    if (cli_check_id(cli, id) != CLI_EXIT_OK) {
        return CLI_EXIT_USAGE;
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_retire_objective(client, id, &reply);
    int rc = CLI_EXIT_OK;
    if (err != ISMO_OK) {
        char what[128];
        snprintf(what, sizeof what, "cannot retire %s", id);
        rc = cli_call_failed(cli, client, err, what);
    } else {
        printf("retired: %s (version %u)\n", id,
               reply->retire_objective ? reply->retire_objective->version : 0);
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    ismo_client_destroy(&client);
    return rc;
}
