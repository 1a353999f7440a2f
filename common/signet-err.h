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

/* Approval and policy refusals (issue 8; the table in signet-policyd(8)).
 * Outside the project's hours: "Not enabled". */
#define SIGNET_ERR_HOURS           GPG_ERR_NOT_ENABLED
/* The requester's rate limit for the project is used up: "Resource
 * temporarily unavailable". */
#define SIGNET_ERR_RATE            GPG_ERR_EAGAIN
/* The project needs approvals, the caller has no grant and the project
 * does not let SIGN wait (approval_wait = 0): "Not confirmed". */
#define SIGNET_ERR_APPROVAL_REQUIRED GPG_ERR_NOT_CONFIRMED
/* An approver denied the request: "Permission denied". */
#define SIGNET_ERR_APPROVAL_DENIED GPG_ERR_EACCES
/* Nobody approved within approval_wait: "Timeout". */
#define SIGNET_ERR_APPROVAL_TIMEOUT GPG_ERR_TIMEOUT
/* The caller's grant on the project has no uses left: "Conditions of use
 * not satisfied". */
#define SIGNET_ERR_GRANT_USED_UP   GPG_ERR_USE_CONDITIONS
/* The caller's grant on the project has ended: "Ticket expired". */
#define SIGNET_ERR_GRANT_EXPIRED   GPG_ERR_TICKET_EXPIRED
/* second_factor = totp and SIGN carried no code: "No PIN given" (signet-scd
 * then asks gpg-agent for the code and retries). */
#define SIGNET_ERR_OTP_NEEDED      GPG_ERR_NO_PIN
/* The code is wrong or was used already: "Bad PIN". */
#define SIGNET_ERR_OTP_WRONG       GPG_ERR_BAD_PIN
/* 5 wrong codes in a row: "PIN blocked" until `signet totp reset`. */
#define SIGNET_ERR_OTP_LOCKED      GPG_ERR_PIN_BLOCKED
/* second_factor = totp and the caller has not enrolled: "Not initialized". */
#define SIGNET_ERR_OTP_NOT_ENROLLED GPG_ERR_NOT_INITIALIZED

#endif
