/*
 * cmp_report.h: the figures of `steerdns compare`, computed from a read
 * context (compare/cmp_ctx.h), and the three writers over them.
 *
 * Rating one observation (a client sent to PoP `chosen` by a method; the
 * full rules, per input format, are in compare/formats.md):
 *  - optimal PoP: the lowest-RTT PoP when the client has an RTT to every
 *    PoP (a number, or no reply at all: never the optimal) (basis "rtt");
 *    else the nearest PoP by great-circle distance from the client's
 *    location (basis "distance"; RTTs to only some PoPs are counted as
 *    "partial RTTs" and not used); else none (unrated). An answer located
 *    only at its resolver (a decision-log GeoDNS answer steered by the
 *    resolver's address) is never rated. Ties go to the PoP listed first.
 *  - hit: chosen == optimal.
 *  - latency inflation (basis rtt, and the chosen path's RTT known):
 *    max(0, RTT on the chosen path - lowest RTT). The chosen path is the
 *    anycast address for a probe's anycast result, else the chosen PoP.
 *  - distance inflation (client located): distance to the chosen PoP -
 *    distance to the nearest PoP, km (never negative).
 *
 * Intervals are 95%: a hit rate k/n has the Wilson score interval
 * (centre (p + z^2/2n) / (1 + z^2/n), half-width
 * z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2), z = 1.959964); the
 * difference of two hit rates Newcombe's hybrid score interval from the
 * two Wilson intervals (d - sqrt((p1-l1)^2 + (u2-p2)^2),
 * d + sqrt((u1-p1)^2 + (p2-l2)^2)), significant when it excludes 0; the
 * q-th percentile of n values the order statistics at ranks
 * floor(nq - z sqrt(nq(1-q))) and ceil(nq + z sqrt(nq(1-q))) + 1, clamped
 * to 1..n. A figure on no samples is NAN, printed "n/a" (JSON null).
 *
 * Percentiles are nearest-rank: of n values sorted ascending, the p-th
 * percentile is the value at 1-based rank ceil(p * n / 100) (at least 1).
 * So the median of 4 values is the 2nd smallest, never an average, and
 * every figure is one of the measured values.
 */
#ifndef STEERDNS_CMP_REPORT_H
#define STEERDNS_CMP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compare/cmp_ctx.h"

/* The legend printed with every report (text, JSON, HTML). */
#define CMP_PERCENTILE_LEGEND                                                                     \
	"percentiles are nearest-rank: pN of n sorted values is the value at rank ceil(N*n/100)"

/* One distinct value of a distribution and how many samples have it. */
struct cmp_wv {
	double v;
	uint64_t w;
};

/* A distribution of values (latency or distance inflation). */
struct cmp_dist {
	size_t n;                /* samples */
	double median, p90, p99, mean;
	double over10, over25;   /* share of values > 10 and > 25 (strictly) */
	double median_lo, median_hi, p90_lo, p90_hi;   /* 95% intervals */
	struct cmp_wv *vals;     /* the distinct values ascending, weights summing to n,
	                          * for the CDF (owned) */
	size_t n_vals;
};

/* One row of a breakdown by continent or country. */
struct cmp_bucket {
	char key[3];             /* ISO code, "??" when unknown */
	size_t samples, rated, hits;
	size_t n_lat;            /* latency inflation values ... */
	double lat_median;       /* ... and their median (NAN when n_lat is 0) */
	size_t n_miss_lat, n_miss_km;           /* among misses: */
	double miss_lat_median, miss_lat_p90;   /* latency inflation, ms */
	double miss_km_median, miss_km_p90;     /* distance inflation, km */
};

/* The countries one PoP receives under one method (catchment). */
struct cmp_catch {
	struct cmp_bucket *b;    /* samples per country, sorted by key */
	size_t n;
};

struct cmp_group_fig {
	size_t samples;          /* observations of this method / arm */
	size_t rated;            /* with an optimal PoP (by_rtt + by_dist) */
	size_t by_rtt, by_dist;  /* the basis of the optimal PoP */
	size_t partial_rtt;      /* RTTs to some PoPs but not all: not rated by RTT */
	size_t unrated_resolver; /* located at the resolver only: not rated */
	size_t hits;             /* rated and chosen == optimal */
	struct cmp_dist lat;     /* latency inflation, ms */
	struct cmp_dist km;      /* distance inflation, km */
	size_t *confusion;       /* n_pops * n_pops: [chosen * n_pops + optimal] */
	struct cmp_bucket *continents, *countries;   /* sorted by key */
	struct cmp_catch *catchment;                 /* per PoP (n_pops) */
	size_t n_continents, n_countries;
};

/* Time series: n_bins bins of bin_s seconds from start (Unix s), each
 * with the counts of every group: bins[bin * CG_N + group]. */
