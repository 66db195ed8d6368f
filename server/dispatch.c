/* dispatch: one row per request type {body case, handler, writes?, roles
 * allowed}. A new request is one row and one function. Handlers validate
 * everything from the world before writing, run inside the step's (nested)
 * write transaction, and fill the Reply; docs/protocol.md documents each one.
 *
 * Authorization (issue 4 item 2; docs/security.md): the row's roles decide
 * whether a peer's role may make the request at all; the handlers then
 * limit agents to the objectives of their functions (reads filtered, pushes
 * rejected per sample) and owners to the objectives they own (owner == the
 * certificate's name). Every refusal is a PERMISSION_DENIED reply, logged
 * here and recorded in the audit trail by the server loop. With --insecure
 * every peer is admin. Server thread. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assess.h"
#include "audit.h"
#include "evaluator.h"
#include "ismo_log.h"
#include "ismo_smart.h"
#include "ismo_time.h"
#include "work.h"
#include "zap.h"


typedef ismo_err (*handler_fn)(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply);

static void fail(Ismo__V1__Reply *reply, ismo_err err, const char *msg)
{
    reply->has_code = 1;
    reply->code = (Ismo__V1__StatusCode)ismo_err_to_status(err);
    free(reply->message);
    reply->message = strdup(msg ? msg : ismo_strerror(err));
}

/* ---- authorization helpers ---- */

/* Refuse the request: PERMISSION_DENIED with the reason, logged. */
static ismo_err deny(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static ismo_err deny(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply, const char *fmt, ...)
{
    char why[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    ISMO_WARN("dispatch", "refused %s (%s): %s", w->peer ? w->peer->name : "?",
              w->peer ? ismo_role_name(w->peer->role) : "?", why);
    (void)req;
    fail(reply, ISMO_ERR_PERMISSION, why);
    return ISMO_ERR_PERMISSION;
}

/* 1 if the peer may read or act on objectives of function. */
static int may_function(const ismo_work *w, const char *function)
{
    return !w->peer || ismo_peer_has_function(w->peer, function);
}

/* 1 if the peer may change objective o (owner: only its own). */
static int may_change(const ismo_work *w, const Ismo__V1__Objective *o)
{
    if (!w->peer || w->peer->role == ISMO_ROLE_ADMIN) {
        return 1;
    }
    return w->peer->role == ISMO_ROLE_OWNER && o->owner && strcmp(o->owner, w->peer->name) == 0;
}

/* The objective a list request names (id not empty): ISMO_OK if it exists
 * and the peer may read its function; else the error, with the reply's text
 * set (ISMO_ERR_NOT_FOUND "objective '<id>' not found"; a refusal by deny()),
 * or a store error as it came. */
static ismo_err readable_objective(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply,
                                   const char *id)
{
    char why[200];
    Ismo__V1__Objective *o = NULL;
    ismo_err err = ismo_store_objective_get(w->txn, id, 0, &o);
    if (err == ISMO_ERR_NOT_FOUND) {
        snprintf(why, sizeof why, "objective '%.80s' not found", id);
        fail(reply, err, why);
        return err;
    }
    if (err != ISMO_OK) {
        return err;
    }
    int allowed = may_function(w, o->function);
    ismo__v1__objective__free_unpacked(o, NULL);
    if (!allowed) {
        return deny(w, req, reply, "objective '%.80s' belongs to another function", id);
    }
    return ISMO_OK;
}

/* ---- the items of a list reply ---- */

/* Messages gathered by a store scan's callback for a list reply: copies of
 * the scanned ones (borrowed: they die after the callback) or messages built
 * here. The vector owns them until items move into the reply. */
typedef struct msg_vec {
    ProtobufCMessage **items;
    size_t n, cap;
    size_t max;    /* most items kept (SIZE_MAX: no cap) */
    int more;      /* 1: an item beyond max was offered and left out */
    ismo_err err;  /* ISMO_ERR_NOMEM once growing or copying failed */
} msg_vec;

/* 1 (and more = 1) if v holds max items already. */
static int msg_vec_full(msg_vec *v)
{
    if (v->n >= v->max) {
        v->more = 1;
        return 1;
    }
    return 0;
}

/* Appends m, which v owns from now on; 0 = go on, 1 = out of memory (m is
 * freed, err set). */
static int msg_vec_take(msg_vec *v, ProtobufCMessage *m)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 32;
        void *p = realloc(v->items, cap * sizeof *v->items);
        if (!p) {
            protobuf_c_message_free_unpacked(m, NULL);
            v->err = ISMO_ERR_NOMEM;
            return 1;
        }
        v->items = p;
        v->cap = cap;
    }
    v->items[v->n++] = m;
    return 0;
}

/* A scan callback's tail: 0 = go on, 1 = stop (v full: more = 1; or out of
 * memory: err set). m is borrowed; v keeps a copy. */
static int msg_vec_add_copy(msg_vec *v, const ProtobufCMessage *m)
{
    if (msg_vec_full(v)) {
        return 1;
    }
    ProtobufCMessage *c = ismo_codec_copy(m);
    if (!c) {
        v->err = ISMO_ERR_NOMEM;
        return 1;
    }
    return msg_vec_take(v, c);
}

static void msg_vec_free(msg_vec *v)
{
    for (size_t i = 0; i < v->n; i++) {
        protobuf_c_message_free_unpacked(v->items[i], NULL);
    }
    free(v->items);
    v->items = NULL;
    v->n = v->cap = 0;
}

/* ---- objectives ---- */

/* Strip server-set fields and compare packed bytes: 1 if equal. */
static int same_objective(const Ismo__V1__Objective *a, const Ismo__V1__Objective *b)
{
    Ismo__V1__Objective ca = *a, cb = *b;
    Ismo__V1__Objective *v[2] = {&ca, &cb};
    for (int i = 0; i < 2; i++) {
        v[i]->has_version = 0;
        v[i]->has_retired = 0;
        v[i]->has_updated_ms = 0;
        v[i]->updated_by = NULL;
        v[i]->change_reason = NULL;
        v[i]->has_lifecycle = 0;
        v[i]->n_smart_gaps = 0;
        v[i]->smart_gaps = NULL;
    }
    size_t la = protobuf_c_message_get_packed_size(&ca.base);
    size_t lb = protobuf_c_message_get_packed_size(&cb.base);
    if (la != lb) {
        return 0;
    }
    uint8_t *ba = malloc(la + 1), *bb = malloc(lb + 1);
    int same = 0;
    if (ba && bb) {
        protobuf_c_message_pack(&ca.base, ba);
        protobuf_c_message_pack(&cb.base, bb);
        same = memcmp(ba, bb, la) == 0;
    }
    free(ba);
    free(bb);
    return same;
}

/* ---- lifecycle (ISO/IEC 27001:2022 6.2; proto Lifecycle) ---- */

/* The lifecycle of a stored objective; versions stored before lifecycles
 * existed get theirs from the gate. */
static int lifecycle_of(const Ismo__V1__Objective *o)
{
    if (o->retired) {
        return ISMO__V1__LIFECYCLE__LIFECYCLE_RETIRED;
    }
    if (o->has_lifecycle && o->lifecycle != ISMO__V1__LIFECYCLE__LIFECYCLE_UNSPECIFIED) {
        return (int)o->lifecycle;
    }
    return ismo_smart_gaps(o, NULL, 0) > 0 ? ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT
                                           : ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE;
}

/* The lifecycle of new version o (gaps: what the gate found; cur: the
 * version before, NULL when new). ACHIEVED and MISSED are the monitor's
 * verdict at the deadline and stay through later changes, unless the change
 * moves the deadline into the future: that re-opens the objective. */
static int lifecycle_on_put(const Ismo__V1__Objective *o, size_t n_gaps, const Ismo__V1__Objective *cur,
                            int64_t now_ms)
{
    int gate = n_gaps > 0 ? ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT : ISMO__V1__LIFECYCLE__LIFECYCLE_ACTIVE;
    if (!cur) {
        return gate;
    }
    int before = lifecycle_of(cur);
    if (before == ISMO__V1__LIFECYCLE__LIFECYCLE_ACHIEVED || before == ISMO__V1__LIFECYCLE__LIFECYCLE_MISSED) {
        int reopened = o->has_deadline_ms && o->deadline_ms > now_ms;
        return reopened ? gate : before;
    }
    return gate;
}

/* Severity for the roll-up: higher is worse (MISSED > OFF_TRACK > AT_RISK >
 * NO_DATA > ON_TRACK > ACHIEVED). */
static int health_rank(int health)
{
    switch (health) {
    case ISMO__V1__HEALTH__MISSED: return 6;
    case ISMO__V1__HEALTH__OFF_TRACK: return 5;
    case ISMO__V1__HEALTH__AT_RISK: return 4;
    case ISMO__V1__HEALTH__NO_DATA: return 3;
    case ISMO__V1__HEALTH__ON_TRACK: return 2;
    case ISMO__V1__HEALTH__ACHIEVED: return 1;
    default: return 0;
    }
}

static int worse(int a, int b) { return health_rank(b) > health_rank(a) ? b : a; }

/* 1 if o has a metric of its own to judge it by (a target, or period
 * targets, and not marked not_measurable). */
static int has_own_metric(const Ismo__V1__Objective *o)
{
    if (o->has_not_measurable && o->not_measurable) {
        return 0;
    }
    return o->has_target || o->n_period_targets > 0;
}

static ismo_err emit_objective_changed(ismo_work *w, const Ismo__V1__Objective *o, const char *what,
                                       int old_lifecycle)
{
    Ismo__V1__Event e = ISMO__V1__EVENT__INIT;
    Ismo__V1__ObjectiveChange oc = ISMO__V1__OBJECTIVE_CHANGE__INIT;
    char msg[512];
    snprintf(msg, sizeof msg, "%s %s: version %u by %s%s%s", o->id, what, o->version,
             o->updated_by ? o->updated_by : "?", o->change_reason && *o->change_reason ? ": " : "",
             o->change_reason ? o->change_reason : "");
    e.has_kind = 1;
    e.kind = ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED;
    e.function = o->function;
    e.objective_id = o->id;
    e.title = o->title;
    e.message = msg;
    oc.has_version = 1;
    oc.version = o->version;
    oc.actor = o->updated_by;
    oc.reason = o->change_reason;
    oc.has_retired = 1;
    oc.retired = o->retired;
    int new_lifecycle = lifecycle_of(o);
    if (new_lifecycle != old_lifecycle) {
        oc.has_old_lifecycle = 1;
        oc.old_lifecycle = (Ismo__V1__Lifecycle)old_lifecycle;
        oc.has_new_lifecycle = 1;
        oc.new_lifecycle = (Ismo__V1__Lifecycle)new_lifecycle;
        size_t used = strlen(msg);
        snprintf(msg + used, sizeof msg - used, " (%s -> %s)", ismo_lifecycle_name(old_lifecycle),
                 ismo_lifecycle_name(new_lifecycle));
    }
    e.payload_case = ISMO__V1__EVENT__PAYLOAD_OBJECTIVE_CHANGE;
    e.objective_change = &oc;
    return ismo_work_emit(w, &e);
}

