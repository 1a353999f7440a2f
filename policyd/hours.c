/* hours.c — see hours.h.
 *
 * glibc converts between time_t and a zone's wall clock only for the
 * process's zone (TZ): there is no localtime_r that takes a zone.  So
 * each conversion sets TZ to the project's zone, calls tzset() and
 * localtime_r()/mktime(), and puts TZ back, all under one mutex so that
 * two projects' zones never mix.  Everything else in policyd works in
 * UTC with gmtime_r(), which does not read TZ, so the brief change of TZ
 * here cannot show anywhere else; no other file may call localtime_r,
 * mktime or tzset.  (tzset re-reads the zone file when TZ changes: a
 * page-cached read per refused or checked SIGN, small beside an RSA
 * signature.)
 *
 * The search for the next opening walks forward in wall-clock steps: to
 * the next window start of the local day, or to local midnight.  A step
 * of wall-clock seconds taken in real seconds is wrong across a clock
 * change (forward: it overshoots; back: a wall-clock time comes twice),
 * so a step that contains a change ends at the change, and the walk goes
 * on from the new wall-clock time.  When a step lands inside a window,
 * the first inside second is found by bisection between the last outside
 * instant and there ("inside" changes at most once in such a step). */
#include "hours.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOURS_MAX_STEPS (HOURS_SEARCH_DAYS * (CONFIG_MAX_WINDOWS + 4) * 2)

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const day_names[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/* The zone switch: tz_enter saves TZ into SAVED (NULL: was unset). */
struct tz_saved {
	char *old;
};

static int
tz_enter(const char *zone, struct tz_saved *saved)
{
	const char *old;
	char spec[CONFIG_MAX_TZ + 2];

	pthread_mutex_lock(&tz_lock);
	old = getenv("TZ");
	saved->old = NULL;
	if (old != NULL && (saved->old = strdup(old)) == NULL)
		goto fail;
	/* ":NAME": a zone file name, never a POSIX TZ rule string. */
	snprintf(spec, sizeof(spec), ":%s", zone);
	if (setenv("TZ", spec, 1) != 0)
		goto fail;
	tzset();
	return 0;
fail:
	free(saved->old);
	pthread_mutex_unlock(&tz_lock);
	return -1;
}

static void
tz_leave(struct tz_saved *saved)
{
	if (saved->old != NULL)
		(void)setenv("TZ", saved->old, 1);
	else
		(void)unsetenv("TZ");
	tzset();
	free(saved->old);
	pthread_mutex_unlock(&tz_lock);
}

static int
day_of(const struct tm *tm)
{
	return (tm->tm_wday + 6) % 7;   /* Monday = 0 */
}

/* Inside a window at local time TM?  (The zone is set.) */
static int
inside_tm(const struct hours *h, const struct tm *tm)
{
	int today = day_of(tm), yesterday = (today + 6) % 7;
	unsigned mins = (unsigned)(tm->tm_hour * 60 + tm->tm_min);
	size_t i;

	for (i = 0; i < h->nwindows; i++) {
		const struct hours_window *w = &h->w[i];

		if (w->start_min < w->end_min) {
			if ((w->days & (1u << today)) && mins >= w->start_min && mins < w->end_min)
				return 1;
		} else {
			/* Past midnight: from start on its day, until end the next day. */
			if ((w->days & (1u << today)) && mins >= w->start_min)
				return 1;
			if ((w->days & (1u << yesterday)) && mins < w->end_min)
				return 1;
		}
	}
	return 0;
}

/* -1: cannot convert. */
static int
inside_at(const struct hours *h, time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	return inside_tm(h, &tm);
}

/* Wall-clock seconds from TM to the next window start of its day or to
 * its midnight, whichever comes first (at least 1). */
static long
seconds_to_boundary(const struct hours *h, const struct tm *tm)
{
	long now_s = (long)tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
	long best = 86400 - now_s;
	int today = day_of(tm);
	size_t i;

	for (i = 0; i < h->nwindows; i++) {
		long start = (long)h->w[i].start_min * 60;

		if ((h->w[i].days & (1u << today)) && start > now_s && start - now_s < best)
			best = start - now_s;
	}
	return best > 0 ? best : 1;
}

/* The first instant in (OUT_T, IN_T] that is inside (OUT_T is outside,
 * IN_T inside). */
static time_t
first_inside(const struct hours *h, time_t out_t, time_t in_t)
{
	while (in_t - out_t > 1) {
		time_t mid = out_t + (in_t - out_t) / 2;

		if (inside_at(h, mid) == 1)
			in_t = mid;
		else
			out_t = mid;
	}
	return in_t;
}

/* The first instant in (FROM, TO] whose UTC offset differs from OFF (the
 * offset at FROM), given that TO's does: a clock change. */
static time_t
offset_change(time_t from, time_t to, long off)
{
	struct tm tm;

	while (to - from > 1) {
		time_t mid = from + (to - from) / 2;

		if (localtime_r(&mid, &tm) != NULL && tm.tm_gmtoff == off)
			from = mid;
		else
			to = mid;
	}
	return to;
}

static int
search_next(const struct hours *h, time_t now, time_t *next_open)
{
	time_t t = now, limit = now + (time_t)HOURS_SEARCH_DAYS * 86400;
	struct tm tm, then;
	int steps, in;

	for (steps = 0; steps < HOURS_MAX_STEPS && t < limit; steps++) {
		time_t prev = t;

		if (localtime_r(&t, &tm) == NULL)
			return -1;
		t += (time_t)seconds_to_boundary(h, &tm);
		/* A clock change in the step: stop there and look again from
		 * its new wall-clock time (back: 02:30 may come twice). */
		if (localtime_r(&t, &then) == NULL)
			return -1;
		if (then.tm_gmtoff != tm.tm_gmtoff)
			t = offset_change(prev, t, tm.tm_gmtoff);
		if ((in = inside_at(h, t)) < 0)
			return -1;
		if (in) {
			*next_open = first_inside(h, prev, t);
			return 0;
		}
	}
	*next_open = 0;
	return 0;
}

int
hours_allow(const struct hours *h, time_t now, time_t *next_open)
{
	struct tz_saved saved;
	int in;

	if (next_open != NULL)
		*next_open = 0;
	if (h == NULL || h->nwindows == 0)
		return 1;
	/* Fail closed: a time that cannot be converted is outside. */
	if (tz_enter(h->tz, &saved) != 0)
		return 0;
	in = inside_at(h, now);
	if (in == 0 && next_open != NULL && search_next(h, now, next_open) != 0)
		*next_open = 0;
	tz_leave(&saved);
	return in == 1;
}

/* "Mon-Fri", "Sat", "Mon,Wed,Fri", "Mon-Sun" for a day mask. */
static size_t
format_days(unsigned days, char *out, size_t outlen)
{
	size_t pos = 0;
	int d = 0, n;

	out[0] = '\0';
	while (d < 7) {
		int e;

		if (!(days & (1u << d))) {
			d++;
			continue;
		}
		for (e = d; e + 1 < 7 && (days & (1u << (e + 1))); e++)
			;
		if (e - d >= 2)
			n = snprintf(out + pos, outlen - pos, "%s%s-%s", pos ? "," : "", day_names[d], day_names[e]);
		else if (e == d)
			n = snprintf(out + pos, outlen - pos, "%s%s", pos ? "," : "", day_names[d]);
		else
			n = snprintf(out + pos, outlen - pos, "%s%s,%s", pos ? "," : "", day_names[d], day_names[e]);
		if (n < 0 || (size_t)n >= outlen - pos)
			return pos;
		pos += (size_t)n;
		d = e + 1;
	}
	return pos;
}

void
hours_format(const struct hours *h, char *out, size_t outlen)
{
	size_t i, pos = 0;
	char days[48];
	int n;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (h == NULL || h->nwindows == 0)
		return;
	for (i = 0; i < h->nwindows; i++) {
		const struct hours_window *w = &h->w[i];

		format_days(w->days, days, sizeof(days));
		n = snprintf(out + pos, outlen - pos, "%s%s %02u:%02u-%02u:%02u", i ? ", " : "", days,
		             w->start_min / 60u, w->start_min % 60u, w->end_min / 60u, w->end_min % 60u);
		if (n < 0 || (size_t)n >= outlen - pos)
			return;
		pos += (size_t)n;
	}
	snprintf(out + pos, outlen - pos, " %s", h->tz);
}

void
hours_format_time(const struct hours *h, time_t t, char *out, size_t outlen)
{
	struct tz_saved saved;
	struct tm tm;
	char stamp[32];

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (h == NULL || tz_enter(h->nwindows > 0 ? h->tz : "UTC", &saved) != 0)
		return;
	if (localtime_r(&t, &tm) != NULL && strftime(stamp, sizeof(stamp), "%a %Y-%m-%d %H:%M", &tm) > 0)
		snprintf(out, outlen, "%s %s", stamp, h->nwindows > 0 ? h->tz : "UTC");
	tz_leave(&saved);
}

void
hours_memo_init(struct hours_memo *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
}

int
hours_allow_memo(struct hours_memo *m, const struct hours *h, time_t now, time_t *next_open)
{
	int64_t minute = (int64_t)now / 60;
	time_t open = 0;
	unsigned i;
	int allowed;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < HOURS_MEMO_SLOTS; i++)
		if (m->slot[i].used && m->slot[i].minute == minute && memcmp(&m->slot[i].h, h, sizeof(*h)) == 0) {
			allowed = m->slot[i].allowed;
			*next_open = m->slot[i].next_open;
			pthread_mutex_unlock(&m->lock);
			return allowed;
		}
	pthread_mutex_unlock(&m->lock);
	allowed = hours_allow(h, now, &open);
	*next_open = open;
	pthread_mutex_lock(&m->lock);
	i = m->next++ % HOURS_MEMO_SLOTS;
	m->slot[i].used = 1;
	m->slot[i].h = *h;
	m->slot[i].minute = minute;
	m->slot[i].allowed = allowed;
	m->slot[i].next_open = open;
	pthread_mutex_unlock(&m->lock);
	return allowed;
}
