/* p11gen.c — see p11gen.h. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "p11err.h"
#include "p11find.h"
#include "p11gen.h"

#define NATTR(a) (sizeof(a) / sizeof((a)[0]))

CK_RV
p11gen_keypair(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, enum p11_keytype type, unsigned int bits,
               const char *label, const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE *priv)
{
	CK_MECHANISM mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG mbits = bits;
	CK_BYTE exponent[] = { 0x01, 0x00, 0x01 };
	CK_OBJECT_CLASS pubcls = CKO_PUBLIC_KEY, privcls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	CK_OBJECT_HANDLE pub;
	size_t llen = strlen(label), plen = 0;
	const CK_BYTE *params = p11key_ec_params(type, &plen);
	CK_ATTRIBUTE pubt[] = {
		{ CKA_CLASS, &pubcls, sizeof(pubcls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_ENCRYPT, &no, sizeof(no) },
		{ CKA_WRAP, &no, sizeof(no) },
		{ CKA_DERIVE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)label, llen },
		{ CKA_ID, (void *)id, id_len },
		/* RSA; an EC key has CKA_EC_PARAMS here instead. */
		{ CKA_MODULUS_BITS, &mbits, sizeof(mbits) },
		{ CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent) },
	};
	/* The point of the HSM: the private half can never be read out. */
	CK_ATTRIBUTE privt[] = {
		{ CKA_CLASS, &privcls, sizeof(privcls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &no, sizeof(no) },
		{ CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_DERIVE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)label, llen },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_ULONG npub = NATTR(pubt);

	switch (type) {
	case P11_KT_RSA:
		break;
	case P11_KT_P256:
	case P11_KT_P384:
	case P11_KT_ED25519:
		mech.mechanism = type == P11_KT_ED25519 ? CKM_EC_EDWARDS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN;
		kt = type == P11_KT_ED25519 ? CKK_EC_EDWARDS : CKK_EC;
		pubt[npub - 2] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)params, plen };
		npub--;
		break;
	default:
		return CKR_MECHANISM_INVALID;
	}
	return fn->C_GenerateKeyPair(s, &mech, pubt, npub, privt, NATTR(privt), &pub, priv);
}

gpg_error_t
p11gen_unique(struct p11login *l, CK_SESSION_HANDLE s, enum p11_keytype type, unsigned int bits,
              const char *label, const uint8_t *id, size_t id_len, char *err, size_t errlen)
{
	CK_FUNCTION_LIST_PTR fn = p11login_fn(l);
	pthread_mutex_t *lock = p11login_keygen_lock(l);
	CK_OBJECT_HANDLE obj, priv;
	CK_ULONG count = 0;
	gpg_error_t r;
	CK_RV rv;

	/* Logged out, the token hides every private key: the label would
	 * look free. */
	if ((rv = p11login_ensure(l, s)) != CKR_OK)
		return p11err_fail(err, errlen, "C_Login (again)", rv);
	pthread_mutex_lock(lock);
	if ((rv = p11find_private(fn, s, label, NULL, 0, &obj, &count)) != CKR_OK) {
		r = p11err_fail(err, errlen, "C_FindObjects", rv);
	} else if (count > 0) {
		snprintf(err, errlen, "a key labelled %s already exists on the token", label);
		r = gpg_error(GPG_ERR_EEXIST);
	} else {
		rv = p11gen_keypair(fn, s, type, bits, label, id, id_len, &priv);
		r = rv == CKR_OK ? 0 : p11err_fail(err, errlen, "C_GenerateKeyPair", rv);
	}
	pthread_mutex_unlock(lock);
	return r;
}
