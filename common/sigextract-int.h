/* sigextract-int.h — the parts of sigextract.c that live in their own
 * files: the OpenPGP signature packet and the RFC 3161 DER forms. */
#ifndef SIGNET_SIGEXTRACT_INT_H
#define SIGNET_SIGEXTRACT_INT_H

#include "sigextract.h"

/* Put MSG into WHY and return CODE as a gpg_error_t (sigextract.c). */
gpg_error_t sigextract_fail(gpg_err_code_t code, char *why, size_t whylen, const char *msg);
/* The big-endian 32-bit number at P. */
uint32_t sigextract_u32(const uint8_t *p);

/* The OpenPGP packets at P (LEN bytes): the first signature packet into
 * *SX (sigextract-pgp.c). */
gpg_error_t sigextract_packets(const uint8_t *p, size_t len, struct sigextract *sx, char *why,
                               size_t whylen);

/* A DER TimeStampResp or TimeStampToken into *SX; GPG_ERR_NOT_FOUND when
 * P is neither (sigextract-tsp.c). */
gpg_error_t sigextract_der(const uint8_t *p, size_t len, struct sigextract *sx, char *why,
                           size_t whylen);

#endif
