/* snapshot.c — see snapshot.h. */
#include "snapshot.h"

#include <stdlib.h>

gpg_error_t
snapshot_new(struct signet_config *cfg, struct project_table *projects, struct snapshot **out)
{
	struct snapshot *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	atomic_init(&s->refs, 1);
	s->cfg = cfg;
	s->projects = projects;
	*out = s;
	return 0;
}

void
snapshot_put(struct snapshot *s)
{
	if (s == NULL)
		return;
	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	/* The table points into the configuration: free it first. */
	project_table_free(s->projects);
	config_free(s->cfg);
	free(s);
}

gpg_error_t
snapshot_slot_init(struct snapshot_slot *slot, struct snapshot *first)
{
	if (pthread_mutex_init(&slot->lock, NULL) != 0)
		return gpg_error(GPG_ERR_ENOMEM);
	slot->cur = first;
	return 0;
}

struct snapshot *
snapshot_get(struct snapshot_slot *slot)
{
	struct snapshot *s;

	pthread_mutex_lock(&slot->lock);
	s = slot->cur;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&slot->lock);
	return s;
}

void
snapshot_publish(struct snapshot_slot *slot, struct snapshot *next)
{
	struct snapshot *old;

	pthread_mutex_lock(&slot->lock);
	old = slot->cur;
	slot->cur = next;
	pthread_mutex_unlock(&slot->lock);
	snapshot_put(old);
}
