/* register_export: objectives -> register text, YAML or ismo CSV; the
 * inverse of the readers in register.c (see ismo_register_export in
 * register.h).
 *
 * Owns nothing beyond the text it returns. Does not read files, talk to
 * ismod or decide what to export (cmd_export.c does). Single-threaded.
 *
 * Round trip: every value is written in a form the reader parses back to
 * the same value: numbers with the fewest digits that read back exactly,
 * start-of-period instants ("start", "baseline_at", "from", review dates) as
 * a date when at midnight UTC, end-of-period instants ("deadline", "due",
 * "to") as the last day they include (the reader's date-only rule), other
 * instants in full; durations as ismo_duration_format_ms. Strings are plain
 * YAML only when made of a few safe characters, else double-quoted with
 * escapes (also for U+0085, U+2028, U+2029, which YAML would read as line
 * breaks); CSV cells are quoted when they hold a comma, quote, line break
 * or outer blank. So export -> import -> export is byte-identical. */
#include "register.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ismo_time.h"

static void oom(void)
{
    fprintf(stderr, "ismo: out of memory\n");
    abort();
}

/* ---- values -------------------------------------------------------------------- */

static char *fmt_num(double d, char *buf, size_t len)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            break;
        }
    }
    return buf;
}

static char *fmt_start(int64_t ms, char *buf, size_t len)
{
    return ms % ISMO_DAY_MS == 0 ? ismo_date_format_ms(ms, buf, len)
                                 : ismo_time_format_ms(ms, buf, len);
}

static char *fmt_end(int64_t ms, char *buf, size_t len)
{
    return ismo_deadline_format_ms(ms, buf, len);
}

static char *fmt_dur(int64_t ms, char *buf, size_t len)
{
    return ismo_duration_format_ms(ms, buf, len);
}

static int set(const char *s) { return s && *s; }

/* ---- order: parents before children --------------------------------------------- */

typedef struct ord_ctx {
    Ismo__V1__Objective *const *o;
} ord_ctx;

static ord_ctx g_ord; /* qsort has no context argument; single-threaded module */

static const char *pid(const Ismo__V1__Objective *o) { return o->parent_id ? o->parent_id : ""; }

static int by_id(const void *a, const void *b)
{
    return strcmp(g_ord.o[*(const size_t *)a]->id, g_ord.o[*(const size_t *)b]->id);
}

static int by_parent_id(const void *a, const void *b)
{
    const Ismo__V1__Objective *x = g_ord.o[*(const size_t *)a], *y = g_ord.o[*(const size_t *)b];
    int c = strcmp(pid(x), pid(y));
    return c ? c : strcmp(x->id, y->id);
}

/* First index in byp (sorted by parent, id) whose parent is id. */
static size_t children_from(const size_t *byp, size_t n, const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(pid(g_ord.o[byp[mid]]), id) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static int id_known(const size_t *byid, size_t n, const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g_ord.o[byid[mid]]->id, id);
        if (c == 0) {
            return 1;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return 0;
}

static size_t *tree_order(Ismo__V1__Objective *const *o, size_t n)
{
    g_ord.o = o;
    size_t *byid = calloc(n + 1, sizeof *byid), *byp = calloc(n + 1, sizeof *byp);
    size_t *out = calloc(n + 1, sizeof *out), *stack = calloc(n + 1, sizeof *stack);
    char *seen = calloc(n + 1, 1);
    if (!byid || !byp || !out || !stack || !seen) {
        oom();
    }
    for (size_t i = 0; i < n; i++) {
        byid[i] = byp[i] = i;
    }
    qsort(byid, n, sizeof *byid, by_id);
    qsort(byp, n, sizeof *byp, by_parent_id);
    size_t k = 0;
    for (size_t r = 0; r < n; r++) {
        size_t root = byid[r];
        const char *p = pid(o[root]);
        if (seen[root] || (*p && id_known(byid, n, p))) {
            continue;
        }
        size_t top = 0;
        stack[top++] = root;
        seen[root] = 1;
        while (top > 0) {
            size_t cur = stack[--top];
            out[k++] = cur;
            /* push children in reverse id order so they pop in id order */
            size_t first = children_from(byp, n, o[cur]->id), last = first;
            while (last < n && strcmp(pid(o[byp[last]]), o[cur]->id) == 0) {
                last++;
            }
            for (size_t c = last; c > first; c--) {
                size_t ch = byp[c - 1];
                if (!seen[ch]) {
                    seen[ch] = 1;
                    stack[top++] = ch;
                }
            }
        }
    }
    for (size_t r = 0; r < n; r++) { /* cycles (and what hangs below them) */
        if (!seen[byid[r]]) {
            out[k++] = byid[r];
        }
    }
    free(byid);
    free(byp);
    free(stack);
    free(seen);
    return out;
}

/* ---- YAML ------------------------------------------------------------------------ */

static int plain_ok(const char *s, int flow)
{
    static const char *const words[] = {"null", "true", "false", "yes", "no", "on",
                                        "off",  "y",    "n",     "~"};
    size_t n = strlen(s);
    if (n == 0 || !isalnum((unsigned char)s[0]) || s[n - 1] == ' ') {
        return 0;
    }
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80 || !(isalnum(c) || strchr(flow ? " ._/%+=<>-" : " ._/%+=<>-,()'&;", c))) {
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcasecmp(s, words[i]) == 0) {
            return 0;
        }
    }
    return 1;
}

