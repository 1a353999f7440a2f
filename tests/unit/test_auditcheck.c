/* test_auditcheck.c — the record checks of `signet audit verify`: the
 * canonical-form scan (common/auditline.c) against jansson's re-encoding,
 * and the per-record checker (agent/auditcheck*.c) on trails made here
 * with audit_encode and checkpoints signed by a software Ed25519 key:
 * each kind of tampering caught, and named. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gcrypt.h>

#include "audit.h"
#include "auditline.h"
#include "edsoft.h"
#include "hex.h"
#include "merkle.h"
#include "signednote.h"
#include "../../agent/auditcheck.h"

#define ORIGIN "signet.0badc0de/policyd"
#define T0 INT64_C(1796083200000000) /* 2026-12-01T00:00:00Z */

/* ---- canonical form ---- */

/* The scan and jansson agree on LINE; returns the scan's verdict. */
static gpg_error_t
verdict(const char *line)
{
	struct auditline l;
	const char *why = NULL;
	gpg_error_t fast = gpg_err_code(auditline_scan(line, strlen(line), &l, &why, NULL));
	gpg_error_t exact = auditline_canonical_jansson(line, strlen(line), &why);

	if (fast != AUDITLINE_SLOW && (fast == 0) != (exact == 0))
		fail_msg("scan and jansson disagree on %s", line);
	return fast;
}

