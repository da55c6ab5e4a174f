/*
 * cmp_text.c: the terminal report of `steerdns compare`: the inputs, a
 * summary table with one row per method and A/B arm, then per group its
 * hit rate, inflation figures, confusion matrix and breakdowns. Every
 * figure shows its sample count; one on fewer than --min-samples samples
 * is marked "(few samples)" (in the summary table: "*").
 */
#include <string.h>

#include "compare/cmp_report.h"
#include "geodns/geo_config.h"

#define FEW " (few samples)"

static double pct(size_t a, size_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0;
}

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
}

static void summary(const struct cmp_report *r, FILE *out)
{
	fprintf(out, "\n%-16s %7s %7s %14s %6s %8s %8s %8s %7s %7s %6s %10s\n", "method", "samples",
	        "rated", "hit rate", "n(lat)", "median", "p90", "p99", ">10ms", ">25ms", "n(km)",
	        "km median");
	for (int g = 0; g < CG_N; g++) {
		const struct cmp_group_fig *f = &r->g[g];
		if (!f->samples)
			continue;
		char hit[32];
		snprintf(hit, sizeof(hit), "%.1f%%%s", pct(f->hits, f->rated),
		         cmp_few(r, f->rated) ? " *" : "");
		/* Without any RTT there is no latency figure at all: print "-",
		 * not a 0 that reads like a perfect score. */
		char lat[64];
		if (f->lat.n) {
			const char *lf = cmp_few(r, f->lat.n) ? " *" : "  ";
			snprintf(lat, sizeof(lat), "%6.1f%s %6.1f%s %6.1f%s %5.1f%% %5.1f%%",
			         f->lat.median, lf, f->lat.p90, lf, f->lat.p99, lf,
			         100 * f->lat.over10, 100 * f->lat.over25);
		} else {
			snprintf(lat, sizeof(lat), "%6s   %6s   %6s   %6s %6s", "-", "-", "-", "-", "-");
		}
		fprintf(out, "%-16s %7zu %7zu %14s %6zu %s %6zu %8.0f%s\n", cmp_group_name[g],
		        f->samples, f->rated, hit, f->lat.n, lat, f->km.n, f->km.median,
		        cmp_few(r, f->km.n) ? " *" : "  ");
	}
	fprintf(out, "(latency inflation in ms; * = fewer than %u samples (few samples))\n",
	        r->min_samples);
}

static void breakdown(const struct cmp_report *r, const char *what, const struct cmp_bucket *b,
                      size_t n, FILE *out)
{
	fprintf(out, "  by %s:\n", what);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "    %-3s samples %5zu  hit rate %5.1f%% (%zu/%zu)%s", b[i].key,
		        b[i].samples, pct(b[i].hits, b[i].rated), b[i].hits, b[i].rated,
		        cmp_few(r, b[i].rated) ? FEW : "");
		if (b[i].n_lat)
			fprintf(out, "  latency inflation median %.1f ms (n=%zu)%s", b[i].lat_median,
			        b[i].n_lat, cmp_few(r, b[i].n_lat) ? FEW : "");
		fputc('\n', out);
	}
}

static void group(const struct cmp_report *r, int g, FILE *out)
{
	const struct cmp_group_fig *f = &r->g[g];
	const struct geo_config *geo = r->ctx->geo;

	fprintf(out, "\n== %s: %zu samples, %zu rated (%zu by lowest RTT, %zu by nearest distance), "
	             "%zu unrated\n",
	        cmp_group_name[g], f->samples, f->rated, f->by_rtt, f->by_dist,
	        f->samples - f->rated);
	fprintf(out, "  optimal-PoP hit rate   %.1f%% (%zu/%zu)%s\n", pct(f->hits, f->rated), f->hits,
	        f->rated, cmp_few(r, f->rated) ? FEW : "");
	if (f->lat.n)
		fprintf(out,
		        "  latency inflation ms   median %.1f  p90 %.1f  p99 %.1f  >10ms %.1f%%  >25ms "
		        "%.1f%%  (n=%zu)%s\n",
		        f->lat.median, f->lat.p90, f->lat.p99, 100 * f->lat.over10,
		        100 * f->lat.over25, f->lat.n, cmp_few(r, f->lat.n) ? FEW : "");
	else
		fprintf(out, "  latency inflation ms   no RTTs (n=0)\n");
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
	fprintf(out, "steerdns compare\n%s;\nfigures on fewer than %u samples are marked (few "
	             "samples).\n",
	        CMP_PERCENTILE_LEGEND, r->min_samples);
	inputs(r, out);
	summary(r, out);
	for (int g = 0; g < CG_N; g++)
		if (r->g[g].samples)
			group(r, g, out);
}
