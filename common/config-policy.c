/* config-policy.c — see config-policy.h.
 *
 * hours = DAYS TIME-TIME[, DAYS TIME-TIME]... ZONE
 *   DAYS: Mon..Sun, a range (Mon-Fri, Fri-Mon wraps) or a comma list of
 *   those (Mon,Wed,Fri-Sat); TIME-TIME: HH:MM-HH:MM, the end may be 24:00
 *   and may be before the start (the window runs past midnight);
 *   ZONE: UTC or an IANA name with a file under /usr/share/zoneinfo.
 * The value is split into words at blanks, with each ',' a word of its
 * own; a ',' after a time range starts the next window. */
#include "config-policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "duration.h"

#define HOURS_MAX_WORDS 96
#define HOURS_MAX_WORD  CONFIG_MAX_TZ

static const char *const day_names[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

struct words {
	char w[HOURS_MAX_WORDS][HOURS_MAX_WORD];
	size_t n, pos;
};

/* Split VALUE into WS; 0, or -1 with a reason. */
static int
split_words(const char *value, struct words *ws, char *reason, size_t rlen)
{
	const char *p = value;

	ws->n = ws->pos = 0;
	while (*p != '\0') {
		size_t len;

		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		len = *p == ',' ? 1 : strcspn(p, " \t,");
		if (ws->n == HOURS_MAX_WORDS || len >= HOURS_MAX_WORD) {
			snprintf(reason, rlen, "too long (at most %d windows; a zone name of at most %d characters)",
			         CONFIG_MAX_WINDOWS, CONFIG_MAX_TZ - 1);
			return -1;
		}
		memcpy(ws->w[ws->n], p, len);
		ws->w[ws->n][len] = '\0';
		ws->n++;
		p += len;
	}
	return 0;
}

static const char *
peek(const struct words *ws, size_t ahead)
{
	return ws->pos + ahead < ws->n ? ws->w[ws->pos + ahead] : NULL;
}

static int
day_index(const char *s, size_t len)
{
	int i;

	if (len != 3)
		return -1;
	for (i = 0; i < 7; i++)
		if (strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "Mon" or "Mon-Fri" (wrapping) into a day mask; 0 if it is neither. */
static unsigned
day_item(const char *s)
{
	const char *dash = strchr(s, '-');
	int a, b;
	unsigned mask = 0;

	if (dash == NULL)
		return (a = day_index(s, strlen(s))) < 0 ? 0 : 1u << a;
	if ((a = day_index(s, (size_t)(dash - s))) < 0 || (b = day_index(dash + 1, strlen(dash + 1))) < 0)
		return 0;
	for (;;) {
		mask |= 1u << a;
		if (a == b)
			break;
		a = (a + 1) % 7;
	}
	return mask;
}

/* "HH:MM" at S (5 bytes) into minutes; END allows 24:00.  -1 if bad. */
static int
clock_minutes(const char *s, int end)
{
	int h, m;

	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] != ':' ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h == 24 && m == 0 && end)
		return 1440;
	if (h > 23)
		return -1;
	return h * 60 + m;
}

static int
parse_range(const char *s, struct hours_window *w, char *reason, size_t rlen)
{
	int a, b;

	if (strlen(s) != 11 || s[5] != '-' || (a = clock_minutes(s, 0)) < 0 || (b = clock_minutes(s + 6, 1)) < 0) {
		snprintf(reason, rlen, "'%s': expected a time range HH:MM-HH:MM (06:00-20:00; 22:00-06:00 runs "
		         "past midnight; 00:00-24:00 is the whole day)", s);
		return -1;
	}
	if (a == b) {
		snprintf(reason, rlen, "'%s': empty time range (for the whole day write 00:00-24:00)", s);
		return -1;
	}
	w->start_min = (uint16_t)a;
	w->end_min = (uint16_t)b;
	return 0;
}

int
config_tz_ok(const char *tz)
{
	char path[sizeof(CONFIG_ZONEINFO) + CONFIG_MAX_TZ + 1];
	struct stat st;
	const char *p;
	size_t len = strlen(tz);

	if (strcmp(tz, "UTC") == 0)
		return 1;
	if (len == 0 || len >= CONFIG_MAX_TZ || tz[0] == '/' || tz[0] == '.')
		return 0;
	for (p = tz; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '+' || c == '.'))
			return 0;
		/* No "..", no "/." and no "//": a plain name below the folder. */
		if (c == '/' && (p[1] == '.' || p[1] == '/' || p[1] == '\0'))
			return 0;
		if (c == '.' && p[1] == '.')
			return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", CONFIG_ZONEINFO, tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* One window (DAYS TIME-TIME) at WS into W. */
static int
parse_window(struct words *ws, struct hours_window *w, char *reason, size_t rlen)
{
	unsigned mask = 0, one;
	const char *s;

	for (;;) {
		s = peek(ws, 0);
		if (s == NULL || (one = day_item(s)) == 0) {
			snprintf(reason, rlen, "'%s': expected days (Mon-Fri, Sat, Mon,Wed,Fri or Mon-Sun)",
			         s != NULL ? s : "(end)");
			return -1;
		}
		mask |= one;
		ws->pos++;
		/* "Mon, Wed": a ',' between days continues the list. */
		if (peek(ws, 0) != NULL && strcmp(peek(ws, 0), ",") == 0 && peek(ws, 1) != NULL &&
		    day_item(peek(ws, 1)) != 0) {
			ws->pos++;
			continue;
		}
		break;
	}
	if ((s = peek(ws, 0)) == NULL) {
		snprintf(reason, rlen, "a time range HH:MM-HH:MM is missing after the days");
		return -1;
	}
	if (parse_range(s, w, reason, rlen) != 0)
		return -1;
	ws->pos++;
	w->days = (uint8_t)mask;
	return 0;
}

gpg_error_t
config_parse_hours(const char *value, struct hours *h, char *reason, size_t rlen)
{
	struct words *ws = NULL;
	struct hours tmp;
	const char *s;
	gpg_error_t r = gpg_error(GPG_ERR_INV_VALUE);

	memset(&tmp, 0, sizeof(tmp));
	if ((ws = calloc(1, sizeof(*ws))) == NULL)
		return gpg_error_from_syserror();
	if (split_words(value, ws, reason, rlen) != 0)
		goto out;
	for (;;) {
		if (tmp.nwindows == CONFIG_MAX_WINDOWS) {
			snprintf(reason, rlen, "too many windows (at most %d)", CONFIG_MAX_WINDOWS);
			goto out;
		}
		if (parse_window(ws, &tmp.w[tmp.nwindows], reason, rlen) != 0)
			goto out;
		tmp.nwindows++;
		s = peek(ws, 0);
		if (s == NULL || strcmp(s, ",") != 0)
			break;
		ws->pos++;
	}
	if ((s = peek(ws, 0)) == NULL) {
		snprintf(reason, rlen, "the time zone is missing at the end (UTC, or a name such as Europe/Berlin)");
		goto out;
	}
	if (peek(ws, 1) != NULL) {
		snprintf(reason, rlen, "'%s' after the time zone '%s' (the zone comes last; separate windows "
		         "with ',')", peek(ws, 1), s);
		goto out;
	}
	if (!config_tz_ok(s)) {
		snprintf(reason, rlen, "'%s': unknown time zone (UTC, or a name under %s such as Europe/Berlin)",
		         s, CONFIG_ZONEINFO);
		goto out;
	}
	snprintf(tmp.tz, sizeof(tmp.tz), "%s", s);
	*h = tmp;
	r = 0; /* success */
out:
	free(ws);
	return r;
}

gpg_error_t
config_parse_rate(const char *value, struct rate *rt, char *reason, size_t rlen)
{
	static const struct { const char *name; unsigned sec; } periods[] = {
		{ "second", 1 }, { "minute", 60 }, { "hour", 3600 }, { "day", 86400 },
	};
	unsigned long n = 0;
	const char *p;
	size_t i;

	for (p = value; *p >= '0' && *p <= '9' && p - value < 7; p++)
		n = n * 10 + (unsigned long)(*p - '0');
	if (p == value || *p != '/' || n < 1 || n > CONFIG_MAX_RATE)
		goto bad;
	p++;
	for (i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
		if (strcmp(p, periods[i].name) == 0) {
			rt->count = (unsigned)n;
			rt->period_sec = periods[i].sec;
			return 0;
		}
	}
bad:
	snprintf(reason, rlen, "expected N/second, N/minute, N/hour or N/day with N from 1 to %d "
	         "(100/hour); remove the key for no limit", CONFIG_MAX_RATE);
	return gpg_error(GPG_ERR_INV_VALUE);
}

gpg_error_t
config_parse_approvals(const char *value, unsigned *n, char *reason, size_t rlen)
{
	unsigned v = 0;
	const char *p;

	for (p = value; *p >= '0' && *p <= '9' && p - value < 3; p++)
		v = v * 10 + (unsigned)(*p - '0');
	if (p == value || *p != '\0' || v > CONFIG_MAX_APPROVALS) {
		snprintf(reason, rlen, "expected a number from 0 to %d (distinct approvers needed; 0: none)",
		         CONFIG_MAX_APPROVALS);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	*n = v;
	return 0;
}

gpg_error_t
config_parse_wait(const char *value, unsigned *secs, char *reason, size_t rlen)
{
	uint32_t v = 0;

	if (duration_parse(value, CONFIG_MAX_APPROVAL_WAIT, &v) != 0) {
		snprintf(reason, rlen, "expected 0 or a number with a unit s, m, h or d (30s, 15m, 2h, 1d), "
		         "at most %dh", CONFIG_MAX_APPROVAL_WAIT / 3600);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	*secs = v;
	return 0;
}

gpg_error_t
config_parse_second_factor(const char *value, enum second_factor *sf, char *reason, size_t rlen)
{
	if (strcmp(value, "none") == 0)
		*sf = SECOND_FACTOR_NONE;
	else if (strcmp(value, "totp") == 0)
		*sf = SECOND_FACTOR_TOTP;
	else {
		snprintf(reason, rlen, "expected none or totp");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	return 0;
}

gpg_error_t
config_check_policy(const struct project_conf *p, char *reason, size_t rlen)
{
	size_t i, users = 0, groups = 0;

	if (p->approvals == 0)
		return 0;
	for (i = 0; i < p->napprovers; i++) {
		if (p->approvers[i].kind == PRINCIPAL_GROUP)
			groups++;
		else
			users++;
	}
	if (p->napprovers == 0) {
		snprintf(reason, rlen, "approvals = %u but no approvers; add approvers = user:NAME group:NAME "
		         "or set approvals = 0", p->approvals);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	/* With groups we cannot count people here (membership changes). */
	if (groups == 0 && users < p->approvals) {
		snprintf(reason, rlen, "approvals = %u but approvers names only %zu user(s); add approvers or "
		         "lower approvals", p->approvals, users);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	return 0;
}
