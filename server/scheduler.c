/* scheduler: reminder decisions for one objective at a time. Owns no state
 * (the store keeps what fired and what was acknowledged); see scheduler.h.
 * Server thread. The only shared thing it touches is the process time zone
 * (TZ), briefly and under a lock, to write a reminder's text in display_tz. */
#include "scheduler.h"

#include <assert.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ismo_time.h"

/* What one ismo_schedule call accumulates. */
typedef struct acc {
    const ismo_schedule_input *in;
    ismo_fired_fn fired;
    ismo_count_fn count;
    void *ctx;
    ismo_reminder_due *out;
    size_t cap, n;
    uint32_t outs;
    int more;
} acc;

static ismo_reminder_due *push(acc *a, int kind, const char *key, int64_t due_ms, int64_t at_ms)
{
    if (a->n >= a->cap) {
        a->more = 1;
        return NULL;
    }
    ismo_reminder_due *r = &a->out[a->n++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->due_ms = due_ms;
    r->at_ms = at_ms;
    r->action_index = -1;
    r->late = a->in->late_before_ms > 0 && at_ms < a->in->late_before_ms;
    /* keys are built from a short kind word and at most three integers, far
     * below ISMO_REMINDER_KEY_BYTES; a key that would not fit is a bug */
    size_t len = strlen(key);
    assert(len < sizeof r->key);
    if (len >= sizeof r->key) {
        len = sizeof r->key - 1;
    }
    memcpy(r->key, key, len);
    r->key[len] = '\0';
    return r;
}

/* o's review cadence, ms (0 = none); one stored before the 1-day floor
 * (ISMO_MIN_REVIEW_CADENCE_MS) counts as 1 day: no REVIEW_DUE flood. */
static int64_t review_cadence(const Ismo__V1__Objective *o)
{
    int64_t c = o->has_review_cadence_ms ? o->review_cadence_ms : 0;
    return c > 0 && c < ISMO_MIN_REVIEW_CADENCE_MS ? ISMO_MIN_REVIEW_CADENCE_MS : c;
}

/* A fired key whose condition still holds: count it (and tell the caller). */
static void count_outstanding(acc *a, const char *key)
{
    a->outs++;
    if (a->in->outstanding_key) {
        a->in->outstanding_key(a->ctx, key);
    }
}

static size_t sorted_offsets(const int64_t *src, size_t n, int64_t *offs)
{
    size_t k = n < ISMO_MAX_REMINDER_OFFSETS ? n : ISMO_MAX_REMINDER_OFFSETS;
    if (k > 0) {
        memcpy(offs, src, k * sizeof *offs); /* src may be NULL when k is 0 */
    }
    for (size_t i = 1; i < k; i++) { /* insertion sort ascending */
        int64_t v = offs[i];
        size_t j = i;
        while (j > 0 && offs[j - 1] > v) {
            offs[j] = offs[j - 1];
            j--;
        }
        offs[j] = v;
    }
    return k;
}

/* "<prefix>:<due>:<offset>" keys for due - offset <= now < due, nearest offset first. */
static void approaching(acc *a, int kind, const char *prefix, int64_t due, const int64_t *offsets,
                        size_t n_offsets, int action_index)
{
    int64_t now = a->in->now_ms;
    if (now >= due) {
        return;
    }
    int64_t offs[ISMO_MAX_REMINDER_OFFSETS];
    size_t k = sorted_offsets(offsets, n_offsets, offs);
    int fired_nearer = 0;
    for (size_t i = 0; i < k; i++) {
        if (i > 0 && offs[i] == offs[i - 1]) {
            continue; /* the same offset configured twice: one key */
        }
        if (offs[i] <= 0 || now < due - offs[i]) {
            continue;
        }
        char key[ISMO_REMINDER_KEY_BYTES];
        snprintf(key, sizeof key, "%s:%" PRId64 ":%" PRId64, prefix, due, offs[i]);
        int f = a->fired(a->ctx, key);
        if (f == ISMO_REMINDER_FIRED) {
            count_outstanding(a, key);
            fired_nearer = 1;
            continue;
        }
        if (f == ISMO_REMINDER_SUPPRESSED) {
            continue;
        }
        ismo_reminder_due *r = push(a, kind, key, due, due - offs[i]);
        if (r) {
            r->offset_ms = offs[i];
            r->action_index = action_index;
            r->suppress = fired_nearer; /* a nearer offset already spoke */
        }
        fired_nearer = 1;
    }
}

/* One episode: repeat k fires at due + k * repeat until "ack:<episode>". */
static void overdue(acc *a, int kind, const char *episode, int64_t due, int action_index)
{
    const ismo_schedule_input *in = a->in;
    const Ismo__V1__Objective *o = in->objective;
    int64_t now = in->now_ms;
    if (now < due) {
        return;
    }
    char key[ISMO_REMINDER_KEY_BYTES + 8];
    snprintf(key, sizeof key, "ack:%s", episode);
    if (a->fired(a->ctx, key) != ISMO_REMINDER_NOT_FIRED) {
        return; /* acknowledged: no repeat, no escalation, not outstanding */
    }
    int64_t repeat = in->overdue_repeat_ms;
    int64_t k = repeat > 0 ? (now - due) / repeat : 0;
    if (k > (int64_t)UINT32_MAX) {
        k = UINT32_MAX;
    }
    if (k == 0) {
        snprintf(key, sizeof key, "%s", episode);
    } else {
        snprintf(key, sizeof key, "%s:%" PRId64, episode, k);
    }
    int f = a->fired(a->ctx, key);
    if (f != ISMO_REMINDER_NOT_FIRED) {
        count_outstanding(a, key); /* the episode is outstanding once (its latest slot was recorded) */
        return;
    }
    uint32_t before = 0;
    if (k > 0) {
        char prefix[ISMO_REMINDER_KEY_BYTES + 8];
        snprintf(prefix, sizeof prefix, "%s:", episode);
        before = (a->fired(a->ctx, episode) == ISMO_REMINDER_FIRED) + (a->count ? a->count(a->ctx, prefix) : 0);
    }
    ismo_reminder_due *r = push(a, kind, key, due, due + k * (repeat > 0 ? repeat : 0));
    if (!r) {
        return;
    }
    r->repeat = (uint32_t)k;
    r->action_index = action_index;
    r->escalated = o->has_escalate_after && o->escalate_after > 0 && before >= o->escalate_after;
    a->outs++;
    /* slots missed in between (ismod was down, or the clock jumped): record
     * them as suppressed, so only this one speaks */
    for (int64_t j = k - 1; j >= 0 && j >= k - ISMO_MAX_SUPPRESSED_SLOTS; j--) {
        if (j == 0) {
            snprintf(key, sizeof key, "%s", episode);
        } else {
            snprintf(key, sizeof key, "%s:%" PRId64, episode, j);
        }
        if (a->fired(a->ctx, key) != ISMO_REMINDER_NOT_FIRED) {
            break;
        }
        ismo_reminder_due *s = push(a, kind, key, due, due + j * repeat);
        if (!s) {
            break;
        }
        s->repeat = (uint32_t)j;
        s->action_index = action_index;
        s->suppress = 1;
    }
}

static int64_t start_of(const Ismo__V1__Objective *o)
{
    return o->has_start_ms && o->start_ms > 0 ? o->start_ms : 0;
}

/* The instant review cadence slots count from: the last review, else the
 * start, else the first version; 0 = none. */
static int64_t review_base(const ismo_schedule_input *in)
{
    if (in->last_review_ms > 0) {
        return in->last_review_ms;
    }
    int64_t s = start_of(in->objective);
    return s > 0 ? s : in->created_ms;
}

static int desc_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : (x > y ? -1 : 0);
}

