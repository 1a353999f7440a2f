/* card.c — see card.h. */
#define GPG_ERR_SOURCE_DEFAULT GPG_ERR_SOURCE_SCD
#include "card.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The legacy references gpg-agent 2.2 may still hold in old stubs or send
 * literally when GETATTR failed (scd-protocol §2.1, §5.7).  Signet's first
 * key stands in slot 1. */
#define LEGACY_SIGN_REF "OPENPGP.1"
#define SIGNKEYID_REF "$SIGNKEYID"

static int
is_hex_upper(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return 1;
}

int
card_is_keygrip(const char *s)
{
	size_t i;

	if (s == NULL || strnlen(s, 41) != 40)
		return 0;
	for (i = 0; i < 40; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return 1;
}

/* The algorithm names policyd lists: gpg's (rsa3072, nistp256, nistp384,
 * ed25519). */
static int
parse_algo(const char *s, enum pgpkey_type *type, unsigned int *bits)
{
	*type = pgpkey_type_by_name(s, bits);
	return *type != PGPKEY_NONE;
}

static int
parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v = 0;
	size_t i, len = strlen(s);

	if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return 0;
	*out = (uint32_t)v;
	return 1;
}

gpg_error_t
card_key_parse(const char *args, struct card_key *key)
{
	char buf[CARD_LINE_MAX];
	char *words[6], *p, *save = NULL;
	size_t n = 0;
	gpg_error_t err = gpg_error(GPG_ERR_INV_DATA);

	if (key == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	memset(key, 0, sizeof(*key));
	if (args == NULL || strnlen(args, sizeof(buf)) >= sizeof(buf))
		goto out;
	memcpy(buf, args, strlen(args) + 1);
	for (p = strtok_r(buf, " ", &save); p != NULL; p = strtok_r(NULL, " ", &save)) {
		if (n == 6)
			goto out;       /* extra words */
		words[n++] = p;
	}
	if (n != 5)
		goto out;
	if (!config_project_name_ok(words[0]) ||
	    strlen(words[1]) != 40 || !is_hex_upper(words[1], 40) ||
	    !parse_algo(words[2], &key->type, &key->bits) ||
	    !parse_u32(words[3], &key->created) ||
	    strlen(words[4]) != 40 || !is_hex_upper(words[4], 40))
		goto out;
	/* Lengths were checked above: these cannot truncate. */
	snprintf(key->project, sizeof(key->project), "%s", words[0]);
	if (card_keyref_make(words[0], words[4], key->keyref, sizeof(key->keyref)) != 0)
		goto out;
	memcpy(key->grip, words[1], 41);
	snprintf(key->algo, sizeof(key->algo), "%s", words[2]);
	memcpy(key->fpr, words[4], 41);
	err = 0; /* success */
out:
	if (err)
		memset(key, 0, sizeof(*key));
	return err;
}

gpg_error_t
card_key_set_sexp(struct card_key *key, const uint8_t *sexp, size_t len)
{
	struct pgpkey *pk = NULL;
	gpg_error_t err;

	if (key == NULL || sexp == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (len > sizeof(key->sexp))
		return gpg_error(GPG_ERR_TOO_LARGE);
	/* struct pgpkey is a few KiB: keep it off the connection threads'
	 * stacks. */
	if ((pk = calloc(1, sizeof(*pk))) == NULL)
		return gpg_error_from_syserror();
	if ((err = pgpkey_from_sexp(sexp, len, key->created, pk)) != 0)
		goto out;
	/* policyd computed the grip and fingerprint it listed from the same
	 * key; a difference means one of us is confused, and a wrong grip
	 * would make gpg-agent write a useless stub. */
	if (strcmp(pk->grip, key->grip) != 0 || strcmp(pk->fpr, key->fpr) != 0 ||
	    pk->type != key->type || pk->bits != key->bits) {
		err = gpg_error(GPG_ERR_BAD_PUBKEY);
		goto out;
	}
	memcpy(key->sexp, sexp, len);
	key->sexp_len = len;
	err = 0; /* success */
out:
	free(pk);
	return err;
}

gpg_error_t
card_keylist_add(struct card_keylist *kl, const struct card_key *key)
{
	struct card_key *keys;
	size_t i;

	if (kl == NULL || key == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (kl->nkeys >= CARD_MAX_KEYS)
		return gpg_error(GPG_ERR_TOO_MANY);
	for (i = 0; i < kl->nkeys; i++) {
		if (strcasecmp(kl->keys[i].grip, key->grip) == 0 ||
		    strcmp(kl->keys[i].keyref, key->keyref) == 0)
			return gpg_error(GPG_ERR_DUP_KEY);
	}
	keys = reallocarray(kl->keys, kl->nkeys + 1, sizeof(*keys));
	if (keys == NULL)
		return gpg_error_from_syserror();
	kl->keys = keys;
	kl->keys[kl->nkeys++] = *key;
	return 0;
}

void
card_keylist_clear(struct card_keylist *kl)
{
	if (kl == NULL)
		return;
	free(kl->keys);
	kl->keys = NULL;
	kl->nkeys = 0;
}

gpg_error_t
card_keylist_copy(struct card_keylist *dst, const struct card_keylist *src)
{
	struct card_key *keys = NULL;

	if (dst == NULL || src == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (src->nkeys > 0) {
		keys = calloc(src->nkeys, sizeof(*keys));
		if (keys == NULL)
			return gpg_error_from_syserror();
		memcpy(keys, src->keys, src->nkeys * sizeof(*keys));
	}
	card_keylist_clear(dst);
	dst->keys = keys;
	dst->nkeys = src->nkeys;
	return 0;
}

static const struct card_key *
find_by_grip(const struct card_keylist *kl, const char *grip)
{
	size_t i;

	for (i = 0; i < kl->nkeys; i++) {
		if (strcasecmp(kl->keys[i].grip, grip) == 0)
			return &kl->keys[i];
	}
	return NULL;
}

int
card_keylist_same(const struct card_keylist *a, const struct card_keylist *b)
{
	size_t i;
	const struct card_key *k;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->nkeys != b->nkeys)
		return 0;
	/* Keys are unique by grip (card_keylist_add), so one direction
	 * suffices once the counts agree. */
	for (i = 0; i < a->nkeys; i++) {
		k = find_by_grip(b, a->keys[i].grip);
		if (k == NULL || strcmp(k->project, a->keys[i].project) != 0 ||
		    k->created != a->keys[i].created)
			return 0;
	}
	return 1;
}

static gpg_error_t
check_fit(int n, size_t outlen, char *out)
{
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	}
	return 0;
}

gpg_error_t
card_keyref_make(const char *project, const char *fpr, char *out, size_t outlen)
{
	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (project == NULL || fpr == NULL || out == NULL || !config_project_name_ok(project) ||
	    strnlen(fpr, 41) != 40 || !is_hex_upper(fpr, 40))
		return gpg_error(GPG_ERR_INV_VALUE);
	return check_fit(snprintf(out, outlen, CARD_KEYREF_PREFIX "%s.%s", project,
	                          fpr + 40 - CARD_KEYID_HEX), outlen, out);
}

gpg_error_t
card_keyref_project(const char *ref, char *project, size_t projectlen)
{
	size_t plen = strlen(CARD_KEYREF_PREFIX);
	const char *name;

	if (project != NULL && projectlen > 0)
		project[0] = '\0';
	if (ref == NULL || project == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (strncasecmp(ref, CARD_KEYREF_PREFIX, plen) != 0)
		return gpg_error(GPG_ERR_INV_ID);
	name = ref + plen;
	if (!config_project_name_ok(name))
		return gpg_error(GPG_ERR_INV_ID);
	if (strlen(name) + 1 > projectlen)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	memcpy(project, name, strlen(name) + 1);
	return 0;
}

gpg_error_t
card_keylist_find(const struct card_keylist *kl, const char *serial,
                  const char *ref, const struct card_key **key)
{
	char project[PROJECT_NAME_MAX + 1];
	const char *slash;
	size_t i;

	if (key != NULL)
		*key = NULL;
	if (kl == NULL || ref == NULL || key == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);

	/* The prefix without regard to case, as before; project names and
	 * key IDs exactly (they are written in one case). */
	if (card_keyref_project(ref, project, sizeof(project)) == 0) {
		for (i = 0; i < kl->nkeys; i++) {
			if (strcmp(kl->keys[i].keyref + strlen(CARD_KEYREF_PREFIX), project) == 0) {
				*key = &kl->keys[i];
				return 0;
			}
		}
		return gpg_error(GPG_ERR_NO_SECKEY);
	}
	if (card_is_keygrip(ref)) {
		*key = find_by_grip(kl, ref);
		return *key != NULL ? 0 : gpg_error(GPG_ERR_NO_SECKEY);
	}
	if (strcasecmp(ref, LEGACY_SIGN_REF) == 0 || strcmp(ref, SIGNKEYID_REF) == 0) {
		if (kl->nkeys == 0)
			return gpg_error(GPG_ERR_NO_SECKEY);
		*key = &kl->keys[0];
		return 0;
	}
	/* Real-card forms "<SN>" and "<SN>/<fingerprint>" (app-openpgp
	 * check_keyidstr). */
	slash = strchr(ref, '/');
	if ((slash == NULL && strlen(ref) == SERIAL_HEX_LEN) ||
	    (slash != NULL && slash - ref == SERIAL_HEX_LEN)) {
		if (serial == NULL || strncasecmp(ref, serial, SERIAL_HEX_LEN) != 0)
			return gpg_error(GPG_ERR_WRONG_CARD);
		if (slash == NULL) {
			if (kl->nkeys == 0)
				return gpg_error(GPG_ERR_NO_SECKEY);
			*key = &kl->keys[0];
			return 0;
		}
		for (i = 0; i < kl->nkeys; i++) {
			if (strcasecmp(kl->keys[i].fpr, slash + 1) == 0) {
				*key = &kl->keys[i];
				return 0;
			}
		}
		return gpg_error(GPG_ERR_WRONG_SECKEY);
	}
	return gpg_error(GPG_ERR_NO_SECKEY);
}

gpg_error_t
card_status_escape(const char *in, char *out, size_t outlen)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t o = 0;
	const unsigned char *p;

	if (out == NULL || outlen == 0)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	out[0] = '\0';
	if (in == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p == '%' || *p == '"' || *p == '+' || *p < 0x20 || *p == 0x7f) {
			if (o + 3 >= outlen)
				goto too_short;
			out[o++] = '%';
			out[o++] = digits[*p >> 4];
			out[o++] = digits[*p & 0x0f];
		} else {
			if (o + 1 >= outlen)
				goto too_short;
			out[o++] = *p == ' ' ? '+' : (char)*p;
		}
	}
	out[o] = '\0';
	return 0;
too_short:
	out[0] = '\0';
	return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
}

gpg_error_t
card_format_keypairinfo(const struct card_key *key, char *out, size_t outlen)
{
	if (key == NULL || out == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	return check_fit(snprintf(out, outlen, "%s %s " CARD_USAGE " %lu %s", key->grip,
	                          key->keyref, (unsigned long)key->created, key->algo),
	                 outlen, out);
}

gpg_error_t
card_format_keyinfo(const struct card_key *key, const char *serial, char *out, size_t outlen)
{
	if (key == NULL || serial == NULL || out == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	return check_fit(snprintf(out, outlen, "%s T %s %s " CARD_USAGE, key->grip, serial,
	                          key->keyref),
	                 outlen, out);
}

gpg_error_t
card_format_keyattr(const struct card_key *key, int slot, char *out, size_t outlen)
{
	const char *curve;

	if (key == NULL || out == NULL || slot < 1 || slot > 3)
		return gpg_error(GPG_ERR_INV_VALUE);
	/* gpg reads the bit count three characters into the third word (it
	 * skips "rsa"); 32 is the exponent length a real card reports. */
	if (key->type == PGPKEY_RSA)
		return check_fit(snprintf(out, outlen, "%d 1 rsa%u 32 0", slot, key->bits), outlen, out);
	/* app-openpgp: the OpenPGP algorithm and the curve's canonical name,
	 * blank and all, unescaped (gpg takes the rest of the line). */
	if ((curve = pgpkey_curve_name(key->type)) == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	return check_fit(snprintf(out, outlen, "%d %u %s", slot, pgpkey_type_algo(key->type), curve), outlen,
	                 out);
}
