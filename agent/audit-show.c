/* audit-show.c — `signet audit show` (the home's policyd trail, readable,
 * filtered) and `signet audit export` (its records as JSON Lines for a
 * SIEM, resumable).
 *
 * The export cursor is "seq:N": N is the seq of the next record to
 * export.  Records have seq 1, 2, … without gaps, so exporting from
 * "seq:N" and carrying on with the cursor printed at the end never
 * repeats or skips a record, across restarts of the daemon and segment
 * rolls.  A last line still being written (no line feed yet) is not
 * exported: the cursor stops before it.  Callers treat the cursor as
 * opaque. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atomicfile.h"
#include "auditcheck.h"
#include "auditcmd.h"
#include "auditline.h"
#include "auditseg.h"
#include "audittrail.h"
#include "duration.h"

#define CURSOR_PREFIX "seq:"
#define CURSOR_MAX    64
#define SINCE_MAX_SECS (3650u * 86400u)

struct show_opts {
	const char *project, *user, *event;
	int json;
	int64_t since_us;             /* show: records at or after; INT64_MIN: all */
	uint64_t from_seq;            /* export: the cursor */
	int cursor_given;             /* --since CURSOR */
	const char *cursor_file;
};

/* The home's trail from its first segment still there (show and export
 * read what is kept; verify insists on the whole). */
static int
open_trail(const char *path, struct trail_reader **tr)
{
	char err[PATH_MAX + 256];
	unsigned *ks = NULL;
	size_t n = 0;
	gpg_error_t r = trail_open(path, 0, tr, err, sizeof(err));

	if (gpg_err_code(r) == GPG_ERR_ENOENT && auditseg_list(path, &ks, &n) == 0 && n > 0)
		r = trail_open(path, ks[0], tr, err, sizeof(err));
	free(ks);
	if (r != 0)
		return cli_fail("audit: %s", err);
	return CLI_EXIT_OK;
}

/* TEXT: RFC 3339 UTC ("2026-12-01T10:00:00Z", microseconds optional) or a
 * duration back from now ("2h"). */
static int
parse_since(const char *text, int64_t *us)
{
	char full[32];
	uint32_t secs;
	size_t len = strlen(text);

	if (duration_parse(text, SINCE_MAX_SECS, &secs) == 0) {
		*us = ((int64_t)time(NULL) - secs) * 1000000;
		return 0;
	}
	if (len == 20 && text[19] == 'Z') {
		snprintf(full, sizeof(full), "%.19s.000000Z", text);
		text = full;
		len = 27;
	}
	return auditcheck_parse_time(text, len, us) == 0 ? 0 : -1;
}

static int
parse_cursor(const char *text, uint64_t *seq)
{
	char *end;
	unsigned long long v;

	if (strncmp(text, CURSOR_PREFIX, strlen(CURSOR_PREFIX)) != 0)
		return -1;
	text += strlen(CURSOR_PREFIX);
	if (*text < '1' || *text > '9')
		return -1;
	v = strtoull(text, &end, 10);
	if (*end != '\0' && !(end[0] == '\n' && end[1] == '\0'))
		return -1;
	*seq = v;
	return 0;
}

static int
parse_show(struct cli *cli, int argc, char **argv, struct show_opts *o, int export)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "project", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "event", required_argument, NULL, 'e' },
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "cursor-file", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb = export ? "export" : "show";
	int c;

	memset(o, 0, sizeof(*o));
	o->since_us = INT64_MIN;
	o->from_seq = 1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (export && c != 'H' && c != 'h' && c != 's' && c != 'c' && c != '?' && c != ':')
			return cli_usage(AUDIT_USAGE, "audit export: %s is for `audit show`",
			                 argv[optind - 1]);
		if (!export && c == 'c')
			return cli_usage(AUDIT_USAGE, "audit show: --cursor-file is for `audit export`");
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'h': printf("usage: signet %s\n", AUDIT_USAGE); return CLI_HELP_SHOWN;
		case 'p': o->project = optarg; break;
		case 'u': o->user = optarg; break;
		case 'e': o->event = optarg; break;
		case 'j': o->json = 1; break;
		case 'c': o->cursor_file = optarg; break;
		case 's':
			if (export ? parse_cursor(optarg, &o->from_seq) != 0
			           : parse_since(optarg, &o->since_us) != 0)
				return cli_usage(AUDIT_USAGE, export
				                 ? "audit export: --since %s: not a cursor (seq:N, as the "
				                   "last export printed)"
				                 : "audit show: --since %s: give a time (2026-12-01T10:00:00Z) "
				                   "or a duration back from now (30m, 2h, 7d)", optarg);
			o->cursor_given = export;
			break;
		default: return cli_bad_option(AUDIT_USAGE, argc, argv, c);
		}
	}
	if (optind != argc)
		return cli_usage(AUDIT_USAGE, "audit %s: unexpected argument '%s'", verb, argv[optind]);
	return CLI_EXIT_OK;
}