#define MAX_REVIEW_CANDIDATES (2 * ISMO_MAX_SUPPRESSED_SLOTS + 2)

/* REVIEW_DUE: the latest review date or cadence slot that came (after the
 * last review) fires; earlier unfired ones are suppressed. */
static void reviews(acc *a)
{
    const ismo_schedule_input *in = a->in;
    const Ismo__V1__Objective *o = in->objective;
    int64_t now = in->now_ms;
    int64_t cand[MAX_REVIEW_CANDIDATES + 1];
    size_t nc = 0;
    /* the latest review dates in (last review, now] */
    int64_t dates[ISMO_MAX_SUPPRESSED_SLOTS + 1];
    size_t nd = 0;
    for (size_t i = 0; i < o->n_review_dates_ms; i++) {
        int64_t t = o->review_dates_ms[i];
        if (t <= 0 || t > now || t <= in->last_review_ms) {
            continue;
        }
        if (nd < ISMO_MAX_SUPPRESSED_SLOTS + 1) {
            dates[nd++] = t;
        } else {
            /* keep the latest ones: replace the earliest if t is later */
            size_t min = 0;
            for (size_t j = 1; j < nd; j++) {
                if (dates[j] < dates[min]) {
                    min = j;
                }
            }
            if (t > dates[min]) {
                dates[min] = t;
            }
        }
    }
    for (size_t i = 0; i < nd; i++) {
        cand[nc++] = dates[i];
    }
    int64_t cadence = review_cadence(o);
    int64_t base = review_base(in);
    if (cadence > 0 && base > 0 && now >= base + cadence) {
        int64_t k = (now - base) / cadence;
        for (int64_t j = k; j >= 1 && j > k - ISMO_MAX_SUPPRESSED_SLOTS - 1 && nc < MAX_REVIEW_CANDIDATES;
             j--) {
            cand[nc++] = base + j * cadence;
        }
    }
    if (nc == 0) {
        return;
    }
    qsort(cand, nc, sizeof cand[0], desc_cmp);
    int spoke = 0;
    for (size_t i = 0; i < nc; i++) {
        if (i > 0 && cand[i] == cand[i - 1]) {
            continue; /* a review date on a cadence slot: one key */
        }
        char key[ISMO_REMINDER_KEY_BYTES];
        snprintf(key, sizeof key, "review:%" PRId64, cand[i]);
        if (a->fired(a->ctx, key) != ISMO_REMINDER_NOT_FIRED) {
            break; /* a later one was recorded: older ones are moot */
        }
        ismo_reminder_due *r = push(a, ISMO__V1__REMINDER_KIND__REVIEW_DUE, key, cand[i], cand[i]);
        if (!r) {
            break;
        }
        r->suppress = spoke;
        spoke = 1;
    }
}