static void yq(FILE *f, const char *s, int flow)
{
    if (plain_ok(s, flow)) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p);
        } else if (*p == '\n') {
            fputs("\\n", f);
        } else if (*p == '\t') {
            fputs("\\t", f);
        } else if (*p == '\r') {
            fputs("\\r", f);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\x%02x", *p);
        } else if (p[0] == 0xc2 && p[1] == 0x85) {
            fputs("\\N", f); /* NEL */
            p++;
        } else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            fputs(p[2] == 0xa8 ? "\\L" : "\\P", f); /* line / paragraph separator */
            p += 2;
        } else if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
            fputs("\\uFEFF", f);
            p += 2;
        } else {
            fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void ykv(FILE *f, const char *ind, const char *k, const char *v)
{
    if (set(v)) {
        fprintf(f, "%s%s: ", ind, k);
        yq(f, v, 0);
        fputc('\n', f);
    }
}

static void yraw(FILE *f, const char *ind, const char *k, const char *v)
{
    fprintf(f, "%s%s: %s\n", ind, k, v);
}

static void ystrv(FILE *f, const char *ind, const char *k, char **v, size_t n)
{
    if (n == 0) {
        return;
    }
    fprintf(f, "%s%s: [", ind, k);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        yq(f, v[i] ? v[i] : "", 1);
    }
    fputs("]\n", f);
}

static void ytimes(FILE *f, const char *ind, const char *k, const int64_t *v, size_t n, int dur)
{
    if (n == 0) {
        return;
    }
    char b[40];
    fprintf(f, "%s%s: [", ind, k);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s%s", i ? ", " : "", dur ? fmt_dur(v[i], b, sizeof b) : fmt_start(v[i], b, sizeof b));
    }
    fputs("]\n", f);
}

