/* audit-verify.c — `signet audit verify`: check one or more trails record
 * by record (auditcheck.h) and say either that all is well, with what was
 * checked and with which key, or which record is the first bad one.
 *
 * Without FILES: the home's signet-policyd trail and, when present,
 * signet-tsa's (--key, --from-segment and --checkpoint are for the
 * former).  --checkpoint FILE: a checkpoint kept from an earlier look
 * (note or record line); the trail must still hold its tree, which shows
 * records cut after the trail's own last checkpoint.  One FILE (a copy of a trail's current segment P) reads
 * its sealed segments beside it as well; several FILES are read in the
 * order given.  --key applies to the policyd trail (or to FILES); a trail
 * without --key is checked with the key file beside it (P.vkey), which
 * only shows that the trail agrees with that file: whoever could rewrite
 * the trail could rewrite the key file too. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditcheck.h"
#include "auditcmd.h"
#include "auditseg.h"
#include "audittrail.h"
#include "errbuf.h"
#include "hex.h"

#define PROGRESS_EVERY (1u << 16)

struct verify_opts {
	const char *key_arg;          /* --key VKEY */
	const char *key_file;         /* --key-file FILE */
	unsigned from_segment;
	const char *tsa_ca;
	const char *saved_file;       /* --checkpoint FILE */
	char **files;
	size_t nfiles;
};

/* The key a trail is checked with, and where it came from. */
struct trail_key {
	struct note_vkey key;
	char text[NOTE_MAX_VKEY + 1];
	char from[PATH_MAX + 32];
	int have, beside;             /* beside: read from the trail's own folder */
};

static int
parse_verify(struct cli *cli, int argc, char **argv, struct verify_opts *o)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, 'k' },
		{ "key-file", required_argument, NULL, 'K' },
		{ "from-segment", required_argument, NULL, 's' },
		{ "tsa-ca", required_argument, NULL, 'c' },
		{ "checkpoint", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'h': printf("usage: signet %s\n", AUDIT_USAGE); return CLI_HELP_SHOWN;
		case 'k': o->key_arg = optarg; break;
		case 'K': o->key_file = optarg; break;
		case 'c': o->tsa_ca = optarg; break;
		case 'C': o->saved_file = optarg; break;
		case 's':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' || v < 1 ||
			    v > AUDITSEG_MAX)
				return cli_usage(AUDIT_USAGE, "audit verify: --from-segment %s: not a segment "
				                 "number (1-%u)", optarg, AUDITSEG_MAX);
			o->from_segment = (unsigned)v;
			break;
		default: return cli_bad_option(AUDIT_USAGE, argc, argv, c);
		}
	}
	if (o->key_arg != NULL && o->key_file != NULL)
		return cli_usage(AUDIT_USAGE, "audit verify: give the key once: --key VKEY or "
		                 "--key-file FILE");
	o->files = argv + optind;
	o->nfiles = (size_t)(argc - optind);
	return CLI_EXIT_OK;
}

/* The key given on the command line, if any. */
static int
given_key(const struct verify_opts *o, struct trail_key *k)
{
	char err[PATH_MAX + 256];
	gpg_error_t r = 0;

	memset(k, 0, sizeof(*k));
	if (o->key_arg != NULL) {
		snprintf(k->text, sizeof(k->text), "%s", o->key_arg);
		snprintf(k->from, sizeof(k->from), "--key");
		r = audittrail_parse_vkey(k->text, &k->key, err, sizeof(err));
	} else if (o->key_file != NULL) {
		snprintf(k->from, sizeof(k->from), "--key-file %s", o->key_file);
		r = audittrail_read_vkey(o->key_file, k->text, sizeof(k->text), &k->key, err,
		                         sizeof(err));
	} else {
		return CLI_EXIT_OK;
	}
	if (r != 0)
		return cli_fail("audit verify: %s: %s", k->from, err);
	k->have = 1;
	return CLI_EXIT_OK;
}

/* The key file beside the trail PATH, when there is one. */
static void
beside_key(const char *path, struct trail_key *k)
{
	char file[PATH_MAX], err[PATH_MAX + 256];

	memset(k, 0, sizeof(*k));
	if (auditseg_sidecar(path, ".vkey", file, sizeof(file)) != 0 || access(file, F_OK) != 0)
		return;
	if (audittrail_read_vkey(file, k->text, sizeof(k->text), &k->key, err, sizeof(err)) != 0) {
		fprintf(stderr, "signet: audit verify: warning: %s\n", err);
		return;
	}
	snprintf(k->from, sizeof(k->from), "%s", file);
	k->have = k->beside = 1;
}

