/* audittrail.c — the home's trails and their verifier keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auditseg.h"
#include "audittrail.h"
#include "errbuf.h"
#include "readfile.h"

int
audittrail_home(const struct cli *cli, struct home *h)
{
	gpg_error_t err = home_paths(cli_home(cli), h);

	if (err != 0)
		return cli_fail("audit: home %s: %s", cli_home(cli), gpg_strerror(err));
	return CLI_EXIT_OK;
}

int
audittrail_exists(const char *path)
{
	char first[4096];
	struct stat sb;

	if (stat(path, &sb) == 0)
		return 1;
	return auditseg_name(path, 1, first, sizeof(first)) == 0 && stat(first, &sb) == 0;
}

gpg_error_t
audittrail_base(const char *file, char *out, size_t outlen)
{
	size_t len = strlen(file), keep = len, i;

	if (len > AUDITSEG_DIGITS + 1 && file[len - AUDITSEG_DIGITS - 1] == '.') {
		keep = len - AUDITSEG_DIGITS - 1;
		for (i = keep + 1; i < len; i++)
			if (file[i] < '0' || file[i] > '9')
				keep = len;
	}
	if (keep >= outlen)
		return gpg_error(GPG_ERR_TOO_LARGE);
	memcpy(out, file, keep);
	out[keep] = '\0';
	return 0;
}

gpg_error_t
audittrail_parse_vkey(const char *s, struct note_vkey *key, char *err, size_t errlen)
{
	const char *why = NULL;
	gpg_error_t r = note_vkey_parse(s, strlen(s), key, &why);

	if (r != 0)
		errbuf_set(err, errlen, "not a verifier key (NAME+HASH+KEY): %s",
		           why != NULL ? why : gpg_strerror(r));
	return r;
}

gpg_error_t
audittrail_read_vkey(const char *path, char *text, size_t textlen, struct note_vkey *key,
                     char *err, size_t errlen)
{
	char *buf = NULL, why[256];
	size_t len = 0;
	gpg_error_t r = readfile_bounded(path, NOTE_MAX_VKEY + 1, &buf, &len, err, errlen);

	if (r != 0)
		return r;
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len + 1 > textlen) {
		errbuf_set(err, errlen, "%s: too long for a verifier key", path);
		r = gpg_error(GPG_ERR_TOO_LARGE);
		goto out;
	}
	memcpy(text, buf, len + 1);
	if ((r = audittrail_parse_vkey(text, key, why, sizeof(why))) != 0)
		errbuf_set(err, errlen, "%s: %s", path, why);
out:
	free(buf);
	return r;
}
