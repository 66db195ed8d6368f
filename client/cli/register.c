/* register: register file -> objectives, dated samples, policy commitments,
 * risks, warnings (see register.h). Writing registers is register_export.c,
 * checking them register_lint.c.
 *
 * Owns: the parsed objectives, samples, policies and risks (allocated with
 * malloc so that protobuf-c's free_unpacked releases them) and the message
 * lists. Does not own: sockets, the server, output formatting.
 * Single-threaded.
 *
 * One setter per field, by key (objective_set, objective_add_item,
 * action_set, period_target_add), serves the YAML register and the ismo CSV
 * register alike, so the two formats cannot drift apart; values that need
 * the metric (yes/no, durations) wait in an obuild until the objective is
 * read. The free-text value grammar of the Cenedril CSV register
 * ("5.8% (2025-12)", "<5% by 2026-12-31", "100% in 2026-Q3 and Q4",
 * "2h 45min (2025)", "Yes") is parsed by value_parse() and
 * in_periods_parse(); everything it cannot read becomes an ImportNote plus a
 * warning naming the line and column. */
#include "register.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "ismo_time.h"

/* ---- memory and lists ------------------------------------------------------ */

static void oom(void)
{
    fprintf(stderr, "ismo: out of memory\n");
    abort();
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        oom();
    }
    return p;
}

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        oom();
    }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = strndup(s, n);
    if (!d) {
        oom();
    }
    return d;
}

static char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int rc = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        oom();
    }
    return s;
}

/* Append item to a malloc'ed array of pointers. */
static void ptrv_push(void ***arr, size_t *n, void *item)
{
    *arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
    (*arr)[(*n)++] = item;
}

typedef struct strlist {
    char **items;
    size_t n;
} strlist;

static void strlist_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i]);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

struct ismo_register {
    char *name;        /* file name as given, for messages */
    char *base;        /* basename, for sample sources and ids */
    ismo_register_format format;
    Ismo__V1__Objective **objectives;
    int *lines;
    size_t n_objectives;
    Ismo__V1__Sample **samples;
    size_t n_samples;
    Ismo__V1__PolicyCommitment **policies; /* policy register (ismo_register_load_policies) */
    int *policy_lines;
    size_t n_policies;
    Ismo__V1__Risk **risks;                 /* risk register (ismo_register_load_risks) */
    int *risk_lines;
    size_t n_risks;
    strlist warnings;
    strlist errors;
    strlist infos;
    char ref_key[3][32]; /* YAML key last used for policy refs, risk refs, parent */
};

ismo_register_t *ismo_register_new(void) { return xcalloc(1, sizeof(ismo_register_t)); }

void ismo_register_destroy(ismo_register_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    ismo_register_t *self = *self_p;
    for (size_t i = 0; i < self->n_objectives; i++) {
        ismo__v1__objective__free_unpacked(self->objectives[i], NULL);
    }
    free(self->objectives);
    free(self->lines);
    for (size_t i = 0; i < self->n_samples; i++) {
        ismo__v1__sample__free_unpacked(self->samples[i], NULL);
    }
    free(self->samples);
    for (size_t i = 0; i < self->n_policies; i++) {
        ismo__v1__policy_commitment__free_unpacked(self->policies[i], NULL);
    }
    free(self->policies);
    free(self->policy_lines);
    for (size_t i = 0; i < self->n_risks; i++) {
        ismo__v1__risk__free_unpacked(self->risks[i], NULL);
    }
    free(self->risks);
    free(self->risk_lines);
    strlist_free(&self->warnings);
    strlist_free(&self->errors);
    strlist_free(&self->infos);
    free(self->name);
    free(self->base);
    free(self);
    *self_p = NULL;
}

static void msg_add(strlist *l, char *owned) { ptrv_push((void ***)&l->items, &l->n, owned); }

static void reg_warn(ismo_register_t *self, int line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void reg_warn(ismo_register_t *self, int line, const char *column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *body = NULL;
    if (vasprintf(&body, fmt, ap) < 0) {
        oom();
    }
    va_end(ap);
    msg_add(&self->warnings, column ? xprintf("%s:%d: %s: %s", self->name, line, column, body)
                                    : xprintf("%s:%d: %s", self->name, line, body));
    free(body);
}

static void reg_error(ismo_register_t *self, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reg_error(ismo_register_t *self, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *body = NULL;
    if (vasprintf(&body, fmt, ap) < 0) {
        oom();
    }
    va_end(ap);
    msg_add(&self->errors, line > 0 ? xprintf("%s:%d: %s", self->name, line, body)
                                    : xprintf("%s: %s", self->name, body));
    free(body);
}

static void set_name(ismo_register_t *self, const char *name)
{
    free(self->name);
    free(self->base);
    self->name = xstrdup(name);
    const char *slash = strrchr(name, '/');
    self->base = xstrdup(slash ? slash + 1 : name);
}

ismo_register_format ismo_register_format_of(const ismo_register_t *self) { return self->format; }

const char *ismo_register_ref_column(const ismo_register_t *self, int kind)
{
    static const char *const yaml_keys[3] = {"policy_refs", "risk_refs", "parent"};
    static const char *const ismo_csv[3] = {"Policy Refs", "Risk Refs", "Parent"};
    if (kind < 0 || kind > 2) {
        return "";
    }
    if (self->format == ISMO_REGISTER_CSV) {
        return kind < 2 ? "Linked ISO Clause / Risk" : yaml_keys[kind];
    }
    if (self->format == ISMO_REGISTER_ISMO_CSV) {
        return ismo_csv[kind];
    }
    return self->ref_key[kind][0] ? self->ref_key[kind] : yaml_keys[kind];
}
size_t ismo_register_objective_count(const ismo_register_t *self) { return self->n_objectives; }
Ismo__V1__Objective *ismo_register_objective(const ismo_register_t *self, size_t i)
{
    return i < self->n_objectives ? self->objectives[i] : NULL;
}
int ismo_register_objective_line(const ismo_register_t *self, size_t i)
{
    return i < self->n_objectives ? self->lines[i] : 0;
}
size_t ismo_register_sample_count(const ismo_register_t *self) { return self->n_samples; }
Ismo__V1__Sample **ismo_register_samples(const ismo_register_t *self) { return self->samples; }
size_t ismo_register_warning_count(const ismo_register_t *self) { return self->warnings.n; }
const char *ismo_register_warning(const ismo_register_t *self, size_t i)
{
    return i < self->warnings.n ? self->warnings.items[i] : NULL;
}
size_t ismo_register_error_count(const ismo_register_t *self) { return self->errors.n; }
const char *ismo_register_error(const ismo_register_t *self, size_t i)
{
    return i < self->errors.n ? self->errors.items[i] : NULL;
}
size_t ismo_register_info_count(const ismo_register_t *self) { return self->infos.n; }
const char *ismo_register_info(const ismo_register_t *self, size_t i)
{
    return i < self->infos.n ? self->infos.items[i] : NULL;
}

char *ismo_register_function_from(const char *text, char *buf, size_t len)
{
    size_t o = 0;
    int dash = 0;
    size_t cap = len - 1 < ISMO_MAX_FUNCTION_BYTES ? len - 1 : ISMO_MAX_FUNCTION_BYTES;
    for (const char *p = text; *p && o < cap; p++) {
        int c = tolower((unsigned char)*p);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && o > 0 && o + 1 < cap) {
                buf[o++] = '-';
            }
            dash = 0;
            buf[o++] = (char)c;
        } else {
            dash = 1;
        }
    }
    buf[o] = '\0';
    return buf;
}

/* ---- objective building ---------------------------------------------------- */

static Ismo__V1__Objective *objective_alloc(void)
{
    Ismo__V1__Objective *o = xcalloc(1, sizeof *o);
    ismo__v1__objective__init(o);
    return o;
}

static Ismo__V1__Metric *objective_metric(Ismo__V1__Objective *o)
{
    if (!o->metric) {
        o->metric = xcalloc(1, sizeof *o->metric);
        ismo__v1__metric__init(o->metric);
    }
    return o->metric;
}

static void set_str(char **field, const char *value)
{
    free(*field);
    *field = value ? xstrdup(value) : NULL;
}

static void note_add(Ismo__V1__Objective *o, const char *field, const char *text,
                     const char *problem)
{
    Ismo__V1__ImportNote *n = xcalloc(1, sizeof *n);
    ismo__v1__import_note__init(n);
    n->field = xstrdup(field);
    n->text = xstrdup(text ? text : "");
    n->problem = xstrdup(problem);
    ptrv_push((void ***)&o->import_notes, &o->n_import_notes, n);
}

/* A value we could not parse: keep it as an import note and warn. */
static void keep_unparsed(ismo_register_t *self, Ismo__V1__Objective *o, int line,
                          const char *field, const char *text, const char *problem)
{
    note_add(o, field, text, problem);
    reg_warn(self, line, field, "'%s' %s; kept as an import note on %s", text, problem,
             o->id ? o->id : "(no id)");
}

static void strv_add(size_t *n, char ***v, const char *s)
{
    ptrv_push((void ***)v, n, xstrdup(s));
}

static Ismo__V1__Sample *sample_new(const char *objective_id, double value, int64_t at_ms,
                                    const char *source, const char *sample_id)
{
    Ismo__V1__Sample *s = xcalloc(1, sizeof *s);
    ismo__v1__sample__init(s);
    s->objective_id = xstrdup(objective_id);
    s->has_value = 1;
    s->value = value;
    s->has_effective_ms = 1;
    s->effective_ms = at_ms;
    s->source = xstrdup(source);
    s->sample_id = xstrdup(sample_id);
    return s;
}

static void add_sample(ismo_register_t *self, Ismo__V1__Sample *s)
{
    ptrv_push((void ***)&self->samples, &self->n_samples, s);
}

static void add_objective(ismo_register_t *self, Ismo__V1__Objective *o, int line)
{
    ptrv_push((void ***)&self->objectives, &self->n_objectives, o);
    self->lines = xrealloc(self->lines, self->n_objectives * sizeof *self->lines);
    self->lines[self->n_objectives - 1] = line;
}

/* ---- the objective tree as ismod will see it (server/dispatch.c
 * check_parent_chain, h_put_objective) --------------------------------------- */

/* Deepest tree ismod accepts: the parent chain above a new version may be
 * at most this many objectives long (server/dispatch.c MAX_TREE_DEPTH). */
#define TREE_MAX_DEPTH 32

typedef struct tnode {
    const char *id;     /* borrowed */
    const char *parent; /* borrowed; NULL or "" = root */
    int present;        /* held by ismod (stored, or put earlier in the file) */
    int retired;        /* stored as retired */
    uint32_t version;
} tnode;

static int tnode_cmp(const void *a, const void *b)
{
    return strcmp(((const tnode *)a)->id, ((const tnode *)b)->id);
}

static tnode *tnode_find(tnode *v, size_t n, const char *id)
{
    tnode key = {.id = id};
    return bsearch(&key, v, n, sizeof *v, tnode_cmp);
}

/* Replay the PutObjective requests of the file, in file order, on top of
 * stored (what ismod holds, retired included), the way ismod checks each:
 * an objective stored as retired cannot change; the parent chain of the new
 * version must not reach the objective itself (a cycle) nor be longer than
 * TREE_MAX_DEPTH; an unknown parent ends the chain. Adds an error per
 * objective ismod would refuse; returns how many. Duplicate ids must have
 * been refused before (the first definition is used). */
static size_t check_tree(ismo_register_t *self, Ismo__V1__Objective *const *stored,
                         size_t n_stored)
{
    size_t cap = n_stored + self->n_objectives, n = 0, errors = 0;
    if (cap == 0) {
        return 0;
    }
    tnode *v = xcalloc(cap, sizeof *v);
    for (size_t i = 0; i < n_stored; i++) {
        if (stored[i] && stored[i]->id) {
            v[n++] = (tnode){stored[i]->id, stored[i]->parent_id, 1, stored[i]->retired,
                             stored[i]->version};
        }
    }
    for (size_t i = 0; i < self->n_objectives; i++) {
        v[n++] = (tnode){self->objectives[i]->id, NULL, 0, 0, 0};
    }
    qsort(v, n, sizeof *v, tnode_cmp);
    /* one node per id: a stored node (present) wins over the file's */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && strcmp(v[m - 1].id, v[i].id) == 0) {
            if (v[i].present && !v[m - 1].present) {
                v[m - 1] = v[i];
            }
            continue;
        }
        v[m++] = v[i];
    }
    n = m;
    for (size_t i = 0; i < self->n_objectives; i++) {
        const Ismo__V1__Objective *o = self->objectives[i];
        tnode *me = tnode_find(v, n, o->id);
        int line = self->lines[i];
        if (me->retired) {
            reg_error(self, line,
                      "objective %s is retired in ismod (version %u); it keeps its history and "
                      "cannot change (use a new id)",
                      o->id, me->version);
            errors++;
            continue;
        }
        char path[512];
        int used = snprintf(path, sizeof path, "%s", o->id);
        size_t errors_before = errors;
        const char *next = o->parent_id && *o->parent_id ? o->parent_id : NULL;
        for (int depth = 1; next; depth++) {
            if (used > 0 && (size_t)used < sizeof path) {
                used += snprintf(path + used, sizeof path - (size_t)used, " -> %s", next);
            }
            if (strcmp(next, o->id) == 0) {
                reg_error(self, line,
                          "objective %s: parent '%s' would make a cycle in the objective tree "
                          "(%s%s)",
                          o->id, o->parent_id, path,
                          n_stored ? "; parents as ismod holds them and as the lines above set them"
                                   : "");
                errors++;
                break;
            }
            if (depth > TREE_MAX_DEPTH) {
                reg_error(self, line,
                          "objective %s: the objective tree above it is deeper than %d levels",
                          o->id, TREE_MAX_DEPTH);
                errors++;
                break;
            }
            tnode *p = tnode_find(v, n, next);
            next = p && p->present && p->parent && *p->parent ? p->parent : NULL;
        }
        /* what ismod holds when the next line is put */
        if (errors == errors_before) {
            me->present = 1;
            me->parent = o->parent_id;
        }
    }
    free(v);
    return errors;
}

size_t ismo_register_check_stored(ismo_register_t *self, Ismo__V1__Objective *const *stored,
                                  size_t n)
{
    return check_tree(self, stored, n);
}

/* A text longer than ismod keeps (max bytes) is cut at a UTF-8 boundary,
 * with "..." at the end, and kept whole as an import note named after the
 * column (a long objective statement must not cost its row). Texts longer
 * than a note holds (ISMO_MAX_TEXT_BYTES) or not UTF-8 are left for
 * ismo_objective_validate to refuse. */
static void fit_text(ismo_register_t *self, Ismo__V1__Objective *o, int line, const char *column,
                     char **field, size_t max)
{
    char *t = *field;
    if (!t || strlen(t) <= max || strlen(t) > ISMO_MAX_TEXT_BYTES || !ismo_utf8_is_valid(t)) {
        return;
    }
    size_t cut = max - 3;
    while (cut > 0 && ((unsigned char)t[cut] & 0xC0) == 0x80) {
        cut--; /* not inside a character */
    }
    char *why = xprintf("is longer than ismod keeps (%zu bytes); the first %zu bytes are used",
                        max, cut);
    keep_unparsed(self, o, line, column, t, why);
    free(why);
    char *short_text = xprintf("%.*s...", (int)cut, t);
    free(t);
    *field = short_text;
}

/* Refuse duplicate ids (with both lines) and objectives the server would
 * refuse anyway. Called once after a whole file was read. */
static void check_objectives(ismo_register_t *self)
{
    int csv = self->format == ISMO_REGISTER_CSV || self->format == ISMO_REGISTER_ISMO_CSV;
    for (size_t i = 0; i < self->n_objectives; i++) {
        Ismo__V1__Objective *o = self->objectives[i];
        fit_text(self, o, self->lines[i], csv ? "Objective" : "title", &o->title,
                 ISMO_MAX_TITLE_BYTES);
        fit_text(self, o, self->lines[i], csv ? "Owner" : "owner", &o->owner,
                 ISMO_MAX_SHORT_BYTES);
        if (o->metric) {
            fit_text(self, o, self->lines[i], csv ? "Metric" : "metric.name", &o->metric->name,
                     ISMO_MAX_SHORT_BYTES);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(self->objectives[j]->id, o->id) == 0) {
                reg_error(self, self->lines[i],
                          "duplicate objective id '%s' (first defined on line %d, again on line %d)",
                          o->id, self->lines[j], self->lines[i]);
                break;
            }
        }
        char why[256];
        if (ismo_objective_validate(o, why, sizeof why) != ISMO_OK) {
            reg_error(self, self->lines[i], "objective %s: %s", o->id, why);
        }
    }
    if (self->errors.n == 0) {
        check_tree(self, NULL, 0); /* cycles within the file */
    }
}

