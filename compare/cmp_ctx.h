/*
 * cmp_ctx.h: what `steerdns compare` reads, before any figure is computed.
 *
 * Reading is two-phase because the sources join each other: a decision
 * log line gets its RTTs from an RTT CSV given anywhere on the command
 * line, an Atlas DNS result from the same probe's ping results. Phase one
 * (cmp_read_file, compare/cmp_input.c) turns every input line into
 * observations (struct cmp_obs: "this client was sent to this PoP by this
 * method") and RTT rows (struct cmp_rtt_row: "from this client, PoP p
 * answered in x ms"); phase two (cmp_report_build, compare/cmp_stats.c)
 * joins and rates them. Everything here is owned by the cmp_ctx and freed
 * by cmp_ctx_free().
 */
#ifndef STEERDNS_CMP_CTX_H
#define STEERDNS_CMP_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct geo_config;
struct geotree;

/* The groups every figure is reported for: three methods, two A/B arms. */
enum cmp_group {
	CG_GEODNS_ECS,      /* probe: a resolver that sent ECS, else the direct ECS query;
	                     * decision log: geodns that located the client by its ECS */
	CG_GEODNS_RESOLVER, /* probe: a resolver that sent no ECS (or unknown); decision
	                     * log: geodns steered by the resolver's address */
	CG_ANYCAST,         /* probe anycast NSID; Atlas DNS NSID; decision log anycast */
	CG_AB_GEODNS,       /* decision log arm "geodns" */
	CG_AB_ANYCAST,      /* decision log arm "anycast" */
	CG_N
};

/* Display names, indexed by enum cmp_group ("geodns-ecs", ..., "ab:anycast"). */
extern const char *const cmp_group_name[CG_N];

/* How an observation finds its RTTs in phase two. */
enum cmp_join {
	CJ_OWN,    /* the observation carries them (probe lines) */
	CJ_SUBNET, /* RTT CSV rows of the same client /24 or /56 (decision logs) */
	CJ_PROBE,  /* Atlas ping results of the same prb_id (Atlas DNS) */
};

/* Join keys: kind byte + 16 bytes (an address truncated to /24 or /56 as
 * ::ffff:a.b.c.0 / IPv6, or a prb_id big-endian in the last 4 bytes). */
struct cmp_key {
	uint8_t b[17];
};

struct cmp_obs {
	uint64_t count;           /* identical observations folded into this one */
	uint64_t hash;            /* of its identity, for folding (cmp_ctx.c) */
	size_t memo_rows;         /* time series: rated with this many RTT rows, + 1 */
	int32_t memo_optimal;     /* ... the rating then (cmp_time.c) */
	bool memo_have_lat;
	double memo_lat;
	uint8_t group;            /* enum cmp_group */
	uint8_t join;             /* enum cmp_join */
	uint32_t client;          /* per-client table: 1 + index in ctx labels, 0 none */
	int chosen;               /* PoP index the method chose */
	struct cmp_key key;       /* for CJ_SUBNET / CJ_PROBE */
	double *rtt;              /* CJ_OWN: n_pops RTTs, NAN = not measured,
	                           * INFINITY = measured, no reply (owned) */
	double experienced;       /* RTT the client saw on the chosen path (anycast
	                           * address RTT), NAN = use rtt[chosen] */
	bool has_coords;
	bool at_resolver;         /* the location is the resolver's, not the client's
	                           * (a decision-log GeoDNS answer steered by the
	                           * resolver's address): never rated by distance */
	double lat, lon;
	char continent[3];        /* "" = unknown */
	char country[3];
};

/* One RTT measurement for a join key. */
struct cmp_rtt_row {
	struct cmp_key key;
	int pop;
	double rtt;
};

/* Per input file: what was read and what was not. */
struct cmp_file {
	char *path;
	const char *format;       /* "probe", "decision-log", "atlas", "rtt-csv" */
	size_t lines;             /* lines (or array elements) seen */
	size_t records;           /* turned into observations or RTT rows */
	size_t malformed;         /* unreadable lines, each reported as file:line */
	size_t skipped;           /* well-formed but unusable (unknown PoP, no NSID, ...) */
	size_t scanned;           /* decision-log lines read by the fixed-form scanner */
};

/* Atlas specifics, counted over all Atlas inputs. */
struct cmp_atlas_stats {
	size_t dns_results;       /* DNS results (each resultset entry counts) */
	size_t dns_nsid;          /* ... whose abuf carries an NSID */
	size_t dns_no_nsid;       /* ... answered without NSID (or without abuf) */
	size_t dns_errors;        /* ... error results (timeouts etc.) */
	size_t nsid_unmapped;     /* NSIDs that name no PoP identity */
	size_t ping_results;
	size_t ping_no_reply;     /* ping results without a (non-duplicate) reply */
	size_t ping_unmapped;     /* dst_addr is no PoP's unicast address */
};

