/* tree: the display order of the objective tree (ISO/IEC 27001:2022 6.2
 * "at relevant functions and levels": strategic -> tactical -> operational,
 * Objective.parent_id). Pure: no sockets, no output. Used by ismo status,
 * ismo list and ismo report to show children indented under their parents. */
#ifndef ISMO_CLI_TREE_H
#define ISMO_CLI_TREE_H

#include <stddef.h>

/* Order n nodes depth-first: each root (a node without a parent, whose
 * parent is not among the n, or whose parent is itself), then its children,
 * recursively; siblings and roots in id order (strcmp). ids[i] and
 * parents[i] (NULL or "" = none) are borrowed. Nodes caught in a parent
 * cycle (which ismod refuses, but a listing filtered by function may cut)
 * are shown as roots, each once. On return order[0..n-1] holds every index
 * 0..n-1 exactly once and depth[i] the depth of node i (0 = root).
 * Returns 0, or -1 when out of memory (order is then 0..n-1, depths 0).
 * O(n log n). */
int cli_tree_order(const char *const *ids, const char *const *parents, size_t n, size_t *order,
                   int *depth);

#endif
