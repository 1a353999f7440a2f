/* tsaworld.h — a fresh SoftHSM2 token logged in through signet-tsa's
 * hsmkey.h, for unit tests of what signet-tsa does with keys
 * (test_hsmkey, test_tsa_auditkey).  Header-only, like softhsm.h; include
 * it from one test file only. */
#ifndef SIGNET_TEST_TSAWORLD_H
#define SIGNET_TEST_TSAWORLD_H

#include <stdio.h>
#include <stdlib.h>

#include "../../tsa/hsmkey.h"
#include "softhsm.h"

struct world {
	struct softhsm t;
	struct hsmkey_params p;
	struct hsmkey *hk;
};

/* A new token named by URI (token=…;object=…), made and logged in, as
 * *STATE. */
static inline int
tsa_world_setup(void **state, const char *uri)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[512] = "";
	int created = 0;

	if (w == NULL || softhsm_setup(&w->t) != 0)
		return -1;
	w->p.uri = uri;
	w->p.module = SOFTHSM_MODULE;
	w->p.pin_file = w->t.pin;
	if (hsmkey_init_token(&w->p, w->t.so_pin, &created, err, sizeof(err)) != 0 || !created ||
	    hsmkey_login(&w->p, &w->hk, err, sizeof(err)) != 0) {
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

	hsmkey_close(w->hk);
	softhsm_teardown(&w->t);
	free(w);
	return 0;
}

#endif
