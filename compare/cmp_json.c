/*
 * cmp_json.c: every figure of `steerdns compare` as one JSON document
 * (--json FILE), built with jansson. Counts are integers, shares are
 * fractions 0..1, and each figure carries its sample count "n" and
 * "few_samples".
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "compare/cmp_report.h"
#include "geodns/geo_config.h"

static json_t *dist(const struct cmp_report *r, const struct cmp_dist *d, bool shares)
{
	json_t *o = json_pack("{s:I, s:b, s:f, s:f, s:f, s:f}", "n", (json_int_t)d->n, "few_samples",
	                      cmp_few(r, d->n), "median", d->median, "p90", d->p90, "p99", d->p99,
	                      "mean", d->mean);
	if (o && shares) {
		json_object_set_new(o, "share_over_10ms", json_real(d->over10));
		json_object_set_new(o, "share_over_25ms", json_real(d->over25));
	}
	return o;
}

static json_t *buckets(const struct cmp_report *r, const struct cmp_bucket *b, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(
			a, json_pack("{s:s, s:I, s:I, s:I, s:f, s:b, s:I, s:f, s:b}", "key", b[i].key,
		                     "samples", (json_int_t)b[i].samples, "rated",
		                     (json_int_t)b[i].rated, "hits", (json_int_t)b[i].hits,
		                     "hit_rate",
		                     b[i].rated ? (double)b[i].hits / (double)b[i].rated : 0.0,
		                     "few_samples", cmp_few(r, b[i].rated), "latency_n",
		                     (json_int_t)b[i].n_lat, "latency_median_ms", b[i].lat_median,
		                     "latency_few_samples", cmp_few(r, b[i].n_lat)));
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
		"{s:s, s:I, s:I, s:I, s:{s:I, s:I}, s:{s:I, s:I, s:f, s:b}, s:o, s:o, s:o, s:o, s:o}",
		"method", cmp_group_name[g], "samples", (json_int_t)f->samples, "rated",
		(json_int_t)f->rated, "unrated", (json_int_t)(f->samples - f->rated), "basis", "rtt",
		(json_int_t)f->by_rtt, "distance", (json_int_t)f->by_dist, "hit_rate", "hits",
		(json_int_t)f->hits, "n", (json_int_t)f->rated, "value",
		f->rated ? (double)f->hits / (double)f->rated : 0.0, "few_samples",
		cmp_few(r, f->rated), "latency_inflation_ms", dist(r, &f->lat, true),
		"distance_inflation_km", dist(r, &f->km, false), "confusion", conf, "by_continent",
		buckets(r, f->continents, f->n_continents), "by_country",
		buckets(r, f->countries, f->n_countries));
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
	json_object_set_new(root, "legend", json_string(CMP_PERCENTILE_LEGEND));
	json_object_set_new(root, "min_samples", json_integer(r->min_samples));
	json_object_set_new(root, "pops", pops);
	json_object_set_new(root, "inputs", files);
	json_object_set_new(root, "unknown_pop", json_integer((json_int_t)c->unknown_pop));
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
	if (json_dump_file(root, path, JSON_INDENT(1) | JSON_REAL_PRECISION(12)) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}
