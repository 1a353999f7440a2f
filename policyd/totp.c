/* totp.c — see totp.h.
 *
 * Sealed blob (what the store keeps): a version byte (1), the 12-byte GCM
 * IV from the HSM's generator, then the ciphertext of the 20-byte secret
 * and the 16-byte tag. */
#include "totp.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "policyd.h"
#include "hex.h"
#include "signet-err.h"
#include "store.h"

#define SEAL_VERSION 1
#define SEAL_LEN (1 + HSM_GCM_IV_LEN + TOTP_SECRET_LEN + HSM_GCM_TAG_LEN)

struct totp_keys {
	struct hsm *hsm;
	_Atomic(struct hsm_key *) key;   /* NULL until first used */
};

gpg_error_t
totp_keys_open(struct hsm *hsm, struct totp_keys **out)
{
	struct totp_keys *tk;

	*out = NULL;
	if ((tk = calloc(1, sizeof(*tk))) == NULL)
		return gpg_error_from_syserror();
	tk->hsm = hsm;
	atomic_init(&tk->key, NULL);
	*out = tk;
	return 0;
}

void
totp_keys_close(struct totp_keys *tk)
{
	if (tk == NULL)
		return;
	hsm_key_free(atomic_load(&tk->key));
	free(tk);
}

/* The sealing key, found or generated on first use.  Two first callers
 * both look it up (hsm.c makes only one key); the second drops its
 * handle. */
static gpg_error_t
sealing_key(struct totp_keys *tk, const struct hsm_key **key, char *why, size_t whylen)
{
	struct hsm_key *k = atomic_load(&tk->key), *expected = NULL;
	gpg_error_t r;

	if (k == NULL) {
		if ((r = hsm_secret_key(tk->hsm, TOTP_KEY_LABEL, &k, why, whylen)) != 0)
			return r;
		if (!atomic_compare_exchange_strong(&tk->key, &expected, k)) {
			hsm_key_free(k);
			k = expected;
		}
	}
	*key = k;
	return 0;
}

static gpg_error_t
seal(struct totp_keys *tk, const char *principal, const uint8_t secret[TOTP_SECRET_LEN],
     uint8_t out[SEAL_LEN], char *why, size_t whylen)
{
	const struct hsm_key *key;
	size_t n = 0;
	gpg_error_t r;

	out[0] = SEAL_VERSION;
	if ((r = sealing_key(tk, &key, why, whylen)) != 0 ||
	    (r = hsm_random(tk->hsm, out + 1, HSM_GCM_IV_LEN, why, whylen)) != 0 ||
	    (r = hsm_gcm_encrypt(tk->hsm, key, out + 1, (const uint8_t *)principal, strlen(principal),
	                         secret, TOTP_SECRET_LEN, out + 1 + HSM_GCM_IV_LEN,
	                         SEAL_LEN - 1 - HSM_GCM_IV_LEN, &n, why, whylen)) != 0)
		return r;
	if (n != TOTP_SECRET_LEN + HSM_GCM_TAG_LEN) {
		snprintf(why, whylen, "AES-GCM gave %zu bytes for a %d-byte secret", n, TOTP_SECRET_LEN);
		return gpg_error(SIGNET_ERR_HSM);
	}
	return 0;
}

