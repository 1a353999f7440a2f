/* platform-linux.c — see platform.h. */
#include "platform.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <unistd.h>

/* Buffer for getpw*_r/getgr*_r records; grown on ERANGE up to this. */
#define PLATFORM_PWBUF_MIN 1024
#define PLATFORM_PWBUF_MAX (1024 * 1024)
/* More groups than this for one user is refused rather than allocated
 * (the kernel's NGROUPS_MAX); the first try has room for this many, and
 * getgrouplist's "need more" answer is retried this often. */
#define PLATFORM_MAX_GROUPS 65536
#define PLATFORM_GROUPS_FIRST 64
#define PLATFORM_GROUPS_TRIES 4

gpg_error_t
platform_peercred(int fd, uid_t *uid, gid_t *gid, pid_t *pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return gpg_error_from_syserror();
	if (len != sizeof(cred))
		return gpg_error(GPG_ERR_EPROTO);
	if (uid != NULL)
		*uid = cred.uid;
	if (gid != NULL)
		*gid = cred.gid;
	if (pid != NULL)
		*pid = cred.pid;
	return 0;
}

void
platform_harden(void)
{
	struct rlimit rl = { 0, 0 };

	/* Best effort: a failure here must not stop a daemon, and there is
	 * nothing better to do than carry on. */
	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* getpwuid_r/getpwnam_r with a buffer that grows on ERANGE.  Returns the
 * malloc'd buffer (caller frees) and sets *RES, or NULL with *RES NULL. */
static char *
lookup_pw(const char *name, uid_t uid, struct passwd *pw, struct passwd **res)
{
	size_t size = PLATFORM_PWBUF_MIN;
	char *buf = NULL, *tmp;
	int rc;

	*res = NULL;
	for (;;) {
		if ((tmp = realloc(buf, size)) == NULL)
			break;
		buf = tmp;
		if (name != NULL)
			rc = getpwnam_r(name, pw, buf, size, res);
		else
			rc = getpwuid_r(uid, pw, buf, size, res);
		if (rc != ERANGE || size >= PLATFORM_PWBUF_MAX)
			break;
		size *= 2;
	}
	if (*res == NULL) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int
lookup_gid(const char *group, gid_t *gid)
{
	size_t size = PLATFORM_PWBUF_MIN;
	struct group gr, *res = NULL;
	char *buf = NULL, *tmp;
	int rc;

	for (;;) {
		if ((tmp = realloc(buf, size)) == NULL)
			break;
		buf = tmp;
		rc = getgrnam_r(group, &gr, buf, size, &res);
		if (rc != ERANGE || size >= PLATFORM_PWBUF_MAX)
			break;
		size *= 2;
	}
	if (res != NULL)
		*gid = gr.gr_gid;
	free(buf);
	return res != NULL ? 0 : -1;
}

void
platform_user_name(uid_t uid, char *out, size_t outlen)
{
	struct passwd pw, *res;
	char *buf;

	if (out == NULL || outlen == 0)
		return;
	buf = lookup_pw(NULL, uid, &pw, &res);
	if (res != NULL && res->pw_name != NULL && res->pw_name[0] != '\0' &&
	    strlen(res->pw_name) < outlen)
		snprintf(out, outlen, "%s", res->pw_name);
	else
		snprintf(out, outlen, "#%lu", (unsigned long)uid);
	free(buf);
}

int
platform_group_gid(const char *name, gid_t *gid)
{
	if (name == NULL || name[0] == '\0')
		return -1;
	return lookup_gid(name, gid);
}

gpg_error_t
platform_user_groups(uid_t uid, gid_t **groups, size_t *ngroups)
{
	struct passwd pw, *res;
	gid_t *v = NULL, *tmp;
	char *buf = NULL;
	int size = PLATFORM_GROUPS_FIRST, tries, n;
	gpg_error_t r = gpg_error(GPG_ERR_ENOMEM);

	*groups = NULL;
	*ngroups = 0;
	/* Groups come from NSS by user name; a uid without a passwd entry
	 * belongs to none. */
	if ((buf = lookup_pw(NULL, uid, &pw, &res)) == NULL) {
		r = gpg_error(GPG_ERR_NOT_FOUND);
		goto out;
	}
	/* getgrouplist says how many it needs; the list may grow between two
	 * calls, so try a few times, never past the bound. */
	for (tries = 0; tries < PLATFORM_GROUPS_TRIES; tries++) {
		if ((tmp = reallocarray(v, (size_t)size, sizeof(*v))) == NULL)
			goto out;
		v = tmp;
		n = size;
		if (getgrouplist(res->pw_name, res->pw_gid, v, &n) != -1) {
			*groups = v;
			*ngroups = n < 0 ? 0 : (size_t)n;
			v = NULL;
			r = 0;
			goto out;
		}
		if (n > PLATFORM_MAX_GROUPS) {
			r = gpg_error(GPG_ERR_TOO_LARGE);
			goto out;
		}
		size = n > size ? n : size * 2;
		if (size > PLATFORM_MAX_GROUPS)
			size = PLATFORM_MAX_GROUPS;
	}
	r = gpg_error(GPG_ERR_TOO_LARGE);
out:
	free(v);
	free(buf);
	return r;
}

int
platform_user_uid(const char *name, uid_t *uid)
{
	struct passwd pw, *res;
	char *buf;

	if (name == NULL || name[0] == '\0')
		return -1;
	buf = lookup_pw(name, 0, &pw, &res);
	if (res == NULL)
		return -1;
	if (uid != NULL)
		*uid = res->pw_uid;
	free(buf);
	return 0;
}

int
platform_clock_synced(unsigned max_error_ms, char *why, size_t whylen)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));   /* modes 0: read only */
	if ((state = adjtimex(&tx)) < 0) {
		snprintf(why, whylen, "adjtimex: %s", strerror(errno));
		return 0;
	}
	if (state == TIME_ERROR || (tx.status & STA_UNSYNC) != 0) {
		snprintf(why, whylen, "the kernel reports the system clock as not synchronised (adjtimex)");
		return 0;
	}
	/* maxerror is in microseconds. */
	if (tx.maxerror < 0 || (unsigned long)tx.maxerror > (unsigned long)max_error_ms * 1000ul) {
		snprintf(why, whylen, "the kernel reports a clock error of %ld us, more than %u ms", tx.maxerror,
		         max_error_ms);
		return 0;
	}
	return 1;
}

gpg_error_t
platform_raise_nofile(unsigned long need, char *err, size_t errlen)
{
	struct rlimit rl;
	int e;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(err, errlen, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return gpg_error_from_syserror();
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = need;
	/* Only a privileged process may raise the hard limit. */
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return 0;
	e = errno;
	(void)getrlimit(RLIMIT_NOFILE, &rl);
	snprintf(err, errlen, "%lu open files are needed but the limit (RLIMIT_NOFILE) is %llu and cannot be "
	         "raised (%s); raise it (ulimit -n, systemd LimitNOFILE=) or lower the connection limit",
	         need, (unsigned long long)rl.rlim_max, strerror(e));
	return gpg_error(GPG_ERR_TOO_LARGE);
}
