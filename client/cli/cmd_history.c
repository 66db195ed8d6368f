/* cmd_history: the ismo commands that look at objectives as documented
 * information over time (ISO/IEC 27001:2022 6.2 "updated as appropriate"):
 * `history ID` lists every stored version with who, when and why and what
 * changed; `lint` checks the register's consistency: what each objective
 * lacks to be a SMART objective with a plan (6.2 b "measurable", g..k plan:
 * what, resources, who, when, how evaluated; the server's gate,
 * common/ismo_smart.h), DRAFT objectives, references to policy commitments,
 * risks and parents ismod does not hold, cycles and level inversions in the
 * objective tree, policy commitments no objective supports (6.2 a) and high
 * risks no objective treats (6.2 c). Both only read; nothing is cached. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ismo_time.h"
#include "output.h"
#include "register.h"

static int parse_no_options(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int rc = cli_global_option(cli, c, optarg);
        if (rc != CLI_EXIT_OK) {
            return rc;
        }
    }
    return CLI_EXIT_OK;
}

static const char *str_or_dash(const char *s) { return s && *s ? s : "-"; }

/* Print "  field: old -> new" when the two texts differ. */
static void diff_text(const char *field, const char *a, const char *b)
{
    if (strcmp(str_or_dash(a), str_or_dash(b)) != 0) {
        printf("    %s: ", field);
        ismo_put_text(stdout, str_or_dash(a));
        printf(" -> ");
        ismo_put_text(stdout, str_or_dash(b));
        printf("\n");
    }
}

static void diff_num(const char *field, int has_a, double a, int has_b, double b)
{
    if (has_a != has_b || (has_a && a != b)) {
        char x[40] = "-", y[40] = "-";
        if (has_a) {
            snprintf(x, sizeof x, "%g", a);
        }
        if (has_b) {
            snprintf(y, sizeof y, "%g", b);
        }
        printf("    %s: %s -> %s\n", field, x, y);
    }
}

static void diff_time(const char *field, int64_t a, int64_t b)
{
    if (a != b) {
        char x[40], y[40];
        printf("    %s: %s -> %s\n", field, ismo_fmt_deadline(a, x, sizeof x),
               ismo_fmt_deadline(b, y, sizeof y));
    }
}

/* For instants that are the start of the day they name (start, baseline
 * date): that day, not the day before as for a deadline. */
static void diff_day(const char *field, int64_t a, int64_t b)
{
    if (a != b) {
        char x[40], y[40];
        printf("    %s: %s -> %s\n", field, ismo_fmt_day(a, x, sizeof x), ismo_fmt_day(b, y, sizeof y));
    }
}

/* A list as one line: "A, B, C" ("-" when empty). */
static const char *join_strv(char **v, size_t n, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? ", " : "", v[i] ? v[i] : "");
    }
    return buf;
}

/* Instants (dur 0) or durations (dur 1) as one line. */
static const char *join_ms(const int64_t *v, size_t n, int dur, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char x[40];
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                 dur ? ismo_duration_format_ms(v[i], x, sizeof x) : ismo_fmt_day(v[i], x, sizeof x));
    }
    return buf;
}

static void diff_dur(const char *field, int has_a, int64_t a, int has_b, int64_t b)
{
    if (has_a != has_b || (has_a && a != b)) {
        char x[40] = "-", y[40] = "-";
        if (has_a) {
            ismo_duration_format_ms(a, x, sizeof x);
        }
        if (has_b) {
            ismo_duration_format_ms(b, y, sizeof y);
        }
        printf("    %s: %s -> %s\n", field, x, y);
    }
}

static const char *period_targets_text(const Ismo__V1__Objective *o, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < o->n_period_targets; i++) {
        const Ismo__V1__PeriodTarget *p = o->period_targets[i];
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s %g", i ? ", " : "", p->label ? p->label : "?",
                 p->target);
    }
    return buf;
}

/* What changed in the clause-6.2 fields (tree, lifecycle, kinds, periods,
 * reminders, references). */