/* ---- free-text values --------------------------------------------------------- */

static const char *skip_ws(const char *p)
{
    while (*p && isspace((unsigned char)*p)) {
        p++;
    }
    return p;
}

static char *trim_dup(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        n--;
    }
    return xstrndup(s, n);
}

/* Range problems, for the warnings of values kept as import notes. */
#define RANGE_VALUE "is out of range (ismod keeps numbers within +-1e15)"
#define RANGE_DATE "is out of range (ismod keeps dates from 1970-01-01 to 9999-12-31)"

/* A plain decimal number (no hex, inf or nan), finite. 0 ok, -1 not a
 * number, -2 a number outside +-ISMO_MAX_ABS_VALUE (what ismod accepts:
 * ismo_objective_validate, ismo_sample_validate); *end is set for -2 too. */
static int number_parse(const char *p, double *v, const char **end)
{
    const char *q = p;
    if (*q == '+' || *q == '-') {
        q++;
    }
    if (!isdigit((unsigned char)*q) && !(*q == '.' && isdigit((unsigned char)q[1]))) {
        return -1;
    }
    for (const char *r = q; *r && (isalnum((unsigned char)*r) || *r == '.'); r++) {
        if (*r == 'x' || *r == 'X') {
            return -1;
        }
    }
    errno = 0;
    char *e;
    double d = strtod(p, &e);
    if (e == p) {
        return -1;
    }
    *end = e;
    if ((errno == ERANGE && d != 0) || !isfinite(d) || fabs(d) > ISMO_MAX_ABS_VALUE) {
        return -2;
    }
    *v = d;
    return 0;
}

/* A whole string that is one number, e.g. YAML "baseline: 120". 0 ok, -1
 * not a number, -2 a number out of range (number_parse). */
static int number_full(const char *text, double *v)
{
    const char *end;
    text = skip_ws(text);
    int rc = number_parse(text, v, &end);
    if (rc == -1 || *skip_ws(end)) {
        return -1;
    }
    return rc;
}

static int period_parse_any(const char *text, int want_end, int64_t *ms);

/* Instant of a period, start or end: "2026", "2026-Q3", "2026-12",
 * "2026-12-31" (start or end of that day), or any ismo_time_parse form.
 * 0 ok, -1 not a date, -2 a date ismod does not keep: before 1970-01-01
 * (Excel's empty date 1899-12-31) or after 9999 (ismo_objective_validate
 * keeps instants in 1 .. ISMO_MAX_INSTANT_MS; 0 means "not set"). */
static int period_parse(const char *text, int want_end, int64_t *ms)
{
    int64_t v;
    if (period_parse_any(text, want_end, &v) != 0) {
        return -1;
    }
    if (v <= ISMO_MIN_INSTANT_MS || v > ISMO_MAX_INSTANT_MS) {
        return -2;
    }
    *ms = v;
    return 0;
}

static int period_parse_any(const char *text, int want_end, int64_t *ms)
{
    int y, q, m, n = 0;
    char buf[32];
    if (sscanf(text, "%4d%n", &y, &n) == 1 && n == 4 && text[4] == '\0') {
        snprintf(buf, sizeof buf, "%04d-01-01", want_end ? y + 1 : y);
        return ismo_time_parse(buf, 0, ms) == ISMO_OK ? 0 : -1;
    }
    n = 0;
    if (sscanf(text, "%4d-Q%1d%n", &y, &q, &n) == 2 && text[n] == '\0') {
        if (q < 1 || q > 4) {
            return -1;
        }
        if (want_end) {
            return ismo_time_parse(text, 1, ms) == ISMO_OK ? 0 : -1;
        }
        snprintf(buf, sizeof buf, "%04d-%02d-01", y, 3 * (q - 1) + 1);
        return ismo_time_parse(buf, 0, ms) == ISMO_OK ? 0 : -1;
    }
    n = 0;
    if (sscanf(text, "%4d-%2d%n", &y, &m, &n) == 2 && n == 7 && text[n] == '\0') {
        if (want_end) {
            return ismo_time_parse(text, 1, ms) == ISMO_OK ? 0 : -1;
        }
        snprintf(buf, sizeof buf, "%04d-%02d-01", y, m);
        return ismo_time_parse(buf, 0, ms) == ISMO_OK ? 0 : -1;
    }
    return ismo_time_parse(text, want_end, ms) == ISMO_OK ? 0 : -1;
}

/* A register cell parsed by value_parse. Strings are malloc'ed (or NULL). */
typedef struct value {
    int has_value;
    double value;
    char unit[16];   /* "%", "h", "yes/no" or "" */
    char cmp;        /* '<', '>' or 0 */
    int cmp_eq;      /* "<=", ">=" (not exclusive) */
    char *paren;     /* "(2025-12)" -> "2025-12" */
    char *by;        /* "by 2026-12-31" -> "2026-12-31" */
    char *in;        /* "in 2026-Q3 and Q4" -> "2026-Q3 and Q4" */
    char *extra;     /* words we did not interpret */
    int out_of_range; /* a number outside +-1e15 (not has_value; kept in extra) */
} value;

static void value_free(value *v)
{
    free(v->paren);
    free(v->by);
    free(v->in);
    free(v->extra);
    memset(v, 0, sizeof *v);
}

static int word_is(const char *p, const char *w)
{
    size_t n = strlen(w);
    return strncasecmp(p, w, n) == 0 && !isalnum((unsigned char)p[n]);
}

/* Duration unit at p ("h", "hours", "min", "m", "d"): hours per unit, or 0. */
static double hours_unit(const char *p, const char **end)
{
    static const struct {
        const char *word;
        double hours;
    } units[] = {{"hours", 1},   {"hour", 1},     {"hrs", 1}, {"hr", 1},  {"h", 1},
                 {"minutes", 0}, {"minute", 0},   {"mins", 0}, {"min", 0}, {"m", 0},
                 {"days", 24},   {"day", 24},     {"d", 24}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (word_is(p, units[i].word)) {
            *end = p + strlen(units[i].word);
            return units[i].hours > 0 ? units[i].hours : 1.0 / 60.0;
        }
    }
    return 0;
}

/* Parse a register cell. Returns 0 when the text was fully understood (all
 * parts recognised), 1 when something was left in v->extra; v->has_value
 * says whether a number was found. */
static int value_parse(const char *text, value *v)
{
    memset(v, 0, sizeof *v);
    const char *p = skip_ws(text);
    if (*p == '<' || *p == '>') {
        v->cmp = *p++;
        if (*p == '=') {
            v->cmp_eq = 1;
            p++;
        }
        p = skip_ws(p);
    } else if (strncmp(p, "\u2264", 3) == 0 || strncmp(p, "\u2265", 3) == 0) { /* <= >= signs */
        v->cmp = p[2] == '\xa4' ? '<' : '>';
        v->cmp_eq = 1;
        p = skip_ws(p + 3);
    }
    const char *end;
    double d;
    int nrc = 0;
    if (word_is(p, "yes") || word_is(p, "no")) {
        v->has_value = 1;
        v->value = tolower((unsigned char)*p) == 'y' ? 1 : 0;
        snprintf(v->unit, sizeof v->unit, "yes/no");
        p += tolower((unsigned char)*p) == 'y' ? 3 : 2;
    } else if ((nrc = number_parse(p, &d, &end)) == -2) {
        v->out_of_range = 1; /* the number stays in v->extra */
    } else if (nrc == 0) {
        v->has_value = 1;
        v->value = d;
        const char *q = skip_ws(end);
        double per;
        if (*q == '%') {
            snprintf(v->unit, sizeof v->unit, "%%");
            p = q + 1;
        } else if ((per = hours_unit(q, &end)) > 0) {
            /* a duration such as "2h 45min": convert every part to hours */
            double hours = d * per;
            p = end;
            for (;;) {
                const char *r = skip_ws(p);
                double d2;
                if (number_parse(r, &d2, &end) != 0) {
                    break;
                }
                double per2 = hours_unit(skip_ws(end), &end);
                if (per2 <= 0) {
                    break;
                }
                hours += d2 * per2;
                p = end;
            }
            v->value = hours;
            snprintf(v->unit, sizeof v->unit, "h");
            if (!isfinite(hours) || fabs(hours) > ISMO_MAX_ABS_VALUE) {
                v->has_value = 0;
                v->out_of_range = 1;
                snprintf(v->unit, sizeof v->unit, "%s", "");
            }
        } else {
            p = end;
        }
    }
    /* the rest: "(period)", "by DATE", "in PERIOD", other words */
    char extra[512] = "";
    for (;;) {
        p = skip_ws(p);
        if (!*p) {
            break;
        }
        if (*p == '(') {
            const char *close = strchr(p, ')');
            if (close && !v->paren) {
                v->paren = trim_dup(p + 1, (size_t)(close - p - 1));
                p = close + 1;
                continue;
            }
        }
        if (word_is(p, "by") && !v->by) {
            p = skip_ws(p + 2);
            const char *e = p;
            while (*e && !isspace((unsigned char)*e) && *e != '(') {
                e++;
            }
            v->by = xstrndup(p, (size_t)(e - p));
            p = e;
            continue;
        }
        if (word_is(p, "in") && !v->in) {
            p = skip_ws(p + 2);
            const char *e = strchr(p, '(');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            v->in = trim_dup(p, n);
            p += n;
            continue;
        }
        /* an uninterpreted word */
        const char *e = p;
        while (*e && !isspace((unsigned char)*e)) {
            e++;
        }
        size_t used = strlen(extra);
        snprintf(extra + used, sizeof extra - used, "%s%.*s", used ? " " : "", (int)(e - p), p);
        p = e;
    }
    if (*extra) {
        v->extra = xstrdup(extra);
    }
    return v->extra ? 1 : 0;
}

/* One calendar period of a register text: "2026", "2026-Q3", "2026-07". */
typedef struct period_item {
    char label[16];
    int64_t from_ms; /* inclusive, UTC ms */
    int64_t to_ms;   /* exclusive, UTC ms */
} period_item;

/* Kind (ISMO__V1__CALENDAR_PERIOD__PERIOD_YEAR, _QUARTER, _MONTH) of a
 * period label, with its year and quarter/month; 0 if it is none. */
static int period_label_kind(const char *label, int *year, int *idx)
{
    int n = 0;
    if (sscanf(label, "%4d%n", year, &n) == 1 && n == 4 && label[4] == '\0') {
        *idx = 0;
        return ISMO__V1__CALENDAR_PERIOD__PERIOD_YEAR;
    }
    n = 0;
    if (sscanf(label, "%4d-Q%1d%n", year, idx, &n) == 2 && n == 7 && label[n] == '\0' &&
        *idx >= 1 && *idx <= 4) {
        return ISMO__V1__CALENDAR_PERIOD__PERIOD_QUARTER;
    }
    n = 0;
    if (sscanf(label, "%4d-%2d%n", year, idx, &n) == 2 && n == 7 && label[n] == '\0' &&
        *idx >= 1 && *idx <= 12) {
        return ISMO__V1__CALENDAR_PERIOD__PERIOD_MONTH;
    }
    return 0;
}

static int period_item_set(period_item *it, int kind, int year, int idx)
{
    if (kind == ISMO__V1__CALENDAR_PERIOD__PERIOD_YEAR) {
        snprintf(it->label, sizeof it->label, "%04d", year);
    } else if (kind == ISMO__V1__CALENDAR_PERIOD__PERIOD_QUARTER) {
        snprintf(it->label, sizeof it->label, "%04d-Q%d", year, idx);
    } else {
        snprintf(it->label, sizeof it->label, "%04d-%02d", year, idx);
    }
    return period_parse(it->label, 0, &it->from_ms) == 0 &&
                   period_parse(it->label, 1, &it->to_ms) == 0
               ? 0
               : -1;
}

/* The periods of "in ..." in a register cell: "2026-Q3 and Q4", "2026-Q3,
 * Q4", "2026-Q3 to 2027-Q2" (every quarter in between), "2026". A short
 * "Q4" or "07" takes the year of the period before it. All periods must be
 * of one kind (*kind). Returns how many were written (at most max), or 0
 * when the text is not such a list. */
static int in_periods_parse(const char *text, period_item *items, int max, int *kind)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", text);
    char *save = NULL;
    int n = 0, range = 0, year = 0, k = 0;
    *kind = 0;
    for (char *tok = strtok_r(copy, " ,;", &save); tok; tok = strtok_r(NULL, " ,;", &save)) {
        if (strcasecmp(tok, "and") == 0 || strcmp(tok, "&") == 0) {
            continue;
        }
        if (strcasecmp(tok, "to") == 0 || strcmp(tok, "-") == 0 || strcmp(tok, "until") == 0) {
            if (n == 0 || range) {
                return 0;
            }
            range = 1;
            continue;
        }
        char full[40];
        if (n > 0 && (tok[0] == 'Q' || (isdigit((unsigned char)tok[0]) && strlen(tok) == 2))) {
            snprintf(full, sizeof full, "%04d-%s", year, tok);
        } else {
            snprintf(full, sizeof full, "%s", tok);
        }
        int y, idx;
        int kk = period_label_kind(full, &y, &idx);
        if (!kk || (*kind && kk != *kind)) {
            return 0;
        }
        *kind = kk;
        int per_year = kk == ISMO__V1__CALENDAR_PERIOD__PERIOD_QUARTER ? 4
                       : kk == ISMO__V1__CALENDAR_PERIOD__PERIOD_MONTH ? 12
                                                                      : 1;
        int ord = y * per_year + (idx ? idx - 1 : 0);
        if (range) {
            if (ord <= k) {
                return 0;
            }
            for (int o = k + 1; o < ord && n < max; o++) {
                int oy = o / per_year, oi = o % per_year + 1;
                if (period_item_set(&items[n++], kk, oy, per_year == 1 ? 0 : oi) != 0) {
                    return 0;
                }
            }
            range = 0;
        }
        if (n >= max) {
            return 0;
        }
        if (period_item_set(&items[n++], kk, y, idx) != 0) {
            return 0;
        }
        year = y;
        k = ord;
    }
    return range ? 0 : n;
}

/* ---- objective fields by key (shared by the YAML and the ismo CSV readers) --- */

/* An objective being read; baseline and target texts that are not plain
 * numbers wait for the metric (yes/no, durations) until the end. */
typedef struct obuild {
    Ismo__V1__Objective *o;
    char *pending[2];
    int pending_line[2];
} obuild;

static const char *const pending_keys[2] = {"baseline", "target"};

static int bool_parse(const char *text, int *b)
{
    static const char *const yes[] = {"true", "yes", "y", "on", "1"};
    static const char *const no[] = {"false", "no", "n", "off", "0"};
    const char *s = skip_ws(text);
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        n--;
    }
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strlen(yes[i]) == n && strncasecmp(s, yes[i], n) == 0) {
            *b = 1;
            return 0;
        }
        if (strlen(no[i]) == n && strncasecmp(s, no[i], n) == 0) {
            *b = 0;
            return 0;
        }
    }
    return -1;
}

/* ms per unit of a DURATION metric ("s", "min", "h", "d"); 0 for others. */
static double duration_unit_ms(const char *unit)
{
    if (!unit) {
        return 0;
    }
    if (strcmp(unit, "s") == 0) {
        return (double)ISMO_SECOND_MS;
    }
    if (strcmp(unit, "min") == 0) {
        return (double)ISMO_MINUTE_MS;
    }
    if (strcmp(unit, "h") == 0) {
        return (double)ISMO_HOUR_MS;
    }
    if (strcmp(unit, "d") == 0) {
        return (double)ISMO_DAY_MS;
    }
    return 0;
}

/* "2h45m", "2h 45min", "90 minutes" -> ms. */
static int duration_text_ms(const char *text, int64_t *ms)
{
    if (ismo_duration_parse(text, ms) == ISMO_OK) {
        return 0;
    }
    value v;
    int extra = value_parse(text, &v);
    int ok = !extra && v.has_value && strcmp(v.unit, "h") == 0 && !v.cmp && !v.by && !v.in &&
             !v.paren && v.value >= 0;
    if (ok) {
        *ms = llround(v.value * (double)ISMO_HOUR_MS);
    }
    value_free(&v);
    return ok ? 0 : -1;
}

