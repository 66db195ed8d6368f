/* scheduler: reminder decisions for one objective at a time. Owns no state
 * (the store keeps what fired); see scheduler.h. Server thread. */
#include "scheduler.h"

#include <stdio.h>
#include <string.h>

#include "ismo_time.h"

static int active(int health)
{
    return health != ISMO__V1__HEALTH__ACHIEVED;
}

size_t ismo_schedule(const ismo_schedule_input *in, ismo_fired_fn fired, void *ctx,
                     ismo_reminder_due *out, size_t cap, uint32_t *outstanding)
{
    const Ismo__V1__Objective *o = in->objective;
    size_t n = 0;
    uint32_t outs = 0;
    if (outstanding) {
        *outstanding = 0;
    }
    if (o->retired || !active(in->health)) {
        return 0;
    }
    int64_t now = in->now_ms;
    int has_deadline = o->has_deadline_ms && o->deadline_ms > 0;
    if (has_deadline && now < o->deadline_ms) {
        /* approaching: consider offsets nearest first */
        int64_t offs[ISMO_MAX_REMINDER_OFFSETS];
        size_t k = in->n_offsets < ISMO_MAX_REMINDER_OFFSETS ? in->n_offsets : ISMO_MAX_REMINDER_OFFSETS;
        memcpy(offs, in->offsets_ms, k * sizeof *offs);
        for (size_t i = 1; i < k; i++) { /* insertion sort ascending */
            int64_t v = offs[i];
            size_t j = i;
            while (j > 0 && offs[j - 1] > v) {
                offs[j] = offs[j - 1];
                j--;
            }
            offs[j] = v;
        }
        int fired_nearer = 0;
        for (size_t i = 0; i < k; i++) {
            if (i > 0 && offs[i] == offs[i - 1]) {
                continue; /* the same offset configured twice: one key */
            }
            if (offs[i] <= 0 || now < o->deadline_ms - offs[i]) {
                continue;
            }
            char key[ISMO_REMINDER_KEY_BYTES];
            snprintf(key, sizeof key, "deadline:%lld:%lld", (long long)o->deadline_ms,
                     (long long)offs[i]);
            int f = fired(ctx, key);
            if (f == ISMO_REMINDER_FIRED) {
                outs++;
                fired_nearer = 1;
                continue;
            }
            if (f == ISMO_REMINDER_SUPPRESSED) {
                continue;
            }
            if (n < cap) {
                ismo_reminder_due *r = &out[n++];
                r->kind = ISMO__V1__REMINDER_KIND__DEADLINE_APPROACHING;
                r->offset_ms = offs[i];
                r->due_ms = o->deadline_ms;
                r->suppress = fired_nearer; /* a nearer offset already spoke */
                snprintf(r->key, sizeof r->key, "%s", key);
                fired_nearer = 1;
            }
        }
    }
    if (has_deadline && now >= o->deadline_ms) {
        char key[ISMO_REMINDER_KEY_BYTES];
        snprintf(key, sizeof key, "overdue:%lld", (long long)o->deadline_ms);
        int f = fired(ctx, key);
        if (f == ISMO_REMINDER_FIRED) {
            outs++;
        } else if (f == ISMO_REMINDER_NOT_FIRED && n < cap) {
            ismo_reminder_due *r = &out[n++];
            r->kind = ISMO__V1__REMINDER_KIND__OVERDUE;
            r->offset_ms = 0;
            r->due_ms = o->deadline_ms;
            r->suppress = 0;
            snprintf(r->key, sizeof r->key, "%s", key);
        }
    }
    int64_t freq = o->metric && o->metric->has_frequency_ms ? o->metric->frequency_ms : 0;
    if (freq > 0 && !(has_deadline && now >= o->deadline_ms)) {
        int64_t since = in->last_sample_ms;
        if (since == 0) {
            /* never measured: due one frequency after the start, but never
             * earlier than one frequency after the objective was defined
             * (an objective imported today has had no chance to be measured) */
            since = o->has_start_ms && o->start_ms ? o->start_ms
                    : (o->has_baseline_at_ms && o->baseline_at_ms ? o->baseline_at_ms : 0);
            if (o->has_updated_ms && o->updated_ms > since) {
                since = o->updated_ms;
            }
        }
        if (since > 0 && now > since + freq) {
            char key[ISMO_REMINDER_KEY_BYTES];
            snprintf(key, sizeof key, "stale:%lld", (long long)in->last_sample_ms);
            int f = fired(ctx, key);
            if (f == ISMO_REMINDER_FIRED) {
                outs++;
            } else if (f == ISMO_REMINDER_NOT_FIRED && n < cap) {
                ismo_reminder_due *r = &out[n++];
                r->kind = ISMO__V1__REMINDER_KIND__METRIC_STALE;
                r->offset_ms = freq;
                r->due_ms = since + freq;
                r->suppress = 0;
                snprintf(r->key, sizeof r->key, "%s", key);
            }
        }
    }
    if (outstanding) {
        for (size_t i = 0; i < n; i++) {
            if (!out[i].suppress) {
                outs++;
            }
        }
        *outstanding = outs;
    }
    return n;
}

