/* ismo_transport: libzmq socket set-up shared by ismod, libismo and ismo-agent.
 *
 * The only module (with the sockets' users) that sees libzmq errno values;
 * it translates them to ismo_err. Sockets are plain libzmq sockets (void *). */
#ifndef ISMO_TRANSPORT_H
#define ISMO_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default endpoints: requests (ROUTER) and events (PUB), loopback only. */
#define ISMO_DEFAULT_ENDPOINT "tcp://127.0.0.1:7770"
#define ISMO_DEFAULT_PUB_ENDPOINT "tcp://127.0.0.1:7771"

typedef struct ismo_socket_opts {
    int64_t max_msg_bytes;     /* ZMQ_MAXMSGSIZE; 0 = unlimited */
    int linger_ms;             /* ZMQ_LINGER */
    int heartbeat_ivl_ms;      /* ZMQ_HEARTBEAT_IVL (ZMTP 3.1 PING); 0 = off */
    int heartbeat_timeout_ms;  /* ZMQ_HEARTBEAT_TIMEOUT */
    int sndhwm;                /* ZMQ_SNDHWM, messages; 0 = libzmq default */
    int rcvhwm;                /* ZMQ_RCVHWM, messages; 0 = libzmq default */
    int router_mandatory;      /* ROUTER only: fail instead of dropping to unknown peers */
    int handshake_ivl_ms;      /* ZMQ_HANDSHAKE_IVL: a peer that does not finish the ZMTP
                                  (and CURVE) handshake in this time is dropped; 0 = libzmq's 30000 */
    /* CurveZMQ (RFC 26), keys as Z85 text (40 characters); "" = not used.
     * Server side: curve_secret_key set and curve_server_key "" (ZMQ_CURVE_SERVER;
     * ZAP domain zap_domain, so the ZAP handler decides who may connect).
     * Client side: curve_public_key, curve_secret_key and the server's curve_server_key. */
    char curve_public_key[41];
    char curve_secret_key[41];
    char curve_server_key[41];
    char zap_domain[32];
    int xpub_manual;           /* XPUB only: ZMQ_XPUB_MANUAL and ZMQ_XPUB_VERBOSER, set before
                                  binding (the owner decides every subscription) */
} ismo_socket_opts;

/* Defaults: no size limit, linger 0 ms, heartbeats every 5000 ms with a
 * 15000 ms time-out, libzmq's default high-water marks and handshake
 * interval, no CURVE (plain TCP). */
ismo_socket_opts ismo_socket_opts_default(void);

/* Create a socket of type (ZMQ_ROUTER, ZMQ_DEALER, ZMQ_PUB, ZMQ_SUB, ...),
 * apply opts (NULL = defaults), then bind (bind != 0) or connect to endpoint.
 * On success *sock_p is owned by the caller (close with zmq_close).
 * Errors: ISMO_ERR_TRANSPORT with the libzmq reason in why. */
ismo_err ismo_socket_open(void *ctx, int type, const char *endpoint, int bind,
                          const ismo_socket_opts *opts, void **sock_p, char *why, size_t why_len);

/* The endpoint a socket is bound to (resolves "tcp://127.0.0.1:*" to the
 * real port) into buf. Returns ISMO_OK or ISMO_ERR_TRANSPORT. */
ismo_err ismo_socket_last_endpoint(void *sock, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
