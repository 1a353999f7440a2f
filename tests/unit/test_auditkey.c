/* test_auditkey.c — policyd's audit key (policyd/auditkey.c) on a real
 * SoftHSM2 token: the first start generates the Ed25519 key labelled
 * "#signet-audit", the next start (the token closed and opened again)
 * finds that same key and generates no other; the checkpoints it signs
 * through the audit_signer verify with note_checkpoint_verify against its
 * verifier key, and with no other key; a note text of nearly
 * NOTE_MAX_LEN bytes signs on the token (P11SIGN_MAX_IN); a checkpoint
 * after the token dropped the login still signs.  Refused: an
 * origin that is not a key name, and a key with the label that is not
 * Ed25519 (an attacker's or an accident's P-256 key must not become the
 * audit key); and the audit key looked up as any other key (by label or
 * CKA_ID, as a project's key URI would name it). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../policyd/auditkey.h"
#include "hsmworld.h"
#include "notecheck.h"
#include "signednote.h"

#define TOKEN "audittest"
static const char origin[] = "signet.0123abcd/policyd";

static int
world_setup(void **state)
{
	return hsm_world_setup(state, TOKEN);
}

/* policyd's next start: the token closed and opened again. */
static void
restart(struct world *w)
{
	char err[512] = "";

	hsm_close(w->hsm);
	w->hsm = NULL;
	if (hsm_open(SOFTHSM_MODULE, TOKEN, w->t.pin, &w->hsm, err, sizeof(err)) != 0)
		fail_msg("reopen: %s", err);
}

static void
test_generated_once(void **state)
{
	struct world *w = *state;
	struct audit_signer s1, s2;
	struct hsm_key *k = NULL;
	char err[512] = "";

	assert_int_equal(gpg_err_code(hsm_find_key(w->hsm, AUDITKEY_LABEL, NULL, 0, &k, err, sizeof(err))),
	                 GPG_ERR_NOT_FOUND);
	if (policyd_auditkey(w->hsm, origin, &s1, err, sizeof(err)) != 0)
		fail_msg("first start: %s", err);
	assert_string_equal(s1.name, origin);
	assert_non_null(s1.sign);
	assert_null(s1.timestamp);
	notecheck_signer(&s1, 0);
	notecheck_signer(&s1, 1000);
	/* The same process asking again finds it too. */
	if (policyd_auditkey(w->hsm, origin, &s2, err, sizeof(err)) != 0)
		fail_msg("again: %s", err);
	assert_memory_equal(s1.pub, s2.pub, sizeof(s1.pub));
	policyd_auditkey_release(&s2);
	policyd_auditkey_release(&s1);

	restart(w);
	if (policyd_auditkey(w->hsm, origin, &s2, err, sizeof(err)) != 0)
		fail_msg("next start: %s", err);
	notecheck_signer(&s2, 4242);
	/* The token drops the login (an HSM reset) between two checkpoints:
	 * the next one is still signed. */
	assert_int_equal(softhsm_drop_login(TOKEN), 0);
	notecheck_signer(&s2, 4243);
	/* Exactly one key with the label: found, not ambiguous, and a
	 * second generation is refused. */
	assert_int_equal(hsm_find_audit_key(w->hsm, &k, err, sizeof(err)), 0);
	assert_int_equal(hsm_key_type(k), HSM_KT_ED25519);
	hsm_key_free(k);
	assert_int_equal(gpg_err_code(hsm_keygen(w->hsm, HSM_KT_ED25519, 0, AUDITKEY_LABEL, (const uint8_t *)"12345678",
	                                         8, err, sizeof(err))),
	                 GPG_ERR_EEXIST);
	{
		struct audit_signer s3;

		assert_int_equal(policyd_auditkey(w->hsm, origin, &s3, err, sizeof(err)), 0);
		/* What signed before the restart is the key found after it. */
		assert_memory_equal(s3.pub, s2.pub, sizeof(s3.pub));
		policyd_auditkey_release(&s3);
	}
	policyd_auditkey_release(&s2);
	policyd_auditkey_release(&s2); /* released twice: harmless */
	policyd_auditkey_release(NULL);
}

/* The audit key is handed out for checkpoints only: looked up as any
 * other key — by its label, by its CKA_ID, as a project's key URI names
 * it — it is refused (an admin's project must not sign with it). */
