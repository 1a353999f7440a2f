/* fuzz/p11uri.c — libFuzzer target for p11uri_parse() and a format round
 * trip. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "p11uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[P11URI_MAX_LEN + 2];
	char out[P11URI_MAX_LEN * 3 + 64];
	char err[128];
	struct p11uri u, v;

	/* One byte over the limit, so the length check is exercised too. */
	if (size > P11URI_MAX_LEN + 1)
		size = P11URI_MAX_LEN + 1;
	memcpy(s, data, size);
	s[size] = '\0';
	if (p11uri_parse(s, &u, err, sizeof(err)) != 0)
		return 0;
	if (u.has_token && u.has_object &&
	    p11uri_format(u.token, u.object, out, sizeof(out)) == 0) {
		/* What we format, we must parse back to the same names. */
		if (p11uri_parse(out, &v, err, sizeof(err)) != 0 ||
		    strcmp(u.token, v.token) != 0 || strcmp(u.object, v.object) != 0)
			__builtin_trap();
	}
	return 0;
}
