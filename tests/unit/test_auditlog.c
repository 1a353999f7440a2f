/* test_auditlog.c — the verifiable log's writer (common/auditlog.c and
 * friends) against the file formats of doc/audit-format.md: a torn last
 * line is quarantined and recorded; the hash store follows the trail and
 * is caught up or rebuilt when a crash left it short, long or wrong;
 * segments roll over with a segment record holding the frontier;
 * checkpoints are signed notes over the right root, written every N
 * records and at a clean stop; announced records share a sync and a
 * cancelled announcement never holds one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <gcrypt.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "audit.h"
#include "auditlog-int.h"
#include "auditseg.h"
#include "hex.h"
#include "merkle-store.h"
#include "signednote.h"
#include "trailread.h"

struct world {
	char dir[32];
	char path[64];
	EVP_PKEY *key;          /* a software Ed25519 audit key */
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return -1;
	strcpy(w->dir, "/tmp/sgalXXXXXX");
	if (mkdtemp(w->dir) == NULL)
		return -1;
	snprintf(w->path, sizeof(w->path), "%s/audit.jsonl", w->dir);
	w->key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	*state = w;
	return w->key == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	(void)umount2(w->dir, MNT_DETACH);   /* test_disk_full_at_roll's tmpfs, if it failed */
	alarm(0);                            /* test_hostile_folder's, if it failed */
	EVP_PKEY_free(w->key);
	free(w);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static void
append_n(struct audit_log *log, unsigned n, const char *reason)
{
	struct audit_event ev = { .event = "config", .reason = reason };
	unsigned i;

	for (i = 0; i < n; i++)
		assert_int_equal(audit_append(log, &ev, NULL), 0);
}

/* The root of the first SIZE lines of the trail in BUF, by hashing them. */
static void
root_of(const char *buf, uint64_t size, uint8_t root[MERKLE_HASH_LEN])
{
	struct merkle_state st;
	uint8_t leaf[MERKLE_HASH_LEN];
	const char *p = buf, *nl;
	uint64_t i;

	merkle_state_init(&st);
	for (i = 0; i < size; i++) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		merkle_hash_leaf(p, (size_t)(nl - p), leaf);
		assert_int_equal(merkle_state_append(&st, leaf, NULL, NULL), 0);
		p = nl + 1;
	}
	merkle_state_root(&st, root);
}

static uint64_t
count_lines(const char *buf)
{
	uint64_t n = 0;

	for (; *buf != '\0'; buf++)
		n += *buf == '\n';
	return n;
}

static uint64_t
store_size(const char *trail)
{
	char name[128];
	struct merkle_store *st = NULL;
	uint64_t n;

	snprintf(name, sizeof(name), "%s.tree", trail);
	assert_int_equal(merkle_store_open(name, 0, &st), 0);
	n = merkle_store_size(st);
	merkle_store_close(st);
	return n;
}

