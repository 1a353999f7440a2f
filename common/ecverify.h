/* ecverify.h — check an ECDSA (P-256, P-384) or Ed25519 signature with
 * OpenSSL.  policyd checks every EC signature the HSM made before it
 * returns it; libgcrypt 1.10 spent ~0.5 ms of CPU on each P-256 check
 * (over half of policyd's CPU per signature under load), OpenSSL a tenth
 * of that. */
#ifndef SIGNET_ECVERIFY_H
#define SIGNET_ECVERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#include "pgpkey.h"

/* 0 when SIG (r || s, each half of SIG_LEN; Ed25519: R || S) is KEY's
 * signature of the DIGEST_LEN bytes at DIGEST (ECDSA: the digest, cut to
 * the curve's size by the usual rule; Ed25519: the digest is the message).
 * GPG_ERR_BAD_SIGNATURE when it is not; GPG_ERR_WRONG_PUBKEY_ALGO for an
 * RSA key. */
gpg_error_t ecverify_digest(const struct pgpkey *key, const uint8_t *digest, size_t digest_len,
                            const uint8_t *sig, size_t sig_len);

/* Public keys made ready for checks, kept: building the EVP_PKEY (curve
 * group, point decoding) was 40 % of a P-256 check.  Entries are matched
 * on the key's type and exact public point, never on a name; at most
 * ECVERIFY_CACHE_MAX of them (a full cache is emptied).  Safe to share
 * between threads: a check runs outside the lock on its own reference. */
#define ECVERIFY_CACHE_MAX 64
struct ecverify_cache;
gpg_error_t ecverify_cache_new(struct ecverify_cache **out);
void ecverify_cache_free(struct ecverify_cache *vc);
/* ecverify_digest() with KEY's EVP_PKEY from VC (made and kept there on
 * first use).  VC may be NULL: ecverify_digest(). */
gpg_error_t ecverify_digest_cached(struct ecverify_cache *vc, const struct pgpkey *key, const uint8_t *digest,
                                   size_t digest_len, const uint8_t *sig, size_t sig_len);

#endif
