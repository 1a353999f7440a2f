/* errbuf.h — fill a caller's error text buffer (the "char *err, size_t
 * errlen" pair many parsers and readers take). */
#ifndef SIGNET_ERRBUF_H
#define SIGNET_ERRBUF_H

#include <stddef.h>

/* Format into ERR (ERRLEN bytes, truncated, NUL-terminated); nothing when
 * ERR is NULL or ERRLEN 0. */
void errbuf_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
