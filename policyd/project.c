/* project.c — see project.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11uri.h"
#include "project.h"

static gpg_error_t
project_resolve(const struct signet_config *cfg, const struct project_conf *pc, struct hsm *hsm,
                struct project *p, char *err, size_t errlen)
{
	gpg_error_t r;
	struct p11uri uri;
	char why[P11URI_MAX_ATTR * 2 + 128];
	uint8_t n[PGPKEY_MAX_MODULUS + 1], e[16];
	size_t n_len = 0, e_len = 0;
	unsigned int want;

	why[0] = '\0';
	if ((r = p11uri_parse(pc->key_uri, &uri, why, sizeof(why))) != 0)
		goto fail;
	if (uri.has_token && strcmp(uri.token, cfg->token) != 0) {
		snprintf(why, sizeof(why), "names token \"%s\" but [hsm] token is \"%s\"", uri.token, cfg->token);
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto fail;
	}
	if (!uri.has_object && !uri.has_id) {
		snprintf(why, sizeof(why), "names neither object= nor id=");
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto fail;
	}
	if ((r = hsm_find_key(hsm, uri.has_object ? uri.object : NULL, uri.id,
	                      uri.has_id ? uri.id_len : 0, &p->key, why, sizeof(why))) != 0)
		goto fail;
	if ((r = hsm_key_public(hsm, p->key, n, sizeof(n), &n_len, e, sizeof(e), &e_len,
	                        why, sizeof(why))) != 0)
		goto fail;
	if ((r = pgpkey_from_rsa(n, n_len, e, e_len, (uint32_t)pc->created, &p->pub)) != 0) {
		snprintf(why, sizeof(why), "unusable RSA public key: %s", gpg_strerror(r));
		goto fail;
	}
	want = key_algo_bits(pc->algo);
	if (p->pub.bits != want) {
		snprintf(why, sizeof(why), "is a %u-bit key but algo = %s", p->pub.bits, key_algo_name(pc->algo));
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto fail;
	}
	p->conf = pc;
	return 0;
fail:
	snprintf(err, errlen, "%s:%d: project %s: key %s: %s", cfg->path ? cfg->path : "signet.conf",
	         pc->line, pc->name, pc->key_uri, why);
	hsm_key_free(p->key);
	p->key = NULL;
	return r ? r : gpg_error(GPG_ERR_GENERAL);
}

gpg_error_t
project_table_load(const struct signet_config *cfg, struct hsm *hsm,
                   struct project_table **tablep, char *err, size_t errlen)
{
	gpg_error_t r;
	struct project_table *t = NULL;
	size_t i;

	*tablep = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return gpg_error_from_syserror();
	if (cfg->nprojects > 0 && (t->v = calloc(cfg->nprojects, sizeof(*t->v))) == NULL) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < cfg->nprojects; i++) {
		if ((r = project_resolve(cfg, &cfg->projects[i], hsm, &t->v[i], err, errlen)) != 0)
			goto out;
		t->n++;
	}
	*tablep = t;
	t = NULL;
	r = 0; /* success */
out:
	project_table_free(t);
	return r;
}

void
project_table_free(struct project_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		hsm_key_free(t->v[i].key);
	free(t->v);
	free(t);
}

const struct project *
project_table_find(const struct project_table *t, const char *name)
{
	size_t i;

	if (t == NULL || name == NULL)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].conf->name, name) == 0)
			return &t->v[i];
	return NULL;
}
