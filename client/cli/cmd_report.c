/* cmd_report: "ismo report": the management-review pack of the information
 * security objectives (the inputs of ISO/IEC 27001:2022 9.3 for one review
 * period, and the documented evidence of 6.2 "monitored", "communicated",
 * "updated as appropriate").
 *
 * What it owns: gathering, for a period [from, to), each objective's status
 * and lifecycle, the versions stored in the period (who, why, what changed),
 * the reminders of kind OVERDUE / METRIC_STALE in the period, the plan
 * actions overdue at the end of the period, the latest review record per
 * objective (decisions carried forward), the reviews held in the period and
 * the samples; and writing them as Markdown, one self-contained HTML file
 * (inline CSS and one inline SVG chart per objective, no scripts, no external
 * resources) or RFC 4180 CSV (written with libcsv). What it does not do: any
 * evaluation (health, progress and reminders come from ismod). Single
 * request/reply connection, single-threaded. The HTML ids and the CSV columns
 * are documented in docs/cli.md "report". */
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "tree.h"

#define REPORT_DEFAULT_PERIOD_MS (90 * ISMO_DAY_MS)
/* the default period is at least this long: a review record added yesterday
 * (on any objective) does not shrink the next pack to one day */
#define REPORT_MIN_DEFAULT_PERIOD_MS (30 * ISMO_DAY_MS)
#define REPORT_MAX_SAMPLES 20000   /* per objective: the newest this many are charted */
#define REPORT_MAX_CIRCLES 2000    /* sample points drawn; the line still joins all */
#define REPORT_MAX_PAGES 10000

typedef struct version_change {
    const Ismo__V1__Objective *v;    /* the version stored in the period */
    const Ismo__V1__Objective *prev; /* the version before it (NULL for version 1) */
} version_change;

typedef struct row {
    const Ismo__V1__Objective *o;
    const Ismo__V1__Status *s;
    int depth;
    const Ismo__V1__Sample **samples; /* oldest first, borrowed from kept replies */
    size_t n_samples;         /* charted: the newest REPORT_MAX_SAMPLES at most */
    size_t n_total;           /* all samples of the objective */
    size_t samples_in_period; /* exact: every sample with effective time in [from, to) */
    version_change *changes; /* oldest first */
    size_t n_changes;
    const Ismo__V1__Event **reminders; /* OVERDUE / METRIC_STALE in the period */
    size_t n_reminders;
    const Ismo__V1__Review *last_review; /* latest with reviewed_ms < to */
    size_t reviews_in_period;
    size_t overdue_actions;
} row;

typedef struct report {
    int64_t from_ms, to_ms;
    int64_t now_ms;            /* ismod's time (Ping server_time_ms): "generated", default --to */
    const char *period_reason; /* how from was chosen */
    const char *function;
    int reviews_available; /* the server answered ListReviews */
    row *rows;             /* display order */
    size_t n;
    const Ismo__V1__Review **reviews; /* held in the period, reviewed_ms order */
    size_t n_reviews;
    Ismo__V1__Reply **keep; /* replies the borrowed pointers live in */
    size_t n_keep, cap_keep;
} report;

static void keep_reply(report *r, Ismo__V1__Reply *reply)
{
    if (r->n_keep == r->cap_keep) {
        r->cap_keep = r->cap_keep ? 2 * r->cap_keep : 64;
        r->keep = realloc(r->keep, r->cap_keep * sizeof *r->keep);
        if (!r->keep) {
            abort();
        }
    }
    r->keep[r->n_keep++] = reply;
}

static void *grow(void *p, size_t n, size_t size)
{
    /* grow to n + 1 elements when n is 0 or a power of two */
    if (n == 0 || (n & (n - 1)) == 0) {
        p = realloc(p, (n ? 2 * n : 1) * size);
        if (!p) {
            abort();
        }
    }
    return p;
}

static void report_free(report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].samples);
        free(r->rows[i].changes);
        free(r->rows[i].reminders);
    }
    free(r->rows);
    free(r->reviews);
    for (size_t i = 0; i < r->n_keep; i++) {
        ismo__v1__reply__free_unpacked(r->keep[i], NULL);
    }
    free(r->keep);
}

/* The row of objective id (before the display sort the rows are in id
 * order: binary search, then a linear fallback). */
static row *find_row(report *r, const char *id)
{
    if (!id) {
        return NULL;
    }
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(r->rows[mid].o->id, id);
        if (cmp == 0) {
            return &r->rows[mid];
        }
        if (cmp < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->rows[i].o->id, id) == 0) {
            return &r->rows[i];
        }
    }
    return NULL;
}

static int in_period(const report *r, int64_t ms) { return ms >= r->from_ms && ms < r->to_ms; }

static int action_open(const Ismo__V1__Action *a)
{
    return a->status == ISMO__V1__ACTION_STATUS__PLANNED ||
           a->status == ISMO__V1__ACTION_STATUS__IN_PROGRESS;
}

static int action_overdue(const report *r, const Ismo__V1__Action *a)
{
    return action_open(a) && a->due_ms > 0 && a->due_ms < r->to_ms;
}

static int health_of(const row *w) { return w->s ? (int)w->s->health : 0; }

static int rollup_of(const row *w)
{
    if (!w->s) {
        return 0;
    }
    return w->s->has_rollup_health ? (int)w->s->rollup_health : (int)w->s->health;
}

static int lifecycle_of(const row *w)
{
    if (w->s && w->s->has_lifecycle) {
        return (int)w->s->lifecycle;
    }
    return (int)w->o->lifecycle;
}

/* ---- gathering ------------------------------------------------------------ */

/* All samples of w's objective, paged oldest first: counts every sample (in
 * all and in the period) and keeps the newest REPORT_MAX_SAMPLES for the
 * chart. A page is kept (its reply holds the samples) only while one of its
 * samples is among the newest; older pages are freed as the walk goes on. */
static int fetch_samples(cli_t *cli, ismo_client_t *client, report *r, row *w)
{
    int64_t since = 0;
    uint32_t skip = 0;
    Ismo__V1__Reply **pages = NULL; /* held pages, oldest first, from index head */
    size_t n_pages = 0, head = 0, held = 0; /* held: samples in pages[head..] */
    int rc = CLI_EXIT_OK;
    for (int page = 0; page < REPORT_MAX_PAGES; page++) {
        Ismo__V1__Reply *reply = NULL;
        ismo_err err = ismo_list_samples_page(client, w->o->id, since, skip, 0, &reply);
        if (err != ISMO_OK || !reply->list_samples) {
            char what[128];
            snprintf(what, sizeof what, "cannot list samples of %s", w->o->id);
            rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err, what);
            if (reply) {
                ismo__v1__reply__free_unpacked(reply, NULL);
            }
            break;
        }
        const Ismo__V1__ListSamplesReply *l = reply->list_samples;
        for (size_t i = 0; i < l->n_samples; i++) {
            const Ismo__V1__Sample *s = l->samples[i];
            w->n_total++;
            w->samples_in_period += in_period(r, s->effective_ms);
            if (s->effective_ms == since) {
                skip++;
            } else {
                since = s->effective_ms;
                skip = 1;
            }
        }
        int last = !l->more || l->n_samples == 0;
        if (l->n_samples == 0) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        } else {
            pages = grow(pages, n_pages, sizeof *pages);
            pages[n_pages++] = reply;
            held += l->n_samples;
            /* free the oldest page while the rest still hold the newest N */
            while (head < n_pages &&
                   held - pages[head]->list_samples->n_samples >= REPORT_MAX_SAMPLES) {
                held -= pages[head]->list_samples->n_samples;
                ismo__v1__reply__free_unpacked(pages[head], NULL);
                pages[head++] = NULL;
            }
        }
        if (last) {
            break;
        }
    }
    /* the newest min(held, N) samples, oldest first */
    size_t drop = held > REPORT_MAX_SAMPLES ? held - REPORT_MAX_SAMPLES : 0;
    for (size_t p = head; p < n_pages; p++) {
        const Ismo__V1__ListSamplesReply *l = pages[p]->list_samples;
        for (size_t i = 0; i < l->n_samples; i++) {
            if (drop > 0) {
                drop--;
                continue;
            }
            w->samples = grow(w->samples, w->n_samples, sizeof *w->samples);
            w->samples[w->n_samples++] = l->samples[i];
        }
        keep_reply(r, pages[p]);
    }
    free(pages);
    return rc;
}