static void
test_torn_tail_quarantined(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	char *buf, qname[128];
	json_t *rec;
	FILE *f;
	uint64_t seq = 0;

	assert_int_equal(audit_open(w->path, &log), 0);
	append_n(log, 3, "before the crash");
	audit_close(log);
	f = fopen(w->path, "a");
	fputs("{\"event\":\"sign\",\"seq\":4,\"ti", f);   /* a crash mid-write */
	fclose(f);

	assert_int_equal(audit_open(w->path, &log), 0);
	append_n(log, 1, "after");
	seq = audit_last_seq(log);
	audit_close(log);
	assert_int_equal(seq, 5);   /* 4 is the quarantine record, 5 the next */

	buf = slurp(w->path, NULL);
	assert_int_equal(count_lines(buf), 5);
	rec = json_loads(strchr(strchr(strchr(buf, '\n') + 1, '\n') + 1, '\n') + 1, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(rec);
	assert_string_equal(json_string_value(json_object_get(rec, "event")), "quarantine");
	assert_int_equal(json_integer_value(json_object_get(rec, "size")), 27);
	snprintf(qname, sizeof(qname), "%s/%s", w->dir, json_string_value(json_object_get(rec, "file")));
	json_decref(rec);
	free(buf);
	buf = slurp(qname, NULL);
	assert_non_null(buf);
	assert_string_equal(buf, "{\"event\":\"sign\",\"seq\":4,\"ti");
	free(buf);
	assert_int_equal(store_size(w->path), 5);

	/* Another crash within the same second: its own quarantine file. */
	f = fopen(w->path, "a");
	fputs("{\"event\"", f);
	fclose(f);
	assert_int_equal(audit_open(w->path, &log), 0);
	audit_close(log);
	buf = slurp(w->path, NULL);
	assert_int_equal(count_lines(buf), 6);
	rec = json_loads(strrchr(buf, '{'), 0, NULL);
	assert_non_null(rec);
	assert_string_equal(json_string_value(json_object_get(rec, "event")), "quarantine");
	assert_string_not_equal(json_string_value(json_object_get(rec, "file")), qname + strlen(w->dir) + 1);
	snprintf(qname, sizeof(qname), "%s/%s", w->dir, json_string_value(json_object_get(rec, "file")));
	json_decref(rec);
	free(buf);
	buf = slurp(qname, NULL);
	assert_string_equal(buf, "{\"event\"");
	free(buf);
}

static void
test_store_follows_and_recovers(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	char tree[128];
	uint8_t want[MERKLE_HASH_LEN], have[MERKLE_HASH_LEN];
	struct merkle_store *st = NULL;
	char *buf;
	size_t len;

	snprintf(tree, sizeof(tree), "%s.tree", w->path);
	assert_int_equal(audit_open(w->path, &log), 0);
	append_n(log, 37, "x");
	audit_close(log);
	assert_int_equal(store_size(w->path), 37);

	/* A crash lost the store's last writes: short by 5 leaves. */
	assert_int_equal(truncate(tree, 8 + 32 * (2 * 32 - 1)), 0);
	assert_int_equal(audit_open(w->path, &log), 0);
	audit_close(log);
	assert_int_equal(store_size(w->path), 37);

	/* Gone altogether, then wrong (another trail's store). */
	assert_int_equal(unlink(tree), 0);
	assert_int_equal(audit_open(w->path, &log), 0);
	append_n(log, 2, "y");
	audit_close(log);
	buf = slurp(w->path, &len);
	root_of(buf, 39, want);
	free(buf);
	assert_int_equal(merkle_store_open(tree, 0, &st), 0);
	assert_int_equal(merkle_store_root(st, 39, have), 0);
	merkle_store_close(st);
	assert_memory_equal(have, want, MERKLE_HASH_LEN);
}

/* The whole trail, every segment in order, as one buffer (caller frees). */
static char *
whole_trail(const char *path, size_t *len)
{
	char name[128], *all = NULL, *part, *tmp;
	size_t total = 0, n;
	unsigned k;

	for (k = 1;; k++) {
		if (auditseg_name(path, k, name, sizeof(name)) != 0 || access(name, F_OK) != 0)
			break;
		part = slurp(name, &n);
		tmp = realloc(all, total + n + 1);
		assert_non_null(tmp);
		all = tmp;
		memcpy(all + total, part, n);
		total += n;
		free(part);
	}
	part = slurp(path, &n);
	tmp = realloc(all, total + n + 1);
	assert_non_null(tmp);
	all = tmp;
	memcpy(all + total, part, n + 1);
	total += n;
	free(part);
	*len = total;
	return all;
}

/* A store L leaves long: its nodes are the complete subtrees of L leaves
 * (2L - popcount(L) of them) after the 8-byte header. */
static off_t
store_bytes(uint64_t leaves)
{
	return 8 + 32 * (off_t)(2 * leaves - (uint64_t)__builtin_popcountll(leaves));
}

/* A crash left the store a few leaves short and segment 1 is archived
 * elsewhere: the catch-up reads the current segment only, and the store
 * comes out right.  Short by more than the current segment holds, it
 * needs segment 1: the open fails, saying so, until it is put back. */
static void
test_store_catch_up_from_current_segment(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	char tree[128], seg1[128], away[160], reason[300], *buf;
	uint8_t want[MERKLE_HASH_LEN], have[MERKLE_HASH_LEN];
	struct merkle_store *st = NULL;
	uint64_t n = 0;
	size_t len, i;

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	snprintf(tree, sizeof(tree), "%s.tree", w->path);
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_set_segment_size(log, AUDIT_SEGMENT_MIN), 0);
	append_n(log, 500, reason);   /* three segments */
	audit_close(log);
	buf = whole_trail(w->path, &len);
	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	root_of(buf, n, want);
	free(buf);
	assert_int_equal(store_size(w->path), n);

	assert_int_equal(auditseg_name(w->path, 1, seg1, sizeof(seg1)), 0);
	snprintf(away, sizeof(away), "%s.archived", seg1);
	assert_int_equal(rename(seg1, away), 0);
	assert_int_equal(truncate(tree, store_bytes(n - 5)), 0);
	assert_int_equal(store_size(w->path), n - 5);
	assert_int_equal(audit_open(w->path, &log), 0);
	audit_close(log);
	assert_int_equal(merkle_store_open(tree, 0, &st), 0);
	assert_int_equal(merkle_store_size(st), n);
	assert_int_equal(merkle_store_root(st, n, have), 0);
	merkle_store_close(st);
	assert_memory_equal(have, want, MERKLE_HASH_LEN);

	/* 100 leaves are all in segment 1, which is not there. */
	assert_int_equal(truncate(tree, store_bytes(100)), 0);
	assert_int_not_equal(audit_open(w->path, &log), 0);
	assert_int_equal(rename(away, seg1), 0);
	assert_int_equal(audit_open(w->path, &log), 0);
	audit_close(log);
	assert_int_equal(merkle_store_open(tree, 0, &st), 0);
	assert_int_equal(merkle_store_root(st, n, have), 0);
	merkle_store_close(st);
	assert_memory_equal(have, want, MERKLE_HASH_LEN);
}