static void diff_clause62(const Ismo__V1__Objective *a, const Ismo__V1__Objective *b)
{
    char x[2048], y[2048];
    diff_text("parent", a->parent_id, b->parent_id);
    diff_text("lifecycle", a->has_lifecycle ? ismo_lifecycle_name(a->lifecycle) : NULL,
              b->has_lifecycle ? ismo_lifecycle_name(b->lifecycle) : NULL);
    diff_text("not measurable", a->not_measurable ? "yes" : "no", b->not_measurable ? "yes" : "no");
    diff_text("reason not measurable", a->not_measurable_reason, b->not_measurable_reason);
    const Ismo__V1__Metric *ma = a->metric, *mb = b->metric;
    diff_text("value kind", ismo_value_kind_name(ma ? (int)ma->value_kind : 0),
              ismo_value_kind_name(mb ? (int)mb->value_kind : 0));
    diff_text("calendar period", ismo_period_name(ma ? (int)ma->period : 0),
              ismo_period_name(mb ? (int)mb->period : 0));
    diff_text("target exclusive", a->target_exclusive ? "yes" : "no",
              b->target_exclusive ? "yes" : "no");
    diff_text("period targets", period_targets_text(a, x, sizeof x), period_targets_text(b, y, sizeof y));
    diff_text("review dates", join_ms(a->review_dates_ms, a->n_review_dates_ms, 0, x, sizeof x),
              join_ms(b->review_dates_ms, b->n_review_dates_ms, 0, y, sizeof y));
    diff_text("reminders", join_ms(a->reminder_offsets_ms, a->n_reminder_offsets_ms, 1, x, sizeof x),
              join_ms(b->reminder_offsets_ms, b->n_reminder_offsets_ms, 1, y, sizeof y));
    if (a->overdue_repeat_ms != b->overdue_repeat_ms) {
        ismo_duration_format_ms(a->overdue_repeat_ms, x, sizeof x);
        ismo_duration_format_ms(b->overdue_repeat_ms, y, sizeof y);
        printf("    overdue repeat: %s -> %s\n", a->overdue_repeat_ms < 0 ? "never" : x,
               b->overdue_repeat_ms < 0 ? "never" : y);
    }
    diff_num("escalate after", a->escalate_after != 0, a->escalate_after, b->escalate_after != 0,
             b->escalate_after);
    diff_text("escalate to", a->escalate_to, b->escalate_to);
    diff_text("policy refs", join_strv(a->policy_refs, a->n_policy_refs, x, sizeof x),
              join_strv(b->policy_refs, b->n_policy_refs, y, sizeof y));
    diff_text("risk refs", join_strv(a->risk_refs, a->n_risk_refs, x, sizeof x),
              join_strv(b->risk_refs, b->n_risk_refs, y, sizeof y));
    diff_text("controls", join_strv(a->control_refs, a->n_control_refs, x, sizeof x),
              join_strv(b->control_refs, b->n_control_refs, y, sizeof y));
    diff_text("SMART gaps", join_strv(a->smart_gaps, a->n_smart_gaps, x, sizeof x),
              join_strv(b->smart_gaps, b->n_smart_gaps, y, sizeof y));
}

static void diff_objectives(const Ismo__V1__Objective *a, const Ismo__V1__Objective *b)
{
    diff_text("title", a->title, b->title);
    diff_text("owner", a->owner, b->owner);
    diff_text("function", a->function, b->function);
    diff_text("level", ismo_level_name(a->level), ismo_level_name(b->level));
    diff_num("baseline", a->has_baseline, a->baseline, b->has_baseline, b->baseline);
    diff_day("baseline date", a->baseline_at_ms, b->baseline_at_ms);
    diff_num("target", a->has_target, a->target, b->has_target, b->target);
    diff_text("target mode", ismo_target_mode_name(a->target_mode), ismo_target_mode_name(b->target_mode));
    diff_day("start", a->start_ms, b->start_ms);
    diff_time("deadline", a->deadline_ms, b->deadline_ms);
    const Ismo__V1__Metric *ma = a->metric, *mb = b->metric;
    diff_text("metric", ma ? ma->name : NULL, mb ? mb->name : NULL);
    diff_text("unit", ma ? ma->unit : NULL, mb ? mb->unit : NULL);
    diff_text("direction", ismo_direction_name(ma ? (int)ma->direction : 0),
              ismo_direction_name(mb ? (int)mb->direction : 0));
    diff_text("aggregation", ismo_aggregation_name(ma ? (int)ma->aggregation : 0),
              ismo_aggregation_name(mb ? (int)mb->aggregation : 0));
    diff_dur("window", ma && ma->has_window_ms, ma ? ma->window_ms : 0, mb && mb->has_window_ms,
             mb ? mb->window_ms : 0);
    diff_dur("frequency", ma && ma->has_frequency_ms, ma ? ma->frequency_ms : 0,
             mb && mb->has_frequency_ms, mb ? mb->frequency_ms : 0);
    diff_clause62(a, b);
    diff_text("evaluation method", a->evaluation_method, b->evaluation_method);
    diff_text("description", a->description, b->description);
    if (a->n_actions != b->n_actions) {
        printf("    plan: %zu -> %zu actions\n", a->n_actions, b->n_actions);
    }
    for (size_t i = 0; i < a->n_actions && i < b->n_actions; i++) {
        const Ismo__V1__Action *x = a->actions[i], *y = b->actions[i];
        char label[64];
        snprintf(label, sizeof label, "action %zu", i + 1);
        if (strcmp(str_or_dash(x->what), str_or_dash(y->what)) != 0) {
            diff_text(label, x->what, y->what);
        }
        if (x->status != y->status) {
            printf("    %s status: %s -> %s\n", label, ismo_action_status_name(x->status),
                   ismo_action_status_name(y->status));
        }
        if (x->due_ms != y->due_ms) {
            snprintf(label, sizeof label, "action %zu due", i + 1);
            diff_time(label, x->due_ms, y->due_ms);
        }
        snprintf(label, sizeof label, "action %zu id", i + 1);
        diff_text(label, x->id, y->id);
    }
    if (a->retired != b->retired) {
        printf("    retired: %s -> %s\n", a->retired ? "yes" : "no", b->retired ? "yes" : "no");
    }
}

