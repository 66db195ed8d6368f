/* config: ismo-agent's YAML configuration, one typed table (keys[] below).
 *
 * Owns: the table of keys and the parsed ismo_agent_config. Does not own:
 * what the values mean at run time (agent.c). Pure except for reading the one
 * file in ismo_agent_config_load; no global state; any thread. Defaults are
 * written as text in the table and go through the same parser as the file,
 * so a default can never be out of its own bounds unnoticed (a unit test
 * parses a minimal file and checks every default). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "ismo/v1/event.pb-c.h"
#include "ismo_codec.h"

typedef enum cfg_type {
    T_STRING, /* any non-empty scalar (then the row's check) */
    T_INT,    /* decimal integer within [min, max] */
    T_BYTES,  /* integer with optional KiB/MiB/GiB suffix, within [min, max] bytes */
    T_KINDS   /* list of event kind words: reminder | status | objective */
} cfg_type;

typedef struct cfg_key {
    const char *section; /* "agent", "server", "collectors[]", "subscription" */
    const char *key;
    cfg_type type;
    size_t offset;       /* into ismo_agent_config, or ismo_agent_collector_config */
    const char *def;     /* default as text; NULL = none (unset, or required) */
    int64_t min, max;    /* T_INT/T_BYTES bounds, inclusive */
    int required;
    int (*check)(const char *value); /* T_STRING: 1 = valid */
    const char *check_help;          /* what check wants */
    const char *help;
} cfg_key;

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-') {
            return 0;
        }
    }
    return 1;
}

static int endpoint_ok(const char *s)
{
    return strncmp(s, "tcp://", 6) == 0 || strncmp(s, "ipc://", 6) == 0 ||
           strncmp(s, "inproc://", 9) == 0;
}

static int function_ok(const char *s) { return ismo_function_is_valid(s); }
static int spool_full_ok(const char *s) { return !strcmp(s, "refuse") || !strcmp(s, "drop_oldest"); }
static int id_ok(const char *s) { return ismo_id_is_valid(s); }

#define A(f) offsetof(ismo_agent_config, f)
#define C(f) offsetof(ismo_agent_collector_config, f)
#define KiB INT64_C(1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)

