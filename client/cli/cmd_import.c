/* cmd_import: "ismo import": load a register (register.c, no sockets) and
 * send it: PutObjective for each objective (the server stores a new version
 * only when something changed), then the dated samples in batches of at
 * most IMPORT_BATCH. Prints one line per objective, the totals and every
 * warning. A register with errors is refused before anything is sent. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "register.h"

#define IMPORT_BATCH 1000
/* rejected samples listed one by one; the rest only in the totals */
#define MAX_REJECTIONS_SHOWN 10

typedef struct import_totals {
    size_t created, updated, unchanged, failed;
    size_t accepted, duplicates, rejected;
} import_totals;

static void print_register_messages(const cli_t *cli, const ismo_register_t *reg)
{
    for (size_t i = 0; i < ismo_register_info_count(reg); i++) {
        printf("note: %s\n", ismo_register_info(reg, i));
    }
    for (size_t i = 0; i < ismo_register_warning_count(reg); i++) {
        printf("warning: %s\n", ismo_register_warning(reg, i));
    }
    (void)cli;
}

/* Push the register's samples in batches; returns an exit code. */
static int push_samples(const cli_t *cli, ismo_client_t *client, ismo_register_t *reg,
                        import_totals *tot)
{
    Ismo__V1__Sample **all = ismo_register_samples(reg);
    size_t n = ismo_register_sample_count(reg);
    int rc = CLI_EXIT_OK;
    for (size_t off = 0; off < n; off += IMPORT_BATCH) {
        size_t k = n - off < IMPORT_BATCH ? n - off : IMPORT_BATCH;
        Ismo__V1__Reply *reply = NULL;
        ismo_err err = ismo_push_samples(client, all + off, k, &reply);
        Ismo__V1__PushSamplesReply *p = reply ? reply->push_samples : NULL;
        if (err != ISMO_OK && err != ISMO_ERR_PARTIAL) {
            char what[96];
            snprintf(what, sizeof what, "cannot push samples %zu..%zu", off + 1, off + k);
            rc = cli_call_failed(cli, client, err, what);
            if (reply) {
                ismo__v1__reply__free_unpacked(reply, NULL);
            }
            return rc;
        }
        if (p) {
            tot->accepted += p->accepted;
            tot->duplicates += p->duplicates;
            tot->rejected += p->n_rejected;
            for (size_t i = 0; i < p->n_rejected; i++) {
                const Ismo__V1__SampleRejection *r = p->rejected[i];
                rc = CLI_EXIT_ERROR;
                if (tot->rejected - p->n_rejected + i >= MAX_REJECTIONS_SHOWN) {
                    continue; /* counted in the totals line */
                }
                const Ismo__V1__Sample *s = r->index < k ? all[off + r->index] : NULL;
                cli_fail(cli, "sample %s of %s rejected: %s: %s",
                         s && s->sample_id ? s->sample_id : "?", s ? s->objective_id : "?",
                         ismo_status_name(r->code), r->message ? r->message : "");
            }
        }
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    return rc;
}

int cmd_import(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"dry-run", no_argument, NULL, 'n'},
                                         {"samples-for", required_argument, NULL, 's'},
                                         {"service", required_argument, NULL, 'S'},
                                         {"per", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    int dry_run = 0;
    const char *samples_for = NULL, *service = NULL, *per = "day";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "n", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            dry_run = 1;
            break;
        case 's':
            samples_for = optarg;
            break;
        case 'S':
            service = optarg;
            break;
        case 'p':
            per = optarg;
            break;
        default: {
            int rc = cli_global_option(cli, c, optarg);
            if (rc != CLI_EXIT_OK) {
                return rc < 0 ? CLI_EXIT_OK : rc;
            }
        } break;
        }
    }
    if (argc - optind != 1) {
        return cli_usage(cli, "needs exactly one FILE");
    }
    if ((samples_for != NULL) != (service != NULL)) {
        return cli_usage(cli, "--samples-for ID and --service SLUG go together");
    }
    if (strcmp(per, "day") != 0 && strcmp(per, "check") != 0) {
        return cli_usage(cli, "--per must be day or check, not '%s'", per);
    }
    const char *path = argv[optind];
    ismo_register_t *reg = ismo_register_new();
    ismo_err err = samples_for ? ismo_register_load_upptime(reg, path, samples_for, service,
                                                            strcmp(per, "check") == 0
                                                                ? ISMO_UPPTIME_PER_CHECK
                                                                : ISMO_UPPTIME_PER_DAY)
                               : ismo_register_load(reg, path);
    if (err != ISMO_OK) {
        print_register_messages(cli, reg);
        for (size_t i = 0; i < ismo_register_error_count(reg); i++) {
            cli_fail(cli, "%s", ismo_register_error(reg, i));
        }
        cli_fail(cli, "%s refused: nothing was imported", path);
        ismo_register_destroy(&reg);
        return CLI_EXIT_ERROR;
    }
    size_t n_obj = ismo_register_objective_count(reg);
    size_t n_samples = ismo_register_sample_count(reg);
    if (dry_run) {
        for (size_t i = 0; i < n_obj; i++) {
            const Ismo__V1__Objective *o = ismo_register_objective(reg, i);
            printf("would put  %-20s line %d, function %s, %zu action(s), %zu import note(s)\n",
                   o->id, ismo_register_objective_line(reg, i), o->function ? o->function : "-",
                   o->n_actions, o->n_import_notes);
        }
        print_register_messages(cli, reg);
        printf("dry run: %zu objectives, %zu samples, %zu warnings; nothing sent\n", n_obj,
               n_samples, ismo_register_warning_count(reg));
        ismo_register_destroy(&reg);
        return CLI_EXIT_OK;
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        ismo_register_destroy(&reg);
        return CLI_EXIT_ERROR;
    }
    if (samples_for) {
        /* samples of an unknown objective would all be rejected: say it once */
        Ismo__V1__Reply *reply = NULL;
        err = ismo_get_objective(client, samples_for, 0, &reply);
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        if (err != ISMO_OK) {
            char what[160];
            snprintf(what, sizeof what,
                     "cannot import samples for %s (import the register that defines it first)",
                     samples_for);
            int rc = cli_call_failed(cli, client, err, what);
            ismo_client_destroy(&client);
            ismo_register_destroy(&reg);
            return rc;
        }
    }
    if (!cli->reason) {
        char reason[512];
        snprintf(reason, sizeof reason, "import %s", path);
        ismo_client_set_reason(client, reason);
    }
    import_totals tot = {0};
    int rc = CLI_EXIT_OK;
    for (size_t i = 0; i < n_obj; i++) {
        Ismo__V1__Objective *o = ismo_register_objective(reg, i);
        Ismo__V1__Reply *reply = NULL;
        err = ismo_put_objective(client, o, &reply);
        if (err != ISMO_OK || !reply->put_objective) {
            char what[160];
            snprintf(what, sizeof what, "%s (line %d) not stored", o->id,
                     ismo_register_objective_line(reg, i));
            rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err, what);
            tot.failed++;
            if (reply) {
                ismo__v1__reply__free_unpacked(reply, NULL);
            }
            if (rc == CLI_EXIT_UNREACHABLE) {
                ismo_client_destroy(&client);
                ismo_register_destroy(&reg);
                return rc;
            }
            continue;
        }
        const Ismo__V1__PutObjectiveReply *p = reply->put_objective;
        const char *what = p->created ? "created" : p->unchanged ? "unchanged" : "updated";
        tot.created += p->created;
        tot.unchanged += !p->created && p->unchanged;
        tot.updated += !p->created && !p->unchanged;
        printf("%-9s  %s (version %u)\n", what, o->id, p->version);
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    if (n_samples > 0) {
        int prc = push_samples(cli, client, reg, &tot);
        if (prc == CLI_EXIT_UNREACHABLE || rc == CLI_EXIT_OK) {
            rc = prc;
        }
    }
    print_register_messages(cli, reg);
    if (n_obj > 0) {
        printf("objectives: %zu (created %zu, updated %zu, unchanged %zu, failed %zu)\n", n_obj,
               tot.created, tot.updated, tot.unchanged, tot.failed);
    }
    printf("samples: %zu (accepted %zu, duplicates %zu, rejected %zu%s)\n", n_samples,
           tot.accepted, tot.duplicates, tot.rejected,
           tot.rejected > MAX_REJECTIONS_SHOWN ? ", the first 10 listed on stderr" : "");
    printf("warnings: %zu\n", ismo_register_warning_count(reg));
    ismo_client_destroy(&client);
    ismo_register_destroy(&reg);
    return rc;
}
