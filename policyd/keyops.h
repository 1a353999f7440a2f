/* keyops.h — what the admin commands MKCERT, ROTATE and UPGRADE do with a
 * project's keys and certificate (command.c parses, checks the admin and
 * audits; this module does the key work).
 *
 *   MKCERT   a project without certificate: generate its first signing
 *            subkey on the token (unless its key state names one already,
 *            when a previous MKCERT wrote the state but not the
 *            certificate), certificate = primary (certify only) + subkey.
 *   ROTATE   a subkey project: a new signing subkey on the token; the
 *            current one stays in the certificate, expiring at now +
 *            overlap, so old signatures keep verifying and clients set up
 *            before the rotation keep signing during the overlap.
 *   UPGRADE  a 0.1 project (certify+sign primary, no key state): add a
 *            signing subkey; the primary's self-signature is made again
 *            with the same flags and time, and must come out byte for byte
 *            the old one (RSA PKCS#1 v1.5 is deterministic), else nothing
 *            is written.  From then on SIGN refuses the primary.
 *
 * keyops_prepare() generates the key (if any) and builds the certificate,
 * writing nothing; keyops_commit() writes the key state (atomically) and
 * then the certificate (MKCERT: never over an existing file; else replaced
 * atomically).  The caller audits in between, so a failed audit leaves
 * the files as they were.  A subkey generated for a request that fails
 * later stays on the token unused (its label names project and time). */
#ifndef SIGNET_POLICYD_KEYOPS_H
#define SIGNET_POLICYD_KEYOPS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#include "hashalgo.h"
#include "hsm.h"
#include "keystate.h"
#include "pgpcert.h"
#include "project.h"

enum keyop { KEYOP_MKCERT, KEYOP_ROTATE, KEYOP_UPGRADE };

struct keyop_result {
	enum keyop op;
	struct keystate ks;                   /* the key state to write */
	struct hsm_key *newkey;               /* the generated subkey (NULL: none) */
	struct pgpkey newpub;
	uint8_t cert[PGPCERT_MAX];
	size_t certlen;
	uint8_t cert_sha256[32];              /* for the audit record */
	char keys_path[PATH_MAX];
};

/* Check that OP fits P's model, make the new subkey (created NOW) if OP
 * needs one and build the certificate into RES (zeroed first).  OVERLAP:
 * seconds the old subkey keeps signing after ROTATE.  Errors carry a
 * reason in WHY: GPG_ERR_EEXIST (MKCERT: certificate exists),
 * GPG_ERR_INV_STATE (wrong model: says which command to run),
 * GPG_ERR_EAGAIN (ROTATE within the current subkey's second),
 * GPG_ERR_TOO_MANY (KEYSTATE_MAX_SUBKEYS), SIGNET_ERR_HSM, or
 * GPG_ERR_BAD_SIGNATURE (UPGRADE would change the old self-signature). */
gpg_error_t keyops_prepare(struct hsm *hsm, const struct project *p, enum keyop op,
                           uint32_t overlap, int64_t now, struct keyop_result *res,
                           char *why, size_t whylen);

/* Write RES's key state, then its certificate to P's cert path. */
gpg_error_t keyops_commit(const struct project *p, const struct keyop_result *res, char *why, size_t whylen);

/* Free what keyops_prepare() holds (not RES itself). */
void keyops_result_clear(struct keyop_result *res);

/* Sign DIGEST (DIGEST_LEN bytes of ALGO) with KEY, whose public key is
 * PUB (made ready for the check in VC; NULL: made for this one): the one place that knows how each key type signs (pgpsig.h,
 * pgpsig_sign_fn): RSA PKCS#1 v1.5 over DigestInfo || digest (*SIGLEN =
 * the modulus length); ECDSA r || s over the digest cut to the curve's
 * size; Ed25519 R || S with the digest as the message.  ECDSA and EdDSA
 * signatures are checked against PUB before they are returned
 * (GPG_ERR_BAD_SIGNATURE). */
struct ecverify_cache;

gpg_error_t keyops_sign_digest(struct hsm *hsm, struct ecverify_cache *vc, const struct hsm_key *key,
                               const struct pgpkey *pub, const struct hashalgo *algo, const uint8_t *digest, size_t digest_len,
                               uint8_t *sig, size_t sigmax, size_t *siglen, char *why, size_t whylen);

#endif
