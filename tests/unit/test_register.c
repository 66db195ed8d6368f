/* test_register: the register importer (client/cli/register.c) on the
 * example registers of the repository, on broken input, and (when present)
 * on the real public data in ../shared/data (skipped cleanly when absent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ismo_smart.h"
#include "ismo_time.h"
#include "register.h"

#ifndef ISMO_SOURCE_DIR
#error "ISMO_SOURCE_DIR must be defined (the repository root)"
#endif

static int64_t t_of(const char *text, int end)
{
    int64_t ms = 0;
    assert_int_equal(ismo_time_parse(text, end, &ms), ISMO_OK);
    return ms;
}

static const Ismo__V1__Objective *find(const ismo_register_t *r, const char *id)
{
    for (size_t i = 0; i < ismo_register_objective_count(r); i++) {
        if (strcmp(ismo_register_objective(r, i)->id, id) == 0) {
            return ismo_register_objective(r, i);
        }
    }
    fail_msg("objective %s not found", id);
    return NULL;
}

static const Ismo__V1__ImportNote *find_note(const Ismo__V1__Objective *o, const char *field)
{
    for (size_t i = 0; i < o->n_import_notes; i++) {
        if (strcmp(o->import_notes[i]->field, field) == 0) {
            return o->import_notes[i];
        }
    }
    return NULL;
}

static const Ismo__V1__Sample *find_sample(const ismo_register_t *r, const char *sample_id)
{
    Ismo__V1__Sample **s = ismo_register_samples(r);
    for (size_t i = 0; i < ismo_register_sample_count(r); i++) {
        if (strcmp(s[i]->sample_id, sample_id) == 0) {
            return s[i];
        }
    }
    fail_msg("sample %s not found", sample_id);
    return NULL;
}

static int any_message(size_t n, const char *(*get)(const ismo_register_t *, size_t),
                       const ismo_register_t *r, const char *a, const char *b)
{
    for (size_t i = 0; i < n; i++) {
        const char *m = get(r, i);
        if (strstr(m, a) && (!b || strstr(m, b))) {
            return 1;
        }
    }
    return 0;
}

static void print_messages(const ismo_register_t *r)
{
    for (size_t i = 0; i < ismo_register_error_count(r); i++) {
        print_message("error: %s\n", ismo_register_error(r, i));
    }
}

static void assert_gate(const Ismo__V1__Objective *o, size_t want_gaps)
{
    char gaps[ISMO_SMART_MAX_GAPS][ISMO_SMART_GAP_BYTES];
    size_t n = ismo_smart_gaps(o, gaps, ISMO_SMART_MAX_GAPS);
    for (size_t i = 0; i < n && n != want_gaps; i++) {
        print_message("%s lacks %s\n", o->id, gaps[i]);
    }
    assert_int_equal(n, want_gaps);
}

static void test_yaml_example(void **state)
{
    (void)state;
    ismo_register_t *r = ismo_register_new();
    ismo_err err = ismo_register_load(r, ISMO_SOURCE_DIR "/examples/register.yaml");
    print_messages(r);
    assert_int_equal(err, ISMO_OK);
    assert_int_equal(ismo_register_format_of(r), ISMO_REGISTER_YAML);
    assert_int_equal(ismo_register_objective_count(r), 14);
    assert_int_equal(ismo_register_warning_count(r), 0);

    /* every objective passes the SMART gate except the deliberate draft */
    for (size_t i = 0; i < ismo_register_objective_count(r); i++) {
        const Ismo__V1__Objective *o = ismo_register_objective(r, i);
        if (strcmp(o->id, "OBJ-SUPPLIER-REVIEWS") != 0) {
            assert_gate(o, 0);
        }
    }
    assert_gate(find(r, "OBJ-SUPPLIER-REVIEWS"), 4);

    /* the tree: strategic -> tactical -> operational, parents listed first */
    const Ismo__V1__Objective *o = find(r, "OBJ-SEC-2026");
    assert_int_equal(o->level, ISMO__V1__LEVEL__STRATEGIC);
    assert_null(o->parent_id);
    o = find(r, "OBJ-PATCH-48H");
    assert_string_equal(o->parent_id, "OBJ-SEC-2026");
    assert_int_equal(o->level, ISMO__V1__LEVEL__TACTICAL);
    o = find(r, "OBJ-PENDING-UPDATES");
    assert_string_equal(o->parent_id, "OBJ-PATCH-48H");
    assert_int_equal(o->level, ISMO__V1__LEVEL__OPERATIONAL);
    for (size_t i = 0; i < ismo_register_objective_count(r); i++) {
        const Ismo__V1__Objective *c = ismo_register_objective(r, i);
        int parent_before = !c->parent_id;
        for (size_t j = 0; j < i && !parent_before; j++) {
            parent_before = strcmp(ismo_register_objective(r, j)->id, c->parent_id) == 0;
        }
        assert_true(parent_before);
    }

    o = find(r, "OBJ-PATCH-48H");
    assert_string_equal(o->function, "it-ops");
    assert_string_equal(o->owner, "Head of IT Operations");
    assert_non_null(o->metric);
    assert_string_equal(o->metric->unit, "h");
    assert_int_equal(o->metric->direction, ISMO__V1__DIRECTION__LOWER_IS_BETTER);
    assert_int_equal(o->metric->aggregation, ISMO__V1__AGGREGATION__MEAN);
    assert_true(o->metric->window_ms == 90 * ISMO_DAY_MS);
    assert_true(o->metric->frequency_ms == 7 * ISMO_DAY_MS);
    assert_true(o->review_cadence_ms == 90 * ISMO_DAY_MS);
    assert_true(o->has_baseline && o->baseline == 120);
    assert_true(o->has_target && o->target == 48);
    assert_true(o->baseline_at_ms == t_of("2026-01-01", 0));
    assert_true(o->start_ms == t_of("2026-01-01", 0));
    /* "2026-Q4" is the end of the quarter */
    assert_true(o->deadline_ms == t_of("2027-01-01", 0));
    assert_int_equal(o->n_actions, 3);
    assert_string_equal(o->actions[0]->responsible, "Linux team lead");
    assert_int_equal(o->actions[0]->status, ISMO__V1__ACTION_STATUS__DONE);
    /* a date-only due date means the end of that day */
    assert_true(o->actions[0]->due_ms == t_of("2026-07-01", 0));
    assert_int_equal(o->n_control_refs, 2);
    assert_string_equal(o->control_refs[0], "A.8.8");
    assert_string_equal(o->risk_refs[0], "R-007");
    assert_string_equal(o->policy_refs[0], "POL-02");
    /* per-objective reminders, overdue repeat, escalation; action ids and reminders */
    assert_int_equal(o->n_reminder_offsets_ms, 4);
    assert_true(o->reminder_offsets_ms[0] == 30 * ISMO_DAY_MS);
    assert_true(o->reminder_offsets_ms[3] == ISMO_DAY_MS);
    assert_true(o->has_overdue_repeat_ms && o->overdue_repeat_ms == ISMO_DAY_MS);
    assert_true(o->has_escalate_after && o->escalate_after == 2);
    assert_string_equal(o->escalate_to, "head-of-it");
    assert_string_equal(o->actions[2]->id, "PATCH-3");
    assert_int_equal(o->actions[2]->n_reminder_offsets_ms, 2);
    assert_true(o->actions[2]->reminder_offsets_ms[0] == 7 * ISMO_DAY_MS);

    /* maintain in every calendar month: the period replaces the window */
    o = find(r, "OBJ-AVAIL");
    assert_int_equal(o->target_mode, ISMO__V1__TARGET_MODE__MAINTAIN);
    assert_true(o->metric->has_period && o->metric->period == ISMO__V1__CALENDAR_PERIOD__PERIOD_MONTH);
    assert_false(o->metric->has_window_ms);
    assert_true(o->metric->frequency_ms == ISMO_HOUR_MS);
    assert_true(o->deadline_ms == t_of("2027-01-01", 0));
    assert_true(o->target == 99.9);

    /* period targets "100 % in 2026-Q3 and Q4" */
    o = find(r, "OBJ-VULN-SLA");
    assert_int_equal(o->n_period_targets, 2);
    assert_string_equal(o->period_targets[0]->label, "2026-Q3");
    assert_true(o->period_targets[0]->from_ms == t_of("2026-07-01", 0));
    assert_true(o->period_targets[0]->to_ms == t_of("2026-10-01", 0));
    assert_true(o->period_targets[1]->to_ms == t_of("2027-01-01", 0));
    assert_true(o->period_targets[1]->target == 100);
    assert_int_equal(o->metric->period, ISMO__V1__CALENDAR_PERIOD__PERIOD_QUARTER);

    /* yes/no: "no" -> "yes" */
    o = find(r, "OBJ-CERT");
    assert_string_equal(o->metric->unit, "yes/no");
    assert_int_equal(o->metric->value_kind, ISMO__V1__VALUE_KIND__YES_NO);
    assert_true(o->has_baseline && o->baseline == 0);
    assert_true(o->has_target && o->target == 1);

    /* a duration "< 2 h" on the p95 of "2h 45min" */
    o = find(r, "OBJ-MTTD");
    assert_int_equal(o->metric->value_kind, ISMO__V1__VALUE_KIND__DURATION);
    assert_int_equal(o->metric->aggregation, ISMO__V1__AGGREGATION__P95);
    assert_true(fabs(o->baseline - 2.75) < 1e-12);
    assert_true(o->target == 2);
    assert_true(o->has_target_exclusive && o->target_exclusive);

    /* ratio: samples carry value (good) and total */
    o = find(r, "OBJ-TRAINING-NEWJOINERS");
    assert_int_equal(o->metric->aggregation, ISMO__V1__AGGREGATION__RATIO);
    const Ismo__V1__Sample *s = find_sample(r, "import:OBJ-TRAINING-NEWJOINERS:2026-03-31");
    assert_true(s->value == 7 && s->has_total && s->total == 11);

    /* not measurable: reason, qualitative method, review dates */
    o = find(r, "OBJ-SEC-CULTURE");
    assert_true(o->has_not_measurable && o->not_measurable);
    assert_non_null(o->not_measurable_reason);
    assert_non_null(strstr(o->evaluation_method, "Qualitative"));
    assert_int_equal(o->n_review_dates_ms, 2);
    assert_true(o->review_dates_ms[0] == t_of("2026-06-30", 0));
    assert_null(o->metric);

    o = find(r, "OBJ-PENDING-UPDATES");
    assert_int_equal(o->level, ISMO__V1__LEVEL__OPERATIONAL);
    o = find(r, "OBJ-AVAIL-CANVAS");
    assert_true(o->metric->window_ms == 0);
    assert_true(o->deadline_ms == t_of("2026-08-22", 0));

    s = find_sample(r, "import:OBJ-PATCH-48H:2026-03-31");
    assert_string_equal(s->objective_id, "OBJ-PATCH-48H");
    assert_true(s->value == 96);
    assert_true(s->effective_ms == t_of("2026-03-31", 0));
    assert_string_equal(s->source, "import:register.yaml");
    assert_false(s->has_total);
    ismo_register_destroy(&r);
    assert_null(r);
    ismo_register_destroy(&r); /* safe twice */
}

