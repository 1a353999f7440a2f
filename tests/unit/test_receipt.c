/* test_receipt.c — receipts end to end over a hand-made trail (records by
 * the real encoder, audit_encode): the record found by time
 * (agent/trailfind.c), its proof from a hash store or a tree rebuilt from
 * the trail (agent/auditnodes.c, agent/leafproof.c), encoded, decoded and checked
 * (agent/receipt.c) against a checkpoint note signed with a software
 * Ed25519 key; then every member of the receipt altered in turn. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <gcrypt.h>
#include <openssl/evp.h>

#include "../../agent/auditnodes.h"
#include "../../agent/leafproof.h"
#include "../../agent/receipt.h"
#include "../../agent/trailfind.h"
#include "audit.h"
#include "merkle-store.h"
#include "signednote.h"
#include "trailread.h"
#include "edsoft.h"
#include "tmpdir.h"

#define NREC    5000
#define OURS    4321     /* the record of the signature */
#define CKPT    4500     /* the checkpoint's tree size */
#define T0_US   INT64_C(1796380000000000)
#define STEP_US 50000    /* 20 records a second */

static const char origin[] = "signet.0123abcd/policyd";

struct world {
	struct tmpdir *t;
	EVP_PKEY *key;
	uint8_t pub[NOTE_ED25519_PUB];
	struct note_vkey vkey;
	char *note;
	size_t note_len;
	uint8_t leaves[NREC][MERKLE_HASH_LEN];
	struct sigextract sx;
	char value[SIGEXTRACT_MAX_VALUE];
};

/* Record I: a sign record whose P-256 signature r || s is derived from I
 * (record OURS has an r with a leading zero byte, as one in 256 has). */
static void
sig_of(unsigned i, uint8_t sig[64], uint8_t digest[32])
{
	char seed[32];

	snprintf(seed, sizeof(seed), "sig %u", i);
	gcry_md_hash_buffer(GCRY_MD_SHA512, sig, seed, strlen(seed));
	gcry_md_hash_buffer(GCRY_MD_SHA256, digest, seed, strlen(seed));
	if (i == OURS)
		sig[0] = 0;
}

static void
write_trail(struct world *w)
{
	FILE *f = fopen(w->t->file, "w");
	uint8_t sig[64], digest[32];
	struct audit_event ev;
	char *line;

	assert_non_null(f);
	for (unsigned i = 0; i < NREC; i++) {
		memset(&ev, 0, sizeof(ev));
		sig_of(i, sig, digest);
		ev.event = "sign";
		ev.project = "rel";
		ev.hash = "sha256";
		ev.digest = digest;
		ev.digest_len = sizeof(digest);
		ev.result = "granted";
		ev.signature = sig;
		ev.signature_len = sizeof(sig);
		assert_int_equal(audit_encode(&ev, i + 1, T0_US + (int64_t)i * STEP_US, &line), 0);
		fprintf(f, "%s\n", line);
		merkle_hash_leaf(line, strlen(line), w->leaves[i]);
		free(line);
	}
	assert_int_equal(fclose(f), 0);
}