static const cfg_key keys[] = {
    {"agent", "name", T_STRING, A(name), NULL, 0, 0, 1, name_ok, "1..64 of [A-Za-z0-9._-]",
     "unique agent name; sample ids are \"<name>:<seq>\", source \"agent:<name>\""},
    {"agent", "function", T_STRING, A(function), NULL, 0, 0, 1, function_ok, "1..64 of [a-z0-9_-]",
     "organisational function the agent serves (events of other functions are ignored)"},
    {"agent", "state_dir", T_STRING, A(state_dir), "/var/lib/ismo-agent", 0, 0, 0, NULL, NULL,
     "directory for the spool, sequence numbers and the event cursor (env ISMO_AGENT_STATE_DIR)"},
    {"agent", "spool_max_bytes", T_BYTES, A(spool_max_bytes), "64MiB", 64 * KiB, 64 * GiB, 0, NULL,
     NULL, "quota on samples waiting to be sent (spool and parked together)"},
    {"agent", "spool_full", T_STRING, A(spool_full), "refuse", 0, 0, 0, spool_full_ok,
     "refuse or drop_oldest", "when the quota is reached: refuse the new sample, or drop the oldest "
     "spooled ones to make room (either way logged and counted)"},
    {"agent", "loss_objective", T_STRING, A(loss_objective), NULL, 0, 0, 0, id_ok,
     "1..64 of [A-Za-z0-9._:-]", "objective that receives this agent's count of samples lost to the "
     "quota (refused or dropped, ever), as soon as the server answers; unset = not reported"},
    {"agent", "batch_max_samples", T_INT, A(batch_max_samples), "500", 1, 10000, 0, NULL, NULL,
     "samples per PushSamples request"},
    {"server", "endpoint", T_STRING, A(endpoint), "tcp://127.0.0.1:7770", 0, 0, 0, endpoint_ok,
     "tcp://, ipc:// or inproc://", "ismod request (ROUTER) endpoint (env ISMO_ENDPOINT)"},
    {"server", "pub_endpoint", T_STRING, A(pub_endpoint), "tcp://127.0.0.1:7771", 0, 0, 0,
     endpoint_ok, "tcp://, ipc:// or inproc://", "ismod event (PUB) endpoint (env ISMO_PUB_ENDPOINT)"},
    {"server", "timeout_ms", T_INT, A(timeout_ms), "5000", 100, 600000, 0, NULL, NULL,
     "time to wait for each reply, ms"},
    {"server", "retry_min_ms", T_INT, A(retry_min_ms), "1000", 10, 600000, 0, NULL, NULL,
     "first back-off after a failed send, ms (doubles per failure, with jitter)"},
    {"server", "retry_max_ms", T_INT, A(retry_max_ms), "60000", 10, 3600000, 0, NULL, NULL,
     "longest back-off between send attempts, ms"},
    {"server", "not_found_retry_s", T_INT, A(not_found_retry_s), "60", 1, 86400, 0, NULL, NULL,
     "re-send samples the server rejected as NOT_FOUND (objective not imported yet) after, s"},
    {"collectors[]", "name", T_STRING, C(name), NULL, 0, 0, 1, name_ok, "1..64 of [A-Za-z0-9._-]",
     "collector name, unique in the file (logs)"},
    {"collectors[]", "objective", T_STRING, C(objective), NULL, 0, 0, 1, id_ok,
     "1..64 of [A-Za-z0-9._:-]", "id of the information security objective the value measures"},
    {"collectors[]", "command", T_STRING, C(command), NULL, 0, 0, 1, NULL, NULL,
     "shell command (/bin/sh -c); must exit 0 and print one finite number"},
    {"collectors[]", "interval_s", T_INT, C(interval_s), "60", 1, 604800, 0, NULL, NULL,
     "seconds between runs; the first run is at start"},
    {"collectors[]", "timeout_s", T_INT, C(timeout_s), "10", 1, 3600, 0, NULL, NULL,
     "seconds before the command's process group is killed (no sample)"},
    {"subscription", "kinds", T_KINDS, A(kinds_mask), "reminder", 0, 0, 0, NULL, NULL,
     "event kinds to act on: reminder, status, objective"},
    {"subscription", "hook", T_STRING, A(hook), NULL, 0, 0, 0, NULL, NULL,
     "command run once per event (/bin/sh -c) with ISMO_* environment; unset = no subscription"},
    {"subscription", "hook_timeout_s", T_INT, A(hook_timeout_s), "30", 1, 3600, 0, NULL, NULL,
     "seconds before the hook's process group is killed"},
    {"subscription", "catch_up_s", T_INT, A(catch_up_s), "30", 1, 3600, 0, NULL, NULL,
     "seconds between ListEvents catch-ups (also done at start and on every published event)"},
    {"subscription", "heartbeat_timeout_s", T_INT, A(heartbeat_timeout_s), "3", 0, 3600, 0, NULL,
     NULL, "no heartbeat from ismod for this long (after one was seen): reconnect the subscription "
     "and catch up, s; 0 = off"},
    {"subscription", "max_event_age_s", T_INT, A(max_event_age_s), "604800", 0, 315360000, 0, NULL,
     NULL, "events older than this get no hook (the cursor still advances); 0 = any age"},
};
#define N_KEYS (sizeof keys / sizeof keys[0])

static const char *sections[] = {"agent", "server", "collectors", "subscription"};

/* ---- errors ------------------------------------------------------------------ */

typedef struct parse_ctx {
    const char *origin;
    yaml_document_t *doc;
    char *why;
    size_t why_len;
} parse_ctx;

__attribute__((format(printf, 3, 4))) static ismo_err fail(parse_ctx *p, int line,
                                                           const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0) {
        snprintf(p->why, p->why_len, "%s:%d: %s", p->origin, line, msg);
    } else {
        snprintf(p->why, p->why_len, "%s: %s", p->origin, msg);
    }
    return ISMO_ERR_INVALID;
}

static int node_line(const yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }

static int scalar_is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return 0;
    }
    const char *v = (const char *)n->data.scalar.value;
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
           !strcmp(v, "NULL");
}

/* ---- values ------------------------------------------------------------------ */

static ismo_err parse_int(const char *text, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || errno) {
        return ISMO_ERR_PARSE;
    }
    *out = v;
    if (*end == '\0') {
        return ISMO_OK;
    }
    return ISMO_ERR_PARSE;
}

static ismo_err parse_bytes(const char *text, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || errno || v < 0) {
        return ISMO_ERR_PARSE;
    }
    while (*end == ' ') {
        end++;
    }
    int64_t mult = 1;
    if (!*end || !strcmp(end, "B")) {
        mult = 1;
    } else if (!strcmp(end, "KiB")) {
        mult = KiB;
    } else if (!strcmp(end, "MiB")) {
        mult = MiB;
    } else if (!strcmp(end, "GiB")) {
        mult = GiB;
    } else {
        return ISMO_ERR_PARSE;
    }
    if (v > INT64_MAX / mult) {
        return ISMO_ERR_PARSE;
    }
    *out = v * mult;
    return ISMO_OK;
}

