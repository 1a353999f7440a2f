/* trustpath.c — see trustpath.h. */
#include "trustpath.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abspath.h"
#include "platform.h"

/* "name (uid N)" of UID into OUT. */
static void
owner_name(uid_t uid, char *out, size_t outlen)
{
	char name[64];

	platform_user_name(uid, name, sizeof(name));
	snprintf(out, outlen, "%s (uid %lu)", name, (unsigned long)uid);
}

static void
group_name(gid_t gid, char *out, size_t outlen)
{
	struct group gr, *res = NULL;
	char buf[1024];

	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &res) == 0 && res != NULL)
		snprintf(out, outlen, "%s (gid %lu)", res->gr_name, (unsigned long)gid);
	else
		snprintf(out, outlen, "%lu", (unsigned long)gid);
}

/* Judge one entry P with status ST; LAST: it is the path itself, not a
 * folder above it. */
static gpg_error_t
check_entry(const char *p, const struct stat *st, int last, uid_t owner, char *why, size_t whylen)
{
	char who[96], want[96];

	if (st->st_uid != 0 && st->st_uid != owner) {
		owner_name(st->st_uid, who, sizeof(who));
		want[0] = '\0';
		if (owner != 0) {
			snprintf(want, sizeof(want), " or ");
			owner_name(owner, want + 4, sizeof(want) - 4);
		}
		snprintf(why, whylen, "%s: owned by %s, not by root%s (chown it, or move it out of "
		         "a folder others control)", p, who, want);
		return gpg_error(GPG_ERR_EPERM);
	}
	/* A symlink's own mode means nothing; its folder decides who can
	 * replace it, and that folder is checked next. */
	if (S_ISLNK(st->st_mode))
		return 0;
	/* Sticky folders (/tmp) above the path: entries are owned right, so
	 * nobody else can rename or remove them. */
	if (!last && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) != 0)
		return 0;
	if ((st->st_mode & S_IWGRP) != 0) {
		group_name(st->st_gid, who, sizeof(who));
		snprintf(why, whylen, "%s: writable by group %s (chmod g-w %s)", p, who, p);
		return gpg_error(GPG_ERR_EPERM);
	}
	if ((st->st_mode & S_IWOTH) != 0) {
		snprintf(why, whylen, "%s: writable by everyone (chmod o-w %s)", p, p);
		return gpg_error(GPG_ERR_EPERM);
	}
	return 0;
}

/* Walk PATH (absolute) and every folder above it, bottom up.  With
 * NOFOLLOW the path's own last component is not followed (lstat), so a
 * symlink is judged by its owner and its folder.  LAST 0: PATH is itself a
 * folder above what is checked (sticky is fine). */
static gpg_error_t
check_chain(const char *path, int nofollow, int last, uid_t owner, char *why, size_t whylen)
{
	char p[PATH_MAX];
	struct stat st;
	char *slash;
	int rc;
	gpg_error_t r;

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p)) {
		snprintf(why, whylen, "%.64s...: path too long", path);
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	}
	for (;;) {
		rc = nofollow || !last ? lstat(p[0] ? p : "/", &st) : stat(p, &st);
		if (rc != 0) {
			r = gpg_error_from_syserror();
			snprintf(why, whylen, "%s: %s", p[0] ? p : "/", strerror(errno));
			return r;
		}
		if ((r = check_entry(p[0] ? p : "/", &st, last, owner, why, whylen)) != 0)
			return r;
		if (p[0] == '\0' || strcmp(p, "/") == 0)
			return 0;
		if ((slash = strrchr(p, '/')) == NULL)
			return 0;
		*slash = '\0';   /* "/a" becomes "", which stands for "/" */
		last = 0;
	}
}

/* PATH made absolute into OUT, or WHY says why not; WHY starts empty. */
static gpg_error_t
absolute(const char *path, char *out, size_t outlen, char *why, size_t whylen)
{
	gpg_error_t r;

	if (whylen > 0)
		why[0] = '\0';
	if ((r = abspath_make(path, out, outlen)) != 0)
		snprintf(why, whylen, "%.128s: %s", path != NULL && path[0] ? path : "(empty path)",
		         gpg_err_code(r) == GPG_ERR_ENAMETOOLONG ? "path too long" : gpg_strerror(r));
	return r;
}

