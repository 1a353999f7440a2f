/* keystate.c — see keystate.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "keystate.h"

struct kparse {
	const char *name;
	int line;
	char *err;
	size_t errlen;
};

static gpg_error_t
perr(struct kparse *kp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static gpg_error_t
perr(struct kparse *kp, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(kp->err, kp->errlen, "%s:%d: %s", kp->name, kp->line, why);
	return gpg_error(GPG_ERR_INV_VALUE);
}

/* A decimal epoch second of at most 10 digits, no sign, no leading zero
 * (but "0"), that fits uint32_t. */
static int
parse_u32(const char *s, uint32_t *v)
{
	uint64_t x = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* Split LINE at single spaces into at most MAX words. */
static size_t
split(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		w[n++] = p;
		if ((p = strchr(p, ' ')) == NULL)
			break;
		*p++ = '\0';
	}
	return p != NULL ? max + 1 : n;
}

static gpg_error_t
parse_subkey(struct kparse *kp, char **w, struct keystate *ks)
{
	struct keystate_subkey *s;

	if (ks->nsubs >= KEYSTATE_MAX_SUBKEYS)
		return perr(kp, "more than %d subkeys", KEYSTATE_MAX_SUBKEYS);
	s = &ks->subs[ks->nsubs];
	if (parse_u32(w[1], &s->created) != 0 || s->created == 0 ||
	    parse_u32(w[2], &s->sigtime) != 0 || parse_u32(w[3], &s->expires) != 0)
		return perr(kp, "subkey: want <created> <sigtime> <expires> (epoch seconds)");
	if (s->sigtime < s->created)
		return perr(kp, "subkey: binding time %" PRIu32 " before creation %" PRIu32, s->sigtime, s->created);
	if (s->expires != 0 && s->expires <= s->created)
		return perr(kp, "subkey: expires %" PRIu32 " not after creation %" PRIu32, s->expires, s->created);
	if (ks->nsubs > 0 && s->created <= ks->subs[ks->nsubs - 1].created)
		return perr(kp, "subkey: not newer than the one before (oldest first)");
	/* A rotated-out subkey always got an expiry: one without would stay
	 * valid for verifiers forever while policyd no longer signs with it. */
	if (ks->nsubs > 0 && ks->subs[ks->nsubs - 1].expires == 0)
		return perr(kp, "subkey: the one before has no expiry, but only the current (last) one may lack it");
	ks->nsubs++;
	return 0;
}