int cmd_history(cli_t *cli, int argc, char **argv)
{
    int rc = parse_no_options(cli, argc, argv);
    if (rc != CLI_EXIT_OK) {
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    if (optind + 1 != argc) {
        return cli_usage(cli, "usage: ismo history ID");
    }
    const char *id = argv[optind];
    if (cli_check_id(cli, id) != CLI_EXIT_OK) {
        return CLI_EXIT_USAGE;
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    Ismo__V1__Reply *cur = NULL;
    ismo_err err = ismo_get_objective(client, id, 0, &cur);
    if (err != ISMO_OK || !cur->get_objective) {
        rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err, "cannot read objective");
        if (cur) {
            ismo__v1__reply__free_unpacked(cur, NULL);
        }
        ismo_client_destroy(&client);
        return rc;
    }
    uint32_t n = cur->get_objective->objective->version;
    ismo__v1__reply__free_unpacked(cur, NULL);
    printf("%s: %u version%s\n", id, n, n == 1 ? "" : "s");
    Ismo__V1__Reply *prev = NULL;
    for (uint32_t v = 1; v <= n; v++) {
        Ismo__V1__Reply *r = NULL;
        err = ismo_get_objective(client, id, v, &r);
        if (err != ISMO_OK || !r->get_objective) {
            rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                 "cannot read a version");
            if (r) {
                ismo__v1__reply__free_unpacked(r, NULL);
            }
            break;
        }
        const Ismo__V1__Objective *o = r->get_objective->objective;
        char t[40];
        printf("v%u  %s  by ", o->version, ismo_fmt_time(o->updated_ms, t, sizeof t));
        ismo_put_text(stdout, str_or_dash(o->updated_by));
        printf(": ");
        ismo_put_text(stdout, str_or_dash(o->change_reason));
        printf("\n");
        if (prev) {
            diff_objectives(prev->get_objective->objective, o);
            ismo__v1__reply__free_unpacked(prev, NULL);
        }
        prev = r;
    }
    if (prev) {
        ismo__v1__reply__free_unpacked(prev, NULL);
    }
    ismo_client_destroy(&client);
    return rc;
}

/* ---- lint ---------------------------------------------------------------------------- */

static void free_replies(Ismo__V1__Reply *a, Ismo__V1__Reply *b)
{
    if (a) {
        ismo__v1__reply__free_unpacked(a, NULL);
    }
    if (b) {
        ismo__v1__reply__free_unpacked(b, NULL);
    }
}

/* `ismo lint`: the register's consistency (ismo_register_lint, register.h),
 * grouped; exit 1 when anything is found. */
