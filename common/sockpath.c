/* sockpath.c — see sockpath.h. */
#include "sockpath.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <gcrypt.h>

#include "hex.h"

#define SOCKPATH_TMP_PREFIX "/tmp/signet-"
#define SOCKPATH_HASH_HEX 16
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

gpg_error_t
sockpath_choose(const char *dir, const char *name, char *out, size_t outlen)
{
	char path[SOCKPATH_BUF];
	uint8_t digest[32];
	char hex[2 * sizeof(digest) + 1];
	size_t dirlen;
	gpg_error_t err;
	int n;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (dir == NULL || dir[0] != '/' || name == NULL || name[0] == '\0' || out == NULL ||
	    strchr(name, '/') != NULL || strlen(name) > SOCKPATH_MAX_NAME)
		return gpg_error(GPG_ERR_INV_VALUE);
	/* "/a/b/" and "/a/b" are one folder and must give one fallback. */
	dirlen = strlen(dir);
	while (dirlen > 1 && dir[dirlen - 1] == '/')
		dirlen--;
	if (dirlen > 1)
		n = snprintf(path, sizeof(path), "%.*s/%s", (int)dirlen, dir, name);
	else
		n = snprintf(path, sizeof(path), "/%s", name);
	if (n > 0 && (size_t)n <= SOCKPATH_MAX)
		return copy_out(path, out, outlen);

	/* Too long for sun_path: a short per-user folder, keyed by a hash of
	 * the home so that two homes of one user do not collide. */
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		gcry_check_version(NULL);
	gcry_md_hash_buffer(GCRY_MD_SHA256, digest, dir, dirlen);
	if ((err = hex_encode_lower(digest, sizeof(digest), hex, sizeof(hex))) != 0)
		return err;
	n = snprintf(path, sizeof(path), SOCKPATH_TMP_PREFIX "%lu/%.*s-%s",
	             (unsigned long)getuid(), SOCKPATH_HASH_HEX, hex, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	return copy_out(path, out, outlen);
}

gpg_error_t
sockpath_prepare_dir(const char *path)
{
	char parent[SOCKPATH_BUF];
	const char *slash;
	struct stat st;
	size_t len;

	if (path == NULL || path[0] != '/')
		return gpg_error(GPG_ERR_INV_VALUE);
	slash = strrchr(path, '/');
	len = (size_t)(slash - path);
	if (len == 0)
		return 0;  /* the root folder exists */
	if (len >= sizeof(parent))
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	memcpy(parent, path, len);
	parent[len] = '\0';

	if (mkdir(parent, 0755) == -1 && errno != EEXIST)
		return gpg_error_from_syserror();
	/* lstat: a symlink planted in /tmp must not redirect our socket. */
	if (lstat(parent, &st) == -1)
		return gpg_error_from_syserror();
	if (!S_ISDIR(st.st_mode))
		return gpg_error(GPG_ERR_ENOTDIR);
	/* The /tmp fallback is a shared namespace: someone else may have made
	 * the folder first.  Only our own, not writable by others, will do. */
	if (strncmp(parent, SOCKPATH_TMP_PREFIX, strlen(SOCKPATH_TMP_PREFIX)) == 0 &&
	    (st.st_uid != getuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0))
		return gpg_error(GPG_ERR_EPERM);
	return 0;
}
