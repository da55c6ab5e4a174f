/*
 * health.h: health checks of steering targets (GeoDNS PoPs, the anycast
 * self check), run on one libevent loop (the server's control thread),
 * with nonblocking sockets and timers only: no thread and no blocking call
 * per check.
 *
 * Two halves:
 *  - the registry: one atomic state byte per target name, process-wide.
 *    Config compilation resolves names to slots once; the answer path then
 *    reads a slot with atomic_load_explicit(slot, memory_order_relaxed) and
 *    never takes a lock.
 *  - the checker: probes every target on its interval and writes its slot
 *    (rise/fall hysteresis for tcp/http/dns, immediate for file checks).
 *
 * Check types (struct check_conf, common/check_conf.h):
 *   tcp   connect() completes within timeout_ms
 *   http  connect, "GET path HTTP/1.0", the status line within timeout_ms
 *         carries an accepted status code
 *   dns   a UDP query (RD=0) is answered with our ID, QR=1, NOERROR
 *   file  the file says "up", "down" or "drain"; re-read when its stat
 *         (inode, size, mtime) changes; missing = down
 */
#ifndef STEERDNS_HEALTH_H
#define STEERDNS_HEALTH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/check_conf.h"

struct event_base;

enum health_state { HEALTH_UP = 0, HEALTH_DOWN = 1, HEALTH_DRAIN = 2 };

/* "up", "down", "drain" (for logs and `steerdns lookup`). */
const char *health_state_name(enum health_state s);

/*
 * The state slot of a target name (a PoP name, or "anycast-self"), created
 * HEALTH_UP on first use. The pointer is stable and valid until
 * health_registry_free(). Thread-safe (a mutex guards creation). Returns
 * NULL only when out of memory.
 */
_Atomic uint8_t *health_slot(const char *name);

/* The slot of the anycast gate's self check (anycast/announcer.h), named
 * here so that common/ (the decision log's PoP health events) can watch it. */
#define HEALTH_ANYCAST_SELF "anycast-self"

/* Set the checks' own state of slot (a registry slot) to st, as if the
 * checks had found it, and publish what readers see (an operator's
 * override still wins). A gate that must not trust a new slot before it
 * has risen sets it down this way; writing the slot itself would be
 * undone by nothing, since the checker compares against its own state. */
void health_slot_reset(_Atomic uint8_t *slot, enum health_state st);

/*
 * Operator override of a target (`steerdns ctl pop NAME up|down|auto`):
 * down publishes HEALTH_DOWN whatever the checks say, up HEALTH_UP, auto
 * follows the checks again. The checks keep running underneath. Control
 * thread only. health_admin_set returns -1 only when out of memory.
 */
enum health_admin { HEALTH_ADMIN_AUTO = 0, HEALTH_ADMIN_UP = 1, HEALTH_ADMIN_DOWN = 2 };
int health_admin_set(const char *name, enum health_admin a);
enum health_admin health_admin_get(const char *name);
const char *health_admin_name(enum health_admin a);
/* What the checks alone say (the published slot may be overridden). */
enum health_state health_check_get(const char *name);

/* Free every slot. Only at process exit, when no thread reads slots. */
void health_registry_free(void);

struct health_checker;

/* A checker running on base (which it does not own). NULL if out of memory. */
struct health_checker *health_checker_new(struct event_base *base);

/*
 * Replace the set of checks with names[i] checked as confs[i], i < n (on
 * start and after each reload). Every conf is copied, strings included, so
 * the caller's config may be freed afterwards. A target whose name and
 * conf are unchanged keeps its counters and schedule; a new or changed one
 * starts now (its first probe runs on the next loop iteration, its slot
 * keeps its current state); a removed one stops and its slot is set UP
 * (no check means always up). An invalid conf (unknown type, bad qname,
 * no file) is logged and skipped; the rest still apply. Returns 0, or -1
 * when some target was skipped or memory ran out.
 */
int health_checker_sync(struct health_checker *hc, const char *const *names,
                        const struct check_conf *const *confs, size_t n);

/*
 * Call cb(name, old, now, arg) on the loop thread after every state change
 * the checker makes (including "removed -> up"). The name is the
 * checker's copy, valid during the call only. cb must not call
 * health_checker_sync or health_checker_free. NULL cb: none.
 */
void health_checker_on_change(struct health_checker *hc,
                              void (*cb)(const char *name, enum health_state old,
                                         enum health_state now, void *arg),
                              void *arg);

/*
 * While a target's results run against its state (a failure while up, a
 * success while down or drained), probe it every fast_ms instead of its
 * interval, so rise/fall completes quickly; back to the interval once the
 * state changed or the run broke. A probe still running at a fast tick is
 * left to its own timeout. 0 (the default): always the interval. For the
 * anycast gate (issue 4: "a fast interval while the state is changing").
 */
void health_checker_set_fast_interval(struct health_checker *hc, unsigned fast_ms);

/* Stop every check (closing its sockets) and free the checker. Slots keep
 * their last state. NULL is fine. */
void health_checker_free(struct health_checker *hc);

#endif