/* The signature of record OURS as sigextract would read it from a file. */
static void
our_signature(struct world *w)
{
	uint8_t sig[64], digest[32];

	sig_of(OURS, sig, digest);
	memset(&w->sx, 0, sizeof(w->sx));
	w->sx.kind = SIGEXTRACT_OPENPGP;
	w->sx.container = "binary signature";
	w->sx.created = (T0_US + (int64_t)OURS * STEP_US) / 1000000 - 1;
	w->sx.pk_algo = 19;
	w->sx.ncomp = 2;
	memcpy(w->sx.comp[0], sig + 1, 31);   /* the MPI drops the zero byte */
	w->sx.comp_len[0] = 31;
	memcpy(w->sx.comp[1], sig + 32, 32);
	w->sx.comp_len[1] = 32;
	memcpy(w->sx.left16, digest, 2);
	assert_int_equal(sigextract_value(&w->sx, w->value, sizeof(w->value)), 0);
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct note_checkpoint cp;
	struct merkle_state st;
	char vk[NOTE_MAX_VKEY];
	uint8_t seed[32];
	const char *why;

	if (w == NULL || tmpdir_setup((void **)&w->t) != 0)
		return -1;
	write_trail(w);
	our_signature(w);
	memset(seed, 0x5e, sizeof(seed));
	if ((w->key = edsoft_key(seed, w->pub)) == NULL)
		return -1;
	merkle_state_init(&st);
	for (unsigned i = 0; i < CKPT; i++)
		merkle_state_append(&st, w->leaves[i], NULL, NULL);
	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
	cp.size = CKPT;
	merkle_state_root(&st, cp.root);
	if (note_checkpoint_sign(&cp, origin, w->pub, edsoft_sign, w->key, &w->note, &w->note_len) != 0 ||
	    note_vkey_format(origin, w->pub, vk, sizeof(vk)) != 0 ||
	    note_vkey_parse(vk, strlen(vk), &w->vkey, &why) != 0)
		return -1;
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;
	void *t = w->t;

	free(w->note);
	EVP_PKEY_free(w->key);
	tmpdir_teardown(&t);
	free(w);
	return 0;
}

/* The record of OURS, found as prove finds it: by time, then a scan. */
static char *
find_ours(struct world *w, uint64_t *index)
{
	struct trail_reader *tr = NULL;
	struct trailfind_pos pos;
	struct trail_line line;
	char err[256], *rec = NULL;
	int64_t t = (T0_US + (int64_t)OURS * STEP_US) / 1000000 - 120;

	assert_int_equal(trail_open(w->t->file, 0, &tr, err, sizeof(err)), 0);
	assert_int_equal(trailfind_time(tr, t, &pos, err, sizeof(err)), 0);
	/* a line start before the first record of that time, and not far */
	assert_true(pos.index < (uint64_t)OURS - 120 * 20);
	assert_true(pos.index > (uint64_t)OURS - 120 * 20 - 300);
	assert_int_equal(pos.lineno, pos.index + 1);
	assert_int_equal(trail_seek(tr, pos.file_no, pos.offset, pos.index, pos.lineno), 0);
	while (trail_next(tr, &line, err, sizeof(err)) == 0) {
		if (line.index == 0 || trailfind_line_time(line.data, line.len) < t)
			assert_true(line.index < (uint64_t)OURS);
		if (line.index == OURS) {
			rec = strndup(line.data, line.len);
			*index = line.index;
			break;
		}
	}
	trail_close(tr);
	assert_non_null(rec);
	return rec;
}

static void
build(struct world *w, struct auditnodes *an, const char *rec, uint64_t index, struct receipt *rc)
{
	char err[256];

	memset(rc, 0, sizeof(*rc));
	merkle_hash_leaf(rec, strlen(rec), rc->leaf_hash);
	assert_int_equal(leafproof_make(auditnodes_src(an), index, rc->leaf_hash, CKPT, rc->proof, &rc->proof_len,
	                                rc->root, err, sizeof(err)), 0);
	rc->trail = "policyd";
	rc->record = rec;
	rc->record_len = strlen(rec);
	rc->leaf_index = index;
	rc->tree_size = CKPT;
	rc->note = w->note;
	rc->note_len = w->note_len;
	rc->kind = SIGEXTRACT_OPENPGP;
	rc->value = w->value;
}

