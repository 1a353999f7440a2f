/* sigextract.h — from the bytes of a signed artefact to the signature
 * value it carries, to find the audit record that issued it (`signet
 * audit prove`, `check-receipt`).
 *
 * Containers read (first match wins):
 *   - an RPM package: lead (magic ed ab ee db), then the signature header
 *     (magic 8e ad e8 01) whose RSAHEADER (268) or DSAHEADER (267) entry —
 *     else the legacy GPG (1005) or PGP (1002) one — holds a binary
 *     OpenPGP signature packet;
 *   - DER: an RFC 3161 TimeStampResp (status granted) or a TimeStampToken
 *     (CMS ContentInfo), as `openssl ts -reply` writes them;
 *   - binary OpenPGP: packets, the first signature packet is taken;
 *   - text: a git commit object (the gpgsig header, its continuation lines
 *     un-indented), else the last "-----BEGIN PGP SIGNATURE-----" block of
 *     the text (a detached armored signature, a clearsigned message, a
 *     .dsc or .changes, a git tag object).  The armor checksum is optional
 *     and checked when present.
 * OpenPGP signature packets of version 3 and 4 are read: RSA (one MPI),
 * DSA, ECDSA and EdDSA (two).  A v4 signature must have a creation time in
 * its hashed area.  Nothing here checks a signature: only where it is.
 * Limits are checked before anything is read past them. */
#ifndef SIGNET_SIGEXTRACT_H
#define SIGNET_SIGEXTRACT_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#define SIGEXTRACT_MAX_INPUT   (64 * 1024 * 1024) /* a file read whole (an RPM: its head only) */
#define SIGEXTRACT_RPM_HEAD    (1024 * 1024)      /* what is read of a larger RPM */
#define SIGEXTRACT_MAX_MPI     1024               /* bytes of one component (RSA-8192) */
#define SIGEXTRACT_MAX_SERIAL  (2 * 20 + 1)       /* RFC 3161 serial: 160 bits, hex, NUL */
#define SIGEXTRACT_MAX_TIME    32                 /* genTime text and NUL */
#define SIGEXTRACT_MAX_IMPRINT 64                 /* SHA-512 */
#define SIGEXTRACT_MAX_WHY     160

enum sigextract_kind {
	SIGEXTRACT_OPENPGP = 1,
	SIGEXTRACT_RFC3161,
};

struct sigextract {
	enum sigextract_kind kind;
	const char *container;     /* "armored signature", "RPM package", … */
	int64_t created;           /* seconds since the epoch: OpenPGP creation time, genTime */
	/* OpenPGP */
	unsigned version, sig_type, pk_algo, hash_algo;
	uint8_t left16[2];         /* the digest's first two bytes */
	int has_fpr, has_keyid;
	uint8_t issuer_fpr[20];
	uint8_t keyid[8];
	size_t ncomp;              /* 1 (RSA) or 2 (r, s) */
	uint8_t comp[2][SIGEXTRACT_MAX_MPI];   /* big-endian, no leading zero bytes */
	size_t comp_len[2];
	/* RFC 3161 */
	char serial[SIGEXTRACT_MAX_SERIAL];    /* upper-case hex, even number of digits */
	char gen_time[SIGEXTRACT_MAX_TIME];    /* as in the token */
	char hash[16];                   /* OpenSSL's short name of the imprint's hash: "SHA256" */
	uint8_t imprint[SIGEXTRACT_MAX_IMPRINT];
	size_t imprint_len;
};

/* Find the signature in the LEN bytes at BUF (untrusted).  0 and *SX
 * filled, or GPG_ERR_INV_DATA (malformed), GPG_ERR_NOT_FOUND (no
 * signature in it), GPG_ERR_TOO_LARGE, GPG_ERR_NOT_SUPPORTED (a kind of
 * signature this does not read), GPG_ERR_CHECKSUM (armor), with WHY
 * (WHYLEN bytes) saying what was wrong.  Needs no libgcrypt; OpenSSL for
 * the DER forms. */
gpg_error_t sigextract_parse(const uint8_t *buf, size_t len, struct sigextract *sx, char *why, size_t whylen);

/* Read the file PATH (no symlink, a regular file; at most SIGEXTRACT_MAX_INPUT
 * bytes, or the first SIGEXTRACT_RPM_HEAD bytes of a larger RPM) and parse it.
 * Errors as sigextract_parse, and the file's own; WHY names PATH. */
gpg_error_t sigextract_parse_file(const char *path, struct sigextract *sx, char *why, size_t whylen);

/* The normalised value of SX (what a receipt records and a record is
 * compared with): OpenPGP: the components in lower-case hex without
 * leading zeros, joined by ':'; RFC 3161: the serial in upper-case hex.
 * Into OUT (OUTLEN; 2 * (2 * SIGEXTRACT_MAX_MPI + 1) always do).
 * GPG_ERR_BUFFER_TOO_SHORT if it does not fit. */
gpg_error_t sigextract_value(const struct sigextract *sx, char *out, size_t outlen);
#define SIGEXTRACT_MAX_VALUE (2 * (2 * SIGEXTRACT_MAX_MPI + 1))

#endif
