/*
 * cmp_rate.c: rating one observation (compare/cmp_report.h has the
 * definitions, compare/formats.md the rules per input): its RTT vector
 * (own, or joined from the RTT rows by key), the optimal PoP and its
 * basis, latency and distance inflation. Used for the totals
 * (cmp_stats.c) and for the time series as lines are read (cmp_time.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cmp_report.h"
#include "geodns/distance.h"
#include "geodns/geo_config.h"

int cmp_scratch_init(struct cmp_scratch *s, const struct cmp_ctx *c)
{
	size_t np = c->n_pops ? c->n_pops : 1;
	s->pts = calloc(np, sizeof(*s->pts));
	s->order = calloc(np, sizeof(*s->order));
	s->dist = calloc(np, sizeof(*s->dist));
	s->rtt = calloc(np, sizeof(*s->rtt));
	if (!s->pts || !s->order || !s->dist || !s->rtt) {
		cmp_scratch_free(s);
		return -1;
	}
	for (size_t i = 0; i < c->n_pops; i++) {
		s->pts[i].lat = c->geo->pops[i].lat;
		s->pts[i].lon = c->geo->pops[i].lon;
	}
	return 0;
}

void cmp_scratch_free(struct cmp_scratch *s)
{
	free(s->pts);
	free(s->order);
	free(s->dist);
	free(s->rtt);
	memset(s, 0, sizeof(*s));
}

void cmp_scratch_free_ptr(struct cmp_scratch *s)
{
	if (s)
		cmp_scratch_free(s);
	free(s);
}

/* RTTs of a joined observation: per PoP the minimum over the rows with
 * its key (rows sorted by key), NAN where none. */
static void joined_rtts(size_t n_pops, const struct cmp_rtt_row *rows, size_t n_rows,
                        const struct cmp_key *k, double *rtt)
{
	size_t lo = 0, hi = n_rows;
	for (size_t i = 0; i < n_pops; i++)
		rtt[i] = NAN;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(&rows[mid].key, k, sizeof(*k)) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n_rows && !memcmp(&rows[i].key, k, sizeof(*k)); i++) {
		int p = rows[i].pop;
		if (isnan(rtt[p]) || rows[i].rtt < rtt[p])
			rtt[p] = rows[i].rtt;
	}
}

const double *cmp_obs_rtts(const struct cmp_ctx *c, const struct cmp_obs *o,
                           const struct cmp_rtt_row *rows, size_t n_rows, struct cmp_scratch *s)
{
	if (o->join != CJ_SUBNET && o->join != CJ_PROBE)
		return o->rtt;
	joined_rtts(c->n_pops, rows, n_rows, &o->key, s->rtt);
	return s->rtt;
}

/* The lowest-RTT PoP when the RTT vector is complete (every PoP measured:
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

void cmp_rate_obs(const struct cmp_ctx *c, const struct cmp_obs *o, const double *rtt,
                  struct cmp_scratch *s, struct cmp_rating *out)
{
	int nearest = -1;
	memset(out, 0, sizeof(*out));
	out->optimal = -1;
	if (o->at_resolver)
		return;
	int best = best_by_rtt(c->n_pops, rtt, &out->partial);
	if (o->has_coords) {
		geo_rank(o->lat, o->lon, s->pts, c->n_pops, s->order, s->dist);
		nearest = (int)s->order[0];
		out->have_km = true;
		out->km = s->dist[o->chosen] - s->dist[nearest];
	}
	if (best >= 0) {
		out->optimal = best;
		out->by_rtt = true;
		double chosen_rtt = !isnan(o->experienced) ? o->experienced : rtt[o->chosen];
		if (isfinite(chosen_rtt)) {
			out->have_lat = true;
			out->lat = chosen_rtt - rtt[best];
			if (out->lat < 0)
				out->lat = 0;
		}
	} else if (nearest >= 0) {
		out->optimal = nearest;
		out->by_dist = true;
	}
}
