/* receipt.c — see receipt.h.  JSON is jansson's; every hash is checked
 * from the bytes the receipt holds, never taken from the receipt's word
 * where the signed checkpoint can say it. */
#include "receipt.h"

#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "hex.h"
#include "sigmatch.h"

#define HASH_HEX (2 * MERKLE_HASH_LEN + 1)

const char *
receipt_trail(enum sigextract_kind kind)
{
	return kind == SIGEXTRACT_RFC3161 ? "tsa" : "policyd";
}

static const char *
kind_name(enum sigextract_kind kind)
{
	return kind == SIGEXTRACT_RFC3161 ? "rfc3161" : "openpgp";
}

static json_t *
hash_json(const uint8_t h[MERKLE_HASH_LEN])
{
	char hex[HASH_HEX];

	hex_encode_lower(h, MERKLE_HASH_LEN, hex, sizeof(hex));
	return json_string(hex);
}

static json_t *
inclusion_json(const struct receipt *r)
{
	json_t *proof = json_array();

	for (size_t i = 0; proof != NULL && i < r->proof_len; i++)
		json_array_append_new(proof, hash_json(r->proof[i]));
	return json_pack("{s:s, s:I, s:I, s:o, s:o, s:o*}", "type", "inclusion", "leaf_index",
	                 (json_int_t)r->leaf_index, "tree_size", (json_int_t)r->tree_size, "leaf_hash",
	                 hash_json(r->leaf_hash), "root", hash_json(r->root), "proof", proof);
}

gpg_error_t
receipt_encode(const struct receipt *r, char **out)
{
	json_t *o;

	*out = NULL;
	o = json_pack("{s:s, s:i, s:s, s:s%, s:I, s:o*, s:s%, s:{s:s, s:s}}", "type", RECEIPT_TYPE,
	              "version", RECEIPT_VERSION, "trail", r->trail, "record", r->record, r->record_len,
	              "leaf_index", (json_int_t)r->leaf_index, "inclusion", inclusion_json(r), "checkpoint",
	              r->note, r->note_len, "signature", "kind", kind_name(r->kind), "value", r->value);
	if (o == NULL || json_object_size(json_object_get(o, "inclusion")) != 6)
		goto fail;
	*out = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
fail:
	json_decref(o);
	return *out != NULL ? 0 : gpg_error(GPG_ERR_ENOMEM);
}

static int
get_hash(json_t *v, uint8_t out[MERKLE_HASH_LEN])
{
	const char *s = json_string_value(v);
	size_t n = 0;

	return s != NULL && strlen(s) == 2 * MERKLE_HASH_LEN &&
	       hex_decode(s, strlen(s), out, MERKLE_HASH_LEN, &n) == 0 && n == MERKLE_HASH_LEN ? 0 : -1;
}