/* One second of one group in the time series (compare/cmp_time.c). */
struct cmp_tslot {
	int64_t sec;              /* Unix time, seconds */
	uint8_t group;
	uint64_t samples, rated, hits, n_lat;
	int64_t lat_sum_us;       /* latency inflation, sum of whole microseconds */
};

#define CMP_NO_TS INT64_MIN
struct cmp_scratch;
/* Free a scratch allocated for the context (compare/cmp_rate.c). */
void cmp_scratch_free_ptr(struct cmp_scratch *s);

/* One resolver of the decision logs (compare/cmp_resolvers.c). */
struct cmp_resolver {
	char addr[48];
	uint64_t answers;         /* answers to it */
	uint64_t ecs_present;     /* ... to queries that carried ECS */
	uint64_t geodns;          /* ... by GeoDNS */
	uint64_t ecs_used;        /* ... of which located by that ECS */
};

/*
 * Failover windows (compare/cmp_failover.c). A run: answers of one method
 * with one PoP, each no more than the context's gap after the one before,
 * folded into [first, last] (Unix ms) and a count. Runs are what is kept
 * instead of every answer: memory grows with the gaps, not the lines, and
 * the runs of a set of answers do not depend on the order they are read
 * in, so merged partial files give the runs of one pass.
 */
struct cmp_run {
	int64_t first, last;
	uint64_t n;
};
struct cmp_runs {
	struct cmp_run *r;        /* sorted, each more than the gap after the one before */
	size_t n, cap;
};
enum cmp_health_state { CH_UP, CH_DOWN, CH_DRAIN };
/* A decision log's health line: server reported PoP pop in state at ms. */
struct cmp_health {
	int64_t ms;
	int pop;
	uint8_t state;            /* enum cmp_health_state */
	char *server;             /* owned */
};
#define CMP_FAILOVER_GAP_MS 10000   /* --failover-gap default: 10 s */

struct cmp_ctx {
	const struct geo_config *geo;   /* borrowed: PoPs */
	const struct geotree *loc;      /* borrowed, may be NULL: locates addresses */
	size_t n_pops;
	FILE *errf;                     /* where file:line messages go (stderr) */
	unsigned max_msgs;              /* per file, then a summary line */
	bool progress;                  /* a progress line on errf (a terminal) */

	struct cmp_obs *obs;            /* distinct observations, each with its count */
	size_t n_obs, cap_obs;
	size_t last_obs;                /* index of the entry the last cmp_add_obs hit */
	uint32_t *obs_index;            /* open-addressing table over obs (index + 1) */
	size_t index_cap;               /* power of two, or 0 */
	struct cmp_rtt_row *rows;
	size_t n_rows, cap_rows;
	struct cmp_file *files;
	size_t n_files, cap_files;
	struct cmp_atlas_stats atlas;
	struct cmp_tslot *tslots;       /* the time series, one slot per group and second */
	size_t n_tslots, cap_tslots, last_tslot;
	uint32_t *tindex;               /* open addressing over tslots (index + 1) */
	size_t tindex_cap;
	struct cmp_scratch *scratch;    /* for rating while reading */
	size_t rows_sorted;             /* rows[0..rows_sorted) sorted by key */
	struct cmp_resolver *resolvers; /* per resolver, decision logs */
	size_t n_resolvers, cap_resolvers;
	uint32_t *rindex;               /* open addressing over resolvers (index + 1) */
	size_t rindex_cap;
	char **labels;                  /* clients of the per-client table (VP, probe) */
	size_t n_labels, cap_labels;
	size_t unknown_pop;             /* chosen PoP names not in the config */
	size_t resolver_ecs_unknown;    /* probe resolver answers without "ecs": filed
	                                 * as geodns-resolver */
	size_t ecs_direct_superseded;   /* probe direct ECS answers not counted: the same
	                                 * line's resolver sent ECS (counted instead) */
	size_t ecs_unused;              /* decision-log geodns answers whose query carried
	                                 * ECS the server did not use */
	int64_t gap_ms;                 /* runs break at silences longer than this */
	struct cmp_runs *runs;          /* [group * n_pops + pop], NULL until the first */
	struct cmp_health *health;      /* health lines, in reading order */
	size_t n_health, cap_health;
};

/* A context over geo's PoPs (geo must have pops); loc may be NULL (then
 * only sources that carry their own location are located). Messages go
 * to errf. Caller owns: cmp_ctx_free(). NULL on out of memory. */
struct cmp_ctx *cmp_ctx_new(const struct geo_config *geo, const struct geotree *loc, FILE *errf);

