/* log.h — one logging module for every Signet program.
 *
 * log_init() is called once at start-up, before any thread exists; the sink
 * (a file or stderr) is the only process-wide state here, set once and then
 * only read.  Messages are one line each, prefixed with a UTC timestamp, the
 * program name and the pid.  Peer-controlled strings must go through
 * log_vis() before they are logged. */
#ifndef SIGNET_LOG_H
#define SIGNET_LOG_H

#include <stddef.h>
#include <gpg-error.h>

enum log_level { LOG_LEVEL_DEBUG = 0, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Send log lines to FILE (appended, created 0600) or, when FILE is NULL, to
 * stderr.  Returns 0 or the errno-based error of opening FILE (then stderr
 * stays the sink). */
gpg_error_t log_init(const char *prog, const char *file, enum log_level min);

void log_msg(enum log_level lvl, const char *func, gpg_error_t err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Log at error level and exit(1): start-up and broken invariants only. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, NULL, 0, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, NULL, 0, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, NULL, 0, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, NULL, 0, __VA_ARGS__)
#define log_debug_f(...) log_msg(LOG_LEVEL_DEBUG, __func__, 0, __VA_ARGS__)
#define log_error_f(...) log_msg(LOG_LEVEL_ERROR, __func__, 0, __VA_ARGS__)
/* _e variants append ": <gpg_strerror(err)>". */
#define log_warn_e(err, ...)  log_msg(LOG_LEVEL_WARN, NULL, (err), __VA_ARGS__)
#define log_error_e(err, ...) log_msg(LOG_LEVEL_ERROR, NULL, (err), __VA_ARGS__)

/* Copy IN into OUT (size OUTLEN, always NUL-terminated) with control
 * characters, backslash and bytes >= 0x7f escaped as \xNN; truncates.
 * Returns OUT. */
char *log_vis(const char *in, char *out, size_t outlen);

#endif
