/* test_connio.c — policyd's connection output (policyd/connio.c): writes
 * never wait, the unsent rest is queued and bounded, an answer leaves in
 * one send, and the S PROGRESS heartbeat only goes out between whole lines
 * with nothing queued. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../policyd/connio.h"

struct pair {
	struct conn c;
	int peer;
};

static int
setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	int sv[2], small = 4096;

	assert_non_null(p);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	p->c.fd = sv[0];
	p->peer = sv[1];
	p->c.at_line_start = 1;
	snprintf(p->c.user, sizeof(p->c.user), "tester");
	pthread_mutex_init(&p->c.wlock, NULL);
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pair *p = *state;

	close(p->c.fd);
	close(p->peer);
	free(p->c.out);
	pthread_mutex_destroy(&p->c.wlock);
	free(p);
	return 0;
}

/* What the peer can read now (NUL-terminated into BUF). */
static size_t
drain(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got + 1 < size && (n = recv(fd, buf + got, size - 1 - got, MSG_DONTWAIT)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	return got;
}

static void
test_heartbeat_between_lines(void **state)
{
	struct pair *p = *state;
	char buf[256];

	connio_heartbeat(&p->c, 7);
	drain(p->peer, buf, sizeof(buf));
	assert_string_equal(buf, "S PROGRESS 7\n");
	/* Inside a line (libassuan writes prefix, text, newline): nothing. */
	assert_int_equal(connio_write(&p->c, "S ", 2), 2);
	connio_heartbeat(&p->c, 12);
	assert_int_equal(connio_write(&p->c, "abc", 3), 3);
	assert_int_equal(connio_write(&p->c, "\n", 1), 1);
	connio_heartbeat(&p->c, 17);
	drain(p->peer, buf, sizeof(buf));
	assert_string_equal(buf, "S abc\nS PROGRESS 17\n");
	/* Behind a data line, held for the line after it: nothing either. */
	assert_int_equal(connio_write(&p->c, "D xyz\n", 6), 6);
	connio_heartbeat(&p->c, 18);
	assert_int_equal(connio_write(&p->c, "OK\n", 3), 3);
	connio_heartbeat(&p->c, 19);
	drain(p->peer, buf, sizeof(buf));
	assert_string_equal(buf, "D xyz\nOK\nS PROGRESS 19\n");
	/* While the worker writes (holds the lock): skipped, never waits. */
	pthread_mutex_lock(&p->c.wlock);
	connio_heartbeat(&p->c, 22);
	pthread_mutex_unlock(&p->c.wlock);
	assert_int_equal(drain(p->peer, buf, sizeof(buf)), 0);
}

/* libassuan writes an answer in pieces: the data line, "OK", "\n".  The
 * client gets it all in one send, so it wakes once: nothing is readable
 * until the piece that ends the answer, and then everything is. */
static void
test_answer_in_one_send(void **state)
{
	struct pair *p = *state;
	char buf[256];

	assert_int_equal(connio_write(&p->c, "D sig\n", 6), 6);
	assert_int_equal(drain(p->peer, buf, sizeof(buf)), 0);
	assert_int_equal(connio_write(&p->c, "OK", 2), 2);
	assert_int_equal(drain(p->peer, buf, sizeof(buf)), 0);
	assert_true(connio_has_output(&p->c));
	assert_int_equal(connio_write(&p->c, "\n", 1), 1);
	assert_false(connio_has_output(&p->c));
	drain(p->peer, buf, sizeof(buf));
	assert_string_equal(buf, "D sig\nOK\n");
	/* A status line goes at once: it may be a command's sign of life. */
	assert_int_equal(connio_write(&p->c, "S PROGRESS 1\n", 13), 13);
	drain(p->peer, buf, sizeof(buf));
	assert_string_equal(buf, "S PROGRESS 1\n");
	/* Past ASSWRITE_HOLD_MAX of data lines, they go without waiting. */
	static char big[ASSWRITE_HOLD_MAX / 2];
	memset(big, 'd', sizeof(big));
	big[0] = 'D';
	big[1] = ' ';
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(connio_write(&p->c, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_int_equal(connio_write(&p->c, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_int_equal(drain(p->peer, buf, sizeof(buf)), 0);
	assert_int_equal(connio_write(&p->c, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_true(recv(p->peer, buf, 1, MSG_PEEK | MSG_DONTWAIT) == 1);
}

static void
test_queue(void **state)
{
	struct pair *p = *state;
	static char chunk[16 * 1024], sink[64 * 1024];
	size_t sent = 0, got = 0;
	int r;

	memset(chunk, 'q', sizeof(chunk));
	chunk[sizeof(chunk) - 1] = '\n';
	/* A peer that does not read: writes still return at once. */
	while (!connio_has_output(&p->c)) {
		assert_int_equal(connio_write(&p->c, chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
		sent += sizeof(chunk);
	}
	/* Nothing queued behind the heartbeat's back. */
	connio_heartbeat(&p->c, 5);
	assert_int_equal(connio_flush(&p->c), 0);
	/* The peer reads; the loop's flushes get it all out in order. */
	for (;;) {
		got += drain(p->peer, sink, sizeof(sink));
		if ((r = connio_flush(&p->c)) == 1)
			break;
		assert_int_equal(r, 0);
	}
	got += drain(p->peer, sink, sizeof(sink));
	assert_int_equal(got, sent);
	assert_false(connio_has_output(&p->c));
	assert_null(p->c.out);
}

static void
test_queue_bound(void **state)
{
	struct pair *p = *state;
	static char chunk[32 * 1024];
	size_t total = 0;
	ssize_t n;

	memset(chunk, 'z', sizeof(chunk));
	while ((n = connio_write(&p->c, chunk, sizeof(chunk))) > 0) {
		total += (size_t)n;
		assert_true(total <= 2 * POLICYD_MAX_OUTPUT);
	}
	assert_int_equal(n, -1);
	assert_int_equal(errno, ENOBUFS);
	assert_true(p->c.outlen <= POLICYD_MAX_OUTPUT);
	/* A peer that is gone: the flush fails. */
	close(p->peer);
	p->peer = -1;
	assert_int_equal(connio_flush(&p->c), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_heartbeat_between_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_in_one_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_bound, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
