/* ismo_err: the one error type of ismo.
 *
 * Every ismo function that can fail returns an ismo_err. ISMO_OK is 0; all
 * other values are negative-free small integers decoded by ismo_strerror().
 * LMDB codes are translated in server/store.c only, libzmq errno values in
 * common/ismo_transport.c only. The wire status codes a client sees
 * (ismo.v1.StatusCode, see docs/protocol.md) are a separate set; the mapping
 * between the two is ismo_err_to_status() / ismo_err_from_status().
 */
#ifndef ISMO_ERR_H
#define ISMO_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ismo_err {
    ISMO_OK = 0,
    ISMO_ERR_INVALID = 1,     /* a field is missing, out of range, NaN or too long */
    ISMO_ERR_NOT_FOUND = 2,   /* unknown objective id, version, or key */
    ISMO_ERR_CONFLICT = 3,    /* e.g. change to a retired objective */
    ISMO_ERR_TOO_LARGE = 4,   /* frame or batch above a configured maximum */
    ISMO_ERR_FULL = 5,        /* LMDB map or disk full; nothing was written */
    ISMO_ERR_IO = 6,          /* file or storage I/O error */
    ISMO_ERR_NOMEM = 7,       /* allocation failed */
    ISMO_ERR_TIMEOUT = 8,     /* no reply within the time-out; the server may be down */
    ISMO_ERR_TRANSPORT = 9,   /* libzmq failure (bad endpoint, socket error) */
    ISMO_ERR_PROTOCOL = 10,   /* peer sent bytes that are not a valid message */
    ISMO_ERR_BAD_REQUEST = 11,/* server could not decode our request */
    ISMO_ERR_INTERNAL = 12,   /* server-side fault */
    ISMO_ERR_UNAVAILABLE = 13,/* server shutting down */
    ISMO_ERR_PARSE = 14,      /* a register/config/time/duration text could not be parsed */
    ISMO_ERR_PARTIAL = 15,    /* some items of a batch were rejected */
    ISMO_ERR_INTERRUPTED = 16,/* a signal asked us to stop */
    ISMO_ERR_LOCKED = 17,     /* another process holds the resource (e.g. data directory) */
    ISMO_ERR_PERMISSION = 18  /* the peer's role/functions do not allow it (PERMISSION_DENIED) */
} ismo_err;

/* Static English text for err; never NULL, never freed. */
const char *ismo_strerror(ismo_err err);

/* Wire status code (ismo.v1.StatusCode value) for err. */
int ismo_err_to_status(ismo_err err);

/* ismo_err for a wire status code received in a Reply. */
ismo_err ismo_err_from_status(int status_code);

/* Upper-case name of a wire status code, e.g. "NOT_FOUND"; "UNKNOWN" if out of range. */
const char *ismo_status_name(int status_code);

#ifdef __cplusplus
}
#endif
#endif
