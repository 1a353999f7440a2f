/* test_audit.c — audit record encoding, sequence continuation across
 * restarts, concurrent group-commit appends, and refusal of corrupt trails
 * and symlinks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "audit.h"

#define NTHREADS 4
#define PER_THREAD 200

static const uint8_t digest[] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x0A };
static const uint8_t signature[] = { 0x01, 0x02, 0xAB };

struct tmpdir {
	char dir[32];
	char path[64];
};

static int
setup_dir(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	strcpy(t->dir, "/tmp/sgauXXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/audit.jsonl", t->dir);
	*state = t;
	return 0;
}

static int
teardown_dir(void **state)
{
	struct tmpdir *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The whole file, NUL-terminated. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
test_encode_sign(void **state)
{
	struct audit_event ev = {
		.event = "sign",
		.has_requester = 1,
		.uid = 1000,
		.user = "alice",
		.pid = 4242,
		.project = "app",
		.key_fpr = "0123456789ABCDEF0123456789ABCDEF01234567",
		.hash = "sha256",
		.digest = digest,
		.digest_len = sizeof(digest),
		.result = "granted",
		.signature = signature,
		.signature_len = sizeof(signature),
	};
	char *line = NULL;
	uint64_t seq = 0;

	(void)state;
	assert_int_equal(audit_encode(&ev, 7, 1795731326123456LL, &line), 0);
	assert_string_equal(line,
	    "{\"digest\":\"deadbeef000a\",\"event\":\"sign\",\"hash\":\"sha256\","
	    "\"key_fpr\":\"0123456789ABCDEF0123456789ABCDEF01234567\",\"pid\":4242,"
	    "\"project\":\"app\",\"result\":\"granted\",\"seq\":7,\"signature\":\"0102ab\","
	    "\"time\":\"2026-11-26T22:15:26.123456Z\",\"uid\":1000,\"user\":\"alice\",\"v\":1}");
	assert_int_equal(audit_parse_seq(line, strlen(line), &seq), 0);
	assert_int_equal(seq, 7);
	free(line);
}

static void
test_encode_deny(void **state)
{
	struct audit_event ev = {
		.event = "deny",
		.has_requester = 1,
		.uid = 1001,
		.user = "m\xc3\xa9lanie \"x\"",
		.pid = 1,
		.project = "app",
		.hash = "sha1",
		.digest = digest,
		.digest_len = 4,
		.result = "denied",
		.reason = "hash sha1 not allowed",
	};
	struct audit_event start = { .event = "start", .result = "granted" };
	struct audit_event odd = { .event = "deny", .reason = "bad \xff byte" };
	char *line = NULL;

	(void)state;
	assert_int_equal(audit_encode(&ev, 1, 0, &line), 0);
	assert_string_equal(line,
	    "{\"digest\":\"deadbeef\",\"event\":\"deny\",\"hash\":\"sha1\",\"pid\":1,"
	    "\"project\":\"app\",\"reason\":\"hash sha1 not allowed\",\"result\":\"denied\","
	    "\"seq\":1,\"time\":\"1970-01-01T00:00:00.000000Z\",\"uid\":1001,"
	    "\"user\":\"m\\u00E9lanie \\\"x\\\"\",\"v\":1}");
	free(line);

	/* No requester: uid/user/pid are left out. */
	assert_int_equal(audit_encode(&start, 2, 1500000, &line), 0);
	assert_string_equal(line, "{\"event\":\"start\",\"result\":\"granted\",\"seq\":2,"
	                    "\"time\":\"1970-01-01T00:00:01.500000Z\",\"v\":1}");
	free(line);

	/* Not UTF-8: kept, escaped. */
	assert_int_equal(audit_encode(&odd, 3, 0, &line), 0);
	assert_non_null(strstr(line, "\"reason\":\"bad \\\\xff byte\""));
	free(line);

	start.event = NULL;
	assert_int_not_equal(audit_encode(&start, 1, 0, &line), 0);
	assert_null(line);
	start.event = "start";
	assert_int_not_equal(audit_encode(&start, 0, 0, &line), 0);
}

