/* p11pool.h — a pool of PKCS#11 sessions on one slot, for a daemon whose
 * threads sign at once (one operation per session at a time, PKCS#11
 * §5.6): a thread takes a session, uses it, gives it back.  At most MAX
 * sessions exist; a thread that finds them all busy waits. */
#ifndef SIGNET_P11POOL_H
#define SIGNET_P11POOL_H

#include <stddef.h>
#include <gpg-error.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

#define P11POOL_MAX 64

struct p11pool;

/* A pool of at most MAX (1..P11POOL_MAX) read/write sessions on SLOT,
 * opened as needed. */
gpg_error_t p11pool_new(CK_FUNCTION_LIST_PTR fn, CK_SLOT_ID slot, size_t max, struct p11pool **pool);
/* Close every idle session.  NULL is fine; every session must be back. */
void p11pool_free(struct p11pool *pool);

/* Take a session, opening one if fewer than MAX exist, else wait. */
gpg_error_t p11pool_get(struct p11pool *pool, CK_SESSION_HANDLE *s, char *err, size_t errlen);
/* Give S back after an operation that ended with RV; a session RV says
 * may be unusable (closed, an operation left active, a device error) is
 * closed instead. */
void p11pool_put(struct p11pool *pool, CK_SESSION_HANDLE s, CK_RV rv);

/* 1 if RV means the session that returned it should not be used again. */
int p11pool_broken(CK_RV rv);

#endif