static const char *type_name(cfg_type t)
{
    switch (t) {
    case T_STRING:
        return "string";
    case T_INT:
        return "integer";
    case T_BYTES:
        return "bytes";
    case T_KINDS:
    default:
        return "list of kinds";
    }
}

/* Set one scalar value (text) of row r in base. path: "agent.name" etc. */
static ismo_err set_scalar(parse_ctx *p, const cfg_key *r, void *base, const char *path,
                           const char *text, int line)
{
    char *field = (char *)base + r->offset;
    if (r->type == T_STRING) {
        if (!*text) {
            return fail(p, line, "%s: must not be empty", path);
        }
        if (r->check && !r->check(text)) {
            return fail(p, line, "%s: '%.80s' is not valid (%s)", path, text, r->check_help);
        }
        char *copy = strdup(text);
        if (!copy) {
            return ISMO_ERR_NOMEM;
        }
        free(*(char **)field);
        *(char **)field = copy;
        return ISMO_OK;
    }
    if (r->type == T_INT || r->type == T_BYTES) {
        int64_t v = 0;
        ismo_err err = r->type == T_INT ? parse_int(text, &v) : parse_bytes(text, &v);
        if (err != ISMO_OK) {
            return fail(p, line, "%s: '%.80s' is not %s", path, text,
                        r->type == T_INT ? "an integer" : "a size in bytes (e.g. 65536, 64MiB)");
        }
        if (v < r->min) {
            return fail(p, line, "%s: %lld is below the minimum %lld", path, (long long)v,
                        (long long)r->min);
        }
        if (v > r->max) {
            return fail(p, line, "%s: %lld is above the maximum %lld", path, (long long)v,
                        (long long)r->max);
        }
        *(int64_t *)field = v;
        return ISMO_OK;
    }
    /* T_KINDS from one word */
    int kind = 0;
    if (ismo_event_kind_parse(text, &kind) != 0) {
        return fail(p, line, "%s: unknown event kind '%.80s' (reminder, status, objective)", path,
                    text);
    }
    *(unsigned *)field |= 1u << kind;
    return ISMO_OK;
}

static ismo_err set_node(parse_ctx *p, const cfg_key *r, void *base, const char *path,
                         yaml_node_t *v)
{
    int line = node_line(v);
    if (r->type == T_KINDS) {
        *(unsigned *)((char *)base + r->offset) = 0;
        if (v->type == YAML_SCALAR_NODE) {
            return scalar_is_null(v) ? ISMO_OK
                                     : set_scalar(p, r, base, path, (char *)v->data.scalar.value, line);
        }
        if (v->type != YAML_SEQUENCE_NODE) {
            return fail(p, line, "%s: expected a list of kinds, e.g. [reminder]", path);
        }
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            yaml_node_t *item = yaml_document_get_node(p->doc, *it);
            if (!item || item->type != YAML_SCALAR_NODE) {
                return fail(p, node_line(item), "%s: expected a kind word", path);
            }
            ismo_err err = set_scalar(p, r, base, path, (char *)item->data.scalar.value,
                                      node_line(item));
            if (err != ISMO_OK) {
                return err;
            }
        }
        return ISMO_OK;
    }
    if (v->type != YAML_SCALAR_NODE) {
        return fail(p, line, "%s: expected a %s, found a %s", path, type_name(r->type),
                    v->type == YAML_MAPPING_NODE ? "mapping" : "list");
    }
    if (scalar_is_null(v)) {
        if (r->required) {
            return fail(p, line, "%s: required, must not be empty", path);
        }
        if (r->type == T_STRING) {
            char **field = (char **)((char *)base + r->offset);
            free(*field);
            *field = NULL;
            return ISMO_OK;
        }
        return fail(p, line, "%s: expected a %s, found nothing", path, type_name(r->type));
    }
    return set_scalar(p, r, base, path, (char *)v->data.scalar.value, line);
}

static ismo_err apply_defaults(parse_ctx *p, const char *section, void *base)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcmp(keys[i].section, section) != 0 || !keys[i].def) {
            continue;
        }
        ismo_err err = set_scalar(p, &keys[i], base, keys[i].key, keys[i].def, 0);
        if (err != ISMO_OK) {
            return err;
        }
    }
    return ISMO_OK;
}

