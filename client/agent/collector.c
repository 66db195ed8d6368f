/* collector: run a measurement command on a schedule and parse its output.
 *
 * Owns: a copy of its configuration, its schedule (monotonic ms) and run
 * counters. Does not own: processes (proc.c), samples and sequence numbers
 * (agent.c), the spool. Runs on the agent's one thread; a run blocks that
 * thread for at most the collector's time-out. */
#include "collector.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ismo_log.h"
#include "ismo_time.h"
#include "proc.h"

struct ismo_collector {
    char *name;
    char *objective_id;
    char *command;
    int64_t interval_ms;
    int64_t timeout_ms;
    int64_t next_due_ms;
    uint64_t runs;
    uint64_t failures;
};

ismo_collector_t *ismo_collector_new(const char *name, const char *objective_id,
                                     const char *command, int64_t interval_ms,
                                     int64_t timeout_ms)
{
    if (!name || !objective_id || !command || !*command || interval_ms <= 0 || timeout_ms <= 0) {
        return NULL;
    }
    ismo_collector_t *self = calloc(1, sizeof *self);
    if (!self) {
        return NULL;
    }
    self->name = strdup(name);
    self->objective_id = strdup(objective_id);
    self->command = strdup(command);
    self->interval_ms = interval_ms;
    self->timeout_ms = timeout_ms;
    self->next_due_ms = ismo_mono_ms();
    if (!self->name || !self->objective_id || !self->command) {
        ismo_collector_destroy(&self);
    }
    return self;
}

void ismo_collector_destroy(ismo_collector_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    ismo_collector_t *self = *self_p;
    free(self->name);
    free(self->objective_id);
    free(self->command);
    free(self);
    *self_p = NULL;
}

const char *ismo_collector_name(const ismo_collector_t *self) { return self->name; }
const char *ismo_collector_objective(const ismo_collector_t *self) { return self->objective_id; }
int64_t ismo_collector_next_due_ms(const ismo_collector_t *self) { return self->next_due_ms; }
uint64_t ismo_collector_runs(const ismo_collector_t *self) { return self->runs; }
uint64_t ismo_collector_failures(const ismo_collector_t *self) { return self->failures; }

ismo_err ismo_collector_parse_value(const char *text, double *value)
{
    if (!text) {
        return ISMO_ERR_PARSE;
    }
    while (isspace((unsigned char)*text)) {
        text++;
    }
    if (!*text) {
        return ISMO_ERR_PARSE;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno == ERANGE) {
        return ISMO_ERR_PARSE;
    }
    while (isspace((unsigned char)*end)) {
        end++;
    }
    if (*end != '\0' || !isfinite(v)) {
        return ISMO_ERR_PARSE;
    }
    *value = v;
    return ISMO_OK;
}

/* Printable first bytes of out for a log line: control characters as '.'. */
static void excerpt(const char *out, char *buf, size_t len)
{
    size_t i = 0;
    for (; out[i] && i + 1 < len && i < 60; i++) {
        unsigned char c = (unsigned char)out[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '.' : (char)c;
    }
    buf[i] = '\0';
}

ismo_err ismo_collector_run(ismo_collector_t *self, const volatile sig_atomic_t *stop,
                            double *value, int64_t *finished_ms)
{
    char out[ISMO_COLLECTOR_MAX_OUTPUT_BYTES];
    ismo_proc_result r;
    int64_t now_ms = ismo_mono_ms();
    self->next_due_ms += self->interval_ms;
    if (self->next_due_ms <= now_ms) {
        self->next_due_ms = now_ms + self->interval_ms;
    }
    self->runs++;
    ismo_err err = ismo_proc_run(self->command, NULL, self->timeout_ms, out, sizeof out, stop, &r);
    *finished_ms = ismo_now_ms();
    if (err != ISMO_OK) {
        self->failures++;
        ISMO_WARN("collector", "%s: cannot run: %s", self->name, ismo_strerror(err));
        return err;
    }
    char how[160];
    char shown[64];
    ismo_proc_describe(&r, how, sizeof how);
    excerpt(out, shown, sizeof shown);
    if (r.end == ISMO_PROC_STOPPED) {
        self->failures++;
        ISMO_INFO("collector", "%s: %s", self->name, how);
        return ISMO_ERR_INTERRUPTED;
    }
    if (r.end != ISMO_PROC_EXITED || r.exit_code != 0) {
        self->failures++;
        ISMO_WARN("collector", "%s: command failed (%s), no sample; output: \"%s\"", self->name,
                  how, shown);
        return r.end == ISMO_PROC_TIMED_OUT ? ISMO_ERR_TIMEOUT : ISMO_ERR_IO;
    }
    if (r.out_total_bytes > r.out_bytes || ismo_collector_parse_value(out, value) != ISMO_OK) {
        self->failures++;
        ISMO_WARN("collector",
                  "%s: output is not one finite number (%s, %zu bytes), no sample: \"%s\"",
                  self->name, how, r.out_total_bytes, shown);
        return ISMO_ERR_PARSE;
    }
    ISMO_DEBUG("collector", "%s: %s = %.17g (%lld ms)", self->name, self->objective_id, *value,
               (long long)r.elapsed_ms);
    return ISMO_OK;
}