static void yaml_objective(FILE *f, const Ismo__V1__Objective *o)
{
    char b[64];
    const char *I = "    ";
    fputs("  - id: ", f);
    yq(f, o->id, 0);
    fputc('\n', f);
    ykv(f, I, "title", o->title);
    ykv(f, I, "description", o->description);
    if (o->has_level && o->level) {
        yraw(f, I, "level", ismo_level_name(o->level));
    }
    ykv(f, I, "function", o->function);
    ykv(f, I, "owner", o->owner);
    ykv(f, I, "parent", o->parent_id);
    const Ismo__V1__Metric *m = o->metric;
    if (m) {
        fprintf(f, "%smetric:\n", I);
        const char *M = "      ";
        ykv(f, M, "name", m->name);
        ykv(f, M, "unit", m->unit);
        if (m->has_value_kind) {
            yraw(f, M, "value_kind", ismo_value_kind_name(m->value_kind));
        }
        if (m->has_direction && m->direction) {
            yraw(f, M, "direction", ismo_direction_name(m->direction));
        }
        if (m->has_aggregation) {
            yraw(f, M, "aggregation", ismo_aggregation_name(m->aggregation));
        }
        if (m->has_window_ms) {
            yraw(f, M, "window", fmt_dur(m->window_ms, b, sizeof b));
        }
        if (m->has_frequency_ms) {
            yraw(f, M, "frequency", fmt_dur(m->frequency_ms, b, sizeof b));
        }
        if (m->has_period) {
            yraw(f, M, "period", ismo_period_name(m->period));
        }
    }
    if (o->has_baseline) {
        yraw(f, I, "baseline", fmt_num(o->baseline, b, sizeof b));
    }
    if (o->has_baseline_at_ms && o->baseline_at_ms) {
        yraw(f, I, "baseline_at", fmt_start(o->baseline_at_ms, b, sizeof b));
    }
    if (o->has_target) {
        yraw(f, I, "target", fmt_num(o->target, b, sizeof b));
    }
    if (o->has_target_exclusive && o->target_exclusive) {
        yraw(f, I, "target_exclusive", "true");
    }
    if (o->has_target_mode) {
        yraw(f, I, "target_mode", ismo_target_mode_name(o->target_mode));
    }
    if (o->n_period_targets) {
        fprintf(f, "%speriod_targets:\n", I);
        for (size_t i = 0; i < o->n_period_targets; i++) {
            const Ismo__V1__PeriodTarget *p = o->period_targets[i];
            char x[40], y[40];
            fprintf(f, "%s  - {label: ", I);
            yq(f, p->label ? p->label : "", 1);
            fprintf(f, ", from: %s, to: %s, target: %s}\n", fmt_start(p->from_ms, x, sizeof x),
                    fmt_end(p->to_ms, y, sizeof y), fmt_num(p->target, b, sizeof b));
        }
    }
    if (o->has_start_ms && o->start_ms) {
        yraw(f, I, "start", fmt_start(o->start_ms, b, sizeof b));
    }
    if (o->has_deadline_ms && o->deadline_ms) {
        yraw(f, I, "deadline", fmt_end(o->deadline_ms, b, sizeof b));
    }
    if (o->has_review_cadence_ms) {
        yraw(f, I, "review_cadence", fmt_dur(o->review_cadence_ms, b, sizeof b));
    }
    if (o->has_not_measurable && o->not_measurable) {
        yraw(f, I, "not_measurable", "true");
    }
    ykv(f, I, "not_measurable_reason", o->not_measurable_reason);
    ytimes(f, I, "review_dates", o->review_dates_ms, o->n_review_dates_ms, 0);
    ytimes(f, I, "reminders", o->reminder_offsets_ms, o->n_reminder_offsets_ms, 1);
    if (o->has_overdue_repeat_ms && o->overdue_repeat_ms) {
        yraw(f, I, "overdue_repeat",
             o->overdue_repeat_ms < 0 ? "never" : fmt_dur(o->overdue_repeat_ms, b, sizeof b));
    }
    if (o->has_escalate_after && o->escalate_after) {
        snprintf(b, sizeof b, "%u", o->escalate_after);
        yraw(f, I, "escalate_after", b);
    }
    ykv(f, I, "escalate_to", o->escalate_to);
    ystrv(f, I, "policy_refs", o->policy_refs, o->n_policy_refs);
    ystrv(f, I, "risk_refs", o->risk_refs, o->n_risk_refs);
    ystrv(f, I, "controls", o->control_refs, o->n_control_refs);
    ykv(f, I, "evaluation_method", o->evaluation_method);
    if (o->n_actions) {
        fprintf(f, "%splan:\n", I);
        for (size_t i = 0; i < o->n_actions; i++) {
            const Ismo__V1__Action *a = o->actions[i];
            const char *A = "        ";
            /* the first key carries the list dash */
            fputs("      -", f);
            int first = 1;
#define FIRST_IND (first ? (first = 0, " ") : A)
            if (set(a->id)) {
                ykv(f, FIRST_IND, "id", a->id);
            }
            if (set(a->what)) {
                ykv(f, FIRST_IND, "what", a->what);
            }
            if (set(a->resources)) {
                ykv(f, FIRST_IND, "resources", a->resources);
            }
            if (set(a->responsible)) {
                ykv(f, FIRST_IND, "responsible", a->responsible);
            }
            if (a->has_due_ms && a->due_ms) {
                yraw(f, FIRST_IND, "due", fmt_end(a->due_ms, b, sizeof b));
            }
            if (a->has_status) {
                yraw(f, FIRST_IND, "status", ismo_action_status_name(a->status));
            }
            if (a->n_reminder_offsets_ms) {
                ytimes(f, FIRST_IND, "reminders", a->reminder_offsets_ms, a->n_reminder_offsets_ms, 1);
            }
            if (first) {
                fputs(" {}\n", f); /* an empty action */
            }
#undef FIRST_IND
        }
    }
    if (o->n_import_notes) {
        fprintf(f, "%simport_notes:\n", I);
        for (size_t i = 0; i < o->n_import_notes; i++) {
            const Ismo__V1__ImportNote *n = o->import_notes[i];
            fputs("      - field: ", f);
            yq(f, n->field ? n->field : "", 0);
            fputs("\n        text: ", f);
            yq(f, n->text ? n->text : "", 0);
            fputs("\n        problem: ", f);
            yq(f, n->problem ? n->problem : "", 0);
            fputc('\n', f);
        }
    }
}

