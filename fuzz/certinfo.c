/* fuzz/certinfo.c — libFuzzer target: a project certificate as `signet`
 * reads it back from policyd or from the home (agent/certinfo.c; the
 * Makefile needs FUZZ_EXTRA_certinfo := agent/certinfo.c).  Whatever is
 * accepted must be a usable RSA or EC key with a printable user ID, and parsing
 * must not depend on anything but the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../agent/certinfo.h"
#include "gcrypt-init.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct certinfo zero;
	struct certinfo a, b;
	size_t i, ulen;

	if (certinfo_parse(data, size, &a) != 0) {
		/* certinfo.h: refused means zeroed. */
		if (memcmp(&a, &zero, sizeof(a)) != 0)
			__builtin_trap();
		return 0;
	}
	if (size > PGPCERT_MAX || a.key.n_len > PGPKEY_MAX_MODULUS || a.key.q_len > PGPKEY_MAX_Q ||
	    (a.key.type == PGPKEY_RSA ? a.key.bits < 1024 : a.key.bits < 255 || a.key.q_len == 0) ||
	    strlen(a.key.fpr) != 40 || strlen(a.key.grip) != 40)
		__builtin_trap();
	ulen = strnlen(a.uid, sizeof(a.uid));
	if (ulen > PGPCERT_MAX_UID)
		__builtin_trap();
	for (i = 0; i < ulen; i++)
		if ((unsigned char)a.uid[i] < 0x20 || a.uid[i] == 0x7f)
			__builtin_trap();
	if (certinfo_parse(data, size, &b) != 0 || memcmp(&a, &b, sizeof(a)) != 0)
		__builtin_trap();
	return 0;
}
