/* test_hours.c — policyd/hours.c: inside a window or not, and when the
 * next one opens, in Europe/Berlin and America/New_York across both
 * daylight-saving changes of 2026, windows past midnight, and window
 * starts that do not exist or happen twice on a change day.
 *
 * 2026 changes: Berlin 29 Mar 01:00 UTC (02:00 → 03:00) and 25 Oct 01:00
 * UTC (03:00 → 02:00); New York 8 Mar 07:00 UTC (02:00 → 03:00) and
 * 1 Nov 06:00 UTC (02:00 → 01:00). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "config-policy.h"
#include "../../policyd/hours.h"

static time_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm);
}

static struct hours
hours_of(const char *text)
{
	struct hours h;
	char reason[256] = "";

	memset(&h, 0, sizeof(h));
	if (config_parse_hours(text, &h, reason, sizeof(reason)) != 0)
		fail_msg("%s: %s", text, reason);
	return h;
}

/* NOW is outside and the next window opens at WANT (0: none). */
static void
expect_closed(const struct hours *h, time_t now, time_t want)
{
	time_t next = 12345;

	assert_int_equal(hours_allow(h, now, &next), 0);
	if (next != want)
		print_error("now %ld: next_open %ld, want %ld (off by %ld s)\n", (long)now, (long)next,
		            (long)want, (long)(next - want));
	assert_int_equal(next, want);
}

static void
expect_open(const struct hours *h, time_t now)
{
	time_t next = 12345;

	assert_int_equal(hours_allow(h, now, &next), 1);
	assert_int_equal(next, 0);
}

static void
test_berlin_office(void **state)
{
	struct hours h = hours_of("Mon-Fri 06:00-20:00 Europe/Berlin");

	(void)state;
	/* Winter: CET = UTC+1.  Mon 5 Jan 2026. */
	expect_open(&h, utc(2026, 1, 5, 5, 0));
	expect_closed(&h, utc(2026, 1, 5, 4, 59), utc(2026, 1, 5, 5, 0));
	expect_open(&h, utc(2026, 1, 5, 18, 59));
	expect_closed(&h, utc(2026, 1, 5, 19, 0), utc(2026, 1, 6, 5, 0));
	/* Friday evening: Monday morning. */
	expect_closed(&h, utc(2026, 1, 9, 19, 0), utc(2026, 1, 12, 5, 0));
	/* Summer: CEST = UTC+2.  Mon 6 Jul 2026. */
	expect_open(&h, utc(2026, 7, 6, 4, 0));
	expect_closed(&h, utc(2026, 7, 6, 3, 59), utc(2026, 7, 6, 4, 0));
	expect_closed(&h, utc(2026, 7, 6, 18, 0), utc(2026, 7, 7, 4, 0));
}

static void
test_berlin_spring(void **state)
{
	struct hours all = hours_of("Mon-Sun 06:00-20:00 Europe/Berlin");
	struct hours gap = hours_of("Sun 02:30-04:00 Europe/Berlin");

	(void)state;
	/* Sat 28 Mar 20:30 CET: Sunday 06:00 is already CEST (04:00 UTC). */
	expect_closed(&all, utc(2026, 3, 28, 19, 30), utc(2026, 3, 29, 4, 0));
	/* 02:30 does not exist on 29 Mar: the window opens at the jump
	 * (01:00 UTC, when 01:59:59 CET becomes 03:00 CEST). */
	expect_closed(&gap, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0));
	expect_open(&gap, utc(2026, 3, 29, 1, 0));
	expect_open(&gap, utc(2026, 3, 29, 1, 59));     /* 03:59 CEST */
	expect_closed(&gap, utc(2026, 3, 29, 2, 0), utc(2026, 4, 5, 0, 30)); /* next Sun 02:30 CEST */
}

