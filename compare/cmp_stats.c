/*
 * cmp_stats.c: phase two of `steerdns compare`: join each observation to
 * its RTTs, rate it (see compare/cmp_report.h for the definitions) and sum
 * the figures per method / arm and per continent and country.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cmp_report.h"
#include "geodns/distance.h"
#include "geodns/geo_config.h"

/* 1-based nearest rank of the p-th percentile of n values. */
static size_t pct_rank(size_t n, unsigned p)
{
	/* rank = ceil(p * n / 100) in integers, so no rounding error can
	 * move it (0.9 * 10 in floating point is not exactly 9). */
	size_t rank = ((size_t)p * n + 99) / 100;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return rank;
}

double cmp_percentile(const double *sorted, size_t n, unsigned p)
{
	return n ? sorted[pct_rank(n, p) - 1] : NAN;
}

double cmp_dist_at_rank(const struct cmp_dist *d, size_t rank)
{
	uint64_t cum = 0;
	for (size_t i = 0; i < d->n_vals; i++) {
		cum += d->vals[i].w;
		if (cum >= rank)
			return d->vals[i].v;
	}
	return NAN;
}

static int cmp_wv(const void *a, const void *b)
{
	const struct cmp_wv *x = a, *y = b;
	if (x->v != y->v)
		return (x->v > y->v) - (x->v < y->v);
	return (x->w > y->w) - (x->w < y->w);
}

int cmp_row_order(const void *a, const void *b)
{
	return memcmp(&((const struct cmp_rtt_row *)a)->key, &((const struct cmp_rtt_row *)b)->key,
	              sizeof(struct cmp_key));
}

/* A growable list of values, each with its weight (how many samples). */
struct dvec {
	struct cmp_wv *v;
	size_t n, cap;
};

static int dvec_push(struct dvec *d, double x, uint64_t w)
{
	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 32;
		struct cmp_wv *p = realloc(d->v, nc * sizeof(*p));
		if (!p)
			return -1;
		d->v = p;
		d->cap = nc;
	}
	d->v[d->n].v = x;
	d->v[d->n].w = w;
	d->n++;
	return 0;
}

/* Sort d by value (then weight, so that the sums below add in an order
 * that does not depend on the input order: shards merged give the same
 * bits as one pass) and fold equal values. Returns the total weight. */
static uint64_t dvec_sort(struct dvec *d)
{
	uint64_t total = 0;
	size_t k = 0;
	if (d->n)  /* qsort(NULL, 0) is undefined */
		qsort(d->v, d->n, sizeof(*d->v), cmp_wv);
	for (size_t i = 0; i < d->n; i++) {
		total += d->v[i].w;
		if (k && d->v[k - 1].v == d->v[i].v)
			d->v[k - 1].w += d->v[i].w;
		else
			d->v[k++] = d->v[i];
	}
	d->n = k;
	return total;
}

/* Summarise d into out; out takes d's array. */
static void dist_finish(struct dvec *d, struct cmp_dist *out)
{
	double sum = 0;
	uint64_t o10 = 0, o25 = 0;
	/* Sum before folding equal values, in (value, weight) order. */
	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), cmp_wv);
	for (size_t i = 0; i < d->n; i++) {
		sum += d->v[i].v * (double)d->v[i].w;
		o10 += d->v[i].v > 10 ? d->v[i].w : 0;
		o25 += d->v[i].v > 25 ? d->v[i].w : 0;
	}
	uint64_t n = dvec_sort(d);
	out->n = (size_t)n;
	out->vals = d->v;
	out->n_vals = d->n;
	out->median = n ? cmp_dist_at_rank(out, pct_rank(n, 50)) : NAN;
	out->p90 = n ? cmp_dist_at_rank(out, pct_rank(n, 90)) : NAN;
	out->p99 = n ? cmp_dist_at_rank(out, pct_rank(n, 99)) : NAN;
	out->mean = n ? sum / (double)n : NAN;
	size_t lo, hi;
	cmp_rank_ci(n, 50, &lo, &hi);
	out->median_lo = n ? cmp_dist_at_rank(out, lo) : NAN;
	out->median_hi = n ? cmp_dist_at_rank(out, hi) : NAN;
	cmp_rank_ci(n, 90, &lo, &hi);
	out->p90_lo = n ? cmp_dist_at_rank(out, lo) : NAN;
	out->p90_hi = n ? cmp_dist_at_rank(out, hi) : NAN;
	out->over10 = n ? (double)o10 / (double)n : NAN;
	out->over25 = n ? (double)o25 / (double)n : NAN;
	d->v = NULL;
	d->n = d->cap = 0;
}

/* Buckets of one breakdown while summing: latency values kept per bucket
 * for its median. */