static void
test_canonical(void **state)
{
	static const char *const bad[] = {
		"{\"a\":1, \"b\":2}",           /* whitespace */
		"{\"b\":1,\"a\":2}",            /* order */
		"{\"a\":1,\"a\":2}",            /* twice */
		"{\"ab\":1,\"a\":2}",           /* a prefix sorts first */
		"{\"a\":01}",
		"{\"a\":-0}",
		"{\"a\":1.5}",
		"{\"a\":1e3}",
		"{\"a\":true}",
		"{\"a\":null}",
		"{\"a\":{}}",
		"{\"a\":[1]}",
		"{\"a\":\"\\u00e9\"}",          /* lowercase digits */
		"{\"a\":\"\\u0041\"}",          /* printable as itself */
		"{\"a\":\"\\u000A\"}",          /* \n is the form */
		"{\"a\":\"\\/\"}",
		"{\"a\":\"\\u0000\"}",
		"{\"a\":\"\\uDC00\"}",          /* lone low surrogate */
		"{\"a\":\"\\uD800x\"}",         /* high without low */
		"{\"a\":\"\xc3\xa9\"}",         /* raw UTF-8 */
		"{\"a\":\"tab\there\"}",
		"{\"a\":9223372036854775808}",
		"{\"a\":1}x",
		"[1]",
		"",
	};
	static const char *const good[] = {
		"{}",
		"{\"a\":1,\"ab\":-9223372036854775808,\"b\":9223372036854775807}",
		"{\"a\":\"\\u00E9\\uD83D\\uDE00\\n\\\"\\\\\\b\\f\\r\\t\\u001B\x7f/\"}",
		"{\"_\":0,\"a\":\"\"}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (verdict(bad[i]) != GPG_ERR_INV_DATA)
			fail_msg("accepted: %s", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (verdict(good[i]) != 0)
			fail_msg("refused: %s", good[i]);
	/* An escaped key is jansson's to decide. */
	assert_int_equal(verdict("{\"\\u00E9\":1}"), AUDITLINE_SLOW);
}

static void
test_unescape(void **state)
{
	const char *line = "{\"note\":\"o\\n1\\n\\n\\u2014 o \\uD83D\\uDE00\\\"\"}";
	struct auditline l;
	char out[64];
	size_t n = 0;

	(void)state;
	assert_int_equal(auditline_scan(line, strlen(line), &l, NULL, NULL), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(auditline_unescape(auditline_get(&l, "note"), out, sizeof(out), &n), 0);
	assert_string_equal(out, "o\n1\n\n\xe2\x80\x94 o \xf0\x9f\x98\x80\"");
	assert_int_equal(n, strlen(out));
	assert_int_equal(gpg_err_code(auditline_unescape(auditline_get(&l, "note"), out, 8, &n)),
	                 GPG_ERR_TOO_LARGE);
	assert_null(auditline_get(&l, "not"));
}

/* ---- the checker, on trails made here ---- */

struct trail {
	char *lines[64];
	size_t n;
	struct merkle_state st;
	EVP_PKEY *key;
	uint8_t pub[NOTE_ED25519_PUB];
	struct note_vkey vkey;
	uint64_t seq0;           /* records before these lines */
};

static void
trail_init(struct trail *t, uint8_t seedbyte)
{
	uint8_t seed[32];
	char vk[NOTE_MAX_VKEY + 1];
	const char *why = NULL;

	memset(t, 0, sizeof(*t));
	memset(seed, seedbyte, sizeof(seed));
	t->key = edsoft_key(seed, t->pub);
	assert_non_null(t->key);
	assert_int_equal(note_vkey_format(ORIGIN, t->pub, vk, sizeof(vk)), 0);
	assert_int_equal(note_vkey_parse(vk, strlen(vk), &t->vkey, &why), 0);
	merkle_state_init(&t->st);
}

static void
trail_free(struct trail *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->lines[i]);
	EVP_PKEY_free(t->key);
}

/* Append EV with SEQ (0: the next) at T0 + I ms. */
static void
add(struct trail *t, const struct audit_event *ev, uint64_t seq, int64_t ms)
{
	uint8_t leaf[MERKLE_HASH_LEN];
	char *line = NULL;

	assert_true(t->n < 64);
	assert_int_equal(audit_encode(ev, seq != 0 ? seq : t->seq0 + t->n + 1, T0 + ms * 1000, &line),
	                 0);
	merkle_hash_leaf(line, strlen(line), leaf);
	assert_int_equal(merkle_state_append(&t->st, leaf, NULL, NULL), 0);
	t->lines[t->n++] = line;
}

static void
add_sign(struct trail *t)
{
	struct audit_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.event = "sign";
	ev.project = "rel";
	ev.result = "granted";
	add(t, &ev, 0, (int64_t)t->n);
}

/* A checkpoint of SIZE leaves with ROOT (NULL: the true root of SIZE,
 * which must be the current size) signed by KEY as ORIGIN. */
static void
add_checkpoint(struct trail *t, uint64_t size, const uint8_t *root, EVP_PKEY *key,
               const uint8_t *pub, const char *origin)
{
	struct note_checkpoint cp;
	struct audit_event ev;
	char *note = NULL;
	size_t len = 0;

	memset(&cp, 0, sizeof(cp));
	/* The key's name is always ORIGIN; the text may claim another. */
	snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
	cp.size = size;
	if (root != NULL) {
		memcpy(cp.root, root, sizeof(cp.root));
	} else {
		assert_int_equal(size, t->st.size);
		merkle_state_root(&t->st, cp.root);
	}
	assert_int_equal(note_checkpoint_sign(&cp, ORIGIN, pub, edsoft_sign, key, &note, &len), 0);
	memset(&ev, 0, sizeof(ev));
	ev.event = "checkpoint";
	ev.note = note;
	ev.has_tree_size = 1;
	ev.tree_size = size;
	add(t, &ev, 0, (int64_t)t->n);
	free(note);
}

struct run {
	int notes;
	char why[512];
	uint64_t seq;
	size_t bad_at;           /* 1-based line of the first fault; 0: none */
	struct auditcheck_summary sum;
};

static void
count_note(void *ctx, const char *msg)
{
	(void)msg;
	((struct run *)ctx)->notes++;
}

/* Check T's lines as segment SEG of a trail; FROM: --from-segment. */
static void
check_saved(const struct trail *t, const struct note_vkey *key, unsigned seg, unsigned from,
            const struct note_checkpoint *saved, struct run *run)
{
	struct auditcheck_opts o = { key, NULL, from, count_note, run, saved };
	struct auditcheck *c = NULL;
	struct trail_line l;
	size_t i;

	memset(run, 0, sizeof(*run));
	o.note_ctx = run;
	assert_int_equal(auditcheck_new(&o, &c), 0);
	for (i = 0; i < t->n; i++) {
		memset(&l, 0, sizeof(l));
		l.data = t->lines[i];
		l.len = strlen(t->lines[i]);
		l.index = i;
		l.file = "audit.jsonl";
		l.segment = seg;
		l.lineno = i + 1;
		if (auditcheck_line(c, &l, &run->seq, run->why, sizeof(run->why)) != 0) {
			run->bad_at = i + 1;
			break;
		}
	}
	if (run->bad_at == 0 && auditcheck_finish(c, run->why, sizeof(run->why)) != 0)
		run->bad_at = t->n + 1;
	auditcheck_summary(c, &run->sum);
	auditcheck_free(c);
}

static void
check(const struct trail *t, const struct note_vkey *key, unsigned seg, unsigned from,
      struct run *run)
{
	check_saved(t, key, seg, from, NULL, run);
}

static void
expect_bad(const struct run *run, size_t line, const char *what)
{
	if (run->bad_at != line || strstr(run->why, what) == NULL)
		fail_msg("want line %zu '%s', got line %zu '%s'", line, what, run->bad_at, run->why);
}

static void
test_good_trail(void **state)
{
	struct trail t;
	struct run run;
	uint8_t root[MERKLE_HASH_LEN];
	int i;

	(void)state;
	trail_init(&t, 1);
	for (i = 0; i < 5; i++)
		add_sign(&t);
	merkle_state_root(&t.st, root);
	add_sign(&t);
	add_sign(&t);
	/* Signs size 5, two records before its own place. */
	add_checkpoint(&t, 5, root, t.key, t.pub, ORIGIN);
	add_sign(&t);
	add_checkpoint(&t, t.st.size, NULL, t.key, t.pub, ORIGIN);
	add_sign(&t);
	check(&t, &t.vkey, 1, 0, &run);
	if (run.bad_at != 0)
		fail_msg("line %zu: %s", run.bad_at, run.why);
	assert_int_equal(run.sum.records, 11);
	assert_int_equal(run.sum.checkpoints, 2);
	assert_int_equal(run.sum.ckpt_size, 9);
	assert_string_equal(run.sum.origin, ORIGIN);
	assert_int_equal(run.sum.tree_size, 11);
	merkle_state_root(&t.st, root);
	assert_memory_equal(run.sum.root, root, sizeof(root));
	assert_int_equal(run.notes, 0);
	trail_free(&t);
}

static void
test_seq_and_form(void **state)
{
	struct audit_event ev;
	struct trail t;
	struct run run;
	char *line;

	(void)state;
	trail_init(&t, 1);
	add_sign(&t);
	add_sign(&t);
	memset(&ev, 0, sizeof(ev));
	ev.event = "sign";
	add(&t, &ev, 4, 2);      /* seq 3 dropped */
	check(&t, &t.vkey, 1, 0, &run);
	expect_bad(&run, 3, "seq is not 3");
	assert_int_equal(run.seq, 4);
	/* One space: no longer what the writer writes. */
	line = t.lines[1];
	t.lines[1] = strdup("{\"event\": \"sign\",\"seq\":2,\"time\":\"2026-12-01T00:00:00.001000Z\",\"v\":1}");
	free(line);
	check(&t, &t.vkey, 1, 0, &run);
	expect_bad(&run, 2, "not a canonical record");
	/* v 2. */
	free(t.lines[1]);
	t.lines[1] = strdup("{\"event\":\"sign\",\"seq\":2,\"time\":\"2026-12-01T00:00:00.001000Z\",\"v\":2}");
	check(&t, &t.vkey, 1, 0, &run);
	expect_bad(&run, 2, "v is not 1");
	free(t.lines[1]);
	t.lines[1] = strdup("{\"event\":\"sign\",\"seq\":2,\"time\":\"2026-12-01 00:00:00\",\"v\":1}");
	check(&t, &t.vkey, 1, 0, &run);
	expect_bad(&run, 2, "time is missing or not RFC 3339");
	trail_free(&t);
}

static void
test_time_backwards(void **state)
{
	struct audit_event ev;
	struct trail t;
	struct run run;

	(void)state;
	trail_init(&t, 1);
	add_sign(&t);
	memset(&ev, 0, sizeof(ev));
	ev.event = "start";
	add(&t, &ev, 0, -3600 * 1000);   /* a restart with the clock set back an hour */
	add_sign(&t);
	check(&t, &t.vkey, 1, 0, &run);
	assert_int_equal(run.bad_at, 0);
	assert_int_equal(run.notes, 1);
	assert_int_equal(run.sum.time_backwards, 1);
	trail_free(&t);
}

static void
test_checkpoint_faults(void **state)
{
	uint8_t root[MERKLE_HASH_LEN], other_pub[NOTE_ED25519_PUB], seed[32];
	struct trail t;
	struct run run;
	EVP_PKEY *other;

	(void)state;
	memset(seed, 9, sizeof(seed));
	other = edsoft_key(seed, other_pub);
	assert_non_null(other);

	/* A root that is not the records'. */
	trail_init(&t, 1);
	add_sign(&t);
	add_sign(&t);
	memset(root, 0xab, sizeof(root));
	add_checkpoint(&t, 2, root, t.key, t.pub, ORIGIN);
	check(&t, &t.vkey, 1, 0, &run);
	expect_bad(&run, 3, "checkpoint root does not match the records (tree size 2)");
	assert_int_equal(run.seq, 3);
	/* Without a key nothing is taken on trust. */
	check(&t, NULL, 1, 0, &run);
	expect_bad(&run, 3, "no audit key");
	trail_free(&t);

	/* Signed by another key under the same name. */
	trail_init(&t, 1);
	add_sign(&t);
	add_checkpoint(&t, 1, NULL, other, other_pub, ORIGIN);
	check(&t, &t.vkey, 1, 0, &run);
	expect_bad(&run, 2, "signature does not verify");
	trail_free(&t);

	/* A size past its own place, and one going back. */
	trail_init(&t, 1);
	add_sign(&t);
	merkle_state_root(&t.st, root);
	add_checkpoint(&t, 2, root, t.key, t.pub, ORIGIN);
	check(&t, &t.vkey, 1, 0, &run);
	expect_bad(&run, 2, "past the checkpoint's own place");
	trail_free(&t);
	trail_init(&t, 1);
	add_sign(&t);
	merkle_state_root(&t.st, root);
	add_sign(&t);
	add_checkpoint(&t, 2, NULL, t.key, t.pub, ORIGIN);
	add_checkpoint(&t, 1, root, t.key, t.pub, ORIGIN);
	check(&t, &t.vkey, 1, 0, &run);
	expect_bad(&run, 4, "less than the previous checkpoint's 2");
	trail_free(&t);

	/* The audit key signing a checkpoint of another log. */
	trail_init(&t, 1);
	add_sign(&t);
	add_checkpoint(&t, 1, NULL, t.key, t.pub, "signet.feedf00d/policyd");
	check(&t, &t.vkey, 1, 0, &run);
	expect_bad(&run, 2, "origin is not the key's name");
	trail_free(&t);
	EVP_PKEY_free(other);
}

/* A trail whose second segment starts at record 3. */
static void
test_segments(void **state)
{
	uint8_t enc[MERKLE_STATE_MAX_ENC];
	char hex[2 * MERKLE_STATE_MAX_ENC + 1];
	struct audit_event ev;
	struct trail t, tail;
	struct run run;
	size_t n = 0;

	(void)state;
	trail_init(&t, 1);
	add_sign(&t);
	add_sign(&t);
	assert_int_equal(merkle_state_encode(&t.st, enc, sizeof(enc), &n), 0);
	assert_int_equal(hex_encode_lower(enc, n, hex, sizeof(hex)), 0);
	memset(&ev, 0, sizeof(ev));
	ev.event = "segment";
	ev.segment = 2;
	ev.has_tree_size = 1;
	ev.tree_size = 2;
	ev.frontier = hex;
	/* Checked as the start of segment 2 with --from-segment 2. */
	trail_init(&tail, 1);
	tail.st = t.st;
	tail.seq0 = 2;
	add(&tail, &ev, 0, 2);
	add_checkpoint(&tail, 3, NULL, tail.key, tail.pub, ORIGIN);
	check(&tail, &tail.vkey, 2, 2, &run);
	if (run.bad_at != 0)
		fail_msg("line %zu: %s", run.bad_at, run.why);
	assert_int_equal(run.sum.first_index, 2);
	assert_int_equal(run.sum.checkpoints, 1);
	/* Taken for another segment than its record says. */
	check(&tail, &tail.vkey, 3, 3, &run);
	expect_bad(&run, 1, "record says it is segment 2");
	/* Without --from-segment, segment 2 read alone starts with the
	 * wrong seq for a whole trail. */
	check(&tail, &tail.vkey, 2, 0, &run);
	expect_bad(&run, 1, "seq is not 1");
	/* The whole trail in one file: a segment record on line 3 is out of
	 * place. */
	add(&t, &ev, 0, 2);
	check(&t, &t.vkey, 1, 0, &run);
	expect_bad(&run, 3, "not the first record of a segment");
	trail_free(&t);
	trail_free(&tail);
}

static void
test_quarantine(void **state)
{
	struct audit_event ev;
	struct trail t;
	struct run run;

	(void)state;
	trail_init(&t, 1);
	add_sign(&t);
	memset(&ev, 0, sizeof(ev));
	ev.event = "quarantine";
	ev.file = "audit.jsonl.torn-20261201T000000Z";
	ev.reason = "torn tail at start";
	ev.size = 17;
	add(&t, &ev, 0, 1);
	check(&t, &t.vkey, 1, 0, &run);
	assert_int_equal(run.bad_at, 0);
	assert_int_equal(run.sum.quarantines, 1);
	assert_int_equal(run.notes, 1);
	trail_free(&t);
}

/* A checkpoint kept from before: the trail must still hold its tree. */
static void
test_saved_checkpoint(void **state)
{
	struct note_checkpoint saved;
	struct trail t;
	struct run run;
	int i;

	(void)state;
	trail_init(&t, 1);
	for (i = 0; i < 4; i++)
		add_sign(&t);
	memset(&saved, 0, sizeof(saved));
	saved.size = 4;
	merkle_state_root(&t.st, saved.root);
	add_sign(&t);
	check_saved(&t, &t.vkey, 1, 0, &saved, &run);
	assert_int_equal(run.bad_at, 0);
	assert_true(run.sum.saved_checked);
	/* Cut to 3 records: the saved checkpoint's 4th is gone. */
	t.n = 3;
	check_saved(&t, &t.vkey, 1, 0, &saved, &run);
	expect_bad(&run, 4, "records were cut from its end");
	t.n = 5;
	/* The trail holds 4 records, not those. */
	saved.root[0] ^= 1;
	check_saved(&t, &t.vkey, 1, 0, &saved, &run);
	expect_bad(&run, 5, "the saved checkpoint's root of size 4 is not the trail's");
	trail_free(&t);
}

static void
test_parse_time(void **state)
{
	int64_t us = 0;

	(void)state;
	assert_int_equal(auditcheck_parse_time("2026-12-01T00:00:00.000001Z", 27, &us), 0);
	assert_true(us == T0 + 1);
	assert_int_not_equal(auditcheck_parse_time("2026-12-01T00:00:00.00001Z", 26, &us), 0);
	assert_int_not_equal(auditcheck_parse_time("2026-13-01T00:00:00.000001Z", 27, &us), 0);
	assert_int_not_equal(auditcheck_parse_time("2026-12-01T24:00:00.000001Z", 27, &us), 0);
	assert_int_not_equal(auditcheck_parse_time("2026-12-01T00:00:00.000001+", 27, &us), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_good_trail),
		cmocka_unit_test(test_seq_and_form),
		cmocka_unit_test(test_time_backwards),
		cmocka_unit_test(test_checkpoint_faults),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_quarantine),
		cmocka_unit_test(test_saved_checkpoint),
		cmocka_unit_test(test_parse_time),
	};

	gcry_check_version(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
