/* test_scdconf.c — signet-scd.conf: good files and every kind of bad one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../scdaemon-shim/scdconf.h"

#define SERIAL "D276000124010304FFFE1A2B3C4D0000"

static gpg_error_t
parse(const char *text, struct scd_conf **conf, char *err, size_t errlen)
{
	return scdconf_parse_buffer("t.conf", text, strlen(text), conf, err, errlen);
}

/* ERR for TEXT must start with EXPECT. */
static void
expect_error(const char *text, const char *expect)
{
	struct scd_conf *conf = NULL;
	char err[SCDCONF_ERR_MAX];

	assert_int_not_equal(parse(text, &conf, err, sizeof(err)), 0);
	assert_null(conf);
	if (strncmp(err, expect, strlen(expect)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, expect);
}

static void
test_good(void **state)
{
	struct scd_conf *conf = NULL;
	char err[SCDCONF_ERR_MAX];

	(void)state;
	assert_int_equal(parse("# written by signet setup\npolicyd_socket = /run/signet/policyd.sock\n"
	                       "serial = " SERIAL "\ndebug = yes\n", &conf, err, sizeof(err)), 0);
	assert_string_equal(conf->policyd_socket, "/run/signet/policyd.sock");
	assert_string_equal(conf->serial, SERIAL);
	assert_null(conf->log_file);
	assert_int_equal(conf->debug, 1);
	assert_int_equal(conf->desktop_notice, 0);   /* off unless asked for */
	scdconf_free(conf);
}

/* desktop_notice: opt-in, strictly yes or no, once. */
static void
test_desktop_notice(void **state)
{
	struct scd_conf *conf = NULL;
	char err[SCDCONF_ERR_MAX];

	(void)state;
	assert_int_equal(parse("policyd_socket = /s\nserial = " SERIAL "\ndesktop_notice = yes\n",
	                       &conf, err, sizeof(err)), 0);
	assert_int_equal(conf->desktop_notice, 1);
	assert_int_equal(conf->debug, 0);
	scdconf_free(conf);
	assert_int_equal(parse("policyd_socket = /s\nserial = " SERIAL "\ndesktop_notice = no\n",
	                       &conf, err, sizeof(err)), 0);
	assert_int_equal(conf->desktop_notice, 0);
	scdconf_free(conf);
	expect_error("policyd_socket = /s\nserial = " SERIAL "\ndesktop_notice = 1\n",
	             "t.conf:3: desktop_notice: expected yes or no: '1'");
	expect_error("policyd_socket = /s\nserial = " SERIAL "\ndesktop_notice = Yes\n", "t.conf:3:");
	expect_error("policyd_socket = /s\nserial = " SERIAL "\ndesktop_notice =\n",
	             "t.conf:3: desktop_notice: empty value");
	expect_error("desktop_notice = yes\npolicyd_socket = /s\nserial = " SERIAL "\ndesktop_notice = no\n",
	             "t.conf:4: desktop_notice: duplicate key");
	expect_error("policyd_socket = /s\nserial = " SERIAL "\ndesktop = yes\n",
	             "t.conf:3: desktop: unknown key");
}

/* The documented limit is 199 characters: exactly that is accepted. */
static void
test_line_limit(void **state)
{
	struct scd_conf *conf = NULL;
	char text[1024], path[256], err[SCDCONF_ERR_MAX];
	size_t fixed = strlen("log_file = ");

	(void)state;
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[SCDCONF_MAX_LINE - fixed] = '\0';
	snprintf(text, sizeof(text), "policyd_socket = /s\nserial = %s\nlog_file = %s\n", SERIAL, path);
	assert_int_equal(parse(text, &conf, err, sizeof(err)), 0);
	assert_int_equal(strlen(conf->log_file), SCDCONF_MAX_LINE - fixed);
	scdconf_free(conf);

	path[SCDCONF_MAX_LINE - fixed] = 'a';
	path[SCDCONF_MAX_LINE - fixed + 1] = '\0';
	snprintf(text, sizeof(text), "policyd_socket = /s\nserial = %s\nlog_file = %s\n", SERIAL, path);
	expect_error(text, "t.conf:3: line too long (max 199 characters)");
}

static void
test_bad(void **state)
{
	(void)state;
	expect_error("policyd_socket = /s\nserial = " SERIAL "\nsocket = /x\n", "t.conf:3:");
	expect_error("policyd_socket = relative/s\nserial = " SERIAL "\n", "t.conf:1:");
	expect_error("policyd_socket = /s\nserial = 1234\n", "t.conf:2:");
	expect_error("policyd_socket = /s\nserial = " SERIAL "\ndebug = maybe\n", "t.conf:3:");
	expect_error("policyd_socket = /s\npolicyd_socket = /t\nserial = " SERIAL "\n", "t.conf:2:");
	expect_error("[card]\npolicyd_socket = /s\nserial = " SERIAL "\n", "t.conf:1:");
	expect_error("policyd_socket = /s\nthis is not a key\nserial = " SERIAL "\n", "t.conf:2:");
	expect_error("serial = " SERIAL "\n", "t.conf");
	expect_error("policyd_socket = /s\n", "t.conf");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_desktop_notice),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
