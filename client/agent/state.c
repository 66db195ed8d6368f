/* state: lock, counters and the rejected-samples file in the agent's state_dir.
 *
 * Owns: the lock file descriptor, the sample sequence block, the last event
 * seq, the rejected file. Does not own: the spool files (spool.c), what the
 * numbers mean to the server. Runs on the agent's one thread. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ismo_log.h"
#include "ismo_time.h"

struct ismo_agent_state {
    char *dir;
    int lock_fd;
    uint64_t next_seq;   /* next sample seq to hand out */
    uint64_t limit_seq;  /* durable: seqs < limit_seq may have been used */
    uint64_t event_seq;
};

char *ismo_agent_state_path(const ismo_agent_state_t *self, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", self->dir, name);
    return buf;
}

static int mkdir_p(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
                return -1;
            }
            *p = '/';
        }
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
        return -1;
    }
    return 0;
}

/* Read a decimal counter; missing file = 0. 0 ok, -1 I/O, -2 parse. */
static int read_counter(const char *path, uint64_t *value)
{
    *value = 0;
    FILE *f = fopen(path, "re");
    if (!f) {
        return errno == ENOENT ? 0 : -1;
    }
    char line[64] = "";
    int rc = 0;
    if (!fgets(line, sizeof line, f)) {
        rc = ferror(f) ? -1 : -2;
    } else {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(line, &end, 10);
        if (end == line || errno || (*end != '\n' && *end != '\0')) {
            rc = -2;
        } else {
            *value = v;
        }
    }
    fclose(f);
    return rc;
}

