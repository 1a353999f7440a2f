/* test_signednote.c — common/signednote (C2SP signed notes, Ed25519,
 * tlog-checkpoint text) and common/base64.
 *
 * Published vectors: golang.org/x/mod/sumdb/note's note_test.go (read in
 * golang/mod at sumdb/note/note_test.go): the PeterNeumann and EnochRoot
 * verifier keys, PeterNeumann's private key, and the signed note of the
 * Peter Neumann quote.  Our reader must accept their notes and refuse
 * their manglings of the key; our writer, given PeterNeumann's key (in
 * software, through the signing callback as the HSM is used), must write
 * their note byte for byte (Ed25519 is deterministic).
 *
 * Then round trips with a fresh software Ed25519 key, and the attacks: a
 * wrong key hash, a signature by another key, a changed text byte, no
 * blank line, duplicate and overlong lines, NUL and control bytes, bad
 * UTF-8, non-canonical base64, malformed checkpoint text (size with a
 * leading zero, roots of 31 and 33 bytes, ...) signed by the right key,
 * and too many signature lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "base64.h"
#include "signednote.h"

static const char peter_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
/* PRIVATE+KEY+PeterNeumann+c74f20a3+<this>: 0x01 || the Ed25519 seed. */
static const char peter_skey_b64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char quote[] = "If you think cryptography is the answer to your problem,\n"
                            "then you don't know what your problem is.\n";
static const char peter_sig[] = "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1F"
                                "FYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_sig[] = "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1"
                                "aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

static const char origin[] = "signet.0123abcd/policyd";

/* The signing callback over a software key, as the HSM's is used. */
static gpg_error_t
soft_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[NOTE_ED25519_SIG])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t siglen = NOTE_ED25519_SIG;
	int ok;

	ok = c != NULL && EVP_DigestSignInit(c, NULL, NULL, NULL, ctx) == 1 &&
	     EVP_DigestSign(c, sig, &siglen, msg, len) == 1 && siglen == NOTE_ED25519_SIG;
	EVP_MD_CTX_free(c);
	return ok ? 0 : gpg_error(GPG_ERR_GENERAL);
}

/* A signer that signs something else: what a confused token would do. */
static gpg_error_t
wrong_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[NOTE_ED25519_SIG])
{
	(void)msg;
	(void)len;
	return soft_sign(ctx, (const uint8_t *)"other\n", 6, sig);
}

static EVP_PKEY *
new_key(uint8_t pub[NOTE_ED25519_PUB])
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	size_t n = NOTE_ED25519_PUB;

	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &n), 1);
	assert_int_equal(n, NOTE_ED25519_PUB);
	return k;
}

static void
make_vkey(const char *name, const uint8_t pub[NOTE_ED25519_PUB], struct note_vkey *k)
{
	char s[NOTE_MAX_VKEY];
	const char *why = NULL;

	assert_int_equal(note_vkey_format(name, pub, s, sizeof(s)), 0);
	assert_int_equal(note_vkey_parse(s, strlen(s), k, &why), 0);
}

static gpg_err_code_t
verify(const char *note, size_t len, const struct note_vkey *k, struct note_checkpoint *cp, const char **why)
{
	*why = NULL;
	return gpg_err_code(note_checkpoint_verify(note, len, k, cp, why));
}

/* ---- base64 */

