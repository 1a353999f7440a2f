/* percent.c — see percent.h. */
#include "percent.h"

#include "hex.h"

gpg_error_t
percent_encode(const char *in, char *out, size_t outlen)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t o = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		int plain = *p > 0x20 && *p < 0x7f && *p != '%';

		if (o + (plain ? 1 : 3) >= outlen)
			return gpg_error(GPG_ERR_TOO_SHORT);
		if (plain) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = digits[*p >> 4];
			out[o++] = digits[*p & 15];
		}
	}
	if (outlen == 0)
		return gpg_error(GPG_ERR_TOO_SHORT);
	out[o] = '\0';
	return 0;
}

gpg_error_t
percent_decode(char *s)
{
	char *w = s;
	const char *r = s;

	while (*r != '\0') {
		if (*r == '%') {
			int hi = hex_digit_value(r[1]), lo = hi < 0 ? -1 : hex_digit_value(r[2]);

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return gpg_error(GPG_ERR_INV_VALUE);
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return 0;
}
