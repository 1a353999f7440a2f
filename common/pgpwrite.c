/* pgpwrite.c — bounded OpenPGP packet writer; see pgpwrite.h. */
#include <string.h>

#include "pgpwrite.h"

/* RFC 4880 §4.2.2: one octet below 192, two up to 8383. */
#define LEN1_MAX 191
#define LEN2_MAX 8383

void
pgpwrite_init(struct pgpwrite *w, uint8_t *buf, size_t max)
{
	w->p = buf;
	w->max = buf != NULL ? max : 0;
	w->len = 0;
	w->overflow = 0;
}

void
pgpwrite_bytes(struct pgpwrite *w, const void *data, size_t len)
{
	if (w->overflow || len > w->max - w->len) {
		w->overflow = 1;
		return;
	}
	if (len > 0)
		memcpy(w->p + w->len, data, len);
	w->len += len;
}

void
pgpwrite_u8(struct pgpwrite *w, unsigned int v)
{
	uint8_t b = (uint8_t)v;

	pgpwrite_bytes(w, &b, 1);
}

void
pgpwrite_u16(struct pgpwrite *w, unsigned int v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	pgpwrite_bytes(w, b, sizeof(b));
}

void
pgpwrite_u32(struct pgpwrite *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	pgpwrite_bytes(w, b, sizeof(b));
}

/* The one- and two-octet length forms are shared by packet headers and
 * subpackets. */
static void
put_length(struct pgpwrite *w, size_t len)
{
	if (len <= LEN1_MAX) {
		pgpwrite_u8(w, (unsigned int)len);
	} else if (len <= LEN2_MAX) {
		pgpwrite_u8(w, (unsigned int)(((len - 192) >> 8) + 192));
		pgpwrite_u8(w, (unsigned int)((len - 192) & 0xFF));
	} else {
		pgpwrite_u8(w, 0xFF);
		pgpwrite_u32(w, (uint32_t)len);
	}
}

void
pgpwrite_packet(struct pgpwrite *w, unsigned int tag, const uint8_t *body, size_t len)
{
	if (len > UINT32_MAX) {
		w->overflow = 1;
		return;
	}
	pgpwrite_u8(w, 0xC0 | tag);
	put_length(w, len);
	pgpwrite_bytes(w, body, len);
}

void
pgpwrite_subpacket(struct pgpwrite *w, unsigned int type, const uint8_t *data, size_t len)
{
	/* The five-octet form is legal but nothing of ours needs it. */
	if (len + 1 > LEN2_MAX) {
		w->overflow = 1;
		return;
	}
	put_length(w, len + 1);
	pgpwrite_u8(w, type);
	pgpwrite_bytes(w, data, len);
}

void
pgpwrite_mpi(struct pgpwrite *w, const uint8_t *p, size_t len)
{
	unsigned int top, bits = 0;

	while (len > 0 && *p == 0) {
		p++;
		len--;
	}
	if (len > 0) {
		for (top = p[0]; top != 0; top >>= 1)
			bits++;
		bits += (unsigned int)((len - 1) * 8);
	}
	if (len > 0xFFFF / 8) {
		w->overflow = 1;
		return;
	}
	pgpwrite_u16(w, bits);
	pgpwrite_bytes(w, p, len);
}

gpg_error_t
pgpwrite_done(const struct pgpwrite *w)
{
	return w->overflow ? gpg_error(GPG_ERR_BUFFER_TOO_SHORT) : 0;
}
