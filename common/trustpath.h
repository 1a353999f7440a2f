/* trustpath.h — may this file be trusted?  OpenSSH's StrictModes for Signet.
 *
 * A configuration file, a PKCS#11 module, a PIN file or a socket folder is
 * only as safe as every folder above it: whoever can write one of them can
 * swap what Signet reads.  A path passes when it and every folder above it,
 * up to /, are owned by root or the expected owner and are writable by no
 * one else.  A world-writable folder with the sticky bit (/tmp) is fine
 * above the path, because only the owner of an entry in it can rename or
 * remove that entry, and the entry must itself be owned right.  Both the
 * path as named (symlinks included) and the path realpath() resolves to are
 * checked, so a symlink in a folder someone else controls is refused too. */
#ifndef SIGNET_TRUSTPATH_H
#define SIGNET_TRUSTPATH_H

#include <stddef.h>
#include <sys/types.h>
#include <gpg-error.h>

#define TRUSTPATH_MAX_WHY 512

/* 0 if PATH (absolute, or taken from the current folder) exists and passes
 * the rules above for OWNER (root always passes).  Else WHY (WHYLEN bytes)
 * names the offending file and why, with what to do, e.g.
 * "/tmp/var/signet.conf: writable by group staff (gid 50) (chmod g-w
 * /tmp/var/signet.conf)", and the error is GPG_ERR_EPERM (bad owner or
 * mode), GPG_ERR_ENOENT (missing) or another errno code.  Only stats: does
 * not open PATH, does not block beyond the file system. */
gpg_error_t trustpath_check(const char *path, uid_t owner, char *why, size_t whylen);

/* The same for the folder that holds PATH: for a file that is about to be
 * made (a socket, a new home), or one that may be missing. */
gpg_error_t trustpath_check_dir_of(const char *path, uid_t owner, char *why, size_t whylen);

/* For PATH that is about to be made (a new home, with any missing folders
 * above it): when PATH exists, trustpath_check(); else the nearest existing
 * folder above it must pass as a folder above (a sticky /tmp is fine: what
 * is made in it is the caller's). */
gpg_error_t trustpath_check_new(const char *path, uid_t owner, char *why, size_t whylen);

/* For a client about to talk to a daemon's socket SOCKET_PATH: its folder
 * passes trustpath_check_dir_of() for OWNER, or else it is owned by
 * someone else (the daemon's service user) but root gave it to them: the
 * folder is not writable by group or others, and the folder above it
 * passes trustpath_check() for root alone, so that only root could have
 * made it (systemd's RuntimeDirectory=, /run/signet).  A folder in /tmp
 * owned by another user is refused (anyone could have made it), WHY naming
 * the owner. */
gpg_error_t trustpath_check_socket_dir(const char *socket_path, uid_t owner, char *why, size_t whylen);

/* One file a daemon's configuration makes it trust: WHAT names it for the
 * message ("[hsm] module"); PATH NULL means not configured (skipped).
 * MAY_BE_MISSING: a file only some runs need (the SO PIN, which an admin
 * may remove once the token is made); when it exists it must pass. */
struct trustpath_item {
	const char *what;
	const char *path;
	int may_be_missing;
};

/* trustpath_check() on each of the N ITEMS for OWNER; the first refusal
 * is "WHAT: reason" in WHY. */
gpg_error_t trustpath_check_items(const struct trustpath_item *items, size_t n, uid_t owner,
                                  char *why, size_t whylen);

#endif
