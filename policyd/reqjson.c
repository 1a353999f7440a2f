/* reqjson.c — see reqjson.h. */
#include "reqjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hex.h"

void
reqjson_time(int64_t t, char *out, size_t outlen)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outlen, "%lld", (long long)t);
}

/* Set KEY to the string S (text from users may not be UTF-8: then its
 * bytes go out as JSON would take them, escaped by jansson's length form). */
static int
set_str(json_t *o, const char *key, const char *s)
{
	json_t *v = json_stringn_nocheck(s, strlen(s));

	return v == NULL || json_object_set_new(o, key, v) != 0 ? -1 : 0;
}

static int
set_time(json_t *o, const char *key, int64_t t)
{
	char buf[32];

	reqjson_time(t, buf, sizeof(buf));
	return set_str(o, key, buf);
}

static int
add_approvals(json_t *o, const struct store_request *req)
{
	json_t *who = json_array(), *det = json_array(), *a;
	char when[32];
	size_t i;
	int bad = who == NULL || det == NULL;

	for (i = 0; !bad && i < req->napprovals; i++) {
		reqjson_time(req->approvals[i].time, when, sizeof(when));
		a = json_pack("{s:s, s:s, s:s}", "by", req->approvals[i].by, "time", when, "comment",
		              req->approvals[i].comment);
		bad = json_array_append_new(who, json_string(req->approvals[i].by)) != 0 || a == NULL ||
		      json_array_append_new(det, a) != 0;
	}
	if (bad) {
		json_decref(who);
		json_decref(det);
		return -1;
	}
	return json_object_set_new(o, "approvals", who) != 0 ||
	       json_object_set_new(o, "approval_details", det) != 0 ? -1 : 0;
}

json_t *
reqjson_request(const struct store_request *req, const char *approvers)
{
	json_t *o = json_object();
	char hex[2 * STORE_DIGEST_MAX + 1];
	int bad;

	if (o == NULL)
		return NULL;
	bad = json_object_set_new(o, "id", json_integer(req->id)) != 0 ||
	      set_str(o, "kind", store_kind_name(req->kind)) != 0 ||
	      set_str(o, "state", store_state_name(req->state)) != 0 ||
	      set_str(o, "project", req->project) != 0 || set_str(o, "requester", req->requester) != 0 ||
	      set_str(o, "reason", req->reason) != 0 ||
	      json_object_set_new(o, "count", json_integer(req->count)) != 0 ||
	      json_object_set_new(o, "used", json_integer(req->used)) != 0 ||
	      json_object_set_new(o, "uses_left", json_integer(req->used < req->count ?
	                                                         req->count - req->used : 0)) != 0 ||
	      json_object_set_new(o, "needed", json_integer(req->needed)) != 0 ||
	      add_approvals(o, req) != 0 || set_time(o, "created", req->created) != 0 ||
	      set_time(o, "expires", req->expires) != 0 ||
	      (approvers != NULL && set_str(o, "approvers", approvers) != 0);
	if (!bad && req->state == STORE_DENIED)
		bad = set_str(o, "denied_by", req->closed_by) != 0 ||
		      set_str(o, "deny_reason", req->close_reason) != 0;
	if (!bad && req->kind == STORE_KIND_SIGN) {
		hex_encode(req->digest, req->digest_len, hex, sizeof(hex));
		bad = set_str(o, "hash", req->hash) != 0 || set_str(o, "digest", hex) != 0 ||
		      set_str(o, "program", req->program) != 0 ||
		      json_object_set_new(o, "pid", json_integer(req->pid)) != 0;
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

gpg_error_t
reqjson_send(assuan_context_t ctx, json_t *j)
{
	gpg_error_t r;
	char *text;

	if (j == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	if (text == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	r = assuan_send_data(ctx, text, strlen(text));
	free(text);
	return r;
}

gpg_error_t
reqjson_send_denials(assuan_context_t ctx, const struct denial *d, size_t n)
{
	json_t *a = json_array(), *o;
	char when[32];
	size_t i;

	if (a == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	for (i = 0; i < n; i++) {
		reqjson_time(d[i].when, when, sizeof(when));
		if ((o = json_object()) == NULL || json_array_append_new(a, o) != 0 ||
		    set_time(o, "time", d[i].when) != 0 ||
		    json_object_set_new(o, "seq", json_integer((json_int_t)d[i].seq)) != 0 ||
		    set_str(o, "project", d[i].project) != 0 || set_str(o, "code", d[i].code) != 0 ||
		    set_str(o, "reason", d[i].reason) != 0 || set_str(o, "next", d[i].next) != 0) {
			json_decref(a);
			return gpg_error(GPG_ERR_ENOMEM);
		}
	}
	return reqjson_send(ctx, a);
}