/* ---- ismo CSV ---------------------------------------------------------------------- */

/* The columns, in the order written; the names are those register.c reads
 * (ismo_csv_columns there). */
enum {
    X_ID, X_ROW, X_TITLE, X_DESCRIPTION, X_LEVEL, X_FUNCTION, X_OWNER, X_PARENT, X_METRIC,
    X_UNIT, X_VALUE_KIND, X_DIRECTION, X_AGGREGATION, X_WINDOW, X_FREQUENCY, X_PERIOD,
    X_BASELINE, X_BASELINE_AT, X_TARGET, X_TARGET_EXCLUSIVE, X_TARGET_MODE, X_START,
    X_DEADLINE, X_REVIEW_CADENCE, X_POLICY_REFS, X_RISK_REFS, X_CONTROLS, X_EVALUATION,
    X_NOT_MEASURABLE, X_NM_REASON, X_REVIEW_DATES, X_REMINDERS, X_OVERDUE_REPEAT,
    X_ESCALATE_AFTER, X_ESCALATE_TO, X_ACTION_ID, X_WHAT, X_RESOURCES, X_RESPONSIBLE, X_DUE,
    X_ACTION_STATUS, X_ACTION_REMINDERS, X_PT_LABEL, X_PT_FROM, X_PT_TO, X_PT_TARGET,
    X_NOTE_FIELD, X_NOTE_TEXT, X_NOTE_PROBLEM, X_COUNT
};

static const char *const x_names[X_COUNT] = {
    "ID", "Row", "Objective", "Description", "Level", "Function", "Owner", "Parent", "Metric",
    "Unit", "Value Kind", "Direction", "Aggregation", "Window", "Frequency", "Calendar Period",
    "Baseline", "Baseline At", "Target", "Target Exclusive", "Target Mode", "Start", "Deadline",
    "Review Cadence", "Policy Refs", "Risk Refs", "Controls", "Evaluation Method",
    "Not Measurable", "Not Measurable Reason", "Review Dates", "Reminders", "Overdue Repeat",
    "Escalate After", "Escalate To", "Action Id", "What", "Resources", "Responsible", "Due",
    "Action Status", "Action Reminders", "Period Label", "Period From", "Period To",
    "Period Target", "Note Field", "Note Text", "Note Problem"};

typedef struct xrow {
    char *cell[X_COUNT];
} xrow;

static void xset(xrow *r, int c, const char *s)
{
    free(r->cell[c]);
    r->cell[c] = s ? strdup(s) : NULL;
    if (s && !r->cell[c]) {
        oom();
    }
}

/* A list cell: one item per line; "\" and newlines inside an item escaped. */
static void xlist(xrow *r, int c, char *const *items, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        oom();
    }
    for (size_t i = 0; i < n; i++) {
        fputs(i ? "\n" : "", f);
        for (const char *p = items[i] ? items[i] : ""; *p; p++) {
            if (*p == '\\') {
                fputs("\\\\", f);
            } else if (*p == '\n') {
                fputs("\\n", f);
            } else {
                fputc(*p, f);
            }
        }
    }
    fclose(f);
    xset(r, c, n ? buf : NULL);
    free(buf);
}

