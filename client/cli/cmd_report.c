/* cmd_report: "ismo report": the management-review summary of the
 * information security objectives (input to ISO/IEC 27001:2022 9.3, and the
 * documented evidence of 6.2 "monitored"), in Markdown. Reads objectives and
 * their computed status; writes to stdout or a file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

typedef struct row {
    const Ismo__V1__Objective *o;
    const Ismo__V1__Status *s;
} row;

static int row_cmp(const void *a, const void *b)
{
    const row *x = a, *y = b;
    const char *fx = x->o->function ? x->o->function : "";
    const char *fy = y->o->function ? y->o->function : "";
    int c = strcmp(fx, fy);
    return c ? c : strcmp(x->o->id, y->o->id);
}

/* Markdown table cell: no '|' or newline. */
static void md_cell(FILE *f, const char *s)
{
    fputs(" ", f);
    if (!s || !*s) {
        fputs("-", f);
    }
    for (; s && *s; s++) {
        if (*s == '|') {
            fputs("\\|", f);
        } else if (*s == '\n' || *s == '\r') {
            fputc(' ', f);
        } else {
            fputc(*s, f);
        }
    }
    fputs(" |", f);
}

static int is_stale(const row *r)
{
    const Ismo__V1__Metric *m = r->o->metric;
    if (!r->s || !m || m->frequency_ms <= 0 || r->s->last_sample_ms == 0) {
        return 0;
    }
    if (r->o->deadline_ms && r->s->evaluated_ms >= r->o->deadline_ms) {
        return 0; /* over: no further measurement is expected */
    }
    return r->s->evaluated_ms - r->s->last_sample_ms > m->frequency_ms;
}

static void table_header(FILE *f)
{
    fprintf(f, "| Objective | Owner | Target | Current value | Health | Progress / expected | "
               "Next deadline | Reminders |\n");
    fprintf(f, "|---|---|---|---|---|---|---|---|\n");
}

static void table_row(FILE *f, const row *r)
{
    char buf[320], v[64], p[16], e[16];
    const char *unit = r->o->metric ? r->o->metric->unit : NULL;
    fputs("|", f);
    snprintf(buf, sizeof buf, "**%s** %s", r->o->id, r->o->title ? r->o->title : "");
    md_cell(f, buf);
    md_cell(f, r->o->owner);
    md_cell(f, ismo_fmt_target(r->o, buf, sizeof buf));
    md_cell(f, r->s && r->s->has_value ? ismo_fmt_value(r->s->value, unit, v, sizeof v) : "no data");
    md_cell(f, r->s ? ismo_fmt_health(r->s->health) : "-");
    snprintf(buf, sizeof buf, "%s / %s",
             r->s && r->s->has_progress ? ismo_fmt_percent(r->s->progress, p, sizeof p) : "-",
             r->s && r->s->has_expected_progress
                 ? ismo_fmt_percent(r->s->expected_progress, e, sizeof e)
                 : "-");
    md_cell(f, buf);
    int64_t next = r->s && r->s->next_deadline_ms ? r->s->next_deadline_ms : r->o->deadline_ms;
    md_cell(f, ismo_fmt_deadline(next, buf, sizeof buf));
    snprintf(buf, sizeof buf, "%u", r->s ? r->s->reminders_outstanding : 0);
    md_cell(f, buf);
    fputs("\n", f);
}