/* The versions of w's objective stored in [from, to), walking down from the
 * current version until one older than the period (kept as the base of the
 * first change). updated_ms grows with the version, so the versions in the
 * period are one run. */
static int fetch_versions(cli_t *cli, ismo_client_t *client, report *r, row *w)
{
    for (uint32_t v = w->o->version; v >= 1; v--) {
        const Ismo__V1__Objective *cur = w->o;
        if (v != w->o->version) {
            Ismo__V1__Reply *reply = NULL;
            ismo_err err = ismo_get_objective(client, w->o->id, v, &reply);
            if (err != ISMO_OK || !reply->get_objective || !reply->get_objective->objective) {
                char what[128];
                snprintf(what, sizeof what, "cannot get version %u of %s", v, w->o->id);
                int rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err, what);
                if (reply) {
                    ismo__v1__reply__free_unpacked(reply, NULL);
                }
                return rc;
            }
            keep_reply(r, reply);
            cur = reply->get_objective->objective;
        }
        if (w->n_changes > 0) {
            w->changes[w->n_changes - 1].prev = cur; /* cur is the version before it */
        }
        if (cur->updated_ms < r->from_ms) {
            break;
        }
        if (cur->updated_ms < r->to_ms) {
            w->changes = grow(w->changes, w->n_changes, sizeof *w->changes);
            w->changes[w->n_changes].v = cur;
            w->changes[w->n_changes].prev = NULL;
            w->n_changes++;
        }
    }
    /* oldest first */
    for (size_t i = 0; i < w->n_changes / 2; i++) {
        version_change t = w->changes[i];
        w->changes[i] = w->changes[w->n_changes - 1 - i];
        w->changes[w->n_changes - 1 - i] = t;
    }
    return CLI_EXIT_OK;
}

static int fetch_reminders(cli_t *cli, ismo_client_t *client, report *r)
{
    uint64_t since = 0;
    for (int page = 0; page < REPORT_MAX_PAGES; page++) {
        Ismo__V1__Reply *reply = NULL;
        ismo_err err = ismo_list_events(client, since, 0, r->function, ISMO__V1__EVENT_KIND__REMINDER,
                                        &reply);
        if (err != ISMO_OK || !reply->list_events) {
            int rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                     "cannot list reminder events");
            if (reply) {
                ismo__v1__reply__free_unpacked(reply, NULL);
            }
            return rc;
        }
        keep_reply(r, reply);
        const Ismo__V1__ListEventsReply *l = reply->list_events;
        for (size_t i = 0; i < l->n_events; i++) {
            const Ismo__V1__Event *e = l->events[i];
            since = e->seq > since ? e->seq : since;
            if (e->payload_case != ISMO__V1__EVENT__PAYLOAD_REMINDER || !in_period(r, e->time_ms)) {
                continue;
            }
            int k = e->reminder->reminder_kind;
            if (k != ISMO__V1__REMINDER_KIND__OVERDUE && k != ISMO__V1__REMINDER_KIND__METRIC_STALE) {
                continue;
            }
            row *w = find_row(r, e->objective_id);
            if (w) {
                w->reminders = grow(w->reminders, w->n_reminders, sizeof *w->reminders);
                w->reminders[w->n_reminders++] = e;
            }
        }
        if (!l->more || l->n_events == 0) {
            break;
        }
    }
    return CLI_EXIT_OK;
}

/* All review records (for the default period, the decisions carried forward
 * and the reviews held). A server without reviews leaves them out (warning). */
static int fetch_reviews(ismo_client_t *client, report *r, int64_t until_ms,
                         const Ismo__V1__ListReviewsReply **out)
{
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_list_reviews(client, NULL, 0, until_ms, &reply);
    if (err == ISMO_ERR_TIMEOUT) {
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        return -1;
    }
    if (err != ISMO_OK || !reply->list_reviews) {
        fprintf(stderr, "ismo: report: review records not available (%s); the pack has none\n",
                ismo_client_error(client));
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        *out = NULL;
        return 0;
    }
    keep_reply(r, reply);
    if (reply->list_reviews->more) {
        fprintf(stderr, "ismo: report: the review records are cut (more at one instant than the "
                        "server lists at once)\n");
    }
    r->reviews_available = 1;
    *out = reply->list_reviews;
    return 0;
}

static int row_cmp_function(const void *a, const void *b)
{
    const row *x = a, *y = b;
    const char *fx = x->o->function ? x->o->function : "";
    const char *fy = y->o->function ? y->o->function : "";
    int c = strcmp(fx, fy);
    return c ? c : strcmp(x->o->id, y->o->id);
}

/* Put the rows in tree order (children under parents) and set depths. */
static void tree_sort(report *r)
{
    size_t n = r->n;
    const char **ids = calloc(n + 1, sizeof *ids);
    const char **par = calloc(n + 1, sizeof *par);
    size_t *order = calloc(n + 1, sizeof *order);
    int *depth = calloc(n + 1, sizeof *depth);
    row *sorted = calloc(n + 1, sizeof *sorted);
    if (!ids || !par || !order || !depth || !sorted) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = r->rows[i].o->id;
        par[i] = r->rows[i].o->parent_id;
    }
    cli_tree_order(ids, par, n, order, depth);
    for (size_t k = 0; k < n; k++) {
        sorted[k] = r->rows[order[k]];
        sorted[k].depth = depth[order[k]];
    }
    free(r->rows);
    r->rows = sorted;
    free(ids);
    free(par);
    free(order);
    free(depth);
}

/* by_function: md groups by function (else tree order); samples: fetch the
 * samples (the charts and counts of html and csv; md needs none). */
