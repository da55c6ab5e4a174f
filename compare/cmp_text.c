/*
 * cmp_text.c: the terminal report of `steerdns compare`: the inputs, a
 * summary table with one row per method and A/B arm, then per group its
 * hit rate, inflation figures, confusion matrix and breakdowns. Every
 * figure shows its sample count; one on fewer than --min-samples samples
 * is marked "(few samples)" (in the summary table: "*").
 */
#include <math.h>
#include <string.h>

#include "compare/cmp_report.h"
#include "geodns/geo_config.h"

#define FEW " (few samples)"

static void inputs(const struct cmp_report *r, FILE *out)
{
	const struct cmp_ctx *c = r->ctx;
	fprintf(out, "inputs:\n");
	for (size_t i = 0; i < c->n_files; i++) {
		const struct cmp_file *f = &c->files[i];
		fprintf(out, "  %-40s %-13s %6zu lines %6zu used %6zu skipped %6zu malformed\n",
		        f->path, f->format, f->lines, f->records, f->skipped, f->malformed);
	}
	const struct cmp_atlas_stats *a = &c->atlas;
	if (a->dns_results || a->ping_results)
		fprintf(out,
		        "  RIPE Atlas: %zu DNS results (%zu with NSID, %zu without, %zu errors, %zu NSIDs "
		        "of no PoP); %zu ping results (%zu without reply, %zu to no PoP)\n",
		        a->dns_results, a->dns_nsid, a->dns_no_nsid, a->dns_errors, a->nsid_unmapped,
		        a->ping_results, a->ping_no_reply, a->ping_unmapped);
	if (c->unknown_pop)
		fprintf(out, "  %zu answers named a PoP that is not in the config (not rated)\n",
		        c->unknown_pop);
	if (c->ecs_unused)
		fprintf(out, "  %zu GeoDNS answers to queries with ECS the server did not use: "
		             "geodns-resolver\n", c->ecs_unused);
	if (c->resolver_ecs_unknown)
		fprintf(out, "  %zu probe resolver answers do not say whether the resolver sent ECS: "
		             "geodns-resolver\n", c->resolver_ecs_unknown);
	if (c->ecs_direct_superseded)
		fprintf(out, "  %zu direct ECS probe answers not counted: their resolver sent ECS "
		             "(its answer counts as geodns-ecs)\n", c->ecs_direct_superseded);
}

static void summary(const struct cmp_report *r, FILE *out)
{
	fprintf(out, "\n%-16s %8s %8s %34s %8s %20s %20s %8s %10s\n", "method", "samples", "rated",
	        "hit rate [95% CI] (hits/n)", "n(lat)", "median [95% CI]", "p90 [95% CI]", "n(km)",
	        "km median");
	for (int g = 0; g < CG_N; g++) {
		const struct cmp_group_fig *f = &r->g[g];
		char hit[64], med[48], p90[48], km[32];
		if (!f->samples)
			continue;
		cmp_fmt_rate(hit, sizeof(hit), f->hits, f->rated);
		fprintf(out, "%-16s %8zu %8zu %32s%s %8zu %20s %20s %8zu %8s%s\n", cmp_group_name[g],
		        f->samples, f->rated, hit, cmp_few(r, f->rated) ? " *" : "  ", f->lat.n,
		        cmp_fmt_dist(med, sizeof(med), f->lat.median, f->lat.median_lo, f->lat.median_hi),
		        cmp_fmt_dist(p90, sizeof(p90), f->lat.p90, f->lat.p90_lo, f->lat.p90_hi), f->km.n,
		        cmp_fmt_num(km, sizeof(km), f->km.median, 0),
		        cmp_few(r, f->km.n) ? " *" : "  ");
	}
	fprintf(out, "(latency inflation in ms; * = fewer than %u samples (few samples); n/a = "
	             "no samples)\n",
	        r->min_samples);
}

static void breakdown(const struct cmp_report *r, const char *what, const struct cmp_bucket *b,
                      size_t n, FILE *out)
{
	char hit[64], med[32];
	fprintf(out, "  by %s:\n", what);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "    %-3s samples %5zu  hit rate %s%s  latency inflation median %s ms "
		             "(n=%zu)%s\n",
		        b[i].key, b[i].samples, cmp_fmt_rate(hit, sizeof(hit), b[i].hits, b[i].rated),
		        cmp_few(r, b[i].rated) ? FEW : "",
		        cmp_fmt_num(med, sizeof(med), b[i].lat_median, 1), b[i].n_lat,
		        b[i].n_lat && cmp_few(r, b[i].n_lat) ? FEW : "");
}