static void i64v_add(size_t *n, int64_t **v, int64_t x)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = x;
}

typedef int (*enum_parser)(const char *, int *);

/* Parse an enum value; 0 ok, else a note is kept. */
static int set_enum(ismo_register_t *self, Ismo__V1__Objective *o, int line, const char *key,
                    const char *s, enum_parser parse, const char *allowed, int *out)
{
    if (parse(s, out) == 0) {
        return 0;
    }
    char *why = xprintf("is not one of %s", allowed);
    keep_unparsed(self, o, line, key, s, why);
    free(why);
    return -1;
}

static int set_time(ismo_register_t *self, Ismo__V1__Objective *o, int line, const char *key,
                    const char *s, int want_end, int64_t *field, protobuf_c_boolean *has)
{
    int64_t ms;
    int rc = period_parse(s, want_end, &ms);
    if (rc != 0) {
        keep_unparsed(self, o, line, key, s,
                      rc == -2 ? RANGE_DATE
                               : "is not a date (2026-12-31, 2026-Q4, 2026-12, ISO date-time)");
        return -1;
    }
    *field = ms;
    if (has) {
        *has = 1;
    }
    return 0;
}

static int set_duration(ismo_register_t *self, Ismo__V1__Objective *o, int line,
                        const char *key, const char *s, int64_t *field, protobuf_c_boolean *has)
{
    int64_t ms;
    if (ismo_duration_parse(s, &ms) != ISMO_OK) {
        keep_unparsed(self, o, line, key, s, "is not a duration (e.g. 90d, 48h, 2h45m, 0)");
        return -1;
    }
    if (ms < 0 || ms > ISMO_MAX_DURATION_MS) {
        keep_unparsed(self, o, line, key, s,
                      "is out of range (ismod keeps durations from 0 to 100 years)");
        return -1;
    }
    *field = ms;
    if (has) {
        *has = 1;
    }
    return 0;
}

/* A reminder offset ismod keeps (more than 0; at most ISMO_MAX_OFFSETS per
 * list, n already there): 1, else 0 with the text kept as a note. */
static int reminder_ok(ismo_register_t *self, Ismo__V1__Objective *o, int line, const char *key,
                       const char *s, int64_t ms, size_t n)
{
    if (ms <= 0) {
        keep_unparsed(self, o, line, key, s, "is not a reminder offset (more than 0, e.g. 14d)");
        return 0;
    }
    if (n >= ISMO_MAX_OFFSETS) {
        keep_unparsed(self, o, line, key, s, "is one reminder too many (ismod keeps at most 16)");
        return 0;
    }
    return 1;
}

static int set_bool(ismo_register_t *self, Ismo__V1__Objective *o, int line, const char *key,
                    const char *s, protobuf_c_boolean *field, protobuf_c_boolean *has)
{
    int b;
    if (bool_parse(s, &b) != 0) {
        keep_unparsed(self, o, line, key, s, "is not true or false");
        return -1;
    }
    *field = (protobuf_c_boolean)b;
    *has = 1;
    return 0;
}

/* Metric field key ("unit", ...) from text s. 0 known, -1 unknown key. */
static int metric_set(ismo_register_t *self, obuild *b, int line, const char *key,
                      const char *k, const char *s)
{
    Ismo__V1__Objective *o = b->o;
    Ismo__V1__Metric *m = objective_metric(o);
    int e;
    if (strcmp(k, "name") == 0) {
        set_str(&m->name, s);
    } else if (strcmp(k, "unit") == 0) {
        set_str(&m->unit, s);
    } else if (strcmp(k, "value_kind") == 0) {
        if (set_enum(self, o, line, key, s, ismo_value_kind_parse, "number, yes_no, duration",
                     &e) == 0) {
            m->has_value_kind = 1;
            m->value_kind = (Ismo__V1__ValueKind)e;
        }
    } else if (strcmp(k, "direction") == 0) {
        if (set_enum(self, o, line, key, s, ismo_direction_parse,
                     "higher_is_better, lower_is_better", &e) == 0) {
            m->has_direction = 1;
            m->direction = (Ismo__V1__Direction)e;
        }
    } else if (strcmp(k, "aggregation") == 0) {
        if (set_enum(self, o, line, key, s, ismo_aggregation_parse,
                     "last, mean, min, max, sum, count, ratio, p95", &e) == 0) {
            m->has_aggregation = 1;
            m->aggregation = (Ismo__V1__Aggregation)e;
        }
    } else if (strcmp(k, "period") == 0) {
        if (set_enum(self, o, line, key, s, ismo_period_parse,
                     "none, day, week, month, quarter, year", &e) == 0) {
            m->has_period = 1;
            m->period = (Ismo__V1__CalendarPeriod)e;
        }
    } else if (strcmp(k, "window") == 0) {
        set_duration(self, o, line, key, s, &m->window_ms, &m->has_window_ms);
    } else if (strcmp(k, "frequency") == 0) {
        set_duration(self, o, line, key, s, &m->frequency_ms, &m->has_frequency_ms);
    } else {
        return -1;
    }
    return 0;
}

