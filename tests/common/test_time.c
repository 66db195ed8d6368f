/* test_time: common/ismo_time.h: parsing of UTC instants (dates, quarters,
 * months, date-times with Z or offsets, "@ms"), durations, and formatting
 * that parses back to the same value. Expected instants were computed
 * independently (Python datetime, UTC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ismo_time.h"

#define D2026_12_31 INT64_C(1798675200000)
#define D2027_01_01 INT64_C(1798761600000)

typedef struct time_case {
    const char *text;
    int end_of_period;
    int64_t want;
} time_case;

static void test_time_parse_valid(void **state)
{
    (void)state;
    static const time_case ok[] = {
        {"2026-12-31", 0, D2026_12_31},
        {"2026-12-31", 1, D2027_01_01},
        {"2026-Q4", 0, D2027_01_01},
        {"2026-Q4", 1, D2027_01_01},
        {"2026-q1", 0, INT64_C(1775001600000)},
        {"2026-12", 0, D2027_01_01},
        {"2026-12", 1, D2027_01_01},
        {"2026-02", 0, INT64_C(1772323200000)},
        {"2024-02-29", 0, INT64_C(1709164800000)},
        {"2024-02-29", 1, INT64_C(1709251200000)},
        {"1969-12-31", 0, -ISMO_DAY_MS},
        {"2026-12-31T23:59", 0, D2027_01_01 - ISMO_MINUTE_MS},
        {"2026-12-31T23:59", 1, D2027_01_01 - ISMO_MINUTE_MS}, /* date-times ignore end_of_period */
        {"2026-12-31T23:59:59", 0, D2027_01_01 - 1000},
        {"2026-12-31T23:59:59Z", 0, D2027_01_01 - 1000},
        {"2026-12-31T23:59:59.123Z", 0, D2027_01_01 - 877},
        {"2026-12-31T23:59:59.5Z", 0, D2027_01_01 - 500},
        {"2026-12-31 12:00Z", 0, D2026_12_31 + 12 * ISMO_HOUR_MS},
        {"2027-01-01T01:00+01:00", 0, D2027_01_01},
        {"2026-12-31T19:00:00-05:00", 0, D2027_01_01},
        {"2027-01-01T05:30+0530", 0, D2027_01_01},
        {"2026-12-31T23:00:00.000-01:00", 0, D2027_01_01},
        {"@1767225599000", 0, INT64_C(1767225599000)},
        {"@0", 0, 0},
        {"  2026-12-31", 0, D2026_12_31},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ms = 42;
        ismo_err err = ismo_time_parse(ok[i].text, ok[i].end_of_period, &ms);
        if (err != ISMO_OK || ms != ok[i].want) {
            fail_msg("'%s' (end %d): err %d, %lld, want %lld", ok[i].text, ok[i].end_of_period,
                     (int)err, (long long)ms, (long long)ok[i].want);
        }
    }
}

static void test_time_parse_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {
        "2026-13-01", "2026-02-30", "2025-02-29", "2026-00-10", "2026-04-31", "abc", "",
        "2026", "2026-", "2026-1-01", "2026-12-1", "2026-Q5", "2026-Q0", "2026-Q4x",
        "2026-12-31X", "2026-12-31T24:00", "2026-12-31T23:60", "2026-12-31T23", "2026-12-31T",
        "2026-12-31T23:59:59.", "2026-12-31T10:00+", "2026-12-31T10:00+1", "@", "@12x",
        "2026-12-31T10:00+99:99", /* not an offset */
        "2026-12-31T10:00Zjunk",
    };
    int wrong = 0; /* report every accepted string, then fail */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        ismo_err err = ismo_time_parse(bad[i], 0, &ms);
        if (err != ISMO_ERR_PARSE) {
            print_error("'%s' accepted as %lld (err %d)\n", bad[i], (long long)ms, (int)err);
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
    int64_t ms;
    assert_int_equal(ismo_time_parse(NULL, 0, &ms), ISMO_ERR_PARSE);
}

typedef struct dur_case {
    const char *text;
    int64_t want;
} dur_case;

