/* hook: the environment of one event and one run of the hook command.
 *
 * Owns: nothing beyond one call (the environment lives on the caller's
 * stack in an ismo_hook_env). Does not own: which events reach the hook and
 * the event cursor (agent.c), processes (proc.c). Agent's one thread. */
#include "hook.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ismo_codec.h"
#include "ismo_log.h"
#include "ismo_time.h"
#include "proc.h"

typedef struct env_writer {
    ismo_hook_env *env;
    size_t used;
    size_t n;
} env_writer;

static void put(env_writer *w, const char *name, const char *value)
{
    char *dst = w->env->buf + w->used;
    size_t room = sizeof w->env->buf - w->used;
    int n = snprintf(dst, room, "%s=%.*s", name, ISMO_HOOK_MAX_VALUE_BYTES, value ? value : "");
    if (n < 0 || (size_t)n >= room || w->n >= ISMO_HOOK_N_VARS) {
        return; /* cannot happen: buf is sized for every variable at its maximum */
    }
    w->env->vars[w->n++] = dst;
    w->env->vars[w->n] = NULL;
    w->used += (size_t)n + 1;
}

static const char *iso_or_empty(int64_t ms, char *buf, size_t len)
{
    if (ms == 0) {
        buf[0] = '\0';
        return buf;
    }
    return ismo_time_format_ms(ms, buf, len);
}

void ismo_hook_env_build(const Ismo__V1__Event *e, const char *agent_name, ismo_hook_env *env)
{
    env_writer w = {env, 0, 0};
    env->vars[0] = NULL;
    char seq[24];
    char when[32];
    char due[32];
    snprintf(seq, sizeof seq, "%" PRIu64, e->seq);
    const Ismo__V1__Reminder *r =
        e->payload_case == ISMO__V1__EVENT__PAYLOAD_REMINDER ? e->reminder : NULL;
    const Ismo__V1__StatusChange *s =
        e->payload_case == ISMO__V1__EVENT__PAYLOAD_STATUS_CHANGE ? e->status_change : NULL;
    put(&w, "ISMO_EVENT_SEQ", seq);
    put(&w, "ISMO_EVENT_KIND", ismo_event_kind_topic(e->kind));
    put(&w, "ISMO_FUNCTION", e->function);
    put(&w, "ISMO_OBJECTIVE_ID", e->objective_id);
    put(&w, "ISMO_TITLE", e->title);
    put(&w, "ISMO_MESSAGE", e->message);
    put(&w, "ISMO_EVENT_TIME", iso_or_empty(e->time_ms, when, sizeof when));
    put(&w, "ISMO_REMINDER_KIND", r ? ismo_reminder_kind_name(r->reminder_kind) : "");
    put(&w, "ISMO_DUE", iso_or_empty(r ? r->due_ms : 0, due, sizeof due));
    put(&w, "ISMO_OWNER", r ? r->owner : "");
    char repeat[16];
    snprintf(repeat, sizeof repeat, "%u", r ? (unsigned)r->repeat : 0u);
    put(&w, "ISMO_REMINDER_KEY", r ? r->key : "");
    put(&w, "ISMO_REMINDER_REPEAT", r ? repeat : "");
    put(&w, "ISMO_REMINDER_ESCALATED", r ? (r->has_escalated && r->escalated ? "1" : "0") : "");
    put(&w, "ISMO_REMINDER_AUDIENCE", r ? r->audience : "");
    put(&w, "ISMO_REMINDER_LATE", r ? (r->has_late && r->late ? "1" : "0") : "");
    put(&w, "ISMO_OLD_HEALTH", s && s->has_old_health ? ismo_health_name(s->old_health) : "");
    put(&w, "ISMO_NEW_HEALTH", s && s->has_new_health ? ismo_health_name(s->new_health) : "");
    put(&w, "ISMO_AGENT_NAME", agent_name);
}

const char *ismo_hook_env_get(const ismo_hook_env *env, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; env->vars[i]; i++) {
        if (strncmp(env->vars[i], name, n) == 0 && env->vars[i][n] == '=') {
            return env->vars[i] + n + 1;
        }
    }
    return NULL;
}

ismo_err ismo_hook_run(const char *command, int64_t timeout_ms, const Ismo__V1__Event *e,
                       const char *agent_name, const volatile sig_atomic_t *stop)
{
    ismo_hook_env env;
    ismo_hook_env_build(e, agent_name, &env);
    ismo_proc_result r;
    ismo_err err = ismo_proc_run(command, env.vars, timeout_ms, NULL, 0, stop, &r);
    if (err != ISMO_OK) {
        ISMO_ERROR("hook", "seq=%" PRIu64 ": cannot run: %s", e->seq, ismo_strerror(err));
        return err;
    }
    char how[160];
    ismo_proc_describe(&r, how, sizeof how);
    const char *kind = ismo_event_kind_topic(e->kind);
    const char *obj = e->objective_id ? e->objective_id : "";
    if (r.end == ISMO_PROC_EXITED && r.exit_code == 0) {
        ISMO_INFO("hook", "seq=%" PRIu64 " %s %s: %s (%lld ms)", e->seq, kind, obj, how,
                  (long long)r.elapsed_ms);
        return ISMO_OK;
    }
    ISMO_WARN("hook", "seq=%" PRIu64 " %s %s: hook failed: %s", e->seq, kind, obj, how);
    if (r.end == ISMO_PROC_TIMED_OUT) {
        return ISMO_ERR_TIMEOUT;
    }
    return r.end == ISMO_PROC_STOPPED ? ISMO_ERR_INTERRUPTED : ISMO_ERR_IO;
}
