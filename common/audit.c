/* audit.c — one audit record as its canonical line (JSON through
 * jansson, doc/audit-format.md §2) and back.  The log that appends them is
 * auditlog.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "hex.h"

#define AUDIT_VERSION   1
/* Hex of a digest or signature: RSA-4096 signatures are 512 bytes; leave
 * room for larger ones without letting a line approach AUDIT_MAX_LINE. */
#define AUDIT_MAX_BLOB  4096


static gpg_error_t
set_str(json_t *obj, const char *key, const char *value)
{
	json_t *s;
	char *esc = NULL;

	if (value == NULL)
		return 0;
	s = json_string(value);
	if (s == NULL) {
		/* Not UTF-8 (a user name or reason may hold anything): keep the
		 * record, with the bytes >= 0x80 escaped as \xNN. */
		const unsigned char *p;
		size_t n = 0, len = strlen(value);

		if (len > AUDIT_MAX_LINE / 4 || (esc = malloc(4 * len + 1)) == NULL)
			return gpg_error(GPG_ERR_ENOMEM);
		for (p = (const unsigned char *)value; *p != '\0'; p++) {
			if (*p >= 0x80)
				n += (size_t)snprintf(esc + n, 5, "\\x%02x", *p);
			else
				esc[n++] = (char)*p;
		}
		esc[n] = '\0';
		s = json_string(esc);
		free(esc);
		if (s == NULL)
			return gpg_error(GPG_ERR_ENOMEM);
	}
	if (json_object_set_new(obj, key, s) != 0)
		return gpg_error(GPG_ERR_ENOMEM);
	return 0;
}

static gpg_error_t
set_int(json_t *obj, const char *key, json_int_t value)
{
	json_t *v = json_integer(value);

	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		return gpg_error(GPG_ERR_ENOMEM);
	return 0;
}

static gpg_error_t
set_hex(json_t *obj, const char *key, const uint8_t *data, size_t len)
{
	char *hex = NULL;
	gpg_error_t r;

	if (data == NULL)
		return 0;
	if (len > AUDIT_MAX_BLOB)
		return gpg_error(GPG_ERR_TOO_LARGE);
	if ((hex = malloc(2 * len + 1)) == NULL)
		return gpg_error_from_syserror();
	if ((r = hex_encode_lower(data, len, hex, 2 * len + 1)) == 0)
		r = set_str(obj, key, hex);
	free(hex);
	return r;
}

/* The members of the log's own records (checkpoint, segment,
 * quarantine). */
static gpg_error_t
set_writer_members(json_t *obj, const struct audit_event *ev)
{
	gpg_error_t r;

	if (ev->tree_size > INT64_MAX || ev->size < 0)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((r = set_str(obj, "note", ev->note)) != 0 ||
	    (r = set_str(obj, "tsa_token", ev->tsa_token)) != 0 ||
	    (r = set_str(obj, "frontier", ev->frontier)) != 0 ||
	    (r = set_str(obj, "file", ev->file)) != 0)
		return r;
	if ((ev->has_tree_size && (r = set_int(obj, "tree_size", (json_int_t)ev->tree_size)) != 0) ||
	    (ev->segment > 0 && (r = set_int(obj, "segment", (json_int_t)ev->segment)) != 0) ||
	    (ev->size > 0 && (r = set_int(obj, "size", (json_int_t)ev->size)) != 0))
		return r;
	return 0;
}

