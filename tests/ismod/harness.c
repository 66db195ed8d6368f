/* harness: in-process ismod for tests (see harness.h). */
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ismo_log.h"

static void *run(void *arg)
{
    harness *h = arg;
    ismo_server_run(h->server);
    return NULL;
}

void harness_init(harness *h)
{
    memset(h, 0, sizeof *h);
    ismo_config_defaults(&h->cfg);
    snprintf(h->dir, sizeof h->dir, "/tmp/ismo-test-XXXXXX");
    if (!mkdtemp(h->dir)) {
        perror("mkdtemp");
        abort();
    }
    snprintf(h->cfg.data_dir, sizeof h->cfg.data_dir, "%s/data", h->dir);
    snprintf(h->cfg.endpoint, sizeof h->cfg.endpoint, "tcp://127.0.0.1:*");
    snprintf(h->cfg.pub_endpoint, sizeof h->cfg.pub_endpoint, "tcp://127.0.0.1:*");
    h->cfg.tick_ms = 100;
    h->cfg.insecure = 1; /* plain TCP on loopback: CURVE is tested in tests/security */
    ismo_log_set_level(getenv("ISMO_TEST_LOG") ? ISMO_LOG_DEBUG : ISMO_LOG_WARN);
}

void harness_start(harness *h)
{
    char why[512];
    if (h->endpoint[0]) { /* restart on the same ports */
        snprintf(h->cfg.endpoint, sizeof h->cfg.endpoint, "%s", h->endpoint);
        snprintf(h->cfg.pub_endpoint, sizeof h->cfg.pub_endpoint, "%s", h->pub_endpoint);
    }
    ismo_err err = ismo_server_new(&h->cfg, &h->server, why, sizeof why);
    if (err != ISMO_OK) {
        fprintf(stderr, "harness: server start failed: %s\n", why);
        abort();
    }
    snprintf(h->endpoint, sizeof h->endpoint, "%s", ismo_server_endpoint(h->server));
    snprintf(h->pub_endpoint, sizeof h->pub_endpoint, "%s", ismo_server_pub_endpoint(h->server));
    pthread_t *t = malloc(sizeof *t);
    h->thread = t;
    pthread_create(t, NULL, run, h);
    h->running = 1;
}

void harness_stop(harness *h)
{
    if (!h->running) {
        return;
    }
    ismo_server_stop(h->server);
    pthread_join(*(pthread_t *)h->thread, NULL);
    free(h->thread);
    h->thread = NULL;
    ismo_server_destroy(&h->server);
    h->running = 0;
}

void harness_cleanup(harness *h)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "harness: could not remove %s\n", h->dir);
    }
}