static void
test_base64(void **state)
{
	(void)state;
	uint8_t out[8];
	char enc[16];
	size_t n;

	assert_int_equal(base64_encode((const uint8_t *)"f", 1, enc, sizeof(enc)), 0);
	assert_string_equal(enc, "Zg==");
	assert_int_equal(base64_encode((const uint8_t *)"foob", 4, enc, sizeof(enc)), 0);
	assert_string_equal(enc, "Zm9vYg==");
	assert_int_equal(gpg_err_code(base64_encode((const uint8_t *)"foob", 4, enc, 8)), GPG_ERR_BUFFER_TOO_SHORT);
	assert_string_equal(enc, "");
	assert_int_equal(base64_decode("Zm9vYmFy", 8, out, sizeof(out), &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(base64_decode("Zm9vYg==", 8, out, 4, &n), 0); /* exact fit */
	assert_int_equal(n, 4);
	assert_int_equal(base64_decode("Zm8=", 4, out, sizeof(out), &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(gpg_err_code(base64_decode("Zm9vYg==", 8, out, 3, &n)), GPG_ERR_TOO_LARGE);
	assert_int_equal(gpg_err_code(base64_decode("", 0, out, sizeof(out), &n)), GPG_ERR_NO_DATA);
	/* Not canonical, or not base64 at all. */
	static const char *const bad[] = {
		"Zg=", "Zg", "Zh==", "Zm9=", "Z===", "====", "Zg==Zg==", " Zg=", "Zg= ", "Zg=\n", "Zm9v\n",
		"Zm-v", "Zm_v", "Z=g=", "Zm9vYmFy====",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 99;
		if (gpg_err_code(base64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n)) != GPG_ERR_INV_DATA)
			fail_msg("base64 \"%s\" accepted", bad[i]);
		assert_int_equal(n, 0);
	}
}

/* ---- Go's vectors */

static void
test_go_vkey(void **state)
{
	(void)state;
	struct note_vkey k;
	char s[NOTE_MAX_VKEY], b[sizeof(peter_vkey)];
	const char *why = NULL;
	size_t len = strlen(peter_vkey);

	assert_int_equal(note_vkey_parse(peter_vkey, len, &k, &why), 0);
	assert_string_equal(k.name, "PeterNeumann");
	assert_int_equal(k.hash, 0xc74f20a3);
	assert_int_equal(note_key_hash(k.name, k.pub), 0xc74f20a3);
	assert_int_equal(note_vkey_format(k.name, k.pub, s, sizeof(s)), 0);
	assert_string_equal(s, peter_vkey);
	assert_int_equal(gpg_err_code(note_vkey_format(k.name, k.pub, s, len)), GPG_ERR_BUFFER_TOO_SHORT);
	assert_int_equal(note_vkey_parse(enoch_vkey, strlen(enoch_vkey), &k, &why), 0);
	assert_int_equal(k.hash, 0xaf0cfe78);

	/* Go's manglings: every proper substring, every byte plus one. */
	for (size_t i = 0; i <= len; i++)
		for (size_t j = i + 1; j <= len; j++) {
			if (i == 0 && j == len)
				continue;
			why = NULL;
			if (note_vkey_parse(peter_vkey + i, j - i, &k, &why) == 0 || why == NULL)
				fail_msg("vkey [%zu,%zu) accepted", i, j);
		}
	memcpy(b, peter_vkey, sizeof(b));
	for (size_t i = 0; i < len; i++) {
		b[i]++;
		if (note_vkey_parse(b, len, &k, &why) == 0)
			fail_msg("vkey with byte %zu + 1 accepted", i);
		b[i]--;
	}
	/* Wrong key length, unknown algorithm (key hashes adjusted). */
	static const char *const bad[] = {
		"PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
		"PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(gpg_err_code(note_vkey_parse(bad[i], strlen(bad[i]), &k, &why)), GPG_ERR_INV_DATA);
	assert_int_equal(gpg_err_code(note_vkey_parse("a\0b+c74f20a3+x", 14, &k, &why)), GPG_ERR_INV_DATA);
	assert_string_equal(why, "verifier key contains a NUL byte");
}

static char *
cat3(const char *a, const char *b, const char *c, size_t *len)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);

	assert_non_null(s);
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	*len = la + lb + lc;
	return s;
}

static void
test_go_note(void **state)
{
	(void)state;
	struct note_vkey peter, enoch;
	struct note_checkpoint cp;
	const char *why = NULL;
	char *note, sigs[512];
	size_t len, tlen = 0;

	assert_int_equal(note_vkey_parse(peter_vkey, strlen(peter_vkey), &peter, &why), 0);
	assert_int_equal(note_vkey_parse(enoch_vkey, strlen(enoch_vkey), &enoch, &why), 0);
	note = cat3(quote, "\n", peter_sig, &len);
	assert_int_equal(note_verify(note, len, &peter, &tlen, &why), 0);
	assert_int_equal(tlen, strlen(quote));
	assert_int_equal(verify(note, len, &peter, NULL, &why), 0);
	/* Signed, but not a checkpoint. */
	assert_int_equal(verify(note, len, &peter, &cp, &why), GPG_ERR_INV_DATA);
	assert_non_null(why);
	assert_int_equal(verify(note, len, &enoch, NULL, &why), GPG_ERR_BAD_SIGNATURE);
	free(note);

	/* Two signers: each key finds its line, the other's is skipped. */
	snprintf(sigs, sizeof(sigs), "%s%s", peter_sig, enoch_sig);
	note = cat3(quote, "\n", sigs, &len);
	assert_int_equal(verify(note, len, &peter, NULL, &why), 0);
	assert_int_equal(verify(note, len, &enoch, NULL, &why), 0);
	free(note);

	/* Go's corrupted signature: "ABCD" inside Peter's base64. */
	snprintf(sigs, sizeof(sigs), "%.60sABCD%s", peter_sig, peter_sig + 60);
	note = cat3(quote, "\n", sigs, &len);
	assert_int_equal(verify(note, len, &peter, NULL, &why), GPG_ERR_BAD_SIGNATURE);
	assert_string_equal(why, "the key's signature is not 64 bytes");
	free(note);
}

static void
test_go_sign(void **state)
{
	(void)state;
	uint8_t skey[1 + 32 + 2], pub[NOTE_ED25519_PUB];
	struct note_vkey peter;
	const char *why = NULL;
	EVP_PKEY *k;
	char *note = NULL, *want;
	size_t n, len = 0, wlen;

	assert_int_equal(base64_decode(peter_skey_b64, strlen(peter_skey_b64), skey, sizeof(skey), &n), 0);
	assert_int_equal(n, 33);
	assert_int_equal(skey[0], NOTE_ALG_ED25519);
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, skey + 1, 32);
	assert_non_null(k);
	n = sizeof(pub);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &n), 1);
	assert_int_equal(note_vkey_parse(peter_vkey, strlen(peter_vkey), &peter, &why), 0);
	assert_memory_equal(pub, peter.pub, sizeof(pub));

	assert_int_equal(note_sign(quote, strlen(quote), "PeterNeumann", pub, soft_sign, k, &note, &len), 0);
	want = cat3(quote, "\n", peter_sig, &wlen);
	assert_int_equal(len, wlen);
	assert_string_equal(note, want);
	free(note);
	free(want);

	/* Go's bad inputs: no final line feed, a name with '+'. */
	assert_int_equal(gpg_err_code(note_sign("abc", 3, "PeterNeumann", pub, soft_sign, k, &note, &len)),
	                 GPG_ERR_INV_VALUE);
	assert_null(note);
	assert_int_equal(gpg_err_code(note_sign(quote, strlen(quote), "a+b", pub, soft_sign, k, &note, &len)),
	                 GPG_ERR_INV_NAME);
	/* A signer whose signature does not verify never yields a note. */
	assert_int_equal(gpg_err_code(note_sign(quote, strlen(quote), "PeterNeumann", pub, wrong_sign, k, &note,
	                                        &len)),
	                 GPG_ERR_BAD_SIGNATURE);
	assert_null(note);
	assert_int_equal(len, 0);
	EVP_PKEY_free(k);
}

