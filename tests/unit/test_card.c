/* test_card.c — the virtual card model of signet-scd: parsing policyd's
 * KEYLIST lines, key lookup by keyref / keygrip / legacy forms, and the
 * exact text of the status lines gpg-agent parses (scd-protocol §4.2). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gcrypt.h>

#include "../../scdaemon-shim/card.h"
#include "../tools/ecsoft.h"

#define SN    "D276000124010304FFFE1A2B3C4D0000"
#define SN2   "D276000124010304FFFE000000010000"
#define GRIP1 "0123456789ABCDEF0123456789ABCDEF01234567"
#define GRIP2 "89ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define FPR1  "AAAABBBBCCCCDDDDEEEEFFFF0000111122223333"
#define FPR2  "1111222233334444555566667777888899990000"
#define GRIP3 "FEDCBA9876543210FEDCBA9876543210FEDCBA98"
#define FPR3  "9999888877776666555544443333222211110000"
/* keyrefs: SIGNET.<project>.<last 16 hex of the fingerprint> */
#define REF1  "SIGNET.release.0000111122223333"
#define REF2  "SIGNET.nightly.build-2.7777888899990000"
#define REF3  "SIGNET.release.3333222211110000"

static void
make_key(struct card_key *k, const char *project, const char *grip, const char *fpr,
         const char *algo, unsigned long created)
{
	char line[CARD_LINE_MAX];

	snprintf(line, sizeof(line), "%s %s %s %lu %s", project, grip, algo, created, fpr);
	assert_int_equal(card_key_parse(line, k), 0);
}

static void
make_list(struct card_keylist *kl)
{
	struct card_key k;

	memset(kl, 0, sizeof(*kl));
	make_key(&k, "release", GRIP1, FPR1, "rsa3072", 1732579200);
	assert_int_equal(card_keylist_add(kl, &k), 0);
	make_key(&k, "nightly.build-2", GRIP2, FPR2, "rsa2048", 1700000000);
	assert_int_equal(card_keylist_add(kl, &k), 0);
}

static void
test_key_parse(void **state)
{
	struct card_key k;

	(void)state;
	assert_int_equal(card_key_parse("release " GRIP1 " rsa3072 1732579200 " FPR1, &k), 0);
	assert_string_equal(k.project, "release");
	assert_string_equal(k.keyref, REF1);
	assert_string_equal(k.grip, GRIP1);
	assert_string_equal(k.fpr, FPR1);
	assert_string_equal(k.algo, "rsa3072");
	assert_int_equal(k.bits, 3072);
	assert_int_equal(k.created, 1732579200);
	assert_int_equal(k.sexp_len, 0);
	/* Several spaces between words are fine (strtok). */
	assert_int_equal(card_key_parse("r  " GRIP1 " rsa4096 0 " FPR1, &k), 0);
	assert_int_equal(k.bits, 4096);
	assert_int_equal(k.type, PGPKEY_RSA);
	/* The EC types by gpg's names. */
	assert_int_equal(card_key_parse("r " GRIP1 " nistp256 1 " FPR1, &k), 0);
	assert_int_equal(k.type, PGPKEY_P256);
	assert_int_equal(k.bits, 256);
	assert_int_equal(card_key_parse("r " GRIP1 " nistp384 1 " FPR1, &k), 0);
	assert_int_equal(k.type, PGPKEY_P384);
	assert_int_equal(card_key_parse("r " GRIP1 " ed25519 1 " FPR1, &k), 0);
	assert_int_equal(k.type, PGPKEY_ED25519);
	assert_string_equal(k.algo, "ed25519");

	const char *bad[] = {
		"",
		"release",
		"release " GRIP1 " rsa3072 1732579200",                       /* 4 words */
		"release " GRIP1 " rsa3072 1732579200 " FPR1 " extra",        /* 6 words */
		"rel/ease " GRIP1 " rsa3072 1 " FPR1,                         /* bad name */
		"release 0123456789abcdef0123456789abcdef01234567 rsa3072 1 " FPR1, /* lower */
		"release " GRIP1 "0 rsa3072 1 " FPR1,                         /* 41 hex */
		"release " GRIP1 " ed448 1 " FPR1,
		"release " GRIP1 " nistp521 1 " FPR1,
		"release " GRIP1 " NIST+P-256 1 " FPR1,
		"release " GRIP1 " p256 1 " FPR1,                             /* policyd's name, not gpg's */
		"release " GRIP1 " rsa 1 " FPR1,
		"release " GRIP1 " rsa512 1 " FPR1,
		"release " GRIP1 " rsa3072 01 " FPR1,                         /* leading 0 */
		"release " GRIP1 " rsa3072 -1 " FPR1,
		"release " GRIP1 " rsa3072 4294967296 " FPR1,                 /* > u32 */
		"release " GRIP1 " rsa3072 1 " FPR1 "0",
		"release " GRIP1 " rsa3072 1 XAAABBBBCCCCDDDDEEEEFFFF0000111122223333",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(gpg_err_code(card_key_parse(bad[i], &k)), GPG_ERR_INV_DATA);
		assert_string_equal(k.project, "");
	}
	assert_int_not_equal(card_key_parse(NULL, &k), 0);
}

