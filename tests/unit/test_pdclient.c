/* test_pdclient.c — the policyd client against a real libassuan socket
 * server (forked child), so escaping, ERR lines and inquiries are exactly
 * what libassuan produces. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pdclient.h"

struct fixture {
	char dir[64];
	char sock[128];
	pid_t child;
};

static const uint8_t payload[] = { 'a', '%', '\n', '\r', 0, 0xff, 'z' };

static gpg_error_t
cmd_data(assuan_context_t ctx, char *line)
{
	(void)line;
	assuan_write_status(ctx, "KEYPAIRINFO", "GRIP SIGNET.acme s 0 rsa2048");
	assuan_send_data(ctx, payload, sizeof(payload));
	assuan_send_data(ctx, NULL, 0);
	assuan_send_data(ctx, payload, sizeof(payload));
	return 0;
}

static gpg_error_t
cmd_fail(assuan_context_t ctx, char *line)
{
	(void)line;
	return assuan_set_error(ctx, gpg_error(GPG_ERR_NO_POLICY_MATCH), "caller is not a signer");
}

static gpg_error_t
cmd_bare(assuan_context_t ctx, char *line)
{
	(void)ctx;
	(void)line;
	return gpg_error(GPG_ERR_NO_SECKEY);
}

static gpg_error_t
cmd_big(assuan_context_t ctx, char *line)
{
	static uint8_t buf[PDCLIENT_MAX_DATA + 1];

	(void)line;
	memset(buf, 'x', sizeof(buf));
	assuan_send_data(ctx, buf, sizeof(buf));
	return 0;
}

static gpg_error_t
cmd_stat(assuan_context_t ctx, char *line)
{
	(void)line;
	assuan_write_status(ctx, "ONE", "1");
	assuan_write_status(ctx, "TWO", "");
	assuan_send_data(ctx, "ok", 2);
	return 0;
}

static gpg_error_t
cmd_inq(assuan_context_t ctx, char *line)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	gpg_error_t err;

	(void)line;
	err = assuan_inquire(ctx, "NEEDPIN", &buf, &len, 100);
	free(buf);
	return err;
}

/* A frozen server: no answer for 3 s. */
static gpg_error_t
cmd_slow(assuan_context_t ctx, char *line)
{
	(void)ctx;
	(void)line;
	sleep(3);
	return 0;
}

/* A long request with policyd's heartbeat every 0.4 s for 2 s. */
static gpg_error_t
cmd_beat(assuan_context_t ctx, char *line)
{
	char n[16];
	int i;

	(void)line;
	for (i = 1; i <= 5; i++) {
		usleep(400000);
		snprintf(n, sizeof(n), "%d", i);
		assuan_write_status(ctx, "PROGRESS", n);
	}
	return assuan_send_data(ctx, "ok", 2);
}

/* A server that goes away: the connection is cut before any answer. */
static gpg_error_t
cmd_drop(assuan_context_t ctx, char *line)
{
	assuan_fd_t fd[2];

	(void)line;
	if (assuan_get_active_fds(ctx, 0, fd, 2) >= 1)
		shutdown(fd[0], SHUT_RDWR);
	return 0;
}

static void
serve(int lfd)
{
	static const struct { const char *name; assuan_handler_t fn; } cmds[] = {
		{ "DATA", cmd_data }, { "FAIL", cmd_fail }, { "BARE", cmd_bare },
		{ "BIG", cmd_big }, { "STAT", cmd_stat }, { "INQ", cmd_inq },
		{ "SLOW", cmd_slow }, { "BEAT", cmd_beat }, { "DROP", cmd_drop },
	};
	assuan_context_t ctx;
	size_t i;
	int fd;

	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			_exit(1);
		if (assuan_new(&ctx) != 0 ||
		    assuan_init_socket_server(ctx, fd, ASSUAN_SOCKET_SERVER_ACCEPTED) != 0)
			_exit(1);
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			assuan_register_command(ctx, cmds[i].name, cmds[i].fn, NULL);
		if (assuan_accept(ctx) == 0)
			assuan_process(ctx);
		assuan_release(ctx);
	}
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_un sun;
	int lfd;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/sgpdXXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/s", f->dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(f->sock) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, f->sock, strlen(f->sock) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	f->child = fork();
	assert_true(f->child >= 0);
	if (f->child == 0)
		serve(lfd);
	close(lfd);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	kill(f->child, SIGTERM);
	waitpid(f->child, NULL, 0);
	unlink(f->sock);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
