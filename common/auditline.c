/* auditline.c — the canonical-record test of doc/audit-format.md §2, in
 * one pass (auditline_scan) and by re-encoding with jansson.
 *
 * The scanner is not a JSON parser: it accepts one byte sequence per
 * record (the one jansson would write) and refuses everything else, so
 * every branch below is a rule of §2. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "auditline.h"

struct scan {
	const char *p;
	size_t len, pos;
	const char *why;
};

static int
fail(struct scan *s, const char *why)
{
	s->why = why;
	return -1;
}

/* 0..15 for an uppercase hex digit, -1 otherwise (lowercase too: §2.6). */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The four uppercase hex digits after "\u" at S->pos (just past the 'u'). */
static int
read_u(struct scan *s, unsigned *cp)
{
	int i, v;

	if (s->len - s->pos < 4)
		return fail(s, "a \\u escape with fewer than four digits");
	*cp = 0;
	for (i = 0; i < 4; i++) {
		if ((v = hexval(s->p[s->pos + (size_t)i])) < 0)
			return fail(s, "a \\u escape that is not four uppercase hex digits");
		*cp = *cp << 4 | (unsigned)v;
	}
	s->pos += 4;
	return 0;
}

/* A \u escape (S->pos past the 'u'): only for what has no other form. */
static int
scan_u(struct scan *s)
{
	unsigned cp, lo;

	if (read_u(s, &cp) != 0)
		return -1;
	if (cp == 0)
		return fail(s, "a \\u0000 escape (NUL)");
	if (cp == 0x08 || cp == 0x09 || cp == 0x0A || cp == 0x0C || cp == 0x0D)
		return fail(s, "a \\u escape where \\b, \\t, \\n, \\f or \\r is the canonical form");
	if (cp >= 0x20 && cp <= 0x7F)
		return fail(s, "a \\u escape of a printable ASCII character");
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return fail(s, "a lone low surrogate escape");
	if (cp < 0xD800 || cp > 0xDBFF)
		return 0;
	if (s->len - s->pos < 2 || s->p[s->pos] != '\\' || s->p[s->pos + 1] != 'u')
		return fail(s, "a high surrogate escape without its low half");
	s->pos += 2;
	if (read_u(s, &lo) != 0)
		return -1;
	if (lo < 0xDC00 || lo > 0xDFFF)
		return fail(s, "a high surrogate escape without its low half");
	return 0;
}

/* The bytes that stand for themselves in a string: 0x20-0x7F but '"' and
 * '\\'. */
static const unsigned char plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   /* 0x22 '"' */
	[0x30] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x40] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,   /* 0x5C '\\' */
	[0x60] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x70] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* 1 when all 8 bytes at P are plain (SWAR: a zero byte in x is found by
 * (x - 0x01…) & ~x & 0x80…). */
static int
plain8(const char *p)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
	uint64_t w, q, b;

	memcpy(&w, p, sizeof(w));
	q = w ^ (ones * '"');
	b = w ^ (ones * '\\');
	/* No byte >= 0x80, none < 0x20 (w - 0x20… borrows into bit 7 only
	 * then, as every byte is < 0x80), none '"' or '\\'. */
	return ((w | (w - ones * 0x20) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high) == 0;
}

/* A string from just past its opening quote; *ESCAPED set if it has a
 * backslash.  Ends past the closing quote. */
