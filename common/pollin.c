/* pollin.c — see pollin.h. */
#include "pollin.h"

#include <errno.h>
#include <poll.h>

int
pollin_wait(int fd, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int rc;

	while ((rc = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	return rc;
}