/* ---- Round trips */

static void
test_roundtrip(void **state)
{
	(void)state;
	static const uint64_t sizes[] = {0, 1, 9, 10, 1000, UINT64_MAX};
	uint8_t pub[NOTE_ED25519_PUB];
	struct note_checkpoint cp, got;
	struct note_vkey vk;
	EVP_PKEY *k = new_key(pub);
	const char *why = NULL;
	char *note = NULL;
	size_t len = 0;

	make_vkey(origin, pub, &vk);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&cp, 0, sizeof(cp));
		snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
		cp.size = sizes[i];
		for (size_t j = 0; j < sizeof(cp.root); j++)
			cp.root[j] = (uint8_t)(i * 37 + j);
		assert_int_equal(note_checkpoint_sign(&cp, origin, pub, soft_sign, k, &note, &len), 0);
		assert_int_equal(strlen(note), len);
		assert_int_equal(verify(note, len, &vk, &got, &why), 0);
		assert_memory_equal(&got, &cp, sizeof(cp));
		memset(&got, 0xff, sizeof(got));
		assert_int_equal(note_checkpoint_parse(note, len, &got, &why), 0);
		assert_memory_equal(&got, &cp, sizeof(cp));
		free(note);
	}
	/* The size line as the spec has it. */
	cp.size = 0;
	assert_int_equal(note_checkpoint_sign(&cp, origin, pub, soft_sign, k, &note, &len), 0);
	assert_non_null(strstr(note, "/policyd\n0\n"));
	free(note);
	/* What the writer refuses to write. */
	snprintf(cp.origin, sizeof(cp.origin), "has space");
	assert_int_equal(gpg_err_code(note_checkpoint_sign(&cp, origin, pub, soft_sign, k, &note, &len)),
	                 GPG_ERR_INV_NAME);
	assert_int_equal(note_name_ok(""), -1);
	assert_int_equal(note_name_ok("a+b"), -1);
	assert_int_equal(note_name_ok("a\x7f"), -1);
	assert_int_equal(note_name_ok("caf\xc3\xa9"), -1);
	{
		char longname[NOTE_MAX_NAME + 2];

		memset(longname, 'a', sizeof(longname) - 1);
		longname[NOTE_MAX_NAME + 1] = '\0';
		assert_int_equal(note_name_ok(longname), -1);
		longname[NOTE_MAX_NAME] = '\0';
		assert_int_equal(note_name_ok(longname), 0);
		/* The longest name still makes a vkey that fits. */
		char s[NOTE_MAX_VKEY];
		assert_int_equal(note_vkey_format(longname, pub, s, sizeof(s)), 0);
		assert_true(strlen(s) < NOTE_MAX_VKEY);
	}
	EVP_PKEY_free(k);
}

