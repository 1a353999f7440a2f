/* fuzz/totp.c — libFuzzer target for totp_base32_decode() (with an
 * encode round trip) and totp_check() of arbitrary codes: what a client
 * sends as --otp, and what a URI carries. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "totp.h"

#define FUZZ_MAX_B32 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[TOTP_SECRET_LEN] = "12345678901234567890";
	char in[FUZZ_MAX_B32 + 1], again[FUZZ_MAX_B32 + 2];
	uint8_t out[FUZZ_MAX_B32];
	int64_t step;
	size_t n;

	if (size > FUZZ_MAX_B32)
		size = FUZZ_MAX_B32;
	memcpy(in, data, size);
	in[size] = '\0';
	/* A code: wrong or right, never a crash; the step only when right. */
	if (totp_check(key, sizeof(key), in, 59, &step) == 0 && (step < 0 || step > 2))
		__builtin_trap();
	/* Too small a buffer for some inputs: GPG_ERR_TOO_LARGE. */
	(void)totp_base32_decode(in, out, 4, &n);
	if (totp_base32_decode(in, out, sizeof(out), &n) != 0)
		return 0;
	/* A decoded string encodes back to the input (upper case). */
	if (totp_base32_encode(out, n, again, sizeof(again)) != 0 || strlen(again) != strlen(in) ||
	    strcasecmp(again, in) != 0)
		__builtin_trap();
	return 0;
}