/* Keys whose value is a list (objective_add_item). */
static int objective_list_key(const char *k)
{
    static const char *const keys[] = {"policy_refs", "policies",     "risk_refs", "risks",
                                       "controls",    "control_refs", "review_dates",
                                       "reminders"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(k, keys[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* One item of the list key of the objective. 0 known key, -1 unknown. */
static int objective_add_item(ismo_register_t *self, obuild *b, int line, const char *key,
                              const char *s)
{
    Ismo__V1__Objective *o = b->o;
    int64_t ms;
    if (strcmp(key, "policy_refs") == 0 || strcmp(key, "policies") == 0) {
        strv_add(&o->n_policy_refs, &o->policy_refs, s);
        snprintf(self->ref_key[0], sizeof self->ref_key[0], "%s", key);
    } else if (strcmp(key, "risk_refs") == 0 || strcmp(key, "risks") == 0) {
        strv_add(&o->n_risk_refs, &o->risk_refs, s);
        snprintf(self->ref_key[1], sizeof self->ref_key[1], "%s", key);
    } else if (strcmp(key, "controls") == 0 || strcmp(key, "control_refs") == 0) {
        strv_add(&o->n_control_refs, &o->control_refs, s);
    } else if (strcmp(key, "review_dates") == 0) {
        if (set_time(self, o, line, key, s, 0, &ms, NULL) == 0) {
            i64v_add(&o->n_review_dates_ms, &o->review_dates_ms, ms);
        }
    } else if (strcmp(key, "reminders") == 0) {
        if (set_duration(self, o, line, key, s, &ms, NULL) == 0 &&
            reminder_ok(self, o, line, key, s, ms, o->n_reminder_offsets_ms)) {
            i64v_add(&o->n_reminder_offsets_ms, &o->reminder_offsets_ms, ms);
        }
    } else {
        return -1;
    }
    return 0;
}

/* Scalar field key of the objective from the (non-empty) text s; "metric.X"
 * for metric fields. A value it cannot parse is kept as a note with a
 * warning. Returns 0 for a known key, -1 for an unknown one. */
static int objective_set(ismo_register_t *self, obuild *b, int line, const char *key,
                         const char *s)
{
    Ismo__V1__Objective *o = b->o;
    int e;
    if (strncmp(key, "metric.", 7) == 0) {
        return metric_set(self, b, line, key, key + 7, s);
    }
    if (strcmp(key, "title") == 0) {
        set_str(&o->title, s);
    } else if (strcmp(key, "description") == 0) {
        set_str(&o->description, s);
    } else if (strcmp(key, "owner") == 0) {
        set_str(&o->owner, s);
    } else if (strcmp(key, "evaluation_method") == 0) {
        set_str(&o->evaluation_method, s);
    } else if (strcmp(key, "not_measurable_reason") == 0) {
        set_str(&o->not_measurable_reason, s);
    } else if (strcmp(key, "escalate_to") == 0) {
        set_str(&o->escalate_to, s);
    } else if (strcmp(key, "parent") == 0 || strcmp(key, "parent_id") == 0) {
        snprintf(self->ref_key[2], sizeof self->ref_key[2], "%s", key);
        char *t = trim_dup(s, strlen(s));
        if (ismo_id_is_valid(t)) {
            set_str(&o->parent_id, t);
        } else {
            keep_unparsed(self, o, line, key, s,
                          "is not an objective id (1..64 of A-Z a-z 0-9 . _ : -); no parent set");
        }
        free(t);
    } else if (strcmp(key, "function") == 0) {
        if (!ismo_function_is_valid(s)) {
            char fn[ISMO_MAX_FUNCTION_BYTES + 1];
            ismo_register_function_from(s, fn, sizeof fn);
            keep_unparsed(self, o, line, key, s,
                          "is not a function name ([a-z0-9_-]); used the derived name instead");
            set_str(&o->function, fn);
        } else {
            set_str(&o->function, s);
        }
    } else if (strcmp(key, "level") == 0) {
        if (set_enum(self, o, line, key, s, ismo_level_parse, "strategic, tactical, operational",
                     &e) == 0) {
            o->has_level = 1;
            o->level = (Ismo__V1__Level)e;
        }
    } else if (strcmp(key, "target_mode") == 0) {
        if (set_enum(self, o, line, key, s, ismo_target_mode_parse, "reach, maintain", &e) == 0) {
            o->has_target_mode = 1;
            o->target_mode = (Ismo__V1__TargetMode)e;
        }
    } else if (strcmp(key, "baseline") == 0 || strcmp(key, "target") == 0) {
        int i = strcmp(key, "baseline") == 0 ? 0 : 1;
        double d;
        if (number_full(s, &d) == 0) {
            *(i ? &o->target : &o->baseline) = d;
            *(i ? &o->has_target : &o->has_baseline) = 1;
        } else {
            free(b->pending[i]);
            b->pending[i] = xstrdup(s); /* yes/no or a duration: needs the metric */
            b->pending_line[i] = line;
        }
    } else if (strcmp(key, "baseline_at") == 0) {
        set_time(self, o, line, key, s, 0, &o->baseline_at_ms, &o->has_baseline_at_ms);
    } else if (strcmp(key, "start") == 0) {
        set_time(self, o, line, key, s, 0, &o->start_ms, &o->has_start_ms);
    } else if (strcmp(key, "deadline") == 0) {
        set_time(self, o, line, key, s, 1, &o->deadline_ms, &o->has_deadline_ms);
    } else if (strcmp(key, "review_cadence") == 0) {
        set_duration(self, o, line, key, s, &o->review_cadence_ms, &o->has_review_cadence_ms);
    } else if (strcmp(key, "target_exclusive") == 0) {
        set_bool(self, o, line, key, s, &o->target_exclusive, &o->has_target_exclusive);
    } else if (strcmp(key, "not_measurable") == 0) {
        set_bool(self, o, line, key, s, &o->not_measurable, &o->has_not_measurable);
    } else if (strcmp(key, "overdue_repeat") == 0) {
        int64_t ms;
        if (strcasecmp(skip_ws(s), "never") == 0) {
            o->has_overdue_repeat_ms = 1;
            o->overdue_repeat_ms = -1;
        } else if (ismo_duration_parse(s, &ms) == ISMO_OK) {
            o->has_overdue_repeat_ms = 1;
            o->overdue_repeat_ms = ms;
        } else {
            keep_unparsed(self, o, line, key, s,
                          "is not a duration or 'never' (0 = the server's default)");
        }
    } else if (strcmp(key, "escalate_after") == 0) {
        double d;
        if (number_full(s, &d) == 0 && d >= 0 && d <= 1000 && d == floor(d)) {
            o->has_escalate_after = 1;
            o->escalate_after = (uint32_t)d;
        } else {
            keep_unparsed(self, o, line, key, s,
                          "is not a whole number of reminders 0..1000 (0 = never escalate)");
        }
    } else {
        return -1;
    }
    return 0;
}

/* Keys objective_set knows (for "should be a single value" messages). */
static int objective_scalar_key(const char *k)
{
    static const char *const keys[] = {
        "title",       "description",   "owner",          "evaluation_method",
        "not_measurable_reason", "escalate_to", "parent", "parent_id", "function", "level",
        "target_mode", "baseline",      "target",         "baseline_at", "start", "deadline",
        "review_cadence", "target_exclusive", "not_measurable", "overdue_repeat",
        "escalate_after"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(k, keys[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Action field key from text s. 0 known, -1 unknown. */
static int action_set(ismo_register_t *self, Ismo__V1__Objective *o, Ismo__V1__Action *a,
                      int line, const char *key, const char *k, const char *s)
{
    int e;
    if (strcmp(k, "what") == 0) {
        set_str(&a->what, s);
    } else if (strcmp(k, "resources") == 0) {
        set_str(&a->resources, s);
    } else if (strcmp(k, "responsible") == 0) {
        set_str(&a->responsible, s);
    } else if (strcmp(k, "id") == 0) {
        if (strlen(s) <= ISMO_MAX_ID_BYTES && ismo_id_is_valid(s)) {
            set_str(&a->id, s);
        } else {
            keep_unparsed(self, o, line, key, s,
                          "is not an action id (1..64 of A-Z a-z 0-9 . _ : -)");
        }
    } else if (strcmp(k, "due") == 0) {
        set_time(self, o, line, key, s, 1, &a->due_ms, &a->has_due_ms);
    } else if (strcmp(k, "status") == 0) {
        if (set_enum(self, o, line, key, s, ismo_action_status_parse,
                     "planned, in_progress, done, cancelled", &e) == 0) {
            a->has_status = 1;
            a->status = (Ismo__V1__ActionStatus)e;
        }
    } else if (strcmp(k, "reminders") == 0) {
        int64_t ms;
        if (set_duration(self, o, line, key, s, &ms, NULL) == 0 &&
            reminder_ok(self, o, line, key, s, ms, a->n_reminder_offsets_ms)) {
            i64v_add(&a->n_reminder_offsets_ms, &a->reminder_offsets_ms, ms);
        }
    } else {
        return -1;
    }
    return 0;
}

/* A period target {label, from, to, target}; from/to default to the
 * period the label names ("2026-Q3"). Texts may be NULL. */
static void period_target_add(ismo_register_t *self, Ismo__V1__Objective *o, int line,
                              const char *label, const char *from, const char *to,
                              const char *target)
{
    char *raw = xprintf("label: %s, from: %s, to: %s, target: %s", label ? label : "",
                        from ? from : "", to ? to : "", target ? target : "");
    int64_t f = 0, t = 0;
    double d = 0;
    int rc = 0;
    const char *problem = NULL;
    if (!label || !*skip_ws(label) || strlen(label) > 64) {
        problem = "needs a label of 1..64 bytes (e.g. 2026-Q3)";
    } else if (!target || (rc = number_full(target, &d)) != 0) {
        problem = rc == -2 ? "has a target that " RANGE_VALUE
                           : "needs a target that is a finite number";
    } else if ((rc = from ? period_parse(from, 0, &f) : period_parse(label, 0, &f)) != 0) {
        problem = rc == -2 ? "has a 'from' that " RANGE_DATE
                           : "needs 'from' (a date) when the label is not a period like 2026-Q3";
    } else if ((rc = to ? period_parse(to, 1, &t) : period_parse(label, 1, &t)) != 0) {
        problem = rc == -2 ? "has a 'to' that " RANGE_DATE
                           : "needs 'to' (a date) when the label is not a period like 2026-Q3";
    } else if (t <= f) {
        problem = "ends before it starts";
    }
    if (problem) {
        keep_unparsed(self, o, line, "period_targets", raw, problem);
        free(raw);
        return;
    }
    free(raw);
    Ismo__V1__PeriodTarget *p = xcalloc(1, sizeof *p);
    ismo__v1__period_target__init(p);
    p->label = xstrdup(label);
    p->has_from_ms = 1;
    p->from_ms = f;
    p->has_to_ms = 1;
    p->to_ms = t;
    p->has_target = 1;
    p->target = d;
    ptrv_push((void ***)&o->period_targets, &o->n_period_targets, p);
}

/* Resolve baseline/target texts that needed the metric: yes/no for a
 * YES_NO metric (or unit "yes/no"), a duration ("2h 45min") for a DURATION
 * metric (or unit s, min, h, d), converted to the metric's unit. */
static void obuild_finish(ismo_register_t *self, obuild *b)
{
    Ismo__V1__Objective *o = b->o;
    const Ismo__V1__Metric *m = o->metric;
    int kind = m && m->has_value_kind ? (int)m->value_kind : ISMO__V1__VALUE_KIND__NUMBER;
    const char *unit = m && m->unit ? m->unit : "";
    for (int i = 0; i < 2; i++) {
        const char *s = b->pending[i];
        if (!s) {
            continue;
        }
        int bv;
        int64_t ms;
        double v = 0;
        int ok = 0;
        if (number_full(s, &v) == -2) {
            keep_unparsed(self, o, b->pending_line[i], pending_keys[i], s, RANGE_VALUE);
        } else if ((kind == ISMO__V1__VALUE_KIND__YES_NO || strcmp(unit, "yes/no") == 0) &&
            bool_parse(s, &bv) == 0) {
            v = bv;
            ok = 1;
        } else if ((kind == ISMO__V1__VALUE_KIND__DURATION || duration_unit_ms(unit) > 0) &&
                   duration_text_ms(s, &ms) == 0) {
            double per = duration_unit_ms(unit) > 0 ? duration_unit_ms(unit) : (double)ISMO_HOUR_MS;
            v = (double)ms / per;
            ok = 1;
        } else {
            keep_unparsed(self, o, b->pending_line[i], pending_keys[i], s,
                          "is not a finite number (yes/no only for a yes_no metric, a duration "
                          "like 2h45m only for a duration metric)");
        }
        if (ok) {
            *(i ? &o->target : &o->baseline) = v;
            *(i ? &o->has_target : &o->has_baseline) = 1;
        }
        free(b->pending[i]);
        b->pending[i] = NULL;
    }
}

/* ---- CSV reading (libcsv) with line numbers ------------------------------- */

typedef struct csv_row {
    char **fields;
    size_t n;
    int line;        /* 1-based line where the record starts */
} csv_row;

typedef struct csv_table {
    csv_row *rows;
    size_t n;
    csv_row cur;
    int cur_line;
} csv_table;

static void csv_field_cb(void *s, size_t len, void *data)
{
    csv_table *t = data;
    ptrv_push((void ***)&t->cur.fields, &t->cur.n, xstrndup(s ? s : "", s ? len : 0));
}

static void csv_row_cb(int c, void *data)
{
    (void)c;
    csv_table *t = data;
    t->rows = xrealloc(t->rows, (t->n + 1) * sizeof *t->rows);
    t->rows[t->n++] = t->cur;
    memset(&t->cur, 0, sizeof t->cur);
}

static void csv_table_free(csv_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        for (size_t j = 0; j < t->rows[i].n; j++) {
            free(t->rows[i].fields[j]);
        }
        free(t->rows[i].fields);
    }
    free(t->rows);
    for (size_t j = 0; j < t->cur.n; j++) {
        free(t->cur.fields[j]);
    }
    free(t->cur.fields);
    memset(t, 0, sizeof *t);
}

/* Parse the whole text; each row records the line it started on. The text
 * is fed one line at a time; a record starts on the line fed while the
 * parser has no record begun (pstate 0, libcsv's ROW_NOT_BEGUN). */
static int csv_table_parse(ismo_register_t *self, const char *text, size_t len, csv_table *t)
{
    struct csv_parser p;
    memset(t, 0, sizeof *t);
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        oom();
    }
    size_t off = 0;
    int line = 0;
    int rc = 0;
    size_t rows_before;
    while (off < len) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (text + off)) + 1 : len - off;
        line++;
        if (p.pstate == 0 && t->cur.n == 0) {
            t->cur.line = line;
        }
        rows_before = t->n;
        if (csv_parse(&p, text + off, n, csv_field_cb, csv_row_cb, t) != n) {
            reg_error(self, line, "CSV syntax error: %s", csv_strerror(csv_error(&p)));
            rc = -1;
            break;
        }
        (void)rows_before;
        off += n;
    }
    if (rc == 0 && csv_fini(&p, csv_field_cb, csv_row_cb, t) != 0) {
        reg_error(self, t->cur.line ? t->cur.line : line,
                  "CSV syntax error: unterminated quoted field starting on this line");
        rc = -1;
    }
    csv_free(&p);
    return rc;
}

static int csv_column(const csv_row *header, const char *name)
{
    for (size_t i = 0; i < header->n; i++) {
        if (strcasecmp(header->fields[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static const char *csv_cell(const csv_row *row, int col)
{
    return col >= 0 && (size_t)col < row->n ? row->fields[col] : "";
}

/* ---- CSV register -------------------------------------------------------------- */

enum {
    C_ID, C_TITLE, C_LINKED, C_OWNER, C_METRIC, C_BASELINE, C_TARGET, C_FREQ, C_CURRENT,
    C_STATUS, C_REVIEW, C_ACTION, C_COUNT
};

static const char *const csv_columns[C_COUNT] = {
    "ID", "Objective", "Linked ISO Clause / Risk", "Owner", "Metric", "Baseline (start of year)",
    "Target", "Measurement Frequency", "Current Value", "Status", "Review Date", "Linked Action"};

static int frequency_parse(const char *text, int64_t *ms)
{
    static const struct {
        const char *word;
        int64_t days;
    } f[] = {{"daily", 1},      {"weekly", 7},     {"biweekly", 14},  {"fortnightly", 14},
             {"monthly", 31},   {"quarterly", 92}, {"half-yearly", 184}, {"semiannually", 184},
             {"annual", 366},   {"annually", 366}, {"yearly", 366}};
    const char *p = skip_ws(text);
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        size_t n = strlen(f[i].word);
        if (strncasecmp(p, f[i].word, n) == 0 && *skip_ws(p + n) == '\0') {
            *ms = f[i].days * ISMO_DAY_MS;
            return 0;
        }
    }
    return ismo_duration_parse(p, ms) == ISMO_OK ? 0 : -1;
}

/* "ISO 6.2 + R-002 + A.8.8" -> policy/risk/control refs. */
static void csv_refs(ismo_register_t *self, Ismo__V1__Objective *o, int line, const char *col,
                     const char *text)
{
    char *copy = xstrdup(text);
    char *save = NULL;
    char *unknown = NULL; /* the tokens not understood, "'POL-9', 'X'" */
    for (char *tok = strtok_r(copy, "+,;", &save); tok; tok = strtok_r(NULL, "+,;", &save)) {
        char *t = trim_dup(tok, strlen(tok));
        if (!*t) {
            free(t);
            continue;
        }
        if (t[0] == 'R' && t[1] == '-') {
            strv_add(&o->n_risk_refs, &o->risk_refs, t);
        } else if (t[0] == 'A' && t[1] == '.' && isdigit((unsigned char)t[2])) {
            strv_add(&o->n_control_refs, &o->control_refs, t);
        } else if (strncmp(t, "ISO ", 4) == 0) {
            strv_add(&o->n_policy_refs, &o->policy_refs, t);
        } else if (isdigit((unsigned char)t[0])) {
            /* "ISO 9.2 + 9.3": a bare clause continues the ISO reference */
            char *ref = xprintf("ISO %s", t);
            strv_add(&o->n_policy_refs, &o->policy_refs, ref);
            free(ref);
        } else {
            char *u = xprintf("%s%s'%s'", unknown ? unknown : "", unknown ? ", " : "", t);
            free(unknown);
            unknown = u;
        }
        free(t);
    }
    free(copy);
    if (unknown) {
        char *why = xprintf("has %s, neither an ISO clause, an R-nnn risk nor an A.x control "
                            "(the other references were read)",
                            unknown);
        keep_unparsed(self, o, line, col, text, why);
        free(why);
        free(unknown);
    }
}

static void unit_merge(char *unit, size_t len, const char *found)
{
    if (!unit[0] && found[0]) {
        snprintf(unit, len, "%s", found);
    }
}

static void csv_register_row(ismo_register_t *self, const csv_row *row, const int *col)
{
    int line = row->line;
    const char *id = csv_cell(row, col[C_ID]);
    char *idt = trim_dup(id, strlen(id));
    if (!*idt) {
        reg_error(self, line, "%s: empty objective id; every row must have one", csv_columns[C_ID]);
        free(idt);
        return;
    }
    if (!ismo_id_is_valid(idt)) {
        reg_error(self, line, "%s: '%s' is not a valid objective id (1..64 of A-Z a-z 0-9 . _ : -)",
                  csv_columns[C_ID], idt);
        free(idt);
        return;
    }
    Ismo__V1__Objective *o = objective_alloc();
    o->id = idt;
    set_str(&o->title, csv_cell(row, col[C_TITLE]));
    o->has_level = 1;
    o->level = ISMO__V1__LEVEL__TACTICAL;
    const char *owner = csv_cell(row, col[C_OWNER]);
    set_str(&o->owner, owner);
    char fn[ISMO_MAX_FUNCTION_BYTES + 1];
    ismo_register_function_from(owner, fn, sizeof fn);
    if (!fn[0]) {
        snprintf(fn, sizeof fn, "unassigned");
    }
    set_str(&o->function, fn);
    note_add(o, "Function", owner, "the register has no function column; function derived from Owner");
    csv_refs(self, o, line, csv_columns[C_LINKED], csv_cell(row, col[C_LINKED]));

    Ismo__V1__Metric *m = objective_metric(o);
    const char *metric = csv_cell(row, col[C_METRIC]);
    set_str(&m->name, metric);
    m->has_aggregation = 1;
    m->aggregation = ISMO__V1__AGGREGATION__LAST;
    m->has_window_ms = 1;
    m->window_ms = 0;
    char unit[16] = "";

    /* Baseline: "5.8% (2025-12)" */
    const char *btext = csv_cell(row, col[C_BASELINE]);
    value b;
    int bextra = value_parse(btext, &b);
    if (b.has_value) {
        o->has_baseline = 1;
        o->baseline = b.value;
        unit_merge(unit, sizeof unit, b.unit);
        if (b.paren) {
            char ptok[32] = "";
            sscanf(b.paren, "%31s", ptok);
            int64_t at;
            int prc = period_parse(ptok, 1, &at);
            if (prc == 0) {
                o->has_baseline_at_ms = 1;
                o->baseline_at_ms = at;
                if (strcmp(ptok, b.paren) != 0) {
                    note_add(o, csv_columns[C_BASELINE], btext,
                             "baseline date read from the first word of the parenthesis");
                }
            } else {
                keep_unparsed(self, o, line, csv_columns[C_BASELINE], btext,
                              prc == -2 ? "has a date in parentheses that " RANGE_DATE
                                        : "has a date in parentheses that is not a period");
            }
        }
        if (bextra || b.by || b.in) {
            keep_unparsed(self, o, line, csv_columns[C_BASELINE], btext,
                          "has words that were not interpreted (the number was kept)");
        }
    } else if (*skip_ws(btext)) {
        keep_unparsed(self, o, line, csv_columns[C_BASELINE], btext,
                      b.out_of_range ? RANGE_VALUE : "is not a number");
    }

    /* Target: "<5% by 2026-12-31", "100% in 2026-Q3 and Q4", "Yes by ..." */
    const char *ttext = csv_cell(row, col[C_TARGET]);
    value t;
    int textra = value_parse(ttext, &t);
    if (t.has_value) {
        o->has_target = 1;
        o->target = t.value;
        unit_merge(unit, sizeof unit, t.unit);
        m->has_direction = 1;
        if (t.cmp == '<') {
            m->direction = ISMO__V1__DIRECTION__LOWER_IS_BETTER;
        } else if (t.cmp == '>') {
            m->direction = ISMO__V1__DIRECTION__HIGHER_IS_BETTER;
        } else if (o->has_baseline && t.value < o->baseline) {
            m->direction = ISMO__V1__DIRECTION__LOWER_IS_BETTER;
        } else {
            m->direction = ISMO__V1__DIRECTION__HIGHER_IS_BETTER;
        }
        if (t.cmp && !t.cmp_eq) {
            /* "<5%", ">95%": strict (ISO/IEC 27001 registers write "below 5%") */
            o->has_target_exclusive = 1;
            o->target_exclusive = 1;
        }
        o->has_target_mode = 1;
        o->target_mode = ISMO__V1__TARGET_MODE__REACH;
        int64_t e;
        period_item per[24];
        int kind = 0, np = 0;
        if (t.by) {
            int drc = period_parse(t.by, 1, &e);
            if (drc == 0) {
                o->has_deadline_ms = 1;
                o->deadline_ms = e;
            } else {
                keep_unparsed(self, o, line, csv_columns[C_TARGET], ttext,
                              drc == -2 ? "has a deadline that " RANGE_DATE
                                        : "has a deadline that is not a date");
            }
        } else if (t.in) {
            if ((np = in_periods_parse(t.in, per, 24, &kind)) > 0) {
                /* "100% in 2026-Q3 and Q4": hold the target in each period */
                o->target_mode = ISMO__V1__TARGET_MODE__MAINTAIN;
                o->has_start_ms = 1;
                o->start_ms = per[0].from_ms;
                o->has_deadline_ms = 1;
                o->deadline_ms = per[np - 1].to_ms;
                if (np > 1) {
                    for (int i = 0; i < np; i++) {
                        char num[32];
                        snprintf(num, sizeof num, "%.17g", t.value);
                        period_target_add(self, o, line, per[i].label, NULL, NULL, num);
                    }
                    m->has_period = 1;
                    m->period = (Ismo__V1__CalendarPeriod)kind;
                    m->has_window_ms = 0; /* the calendar period replaces the window */
                    m->window_ms = 0;
                }
            } else {
                keep_unparsed(self, o, line, csv_columns[C_TARGET], ttext,
                              "has a period that is not understood");
            }
        } else {
            keep_unparsed(self, o, line, csv_columns[C_TARGET], ttext,
                          "has no deadline ('by DATE' or 'in PERIOD')");
        }
        if (textra || t.paren) {
            keep_unparsed(self, o, line, csv_columns[C_TARGET], ttext,
                          "has words that were not interpreted (the number was kept)");
        }
    } else {
        keep_unparsed(self, o, line, csv_columns[C_TARGET], ttext,
                      t.out_of_range     ? RANGE_VALUE
                      : *skip_ws(ttext) ? "is not a number"
                                        : "is empty: the objective has no target");
    }
    if (!o->has_start_ms && o->has_baseline_at_ms &&
        (!o->has_deadline_ms || o->baseline_at_ms <= o->deadline_ms)) {
        /* progress is expected from when the baseline was measured */
        o->has_start_ms = 1;
        o->start_ms = o->baseline_at_ms;
    }

    /* Measurement Frequency */
    const char *ftext = csv_cell(row, col[C_FREQ]);
    int64_t freq;
    if (frequency_parse(ftext, &freq) == 0) {
        m->has_frequency_ms = 1;
        m->frequency_ms = freq;
    } else if (*skip_ws(ftext)) {
        keep_unparsed(self, o, line, csv_columns[C_FREQ], ftext, "is not a known frequency");
    }

    /* Current Value -> a dated sample */
    const char *ctext = csv_cell(row, col[C_CURRENT]);
    value c;
    int cextra = value_parse(ctext, &c);
    int64_t at = 0;
    char ptok[32] = "";
    if (c.paren) {
        sscanf(c.paren, "%31s", ptok);
    }
    int crc = c.has_value && ptok[0] ? period_parse(ptok, 1, &at) : -1;
    if (c.has_value && ptok[0] && crc == 0) {
        unit_merge(unit, sizeof unit, c.unit);
        char *sid = xprintf("import:%s:%s", o->id, ptok);
        char *src = xprintf("import:%s", self->base);
        add_sample(self, sample_new(o->id, c.value, at, src, sid));
        free(sid);
        free(src);
        if (cextra) {
            keep_unparsed(self, o, line, csv_columns[C_CURRENT], ctext,
                          "has words that were not interpreted (sample kept with the number)");
        }
    } else if (c.has_value) {
        keep_unparsed(self, o, line, csv_columns[C_CURRENT], ctext,
                      crc == -2 ? "has a period in parentheses that " RANGE_DATE
                      : ptok[0] ? "has a period in parentheses that is not a date, so it "
                                  "cannot be dated as a sample"
                                : "has no period in parentheses, so it cannot be dated as a sample");
    } else if (*skip_ws(ctext)) {
        keep_unparsed(self, o, line, csv_columns[C_CURRENT], ctext,
                      c.out_of_range ? RANGE_VALUE : "is not a number");
    }

    /* Unit: from the values, else from the metric's wording */
    if (!unit[0]) {
        if (strncasecmp(metric, "number of", 9) == 0) {
            snprintf(unit, sizeof unit, "count");
        } else if (strstr(metric, "yes/no")) {
            snprintf(unit, sizeof unit, "yes/no");
        }
    }
    set_str(&m->unit, unit);
    if (strcmp(unit, "yes/no") == 0) {
        m->has_value_kind = 1;
        m->value_kind = ISMO__V1__VALUE_KIND__YES_NO; /* "No" -> "Yes by 2026-12-31" */
    } else if (strcmp(unit, "h") == 0) {
        m->has_value_kind = 1;
        m->value_kind = ISMO__V1__VALUE_KIND__DURATION; /* "2h 45min (2025)" */
    }

    /* Status: computed by ismod, never typed in */
    const char *stext = csv_cell(row, col[C_STATUS]);
    if (*skip_ws(stext)) {
        note_add(o, csv_columns[C_STATUS], stext,
                 "status as recorded in register; ismod computes status from samples");
    }
    const char *rtext = csv_cell(row, col[C_REVIEW]);
    if (*skip_ws(rtext)) {
        /* the next review of the objective (a REVIEW_DUE reminder) */
        int64_t rms;
        char *rt = trim_dup(rtext, strlen(rtext));
        int rrc = period_parse(rt, 0, &rms);
        if (rrc == 0) {
            i64v_add(&o->n_review_dates_ms, &o->review_dates_ms, rms);
        } else {
            keep_unparsed(self, o, line, csv_columns[C_REVIEW], rtext,
                          rrc == -2 ? RANGE_DATE : "is not a date");
        }
        free(rt);
    }
    const char *atext = csv_cell(row, col[C_ACTION]);
    char *act = trim_dup(atext, strlen(atext));
    if (*act) {
        Ismo__V1__Action *a = xcalloc(1, sizeof *a);
        ismo__v1__action__init(a);
        if (ismo_id_is_valid(act)) {
            a->id = xstrdup(act); /* "RTP-005": an entry of the risk treatment plan */
        }
        a->what = act;
        ptrv_push((void ***)&o->actions, &o->n_actions, a);
    } else {
        free(act);
        reg_warn(self, line, csv_columns[C_ACTION],
                 "empty: objective %s has no plan action (6.2 g-j: what, resources, who, when)",
                 o->id);
    }
    o->evaluation_method = xprintf("%s, measured %s (from register %s)", metric,
                                   *skip_ws(ftext) ? ftext : "at an unstated frequency", self->base);
    value_free(&b);
    value_free(&t);
    value_free(&c);
    add_objective(self, o, line);
}

static ismo_err load_csv_register(ismo_register_t *self, const char *text, size_t len)
{
    csv_table t;
    if (csv_table_parse(self, text, len, &t) != 0) {
        csv_table_free(&t);
        return ISMO_ERR_PARSE;
    }
    if (t.n == 0) {
        reg_error(self, 1, "empty CSV file");
        csv_table_free(&t);
        return ISMO_ERR_PARSE;
    }
    int col[C_COUNT];
    for (int i = 0; i < C_COUNT; i++) {
        col[i] = csv_column(&t.rows[0], csv_columns[i]);
    }
    if (col[C_ID] < 0 || col[C_TITLE] < 0) {
        reg_error(self, 1, "CSV register header needs at least the columns ID and Objective");
        csv_table_free(&t);
        return ISMO_ERR_PARSE;
    }
    for (int i = 0; i < C_COUNT; i++) {
        if (col[i] < 0) {
            reg_warn(self, 1, csv_columns[i], "column missing from the header");
        }
    }
    for (size_t j = 0; j < t.rows[0].n; j++) {
        int known = 0;
        for (int i = 0; i < C_COUNT; i++) {
            known |= col[i] == (int)j;
        }
        if (!known) {
            reg_warn(self, 1, t.rows[0].fields[j], "unknown column; its values are kept as import notes");
        }
    }
    size_t before = self->n_objectives;
    for (size_t r = 1; r < t.n; r++) {
        const csv_row *row = &t.rows[r];
        if (row->n == 1 && !*skip_ws(row->fields[0])) {
            continue; /* blank line */
        }
        if (row->n != t.rows[0].n) {
            reg_warn(self, row->line, NULL, "row has %zu fields, the header has %zu", row->n,
                     t.rows[0].n);
        }
        size_t n0 = self->n_objectives;
        csv_register_row(self, row, col);
        if (self->n_objectives > n0) {
            Ismo__V1__Objective *o = self->objectives[self->n_objectives - 1];
            for (size_t j = 0; j < row->n; j++) {
                int known = 0;
                for (int i = 0; i < C_COUNT; i++) {
                    known |= col[i] == (int)j;
                }
                if (!known && *skip_ws(row->fields[j])) {
                    const char *name = j < t.rows[0].n ? t.rows[0].fields[j] : "(extra field)";
                    note_add(o, name, row->fields[j], "column not known to the importer");
                }
            }
        }
    }
    if (self->n_objectives > before) {
        msg_add(&self->infos,
                xprintf("%s: level set to tactical and function derived from Owner for %zu "
                        "objectives (the CSV register has neither column)",
                        self->name, self->n_objectives - before));
    }
    csv_table_free(&t);
    return ISMO_OK;
}

/* ---- YAML register --------------------------------------------------------------- */

typedef struct yctx {
    ismo_register_t *self;
    yaml_document_t *doc;
    const char *text; /* the file, for the text of lists and mappings as written */
    size_t len;
    strlist texts;    /* ytext results, freed with the document */
} yctx;

/* The error of a failed yaml_parser_load, with its line and column. A
 * reader error (bytes that are not UTF-8) has no mark, only the byte
 * offset: its line and column are counted from the text. */
static void yaml_syntax_error(ismo_register_t *self, const yaml_parser_t *parser,
                              const char *text, size_t len)
{
    size_t line = parser->problem_mark.line + 1, column = parser->problem_mark.column + 1;
    if (parser->error == YAML_READER_ERROR) {
        size_t off = parser->problem_offset < len ? parser->problem_offset : len;
        /* a bad trailing byte: point at the character it should continue */
        for (size_t p = off; off < len && p > 0 && off - p < 3 && (unsigned char)text[off] < 0xC0;) {
            p--;
            if (((unsigned char)text[p] & 0xC0) == 0xC0) {
                off = p;
                break;
            }
            if (((unsigned char)text[p] & 0xC0) != 0x80) {
                break;
            }
        }
        line = 1;
        column = 1;
        for (size_t i = 0; i < off; i++) {
            if (text[i] == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
    }
    reg_error(self, (int)line, "YAML syntax error: %s%s%s (line %zu, column %zu)",
              parser->problem ? parser->problem : "unknown problem",
              parser->context ? " " : "", parser->context ? parser->context : "", line, column);
}

static int ynode_line(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }

static const char *yscalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Text of a node for an import note: the scalar, or a list or mapping as
 * written in the file (from its start to its end mark, trimmed). Owned by y. */
static const char *ytext(yctx *y, const yaml_node_t *n)
{
    if (!n) {
        return "";
    }
    if (n->type == YAML_SCALAR_NODE) {
        return (const char *)n->data.scalar.value;
    }
    size_t from = n->start_mark.index, to = n->end_mark.index;
    if (from >= to || to > y->len) {
        return n->type == YAML_SEQUENCE_NODE ? "(a list)" : "(a mapping)";
    }
    char *t = trim_dup(y->text + from, to - from);
    msg_add(&y->texts, t);
    return t;
}

static int yis_empty(const yaml_node_t *n)
{
    const char *s = yscalar(n);
    return s && (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0) &&
           n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static yaml_node_t *ynode(yctx *y, int idx) { return yaml_document_get_node(y->doc, idx); }

/* Set key (objective scalar or "metric.X") from a YAML value node. */
static void yaml_set(yctx *y, obuild *b, const char *key, yaml_node_t *v)
{
    if (yis_empty(v)) {
        return;
    }
    const char *s = yscalar(v);
    if (!s) {
        keep_unparsed(y->self, b->o, ynode_line(v), key, ytext(y, v), "should be a single value");
        return;
    }
    if (objective_set(y->self, b, ynode_line(v), key, s) != 0) {
        keep_unparsed(y->self, b->o, ynode_line(v), key, s,
                      strncmp(key, "metric.", 7) == 0 ? "is not a known metric key"
                                                      : "is not a known objective key");
    }
}

/* A list value (or one scalar) of key, item by item: objective list keys,
 * or the action's list keys when a is set. */
static void yaml_list(yctx *y, obuild *b, Ismo__V1__Action *a, const char *key, const char *k,
                      yaml_node_t *node)
{
    if (yis_empty(node)) {
        return;
    }
    Ismo__V1__Objective *o = b->o;
    if (node->type == YAML_MAPPING_NODE) {
        keep_unparsed(y->self, o, ynode_line(node), key, ytext(y, node), "should be a list");
        return;
    }
    if (node->type == YAML_SCALAR_NODE) {
        if (a) {
            action_set(y->self, o, a, ynode_line(node), key, k, yscalar(node));
        } else {
            objective_add_item(y->self, b, ynode_line(node), key, yscalar(node));
        }
        return;
    }
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *item = ynode(y, *it);
        const char *s = yscalar(item);
        if (!s) {
            keep_unparsed(y->self, o, ynode_line(item), key, ytext(y, item),
                          "list item should be a single value");
        } else if (a) {
            action_set(y->self, o, a, ynode_line(item), key, k, s);
        } else {
            objective_add_item(y->self, b, ynode_line(item), key, s);
        }
    }
}

static void yaml_metric(yctx *y, obuild *b, yaml_node_t *node)
{
    Ismo__V1__Objective *o = b->o;
    objective_metric(o);
    if (node->type != YAML_MAPPING_NODE) {
        keep_unparsed(y->self, o, ynode_line(node), "metric", ytext(y, node),
                      "should be a mapping {name, unit, value_kind, direction, aggregation, "
                      "window, frequency, period}");
        return;
    }
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        const char *k = yscalar(ynode(y, p->key));
        yaml_node_t *v = ynode(y, p->value);
        char key[80];
        snprintf(key, sizeof key, "metric.%s", k ? k : "?");
        if (!k) {
            keep_unparsed(y->self, o, ynode_line(v), "metric", ytext(y, v), "has a non-text key");
        } else {
            yaml_set(y, b, key, v);
        }
    }
}

static void yaml_plan(yctx *y, obuild *b, yaml_node_t *node)
{
    Ismo__V1__Objective *o = b->o;
    if (node->type != YAML_SEQUENCE_NODE) {
        keep_unparsed(y->self, o, ynode_line(node), "plan", ytext(y, node),
                      "should be a list of actions");
        return;
    }
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *an = ynode(y, *it);
        if (an->type != YAML_MAPPING_NODE) {
            keep_unparsed(y->self, o, ynode_line(an), "plan", ytext(y, an),
                          "action should be a mapping {id, what, resources, responsible, due, "
                          "status, reminders}");
            continue;
        }
        Ismo__V1__Action *a = xcalloc(1, sizeof *a);
        ismo__v1__action__init(a);
        for (yaml_node_pair_t *p = an->data.mapping.pairs.start; p < an->data.mapping.pairs.top;
             p++) {
            const char *k = yscalar(ynode(y, p->key));
            yaml_node_t *v = ynode(y, p->value);
            char key[80];
            snprintf(key, sizeof key, "plan.%s", k ? k : "?");
            if (!k) {
                keep_unparsed(y->self, o, ynode_line(v), "plan", ytext(y, v), "has a non-text key");
            } else if (strcmp(k, "reminders") == 0) {
                yaml_list(y, b, a, key, k, v);
            } else if (yis_empty(v)) {
                continue;
            } else if (!yscalar(v)) {
                keep_unparsed(y->self, o, ynode_line(v), key, ytext(y, v), "should be a single value");
            } else if (action_set(y->self, o, a, ynode_line(v), key, k, yscalar(v)) != 0) {
                keep_unparsed(y->self, o, ynode_line(v), key, yscalar(v),
                              "is not a known action key");
            }
        }
        if (!a->what) {
            reg_warn(y->self, ynode_line(an), "plan", "action of %s has no 'what'", o->id);
        }
        ptrv_push((void ***)&o->actions, &o->n_actions, a);
    }
}

/* Scalar value of key k in the mapping node, or NULL. */
static const char *ymap_get(yctx *y, yaml_node_t *node, const char *k)
{
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        const char *pk = yscalar(ynode(y, p->key));
        if (pk && strcmp(pk, k) == 0) {
            yaml_node_t *v = ynode(y, p->value);
            return yis_empty(v) ? NULL : yscalar(v);
        }
    }
    return NULL;
}

/* Keys of the mapping node outside allowed (a NULL-terminated list) are
 * kept as notes of field. */
static void ymap_unknown(yctx *y, Ismo__V1__Objective *o, yaml_node_t *node, const char *field,
                         const char *const *allowed)
{
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        const char *k = yscalar(ynode(y, p->key));
        int known = 0;
        for (const char *const *a = allowed; k && *a; a++) {
            known |= strcmp(k, *a) == 0;
        }
        if (!known) {
            yaml_node_t *v = ynode(y, p->value);
            char *t = xprintf("%s: %s", k ? k : "?", ytext(y, v));
            keep_unparsed(y->self, o, ynode_line(v), field, t, "is not a known key here");
            free(t);
        }
    }
}

static void yaml_period_targets(yctx *y, obuild *b, yaml_node_t *node)
{
    static const char *const allowed[] = {"label", "period", "from", "to", "target", NULL};
    Ismo__V1__Objective *o = b->o;
    if (yis_empty(node)) {
        return;
    }
    if (node->type != YAML_SEQUENCE_NODE) {
        keep_unparsed(y->self, o, ynode_line(node), "period_targets", ytext(y, node),
                      "should be a list of {label, target} or {label, from, to, target}");
        return;
    }
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *pn = ynode(y, *it);
        if (pn->type != YAML_MAPPING_NODE) {
            keep_unparsed(y->self, o, ynode_line(pn), "period_targets", ytext(y, pn),
                          "should be a mapping {label, from, to, target}");
            continue;
        }
        const char *label = ymap_get(y, pn, "label");
        if (!label) {
            label = ymap_get(y, pn, "period");
        }
        period_target_add(y->self, o, ynode_line(pn), label, ymap_get(y, pn, "from"),
                          ymap_get(y, pn, "to"), ymap_get(y, pn, "target"));
        ymap_unknown(y, o, pn, "period_targets", allowed);
    }
}

/* Import notes of an exported register, carried over as they are. */
static void yaml_import_notes(yctx *y, obuild *b, yaml_node_t *node)
{
    static const char *const allowed[] = {"field", "text", "problem", NULL};
    Ismo__V1__Objective *o = b->o;
    if (yis_empty(node)) {
        return;
    }
    if (node->type != YAML_SEQUENCE_NODE) {
        keep_unparsed(y->self, o, ynode_line(node), "import_notes", ytext(y, node),
                      "should be a list of {field, text, problem}");
        return;
    }
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *nn = ynode(y, *it);
        if (nn->type != YAML_MAPPING_NODE) {
            keep_unparsed(y->self, o, ynode_line(nn), "import_notes", ytext(y, nn),
                          "should be a mapping {field, text, problem}");
            continue;
        }
        const char *f = ymap_get(y, nn, "field"), *t = ymap_get(y, nn, "text"),
                   *pr = ymap_get(y, nn, "problem");
        note_add(o, f ? f : "", t ? t : "", pr ? pr : "");
        ymap_unknown(y, o, nn, "import_notes", allowed);
    }
}

static void yaml_samples(yctx *y, Ismo__V1__Objective *o, yaml_node_t *node)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        keep_unparsed(y->self, o, ynode_line(node), "samples", ytext(y, node),
                      "should be a list of {at, value}");
        return;
    }
    char *src = xprintf("import:%s", y->self->base);
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *sn = ynode(y, *it);
        int line = ynode_line(sn);
        const char *at = NULL, *val = NULL, *source = NULL, *sid = NULL, *total = NULL;
        if (sn->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = sn->data.mapping.pairs.start;
                 p < sn->data.mapping.pairs.top; p++) {
                const char *k = yscalar(ynode(y, p->key));
                const char *v = yscalar(ynode(y, p->value));
                if (k && strcmp(k, "at") == 0) {
                    at = v;
                } else if (k && strcmp(k, "value") == 0) {
                    val = v;
                } else if (k && strcmp(k, "source") == 0) {
                    source = v;
                } else if (k && strcmp(k, "id") == 0) {
                    sid = v;
                } else if (k && strcmp(k, "total") == 0) {
                    total = v; /* RATIO metrics: value good of total */
                } else {
                    char *t = xprintf("%s: %s", k ? k : "?", v ? v : "(not a value)");
                    keep_unparsed(y->self, o, line, "samples", t, "is not a known sample key");
                    free(t);
                }
            }
        }
        double d, tot = 0;
        int64_t ms;
        int rc;
        if (!at || !val) {
            keep_unparsed(y->self, o, line, "samples", ytext(y, sn), "sample needs 'at' and 'value'");
        } else if (total && (number_full(total, &tot) != 0 || tot <= 0)) {
            char *t = xprintf("at: %s, value: %s, total: %s", at, val, total);
            keep_unparsed(y->self, o, line, "samples", t, "has a total that is not a number > 0");
            free(t);
        } else if ((rc = number_full(val, &d)) != 0) {
            char *t = xprintf("at: %s, value: %s", at, val);
            keep_unparsed(y->self, o, line, "samples", t,
                          rc == -2 ? "has a value that " RANGE_VALUE
                                   : "has a value that is not a finite number");
            free(t);
        } else if ((rc = period_parse(at, 0, &ms)) != 0) {
            char *t = xprintf("at: %s, value: %s", at, val);
            keep_unparsed(y->self, o, line, "samples", t,
                          rc == -2 ? "has an 'at' that " RANGE_DATE
                                   : "has an 'at' that is not a date");
            free(t);
        } else {
            char *id = sid ? xstrdup(sid) : xprintf("import:%s:%s", o->id, at);
            Ismo__V1__Sample *smp = sample_new(o->id, d, ms, source ? source : src, id);
            if (total) {
                smp->has_total = 1;
                smp->total = tot;
            }
            add_sample(y->self, smp);
            free(id);
        }
    }
    free(src);
}