static void write_report(FILE *f, row *rows, size_t n, const char *function)
{
    char now[40];
    ismo_time_format_ms(ismo_now_ms(), now, sizeof now);
    fprintf(f, "# Information security objectives: management review\n\n");
    fprintf(f, "Generated %s (UTC) by ismo %s%s%s. Input to the management review "
               "(ISO/IEC 27001:2022 clause 9.3); objectives per clause 6.2.\n\n",
            now, ISMO_VERSION, function ? " for function " : "", function ? function : "");
    /* summary: counts per health */
    static const int order[] = {ISMO__V1__HEALTH__ACHIEVED, ISMO__V1__HEALTH__ON_TRACK,
                                ISMO__V1__HEALTH__AT_RISK,  ISMO__V1__HEALTH__OFF_TRACK,
                                ISMO__V1__HEALTH__MISSED,   ISMO__V1__HEALTH__NO_DATA};
    fprintf(f, "## Summary\n\n%zu objective%s:", n, n == 1 ? "" : "s");
    int first = 1;
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++) {
            cnt += rows[i].s && (int)rows[i].s->health == order[k];
        }
        if (cnt) {
            fprintf(f, "%s %zu %s", first ? "" : ",", cnt, ismo_fmt_health(order[k]));
            first = 0;
        }
    }
    size_t unknown = 0;
    for (size_t i = 0; i < n; i++) {
        unknown += !rows[i].s;
    }
    if (unknown) {
        fprintf(f, "%s %zu without status", first ? "" : ",", unknown);
    }
    fprintf(f, "%s\n\n", n == 0 ? " none" : ".");

    /* one table per function */
    fprintf(f, "## Objectives\n");
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(rows[i].o->function ? rows[i].o->function : "",
                             rows[i - 1].o->function ? rows[i - 1].o->function : "") != 0) {
            fprintf(f, "\n### Function: %s\n\n",
                    rows[i].o->function && *rows[i].o->function ? rows[i].o->function : "(none)");
            table_header(f);
        }
        table_row(f, &rows[i]);
    }

    fprintf(f, "\n## Needs attention\n\n");
    size_t attention = 0;
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        int h = r->s ? (int)r->s->health : 0;
        int bad = h == ISMO__V1__HEALTH__OFF_TRACK || h == ISMO__V1__HEALTH__AT_RISK ||
                  h == ISMO__V1__HEALTH__MISSED || h == ISMO__V1__HEALTH__NO_DATA || !r->s;
        int stale = is_stale(r);
        if (!bad && !stale) {
            continue;
        }
        attention++;
        fprintf(f, "- **%s** (%s, owner %s): %s%s", r->o->id,
                r->o->function ? r->o->function : "-", r->o->owner ? r->o->owner : "-",
                r->s ? ismo_fmt_health(h) : "no status", stale ? ", metric stale" : "");
        if (stale) {
            char last[40];
            fprintf(f, " (last sample %s)",
                    ismo_time_format_ms(r->s->last_sample_ms, last, sizeof last));
        }
        if (r->s && r->s->explanation && *r->s->explanation) {
            fprintf(f, ". %s", r->s->explanation);
        }
        fprintf(f, "\n");
    }
    if (!attention) {
        fprintf(f, "Nothing: every objective is on track or achieved, and no metric is stale.\n");
    }

    fprintf(f, "\n## Plans\n\n");
    size_t actions = 0;
    for (size_t i = 0; i < n; i++) {
        const Ismo__V1__Objective *o = rows[i].o;
        if (o->n_actions == 0) {
            continue;
        }
        fprintf(f, "### %s: %s\n\n", o->id, o->title ? o->title : "");
        fprintf(f, "| Action | Resources | Responsible | Due | Status |\n|---|---|---|---|---|\n");
        for (size_t k = 0; k < o->n_actions; k++) {
            const Ismo__V1__Action *a = o->actions[k];
            char due[40];
            fputs("|", f);
            md_cell(f, a->what);
            md_cell(f, a->resources);
            md_cell(f, a->responsible);
            md_cell(f, ismo_fmt_deadline(a->due_ms, due, sizeof due));
            md_cell(f, ismo_action_status_name(a->status));
            fputs("\n", f);
            actions++;
        }
        fprintf(f, "\n");
    }
    if (!actions) {
        fprintf(f, "No plan actions recorded.\n\n");
    }
    size_t noplan = 0;
    for (size_t i = 0; i < n; i++) {
        noplan += rows[i].o->n_actions == 0;
    }
    if (noplan) {
        fprintf(f, "Objectives without a plan (6.2: what, resources, who, when):");
        for (size_t i = 0, k = 0; i < n; i++) {
            if (rows[i].o->n_actions == 0) {
                fprintf(f, "%s %s", k++ ? "," : "", rows[i].o->id);
            }
        }
        fprintf(f, ".\n");
    }
}

int cmd_report(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"function", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    const char *function = NULL, *out = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:o:", opts, NULL)) != -1) {
        if (c == 'f') {
            function = optarg;
        } else if (c == 'o') {
            out = optarg;
        } else {
            int rc = cli_global_option(cli, c, optarg);
            if (rc != CLI_EXIT_OK) {
                return rc < 0 ? CLI_EXIT_OK : rc;
            }
        }
    }
    if (optind < argc) {
        return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    Ismo__V1__Reply *oreply = NULL, *sreply = NULL;
    int rc = CLI_EXIT_OK;
    ismo_err err = ismo_list_objectives(client, function, 0, &oreply);
    if (err != ISMO_OK || !oreply->list_objectives) {
        rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                             "cannot list objectives");
    } else {
        err = ismo_get_status(client, NULL, 0, function, &sreply);
        if (err != ISMO_OK || !sreply->get_status) {
            rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                 "cannot get status");
        }
    }
    if (rc == CLI_EXIT_OK) {
        const Ismo__V1__ListObjectivesReply *l = oreply->list_objectives;
        const Ismo__V1__GetStatusReply *st = sreply->get_status;
        row *rows = calloc(l->n_objectives + 1, sizeof *rows);
        if (!rows) {
            abort();
        }
        size_t n = 0;
        for (size_t i = 0; i < l->n_objectives; i++) {
            if (l->objectives[i]->retired) {
                continue;
            }
            rows[n].o = l->objectives[i];
            for (size_t k = 0; k < st->n_statuses; k++) {
                if (strcmp(st->statuses[k]->objective_id, rows[n].o->id) == 0) {
                    rows[n].s = st->statuses[k];
                }
            }
            n++;
        }
        qsort(rows, n, sizeof *rows, row_cmp);
        FILE *f = stdout;
        if (out && strcmp(out, "-") != 0) {
            f = fopen(out, "w");
            if (!f) {
                rc = cli_fail(cli, "cannot write %s: %s", out, strerror(errno));
            }
        }
        if (f) {
            write_report(f, rows, n, function);
            if (f != stdout) {
                if (fclose(f) != 0) {
                    rc = cli_fail(cli, "cannot write %s: %s", out, strerror(errno));
                } else {
                    fprintf(stderr, "ismo: report: %zu objectives written to %s\n", n, out);
                }
            }
        }
        free(rows);
    }
    if (oreply) {
        ismo__v1__reply__free_unpacked(oreply, NULL);
    }
    if (sreply) {
        ismo__v1__reply__free_unpacked(sreply, NULL);
    }
    ismo_client_destroy(&client);
    return rc;
}
