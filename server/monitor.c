/* monitor: turns stored samples and the clock into Status records,
 * STATUS_CHANGED events and reminders (ISO/IEC 27001:2022 6.2 f "monitored",
 * e "communicated"). It owns the rule "an event is stored with its sequence
 * number before it is published" (ismo_work_emit appends to the store and
 * only queues for publishing; the server publishes after commit).
 * Server thread, inside the step's write transaction. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assess.h"
#include "audit.h"
#include "evaluator.h"
#include "ismo_codec.h"
#include "ismo_log.h"
#include "ismo_time.h"
#include "scheduler.h"
#include "work.h"

ismo_err ismo_work_touch(ismo_work *w, const char *id)
{
    for (size_t i = 0; i < w->n_touched; i++) {
        if (strcmp(w->touched[i], id) == 0) {
            return ISMO_OK;
        }
    }
    if (w->n_touched == w->cap_touched) {
        size_t cap = w->cap_touched ? w->cap_touched * 2 : 16;
        void *p = realloc(w->touched, cap * sizeof *w->touched);
        if (!p) {
            return ISMO_ERR_NOMEM;
        }
        w->touched = p;
        w->cap_touched = cap;
    }
    snprintf(w->touched[w->n_touched++], ISMO_MAX_ID_BYTES + 1, "%s", id);
    return ISMO_OK;
}

ismo_err ismo_work_emit(ismo_work *w, Ismo__V1__Event *e)
{
    if (!e->has_time_ms) {
        e->has_time_ms = 1;
        e->time_ms = w->now_ms;
    }
    ismo_err err = ismo_store_event_append(w->txn, e);
    if (err == ISMO_OK) {
        err = ismo_audit_event(w, e); /* the audit trail records it in the same transaction */
    }
    if (err != ISMO_OK) {
        return err;
    }
    char topic[256];
    size_t tl = ismo_event_topic(e, topic, sizeof topic);
    uint8_t *buf;
    size_t len;
    err = ismo_codec_pack(&e->base, &buf, &len);
    if (err != ISMO_OK) {
        return err;
    }
    return ismo_outbox_push(w->events, topic, tl, 0, buf, len);
}

/* Reminders decided in one evaluation; more wait for the next tick. */
#define MAX_DUE 64

typedef struct fired_ctx {
    ismo_txn_t *txn;
    const char *id;
    ismo_err err;
    ismo_key_fn key_fn; /* ismo_monitor_outstanding: each outstanding key */
    void *key_ctx;
} fired_ctx;

static void outstanding_key_cb(void *ctx, const char *key)
{
    fired_ctx *f = ctx;
    if (f->key_fn && f->err == ISMO_OK) {
        f->err = f->key_fn(f->key_ctx, key);
    }
}

static int fired_cb(void *ctx, const char *key)
{
    fired_ctx *f = ctx;
    int fired = 0;
    ismo_err err = ismo_store_reminder_fired(f->txn, f->id, key, &fired);
    if (err != ISMO_OK) {
        f->err = err;
        return ISMO_REMINDER_SUPPRESSED; /* do not fire on a read error */
    }
    return fired;
}

static uint32_t count_cb(void *ctx, const char *prefix)
{
    fired_ctx *f = ctx;
    uint32_t n = 0;
    ismo_err err = ismo_store_reminder_count(f->txn, f->id, prefix, &n);
    if (err != ISMO_OK) {
        f->err = err;
    }
    return n;
}

/* The reminder inputs that need the store: when the objective was first
 * stored (only when a rule needs it: work-should-start not yet decided, or a
 * review cadence with neither review nor start) and its last review. */
