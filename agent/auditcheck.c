/* auditcheck.c — the per-record checks of one trail (auditcheck.h): form,
 * v, seq, time, the tree, segment and quarantine records.  Checkpoints are
 * auditcheck-ckpt.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "auditcheck-int.h"
#include "auditline.h"
#include "errbuf.h"
#include "hex.h"

gpg_error_t
auditcheck_new(const struct auditcheck_opts *opts, struct auditcheck **cp)
{
	struct auditcheck *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return gpg_error_from_syserror();
	c->snaps = calloc(AUDITCHECK_SNAPS, sizeof(*c->snaps));
	c->leaves = calloc(AUDITCHECK_WINDOW, sizeof(*c->leaves));
	if (c->snaps == NULL || c->leaves == NULL) {
		auditcheck_free(c);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	c->opts = *opts;
	merkle_state_init(&c->st);
	c->started = opts->from_segment <= 1;
	c->start = c->st;
	c->hour_us = -1;
	*cp = c;
	return 0;
}

void
auditcheck_free(struct auditcheck *c)
{
	if (c == NULL)
		return;
	free(c->snaps);
	free(c->leaves);
	free(c);
}

void
auditcheck_summary(const struct auditcheck *c, struct auditcheck_summary *s)
{
	*s = c->sum;
	s->first_index = c->start.size;
	s->tree_size = c->st.size;
	merkle_state_root(&c->st, s->root);
}

static int
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* ":MM:SS.uuuuuuZ", the part of a time after its hour, in µs. */
static int
parse_tail(const char *s, int64_t *us)
{
	int mi, sec, frac;

	if (s[0] != ':' || s[3] != ':' || s[6] != '.' || s[13] != 'Z' || digits(s + 1, 2, &mi) != 0 ||
	    digits(s + 4, 2, &sec) != 0 || digits(s + 7, 6, &frac) != 0 || mi > 59 || sec > 60)
		return -1;
	*us = ((int64_t)mi * 60 + sec) * 1000000 + frac;
	return 0;
}

gpg_error_t
auditcheck_parse_time(const char *s, size_t len, int64_t *us)
{
	int y, mo, d, h;
	int64_t tail;
	struct tm tm;
	time_t t;

	if (len != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || digits(s, 4, &y) != 0 ||
	    digits(s + 5, 2, &mo) != 0 || digits(s + 8, 2, &d) != 0 || digits(s + 11, 2, &h) != 0 ||
	    parse_tail(s + 13, &tail) != 0)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23)
		return gpg_error(GPG_ERR_INV_VALUE);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	if ((t = timegm(&tm)) == (time_t)-1)
		return gpg_error(GPG_ERR_INV_VALUE);
	*us = (int64_t)t * 1000000 + tail;
	return 0;
}

/* The time of M: timegm only when the hour changes (a million records
 * share a few hundred hours). */
static int
record_time(struct auditcheck *c, const struct auditline_member *m, int64_t *us)
{
	int64_t tail;

	if (m == NULL || !m->is_string || m->escaped || m->vlen != 27)
		return -1;
	if (c->hour_us >= 0 && memcmp(m->val, c->hour, sizeof(c->hour)) == 0) {
		if (parse_tail(m->val + 13, &tail) != 0)
			return -1;
		*us = c->hour_us + tail;
		return 0;
	}
	if (auditcheck_parse_time(m->val, m->vlen, us) != 0 || parse_tail(m->val + 13, &tail) != 0)
		return -1;
	memcpy(c->hour, m->val, sizeof(c->hour));
	c->hour_us = *us - tail;
	return 0;
}

/* The record's time: well formed; earlier than the one before is said
 * (a writer takes its time under the append lock, so only a restart with
 * a clock set back makes it), not refused. */
