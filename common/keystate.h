/* keystate.h — which signing subkeys a project has: the key state file
 * that signet-policyd alone writes, beside the project's certificate
 * (CERT.keys, e.g. certs/acme.pgp.keys).
 *
 * signet.conf says what the admin decided (key, uid, signers, …); the key
 * state says what policyd made since (MKCERT, ROTATE, UPGRADE).  It lives
 * in a file of its own because every rotation adds a subkey (old subkeys
 * stay in the certificate so old signatures keep verifying) and a
 * signet.conf line is at most CONFIG_MAX_LINE bytes.  Format, one item a
 * line, strict (an unknown line, a bad number, a duplicate or an order
 * error is "FILE:LINE: reason"):
 *
 *   # comment
 *   version 1
 *   primary certify | legacy
 *   subkey <created> <sigtime> <expires>     (epoch seconds; expires 0 = never)
 *   …                                       (oldest first)
 *
 * `primary legacy`: the certificate was made by Signet 0.1 (certify+sign
 * primary) and upgraded; its primary self-signature is kept byte for byte.
 * The last subkey is the current one and never expires; the others carry
 * the expiry set when they were rotated out.  Each subkey is the token
 * object labelled keystate_label() — a ':' cannot occur in a project name,
 * so a subkey's label never equals a project's primary label, nor one of
 * signet-tsa's "signet-tsa*" objects. */
#ifndef SIGNET_KEYSTATE_H
#define SIGNET_KEYSTATE_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#define KEYSTATE_MAX_FILE     4096
#define KEYSTATE_MAX_LINE     128
#define KEYSTATE_MAX_SUBKEYS  16     /* RSA-4096: about 1.7 KiB of certificate each */
#define KEYSTATE_SUFFIX       ".keys"
#define KEYSTATE_LABEL_MAX    (64 + 24)

struct keystate_subkey {
	uint32_t created;
	uint32_t sigtime;            /* of its binding signature, >= created */
	uint32_t expires;            /* 0: never; else > created */
};

struct keystate {
	int legacy;                  /* primary is certify+sign (upgraded 0.1 project) */
	struct keystate_subkey subs[KEYSTATE_MAX_SUBKEYS];
	size_t nsubs;                /* >= 1 */
};

/* Parse BUF (LEN bytes; NAME in messages) into KS.  GPG_ERR_INV_VALUE with
 * "NAME:LINE: reason" in ERR for any content error: an unknown line, a
 * number out of range, no or a second version/primary line, no subkey,
 * more than KEYSTATE_MAX_SUBKEYS, subkeys not strictly oldest first, a
 * sigtime before created, an expiry not after created, an old subkey
 * without expiry, or a current (last) subkey that expires.  GPG_ERR_TOO_LARGE past KEYSTATE_MAX_FILE. */
gpg_error_t keystate_parse(const char *name, const char *buf, size_t len, struct keystate *ks,
                           char *err, size_t errlen);

/* keystate_parse() of the file PATH (regular, no symlink).  GPG_ERR_ENOENT
 * if it does not exist (ERR then says so too). */
gpg_error_t keystate_load(const char *path, struct keystate *ks, char *err, size_t errlen);

/* The file KS as text into OUT (OUTMAX bytes, NUL-terminated), *LEN; PROJECT
 * names it in the comment line.  GPG_ERR_BUFFER_TOO_SHORT, GPG_ERR_INV_VALUE
 * if KS would not parse back. */
gpg_error_t keystate_format(const struct keystate *ks, const char *project,
                            char *out, size_t outmax, size_t *len);

/* Write KS to PATH atomically (common/atomicfile, mode 0644, the folder's
 * fsync included). */
gpg_error_t keystate_save(const char *path, const struct keystate *ks, const char *project);

/* "CERT" KEYSTATE_SUFFIX into OUT. */
gpg_error_t keystate_path(const char *cert, char *out, size_t outmax);

/* The token label of PROJECT's subkey created at CREATED: "PROJECT:sign:CREATED". */
gpg_error_t keystate_label(const char *project, uint32_t created, char *out, size_t outmax);

/* Index of the current subkey (the last one). */
size_t keystate_current(const struct keystate *ks);

/* 1 if subkey I may sign at NOW: the current one, or an old one before
 * its expiry. */
int keystate_usable(const struct keystate *ks, size_t i, int64_t now);

/* The longest overlap of a rotation (duration.h parses "7d"). */
#define KEYSTATE_MAX_OVERLAP  (366 * 86400)
#define KEYSTATE_MAX_OVERLAP_TEXT "31622400"

#endif
