/* auditseg.h — the segment files of an audit trail (doc/audit-format.md
 * §8.3): the current segment is the trail's configured path P; sealed
 * segments are P.000001, P.000002, … (AUDITSEG_DIGITS decimal digits);
 * the hash store is P.tree, the verifier key P.vkey. */
#ifndef SIGNET_AUDITSEG_H
#define SIGNET_AUDITSEG_H

#include <stddef.h>
#include <gpg-error.h>

#define AUDITSEG_DIGITS 6
#define AUDITSEG_MAX    999999u

/* OUT (OUTLEN bytes) gets the name of sealed segment K (1..AUDITSEG_MAX)
 * of PATH.  GPG_ERR_TOO_LARGE if it does not fit. */
gpg_error_t auditseg_name(const char *path, unsigned k, char *out, size_t outlen);

/* *KS (malloc'd, ascending) gets the numbers of the sealed segments of
 * PATH that exist in PATH's folder, *N of them (0: none; *KS is then
 * NULL).  Names that look like segments but are not exactly
 * AUDITSEG_DIGITS digits in range are ignored. */
gpg_error_t auditseg_list(const char *path, unsigned **ks, size_t *n);

/* OUT gets PATH followed by SUFFIX (".tree", ".vkey"). */
gpg_error_t auditseg_sidecar(const char *path, const char *suffix, char *out, size_t outlen);

#endif
