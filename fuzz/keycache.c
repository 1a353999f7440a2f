/* fuzz/keycache.c — libFuzzer target: signet-scd's key cache file parsed
 * from memory (scdaemon-shim/keycache.c; the Makefile needs
 * FUZZ_EXTRA_keycache := scdaemon-shim/keycache.c scdaemon-shim/card.c).
 *
 * An input whose first byte is odd gets a valid header in front of the
 * rest, so that most runs reach the KEY lines instead of dying on line 1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


#include "keycache.h"
#include "gcrypt-init.h"

#define FUZZ_SERIAL "D276000124010304FFFE1A2B3C4D0000"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char header[] = KEYCACHE_MAGIC FUZZ_SERIAL "\n";
	struct card_keylist kl = { NULL, 0 };
	char err[KEYCACHE_ERR_MAX];
	char *buf = NULL;
	size_t len, i, j;
	gpg_error_t e;

	if (size == 0)
		return 0;
	len = size - 1;
	if ((data[0] & 1) != 0)
		len += sizeof(header) - 1;
	if ((buf = malloc(len + 1)) == NULL)
		return 0;
	if ((data[0] & 1) != 0) {
		memcpy(buf, header, sizeof(header) - 1);
		memcpy(buf + sizeof(header) - 1, data + 1, size - 1);
	} else {
		memcpy(buf, data + 1, size - 1);
	}

	e = keycache_parse_buffer("fuzz.keys", buf, len, FUZZ_SERIAL, &kl, err, sizeof(err));
	if (e == 0) {
		/* What loaded must satisfy keycache.h: bounded, unique, every
		 * key with its checked public key. */
		if (kl.nkeys > KEYCACHE_MAX_KEYS || (kl.nkeys > 0 && kl.keys == NULL))
			__builtin_trap();
		for (i = 0; i < kl.nkeys; i++) {
			if (kl.keys[i].sexp_len == 0 || kl.keys[i].sexp_len > PGPKEY_MAX_SEXP ||
			    !card_is_keygrip(kl.keys[i].grip))
				__builtin_trap();
			for (j = i + 1; j < kl.nkeys; j++) {
				if (strcmp(kl.keys[i].grip, kl.keys[j].grip) == 0 ||
				    strcmp(kl.keys[i].project, kl.keys[j].project) == 0)
					__builtin_trap();
			}
		}
	} else if (kl.nkeys != 0 || kl.keys != NULL ||
	           memchr(err, '\0', sizeof(err)) == NULL ||
	           (gpg_err_code(e) != GPG_ERR_ENOMEM && err[0] == '\0')) {
		/* A refusal leaves nothing behind and says why. */
		__builtin_trap();
	}
	card_keylist_clear(&kl);
	free(buf);
	return 0;
}
