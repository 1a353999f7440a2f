/* sigextract-pgp.c — the OpenPGP signature packet (RFC 4880 §5.2.2 v3,
 * §5.2.3 v4): where its creation time, issuer and MPIs are. */
#include <stdio.h>
#include <string.h>

#include "pgpkey.h"
#include "pgppacket.h"
#include "pgpsig.h"
#include "sigextract-int.h"

#define PGP_ALGO_RSA_SIGN 3
#define PGP_ALGO_DSA      17
#define MAX_PACKETS       16   /* marker, one-pass, signatures … of one file */

/* One subpacket area (§5.2.3.1) of LEN bytes at P; HASHED: whether it is
 * covered by the signature (only then is a creation time believed). */
static gpg_error_t
read_subpackets(const uint8_t *p, size_t len, int hashed, struct sigextract *sx, int *has_time,
                char *why, size_t whylen)
{
	size_t i = 0, n;
	unsigned type;

	while (i < len) {
		if (p[i] < 192) {
			n = p[i];
			i += 1;
		} else if (p[i] < 255) {
			if (len - i < 2)
				break;
			n = ((size_t)(p[i] - 192) << 8) + p[i + 1] + 192;
			i += 2;
		} else {
			if (len - i < 5)
				break;
			n = sigextract_u32(p + i + 1);
			i += 5;
		}
		if (n == 0 || n > len - i)
			break;
		type = p[i] & 0x7f;
		if (type == PGPSIG_SUB_CREATION_TIME && n == 5 && hashed) {
			sx->created = sigextract_u32(p + i + 1);
			*has_time = 1;
		} else if (type == PGPSIG_SUB_ISSUER && n == 9) {
			memcpy(sx->keyid, p + i + 1, 8);
			sx->has_keyid = 1;
		} else if (type == PGPSIG_SUB_ISSUER_FPR && n == 22 && p[i + 1] == 4) {
			memcpy(sx->issuer_fpr, p + i + 2, 20);
			sx->has_fpr = 1;
		}
		i += n;
	}
	if (i != len)
		return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the signature's subpackets are malformed");
	return 0;
}

static size_t
components_of(unsigned algo)
{
	switch (algo) {
	case PGPKEY_ALGO_RSA:
	case PGP_ALGO_RSA_SIGN:
		return 1;
	case PGP_ALGO_DSA:
	case PGPKEY_ALGO_ECDSA:
	case PGPKEY_ALGO_EDDSA:
		return 2;
	default:
		return 0;
	}
}

/* The MPIs from B[POS] to the end of the body, each without leading zero
 * bytes. */
static gpg_error_t
read_mpis(const uint8_t *b, size_t blen, size_t pos, struct sigextract *sx, char *why, size_t whylen)
{
	const uint8_t *m;
	size_t mlen;

	if ((sx->ncomp = components_of(sx->pk_algo)) == 0) {
		snprintf(why, whylen, "public-key algorithm %u is not one Signet signs with "
		         "(RSA, DSA, ECDSA, EdDSA)", sx->pk_algo);
		return gpg_error(GPG_ERR_NOT_SUPPORTED);
	}
	for (size_t c = 0; c < sx->ncomp; c++) {
		if (pgppacket_mpi(b, blen, &pos, &m, &mlen) != 0)
			return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the signature's MPIs are truncated");
		while (mlen > 1 && m[0] == 0) {
			m++;
			mlen--;
		}
		if (mlen > SIGEXTRACT_MAX_MPI)
			return sigextract_fail(GPG_ERR_TOO_LARGE, why, whylen, "a signature MPI is longer than 8192 bits");
		memcpy(sx->comp[c], m, mlen);
		sx->comp_len[c] = mlen;
	}
	if (pos != blen)
		return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "bytes after the signature's MPIs");
	return 0;
}

/* §5.2.2: version 3, hashed length 5, type, time, key ID, algorithms. */
static gpg_error_t
parse_v3(const uint8_t *b, size_t blen, struct sigextract *sx, char *why, size_t whylen)
{
	if (blen < 19 || b[1] != 5)
		return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the v3 signature packet is malformed");
	sx->sig_type = b[2];
	sx->created = sigextract_u32(b + 3);
	memcpy(sx->keyid, b + 7, 8);
	sx->has_keyid = 1;
	sx->pk_algo = b[15];
	sx->hash_algo = b[16];
	memcpy(sx->left16, b + 17, 2);
	return read_mpis(b, blen, 19, sx, why, whylen);
}

static gpg_error_t
parse_v4(const uint8_t *b, size_t blen, struct sigextract *sx, char *why, size_t whylen)
{
	size_t pos = 4, n;
	int has_time = 0;
	gpg_error_t err;

	if (blen < 6)
		return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the signature packet is truncated");
	sx->sig_type = b[1];
	sx->pk_algo = b[2];
	sx->hash_algo = b[3];
	for (int area = 0; area < 2; area++) {
		if (blen - pos < 2)
			return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the signature packet is truncated");
		n = ((size_t)b[pos] << 8) | b[pos + 1];
		pos += 2;
		if (n > blen - pos)
			return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "a subpacket area runs past the packet");
		if ((err = read_subpackets(b + pos, n, area == 0, sx, &has_time, why, whylen)) != 0)
			return err;
		pos += n;
	}
	if (!has_time)
		return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the signature has no hashed creation time");
	if (blen - pos < 2)
		return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "the signature packet is truncated");
	memcpy(sx->left16, b + pos, 2);
	return read_mpis(b, blen, pos + 2, sx, why, whylen);
}

static gpg_error_t
parse_signature(const uint8_t *b, size_t blen, struct sigextract *sx, char *why, size_t whylen)
{
	if (blen < 1)
		return sigextract_fail(GPG_ERR_INV_DATA, why, whylen, "an empty signature packet");
	sx->kind = SIGEXTRACT_OPENPGP;
	sx->version = b[0];
	if (b[0] == 3)
		return parse_v3(b, blen, sx, why, whylen);
	if (b[0] == 4)
		return parse_v4(b, blen, sx, why, whylen);
	snprintf(why, whylen, "a version %u signature packet (only versions 3 and 4 are read)", b[0]);
	return gpg_error(GPG_ERR_NOT_SUPPORTED);
}

gpg_error_t
sigextract_packets(const uint8_t *p, size_t len, struct sigextract *sx, char *why, size_t whylen)
{
	size_t pos = 0, body, blen;
	int tag;

	for (int i = 0; i < MAX_PACKETS && pos < len; i++) {
		if (pgppacket_next(p, len, &pos, &tag, &body, &blen) != 0)
			return sigextract_fail(GPG_ERR_INV_DATA, why, whylen,
			            "the OpenPGP data is malformed or truncated (a packet header or length)");
		if (tag == PGPPACKET_SIGNATURE)
			return parse_signature(p + body, blen, sx, why, whylen);
		if (tag == PGPPACKET_COMPRESSED)
			return sigextract_fail(GPG_ERR_NOT_SUPPORTED, why, whylen,
			            "a compressed OpenPGP message (gpg --sign): give a detached or "
			            "clearsigned signature");
		if (tag != PGPPACKET_MARKER && tag != PGPPACKET_ONEPASS)
			break;
	}
	return sigextract_fail(GPG_ERR_NOT_FOUND, why, whylen, "no OpenPGP signature packet");
}
