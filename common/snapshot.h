/*
 * snapshot.h: the configuration the workers serve from, swapped on reload
 * without locks, and freed only when no worker can still be reading it.
 *
 * Epoch-based reclamation. A global epoch counter is bumped on every
 * publish. Each worker announces the epoch it is in at the start of every
 * batch (snapshot_enter) and announces "quiescent" when the batch ends
 * (snapshot_exit), so an idle worker never pins an old config. A config
 * replaced at publish epoch E may be freed once every worker is quiescent or
 * has announced an epoch >= E: such a worker loaded `current` after the
 * swap. The control thread checks that from a timer (snapshot_reclaim).
 *
 * All atomics are sequentially consistent: the worker's epoch store must be
 * ordered before its load of `current`, and the control thread's swap before
 * its epoch bump; seq_cst gives exactly that with no reasoning about fences.
 */
#ifndef STEERDNS_SNAPSHOT_H
#define STEERDNS_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

/* A worker's announced epoch when it holds no snapshot. */
#define SNAPSHOT_QUIESCENT UINT64_MAX

/* One worker's announced epoch, alone on its cache line so that workers
 * writing their own slot do not slow each other down. */
struct snapshot_slot {
	_Alignas(64) _Atomic uint64_t epoch;
};

struct snapshot_retired {
	struct config *cfg;
	uint64_t epoch;                  /* publish epoch that replaced it */
	struct snapshot_retired *next;
};

struct snapshot {
	_Atomic(struct config *) current;
	_Atomic uint64_t epoch;          /* bumped by every publish; starts at 1 */
	struct snapshot_slot *slots;     /* n_workers entries */
	size_t n_workers;
	struct snapshot_retired *retired;  /* control thread only, newest first */
	void (*free_cfg)(struct config *);
};

/*
 * Set up s serving initial (owned by s from now on) for n_workers workers,
 * all quiescent. free_cfg is called on every config s releases (config_free
 * in the server; a fake in tests). Returns 0, or -1 on out of memory (then
 * initial is still the caller's).
 */
int snapshot_init(struct snapshot *s, struct config *initial, size_t n_workers,
                  void (*free_cfg)(struct config *));

/*
 * Worker `worker` starts a batch: announce the current epoch, then return
 * the config to use until snapshot_exit. The pointer is borrowed.
 */
const struct config *snapshot_enter(struct snapshot *s, size_t worker);

/* Worker `worker` ends its batch and holds no config pointer any more. */
void snapshot_exit(struct snapshot *s, size_t worker);

/*
 * Control thread: make next (owned by s from now on) the config every new
 * batch sees and retire the old one. Returns the new epoch.
 */
uint64_t snapshot_publish(struct snapshot *s, struct config *next);

/* Control thread: the config most recently published (borrowed). */
struct config *snapshot_current(struct snapshot *s);

/*
 * Pure: the oldest epoch any worker may still be reading in, given their
 * announced epochs; SNAPSHOT_QUIESCENT when every worker is quiescent (or
 * n == 0). Retired configs with epoch <= this value are unreachable.
 */
uint64_t snapshot_min_epoch(const uint64_t *epochs, size_t n);

/*
 * Control thread: free every retired config whose epoch is <= min_epoch.
 * Returns how many were freed. Split from snapshot_reclaim so tests can
 * drive it with chosen epochs.
 */
size_t snapshot_reclaim_upto(struct snapshot *s, uint64_t min_epoch);

/* Control thread: read every worker's epoch and free what no one can see.
 * Returns how many configs were freed. */
size_t snapshot_reclaim(struct snapshot *s);

/* Number of retired configs still waiting to be freed. */
size_t snapshot_pending(const struct snapshot *s);

/* After every worker has stopped: free the current and all retired
 * configs and the slots. */
void snapshot_destroy(struct snapshot *s);

#endif