/* Member M's text, decoded, with control characters shown as '?' (a
 * reason may come from outside: no terminal escapes). */
static const char *
text_of(const struct auditline_member *m, char *buf, size_t buflen)
{
	size_t i, n = 0;

	if (m == NULL)
		return NULL;
	if (!m->is_string) {
		snprintf(buf, buflen, "%" PRId64, m->num);
		return buf;
	}
	if (auditline_unescape(m, buf, buflen, &n) != 0)
		snprintf(buf, buflen, "%.*s", (int)(m->vlen < buflen - 1 ? m->vlen : buflen - 1), m->val);
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

static int
matches(const struct auditline *rec, const char *key, const char *want)
{
	char buf[1024];
	const char *v;

	if (want == NULL)
		return 1;
	v = text_of(auditline_get(rec, key), buf, sizeof(buf));
	return v != NULL && strcmp(v, want) == 0;
}

/* One readable line: time, seq, event, then the members that say most. */
static void
print_record(const struct auditline *rec)
{
	static const char *const keys[] = { "user", "uid", "project", "key_fpr", "result", "code",
	                                    "request", "grant", "by", "count", "tree_size",
	                                    "segment", "file", "serial", "reason" };
	char buf[4096];
	size_t i;

	printf("%.19s", text_of(auditline_get(rec, "time"), buf, sizeof(buf)));
	printf("  #%s", text_of(auditline_get(rec, "seq"), buf, sizeof(buf)));
	printf("  %s", text_of(auditline_get(rec, "event"), buf, sizeof(buf)));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = text_of(auditline_get(rec, keys[i]), buf, sizeof(buf));

		if (v != NULL)
			printf(strcmp(keys[i], "reason") == 0 ? "  %s=\"%s\"" : "  %s=%s", keys[i], v);
	}
	putchar('\n');
}

/* Walk the trail: FN gets each record (its line and members). */
static int
walk(const char *path, int (*fn)(void *ctx, const struct trail_line *l,
                                 const struct auditline *rec), void *ctx, int *torn_end)
{
	struct trail_reader *tr = NULL;
	struct auditline rec;
	struct trail_line l;
	char err[PATH_MAX + 256];
	const char *why = NULL;
	gpg_error_t r;
	int rc;

	*torn_end = 0;
	if ((rc = open_trail(path, &tr)) != CLI_EXIT_OK)
		return rc;
	while ((r = trail_next(tr, &l, err, sizeof(err))) == 0) {
		r = auditline_scan(l.data, l.len, &rec, &why, NULL);
		if (r != 0 && gpg_err_code(r) != AUDITLINE_SLOW) {
			rc = cli_fail("audit: %s:%llu: not a record (%s); run `signet audit verify`",
			              l.file, (unsigned long long)l.lineno, why != NULL ? why : "?");
			goto out;
		}
		if ((rc = fn(ctx, &l, &rec)) != CLI_EXIT_OK)
			goto out;
	}
	if (gpg_err_code(r) == GPG_ERR_INV_DATA && trail_torn(tr))
		*torn_end = 1;
	else if (gpg_err_code(r) != GPG_ERR_EOF)
		rc = cli_fail("audit: %s", err);
out:
	trail_close(tr);
	return rc;
}

