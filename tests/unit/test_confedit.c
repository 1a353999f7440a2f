/* test_confedit.c — common/confedit.c: edits keep every other byte, and
 * what the editor would write reads back as written. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "confedit.h"

static const char start[] =
	"; signet.conf\n"
	"[policyd]\n"
	"socket = /s\n"
	"\n"
	"[project app]   ; the app\n"
	"key = pkcs11:token=t;object=app\n"
	"signers = user:alice   ; ask bob first\n"
	"# approvals later\n"
	"\n"
	"[project tool]\r\n"
	"signers: user:carol\r\n";

static struct confedit *
edit_of(const char *text)
{
	struct confedit *ce = NULL;

	assert_int_equal(confedit_new(text, strlen(text), &ce), 0);
	return ce;
}

static void
expect_text(const struct confedit *ce, const char *want)
{
	size_t len;
	const char *got = confedit_text(ce, &len);

	if (len != strlen(want) || memcmp(got, want, len) != 0)
		print_error("got:\n%s\nwant:\n%s\n", got, want);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
}

static void
test_replace_keeps_comment(void **state)
{
	struct confedit *ce = edit_of(start);
	char why[256];

	(void)state;
	assert_int_equal(confedit_set(ce, "app", "signers", "user:alice user:dave", why, sizeof(why)), 0);
	assert_int_equal(confedit_set(ce, "tool", "signers", "group:tools", why, sizeof(why)), 0);
	expect_text(ce,
		"; signet.conf\n"
		"[policyd]\n"
		"socket = /s\n"
		"\n"
		"[project app]   ; the app\n"
		"key = pkcs11:token=t;object=app\n"
		"signers = user:alice user:dave   ; ask bob first\n"
		"# approvals later\n"
		"\n"
		"[project tool]\r\n"
		"signers = group:tools\r\n");
	confedit_free(ce);
}

static void
test_add_and_remove(void **state)
{
	struct confedit *ce = edit_of(start);
	char why[256];

	(void)state;
	/* Added after the last key line of the section, before its comments. */
	assert_int_equal(confedit_set(ce, "app", "approvals", "2", why, sizeof(why)), 0);
	assert_int_equal(confedit_set(ce, "tool", "rate", "10/minute", why, sizeof(why)), 0);
	assert_int_equal(confedit_set(ce, "app", "key", NULL, why, sizeof(why)), 0);
	assert_int_equal(confedit_set(ce, "app", "hours", NULL, why, sizeof(why)), 0);   /* absent: no-op */
	expect_text(ce,
		"; signet.conf\n"
		"[policyd]\n"
		"socket = /s\n"
		"\n"
		"[project app]   ; the app\n"
		"signers = user:alice   ; ask bob first\n"
		"approvals = 2\n"
		"# approvals later\n"
		"\n"
		"[project tool]\r\n"
		"signers: user:carol\r\n"
		"rate = 10/minute\r\n");
	confedit_free(ce);

	/* No newline at the end of the file. */
	ce = edit_of("[project a]\nsigners = user:x");
	assert_int_equal(confedit_set(ce, "a", "approvals", "1", why, sizeof(why)), 0);
	expect_text(ce, "[project a]\nsigners = user:x\napprovals = 1\n");
	confedit_free(ce);
}

/* A daemon section: [policyd] gets its key, a project named "policyd"
 * is not it, and a missing section is named. */
static void
test_section(void **state)
{
	struct confedit *ce = edit_of("[project policyd]\nsigners = user:x\n[policyd]\nsocket = /s\n\n[tsa]\n");
	char why[256];

	(void)state;
	assert_int_equal(confedit_set_in(ce, "policyd", "tsa_url", "http://127.0.0.1:3161/", why, sizeof(why)), 0);
	expect_text(ce, "[project policyd]\nsigners = user:x\n[policyd]\nsocket = /s\ntsa_url = http://127.0.0.1:3161/\n"
	                "\n[tsa]\n");
	assert_int_equal(confedit_set_in(ce, "policyd", "tsa_url", "http://[::1]:3161/", why, sizeof(why)), 0);
	assert_int_equal(confedit_set_in(ce, "policyd", "socket", NULL, why, sizeof(why)), 0);
	expect_text(ce, "[project policyd]\nsigners = user:x\n[policyd]\ntsa_url = http://[::1]:3161/\n\n[tsa]\n");
	assert_int_equal(gpg_err_code(confedit_set_in(ce, "hsm", "module", "/m.so", why, sizeof(why))),
	                 GPG_ERR_NOT_FOUND);
	assert_string_equal(why, "no [hsm] section");
	assert_int_equal(gpg_err_code(confedit_set_in(ce, "a]b", "k", "v", why, sizeof(why))), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(confedit_set_in(ce, "policyd", "k", "v\nx = y", why, sizeof(why))),
	                 GPG_ERR_INV_VALUE);
	confedit_free(ce);
}

