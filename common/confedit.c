/* confedit.c — see confedit.h.
 *
 * The line rules are libinih's as config.c uses them: a section header
 * starts a line with '['; a key line is "name = value" or "name: value",
 * the name ending at the first '=' or ':'; ';' and '#' start comment
 * lines; ';' after blank space starts an inline comment.  A line ends at
 * "\n", a "\r" before it belongs to the line ending. */
#include "confedit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct confedit {
	char *buf;             /* LEN bytes and a NUL */
	size_t len;
};

/* One line of the text. */
struct line {
	size_t start;          /* first byte */
	size_t end;            /* end of the content (before "\r\n" / "\n") */
	size_t next;           /* start of the next line (LEN at the end) */
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
next_line(const struct confedit *ce, size_t pos, struct line *l)
{
	const char *nl;

	if (pos >= ce->len)
		return 0;
	l->start = pos;
	nl = memchr(ce->buf + pos, '\n', ce->len - pos);
	l->next = nl != NULL ? (size_t)(nl - ce->buf) + 1 : ce->len;
	l->end = nl != NULL ? (size_t)(nl - ce->buf) : ce->len;
	if (l->end > l->start && ce->buf[l->end - 1] == '\r')
		l->end--;
	return 1;
}

/* 1 if L is a section header; 2 if it is the one wanted: [project
 * PROJECT], or with PROJECT NULL [PLAIN] (a section of the daemon's, such
 * as [policyd]). */
static int
header_kind(const struct confedit *ce, const struct line *l, const char *project, const char *plain)
{
	const char *p = ce->buf + l->start, *end = ce->buf + l->end, *close, *name;
	size_t plen = strlen(project != NULL ? project : plain);

	if (p == end || *p != '[')
		return 0;
	close = memchr(p, ']', (size_t)(end - p));
	if (close == NULL)
		return 1;
	name = p + 1;
	if (project == NULL)
		return (size_t)(close - name) == plen && memcmp(name, plain, plen) == 0 ? 2 : 1;
	if ((size_t)(close - name) < 8 || memcmp(name, "project ", 8) != 0)
		return 1;
	for (name += 7; name < close && *name == ' '; name++)
		;
	return (size_t)(close - name) == plen && memcmp(name, project, plen) == 0 ? 2 : 1;
}

/* Key line L: the name [*K, *KLEN), the value [*V, *VEND) as libinih
 * reads it and where an inline comment starts (*COMMENT, with the blank
 * space before its ';'; the line's end if none).  0 if L is no key line. */
static int
key_of(const struct confedit *ce, const struct line *l, size_t *k, size_t *klen, size_t *v,
       size_t *vend, size_t *comment)
{
	const char *b = ce->buf;
	size_t p = l->start, e, i;

	while (p < l->end && is_blank(b[p]))
		p++;
	if (p == l->end || b[p] == ';' || b[p] == '#' || b[p] == '[')
		return 0;
	for (e = p; e < l->end && b[e] != '=' && b[e] != ':'; e++)
		;
	if (e == l->end)
		return 0;
	*k = p;
	for (i = e; i > p && is_blank(b[i - 1]); i--)
		;
	*klen = i - p;
	for (p = e + 1; p < l->end && is_blank(b[p]); p++)
		;
	*v = p;
	*comment = l->end;
	for (i = p; i < l->end; i++) {
		if (b[i] == ';' && i > p && is_blank(b[i - 1])) {
			*comment = i - 1;
			break;
		}
	}
	for (i = *comment; i > p && is_blank(b[i - 1]); i--)
		;
	*vend = i;
	if (*comment != l->end)
		*comment = i;       /* the comment keeps its blank space */
	return 1;
}

/* Where [project PROJECT] (PROJECT NULL: [PLAIN]) is: its header line
 * HDR, and AFTER_KEY, the start of the line after its last key line (or
 * after the header). */
static int
find_section(const struct confedit *ce, const char *project, const char *plain, struct line *hdr,
             size_t *after_key)
{
	struct line l;
	size_t pos = 0, k, kl, v, ve, c;
	int in = 0;

	while (next_line(ce, pos, &l)) {
		int kind = header_kind(ce, &l, project, plain);

		pos = l.next;
		if (in && kind != 0)
			return 1;
		if (kind == 2) {
			in = 1;
			*hdr = l;
			*after_key = l.next;
		} else if (in && key_of(ce, &l, &k, &kl, &v, &ve, &c)) {
			*after_key = l.next;
		}
	}
	return in;
}

/* The key line of KEY in the section starting after HDR. */
static int
find_key(const struct confedit *ce, const struct line *hdr, const char *key, struct line *out,
         size_t *comment)
{
	struct line l;
	size_t pos = hdr->next, k, kl, v, ve;

	while (next_line(ce, pos, &l) && header_kind(ce, &l, "", NULL) == 0) {
		pos = l.next;
		if (key_of(ce, &l, &k, &kl, &v, &ve, comment) && kl == strlen(key) &&
		    memcmp(ce->buf + k, key, kl) == 0) {
			*out = l;
			return 1;
		}
	}
	return 0;
}

/* Replace OLDLEN bytes at OFF by NEW/NEWLEN. */
static gpg_error_t
splice(struct confedit *ce, size_t off, size_t oldlen, const char *new, size_t newlen)
{
	size_t len = ce->len - oldlen + newlen;
	char *buf;

	if (len > CONFIG_MAX_FILE)
		return gpg_error(GPG_ERR_TOO_LARGE);
	if ((buf = malloc(len + 1)) == NULL)
		return gpg_error_from_syserror();
	memcpy(buf, ce->buf, off);
	memcpy(buf + off, new, newlen);
	memcpy(buf + off + newlen, ce->buf + off + oldlen, ce->len - off - oldlen);
	buf[len] = '\0';
	free(ce->buf);
	ce->buf = buf;
	ce->len = len;
	return 0;
}

gpg_error_t
confedit_new(const char *text, size_t len, struct confedit **cep)
{
	struct confedit *ce;

	*cep = NULL;
	if (len > CONFIG_MAX_FILE || (text == NULL && len > 0))
		return gpg_error(GPG_ERR_TOO_LARGE);
	/* signet.conf never holds one (config.c refuses it); keys are C strings. */
	if (len > 0 && memchr(text, '\0', len) != NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if ((ce = calloc(1, sizeof(*ce))) == NULL || (ce->buf = malloc(len + 1)) == NULL) {
		free(ce);
		return gpg_error_from_syserror();
	}
	if (len > 0)
		memcpy(ce->buf, text, len);
	ce->buf[len] = '\0';
	ce->len = len;
	*cep = ce;
	return 0;
}

void
confedit_free(struct confedit *ce)
{
	if (ce == NULL)
		return;
	free(ce->buf);
	free(ce);
}

const char *
confedit_text(const struct confedit *ce, size_t *len)
{
	*len = ce->len;
	return ce->buf;
}

int
confedit_value_ok(const char *value, char *why, size_t whylen)
{
	size_t i, len = strlen(value);

	if (len == 0) {
		snprintf(why, whylen, "empty value");
		return 0;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 0x20 || c == 0x7f) {
			snprintf(why, whylen, "control character (0x%02x) in the value", c);
			return 0;
		}
		if (c == ';' && i > 0 && is_blank(value[i - 1])) {
			snprintf(why, whylen, "' ;' in the value would start a comment in signet.conf");
			return 0;
		}
	}
	if (is_blank(value[0]) || is_blank(value[len - 1])) {
		snprintf(why, whylen, "blank space at the start or end of the value would be dropped");
		return 0;
	}
	return 1;
}

static int
key_name_ok(const char *key, char *why, size_t whylen)
{
	size_t i, len = strlen(key);

	for (i = 0; i < len; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			break;
	}
	if (len == 0 || len > CONFEDIT_MAX_KEY || i != len) {
		snprintf(why, whylen, "bad key name (a-z 0-9 _, at most %d)", CONFEDIT_MAX_KEY);
		return 0;
	}
	return 1;
}

/* "KEY = VALUE" + TAIL/TAILLEN into LINE (CONFIG_MAX_LINE + 1 bytes). */
static gpg_error_t
format_line(const char *key, const char *value, const char *tail, size_t taillen, char *line,
            size_t *linelen, char *why, size_t whylen)
{
	int n = snprintf(line, CONFIG_MAX_LINE + 1, "%s = %s", key, value);

	if (n < 0 || (size_t)n + taillen > CONFIG_MAX_LINE) {
		snprintf(why, whylen, "the line '%s = …' would be longer than %d characters; shorten the value",
		         key, CONFIG_MAX_LINE);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	memcpy(line + n, tail, taillen);
	*linelen = (size_t)n + taillen;
	return 0;
}

/* The line ending of L ("\r\n" or "\n"). */
static const char *
eol_of(const struct confedit *ce, const struct line *l)
{
	return l->end < ce->len && ce->buf[l->end] == '\r' ? "\r\n" : "\n";
}

static gpg_error_t
set_key(struct confedit *ce, const char *project, const char *plain, const char *key, const char *value,
        char *why, size_t whylen)
{
	char line[CONFIG_MAX_LINE + 3];
	struct line hdr, kl = { 0, 0, 0 };
	size_t after, comment, n;
	const char *eol;
	gpg_error_t r;

	if (whylen > 0)
		why[0] = '\0';
	if (!key_name_ok(key, why, whylen) || (value != NULL && !confedit_value_ok(value, why, whylen)))
		return gpg_error(GPG_ERR_INV_VALUE);
	if (!find_section(ce, project, plain, &hdr, &after)) {
		if (project != NULL)
			snprintf(why, whylen, "no [project %s] section", project);
		else
			snprintf(why, whylen, "no [%s] section", plain);
		return gpg_error(GPG_ERR_NOT_FOUND);
	}
	if (find_key(ce, &hdr, key, &kl, &comment)) {
		if (value == NULL)
			return splice(ce, kl.start, kl.next - kl.start, "", 0);
		if ((r = format_line(key, value, ce->buf + comment, kl.end - comment, line, &n, why, whylen)) != 0)
			return r;
		return splice(ce, kl.start, kl.end - kl.start, line, n);
	}
	if (value == NULL)
		return 0;
	if ((r = format_line(key, value, "", 0, line, &n, why, whylen)) != 0)
		return r;
	eol = eol_of(ce, &hdr);
	memcpy(line + n, eol, strlen(eol));
	n += strlen(eol);
	/* The last line of the file may have no line ending. */
	if (after == ce->len && ce->len > 0 && ce->buf[ce->len - 1] != '\n') {
		memmove(line + strlen(eol), line, n);
		memcpy(line, eol, strlen(eol));
		n += strlen(eol);
	}
	return splice(ce, after, 0, line, n);
}

gpg_error_t
confedit_set(struct confedit *ce, const char *project, const char *key, const char *value,
             char *why, size_t whylen)
{
	return set_key(ce, project, NULL, key, value, why, whylen);
}

gpg_error_t
confedit_set_in(struct confedit *ce, const char *section, const char *key, const char *value,
                char *why, size_t whylen)
{
	if (section == NULL || section[0] == '\0' || strchr(section, ']') != NULL) {
		snprintf(why, whylen, "bad section name");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	return set_key(ce, NULL, section, key, value, why, whylen);
}

gpg_error_t
confedit_add_project(struct confedit *ce, const char *project, const char *const *keys,
                     const char *const *values, size_t count, char *why, size_t whylen)
{
	char *sec = NULL, line[CONFIG_MAX_LINE + 3];
	size_t cap, pos = 0, i, n, after;
	struct line hdr;
	gpg_error_t r;

	if (whylen > 0)
		why[0] = '\0';
	if (!config_project_name_ok(project)) {
		snprintf(why, whylen, "bad project name (1 to %d of A-Z a-z 0-9 . _ -)", PROJECT_NAME_MAX);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if (find_section(ce, project, NULL, &hdr, &after)) {
		snprintf(why, whylen, "[project %s] exists already", project);
		return gpg_error(GPG_ERR_EEXIST);
	}
	cap = 2 + PROJECT_NAME_MAX + 12 + count * (CONFIG_MAX_LINE + 1);
	if ((sec = malloc(cap)) == NULL)
		return gpg_error_from_syserror();
	if (ce->len > 0 && ce->buf[ce->len - 1] != '\n')
		sec[pos++] = '\n';
	if (ce->len > 0)
		sec[pos++] = '\n';
	pos += (size_t)snprintf(sec + pos, cap - pos, "[project %s]\n", project);
	for (i = 0; i < count; i++) {
		if (!key_name_ok(keys[i], why, whylen) || !confedit_value_ok(values[i], why, whylen)) {
			r = gpg_error(GPG_ERR_INV_VALUE);
			goto out;
		}
		if ((r = format_line(keys[i], values[i], "\n", 1, line, &n, why, whylen)) != 0)
			goto out;
		memcpy(sec + pos, line, n);
		pos += n;
	}
	r = splice(ce, ce->len, 0, sec, pos);
out:
	free(sec);
	return r;
}

gpg_error_t
confedit_each_key(const struct confedit *ce, const char *project, confedit_key_fn fn, void *opaque)
{
	char key[CONFIG_MAX_LINE + 1], value[CONFIG_MAX_LINE + 1];
	struct line hdr, l;
	size_t after, pos, k, kl, v, ve, c;
	int rc;

	if (!find_section(ce, project, NULL, &hdr, &after))
		return gpg_error(GPG_ERR_NOT_FOUND);
	for (pos = hdr.next; next_line(ce, pos, &l) && header_kind(ce, &l, "", NULL) == 0; pos = l.next) {
		if (!key_of(ce, &l, &k, &kl, &v, &ve, &c) || kl > CONFIG_MAX_LINE || ve - v > CONFIG_MAX_LINE)
			continue;
		memcpy(key, ce->buf + k, kl);
		key[kl] = '\0';
		memcpy(value, ce->buf + v, ve - v);
		value[ve - v] = '\0';
		if ((rc = fn(opaque, key, value)) != 0)
			return (gpg_error_t)rc;
	}
	return 0;
}