static gpg_error_t
unseal(struct totp_keys *tk, const char *principal, const uint8_t *in, size_t len,
       uint8_t secret[TOTP_SECRET_LEN], char *why, size_t whylen)
{
	const struct hsm_key *key;
	uint8_t buf[TOTP_SECRET_LEN + HSM_GCM_TAG_LEN];
	size_t n = 0;
	gpg_error_t r;

	if (len != SEAL_LEN || in[0] != SEAL_VERSION) {
		snprintf(why, whylen, "the stored TOTP secret of %s has an unknown form", principal);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if ((r = sealing_key(tk, &key, why, whylen)) != 0)
		goto out;
	if ((r = hsm_gcm_decrypt(tk->hsm, key, in + 1, (const uint8_t *)principal, strlen(principal),
	                         in + 1 + HSM_GCM_IV_LEN, len - 1 - HSM_GCM_IV_LEN, buf, sizeof(buf), &n,
	                         why, whylen)) != 0)
		goto out;
	if (n != TOTP_SECRET_LEN) {
		snprintf(why, whylen, "the stored TOTP secret of %s opens to %zu bytes", principal, n);
		r = gpg_error(GPG_ERR_BAD_DATA);
		goto out;
	}
	memcpy(secret, buf, TOTP_SECRET_LEN);
	r = 0; /* success */
out:
	explicit_bzero(buf, sizeof(buf));
	return r;
}

gpg_error_t
totp_enroll(struct policyd *pd, const char *principal, const char *user, const uint8_t instance[4],
            char *uri, size_t urilen, char *why, size_t whylen)
{
	uint8_t secret[TOTP_SECRET_LEN], sealed[STORE_SEALED_MAX];
	char inst[9];
	size_t len = 0;
	gpg_error_t r;

	if (urilen > 0)
		uri[0] = '\0';
	r = store_totp_get(pd->store, principal, sealed, sizeof(sealed), &len);
	if (r == 0) {
		snprintf(why, whylen, "%s is enrolled already; an admin resets first: signet totp reset %s",
		         principal, user);
		r = gpg_error(GPG_ERR_EEXIST);
		goto out;
	}
	if (gpg_err_code(r) != GPG_ERR_NOT_FOUND) {
		snprintf(why, whylen, "reading the TOTP enrolment of %s: %s", principal, gpg_strerror(r));
		goto out;
	}
	if ((r = totp_secret_new(secret)) != 0) {
		snprintf(why, whylen, "no random secret: %s", gpg_strerror(r));
		goto out;
	}
	if ((r = seal(pd->totp, principal, secret, sealed, why, whylen)) != 0)
		goto out;
	if ((r = hex_encode(instance, 4, inst, sizeof(inst))) != 0 ||
	    (r = totp_uri(secret, user, inst, uri, urilen)) != 0) {
		snprintf(why, whylen, "the otpauth URI does not fit: %s", gpg_strerror(r));
		goto out;
	}
	if ((r = store_totp_put(pd->store, principal, sealed, SEAL_LEN, time(NULL))) != 0) {
		snprintf(why, whylen, "storing the TOTP enrolment of %s: %s", principal, gpg_strerror(r));
		goto out;
	}
	r = 0; /* success */
out:
	if (r != 0 && urilen > 0)
		explicit_bzero(uri, urilen);
	explicit_bzero(secret, sizeof(secret));
	return r;
}

/* PRINCIPAL's sealed secret into SEALED (STORE_SEALED_MAX bytes), *LEN,
 * or the refusal. */
static gpg_err_code_t
load_sealed(struct policyd *pd, const char *principal, uint8_t *sealed, size_t *len, char *why,
            size_t whylen)
{
	gpg_error_t r;

	r = store_totp_get(pd->store, principal, sealed, STORE_SEALED_MAX, len);
	if (gpg_err_code(r) == GPG_ERR_NOT_FOUND) {
		snprintf(why, whylen, "%s has no second factor yet: run `signet totp enroll` and add the "
		         "code to an authenticator app", principal);
		return SIGNET_ERR_OTP_NOT_ENROLLED;
	}
	if (r != 0) {
		snprintf(why, whylen, "reading the TOTP enrolment of %s: %s", principal, gpg_strerror(r));
		return SIGNET_ERR_HSM;
	}
	return 0;
}

gpg_err_code_t
totp_verify(struct policyd *pd, const char *principal, const char *project, const char *code,
            int64_t now, char *why, size_t whylen)
{
	uint8_t secret[TOTP_SECRET_LEN], sealed[STORE_SEALED_MAX];
	size_t len = 0;
	unsigned failures = 0;
	int64_t step = 0;
	int reused = 0, right;
	gpg_error_t r;
	gpg_err_code_t rc;

	if (pd->store == NULL || pd->totp == NULL) {
		snprintf(why, whylen, "no state store: the second factor cannot be checked");
		return SIGNET_ERR_HSM;
	}
	/* Not enrolled: say so before asking anyone for a code. */
	if ((rc = load_sealed(pd, principal, sealed, &len, why, whylen)) != 0)
		goto out;
	if (code == NULL || code[0] == '\0') {
		snprintf(why, whylen, "project %s needs a one-time code (second_factor = totp)", project);
		rc = SIGNET_ERR_OTP_NEEDED;
		goto out;
	}
	if ((r = store_totp_failures(pd->store, principal, project, &failures)) != 0) {
		snprintf(why, whylen, "reading the TOTP failures of %s: %s", principal, gpg_strerror(r));
		rc = SIGNET_ERR_HSM;
		goto out;
	}
	/* Locked: even the right code is not looked at (no oracle either). */
	if (failures >= STORE_TOTP_MAX_FAILURES) {
		snprintf(why, whylen, "%u wrong one-time codes in a row on project %s: locked until an "
		         "admin runs `signet totp reset`", failures, project);
		rc = SIGNET_ERR_OTP_LOCKED;
		goto out;
	}
	if (unseal(pd->totp, principal, sealed, len, secret, why, whylen) != 0) {
		rc = SIGNET_ERR_HSM;
		goto out;
	}
	right = totp_check(secret, sizeof(secret), code, now, &step) == 0;
	if ((r = store_totp_check(pd->store, principal, project, right, step, &reused, &failures)) != 0) {
		snprintf(why, whylen, "recording the TOTP check of %s: %s", principal, gpg_strerror(r));
		rc = SIGNET_ERR_HSM;
		goto out;
	}
	if (right && !reused) {
		rc = 0; /* success */
		goto out;
	}
	snprintf(why, whylen, "%s one-time code on project %s (%u of %u wrong in a row%s)",
	         right ? "reused" : "wrong", project, failures, STORE_TOTP_MAX_FAILURES,
	         failures >= STORE_TOTP_MAX_FAILURES ? "; now locked until an admin runs `signet totp reset`"
	                                             : "");
	rc = SIGNET_ERR_OTP_WRONG;
out:
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

gpg_error_t
totp_status(struct policyd *pd, const char *principal, const char *project, int *enrolled,
            unsigned *failures)
{
	uint8_t sealed[STORE_SEALED_MAX];
	size_t len = 0;
	gpg_error_t r;

	*enrolled = 0;
	*failures = 0;
	r = store_totp_get(pd->store, principal, sealed, sizeof(sealed), &len);
	if (r != 0 && gpg_err_code(r) != GPG_ERR_NOT_FOUND)
		return r;
	*enrolled = r == 0;
	return store_totp_failures(pd->store, principal, project, failures);
}
