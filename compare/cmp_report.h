/*
 * cmp_report.h: the figures of `steerdns compare`, computed from a read
 * context (compare/cmp_ctx.h), and the three writers over them.
 *
 * Rating one observation (a client sent to PoP `chosen` by a method):
 *  - optimal PoP: the lowest-RTT PoP where RTTs to at least one PoP exist
 *    for the client (basis "rtt"), else the nearest PoP by great-circle
 *    distance from the client's location (basis "distance"), else none
 *    (the observation is counted as unrated). Ties go to the PoP listed
 *    first in the config.
 *  - hit: chosen == optimal.
 *  - latency inflation (basis rtt, and the chosen path's RTT known):
 *    max(0, RTT on the chosen path - lowest RTT). The chosen path is the
 *    anycast address for a probe's anycast result, else the chosen PoP.
 *  - distance inflation (client located): distance to the chosen PoP -
 *    distance to the nearest PoP, km (never negative).
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
#include <stdio.h>

#include "compare/cmp_ctx.h"

/* The legend printed with every report (text, JSON, HTML). */
#define CMP_PERCENTILE_LEGEND                                                                     \
	"percentiles are nearest-rank: pN of n sorted values is the value at rank ceil(N*n/100)"

/* A distribution of values (latency or distance inflation). */
struct cmp_dist {
	size_t n;
	double median, p90, p99, mean;
	double over10, over25;   /* share of values > 10 and > 25 (strictly) */
	double *sorted;          /* the n values ascending, for the CDF (owned) */
};

/* One row of a breakdown by continent or country. */
struct cmp_bucket {
	char key[3];             /* ISO code, "??" when unknown */
	size_t samples, rated, hits;
	size_t n_lat;            /* latency inflation values ... */
	double lat_median;       /* ... and their median (0 when n_lat is 0) */
};

struct cmp_group_fig {
	size_t samples;          /* observations of this method / arm */
	size_t rated;            /* with an optimal PoP (by_rtt + by_dist) */
	size_t by_rtt, by_dist;  /* the basis of the optimal PoP */
	size_t hits;             /* rated and chosen == optimal */
	struct cmp_dist lat;     /* latency inflation, ms */
	struct cmp_dist km;      /* distance inflation, km */
	size_t *confusion;       /* n_pops * n_pops: [chosen * n_pops + optimal] */
	struct cmp_bucket *continents, *countries;   /* sorted by key */
	size_t n_continents, n_countries;
};

struct cmp_report {
	const struct cmp_ctx *ctx;   /* borrowed: PoPs, files, Atlas counts */
	unsigned min_samples;        /* figures on fewer samples are "few samples" */
	size_t n_pops;
	struct cmp_group_fig g[CG_N];
};

/* p-th percentile (0 < p <= 100) of sorted[0..n-1], nearest-rank; 0 when
 * n is 0. */
double cmp_percentile(const double *sorted, size_t n, unsigned p);

/* Join and rate every observation of c (phase two). c must outlive the
 * report. NULL on out of memory. Caller owns: cmp_report_free(). */
struct cmp_report *cmp_report_build(const struct cmp_ctx *c, unsigned min_samples);

void cmp_report_free(struct cmp_report *r);

/* True when a figure on n samples is to be marked "(few samples)". */
static inline bool cmp_few(const struct cmp_report *r, size_t n)
{
	return n < r->min_samples;
}

/* The terminal report (compare/cmp_text.c). */
void cmp_report_text(const struct cmp_report *r, FILE *out);

/* Every figure as JSON into path (compare/cmp_json.c). 0, or -1 with err. */
int cmp_report_json(const struct cmp_report *r, const char *path, char *err, size_t errlen);

/* One self-contained HTML page with inline CSS and SVG charts: the CDF of
 * latency inflation per method, hit rate by continent
 * (compare/cmp_html.c). 0, or -1 with err. */
int cmp_report_html(const struct cmp_report *r, const char *path, char *err, size_t errlen);

#endif
