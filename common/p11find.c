/* p11find.c — see p11find.h. */
#include <string.h>

#include "p11err.h"
#include "p11find.h"

/* Count (up to 2) objects of class CLS with LABEL (LABEL_LEN bytes;
 * NULL: any) and ID (ID_LEN 0: any); *FIRST gets one. */
static CK_RV
find_objects(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const void *label,
             size_t label_len, const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE *first, CK_ULONG *count)
{
	CK_ATTRIBUTE tmpl[3];
	CK_ULONG n = 0, found = 0;
	CK_OBJECT_HANDLE objs[2];
	CK_RV rv, rv2;

	*count = 0;
	tmpl[n++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	if (label != NULL)
		tmpl[n++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, label_len };
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

CK_RV
p11find_private(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, const char *label, const uint8_t *id,
                size_t id_len, CK_OBJECT_HANDLE *first, CK_ULONG *count)
{
	return find_objects(fn, s, CKO_PRIVATE_KEY, label, label ? strlen(label) : 0, id, id_len, first, count);
}

CK_OBJECT_HANDLE
p11keyref_handle(const struct p11keyref *ref)
{
	return __atomic_load_n(&ref->handle, __ATOMIC_ACQUIRE);
}

CK_RV
p11keyref_set(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, CK_OBJECT_CLASS cls,
              struct p11keyref *ref)
{
	CK_ATTRIBUTE a[2] = {
		{ CKA_LABEL, ref->label, sizeof(ref->label) },
		{ CKA_ID, ref->id, sizeof(ref->id) },
	};
	CK_RV rv;

	memset(ref, 0, sizeof(*ref));
	/* A secret key has no Signet type: P11_KT_NONE. */
	if (cls != CKO_SECRET_KEY && (rv = p11key_type(fn, s, obj, &ref->type)) != CKR_OK)
		return rv;
	/* An attribute an object lacks reads as length -1: none, then. */
	if ((rv = fn->C_GetAttributeValue(s, obj, a, 2)) != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID)
		return rv;
	ref->label_len = a[0].ulValueLen == CK_UNAVAILABLE_INFORMATION ? 0 : a[0].ulValueLen;
	ref->id_len = a[1].ulValueLen == CK_UNAVAILABLE_INFORMATION ? 0 : a[1].ulValueLen;
	ref->cls = cls;
	ref->handle = obj;
	return CKR_OK;
}

int
p11find_retry(struct p11login *l, CK_SESSION_HANDLE s, struct p11keyref *ref, CK_RV rv)
{
	CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
	CK_ULONG count = 0;

	if (rv != CKR_USER_NOT_LOGGED_IN && rv != CKR_OBJECT_HANDLE_INVALID && rv != CKR_KEY_HANDLE_INVALID)
		return 0;
	if (p11login_ensure(l, s) != CKR_OK)
		return 0;
	if (find_objects(p11login_fn(l), s, ref->cls, ref->label, ref->label_len, ref->id, ref->id_len, &obj,
	                 &count) != CKR_OK || count != 1)
		return 0;
	__atomic_store_n(&ref->handle, obj, __ATOMIC_RELEASE);
	return 1;
}

gpg_error_t
p11find_key(struct p11login *l, CK_SESSION_HANDLE s, const char *label, const uint8_t *id, size_t id_len,
            struct p11keyref *ref, char *err, size_t errlen)
{
	CK_FUNCTION_LIST_PTR fn = p11login_fn(l);
	CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
	CK_ULONG count = 0;
	CK_RV rv;

	memset(ref, 0, sizeof(*ref));
	if (label == NULL && id_len == 0)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((rv = p11login_ensure(l, s)) != CKR_OK)
		return p11err_fail(err, errlen, "C_Login (again)", rv);
	if ((rv = p11find_private(fn, s, label, id, id_len, &obj, &count)) != CKR_OK)
		return p11err_fail(err, errlen, "C_FindObjects", rv);
	if (count != 1)
		return gpg_error(count == 0 ? GPG_ERR_NOT_FOUND : GPG_ERR_AMBIGUOUS);
	if ((rv = p11keyref_set(fn, s, obj, CKO_PRIVATE_KEY, ref)) != CKR_OK)
		return p11err_fail(err, errlen, "C_GetAttributeValue(key type, label, id)", rv);
	return 0;
}

gpg_error_t
p11find_uri(struct p11login *l, CK_SESSION_HANDLE s, const struct p11uri *uri, struct p11keyref *ref,
            char *err, size_t errlen)
{
	return p11find_key(l, s, uri->has_object ? uri->object : NULL, uri->id, uri->has_id ? uri->id_len : 0,
	                   ref, err, errlen);
}