static int
scan_string(struct scan *s, int *escaped)
{
	*escaped = 0;
	while (s->pos < s->len) {
		unsigned char c;

		/* Most of a trail is hex digits and names: skip them fast. */
		while (s->len - s->pos >= 8 && plain8(s->p + s->pos))
			s->pos += 8;
		while (s->pos < s->len && plain[(unsigned char)s->p[s->pos]])
			s->pos++;
		if (s->pos >= s->len)
			break;
		c = (unsigned char)s->p[s->pos++];
		if (c == '"')
			return 0;
		if (c < 0x20 || c > 0x7F)
			return fail(s, "a byte outside 0x20-0x7F");
		if (c != '\\')
			continue;
		*escaped = 1;
		if (s->pos >= s->len)
			break;
		c = (unsigned char)s->p[s->pos++];
		if (c == 'u') {
			if (scan_u(s) != 0)
				return -1;
		} else if (strchr("\"\\bfnrt", c) == NULL || c == '\0') {
			return fail(s, "an escape that is not canonical (\\/ or unknown)");
		}
	}
	return fail(s, "a string without its closing quote");
}

/* An integer: -?(0|[1-9][0-9]*) within int64_t, not "-0". */
static int
scan_int(struct scan *s, int64_t *num)
{
	int neg = 0;
	uint64_t v = 0, lim;
	size_t digits = 0;

	if (s->p[s->pos] == '-') {
		neg = 1;
		s->pos++;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9') {
		unsigned d = (unsigned)(s->p[s->pos] - '0');

		if (digits == 1 && v == 0)
			return fail(s, "an integer with a leading zero");
		if (v > (lim - d) / 10)
			return fail(s, "an integer outside the signed 64-bit range");
		v = v * 10 + d;
		digits++;
		s->pos++;
	}
	if (digits == 0)
		return fail(s, "a value that is not a string or an integer");
	if (neg && v == 0)
		return fail(s, "-0 (canonical: 0)");
	*num = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* Keys sort by their bytes, a prefix first; equal keys are duplicates. */
static int
key_after(const struct auditline_member *prev, const char *key, size_t klen)
{
	size_t n = prev->klen < klen ? prev->klen : klen;
	int c = memcmp(prev->key, key, n);

	return c < 0 || (c == 0 && prev->klen < klen);
}

static int
scan_member(struct scan *s, struct auditline *out, int *slow)
{
	struct auditline_member *m;
	size_t kstart;
	int esc;

	if (out->n >= AUDITLINE_MAX_MEMBERS)
		return fail(s, "more members than a record has");
	m = &out->m[out->n];
	memset(m, 0, sizeof(*m));
	if (s->pos >= s->len || s->p[s->pos] != '"')
		return fail(s, "a member that does not start with a quoted key");
	kstart = ++s->pos;
	if (scan_string(s, &esc) != 0)
		return -1;
	m->key = s->p + kstart;
	m->klen = s->pos - 1 - kstart;
	/* An escaped key (this one or an earlier one) sorts by its unescaped
	 * bytes: jansson decides the order then. */
	if (esc)
		*slow = 1;
	else if (!*slow && out->n > 0 && !key_after(&out->m[out->n - 1], m->key, m->klen))
		return fail(s, "keys not in sorted order, or a key twice");
	if (s->pos >= s->len || s->p[s->pos] != ':')
		return fail(s, "no ':' right after a key");
	s->pos++;
	if (s->pos >= s->len)
		return fail(s, "a member without a value");
	if (s->p[s->pos] == '"') {
		size_t vstart = ++s->pos;

		if (scan_string(s, &m->escaped) != 0)
			return -1;
		m->is_string = 1;
		m->val = s->p + vstart;
		m->vlen = s->pos - 1 - vstart;
	} else {
		size_t vstart = s->pos;

		if (scan_int(s, &m->num) != 0)
			return -1;
		m->val = s->p + vstart;
		m->vlen = s->pos - vstart;
	}
	out->n++;
	return 0;
}

gpg_error_t
auditline_scan(const char *line, size_t len, struct auditline *out, const char **why, size_t *at)
{
	struct scan s = { line, len, 0, NULL };
	int slow = 0;

	out->n = 0;
	if (len == 0 || line[0] != '{') {
		fail(&s, "not a JSON object ('{' first)");
		goto bad;
	}
	s.pos = 1;
	if (len >= 2 && line[1] == '}') {
		s.pos = 2;
	} else {
		for (;;) {
			if (scan_member(&s, out, &slow) != 0)
				goto bad;
			if (s.pos < len && line[s.pos] == ',') {
				s.pos++;
				continue;
			}
			if (s.pos < len && line[s.pos] == '}') {
				s.pos++;
				break;
			}
			fail(&s, "no ',' or '}' after a member (whitespace, or a value that is not a string or an integer)");
			goto bad;
		}
	}
	if (s.pos != len) {
		fail(&s, "bytes after the closing '}'");
		goto bad;
	}
	return slow ? gpg_error(AUDITLINE_SLOW) : 0;
bad:
	/* The usual hand edit: say so rather than what was expected there. */
	if (s.pos < len && (line[s.pos] == ' ' || line[s.pos] == '\t' || line[s.pos] == '\r'))
		s.why = "whitespace outside a string";
	if (why != NULL)
		*why = s.why;
	if (at != NULL)
		*at = s.pos;
	return gpg_error(GPG_ERR_INV_DATA);
}

gpg_error_t
auditline_canonical_jansson(const char *line, size_t len, const char **why)
{
	json_error_t jerr;
	json_t *obj = NULL, *v;
	const char *k;
	char *again = NULL;
	gpg_error_t r = gpg_error(GPG_ERR_INV_DATA);

	if (len > AUDIT_MAX_LINE - 1) {
		*why = "line longer than the limit";
		return r;
	}
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL || !json_is_object(obj)) {
		*why = obj == NULL ? "not valid JSON" : "not a JSON object";
		goto out;
	}
	json_object_foreach(obj, k, v)
		if (!json_is_string(v) && !json_is_integer(v)) {
			*why = "a value that is not a string or an integer";
			goto out;
		}
	again = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (again == NULL || strlen(again) != len || memcmp(again, line, len) != 0) {
		*why = again == NULL ? "cannot encode it again" : "not in canonical form";
		goto out;
	}
	r = 0; /* success */
out:
	free(again);
	json_decref(obj);
	return r;
}

