/* totp.h — RFC 6238 time-based one-time codes (the profile every
 * authenticator app reads from an otpauth:// URI: HMAC-SHA1, 6 digits,
 * 30-second steps) and the RFC 4648 base32 those URIs carry secrets in.
 *
 * Verification accepts the step of NOW and one step either side (clock
 * skew and a code typed as it changes) and says which step matched, so
 * that the caller can refuse a step used before (each code once). */
#ifndef SIGNET_TOTP_H
#define SIGNET_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#define TOTP_SECRET_LEN 20     /* bytes: the HMAC-SHA1 block RFC 4226 recommends */
#define TOTP_DIGITS     6
#define TOTP_PERIOD     30     /* seconds per step */
#define TOTP_WINDOW     1      /* steps accepted either side of now */
#define TOTP_CODE_BUF   (TOTP_DIGITS + 1)
#define TOTP_B32_BUF    (((TOTP_SECRET_LEN * 8) + 4) / 5 + 1)   /* base32 of a secret, NUL */
#define TOTP_URI_MAX    512

/* A new random secret (OpenSSL RAND_bytes). */
gpg_error_t totp_secret_new(uint8_t secret[TOTP_SECRET_LEN]);

/* RFC 4648 base32 of IN (LEN bytes), upper case, no padding, NUL ended,
 * into OUT (OUTLEN bytes): GPG_ERR_BUFFER_TOO_SHORT if it does not fit
 * (OUT then holds ""). */
gpg_error_t totp_base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen);
/* Decode base32 IN (either case, no padding, no spaces) into OUT (MAX
 * bytes), *LEN the byte count: GPG_ERR_INV_DATA for a bad character or a
 * length no encoding has, GPG_ERR_TOO_LARGE if it does not fit. */
gpg_error_t totp_base32_decode(const char *in, uint8_t *out, size_t max, size_t *len);

/* The code of KEY (KEYLEN bytes) for time step STEP (RFC 4226 HOTP with
 * counter STEP), TOTP_DIGITS digits and a NUL into CODE. */
gpg_error_t totp_code(const uint8_t *key, size_t keylen, int64_t step, char code[TOTP_CODE_BUF]);

/* The time step of NOW (seconds since the epoch). */
int64_t totp_step(int64_t now);

/* 1 if CODE is exactly TOTP_DIGITS ASCII digits. */
int totp_code_ok(const char *code);

/* Check CODE against KEY at NOW: 0 and *STEP the matching step, or
 * GPG_ERR_BAD_PIN (*STEP 0).  Every step of the window is computed and
 * compared in constant time, whichever matches. */
gpg_error_t totp_check(const uint8_t *key, size_t keylen, const char *code, int64_t now, int64_t *step);

/* The otpauth:// URI of SECRET for USER of installation INSTANCE (8 hex)
 * into OUT (OUTLEN bytes):
 *   otpauth://totp/Signet:USER@INSTANCE?secret=B32&issuer=Signet&algorithm=SHA1&digits=6&period=30
 * USER is percent-encoded where it is not [A-Za-z0-9._~-]. */
gpg_error_t totp_uri(const uint8_t secret[TOTP_SECRET_LEN], const char *user, const char *instance,
                     char *out, size_t outlen);

#endif
