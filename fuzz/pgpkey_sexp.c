/* fuzz/pgpkey_sexp.c — libFuzzer target: a public-key S-expression as
 * signet-scd receives it (pgpkey_from_sexp: RSA, NIST P-256/P-384,
 * Ed25519).  Whatever is accepted must
 * re-parse to the same key (the rebuilt sexp is a fixed point). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pgpkey.h"
#include "gcrypt-init.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgpkey a, b;

	if (pgpkey_from_sexp(data, size, 1577836800, &a) != 0)
		return 0;
	if (a.sexp_len == 0 || a.sexp_len > sizeof(a.sexp) ||
	    (a.type == PGPKEY_RSA ? a.bits < 1024 : a.bits < 255 || a.q_len == 0) ||
	    strlen(a.grip) != 40 || strlen(a.fpr) != 40)
		__builtin_trap();
	if (pgpkey_from_sexp(a.sexp, a.sexp_len, a.created, &b) != 0 ||
	    memcmp(&a, &b, sizeof(a)) != 0)
		__builtin_trap();
	return 0;
}
