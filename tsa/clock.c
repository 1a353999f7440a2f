/* clock.c — may the system clock be put into a token?  RFC 3161 §2.4.2:
 * the TSA answers timeNotAvailable rather than issue a wrong time. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/timex.h>

#include "tsa.h"

int
tsa_clock_ok(enum tsa_clock_check check, unsigned max_error_ms, char *why, size_t whylen)
{
	struct timex tx;
	int state;

	if (check == TSA_CLOCK_NONE)
		return 1;
	memset(&tx, 0, sizeof(tx));   /* modes 0: read only */
	state = adjtimex(&tx);
	if (state < 0) {
		snprintf(why, whylen, "adjtimex: %s", strerror(errno));
		return 0;
	}
	if (state == TIME_ERROR || (tx.status & STA_UNSYNC) != 0) {
		snprintf(why, whylen, "the system clock is not synchronised (adjtimex)");
		return 0;
	}
	/* maxerror is in microseconds. */
	if (tx.maxerror < 0 || (unsigned long)tx.maxerror > (unsigned long)max_error_ms * 1000ul) {
		snprintf(why, whylen, "clock error %ld us exceeds max_clock_error_ms %u", tx.maxerror, max_error_ms);
		return 0;
	}
	return 1;
}
