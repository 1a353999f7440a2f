/* log.c — see log.h. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_MAX_LINE 2048
#define LOG_MAX_PROG 32

/* The sink: the only process-wide state of this module.  Written once by
 * log_init() before any thread starts, only read afterwards. */
struct log_sink {
	int fd;
	enum log_level min;
	char prog[LOG_MAX_PROG];
};

static struct log_sink sink = { STDERR_FILENO, LOG_LEVEL_INFO, "signet" };

static const char *
level_name(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LEVEL_DEBUG: return "debug";
	case LOG_LEVEL_INFO:  return "info";
	case LOG_LEVEL_WARN:  return "warning";
	case LOG_LEVEL_ERROR: return "error";
	}
	return "?";
}

gpg_error_t
log_init(const char *prog, const char *file, enum log_level min)
{
	const char *base;
	int fd;

	if (prog != NULL) {
		base = strrchr(prog, '/');
		base = base != NULL ? base + 1 : prog;
		snprintf(sink.prog, sizeof(sink.prog), "%s", base);
	}
	sink.min = min;
	if (file == NULL) {
		sink.fd = STDERR_FILENO;
		return 0;
	}
	/* O_NOFOLLOW: the log path comes from config (STYLE 21). */
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd == -1)
		return gpg_error_from_syserror();
	if (sink.fd != STDERR_FILENO)
		close(sink.fd);
	sink.fd = fd;
	return 0;
}

/* Write all of BUF, retrying on EINTR and short writes; one write() in the
 * normal case, so concurrent lines on an O_APPEND file do not interleave. */
static void
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

static size_t
format_line(char *line, size_t size, enum log_level lvl, const char *func, gpg_error_t err,
            const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32] = "";
	char ebuf[128];
	size_t len, start, i;
	int n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && gmtime_r(&ts.tv_sec, &tm) != NULL)
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, size, "%s %s[%ld] %s: ", stamp, sink.prog, (long)getpid(), level_name(lvl));
	len = n < 0 ? 0 : (size_t)n;
	if (len >= size)
		len = size - 1;
	start = len;
	if (func != NULL && len < size) {
		n = snprintf(line + len, size - len, "%s: ", func);
		len += n < 0 ? 0 : (size_t)n;
	}
	if (len < size) {
		n = vsnprintf(line + len, size - len, fmt, ap);
		len += n < 0 ? 0 : (size_t)n;
	}
	if (err != 0 && len < size) {
		gpg_strerror_r(err, ebuf, sizeof(ebuf));
		n = snprintf(line + len, size - len, ": %s", ebuf);
		len += n < 0 ? 0 : (size_t)n;
	}
	if (len >= size)
		len = size - 1;
	/* One event, one line: a stray newline in an argument must not let a
	 * message forge a second log entry. */
	for (i = start; i < len; i++) {
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	}
	return len;
}

static void
log_vmsg(enum log_level lvl, const char *func, gpg_error_t err, int also_stderr,
         const char *fmt, va_list ap)
{
	char line[LOG_MAX_LINE + 1];
	size_t len;

	len = format_line(line, sizeof(line) - 1, lvl, func, err, fmt, ap);
	line[len++] = '\n';
	write_all(sink.fd, line, len);
	if (also_stderr && sink.fd != STDERR_FILENO)
		write_all(STDERR_FILENO, line, len);
}

void
log_msg(enum log_level lvl, const char *func, gpg_error_t err, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (lvl < sink.min)
		return;
	va_start(ap, fmt);
	log_vmsg(lvl, func, err, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	/* Fatal happens at start-up: whoever started us should see why, even
	 * when the log goes to a file. */
	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERROR, NULL, 0, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

char *
log_vis(const char *in, char *out, size_t outlen)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;
	unsigned char c;

	if (out == NULL || outlen == 0)
		return out;
	for (; in != NULL && *in != '\0'; in++) {
		c = (unsigned char)*in;
		if (c < 0x20 || c >= 0x7f || c == '\\') {
			/* Never split an escape at the truncation point. */
			if (o + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = digits[c >> 4];
			out[o++] = digits[c & 0xf];
		} else {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}
