/* test_keystate.c — the key state file of a project (policyd's record of
 * its signing subkeys): strict parsing with file:line, round trip, the
 * usable-subkey rule and overlap durations. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "keystate.h"

static gpg_error_t
parse(const char *text, struct keystate *ks, char *err, size_t errlen)
{
	err[0] = '\0';
	return keystate_parse("k", text, strlen(text), ks, err, errlen);
}

static void
test_parse_ok(void **state)
{
	struct keystate ks;
	char err[256];

	(void)state;
	assert_int_equal(parse("# c\nversion 1\nprimary certify\n\nsubkey 100 100 0\n", &ks, err, sizeof(err)), 0);
	assert_int_equal(ks.nsubs, 1);
	assert_int_equal(ks.legacy, 0);
	assert_int_equal(ks.subs[0].created, 100);
	assert_int_equal(parse("version 1\nprimary legacy\nsubkey 100 150 900\nsubkey 200 200 0", &ks,
	                       err, sizeof(err)), 0);
	assert_int_equal(ks.legacy, 1);
	assert_int_equal(ks.nsubs, 2);
	assert_int_equal(ks.subs[0].expires, 900);
	assert_int_equal(keystate_current(&ks), 1);
}

static void
test_parse_errors(void **state)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ "version 1\nprimary certify\n", "k:3: incomplete" },
		{ "version 2\nprimary certify\nsubkey 1 1 0\n", "k:1: version" },
		{ "version 1\nversion 1\n", "k:2: version" },
		{ "version 1\nprimary sign\n", "k:2: primary: want" },
		{ "version 1\nprimary certify\nprimary certify\n", "k:3: primary: given twice" },
		{ "version 1\nprimary certify\nsubkey 1 1\n", "k:3: unknown line" },
		{ "version 1\nprimary certify\nsubkey 1 1 0 0\n", "k:3: unknown line" },
		{ "version 1\nprimary certify\nsubkey  1 1 0\n", "k:3: unknown line" },
		{ "version 1\nprimary certify\nsubkey 01 1 0\n", "k:3: subkey: want" },
		{ "version 1\nprimary certify\nsubkey 0 0 0\n", "k:3: subkey: want" },
		{ "version 1\nprimary certify\nsubkey 4294967296 1 0\n", "k:3: subkey: want" },
		{ "version 1\nprimary certify\nsubkey -1 1 0\n", "k:3: subkey: want" },
		{ "version 1\nprimary certify\nsubkey 5 4 0\n", "k:3: subkey: binding time" },
		{ "version 1\nprimary certify\nsubkey 5 5 5\n", "k:3: subkey: expires" },
		{ "version 1\nprimary certify\nsubkey 5 5 9\nsubkey 5 5 0\n", "k:4: subkey: not newer" },
		{ "version 1\nprimary certify\nsubkey 5 5 0\nsubkey 6 6 0\n", "k:4: subkey: the one before has no expiry" },
		{ "version 1\nprimary certify\nsubkey 5 5 9\n", "k:4: the current (last) subkey expires" },
		{ "version 1\nprimary certify\nkey 5 5 0\n", "k:3: unknown line" },
		{ "version 1 \nprimary certify\n", "k:1: unknown line" },
	};
	struct keystate ks;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(gpg_err_code(parse(cases[i].text, &ks, err, sizeof(err))), GPG_ERR_INV_VALUE);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s…\"", i, err, cases[i].want);
	}
}

static void
test_limits(void **state)
{
	char text[KEYSTATE_MAX_FILE * 2], err[256];
	struct keystate ks;
	size_t pos, i;

	(void)state;
	pos = (size_t)snprintf(text, sizeof(text), "version 1\nprimary certify\n");
	for (i = 0; i <= KEYSTATE_MAX_SUBKEYS; i++)
		pos += (size_t)snprintf(text + pos, sizeof(text) - pos, "subkey %zu %zu %zu\n", i + 1, i + 1, i + 2);
	assert_int_equal(gpg_err_code(keystate_parse("k", text, pos, &ks, err, sizeof(err))), GPG_ERR_INV_VALUE);
	assert_non_null(strstr(err, "more than 16 subkeys"));
	memset(text, '#', sizeof(text));
	assert_int_equal(gpg_err_code(keystate_parse("k", text, KEYSTATE_MAX_FILE + 1, &ks, err, sizeof(err))),
	                 GPG_ERR_TOO_LARGE);
	assert_int_equal(gpg_err_code(keystate_parse("k", text, KEYSTATE_MAX_LINE + 1, &ks, err, sizeof(err))),
	                 GPG_ERR_INV_VALUE);
	assert_non_null(strstr(err, "k:1: line longer"));
	assert_int_equal(gpg_err_code(keystate_parse("k", "version 1\0x\n", 11, &ks, err, sizeof(err))),
	                 GPG_ERR_INV_VALUE);
}

static void
test_roundtrip(void **state)
{
	struct keystate ks, back;
	char text[KEYSTATE_MAX_FILE + 1], err[256];
	size_t len;

	(void)state;
	memset(&ks, 0, sizeof(ks));
	ks.legacy = 1;
	ks.nsubs = 2;
	ks.subs[0] = (struct keystate_subkey){ 1000, 1000, 5000 };
	ks.subs[1] = (struct keystate_subkey){ 2000, 2000, 0 };
	assert_int_equal(keystate_format(&ks, "acme", text, sizeof(text), &len), 0);
	assert_int_equal(keystate_parse("k", text, len, &back, err, sizeof(err)), 0);
	assert_memory_equal(&ks, &back, sizeof(ks));
	assert_int_equal(keystate_format(&ks, "acme", text, 20, &len), GPG_ERR_BUFFER_TOO_SHORT);
	ks.subs[1].expires = 9000;   /* a current subkey that expires is refused */
	assert_int_equal(gpg_err_code(keystate_format(&ks, "acme", text, sizeof(text), &len)), GPG_ERR_INV_VALUE);
}

static void
test_usable(void **state)
{
	struct keystate ks;

	(void)state;
	memset(&ks, 0, sizeof(ks));
	ks.nsubs = 3;
	ks.subs[0] = (struct keystate_subkey){ 10, 10, 50 };
	ks.subs[1] = (struct keystate_subkey){ 20, 20, 100 };
	ks.subs[2] = (struct keystate_subkey){ 30, 30, 0 };
	assert_false(keystate_usable(&ks, 0, 60));
	assert_true(keystate_usable(&ks, 1, 60));
	assert_false(keystate_usable(&ks, 1, 100));
	assert_true(keystate_usable(&ks, 2, 1000000));
	assert_false(keystate_usable(&ks, 3, 0));
}

static void
test_label_path(void **state)
{
	char out[KEYSTATE_LABEL_MAX];

	(void)state;
	assert_int_equal(keystate_label("acme", 1732579200, out, sizeof(out)), 0);
	assert_string_equal(out, "acme:sign:1732579200");
	assert_int_equal(keystate_label("acme", 1, out, 6), GPG_ERR_ENAMETOOLONG);
	assert_int_equal(keystate_path("/h/certs/acme.pgp", out, sizeof(out)), 0);
	assert_string_equal(out, "/h/certs/acme.pgp.keys");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_usable),
		cmocka_unit_test(test_label_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
