/* parking.c — see parking.h.  A list, walked for each wake: wakes come
 * from approvals and denials (people), so O(parked) per wake is nothing
 * next to the store transaction that caused it, and nothing is spent per
 * parked connection while nothing happens. */
#include "parking.h"

#include "park.h"
#include "policyd.h"

void
parking_init(struct parking *pk)
{
	pthread_mutex_init(&pk->lock, NULL);
	pk->head = NULL;
	pk->woken = 0;
	atomic_init(&pk->held, 0);
}

void
parking_add(struct parking *pk, struct conn *c)
{
	pthread_mutex_lock(&pk->lock);
	c->park_woken = 0;
	c->park_listed = 1;
	c->park_prev = NULL;
	c->park_next = pk->head;
	if (pk->head != NULL)
		pk->head->park_prev = c;
	pk->head = c;
	pthread_mutex_unlock(&pk->lock);
}

int
parking_wake(struct parking *pk, int64_t key)
{
	struct conn *c;
	int found = 0;

	pthread_mutex_lock(&pk->lock);
	for (c = pk->head; c != NULL; c = c->park_next) {
		if (c->park->key == key && !c->park_woken) {
			c->park_woken = 1;
			pk->woken++;
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&pk->lock);
	return found;
}

/* With the lock held. */
static void
unlink_conn(struct parking *pk, struct conn *c)
{
	if (c->park_prev != NULL)
		c->park_prev->park_next = c->park_next;
	else
		pk->head = c->park_next;
	if (c->park_next != NULL)
		c->park_next->park_prev = c->park_prev;
	c->park_prev = c->park_next = NULL;
	c->park_listed = 0;
}

int
parking_remove(struct parking *pk, struct conn *c)
{
	int woken;

	pthread_mutex_lock(&pk->lock);
	woken = c->park_woken;
	if (c->park_listed)
		unlink_conn(pk, c);
	if (woken)
		pk->woken--;
	c->park_woken = 0;
	pthread_mutex_unlock(&pk->lock);
	return woken;
}

struct conn *
parking_take_woken(struct parking *pk)
{
	struct conn *c, *next, *out = NULL;

	pthread_mutex_lock(&pk->lock);
	for (c = pk->woken > 0 ? pk->head : NULL; c != NULL; c = next) {
		next = c->park_next;
		if (c->park_woken && c->parked) {
			unlink_conn(pk, c);
			c->park_woken = 0;
			pk->woken--;
			c->wake_next = out;
			out = c;
		}
	}
	pthread_mutex_unlock(&pk->lock);
	return out;
}
