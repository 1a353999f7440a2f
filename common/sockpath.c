/* sockpath.c — see sockpath.h. */
#include "sockpath.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "trustpath.h"

#define SOCKPATH_MAX_NAME 64
/* Room to build a candidate before its length is judged. */
#define SOCKPATH_BUF 4096

static gpg_error_t
copy_out(const char *path, char *out, size_t outlen)
{
	size_t len = strlen(path);

	if (len > SOCKPATH_MAX)
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	if (len + 1 > outlen)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	memcpy(out, path, len + 1);
	return 0;
}

/* The runtime folder: "<base>/signet-<uid>-XXXXXX" into FOLDER, made with
 * a random name when CREATE is set. */
static gpg_error_t
runtime_folder(int create, char *folder, size_t len, char *why, size_t whylen)
{
	int n = snprintf(folder, len, SOCKPATH_RUNTIME_BASE "/signet-%lu-XXXXXX", (unsigned long)getuid());
	gpg_error_t r;

	if (n < 0 || (size_t)n >= len)
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	if (!create)
		return 0;
	if (mkdtemp(folder) == NULL) {
		r = gpg_error_from_syserror();
		snprintf(why, whylen, "cannot make a runtime folder in " SOCKPATH_RUNTIME_BASE ": %s",
		         strerror(errno));
		return r;
	}
	/* mkdtemp makes it 0700; signers (other users) must reach the socket. */
	if (chmod(folder, 0755) != 0) {
		r = gpg_error_from_syserror();
		snprintf(why, whylen, "chmod %s: %s", folder, strerror(errno));
		rmdir(folder);
		return r;
	}
	return 0;
}

gpg_error_t
sockpath_choose(const char *dir, const char *name, int create, char *out, size_t outlen,
                char *why, size_t whylen)
{
	char path[SOCKPATH_BUF], folder[128];
	size_t dirlen;
	gpg_error_t r;
	int n;

	if (whylen > 0)
		why[0] = '\0';
	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (dir == NULL || dir[0] != '/' || name == NULL || name[0] == '\0' || out == NULL ||
	    strchr(name, '/') != NULL || strlen(name) > SOCKPATH_MAX_NAME) {
		snprintf(why, whylen, "bad socket folder or name");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	/* "/a/b/" and "/a/b" are one folder. */
	dirlen = strlen(dir);
	while (dirlen > 1 && dir[dirlen - 1] == '/')
		dirlen--;
	if (dirlen > 1)
		n = snprintf(path, sizeof(path), "%.*s/%s", (int)dirlen, dir, name);
	else
		n = snprintf(path, sizeof(path), "/%s", name);
	if (n > 0 && (size_t)n <= SOCKPATH_MAX)
		return copy_out(path, out, outlen);

	/* Too long for sun_path: a fresh folder of our own. */
	if ((r = runtime_folder(0, folder, sizeof(folder), why, whylen)) != 0)
		return r;
	n = snprintf(path, sizeof(path), "%s/%s", folder, name);
	if (n < 0 || (size_t)n > SOCKPATH_MAX) {
		snprintf(why, whylen, "%s is too long for a socket", path);
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	}
	if (create && (r = runtime_folder(1, folder, sizeof(folder), why, whylen)) != 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", folder, name);
	if ((r = copy_out(path, out, outlen)) != 0 && create)
		rmdir(folder);
	return r;
}

gpg_error_t
sockpath_prepare_dir(const char *path, char *why, size_t whylen)
{
	char parent[SOCKPATH_BUF];
	const char *slash;
	struct stat st;
	size_t len;
	gpg_error_t r;

	if (whylen > 0)
		why[0] = '\0';
	if (path == NULL || path[0] != '/') {
		snprintf(why, whylen, "the socket path must be absolute");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	slash = strrchr(path, '/');
	len = (size_t)(slash - path);
	if (len == 0)
		len = 1;   /* right under / */
	if (len >= sizeof(parent)) {
		snprintf(why, whylen, "socket path too long");
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	}
	memcpy(parent, path, len);
	parent[len] = '\0';

	if (mkdir(parent, 0755) == -1 && errno != EEXIST) {
		r = gpg_error_from_syserror();
		snprintf(why, whylen, "cannot make %s: %s", parent, strerror(errno));
		return r;
	}
	/* lstat: a symlink planted in /tmp must not redirect our socket. */
	if (lstat(parent, &st) == -1 || !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a folder (move it away)", parent);
		return gpg_error(GPG_ERR_ENOTDIR);
	}
	/* Someone may have made the folder first (a squatted runtime folder),
	 * or it sits where others can swap it. */
	return trustpath_check(parent, geteuid(), why, whylen);
}
