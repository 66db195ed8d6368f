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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "evaluator.h"
#include "ismo_log.h"
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

static ismo_err emit_objective_changed(ismo_work *w, const Ismo__V1__Objective *o, const char *what)
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

static ismo_err h_put_objective(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    Ismo__V1__Objective *in = req->put_objective->objective;
    char why[300];
    if (ismo_objective_validate(in, why, sizeof why) != ISMO_OK) {
        fail(reply, ISMO_ERR_INVALID, why);
        return ISMO_ERR_INVALID;
    }
    Ismo__V1__Objective *cur = NULL;
    ismo_err err = ismo_store_objective_get(w->txn, in->id, 0, &cur);
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
        err = emit_objective_changed(w, &o, o.version == 1 ? "created" : "updated");
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
    ismo_err err = ismo_store_objective_get(w->txn, g->id, g->has_version ? g->version : 0, &o);
    if (err == ISMO_ERR_NOT_FOUND) {
        if (g->has_version && g->version) {
            snprintf(why, sizeof why, "objective '%.80s' version %u not found", g->id, g->version);
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
    size_t max;
    const char *function;
    int include_retired;
    Ismo__V1__Objective **items;
    size_t n, cap;
    int more;
    ismo_err err;
} list_ctx;

static int list_cb(void *ctx, const Ismo__V1__Objective *o)
{
    list_ctx *l = ctx;
    if ((o->retired && !l->include_retired) ||
        (l->function && *l->function && strcmp(l->function, o->function ? o->function : "") != 0) ||
        !may_function(l->w, o->function)) {
        return 0;
    }
    if (l->n >= l->max) {
        l->more = 1;
        return 1;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        void *p = realloc(l->items, cap * sizeof *l->items);
        if (!p) {
            l->err = ISMO_ERR_NOMEM;
            return 1;
        }
        l->items = p;
        l->cap = cap;
    }
    /* copy: the borrowed objective dies after the callback */
    l->items[l->n] = (void *)ismo_codec_copy(&o->base);
    if (!l->items[l->n]) {
        l->err = ISMO_ERR_NOMEM;
        return 1;
    }
    l->n++;
    return 0;
}

static ismo_err h_list_objectives(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__ListObjectivesRequest *lr = req->list_objectives;
    list_ctx l = {w, (size_t)w->cfg->max_list, lr->function, lr->include_retired, NULL, 0, 0, 0, ISMO_OK};
    ismo_err err = ismo_store_objective_foreach_after(w->txn, lr->after_id, list_cb, &l);
    Ismo__V1__ListObjectivesReply *r = malloc(sizeof *r);
    if (err == ISMO_OK) {
        err = l.err;
    }
    if (err != ISMO_OK || !r) {
        for (size_t i = 0; i < l.n; i++) {
            ismo__v1__objective__free_unpacked(l.items[i], NULL);
        }
        free(l.items);
        free(r);
        return err != ISMO_OK ? err : ISMO_ERR_NOMEM;
    }
    ismo__v1__list_objectives_reply__init(r);
    r->objectives = l.items;
    r->n_objectives = l.n;
    r->has_more = 1;
    r->more = l.more;
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
        err = emit_objective_changed(w, cur, "retired");
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
    obj_cache cache = {"", 0, 0, 0};
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
    Ismo__V1__Sample **items;
    size_t n, limit;
    int more;
    ismo_err err;
    uint32_t skip;
} samples_ctx;

static int samples_cb(void *ctx, const Ismo__V1__Sample *s)
{
    samples_ctx *c = ctx;
    if (c->skip > 0) {
        c->skip--;
        return 0;
    }
    if (c->n >= c->limit) {
        c->more = 1;
        return 1;
    }
    c->items[c->n] = (void *)ismo_codec_copy(&s->base);
    if (!c->items[c->n]) {
        c->err = ISMO_ERR_NOMEM;
        return 1;
    }
    c->n++;
    return 0;
}

static ismo_err h_list_samples(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__ListSamplesRequest *l = req->list_samples;
    char why[200];
    Ismo__V1__Objective *o = NULL;
    ismo_err err = l->objective_id && *l->objective_id
                       ? ismo_store_objective_get(w->txn, l->objective_id, 0, &o)
                       : ISMO_ERR_INVALID;
    if (err == ISMO_ERR_NOT_FOUND || err == ISMO_ERR_INVALID) {
        snprintf(why, sizeof why,
                 err == ISMO_ERR_INVALID ? "objective_id missing" : "objective '%.80s' not found",
                 l->objective_id);
        fail(reply, err, why);
        return err;
    }
    if (err != ISMO_OK) {
        return err;
    }
    int allowed = may_function(w, o->function);
    ismo__v1__objective__free_unpacked(o, NULL);
    if (!allowed) {
        return deny(w, req, reply, "objective '%.80s' belongs to another function", l->objective_id);
    }
    size_t max = (size_t)w->cfg->max_list;
    samples_ctx c = {NULL, 0, l->has_limit && l->limit && l->limit < max ? l->limit : max, 0, ISMO_OK,
                     l->has_skip ? l->skip : 0};
    c.items = calloc(c.limit, sizeof *c.items);
    Ismo__V1__ListSamplesReply *r = malloc(sizeof *r);
    if (!c.items || !r) {
        free(c.items);
        free(r);
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__list_samples_reply__init(r);
    reply->body_case = ISMO__V1__REPLY__BODY_LIST_SAMPLES;
    reply->list_samples = r;
    r->samples = c.items;
    err = ismo_store_samples_scan(w->txn, l->objective_id, l->has_since_ms ? l->since_ms : INT64_MIN / 2,
                                  INT64_MAX / 2, samples_cb, &c);
    r->n_samples = c.n;
    r->has_more = 1;
    r->more = c.more;
    return err != ISMO_OK ? err : c.err;
}

/* ---- status ---- */

typedef struct status_ctx {
    ismo_work *w;
    const char *function;
    int include_retired;
    Ismo__V1__Status **items;
    size_t n, cap;
    int more;
    ismo_err err;
} status_ctx;

static int status_push(status_ctx *c, const Ismo__V1__Objective *o)
{
    if (c->n >= (size_t)c->w->cfg->max_list) {
        c->more = 1;
        return 1;
    }
    Ismo__V1__Status *st = NULL;
    ismo_err err = ismo_store_status_get(c->w->txn, o->id, &st);
    if (err == ISMO_ERR_NOT_FOUND) {
        return 0;
    }
    if (err != ISMO_OK) {
        c->err = err;
        return 1;
    }
    /* health is re-evaluated whenever it can change (due-time index); the
     * expected progress moves with the clock, so it is computed for now */
    st->has_expected_progress = 1;
    st->expected_progress = ismo_expected_progress(o, c->w->now_ms);
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        void *p = realloc(c->items, cap * sizeof *c->items);
        if (!p) {
            ismo__v1__status__free_unpacked(st, NULL);
            c->err = ISMO_ERR_NOMEM;
            return 1;
        }
        c->items = p;
        c->cap = cap;
    }
    c->items[c->n++] = st;
    return 0;
}

static int status_cb(void *ctx, const Ismo__V1__Objective *o)
{
    status_ctx *c = ctx;
    if ((o->retired && !c->include_retired) ||
        (c->function && *c->function && strcmp(c->function, o->function ? o->function : "") != 0) ||
        !may_function(c->w, o->function)) {
        return 0;
    }
    return status_push(c, o);
}

static ismo_err h_get_status(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__GetStatusRequest *g = req->get_status;
    status_ctx c = {w, g->function, g->include_retired, NULL, 0, 0, 0, ISMO_OK};
    ismo_err err = ISMO_OK;
    char why[200];
    if (g->n_ids > (size_t)w->cfg->max_list) {
        fail(reply, ISMO_ERR_TOO_LARGE, "too many ids (more than max_list)");
        return ISMO_ERR_TOO_LARGE;
    }
    if (g->n_ids == 0) {
        err = ismo_store_objective_foreach_after(w->txn, g->after_id, status_cb, &c);
    }
    for (size_t i = 0; i < g->n_ids && err == ISMO_OK && c.err == ISMO_OK; i++) {
        Ismo__V1__Objective *o = NULL;
        err = ismo_store_objective_get(w->txn, g->ids[i], 0, &o);
        if (err == ISMO_ERR_NOT_FOUND) {
            snprintf(why, sizeof why, "objective '%.80s' not found", g->ids[i]);
            break;
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
        err = c.err;
    }
    Ismo__V1__GetStatusReply *r = err == ISMO_OK ? malloc(sizeof *r) : NULL;
    if (!r) {
        for (size_t i = 0; i < c.n; i++) {
            ismo__v1__status__free_unpacked(c.items[i], NULL);
        }
        free(c.items);
        if (err == ISMO_ERR_NOT_FOUND) {
            fail(reply, err, why);
        } else if (err == ISMO_ERR_PERMISSION) {
            return deny(w, req, reply, "%s", why);
        }
        return err != ISMO_OK ? err : ISMO_ERR_NOMEM;
    }
    ismo__v1__get_status_reply__init(r);
    r->statuses = c.items;
    r->n_statuses = c.n;
    r->has_more = 1;
    r->more = c.more;
    reply->body_case = ISMO__V1__REPLY__BODY_GET_STATUS;
    reply->get_status = r;
    return ISMO_OK;
}

/* ---- events ---- */

typedef struct events_ctx {
    const ismo_work *w;
    const Ismo__V1__ListEventsRequest *q;
    Ismo__V1__Event **items;
    size_t n, limit;
    int more;
    ismo_err err;
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
    if (c->n >= c->limit) {
        c->more = 1;
        return 1;
    }
    c->items[c->n] = (void *)ismo_codec_copy(&e->base);
    if (!c->items[c->n]) {
        c->err = ISMO_ERR_NOMEM;
        return 1;
    }
    c->n++;
    return 0;
}

static ismo_err h_list_events(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__ListEventsRequest *q = req->list_events;
    size_t max = (size_t)w->cfg->max_list;
    events_ctx c = {w, q, NULL, 0, q->has_limit && q->limit && q->limit < max ? q->limit : max, 0, ISMO_OK};
    c.items = calloc(c.limit, sizeof *c.items);
    Ismo__V1__ListEventsReply *r = malloc(sizeof *r);
    if (!c.items || !r) {
        free(c.items);
        free(r);
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__list_events_reply__init(r);
    reply->body_case = ISMO__V1__REPLY__BODY_LIST_EVENTS;
    reply->list_events = r;
    r->events = c.items;
    ismo_err err = ismo_store_events_scan(w->txn, q->has_since_seq ? q->since_seq : 0, events_cb, &c);
    r->n_events = c.n;
    r->has_more = 1;
    r->more = c.more;
    r->has_last_seq = 1;
    ismo_store_last_seq(w->txn, &r->last_seq);
    return err != ISMO_OK ? err : c.err;
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
