/* cmd_import: "ismo import": load registers (register.c, no sockets) and
 * send them: the policy and risk registers (--policies, --risks) with one
 * PutContext, then PutObjective for each objective of the objectives
 * register (the server stores a new version only when something changed),
 * then the dated samples in batches of at most IMPORT_BATCH. Prints one line
 * per objective, the totals and every warning. References of objectives to
 * policy commitments, risks and parents that ismod does not know are
 * reported as warnings and kept (ISO/IEC 27001:2022 6.2 a, c: the lint
 * lists them too). Any file with errors refuses the whole command before
 * anything is sent. */
#include <math.h>
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

static int in_list(const char *id, char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ids[i], id) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Known ids for the reference check: policy commitments, risks, objectives. */
typedef struct known_ids {
    char **policies, **risks, **objectives;
    size_t n_policies, n_risks, n_objectives;
    int have_policies, have_risks; /* 0: no register to check against */
} known_ids;

static void ids_add(char ***v, size_t *n, const char *id)
{
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    char *d = strdup(id ? id : "");
    if (!nv || !d) {
        fprintf(stderr, "ismo: out of memory\n");
        abort();
    }
    *v = nv;
    (*v)[(*n)++] = d;
}

static void ids_free(known_ids *k)
{
    for (size_t i = 0; i < k->n_policies; i++) {
        free(k->policies[i]);
    }
    for (size_t i = 0; i < k->n_risks; i++) {
        free(k->risks[i]);
    }
    for (size_t i = 0; i < k->n_objectives; i++) {
        free(k->objectives[i]);
    }
    free(k->policies);
    free(k->risks);
    free(k->objectives);
    memset(k, 0, sizeof *k);
}

/* Warn about every reference of the register's objectives that known does
 * not hold; the references stay on the objectives. Returns the count. */
static size_t check_refs(const ismo_register_t *reg, const char *path, const known_ids *k)
{
    size_t n = 0;
    for (size_t i = 0; i < ismo_register_objective_count(reg); i++) {
        const Ismo__V1__Objective *o = ismo_register_objective(reg, i);
        int line = ismo_register_objective_line(reg, i);
        for (size_t j = 0; k->have_policies && j < o->n_policy_refs; j++) {
            if (!in_list(o->policy_refs[j], k->policies, k->n_policies) &&
                !ismo_ref_is_iso_clause(o->policy_refs[j])) {
                printf("warning: %s:%d: %s: %s refers to '%s', which is not in the "
                       "policy register; the reference is kept\n",
                       path, line, ismo_register_ref_column(reg, 0), o->id, o->policy_refs[j]);
                n++;
            }
        }
        for (size_t j = 0; k->have_risks && j < o->n_risk_refs; j++) {
            if (!in_list(o->risk_refs[j], k->risks, k->n_risks)) {
                printf("warning: %s:%d: %s: %s refers to risk '%s', which is not in the "
                       "risk register; the reference is kept\n",
                       path, line, ismo_register_ref_column(reg, 1), o->id, o->risk_refs[j]);
                n++;
            }
        }
        if (o->parent_id && *o->parent_id && !in_list(o->parent_id, k->objectives, k->n_objectives)) {
            printf("warning: %s:%d: %s: %s has the parent '%s', which is neither in this "
                   "register nor stored; the reference is kept\n",
                   path, line, ismo_register_ref_column(reg, 2), o->id, o->parent_id);
            n++;
        }
    }
    if (!k->have_policies || !k->have_risks) {
        printf("note: no %s%s%s register to check references against (ismo import --policies "
               "FILE --risks FILE)\n",
               k->have_policies ? "" : "policy", !k->have_policies && !k->have_risks ? " or " : "",
               k->have_risks ? "" : "risk");
    }
    return n;
}

/* Load --policies and --risks files; 0 ok, else messages printed. */
static int load_context_files(const cli_t *cli, ismo_register_t *ctx, const char *policies,
                              const char *risks, double high_score)
{
    ismo_err e1 = policies ? ismo_register_load_policies(ctx, policies) : ISMO_OK;
    ismo_err e2 = risks ? ismo_register_load_risks(ctx, risks, high_score) : ISMO_OK;
    print_register_messages(cli, ctx);
    for (size_t i = 0; i < ismo_register_error_count(ctx); i++) {
        cli_fail(cli, "%s", ismo_register_error(ctx, i));
    }
    return e1 == ISMO_OK && e2 == ISMO_OK ? 0 : -1;
}

