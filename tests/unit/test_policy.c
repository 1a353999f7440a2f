/* test_policy.c — policyd's decisions: signers by user and group, the hash
 * rules (sha1/md5 never, else the project's list), who is an admin, and
 * the reason texts.  Uses root (uid 0, group root) and nobody, which every
 * Debian system has.  Requesters are built by hand (their groups are what
 * the user database would say) or with requester_init() for real users. */
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

/* A requester for UID whose user-database groups are GROUPS (N). */
static struct requester
rq_make(uid_t uid, gid_t *groups, size_t n)
{
	struct requester rq;

	memset(&rq, 0, sizeof(rq));
	rq.uid = uid;
	snprintf(rq.user, sizeof(rq.user), "#%lu", (unsigned long)uid);
	rq.groups = groups;
	rq.ngroups = n;
	return rq;
}

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
	struct requester root = rq_make(0, NULL, 0), other = rq_make(UID_OTHER, NULL, 0);

	(void)state;
	assert_true(policy_may_sign(&p, &root));
	assert_ptr_equal(policy_find_principal(signers, 2, &root), &signers[0]);
	assert_false(policy_may_sign(&p, &other));
	assert_null(policy_find_principal(signers, 2, &other));
	assert_false(policy_may_sign(NULL, &root));
	assert_false(policy_may_sign(&p, NULL));
	p.nsigners = 0;
	assert_false(policy_may_sign(&p, &root));
}

static void
test_may_sign_by_group(void **state)
{
	struct principal g[] = { { PRINCIPAL_GROUP, (char *)"root" } };
	struct project_conf p = make_project(hashalgo_default_mask());
	gid_t in[] = { GID_OTHER, 0 }, out[] = { GID_OTHER };
	struct requester member = rq_make(UID_OTHER, in, 2), stranger = rq_make(UID_OTHER, out, 1);
	struct requester none = rq_make(UID_OTHER, NULL, 0);

	(void)state;
	p.signers = g;
	p.nsigners = 1;
	/* Only the groups the user database gives count. */
	assert_true(policy_may_sign(&p, &member));
	assert_false(policy_may_sign(&p, &stranger));
	assert_false(policy_may_sign(&p, &none));
}

/* The attack of issue 7 (2): a process running with gid release (setgid
 * copy of a program, an `sg` session) whose user is not in the group.  The
 * requester is made from the uid alone, so nothing the process runs as
 * can add a group. */
static void
test_group_from_user_database_only(void **state)
{
	struct principal g[] = { { PRINCIPAL_GROUP, (char *)"root" } };
	struct project_conf p = make_project(hashalgo_default_mask());
	struct signet_config cfg;
	struct requester rq;
	uid_t nobody;

	(void)state;
	if (platform_user_uid("nobody", &nobody) != 0)
		skip();
	p.signers = g;
	p.nsigners = 1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.admins = g;
	cfg.nadmins = 1;
	/* nobody is not in group root in any sane user database, whatever gid
	 * its process has. */
	requester_init(&rq, NULL, nobody);
	assert_string_equal(rq.user, "nobody");
	assert_false(requester_in_group(&rq, 0));
	assert_false(policy_may_sign(&p, &rq));
	assert_false(policy_is_admin(&cfg, &rq, 1234));
	requester_release(&rq);
	/* root's primary group from passwd counts. */
	requester_init(&rq, NULL, 0);
	assert_true(requester_in_group(&rq, 0));
	assert_true(policy_may_sign(&p, &rq));
	requester_release(&rq);
	/* A uid without a passwd entry has no groups at all. */
	requester_init(&rq, NULL, UID_OTHER);
	assert_int_equal(rq.ngroups, 0);
	assert_string_equal(rq.user, "#4242424");
	assert_false(policy_may_sign(&p, &rq));
	requester_release(&rq);
	requester_release(NULL);
}

static void
test_unknown_names_match_nobody(void **state)
{
	struct principal u[] = { { PRINCIPAL_USER, (char *)"signet-no-such-user" },
	                         { PRINCIPAL_GROUP, (char *)"signet-no-such-group" } };
	gid_t all[] = { 0, GID_OTHER };
	struct requester root = rq_make(0, all, 2), other = rq_make(UID_OTHER, all, 2);

	(void)state;
	assert_false(policy_match_principals(u, 2, &root));
	assert_false(policy_match_principals(u, 2, &other));
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
	struct principal group_admins[] = { { PRINCIPAL_GROUP, (char *)"root" } };
	struct signet_config cfg;
	uid_t nobody = 65534;
	gid_t other_gid[] = { GID_OTHER }, root_gid[] = { 0 };
	struct requester root = rq_make(0, NULL, 0), self = rq_make(1234, other_gid, 1);
	struct requester other = rq_make(UID_OTHER, other_gid, 1), member = rq_make(UID_OTHER, root_gid, 1);
	struct requester rq_nobody;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_true(policy_is_admin(&cfg, &root, 1234));   /* root */
	assert_true(policy_is_admin(&cfg, &self, 1234));   /* the daemon's user */
	assert_false(policy_is_admin(&cfg, &other, 1234));
	assert_false(policy_is_admin(NULL, &other, 1234));
	assert_false(policy_is_admin(&cfg, NULL, 1234));
	cfg.admins = admins;
	cfg.nadmins = 1;
	if (platform_user_uid("nobody", &nobody) == 0) {
		rq_nobody = rq_make(nobody, other_gid, 1);
		assert_true(policy_is_admin(&cfg, &rq_nobody, 1234));
	}
	assert_false(policy_is_admin(&cfg, &other, 1234));
	/* An admin group: membership from the requester's groups only. */
	cfg.admins = group_admins;
	assert_true(policy_is_admin(&cfg, &member, 1234));
	assert_false(policy_is_admin(&cfg, &other, 1234));
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
		cmocka_unit_test(test_group_from_user_database_only),
		cmocka_unit_test(test_unknown_names_match_nobody),
		cmocka_unit_test(test_hash_rules),
		cmocka_unit_test(test_admins),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
