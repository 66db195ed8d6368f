/* zap: the ZAP handler thread and the certificate table (see zap.h). Owns the
 * REP socket on inproc://zeromq.zap.01 (its own thread) and the table of
 * certificates (guarded by a mutex: the server thread looks keys up per
 * message). Does not decide what a role may do: that is dispatch.c's table. */
#include "zap.h"

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ismo_log.h"
#include "ismo_time.h"

struct ismo_zap {
    void *rep;
    char dir[1024];
    pthread_t thread;
    int started;
    volatile int stop;
    pthread_mutex_t lock;          /* guards everything below */
    ismo_peer *certs;
    size_t n_certs;
    int64_t scanned_ms;            /* monotonic time of the last read */
    uint8_t digest[32];            /* BLAKE2b of every file name and content */
    int have_digest;
    char changes[1024];            /* not yet taken by ismo_zap_take_changes */
};

static void rescan_locked(ismo_zap_t *z, int force);

static void note_change(ismo_zap_t *z, const char *fmt, const char *name, const ismo_peer *p)
{
    size_t used = strlen(z->changes);
    if (used + 1 >= sizeof z->changes) {
        return;
    }
    int n = snprintf(z->changes + used, sizeof z->changes - used, fmt, used ? "; " : "", name,
                     p ? ismo_role_name(p->role) : "", p ? p->functions : "");
    if (n > 0) {
        ISMO_INFO("zap", "certificate %s", z->changes + used + (used ? 2 : 0));
    }
}

/* Record what differs between the old and the new table (by key). */
static void diff_tables(ismo_zap_t *z, const ismo_peer *old, size_t n_old, const ismo_peer *cur, size_t n_cur)
{
    for (size_t i = 0; i < n_cur; i++) {
        const ismo_peer *was = NULL;
        for (size_t j = 0; j < n_old && !was; j++) {
            was = strcmp(old[j].key, cur[i].key) == 0 ? &old[j] : NULL;
        }
        if (!was) {
            note_change(z, "%sadded %s (%s: %s)", cur[i].name, &cur[i]);
        } else if (strcmp(was->name, cur[i].name) || was->role != cur[i].role ||
                   strcmp(was->functions, cur[i].functions)) {
            note_change(z, "%schanged %s (now %s: %s)", cur[i].name, &cur[i]);
        }
    }
    for (size_t j = 0; j < n_old; j++) {
        int found = 0;
        for (size_t i = 0; i < n_cur && !found; i++) {
            found = strcmp(old[j].key, cur[i].key) == 0;
        }
        if (!found) {
            note_change(z, "%sremoved %s%s%s", old[j].name, NULL);
        }
    }
}

int ismo_zap_take_changes(ismo_zap_t *z, char *buf, size_t len)
{
    pthread_mutex_lock(&z->lock);
    rescan_locked(z, 0);
    int any = z->changes[0] != 0;
    if (any) {
        snprintf(buf, len, "%s", z->changes);
        z->changes[0] = 0;
    }
    pthread_mutex_unlock(&z->lock);
    return any;
}

const char *ismo_role_name(ismo_role role)
{
    switch (role) {
    case ISMO_ROLE_AGENT: return "agent";
    case ISMO_ROLE_OWNER: return "owner";
    case ISMO_ROLE_AUDITOR: return "auditor";
    case ISMO_ROLE_ADMIN: return "admin";
    default: return "none";
    }
}

ismo_role ismo_role_parse(const char *text)
{
    static const ismo_role roles[] = {ISMO_ROLE_AGENT, ISMO_ROLE_OWNER, ISMO_ROLE_AUDITOR, ISMO_ROLE_ADMIN};
    for (size_t i = 0; text && i < sizeof roles / sizeof roles[0]; i++) {
        if (strcmp(text, ismo_role_name(roles[i])) == 0) {
            return roles[i];
        }
    }
    return ISMO_ROLE_NONE;
}

int ismo_peer_limited(const ismo_peer *peer)
{
    if (peer->role == ISMO_ROLE_AUDITOR || peer->role == ISMO_ROLE_ADMIN) {
        return 0;
    }
    return strcmp(peer->functions, "*") != 0;
}

int ismo_peer_has_function(const ismo_peer *peer, const char *function)
{
    if (!ismo_peer_limited(peer)) {
        return 1;
    }
    if (!function || !*function) {
        return 0;
    }
    size_t fl = strlen(function);
    for (const char *p = peer->functions; *p;) {
        const char *end = strchr(p, ',');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        while (l > 0 && *p == ' ') {
            p++, l--;
        }
        while (l > 0 && p[l - 1] == ' ') {
            l--;
        }
        if (l == fl && memcmp(p, function, fl) == 0) {
            return 1;
        }
        if (!end) {
            break;
        }
        p = end + 1;
    }
    return 0;
}