static size_t count_high(const ismo_register_t *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < ismo_register_risk_count(ctx); i++) {
        n += ismo_register_risks(ctx)[i]->high;
    }
    return n;
}

/* How many policy commitments and risks ismod holds ("8", or "more than
 * 10000" when its list is cut at max_list); "?" when it cannot be asked. */
static void context_holdings(ismo_client_t *client, char *pol, char *risk, size_t len)
{
    Ismo__V1__Reply *reply = NULL;
    snprintf(pol, len, "?");
    snprintf(risk, len, "?");
    if (ismo_list_context(client, &reply) == ISMO_OK && reply && reply->list_context) {
        const Ismo__V1__ListContextReply *l = reply->list_context;
        snprintf(pol, len, "%s%zu", l->more ? "at least " : "", l->n_policies);
        snprintf(risk, len, "%s%zu", l->more ? "at least " : "", l->n_risks);
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
}

/* PutContext with what ctx loaded, then ListContext for what ismod now
 * holds in all (PutContextReply counts only what this request stored);
 * returns an exit code. */
static int send_context(const cli_t *cli, ismo_client_t *client, const ismo_register_t *ctx)
{
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_put_context(client, ismo_register_policies(ctx),
                                    ismo_register_policy_count(ctx), ismo_register_risks(ctx),
                                    ismo_register_risk_count(ctx), 0, &reply);
    if (err != ISMO_OK || !reply || !reply->put_context) {
        int rc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                 "policy and risk registers not stored");
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        return rc;
    }
    unsigned put_pol = reply->put_context->policies, put_risk = reply->put_context->risks;
    ismo__v1__reply__free_unpacked(reply, NULL);
    char held_pol[32], held_risk[32];
    context_holdings(client, held_pol, held_risk, sizeof held_pol);
    if (ismo_register_policy_count(ctx)) {
        printf("policies: %zu sent, %u stored (ismod holds %s)\n", ismo_register_policy_count(ctx),
               put_pol, held_pol);
    }
    if (ismo_register_risk_count(ctx)) {
        printf("risks: %zu sent, %zu of them high, %u stored (ismod holds %s)\n",
               ismo_register_risk_count(ctx), count_high(ctx), put_risk, held_risk);
    }
    return CLI_EXIT_OK;
}

/* What the server holds (after this import), for check_refs. 0 ok; -1 when
 * the server could not be asked (a note is printed, nothing is checked). */
static int known_from_server(ismo_client_t *client, const ismo_register_t *reg, known_ids *k)
{
    Ismo__V1__Reply *reply = NULL;
    ismo_err err = ismo_list_context(client, &reply);
    if (err != ISMO_OK || !reply || !reply->list_context) {
        printf("note: references not checked: cannot list ismod's policy and risk registers "
               "(%s)\n",
               ismo_client_error(client));
        if (reply) {
            ismo__v1__reply__free_unpacked(reply, NULL);
        }
        return -1;
    }
    const Ismo__V1__ListContextReply *l = reply->list_context;
    if (l->more) {
        printf("note: references not checked: ismod holds more policy commitments or risks than "
               "it lists at once (max_list)\n");
        ismo__v1__reply__free_unpacked(reply, NULL);
        return -1;
    }
    for (size_t i = 0; i < l->n_policies; i++) {
        ids_add(&k->policies, &k->n_policies, l->policies[i]->id);
    }
    for (size_t i = 0; i < l->n_risks; i++) {
        ids_add(&k->risks, &k->n_risks, l->risks[i]->id);
    }
    k->have_policies = l->n_policies > 0;
    k->have_risks = l->n_risks > 0;
    ismo__v1__reply__free_unpacked(reply, NULL);
    reply = NULL;
    int need_objectives = 0;
    for (size_t i = 0; i < ismo_register_objective_count(reg); i++) {
        const Ismo__V1__Objective *o = ismo_register_objective(reg, i);
        ids_add(&k->objectives, &k->n_objectives, o->id);
        need_objectives |= o->parent_id && *o->parent_id;
    }
    if (need_objectives && ismo_list_objectives(client, NULL, 1, &reply) == ISMO_OK &&
        reply->list_objectives) {
        for (size_t i = 0; i < reply->list_objectives->n_objectives; i++) {
            ids_add(&k->objectives, &k->n_objectives, reply->list_objectives->objectives[i]->id);
        }
    }
    if (reply) {
        ismo__v1__reply__free_unpacked(reply, NULL);
    }
    return 0;
}

