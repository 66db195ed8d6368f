/* proc: run a shell command in its own process group with a time-out.
 *
 * Owns: the child it spawns, until it has reaped it. Does not own: signal
 * handling of the agent (no SIGCHLD handler; we poll waitpid(pid, WNOHANG)
 * every few ms while reading the child's stdout), the meaning of the output
 * (collector.c parses it), or the environment contents (hook.c builds them).
 * Runs on the agent's one thread. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ismo_time.h"

extern char **environ;

/* How often waitpid is polled while the child runs, ms. */
#define PROC_POLL_MS 10

/* Build environ + overrides. Returns a malloc'ed array of borrowed strings. */
static char **merge_env(const char *const *env)
{
    size_t n_base = 0;
    size_t n_add = 0;
    while (environ && environ[n_base]) {
        n_base++;
    }
    while (env[n_add]) {
        n_add++;
    }
    char **out = calloc(n_base + n_add + 1, sizeof *out);
    if (!out) {
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_base; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t name_len = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        int overridden = 0;
        for (size_t j = 0; j < n_add && !overridden; j++) {
            if (strncmp(env[j], environ[i], name_len) == 0 && env[j][name_len] == '=') {
                overridden = 1;
            }
        }
        if (!overridden) {
            out[k++] = environ[i];
        }
    }
    for (size_t j = 0; j < n_add; j++) {
        out[k++] = (char *)env[j];
    }
    out[k] = NULL;
    return out;
}

/* Read what is available from fd into out; returns 0 on EOF/error (close it). */
static int drain(int fd, char *out, size_t out_len, ismo_proc_result *r)
{
    char scratch[4096];
    for (;;) {
        char *dst = scratch;
        size_t room = sizeof scratch;
        if (out && r->out_bytes + 1 < out_len) {
            dst = out + r->out_bytes;
            room = out_len - 1 - r->out_bytes;
        }
        ssize_t n = read(fd, dst, room);
        if (n > 0) {
            if (dst != scratch) {
                r->out_bytes += (size_t)n;
                out[r->out_bytes] = '\0';
            }
            r->out_total_bytes += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 1;
        }
        return 0; /* EOF or error */
    }
}

ismo_err ismo_proc_run(const char *command, const char *const *env, int64_t timeout_ms, char *out,
                       size_t out_len, const volatile sig_atomic_t *stop, ismo_proc_result *r)
{
    memset(r, 0, sizeof *r);
    if (!command || !*command || timeout_ms <= 0 || (out && out_len == 0)) {
        return ISMO_ERR_INVALID;
    }
    if (out) {
        out[0] = '\0';
    }
    char **envp = environ;
    if (env) {
        envp = merge_env(env);
        if (!envp) {
            return ISMO_ERR_NOMEM;
        }
    }
    int fds[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    sigset_t all;
    sigset_t none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    int spawn_rc = 0;
    if (out) {
        if (pipe2(fds, O_CLOEXEC) != 0) {
            spawn_rc = errno;
        } else {
            posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        }
    }
    int64_t start_ms = ismo_mono_ms();
    pid_t pid = -1;
    if (spawn_rc == 0) {
        char *argv[] = {"sh", "-c", (char *)command, NULL};
        spawn_rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, envp);
    }
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (envp != environ) {
        free(envp);
    }
    if (fds[1] >= 0) {
        close(fds[1]);
    }
    if (spawn_rc != 0) {
        if (fds[0] >= 0) {
            close(fds[0]);
        }
        r->end = ISMO_PROC_SPAWN_FAILED;
        snprintf(r->why, sizeof r->why, "cannot start /bin/sh: %s", strerror(spawn_rc));
        return ISMO_OK;
    }
    int rfd = fds[0];
    if (rfd >= 0) {
        fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK);
    }
    int64_t deadline_ms = start_ms + timeout_ms;
    int status = 0;
    int reaped = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            reaped = 1;
            break;
        }
        if (w < 0 && errno != EINTR) {
            break; /* cannot happen for our own child; treat as gone */
        }
        if (stop && *stop) {
            r->end = ISMO_PROC_STOPPED;
            break;
        }
        int64_t left_ms = deadline_ms - ismo_mono_ms();
        if (left_ms <= 0) {
            r->end = ISMO_PROC_TIMED_OUT;
            break;
        }
        int wait_ms = left_ms < PROC_POLL_MS ? (int)left_ms : PROC_POLL_MS;
        if (rfd >= 0) {
            struct pollfd p = {rfd, POLLIN, 0};
            if (poll(&p, 1, wait_ms) > 0 && !drain(rfd, out, out_len, r)) {
                close(rfd);
                rfd = -1;
            }
        } else {
            poll(NULL, 0, wait_ms);
        }
    }
    if (!reaped) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    } else if (WIFEXITED(status)) {
        r->end = ISMO_PROC_EXITED;
        r->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r->end = ISMO_PROC_SIGNALED;
        r->term_signal = WTERMSIG(status);
    }
    if (rfd >= 0) {
        /* what the command wrote before it ended; children it left behind
         * may keep the pipe open, so take only what is there now */
        drain(rfd, out, out_len, r);
        close(rfd);
    }
    r->elapsed_ms = ismo_mono_ms() - start_ms;
    return ISMO_OK;
}

char *ismo_proc_describe(const ismo_proc_result *r, char *buf, size_t len)
{
    switch (r->end) {
    case ISMO_PROC_EXITED:
        snprintf(buf, len, "exit status %d", r->exit_code);
        break;
    case ISMO_PROC_SIGNALED:
        snprintf(buf, len, "killed by signal %d", r->term_signal);
        break;
    case ISMO_PROC_TIMED_OUT:
        snprintf(buf, len, "timed out after %lld ms (process group killed)",
                 (long long)r->elapsed_ms);
        break;
    case ISMO_PROC_STOPPED:
        snprintf(buf, len, "stopped by the agent's shutdown (process group killed)");
        break;
    case ISMO_PROC_SPAWN_FAILED:
    default:
        snprintf(buf, len, "not started: %s", r->why);
        break;
    }
    return buf;
}
