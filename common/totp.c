/* totp.c — see totp.h. */
#include "totp.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define SHA1_LEN 20

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

gpg_error_t
totp_secret_new(uint8_t secret[TOTP_SECRET_LEN])
{
	if (RAND_bytes(secret, TOTP_SECRET_LEN) != 1)
		return gpg_error(GPG_ERR_INTERNAL);
	return 0;
}

gpg_error_t
totp_base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0, need;
	unsigned int acc = 0, bits = 0;

	if (outlen > 0)
		out[0] = '\0';
	if (len > (SIZE_MAX - 5) / 8)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	need = (len * 8 + 4) / 5 + 1;
	if (outlen < need)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	for (i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	acc = 0;
	return 0;
}

static int
b32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

gpg_error_t
totp_base32_decode(const char *in, uint8_t *out, size_t max, size_t *len)
{
	size_t i, n = strlen(in), o = 0;
	unsigned int acc = 0, bits = 0;
	int v;

	*len = 0;
	/* Lengths 1, 3 and 6 (mod 8) leave bits no byte string encodes to. */
	if (n % 8 == 1 || n % 8 == 3 || n % 8 == 6)
		return gpg_error(GPG_ERR_INV_DATA);
	if (n * 5 / 8 > max)
		return gpg_error(GPG_ERR_TOO_LARGE);
	for (i = 0; i < n; i++) {
		if ((v = b32_value(in[i])) < 0)
			return gpg_error(GPG_ERR_INV_DATA);
		acc = (acc << 5) | (unsigned int)v;
		bits += 5;
		if (bits >= 8) {
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* Canonical only (RFC 4648 §3.5): the bits left over are zero, so
	 * that one secret has one spelling. */
	if ((acc & ((1u << bits) - 1)) != 0) {
		acc = 0;
		return gpg_error(GPG_ERR_INV_DATA);
	}
	acc = 0;
	*len = o;
	return 0;
}

int64_t
totp_step(int64_t now)
{
	/* Floor division: a clock before 1970 is a broken clock, not a crash. */
	return now >= 0 ? now / TOTP_PERIOD : -((-now + TOTP_PERIOD - 1) / TOTP_PERIOD);
}

gpg_error_t
totp_code(const uint8_t *key, size_t keylen, int64_t step, char code[TOTP_CODE_BUF])
{
	uint8_t msg[8], mac[SHA1_LEN];
	size_t maclen = 0, off;
	uint32_t bin;
	uint64_t c = (uint64_t)step;
	int i;

	memset(code, 0, TOTP_CODE_BUF);
	for (i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(c & 0xff);
		c >>= 8;
	}
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key, keylen, msg, sizeof(msg), mac, sizeof(mac),
	              &maclen) == NULL || maclen != SHA1_LEN) {
		explicit_bzero(mac, sizeof(mac));
		return gpg_error(GPG_ERR_INTERNAL);
	}
	/* RFC 4226 §5.3 dynamic truncation. */
	off = mac[SHA1_LEN - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	snprintf(code, TOTP_CODE_BUF, "%06u", (unsigned)(bin % 1000000u));
	explicit_bzero(mac, sizeof(mac));
	bin = 0;
	return 0;
}

int
totp_code_ok(const char *code)
{
	size_t i;

	for (i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	return code[TOTP_DIGITS] == '\0';
}

gpg_error_t
totp_check(const uint8_t *key, size_t keylen, const char *code, int64_t now, int64_t *step)
{
	gpg_error_t r = 0;
	char want[TOTP_CODE_BUF];
	int64_t base = totp_step(now), s, found = 0;
	int ok = totp_code_ok(code), matched = 0, eq;

	*step = 0;
	for (s = base - TOTP_WINDOW; s <= base + TOTP_WINDOW; s++) {
		if ((r = totp_code(key, keylen, s, want)) != 0)
			goto out;
		/* No early exit and no data-dependent branch on the secret
		 * code: a timing side channel must not tell which digits or
		 * which step were right. */
		eq = ok && CRYPTO_memcmp(want, code, TOTP_DIGITS) == 0;
		if (eq && !matched)
			found = s;
		matched |= eq;
	}
	if (!matched) {
		r = gpg_error(GPG_ERR_BAD_PIN);
		goto out;
	}
	*step = found;
	r = 0; /* success */
out:
	explicit_bzero(want, sizeof(want));
	return r;
}

/* Append S to OUT at *O, percent-encoding all but RFC 3986 unreserved. */
static int
put_escaped(char *out, size_t outlen, size_t *o, const char *s)
{
	static const char hexd[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		            (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '~' || *p == '-';
		if (*o + (plain ? 1 : 3) >= outlen)
			return -1;
		if (plain) {
			out[(*o)++] = (char)*p;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hexd[*p >> 4];
			out[(*o)++] = hexd[*p & 15];
		}
	}
	out[*o] = '\0';
	return 0;
}

gpg_error_t
totp_uri(const uint8_t secret[TOTP_SECRET_LEN], const char *user, const char *instance,
         char *out, size_t outlen)
{
	gpg_error_t r;
	char b32[TOTP_B32_BUF];
	size_t o;
	int n;

	if (outlen == 0)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	out[0] = '\0';
	if ((r = totp_base32_encode(secret, TOTP_SECRET_LEN, b32, sizeof(b32))) != 0)
		goto out;
	r = gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	n = snprintf(out, outlen, "otpauth://totp/Signet:");
	if (n < 0 || (size_t)n >= outlen)
		goto out;
	o = (size_t)n;
	if (put_escaped(out, outlen, &o, user) != 0 || o + 1 >= outlen)
		goto out;
	out[o++] = '@';
	out[o] = '\0';
	if (put_escaped(out, outlen, &o, instance) != 0)
		goto out;
	n = snprintf(out + o, outlen - o, "?secret=%s&issuer=Signet&algorithm=SHA1&digits=%d&period=%d",
	             b32, TOTP_DIGITS, TOTP_PERIOD);
	if (n < 0 || (size_t)n >= outlen - o)
		goto out;
	r = 0; /* success */
out:
	if (r != 0)
		explicit_bzero(out, outlen);
	explicit_bzero(b32, sizeof(b32));
	return r;
}
