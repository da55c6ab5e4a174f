/*
 * qlog.h: the decision log (compare/formats.md "Decision log"), written
 * off the answer path.
 *
 * Each worker thread owns one single-producer/single-consumer ring of
 * fixed-size records (C11 atomics, no lock). The worker fills a record in
 * place with copies of everything it needs (strings and numbers by value:
 * the config snapshot it came from may be freed before the record is
 * written) and publishes it; when the ring is full the record is dropped
 * and the ring's drop counter goes up. The control thread drains every
 * ring on a timer (QLOG_DRAIN_MS, and at shutdown), formats one JSON line
 * per record and writes each batch with one write(2) through a buffer.
 * On the same tick it reads the health slots of the PoPs it watches and
 * writes an event line for each change (qlog_writer_set_health): those
 * lines never pass through the rings, so they are never sampled or dropped.
 *
 * Rotation: SIGUSR1 belongs to the anycast drain (issue 4), so a logrotate
 * `kill -USR1` would withdraw the PoP; the writer does not use it. Instead
 * it stat()s its path every second and reopens when the path is gone or
 * names another file (device/inode differ from the open fd's): a
 * rename-style logrotate needs no signal at all. A SIGHUP reload reopens
 * too (qlog_writer_set_path with reopen).
 */
#ifndef STEERDNS_QLOG_H
#define STEERDNS_QLOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/dname.h"


/* The `decision_log:` config section. */
struct qlog_conf {
	const char *path;         /* in the config arena */
	uint32_t sample_ppm;      /* share of steered answers logged, in millionths (1..1000000) */
};

#define QLOG_RING_SIZE 16384u /* records per worker; a power of two */
#define QLOG_DRAIN_MS 50
#define QLOG_NAME_MAX 64      /* PoP names are cut to 63 bytes in the log */

enum qlog_method { QLOG_GEODNS = 1, QLOG_ANYCAST = 2 };

/* One logged answer. Strings are NUL-terminated copies; `has_*` and empty
 * strings mean JSON null. */
struct qlog_rec {
	int64_t ts_ms;                  /* CLOCK_REALTIME, milliseconds */
	uint8_t method;                 /* enum qlog_method */
	uint8_t arm;                    /* 0 (not A/B) or enum qlog_method */
	uint16_t qtype;
	uint8_t qname[DNAME_MAXLEN];    /* wire form, as asked */
	uint8_t resolver[16];           /* IPv6, IPv4 as ::ffff:a.b.c.d */
	bool has_resolver;
	uint8_t ecs_family;             /* 0 none, 1 IPv4, 2 IPv6 (the query's option) */
	uint8_t ecs_source;
	uint8_t ecs_addr[16];           /* family-sized prefix, as in the option */
	uint8_t client[16];             /* the located prefix (128-bit space) */
	uint8_t client_len;             /* in the 128-bit space */
	bool has_client;
	bool has_coords;
	char country[3], continent[3];  /* "" = null */
	double lat, lon;
	char pop[QLOG_NAME_MAX];        /* "" = null */
	char nearest[QLOG_NAME_MAX];
	bool has_pop_km, has_nearest_km;
	double pop_km, nearest_km;
	int16_t scope;                  /* -1 = null (no ECS in the query) */
	char server[256];               /* server.identity */
};

struct qlog_ring {
	_Alignas(64) _Atomic uint64_t head;     /* written by the producer */
	_Alignas(64) _Atomic uint64_t tail;     /* written by the consumer */
	_Alignas(64) _Atomic uint64_t dropped;  /* records lost to a full ring */
	uint64_t sample_acc;                    /* producer only: sampling accumulator */
	_Atomic int wake_fd;                    /* the writer's eventfd, -1 none */
	struct qlog_rec rec[QLOG_RING_SIZE];
};

/* Copy s (NULL: "") into a record's field of cap bytes, cut to cap - 1
 * and NUL-terminated: what snprintf("%s") did, at a tenth of the cost
 * (this runs for every logged answer). */
static inline void qlog_copy_str(char *dst, size_t cap, const char *s)
{
	size_t n = s ? strnlen(s, cap - 1) : 0;
	memcpy(dst, s ? s : "", n);
	dst[n] = 0;
}

/* A zeroed ring (calloc: pages are touched only as records are written).
 * Free with qlog_ring_free. NULL on out of memory. */
struct qlog_ring *qlog_ring_new(void);
void qlog_ring_free(struct qlog_ring *r);

/*
 * Producer: the slot for the next record, or NULL when this answer is not
 * logged: it is sampled out (a per-ring counter: exactly floor(n *
 * sample_ppm / 1e6) of n answers are logged, spread evenly, no PRNG) or the
 * ring is full (dropped counted). A non-NULL slot must be filled and then
 * published with qlog_ring_commit before the next reserve.
 */