static void check_cenedril(const ismo_register_t *r, const char *name)
{
    assert_int_equal(ismo_register_format_of(r), ISMO_REGISTER_CSV);
    /* every row kept */
    assert_int_equal(ismo_register_objective_count(r), 10);
    for (size_t i = 0; i < 10; i++) {
        char id[16];
        snprintf(id, sizeof id, "OBJ-2026-%02zu", i + 1);
        assert_string_equal(ismo_register_objective(r, i)->id, id);
        assert_int_equal(ismo_register_objective_line(r, i), (int)i + 2);
        assert_int_equal(ismo_register_objective(r, i)->level, ISMO__V1__LEVEL__TACTICAL);
    }
    const Ismo__V1__Objective *o = find(r, "OBJ-2026-01");
    assert_true(o->has_baseline && fabs(o->baseline - 5.8) < 1e-9);
    assert_true(o->baseline_at_ms == t_of("2026-01-01", 0)); /* end of 2025-12 */
    assert_true(o->has_target && o->target == 5);
    assert_int_equal(o->metric->direction, ISMO__V1__DIRECTION__LOWER_IS_BETTER);
    assert_int_equal(o->target_mode, ISMO__V1__TARGET_MODE__REACH);
    assert_true(o->deadline_ms == t_of("2027-01-01", 0)); /* end of 2026-12-31 */
    assert_string_equal(o->metric->unit, "%");
    assert_true(o->metric->frequency_ms == 92 * ISMO_DAY_MS);
    assert_string_equal(o->function, "iso");
    assert_int_equal(o->n_policy_refs, 1);
    assert_string_equal(o->policy_refs[0], "ISO 6.2");
    assert_int_equal(o->n_risk_refs, 1);
    assert_string_equal(o->risk_refs[0], "R-002");
    assert_int_equal(o->n_actions, 1);
    assert_string_equal(o->actions[0]->what, "RTP-005");
    const Ismo__V1__ImportNote *n = find_note(o, "Status");
    assert_non_null(n);
    assert_string_equal(n->text, "On track");
    assert_non_null(find_note(o, "Function"));
    /* "<5% by 2026-12-31": strictly below */
    assert_true(o->has_target_exclusive && o->target_exclusive);
    /* the Linked Action is an id of the risk treatment plan */
    assert_string_equal(o->actions[0]->id, "RTP-005");
    /* Review Date -> a review date (REVIEW_DUE), not a note */
    assert_int_equal(o->n_review_dates_ms, 1);
    assert_true(o->review_dates_ms[0] == t_of("2026-06-30", 0));
    assert_null(find_note(o, "Review Date"));

    o = find(r, "OBJ-2026-02");
    assert_int_equal(o->metric->direction, ISMO__V1__DIRECTION__HIGHER_IS_BETTER);
    assert_true(o->target == 100);
    assert_true(o->deadline_ms == t_of("2026-07-01", 0));
    assert_false(o->target_exclusive); /* "100% by": reach 100, not "more than" */
    assert_int_equal(o->n_risk_refs, 2);
    assert_string_equal(o->risk_refs[1], "R-002");

    o = find(r, "OBJ-2026-06"); /* ">95%" */
    assert_true(o->target == 95 && o->target_exclusive);

    /* "100% in 2026-Q3 and Q4": maintain from the start of Q3 to the end of Q4 */
    o = find(r, "OBJ-2026-04");
    assert_int_equal(o->target_mode, ISMO__V1__TARGET_MODE__MAINTAIN);
    assert_true(o->target == 100);
    assert_true(o->start_ms == t_of("2026-07-01", 0));
    assert_true(o->deadline_ms == t_of("2027-01-01", 0));
    /* ... as two period targets, each quarter judged on its own */
    assert_int_equal(o->n_period_targets, 2);
    assert_string_equal(o->period_targets[0]->label, "2026-Q3");
    assert_true(o->period_targets[0]->from_ms == t_of("2026-07-01", 0));
    assert_true(o->period_targets[0]->to_ms == t_of("2026-10-01", 0));
    assert_true(o->period_targets[0]->target == 100);
    assert_string_equal(o->period_targets[1]->label, "2026-Q4");
    assert_true(o->period_targets[1]->from_ms == t_of("2026-10-01", 0));
    assert_true(o->period_targets[1]->to_ms == t_of("2027-01-01", 0));
    assert_int_equal(o->metric->period, ISMO__V1__CALENDAR_PERIOD__PERIOD_QUARTER);
    assert_false(o->metric->has_window_ms);
    assert_string_equal(o->function, "it-operations-lead");
    assert_string_equal(o->control_refs[0], "A.8.8");
    assert_true(o->baseline == 89 && o->baseline_at_ms == t_of("2026-01-01", 0));

    /* "Pending audit": kept verbatim, warned with its line and column */
    o = find(r, "OBJ-2026-05");
    n = find_note(o, "Current Value");
    assert_non_null(n);
    assert_string_equal(n->text, "Pending audit");
    char where[256];
    snprintf(where, sizeof where, "%s:6: Current Value", name);
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r, where,
                            "Pending audit"));
    assert_true(o->target == 0);
    assert_true(o->deadline_ms == t_of("2027-01-01", 0));
    assert_int_equal(o->metric->direction, ISMO__V1__DIRECTION__LOWER_IS_BETTER);
    assert_string_equal(o->metric->unit, "count");
    assert_int_equal(o->n_actions, 0); /* empty Linked Action: none, with a warning */
    snprintf(where, sizeof where, "%s:6: Linked Action", name);
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r, where, NULL));

    /* "2h 45min (2025)" -> 2.75 h, a duration metric; "<2h" is strict */
    o = find(r, "OBJ-2026-07");
    assert_string_equal(o->metric->unit, "h");
    assert_int_equal(o->metric->value_kind, ISMO__V1__VALUE_KIND__DURATION);
    assert_true(o->target_exclusive);
    assert_true(o->baseline_at_ms == t_of("2026-01-01", 0)); /* the end of 2025 */
    assert_true(fabs(o->baseline - 2.75) < 1e-9);
    assert_true(o->target == 2);
    assert_int_equal(o->metric->direction, ISMO__V1__DIRECTION__LOWER_IS_BETTER);

    /* "No" -> "Yes by 2026-12-31" */
    o = find(r, "OBJ-2026-08");
    assert_string_equal(o->metric->unit, "yes/no");
    assert_int_equal(o->metric->value_kind, ISMO__V1__VALUE_KIND__YES_NO);
    assert_false(o->target_exclusive);
    assert_true(o->baseline == 0 && o->target == 1);
    assert_int_equal(o->metric->direction, ISMO__V1__DIRECTION__HIGHER_IS_BETTER);
    n = find_note(o, "Current Value");
    assert_non_null(n);
    assert_string_equal(n->text, "Vendor shortlist agreed");

    /* "Current Value" -> dated samples */
    const Ismo__V1__Sample *s = find_sample(r, "import:OBJ-2026-01:2026-Q1");
    assert_true(fabs(s->value - 4.2) < 1e-9);
    assert_true(s->effective_ms == t_of("2026-04-01", 0));
    s = find_sample(r, "import:OBJ-2026-07:2026-Q1");
    assert_true(fabs(s->value - (1.0 + 35.0 / 60.0)) < 1e-9);
    assert_int_equal(ismo_register_sample_count(r), 8);
}

static void test_csv_example(void **state)
{
    (void)state;
    ismo_register_t *r = ismo_register_new();
    const char *path = ISMO_SOURCE_DIR "/examples/cenedril-register.csv";
    ismo_err err = ismo_register_load(r, path);
    print_messages(r);
    assert_int_equal(err, ISMO_OK);
    check_cenedril(r, path);
    ismo_register_destroy(&r);
}

/* Reads ../shared/data (the real public register); skipped when absent. */
static void test_csv_shared_data(void **state)
{
    (void)state;
    const char *path = ISMO_SOURCE_DIR "/../shared/data/cenedril_security_objectives_register.csv";
    if (access(path, R_OK) != 0) {
        print_message("skipped: %s not present\n", path);
        skip();
    }
    ismo_register_t *r = ismo_register_new();
    assert_int_equal(ismo_register_load(r, path), ISMO_OK);
    check_cenedril(r, path);
    ismo_register_destroy(&r);
}

static ismo_register_t *load_text(const char *name, const char *text, ismo_err want)
{
    ismo_register_t *r = ismo_register_new();
    ismo_err err = ismo_register_load_text(r, name, text, strlen(text));
    if (err != want) {
        print_messages(r);
    }
    assert_int_equal(err, want);
    return r;
}

static void test_yaml_broken(void **state)
{
    (void)state;
    const char *text = "objectives:\n"
                       "  - id: OBJ-A\n"
                       "    title: fine\n"
                       "    owner: [unclosed\n"
                       "  - id: OBJ-B\n";
    ismo_register_t *r = load_text("broken.yaml", text, ISMO_ERR_PARSE);
    assert_true(ismo_register_error_count(r) >= 1);
    const char *e = ismo_register_error(r, 0);
    assert_non_null(strstr(e, "broken.yaml:"));
    assert_non_null(strstr(e, "YAML syntax error"));
    /* libyaml reports where it noticed the problem: line 5 */
    assert_true(strstr(e, "broken.yaml:5:") || strstr(e, "broken.yaml:4:"));
    assert_int_equal(ismo_register_objective_count(r), 0);
    ismo_register_destroy(&r);

    r = load_text("tab.yaml", "objectives:\n  - id: X\n\ttitle: tab\n", ISMO_ERR_PARSE);
    assert_non_null(strstr(ismo_register_error(r, 0), "tab.yaml:3:"));
    ismo_register_destroy(&r);
}

static void test_duplicate_ids(void **state)
{
    (void)state;
    const char *text = "objectives:\n"
                       "  - id: OBJ-A\n"
                       "    title: one\n"
                       "    function: hr\n"
                       "  - id: OBJ-B\n"
                       "    title: two\n"
                       "    function: hr\n"
                       "  - id: OBJ-A\n"
                       "    title: three\n"
                       "    function: hr\n";
    ismo_register_t *r = load_text("dup.yaml", text, ISMO_ERR_PARSE);
    assert_int_equal(ismo_register_error_count(r), 1);
    const char *e = ismo_register_error(r, 0);
    assert_non_null(strstr(e, "OBJ-A"));
    assert_non_null(strstr(e, "line 2"));
    assert_non_null(strstr(e, "line 8"));
    ismo_register_destroy(&r);

    const char *csv = "ID,Objective,Owner\n"
                      "OBJ-1,first,ISO\n"
                      "OBJ-2,second,ISO\n"
                      "OBJ-1,again,ISO\n";
    r = load_text("dup.csv", csv, ISMO_ERR_PARSE);
    e = ismo_register_error(r, 0);
    assert_non_null(strstr(e, "line 2"));
    assert_non_null(strstr(e, "line 4"));
    ismo_register_destroy(&r);
}