/* ---- the certificate table ---- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of *.cert files, sorted (caller frees each and the array). */
static char **list_certs(const char *dir, size_t *n_p)
{
    DIR *d = opendir(dir);
    *n_p = 0;
    if (!d) {
        return NULL;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l <= 5 || strcmp(e->d_name + l - 5, ".cert") != 0 || e->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **p = realloc(names, cap * sizeof *names);
            if (!p) {
                break;
            }
            names = p;
        }
        names[n] = strdup(e->d_name);
        if (names[n]) {
            n++;
        }
    }
    closedir(d);
    if (n > 1) {
        qsort(names, n, sizeof *names, by_name);
    }
    *n_p = n;
    return names;
}

/* Re-read the directory when due; rebuild the table when any content changed.
 * Called with the lock held. */
static void rescan_locked(ismo_zap_t *z, int force)
{
    int64_t now = ismo_mono_ms();
    if (!force && z->have_digest && now - z->scanned_ms < ISMO_ZAP_RESCAN_MS) {
        return;
    }
    z->scanned_ms = now;
    size_t n = 0;
    char **names = list_certs(z->dir, &n);
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    char path[1400];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", z->dir, names[i]);
        crypto_generichash_update(&h, (const uint8_t *)names[i], strlen(names[i]) + 1);
        FILE *f = fopen(path, "rb");
        uint8_t buf[4096];
        size_t got;
        while (f && (got = fread(buf, 1, sizeof buf, f)) > 0) {
            crypto_generichash_update(&h, buf, got);
        }
        if (f) {
            fclose(f);
        }
        crypto_generichash_update(&h, (const uint8_t *)"\0\0", 2);
    }
    uint8_t digest[32];
    crypto_generichash_final(&h, digest, sizeof digest);
    if (z->have_digest && memcmp(digest, z->digest, sizeof digest) == 0) {
        for (size_t i = 0; i < n; i++) {
            free(names[i]);
        }
        free(names);
        return;
    }
    ismo_peer *certs = calloc(n ? n : 1, sizeof *certs);
    size_t k = 0;
    for (size_t i = 0; certs && i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", z->dir, names[i]);
        /* zcert_load(X) prefers X_secret: a secret file beside a public one is read the same */
        zcert_t *c = zcert_load(path);
        if (!c) {
            ISMO_WARN("zap", "%s: not a certificate; skipped", path);
            continue;
        }
        const char *name = zcert_meta(c, "name"), *role = zcert_meta(c, "role"),
                   *fns = zcert_meta(c, "functions");
        ismo_role r = ismo_role_parse(role);
        if (!name || !*name || strlen(name) >= sizeof certs[k].name || r == ISMO_ROLE_NONE ||
            (fns && strlen(fns) >= sizeof certs[k].functions)) {
            ISMO_WARN("zap", "%s: needs metadata name (1..63 bytes) and role (agent|owner|auditor|admin); skipped",
                      path);
            zcert_destroy(&c);
            continue;
        }
        snprintf(certs[k].name, sizeof certs[k].name, "%s", name);
        certs[k].role = r;
        snprintf(certs[k].functions, sizeof certs[k].functions, "%s", fns ? fns : "");
        snprintf(certs[k].key, sizeof certs[k].key, "%s", zcert_public_txt(c));
        zcert_destroy(&c);
        k++;
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    if (!certs) {
        return; /* keep the old table; retried on the next rescan */
    }
    if (z->have_digest) {
        diff_tables(z, z->certs, z->n_certs, certs, k);
    }
    free(z->certs);
    z->certs = certs;
    z->n_certs = k;
    memcpy(z->digest, digest, sizeof digest);
    if (z->have_digest) {
        ISMO_INFO("zap", "certificates changed: %zu loaded from %s", k, z->dir);
    } else {
        ISMO_INFO("zap", "%zu certificates loaded from %s", k, z->dir);
    }
    z->have_digest = 1;
}