static ismo_err h_ping(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    Ismo__V1__PingReply *p = malloc(sizeof *p);
    if (!p) {
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__ping_reply__init(p);
    p->has_server_time_ms = 1;
    p->server_time_ms = w->now_ms;
    p->server_version = strdup(ISMO_VERSION);
    p->has_protocol = 1;
    p->protocol = ISMO_PROTOCOL_VERSION;
    p->has_last_seq = 1;
    ismo_store_last_seq(w->txn, &p->last_seq);
    reply->body_case = ISMO__V1__REPLY__BODY_PING;
    reply->ping = p;
    return ISMO_OK;
}

/* Deepest objective tree accepted (strategic -> ... -> operational), levels. */
#define MAX_TREE_DEPTH 32

/* Refuse a parent_id that would close a cycle (the parent chain of the new
 * version reaches id again) or make the tree deeper than MAX_TREE_DEPTH. An
 * unknown parent is accepted (a register may be imported children first); it
 * ends the chain. ISMO_ERR_INVALID with why. */
static ismo_err check_parent_chain(ismo_work *w, const Ismo__V1__Objective *in, char *why, size_t why_len)
{
    char next[ISMO_MAX_ID_BYTES + 1];
    snprintf(next, sizeof next, "%s", in->parent_id ? in->parent_id : "");
    for (int depth = 1; next[0]; depth++) {
        if (strcmp(next, in->id) == 0) {
            snprintf(why, why_len, "parent_id '%s' would make a cycle in the objective tree (%s is above itself)",
                     in->parent_id, in->id);
            return ISMO_ERR_INVALID;
        }
        if (depth > MAX_TREE_DEPTH) {
            snprintf(why, why_len, "the objective tree above %s is deeper than %d levels", in->id, MAX_TREE_DEPTH);
            return ISMO_ERR_INVALID;
        }
        Ismo__V1__Objective *p = NULL;
        ismo_err err = ismo_store_objective_get(w->txn, next, 0, &p);
        if (err == ISMO_ERR_NOT_FOUND) {
            return ISMO_OK;
        }
        if (err != ISMO_OK) {
            return err;
        }
        snprintf(next, sizeof next, "%s", p->parent_id ? p->parent_id : "");
        ismo__v1__objective__free_unpacked(p, NULL);
    }
    return ISMO_OK;
}

/* "stored as draft; the SMART gate lacks: owner, baseline date, ..." */
static void gaps_message(Ismo__V1__Reply *reply, char **gaps, size_t n, size_t total)
{
    char msg[1024];
    int used = snprintf(msg, sizeof msg, "stored as draft; the SMART gate (6.2) lacks: ");
    for (size_t i = 0; i < n && used > 0 && (size_t)used < sizeof msg; i++) {
        used += snprintf(msg + used, sizeof msg - (size_t)used, "%s%s", i ? ", " : "", gaps[i]);
    }
    if (total > n && used > 0 && (size_t)used < sizeof msg) {
        snprintf(msg + used, sizeof msg - (size_t)used, " (and %zu more)", total - n);
    }
    free(reply->message);
    reply->message = strdup(msg);
}

static ismo_err h_put_objective(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    Ismo__V1__Objective *in = req->put_objective->objective;
    char why[300];
    if (ismo_objective_validate(in, why, sizeof why) != ISMO_OK) {
        fail(reply, ISMO_ERR_INVALID, why);
        return ISMO_ERR_INVALID;
    }
    ismo_err err = check_parent_chain(w, in, why, sizeof why);
    if (err == ISMO_ERR_INVALID) {
        fail(reply, err, why);
        return err;
    }
    if (err != ISMO_OK) {
        return err;
    }
    Ismo__V1__Objective *cur = NULL;
    err = ismo_store_objective_get(w->txn, in->id, 0, &cur);
    if (err != ISMO_OK && err != ISMO_ERR_NOT_FOUND) {
        return err;
    }
    Ismo__V1__PutObjectiveReply *pr = malloc(sizeof *pr);
    if (!pr) {
        if (cur) {
            ismo__v1__objective__free_unpacked(cur, NULL);
        }
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__put_objective_reply__init(pr);
    reply->body_case = ISMO__V1__REPLY__BODY_PUT_OBJECTIVE;
    reply->put_objective = pr;
    if (!may_change(w, in) || (cur && !may_change(w, cur))) {
        if (cur) {
            ismo__v1__objective__free_unpacked(cur, NULL);
        }
        return deny(w, req, reply, "an owner changes only objectives whose owner is '%s' (objective %.80s)",
                    w->peer->name, in->id);
    }
    if (cur && cur->retired) {
        snprintf(why, sizeof why, "objective %s is retired (version %u); it keeps its history and cannot change",
                 cur->id, cur->version);
        ismo__v1__objective__free_unpacked(cur, NULL);
        fail(reply, ISMO_ERR_CONFLICT, why);
        return ISMO_ERR_CONFLICT;
    }
    if (cur && same_objective(cur, in)) {
        pr->has_version = 1;
        pr->version = cur->version;
        pr->has_unchanged = 1;
        pr->unchanged = 1;
        ismo__v1__objective__free_unpacked(cur, NULL);
        return ISMO_OK;
    }
    /* store a copy with server-set fields; the request stays borrowed */
    Ismo__V1__Objective o = *in;
    char gap_text[ISMO_SMART_MAX_GAPS][ISMO_SMART_GAP_BYTES]; /* 6 KiB */
    char *gap_ptrs[ISMO_SMART_MAX_GAPS];
    size_t n_gaps = ismo_smart_gaps(&o, gap_text, ISMO_SMART_MAX_GAPS);
    size_t n_listed = n_gaps < ISMO_SMART_MAX_GAPS ? n_gaps : ISMO_SMART_MAX_GAPS;
    for (size_t i = 0; i < n_listed; i++) {
        gap_ptrs[i] = gap_text[i];
    }
    o.n_smart_gaps = n_listed;
    o.smart_gaps = gap_ptrs;
    o.has_lifecycle = 1;
    o.lifecycle = (Ismo__V1__Lifecycle)lifecycle_on_put(&o, n_gaps, cur, w->now_ms);
    int old_lifecycle = cur ? lifecycle_of(cur) : ISMO__V1__LIFECYCLE__LIFECYCLE_UNSPECIFIED;
    o.has_version = 1;
    o.version = cur ? cur->version + 1 : 1;
    o.has_retired = 1;
    o.retired = 0;
    o.has_updated_ms = 1;
    o.updated_ms = w->now_ms;
    o.updated_by = req->actor && *req->actor ? req->actor : (char *)"unknown";
    o.change_reason = req->reason && *req->reason ? req->reason : (char *)(cur ? "updated" : "created");
    if (cur) {
        ismo__v1__objective__free_unpacked(cur, NULL);
    }
    err = ismo_store_objective_put(w->txn, &o);
    if (err == ISMO_OK) {
        err = ismo_audit_objective(w, &o, "objective.put");
    }
    if (err == ISMO_OK) {
        err = emit_objective_changed(w, &o, o.version == 1 ? "created" : "updated", old_lifecycle);
    }
    if (err == ISMO_OK) {
        err = ismo_monitor_objective(w, &o, 0);
    }
    if (err != ISMO_OK) {
        return err;
    }
    pr->has_version = 1;
    pr->version = o.version;
    pr->has_created = 1;
    pr->created = o.version == 1;
    /* the monitor may have stored a version of its own (a deadline that has
     * passed: ACHIEVED or MISSED); report the version now current */
    Ismo__V1__Objective *now = NULL;
    if (ismo_store_objective_get(w->txn, o.id, 0, &now) == ISMO_OK) {
        pr->version = now->version;
        ismo__v1__objective__free_unpacked(now, NULL);
    }
    if (o.lifecycle == ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT && n_gaps > 0) {
        gaps_message(reply, gap_ptrs, n_listed, n_gaps);
    }
    return ISMO_OK;
}

/* An as-of instant (GetObjective, GetStatus, Explain): 0 = now, else an
 * instant within 1970..9999 and not after the server's now plus the clock
 * skew allowance (the future cannot be reconstructed). Fails the reply with
 * INVALID_ARGUMENT and a reason, or returns ISMO_OK. */
static ismo_err as_of_check(const ismo_work *w, int64_t as_of, Ismo__V1__Reply *reply)
{
    char why[240];
    if (as_of < 0 || as_of > ISMO_MAX_INSTANT_MS) {
        fail(reply, ISMO_ERR_INVALID, "as_of_ms must be 0 (now) or an instant between 1970 and 9999");
        return ISMO_ERR_INVALID;
    }
    if (as_of > w->now_ms + ISMO_MAX_CLOCK_SKEW_MS) {
        snprintf(why, sizeof why,
                 "as_of_ms %lld is in the future: after the server's now (%lld, UTC ms) plus the clock skew "
                 "allowance of %lld ms; as-of shows the past, not a prediction",
                 (long long)as_of, (long long)w->now_ms, (long long)ISMO_MAX_CLOCK_SKEW_MS);
        fail(reply, ISMO_ERR_INVALID, why);
        return ISMO_ERR_INVALID;
    }
    return ISMO_OK;
}

static ismo_err h_get_objective(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__GetObjectiveRequest *g = req->get_objective;
    char why[200];
    if (!g->id || !*g->id) {
        fail(reply, ISMO_ERR_INVALID, "id missing");
        return ISMO_ERR_INVALID;
    }
    Ismo__V1__Objective *o = NULL;
    int as_of = (!g->has_version || g->version == 0) && g->has_as_of_ms && g->as_of_ms != 0;
    if (as_of && as_of_check(w, g->as_of_ms, reply) != ISMO_OK) {
        return ISMO_ERR_INVALID;
    }
    ismo_err err = as_of ? ismo_store_objective_get_as_of(w->txn, g->id, g->as_of_ms, &o)
                         : ismo_store_objective_get(w->txn, g->id, g->has_version ? g->version : 0, &o);
    if (err == ISMO_ERR_NOT_FOUND) {
        if (g->has_version && g->version) {
            snprintf(why, sizeof why, "objective '%.80s' version %u not found", g->id, g->version);
        } else if (as_of) {
            snprintf(why, sizeof why, "objective '%.80s' not found as of %lld (UTC ms): unknown, or created later", g->id,
                     (long long)g->as_of_ms);
        } else {
            snprintf(why, sizeof why, "objective '%.80s' not found", g->id);
        }
        fail(reply, err, why);
        return err;
    }
    if (err != ISMO_OK) {
        return err;
    }
    if (!may_function(w, o->function)) {
        ismo__v1__objective__free_unpacked(o, NULL);
        return deny(w, req, reply, "objective '%.80s' belongs to another function", g->id);
    }
    Ismo__V1__GetObjectiveReply *gr = malloc(sizeof *gr);
    if (!gr) {
        ismo__v1__objective__free_unpacked(o, NULL);
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__get_objective_reply__init(gr);
    gr->objective = o;
    reply->body_case = ISMO__V1__REPLY__BODY_GET_OBJECTIVE;
    reply->get_objective = gr;
    return ISMO_OK;
}

typedef struct list_ctx {
    const ismo_work *w;
    const char *function;
    int include_retired;
    msg_vec v;
} list_ctx;

static int list_cb(void *ctx, const Ismo__V1__Objective *o)
{
    list_ctx *l = ctx;
    if ((o->retired && !l->include_retired) ||
        (l->function && *l->function && strcmp(l->function, o->function ? o->function : "") != 0) ||
        !may_function(l->w, o->function)) {
        return 0;
    }
    return msg_vec_add_copy(&l->v, &o->base);
}

static ismo_err h_list_objectives(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__ListObjectivesRequest *lr = req->list_objectives;
    list_ctx l = {w, lr->function, lr->include_retired, {NULL, 0, 0, (size_t)w->cfg->max_list, 0, ISMO_OK}};
    ismo_err err = ismo_store_objective_foreach_after(w->txn, lr->after_id, list_cb, &l);
    Ismo__V1__ListObjectivesReply *r = malloc(sizeof *r);
    if (err == ISMO_OK) {
        err = l.v.err;
    }
    if (err != ISMO_OK || !r) {
        msg_vec_free(&l.v);
        free(r);
        return err != ISMO_OK ? err : ISMO_ERR_NOMEM;
    }
    ismo__v1__list_objectives_reply__init(r);
    r->objectives = (Ismo__V1__Objective **)l.v.items;
    r->n_objectives = l.v.n;
    r->has_more = 1;
    r->more = l.v.more;
    reply->body_case = ISMO__V1__REPLY__BODY_LIST_OBJECTIVES;
    reply->list_objectives = r;
    return ISMO_OK;
}

static ismo_err h_retire_objective(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const char *id = req->retire_objective->id;
    char why[200];
    Ismo__V1__Objective *cur = NULL;
    ismo_err err = id && *id ? ismo_store_objective_get(w->txn, id, 0, &cur) : ISMO_ERR_INVALID;
    if (err == ISMO_ERR_NOT_FOUND || err == ISMO_ERR_INVALID) {
        snprintf(why, sizeof why, err == ISMO_ERR_INVALID ? "id missing" : "objective '%.80s' not found",
                 id);
        fail(reply, err, why);
        return err;
    }
    if (err != ISMO_OK) {
        return err;
    }
    if (!may_change(w, cur)) {
        ismo__v1__objective__free_unpacked(cur, NULL);
        return deny(w, req, reply, "an owner retires only objectives whose owner is '%s' (objective %.80s)",
                    w->peer->name, id);
    }
    Ismo__V1__RetireObjectiveReply *rr = malloc(sizeof *rr);
    if (!rr) {
        ismo__v1__objective__free_unpacked(cur, NULL);
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__retire_objective_reply__init(rr);
    reply->body_case = ISMO__V1__REPLY__BODY_RETIRE_OBJECTIVE;
    reply->retire_objective = rr;
    rr->has_version = 1;
    if (cur->retired) {
        rr->version = cur->version;
        ismo__v1__objective__free_unpacked(cur, NULL);
        return ISMO_OK;
    }
    char *saved_by = cur->updated_by, *saved_reason = cur->change_reason;
    int old_lifecycle = lifecycle_of(cur);
    cur->has_lifecycle = 1;
    cur->lifecycle = ISMO__V1__LIFECYCLE__LIFECYCLE_RETIRED;
    cur->version++;
    cur->has_retired = 1;
    cur->retired = 1;
    cur->has_updated_ms = 1;
    cur->updated_ms = w->now_ms;
    cur->updated_by = req->actor && *req->actor ? req->actor : (char *)"unknown";
    cur->change_reason = req->reason && *req->reason ? req->reason : (char *)"retired";
    err = ismo_store_objective_put(w->txn, cur);
    if (err == ISMO_OK) {
        err = ismo_audit_objective(w, cur, "objective.retire");
    }
    if (err == ISMO_OK) {
        err = emit_objective_changed(w, cur, "retired", old_lifecycle);
    }
    rr->version = cur->version;
    cur->updated_by = saved_by;
    cur->change_reason = saved_reason;
    ismo__v1__objective__free_unpacked(cur, NULL);
    return err;
}

/* ---- samples ---- */

typedef struct obj_cache {
    char id[ISMO_MAX_ID_BYTES + 1];
    int exists;
    int retired;
    int allowed; /* the peer may push for this objective's function */
    int has_metric;
    Ismo__V1__Metric metric; /* value kind and aggregation only (ismo_sample_fits_metric) */
} obj_cache;

static ismo_err h_push_samples(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__PushSamplesRequest *p = req->push_samples;
    char why[300];
    if (p->n_samples == 0) {
        fail(reply, ISMO_ERR_INVALID, "batch holds no samples");
        return ISMO_ERR_INVALID;
    }
    if (p->n_samples > (size_t)w->cfg->max_batch) {
        snprintf(why, sizeof why, "batch of %zu samples exceeds the maximum of %lld", p->n_samples,
                 (long long)w->cfg->max_batch);
        fail(reply, ISMO_ERR_TOO_LARGE, why);
        return ISMO_ERR_TOO_LARGE;
    }
    Ismo__V1__PushSamplesReply *pr = malloc(sizeof *pr);
    Ismo__V1__SampleRejection **rej = calloc(p->n_samples, sizeof *rej);
    if (!pr || !rej) {
        free(pr);
        free(rej);
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__push_samples_reply__init(pr);
    reply->body_case = ISMO__V1__REPLY__BODY_PUSH_SAMPLES;
    reply->push_samples = pr;
    pr->rejected = rej;
    obj_cache cache = {"", 0, 0, 0, 0, ISMO__V1__METRIC__INIT};
    size_t denied = 0;
    ismo_err err = ISMO_OK;
    uint32_t accepted = 0, dups = 0;
    /* the incremental aggregate of the objective being filled (one get and
     * one put per run of samples of the same objective) */
    ismo_store_agg agg;
    char agg_id[ISMO_MAX_ID_BYTES + 1] = "";
    int agg_dirty = 0;
    ismo_audit_batch audit_batch; /* digest of what is stored, for the audit trail */
    ismo_audit_batch_init(&audit_batch);
    for (size_t i = 0; i < p->n_samples && err == ISMO_OK; i++) {
        Ismo__V1__Sample *s = p->samples[i];
        ismo_err verr = ismo_sample_validate(s, why, sizeof why);
        if (verr == ISMO_OK && strcmp(cache.id, s->objective_id) != 0) {
            Ismo__V1__Objective *o = NULL;
            ismo_err gerr = ismo_store_objective_get(w->txn, s->objective_id, 0, &o);
            if (gerr != ISMO_OK && gerr != ISMO_ERR_NOT_FOUND) {
                err = gerr;
                break;
            }
            snprintf(cache.id, sizeof cache.id, "%s", s->objective_id);
            cache.exists = o != NULL;
            cache.retired = o && o->retired;
            cache.allowed = o && may_function(w, o->function);
            cache.has_metric = o && o->metric;
            if (cache.has_metric) {
                Ismo__V1__Metric m0 = ISMO__V1__METRIC__INIT;
                cache.metric = m0;
                cache.metric.has_value_kind = o->metric->has_value_kind;
                cache.metric.value_kind = o->metric->value_kind;
                cache.metric.has_aggregation = o->metric->has_aggregation;
                cache.metric.aggregation = o->metric->aggregation;
            }
            if (o) {
                ismo__v1__objective__free_unpacked(o, NULL);
            }
        }
        if (verr == ISMO_OK && s->has_effective_ms &&
            s->effective_ms > w->now_ms + ISMO_MAX_CLOCK_SKEW_MS) {
            verr = ISMO_ERR_INVALID;
            snprintf(why, sizeof why,
                     "effective time is in the future (more than %lld ms ahead of the server clock)",
                     (long long)ISMO_MAX_CLOCK_SKEW_MS);
        }
        if (verr == ISMO_OK && !cache.exists) {
            verr = ISMO_ERR_NOT_FOUND;
            snprintf(why, sizeof why, "unknown objective '%.80s'", s->objective_id);
        } else if (verr == ISMO_OK && !cache.allowed) {
            verr = ISMO_ERR_PERMISSION;
            denied++;
            snprintf(why, sizeof why, "objective '%.80s' belongs to a function %s may not push for",
                     s->objective_id, w->peer ? w->peer->name : "?");
        } else if (verr == ISMO_OK && cache.retired) {
            verr = ISMO_ERR_CONFLICT;
            snprintf(why, sizeof why, "objective '%.80s' is retired", s->objective_id);
        } else if (verr == ISMO_OK && cache.has_metric) {
            verr = ismo_sample_fits_metric(s, &cache.metric, why, sizeof why);
        }
        if (verr != ISMO_OK) {
            Ismo__V1__SampleRejection *r = malloc(sizeof *r);
            if (!r) {
                err = ISMO_ERR_NOMEM;
                break;
            }
            ismo__v1__sample_rejection__init(r);
            r->has_index = 1;
            r->index = (uint32_t)i;
            r->has_code = 1;
            r->code = (Ismo__V1__StatusCode)ismo_err_to_status(verr);
            r->message = strdup(why);
            rej[pr->n_rejected++] = r;
            continue;
        }
        int seen = 0;
        err = ismo_store_sample_seen(w->txn, s->sample_id, &seen);
        if (err != ISMO_OK) {
            break;
        }
        if (seen) {
            dups++;
            continue;
        }
        Ismo__V1__Sample copy = *s;
        copy.has_effective_ms = 1;
        copy.effective_ms = s->has_effective_ms && s->effective_ms ? s->effective_ms : w->now_ms;
        copy.has_received_ms = 1;
        copy.received_ms = w->now_ms;
        err = ismo_store_sample_put(w->txn, &copy);
        if (err == ISMO_OK) {
            ismo_audit_batch_add(&audit_batch, &copy);
        }
        if (err == ISMO_OK && strcmp(agg_id, s->objective_id) != 0) {
            if (agg_dirty) {
                err = ismo_store_agg_put(w->txn, agg_id, &agg);
            }
            if (err == ISMO_OK) {
                snprintf(agg_id, sizeof agg_id, "%s", s->objective_id);
                err = ismo_store_agg_get(w->txn, agg_id, &agg);
            }
            agg_dirty = 0;
        }
        if (err == ISMO_OK) {
            if (agg.count == 0 || copy.value < agg.min) {
                agg.min = copy.value;
            }
            if (agg.count == 0 || copy.value > agg.max) {
                agg.max = copy.value;
            }
            if (agg.count == 0 || copy.effective_ms < agg.first_ms) {
                agg.first_ms = copy.effective_ms;
            }
            if (agg.count == 0 || copy.effective_ms >= agg.last_ms) {
                agg.last_ms = copy.effective_ms;
                agg.last = copy.value;
            }
            agg.count++;
            agg.sum += copy.value;
            agg_dirty = 1;
            err = ismo_work_touch(w, s->objective_id);
            accepted++;
        }
    }
    if (err == ISMO_OK && agg_dirty) {
        err = ismo_store_agg_put(w->txn, agg_id, &agg);
    }
    if (err == ISMO_OK) {
        err = ismo_audit_batch_record(w, req, &audit_batch, dups, (uint32_t)pr->n_rejected);
    }
    pr->has_accepted = 1;
    pr->accepted = accepted;
    pr->has_duplicates = 1;
    pr->duplicates = dups;
    if (err != ISMO_OK) {
        return err;
    }
    if (denied == p->n_samples) { /* nothing this peer may push: the whole request is refused */
        return deny(w, req, reply, "%s", rej[0]->message ? rej[0]->message : "not your function");
    }
    if (denied > 0) {
        ISMO_WARN("dispatch", "refused %zu of %zu samples from %s: not its function", denied, p->n_samples,
                  w->peer ? w->peer->name : "?");
    }
    if (pr->n_rejected > 0) {
        snprintf(why, sizeof why, "%zu of %zu samples rejected; first: %s", pr->n_rejected,
                 p->n_samples, rej[0]->message ? rej[0]->message : "?");
        fail(reply, ISMO_ERR_PARTIAL, why);
        ISMO_WARN("dispatch", "push from %s: %s", req->actor ? req->actor : "?", why);
    }
    return ISMO_OK;
}

typedef struct samples_ctx {
    msg_vec v;
    uint32_t skip;
} samples_ctx;

static int samples_cb(void *ctx, const Ismo__V1__Sample *s)
{
    samples_ctx *c = ctx;
    if (c->skip > 0) {
        c->skip--;
        return 0;
    }
    return msg_vec_add_copy(&c->v, &s->base);
}

static ismo_err h_list_samples(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__ListSamplesRequest *l = req->list_samples;
    if (!l->objective_id || !*l->objective_id) {
        fail(reply, ISMO_ERR_INVALID, "objective_id missing");
        return ISMO_ERR_INVALID;
    }
    ismo_err err = readable_objective(w, req, reply, l->objective_id);
    if (err != ISMO_OK) {
        return err;
    }
    size_t max = (size_t)w->cfg->max_list;
    samples_ctx c = {{NULL, 0, 0, l->has_limit && l->limit && l->limit < max ? l->limit : max, 0, ISMO_OK},
                     l->has_skip ? l->skip : 0};
    Ismo__V1__ListSamplesReply *r = malloc(sizeof *r);
    if (!r) {
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__list_samples_reply__init(r);
    reply->body_case = ISMO__V1__REPLY__BODY_LIST_SAMPLES;
    reply->list_samples = r;
    err = ismo_store_samples_scan(w->txn, l->objective_id, l->has_since_ms ? l->since_ms : INT64_MIN / 2,
                                  INT64_MAX / 2, samples_cb, &c);
    r->samples = (Ismo__V1__Sample **)c.v.items;
    r->n_samples = c.v.n;
    r->has_more = 1;
    r->more = c.v.more;
    return err != ISMO_OK ? err : c.v.err;
}

/* ---- status ---- */

/* The objective tree's roll-up (docs/evaluation.md "Objective tree"):
 * rollup_health = the worst of the objective's own health and every
 * non-retired descendant's, where a parent without a metric of its own
 * (not_measurable, or no target) contributes only its children's roll-up.
 * Now: own health = the stored Status. As of an instant (as_of_ms != 0):
 * each node is the version in force then, evaluated at that instant, and a
 * child counts when that version names the parent (the tree walked is the
 * current children index; a child moved away since is not seen). A peer
 * limited to functions (an agent) gets the roll-up of the descendants it may
 * read only. */
typedef struct tree_ctx {
    ismo_work *w;
    int64_t as_of_ms;          /* 0 = now */
    size_t budget;             /* nodes still allowed in this request */
    ismo_err err;
} tree_ctx;

/* Most objectives visited by the roll-ups of one request. */
#define ROLLUP_BUDGET ((size_t)1000000)

typedef struct id_list {
    char (*ids)[ISMO_MAX_ID_BYTES + 1];
    size_t n, cap;
    ismo_err err;
} id_list;

static int id_list_add(void *ctx, const char *id)
{
    id_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        void *p = realloc(l->ids, cap * sizeof *l->ids);
        if (!p) {
            l->err = ISMO_ERR_NOMEM;
            return 1;
        }
        l->ids = p;
        l->cap = cap;
    }
    snprintf(l->ids[l->n++], ISMO_MAX_ID_BYTES + 1, "%s", id);
    return 0;
}

static ismo_err own_health(tree_ctx *t, const Ismo__V1__Objective *o, int *health);

/* *rollup = worst health in o's subtree (o's own is own_h); *children =
 * non-retired direct children. */
static ismo_err rollup_of(tree_ctx *t, const Ismo__V1__Objective *o, int own_h, int depth, int *rollup,
                          uint32_t *children)
{
    int worst = ISMO__V1__HEALTH__HEALTH_UNSPECIFIED;
    uint32_t live = 0;
    id_list kids = {NULL, 0, 0, ISMO_OK};
    ismo_err err = depth < MAX_TREE_DEPTH ? ismo_store_children(t->w->txn, o->id, id_list_add, &kids) : ISMO_OK;
    if (err == ISMO_OK) {
        err = kids.err;
    }
    for (size_t i = 0; i < kids.n && err == ISMO_OK && t->budget > 0; i++) {
        Ismo__V1__Objective *c = NULL;
        err = t->as_of_ms ? ismo_store_objective_get_as_of(t->w->txn, kids.ids[i], t->as_of_ms, &c)
                          : ismo_store_objective_get(t->w->txn, kids.ids[i], 0, &c);
        if (err == ISMO_ERR_NOT_FOUND) {
            err = ISMO_OK;
            continue;
        }
        if (err != ISMO_OK) {
            break;
        }
        t->budget--;
        /* a peer limited to functions sees only the part of the tree it may read */
        if (!c->retired && c->parent_id && strcmp(c->parent_id, o->id) == 0 && may_function(t->w, c->function)) {
            int ch = 0, cr = 0;
            uint32_t grandchildren = 0;
            live++;
            err = own_health(t, c, &ch);
            if (err == ISMO_OK) {
                err = rollup_of(t, c, ch, depth + 1, &cr, &grandchildren);
            }
            worst = worse(worst, cr);
        }
        ismo__v1__objective__free_unpacked(c, NULL);
    }
    free(kids.ids);
    if (live == 0 || has_own_metric(o)) {
        worst = worse(worst, own_h);
    }
    *rollup = worst;
    *children = live;
    return err;
}

/* The objective deadline or the earliest open action's due time (as the
 * monitor reports Status.next_deadline_ms), UTC ms; 0 = none. */
static int64_t next_deadline_of(const Ismo__V1__Objective *o)
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

/* A Status (heap; free with ismo__v1__status__free_unpacked) from an
 * assessment of o at at_ms. as_of: mark it reconstructed. */
static Ismo__V1__Status *status_from(const Ismo__V1__Objective *o, const ismo_assessment *a, int64_t at_ms,
                                     int as_of)
{
    Ismo__V1__Status *st = malloc(sizeof *st);
    if (!st) {
        return NULL;
    }
    ismo__v1__status__init(st);
    st->objective_id = strdup(o->id);
    st->explanation = strdup(a->eval.explanation);
    st->period_label = a->eval.period_label[0] ? strdup(a->eval.period_label) : NULL;
    if (!st->objective_id || !st->explanation || (a->eval.period_label[0] && !st->period_label)) {
        ismo__v1__status__free_unpacked(st, NULL);
        return NULL;
    }
    st->has_health = 1;
    st->health = (Ismo__V1__Health)a->eval.health;
    st->has_value = a->eval.has_value;
    st->value = a->eval.value;
    st->has_progress = a->eval.has_value;
    st->progress = a->eval.progress;
    st->has_expected_progress = 1;
    st->expected_progress = a->eval.expected;
    st->has_evaluated_ms = 1;
    st->evaluated_ms = at_ms;
    st->has_last_sample_ms = 1;
    st->last_sample_ms = a->last_sample_ms;
    st->has_window_samples = 1;
    st->window_samples = a->window_samples;
    st->has_total_samples = 1;
    st->total_samples = a->total_samples;
    st->has_next_deadline_ms = 1;
    st->next_deadline_ms = next_deadline_of(o);
    st->has_periods_missed = 1;
    st->periods_missed = a->eval.periods_missed;
    st->has_objective_version = 1;
    st->objective_version = o->version;
    if (as_of) {
        st->has_as_of_ms = 1;
        st->as_of_ms = at_ms;
    }
    return st;
}

/* The health o held at at_ms, for hysteresis, when that is cheap to know:
 * the stored health if it has not changed since (Status.changed_ms <=
 * at_ms); else HEALTH_UNSPECIFIED (docs/evaluation.md "As of"). */
static ismo_err health_held_at(ismo_work *w, const char *id, int64_t at_ms, int *health)
{
    *health = ISMO__V1__HEALTH__HEALTH_UNSPECIFIED;
    Ismo__V1__Status *st = NULL;
    ismo_err err = ismo_store_status_get(w->txn, id, &st);
    if (err == ISMO_ERR_NOT_FOUND) {
        return ISMO_OK;
    }
    if (err != ISMO_OK) {
        return err;
    }
    if (st->has_health && st->has_changed_ms && st->changed_ms > 0 && st->changed_ms <= at_ms) {
        *health = (int)st->health;
    }
    ismo__v1__status__free_unpacked(st, NULL);
    return ISMO_OK;
}

/* o (the version in force then) as of at_ms: evaluated at that instant on
 * the samples received by then, with the health held then as hysteresis
 * state when health_held_at knows it. */
static ismo_err status_as_of(ismo_work *w, const Ismo__V1__Objective *o, int64_t at_ms, Ismo__V1__Status **st_p)
{
    *st_p = NULL;
    ismo_assess_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.now_ms = at_ms;
    opts.received_by_ms = at_ms;
    opts.margin = w->cfg->at_risk_margin;
    opts.hysteresis = w->cfg->hysteresis;
    ismo_err err = health_held_at(w, o->id, at_ms, &opts.prev_health);
    if (err != ISMO_OK) {
        return err;
    }
    ismo_assessment a;
    err = ismo_assess(w->txn, o, &opts, &a);
    if (err != ISMO_OK) {
        return err;
    }
    *st_p = status_from(o, &a, at_ms, 1);
    ismo_assessment_free(&a);
    return *st_p ? ISMO_OK : ISMO_ERR_NOMEM;
}

static ismo_err status_now(tree_ctx *t, const Ismo__V1__Objective *o, Ismo__V1__Status **st_p);

static ismo_err own_health(tree_ctx *t, const Ismo__V1__Objective *o, int *health)
{
    Ismo__V1__Status *st = NULL;
    ismo_err err = t->as_of_ms ? status_now(t, o, &st) : ismo_store_status_get(t->w->txn, o->id, &st);
    *health = ISMO__V1__HEALTH__NO_DATA; /* not evaluated yet */
    if (err == ISMO_ERR_NOT_FOUND) {
        return ISMO_OK;
    }
    if (err == ISMO_OK && st->has_health) {
        *health = (int)st->health;
    }
    if (st) {
        ismo__v1__status__free_unpacked(st, NULL);
    }
    return err;
}

/* o's Status now (stored), or as of t->as_of_ms (reconstructed). NOT_FOUND
 * when o was never evaluated. The caller frees *st_p. */
static ismo_err status_now(tree_ctx *t, const Ismo__V1__Objective *o, Ismo__V1__Status **st_p)
{
    if (t->as_of_ms) {
        return status_as_of(t->w, o, t->as_of_ms, st_p);
    }
    ismo_err err = ismo_store_status_get(t->w->txn, o->id, st_p);
    if (err == ISMO_OK) {
        /* health is re-evaluated whenever it can change (due-time index); the
         * expected progress moves with the clock, so it is computed for now */
        (*st_p)->has_expected_progress = 1;
        (*st_p)->expected_progress = ismo_expected_judged(o, t->w->now_ms);
    }
    return err;
}

typedef struct status_ctx {
    ismo_work *w;
    const char *function;
    int include_retired;
    int64_t as_of_ms;
    msg_vec v;
    size_t budget;
    ismo_err err;
} status_ctx;

static int status_push(status_ctx *c, const Ismo__V1__Objective *o)
{
    if (msg_vec_full(&c->v)) {
        return 1;
    }
    tree_ctx t = {c->w, c->as_of_ms, c->budget, ISMO_OK};
    Ismo__V1__Status *st = NULL;
    ismo_err err = status_now(&t, o, &st);
    if (err == ISMO_ERR_NOT_FOUND) {
        return 0;
    }
    if (err != ISMO_OK) {
        c->err = err;
        return 1;
    }
    int rollup = 0;
    uint32_t children = 0;
    err = rollup_of(&t, o, st->has_health ? (int)st->health : ISMO__V1__HEALTH__NO_DATA, 0, &rollup, &children);
    c->budget = t.budget;
    if (err != ISMO_OK) {
        ismo__v1__status__free_unpacked(st, NULL);
        c->err = err;
        return 1;
    }
    st->has_lifecycle = 1;
    st->lifecycle = (Ismo__V1__Lifecycle)lifecycle_of(o);
    st->has_children = 1;
    st->children = children;
    st->has_rollup_health = 1;
    st->rollup_health = (Ismo__V1__Health)rollup;
    if (!st->has_objective_version) {
        st->has_objective_version = 1;
        st->objective_version = o->version;
    }
    return msg_vec_take(&c->v, &st->base);
}

/* The version of o to report: o itself now; as of an instant the version in
 * force then (*mine = 1: the caller frees it), NULL when it did not exist. */
static ismo_err version_for(status_ctx *c, const Ismo__V1__Objective *o, const Ismo__V1__Objective **v,
                            Ismo__V1__Objective **mine)
{
    *mine = NULL;
    *v = o;
    if (!c->as_of_ms) {
        return ISMO_OK;
    }
    if (o->has_updated_ms && o->updated_ms <= c->as_of_ms) {
        return ISMO_OK;
    }
    *v = NULL;
    ismo_err err = ismo_store_objective_get_as_of(c->w->txn, o->id, c->as_of_ms, mine);
    if (err == ISMO_OK) {
        *v = *mine;
    }
    return err == ISMO_ERR_NOT_FOUND ? ISMO_OK : err;
}

static int status_cb(void *ctx, const Ismo__V1__Objective *cur)
{
    status_ctx *c = ctx;
    const Ismo__V1__Objective *o = NULL;
    Ismo__V1__Objective *mine = NULL;
    ismo_err err = version_for(c, cur, &o, &mine);
    if (err != ISMO_OK) {
        c->err = err;
        return 1;
    }
    int stop = 0;
    if (o && !((o->retired && !c->include_retired) ||
               (c->function && *c->function && strcmp(c->function, o->function ? o->function : "") != 0) ||
               !may_function(c->w, o->function))) {
        stop = status_push(c, o);
    }
    if (mine) {
        ismo__v1__objective__free_unpacked(mine, NULL);
    }
    return stop;
}

static ismo_err h_get_status(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__GetStatusRequest *g = req->get_status;
    int64_t as_of = g->has_as_of_ms ? g->as_of_ms : 0;
    status_ctx c = {w, g->function, g->include_retired, as_of, {NULL, 0, 0, (size_t)w->cfg->max_list, 0, ISMO_OK},
                    ROLLUP_BUDGET, ISMO_OK};
    ismo_err err = ISMO_OK;
    char why[200];
    if (g->n_ids > (size_t)w->cfg->max_list) {
        fail(reply, ISMO_ERR_TOO_LARGE, "too many ids (more than max_list)");
        return ISMO_ERR_TOO_LARGE;
    }
    if (as_of_check(w, as_of, reply) != ISMO_OK) {
        return ISMO_ERR_INVALID;
    }
    if (g->n_ids == 0) {
        err = ismo_store_objective_foreach_after(w->txn, g->after_id, status_cb, &c);
    }
    for (size_t i = 0; i < g->n_ids && err == ISMO_OK && c.err == ISMO_OK && c.v.err == ISMO_OK; i++) {
        Ismo__V1__Objective *o = NULL;
        err = ismo_store_objective_get(w->txn, g->ids[i], 0, &o);
        if (err == ISMO_ERR_NOT_FOUND) {
            snprintf(why, sizeof why, "objective '%.80s' not found", g->ids[i]);
            break;
        }
        if (err == ISMO_OK && as_of) {
            /* the version in force then; created later: left out */
            ismo__v1__objective__free_unpacked(o, NULL);
            o = NULL;
            err = ismo_store_objective_get_as_of(w->txn, g->ids[i], as_of, &o);
            if (err == ISMO_ERR_NOT_FOUND) {
                err = ISMO_OK;
                continue;
            }
        }
        if (err == ISMO_OK && !may_function(w, o->function)) {
            snprintf(why, sizeof why, "objective '%.80s' belongs to another function", g->ids[i]);
            err = ISMO_ERR_PERMISSION;
            ismo__v1__objective__free_unpacked(o, NULL);
            break;
        }
        if (err == ISMO_OK) {
            status_push(&c, o);
            ismo__v1__objective__free_unpacked(o, NULL);
        }
    }
    if (err == ISMO_OK) {
        err = c.err != ISMO_OK ? c.err : c.v.err;
    }
    Ismo__V1__GetStatusReply *r = err == ISMO_OK ? malloc(sizeof *r) : NULL;
    if (!r) {
        msg_vec_free(&c.v);
        if (err == ISMO_ERR_NOT_FOUND) {
            fail(reply, err, why);
        } else if (err == ISMO_ERR_PERMISSION) {
            return deny(w, req, reply, "%s", why);
        }
        return err != ISMO_OK ? err : ISMO_ERR_NOMEM;
    }
    ismo__v1__get_status_reply__init(r);
    r->statuses = (Ismo__V1__Status **)c.v.items;
    r->n_statuses = c.v.n;
    r->has_more = 1;
    r->more = c.v.more;
    reply->body_case = ISMO__V1__REPLY__BODY_GET_STATUS;
    reply->get_status = r;
    return ISMO_OK;
}

/* ---- explain ---- */

static ismo_err h_explain(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__ExplainRequest *x = req->explain;
    char why[200];
    int64_t as_of = x->has_as_of_ms ? x->as_of_ms : 0;
    if (!x->id || !*x->id) {
        fail(reply, ISMO_ERR_INVALID, "id missing");
        return ISMO_ERR_INVALID;
    }
    if (as_of_check(w, as_of, reply) != ISMO_OK) {
        return ISMO_ERR_INVALID;
    }
    Ismo__V1__Objective *o = NULL;
    ismo_err err = as_of ? ismo_store_objective_get_as_of(w->txn, x->id, as_of, &o)
                         : ismo_store_objective_get(w->txn, x->id, 0, &o);
    if (err == ISMO_ERR_NOT_FOUND) {
        if (as_of) {
            snprintf(why, sizeof why, "objective '%.80s' not found as of %lld (UTC ms): unknown, or created later",
                     x->id, (long long)as_of);
        } else {
            snprintf(why, sizeof why, "objective '%.80s' not found", x->id);
        }
        fail(reply, err, why);
        return err;
    }
    if (err != ISMO_OK) {
        return err;
    }
    if (!may_function(w, o->function)) {
        ismo__v1__objective__free_unpacked(o, NULL);
        return deny(w, req, reply, "objective '%.80s' belongs to another function", x->id);
    }
    size_t max = (size_t)w->cfg->max_list;
    size_t limit = x->has_sample_limit && x->sample_limit ? x->sample_limit : 100;
    if (limit > max) {
        limit = max;
    }
    int64_t at = as_of ? as_of : w->now_ms;
    ismo_assess_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.now_ms = at;
    opts.received_by_ms = as_of;
    opts.prev_health = ISMO__V1__HEALTH__HEALTH_UNSPECIFIED;
    opts.margin = w->cfg->at_risk_margin;
    opts.hysteresis = w->cfg->hysteresis;
    opts.keep_samples = limit;
    if (as_of) {
        err = health_held_at(w, o->id, as_of, &opts.prev_health);
        if (err != ISMO_OK) {
            ismo__v1__objective__free_unpacked(o, NULL);
            return err;
        }
    } else {
        /* now: the same hysteresis state the monitor uses */
        Ismo__V1__Status *prev = NULL;
        err = ismo_store_status_get(w->txn, o->id, &prev);
        if (err == ISMO_OK && prev->has_health) {
            opts.prev_health = (int)prev->health;
        }
        if (prev) {
            ismo__v1__status__free_unpacked(prev, NULL);
        }
        if (err != ISMO_OK && err != ISMO_ERR_NOT_FOUND) {
            ismo__v1__objective__free_unpacked(o, NULL);
            return err;
        }
    }
    ismo_assessment a;
    err = ismo_assess(w->txn, o, &opts, &a);
    if (err != ISMO_OK) {
        ismo__v1__objective__free_unpacked(o, NULL);
        return err;
    }
    Ismo__V1__ExplainReply *r = malloc(sizeof *r);
    if (!r) {
        ismo_assessment_free(&a);
        ismo__v1__objective__free_unpacked(o, NULL);
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__explain_reply__init(r);
    reply->body_case = ISMO__V1__REPLY__BODY_EXPLAIN;
    reply->explain = r; /* released with ismo__v1__explain_reply__free_unpacked */
    r->objective = o;
    r->status = status_from(o, &a, at, as_of != 0);
    err = r->status ? ISMO_OK : ISMO_ERR_NOMEM;
    if (err == ISMO_OK) {
        tree_ctx t = {w, as_of, ROLLUP_BUDGET, ISMO_OK};
        int rollup = 0;
        uint32_t children = 0;
        err = rollup_of(&t, o, a.eval.health, 0, &rollup, &children);
        r->status->has_lifecycle = 1;
        r->status->lifecycle = (Ismo__V1__Lifecycle)lifecycle_of(o);
        r->status->has_children = 1;
        r->status->children = children;
        r->status->has_rollup_health = 1;
        r->status->rollup_health = (Ismo__V1__Health)rollup;
    }
    if (err == ISMO_OK && a.eval.n_rules > 0) {
        r->rules = calloc(a.eval.n_rules, sizeof *r->rules);
        err = r->rules ? ISMO_OK : ISMO_ERR_NOMEM;
        for (size_t i = 0; err == ISMO_OK && i < a.eval.n_rules; i++) {
            r->rules[i] = strdup(a.eval.rules[i]);
            err = r->rules[i] ? ISMO_OK : ISMO_ERR_NOMEM;
            r->n_rules = i + 1;
        }
    }
    r->has_window_from_ms = 1;
    r->window_from_ms = a.window_from_ms;
    r->has_window_to_ms = 1;
    r->window_to_ms = a.window_to_ms;
    r->has_window_samples = 1;
    r->window_samples = a.window_samples;
    if (err == ISMO_OK) {
        /* the kept samples move into the reply */
        r->samples = a.samples;
        r->n_samples = a.n_samples;
        a.samples = NULL;
        a.n_samples = 0;
    }
    if (err == ISMO_OK && a.n_periods > 0) {
        r->periods = calloc(a.n_periods, sizeof *r->periods);
        err = r->periods ? ISMO_OK : ISMO_ERR_NOMEM;
        for (size_t i = 0; err == ISMO_OK && i < a.n_periods; i++) {
            const ismo_period_result *pr = &a.periods[i];
            Ismo__V1__PeriodResult *p = malloc(sizeof *p);
            if (!p) {
                err = ISMO_ERR_NOMEM;
                break;
            }
            ismo__v1__period_result__init(p);
            r->periods[i] = p;
            r->n_periods = i + 1;
            p->label = strdup(pr->label);
            if (!p->label) {
                err = ISMO_ERR_NOMEM;
                break;
            }
            p->has_from_ms = p->has_to_ms = p->has_target = p->has_samples = p->has_met = p->has_complete = 1;
            p->from_ms = pr->from_ms;
            p->to_ms = pr->to_ms;
            p->target = pr->target;
            p->has_value = pr->has_value;
            p->value = pr->value;
            p->samples = pr->samples;
            p->met = pr->met;
            p->complete = pr->complete;
        }
    }
    ismo_assessment_free(&a);
    return err;
}

/* ---- events ---- */

typedef struct events_ctx {
    const ismo_work *w;
    const Ismo__V1__ListEventsRequest *q;
    msg_vec v;
} events_ctx;

static int events_cb(void *ctx, const Ismo__V1__Event *e)
{
    events_ctx *c = ctx;
    if (c->q->function && *c->q->function && strcmp(c->q->function, e->function ? e->function : "") != 0) {
        return 0;
    }
    if (c->q->has_kind && c->q->kind != 0 && c->q->kind != e->kind) {
        return 0;
    }
    if (!may_function(c->w, e->function)) {
        return 0; /* events of other functions are not this peer's to read */
    }
    return msg_vec_add_copy(&c->v, &e->base);
}

static ismo_err h_list_events(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__ListEventsRequest *q = req->list_events;
    size_t max = (size_t)w->cfg->max_list;
    events_ctx c = {w, q, {NULL, 0, 0, q->has_limit && q->limit && q->limit < max ? q->limit : max, 0, ISMO_OK}};
    Ismo__V1__ListEventsReply *r = malloc(sizeof *r);
    if (!r) {
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__list_events_reply__init(r);
    reply->body_case = ISMO__V1__REPLY__BODY_LIST_EVENTS;
    reply->list_events = r;
    ismo_err err = ismo_store_events_scan(w->txn, q->has_since_seq ? q->since_seq : 0, events_cb, &c);
    r->events = (Ismo__V1__Event **)c.v.items;
    r->n_events = c.v.n;
    r->has_more = 1;
    r->more = c.v.more;
    r->has_last_seq = 1;
    ismo_store_last_seq(w->txn, &r->last_seq);
    return err != ISMO_OK ? err : c.v.err;
}

/* ---- management reviews (ISO/IEC 27001:2022 9.3) ---- */

static ismo_err h_add_review(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__Review *in = req->add_review->review;
    char why[300];
    if (ismo_review_validate(in, why, sizeof why) != ISMO_OK) {
        fail(reply, ISMO_ERR_INVALID, why);
        return ISMO_ERR_INVALID;
    }
    int64_t reviewed_ms = in->has_reviewed_ms && in->reviewed_ms ? in->reviewed_ms : w->now_ms;
    if (reviewed_ms > w->now_ms + ISMO_MAX_CLOCK_SKEW_MS) {
        snprintf(why, sizeof why, "reviewed_ms is in the future (more than %lld ms ahead of the server clock)",
                 (long long)ISMO_MAX_CLOCK_SKEW_MS);
        fail(reply, ISMO_ERR_INVALID, why);
        return ISMO_ERR_INVALID;
    }
    Ismo__V1__Objective *o = NULL;
    ismo_err err = ismo_store_objective_get(w->txn, in->objective_id, 0, &o);
    if (err == ISMO_ERR_NOT_FOUND) {
        snprintf(why, sizeof why, "objective '%.80s' not found", in->objective_id);
        fail(reply, err, why);
        return err;
    }
    if (err != ISMO_OK) {
        return err;
    }
    if (!may_change(w, o)) {
        ismo__v1__objective__free_unpacked(o, NULL);
        return deny(w, req, reply, "an owner records reviews only of objectives whose owner is '%s' (objective %.80s)",
                    w->peer->name, in->objective_id);
    }
    /* what was reviewed: now, the stored Status of the current version; a
     * backdated review, the version in force then and its health and value
     * as of then (the samples received by then), like an as-of GetStatus */
    Ismo__V1__Status *st = NULL;
    Ismo__V1__Objective *then = NULL;
    if (reviewed_ms < w->now_ms) {
        err = ismo_store_objective_get_as_of(w->txn, o->id, reviewed_ms, &then);
        if (err == ISMO_ERR_NOT_FOUND) {
            char on[40];
            ismo_time_format_ms(reviewed_ms, on, sizeof on);
            snprintf(why, sizeof why,
                     "objective '%.80s' did not exist yet at %s (the review date): a review cannot be dated "
                     "before the objective's first version",
                     o->id, on);
            ismo__v1__objective__free_unpacked(o, NULL);
            fail(reply, ISMO_ERR_INVALID, why);
            return ISMO_ERR_INVALID;
        }
        if (err == ISMO_OK) {
            err = status_as_of(w, then, reviewed_ms, &st);
        }
    } else {
        err = ismo_store_status_get(w->txn, o->id, &st);
    }
    if (err != ISMO_OK && err != ISMO_ERR_NOT_FOUND) {
        if (then) {
            ismo__v1__objective__free_unpacked(then, NULL);
        }
        ismo__v1__objective__free_unpacked(o, NULL);
        return err;
    }
    uint32_t version = then ? then->version : o->version;
    if (then) {
        ismo__v1__objective__free_unpacked(then, NULL);
    }
    Ismo__V1__Review r = *in;
    r.base.n_unknown_fields = 0;
    r.base.unknown_fields = NULL;
    r.objective_id = o->id;
    r.has_reviewed_ms = 1;
    r.reviewed_ms = reviewed_ms;
    r.reviewer = req->actor && *req->actor ? req->actor : (char *)"unknown";
    r.has_objective_version = 1;
    r.objective_version = version;
    r.has_health = st && st->has_health;
    r.health = st ? st->health : ISMO__V1__HEALTH__HEALTH_UNSPECIFIED;
    r.has_value = st && st->has_value;
    r.value = st ? st->value : 0;
    r.has_recorded_ms = 1;
    r.recorded_ms = w->now_ms;
    r.has_seq = 0;
    err = ismo_store_review_add(w->txn, &r);
    if (err == ISMO_OK) {
        Ismo__V1__Event e = ISMO__V1__EVENT__INIT;
        char msg[512];
        snprintf(msg, sizeof msg, "%s reviewed by %s: %s (version %u, %s)%s%.200s", o->id, r.reviewer,
                 ismo_review_decision_name(r.decision), version, ismo_health_name(r.health),
                 r.note && *r.note ? ": " : "", r.note ? r.note : "");
        e.has_kind = 1;
        e.kind = ISMO__V1__EVENT_KIND__REVIEW_RECORDED;
        e.function = o->function;
        e.objective_id = o->id;
        e.title = o->title;
        e.message = msg;
        e.payload_case = ISMO__V1__EVENT__PAYLOAD_REVIEW;
        e.review = &r;
        err = ismo_work_emit(w, &e);
    }
    if (err == ISMO_OK) {
        /* evaluated again before the commit: REVIEW_DUE counts from this review */
        err = ismo_work_touch(w, o->id);
    }
    Ismo__V1__AddReviewReply *ar = err == ISMO_OK ? malloc(sizeof *ar) : NULL;
    if (ar) {
        ismo__v1__add_review_reply__init(ar);
        ar->review = (Ismo__V1__Review *)ismo_codec_copy(&r.base);
        if (!ar->review) {
            free(ar);
            ar = NULL;
        }
    }
    if (st) {
        ismo__v1__status__free_unpacked(st, NULL);
    }
    ismo__v1__objective__free_unpacked(o, NULL);
    if (err != ISMO_OK) {
        return err;
    }
    if (!ar) {
        return ISMO_ERR_NOMEM;
    }
    reply->body_case = ISMO__V1__REPLY__BODY_ADD_REVIEW;
    reply->add_review = ar;
    return ISMO_OK;
}

/* One objective's function, remembered for a run of reviews of that objective. */
typedef struct reviews_ctx {
    ismo_work *w;
    msg_vec v; /* no cap: the reviews are sorted before the reply is cut at max_list */
    char last_id[ISMO_MAX_ID_BYTES + 1];
    int last_allowed;
    ismo_err err;
} reviews_ctx;

static int reviews_cb(void *ctx, const Ismo__V1__Review *r)
{
    reviews_ctx *c = ctx;
    if (strcmp(c->last_id, r->objective_id) != 0) {
        Ismo__V1__Objective *o = NULL;
        ismo_err err = ismo_store_objective_get(c->w->txn, r->objective_id, 0, &o);
        if (err != ISMO_OK && err != ISMO_ERR_NOT_FOUND) {
            c->err = err;
            return 1;
        }
        snprintf(c->last_id, sizeof c->last_id, "%s", r->objective_id);
        c->last_allowed = o && may_function(c->w, o->function);
        if (o) {
            ismo__v1__objective__free_unpacked(o, NULL);
        }
    }
    if (!c->last_allowed) {
        return 0;
    }
    return msg_vec_add_copy(&c->v, &r->base);
}

static int review_order(const void *a, const void *b)
{
    const Ismo__V1__Review *x = *(const Ismo__V1__Review *const *)a, *y = *(const Ismo__V1__Review *const *)b;
    if (x->reviewed_ms != y->reviewed_ms) {
        return x->reviewed_ms < y->reviewed_ms ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static ismo_err h_list_reviews(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__ListReviewsRequest *l = req->list_reviews;
    const char *id = l->objective_id && *l->objective_id ? l->objective_id : NULL;
    if (id) {
        ismo_err err = readable_objective(w, req, reply, id);
        if (err != ISMO_OK) {
            return err;
        }
    }
    int64_t since = l->has_since_ms && l->since_ms ? l->since_ms : INT64_MIN;
    int64_t until = l->has_until_ms && l->until_ms ? l->until_ms : INT64_MAX;
    reviews_ctx c = {w, {NULL, 0, 0, SIZE_MAX, 0, ISMO_OK}, "", 0, ISMO_OK};
    ismo_err err = ismo_store_reviews_scan(w->txn, id, since, until, reviews_cb, &c);
    if (err == ISMO_OK) {
        err = c.err != ISMO_OK ? c.err : c.v.err;
    }
    Ismo__V1__ListReviewsReply *r = err == ISMO_OK ? malloc(sizeof *r) : NULL;
    if (!r) {
        msg_vec_free(&c.v);
        return err != ISMO_OK ? err : ISMO_ERR_NOMEM;
    }
    Ismo__V1__Review **items = (Ismo__V1__Review **)c.v.items;
    if (c.v.n > 1) {
        qsort(items, c.v.n, sizeof *items, review_order);
    }
    size_t max = (size_t)w->cfg->max_list;
    ismo__v1__list_reviews_reply__init(r);
    r->has_more = 1;
    r->more = c.v.n > max;
    while (c.v.n > max) {
        ismo__v1__review__free_unpacked(items[--c.v.n], NULL);
    }
    r->reviews = items;
    r->n_reviews = c.v.n;
    reply->body_case = ISMO__V1__REPLY__BODY_LIST_REVIEWS;
    reply->list_reviews = r;
    return ISMO_OK;
}

/* ---- context registers: policy commitments (6.2 a) and risks (6.2 c) ---- */

/* A risk rated high, critical or very high (any case, '-' or '_' for ' '). */
static int rating_is_high(const char *rating)
{
    static const char *high[] = {"high", "critical", "very high"};
    char norm[32];
    size_t n = 0;
    if (!rating) {
        return 0;
    }
    while (*rating == ' ') {
        rating++;
    }
    for (; rating[n] && n < sizeof norm - 1; n++) {
        char ch = rating[n];
        norm[n] = (char)(ch == '-' || ch == '_' ? ' ' : (ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch));
    }
    while (n > 0 && norm[n - 1] == ' ') {
        n--;
    }
    norm[n] = 0;
    for (size_t i = 0; i < sizeof high / sizeof high[0]; i++) {
        if (strcmp(norm, high[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static ismo_err h_put_context(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__PutContextRequest *p = req->put_context;
    char why[300];
    size_t max = (size_t)w->cfg->max_list;
    if (p->n_policies > max || p->n_risks > max) {
        snprintf(why, sizeof why, "at most %zu policy commitments and %zu risks per request", max, max);
        fail(reply, ISMO_ERR_TOO_LARGE, why);
        return ISMO_ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < p->n_policies; i++) {
        if (ismo_policy_validate(p->policies[i], why, sizeof why) != ISMO_OK) {
            fail(reply, ISMO_ERR_INVALID, why);
            return ISMO_ERR_INVALID;
        }
    }
    for (size_t i = 0; i < p->n_risks; i++) {
        if (ismo_risk_validate(p->risks[i], why, sizeof why) != ISMO_OK) {
            fail(reply, ISMO_ERR_INVALID, why);
            return ISMO_ERR_INVALID;
        }
    }
    ismo_err err = p->replace ? ismo_store_context_clear(w->txn) : ISMO_OK;
    for (size_t i = 0; i < p->n_policies && err == ISMO_OK; i++) {
        Ismo__V1__PolicyCommitment c = *p->policies[i];
        c.base.n_unknown_fields = 0;
        c.base.unknown_fields = NULL;
        err = ismo_store_policy_put(w->txn, &c);
    }
    for (size_t i = 0; i < p->n_risks && err == ISMO_OK; i++) {
        Ismo__V1__Risk r = *p->risks[i];
        r.base.n_unknown_fields = 0;
        r.base.unknown_fields = NULL;
        if (rating_is_high(r.rating)) {
            r.has_high = 1;
            r.high = 1;
        } else if (!r.has_high) {
            r.has_high = 1;
            r.high = 0;
        }
        err = ismo_store_risk_put(w->txn, &r);
    }
    if (err == ISMO_OK) {
        char detail[ISMO_AUDIT_MAX_DETAIL_BYTES + 1];
        snprintf(detail, sizeof detail, "%zu policy commitments, %zu risks%s", p->n_policies, p->n_risks,
                 p->replace ? " (replacing the registers)" : "");
        err = ismo_audit_work(w, req->actor, "context.put", "", detail);
    }
    if (err != ISMO_OK) {
        return err;
    }
    Ismo__V1__PutContextReply *r = malloc(sizeof *r);
    if (!r) {
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__put_context_reply__init(r);
    r->has_policies = 1;
    r->policies = (uint32_t)p->n_policies;
    r->has_risks = 1;
    r->risks = (uint32_t)p->n_risks;
    reply->body_case = ISMO__V1__REPLY__BODY_PUT_CONTEXT;
    reply->put_context = r;
    return ISMO_OK;
}

static int policy_cb(void *ctx, const Ismo__V1__PolicyCommitment *p) { return msg_vec_add_copy(ctx, &p->base); }
static int risk_cb(void *ctx, const Ismo__V1__Risk *r) { return msg_vec_add_copy(ctx, &r->base); }

static ismo_err h_list_context(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    size_t max = (size_t)w->cfg->max_list;
    msg_vec pc = {NULL, 0, 0, max, 0, ISMO_OK}, rc = {NULL, 0, 0, max, 0, ISMO_OK};
    ismo_err err = ismo_store_policies_scan(w->txn, policy_cb, &pc);
    if (err == ISMO_OK) {
        err = pc.err;
    }
    if (err == ISMO_OK) {
        err = ismo_store_risks_scan(w->txn, risk_cb, &rc);
    }
    if (err == ISMO_OK) {
        err = rc.err;
    }
    Ismo__V1__ListContextReply *r = err == ISMO_OK ? malloc(sizeof *r) : NULL;
    if (!r) {
        msg_vec_free(&pc);
        msg_vec_free(&rc);
        return err != ISMO_OK ? err : ISMO_ERR_NOMEM;
    }
    if (pc.more || rc.more) {
        ISMO_WARN("dispatch", "ListContext cut at max_list (%zu) entries per register", max);
    }
    ismo__v1__list_context_reply__init(r);
    r->policies = (Ismo__V1__PolicyCommitment **)pc.items;
    r->n_policies = pc.n;
    r->risks = (Ismo__V1__Risk **)rc.items;
    r->n_risks = rc.n;
    r->has_more = 1;
    r->more = pc.more || rc.more;
    reply->body_case = ISMO__V1__REPLY__BODY_LIST_CONTEXT;
    reply->list_context = r;
    return ISMO_OK;
}

/* ---- backup ---- */

static ismo_err h_backup(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const char *dir = req->backup->directory;
    char why[600];
    if (!dir || dir[0] != '/' || strlen(dir) > 1024 || !ismo_utf8_is_valid(dir)) {
        fail(reply, ISMO_ERR_INVALID, "backup directory must be an absolute path (on ismod's host)");
        return ISMO_ERR_INVALID;
    }
    /* the copy sees the last commit: what this step wrote so far is not in it */
    ismo_txn_t *rt = NULL;
    uint64_t last_seq = 0;
    ismo_err err = ismo_txn_begin(w->store, 0, &rt);
    if (err == ISMO_OK) {
        ismo_store_last_seq(rt, &last_seq);
        ismo_txn_abort(&rt);
    }
    int64_t t0 = ismo_mono_ms();
    uint64_t bytes = 0;
    err = ismo_store_backup(w->store, dir, &bytes, why, sizeof why);
    if (err != ISMO_OK) {
        ISMO_ERROR("dispatch", "%s", why);
        fail(reply, err, why);
        return err;
    }
    char audit_detail[ISMO_AUDIT_MAX_DETAIL_BYTES + 1];
    snprintf(audit_detail, sizeof audit_detail, "to %s: %llu bytes, events up to seq %llu", dir,
             (unsigned long long)bytes, (unsigned long long)last_seq);
    err = ismo_audit_work(w, req->actor, "backup", "", audit_detail);
    if (err != ISMO_OK) {
        return err;
    }
    Ismo__V1__BackupReply *b = malloc(sizeof *b);
    if (!b) {
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__backup_reply__init(b);
    b->has_bytes = 1;
    b->bytes = bytes;
    b->has_last_seq = 1;
    b->last_seq = last_seq;
    b->has_duration_ms = 1;
    b->duration_ms = ismo_mono_ms() - t0;
    reply->body_case = ISMO__V1__REPLY__BODY_BACKUP;
    reply->backup = b;
    ISMO_INFO("dispatch", "backup by %s to %s: %llu bytes, last seq %llu, %lld ms",
              req->actor ? req->actor : "?", dir, (unsigned long long)bytes,
              (unsigned long long)last_seq, (long long)b->duration_ms);
    return ISMO_OK;
}

/* ---- the table ---- */

typedef struct route {
    int body_case;
    handler_fn handler;
    int writes;
    const char *name;
    unsigned roles; /* ismo_role bits allowed to make this request at all (handlers narrow further) */
} route;

#define AGENT ISMO_ROLE_AGENT
#define OWNER ISMO_ROLE_OWNER
#define AUDITOR ISMO_ROLE_AUDITOR
#define ADMIN ISMO_ROLE_ADMIN
#define ANY (AGENT | OWNER | AUDITOR | ADMIN)

/* roles: agent reads only its functions (filtered or refused in the handler),
 * pushes only for them; owner changes only what it owns (handler). */
static const route routes[] = {
    {ISMO__V1__REQUEST__BODY_PING, h_ping, 0, "Ping", ANY},
    {ISMO__V1__REQUEST__BODY_PUT_OBJECTIVE, h_put_objective, 1, "PutObjective", OWNER | ADMIN},
    {ISMO__V1__REQUEST__BODY_GET_OBJECTIVE, h_get_objective, 0, "GetObjective", ANY},
    {ISMO__V1__REQUEST__BODY_LIST_OBJECTIVES, h_list_objectives, 0, "ListObjectives", ANY},
    {ISMO__V1__REQUEST__BODY_RETIRE_OBJECTIVE, h_retire_objective, 1, "RetireObjective", OWNER | ADMIN},
    {ISMO__V1__REQUEST__BODY_PUSH_SAMPLES, h_push_samples, 1, "PushSamples", AGENT | ADMIN},
    {ISMO__V1__REQUEST__BODY_GET_STATUS, h_get_status, 0, "GetStatus", ANY},
    {ISMO__V1__REQUEST__BODY_LIST_EVENTS, h_list_events, 0, "ListEvents", ANY},
    {ISMO__V1__REQUEST__BODY_LIST_SAMPLES, h_list_samples, 0, "ListSamples", ANY},
    {ISMO__V1__REQUEST__BODY_BACKUP, h_backup, 0, "Backup", ADMIN},
    {ISMO__V1__REQUEST__BODY_AUDIT_VERIFY, ismo_audit_handle_verify, 0, "AuditVerify", AUDITOR | ADMIN}, /* audit.c */
    {ISMO__V1__REQUEST__BODY_AUDIT_EXPORT, ismo_audit_handle_export, 0, "AuditExport", AUDITOR | ADMIN}, /* audit.c */
    {ISMO__V1__REQUEST__BODY_ADD_REVIEW, h_add_review, 1, "AddReview", OWNER | ADMIN},
    {ISMO__V1__REQUEST__BODY_LIST_REVIEWS, h_list_reviews, 0, "ListReviews", ANY},
    {ISMO__V1__REQUEST__BODY_EXPLAIN, h_explain, 0, "Explain", ANY},
    {ISMO__V1__REQUEST__BODY_PUT_CONTEXT, h_put_context, 1, "PutContext", ADMIN},
    {ISMO__V1__REQUEST__BODY_LIST_CONTEXT, h_list_context, 0, "ListContext", ANY},
    {ISMO__V1__REQUEST__BODY_ACK, ismo_ack_handle, 1, "Ack", OWNER | ADMIN}, /* ack.c */
};

static const route *find_route(int body_case)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (routes[i].body_case == body_case) {
            return &routes[i];
        }
    }
    return NULL;
}

int ismo_dispatch_writes(const Ismo__V1__Request *req)
{
    const route *r = find_route(req->body_case);
    return r ? r->writes : 0;
}

ismo_err ismo_dispatch(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    reply->has_request_id = 1;
    reply->request_id = req->request_id;
    reply->has_code = 1;
    reply->code = ISMO__V1__STATUS_CODE__OK;
    const route *r = find_route(req->body_case);
    if (!r) {
        fail(reply, ISMO_ERR_BAD_REQUEST, "unknown request type");
        return ISMO_ERR_BAD_REQUEST;
    }
    if (w->peer && !w->peer_known) {
        return deny(w, req, reply, "certificate of '%s' revoked", w->peer->name);
    }
    if (w->peer && !(r->roles & (unsigned)w->peer->role)) {
        return deny(w, req, reply, "role %s may not make %s requests", ismo_role_name(w->peer->role), r->name);
    }
    if (r->writes && w->writes_refused) {
        fail(reply, ISMO_ERR_FULL,
             "storage full (LMDB map at its maximum or disk full); nothing was written; reads still work");
        return ISMO_ERR_FULL;
    }
    ismo_err err = r->handler(w, req, reply);
    if (err == ISMO_ERR_FULL) {
        return err;
    }
    if (err != ISMO_OK && reply->code == ISMO__V1__STATUS_CODE__OK) {
        /* a store or memory fault the handler did not describe */
        ISMO_ERROR("dispatch", "%s failed: %s", r->name, ismo_strerror(err));
        fail(reply, err, ismo_strerror(err));
    }
    return err;
}

void ismo_dispatch_release(Ismo__V1__Reply *reply)
{
    /* The bodies hold heap copies: free each the way it was built. */
    switch (reply->body_case) {
    case ISMO__V1__REPLY__BODY_PING:
        free(reply->ping->server_version);
        free(reply->ping);
        break;
    case ISMO__V1__REPLY__BODY_PUT_OBJECTIVE: free(reply->put_objective); break;
    case ISMO__V1__REPLY__BODY_BACKUP: free(reply->backup); break;
    case ISMO__V1__REPLY__BODY_AUDIT_VERIFY:
    case ISMO__V1__REPLY__BODY_AUDIT_EXPORT: ismo_audit_release_reply(reply); break;
    case ISMO__V1__REPLY__BODY_RETIRE_OBJECTIVE: free(reply->retire_objective); break;
    case ISMO__V1__REPLY__BODY_GET_OBJECTIVE:
        if (reply->get_objective->objective) {
            ismo__v1__objective__free_unpacked(reply->get_objective->objective, NULL);
        }
        free(reply->get_objective);
        break;
    case ISMO__V1__REPLY__BODY_LIST_OBJECTIVES:
        for (size_t i = 0; i < reply->list_objectives->n_objectives; i++) {
            ismo__v1__objective__free_unpacked(reply->list_objectives->objectives[i], NULL);
        }
        free(reply->list_objectives->objectives);
        free(reply->list_objectives);
        break;
    case ISMO__V1__REPLY__BODY_PUSH_SAMPLES:
        for (size_t i = 0; i < reply->push_samples->n_rejected; i++) {
            free(reply->push_samples->rejected[i]->message);
            free(reply->push_samples->rejected[i]);
        }
        free(reply->push_samples->rejected);
        free(reply->push_samples);
        break;
    case ISMO__V1__REPLY__BODY_GET_STATUS:
        for (size_t i = 0; i < reply->get_status->n_statuses; i++) {
            ismo__v1__status__free_unpacked(reply->get_status->statuses[i], NULL);
        }
        free(reply->get_status->statuses);
        free(reply->get_status);
        break;
    case ISMO__V1__REPLY__BODY_LIST_EVENTS:
        for (size_t i = 0; i < reply->list_events->n_events; i++) {
            ismo__v1__event__free_unpacked(reply->list_events->events[i], NULL);
        }
        free(reply->list_events->events);
        free(reply->list_events);
        break;
    case ISMO__V1__REPLY__BODY_ADD_REVIEW:
        if (reply->add_review->review) {
            ismo__v1__review__free_unpacked(reply->add_review->review, NULL);
        }
        free(reply->add_review);
        break;
    case ISMO__V1__REPLY__BODY_LIST_REVIEWS:
        for (size_t i = 0; i < reply->list_reviews->n_reviews; i++) {
            ismo__v1__review__free_unpacked(reply->list_reviews->reviews[i], NULL);
        }
        free(reply->list_reviews->reviews);
        free(reply->list_reviews);
        break;
    case ISMO__V1__REPLY__BODY_PUT_CONTEXT: free(reply->put_context); break;
    case ISMO__V1__REPLY__BODY_EXPLAIN: ismo__v1__explain_reply__free_unpacked(reply->explain, NULL); break;
    case ISMO__V1__REPLY__BODY_LIST_CONTEXT:
        for (size_t i = 0; i < reply->list_context->n_policies; i++) {
            ismo__v1__policy_commitment__free_unpacked(reply->list_context->policies[i], NULL);
        }
        for (size_t i = 0; i < reply->list_context->n_risks; i++) {
            ismo__v1__risk__free_unpacked(reply->list_context->risks[i], NULL);
        }
        free(reply->list_context->policies);
        free(reply->list_context->risks);
        free(reply->list_context);
        break;
    case ISMO__V1__REPLY__BODY_LIST_SAMPLES:
        for (size_t i = 0; i < reply->list_samples->n_samples; i++) {
            ismo__v1__sample__free_unpacked(reply->list_samples->samples[i], NULL);
        }
        free(reply->list_samples->samples);
        free(reply->list_samples);
        break;
    default: break;
    }
    reply->body_case = ISMO__V1__REPLY__BODY__NOT_SET;
    free(reply->message);
    reply->message = NULL;
}
