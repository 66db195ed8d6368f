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

int cli_time_out_of_range(const char *text)
{
    if (!text) {
        return 0;
    }
    if (text[0] == '@') {
        const char *p = text + 1;
        int neg = *p == '-';
        p += neg;
        if (!*p || strspn(p, "0123456789") != strlen(p)) {
            return 0;
        }
        return neg || strlen(p) > 15 || strtoll(p, NULL, 10) > ISMO_MAX_INSTANT_MS;
    }
    /* a well-formed time whose year is outside 1970..9999 (or that lands
     * outside by its offset): the same text with the year 2000 parses */
    const char *p = text + (text[0] == '-' || text[0] == '+');
    size_t digits = strspn(p, "0123456789");
    if (digits < 4 || p[digits] != '-' || strlen(p) >= 64) {
        return 0;
    }
    char fixed[72];
    snprintf(fixed, sizeof fixed, "2000%s", p + digits);
    int64_t ms;
    if (ismo_time_parse(fixed, 0, &ms) != ISMO_OK) {
        return 0;
    }
    return cli_parse_time(NULL, text, 0, &ms) != 0 || ms <= 0;
}

int cli_bad_time(const cli_t *cli, int usage, const char *opt, const char *text, const char *forms)
{
    char *shown = ismo_text_dup(text); /* one line, control bytes escaped */
    int rc;
    if (cli_time_out_of_range(text)) {
        rc = (usage ? cli_usage : cli_fail)(cli, "%s: '%s' is out of range (1970..9999, UTC)", opt,
                                            shown);
    } else {
        rc = (usage ? cli_usage : cli_fail)(cli, "%s: '%s' is not a time (%s)", opt, shown, forms);
    }
    free(shown);
    return rc;
}

int cli_parse_instant(const cli_t *cli, const char *opt, const char *text, int64_t *ms)
{
    if (!text || cli_parse_time(cli, text, 1, ms) != 0 || *ms <= 0) {
        cli_bad_time(cli, 1, opt, text,
                     "2026-06-30, 2026-Q2, 2026-06, 2026-06-30T12:00:00Z, @ms");
        return -1;
    }
    return 0;
}

int cli_check_id(const cli_t *cli, const char *id)
{
    if (id && ismo_id_is_valid(id)) {
        return CLI_EXIT_OK;
    }
    char *shown = ismo_text_dup(id);
    cli_usage(cli, "'%s' is not a valid objective id (1..%d of A-Z a-z 0-9 . _ : -)", shown,
              ISMO_MAX_ID_BYTES);
    free(shown);
    return CLI_EXIT_USAGE;
}

int cli_server_now(const cli_t *cli, ismo_client_t *client, int64_t *now_ms)
{
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_ping(client, &reply);
    int rc = CLI_EXIT_OK;
    if (err != ISMO_OK || !reply->ping || !reply->ping->has_server_time_ms) {
        rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                             "cannot read ismod's time");
    } else {
        *now_ms = reply->ping->server_time_ms;
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    return rc;
}

int cli_check_as_of(const cli_t *cli, ismo_client_t *client, const char *opt, const char *text,
                    int64_t *ms)
{
    int64_t now = 0;
    int rc = cli_server_now(cli, client, &now);
    if (rc != CLI_EXIT_OK || *ms <= now) {
        return rc;
    }
    int64_t start;
    if (text && !strchr(text, 'T') && text[0] != '@' && strlen(text) == 10 &&
        cli_parse_time(cli, text, 0, &start) == 0 && start <= now) {
        *ms = now; /* today: as of now */
        return CLI_EXIT_OK;
    }
    char t1[40], t2[40];
    return cli_usage(cli, "%s: '%s' (%s) is after ismod's time %s: there is no state to show yet",
                     opt, text ? text : "", ismo_fmt_time(*ms, t1, sizeof t1),
                     ismo_fmt_time(now, t2, sizeof t2));
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
