/* agent: the ismo-agent loop (collect -> spool -> send; events -> hook).
 *
 * Owns: the state_dir (state.c), the two spools (spool and parked), the
 * collectors, the request client and the SUB subscription, the back-off
 * timers and counters. Does not own: the configuration (borrowed), the
 * spool format (spool.c), processes (proc.c), hook environment (hook.c).
 * One thread: everything here runs on the caller of ismo_agent_run. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "collector.h"
#include "hook.h"
#include "ismo.h"
#include "ismo_log.h"
#include "spool.h"
#include "state.h"

/* Longest wait in one zmq_poll, ms (keeps the loop responsive to stop). */
#define LOOP_MAX_WAIT_MS 1000
/* Time spent sending batches in one turn before other work gets a turn, ms. */
#define SEND_TURN_MS 1000
/* Events asked per ListEvents. */
#define EVENTS_PER_REQUEST 100
/* Interval of the counters log line, ms. */
#define STATS_LOG_MS (10 * ISMO_MINUTE_MS)
/* Synthetic samples spooled per loop turn (one fdatasync per chunk). */
#define SYNTHETIC_CHUNK 500
/* Topic prefix of ismod's heartbeat (docs/protocol.md). */
#define HEARTBEAT_PREFIX "heartbeat."

struct ismo_agent {
    const ismo_agent_config *cfg;
    ismo_agent_state_t *state;
    ismo_spool_t *spool;         /* samples not yet settled by the server */
    ismo_spool_t *parked;        /* samples of objectives the server does not know (yet) */
    ismo_spool_batch_t *batch;
    ismo_spool_batch_t *drop_batch; /* spool_full: drop_oldest */
    int drop_oldest;             /* spool_full policy */
    ismo_collector_t **collectors;
    size_t n_collectors;
    ismo_client_t *client;
    ismo_sub_t *sub;             /* NULL unless run with a hook */
    const volatile sig_atomic_t *stop;
    char source[80];             /* "agent:<name>" */
    size_t batch_cur;            /* batch size now (halved on TOO_LARGE) */
    size_t isolate_left;         /* send one by one for this many samples (whole-batch refusal) */
    int64_t backoff_ms;          /* next back-off */
    int64_t next_send_ms;        /* monotonic; 0 = as soon as there is something */
    int64_t next_parked_ms;      /* monotonic */
    int64_t next_catch_up_ms;    /* monotonic; 0 = now */
    int64_t next_stats_ms;
    uint64_t lost_saved;         /* the value of stats.lost in state_dir/lost */
    int64_t next_loss_report_ms; /* monotonic */
    int loss_warned;             /* logged that the loss report was refused */
    uint64_t listed_seq;         /* ListEvents' last_seq when we were last caught up */
    uint64_t heartbeat_seq;      /* seq of the last heartbeat */
    int64_t last_heartbeat_ms;   /* monotonic; 0 = no heartbeat seen yet */
    int heartbeat_lost;          /* logged that heartbeats stopped */
    uint64_t synthetic_total;    /* --synthetic N; 0 = off */
    uint64_t synthetic_done;     /* synthetic samples offered so far */
    uint64_t synthetic_rate;     /* samples per second; 0 = as fast as the spool takes them */
    int64_t synthetic_start_ms;  /* monotonic, first chunk */
    int synthetic_fd;            /* state_dir/synthetic, -1 = closed */
    unsigned rand_state;
    ismo_agent_stats stats;
};

/* ---- set-up ------------------------------------------------------------------ */

ismo_err ismo_agent_new(const ismo_agent_config *cfg, ismo_agent_t **self_p)
{
    *self_p = NULL;
    ismo_agent_t *self = calloc(1, sizeof *self);
    if (!self) {
        return ISMO_ERR_NOMEM;
    }
    self->cfg = cfg;
    snprintf(self->source, sizeof self->source, "agent:%s", cfg->name);
    self->batch_cur = (size_t)cfg->batch_max_samples;
    self->backoff_ms = cfg->retry_min_ms;
    self->rand_state = (unsigned)getpid() ^ (unsigned)ismo_now_ms();
    ismo_err err = ismo_agent_state_open(cfg->state_dir, &self->state);
    char path[4096];
    if (err == ISMO_OK) {
        err = ismo_spool_open(ismo_agent_state_path(self->state, "spool", path, sizeof path),
                              (uint64_t)cfg->spool_max_bytes, &self->spool);
    }
    if (err == ISMO_OK) {
        err = ismo_spool_open(ismo_agent_state_path(self->state, "parked", path, sizeof path), 0,
                              &self->parked);
    }
    if (err == ISMO_OK &&
        (!(self->batch = ismo_spool_batch_new()) || !(self->drop_batch = ismo_spool_batch_new()))) {
        err = ISMO_ERR_NOMEM;
    }
    self->drop_oldest = cfg->spool_full && !strcmp(cfg->spool_full, "drop_oldest");
    if (err == ISMO_OK) {
        err = ismo_agent_state_counter_get(self->state, "lost", &self->stats.lost);
    }
    if (err == ISMO_OK) {
        err = ismo_agent_state_counter_get(self->state, "lost_reported", &self->stats.lost_reported);
    }
    self->lost_saved = self->stats.lost;
    self->synthetic_fd = -1;
    if (err == ISMO_OK && cfg->n_collectors > 0) {
        self->collectors = calloc(cfg->n_collectors, sizeof *self->collectors);
        err = self->collectors ? ISMO_OK : ISMO_ERR_NOMEM;
    }
    for (size_t i = 0; err == ISMO_OK && i < cfg->n_collectors; i++) {
        const ismo_agent_collector_config *c = &cfg->collectors[i];
        self->collectors[i] = ismo_collector_new(c->name, c->objective, c->command,
                                                 c->interval_s * ISMO_SECOND_MS,
                                                 c->timeout_s * ISMO_SECOND_MS);
        if (!self->collectors[i]) {
            err = ISMO_ERR_NOMEM;
        } else {
            self->n_collectors++;
        }
    }
    if (err == ISMO_OK) {
        self->client = ismo_client_new(cfg->endpoint, self->source);
        if (!self->client) {
            ISMO_ERROR("agent", "cannot set up a connection to %s", cfg->endpoint);
            err = ISMO_ERR_TRANSPORT;
        } else {
            ismo_client_set_timeout_ms(self->client, cfg->timeout_ms);
        }
    }
    if (err != ISMO_OK) {
        ismo_agent_destroy(&self);
        return err;
    }
    *self_p = self;
    return ISMO_OK;
}

