/* hex.c — see hex.h. */
#include "hex.h"

static gpg_error_t
encode(const uint8_t *in, size_t len, char *out, size_t outlen, const char *digits)
{
	size_t i;

	if (out == NULL || outlen == 0)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	out[0] = '\0';
	/* len > (outlen - 1) / 2 avoids computing 2*len+1, which could wrap. */
	if (len > (outlen - 1) / 2)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
	return 0;
}

gpg_error_t
hex_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	return encode(in, len, out, outlen, "0123456789ABCDEF");
}

gpg_error_t
hex_encode_lower(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	return encode(in, len, out, outlen, "0123456789abcdef");
}

int
hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

gpg_error_t
hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax, size_t *outlen)
{
	size_t i;
	int hi, lo;

	if (outlen != NULL)
		*outlen = 0;
	if (inlen == 0)
		return gpg_error(GPG_ERR_NO_DATA);
	if (in == NULL || (inlen % 2) != 0)
		return gpg_error(GPG_ERR_INV_DATA);
	if (inlen / 2 > outmax || out == NULL)
		return gpg_error(GPG_ERR_TOO_LARGE);
	for (i = 0; i < inlen / 2; i++) {
		hi = hex_digit_value(in[2 * i]);
		lo = hex_digit_value(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return gpg_error(GPG_ERR_INV_DATA);
		out[i] = (uint8_t)((hi << 4) | lo);
	}
	if (outlen != NULL)
		*outlen = inlen / 2;
	return 0;
}
