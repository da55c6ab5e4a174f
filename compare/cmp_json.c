/*
 * cmp_json.c: every figure of `steerdns compare` as one JSON document
 * (--json FILE), built with jansson. Counts are integers, shares are
 * fractions 0..1, and each figure carries its sample count "n" and
 * "few_samples".
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "compare/cmp_report.h"
#include "geodns/geo_config.h"

/* A number, or null for a figure on no samples (jansson has no NaN). */
static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *interval(double lo, double hi)
{
	return isnan(lo) ? json_null() : json_pack("[o, o]", num(lo), num(hi));
}

static json_t *dist(const struct cmp_report *r, const struct cmp_dist *d, bool shares)
{
	json_t *o = json_pack("{s:I, s:b, s:o, s:o, s:o, s:o, s:o, s:o}", "n", (json_int_t)d->n,
	                      "few_samples", cmp_few(r, d->n), "median", num(d->median),
	                      "median_ci95", interval(d->median_lo, d->median_hi), "p90",
	                      num(d->p90), "p90_ci95", interval(d->p90_lo, d->p90_hi), "p99",
	                      num(d->p99), "mean", num(d->mean));
	if (o && shares) {
		json_object_set_new(o, "share_over_10ms", num(d->over10));
		json_object_set_new(o, "share_over_25ms", num(d->over25));
	}
	return o;
}

/* {"hits", "n", "value", "ci95", "few_samples"}; value and ci95 null for n = 0. */
static json_t *rate(const struct cmp_report *r, size_t k, size_t n)
{
	double lo, hi;
	cmp_wilson(k, n, &lo, &hi);
	return json_pack("{s:I, s:I, s:o, s:o, s:b}", "hits", (json_int_t)k, "n", (json_int_t)n,
	                 "value", num(n ? (double)k / (double)n : NAN), "ci95", interval(lo, hi),
	                 "few_samples", cmp_few(r, n));
}

static json_t *buckets(const struct cmp_report *r, const struct cmp_bucket *b, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(
			a, json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:b, s:I, s:o, s:b, s:{s:I, s:o, s:o, "
		                     "s:I, s:o, s:o}}",
		                     "key",
		                     b[i].key, "samples", (json_int_t)b[i].samples, "rated",
		                     (json_int_t)b[i].rated, "hits", (json_int_t)b[i].hits,
		                     "hit_rate",
		                     num(b[i].rated ? (double)b[i].hits / (double)b[i].rated : NAN),
		                     "hit_rate_detail", rate(r, b[i].hits, b[i].rated), "few_samples",
		                     cmp_few(r, b[i].rated), "latency_n", (json_int_t)b[i].n_lat,
		                     "latency_median_ms", num(b[i].lat_median), "latency_few_samples",
		                     cmp_few(r, b[i].n_lat), "misses", "latency_n",
		                     (json_int_t)b[i].n_miss_lat, "latency_median_ms",
		                     num(b[i].miss_lat_median), "latency_p90_ms",
		                     num(b[i].miss_lat_p90), "distance_n", (json_int_t)b[i].n_miss_km,
		                     "distance_median_km", num(b[i].miss_km_median),
		                     "distance_p90_km", num(b[i].miss_km_p90)));
	return a;
}

static json_t *clients(const struct cmp_report *r)
{
	const struct geo_config *geo = r->ctx->geo;
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->n_clients; i++) {
		const struct cmp_client_row *c = &r->clients[i];
		json_t *m = json_object();
		for (int g = 0; g < CG_N; g++) {
			if (c->chosen[g] < 0)
				continue;
			json_object_set_new(
				m, cmp_group_name[g],
				json_pack("{s:s, s:o, s:o}", "pop", geo->pops[c->chosen[g]].name, "ok",
			                  c->optimal < 0 ? json_null()
			                                 : json_boolean(c->chosen[g] == c->optimal),
			                  "distance_inflation_km", num(c->km[g])));
		}
		json_array_append_new(
			a, json_pack("{s:s, s:o, s:o, s:o, s:o}", "client", c->client, "optimal",
		                     c->optimal < 0 ? json_null() : json_string(geo->pops[c->optimal].name),
		                     "basis",
		                     c->optimal < 0 ? json_null() : json_string(c->by_rtt ? "rtt" : "distance"),
		                     "nearest",
		                     c->nearest < 0 ? json_null() : json_string(geo->pops[c->nearest].name),
		                     "methods", m));
	}
	return a;
}

