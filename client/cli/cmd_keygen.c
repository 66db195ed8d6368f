/* cmd_keygen: `ismo keygen` issues CURVE certificates (CZMQ zcert files) for
 * ismod's certificate directory and for clients. No server involved: the
 * files are written locally; an admin copies the public NAME.cert into
 * ismod's --certs-dir and hands NAME.cert_secret (mode 0600) to the client. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "ismo_keys.h"

enum { OPT_ROLE = 1, OPT_FUNCTIONS, OPT_OUT, OPT_SERVER };

static int valid_name(const char *s)
{
    size_t l = strlen(s);
    if (l == 0 || l > 63) {
        return 0;
    }
    for (const char *p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.' || *p == '@')) {
            return 0;
        }
    }
    return s[0] != '.';
}

int cmd_keygen(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"role", required_argument, NULL, OPT_ROLE},
                                         {"functions", required_argument, NULL, OPT_FUNCTIONS},
                                         {"out", required_argument, NULL, OPT_OUT},
                                         {"server", no_argument, NULL, OPT_SERVER},
                                         {NULL, 0, NULL, 0}};
    const char *role = NULL, *functions = "", *out = NULL;
    int server = 0, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == OPT_ROLE) {
            role = optarg;
        } else if (c == OPT_FUNCTIONS) {
            functions = optarg;
        } else if (c == OPT_OUT) {
            out = optarg;
        } else if (c == OPT_SERVER) {
            server = 1;
        } else {
            int rc = cli_global_option(cli, c, optarg);
            if (rc < 0) {
                return CLI_EXIT_OK;
            }
            if (rc != CLI_EXIT_OK) {
                return rc;
            }
        }
    }
    if (!out) {
        return cli_usage(cli, "--out DIR is required");
    }
    const char *name = server ? "server" : (optind < argc ? argv[optind] : NULL);
    if (!server) {
        if (!name || optind + 1 != argc) {
            return cli_usage(cli, "give one NAME (or --server)");
        }
        if (!valid_name(name)) {
            return cli_usage(cli, "NAME must be 1..63 letters, digits, '-', '_', '.', '@'");
        }
        if (!role || (strcmp(role, "agent") && strcmp(role, "owner") && strcmp(role, "auditor") &&
                      strcmp(role, "admin"))) {
            return cli_usage(cli, "--role must be agent, owner, auditor or admin");
        }
        if (strcmp(role, "agent") == 0 && !*functions) {
            return cli_usage(cli, "an agent needs --functions F[,F...]");
        }
        if (strlen(functions) > 255) {
            return cli_usage(cli, "--functions is longer than 255 bytes");
        }
    } else if (role || *functions || optind != argc) {
        return cli_usage(cli, "--server takes no NAME, --role or --functions");
    }
    struct stat st;
    if (stat(out, &st) != 0 && mkdir(out, 0700) != 0) {
        return cli_fail(cli, "cannot create %s", out);
    }
    char path[PATH_MAX], pub[ISMO_KEY_Z85_BYTES], why[512];
    snprintf(path, sizeof path, "%s/%s.cert", out, name);
    const char *meta[3][2] = {{"name", server ? "ismod" : name},
                              {"role", server ? "server" : role},
                              {"functions", functions}};
    ismo_err err = ismo_keys_generate(path, (const char *const(*)[2])meta, server || !*functions ? 2 : 3, pub,
                                      why, sizeof why);
    if (err != ISMO_OK) {
        return cli_fail(cli, "%s", why);
    }
    printf("%s\t(public: %s)\n%s_secret\t(secret, mode 0600)\n", path,
           server ? "give it to every client as ISMO_SERVER_KEY" : "copy it into ismod's --certs-dir", path);
    printf("public key %s\n", pub);
    if (server) {
        printf("start ismod with --curve-cert %s_secret --certs-dir DIR\n", path);
    } else {
        printf("the client uses ISMO_CERT=%s_secret (or --cert)\n", path);
    }
    return CLI_EXIT_OK;
}
