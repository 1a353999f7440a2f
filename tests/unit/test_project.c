/* test_project.c — which key SIGN may use (project_signing_key): never a
 * subkey project's primary, an old subkey only inside its overlap, a 0.1
 * project's primary until it is upgraded, nothing before MKCERT.  The
 * project is built by hand; no token is needed (the hsm_key pointers are
 * only compared). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../policyd/project.h"
#include "signet-err.h"

#define GRIP_P "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define GRIP_1 "1111111111111111111111111111111111111111"
#define GRIP_2 "2222222222222222222222222222222222222222"

struct fixture {
	struct project_conf conf;
	struct project p;
	struct project_subkey subs[2];
};

static void
fixture_init(struct fixture *f, enum project_model model)
{
	memset(f, 0, sizeof(*f));
	f->conf.name = "acme";
	f->p.conf = &f->conf;
	f->p.model = model;
	f->p.key = (struct hsm_key *)&f->conf;          /* distinct non-NULL tokens */
	memcpy(f->p.pub.grip, GRIP_P, sizeof(GRIP_P));
	if (model != PROJECT_SUBKEYS)
		return;
	f->p.ks.nsubs = 2;
	f->p.ks.subs[0] = (struct keystate_subkey){ 100, 200, 300 };
	f->p.ks.subs[1] = (struct keystate_subkey){ 200, 200, 0 };
	f->subs[0].key = (struct hsm_key *)&f->subs[0];
	f->subs[1].key = (struct hsm_key *)&f->subs[1];
	memcpy(f->subs[0].pub.grip, GRIP_1, sizeof(GRIP_1));
	memcpy(f->subs[1].pub.grip, GRIP_2, sizeof(GRIP_2));
	f->subs[0].expires = 300;
	f->p.subs = f->subs;
}

static gpg_err_code_t
pick(const struct fixture *f, const char *grip, int64_t now, const struct hsm_key **key,
     const struct pgpkey **pub)
{
	char why[512];

	return gpg_err_code(project_signing_key(&f->p, grip, now, key, pub, why, sizeof(why)));
}

static void
test_subkeys(void **state)
{
	struct fixture f;
	const struct hsm_key *key;
	const struct pgpkey *pub;

	(void)state;
	fixture_init(&f, PROJECT_SUBKEYS);
	assert_int_equal(pick(&f, NULL, 250, &key, &pub), 0);
	assert_ptr_equal(key, f.subs[1].key);
	assert_int_equal(pick(&f, GRIP_2, 250, &key, &pub), 0);
	assert_ptr_equal(key, f.subs[1].key);
	/* the old subkey, inside and after its overlap */
	assert_int_equal(pick(&f, "1111111111111111111111111111111111111111", 299, &key, &pub), 0);
	assert_ptr_equal(key, f.subs[0].key);
	assert_int_equal(pick(&f, GRIP_1, 300, &key, &pub), SIGNET_ERR_KEY_EXPIRED);
	assert_null(key);
	assert_ptr_equal(pub, &f.subs[0].pub);
	/* the primary, in any case, never */
	assert_int_equal(pick(&f, GRIP_P, 250, &key, &pub), SIGNET_ERR_KEY_USAGE);
	assert_null(key);
	assert_int_equal(pick(&f, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 250, &key, &pub), SIGNET_ERR_KEY_USAGE);
	assert_int_equal(pick(&f, "3333333333333333333333333333333333333333", 250, &key, &pub),
	                 SIGNET_ERR_KEY_USAGE);
}

static void
test_legacy_and_uncertified(void **state)
{
	struct fixture f;
	const struct hsm_key *key;
	const struct pgpkey *pub;

	(void)state;
	fixture_init(&f, PROJECT_LEGACY);
	assert_int_equal(pick(&f, NULL, 250, &key, &pub), 0);
	assert_ptr_equal(key, f.p.key);
	assert_int_equal(pick(&f, GRIP_P, 250, &key, &pub), 0);
	assert_int_equal(pick(&f, GRIP_1, 250, &key, &pub), SIGNET_ERR_KEY_USAGE);
	fixture_init(&f, PROJECT_UNCERTIFIED);
	assert_int_equal(pick(&f, NULL, 250, &key, &pub), SIGNET_ERR_NO_KEY);
	assert_int_equal(pick(&f, GRIP_P, 250, &key, &pub), SIGNET_ERR_NO_KEY);
	assert_null(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subkeys),
		cmocka_unit_test(test_legacy_and_uncertified),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
