/* register_lint: the consistency of a register (see ismo_register_lint in
 * register.h), as a pure function over objectives, policy commitments and
 * risks: no sockets, no output. cmd_history.c (`ismo lint`) fetches them
 * from ismod and prints the result; the unit test feeds it directly (also
 * trees ismod itself refuses, such as cycles).
 *
 * Owns only the JSON it returns. Lookups are by sorted index (qsort +
 * bsearch), and the parent walk visits each objective once, so 100,000
 * objectives take well under a second. Single-threaded. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ismo_smart.h"
#include "register.h"

static void oom(void)
{
    fprintf(stderr, "ismo: out of memory\n");
    abort();
}

const char *const ismo_lint_group_keys[ISMO_LINT_GROUPS] = {
    "smart_gaps", "drafts", "dangling_references", "tree", "unsupported_policies",
    "untreated_high_risks"};

const char *const ismo_lint_group_titles[ISMO_LINT_GROUPS] = {
    "SMART gaps: what each objective lacks (ISO/IEC 27001:2022 6.2 b, g-k)",
    "DRAFT objectives: not yet active (the SMART gate has not passed)",
    "Dangling references: policy commitments, risks or parents ismod does not hold",
    "Objective tree: cycles and level inversions",
    "Policy commitments no objective supports (6.2 a)",
    "High risks no objective treats (6.1.3, 6.2 c)"};

static void add(json_t *groups, int g, const char *id, json_t *extra, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void add(json_t *groups, int g, const char *id, json_t *extra, const char *fmt, ...)
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
    json_array_append_new(json_object_get(groups, ismo_lint_group_keys[g]), j);
}

/* ---- sorted string index ------------------------------------------------------------ */

typedef struct sidx {
    const char **key;
    size_t *pos;
    size_t n;
} sidx;

static const char *const *g_keys; /* qsort has no context argument */

static int by_key(const void *a, const void *b)
{
    return strcmp(g_keys[*(const size_t *)a], g_keys[*(const size_t *)b]);
}

/* Index of n keys (borrowed). */
static void sidx_build(sidx *x, const char **keys, size_t n)
{
    x->key = keys;
    x->n = n;
    x->pos = calloc(n + 1, sizeof *x->pos);
    if (!x->pos) {
        oom();
    }
    for (size_t i = 0; i < n; i++) {
        x->pos[i] = i;
    }
    g_keys = keys;
    qsort(x->pos, n, sizeof *x->pos, by_key);
}

