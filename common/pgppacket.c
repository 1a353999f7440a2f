/* pgppacket.c — see pgppacket.h. */
#include "pgppacket.h"

/* The length of a new-format header at P[I] (§4.2.2): *N, *I past it. */
static gpg_error_t
new_length(const uint8_t *p, size_t len, size_t *i, size_t *n)
{
	size_t j = *i;

	if (j >= len)
		return gpg_error(GPG_ERR_INV_DATA);
	if (p[j] < 192) {
		*n = p[j];
		j += 1;
	} else if (p[j] < 224) {
		if (j + 2 > len)
			return gpg_error(GPG_ERR_INV_DATA);
		*n = ((size_t)(p[j] - 192) << 8) + p[j + 1] + 192;
		j += 2;
	} else if (p[j] == 255) {
		if (j + 5 > len)
			return gpg_error(GPG_ERR_INV_DATA);
		*n = ((size_t)p[j + 1] << 24) | ((size_t)p[j + 2] << 16) | ((size_t)p[j + 3] << 8) | p[j + 4];
		j += 5;
	} else {
		return gpg_error(GPG_ERR_INV_DATA);   /* partial lengths */
	}
	*i = j;
	return 0;
}

gpg_error_t
pgppacket_next(const uint8_t *p, size_t len, size_t *pos, int *tag, size_t *body, size_t *bodylen)
{
	size_t i = *pos, n = 0, hl;
	uint8_t c;
	gpg_error_t err;

	if (i >= len)
		return gpg_error(GPG_ERR_INV_DATA);
	c = p[i++];
	if (!(c & 0x80))
		return gpg_error(GPG_ERR_INV_DATA);
	if (c & 0x40) {
		*tag = c & 0x3f;
		if ((err = new_length(p, len, &i, &n)) != 0)
			return err;
	} else {
		*tag = (c >> 2) & 0x0f;
		switch (c & 3) {
		case 0: hl = 1; break;
		case 1: hl = 2; break;
		case 2: hl = 4; break;
		default: return gpg_error(GPG_ERR_INV_DATA);   /* indeterminate */
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

gpg_error_t
pgppacket_mpi(const uint8_t *p, size_t len, size_t *pos, const uint8_t **mpi, size_t *mpilen)
{
	size_t bits, bytes;

	if (*pos > len || len - *pos < 2)
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
