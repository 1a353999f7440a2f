/* hex.h — hexadecimal encoding with explicit lengths. */
#ifndef SIGNET_HEX_H
#define SIGNET_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

/* Write 2*LEN upper-case hex digits and a NUL into OUT (OUTLEN bytes).
 * Returns GPG_ERR_BUFFER_TOO_SHORT if OUTLEN < 2*LEN+1 (OUT then holds ""). */
gpg_error_t hex_encode(const uint8_t *in, size_t len, char *out, size_t outlen);
/* Same, lower case (for JSON audit records). */
gpg_error_t hex_encode_lower(const uint8_t *in, size_t len, char *out, size_t outlen);

/* The value (0-15) of the hex digit C, either case; -1 for anything else. */
int hex_digit_value(char c);

/* Decode the hex string IN (exactly INLEN characters, either case) into OUT
 * (OUTMAX bytes); *OUTLEN gets the byte count.  Errors: GPG_ERR_INV_DATA for
 * an odd length or a non-hex character, GPG_ERR_TOO_LARGE if the result would
 * not fit, GPG_ERR_NO_DATA for INLEN 0. */
gpg_error_t hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax, size_t *outlen);

#endif