static ismo_err reminder_context(ismo_work *w, const Ismo__V1__Objective *o, ismo_schedule_input *in)
{
    int64_t start = o->has_start_ms ? o->start_ms : 0;
    int64_t cadence = o->has_review_cadence_ms ? o->review_cadence_ms : 0;
    ismo_err err = ISMO_OK;
    if (cadence > 0 || o->n_review_dates_ms > 0) {
        err = ismo_store_review_last(w->txn, o->id, &in->last_review_ms);
        if (err != ISMO_OK) {
            return err;
        }
    }
    int need = cadence > 0 && start <= 0 && in->last_review_ms == 0;
    if (!need && start > 0 && w->now_ms >= start) {
        char key[ISMO_REMINDER_KEY_BYTES];
        int fired = 0;
        snprintf(key, sizeof key, "start:%lld", (long long)start);
        err = ismo_store_reminder_fired(w->txn, o->id, key, &fired);
        need = err == ISMO_OK && fired == ISMO_REMINDER_NOT_FIRED;
    }
    if (err != ISMO_OK || !need) {
        return err;
    }
    if (!o->has_version || o->version <= 1) {
        in->created_ms = o->has_updated_ms ? o->updated_ms : w->now_ms;
        return ISMO_OK;
    }
    Ismo__V1__Objective *first = NULL;
    err = ismo_store_objective_get(w->txn, o->id, 1, &first);
    if (err == ISMO_OK) {
        in->created_ms = first->has_updated_ms ? first->updated_ms : 0;
        ismo__v1__objective__free_unpacked(first, NULL);
    }
    return err == ISMO_ERR_NOT_FOUND ? ISMO_OK : err;
}

/* The scheduler's input for o judged with health and its newest sample at
 * last_ms, now (the store-read parts: reminder_context). */
static void schedule_input(const ismo_work *w, const Ismo__V1__Objective *o, int health, int64_t last_ms,
                           ismo_schedule_input *in)
{
    memset(in, 0, sizeof *in);
    in->objective = o;
    in->health = health;
    in->last_sample_ms = last_ms;
    in->now_ms = w->now_ms;
    in->offsets_ms = o->n_reminder_offsets_ms > 0 ? o->reminder_offsets_ms : w->cfg->reminder_offsets_ms;
    in->n_offsets = o->n_reminder_offsets_ms > 0 ? o->n_reminder_offsets_ms : w->cfg->n_reminder_offsets;
    in->overdue_repeat_ms = o->has_overdue_repeat_ms && o->overdue_repeat_ms != 0 ? o->overdue_repeat_ms
                                                                                   : w->cfg->overdue_repeat_ms;
    if (in->overdue_repeat_ms > 0 && in->overdue_repeat_ms < ISMO_MIN_OVERDUE_REPEAT_MS) {
        in->overdue_repeat_ms = ISMO_MIN_OVERDUE_REPEAT_MS; /* stored before the 1 h floor: no flood */
    }
    in->late_before_ms = w->late_before_ms;
    in->quiet_before_ms = w->quiet_before_ms;
}

ismo_err ismo_monitor_outstanding(ismo_work *w, const Ismo__V1__Objective *o, ismo_key_fn fn, void *ctx)
{
    if (o->retired) {
        return ISMO_OK;
    }
    Ismo__V1__Status *st = NULL;
    ismo_err err = ismo_store_status_get(w->txn, o->id, &st);
    if (err != ISMO_OK && err != ISMO_ERR_NOT_FOUND) {
        return err;
    }
    int health = st && st->has_health ? (int)st->health : ISMO__V1__HEALTH__HEALTH_UNSPECIFIED;
    int64_t last_ms = st && st->has_last_sample_ms ? st->last_sample_ms : 0;
    if (st) {
        ismo__v1__status__free_unpacked(st, NULL);
    }
    ismo_schedule_input in;
    schedule_input(w, o, health, last_ms, &in);
    in.outstanding_key = outstanding_key_cb;
    err = reminder_context(w, o, &in);
    if (err != ISMO_OK) {
        return err;
    }
    ismo_reminder_due *due = malloc(MAX_DUE * sizeof *due); /* decided, not recorded: ignored */
    if (!due) {
        return ISMO_ERR_NOMEM;
    }
    fired_ctx fc = {w->txn, o->id, ISMO_OK, fn, ctx};
    (void)ismo_schedule(&in, fired_cb, count_cb, &fc, due, MAX_DUE, NULL, NULL);
    free(due);
    return fc.err;
}

