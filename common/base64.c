/* base64.c — strict standard base64 over OpenSSL's block codec. */
#include <limits.h>
#include <string.h>
#include <openssl/evp.h>

#include "base64.h"

/* Decoded bytes are at most this many per call (a bound well above every
 * use: keys, signatures, notes, time-stamp tokens). */
#define BASE64_MAX_IN (INT_MAX / 2)

gpg_error_t
base64_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	if (outlen > 0)
		out[0] = '\0';
	if (len > BASE64_MAX_IN)
		return gpg_error(GPG_ERR_TOO_LARGE);
	if (outlen < BASE64_LEN(len) + 1)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	/* EVP_EncodeBlock writes the NUL itself. */
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return 0;
}

static int
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/';
}

gpg_error_t
base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax, size_t *outlen)
{
	unsigned char buf[3];
	size_t pad = 0, n, full;
	char again[5];

	*outlen = 0;
	if (inlen == 0)
		return gpg_error(GPG_ERR_NO_DATA);
	/* EVP_DecodeBlock skips surrounding white space and takes no padding
	 * rule: check the alphabet, the length and where '=' stands first. */
	if (inlen % 4 != 0 || inlen > BASE64_MAX_IN)
		return gpg_error(GPG_ERR_INV_DATA);
	if (in[inlen - 1] == '=')
		pad = in[inlen - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < inlen - pad; i++)
		if (!b64_char(in[i]))
			return gpg_error(GPG_ERR_INV_DATA);
	n = inlen / 4 * 3 - pad;
	if (n > outmax)
		return gpg_error(GPG_ERR_TOO_LARGE);
	full = inlen / 4 - 1;
	if (full > 0 && EVP_DecodeBlock(out, (const unsigned char *)in, (int)(full * 4)) != (int)(full * 3))
		return gpg_error(GPG_ERR_INV_DATA);
	/* The last quantum through a scratch buffer: OUT may have no room for
	 * the bytes that padding stands for. */
	if (EVP_DecodeBlock(buf, (const unsigned char *)in + full * 4, 4) != 3)
		return gpg_error(GPG_ERR_INV_DATA);
	memcpy(out + full * 3, buf, 3 - pad);
	/* Canonical: the bits after the last byte must be zero, which holds
	 * exactly when the last quantum encodes back to itself. */
	EVP_EncodeBlock((unsigned char *)again, buf, (int)(3 - pad));
	if (memcmp(again, in + full * 4, 4) != 0)
		return gpg_error(GPG_ERR_INV_DATA);
	*outlen = n;
	return 0;
}
