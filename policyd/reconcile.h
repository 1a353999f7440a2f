/* reconcile.h — the state store catches up with the audit trail at start.
 *
 * A signature's audit record is written while the store's log syncs
 * (signreq.c), so after a crash of the machine the trail may name a grant
 * use or rate slot the store lost.  Before policyd serves, every sign
 * record in the trail's last RECONCILE_TAIL bytes is handed to
 * store_reconcile(), which puts back what is missing (idempotent).  Only a
 * tail: the store loses at most the takes of the syncs in flight, a few
 * batches of at most POLICYD_WORKERS signatures. */
#ifndef SIGNET_POLICYD_RECONCILE_H
#define SIGNET_POLICYD_RECONCILE_H

#include <stddef.h>
#include <gpg-error.h>

#include "store.h"

#define RECONCILE_TAIL (4 * 1024 * 1024)
#define RECONCILE_MAX  8192           /* sign records looked at */

/* Read the tail of the audit trail AUDIT and reconcile ST with its sign
 * records; *CHANGED gets how many added something. */
gpg_error_t reconcile_from_audit(struct store *st, const char *audit, size_t *changed);

#endif
