/* reconcile.h — the state store catches up with the audit trail at start.
 *
 * A signature's take (grant use, rate slot) is made in memory and written
 * and synced lazily by the store; its audit record, durable before the
 * signature leaves, is the take's durable log (store.h, store_take).  Before policyd serves, every sign
 * record after the store's sync mark is handed to store_reconcile(),
 * which puts back what is missing (idempotent).  The records after the
 * mark are found by a binary search over the trail (its seqs rise line by
 * line) and read in batches of RECONCILE_MAX.  A store without a mark
 * (made before marks existed: it synced every take itself) reads the
 * trail's last RECONCILE_TAIL bytes; an unreadable mark, or a line that is
 * not a record where the search looks, reads the whole trail. */
#ifndef SIGNET_POLICYD_RECONCILE_H
#define SIGNET_POLICYD_RECONCILE_H

#include <stddef.h>
#include <gpg-error.h>

#include "store.h"

#define RECONCILE_TAIL (4 * 1024 * 1024)
#define RECONCILE_MAX  8192           /* sign records per store transaction */

/* Reconcile ST with the sign records of the audit trail AUDIT after ST's
 * mark; *CHANGED gets how many added something. */
gpg_error_t reconcile_from_audit(struct store *st, const char *audit, size_t *changed);

#endif
