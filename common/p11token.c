/* p11token.c — see p11token.h. */
#include <stdio.h>
#include <string.h>

#include "p11err.h"
#include "p11token.h"
#include "pinfile.h"
#include "signet-err.h"

static gpg_error_t
check_label(const char *label, char *err, size_t errlen)
{
	size_t l = strlen(label);

	if (l == 0 || l > P11TOKEN_LABEL_LEN) {
		snprintf(err, errlen, "token label \"%.64s\" must be 1 to %d bytes", label, P11TOKEN_LABEL_LEN);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	return 0;
}

/* The first slot with a token whose initialised flag is INITIALISED and,
 * for an initialised one, whose label is LABEL (blank-padded). */
static gpg_error_t
scan(CK_FUNCTION_LIST_PTR fn, const char *label, int initialised, CK_SLOT_ID *slot, char *err,
     size_t errlen)
{
	CK_SLOT_ID slots[P11TOKEN_MAX_SLOTS];
	CK_ULONG n = P11TOKEN_MAX_SLOTS, i;
	CK_TOKEN_INFO ti;
	char want[P11TOKEN_LABEL_LEN];
	CK_RV rv;

	memset(want, ' ', sizeof(want));
	memcpy(want, label, strlen(label));
	if ((rv = fn->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		return p11err_fail(err, errlen, "C_GetSlotList", rv);
	for (i = 0; i < n; i++) {
		if (fn->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    !(ti.flags & CKF_TOKEN_INITIALIZED) != !initialised)
			continue;
		if (!initialised || memcmp(ti.label, want, sizeof(want)) == 0) {
			*slot = slots[i];
			return 0;
		}
	}
	return gpg_error(GPG_ERR_NOT_FOUND);
}

gpg_error_t
p11token_find(CK_FUNCTION_LIST_PTR fn, const char *label, CK_SLOT_ID *slot, char *err, size_t errlen)
{
	gpg_error_t r;

	if ((r = check_label(label, err, errlen)) != 0)
		return r;
	r = scan(fn, label, 1, slot, err, errlen);
	if (gpg_err_code(r) == GPG_ERR_NOT_FOUND)
		snprintf(err, errlen, "no initialised token labelled \"%s\"", label);
	return r;
}

/* As the SO of the new token in SLOT, set the user PIN. */
static gpg_error_t
set_user_pin(CK_FUNCTION_LIST_PTR fn, CK_SLOT_ID slot, const char *so_pin, const char *pin, char *err,
             size_t errlen)
{
	CK_SESSION_HANDLE s;
	gpg_error_t r;
	CK_RV rv;

	if ((rv = fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) != CKR_OK)
		return p11err_fail(err, errlen, "C_OpenSession", rv);
	if ((rv = fn->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin))) != CKR_OK) {
		r = p11err_fail(err, errlen, "C_Login (SO)", rv);
	} else {
		rv = fn->C_InitPIN(s, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		r = rv == CKR_OK ? 0 : p11err_fail(err, errlen, "C_InitPIN", rv);
		fn->C_Logout(s);
	}
	fn->C_CloseSession(s);
	return r;
}

gpg_error_t
p11token_init(CK_FUNCTION_LIST_PTR fn, const char *label, const char *so_pin_file, const char *pin_file,
              int *created, char *err, size_t errlen)
{
	char so_pin[PINFILE_BUF], pin[PINFILE_BUF];
	CK_UTF8CHAR padded[P11TOKEN_LABEL_LEN];
	CK_SLOT_ID slot;
	gpg_error_t r;
	CK_RV rv;

	*created = 0;
	memset(so_pin, 0, sizeof(so_pin));
	memset(pin, 0, sizeof(pin));
	if ((r = check_label(label, err, errlen)) != 0)
		return r;
	r = scan(fn, label, 1, &slot, err, errlen);
	if (gpg_err_code(r) != GPG_ERR_NOT_FOUND)
		return r; /* there already, or the slot list failed */
	if ((r = scan(fn, label, 0, &slot, err, errlen)) != 0) {
		if (gpg_err_code(r) != GPG_ERR_NOT_FOUND)
			return r;
		snprintf(err, errlen, "no slot with an uninitialised token for \"%s\"", label);
		return gpg_error(SIGNET_ERR_HSM);
	}
	if ((r = pinfile_read(so_pin_file, so_pin, sizeof(so_pin), err, errlen)) != 0 ||
	    (r = pinfile_read(pin_file, pin, sizeof(pin), err, errlen)) != 0)
		goto out;
	memset(padded, ' ', sizeof(padded));
	memcpy(padded, label, strlen(label));
	if ((rv = fn->C_InitToken(slot, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin), padded)) != CKR_OK) {
		r = p11err_fail(err, errlen, "C_InitToken", rv);
		goto out;
	}
	/* SoftHSM2 moves an initialised token to a new slot id: look again. */
	if ((r = p11token_find(fn, label, &slot, err, errlen)) != 0 ||
	    (r = set_user_pin(fn, slot, so_pin, pin, err, errlen)) != 0)
		goto out;
	*created = 1;
	r = 0; /* success */
out:
	explicit_bzero(so_pin, sizeof(so_pin));
	explicit_bzero(pin, sizeof(pin));
	return r;
}