static int gather(cli_t *cli, ismo_client_t *client, report *r, int64_t from_opt, int64_t to_opt,
                  int by_function, int samples)
{
    int rc0 = cli_server_now(cli, client, &r->now_ms);
    if (rc0 != CLI_EXIT_OK) {
        return rc0;
    }
    int64_t now = r->now_ms;
    r->to_ms = to_opt ? to_opt : now;
    Ismo__V1__Reply *oreply = NULL, *sreply = NULL;
    ismo_err err = ismo_list_objectives(client, r->function, 0, &oreply);
    if (err != ISMO_OK || !oreply->list_objectives) {
        int rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                 "cannot list objectives");
        if (oreply) {
            ismo__v1__reply__free_unpacked(oreply, NULL);
        }
        return rc;
    }
    keep_reply(r, oreply);
    /* the status at the end of the period: now, or reconstructed for a past --to
     * (then each objective as the version in force at --to, and those that did
     * not exist yet left out) */
    int64_t as_of = to_opt && to_opt < now ? to_opt : 0;
    err = ismo_get_status_as_of(client, NULL, 0, r->function, as_of, &sreply);
    if (err != ISMO_OK || !sreply->get_status) {
        int rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                 "cannot get status");
        if (sreply) {
            ismo__v1__reply__free_unpacked(sreply, NULL);
        }
        return rc;
    }
    keep_reply(r, sreply);
    const Ismo__V1__ListObjectivesReply *l = oreply->list_objectives;
    const Ismo__V1__GetStatusReply *st = sreply->get_status;
    r->rows = calloc(l->n_objectives + 1, sizeof *r->rows);
    if (!r->rows) {
        abort();
    }
    size_t k = 0;
    for (size_t i = 0; i < l->n_objectives; i++) {
        if (l->objectives[i]->retired) {
            continue;
        }
        row *w = &r->rows[r->n++];
        w->o = l->objectives[i];
        /* both listings are in id order */
        while (k < st->n_statuses && strcmp(st->statuses[k]->objective_id, w->o->id) < 0) {
            k++;
        }
        if (k < st->n_statuses && strcmp(st->statuses[k]->objective_id, w->o->id) == 0) {
            w->s = st->statuses[k];
        }
        if (as_of && !w->s) {
            r->n--; /* did not exist yet at --to */
            continue;
        }
        if (as_of && w->s->objective_version && w->s->objective_version != w->o->version) {
            /* the version in force at --to */
            Ismo__V1__Reply *vreply = NULL;
            err = ismo_get_objective(client, w->o->id, w->s->objective_version, &vreply);
            if (err != ISMO_OK || !vreply->get_objective || !vreply->get_objective->objective) {
                char what[128];
                snprintf(what, sizeof what, "cannot get version %u of %s", w->s->objective_version,
                         w->o->id);
                int rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err, what);
                if (vreply) {
                    ismo__v1__reply__free_unpacked(vreply, NULL);
                }
                return rc;
            }
            keep_reply(r, vreply);
            w->o = vreply->get_objective->objective;
        }
    }
    /* reviews decide the default period */
    const Ismo__V1__ListReviewsReply *rl = NULL;
    if (fetch_reviews(client, r, 0, &rl) != 0) {
        return cli_call_failed(cli, client, ISMO_ERR_TIMEOUT, "cannot list reviews");
    }
    if (from_opt) {
        r->from_ms = from_opt;
        r->period_reason = "as asked";
    } else {
        int64_t last = 0;
        for (size_t i = 0; rl && i < rl->n_reviews; i++) {
            const Ismo__V1__Review *v = rl->reviews[i];
            if (v->reviewed_ms < r->to_ms && v->reviewed_ms > last &&
                (!r->function || find_row(r, v->objective_id))) {
                last = v->reviewed_ms;
            }
        }
        if (last && last <= r->to_ms - REPORT_MIN_DEFAULT_PERIOD_MS) {
            r->from_ms = last;
            r->period_reason = "since the last review record";
        } else if (last) {
            r->from_ms = r->to_ms - REPORT_MIN_DEFAULT_PERIOD_MS;
            r->period_reason = "the last 30 days: the last review record is more recent";
        } else {
            r->from_ms = r->to_ms - REPORT_DEFAULT_PERIOD_MS;
            r->period_reason = "the last 90 days: no review record yet";
        }
    }
    if (r->from_ms >= r->to_ms) {
        return cli_usage(cli, "the period is empty: --from must be before --to");
    }
    for (size_t i = 0; rl && i < rl->n_reviews; i++) {
        const Ismo__V1__Review *v = rl->reviews[i];
        row *w = find_row(r, v->objective_id);
        if (!w || v->reviewed_ms >= r->to_ms) {
            continue;
        }
        if (!w->last_review || v->reviewed_ms >= w->last_review->reviewed_ms) {
            w->last_review = v;
        }
        if (in_period(r, v->reviewed_ms)) {
            w->reviews_in_period++;
            r->reviews = grow(r->reviews, r->n_reviews, sizeof *r->reviews);
            r->reviews[r->n_reviews++] = v;
        }
    }
    int rc = fetch_reminders(cli, client, r);
    for (size_t i = 0; rc == CLI_EXIT_OK && i < r->n; i++) {
        row *w = &r->rows[i];
        for (size_t a = 0; a < w->o->n_actions; a++) {
            w->overdue_actions += action_overdue(r, w->o->actions[a]);
        }
        rc = fetch_versions(cli, client, r, w);
        if (rc == CLI_EXIT_OK && samples) {
            rc = fetch_samples(cli, client, r, w);
        }
    }
    if (rc == CLI_EXIT_OK) {
        if (by_function) {
            qsort(r->rows, r->n, sizeof *r->rows, row_cmp_function);
        } else {
            tree_sort(r);
        }
    }
    return rc;
}

/* What changed from prev to v, as one line "target 60 -> 48; deadline ...". */
static void change_summary(const Ismo__V1__Objective *prev, const Ismo__V1__Objective *v, char *buf,
                           size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (used < len) {                                                                          \
            int n_ = snprintf(buf + used, len - used, "%s", used ? "; " : "");                     \
            used += n_ > 0 ? (size_t)n_ : 0;                                                       \
        }                                                                                          \
        if (used < len) {                                                                          \
            int n_ = snprintf(buf + used, len - used, __VA_ARGS__);                                \
            used += n_ > 0 ? (size_t)n_ : 0;                                                       \
        }                                                                                          \
    } while (0)
    if (!prev) {
        ADD("created");
        return;
    }
    char a[48], b[48];
#define TXT(field, label)                                                                          \
    if (strcmp(prev->field ? prev->field : "", v->field ? v->field : "") != 0) {                   \
        ADD("%s changed", label);                                                                  \
    }
    TXT(title, "title");
    TXT(owner, "owner");
    TXT(function, "function");
    TXT(evaluation_method, "evaluation method");
    TXT(parent_id, "parent");
#undef TXT
    if (prev->has_baseline != v->has_baseline || prev->baseline != v->baseline) {
        ADD("baseline %.6g -> %.6g", prev->baseline, v->baseline);
    }
    if (prev->has_target != v->has_target || prev->target != v->target) {
        ADD("target %.6g -> %.6g", prev->target, v->target);
    }
    if (prev->deadline_ms != v->deadline_ms) {
        ADD("deadline %s -> %s", ismo_fmt_deadline(prev->deadline_ms, a, sizeof a),
            ismo_fmt_deadline(v->deadline_ms, b, sizeof b));
    }
    if (prev->start_ms != v->start_ms) {
        ADD("start %s -> %s", ismo_fmt_day(prev->start_ms, a, sizeof a),
            ismo_fmt_day(v->start_ms, b, sizeof b));
    }
    if (prev->target_mode != v->target_mode) {
        ADD("target mode %s -> %s", ismo_target_mode_name(prev->target_mode),
            ismo_target_mode_name(v->target_mode));
    }
    if (prev->lifecycle != v->lifecycle) {
        ADD("lifecycle %s -> %s", ismo_lifecycle_name(prev->lifecycle),
            ismo_lifecycle_name(v->lifecycle));
    }
    if (prev->retired != v->retired) {
        ADD("%s", v->retired ? "retired" : "un-retired");
    }
    int plan_changed = prev->n_actions != v->n_actions;
    for (size_t i = 0; !plan_changed && i < v->n_actions; i++) {
        const Ismo__V1__Action *x = prev->actions[i], *y = v->actions[i];
        plan_changed = x->status != y->status || x->due_ms != y->due_ms ||
                       strcmp(x->what ? x->what : "", y->what ? y->what : "") != 0;
    }
    if (plan_changed) {
        ADD("plan changed (%zu -> %zu actions)", prev->n_actions, v->n_actions);
    }
    const Ismo__V1__Metric *ma = prev->metric, *mb = v->metric;
    if ((ma == NULL) != (mb == NULL) ||
        (ma && mb &&
         (ma->direction != mb->direction || ma->aggregation != mb->aggregation ||
          ma->window_ms != mb->window_ms || ma->frequency_ms != mb->frequency_ms ||
          strcmp(ma->unit ? ma->unit : "", mb->unit ? mb->unit : "") != 0 ||
          strcmp(ma->name ? ma->name : "", mb->name ? mb->name : "") != 0))) {
        ADD("metric changed");
    }
    if (used == 0) {
        ADD("other fields");
    }
#undef ADD
}

static const char *reminder_word(int kind)
{
    return kind == ISMO__V1__REMINDER_KIND__OVERDUE ? "overdue (deadline passed, target not met)"
                                                    : "metric stale (measurement missed)";
}

/* ---- Markdown --------------------------------------------------------------- */

/* Text on one Markdown line, shown as written: newlines become spaces, and
 * what Markdown or HTML would read as markup is backslash-escaped (CommonMark
 * escapes): \ ` * [ ] < > & | ~ always (so a note "<b>&amp;</b>" stays that
 * text, not bold "&"), '_' at the edge of a word (snake_case stays as is). */
