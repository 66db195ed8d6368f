/* smart: the SMART gate (see ismo_smart.h). */
#include "ismo_smart.h"

#include <stdio.h>

typedef struct gaps {
    char (*out)[ISMO_SMART_GAP_BYTES];
    size_t cap, n;
} gaps;

static void lack(gaps *g, int cond, const char *what)
{
    if (!cond) {
        return;
    }
    if (g->n < g->cap) {
        snprintf(g->out[g->n], ISMO_SMART_GAP_BYTES, "%s", what);
    }
    g->n++;
}

static int empty(const char *s) { return !s || !*s; }

size_t ismo_smart_gaps(const Ismo__V1__Objective *o, char (*out)[ISMO_SMART_GAP_BYTES], size_t cap)
{
    gaps g = {out, cap, 0};
    const Ismo__V1__Metric *m = o->metric;
    lack(&g, empty(o->owner), "owner");
    lack(&g, empty(o->function), "function");
    lack(&g, !o->has_level || o->level == ISMO__V1__LEVEL__LEVEL_UNSPECIFIED, "level");
    if (o->has_not_measurable && o->not_measurable) {
        lack(&g, empty(o->not_measurable_reason), "reason why it is not practicable to measure");
        lack(&g, empty(o->evaluation_method), "qualitative evaluation method");
        lack(&g, o->n_review_dates_ms == 0, "review dates");
    } else {
        lack(&g, !m, "metric");
        lack(&g, m && empty(m->unit), "metric unit");
        lack(&g, m && (!m->has_direction || m->direction == ISMO__V1__DIRECTION__DIRECTION_UNSPECIFIED),
             "metric direction");
        lack(&g, m && !m->has_aggregation, "metric aggregation");
        lack(&g, m && !m->has_window_ms && (!m->has_period || m->period == ISMO__V1__CALENDAR_PERIOD__PERIOD_NONE),
             "metric window");
        lack(&g, !o->has_baseline, "baseline");
        lack(&g, !o->has_baseline_at_ms || o->baseline_at_ms == 0, "baseline date");
        lack(&g, !o->has_target && o->n_period_targets == 0, "target");
        lack(&g, empty(o->evaluation_method), "evaluation method");
    }
    lack(&g, !o->has_deadline_ms || o->deadline_ms == 0, "deadline");
    size_t live = 0;
    for (size_t i = 0; i < o->n_actions; i++) {
        const Ismo__V1__Action *a = o->actions[i];
        if (!(a->has_status && a->status == ISMO__V1__ACTION_STATUS__CANCELLED)) {
            live++;
        }
    }
    lack(&g, live == 0, "plan (no action)");
    for (size_t i = 0; i < o->n_actions; i++) {
        const Ismo__V1__Action *a = o->actions[i];
        char what[ISMO_SMART_GAP_BYTES];
        if (a->has_status && a->status == ISMO__V1__ACTION_STATUS__CANCELLED) {
            continue;
        }
        snprintf(what, sizeof what, "action %zu: what", i + 1);
        lack(&g, empty(a->what), what);
        snprintf(what, sizeof what, "action %zu: resources", i + 1);
        lack(&g, empty(a->resources), what);
        snprintf(what, sizeof what, "action %zu: responsible", i + 1);
        lack(&g, empty(a->responsible), what);
        snprintf(what, sizeof what, "action %zu: due date", i + 1);
        lack(&g, !a->has_due_ms || a->due_ms == 0, what);
    }
    return g.n;
}
