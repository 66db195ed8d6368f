/* ismo: the command-line client of ismod (docs/cli.md is its manual).
 *
 * main() is thin: read the global options (environment, then command line),
 * find the command in the table and run it. Each command family lives in its
 * own cmd_*.c; the register importer is the pure module register.c. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

typedef struct command {
    const char *name;
    int (*run)(cli_t *cli, int argc, char **argv);
    const char *usage;
} command;

static const command commands[] = {
    {"ping", cmd_ping, "ping                              server version, time and last event seq"},
    {"import", cmd_import,
     "import FILE [--dry-run]           import a YAML or CSV register of objectives\n"
     "  import [FILE] --policies FILE --risks FILE [--high-score N]\n"
     "                                    policy and risk registers (objectives refer to them)\n"
     "  import FILE --samples-for ID --service SLUG [--per day|check] [--dry-run]\n"
     "                                    backfill samples from an Upptime status CSV"},
    {"export", cmd_export,
     "export [--format yaml|csv] [-o FILE] [--function F]\n"
     "                                    the current register (re-importable, byte-identical round trip)\n"
     "  export --policies|--risks [--format yaml|csv] [-o FILE]   the policy or risk register"},
    {"list", cmd_list,
     "list [--function F] [--all]       objectives as a tree (children under parents), lifecycle"},
    {"show", cmd_show,
     "show ID [--version N | --as-of DATE]   one objective, its plan, notes and status (then)"},
    {"push", cmd_push, "push ID VALUE [--at TIME] [--source S]   push one sample"},
    {"samples", cmd_samples,
     "samples ID [--since TIME] [--limit N] [-o table|json]   stored samples, oldest first"},
    {"status", cmd_status,
     "status [--function F] [--as-of DATE] [-o table|json] [ID...]   computed status, as a tree"},
    {"explain", cmd_explain,
     "explain ID [--as-of DATE] [--limit N] [-o text|json]   why: rules, numbers, periods, samples"},
    {"ack", cmd_ack, "ack ID [--key K ...] [--note TEXT]   acknowledge reminders (stops repeats)"},
    {"review", cmd_review,
     "review add ID --decision continue|adjust|close --note TEXT [--date DATE]\n"
     "                                    record a management-review decision (9.3)\n"
     "  review list [ID] [--since DATE] [--until DATE] [-o table|json]   review records"},
    {"events", cmd_events,
     "events [--since SEQ] [--function F] [--kind K] [--limit N]   stored events"},
    {"watch", cmd_watch,
     "watch [--function F] [--kind K] [--since SEQ] [--count N] [--timeout-s S]\n"
     "                                    print events as they happen"},
    {"report", cmd_report,
     "report [--from DATE] [--to DATE] [--format md|html|csv] [-o FILE] [--function F]\n"
     "                                    management-review pack (9.3 inputs)"},
    {"history", cmd_history, "history ID                        every version: who, when, why, what changed"},
    {"lint", cmd_lint,
     "lint [--function F] [--json]      register consistency: SMART gaps, drafts, dangling refs, tree,\n"
     "                                    unsupported policy commitments, untreated high risks; exit 1 if any"},
    {"retire", cmd_retire, "retire ID --reason TEXT           retire an objective (history kept)"},
    {"backup", cmd_backup, "backup DIR                        consistent compacted copy of ismod's store (on its host)"},
    {"audit", cmd_audit,
     "audit verify                      ismod recomputes its audit trail (exit 1: chain broken)\n"
     "  audit export [-o FILE] [--since SEQ]   the audit trail as JSON lines\n"
     "  audit verify-file FILE --public-key HEX|FILE   offline check of an export"},
    {"keygen", cmd_keygen,
     "keygen NAME --role agent|owner|auditor|admin [--functions F[,F]] --out DIR\n"
     "                                    a CURVE certificate: DIR/NAME.cert (for ismod's --certs-dir)\n"
     "                                    and DIR/NAME.cert_secret (mode 0600, for the client)\n"
     "  keygen --server --out DIR         the server's pair (ismod --curve-cert DIR/server.cert_secret)"},
};

void cli_print_usage(FILE *f)
{
    fprintf(f, "usage: ismo [global options] COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(f, "  %s\n", commands[i].usage);
    }
    fprintf(f,
            "\nglobal options (also accepted after the command):\n"
            "  --endpoint E       request endpoint (env ISMO_ENDPOINT, default %s)\n"
            "  --pub-endpoint E   event endpoint (env ISMO_PUB_ENDPOINT, default %s)\n"
            "  --actor NAME       who makes changes (default $USER)\n"
            "  --reason TEXT      why (recorded with changes)\n"
            "  --timeout-ms N     time to wait for each reply (default %d)\n"
            "  --server-key K     CURVE: the server's public .cert file or Z85 key (env ISMO_SERVER_KEY)\n"
            "  --cert FILE        CURVE: this client's NAME.cert_secret (env ISMO_CERT)\n"
            "  --tz ZONE          display times in this IANA zone (env ISMO_TZ, default UTC)\n"
            "\nexit codes: 0 ok, 1 error, 2 usage, 3 server unreachable\n",
            ISMO_DEFAULT_ENDPOINT, ISMO_DEFAULT_PUB_ENDPOINT, ISMO_DEFAULT_TIMEOUT_MS);
}

int main(int argc, char **argv)
{
    cli_t cli = {0};
    cli.endpoint = getenv("ISMO_ENDPOINT");
    cli.pub_endpoint = getenv("ISMO_PUB_ENDPOINT");
    if (!cli.endpoint || !*cli.endpoint) {
        cli.endpoint = ISMO_DEFAULT_ENDPOINT;
    }
    if (!cli.pub_endpoint || !*cli.pub_endpoint) {
        cli.pub_endpoint = ISMO_DEFAULT_PUB_ENDPOINT;
    }
    cli.timeout_ms = ISMO_DEFAULT_TIMEOUT_MS;
    cli.command = "ismo";
    const char *tz = getenv("ISMO_TZ");
    char why[256];
    if (tz && *tz && ismo_fmt_set_zone(tz, why, sizeof why) != 0) {
        fprintf(stderr, "ismo: ISMO_TZ: %s\n", why);
        return CLI_EXIT_USAGE;
    }
    if (!tz || !*tz) {
        ismo_fmt_set_zone("UTC", why, sizeof why);
    }
    cli.tz = tz && *tz ? tz : NULL;

    static const struct option opts[] = {CLI_GLOBAL_OPTIONS, {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
        if (c == 'V') {
            printf("ismo %s\n", ISMO_VERSION);
            return CLI_EXIT_OK;
        }
        if (c == 'h') {
            c = CLI_OPT_HELP;
        }
        if (c == '?') {
            fprintf(stderr, "ismo: unknown or incomplete option '%s'\n", argv[optind - 1]);
            cli_print_usage(stderr);
            return CLI_EXIT_USAGE;
        }
        int rc = cli_global_option(&cli, c, optarg);
        if (rc < 0) {
            return CLI_EXIT_OK;
        }
        if (rc != CLI_EXIT_OK) {
            return rc;
        }
    }
    if (optind >= argc) {
        cli_print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[optind];
    if (strcmp(name, "help") == 0) {
        cli_print_usage(stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            cli.command = commands[i].name;
            int first = optind;
            int zrc = cli_scan_zone(&cli, argc - first, argv + first); /* --tz before times */
            if (zrc != CLI_EXIT_OK) {
                return zrc;
            }
            optind = 0; /* GNU getopt: full re-initialisation for the command's options */
            return commands[i].run(&cli, argc - first, argv + first);
        }
    }
    fprintf(stderr, "ismo: unknown command '%s'\n", name);
    cli_print_usage(stderr);
    return CLI_EXIT_USAGE;
}
