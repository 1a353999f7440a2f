/* percent.h — one word of an Assuan command line that may hold any text:
 * '%', blank space, control characters and bytes past 0x7e are written
 * as %XX (upper-case hex), like Assuan's own escaping of D lines.  Used
 * for the values of PROJECT SET and PROJECT CREATE (doc/policyd-protocol.md). */
#ifndef SIGNET_PERCENT_H
#define SIGNET_PERCENT_H

#include <stddef.h>
#include <gpg-error.h>

/* IN escaped into OUT (OUTLEN bytes, NUL-terminated); GPG_ERR_TOO_SHORT
 * if it does not fit (3 * strlen(IN) + 1 always does). */
gpg_error_t percent_encode(const char *in, char *out, size_t outlen);

/* Undo percent_encode on S in place.  GPG_ERR_INV_VALUE for a '%' not
 * followed by two hex digits or one that makes a NUL byte. */
gpg_error_t percent_decode(char *s);

#endif
