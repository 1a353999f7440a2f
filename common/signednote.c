/* signednote.c — C2SP signed notes (Ed25519) carrying C2SP tlog-checkpoints
 * (https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint; read
 * as golang.org/x/mod/sumdb/note reads them, with our limits). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base64.h"
#include "signednote.h"

#define SIG_PREFIX     "\xe2\x80\x94 "   /* U+2014 EM DASH, space */
#define SIG_PREFIX_LEN 4
/* Decoded signature bytes of a line by a key we do not know: other
 * algorithms have other sizes, but none near this. */
#define NOTE_MAX_SIGBYTES 1024
#define KEY_SIG_LEN    (4 + NOTE_ED25519_SIG)
#define CP_MAX_SIZE_DIGITS 20            /* UINT64_MAX has 20 */

static gpg_error_t
refuse(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return gpg_error(GPG_ERR_INV_DATA);
}

int
note_name_ok(const char *name)
{
	size_t n = strnlen(name, NOTE_MAX_NAME + 1);

	if (n == 0 || n > NOTE_MAX_NAME)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (name[i] < 0x21 || name[i] > 0x7e || name[i] == '+')
			return -1;
	return 0;
}

gpg_error_t
note_name_check(const char *name, const char *what, char *err, size_t errlen)
{
	if (note_name_ok(name) == 0)
		return 0;
	snprintf(err, errlen, "%s \"%.*s\": 1 to %d printable ASCII characters, no space, no '+'", what,
	         NOTE_MAX_NAME, name, NOTE_MAX_NAME);
	return gpg_error(GPG_ERR_INV_NAME);
}

uint32_t
note_key_hash(const char *name, const uint8_t pub[NOTE_ED25519_PUB])
{
	uint8_t md[32], tail[2 + NOTE_ED25519_PUB];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned mdlen = 0;
	int ok;

	tail[0] = '\n';
	tail[1] = NOTE_ALG_ED25519;
	memcpy(tail + 2, pub, NOTE_ED25519_PUB);
	ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(c, name, strlen(name)) == 1 && EVP_DigestUpdate(c, tail, sizeof(tail)) == 1 &&
	     EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen == sizeof(md);
	EVP_MD_CTX_free(c);
	/* SHA-256 only fails when out of memory; a zero hash then matches no
	 * signature line's by chance alone, and verification still checks
	 * the signature itself. */
	if (!ok)
		return 0;
	return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
}

gpg_error_t
note_vkey_format(const char *name, const uint8_t pub[NOTE_ED25519_PUB], char *out, size_t outlen)
{
	uint8_t key[1 + NOTE_ED25519_PUB];
	char b64[BASE64_LEN(sizeof(key)) + 1];
	int n;

	if (outlen > 0)
		out[0] = '\0';
	if (note_name_ok(name) != 0)
		return gpg_error(GPG_ERR_INV_NAME);
	key[0] = NOTE_ALG_ED25519;
	memcpy(key + 1, pub, NOTE_ED25519_PUB);
	if (base64_encode(key, sizeof(key), b64, sizeof(b64)) != 0)
		return gpg_error(GPG_ERR_INTERNAL);
	n = snprintf(out, outlen, "%s+%08" PRIx32 "+%s", name, note_key_hash(name, pub), b64);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	}
	return 0;
}

/* Exactly 8 lower-case hex digits (as written by every implementation;
 * another spelling would be a second name for the same key). */
static int
parse_hash8(const char *s, uint32_t *h)
{
	*h = 0;
	for (int i = 0; i < 8; i++) {
		int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else
			return -1;
		*h = *h << 4 | (uint32_t)d;
	}
	return 0;
}

gpg_error_t
note_vkey_parse(const char *s, size_t len, struct note_vkey *k, const char **why)
{
	const char *p1, *p2;
	uint8_t key[1 + NOTE_ED25519_PUB + 3];
	size_t nlen, klen;

	memset(k, 0, sizeof(*k));
	if (len == 0)
		return refuse(why, "empty verifier key");
	if (len > NOTE_MAX_VKEY)
		return refuse(why, "verifier key too long");
	if (memchr(s, '\0', len) != NULL)
		return refuse(why, "verifier key contains a NUL byte");
	if ((p1 = memchr(s, '+', len)) == NULL ||
	    (p2 = memchr(p1 + 1, '+', len - (size_t)(p1 + 1 - s))) == NULL)
		return refuse(why, "verifier key is not name+hash+key");
	nlen = (size_t)(p1 - s);
	if (nlen == 0 || nlen > NOTE_MAX_NAME)
		return refuse(why, "verifier key's name is empty or too long");
	memcpy(k->name, s, nlen);
	k->name[nlen] = '\0';
	if (note_name_ok(k->name) != 0)
		return refuse(why, "verifier key's name has a character other than printable ASCII or a '+'");
	if (p2 - p1 - 1 != 8 || parse_hash8(p1 + 1, &k->hash) != 0)
		return refuse(why, "verifier key's hash is not 8 lower-case hex digits");
	if (base64_decode(p2 + 1, len - (size_t)(p2 + 1 - s), key, sizeof(key), &klen) != 0)
		return refuse(why, "verifier key's key is not canonical base64");
	if (klen == 0 || key[0] != NOTE_ALG_ED25519)
		return refuse(why, "verifier key's algorithm is not Ed25519 (1)");
	if (klen != 1 + NOTE_ED25519_PUB)
		return refuse(why, "verifier key's Ed25519 key is not 32 bytes");
	memcpy(k->pub, key + 1, NOTE_ED25519_PUB);
	if (note_key_hash(k->name, k->pub) != k->hash)
		return refuse(why, "verifier key's hash does not match its name and key");
	return 0;
}

