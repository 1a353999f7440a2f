/* fuzz/signednote.c — libFuzzer target for what common/signednote and
 * common/base64 read from outside: notes (the trail's checkpoints), verifier
 * keys (P.vkey, --vkey) and base64.  The first byte picks which:
 *   0  the rest as a note, verified with a fixed key (signed notes of that
 *      key are in the seeds) and parsed as a checkpoint
 *   1  the rest as a vkey; one that parses must format back to itself
 *   2  the rest as base64; what decodes must encode back to itself
 *   3  a checkpoint built from the rest, signed with the fixed key: it must
 *      verify and parse back to itself, and no other key may verify it
 * Invariants beyond "no crash": every refusal names its reason; a note that
 * verifies has a text that is a prefix of it ending in a line feed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "base64.h"
#include "signednote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed Ed25519 seed (PeterNeumann's of Go's note tests), so that the
 * corpus notes signed by it stay valid. */
static const uint8_t seed[32] = {
	0x81, 0x0a, 0x14, 0x02, 0xd5, 0x14, 0x6c, 0x8d, 0x84, 0xf2, 0x44, 0x33, 0x30, 0xf5, 0x40, 0x80,
	0xeb, 0xf9, 0x8e, 0xe1, 0x7d, 0x9c, 0x74, 0xf6, 0x25, 0x2f, 0xc5, 0xd5, 0xc7, 0x28, 0x31, 0x73,
};
static const char name[] = "fuzz.example/log";

static EVP_PKEY *key;
static struct note_vkey vk;

static gpg_error_t
sign_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[NOTE_ED25519_SIG])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t n = NOTE_ED25519_SIG;
	int ok = c != NULL && EVP_DigestSignInit(c, NULL, NULL, NULL, ctx) == 1 &&
	         EVP_DigestSign(c, sig, &n, msg, len) == 1;

	EVP_MD_CTX_free(c);
	return ok ? 0 : gpg_error(GPG_ERR_GENERAL);
}

static void
init_key(void)
{
	uint8_t pub[NOTE_ED25519_PUB];
	char s[NOTE_MAX_VKEY];
	size_t n = sizeof(pub);
	const char *why = NULL;

	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
	if (key == NULL || EVP_PKEY_get_raw_public_key(key, pub, &n) != 1 ||
	    note_vkey_format(name, pub, s, sizeof(s)) != 0 || note_vkey_parse(s, strlen(s), &vk, &why) != 0)
		__builtin_trap();
}

static void
fuzz_note(const char *s, size_t size)
{
	struct note_checkpoint cp;
	size_t tlen = 0;
	const char *why = NULL;
	gpg_error_t r;

	r = note_verify(s, size, &vk, &tlen, &why);
	if (r != 0 && why == NULL)
		__builtin_trap();
	if (r == 0 && (tlen == 0 || tlen >= size || s[tlen - 1] != '\n' || s[tlen] != '\n'))
		__builtin_trap();
	why = NULL;
	if (note_checkpoint_verify(s, size, &vk, &cp, &why) != 0 && why == NULL)
		__builtin_trap();
	why = NULL;
	if (note_checkpoint_parse(s, size, &cp, &why) != 0 && why == NULL)
		__builtin_trap();
}

static void
fuzz_vkey(const char *s, size_t size)
{
	struct note_vkey k;
	char out[NOTE_MAX_VKEY];
	const char *why = NULL;

	if (note_vkey_parse(s, size, &k, &why) != 0) {
		if (why == NULL)
			__builtin_trap();
		return;
	}
	if (note_vkey_format(k.name, k.pub, out, sizeof(out)) != 0 || strlen(out) != size ||
	    memcmp(out, s, size) != 0)
		__builtin_trap();
}

static void
fuzz_base64(const char *s, size_t size)
{
	uint8_t out[4096];
	char back[BASE64_LEN(sizeof(out)) + 1];
	size_t n;

	if (base64_decode(s, size, out, sizeof(out), &n) != 0)
		return;
	if (base64_encode(out, n, back, sizeof(back)) != 0 || strlen(back) != size || memcmp(back, s, size) != 0)
		__builtin_trap();
}

static void
fuzz_sign(const uint8_t *data, size_t size)
{
	struct note_checkpoint cp, got;
	struct note_vkey other = vk;
	char *note = NULL;
	size_t len = 0, olen = size > 40 ? size - 40 : 0;
	const char *why = NULL;

	memset(&cp, 0, sizeof(cp));
	if (size < 40)
		return;
	memcpy(&cp.size, data, 8);
	memcpy(cp.root, data + 8, 32);
	if (olen > NOTE_MAX_NAME)
		olen = NOTE_MAX_NAME;
	/* up to a NUL, as a C string: the rest of cp.origin stays zero */
	memcpy(cp.origin, data + 40, strnlen((const char *)data + 40, olen));
	if (note_checkpoint_sign(&cp, name, vk.pub, sign_cb, key, &note, &len) != 0) {
		if (note_name_ok(cp.origin) == 0)
			__builtin_trap();
		return;
	}
	if (note_checkpoint_verify(note, len, &vk, &got, &why) != 0 || memcmp(&got, &cp, sizeof(cp)) != 0)
		__builtin_trap();
	other.pub[data[0] % NOTE_ED25519_PUB] ^= 1;
	if (note_checkpoint_verify(note, len, &other, &got, &why) == 0)
		__builtin_trap();
	free(note);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (key == NULL)
		init_key();
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_note((const char *)data + 1, size - 1);
		break;
	case 1:
		fuzz_vkey((const char *)data + 1, size - 1);
		break;
	case 2:
		fuzz_base64((const char *)data + 1, size - 1);
		break;
	default:
		fuzz_sign(data + 1, size - 1);
	}
	return 0;
}
