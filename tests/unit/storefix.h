/* storefix.h — policyd's state store for unit tests: open one in a
 * folder, and make an approved grant.  Header-only, like tmpdir.h; the
 * test links the store's objects (Makefile: STORE_OBJ). */
#ifndef SIGNET_TEST_STOREFIX_H
#define SIGNET_TEST_STOREFIX_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../policyd/store.h"

/* The store in DIR (made when new); fails the test if it cannot open. */
static inline struct store *
sf_open(const char *dir)
{
	struct store *st = NULL;
	char err[512];

	if (store_open(dir, &st, err, sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	return st;
}

/* An approved grant of COUNT uses of PROJECT for REQUESTER, opened and
 * approved (by user:carol) at NOW, until EXPIRES: its id. */
static inline int64_t
sf_grant(struct store *st, const char *requester, const char *project, unsigned count, int64_t now,
         int64_t expires)
{
	struct store_request req, o;
	enum store_verdict v;

	memset(&req, 0, sizeof(req));
	req.kind = STORE_KIND_GRANT;
	snprintf(req.project, sizeof(req.project), "%s", project);
	snprintf(req.requester, sizeof(req.requester), "%s", requester);
	snprintf(req.reason, sizeof(req.reason), "release");
	req.count = count;
	req.needed = 1;
	req.expires = expires;
	assert_int_equal(store_request_open(st, &req, now), 0);
	assert_int_equal(store_request_approve(st, req.id, "user:carol", NULL, now, &o, &v), 0);
	assert_int_equal(v, STORE_V_OK);
	assert_int_equal(o.state, STORE_APPROVED);
	return req.id;
}

#endif
