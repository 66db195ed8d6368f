/* tree: depth-first display order of objectives by parent_id (see tree.h).
 * Owns nothing beyond one call's scratch arrays. Single-threaded. */
#include "tree.h"

#include <stdlib.h>
#include <string.h>

typedef struct tree_ctx {
    const char *const *ids;
    const char **parent; /* effective parent id, "" = root */
} tree_ctx;

static const tree_ctx *sort_ctx; /* qsort has no context argument in C11 */

static int by_id(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(sort_ctx->ids[x], sort_ctx->ids[y]);
    return c ? c : (x > y) - (x < y);
}

static int by_parent_id(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(sort_ctx->parent[x], sort_ctx->parent[y]);
    return c ? c : by_id(a, b);
}

/* First position in byp (sorted by parent) whose parent is >= key. */
static size_t lower_parent(const tree_ctx *t, const size_t *byp, size_t n, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->parent[byp[mid]], key) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static int id_exists(const tree_ctx *t, const size_t *byid, size_t n, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->ids[byid[mid]], key);
        if (c == 0) {
            return 1;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return 0;
}

int cli_tree_order(const char *const *ids, const char *const *parents, size_t n, size_t *order,
                   int *depth)
{
    for (size_t i = 0; i < n; i++) {
        order[i] = i;
        depth[i] = 0;
    }
    if (n == 0) {
        return 0;
    }
    tree_ctx t = {ids, calloc(n, sizeof(const char *))};
    size_t *byid = malloc(n * sizeof *byid);
    size_t *byp = malloc(n * sizeof *byp);
    size_t *stack = malloc(n * sizeof *stack);
    char *done = calloc(n, 1);
    if (!t.parent || !byid || !byp || !stack || !done) {
        free(t.parent);
        free(byid);
        free(byp);
        free(stack);
        free(done);
        return -1;
    }
    sort_ctx = &t;
    for (size_t i = 0; i < n; i++) {
        byid[i] = i;
        t.parent[i] = "";
    }
    qsort(byid, n, sizeof *byid, by_id);
    for (size_t i = 0; i < n; i++) {
        const char *p = parents ? parents[i] : NULL;
        if (p && *p && strcmp(p, ids[i]) != 0 && id_exists(&t, byid, n, p)) {
            t.parent[i] = p;
        }
        byp[i] = i;
    }
    qsort(byp, n, sizeof *byp, by_parent_id);
    size_t out = 0;
    /* pass 0: the real roots; pass 1: whatever a cycle kept unreached */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t r = 0; r < n; r++) {
            size_t root = byid[r];
            if (done[root] || (pass == 0 && *t.parent[root])) {
                continue;
            }
            size_t top = 0;
            stack[top++] = root;
            depth[root] = 0;
            done[root] = 1;
            while (top > 0) {
                size_t x = stack[--top];
                order[out++] = x;
                /* push children in reverse id order so the first pops first */
                size_t lo = lower_parent(&t, byp, n, ids[x]);
                size_t hi = lo;
                while (hi < n && strcmp(t.parent[byp[hi]], ids[x]) == 0) {
                    hi++;
                }
                for (size_t k = hi; k > lo; k--) {
                    size_t ch = byp[k - 1];
                    if (!done[ch] && top < n) {
                        done[ch] = 1;
                        depth[ch] = depth[x] + 1;
                        stack[top++] = ch;
                    }
                }
            }
        }
    }
    sort_ctx = NULL;
    free(t.parent);
    free(byid);
    free(byp);
    free(stack);
    free(done);
    return 0;
}