static void test_bad_values_kept(void **state)
{
    (void)state;
    const char *text = "objectives:\n"
                       "  - id: OBJ-A\n"
                       "    title: one\n"
                       "    function: it-ops\n"
                       "    baseline: lots\n"
                       "    deadline: next year\n"
                       "    metric: {unit: '%', window: forever}\n"
                       "    colour: blue\n"
                       "    samples:\n"
                       "      - {at: 2026-01-31, value: NaN}\n"
                       "      - {at: 2026-02-28, value: 7}\n";
    ismo_register_t *r = load_text("bad.yaml", text, ISMO_OK);
    const Ismo__V1__Objective *o = find(r, "OBJ-A");
    assert_false(o->has_baseline);
    const Ismo__V1__ImportNote *n = find_note(o, "baseline");
    assert_non_null(n);
    assert_string_equal(n->text, "lots");
    assert_non_null(find_note(o, "deadline"));
    assert_non_null(find_note(o, "metric.window"));
    assert_non_null(find_note(o, "colour"));
    assert_non_null(find_note(o, "samples"));
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "bad.yaml:5: baseline", "lots"));
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "bad.yaml:10: samples", "NaN"));
    assert_int_equal(ismo_register_sample_count(r), 1);
    ismo_register_destroy(&r);

    /* a repeated key is not silently overwritten */
    r = load_text("dupkey.yaml",
                  "objectives:\n  - id: OBJ-A\n    title: t\n    function: hr\n"
                  "    target: 5\n    target: 7\n",
                  ISMO_OK);
    o = find(r, "OBJ-A");
    assert_true(o->target == 5);
    n = find_note(o, "target");
    assert_non_null(n);
    assert_string_equal(n->text, "7");
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "dupkey.yaml:6: target", "line 5"));
    ismo_register_destroy(&r);

    /* a CSV that is neither a register nor Upptime is refused by its header */
    r = load_text("kev.csv", "cveID,vendorProject,product\nCVE-1,a,b\n", ISMO_ERR_PARSE);
    assert_non_null(strstr(ismo_register_error(r, 0), "unknown layout"));
    ismo_register_destroy(&r);

    /* an unterminated quoted CSV field is reported with the line it starts on */
    r = load_text("q.csv", "ID,Objective\nOBJ-1,ok\nOBJ-2,\"open\n", ISMO_ERR_PARSE);
    print_message("%s\n", ismo_register_error(r, 0));
    assert_non_null(strstr(ismo_register_error(r, 0), "q.csv:3:"));
    ismo_register_destroy(&r);
}

static void test_function_from(void **state)
{
    (void)state;
    char buf[ISMO_MAX_FUNCTION_BYTES + 1];
    assert_string_equal(ismo_register_function_from("IT Operations Lead", buf, sizeof buf),
                        "it-operations-lead");
    assert_string_equal(ismo_register_function_from("  --HR / Lead--", buf, sizeof buf), "hr-lead");
    assert_string_equal(ismo_register_function_from("!!", buf, sizeof buf), "");
}

static double mean_of(const ismo_register_t *r)
{
    double sum = 0;
    Ismo__V1__Sample **s = ismo_register_samples(r);
    size_t n = ismo_register_sample_count(r);
    for (size_t i = 0; i < n; i++) {
        sum += s[i]->value;
    }
    return n ? sum / (double)n : NAN;
}

static void check_canvas(const char *path)
{
    ismo_register_t *r = ismo_register_new();
    assert_int_equal(ismo_register_load_upptime(r, path, "OBJ-AVAIL-CANVAS", "canvas-lms",
                                                ISMO_UPPTIME_PER_DAY),
                     ISMO_OK);
    double daily = mean_of(r);
    print_message("canvas-lms: %zu daily samples, mean %.3f %%\n", ismo_register_sample_count(r),
                  daily);
    /* the status page's own figure for the period is 99.75 % */
    assert_true(daily > 99.70 && daily < 99.80);
    const Ismo__V1__Sample *s = find_sample(r, "upptime:canvas-lms:2025-10-29");
    assert_string_equal(s->source, "upptime:canvas-lms");
    assert_true(s->effective_ms == t_of("2025-10-29", 0));
    ismo_register_destroy(&r);

    r = ismo_register_new();
    assert_int_equal(ismo_register_load_upptime(r, path, "OBJ-AVAIL-CANVAS", "canvas-lms",
                                                ISMO_UPPTIME_PER_CHECK),
                     ISMO_OK);
    assert_int_equal(ismo_register_sample_count(r), 333);
    s = find_sample(r, "upptime:canvas-lms:2026-05-07T20:50:59.459Z");
    assert_true(s->value == 0);
    assert_true(fabs(mean_of(r) - 100.0 * 324 / 333) < 1e-9);
    ismo_register_destroy(&r);

    r = ismo_register_new();
    assert_int_equal(ismo_register_load_upptime(r, path, "OBJ-X", "no-such-service",
                                                ISMO_UPPTIME_PER_DAY),
                     ISMO_ERR_PARSE);
    ismo_register_destroy(&r);
}

static void test_upptime_example(void **state)
{
    (void)state;
    check_canvas(ISMO_SOURCE_DIR "/examples/upptime-maryville.csv");
    /* a register import refuses an Upptime file with a hint */
    ismo_register_t *r = ismo_register_new();
    assert_int_equal(ismo_register_load(r, ISMO_SOURCE_DIR "/examples/upptime-maryville.csv"),
                     ISMO_ERR_PARSE);
    assert_non_null(strstr(ismo_register_error(r, 0), "--samples-for"));
    ismo_register_destroy(&r);
}

/* Reads ../shared/data (the full Upptime history); skipped when absent. */
static void test_upptime_shared_data(void **state)
{
    (void)state;
    const char *path = ISMO_SOURCE_DIR "/../shared/data/maryville_upptime_status_events.csv";
    if (access(path, R_OK) != 0) {
        print_message("skipped: %s not present\n", path);
        skip();
    }
    check_canvas(path);
}

/* The free-text rules of the CSV register, one cell each, and what happens
 * to text that fits none: a note naming row (line) and column, every row kept. */
static void test_csv_parse_rules(void **state)
{
    (void)state;
    const char *csv =
        "ID,Objective,Owner,Metric,Baseline (start of year),Target,Review Date,Linked Action\n"
        "R-1,le,ISO,x,10% (2025-12),\xe2\x89\xa4" "5% by 2026-12-31,2026-06-30,\n"
        "R-2,range,ISO,x,80% (2025),90% in 2026-Q3 to 2027-Q2,,\n"
        "R-3,months,ISO,x,80% (2025),95% in 2026-01 and 02,,\n"
        "R-4,odd,ISO,x,\"3,5 h\",Maybe next year,sometime,\n"
        "R-5,\"a, quoted \"\"title\"\"\nover two lines\",ISO,x,No,Yes by 2026-12-31,,Do it now\n"
        "R-6,dur,ISO,x,90 minutes (2025),<=1h 30min by 2026-09-30,,\n";
    ismo_register_t *r = load_text("rules.csv", csv, ISMO_OK);
    assert_int_equal(ismo_register_objective_count(r), 6); /* every row kept */

    const Ismo__V1__Objective *o = find(r, "R-1"); /* "<=" is not strict */
    assert_true(o->target == 5 && !o->target_exclusive);
    assert_int_equal(o->metric->direction, ISMO__V1__DIRECTION__LOWER_IS_BETTER);

    o = find(r, "R-2"); /* every quarter of a range */
    assert_int_equal(o->n_period_targets, 4);
    assert_string_equal(o->period_targets[0]->label, "2026-Q3");
    assert_string_equal(o->period_targets[1]->label, "2026-Q4");
    assert_string_equal(o->period_targets[2]->label, "2027-Q1");
    assert_string_equal(o->period_targets[3]->label, "2027-Q2");
    assert_true(o->period_targets[3]->to_ms == t_of("2027-07-01", 0));
    assert_true(o->start_ms == t_of("2026-07-01", 0) && o->deadline_ms == t_of("2027-07-01", 0));

    o = find(r, "R-3"); /* months; a short "02" takes the year before it */
    assert_int_equal(o->n_period_targets, 2);
    assert_string_equal(o->period_targets[1]->label, "2026-02");
    assert_int_equal(o->metric->period, ISMO__V1__CALENDAR_PERIOD__PERIOD_MONTH);
    assert_true(o->period_targets[1]->target == 95);

    o = find(r, "R-4"); /* nothing parsable: kept verbatim, warned with line and column */
    const Ismo__V1__ImportNote *n = find_note(o, "Target");
    assert_non_null(n);
    assert_string_equal(n->text, "Maybe next year");
    assert_false(o->has_target);
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "rules.csv:5: Target", "Maybe next year"));
    n = find_note(o, "Review Date");
    assert_non_null(n);
    assert_string_equal(n->text, "sometime");
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "rules.csv:5: Review Date", "sometime"));
    assert_non_null(find_note(o, "Baseline (start of year)"));

    o = find(r, "R-5"); /* a quoted multi-line title; the action is no id */
    assert_string_equal(o->title, "a, quoted \"title\"\nover two lines");
    assert_int_equal(o->metric->value_kind, ISMO__V1__VALUE_KIND__YES_NO);
    assert_true(o->baseline == 0 && o->target == 1);
    assert_string_equal(o->actions[0]->what, "Do it now");
    assert_null(o->actions[0]->id);
    assert_int_equal(ismo_register_objective_line(r, 4), 6);

    o = find(r, "R-6"); /* minutes and hours become hours */
    assert_int_equal(o->metric->value_kind, ISMO__V1__VALUE_KIND__DURATION);
    assert_true(o->baseline == 1.5 && o->target == 1.5 && !o->target_exclusive);
    ismo_register_destroy(&r);
}

/* The new YAML keys: values they cannot use are kept as notes with line and key. */
static void test_yaml_new_fields_bad(void **state)
{
    (void)state;
    const char *text = "objectives:\n"
                       "  - id: OBJ-A\n"                                   /* 2 */
                       "    title: t\n"
                       "    function: hr\n"
                       "    parent: \"not an id!\"\n"                       /* 5 */
                       "    not_measurable: maybe\n"                       /* 6 */
                       "    reminders: [7d, soon]\n"                       /* 7 */
                       "    overdue_repeat: sometimes\n"                   /* 8 */
                       "    escalate_after: -1\n"                          /* 9 */
                       "    metric: {value_kind: colour, period: fortnight, unit: h}\n" /* 10 */
                       "    period_targets:\n"
                       "      - {label: spring, target: 5}\n"              /* 12 */
                       "      - {label: 2026-Q3, target: lots}\n"          /* 13 */
                       "      - {label: 2026-Q4, target: 7, colour: red}\n"  /* 14 */
                       "    baseline: 2h 45min\n"                          /* 15 */
                       "    target: a while\n"                             /* 16 */
                       "    review_dates: [2026-06-30, someday]\n"         /* 17 */
                       "    plan:\n"
                       "      - {id: \"bad id\", what: x, reminders: [1d, never]}\n" /* 19 */
                       "    overdue_repeat: never\n";                      /* 20 */
    ismo_register_t *r = load_text("new.yaml", text, ISMO_OK);
    const Ismo__V1__Objective *o = find(r, "OBJ-A");
    static const struct {
        const char *where, *what;
    } want[] = {
        {"new.yaml:5: parent", "not an id!"},       {"new.yaml:6: not_measurable", "maybe"},
        {"new.yaml:7: reminders", "soon"},          {"new.yaml:8: overdue_repeat", "sometimes"},
        {"new.yaml:9: escalate_after", "-1"},       {"new.yaml:10: metric.value_kind", "colour"},
        {"new.yaml:10: metric.period", "fortnight"}, {"new.yaml:12: period_targets", "spring"},
        {"new.yaml:13: period_targets", "lots"},    {"new.yaml:14: period_targets", "colour"},
        {"new.yaml:16: target", "a while"},         {"new.yaml:17: review_dates", "someday"},
        {"new.yaml:19: plan.id", "bad id"},         {"new.yaml:19: plan.reminders", "never"},
        {"new.yaml:20: overdue_repeat", "line 8"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!any_message(ismo_register_warning_count(r), ismo_register_warning, r, want[i].where,
                         want[i].what)) {
            fail_msg("no warning '%s' ... '%s'", want[i].where, want[i].what);
        }
    }
    assert_null(o->parent_id);
    assert_false(o->has_not_measurable);
    assert_int_equal(o->n_reminder_offsets_ms, 1);
    assert_false(o->has_overdue_repeat_ms);
    assert_false(o->has_escalate_after);
    assert_int_equal(o->n_period_targets, 1); /* only 2026-Q4 */
    assert_string_equal(o->period_targets[0]->label, "2026-Q4");
    /* the unit h makes "2h 45min" a duration in hours; "a while" stays a note */
    assert_true(o->has_baseline && o->baseline == 2.75);
    assert_false(o->has_target);
    assert_int_equal(o->n_review_dates_ms, 1);
    assert_null(o->actions[0]->id);
    assert_int_equal(o->actions[0]->n_reminder_offsets_ms, 1);
    /* every problem is on the objective as a note */
    assert_true(o->n_import_notes >= sizeof want / sizeof want[0]);
    ismo_register_destroy(&r);
}