static void yaml_objective(yctx *y, yaml_node_t *node)
{
    int line = ynode_line(node);
    if (node->type != YAML_MAPPING_NODE) {
        reg_error(y->self, line, "an objective must be a mapping (id: ..., title: ...)");
        return;
    }
    Ismo__V1__Objective *o = objective_alloc();
    /* the id first, so notes and warnings can name it */
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        const char *k = yscalar(ynode(y, p->key));
        if (k && strcmp(k, "id") == 0) {
            yaml_node_t *v = ynode(y, p->value);
            const char *s = yscalar(v);
            line = ynode_line(v);
            if (!s || !ismo_id_is_valid(s)) {
                reg_error(y->self, line,
                          "id: '%s' is not a valid objective id (1..64 of A-Z a-z 0-9 . _ : -)",
                          ytext(y, v));
                ismo__v1__objective__free_unpacked(o, NULL);
                return;
            }
            o->id = xstrdup(s);
            break; /* a repeated id key is reported with the other keys below */
        }
    }
    if (!o->id) {
        reg_error(y->self, line, "objective has no id");
        ismo__v1__objective__free_unpacked(o, NULL);
        return;
    }
    yaml_node_t *samples = NULL;
    obuild b = {o, {NULL, NULL}, {0, 0}};
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        const char *k = yscalar(ynode(y, p->key));
        yaml_node_t *v = ynode(y, p->value);
        const yaml_node_pair_t *dup = NULL;
        for (const yaml_node_pair_t *q = node->data.mapping.pairs.start; k && q < p; q++) {
            const char *qk = yscalar(ynode(y, q->key));
            if (qk && strcmp(qk, k) == 0) {
                dup = q;
            }
        }
        if (dup) {
            char *why = xprintf("repeats key '%s' of line %d; the first value is used", k,
                                ynode_line(ynode(y, dup->value)));
            keep_unparsed(y->self, o, ynode_line(v), k, ytext(y, v), why);
            free(why);
            continue;
        }
        if (!k) {
            keep_unparsed(y->self, o, ynode_line(v), "objective", ytext(y, v), "has a non-text key");
        } else if (strcmp(k, "id") == 0) {
            continue;
        } else if (strcmp(k, "metric") == 0) {
            yaml_metric(y, &b, v);
        } else if (strcmp(k, "plan") == 0 || strcmp(k, "actions") == 0) {
            yaml_plan(y, &b, v);
        } else if (strcmp(k, "samples") == 0) {
            samples = v;
        } else if (strcmp(k, "period_targets") == 0) {
            yaml_period_targets(y, &b, v);
        } else if (strcmp(k, "import_notes") == 0) {
            yaml_import_notes(y, &b, v);
        } else if (objective_list_key(k)) {
            yaml_list(y, &b, NULL, k, k, v);
        } else if (!yscalar(v) && !objective_scalar_key(k)) {
            keep_unparsed(y->self, o, ynode_line(v), k, ytext(y, v), "is not a known objective key");
        } else {
            yaml_set(y, &b, k, v);
        }
    }
    obuild_finish(y->self, &b);
    if (samples) {
        yaml_samples(y, o, samples);
    }
    add_objective(y->self, o, line);
}