static void group(const struct cmp_report *r, int g, FILE *out)
{
	const struct cmp_group_fig *f = &r->g[g];
	const struct geo_config *geo = r->ctx->geo;

	char hit[64], med[48], p90[48];
	fprintf(out, "\n== %s: %zu samples, %zu rated (%zu by lowest RTT, %zu by nearest distance), "
	             "%zu unrated (%zu located only at their resolver); %zu with RTTs to only some "
	             "PoPs\n",
	        cmp_group_name[g], f->samples, f->rated, f->by_rtt, f->by_dist,
	        f->samples - f->rated, f->unrated_resolver, f->partial_rtt);
	fprintf(out, "  optimal-PoP hit rate   %s%s\n", cmp_fmt_rate(hit, sizeof(hit), f->hits, f->rated),
	        cmp_few(r, f->rated) ? FEW : "");
	if (f->lat.n)
		fprintf(out,
		        "  latency inflation ms   median %s  p90 %s  p99 %.1f  >10ms %.1f%%  >25ms "
		        "%.1f%%  (n=%zu)%s\n",
		        cmp_fmt_dist(med, sizeof(med), f->lat.median, f->lat.median_lo, f->lat.median_hi),
		        cmp_fmt_dist(p90, sizeof(p90), f->lat.p90, f->lat.p90_lo, f->lat.p90_hi),
		        f->lat.p99, 100 * f->lat.over10, 100 * f->lat.over25, f->lat.n,
		        cmp_few(r, f->lat.n) ? FEW : "");
	else
		fprintf(out, "  latency inflation ms   n/a (no RTTs to every PoP, n=0)\n");
	if (f->km.n)
		fprintf(out, "  distance inflation km  median %.0f  p90 %.0f  mean %.0f  (n=%zu)%s\n",
		        f->km.median, f->km.p90, f->km.mean, f->km.n, cmp_few(r, f->km.n) ? FEW : "");
	else
		fprintf(out, "  distance inflation km  no located clients (n=0)\n");
	if (f->rated) {
		fprintf(out, "  confusion matrix (rows: chosen PoP, columns: optimal PoP; n=%zu)%s\n",
		        f->rated, cmp_few(r, f->rated) ? FEW : "");
		fprintf(out, "    %-10s", "");
		for (size_t j = 0; j < r->n_pops; j++)
			fprintf(out, " %8.8s", geo->pops[j].name);
		fputc('\n', out);
		for (size_t i = 0; i < r->n_pops; i++) {
			fprintf(out, "    %-10.10s", geo->pops[i].name);
			for (size_t j = 0; j < r->n_pops; j++)
				fprintf(out, " %8zu", f->confusion[i * r->n_pops + j]);
			fputc('\n', out);
		}
	}
	breakdown(r, "continent", f->continents, f->n_continents, out);
	breakdown(r, "country", f->countries, f->n_countries, out);
}

void cmp_report_text(const struct cmp_report *r, FILE *out)
{
	char verdict[512];
	cmp_verdict(r, verdict, sizeof(verdict));
	fprintf(out, "steerdns compare\nverdict: %s\n%s;\n[lo-hi] are 95%% intervals (Wilson for "
	             "hit rates, order statistics for percentiles);\nfigures on fewer than %u "
	             "samples are marked (few samples).\n",
	        verdict, CMP_PERCENTILE_LEGEND, r->min_samples);
	inputs(r, out);
	summary(r, out);
	cmp_write_differences(r, out, false);
	cmp_write_side_by_side(r, out, false, true);
	cmp_write_side_by_side(r, out, false, false);
	cmp_write_series_text(r, out);
	cmp_write_failover(r, out, false);
	cmp_write_catchment(r, out, false);
	cmp_write_clients(r, out, false);
	cmp_write_resolvers(r, out, false, 20);
	for (int g = 0; g < CG_N; g++)
		if (r->g[g].samples)
			group(r, g, out);
}