struct qlog_rec *qlog_ring_reserve(struct qlog_ring *r, uint32_t sample_ppm);
void qlog_ring_commit(struct qlog_ring *r);

/* The eventfd the producer writes to when its ring reaches a quarter full
 * (the writer's wakeup); -1 for none. */
void qlog_ring_set_wake(struct qlog_ring *r, int fd);

/* Consumer: call fn on every published record, oldest first, then free
 * their slots. Returns how many were consumed. */
size_t qlog_ring_drain(struct qlog_ring *r, void (*fn)(const struct qlog_rec *, void *), void *arg);

/* The calling thread's ring (a worker binds its own at start; NULL when
 * unbound, e.g. in tests or `lookup`: nothing is logged). */
void qlog_thread_bind(struct qlog_ring *r);
struct qlog_ring *qlog_thread_ring(void);

/* Longest line qlog_format writes: the identity (255 bytes, each control
 * byte 6 when escaped: 1530), the name (255 bytes as \DDD, each 5 once
 * its backslash is escaped: 1275), two PoP names (2 x 63 x 6), addresses,
 * numbers and keys (under 600). */
#define QLOG_LINE_MAX 4096

/* Format rec as one JSON line (with '\n') into buf. Returns the length, or
 * 0 when cap is below QLOG_LINE_MAX. */
size_t qlog_format(const struct qlog_rec *rec, char *buf, size_t cap);

/*
 * A PoP health event line (compare/formats.md "Decision log"): the
 * published state of a PoP changed. Written by the writer itself, never
 * through the rings: no sampling, no drop. server and pop are cut as an
 * answer record's are (qlog_copy_str into these fields).
 */
struct qlog_event {
	int64_t ts_ms;                  /* CLOCK_REALTIME, milliseconds */
	char server[256];               /* server.identity; "" = null */
	char pop[QLOG_NAME_MAX];
	uint8_t state;                  /* enum health_state (common/health.h) */
};

/* Format ev as one JSON line (with '\n') into buf: ts, server, "event":
 * "health", pop, state. Returns the length, or 0 when cap is below
 * QLOG_LINE_MAX. */
size_t qlog_format_event(const struct qlog_event *ev, char *buf, size_t cap);

/* --- the writer, a thread of its own --- */

struct qlog_writer;

/*
 * A writer thread draining rings[0..n) (borrowed; they must outlive it)
 * every QLOG_DRAIN_MS, or at once when one fills to a quarter. path NULL:
 * the log is off (rings are still drained and their records discarded).
 * The file is created 0640. Opening it fails with NULL and a message in
 * err: the caller decides whether that is fatal.
 */
struct qlog_writer *qlog_writer_new(struct qlog_ring **rings, size_t n, const char *path,
                                    char *err, size_t errlen);

/*
 * New path (copied; NULL turns the log off) after a reload: flushes what
 * is pending to the old file, then (re)opens. reopen: open again even when
 * the path did not change (SIGHUP). Returns 0, or -1 with the error logged
 * (the log is then off until the next successful reopen).
 */
int qlog_writer_set_path(struct qlog_writer *w, const char *path, bool reopen);

/* A health slot whose published state the writer reports as PoP pop. */
struct qlog_watch {
	const char *pop;   /* the PoP name the event lines carry */
	const char *slot;  /* the health_slot() name: the PoP's own, or "anycast-self" */
};

/*
 * The PoPs whose health changes are logged, and the identity their lines
 * carry (both copied), on start and after each reload. The writer polls
 * every watched slot on each drain (every QLOG_DRAIN_MS, and whenever it
 * wakes, and in qlog_writer_flush) and writes an event line when a slot
 * differs from the state it last wrote for it. A pair (pop, slot) already
 * watched keeps that state; a new one records the slot's state now and
 * writes a line at once unless it is up (a log that starts during an
 * outage says so). Each new file the log opens (start, a new path,
 * rotation) begins with a line for every watched PoP not up. Before the
 * set changes, the old one is polled once more. Returns 0, or -1 when out
 * of memory (the old set stays).
 */
int qlog_writer_set_health(struct qlog_writer *w, const char *server, const struct qlog_watch *watch,
                           size_t n);

/* Drain every ring and poll the health slots, and write now. Returns the
 * lines written. */
size_t qlog_writer_flush(struct qlog_writer *w);

/* Totals since start, for tests and logs. */
uint64_t qlog_writer_written(struct qlog_writer *w);
uint64_t qlog_writer_dropped(const struct qlog_writer *w);

/* Flush (so call it after the workers have stopped), close, free. NULL ok. */
void qlog_writer_free(struct qlog_writer *w);

#endif
