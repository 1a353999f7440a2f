/* certinfo.c — reading back a project certificate.  The input comes from
 * policyd or a file in the home, but is still parsed with explicit bounds
 * (STYLE §9): every length is checked against what is left. */
#include <stdlib.h>
#include <string.h>

#include "certinfo.h"
#include "pgppacket.h"
#include "readfile.h"

/* The public-key packet: version, creation time and algorithm, then two
 * MPIs whose sizes pgpkey_from_rsa() bounds (PGPKEY_MAX_MODULUS, 16-byte
 * exponent). */
#define CERTINFO_PUBKEY_HEAD 6

/* The curve OID and point of an ECDSA or EdDSA key body (RFC 6637 §9)
 * from B[BPOS] on. */
static gpg_error_t
parse_ec(const uint8_t *b, size_t blen, size_t bpos, uint32_t created, struct pgpkey *key)
{
	enum pgpkey_type type;
	const uint8_t *q;
	size_t oid_len, qlen;
	gpg_error_t err;

	if (bpos >= blen || (oid_len = b[bpos]) == 0 || oid_len > blen - bpos - 1)
		return gpg_error(GPG_ERR_INV_DATA);
	if ((type = pgpkey_type_by_oid(b[CERTINFO_PUBKEY_HEAD - 1], b + bpos + 1, oid_len)) == PGPKEY_NONE)
		return gpg_error(GPG_ERR_PUBKEY_ALGO);
	bpos += 1 + oid_len;
	if ((err = pgppacket_mpi(b, blen, &bpos, &q, &qlen)) != 0)
		return err;
	if (bpos != blen)
		return gpg_error(GPG_ERR_INV_DATA);
	return pgpkey_from_ec(type, q, qlen, created, key);
}

/* The v4 public-key packet body B (BLEN bytes), RFC 4880 §5.5.2: RSA, or
 * the ECDSA and EdDSA keys Signet makes. */
static gpg_error_t
parse_pubkey(const uint8_t *b, size_t blen, struct pgpkey *key)
{
	const uint8_t *n, *e;
	size_t nlen, elen, bpos;
	uint32_t created;
	gpg_error_t err;

	if (blen < CERTINFO_PUBKEY_HEAD || b[0] != 4)
		return gpg_error(GPG_ERR_INV_DATA);
	created = ((uint32_t)b[1] << 24) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 8) | b[4];
	bpos = CERTINFO_PUBKEY_HEAD;
	if (b[5] == PGPKEY_ALGO_ECDSA || b[5] == PGPKEY_ALGO_EDDSA)
		return parse_ec(b, blen, bpos, created, key);
	if (b[5] != 1 && b[5] != 3)   /* RSA (sign-only also names RSA) */
		return gpg_error(GPG_ERR_PUBKEY_ALGO);
	if ((err = pgppacket_mpi(b, blen, &bpos, &n, &nlen)) != 0 ||
	    (err = pgppacket_mpi(b, blen, &bpos, &e, &elen)) != 0)
		return err;
	if (bpos != blen)
		return gpg_error(GPG_ERR_INV_DATA);
	return pgpkey_from_rsa(n, nlen, e, elen, created, key);
}

/* A user ID is shown on the terminal: no NUL and no control characters
 * (the rule pgpcert_build() applies when it makes one). */
static int
uid_ok(const uint8_t *u, size_t len)
{
	size_t i;

	if (len > PGPCERT_MAX_UID)
		return 0;
	for (i = 0; i < len; i++)
		if (u[i] < 0x20 || u[i] == 0x7f)
			return 0;
	return 1;
}

static gpg_error_t
add_subkey(struct certinfo *ci, const uint8_t *b, size_t blen)
{
	struct pgpkey sub;
	gpg_error_t err;

	if (ci->nsubs >= CERTINFO_MAX_SUBKEYS)
		return gpg_error(GPG_ERR_TOO_LARGE);
	if ((err = parse_pubkey(b, blen, &sub)) != 0)
		return err;
	memcpy(ci->subfpr[ci->nsubs++], sub.fpr, PGPKEY_FPR_HEX);
	return 0;
}

int
certinfo_has_subkey(const struct certinfo *ci, const char *fpr)
{
	size_t i;

	for (i = 0; i < ci->nsubs; i++)
		if (strcmp(ci->subfpr[i], fpr) == 0)
			return 1;
	return 0;
}

gpg_error_t
certinfo_parse(const uint8_t *cert, size_t len, struct certinfo *ci)
{
	size_t pos = 0, body, blen, npackets = 1;
	int tag;
	gpg_error_t err;

	memset(ci, 0, sizeof(*ci));
	if (len > PGPCERT_MAX)
		return gpg_error(GPG_ERR_TOO_LARGE);
	if ((err = pgppacket_next(cert, len, &pos, &tag, &body, &blen)) != 0)
		return err;
	if (tag != PGPPACKET_PUBKEY)
		return gpg_error(GPG_ERR_INV_DATA);
	if ((err = parse_pubkey(cert + body, blen, &ci->key)) != 0)
		goto out;
	while (pos < len) {
		if (++npackets > CERTINFO_MAX_PACKETS) {
			err = gpg_error(GPG_ERR_TOO_LARGE);
			goto out;
		}
		if ((err = pgppacket_next(cert, len, &pos, &tag, &body, &blen)) != 0)
			goto out;
		if (tag == PGPPACKET_UID && ci->uid[0] == '\0') {
			if (!uid_ok(cert + body, blen)) {
				err = gpg_error(GPG_ERR_INV_DATA);
				goto out;
			}
			memcpy(ci->uid, cert + body, blen);
			ci->uid[blen] = '\0';
		} else if (tag == PGPPACKET_SUBKEY && (err = add_subkey(ci, cert + body, blen)) != 0) {
			goto out;
		}
	}
	err = 0; /* success */
out:
	if (err != 0)
		memset(ci, 0, sizeof(*ci));
	return err;
}

gpg_error_t
certinfo_read_file(const char *path, uint8_t *buf, size_t bufmax, size_t *len)
{
	char *data = NULL;
	size_t dlen = 0;
	gpg_error_t err;

	*len = 0;
	err = readfile_bounded(path, bufmax < PGPCERT_MAX ? bufmax : PGPCERT_MAX, &data, &dlen, NULL, 0);
	if (err == 0) {
		memcpy(buf, data, dlen);
		*len = dlen;
	}
	free(data);
	return err;
}