/* ---- Attacks */

struct world {
	EVP_PKEY *k, *other;
	uint8_t pub[NOTE_ED25519_PUB], opub[NOTE_ED25519_PUB];
	struct note_vkey vk;
	char *note;
	size_t len, tlen;
};

static int
setup(void **state)
{
	static struct world w;
	struct note_checkpoint cp;

	memset(&w, 0, sizeof(w));
	w.k = new_key(w.pub);
	w.other = new_key(w.opub);
	make_vkey(origin, w.pub, &w.vk);
	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
	cp.size = 4242;
	memset(cp.root, 0xa5, sizeof(cp.root));
	assert_int_equal(note_checkpoint_sign(&cp, origin, w.pub, soft_sign, w.k, &w.note, &w.len), 0);
	w.tlen = (size_t)(strstr(w.note, "\n\n") - w.note) + 1;
	*state = &w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	free(w->note);
	EVP_PKEY_free(w->k);
	EVP_PKEY_free(w->other);
	return 0;
}

/* The signature line of w's key over TEXT, with key hash HASH and signed
 * by KEY: "— origin base64\n" into LINE. */
static void
sig_line(EVP_PKEY *key, const char *text, uint32_t hash, char *line, size_t linelen)
{
	uint8_t sig[4 + NOTE_ED25519_SIG];
	char b64[BASE64_LEN(sizeof(sig)) + 1];

	sig[0] = (uint8_t)(hash >> 24);
	sig[1] = (uint8_t)(hash >> 16);
	sig[2] = (uint8_t)(hash >> 8);
	sig[3] = (uint8_t)hash;
	assert_int_equal(soft_sign(key, (const uint8_t *)text, strlen(text), sig + 4), 0);
	assert_int_equal(base64_encode(sig, sizeof(sig), b64, sizeof(b64)), 0);
	snprintf(line, linelen, "\xe2\x80\x94 %s %s\n", origin, b64);
}

static void
expect(const struct world *w, const char *note, size_t len, gpg_err_code_t code, const char *reason)
{
	const char *why = NULL;
	struct note_checkpoint cp;
	gpg_err_code_t got = verify(note, len, &w->vk, &cp, &why);

	if (got != code)
		fail_msg("%s: got %s, want %s (why: %s)", reason, gpg_strerror(got), gpg_strerror(code),
		         why ? why : "(none)");
	if (code != 0 && why == NULL)
		fail_msg("%s: refused without a reason", reason);
	if (code != 0)
		printf("  refused (%s): %s\n", reason, why);
}

