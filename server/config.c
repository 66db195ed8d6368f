/* config: the typed table of ismod settings, and its two sources (argv and
 * a YAML file via libyaml). Runs once at start-up on the main thread. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "ismo_codec.h"
#include "ismo_log.h"
#include "ismo_time.h"
#include "ismo_transport.h"

typedef enum { T_STRING, T_INT, T_DURATION, T_BYTES, T_FRACTION, T_OFFSETS, T_LEVEL, T_BOOL, T_TZ } kind_t;

typedef struct row {
    const char *name;   /* key in YAML; option is "--" + name with '_' -> '-' */
    kind_t kind;
    size_t offset;
    size_t size;        /* for strings */
    const char *def;
    double min, max;
    const char *help;
} row;

#define OFF(f) offsetof(ismo_config, f)
static const row table[] = {
    {"config", T_STRING, 0, 0, "", 0, 0, "YAML file with any of these keys (command line wins)"},
    {"data_dir", T_STRING, OFF(data_dir), sizeof(((ismo_config *)0)->data_dir), "./ismod-data", 0, 0,
     "directory of the LMDB environment (created 0700)"},
    {"endpoint", T_STRING, OFF(endpoint), sizeof(((ismo_config *)0)->endpoint), ISMO_DEFAULT_ENDPOINT,
     0, 0, "ROUTER endpoint for requests (bind)"},
    {"pub_endpoint", T_STRING, OFF(pub_endpoint), sizeof(((ismo_config *)0)->pub_endpoint),
     ISMO_DEFAULT_PUB_ENDPOINT, 0, 0, "PUB endpoint for events (bind)"},
    {"tick_ms", T_DURATION, OFF(tick_ms), 0, "1s", 10, 3600000, "evaluation and reminder tick, ms"},
    {"heartbeat_ms", T_DURATION, OFF(heartbeat_ms), 0, "1s", 0, 3600000,
     "publish a heartbeat with the newest event seq on topic 'heartbeat.' this often, ms; 0 = off"},
    {"reminder_offsets", T_OFFSETS, OFF(reminder_offsets_ms), 0, "30d,7d,1d", 0, 0,
     "deadline reminder offsets before the deadline, comma-separated durations"},
    {"max_frame_bytes", T_BYTES, OFF(max_frame_bytes), 0, "4194304", 1024, 268435456,
     "largest request frame answered, bytes (larger: TOO_LARGE reply)"},
    {"max_batch", T_INT, OFF(max_batch), 0, "10000", 1, 1000000, "most samples in one PushSamples"},
    {"max_list", T_INT, OFF(max_list), 0, "10000", 1, 100000,
     "most items in one list/status/events/samples reply; clients page beyond"},
    {"map_size_bytes", T_BYTES, OFF(map_size_bytes), 0, "67108864", 1048576, 1099511627776.0,
     "initial LMDB map size, bytes"},
    {"map_max_bytes", T_BYTES, OFF(map_max_bytes), 0, "17179869184", 1048576, 1099511627776.0,
     "LMDB map grows up to this, bytes; past it writes get STORAGE_FULL"},
    {"at_risk_margin", T_FRACTION, OFF(at_risk_margin), 0, "0.10", 0, 1,
     "progress this far behind expected is AT_RISK, further is OFF_TRACK (fraction)"},
    {"hysteresis", T_FRACTION, OFF(hysteresis), 0, "0.02", 0, 1,
     "health gets worse only when progress is this far past the threshold (fraction of "
     "|target - baseline|); 0 = off (docs/evaluation.md \"Hysteresis\")"},
    {"pub_hwm", T_INT, OFF(pub_hwm), 0, "100000", 1000, 100000000,
     "PUB send high-water mark per subscriber, messages"},
    {"log_level", T_LEVEL, OFF(log_level), 0, "info", 0, 0, "debug, info, warn or error"},
    {"no_sync", T_BOOL, OFF(no_sync), 0, "false", 0, 0,
     "tests only: commit without fsync (loses durability on power loss)"},
    {"clock_offset_ms", T_DURATION, OFF(clock_offset_ms), 0, "0", -3.2e12, 3.2e12,
     "shift the server clock, ms (drills and demos); 0 in production"},
    {"audit_key", T_STRING, OFF(audit_key), sizeof(((ismo_config *)0)->audit_key), "", 0, 0,
     "Ed25519 secret key file (hex, mode 0600) signing audit checkpoints; empty = "
     "data_dir/audit.key, created on first start with audit.pub beside it"},
    {"certs_dir", T_STRING, OFF(certs_dir), sizeof(((ismo_config *)0)->certs_dir), "", 0, 0,
     "directory of client certificates (*.cert, zcert format, made by 'ismo keygen') admitted by "
     "CURVE on both endpoints; re-read every 500 ms, so adding or removing a file needs no "
     "restart; empty = data_dir/certs (created empty)"},
    {"curve_cert", T_STRING, OFF(curve_cert), sizeof(((ismo_config *)0)->curve_cert), "", 0, 0,
     "the server's secret certificate (zcert _secret file); empty = data_dir/server.cert_secret, "
     "created on first start with its public half data_dir/server.cert beside it"},
    {"insecure", T_BOOL, OFF(insecure), 0, "false", 0, 0,
     "plain TCP without CURVE (the default is CURVE): every peer is admin. Refused for "
     "non-loopback endpoints and with certs_dir"},
    {"handshake_ms", T_DURATION, OFF(handshake_ms), 0, "5s", 100, 600000,
     "a connection that does not finish its ZMTP/CURVE handshake in this time is dropped, ms"},
    {"overdue_repeat_ms", T_DURATION, OFF(overdue_repeat_ms), 0, "7d", -1, 3.1536e12,
     "repeat an OVERDUE reminder this often until it is acknowledged or the target is met, for "
     "objectives whose overdue_repeat_ms is 0, ms; 0 or -1 = never, otherwise at least 1 h"},
    {"display_tz", T_TZ, OFF(display_tz), sizeof(((ismo_config *)0)->display_tz), "UTC", 0, 0,
     "time zone (IANA name, e.g. Europe/Berlin) for the human text of reminder messages only; "
     "times are computed and stored in UTC"},
    {"audit_checkpoint_every", T_INT, OFF(audit_checkpoint_every), 0, "1000", 1, 100000000,
     "append a signed checkpoint to the audit trail after this many records (and at a clean stop)"},
};
#define N_ROWS (sizeof table / sizeof table[0])

