/* hours.h — is signing allowed now under a project's hours = … key, and
 * when does it open next?  The windows are wall-clock times in the
 * project's IANA time zone (config.h struct hours), so a window keeps its
 * local times across daylight-saving changes: "Mon-Fri 06:00-20:00
 * Europe/Berlin" opens at 06:00 Berlin time in winter and in summer. */
#ifndef SIGNET_POLICYD_HOURS_H
#define SIGNET_POLICYD_HOURS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"

#define HOURS_SEARCH_DAYS 8        /* next_open looks this far ahead */
#define HOURS_MAX_TEXT    512      /* hours_format() of CONFIG_MAX_WINDOWS windows */
#define HOURS_MAX_WHEN    (CONFIG_MAX_TZ + 48)  /* hours_format_time() */

/* 1 if NOW falls inside one of H's windows (or H has none).  Else 0, and
 * *NEXT_OPEN (may be NULL) is the first instant after NOW at which a
 * window opens, searched HOURS_SEARCH_DAYS ahead; 0 if none opens in that
 * time (a window on no day cannot happen: the parser refuses it).  A
 * window start that does not exist on a day (02:30 when the clocks jump
 * from 02:00 to 03:00) opens at the jump.  Fails closed: if the time
 * cannot be converted, 0 with *NEXT_OPEN 0. */
int hours_allow(const struct hours *h, time_t now, time_t *next_open);

/* H as written in signet.conf, normalised ("Mon-Fri 06:00-20:00, Sat
 * 09:00-12:00 Europe/Berlin"); "" for no windows.  Truncated to OUTLEN. */
void hours_format(const struct hours *h, char *out, size_t outlen);

/* T as a local time in H's zone for messages ("Mon 2026-12-07 06:00
 * Europe/Berlin"); "" if it cannot be converted. */
void hours_format_time(const struct hours *h, time_t t, char *out, size_t outlen);

/* hours_allow() converts through the C library's zone files (a tzset()
 * per call); its answer only changes at a minute boundary (windows are
 * whole local minutes, and every zone's current UTC offset is whole
 * minutes), so the daemon keeps the answers of the current minute for a
 * few policies.  Lives in the daemon's context. */
#define HOURS_MEMO_SLOTS 8
struct hours_memo {
	pthread_mutex_t lock;        /* guards the slots; held only to copy */
	struct {
		int used;
		struct hours h;          /* the policy, by value (snapshots come and go) */
		int64_t minute;          /* now / 60 */
		int allowed;
		time_t next_open;
	} slot[HOURS_MEMO_SLOTS];
	unsigned next;               /* the slot the next new answer goes to */
};

void hours_memo_init(struct hours_memo *m);
/* hours_allow(H, NOW, NEXT_OPEN) through M. */
int hours_allow_memo(struct hours_memo *m, const struct hours *h, time_t now, time_t *next_open);

#endif
