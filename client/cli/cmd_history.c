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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ismo_smart.h"
#include "output.h"

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
        printf("    %s: %s -> %s\n", field, str_or_dash(a), str_or_dash(b));
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

static void diff_objectives(const Ismo__V1__Objective *a, const Ismo__V1__Objective *b)
{
    diff_text("title", a->title, b->title);
    diff_text("owner", a->owner, b->owner);
    diff_text("function", a->function, b->function);
    diff_text("level", ismo_level_name(a->level), ismo_level_name(b->level));
    diff_num("baseline", a->has_baseline, a->baseline, b->has_baseline, b->baseline);
    diff_time("baseline date", a->baseline_at_ms, b->baseline_at_ms);
    diff_num("target", a->has_target, a->target, b->has_target, b->target);
    diff_text("target mode", ismo_target_mode_name(a->target_mode), ismo_target_mode_name(b->target_mode));
    diff_time("start", a->start_ms, b->start_ms);
    diff_time("deadline", a->deadline_ms, b->deadline_ms);
    const Ismo__V1__Metric *ma = a->metric, *mb = b->metric;
    diff_text("metric", ma ? ma->name : NULL, mb ? mb->name : NULL);
    diff_text("unit", ma ? ma->unit : NULL, mb ? mb->unit : NULL);
    diff_text("direction", ismo_direction_name(ma ? (int)ma->direction : 0),
              ismo_direction_name(mb ? (int)mb->direction : 0));
    diff_text("aggregation", ismo_aggregation_name(ma ? (int)ma->aggregation : 0),
              ismo_aggregation_name(mb ? (int)mb->aggregation : 0));
    diff_num("window (ms)", ma && ma->has_window_ms, ma ? (double)ma->window_ms : 0,
             mb && mb->has_window_ms, mb ? (double)mb->window_ms : 0);
    diff_num("frequency (ms)", ma && ma->has_frequency_ms, ma ? (double)ma->frequency_ms : 0,
             mb && mb->has_frequency_ms, mb ? (double)mb->frequency_ms : 0);
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
        printf("v%u  %s  by %s: %s\n", o->version, ismo_time_format_ms(o->updated_ms, t, sizeof t),
               str_or_dash(o->updated_by), str_or_dash(o->change_reason));
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

/* The groups of findings, in output order. */
enum {
    LG_SMART, LG_DRAFT, LG_DANGLING, LG_TREE, LG_POLICIES, LG_RISKS, LG_COUNT
};
static const char *const lint_keys[LG_COUNT] = {"smart_gaps", "drafts", "dangling_references",
                                                "tree", "unsupported_policies",
                                                "untreated_high_risks"};
static const char *const lint_titles[LG_COUNT] = {
    "SMART gaps: what each objective lacks (ISO/IEC 27001:2022 6.2 b, g-k)",
    "DRAFT objectives: not yet active (the SMART gate has not passed)",
    "Dangling references: policy commitments, risks or parents ismod does not hold",
    "Objective tree: cycles and level inversions",
    "Policy commitments no objective supports (6.2 a)",
    "High risks no objective treats (6.1.3, 6.2 c)"};

typedef struct lint_out {
    json_t *group[LG_COUNT]; /* arrays of {id, text, ...} */
    json_t *notes;           /* strings */
} lint_out;

static void lint_add(lint_out *L, int g, const char *id, json_t *extra, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void lint_add(lint_out *L, int g, const char *id, json_t *extra, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(id));
    json_object_set_new(j, "text", json_string(text));
    if (extra) {
        json_object_update(j, extra);
        json_decref(extra);
    }
    json_array_append_new(L->group[g], j);
}

static const Ismo__V1__Objective *find_objective(const Ismo__V1__ListObjectivesReply *l,
                                                 const char *id)
{
    for (size_t i = 0; id && i < l->n_objectives; i++) {
        if (strcmp(l->objectives[i]->id, id) == 0) {
            return l->objectives[i];
        }
    }
    return NULL;
}

static int lint_in_scope(const Ismo__V1__Objective *o, const char *function)
{
    return !o->retired && (!function || (o->function && strcmp(o->function, function) == 0));
}

/* The per-objective checks: SMART gaps, DRAFT, dangling references, tree. */
static void lint_objectives(lint_out *L, const Ismo__V1__ListObjectivesReply *l,
                            const Ismo__V1__ListContextReply *ctx, const char *function)
{
    for (size_t i = 0; i < l->n_objectives; i++) {
        const Ismo__V1__Objective *o = l->objectives[i];
        if (!lint_in_scope(o, function)) {
            continue;
        }
        char gaps[ISMO_SMART_MAX_GAPS][ISMO_SMART_GAP_BYTES];
        size_t n = ismo_smart_gaps(o, gaps, ISMO_SMART_MAX_GAPS);
        if (n > 0) {
            char buf[4096] = "";
            json_t *arr = json_array();
            for (size_t g = 0; g < n && g < ISMO_SMART_MAX_GAPS; g++) {
                size_t used = strlen(buf);
                snprintf(buf + used, sizeof buf - used, "%s%s", g ? ", " : "", gaps[g]);
                json_array_append_new(arr, json_string(gaps[g]));
            }
            json_t *j = json_object();
            json_object_set_new(j, "gaps", arr);
            lint_add(L, LG_SMART, o->id, j, "%s: lacks %s", o->id, buf);
        }
        if (o->has_lifecycle && o->lifecycle == ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT) {
            lint_add(L, LG_DRAFT, o->id, NULL, "%s: draft (%s)", o->id, o->title ? o->title : "");
        }
        for (size_t r = 0; ctx && ctx->n_policies && r < o->n_policy_refs; r++) {
            int found = 0;
            for (size_t p = 0; p < ctx->n_policies && !found; p++) {
                found = strcmp(ctx->policies[p]->id, o->policy_refs[r]) == 0;
            }
            if (!found) {
                json_t *j = json_pack("{s:s, s:s}", "kind", "policy", "ref", o->policy_refs[r]);
                lint_add(L, LG_DANGLING, o->id, j,
                         "%s: policy '%s' is not in the policy register", o->id, o->policy_refs[r]);
            }
        }
        for (size_t r = 0; ctx && ctx->n_risks && r < o->n_risk_refs; r++) {
            int found = 0;
            for (size_t p = 0; p < ctx->n_risks && !found; p++) {
                found = strcmp(ctx->risks[p]->id, o->risk_refs[r]) == 0;
            }
            if (!found) {
                json_t *j = json_pack("{s:s, s:s}", "kind", "risk", "ref", o->risk_refs[r]);
                lint_add(L, LG_DANGLING, o->id, j, "%s: risk '%s' is not in the risk register",
                         o->id, o->risk_refs[r]);
            }
        }
        if (o->parent_id && *o->parent_id) {
            const Ismo__V1__Objective *p = find_objective(l, o->parent_id);
            if (!p || p->retired) {
                json_t *j = json_pack("{s:s, s:s}", "kind", "parent", "ref", o->parent_id);
                lint_add(L, LG_DANGLING, o->id, j, "%s: parent '%s' %s", o->id, o->parent_id,
                         p ? "is retired" : "is not an objective");
            } else if (o->has_level && p->has_level && o->level && p->level &&
                       p->level > o->level) {
                json_t *j = json_pack("{s:s, s:s}", "problem", "level inversion", "parent",
                                      p->id);
                lint_add(L, LG_TREE, o->id, j, "%s (%s) has the parent %s (%s), a lower level",
                         o->id, ismo_level_name(o->level), p->id, ismo_level_name(p->level));
            }
        }
        /* a parent cycle through o, reported once: at its smallest id */
        const Ismo__V1__Objective *cur = o;
        int is_min = 1, cycle = 0;
        char path[2048];
        snprintf(path, sizeof path, "%s", o->id);
        for (size_t step = 0; step <= l->n_objectives; step++) {
            cur = cur->parent_id && *cur->parent_id ? find_objective(l, cur->parent_id) : NULL;
            if (!cur) {
                break;
            }
            size_t used = strlen(path);
            snprintf(path + used, sizeof path - used, " -> %s", cur->id);
            if (cur == o) {
                cycle = 1;
                break;
            }
            is_min &= strcmp(o->id, cur->id) < 0;
        }
        if (cycle && is_min) {
            json_t *j = json_pack("{s:s, s:s}", "problem", "cycle", "path", path);
            lint_add(L, LG_TREE, o->id, j, "%s: parent cycle %s", o->id, path);
        }
    }
}

/* The organisation-wide checks: policies no objective supports, high risks
 * no objective treats (retired objectives do not count). */
static void lint_context(lint_out *L, const Ismo__V1__ListObjectivesReply *l,
                         const Ismo__V1__ListContextReply *ctx)
{
    for (size_t p = 0; p < ctx->n_policies; p++) {
        const Ismo__V1__PolicyCommitment *pc = ctx->policies[p];
        int used = 0;
        for (size_t i = 0; i < l->n_objectives && !used; i++) {
            const Ismo__V1__Objective *o = l->objectives[i];
            for (size_t r = 0; !o->retired && r < o->n_policy_refs && !used; r++) {
                used = strcmp(o->policy_refs[r], pc->id) == 0;
            }
        }
        if (!used) {
            json_t *j = json_pack("{s:s}", "commitment", pc->text ? pc->text : "");
            lint_add(L, LG_POLICIES, pc->id, j, "%s: \"%s\"%s%s%s", pc->id,
                     pc->text ? pc->text : "", pc->source ? " (" : "",
                     pc->source ? pc->source : "", pc->source ? ")" : "");
        }
    }
    for (size_t k = 0; k < ctx->n_risks; k++) {
        const Ismo__V1__Risk *rk = ctx->risks[k];
        if (!rk->high) {
            continue;
        }
        int used = 0;
        for (size_t i = 0; i < l->n_objectives && !used; i++) {
            const Ismo__V1__Objective *o = l->objectives[i];
            for (size_t r = 0; !o->retired && r < o->n_risk_refs && !used; r++) {
                used = strcmp(o->risk_refs[r], rk->id) == 0;
            }
        }
        if (!used) {
            char score[32] = "";
            if (rk->has_score) {
                snprintf(score, sizeof score, ", score %g", rk->score);
            }
            json_t *j = json_pack("{s:s, s:s, s:s}", "title", rk->title ? rk->title : "",
                                  "rating", rk->rating ? rk->rating : "", "treatment",
                                  rk->treatment ? rk->treatment : "");
            json_object_set_new(j, "score", rk->has_score ? json_real(rk->score) : json_null());
            lint_add(L, LG_RISKS, rk->id, j, "%s: %s (%s%s%s%s)", rk->id,
                     rk->title ? rk->title : "", rk->rating && *rk->rating ? rk->rating : "high",
                     score, rk->treatment && *rk->treatment ? ", treatment " : "",
                     rk->treatment && *rk->treatment ? rk->treatment : "");
        }
    }
}

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
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        ismo_client_destroy(&client);
        return rc;
    }
    lint_out L = {.notes = json_array()};
    for (int g = 0; g < LG_COUNT; g++) {
        L.group[g] = json_array();
    }
    const Ismo__V1__ListContextReply *ctx = NULL;
    err = ismo_list_context(client, &creply);
    if (err == ISMO_OK && creply && creply->list_context) {
        ctx = creply->list_context;
    } else if (err == ISMO_ERR_TIMEOUT) {
        int rc = cli_call_failed(cli, client, err, "cannot list the policy and risk registers");
        ismo__v1__reply__free_unpacked(reply, NULL);
        if (creply) {
            ismo__v1__reply__free_unpacked(creply, NULL);
        }
        for (int g = 0; g < LG_COUNT; g++) {
            json_decref(L.group[g]);
        }
        json_decref(L.notes);
        ismo_client_destroy(&client);
        return rc;
    } else {
        char note[512];
        snprintf(note, sizeof note,
                 "policy and risk references not checked: cannot list ismod's registers (%s)",
                 ismo_client_error(client));
        json_array_append_new(L.notes, json_string(note));
    }
    const Ismo__V1__ListObjectivesReply *l = reply->list_objectives;
    lint_objectives(&L, l, ctx, function);
    if (ctx && !function) {
        lint_context(&L, l, ctx);
    }
    if (ctx && ctx->n_policies == 0) {
        json_array_append_new(L.notes, json_string("no policy register stored (ismo import "
                                                   "--policies FILE): policy references and "
                                                   "policy coverage not checked"));
    }
    if (ctx && ctx->n_risks == 0) {
        json_array_append_new(L.notes, json_string("no risk register stored (ismo import --risks "
                                                   "FILE): risk references and high-risk "
                                                   "coverage not checked"));
    }
    if (function && ctx) {
        json_array_append_new(L.notes, json_string("with --function the organisation-wide checks "
                                                   "(policy and high-risk coverage) are left out"));
    }
    size_t checked = 0, findings = 0;
    for (size_t i = 0; i < l->n_objectives; i++) {
        checked += lint_in_scope(l->objectives[i], function);
    }
    for (int g = 0; g < LG_COUNT; g++) {
        findings += json_array_size(L.group[g]);
    }
    size_t lacking = json_array_size(L.group[LG_SMART]);
    if (as_json) {
        json_t *root = json_object();
        json_object_set_new(root, "objectives_checked", json_integer((json_int_t)checked));
        json_object_set_new(root, "findings", json_integer((json_int_t)findings));
        json_object_set_new(root, "policies", json_integer(ctx ? (json_int_t)ctx->n_policies : 0));
        json_object_set_new(root, "risks", json_integer(ctx ? (json_int_t)ctx->n_risks : 0));
        for (int g = 0; g < LG_COUNT; g++) {
            json_object_set(root, lint_keys[g], L.group[g]);
        }
        json_object_set(root, "notes", L.notes);
        char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(root);
    } else {
        for (int g = 0; g < LG_COUNT; g++) {
            size_t n = json_array_size(L.group[g]);
            if (n == 0) {
                continue;
            }
            printf("== %s: %zu\n", lint_titles[g], n);
            for (size_t i = 0; i < n; i++) {
                printf("%s\n", json_string_value(json_object_get(json_array_get(L.group[g], i),
                                                                 "text")));
            }
            printf("\n");
        }
        for (size_t i = 0; i < json_array_size(L.notes); i++) {
            printf("note: %s\n", json_string_value(json_array_get(L.notes, i)));
        }
        printf("%zu objective%s checked: %zu complete (SMART, with a plan), %zu lacking something\n",
               checked, checked == 1 ? "" : "s", checked - lacking, lacking);
        printf("%zu finding%s\n", findings, findings == 1 ? "" : "s");
    }
    for (int g = 0; g < LG_COUNT; g++) {
        json_decref(L.group[g]);
    }
    json_decref(L.notes);
    ismo__v1__reply__free_unpacked(reply, NULL);
    if (creply) {
        ismo__v1__reply__free_unpacked(creply, NULL);
    }
    ismo_client_destroy(&client);
    return findings ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}
