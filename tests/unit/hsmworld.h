/* hsmworld.h — a fresh SoftHSM2 token opened through policyd's hsm.h, for
 * unit tests of what policyd does with keys (test_hsm, test_keyops).
 * Header-only, like softhsm.h; include it from one test file only. */
#ifndef SIGNET_TEST_HSMWORLD_H
#define SIGNET_TEST_HSMWORLD_H

#include <stdio.h>
#include <stdlib.h>

#include "../../policyd/hsm.h"
#include "softhsm.h"

struct world {
	struct softhsm t;
	struct hsm *hsm;
};

/* A token labelled TOKEN, initialised and opened, as *STATE. */
static inline int
hsm_world_setup(void **state, const char *token)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[512];
	int created = 0;

	if (w == NULL || softhsm_setup(&w->t) != 0)
		return -1;
	if (hsm_init_token(SOFTHSM_MODULE, token, w->t.so_pin, w->t.pin, &created, err, sizeof(err)) != 0 ||
	    hsm_open(SOFTHSM_MODULE, token, w->t.pin, &w->hsm, err, sizeof(err)) != 0) {
		fprintf(stderr, "token: %s\n", err);
		return -1;
	}
	*state = w;
	return 0;
}

static inline int
world_teardown(void **state)
{
	struct world *w = *state;

	hsm_close(w->hsm);
	softhsm_teardown(&w->t);
	free(w);
	return 0;
}

#endif