static void
test_add_project(void **state)
{
	static const char *const keys[] = { "algo", "signers" };
	static const char *const values[] = { "rsa3072", "user:alice" };
	static const char *const bad[] = { "Name ; x", "user:alice" };
	struct confedit *ce = edit_of("[policyd]\nsocket = /s");
	char why[256];

	(void)state;
	assert_int_equal(confedit_add_project(ce, "new", keys, values, 2, why, sizeof(why)), 0);
	expect_text(ce, "[policyd]\nsocket = /s\n\n[project new]\nalgo = rsa3072\nsigners = user:alice\n");
	assert_int_equal(gpg_err_code(confedit_add_project(ce, "new", keys, values, 2, why, sizeof(why))),
	                 GPG_ERR_EEXIST);
	assert_int_equal(gpg_err_code(confedit_add_project(ce, "x/y", keys, values, 2, why, sizeof(why))),
	                 GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(confedit_add_project(ce, "other", keys, bad, 2, why, sizeof(why))),
	                 GPG_ERR_INV_VALUE);
	assert_string_equal(why, "' ;' in the value would start a comment in signet.conf");
	confedit_free(ce);
	ce = edit_of("");
	assert_int_equal(confedit_add_project(ce, "first", keys, values, 2, why, sizeof(why)), 0);
	expect_text(ce, "[project first]\nalgo = rsa3072\nsigners = user:alice\n");
	confedit_free(ce);
}

static void
test_refused(void **state)
{
	struct confedit *ce = edit_of(start);
	char why[256], longv[CONFIG_MAX_LINE + 2];

	(void)state;
	assert_int_equal(gpg_err_code(confedit_set(ce, "nope", "signers", "user:x", why, sizeof(why))),
	                 GPG_ERR_NOT_FOUND);
	assert_int_equal(gpg_err_code(confedit_set(ce, "app", "sig ners", "user:x", why, sizeof(why))),
	                 GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(confedit_set(ce, "app", "signers", "user:x\n[policyd]", why,
	                 sizeof(why))), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(confedit_set(ce, "app", "signers", " user:x", why, sizeof(why))),
	                 GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(confedit_set(ce, "app", "signers", "", why, sizeof(why))),
	                 GPG_ERR_INV_VALUE);
	memset(longv, 'a', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	assert_int_equal(gpg_err_code(confedit_set(ce, "app", "uid", longv, why, sizeof(why))),
	                 GPG_ERR_INV_VALUE);
	expect_text(ce, start);     /* nothing changed */
	confedit_free(ce);
}

struct seen {
	char text[512];
};

static int
collect(void *opaque, const char *key, const char *value)
{
	struct seen *s = opaque;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%s=%s|", key, value);
	return 0;
}

static void
test_each_key(void **state)
{
	struct confedit *ce = edit_of(start);
	struct seen s = { "" };

	(void)state;
	assert_int_equal(confedit_each_key(ce, "app", collect, &s), 0);
	assert_string_equal(s.text, "key=pkcs11:token=t;object=app|signers=user:alice|");
	s.text[0] = '\0';
	assert_int_equal(confedit_each_key(ce, "tool", collect, &s), 0);
	assert_string_equal(s.text, "signers=user:carol|");
	assert_int_equal(gpg_err_code(confedit_each_key(ce, "ap", collect, &s)), GPG_ERR_NOT_FOUND);
	confedit_free(ce);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_keeps_comment),
		cmocka_unit_test(test_add_and_remove),
		cmocka_unit_test(test_add_project),
		cmocka_unit_test(test_section),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_each_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
