/* p11login.c — see p11login.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11err.h"
#include "p11login.h"
#include "pinfile.h"
#include "signet-err.h"

struct p11login {
	CK_FUNCTION_LIST_PTR fn;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE anchor;
	char *pin_file;
	pthread_mutex_t lock;          /* one re-login at a time */
	pthread_mutex_t keygen_lock;
	unsigned long logins;
};

static int
logged_in(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_RV *rv)
{
	CK_SESSION_INFO info;

	if ((*rv = fn->C_GetSessionInfo(s, &info)) != CKR_OK)
		return 0;
	return info.state == CKS_RO_USER_FUNCTIONS || info.state == CKS_RW_USER_FUNCTIONS;
}

/* C_Login on S with the PIN from L's file; called with L->lock held (or
 * before L is shared).  A PIN file that cannot be read: CKR_PIN_INVALID,
 * *FILE_ERR its error and ERR (may be NULL) why. */
static CK_RV
login_once(struct p11login *l, CK_SESSION_HANDLE s, gpg_error_t *file_err, char *err, size_t errlen)
{
	char pin[PINFILE_BUF], why[256];
	CK_RV rv;

	memset(pin, 0, sizeof(pin));
	*file_err = pinfile_read(l->pin_file, pin, sizeof(pin), err ? err : why, err ? errlen : sizeof(why));
	if (*file_err != 0)
		return CKR_PIN_INVALID;
	rv = l->fn->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	explicit_bzero(pin, sizeof(pin));
	if (rv == CKR_OK)
		l->logins++;
	return rv == CKR_USER_ALREADY_LOGGED_IN ? CKR_OK : rv;
}

gpg_error_t
p11login_open(CK_FUNCTION_LIST_PTR fn, CK_SLOT_ID slot, const char *pin_file, struct p11login **loginp,
              char *err, size_t errlen)
{
	struct p11login *l = NULL;
	char tmp[P11ERR_MAX_TEXT];
	gpg_error_t r, file_err = 0;
	CK_RV rv;

	*loginp = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL || (l->pin_file = strdup(pin_file)) == NULL) {
		r = gpg_error_from_syserror();
		free(l);
		return r;
	}
	l->fn = fn;
	l->slot = slot;
	l->anchor = CK_INVALID_HANDLE;
	if (pthread_mutex_init(&l->lock, NULL) != 0 || pthread_mutex_init(&l->keygen_lock, NULL) != 0) {
		free(l->pin_file);
		free(l);
		snprintf(err, errlen, "cannot create the login lock");
		return gpg_error(GPG_ERR_ENOMEM);
	}
	rv = fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &l->anchor);
	if (rv != CKR_OK) {
		l->anchor = CK_INVALID_HANDLE;
		r = p11err_fail(err, errlen, "C_OpenSession", rv);
		goto out;
	}
	if ((rv = login_once(l, l->anchor, &file_err, err, errlen)) != CKR_OK) {
		r = file_err;
		if (file_err == 0) {
			snprintf(err, errlen, "login to the token failed: %s%s (check pin_file %s)",
			         p11err_name(rv, tmp, sizeof(tmp)), rv == CKR_PIN_INCORRECT ? " (wrong PIN)" : "",
			         pin_file);
			r = gpg_error(rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID ? GPG_ERR_BAD_PIN
			                                                                : SIGNET_ERR_HSM);
		}
		goto out;
	}
	*loginp = l;
	l = NULL;
	r = 0; /* success */
out:
	p11login_close(l);
	return r;
}

void
p11login_close(struct p11login *l)
{
	if (l == NULL)
		return;
	if (l->anchor != CK_INVALID_HANDLE)
		l->fn->C_CloseSession(l->anchor);
	pthread_mutex_destroy(&l->lock);
	pthread_mutex_destroy(&l->keygen_lock);
	free(l->pin_file);
	free(l);
}

CK_FUNCTION_LIST_PTR
p11login_fn(const struct p11login *l)
{
	return l->fn;
}

CK_SLOT_ID
p11login_slot(const struct p11login *l)
{
	return l->slot;
}

unsigned long
p11login_count(struct p11login *l)
{
	unsigned long n;

	pthread_mutex_lock(&l->lock);
	n = l->logins;
	pthread_mutex_unlock(&l->lock);
	return n;
}

CK_RV
p11login_again(struct p11login *l, CK_SESSION_HANDLE s)
{
	gpg_error_t file_err;
	CK_RV rv;

	pthread_mutex_lock(&l->lock);
	/* Another thread that met the same logout may have logged in. */
	if (!logged_in(l->fn, s, &rv) && rv == CKR_OK)
		rv = login_once(l, s, &file_err, NULL, 0);
	pthread_mutex_unlock(&l->lock);
	return rv;
}

CK_RV
p11login_ensure(struct p11login *l, CK_SESSION_HANDLE s)
{
	CK_RV rv;

	if (logged_in(l->fn, s, &rv))
		return CKR_OK;
	return rv == CKR_OK ? p11login_again(l, s) : rv;
}

pthread_mutex_t *
p11login_keygen_lock(struct p11login *l)
{
	return &l->keygen_lock;
}