static void
test_keyref_project(void **state)
{
	char p[PROJECT_NAME_MAX + 1];

	(void)state;
	assert_int_equal(card_keyref_project("SIGNET.release", p, sizeof(p)), 0);
	assert_string_equal(p, "release");
	/* The prefix is matched without regard to case, the name exactly. */
	assert_int_equal(card_keyref_project("signet.Rel_1.x-y", p, sizeof(p)), 0);
	assert_string_equal(p, "Rel_1.x-y");
	assert_int_equal(gpg_err_code(card_keyref_project("SIGNET.", p, sizeof(p))), GPG_ERR_INV_ID);
	assert_int_equal(gpg_err_code(card_keyref_project("SIGNET.a%b", p, sizeof(p))), GPG_ERR_INV_ID);
	assert_int_equal(gpg_err_code(card_keyref_project("OPENPGP.1", p, sizeof(p))), GPG_ERR_INV_ID);
	assert_int_equal(gpg_err_code(card_keyref_project(GRIP1, p, sizeof(p))), GPG_ERR_INV_ID);
	assert_int_equal(gpg_err_code(card_keyref_project("SIGNET.release", p, 4)),
	                 GPG_ERR_BUFFER_TOO_SHORT);
}

static void
test_keyref_make(void **state)
{
	char r[CARD_KEYREF_MAX], name[PROJECT_NAME_MAX + 1];

	(void)state;
	assert_int_equal(card_keyref_make("release", FPR1, r, sizeof(r)), 0);
	assert_string_equal(r, REF1);
	/* the longest name fits, and the keyref has no space, '%' or '+' */
	memset(name, 'n', PROJECT_NAME_MAX);
	name[PROJECT_NAME_MAX] = '\0';
	assert_int_equal(card_keyref_make(name, FPR2, r, sizeof(r)), 0);
	assert_int_equal(strlen(r), sizeof(CARD_KEYREF_PREFIX) - 1 + PROJECT_NAME_MAX + 1 + 16);
	assert_null(strpbrk(r, " %+"));
	assert_int_equal(gpg_err_code(card_keyref_make("a b", FPR1, r, sizeof(r))), GPG_ERR_INV_VALUE);
	assert_string_equal(r, "");
	assert_int_equal(gpg_err_code(card_keyref_make("a%b", FPR1, r, sizeof(r))), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(card_keyref_make("a", "aaaabbbbccccddddeeeeffff0000111122223333", r,
	                                               sizeof(r))), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(card_keyref_make("a", GRIP1 "0", r, sizeof(r))), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(card_keyref_make("release", FPR1, r, 10)), GPG_ERR_BUFFER_TOO_SHORT);
	assert_string_equal(r, "");
}

static void
test_keygrip(void **state)
{
	(void)state;
	assert_true(card_is_keygrip(GRIP1));
	assert_true(card_is_keygrip("0123456789abcdef0123456789abcdef01234567"));
	assert_false(card_is_keygrip("0123456789ABCDEF0123456789ABCDEF0123456"));
	assert_false(card_is_keygrip(GRIP1 "0"));
	assert_false(card_is_keygrip("G123456789ABCDEF0123456789ABCDEF01234567"));
	assert_false(card_is_keygrip(NULL));
}

