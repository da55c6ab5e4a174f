/*
 * arena.h: a bump allocator. Everything a config snapshot holds (zones,
 * names, rdata, strings) lives in arenas freed as a unit when the snapshot
 * is released, so reload never frees piece by piece.
 */
#ifndef STEERDNS_ARENA_H
#define STEERDNS_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	size_t total;  /* bytes handed out, for metrics */
};

/* Allocate n zeroed bytes, 16-byte aligned. Aborts on out of memory: a
 * snapshot build that cannot allocate has no sane way on. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_memdup(struct arena *a, const void *src, size_t n);
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);

#endif
