/* auditkey.c — signet-policyd's audit key on its token (see auditkey.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditkey.h"
#include "log.h"
#include "signednote.h"
#include "signet-err.h"

/* What the sign callback needs: the token and the key, both alive as long
 * as the audit log may sign (until audit_close). */
struct auditkey {
	struct hsm *hsm;
	struct hsm_key *key;
};

/* The checkpoint thread's signature: pure Ed25519 of the note text. */
static gpg_error_t
auditkey_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[NOTE_ED25519_SIG])
{
	struct auditkey *ak = ctx;
	size_t siglen = 0;
	char err[256] = "";
	gpg_error_t r;

	r = hsm_sign_eddsa(ak->hsm, ak->key, msg, len, sig, NOTE_ED25519_SIG, &siglen, err, sizeof(err));
	if (r == 0 && siglen != NOTE_ED25519_SIG) {
		snprintf(err, sizeof(err), "the token's Ed25519 signature is %zu bytes, not 64", siglen);
		r = gpg_error(SIGNET_ERR_HSM);
	}
	if (r != 0)
		log_error("audit key %s: %s", AUDITKEY_LABEL, err);
	return r;
}

/* The audit key, generated when the token has none: *KEY. */
static gpg_error_t
find_or_make(struct hsm *hsm, struct hsm_key **key, char *err, size_t errlen)
{
	uint8_t id[HSM_KEY_ID_LEN];
	gpg_error_t r;

	r = hsm_find_audit_key(hsm, key, err, errlen);
	if (gpg_err_code(r) == GPG_ERR_AMBIGUOUS) {
		snprintf(err, errlen, "several private keys labelled \"%s\" on the token: keep one (the one "
		         "whose verifier key the trail's checkpoints name)", AUDITKEY_LABEL);
		return r;
	}
	if (gpg_err_code(r) != GPG_ERR_NOT_FOUND)
		return r;
	/* hsm_keygen refuses a label in use (GPG_ERR_EEXIST), so a key made
	 * meanwhile is found below rather than doubled. */
	r = hsm_random(hsm, id, sizeof(id), err, errlen);
	if (r == 0)
		r = hsm_keygen(hsm, HSM_KT_ED25519, 0, AUDITKEY_LABEL, id, sizeof(id), err, errlen);
	if (r != 0 && gpg_err_code(r) != GPG_ERR_EEXIST)
		return r;
	if (r == 0)
		log_info("audit key generated on the token (Ed25519, object %s)", AUDITKEY_LABEL);
	return hsm_find_audit_key(hsm, key, err, errlen);
}

gpg_error_t
policyd_auditkey(struct hsm *hsm, const char *origin, struct audit_signer *out, char *err, size_t errlen)
{
	struct auditkey *ak = NULL;
	size_t publen = 0;
	gpg_error_t r;

	memset(out, 0, sizeof(*out));
	if ((r = note_name_check(origin, "audit origin", err, errlen)) != 0)
		return r;
	if ((ak = calloc(1, sizeof(*ak))) == NULL)
		return gpg_error_from_syserror();
	ak->hsm = hsm;
	if ((r = find_or_make(hsm, &ak->key, err, errlen)) != 0)
		goto out;
	if (hsm_key_type(ak->key) != HSM_KT_ED25519) {
		snprintf(err, errlen, "the token's key \"%s\" is not an Ed25519 key", AUDITKEY_LABEL);
		r = gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
		goto out;
	}
	if ((r = hsm_key_ec_point(hsm, ak->key, out->pub, sizeof(out->pub), &publen, err, errlen)) != 0)
		goto out;
	snprintf(out->name, sizeof(out->name), "%s", origin);
	out->sign = auditkey_sign;
	out->ctx = ak;
	if ((r = note_signer_check(out->name, out->pub, auditkey_sign, ak)) != 0) {
		snprintf(err, errlen, "the audit key \"%s\" makes signatures its public key does not verify: %s",
		         AUDITKEY_LABEL, gpg_strerror(r));
		goto out;
	}
	ak = NULL;
	r = 0; /* success */
out:
	if (ak != NULL) {
		hsm_key_free(ak->key);
		free(ak);
		memset(out, 0, sizeof(*out));
	}
	return r;
}

void
policyd_auditkey_release(struct audit_signer *s)
{
	struct auditkey *ak;

	if (s == NULL)
		return;
	if ((ak = s->ctx) != NULL) {
		hsm_key_free(ak->key);
		free(ak);
	}
	memset(s, 0, sizeof(*s));
}
