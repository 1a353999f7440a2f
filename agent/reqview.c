/* reqview.c — showing requests, grants and refusals (reqview.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reqview.h"

#define CELL_MAX   96     /* widest table cell shown; longer text is cut */
#define TEXT_MAX   1024   /* a reason or comment shown in full */
#define TABLE_COLS 8

/* SRC into OUT with control characters (C0, DEL, and C1 as UTF-8
 * C2 80..9F) as '?': the text may be another user's. */
static void
safe_copy(const char *src, char *out, size_t outlen)
{
	size_t i = 0, o = 0;
	const unsigned char *s = (const unsigned char *)src;

	if (outlen == 0)
		return;
	while (s[i] != '\0' && o + 1 < outlen) {
		if (s[i] < 0x20 || s[i] == 0x7f) {
			out[o++] = '?';
			i++;
		} else if (s[i] == 0xc2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
			out[o++] = '?';
			i += 2;
		} else {
			out[o++] = (char)s[i++];
		}
	}
	out[o] = '\0';
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "?";
}

/* Element I of string array A, or "?". */
static const char *
elem(const json_t *a, size_t i)
{
	const char *s = json_string_value(json_array_get(a, i));

	return s != NULL ? s : "?";
}

/* KEY as a number; -1 when absent or not a number. */
static long long
num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* The user's name from "user:alice"; other principals as they are. */
static void
who(const char *principal, char *out, size_t outlen)
{
	safe_copy(strncmp(principal, "user:", 5) == 0 ? principal + 5 : principal, out, outlen);
}

/* policyd keeps C1 controls (U+0080..U+009F: U+009B is CSI, an escape
 * sequence's start on many terminals) in a reason; as UTF-8 they would
 * reach a terminal that runs `signet pending --json`.  JSON_ENSURE_ASCII
 * writes every non-ASCII character as \uXXXX; DEL, which JSON leaves raw
 * and which can stand only inside a string, goes out as \u007f.  A JSON
 * parser reads the same strings. */
void
reqview_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	const char *p;

	if (s == NULL) {
		fprintf(stderr, "signet: out of memory while writing the answer as JSON; try again\n");
		return;
	}
	for (p = s; *p != '\0'; p++) {
		if (*p == 0x7f)
			fputs("\\u007f", stdout);
		else
			putchar(*p);
	}
	putchar('\n');
	free(s);
}

void
reqview_time(const char *rfc3339, char *out, size_t outlen)
{
	struct tm tm;
	time_t t;
	char z;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(rfc3339, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z, &n) != 7 || z != 'Z' || rfc3339[n] != '\0')
		goto raw;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1 || localtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		goto raw;
	return;
raw:
	safe_copy(rfc3339, out, outlen);
}

void
reqview_approvals(const json_t *r, char *out, size_t outlen)
{
	const json_t *a = json_object_get(r, "approvals");
	char name[CELL_MAX];
	size_t i, len;
	long long needed = num(r, "needed");

	snprintf(out, outlen, "%zu of %lld approval%s", json_array_size(a), needed, needed == 1 ? "" : "s");
	for (i = 0; i < json_array_size(a); i++) {
		safe_copy(elem(a, i), name, sizeof(name));
		len = strlen(out);
		snprintf(out + len, outlen - len, "%s%s", i == 0 ? ": " : ", ", name);
	}
}

/* One table column: its header, the request's field and how it is shown. */
enum cell_kind { CELL_TEXT, CELL_NUM, CELL_TIME, CELL_APPROVALS, CELL_USES };
struct column {
	const char *header;
	const char *key;
	enum cell_kind kind;
};

static void
cell(const json_t *r, const struct column *c, char *out, size_t outlen)
{
	switch (c->kind) {
	case CELL_TEXT:
		safe_copy(str(r, c->key), out, outlen);
		break;
	case CELL_NUM:
		snprintf(out, outlen, "%lld", num(r, c->key));
		break;
	case CELL_TIME:
		reqview_time(str(r, c->key), out, outlen);
		break;
	case CELL_APPROVALS:
		snprintf(out, outlen, "%zu/%lld", json_array_size(json_object_get(r, "approvals")), num(r, "needed"));
		break;
	case CELL_USES:
		snprintf(out, outlen, "%lld of %lld", num(r, "uses_left"), num(r, "count"));
		break;
	}
}