static gpg_error_t
check_time(struct auditcheck *c, const struct auditline_member *m, const struct trail_line *l,
           uint64_t seq, char *why, size_t whylen)
{
	int64_t us;
	char msg[256];

	if (record_time(c, m, &us) != 0) {
		errbuf_set(why, whylen, "time is missing or not RFC 3339 UTC with microseconds");
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (c->sum.records > 0 && us < c->last_time_us) {
		if (c->sum.time_backwards++ == 0 && c->opts.note != NULL) {
			snprintf(msg, sizeof(msg), "%s:%llu (seq %llu): time %.*s is earlier than the "
			         "record before (a restart with the clock set back?)", l->file,
			         (unsigned long long)l->lineno, (unsigned long long)seq, (int)m->vlen,
			         m->val);
			c->opts.note(c->opts.note_ctx, msg);
		}
	}
	c->last_time_us = us;
	return 0;
}

/* Keep what auditcheck_root_at needs, then add the leaf. */
static gpg_error_t
append_leaf(struct auditcheck *c, const struct trail_line *l)
{
	uint8_t leaf[MERKLE_HASH_LEN];

	if (c->st.size % AUDITCHECK_SNAP_EVERY == 0)
		c->snaps[(c->st.size / AUDITCHECK_SNAP_EVERY) % AUDITCHECK_SNAPS] = c->st;
	merkle_hash_leaf(l->data, l->len, leaf);
	memcpy(c->leaves[c->st.size % AUDITCHECK_WINDOW], leaf, sizeof(leaf));
	return merkle_state_append(&c->st, leaf, NULL, NULL);
}

gpg_error_t
auditcheck_root_at(const struct auditcheck *c, uint64_t size, uint8_t out[MERKLE_HASH_LEN])
{
	const struct merkle_state *from;
	struct merkle_state st;
	uint64_t base = size - size % AUDITCHECK_SNAP_EVERY, j;

	if (size == c->st.size) {
		merkle_state_root(&c->st, out);
		return 0;
	}
	if (size > c->st.size || size < c->start.size || c->st.size - size >= AUDITCHECK_WINDOW -
	    AUDITCHECK_SNAP_EVERY)
		return gpg_error(GPG_ERR_NO_DATA);
	from = &c->snaps[(base / AUDITCHECK_SNAP_EVERY) % AUDITCHECK_SNAPS];
	if (base < c->start.size || from->size != base)
		from = &c->start;
	st = *from;
	for (j = st.size; j < size; j++)
		if (merkle_state_append(&st, c->leaves[j % AUDITCHECK_WINDOW], NULL, NULL) != 0)
			return gpg_error(GPG_ERR_NO_DATA);
	merkle_state_root(&st, out);
	return 0;
}

/* The hex tree-state encoding of ST into OUT (2·MERKLE_STATE_MAX_ENC + 1). */
static void
frontier_hex(const struct merkle_state *st, char *out, size_t outlen)
{
	uint8_t enc[MERKLE_STATE_MAX_ENC];
	size_t n = 0;

	out[0] = '\0';
	if (merkle_state_encode(st, enc, sizeof(enc), &n) == 0)
		hex_encode_lower(enc, n, out, outlen);
}

/* The first record after --from-segment K: its frontier is the start. */
static gpg_error_t
start_from_segment(struct auditcheck *c, const struct auditline *rec, const struct trail_line *l,
                   char *why, size_t whylen)
{
	const struct auditline_member *k = auditline_get(rec, "segment"),
	                              *ev = auditline_get(rec, "event"),
	                              *fr = auditline_get(rec, "frontier"),
	                              *ts = auditline_get(rec, "tree_size");
	uint8_t enc[MERKLE_STATE_MAX_ENC];
	const char *bad = NULL;
	size_t n = 0;

	if (ev == NULL || ev->vlen != 7 || memcmp(ev->val, "segment", 7) != 0 || fr == NULL ||
	    !fr->is_string || ts == NULL || ts->is_string) {
		errbuf_set(why, whylen, "--from-segment %u: the segment's first record is not a "
		           "segment record", c->opts.from_segment);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (k == NULL || k->is_string || k->num != (int64_t)l->segment) {
		errbuf_set(why, whylen, "--from-segment %u: this file's segment record says it is "
		           "segment %lld", c->opts.from_segment, k != NULL ? (long long)k->num : 0LL);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (hex_decode(fr->val, fr->vlen, enc, sizeof(enc), &n) != 0 ||
	    merkle_state_decode(enc, n, &c->st, &bad) != 0 || (int64_t)c->st.size != ts->num) {
		errbuf_set(why, whylen, "the segment record's frontier is not a tree state of "
		           "tree_size leaves%s%s", bad != NULL ? ": " : "", bad != NULL ? bad : "");
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	c->start = c->st;
	c->started = 1;
	return 0;
}

static gpg_error_t
check_segment(struct auditcheck *c, const struct auditline *rec, const struct trail_line *l,
              char *why, size_t whylen)
{
	const struct auditline_member *k = auditline_get(rec, "segment"),
	                              *ts = auditline_get(rec, "tree_size"),
	                              *fr = auditline_get(rec, "frontier");
	char hex[2 * MERKLE_STATE_MAX_ENC + 1];

	if (l->lineno != 1 || l->segment < 2) {
		errbuf_set(why, whylen, "a segment record that is not the first record of a "
		           "segment after the first");
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (k == NULL || k->is_string || k->num != (int64_t)l->segment) {
		errbuf_set(why, whylen, "segment record: segment is not this file's number %u",
		           l->segment);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (ts == NULL || ts->is_string || ts->num != (int64_t)c->st.size) {
		errbuf_set(why, whylen, "segment record: tree_size is not the %llu records before it",
		           (unsigned long long)c->st.size);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	frontier_hex(&c->st, hex, sizeof(hex));
	if (fr == NULL || !fr->is_string || fr->vlen != strlen(hex) ||
	    memcmp(fr->val, hex, fr->vlen) != 0) {
		errbuf_set(why, whylen, "segment record: frontier does not match the records before it");
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	c->sum.segments++;
	return 0;
}

static gpg_error_t
check_quarantine(struct auditcheck *c, const struct auditline *rec, const struct trail_line *l,
                 uint64_t seq, char *why, size_t whylen)
{
	const struct auditline_member *f = auditline_get(rec, "file"), *sz = auditline_get(rec, "size");
	char msg[512];

	if (f == NULL || !f->is_string || sz == NULL || sz->is_string || sz->num <= 0) {
		errbuf_set(why, whylen, "quarantine record without file or size");
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	c->sum.quarantines++;
	if (c->opts.note != NULL) {
		snprintf(msg, sizeof(msg), "%s:%llu (seq %llu): a torn tail of %lld bytes was moved "
		         "to %.*s at a restart (never a record; examine it by hand)", l->file,
		         (unsigned long long)l->lineno, (unsigned long long)seq, (long long)sz->num,
		         (int)(f->vlen > 200 ? 200 : f->vlen), f->val);
		c->opts.note(c->opts.note_ctx, msg);
	}
	return 0;
}

/* Canonical form: the one-pass scan, or jansson for a key with an escape. */
static gpg_error_t
check_form(const struct trail_line *l, struct auditline *rec, char *why, size_t whylen)
{
	const char *bad = NULL;
	size_t at = 0;
	gpg_error_t r = auditline_scan(l->data, l->len, rec, &bad, &at);

	if (gpg_err_code(r) == AUDITLINE_SLOW)
		r = auditline_canonical_jansson(l->data, l->len, &bad);
	if (r == 0)
		return 0;
	errbuf_set(why, whylen, "not a canonical record: %s (byte %zu)", bad != NULL ? bad : "?", at);
	return gpg_error(GPG_ERR_BAD_DATA);
}

static int
is_event(const struct auditline_member *ev, const char *name)
{
	return ev->vlen == strlen(name) && memcmp(ev->val, name, ev->vlen) == 0;
}

static gpg_error_t
check_record(struct auditcheck *c, const struct trail_line *l, const struct auditline *rec,
             uint64_t *seqp, char *why, size_t whylen)
{
	const struct auditline_member *v = auditline_get(rec, "v"), *seq = auditline_get(rec, "seq"),
	                              *ev = auditline_get(rec, "event");
	uint64_t want = c->st.size + 1;
	int starts = !c->started;
	gpg_error_t r;

	if (seq != NULL && !seq->is_string && seq->num > 0)
		*seqp = (uint64_t)seq->num;
	if (v == NULL || v->is_string || v->num != 1) {
		errbuf_set(why, whylen, "v is not 1 (not a version 1 record)");
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (starts && (r = start_from_segment(c, rec, l, why, whylen)) != 0)
		return r;
	want = c->st.size + 1;
	if (seq == NULL || seq->is_string || seq->num != (int64_t)want) {
		errbuf_set(why, whylen, "seq is not %llu (a record is missing, added or moved here)",
		           (unsigned long long)want);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (ev == NULL || !ev->is_string || ev->vlen == 0) {
		errbuf_set(why, whylen, "no event");
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if ((r = check_time(c, auditline_get(rec, "time"), l, want, why, whylen)) != 0)
		return r;
	if (l->lineno == 1 && l->segment > 1 && !is_event(ev, "segment")) {
		errbuf_set(why, whylen, "segment %u does not start with a segment record", l->segment);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (is_event(ev, "checkpoint"))
		return auditcheck_checkpoint(c, rec, why, whylen);
	if (is_event(ev, "segment") && !starts)
		return check_segment(c, rec, l, why, whylen);
	if (is_event(ev, "quarantine"))
		return check_quarantine(c, rec, l, want, why, whylen);
	return 0;
}

/* The saved checkpoint, once the tree has its size. */
static gpg_error_t
check_saved(struct auditcheck *c, char *why, size_t whylen)
{
	const struct note_checkpoint *sv = c->opts.saved;
	uint8_t root[MERKLE_HASH_LEN];

	if (sv == NULL || c->sum.saved_checked || c->st.size != sv->size || sv->size < c->start.size)
		return 0;
	c->sum.saved_checked = 1;
	merkle_state_root(&c->st, root);
	if (memcmp(root, sv->root, sizeof(root)) != 0) {
		errbuf_set(why, whylen, "the saved checkpoint's root of size %llu is not the trail's: "
		           "the records before here changed since it was signed",
		           (unsigned long long)sv->size);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	return 0;
}

gpg_error_t
auditcheck_finish(struct auditcheck *c, char *why, size_t whylen)
{
	const struct note_checkpoint *sv = c->opts.saved;
	gpg_error_t r = check_saved(c, why, whylen);

	if (r != 0 || sv == NULL || sv->size <= c->st.size)
		return r;
	errbuf_set(why, whylen, "the saved checkpoint signs %llu records, the trail holds %llu: "
	           "records were cut from its end", (unsigned long long)sv->size,
	           (unsigned long long)c->st.size);
	return gpg_error(GPG_ERR_BAD_DATA);
}

gpg_error_t
auditcheck_line(struct auditcheck *c, const struct trail_line *l, uint64_t *seq, char *why,
                size_t whylen)
{
	struct auditline rec;
	gpg_error_t r;

	*seq = 0;
	if ((r = check_form(l, &rec, why, whylen)) != 0) {
		/* Name it by its seq too, when it has one jansson can read. */
		if (audit_parse_seq(l->data, l->len, seq) != 0)
			*seq = 0;
		return r;
	}
	if ((r = check_record(c, l, &rec, seq, why, whylen)) != 0 ||
	    (r = check_saved(c, why, whylen)) != 0)
		return r;
	if ((r = append_leaf(c, l)) != 0) {
		errbuf_set(why, whylen, "the tree is full (%llu leaves)",
		           (unsigned long long)MERKLE_MAX_SIZE);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	c->sum.records++;
	return 0;
}
