/* clock.c — may the system clock be put into a token?  RFC 3161 §2.4.2:
 * the TSA answers timeNotAvailable rather than issue a wrong time. */
#include "platform.h"
#include "tsa.h"

int
tsa_clock_ok(enum tsa_clock_check check, unsigned max_error_ms, char *why, size_t whylen)
{
	if (check == TSA_CLOCK_NONE)
		return 1;
	return platform_clock_synced(max_error_ms, why, whylen);
}
