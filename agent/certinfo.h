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

/* Limits of certinfo_parse() beside PGPCERT_MAX (the whole certificate) and
 * PGPCERT_MAX_UID: policyd's certificates have 3 packets. */
#define CERTINFO_MAX_PACKETS 64
#define CERTINFO_MAX_SUBKEYS 16

struct certinfo {
	struct pgpkey key;                  /* the primary: fpr, grip, created, bits */
	char uid[PGPCERT_MAX_UID + 1];      /* "" if none */
	char subfpr[CERTINFO_MAX_SUBKEYS][PGPKEY_FPR_HEX];   /* public-subkey packets, in order */
	size_t nsubs;
};

/* Parse CERT (LEN bytes, untrusted): a v4 RSA public-key packet first,
 * then the packets after it; the first user ID packet gives UID, each
 * public-subkey packet (RSA) a fingerprint in SUBFPR.  Errors
 * (CI is zeroed then):
 *   GPG_ERR_TOO_LARGE    more than PGPCERT_MAX bytes, more than
 *                        CERTINFO_MAX_PACKETS packets or more than
 *                        CERTINFO_MAX_SUBKEYS subkeys;
 *   GPG_ERR_INV_DATA     anything malformed or truncated, and a user ID
 *                        over PGPCERT_MAX_UID bytes or with control
 *                        characters;
 *   GPG_ERR_PUBKEY_ALGO  a key that is not RSA;
 *   GPG_ERR_INV_VALUE    pgpkey_from_rsa(): modulus or exponent out of
 *                        range.
 * Needs libgcrypt initialised (pgpkey.h). */
gpg_error_t certinfo_parse(const uint8_t *cert, size_t len, struct certinfo *ci);

/* Read the certificate file PATH (regular file, no symlink, at most
 * PGPCERT_MAX and at most BUFMAX bytes) into BUF, *LEN: readfile_bounded()'s
 * errors (GPG_ERR_TOO_LARGE past the limit, GPG_ERR_ENOENT if missing). */
gpg_error_t certinfo_read_file(const char *path, uint8_t *buf, size_t bufmax, size_t *len);

/* 1 if FPR is one of the subkeys' fingerprints of CI. */
int certinfo_has_subkey(const struct certinfo *ci, const char *fpr);

#endif

/* 1 if FPR is the primary's or one of the subkeys' fingerprint of CI. */
int certinfo_has_key(const struct certinfo *ci, const char *fpr);
