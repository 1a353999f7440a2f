/* pollin.h — wait until a descriptor has something to read. */
#ifndef SIGNET_POLLIN_H
#define SIGNET_POLLIN_H

/* Wait at most TIMEOUT_MS (-1: for ever) for FD to be readable (or at end
 * of file), through signals.  1: readable; 0: the time ran out; -1: poll
 * failed (errno set). */
int pollin_wait(int fd, int timeout_ms);

#endif