static void
test_prove_and_check(void **state)
{
	struct world *w = *state;
	struct auditnodes *pt = NULL;
	struct receipt rc, back;
	json_t *root = NULL;
	char err[512], *rec, *json = NULL;
	uint64_t index = 0;
	int from_store = -1;

	rec = find_ours(w, &index);
	assert_int_equal(index, OURS);
	/* no store: rebuilt from the trail */
	assert_int_equal(auditnodes_open(w->t->file, CKPT, &pt, &from_store, err, sizeof(err)), 0);
	assert_int_equal(from_store, 0);
	build(w, pt, rec, index, &rc);
	assert_int_equal(receipt_check(&rc, &w->vkey, &w->sx, err, sizeof(err)), 0);
	assert_int_equal(receipt_encode(&rc, &json), 0);
	assert_int_equal(receipt_decode(json, strlen(json), &root, &back, err, sizeof(err)), 0);
	assert_int_equal(back.record_len, rc.record_len);
	assert_memory_equal(back.record, rc.record, rc.record_len);
	assert_int_equal(back.proof_len, rc.proof_len);
	assert_memory_equal(back.proof, rc.proof, rc.proof_len * MERKLE_HASH_LEN);
	assert_int_equal(receipt_check(&back, &w->vkey, &w->sx, err, sizeof(err)), 0);
	json_decref(root);
	free(json);
	auditnodes_close(pt);
	free(rec);
}

/* Each alteration of a good receipt R fails, and ERR names WORD. */
static void
expect_refused(struct world *w, const struct receipt *r, const struct sigextract *sx, const char *word)
{
	char err[512];

	err[0] = '\0';
	assert_int_not_equal(receipt_check(r, &w->vkey, sx, err, sizeof(err)), 0);
	if (strstr(err, word) == NULL)
		fail_msg("'%s' does not name '%s'", err, word);
}

static void
test_each_member_altered(void **state)
{
	struct world *w = *state;
	struct auditnodes *pt = NULL;
	struct receipt good, r;
	struct sigextract other;
	struct note_vkey wrong;
	char err[256], *rec, *bad, *note, value[SIGEXTRACT_MAX_VALUE];
	uint64_t index = 0;
	int from_store;

	rec = find_ours(w, &index);
	assert_int_equal(auditnodes_open(w->t->file, CKPT, &pt, &from_store, err, sizeof(err)), 0);
	build(w, pt, rec, index, &good);

	r = good;
	r.leaf_index++;
	expect_refused(w, &r, NULL, "proof");
	r = good;
	r.tree_size++;
	expect_refused(w, &r, NULL, "tree_size");
	r = good;
	r.proof[0][7] ^= 1;
	expect_refused(w, &r, NULL, "proof");
	r = good;
	r.proof_len--;
	expect_refused(w, &r, NULL, "proof");
	r = good;
	r.root[0] ^= 1;
	expect_refused(w, &r, NULL, "root");
	r = good;
	r.leaf_hash[31] ^= 1;
	expect_refused(w, &r, NULL, "leaf_hash");
	/* the record edited, its leaf hash made to match: the proof fails */
	bad = strdup(rec);
	strstr(bad, "\"rel\"")[1] = 'R';
	r = good;
	r.record = bad;
	merkle_hash_leaf(bad, strlen(bad), r.leaf_hash);
	expect_refused(w, &r, NULL, "record");
	free(bad);
	/* the note's text edited: its signature fails */
	note = strndup(w->note, w->note_len);
	note[strlen(origin) + 1] = '3';
	r = good;
	r.note = note;
	expect_refused(w, &r, NULL, "checkpoint");
	free(note);
	/* another signature value, another kind, a wrong key */
	snprintf(value, sizeof(value), "%s", w->value);
	value[0] = value[0] == '1' ? '2' : '1';
	r = good;
	r.value = value;
	expect_refused(w, &r, NULL, "signature.value");
	r = good;
	r.kind = SIGEXTRACT_RFC3161;
	expect_refused(w, &r, NULL, "record");
	wrong = w->vkey;
	wrong.pub[0] ^= 1;
	assert_int_equal(gpg_err_code(receipt_check(&good, &wrong, NULL, err, sizeof(err))), GPG_ERR_BAD_SIGNATURE);
	/* a SIGFILE of another signature, or with another digest start */
	other = w->sx;
	other.comp[1][5] ^= 1;
	expect_refused(w, &good, &other, "SIGFILE");
	other = w->sx;
	other.left16[0] ^= 1;
	expect_refused(w, &good, &other, "digest");
	auditnodes_close(pt);
	free(rec);
}