static void test_policy_register(void **state)
{
    (void)state;
    ismo_register_t *r = ismo_register_new();
    assert_int_equal(ismo_register_load_policies(r, ISMO_SOURCE_DIR "/examples/policies.yaml"),
                     ISMO_OK);
    assert_int_equal(ismo_register_format_of(r), ISMO_REGISTER_POLICIES);
    assert_int_equal(ismo_register_policy_count(r), 7);
    Ismo__V1__PolicyCommitment **p = ismo_register_policies(r);
    assert_string_equal(p[1]->id, "POL-02");
    assert_non_null(strstr(p[1]->text, "vulnerabilities"));
    assert_string_equal(p[1]->source, "Information Security Policy v3, section 5.2");
    assert_int_equal(ismo_register_warning_count(r), 0);
    ismo_register_destroy(&r);

    /* CSV, columns by name; a quoted comma; an unknown column is a warning */
    const char *csv = "Source,ID,Commitment,Approved by\n"
                      "\"ISP \xc2\xa7" "2, p. 3\",POL-A,\"We comply, always\",Board\n"
                      "ISP,POL-B,Second,Board\n";
    r = ismo_register_new();
    assert_int_equal(ismo_register_load_policies_text(r, "p.csv", csv, strlen(csv)), ISMO_OK);
    assert_int_equal(ismo_register_policy_count(r), 2);
    p = ismo_register_policies(r);
    assert_string_equal(p[0]->text, "We comply, always");
    assert_string_equal(p[0]->source, "ISP \xc2\xa7" "2, p. 3");
    assert_int_equal(ismo_register_policy_line(r, 1), 3);
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "p.csv:1: Approved by", NULL));
    ismo_register_destroy(&r);

    /* duplicate ids: refused, naming both lines */
    const char *dup = "policies:\n  - id: POL-1\n    text: a\n  - id: POL-2\n    text: b\n"
                      "  - id: POL-1\n    text: c\n";
    r = ismo_register_new();
    assert_int_equal(ismo_register_load_policies_text(r, "d.yaml", dup, strlen(dup)),
                     ISMO_ERR_PARSE);
    const char *e = ismo_register_error(r, 0);
    assert_non_null(strstr(e, "d.yaml:6:"));
    assert_non_null(strstr(e, "first defined on line 2, again on line 6"));
    ismo_register_destroy(&r);

    /* an invalid id is an error with its line */
    const char *bad = "ID,Text\nPOL 1,has a space\n";
    r = ismo_register_new();
    assert_int_equal(ismo_register_load_policies_text(r, "b.csv", bad, strlen(bad)),
                     ISMO_ERR_PARSE);
    assert_non_null(strstr(ismo_register_error(r, 0), "b.csv:2:"));
    ismo_register_destroy(&r);
}

static void test_risk_register(void **state)
{
    (void)state;
    ismo_register_t *r = ismo_register_new();
    assert_int_equal(ismo_register_load_risks(r, ISMO_SOURCE_DIR "/examples/risks.csv",
                                              ISMO_RISK_HIGH_SCORE),
                     ISMO_OK);
    assert_int_equal(ismo_register_format_of(r), ISMO_REGISTER_RISKS);
    assert_int_equal(ismo_register_risk_count(r), 13);
    size_t high = 0;
    for (size_t i = 0; i < ismo_register_risk_count(r); i++) {
        high += ismo_register_risks(r)[i]->high;
    }
    assert_int_equal(high, 7);
    Ismo__V1__Risk *k = ismo_register_risks(r)[5];
    assert_string_equal(k->id, "R-006");
    assert_string_equal(k->rating, "Critical");
    assert_true(k->has_score && k->score == 25 && k->high);
    assert_string_equal(k->treatment, "modify");
    assert_string_equal(k->owner, "Head of IT Operations");
    ismo_register_destroy(&r);

    /* YAML; high by rating word or by score >= the threshold */
    const char *y = "risks:\n"
                    "  - {id: R-1, title: a, rating: Very High}\n"
                    "  - {id: R-2, title: b, rating: medium, score: 12}\n"
                    "  - {id: R-3, title: c, rating: medium, score: 9}\n"
                    "  - {id: R-4, title: d, rating: amber, score: 3}\n";
    r = ismo_register_new();
    assert_int_equal(ismo_register_load_risks_text(r, "r.yaml", y, strlen(y), 10), ISMO_OK);
    Ismo__V1__Risk **v = ismo_register_risks(r);
    assert_true(v[0]->high && !v[0]->has_score);
    assert_true(v[1]->high);  /* 12 >= 10 */
    assert_false(v[2]->high); /* 9 < 10 */
    assert_false(v[3]->high);
    assert_string_equal(v[3]->rating, "amber"); /* kept as written, with a warning */
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "r.yaml:5: rating", "amber"));
    ismo_register_destroy(&r);

    /* a score that is not a number refuses the file, naming row and column */
    const char *bad = "ID,Title,Rating,Score\nR-1,a,high,16\nR-2,b,low,n/a\n";
    r = ismo_register_new();
    assert_int_equal(ismo_register_load_risks_text(r, "bad.csv", bad, strlen(bad), 15),
                     ISMO_ERR_PARSE);
    assert_non_null(strstr(ismo_register_error(r, 0), "bad.csv:3: score: 'n/a'"));
    ismo_register_destroy(&r);

    const char *dup = "ID,Title\nR-1,a\nR-2,b\nR-1,c\n";
    r = ismo_register_new();
    assert_int_equal(ismo_register_load_risks_text(r, "dup.csv", dup, strlen(dup), 15),
                     ISMO_ERR_PARSE);
    assert_non_null(strstr(ismo_register_error(r, 0), "first defined on line 2, again on line 4"));
    ismo_register_destroy(&r);

    assert_true(ismo_ref_is_iso_clause("ISO 6.2"));
    assert_false(ismo_ref_is_iso_clause("ISO policy"));
    assert_false(ismo_ref_is_iso_clause("POL-1"));
    assert_true(ismo_risk_is_high(" CRITICAL ", 0, 0, 15));
    assert_true(ismo_risk_is_high(NULL, 1, 15, 15));
    assert_false(ismo_risk_is_high("low", 1, 14.9, 15));
}

/* Objectives of r as an array for ismo_register_export (borrowed). */
static char *export_of(const ismo_register_t *r, ismo_register_format f, size_t *len)
{
    size_t n = ismo_register_objective_count(r);
    Ismo__V1__Objective **v = calloc(n + 1, sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        v[i] = ismo_register_objective(r, i);
    }
    char *text = ismo_register_export(v, n, f, len);
    free(v);
    assert_non_null(text);
    return text;
}

/* Packed objectives of a register, by id, for an equality check. */
static void assert_same_objectives(const ismo_register_t *a, const ismo_register_t *b)
{
    assert_int_equal(ismo_register_objective_count(a), ismo_register_objective_count(b));
    for (size_t i = 0; i < ismo_register_objective_count(a); i++) {
        const Ismo__V1__Objective *x = ismo_register_objective(a, i);
        const Ismo__V1__Objective *y = find(b, x->id);
        uint8_t *bx = NULL, *by = NULL;
        size_t lx = 0, ly = 0;
        assert_int_equal(ismo_codec_pack(&x->base, &bx, &lx), ISMO_OK);
        assert_int_equal(ismo_codec_pack(&y->base, &by, &ly), ISMO_OK);
        if (lx != ly || memcmp(bx, by, lx) != 0) {
            fail_msg("objective %s differs after the round trip", x->id);
        }
        free(bx);
        free(by);
    }
}

/* export -> import -> export is byte-identical, and import -> export ->
 * import gives equal objectives: YAML, ismo CSV, and across the two. */
static void roundtrip(const char *name, const char *text, size_t len)
{
    ismo_register_t *r0 = ismo_register_new();
    ismo_err err = ismo_register_load_text(r0, name, text, len);
    print_messages(r0);
    assert_int_equal(err, ISMO_OK);
    static const ismo_register_format fmts[] = {ISMO_REGISTER_YAML, ISMO_REGISTER_ISMO_CSV};
    static const char *const names[] = {"export.yaml", "export.csv"};
    char *first[2];
    size_t first_len[2];
    for (int f = 0; f < 2; f++) {
        size_t l1 = 0, l2 = 0;
        char *e1 = export_of(r0, fmts[f], &l1);
        ismo_register_t *r1 = ismo_register_new();
        err = ismo_register_load_text(r1, names[f], e1, l1);
        print_messages(r1);
        assert_int_equal(err, ISMO_OK);
        assert_int_equal(ismo_register_format_of(r1), f ? ISMO_REGISTER_ISMO_CSV : ISMO_REGISTER_YAML);
        for (size_t i = 0; i < ismo_register_warning_count(r1); i++) {
            /* the export is read without a problem, except an action without
             * 'what' in the original (warned again, as it should be) */
            print_message("warning: %s\n", ismo_register_warning(r1, i));
            assert_non_null(strstr(ismo_register_warning(r1, i), "has no 'what'"));
        }
        assert_same_objectives(r0, r1);
        char *e2 = export_of(r1, fmts[f], &l2);
        if (l1 != l2 || memcmp(e1, e2, l1) != 0) {
            print_message("first:\n%s\nsecond:\n%s\n", e1, e2);
            fail_msg("%s: export -> import -> export is not byte-identical", names[f]);
        }
        free(e2);
        ismo_register_destroy(&r1);
        first[f] = e1;
        first_len[f] = l1;
    }
    /* the CSV, read back and written as YAML, is the YAML export */
    ismo_register_t *rc = ismo_register_new();
    assert_int_equal(ismo_register_load_text(rc, "x.csv", first[1], first_len[1]), ISMO_OK);
    size_t ly = 0;
    char *y = export_of(rc, ISMO_REGISTER_YAML, &ly);
    assert_true(ly == first_len[0] && memcmp(y, first[0], ly) == 0);
    free(y);
    ismo_register_destroy(&rc);
    free(first[0]);
    free(first[1]);
    ismo_register_destroy(&r0);
}

