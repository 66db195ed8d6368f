/* config: the ismo-agent configuration file (YAML) as one typed table.
 *
 * Every key the agent understands is one row of a table in config.c with
 * its type, default, bounds, unit and help text; the parser, the defaults,
 * `ismo-agent --help-config` and the table in docs/agent.md all come from
 * that table. The file has four sections:
 *
 *   agent:         name, function, state_dir, spool_max_bytes, spool_full,
 *                  loss_objective, batch_max_samples
 *   server:        endpoint, pub_endpoint, timeout_ms, retry_min_ms, retry_max_ms,
 *                  not_found_retry_s
 *   collectors:    a list of {name, objective, command, interval_s, timeout_s}
 *   subscription:  kinds, hook, hook_timeout_s, catch_up_s, heartbeat_timeout_s,
 *                  max_event_age_s
 *
 * Unknown keys, duplicate keys, wrong types (a list where a number belongs,
 * "ten" for a number) and values outside the bounds are errors that name the
 * key and the line ("agent.yaml:12: collectors[1].interval_s: 0 is below the
 * minimum 1"). Environment overrides (ismo_agent_config_apply_env):
 * ISMO_AGENT_STATE_DIR, ISMO_ENDPOINT, ISMO_PUB_ENDPOINT.
 * Pure: no sockets, no files except the one read by ismo_agent_config_load. */
#ifndef ISMO_AGENT_CONFIG_H
#define ISMO_AGENT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One collector: a command measuring one objective's metric. */
typedef struct ismo_agent_collector_config {
    char *name;          /* [A-Za-z0-9._-]{1,64}, unique in the file; for logs */
    char *objective;     /* Objective.id the samples measure */
    char *command;       /* run with /bin/sh -c; stdout must be one number */
    int64_t interval_s;  /* seconds between runs; the first run is at start */
    int64_t timeout_s;   /* seconds before the command's process group is killed */
    int line;            /* 1-based line of the list item in the file (for messages) */
} ismo_agent_collector_config;

/* The whole configuration. Strings are owned by the config (NULL = unset). */
typedef struct ismo_agent_config {
    /* agent: */
    char *name;                /* [A-Za-z0-9._-]{1,64}; in every sample id and source */
    char *function;            /* organisational function, [a-z0-9_-]{1,64} */
    char *state_dir;           /* spool, sequence numbers, last event seq */
    int64_t spool_max_bytes;   /* quota on spooled (unsent) samples, bytes */
    char *spool_full;          /* policy at the quota: "refuse" (default) or "drop_oldest" */
    char *loss_objective;      /* objective for the lost-samples count; NULL = not reported */
    int64_t batch_max_samples; /* samples per PushSamples request */
    /* server: */
    char *endpoint;            /* ismod ROUTER endpoint */
    char *pub_endpoint;        /* ismod PUB endpoint */
    int64_t timeout_ms;        /* request time-out, ms */
    int64_t retry_min_ms;      /* first back-off after a failed send, ms */
    int64_t retry_max_ms;      /* longest back-off, ms */
    int64_t not_found_retry_s; /* re-send samples of unknown objectives after, s */
    /* collectors: */
    ismo_agent_collector_config *collectors;
    size_t n_collectors;
    /* subscription: */
    unsigned kinds_mask;       /* bit (1u << Ismo__V1__EventKind) per subscribed kind */
    char *hook;                /* command run once per event; NULL = none */
    int64_t hook_timeout_s;    /* seconds before the hook's process group is killed */
    int64_t catch_up_s;        /* seconds between ListEvents catch-ups */
    int64_t heartbeat_timeout_s; /* no heartbeat this long: reconnect SUB and catch up; 0 = off */
    int64_t max_event_age_s;   /* older events advance the cursor without a hook; 0 = any age */
} ismo_agent_config;

/* Parse YAML text of len bytes. origin names the text in messages (e.g. the
 * file name). On ISMO_OK *cfg_p is owned by the caller (free with
 * ismo_agent_config_destroy). On ISMO_ERR_PARSE or ISMO_ERR_INVALID, why
 * holds "origin:line: key: problem"; ISMO_ERR_NOMEM. */
ismo_err ismo_agent_config_parse(const char *text, size_t len, const char *origin,
                                 ismo_agent_config **cfg_p, char *why, size_t why_len);

/* Read and parse the file at path; ISMO_ERR_IO (reason in why) when it
 * cannot be read; otherwise as ismo_agent_config_parse. */
ismo_err ismo_agent_config_load(const char *path, ismo_agent_config **cfg_p, char *why,
                                size_t why_len);

/* Apply the environment overrides ISMO_AGENT_STATE_DIR, ISMO_ENDPOINT and
 * ISMO_PUB_ENDPOINT (when set and non-empty). ISMO_OK or ISMO_ERR_NOMEM. */
ismo_err ismo_agent_config_apply_env(ismo_agent_config *cfg);

/* Free; sets *cfg_p to NULL; safe on NULL. */
void ismo_agent_config_destroy(ismo_agent_config **cfg_p);

/* Print the table of keys (key, type, default, bounds, meaning) as Markdown
 * to out (the source of the table in docs/agent.md). */
void ismo_agent_config_describe(FILE *out);

#ifdef __cplusplus
}
#endif
#endif