/* Length of the valid UTF-8 sequence at S (N bytes left), 0 if none:
 * shortest form only, no surrogates, nothing above U+10FFFF (RFC 3629 §4). */
static size_t
utf8_seq(const uint8_t *s, size_t n)
{
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* C2SP: the whole note is UTF-8 without control characters but the line
 * feed, and ends in one. */
static gpg_error_t
check_bytes(const char *note, size_t len, const char **why)
{
	const uint8_t *s = (const uint8_t *)note;

	if (len == 0)
		return refuse(why, "empty note");
	if (len > NOTE_MAX_LEN)
		return refuse(why, "note longer than 8192 bytes");
	if (memchr(note, '\0', len) != NULL)
		return refuse(why, "note contains a NUL byte");
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(s + i, len - i);

		if (n == 0)
			return refuse(why, "note is not valid UTF-8");
		if (n == 1 && ((s[i] < 0x20 && s[i] != '\n') || s[i] == 0x7f))
			return refuse(why, "note contains a control character");
		i += n;
	}
	if (note[len - 1] != '\n')
		return refuse(why, "note does not end in a line feed");
	return 0;
}

/* The text ends at the last blank line (as Go's reader splits). */
static gpg_error_t
split_note(const char *note, size_t len, size_t *textlen, const char **why)
{
	gpg_error_t r;

	if ((r = check_bytes(note, len, why)) != 0)
		return r;
	for (size_t i = len - 1; i > 0; i--)
		if (note[i] == '\n' && note[i - 1] == '\n') {
			*textlen = i;
			if (i == len - 1)
				return refuse(why, "note has no signature line after its blank line");
			return 0;
		}
	return refuse(why, "note has no blank line before its signatures");
}

struct sig_line {
	const char *name;
	size_t namelen;
	uint32_t hash;
	uint8_t sig[NOTE_MAX_SIGBYTES];
	size_t siglen;
};

/* One signature line, LINE (LEN bytes, no line feed): "— name base64". */
static gpg_error_t
parse_sig_line(const char *line, size_t len, struct sig_line *sl, const char **why)
{
	const char *sp;
	size_t blen;

	if (len < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
		return refuse(why, "signature line does not start with an em dash and a space");
	line += SIG_PREFIX_LEN;
	len -= SIG_PREFIX_LEN;
	if ((sp = memchr(line, ' ', len)) == NULL)
		return refuse(why, "signature line has no space between name and signature");
	sl->name = line;
	sl->namelen = (size_t)(sp - line);
	if (sl->namelen == 0)
		return refuse(why, "signature line has an empty key name");
	if (sl->namelen > NOTE_MAX_NAME)
		return refuse(why, "signature line's key name is longer than 128 bytes");
	/* Go's rule for any name: no space (it ends at the first), no '+';
	 * the UTF-8 and control character checks ran over the whole note. */
	if (memchr(sl->name, '+', sl->namelen) != NULL)
		return refuse(why, "signature line's key name contains '+'");
	blen = len - sl->namelen - 1;
	if (blen > BASE64_LEN(NOTE_MAX_SIGBYTES))
		return refuse(why, "signature line's signature is too long");
	if (base64_decode(sp + 1, blen, sl->sig, sizeof(sl->sig), &sl->siglen) != 0)
		return refuse(why, "signature line's signature is not canonical base64");
	if (sl->siglen < 5)
		return refuse(why, "signature line's signature is shorter than a key hash and one byte");
	sl->hash = (uint32_t)sl->sig[0] << 24 | (uint32_t)sl->sig[1] << 16 | (uint32_t)sl->sig[2] << 8 |
	           sl->sig[3];
	return 0;
}

static int
ed25519_verify(const uint8_t pub[NOTE_ED25519_PUB], const uint8_t *msg, size_t len,
               const uint8_t sig[NOTE_ED25519_SIG])
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, NOTE_ED25519_PUB);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = 0;

	/* Ed25519 is one-shot: no digest, EVP_DigestVerify over the message. */
	if (pk != NULL && c != NULL && EVP_DigestVerifyInit(c, NULL, NULL, NULL, pk) == 1)
		ok = EVP_DigestVerify(c, sig, NOTE_ED25519_SIG, msg, len) == 1;
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(pk);
	return ok;
}