gpg_error_t
keystate_parse(const char *name, const char *buf, size_t len, struct keystate *ks,
               char *err, size_t errlen)
{
	struct kparse kp = { name, 0, err, errlen };
	char line[KEYSTATE_MAX_LINE + 1], *w[5];
	size_t pos = 0, ll, nw;
	int have_version = 0, have_primary = 0;
	const char *nl;
	gpg_error_t r;

	memset(ks, 0, sizeof(*ks));
	if (len > KEYSTATE_MAX_FILE) {
		snprintf(err, errlen, "%s: more than %d bytes", name, KEYSTATE_MAX_FILE);
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	while (pos < len) {
		kp.line++;
		nl = memchr(buf + pos, '\n', len - pos);
		ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		if (ll > KEYSTATE_MAX_LINE)
			return perr(&kp, "line longer than %d bytes", KEYSTATE_MAX_LINE);
		memcpy(line, buf + pos, ll);
		line[ll] = '\0';
		pos += ll + (nl ? 1 : 0);
		if (strlen(line) != ll)
			return perr(&kp, "NUL byte");
		if (ll == 0 || line[0] == '#')
			continue;
		nw = split(line, w, 4);
		if (strcmp(w[0], "version") == 0 && nw == 2) {
			if (have_version++ || strcmp(w[1], "1") != 0)
				return perr(&kp, "version: want one \"version 1\" line");
		} else if (strcmp(w[0], "primary") == 0 && nw == 2) {
			if (have_primary++)
				return perr(&kp, "primary: given twice");
			if (strcmp(w[1], "legacy") == 0)
				ks->legacy = 1;
			else if (strcmp(w[1], "certify") != 0)
				return perr(&kp, "primary: want certify or legacy");
		} else if (strcmp(w[0], "subkey") == 0 && nw == 4) {
			if ((r = parse_subkey(&kp, w, ks)) != 0)
				return r;
		} else {
			return perr(&kp, "unknown line (want version, primary or subkey with its values, one "
			            "space apart)");
		}
	}
	kp.line++;
	if (!have_version || !have_primary || ks->nsubs == 0)
		return perr(&kp, "incomplete: want version, primary and at least one subkey line");
	if (ks->subs[ks->nsubs - 1].expires != 0)
		return perr(&kp, "the current (last) subkey expires");
	return 0;
}

gpg_error_t
keystate_load(const char *path, struct keystate *ks, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	gpg_error_t r;

	memset(ks, 0, sizeof(*ks));
	if ((r = atomicfile_read(path, KEYSTATE_MAX_FILE, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s: %s", path, gpg_strerror(r));
		return r;
	}
	r = keystate_parse(path, buf, len, ks, err, errlen);
	free(buf);
	return r;
}

gpg_error_t
keystate_format(const struct keystate *ks, const char *project, char *out, size_t outmax, size_t *len)
{
	struct keystate check;
	char why[256];
	size_t pos, i;
	int n;

	*len = 0;
	n = snprintf(out, outmax, "# key state of project %s: written by signet-policyd, do not edit\n"
	             "version 1\nprimary %s\n", project, ks->legacy ? "legacy" : "certify");
	if (n < 0 || (size_t)n >= outmax)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	pos = (size_t)n;
	for (i = 0; i < ks->nsubs && i < KEYSTATE_MAX_SUBKEYS; i++) {
		n = snprintf(out + pos, outmax - pos, "subkey %" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
		             ks->subs[i].created, ks->subs[i].sigtime, ks->subs[i].expires);
		if (n < 0 || (size_t)n >= outmax - pos)
			return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
		pos += (size_t)n;
	}
	if (keystate_parse(project, out, pos, &check, why, sizeof(why)) != 0 || check.nsubs != ks->nsubs)
		return gpg_error(GPG_ERR_INV_VALUE);
	*len = pos;
	return 0;
}

gpg_error_t
keystate_save(const char *path, const struct keystate *ks, const char *project)
{
	char buf[KEYSTATE_MAX_FILE + 1];
	size_t len = 0;
	gpg_error_t r;

	if ((r = keystate_format(ks, project, buf, sizeof(buf), &len)) != 0)
		return r;
	return atomicfile_write_durable(path, buf, len, 0644);
}

gpg_error_t
keystate_path(const char *cert, char *out, size_t outmax)
{
	int n = snprintf(out, outmax, "%s%s", cert, KEYSTATE_SUFFIX);

	return n < 0 || (size_t)n >= outmax ? gpg_error(GPG_ERR_ENAMETOOLONG) : 0;
}

gpg_error_t
keystate_label(const char *project, uint32_t created, char *out, size_t outmax)
{
	int n = snprintf(out, outmax, "%s:sign:%" PRIu32, project, created);

	return n < 0 || (size_t)n >= outmax ? gpg_error(GPG_ERR_ENAMETOOLONG) : 0;
}

size_t
keystate_current(const struct keystate *ks)
{
	return ks->nsubs > 0 ? ks->nsubs - 1 : 0;
}

int
keystate_usable(const struct keystate *ks, size_t i, int64_t now)
{
	if (i >= ks->nsubs)
		return 0;
	if (i == keystate_current(ks))
		return 1;
	return ks->subs[i].expires != 0 && now < (int64_t)ks->subs[i].expires;
}
