/* cli: option handling, error messages and connection set-up shared by the
 * command families (see cli.h). No state of its own. */
#include "cli.h"
#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_fail(const cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (strcmp(cli->command, "ismo") == 0) {
        fprintf(stderr, "ismo: ");
    } else {
        fprintf(stderr, "ismo: %s: ", cli->command);
    }
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_EXIT_ERROR;
}

int cli_usage(const cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (strcmp(cli->command, "ismo") == 0) {
        fprintf(stderr, "ismo: ");
    } else {
        fprintf(stderr, "ismo: %s: ", cli->command);
    }
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'ismo help')\n");
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int cli_call_failed(const cli_t *cli, ismo_client_t *client, ismo_err err, const char *what)
{
    const char *detail = client ? ismo_client_error(client) : "";
    fprintf(stderr, "ismo: %s: %s: %s\n", cli->command, what, *detail ? detail : ismo_strerror(err));
    return err == ISMO_ERR_TIMEOUT ? CLI_EXIT_UNREACHABLE : CLI_EXIT_ERROR;
}

int cli_parse_u64(const cli_t *cli, const char *opt, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!text || !*text || *text == '-') {
        cli_usage(cli, "%s needs a non-negative integer, not '%s'", opt, text ? text : "");
        return -1;
    }
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end) {
        cli_usage(cli, "%s needs a non-negative integer, not '%s'", opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_set_zone(cli_t *cli, const char *zone)
{
    char why[256];
    if (ismo_fmt_set_zone(zone, why, sizeof why) != 0) {
        return cli_usage(cli, "%s", why);
    }
    cli->tz = zone;
    return CLI_EXIT_OK;
}

int cli_parse_instant(const cli_t *cli, const char *opt, const char *text, int64_t *ms)
{
    if (!text || ismo_time_parse(text, 1, ms) != ISMO_OK || *ms <= 0) {
        cli_usage(cli, "%s: '%s' is not a time (2026-06-30, 2026-Q2, 2026-06, "
                       "2026-06-30T12:00:00Z, @ms)",
                  opt, text ? text : "");
        return -1;
    }
    return 0;
}

int cli_global_option(cli_t *cli, int c, const char *arg)
{
    uint64_t v;
    switch (c) {
    case CLI_OPT_ENDPOINT:
        cli->endpoint = arg;
        return CLI_EXIT_OK;
    case CLI_OPT_PUB_ENDPOINT:
        cli->pub_endpoint = arg;
        return CLI_EXIT_OK;
    case CLI_OPT_ACTOR:
        cli->actor = arg;
        return CLI_EXIT_OK;
    case CLI_OPT_REASON:
        cli->reason = arg;
        return CLI_EXIT_OK;
    case CLI_OPT_TIMEOUT_MS:
        if (cli_parse_u64(cli, "--timeout-ms", arg, &v) != 0) {
            return CLI_EXIT_USAGE;
        }
        if (v == 0 || v > 3600000) {
            return cli_usage(cli, "--timeout-ms must be 1..3600000, not %s", arg);
        }
        cli->timeout_ms = (int64_t)v;
        return CLI_EXIT_OK;
    case CLI_OPT_SERVER_KEY: /* libismo reads both from the environment (client and subscription) */
        setenv("ISMO_SERVER_KEY", arg, 1);
        return CLI_EXIT_OK;
    case CLI_OPT_CERT:
        setenv("ISMO_CERT", arg, 1);
        return CLI_EXIT_OK;
    case CLI_OPT_TZ:
        return cli_set_zone(cli, arg);
    case CLI_OPT_HELP:
        cli_print_usage(stdout);
        return -1;
    default:
        return cli_usage(cli, "unknown or incomplete option");
    }
}

ismo_client_t *cli_connect(const cli_t *cli)
{
    ismo_client_t *client = ismo_client_new(cli->endpoint, cli->actor);
    if (!client) {
        cli_fail(cli, "cannot use endpoint '%s'", cli->endpoint);
        return NULL;
    }
    ismo_client_set_timeout_ms(client, cli->timeout_ms);
    if (cli->reason) {
        ismo_client_set_reason(client, cli->reason);
    }
    return client;
}
