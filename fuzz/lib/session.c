/* session.c — see session.h. */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void fatal(const struct session *s, const char *what) __attribute__((noreturn));
static void
fatal(const struct session *s, const char *what)
{
	fprintf(stderr, "%s: %s (after %lu answer lines)\n", s->what, what, s->nlines);
	abort();
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
session_macro_add(struct session_macros *m, const char *name, const char *value)
{
	if (m->n >= SESSION_MAX_MACROS || strlen(name) >= SESSION_MACRO_NAME ||
	    strlen(value) >= SESSION_MACRO_VALUE)
		return;
	strcpy(m->name[m->n], name);
	strcpy(m->value[m->n], value);
	m->n++;
}

size_t
session_expand(const struct session_macros *m, const uint8_t *data, size_t size, uint8_t *out,
               size_t outmax)
{
	size_t i = 0, o = 0, k, nl, vl;

	while (i < size && o < outmax) {
		for (k = 0; data[i] == '{' && k < m->n; k++) {
			nl = strlen(m->name[k]);
			if (nl <= size - i && memcmp(data + i, m->name[k], nl) == 0)
				break;
		}
		if (data[i] != '{' || k == m->n) {
			out[o++] = data[i++];
			continue;
		}
		vl = strlen(m->value[k]);
		if (vl > outmax - o)
			vl = outmax - o;
		memcpy(out + o, m->value[k], vl);
		o += vl;
		i += strlen(m->name[k]);
	}
	return o;
}

size_t
session_bound(const uint8_t *data, size_t size)
{
	size_t i, lines = 0;

	if (size > SESSION_MAX_INPUT)
		size = SESSION_MAX_INPUT;
	for (i = 0; i < size; i++) {
		if (data[i] == '\n' && ++lines == SESSION_MAX_LINES)
			return i + 1;
	}
	return size;
}

/* An answer line: the greeting and every answer are OK, ERR, S, D, #,
 * INQUIRE or END, at most the Assuan line length (a longer line, or one
 * with a raw control character a value smuggled in, would be a protocol
 * injection). */
static void
check_line(struct session *s)
{
	static const char *const ok[] = { "OK", "ERR ", "S ", "D ", "# ", "INQUIRE ", "END" };
	size_t i;

	s->nlines++;
	if (s->linelen > SESSION_LINE_MAX)
		fatal(s, "answer line longer than the Assuan line length");
	s->line[s->linelen] = '\0';
	if (s->show)
		fprintf(stderr, "%s> %.200s\n", s->what, s->line);
	if (memchr(s->line, '\0', s->linelen) != NULL && strncmp(s->line, "D ", 2) != 0)
		fatal(s, "NUL byte in an answer line");
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (strncmp(s->line, ok[i], strlen(ok[i])) == 0)
			return;
	}
	fprintf(stderr, "%s: answer line: '%.80s'\n", s->what, s->line);
	fatal(s, "answer line that is no Assuan answer");
}

static void
take(struct session *s, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			check_line(s);
			s->linelen = 0;
		} else if (s->linelen <= SESSION_LINE_MAX) {
			s->line[s->linelen++] = buf[i];
		} else {
			fatal(s, "answer line longer than the Assuan line length");
		}
	}
}

static void
stop_writing(struct session *s)
{
	if (s->wfd < 0)
		return;
	if (s->wfd == s->rfd)
		shutdown(s->wfd, SHUT_WR);
	else
		close(s->wfd);
	s->wfd = -1;
}

static void *
client(void *opaque)
{
	struct session *s = opaque;
	long long deadline = now_ms() + SESSION_DEADLINE_MS, left;
	struct pollfd p[2];
	char buf[4096];
	ssize_t n;

	if (s->sent == s->len)
		stop_writing(s);
	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			fatal(s, "no end of the session within 30 s: the server hangs");
		p[0].fd = s->rfd;
		p[0].events = POLLIN;
		p[1].fd = s->wfd >= 0 && s->wfd != s->rfd ? s->wfd : -1;
		p[1].events = POLLOUT;
		if (s->wfd >= 0 && s->wfd == s->rfd)
			p[0].events |= POLLOUT;
		if (poll(p, 2, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			fatal(s, "poll");
		}
		if (s->wfd >= 0 && ((p[0].revents | p[1].revents) & (POLLOUT | POLLERR))) {
			n = send(s->wfd, s->data + s->sent, s->len - s->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno == ENOTSOCK)
				n = write(s->wfd, s->data + s->sent, s->len - s->sent);
			if (n > 0)
				s->sent += (size_t)n;
			/* EPIPE: the server hung up (BYE, KILLSCD); read the rest. */
			if (s->sent == s->len || (n < 0 && errno != EAGAIN && errno != EINTR))
				stop_writing(s);
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(s->rfd, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0)
				break;
			take(s, buf, (size_t)n);
		}
	}
	if (s->linelen != 0)
		fatal(s, "last answer line without its newline");
	stop_writing(s);
	close(s->rfd);
	s->rfd = -1;
	return NULL;
}

void
session_start(struct session *s, const char *what, const uint8_t *data, size_t len, int wfd, int rfd)
{
	memset(s, 0, sizeof(*s));
	s->what = what;
	s->data = data;
	s->len = len;
	s->wfd = wfd;
	s->rfd = rfd;
	s->show = getenv("SIGNET_FUZZ_SHOW") != NULL;
	if (wfd != rfd)
		fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK);
	if (pthread_create(&s->tid, NULL, client, s) != 0)
		fatal(s, "cannot start the client thread");
}

void
session_finish(struct session *s)
{
	pthread_join(s->tid, NULL);
}
