/* requester.c — see requester.h. */
#include "requester.h"

#include <stdlib.h>
#include <string.h>
#include <gpg-error.h>

#include "idcache.h"
#include "log.h"

void
requester_init(struct requester *rq, struct idcache *ids, uid_t uid)
{
	gpg_error_t r;

	memset(rq, 0, sizeof(*rq));
	rq->uid = uid;
	rq->ids = ids;
	idcache_check(ids);
	if ((r = idcache_user(ids, uid, rq->user, sizeof(rq->user), &rq->groups, &rq->ngroups)) != 0 &&
	    gpg_err_code(r) != GPG_ERR_NOT_FOUND)
		log_warn_e(r, "groups of uid %u (%s): none counted", (unsigned)uid, rq->user);
}

void
requester_release(struct requester *rq)
{
	if (rq == NULL)
		return;
	free(rq->groups);
	rq->groups = NULL;
	rq->ngroups = 0;
}

int
requester_in_group(const struct requester *rq, gid_t gid)
{
	size_t i;

	for (i = 0; rq != NULL && i < rq->ngroups; i++)
		if (rq->groups[i] == gid)
			return 1;
	return 0;
}