static const row *find(const char *name)
{
    char norm[64];
    size_t i = 0;
    for (; name[i] && i < sizeof norm - 1; i++) {
        norm[i] = name[i] == '-' ? '_' : name[i];
    }
    norm[i] = 0;
    for (size_t r = 0; r < N_ROWS; r++) {
        if (strcmp(table[r].name, norm) == 0) {
            return &table[r];
        }
    }
    return NULL;
}

static ismo_err set_row(ismo_config *cfg, const row *r, const char *value, char *why, size_t why_len)
{
    char *base = (char *)cfg;
    switch (r->kind) {
    case T_STRING:
        if (r->size == 0) {
            return ISMO_OK; /* "config" is handled by the caller */
        }
        if (strlen(value) >= r->size) {
            snprintf(why, why_len, "%s: value too long (max %zu bytes)", r->name, r->size - 1);
            return ISMO_ERR_INVALID;
        }
        snprintf(base + r->offset, r->size, "%s", value);
        return ISMO_OK;
    case T_INT:
    case T_BYTES: {
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || errno) {
            goto bad;
        }
        double mult = 1;
        if (r->kind == T_BYTES) {
            if (*end == 'K' || *end == 'k') {
                mult = 1024, end++;
            } else if (*end == 'M') {
                mult = 1048576, end++;
            } else if (*end == 'G') {
                mult = 1073741824.0, end++;
            }
            if (*end == 'i') {
                end++;
            }
            if (*end == 'B') {
                end++;
            }
        }
        if (*end || !isfinite(v)) {
            goto bad;
        }
        v *= mult;
        if (v != floor(v)) {
            snprintf(why, why_len, "%s: %s is not a whole number", r->name, value);
            return ISMO_ERR_INVALID;
        }
        if (v < r->min || v > r->max) {
            snprintf(why, why_len, "%s: %s is out of bounds [%.0f, %.0f]", r->name, value, r->min, r->max);
            return ISMO_ERR_INVALID;
        }
        *(int64_t *)(base + r->offset) = (int64_t)v;
        return ISMO_OK;
    }
    case T_DURATION: {
        int64_t ms;
        const char *p = value;
        int neg = 0;
        if (*p == '-') {
            neg = 1;
            p++;
        }
        if (ismo_duration_parse(p, &ms) != ISMO_OK) {
            char *end;
            double v = strtod(p, &end);
            if (end == p || *end) {
                goto bad;
            }
            if (!isfinite(v) || v < r->min || v > r->max) {
                snprintf(why, why_len, "%s: %s is out of bounds [%.0f ms, %.0f ms]", r->name,
                         value, r->min, r->max);
                return ISMO_ERR_INVALID;
            }
            ms = (int64_t)v; /* a bare number is ms */
        }
        if (neg) {
            ms = -ms;
        }
        if ((double)ms < r->min || (double)ms > r->max) {
            snprintf(why, why_len, "%s: %s is out of bounds [%.0f ms, %.0f ms]", r->name, value, r->min,
                     r->max);
            return ISMO_ERR_INVALID;
        }
        if (r->offset == OFF(overdue_repeat_ms) && ms > 0 && ms < ISMO_MIN_OVERDUE_REPEAT_MS) {
            snprintf(why, why_len, "%s: %s is too short: 0 or -1 (never) or at least 1h (3600000 ms)", r->name,
                     value);
            return ISMO_ERR_INVALID;
        }
        *(int64_t *)(base + r->offset) = ms;
        return ISMO_OK;
    }
    case T_FRACTION: {
        char *end;
        double v = strtod(value, &end);
        if (end == value || *end || !isfinite(v)) {
            goto bad;
        }
        if (v < r->min || v > r->max) {
            snprintf(why, why_len, "%s: %s is out of range: a fraction from %g to %g (e.g. 0.02 = 2 %%)",
                     r->name, value, r->min, r->max);
            return ISMO_ERR_INVALID;
        }
        *(double *)(base + r->offset) = v;
        return ISMO_OK;
    }
    case T_OFFSETS: {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", value);
        size_t n = 0;
        char *save = NULL;
        for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
            int64_t ms;
            if (n >= ISMO_MAX_REMINDER_OFFSETS || ismo_duration_parse(tok, &ms) != ISMO_OK || ms <= 0) {
                snprintf(why, why_len,
                         "reminder_offsets: '%s' is not a positive duration (max %d offsets)", tok,
                         ISMO_MAX_REMINDER_OFFSETS);
                return ISMO_ERR_INVALID;
            }
            cfg->reminder_offsets_ms[n++] = ms;
        }
        cfg->n_reminder_offsets = n;
        return ISMO_OK;
    }
    case T_TZ: {
        /* an IANA name: letters, digits, '/', '_', '+', '-', no "..", and a
         * file of the tz database (tzdata) */
        size_t l = strlen(value);
        int ok = l > 0 && l < r->size && value[0] != '/' && !strstr(value, "..");
        for (size_t i = 0; ok && i < l; i++) {
            char c = value[i];
            ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '/' || c == '_' || c == '+' || c == '-';
        }
        if (ok && strcmp(value, "UTC") != 0) {
            const char *dir = getenv("TZDIR");
            char path[512];
            struct stat st;
            snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", value);
            ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
        }
        if (!ok) {
            snprintf(why, why_len,
                     "%s: '%.100s' is not a time zone of the tz database (e.g. UTC, Europe/Berlin; "
                     "is tzdata installed?)",
                     r->name, value);
            return ISMO_ERR_INVALID;
        }
        snprintf(base + r->offset, r->size, "%s", value);
        return ISMO_OK;
    }
    case T_LEVEL: {
        ismo_log_level lvl;
        if (ismo_log_level_parse(value, &lvl) != 0) {
            goto bad;
        }
        cfg->log_level = (int)lvl;
        return ISMO_OK;
    }
    case T_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes")) {
            *(int *)(base + r->offset) = 1;
        } else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no")) {
            *(int *)(base + r->offset) = 0;
        } else {
            goto bad;
        }
        return ISMO_OK;
    }