/* With a hash store beside the trail: the same proof, read from it; a
 * store of other records is named as not this trail's. */
static void
test_store(void **state)
{
	struct world *w = *state;
	struct merkle_store *st = NULL;
	struct auditnodes *pt = NULL;
	struct receipt stored, rebuilt_rc;
	uint8_t other[MERKLE_HASH_LEN] = { 0 };
	char path[128], err[512], *rec;
	uint64_t index = 0;
	int from_store = -1;
	struct stat sb;
	off_t size;
	FILE *f;

	rec = find_ours(w, &index);
	assert_int_equal(auditnodes_open(w->t->file, CKPT, &pt, &from_store, err, sizeof(err)), 0);
	build(w, pt, rec, index, &rebuilt_rc);
	auditnodes_close(pt);

	snprintf(path, sizeof(path), "%s.tree", w->t->file);
	assert_int_equal(merkle_store_open(path, MERKLE_STORE_CREATE, &st), 0);
	for (unsigned i = 0; i < NREC; i++)
		assert_int_equal(merkle_store_append(st, w->leaves[i]), 0);
	merkle_store_close(st);
	assert_int_equal(auditnodes_open(w->t->file, CKPT, &pt, &from_store, err, sizeof(err)), 0);
	assert_int_equal(from_store, 1);
	build(w, pt, rec, index, &stored);
	assert_int_equal(stored.proof_len, rebuilt_rc.proof_len);
	assert_memory_equal(stored.proof, rebuilt_rc.proof, rebuilt_rc.proof_len * MERKLE_HASH_LEN);
	assert_memory_equal(stored.root, rebuilt_rc.root, MERKLE_HASH_LEN);
	auditnodes_close(pt);

	/* half an append on disk (the daemon writing): read past, never cut */
	assert_non_null(f = fopen(path, "a"));
	assert_int_equal(fwrite(other, 1, 16, f), 16);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(auditnodes_open(w->t->file, CKPT, &pt, &from_store, err, sizeof(err)), 0);
	assert_int_equal(from_store, 1);
	build(w, pt, rec, index, &stored);
	assert_memory_equal(stored.root, rebuilt_rc.root, MERKLE_HASH_LEN);
	auditnodes_close(pt);
	size = sb.st_size;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, size);

	/* another trail's store */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(merkle_store_open(path, MERKLE_STORE_CREATE, &st), 0);
	for (unsigned i = 0; i < NREC; i++) {
		merkle_hash_leaf(&i, sizeof(i), other);
		assert_int_equal(merkle_store_append(st, other), 0);
	}
	merkle_store_close(st);
	assert_int_equal(auditnodes_open(w->t->file, CKPT, &pt, &from_store, err, sizeof(err)), 0);
	assert_int_equal(gpg_err_code(leafproof_make(auditnodes_src(pt), index, stored.leaf_hash, CKPT,
	                                             stored.proof, &stored.proof_len, stored.root,
	                                             err, sizeof(err))),
	                 GPG_ERR_BAD_DATA);
	assert_non_null(strstr(err, "not this trail's"));
	auditnodes_close(pt);
	/* a store shorter than the checkpoint: the tree is rebuilt */
	assert_int_equal(auditnodes_open(w->t->file, NREC, &pt, &from_store, err, sizeof(err)), 0);
	assert_int_equal(from_store, 1);
	auditnodes_close(pt);
	assert_int_equal(truncate(path, 8 + 32 * 100), 0);
	assert_int_equal(auditnodes_open(w->t->file, CKPT, &pt, &from_store, err, sizeof(err)), 0);
	assert_int_equal(from_store, 0);
	build(w, pt, rec, index, &stored);
	assert_memory_equal(stored.root, rebuilt_rc.root, MERKLE_HASH_LEN);
	auditnodes_close(pt);
	assert_int_equal(unlink(path), 0);
	free(rec);
}