/* ---- metric catalogue (massyn/cyber-metrics layout; docs/cli.md "Metric catalogue") ---- */

/* The "metrics:" list of a metric catalogue, or NULL: root is a mapping
 * without "objectives:" whose "metrics:" is a list and whose first mapping
 * entry has both metric_id and slo. */
static yaml_node_t *catalogue_list(yctx *y, yaml_node_t *root)
{
    if (!root || root->type != YAML_MAPPING_NODE) {
        return NULL;
    }
    yaml_node_t *list = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const char *k = yscalar(ynode(y, p->key));
        if (k && strcmp(k, "objectives") == 0) {
            return NULL;
        }
        if (k && strcmp(k, "metrics") == 0) {
            list = ynode(y, p->value);
        }
    }
    if (!list || list->type != YAML_SEQUENCE_NODE) {
        return NULL;
    }
    for (yaml_node_item_t *it = list->data.sequence.items.start;
         it < list->data.sequence.items.top; it++) {
        yaml_node_t *e = ynode(y, *it);
        if (e && e->type == YAML_MAPPING_NODE) {
            int has_id = 0, has_slo = 0;
            for (yaml_node_pair_t *p = e->data.mapping.pairs.start;
                 p < e->data.mapping.pairs.top; p++) {
                const char *k = yscalar(ynode(y, p->key));
                has_id |= k && strcmp(k, "metric_id") == 0;
                has_slo |= k && strcmp(k, "slo") == 0;
            }
            return has_id && has_slo ? list : NULL;
        }
    }
    return NULL;
}

/* A fraction 0..1 of the catalogue as a percentage, without the binary
 * noise of the multiplication (0.99 -> 99, not 99.00000000000001). */
static double catalogue_percent(double fraction)
{
    return round(fraction * 100.0 * 1e9) / 1e9;
}

/* slo: [red/amber bound, green target] as fractions. The green value
 * becomes the target; both are written into the evaluation method. */
static void catalogue_slo(yctx *y, Ismo__V1__Objective *o, yaml_node_t *v)
{
    double f[2] = {0, 0};
    int ok = v->type == YAML_SEQUENCE_NODE &&
             v->data.sequence.items.top - v->data.sequence.items.start == 2;
    for (int i = 0; ok && i < 2; i++) {
        const char *s = yscalar(ynode(y, v->data.sequence.items.start[i]));
        ok = s && number_full(s, &f[i]) == 0 && f[i] >= 0 && f[i] <= 1;
    }
    if (!ok) {
        keep_unparsed(y->self, o, ynode_line(v), "slo", ytext(y, v),
                      "is not a pair [red/amber bound, green target] of fractions 0..1; "
                      "no target set");
        return;
    }
    double lo = catalogue_percent(f[0]), hi = catalogue_percent(f[1]);
    o->has_target = 1;
    o->target = hi;
    if (lo > hi) {
        reg_warn(y->self, ynode_line(v), "slo",
                 "red/amber bound %g %% is above the green target %g %% on %s", lo, hi, o->id);
    }
    free(o->evaluation_method);
    o->evaluation_method = xprintf(
        "Catalogue SLO [%s, %s]: green (the target) at or above %g %%, amber from %g %% up to "
        "%g %%, red below %g %%. ismod judges the target; the red/amber bound is kept here.",
        yscalar(ynode(y, v->data.sequence.items.start[0])),
        yscalar(ynode(y, v->data.sequence.items.start[1])), hi, lo, hi, lo);
}

/* references: {"ISO 27001:2022": [A.x.y, ...], "CIS 8.1": [...], ...}. The
 * ISO 27001:2022 ones become control_refs; the other frameworks are kept as
 * notes (field "references.<framework>"), without a warning. */
static void catalogue_refs(yctx *y, Ismo__V1__Objective *o, yaml_node_t *v)
{
    if (yis_empty(v)) {
        return;
    }
    if (v->type != YAML_MAPPING_NODE) {
        keep_unparsed(y->self, o, ynode_line(v), "references", ytext(y, v),
                      "is not a mapping of framework to control ids");
        return;
    }
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k = yscalar(ynode(y, p->key));
        yaml_node_t *refs = ynode(y, p->value);
        char *field = xprintf("references.%s", k ? k : "?");
        if (k && strcmp(k, "ISO 27001:2022") == 0 && refs->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = refs->data.sequence.items.start;
                 it < refs->data.sequence.items.top; it++) {
                yaml_node_t *r = ynode(y, *it);
                const char *s = yscalar(r);
                if (s && *s) {
                    strv_add(&o->n_control_refs, &o->control_refs, s);
                } else {
                    keep_unparsed(y->self, o, ynode_line(r), field, ytext(y, r),
                                  "is not a control id");
                }
            }
        } else if (k && strcmp(k, "ISO 27001:2022") == 0) {
            keep_unparsed(y->self, o, ynode_line(refs), field, ytext(y, refs),
                          "is not a list of control ids");
        } else {
            /* a list of ids as "7.5, 7.6"; anything else as written */
            char *joined = NULL;
            for (yaml_node_item_t *it = refs->type == YAML_SEQUENCE_NODE
                                            ? refs->data.sequence.items.start : NULL;
                 it && it < refs->data.sequence.items.top; it++) {
                const char *s = yscalar(ynode(y, *it));
                char *next = s ? xprintf("%s%s%s", joined ? joined : "", joined ? ", " : "", s)
                               : NULL;
                free(joined);
                joined = next;
                if (!next) {
                    break;
                }
            }
            note_add(o, field, joined ? joined : ytext(y, refs),
                     "another framework's references; ismo keeps ISO 27001:2022 Annex A "
                     "controls only");
            free(joined);
        }
        free(field);
    }
}

/* Catalogue keys with no objective field, kept as notes without a warning. */
static const char *const catalogue_note_keys[] = {"type", "weight", "indicator",
                                                  "source_path", "source_commit", NULL};

/* One catalogue entry -> one objective (DRAFT: no owner, baseline,
 * deadline or plan; the function is derived from category). Returns nothing; errors and warnings are
 * added to y->self. first: index of the first objective of this file. */
static void catalogue_entry(yctx *y, yaml_node_t *node, size_t first)
{
    ismo_register_t *self = y->self;
    int line = ynode_line(node);
    if (node->type != YAML_MAPPING_NODE) {
        reg_error(self, line, "a catalogue entry must be a mapping (metric_id: ..., slo: ...)");
        return;
    }
    const char *mid = ymap_get(y, node, "metric_id");
    if (!mid) {
        reg_error(self, line, "catalogue entry has no metric_id");
        return;
    }
    for (size_t j = first; j < self->n_objectives; j++) {
        const Ismo__V1__Objective *prev = self->objectives[j];
        if (prev->metric && prev->metric->name && strcmp(prev->metric->name, mid) == 0) {
            reg_error(self, line,
                      "duplicate metric_id '%s' (first defined on line %d, again on line %d)", mid,
                      self->lines[j], line);
            return;
        }
    }
    size_t mlen = strlen(mid);
    char *id = xcalloc(1, mlen + 5);
    memcpy(id, "MET-", 4);
    for (size_t i = 0; i < mlen; i++) {
        id[4 + i] = mid[i] == '_' ? '-' : (char)toupper((unsigned char)mid[i]);
    }
    if (!ismo_id_is_valid(id)) {
        reg_error(self, line,
                  "metric_id '%s' does not give a valid objective id ('%s': 1..64 of A-Z a-z "
                  "0-9 . _ : -)",
                  mid, id);
        free(id);
        return;
    }
    Ismo__V1__Objective *o = objective_alloc();
    o->id = id;
    Ismo__V1__Metric *m = objective_metric(o);
    m->name = xstrdup(mid);
    m->unit = xstrdup("%");
    m->has_direction = 1;
    m->direction = ISMO__V1__DIRECTION__HIGHER_IS_BETTER;
    m->has_aggregation = 1;
    m->aggregation = ISMO__V1__AGGREGATION__LAST;
    m->has_window_ms = 1; /* 0: all samples; LAST takes the latest */
    m->window_ms = 0;
    const char *desc = NULL, *how = NULL;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        const char *k = yscalar(ynode(y, p->key));
        yaml_node_t *v = ynode(y, p->value);
        int dup = 0;
        for (const yaml_node_pair_t *q = node->data.mapping.pairs.start; k && q < p; q++) {
            const char *qk = yscalar(ynode(y, q->key));
            dup |= qk && strcmp(qk, k) == 0;
        }
        int note_key = 0;
        for (const char *const *a = catalogue_note_keys; k && *a; a++) {
            note_key |= strcmp(k, *a) == 0;
        }
        if (!k || dup) {
            keep_unparsed(self, o, ynode_line(v), k ? k : "entry", ytext(y, v),
                          dup ? "repeats a key of this entry; the first value is used"
                              : "has a non-text key");
        } else if (strcmp(k, "metric_id") == 0 || (strcmp(k, "category") == 0 && yscalar(v))) {
            continue; /* category: below, as the function */
        } else if (strcmp(k, "title") == 0 && yscalar(v)) {
            set_str(&o->title, yscalar(v));
        } else if (strcmp(k, "description") == 0 && yscalar(v)) {
            desc = yscalar(v);
        } else if (strcmp(k, "how") == 0 && yscalar(v)) {
            how = yscalar(v);
        } else if (strcmp(k, "slo") == 0) {
            catalogue_slo(y, o, v);
        } else if (strcmp(k, "references") == 0) {
            catalogue_refs(y, o, v);
        } else if (strcmp(k, "enabled") == 0) {
            int on = 1;
            if (!yscalar(v) || bool_parse(yscalar(v), &on) != 0 || !on) {
                keep_unparsed(self, o, ynode_line(v), "enabled", ytext(y, v),
                              on ? "is not true or false; imported like an enabled metric"
                                 : "means the catalogue disables this metric; imported as a "
                                   "DRAFT like the others (complete it or retire it)");
            }
        } else if (note_key && yscalar(v)) {
            note_add(o, k, yscalar(v), "catalogue field; ismo has no such field");
        } else {
            keep_unparsed(self, o, ynode_line(v), k, ytext(y, v),
                          "is not a known key of a metric catalogue entry");
        }
    }
    /* ismod needs a function (it scopes permissions): the catalogue's
     * category stands in for it ("Access Control" -> access-control), kept
     * as a note so the manager sees it was derived. */
    const char *category = ymap_get(y, node, "category");
    char fn[ISMO_MAX_FUNCTION_BYTES + 1];
    ismo_register_function_from(category ? category : "", fn, sizeof fn);
    if (!*fn) {
        snprintf(fn, sizeof fn, "%s", "security-metrics");
    }
    set_str(&o->function, fn);
    note_add(o, "category", category ? category : "",
             "the catalogue has no function; function derived from category (security-metrics "
             "when there is none): change it to the function that owns the objective");
    if (desc && how) {
        o->description = xprintf("%s\n\nHow it is measured: %s", desc, how);
    } else if (desc || how) {
        o->description = xprintf("%s%s", how ? "How it is measured: " : "", desc ? desc : how);
    }
    add_objective(self, o, line);
}

static void load_catalogue(yctx *y, yaml_node_t *list)
{
    ismo_register_t *self = y->self;
    size_t first = self->n_objectives, n = 0;
    for (yaml_node_item_t *it = list->data.sequence.items.start;
         it < list->data.sequence.items.top; it++, n++) {
        catalogue_entry(y, ynode(y, *it), first);
    }
    msg_add(&self->infos,
            xprintf("%s: metric catalogue: %zu entries, %zu objectives (ids MET-<METRIC_ID>, "
                    "function derived from category, DRAFT until owner, baseline, deadline and plan "
                    "are added)",
                    self->name, n, self->n_objectives - first));
}