static char *file_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    *len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

static void test_export_roundtrip(void **state)
{
    (void)state;
    size_t len = 0;
    char *t = file_text(ISMO_SOURCE_DIR "/examples/register.yaml", &len);
    roundtrip("register.yaml", t, len);
    t = file_text(ISMO_SOURCE_DIR "/examples/cenedril-register.csv", &len);
    roundtrip("cenedril-register.csv", t, len);

    /* text with commas, quotes, newlines, tabs, UTF-8 and what YAML or CSV
     * would read as syntax; lists whose items hold commas, newlines and a
     * backslash; import notes */
    const char *hostile =
        "objectives:\n"
        "  - id: OBJ-X:1\n"
        "    title: \"Cost, \\\"quoted\\\" & \xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 \xe2\x9c\x93 # not a comment\"\n"
        "    description: \"line 1\\nline 2\\n  indented\\ttab\\r\\nend \\\\ back\\\\slash \\L ls \\u0085 nel\"\n"
        "    level: operational\n"
        "    function: it-ops\n"
        "    owner: \"null\"\n"
        "    parent: OBJ-Y\n"
        "    metric: {name: \"- dash: colon\", unit: \"%\", direction: higher_is_better, aggregation: p95, window: 2h45m, frequency: 90s, period: week, value_kind: number}\n"
        "    baseline: -0.1\n"
        "    baseline_at: 2026-01-01T12:34:56.789Z\n"
        "    target: 0.30000000000000004\n"
        "    target_exclusive: true\n"
        "    target_mode: maintain\n"
        "    period_targets: [{label: \"W, 1\", from: 2026-01-05, to: 2026-01-11, target: 1e-7}]\n"
        "    start: 2026-01-05\n"
        "    deadline: 2026-12-31T23:00:00Z\n"
        "    review_cadence: 1w\n"
        "    review_dates: [2026-03-01, 2026-06-01T08:00:00Z]\n"
        "    reminders: [14d, 36h, 90m]\n"
        "    overdue_repeat: never\n"
        "    escalate_after: 3\n"
        "    escalate_to: \"head-of-it, deputy\"\n"
        "    policy_refs: [\"ISP-01 5.2 \\\"prompt\\\", always\", \"two\\nlines\", \"back\\\\n\"]\n"
        "    risk_refs: [R-1]\n"
        "    controls: [\"A.8.8\", \"[x]\", \"{y}\"]\n"
        "    evaluation_method: \"'single' | pipe > gt * star & amp ! bang % pct @ at ` tick\"\n"
        "    plan:\n"
        "      - {id: A-1, what: \"  leading and trailing  \", resources: \"1,000 EUR\", responsible: \"Ren\xc3\xa9" "e\", due: 2026-06-30, status: in_progress, reminders: [7d, 1d]}\n"
        "      - {what: \"true\"}\n"
        "      - {}\n"
        "    import_notes:\n"
        "      - {field: Target, text: \"Pending, \\\"audit\\\"\\n2nd line\", problem: is not a number}\n"
        "  - id: OBJ-Y\n"
        "    title: \"~\"\n"
        "    function: it-ops\n"
        "    not_measurable: yes\n"
        "    not_measurable_reason: \"yes\"\n"
        "    overdue_repeat: 2h\n";
    roundtrip("hostile.yaml", hostile, strlen(hostile));

    /* the export lists parents first, whatever the input order */
    ismo_register_t *r = load_text("h.yaml", hostile, ISMO_OK);
    const Ismo__V1__Objective *x = find(r, "OBJ-X:1"); /* the input is what it means to be */
    assert_string_equal(x->description, "line 1\nline 2\n  indented\ttab\r\nend \\ back\\slash "
                                        "\xe2\x80\xa8 ls \xc2\x85 nel");
    assert_non_null(strstr(x->title, "\"quoted\" & \xc3\xbc"));
    assert_string_equal(x->policy_refs[0], "ISP-01 5.2 \"prompt\", always");
    assert_string_equal(x->policy_refs[1], "two\nlines");
    assert_string_equal(x->policy_refs[2], "back\\n");
    assert_string_equal(x->owner, "null");
    assert_string_equal(x->actions[0]->what, "  leading and trailing  ");
    assert_true(x->target == 0.30000000000000004 && x->baseline == -0.1);
    assert_true(x->has_overdue_repeat_ms && x->overdue_repeat_ms == -1);
    assert_int_equal(x->n_import_notes, 1);
    size_t l = 0;
    char *e = export_of(r, ISMO_REGISTER_YAML, &l);
    assert_true(strstr(e, "id: OBJ-Y") < strstr(e, "id: \"OBJ-X:1\""));
    assert_non_null(strstr(e, "overdue_repeat: never"));
    free(e);
    ismo_register_destroy(&r);
}

static void test_export_order_cycle(void **state)
{
    (void)state;
    const char *text = "objectives:\n"
                       "  - {id: C, title: t, function: x, parent: B}\n"
                       "  - {id: B, title: t, function: x}\n"
                       "  - {id: D, title: t, function: x, parent: A}\n"
                       "  - {id: A, title: t, function: x}\n"
                       "  - {id: E, title: t, function: x, parent: GONE}\n";
    ismo_register_t *r = load_text("c.yaml", text, ISMO_OK);
    /* the importer refuses a cycle (test_import_cycles); ismod's data may still hold one */
    Ismo__V1__Objective *ob = (Ismo__V1__Objective *)find(r, "B");
    assert_null(ob->parent_id);
    ob->parent_id = strdup("C");
    size_t l = 0;
    char *e = export_of(r, ISMO_REGISTER_ISMO_CSV, &l);
    /* roots (A, E: its parent is not in the list) in id order, children
     * after their parent, the cycle B <-> C last */
    const char *a = strstr(e, "\nA,"), *d = strstr(e, "\nD,"), *ee = strstr(e, "\nE,"),
               *b = strstr(e, "\nB,"), *c = strstr(e, "\nC,");
    assert_true(a && d && ee && b && c);
    assert_true(a < d && d < ee && ee < b && b < c);
    free(e);
    ismo_register_destroy(&r);
}

static void test_ismo_csv_errors(void **state)
{
    (void)state;
    /* a child row that does not follow its objective, an unknown row kind */
    const char *csv = "ID,Row,Objective,Function,What,Colour\n"
                      "OBJ-1,objective,one,hr,,blue\n"
                      "OBJ-2,action,,,orphan,\n"
                      "OBJ-1,thing,,,,\n";
    ismo_register_t *r = load_text("i.csv", csv, ISMO_ERR_PARSE);
    assert_int_equal(ismo_register_format_of(r), ISMO_REGISTER_ISMO_CSV);
    assert_true(any_message(ismo_register_error_count(r), ismo_register_error, r, "i.csv:3:",
                            "does not follow"));
    assert_true(any_message(ismo_register_error_count(r), ismo_register_error, r, "i.csv:4:",
                            "thing"));
    ismo_register_destroy(&r);

    /* an unknown column: warned once, its values kept as notes */
    csv = "ID,Row,Objective,Function,Colour\nOBJ-1,objective,one,hr,blue\n"
          "OBJ-1,objective,again,hr,\n";
    r = load_text("j.csv", csv, ISMO_ERR_PARSE); /* duplicate id, both lines */
    assert_non_null(strstr(ismo_register_error(r, 0), "first defined on line 2, again on line 3"));
    ismo_register_destroy(&r);
    csv = "ID,Row,Objective,Function,Colour\nOBJ-1,objective,one,hr,blue\n";
    r = load_text("k.csv", csv, ISMO_OK);
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "k.csv:1: Colour", NULL));
    const Ismo__V1__ImportNote *n = find_note(find(r, "OBJ-1"), "Colour");
    assert_non_null(n);
    assert_string_equal(n->text, "blue");
    ismo_register_destroy(&r);
}

static const char *lint_ids(json_t *groups, const char *key, char *buf, size_t len)
{
    json_t *arr = json_object_get(groups, key);
    buf[0] = '\0';
    for (size_t i = 0; i < json_array_size(arr); i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? " " : "",
                 json_string_value(json_object_get(json_array_get(arr, i), "id")));
    }
    return buf;
}

/* ismo lint's checks on a tree ismod would refuse (a cycle), a level
 * inversion, dangling and retired references, coverage and --function. */
static void test_lint(void **state)
{
    (void)state;
    const char *text =
        "objectives:\n"
        "  - {id: L-ROOT, title: r, function: a, level: strategic, policy_refs: [P-1], risk_refs: [K-1]}\n"
        "  - {id: L-OPS, title: o, function: a, level: operational, parent: L-ROOT}\n"
        "  - {id: L-INV, title: i, function: b, level: strategic, parent: L-OPS}\n"
        "  - {id: L-C2, title: c, function: b, level: tactical, parent: L-C1}\n"
        "  - {id: L-C1, title: c, function: b, level: tactical, parent: L-C3}\n"
        "  - {id: L-C3, title: c, function: b, level: tactical}\n"
        "  - {id: L-SELF, title: s, function: a, level: tactical}\n"
        "  - {id: L-BELOW, title: b, function: a, level: tactical, parent: L-C1}\n"
        "  - {id: L-DANGLE, title: d, function: a, level: tactical, parent: L-GONE, policy_refs: [P-9, P-1, ISO 6.2], risk_refs: [K-9]}\n"
        "  - {id: L-RET, title: retired, function: a, level: tactical, policy_refs: [P-2], risk_refs: [K-2]}\n"
        "  - {id: L-UNDER-RET, title: u, function: a, level: operational, parent: L-RET}\n";
    ismo_register_t *r = load_text("lint.yaml", text, ISMO_OK);
    size_t n = ismo_register_objective_count(r);
    Ismo__V1__Objective **v = calloc(n + 1, sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        v[i] = ismo_register_objective(r, i);
    }
    assert_string_equal(v[9]->id, "L-RET");
    v[9]->retired = 1; /* as ismod lists a retired objective */
    assert_string_equal(v[5]->id, "L-C3");
    v[5]->parent_id = strdup("L-C2"); /* the importer refuses the cycle; data may still hold it */
    assert_string_equal(v[6]->id, "L-SELF");
    v[6]->parent_id = strdup("L-SELF"); /* the importer refuses this; data may still hold it */
    assert_string_equal(v[0]->id, "L-ROOT");
    v[0]->has_lifecycle = 1;
    v[0]->lifecycle = ISMO__V1__LIFECYCLE__LIFECYCLE_DRAFT;

    Ismo__V1__PolicyCommitment p[3];
    Ismo__V1__PolicyCommitment *pp[3] = {&p[0], &p[1], &p[2]};
    const char *pid[3] = {"P-1", "P-2", "P-3"};
    for (int i = 0; i < 3; i++) {
        ismo__v1__policy_commitment__init(&p[i]);
        p[i].id = (char *)pid[i];
        p[i].text = (char *)"commitment";
    }
    Ismo__V1__Risk k[4];
    Ismo__V1__Risk *kp[4] = {&k[0], &k[1], &k[2], &k[3]};
    const char *kid[4] = {"K-1", "K-2", "K-3", "K-4"};
    for (int i = 0; i < 4; i++) {
        ismo__v1__risk__init(&k[i]);
        k[i].id = (char *)kid[i];
        k[i].has_high = 1;
        k[i].high = i != 3; /* K-4 is not high */
    }
    json_t *g = ismo_register_lint(v, n, pp, 3, kp, 4, NULL);
    char buf[1024];
    /* the 3-cycle once, at its smallest id, with its path; the self-parent too */
    json_t *tree = json_object_get(g, "tree");
    assert_string_equal(lint_ids(g, "tree", buf, sizeof buf), "L-INV L-C1 L-SELF");
    assert_string_equal(json_string_value(json_object_get(json_array_get(tree, 0), "problem")),
                        "level inversion");
    assert_string_equal(json_string_value(json_object_get(json_array_get(tree, 1), "path")),
                        "L-C1 -> L-C3 -> L-C2 -> L-C1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(tree, 2), "path")),
                        "L-SELF -> L-SELF");
    /* dangling: unknown policy, risk, parent; a retired parent */
    json_t *d = json_object_get(g, "dangling_references");
    assert_string_equal(lint_ids(g, "dangling_references", buf, sizeof buf),
                        "L-DANGLE L-DANGLE L-DANGLE L-UNDER-RET");
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "ref")), "P-9");
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 1), "kind")), "risk");
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 2), "kind")), "parent");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(d, 3), "text")),
                           "is retired"));
    /* coverage: a retired objective supports and treats nothing */
    assert_string_equal(lint_ids(g, "unsupported_policies", buf, sizeof buf), "P-2 P-3");
    assert_string_equal(lint_ids(g, "untreated_high_risks", buf, sizeof buf), "K-2 K-3");
    assert_string_equal(lint_ids(g, "drafts", buf, sizeof buf), "L-ROOT");
    /* the retired objective is not checked */
    assert_null(strstr(lint_ids(g, "smart_gaps", buf, sizeof buf), "L-RET "));
    assert_int_equal(json_array_size(json_object_get(g, "smart_gaps")), n - 1);
    json_decref(g);

    /* --function b: only b's objectives, no coverage checks */
    g = ismo_register_lint(v, n, pp, 3, kp, 4, "b");
    assert_string_equal(lint_ids(g, "tree", buf, sizeof buf), "L-INV L-C1");
    assert_int_equal(json_array_size(json_object_get(g, "unsupported_policies")), 0);
    assert_int_equal(json_array_size(json_object_get(g, "untreated_high_risks")), 0);
    assert_int_equal(json_array_size(json_object_get(g, "smart_gaps")), 4);
    json_decref(g);

    /* no policy or risk register: references not checked */
    g = ismo_register_lint(v, n, NULL, 0, NULL, 0, NULL);
    assert_string_equal(lint_ids(g, "dangling_references", buf, sizeof buf),
                        "L-DANGLE L-UNDER-RET");
    json_decref(g);
    free(v);
    ismo_register_destroy(&r);
}

