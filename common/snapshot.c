/*
 * snapshot.c: lock-free config swap with epoch-based reclamation; see
 * snapshot.h for the protocol and why it is safe.
 */
#include "common/snapshot.h"

#include <stdlib.h>
#include <string.h>

int snapshot_init(struct snapshot *s, struct config *initial, size_t n_workers,
                  void (*free_cfg)(struct config *))
{
	memset(s, 0, sizeof(*s));
	if (n_workers > 0) {
		size_t bytes = n_workers * sizeof(struct snapshot_slot);
		s->slots = aligned_alloc(_Alignof(struct snapshot_slot), bytes);
		if (!s->slots)
			return -1;
		for (size_t i = 0; i < n_workers; i++)
			atomic_init(&s->slots[i].epoch, SNAPSHOT_QUIESCENT);
	}
	s->n_workers = n_workers;
	s->free_cfg = free_cfg;
	atomic_init(&s->current, initial);
	atomic_init(&s->epoch, 1);
	return 0;
}

const struct config *snapshot_enter(struct snapshot *s, size_t worker)
{
	/* Announce first, then load: if the control thread sees our epoch as
	 * E, any config it retired at an epoch > E is one we may hold; one it
	 * retired at <= E was swapped out before we loaded current. */
	uint64_t e = atomic_load(&s->epoch);
	atomic_store(&s->slots[worker].epoch, e);
	return atomic_load(&s->current);
}

void snapshot_exit(struct snapshot *s, size_t worker)
{
	atomic_store(&s->slots[worker].epoch, SNAPSHOT_QUIESCENT);
}

uint64_t snapshot_publish(struct snapshot *s, struct config *next)
{
	struct snapshot_retired *r = malloc(sizeof(*r));
	struct config *old = atomic_exchange(&s->current, next);
	/* The bump comes after the swap: a worker that reads the new epoch is
	 * guaranteed to load the new pointer. */
	uint64_t e = atomic_fetch_add(&s->epoch, 1) + 1;

	if (!old)
		goto out;
	if (!r) {
		/* Without a list node we cannot defer the free; leaking one
		 * config is safer than freeing it under a reader. */
		goto out;
	}
	r->cfg = old;
	r->epoch = e;
	r->next = s->retired;
	s->retired = r;
	return e;
out:
	free(r);
	return e;
}

struct config *snapshot_current(struct snapshot *s)
{
	return atomic_load(&s->current);
}

uint64_t snapshot_min_epoch(const uint64_t *epochs, size_t n)
{
	uint64_t min = SNAPSHOT_QUIESCENT;

	for (size_t i = 0; i < n; i++)
		if (epochs[i] < min)
			min = epochs[i];
	return min;
}

size_t snapshot_reclaim_upto(struct snapshot *s, uint64_t min_epoch)
{
	struct snapshot_retired **pp = &s->retired;
	size_t freed = 0;

	while (*pp) {
		struct snapshot_retired *r = *pp;
		if (r->epoch <= min_epoch) {
			*pp = r->next;
			if (s->free_cfg)
				s->free_cfg(r->cfg);
			free(r);
			freed++;
		} else {
			pp = &r->next;
		}
	}
	return freed;
}

size_t snapshot_reclaim(struct snapshot *s)
{
	uint64_t min = SNAPSHOT_QUIESCENT;

	if (!s->retired)
		return 0;
	/* Same loop as snapshot_min_epoch but over the atomic slots, so no
	 * scratch array is needed on the control thread. */
	for (size_t i = 0; i < s->n_workers; i++) {
		uint64_t e = atomic_load(&s->slots[i].epoch);
		if (e < min)
			min = e;
	}
	return snapshot_reclaim_upto(s, min);
}

size_t snapshot_pending(const struct snapshot *s)
{
	size_t n = 0;

	for (const struct snapshot_retired *r = s->retired; r; r = r->next)
		n++;
	return n;
}

void snapshot_destroy(struct snapshot *s)
{
	struct config *cur = atomic_exchange(&s->current, NULL);

	snapshot_reclaim_upto(s, SNAPSHOT_QUIESCENT);
	if (cur && s->free_cfg)
		s->free_cfg(cur);
	free(s->slots);
	s->slots = NULL;
	s->n_workers = 0;
}
