/* fuzz/p11point.c — libFuzzer target for p11key_point_unwrap(), which
 * reads the CKA_EC_POINT bytes a token hands back: for every key type,
 * what it accepts lies inside the input and has the type's length. */
#include <stddef.h>
#include <stdint.h>

#include "p11key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t want[] = { 0, 0, 65, 97, 32 };
	const uint8_t *q;
	size_t qlen, t;

	if (size > P11KEY_MAX_POINT)
		size = P11KEY_MAX_POINT;
	for (t = P11_KT_NONE; t <= P11_KT_ED25519; t++) {
		q = NULL;
		qlen = 0;
		if (p11key_point_unwrap((enum p11_keytype)t, data, size, &q, &qlen) != 0)
			continue;
		if (want[t] == 0 || qlen != want[t] || q < data || q + qlen > data + size ||
		    (t != P11_KT_ED25519 && q[0] != 0x04))
			__builtin_trap();
	}
	return 0;
}
