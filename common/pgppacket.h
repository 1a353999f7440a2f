/* pgppacket.h — reading OpenPGP packets and MPIs out of untrusted bytes
 * (RFC 4880 §4.2, §3.2), every length checked against what is left.  Used
 * by the certificate reader (agent/certinfo.c) and the signature extractor
 * (sigextract.c). */
#ifndef SIGNET_PGPPACKET_H
#define SIGNET_PGPPACKET_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

/* RFC 4880 §4.3 packet tags read here. */
#define PGPPACKET_SIGNATURE  2
#define PGPPACKET_ONEPASS    4
#define PGPPACKET_PUBKEY     6
#define PGPPACKET_COMPRESSED 8
#define PGPPACKET_MARKER     10
#define PGPPACKET_UID        13
#define PGPPACKET_SUBKEY     14

/* Read one packet header at *POS of P (LEN bytes), old and new format:
 * *TAG, *BODY (offset in P) and *BODYLEN out; *POS moves past the packet.
 * The body must lie within LEN; partial and indeterminate lengths are
 * refused (neither a key nor a signature packet uses them).
 * GPG_ERR_INV_DATA otherwise. */
gpg_error_t pgppacket_next(const uint8_t *p, size_t len, size_t *pos, int *tag, size_t *body,
                           size_t *bodylen);

/* One MPI at *POS of P (LEN bytes): *MPI points into P, *MPILEN bytes (at
 * least 1); *POS moves past it.  GPG_ERR_INV_DATA when it does not fit or
 * is empty. */
gpg_error_t pgppacket_mpi(const uint8_t *p, size_t len, size_t *pos, const uint8_t **mpi,
                          size_t *mpilen);

#endif
