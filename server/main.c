/* ismod: parse settings, install signal handlers, then new / run / destroy. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ismo_log.h"
#include "server.h"

static ismo_server_t *g_server;

static void on_signal(int sig)
{
    (void)sig;
    if (g_server) {
        ismo_server_stop(g_server);
    }
}

int main(int argc, char **argv)
{
    ismo_config cfg;
    char why[512];
    ismo_config_defaults(&cfg);
    ismo_err err = ismo_config_parse_args(&cfg, argc, argv, why, sizeof why);
    if (err == ISMO_ERR_INTERRUPTED) {
        return 0;
    }
    if (err != ISMO_OK) {
        fprintf(stderr, "ismod: %s\n", why);
        return 2;
    }
    ismo_log_set_level((ismo_log_level)cfg.log_level);
    err = ismo_server_new(&cfg, &g_server, why, sizeof why);
    if (err != ISMO_OK) {
        fprintf(stderr, "ismod: cannot start: %s\n", why);
        return err == ISMO_ERR_LOCKED ? 3 : 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    err = ismo_server_run(g_server);
    ismo_server_destroy(&g_server);
    if (err != ISMO_OK) {
        fprintf(stderr, "ismod: %s\n", ismo_strerror(err));
        return 1;
    }
    return 0;
}
