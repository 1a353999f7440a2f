/* base64.h — standard base64 (RFC 4648 §4, with padding) over OpenSSL's
 * EVP_EncodeBlock/EVP_DecodeBlock, with explicit lengths.  Decoding is
 * strict: only the canonical encoding of some byte string is accepted (no
 * whitespace, no missing or extra padding, no stray bits in the last
 * character), so one byte string has exactly one accepted spelling. */
#ifndef SIGNET_BASE64_H
#define SIGNET_BASE64_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

/* Characters of the encoding of N bytes (without the NUL). */
#define BASE64_LEN(n) ((((n) + 2) / 3) * 4)

/* Write the encoding of the LEN bytes at IN and a NUL into OUT (OUTLEN
 * bytes; BASE64_LEN(LEN) + 1 do).  GPG_ERR_BUFFER_TOO_SHORT (OUT then
 * holds "" if OUTLEN > 0) or GPG_ERR_TOO_LARGE for LEN over INT_MAX/2. */
gpg_error_t base64_encode(const uint8_t *in, size_t len, char *out, size_t outlen);

/* Decode the INLEN characters at IN into OUT (OUTMAX bytes); *OUTLEN gets
 * the byte count.  GPG_ERR_NO_DATA for INLEN 0, GPG_ERR_INV_DATA for
 * anything but a canonical encoding, GPG_ERR_TOO_LARGE if the result does
 * not fit OUTMAX. */
gpg_error_t base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax, size_t *outlen);

#endif