void ismo_agent_destroy(ismo_agent_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    ismo_agent_t *self = *self_p;
    for (size_t i = 0; i < self->n_collectors; i++) {
        ismo_collector_destroy(&self->collectors[i]);
    }
    free(self->collectors);
    ismo_sub_destroy(&self->sub);
    ismo_client_destroy(&self->client);
    ismo_spool_batch_destroy(&self->batch);
    ismo_spool_batch_destroy(&self->drop_batch);
    if (self->synthetic_fd >= 0) {
        close(self->synthetic_fd);
    }
    ismo_spool_destroy(&self->parked);
    ismo_spool_destroy(&self->spool);
    ismo_agent_state_destroy(&self->state);
    free(self);
    *self_p = NULL;
}

void ismo_agent_get_stats(const ismo_agent_t *self, ismo_agent_stats *stats)
{
    *stats = self->stats;
    stats->spooled = ismo_spool_count(self->spool) + ismo_spool_count(self->parked);
    stats->event_seq = ismo_agent_state_event_seq(self->state);
}

static int stopping(const ismo_agent_t *self) { return self->stop && *self->stop; }

/* ---- collect ----------------------------------------------------------------- */

/* Make room under the quota by dropping the oldest spooled sample
 * (spool_full: drop_oldest). Returns 1 when one was dropped. */
static int drop_one(ismo_agent_t *self, const char *for_id)
{
    if (ismo_spool_peek(self->spool, self->drop_batch, 1) != ISMO_OK ||
        ismo_spool_batch_count(self->drop_batch) == 0) {
        return 0;
    }
    const Ismo__V1__Sample *old = ismo_spool_batch_samples(self->drop_batch)[0];
    char old_id[ISMO_MAX_SAMPLE_ID_BYTES + 1];
    char old_obj[80];
    double old_value = old->value;
    snprintf(old_id, sizeof old_id, "%s", old->sample_id ? old->sample_id : "?");
    snprintf(old_obj, sizeof old_obj, "%s", old->objective_id ? old->objective_id : "?");
    if (ismo_spool_ack(self->spool, self->drop_batch) != ISMO_OK) {
        return 0;
    }
    self->stats.dropped++;
    self->stats.lost++;
    ISMO_WARN("spool", "full (quota %" PRIu64 " bytes, policy drop_oldest): dropped oldest sample "
              "%s (%s = %.17g) to make room for %s (%" PRIu64 " dropped so far)",
              (uint64_t)self->cfg->spool_max_bytes, old_id, old_obj, old_value, for_id,
              self->stats.dropped);
    return 1;
}

/* Offer one measured value to the spool: the one path every sample takes
 * (collectors and --synthetic). With sync == 0 the caller syncs the spool
 * before relying on it. ISMO_OK when spooled; ISMO_ERR_FULL when refused by
 * the quota (counted and logged); other errors counted as collect failures. */
static ismo_err spool_sample(ismo_agent_t *self, const char *label, const char *objective,
                             double value, int64_t effective_ms, int sync, char *id_out,
                             size_t id_len)
{
    /* the quota covers both spools: parked samples count against it */
    uint64_t max = (uint64_t)self->cfg->spool_max_bytes;
    uint64_t parked = ismo_spool_live_bytes(self->parked);
    ismo_spool_set_max_bytes(self->spool, parked < max ? max - parked : 1);
    uint64_t seq = 0;
    if (ismo_agent_state_next_sample_seq(self->state, &seq) != ISMO_OK) {
        ISMO_ERROR("agent", "%s: cannot reserve a sample sequence number; value %.17g not spooled",
                   label, value);
        self->stats.collect_failed++;
        return ISMO_ERR_IO;
    }
    char sample_id[ISMO_MAX_SAMPLE_ID_BYTES + 1];
    snprintf(sample_id, sizeof sample_id, "%s:%" PRIu64, self->cfg->name, seq);
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    s.objective_id = (char *)objective;
    s.has_value = 1;
    s.value = value;
    s.has_effective_ms = 1;
    s.effective_ms = effective_ms;
    s.source = self->source;
    s.sample_id = sample_id;
    char why[256];
    if (ismo_sample_validate(&s, why, sizeof why) != ISMO_OK) {
        ISMO_WARN("agent", "%s: sample not spooled: %s", label, why);
        self->stats.collect_failed++;
        return ISMO_ERR_INVALID;
    }
    ismo_err err = ismo_spool_append(self->spool, &s, sync);
    while (err == ISMO_ERR_FULL && self->drop_oldest && drop_one(self, sample_id)) {
        err = ismo_spool_append(self->spool, &s, sync);
    }
    if (err == ISMO_ERR_FULL) {
        self->stats.refused++;
        self->stats.lost++;
        ISMO_WARN("spool", "full (%" PRIu64 " bytes waiting, parked %" PRIu64 ", quota %" PRIu64
                  "): sample %s of %s refused (%" PRIu64 " refused so far)",
                  ismo_spool_live_bytes(self->spool), parked, max, sample_id, s.objective_id,
                  self->stats.refused);
        return err;
    }
    if (err != ISMO_OK) {
        ISMO_ERROR("spool", "sample %s of %s not spooled: %s", sample_id, s.objective_id,
                   ismo_strerror(err));
        self->stats.collect_failed++;
        return err;
    }
    self->stats.collected++;
    if (id_out) {
        snprintf(id_out, id_len, "%s", sample_id);
    }
    ISMO_DEBUG("agent", "sample %s %s=%.17g spooled (%" PRIu64 " waiting)", sample_id,
               s.objective_id, value, ismo_spool_count(self->spool));
    return ISMO_OK;
}

