/* p11uri.c — see p11uri.h.  Grammar: RFC 7512 §2.3. */
#include "p11uri.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hex.h"

#define P11URI_SCHEME "pkcs11:"

enum attr_kind { ATTR_TOKEN, ATTR_OBJECT, ATTR_ID, ATTR_TYPE, ATTR_OTHER };

struct attr_def {
	const char *name;
	enum attr_kind kind;
};

/* Path attributes we accept; the ones that do not name a key are checked
 * for syntax and ignored. */
static const struct attr_def attrs[] = {
	{ "token", ATTR_TOKEN },
	{ "object", ATTR_OBJECT },
	{ "id", ATTR_ID },
	{ "type", ATTR_TYPE },
	{ "manufacturer", ATTR_OTHER },
	{ "model", ATTR_OTHER },
	{ "serial", ATTR_OTHER },
	{ "library-manufacturer", ATTR_OTHER },
	{ "library-description", ATTR_OTHER },
	{ "library-version", ATTR_OTHER },
};

#define NATTRS (sizeof(attrs) / sizeof(attrs[0]))

static void
set_reason(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_reason(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* RFC 7512 pk11-pchar outside pct-encoded: unreserved, pk11-res-avail and
 * "&" (path attribute values). */
static int
is_pchar(char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~:[]@!$'()*+,=&", c) != NULL;
}

/* Percent-decode IN (INLEN chars) into OUT (at most OUTMAX bytes). */
static int
decode_value(const char *in, size_t inlen, uint8_t *out, size_t outmax, size_t *outlen,
             const char **why)
{
	size_t i = 0, n = 0;
	int hi, lo;

	while (i < inlen) {
		if (n >= outmax) {
			*why = "value too long";
			return -1;
		}
		if (in[i] == '%') {
			if (inlen - i < 3 || (hi = hex_digit_value(in[i + 1])) < 0 ||
			    (lo = hex_digit_value(in[i + 2])) < 0) {
				*why = "bad percent-encoding";
				return -1;
			}
			out[n++] = (uint8_t)((hi << 4) | lo);
			i += 3;
		} else if (is_pchar(in[i])) {
			out[n++] = (uint8_t)in[i++];
		} else {
			*why = "character must be percent-encoded";
			return -1;
		}
	}
	*outlen = n;
	return 0;
}

static int
set_text(char *dst, const uint8_t *val, size_t len, const char **why)
{
	/* A NUL would cut the label short of what the URI says. */
	if (memchr(val, '\0', len) != NULL) {
		*why = "embedded NUL";
		return -1;
	}
	memcpy(dst, val, len);
	dst[len] = '\0';
	return 0;
}

/* The table index of the attribute NAME (NAMELEN bytes), or -1. */
static int
find_attr(const char *name, size_t namelen)
{
	size_t i;

	for (i = 0; i < NATTRS; i++)
		if (strlen(attrs[i].name) == namelen && memcmp(attrs[i].name, name, namelen) == 0)
			return (int)i;
	return -1;
}

/* Store the decoded value VAL (VLEN bytes) of attribute DEF in URI, or
 * give the reason in ERR and return -1. */
static int
set_attr(struct p11uri *uri, const struct attr_def *def, const uint8_t *val, size_t vlen,
         char *err, size_t errlen)
{
	const char *why = NULL;

	switch (def->kind) {
	case ATTR_TOKEN:
	case ATTR_OBJECT:
		if (vlen == 0 || set_text(def->kind == ATTR_TOKEN ? uri->token : uri->object,
		                          val, vlen, &why) != 0) {
			set_reason(err, errlen, "%s: %s", def->name, why != NULL ? why : "empty");
			return -1;
		}
		if (def->kind == ATTR_TOKEN)
			uri->has_token = 1;
		else
			uri->has_object = 1;
		break;
	case ATTR_ID:
		if (vlen == 0) {
			set_reason(err, errlen, "id: empty");
			return -1;
		}
		memcpy(uri->id, val, vlen);
		uri->id_len = vlen;
		uri->has_id = 1;
		break;
	case ATTR_TYPE:
		if (!(vlen == 7 && memcmp(val, "private", 7) == 0) &&
		    !(vlen == 6 && memcmp(val, "public", 6) == 0)) {
			set_reason(err, errlen, "type: only private or public");
			return -1;
		}
		break;
	case ATTR_OTHER:
		break;
	}
	return 0;
}

gpg_error_t
p11uri_parse(const char *s, struct p11uri *uri, char *err, size_t errlen)
{
	uint8_t val[P11URI_MAX_ATTR];
	const char *p, *end, *eq, *why = NULL;
	unsigned int seen = 0;
	size_t len, namelen, vlen;
	int i;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (uri != NULL)
		memset(uri, 0, sizeof(*uri));
	if (s == NULL || uri == NULL) {
		set_reason(err, errlen, "no URI");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	len = strnlen(s, P11URI_MAX_LEN + 1);
	if (len > P11URI_MAX_LEN) {
		set_reason(err, errlen, "URI longer than %d bytes", P11URI_MAX_LEN);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	/* RFC 3986 §3.1: the scheme is case-insensitive. */
	if (len < strlen(P11URI_SCHEME) || strncasecmp(s, P11URI_SCHEME, strlen(P11URI_SCHEME)) != 0) {
		set_reason(err, errlen, "not a pkcs11: URI");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	p = s + strlen(P11URI_SCHEME);
	if (strchr(p, '?') != NULL) {
		set_reason(err, errlen, "query attributes are not accepted (no PIN in URIs)");
		goto fail;
	}
	if (strchr(p, '#') != NULL) {
		set_reason(err, errlen, "fragment not allowed");
		goto fail;
	}
	while (*p != '\0') {
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p) {
			set_reason(err, errlen, "attribute without name=value");
			goto fail;
		}
		namelen = (size_t)(eq - p);
		if ((i = find_attr(p, namelen)) < 0) {
			set_reason(err, errlen, "unknown attribute \"%.*s\"",
			           namelen > 32 ? 32 : (int)namelen, p);
			goto fail;
		}
		/* RFC 7512 §2.3: an attribute must not repeat. */
		if (seen & (1u << i)) {
			set_reason(err, errlen, "duplicate attribute \"%s\"", attrs[i].name);
			goto fail;
		}
		seen |= 1u << i;
		if (decode_value(eq + 1, (size_t)(end - eq - 1), val, sizeof(val), &vlen, &why) != 0) {
			set_reason(err, errlen, "%s: %s", attrs[i].name, why);
			goto fail;
		}
		if (set_attr(uri, &attrs[i], val, vlen, err, errlen) != 0)
			goto fail;
		p = *end == ';' ? end + 1 : end;
		if (*end == ';' && *p == '\0') {
			set_reason(err, errlen, "trailing ';'");
			goto fail;
		}
	}
	return 0;
fail:
	memset(uri, 0, sizeof(*uri));
	return gpg_error(GPG_ERR_INV_VALUE);
}

/* Append the percent-encoded form of S; encodes everything outside RFC 3986
 * "unreserved" so the result reads the same to every parser. */
static int
append_encoded(char *out, size_t outlen, size_t *pos, const char *s)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			if (*pos + 1 >= outlen)
				return -1;
			out[(*pos)++] = (char)c;
		} else {
			if (*pos + 3 >= outlen)
				return -1;
			out[(*pos)++] = '%';
			out[(*pos)++] = digits[c >> 4];
			out[(*pos)++] = digits[c & 0xf];
		}
	}
	out[*pos] = '\0';
	return 0;
}

static int
append_raw(char *out, size_t outlen, size_t *pos, const char *s)
{
	size_t len = strlen(s);

	if (*pos + len >= outlen)
		return -1;
	memcpy(out + *pos, s, len + 1);
	*pos += len;
	return 0;
}

gpg_error_t
p11uri_format(const char *token, const char *object, char *out, size_t outlen)
{
	size_t pos = 0;

	if (out == NULL || outlen == 0)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	out[0] = '\0';
	if (token == NULL || object == NULL || token[0] == '\0' || object[0] == '\0' ||
	    strnlen(token, P11URI_MAX_ATTR + 1) > P11URI_MAX_ATTR ||
	    strnlen(object, P11URI_MAX_ATTR + 1) > P11URI_MAX_ATTR)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (append_raw(out, outlen, &pos, P11URI_SCHEME "token=") != 0 ||
	    append_encoded(out, outlen, &pos, token) != 0 ||
	    append_raw(out, outlen, &pos, ";object=") != 0 ||
	    append_encoded(out, outlen, &pos, object) != 0) {
		out[0] = '\0';
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	}
	/* Percent-encoding can triple a name: never hand out a URI that
	 * p11uri_parse() would refuse. */
	if (pos > P11URI_MAX_LEN) {
		out[0] = '\0';
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	return 0;
}
