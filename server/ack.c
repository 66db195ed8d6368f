/* ack: the Ack request (ISO/IEC 27001:2022 6.2 e "communicated": a reminder
 * someone has taken note of stops chasing them). Owns the rule "an
 * acknowledged episode neither repeats nor escalates": it records, for each
 * reminder key acknowledged, the key "ack:<key>" and, for a key of an
 * episode (server/scheduler.h), "ack:<episode>", in the store's reminder
 * table with the seq of the REMINDER_ACKED event that announced the ack. The
 * event (who: Ack.actor, when: Event.time_ms, note, keys) is the durable
 * record; the audit trail gets an "event" record (ismo_work_emit) and a
 * "reminder.ack" record by the acting peer. It does not decide reminders
 * (scheduler.c) or publish (the server loop). Server thread, inside the
 * request's nested write transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "ismo_log.h"
#include "scheduler.h"
#include "work.h"
#include "zap.h"

#define MAX_ACK_KEYS 10000
#define MAX_NOTE_BYTES 4096

static ismo_err fail(Ismo__V1__Reply *reply, ismo_err err, const char *msg)
{
    reply->has_code = 1;
    reply->code = (Ismo__V1__StatusCode)ismo_err_to_status(err);
    free(reply->message);
    reply->message = strdup(msg);
    return err;
}

typedef struct keylist {
    char **keys;
    size_t n, cap;
    ismo_err err;
} keylist;

static int keylist_add(keylist *l, const char *key)
{
    if (l->n >= MAX_ACK_KEYS) {
        return 1;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void *p = realloc(l->keys, cap * sizeof *l->keys);
        if (!p) {
            l->err = ISMO_ERR_NOMEM;
            return 1;
        }
        l->keys = p;
        l->cap = cap;
    }
    l->keys[l->n] = strdup(key);
    if (!l->keys[l->n]) {
        l->err = ISMO_ERR_NOMEM;
        return 1;
    }
    l->n++;
    return 0;
}

static void keylist_free(keylist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->keys[i]);
    }
    free(l->keys);
    memset(l, 0, sizeof *l);
}

/* an outstanding key (ismo_monitor_outstanding): a candidate when it fired
 * with an event (the latest slot of an episode may have been suppressed; the
 * episode's fired keys are added below) */
typedef struct outstanding_ctx {
    ismo_txn_t *txn;
    const char *id;
    keylist *l;
    keylist *episodes;
} outstanding_ctx;

static ismo_err outstanding_cb(void *ctx, const char *key)
{
    outstanding_ctx *c = ctx;
    int f = 0;
    ismo_err err = ismo_store_reminder_fired(c->txn, c->id, key, &f);
    if (err == ISMO_OK && f == ISMO_REMINDER_FIRED) {
        keylist_add(c->l, key);
        err = c->l->err;
    }
    char episode[ISMO_REMINDER_KEY_BYTES];
    if (err == ISMO_OK && ismo_reminder_episode(key, episode, sizeof episode)) {
        keylist_add(c->episodes, episode);
        err = c->episodes->err;
    }
    return err;
}

/* the fired keys of one episode: the episode key itself and "<episode>:<k>" */
typedef struct episode_ctx {
    keylist *l;
    const char *episode;
} episode_ctx;