static void
test_berlin_autumn(void **state)
{
	struct hours office = hours_of("Mon-Fri 06:00-20:00 Europe/Berlin");
	struct hours twice = hours_of("Sun 02:30-02:45 Europe/Berlin");

	(void)state;
	/* Fri 23 Oct 20:30 CEST: Monday 06:00 is CET again (05:00 UTC). */
	expect_closed(&office, utc(2026, 10, 23, 18, 30), utc(2026, 10, 26, 5, 0));
	/* 02:30 happens twice on 25 Oct: at 00:30 UTC (CEST) and 01:30 UTC (CET). */
	expect_closed(&twice, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 0, 30));
	expect_open(&twice, utc(2026, 10, 25, 0, 40));
	expect_closed(&twice, utc(2026, 10, 25, 0, 50), utc(2026, 10, 25, 1, 30));
	expect_open(&twice, utc(2026, 10, 25, 1, 44));
	expect_closed(&twice, utc(2026, 10, 25, 1, 45), utc(2026, 11, 1, 1, 30));
}

static void
test_new_york(void **state)
{
	struct hours office = hours_of("Mon-Fri 09:00-17:00 America/New_York");
	struct hours gone = hours_of("Sun 02:00-02:30 America/New_York");

	(void)state;
	/* Fri 6 Mar 17:30 EST (UTC-5): Monday 09:00 EDT (UTC-4) = 13:00 UTC. */
	expect_closed(&office, utc(2026, 3, 6, 22, 30), utc(2026, 3, 9, 13, 0));
	expect_open(&office, utc(2026, 3, 9, 13, 0));
	/* Fri 30 Oct 17:30 EDT: Monday 2 Nov 09:00 EST = 14:00 UTC. */
	expect_closed(&office, utc(2026, 10, 30, 21, 30), utc(2026, 11, 2, 14, 0));
	expect_open(&office, utc(2026, 11, 2, 14, 0));
	expect_closed(&office, utc(2026, 11, 2, 13, 59), utc(2026, 11, 2, 14, 0));
	/* 02:00-02:30 does not exist on 8 Mar (02:00 → 03:00, already past
	 * its end): it next opens on 15 Mar, 02:00 EDT = 06:00 UTC. */
	expect_closed(&gone, utc(2026, 3, 8, 6, 0), utc(2026, 3, 15, 6, 0));
	/* On 1 Nov 01:00-02:00 happens twice, 02:00 once (EST, 07:00 UTC). */
	expect_closed(&gone, utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 7, 0));
}

static void
test_past_midnight(void **state)
{
	struct hours night = hours_of("Fri 22:00-02:00 UTC");
	struct hours sun = hours_of("Sun 22:00-06:00 UTC");
	struct hours berlin = hours_of("Sat 23:00-01:00 Europe/Berlin");

	(void)state;
	/* Fri 9 Jan 2026. */
	expect_open(&night, utc(2026, 1, 9, 22, 0));
	expect_open(&night, utc(2026, 1, 10, 1, 59));   /* Saturday, from Friday's window */
	expect_closed(&night, utc(2026, 1, 10, 2, 0), utc(2026, 1, 16, 22, 0));
	expect_closed(&night, utc(2026, 1, 8, 23, 0), utc(2026, 1, 9, 22, 0));  /* Thursday night: no */
	expect_open(&sun, utc(2026, 1, 12, 5, 0));      /* Monday, from Sunday's window */
	expect_closed(&sun, utc(2026, 1, 12, 6, 0), utc(2026, 1, 18, 22, 0));
	/* Berlin, Sat 28 Mar 23:30 CET: inside; the window ends Sun 01:00 CET. */
	expect_open(&berlin, utc(2026, 3, 28, 22, 30));
	expect_open(&berlin, utc(2026, 3, 28, 23, 59));
	expect_closed(&berlin, utc(2026, 3, 29, 0, 0), utc(2026, 4, 4, 21, 0));
	/* The whole day. */
	{
		struct hours all = hours_of("Mon-Sun 00:00-24:00 Europe/Berlin");
		expect_open(&all, utc(2026, 3, 29, 1, 0));
		expect_open(&all, utc(2026, 10, 25, 1, 30));
	}
}

