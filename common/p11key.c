/* p11key.c — see p11key.h. */
#include <string.h>

#include "p11key.h"

/* DER of the curve OIDs: prime256v1, secp384r1, and id-Ed25519
 * (1.3.101.112, RFC 8410).  PKCS#11 3.0 also allows the printable string
 * "edwards25519" for Ed25519 (pkcs11-tool writes it); both are read. */
static const CK_BYTE p256_oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const CK_BYTE p384_oid[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const CK_BYTE ed25519_oid[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
static const CK_BYTE ed25519_name[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9' };

const CK_BYTE *
p11key_ec_params(enum p11_keytype type, size_t *len)
{
	switch (type) {
	case P11_KT_P256:
		*len = sizeof(p256_oid);
		return p256_oid;
	case P11_KT_P384:
		*len = sizeof(p384_oid);
		return p384_oid;
	case P11_KT_ED25519:
		*len = sizeof(ed25519_oid);
		return ed25519_oid;
	default:
		*len = 0;
		return NULL;
	}
}

size_t
p11key_half_size(enum p11_keytype type)
{
	switch (type) {
	case P11_KT_P256:
	case P11_KT_ED25519:
		return 32;
	case P11_KT_P384:
		return 48;
	default:
		return 0;
	}
}

const char *
p11key_name(enum p11_keytype type)
{
	static const char *const names[] = { "unknown", "RSA", "P-256", "P-384", "Ed25519" };

	return (size_t)type < sizeof(names) / sizeof(names[0]) ? names[type] : names[0];
}

static int
same(const CK_BYTE *a, size_t alen, const CK_BYTE *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

CK_RV
p11key_type(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, enum p11_keytype *type)
{
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_BYTE params[P11KEY_MAX_PARAMS];
	CK_ATTRIBUTE a[2] = {
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_EC_PARAMS, params, sizeof(params) },
	};
	CK_RV rv;

	*type = P11_KT_NONE;
	if ((rv = fn->C_GetAttributeValue(s, obj, a, 1)) != CKR_OK)
		return rv;
	if (kt == CKK_RSA) {
		*type = P11_KT_RSA;
		return CKR_OK;
	}
	if (kt != CKK_EC && kt != CKK_EC_EDWARDS)
		return CKR_OK;
	/* A curve we do not know (or params longer than any we know) is
	 * simply not ours. */
	rv = fn->C_GetAttributeValue(s, obj, &a[1], 1);
	if (rv == CKR_BUFFER_TOO_SMALL || rv == CKR_ATTRIBUTE_TYPE_INVALID)
		return CKR_OK;
	if (rv != CKR_OK)
		return rv;
	if (kt == CKK_EC && same(params, a[1].ulValueLen, p256_oid, sizeof(p256_oid)))
		*type = P11_KT_P256;
	else if (kt == CKK_EC && same(params, a[1].ulValueLen, p384_oid, sizeof(p384_oid)))
		*type = P11_KT_P384;
	else if (kt == CKK_EC_EDWARDS && (same(params, a[1].ulValueLen, ed25519_oid, sizeof(ed25519_oid)) ||
	                                  same(params, a[1].ulValueLen, ed25519_name, sizeof(ed25519_name))))
		*type = P11_KT_ED25519;
	return CKR_OK;
}

CK_RV
p11key_public_of(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE *pub,
                 CK_ULONG *found)
{
	CK_BYTE id[P11KEY_MAX_ID];
	char label[P11KEY_MAX_LABEL];
	CK_ATTRIBUTE a[2] = {
		{ CKA_ID, id, sizeof(id) },
		{ CKA_LABEL, label, sizeof(label) },
	};
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE tmpl[3];
	CK_OBJECT_HANDLE objs[2];
	CK_RV rv, rv2;

	*found = 0;
	if ((rv = fn->C_GetAttributeValue(s, priv, a, 2)) != CKR_OK)
		return rv;
	tmpl[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	tmpl[1] = a[0];
	tmpl[2] = a[1];
	if ((rv = fn->C_FindObjectsInit(s, tmpl, 3)) != CKR_OK)
		return rv;
	rv = fn->C_FindObjects(s, objs, 2, found);
	rv2 = fn->C_FindObjectsFinal(s);
	if (rv == CKR_OK)
		rv = rv2;
	if (rv == CKR_OK && *found == 1)
		*pub = objs[0];
	return rv;
}

CK_RV
p11key_point_of(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, enum p11_keytype type,
                uint8_t *q, size_t qmax, size_t *qlen, CK_ULONG *found)
{
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE;
	uint8_t v[P11KEY_MAX_POINT];
	CK_ATTRIBUTE a = { CKA_EC_POINT, v, sizeof(v) };
	const uint8_t *point = NULL;
	size_t plen = 0;
	CK_RV rv;

	*qlen = 0;
	if ((rv = p11key_public_of(fn, s, priv, &pub, found)) != CKR_OK || *found != 1)
		return rv;
	if ((rv = fn->C_GetAttributeValue(s, pub, &a, 1)) != CKR_OK)
		return rv;
	if (p11key_point_unwrap(type, v, a.ulValueLen, &point, &plen) != 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (plen > qmax)
		return CKR_BUFFER_TOO_SMALL;
	memcpy(q, point, plen);
	*qlen = plen;
	return CKR_OK;
}

int
p11key_point_unwrap(enum p11_keytype type, const uint8_t *v, size_t vlen, const uint8_t **q, size_t *qlen)
{
	/* Uncompressed SEC1 point (0x04 || X || Y) or the 32 Ed25519 bytes. */
	size_t want = type == P11_KT_ED25519 ? 32 : 1 + 2 * p11key_half_size(type);

	if (type == P11_KT_NONE || type == P11_KT_RSA)
		return -1;
	/* A short-form DER length covers every point here (at most 97 bytes). */
	if (vlen == want + 2 && v[0] == 0x04 && v[1] == want)
		v += 2;
	else if (vlen != want)
		return -1;
	if (type != P11_KT_ED25519 && v[0] != 0x04)
		return -1;
	*q = v;
	*qlen = want;
	return 0;
}
