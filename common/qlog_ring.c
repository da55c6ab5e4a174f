/*
 * qlog_ring.c: the per-worker SPSC ring of decision-log records; see
 * qlog.h. head and tail only grow (64-bit: no wrap in practice); a slot is
 * index & (QLOG_RING_SIZE - 1). The producer's release store of head makes
 * the record it filled visible to the consumer's acquire load; the
 * consumer's release store of tail hands the slots back the same way.
 */
#include <stdlib.h>
#include <unistd.h>

#include "common/qlog.h"

#define ONE_MILLION 1000000u

static _Thread_local struct qlog_ring *thread_ring;

struct qlog_ring *qlog_ring_new(void)
{
	struct qlog_ring *r = calloc(1, sizeof(struct qlog_ring));
	if (r)
		atomic_init(&r->wake_fd, -1);
	return r;
}

void qlog_ring_set_wake(struct qlog_ring *r, int fd)
{
	atomic_store_explicit(&r->wake_fd, fd, memory_order_relaxed);
}

void qlog_ring_free(struct qlog_ring *r)
{
	free(r);
}

struct qlog_rec *qlog_ring_reserve(struct qlog_ring *r, uint32_t sample_ppm)
{
	/* Sampling before anything else: a sampled-out answer costs an add
	 * and a compare. The accumulator gains sample_ppm per answer and
	 * logs one answer each time it passes a million. */
	if (sample_ppm < ONE_MILLION) {
		r->sample_acc += sample_ppm;
		if (r->sample_acc < ONE_MILLION)
			return NULL;
		r->sample_acc -= ONE_MILLION;
	}
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (h - t >= QLOG_RING_SIZE) {
		atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
		return NULL;
	}
	if (h - t == QLOG_RING_SIZE / 4) {
		/* A quarter full: wake the writer now rather than at its next
		 * tick (one syscall per QLOG_RING_SIZE / 4 records at most). */
		int fd = atomic_load_explicit(&r->wake_fd, memory_order_relaxed);
		uint64_t one = 1;
		if (fd >= 0)
			(void)!write(fd, &one, sizeof(one));
	}
	return &r->rec[h & (QLOG_RING_SIZE - 1)];
}

void qlog_ring_commit(struct qlog_ring *r)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

size_t qlog_ring_drain(struct qlog_ring *r, void (*fn)(const struct qlog_rec *, void *), void *arg)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	for (uint64_t i = t; i < h; i++)
		fn(&r->rec[i & (QLOG_RING_SIZE - 1)], arg);
	atomic_store_explicit(&r->tail, h, memory_order_release);
	return (size_t)(h - t);
}

void qlog_thread_bind(struct qlog_ring *r)
{
	thread_ring = r;
}

struct qlog_ring *qlog_thread_ring(void)
{
	return thread_ring;
}
