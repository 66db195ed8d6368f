/* cli: what the ismo CLI's command families share (main.c owns it).
 *
 * One cli_t per process holds the global options. Each command is a function
 * cmd_<name>(cli, argc, argv) with argv[0] the command name; it parses its
 * own options (the global ones are accepted there too), prints its results on
 * stdout and its errors on stderr as "ismo: <command>: <message>", and
 * returns an exit code (CLI_EXIT_*). Commands never call exit(). */
#ifndef ISMO_CLI_H
#define ISMO_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "ismo.h"

/* Exit codes of the ismo command (docs/cli.md "Exit codes"). */
#define CLI_EXIT_OK 0          /* success */
#define CLI_EXIT_ERROR 1       /* server error or invalid input */
#define CLI_EXIT_USAGE 2       /* bad command line */
#define CLI_EXIT_UNREACHABLE 3 /* no reply from ismod within the time-out */

typedef struct cli {
    const char *endpoint;     /* request endpoint (ROUTER) */
    const char *pub_endpoint; /* event endpoint (PUB) */
    const char *actor;        /* recorded with changes; NULL = $USER */
    const char *reason;       /* recorded with changes; NULL = none / command default */
    int64_t timeout_ms;       /* time to wait for each reply */
    const char *command;      /* name of the running command, for messages */
    const char *tz;           /* display zone (IANA name; --tz, env ISMO_TZ; NULL = UTC) */
} cli_t;

/* Long options every command accepts (ids >= CLI_OPT_GLOBAL). Put
 * CLI_GLOBAL_OPTIONS at the start of a command's option table, and pass
 * unknown option ids to cli_global_option. */
enum {
    CLI_OPT_GLOBAL = 1000,
    CLI_OPT_ENDPOINT,
    CLI_OPT_PUB_ENDPOINT,
    CLI_OPT_ACTOR,
    CLI_OPT_REASON,
    CLI_OPT_TIMEOUT_MS,
    CLI_OPT_SERVER_KEY,
    CLI_OPT_CERT,
    CLI_OPT_TZ,
    CLI_OPT_HELP
};
#define CLI_GLOBAL_OPTIONS                                                                   \
    {"endpoint", required_argument, NULL, CLI_OPT_ENDPOINT},                                 \
        {"pub-endpoint", required_argument, NULL, CLI_OPT_PUB_ENDPOINT},                     \
        {"actor", required_argument, NULL, CLI_OPT_ACTOR},                                   \
        {"reason", required_argument, NULL, CLI_OPT_REASON},                                 \
        {"timeout-ms", required_argument, NULL, CLI_OPT_TIMEOUT_MS},                         \
        {"server-key", required_argument, NULL, CLI_OPT_SERVER_KEY},                         \
        {"cert", required_argument, NULL, CLI_OPT_CERT},                                     \
        {"tz", required_argument, NULL, CLI_OPT_TZ},                                         \
        {"help", no_argument, NULL, CLI_OPT_HELP}

/* The default branch of a command's option switch: hand the option to
 * cli_global_option and return from the command on help or error. */
#define CLI_OPTION_DEFAULT(cli, c)                                                                 \
    default: {                                                                                     \
        int rc_ = cli_global_option((cli), (c), optarg);                                           \
        if (rc_ != CLI_EXIT_OK) {                                                                  \
            return rc_ < 0 ? CLI_EXIT_OK : rc_;                                                    \
        }                                                                                          \
    } break

/* Handle a global option id c with its argument. Returns CLI_EXIT_OK, or
 * CLI_EXIT_USAGE (message printed) for a bad value or an unknown option
 * (c == '?'). For --help prints usage and returns -1 (caller returns 0). */
int cli_global_option(cli_t *cli, int c, const char *arg);

