/* test_p11uri.c — RFC 7512 key URIs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "p11uri.h"

static void
test_good(void **state)
{
	struct p11uri u;
	char err[128];

	(void)state;
	assert_int_equal(p11uri_parse("pkcs11:token=signet;object=acme-release", &u, err, sizeof(err)), 0);
	assert_true(u.has_token);
	assert_true(u.has_object);
	assert_false(u.has_id);
	assert_string_equal(u.token, "signet");
	assert_string_equal(u.object, "acme-release");

	assert_int_equal(p11uri_parse("PKCS11:object=My%20Key;id=%01%02%ff;type=private;"
	                              "manufacturer=SoftHSM%20project;model=SoftHSM%20v2;"
	                              "serial=1234;library-version=2.6", &u, err, sizeof(err)), 0);
	assert_false(u.has_token);
	assert_string_equal(u.object, "My Key");
	assert_true(u.has_id);
	assert_int_equal(u.id_len, 3);
	assert_memory_equal(u.id, "\x01\x02\xff", 3);

	/* RFC 7512 §3 example characters: "&" and "'" are allowed as is. */
	assert_int_equal(p11uri_parse("pkcs11:token=A&B's;object=x;type=public", &u, err, sizeof(err)), 0);
	assert_string_equal(u.token, "A&B's");

	/* No attribute at all parses; the caller decides it names nothing. */
	assert_int_equal(p11uri_parse("pkcs11:", &u, err, sizeof(err)), 0);
	assert_false(u.has_token || u.has_object || u.has_id);
}

static void
expect_bad(const char *s, const char *why)
{
	struct p11uri u;
	char err[128];

	memset(&u, 0x55, sizeof(u));
	if (gpg_err_code(p11uri_parse(s, &u, err, sizeof(err))) != GPG_ERR_INV_VALUE)
		fail_msg("accepted: %s", s);
	assert_false(u.has_token || u.has_object || u.has_id);
	if (strstr(err, why) == NULL)
		fail_msg("%s: reason \"%s\" lacks \"%s\"", s, err, why);
}

static void
test_bad(void **state)
{
	char big[P11URI_MAX_LEN + 16];
	char attr[P11URI_MAX_ATTR + 32];

	(void)state;
	expect_bad("", "not a pkcs11");
	expect_bad("pkcs1:token=x", "not a pkcs11");
	expect_bad("token=x", "not a pkcs11");
	expect_bad("pkcs11:token=x?pin-value=1234", "query");
	expect_bad("pkcs11:token=x;object=y?module-path=/x", "query");
	expect_bad("pkcs11:token=x#frag", "fragment");
	expect_bad("pkcs11:token=x;token=y", "duplicate");
	expect_bad("pkcs11:foo=bar", "unknown attribute");
	expect_bad("pkcs11:x-vendor=1", "unknown attribute");
	expect_bad("pkcs11:token", "name=value");
	expect_bad("pkcs11:=x", "name=value");
	expect_bad("pkcs11:;", "name=value");
	expect_bad("pkcs11:token=x;;object=y", "name=value");
	expect_bad("pkcs11:token=x;", "trailing");
	expect_bad("pkcs11:token=a%2", "percent");
	expect_bad("pkcs11:token=a%zz", "percent");
	expect_bad("pkcs11:token=a%", "percent");
	expect_bad("pkcs11:token=a b", "percent-encoded");
	expect_bad("pkcs11:token=a/b", "percent-encoded");
	expect_bad("pkcs11:token=a%00b", "NUL");
	expect_bad("pkcs11:token=", "empty");
	expect_bad("pkcs11:object=", "empty");
	expect_bad("pkcs11:id=", "empty");
	expect_bad("pkcs11:type=cert", "type");
	expect_bad("pkcs11:type=secret-key", "type");

	memset(big, 'a', sizeof(big));
	memcpy(big, "pkcs11:object=", 14);
	big[P11URI_MAX_LEN + 1] = '\0';
	expect_bad(big, "longer");

	memset(attr, 'b', sizeof(attr));
	memcpy(attr, "pkcs11:object=", 14);
	attr[14 + P11URI_MAX_ATTR + 1] = '\0';
	expect_bad(attr, "too long");
	attr[14 + P11URI_MAX_ATTR] = '\0';
	{
		struct p11uri u;
		assert_int_equal(p11uri_parse(attr, &u, NULL, 0), 0);
		assert_int_equal(strlen(u.object), P11URI_MAX_ATTR);
	}
}

static void
test_format(void **state)
{
	struct p11uri u;
	char out[P11URI_MAX_LEN + 1];

	(void)state;
	assert_int_equal(p11uri_format("signet", "acme-release", out, sizeof(out)), 0);
	assert_string_equal(out, "pkcs11:token=signet;object=acme-release");
	assert_int_equal(p11uri_format("my token", "a;b=c%d/\xc3\xa9", out, sizeof(out)), 0);
	assert_string_equal(out, "pkcs11:token=my%20token;object=a%3Bb%3Dc%25d%2F%C3%A9");
	assert_int_equal(p11uri_parse(out, &u, NULL, 0), 0);
	assert_string_equal(u.token, "my token");
	assert_string_equal(u.object, "a;b=c%d/\xc3\xa9");

	assert_int_equal(gpg_err_code(p11uri_format("signet", "acme", out, 31)), GPG_ERR_BUFFER_TOO_SHORT);
	assert_string_equal(out, "");
	assert_int_equal(p11uri_format("signet", "acme", out, 32), 0);
	assert_int_equal(gpg_err_code(p11uri_format("", "acme", out, sizeof(out))), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(p11uri_format("t", NULL, out, sizeof(out))), GPG_ERR_INV_VALUE);

	/* Each name fits, but encoded they exceed P11URI_MAX_LEN. */
	{
		char name[P11URI_MAX_ATTR + 1];
		char big[3 * P11URI_MAX_LEN];

		memset(name, ':', P11URI_MAX_ATTR);
		name[P11URI_MAX_ATTR] = '\0';
		assert_int_equal(gpg_err_code(p11uri_format(name, name, big, sizeof(big))),
		                 GPG_ERR_INV_VALUE);
		assert_string_equal(big, "");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