bad:
    snprintf(why, why_len, "%s: invalid value '%.100s'", r->name, value);
    return ISMO_ERR_INVALID;
}

void ismo_config_defaults(ismo_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    char why[256];
    for (size_t r = 0; r < N_ROWS; r++) {
        ismo_err err = set_row(cfg, &table[r], table[r].def, why, sizeof why);
        (void)err; /* defaults are within bounds by construction (unit-tested) */
    }
}

ismo_err ismo_config_set(ismo_config *cfg, const char *key, const char *value, char *why,
                         size_t why_len)
{
    const row *r = find(key);
    if (!r) {
        snprintf(why, why_len, "unknown setting '%s' (see ismod --help)", key);
        return ISMO_ERR_INVALID;
    }
    return set_row(cfg, r, value, why, why_len);
}

ismo_err ismo_config_load_file(ismo_config *cfg, const char *path, char *why, size_t why_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_len, "cannot open config %s: %s", path, strerror(errno));
        return ISMO_ERR_IO;
    }
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    ismo_err err = ISMO_OK;
    char key[64] = "";
    int depth = 0, have_key = 0, done = 0;
    while (!done && err == ISMO_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            snprintf(why, why_len, "%s:%zu: YAML error: %s", path, p.problem_mark.line + 1,
                     p.problem ? p.problem : "?");
            err = ISMO_ERR_PARSE;
            break;
        }
        switch (ev.type) {
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            depth++;
            if (depth > 1) {
                snprintf(why, why_len, "%s:%zu: settings are flat 'key: value' pairs", path,
                         ev.start_mark.line + 1);
                err = ISMO_ERR_PARSE;
            }
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT: depth--; break;
        case YAML_SCALAR_EVENT:
            if (!have_key) {
                snprintf(key, sizeof key, "%s", (const char *)ev.data.scalar.value);
                have_key = 1;
            } else {
                have_key = 0;
                char inner[300];
                if (strcmp(key, "config") == 0) {
                    break;
                }
                err = ismo_config_set(cfg, key, (const char *)ev.data.scalar.value, inner, sizeof inner);
                if (err != ISMO_OK) {
                    snprintf(why, why_len, "%s:%zu: %s", path, ev.start_mark.line + 1, inner);
                }
            }
            break;
        case YAML_STREAM_END_EVENT: done = 1; break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    fclose(f);
    return err;
}