static json_t *pairs(const struct cmp_report *r)
{
	json_t *a = json_array();
	struct cmp_pair_fig p;
	for (size_t i = 0; a && i < cmp_n_pairs(); i++) {
		if (!cmp_pair(r, i, &p))
			continue;
		json_array_append_new(
			a, json_pack("{s:s, s:s, s:o, s:o, s:b, s:o, s:o}", "a", cmp_group_name[p.a],
		                     "b", cmp_group_name[p.b], "hit_rate_diff", num(p.diff),
		                     "hit_rate_diff_ci95", interval(p.lo, p.hi), "significant",
		                     p.significant, "latency_median_diff_ms", num(p.median_diff),
		                     "latency_p90_diff_ms", num(p.p90_diff)));
	}
	return a;
}

static json_t *group(const struct cmp_report *r, int g)
{
	const struct cmp_group_fig *f = &r->g[g];
	const struct geo_config *geo = r->ctx->geo;
	json_t *conf = json_object();
	json_t *rows = json_array();

	/* confusion: {"matrix": [[...]]} rows chosen, columns optimal, in
	 * "pops" order; also "cells" keyed "chosen>optimal" for lookups. */
	json_t *cells = json_object();
	for (size_t i = 0; i < r->n_pops; i++) {
		json_t *row = json_array();
		for (size_t j = 0; j < r->n_pops; j++) {
			size_t v = f->confusion[i * r->n_pops + j];
			json_array_append_new(row, json_integer((json_int_t)v));
			if (v) {
				char k[160];
				snprintf(k, sizeof(k), "%s>%s", geo->pops[i].name, geo->pops[j].name);
				json_object_set_new(cells, k, json_integer((json_int_t)v));
			}
		}
		json_array_append_new(rows, row);
	}
	json_object_set_new(conf, "rows", json_string("chosen"));
	json_object_set_new(conf, "columns", json_string("optimal"));
	json_object_set_new(conf, "matrix", rows);
	json_object_set_new(conf, "cells", cells);

	return json_pack(
		"{s:s, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I}, s:o, s:o, s:o, s:o, s:o, s:o}",
		"method", cmp_group_name[g], "samples", (json_int_t)f->samples, "rated",
		(json_int_t)f->rated, "unrated", (json_int_t)(f->samples - f->rated),
		"unrated_at_resolver", (json_int_t)f->unrated_resolver, "partial_rtt",
		(json_int_t)f->partial_rtt, "basis", "rtt", (json_int_t)f->by_rtt, "distance",
		(json_int_t)f->by_dist, "hit_rate", rate(r, f->hits, f->rated),
		"latency_inflation_ms", dist(r, &f->lat, true),
		"distance_inflation_km", dist(r, &f->km, false), "confusion", conf, "by_continent",
		buckets(r, f->continents, f->n_continents), "by_country",
		buckets(r, f->countries, f->n_countries));
}

static json_t *series(const struct cmp_report *r)
{
	const struct cmp_series *s = &r->series;
	char t[32];
	json_t *bins = json_array();
	for (size_t b = 0; bins && b < s->n_bins; b++) {
		json_t *m = json_object();
		for (int g = 0; g < CG_N; g++) {
			const struct cmp_tslot *x = &s->bins[b * CG_N + g];
			if (!r->g[g].samples)
				continue;
			json_object_set_new(
				m, cmp_group_name[g],
				json_pack("{s:I, s:I, s:I, s:o, s:I, s:o}", "samples",
			                  (json_int_t)x->samples, "rated", (json_int_t)x->rated, "hits",
			                  (json_int_t)x->hits, "hit_rate",
			                  num(x->rated ? (double)x->hits / (double)x->rated : NAN),
			                  "latency_n", (json_int_t)x->n_lat, "latency_inflation_mean_ms",
			                  num(x->n_lat ? (double)x->lat_sum_us / 1000.0 / (double)x->n_lat
			                               : NAN)));
		}
		json_array_append_new(bins, json_pack("{s:s, s:o}", "start",
		                                      cmp_fmt_time(t, sizeof(t),
		                                                   s->start + (int64_t)b * s->bin_s),
		                                      "methods", m));
	}
	return json_pack("{s:I, s:o}", "bin_seconds", (json_int_t)s->bin_s, "bins", bins);
}