int cmd_lint(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"function", required_argument, NULL, 'f'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *function = NULL;
    int as_json = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            function = optarg;
            break;
        case 'j':
            as_json = 1;
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
    Ismo__V1__Reply *reply = NULL, *creply = NULL;
    ismo_err err = ismo_list_objectives(client, NULL, 1, &reply);
    if (err != ISMO_OK || !reply->list_objectives) {
        int rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                 "cannot list objectives");
        free_replies(reply, NULL);
        ismo_client_destroy(&client);
        return rc;
    }
    json_t *notes = json_array();
    const Ismo__V1__ListContextReply *ctx = NULL;
    err = ismo_list_context(client, &creply);
    if (err == ISMO_OK && creply && creply->list_context && creply->list_context->more) {
        /* cut at the server's max_list: checking against a part would report
         * references beyond the cut as dangling */
        json_array_append_new(notes, json_string("policy and risk registers not checked: ismod "
                                                 "holds more entries than it lists at once "
                                                 "(max_list)"));
    } else if (err == ISMO_OK && creply && creply->list_context) {
        ctx = creply->list_context;
    } else if (err == ISMO_ERR_TIMEOUT) {
        int rc = cli_call_failed(cli, client, err, "cannot list the policy and risk registers");
        free_replies(reply, creply);
        json_decref(notes);
        ismo_client_destroy(&client);
        return rc;
    } else {
        char note[512];
        snprintf(note, sizeof note,
                 "policy and risk references not checked: cannot list ismod's registers (%s)",
                 ismo_client_error(client));
        json_array_append_new(notes, json_string(note));
    }
    ismo_client_destroy(&client);
    const Ismo__V1__ListObjectivesReply *l = reply->list_objectives;
    json_t *groups = ismo_register_lint(l->objectives, l->n_objectives,
                                        ctx ? ctx->policies : NULL, ctx ? ctx->n_policies : 0,
                                        ctx ? ctx->risks : NULL, ctx ? ctx->n_risks : 0, function);
    if (ctx && ctx->n_policies == 0) {
        json_array_append_new(notes, json_string("no policy register stored (ismo import "
                                                 "--policies FILE): policy references and "
                                                 "policy coverage not checked"));
    }
    if (ctx && ctx->n_risks == 0) {
        json_array_append_new(notes, json_string("no risk register stored (ismo import --risks "
                                                 "FILE): risk references and high-risk "
                                                 "coverage not checked"));
    }
    if (function) {
        json_array_append_new(notes, json_string("with --function the organisation-wide checks "
                                                 "(policy and high-risk coverage) are left out"));
    }
    size_t checked = 0, findings = 0;
    for (size_t i = 0; i < l->n_objectives; i++) {
        const Ismo__V1__Objective *o = l->objectives[i];
        checked += !o->retired && (!function || (o->function && strcmp(o->function, function) == 0));
    }
    for (int g = 0; g < ISMO_LINT_GROUPS; g++) {
        findings += json_array_size(json_object_get(groups, ismo_lint_group_keys[g]));
    }
    size_t lacking = json_array_size(json_object_get(groups, ismo_lint_group_keys[ISMO_LINT_SMART]));
    if (as_json) {
        json_t *root = json_object();
        json_object_set_new(root, "objectives_checked", json_integer((json_int_t)checked));
        json_object_set_new(root, "findings", json_integer((json_int_t)findings));
        json_object_set_new(root, "policies", json_integer(ctx ? (json_int_t)ctx->n_policies : 0));
        json_object_set_new(root, "risks", json_integer(ctx ? (json_int_t)ctx->n_risks : 0));
        for (int g = 0; g < ISMO_LINT_GROUPS; g++) {
            json_object_set(root, ismo_lint_group_keys[g],
                            json_object_get(groups, ismo_lint_group_keys[g]));
        }
        json_object_set(root, "notes", notes);
        char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(root);
    } else {
        for (int g = 0; g < ISMO_LINT_GROUPS; g++) {
            json_t *arr = json_object_get(groups, ismo_lint_group_keys[g]);
            size_t n = json_array_size(arr);
            if (n == 0) {
                continue;
            }
            printf("== %s: %zu\n", ismo_lint_group_titles[g], n);
            for (size_t i = 0; i < n; i++) {
                ismo_put_text(stdout,
                              json_string_value(json_object_get(json_array_get(arr, i), "text")));
                printf("\n");
            }
            printf("\n");
        }
        for (size_t i = 0; i < json_array_size(notes); i++) {
            printf("note: ");
            ismo_put_text(stdout, json_string_value(json_array_get(notes, i)));
            printf("\n");
        }
        printf("%zu objective%s checked: %zu complete (SMART, with a plan), %zu lacking something\n",
               checked, checked == 1 ? "" : "s", checked - lacking, lacking);
        printf("%zu finding%s\n", findings, findings == 1 ? "" : "s");
    }
    json_decref(groups);
    json_decref(notes);
    free_replies(reply, creply);
    return findings ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}