static void collect(ismo_agent_t *self, ismo_collector_t *c)
{
    double value = 0;
    int64_t finished_ms = 0;
    if (ismo_collector_run(c, self->stop, &value, &finished_ms) != ISMO_OK) {
        self->stats.collect_failed++;
        return;
    }
    spool_sample(self, ismo_collector_name(c), ismo_collector_objective(c), value, finished_ms, 1,
                 NULL, 0);
}

/* ---- samples lost to the quota ------------------------------------------------- */

static int64_t jittered(ismo_agent_t *self, int64_t ms);

/* Persist the lost count when it changed (once per loop turn, not per loss:
 * a crash forgets at most one turn's losses). */
static void save_lost(ismo_agent_t *self)
{
    if (self->stats.lost != self->lost_saved &&
        ismo_agent_state_counter_set(self->state, "lost", self->stats.lost) == ISMO_OK) {
        self->lost_saved = self->stats.lost;
    }
}

/* Report the lost count to loss_objective when it grew since the server last
 * acknowledged it. The sample bypasses the spool (which may be what is full);
 * its id "<name>:lost:<count>" makes a re-sent report a duplicate. */
static void report_loss(ismo_agent_t *self, int force)
{
    const ismo_agent_config *cfg = self->cfg;
    int64_t now = ismo_mono_ms();
    if (!cfg->loss_objective || self->stats.lost <= self->stats.lost_reported ||
        (!force && now < self->next_loss_report_ms)) {
        return;
    }
    save_lost(self); /* what we report is on disk first */
    uint64_t lost = self->stats.lost;
    char sample_id[ISMO_MAX_SAMPLE_ID_BYTES + 1];
    snprintf(sample_id, sizeof sample_id, "%s:lost:%" PRIu64, cfg->name, lost);
    Ismo__V1__Sample s = ISMO__V1__SAMPLE__INIT;
    s.objective_id = cfg->loss_objective;
    s.has_value = 1;
    s.value = (double)lost;
    s.has_effective_ms = 1;
    s.effective_ms = ismo_now_ms();
    s.source = self->source;
    s.sample_id = sample_id;
    Ismo__V1__Sample *pp = &s;
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_push_samples(self->client, &pp, 1, &reply);
    if (err == ISMO_OK) {
        self->stats.lost_reported = lost;
        ismo_agent_state_counter_set(self->state, "lost_reported", lost);
        self->loss_warned = 0;
        ISMO_INFO("agent", "reported %" PRIu64 " samples lost to the spool quota (ever) to %s",
                  lost, cfg->loss_objective);
    } else if (err == ISMO_ERR_PARTIAL && reply && reply->push_samples &&
               reply->push_samples->n_rejected > 0) {
        const Ismo__V1__SampleRejection *r = reply->push_samples->rejected[0];
        if (!self->loss_warned) {
            ISMO_WARN("agent", "loss report (%" PRIu64 " lost) refused by the server: %s: %s; "
                      "retrying every %lld s", lost, ismo_status_name(r->code),
                      r->message ? r->message : "", (long long)cfg->not_found_retry_s);
            self->loss_warned = 1;
        }
        now = ismo_mono_ms();
        self->next_loss_report_ms = now + cfg->not_found_retry_s * ISMO_SECOND_MS;
    } else {
        ISMO_DEBUG("agent", "loss report not sent: %s", ismo_client_error(self->client));
        now = ismo_mono_ms();
        self->next_loss_report_ms = now + jittered(self, self->backoff_ms);
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
}

/* ---- synthetic load ------------------------------------------------------------ */

ismo_err ismo_agent_set_synthetic(ismo_agent_t *self, uint64_t n, uint64_t per_s)
{
    self->synthetic_rate = per_s;
    if (n > 0 && self->n_collectors == 0) {
        ISMO_ERROR("agent", "--synthetic needs at least one collector (its objective is used)");
        return ISMO_ERR_INVALID;
    }
    self->synthetic_total = n;
    self->synthetic_done = 0;
    return ISMO_OK;
}

/* Spool the next chunk of synthetic samples through spool_sample (the
 * collectors' path): objectives round-robin over the collectors, value
 * seq mod 1000 + 0.25. Each spooled sample is listed in state_dir/synthetic
 * ("<sample id>\t<objective>\t<value>") after the chunk's spool sync. */
static void synthetic_chunk(ismo_agent_t *self)
{
    if (self->synthetic_done >= self->synthetic_total) {
        return;
    }
    if (self->synthetic_fd < 0) {
        char path[4096];
        ismo_agent_state_path(self->state, "synthetic", path, sizeof path);
        self->synthetic_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (self->synthetic_fd < 0) {
            ISMO_ERROR("agent", "cannot open %s: %s; synthetic load stopped", path,
                       strerror(errno));
            self->synthetic_total = self->synthetic_done;
            return;
        }
    }
    static char lines[SYNTHETIC_CHUNK * 200];
    size_t used = 0;
    int64_t now = ismo_now_ms();
    uint64_t chunk = SYNTHETIC_CHUNK;
    if (self->synthetic_rate > 0) {
        int64_t mono = ismo_mono_ms();
        if (self->synthetic_start_ms == 0) {
            self->synthetic_start_ms = mono;
        }
        uint64_t due = self->synthetic_rate * (uint64_t)(mono - self->synthetic_start_ms) / 1000 + 1;
        chunk = due > self->synthetic_done ? due - self->synthetic_done : 0;
        chunk = chunk < SYNTHETIC_CHUNK ? chunk : SYNTHETIC_CHUNK;
        if (chunk == 0) {
            return;
        }
    }
    for (uint64_t i = 0; i < chunk && self->synthetic_done < self->synthetic_total; i++) {
        uint64_t k = self->synthetic_done++;
        ismo_collector_t *c = self->collectors[k % self->n_collectors];
        double value = (double)(k % 1000) + 0.25;
        char id[ISMO_MAX_SAMPLE_ID_BYTES + 1];
        if (spool_sample(self, "synthetic", ismo_collector_objective(c), value, now, 0, id,
                         sizeof id) == ISMO_OK) {
            int n = snprintf(lines + used, sizeof lines - used, "%s\t%s\t%.17g\n", id,
                             ismo_collector_objective(c), value);
            used += n > 0 && (size_t)n < sizeof lines - used ? (size_t)n : 0;
        }
    }
    if (ismo_spool_sync(self->spool) != ISMO_OK) {
        ISMO_ERROR("agent", "synthetic: spool sync failed");
    }
    if (used > 0 && (write(self->synthetic_fd, lines, used) != (ssize_t)used ||
                     fdatasync(self->synthetic_fd) != 0)) {
        ISMO_ERROR("agent", "synthetic: cannot write the list of spooled samples: %s",
                   strerror(errno));
    }
    if (self->synthetic_done >= self->synthetic_total) {
        ISMO_INFO("agent", "synthetic: %" PRIu64 " samples offered (%" PRIu64 " spooled, %" PRIu64
                  " refused, %" PRIu64 " dropped)", self->synthetic_total, self->stats.collected,
                  self->stats.refused, self->stats.dropped);
    }
}

static int synthetic_finished(const ismo_agent_t *self)
{
    return self->synthetic_total > 0 && self->synthetic_done >= self->synthetic_total &&
           ismo_spool_count(self->spool) == 0 && ismo_spool_count(self->parked) == 0;
}

/* ---- send -------------------------------------------------------------------- */

/* Move sample s of a batch to where the server's rejection sends it. */
static ismo_err settle_rejection(ismo_agent_t *self, const Ismo__V1__Sample *s, int code,
                                 const char *message)
{
    if (code == ISMO__V1__STATUS_CODE__NOT_FOUND) {
        ismo_err err = ismo_spool_append(self->parked, s, 0);
        int64_t now = ismo_mono_ms();
        if (self->next_parked_ms <= now) {
            /* newly parked: the objective will not appear within milliseconds */
            self->next_parked_ms = now + self->cfg->not_found_retry_s * ISMO_SECOND_MS;
        }
        if (err == ISMO_OK) {
            self->stats.parked++;
            ISMO_DEBUG("spool", "sample %s parked: %s", s->sample_id ? s->sample_id : "?",
                       message ? message : "");
        }
        return err;
    }
    ISMO_WARN("spool", "server rejected sample %s (%s = %.17g): %s: %s; kept in %s/rejected",
              s->sample_id ? s->sample_id : "?", s->objective_id ? s->objective_id : "?", s->value,
              ismo_status_name(code), message && *message ? message : "(no message)",
              self->cfg->state_dir);
    ismo_err err = ismo_agent_state_reject(self->state, s, ismo_status_name(code), message);
    if (err == ISMO_OK) {
        self->stats.rejected++;
    }
    return err;
}

/* Peek up to max_n samples of src, push them, settle the reply.
 * ISMO_OK when the batch was settled and acknowledged (or src was empty);
 * otherwise the batch stays in src. *n_sent: samples in the batch. */
static ismo_err send_batch(ismo_agent_t *self, ismo_spool_t *src, size_t max_n, size_t *n_sent)
{
    *n_sent = 0;
    ismo_err err = ismo_spool_peek(src, self->batch, max_n);
    if (err != ISMO_OK) {
        return err;
    }
    size_t n = ismo_spool_batch_count(self->batch);
    Ismo__V1__Sample **samples = ismo_spool_batch_samples(self->batch);
    *n_sent = n;
    if (n == 0) {
        return ismo_spool_ack(src, self->batch); /* only undecodable records: logged, done */
    }
    Ismo__V1__Reply *reply = NULL;
    err = ismo_push_samples(self->client, samples, n, &reply);
    const Ismo__V1__PushSamplesReply *body =
        reply && reply->body_case == ISMO__V1__REPLY__BODY_PUSH_SAMPLES ? reply->push_samples : NULL;
    if ((err == ISMO_OK || err == ISMO_ERR_PARTIAL) && (body || err == ISMO_OK)) {
        int parked_any = 0;
        ismo_err settle = ISMO_OK;
        for (size_t i = 0; body && i < body->n_rejected && settle == ISMO_OK; i++) {
            const Ismo__V1__SampleRejection *r = body->rejected[i];
            if (!r->has_index || r->index >= n) {
                ISMO_WARN("spool", "server rejected a sample index %u of a batch of %zu; ignored",
                          r->index, n);
                continue;
            }
            parked_any |= r->code == ISMO__V1__STATUS_CODE__NOT_FOUND;
            settle = settle_rejection(self, samples[r->index], r->code, r->message);
        }
        if (settle == ISMO_OK && parked_any) {
            settle = ismo_spool_sync(self->parked);
        }
        if (settle == ISMO_OK) {
            settle = ismo_spool_ack(src, self->batch);
        }
        if (body) {
            self->stats.accepted += body->accepted;
            self->stats.duplicates += body->duplicates;
            if (body->duplicates > 0) {
                ISMO_INFO("spool", "%u of %zu samples were already stored (re-sent after a lost "
                          "reply or a crash; not stored twice)", body->duplicates, n);
            }
            if ((size_t)body->accepted + body->duplicates + body->n_rejected != n) {
                ISMO_WARN("spool", "server settled %u + %u duplicates + %zu rejected of a batch of "
                          "%zu", body->accepted, body->duplicates, body->n_rejected, n);
            }
        }
        ISMO_DEBUG("spool", "batch of %zu sent: %u accepted, %u duplicates, %zu rejected", n,
                   body ? body->accepted : (unsigned)n, body ? body->duplicates : 0,
                   body ? body->n_rejected : 0);
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        return settle;
    }
    const char *msg = ismo_client_error(self->client);
    if ((err == ISMO_ERR_INVALID || err == ISMO_ERR_BAD_REQUEST) && n == 1) {
        /* the server refuses this one sample as a whole request: keep it for a human */
        ismo_err settle = settle_rejection(self, samples[0], reply ? (int)reply->code
                                                                   : ISMO__V1__STATUS_CODE__BAD_REQUEST,
                                           reply && reply->message ? reply->message : msg);
        if (settle == ISMO_OK) {
            settle = ismo_spool_ack(src, self->batch);
        }
        err = settle;
    } else if (err == ISMO_ERR_INVALID || err == ISMO_ERR_BAD_REQUEST) {
        ISMO_WARN("spool", "server refused a batch of %zu as a whole (%s); sending one by one to "
                  "find the bad sample", n, msg);
        self->isolate_left = n;
    } else if (err == ISMO_ERR_TOO_LARGE) {
        self->batch_cur = n > 1 ? n / 2 : 1;
        ISMO_WARN("spool", "server says a batch of %zu is too large (%s); batches of %zu from now",
                  n, msg, self->batch_cur);
    } else if (err == ISMO_ERR_TIMEOUT) {
        ISMO_INFO("spool", "no reply to a batch of %zu (%s); %" PRIu64 " samples kept", n, msg,
                  ismo_spool_count(src));
    } else {
        ISMO_WARN("spool", "batch of %zu not sent: %s: %s; kept", n, ismo_strerror(err), msg);
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    return err;
}

static int64_t jittered(ismo_agent_t *self, int64_t ms)
{
    int64_t half = ms / 2;
    return half + (int64_t)(rand_r(&self->rand_state) % (unsigned)(half + 1));
}

static void send_failed(ismo_agent_t *self)
{
    self->stats.send_failures++;
    int64_t delay = jittered(self, self->backoff_ms);
    self->next_send_ms = ismo_mono_ms() + delay;
    ISMO_DEBUG("spool", "next attempt in %lld ms", (long long)delay);
    self->backoff_ms *= 2;
    if (self->backoff_ms > self->cfg->retry_max_ms) {
        self->backoff_ms = self->cfg->retry_max_ms;
    }
}

/* Send the main spool until it is empty, a send fails, or budget_ms passed.
 * ISMO_OK when the spool is empty. */
static ismo_err flush_spool(ismo_agent_t *self, int64_t budget_ms)
{
    int64_t until_ms = ismo_mono_ms() + budget_ms;
    while (ismo_spool_count(self->spool) > 0) {
        size_t max_n = self->isolate_left > 0 ? 1 : self->batch_cur;
        size_t n = 0;
        ismo_err err = send_batch(self, self->spool, max_n, &n);
        if ((err == ISMO_ERR_TOO_LARGE || (err != ISMO_OK && self->isolate_left == n)) && n > 1) {
            continue; /* retry at once with the smaller batch */
        }
        if (err != ISMO_OK) {
            send_failed(self);
            return err;
        }
        if (self->isolate_left > 0) {
            self->isolate_left -= n < self->isolate_left ? n : self->isolate_left;
        }
        self->backoff_ms = self->cfg->retry_min_ms;
        self->next_send_ms = 0;
        if (ismo_mono_ms() >= until_ms || stopping(self)) {
            break;
        }
    }
    return ismo_spool_count(self->spool) == 0 ? ISMO_OK : ISMO_ERR_TIMEOUT;
}

/* Re-send the samples parked before this round once (new NOT_FOUNDs go to the tail). */
static ismo_err parked_round(ismo_agent_t *self)
{
    uint64_t left = ismo_spool_count(self->parked);
    if (left == 0) {
        return ISMO_OK;
    }
    ISMO_INFO("spool", "re-sending %" PRIu64 " samples of objectives the server did not know", left);
    while (left > 0 && !stopping(self)) {
        size_t max_n = left < self->batch_cur ? (size_t)left : self->batch_cur;
        size_t n = 0;
        ismo_err err = send_batch(self, self->parked, max_n, &n);
        if (err != ISMO_OK) {
            return err;
        }
        left -= n < left ? n : left;
        if (n == 0) {
            break;
        }
    }
    uint64_t still = ismo_spool_count(self->parked);
    if (still > 0) {
        ISMO_WARN("spool", "%" PRIu64 " samples still wait for their objectives to be imported "
                  "(kept in %s); next try in %lld s", still, ismo_spool_path(self->parked),
                  (long long)self->cfg->not_found_retry_s);
    }
    return ISMO_OK;
}

/* ---- events ------------------------------------------------------------------ */

/* The EventKind to ask ListEvents for: the one subscribed kind, or 0 = all. */
static int list_kind(const ismo_agent_config *cfg)
{
    int kind = 0;
    for (int k = 1; k < 32; k++) {
        if (cfg->kinds_mask & (1u << k)) {
            if (kind != 0) {
                return 0;
            }
            kind = k;
        }
    }
    return kind;
}

/* Ask for events after the cursor and run the hook for new ones of our
 * function and kinds. Returns 1 when more may be waiting, 0 when caught up,
 * -1 on a failed request. */
static int catch_up(ismo_agent_t *self)
{
    const ismo_agent_config *cfg = self->cfg;
    uint64_t cursor = ismo_agent_state_event_seq(self->state);
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_list_events(self->client, cursor, EVENTS_PER_REQUEST, cfg->function,
                                    list_kind(cfg), &reply);
    if (err != ISMO_OK || !reply || reply->body_case != ISMO__V1__REPLY__BODY_LIST_EVENTS) {
        ISMO_DEBUG("agent", "event catch-up failed: %s", ismo_client_error(self->client));
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        return -1;
    }
    const Ismo__V1__ListEventsReply *body = reply->list_events;
    int64_t oldest_ms = cfg->max_event_age_s > 0
                            ? ismo_now_ms() - cfg->max_event_age_s * ISMO_SECOND_MS
                            : INT64_MIN;
    int hooks = 0;
    int more = body->has_more && body->more;
    uint64_t last = cursor;
    size_t i = 0;
    for (; i < body->n_events && !stopping(self); i++) {
        const Ismo__V1__Event *e = body->events[i];
        if (e->seq <= last) {
            continue; /* already handled */
        }
        if (hooks >= ISMO_AGENT_HOOKS_PER_TURN) {
            more = 1;
            break;
        }
        int ours = e->function && !strcmp(e->function, cfg->function) && e->kind > 0 &&
                   e->kind < 32 && (cfg->kinds_mask & (1u << e->kind));
        if (ours && e->time_ms < oldest_ms) {
            char when[32];
            ISMO_INFO("hook", "seq=%" PRIu64 " %s %s of %s is older than max_event_age_s; no hook",
                      e->seq, ismo_event_kind_topic(e->kind), e->objective_id ? e->objective_id : "",
                      ismo_time_format_ms(e->time_ms, when, sizeof when));
        } else if (ours) {
            ismo_err herr = ismo_hook_run(cfg->hook, cfg->hook_timeout_s * ISMO_SECOND_MS, e,
                                          cfg->name, self->stop);
            if (herr == ISMO_ERR_INTERRUPTED) {
                break; /* stopped in the middle: run it again next start */
            }
            self->stats.hooks_run++;
            hooks++;
            if (herr != ISMO_OK) {
                self->stats.hooks_failed++;
            }
            if (ismo_agent_state_set_event_seq(self->state, e->seq) != ISMO_OK) {
                ISMO_ERROR("agent", "cannot persist the event cursor %" PRIu64 "; the hook may run "
                           "again for it after a restart", e->seq);
            }
        }
        last = e->seq;
    }
    if (i < body->n_events) {
        more = 1;
    }
    if (last != ismo_agent_state_event_seq(self->state)) {
        ismo_agent_state_set_event_seq(self->state, last);
    }
    if (!more && body->has_last_seq && body->last_seq > self->listed_seq) {
        /* everything up to last_seq that is ours has been handled */
        self->listed_seq = body->last_seq;
    }
    ismo__v1__reply__free_unpacked(reply, NULL);
    return more ? 1 : 0;
}

static ismo_err subscribe(ismo_agent_t *self)
{
    const ismo_agent_config *cfg = self->cfg;
    self->sub = ismo_sub_new(cfg->pub_endpoint);
    if (!self->sub) {
        ISMO_ERROR("agent", "cannot subscribe to %s", cfg->pub_endpoint);
        return ISMO_ERR_TRANSPORT;
    }
    const char *words[] = {"status", "reminder", "objective"};
    const int kinds[] = {ISMO__V1__EVENT_KIND__STATUS_CHANGED, ISMO__V1__EVENT_KIND__REMINDER,
                         ISMO__V1__EVENT_KIND__OBJECTIVE_CHANGED};
    for (int i = 0; i < 3; i++) {
        if (cfg->kinds_mask & (1u << kinds[i])) {
            char prefix[128];
            ismo_topic_prefix(words[i], cfg->function, prefix, sizeof prefix);
            if (ismo_sub_subscribe(self->sub, prefix) != ISMO_OK) {
                return ISMO_ERR_TRANSPORT;
            }
            ISMO_INFO("agent", "subscribed to \"%s\" on %s", prefix, cfg->pub_endpoint);
        }
    }
    /* the heartbeat carries the newest stored seq: a gap or a dead connection shows */
    if (ismo_sub_subscribe(self->sub, HEARTBEAT_PREFIX) != ISMO_OK) {
        return ISMO_ERR_TRANSPORT;
    }
    return ISMO_OK;
}

/* No heartbeat for heartbeat_timeout_s after one was seen: the SUB
 * connection may be dead without anyone having said so (a silently dropped
 * TCP connection, a NAT that forgot it). Close it, connect a new one and
 * catch up by ListEvents. */
static void check_heartbeat(ismo_agent_t *self)
{
    int64_t limit_ms = self->cfg->heartbeat_timeout_s * ISMO_SECOND_MS;
    if (!self->sub || limit_ms <= 0 || self->last_heartbeat_ms == 0) {
        return; /* off, or the server publishes no heartbeat (older ismod) */
    }
    int64_t now = ismo_mono_ms();
    if (now - self->last_heartbeat_ms < limit_ms) {
        return;
    }
    if (!self->heartbeat_lost) {
        ISMO_WARN("agent", "no heartbeat on %s for %lld ms (last seq %" PRIu64 "); reconnecting "
                  "the subscription and catching up", self->cfg->pub_endpoint,
                  (long long)(now - self->last_heartbeat_ms), self->heartbeat_seq);
        self->heartbeat_lost = 1;
    } else {
        ISMO_DEBUG("agent", "still no heartbeat; reconnecting the subscription again");
    }
    ismo_sub_destroy(&self->sub);
    if (subscribe(self) != ISMO_OK) {
        ismo_sub_destroy(&self->sub);
        ISMO_ERROR("agent", "cannot re-subscribe to %s; events only by catch-up every %lld s",
                   self->cfg->pub_endpoint, (long long)self->cfg->catch_up_s);
    }
    self->last_heartbeat_ms = now; /* next check one timeout later */
    self->next_catch_up_ms = 0;
}

/* Read everything waiting on the SUB socket. An event is a doorbell; a
 * heartbeat ("heartbeat." topic, Event.seq = newest stored seq) is one only
 * when its seq is above what we have handled or listed (a gap: something
 * was published that we did not get). Returns 1 when a catch-up is due. */
static int drain_sub(ismo_agent_t *self)
{
    void *sock = ismo_sub_socket(self->sub);
    int ring = 0;
    for (;;) {
        char topic[64] = "";
        int parts = 0;
        Ismo__V1__Event *e = NULL;
        for (;;) {
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, sock, parts == 0 ? ZMQ_DONTWAIT : 0) < 0) {
                zmq_msg_close(&msg);
                return ring;
            }
            size_t len = zmq_msg_size(&msg);
            if (parts == 0) {
                len = len < sizeof topic - 1 ? len : sizeof topic - 1;
                memcpy(topic, zmq_msg_data(&msg), len);
                topic[len] = 0;
            }
            int more = zmq_msg_more(&msg);
            if (parts == 1 && !more) {
                ismo_codec_decode_event((const uint8_t *)zmq_msg_data(&msg), zmq_msg_size(&msg),
                                        &e);
            }
            parts++;
            zmq_msg_close(&msg);
            if (!more) {
                break;
            }
        }
        if (!strncmp(topic, HEARTBEAT_PREFIX, strlen(HEARTBEAT_PREFIX))) {
            uint64_t seq = e ? e->seq : 0;
            if (self->heartbeat_lost) {
                ISMO_INFO("agent", "heartbeat back on %s (seq %" PRIu64 ")",
                          self->cfg->pub_endpoint, seq);
                self->heartbeat_lost = 0;
            }
            self->last_heartbeat_ms = ismo_mono_ms();
            self->heartbeat_seq = seq;
            uint64_t have = ismo_agent_state_event_seq(self->state);
            have = have > self->listed_seq ? have : self->listed_seq;
            if (seq > have) {
                ISMO_DEBUG("agent", "heartbeat seq %" PRIu64 " > %" PRIu64 ": catching up", seq,
                           have);
                ring = 1;
            }
        } else {
            if (e) {
                ISMO_DEBUG("agent", "published: seq=%" PRIu64 " %s %s", e->seq,
                           ismo_event_kind_topic(e->kind), e->objective_id ? e->objective_id : "");
            }
            ring = 1; /* an undecodable frame is still a reason to ask */
        }
        if (e) {
            ismo__v1__event__free_unpacked(e, NULL);
        }
    }
}

