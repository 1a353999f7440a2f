/* audit-prove.c — `signet audit prove SIGFILE [-o RECEIPT] [--home DIR]`:
 * find the record that issued a signature and write its receipt
 * (receipt.h, doc/audit-format.md §10).
 *
 * The trail is not read whole: the signature's creation time (a token's
 * genTime) places it, trailfind binary-searches the segments for that
 * time, and only the lines from WINDOW_BEFORE before it to WINDOW_AFTER
 * after it are looked at (cheaply: the value's last hex digits first,
 * JSON only for a line that has them).  gpg sets the creation time before
 * it asks for the signature, and the record is written when the signature
 * is made, after any approval wait, so the window reaches further ahead.
 * Only when it misses is the whole trail read, and that is said. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "atomicfile.h"
#include "auditcmd.h"
#include "auditnodes.h"
#include "auditseg.h"
#include "audittrail.h"
#include "hex.h"
#include "leafproof.h"
#include "receipt.h"
#include "sigmatch.h"
#include "trailfind.h"
#include "trailread.h"

#define WINDOW_BEFORE 120
#define WINDOW_AFTER  600
/* doc/audit-format.md §9.1: the defaults */
#define CHECKPOINT_EVERY    1000
#define CHECKPOINT_INTERVAL 60
#define PROVE_USAGE "audit prove SIGFILE [-o RECEIPT] [--home DIR]"

struct prove {
	const char *trail;            /* the current segment's path */
	struct sigextract sx;
	char value[SIGEXTRACT_MAX_VALUE];
	char needle[SIGMATCH_NEEDLE];
	struct trail_reader *tr;
	char *record;                 /* the record line found */
	size_t record_len;
	uint64_t index;
	int64_t record_time;
	char *note;                   /* the covering checkpoint's note */
	uint64_t tree_size;
	int said_archived;
	char err[512];
};

/* The trail from segment 1, or, when the first sealed segments were
 * archived (doc/audit-format.md §8.3), from the first one kept. */
static gpg_error_t
open_trail(struct prove *p)
{
	unsigned *ks = NULL;
	size_t n = 0;
	gpg_error_t r;

	if ((r = trail_open(p->trail, 0, &p->tr, p->err, sizeof(p->err))) == 0)
		return 0;
	if (auditseg_list(p->trail, &ks, &n) == 0 && n > 0 && ks[0] > 1 &&
	    trail_open(p->trail, ks[0], &p->tr, p->err, sizeof(p->err)) == 0) {
		if (!p->said_archived++)
			fprintf(stderr, "signet: audit prove: segments 1 to %u of %s are not here (archived); "
			        "searching from segment %u on\n", ks[0] - 1, p->trail, ks[0]);
		r = 0;
	}
	free(ks);
	return r;
}

/* The end of the trail for a search: EOF, or a last line still being
 * written by the running daemon (trailread reports it as torn; only the
 * reader's text tells it from a long line or a NUL). */
static int
trail_end(const struct prove *p, gpg_error_t r)
{
	return gpg_err_code(r) == GPG_ERR_EOF ||
	       (gpg_err_code(r) == GPG_ERR_INV_DATA && strstr(p->err, "torn last line") != NULL);
}

/* Read lines until one issued P's signature (1), the trail ends or a line
 * is later than STOP (0; STOP < 0: no limit), or an error (-1). */
static int
scan(struct prove *p, int64_t stop)
{
	struct trail_line line;
	json_error_t e;
	json_t *rec;
	json_int_t seq;
	int64_t t;
	gpg_error_t r;
	int hit;

	while ((r = trail_next(p->tr, &line, p->err, sizeof(p->err))) == 0) {
		if (stop >= 0 && (t = trailfind_line_time(line.data, line.len)) > stop)
			return 0;
		if (!sigmatch_maybe(line.data, line.len, p->needle))
			continue;
		if ((rec = json_loadb(line.data, line.len, 0, &e)) == NULL)
			continue;
		hit = sigmatch_record(rec, &p->sx, NULL);
		seq = json_integer_value(json_object_get(rec, "seq"));
		json_decref(rec);
		if (!hit || seq <= 0)
			continue;
		if ((p->record = malloc(line.len + 1)) == NULL)
			return -1;
		memcpy(p->record, line.data, line.len);
		p->record[line.len] = '\0';
		p->record_len = line.len;
		/* seq is the leaf index + 1 (doc/audit-format.md §3): right also
		 * when archived segments leave the reader's count unknown; the
		 * tree's leaf hash at that index is checked against the line */
		p->index = (uint64_t)seq - 1;
		p->record_time = trailfind_line_time(line.data, line.len);
		return 1;
	}
	if (!trail_end(p, r))
		return -1;
	p->err[0] = '\0';
	return 0;
}