static void
test_segments_roll(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	char name[128], reason[300];
	unsigned *ks = NULL;
	size_t n = 0, len;
	char *buf;
	json_t *rec;
	uint8_t enc[MERKLE_STATE_MAX_ENC], want[MERKLE_HASH_LEN], have[MERKLE_HASH_LEN];
	struct merkle_state st;
	size_t enclen = 0;

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_set_segment_size(log, AUDIT_SEGMENT_MIN), 0);
	append_n(log, 500, reason);   /* ~190 KB: three segments */
	audit_close(log);
	assert_int_equal(auditseg_list(w->path, &ks, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ks[0], 1);
	assert_int_equal(ks[1], 2);
	free(ks);

	/* The current segment starts with a segment record whose frontier is
	 * the tree over every earlier line. */
	buf = slurp(w->path, &len);
	rec = json_loadb(buf, (size_t)(strchr(buf, '\n') - buf), 0, NULL);
	assert_non_null(rec);
	assert_string_equal(json_string_value(json_object_get(rec, "event")), "segment");
	assert_int_equal(json_integer_value(json_object_get(rec, "segment")), 3);
	assert_int_equal(hex_decode(json_string_value(json_object_get(rec, "frontier")),
	                            strlen(json_string_value(json_object_get(rec, "frontier"))), enc,
	                            sizeof(enc), &enclen), 0);
	assert_int_equal(merkle_state_decode(enc, enclen, &st, NULL), 0);
	assert_int_equal(st.size, (uint64_t)json_integer_value(json_object_get(rec, "tree_size")));
	assert_int_equal(st.size, json_integer_value(json_object_get(rec, "seq")) - 1);
	json_decref(rec);
	free(buf);
	/* … and it agrees with hashing segments 1 and 2 ourselves. */
	{
		char *a, *b, *both;
		size_t la, lb;

		assert_int_equal(auditseg_name(w->path, 1, name, sizeof(name)), 0);
		a = slurp(name, &la);
		assert_int_equal(auditseg_name(w->path, 2, name, sizeof(name)), 0);
		b = slurp(name, &lb);
		both = malloc(la + lb + 1);
		memcpy(both, a, la);
		memcpy(both + la, b, lb + 1);
		root_of(both, st.size, want);
		free(a);
		free(b);
		free(both);
	}
	merkle_state_root(&st, have);
	assert_memory_equal(have, want, MERKLE_HASH_LEN);
	assert_int_equal(store_size(w->path), 502);   /* 500 records, 2 segment records */

	/* A crash right after a roll left an empty current segment: the
	 * trail goes on from the sealed one, with a segment record. */
	assert_int_equal(auditseg_name(w->path, 3, name, sizeof(name)), 0);
	assert_int_equal(rename(w->path, name), 0);
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_last_seq(log), 503);
	audit_close(log);
	buf = slurp(w->path, NULL);
	assert_non_null(strstr(buf, "\"event\":\"segment\""));
	assert_non_null(strstr(buf, "\"segment\":4"));
	free(buf);
}

/* The whole trail (every segment) is one run of records: seq is index + 1,
 * each segment record sits where its tree_size says and opens the
 * segment it names, and the hash store holds exactly its leaves. */
static void
check_trail(const char *path)
{
	struct trail_reader *tr = NULL;
	struct trail_line line;
	char err[256];
	uint64_t n = 0;
	gpg_error_t r;

	assert_int_equal(trail_open(path, 0, &tr, err, sizeof(err)), 0);
	while ((r = trail_next(tr, &line, err, sizeof(err))) == 0) {
		json_t *rec = json_loadb(line.data, line.len, 0, NULL);

		assert_non_null(rec);
		assert_int_equal(json_integer_value(json_object_get(rec, "seq")), line.index + 1);
		if (strcmp(json_string_value(json_object_get(rec, "event")), "segment") == 0) {
			assert_int_equal(json_integer_value(json_object_get(rec, "tree_size")), line.index);
			assert_int_equal(json_integer_value(json_object_get(rec, "segment")), line.segment);
			assert_int_equal(line.lineno, 1);
		}
		json_decref(rec);
		n++;
	}
	assert_int_equal(gpg_err_code(r), GPG_ERR_EOF);
	trail_close(tr);
	assert_int_equal(store_size(path), n);
}

/* NAME holds TEXT (what a crash left there). */
static void
put_file(const char *name, const char *text)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

/* A crash at each step of a roll (auditroll.c: fdatasync, create P.new,
 * rename P to P.k, rename P.new to P, segment record), simulated on disk:
 * the next open goes on with one unbroken trail, and the next roll works. */
static void
test_roll_crash_windows(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	char fresh[128], sealed[128], reason[300];
	unsigned *ks = NULL;
	size_t nk = 0;
	uint64_t last;
	int step;

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	snprintf(fresh, sizeof(fresh), "%s.new", w->path);
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_set_segment_size(log, AUDIT_SEGMENT_MIN), 0);
	append_n(log, 100, reason);
	for (step = 0; step < 4; step++) {
		last = audit_last_seq(log);
		audit_close(log);
		assert_int_equal(auditseg_list(w->path, &ks, &nk), 0);
		free(ks);
		assert_int_equal(auditseg_name(w->path, (unsigned)nk + 1, sealed, sizeof(sealed)), 0);
		switch (step) {
		case 0:   /* P.new made; what it holds is never a record */
			put_file(fresh, "{\"event\":\"config\",\"seq\":1}\n");
			break;
		case 1:   /* P sealed as P.k, P.new not yet in its place */
			put_file(fresh, "");
			assert_int_equal(rename(w->path, sealed), 0);
			last++;   /* the segment record the open writes */
			break;
		case 2:   /* P.new in place, its segment record torn */
			assert_int_equal(rename(w->path, sealed), 0);
			put_file(w->path, "{\"event\":\"segment\",\"fron");
			last += 2;   /* the segment record and the quarantine record */
			break;
		case 3:   /* P.new in place, the hash store behind the trail */
			assert_int_equal(rename(w->path, sealed), 0);
			put_file(w->path, "");
			snprintf(fresh, sizeof(fresh), "%s.tree", w->path);
			assert_int_equal(truncate(fresh, 0), 0);
			last++;
			break;
		}
		assert_int_equal(audit_open(w->path, &log), 0);
		assert_int_equal(audit_last_seq(log), last);
		assert_int_equal(audit_set_segment_size(log, AUDIT_SEGMENT_MIN), 0);
		append_n(log, 250, reason);   /* rolls at least once more */
		check_trail(w->path);
		snprintf(fresh, sizeof(fresh), "%s.new", w->path);
		assert_int_equal(access(fresh, F_OK), -1);
	}
	audit_close(log);
	check_trail(w->path);
}