static void maybe_catch_up(ismo_agent_t *self, int force)
{
    if (!self->cfg->hook || !self->cfg->kinds_mask) {
        return;
    }
    int64_t now = ismo_mono_ms();
    if (!force && now < self->next_catch_up_ms) {
        return;
    }
    int rc = catch_up(self);
    if (rc > 0) {
        self->next_catch_up_ms = 0; /* more waiting: next turn */
    } else if (rc < 0) {
        int64_t retry = self->cfg->catch_up_s * ISMO_SECOND_MS;
        int64_t quick = self->backoff_ms < retry ? self->backoff_ms : retry;
        self->next_catch_up_ms = ismo_mono_ms() + jittered(self, quick);
    } else {
        self->next_catch_up_ms = ismo_mono_ms() + self->cfg->catch_up_s * ISMO_SECOND_MS;
    }
}

/* ---- the loop ---------------------------------------------------------------- */

static void log_stats(ismo_agent_t *self, const char *what)
{
    ismo_agent_stats st;
    ismo_agent_get_stats(self, &st);
    ISMO_INFO("agent", "%s: collected %" PRIu64 " (failed %" PRIu64 ", refused %" PRIu64
              "), accepted %" PRIu64 ", duplicates %" PRIu64 ", rejected %" PRIu64
              ", parked %" PRIu64 ", dropped %" PRIu64 ", lost ever %" PRIu64 " (reported %" PRIu64
              "), waiting %" PRIu64 " (spool %" PRIu64 " bytes), hooks %" PRIu64
              " (failed %" PRIu64 "), event cursor %" PRIu64,
              what, st.collected, st.collect_failed, st.refused, st.accepted, st.duplicates,
              st.rejected, st.parked, st.dropped, st.lost, st.lost_reported, st.spooled, ismo_spool_live_bytes(self->spool),
              st.hooks_run, st.hooks_failed, st.event_seq);
}

