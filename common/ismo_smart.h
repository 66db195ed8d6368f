/* smart: the SMART gate of an objective (ISO/IEC 27001:2022 6.2: objectives
 * are measurable "if practicable", monitored, and planned: "what will be done,
 * what resources will be required, who will be responsible, when it will be
 * completed, how the results will be evaluated" 6.2 g..k).
 *
 * Pure: no I/O. ismod runs it on every PutObjective to decide DRAFT or
 * ACTIVE (Objective.smart_gaps); `ismo lint` prints the same list, so the
 * server and the CLI can never disagree about what an objective lacks. */
#ifndef ISMO_SMART_H
#define ISMO_SMART_H

#include <stddef.h>

#include "ismo_codec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest gap text, bytes including the NUL. */
#define ISMO_SMART_GAP_BYTES 96
/* Most gaps reported (the rest are counted, not listed). */
#define ISMO_SMART_MAX_GAPS 64

/* What o lacks to pass the gate, as short phrases ("owner", "baseline date",
 * "action 2: resources", ...), into gaps[0..cap). Returns how many gaps
 * exist (may exceed cap; only cap are written). 0 = the gate passes.
 *
 * Always needed: owner, function, level, deadline, evaluation method, and a
 * plan with at least one action that says what, resources, responsible and
 * due (cancelled actions do not count towards "at least one").
 * Measurable objectives also need a metric with unit, direction, aggregation
 * and window (window 0 = "all samples" counts as set when given), a baseline
 * with its date, and a target (or period targets).
 * Objectives marked not_measurable instead need a reason and at least one
 * review date (their evaluation method is then the qualitative one). */
size_t ismo_smart_gaps(const Ismo__V1__Objective *o, char (*gaps)[ISMO_SMART_GAP_BYTES], size_t cap);

#ifdef __cplusplus
}
#endif

#endif
