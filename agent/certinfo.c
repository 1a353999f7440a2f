/* certinfo.c — reading back a project certificate.  The input comes from
 * policyd or a file in the home, but is still parsed with explicit bounds
 * (STYLE §9): every length is checked against what is left. */
#include <stdlib.h>
#include <string.h>

#include "certinfo.h"
#include "readfile.h"

#define PKT_PUBKEY 6
#define PKT_UID    13

/* Read one packet header at *POS (RFC 4880 §4.2, old and new format).
 * *TAG, *BODY (offset) and *BODYLEN out; *POS moves past the packet. */
static gpg_error_t
next_packet(const uint8_t *p, size_t len, size_t *pos, int *tag, size_t *body, size_t *bodylen)
{
	size_t i = *pos, n = 0, hl;
	uint8_t c;

	if (i >= len)
		return gpg_error(GPG_ERR_INV_DATA);
	c = p[i++];
	if (!(c & 0x80))
		return gpg_error(GPG_ERR_INV_DATA);
	if (c & 0x40) {
		*tag = c & 0x3f;
		if (i >= len)
			return gpg_error(GPG_ERR_INV_DATA);
		if (p[i] < 192) {
			n = p[i];
			i += 1;
		} else if (p[i] < 224) {
			if (i + 2 > len)
				return gpg_error(GPG_ERR_INV_DATA);
			n = ((size_t)(p[i] - 192) << 8) + p[i + 1] + 192;
			i += 2;
		} else if (p[i] == 255) {
			if (i + 5 > len)
				return gpg_error(GPG_ERR_INV_DATA);
			n = ((size_t)p[i + 1] << 24) | ((size_t)p[i + 2] << 16) | ((size_t)p[i + 3] << 8) | p[i + 4];
			i += 5;
		} else {
			return gpg_error(GPG_ERR_INV_DATA);   /* partial lengths: never in a key */
		}
	} else {
		*tag = (c >> 2) & 0x0f;
		switch (c & 3) {
		case 0: hl = 1; break;
		case 1: hl = 2; break;
		case 2: hl = 4; break;
		default: return gpg_error(GPG_ERR_INV_DATA);
		}
		if (i + hl > len)
			return gpg_error(GPG_ERR_INV_DATA);
		while (hl--)
			n = (n << 8) | p[i++];
	}
	if (n > len - i)
		return gpg_error(GPG_ERR_INV_DATA);
	*body = i;
	*bodylen = n;
	*pos = i + n;
	return 0;
}

static gpg_error_t
get_mpi(const uint8_t *p, size_t len, size_t *pos, const uint8_t **mpi, size_t *mpilen)
{
	size_t bits, bytes;

	if (*pos + 2 > len)
		return gpg_error(GPG_ERR_INV_DATA);
	bits = ((size_t)p[*pos] << 8) | p[*pos + 1];
	bytes = (bits + 7) / 8;
	*pos += 2;
	if (bytes == 0 || bytes > len - *pos)
		return gpg_error(GPG_ERR_INV_DATA);
	*mpi = p + *pos;
	*mpilen = bytes;
	*pos += bytes;
	return 0;
}

gpg_error_t
certinfo_parse(const uint8_t *cert, size_t len, struct certinfo *ci)
{
	size_t pos = 0, body, blen, bpos;
	const uint8_t *b, *n, *e;
	size_t nlen, elen;
	uint32_t created;
	int tag;
	gpg_error_t err;

	memset(ci, 0, sizeof(*ci));
	if (len > PGPCERT_MAX)
		return gpg_error(GPG_ERR_TOO_LARGE);
	if ((err = next_packet(cert, len, &pos, &tag, &body, &blen)) != 0)
		return err;
	if (tag != PKT_PUBKEY || blen < 6)
		return gpg_error(GPG_ERR_INV_DATA);
	b = cert + body;
	if (b[0] != 4)
		return gpg_error(GPG_ERR_INV_DATA);
	created = ((uint32_t)b[1] << 24) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 8) | b[4];
	if (b[5] != 1 && b[5] != 3)   /* RSA (sign-only also names RSA) */
		return gpg_error(GPG_ERR_PUBKEY_ALGO);
	bpos = 6;
	if ((err = get_mpi(b, blen, &bpos, &n, &nlen)) != 0 ||
	    (err = get_mpi(b, blen, &bpos, &e, &elen)) != 0)
		return err;
	if (bpos != blen)
		return gpg_error(GPG_ERR_INV_DATA);
	if ((err = pgpkey_from_rsa(n, nlen, e, elen, created, &ci->key)) != 0)
		return err;
	while (pos < len) {
		if ((err = next_packet(cert, len, &pos, &tag, &body, &blen)) != 0)
			return err;
		if (tag == PKT_UID && ci->uid[0] == '\0') {
			if (blen > PGPCERT_MAX_UID || memchr(cert + body, 0, blen) != NULL)
				return gpg_error(GPG_ERR_INV_DATA);
			memcpy(ci->uid, cert + body, blen);
			ci->uid[blen] = '\0';
		}
	}
	return 0;
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