static void
test_find(void **state)
{
	struct card_keylist kl, empty = { NULL, 0 };
	const struct card_key *k;

	(void)state;
	make_list(&kl);
	assert_int_equal(card_keylist_find(&kl, SN, REF2, &k), 0);
	assert_string_equal(k->grip, GRIP2);
	/* the prefix without regard to case, as gpg-agent may have stored it */
	assert_int_equal(card_keylist_find(&kl, SN, "signet.release.0000111122223333", &k), 0);
	assert_string_equal(k->grip, GRIP1);
	assert_int_equal(card_keylist_find(&kl, SN, GRIP2, &k), 0);
	assert_string_equal(k->project, "nightly.build-2");
	/* gpg-agent sends upper case; be lenient anyway. */
	assert_int_equal(card_keylist_find(&kl, SN, "89abcdef0123456789abcdef0123456789abcdef", &k), 0);
	assert_string_equal(k->project, "nightly.build-2");
	/* Legacy references: the first key. */
	assert_int_equal(card_keylist_find(&kl, SN, "OPENPGP.1", &k), 0);
	assert_string_equal(k->project, "release");
	assert_int_equal(card_keylist_find(&kl, SN, "$SIGNKEYID", &k), 0);
	assert_string_equal(k->project, "release");
	assert_int_equal(card_keylist_find(&kl, SN, SN, &k), 0);
	assert_string_equal(k->project, "release");
	assert_int_equal(card_keylist_find(&kl, SN, SN "/" FPR2, &k), 0);
	assert_string_equal(k->project, "nightly.build-2");

	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, SN2, &k)), GPG_ERR_WRONG_CARD);
	assert_null(k);
	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, SN2 "/" FPR1, &k)), GPG_ERR_WRONG_CARD);
	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, SN "/" GRIP1, &k)),
	                 GPG_ERR_WRONG_SECKEY);
	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, "SIGNET.other", &k)), GPG_ERR_NO_SECKEY);
	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, "SIGNET.RELEASE.0000111122223333", &k)),
	                 GPG_ERR_NO_SECKEY);
	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, "SIGNET.release.0000111122223334", &k)),
	                 GPG_ERR_NO_SECKEY);
	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, "SIGNET.release.000011112222333", &k)),
	                 GPG_ERR_NO_SECKEY);
	/* The legacy form names the primary key, which is never listed: not
	 * the project's (first) subkey in its place. */
	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, "SIGNET.release", &k)), GPG_ERR_NO_SECKEY);
	assert_null(k);
	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, "SIGNET.nightly.build-2", &k)),
	                 GPG_ERR_NO_SECKEY);
	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", &k)),
	                 GPG_ERR_NO_SECKEY);
	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, "OPENPGP.2", &k)), GPG_ERR_NO_SECKEY);
	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, "$ENCRKEYID", &k)), GPG_ERR_NO_SECKEY);
	assert_int_equal(gpg_err_code(card_keylist_find(&kl, SN, "", &k)), GPG_ERR_NO_SECKEY);
	assert_int_equal(gpg_err_code(card_keylist_find(&empty, SN, "OPENPGP.1", &k)), GPG_ERR_NO_SECKEY);
	assert_int_equal(gpg_err_code(card_keylist_find(&empty, SN, SN, &k)), GPG_ERR_NO_SECKEY);
	card_keylist_clear(&kl);
}

/* A rotation overlap: two keys of one project, each by its own keyref; and
 * project names with dots never make one key's keyref match another's. */
static void
test_two_keys(void **state)
{
	struct card_keylist kl;
	struct card_key k;
	const struct card_key *f;
	char ref[CARD_KEYREF_MAX];

	(void)state;
	make_list(&kl);
	make_key(&k, "release", GRIP3, FPR3, "rsa3072", 1732600000);
	assert_int_equal(card_keylist_add(&kl, &k), 0);
	assert_int_equal(card_keylist_find(&kl, SN, REF1, &f), 0);
	assert_string_equal(f->grip, GRIP1);
	assert_int_equal(card_keylist_find(&kl, SN, REF3, &f), 0);
	assert_string_equal(f->grip, GRIP3);
	assert_int_equal(card_keylist_find(&kl, SN, GRIP3, &f), 0);
	assert_string_equal(f->keyref, REF3);

	/* project "release.0000111122223333" exists too: its key has its
	 * own keyref, and REF1 still finds release's key */
	make_key(&k, "release.0000111122223333", "ABABABABABABABABABABABABABABABABABABABAB",
	         "CDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCD", "rsa2048", 1);
	assert_int_equal(card_keylist_add(&kl, &k), 0);
	assert_int_equal(card_keylist_find(&kl, SN, REF1, &f), 0);
	assert_string_equal(f->project, "release");
	assert_int_equal(card_keyref_make("release.0000111122223333", "CDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCD",
	                                  ref, sizeof(ref)), 0);
	assert_int_equal(card_keylist_find(&kl, SN, ref, &f), 0);
	assert_string_equal(f->project, "release.0000111122223333");
	assert_int_equal(kl.nkeys, 4);
	card_keylist_clear(&kl);
}

