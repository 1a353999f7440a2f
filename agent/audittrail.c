/* audittrail.c — the home's trails and their verifier keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "auditline.h"
#include "auditseg.h"
#include "audittrail.h"
#include "config.h"
#include "errbuf.h"
#include "merkle.h"
#include "readfile.h"
#include "tsaconf.h"

/* The trails the home's configuration names: [policyd] audit in
 * signet.conf and audit in tsa.conf, where a file exists (a copy of the
 * trails may come without them: then the home's default places).  A file
 * that exists but cannot be read is an error, never a silent fall back to
 * another trail than the daemons write. */
static int
configured_trails(struct home *h)
{
	struct signet_config *cfg = NULL;
	struct tsaconf tc;
	char err[512] = "";
	struct stat sb;
	gpg_error_t rc;

	if (stat(h->conf, &sb) == 0) {
		if ((rc = config_load(h->conf, &cfg, err, sizeof(err))) != 0)
			return cli_fail("audit: read %s: %s; fix it, or name the trail files on the command line",
			                h->conf, err[0] ? err : gpg_strerror(rc));
		if (cfg->audit != NULL && strlen(cfg->audit) < sizeof(h->audit))
			snprintf(h->audit, sizeof(h->audit), "%s", cfg->audit);
		config_free(cfg);
	}
	err[0] = '\0';
	memset(&tc, 0, sizeof(tc));
	rc = tsaconf_read(h->tsa_conf, &tc, err, sizeof(err));
	if (rc != 0 && gpg_err_code(rc) != GPG_ERR_ENOENT)
		return cli_fail("audit: read %s: %s; fix it, or name the trail files on the command line",
		                h->tsa_conf, err[0] ? err : gpg_strerror(rc));
	if (rc == 0 && tc.audit[0] != '\0')
		snprintf(h->tsa_audit, sizeof(h->tsa_audit), "%s", tc.audit);
	return CLI_EXIT_OK;
}

int
audittrail_home(const struct cli *cli, struct home *h)
{
	gpg_error_t err = home_paths(cli_home(cli), h);

	if (err != 0)
		return cli_fail("audit: home %s: %s", cli_home(cli), gpg_strerror(err));
	return configured_trails(h);
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

/* A decimal tree size, with at most one final line feed. */
static int
parse_size(const char *s, size_t len, uint64_t *size)
{
	uint64_t v = 0;
	size_t i;

	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (len == 0 || len > 15 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > MERKLE_MAX_SIZE)
		return -1;
	*size = v;
	return 0;
}

/* The note of a checkpoint record line BUF (LEN bytes) into NOTE. */
static int
note_of_record(const char *buf, size_t len, char *note, size_t notemax, size_t *notelen)
{
	const struct auditline_member *m;
	struct auditline rec;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (auditline_scan(buf, len, &rec, NULL, NULL) != 0 || (m = auditline_get(&rec, "note")) == NULL)
		return -1;
	return auditline_unescape(m, note, notemax, notelen) == 0 ? 0 : -1;
}

gpg_error_t
audittrail_read_checkpoint(const char *file, const struct note_vkey *key, int size_ok,
                           struct note_checkpoint *cp, int *is_size, char *err, size_t errlen)
{
	char *buf = NULL, note[NOTE_MAX_LEN + 1];
	const char *why = NULL, *text;
	size_t len = 0, notelen;
	gpg_error_t r;

	*is_size = 0;
	memset(cp, 0, sizeof(*cp));
	if ((r = readfile_bounded(file, AUDIT_MAX_LINE, &buf, &len, err, errlen)) != 0)
		return r;
	text = buf;
	notelen = len;
	if (size_ok && parse_size(buf, len, &cp->size) == 0) {
		*is_size = 1;
		goto out;
	}
	if (len > 0 && buf[0] == '{') {
		if (note_of_record(buf, len, note, sizeof(note), &notelen) != 0) {
			errbuf_set(err, errlen, "%s: a JSON line that is not a checkpoint record", file);
			r = gpg_error(GPG_ERR_INV_DATA);
			goto out;
		}
		text = note;
	}
	r = key != NULL ? note_checkpoint_verify(text, notelen, key, cp, &why)
	                : note_checkpoint_parse(text, notelen, cp, &why);
	if (r != 0)
		errbuf_set(err, errlen, "%s: %s (%s)", file, gpg_err_code(r) == GPG_ERR_BAD_SIGNATURE
		           ? "the checkpoint is not signed by the audit key"
		           : size_ok ? "neither a tree size nor a checkpoint (note or record)"
		                     : "not a checkpoint (note or record)", why != NULL ? why : "?");
out:
	free(buf);
	return r;
}