static void test_duration_parse(void **state)
{
    (void)state;
    static const dur_case ok[] = {
        {"48h", 48 * ISMO_HOUR_MS},
        {"30d", 30 * ISMO_DAY_MS},
        {"2h45m", 2 * ISMO_HOUR_MS + 45 * ISMO_MINUTE_MS},
        {"1.5h", 90 * ISMO_MINUTE_MS},
        {"90s", 90 * ISMO_SECOND_MS},
        {"0", 0},
        {"250ms", 250},
        {"2w", 14 * ISMO_DAY_MS},
        {"1d12h", 36 * ISMO_HOUR_MS},
        {"5min", 5 * ISMO_MINUTE_MS},
        {"0s", 0},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ms = 42;
        ismo_err err = ismo_duration_parse(ok[i].text, &ms);
        if (err != ISMO_OK || ms != ok[i].want) {
            fail_msg("'%s': err %d, %lld, want %lld", ok[i].text, (int)err, (long long)ms,
                     (long long)ok[i].want);
        }
    }
    static const char *bad[] = {"", "5x", "-1h", "h", "5", "1h-", "nan", "nanh", "infh", "1h2",
                                "  ", "1.5.5h", "--1h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        ismo_err err = ismo_duration_parse(bad[i], &ms);
        if (err != ISMO_ERR_PARSE) {
            fail_msg("'%s' accepted as %lld (err %d)", bad[i], (long long)ms, (int)err);
        }
    }
    int64_t ms;
    assert_int_equal(ismo_duration_parse(NULL, &ms), ISMO_ERR_PARSE);
}

static void test_time_format(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(ismo_time_format_ms(D2027_01_01 - 877, buf, sizeof buf),
                        "2026-12-31T23:59:59.123Z");
    assert_string_equal(ismo_time_format_ms(-1, buf, sizeof buf), "1969-12-31T23:59:59.999Z");
    assert_string_equal(ismo_time_format_ms(-1000, buf, sizeof buf), "1969-12-31T23:59:59.000Z");
    assert_string_equal(ismo_time_format_ms(0, buf, sizeof buf), "-");
    assert_string_equal(ismo_date_format_ms(D2027_01_01 - 1, buf, sizeof buf), "2026-12-31");
    assert_string_equal(ismo_date_format_ms(D2027_01_01, buf, sizeof buf), "2027-01-01");
    assert_string_equal(ismo_date_format_ms(-1, buf, sizeof buf), "1969-12-31");
}

static void test_time_roundtrip(void **state)
{
    (void)state;
    char buf[32];
    unsigned checked = 0;
    /* a spread of instants, negative and positive, with odd milliseconds */
    for (int64_t ms = -INT64_C(2000000000000); ms < INT64_C(5000000000000);
         ms += INT64_C(7919) * 1000003) {
        if (ms == 0) {
            continue;
        }
        ismo_time_format_ms(ms, buf, sizeof buf);
        int64_t back = 0;
        if (ismo_time_parse(buf, 0, &back) != ISMO_OK || back != ms) {
            fail_msg("%lld -> '%s' -> %lld", (long long)ms, buf, (long long)back);
        }
        char date[16];
        ismo_date_format_ms(ms, date, sizeof date);
        int64_t day = 0;
        assert_int_equal(ismo_time_parse(date, 0, &day), ISMO_OK);
        assert_true(day <= ms && ms < day + ISMO_DAY_MS);
        checked++;
    }
    assert_true(checked > 800);
}

static void test_duration_format_roundtrip(void **state)
{
    (void)state;
    static const struct {
        int64_t ms;
        const char *text;
    } f[] = {
        {30 * ISMO_DAY_MS, "30d"},
        {48 * ISMO_HOUR_MS, "2d"},
        {47 * ISMO_HOUR_MS, "47h"},
        {2 * ISMO_HOUR_MS + 45 * ISMO_MINUTE_MS, "2h45m"},
        {90 * ISMO_MINUTE_MS, "1h30m"},
        {90 * ISMO_SECOND_MS, "90s"},
        {5 * ISMO_MINUTE_MS, "5m"},
        {250, "250ms"},
        {0, "0"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        assert_string_equal(ismo_duration_format_ms(f[i].ms, buf, sizeof buf), f[i].text);
        int64_t back = -1;
        assert_int_equal(ismo_duration_parse(buf, &back), ISMO_OK);
        assert_int_equal(back, f[i].ms);
    }
    for (int64_t ms = 1; ms < INT64_C(400) * ISMO_DAY_MS; ms = ms * 3 + 7) {
        ismo_duration_format_ms(ms, buf, sizeof buf);
        int64_t back = -1;
        if (ismo_duration_parse(buf, &back) != ISMO_OK || back != ms) {
            fail_msg("%lld -> '%s' -> %lld", (long long)ms, buf, (long long)back);
        }
    }
}

static void test_clocks(void **state)
{
    (void)state;
    int64_t now = ismo_now_ms();
    assert_true(now > INT64_C(1700000000000)); /* after 2023-11 */
    int64_t a = ismo_mono_ms();
    int64_t b = ismo_mono_ms();
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_parse_valid),
        cmocka_unit_test(test_time_parse_invalid),
        cmocka_unit_test(test_duration_parse),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_time_roundtrip),
        cmocka_unit_test(test_duration_format_roundtrip),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests_name("time", tests, NULL, NULL);
}
