/* test_log.c — log sink, levels and escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

static void
test_vis(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(log_vis("plain text", out, sizeof(out)), "plain text");
	assert_string_equal(log_vis("a\nb\\c\x7f\xc3\xa9", out, sizeof(out)),
	                    "a\\x0ab\\x5cc\\x7f\\xc3\\xa9");
	/* Truncation never splits an escape. */
	assert_string_equal(log_vis("ab\ncd", out, 6), "ab");
	assert_string_equal(log_vis("ab\ncd", out, 7), "ab\\x0a");
	assert_string_equal(log_vis("abcdef", out, 4), "abc");
	assert_string_equal(log_vis(NULL, out, sizeof(out)), "");
	assert_null(log_vis("x", NULL, 0));
}

static void
test_file(void **state)
{
	char dir[] = "/tmp/sglgXXXXXX";
	char path[64], buf[1024];
	struct stat st;
	FILE *fp;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.log", dir);
	assert_int_equal(log_init("/usr/bin/signet-test", path, LOG_LEVEL_INFO), 0);
	log_debug("hidden %d", 1);
	log_info("shown %d", 2);
	log_error_e(gpg_error(GPG_ERR_NO_SECKEY), "step %s", "sign");
	log_error_f("forged\nline");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	assert_null(strstr(buf, "hidden"));
	assert_non_null(strstr(buf, "signet-test["));
	assert_non_null(strstr(buf, "info: shown 2\n"));
	assert_non_null(strstr(buf, "error: step sign: No secret key\n"));
	assert_non_null(strstr(buf, "error: test_file: forged?line\n"));
	assert_null(strstr(buf, "/usr/bin"));

	/* A folder where the file should be: error, stderr stays the sink. */
	assert_int_not_equal(log_init("t", dir, LOG_LEVEL_INFO), 0);
	unlink(path);
	rmdir(dir);
	assert_int_equal(log_init("t", NULL, LOG_LEVEL_ERROR), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vis),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