static int
show_one(void *ctx, const struct trail_line *l, const struct auditline *rec)
{
	const struct show_opts *o = ctx;
	const struct auditline_member *t = auditline_get(rec, "time");
	int64_t us;

	if (!matches(rec, "project", o->project) || !matches(rec, "user", o->user) ||
	    !matches(rec, "event", o->event))
		return CLI_EXIT_OK;
	if (o->since_us != INT64_MIN && (t == NULL || auditcheck_parse_time(t->val, t->vlen, &us) != 0 ||
	                                 us < o->since_us))
		return CLI_EXIT_OK;
	if (o->json)
		printf("%.*s\n", (int)l->len, l->data);
	else
		print_record(rec);
	return CLI_EXIT_OK;
}

int
audit_show_command(struct cli *cli, int argc, char **argv)
{
	struct show_opts o;
	struct home h;
	int rc, torn;

	if ((rc = parse_show(cli, argc, argv, &o, 0)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if ((rc = audittrail_home(cli, &h)) != CLI_EXIT_OK)
		return rc;
	rc = walk(h.audit, show_one, &o, &torn);
	if (rc == CLI_EXIT_OK && torn)
		fprintf(stderr, "signet: audit show: the last line is incomplete (being written, or "
		        "torn by a crash); not shown\n");
	return rc;
}

struct export_state {
	uint64_t next;    /* the seq to export next */
};

static int
export_one(void *ctx, const struct trail_line *l, const struct auditline *rec)
{
	struct export_state *st = ctx;
	const struct auditline_member *seq = auditline_get(rec, "seq");

	if (seq == NULL || seq->is_string || seq->num <= 0)
		return cli_fail("audit export: %s:%llu: a record without seq; run `signet audit "
		                "verify`", l->file, (unsigned long long)l->lineno);
	if ((uint64_t)seq->num < st->next)
		return CLI_EXIT_OK;
	if ((uint64_t)seq->num != st->next)
		return cli_fail("audit export: %s:%llu: seq %lld where %llu was next: records are "
		                "missing (archived segments, or a damaged trail); run `signet audit "
		                "verify`", l->file, (unsigned long long)l->lineno, (long long)seq->num,
		                (unsigned long long)st->next);
	if (fwrite(l->data, 1, l->len, stdout) != l->len || putchar('\n') == EOF)
		return cli_fail("audit export: cannot write the records");
	st->next++;
	return CLI_EXIT_OK;
}

static int
save_cursor(const struct show_opts *o, uint64_t next)
{
	char cursor[CURSOR_MAX];
	int n = snprintf(cursor, sizeof(cursor), CURSOR_PREFIX "%llu\n", (unsigned long long)next);
	gpg_error_t r;

	if (fflush(stdout) != 0)
		return cli_fail("audit export: cannot write the records");
	if (o->cursor_file == NULL) {
		fprintf(stderr, "cursor: %s", cursor);
		return CLI_EXIT_OK;
	}
	if ((r = atomicfile_write(o->cursor_file, cursor, (size_t)n, 0600)) != 0)
		return cli_fail("audit export: cannot write the cursor to %s: %s", o->cursor_file,
		                gpg_strerror(r));
	return CLI_EXIT_OK;
}

int
audit_export_command(struct cli *cli, int argc, char **argv)
{
	struct export_state st;
	struct show_opts o;
	struct home h;
	char *saved = NULL;
	size_t len = 0;
	int rc, torn;

	if ((rc = parse_show(cli, argc, argv, &o, 1)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if (!o.cursor_given && o.cursor_file != NULL &&
	    atomicfile_read(o.cursor_file, CURSOR_MAX, &saved, &len) == 0) {
		if (parse_cursor(saved, &o.from_seq) != 0) {
			free(saved);
			return cli_fail("audit export: %s does not hold a cursor (seq:N); remove it to "
			                "export from the start", o.cursor_file);
		}
		free(saved);
	}
	if ((rc = audittrail_home(cli, &h)) != CLI_EXIT_OK)
		return rc;
	st.next = o.from_seq;
	rc = walk(h.audit, export_one, &st, &torn);
	if (rc != CLI_EXIT_OK)
		return rc;
	return save_cursor(&o, st.next);
}