#define CMP_SERIES_MAX_BINS 48
struct cmp_series {
	int64_t start, bin_s;
	size_t n_bins;
	struct cmp_tslot *bins;
};

/* Scratch space for rating (compare/cmp_rate.c). */
#include "geodns/distance.h"
struct cmp_scratch {
	struct geo_point *pts;
	size_t *order;
	double *dist, *rtt;
};

/* One observation rated. */
struct cmp_rating {
	bool partial;             /* RTTs to some PoPs, not all */
	bool by_rtt, by_dist;     /* the basis of optimal */
	int optimal;              /* -1: unrated */
	bool have_lat, have_km;
	double lat, km;           /* latency (ms) and distance (km) inflation */
};

int cmp_scratch_init(struct cmp_scratch *s, const struct cmp_ctx *c);
void cmp_scratch_free(struct cmp_scratch *s);
/* The RTT vector of o: its own, or joined from rows (sorted by key) into
 * s->rtt. */
const double *cmp_obs_rtts(const struct cmp_ctx *c, const struct cmp_obs *o,
                           const struct cmp_rtt_row *rows, size_t n_rows, struct cmp_scratch *s);
void cmp_rate_obs(const struct cmp_ctx *c, const struct cmp_obs *o, const double *rtt,
                  struct cmp_scratch *s, struct cmp_rating *out);
/* qsort order of RTT rows: by key. */
int cmp_row_order(const void *a, const void *b);
/* Bins of the context's time slots (compare/cmp_time.c). 0, -1 OOM. */
int cmp_series_build(const struct cmp_ctx *c, struct cmp_series *s);

/* One row of the per-client table (probe and Atlas inputs): the client's
 * optimal PoP and what each method chose for it (-1: no answer). */
struct cmp_client_row {
	const char *client;       /* borrowed from the ctx */
	int optimal;              /* -1: unrated */
	bool by_rtt;
	int nearest;              /* by distance, -1 unlocated */
	int chosen[CG_N];
	double km[CG_N];          /* distance inflation, NAN unknown */
};

/* What one method did during one failover window (compare/formats.md
 * "Failover windows"). */
enum cmp_fo_status {
	FO_NA,        /* it sent no client to the PoP near the window */
	FO_STOPPED,   /* its last answer with the PoP was at last_ms */
	FO_THROUGH,   /* it kept sending clients there to the window's end */
};
struct cmp_fo_method {
	uint8_t status;           /* enum cmp_fo_status */
	int64_t last_ms;          /* FO_STOPPED: the last answer with the PoP */
	int64_t kept_ms;          /* STOPPED: last_ms - start (0 if before it);
	                           * THROUGH: end - start */
	bool resumed;             /* it answered with the PoP again inside the window */
};
struct cmp_failover {
	int pop;
	bool reported;            /* health lines said so; else inferred */
	int64_t start_ms, end_ms; /* [start, end); end: the data's end when open */
	bool open;                /* no end seen (never reported up / never back) */
	struct cmp_fo_method m[CG_N];
};
/* Every window of c's runs and health reports, ordered by start then PoP.
 * 0, -1 out of memory (compare/cmp_failover.c). */
int cmp_failover_build(const struct cmp_ctx *c, struct cmp_failover **out, size_t *n);
/* The windows as text, HTML (the first CMP_MAX_FAILOVER_ROWS) or a JSON
 * value (all of them) (compare/cmp_failover_out.c). */
#define CMP_MAX_FAILOVER_ROWS 100
struct cmp_report;
void cmp_write_failover(const struct cmp_report *r, FILE *o, bool html);
struct json_t;
struct json_t *cmp_failover_json(const struct cmp_report *r);

struct cmp_report {
	const struct cmp_ctx *ctx;   /* borrowed: PoPs, files, Atlas counts */
	unsigned min_samples;        /* figures on fewer samples are "few samples" */
	size_t n_pops;
	struct cmp_group_fig g[CG_N];
	struct cmp_series series;
	struct cmp_client_row *clients;   /* one per ctx label, in input order */
	size_t n_clients;
	struct cmp_failover *failover;    /* failover windows (cmp_failover.c) */
	size_t n_failover;
};

/* p-th percentile (0 < p <= 100) of sorted[0..n-1], nearest-rank; NAN
 * (printed n/a) when n is 0. */
double cmp_percentile(const double *sorted, size_t n, unsigned p);

/* The value at 1-based rank (1..d->n) of d's values; NAN beyond. */
double cmp_dist_at_rank(const struct cmp_dist *d, size_t rank);

/* Join and rate every observation of c (phase two). c must outlive the
 * report. NULL on out of memory. Caller owns: cmp_report_free(). */
struct cmp_report *cmp_report_build(const struct cmp_ctx *c, unsigned min_samples);