gpg_error_t
note_verify(const char *note, size_t len, const struct note_vkey *key, size_t *textlen, const char **why)
{
	struct sig_line sl;
	size_t tlen = 0, off, nsigs = 0, klen = strnlen(key->name, sizeof(key->name));
	int found = 0;
	gpg_error_t r;

	if (textlen != NULL)
		*textlen = 0;
	if ((r = split_note(note, len, &tlen, why)) != 0)
		return r;
	for (off = tlen + 1; off < len;) {
		const char *nl = memchr(note + off, '\n', len - off); /* found: the note ends in one */
		size_t llen = (size_t)(nl - (note + off));

		if (++nsigs > NOTE_MAX_SIGS)
			return refuse(why, "note has more than 16 signature lines");
		if ((r = parse_sig_line(note + off, llen, &sl, why)) != 0)
			return r;
		off += llen + 1;
		/* Another key's line (another name, or another key under this
		 * name): not ours to check. */
		if (sl.namelen != klen || memcmp(sl.name, key->name, klen) != 0 || sl.hash != key->hash)
			continue;
		if (found)
			return refuse(why, "note has two signature lines by the key");
		found = 1;
		/* A line that says it is the key's and is not a good signature
		 * (of any length) is a bad signature, as Go has it. */
		if (sl.siglen != KEY_SIG_LEN) {
			if (why != NULL)
				*why = "the key's signature is not 64 bytes";
			return gpg_error(GPG_ERR_BAD_SIGNATURE);
		}
		if (!ed25519_verify(key->pub, (const uint8_t *)note, tlen, sl.sig + 4)) {
			if (why != NULL)
				*why = "the key's signature does not verify over the note's text";
			return gpg_error(GPG_ERR_BAD_SIGNATURE);
		}
	}
	if (!found) {
		if (why != NULL)
			*why = "note has no signature line by the key (name and key hash)";
		return gpg_error(GPG_ERR_BAD_SIGNATURE);
	}
	if (textlen != NULL)
		*textlen = tlen;
	return 0;
}