/* Policy and risk registers: export -> load -> export byte-identical, in
 * both formats, with text that needs quoting. */
static void context_roundtrip(int risks, const char *name, const char *text)
{
    ismo_register_t *r0 = ismo_register_new();
    ismo_err err = risks ? ismo_register_load_risks_text(r0, name, text, strlen(text), 15)
                         : ismo_register_load_policies_text(r0, name, text, strlen(text));
    print_messages(r0);
    assert_int_equal(err, ISMO_OK);
    static const ismo_register_format fmts[] = {ISMO_REGISTER_YAML, ISMO_REGISTER_ISMO_CSV};
    static const char *const names[] = {"c.yaml", "c.csv"};
    for (int f = 0; f < 2; f++) {
        size_t l1 = 0, l2 = 0;
        char *e1 = risks ? ismo_register_export_risks(ismo_register_risks(r0),
                                                      ismo_register_risk_count(r0), fmts[f], &l1)
                         : ismo_register_export_policies(ismo_register_policies(r0),
                                                         ismo_register_policy_count(r0), fmts[f], &l1);
        ismo_register_t *r1 = ismo_register_new();
        err = risks ? ismo_register_load_risks_text(r1, names[f], e1, l1, 15)
                    : ismo_register_load_policies_text(r1, names[f], e1, l1);
        print_messages(r1);
        assert_int_equal(err, ISMO_OK);
        size_t n = risks ? ismo_register_risk_count(r0) : ismo_register_policy_count(r0);
        assert_int_equal(n, risks ? ismo_register_risk_count(r1) : ismo_register_policy_count(r1));
        for (size_t i = 0; i < n; i++) {
            const ProtobufCMessage *a = risks ? &ismo_register_risks(r0)[i]->base
                                              : &ismo_register_policies(r0)[i]->base;
            const ProtobufCMessage *b = risks ? &ismo_register_risks(r1)[i]->base
                                              : &ismo_register_policies(r1)[i]->base;
            uint8_t *ba = NULL, *bb = NULL;
            size_t la = 0, lb = 0;
            assert_int_equal(ismo_codec_pack(a, &ba, &la), ISMO_OK);
            assert_int_equal(ismo_codec_pack(b, &bb, &lb), ISMO_OK);
            assert_true(la == lb && memcmp(ba, bb, la) == 0);
            free(ba);
            free(bb);
        }
        char *e2 = risks ? ismo_register_export_risks(ismo_register_risks(r1),
                                                      ismo_register_risk_count(r1), fmts[f], &l2)
                         : ismo_register_export_policies(ismo_register_policies(r1),
                                                         ismo_register_policy_count(r1), fmts[f], &l2);
        if (l1 != l2 || memcmp(e1, e2, l1) != 0) {
            print_message("first:\n%s\nsecond:\n%s\n", e1, e2);
            fail_msg("%s: export -> load -> export is not byte-identical", names[f]);
        }
        free(e1);
        free(e2);
        ismo_register_destroy(&r1);
    }
    ismo_register_destroy(&r0);
}

static void test_context_export(void **state)
{
    (void)state;
    size_t len = 0;
    char *t = file_text(ISMO_SOURCE_DIR "/examples/policies.yaml", &len);
    context_roundtrip(0, "policies.yaml", t);
    t = file_text(ISMO_SOURCE_DIR "/examples/risks.csv", &len);
    context_roundtrip(1, "risks.csv", t);
    context_roundtrip(0, "p.yaml",
                      "policies:\n"
                      "  - {id: P-1, text: \"We comply, always: \\\"no\\\" exceptions\\n(second line)\", source: \"ISP \xc2\xa7" "2\"}\n"
                      "  - {id: P-2, text: \"null\"}\n"
                      "  - {id: P-3}\n");
    context_roundtrip(1, "r.csv",
                      "ID,Title,Rating,Score,Treatment,Owner\n"
                      "R-1,\" leading, \"\"quoted\"\"\",High,0.30000000000000004,modify,\"Ren\xc3\xa9" "e\"\n"
                      "R-2,,,,,\n"
                      "R-3,\"two\nlines\",low,-1,retain,x\n");
}

/* Values that parse but that ismod does not keep (out of range) are kept
 * as import notes with a warning naming the row and column, like values
 * that do not parse; the register still loads (the tester's variants of a
 * row of the public Cenedril register: Excel's empty date, a huge baseline). */
static void test_out_of_range_kept(void **state)
{
    (void)state;
    const char *head = "ID,Objective,Linked ISO Clause / Risk,Owner,Metric,Baseline (start of year),"
                       "Target,Measurement Frequency,Current Value,Status,Review Date,Linked Action\n";
    char csv[2048];
    snprintf(csv, sizeof csv,
             "%s"
             "OBJ-2026-01,Reduce phishing simulation click rate below 5%%,ISO 6.2 + R-002,ISO,"
             "%% of users clicking simulated phishing,5.8%% (2025-12),<5%% by 2026-12-31,Quarterly,"
             "4.2%% (2026-Q1),On track,1899-12-31,RTP-005\n"
             "OBJ-2026-02,Same row with a huge baseline,ISO 6.2 + R-002,ISO,"
             "%% of users clicking simulated phishing,5e20%% (2025-12),<5%% by 2026-12-31,Quarterly,"
             "2e16%% (2026-Q1),On track,2026-06-30,RTP-005\n"
             "OBJ-2026-03,Same row with dates out of range,ISO 6.2 + R-002,ISO,"
             "%% of users clicking simulated phishing,5.8%% (1899-12),<5%% by 1899-12-31,Quarterly,"
             "4.2%% (1899-12),On track,2026-06-30,RTP-005\n",
             head);
    ismo_register_t *r = load_text("ced.csv", csv, ISMO_OK);
    assert_int_equal(ismo_register_objective_count(r), 3);
    const Ismo__V1__Objective *o1 = find(r, "OBJ-2026-01");
    const Ismo__V1__ImportNote *n = find_note(o1, "Review Date");
    assert_non_null(n);
    assert_string_equal(n->text, "1899-12-31");
    assert_int_equal(o1->n_review_dates_ms, 0);
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "ced.csv:2: Review Date: '1899-12-31' is out of range", "OBJ-2026-01"));
    const Ismo__V1__Objective *o2 = find(r, "OBJ-2026-02");
    n = find_note(o2, "Baseline (start of year)");
    assert_non_null(n);
    assert_string_equal(n->text, "5e20% (2025-12)");
    assert_false(o2->has_baseline);
    assert_true(o2->has_target);
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "ced.csv:3: Baseline (start of year): '5e20% (2025-12)' is out of range",
                            NULL));
    assert_non_null(find_note(o2, "Current Value"));
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "ced.csv:3: Current Value: '2e16% (2026-Q1)' is out of range", NULL));
    const Ismo__V1__Objective *o3 = find(r, "OBJ-2026-03");
    assert_false(o3->has_baseline_at_ms);
    assert_false(o3->has_deadline_ms);
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "ced.csv:4: Target: '<5% by 1899-12-31' has a deadline that is out of range",
                            NULL));
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "ced.csv:4: Baseline (start of year):", "out of range"));
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "ced.csv:4: Current Value:", "out of range"));
    /* only the sample of OBJ-2026-01 (4.2% in 2026-Q1) could be dated */
    assert_int_equal(ismo_register_sample_count(r), 1);
    for (size_t i = 0; i < ismo_register_objective_count(r); i++) {
        char why[256];
        assert_int_equal(ismo_objective_validate(ismo_register_objective(r, i), why, sizeof why),
                         ISMO_OK);
    }
    ismo_register_destroy(&r);

    /* the same in YAML: numbers, dates, durations, reminders, samples, period targets */
    const char *yaml = "objectives:\n"
                       "  - id: Y-1\n"
                       "    title: t\n"
                       "    function: qa\n"
                       "    baseline: 1e300\n"
                       "    target: -5e20\n"
                       "    deadline: 1899-12-31\n"
                       "    start: 1970-01-01\n"
                       "    review_cadence: 40000d\n"
                       "    review_dates: [2026-06-30, 1899-12-31]\n"
                       "    reminders: [0, 1d, 2d, 3d, 4d, 5d, 6d, 7d, 8d, 9d, 10d, 11d, 12d, 13d, "
                       "14d, 15d, 16d, 17d]\n"
                       "    period_targets:\n"
                       "      - {label: 2026-Q3, target: 1e16}\n"
                       "      - {label: old, from: 1899-01-01, to: 1899-12-31, target: 1}\n"
                       "    samples:\n"
                       "      - {at: 2026-01-01, value: 1e16}\n"
                       "      - {at: 1899-12-31, value: 1}\n"
                       "      - {at: 2026-02-01, value: 3}\n";
    r = load_text("y.yaml", yaml, ISMO_OK);
    const Ismo__V1__Objective *y = find(r, "Y-1");
    assert_false(y->has_baseline);
    assert_false(y->has_target);
    assert_false(y->has_deadline_ms);
    assert_false(y->has_start_ms);
    assert_false(y->has_review_cadence_ms);
    assert_int_equal(y->n_review_dates_ms, 1);
    assert_int_equal(y->n_reminder_offsets_ms, 16);
    assert_int_equal(y->n_period_targets, 0);
    assert_int_equal(ismo_register_sample_count(r), 1);
    static const char *const want[][2] = {
        {"y.yaml:5: baseline: '1e300'", "out of range"},
        {"y.yaml:6: target: '-5e20'", "out of range"},
        {"y.yaml:7: deadline: '1899-12-31'", "out of range"},
        {"y.yaml:8: start: '1970-01-01'", "out of range"},
        {"y.yaml:9: review_cadence: '40000d'", "out of range"},
        {"y.yaml:10: review_dates: '1899-12-31'", "out of range"},
        {"y.yaml:11: reminders: '0'", "not a reminder offset"},
        {"y.yaml:11: reminders: '17d'", "one reminder too many"},
        {"y.yaml:13: period_targets:", "out of range"},
        {"y.yaml:14: period_targets:", "out of range"},
        {"y.yaml:16: samples: 'at: 2026-01-01, value: 1e16'", "out of range"},
        {"y.yaml:17: samples: 'at: 1899-12-31, value: 1'", "out of range"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!any_message(ismo_register_warning_count(r), ismo_register_warning, r, want[i][0],
                         want[i][1])) {
            print_messages(r);
            fail_msg("no warning '%s ... %s'", want[i][0], want[i][1]);
        }
    }
    char why[256];
    assert_int_equal(ismo_objective_validate(y, why, sizeof why), ISMO_OK);
    ismo_register_destroy(&r);
}

