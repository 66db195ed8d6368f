/* test_config: the typed settings table of server/config.h: defaults,
 * command-line options, bounds, unknown keys, a YAML file, and precedence
 * (the command line wins over the file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ismo_log.h"
#include "ismo_time.h"
#include "ismo_transport.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static ismo_err parse(ismo_config *cfg, int argc, char **argv, char *why, size_t why_len)
{
    ismo_config_defaults(cfg);
    why[0] = '\0';
    return ismo_config_parse_args(cfg, argc, argv, why, why_len);
}

/* Write text to a fresh temporary file; path receives its name. */
static void write_file(char *path, size_t len, const char *text)
{
    snprintf(path, len, "/tmp/ismo-test-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_defaults(void **state)
{
    (void)state;
    ismo_config c;
    memset(&c, 0x5a, sizeof c);
    ismo_config_defaults(&c);
    assert_int_equal(c.tick_ms, 1000);
    assert_int_equal(c.n_reminder_offsets, 3);
    assert_int_equal(c.reminder_offsets_ms[0], 30 * ISMO_DAY_MS);
    assert_int_equal(c.reminder_offsets_ms[1], 7 * ISMO_DAY_MS);
    assert_int_equal(c.reminder_offsets_ms[2], 1 * ISMO_DAY_MS);
    assert_true(fabs(c.at_risk_margin - 0.10) < 1e-12);
    assert_int_equal(c.max_frame_bytes, 4 * 1024 * 1024);
    assert_int_equal(c.max_batch, 10000);
    assert_int_equal(c.map_size_bytes, INT64_C(64) << 20);
    assert_int_equal(c.map_max_bytes, INT64_C(16) << 30);
    assert_int_equal(c.pub_hwm, 100000);
    assert_int_equal(c.log_level, ISMO_LOG_INFO);
    assert_int_equal(c.no_sync, 0);
    assert_int_equal(c.clock_offset_ms, 0);
    assert_string_equal(c.data_dir, "./ismod-data");
    assert_string_equal(c.endpoint, ISMO_DEFAULT_ENDPOINT);
    assert_string_equal(c.pub_endpoint, ISMO_DEFAULT_PUB_ENDPOINT);
    assert_int_equal(c.overdue_repeat_ms, 7 * ISMO_DAY_MS);
    assert_string_equal(c.display_tz, "UTC");
    assert_null(c.now_fn); /* the clock hook is for in-process tests only */
}

static void test_no_args_keeps_defaults(void **state)
{
    (void)state;
    ismo_config c;
    char why[256];
    char *argv[] = {"ismod"};
    assert_int_equal(parse(&c, ARGC(argv), argv, why, sizeof why), ISMO_OK);
    assert_int_equal(c.tick_ms, 1000);
}

static void test_tick_ms(void **state)
{
    (void)state;
    ismo_config c;
    char why[256];
    char *a1[] = {"ismod", "--tick-ms", "500"};
    assert_int_equal(parse(&c, ARGC(a1), a1, why, sizeof why), ISMO_OK);
    assert_int_equal(c.tick_ms, 500);
    char *a2[] = {"ismod", "--tick-ms=250"};
    assert_int_equal(parse(&c, ARGC(a2), a2, why, sizeof why), ISMO_OK);
    assert_int_equal(c.tick_ms, 250);
    char *a3[] = {"ismod", "--tick-ms", "2s"};
    assert_int_equal(parse(&c, ARGC(a3), a3, why, sizeof why), ISMO_OK);
    assert_int_equal(c.tick_ms, 2000);
    char *a4[] = {"ismod", "--tick_ms", "10"}; /* the YAML spelling works too; 10 = minimum */
    assert_int_equal(parse(&c, ARGC(a4), a4, why, sizeof why), ISMO_OK);
    assert_int_equal(c.tick_ms, 10);
}

static void test_reminder_offsets(void **state)
{
    (void)state;
    ismo_config c;
    char why[256];
    char *a[] = {"ismod", "--reminder-offsets", "14d,2d"};
    assert_int_equal(parse(&c, ARGC(a), a, why, sizeof why), ISMO_OK);
    assert_int_equal(c.n_reminder_offsets, 2);
    assert_int_equal(c.reminder_offsets_ms[0], 14 * ISMO_DAY_MS);
    assert_int_equal(c.reminder_offsets_ms[1], 2 * ISMO_DAY_MS);
    char *b[] = {"ismod", "--reminder-offsets", "48h, 90m"};
    assert_int_equal(parse(&c, ARGC(b), b, why, sizeof why), ISMO_OK);
    assert_int_equal(c.n_reminder_offsets, 2);
    assert_int_equal(c.reminder_offsets_ms[0], 48 * ISMO_HOUR_MS);
    assert_int_equal(c.reminder_offsets_ms[1], 90 * ISMO_MINUTE_MS);
}

static void test_other_typed_values(void **state)
{
    (void)state;
    ismo_config c;
    char why[256];
    char *a[] = {"ismod",          "--max-frame-bytes", "8MiB",     "--at-risk-margin", "0.25",
                 "--log-level",    "debug",             "--no-sync", "--data-dir",       "/tmp/x",
                 "--clock-offset-ms", "-1h"};
    assert_int_equal(parse(&c, ARGC(a), a, why, sizeof why), ISMO_OK);
    assert_int_equal(c.max_frame_bytes, 8 * 1024 * 1024);
    assert_true(fabs(c.at_risk_margin - 0.25) < 1e-12);
    assert_int_equal(c.log_level, ISMO_LOG_DEBUG);
    assert_int_equal(c.no_sync, 1);
    assert_string_equal(c.data_dir, "/tmp/x");
    assert_int_equal(c.clock_offset_ms, -ISMO_HOUR_MS);
}

/* Each rejected option: ISMO_ERR_INVALID and a message naming the key. */
typedef struct bad_opt {
    const char *opt, *value, *key_in_message;
} bad_opt;

static void test_invalid_options(void **state)
{
    (void)state;
    static const bad_opt bad[] = {
        {"--tick-ms", "5", "tick_ms"},                  /* below 10 ms */
        {"--tick-ms", "2h", "tick_ms"},                 /* above 1 h */
        {"--tick-ms", "-500", "tick_ms"},
        {"--tick-ms", "soon", "tick_ms"},
        {"--at-risk-margin", "1.5", "at_risk_margin"},
        {"--at-risk-margin", "-0.1", "at_risk_margin"},
        {"--at-risk-margin", "nan", "at_risk_margin"},
        {"--max-batch", "0", "max_batch"},
        {"--max-batch", "2000000", "max_batch"},
        {"--max-frame-bytes", "100", "max_frame_bytes"},
        {"--map-size-bytes", "1k", "map_size_bytes"},
        {"--reminder-offsets", "0d", "reminder_offsets"},
        {"--reminder-offsets", "7d,soon", "reminder_offsets"},
        {"--reminder-offsets", "-7d", "reminder_offsets"},
        {"--log-level", "loud", "log_level"},
        {"--no-sync", "maybe", "no_sync"},
        {"--bogus-option", "1", "bogus"},
        {"--tickms", "500", "tickms"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ismo_config c;
        char why[256];
        char *argv[] = {"ismod", (char *)bad[i].opt, (char *)bad[i].value};
        ismo_err err = parse(&c, ARGC(argv), argv, why, sizeof why);
        if (err != ISMO_ERR_INVALID || !strstr(why, bad[i].key_in_message)) {
            fail_msg("%s %s: err %d (%s), why '%s'", bad[i].opt, bad[i].value, (int)err,
                     ismo_strerror(err), why);
        }
    }
}

static void test_missing_value_and_positional(void **state)
{
    (void)state;
    ismo_config c;
    char why[256];
    char *a[] = {"ismod", "--tick-ms"};
    assert_int_equal(parse(&c, ARGC(a), a, why, sizeof why), ISMO_ERR_INVALID);
    assert_non_null(strstr(why, "tick-ms"));
    char *b[] = {"ismod", "stray"};
    assert_int_equal(parse(&c, ARGC(b), b, why, sizeof why), ISMO_ERR_INVALID);
    assert_non_null(strstr(why, "stray"));
}

/* An integer setting given a fraction is a bad value, not silently truncated. */
static void test_int_rejects_fraction(void **state)
{
    (void)state;
    ismo_config c;
    char why[256];
    char *a[] = {"ismod", "--max-batch", "1.5"};
    ismo_err err = parse(&c, ARGC(a), a, why, sizeof why);
    if (err != ISMO_ERR_INVALID) {
        fail_msg("--max-batch 1.5 accepted as %lld", (long long)c.max_batch);
    }
}

static void test_set_each_default(void **state)
{
    (void)state;
    /* every documented default goes back through ismo_config_set */
    static const char *kv[][2] = {
        {"data_dir", "./ismod-data"}, {"endpoint", ISMO_DEFAULT_ENDPOINT},
        {"pub_endpoint", ISMO_DEFAULT_PUB_ENDPOINT}, {"tick_ms", "1s"},
        {"reminder_offsets", "30d,7d,1d"}, {"max_frame_bytes", "4194304"},
        {"max_batch", "10000"}, {"map_size_bytes", "67108864"},
        {"map_max_bytes", "17179869184"}, {"at_risk_margin", "0.10"},
        {"pub_hwm", "100000"}, {"log_level", "info"}, {"no_sync", "false"},
        {"clock_offset_ms", "0"}, {"overdue_repeat_ms", "7d"}, {"display_tz", "UTC"},
    };
    ismo_config c;
    ismo_config_defaults(&c);
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        char why[256] = "";
        if (ismo_config_set(&c, kv[i][0], kv[i][1], why, sizeof why) != ISMO_OK) {
            fail_msg("default %s=%s refused: %s", kv[i][0], kv[i][1], why);
        }
    }
}

static const char *yaml_ok = "# ismod settings\n"
                             "tick_ms: 250\n"
                             "reminder_offsets: 14d, 2d\n"
                             "at_risk_margin: 0.2\n"
                             "data_dir: /var/lib/ismod\n";

static void test_yaml_file(void **state)
{
    (void)state;
    char path[64], why[512] = "";
    write_file(path, sizeof path, yaml_ok);
    ismo_config c;
    ismo_config_defaults(&c);
    ismo_err err = ismo_config_load_file(&c, path, why, sizeof why);
    unlink(path);
    assert_int_equal(err, ISMO_OK);
    assert_int_equal(c.tick_ms, 250);
    assert_int_equal(c.n_reminder_offsets, 2);
    assert_int_equal(c.reminder_offsets_ms[0], 14 * ISMO_DAY_MS);
    assert_int_equal(c.reminder_offsets_ms[1], 2 * ISMO_DAY_MS);
    assert_true(fabs(c.at_risk_margin - 0.2) < 1e-12);
    assert_string_equal(c.data_dir, "/var/lib/ismod");
    assert_int_equal(c.max_batch, 10000); /* untouched keys keep their defaults */
}

static void test_yaml_unknown_key_names_line(void **state)
{
    (void)state;
    char path[64], why[512] = "";
    write_file(path, sizeof path, "tick_ms: 250\n# comment\ncolour: blue\nmax_batch: 5\n");
    ismo_config c;
    ismo_config_defaults(&c);
    ismo_err err = ismo_config_load_file(&c, path, why, sizeof why);
    unlink(path);
    assert_int_not_equal(err, ISMO_OK);
    char want[96];
    snprintf(want, sizeof want, "%s:3:", path);
    if (!strstr(why, want) || !strstr(why, "colour")) {
        fail_msg("why '%s' should name %s and the key 'colour'", why, want);
    }
}

static void test_yaml_bad_value_and_shape(void **state)
{
    (void)state;
    char path[64], why[512] = "";
    ismo_config c;
    write_file(path, sizeof path, "tick_ms: 250\nat_risk_margin: 7\n");
    ismo_config_defaults(&c);
    assert_int_equal(ismo_config_load_file(&c, path, why, sizeof why), ISMO_ERR_INVALID);
    unlink(path);
    assert_non_null(strstr(why, ":2:"));
    assert_non_null(strstr(why, "at_risk_margin"));

    write_file(path, sizeof path, "tick_ms:\n  nested: 1\n");
    ismo_config_defaults(&c);
    assert_int_not_equal(ismo_config_load_file(&c, path, why, sizeof why), ISMO_OK);
    unlink(path);

    write_file(path, sizeof path, "tick_ms: [unclosed\n");
    ismo_config_defaults(&c);
    assert_int_equal(ismo_config_load_file(&c, path, why, sizeof why), ISMO_ERR_PARSE);
    unlink(path);

    ismo_config_defaults(&c);
    assert_int_equal(ismo_config_load_file(&c, "/nonexistent/ismod.yaml", why, sizeof why), ISMO_ERR_IO);
    assert_non_null(strstr(why, "/nonexistent/ismod.yaml"));
}

static void test_command_line_wins(void **state)
{
    (void)state;
    char path[64], why[512] = "";
    write_file(path, sizeof path, yaml_ok);
    ismo_config c;
    /* option before --config */
    char *a[] = {"ismod", "--tick-ms", "700", "--config", path};
    ismo_err e1 = parse(&c, ARGC(a), a, why, sizeof why);
    int64_t tick1 = c.tick_ms;
    double margin1 = c.at_risk_margin;
    /* option after --config */
    char *b[] = {"ismod", "--config", path, "--tick-ms", "700"};
    ismo_err e2 = parse(&c, ARGC(b), b, why, sizeof why);
    int64_t tick2 = c.tick_ms;
    size_t noff2 = c.n_reminder_offsets;
    unlink(path);
    assert_int_equal(e1, ISMO_OK);
    assert_int_equal(tick1, 700);
    assert_true(fabs(margin1 - 0.2) < 1e-12); /* from the file */
    assert_int_equal(e2, ISMO_OK);
    assert_int_equal(tick2, 700);
    assert_int_equal(noff2, 2);
}

/* "--config=FILE" is the same option as "--config FILE". */
static void test_config_equals_form(void **state)
{
    (void)state;
    char path[64], why[512] = "";
    write_file(path, sizeof path, yaml_ok);
    char opt[96];
    snprintf(opt, sizeof opt, "--config=%s", path);
    ismo_config c;
    char *a[] = {"ismod", opt};
    ismo_err err = parse(&c, ARGC(a), a, why, sizeof why);
    unlink(path);
    assert_int_equal(err, ISMO_OK);
    if (c.tick_ms != 250) {
        fail_msg("--config=FILE ignored: tick_ms %lld, file says 250", (long long)c.tick_ms);
    }
}

/* overdue_repeat_ms: a duration, -1 (or 0) = never; nothing below -1. */
static void test_overdue_repeat(void **state)
{
    (void)state;
    ismo_config c;
    char why[256];
    char *a[] = {"ismod", "--overdue-repeat-ms", "2d"};
    assert_int_equal(parse(&c, ARGC(a), a, why, sizeof why), ISMO_OK);
    assert_int_equal(c.overdue_repeat_ms, 2 * ISMO_DAY_MS);
    char *b[] = {"ismod", "--overdue-repeat-ms", "-1"};
    assert_int_equal(parse(&c, ARGC(b), b, why, sizeof why), ISMO_OK);
    assert_int_equal(c.overdue_repeat_ms, -1);
    char *d[] = {"ismod", "--overdue-repeat-ms", "-2d"};
    assert_int_equal(parse(&c, ARGC(d), d, why, sizeof why), ISMO_ERR_INVALID);
    assert_non_null(strstr(why, "overdue_repeat_ms"));
    /* a floor of 1 h: a repeat every second would flood the event log */
    char *e[] = {"ismod", "--overdue-repeat-ms", "1s"};
    assert_int_equal(parse(&c, ARGC(e), e, why, sizeof why), ISMO_ERR_INVALID);
    assert_non_null(strstr(why, "at least 1h"));
    char *f[] = {"ismod", "--overdue-repeat-ms", "59min"};
    assert_int_equal(parse(&c, ARGC(f), f, why, sizeof why), ISMO_ERR_INVALID);
    char *g[] = {"ismod", "--overdue-repeat-ms", "1h"};
    assert_int_equal(parse(&c, ARGC(g), g, why, sizeof why), ISMO_OK);
    assert_int_equal(c.overdue_repeat_ms, 3600000);
    char *h[] = {"ismod", "--overdue-repeat-ms", "0"};
    assert_int_equal(parse(&c, ARGC(h), h, why, sizeof why), ISMO_OK);
    assert_int_equal(c.overdue_repeat_ms, 0);
}

/* A fraction out of range names the allowed range; a non-number is invalid. */
static void test_fraction_range_message(void **state)
{
    (void)state;
    ismo_config c;
    char why[256];
    char *a[] = {"ismod", "--hysteresis", "2"};
    assert_int_equal(parse(&c, ARGC(a), a, why, sizeof why), ISMO_ERR_INVALID);
    assert_non_null(strstr(why, "hysteresis"));
    assert_non_null(strstr(why, "out of range"));
    assert_non_null(strstr(why, "from 0 to 1"));
    char *b[] = {"ismod", "--at-risk-margin", "-0.5"};
    assert_int_equal(parse(&c, ARGC(b), b, why, sizeof why), ISMO_ERR_INVALID);
    assert_non_null(strstr(why, "from 0 to 1"));
    char *d[] = {"ismod", "--hysteresis", "abc"};
    assert_int_equal(parse(&c, ARGC(d), d, why, sizeof why), ISMO_ERR_INVALID);
    assert_non_null(strstr(why, "invalid value"));
    char *e[] = {"ismod", "--hysteresis", "0.05"};
    assert_int_equal(parse(&c, ARGC(e), e, why, sizeof why), ISMO_OK);
}

/* display_tz: a zone of the tz database, validated against tzdata. */
static void test_display_tz(void **state)
{
    (void)state;
    ismo_config c;
    char why[256];
    char *a[] = {"ismod", "--display-tz", "Europe/Berlin"};
    assert_int_equal(parse(&c, ARGC(a), a, why, sizeof why), ISMO_OK);
    assert_string_equal(c.display_tz, "Europe/Berlin");
    static const char *bad[] = {"Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "Europe/Berlin;rm",
                                "", "Europe"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *b[] = {"ismod", "--display-tz", (char *)bad[i]};
        ismo_config_defaults(&c);
        why[0] = 0;
        if (ismo_config_parse_args(&c, ARGC(b), b, why, sizeof why) != ISMO_ERR_INVALID) {
            fail_msg("display_tz '%s' accepted", bad[i]);
        }
        assert_non_null(strstr(why, "display_tz"));
        assert_string_equal(c.display_tz, "UTC"); /* a refused value changes nothing */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_no_args_keeps_defaults),
        cmocka_unit_test(test_tick_ms),
        cmocka_unit_test(test_reminder_offsets),
        cmocka_unit_test(test_other_typed_values),
        cmocka_unit_test(test_invalid_options),
        cmocka_unit_test(test_missing_value_and_positional),
        cmocka_unit_test(test_int_rejects_fraction),
        cmocka_unit_test(test_set_each_default),
        cmocka_unit_test(test_yaml_file),
        cmocka_unit_test(test_yaml_unknown_key_names_line),
        cmocka_unit_test(test_yaml_bad_value_and_shape),
        cmocka_unit_test(test_command_line_wins),
        cmocka_unit_test(test_config_equals_form),
        cmocka_unit_test(test_overdue_repeat),
        cmocka_unit_test(test_fraction_range_message),
        cmocka_unit_test(test_display_tz),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
