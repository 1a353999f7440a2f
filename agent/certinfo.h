/* certinfo.h — what the command line shows about a project certificate:
 * the primary key's fingerprint (and keygrip) and the first user ID, read
 * back from the transferable public key policyd made (RFC 4880 §11.1). */
#ifndef SIGNET_AGENT_CERTINFO_H
#define SIGNET_AGENT_CERTINFO_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>
#include "pgpcert.h"
#include "pgpkey.h"

struct certinfo {
	struct pgpkey key;                  /* fpr, grip, created, bits */
	char uid[PGPCERT_MAX_UID + 1];      /* "" if none */
};

/* Parse CERT (LEN bytes, at most PGPCERT_MAX): a v4 RSA public-key packet
 * first, then the packets after it; the first user ID packet gives UID.
 * GPG_ERR_INV_DATA for anything malformed or truncated,
 * GPG_ERR_PUBKEY_ALGO for a key that is not RSA. */
gpg_error_t certinfo_parse(const uint8_t *cert, size_t len, struct certinfo *ci);

/* Read the certificate file PATH (regular file, no symlink, at most
 * PGPCERT_MAX bytes) into BUF (BUFMAX), *LEN. */
gpg_error_t certinfo_read_file(const char *path, uint8_t *buf, size_t bufmax, size_t *len);

#endif
