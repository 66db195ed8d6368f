/* cmd_export: "ismo export": the current register (every objective that is
 * not retired, with its plan and all the fields the importer reads) as a
 * YAML register or an ismo CSV register, written by ismo_register_export
 * (register_export.c); with --policies or --risks the policy or risk
 * register ismod holds instead. `ismo import` reads the file back: export ->
 * import -> export gives the same bytes (docs/cli.md "export"). Only reads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "register.h"

int cmd_export(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"format", required_argument, NULL, 'F'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"function", required_argument, NULL, 'f'},
                                         {"policies", no_argument, NULL, 'P'},
                                         {"risks", no_argument, NULL, 'R'},
                                         {NULL, 0, NULL, 0}};
    const char *format = "yaml", *out = NULL, *function = NULL;
    int what = 'o'; /* objectives, 'P' policies, 'R' risks */
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:f:", opts, NULL)) != -1) {
        switch (c) {
        case 'F':
            format = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'f':
            function = optarg;
            break;
        case 'P':
        case 'R':
            if (what != 'o' && what != c) {
                return cli_usage(cli, "--policies and --risks are separate exports");
            }
            what = c;
            break;
            CLI_OPTION_DEFAULT(cli, c);
        }
    }
    if (optind < argc) {
        return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
    }
    ismo_register_format fmt;
    if (strcmp(format, "yaml") == 0) {
        fmt = ISMO_REGISTER_YAML;
    } else if (strcmp(format, "csv") == 0) {
        fmt = ISMO_REGISTER_ISMO_CSV;
    } else {
        return cli_usage(cli, "--format must be yaml or csv, not '%s'", format);
    }
    if (what != 'o' && function) {
        return cli_usage(cli, "--function applies to objectives, not to --policies or --risks");
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        return CLI_EXIT_ERROR;
    }
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = what == 'o' ? ismo_list_objectives(client, function, 0, &reply)
                               : ismo_list_context(client, &reply);
    if (err != ISMO_OK || !reply || (what == 'o' ? !reply->list_objectives : !reply->list_context)) {
        int rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                 what == 'o' ? "cannot list objectives"
                                             : "cannot list the policy and risk registers");
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        ismo_client_destroy(&client);
        return rc;
    }
    ismo_client_destroy(&client);
    if (what != 'o' && reply->list_context->more) {
        cli_fail(cli, "ismod holds more policy commitments or risks than it lists at once "
                      "(max_list); nothing written rather than a part");
        ismo__v1__reply__free_unpacked(reply, NULL);
        return CLI_EXIT_ERROR;
    }
    size_t len = 0, count = 0;
    char *text;
    const char *noun = "objectives";
    if (what == 'o') {
        const Ismo__V1__ListObjectivesReply *l = reply->list_objectives;
        text = ismo_register_export(l->objectives, l->n_objectives, fmt, &len);
        count = l->n_objectives;
    } else if (what == 'P') {
        const Ismo__V1__ListContextReply *l = reply->list_context;
        text = ismo_register_export_policies(l->policies, l->n_policies, fmt, &len);
        count = l->n_policies;
        noun = "policy commitments";
    } else {
        const Ismo__V1__ListContextReply *l = reply->list_context;
        text = ismo_register_export_risks(l->risks, l->n_risks, fmt, &len);
        count = l->n_risks;
        noun = "risks";
    }
    int rc = CLI_EXIT_OK;
    if (!out || strcmp(out, "-") == 0) {
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
            rc = cli_fail(cli, "cannot write to standard output: %s", strerror(errno));
        }
    } else {
        FILE *f = fopen(out, "wb");
        if (!f) {
            rc = cli_fail(cli, "cannot write %s: %s", out, strerror(errno));
        } else {
            int bad = fwrite(text, 1, len, f) != len;
            bad |= fclose(f) != 0;
            if (bad) {
                rc = cli_fail(cli, "cannot write %s: %s", out, strerror(errno));
            } else {
                fprintf(stderr, "ismo: export: %zu %s written to %s (%s)\n", count, noun, out,
                        format);
            }
        }
    }
    free(text);
    ismo__v1__reply__free_unpacked(reply, NULL);
    return rc;
}