static void
test_parse_seq(void **state)
{
	uint64_t seq = 99;
	static const char *bad[] = {
		"",
		"{}",
		"[1]",
		"{\"v\":1}",
		"{\"v\":2,\"seq\":3}",
		"{\"v\":1,\"seq\":0}",
		"{\"v\":1,\"seq\":-4}",
		"{\"v\":1,\"seq\":\"4\"}",
		"{\"v\":1,\"seq\":4.0}",
		"{\"v\":1,\"seq\":4,\"seq\":5}",
		"{\"v\":1,\"seq\":4} {}",
		"{\"v\":1,\"seq\":4",
	};
	size_t i;

	(void)state;
	assert_int_equal(audit_parse_seq("{\"seq\":12,\"v\":1}", 16, &seq), 0);
	assert_int_equal(seq, 12);
	assert_int_equal(audit_parse_seq("{\"seq\":12,\"v\":1}\n", 17, &seq), 0);
	/* The length is explicit: a NUL inside it is not the end. */
	assert_int_equal(gpg_err_code(audit_parse_seq("{\"seq\":12,\"v\":1}", 17, &seq)),
	                 GPG_ERR_INV_DATA);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		seq = 99;
		assert_int_equal(gpg_err_code(audit_parse_seq(bad[i], strlen(bad[i]), &seq)),
		                 GPG_ERR_INV_DATA);
		assert_int_equal(seq, 0);
	}
	assert_int_equal(gpg_err_code(audit_parse_seq("{\"seq\":12,\"v\":1}", AUDIT_MAX_LINE + 1, &seq)),
	                 GPG_ERR_INV_DATA);
}