static void
test_list_ops(void **state)
{
	struct card_keylist kl, copy = { NULL, 0 };
	struct card_key k;

	(void)state;
	make_list(&kl);
	/* The same keyref (project and fingerprint) or the same grip twice:
	 * refused (another key of the same project is fine: test_two_keys). */
	make_key(&k, "release", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", FPR1, "rsa2048", 1);
	assert_int_equal(gpg_err_code(card_keylist_add(&kl, &k)), GPG_ERR_DUP_KEY);
	make_key(&k, "other", GRIP1, FPR3, "rsa2048", 1);
	assert_int_equal(gpg_err_code(card_keylist_add(&kl, &k)), GPG_ERR_DUP_KEY);
	/* a grip is compared without regard to case */
	make_key(&k, "other", GRIP1, FPR3, "rsa2048", 1);
	k.grip[10] = (char)(k.grip[10] - 'A' + 'a');
	assert_int_equal(gpg_err_code(card_keylist_add(&kl, &k)), GPG_ERR_DUP_KEY);
	assert_int_equal(kl.nkeys, 2);

	assert_int_equal(card_keylist_copy(&copy, &kl), 0);
	assert_int_equal(copy.nkeys, 2);
	assert_ptr_not_equal(copy.keys, kl.keys);
	assert_true(card_keylist_same(&copy, &kl));
	/* Order does not matter. */
	k = copy.keys[0];
	copy.keys[0] = copy.keys[1];
	copy.keys[1] = k;
	assert_true(card_keylist_same(&copy, &kl));
	copy.keys[0].created++;
	assert_false(card_keylist_same(&copy, &kl));
	copy.nkeys = 1;
	assert_false(card_keylist_same(&copy, &kl));
	copy.nkeys = 2;
	card_keylist_clear(&copy);
	assert_int_equal(copy.nkeys, 0);
	assert_null(copy.keys);
	card_keylist_clear(&copy);
	card_keylist_clear(NULL);
	card_keylist_clear(&kl);
}

static void
test_format(void **state)
{
	struct card_keylist kl;
	char buf[CARD_LINE_MAX];

	(void)state;
	make_list(&kl);
	assert_int_equal(card_format_keypairinfo(&kl.keys[0], buf, sizeof(buf)), 0);
	assert_string_equal(buf, GRIP1 " " REF1 " sc 1732579200 rsa3072");
	assert_int_equal(card_format_keyinfo(&kl.keys[1], SN, buf, sizeof(buf)), 0);
	assert_string_equal(buf, GRIP2 " T " SN " " REF2 " sc");
	assert_int_equal(card_format_keyattr(&kl.keys[0], 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1 1 rsa3072 32 0");
	assert_int_equal(card_format_keyattr(&kl.keys[1], 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2 1 rsa2048 32 0");
	assert_int_not_equal(card_format_keyattr(&kl.keys[1], 4, buf, sizeof(buf)), 0);
	/* EC keys as app-openpgp reports them: OpenPGP algorithm and the
	 * curve's canonical name, blank unescaped. */
	{
		static const char *const attr[][2] = {
			{ "nistp256", "1 19 NIST P-256" },
			{ "nistp384", "1 19 NIST P-384" },
			{ "ed25519", "1 22 Ed25519" },
		};
		struct card_key ec;

		for (size_t i = 0; i < sizeof(attr) / sizeof(attr[0]); i++) {
			make_key(&ec, "ec", GRIP3, FPR3, attr[i][0], 1);
			assert_int_equal(card_format_keyattr(&ec, 1, buf, sizeof(buf)), 0);
			assert_string_equal(buf, attr[i][1]);
			assert_int_equal(card_format_keypairinfo(&ec, buf, sizeof(buf)), 0);
			assert_non_null(strstr(buf, attr[i][0]));
		}
	}
	assert_int_equal(gpg_err_code(card_format_keypairinfo(&kl.keys[0], buf, 20)),
	                 GPG_ERR_BUFFER_TOO_SHORT);
	assert_string_equal(buf, "");
	assert_int_equal(gpg_err_code(card_format_keyinfo(&kl.keys[0], SN, buf, 41)),
	                 GPG_ERR_BUFFER_TOO_SHORT);
	card_keylist_clear(&kl);
}

static void
test_escape(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(card_status_escape("FFFE 1A2B3C4D", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "FFFE+1A2B3C4D");
	assert_int_equal(card_status_escape("a+b%c\"d\ne\x7f", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "a%2Bb%25c%22d%0Ae%7F");
	assert_int_equal(card_status_escape("", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(gpg_err_code(card_status_escape("abcd", buf, 4)), GPG_ERR_BUFFER_TOO_SHORT);
	assert_string_equal(buf, "");
	assert_int_equal(gpg_err_code(card_status_escape("ab%", buf, 5)), GPG_ERR_BUFFER_TOO_SHORT);
	assert_int_equal(card_status_escape("ab%", buf, 6), 0);
	assert_string_equal(buf, "ab%25");
}

static void
test_set_sexp(void **state)
{
	struct pgpkey *pk = calloc(1, sizeof(*pk));
	struct card_key k;
	uint8_t n[256], e[3] = { 0x01, 0x00, 0x01 };
	char line[CARD_LINE_MAX];

	(void)state;
	assert_non_null(pk);
	/* Any odd 2048-bit number will do for grip and fingerprint. */
	for (size_t i = 0; i < sizeof(n); i++)
		n[i] = (uint8_t)(0xC3 ^ (i * 7));
	n[255] |= 1;
	assert_int_equal(pgpkey_from_rsa(n, sizeof(n), e, sizeof(e), 1732579200, pk), 0);
	snprintf(line, sizeof(line), "rel %s rsa2048 1732579200 %s", pk->grip, pk->fpr);
	assert_int_equal(card_key_parse(line, &k), 0);
	assert_int_equal(card_key_set_sexp(&k, pk->sexp, pk->sexp_len), 0);
	assert_int_equal(k.sexp_len, pk->sexp_len);
	assert_memory_equal(k.sexp, pk->sexp, pk->sexp_len);

	/* Another creation time: the fingerprint no longer matches. */
	snprintf(line, sizeof(line), "rel %s rsa2048 1732579201 %s", pk->grip, pk->fpr);
	assert_int_equal(card_key_parse(line, &k), 0);
	assert_int_equal(gpg_err_code(card_key_set_sexp(&k, pk->sexp, pk->sexp_len)), GPG_ERR_BAD_PUBKEY);
	assert_int_equal(k.sexp_len, 0);
	/* Another grip. */
	snprintf(line, sizeof(line), "rel %s rsa2048 1732579200 %s", GRIP1, pk->fpr);
	assert_int_equal(card_key_parse(line, &k), 0);
	assert_int_equal(gpg_err_code(card_key_set_sexp(&k, pk->sexp, pk->sexp_len)), GPG_ERR_BAD_PUBKEY);
	/* Another size than listed. */
	snprintf(line, sizeof(line), "rel %s rsa3072 1732579200 %s", pk->grip, pk->fpr);
	assert_int_equal(card_key_parse(line, &k), 0);
	assert_int_equal(gpg_err_code(card_key_set_sexp(&k, pk->sexp, pk->sexp_len)), GPG_ERR_BAD_PUBKEY);
	/* Not an S-expression at all. */
	assert_int_not_equal(card_key_set_sexp(&k, (const uint8_t *)"(garbage", 8), 0);
	assert_int_equal(gpg_err_code(card_key_set_sexp(&k, pk->sexp, PGPKEY_MAX_SEXP + 1)),
	                 GPG_ERR_TOO_LARGE);
	free(pk);
}

/* An EC key's READKEY answer is accepted for the type and size policyd
 * listed, and refused for another. */
static void
test_set_sexp_ec(void **state)
{
	struct ecsoft ek;
	const struct pgpkey *pk = &ek.key[0];
	struct card_key k;
	char line[CARD_LINE_MAX];

	(void)state;
	memset(&ek, 0, sizeof(ek));
	assert_true(ecsoft_make_key(&ek, 0, PGPKEY_P256, 1732579200));
	snprintf(line, sizeof(line), "rel %s nistp256 1732579200 %s", pk->grip, pk->fpr);
	assert_int_equal(card_key_parse(line, &k), 0);
	assert_int_equal(card_key_set_sexp(&k, pk->sexp, pk->sexp_len), 0);
	/* listed as another curve or as RSA: refused */
	snprintf(line, sizeof(line), "rel %s nistp384 1732579200 %s", pk->grip, pk->fpr);
	assert_int_equal(card_key_parse(line, &k), 0);
	assert_int_equal(gpg_err_code(card_key_set_sexp(&k, pk->sexp, pk->sexp_len)), GPG_ERR_BAD_PUBKEY);
	snprintf(line, sizeof(line), "rel %s rsa2048 1732579200 %s", pk->grip, pk->fpr);
	assert_int_equal(card_key_parse(line, &k), 0);
	assert_int_equal(gpg_err_code(card_key_set_sexp(&k, pk->sexp, pk->sexp_len)), GPG_ERR_BAD_PUBKEY);
	ecsoft_free(&ek);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_keyref_project),
		cmocka_unit_test(test_keyref_make),
		cmocka_unit_test(test_keygrip),
		cmocka_unit_test(test_two_keys),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_list_ops),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_set_sexp),
		cmocka_unit_test(test_set_sexp_ec),
	};

	gcry_check_version(NULL);
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