static void md_text(FILE *f, const char *s)
{
    char prev = ' ';
    for (; s && *s; s++) {
        char ch = *s;
        if (ch == '\n' || ch == '\r') {
            fputc(' ', f);
        } else if (strchr("\\`*[]<>&|~", ch)) {
            fputc('\\', f);
            fputc(ch, f);
        } else if (ch == '_' && !(isalnum((unsigned char)prev) && isalnum((unsigned char)s[1]))) {
            fputs("\\_", f);
        } else {
            fputc(ch, f);
        }
        prev = ch;
    }
}

/* Markdown table cell: the text as md_text writes it ("-" when empty). */
static void md_cell(FILE *f, const char *s)
{
    fputs(" ", f);
    if (!s || !*s) {
        fputs("-", f);
    }
    md_text(f, s);
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
    fprintf(f, "| Objective | Owner | Lifecycle | Target | Current value | Health | Rolled up | "
               "Progress / expected | Next deadline | Reminders |\n");
    fprintf(f, "|---|---|---|---|---|---|---|---|---|---|\n");
}

static void table_row(FILE *f, const row *r)
{
    char buf[320], v[64], p[16], e[16];
    fputs("| **", f);
    md_text(f, r->o->id);
    fputs("** ", f);
    md_text(f, r->o->title);
    fputs(" |", f);
    md_cell(f, r->o->owner);
    md_cell(f, ismo_fmt_lifecycle(lifecycle_of(r)));
    md_cell(f, ismo_fmt_target(r->o, buf, sizeof buf));
    md_cell(f, r->s && r->s->has_value ? ismo_fmt_metric(r->o, r->s->value, v, sizeof v) : "no data");
    md_cell(f, r->s ? ismo_fmt_health(r->s->health) : "-");
    md_cell(f, r->s ? ismo_fmt_health(rollup_of(r)) : "-");
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

static void write_md(FILE *f, const report *rep)
{
    row *rows = rep->rows;
    size_t n = rep->n;
    const char *function = rep->function;
    char now[48], from[48], to[48];
    ismo_fmt_time(rep->now_ms, now, sizeof now);
    fprintf(f, "# Information security objectives: management review\n\n");
    fprintf(f, "Generated %s (%s) by ismo %s%s%s. Input to the management review "
               "(ISO/IEC 27001:2022 clause 9.3); objectives per clause 6.2.\n\n",
            now, ismo_fmt_zone(), ISMO_VERSION, function ? " for function " : "",
            function ? function : "");
    fprintf(f, "Review period: %s to %s (%s).\n\n", ismo_fmt_time(rep->from_ms, from, sizeof from),
            ismo_fmt_time(rep->to_ms, to, sizeof to), rep->period_reason);
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
            char last[48];
            fprintf(f, " (last sample %s)", ismo_fmt_time(r->s->last_sample_ms, last, sizeof last));
        }
        if (r->s && r->s->explanation && *r->s->explanation) {
            fprintf(f, ". ");
            md_text(f, r->s->explanation);
        }
        fprintf(f, "\n");
    }
    if (!attention) {
        fprintf(f, "Nothing: every objective is on track or achieved, and no metric is stale.\n");
    }

    fprintf(f, "\n## Changes since the last review\n\n");
    size_t changes = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < rows[i].n_changes; k++) {
            const version_change *c = &rows[i].changes[k];
            char when[48], what[512];
            change_summary(c->prev, c->v, what, sizeof what);
            fprintf(f, "- **%s** v%u, %s, by %s: ", rows[i].o->id, c->v->version,
                    ismo_fmt_time(c->v->updated_ms, when, sizeof when),
                    c->v->updated_by && *c->v->updated_by ? c->v->updated_by : "-");
            md_text(f, c->v->change_reason && *c->v->change_reason ? c->v->change_reason
                                                                    : "(no reason given)");
            fprintf(f, ". Changed: ");
            md_text(f, what);
            fprintf(f, ".\n");
            changes++;
        }
    }
    if (!changes) {
        fprintf(f, "No objective was changed in the period.\n");
    }

    fprintf(f, "\n## Missed or stale measurements\n\n");
    size_t missed = 0;
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        for (size_t k = 0; k < r->n_reminders; k++) {
            const Ismo__V1__Event *e = r->reminders[k];
            char when[48], due[48];
            fprintf(f, "- **%s** %s: %s, due %s\n", r->o->id,
                    ismo_fmt_time(e->time_ms, when, sizeof when),
                    reminder_word(e->reminder->reminder_kind),
                    ismo_fmt_reminder_due((int)e->reminder->reminder_kind, e->reminder->due_ms, due,
                                          sizeof due));
            missed++;
        }
        if (health_of(r) == ISMO__V1__HEALTH__NO_DATA) {
            fprintf(f, "- **%s**: NO_DATA at the end of the period (no sample in the metric's "
                       "window)\n",
                    r->o->id);
            missed++;
        }
    }
    if (!missed) {
        fprintf(f, "None: no OVERDUE or METRIC_STALE reminder in the period, and every objective "
                   "has data.\n");
    }

    fprintf(f, "\n## Overdue actions\n\n");
    size_t overdue = 0;
    for (size_t i = 0; i < n; i++) {
        const Ismo__V1__Objective *o = rows[i].o;
        for (size_t k = 0; k < o->n_actions; k++) {
            const Ismo__V1__Action *a = o->actions[k];
            if (!action_overdue(rep, a)) {
                continue;
            }
            char due[48];
            fprintf(f, "- **%s** action %zu: ", o->id, k + 1);
            md_text(f, a->what && *a->what ? a->what : "(no description)");
            fprintf(f, " (responsible ");
            md_text(f, a->responsible && *a->responsible ? a->responsible : "-");
            fprintf(f, ", due %s, %s)\n", ismo_fmt_deadline(a->due_ms, due, sizeof due),
                    ismo_action_status_name(a->status));
            overdue++;
        }
    }
    if (!overdue) {
        fprintf(f, "None: every open action is due after the end of the period.\n");
    }

    fprintf(f, "\n## Decisions carried forward\n\n");
    size_t carried = 0;
    for (size_t i = 0; i < n; i++) {
        const Ismo__V1__Review *v = rows[i].last_review;
        if (!v) {
            continue;
        }
        char when[48];
        fprintf(f, "- **%s**: %s on %s by %s: ", rows[i].o->id, ismo_review_decision_name(v->decision),
                ismo_fmt_time(v->reviewed_ms, when, sizeof when),
                v->reviewer && *v->reviewer ? v->reviewer : "-");
        md_text(f, v->note && *v->note ? v->note : "(no note)");
        fprintf(f, "\n");
        carried++;
    }
    if (!carried) {
        fprintf(f, "%s\n", rep->reviews_available ? "No review record yet."
                                                   : "Review records are not available from this server.");
    }

    fprintf(f, "\n## Reviews held in the period\n\n");
    for (size_t i = 0; i < rep->n_reviews; i++) {
        const Ismo__V1__Review *v = rep->reviews[i];
        char when[48];
        fprintf(f, "- %s **%s** %s by %s (version %u, health %s): ",
                ismo_fmt_time(v->reviewed_ms, when, sizeof when), v->objective_id,
                ismo_review_decision_name(v->decision),
                v->reviewer && *v->reviewer ? v->reviewer : "-", v->objective_version,
                ismo_fmt_health(v->health));
        md_text(f, v->note && *v->note ? v->note : "(no note)");
        fprintf(f, "\n");
    }
    if (!rep->n_reviews) {
        fprintf(f, "None.\n");
    }

    fprintf(f, "\n## Plans\n\n");
    size_t actions = 0;
    for (size_t i = 0; i < n; i++) {
        const Ismo__V1__Objective *o = rows[i].o;
        if (o->n_actions == 0) {
            continue;
        }
        fprintf(f, "### %s: ", o->id);
        md_text(f, o->title);
        fprintf(f, "\n\n| Action | Resources | Responsible | Due | Status |\n|---|---|---|---|---|\n");
        for (size_t k = 0; k < o->n_actions; k++) {
            const Ismo__V1__Action *a = o->actions[k];
            char due[48];
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

/* ---- HTML ---------------------------------------------------------------------- */

/* Text or attribute value, escaped: & < > " ' and control characters. */
static void h(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(c < 0x20 && c != '\n' && c != '\t' ? ' ' : (int)c, f);
        }
    }
}