static void xtimes(xrow *r, int c, const int64_t *v, size_t n, int dur)
{
    char **items = calloc(n + 1, sizeof *items);
    if (!items) {
        oom();
    }
    for (size_t i = 0; i < n; i++) {
        char b[40];
        items[i] = strdup(dur ? fmt_dur(v[i], b, sizeof b) : fmt_start(v[i], b, sizeof b));
        if (!items[i]) {
            oom();
        }
    }
    xlist(r, c, items, n);
    for (size_t i = 0; i < n; i++) {
        free(items[i]);
    }
    free(items);
}

static void csv_cell(FILE *f, const char *s)
{
    if (!s) {
        return;
    }
    size_t n = strlen(s);
    int quote = n > 0 && (strpbrk(s, ",\"\r\n") || isspace((unsigned char)s[0]) ||
                          isspace((unsigned char)s[n - 1]));
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"') {
            fputc('"', f);
        }
        fputc(*p, f);
    }
    fputc('"', f);
}

static void xflush(FILE *f, xrow *r)
{
    for (int c = 0; c < X_COUNT; c++) {
        if (c) {
            fputc(',', f);
        }
        csv_cell(f, r->cell[c]);
        free(r->cell[c]);
        r->cell[c] = NULL;
    }
    fputc('\n', f);
}