/* The trail cut into a sealed segment and the current one: the time
 * search picks the segment, and the index runs on across the cut. */
static void
test_find_across_segments(void **state)
{
	struct world *w = *state;
	struct trail_reader *tr = NULL;
	struct trailfind_pos pos;
	struct trail_line line;
	char sealed[128], err[256];
	const unsigned at[] = { 0, 10, 1000, 2999, 3000, 3100, OURS, NREC - 1 };
	FILE *in, *a, *b;
	char buf[1024];
	unsigned n = 0;

	snprintf(sealed, sizeof(sealed), "%s.000001", w->t->file);
	assert_int_equal(rename(w->t->file, sealed), 0);
	assert_non_null(in = fopen(sealed, "r"));
	assert_non_null(a = fopen(w->t->sub, "w"));
	assert_non_null(b = fopen(w->t->file, "w"));
	while (fgets(buf, sizeof(buf), in) != NULL)
		fputs(buf, n++ < 3000 ? a : b);
	fclose(in);
	fclose(a);
	fclose(b);
	assert_int_equal(rename(w->t->sub, sealed), 0);

	assert_int_equal(trail_open(w->t->file, 0, &tr, err, sizeof(err)), 0);
	assert_int_equal(trail_nfiles(tr), 2);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		int64_t t = (T0_US + (int64_t)at[i] * STEP_US) / 1000000;

		assert_int_equal(trailfind_time(tr, t, &pos, err, sizeof(err)), 0);
		assert_int_equal(pos.file_no, at[i] >= 3000 ? 1 : 0);
		assert_true(pos.index <= at[i]);
		assert_true(at[i] - pos.index < 300);
		assert_int_equal(trail_seek(tr, pos.file_no, pos.offset, pos.index, pos.lineno), 0);
		assert_int_equal(trail_next(tr, &line, err, sizeof(err)), 0);
		assert_int_equal(line.index, pos.index);
		assert_true(trailfind_line_time(line.data, line.len) <= t);
	}
	trail_close(tr);
	assert_int_equal(unlink(sealed), 0);
}

/* A receipt text with a member missing, one too many, or malformed. */
static void
test_decode_refusals(void **state)
{
	static const char *bad[] = {
		"[]",
		"{\"type\":\"signet-audit-receipt\"}",
		"{\"checkpoint\":\"x\",\"inclusion\":{\"leaf_hash\":\"00\",\"leaf_index\":0,\"proof\":[],"
		"\"root\":\"00\",\"tree_size\":1,\"type\":\"inclusion\"},\"leaf_index\":0,\"record\":\"{}\","
		"\"signature\":{\"kind\":\"openpgp\",\"value\":\"01\"},\"trail\":\"policyd\","
		"\"type\":\"signet-audit-receipt\",\"version\":1}",
		"{\"checkpoint\":\"x\",\"inclusion\":{},\"leaf_index\":0,\"record\":\"{}\","
		"\"signature\":{\"kind\":\"x509\",\"value\":\"01\"},\"trail\":\"policyd\","
		"\"type\":\"signet-audit-receipt\",\"version\":1}",
	};
	struct receipt r;
	json_t *root = NULL;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_not_equal(receipt_decode(bad[i], strlen(bad[i]), &root, &r, err, sizeof(err)), 0);
		assert_null(root);
		assert_true(err[0] != '\0');
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prove_and_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_member_altered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_across_segments, setup, teardown),
		cmocka_unit_test(test_decode_refusals),
	};

	if (!gcry_check_version(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