/* Someone with write access to the audit folder cannot make the writer
 * hang or crash at open: it refuses with a message, or repairs what is
 * derived data.  (A FIFO named like a sealed segment used to block the
 * open for good when the current segment was empty.) */
static void
test_hostile_folder(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	char seg1[128], tree[128], fresh[128], garbage[4096];
	int i;

	assert_int_equal(auditseg_name(w->path, 1, seg1, sizeof(seg1)), 0);
	snprintf(tree, sizeof(tree), "%s.tree", w->path);
	snprintf(fresh, sizeof(fresh), "%s.new", w->path);
	alarm(60);   /* a hang fails the test instead of stopping the run */

	assert_int_equal(mkfifo(seg1, 0600), 0);
	assert_int_not_equal(audit_open(w->path, &log), 0);
	assert_null(log);
	unlink(seg1);
	assert_int_equal(mkdir(seg1, 0700), 0);
	assert_int_not_equal(audit_open(w->path, &log), 0);
	rmdir(seg1);

	/* the hash store: a directory is refused, garbage is rebuilt */
	unlink(w->path);
	assert_int_equal(mkdir(tree, 0700), 0);
	assert_int_not_equal(audit_open(w->path, &log), 0);
	rmdir(tree);
	assert_int_equal(audit_open(w->path, &log), 0);
	append_n(log, 3, "h");
	audit_close(log);
	for (i = 0; i < (int)sizeof(garbage); i++)
		garbage[i] = (char)(i * 131 + 7);
	garbage[sizeof(garbage) - 1] = '\0';
	put_file(tree, garbage);
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_last_seq(log), 3);
	audit_close(log);
	check_trail(w->path);

	/* a P.new the roll cannot replace: records still go on */
	assert_int_equal(mkdir(fresh, 0700), 0);
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_set_segment_size(log, AUDIT_SEGMENT_MIN), 0);
	append_n(log, 300, garbage + 3800);
	audit_close(log);
	rmdir(fresh);
	check_trail(w->path);
	alarm(0);
}

static off_t
size_of(const char *name)
{
	struct stat st;

	assert_int_equal(stat(name, &st), 0);
	return st.st_size;
}

/* Fill the file system holding NAME: no page is left free. */
static void
fill_up(const char *name)
{
	static const char page[4096];
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	assert_true(fd >= 0);
	while ((n = write(fd, page, sizeof(page))) > 0)
		;
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(close(fd), 0);
}

/* The disk fills up right at a roll: the old segment's last record fits
 * in its last page, the new segment's record needs a page it cannot have.
 * The roll is done, so the segment record is owed: no record may go into
 * the new segment before it.  (The writer used to carry on: the next
 * record opened the segment, against doc/audit-format.md §9.3.)  A real
 * full disk: a 1 MiB tmpfs, mounted in a mount namespace of this test's
 * own, so that nothing outlives the process. */
static void
test_disk_full_at_roll(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	char tree[128], seg1[128], filler[128], big[300], *buf;
	struct audit_event ev = { .event = "config", .reason = big };
	const off_t segmax = AUDIT_SEGMENT_MIN + 2048;   /* the roll comes mid-page */
	off_t size, line = 0;

	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(tree, sizeof(tree), "%s.tree", w->path);
	snprintf(filler, sizeof(filler), "%s/filler", w->dir);
	assert_int_equal(auditseg_name(w->path, 1, seg1, sizeof(seg1)), 0);
	/* A full disk of our own needs a mount namespace (root, as CI and
	 * the Debian 13 leg run); elsewhere this case is skipped, said so. */
	if (unshare(CLONE_NEWNS) != 0) {
		print_message("skipped: no mount namespace for a small tmpfs (%s); run as root\n",
		              strerror(errno));
		skip();
	}
	/* In a chroot "/" is no mount point and cannot be made private: a
	 * tmpfs there could show in the host's namespace, so do not mount. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		print_message("skipped: cannot make / private (%s; a chroot?)\n", strerror(errno));
		skip();
	}
	assert_int_equal(mount("tmpfs", w->dir, "tmpfs", 0, "size=1m"), 0);

	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_set_segment_size(log, (uint64_t)segmax), 0);
	/* Up to the record that rolls: it must start in the segment's last
	 * page, and the store's leaf must fit in the store's last page. */
	for (;;) {
		size = size_of(w->path);
		if (size + line + 8 >= segmax) {
			assert_true(size >= (off_t)AUDIT_SEGMENT_MIN);
			if (4096 - size_of(tree) % 4096 >= 320)
				break;
			ev.reason = "s";   /* shift the store, not the segment much */
			assert_true(size + 120 < segmax);
		}
		assert_int_equal(audit_append(log, &ev, NULL), 0);
		if (ev.reason == big)
			line = size_of(w->path) - size;
		ev.reason = big;
	}
	fill_up(filler);
	assert_int_equal(audit_append(log, &ev, NULL), 0);   /* written; the roll owes */
	assert_int_equal(size_of(seg1), size + line);
	assert_int_equal(size_of(w->path), 0);
	assert_int_not_equal(audit_append(log, &ev, NULL), 0);   /* still full */
	assert_int_equal(size_of(w->path), 0);

	assert_int_equal(unlink(filler), 0);
	assert_int_equal(audit_append(log, &ev, NULL), 0);
	buf = slurp(w->path, NULL);
	assert_int_equal(strncmp(buf, "{\"event\":\"segment\",", 19), 0);
	assert_int_equal(count_lines(buf), 2);
	free(buf);
	audit_close(log);
	check_trail(w->path);
	assert_int_equal(umount(w->dir), 0);
}

