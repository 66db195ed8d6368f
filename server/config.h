/* config: ismod's settings as one typed table (name, type, default, bounds,
 * unit, help). Command-line options are the table's names ("--tick-ms 500"),
 * and a YAML file (--config FILE) may set the same keys ("tick_ms: 500").
 * The command line wins over the file. `ismod --help` prints the table (the
 * list of keys); examples/ismod.yaml lists the same keys with their defaults
 * (tests/server/config_example_test.sh checks it against --help). */
#ifndef ISMO_CONFIG_H
#define ISMO_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ismo_err.h"
#include "scheduler.h"

typedef struct ismo_config {
    char data_dir[1024];          /* LMDB environment directory */
    char endpoint[256];           /* ROUTER bind endpoint (requests) */
    char pub_endpoint[256];       /* PUB bind endpoint (events) */
    int64_t tick_ms;              /* evaluation and reminder clock tick, ms */
    int64_t heartbeat_ms;         /* PUB heartbeat interval, ms; 0 = none */
    int64_t reminder_offsets_ms[ISMO_MAX_REMINDER_OFFSETS]; /* deadline reminder offsets, ms */
    size_t n_reminder_offsets;
    int64_t max_frame_bytes;      /* largest request frame answered, bytes */
    int64_t max_batch;            /* most samples in one PushSamples */
    int64_t max_list;             /* most items in one list reply (paging beyond) */
    int64_t map_size_bytes;       /* initial LMDB map size, bytes */
    int64_t map_max_bytes;        /* LMDB map grows up to this, bytes */
    double at_risk_margin;        /* fraction behind expected progress still AT_RISK */
    double hysteresis;            /* fraction of |target - baseline| a worse health must cross by */
    int64_t pub_hwm;              /* PUB send high-water mark, messages */
    int log_level;                /* ismo_log_level */
    int no_sync;                  /* tests only: do not fsync commits */
    int64_t clock_offset_ms;      /* added to the wall clock (demos, drills); 0 normally */
    char audit_key[1024];         /* Ed25519 secret key file of the audit trail; "" = data_dir/audit.key */
    int64_t audit_checkpoint_every; /* a signed audit checkpoint after this many records */
    char certs_dir[1024];         /* client certificates admitted by CURVE; "" = data_dir/certs */
    char curve_cert[1024];        /* server secret certificate; "" = data_dir/server.cert */
    int insecure;                 /* plain TCP instead of CURVE, every peer admin (loopback only) */
    int64_t handshake_ms;         /* ZMQ_HANDSHAKE_IVL on both server sockets, ms */
    int64_t overdue_repeat_ms;    /* OVERDUE repeat period for objectives that leave it 0, ms;
                                   * 0 or -1 = never repeat (docs/evaluation.md "Reminders") */
    char display_tz[64];          /* IANA zone name for the human text of reminders only ("UTC");
                                   * every time is computed and stored in UTC */
    /* Clock hook for in-process tests (not a command-line option or YAML key):
     * when now_fn is set, the server reads the time (UTC ms) as
     * now_fn(now_ctx) + clock_offset_ms wherever it reads the wall clock, and
     * a jump of that clock by tick_ms or more triggers a tick at once. Called
     * on the server thread only; must be thread-safe against the setter. */
    int64_t (*now_fn)(void *ctx);
    void *now_ctx;
} ismo_config;

/* Defaults: data_dir "./ismod-data", endpoint ISMO_DEFAULT_ENDPOINT, pub
 * ISMO_DEFAULT_PUB_ENDPOINT, tick 1000 ms, offsets 30 d, 7 d, 1 d, max frame
 * 4 MiB, max batch 10000, map 64 MiB growing to 16 GiB, margin 0.10,
 * pub_hwm 100000, log info, overdue_repeat_ms 7 d, display_tz "UTC", no clock hook. */
void ismo_config_defaults(ismo_config *cfg);

/* Parse argv (options only). Returns ISMO_OK; ISMO_ERR_INVALID with a message
 * in why for an unknown option, a bad value or one out of bounds;
 * ISMO_ERR_INTERRUPTED when --help or --version was printed. */
ismo_err ismo_config_parse_args(ismo_config *cfg, int argc, char **argv, char *why, size_t why_len);

/* Apply a YAML file of key: value pairs. Errors name the key and line. */
ismo_err ismo_config_load_file(ismo_config *cfg, const char *path, char *why, size_t why_len);

/* Set one key from text (as on the command line). display_tz must name a
 * zone of the tz database (a file under $TZDIR or /usr/share/zoneinfo, e.g.
 * "Europe/Berlin"), or "UTC"; otherwise ISMO_ERR_INVALID naming the key. */
ismo_err ismo_config_set(ismo_config *cfg, const char *key, const char *value, char *why,
                         size_t why_len);

/* Print the table (option, help, default, bounds) to stdout. */
void ismo_config_print_help(void);

#endif