/* RFC 3339 UTC with microseconds: "2026-11-26T22:15:26.123456Z". */
static gpg_error_t
format_time(int64_t time_us, char *out, size_t outlen)
{
	int64_t secs = time_us / 1000000;
	int64_t us = time_us % 1000000;
	time_t t;
	struct tm tm;
	char date[32];

	if (us < 0) {
		us += 1000000;
		secs--;
	}
	t = (time_t)secs;
	if (gmtime_r(&t, &tm) == NULL || strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return gpg_error(GPG_ERR_INV_VALUE);
	if ((size_t)snprintf(out, outlen, "%s.%06" PRId64 "Z", date, us) >= outlen)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	return 0;
}

gpg_error_t
audit_encode(const struct audit_event *ev, uint64_t seq, int64_t time_us, char **line)
{
	json_t *obj = NULL;
	char *text = NULL;
	char when[64];
	gpg_error_t r;

	if (line != NULL)
		*line = NULL;
	if (ev == NULL || line == NULL || ev->event == NULL || seq == 0 || seq > INT64_MAX)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((r = format_time(time_us, when, sizeof(when))) != 0)
		return r;
	if ((obj = json_object()) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);

	if ((r = set_int(obj, "v", AUDIT_VERSION)) != 0 ||
	    (r = set_int(obj, "seq", (json_int_t)seq)) != 0 ||
	    (r = set_str(obj, "time", when)) != 0 ||
	    (r = set_str(obj, "event", ev->event)) != 0)
		goto out;
	if (ev->has_requester &&
	    ((r = set_int(obj, "uid", (json_int_t)ev->uid)) != 0 ||
	     (r = set_str(obj, "user", ev->user)) != 0 ||
	     (r = set_int(obj, "pid", (json_int_t)ev->pid)) != 0))
		goto out;
	if ((r = set_str(obj, "project", ev->project)) != 0 ||
	    (r = set_str(obj, "key_fpr", ev->key_fpr)) != 0 ||
	    (r = set_str(obj, "hash", ev->hash)) != 0 ||
	    (r = set_hex(obj, "digest", ev->digest, ev->digest_len)) != 0 ||
	    (r = set_str(obj, "result", ev->result)) != 0 ||
	    (r = set_str(obj, "reason", ev->reason)) != 0 ||
	    (r = set_hex(obj, "signature", ev->signature, ev->signature_len)) != 0 ||
	    (r = set_str(obj, "serial", ev->serial)) != 0 ||
	    (r = set_str(obj, "policy", ev->policy)) != 0 ||
	    (r = set_str(obj, "gen_time", ev->gen_time)) != 0 ||
	    (r = set_str(obj, "code", ev->code)) != 0 ||
	    (r = set_str(obj, "by", ev->by)) != 0)
		goto out;
	if ((ev->request > 0 && (r = set_int(obj, "request", (json_int_t)ev->request)) != 0) ||
	    (ev->grant > 0 && (r = set_int(obj, "grant", (json_int_t)ev->grant)) != 0) ||
	    (ev->use > 0 && (r = set_int(obj, "use", (json_int_t)ev->use)) != 0) ||
	    (ev->rate_seq > 0 && (r = set_int(obj, "rate_seq", (json_int_t)ev->rate_seq)) != 0))
		goto out;
	if (ev->count > 1 && (r = set_int(obj, "count", (json_int_t)ev->count)) != 0)
		goto out;
	if ((r = set_writer_members(obj, ev)) != 0)
		goto out;

	text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (text == NULL) {
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	/* A line must fit the bound it is read back with. */
	if (strlen(text) >= AUDIT_MAX_LINE) {
		r = gpg_error(GPG_ERR_TOO_LARGE);
		goto out;
	}
	*line = text;
	text = NULL;
	r = 0; /* success */
out:
	free(text);
	json_decref(obj);
	return r;
}

gpg_error_t
audit_parse_seq(const char *line, size_t len, uint64_t *seq)
{
	json_t *root = NULL, *v, *s;
	json_error_t jerr;
	gpg_error_t r = gpg_error(GPG_ERR_INV_DATA);

	if (seq != NULL)
		*seq = 0;
	if (line == NULL || seq == NULL || len == 0 || len > AUDIT_MAX_LINE)
		goto out;
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root))
		goto out;
	v = json_object_get(root, "v");
	s = json_object_get(root, "seq");
	if (!json_is_integer(v) || json_integer_value(v) != AUDIT_VERSION ||
	    !json_is_integer(s) || json_integer_value(s) <= 0)
		goto out;
	*seq = (uint64_t)json_integer_value(s);
	r = 0; /* success */
out:
	json_decref(root);
	return r;
}
