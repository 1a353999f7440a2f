/* p11pool.c — see p11pool.h. */
#include <pthread.h>
#include <stdlib.h>

#include "p11err.h"
#include "p11pool.h"

struct p11pool {
	CK_FUNCTION_LIST_PTR fn;
	CK_SLOT_ID slot;
	size_t max;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	CK_SESSION_HANDLE idle[P11POOL_MAX];   /* IDLE[0..NIDLE) are free */
	size_t nidle;
	size_t nopen;                          /* sessions that exist, idle or taken */
};

gpg_error_t
p11pool_new(CK_FUNCTION_LIST_PTR fn, CK_SLOT_ID slot, size_t max, struct p11pool **poolp)
{
	struct p11pool *p;

	*poolp = NULL;
	if (max == 0 || max > P11POOL_MAX)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return gpg_error_from_syserror();
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	if (pthread_cond_init(&p->cond, NULL) != 0) {
		pthread_mutex_destroy(&p->lock);
		free(p);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	p->fn = fn;
	p->slot = slot;
	p->max = max;
	*poolp = p;
	return 0;
}

void
p11pool_free(struct p11pool *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nidle; i++)
		p->fn->C_CloseSession(p->idle[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}

gpg_error_t
p11pool_get(struct p11pool *p, CK_SESSION_HANDLE *s, char *err, size_t errlen)
{
	CK_RV rv;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (p->nidle > 0) {
			*s = p->idle[--p->nidle];
			pthread_mutex_unlock(&p->lock);
			return 0;
		}
		if (p->nopen < p->max) {
			p->nopen++;
			break;
		}
		pthread_cond_wait(&p->cond, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);

	rv = p->fn->C_OpenSession(p->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, s);
	if (rv != CKR_OK) {
		pthread_mutex_lock(&p->lock);
		p->nopen--;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
		return p11err_fail(err, errlen, "C_OpenSession", rv);
	}
	return 0;
}

int
p11pool_broken(CK_RV rv)
{
	return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_OPERATION_ACTIVE ||
	       rv == CKR_DEVICE_ERROR || rv == CKR_GENERAL_ERROR;
}

void
p11pool_put(struct p11pool *p, CK_SESSION_HANDLE s, CK_RV rv)
{
	int drop = p11pool_broken(rv);

	if (drop)
		p->fn->C_CloseSession(s);
	pthread_mutex_lock(&p->lock);
	if (drop)
		p->nopen--;
	else
		p->idle[p->nidle++] = s;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}
