/* register: the objectives register importer of the ismo CLI, as a pure module.
 *
 * A register is "documented information" (ISO/IEC 27001:2022 7.5) that lists
 * the information security objectives (6.2). This module turns a register
 * file into Ismo__V1__Objective messages, dated Ismo__V1__Sample messages and
 * a list of warnings, and writes objectives back as a register
 * (ismo_register_export). It never opens a socket; the CLI (cmd_import.c,
 * cmd_export.c) talks to ismod. Input formats:
 *
 *   YAML register  ("objectives:" list; docs/cli.md "YAML register format")
 *   CSV register   the column layout of the Cenedril ISO 27001 starter kit
 *                  (header "ID,Objective,Linked ISO Clause / Risk,Owner,...")
 *   Metric catalogue  YAML with a top-level "metrics:" list whose entries
 *                  have metric_id and slo (the massyn/cyber-metrics layout,
 *                  examples/massyn-metrics.yaml; docs/cli.md "Metric
 *                  catalogue"). Each entry becomes one objective: id
 *                  "MET-" + metric_id upper-cased with '_' -> '-'
 *                  (ac_access_revoking -> MET-AC-ACCESS-REVOKING), title,
 *                  description (+ "How it is measured: " how), metric
 *                  {name metric_id, unit "%", higher_is_better, last},
 *                  target slo[1] x 100 (green), the red/amber bound slo[0]
 *                  x 100 in evaluation_method, control_refs from the
 *                  "ISO 27001:2022" references, function derived from
 *                  category (a note says so; "security-metrics" without
 *                  one). No owner, level, baseline, deadline or plan: ismod
 *                  stores them as DRAFT and `ismo lint` lists the gaps.
 *                  enabled: false entries are imported too, with a note
 *                  and a warning; type, weight, indicator, source_path, source_commit and
 *                  other frameworks' references are kept as notes (no
 *                  warning); unknown keys as notes with a warning. A
 *                  duplicate metric_id is an error naming both lines.
 *   ismo CSV       the lossless layout `ismo export --format csv` writes
 *                  (header "ID,Row,Objective,..."; docs/cli.md "ismo CSV register")
 *   Upptime CSV    status-check history (header with check_time_utc, slug,
 *                  status), loaded with ismo_register_load_upptime only.
 *   Policy register and risk register (YAML or CSV; docs/cli.md "Policy and
 *                  risk registers"), loaded with ismo_register_load_policies
 *                  and ismo_register_load_risks: the commitments (ISO/IEC
 *                  27001:2022 5.2, 6.2 a) and risks (6.1.2, 6.1.3, 6.2 c)
 *                  objectives refer to.
 *
 * Bad input rule: a value the importer cannot parse is never dropped; it is
 * kept verbatim on its objective as an ImportNote {field, text, problem} and
 * reported as a warning "FILE:LINE: COLUMN: ...". That includes values that
 * parse but that ismod does not keep: numbers outside +-1e15, dates before
 * 1970 or after 9999 (e.g. Excel's empty date 1899-12-31), durations over
 * 100 years, a 17th reminder offset; a title, owner or metric name longer
 * than ismod keeps is cut (at a character boundary, "..." appended) and kept
 * whole as a note. Errors (broken YAML/CSV syntax with its
 * line and column, duplicate ids with both lines, a missing or invalid id,
 * an objective that fails ismo_objective_validate, a parent cycle within the
 * file) make the load fail: a register with errors must not be half-imported
 * (ismo_register_check_stored adds the checks against what ismod holds).
 *
 * Not thread-safe; one register object per thread. Out-of-memory aborts the
 * process (a CLI has nothing better to do). */
#ifndef ISMO_REGISTER_H
#define ISMO_REGISTER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ismo_codec.h"
#include "ismo_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ismo_register ismo_register_t;

/* Input formats, as detected by ismo_register_load. */
typedef enum ismo_register_format {
    ISMO_REGISTER_NONE = 0,
    ISMO_REGISTER_YAML = 1,    /* YAML register */
    ISMO_REGISTER_CSV = 2,     /* Cenedril-style CSV register */
    ISMO_REGISTER_UPPTIME = 3, /* Upptime status-check CSV (samples only) */
    ISMO_REGISTER_ISMO_CSV = 4, /* ismo CSV register (what ismo export writes) */
    ISMO_REGISTER_POLICIES = 5, /* policy register (ismo_register_load_policies) */
    ISMO_REGISTER_RISKS = 6,    /* risk register (ismo_register_load_risks) */
    ISMO_REGISTER_CATALOGUE = 7 /* metric catalogue (YAML "metrics:" list of metric_id, slo) */
} ismo_register_format;