int cmd_import(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"dry-run", no_argument, NULL, 'n'},
                                         {"samples-for", required_argument, NULL, 's'},
                                         {"service", required_argument, NULL, 'S'},
                                         {"per", required_argument, NULL, 'p'},
                                         {"policies", required_argument, NULL, 'P'},
                                         {"risks", required_argument, NULL, 'R'},
                                         {"high-score", required_argument, NULL, 'H'},
                                         {NULL, 0, NULL, 0}};
    int dry_run = 0;
    const char *samples_for = NULL, *service = NULL, *per = "day";
    const char *policies = NULL, *risks = NULL;
    double high_score = ISMO_RISK_HIGH_SCORE;
    char *end = NULL;
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
        case 'P':
            policies = optarg;
            break;
        case 'R':
            risks = optarg;
            break;
        case 'H':
            high_score = strtod(optarg, &end);
            if (end == optarg || *end || !isfinite(high_score)) {
                return cli_usage(cli, "--high-score needs a number, not '%s'", optarg);
            }
            break;
        default: {
            int rc = cli_global_option(cli, c, optarg);
            if (rc != CLI_EXIT_OK) {
                return rc < 0 ? CLI_EXIT_OK : rc;
            }
        } break;
        }
    }
    int has_context = policies || risks;
    if (argc - optind > 1 || (argc - optind == 0 && !has_context)) {
        return cli_usage(cli, "needs one FILE (and/or --policies FILE, --risks FILE)");
    }
    if ((samples_for != NULL) != (service != NULL)) {
        return cli_usage(cli, "--samples-for ID and --service SLUG go together");
    }
    if (samples_for && has_context) {
        return cli_usage(cli, "--samples-for and --policies/--risks are separate imports");
    }
    if (strcmp(per, "day") != 0 && strcmp(per, "check") != 0) {
        return cli_usage(cli, "--per must be day or check, not '%s'", per);
    }
    const char *path = optind < argc ? argv[optind] : NULL;
    ismo_register_t *ctx = ismo_register_new();
    if (has_context && load_context_files(cli, ctx, policies, risks, high_score) != 0) {
        cli_fail(cli, "%s%s%s refused: nothing was imported", policies ? policies : "",
                 policies && risks ? " and " : "", risks ? risks : "");
        ismo_register_destroy(&ctx);
        return CLI_EXIT_ERROR;
    }
    ismo_register_t *reg = ismo_register_new();
    ismo_err err = !path        ? ISMO_OK
                   : samples_for ? ismo_register_load_upptime(reg, path, samples_for, service,
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
        ismo_register_destroy(&ctx);
        return CLI_EXIT_ERROR;
    }
    size_t n_obj = ismo_register_objective_count(reg);
    size_t n_samples = ismo_register_sample_count(reg);
    if (dry_run) {
        if (has_context) {
            printf("would put %zu policy commitments and %zu risks (%zu high)\n",
                   ismo_register_policy_count(ctx), ismo_register_risk_count(ctx),
                   count_high(ctx));
        }
        for (size_t i = 0; i < n_obj; i++) {
            const Ismo__V1__Objective *o = ismo_register_objective(reg, i);
            printf("would put  %-20s line %d, function %s, %zu action(s), %zu import note(s)\n",
                   o->id, ismo_register_objective_line(reg, i), o->function ? o->function : "-",
                   o->n_actions, o->n_import_notes);
        }
        print_register_messages(cli, reg);
        size_t n_ref = 0;
        if (path && !samples_for) {
            /* only against the registers given with this command */
            known_ids k = {0};
            for (size_t i = 0; i < ismo_register_policy_count(ctx); i++) {
                ids_add(&k.policies, &k.n_policies, ismo_register_policies(ctx)[i]->id);
            }
            for (size_t i = 0; i < ismo_register_risk_count(ctx); i++) {
                ids_add(&k.risks, &k.n_risks, ismo_register_risks(ctx)[i]->id);
            }
            for (size_t i = 0; i < n_obj; i++) {
                ids_add(&k.objectives, &k.n_objectives, ismo_register_objective(reg, i)->id);
            }
            k.have_policies = policies != NULL;
            k.have_risks = risks != NULL;
            n_ref = check_refs(reg, path, &k);
            ids_free(&k);
        }
        if (n_obj > 0 && !samples_for) {
            printf("note: not checked against the objectives ismod holds (parent cycles through "
                   "them, retired ids): the import checks that before it stores anything\n");
        }
        printf("dry run: %zu objectives, %zu samples, %zu warnings; nothing sent\n", n_obj,
               n_samples, ismo_register_warning_count(reg) + ismo_register_warning_count(ctx) + n_ref);
        ismo_register_destroy(&reg);
        ismo_register_destroy(&ctx);
        return CLI_EXIT_OK;
    }
    ismo_client_t *client = cli_connect(cli);
    if (!client) {
        ismo_register_destroy(&reg);
        ismo_register_destroy(&ctx);
        return CLI_EXIT_ERROR;
    }
    if (!cli->reason) {
        char reason[512];
        snprintf(reason, sizeof reason, "import %s", path ? path : policies ? policies : risks);
        ismo_client_set_reason(client, reason);
    }
    if (path && !samples_for && n_obj > 0) {
        /* what ismod would refuse, against what it holds, before anything is stored */
        Ismo__V1__Reply *reply = NULL;
        err = ismo_list_objectives(client, NULL, 1, &reply);
        if (err != ISMO_OK || !reply || !reply->list_objectives) {
            int lrc = cli_call_failed(cli, client, err == ISMO_OK ? ISMO_ERR_PROTOCOL : err,
                                      "cannot list the objectives ismod holds to check the "
                                      "register against them; nothing was imported");
            if (reply) {
                ismo__v1__reply__free_unpacked(reply, NULL);
            }
            ismo_client_destroy(&client);
            ismo_register_destroy(&reg);
            ismo_register_destroy(&ctx);
            return lrc;
        }
        size_t bad = ismo_register_check_stored(reg, reply->list_objectives->objectives,
                                                reply->list_objectives->n_objectives);
        ismo__v1__reply__free_unpacked(reply, NULL);
        if (bad > 0) {
            print_register_messages(cli, reg);
            for (size_t i = 0; i < ismo_register_error_count(reg); i++) {
                cli_fail(cli, "%s", ismo_register_error(reg, i));
            }
            cli_fail(cli, "%s refused: %zu objective(s) ismod would refuse; nothing was imported",
                     path, bad);
            ismo_client_destroy(&client);
            ismo_register_destroy(&reg);
            ismo_register_destroy(&ctx);
            return CLI_EXIT_ERROR;
        }
    }
    if (has_context) {
        int crc = send_context(cli, client, ctx);
        if (crc != CLI_EXIT_OK || !path) {
            ismo_client_destroy(&client);
            ismo_register_destroy(&reg);
            ismo_register_destroy(&ctx);
            return crc;
        }
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
            ismo_register_destroy(&ctx);
            return rc;
        }
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
                ismo_register_destroy(&ctx);
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
    size_t n_ref = 0;
    if (n_obj > 0 && rc != CLI_EXIT_UNREACHABLE) {
        known_ids k = {0};
        if (known_from_server(client, reg, &k) == 0) {
            n_ref = check_refs(reg, path, &k);
        }
        ids_free(&k);
    }
    if (n_obj > 0) {
        printf("objectives: %zu (created %zu, updated %zu, unchanged %zu, failed %zu)\n", n_obj,
               tot.created, tot.updated, tot.unchanged, tot.failed);
    }
    printf("samples: %zu (accepted %zu, duplicates %zu, rejected %zu%s)\n", n_samples,
           tot.accepted, tot.duplicates, tot.rejected,
           tot.rejected > MAX_REJECTIONS_SHOWN ? ", the first 10 listed on stderr" : "");
    printf("warnings: %zu\n",
           ismo_register_warning_count(reg) + ismo_register_warning_count(ctx) + n_ref);
    ismo_client_destroy(&client);
    ismo_register_destroy(&reg);
    ismo_register_destroy(&ctx);
    return rc;
}