/* How many files in DIR start with PREFIX. */
static unsigned
count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

/* A start that copied the torn bytes out and crashed before cutting them:
 * the next start uses that copy (no second file with the same bytes, one
 * of them named by no record, and no refusal when both starts fall in the
 * same second). */
static void
test_quarantine_after_crash_mid_move(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	static const char torn[] = "{\"event\":\"sign\",\"seq\":3,\"ti";
	char earlier[128], *buf;
	FILE *f;

	assert_int_equal(audit_open(w->path, &log), 0);
	append_n(log, 2, "before the crash");
	audit_close(log);
	f = fopen(w->path, "a");
	fputs(torn, f);
	fclose(f);
	snprintf(earlier, sizeof(earlier), "%s.torn-20260101T000000Z", w->path);
	put_file(earlier, "{\"event\":\"sign\",\"seq\":3,\"tx");   /* another torn line */
	snprintf(earlier, sizeof(earlier), "%s.torn-20261204T000000Z", w->path);
	put_file(earlier, torn);

	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_last_seq(log), 3);
	audit_close(log);
	assert_int_equal(count_files(w->dir, "audit.jsonl.torn-"), 2);
	buf = slurp(w->path, NULL);
	assert_non_null(strstr(buf, "\"file\":\"audit.jsonl.torn-20261204T000000Z\""));
	free(buf);
	check_trail(w->path);
}

/* A roll that cannot be done (its sealed name taken, here by a folder)
 * is not tried at every record: each try costs an fdatasync, a file
 * made and removed, and a log line.  The log lines are counted. */
static void
test_blocked_roll_retried_sparingly(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	char seg1[128], logname[128], reason[300], *buf, *p;
	unsigned tries = 0;
	int fd, saved;

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	assert_int_equal(auditseg_name(w->path, 1, seg1, sizeof(seg1)), 0);
	snprintf(logname, sizeof(logname), "%s/stderr", w->dir);
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_set_segment_size(log, AUDIT_SEGMENT_MIN), 0);
	assert_int_equal(mkdir(seg1, 0700), 0);
	fd = open(logname, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	append_n(log, 400, reason);   /* ~150 KB: past the size ~200 records ago */
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(fd);
	assert_int_equal(audit_last_seq(log), 400);
	audit_close(log);
	buf = slurp(logname, NULL);
	for (p = buf; (p = strstr(p, "cannot roll over")) != NULL; p++)
		tries++;
	free(buf);
	assert_true(tries >= 1 && tries <= 3);
}

static gpg_error_t
soft_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = 64;
	int ok;

	ok = md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, ctx) == 1 &&
	     EVP_DigestSign(md, sig, &siglen, msg, len) == 1 && siglen == 64;
	EVP_MD_CTX_free(md);
	return ok ? 0 : gpg_error(GPG_ERR_GENERAL);
}

static void
signer_of(struct world *w, struct audit_signer *s)
{
	size_t publen = 32;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "signet.test/policyd");
	assert_int_equal(EVP_PKEY_get_raw_public_key(w->key, s->pub, &publen), 1);
	s->sign = soft_sign;
	s->ctx = w->key;
}

/* Every checkpoint in the trail verifies with the vkey and signs the root
 * of the lines before its size; returns how many there are. */
static unsigned
check_checkpoints(struct world *w, const char *buf)
{
	char vname[128], *vk;
	struct note_vkey key;
	const char *p = buf, *nl;
	unsigned found = 0;
	uint64_t index = 0;

	snprintf(vname, sizeof(vname), "%s.vkey", w->path);
	vk = slurp(vname, NULL);
	assert_non_null(vk);
	assert_int_equal(note_vkey_parse(vk, strcspn(vk, "\n"), &key, NULL), 0);
	free(vk);
	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1, index++) {
		json_t *rec = json_loadb(p, (size_t)(nl - p), 0, NULL);
		struct note_checkpoint cp;
		const char *note;
		uint8_t root[MERKLE_HASH_LEN];

		assert_non_null(rec);
		if (strcmp(json_string_value(json_object_get(rec, "event")), "checkpoint") == 0) {
			note = json_string_value(json_object_get(rec, "note"));
			assert_int_equal(note_checkpoint_verify(note, strlen(note), &key, &cp, NULL), 0);
			assert_int_equal(cp.size, (uint64_t)json_integer_value(json_object_get(rec, "tree_size")));
			assert_true(cp.size <= index);
			root_of(buf, cp.size, root);
			assert_memory_equal(cp.root, root, MERKLE_HASH_LEN);
			assert_string_equal(cp.origin, "signet.test/policyd");
			found++;
		}
		json_decref(rec);
	}
	return found;
}

/* Lines of the trail at PATH whose event is EVENT. */
static unsigned
count_events(const char *path, const char *event)
{
	char *buf = slurp(path, NULL), pat[64], *p;
	unsigned n = 0;

	snprintf(pat, sizeof(pat), "{\"event\":\"%s\",", event);
	for (p = buf; p != NULL && (p = strstr(p, pat)) != NULL; p++)
		n++;
	free(buf);
	return n;
}

