/* sigmatch.c — see sigmatch.h. */
#include "sigmatch.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hex.h"

/* Hex digits compared at the end of a value (8 bytes: a false candidate
 * once in 2^64, and then it is only parsed). */
#define NEEDLE_TAIL 16

const char *
sigmatch_event(enum sigextract_kind kind)
{
	return kind == SIGEXTRACT_RFC3161 ? "timestamp" : "sign";
}

/* HEX (N digits, even) without leading zero bytes, in CASE (tolower or
 * toupper) appended to OUT at *OFF. */
static int
put_stripped(const char *hex, size_t n, int upper, char *out, size_t outlen, size_t *off)
{
	while (n > 2 && hex[0] == '0' && hex[1] == '0') {
		hex += 2;
		n -= 2;
	}
	if (n + 1 > outlen - *off)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)hex[i]))
			return -1;
		out[(*off)++] = (char)(upper ? toupper((unsigned char)hex[i]) : tolower((unsigned char)hex[i]));
	}
	out[*off] = '\0';
	return 0;
}

static const char *
member(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

gpg_error_t
sigmatch_record_value(json_t *rec, enum sigextract_kind kind, size_t ncomp, char *out, size_t outlen,
                      const char **why)
{
	const char *event = member(rec, "event"), *v;
	size_t n, half, off = 0;

	*why = "not a record that issued a signature";
	if (outlen == 0 || event == NULL || strcmp(event, sigmatch_event(kind)) != 0)
		return gpg_error(GPG_ERR_NOT_FOUND);
	out[0] = '\0';
	if (kind == SIGEXTRACT_RFC3161) {
		if ((v = member(rec, "serial")) == NULL || (n = strlen(v)) == 0 || n % 2 != 0 ||
		    put_stripped(v, n, 1, out, outlen, &off) != 0) {
			*why = "the timestamp record has no valid serial";
			return gpg_error(GPG_ERR_NOT_FOUND);
		}
		return 0;
	}
	if ((v = member(rec, "signature")) == NULL || (n = strlen(v)) == 0 || ncomp < 1 || ncomp > 2 ||
	    n % (2 * ncomp) != 0) {
		*why = "the record has no signature value of that shape";
		return gpg_error(GPG_ERR_NOT_FOUND);
	}
	half = n / ncomp;
	for (size_t c = 0; c < ncomp; c++) {
		if (c > 0 && off + 1 < outlen)
			out[off++] = ':';
		if (put_stripped(v + c * half, half, 0, out, outlen, &off) != 0) {
			*why = "the record's signature is not hex";
			return gpg_error(GPG_ERR_NOT_FOUND);
		}
	}
	return 0;
}

static int
digest_agrees(json_t *rec, const struct sigextract *sx, const char **why)
{
	const char *d = member(rec, "digest"), *h = member(rec, "hash");
	uint8_t buf[SIGEXTRACT_MAX_IMPRINT];
	size_t n = 0;

	if (sx->kind == SIGEXTRACT_OPENPGP) {
		/* the packet keeps the digest's first two bytes */
		if (d == NULL || hex_decode(d, strlen(d), buf, sizeof(buf), &n) != 0 || n < 2)
			return 1;
		*why = "the record's digest does not start as the signature's hash does";
		return memcmp(buf, sx->left16, 2) == 0;
	}
	*why = "the record's imprint (hash, digest) is not the token's";
	return d != NULL && h != NULL && strcasecmp(h, sx->hash) == 0 &&
	       hex_decode(d, strlen(d), buf, sizeof(buf), &n) == 0 && n == sx->imprint_len &&
	       memcmp(buf, sx->imprint, n) == 0;
}

int
sigmatch_record(json_t *rec, const struct sigextract *sx, const char **why)
{
	char want[SIGEXTRACT_MAX_VALUE], have[SIGEXTRACT_MAX_VALUE];
	const char *w = NULL;

	if (why == NULL)
		why = &w;
	if (sigextract_value(sx, want, sizeof(want)) != 0 ||
	    sigmatch_record_value(rec, sx->kind, sx->ncomp, have, sizeof(have), why) != 0)
		return 0;
	*why = sx->kind == SIGEXTRACT_RFC3161 ? "another serial" : "another signature value";
	if (strcmp(want, have) != 0)
		return 0;
	return digest_agrees(rec, sx, why);
}

void
sigmatch_needle(const struct sigextract *sx, char *needle, size_t needlemax)
{
	char v[SIGEXTRACT_MAX_VALUE];
	size_t n, from;

	needle[0] = '\0';
	if (sigextract_value(sx, v, sizeof(v)) != 0)
		return;
	if (sx->kind == SIGEXTRACT_RFC3161) {
		snprintf(needle, needlemax, "%s\"", v);   /* the serial's end */
		return;
	}
	/* The end of the first component is in the record as written (its
	 * padding is in front); lower case, as the writer's hex is. */
	n = strcspn(v, ":");
	from = n > NEEDLE_TAIL ? n - NEEDLE_TAIL : 0;
	snprintf(needle, needlemax, "%.*s", (int)(n - from), v + from);
}

int
sigmatch_maybe(const char *line, size_t len, const char *needle)
{
	return needle[0] == '\0' || memmem(line, len, needle, strlen(needle)) != NULL;
}