/* ISO/IEC 27001:2022 6.2, 7.5: when an ACTIVE objective's deadline has
 * passed, its lifecycle follows the final health (ACHIEVED or MISSED); a late
 * sample that changes the final health changes it again. Each transition is
 * a new version by actor "ismod" with an OBJECTIVE_CHANGED event carrying the
 * old and new lifecycle. */
static ismo_err lifecycle_at_deadline(ismo_work *w, const Ismo__V1__Objective *o, int health,
                                      const char *explanation)
{
    if (o->retired || !o->has_lifecycle || !o->has_deadline_ms || o->deadline_ms <= 0 ||
        w->now_ms < o->deadline_ms) {
        return ISMO_OK;
    }
    int cur = (int)o->lifecycle;
    if (cur != ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE && cur != ISMO__V1__LIFECYCLE__LIFECYCLE_ACHIEVED &&
        cur != ISMO__V1__LIFECYCLE__LIFECYCLE_MISSED) {
        return ISMO_OK;
    }
    int next = health == ISMO__V1__HEALTH__ACHIEVED ? ISMO__V1__LIFECYCLE__LIFECYCLE_ACHIEVED
                                                    : ISMO__V1__LIFECYCLE__LIFECYCLE_MISSED;
    if (next == cur) {
        return ISMO_OK;
    }
    char d[40], reason[512], msg[700];
    ismo_deadline_format_ms(o->deadline_ms, d, sizeof d);
    snprintf(reason, sizeof reason, "lifecycle: %s -> %s (deadline %s passed, final health %s: %.300s)",
             ismo_lifecycle_name(cur), ismo_lifecycle_name(next), d, ismo_health_name(health),
             explanation ? explanation : "");
    Ismo__V1__Objective n = *o;
    n.has_version = 1;
    n.version = o->version + 1;
    n.has_updated_ms = 1;
    n.updated_ms = w->now_ms;
    n.updated_by = (char *)"ismod";
    n.change_reason = reason;
    n.has_lifecycle = 1;
    n.lifecycle = (Ismo__V1__Lifecycle)next;
    ismo_err err = ismo_store_objective_put(w->txn, &n);
    if (err == ISMO_OK) {
        err = ismo_audit_objective(w, &n, "objective.put");
    }
    if (err != ISMO_OK) {
        return err;
    }
    Ismo__V1__Event e = ISMO__V1__EVENT__INIT;
    Ismo__V1__ObjectiveChange oc = ISMO__V1__OBJECTIVE_CHANGE__INIT;
    snprintf(msg, sizeof msg, "%s updated: version %u by ismod: %s", o->id, n.version, reason);
    e.has_kind = 1;
    e.kind = ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED;
    e.function = o->function;
    e.objective_id = o->id;
    e.title = o->title;
    e.message = msg;
    oc.has_version = 1;
    oc.version = n.version;
    oc.actor = n.updated_by;
    oc.reason = reason;
    oc.has_retired = 1;
    oc.retired = 0;
    oc.has_old_lifecycle = 1;
    oc.old_lifecycle = (Ismo__V1__Lifecycle)cur;
    oc.has_new_lifecycle = 1;
    oc.new_lifecycle = (Ismo__V1__Lifecycle)next;
    e.payload_case = ISMO__V1__EVENT__PAYLOAD_OBJECTIVE_CHANGE;
    e.objective_change = &oc;
    ISMO_INFO("monitor", "%s", msg);
    return ismo_work_emit(w, &e);
}