int ismo_zap_lookup(ismo_zap_t *z, const char *key_z85, ismo_peer *peer)
{
    int found = 0;
    pthread_mutex_lock(&z->lock);
    rescan_locked(z, 0);
    for (size_t i = 0; i < z->n_certs; i++) {
        if (strcmp(z->certs[i].key, key_z85) == 0) {
            *peer = z->certs[i];
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&z->lock);
    return found;
}

/* ---- the ZAP protocol (RFC 27) ---- */

static void put_property(uint8_t *buf, size_t *len, size_t cap, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    if (*len + 1 + nl + 4 + vl > cap) {
        return;
    }
    buf[(*len)++] = (uint8_t)nl;
    memcpy(buf + *len, name, nl);
    *len += nl;
    buf[(*len)++] = (uint8_t)(vl >> 24);
    buf[(*len)++] = (uint8_t)(vl >> 16);
    buf[(*len)++] = (uint8_t)(vl >> 8);
    buf[(*len)++] = (uint8_t)vl;
    memcpy(buf + *len, value, vl);
    *len += vl;
}

static void handle_request(ismo_zap_t *z)
{
    zmq_msg_t f[8];
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, z->rep, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        if (n < 8) {
            zmq_msg_init(&f[n]);
            zmq_msg_move(&f[n], &m);
            n++;
        }
        zmq_msg_close(&m);
    }
    char request_id[64] = "", address[64] = "", mech[16] = "";
    const char *status = "400", *text = "refused";
    ismo_peer peer;
    memset(&peer, 0, sizeof peer);
    if (n >= 6 && zmq_msg_size(&f[0]) == 3 && memcmp(zmq_msg_data(&f[0]), "1.0", 3) == 0) {
        snprintf(request_id, sizeof request_id, "%.*s", (int)(zmq_msg_size(&f[1]) < 63 ? zmq_msg_size(&f[1]) : 63),
                 (const char *)zmq_msg_data(&f[1]));
        snprintf(address, sizeof address, "%.*s", (int)(zmq_msg_size(&f[3]) < 63 ? zmq_msg_size(&f[3]) : 63),
                 (const char *)zmq_msg_data(&f[3]));
        snprintf(mech, sizeof mech, "%.*s", (int)(zmq_msg_size(&f[5]) < 15 ? zmq_msg_size(&f[5]) : 15),
                 (const char *)zmq_msg_data(&f[5]));
        if (strcmp(mech, "CURVE") == 0 && n >= 7 && zmq_msg_size(&f[6]) == 32) {
            char key[41];
            zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
            if (ismo_zap_lookup(z, key, &peer)) {
                status = "200";
                text = "OK";
                ISMO_DEBUG("zap", "admitted %s (%s) from %s", peer.name, ismo_role_name(peer.role), address);
            } else {
                text = "unknown or revoked key";
                ISMO_WARN("zap", "refused key %s from %s: no certificate holds it", key, address);
            }
        } else {
            text = "CURVE required";
            ISMO_WARN("zap", "refused %s connection from %s: CURVE required", mech, address);
        }
    }
    /* reply: version, request id, status code, status text, user id, metadata */
    uint8_t meta[512];
    size_t ml = 0;
    if (status[0] == '2') {
        put_property(meta, &ml, sizeof meta, "Role", ismo_role_name(peer.role));
        put_property(meta, &ml, sizeof meta, "Functions", peer.functions);
        put_property(meta, &ml, sizeof meta, "Key", peer.key);
    }
    zmq_send(z->rep, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(z->rep, request_id, strlen(request_id), ZMQ_SNDMORE);
    zmq_send(z->rep, status, 3, ZMQ_SNDMORE);
    zmq_send(z->rep, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(z->rep, peer.name, status[0] == '2' ? strlen(peer.name) : 0, ZMQ_SNDMORE);
    zmq_send(z->rep, meta, ml, 0);
    for (int i = 0; i < n; i++) {
        zmq_msg_close(&f[i]);
    }
}

static void *run(void *arg)
{
    ismo_zap_t *z = arg;
    while (!z->stop) {
        zmq_pollitem_t item = {z->rep, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, ISMO_ZAP_RESCAN_MS);
        if (rc > 0 && (item.revents & ZMQ_POLLIN)) {
            handle_request(z);
        } else if (rc == 0) {
            pthread_mutex_lock(&z->lock);
            rescan_locked(z, 0); /* log changes as they happen, not only at the next connection */
            pthread_mutex_unlock(&z->lock);
        }
    }
    zmq_close(z->rep);
    return NULL;
}

ismo_err ismo_zap_new(void *ctx, const char *certs_dir, ismo_zap_t **zap_p, char *why, size_t why_len)
{
    *zap_p = NULL;
    DIR *d = opendir(certs_dir);
    if (!d) {
        snprintf(why, why_len, "certificate directory %s: %s", certs_dir, strerror(errno));
        return ISMO_ERR_IO;
    }
    closedir(d);
    ismo_zap_t *z = calloc(1, sizeof *z);
    if (!z) {
        return ISMO_ERR_NOMEM;
    }
    snprintf(z->dir, sizeof z->dir, "%s", certs_dir);
    pthread_mutex_init(&z->lock, NULL);
    z->rep = zmq_socket(ctx, ZMQ_REP);
    int zero = 0;
    if (!z->rep || zmq_setsockopt(z->rep, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_bind(z->rep, "inproc://zeromq.zap.01") != 0) {
        snprintf(why, why_len, "ZAP handler: bind inproc://zeromq.zap.01: %s", zmq_strerror(errno));
        if (z->rep) {
            zmq_close(z->rep);
        }
        pthread_mutex_destroy(&z->lock);
        free(z);
        return ISMO_ERR_TRANSPORT;
    }
    pthread_mutex_lock(&z->lock);
    rescan_locked(z, 1);
    pthread_mutex_unlock(&z->lock);
    if (pthread_create(&z->thread, NULL, run, z) != 0) {
        zmq_close(z->rep);
        pthread_mutex_destroy(&z->lock);
        free(z->certs);
        free(z);
        snprintf(why, why_len, "ZAP handler: cannot start its thread");
        return ISMO_ERR_NOMEM;
    }
    z->started = 1;
    *zap_p = z;
    return ISMO_OK;
}

void ismo_zap_destroy(ismo_zap_t **zap_p)
{
    if (!zap_p || !*zap_p) {
        return;
    }
    ismo_zap_t *z = *zap_p;
    z->stop = 1;
    if (z->started) {
        pthread_join(z->thread, NULL);
    }
    pthread_mutex_destroy(&z->lock);
    free(z->certs);
    free(z);
    *zap_p = NULL;
}