static int action_open(const Ismo__V1__Action *act)
{
    return !act->has_status || act->status == ISMO__V1__ACTION_STATUS__PLANNED ||
           act->status == ISMO__V1__ACTION_STATUS__IN_PROGRESS;
}

size_t ismo_schedule(const ismo_schedule_input *in, ismo_fired_fn fired, ismo_count_fn count,
                     void *ctx, ismo_reminder_due *out, size_t cap, uint32_t *outstanding, int *more)
{
    const Ismo__V1__Objective *o = in->objective;
    acc a = {in, fired, count, ctx, out, cap, 0, 0, 0};
    if (outstanding) {
        *outstanding = 0;
    }
    if (more) {
        *more = 0;
    }
    if (o->retired) {
        return 0;
    }
    int64_t now = in->now_ms;
    /* reviews are due whatever the health (6.2 "updated as appropriate") */
    reviews(&a);
    if (in->health == ISMO__V1__HEALTH__ACHIEVED) {
        /* the target is met: nothing to chase (reviews aside) */
        if (outstanding) {
            *outstanding = 0;
        }
        if (more) {
            *more = a.more;
        }
        return a.n;
    }
    int has_deadline = o->has_deadline_ms && o->deadline_ms > 0;
    int64_t start = start_of(o);
    if (start > 0 && now >= start) {
        char key[ISMO_REMINDER_KEY_BYTES];
        snprintf(key, sizeof key, "start:%" PRId64, start);
        if (fired(ctx, key) == ISMO_REMINDER_NOT_FIRED) {
            ismo_reminder_due *r = push(&a, ISMO__V1__REMINDER_KIND__WORK_SHOULD_START, key, start, start);
            if (r) {
                /* defined after its start, or past its deadline: nothing to announce */
                r->suppress = (in->created_ms > 0 && in->created_ms > start) ||
                              (has_deadline && now >= o->deadline_ms);
            }
        }
    }
    if (has_deadline) {
        approaching(&a, ISMO__V1__REMINDER_KIND__DEADLINE_APPROACHING, "deadline", o->deadline_ms,
                    in->offsets_ms, in->n_offsets, -1);
        char episode[ISMO_REMINDER_KEY_BYTES];
        snprintf(episode, sizeof episode, "overdue:%" PRId64, o->deadline_ms);
        overdue(&a, ISMO__V1__REMINDER_KIND__OVERDUE, episode, o->deadline_ms, -1);
    }
    for (size_t i = 0; i < o->n_actions && i < 100000; i++) {
        const Ismo__V1__Action *act = o->actions[i];
        if (!action_open(act) || !act->has_due_ms || act->due_ms <= 0) {
            continue;
        }
        char prefix[ISMO_REMINDER_KEY_BYTES];
        snprintf(prefix, sizeof prefix, "action-due:%zu", i);
        approaching(&a, ISMO__V1__REMINDER_KIND__ACTION_DUE_APPROACHING, prefix, act->due_ms,
                    act->reminder_offsets_ms, act->n_reminder_offsets_ms, (int)i);
        snprintf(prefix, sizeof prefix, "action-overdue:%zu:%" PRId64, i, act->due_ms);
        overdue(&a, ISMO__V1__REMINDER_KIND__ACTION_OVERDUE, prefix, act->due_ms, (int)i);
    }
    int64_t freq = o->metric && o->metric->has_frequency_ms ? o->metric->frequency_ms : 0;
    if (freq > 0 && !(has_deadline && now >= o->deadline_ms)) {
        int64_t since = in->last_sample_ms;
        if (since == 0) {
            /* never measured: due one frequency after the start, but never
             * earlier than one frequency after the objective was defined
             * (an objective imported today has had no chance to be measured) */
            since = start > 0 ? start : (o->has_baseline_at_ms && o->baseline_at_ms ? o->baseline_at_ms : 0);
            if (o->has_updated_ms && o->updated_ms > since) {
                since = o->updated_ms;
            }
        }
        if (since > 0 && now > since + freq) {
            char key[ISMO_REMINDER_KEY_BYTES];
            snprintf(key, sizeof key, "stale:%" PRId64, in->last_sample_ms);
            int f = fired(ctx, key);
            if (f == ISMO_REMINDER_FIRED) {
                count_outstanding(&a, key);
            } else if (f == ISMO_REMINDER_NOT_FIRED) {
                ismo_reminder_due *r = push(&a, ISMO__V1__REMINDER_KIND__METRIC_STALE, key, since + freq, since + freq);
                if (r) {
                    r->offset_ms = freq;
                }
            }
        }
    }
    if (in->quiet_before_ms > 0) {
        /* an upgrade: what older ismods did not announce is not announced
         * now for times before it (no burst of stale messages) */
        for (size_t i = 0; i < a.n; i++) {
            ismo_reminder_due *r = &out[i];
            int newer = r->kind == ISMO__V1__REMINDER_KIND__WORK_SHOULD_START ||
                        r->kind == ISMO__V1__REMINDER_KIND__REVIEW_DUE ||
                        r->kind == ISMO__V1__REMINDER_KIND__ACTION_DUE_APPROACHING ||
                        r->kind == ISMO__V1__REMINDER_KIND__ACTION_OVERDUE ||
                        (r->kind == ISMO__V1__REMINDER_KIND__OVERDUE && r->repeat > 0);
            if (newer && r->at_ms < in->quiet_before_ms && !r->suppress) {
                r->suppress = 1;
                if (r->kind == ISMO__V1__REMINDER_KIND__ACTION_OVERDUE ||
                    r->kind == ISMO__V1__REMINDER_KIND__OVERDUE) {
                    a.outs--; /* counted in overdue() as published */
                }
            }
        }
    }
    if (outstanding) {
        uint32_t outs = a.outs;
        for (size_t i = 0; i < a.n; i++) {
            int k = out[i].kind;
            if (!out[i].suppress && (k == ISMO__V1__REMINDER_KIND__DEADLINE_APPROACHING ||
                                     k == ISMO__V1__REMINDER_KIND__ACTION_DUE_APPROACHING ||
                                     k == ISMO__V1__REMINDER_KIND__METRIC_STALE)) {
                outs++; /* overdue episodes were counted in overdue() */
            }
        }
        *outstanding = outs;
    }
    if (more) {
        *more = a.more;
    }
    return a.n;
}

