/* cmd_explain: "ismo explain ID [--as-of DATE]": why an objective has its
 * health (ISO/IEC 27001:2022 6.2 f "monitored", 9.1 "how results are
 * evaluated"): ismod's rule lines in order of application, the numbers
 * (value, baseline, target, progress against expected), the aggregation
 * window, the per-period results of periodic targets and the samples that
 * produced the value, newest first. One Explain request; nothing computed
 * here except formatting. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

static json_t *sample_json(const Ismo__V1__Sample *s)
{
    json_t *j = json_object();
    json_object_set_new(j, "effective_ms", json_integer(s->effective_ms));
    json_object_set_new(j, "value", json_real(s->value));
    json_object_set_new(j, "total", s->has_total ? json_real(s->total) : json_null());
    json_object_set_new(j, "source", json_string(s->source ? s->source : ""));
    json_object_set_new(j, "sample_id", json_string(s->sample_id ? s->sample_id : ""));
    json_object_set_new(j, "received_ms", json_integer(s->received_ms));
    return j;
}

static json_t *explain_json(const Ismo__V1__ExplainReply *x)
{
    const Ismo__V1__Objective *o = x->objective;
    const Ismo__V1__Status *s = x->status;
    json_t *j = json_object();
    json_object_set_new(j, "objective_id", json_string(o && o->id ? o->id : ""));
    json_object_set_new(j, "objective_version", json_integer(o ? o->version : 0));
    json_object_set_new(j, "lifecycle", json_string(ismo_lifecycle_name(o ? (int)o->lifecycle : 0)));
    json_object_set_new(j, "health", json_string(ismo_health_name(s ? (int)s->health : 0)));
    json_object_set_new(j, "rollup_health",
                        json_string(ismo_health_name(s && s->has_rollup_health ? (int)s->rollup_health
                                                     : s ? (int)s->health : 0)));
    json_object_set_new(j, "value", s && s->has_value ? json_real(s->value) : json_null());
    json_object_set_new(j, "progress", s && s->has_progress ? json_real(s->progress) : json_null());
    json_object_set_new(j, "expected_progress", s && s->has_expected_progress
                                                    ? json_real(s->expected_progress)
                                                    : json_null());
    json_object_set_new(j, "baseline", o && o->has_baseline ? json_real(o->baseline) : json_null());
    json_object_set_new(j, "target", o && o->has_target ? json_real(o->target) : json_null());
    json_object_set_new(j, "unit", json_string(o && o->metric && o->metric->unit ? o->metric->unit : ""));
    json_object_set_new(j, "as_of_ms", json_integer(s ? s->as_of_ms : 0));
    json_object_set_new(j, "explanation", json_string(s && s->explanation ? s->explanation : ""));
    json_t *rules = json_array();
    for (size_t i = 0; i < x->n_rules; i++) {
        json_array_append_new(rules, json_string(x->rules[i] ? x->rules[i] : ""));
    }
    json_object_set_new(j, "rules", rules);
    json_object_set_new(j, "window_from_ms", json_integer(x->window_from_ms));
    json_object_set_new(j, "window_to_ms", json_integer(x->window_to_ms));
    json_object_set_new(j, "window_samples", json_integer((json_int_t)x->window_samples));
    json_t *periods = json_array();
    for (size_t i = 0; i < x->n_periods; i++) {
        const Ismo__V1__PeriodResult *p = x->periods[i];
        json_t *pj = json_object();
        json_object_set_new(pj, "label", json_string(p->label ? p->label : ""));
        json_object_set_new(pj, "from_ms", json_integer(p->from_ms));
        json_object_set_new(pj, "to_ms", json_integer(p->to_ms));
        json_object_set_new(pj, "target", p->has_target ? json_real(p->target) : json_null());
        json_object_set_new(pj, "value", p->has_value ? json_real(p->value) : json_null());
        json_object_set_new(pj, "samples", json_integer((json_int_t)p->samples));
        json_object_set_new(pj, "met", json_boolean(p->met));
        json_object_set_new(pj, "complete", json_boolean(p->complete));
        json_array_append_new(periods, pj);
    }
    json_object_set_new(j, "periods", periods);
    json_t *samples = json_array();
    for (size_t i = 0; i < x->n_samples; i++) {
        json_array_append_new(samples, sample_json(x->samples[i]));
    }
    json_object_set_new(j, "samples", samples);
    return j;
}

static void explain_print(const Ismo__V1__ExplainReply *x)
{
    const Ismo__V1__Objective *o = x->objective;
    const Ismo__V1__Status *s = x->status;
    char a[64], b[64], t1[48], t2[48];
    printf("%s: ", o && o->id ? o->id : "?");
    ismo_put_text(stdout, o && o->title ? o->title : "");
    printf("\n");
    printf("  %-14s %u, lifecycle %s\n", "version:", o ? o->version : 0,
           ismo_fmt_lifecycle(o ? (int)o->lifecycle : 0));
    int utc = strcmp(ismo_fmt_zone(), "UTC") == 0;
    if (!utc) {
        /* ismod writes the rule lines in UTC; everything else here is shown in --tz */
        printf("  %-14s %s (the rule lines are ismod's, in UTC)\n", "times in:", ismo_fmt_zone());
    }
    if (s && s->as_of_ms) {
        printf("  %-14s %s (reconstructed: the version then, the samples received by then)\n",
               "as of:", ismo_fmt_time(s->as_of_ms, t1, sizeof t1));
    }
    printf("  %-14s %s", "health:", ismo_fmt_health(s ? (int)s->health : 0));
    if (s && s->has_rollup_health && s->children) {
        printf(" (rolled up over %u child%s: %s)", s->children, s->children == 1 ? "" : "ren",
               ismo_fmt_health(s->rollup_health));
    }
    printf("\n");
    if (o && o->metric) {
        const Ismo__V1__Metric *m = o->metric;
        printf("  %-14s %s, %s of the window, %s\n", "metric:", m->name ? m->name : "-",
               ismo_aggregation_name(m->aggregation), ismo_direction_name(m->direction));
    }
    printf("  %-14s %s\n", "value:", s && s->has_value ? ismo_fmt_metric(o, s->value, a, sizeof a)
                                                        : "no data");
    if (o) {
        printf("  %-14s %s", "baseline:",
               o->has_baseline ? ismo_fmt_metric(o, o->baseline, a, sizeof a) : "-");
        if (o->baseline_at_ms) {
            printf(" at %s", ismo_fmt_time(o->baseline_at_ms, t1, sizeof t1));
        }
        printf("\n  %-14s %s, deadline %s\n", "target:", ismo_fmt_target(o, b, sizeof b),
               ismo_fmt_deadline(o->deadline_ms, t2, sizeof t2));
    }
    if (s && (s->has_progress || s->has_expected_progress)) {
        printf("  %-14s %s (expected by now: %s)\n", "progress:",
               s->has_progress ? ismo_fmt_percent(s->progress, a, sizeof a) : "-",
               s->has_expected_progress ? ismo_fmt_percent(s->expected_progress, b, sizeof b) : "-");
    }
    if (x->window_from_ms || x->window_to_ms) {
        printf("  %-14s %s .. %s, %llu sample%s\n", "window:",
               ismo_fmt_time(x->window_from_ms, t1, sizeof t1),
               ismo_fmt_time(x->window_to_ms, t2, sizeof t2),
               (unsigned long long)x->window_samples, x->window_samples == 1 ? "" : "s");
    }
    printf("\nrules (in order of application%s):\n", utc ? "" : "; times in UTC");
    if (x->n_rules == 0) {
        printf("  %s\n", s && s->explanation && *s->explanation ? s->explanation : "(none given)");
    }
    for (size_t i = 0; i < x->n_rules; i++) {
        printf("  %zu. %s\n", i + 1, x->rules[i] ? x->rules[i] : "");
    }
    if (x->n_periods) {
        printf("\nperiods:\n");
        static const char *const headers[] = {"PERIOD", "FROM", "TO", "TARGET", "VALUE",
                                              "SAMPLES", "RESULT"};
        ismo_table_t *t = ismo_table_new(7, headers);
        for (size_t i = 0; i < x->n_periods; i++) {
            const Ismo__V1__PeriodResult *p = x->periods[i];
            char from[48], to[48], target[64], value[64], n[32];
            ismo_fmt_time(p->from_ms, from, sizeof from);
            ismo_fmt_time(p->to_ms, to, sizeof to);
            ismo_fmt_metric(o, p->target, target, sizeof target);
            ismo_fmt_metric(o, p->value, value, sizeof value);
            snprintf(n, sizeof n, "%llu", (unsigned long long)p->samples);
            const char *result = !p->complete ? (p->met ? "met so far" : "open")
                                 : p->met     ? "met"
                                              : "MISSED";
            const char *cells[] = {p->label, from, to, p->has_target ? target : NULL,
                                   p->has_value ? value : "no data", n, result};
            ismo_table_add(t, cells);
        }
        ismo_table_print(t, stdout);
        ismo_table_destroy(&t);
    }
    printf("\nsamples (newest first, %zu of %llu in the window):\n", x->n_samples,
           (unsigned long long)x->window_samples);
    if (x->n_samples == 0) {
        printf("  none\n");
        return;
    }
    static const char *const headers[] = {"EFFECTIVE", "VALUE", "SOURCE", "SAMPLE ID"};
    ismo_table_t *t = ismo_table_new(4, headers);
    for (size_t i = 0; i < x->n_samples; i++) {
        const Ismo__V1__Sample *sm = x->samples[i];
        char when[48], value[96];
        ismo_fmt_time(sm->effective_ms, when, sizeof when);
        ismo_fmt_sample(o, sm, value, sizeof value);
        const char *cells[] = {when, value, sm->source, sm->sample_id};
        ismo_table_add(t, cells);
    }
    ismo_table_print(t, stdout);
    ismo_table_destroy(&t);
}

