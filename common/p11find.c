/* p11find.c — see p11find.h. */
#include <string.h>

#include "p11err.h"
#include "p11find.h"

CK_RV
p11find_private(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, const char *label, const uint8_t *id,
                size_t id_len, CK_OBJECT_HANDLE *first, CK_ULONG *count)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[3];
	CK_ULONG n = 0, found = 0;
	CK_OBJECT_HANDLE objs[2];
	CK_RV rv, rv2;

	*count = 0;
	tmpl[n++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	if (label != NULL)
		tmpl[n++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, strlen(label) };
	if (id_len > 0)
		tmpl[n++] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
	if ((rv = fn->C_FindObjectsInit(s, tmpl, n)) != CKR_OK)
		return rv;
	rv = fn->C_FindObjects(s, objs, 2, &found);
	rv2 = fn->C_FindObjectsFinal(s);
	if (rv == CKR_OK)
		rv = rv2;
	if (rv == CKR_OK) {
		*count = found;
		if (found > 0)
			*first = objs[0];
	}
	return rv;
}

gpg_error_t
p11find_key(struct p11login *l, CK_SESSION_HANDLE s, const char *label, const uint8_t *id, size_t id_len,
            CK_OBJECT_HANDLE *key, enum p11_keytype *type, char *err, size_t errlen)
{
	CK_FUNCTION_LIST_PTR fn = p11login_fn(l);
	CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
	CK_ULONG count = 0;
	CK_RV rv;

	*key = CK_INVALID_HANDLE;
	*type = P11_KT_NONE;
	if (label == NULL && id_len == 0)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((rv = p11login_ensure(l, s)) != CKR_OK)
		return p11err_fail(err, errlen, "C_Login (again)", rv);
	if ((rv = p11find_private(fn, s, label, id, id_len, &obj, &count)) != CKR_OK)
		return p11err_fail(err, errlen, "C_FindObjects", rv);
	if (count != 1)
		return gpg_error(count == 0 ? GPG_ERR_NOT_FOUND : GPG_ERR_AMBIGUOUS);
	if ((rv = p11key_type(fn, s, obj, type)) != CKR_OK)
		return p11err_fail(err, errlen, "C_GetAttributeValue(CKA_KEY_TYPE)", rv);
	*key = obj;
	return 0;
}

gpg_error_t
p11find_uri(struct p11login *l, CK_SESSION_HANDLE s, const struct p11uri *uri, CK_OBJECT_HANDLE *key,
            enum p11_keytype *type, char *err, size_t errlen)
{
	return p11find_key(l, s, uri->has_object ? uri->object : NULL, uri->id, uri->has_id ? uri->id_len : 0,
	                   key, type, err, errlen);
}
