/* totp.h — policyd's second factor: enrolment, the sealed secret and the
 * check of a code at SIGN (issue 8, "Second factor").
 *
 * A principal's TOTP secret is kept in the store sealed with AES-256-GCM
 * under one key that is generated in the HSM on first use (label
 * TOTP_KEY_LABEL; ':' never occurs in a project name, so no project key
 * can take the label) and never leaves it.  The principal string is the
 * GCM additional data: a sealed blob copied to another principal's row
 * does not open.  The clear secret lives only in a stack buffer of the
 * call that needs it and is wiped before the call returns; it reaches no
 * log, audit record or client (the enrolling user gets it once, in the
 * otpauth URI). */
#ifndef SIGNET_POLICYD_TOTP_H
#define SIGNET_POLICYD_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#include "hsm.h"
/* The codes themselves (common/totp.h; same base name, so by path). */
#include "../common/totp.h"

#define TOTP_KEY_LABEL "signet:totp"

struct policyd;
struct totp_keys;

/* The sealing key of HSM, found or made when first needed.  Never fails
 * but for memory; *OUT is freed with totp_keys_close(). */
gpg_error_t totp_keys_open(struct hsm *hsm, struct totp_keys **out);
void totp_keys_close(struct totp_keys *tk);

/* Enrol PRINCIPAL (user USER of installation INSTANCE, for the URI): a
 * new secret, sealed and stored; URI (URILEN bytes, TOTP_URI_MAX) gets the
 * otpauth URI.
 * GPG_ERR_EEXIST if PRINCIPAL is enrolled already (an admin resets
 * first: someone at the user's shell must not replace the secret).  WHY
 * names the failure. */
gpg_error_t totp_enroll(struct policyd *pd, const char *principal, const char *user,
                        const uint8_t instance[4], char *uri, size_t urilen, char *why, size_t whylen);

/* Check CODE of PRINCIPAL for a signature with PROJECT at NOW (seconds):
 * 0 when right and not used before (the step is recorded, the project's
 * failures cleared).  Otherwise a gpg_err_code_t with WHY for humans:
 *   SIGNET_ERR_OTP_NOT_ENROLLED  PRINCIPAL has no secret (checked first);
 *   SIGNET_ERR_OTP_NEEDED        CODE is NULL or "" (ask the user);
 *   SIGNET_ERR_OTP_LOCKED        STORE_TOTP_MAX_FAILURES failures in a row
 *                                on PROJECT already (the code is not even
 *                                checked);
 *   SIGNET_ERR_OTP_WRONG         wrong, malformed or reused code (counted);
 *   SIGNET_ERR_HSM               sealing key or store failure. */
gpg_err_code_t totp_verify(struct policyd *pd, const char *principal, const char *project,
                           const char *code, int64_t now, char *why, size_t whylen);

/* PRINCIPAL's state on PROJECT, for TOTP STATUS and the card's retry
 * counter. */
gpg_error_t totp_status(struct policyd *pd, const char *principal, const char *project, int *enrolled,
                        unsigned *failures);

#endif