void ismo_config_print_help(void)
{
    printf("usage: ismod [--OPTION VALUE]...\n\n"
           "ismod: the ismo server. Holds information security objectives (ISO/IEC 27001:2022\n"
           "6.2) in LMDB, ingests samples, computes health and publishes events.\n\n"
           "Options (also as 'key: value' in a YAML file given with --config):\n");
    for (size_t r = 0; r < N_ROWS; r++) {
        char opt[64];
        size_t i = 0;
        for (; table[r].name[i] && i < sizeof opt - 1; i++) {
            opt[i] = table[r].name[i] == '_' ? '-' : table[r].name[i];
        }
        opt[i] = 0;
        char bounds[96] = "";
        if (table[r].min < table[r].max) {
            if (table[r].kind == T_FRACTION) {
                snprintf(bounds, sizeof bounds, "; bounds %g..%g", table[r].min, table[r].max);
            } else {
                snprintf(bounds, sizeof bounds, "; bounds %.0f..%.0f%s", table[r].min, table[r].max,
                         table[r].kind == T_DURATION ? " ms" : "");
            }
        }
        printf("  --%-18s %s (default: %s%s)\n", opt, table[r].help,
               *table[r].def ? table[r].def : "none", bounds);
    }
    printf("  --%-18s %s\n  --%-18s %s\n", "help", "print this help", "version", "print the version");
}

ismo_err ismo_config_parse_args(ismo_config *cfg, int argc, char **argv, char *why, size_t why_len)
{
    /* the config file first, so the command line wins */
    for (int i = 1; i < argc; i++) {
        const char *file = NULL;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            file = argv[i + 1];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            file = argv[i] + 9;
        }
        if (file) {
            ismo_err err = ismo_config_load_file(cfg, file, why, why_len);
            if (err != ISMO_OK) {
                return err;
            }
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            ismo_config_print_help();
            return ISMO_ERR_INTERRUPTED;
        }
        if (strcmp(a, "--version") == 0) {
            printf("ismod %s\n", ISMO_VERSION);
            return ISMO_ERR_INTERRUPTED;
        }
        if (strncmp(a, "--", 2) != 0) {
            snprintf(why, why_len, "unexpected argument '%s' (see ismod --help)", a);
            return ISMO_ERR_INVALID;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        char key[64];
        const char *value;
        if (eq) {
            snprintf(key, sizeof key, "%.*s", (int)(eq - name), name);
            value = eq + 1;
        } else {
            snprintf(key, sizeof key, "%s", name);
            const row *r = find(key);
            if (!r) {
                snprintf(why, why_len, "unknown option --%s (see ismod --help)", key);
                return ISMO_ERR_INVALID;
            }
            if (r->kind == T_BOOL && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)) {
                value = "true";
            } else {
                if (i + 1 >= argc) {
                    snprintf(why, why_len, "option --%s needs a value", key);
                    return ISMO_ERR_INVALID;
                }
                value = argv[++i];
            }
        }
        ismo_err err = ismo_config_set(cfg, key, value, why, why_len);
        if (err != ISMO_OK) {
            return err;
        }
    }
    return ISMO_OK;
}