/* ROWS under COLS, each column as wide as its widest cell; the last
 * column (the reason) is not padded. */
static void
table(const json_t *rows, const struct column *cols, size_t ncols)
{
	size_t width[TABLE_COLS], i, c, n;
	char text[CELL_MAX];

	for (c = 0; c < ncols; c++)
		width[c] = strlen(cols[c].header);
	for (i = 0; i < json_array_size(rows); i++) {
		for (c = 0; c < ncols; c++) {
			cell(json_array_get(rows, i), &cols[c], text, sizeof(text));
			if ((n = strlen(text)) > width[c])
				width[c] = n;
		}
	}
	for (c = 0; c < ncols; c++)
		printf("%-*s%s", c + 1 < ncols ? (int)width[c] : 0, cols[c].header, c + 1 < ncols ? "  " : "\n");
	for (i = 0; i < json_array_size(rows); i++)
		for (c = 0; c < ncols; c++) {
			cell(json_array_get(rows, i), &cols[c], text, sizeof(text));
			printf("%-*s%s", c + 1 < ncols ? (int)width[c] : 0, text, c + 1 < ncols ? "  " : "\n");
		}
}

void
reqview_table(const json_t *requests)
{
	static const struct column cols[] = {
		{ "ID", "id", CELL_NUM }, { "PROJECT", "project", CELL_TEXT }, { "KIND", "kind", CELL_TEXT },
		{ "REQUESTER", "requester", CELL_TEXT }, { "COUNT", "count", CELL_NUM },
		{ "APPROVALS", NULL, CELL_APPROVALS }, { "EXPIRES", "expires", CELL_TIME },
		{ "REASON", "reason", CELL_TEXT },
	};

	table(requests, cols, sizeof(cols) / sizeof(cols[0]));
}

void
reqview_grants(const json_t *grants)
{
	static const struct column cols[] = {
		{ "ID", "id", CELL_NUM }, { "PROJECT", "project", CELL_TEXT }, { "USES LEFT", NULL, CELL_USES },
		{ "EXPIRES", "expires", CELL_TIME }, { "REASON", "reason", CELL_TEXT },
	};

	table(grants, cols, sizeof(cols) / sizeof(cols[0]));
}

/* "label:  text" with TEXT made safe. */
static void
field(const char *label, const char *text)
{
	char buf[TEXT_MAX];

	safe_copy(text, buf, sizeof(buf));
	printf("%-11s %s\n", label, buf);
}

void
reqview_detail(const json_t *r)
{
	const json_t *d = json_object_get(r, "approval_details");
	char buf[TEXT_MAX], t[64], by[CELL_MAX];
	size_t i;

	safe_copy(str(r, "kind"), by, sizeof(by));
	printf("request %lld (%s)\n", num(r, "id"), by);
	field("project:", str(r, "project"));
	field("requester:", str(r, "requester"));
	field("reason:", str(r, "reason"));
	field("state:", str(r, "state"));
	if (strcmp(str(r, "kind"), "grant") == 0) {
		snprintf(buf, sizeof(buf), "%lld signature%s (%lld used, %lld left)", num(r, "count"),
		         num(r, "count") == 1 ? "" : "s", num(r, "used"), num(r, "uses_left"));
		field("count:", buf);
	} else {
		snprintf(buf, sizeof(buf), "one %s signature of %s, for program %s (pid %lld)", str(r, "hash"),
		         str(r, "digest"), json_object_get(r, "program") ? str(r, "program") : "unknown", num(r, "pid"));
		field("signature:", buf);
	}
	reqview_approvals(r, buf, sizeof(buf));
	field("approvals:", buf);
	field("approvers:", str(r, "approvers"));
	reqview_time(str(r, "created"), t, sizeof(t));
	field("created:", t);
	reqview_time(str(r, "expires"), t, sizeof(t));
	field("expires:", t);
	for (i = 0; i < json_array_size(d); i++) {
		const json_t *a = json_array_get(d, i);
		const char *comment = json_string_value(json_object_get(a, "comment"));

		reqview_time(str(a, "time"), t, sizeof(t));
		safe_copy(str(a, "by"), by, sizeof(by));
		snprintf(buf, sizeof(buf), "%s at %s%s%s%s", by, t, comment && comment[0] ? " (\"" : "",
		         comment && comment[0] ? comment : "", comment && comment[0] ? "\")" : "");
		field("approved:", buf);
	}
	if (json_object_get(r, "denied_by") != NULL) {
		snprintf(buf, sizeof(buf), "%s: %s", str(r, "denied_by"), str(r, "deny_reason"));
		field("denied by:", buf);
	}
}

