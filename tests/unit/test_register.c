/* test_register: the register importer (client/cli/register.c) on the
 * example registers of the repository, on broken input, and (when present)
 * on the real public data in ../shared/data (skipped cleanly when absent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

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

static void test_yaml_example(void **state)
{
    (void)state;
    ismo_register_t *r = ismo_register_new();
    ismo_err err = ismo_register_load(r, ISMO_SOURCE_DIR "/examples/register.yaml");
    print_messages(r);
    assert_int_equal(err, ISMO_OK);
    assert_int_equal(ismo_register_format_of(r), ISMO_REGISTER_YAML);
    assert_int_equal(ismo_register_objective_count(r), 8);
    assert_int_equal(ismo_register_warning_count(r), 0);

    const Ismo__V1__Objective *o = find(r, "OBJ-PATCH-48H");
    assert_int_equal(o->level, ISMO__V1__LEVEL__TACTICAL);
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

    o = find(r, "OBJ-AVAIL");
    assert_int_equal(o->target_mode, ISMO__V1__TARGET_MODE__MAINTAIN);
    assert_true(o->metric->frequency_ms == ISMO_HOUR_MS);
    assert_true(o->metric->window_ms == 30 * ISMO_DAY_MS);
    assert_true(o->deadline_ms == t_of("2027-01-01", 0));
    o = find(r, "OBJ-CERT");
    assert_string_equal(o->metric->unit, "yes/no");
    o = find(r, "OBJ-PENDING-UPDATES");
    assert_int_equal(o->level, ISMO__V1__LEVEL__OPERATIONAL);
    o = find(r, "OBJ-AVAIL-CANVAS");
    assert_true(o->metric->window_ms == 0);
    assert_true(o->deadline_ms == t_of("2026-08-22", 0));

    const Ismo__V1__Sample *s = find_sample(r, "import:OBJ-PATCH-48H:2026-03-31");
    assert_string_equal(s->objective_id, "OBJ-PATCH-48H");
    assert_true(s->value == 96);
    assert_true(s->effective_ms == t_of("2026-03-31", 0));
    assert_string_equal(s->source, "import:register.yaml");
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

    o = find(r, "OBJ-2026-02");
    assert_int_equal(o->metric->direction, ISMO__V1__DIRECTION__HIGHER_IS_BETTER);
    assert_true(o->target == 100);
    assert_true(o->deadline_ms == t_of("2026-07-01", 0));

    /* "100% in 2026-Q3 and Q4": maintain from the start of Q3 to the end of Q4 */
    o = find(r, "OBJ-2026-04");
    assert_int_equal(o->target_mode, ISMO__V1__TARGET_MODE__MAINTAIN);
    assert_true(o->target == 100);
    assert_true(o->start_ms == t_of("2026-07-01", 0));
    assert_true(o->deadline_ms == t_of("2027-01-01", 0));
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

    /* "2h 45min (2025)" -> 2.75 h */
    o = find(r, "OBJ-2026-07");
    assert_string_equal(o->metric->unit, "h");
    assert_true(fabs(o->baseline - 2.75) < 1e-9);
    assert_true(o->target == 2);
    assert_int_equal(o->metric->direction, ISMO__V1__DIRECTION__LOWER_IS_BETTER);

    /* "No" -> "Yes by 2026-12-31" */
    o = find(r, "OBJ-2026-08");
    assert_string_equal(o->metric->unit, "yes/no");
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
    assert_int_equal(ismo_register_load_text(r, name, text, strlen(text)), want);
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
    print_message("%s\n", e);
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
    print_message("%s\n", e);
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
    print_message("%s\n", e);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_example),      cmocka_unit_test(test_csv_example),
        cmocka_unit_test(test_csv_shared_data),   cmocka_unit_test(test_yaml_broken),
        cmocka_unit_test(test_duplicate_ids),     cmocka_unit_test(test_bad_values_kept),
        cmocka_unit_test(test_function_from),     cmocka_unit_test(test_upptime_example),
        cmocka_unit_test(test_upptime_shared_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
