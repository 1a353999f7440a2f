/* p11sign.c — see p11sign.h. */
#include <string.h>

#include "p11sign.h"

CK_MECHANISM_TYPE
p11sign_mechanism(enum p11_keytype type)
{
	switch (type) {
	case P11_KT_RSA:
		return CKM_RSA_PKCS;
	case P11_KT_P256:
	case P11_KT_P384:
		return CKM_ECDSA;
	case P11_KT_ED25519:
		return CKM_EDDSA;
	default:
		return CKM_VENDOR_DEFINED;
	}
}

/* r || s of LEN bytes in SIG, each half HALF bytes after the call:
 * PKCS#11 says the token answers 2 * HALF bytes, but stripped halves are
 * not unheard of; they can only be told apart when LEN is even. */
static CK_RV
pad_halves(uint8_t *sig, size_t sigmax, size_t *len, size_t half)
{
	size_t got = *len / 2;

	if (*len == 2 * half)
		return CKR_OK;
	if (*len % 2 != 0 || got > half || 2 * half > sigmax)
		return CKR_FUNCTION_FAILED;
	memmove(sig + 2 * half - got, sig + got, got);   /* s to the end */
	memset(sig + half, 0, half - got);
	memmove(sig + half - got, sig, got);             /* r to the end of its half */
	memset(sig, 0, half - got);
	*len = 2 * half;
	return CKR_OK;
}

CK_RV
p11sign_run(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, enum p11_keytype type,
            const uint8_t *in, size_t in_len, uint8_t *sig, size_t sigmax, size_t *siglen)
{
	CK_MECHANISM mech = { p11sign_mechanism(type), NULL, 0 };
	CK_ULONG len = sigmax;
	CK_RV rv;

	*siglen = 0;
	if (mech.mechanism == CKM_VENDOR_DEFINED)
		return CKR_KEY_TYPE_INCONSISTENT;
	if (in_len > P11SIGN_MAX_IN)
		return CKR_DATA_LEN_RANGE;
	if ((rv = fn->C_SignInit(s, &mech, key)) != CKR_OK)
		return rv;
	if ((rv = fn->C_Sign(s, (CK_BYTE_PTR)in, in_len, sig, &len)) != CKR_OK)
		return rv;
	*siglen = len;
	if (mech.mechanism == CKM_ECDSA)
		rv = pad_halves(sig, sigmax, siglen, p11key_half_size(type));
	return rv;
}

CK_RV
p11sign_key(struct p11login *l, CK_SESSION_HANDLE s, struct p11keyref *ref, const uint8_t *in, size_t in_len,
            uint8_t *sig, size_t sigmax, size_t *siglen)
{
	CK_FUNCTION_LIST_PTR fn = p11login_fn(l);
	CK_RV rv = p11sign_run(fn, s, p11keyref_handle(ref), ref->type, in, in_len, sig, sigmax, siglen);

	if (p11find_retry(l, s, ref, rv))
		rv = p11sign_run(fn, s, p11keyref_handle(ref), ref->type, in, in_len, sig, sigmax, siglen);
	return rv;
}