/* Position of key in the original order, or (size_t)-1. */
static size_t sidx_find(const sidx *x, const char *key)
{
    size_t lo = 0, hi = x->n;
    while (key && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(x->key[x->pos[mid]], key);
        if (c == 0) {
            return x->pos[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return (size_t)-1;
}

static void sidx_free(sidx *x)
{
    free(x->pos);
    x->pos = NULL;
}

static const char **keys_of_objectives(Ismo__V1__Objective *const *o, size_t n)
{
    const char **k = calloc(n + 1, sizeof *k);
    if (!k) {
        oom();
    }
    for (size_t i = 0; i < n; i++) {
        k[i] = o[i]->id ? o[i]->id : "";
    }
    return k;
}

/* ---- the checks ------------------------------------------------------------------- */

static int in_scope(const Ismo__V1__Objective *o, const char *function)
{
    return !o->retired && (!function || (o->function && strcmp(o->function, function) == 0));
}

static const Ismo__V1__Objective *parent_of(Ismo__V1__Objective *const *o, const sidx *ix,
                                            const Ismo__V1__Objective *c)
{
    if (!c->parent_id || !*c->parent_id) {
        return NULL;
    }
    size_t p = sidx_find(ix, c->parent_id);
    return p == (size_t)-1 ? NULL : o[p];
}

/* Parent cycles: each objective's walk stops at one already walked, so the
 * whole pass is linear. A cycle is reported once, at its smallest id, with
 * the path from there round to itself. */
static void check_cycles(json_t *groups, Ismo__V1__Objective *const *o, size_t n,
                         const sidx *ix, const char *function)
{
    unsigned char *state = calloc(n + 1, 1); /* 0 new, 1 on the current walk, 2 done */
    size_t *walk = calloc(n + 1, sizeof *walk);
    if (!state || !walk) {
        oom();
    }
    for (size_t s = 0; s < n; s++) {
        size_t len = 0, cur = s;
        while (cur != (size_t)-1 && state[cur] == 0) {
            state[cur] = 1;
            walk[len++] = cur;
            const Ismo__V1__Objective *p = parent_of(o, ix, o[cur]);
            cur = p ? sidx_find(ix, p->id) : (size_t)-1;
        }
        if (cur != (size_t)-1 && state[cur] == 1) {
            /* the walk came back to cur: the cycle is walk[k..len) with walk[k] == cur */
            size_t k = 0;
            while (walk[k] != cur) {
                k++;
            }
            size_t min = k;
            for (size_t i = k; i < len; i++) {
                if (strcmp(o[walk[i]]->id, o[walk[min]]->id) < 0) {
                    min = i;
                }
            }
            size_t cyc = len - k;
            char path[2048] = "";
            int scoped = 0;
            for (size_t i = 0; i <= cyc; i++) {
                const Ismo__V1__Objective *x = o[walk[k + (min - k + i) % cyc]];
                size_t used = strlen(path);
                snprintf(path + used, sizeof path - used, "%s%s", i ? " -> " : "", x->id);
                scoped |= in_scope(x, function);
            }
            if (scoped) {
                const char *id = o[walk[min]]->id;
                add(groups, ISMO_LINT_TREE, id,
                    json_pack("{s:s, s:s}", "problem", "cycle", "path", path),
                    "%s: parent cycle %s", id, path);
            }
        }
        for (size_t i = 0; i < len; i++) {
            state[walk[i]] = 2;
        }
    }
    free(state);
    free(walk);
}

int ismo_ref_is_iso_clause(const char *ref)
{
    return ref && strncmp(ref, "ISO ", 4) == 0 && ref[4] >= '0' && ref[4] <= '9';
}

json_t *ismo_register_lint(Ismo__V1__Objective *const *o, size_t n,
                           Ismo__V1__PolicyCommitment *const *policies, size_t n_policies,
                           Ismo__V1__Risk *const *risks, size_t n_risks, const char *function)
{
    json_t *groups = json_object();
    for (int g = 0; g < ISMO_LINT_GROUPS; g++) {
        json_object_set_new(groups, ismo_lint_group_keys[g], json_array());
    }
    const char **okeys = keys_of_objectives(o, n);
    const char **pkeys = calloc(n_policies + 1, sizeof *pkeys);
    const char **rkeys = calloc(n_risks + 1, sizeof *rkeys);
    unsigned char *pused = calloc(n_policies + 1, 1), *rused = calloc(n_risks + 1, 1);
    if (!pkeys || !rkeys || !pused || !rused) {
        oom();
    }
    for (size_t i = 0; i < n_policies; i++) {
        pkeys[i] = policies[i]->id ? policies[i]->id : "";
    }
    for (size_t i = 0; i < n_risks; i++) {
        rkeys[i] = risks[i]->id ? risks[i]->id : "";
    }
    sidx ox, px, rx;
    sidx_build(&ox, okeys, n);
    sidx_build(&px, pkeys, n_policies);
    sidx_build(&rx, rkeys, n_risks);

    for (size_t i = 0; i < n; i++) {
        const Ismo__V1__Objective *c = o[i];
        if (c->retired) {
            continue;
        }
        /* coverage counts every current objective, whatever the scope */
        for (size_t r = 0; r < c->n_policy_refs; r++) {
            size_t k = sidx_find(&px, c->policy_refs[r]);
            if (k != (size_t)-1) {
                pused[k] = 1;
            }
        }
        for (size_t r = 0; r < c->n_risk_refs; r++) {
            size_t k = sidx_find(&rx, c->risk_refs[r]);
            if (k != (size_t)-1) {
                rused[k] = 1;
            }
        }
        if (!in_scope(c, function)) {
            continue;
        }
        char gaps[ISMO_SMART_MAX_GAPS][ISMO_SMART_GAP_BYTES];
        size_t ng = ismo_smart_gaps(c, gaps, ISMO_SMART_MAX_GAPS);
        if (ng > 0) {
            char buf[ISMO_SMART_MAX_GAPS * (ISMO_SMART_GAP_BYTES + 2) + 1] = "";
            size_t used = 0;
            json_t *arr = json_array();
            for (size_t g = 0; g < ng && g < ISMO_SMART_MAX_GAPS; g++) {
                int w = snprintf(buf + used, sizeof buf - used, "%s%s", g ? ", " : "", gaps[g]);
                used += w > 0 && (size_t)w < sizeof buf - used ? (size_t)w : 0;
                json_array_append_new(arr, json_string(gaps[g]));
            }
            json_t *j = json_object();
            json_object_set_new(j, "gaps", arr);
            add(groups, ISMO_LINT_SMART, c->id, j, "%s: lacks %s", c->id, buf);
        }
        if (c->has_lifecycle && c->lifecycle == ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT) {
            add(groups, ISMO_LINT_DRAFT, c->id, NULL, "%s: draft (%s)", c->id,
                c->title ? c->title : "");
        }
        for (size_t r = 0; n_policies && r < c->n_policy_refs; r++) {
            if (sidx_find(&px, c->policy_refs[r]) == (size_t)-1 &&
                !ismo_ref_is_iso_clause(c->policy_refs[r])) {
                add(groups, ISMO_LINT_DANGLING, c->id,
                    json_pack("{s:s, s:s}", "kind", "policy", "ref", c->policy_refs[r]),
                    "%s: policy '%s' is not in the policy register", c->id, c->policy_refs[r]);
            }
        }
        for (size_t r = 0; n_risks && r < c->n_risk_refs; r++) {
            if (sidx_find(&rx, c->risk_refs[r]) == (size_t)-1) {
                add(groups, ISMO_LINT_DANGLING, c->id,
                    json_pack("{s:s, s:s}", "kind", "risk", "ref", c->risk_refs[r]),
                    "%s: risk '%s' is not in the risk register", c->id, c->risk_refs[r]);
            }
        }
        if (c->parent_id && *c->parent_id) {
            const Ismo__V1__Objective *p = parent_of(o, &ox, c);
            if (!p || p->retired) {
                add(groups, ISMO_LINT_DANGLING, c->id,
                    json_pack("{s:s, s:s}", "kind", "parent", "ref", c->parent_id),
                    "%s: parent '%s' %s", c->id, c->parent_id,
                    p ? "is retired" : "is not an objective");
            } else if (c->has_level && p->has_level && c->level && p->level &&
                       p->level > c->level) {
                add(groups, ISMO_LINT_TREE, c->id,
                    json_pack("{s:s, s:s}", "problem", "level inversion", "parent", p->id),
                    "%s (%s) has the parent %s (%s), a lower level", c->id,
                    ismo_level_name(c->level), p->id, ismo_level_name(p->level));
            }
        }
    }
    check_cycles(groups, o, n, &ox, function);
    for (size_t k = 0; !function && k < n_policies; k++) {
        const Ismo__V1__PolicyCommitment *pc = policies[k];
        if (!pused[k]) {
            add(groups, ISMO_LINT_POLICIES, pc->id,
                json_pack("{s:s}", "commitment", pc->text ? pc->text : ""), "%s: \"%s\"%s%s%s",
                pc->id, pc->text ? pc->text : "", pc->source ? " (" : "",
                pc->source ? pc->source : "", pc->source ? ")" : "");
        }
    }
    for (size_t k = 0; !function && k < n_risks; k++) {
        const Ismo__V1__Risk *rk = risks[k];
        if (!rk->high || rused[k]) {
            continue;
        }
        char score[40] = "";
        if (rk->has_score) {
            snprintf(score, sizeof score, ", score %g", rk->score);
        }
        json_t *j = json_pack("{s:s, s:s, s:s}", "title", rk->title ? rk->title : "", "rating",
                              rk->rating ? rk->rating : "", "treatment",
                              rk->treatment ? rk->treatment : "");
        json_object_set_new(j, "score", rk->has_score ? json_real(rk->score) : json_null());
        add(groups, ISMO_LINT_RISKS, rk->id, j, "%s: %s (%s%s%s%s)", rk->id,
            rk->title ? rk->title : "", rk->rating && *rk->rating ? rk->rating : "high", score,
            rk->treatment && *rk->treatment ? ", treatment " : "",
            rk->treatment && *rk->treatment ? rk->treatment : "");
    }
    sidx_free(&ox);
    sidx_free(&px);
    sidx_free(&rx);
    free(okeys);
    free(pkeys);
    free(rkeys);
    free(pused);
    free(rused);
    return groups;
}