/* Parse a mapping of section keys into base; path_prefix e.g. "agent" or "collectors[2]". */
static ismo_err parse_mapping(parse_ctx *p, const char *section, const char *path_prefix,
                              yaml_node_t *map, void *base)
{
    if (map->type != YAML_MAPPING_NODE) {
        if (scalar_is_null(map)) {
            return ISMO_OK;
        }
        return fail(p, node_line(map), "%s: expected a mapping of keys", path_prefix);
    }
    unsigned seen[N_KEYS] = {0};
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE) {
            return fail(p, node_line(k), "%s: keys must be plain words", path_prefix);
        }
        const char *name = (const char *)k->data.scalar.value;
        char path[160];
        snprintf(path, sizeof path, "%s.%s", path_prefix, name);
        size_t i = 0;
        while (i < N_KEYS && !(strcmp(keys[i].section, section) == 0 && !strcmp(keys[i].key, name))) {
            i++;
        }
        if (i == N_KEYS) {
            char known[512] = "";
            for (size_t j = 0; j < N_KEYS; j++) {
                if (!strcmp(keys[j].section, section)) {
                    size_t used = strlen(known);
                    snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "", keys[j].key);
                }
            }
            return fail(p, node_line(k), "%s: unknown key (known in %s: %s)", path, section, known);
        }
        if (seen[i]++) {
            return fail(p, node_line(k), "%s: given twice", path);
        }
        ismo_err err = set_node(p, &keys[i], base, path, v);
        if (err != ISMO_OK) {
            return err;
        }
    }
    for (size_t i = 0; i < N_KEYS; i++) {
        if (!strcmp(keys[i].section, section) && keys[i].required && !seen[i]) {
            return fail(p, node_line(map), "%s.%s: required", path_prefix, keys[i].key);
        }
    }
    return ISMO_OK;
}

static ismo_err parse_collectors(parse_ctx *p, yaml_node_t *seq, ismo_agent_config *cfg)
{
    if (scalar_is_null(seq)) {
        return ISMO_OK;
    }
    if (seq->type != YAML_SEQUENCE_NODE) {
        return fail(p, node_line(seq), "collectors: expected a list of collectors");
    }
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    cfg->collectors = calloc(n ? n : 1, sizeof *cfg->collectors);
    if (!cfg->collectors) {
        return ISMO_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node(p->doc, seq->data.sequence.items.start[i]);
        ismo_agent_collector_config *c = &cfg->collectors[i];
        cfg->n_collectors = i + 1;
        c->line = node_line(item);
        char prefix[48];
        snprintf(prefix, sizeof prefix, "collectors[%zu]", i);
        ismo_err err = apply_defaults(p, "collectors[]", c);
        if (err == ISMO_OK && (!item || item->type != YAML_MAPPING_NODE)) {
            err = fail(p, node_line(item), "%s: expected a mapping (name, objective, command, ...)",
                       prefix);
        }
        if (err == ISMO_OK) {
            err = parse_mapping(p, "collectors[]", prefix, item, c);
        }
        if (err != ISMO_OK) {
            return err;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(cfg->collectors[j].name, c->name)) {
                return fail(p, c->line, "%s.name: '%s' is also the name of collectors[%zu] (line %d)",
                            prefix, c->name, j, cfg->collectors[j].line);
            }
        }
    }
    return ISMO_OK;
}

