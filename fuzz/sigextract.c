/* fuzz/sigextract.c — libFuzzer target for what `signet audit prove` and
 * `check-receipt` read from outside: a signed artefact (any file the user
 * names: OpenPGP binary or armored, clearsigned text, git objects, RPM,
 * RFC 3161 DER) and a receipt.  The first byte picks which:
 *   0  sigextract_parse of the rest, and the found signature matched
 *      against a record made from its own value (must match)
 *   1  receipt_decode of the rest, then receipt_check with a fixed key
 * Invariants beyond "no crash": a refusal always names its reason; a
 * signature that parses has a value in the documented shape (components
 * without leading zero bytes, one or two of them). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "receipt.h"
#include "sigextract.h"
#include "sigmatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A sign or timestamp record of SX's own value: it must match. */
static void
self_match(const struct sigextract *sx, const char *value)
{
	json_t *rec;
	const char *why = NULL;
	char sig[SIGEXTRACT_MAX_VALUE];
	size_t n = 0;

	if (sx->kind == SIGEXTRACT_OPENPGP) {
		/* the record's raw value: the components padded to one width */
		size_t w = sx->comp_len[0] > sx->comp_len[1] ? sx->comp_len[0] : sx->comp_len[1];

		for (size_t c = 0; c < sx->ncomp; c++)
			for (size_t i = 0; i < w; i++)
				n += (size_t)snprintf(sig + n, sizeof(sig) - n, "%02x",
				                      i < w - sx->comp_len[c] ? 0 : sx->comp[c][i - (w - sx->comp_len[c])]);
		rec = json_pack("{s:s, s:s}", "event", "sign", "signature", sig);
	} else {
		char d[2 * SIGEXTRACT_MAX_IMPRINT + 1];

		for (size_t i = 0; i < sx->imprint_len; i++)
			snprintf(d + 2 * i, 3, "%02x", sx->imprint[i]);
		d[2 * sx->imprint_len] = '\0';
		rec = json_pack("{s:s, s:s, s:s, s:s}", "event", "timestamp", "serial", value, "hash", sx->hash,
		                "digest", d);
	}
	if (rec == NULL || !sigmatch_record(rec, sx, &why))
		__builtin_trap();
	json_decref(rec);
}

static void
fuzz_extract(const uint8_t *data, size_t size)
{
	struct sigextract sx;
	char why[SIGEXTRACT_MAX_WHY], value[SIGEXTRACT_MAX_VALUE];

	why[0] = '\0';
	if (sigextract_parse(data, size, &sx, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			__builtin_trap();
		return;
	}
	if (sigextract_value(&sx, value, sizeof(value)) != 0 || sx.container == NULL)
		__builtin_trap();
	if (sx.kind == SIGEXTRACT_OPENPGP) {
		if (sx.ncomp < 1 || sx.ncomp > 2)
			__builtin_trap();
		for (size_t c = 0; c < sx.ncomp; c++)
			if (sx.comp_len[c] == 0 || sx.comp_len[c] > SIGEXTRACT_MAX_MPI ||
			    (sx.comp_len[c] > 1 && sx.comp[c][0] == 0))
				__builtin_trap();
	}
	self_match(&sx, value);
}

static void
fuzz_receipt(const uint8_t *data, size_t size)
{
	/* the key of the seed receipt (tests/tools/receipt-trail.py's default
	 * seed), so that mutations of it reach the checks after the note's */
	static const char vkey[] = "signet.0badc0de/policyd+e8cb2887+AdBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3";
	struct note_vkey key;
	struct receipt rc;
	json_t *root = NULL;
	char err[256];
	const char *why;

	err[0] = '\0';
	if (receipt_decode((const char *)data, size, &root, &rc, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			__builtin_trap();
		return;
	}
	if (note_vkey_parse(vkey, strlen(vkey), &key, &why) == 0) {
		err[0] = '\0';
		if (receipt_check(&rc, &key, NULL, err, sizeof(err)) != 0 && err[0] == '\0')
			__builtin_trap();
	}
	json_decref(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] == 1)
		fuzz_receipt(data + 1, size - 1);
	else
		fuzz_extract(data + 1, size - 1);
	return 0;
}