int cmd_explain(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"as-of", required_argument, NULL, 'A'},
                                         {"limit", required_argument, NULL, 'n'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    int64_t as_of_ms = 0;
    const char *as_of_text = NULL;
    int rc0;
    uint64_t limit = 0;
    const char *format = "text";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'A':
            as_of_text = optarg;
            if (cli_parse_instant(cli, "--as-of", optarg, &as_of_ms) != 0) {
                return CLI_EXIT_USAGE;
            }
            break;
        case 'n':
            if (cli_parse_u64(cli, "--limit", optarg, &limit) != 0) {
                return CLI_EXIT_USAGE;
            }
            if (limit > 10000) {
                return cli_usage(cli, "--limit is at most 10000");
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
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        return cli_usage(cli, "-o must be text or json, not '%s'", format);
    }
    if (argc - optind != 1) {
        return cli_usage(cli, "usage: ismo explain ID [--as-of DATE] [--limit N] [-o text|json]");
    }
    const char *id = argv[optind];
    if (cli_check_id(cli, id) != CLI_EXIT_OK) {
        return CLI_EXIT_USAGE;
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    if (as_of_ms && (rc0 = cli_check_as_of(cli, client, "--as-of", as_of_text, &as_of_ms)) != 0) {
        ismo_client_destroy(&client);
        return rc0;
    }
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_explain(client, id, as_of_ms, (uint32_t)limit, &reply);
    int rc = CLI_EXIT_OK;
    if (err != ISMO_OK || !reply->explain) {
        char what[128];
        snprintf(what, sizeof what, "cannot explain %s", id);
        rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err, what);
    } else if (strcmp(format, "json") == 0) {
        json_t *j = explain_json(reply->explain);
        char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        printf("%s\n", text ? text : "{}");
        free(text);
        json_decref(j);
    } else {
        explain_print(reply->explain);
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    ismo_client_destroy(&client);
    return rc;
}