static void csv_objective(FILE *f, const Ismo__V1__Objective *o)
{
    char b[64];
    xrow r = {{NULL}};
    xset(&r, X_ID, o->id);
    xset(&r, X_ROW, "objective");
    xset(&r, X_TITLE, o->title);
    xset(&r, X_DESCRIPTION, o->description);
    if (o->has_level && o->level) {
        xset(&r, X_LEVEL, ismo_level_name(o->level));
    }
    xset(&r, X_FUNCTION, o->function);
    xset(&r, X_OWNER, o->owner);
    xset(&r, X_PARENT, set(o->parent_id) ? o->parent_id : NULL);
    const Ismo__V1__Metric *m = o->metric;
    if (m) {
        xset(&r, X_METRIC, m->name);
        xset(&r, X_UNIT, m->unit);
        if (m->has_value_kind) {
            xset(&r, X_VALUE_KIND, ismo_value_kind_name(m->value_kind));
        }
        if (m->has_direction && m->direction) {
            xset(&r, X_DIRECTION, ismo_direction_name(m->direction));
        }
        if (m->has_aggregation) {
            xset(&r, X_AGGREGATION, ismo_aggregation_name(m->aggregation));
        }
        if (m->has_window_ms) {
            xset(&r, X_WINDOW, fmt_dur(m->window_ms, b, sizeof b));
        }
        if (m->has_frequency_ms) {
            xset(&r, X_FREQUENCY, fmt_dur(m->frequency_ms, b, sizeof b));
        }
        if (m->has_period) {
            xset(&r, X_PERIOD, ismo_period_name(m->period));
        }
    }
    if (o->has_baseline) {
        xset(&r, X_BASELINE, fmt_num(o->baseline, b, sizeof b));
    }
    if (o->has_baseline_at_ms && o->baseline_at_ms) {
        xset(&r, X_BASELINE_AT, fmt_start(o->baseline_at_ms, b, sizeof b));
    }
    if (o->has_target) {
        xset(&r, X_TARGET, fmt_num(o->target, b, sizeof b));
    }
    if (o->has_target_exclusive && o->target_exclusive) {
        xset(&r, X_TARGET_EXCLUSIVE, "true");
    }
    if (o->has_target_mode) {
        xset(&r, X_TARGET_MODE, ismo_target_mode_name(o->target_mode));
    }
    if (o->has_start_ms && o->start_ms) {
        xset(&r, X_START, fmt_start(o->start_ms, b, sizeof b));
    }
    if (o->has_deadline_ms && o->deadline_ms) {
        xset(&r, X_DEADLINE, fmt_end(o->deadline_ms, b, sizeof b));
    }
    if (o->has_review_cadence_ms) {
        xset(&r, X_REVIEW_CADENCE, fmt_dur(o->review_cadence_ms, b, sizeof b));
    }
    xlist(&r, X_POLICY_REFS, o->policy_refs, o->n_policy_refs);
    xlist(&r, X_RISK_REFS, o->risk_refs, o->n_risk_refs);
    xlist(&r, X_CONTROLS, o->control_refs, o->n_control_refs);
    xset(&r, X_EVALUATION, o->evaluation_method);
    if (o->has_not_measurable && o->not_measurable) {
        xset(&r, X_NOT_MEASURABLE, "true");
    }
    xset(&r, X_NM_REASON, o->not_measurable_reason);
    xtimes(&r, X_REVIEW_DATES, o->review_dates_ms, o->n_review_dates_ms, 0);
    xtimes(&r, X_REMINDERS, o->reminder_offsets_ms, o->n_reminder_offsets_ms, 1);
    if (o->has_overdue_repeat_ms && o->overdue_repeat_ms) {
        xset(&r, X_OVERDUE_REPEAT,
             o->overdue_repeat_ms < 0 ? "never" : fmt_dur(o->overdue_repeat_ms, b, sizeof b));
    }
    if (o->has_escalate_after && o->escalate_after) {
        snprintf(b, sizeof b, "%u", o->escalate_after);
        xset(&r, X_ESCALATE_AFTER, b);
    }
    xset(&r, X_ESCALATE_TO, o->escalate_to);
    xflush(f, &r);
    for (size_t i = 0; i < o->n_actions; i++) {
        const Ismo__V1__Action *a = o->actions[i];
        xset(&r, X_ID, o->id);
        xset(&r, X_ROW, "action");
        xset(&r, X_ACTION_ID, set(a->id) ? a->id : NULL);
        xset(&r, X_WHAT, a->what);
        xset(&r, X_RESOURCES, a->resources);
        xset(&r, X_RESPONSIBLE, a->responsible);
        if (a->has_due_ms && a->due_ms) {
            xset(&r, X_DUE, fmt_end(a->due_ms, b, sizeof b));
        }
        if (a->has_status) {
            xset(&r, X_ACTION_STATUS, ismo_action_status_name(a->status));
        }
        xtimes(&r, X_ACTION_REMINDERS, a->reminder_offsets_ms, a->n_reminder_offsets_ms, 1);
        xflush(f, &r);
    }
    for (size_t i = 0; i < o->n_period_targets; i++) {
        const Ismo__V1__PeriodTarget *p = o->period_targets[i];
        xset(&r, X_ID, o->id);
        xset(&r, X_ROW, "period target");
        xset(&r, X_PT_LABEL, p->label);
        xset(&r, X_PT_FROM, fmt_start(p->from_ms, b, sizeof b));
        xset(&r, X_PT_TO, fmt_end(p->to_ms, b, sizeof b));
        xset(&r, X_PT_TARGET, fmt_num(p->target, b, sizeof b));
        xflush(f, &r);
    }
    for (size_t i = 0; i < o->n_import_notes; i++) {
        const Ismo__V1__ImportNote *n = o->import_notes[i];
        xset(&r, X_ID, o->id);
        xset(&r, X_ROW, "note");
        xset(&r, X_NOTE_FIELD, n->field);
        xset(&r, X_NOTE_TEXT, n->text);
        xset(&r, X_NOTE_PROBLEM, n->problem);
        xflush(f, &r);
    }
}

/* ---- entry ------------------------------------------------------------------------- */

char *ismo_register_export(Ismo__V1__Objective *const *objectives, size_t n,
                           ismo_register_format format, size_t *len_p)
{
    if (format != ISMO_REGISTER_YAML && format != ISMO_REGISTER_ISMO_CSV) {
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        oom();
    }
    size_t *order = tree_order(objectives, n);
    if (format == ISMO_REGISTER_YAML) {
        fputs("# ismo register (docs/cli.md \"YAML register format\"), written by ismo export.\n"
              "# Import with: ismo import FILE\n",
              f);
        fputs(n ? "objectives:\n" : "objectives: []\n", f);
        for (size_t i = 0; i < n; i++) {
            if (i) {
                fputc('\n', f);
            }
            yaml_objective(f, objectives[order[i]]);
        }
    } else {
        for (int c = 0; c < X_COUNT; c++) {
            fprintf(f, "%s%s", c ? "," : "", x_names[c]);
        }
        fputc('\n', f);
        for (size_t i = 0; i < n; i++) {
            csv_objective(f, objectives[order[i]]);
        }
    }
    free(order);
    if (fclose(f) != 0) {
        oom();
    }
    if (len_p) {
        *len_p = len;
    }
    return buf;
}

