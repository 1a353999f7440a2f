/* abspath.c — see abspath.h. */
#include "abspath.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

gpg_error_t
abspath_make(const char *path, char *out, size_t outlen)
{
	char cwd[PATH_MAX];
	size_t len;
	int n;

	if (path == NULL || path[0] == '\0')
		return gpg_error(GPG_ERR_INV_VALUE);
	if (path[0] == '/') {
		n = snprintf(out, outlen, "%s", path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return gpg_error_from_syserror();
		if (strcmp(path, ".") == 0)
			n = snprintf(out, outlen, "%s", cwd);
		else
			n = snprintf(out, outlen, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
	}
	if (n < 0 || (size_t)n >= outlen)
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	len = strlen(out);
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	return 0;
}
