/* denials.h — the recent refused requests of each user, so that the user can
 * ask why (`signet why`): gpg shows only "No policy match", the audit trail
 * is not readable by signers, and the full reason should not need an admin.
 *
 * Bounded: the last DENIALS_PER_USER refusals of DENIALS_MAX users; a new
 * user takes the slot of the user refused longest ago.  In memory only (the audit trail is the durable record).
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
#define DENIAL_CODE_MAX    24
#define DENIAL_NEXT_MAX    256
#define DENIALS_PER_USER   8

struct denial {
	uid_t uid;
	time_t when;
	uint64_t seq;                      /* its audit record; 0 if none */
	char project[DENIAL_PROJECT_MAX];  /* "" if the request named none */
	char code[DENIAL_CODE_MAX];        /* "outside_hours"; "" if none */
	char reason[DENIAL_REASON_MAX];
	char next[DENIAL_NEXT_MAX];        /* what to do next; "" if nothing to say */
};

struct denials;

gpg_error_t denials_new(struct denials **d);
void denials_free(struct denials *d);

/* Remember a refusal for UID (PROJECT, CODE and NEXT may be NULL; strings
 * are truncated). */
void denials_record(struct denials *d, uid_t uid, uint64_t seq, const char *project,
                    const char *code, const char *reason, const char *next);

/* Copy UID's last refusal to *OUT: 0, or GPG_ERR_NOT_FOUND if none. */
gpg_error_t denials_last(struct denials *d, uid_t uid, struct denial *out);

/* Copy up to MAX of UID's recent refusals to OUT, newest first; returns
 * how many. */
size_t denials_recent(struct denials *d, uid_t uid, struct denial *out, size_t max);

#endif
