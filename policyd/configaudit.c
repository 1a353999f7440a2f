/* configaudit.c — see configaudit.h. */
#include "configaudit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "log.h"
#include "policy.h"
#include "readfile.h"

#define CA_REASON 1024

gpg_error_t
configaudit_load(const char *path, struct signet_config **cfg, uint8_t sha256[CONFIGAUDIT_SHA256_LEN],
                 int *have_sha, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	gpg_error_t r;

	*cfg = NULL;
	*have_sha = 0;
	if (errlen > 0)
		err[0] = '\0';
	r = readfile_bounded(path, CONFIG_MAX_FILE, &buf, &len, err, errlen);
	if (gpg_err_code(r) == GPG_ERR_TOO_LARGE)
		r = gpg_error(GPG_ERR_INV_VALUE);   /* as config_load */
	if (r == 0) {
		gcry_md_hash_buffer(GCRY_MD_SHA256, sha256, buf, len);
		*have_sha = 1;
		r = config_parse_buffer(path, buf, len, cfg, err, errlen);
	}
	free(buf);
	return r;
}

/* One "config" record: BY, the file's SHA256 (may be NULL), PROJECT (may
 * be NULL), RESULT and REASON. */
static gpg_error_t
put(struct audit_log *audit, const struct configaudit_by *by, const uint8_t *sha256, const char *project,
    const char *result, const char *reason)
{
	struct audit_event ev;
	gpg_error_t r;

	memset(&ev, 0, sizeof(ev));
	ev.event = "config";
	ev.has_requester = by->has_requester;
	ev.uid = by->uid;
	ev.user = by->user;
	ev.pid = by->pid;
	ev.project = project;
	if (sha256 != NULL) {
		ev.hash = "sha256";
		ev.digest = sha256;
		ev.digest_len = CONFIGAUDIT_SHA256_LEN;
	}
	ev.result = result;
	ev.reason = reason;
	if ((r = audit_append(audit, &ev, NULL)) != 0)
		log_error_e(r, "audit append (configuration %s)", reason);
	return r;
}

static void
keep_first(gpg_error_t *first, gpg_error_t r)
{
	if (*first == 0)
		*first = r;
}

/* "signers user:a → user:a group:b" when the principal lists differ. */
static int
principals_changed(const char *what, const struct principal *a, size_t na, const struct principal *b,
                   size_t nb, char *out, size_t outlen)
{
	char x[CA_REASON / 2 - 32], y[CA_REASON / 2 - 32];

	policy_format_principals(a, na, x, sizeof(x));
	policy_format_principals(b, nb, y, sizeof(y));
	if (strcmp(x, y) == 0)
		return 0;
	snprintf(out, outlen, "%s changed from %s to %s", what, x, y);
	return 1;
}

/* The changes of project P (OLD: its previous version) as records. */
static gpg_error_t
project_changes(struct audit_log *audit, const struct configaudit_by *by, const struct project_conf *old,
                const struct project_conf *p)
{
	char why[CA_REASON], who[CA_REASON / 2], hx[64], hy[64];
	gpg_error_t first = 0;

	if (old == NULL) {
		policy_format_principals(p->signers, p->nsigners, who, sizeof(who));
		policy_format_hashes(p, hx, sizeof(hx));
		snprintf(why, sizeof(why), "project added: key %s, signers %s, hashes %s", p->key_uri, who, hx);
		return put(audit, by, NULL, p->name, "granted", why);
	}
	if (principals_changed("signers", old->signers, old->nsigners, p->signers, p->nsigners, why,
	                       sizeof(why)))
		keep_first(&first, put(audit, by, NULL, p->name, "granted", why));
	if (strcmp(old->key_uri, p->key_uri) != 0) {
		snprintf(why, sizeof(why), "key changed from %s to %s", old->key_uri, p->key_uri);
		keep_first(&first, put(audit, by, NULL, p->name, "granted", why));
	}
	policy_format_hashes(old, hx, sizeof(hx));
	policy_format_hashes(p, hy, sizeof(hy));
	if (strcmp(hx, hy) != 0) {
		snprintf(why, sizeof(why), "hashes changed from %s to %s", hx, hy);
		keep_first(&first, put(audit, by, NULL, p->name, "granted", why));
	}
	return first;
}

gpg_error_t
configaudit_record(struct audit_log *audit, const struct configaudit_by *by,
                   const uint8_t sha256[CONFIGAUDIT_SHA256_LEN], const struct signet_config *old_cfg,
                   const struct signet_config *new_cfg)
{
	char why[CA_REASON];
	gpg_error_t first;
	size_t i;

	snprintf(why, sizeof(why), "configuration %s in force (%s, %zu project(s))", new_cfg->path,
	         by->how, new_cfg->nprojects);
	first = put(audit, by, sha256, NULL, "granted", why);
	if (old_cfg == NULL)
		return first;
	if (principals_changed("admins", old_cfg->admins, old_cfg->nadmins, new_cfg->admins, new_cfg->nadmins,
	                       why, sizeof(why)))
		keep_first(&first, put(audit, by, NULL, NULL, "granted", why));
	for (i = 0; i < new_cfg->nprojects; i++)
		keep_first(&first, project_changes(audit, by, config_find_project(old_cfg, new_cfg->projects[i].name),
		                                   &new_cfg->projects[i]));
	for (i = 0; i < old_cfg->nprojects; i++)
		if (config_find_project(new_cfg, old_cfg->projects[i].name) == NULL)
			keep_first(&first, put(audit, by, NULL, old_cfg->projects[i].name, "granted", "project removed"));
	return first;
}

gpg_error_t
configaudit_failed(struct audit_log *audit, const struct configaudit_by *by, const uint8_t *sha256,
                   const char *err)
{
	char why[CA_REASON];

	snprintf(why, sizeof(why), "reload (%s) refused, the configuration in force is unchanged: %s", by->how, err);
	return put(audit, by, sha256, NULL, "error", why);
}
