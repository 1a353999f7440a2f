/* sigmatch.h — does an audit record say it issued a given signature?
 * (`signet audit prove`, `check-receipt`, doc/audit-format.md §10).
 *
 * The value compared is sigextract_value()'s normalised form: OpenPGP
 * components as integers (lower-case hex, no leading zero bytes, joined by
 * ':'); the record's `signature` is the raw value the HSM returned (RSA:
 * s; ECDSA: r || s each padded to the curve's size; EdDSA: R || S), split
 * in as many equal halves as the signature has components.  RFC 3161: the
 * token's serial (upper-case hex, no leading zero bytes) against the
 * `timestamp` record's `serial`, and the imprint against `hash` and
 * `digest`. */
#ifndef SIGNET_AGENT_SIGMATCH_H
#define SIGNET_AGENT_SIGMATCH_H

#include <stddef.h>
#include <gpg-error.h>
#include <jansson.h>

#include "sigextract.h"

/* The event a record issuing a signature of KIND has: "sign" or
 * "timestamp". */
const char *sigmatch_event(enum sigextract_kind kind);

/* The normalised value of the signature record REC claims it issued, for
 * a signature of KIND with NCOMP components (OpenPGP: 1 or 2), into OUT
 * (OUTLEN; SIGEXTRACT_MAX_VALUE do).  GPG_ERR_NOT_FOUND with *WHY when REC
 * is not such a record (another event, not granted, no value, a value that
 * does not split in NCOMP parts). */
gpg_error_t sigmatch_record_value(json_t *rec, enum sigextract_kind kind, size_t ncomp, char *out,
                                  size_t outlen, const char **why);

/* 1 when REC issued the signature SX: the same value and, when REC has
 * them, the same digest (OpenPGP: its first two bytes, which the packet
 * carries; RFC 3161: the whole imprint and its hash).  0 otherwise, with
 * *WHY (may be NULL) naming what differs. */
int sigmatch_record(json_t *rec, const struct sigextract *sx, const char **why);

/* A cheap test before parsing LINE (LEN bytes) as JSON: 0 when the line
 * cannot be the record of SX (its value's last hex digits, or the serial,
 * are not in it).  NEEDLE (NEEDLEMAX bytes, SIGMATCH_NEEDLE do) is made
 * once by sigmatch_needle. */
#define SIGMATCH_NEEDLE 64
void sigmatch_needle(const struct sigextract *sx, char *needle, size_t needlemax);
int sigmatch_maybe(const char *line, size_t len, const char *needle);

#endif