static void
test_wrong_key(void **state)
{
	struct world *w = *state;
	char text[256], line[256], *note;
	size_t len;

	memcpy(text, w->note, w->tlen);
	text[w->tlen] = '\0';
	expect(w, w->note, w->len, 0, "the good note");
	/* Right key, wrong key hash: not a line by our key at all. */
	sig_line(w->k, text, w->vk.hash ^ 1, line, sizeof(line));
	note = cat3(text, "\n", line, &len);
	expect(w, note, len, GPG_ERR_BAD_SIGNATURE, "wrong key hash");
	free(note);
	/* Another key claiming our name and key hash. */
	sig_line(w->other, text, w->vk.hash, line, sizeof(line));
	note = cat3(text, "\n", line, &len);
	expect(w, note, len, GPG_ERR_BAD_SIGNATURE, "another key's signature under our hash");
	free(note);
	/* Another key under our name with its own hash: skipped, so absent. */
	sig_line(w->other, text, note_key_hash(origin, w->opub), line, sizeof(line));
	note = cat3(text, "\n", line, &len);
	expect(w, note, len, GPG_ERR_BAD_SIGNATURE, "another key under our name");
	free(note);
}

static void
test_changed_text(void **state)
{
	struct world *w = *state;
	char *note = malloc(w->len + 1);

	assert_non_null(note);
	for (size_t i = 0; i < w->len; i++) {
		const char *why = NULL;
		gpg_err_code_t got;

		memcpy(note, w->note, w->len + 1);
		note[i] ^= 0x01;
		got = verify(note, w->len, &w->vk, NULL, &why);
		if (got == 0 || why == NULL)
			fail_msg("note with byte %zu changed accepted", i);
		if (i < w->tlen - 1 && note[i] != '\n' && w->note[i] != '\n' && got != GPG_ERR_BAD_SIGNATURE)
			fail_msg("text byte %zu changed: %s (%s)", i, gpg_strerror(got), why);
	}
	free(note);
}