static void log_start(ismo_agent_t *self, const char *mode)
{
    const ismo_agent_config *cfg = self->cfg;
    ISMO_INFO("agent", "%s (function %s) %s: %zu collectors, endpoint %s, state_dir %s, "
              "%" PRIu64 " samples waiting, %" PRIu64 " parked, hook %s",
              cfg->name, cfg->function, mode, self->n_collectors, cfg->endpoint, cfg->state_dir,
              ismo_spool_count(self->spool), ismo_spool_count(self->parked),
              cfg->hook && cfg->kinds_mask ? cfg->hook : "(none)");
}

ismo_err ismo_agent_run(ismo_agent_t *self, const volatile sig_atomic_t *stop)
{
    self->stop = stop;
    const ismo_agent_config *cfg = self->cfg;
    if (cfg->hook && cfg->kinds_mask) {
        ismo_err err = subscribe(self);
        if (err != ISMO_OK) {
            return err;
        }
    }
    log_start(self, "started");
    int64_t now = ismo_mono_ms();
    self->next_parked_ms = now; /* parked samples from before: try once at start */
    self->next_catch_up_ms = 0;
    self->next_stats_ms = now + STATS_LOG_MS;
    while (!*stop) {
        if (self->synthetic_total > 0) {
            synthetic_chunk(self); /* instead of the collectors */
        }
        for (size_t i = 0; i < self->n_collectors && !*stop && self->synthetic_total == 0; i++) {
            if (ismo_mono_ms() >= ismo_collector_next_due_ms(self->collectors[i])) {
                collect(self, self->collectors[i]);
            }
        }
        now = ismo_mono_ms();
        if (!*stop && ismo_spool_count(self->spool) > 0 && now >= self->next_send_ms) {
            flush_spool(self, SEND_TURN_MS);
        }
        now = ismo_mono_ms();
        if (!*stop && ismo_spool_count(self->parked) > 0 && now >= self->next_parked_ms &&
            now >= self->next_send_ms) {
            if (parked_round(self) != ISMO_OK) {
                send_failed(self);
            }
            self->next_parked_ms = ismo_mono_ms() + cfg->not_found_retry_s * ISMO_SECOND_MS;
        }
        save_lost(self);
        if (!*stop && ismo_spool_count(self->spool) == 0) {
            report_loss(self, 0); /* the server answers: tell it what was lost */
        }
        if (!*stop) {
            check_heartbeat(self);
            maybe_catch_up(self, 0);
        }
        if (synthetic_finished(self)) {
            ISMO_INFO("agent", "synthetic: all %" PRIu64 " samples settled; exiting",
                      self->synthetic_total);
            break;
        }
        now = ismo_mono_ms();
        if (now >= self->next_stats_ms) {
            log_stats(self, "counters");
            self->next_stats_ms = now + STATS_LOG_MS;
        }
        /* sleep until the earliest timer, or an event on the SUB socket */
        int64_t wake = now + LOOP_MAX_WAIT_MS;
        if (self->synthetic_done < self->synthetic_total) {
            wake = self->synthetic_rate > 0 ? now + 20 : now;
        }
        for (size_t i = 0; i < self->n_collectors && self->synthetic_total == 0; i++) {
            int64_t due = ismo_collector_next_due_ms(self->collectors[i]);
            wake = due < wake ? due : wake;
        }
        if (ismo_spool_count(self->spool) > 0 && self->next_send_ms < wake) {
            wake = self->next_send_ms;
        }
        if (self->sub && self->next_catch_up_ms < wake) {
            wake = self->next_catch_up_ms;
        }
        int64_t wait_ms = wake - ismo_mono_ms();
        wait_ms = wait_ms < 0 ? 0 : wait_ms;
        if (*stop) {
            break;
        }
        zmq_pollitem_t item = {self->sub ? ismo_sub_socket(self->sub) : NULL, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, self->sub ? 1 : 0, (long)wait_ms);
        if (rc > 0 && self->sub && (item.revents & ZMQ_POLLIN) && drain_sub(self) > 0) {
            self->next_catch_up_ms = 0; /* something was published: ask for it */
        }
    }
    /* stop: try to send what is spooled within a short, bounded time */
    if (ismo_spool_count(self->spool) > 0) {
        int64_t t = cfg->timeout_ms < ISMO_AGENT_STOP_FLUSH_MS ? cfg->timeout_ms
                                                              : ISMO_AGENT_STOP_FLUSH_MS;
        ismo_client_set_timeout_ms(self->client, t);
        self->isolate_left = 0;
        self->stop = NULL; /* the stop already happened; flush_spool is bounded by its budget */
        flush_spool(self, ISMO_AGENT_STOP_FLUSH_MS);
        ismo_client_set_timeout_ms(self->client, cfg->timeout_ms);
    }
    save_lost(self);
    log_stats(self, "stopped");
    return ISMO_OK;
}

