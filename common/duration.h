/* duration.h — the durations people write in signet.conf and on the
 * command line: "0", or a positive number with one unit s, m, h or d
 * ("30s", "15m", "2h", "7d").  One parser for approval_wait and
 * `signet project rotate --overlap`. */
#ifndef SIGNET_DURATION_H
#define SIGNET_DURATION_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#define DURATION_MAX_TEXT 24    /* longest duration_format() answer, with NUL */

/* Parse S into *SECS: "0" or N followed by s, m, h or d, at most MAX
 * seconds.  GPG_ERR_INV_VALUE (and *SECS 0) otherwise: no sign, no blank,
 * no other unit, no overflow. */
gpg_error_t duration_parse(const char *s, uint32_t max, uint32_t *secs);

/* SECS as the largest unit that divides it ("15m", "2h", "90s", "0")
 * into OUT (OUTLEN bytes, DURATION_MAX_TEXT is enough). */
void duration_format(uint32_t secs, char *out, size_t outlen);

#endif
