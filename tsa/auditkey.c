/* auditkey.c — signet-tsa's audit key on its token (see auditkey.h). */
#include <stdio.h>
#include <string.h>

#include "auditkey.h"
#include "log.h"
#include "signednote.h"

/* The checkpoint thread's signature: pure Ed25519 of the note text, on
 * that thread's own session. */
static gpg_error_t
auditkey_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[NOTE_ED25519_SIG])
{
	char err[256] = "";
	gpg_error_t r = hsmkey_sign_ed25519(ctx, msg, len, sig, err, sizeof(err));

	if (r != 0)
		log_error("audit key %s: %s", TSA_AUDITKEY_LABEL, err);
	return r;
}

/* The audit key, generated when the token has none. */
static gpg_error_t
find_or_make(struct hsmkey *hk, struct hsmkey_obj **obj, uint8_t pub[NOTE_ED25519_PUB], char *err,
             size_t errlen)
{
	gpg_error_t r = hsmkey_load_ed25519(hk, TSA_AUDITKEY_LABEL, obj, pub, err, errlen);

	if (gpg_err_code(r) == GPG_ERR_AMBIGUOUS)
		snprintf(err, errlen, "several private keys labelled \"%s\" on the token: keep one (the one "
		         "whose verifier key the trail's checkpoints name)", TSA_AUDITKEY_LABEL);
	if (gpg_err_code(r) != GPG_ERR_NOT_FOUND)
		return r;
	/* hsmkey_generate refuses a label in use (GPG_ERR_EEXIST): a key
	 * made meanwhile is loaded below rather than doubled. */
	r = hsmkey_generate(hk, TSA_AUDITKEY_LABEL, NULL, 0, HSMKEY_ALGO_ED25519, err, errlen);
	if (r != 0 && gpg_err_code(r) != GPG_ERR_EEXIST)
		return r;
	if (r == 0)
		log_info("audit key generated on the token (Ed25519, object %s)", TSA_AUDITKEY_LABEL);
	return hsmkey_load_ed25519(hk, TSA_AUDITKEY_LABEL, obj, pub, err, errlen);
}

gpg_error_t
tsa_auditkey(struct hsmkey *hk, const char *origin, struct audit_signer *out, char *err, size_t errlen)
{
	struct hsmkey_obj *obj = NULL;
	gpg_error_t r;

	memset(out, 0, sizeof(*out));
	if ((r = note_name_check(origin, "audit origin", err, errlen)) != 0)
		return r;
	if ((r = find_or_make(hk, &obj, out->pub, err, errlen)) != 0)
		goto fail;
	snprintf(out->name, sizeof(out->name), "%s", origin);
	if ((r = note_signer_check(out->name, out->pub, auditkey_sign, obj)) != 0) {
		snprintf(err, errlen, "the audit key \"%s\" makes signatures its public key does not verify: %s",
		         TSA_AUDITKEY_LABEL, gpg_strerror(r));
		goto fail;
	}
	out->sign = auditkey_sign;
	out->ctx = obj;
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return r;
}
