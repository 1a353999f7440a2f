/* signet-err.h — the gpg-error codes Signet answers with, and what each tells
 * the user.  gpg shows only gpg_strerror() of the code ("gpg: signing failed:
 * <text>"); the full reason goes to the audit trail, the daemon log and
 * `signet`.  Every program maps failures to these codes and nothing else. */
#ifndef SIGNET_ERR_H
#define SIGNET_ERR_H

#include <gpg-error.h>

/* The requester is not a signer of the project: "No policy match". */
#define SIGNET_ERR_DENIED          GPG_ERR_NO_POLICY_MATCH
/* The hash algorithm is not allowed for the project (sha1, md5, or not in
 * its list): "Invalid digest algorithm". */
#define SIGNET_ERR_HASH_REFUSED    GPG_ERR_DIGEST_ALGO
/* No such project/key for this caller: "No secret key". */
#define SIGNET_ERR_NO_KEY          GPG_ERR_NO_SECKEY
/* signet-policyd is not running / not reachable: "Connection refused". */
#define SIGNET_ERR_NO_POLICYD      GPG_ERR_ECONNREFUSED
/* signet-policyd did not answer in time (stopped, or stuck): "Connection
 * timed out".  Not CARD_NOT_PRESENT/ENODEV: gpg 2.2 turns those into an
 * endless "insert card" prompt. */
#define SIGNET_ERR_POLICYD_TIMEOUT GPG_ERR_ETIMEDOUT
/* signet-policyd refused the connection: the user holds
 * max_connections_per_user connections, or policyd holds max_connections:
 * "Limit reached". */
#define SIGNET_ERR_POLICYD_FULL    GPG_ERR_LIMIT_REACHED
/* The HSM failed (login, signing, key generation): "Hardware problem". */
#define SIGNET_ERR_HSM             GPG_ERR_HARDWARE
/* The audit record could not be made durable; nothing is returned:
 * "Input/output error". */
#define SIGNET_ERR_AUDIT           GPG_ERR_EIO
/* An admin-only command from a non-admin: "Operation not permitted". */
#define SIGNET_ERR_NOT_ADMIN       GPG_ERR_EPERM
/* SIGN named a key that only certifies (a project's primary key) or is
 * not one of the project's signing subkeys: "Wrong key usage". */
#define SIGNET_ERR_KEY_USAGE       GPG_ERR_WRONG_KEY_USAGE
/* SIGN named an old signing subkey whose rotation overlap is over:
 * "Key expired". */
#define SIGNET_ERR_KEY_EXPIRED     GPG_ERR_KEY_EXPIRED

#endif