/* Default score from which a risk counts as high when its rating word does
 * not say so: 15 on the common 5 x 5 likelihood x impact matrix (1..25),
 * i.e. e.g. likelihood 3 and impact 5. `ismo import --high-score N` changes it. */
#define ISMO_RISK_HIGH_SCORE 15.0

/* How Upptime checks become samples (ismo_register_load_upptime). */
typedef enum ismo_upptime_mode {
    /* One sample per UTC day: the percentage of that day the service was up,
     * each check's status holding until the next check (time-weighted, as the
     * Upptime status page computes uptime). Effective at 00:00Z of the day,
     * sample id "upptime:<slug>:<YYYY-MM-DD>". The mean of these samples is
     * the service's availability over the period. */
    ISMO_UPPTIME_PER_DAY = 0,
    /* One sample per check: 100 when status is "up", else 0, effective at
     * check_time_utc, sample id "upptime:<slug>:<check_time_utc>". Upptime
     * records a check mostly when something changes, so the plain mean of
     * these samples under-states availability (Canvas LMS: 97.3 % against
     * 99.75 %). */
    ISMO_UPPTIME_PER_CHECK = 1
} ismo_upptime_mode;

/* New, empty register. Never NULL (aborts on out-of-memory).
 * Free with ismo_register_destroy. */
ismo_register_t *ismo_register_new(void);

/* Free the register and everything it produced; sets *self_p to NULL; safe
 * on NULL and twice. */
void ismo_register_destroy(ismo_register_t **self_p);

/* Read the file at path and load it, detecting the format: a CSV header
 * starting with "ID,Row," is an ismo CSV register; a CSV header starting
 * with "ID," and naming the column "Objective" is a (Cenedril) CSV register; a CSV header naming check_time_utc and slug is an
 * Upptime file (refused here: use ismo_register_load_upptime); anything
 * else is read as YAML. Messages name the file as path.
 * Returns ISMO_OK (warnings may still be present), ISMO_ERR_IO (cannot read
 * the file), or ISMO_ERR_PARSE (errors; see ismo_register_error_count).
 * Load one file per register object. */
ismo_err ismo_register_load(ismo_register_t *self, const char *path);

/* As ismo_register_load, from len bytes of text; name is used in messages,
 * sample sources ("import:<basename of name>") and sample ids. */
ismo_err ismo_register_load_text(ismo_register_t *self, const char *name, const char *text,
                                 size_t len);

/* Load an Upptime status CSV (columns commit_time_utc, check_time_utc,
 * service, slug, url, status, http_code, ...) and turn the checks of one
 * service (slug, e.g. "canvas-lms") into samples of objective_id, source
 * "upptime:<slug>", as described by mode. Produces no objectives.
 * Returns ISMO_OK, ISMO_ERR_IO, ISMO_ERR_PARSE (bad header, bad CSV, an
 * invalid objective id, or no check of that slug in the file). */
ismo_err ismo_register_load_upptime(ismo_register_t *self, const char *path,
                                    const char *objective_id, const char *slug,
                                    ismo_upptime_mode mode);

/* Load a policy register (want: commitments) from path: YAML with a
 * "policies:" list of {id, text, source}, or CSV with the columns ID,
 * Commitment (or Text), Source (found by name, any order). Entries in file
 * order, see ismo_register_policies. Errors (load fails, nothing to send):
 * syntax errors with their line, an invalid id, a duplicate id (naming both
 * lines), a text over its limit (text 4096, source 256 bytes) or not UTF-8.
 * Unknown keys or columns are warnings (not stored: ismod keeps only these
 * fields). Returns ISMO_OK, ISMO_ERR_IO or ISMO_ERR_PARSE. A register object
 * may load one policy file and one risk file besides one objectives file. */
ismo_err ismo_register_load_policies(ismo_register_t *self, const char *path);
ismo_err ismo_register_load_policies_text(ismo_register_t *self, const char *name,
                                          const char *text, size_t len);

/* Load a risk register: YAML "risks:" list of {id, title, rating, score,
 * treatment, owner}, or CSV with the columns ID, Title (or Risk, Name),
 * Rating (or Level, Risk Level), Score (or Risk Score), Treatment, Owner (or
 * Risk Owner). Risk.high is set as ismo_risk_is_high(rating, score,
 * high_score). Errors as for policies, plus a score that is not a number;
 * a rating word ismo does not know is a warning (kept as written). */