/* The checkpoint saved in FILE, signed by K's key, into *CP. */
static int
read_saved(const char *file, const struct trail_key *k, struct note_checkpoint *cp)
{
	char err[PATH_MAX + 256];
	int is_size;

	if (!k->have)
		return cli_fail("audit verify: --checkpoint %s: no audit key to check it with; give "
		                "--key", file);
	if (audittrail_read_checkpoint(file, &k->key, 0, cp, &is_size, err, sizeof(err)) != 0)
		return cli_fail("audit verify: --checkpoint %s", err);
	return CLI_EXIT_OK;
}

static void
print_note(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "signet: audit verify: note: %s\n", msg);
}

static void
print_summary(const char *name, const struct auditcheck_summary *s, const struct trail_key *k,
              const struct verify_opts *o)
{
	char root[2 * MERKLE_HASH_LEN + 1];
	uint64_t uncovered;

	if (s->records == 0) {
		printf("%s: empty (no records yet)\n", name);
		return;
	}
	printf("%s: %llu records good (seq %llu to %llu), %llu checkpoints\n", name,
	       (unsigned long long)s->records, (unsigned long long)s->first_index + 1,
	       (unsigned long long)s->tree_size, (unsigned long long)s->checkpoints);
	hex_encode_lower(s->root, sizeof(s->root), root, sizeof(root));
	printf("  tree: size %llu, root %s\n", (unsigned long long)s->tree_size, root);
	if (s->checkpoints > 0) {
		hex_encode_lower(s->ckpt_root, sizeof(s->ckpt_root), root, sizeof(root));
		printf("  last checkpoint: tree size %llu, root %s, origin %s\n",
		       (unsigned long long)s->ckpt_size, root, s->origin);
	}
	/* A checkpoint cannot sign itself: one that ends the trail leaves
	 * nothing uncovered. */
	uncovered = s->tree_size - s->ckpt_size;
	if (s->checkpoints > 0 && s->ckpt_index + 1 == s->tree_size && s->ckpt_size == s->ckpt_index)
		uncovered = 0;
	if (uncovered > 0)
		printf("  %llu records not yet covered by a checkpoint\n", (unsigned long long)uncovered);
	if (k->have)
		printf("  key: %s (from %s)\n", k->text, k->from);
	if (k->have && k->beside && s->checkpoints > 0)
		printf("  warning: the key was read from the trail's own folder: this shows the trail "
		       "agrees with that key, not that the key is authentic; check with --key and the "
		       "key `signet audit key` printed where you trust it\n");
	if (s->tokens_ok > 0 || s->tokens_unchecked > 0)
		printf("  time-stamp tokens: %llu verified%s%llu not checked%s\n",
		       (unsigned long long)s->tokens_ok, ", ", (unsigned long long)s->tokens_unchecked,
		       o->tsa_ca == NULL ? " (no --tsa-ca)" : "");
	if (s->segments > 0 || s->first_index > 0)
		printf("  segment records: %llu%s\n", (unsigned long long)s->segments,
		       s->first_index > 0 ? " (started from a segment's frontier: --from-segment)" : "");
	if (o->saved_file != NULL)
		printf("  saved checkpoint %s: %s\n", o->saved_file, s->saved_checked
		       ? "the trail still holds its tree" : "before the first segment read, not checked");
	if (s->quarantines > 0)
		printf("  quarantine records: %llu (torn tails moved aside at restarts)\n",
		       (unsigned long long)s->quarantines);
	if (s->time_backwards > 0)
		printf("  warning: %llu records are older than the record before them\n",
		       (unsigned long long)s->time_backwards);
}

/* Read every line of TR through a checker; print the summary or the
 * first fault. */