static void consider(int64_t *best, int64_t t, int64_t now)
{
    if (t > now && t < *best) {
        *best = t;
    }
}

int64_t ismo_next_check_ms(const ismo_schedule_input *in, int has_value, double progress,
                           double margin, int64_t oldest_in_window_ms)
{
    const Ismo__V1__Objective *o = in->objective;
    int64_t now = in->now_ms;
    int64_t best = now + ISMO_MAX_RECHECK_MS;
    int has_deadline = o->has_deadline_ms && o->deadline_ms > 0;
    if (has_deadline) {
        consider(&best, o->deadline_ms, now);
        for (size_t i = 0; i < in->n_offsets; i++) {
            consider(&best, o->deadline_ms - in->offsets_ms[i], now);
        }
    }
    int64_t freq = o->metric && o->metric->has_frequency_ms ? o->metric->frequency_ms : 0;
    if (freq > 0) {
        int64_t since = in->last_sample_ms;
        if (since == 0) {
            since = o->has_start_ms && o->start_ms ? o->start_ms
                    : (o->has_baseline_at_ms && o->baseline_at_ms ? o->baseline_at_ms : 0);
            if (o->has_updated_ms && o->updated_ms > since) {
                since = o->updated_ms;
            }
        }
        if (since > 0) {
            consider(&best, since + freq + 1, now);
        }
    }
    int64_t start = o->has_start_ms && o->start_ms ? o->start_ms
                    : (o->has_baseline_at_ms ? o->baseline_at_ms : 0);
    int reach = !(o->has_target_mode && o->target_mode == ISMO__V1__TARGET_MODE__MAINTAIN);
    if (reach && has_value && has_deadline && start > 0 && o->deadline_ms > start && progress < 1) {
        double span = (double)(o->deadline_ms - start);
        consider(&best, start + (int64_t)(progress * span) + 1, now);
        consider(&best, start + (int64_t)((progress + margin) * span) + 1, now);
    }
    int64_t window = o->metric && o->metric->has_window_ms ? o->metric->window_ms : 0;
    if (window > 0 && oldest_in_window_ms != 0) {
        consider(&best, oldest_in_window_ms + window + 1, now);
    }
    return best;
}

void ismo_reminder_message(const Ismo__V1__Objective *o, const ismo_reminder_due *r, char *buf,
                           size_t len)
{
    char d[40], off[32];
    ismo_deadline_format_ms(r->due_ms, d, sizeof d);
    const char *owner = o->owner && *o->owner ? o->owner : "(no owner)";
    switch (r->kind) {
    case ISMO__V1__REMINDER_KIND__DEADLINE_APPROACHING:
        ismo_duration_format_ms(r->offset_ms, off, sizeof off);
        snprintf(buf, len, "%s: deadline %s is within %s; owner %s", o->id, d, off, owner);
        break;
    case ISMO__V1__REMINDER_KIND__OVERDUE:
        snprintf(buf, len, "%s: deadline %s passed and the target is not met; owner %s", o->id, d,
                 owner);
        break;
    default:
        ismo_duration_format_ms(r->offset_ms, off, sizeof off);
        snprintf(buf, len, "%s: no sample within the measurement frequency %s (due %s); owner %s",
                 o->id, off, d, owner);
        break;
    }
}