static void
test_checkpoints(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	struct audit_signer s;
	char *buf;
	int round, tries;

	signer_of(w, &s);
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_start_checkpoints(log, &s, 10, 3600 * 1000), 0);
	/* Each 10 records make one (signed by the log's own thread: wait for
	 * it, not for a time), and a clean stop one more. */
	for (round = 1; round <= 3; round++) {
		append_n(log, 10, "c");
		for (tries = 0; tries < 4000 && count_events(w->path, "checkpoint") < (unsigned)round; tries++)
			usleep(2500);
		assert_int_equal(count_events(w->path, "checkpoint"), round);
	}
	append_n(log, 5, "c");
	audit_close(log);
	buf = slurp(w->path, NULL);
	assert_int_equal(check_checkpoints(w, buf), 4);
	{
		/* the last line is the checkpoint of the clean stop */
		char *end = buf + strlen(buf) - 1, *last;

		*end = '\0';
		last = strrchr(buf, '\n');
		assert_non_null(last);
		assert_int_equal(strncmp(last + 1, "{\"event\":\"checkpoint\",", 22), 0);
	}
	free(buf);
}

static void
test_checkpoint_by_time(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	struct audit_signer s;
	char *buf;
	int tries;

	signer_of(w, &s);
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_start_checkpoints(log, &s, 1000, 50), 0);
	append_n(log, 3, "t");
	/* Wait for the condition (a checkpoint line), not for a time. */
	for (tries = 0; tries < 2000; tries++) {
		buf = slurp(w->path, NULL);
		if (strstr(buf, "\"event\":\"checkpoint\"") != NULL)
			break;
		free(buf);
		buf = NULL;
		usleep(5000);
	}
	assert_non_null(buf);
	free(buf);
	/* Idle: no further checkpoint of a log that did not change. */
	audit_stop_checkpoints(log);
	buf = slurp(w->path, NULL);
	assert_int_equal(check_checkpoints(w, buf), 1);
	free(buf);
	audit_close(log);
}

/* CPU time this process used, in milliseconds. */
static int64_t
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An idle log's checkpoint thread sleeps: once its interval has passed
 * with nothing new to sign, it waits for the next record.  (It used to
 * wait until the long-past deadline, i.e. not at all: a core spun with
 * the append lock taken and dropped.) */
static void
test_idle_checkpoint_thread_sleeps(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	struct audit_signer s;
	struct timespec idle = { 0, 500 * 1000000L };
	int64_t before;
	int tries;

	signer_of(w, &s);
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_start_checkpoints(log, &s, 1000, 20), 0);
	append_n(log, 1, "one");
	for (tries = 0; tries < 4000 && count_events(w->path, "checkpoint") < 1; tries++)
		usleep(2500);
	assert_int_equal(count_events(w->path, "checkpoint"), 1);
	/* What is measured is idleness over a span, so a span it is: 25
	 * intervals with nothing to do.  This thread sleeps; the log's
	 * threads are all the CPU the process uses. */
	before = cpu_ms();
	nanosleep(&idle, NULL);
	assert_true(cpu_ms() - before < 50);
	/* … and it still wakes for the next record. */
	append_n(log, 1, "two");
	for (tries = 0; tries < 4000 && count_events(w->path, "checkpoint") < 2; tries++)
		usleep(2500);
	assert_int_equal(count_events(w->path, "checkpoint"), 2);
	audit_close(log);
}

/* The last checkpoint's seq field sets where the next checkpoint's
 * records start counting: one past the trail's end (an edit) must not
 * stop checkpoints for good. */
static void
test_checkpoint_seq_beyond_trail(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	struct audit_signer s;
	char *buf, *at, *end;
	FILE *f;
	int tries;

	signer_of(w, &s);
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_start_checkpoints(log, &s, 1000, 3600 * 1000), 0);
	append_n(log, 3, "a");
	audit_close(log);   /* its last line: a checkpoint, seq 4 */
	assert_int_equal(audit_open(w->path, &log), 0);
	append_n(log, 2, "b");   /* no checkpoints: the checkpoint stays inside */
	audit_close(log);

	buf = slurp(w->path, NULL);
	at = strstr(buf, "{\"event\":\"checkpoint\"");
	assert_non_null(at);
	end = strchr(at, '\n');
	at = strstr(at, "\"seq\":4,");
	assert_true(at != NULL && at < end);
	at[6] = '9';   /* seq 9: past the trail's 6 records */
	f = fopen(w->path, "w");
	fputs(buf, f);
	fclose(f);
	free(buf);

	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_start_checkpoints(log, &s, 2, 3600 * 1000), 0);
	append_n(log, 2, "c");
	for (tries = 0; tries < 2000 && count_events(w->path, "checkpoint") < 2; tries++)
		usleep(2500);
	assert_int_equal(count_events(w->path, "checkpoint"), 2);
	audit_close(log);
}

struct counted {
	EVP_PKEY *key;
	unsigned calls;         /* signatures asked for (atomic) */
};

static gpg_error_t
counted_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	struct counted *c = ctx;

	__atomic_add_fetch(&c->calls, 1, __ATOMIC_SEQ_CST);
	return soft_sign(c->key, msg, len, sig);
}

/* A log that can write nothing more (here its hash store refused a leaf:
 * a file size limit) asks the audit key for no more checkpoints: each
 * try is an HSM signature and maybe a TSA request, and it used to make
 * one after each refused record (at most one a second) until the daemon
 * stopped. */