ismo_err ismo_register_load_risks(ismo_register_t *self, const char *path, double high_score);
ismo_err ismo_register_load_risks_text(ismo_register_t *self, const char *name, const char *text,
                                       size_t len, double high_score);

/* Policy commitments / risks loaded, file order. Borrowed arrays, valid
 * until ismo_register_destroy (suitable for ismo_put_context). *_line: the
 * 1-based line where entry i starts. */
size_t ismo_register_policy_count(const ismo_register_t *self);
Ismo__V1__PolicyCommitment **ismo_register_policies(const ismo_register_t *self);
int ismo_register_policy_line(const ismo_register_t *self, size_t i);
size_t ismo_register_risk_count(const ismo_register_t *self);
Ismo__V1__Risk **ismo_register_risks(const ismo_register_t *self);
int ismo_register_risk_line(const ismo_register_t *self, size_t i);

/* 1 if a risk is high (ISO/IEC 27001:2022 6.1.2 d: risks prioritised for
 * treatment): its rating is high, critical, very high, extreme or severe (any
 * case), or it has a score >= high_score. Else 0. */
int ismo_risk_is_high(const char *rating, int has_score, double score, double high_score);

/* Write objectives as a register that ismo_register_load reads back to
 * equal objectives: format ISMO_REGISTER_YAML or ISMO_REGISTER_ISMO_CSV.
 * Every field the importers read is written (plans, metric, period targets,
 * reminders, escalation, not-measurable, refs, import notes); server-set
 * fields (version, lifecycle, smart_gaps, updated_*) and samples are not.
 * Order: each root objective (no parent, or a parent not in the list) in id
 * order, followed depth-first by its children in id order, so parents come
 * before children; objectives caught in a parent cycle come last, id order.
 * Deterministic: equal input gives byte-identical output (no timestamps).
 * Returns a malloc'ed NUL-terminated text (caller frees with free()) and
 * its length in *len_p (may be NULL); NULL for a format other than these
 * two. Out-of-memory aborts. */
char *ismo_register_export(Ismo__V1__Objective *const *objectives, size_t n,
                           ismo_register_format format, size_t *len_p);

/* Write a policy register (ISMO_REGISTER_YAML: "policies:" list;
 * ISMO_REGISTER_ISMO_CSV: columns ID, Commitment, Source) or a risk register
 * (YAML "risks:" list; CSV ID, Title, Rating, Score, Treatment, Owner) that
 * ismo_register_load_policies / _risks read back to equal entries, in the
 * order given. Risk.high is not written: the importer derives it again from
 * rating and score (with its --high-score). Returns malloc'ed text (caller
 * frees) and its length in *len_p (may be NULL); NULL for another format. */
char *ismo_register_export_policies(Ismo__V1__PolicyCommitment *const *policies, size_t n,
                                    ismo_register_format format, size_t *len_p);
char *ismo_register_export_risks(Ismo__V1__Risk *const *risks, size_t n,
                                 ismo_register_format format, size_t *len_p);

/* 1 if a policy reference names a clause of the standard rather than a
 * commitment of the organisation's policy: "ISO " followed by a digit, as
 * the CSV register writes "ISO 6.2" (docs/cli.md "CSV register mapping").
 * Such references are kept but not checked against the policy register. */
int ismo_ref_is_iso_clause(const char *ref);

/* The consistency checks of `ismo lint`, in output order. */
typedef enum ismo_lint_group {
    ISMO_LINT_SMART = 0,    /* what the SMART gate lacks (common/ismo_smart.h; 6.2 b, g-k) */
    ISMO_LINT_DRAFT = 1,    /* lifecycle DRAFT */
    ISMO_LINT_DANGLING = 2, /* a policy, risk or parent reference ismod does not hold */
    ISMO_LINT_TREE = 3,     /* a parent cycle, or a parent at a lower level (an operational
                               parent of a strategic child) */
    ISMO_LINT_POLICIES = 4, /* policy commitments no objective supports (6.2 a) */
    ISMO_LINT_RISKS = 5,    /* high risks (Risk.high) no objective treats (6.1.3, 6.2 c) */
    ISMO_LINT_GROUPS = 6
} ismo_lint_group;

/* JSON key ("smart_gaps", "drafts", "dangling_references", "tree",
 * "unsupported_policies", "untreated_high_risks") and heading of each group. */
extern const char *const ismo_lint_group_keys[ISMO_LINT_GROUPS];
extern const char *const ismo_lint_group_titles[ISMO_LINT_GROUPS];