int cmp_report_json(const struct cmp_report *r, const char *path, char *err, size_t errlen)
{
	const struct cmp_ctx *c = r->ctx;
	json_t *root = json_object(), *files = json_array(), *groups = json_array(),
	       *pops = json_array();
	int rc = -1;

	if (!root || !files || !groups || !pops) {
		snprintf(err, errlen, "out of memory");
		json_decref(files);
		json_decref(groups);
		json_decref(pops);
		goto out;
	}
	for (size_t i = 0; i < c->n_files; i++) {
		const struct cmp_file *f = &c->files[i];
		json_array_append_new(files,
		                      json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "file", f->path,
		                                "format", f->format, "lines", (json_int_t)f->lines,
		                                "used", (json_int_t)f->records, "skipped",
		                                (json_int_t)f->skipped, "malformed",
		                                (json_int_t)f->malformed));
	}
	for (size_t i = 0; i < r->n_pops; i++)
		json_array_append_new(pops, json_string(c->geo->pops[i].name));
	for (int g = 0; g < CG_N; g++)
		if (r->g[g].samples)
			json_array_append_new(groups, group(r, g));
	const struct cmp_atlas_stats *a = &c->atlas;
	char verdict[512];
	cmp_verdict(r, verdict, sizeof(verdict));
	json_object_set_new(root, "verdict", json_string(verdict));
	json_object_set_new(root, "legend", json_string(CMP_PERCENTILE_LEGEND));
	json_object_set_new(root, "min_samples", json_integer(r->min_samples));
	json_object_set_new(root, "pops", pops);
	json_object_set_new(root, "inputs", files);
	json_object_set_new(root, "unknown_pop", json_integer((json_int_t)c->unknown_pop));
	json_object_set_new(root, "ecs_unused", json_integer((json_int_t)c->ecs_unused));
	json_object_set_new(root, "resolver_ecs_unknown",
	                    json_integer((json_int_t)c->resolver_ecs_unknown));
	json_object_set_new(root, "ecs_direct_superseded",
	                    json_integer((json_int_t)c->ecs_direct_superseded));
	json_object_set_new(
		root, "atlas",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "dns_results",
	                  (json_int_t)a->dns_results, "dns_nsid", (json_int_t)a->dns_nsid,
	                  "dns_no_nsid", (json_int_t)a->dns_no_nsid, "dns_errors",
	                  (json_int_t)a->dns_errors, "nsid_unmapped", (json_int_t)a->nsid_unmapped,
	                  "ping_results", (json_int_t)a->ping_results, "ping_no_reply",
	                  (json_int_t)a->ping_no_reply, "ping_unmapped",
	                  (json_int_t)a->ping_unmapped));
	json_object_set_new(root, "methods", groups);
	json_object_set_new(root, "differences", pairs(r));
	json_object_set_new(root, "time_series", series(r));
	json_object_set_new(root, "failover", cmp_failover_json(r));
	json_object_set_new(root, "clients", clients(r));
	json_t *rv = json_array();
	for (size_t i = 0; rv && i < c->n_resolvers; i++)   /* in input order */
		json_array_append_new(
			rv, json_pack("{s:s, s:I, s:I, s:I, s:I}", "resolver", c->resolvers[i].addr,
		                      "answers", (json_int_t)c->resolvers[i].answers, "with_ecs",
		                      (json_int_t)c->resolvers[i].ecs_present, "geodns",
		                      (json_int_t)c->resolvers[i].geodns, "located_by_ecs",
		                      (json_int_t)c->resolvers[i].ecs_used));
	json_object_set_new(root, "resolvers", rv);
	if (json_dump_file(root, path, JSON_INDENT(1) | JSON_REAL_PRECISION(12)) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}