int ismo_reminder_episode(const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "%s", key);
    int colons_keep; /* colons in the episode part */
    if (strncmp(key, "overdue:", 8) == 0) {
        colons_keep = 1;
    } else if (strncmp(key, "action-overdue:", 15) == 0) {
        colons_keep = 2;
    } else {
        return 0;
    }
    int seen = 0;
    for (char *p = buf; *p; p++) {
        if (*p == ':' && ++seen > colons_keep) {
            *p = 0;
            break;
        }
    }
    return 1;
}

static void consider(int64_t *best, int64_t t, int64_t now)
{
    if (t > now && t < *best) {
        *best = t;
    }
}

/* The next repeat slot of an episode whose due time passed. */
static void consider_repeat(int64_t *best, int64_t due, int64_t repeat, int64_t now)
{
    if (repeat > 0 && now >= due) {
        int64_t k = (now - due) / repeat;
        consider(best, due + (k + 1) * repeat, now);
    }
}

int64_t ismo_next_check_ms(const ismo_schedule_input *in, int has_value, double progress,
                           double margin, int64_t oldest_in_window_ms)
{
    const Ismo__V1__Objective *o = in->objective;
    int64_t now = in->now_ms;
    int64_t best = now + ISMO_MAX_RECHECK_MS;
    if (in->more_pending) {
        return now + 1;
    }
    int has_deadline = o->has_deadline_ms && o->deadline_ms > 0;
    if (has_deadline) {
        consider(&best, o->deadline_ms, now);
        for (size_t i = 0; i < in->n_offsets; i++) {
            consider(&best, o->deadline_ms - in->offsets_ms[i], now);
        }
        consider_repeat(&best, o->deadline_ms, in->overdue_repeat_ms, now);
    }
    for (size_t i = 0; i < o->n_actions && i < 100000; i++) {
        const Ismo__V1__Action *act = o->actions[i];
        if (!action_open(act) || !act->has_due_ms || act->due_ms <= 0) {
            continue;
        }
        consider(&best, act->due_ms, now);
        for (size_t j = 0; j < act->n_reminder_offsets_ms; j++) {
            consider(&best, act->due_ms - act->reminder_offsets_ms[j], now);
        }
        consider_repeat(&best, act->due_ms, in->overdue_repeat_ms, now);
    }
    int64_t s = start_of(o);
    if (s > 0) {
        consider(&best, s, now);
    }
    for (size_t i = 0; i < o->n_review_dates_ms; i++) {
        consider(&best, o->review_dates_ms[i], now);
    }
    int64_t cadence = review_cadence(o);
    int64_t base = review_base(in);
    if (cadence > 0 && base > 0) {
        int64_t k = now >= base ? (now - base) / cadence : 0;
        consider(&best, base + (k + 1) * cadence, now);
    }
    int64_t freq = o->metric && o->metric->has_frequency_ms ? o->metric->frequency_ms : 0;
    if (freq > 0) {
        int64_t since = in->last_sample_ms;
        if (since == 0) {
            since = s > 0 ? s : (o->has_baseline_at_ms && o->baseline_at_ms ? o->baseline_at_ms : 0);
            if (o->has_updated_ms && o->updated_ms > since) {
                since = o->updated_ms;
            }
        }
        if (since > 0) {
            consider(&best, since + freq + 1, now);
        }
    }
    int64_t start = s > 0 ? s : (o->has_baseline_at_ms ? o->baseline_at_ms : 0);
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

/* ---- the human text ---- */

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

/* An instant for people: a date when it falls on a UTC midnight (how a
 * date-only deadline is stored), else the local time in tz. */
static char *format_instant(int64_t ms, const char *tz, char *buf, size_t len)
{
    if (ms == 0 || ms % ISMO_DAY_MS == 0 || !tz || !*tz || strcmp(tz, "UTC") == 0) {
        return ismo_deadline_format_ms(ms, buf, len);
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    size_t n = 0;
    pthread_mutex_lock(&tz_lock);
    const char *old = getenv("TZ");
    char saved[256];
    int had = old != NULL;
    snprintf(saved, sizeof saved, "%s", had ? old : "");
    if (setenv("TZ", tz, 1) == 0) {
        tzset();
        if (localtime_r(&t, &tm)) {
            n = strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm);
        }
    }
    if (had) {
        setenv("TZ", saved, 1);
    } else {
        unsetenv("TZ");
    }
    tzset();
    pthread_mutex_unlock(&tz_lock);
    if (n == 0) {
        return ismo_deadline_format_ms(ms, buf, len);
    }
    return buf;
}

void ismo_reminder_message(const Ismo__V1__Objective *o, const ismo_reminder_due *r, const char *tz,
                           char *buf, size_t len)
{
    char d[64], d2[64], off[32], tail[160] = "";
    format_instant(r->due_ms, tz, d, sizeof d);
    const char *owner = o->owner && *o->owner ? o->owner : "(no owner)";
    const Ismo__V1__Action *act =
        r->action_index >= 0 && (size_t)r->action_index < o->n_actions ? o->actions[r->action_index] : NULL;
    const char *what = act && act->what && *act->what ? act->what : "(no text)";
    const char *resp = act && act->responsible && *act->responsible ? act->responsible : owner;
    size_t tl = 0;
    if (r->repeat > 0) {
        tl += (size_t)snprintf(tail + tl, sizeof tail - tl, " (repeat %u)", r->repeat);
    }
    if (r->escalated && tl < sizeof tail) {
        tl += (size_t)snprintf(tail + tl, sizeof tail - tl, "; escalated to %.60s",
                               o->escalate_to && *o->escalate_to ? o->escalate_to : "(nobody)");
    }
    if (r->late && tl < sizeof tail) {
        format_instant(r->at_ms, tz, d2, sizeof d2);
        snprintf(tail + tl, sizeof tail - tl, "; late: due %s while ismod was down", d2);
    }
    switch (r->kind) {
    case ISMO__V1__REMINDER_KIND__DEADLINE_APPROACHING:
        ismo_duration_format_ms(r->offset_ms, off, sizeof off);
        snprintf(buf, len, "%s: deadline %s is within %s; owner %s%s", o->id, d, off, owner, tail);
        break;
    case ISMO__V1__REMINDER_KIND__OVERDUE:
        snprintf(buf, len, "%s: deadline %s passed and the target is not met; owner %s%s", o->id, d,
                 owner, tail);
        break;
    case ISMO__V1__REMINDER_KIND__WORK_SHOULD_START:
        /* a start date names the UTC day it is stored at the start of, like a
         * review date (not the day before, as for a deadline) */
        if (r->due_ms != 0 && r->due_ms % ISMO_DAY_MS == 0) {
            ismo_date_format_ms(r->due_ms, d, sizeof d);
        }
        format_instant(o->has_deadline_ms ? o->deadline_ms : 0, tz, d2, sizeof d2);
        snprintf(buf, len, "%s: work should start now (start %s, deadline %s); owner %s%s", o->id, d,
                 d2, owner, tail);
        break;
    case ISMO__V1__REMINDER_KIND__REVIEW_DUE:
        /* a review date names the UTC day it is stored at the start of
         * (2026-06-30 -> 2026-06-30T00:00Z): that day, not the day before
         * as for a deadline (the end of the day it names) */
        if (r->due_ms != 0 && r->due_ms % ISMO_DAY_MS == 0) {
            ismo_date_format_ms(r->due_ms, d, sizeof d);
        }
        snprintf(buf, len, "%s: review due %s (6.2: objectives are updated as appropriate); owner %s%s",
                 o->id, d, owner, tail);
        break;
    case ISMO__V1__REMINDER_KIND__ACTION_DUE_APPROACHING:
        ismo_duration_format_ms(r->offset_ms, off, sizeof off);
        snprintf(buf, len, "%s: action %d '%.200s' is due %s, within %s; responsible %s%s", o->id,
                 r->action_index, what, d, off, resp, tail);
        break;
    case ISMO__V1__REMINDER_KIND__ACTION_OVERDUE:
        snprintf(buf, len, "%s: action %d '%.200s' was due %s and is still open; responsible %s%s",
                 o->id, r->action_index, what, d, resp, tail);
        break;
    default:
        ismo_duration_format_ms(r->offset_ms, off, sizeof off);
        snprintf(buf, len, "%s: no sample within the measurement frequency %s (due %s); owner %s%s",
                 o->id, off, d, owner, tail);
        break;
    }
}
