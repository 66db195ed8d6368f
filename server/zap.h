/* zap: ismod's ZAP handler (ZeroMQ RFC 27) for CURVE, and the identity of an
 * authenticated peer (name, role, functions) that authorization uses.
 *
 * A thread with a REP socket bound to inproc://zeromq.zap.01 in the server's
 * zmq context answers libzmq's authentication requests: a client key is
 * admitted when a certificate in the certificate directory holds it. The
 * directory is re-read at most every ISMO_ZAP_RESCAN_MS and the files'
 * contents are compared (not their mtimes or sizes), so an added, removed or
 * rewritten certificate takes effect without a restart. The ZAP reply's user
 * id is the certificate's name; its metadata carries "Role", "Functions" and
 * "Key" (the client's public key, Z85), which ismod reads per message with
 * zmq_msg_gets. ismo_zap_lookup lets the server thread check per message
 * that a key is still present (revocation also ends established sessions).
 *
 * Certificate files: *.cert in zcert format (ismo keygen), metadata
 * name (1..63 bytes), role (agent | owner | auditor | admin) and functions
 * (comma-separated; "*" = all). Files without a valid name and role are
 * skipped with a warning. *.cert_secret files are ignored. */
#ifndef ISMO_ZAP_H
#define ISMO_ZAP_H

#include <stddef.h>

#include "ismo_err.h"

#define ISMO_ZAP_RESCAN_MS 500
#define ISMO_ZAP_DOMAIN "ismo"

typedef enum ismo_role {
    ISMO_ROLE_NONE = 0,
    ISMO_ROLE_AGENT = 1,   /* pushes samples for its functions' objectives; reads its functions */
    ISMO_ROLE_OWNER = 2,   /* changes the objectives it owns (owner == its name); reads everything */
    ISMO_ROLE_AUDITOR = 4, /* reads everything, changes nothing */
    ISMO_ROLE_ADMIN = 8    /* everything */
} ismo_role;

/* Who sent a request (or a subscription). */
typedef struct ismo_peer {
    char name[64];        /* the certificate's name (ZAP user id) */
    ismo_role role;
    char functions[256];  /* comma-separated function names; "*" = all */
    char key[41];         /* public key, Z85; "" with --insecure */
} ismo_peer;

/* "agent", "owner", "auditor", "admin" (or "none"). */
const char *ismo_role_name(ismo_role role);
/* Parse a role name; ISMO_ROLE_NONE if unknown. */
ismo_role ismo_role_parse(const char *text);
/* 1 if the peer may see/act for function (auditor and admin: every function;
 * functions "*": every function), else 0. */
int ismo_peer_has_function(const ismo_peer *peer, const char *function);
/* 1 if the peer is limited to the functions it lists (agent and owner
 * without "*"). */
int ismo_peer_limited(const ismo_peer *peer);

typedef struct ismo_zap ismo_zap_t;

/* Bind the ZAP endpoint in ctx, read certs_dir once and start the thread.
 * Errors: ISMO_ERR_IO (directory unreadable), ISMO_ERR_TRANSPORT (another
 * ZAP handler is bound in ctx), with the reason in why. Caller owns *zap_p;
 * destroy it before zmq_ctx_term. */
ismo_err ismo_zap_new(void *ctx, const char *certs_dir, ismo_zap_t **zap_p, char *why, size_t why_len);

/* Stop the thread (within ISMO_ZAP_RESCAN_MS), close its socket; nulls *zap_p. */
void ismo_zap_destroy(ismo_zap_t **zap_p);

/* The current certificate for key_z85 (after a re-read when the last one is
 * older than ISMO_ZAP_RESCAN_MS): 1 and *peer filled, or 0 when no
 * certificate holds the key (revoked). Thread-safe. */
int ismo_zap_lookup(ismo_zap_t *zap, const char *key_z85, ismo_peer *peer);

/* Changes of the certificate table since the last call ("added NAME (ROLE:
 * FUNCTIONS); removed NAME; ..."), for the audit trail: 1 and text in buf
 * (cut to len), or 0 when nothing changed. Thread-safe. */
int ismo_zap_take_changes(ismo_zap_t *zap, char *buf, size_t len);

#endif