static void
test_no_windows_and_never(void **state)
{
	struct hours none, never;
	time_t next = 7;

	(void)state;
	memset(&none, 0, sizeof(none));
	assert_int_equal(hours_allow(&none, utc(2026, 1, 1, 0, 0), &next), 1);
	assert_int_equal(next, 0);
	assert_int_equal(hours_allow(NULL, 0, NULL), 1);
	/* A window on no day (the parser never makes one): no next_open. */
	never = hours_of("Mon 09:00-10:00 UTC");
	never.w[0].days = 0;
	expect_closed(&never, utc(2026, 1, 1, 0, 0), 0);
	assert_int_equal(hours_allow(&never, utc(2026, 1, 1, 0, 0), NULL), 0);
}

static void
test_tz_restored(void **state)
{
	struct hours h = hours_of("Mon-Fri 09:00-17:00 America/New_York");
	time_t next;

	(void)state;
	assert_int_equal(setenv("TZ", "Asia/Tokyo", 1), 0);
	(void)hours_allow(&h, utc(2026, 1, 1, 0, 0), &next);
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
	assert_int_equal(unsetenv("TZ"), 0);
	(void)hours_allow(&h, utc(2026, 1, 1, 0, 0), &next);
	assert_null(getenv("TZ"));
}

/* The daemon's memo answers as hours_allow does, per policy and minute:
 * across a window's edge, across DST, for two policies at once, and with
 * more policies than slots. */
static void
test_memo(void **state)
{
	struct hours_memo m;
	struct hours office = hours_of("Mon-Fri 06:00-20:00 Europe/Berlin");
	struct hours ny = hours_of("Mon-Sun 09:00-17:00 America/New_York");
	struct hours many[HOURS_MEMO_SLOTS + 3];
	time_t t, t0 = utc(2026, 3, 27, 4, 50), a, b;
	char text[64];
	int i, k;

	(void)state;
	hours_memo_init(&m);
	for (i = 0; i < HOURS_MEMO_SLOTS + 3; i++) {
		snprintf(text, sizeof(text), "Mon-Sun %02d:00-%02d:30 UTC", i, i);
		many[i] = hours_of(text);
	}
	/* Every 7 s for 3 days around the spring change, twice per time. */
	for (t = t0; t < t0 + 3 * 86400; t += 7) {
		for (k = 0; k < 2; k++) {
			assert_int_equal(hours_allow_memo(&m, &office, t, &a), hours_allow(&office, t, &b));
			assert_int_equal(a, b);
			assert_int_equal(hours_allow_memo(&m, &ny, t, &a), hours_allow(&ny, t, &b));
			assert_int_equal(a, b);
		}
		if (t % 3600 < 7)
			for (i = 0; i < HOURS_MEMO_SLOTS + 3; i++) {
				assert_int_equal(hours_allow_memo(&m, &many[i], t, &a), hours_allow(&many[i], t, &b));
				assert_int_equal(a, b);
			}
	}
	pthread_mutex_destroy(&m.lock);
}

static void
test_format(void **state)
{
	struct hours h = hours_of("mon-fri 06:00-20:00 , Sat,Sun 09:00-12:00, Mon,Wed,Thu,Fri 22:00-02:00 Europe/Berlin");
	struct hours back;
	char text[HOURS_MAX_TEXT], when[HOURS_MAX_WHEN];

	(void)state;
	hours_format(&h, text, sizeof(text));
	assert_string_equal(text, "Mon-Fri 06:00-20:00, Sat,Sun 09:00-12:00, Mon,Wed-Fri 22:00-02:00 Europe/Berlin");
	back = hours_of(text);
	assert_memory_equal(&back, &h, sizeof(h));
	hours_format_time(&h, utc(2026, 1, 5, 5, 0), when, sizeof(when));
	assert_string_equal(when, "Mon 2026-01-05 06:00 Europe/Berlin");
	memset(&back, 0, sizeof(back));
	hours_format(&back, text, sizeof(text));
	assert_string_equal(text, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_berlin_office),
		cmocka_unit_test(test_berlin_spring),
		cmocka_unit_test(test_berlin_autumn),
		cmocka_unit_test(test_new_york),
		cmocka_unit_test(test_past_midnight),
		cmocka_unit_test(test_memo),
		cmocka_unit_test(test_no_windows_and_never),
		cmocka_unit_test(test_tz_restored),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