static ismo_err load_yaml(ismo_register_t *self, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        oom();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_syntax_error(self, &parser, text, len);
        yaml_parser_delete(&parser);
        return ISMO_ERR_PARSE;
    }
    yctx y = {self, &doc, text, len, {0}};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *list = NULL;
    yaml_node_t *catalogue = catalogue_list(&y, root);
    if (catalogue) {
        self->format = ISMO_REGISTER_CATALOGUE;
        load_catalogue(&y, catalogue);
    } else if (!root) {
        reg_error(self, 1, "empty register (expected 'objectives:' with a list)");
    } else if (root->type == YAML_SEQUENCE_NODE) {
        list = root;
    } else if (root->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
             p < root->data.mapping.pairs.top; p++) {
            const char *k = yscalar(ynode(&y, p->key));
            yaml_node_t *v = ynode(&y, p->value);
            if (k && strcmp(k, "objectives") == 0) {
                list = v;
            } else {
                reg_warn(self, ynode_line(v), k ? k : "?", "unknown top-level key; ignored");
            }
        }
        if (!list) {
            reg_error(self, ynode_line(root), "no 'objectives:' list in the register");
        }
    } else {
        reg_error(self, ynode_line(root),
                  "not a register: expected a mapping with 'objectives:' (is this the right file?)");
    }
    if (list && list->type != YAML_SEQUENCE_NODE) {
        if (!yis_empty(list)) {
            reg_error(self, ynode_line(list), "'objectives' must be a list");
        }
        list = NULL;
    }
    if (list) {
        for (yaml_node_item_t *it = list->data.sequence.items.start;
             it < list->data.sequence.items.top; it++) {
            yaml_objective(&y, ynode(&y, *it));
        }
    }
    strlist_free(&y.texts);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return self->errors.n ? ISMO_ERR_PARSE : ISMO_OK;
}

/* ---- ismo CSV register (the lossless layout `ismo export --format csv` writes) --- */

/* Columns of the ismo CSV register: the header names and what each holds.
 * Rows: "objective" (the objective's fields), then its "action", "period
 * target" and "note" rows with the same ID. List cells hold one item per
 * line; inside an item "\n" is a newline and "\\" a backslash. Found by
 * header name (order free). register_export.c writes the same names. */
enum { IC_ID, IC_ROW, IC_OBJ, IC_OBJ_LIST, IC_ACTION, IC_ACTION_LIST, IC_PT, IC_NOTE };

static const struct {
    const char *column;
    const char *key;
    int kind;
} ismo_csv_columns[] = {
    {"ID", "id", IC_ID},
    {"Row", "row", IC_ROW},
    {"Objective", "title", IC_OBJ},
    {"Description", "description", IC_OBJ},
    {"Level", "level", IC_OBJ},
    {"Function", "function", IC_OBJ},
    {"Owner", "owner", IC_OBJ},
    {"Parent", "parent", IC_OBJ},
    {"Metric", "metric.name", IC_OBJ},
    {"Unit", "metric.unit", IC_OBJ},
    {"Value Kind", "metric.value_kind", IC_OBJ},
    {"Direction", "metric.direction", IC_OBJ},
    {"Aggregation", "metric.aggregation", IC_OBJ},
    {"Window", "metric.window", IC_OBJ},
    {"Frequency", "metric.frequency", IC_OBJ},
    {"Calendar Period", "metric.period", IC_OBJ},
    {"Baseline", "baseline", IC_OBJ},
    {"Baseline At", "baseline_at", IC_OBJ},
    {"Target", "target", IC_OBJ},
    {"Target Exclusive", "target_exclusive", IC_OBJ},
    {"Target Mode", "target_mode", IC_OBJ},
    {"Start", "start", IC_OBJ},
    {"Deadline", "deadline", IC_OBJ},
    {"Review Cadence", "review_cadence", IC_OBJ},
    {"Policy Refs", "policy_refs", IC_OBJ_LIST},
    {"Risk Refs", "risk_refs", IC_OBJ_LIST},
    {"Controls", "controls", IC_OBJ_LIST},
    {"Evaluation Method", "evaluation_method", IC_OBJ},
    {"Not Measurable", "not_measurable", IC_OBJ},
    {"Not Measurable Reason", "not_measurable_reason", IC_OBJ},
    {"Review Dates", "review_dates", IC_OBJ_LIST},
    {"Reminders", "reminders", IC_OBJ_LIST},
    {"Overdue Repeat", "overdue_repeat", IC_OBJ},
    {"Escalate After", "escalate_after", IC_OBJ},
    {"Escalate To", "escalate_to", IC_OBJ},
    {"Action Id", "id", IC_ACTION},
    {"What", "what", IC_ACTION},
    {"Resources", "resources", IC_ACTION},
    {"Responsible", "responsible", IC_ACTION},
    {"Due", "due", IC_ACTION},
    {"Action Status", "status", IC_ACTION},
    {"Action Reminders", "reminders", IC_ACTION_LIST},
    {"Period Label", "label", IC_PT},
    {"Period From", "from", IC_PT},
    {"Period To", "to", IC_PT},
    {"Period Target", "target", IC_PT},
    {"Note Field", "field", IC_NOTE},
    {"Note Text", "text", IC_NOTE},
    {"Note Problem", "problem", IC_NOTE},
};
#define N_ISMO_CSV_COLUMNS (sizeof ismo_csv_columns / sizeof ismo_csv_columns[0])

/* Items of a list cell (one per line, "\n" and "\\" escapes), calling
 * add(item) for each. */
static void list_cell_items(ismo_register_t *self, obuild *b, Ismo__V1__Action *a, int line,
                            const char *key, const char *k, const char *cell)
{
    const char *p = cell;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *item = xcalloc(1, n + 1);
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            if (p[i] == '\\' && i + 1 < n && (p[i + 1] == 'n' || p[i + 1] == '\\')) {
                item[o++] = p[i + 1] == 'n' ? '\n' : '\\';
                i++;
            } else if (!(p[i] == '\r' && i + 1 == n)) {
                item[o++] = p[i];
            }
        }
        item[o] = '\0';
        if (o > 0) {
            if (a) {
                action_set(self, b->o, a, line, key, k, item);
            } else {
                objective_add_item(self, b, line, key, item);
            }
        }
        free(item);
        p += n + (e ? 1 : 0);
    }
}

static void ismo_csv_finish(ismo_register_t *self, obuild *b, int line)
{
    if (b->o) {
        obuild_finish(self, b);
        add_objective(self, b->o, line);
        b->o = NULL;
    }
}

static ismo_err load_ismo_csv(ismo_register_t *self, const char *text, size_t len)
{
    csv_table t;
    if (csv_table_parse(self, text, len, &t) != 0) {
        csv_table_free(&t);
        return ISMO_ERR_PARSE;
    }
    const csv_row *h = &t.rows[0];
    int *col = xcalloc(h->n, sizeof *col); /* header position -> ismo_csv_columns index, -1 */
    for (size_t j = 0; j < h->n; j++) {
        col[j] = -1;
        for (size_t i = 0; i < N_ISMO_CSV_COLUMNS; i++) {
            if (strcasecmp(h->fields[j], ismo_csv_columns[i].column) == 0) {
                col[j] = (int)i;
            }
        }
        if (col[j] < 0) {
            reg_warn(self, 1, h->fields[j], "unknown column; its values are kept as import notes");
        }
    }
    obuild b = {NULL, {NULL, NULL}, {0, 0}};
    int obj_line = 0;
    for (size_t r = 1; r < t.n; r++) {
        const csv_row *row = &t.rows[r];
        int line = row->line;
        if (row->n == 1 && !*skip_ws(row->fields[0])) {
            continue; /* blank line */
        }
        if (row->n != h->n) {
            reg_warn(self, line, NULL, "row has %zu fields, the header has %zu", row->n, h->n);
        }
        const char *id = "", *kind = "";
        for (size_t j = 0; j < row->n && j < h->n; j++) {
            if (col[j] >= 0 && ismo_csv_columns[col[j]].kind == IC_ID) {
                id = row->fields[j];
            } else if (col[j] >= 0 && ismo_csv_columns[col[j]].kind == IC_ROW) {
                kind = row->fields[j];
            }
        }
        int want;
        if (strcasecmp(kind, "objective") == 0) {
            want = IC_OBJ;
        } else if (strcasecmp(kind, "action") == 0) {
            want = IC_ACTION;
        } else if (strcasecmp(kind, "period target") == 0) {
            want = IC_PT;
        } else if (strcasecmp(kind, "note") == 0) {
            want = IC_NOTE;
        } else {
            reg_error(self, line, "Row: '%s' is not objective, action, period target or note",
                      kind);
            continue;
        }
        if (want == IC_OBJ) {
            ismo_csv_finish(self, &b, obj_line);
            if (!ismo_id_is_valid(id)) {
                reg_error(self, line,
                          "ID: '%s' is not a valid objective id (1..64 of A-Z a-z 0-9 . _ : -)",
                          id);
                continue;
            }
            b.o = objective_alloc();
            b.o->id = xstrdup(id);
            obj_line = line;
        } else if (!b.o || strcmp(b.o->id, id) != 0) {
            reg_error(self, line, "%s row of '%s' does not follow the objective row of '%s'", kind,
                      id, id);
            continue;
        }
        Ismo__V1__Action *a = NULL;
        if (want == IC_ACTION) {
            a = xcalloc(1, sizeof *a);
            ismo__v1__action__init(a);
        }
        const char *pt[4] = {NULL, NULL, NULL, NULL};
        const char *nt[3] = {"", "", ""};
        for (size_t j = 0; j < row->n; j++) {
            const char *cell = row->fields[j];
            if (!*cell) {
                continue;
            }
            if (j >= h->n || col[j] < 0) {
                if (want == IC_OBJ) {
                    note_add(b.o, j < h->n ? h->fields[j] : "(extra field)", cell,
                             "column not known to the importer");
                }
                continue;
            }
            int ck = ismo_csv_columns[col[j]].kind;
            const char *key = ismo_csv_columns[col[j]].key;
            const char *cname = ismo_csv_columns[col[j]].column;
            if (ck == IC_ID || ck == IC_ROW) {
                continue;
            }
            int belongs = (want == IC_OBJ && (ck == IC_OBJ || ck == IC_OBJ_LIST)) ||
                          (want == IC_ACTION && (ck == IC_ACTION || ck == IC_ACTION_LIST)) ||
                          (want == ck);
            if (!belongs) {
                char *why = xprintf("belongs to another kind of row than '%s'", kind);
                keep_unparsed(self, b.o, line, cname, cell, why);
                free(why);
            } else if (ck == IC_OBJ) {
                objective_set(self, &b, line, key, cell);
            } else if (ck == IC_OBJ_LIST) {
                list_cell_items(self, &b, NULL, line, key, key, cell);
            } else if (ck == IC_ACTION) {
                char nk[64];
                snprintf(nk, sizeof nk, "plan.%s", key);
                action_set(self, b.o, a, line, nk, key, cell);
            } else if (ck == IC_ACTION_LIST) {
                list_cell_items(self, &b, a, line, "plan.reminders", key, cell);
            } else if (ck == IC_PT) {
                pt[strcmp(key, "label") == 0 ? 0 : strcmp(key, "from") == 0 ? 1
                                                : strcmp(key, "to") == 0   ? 2
                                                                           : 3] = cell;
            } else if (ck == IC_NOTE) {
                nt[strcmp(key, "field") == 0 ? 0 : strcmp(key, "text") == 0 ? 1 : 2] = cell;
            }
        }
        if (a) {
            if (!a->what) {
                reg_warn(self, line, "What", "action of %s has no 'what'", b.o->id);
            }
            ptrv_push((void ***)&b.o->actions, &b.o->n_actions, a);
        } else if (want == IC_PT) {
            period_target_add(self, b.o, line, pt[0], pt[1], pt[2], pt[3]);
        } else if (want == IC_NOTE) {
            note_add(b.o, nt[0], nt[1], nt[2]);
        }
    }
    ismo_csv_finish(self, &b, obj_line);
    free(col);
    csv_table_free(&t);
    return self->errors.n ? ISMO_ERR_PARSE : ISMO_OK;
}

/* ---- policy and risk registers ------------------------------------------------ */

int ismo_risk_is_high(const char *rating, int has_score, double score, double high_score)
{
    static const char *const high[] = {"high", "critical", "very high", "very-high",
                                       "very_high", "extreme", "severe"};
    if (rating) {
        const char *s = skip_ws(rating);
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1])) {
            n--;
        }
        for (size_t i = 0; i < sizeof high / sizeof high[0]; i++) {
            if (strlen(high[i]) == n && strncasecmp(s, high[i], n) == 0) {
                return 1;
            }
        }
    }
    return has_score && score >= high_score;
}

/* One entry of a policy or risk register, as (key, text) pairs. */
typedef struct centry {
    int line;
    const char *keys[8];
    const char *vals[8];
    int n;
} centry;

static const char *centry_get(const centry *e, const char *k)
{
    for (int i = 0; i < e->n; i++) {
        if (strcmp(e->keys[i], k) == 0) {
            return e->vals[i];
        }
    }
    return NULL;
}

static int text_ok(ismo_register_t *self, int line, const char *what, const char *s,
                   size_t max)
{
    if (s && strlen(s) > max) {
        reg_error(self, line, "%s: longer than %zu bytes", what, max);
        return 0;
    }
    if (s && !ismo_utf8_is_valid(s)) {
        reg_error(self, line, "%s: not valid UTF-8", what);
        return 0;
    }
    return 1;
}

/* A policy commitment (want 'p') or risk ('r') from an entry; errors for a
 * bad id, a duplicate id (both lines), a score that is not a number. */
static void context_add(ismo_register_t *self, int want, const centry *e, double high_score)
{
    const char *id = centry_get(e, "id");
    char *idt = id ? trim_dup(id, strlen(id)) : xstrdup("");
    if (!ismo_id_is_valid(idt)) {
        reg_error(self, e->line, "id: '%s' is not a valid %s id (1..64 of A-Z a-z 0-9 . _ : -)",
                  idt, want == 'p' ? "policy commitment" : "risk");
        free(idt);
        return;
    }
    size_t n = want == 'p' ? self->n_policies : self->n_risks;
    for (size_t i = 0; i < n; i++) {
        const char *other = want == 'p' ? self->policies[i]->id : self->risks[i]->id;
        if (strcmp(other, idt) == 0) {
            reg_error(self, e->line, "duplicate %s id '%s' (first defined on line %d, again on line %d)",
                      want == 'p' ? "policy commitment" : "risk", idt,
                      want == 'p' ? self->policy_lines[i] : self->risk_lines[i], e->line);
            free(idt);
            return;
        }
    }
    if (want == 'p') {
        const char *text = centry_get(e, "text"), *source = centry_get(e, "source");
        if (!text_ok(self, e->line, "text", text, ISMO_MAX_TEXT_BYTES) ||
            !text_ok(self, e->line, "source", source, ISMO_MAX_SHORT_BYTES)) {
            free(idt);
            return;
        }
        if (!text || !*skip_ws(text)) {
            reg_warn(self, e->line, "text", "policy commitment %s has no text", idt);
        }
        Ismo__V1__PolicyCommitment *p = xcalloc(1, sizeof *p);
        ismo__v1__policy_commitment__init(p);
        p->id = idt;
        set_str(&p->text, text);
        set_str(&p->source, source);
        ptrv_push((void ***)&self->policies, &self->n_policies, p);
        self->policy_lines = xrealloc(self->policy_lines, self->n_policies * sizeof(int));
        self->policy_lines[self->n_policies - 1] = e->line;
        return;
    }
    const char *title = centry_get(e, "title"), *rating = centry_get(e, "rating"),
               *score = centry_get(e, "score"), *treatment = centry_get(e, "treatment"),
               *owner = centry_get(e, "owner");
    double d = 0;
    int has_score = score && *skip_ws(score);
    if (has_score && number_full(score, &d) != 0) {
        reg_error(self, e->line, "score: '%s' is not a number (leave it empty if the register has none)",
                  score);
        free(idt);
        return;
    }
    if (!text_ok(self, e->line, "title", title, ISMO_MAX_TITLE_BYTES) ||
        !text_ok(self, e->line, "rating", rating, ISMO_MAX_SHORT_BYTES) ||
        !text_ok(self, e->line, "treatment", treatment, ISMO_MAX_SHORT_BYTES) ||
        !text_ok(self, e->line, "owner", owner, ISMO_MAX_SHORT_BYTES)) {
        free(idt);
        return;
    }
    Ismo__V1__Risk *k = xcalloc(1, sizeof *k);
    ismo__v1__risk__init(k);
    k->id = idt;
    set_str(&k->title, title);
    set_str(&k->rating, rating);
    if (has_score) {
        k->has_score = 1;
        k->score = d;
    }
    set_str(&k->treatment, treatment);
    set_str(&k->owner, owner);
    k->has_high = 1;
    k->high = (protobuf_c_boolean)ismo_risk_is_high(rating, has_score, d, high_score);
    static const char *const known[] = {"low", "medium", "moderate", "high", "critical",
                                        "very high", "very low", "extreme", "severe", "minor",
                                        "major"};
    int rating_known = !rating || !*skip_ws(rating);
    for (size_t i = 0; !rating_known && i < sizeof known / sizeof known[0]; i++) {
        rating_known = strcasecmp(skip_ws(rating), known[i]) == 0;
    }
    if (!rating_known) {
        reg_warn(self, e->line, "rating",
                 "'%s' of %s is not a rating word ismo knows (low, medium, high, critical, very "
                 "high); kept as written, high only if its score is >= %g",
                 rating, idt, high_score);
    }
    ptrv_push((void ***)&self->risks, &self->n_risks, k);
    self->risk_lines = xrealloc(self->risk_lines, self->n_risks * sizeof(int));
    self->risk_lines[self->n_risks - 1] = e->line;
}