struct bacc {
	struct cmp_bucket b;
	struct dvec lat, miss_lat, miss_km;
};

struct bset {
	struct bacc *a;
	size_t n, cap;
};

static struct bacc *bucket(struct bset *s, const char *key)
{
	char k[3] = { '?', '?', 0 };
	if (key[0])
		memcpy(k, key, 3);
	for (size_t i = 0; i < s->n; i++)
		if (!memcmp(s->a[i].b.key, k, 3))
			return &s->a[i];
	if (cmp_grow((void **)&s->a, &s->cap, s->n, sizeof(*s->a)) < 0)
		return NULL;
	struct bacc *b = &s->a[s->n++];
	memset(b, 0, sizeof(*b));
	memcpy(b->b.key, k, 3);
	return b;
}

static int cmp_bucket_key(const void *a, const void *b)
{
	return strcmp(((const struct cmp_bucket *)a)->key, ((const struct cmp_bucket *)b)->key);
}

/* Medians, then the plain rows sorted by key. */
static struct cmp_bucket *bset_finish(struct bset *s, size_t *n)
{
	struct cmp_bucket *out = calloc(s->n ? s->n : 1, sizeof(*out));
	for (size_t i = 0; i < s->n; i++) {
		struct bacc *a = &s->a[i];
		struct cmp_dist d;
		dist_finish(&a->lat, &d);
		a->b.n_lat = d.n;
		a->b.lat_median = d.median;
		free(d.vals);
		dist_finish(&a->miss_lat, &d);
		a->b.n_miss_lat = d.n;
		a->b.miss_lat_median = d.median;
		a->b.miss_lat_p90 = d.p90;
		free(d.vals);
		dist_finish(&a->miss_km, &d);
		a->b.n_miss_km = d.n;
		a->b.miss_km_median = d.median;
		a->b.miss_km_p90 = d.p90;
		free(d.vals);
		if (out)
			out[i] = a->b;
	}
	free(s->a);
	*n = out ? s->n : 0;
	if (out && *n)
		qsort(out, *n, sizeof(*out), cmp_bucket_key);
	return out;
}

struct gacc {
	struct dvec lat, km;
	struct bset cont, country;
	struct bset *catch;      /* per PoP: countries */
};

/* Rate o and add it to its group (rules in compare/formats.md). */
static int rate(const struct cmp_ctx *c, const struct cmp_obs *o, const double *rtt,
                struct cmp_scratch *sc, struct cmp_group_fig *g, struct gacc *acc)
{
	struct cmp_rating rt;
	const uint64_t w = o->count;

	cmp_rate_obs(c, o, rtt, sc, &rt);
	g->samples += w;
	struct bacc *bc = bucket(&acc->cont, o->continent);
	struct bacc *bn = bucket(&acc->country, o->country);
	if (!bc || !bn)
		return -1;
	bc->b.samples += w;
	bn->b.samples += w;
	struct bacc *bp = bucket(&acc->catch[o->chosen], o->country);
	if (!bp)
		return -1;
	bp->b.samples += w;
	g->unrated_resolver += o->at_resolver ? w : 0;
	g->partial_rtt += rt.partial ? w : 0;
	g->by_rtt += rt.by_rtt ? w : 0;
	g->by_dist += rt.by_dist ? w : 0;
	if (rt.have_km && dvec_push(&acc->km, rt.km, w) < 0)
		return -1;
	if (rt.have_lat && dvec_push(&acc->lat, rt.lat, w) < 0)
		return -1;
	if (rt.optimal < 0)
		return 0;
	g->rated += w;
	g->confusion[(size_t)o->chosen * c->n_pops + (size_t)rt.optimal] += w;
	uint64_t hit = o->chosen == rt.optimal ? w : 0;
	g->hits += hit;
	bc->b.rated += w;
	bn->b.rated += w;
	bc->b.hits += hit;
	bn->b.hits += hit;
	if (rt.have_lat &&
	    (dvec_push(&bc->lat, rt.lat, w) < 0 || dvec_push(&bn->lat, rt.lat, w) < 0))
		return -1;
	if (hit)
		return 0;
	if (rt.have_lat &&
	    (dvec_push(&bc->miss_lat, rt.lat, w) < 0 || dvec_push(&bn->miss_lat, rt.lat, w) < 0))
		return -1;
	if (rt.have_km &&
	    (dvec_push(&bc->miss_km, rt.km, w) < 0 || dvec_push(&bn->miss_km, rt.km, w) < 0))
		return -1;
	return 0;
}

