/* test_tsaserial.c — the TSA serial store: numbers go up, a reopened store
 * continues above every number handed out before (also without a clean
 * close, as after kill -9), and a damaged store is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../tsa/tsa.h"

static char dir[] = "/tmp/tsaserXXXXXX";
static char path[64];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/serial", dir);
	return 0;
}

static int
teardown(void **state)
{
	char tmp[80];

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(path);
	unlink(tmp);
	rmdir(dir);
	return 0;
}

static void
test_restart(void **state)
{
	struct tsa_serial *s = NULL, *crashed = NULL;
	char err[TSA_MAX_ERR];
	uint64_t a = 0, b = 0, last = 0;
	int i;

	(void)state;
	unlink(path);
	assert_int_equal(tsa_serial_open(path, &s, err, sizeof(err)), 0);
	assert_int_equal(tsa_serial_next(s, &a), 0);
	assert_int_equal(a, 1);
	/* Past a block boundary. */
	for (i = 0; i < 3000; i++) {
		assert_int_equal(tsa_serial_next(s, &b), 0);
		assert_true(b > a);
		a = b;
	}
	last = a;
	/* Reopened while the first is still open, as after a crash (close
	 * writes nothing; it only frees). */
	crashed = s;
	s = NULL;
	assert_int_equal(tsa_serial_open(path, &s, err, sizeof(err)), 0);
	assert_int_equal(tsa_serial_next(s, &b), 0);
	assert_true(b > last);
	tsa_serial_close(s);
	s = NULL;
	assert_int_equal(tsa_serial_open(path, &s, err, sizeof(err)), 0);
	assert_int_equal(tsa_serial_next(s, &a), 0);
	assert_true(a > b);
	tsa_serial_close(s);
	tsa_serial_close(crashed);
}

static void
test_damaged(void **state)
{
	struct tsa_serial *s = NULL;
	char err[TSA_MAX_ERR];
	FILE *f;

	(void)state;
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a number\n", f);
	fclose(f);
	assert_int_not_equal(tsa_serial_open(path, &s, err, sizeof(err)), 0);
	assert_null(s);
	assert_non_null(strstr(err, "high-water mark"));
	unlink(path);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_not_equal(tsa_serial_open(path, &s, err, sizeof(err)), 0);
	assert_null(s);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_damaged),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