/* Map a column / YAML key to the entry key: policies id, text (commitment),
 * source; risks id, title (risk, name), rating (level), score, treatment,
 * owner. NULL when unknown. */
static const char *context_key(int want, const char *k)
{
    static const char *const pmap[][2] = {{"id", "id"},           {"text", "text"},
                                          {"commitment", "text"}, {"source", "source"},
                                          {"document", "source"}};
    static const char *const rmap[][2] = {
        {"id", "id"},         {"title", "title"},         {"risk", "title"},
        {"name", "title"},    {"rating", "rating"},       {"level", "rating"},
        {"risk level", "rating"}, {"score", "score"},     {"risk score", "score"},
        {"treatment", "treatment"}, {"owner", "owner"},   {"risk owner", "owner"}};
    if (want == 'p') {
        for (size_t i = 0; i < sizeof pmap / sizeof pmap[0]; i++) {
            if (strcasecmp(k, pmap[i][0]) == 0) {
                return pmap[i][1];
            }
        }
    } else {
        for (size_t i = 0; i < sizeof rmap / sizeof rmap[0]; i++) {
            if (strcasecmp(k, rmap[i][0]) == 0) {
                return rmap[i][1];
            }
        }
    }
    return NULL;
}

static void context_csv(ismo_register_t *self, int want, const char *text, size_t len,
                        double high_score)
{
    csv_table t;
    if (csv_table_parse(self, text, len, &t) != 0 || t.n == 0) {
        if (t.n == 0 && !self->errors.n) {
            reg_error(self, 1, "empty CSV file");
        }
        csv_table_free(&t);
        return;
    }
    const csv_row *h = &t.rows[0];
    const char *keys[64];
    size_t nh = h->n < 64 ? h->n : 64;
    int has_id = 0;
    for (size_t j = 0; j < nh; j++) {
        keys[j] = context_key(want, skip_ws(h->fields[j]));
        has_id |= keys[j] && strcmp(keys[j], "id") == 0;
        if (!keys[j]) {
            reg_warn(self, 1, h->fields[j], "column not imported (ismod keeps %s)",
                     want == 'p' ? "ID, Commitment/Text, Source"
                                 : "ID, Title, Rating, Score, Treatment, Owner");
        }
    }
    if (!has_id) {
        reg_error(self, 1, "the header has no ID column");
        csv_table_free(&t);
        return;
    }
    for (size_t r = 1; r < t.n; r++) {
        const csv_row *row = &t.rows[r];
        if (row->n == 1 && !*skip_ws(row->fields[0])) {
            continue;
        }
        centry e = {.line = row->line};
        for (size_t j = 0; j < row->n && j < nh && e.n < 8; j++) {
            if (keys[j] && *row->fields[j]) {
                e.keys[e.n] = keys[j];
                e.vals[e.n++] = row->fields[j];
            }
        }
        context_add(self, want, &e, high_score);
    }
    csv_table_free(&t);
}

static void context_yaml(ismo_register_t *self, int want, const char *text, size_t len,
                         double high_score)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        oom();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_syntax_error(self, &parser, text, len);
        yaml_parser_delete(&parser);
        return;
    }
    yctx y = {self, &doc, text, len, {0}};
    const char *top = want == 'p' ? "policies" : "risks";
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *list = NULL;
    if (root && root->type == YAML_SEQUENCE_NODE) {
        list = root;
    } else if (root && root->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
             p < root->data.mapping.pairs.top; p++) {
            const char *k = yscalar(ynode(&y, p->key));
            if (k && strcmp(k, top) == 0) {
                list = ynode(&y, p->value);
            } else {
                reg_warn(self, ynode_line(ynode(&y, p->key)), k ? k : "?",
                         "top-level key not read here (a %s register has '%s:')",
                         want == 'p' ? "policy" : "risk", top);
            }
        }
    }
    if (!list || list->type != YAML_SEQUENCE_NODE) {
        reg_error(self, root ? ynode_line(root) : 1, "no '%s:' list in the file", top);
    } else {
        for (yaml_node_item_t *it = list->data.sequence.items.start;
             it < list->data.sequence.items.top; it++) {
            yaml_node_t *n = ynode(&y, *it);
            if (n->type != YAML_MAPPING_NODE) {
                reg_error(self, ynode_line(n), "an entry must be a mapping (id: ..., ...)");
                continue;
            }
            centry e = {.line = ynode_line(n)};
            for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
                 p < n->data.mapping.pairs.top; p++) {
                const char *k = yscalar(ynode(&y, p->key));
                yaml_node_t *v = ynode(&y, p->value);
                const char *ek = k ? context_key(want, k) : NULL;
                if (!ek) {
                    reg_warn(self, ynode_line(v), k ? k : "?", "key not imported (ismod keeps %s)",
                             want == 'p' ? "id, text, source"
                                         : "id, title, rating, score, treatment, owner");
                } else if (!yscalar(v)) {
                    reg_error(self, ynode_line(v), "%s: should be a single value", k);
                } else if (!yis_empty(v) && e.n < 8) {
                    if (centry_get(&e, ek)) {
                        reg_error(self, ynode_line(v), "%s: given twice", k);
                        continue;
                    }
                    e.keys[e.n] = ek;
                    e.vals[e.n++] = yscalar(v);
                }
            }
            context_add(self, want, &e, high_score);
        }
    }
    strlist_free(&y.texts);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
}

/* ---- entry points ------------------------------------------------------------- */

static char *file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = (n + 65536 + 1) * 2;
            buf = xrealloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) {
            break;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* First line of text, without "\r\n" and a UTF-8 byte order mark. */
static char *first_line(const char *text, size_t len)
{
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;
        len -= 3;
    }
    const char *nl = memchr(text, '\n', len);
    size_t n = nl ? (size_t)(nl - text) : len;
    while (n > 0 && (text[n - 1] == '\r')) {
        n--;
    }
    return xstrndup(text, n);
}

static int name_is_csv(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && strcasecmp(name + n - 4, ".csv") == 0;
}

ismo_err ismo_register_load_text(ismo_register_t *self, const char *name, const char *text,
                                 size_t len)
{
    set_name(self, name);
    char *head = first_line(text, len);
    ismo_err err;
    if (strncmp(head, "ID,Row,", 7) == 0) {
        self->format = ISMO_REGISTER_ISMO_CSV;
        err = load_ismo_csv(self, text, len);
    } else if (strncmp(head, "ID,", 3) == 0 && strstr(head, "Objective")) {
        self->format = ISMO_REGISTER_CSV;
        err = load_csv_register(self, text, len);
    } else if (strstr(head, "check_time_utc") && strstr(head, "slug")) {
        self->format = ISMO_REGISTER_UPPTIME;
        reg_error(self, 1,
                  "this is an Upptime status CSV, not a register: import it as samples with "
                  "--samples-for OBJECTIVE_ID --service SLUG");
        err = ISMO_ERR_PARSE;
    } else if (name_is_csv(name)) {
        self->format = ISMO_REGISTER_CSV;
        reg_error(self, 1,
                  "CSV file with an unknown layout: a register's header starts with "
                  "'ID,Objective,' (docs/cli.md \"CSV register mapping\"); this one is '%.80s%s'",
                  head, strlen(head) > 80 ? "..." : "");
        err = ISMO_ERR_PARSE;
    } else {
        self->format = ISMO_REGISTER_YAML;
        err = load_yaml(self, text, len);
    }
    free(head);
    if (err == ISMO_OK) {
        check_objectives(self);
    }
    return self->errors.n ? ISMO_ERR_PARSE : err;
}

ismo_err ismo_register_load(ismo_register_t *self, const char *path)
{
    size_t len = 0;
    char *text = file_read(path, &len);
    if (!text) {
        set_name(self, path);
        reg_error(self, 0, "cannot read: %s", strerror(errno));
        return ISMO_ERR_IO;
    }
    ismo_err err = ismo_register_load_text(self, path, text, len);
    free(text);
    return err;
}

static ismo_err load_context(ismo_register_t *self, int want, const char *name,
                             const char *text, size_t len, double high_score)
{
    set_name(self, name);
    self->format = want == 'p' ? ISMO_REGISTER_POLICIES : ISMO_REGISTER_RISKS;
    char *head = first_line(text, len);
    int csv = name_is_csv(name) || strncasecmp(head, "ID,", 3) == 0;
    free(head);
    size_t skip = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    if (csv) {
        context_csv(self, want, text + skip, len - skip, high_score);
    } else {
        context_yaml(self, want, text, len, high_score);
    }
    return self->errors.n ? ISMO_ERR_PARSE : ISMO_OK;
}

ismo_err ismo_register_load_policies_text(ismo_register_t *self, const char *name,
                                          const char *text, size_t len)
{
    return load_context(self, 'p', name, text, len, 0);
}

ismo_err ismo_register_load_risks_text(ismo_register_t *self, const char *name, const char *text,
                                       size_t len, double high_score)
{
    return load_context(self, 'r', name, text, len, high_score);
}

static ismo_err load_context_file(ismo_register_t *self, int want, const char *path,
                                  double high_score)
{
    size_t len = 0;
    char *text = file_read(path, &len);
    if (!text) {
        set_name(self, path);
        reg_error(self, 0, "cannot read: %s", strerror(errno));
        return ISMO_ERR_IO;
    }
    ismo_err err = load_context(self, want, path, text, len, high_score);
    free(text);
    return err;
}

ismo_err ismo_register_load_policies(ismo_register_t *self, const char *path)
{
    return load_context_file(self, 'p', path, 0);
}

ismo_err ismo_register_load_risks(ismo_register_t *self, const char *path, double high_score)
{
    return load_context_file(self, 'r', path, high_score);
}

size_t ismo_register_policy_count(const ismo_register_t *self) { return self->n_policies; }
Ismo__V1__PolicyCommitment **ismo_register_policies(const ismo_register_t *self)
{
    return self->policies;
}
int ismo_register_policy_line(const ismo_register_t *self, size_t i)
{
    return i < self->n_policies ? self->policy_lines[i] : 0;
}
size_t ismo_register_risk_count(const ismo_register_t *self) { return self->n_risks; }
Ismo__V1__Risk **ismo_register_risks(const ismo_register_t *self) { return self->risks; }
int ismo_register_risk_line(const ismo_register_t *self, size_t i)
{
    return i < self->n_risks ? self->risk_lines[i] : 0;
}

/* ---- Upptime ------------------------------------------------------------------- */

typedef struct check {
    int64_t at_ms;
    int up;
    const char *text; /* check_time_utc as written (borrowed from the table) */
} check;

static int check_cmp(const void *a, const void *b)
{
    const check *x = a, *y = b;
    return x->at_ms < y->at_ms ? -1 : x->at_ms > y->at_ms;
}

ismo_err ismo_register_load_upptime(ismo_register_t *self, const char *path,
                                    const char *objective_id, const char *slug,
                                    ismo_upptime_mode mode)
{
    set_name(self, path);
    self->format = ISMO_REGISTER_UPPTIME;
    if (!ismo_id_is_valid(objective_id)) {
        reg_error(self, 0, "'%s' is not a valid objective id", objective_id);
        return ISMO_ERR_PARSE;
    }
    size_t len = 0;
    char *text = file_read(path, &len);
    if (!text) {
        reg_error(self, 0, "cannot read: %s", strerror(errno));
        return ISMO_ERR_IO;
    }
    csv_table t;
    if (csv_table_parse(self, text, len, &t) != 0) {
        csv_table_free(&t);
        free(text);
        return ISMO_ERR_PARSE;
    }
    free(text);
    int c_time = t.n ? csv_column(&t.rows[0], "check_time_utc") : -1;
    int c_slug = t.n ? csv_column(&t.rows[0], "slug") : -1;
    int c_status = t.n ? csv_column(&t.rows[0], "status") : -1;
    if (c_time < 0 || c_slug < 0 || c_status < 0) {
        reg_error(self, 1, "not an Upptime status CSV: the header needs check_time_utc, slug "
                           "and status");
        csv_table_free(&t);
        return ISMO_ERR_PARSE;
    }
    check *checks = xcalloc(t.n, sizeof *checks);
    size_t n = 0;
    for (size_t r = 1; r < t.n; r++) {
        const csv_row *row = &t.rows[r];
        if (strcmp(csv_cell(row, c_slug), slug) != 0) {
            continue;
        }
        const char *when = csv_cell(row, c_time);
        int64_t ms;
        if (ismo_time_parse(when, 0, &ms) != ISMO_OK) {
            reg_warn(self, row->line, "check_time_utc", "'%s' is not a date-time; check skipped",
                     when);
            continue;
        }
        checks[n].at_ms = ms;
        checks[n].up = strcmp(csv_cell(row, c_status), "up") == 0;
        checks[n].text = when;
        n++;
    }
    if (n == 0) {
        reg_error(self, 0, "no check of service '%s' in the file (see its 'slug' column)", slug);
        free(checks);
        csv_table_free(&t);
        return ISMO_ERR_PARSE;
    }
    qsort(checks, n, sizeof *checks, check_cmp);
    char *src = xprintf("upptime:%s", slug);
    if (mode == ISMO_UPPTIME_PER_CHECK) {
        for (size_t i = 0; i < n; i++) {
            char *sid = xprintf("upptime:%s:%s", slug, checks[i].text);
            add_sample(self, sample_new(objective_id, checks[i].up ? 100.0 : 0.0, checks[i].at_ms,
                                        src, sid));
            free(sid);
        }
    } else {
        /* time-weighted per UTC day: each check's status holds until the next */
        int64_t first = checks[0].at_ms, last = checks[n - 1].at_ms;
        size_t k = 0;
        for (int64_t day = first - (first % ISMO_DAY_MS); day < last; day += ISMO_DAY_MS) {
            int64_t lo = day > first ? day : first;
            int64_t hi = day + ISMO_DAY_MS < last ? day + ISMO_DAY_MS : last;
            int64_t up_ms = 0, total_ms = 0;
            while (k + 1 < n && checks[k + 1].at_ms <= lo) {
                k++;
            }
            for (size_t i = k; i + 1 < n && checks[i].at_ms < hi; i++) {
                int64_t a = checks[i].at_ms > lo ? checks[i].at_ms : lo;
                int64_t b = checks[i + 1].at_ms < hi ? checks[i + 1].at_ms : hi;
                if (b > a) {
                    total_ms += b - a;
                    up_ms += checks[i].up ? b - a : 0;
                }
            }
            if (total_ms <= 0) {
                continue;
            }
            char date[16];
            ismo_date_format_ms(day, date, sizeof date);
            char *sid = xprintf("upptime:%s:%s", slug, date);
            add_sample(self, sample_new(objective_id, 100.0 * (double)up_ms / (double)total_ms,
                                        day, src, sid));
            free(sid);
        }
    }
    msg_add(&self->infos, xprintf("%s: %zu checks of %s -> %zu samples (%s)", self->name, n, slug,
                                  self->n_samples,
                                  mode == ISMO_UPPTIME_PER_CHECK ? "one per check, 100 = up"
                                                                 : "one per day, % of time up"));
    free(src);
    free(checks);
    csv_table_free(&t);
    return ISMO_OK;
}
