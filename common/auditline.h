/* auditline.h — is a trail line a canonical record (doc/audit-format.md
 * §2), and what are its members?
 *
 * The exact test is "parse with jansson, encode again with
 * JSON_COMPACT|JSON_SORT_KEYS|JSON_ENSURE_ASCII, compare the bytes"
 * (auditline_canonical_jansson).  It costs ~8 µs a line here, 8 s for a
 * million-record trail, so verification uses auditline_scan: one pass over
 * the bytes that accepts exactly the lines that test accepts (members
 * whose values are strings or integers, keys without escapes), checked
 * against it by fuzz/auditline.c.  A key holding an escape is left to the
 * jansson test (AUDITLINE_SLOW); Signet writes none.
 *
 * Member spans point into the line; string values are still escaped
 * (auditline_unescape decodes one).  Limits: AUDITLINE_MAX_MEMBERS members,
 * integers within int64_t. */
#ifndef SIGNET_AUDITLINE_H
#define SIGNET_AUDITLINE_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#define AUDITLINE_MAX_MEMBERS 32

struct auditline_member {
	const char *key;        /* not NUL-terminated */
	size_t klen;
	const char *val;        /* string: between the quotes, escaped; integer: its digits */
	size_t vlen;
	int is_string;
	int escaped;            /* the string holds a backslash escape */
	int64_t num;            /* the integer's value */
};

struct auditline {
	size_t n;
	struct auditline_member m[AUDITLINE_MAX_MEMBERS];
};

/* Results of auditline_scan besides 0 and GPG_ERR_INV_DATA. */
#define AUDITLINE_SLOW GPG_ERR_NOT_IMPLEMENTED

/* Scan LINE (LEN bytes, no line feed) into *OUT.  0: canonical;
 * GPG_ERR_INV_DATA: not (*WHY says why, with *AT the byte offset);
 * AUDITLINE_SLOW: a key holds an escape, decide with
 * auditline_canonical_jansson. */
gpg_error_t auditline_scan(const char *line, size_t len, struct auditline *out, const char **why,
                           size_t *at);

/* The exact test by re-encoding: 0 when LINE is canonical and every value
 * is a string or an integer; GPG_ERR_INV_DATA (*WHY) otherwise. */
gpg_error_t auditline_canonical_jansson(const char *line, size_t len, const char **why);

/* The member KEY of L, or NULL. */
const struct auditline_member *auditline_get(const struct auditline *l, const char *key);

/* Decode the escaped string value of M into OUT (OUTLEN bytes, NUL added):
 * UTF-8.  *OUTLEN_USED (may be NULL) gets its length.  GPG_ERR_TOO_LARGE
 * if it does not fit, GPG_ERR_INV_ARG if M is not a string. */
gpg_error_t auditline_unescape(const struct auditline_member *m, char *out, size_t outlen,
                               size_t *used);

#endif