/* "1 more approval from user:bob group:leads" into OUT. */
static void
more_needed(const json_t *r, char *out, size_t outlen)
{
	long long more = num(r, "needed") - (long long)json_array_size(json_object_get(r, "approvals"));
	char approvers[TEXT_MAX - 64];

	safe_copy(str(r, "approvers"), approvers, sizeof(approvers));
	snprintf(out, outlen, "%lld more approval%s from %s", more < 0 ? 0 : more, more == 1 ? "" : "s",
	         approvers);
}

void
reqview_state(const json_t *r, FILE *f)
{
	const char *state = str(r, "state");
	char requester[CELL_MAX], project[CELL_MAX], t[64], buf[TEXT_MAX], more[TEXT_MAX];
	long long left = num(r, "uses_left");

	who(str(r, "requester"), requester, sizeof(requester));
	safe_copy(str(r, "project"), project, sizeof(project));
	reqview_time(str(r, "expires"), t, sizeof(t));
	if (strcmp(state, "approved") == 0 && strcmp(str(r, "kind"), "sign") == 0) {
		fprintf(f, "approved: %s's waiting signature on %s goes ahead\n", requester, project);
	} else if (strcmp(state, "approved") == 0) {
		fprintf(f, "approved: %s may now make %lld signature%s on %s until %s\n", requester, left,
		        left == 1 ? "" : "s", project, t);
	} else if (strcmp(state, "pending") == 0) {
		reqview_approvals(r, buf, sizeof(buf));
		more_needed(r, more, sizeof(more));
		fprintf(f, "pending: %s; waiting for %s (until %s)\n", buf, more, t);
	} else if (strcmp(state, "denied") == 0) {
		safe_copy(str(r, "deny_reason"), buf, sizeof(buf));
		who(str(r, "denied_by"), more, sizeof(more));
		fprintf(f, "denied by %s: %s\n", more, buf);
	} else {
		safe_copy(state, buf, sizeof(buf));
		fprintf(f, "%s\n", buf);
	}
}

void
reqview_open(const json_t *r)
{
	char project[CELL_MAX], program[CELL_MAX], state[CELL_MAX], t[64], more[TEXT_MAX];
	long long id = num(r, "id");

	safe_copy(str(r, "project"), project, sizeof(project));
	safe_copy(str(r, "state"), state, sizeof(state));
	reqview_time(str(r, "expires"), t, sizeof(t));
	more_needed(r, more, sizeof(more));
	if (strcmp(str(r, "kind"), "sign") == 0) {
		safe_copy(json_object_get(r, "program") ? str(r, "program") : "unknown", program, sizeof(program));
		if (strcmp(str(r, "state"), "pending") == 0)
			printf("  signature on %s: waiting for %s — request %lld, program %s\n", project, more, id,
			       program);
		else
			printf("  signature on %s: %s — request %lld, program %s\n", project, state, id,
			       program);
	} else if (strcmp(str(r, "state"), "approved") == 0) {
		printf("  grant %lld on %s: %lld of %lld signatures left, until %s\n", id, project,
		       num(r, "uses_left"), num(r, "count"), t);
	} else {
		printf("  grant request %lld on %s (%lld signature%s): waiting for %s, until %s\n", id, project,
		       num(r, "count"), num(r, "count") == 1 ? "" : "s", more, t);
	}
}

void
reqview_refusals(const json_t *refusals)
{
	char t[64], project[CELL_MAX], code[CELL_MAX];
	size_t i;

	for (i = 0; i < json_array_size(refusals); i++) {
		const json_t *r = json_array_get(refusals, i);

		reqview_time(str(r, "time"), t, sizeof(t));
		safe_copy(str(r, "project"), project, sizeof(project));
		safe_copy(str(r, "code"), code, sizeof(code));
		printf("%s%s  project %s  %s", i == 0 ? "" : "\n", t, project, code);
		if (num(r, "seq") > 0)
			printf("  (audit record %lld)", num(r, "seq"));
		putchar('\n');
		field("  reason:", str(r, "reason"));
		field("  next:", str(r, "next"));
	}
}
