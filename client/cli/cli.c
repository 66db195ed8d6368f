/* cli: option handling, error messages and connection set-up shared by the
 * command families (see cli.h). No state of its own. */
#include "cli.h"
#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ismo_time.h"

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
    if (!zone || !*zone) {
        return cli_usage(cli, "--tz needs a time zone name (an IANA name such as Europe/Berlin, "
                              "or UTC), not an empty string");
    }
    if (ismo_fmt_set_zone(zone, why, sizeof why) != 0) {
        return cli_usage(cli, "%s", why);
    }
    cli->tz = zone;
    return CLI_EXIT_OK;
}

int cli_scan_zone(cli_t *cli, int argc, char **argv)
{
    for (int i = 1; i < argc && argv[i]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            break;
        }
        if (strcmp(a, "--tz") == 0 && i + 1 < argc && argv[i + 1]) {
            int rc = cli_set_zone(cli, argv[i + 1]);
            if (rc != CLI_EXIT_OK) {
                return rc;
            }
            i++;
        } else if (strncmp(a, "--tz=", 5) == 0) {
            int rc = cli_set_zone(cli, a + 5);
            if (rc != CLI_EXIT_OK) {
                return rc;
            }
        }
    }
    return CLI_EXIT_OK;
}

/* A date-time ("...T...") with no "Z" and no offset after the 'T'. */
static int is_zoneless_date_time(const char *text)
{
    const char *t = strchr(text, 'T');
    if (!t || text[0] == '@') {
        return 0;
    }
    return strpbrk(t + 1, "Zz+-") == NULL;
}

int cli_parse_time(const cli_t *cli, const char *text, int end_of_period, int64_t *ms)
{
    (void)cli;
    int64_t v;
    if (!text || ismo_time_parse(text, end_of_period, &v) != ISMO_OK) {
        return -1;
    }
    if (is_zoneless_date_time(text) && strcmp(ismo_fmt_zone(), "UTC") != 0) {
        /* v is the wall time read as UTC: read it in the display zone
         * instead (ismo_fmt_set_zone set the process's TZ to it) */
        int64_t secs = v >= 0 ? v / 1000 : -((-v + 999) / 1000);
        int64_t msec = v - secs * 1000;
        time_t t = (time_t)secs;
        struct tm tm;
        if (!gmtime_r(&t, &tm)) {
            return -1;
        }
        tm.tm_isdst = -1;
        time_t local = mktime(&tm);
        if (local == (time_t)-1) {
            return -1;
        }
        v = (int64_t)local * 1000 + msec;
        if (v < ISMO_MIN_INSTANT_MS || v > ISMO_MAX_INSTANT_MS) {
            return -1;
        }
    }
    *ms = v;
    return 0;
}

int cli_parse_instant(const cli_t *cli, const char *opt, const char *text, int64_t *ms)
{
    if (!text || cli_parse_time(cli, text, 1, ms) != 0 || *ms <= 0) {
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