static int
check_trail(const char *name, struct trail_reader *tr, const struct trail_key *k,
            const struct verify_opts *o)
{
	struct auditcheck_opts co = { k->have ? &k->key : NULL, o->tsa_ca, o->from_segment,
	                              print_note, NULL, NULL };
	struct note_checkpoint saved;
	struct auditcheck_summary sum;
	struct auditcheck *c = NULL;
	struct trail_line l;
	char err[1024], why[768];
	int progress = isatty(STDERR_FILENO), rc;
	uint64_t seq, n = 0;
	gpg_error_t r;

	if (o->saved_file != NULL) {
		if ((rc = read_saved(o->saved_file, k, &saved)) != CLI_EXIT_OK)
			return rc;
		co.saved = &saved;
	}
	if ((r = auditcheck_new(&co, &c)) != 0)
		return cli_fail("audit verify: %s", gpg_strerror(r));
	while ((r = trail_next(tr, &l, err, sizeof(err))) == 0) {
		if (auditcheck_line(c, &l, &seq, why, sizeof(why)) != 0) {
			if (progress && n >= PROGRESS_EVERY)
				fputc('\n', stderr);
			if (seq != 0)
				rc = cli_fail("audit verify: %s:%llu (seq %llu): %s", l.file,
				              (unsigned long long)l.lineno, (unsigned long long)seq, why);
			else
				rc = cli_fail("audit verify: %s:%llu: %s", l.file,
				              (unsigned long long)l.lineno, why);
			goto out;
		}
		if (progress && ++n % PROGRESS_EVERY == 0)
			fprintf(stderr, "\r%s: %llu records checked", name, (unsigned long long)n);
	}
	if (progress && n >= PROGRESS_EVERY)
		fputc('\n', stderr);
	if (gpg_err_code(r) != GPG_ERR_EOF) {
		rc = cli_fail("audit verify: %s", err);
		goto out;
	}
	if (auditcheck_finish(c, why, sizeof(why)) != 0) {
		rc = cli_fail("audit verify: %s: --checkpoint %s: %s", name, o->saved_file, why);
		goto out;
	}
	auditcheck_summary(c, &sum);
	print_summary(name, &sum, k, o);
	rc = CLI_EXIT_OK;
out:
	auditcheck_free(c);
	return rc;
}

/* One trail: PATH (its segments) or the explicit FILES. */
static int
verify_one(const char *path, const struct verify_opts *o, const struct trail_key *given)
{
	struct trail_reader *tr = NULL;
	struct trail_key k;
	char err[PATH_MAX + 256];
	gpg_error_t r;
	int rc;

	/* One FILE that is not a sealed segment is a trail: its segments too. */
	if (o->nfiles > 1 || (o->nfiles == 1 && strcmp(o->files[0], path) != 0))
		r = trail_open_files((const char *const *)o->files, o->nfiles, &tr, err, sizeof(err));
	else
		r = trail_open(path, o->from_segment, &tr, err, sizeof(err));
	if (r != 0)
		return cli_fail("audit verify: %s", err);
	if (given->have)
		k = *given;
	else
		beside_key(path, &k);
	rc = check_trail(path, tr, &k, o);
	trail_close(tr);
	return rc;
}

int
audit_verify_command(struct cli *cli, int argc, char **argv)
{
	struct verify_opts o;
	struct trail_key given, none;
	struct home h;
	char base[PATH_MAX];
	int rc, rc2;

	if ((rc = parse_verify(cli, argc, argv, &o)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if ((rc = given_key(&o, &given)) != CLI_EXIT_OK)
		return rc;
	if (o.nfiles > 0) {
		if (audittrail_base(o.files[o.nfiles - 1], base, sizeof(base)) != 0)
			return cli_fail("audit verify: %s: name too long", o.files[o.nfiles - 1]);
		return verify_one(base, &o, &given);
	}
	if ((rc = audittrail_home(cli, &h)) != CLI_EXIT_OK)
		return rc;
	if (!audittrail_exists(h.audit) && !audittrail_exists(h.tsa_audit))
		return cli_fail("audit verify: no audit trail in %s (%s); has signet-policyd run "
		                "in this home? Name the trail's files to verify a copy", h.audit_dir,
		                h.audit);
	rc = audittrail_exists(h.audit) ? verify_one(h.audit, &o, &given) : CLI_EXIT_OK;
	if (!audittrail_exists(h.tsa_audit))
		return rc;
	/* --key and --from-segment are the policyd trail's. */
	memset(&none, 0, sizeof(none));
	o.from_segment = 0;
	o.saved_file = NULL;
	rc2 = verify_one(h.tsa_audit, &o, &none);
	return rc != CLI_EXIT_OK ? rc : rc2;
}