/* The window around the signature's time.  0 when it missed (or the
 * trail could not be searched), with P->ERR saying why. */
static int
scan_window(struct prove *p)
{
	struct trailfind_pos pos;

	p->err[0] = '\0';
	if (trailfind_time(p->tr, p->sx.created - WINDOW_BEFORE, &pos, p->err, sizeof(p->err)) != 0 ||
	    trail_seek(p->tr, pos.file_no, pos.offset, pos.index, pos.lineno) != 0)
		return 0;
	p->err[0] = '\0';
	return scan(p, p->sx.created + WINDOW_AFTER);
}

static int
find_record(struct prove *p)
{
	char when[32];
	time_t t = (time_t)p->sx.created;
	struct tm tm;
	int k;

	if ((k = scan_window(p)) != 0)
		return k;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	fprintf(stderr, "signet: audit prove: no record between %d s before and %d s after the "
	        "signature's time (%s)%s%s; reading the whole trail\n", WINDOW_BEFORE, WINDOW_AFTER, when,
	        p->err[0] ? ": " : "", p->err);
	trail_close(p->tr);
	p->tr = NULL;
	p->err[0] = '\0';
	if (open_trail(p) != 0)
		return -1;
	return scan(p, -1);
}

/* From the record on: the first checkpoint whose tree holds it. */
static int
find_checkpoint(struct prove *p)
{
	struct trail_line line;
	json_int_t size;
	const char *note;
	json_error_t e;
	json_t *rec;
	gpg_error_t r;

	while ((r = trail_next(p->tr, &line, p->err, sizeof(p->err))) == 0) {
		if (memmem(line.data, line.len, "\"event\":\"checkpoint\"", 20) == NULL)
			continue;
		if ((rec = json_loadb(line.data, line.len, 0, &e)) == NULL)
			continue;
		if (json_unpack(rec, "{s:I, s:s}", "tree_size", &size, "note", &note) == 0 && size > 0 &&
		    (uint64_t)size > p->index) {
			p->tree_size = (uint64_t)size;
			p->note = strdup(note);
			json_decref(rec);
			return p->note != NULL ? 1 : -1;
		}
		json_decref(rec);
	}
	if (!trail_end(p, r))
		return -1;
	p->err[0] = '\0';
	return 0;
}

static int
no_checkpoint(const struct prove *p)
{
	char when[32];
	time_t t = (time_t)(p->record_time + CHECKPOINT_INTERVAL);
	struct tm tm;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	return cli_fail("audit prove: leaf %llu of %s issued the signature, but no checkpoint covers it "
	                "yet; one is due by %s (by default a checkpoint follows every %d records or %d s "
	                "while the daemon runs, and one is written when it stops); run prove again then",
	                (unsigned long long)p->index, p->trail, when, CHECKPOINT_EVERY, CHECKPOINT_INTERVAL);
}

/* The proof from the tree hashes, checked against the checkpoint's root
 * before anything is written. */
static int
make_receipt(struct prove *p, char **json)
{
	struct receipt rc;
	struct note_checkpoint cp;
	struct auditnodes *an = NULL;
	const char *why = "";
	int from_store = 0, rc_exit = CLI_EXIT_FAIL;

	memset(&rc, 0, sizeof(rc));
	if (note_checkpoint_parse(p->note, strlen(p->note), &cp, &why) != 0 || cp.size != p->tree_size)
		return cli_fail("audit prove: the checkpoint after leaf %llu of %s is malformed (%s); "
		                "run `signet audit verify`", (unsigned long long)p->index, p->trail, why);
	merkle_hash_leaf(p->record, p->record_len, rc.leaf_hash);
	if (auditnodes_open(p->trail, p->tree_size, &an, &from_store, p->err, sizeof(p->err)) != 0 ||
	    leafproof_make(auditnodes_src(an), p->index, rc.leaf_hash, p->tree_size, rc.proof, &rc.proof_len,
	                   rc.root, p->err, sizeof(p->err)) != 0) {
		cli_fail("audit prove: %s", p->err);
		goto out;
	}
	if (!from_store)
		fprintf(stderr, "signet: audit prove: %s.tree is missing or short; the tree was rebuilt from "
		        "the trail\n", p->trail);
	if (memcmp(rc.root, cp.root, MERKLE_HASH_LEN) != 0) {
		cli_fail("audit prove: the root of the first %llu records of %s is not the root their "
		         "checkpoint signs: the trail was altered; run `signet audit verify`",
		         (unsigned long long)p->tree_size, p->trail);
		goto out;
	}
	rc.trail = receipt_trail(p->sx.kind);
	rc.record = p->record;
	rc.record_len = p->record_len;
	rc.leaf_index = p->index;
	rc.tree_size = p->tree_size;
	rc.note = p->note;
	rc.note_len = strlen(p->note);
	rc.kind = p->sx.kind;
	rc.value = p->value;
	if (receipt_encode(&rc, json) != 0) {
		cli_fail("audit prove: out of memory");
		goto out;
	}
	rc_exit = CLI_EXIT_OK;
out:
	auditnodes_close(an);
	return rc_exit;
}

