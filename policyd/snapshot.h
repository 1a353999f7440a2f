/* snapshot.h — the configuration in force, as refcounted snapshots.
 *
 * A snapshot is a loaded configuration and the project table resolved from
 * it; both are immutable once published.  A request takes a reference for
 * its whole duration (snapshot_get: a mutex held for a pointer copy and an
 * increment, never across I/O) and drops it at the end; a reload publishes
 * a new snapshot and the old one is freed by its last user.  So a client
 * that never reads its answer delays nobody: there is no lock to hold. */
#ifndef SIGNET_POLICYD_SNAPSHOT_H
#define SIGNET_POLICYD_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <gpg-error.h>

#include "config.h"
#include "project.h"

struct snapshot {
	atomic_uint refs;
	struct signet_config *cfg;
	struct project_table *projects;
};

/* The slot holding the snapshot in force. */
struct snapshot_slot {
	pthread_mutex_t lock;        /* guards CUR: held for a pointer copy only */
	struct snapshot *cur;        /* holds one reference */
};

/* A new snapshot owning CFG and PROJECTS (one reference, the caller's).
 * On failure (GPG_ERR_ENOMEM) nothing is taken over. */
gpg_error_t snapshot_new(struct signet_config *cfg, struct project_table *projects,
                         struct snapshot **out);
/* Drop a reference; the last one frees the snapshot.  NULL is a no-op. */
void snapshot_put(struct snapshot *s);

/* Initialise SLOT with FIRST (takes over the caller's reference). */
gpg_error_t snapshot_slot_init(struct snapshot_slot *slot, struct snapshot *first);
/* A new reference to the snapshot in force; never NULL once initialised. */
struct snapshot *snapshot_get(struct snapshot_slot *slot);
/* Publish NEXT (takes over the caller's reference) and drop the slot's
 * reference to the previous one. */
void snapshot_publish(struct snapshot_slot *slot, struct snapshot *next);

#endif
