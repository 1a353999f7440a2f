/* policy.c — see policy.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "idcache.h"
#include "policy.h"
#include "signet-err.h"

int
policy_match_principals(const struct principal *p, size_t n, const struct requester *rq)
{
	return policy_find_principal(p, n, rq) != NULL;
}

const struct principal *
policy_find_principal(const struct principal *p, size_t n, const struct requester *rq)
{
	size_t i;
	uid_t puid;
	gid_t pgid;

	if (rq == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (p[i].name == NULL)
			continue;
		switch (p[i].kind) {
		case PRINCIPAL_USER:
			/* By uid, not by name: two names for one uid are one user. */
			if (idcache_uid(rq->ids, p[i].name, &puid) == 0 && puid == rq->uid)
				return &p[i];
			break;
		case PRINCIPAL_GROUP:
			if (idcache_gid(rq->ids, p[i].name, &pgid) == 0 && requester_in_group(rq, pgid))
				return &p[i];
			break;
		default:
			break;
		}
	}
	return NULL;
}

int
policy_may_sign(const struct project_conf *project, const struct requester *rq)
{
	if (project == NULL)
		return 0;
	return policy_match_principals(project->signers, project->nsigners, rq);
}

gpg_error_t
policy_check_hash(const struct project_conf *project, const struct hashalgo *algo,
                  char *why, size_t whylen)
{
	char allowed[128];

	if (algo == NULL) {
		snprintf(why, whylen, "unknown hash algorithm");
		return gpg_error(SIGNET_ERR_HASH_REFUSED);
	}
	/* Collisions are practical for both: never, whatever the config says. */
	if (strcasecmp(algo->name, "sha1") == 0 || strcasecmp(algo->name, "md5") == 0) {
		snprintf(why, whylen, "%s is never allowed (use sha256 or stronger, e.g. gpg --digest-algo SHA256)",
		         algo->name);
		return gpg_error(SIGNET_ERR_HASH_REFUSED);
	}
	if (project == NULL || (project->hash_mask & algo->bit) == 0) {
		policy_format_hashes(project, allowed, sizeof(allowed));
		snprintf(why, whylen, "%s is not allowed for project %s (allowed: %s)", algo->name,
		         project && project->name ? project->name : "?", allowed);
		return gpg_error(SIGNET_ERR_HASH_REFUSED);
	}
	return 0;
}

int
policy_is_admin(const struct signet_config *cfg, const struct requester *rq, uid_t self_uid)
{
	if (rq == NULL)
		return 0;
	if (rq->uid == 0 || rq->uid == self_uid)
		return 1;
	if (cfg == NULL)
		return 0;
	return policy_match_principals(cfg->admins, cfg->nadmins, rq);
}

/* Append S to OUT (position *POS); 0 if it did not fit. */
static int
append(char *out, size_t outlen, size_t *pos, const char *s)
{
	size_t len = strlen(s);

	if (*pos + len + 1 > outlen)
		return 0;
	memcpy(out + *pos, s, len + 1);
	*pos += len;
	return 1;
}

void
policy_format_principals(const struct principal *p, size_t n, char *out, size_t outlen)
{
	size_t i, pos = 0;
	char item[PROJECT_NAME_MAX + 80];

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (n == 0) {
		append(out, outlen, &pos, "nobody");
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(item, sizeof(item), "%s%s:%s", i ? " " : "",
		         p[i].kind == PRINCIPAL_GROUP ? "group" : "user", p[i].name ? p[i].name : "?");
		if (!append(out, outlen, &pos, item)) {
			/* Leave room for the marker: OUTLEN >= 4 keeps " ..." whole. */
			if (outlen >= 5) {
				pos = pos + 5 > outlen ? outlen - 5 : pos;
				out[pos] = '\0';
				append(out, outlen, &pos, " ...");
			}
			return;
		}
	}
}

void
policy_format_hashes(const struct project_conf *project, char *out, size_t outlen)
{
	const struct hashalgo *a;
	size_t i, pos = 0;
	int any = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (i = 0; project != NULL && (a = hashalgo_at(i)) != NULL; i++) {
		if ((project->hash_mask & a->bit) == 0 || strcasecmp(a->name, "sha1") == 0 ||
		    strcasecmp(a->name, "md5") == 0)
			continue;
		if ((any && !append(out, outlen, &pos, " ")) || !append(out, outlen, &pos, a->name))
			return;
		any = 1;
	}
	if (!any)
		append(out, outlen, &pos, "none");
}
