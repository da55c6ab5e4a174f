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

static int cmp_row(const void *a, const void *b)
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
	struct dvec lat;
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
};

/* RTTs of a joined observation: per PoP the minimum over the rows with
 * its key (rows sorted by key), NAN where none. */
static void joined_rtts(const struct cmp_ctx *c, const struct cmp_rtt_row *rows,
                        const struct cmp_key *k, double *rtt)
{
	size_t lo = 0, hi = c->n_rows;
	for (size_t i = 0; i < c->n_pops; i++)
		rtt[i] = NAN;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(&rows[mid].key, k, sizeof(*k)) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < c->n_rows && !memcmp(&rows[i].key, k, sizeof(*k)); i++) {
		int p = rows[i].pop;
		if (isnan(rtt[p]) || rows[i].rtt < rtt[p])
			rtt[p] = rows[i].rtt;
	}
}

/* The lowest-RTT PoP when o's RTT vector is complete (every PoP measured:
 * a number, or INFINITY for no reply) and some PoP replied; -1 otherwise,
 * with *partial set when some but not all PoPs were measured. */
static int best_by_rtt(size_t n_pops, const double *rtt, bool *partial)
{
	size_t measured = 0;
	int best = -1;
	*partial = false;
	for (size_t i = 0; rtt && i < n_pops; i++) {
		if (isnan(rtt[i]))
			continue;
		measured++;
		if (isfinite(rtt[i]) && (best < 0 || rtt[i] < rtt[best]))
			best = (int)i;
	}
	if (measured == n_pops)
		return best;
	*partial = measured > 0;
	return -1;
}

/* Rate o and add it to its group (rules in compare/formats.md). */
static int rate(const struct cmp_ctx *c, const struct cmp_obs *o, const double *rtt,
                const struct geo_point *pts, size_t *order, double *dist,
                struct cmp_group_fig *g, struct gacc *acc)
{
	int nearest = -1, optimal = -1;
	bool have_lat = false, partial;
	double lat_infl = 0;

	const uint64_t w = o->count;
	g->samples += w;
	struct bacc *bc = bucket(&acc->cont, o->continent);
	struct bacc *bn = bucket(&acc->country, o->country);
	if (!bc || !bn)
		return -1;
	bc->b.samples += w;
	bn->b.samples += w;
	if (o->at_resolver) {
		g->unrated_resolver += w;
		return 0;
	}
	int best = best_by_rtt(c->n_pops, rtt, &partial);
	g->partial_rtt += partial ? w : 0;
	if (o->has_coords) {
		geo_rank(o->lat, o->lon, pts, c->n_pops, order, dist);
		nearest = (int)order[0];
		if (dvec_push(&acc->km, dist[o->chosen] - dist[nearest], w) < 0)
			return -1;
	}
	if (best >= 0) {
		optimal = best;
		g->by_rtt += w;
		double chosen_rtt = !isnan(o->experienced) ? o->experienced : rtt[o->chosen];
		if (isfinite(chosen_rtt)) {
			have_lat = true;
			lat_infl = chosen_rtt - rtt[best];
			if (lat_infl < 0)
				lat_infl = 0;
			if (dvec_push(&acc->lat, lat_infl, w) < 0)
				return -1;
		}
	} else if (nearest >= 0) {
		optimal = nearest;
		g->by_dist += w;
	}
	if (optimal < 0)
		return 0;
	g->rated += w;
	g->confusion[(size_t)o->chosen * c->n_pops + (size_t)optimal] += w;
	uint64_t hit = o->chosen == optimal ? w : 0;
	g->hits += hit;
	bc->b.rated += w;
	bn->b.rated += w;
	bc->b.hits += hit;
	bn->b.hits += hit;
	if (have_lat &&
	    (dvec_push(&bc->lat, lat_infl, w) < 0 || dvec_push(&bn->lat, lat_infl, w) < 0))
		return -1;
	return 0;
}

struct cmp_report *cmp_report_build(const struct cmp_ctx *c, unsigned min_samples)
{
	struct cmp_report *r = calloc(1, sizeof(*r));
	struct gacc acc[CG_N];
	size_t np = c->n_pops ? c->n_pops : 1;
	struct cmp_rtt_row *rows = NULL;
	struct geo_point *pts = calloc(np, sizeof(*pts));
	size_t *order = calloc(np, sizeof(*order));
	double *dist = calloc(np, sizeof(*dist));
	double *rtt = calloc(np, sizeof(*rtt));
	int ok = 0;

	memset(acc, 0, sizeof(acc));
	if (!r || !pts || !order || !dist || !rtt)
		goto out;
	r->ctx = c;
	r->min_samples = min_samples;
	r->n_pops = c->n_pops;
	for (size_t i = 0; i < c->n_pops; i++) {
		pts[i].lat = c->geo->pops[i].lat;
		pts[i].lon = c->geo->pops[i].lon;
	}
	for (int g = 0; g < CG_N; g++)
		if (!(r->g[g].confusion = calloc(np * np, sizeof(size_t))))
			goto out;
	/* The ctx is const to callers; sort a copy of its rows for lookup. */
	if (c->n_rows) {
		rows = malloc(c->n_rows * sizeof(*rows));
		if (!rows)
			goto out;
		memcpy(rows, c->rows, c->n_rows * sizeof(*rows));
		qsort(rows, c->n_rows, sizeof(*rows), cmp_row);
	}
	for (size_t i = 0; i < c->n_obs; i++) {
		const struct cmp_obs *o = &c->obs[i];
		const double *rv = o->rtt;
		if (o->join == CJ_SUBNET || o->join == CJ_PROBE) {
			joined_rtts(c, rows, &o->key, rtt);
			rv = rtt;
		}
		if (rate(c, o, rv, pts, order, dist, &r->g[o->group], &acc[o->group]) < 0)
			goto out;
	}
	ok = 1;
out:
	for (int g = 0; g < CG_N; g++) {
		if (r) {
			dist_finish(&acc[g].lat, &r->g[g].lat);
			dist_finish(&acc[g].km, &r->g[g].km);
			r->g[g].continents = bset_finish(&acc[g].cont, &r->g[g].n_continents);
			r->g[g].countries = bset_finish(&acc[g].country, &r->g[g].n_countries);
		} else {
			free(acc[g].lat.v);
			free(acc[g].km.v);
		}
	}
	free(rows);
	free(pts);
	free(order);
	free(dist);
	free(rtt);
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
	}
	free(r);
}
