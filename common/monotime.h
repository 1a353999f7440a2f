/* monotime.h — seconds on the monotonic clock, for timeouts and idle limits
 * (never the wall clock, which an admin or NTP may step). */
#ifndef SIGNET_MONOTIME_H
#define SIGNET_MONOTIME_H

#include <stdint.h>
#include <time.h>

/* Seconds since an arbitrary start (CLOCK_MONOTONIC). */
time_t monotime_sec(void);
/* The same in milliseconds, and in nanoseconds. */
int64_t monotime_ms(void);
int64_t monotime_ns(void);

#endif
