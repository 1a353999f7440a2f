/* auditcheck-ckpt.c — the checks of a checkpoint record (doc/audit-format.md
 * §9.1, §9.2, §9.4): the note's signature by the audit key, one origin,
 * sizes that never decrease and never pass the record's own place, the
 * root recomputed from the records, and the time-stamp token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "auditcheck-int.h"
#include "base64.h"
#include "errbuf.h"
#include "hashalgo.h"
#include "tsclient.h"

#define TOKEN_MAX_B64 (64 * 1024)

static gpg_error_t
bad(char *why, size_t whylen, const char *what, const char *detail)
{
	errbuf_set(why, whylen, "%s%s%s", what, detail != NULL ? ": " : "",
	           detail != NULL ? detail : "");
	return gpg_error(GPG_ERR_BAD_DATA);
}

static gpg_error_t
check_token(struct auditcheck *c, const struct auditline_member *tok, const char *note,
            size_t notelen, char *why, size_t whylen)
{
	uint8_t digest[32], *der = NULL;
	size_t derlen = 0;
	struct tsclient_info info;
	char err[512];
	gpg_error_t r;

	if (!tok->is_string || tok->escaped)
		return bad(why, whylen, "checkpoint: tsa_token is not base64", NULL);
	if (c->opts.tsa_ca == NULL) {
		c->sum.tokens_unchecked++;
		return 0;
	}
	if (tok->vlen > TOKEN_MAX_B64 || (der = malloc(tok->vlen)) == NULL ||
	    base64_decode(tok->val, tok->vlen, der, tok->vlen, &derlen) != 0) {
		free(der);
		return bad(why, whylen, "checkpoint: tsa_token is not base64 (or over 64 KiB)", NULL);
	}
	gcry_md_hash_buffer(GCRY_MD_SHA256, digest, note, notelen);
	r = tsclient_verify(der, derlen, hashalgo_by_name("sha256"), digest, sizeof(digest),
	                    c->opts.tsa_ca, NULL, &info, err, sizeof(err));
	free(der);
	if (r != 0)
		return bad(why, whylen, "checkpoint: the time-stamp token does not verify", err);
	c->sum.tokens_ok++;
	return 0;
}

/* The note's size, origin and root against the trail. */
static gpg_error_t
check_content(struct auditcheck *c, const struct note_checkpoint *cp, uint64_t size, char *why,
              size_t whylen)
{
	uint8_t root[MERKLE_HASH_LEN];
	gpg_error_t r;

	if (cp->size != size) {
		errbuf_set(why, whylen, "checkpoint: the note signs size %llu, tree_size says %llu",
		           (unsigned long long)cp->size, (unsigned long long)size);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (strcmp(cp->origin, c->opts.key->name) != 0)
		return bad(why, whylen, "checkpoint: its origin is not the key's name", cp->origin);
	if (c->sum.checkpoints == 0)
		memcpy(c->sum.origin, cp->origin, sizeof(c->sum.origin));
	else if (strcmp(c->sum.origin, cp->origin) != 0)
		return bad(why, whylen, "checkpoint: origin differs from the first checkpoint's",
		           cp->origin);
	r = auditcheck_root_at(c, size, root);
	if (r != 0 && size < c->start.size)
		return 0; /* signs leaves before --from-segment's start: its signature is all */
	if (r != 0) {
		errbuf_set(why, whylen, "checkpoint: tree size %llu lags more than %u records behind "
		           "the checkpoint", (unsigned long long)size, AUDITCHECK_WINDOW);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (memcmp(root, cp->root, sizeof(root)) != 0) {
		errbuf_set(why, whylen, "checkpoint root does not match the records (tree size %llu)",
		           (unsigned long long)size);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	return 0;
}

gpg_error_t
auditcheck_checkpoint(struct auditcheck *c, const struct auditline *rec, char *why, size_t whylen)
{
	const struct auditline_member *ts = auditline_get(rec, "tree_size"),
	                              *nm = auditline_get(rec, "note"),
	                              *tok = auditline_get(rec, "tsa_token");
	char note[NOTE_MAX_LEN + 1];
	struct note_checkpoint cp;
	const char *fault = NULL;
	size_t notelen = 0;
	uint64_t size;
	gpg_error_t r;

	if (ts == NULL || ts->is_string || ts->num < 0)
		return bad(why, whylen, "checkpoint without tree_size", NULL);
	size = (uint64_t)ts->num;
	if (size > c->st.size) {
		errbuf_set(why, whylen, "checkpoint: tree_size %llu is past the checkpoint's own "
		           "place (%llu records before it)", (unsigned long long)size,
		           (unsigned long long)c->st.size);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (c->sum.checkpoints > 0 && size < c->sum.ckpt_size) {
		errbuf_set(why, whylen, "checkpoint: tree_size %llu is less than the previous "
		           "checkpoint's %llu", (unsigned long long)size,
		           (unsigned long long)c->sum.ckpt_size);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (nm == NULL || !nm->is_string ||
	    auditline_unescape(nm, note, sizeof(note), &notelen) != 0)
		return bad(why, whylen, "checkpoint: note missing or over the size limit", NULL);
	if (c->opts.key == NULL)
		return bad(why, whylen, "no audit key to check the checkpoint's signature with; give "
		           "--key VKEY (`signet audit key` prints it)", NULL);
	r = note_checkpoint_verify(note, notelen, c->opts.key, &cp, &fault);
	if (r != 0)
		return bad(why, whylen, gpg_err_code(r) == GPG_ERR_BAD_SIGNATURE
		           ? "checkpoint: the note's signature does not verify with the audit key"
		           : "checkpoint: the note is malformed", fault);
	if ((r = check_content(c, &cp, size, why, whylen)) != 0)
		return r;
	if (tok != NULL && (r = check_token(c, tok, note, notelen, why, whylen)) != 0)
		return r;
	c->sum.checkpoints++;
	c->sum.ckpt_size = size;
	c->sum.ckpt_index = c->st.size;
	memcpy(c->sum.ckpt_root, cp.root, sizeof(cp.root));
	return 0;
}