ismo_err ismo_agent_run_once(ismo_agent_t *self, const volatile sig_atomic_t *stop)
{
    self->stop = stop;
    log_start(self, "once");
    while (self->synthetic_done < self->synthetic_total && !stopping(self)) {
        synthetic_chunk(self);
    }
    for (size_t i = 0; i < self->n_collectors && !stopping(self) && self->synthetic_total == 0;
         i++) {
        collect(self, self->collectors[i]);
    }
    ismo_err err = ISMO_OK;
    while (ismo_spool_count(self->spool) > 0 && err == ISMO_OK && !stopping(self)) {
        size_t max_n = self->isolate_left > 0 ? 1 : self->batch_cur;
        size_t n = 0;
        err = send_batch(self, self->spool, max_n, &n);
        if ((err == ISMO_ERR_TOO_LARGE || (err != ISMO_OK && self->isolate_left == n)) && n > 1) {
            err = ISMO_OK;
        } else if (err == ISMO_OK && self->isolate_left > 0) {
            self->isolate_left -= n < self->isolate_left ? n : self->isolate_left;
        }
    }
    if (err == ISMO_OK && !stopping(self)) {
        err = parked_round(self);
    }
    save_lost(self);
    if (err == ISMO_OK && !stopping(self)) {
        report_loss(self, 1);
    }
    if (err == ISMO_OK && self->cfg->hook && self->cfg->kinds_mask) {
        int rc;
        int rounds = 0;
        while ((rc = catch_up(self)) > 0 && !stopping(self) && ++rounds < 1000) {
        }
        if (rc < 0) {
            ISMO_WARN("agent", "event catch-up failed: %s", ismo_client_error(self->client));
        }
    }
    log_stats(self, "done");
    if (ismo_spool_count(self->spool) > 0) {
        return err != ISMO_OK ? err : ISMO_ERR_TIMEOUT;
    }
    if (ismo_spool_count(self->parked) > 0) {
        return ISMO_ERR_NOT_FOUND;
    }
    return err;
}