void cmp_report_free(struct cmp_report *r);

/* compare/cmp_ci.c: 95% Wilson interval of k/n (NAN, NAN for n = 0). */
void cmp_wilson(size_t k, size_t n, double *lo, double *hi);
/* k1/n1 - k2/n2 and its 95% interval (Newcombe); NAN when n1 or n2 is 0. */
void cmp_diff_ci(size_t k1, size_t n1, size_t k2, size_t n2, double *d, double *lo, double *hi);
/* 1-based ranks of the 95% interval of the p-th percentile of n values
 * (0, 0 for n = 0). */
void cmp_rank_ci(size_t n, unsigned p, size_t *lo, size_t *hi);

/* True when a figure on n samples is to be marked "(few samples)". */
static inline bool cmp_few(const struct cmp_report *r, size_t n)
{
	return n < r->min_samples;
}

/* One pair of groups compared: a - b. */
struct cmp_pair_fig {
	int a, b;                      /* enum cmp_group */
	double diff, lo, hi;           /* hit rate a - b and its 95% interval */
	bool significant;              /* the interval excludes 0 */
	double median_diff, p90_diff;  /* latency inflation, ms (NAN: n/a) */
};

/* compare/cmp_fmt.c. v with prec decimals, "n/a" for NAN; returns buf. */
const char *cmp_fmt_num(char *buf, size_t cap, double v, int prec);
/* "1.0 [0.0-70.0]": a percentile and its interval; "n/a" for NAN. */
const char *cmp_fmt_dist(char *buf, size_t cap, double v, double lo, double hi);
/* Every pair's difference, as a text block or an HTML table. */
void cmp_write_differences(const struct cmp_report *r, FILE *o, bool html);
/* "60.0% [23.1-88.2] (3/5)": hit rate, Wilson 95% interval, count; "n/a (0/0)". */
const char *cmp_fmt_rate(char *buf, size_t cap, size_t k, size_t n);
/* The pairs compared (anycast - geodns-ecs, ab:anycast - ab:geodns,
 * anycast - geodns-resolver, geodns-resolver - geodns-ecs): pair i into
 * out; false when either side has no rated sample (out still filled). */
size_t cmp_n_pairs(void);
bool cmp_pair(const struct cmp_report *r, size_t i, struct cmp_pair_fig *out);
/* One sentence: the first pair with rated samples on both sides. */
void cmp_verdict(const struct cmp_report *r, char *buf, size_t cap);

/* The ClickHouse query for the main figures of decision logs in table
 * (compare/cmp_sql.c), the config's PoPs in geo. 0. */
struct geo_config;
int cmp_sql_clickhouse(const struct geo_config *geo, const char *table, FILE *o);

/* "2026-11-22T10:00:00Z" of Unix seconds. */
const char *cmp_fmt_time(char *buf, size_t cap, int64_t sec);
/* "2026-11-22T10:00:12.100Z" of Unix milliseconds. */
const char *cmp_fmt_time_ms(char *buf, size_t cap, int64_t ms);
/* The time series as text lines (compare/cmp_fmt.c). */
void cmp_write_series_text(const struct cmp_report *r, FILE *o);

/* The breakdown by continent (continents true) or country with the
 * methods side by side, rows sorted by samples (compare/cmp_fmt.c). */
void cmp_write_side_by_side(const struct cmp_report *r, FILE *o, bool html, bool continents);

/* Text with &, <, >, " escaped for the HTML report (compare/cmp_html.c). */
void cmp_html_esc(FILE *o, const char *s);
/* Per PoP, the countries it receives under each method (cmp_fmt.c). */
void cmp_write_catchment(const struct cmp_report *r, FILE *o, bool html);
/* The per-resolver view, the top resolvers by answers (cmp_resolvers.c). */
void cmp_write_resolvers(const struct cmp_report *r, FILE *o, bool html, size_t top);
/* The per-client table (compare/cmp_fmt.c): the first CMP_MAX_CLIENT_ROWS
 * clients (the JSON has all). */
#define CMP_MAX_CLIENT_ROWS 200
void cmp_write_clients(const struct cmp_report *r, FILE *o, bool html);

/* The terminal report (compare/cmp_text.c). */
void cmp_report_text(const struct cmp_report *r, FILE *out);

/* Every figure as JSON into path (compare/cmp_json.c). 0, or -1 with err. */
int cmp_report_json(const struct cmp_report *r, const char *path, char *err, size_t errlen);

/* One self-contained HTML page with inline CSS and SVG charts: the CDF of
 * latency inflation per method, hit rate by continent
 * (compare/cmp_html.c). 0, or -1 with err. */
int cmp_report_html(const struct cmp_report *r, const char *path, char *err, size_t errlen);

#endif