/* A text longer than ismod keeps (a long objective statement) costs no row:
 * cut at a character boundary, kept whole as an import note. */
static void test_long_text_kept(void **state)
{
    (void)state;
    char title[400], csv[2048];
    size_t used = 0;
    while (used < 300) { /* "é" (2 bytes) then ASCII: the cut lands inside a character */
        used += (size_t)snprintf(title + used, sizeof title - used, "%s", used == 252 ? "\xc3\xa9" : "x");
    }
    snprintf(csv, sizeof csv,
             "ID,Objective,Linked ISO Clause / Risk,Owner,Metric,Target\n"
             "OBJ-L,%s,ISO 6.2,ISO,m,5%% by 2026-12-31\n",
             title);
    ismo_register_t *r = load_text("long.csv", csv, ISMO_OK);
    const Ismo__V1__Objective *o = find(r, "OBJ-L");
    assert_true(strlen(o->title) <= 256);
    assert_string_equal(o->title + strlen(o->title) - 3, "...");
    assert_int_equal(strncmp(o->title, title, strlen(o->title) - 3), 0);
    assert_true(ismo_utf8_is_valid(o->title));
    const Ismo__V1__ImportNote *n = find_note(o, "Objective");
    assert_non_null(n);
    assert_string_equal(n->text, title);
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "long.csv:2: Objective:", "longer than ismod keeps (256 bytes)"));
    char why[256];
    assert_int_equal(ismo_objective_validate(o, why, sizeof why), ISMO_OK);
    ismo_register_destroy(&r);
}

/* A parent cycle refuses the whole register, within the file (at load, so
 * --dry-run too) and through what ismod holds (ismo_register_check_stored),
 * as ismod would check each PutObjective in file order. */
static void test_import_cycles(void **state)
{
    (void)state;
    ismo_register_t *r = load_text("cyc2.yaml",
                                   "objectives:\n"
                                   "  - {id: C1, title: a, function: qa, parent: C2}\n"
                                   "  - {id: C2, title: b, function: qa, parent: C1}\n",
                                   ISMO_ERR_PARSE);
    assert_int_equal(ismo_register_error_count(r), 1);
    assert_string_equal(ismo_register_error(r, 0),
                        "cyc2.yaml:3: objective C2: parent 'C1' would make a cycle in the "
                        "objective tree (C2 -> C1 -> C2)");
    ismo_register_destroy(&r);
    r = load_text("cyc3.csv",
                  "ID,Row,Objective,Function,Parent\n"
                  "A,objective,a,qa,C\nB,objective,b,qa,A\nC,objective,c,qa,B\n",
                  ISMO_ERR_PARSE);
    assert_true(any_message(ismo_register_error_count(r), ismo_register_error, r, "cyc3.csv:4:",
                            "(C -> B -> A -> C)"));
    ismo_register_destroy(&r);

    /* a file without a cycle of its own, against what ismod holds */
    const char *text = "objectives:\n"
                       "  - {id: N0, title: new, function: qa}\n"
                       "  - {id: S1, title: s, function: qa, parent: S3}\n"
                       "  - {id: S3, title: u, function: qa, parent: S2}\n";
    r = load_text("s3.yaml", text, ISMO_OK);
    assert_int_equal(ismo_register_check_stored(r, NULL, 0), 0);
    Ismo__V1__Objective st[3];
    Ismo__V1__Objective *sp[3] = {&st[0], &st[1], &st[2]};
    for (int i = 0; i < 3; i++) {
        ismo__v1__objective__init(&st[i]);
        st[i].version = 1;
    }
    st[0].id = (char *)"S1";
    st[1].id = (char *)"S2";
    st[1].parent_id = (char *)"S1";
    st[2].id = (char *)"OLD";
    st[2].retired = 1;
    st[2].version = 4;
    assert_int_equal(ismo_register_check_stored(r, sp, 3), 1);
    assert_true(any_message(ismo_register_error_count(r), ismo_register_error, r,
                            "s3.yaml:4: objective S3: parent 'S2' would make a cycle in the "
                            "objective tree (S3 -> S2 -> S1 -> S3; ",
                            NULL));
    ismo_register_destroy(&r);

    /* order matters as it does for ismod: S2's new parent is put before S1
     * loses its old one (S1 -> S2 stored) */
    st[0].parent_id = (char *)"S2";
    st[1].parent_id = NULL;
    r = load_text("o.yaml",
                  "objectives:\n  - {id: S2, title: t, function: qa, parent: S1}\n"
                  "  - {id: S1, title: s, function: qa}\n",
                  ISMO_OK);
    assert_int_equal(ismo_register_check_stored(r, sp, 3), 1);
    assert_true(any_message(ismo_register_error_count(r), ismo_register_error, r, "o.yaml:2:",
                            "(S2 -> S1 -> S2; "));
    ismo_register_destroy(&r);
    r = load_text("o2.yaml",
                  "objectives:\n  - {id: S1, title: s, function: qa}\n"
                  "  - {id: S2, title: t, function: qa, parent: S1}\n",
                  ISMO_OK);
    assert_int_equal(ismo_register_check_stored(r, sp, 3), 0);
    ismo_register_destroy(&r);

    /* a retired objective cannot change; an unknown parent ends the chain */
    r = load_text("ret.yaml",
                  "objectives:\n  - {id: N1, title: n, function: qa, parent: NOWHERE}\n"
                  "  - {id: OLD, title: o, function: qa}\n",
                  ISMO_OK);
    assert_int_equal(ismo_register_check_stored(r, sp, 3), 1);
    assert_true(any_message(ismo_register_error_count(r), ismo_register_error, r,
                            "ret.yaml:3: objective OLD is retired in ismod (version 4)", NULL));
    ismo_register_destroy(&r);

    /* deeper than 32 levels: D0 <- D1 <- ... <- D33 */
    char big[8192];
    int used = snprintf(big, sizeof big, "objectives:\n  - {id: D0, title: t, function: qa}\n");
    for (int i = 1; i <= 33; i++) {
        used += snprintf(big + used, sizeof big - (size_t)used,
                         "  - {id: D%d, title: t, function: qa, parent: D%d}\n", i, i - 1);
    }
    r = load_text("deep.yaml", big, ISMO_ERR_PARSE);
    assert_int_equal(ismo_register_error_count(r), 1);
    assert_true(any_message(ismo_register_error_count(r), ismo_register_error, r, "deep.yaml:35:",
                            "objective D33: the objective tree above it is deeper than 32 levels"));
    ismo_register_destroy(&r);
}

/* Warnings keep the user's text and name the column as the file does. */
static void test_warning_texts(void **state)
{
    (void)state;
    /* a list where a single value belongs: the note keeps the list as written */
    ismo_register_t *r = load_text("l.yaml",
                                   "objectives:\n"
                                   "  - id: L1\n"
                                   "    title: t\n"
                                   "    function: qa\n"
                                   "    owner: [Alice, \"Bob, Jr.\"]\n"
                                   "    description:\n"
                                   "      - one\n"
                                   "      - two\n"
                                   "    risks: [R-1]\n",
                                   ISMO_OK);
    const Ismo__V1__Objective *o = find(r, "L1");
    const Ismo__V1__ImportNote *n = find_note(o, "owner");
    assert_non_null(n);
    assert_string_equal(n->text, "[Alice, \"Bob, Jr.\"]");
    n = find_note(o, "description");
    assert_non_null(n);
    assert_non_null(strstr(n->text, "- one"));
    assert_non_null(strstr(n->text, "- two"));
    assert_string_equal(ismo_register_ref_column(r, 1), "risks");
    assert_string_equal(ismo_register_ref_column(r, 0), "policy_refs");
    ismo_register_destroy(&r);

    /* a mixed reference cell names the token it did not understand */
    const char *csv = "ID,Objective,Linked ISO Clause / Risk,Owner,Target\n"
                      "OBJ-1,t,R-404 + POL-9 + ISO 6.2 + X 1,ISO,5% by 2026-12-31\n";
    r = load_text("m.csv", csv, ISMO_OK);
    o = find(r, "OBJ-1");
    assert_int_equal(o->n_risk_refs, 1);
    assert_int_equal(o->n_policy_refs, 1);
    assert_true(any_message(ismo_register_warning_count(r), ismo_register_warning, r,
                            "m.csv:2: Linked ISO Clause / Risk: 'R-404 + POL-9 + ISO 6.2 + X 1' "
                            "has 'POL-9', 'X 1', neither",
                            NULL));
    assert_string_equal(ismo_register_ref_column(r, 1), "Linked ISO Clause / Risk");
    ismo_register_destroy(&r);
    r = load_text("i.csv", "ID,Row,Objective,Function,Risk Refs\nOBJ-1,objective,t,qa,R-1\n",
                  ISMO_OK);
    assert_string_equal(ismo_register_ref_column(r, 1), "Risk Refs");
    assert_string_equal(ismo_register_ref_column(r, 2), "Parent");
    ismo_register_destroy(&r);
}