static const char *health_class(int health)
{
    return health ? ismo_health_name(health) : "none";
}

static const char CSS[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;"
    "max-width:72em;padding:0 1em;color:#1b1f24;line-height:1.4}"
    "h1{font-size:1.6em}h2{border-bottom:2px solid #d0d7de;padding-bottom:.2em;margin-top:2em}"
    "h3{margin:0 0 .4em 0}h4{margin:1em 0 .3em 0}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #d0d7de;padding:.25em .5em;"
    "text-align:left;vertical-align:top}th{background:#f6f8fa}"
    "section.objective{border:1px solid #d0d7de;border-radius:6px;padding:1em;margin:1em 0}"
    ".health{font-weight:600;padding:0 .4em;border-radius:3px}"
    ".on_track,.achieved{background:#dafbe1}.at_risk{background:#fff8c5}"
    ".off_track,.missed{background:#ffebe9}.no_data,.none{background:#eaeef2}"
    "svg.chart{display:block;max-width:100%;height:auto;background:#fff}"
    "svg .axis{stroke:#57606a;stroke-width:1}svg .grid{stroke:#eaeef2;stroke-width:1}"
    "svg .tick{font-size:11px;fill:#57606a}svg .label{font-size:11px;fill:#1b1f24}"
    "svg .path{stroke:#8250df;stroke-width:1.5;stroke-dasharray:6 4;fill:none}"
    "svg .target{stroke:#1a7f37;stroke-width:1.5;stroke-dasharray:2 3}"
    "svg .deadline{stroke:#cf222e;stroke-width:1.5}svg .period{fill:#ddf4ff}"
    "svg .line{stroke:#0969da;stroke-width:1.5;fill:none}svg .sample{fill:#0969da}"
    "svg .nodata{font-size:13px;fill:#57606a}"
    "ul.compact{margin:.2em 0;padding-left:1.4em}.muted{color:#57606a}"
    "@media print{section.objective{break-inside:avoid}}";

/* SVG geometry. */
#define CH_W 720.0
#define CH_H 260.0
#define CH_L 84.0
#define CH_R 20.0
#define CH_T 18.0
#define CH_B 42.0

typedef struct chart_scale {
    double x0, x1; /* ms, as double */
    double y0, y1; /* metric unit */
} chart_scale;

static double sx(const chart_scale *c, double ms)
{
    return CH_L + (ms - c->x0) / (c->x1 - c->x0) * (CH_W - CH_L - CH_R);
}

static double sy(const chart_scale *c, double v)
{
    return CH_T + (c->y1 - v) / (c->y1 - c->y0) * (CH_H - CH_T - CH_B);
}

static void extend(double *lo, double *hi, int *any, double v)
{
    if (!isfinite(v)) {
        return;
    }
    if (!*any) {
        *lo = *hi = v;
        *any = 1;
        return;
    }
    *lo = v < *lo ? v : *lo;
    *hi = v > *hi ? v : *hi;
}

/* A round tick step near raw: 1, 2 or 5 times a power of ten (0 when raw
 * is not a finite number > 0). */
static double nice_step(double raw)
{
    if (!isfinite(raw) || !(raw > 0)) {
        return 0;
    }
    double p = pow(10.0, floor(log10(raw)));
    if (!isfinite(p) || !(p > 0)) {
        return 0;
    }
    double m = raw / p;
    double s = m <= 1.0 ? 1.0 : m <= 2.0 ? 2.0 : m <= 5.0 ? 5.0 : 10.0;
    return s * p;
}

static void write_chart(FILE *f, const report *rep, const row *w)
{
    const Ismo__V1__Objective *o = w->o;
    const char *unit = o->metric ? o->metric->unit : NULL;
    chart_scale c;
    int anyx = 0, anyy = 0;
    double xl = 0, xh = 0, yl = 0, yh = 0;
    extend(&xl, &xh, &anyx, (double)rep->from_ms);
    extend(&xl, &xh, &anyx, (double)rep->to_ms);
    if (o->baseline_at_ms) {
        extend(&xl, &xh, &anyx, (double)o->baseline_at_ms);
    }
    if (o->start_ms) {
        extend(&xl, &xh, &anyx, (double)o->start_ms);
    }
    if (o->deadline_ms) {
        extend(&xl, &xh, &anyx, (double)o->deadline_ms);
    }
    for (size_t i = 0; i < w->n_samples; i++) {
        extend(&xl, &xh, &anyx, (double)w->samples[i]->effective_ms);
        extend(&yl, &yh, &anyy, ismo_sample_metric_value(o, w->samples[i]));
    }
    if (o->has_baseline) {
        extend(&yl, &yh, &anyy, o->baseline);
    }
    if (o->has_target) {
        extend(&yl, &yh, &anyy, o->target);
    }
    for (size_t i = 0; i < o->n_period_targets; i++) {
        extend(&yl, &yh, &anyy, o->period_targets[i]->target);
    }
    if (!anyy) {
        yl = 0;
        yh = 1;
    }
    if (!(xh > xl)) {
        xl -= ISMO_DAY_MS;
        xh += ISMO_DAY_MS;
    }
    if (!(yh > yl)) {
        double pad = fabs(yl) > 0 ? fabs(yl) * 0.1 : 1.0;
        yl -= pad;
        yh += pad;
    }
    double ypad = (yh - yl) * 0.08;
    if (!(yh + ypad > yh) || !(yl - ypad < yl)) {
        ypad = 0; /* at the limits of double precision: no padding */
    }
    c.x0 = xl;
    c.x1 = xh;
    c.y0 = yl - ypad;
    c.y1 = yh + ypad;
    if (!(c.y1 > c.y0)) {
        c.y0 = yl - 1;
        c.y1 = yl + 1;
    }
    /* round y ticks: the axis widened to whole multiples of a 1/2/5 x 10^k step */
    double ystep = nice_step((c.y1 - c.y0) / 4.0);
    int nticks = 0;
    if (ystep > 0) {
        double lo = floor(c.y0 / ystep) * ystep, hi = ceil(c.y1 / ystep) * ystep;
        double n = (hi - lo) / ystep;
        if (isfinite(lo) && isfinite(hi) && hi > lo && n >= 1 && n <= 12 && lo + ystep > lo) {
            c.y0 = lo;
            c.y1 = hi;
            nticks = (int)(n + 0.5);
        }
    }

    fprintf(f, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
               "width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"",
            CH_W, CH_H, CH_W, CH_H);
    h(f, o->id);
    fprintf(f, ": samples against the baseline to target path\" data-samples=\"%zu\">\n",
            w->n_samples);
    fprintf(f, "<title>");
    h(f, o->id);
    fprintf(f, ": ");
    h(f, o->title);
    fprintf(f, "</title>\n");
    double plot_l = CH_L, plot_r = CH_W - CH_R, plot_t = CH_T, plot_b = CH_H - CH_B;
    /* the review period, shaded */
    double p0 = sx(&c, (double)rep->from_ms), p1 = sx(&c, (double)rep->to_ms);
    p0 = p0 < plot_l ? plot_l : p0 > plot_r ? plot_r : p0;
    p1 = p1 < plot_l ? plot_l : p1 > plot_r ? plot_r : p1;
    if (p1 > p0) {
        fprintf(f, "<rect class=\"period\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">"
                   "<title>review period</title></rect>\n",
                p0, plot_t, p1 - p0, plot_b - plot_t);
    }
    /* y grid, ticks and labels */
    char lab[64], lab2[64];
    int ny = nticks > 0 ? nticks : 4;
    for (int i = 0; i <= ny; i++) {
        double v = nticks > 0 ? c.y0 + ystep * i : c.y0 + (c.y1 - c.y0) * i / 4.0;
        if (nticks > 0 && fabs(v) < ystep * 1e-9) {
            v = 0; /* no "-0" or 1e-17 from rounding */
        }
        double y = sy(&c, v);
        fprintf(f, "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>", plot_l, y,
                plot_r, y);
        snprintf(lab, sizeof lab, "%.8g", v);
        fprintf(f, "<text class=\"tick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">", plot_l - 6, y + 4);
        h(f, lab);
        fprintf(f, "</text>\n");
    }
    /* x ticks: five dates */
    for (int i = 0; i <= 4; i++) {
        double ms = c.x0 + (c.x1 - c.x0) * i / 4.0;
        double x = sx(&c, ms);
        fprintf(f, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>", x, plot_b,
                x, plot_b + 4);
        ismo_date_format_ms((int64_t)ms, lab, sizeof lab);
        fprintf(f, "<text class=\"tick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\">%s</text>\n", x,
                plot_b + 16, i == 0 ? "start" : i == 4 ? "end" : "middle", lab);
    }
    /* axes and their labels */
    fprintf(f, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", plot_l,
            plot_t, plot_l, plot_b);
    fprintf(f, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", plot_l,
            plot_b, plot_r, plot_b);
    fprintf(f, "<text class=\"label axis-label\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">"
               "date (UTC)</text>\n",
            (plot_l + plot_r) / 2, CH_H - 6);
    fprintf(f, "<text class=\"label axis-label\" transform=\"translate(12 %.2f) rotate(-90)\" "
               "text-anchor=\"middle\">",
            (plot_t + plot_b) / 2);
    h(f, o->metric && o->metric->name && *o->metric->name ? o->metric->name : "value");
    if (unit && *unit) {
        fputs(" (", f);
        h(f, unit);
        fputs(")", f);
    }
    fprintf(f, "</text>\n");
    /* the baseline -> target path (REACH) or the held target (MAINTAIN) */
    if (o->has_target) {
        double ty = sy(&c, o->target);
        fprintf(f, "<line class=\"target\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\">"
                   "<title>target ",
                plot_l, ty, plot_r, ty);
        h(f, ismo_fmt_metric(o, o->target, lab, sizeof lab));
        fprintf(f, "</title></line>\n");
        fprintf(f, "<text class=\"label\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"start\">target ",
                plot_l + 4, ty - 4);
        h(f, lab);
        fprintf(f, "</text>\n");
        if (o->has_baseline && o->baseline_at_ms && o->deadline_ms &&
            o->target_mode == ISMO__V1__TARGET_MODE__REACH) {
            fprintf(f, "<line class=\"path\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\">"
                       "<title>expected path: baseline ",
                    sx(&c, (double)o->baseline_at_ms), sy(&c, o->baseline),
                    sx(&c, (double)o->deadline_ms), ty);
            h(f, ismo_fmt_metric(o, o->baseline, lab2, sizeof lab2));
            fprintf(f, " to target ");
            h(f, lab);
            fprintf(f, "</title></line>\n");
        }
    }
    if (o->deadline_ms) {
        double x = sx(&c, (double)o->deadline_ms);
        fprintf(f, "<line class=\"deadline\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\">"
                   "<title>deadline %s</title></line>\n",
                x, plot_t, x, plot_b, ismo_fmt_deadline(o->deadline_ms, lab, sizeof lab));
        fprintf(f, "<text class=\"label\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">deadline</text>\n",
                x - 3, plot_t + 10);
    }
    /* the samples */
    if (w->n_samples >= 2) {
        fprintf(f, "<polyline class=\"line\" points=\"");
        int first = 1;
        for (size_t i = 0; i < w->n_samples; i++) {
            double v = ismo_sample_metric_value(o, w->samples[i]);
            if (!isfinite(v)) {
                continue; /* a ratio sample without a usable total */
            }
            fprintf(f, "%s%.2f,%.2f", first ? "" : " ",
                    sx(&c, (double)w->samples[i]->effective_ms), sy(&c, v));
            first = 0;
        }
        fprintf(f, "\"/>\n");
    }
    size_t step = w->n_samples > REPORT_MAX_CIRCLES ? (w->n_samples + REPORT_MAX_CIRCLES - 1) /
                                                          REPORT_MAX_CIRCLES
                                                    : 1;
    for (size_t i = 0; i < w->n_samples; i += step) {
        const Ismo__V1__Sample *s = w->samples[i];
        char when[48];
        double v = ismo_sample_metric_value(o, s);
        if (!isfinite(v)) {
            v = c.y0; /* a ratio sample without a usable total: on the axis, titled so */
        }
        fprintf(f, "<circle class=\"sample\" cx=\"%.2f\" cy=\"%.2f\" r=\"3\"><title>",
                sx(&c, (double)s->effective_ms), sy(&c, v));
        h(f, ismo_fmt_time(s->effective_ms, when, sizeof when));
        fputs(": ", f);
        h(f, ismo_fmt_sample(o, s, lab, sizeof lab));
        fprintf(f, "</title></circle>\n");
    }
    if (w->n_samples == 0) {
        fprintf(f, "<text class=\"nodata\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">"
                   "no samples</text>\n",
                (plot_l + plot_r) / 2, (plot_t + plot_b) / 2);
    }
    fprintf(f, "</svg>\n");
}

static void html_health(FILE *f, int health)
{
    fprintf(f, "<span class=\"health %s\">%s</span>", health_class(health), ismo_fmt_health(health));
}

static void write_objective_html(FILE *f, const report *rep, const row *w)
{
    const Ismo__V1__Objective *o = w->o;
    const Ismo__V1__Status *s = w->s;
    char buf[512], b2[64];
    fprintf(f, "<section class=\"objective depth-%d\" id=\"objective-", w->depth);
    h(f, o->id);
    fprintf(f, "\" data-objective-id=\"");
    h(f, o->id);
    fprintf(f, "\" data-health=\"%s\" style=\"margin-left:%dem\">\n", health_class(health_of(w)),
            2 * (w->depth > 6 ? 6 : w->depth));
    fprintf(f, "<h3>");
    h(f, o->id);
    fprintf(f, ": ");
    h(f, o->title);
    fprintf(f, "</h3>\n<table class=\"facts\">\n");
    fprintf(f, "<tr><th>Function / level</th><td>");
    h(f, o->function);
    fprintf(f, " / %s</td><th>Owner</th><td>", ismo_level_name(o->level));
    h(f, o->owner);
    fprintf(f, "</td></tr>\n<tr><th>Lifecycle</th><td>%s</td><th>Health</th><td>",
            ismo_fmt_lifecycle(lifecycle_of(w)));
    html_health(f, health_of(w));
    if (s && s->children) {
        fprintf(f, " rolled up: ");
        html_health(f, rollup_of(w));
    }
    fprintf(f, "</td></tr>\n<tr><th>Current value</th><td>");
    h(f, s && s->has_value ? ismo_fmt_metric(o, s->value, b2, sizeof b2) : "no data");
    fprintf(f, "</td><th>Target</th><td>");
    h(f, ismo_fmt_target(o, buf, sizeof buf));
    fprintf(f, " by %s</td></tr>\n", ismo_fmt_deadline(o->deadline_ms, b2, sizeof b2));
    fprintf(f, "<tr><th>Progress / expected</th><td>%s / ",
            s && s->has_progress ? ismo_fmt_percent(s->progress, buf, sizeof buf) : "-");
    fprintf(f, "%s</td><th>Samples</th><td>%zu in the period, %zu in all</td></tr>\n",
            s && s->has_expected_progress ? ismo_fmt_percent(s->expected_progress, buf, sizeof buf)
                                          : "-",
            w->samples_in_period, w->n_total);
    if (o->parent_id && *o->parent_id) {
        fprintf(f, "<tr><th>Parent</th><td colspan=\"3\"><a href=\"#objective-");
        h(f, o->parent_id);
        fprintf(f, "\">");
        h(f, o->parent_id);
        fprintf(f, "</a></td></tr>\n");
    }
    if (s && s->explanation && *s->explanation) {
        fprintf(f, "<tr><th>Why</th><td colspan=\"3\">");
        h(f, s->explanation);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table>\n<figure>\n");
    write_chart(f, rep, w);
    fprintf(f, "<figcaption class=\"muted\">Samples (blue), baseline to target path (purple, dashed), "
               "target (green), deadline (red), review period (shaded).</figcaption>\n</figure>\n");

    fprintf(f, "<h4>Changes in the period</h4>\n");
    if (w->n_changes == 0) {
        fprintf(f, "<p class=\"muted\">None.</p>\n");
    } else {
        fprintf(f, "<ul class=\"compact changes-list\">\n");
        for (size_t k = 0; k < w->n_changes; k++) {
            const version_change *c = &w->changes[k];
            char when[48];
            change_summary(c->prev, c->v, buf, sizeof buf);
            fprintf(f, "<li>v%u, %s, by ", c->v->version,
                    ismo_fmt_time(c->v->updated_ms, when, sizeof when));
            h(f, c->v->updated_by && *c->v->updated_by ? c->v->updated_by : "-");
            fprintf(f, ": ");
            h(f, c->v->change_reason && *c->v->change_reason ? c->v->change_reason
                                                              : "(no reason given)");
            fprintf(f, ". Changed: ");
            h(f, buf);
            fprintf(f, "</li>\n");
        }
        fprintf(f, "</ul>\n");
    }
    fprintf(f, "<h4>Missed or stale measurements</h4>\n");
    if (w->n_reminders == 0 && health_of(w) != ISMO__V1__HEALTH__NO_DATA) {
        fprintf(f, "<p class=\"muted\">None.</p>\n");
    } else {
        fprintf(f, "<ul class=\"compact missed-list\">\n");
        for (size_t k = 0; k < w->n_reminders; k++) {
            const Ismo__V1__Event *e = w->reminders[k];
            char when[48], due[48];
            fprintf(f, "<li>%s: %s, due %s</li>\n", ismo_fmt_time(e->time_ms, when, sizeof when),
                    reminder_word(e->reminder->reminder_kind),
                    ismo_fmt_reminder_due((int)e->reminder->reminder_kind, e->reminder->due_ms, due,
                                          sizeof due));
        }
        if (health_of(w) == ISMO__V1__HEALTH__NO_DATA) {
            fprintf(f, "<li>NO_DATA at the end of the period</li>\n");
        }
        fprintf(f, "</ul>\n");
    }
    fprintf(f, "<h4>Overdue actions</h4>\n");
    if (w->overdue_actions == 0) {
        fprintf(f, "<p class=\"muted\">None.</p>\n");
    } else {
        fprintf(f, "<ul class=\"compact overdue-list\">\n");
        for (size_t k = 0; k < o->n_actions; k++) {
            const Ismo__V1__Action *a = o->actions[k];
            if (!action_overdue(rep, a)) {
                continue;
            }
            fprintf(f, "<li>");
            h(f, a->what && *a->what ? a->what : "(no description)");
            fprintf(f, " (responsible ");
            h(f, a->responsible && *a->responsible ? a->responsible : "-");
            fprintf(f, ", due %s, %s)</li>\n", ismo_fmt_deadline(a->due_ms, b2, sizeof b2),
                    ismo_action_status_name(a->status));
        }
        fprintf(f, "</ul>\n");
    }
    fprintf(f, "<h4>Decision carried forward</h4>\n");
    if (!w->last_review) {
        fprintf(f, "<p class=\"muted\">No review record yet.</p>\n");
    } else {
        const Ismo__V1__Review *v = w->last_review;
        char when[48];
        fprintf(f, "<p class=\"decision\"><strong>%s</strong> on %s by ",
                ismo_review_decision_name(v->decision), ismo_fmt_time(v->reviewed_ms, when, sizeof when));
        h(f, v->reviewer && *v->reviewer ? v->reviewer : "-");
        fprintf(f, ": ");
        h(f, v->note);
        fprintf(f, "</p>\n");
    }
    fprintf(f, "</section>\n");
}

static void write_html(FILE *f, const report *rep)
{
    char now[48], from[48], to[48];
    ismo_fmt_time(rep->now_ms, now, sizeof now);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<title>Information security objectives: management review</title>\n"
               "<style>%s</style>\n</head>\n<body>\n",
            CSS);
    fprintf(f, "<header id=\"report-header\">\n<h1>Information security objectives: management "
               "review</h1>\n<p>Review period <strong>%s</strong> to <strong>%s</strong> (",
            ismo_fmt_time(rep->from_ms, from, sizeof from), ismo_fmt_time(rep->to_ms, to, sizeof to));
    h(f, rep->period_reason);
    fprintf(f, "). Generated %s (", now);
    h(f, ismo_fmt_zone());
    fprintf(f, ") by ismo %s", ISMO_VERSION);
    if (rep->function) {
        fprintf(f, " for function ");
        h(f, rep->function);
    }
    fprintf(f, ". Input to the management review (ISO/IEC 27001:2022 clause 9.3); objectives per "
               "clause 6.2.</p>\n</header>\n");

    fprintf(f, "<section id=\"summary\">\n<h2>Summary</h2>\n<table>\n<tr><th>Objective</th>"
               "<th>Lifecycle</th><th>Health</th><th>Rolled up</th><th>Value</th><th>Target</th>"
               "<th>Deadline</th></tr>\n");
    for (size_t i = 0; i < rep->n; i++) {
        const row *w = &rep->rows[i];
        char v[64], t[128], d[48];
        fprintf(f, "<tr><td style=\"padding-left:%.1fem\"><a href=\"#objective-",
                0.5 + 1.5 * (w->depth > 6 ? 6 : w->depth));
        h(f, w->o->id);
        fprintf(f, "\">");
        h(f, w->o->id);
        fprintf(f, "</a> ");
        h(f, w->o->title);
        fprintf(f, "</td><td>%s</td><td>", ismo_fmt_lifecycle(lifecycle_of(w)));
        html_health(f, health_of(w));
        fprintf(f, "</td><td>");
        html_health(f, rollup_of(w));
        fprintf(f, "</td><td>");
        h(f, w->s && w->s->has_value ? ismo_fmt_metric(w->o, w->s->value, v, sizeof v) : "no data");
        fprintf(f, "</td><td>");
        h(f, ismo_fmt_target(w->o, t, sizeof t));
        fprintf(f, "</td><td>%s</td></tr>\n", ismo_fmt_deadline(w->o->deadline_ms, d, sizeof d));
    }
    fprintf(f, "</table>\n</section>\n");

    fprintf(f, "<section id=\"reviews-held\">\n<h2>Reviews held in the period</h2>\n");
    if (rep->n_reviews == 0) {
        fprintf(f, "<p class=\"muted\">None.</p>\n");
    } else {
        fprintf(f, "<table>\n<tr><th>When</th><th>Objective</th><th>Decision</th><th>Reviewer</th>"
                   "<th>Version</th><th>Health</th><th>Note</th></tr>\n");
        for (size_t i = 0; i < rep->n_reviews; i++) {
            const Ismo__V1__Review *v = rep->reviews[i];
            char when[48];
            fprintf(f, "<tr><td>%s</td><td>", ismo_fmt_time(v->reviewed_ms, when, sizeof when));
            h(f, v->objective_id);
            fprintf(f, "</td><td>%s</td><td>", ismo_review_decision_name(v->decision));
            h(f, v->reviewer);
            fprintf(f, "</td><td>%u</td><td>", v->objective_version);
            html_health(f, v->health);
            fprintf(f, "</td><td>");
            h(f, v->note);
            fprintf(f, "</td></tr>\n");
        }
        fprintf(f, "</table>\n");
    }
    fprintf(f, "</section>\n");

    fprintf(f, "<section id=\"objectives\">\n<h2>Objectives</h2>\n");
    if (rep->n == 0) {
        fprintf(f, "<p class=\"muted\">No objectives.</p>\n");
    }
    for (size_t i = 0; i < rep->n; i++) {
        write_objective_html(f, rep, &rep->rows[i]);
    }
    fprintf(f, "</section>\n</body>\n</html>\n");
}

/* ---- CSV (RFC 4180 via libcsv) ------------------------------------------------------- */

static const char *const CSV_COLUMNS[] = {
    "id",           "title",          "function",          "level",
    "owner",        "parent_id",      "lifecycle",         "health",
    "rollup_health", "value",         "unit",              "baseline",
    "target",       "direction",      "target_mode",       "deadline",
    "progress",     "expected_progress", "last_sample",    "samples_in_period",
    "versions_in_period", "missed_or_stale_reminders", "no_data", "overdue_actions",
    "last_review_date", "last_review_decision", "last_review_note", "reviews_in_period",
    "period_from",  "period_to"};
#define CSV_N_COLUMNS (sizeof CSV_COLUMNS / sizeof CSV_COLUMNS[0])
/* the columns of user text (csv_text_field): id, title, function, owner,
 * parent_id, unit, last_review_note */
static const unsigned char csv_is_text[CSV_N_COLUMNS] = {
    [0] = 1, [1] = 1, [2] = 1, [4] = 1, [5] = 1, [10] = 1, [26] = 1};

static void csv_field(FILE *f, int first, const char *s)
{
    if (!first) {
        fputc(',', f);
    }
    s = s ? s : "";
    csv_fwrite(f, s, strlen(s));
}

/* A cell of user text for people with spreadsheets: text starting with
 * = + - @ tab or CR would run as a formula when the file is opened (CSV
 * injection), so it gets a leading single quote ("'=cmd|calc"), which
 * spreadsheets read as "this is text". Numbers are written by csv_field. */
static void csv_text_field(FILE *f, int first, const char *s)
{
    if (s && *s && strchr("=+-@\t\r", *s)) {
        if (!first) {
            fputc(',', f);
        }
        size_t n = strlen(s);
        char *q = malloc(n + 2);
        if (!q) {
            abort();
        }
        q[0] = '\'';
        memcpy(q + 1, s, n + 1);
        csv_fwrite(f, q, n + 1);
        free(q);
        return;
    }
    csv_field(f, first, s);
}

static void write_csv(FILE *f, const report *rep)
{
    for (size_t i = 0; i < CSV_N_COLUMNS; i++) {
        csv_field(f, i == 0, CSV_COLUMNS[i]);
    }
    fputs("\r\n", f);
    char from[48], to[48];
    ismo_fmt_time(rep->from_ms, from, sizeof from);
    ismo_fmt_time(rep->to_ms, to, sizeof to);
    for (size_t i = 0; i < rep->n; i++) {
        const row *w = &rep->rows[i];
        const Ismo__V1__Objective *o = w->o;
        const Ismo__V1__Status *s = w->s;
        char value[40] = "", baseline[40] = "", target[40] = "", deadline[48], progress[40] = "";
        char expected[40] = "", last[48] = "", nsp[24], nv[24], nr[24], na[24], nrp[24];
        char rdate[48] = "";
        if (s && s->has_value) {
            snprintf(value, sizeof value, "%.10g", s->value);
        }
        if (o->has_baseline) {
            snprintf(baseline, sizeof baseline, "%.10g", o->baseline);
        }
        if (o->has_target) {
            snprintf(target, sizeof target, "%.10g", o->target);
        }
        if (s && s->has_progress) {
            snprintf(progress, sizeof progress, "%.6g", s->progress);
        }
        if (s && s->has_expected_progress) {
            snprintf(expected, sizeof expected, "%.6g", s->expected_progress);
        }
        if (s && s->last_sample_ms) {
            ismo_fmt_time(s->last_sample_ms, last, sizeof last);
        }
        if (o->deadline_ms) {
            ismo_fmt_deadline(o->deadline_ms, deadline, sizeof deadline);
        } else {
            deadline[0] = '\0';
        }
        snprintf(nsp, sizeof nsp, "%zu", w->samples_in_period);
        snprintf(nv, sizeof nv, "%zu", w->n_changes);
        snprintf(nr, sizeof nr, "%zu", w->n_reminders);
        snprintf(na, sizeof na, "%zu", w->overdue_actions);
        snprintf(nrp, sizeof nrp, "%zu", w->reviews_in_period);
        if (w->last_review) {
            ismo_fmt_time(w->last_review->reviewed_ms, rdate, sizeof rdate);
        }
        const char *cells[CSV_N_COLUMNS] = {
            o->id,
            o->title,
            o->function,
            ismo_level_name(o->level),
            o->owner,
            o->parent_id,
            lifecycle_of(w) ? ismo_lifecycle_name(lifecycle_of(w)) : "",
            s ? ismo_health_name(health_of(w)) : "",
            s ? ismo_health_name(rollup_of(w)) : "",
            value,
            o->metric ? o->metric->unit : "",
            baseline,
            target,
            ismo_direction_name(o->metric ? (int)o->metric->direction : 0),
            ismo_target_mode_name(o->target_mode),
            deadline,
            progress,
            expected,
            last,
            nsp,
            nv,
            nr,
            health_of(w) == ISMO__V1__HEALTH__NO_DATA ? "yes" : "no",
            na,
            rdate,
            w->last_review ? ismo_review_decision_name(w->last_review->decision) : "",
            w->last_review ? w->last_review->note : "",
            nrp,
            from,
            to};
        for (size_t k = 0; k < CSV_N_COLUMNS; k++) {
            if (csv_is_text[k]) {
                csv_text_field(f, k == 0, cells[k]);
            } else {
                csv_field(f, k == 0, cells[k]);
            }
        }
        fputs("\r\n", f);
    }
}

/* ---- the command ----------------------------------------------------------------------- */

int cmd_report(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"function", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"from", required_argument, NULL, 'a'},
                                         {"to", required_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    const char *function = NULL, *out = NULL, *format = "md";
    int64_t from_ms = 0, to_ms = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:o:", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            function = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'F':
            format = optarg;
            break;
        case 'a':
            /* --from: a date is the start of that day */
            if (cli_parse_time(cli, optarg, 0, &from_ms) != 0 || from_ms <= 0) {
                return cli_bad_time(cli, 1, "--from", optarg,
                                    "2026-04-01, 2026-Q1 (its end), 2026-04-01T00:00:00Z, @ms");
            }
            break;
        case 'b':
            if (cli_parse_instant(cli, "--to", optarg, &to_ms) != 0) {
                return CLI_EXIT_USAGE;
            }
            break;
            CLI_OPTION_DEFAULT(cli, c);
        }
    }
    if (optind < argc) {
        return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
    }
    int fmt_md = strcmp(format, "md") == 0 || strcmp(format, "markdown") == 0;
    int fmt_html = strcmp(format, "html") == 0;
    int fmt_csv = strcmp(format, "csv") == 0;
    if (!fmt_md && !fmt_html && !fmt_csv) {
        return cli_usage(cli, "--format must be md, html or csv, not '%s'", format);
    }
    if (from_ms && to_ms && from_ms >= to_ms) {
        return cli_usage(cli, "--from must be before --to");
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    report rep = {0};
    rep.function = function;
    int rc = gather(cli, client, &rep, from_ms, to_ms, fmt_md, !fmt_md);
    if (rc == CLI_EXIT_OK) {
        FILE *f = stdout;
        if (out && strcmp(out, "-") != 0) {
            f = fopen(out, "w");
            if (!f) {
                rc = cli_fail(cli, "cannot write %s: %s", out, strerror(errno));
            }
        }
        if (f) {
            if (fmt_html) {
                write_html(f, &rep);
            } else if (fmt_csv) {
                write_csv(f, &rep);
            } else {
                write_md(f, &rep);
            }
            if (f != stdout) {
                if (ferror(f) | (fclose(f) != 0)) {
                    rc = cli_fail(cli, "cannot write %s: %s", out, strerror(errno));
                } else {
                    fprintf(stderr, "ismo: report: %zu objectives written to %s\n", rep.n, out);
                }
            } else if (fflush(stdout) != 0) {
                rc = cli_fail(cli, "cannot write the report: %s", strerror(errno));
            }
        }
    }
    report_free(&rep);
    ismo_client_destroy(&client);
    return rc;
}
