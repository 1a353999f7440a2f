/* keycache.h — the key cache on disk, $GNUPGHOME/signet-scd.keys.
 *
 * Why: gpg-agent 2.4 treats any failure of SERIALNO --all / KEYINFO <grip>
 * as "card missing" and prompts for it without end (scd-protocol §2.3,
 * §6.3).  A signet-scd started while signet-policyd is down has nothing in
 * memory to answer from, so the keys of the last successful KEYLIST are
 * kept in this file and loaded at start-up.  policyd's answer always wins:
 * the file only bridges the time until the first successful refresh.
 *
 * Format (written only by keycache_save, read strictly):
 *
 *   # signet-scd key cache v1 serial=<32 hex>
 *   KEY <project> <grip> <algo> <created> <fpr> <sexp-hex>
 *   ...
 *
 * One space between words, every line (the last too) ends in '\n', no
 * empty or other lines.  The first five KEY fields are those of policyd's
 * `S KEY` line (card_key_parse); <sexp-hex> is the canonical public key in
 * hex, and must match grip, fingerprint and size (card_key_set_sexp).  A
 * file for another serial (another Signet installation) is not ours.
 *
 * No module state; no locks.  Uses libgcrypt through card.c (the program
 * must have initialised it). */
#ifndef SIGNET_SCD_KEYCACHE_H
#define SIGNET_SCD_KEYCACHE_H

#include <stddef.h>
#include <gpg-error.h>

#include "card.h"

#define KEYCACHE_NAME     "signet-scd.keys"
#define KEYCACHE_MAGIC    "# signet-scd key cache v1 serial="
#define KEYCACHE_MAX_KEYS CARD_MAX_KEYS
/* "KEY " + project + grip + algo + created + fpr + sexp hex, with spaces
 * and the newline: 4 + 64+1 + 40+1 + 7+1 + 10+1 + 40+1 + 2*2048 + 1 = 4267. */
#define KEYCACHE_MAX_LINE 4400
#define KEYCACHE_MAX_FILE (KEYCACHE_MAX_LINE * (KEYCACHE_MAX_KEYS + 1))
#define KEYCACHE_ERR_MAX  512

/* Parse LEN bytes at BUF (need not be NUL-terminated) as a cache file for
 * card SERIAL; NAME is used in messages.  On success the keys are appended
 * to the empty list *OUT (the caller frees it with card_keylist_clear).  On
 * error *OUT is left empty and ERR (ERRLEN bytes) holds "NAME:LINE: reason"
 * (or "NAME: reason"):
 *   - GPG_ERR_WRONG_CARD: a well-formed header for another serial;
 *   - GPG_ERR_TOO_LARGE: more than KEYCACHE_MAX_FILE bytes;
 *   - GPG_ERR_INV_VALUE: anything malformed (bad header, a line over
 *     KEYCACHE_MAX_LINE, a bad field, a public key that does not match, a
 *     duplicate, more than KEYCACHE_MAX_KEYS keys, a NUL byte, a missing
 *     final newline);
 *   - GPG_ERR_ENOMEM, GPG_ERR_INV_ARG (NULL arguments; ERR then "").
 * This is the fuzzed entry point (fuzz/keycache.c). */
gpg_error_t keycache_parse_buffer(const char *name, const char *buf, size_t len,
                                  const char *serial, struct card_keylist *out,
                                  char *err, size_t errlen);

/* Read PATH (O_NOFOLLOW, a regular file, at most KEYCACHE_MAX_FILE bytes:
 * common/readfile.h) and parse it as keycache_parse_buffer does.  A missing
 * file is GPG_ERR_ENOENT; other read errors are readfile_bounded's.  Blocks
 * on the read. */
gpg_error_t keycache_load(const char *path, const char *serial, struct card_keylist *out,
                          char *err, size_t errlen);

/* Replace PATH atomically with the keys of KL for card SERIAL: a new 0600
 * file next to it (O_EXCL, so no link is followed), written, fsync'ed and
 * renamed over PATH (which replaces a symbolic link at PATH rather than
 * writing through it); then the folder is fsync'ed.  Keys without their
 * public key (sexp_len 0) cannot be checked on load and are left out;
 * *NWRITTEN (may be NULL) gets the number of keys written.  On error PATH
 * is unchanged, the temporary file is removed and the errno-based error
 * (or GPG_ERR_INV_ARG, GPG_ERR_TOO_LARGE for an over-long PATH) is
 * returned.  Blocks on the disk. */
gpg_error_t keycache_save(const char *path, const char *serial, const struct card_keylist *kl,
                          size_t *nwritten);

#endif
