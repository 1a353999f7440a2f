/* test_policy.c — policyd's decisions: signers by user and group, the hash
 * rules (sha1/md5 never, else the project's list), who is an admin, and
 * the reason texts.  Uses root (uid 0, group root) and nobody, which every
 * Debian system has. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "platform.h"
#include "../../policyd/policy.h"
#include "signet-err.h"

#define UID_OTHER 4242424
#define GID_OTHER 4242424

static struct principal signers[] = {
	{ PRINCIPAL_USER, (char *)"root" },
	{ PRINCIPAL_GROUP, (char *)"signet-no-such-group" },
};

static struct project_conf
make_project(unsigned int mask)
{
	struct project_conf p;

	memset(&p, 0, sizeof(p));
	p.name = (char *)"acme";
	p.signers = signers;
	p.nsigners = 2;
	p.hash_mask = mask;
	return p;
}

static void
test_may_sign_by_user(void **state)
{
	struct project_conf p = make_project(hashalgo_default_mask());

	(void)state;
	assert_true(policy_may_sign(&p, 0, 0));
	assert_ptr_equal(policy_find_principal(signers, 2, 0, 0), &signers[0]);
	assert_false(policy_may_sign(&p, UID_OTHER, GID_OTHER));
	assert_null(policy_find_principal(signers, 2, UID_OTHER, GID_OTHER));
	assert_false(policy_may_sign(NULL, 0, 0));
	p.nsigners = 0;
	assert_false(policy_may_sign(&p, 0, 0));
}

static void
test_may_sign_by_group(void **state)
{
	struct principal g[] = { { PRINCIPAL_GROUP, (char *)"root" } };
	struct project_conf p = make_project(hashalgo_default_mask());

	(void)state;
	p.signers = g;
	p.nsigners = 1;
	/* The primary group counts. */
	assert_true(policy_may_sign(&p, UID_OTHER, 0));
	assert_false(policy_may_sign(&p, UID_OTHER, GID_OTHER));
}

static void
test_unknown_names_match_nobody(void **state)
{
	struct principal u[] = { { PRINCIPAL_USER, (char *)"signet-no-such-user" },
	                         { PRINCIPAL_GROUP, (char *)"signet-no-such-group" } };

	(void)state;
	assert_false(policy_match_principals(u, 2, 0, 0));
	assert_false(policy_match_principals(u, 2, UID_OTHER, GID_OTHER));
}

static void
test_hash_rules(void **state)
{
	char why[POLICY_MAX_REASON];
	const struct hashalgo *sha1 = hashalgo_by_name("sha1"), *md5 = hashalgo_by_name("md5");
	const struct hashalgo *sha256 = hashalgo_by_name("sha256"), *sha512 = hashalgo_by_name("sha512");
	struct project_conf p = make_project(hashalgo_default_mask());
	unsigned int all = 0;
	size_t i;

	(void)state;
	assert_non_null(sha1);
	assert_non_null(sha256);
	assert_int_equal(policy_check_hash(&p, sha256, why, sizeof(why)), 0);
	assert_int_equal(policy_check_hash(&p, sha512, why, sizeof(why)), 0);
	assert_int_equal(gpg_err_code(policy_check_hash(&p, sha1, why, sizeof(why))), SIGNET_ERR_HASH_REFUSED);
	assert_non_null(strstr(why, "sha1 is never allowed"));
	/* Even a mask that names them cannot let sha1 or md5 through. */
	for (i = 0; hashalgo_at(i) != NULL; i++)
		all |= hashalgo_at(i)->bit;
	p.hash_mask = all;
	assert_int_equal(gpg_err_code(policy_check_hash(&p, sha1, why, sizeof(why))), SIGNET_ERR_HASH_REFUSED);
	if (md5 != NULL)
		assert_int_equal(gpg_err_code(policy_check_hash(&p, md5, why, sizeof(why))), SIGNET_ERR_HASH_REFUSED);
	/* Not on the project's list. */
	p.hash_mask = sha256->bit;
	assert_int_equal(gpg_err_code(policy_check_hash(&p, sha512, why, sizeof(why))), SIGNET_ERR_HASH_REFUSED);
	assert_string_equal(why, "sha512 is not allowed for project acme (allowed: sha256)");
	assert_int_equal(gpg_err_code(policy_check_hash(&p, NULL, why, sizeof(why))), SIGNET_ERR_HASH_REFUSED);
}

static void
test_admins(void **state)
{
	struct principal admins[] = { { PRINCIPAL_USER, (char *)"nobody" } };
	struct signet_config cfg;
	uid_t nobody = 65534;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_true(policy_is_admin(&cfg, 0, 0, 1234));           /* root */
	assert_true(policy_is_admin(&cfg, 1234, GID_OTHER, 1234)); /* the daemon's user */
	assert_false(policy_is_admin(&cfg, UID_OTHER, GID_OTHER, 1234));
	assert_false(policy_is_admin(NULL, UID_OTHER, GID_OTHER, 1234));
	cfg.admins = admins;
	cfg.nadmins = 1;
	if (platform_user_uid("nobody", &nobody) == 0)
		assert_true(policy_is_admin(&cfg, nobody, GID_OTHER, 1234));
	assert_false(policy_is_admin(&cfg, UID_OTHER, GID_OTHER, 1234));
}

static void
test_format(void **state)
{
	char out[64], tiny[16];
	struct project_conf p = make_project(hashalgo_default_mask());

	(void)state;
	policy_format_principals(signers, 2, out, sizeof(out));
	assert_string_equal(out, "user:root group:signet-no-such-group");
	policy_format_principals(signers, 0, out, sizeof(out));
	assert_string_equal(out, "nobody");
	policy_format_principals(signers, 2, tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
	assert_non_null(strstr(tiny, "..."));
	policy_format_hashes(&p, out, sizeof(out));
	assert_string_equal(out, "sha256 sha384 sha512");
	p.hash_mask = 0;
	policy_format_hashes(&p, out, sizeof(out));
	assert_string_equal(out, "none");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_may_sign_by_user),
		cmocka_unit_test(test_may_sign_by_group),
		cmocka_unit_test(test_unknown_names_match_nobody),
		cmocka_unit_test(test_hash_rules),
		cmocka_unit_test(test_admins),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