void cmp_ctx_free(struct cmp_ctx *c);

/*
 * Read one input file, detecting its format from its first valid line
 * (compare/cmp_input.c). Malformed lines are counted in the file's entry
 * and reported as "path:line: message" to errf. Returns 0, or -1 when the
 * file cannot be read or is in no known format (message on errf naming
 * the file).
 */
int cmp_read_file(struct cmp_ctx *c, const char *path);

/* Write c's read state to path as a partial file, which cmp_read_file
 * accepts as an input (compare/cmp_partial.c). 0, or -1 with err. */
int cmp_save_partial(const struct cmp_ctx *c, const char *path, char *err, size_t errlen);

/* Grow *arr (n elements of sz bytes, room for *cap) to hold one more:
 * doubling, from 64. 0, or -1 out of memory (arr unchanged). */
int cmp_grow(void **arr, size_t *cap, size_t n, size_t sz);

/* compare/cmp_time.c. A line's "ts" (RFC 3339 UTC) as Unix ms, or
 * CMP_NO_TS. */
int64_t cmp_parse_ts(const char *s);
/* Rate o now (the RTT rows read so far) and count it in its second. held:
 * the context's entry o was just folded into (c->obs[c->last_obs]), whose
 * rating is kept while the RTT rows do not change; or NULL. */
int cmp_time_add(struct cmp_ctx *c, const struct cmp_obs *o, struct cmp_obs *held, int64_t ts_ms);
/* compare/cmp_failover.c. Count n answers of group g with PoP pop over
 * [first, last] (one answer: first == last). 0, -1 out of memory. */
int cmp_presence_add(struct cmp_ctx *c, int g, int pop, int64_t first, int64_t last, uint64_t n);
/* Keep a health report (server copied). 0, -1 out of memory. */
int cmp_health_add(struct cmp_ctx *c, int64_t ms, const char *server, int pop, int state);
/* Add a slot's counts (partial files). */
int cmp_tslot_add(struct cmp_ctx *c, const struct cmp_tslot *add);
/* True when path's first line is the RTT CSV header (read those first:
 * the time series rates lines as they are read). */
bool cmp_file_is_rtt_csv(const char *path);

/* Add add's counts to the resolver add->addr (new if unknown). 0, -1 OOM. */
int cmp_resolver_add(struct cmp_ctx *c, const struct cmp_resolver *add);

/* The per-client label id of name (added if new): 1 + index; 0 on OOM. */
uint32_t cmp_label(struct cmp_ctx *c, const char *name);

/* A new file entry for path (compare/cmp_input.c); NULL out of memory. */
struct cmp_file *cmp_add_file(struct cmp_ctx *c, const char *path);

/* --- helpers shared by the readers (compare/cmp_ctx.c) --- */

/* Index of the PoP named name, or -1. */
int cmp_pop_by_name(const struct cmp_ctx *c, const char *name);
/* Index of the PoP whose identity (NSID) is id (len bytes), or -1. */
int cmp_pop_by_identity(const struct cmp_ctx *c, const char *id, size_t len);
/* Index of the PoP with unicast address text addr, or -1. */
int cmp_pop_by_addr(const struct cmp_ctx *c, const char *addr);
/* Join key of an address text ("a.b.c.d" or IPv6, optionally "/len"):
 * truncated to /24 or /56. Returns 0, or -1 when it is no address. */
int cmp_subnet_key(const char *text, struct cmp_key *k);
void cmp_probe_key(uint32_t prb_id, struct cmp_key *k);
/* "addr" or "addr/len" to 16 bytes (IPv4 as ::ffff:a.b.c.d, length + 96),
 * bits past the length cleared. 0, or -1 when it is no prefix. */
int cmp_prefix_parse(const char *text, uint8_t a[16], unsigned *len);
/* Fill o's location from the DB for address text (no-op without a DB or
 * an unparsable address; never overwrites known fields). */
void cmp_locate(const struct cmp_ctx *c, const char *addr, struct cmp_obs *o);
/* Add o->count (1 when 0) observations like o. Observations without their
 * own RTT vector that equal one already held (every field but count) are
 * folded into it, so memory grows with distinct clients, not lines; one
 * with an RTT vector (probe lines) is appended and owns it (o->rtt
 * ownership moves). 0, or -1 out of memory. */
int cmp_add_obs(struct cmp_ctx *c, const struct cmp_obs *o);
int cmp_add_rtt(struct cmp_ctx *c, const struct cmp_key *k, int pop, double rtt);
/* An observation with defaults (no RTTs, no location, experienced NAN). */
void cmp_obs_init(struct cmp_obs *o, enum cmp_group g, int chosen);

#endif
