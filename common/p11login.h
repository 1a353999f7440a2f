/* p11login.h — the user login on a token, kept: a PKCS#11 login belongs
 * to the application (every session shares it), so it is done once on
 * an anchor session that stays open (closing the last session logs the
 * application out).  A real HSM can still drop it (a reset, a timeout, a
 * C_Logout by any session of ours): then an operation answers
 * CKR_USER_NOT_LOGGED_IN, and p11login_again() logs in once more, with
 * the PIN read again from the PIN file (it is not kept in memory).
 * Thread-safe. */
#ifndef SIGNET_P11LOGIN_H
#define SIGNET_P11LOGIN_H

#include <pthread.h>
#include <stddef.h>
#include <gpg-error.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

struct p11login;

/* Open the anchor session on SLOT and log in as the user with the PIN
 * from PIN_FILE (wiped after use).  A wrong PIN is GPG_ERR_BAD_PIN. */
gpg_error_t p11login_open(CK_FUNCTION_LIST_PTR fn, CK_SLOT_ID slot, const char *pin_file,
                          struct p11login **login, char *err, size_t errlen);
/* Close the anchor session (which logs out when it was the last). */
void p11login_close(struct p11login *login);

CK_FUNCTION_LIST_PTR p11login_fn(const struct p11login *login);
CK_SLOT_ID p11login_slot(const struct p11login *login);
/* How many C_Login calls succeeded: 1 after p11login_open(), one more per
 * re-login. */
unsigned long p11login_count(struct p11login *login);

/* After CKR_USER_NOT_LOGGED_IN on session S: log in again unless another
 * thread did meanwhile.  CKR_OK when S is logged in afterwards. */
CK_RV p11login_again(struct p11login *login, CK_SESSION_HANDLE s);
/* Before an operation that does not fail when logged out but goes wrong
 * (C_FindObjects does not see private objects then): CKR_OK when S is
 * logged in, after logging in again if needed. */
CK_RV p11login_ensure(struct p11login *login, CK_SESSION_HANDLE s);

/* Held from "is the label free?" to "generated" by p11gen_unique(). */
pthread_mutex_t *p11login_keygen_lock(struct p11login *login);

#endif