/* What o says about its client's row of the per-client table. */
static void client_row(const struct cmp_ctx *c, const struct cmp_obs *o, const double *rtt,
                       struct cmp_scratch *sc, struct cmp_client_row *row)
{
	struct cmp_rating rt;
	cmp_rate_obs(c, o, rtt, sc, &rt);
	row->chosen[o->group] = o->chosen;
	row->km[o->group] = rt.have_km ? rt.km : NAN;
	if (rt.have_km)
		row->nearest = (int)sc->order[0];
	/* Anycast's own RTT (experienced) does not change the optimum, so
	 * every method of one client has the same one. */
	if (rt.optimal >= 0 && (row->optimal < 0 || rt.by_rtt)) {
		row->optimal = rt.optimal;
		row->by_rtt = rt.by_rtt;
	}
}

struct cmp_report *cmp_report_build(const struct cmp_ctx *c, unsigned min_samples)
{
	struct cmp_report *r = calloc(1, sizeof(*r));
	struct gacc acc[CG_N];
	size_t np = c->n_pops ? c->n_pops : 1;
	struct cmp_rtt_row *rows = NULL;
	struct cmp_scratch sc = { 0 };
	int ok = 0;

	memset(acc, 0, sizeof(acc));
	if (!r || cmp_scratch_init(&sc, c) < 0)
		goto out;
	r->ctx = c;
	r->min_samples = min_samples;
	r->n_pops = c->n_pops;
	for (int g = 0; g < CG_N; g++)
		if (!(r->g[g].confusion = calloc(np * np, sizeof(size_t))) ||
		    !(acc[g].catch = calloc(np, sizeof(*acc[g].catch))) ||
		    !(r->g[g].catchment = calloc(np, sizeof(*r->g[g].catchment))))
			goto out;
	/* The ctx is const to callers; sort a copy of its rows for lookup. */
	if (c->n_rows) {
		rows = malloc(c->n_rows * sizeof(*rows));
		if (!rows)
			goto out;
		memcpy(rows, c->rows, c->n_rows * sizeof(*rows));
		qsort(rows, c->n_rows, sizeof(*rows), cmp_row_order);
	}
	if (c->n_labels && !(r->clients = calloc(c->n_labels, sizeof(*r->clients))))
		goto out;
	r->n_clients = c->n_labels;
	for (size_t i = 0; i < r->n_clients; i++) {
		r->clients[i].client = c->labels[i];
		r->clients[i].optimal = r->clients[i].nearest = -1;
		for (int g = 0; g < CG_N; g++) {
			r->clients[i].chosen[g] = -1;
			r->clients[i].km[g] = NAN;
		}
	}
	for (size_t i = 0; i < c->n_obs; i++) {
		const struct cmp_obs *o = &c->obs[i];
		const double *rv = cmp_obs_rtts(c, o, rows, c->n_rows, &sc);
		if (rate(c, o, rv, &sc, &r->g[o->group], &acc[o->group]) < 0)
			goto out;
		if (o->client && o->client <= r->n_clients)
			client_row(c, o, rv, &sc, &r->clients[o->client - 1]);
	}
	if (r && cmp_series_build(c, &r->series) < 0)
		goto out;
	if (cmp_failover_build(c, &r->failover, &r->n_failover) < 0)
		goto out;
	ok = 1;
out:
	for (int g = 0; g < CG_N; g++) {
		if (r) {
			dist_finish(&acc[g].lat, &r->g[g].lat);
			dist_finish(&acc[g].km, &r->g[g].km);
			r->g[g].continents = bset_finish(&acc[g].cont, &r->g[g].n_continents);
			r->g[g].countries = bset_finish(&acc[g].country, &r->g[g].n_countries);
			for (size_t p = 0; acc[g].catch && r->g[g].catchment && p < c->n_pops; p++)
				r->g[g].catchment[p].b =
					bset_finish(&acc[g].catch[p], &r->g[g].catchment[p].n);
		} else {
			free(acc[g].lat.v);
			free(acc[g].km.v);
		}
	}
	for (int g = 0; g < CG_N; g++)
		free(acc[g].catch);
	free(rows);
	cmp_scratch_free(&sc);
	if (!ok) {
		cmp_report_free(r);
		return NULL;
	}
	return r;
}

void cmp_report_free(struct cmp_report *r)
{
	if (!r)
		return;
	for (int g = 0; g < CG_N; g++) {
		free(r->g[g].lat.vals);
		free(r->g[g].km.vals);
		free(r->g[g].confusion);
		free(r->g[g].continents);
		free(r->g[g].countries);
		for (size_t p = 0; r->g[g].catchment && p < r->n_pops; p++)
			free(r->g[g].catchment[p].b);
		free(r->g[g].catchment);
	}
	free(r->series.bins);
	free(r->clients);
	free(r->failover);
	free(r);
}