/* The size line: decimal, no sign, no leading zero but "0" itself. */
static int
parse_size(const char *s, size_t len, uint64_t *v)
{
	*v = 0;
	if (len == 0 || len > CP_MAX_SIZE_DIGITS || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || *v > (UINT64_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	return 0;
}

/* The checkpoint in TEXT (LEN bytes, ending in a line feed): origin, size,
 * root, then extension lines, none of them empty. */
static gpg_error_t
parse_checkpoint_text(const char *text, size_t len, struct note_checkpoint *cp, const char **why)
{
	const char *line[3];
	size_t llen[3], off = 0, n = 0;

	memset(cp, 0, sizeof(*cp));
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l;

		if (nl == NULL)
			return refuse(why, "checkpoint text does not end in a line feed");
		l = (size_t)(nl - (text + off));
		if (l == 0)
			return refuse(why, "checkpoint text has an empty line");
		if (n < 3) {
			line[n] = text + off;
			llen[n] = l;
		}
		n++;
		off += l + 1;
	}
	if (n < 3)
		return refuse(why, "checkpoint text has fewer than three lines (origin, size, root)");
	if (llen[0] > NOTE_MAX_NAME)
		return refuse(why, "checkpoint origin is longer than 128 bytes");
	if (parse_size(line[1], llen[1], &cp->size) != 0)
		return refuse(why, "checkpoint size is not a decimal number without leading zeros below 2^64");
	{
		uint8_t root[sizeof(cp->root) + 3];
		size_t rlen;

		if (base64_decode(line[2], llen[2], root, sizeof(root), &rlen) != 0)
			return refuse(why, "checkpoint root is not canonical base64");
		if (rlen != sizeof(cp->root))
			return refuse(why, "checkpoint root is not 32 bytes");
		memcpy(cp->root, root, sizeof(cp->root));
	}
	memcpy(cp->origin, line[0], llen[0]);
	cp->origin[llen[0]] = '\0';
	return 0;
}

gpg_error_t
note_checkpoint_parse(const char *note, size_t len, struct note_checkpoint *cp, const char **why)
{
	size_t tlen = 0;
	gpg_error_t r;

	memset(cp, 0, sizeof(*cp));
	if ((r = split_note(note, len, &tlen, why)) != 0)
		return r;
	return parse_checkpoint_text(note, tlen, cp, why);
}

gpg_error_t
note_checkpoint_verify(const char *note, size_t len, const struct note_vkey *key, struct note_checkpoint *cp,
                       const char **why)
{
	struct note_checkpoint tmp;
	size_t tlen = 0;
	gpg_error_t r;

	if (cp != NULL)
		memset(cp, 0, sizeof(*cp));
	if ((r = note_verify(note, len, key, &tlen, why)) != 0)
		return r;
	if (cp == NULL)
		return 0;
	if ((r = parse_checkpoint_text(note, tlen, &tmp, why)) != 0)
		return r;
	*cp = tmp;
	return 0;
}

gpg_error_t
note_sign(const char *text, size_t textlen, const char *name, const uint8_t pub[NOTE_ED25519_PUB],
          note_sign_fn sign, void *ctx, char **note, size_t *len)
{
	uint8_t sig[KEY_SIG_LEN];
	char b64[BASE64_LEN(KEY_SIG_LEN) + 1];
	struct note_vkey key;
	char *buf = NULL;
	size_t cap, n = 0;
	uint32_t h;
	const char *why = NULL;
	gpg_error_t r;

	*note = NULL;
	*len = 0;
	if (note_name_ok(name) != 0)
		return gpg_error(GPG_ERR_INV_NAME);
	if (textlen == 0 || text[textlen - 1] != '\n' || memchr(text, '\0', textlen) != NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	cap = textlen + 1 + SIG_PREFIX_LEN + strlen(name) + 1 + sizeof(b64) + 1;
	if (cap > NOTE_MAX_LEN + 1)
		return gpg_error(GPG_ERR_TOO_LARGE);
	h = note_key_hash(name, pub);
	sig[0] = (uint8_t)(h >> 24);
	sig[1] = (uint8_t)(h >> 16);
	sig[2] = (uint8_t)(h >> 8);
	sig[3] = (uint8_t)h;
	if ((r = sign(ctx, (const uint8_t *)text, textlen, sig + 4)) != 0)
		goto out;
	if ((r = base64_encode(sig, sizeof(sig), b64, sizeof(b64))) != 0)
		goto out;
	if ((buf = malloc(cap)) == NULL) {
		r = gpg_error_from_syserror();
		goto out;
	}
	memcpy(buf, text, textlen);
	n = textlen + (size_t)snprintf(buf + textlen, cap - textlen, "\n" SIG_PREFIX "%s %s\n", name, b64);
	/* Check what the HSM made before it goes into the trail: a wrong key
	 * or a broken signature found now, not by the first verifier. */
	memset(&key, 0, sizeof(key));
	memcpy(key.name, name, strlen(name) + 1);
	key.hash = h;
	memcpy(key.pub, pub, NOTE_ED25519_PUB);
	if ((r = note_verify(buf, n, &key, NULL, &why)) != 0) {
		r = gpg_error(GPG_ERR_BAD_SIGNATURE);
		goto out;
	}
	*note = buf;
	*len = n;
	buf = NULL;
	r = 0; /* success */
out:
	free(buf);
	OPENSSL_cleanse(sig, sizeof(sig));
	return r;
}

gpg_error_t
note_checkpoint_sign(const struct note_checkpoint *cp, const char *name, const uint8_t pub[NOTE_ED25519_PUB],
                     note_sign_fn sign, void *ctx, char **note, size_t *len)
{
	char text[NOTE_MAX_NAME + 1 + CP_MAX_SIZE_DIGITS + 1 + BASE64_LEN(32) + 2];
	char root[BASE64_LEN(32) + 1];
	int n;

	*note = NULL;
	*len = 0;
	/* Written origins follow the key name's rule, stricter than what
	 * the reader takes (any non-empty line). */
	if (note_name_ok(cp->origin) != 0)
		return gpg_error(GPG_ERR_INV_NAME);
	if (base64_encode(cp->root, sizeof(cp->root), root, sizeof(root)) != 0)
		return gpg_error(GPG_ERR_INTERNAL);
	n = snprintf(text, sizeof(text), "%s\n%" PRIu64 "\n%s\n", cp->origin, cp->size, root);
	if (n < 0 || (size_t)n >= sizeof(text))
		return gpg_error(GPG_ERR_INTERNAL);
	return note_sign(text, (size_t)n, name, pub, sign, ctx, note, len);
}

gpg_error_t
note_signer_check(const char *name, const uint8_t pub[NOTE_ED25519_PUB], note_sign_fn sign, void *ctx)
{
	static const char text[] = "signet audit key self-test\n";
	char *note = NULL;
	size_t len = 0;
	gpg_error_t r = note_sign(text, sizeof(text) - 1, name, pub, sign, ctx, &note, &len);

	free(note);
	return r;
}