static void
test_failed_log_signs_nothing(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	struct audit_signer s;
	struct counted c = { w->key, 0 };
	struct audit_event ev = { .event = "config", .reason = "x" };
	struct timespec span = { 1, 200 * 1000000L };
	struct rlimit old, lim;
	char tree[128];
	unsigned before;
	int tries;

	snprintf(tree, sizeof(tree), "%s.tree", w->path);
	signer_of(w, &s);
	s.sign = counted_sign;
	s.ctx = &c;
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_set_segment_size(log, AUDIT_SEGMENT_MIN), 0);
	/* After a roll the store is larger than the current segment: a size
	 * limit between the two stops the store alone. */
	while (size_of(w->path) + 4096 > size_of(tree))
		assert_int_equal(audit_append(log, &ev, NULL), 0);
	assert_int_equal(audit_start_checkpoints(log, &s, 1, 3600 * 1000), 0);
	for (tries = 0; tries < 4000 && count_events(w->path, "checkpoint") < 1; tries++)
		usleep(2500);
	assert_int_equal(count_events(w->path, "checkpoint"), 1);

	before = __atomic_load_n(&c.calls, __ATOMIC_SEQ_CST);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)size_of(tree) + 16;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_not_equal(audit_append(log, &ev, NULL), 0);   /* the store refuses the leaf */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_not_equal(audit_append(log, &ev, NULL), 0);   /* and the log all else */
	/* What is measured is what does not happen over a span: a retry
	 * interval of the old writer, then one more refused record. */
	nanosleep(&span, NULL);
	assert_int_not_equal(audit_append(log, &ev, NULL), 0);
	nanosleep(&span, NULL);
	assert_int_equal(__atomic_load_n(&c.calls, __ATOMIC_SEQ_CST), before);
	audit_close(log);
	assert_int_equal(__atomic_load_n(&c.calls, __ATOMIC_SEQ_CST), before);
}

struct held {
	EVP_PKEY *key;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int signing, release;
};

/* A signature that takes as long as the test says (a slow HSM or TSA). */
static gpg_error_t
held_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	struct held *h = ctx;

	pthread_mutex_lock(&h->lock);
	h->signing = 1;
	pthread_cond_broadcast(&h->cond);
	while (!h->release)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
	return soft_sign(h->key, msg, len, sig);
}

/* Records appended while a checkpoint is being signed come before its
 * line but are not in it: they still count toward the next checkpoint,
 * and a clean stop covers them.  (They used to count as covered: left out
 * for good when no record followed.) */
static void
test_records_during_signing_covered(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	struct audit_signer s;
	struct held h = { .key = w->key };
	char *buf, *end, *last;
	json_t *rec;
	int tries;

	pthread_mutex_init(&h.lock, NULL);
	pthread_cond_init(&h.cond, NULL);
	signer_of(w, &s);
	s.sign = held_sign;
	s.ctx = &h;
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_start_checkpoints(log, &s, 3, 3600 * 1000), 0);
	append_n(log, 3, "due");
	pthread_mutex_lock(&h.lock);
	while (!h.signing)
		pthread_cond_wait(&h.cond, &h.lock);
	pthread_mutex_unlock(&h.lock);
	append_n(log, 2, "while signing");
	pthread_mutex_lock(&h.lock);
	h.release = 1;
	pthread_cond_broadcast(&h.cond);
	pthread_mutex_unlock(&h.lock);
	for (tries = 0; tries < 4000 && count_events(w->path, "checkpoint") < 1; tries++)
		usleep(2500);
	audit_close(log);

	buf = slurp(w->path, NULL);
	assert_int_equal(check_checkpoints(w, buf), 2);
	end = buf + strlen(buf) - 1;
	*end = '\0';
	last = strrchr(buf, '\n');
	assert_non_null(last);
	rec = json_loads(last + 1, 0, NULL);
	assert_non_null(rec);
	assert_string_equal(json_string_value(json_object_get(rec, "event")), "checkpoint");
	assert_int_equal(json_integer_value(json_object_get(rec, "tree_size")), count_lines(buf));
	json_decref(rec);
	free(buf);
	pthread_cond_destroy(&h.cond);
	pthread_mutex_destroy(&h.lock);
}

/* A record changed after a checkpoint signed it: a writer that rebuilds
 * its hash store refuses to go on (it would sign the change into its next
 * checkpoint). */
static void
test_refuse_changed_trail(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	struct audit_signer s;
	char *buf, *at, tree[128];
	FILE *f;

	signer_of(w, &s);
	assert_int_equal(audit_open(w->path, &log), 0);
	assert_int_equal(audit_start_checkpoints(log, &s, 1000, 3600 * 1000), 0);
	append_n(log, 5, "original");
	audit_close(log);
	assert_int_equal(audit_open(w->path, &log), 0);   /* untouched: fine */
	audit_close(log);

	buf = slurp(w->path, NULL);
	at = strstr(buf, "original");
	memcpy(at, "ORIGINAL", 8);
	f = fopen(w->path, "w");
	fputs(buf, f);
	fclose(f);
	free(buf);
	/* The store, kept beside the trail, still holds the signed leaves;
	 * once it is rebuilt from the changed trail (a crash, a restore, or
	 * an editor who removed it), the mismatch shows. */
	snprintf(tree, sizeof(tree), "%s.tree", w->path);
	unlink(tree);
	log = (struct audit_log *)1;
	assert_int_equal(gpg_err_code(audit_open(w->path, &log)), GPG_ERR_BAD_SIGNATURE);
	assert_null(log);
}

struct expecter {
	struct audit_log *log;
	int cancel;
	int64_t since;
};

static void *
expect_then(void *arg)
{
	struct expecter *e = arg;
	struct audit_event ev = { .event = "sign", .reason = "expected" };

	usleep(2000);   /* the "signature" being made */
	if (e->cancel)
		audit_expect_cancel(e->log);
	else
		assert_int_equal(audit_append_expected(e->log, &ev, e->since, NULL), 0);
	return NULL;
}