static int episode_key_cb(void *ctx, const char *key, uint64_t seq)
{
    episode_ctx *e = ctx;
    size_t el = strlen(e->episode);
    if (seq == 0 || strncmp(key, e->episode, el) != 0 || (key[el] != 0 && key[el] != ':')) {
        return 0;
    }
    return keylist_add(e->l, key);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 if "ack:<key>" is recorded for id. */
static ismo_err acked(ismo_txn_t *txn, const char *id, const char *key, int *is_acked)
{
    char mark[ISMO_REMINDER_KEY_BYTES + 8];
    snprintf(mark, sizeof mark, "ack:%s", key);
    int f = 0;
    ismo_err err = ismo_store_reminder_fired(txn, id, mark, &f);
    *is_acked = f != ISMO_REMINDER_NOT_FIRED;
    return err;
}

static ismo_err mark(ismo_txn_t *txn, const char *id, const char *key, uint64_t seq)
{
    char m[ISMO_REMINDER_KEY_BYTES + 8];
    snprintf(m, sizeof m, "ack:%s", key);
    return ismo_store_reminder_mark(txn, id, m, seq);
}

ismo_err ismo_ack_handle(ismo_work *w, const Ismo__V1__Request *req, Ismo__V1__Reply *reply)
{
    const Ismo__V1__AckRequest *a = req->ack;
    char why[400];
    if (!a || !a->objective_id || !*a->objective_id) {
        return fail(reply, ISMO_ERR_INVALID, "objective_id missing");
    }
    if (strlen(a->objective_id) > ISMO_MAX_ID_BYTES) {
        return fail(reply, ISMO_ERR_INVALID, "objective_id longer than 64 bytes");
    }
    if (a->note && (strlen(a->note) > MAX_NOTE_BYTES || !ismo_utf8_is_valid(a->note))) {
        return fail(reply, ISMO_ERR_INVALID, "note: at most 4096 bytes of valid UTF-8");
    }
    if (a->n_keys > MAX_ACK_KEYS) {
        return fail(reply, ISMO_ERR_INVALID, "keys: at most 10000 per request");
    }
    for (size_t i = 0; i < a->n_keys; i++) {
        const char *k = a->keys[i];
        if (!k || !*k || strlen(k) >= ISMO_REMINDER_KEY_BYTES || strncmp(k, "ack:", 4) == 0 ||
            !ismo_utf8_is_valid(k)) {
            snprintf(why, sizeof why, "keys[%zu]: not a reminder key (Reminder.key, e.g. overdue:1798761600000)", i);
            return fail(reply, ISMO_ERR_INVALID, why);
        }
    }
    Ismo__V1__Objective *o = NULL;
    ismo_err err = ismo_store_objective_get(w->txn, a->objective_id, 0, &o);
    if (err == ISMO_ERR_NOT_FOUND) {
        snprintf(why, sizeof why, "unknown objective %.80s", a->objective_id);
        return fail(reply, ISMO_ERR_NOT_FOUND, why);
    }
    if (err != ISMO_OK) {
        return err;
    }
    /* the same rule as changing an objective (dispatch.c may_change): an
     * owner acknowledges only the objectives it owns; admins any */
    if (w->peer && w->peer->role != ISMO_ROLE_ADMIN &&
        !(w->peer->role == ISMO_ROLE_OWNER && o->owner && strcmp(o->owner, w->peer->name) == 0)) {
        snprintf(why, sizeof why, "an owner acknowledges only reminders of objectives whose owner is '%s' (objective %.80s)",
                 w->peer->name, o->id);
        ISMO_WARN("ack", "refused %s (%s): %s", w->peer->name, ismo_role_name(w->peer->role), why);
        ismo__v1__objective__free_unpacked(o, NULL);
        return fail(reply, ISMO_ERR_PERMISSION, why);
    }
    keylist cand = {0}, now = {0}, episodes = {0};
    if (a->n_keys == 0) {
        /* every outstanding reminder (what Status.reminders_outstanding
         * counts), with the whole of each outstanding episode */
        outstanding_ctx oc = {w->txn, o->id, &cand, &episodes};
        err = ismo_monitor_outstanding(w, o, outstanding_cb, &oc);
        for (size_t i = 0; i < episodes.n && err == ISMO_OK; i++) {
            episode_ctx ec = {&cand, episodes.keys[i]};
            err = ismo_store_reminder_foreach(w->txn, o->id, episodes.keys[i], episode_key_cb, &ec);
            if (err == ISMO_OK) {
                err = cand.err;
            }
        }
        keylist_free(&episodes);
    } else {
        for (size_t i = 0; i < a->n_keys && err == ISMO_OK; i++) {
            int f = 0;
            err = ismo_store_reminder_fired(w->txn, o->id, a->keys[i], &f);
            if (err == ISMO_OK && f != ISMO_REMINDER_FIRED) {
                snprintf(why, sizeof why, "objective %.80s has no reminder with key %.100s that fired", o->id,
                         a->keys[i]);
                keylist_free(&cand);
                ismo__v1__objective__free_unpacked(o, NULL);
                return fail(reply, ISMO_ERR_NOT_FOUND, why);
            }
            if (err == ISMO_OK) {
                keylist_add(&cand, a->keys[i]);
                err = cand.err;
            }
        }
    }
    /* a key of an episode acknowledges the whole episode: its other fired keys too */
    size_t named = cand.n;
    for (size_t i = 0; i < named && err == ISMO_OK && a->n_keys > 0; i++) {
        char episode[ISMO_REMINDER_KEY_BYTES];
        if (ismo_reminder_episode(cand.keys[i], episode, sizeof episode)) {
            episode_ctx ec = {&cand, episode};
            err = ismo_store_reminder_foreach(w->txn, o->id, episode, episode_key_cb, &ec);
            if (err == ISMO_OK) {
                err = cand.err;
            }
        }
    }
    /* outstanding = not acknowledged yet (a key named twice counts once) */
    if (cand.n > 1) {
        qsort(cand.keys, cand.n, sizeof cand.keys[0], key_cmp); /* key order */
    }
    for (size_t i = 0; i < cand.n && err == ISMO_OK; i++) {
        int is_acked = 0;
        if (i > 0 && strcmp(cand.keys[i], cand.keys[i - 1]) == 0) {
            continue;
        }
        err = acked(w->txn, o->id, cand.keys[i], &is_acked);
        if (err == ISMO_OK && !is_acked) {
            keylist_add(&now, cand.keys[i]);
            err = now.err;
        }
    }
    keylist_free(&cand);
    uint64_t seq = 0;
    const char *actor = req->actor && *req->actor ? req->actor : "unknown";
    if (err == ISMO_OK && now.n > 0) {
        Ismo__V1__Event e = ISMO__V1__EVENT__INIT;
        Ismo__V1__Ack ack = ISMO__V1__ACK__INIT;
        char msg[700];
        snprintf(msg, sizeof msg, "%s: %zu reminder%s acknowledged by %.100s (%.120s%s)%s%.300s", o->id, now.n,
                 now.n == 1 ? "" : "s", actor, now.keys[0], now.n > 1 ? ", ..." : "",
                 a->note && *a->note ? ": " : "", a->note ? a->note : "");
        for (char *p = msg; *p; p++) {
            if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                *p = ' '; /* Event.message is one line (the note in Ack.note keeps its own) */
            }
        }
        e.has_kind = 1;
        e.kind = ISMO__V1__EVENT_KIND__REMINDER_ACKED;
        e.function = o->function;
        e.objective_id = o->id;
        e.title = o->title;
        e.message = msg;
        ack.actor = (char *)actor;
        ack.note = a->note;
        ack.n_keys = now.n;
        ack.keys = now.keys;
        e.payload_case = ISMO__V1__EVENT__PAYLOAD_ACK;
        e.ack = &ack;
        err = ismo_work_emit(w, &e);
        seq = e.seq;
        if (err == ISMO_OK) {
            ISMO_INFO("ack", "event #%llu %s", (unsigned long long)seq, msg);
        }
        for (size_t i = 0; i < now.n && err == ISMO_OK; i++) {
            char episode[ISMO_REMINDER_KEY_BYTES];
            err = mark(w->txn, o->id, now.keys[i], seq);
            if (err == ISMO_OK && ismo_reminder_episode(now.keys[i], episode, sizeof episode) &&
                strcmp(episode, now.keys[i]) != 0) {
                int is_acked = 0;
                err = acked(w->txn, o->id, episode, &is_acked);
                if (err == ISMO_OK && !is_acked) {
                    err = mark(w->txn, o->id, episode, seq);
                }
            }
        }
        if (err == ISMO_OK) {
            char detail[512];
            snprintf(detail, sizeof detail, "event %llu: %zu key%s (%.200s%s)%s%.200s", (unsigned long long)seq,
                     now.n, now.n == 1 ? "" : "s", now.keys[0], now.n > 1 ? ", ..." : "",
                     a->note && *a->note ? "; note: " : "", a->note ? a->note : "");
            err = ismo_audit_work(w, actor, "reminder.ack", o->id, detail);
        }
        if (err == ISMO_OK && !o->retired) {
            err = ismo_monitor_objective(w, o, 0); /* outstanding count and next due time */
        }
    }
    if (err != ISMO_OK) {
        keylist_free(&now);
        ismo__v1__objective__free_unpacked(o, NULL);
        return err;
    }
    Ismo__V1__AckReply *ar = malloc(sizeof *ar);
    if (!ar) {
        keylist_free(&now);
        ismo__v1__objective__free_unpacked(o, NULL);
        return ISMO_ERR_NOMEM;
    }
    ismo__v1__ack_reply__init(ar);
    ar->n_keys = now.n;
    ar->keys = now.keys; /* ownership moves to the reply (ismo_ack_release_reply) */
    ar->has_seq = seq != 0;
    ar->seq = seq;
    if (now.n == 0) {
        snprintf(why, sizeof why, "nothing outstanding to acknowledge for %.80s%s", o->id,
                 a->n_keys ? " (the keys named were acknowledged before)" : "");
        free(reply->message);
        reply->message = strdup(why);
    }
    reply->body_case = ISMO__V1__REPLY__BODY_ACK;
    reply->ack = ar;
    ismo__v1__objective__free_unpacked(o, NULL);
    return ISMO_OK;
}

void ismo_ack_release_reply(Ismo__V1__Reply *reply)
{
    if (reply->body_case != ISMO__V1__REPLY__BODY_ACK || !reply->ack) {
        return;
    }
    for (size_t i = 0; i < reply->ack->n_keys; i++) {
        free(reply->ack->keys[i]);
    }
    free(reply->ack->keys);
    free(reply->ack);
    reply->ack = NULL;
    reply->body_case = ISMO__V1__REPLY__BODY__NOT_SET;
}
