/* ismo_keys: CurveZMQ key files (CZMQ's zcert format) for ismod, libismo and
 * the ismo CLI. A certificate is two files: NAME.cert (the public key and the
 * metadata: name, role, functions) and NAME.cert_secret (the same plus the
 * secret key, mode 0600). Keys are handled as Z85 text (40 characters).
 * No state; any thread. */
#ifndef ISMO_KEYS_H
#define ISMO_KEYS_H

#include <stddef.h>

#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Z85 text of a 32-byte CURVE key, with its terminating NUL. */
#define ISMO_KEY_Z85_BYTES 41

/* A peer's public key from path_or_z85: a 40-character Z85 key, or the path
 * of a zcert file (public or secret). Errors: ISMO_ERR_IO (unreadable or not a
 * certificate), with the reason in why. */
ismo_err ismo_keys_load_public(const char *path_or_z85, char public_z85[ISMO_KEY_Z85_BYTES], char *why,
                               size_t why_len);

/* Both keys of a secret certificate file (NAME.cert_secret; given NAME.cert,
 * the _secret beside it is read). Errors: ISMO_ERR_IO when the file is
 * unreadable or holds no secret key. */
ismo_err ismo_keys_load_secret(const char *path, char public_z85[ISMO_KEY_Z85_BYTES],
                               char secret_z85[ISMO_KEY_Z85_BYTES], char *why, size_t why_len);

/* Generate a new key pair and write path (public + metadata) and
 * path + "_secret" (mode 0600). meta: n pairs {key, value} ({"name","it-ops-agent"},
 * {"role","agent"}, {"functions","it-ops"}). Refuses to overwrite (ISMO_ERR_CONFLICT).
 * public_z85 (may be NULL) receives the public key. Errors: ISMO_ERR_IO. */
ismo_err ismo_keys_generate(const char *path, const char *const (*meta)[2], size_t n_meta,
                            char public_z85[ISMO_KEY_Z85_BYTES], char *why, size_t why_len);

#ifdef __cplusplus
}
#endif
#endif
