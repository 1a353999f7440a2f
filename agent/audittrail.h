/* audittrail.h — what the `signet audit` verbs share: the home's trails
 * and their verifier keys (doc/audit-format.md §8.3, §9.2). */
#ifndef SIGNET_AGENT_AUDITTRAIL_H
#define SIGNET_AGENT_AUDITTRAIL_H

#include <stddef.h>
#include <gpg-error.h>

#include "home.h"
#include "signednote.h"

/* home_paths() for the home the command line names, with the trails its
 * signet.conf ([policyd] audit) and tsa.conf (audit) name where those
 * files exist; prints the failure (a configuration that cannot be read).
 * CLI_EXIT_OK or CLI_EXIT_FAIL. */
int audittrail_home(const struct cli *cli, struct home *h);

/* 1 when the trail whose current segment is PATH has any file (PATH or
 * its first sealed segment), else 0. */
int audittrail_exists(const char *path);

/* The trail PATH of a file FILE of it: FILE without a sealed segment's
 * ".NNNNNN" into OUT. */
gpg_error_t audittrail_base(const char *file, char *out, size_t outlen);

/* Read the verifier key file PATH (one line) into TEXT (NOTE_MAX_VKEY + 1
 * bytes) and parse it into *KEY.  ERR gets "PATH: what" on failure. */
gpg_error_t audittrail_read_vkey(const char *path, char *text, size_t textlen,
                                 struct note_vkey *key, char *err, size_t errlen);

/* Parse the verifier key text S into *KEY; ERR says what is wrong. */
gpg_error_t audittrail_parse_vkey(const char *s, struct note_vkey *key, char *err, size_t errlen);

/* The checkpoint in FILE: its signed note, or its whole record line (the
 * note is taken from it), or, when SIZE_OK, a tree size in decimal (*IS_SIZE
 * set, only CP->size filled).  The note's signature is checked with KEY
 * (NULL: only parsed).  ERR gets "FILE: what" on failure:
 * GPG_ERR_BAD_SIGNATURE when KEY did not sign it. */
gpg_error_t audittrail_read_checkpoint(const char *file, const struct note_vkey *key, int size_ok,
                                       struct note_checkpoint *cp, int *is_size, char *err,
                                       size_t errlen);

#endif