static int64_t next_deadline(const Ismo__V1__Objective *o)
{
    int64_t next = o->has_deadline_ms ? o->deadline_ms : 0;
    for (size_t i = 0; i < o->n_actions; i++) {
        const Ismo__V1__Action *a = o->actions[i];
        int open = !a->has_status || a->status == ISMO__V1__ACTION_STATUS__PLANNED ||
                   a->status == ISMO__V1__ACTION_STATUS__IN_PROGRESS;
        if (open && a->has_due_ms && a->due_ms > 0 && (next == 0 || a->due_ms < next)) {
            next = a->due_ms;
        }
    }
    return next;
}


ismo_err ismo_monitor_objective(ismo_work *w, const Ismo__V1__Objective *o, uint64_t sample_delta)
{
    Ismo__V1__Status *old = NULL;
    ismo_err err = ismo_store_status_get(w->txn, o->id, &old);
    if (err != ISMO_OK && err != ISMO_ERR_NOT_FOUND) {
        return err;
    }
    /* evaluation (server/assess.h); hysteresis against the health last computed
     * from this same objective version (a changed objective is judged afresh) */
    int prev_health = old && old->has_health && old->has_objective_version && o->has_version &&
                              old->objective_version == o->version
                          ? (int)old->health
                          : ISMO__V1__HEALTH__HEALTH_UNSPECIFIED;
    ismo_assess_opts ao = {w->now_ms, 0, prev_health, w->cfg->at_risk_margin, w->cfg->hysteresis, 0};
    ismo_assessment as;
    err = ismo_assess(w->txn, o, &ao, &as);
    if (err != ISMO_OK) {
        if (old) {
            ismo__v1__status__free_unpacked(old, NULL);
        }
        return err;
    }
    ismo_eval ev = as.eval;
    int64_t last_ms = as.last_sample_ms;
    /* the oldest judged sample leaving a sliding window is a moment to look again */
    int64_t window = o->metric && o->metric->has_window_ms ? o->metric->window_ms : 0;
    int64_t leaves_ms = window > 0 && as.mode == ISMO_EVAL_MODE_WINDOW ? as.oldest_in_window_ms : 0;
    int64_t boundary_ms = as.next_boundary_ms;
    uint64_t window_samples = as.window_samples, total_samples = as.total_samples;
    ismo_assessment_free(&as);
    if (o->retired) {
        ev.health = old && old->has_health ? (int)old->health : ev.health;
    }

    /* reminders (docs/evaluation.md "Reminders") */
    ismo_reminder_due due[MAX_DUE];
    fired_ctx fc = {w->txn, o->id, ISMO_OK, NULL, NULL};
    ismo_schedule_input in;
    schedule_input(w, o, ev.health, last_ms, &in);
    uint32_t outstanding = 0;
    size_t n_due = 0;
    int more = 0;
    err = o->retired ? ISMO_OK : reminder_context(w, o, &in);
    if (err == ISMO_OK && !o->retired) {
        n_due = ismo_schedule(&in, fired_cb, count_cb, &fc, due, MAX_DUE, &outstanding, &more);
        err = fc.err;
    }
    in.more_pending = more;
    if (err == ISMO_OK) {
        err = lifecycle_at_deadline(w, o, ev.health, ev.explanation);
    }
    if (err != ISMO_OK) {
        if (old) {
            ismo__v1__status__free_unpacked(old, NULL);
        }
        return err;
    }

    int old_health = old && old->has_health ? (int)old->health : ISMO__V1__HEALTH__HEALTH_UNSPECIFIED;
    Ismo__V1__Status st = ISMO__V1__STATUS__INIT;
    st.objective_id = o->id;
    st.has_health = 1;
    st.health = (Ismo__V1__Health)ev.health;
    st.has_value = ev.has_value;
    st.value = ev.value;
    st.has_progress = ev.has_value;
    st.progress = ev.progress;
    st.has_expected_progress = 1;
    st.expected_progress = ev.expected;
    st.has_evaluated_ms = 1;
    st.evaluated_ms = w->now_ms;
    st.has_last_sample_ms = 1;
    st.last_sample_ms = last_ms;
    st.has_window_samples = 1;
    st.window_samples = window_samples;
    st.has_total_samples = 1;
    st.total_samples = total_samples;
    st.period_label = ev.period_label[0] ? ev.period_label : NULL;
    st.has_periods_missed = ev.period_label[0] != '\0';
    st.periods_missed = ev.periods_missed;
    st.has_objective_version = o->has_version;
    st.objective_version = o->version;
    (void)sample_delta;
    st.explanation = ev.explanation;
    st.has_next_deadline_ms = 1;
    st.next_deadline_ms = next_deadline(o);
    st.has_reminders_outstanding = 1;
    st.reminders_outstanding = outstanding;
    st.has_changed_ms = 1;
    st.changed_ms = ev.health != old_health ? w->now_ms : (old ? old->changed_ms : w->now_ms);

    /* write only when something a reader sees changed (ticks stay cheap) */
    int dirty = !old || sample_delta > 0 || ev.health != old_health ||
                old->has_value != st.has_value || old->value != st.value ||
                old->window_samples != st.window_samples || old->total_samples != st.total_samples ||
                old->last_sample_ms != st.last_sample_ms ||
                fabs(old->expected_progress - st.expected_progress) >= 0.001 ||
                old->reminders_outstanding != st.reminders_outstanding ||
                old->next_deadline_ms != st.next_deadline_ms || n_due > 0 ||
                strcmp(old->explanation ? old->explanation : "", st.explanation) != 0;
    if (old) {
        ismo__v1__status__free_unpacked(old, NULL);
    }
    if (dirty) {
        err = ismo_store_status_put(w->txn, &st);
        if (err != ISMO_OK) {
            return err;
        }
    }
    if (ev.health != old_health && !o->retired) {
        Ismo__V1__Event e = ISMO__V1__EVENT__INIT;
        Ismo__V1__StatusChange sc = ISMO__V1__STATUS_CHANGE__INIT;
        char msg[512];
        snprintf(msg, sizeof msg, "%s: %s -> %s (%s)", o->id, ismo_health_name(old_health),
                 ismo_health_name(ev.health), ev.explanation);
        e.has_kind = 1;
        e.kind = ISMO__V1__EVENT_KIND__STATUS_CHANGED;
        e.function = o->function;
        e.objective_id = o->id;
        e.title = o->title;
        e.message = msg;
        sc.has_old_health = 1;
        sc.old_health = (Ismo__V1__Health)old_health;
        sc.has_new_health = 1;
        sc.new_health = (Ismo__V1__Health)ev.health;
        sc.has_value = ev.has_value;
        sc.value = ev.value;
        sc.has_progress = ev.has_value;
        sc.progress = ev.progress;
        sc.has_expected_progress = 1;
        sc.expected_progress = ev.expected;
        e.payload_case = ISMO__V1__EVENT__PAYLOAD_STATUS_CHANGE;
        e.status_change = &sc;
        err = ismo_work_emit(w, &e);
        if (err != ISMO_OK) {
            return err;
        }
    }
    for (size_t i = 0; i < n_due; i++) {
        uint64_t seq = 0;
        if (!due[i].suppress) {
            Ismo__V1__Event e = ISMO__V1__EVENT__INIT;
            Ismo__V1__Reminder r = ISMO__V1__REMINDER__INIT;
            char msg[768];
            const ismo_reminder_due *d = &due[i];
            ismo_reminder_message(o, d, w->cfg->display_tz, msg, sizeof msg);
            e.has_kind = 1;
            e.kind = ISMO__V1__EVENT_KIND__REMINDER;
            e.function = o->function;
            e.objective_id = o->id;
            e.title = o->title;
            e.message = msg;
            r.has_reminder_kind = 1;
            r.reminder_kind = (Ismo__V1__ReminderKind)d->kind;
            r.has_offset_ms = 1;
            r.offset_ms = d->offset_ms;
            r.has_due_ms = 1;
            r.due_ms = d->due_ms;
            r.owner = o->owner;
            r.has_repeat = 1;
            r.repeat = d->repeat;
            r.has_escalated = 1;
            r.escalated = d->escalated;
            r.audience = d->escalated && o->escalate_to && *o->escalate_to ? o->escalate_to : o->owner;
            r.key = (char *)d->key;
            if (d->action_index >= 0 && (size_t)d->action_index < o->n_actions) {
                r.has_action_index = 1;
                r.action_index = d->action_index;
                r.action = o->actions[d->action_index]->what;
            }
            r.has_late = 1;
            r.late = d->late;
            e.payload_case = ISMO__V1__EVENT__PAYLOAD_REMINDER;
            e.reminder = &r;
            err = ismo_work_emit(w, &e);
            if (err != ISMO_OK) {
                return err;
            }
            seq = e.seq;
            ISMO_INFO("monitor", "reminder #%llu %s", (unsigned long long)seq, msg);
        }
        err = ismo_store_reminder_mark(w->txn, o->id, due[i].key, seq);
        if (err != ISMO_OK) {
            return err;
        }
    }
    /* when to look at it again (the due-time index) */
    int64_t next = o->retired ? 0
                              : ismo_next_check_ms(&in, ev.has_value, ev.progress,
                                                   w->cfg->at_risk_margin, leaves_ms);
    if (next > 0 && boundary_ms > w->now_ms && boundary_ms < next) {
        next = boundary_ms; /* a period boundary or a hysteresis-shifted threshold comes first */
    }
    return ismo_store_due_set(w->txn, o->id, next);
}

