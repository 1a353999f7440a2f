/* fuzz/hex.c — libFuzzer target for hex_decode() and an encode round trip. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "hex.h"

/* SETDATA carries at most a 1000-byte line. */
#define FUZZ_MAX_HEX 1000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[FUZZ_MAX_HEX + 1];
	char again[FUZZ_MAX_HEX + 1];
	uint8_t out[FUZZ_MAX_HEX / 2];
	size_t n;

	if (size > FUZZ_MAX_HEX)
		size = FUZZ_MAX_HEX;
	memcpy(in, data, size);
	in[size] = '\0';
	/* A buffer too small for some inputs, to exercise GPG_ERR_TOO_LARGE. */
	(void)hex_decode(in, size, out, sizeof(out) / 2, &n);
	if (hex_decode(in, size, out, sizeof(out), &n) != 0)
		return 0;
	if (n * 2 != size || hex_encode(out, n, again, sizeof(again)) != 0 ||
	    strcasecmp(again, in) != 0)
		__builtin_trap();
	return 0;
}