/* Print "ismo: <command>: <message>\n" on stderr; return CLI_EXIT_ERROR. */
int cli_fail(const cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* As cli_fail, followed by a hint to see "ismo help"; return CLI_EXIT_USAGE. */
int cli_usage(const cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report a failed request: "ismo: <command>: <what>: <server message>" and
 * return the exit code for err (CLI_EXIT_UNREACHABLE for ISMO_ERR_TIMEOUT,
 * else CLI_EXIT_ERROR). */
int cli_call_failed(const cli_t *cli, ismo_client_t *client, ismo_err err, const char *what);

/* Connect to the request endpoint with the global options applied (actor,
 * reason, timeout). NULL (message printed) on a bad endpoint. Caller frees
 * with ismo_client_destroy. */
ismo_client_t *cli_connect(const cli_t *cli);

/* Set the display zone (ismo_fmt_set_zone) from --tz or ISMO_TZ. Returns
 * CLI_EXIT_OK, or CLI_EXIT_USAGE (message printed) for an unknown zone or
 * an empty one (--tz ''; say --tz UTC for UTC). */
int cli_set_zone(cli_t *cli, const char *zone);

/* Apply a --tz ZONE / --tz=ZONE among a command's arguments (argv[0] the
 * command; scanning stops at "--") before the command parses its options,
 * so that a time option reads its zoneless date-times in that zone
 * wherever --tz stands. Returns CLI_EXIT_OK or CLI_EXIT_USAGE (message
 * printed) as cli_set_zone. */
int cli_scan_zone(cli_t *cli, int argc, char **argv);

/* Parse a time given on the command line (the forms of ismo_time_parse).
 * A date-time without "Z" or an offset ("2026-11-30T04:26:30") is a wall
 * time in the display zone (--tz / ISMO_TZ; UTC by default), what a user in
 * that zone means; in a daylight-saving gap or overlap the C library's
 * mktime picks the instant. A date-time with "Z" or an offset, "@ms", and
 * the date forms stay as ismo_time_parse reads them: dates, months and
 * quarters are UTC days (end_of_period as there). Returns 0 and sets *ms
 * (UTC ms), or -1 for text that is not a time (nothing printed). */
int cli_parse_time(const cli_t *cli, const char *text, int end_of_period, int64_t *ms);

/* Parse an --as-of / --from / --to instant (cli_parse_time): a date
 * means the END of that day ("as of 2026-06-30" includes the whole day),
 * "2026-Q2" and "2026-06" their end, a date-time or "@ms" that instant.
 * Instants in the future parse (--as-of checks them with cli_check_as_of).
 * 0 ok, -1 (usage message printed, as cli_bad_time). */
int cli_parse_instant(const cli_t *cli, const char *opt, const char *text, int64_t *ms);

/* 1 when text is a well-formed time (the forms of ismo_time_parse) whose
 * instant lies outside 1970-01-01T00:00Z..9999-12-31T23:59:59.999Z
 * (ISMO_MIN/MAX_INSTANT_MS), e.g. "1960-01-01" or "@-5"; 0 otherwise. */
int cli_time_out_of_range(const char *text);

/* Report a time option that did not parse: "OPT: 'TEXT' is out of range
 * (1970..9999, UTC)" for cli_time_out_of_range, else "OPT: 'TEXT' is not a
 * time (FORMS)" (TEXT escaped as ismo_text_dup does). As cli_usage when usage != 0 (returns CLI_EXIT_USAGE),
 * else as cli_fail (CLI_EXIT_ERROR). */
int cli_bad_time(const cli_t *cli, int usage, const char *opt, const char *text,
                 const char *forms);

/* An objective id given on the command line must be valid
 * (ismo_id_is_valid) before it is sent. Returns CLI_EXIT_OK, or
 * CLI_EXIT_USAGE with "'ID' is not a valid objective id" (the id escaped
 * as ismo_text_dup does). */
int cli_check_id(const cli_t *cli, const char *id);

/* ismod's clock (Ping server_time_ms, UTC ms) into *now_ms. Returns
 * CLI_EXIT_OK, or an exit code (message printed) as cli_call_failed. */
int cli_server_now(const cli_t *cli, ismo_client_t *client, int64_t *now_ms);

/* An --as-of instant *ms (parsed from text by cli_parse_instant) must not
 * be after ismod's time (cli_server_now): there is no state of the future
 * to reconstruct. A date naming ismod's current day (its end is still
 * ahead) means now: *ms is set to ismod's time. Returns CLI_EXIT_OK, or
 * CLI_EXIT_USAGE ("OPT: <instant> is after ismod's time <now>") or a
 * request's exit code (message printed). */
int cli_check_as_of(const cli_t *cli, ismo_client_t *client, const char *opt, const char *text,
                    int64_t *ms);

/* Parse a non-negative integer option; 0 ok, -1 (usage message printed). */
int cli_parse_u64(const cli_t *cli, const char *opt, const char *text, uint64_t *out);

/* Print the usage text of all commands on f. */
void cli_print_usage(FILE *f);

/* The commands (one file per family). */
int cmd_ping(cli_t *cli, int argc, char **argv);      /* cmd_status.c */
int cmd_backup(cli_t *cli, int argc, char **argv);    /* cmd_status.c */
int cmd_samples(cli_t *cli, int argc, char **argv);   /* cmd_status.c */
int cmd_history(cli_t *cli, int argc, char **argv);   /* cmd_history.c */
int cmd_lint(cli_t *cli, int argc, char **argv);      /* cmd_history.c */
int cmd_status(cli_t *cli, int argc, char **argv);    /* cmd_status.c */
int cmd_list(cli_t *cli, int argc, char **argv);      /* cmd_objectives.c */
int cmd_show(cli_t *cli, int argc, char **argv);      /* cmd_objectives.c */
int cmd_push(cli_t *cli, int argc, char **argv);      /* cmd_objectives.c */
int cmd_retire(cli_t *cli, int argc, char **argv);    /* cmd_objectives.c */
int cmd_import(cli_t *cli, int argc, char **argv);    /* cmd_import.c */
int cmd_export(cli_t *cli, int argc, char **argv);    /* cmd_export.c */
int cmd_events(cli_t *cli, int argc, char **argv);    /* cmd_watch.c */
int cmd_watch(cli_t *cli, int argc, char **argv);     /* cmd_watch.c */
int cmd_report(cli_t *cli, int argc, char **argv);    /* cmd_report.c */
int cmd_audit(cli_t *cli, int argc, char **argv);     /* cmd_audit.c */
int cmd_keygen(cli_t *cli, int argc, char **argv);    /* cmd_keygen.c */
int cmd_explain(cli_t *cli, int argc, char **argv);   /* cmd_explain.c */
int cmd_ack(cli_t *cli, int argc, char **argv);       /* cmd_review.c */
int cmd_review(cli_t *cli, int argc, char **argv);    /* cmd_review.c */

#endif
