/* session.h — the client side of one fuzzed Assuan session: a thread
 * writes the input to the server and reads every answer until the server
 * hangs up, checking that each answer line is one the protocol allows.
 * A server that takes longer than SESSION_DEADLINE_MS for a whole session
 * is reported as hung (abort: libFuzzer keeps the input).  No fixed
 * sleeps: the thread waits in poll() for the server.  With
 * SIGNET_FUZZ_SHOW set in the environment the answers go to stderr (to
 * replay a corpus file and see what the server said). */
#ifndef SIGNET_FUZZ_SESSION_H
#define SIGNET_FUZZ_SESSION_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SESSION_MAX_INPUT (64 * 1024)
#define SESSION_MAX_LINES 64
#define SESSION_DEADLINE_MS 30000   /* key generation on SoftHSM2 takes seconds */
#define SESSION_LINE_MAX 1000        /* ASSUAN_LINELENGTH */

struct session {
	const uint8_t *data;
	size_t len, sent;
	int wfd, rfd;                /* the same descriptor for a socket */
	char line[SESSION_LINE_MAX + 2];
	size_t linelen;
	unsigned long nlines;        /* answer lines read */
	const char *what;            /* the server's name, for messages */
	int show;                    /* $SIGNET_FUZZ_SHOW: print the answers */
	pthread_t tid;
};

/* Names the seeds use for what differs from world to world (keygrips,
 * keyrefs): "{grip0}" in an input becomes the world's first keygrip. */
#define SESSION_MAX_MACROS 8
#define SESSION_MACRO_NAME 16
#define SESSION_MACRO_VALUE 96
struct session_macros {
	size_t n;
	char name[SESSION_MAX_MACROS][SESSION_MACRO_NAME];     /* "{grip0}" */
	char value[SESSION_MAX_MACROS][SESSION_MACRO_VALUE];
};

/* Add NAME (with its braces) = VALUE; ignored when full or too long. */
void session_macro_add(struct session_macros *m, const char *name, const char *value);
/* DATA (SIZE bytes) with the macros replaced, into OUT (OUTMAX bytes,
 * truncated there); the length written. */
size_t session_expand(const struct session_macros *m, const uint8_t *data, size_t size,
                      uint8_t *out, size_t outmax);
/* How much of DATA (SIZE bytes) to send: at most SESSION_MAX_INPUT bytes
 * and SESSION_MAX_LINES lines. */
size_t session_bound(const uint8_t *data, size_t size);
/* Start the client on WFD (written, then closed or shut down) and RFD
 * (read to EOF, then closed); both are the session's from now on. */
void session_start(struct session *s, const char *what, const uint8_t *data, size_t len,
                   int wfd, int rfd);
/* Wait for the client to see the server's EOF. */
void session_finish(struct session *s);

#endif