static gpg_error_t
decode_inclusion(json_t *inc, struct receipt *r, char *err, size_t errlen)
{
	json_t *lh, *root, *proof;
	json_int_t index, size;
	const char *type;
	json_error_t e;

	if (json_unpack_ex(inc, &e, JSON_STRICT, "{s:s, s:I, s:I, s:o, s:o, s:o}", "type", &type,
	                   "leaf_index", &index, "tree_size", &size, "leaf_hash", &lh, "root", &root,
	                   "proof", &proof) != 0 || strcmp(type, "inclusion") != 0) {
		errbuf_set(err, errlen, "inclusion: not an inclusion proof (%s)", e.text);
		return gpg_error(GPG_ERR_INV_DATA);
	}
	if (index < 0 || (uint64_t)index != r->leaf_index) {
		errbuf_set(err, errlen, "inclusion.leaf_index %lld is not the receipt's leaf_index %llu",
		           (long long)index, (unsigned long long)r->leaf_index);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (size <= 0 || get_hash(lh, r->leaf_hash) != 0 || get_hash(root, r->root) != 0 ||
	    !json_is_array(proof) || json_array_size(proof) > MERKLE_MAX_PROOF) {
		errbuf_set(err, errlen, "inclusion: tree_size, leaf_hash, root or proof is malformed");
		return gpg_error(GPG_ERR_INV_DATA);
	}
	r->tree_size = (uint64_t)size;
	r->proof_len = json_array_size(proof);
	for (size_t i = 0; i < r->proof_len; i++)
		if (get_hash(json_array_get(proof, i), r->proof[i]) != 0) {
			errbuf_set(err, errlen, "inclusion.proof[%zu] is not a 64-digit hex hash", i);
			return gpg_error(GPG_ERR_INV_DATA);
		}
	return 0;
}

gpg_error_t
receipt_decode(const char *text, size_t len, json_t **rootp, struct receipt *r, char *err, size_t errlen)
{
	const char *type, *kind;
	json_int_t version, index;
	json_t *o, *inc;
	json_error_t e;
	gpg_error_t ret = gpg_error(GPG_ERR_INV_DATA);

	memset(r, 0, sizeof(*r));
	*rootp = NULL;
	if (len > RECEIPT_MAX) {
		errbuf_set(err, errlen, "larger than a receipt can be (%d bytes)", RECEIPT_MAX);
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	if ((o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e)) == NULL) {
		errbuf_set(err, errlen, "not JSON: line %d: %s", e.line, e.text);
		return ret;
	}
	if (json_unpack_ex(o, &e, JSON_STRICT, "{s:s, s:I, s:s, s:s%, s:I, s:o, s:s%, s:{s:s, s:s}}", "type",
	                   &type, "version", &version, "trail", &r->trail, "record", &r->record,
	                   &r->record_len, "leaf_index", &index, "inclusion", &inc, "checkpoint", &r->note,
	                   &r->note_len, "signature", "kind", &kind, "value", &r->value) != 0) {
		errbuf_set(err, errlen, "not a receipt: %s", e.text);
		goto out;
	}
	if (strcmp(type, RECEIPT_TYPE) != 0 || version != RECEIPT_VERSION) {
		errbuf_set(err, errlen, "type or version: not a %s version %d", RECEIPT_TYPE, RECEIPT_VERSION);
		goto out;
	}
	if (strcmp(kind, "openpgp") != 0 && strcmp(kind, "rfc3161") != 0) {
		errbuf_set(err, errlen, "signature.kind '%s' is neither openpgp nor rfc3161", kind);
		goto out;
	}
	r->kind = strcmp(kind, "rfc3161") == 0 ? SIGEXTRACT_RFC3161 : SIGEXTRACT_OPENPGP;
	if (strcmp(r->trail, receipt_trail(r->kind)) != 0) {
		errbuf_set(err, errlen, "trail '%s' is not the trail of %s signatures ('%s')", r->trail, kind,
		           receipt_trail(r->kind));
		ret = gpg_error(GPG_ERR_BAD_DATA);
		goto out;
	}
	if (index < 0) {
		errbuf_set(err, errlen, "leaf_index is negative");
		goto out;
	}
	r->leaf_index = (uint64_t)index;
	if ((ret = decode_inclusion(inc, r, err, errlen)) != 0)
		goto out;
	*rootp = o;
	o = NULL;
out:
	json_decref(o);
	return ret;
}

/* The record's own word: its seq is leaf_index + 1, and it issued R's
 * value in R's trail. */
static gpg_error_t
check_record(const struct receipt *r, json_t *rec, char *err, size_t errlen)
{
	char have[SIGEXTRACT_MAX_VALUE];
	const char *why = "";
	json_int_t seq = json_integer_value(json_object_get(rec, "seq"));
	size_t ncomp = r->kind == SIGEXTRACT_OPENPGP && strchr(r->value, ':') != NULL ? 2 : 1;

	if (seq <= 0 || (uint64_t)seq != r->leaf_index + 1) {
		errbuf_set(err, errlen, "leaf_index %llu does not match the record's seq %lld (seq is the leaf "
		           "index + 1)", (unsigned long long)r->leaf_index, (long long)seq);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (sigmatch_record_value(rec, r->kind, ncomp, have, sizeof(have), &why) != 0) {
		errbuf_set(err, errlen, "record: %s (signature.kind is %s)", why, kind_name(r->kind));
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (strcmp(have, r->value) != 0) {
		errbuf_set(err, errlen, "signature.value is not the signature the record issued");
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	return 0;
}

/* The leaf hash of the record, through the proof, to the root the
 * checkpoint CP signs. */
static gpg_error_t
check_proof(const struct receipt *r, const struct note_checkpoint *cp, char *err, size_t errlen)
{
	uint8_t leaf[MERKLE_HASH_LEN];
	const char *why = "";

	merkle_hash_leaf(r->record, r->record_len, leaf);
	if (memcmp(leaf, r->leaf_hash, MERKLE_HASH_LEN) != 0) {
		errbuf_set(err, errlen, "inclusion.leaf_hash is not the leaf hash of record");
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (r->tree_size != cp->size) {
		errbuf_set(err, errlen, "inclusion.tree_size %llu is not the checkpoint's size %llu",
		           (unsigned long long)r->tree_size, (unsigned long long)cp->size);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (memcmp(r->root, cp->root, MERKLE_HASH_LEN) != 0) {
		errbuf_set(err, errlen, "inclusion.root is not the root the checkpoint signs");
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (merkle_verify_inclusion(leaf, r->leaf_index, cp->size, (const uint8_t (*)[MERKLE_HASH_LEN])r->proof,
	                            r->proof_len, cp->root, &why) != 0) {
		errbuf_set(err, errlen, "inclusion.proof does not lead from record (leaf %llu) to the "
		           "checkpoint's root: %s", (unsigned long long)r->leaf_index, why);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	return 0;
}

/* The file the user has is the signature the receipt speaks of. */
static gpg_error_t
check_sigfile(const struct receipt *r, json_t *rec, const struct sigextract *sx, char *err, size_t errlen)
{
	char v[SIGEXTRACT_MAX_VALUE];
	const char *why = "";

	if (sx->kind != r->kind || sigextract_value(sx, v, sizeof(v)) != 0 || strcmp(v, r->value) != 0) {
		errbuf_set(err, errlen, "SIGFILE's signature (%s) is not the one the receipt proves "
		           "(signature.value)", sx->container);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (!sigmatch_record(rec, sx, &why)) {
		errbuf_set(err, errlen, "SIGFILE does not match record: %s", why);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	return 0;
}

gpg_error_t
receipt_check(const struct receipt *r, const struct note_vkey *key, const struct sigextract *sx, char *err,
              size_t errlen)
{
	struct note_checkpoint cp;
	const char *why = "";
	json_error_t e;
	json_t *rec;
	gpg_error_t ret;

	if ((ret = note_checkpoint_verify(r->note, r->note_len, key, &cp, &why)) != 0) {
		errbuf_set(err, errlen, "checkpoint: %s (key %s+%08x)", why, key->name, (unsigned)key->hash);
		return gpg_error(gpg_err_code(ret) == GPG_ERR_BAD_SIGNATURE ? GPG_ERR_BAD_SIGNATURE :
		                 GPG_ERR_BAD_DATA);
	}
	if ((ret = check_proof(r, &cp, err, errlen)) != 0)
		return ret;
	if ((rec = json_loadb(r->record, r->record_len, JSON_REJECT_DUPLICATES, &e)) == NULL ||
	    !json_is_object(rec)) {
		errbuf_set(err, errlen, "record is not a JSON object");
		json_decref(rec);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if ((ret = check_record(r, rec, err, errlen)) == 0 && sx != NULL)
		ret = check_sigfile(r, rec, sx, err, errlen);
	json_decref(rec);
	return ret;
}