/* Each case: the good note with one edit, and what must come of it. */
static void
test_malformed(void **state)
{
	struct world *w = *state;
	char text[256], sig[256], other[256], buf[NOTE_MAX_LEN + 512];
	size_t siglen;

	memcpy(text, w->note, w->tlen);
	text[w->tlen] = '\0';
	snprintf(sig, sizeof(sig), "%s", w->note + w->tlen + 1);
	siglen = strlen(sig);
	/* another key's well-formed line: 68 zero bytes */
	{
		uint8_t zero[68] = {0};
		char b64[BASE64_LEN(sizeof(zero)) + 1];

		assert_int_equal(base64_encode(zero, sizeof(zero), b64, sizeof(b64)), 0);
		snprintf(other, sizeof(other), "\xe2\x80\x94 witness.example %s\n", b64);
	}

#define CASE(code, reason, ...)                                                                                \
	do {                                                                                                   \
		int n_ = snprintf(buf, sizeof(buf), __VA_ARGS__);                                              \
		assert_true(n_ > 0 && (size_t)n_ < sizeof(buf));                                               \
		expect(w, buf, (size_t)n_, code, reason);                                                      \
	} while (0)

	CASE(0, "another key's line first", "%s\n%s%s", text, other, sig);
	CASE(0, "another key's line after", "%s\n%s%s", text, sig, other);
	CASE(GPG_ERR_INV_DATA, "missing blank line", "%s%s", text, sig);
	/* the text then ends in a blank line, which the key did not sign */
	CASE(GPG_ERR_BAD_SIGNATURE, "two blank lines", "%s\n\n%s", text, sig);
	CASE(GPG_ERR_INV_DATA, "blank line at the end", "%s\n%s\n", text, sig);
	CASE(GPG_ERR_INV_DATA, "duplicate signature line", "%s\n%s%s", text, sig, sig);
	CASE(GPG_ERR_INV_DATA, "no line feed at the end", "%s\n%.*s", text, (int)siglen - 1, sig);
	CASE(GPG_ERR_INV_DATA, "no signature line", "%s\n", text);
	CASE(GPG_ERR_INV_DATA, "hyphen for the em dash", "%s\n- %s", text, sig + 4);
	CASE(GPG_ERR_INV_DATA, "no space after the name", "%s\n\xe2\x80\x94 %s\n", text, origin);
	CASE(GPG_ERR_INV_DATA, "empty name", "%s\n\xe2\x80\x94  AAAAAAAA\n", text);
	CASE(GPG_ERR_INV_DATA, "name with +", "%s\n\xe2\x80\x94 a+b AAAAAAAA\n%s", text, sig);
	CASE(GPG_ERR_INV_DATA, "signature too short", "%s\n\xe2\x80\x94 a AAAA\n%s", text, sig);
	CASE(GPG_ERR_INV_DATA, "two spaces", "%s\n\xe2\x80\x94 %s  %s", text, origin, sig + 5 + strlen(origin));
	CASE(GPG_ERR_INV_DATA, "trailing space", "%s\n%.*s \n", text, (int)siglen - 1, sig);
	CASE(GPG_ERR_INV_DATA, "carriage return", "%s\n%.*s\r\n", text, (int)siglen - 1, sig);
	CASE(GPG_ERR_INV_DATA, "tab in text", "%.*s\t\n\n%s", (int)w->tlen - 1, text, sig);
	CASE(GPG_ERR_INV_DATA, "DEL in text", "%.*s\x7f\n\n%s", (int)w->tlen - 1, text, sig);
	CASE(GPG_ERR_INV_DATA, "overlong UTF-8", "%.*s\xc0\xae\n\n%s", (int)w->tlen - 1, text, sig);
	CASE(GPG_ERR_INV_DATA, "UTF-8 surrogate", "%.*s\xed\xa0\x80\n\n%s", (int)w->tlen - 1, text, sig);
	CASE(GPG_ERR_INV_DATA, "UTF-8 above U+10FFFF", "%.*s\xf4\x90\x80\x80\n\n%s", (int)w->tlen - 1, text, sig);
	CASE(GPG_ERR_INV_DATA, "truncated UTF-8", "%s\n%s\xe2\x80", text, sig);
	/* The signature's base64 made non-canonical: padding dropped, or the
	 * last character's unused bits set (68 bytes: 2 bits unused). */
	CASE(GPG_ERR_INV_DATA, "signature without padding", "%s\n%.*s\n", text, (int)siglen - 2, sig);
	{
		char s2[256];
		char *eq;

		snprintf(s2, sizeof(s2), "%s", sig);
		eq = strchr(s2, '=');
		assert_non_null(eq);
		eq[-1] = eq[-1] == 'z' ? 'y' : (char)(eq[-1] + 1); /* low bits now differ */
		CASE(GPG_ERR_INV_DATA, "signature non-canonical base64", "%s\n%s", text, s2);
	}
	{
		char longname[NOTE_MAX_NAME + 2];

		memset(longname, 'n', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		CASE(GPG_ERR_INV_DATA, "overlong name", "%s\n\xe2\x80\x94 %s AAAAAAAA\n%s", text, longname, sig);
	}
	{
		char big[2048];

		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		CASE(GPG_ERR_INV_DATA, "overlong signature", "%s\n\xe2\x80\x94 x %s\n%s", text, big, sig);
	}
	/* NUL, through the length. */
	memcpy(buf, w->note, w->len);
	buf[3] = '\0';
	expect(w, buf, w->len, GPG_ERR_INV_DATA, "NUL in text");
	/* Over NOTE_MAX_LEN: refused before anything is read. */
	memset(buf, 'x', NOTE_MAX_LEN + 1);
	expect(w, buf, NOTE_MAX_LEN + 1, GPG_ERR_INV_DATA, "longer than NOTE_MAX_LEN");
	expect(w, buf, 0, GPG_ERR_INV_DATA, "empty");
#undef CASE
}

static void
test_too_many_sigs(void **state)
{
	struct world *w = *state;
	char buf[NOTE_MAX_LEN];
	size_t off, olen;
	const char *other = "\xe2\x80\x94 witness AAAAAAAA\n";

	olen = strlen(other);
	/* NOTE_MAX_SIGS lines in all (ours last): read. */
	memcpy(buf, w->note, w->tlen + 1);
	off = w->tlen + 1;
	for (int i = 0; i < NOTE_MAX_SIGS - 1; i++, off += olen)
		memcpy(buf + off, other, olen);
	memcpy(buf + off, w->note + w->tlen + 1, w->len - w->tlen - 1);
	off += w->len - w->tlen - 1;
	expect(w, buf, off, 0, "16 signature lines");
	/* One more: refused, however good ours is. */
	memmove(buf + w->tlen + 1 + olen, buf + w->tlen + 1, off - w->tlen - 1);
	memcpy(buf + w->tlen + 1, other, olen);
	expect(w, buf, off + olen, GPG_ERR_INV_DATA, "17 signature lines");
}

/* Checkpoint texts signed by the right key that must not parse. */
static void
test_bad_checkpoints(void **state)
{
	struct world *w = *state;
	uint8_t r31[31], r33[33];
	char b31[64], b33[64], ok[64], noncanon[64], text[512];
	/* origin, size and root lines (NULL: no such line) */
	const struct {
		const char *origin, *size, *root, *reason;
	} cases[] = {
		{origin, "01", ok, "size with a leading zero"},
		{origin, "00", ok, "size 00"},
		{origin, "+1", ok, "size with a sign"},
		{origin, "-1", ok, "negative size"},
		{origin, "", ok, "empty size"},
		{origin, "1 ", ok, "size with a space"},
		{origin, "18446744073709551616", ok, "size 2^64"},
		{origin, "99999999999999999999", ok, "size of 20 nines"},
		{origin, "0x10", ok, "hex size"},
		{origin, "1", NULL, "no root line"},
		{"", "1", ok, "empty origin"},
		{origin, "5", b31, "root of 31 bytes"},
		{origin, "5", b33, "root of 33 bytes"},
		{origin, "5", noncanon, "root non-canonical base64"},
		{origin, "5", "", "empty root"},
	};
	const char *why = NULL;
	struct note_checkpoint cp;
	char *note = NULL;
	size_t len = 0;

	memset(r31, 7, sizeof(r31));
	memset(r33, 7, sizeof(r33));
	assert_int_equal(base64_encode(r31, sizeof(r31), b31, sizeof(b31)), 0);
	assert_int_equal(base64_encode(r33, sizeof(r33), b33, sizeof(b33)), 0);
	assert_int_equal(base64_encode(r33, 32, ok, sizeof(ok)), 0);
	snprintf(noncanon, sizeof(noncanon), "%s", ok);
	noncanon[42] = (char)(noncanon[42] + 1); /* 32 bytes: 2 unused bits in char 43 */

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].root != NULL)
			snprintf(text, sizeof(text), "%s\n%s\n%s\n", cases[i].origin, cases[i].size, cases[i].root);
		else
			snprintf(text, sizeof(text), "%s\n%s\n", cases[i].origin, cases[i].size);
		assert_int_equal(note_sign(text, strlen(text), origin, w->pub, soft_sign, w->k, &note, &len), 0);
		expect(w, note, len, GPG_ERR_INV_DATA, cases[i].reason);
		assert_int_equal(gpg_err_code(note_checkpoint_parse(note, len, &cp, &why)), GPG_ERR_INV_DATA);
		free(note);
	}
	/* Extension lines are read (and ignored); empty ones are not. */
	snprintf(text, sizeof(text), "%s\n5\n%s\nextension one\nx\n", origin, ok);
	assert_int_equal(note_sign(text, strlen(text), origin, w->pub, soft_sign, w->k, &note, &len), 0);
	expect(w, note, len, 0, "extension lines");
	assert_int_equal(verify(note, len, &w->vk, &cp, &why), 0);
	assert_int_equal(cp.size, 5);
	assert_string_equal(cp.origin, origin);
	free(note);
	snprintf(text, sizeof(text), "%s\n5\n%s\n\nx\n", origin, ok);
	assert_int_equal(note_sign(text, strlen(text), origin, w->pub, soft_sign, w->k, &note, &len), 0);
	expect(w, note, len, GPG_ERR_INV_DATA, "blank line among extension lines");
	free(note);
	/* An origin longer than we keep. */
	{
		char longo[NOTE_MAX_NAME + 2];

		memset(longo, 'o', sizeof(longo) - 1);
		longo[sizeof(longo) - 1] = '\0';
		snprintf(text, sizeof(text), "%s\n5\n%s\n", longo, ok);
		assert_int_equal(note_sign(text, strlen(text), origin, w->pub, soft_sign, w->k, &note, &len), 0);
		expect(w, note, len, GPG_ERR_INV_DATA, "origin over 128 bytes");
		free(note);
	}
}

int
main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_go_vkey),
		cmocka_unit_test(test_go_note),
		cmocka_unit_test(test_go_sign),
		cmocka_unit_test(test_roundtrip),
	};
	const struct CMUnitTest attacks[] = {
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_changed_text),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_many_sigs),
		cmocka_unit_test(test_bad_checkpoints),
	};

	return cmocka_run_group_tests(plain, NULL, NULL) || cmocka_run_group_tests(attacks, setup, teardown);
}