/* PATH (absolute, existing) as named and as resolved; LAST as in
 * check_chain(). */
static gpg_error_t
check_both(const char *abs, int last, uid_t owner, char *why, size_t whylen)
{
	char *real = NULL;
	gpg_error_t r;

	/* As named: every folder on the way, and a symlink by its owner. */
	if ((r = check_chain(abs, 1, last, owner, why, whylen)) != 0)
		return r;
	/* As resolved: what is really read. */
	if ((real = realpath(abs, NULL)) == NULL) {
		r = gpg_error_from_syserror();
		snprintf(why, whylen, "%s: %s", abs, strerror(errno));
		return r;
	}
	if (strcmp(real, abs) != 0)
		r = check_chain(real, 0, last, owner, why, whylen);
	free(real);
	return r;
}

gpg_error_t
trustpath_check(const char *path, uid_t owner, char *why, size_t whylen)
{
	char abs[PATH_MAX];
	gpg_error_t r;

	if ((r = absolute(path, abs, sizeof(abs), why, whylen)) != 0)
		return r;
	return check_both(abs, 1, owner, why, whylen);
}

gpg_error_t
trustpath_check_new(const char *path, uid_t owner, char *why, size_t whylen)
{
	char abs[PATH_MAX];
	struct stat st;
	char *slash;
	gpg_error_t r;

	if ((r = absolute(path, abs, sizeof(abs), why, whylen)) != 0)
		return r;
	if (lstat(abs, &st) == 0)
		return check_both(abs, 1, owner, why, whylen);
	/* The nearest folder that exists: what we make in it is ours. */
	while ((slash = strrchr(abs, '/')) != NULL && slash != abs) {
		*slash = '\0';
		if (lstat(abs, &st) == 0)
			return check_both(abs, 0, owner, why, whylen);
	}
	return check_both("/", 0, owner, why, whylen);
}

gpg_error_t
trustpath_check_dir_of(const char *path, uid_t owner, char *why, size_t whylen)
{
	char abs[PATH_MAX];
	char *slash;
	gpg_error_t r;

	if ((r = absolute(path, abs, sizeof(abs), why, whylen)) != 0)
		return r;
	slash = strrchr(abs, '/');
	if (slash == abs)
		slash[1] = '\0';   /* a path right under / */
	else
		*slash = '\0';
	return trustpath_check(abs, owner, why, whylen);
}

gpg_error_t
trustpath_check_socket_dir(const char *socket_path, uid_t owner, char *why, size_t whylen)
{
	char dir[PATH_MAX], other[TRUSTPATH_MAX_WHY];
	struct stat st;
	char *slash;
	gpg_error_t r;

	if ((r = trustpath_check_dir_of(socket_path, owner, why, whylen)) == 0 ||
	    gpg_err_code(r) != GPG_ERR_EPERM)
		return r;
	if (absolute(socket_path, dir, sizeof(dir), other, sizeof(other)) != 0 ||
	    (slash = strrchr(dir, '/')) == NULL || slash == dir)
		return r;
	*slash = '\0';
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return r;
	if ((slash = strrchr(dir, '/')) == NULL)
		return r;
	slash[slash == dir ? 1 : 0] = '\0';
	/* Only root can make entries in the folder above: root made DIR and
	 * gave it to its owner.  WHY keeps the first reason otherwise. */
	if (trustpath_check(dir, 0, other, sizeof(other)) != 0)
		return r;
	if (whylen > 0)
		why[0] = '\0';
	return 0;
}

gpg_error_t
trustpath_check_items(const struct trustpath_item *items, size_t n, uid_t owner, char *why, size_t whylen)
{
	char reason[TRUSTPATH_MAX_WHY];
	gpg_error_t r;
	size_t i;

	if (whylen > 0)
		why[0] = '\0';
	for (i = 0; i < n; i++) {
		if (items[i].path == NULL)
			continue;
		r = trustpath_check(items[i].path, owner, reason, sizeof(reason));
		if (r != 0 && !(items[i].may_be_missing && gpg_err_code(r) == GPG_ERR_ENOENT)) {
			snprintf(why, whylen, "%s: %s", items[i].what, reason);
			return r;
		}
	}
	return 0;
}