#define TICK_BATCH 1024
#define TICK_ROUNDS 8

ismo_err ismo_monitor_tick(ismo_work *w)
{
    /* Only the objectives whose due time has come: the cost of a tick grows
     * with what is due, not with how many objectives (or reminders) exist.
     * At most TICK_ROUNDS * TICK_BATCH per tick; the rest wait a tick. */
    static char ids[TICK_BATCH][ISMO_MAX_ID_BYTES + 1];
    for (int round = 0; round < TICK_ROUNDS; round++) {
        size_t n = 0;
        ismo_err err = ismo_store_due_list(w->txn, w->now_ms, TICK_BATCH, ids, &n);
        if (err != ISMO_OK) {
            return err;
        }
        for (size_t i = 0; i < n; i++) {
            Ismo__V1__Objective *o = NULL;
            err = ismo_store_objective_get(w->txn, ids[i], 0, &o);
            if (err == ISMO_ERR_NOT_FOUND) {
                err = ismo_store_due_set(w->txn, ids[i], 0);
            } else if (err == ISMO_OK) {
                err = o->retired ? ismo_store_due_set(w->txn, o->id, 0)
                                 : ismo_monitor_objective(w, o, 0);
                ismo__v1__objective__free_unpacked(o, NULL);
            }
            if (err != ISMO_OK) {
                return err;
            }
        }
        if (n < TICK_BATCH) {
            break;
        }
    }
    return ISMO_OK;
}

typedef struct sched_ctx {
    ismo_work *w;
    ismo_err err;
} sched_ctx;

static int sched_cb(void *ctx, const Ismo__V1__Objective *o)
{
    sched_ctx *c = ctx;
    if (!o->retired) {
        c->err = ismo_store_due_set(c->w->txn, o->id, c->w->now_ms);
    }
    return c->err != ISMO_OK;
}

ismo_err ismo_monitor_schedule_all(ismo_work *w)
{
    sched_ctx c = {w, ISMO_OK};
    ismo_err err = ismo_store_objective_foreach(w->txn, sched_cb, &c);
    return err != ISMO_OK ? err : c.err;
}
