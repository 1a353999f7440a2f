/* monotime.c — see monotime.h. */
#include "monotime.h"

time_t
monotime_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}