static int
write_receipt(const char *out, const char *json)
{
	gpg_error_t r;

	if (out == NULL) {
		printf("%s\n", json);
		return fflush(stdout) == 0 ? CLI_EXIT_OK : cli_fail("audit prove: writing the receipt failed");
	}
	if ((r = atomicfile_write(out, json, strlen(json), 0644)) != 0)
		return cli_fail("audit prove: write %s: %s; choose another -o", out, gpg_strerror(r));
	return CLI_EXIT_OK;
}

static int
parse_args(struct cli *cli, int argc, char **argv, const char **sigfile, const char **out)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'o': *out = optarg; break;
		case 'h': printf("usage: signet %s\n", PROVE_USAGE); return CLI_HELP_SHOWN;
		default: return cli_bad_option(PROVE_USAGE, argc, argv, c);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(PROVE_USAGE, "audit prove: give one SIGFILE");
	*sigfile = argv[optind];
	return CLI_EXIT_OK;
}

/* What the signature says of its maker, for the refusal. */
static int
no_record(const struct prove *p, const char *sigfile)
{
	char who[64] = "", hex[41];

	if (p->sx.kind == SIGEXTRACT_RFC3161)
		snprintf(who, sizeof(who), "time-stamp serial %s", p->sx.serial);
	else if ((p->sx.has_fpr && hex_encode(p->sx.issuer_fpr, sizeof(p->sx.issuer_fpr), hex, sizeof(hex)) == 0) ||
	         (p->sx.has_keyid && hex_encode(p->sx.keyid, sizeof(p->sx.keyid), hex, sizeof(hex)) == 0))
		snprintf(who, sizeof(who), "key %s", hex);
	return cli_fail("audit prove: no record in %s issued the signature in %s (%s%s%s): it was not "
	                "made by this Signet home's keys (a key outside Signet, or another home: give "
	                "--home)", p->trail, sigfile, p->sx.container, who[0] ? ", " : "", who);
}

static int
prove_run(struct prove *p, const struct home *h, const char *sigfile, const char *out)
{
	char *json = NULL;
	int k, rc;

	if (sigextract_parse_file(sigfile, &p->sx, p->err, sizeof(p->err)) != 0)
		return cli_fail("audit prove: %s", p->err);
	if (sigextract_value(&p->sx, p->value, sizeof(p->value)) != 0)
		return cli_fail("audit prove: %s: signature too large", sigfile);
	sigmatch_needle(&p->sx, p->needle, sizeof(p->needle));
	p->trail = p->sx.kind == SIGEXTRACT_RFC3161 ? h->tsa_audit : h->audit;
	if (open_trail(p) != 0)
		return cli_fail("audit prove: %s", p->err);
	if ((k = find_record(p)) < 0)
		return cli_fail("audit prove: reading %s: %s", p->trail, p->err);
	if (k == 0)
		return no_record(p, sigfile);
	if ((k = find_checkpoint(p)) < 0)
		return cli_fail("audit prove: reading %s: %s", p->trail, p->err);
	if (k == 0)
		return no_checkpoint(p);
	if ((rc = make_receipt(p, &json)) != CLI_EXIT_OK)
		return rc;
	rc = write_receipt(out, json);
	if (rc == CLI_EXIT_OK)
		fprintf(stderr, "signet: audit prove: leaf %llu of %s issued it; checkpoint of size %llu%s%s\n",
		        (unsigned long long)p->index, p->trail, (unsigned long long)p->tree_size,
		        out != NULL ? "; receipt in " : "", out != NULL ? out : "");
	free(json);
	return rc;
}

int
audit_prove_command(struct cli *cli, int argc, char **argv)
{
	struct prove p;
	struct home h;
	const char *sigfile = NULL, *out = NULL;
	int rc;

	if ((rc = parse_args(cli, argc, argv, &sigfile, &out)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if ((rc = audittrail_home(cli, &h)) != CLI_EXIT_OK)
		return rc;
	memset(&p, 0, sizeof(p));
	rc = prove_run(&p, &h, sigfile, out);
	trail_close(p.tr);
	free(p.record);
	free(p.note);
	return rc;
}