/* Check a register: objectives (all of them, retired ones included, as
 * ismod lists them: retired objectives are neither checked nor count as
 * support or treatment, but a parent that is retired is named as such),
 * policy commitments and risks (n 0 = no such register: its references and
 * its coverage are not checked). function non-NULL limits the
 * per-objective checks to that function and leaves out the two
 * organisation-wide coverage checks. Policy references that name a clause
 * of the standard (ismo_ref_is_iso_clause) are not dangling. Pure; inputs
 * are borrowed.
 * Returns a new JSON object (caller json_decref's it) with one array per
 * group key, each finding an object {"id", "text" (one line for people),
 * ...}: smart_gaps add "gaps" (list); dangling_references "kind" (policy,
 * risk, parent) and "ref"; tree "problem" ("cycle" with "path", or "level
 * inversion" with "parent"); unsupported_policies "commitment";
 * untreated_high_risks "title", "rating", "score" (null if none),
 * "treatment". A cycle is reported once, at its smallest id. Order: as the
 * objectives (or entries) are given. Out-of-memory aborts. */
json_t *ismo_register_lint(Ismo__V1__Objective *const *objectives, size_t n,
                           Ismo__V1__PolicyCommitment *const *policies, size_t n_policies,
                           Ismo__V1__Risk *const *risks, size_t n_risks, const char *function);

/* Check the loaded objectives against what ismod holds (stored: every
 * objective ismod lists, retired ones included; borrowed) the way ismod will
 * check each PutObjective when they are sent in file order
 * (server/dispatch.c h_put_objective, check_parent_chain): an objective
 * stored as retired cannot change; a parent chain must not come back to the
 * objective (a cycle: within the file or through stored objectives) nor be
 * longer than 32 objectives; an unknown parent ends the chain. Adds one
 * error per objective ismod would refuse ("FILE:LINE: objective C2: parent
 * 'C1' would make a cycle ... (C2 -> C1 -> C2 ...)") and returns how many
 * (0: none). The load already ran the same check with nothing stored, so a
 * cycle within the file fails the load (and `--dry-run`). Not checked here:
 * permissions (an owner may change only its own objectives). */
size_t ismo_register_check_stored(ismo_register_t *self, Ismo__V1__Objective *const *stored,
                                  size_t n);

/* The column (CSV) or key (YAML, as the file spells it: policy_refs or
 * policies, ...) that holds the references of kind 0 (policy), 1 (risk) or
 * 2 (parent), for warnings about them: "Linked ISO Clause / Risk" for the
 * Cenedril CSV, "Policy Refs" for the ismo CSV. Static or owned by self. */
const char *ismo_register_ref_column(const ismo_register_t *self, int kind);

/* The detected format of the last load. */
ismo_register_format ismo_register_format_of(const ismo_register_t *self);

/* Objectives in file order. Borrowed: valid until ismo_register_destroy.
 * The CLI may hand them to ismo_put_objective (which does not keep them). */
size_t ismo_register_objective_count(const ismo_register_t *self);
Ismo__V1__Objective *ismo_register_objective(const ismo_register_t *self, size_t i);
/* 1-based line where objective i starts in the file. */
int ismo_register_objective_line(const ismo_register_t *self, size_t i);

/* Dated samples in file order (YAML "samples:", CSV "Current Value", Upptime
 * checks). Borrowed, as above; the array form suits ismo_push_samples. */
size_t ismo_register_sample_count(const ismo_register_t *self);
Ismo__V1__Sample **ismo_register_samples(const ismo_register_t *self);

/* Warnings (kept going) and errors (load failed), one line each, like
 * "examples/x.csv:6: Current Value: 'Pending audit' is not a number; kept as
 * an import note". Borrowed, valid until ismo_register_destroy. */
size_t ismo_register_warning_count(const ismo_register_t *self);
const char *ismo_register_warning(const ismo_register_t *self, size_t i);
size_t ismo_register_error_count(const ismo_register_t *self);
const char *ismo_register_error(const ismo_register_t *self, size_t i);

/* Informational lines (e.g. how a function was derived), not problems. */
size_t ismo_register_info_count(const ismo_register_t *self);
const char *ismo_register_info(const ismo_register_t *self, size_t i);

/* Derive a function name from free text: lower-case, every run of characters
 * outside [a-z0-9] becomes one '-', no leading/trailing '-', at most
 * ISMO_MAX_FUNCTION_BYTES ("IT Operations Lead" -> "it-operations-lead").
 * Writes into buf (>= ISMO_MAX_FUNCTION_BYTES + 1 bytes); returns buf
 * ("" when text has no letter or digit). */
char *ismo_register_function_from(const char *text, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
