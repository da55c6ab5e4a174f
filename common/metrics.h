/*
 * metrics.h: counters of the answer path, summed at scrape time, and the
 * Prometheus text exposition (`metrics: { listen: "ADDR:PORT" }`, served
 * at /metrics by common/metrics_http.c on the control thread).
 *
 * Each thread that answers (TCP worker, UDP reader) owns one struct
 * metrics_block and bumps plain uint64_t fields in it: no lock, no atomic,
 * no shared cache line on the answer path. The block is found through a
 * thread-local pointer bound once at thread start (as the decision-log
 * ring is); unbound (tests, `lookup`) counts nothing. A scrape reads every
 * block with relaxed atomic loads (a 64-bit aligned load never tears on
 * the platforms we build for) and adds them up, so a scrape may miss the
 * increments of the last few nanoseconds and never blocks a worker.
 *
 * PoP counters are indexed by the PoP's position in the config (steer
 * outcome `pop`); a scrape names them from the config serving then. A
 * reload that reorders PoPs therefore moves counts between names; adding
 * PoPs at the end (the usual change) does not.
 */
#ifndef STEERDNS_METRICS_H
#define STEERDNS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/steer_method.h"

/* Label buckets. Query types outside the table count as "other" (0, so
 * the type table needs only the types it names). */
enum { METRICS_QT_OTHER, METRICS_QT_A, METRICS_QT_NS, METRICS_QT_CNAME, METRICS_QT_SOA, METRICS_QT_PTR,
       METRICS_QT_MX, METRICS_QT_TXT, METRICS_QT_AAAA, METRICS_QT_SRV, METRICS_QT_DS,
       METRICS_QT_HTTPS, METRICS_QT_CAA, METRICS_QT_ANY, METRICS_QT_AXFR, METRICS_QT_IXFR,
       METRICS_QT_COUNT };
enum { METRICS_RC_NOERROR, METRICS_RC_FORMERR, METRICS_RC_SERVFAIL, METRICS_RC_NXDOMAIN,
       METRICS_RC_NOTIMP, METRICS_RC_REFUSED, METRICS_RC_NOTAUTH, METRICS_RC_BADVERS,
       METRICS_RC_BADCOOKIE, METRICS_RC_OTHER, METRICS_RC_COUNT };
/* (method, arm) pairs of steer_outcome: geodns/"", anycast/"", and the A/B arms. */
enum { METRICS_ST_GEODNS, METRICS_ST_ANYCAST, METRICS_ST_AB_GEODNS, METRICS_ST_AB_ANYCAST,
       METRICS_ST_COUNT };
/* PoPs counted by index; later ones (and answers with no PoP) count as pop="". */
#define METRICS_MAX_POPS 63

struct metrics_block {
	uint64_t queries[2][METRICS_QT_COUNT][METRICS_RC_COUNT];  /* [tcp] */
	uint64_t steered[METRICS_ST_COUNT][METRICS_MAX_POPS + 1]; /* [pair][pop + 1], 0: none */
	uint64_t ecs[2];                                          /* [carried a valid ECS option] */
};

extern const uint8_t metrics_qtype_index[256];
extern const uint8_t metrics_rcode_index[32];

/* The calling thread's block (bound by the server at thread start). */
extern __thread struct metrics_block *metrics_tls;

static inline void metrics_thread_bind(struct metrics_block *b)
{
	metrics_tls = b;
}

/* One query answered (or dropped by RRL) with rcode (12-bit). qtype < 0: no question. */
static inline void metrics_count_query(bool tcp, int qtype, unsigned rcode, bool ecs)
{
	struct metrics_block *b = metrics_tls;
	if (!b)
		return;
	unsigned qt = qtype < 0 ? METRICS_QT_OTHER
	              : qtype < 256 ? metrics_qtype_index[qtype]
	              : qtype == 257 ? METRICS_QT_CAA : METRICS_QT_OTHER;
	unsigned rc = rcode < 32 ? metrics_rcode_index[rcode] : METRICS_RC_OTHER;
	b->queries[tcp][qt][rc]++;
	b->ecs[ecs]++;
}

/* One steered answer, as steer_observe sees it. */
static inline void metrics_count_steered(const struct steer_outcome *o)
{
	struct metrics_block *b = metrics_tls;
	if (!b)
		return;
	unsigned pair = (o->method[0] == 'a') + (o->arm[0] ? 2 : 0);
	unsigned pop = o->pop >= 0 && o->pop < METRICS_MAX_POPS ? (unsigned)o->pop + 1 : 0;
	b->steered[pair][pop]++;
}

/* --- the registry and exposition, on the control thread --- */

/* `metrics:` config section. */
struct metrics_conf {
	const char *listen;   /* "ADDR:PORT" as written (arena); NULL: not served */
};

/* The `metrics:` section's module (common/metrics_conf.c). */
extern const struct steer_module metrics_module;

/* Process-wide: the blocks of every answering thread (borrowed; they
 * must outlive every scrape), set by the server before threads start. */
void metrics_set_blocks(struct metrics_block *const *blocks, size_t n);

/* Sum every registered block into out. */
void metrics_sum(struct metrics_block *out);

/* Control-thread counters (reloads, build info). */
void metrics_note_reload(bool ok);
void metrics_set_identity(const char *identity);   /* copied */

/* Text being built for one scrape (an evbuffer underneath). */
struct metrics_out;

/* One family header: "# HELP name help\n# TYPE name type\n". */
void metrics_family(struct metrics_out *o, const char *name, const char *type, const char *help);
/* One sample: name{k1="v1",...} value. labels: NULL-terminated pairs
 * (key, value); values are escaped as the text format requires. */
void metrics_sample(struct metrics_out *o, const char *name, const char *const *labels, double v);

/*
 * Per-PoP and other gauges come from the modules; sources are called in
 * registration order after the core families.
 */
typedef void (*metrics_source_fn)(void *arg, struct metrics_out *o);

/*
 * Write the whole exposition into buf (an evbuffer). pop_names: the PoP
 * table of the config serving now (n_pops entries), for the steered
 * counters; src/src_arg: the modules' gauges (may be NULL).
 */
struct evbuffer;
void metrics_write(struct evbuffer *buf, const char *const *pop_names, size_t n_pops,
                   metrics_source_fn src, void *src_arg);

/* Only the sources' families (src(src_arg, ...)) into buf. */
void metrics_write_source(struct evbuffer *buf, metrics_source_fn src, void *src_arg);

/* The counters as one JSON document (`steerdns ctl stats --json`). */
void metrics_write_json(struct evbuffer *buf, const char *const *pop_names, size_t n_pops);

#endif