static void
test_reserved(void **state)
{
	static const uint8_t id[8] = "auditid1";
	struct world *w = *state;
	struct audit_signer s;
	struct hsm_key *k = NULL;
	char err[512] = "";

	/* A token where the audit key already exists, with a known id (a
	 * fresh world: main's second group). */
	assert_int_equal(hsm_keygen(w->hsm, HSM_KT_ED25519, 0, AUDITKEY_LABEL, id, sizeof(id), err, sizeof(err)), 0);
	assert_int_equal(gpg_err_code(hsm_find_key(w->hsm, AUDITKEY_LABEL, NULL, 0, &k, err, sizeof(err))),
	                 GPG_ERR_WRONG_KEY_USAGE);
	assert_null(k);
	printf("  refused: %s\n", err);
	assert_int_equal(gpg_err_code(hsm_find_key(w->hsm, NULL, id, sizeof(id), &k, err, sizeof(err))),
	                 GPG_ERR_WRONG_KEY_USAGE);
	assert_int_equal(gpg_err_code(hsm_find_key(w->hsm, AUDITKEY_LABEL, id, sizeof(id), &k, err, sizeof(err))),
	                 GPG_ERR_WRONG_KEY_USAGE);
	assert_null(k);
	/* The audit path takes the key that is there, and makes no other. */
	if (policyd_auditkey(w->hsm, origin, &s, err, sizeof(err)) != 0)
		fail_msg("existing key: %s", err);
	notecheck_signer(&s, 9);
	policyd_auditkey_release(&s);
	assert_int_equal(hsm_find_audit_key(w->hsm, &k, err, sizeof(err)), 0);
	hsm_key_free(k);
	/* Other keys are found as before. */
	assert_int_equal(hsm_keygen(w->hsm, HSM_KT_ED25519, 0, "proj", (const uint8_t *)"projid01", 8, err,
	                            sizeof(err)), 0);
	assert_int_equal(hsm_find_key(w->hsm, "proj", NULL, 0, &k, err, sizeof(err)), 0);
	hsm_key_free(k);
}

static gpg_error_t
sign_long(const struct audit_signer *s, size_t textlen)
{
	struct note_vkey vk;
	char vkey[NOTE_MAX_VKEY], *text = malloc(textlen + 1), *note = NULL;
	const char *why = NULL;
	size_t len = 0;
	gpg_error_t r;

	assert_non_null(text);
	memset(text, 'x', textlen);
	text[textlen - 1] = '\n';
	text[textlen] = '\0';
	r = note_sign(text, textlen, s->name, s->pub, s->sign, s->ctx, &note, &len);
	if (r == 0) {
		assert_int_equal(note_vkey_format(s->name, s->pub, vkey, sizeof(vkey)), 0);
		assert_int_equal(note_vkey_parse(vkey, strlen(vkey), &vk, &why), 0);
		assert_int_equal(note_verify(note, len, &vk, NULL, &why), 0);
	}
	free(note);
	free(text);
	return r;
}

static void
test_long_text(void **state)
{
	struct world *w = *state;
	struct audit_signer s;
	char err[512] = "";
	size_t longest = NOTE_MAX_LEN - (1 + 4 + strlen(origin) + 1 + 92 + 1);

	assert_int_equal(policyd_auditkey(w->hsm, origin, &s, err, sizeof(err)), 0);
	/* The longest text a note can carry signs on the token. */
	assert_int_equal(sign_long(&s, longest), 0);
	assert_int_equal(gpg_err_code(sign_long(&s, longest + 1)), GPG_ERR_TOO_LARGE);
	policyd_auditkey_release(&s);
}

static void
test_refusals(void **state)
{
	struct world *w = *state;
	struct audit_signer s;
	char err[512] = "", longname[NOTE_MAX_NAME + 2];
	static const char *const bad[] = { "", "has space", "a+b", "tab\there", "caf\xc3\xa9" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&s, 0x55, sizeof(s));
		assert_int_equal(gpg_err_code(policyd_auditkey(w->hsm, bad[i], &s, err, sizeof(err))),
		                 GPG_ERR_INV_NAME);
		assert_null(s.ctx);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(gpg_err_code(policyd_auditkey(w->hsm, longname, &s, err, sizeof(err))), GPG_ERR_INV_NAME);
}

/* A token where "#signet-audit" is a P-256 key. */
static void
test_wrong_type(void **state)
{
	struct world *w = *state;
	struct audit_signer s;
	struct hsm *h2 = NULL;
	char err[512] = "";
	int created = 0;

	assert_int_equal(hsm_init_token(SOFTHSM_MODULE, "audit-p256", w->t.so_pin, w->t.pin, &created, err,
	                                sizeof(err)), 0);
	assert_int_equal(hsm_open(SOFTHSM_MODULE, "audit-p256", w->t.pin, &h2, err, sizeof(err)), 0);
	assert_int_equal(hsm_keygen(h2, HSM_KT_P256, 0, AUDITKEY_LABEL, (const uint8_t *)"p256p256", 8, err,
	                            sizeof(err)), 0);
	memset(&s, 0x55, sizeof(s));
	assert_int_equal(gpg_err_code(policyd_auditkey(h2, origin, &s, err, sizeof(err))), GPG_ERR_WRONG_PUBKEY_ALGO);
	printf("  refused: %s\n", err);
	assert_null(s.ctx);
	assert_null(s.sign);
	hsm_close(h2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_once),
		cmocka_unit_test(test_long_text),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_wrong_type),
	};
	const struct CMUnitTest fresh[] = {
		cmocka_unit_test(test_reserved),
	};

	return cmocka_run_group_tests(tests, world_setup, world_teardown) ||
	       cmocka_run_group_tests(fresh, world_setup, world_teardown);
}