/* A byte that is not UTF-8 is reported on its line and column. */
static void test_yaml_not_utf8(void **state)
{
    (void)state;
    const char *text = "objectives:\n"
                       "  - id: U1\n"
                       "    title: fine\n"
                       "    owner: Ren\xe9\n"
                       "    function: qa\n";
    ismo_register_t *r = load_text("nonutf2.yaml", text, ISMO_ERR_PARSE);
    assert_int_equal(ismo_register_error_count(r), 1);
    const char *e = ismo_register_error(r, 0);
    assert_non_null(strstr(e, "nonutf2.yaml:4: "));
    assert_non_null(strstr(e, "(line 4, column 15)"));
    ismo_register_destroy(&r);
}

/* The register export keeps text exactly, including cells a spreadsheet
 * would run as a formula (docs/cli.md "export": the risk is documented):
 * the import reads them back unchanged. */
static void test_export_formula_text_exact(void **state)
{
    (void)state;
    const char *text = "objectives:\n"
                       "  - {id: F1, title: \"=1+2\", function: qa, owner: \"=cmd|calc\", "
                       "description: \"@SUM(A1)\", evaluation_method: \"+x\", escalate_to: \"-y\"}\n";
    ismo_register_t *r = load_text("f.yaml", text, ISMO_OK);
    size_t len = 0;
    char *csv = export_of(r, ISMO_REGISTER_ISMO_CSV, &len);
    assert_non_null(strstr(csv, ",=cmd|calc,"));
    assert_null(strstr(csv, "'=cmd|calc"));
    ismo_register_t *back = load_text("f.csv", csv, ISMO_OK);
    assert_same_objectives(r, back);
    assert_string_equal(find(back, "F1")->owner, "=cmd|calc");
    assert_string_equal(find(back, "F1")->title, "=1+2");
    free(csv);
    ismo_register_destroy(&back);
    ismo_register_destroy(&r);
    roundtrip("f.yaml", text, strlen(text));
}

/* A metric catalogue (massyn/cyber-metrics layout) from in-test text: each
 * entry one objective with the measurable part filled in and the rest left
 * for the manager (the SMART gate lists it). */
static const char catalogue_text[] =
    "# a catalogue\n"
    "metrics:\n"
    "- metric_id: ac_access_revoking\n"                     /* line 3 */
    "  title: Access Control - Account Deactivation Timeliness\n"
    "  category: Access Control\n"
    "  type: control\n"
    "  description: Terminated accounts disabled in time.\n"
    "  how: Compare Okta deactivations with HR data.\n"
    "  slo:\n"
    "  - 0.98\n"
    "  - 0.99\n"
    "  weight: 0.9\n"
    "  enabled: true\n"
    "  references:\n"
    "    ISO 27001:2022:\n"
    "    - A.5.17\n"
    "    - A.5.18\n"
    "    CIS 8.1:\n"
    "    - '6.2'\n"
    "    - '7.1'\n"
    "- metric_id: dp_volume_encrypted\n"                    /* line 21 */
    "  title: Data Protection - Volume Encryption Coverage\n"
    "  slo: [0.9, 0.95]\n"
    "  enabled: false\n"                                     /* line 24 */
    "  colour: blue\n"                                       /* line 25 */
    "- metric_id: bad_slo\n"                                /* line 26 */
    "  title: SLO that is not a pair\n"
    "  category: Asset Management\n"
    "  slo: [0.9]\n";

static void test_catalogue_mapping(void **state)
{
    (void)state;
    ismo_register_t *r = load_text("cat.yaml", catalogue_text, ISMO_OK);
    assert_int_equal(ismo_register_format_of(r), ISMO_REGISTER_CATALOGUE);
    assert_int_equal(ismo_register_objective_count(r), 3); /* every entry, the disabled one too */

    const Ismo__V1__Objective *o = find(r, "MET-AC-ACCESS-REVOKING");
    assert_int_equal(ismo_register_objective_line(r, 0), 3);
    assert_string_equal(o->title, "Access Control - Account Deactivation Timeliness");
    assert_string_equal(o->description, "Terminated accounts disabled in time.\n\n"
                                        "How it is measured: Compare Okta deactivations with HR data.");
    assert_string_equal(o->function, "access-control");
    assert_string_equal(o->metric->name, "ac_access_revoking");
    assert_string_equal(o->metric->unit, "%");
    assert_int_equal(o->metric->direction, ISMO__V1__DIRECTION__HIGHER_IS_BETTER);
    assert_int_equal(o->metric->aggregation, ISMO__V1__AGGREGATION__LAST);
    assert_true(o->has_target);
    assert_true(o->target == 99.0); /* 0.99 x 100 without binary noise */
    assert_false(o->has_baseline);
    assert_null(o->owner);
    assert_non_null(strstr(o->evaluation_method, "at or above 99 %"));
    assert_non_null(strstr(o->evaluation_method, "red below 98 %"));
    assert_int_equal(o->n_control_refs, 2);
    assert_string_equal(o->control_refs[0], "A.5.17");
    assert_string_equal(o->control_refs[1], "A.5.18");
    assert_string_equal(find_note(o, "references.CIS 8.1")->text, "6.2, 7.1");
    assert_string_equal(find_note(o, "weight")->text, "0.9");
    assert_string_equal(find_note(o, "type")->text, "control");
    assert_null(find_note(o, "enabled"));

    /* the measurable part is there; owner, level, deadline, baseline and plan are not */
    char gaps[32][ISMO_SMART_GAP_BYTES];
    size_t n = ismo_smart_gaps(o, gaps, 32);
    int owner = 0, baseline = 0, deadline = 0, unit = 0, target = 0;
    for (size_t i = 0; i < n && i < 32; i++) {
        owner |= strcmp(gaps[i], "owner") == 0;
        baseline |= strstr(gaps[i], "baseline") != NULL;
        deadline |= strcmp(gaps[i], "deadline") == 0;
        unit |= strstr(gaps[i], "unit") != NULL;
        target |= strstr(gaps[i], "target") != NULL;
    }
    assert_true(owner && baseline && deadline);
    assert_false(unit || target);

    o = find(r, "MET-DP-VOLUME-ENCRYPTED"); /* disabled: imported with a note */
    assert_true(o->target == 95.0);
    assert_string_equal(o->function, "security-metrics"); /* no category */
    assert_string_equal(find_note(o, "enabled")->text, "false");
    assert_string_equal(find_note(o, "colour")->text, "blue");
    o = find(r, "MET-BAD-SLO");
    assert_false(o->has_target);
    assert_non_null(find_note(o, "slo"));
    assert_string_equal(o->function, "asset-management");

    /* warnings name line and key */
    int w_enabled = 0, w_colour = 0, w_slo = 0;
    for (size_t i = 0; i < ismo_register_warning_count(r); i++) {
        const char *w = ismo_register_warning(r, i);
        w_enabled |= strncmp(w, "cat.yaml:24: enabled: ", 22) == 0;
        w_colour |= strncmp(w, "cat.yaml:25: colour: ", 21) == 0;
        w_slo |= strncmp(w, "cat.yaml:29: slo: ", 18) == 0;
    }
    assert_true(w_enabled && w_colour && w_slo);
    ismo_register_destroy(&r);

    /* a YAML register named "metrics" without metric_id/slo is not a catalogue */
    r = load_text("m.yaml", "metrics:\n- name: x\n", ISMO_ERR_PARSE);
    assert_int_equal(ismo_register_format_of(r), ISMO_REGISTER_YAML);
    ismo_register_destroy(&r);
}

/* A duplicate metric_id refuses the catalogue as a whole, naming both lines. */
static void test_catalogue_duplicate(void **state)
{
    (void)state;
    const char *text = "metrics:\n"
                       "- metric_id: vm_coverage\n"
                       "  title: Agent coverage\n"
                       "  slo: [0.8, 0.95]\n"
                       "- metric_id: vm_other\n"
                       "  slo: [0.8, 0.95]\n"
                       "- metric_id: vm_coverage\n"
                       "  title: Database coverage\n"
                       "  slo: [0.8, 0.95]\n";
    ismo_register_t *r = load_text("dup.yaml", text, ISMO_ERR_PARSE);
    assert_int_equal(ismo_register_error_count(r), 1);
    assert_string_equal(ismo_register_error(r, 0),
                        "dup.yaml:7: duplicate metric_id 'vm_coverage' (first defined on line 2, "
                        "again on line 7)");
    ismo_register_destroy(&r);

    /* a metric_id that gives no valid objective id is an error too */
    r = load_text("bad.yaml", "metrics:\n- metric_id: 'a b'\n  slo: [0.1, 0.2]\n", ISMO_ERR_PARSE);
    assert_non_null(strstr(ismo_register_error(r, 0), "bad.yaml:2: metric_id 'a b'"));
    ismo_register_destroy(&r);
}

/* Reads ../shared/data/massyn_cyber_metrics_definitions.yaml (skipped cleanly
 * when absent): the real catalogue repeats vm_coverage on lines 465 and 495,
 * so it is refused naming both; the example copy (one duplicate dropped, see
 * its comment) loads 40 objectives. */
static void test_catalogue_shared_data(void **state)
{
    (void)state;
    ismo_register_t *r = ismo_register_new();
    assert_int_equal(ismo_register_load(r, ISMO_SOURCE_DIR "/examples/massyn-metrics.yaml"),
                     ISMO_OK);
    assert_int_equal(ismo_register_objective_count(r), 40);
    assert_int_equal(ismo_register_warning_count(r), 0);
    const Ismo__V1__Objective *o = find(r, "MET-VM-COVERAGE");
    assert_true(o->target == 95.0);
    assert_string_equal(o->control_refs[0], "A.8.8");
    ismo_register_destroy(&r);

    const char *path = ISMO_SOURCE_DIR "/../shared/data/massyn_cyber_metrics_definitions.yaml";
    if (access(path, R_OK) != 0) {
        print_message("skipped: %s not present\n", path);
        skip();
    }
    r = ismo_register_new();
    assert_int_equal(ismo_register_load(r, path), ISMO_ERR_PARSE);
    assert_int_equal(ismo_register_error_count(r), 1);
    const char *e = ismo_register_error(r, 0);
    assert_non_null(strstr(e, "duplicate metric_id 'vm_coverage' (first defined on line 465, "
                              "again on line 495)"));
    ismo_register_destroy(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_example),      cmocka_unit_test(test_csv_example),
        cmocka_unit_test(test_csv_shared_data),   cmocka_unit_test(test_yaml_broken),
        cmocka_unit_test(test_duplicate_ids),     cmocka_unit_test(test_bad_values_kept),
        cmocka_unit_test(test_function_from),     cmocka_unit_test(test_upptime_example),
        cmocka_unit_test(test_upptime_shared_data), cmocka_unit_test(test_csv_parse_rules),
        cmocka_unit_test(test_yaml_new_fields_bad), cmocka_unit_test(test_policy_register),
        cmocka_unit_test(test_risk_register),      cmocka_unit_test(test_export_roundtrip),
        cmocka_unit_test(test_export_order_cycle), cmocka_unit_test(test_ismo_csv_errors),
        cmocka_unit_test(test_lint),               cmocka_unit_test(test_context_export),
        cmocka_unit_test(test_out_of_range_kept),  cmocka_unit_test(test_import_cycles),
        cmocka_unit_test(test_warning_texts),      cmocka_unit_test(test_yaml_not_utf8),
        cmocka_unit_test(test_export_formula_text_exact), cmocka_unit_test(test_long_text_kept),
        cmocka_unit_test(test_catalogue_mapping), cmocka_unit_test(test_catalogue_duplicate),
        cmocka_unit_test(test_catalogue_shared_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