/* ---- policy and risk registers ---------------------------------------------------- */

static void yctx_kv(FILE *f, const char *first, const char *k, const char *v)
{
    if (set(v)) {
        fprintf(f, "%s%s: ", first, k);
        yq(f, v, 0);
        fputc('\n', f);
    }
}

char *ismo_register_export_policies(Ismo__V1__PolicyCommitment *const *p, size_t n,
                                    ismo_register_format format, size_t *len_p)
{
    if (format != ISMO_REGISTER_YAML && format != ISMO_REGISTER_ISMO_CSV) {
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        oom();
    }
    if (format == ISMO_REGISTER_YAML) {
        fputs("# ismo policy register (docs/cli.md \"Policy and risk registers\"), written by\n"
              "# ismo export --policies. Import with: ismo import --policies FILE\n",
              f);
        fputs(n ? "policies:\n" : "policies: []\n", f);
        for (size_t i = 0; i < n; i++) {
            fputs("  - id: ", f);
            yq(f, p[i]->id ? p[i]->id : "", 0);
            fputc('\n', f);
            yctx_kv(f, "    ", "text", p[i]->text);
            yctx_kv(f, "    ", "source", p[i]->source);
        }
    } else {
        fputs("ID,Commitment,Source\n", f);
        for (size_t i = 0; i < n; i++) {
            csv_cell(f, p[i]->id);
            fputc(',', f);
            csv_cell(f, p[i]->text);
            fputc(',', f);
            csv_cell(f, p[i]->source);
            fputc('\n', f);
        }
    }
    if (fclose(f) != 0) {
        oom();
    }
    if (len_p) {
        *len_p = len;
    }
    return buf;
}

char *ismo_register_export_risks(Ismo__V1__Risk *const *r, size_t n, ismo_register_format format,
                                 size_t *len_p)
{
    if (format != ISMO_REGISTER_YAML && format != ISMO_REGISTER_ISMO_CSV) {
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    char num[64];
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        oom();
    }
    if (format == ISMO_REGISTER_YAML) {
        fputs("# ismo risk register (docs/cli.md \"Policy and risk registers\"), written by\n"
              "# ismo export --risks. Import with: ismo import --risks FILE\n",
              f);
        fputs(n ? "risks:\n" : "risks: []\n", f);
        for (size_t i = 0; i < n; i++) {
            fputs("  - id: ", f);
            yq(f, r[i]->id ? r[i]->id : "", 0);
            fputc('\n', f);
            yctx_kv(f, "    ", "title", r[i]->title);
            yctx_kv(f, "    ", "rating", r[i]->rating);
            if (r[i]->has_score) {
                fprintf(f, "    score: %s\n", fmt_num(r[i]->score, num, sizeof num));
            }
            yctx_kv(f, "    ", "treatment", r[i]->treatment);
            yctx_kv(f, "    ", "owner", r[i]->owner);
        }
    } else {
        fputs("ID,Title,Rating,Score,Treatment,Owner\n", f);
        for (size_t i = 0; i < n; i++) {
            csv_cell(f, r[i]->id);
            fputc(',', f);
            csv_cell(f, r[i]->title);
            fputc(',', f);
            csv_cell(f, r[i]->rating);
            fputc(',', f);
            csv_cell(f, r[i]->has_score ? fmt_num(r[i]->score, num, sizeof num) : NULL);
            fputc(',', f);
            csv_cell(f, r[i]->treatment);
            fputc(',', f);
            csv_cell(f, r[i]->owner);
            fputc('\n', f);
        }
    }
    if (fclose(f) != 0) {
        oom();
    }
    if (len_p) {
        *len_p = len;
    }
    return buf;
}
