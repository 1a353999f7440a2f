/* pgparmor.h — OpenPGP ASCII armor (RFC 4880 §6.2): its CRC-24 checksum,
 * and reading one armored block back out of a text (a detached
 * signature, a clearsigned message, a git tag) with bounded sizes. */
#ifndef SIGNET_PGPARMOR_H
#define SIGNET_PGPARMOR_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

/* Decoded bytes of one armored block at most (a signature is < 2 KiB; a
 * block of several is still far below). */
#define PGPARMOR_MAX_DATA (64 * 1024)

/* RFC 4880 §6.1 CRC-24 of LEN bytes at P. */
uint32_t pgparmor_crc24(const uint8_t *p, size_t len);

/* Find the last block "-----BEGIN PGP <TYPE>-----" … "-----END PGP
 * <TYPE>-----" whose lines start lines of TEXT (LEN bytes; lines end in LF
 * or CRLF), skip its armor headers, and decode its base64 into OUT
 * (OUTMAX bytes), *OUTLEN.  The checksum line ("=XXXX") is optional; when
 * present it must match.  GPG_ERR_NOT_FOUND: no such block;
 * GPG_ERR_INV_DATA / GPG_ERR_TOO_LARGE / GPG_ERR_CHECKSUM otherwise,
 * with *WHY (a static string) naming the fault. */
gpg_error_t pgparmor_decode(const char *text, size_t len, const char *type, uint8_t *out,
                            size_t outmax, size_t *outlen, const char **why);

#endif
