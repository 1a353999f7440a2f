/* auditseg.c — names of an audit trail's segment files. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditseg.h"

gpg_error_t
auditseg_name(const char *path, unsigned k, char *out, size_t outlen)
{
	int n;

	if (path == NULL || out == NULL || k == 0 || k > AUDITSEG_MAX)
		return gpg_error(GPG_ERR_INV_ARG);
	n = snprintf(out, outlen, "%s.%0*u", path, AUDITSEG_DIGITS, k);
	if (n < 0 || (size_t)n >= outlen)
		return gpg_error(GPG_ERR_TOO_LARGE);
	return 0;
}

gpg_error_t
auditseg_sidecar(const char *path, const char *suffix, char *out, size_t outlen)
{
	int n;

	if (path == NULL || suffix == NULL || out == NULL)
		return gpg_error(GPG_ERR_INV_ARG);
	n = snprintf(out, outlen, "%s%s", path, suffix);
	if (n < 0 || (size_t)n >= outlen)
		return gpg_error(GPG_ERR_TOO_LARGE);
	return 0;
}

/* The segment number NAME stands for when it is BASE "." and exactly
 * AUDITSEG_DIGITS digits; 0 otherwise. */
static unsigned
segment_number(const char *name, const char *base, size_t blen)
{
	const char *d;
	unsigned k = 0;
	int i;

	if (strncmp(name, base, blen) != 0 || name[blen] != '.')
		return 0;
	d = name + blen + 1;
	for (i = 0; i < AUDITSEG_DIGITS; i++) {
		if (d[i] < '0' || d[i] > '9')
			return 0;
		k = k * 10 + (unsigned)(d[i] - '0');
	}
	return d[AUDITSEG_DIGITS] == '\0' ? k : 0;
}

static int
cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

gpg_error_t
auditseg_list(const char *path, unsigned **ksp, size_t *np)
{
	char *dir = NULL;
	const char *base;
	DIR *d = NULL;
	struct dirent *de;
	unsigned *ks = NULL, *grown;
	size_t n = 0, cap = 0, blen;
	gpg_error_t r;

	if (ksp == NULL || np == NULL || path == NULL)
		return gpg_error(GPG_ERR_INV_ARG);
	*ksp = NULL;
	*np = 0;
	base = strrchr(path, '/');
	dir = base == NULL ? strdup(".") : strndup(path, base == path ? 1 : (size_t)(base - path));
	base = base == NULL ? path : base + 1;
	blen = strlen(base);
	if (dir == NULL || blen == 0) {
		r = dir == NULL ? gpg_error_from_syserror() : gpg_error(GPG_ERR_INV_ARG);
		goto out;
	}
	if ((d = opendir(dir)) == NULL) {
		r = gpg_error_from_syserror();
		goto out;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		unsigned k = segment_number(de->d_name, base, blen);

		if (k == 0)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if (cap > AUDITSEG_MAX || (grown = realloc(ks, cap * sizeof(*ks))) == NULL) {
				r = gpg_error(GPG_ERR_ENOMEM);
				goto out;
			}
			ks = grown;
		}
		ks[n++] = k;
	}
	if (errno != 0) {
		r = gpg_error_from_syserror();
		goto out;
	}
	if (n > 1)
		qsort(ks, n, sizeof(*ks), cmp_unsigned);
	*ksp = n == 0 ? NULL : ks;
	*np = n;
	if (n != 0)
		ks = NULL;
	r = 0; /* success */
out:
	if (d != NULL)
		closedir(d);
	free(ks);
	free(dir);
	return r;
}
