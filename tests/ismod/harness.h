/* harness: start ismod in-process (a thread) on ephemeral loopback ports with
 * a fresh temporary data directory, for black-box tests. */
#ifndef ISMO_TEST_HARNESS_H
#define ISMO_TEST_HARNESS_H

#include <stdint.h>

#include "config.h"
#include "server.h"

typedef struct harness {
    ismo_config cfg;
    ismo_server_t *server;
    char dir[256];
    char endpoint[256];
    char pub_endpoint[256];
    int running;
    void *thread; /* pthread_t * */
} harness;

/* Fill h->cfg with test defaults (temp dir, 127.0.0.1:*, tick 100 ms, --insecure). */
void harness_init(harness *h);
/* Start the server thread; asserts on failure. */
void harness_start(harness *h);
/* Stop and join; the data directory stays (restart with harness_start). */
void harness_stop(harness *h);
/* Remove the data directory. */
void harness_cleanup(harness *h);

#endif
