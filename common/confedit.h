/* confedit.h — edit signet.conf's text in memory, the way a careful person
 * would: change one key line of a [project NAME] section in place, add a
 * key at the end of its section, remove one, or append a new section,
 * keeping every other byte (comments, blank lines, order, CRLF) as it was.
 * The editor knows the file's line rules but not its keys: the caller
 * validates the result with config_parse_buffer() before writing it
 * (atomicfile_write) — policyd does both (policyd/cmd_project.c). */
#ifndef SIGNET_CONFEDIT_H
#define SIGNET_CONFEDIT_H

#include <stddef.h>
#include <gpg-error.h>

#include "config.h"

#define CONFEDIT_MAX_KEY 32     /* a key name */

struct confedit;

/* A copy of TEXT/LEN (at most CONFIG_MAX_FILE bytes, no NUL: else
 * GPG_ERR_TOO_LARGE / GPG_ERR_INV_VALUE) to edit. */
gpg_error_t confedit_new(const char *text, size_t len, struct confedit **ce);
void confedit_free(struct confedit *ce);

/* The text now (not NUL-terminated past *LEN, but a NUL follows). */
const char *confedit_text(const struct confedit *ce, size_t *len);

/* 1 if VALUE can be written as a signet.conf value and read back the
 * same: no control character, no blank at either end, no " ;" or "\t;"
 * (an inline comment), not empty.  Else 0 and a reason in WHY. */
int confedit_value_ok(const char *value, char *why, size_t whylen);

/* In [project PROJECT]: replace the line of KEY by "KEY = VALUE" (an
 * inline comment on it is kept), or add that line after the section's
 * last key line; VALUE NULL removes KEY's line (absent: nothing to do).
 * GPG_ERR_NOT_FOUND: no such section; GPG_ERR_INV_VALUE: a bad key or
 * value (WHY says which), or the line would pass CONFIG_MAX_LINE;
 * GPG_ERR_TOO_LARGE past CONFIG_MAX_FILE. */
gpg_error_t confedit_set(struct confedit *ce, const char *project, const char *key, const char *value,
                         char *why, size_t whylen);

/* confedit_set() in the section [SECTION] (e.g. "policyd"), not a
 * project's.  GPG_ERR_NOT_FOUND: no such section. */
gpg_error_t confedit_set_in(struct confedit *ce, const char *section, const char *key, const char *value,
                            char *why, size_t whylen);

/* Append "[project PROJECT]" (after a blank line) with the N lines
 * "KEYS[i] = VALUES[i]".  GPG_ERR_EEXIST if the section is there. */
gpg_error_t confedit_add_project(struct confedit *ce, const char *project, const char *const *keys,
                                 const char *const *values, size_t n, char *why, size_t whylen);

/* Call FN for each key line of [project PROJECT] in file order with the
 * key and its value as libinih reads them (no inline comment, trimmed);
 * FN's non-zero return stops the walk and is returned.
 * GPG_ERR_NOT_FOUND: no such section. */
typedef int (*confedit_key_fn)(void *opaque, const char *key, const char *value);
gpg_error_t confedit_each_key(const struct confedit *ce, const char *project, confedit_key_fn fn,
                              void *opaque);

#endif
