/* pgpwrite.h — a bounded writer for OpenPGP packets (RFC 4880 §4.2.2, §3.2,
 * §5.2.3.1): every put checks the room left; the first overflow sticks and
 * is reported once, by pgpwrite_done(), so a chain of puts needs one check.
 * Nothing is allocated; the caller owns the buffer. */
#ifndef SIGNET_PGPWRITE_H
#define SIGNET_PGPWRITE_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

struct pgpwrite {
	uint8_t *p;
	size_t max;
	size_t len;          /* bytes written so far */
	int overflow;
};

/* Start writing into BUF (MAX bytes). */
void pgpwrite_init(struct pgpwrite *w, uint8_t *buf, size_t max);

void pgpwrite_bytes(struct pgpwrite *w, const void *data, size_t len);
void pgpwrite_u8(struct pgpwrite *w, unsigned int v);
void pgpwrite_u16(struct pgpwrite *w, unsigned int v);        /* big-endian */
void pgpwrite_u32(struct pgpwrite *w, uint32_t v);            /* big-endian */

/* A packet with a new-format header (§4.2.2), shortest length form. */
void pgpwrite_packet(struct pgpwrite *w, unsigned int tag, const uint8_t *body, size_t len);

/* A signature subpacket (§5.2.3.1): length (1 or 2 octets, below 8384),
 * TYPE, DATA.  A longer one counts as an overflow. */
void pgpwrite_subpacket(struct pgpwrite *w, unsigned int type, const uint8_t *data, size_t len);

/* An MPI (§3.2) of the big-endian number P (leading zeros dropped). */
void pgpwrite_mpi(struct pgpwrite *w, const uint8_t *p, size_t len);

/* 0, or GPG_ERR_BUFFER_TOO_SHORT if anything did not fit. */
gpg_error_t pgpwrite_done(const struct pgpwrite *w);

#endif
