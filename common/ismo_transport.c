/* ismo_transport: libzmq socket options and bind/connect, one place for
 * libzmq errno translation. No state; any thread (sockets are not shared). */
#include "ismo_transport.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

ismo_socket_opts ismo_socket_opts_default(void)
{
    ismo_socket_opts o = {0};
    o.max_msg_bytes = 0;
    o.linger_ms = 0;
    o.heartbeat_ivl_ms = 5000;
    o.heartbeat_timeout_ms = 15000;
    return o;
}

ismo_err ismo_socket_open(void *ctx, int type, const char *endpoint, int bind,
                          const ismo_socket_opts *opts, void **sock_p, char *why, size_t why_len)
{
    ismo_socket_opts d = ismo_socket_opts_default();
    if (!opts) {
        opts = &d;
    }
    *sock_p = NULL;
    void *s = zmq_socket(ctx, type);
    if (!s) {
        snprintf(why, why_len, "zmq_socket: %s", zmq_strerror(errno));
        return ISMO_ERR_TRANSPORT;
    }
    int rc = 0;
    rc |= zmq_setsockopt(s, ZMQ_LINGER, &opts->linger_ms, sizeof(int));
    if (opts->max_msg_bytes > 0) {
        rc |= zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &opts->max_msg_bytes, sizeof(int64_t));
    }
    if (opts->heartbeat_ivl_ms > 0) {
        rc |= zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &opts->heartbeat_ivl_ms, sizeof(int));
        rc |= zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &opts->heartbeat_timeout_ms, sizeof(int));
    }
    if (opts->sndhwm > 0) {
        rc |= zmq_setsockopt(s, ZMQ_SNDHWM, &opts->sndhwm, sizeof(int));
    }
    if (opts->rcvhwm > 0) {
        rc |= zmq_setsockopt(s, ZMQ_RCVHWM, &opts->rcvhwm, sizeof(int));
    }
    if (type == ZMQ_ROUTER && opts->router_mandatory) {
        int one = 1;
        rc |= zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    }
    if (type == ZMQ_XPUB && opts->xpub_manual) {
        int one = 1;
        rc |= zmq_setsockopt(s, ZMQ_XPUB_MANUAL, &one, sizeof one);
        rc |= zmq_setsockopt(s, ZMQ_XPUB_VERBOSER, &one, sizeof one);
    }
    if (opts->handshake_ivl_ms > 0) {
        rc |= zmq_setsockopt(s, ZMQ_HANDSHAKE_IVL, &opts->handshake_ivl_ms, sizeof(int));
    }
    if (opts->curve_secret_key[0] && !opts->curve_server_key[0]) { /* server */
        int one = 1;
        rc |= zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one);
        rc |= zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, opts->curve_secret_key, 41);
        if (opts->zap_domain[0]) {
            rc |= zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, opts->zap_domain, strlen(opts->zap_domain));
        }
    } else if (opts->curve_server_key[0]) { /* client */
        rc |= zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, opts->curve_server_key, 41);
        rc |= zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, opts->curve_public_key, 41);
        rc |= zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, opts->curve_secret_key, 41);
    }
    if (rc != 0) {
        snprintf(why, why_len, "zmq_setsockopt: %s", zmq_strerror(errno));
        zmq_close(s);
        return ISMO_ERR_TRANSPORT;
    }
    rc = bind ? zmq_bind(s, endpoint) : zmq_connect(s, endpoint);
    if (rc != 0) {
        snprintf(why, why_len, "%s %s: %s", bind ? "bind" : "connect", endpoint,
                 zmq_strerror(errno));
        zmq_close(s);
        return ISMO_ERR_TRANSPORT;
    }
    *sock_p = s;
    return ISMO_OK;
}

ismo_err ismo_socket_last_endpoint(void *sock, char *buf, size_t len)
{
    size_t l = len;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, buf, &l) != 0) {
        return ISMO_ERR_TRANSPORT;
    }
    return ISMO_OK;
}