/* A sync waits for an announced record, and a cancelled announcement
 * releases it: neither hangs, both records are durable. */
static void
test_expect(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	struct expecter e[2];
	pthread_t t[2];
	int i;

	assert_int_equal(audit_open(w->path, &log), 0);
	for (i = 0; i < 2; i++) {
		e[i].log = log;
		e[i].cancel = i;
		e[i].since = audit_expect(log);
		assert_int_equal(pthread_create(&t[i], NULL, expect_then, &e[i]), 0);
	}
	append_n(log, 1, "leader");
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(audit_last_seq(log), 2);
	audit_close(log);
}

/* The group-commit waits, as the log's measurements set them: a sync
 * waits for announced records, bounded by the sync's own time; it lingers
 * for one more only after records arrived during the last sync; and when
 * announced records take a quarter of a sync or more to come (RSA-3072 in
 * SoftHSM2; P-256 on a fast disk), it waits for nothing. */
static void
test_group_wait_rule(void **state)
{
	struct audit_log log;
	unsigned want = 99;

	(void)state;
	memset(&log, 0, sizeof(log));
	/* Nothing known, nothing announced, nothing arrived: no wait. */
	assert_int_equal(auditlog_group_wait_ns(&log, &want), 0);
	assert_int_equal(want, 0);
	/* Two announced, no measurement yet: up to AUDIT_GROUP_WAIT_MS. */
	log.expected = 2;
	assert_int_equal(auditlog_group_wait_ns(&log, &want), AUDIT_GROUP_WAIT_MS * 1000000L);
	assert_int_equal(want, 2);
	/* A slow disk (8 ms a sync): bounded by the sync time. */
	log.sync_ns = 8000000;
	assert_int_equal(auditlog_group_wait_ns(&log, &want), AUDIT_GROUP_WAIT_MS * 1000000L < 8000000L
	                                                          ? AUDIT_GROUP_WAIT_MS * 1000000L : 8000000L);
	log.sync_ns = 2000000;
	assert_int_equal(auditlog_group_wait_ns(&log, &want), 2000000);
	/* Signatures quick next to that sync (P-256, 0.3 ms): waited for. */
	log.expect_ns = 300000;
	assert_int_equal(auditlog_group_wait_ns(&log, &want), 2000000);
	assert_int_equal(want, 2);
	/* A quarter of a sync or more (RSA-3072, 2.5 ms): not. */
	log.expect_ns = 2500000;
	assert_int_equal(auditlog_group_wait_ns(&log, &want), 0);
	assert_int_equal(want, 0);
	/* Nor P-256 on a fast disk (this VM: a sync in 0.5 ms). */
	log.expect_ns = 300000;
	log.sync_ns = 500000;
	assert_int_equal(auditlog_group_wait_ns(&log, &want), 0);
	/* Lingering for one more after records arrived during the last
	 * sync: only while signatures are quick next to a sync. */
	log.expected = 0;
	log.arrived_in_sync = 1;
	log.written_seq = 11;
	log.synced_seq = 10;
	assert_int_equal(auditlog_group_wait_ns(&log, &want), 0);
	log.sync_ns = 2000000;
	assert_int_equal(auditlog_group_wait_ns(&log, &want), AUDIT_GROUP_LINGER_US * 1000L);
	assert_int_equal(want, 1);
	log.sync_ns = 1400000;
	assert_int_equal(auditlog_group_wait_ns(&log, &want),
	                 AUDIT_GROUP_LINGER_US * 1000L < 1400000L ? AUDIT_GROUP_LINGER_US * 1000L : 1400000L);
	/* Not when two or more records already wait for this sync. */
	log.written_seq = 12;
	assert_int_equal(auditlog_group_wait_ns(&log, &want), 0);
}

/* The log learns from audit_append_expected how long an announced record
 * takes: announced records that come later than a sync takes are then
 * not waited for. */
static void
test_expect_learns(void **state)
{
	struct world *w = *state;
	struct audit_log *log = NULL;
	struct audit_event ev = { .event = "sign", .reason = "slow" };
	unsigned want = 0;
	int64_t since;
	int i;

	assert_int_equal(audit_open(w->path, &log), 0);
	append_n(log, 3, "warm");   /* measures the sync */
	for (i = 0; i < 3; i++) {
		since = audit_expect(log);
		/* A "signature" that took 0.2 s: longer than any sync here. */
		assert_int_equal(audit_append_expected(log, &ev, since - 200000000, NULL), 0);
	}
	(void)audit_expect(log);
	pthread_mutex_lock(&log->append_lock);
	assert_true(log->sync_ns > 0);
	assert_true(log->expect_ns >= 200000000L);
	assert_int_equal(auditlog_group_wait_ns(log, &want), 0);
	pthread_mutex_unlock(&log->append_lock);
	audit_expect_cancel(log);
	audit_close(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_torn_tail_quarantined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine_after_crash_mid_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_follows_and_recovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segments_roll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_catch_up_from_current_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roll_crash_windows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full_at_roll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocked_roll_retried_sparingly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_by_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_checkpoint_thread_sleeps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records_during_signing_covered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_log_signs_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expect, setup, teardown),
		cmocka_unit_test(test_group_wait_rule),
		cmocka_unit_test_setup_teardown(test_expect_learns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_changed_trail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_seq_beyond_trail, setup, teardown),
	};

	gcry_check_version(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
