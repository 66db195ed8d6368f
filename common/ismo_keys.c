/* ismo_keys: CURVE key files through CZMQ's zcert (see ismo_keys.h). Owns no
 * state; zcert objects live only inside each call. Any thread. */
#include "ismo_keys.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int is_z85_key(const char *s)
{
    if (strlen(s) != 40) {
        return 0;
    }
    uint8_t raw[32];
    return zmq_z85_decode(raw, s) != NULL;
}

ismo_err ismo_keys_load_public(const char *path_or_z85, char public_z85[ISMO_KEY_Z85_BYTES], char *why,
                               size_t why_len)
{
    struct stat st;
    if (stat(path_or_z85, &st) != 0 && is_z85_key(path_or_z85)) {
        snprintf(public_z85, ISMO_KEY_Z85_BYTES, "%s", path_or_z85);
        return ISMO_OK;
    }
    if (stat(path_or_z85, &st) != 0) {
        snprintf(why, why_len, "%s: %s (want a .cert file or a 40-character Z85 key)", path_or_z85,
                 strerror(errno));
        return ISMO_ERR_IO;
    }
    zcert_t *cert = zcert_load(path_or_z85);
    if (!cert) {
        snprintf(why, why_len, "%s: not a certificate file", path_or_z85);
        return ISMO_ERR_IO;
    }
    snprintf(public_z85, ISMO_KEY_Z85_BYTES, "%s", zcert_public_txt(cert));
    zcert_destroy(&cert);
    return ISMO_OK;
}

ismo_err ismo_keys_load_secret(const char *path, char public_z85[ISMO_KEY_Z85_BYTES],
                               char secret_z85[ISMO_KEY_Z85_BYTES], char *why, size_t why_len)
{
    struct stat st;
    char secret_path[1100];
    size_t l = strlen(path);
    if (l > 7 && strcmp(path + l - 7, "_secret") == 0) {
        snprintf(secret_path, sizeof secret_path, "%s", path);
    } else {
        snprintf(secret_path, sizeof secret_path, "%s_secret", path);
    }
    if (stat(secret_path, &st) != 0) {
        snprintf(why, why_len, "%s: %s", secret_path, strerror(errno));
        return ISMO_ERR_IO;
    }
    /* zcert_load(X) reads X_secret when it exists, else X: give it the secret file itself */
    zcert_t *cert = zcert_load(secret_path);
    if (!cert) {
        snprintf(why, why_len, "%s: not a certificate file", secret_path);
        return ISMO_ERR_IO;
    }
    const uint8_t *sk = zcert_secret_key(cert);
    int any = 0;
    for (int i = 0; i < 32; i++) {
        any |= sk[i];
    }
    if (!any) {
        zcert_destroy(&cert);
        snprintf(why, why_len, "%s holds no secret key", secret_path);
        return ISMO_ERR_IO;
    }
    snprintf(public_z85, ISMO_KEY_Z85_BYTES, "%s", zcert_public_txt(cert));
    snprintf(secret_z85, ISMO_KEY_Z85_BYTES, "%s", zcert_secret_txt(cert));
    zcert_destroy(&cert);
    return ISMO_OK;
}

ismo_err ismo_keys_generate(const char *path, const char *const (*meta)[2], size_t n_meta,
                            char public_z85[ISMO_KEY_Z85_BYTES], char *why, size_t why_len)
{
    struct stat st;
    char secret_path[1100];
    snprintf(secret_path, sizeof secret_path, "%s_secret", path);
    if (stat(path, &st) == 0 || stat(secret_path, &st) == 0) {
        snprintf(why, why_len, "%s already exists (not overwritten)", stat(path, &st) == 0 ? path : secret_path);
        return ISMO_ERR_CONFLICT;
    }
    zcert_t *cert = zcert_new();
    if (!cert) {
        snprintf(why, why_len, "cannot create a key pair");
        return ISMO_ERR_IO;
    }
    for (size_t i = 0; i < n_meta; i++) {
        zcert_set_meta(cert, meta[i][0], "%s", meta[i][1]);
    }
    mode_t old = umask(077); /* the secret file is never readable by others, not even briefly */
    int rc = zcert_save_secret(cert, secret_path);
    umask(old);
    if (rc == 0) {
        rc = chmod(secret_path, 0600);
    }
    if (rc == 0) {
        rc = zcert_save_public(cert, path);
    }
    if (rc != 0) {
        snprintf(why, why_len, "cannot write %s: %s", path, strerror(errno));
        zcert_destroy(&cert);
        return ISMO_ERR_IO;
    }
    if (public_z85) {
        snprintf(public_z85, ISMO_KEY_Z85_BYTES, "%s", zcert_public_txt(cert));
    }
    zcert_destroy(&cert);
    return ISMO_OK;
}
