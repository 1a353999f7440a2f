/* denials.h — the last refused request of each user, so that the user can
 * ask why (`signet why`): gpg shows only "No policy match", the audit trail
 * is not readable by signers, and the full reason should not need an admin.
 *
 * Bounded: DENIALS_MAX users; a new user takes the slot of the oldest
 * denial.  In memory only (the audit trail is the durable record).
 * Thread-safe. */
#ifndef SIGNET_POLICYD_DENIALS_H
#define SIGNET_POLICYD_DENIALS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <gpg-error.h>

#define DENIALS_MAX        256
#define DENIAL_REASON_MAX  512
#define DENIAL_PROJECT_MAX 65

struct denial {
	uid_t uid;
	time_t when;
	uint64_t seq;                      /* its audit record; 0 if none */
	char project[DENIAL_PROJECT_MAX];  /* "" if the request named none */
	char reason[DENIAL_REASON_MAX];
};

struct denials;

gpg_error_t denials_new(struct denials **d);
void denials_free(struct denials *d);

/* Remember a refusal for UID (PROJECT may be NULL; strings are truncated). */
void denials_record(struct denials *d, uid_t uid, uint64_t seq, const char *project,
                    const char *reason);

/* Copy UID's last refusal to *OUT: 0, or GPG_ERR_NOT_FOUND if none. */
gpg_error_t denials_last(struct denials *d, uid_t uid, struct denial *out);

#endif
