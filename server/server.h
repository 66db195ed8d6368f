/* server: ismod as a library. Binds a ROUTER endpoint (requests) and a PUB
 * endpoint (events), runs the loop: drain every ready request into one LMDB
 * write transaction (group commit), commit, then send the replies and publish
 * the events; on each clock tick evaluate the objectives that are due.
 * Tests start it in-process on "tcp://127.0.0.1:*"; main.c is thin.
 * Not thread-safe except ismo_server_stop, which any thread or a signal
 * handler may call. */
#ifndef ISMO_SERVER_H
#define ISMO_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ismo_err.h"

typedef struct ismo_server ismo_server_t;

/* Open the store under cfg->data_dir and bind both endpoints. cfg is copied.
 * Errors: ISMO_ERR_LOCKED (another ismod uses data_dir), ISMO_ERR_IO (store),
 * ISMO_ERR_TRANSPORT (bind failed), with the reason in why.
 * The caller owns *server_p; free with ismo_server_destroy. */
ismo_err ismo_server_new(const ismo_config *cfg, ismo_server_t **server_p, char *why, size_t why_len);

/* Stop the loop, close sockets and the store; nulls *server_p; safe on NULL. */
void ismo_server_destroy(ismo_server_t **server_p);

/* The endpoints actually bound (with the real port when "*" was asked).
 * Borrowed; valid until destroy. */
const char *ismo_server_endpoint(const ismo_server_t *server);
const char *ismo_server_pub_endpoint(const ismo_server_t *server);

/* The server's clock reading (UTC ms) of the last clock tick that
 * committed; 0 before the first. Any thread may call it (tests use it to
 * wait until a tick has run at or after a simulated instant). */
int64_t ismo_server_ticked_ms(const ismo_server_t *server);

/* Run until ismo_server_stop. Returns ISMO_OK after a clean stop, or the
 * fatal error that ended the loop. */
ismo_err ismo_server_run(ismo_server_t *server);

/* Ask a running loop to stop (async-signal-safe: sets a flag). */
void ismo_server_stop(ismo_server_t *server);

#endif