const struct auditline_member *
auditline_get(const struct auditline *l, const char *key)
{
	size_t klen = strlen(key), i;

	for (i = 0; i < l->n; i++)
		if (l->m[i].klen == klen && memcmp(l->m[i].key, key, klen) == 0)
			return &l->m[i];
	return NULL;
}

/* Append code point CP as UTF-8. */
static int
put_utf8(unsigned long cp, char *out, size_t outlen, size_t *o)
{
	unsigned char b[4];
	size_t n, i;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	if (outlen - *o <= n)
		return -1;
	for (i = 0; i < n; i++)
		out[(*o)++] = (char)b[i];
	return 0;
}

static unsigned
hex4(const char *p)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++)
		v = v << 4 | (unsigned)hexval(p[i]);
	return v;
}

gpg_error_t
auditline_unescape(const struct auditline_member *m, char *out, size_t outlen, size_t *used)
{
	static const char from[] = "\"\\bfnrt", to[] = "\"\\\b\f\n\r\t";
	size_t i = 0, o = 0;

	if (!m->is_string || outlen == 0)
		return gpg_error(GPG_ERR_INV_ARG);
	/* The scanner checked every escape; this only decodes them. */
	while (i < m->vlen) {
		unsigned long cp = (unsigned char)m->val[i++];

		if (cp == '\\') {
			char c = m->val[i++];

			if (c == 'u') {
				cp = hex4(m->val + i);
				i += 4;
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4(m->val + i + 2) - 0xDC00);
					i += 6;
				}
			} else {
				cp = (unsigned char)to[strchr(from, c) - from];
			}
		}
		if (put_utf8(cp, out, outlen, &o) != 0)
			return gpg_error(GPG_ERR_TOO_LARGE);
	}
	out[o] = '\0';
	if (used != NULL)
		*used = o;
	return 0;
}