ismo_err ismo_agent_config_parse(const char *text, size_t len, const char *origin,
                                 ismo_agent_config **cfg_p, char *why, size_t why_len)
{
    *cfg_p = NULL;
    if (why_len) {
        why[0] = '\0';
    }
    ismo_agent_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        return ISMO_ERR_NOMEM;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    parse_ctx p = {origin ? origin : "config", &doc, why, why_len};
    if (!yaml_parser_initialize(&parser)) {
        free(cfg);
        return ISMO_ERR_NOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        fail(&p, (int)parser.problem_mark.line + 1, "YAML syntax: %s%s%s",
             parser.problem ? parser.problem : "error", parser.context ? " " : "",
             parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        free(cfg);
        return ISMO_ERR_PARSE;
    }
    ismo_err err = apply_defaults(&p, "agent", cfg);
    if (err == ISMO_OK) {
        err = apply_defaults(&p, "server", cfg);
    }
    if (err == ISMO_OK) {
        err = apply_defaults(&p, "subscription", cfg);
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (err == ISMO_OK && (!root || root->type != YAML_MAPPING_NODE)) {
        err = fail(&p, node_line(root), "expected a mapping with sections agent, server, "
                                        "collectors, subscription");
    }
    int have_agent = 0;
    for (yaml_node_pair_t *pr = err == ISMO_OK ? root->data.mapping.pairs.start : NULL;
         err == ISMO_OK && pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
        const char *name = k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
        size_t s = 0;
        while (s < 4 && strcmp(sections[s], name) != 0) {
            s++;
        }
        for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < pr && s < 4; q++) {
            yaml_node_t *qk = yaml_document_get_node(&doc, q->key);
            if (qk && qk->type == YAML_SCALAR_NODE && !strcmp((char *)qk->data.scalar.value, name)) {
                s = 5;
            }
        }
        if (s == 5) {
            err = fail(&p, node_line(k), "%s: section given twice", name);
        } else if (s == 4) {
            err = fail(&p, node_line(k),
                       "%s: unknown key (known: agent, server, collectors, subscription)", name);
        } else if (s == 2) {
            err = parse_collectors(&p, v, cfg);
        } else {
            have_agent |= s == 0;
            err = parse_mapping(&p, sections[s], sections[s], v, cfg);
        }
    }
    if (err == ISMO_OK && !have_agent) {
        err = fail(&p, 0, "agent: section required (agent.name, agent.function)");
    }
    if (err == ISMO_OK && cfg->retry_max_ms < cfg->retry_min_ms) {
        err = fail(&p, 0, "server.retry_max_ms (%lld) is below server.retry_min_ms (%lld)",
                   (long long)cfg->retry_max_ms, (long long)cfg->retry_min_ms);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (err != ISMO_OK) {
        ismo_agent_config_destroy(&cfg);
        return err;
    }
    *cfg_p = cfg;
    return ISMO_OK;
}

ismo_err ismo_agent_config_load(const char *path, ismo_agent_config **cfg_p, char *why,
                                size_t why_len)
{
    *cfg_p = NULL;
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
        return ISMO_ERR_IO;
    }
    char *text = NULL;
    size_t len = 0;
    size_t cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (size_t)16 << 20) {
                free(text);
                fclose(f);
                snprintf(why, why_len, "%s: larger than 16 MiB", path);
                return ISMO_ERR_TOO_LARGE;
            }
            char *n = realloc(text, cap);
            if (!n) {
                free(text);
                fclose(f);
                return ISMO_ERR_NOMEM;
            }
            text = n;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            break;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        snprintf(why, why_len, "%s: read error", path);
        return ISMO_ERR_IO;
    }
    ismo_err err = ismo_agent_config_parse(text, len, path, cfg_p, why, why_len);
    free(text);
    return err;
}

static ismo_err env_override(char **field, const char *var)
{
    const char *v = getenv(var);
    if (!v || !*v) {
        return ISMO_OK;
    }
    char *copy = strdup(v);
    if (!copy) {
        return ISMO_ERR_NOMEM;
    }
    free(*field);
    *field = copy;
    return ISMO_OK;
}

ismo_err ismo_agent_config_apply_env(ismo_agent_config *cfg)
{
    ismo_err err = env_override(&cfg->state_dir, "ISMO_AGENT_STATE_DIR");
    if (err == ISMO_OK) {
        err = env_override(&cfg->endpoint, "ISMO_ENDPOINT");
    }
    if (err == ISMO_OK) {
        err = env_override(&cfg->pub_endpoint, "ISMO_PUB_ENDPOINT");
    }
    return err;
}

void ismo_agent_config_destroy(ismo_agent_config **cfg_p)
{
    if (!cfg_p || !*cfg_p) {
        return;
    }
    ismo_agent_config *cfg = *cfg_p;
    for (size_t i = 0; i < cfg->n_collectors; i++) {
        free(cfg->collectors[i].name);
        free(cfg->collectors[i].objective);
        free(cfg->collectors[i].command);
    }
    free(cfg->collectors);
    free(cfg->name);
    free(cfg->function);
    free(cfg->state_dir);
    free(cfg->spool_full);
    free(cfg->loss_objective);
    free(cfg->endpoint);
    free(cfg->pub_endpoint);
    free(cfg->hook);
    free(cfg);
    *cfg_p = NULL;
}

void ismo_agent_config_describe(FILE *out)
{
    fprintf(out, "| key | type | default | bounds | meaning |\n");
    fprintf(out, "|-----|------|---------|--------|---------|\n");
    for (size_t i = 0; i < N_KEYS; i++) {
        const cfg_key *r = &keys[i];
        char bounds[96] = "";
        if (r->type == T_INT || r->type == T_BYTES) {
            snprintf(bounds, sizeof bounds, "%lld .. %lld", (long long)r->min, (long long)r->max);
        } else if (r->check_help) {
            snprintf(bounds, sizeof bounds, "%s", r->check_help);
        }
        fprintf(out, "| `%s.%s` | %s | %s | %s | %s |\n", r->section, r->key, type_name(r->type),
                r->def ? r->def : (r->required ? "(required)" : "(unset)"), bounds, r->help);
    }
}