static void
test_continue_seq(void **state)
{
	struct tmpdir *t = *state;
	struct audit_event ev = { .event = "start" };
	struct audit_log *log = NULL;
	struct stat st;
	uint64_t seq = 0;
	char *text;
	size_t len;

	assert_int_equal(audit_open(t->path, &log), 0);
	assert_int_equal(stat(t->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0027, 0);   /* never group-writable or world-readable */
	assert_int_equal(audit_append(log, &ev, &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(audit_append(log, &ev, &seq), 0);
	assert_int_equal(seq, 2);
	audit_close(log);

	log = NULL;
	assert_int_equal(audit_open(t->path, &log), 0);
	assert_int_equal(audit_append(log, &ev, &seq), 0);
	assert_int_equal(seq, 3);
	audit_close(log);
	audit_close(NULL);

	text = read_file(t->path, &len);
	assert_int_equal(strncmp(text, "{\"event\":\"start\",\"seq\":1,\"time\":\"", 32), 0);
	assert_non_null(strstr(text, "\"seq\":2,"));
	assert_non_null(strstr(text, "\"seq\":3,"));
	assert_int_equal(text[len - 1], '\n');
	free(text);

	/* A trail written by someone else continues from its last line (its
	 * hash store is made from it)... */
	unlink(t->path);
	strcat(t->path, ".tree");
	unlink(t->path);
	t->path[strlen(t->path) - 5] = '\0';
	write_file(t->path, "{\"seq\":1,\"v\":1}\n{\"seq\":2,\"v\":1,\"event\":\"x\"}\n");
	assert_int_equal(audit_open(t->path, &log), 0);
	assert_int_equal(audit_append(log, &ev, &seq), 0);
	assert_int_equal(seq, 3);
	audit_close(log);
	/* ... but seq is a record's leaf index + 1 (doc/audit-format.md): a
	 * trail with a gap is refused, not continued. */
	write_file(t->path, "{\"seq\":1,\"v\":1}\n{\"seq\":41,\"v\":1,\"event\":\"x\"}\n");
	log = NULL;
	assert_int_equal(gpg_err_code(audit_open(t->path, &log)), GPG_ERR_INV_DATA);
	assert_null(log);
}

struct worker {
	struct audit_log *log;
	int failures;
};

static void *
append_many(void *arg)
{
	struct worker *w = arg;
	struct audit_event ev = { .event = "sign", .result = "granted", .digest = digest,
	                          .digest_len = sizeof(digest) };
	uint64_t seq;
	int i;

	for (i = 0; i < PER_THREAD; i++)
		if (audit_append(w->log, &ev, &seq) != 0 || seq == 0)
			w->failures++;
	return NULL;
}

/* NTHREADS appenders at once; with SYNC_MS the log defers its syncs.  The
 * lines are all there, whole and in seq order, before the log is closed. */
static void
run_concurrent(struct tmpdir *t, unsigned sync_ms)
{
	struct audit_log *log = NULL;
	pthread_t th[NTHREADS];
	struct worker w[NTHREADS];
	unsigned char seen[NTHREADS * PER_THREAD + 1];
	char *text, *line, *save = NULL;
	size_t len, nlines = 0;
	int i;

	assert_int_equal(audit_open(t->path, &log), 0);
	if (sync_ms != 0) {
		assert_int_equal(audit_set_sync_interval(log, sync_ms), 0);
		assert_int_not_equal(audit_set_sync_interval(log, sync_ms), 0); /* once */
	}
	for (i = 0; i < NTHREADS; i++) {
		w[i].log = log;
		w[i].failures = 0;
		assert_int_equal(pthread_create(&th[i], NULL, append_many, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}

	memset(seen, 0, sizeof(seen));
	text = read_file(t->path, &len);
	assert_int_equal(text[len - 1], '\n');
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *obj = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
		uint64_t seq = 0;

		assert_non_null(obj);
		json_decref(obj);
		assert_int_equal(audit_parse_seq(line, strlen(line), &seq), 0);
		assert_true(seq >= 1 && seq <= NTHREADS * PER_THREAD);
		assert_int_equal(seen[seq], 0);
		seen[seq] = 1;
		/* Appends are serialised: the file is in seq order. */
		assert_int_equal(seq, nlines + 1);
		nlines++;
	}
	assert_int_equal(nlines, NTHREADS * PER_THREAD);
	free(text);
	audit_close(log);
}

static void
test_concurrent(void **state)
{
	run_concurrent(*state, 0);
}

/* audit_write + audit_sync: the records are there at once, numbered in
 * order, and one sync covers all of them. */
static void
test_write_then_sync(void **state)
{
	struct tmpdir *t = *state;
	struct audit_event ev = { .event = "timestamp", .result = "granted" };
	struct audit_log *log = NULL;
	uint64_t seq = 0;
	char *text;
	size_t len;
	int i;

	assert_int_equal(audit_open(t->path, &log), 0);
	for (i = 1; i <= 3; i++) {
		assert_int_equal(audit_write(log, &ev, &seq), 0);
		assert_int_equal(seq, i);
	}
	text = read_file(t->path, &len);
	assert_non_null(strstr(text, "\"seq\":3,"));
	free(text);
	assert_int_equal(audit_sync(log, 3), 0);
	assert_int_equal(audit_sync(log, 2), 0);       /* already covered */
	assert_int_not_equal(audit_sync(log, 0), 0);
	assert_int_not_equal(audit_sync(NULL, 1), 0);
	assert_int_equal(audit_append(log, &ev, &seq), 0);
	assert_int_equal(seq, 4);
	audit_close(log);
}

static void
test_deferred_sync(void **state)
{
	struct audit_log *log = NULL;
	struct tmpdir *t = *state;

	run_concurrent(t, 5);
	assert_int_equal(audit_open(t->path, &log), 0);
	assert_int_not_equal(audit_set_sync_interval(log, 0), 0);
	assert_int_not_equal(audit_set_sync_interval(log, AUDIT_MAX_SYNC_MS + 1), 0);
	assert_int_not_equal(audit_set_sync_interval(NULL, 5), 0);
	audit_close(log);
}

static void
test_corrupt_last_line(void **state)
{
	struct tmpdir *t = *state;
	struct audit_log *log = NULL;
	static const char *bad[] = {
		"{\"seq\":1,\"v\":1}\n{\"seq\":2,\"v\":1\n",      /* not JSON */
		"{\"seq\":1,\"v\":1}\n{\"v\":1}\n",               /* no seq */
		"{\"seq\":1,\"v\":1}\n\n",                        /* blank last line */
		"garbage\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(t->path, bad[i]);
		log = (struct audit_log *)1;
		assert_int_equal(gpg_err_code(audit_open(t->path, &log)), GPG_ERR_INV_DATA);
		assert_null(log);
	}
}

static void
test_long_last_line(void **state)
{
	struct tmpdir *t = *state;
	struct audit_log *log = NULL;
	FILE *f = fopen(t->path, "w");
	size_t i;

	assert_non_null(f);
	fputs("{\"seq\":1,\"v\":1}\n{\"seq\":2,\"v\":1,\"pad\":\"", f);
	for (i = 0; i < AUDIT_MAX_LINE; i++)
		fputc('x', f);
	fputs("\"}\n", f);
	fclose(f);
	assert_int_equal(gpg_err_code(audit_open(t->path, &log)), GPG_ERR_INV_DATA);
	assert_null(log);
}

static void
test_refuse_symlink(void **state)
{
	struct tmpdir *t = *state;
	struct audit_log *log = NULL;
	char target[96], link[96];

	snprintf(target, sizeof(target), "%s/real.jsonl", t->dir);
	snprintf(link, sizeof(link), "%s/link.jsonl", t->dir);
	write_file(target, "");
	assert_int_equal(symlink(target, link), 0);
	assert_int_not_equal(audit_open(link, &log), 0);
	assert_null(log);

	/* A dangling link must not create its target either. */
	unlink(target);
	assert_int_not_equal(audit_open(link, &log), 0);
	assert_int_not_equal(access(target, F_OK), 0);

	/* Nor a directory. */
	assert_int_not_equal(audit_open(t->dir, &log), 0);
	assert_null(log);
}

/* A write that stops part-way (full disk, file size limit) must not leave a
 * torn line: it is cut off, the seq is not used up, and once there is room
 * again the trail goes on, whole and gap-free. */
static void
test_partial_write_cut(void **state)
{
	struct tmpdir *t = *state;
	struct audit_event ev = { .event = "sign", .reason = "a reason long enough to pass the limit" };
	struct audit_log *log = NULL;
	struct rlimit old, lim;
	struct stat st;
	uint64_t seq = 0;
	char *text, *nl;
	size_t len;
	off_t one;

	assert_int_equal(audit_open(t->path, &log), 0);
	assert_int_equal(audit_append(log, &ev, &seq), 0);
	assert_int_equal(stat(t->path, &st), 0);
	one = st.st_size;
	/* Room for one more line and half of the next. */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)(2 * one + one / 2);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(audit_append(log, &ev, &seq), 0);
	assert_int_equal(seq, 2);
	assert_int_not_equal(audit_append(log, &ev, &seq), 0);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_size, 2 * one);          /* the torn part is gone */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(audit_append(log, &ev, &seq), 0);
	assert_int_equal(seq, 3);                       /* no gap */
	audit_close(log);

	log = NULL;
	assert_int_equal(audit_open(t->path, &log), 0);  /* reads back cleanly */
	audit_close(log);
	text = read_file(t->path, &len);
	assert_int_equal(len, 3 * (size_t)one);
	for (nl = text; (nl = strchr(nl, '\n')) != NULL; nl++)
		assert_true(nl[1] == '\0' || nl[1] == '{');
	assert_non_null(strstr(text, "\"seq\":3,"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_sign),
		cmocka_unit_test(test_encode_deny),
		cmocka_unit_test(test_parse_seq),
		cmocka_unit_test_setup_teardown(test_continue_seq, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_partial_write_cut, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_concurrent, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_deferred_sync, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_write_then_sync, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_corrupt_last_line, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_long_last_line, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_refuse_symlink, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
