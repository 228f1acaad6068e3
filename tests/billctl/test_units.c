/*
 * test_units: unit tests of billctl's money and time helpers
 * (client/billctl/money.c, timefmt.c): exact decimal amounts, durations,
 * UTC timestamps printed and read back, and the test clock's format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "money.h"
#include "timefmt.h"

static void
test_money_parse(void **state)
{
	static const struct {
		const char *in;
		int64_t minor;
	} ok[] = {
		{ "9.99", 999 },
		{ "10", 1000 },
		{ "9.9", 990 },
		{ "0.5", 50 },
		{ "0", 0 },
		{ "0.01", 1 },
		{ "007.10", 710 },
		/* Exact where a double is not: 0.1 + 0.2 style amounts. */
		{ "0.29", 29 },
		{ "1.15", 115 },
		{ "4.35", 435 },
		{ "92233720368547758.07", INT64_MAX },
	};
	static const char *const bad[] = { "", ".", ".5", "9.", "9.999", "-1",
		"+1", "1e3", "1,00", " 1", "1 ", "1.2.3", "0x10", "9..9",
		"92233720368547758.08", "99999999999999999999", "1.0a", "€1" };
	int64_t v;

	(void) state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -1;
		assert_int_equal(money_parse(ok[i].in, &v), 0);
		assert_int_equal(v, ok[i].minor);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (money_parse(bad[i], &v) == 0)
			fail_msg("money_parse accepted \"%s\"", bad[i]);
}

static void
test_money_format(void **state)
{
	char buf[MONEY_BUFSZ];

	(void) state;
	money_format(999, "EUR", buf, sizeof(buf));
	assert_string_equal(buf, "9.99 EUR");
	money_format(5, "USD", buf, sizeof(buf));
	assert_string_equal(buf, "0.05 USD");
	money_format(-1250, "GBP", buf, sizeof(buf));
	assert_string_equal(buf, "-12.50 GBP");
	money_format(0, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "0.00");
	money_format(100, "", buf, sizeof(buf));
	assert_string_equal(buf, "1.00");
	money_format(INT64_MAX, "EUR", buf, sizeof(buf));
	assert_string_equal(buf, "92233720368547758.07 EUR");
	money_format(INT64_MIN, "EUR", buf, sizeof(buf));
	assert_string_equal(buf, "-92233720368547758.08 EUR");
}

static void
test_duration(void **state)
{
	static const struct {
		const char *in;
		int ms;
	} ok[] = { { "5s", 5000 }, { "500ms", 500 }, { "1ms", 1 },
		{ "2m", 120000 }, { "1h", 3600000 }, { "24h", 86400000 },
		{ "10", 10000 }, { "86400s", 86400000 } };
	static const char *const bad[] = { "", "0s", "0", "s", "5x", "-5s",
		"1.5s", "25h", "86401s", "5 s", "99999999999999999999ms",
		"5sec" };
	int ms;

	(void) state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(timefmt_duration_ms(ok[i].in, &ms), 0);
		assert_int_equal(ms, ok[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (timefmt_duration_ms(bad[i], &ms) == 0)
			fail_msg(
			    "timefmt_duration_ms accepted \"%s\"", bad[i]);
}

static void
test_iso(void **state)
{
	char buf[TIMEFMT_BUFSZ];

	(void) state;
	timefmt_iso(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	timefmt_iso(1700000000123456, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20Z");
	timefmt_iso(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	timefmt_iso(951782400000000, buf, sizeof(buf)); /* leap day 2000 */
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
	timefmt_iso(253402300799000000, buf, sizeof(buf));
	assert_string_equal(buf, "9999-12-31T23:59:59Z");
	/* The extremes print something, without overflow. */
	timefmt_iso(INT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "294247-01-10T04:00:54Z");
	timefmt_iso(INT64_MIN, buf, sizeof(buf));
	assert_string_equal(buf, "-290308-12-21T19:59:05Z");
}

static void
test_parse_iso(void **state)
{
	static const struct {
		const char *in;
		int64_t us;
	} ok[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2024-01-31T23:00:00Z", 1706742000000000 },
		{ "2023-11-14T22:13:20Z", 1700000000000000 },
		{ "2000-02-29T00:00:00Z", 951782400000000 },
		{ "1969-12-31T23:59:59Z", -1000000 },
		{ "0001-01-01T00:00:00Z", -62135596800000000 },
		{ "9999-12-31T23:59:59Z", 253402300799000000 },
	};
	static const char *const bad[] = { "", "2024-01-31",
		"2024-01-31T23:00:00", "2024-01-31 23:00:00Z",
		"2024-01-31T23:00:00z", "2024-01-31T23:00:00+01:00",
		"2024-01-31T23:00:00.5Z", "2024-01-31T23:00:00ZZ",
		"2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
		"2024-01-01T24:00:00Z", "0000-01-01T00:00:00Z",
		"1706742000000000" };
	char buf[TIMEFMT_BUFSZ];
	int64_t us;

	(void) state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		us = 42;
		assert_int_equal(timefmt_parse_iso(ok[i].in, &us), 0);
		assert_int_equal(us, ok[i].us);
		/* What billctl prints, it reads back. */
		timefmt_iso(us, buf, sizeof(buf));
		assert_string_equal(buf, ok[i].in);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (timefmt_parse_iso(bad[i], &us) == 0)
			fail_msg("timefmt_parse_iso accepted \"%s\"", bad[i]);
}

static void
test_wall(void **state)
{
	static const char *const ok[] = { "2024-01-31 00:00:00",
		"2024-02-29 23:59:59", "2000-02-29 12:00:00",
		"0001-01-01 00:00:00" };
	static const char *const bad[] = { "", "2024-01-31",
		"2024-01-31T00:00:00", "2024-13-01 00:00:00",
		"2024-00-01 00:00:00", "2024-04-31 00:00:00",
		"2023-02-29 00:00:00", "1900-02-29 00:00:00",
		"2024-01-01 24:00:00", "2024-01-01 00:60:00",
		"2024-01-01 00:00:60", "2024-1-01 00:00:00",
		"2024-01-01 00:00:00 ", "0000-01-01 00:00:00",
		"2024-01-01 0a:00:00" };

	(void) state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(timefmt_wall_valid(ok[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (timefmt_wall_valid(bad[i]))
			fail_msg("timefmt_wall_valid accepted \"%s\"", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_money_parse),
		cmocka_unit_test(test_money_format),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_parse_iso),
		cmocka_unit_test(test_wall),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