static int write_counter(ismo_agent_state_t *self, const char *name, uint64_t value)
{
    char path[4096];
    char tmp[4200];
    ismo_agent_state_path(self, name, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        ISMO_ERROR("agent", "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    char line[32];
    int n = snprintf(line, sizeof line, "%" PRIu64 "\n", value);
    int rc = write(fd, line, (size_t)n) == n ? fsync(fd) : -1;
    close(fd);
    if (rc == 0) {
        rc = rename(tmp, path);
    }
    if (rc != 0) {
        ISMO_ERROR("agent", "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    int dfd = open(self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

ismo_err ismo_agent_state_open(const char *dir, ismo_agent_state_t **self_p)
{
    *self_p = NULL;
    ismo_agent_state_t *self = calloc(1, sizeof *self);
    if (!self) {
        return ISMO_ERR_NOMEM;
    }
    self->lock_fd = -1;
    self->dir = strdup(dir);
    if (!self->dir) {
        free(self);
        return ISMO_ERR_NOMEM;
    }
    if (mkdir_p(dir) != 0) {
        ISMO_ERROR("agent", "cannot create state_dir %s: %s", dir, strerror(errno));
        ismo_agent_state_destroy(&self);
        return ISMO_ERR_IO;
    }
    char path[4096];
    self->lock_fd = open(ismo_agent_state_path(self, "lock", path, sizeof path),
                         O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (self->lock_fd < 0) {
        ISMO_ERROR("agent", "cannot open %s: %s", path, strerror(errno));
        ismo_agent_state_destroy(&self);
        return ISMO_ERR_IO;
    }
    if (flock(self->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        ISMO_ERROR("agent", "state_dir %s is in use by another ismo-agent (lock %s held)", dir,
                   path);
        ismo_agent_state_destroy(&self);
        return ISMO_ERR_LOCKED;
    }
    const char *names[2] = {"sample_seq", "event_seq"};
    uint64_t *values[2] = {&self->limit_seq, &self->event_seq};
    for (int i = 0; i < 2; i++) {
        int rc = read_counter(ismo_agent_state_path(self, names[i], path, sizeof path), values[i]);
        if (rc != 0) {
            ISMO_ERROR("agent", "%s: %s", path,
                       rc == -2 ? "not a decimal number (fix or remove it)" : strerror(errno));
            ismo_agent_state_destroy(&self);
            return rc == -2 ? ISMO_ERR_PARSE : ISMO_ERR_IO;
        }
    }
    if (self->limit_seq > 0) {
        self->next_seq = self->limit_seq;
    } else {
        /* a new (or lost) state_dir: start above anything an earlier
         * incarnation of this agent name can have used, so the server never
         * takes a new measurement for a duplicate of an old one */
        int64_t now_ms = ismo_now_ms();
        self->next_seq = now_ms > 0 ? (uint64_t)now_ms * ISMO_STATE_SEQ_PER_MS : 1;
        ISMO_INFO("agent", "new state_dir %s: sample sequence starts at %" PRIu64, dir,
                  self->next_seq);
    }
    *self_p = self;
    return ISMO_OK;
}

void ismo_agent_state_destroy(ismo_agent_state_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    ismo_agent_state_t *self = *self_p;
    if (self->lock_fd >= 0) {
        close(self->lock_fd); /* releases the flock */
    }
    free(self->dir);
    free(self);
    *self_p = NULL;
}

ismo_err ismo_agent_state_next_sample_seq(ismo_agent_state_t *self, uint64_t *seq)
{
    if (self->next_seq >= self->limit_seq) {
        uint64_t limit = self->next_seq + ISMO_STATE_SEQ_BLOCK;
        if (write_counter(self, "sample_seq", limit) != 0) {
            return ISMO_ERR_IO;
        }
        self->limit_seq = limit;
    }
    *seq = self->next_seq++;
    return ISMO_OK;
}

uint64_t ismo_agent_state_event_seq(const ismo_agent_state_t *self) { return self->event_seq; }

ismo_err ismo_agent_state_set_event_seq(ismo_agent_state_t *self, uint64_t seq)
{
    if (write_counter(self, "event_seq", seq) != 0) {
        return ISMO_ERR_IO;
    }
    self->event_seq = seq;
    return ISMO_OK;
}

/* Copy s into buf with tabs and newlines replaced by spaces. */
static const char *one_field(const char *s, char *buf, size_t len)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < len; i++) {
        buf[i] = (s[i] == '\t' || s[i] == '\n' || s[i] == '\r') ? ' ' : s[i];
    }
    buf[i] = '\0';
    return buf;
}

ismo_err ismo_agent_state_reject(ismo_agent_state_t *self, const Ismo__V1__Sample *s,
                                 const char *code, const char *message)
{
    char path[4096];
    int fd = open(ismo_agent_state_path(self, "rejected", path, sizeof path),
                  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        ISMO_ERROR("agent", "cannot open %s: %s", path, strerror(errno));
        return ISMO_ERR_IO;
    }
    char now[32];
    char eff[32];
    char id[160];
    char obj[96];
    char msg[512];
    char line[1024];
    int n = snprintf(line, sizeof line, "%s\t%s\t%s\t%.17g\t%s\t%s\t%s\n",
                     ismo_time_format_ms(ismo_now_ms(), now, sizeof now),
                     one_field(s->sample_id, id, sizeof id),
                     one_field(s->objective_id, obj, sizeof obj), s->value,
                     ismo_time_format_ms(s->effective_ms, eff, sizeof eff), code,
                     one_field(message, msg, sizeof msg));
    if (n >= (int)sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    ismo_err err = ISMO_OK;
    if (write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
        ISMO_ERROR("agent", "cannot append to %s: %s", path, strerror(errno));
        err = ISMO_ERR_IO;
    }
    close(fd);
    return err;
}

ismo_err ismo_agent_state_counter_get(ismo_agent_state_t *self, const char *name, uint64_t *value)
{
    char path[4096];
    int rc = read_counter(ismo_agent_state_path(self, name, path, sizeof path), value);
    if (rc == -2) {
        ISMO_ERROR("agent", "%s is not a number; fix or remove it", path);
        return ISMO_ERR_PARSE;
    }
    return rc == 0 ? ISMO_OK : ISMO_ERR_IO;
}

ismo_err ismo_agent_state_counter_set(ismo_agent_state_t *self, const char *name, uint64_t value)
{
    return write_counter(self, name, value) == 0 ? ISMO_OK : ISMO_ERR_IO;
}