test_not_running(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun;
	assuan_context_t ctx = (assuan_context_t)1;
	char path[160], longp[200];
	int fd;

	snprintf(path, sizeof(path), "%s/missing", f->dir);
	assert_int_equal(gpg_err_code(pdclient_connect(path, &ctx)), GPG_ERR_ENOENT);
	assert_null(ctx);

	/* A socket file nobody listens on (a dead daemon's leftover). */
	snprintf(path, sizeof(path), "%s/dead", f->dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(gpg_err_code(pdclient_connect(path, &ctx)), GPG_ERR_ECONNREFUSED);
	unlink(path);

	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(gpg_err_code(pdclient_connect(longp, &ctx)), GPG_ERR_ENAMETOOLONG);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Deadlines: a heartbeat keeps a long request alive between lines, a
 * silent server times out, and the whole-answer bound holds even with
 * heartbeats. */
static void
test_deadline(void **state)
{
	struct fixture *f = *state;
	const struct pdclient_deadline lines = { 0, 1 }, total = { 1, 1 };
	assuan_context_t ctx = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	double t0;

	assert_int_equal(pdclient_connect(f->sock, &ctx), 0);
	assert_int_equal(pdclient_transact_deadline(ctx, "BEAT", &lines, &data, &len, NULL, NULL, NULL, 0), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(data, "ok", 2);
	free(data);
	t0 = now_s();
	assert_int_equal(gpg_err_code(pdclient_transact_deadline(ctx, "SLOW", &lines, NULL, NULL, NULL, NULL,
	                                                         NULL, 0)), GPG_ERR_ETIMEDOUT);
	assert_true(now_s() - t0 < 2.5);
	pdclient_close(ctx);

	ctx = NULL;
	assert_int_equal(pdclient_connect(f->sock, &ctx), 0);
	t0 = now_s();
	assert_int_equal(gpg_err_code(pdclient_transact_deadline(ctx, "BEAT", &total, NULL, NULL, NULL, NULL,
	                                                         NULL, 0)), GPG_ERR_ETIMEDOUT);
	assert_true(now_s() - t0 < 1.8);
	pdclient_close(ctx);
}

/* A request without a deadline after one with a deadline on the same
 * connection waits as long as the server takes (the read timeout is not
 * left behind). */
static void
test_deadline_not_left_behind(void **state)
{
	struct fixture *f = *state;
	const struct pdclient_deadline lines = { 0, 1 };
	assuan_context_t ctx = NULL;

	assert_int_equal(pdclient_connect(f->sock, &ctx), 0);
	assert_int_equal(pdclient_transact_deadline(ctx, "STAT", &lines, NULL, NULL, NULL, NULL, NULL, 0), 0);
	assert_int_equal(pdclient_transact(ctx, "SLOW", NULL, NULL, NULL, NULL, NULL, 0), 0);
	pdclient_close(ctx);
}

/* policyd gone mid-conversation: the caller gets an error, never SIGPIPE
 * (the default action would end this process), also when it writes the
 * next request or BYE on the dead socket. */
static void
test_peer_gone(void **state)
{
	struct fixture *f = *state;
	assuan_context_t ctx = NULL;

	signal(SIGPIPE, SIG_DFL);
	assert_int_equal(pdclient_connect(f->sock, &ctx), 0);
	assert_int_not_equal(pdclient_transact(ctx, "DROP", NULL, NULL, NULL, NULL, NULL, 0), 0);
	assert_int_not_equal(pdclient_transact(ctx, "STAT", NULL, NULL, NULL, NULL, NULL, 0), 0);
	assert_int_not_equal(pdclient_transact(ctx, "STAT", NULL, NULL, NULL, NULL, NULL, 0), 0);
	pdclient_close(ctx);
	signal(SIGPIPE, SIG_IGN);
}

/* A server that refuses the connection with an ERR line instead of the
 * greeting (policyd full): its code, not "connect failed". */
static void
test_refused_greeting(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun;
	assuan_context_t ctx = NULL;
	char path[160];
	pid_t pid;
	int lfd, fd;

	snprintf(path, sizeof(path), "%s/full", f->dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	if ((pid = fork()) == 0) {
		static const char line[] = "ERR 183 Limit reached <Unspecified source> - signet-policyd "
		                           "is full for user x (32 connections; max_connections_per_user = 32)\n";

		if ((fd = accept(lfd, NULL, NULL)) >= 0 && write(fd, line, sizeof(line) - 1) > 0)
			close(fd);
		_exit(0);
	}
	close(lfd);
	assert_int_equal(gpg_err_code(pdclient_connect(path, &ctx)), GPG_ERR_LIMIT_REACHED);
	assert_null(ctx);
	waitpid(pid, NULL, 0);
	unlink(path);
}

struct seen {
	int n;
	char kw[4][32];
	char args[4][64];
	gpg_error_t ret;
};

static gpg_error_t
status_cb(void *opaque, const char *keyword, const char *args)
{
	struct seen *s = opaque;

	if (s->n < 4) {
		snprintf(s->kw[s->n], sizeof(s->kw[0]), "%s", keyword);
		snprintf(s->args[s->n], sizeof(s->args[0]), "%s", args);
	}
	s->n++;
	return s->ret;
}

static void
test_transact(void **state)
{
	struct fixture *f = *state;
	assuan_context_t ctx = NULL;
	struct seen s;
	uint8_t *data = NULL;
	size_t len = 0;
	char errtext[128];

	assert_int_equal(pdclient_connect(f->sock, &ctx), 0);

	memset(&s, 0, sizeof(s));
	assert_int_equal(pdclient_transact(ctx, "DATA", &data, &len, status_cb, &s,
	                                   errtext, sizeof(errtext)), 0);
	assert_int_equal(len, 2 * sizeof(payload));
	assert_memory_equal(data, payload, sizeof(payload));
	assert_memory_equal(data + sizeof(payload), payload, sizeof(payload));
	free(data);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.kw[0], "KEYPAIRINFO");
	assert_string_equal(s.args[0], "GRIP SIGNET.acme s 0 rsa2048");

	/* Data not wanted: dropped; no callback: status ignored. */
	assert_int_equal(pdclient_transact(ctx, "DATA", NULL, NULL, NULL, NULL, NULL, 0), 0);

	memset(&s, 0, sizeof(s));
	data = NULL;
	assert_int_equal(pdclient_transact(ctx, "STAT", &data, &len, status_cb, &s, NULL, 0), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.kw[1], "TWO");
	assert_string_equal(s.args[1], "");
	assert_int_equal(len, 2);
	free(data);

	/* An empty answer gives no buffer. */
	data = (uint8_t *)"x";
	assert_int_equal(pdclient_transact(ctx, "NOP", &data, &len, NULL, NULL, NULL, 0), 0);
	assert_null(data);
	assert_int_equal(len, 0);

	pdclient_close(ctx);
	pdclient_close(NULL);
}

static void
test_errors(void **state)
{
	struct fixture *f = *state;
	assuan_context_t ctx = NULL;
	struct seen s;
	uint8_t *data = (uint8_t *)"x";
	size_t len = 7;
	char errtext[128];
	gpg_error_t err;

	assert_int_equal(pdclient_connect(f->sock, &ctx), 0);

	err = pdclient_transact(ctx, "FAIL", &data, &len, NULL, NULL, errtext, sizeof(errtext));
	assert_int_equal(gpg_err_code(err), GPG_ERR_NO_POLICY_MATCH);
	assert_string_equal(errtext, "caller is not a signer");
	assert_null(data);
	assert_int_equal(len, 0);

	/* Without a reason the server's own text is passed on. */
	err = pdclient_transact(ctx, "BARE", NULL, NULL, NULL, NULL, errtext, sizeof(errtext));
	assert_int_equal(gpg_err_code(err), GPG_ERR_NO_SECKEY);
	assert_non_null(strstr(errtext, "No secret key"));

	/* A short errtext buffer is truncated, NUL-terminated. */
	err = pdclient_transact(ctx, "FAIL", NULL, NULL, NULL, NULL, errtext, 7);
	assert_string_equal(errtext, "caller");

	err = pdclient_transact(ctx, "NOSUCH", NULL, NULL, NULL, NULL, errtext, sizeof(errtext));
	assert_int_equal(gpg_err_code(err), GPG_ERR_ASS_UNKNOWN_CMD);

	/* Too much data: refused, and the connection stays in step. */
	err = pdclient_transact(ctx, "BIG", &data, &len, NULL, NULL, NULL, 0);
	assert_int_equal(gpg_err_code(err), GPG_ERR_TOO_LARGE);
	assert_null(data);
	assert_int_equal(pdclient_transact(ctx, "STAT", &data, &len, NULL, NULL, NULL, 0), 0);
	assert_int_equal(len, 2);
	free(data);

	/* A callback that aborts: its error, and still in step. */
	memset(&s, 0, sizeof(s));
	s.ret = gpg_error(GPG_ERR_CANCELED);
	err = pdclient_transact(ctx, "STAT", &data, &len, status_cb, &s, NULL, 0);
	assert_int_equal(gpg_err_code(err), GPG_ERR_CANCELED);
	assert_int_equal(s.n, 1);
	assert_null(data);

	/* An inquiry is cancelled. */
	err = pdclient_transact(ctx, "INQ", NULL, NULL, NULL, NULL, NULL, 0);
	assert_int_not_equal(err, 0);
	assert_int_equal(pdclient_transact(ctx, "STAT", NULL, NULL, NULL, NULL, NULL, 0), 0);

	/* A command cannot smuggle a second line. */
	err = pdclient_transact(ctx, "NOP\nBYE", NULL, NULL, NULL, NULL, NULL, 0);
	assert_int_equal(gpg_err_code(err), GPG_ERR_INV_VALUE);

	pdclient_close(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_running),
		cmocka_unit_test(test_transact),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_refused_greeting),
		cmocka_unit_test(test_deadline_not_left_behind),
		cmocka_unit_test(test_peer_gone),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
