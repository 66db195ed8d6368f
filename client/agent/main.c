/* ismo-agent: measure a function's information security objectives and act
 * on its reminders (ISO/IEC 27001:2022 6.2 e, f). Thin: arguments, config,
 * signals, then agent new / run / destroy. The manual is docs/agent.md. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "config.h"
#include "ismo_log.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ismo-agent --config FILE [--log-level debug|info|warn|error] [--once]\n"
            "                  [--synthetic N [--synthetic-rate PER_S]]\n"
            "       ismo-agent --check --config FILE     validate the configuration and exit\n"
            "       ismo-agent --help-config             print the configuration keys\n"
            "\n"
            "  --once   run every collector once, send the spool, catch up with events, exit:\n"
            "           0 = nothing left spooled, 2 = samples still spooled (server away or\n"
            "           objectives not imported), 1 = configuration or state error.\n"
            "  --synthetic N  load test: instead of the collectors, offer N generated samples\n"
            "           through the same spool and send path (objectives of the collectors,\n"
            "           round-robin; list in state_dir/synthetic); exit once all are settled.\n"
            "  --synthetic-rate PER_S  offer at most PER_S synthetic samples per second.\n"
            "Environment: ISMO_AGENT_STATE_DIR, ISMO_ENDPOINT, ISMO_PUB_ENDPOINT override the file.\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},  {"log-level", required_argument, NULL, 'l'},
        {"once", no_argument, NULL, 'o'},          {"check", no_argument, NULL, 'k'},
        {"help-config", no_argument, NULL, 'H'},   {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {"synthetic", required_argument, NULL, 'S'},
        {"synthetic-rate", required_argument, NULL, 'R'}, {NULL, 0, NULL, 0}};
    unsigned long long synthetic = 0;
    unsigned long long synthetic_rate = 0;
    const char *config_path = NULL;
    int once = 0;
    int check = 0;
    int c;
    while ((c = getopt_long(argc, argv, "c:l:okhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case 'l': {
            ismo_log_level level;
            if (ismo_log_level_parse(optarg, &level) != 0) {
                fprintf(stderr, "ismo-agent: unknown log level '%s'\n", optarg);
                return 1;
            }
            ismo_log_set_level(level);
            break;
        }
        case 'o':
            once = 1;
            break;
        case 'k':
            check = 1;
            break;
        case 'S': {
            char *end = NULL;
            errno = 0;
            synthetic = strtoull(optarg, &end, 10);
            if (errno || !end || *end || optarg[0] == '-' || synthetic == 0) {
                fprintf(stderr, "ismo-agent: --synthetic wants a positive count, not '%s'\n", optarg);
                return 1;
            }
            break;
        }
        case 'R': {
            char *end = NULL;
            errno = 0;
            synthetic_rate = strtoull(optarg, &end, 10);
            if (errno || !end || *end || optarg[0] == '-' || synthetic_rate == 0) {
                fprintf(stderr, "ismo-agent: --synthetic-rate wants a positive count, not '%s'\n",
                        optarg);
                return 1;
            }
            break;
        }
        case 'H':
            ismo_agent_config_describe(stdout);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("ismo-agent %s\n", ISMO_VERSION);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (!config_path || optind != argc) {
        usage(stderr);
        return 1;
    }
    char why[600];
    ismo_agent_config *cfg = NULL;
    ismo_err err = ismo_agent_config_load(config_path, &cfg, why, sizeof why);
    if (err == ISMO_OK) {
        err = ismo_agent_config_apply_env(cfg);
        snprintf(why, sizeof why, "%s", ismo_strerror(err));
    }
    if (err != ISMO_OK) {
        ISMO_ERROR("agent", "configuration: %s", why);
        ismo_agent_config_destroy(&cfg);
        return 1;
    }
    if (check) {
        printf("%s: ok (agent %s, function %s, %zu collectors)\n", config_path, cfg->name,
               cfg->function, cfg->n_collectors);
        ismo_agent_config_destroy(&cfg);
        return 0;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: zmq_poll returns with EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    ismo_agent_t *agent = NULL;
    err = ismo_agent_new(cfg, &agent);
    int rc = 1;
    if (err == ISMO_OK && synthetic > 0) {
        err = ismo_agent_set_synthetic(agent, synthetic, synthetic_rate);
        if (err != ISMO_OK) {
            ismo_agent_destroy(&agent);
            ismo_agent_config_destroy(&cfg);
            return 1;
        }
    }
    if (err == ISMO_OK) {
        if (once) {
            err = ismo_agent_run_once(agent, &g_stop);
            rc = err == ISMO_OK ? 0 : 2;
        } else {
            err = ismo_agent_run(agent, &g_stop);
            rc = err == ISMO_OK ? 0 : 1;
        }
    } else {
        ISMO_ERROR("agent", "cannot start: %s", ismo_strerror(err));
    }
    ismo_agent_destroy(&agent);
    ismo_agent_config_destroy(&cfg);
    return rc;
}
