/*
 * cmp_fmt.c: figures as text, shared by the terminal and HTML reports:
 * "n/a" for a figure on no samples (never a 0 that reads like a score),
 * hit rates with their Wilson interval and count, and the verdict.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compare/cmp_report.h"
#include "geodns/geo_config.h"

const char *cmp_fmt_num(char *buf, size_t cap, double v, int prec)
{
	if (isnan(v))
		snprintf(buf, cap, "n/a");
	else
		snprintf(buf, cap, "%.*f", prec, v);
	return buf;
}

const char *cmp_fmt_dist(char *buf, size_t cap, double v, double lo, double hi)
{
	if (isnan(v))
		snprintf(buf, cap, "n/a");
	else
		snprintf(buf, cap, "%.1f [%.1f-%.1f]", v, lo, hi);
	return buf;
}

const char *cmp_fmt_rate(char *buf, size_t cap, size_t k, size_t n)
{
	double lo, hi;
	if (!n) {
		snprintf(buf, cap, "n/a (0/0)");
		return buf;
	}
	cmp_wilson(k, n, &lo, &hi);
	snprintf(buf, cap, "%.1f%% [%.1f-%.1f] (%zu/%zu)", 100.0 * (double)k / (double)n,
	         100 * lo, 100 * hi, k, n);
	return buf;
}

/* The pairs compared, in order of interest: the two methods first. */
static const int pairs[][2] = {
	{ CG_ANYCAST, CG_GEODNS_ECS },        { CG_AB_ANYCAST, CG_AB_GEODNS },
	{ CG_ANYCAST, CG_GEODNS_RESOLVER },   { CG_GEODNS_RESOLVER, CG_GEODNS_ECS },
};

size_t cmp_n_pairs(void)
{
	return sizeof(pairs) / sizeof(pairs[0]);
}

bool cmp_pair(const struct cmp_report *r, size_t i, struct cmp_pair_fig *out)
{
	if (i >= cmp_n_pairs())
		return false;
	const struct cmp_group_fig *a = &r->g[pairs[i][0]], *b = &r->g[pairs[i][1]];
	out->a = pairs[i][0];
	out->b = pairs[i][1];
	cmp_diff_ci(a->hits, a->rated, b->hits, b->rated, &out->diff, &out->lo, &out->hi);
	out->significant = !isnan(out->diff) && (out->lo > 0 || out->hi < 0);
	out->p90_diff = a->lat.p90 - b->lat.p90;  /* NAN when either has none */
	out->median_diff = a->lat.median - b->lat.median;
	return a->rated && b->rated;
}

void cmp_verdict(const struct cmp_report *r, char *buf, size_t cap)
{
	struct cmp_pair_fig p;
	for (size_t i = 0; i < cmp_n_pairs(); i++) {
		if (!cmp_pair(r, i, &p))
			continue;
		int n = snprintf(buf, cap,
		                 "%s sends %.1f pp %s clients to their best PoP than %s "
		                 "(95%% CI %+.1f to %+.1f pp: %s)",
		                 cmp_group_name[p.a], fabs(100 * p.diff),
		                 p.diff < 0 ? "fewer" : "more", cmp_group_name[p.b], 100 * p.lo,
		                 100 * p.hi,
		                 p.significant ? "significant" : "not significant, the data cannot "
		                                                 "tell them apart");
		if (n > 0 && (size_t)n < cap && !isnan(p.p90_diff))
			snprintf(buf + n, cap - (size_t)n, ", p90 latency inflation %+.1f ms",
			         p.p90_diff);
		return;
	}
	snprintf(buf, cap, "n/a: no two methods have rated samples to compare");
}

void cmp_write_differences(const struct cmp_report *r, FILE *o, bool html)
{
	struct cmp_pair_fig p;
	char m[32], q[32];
	fputs(html ? "<table><tr><th class=\"l\">a - b</th><th>hit rate difference (pp)</th>"
	             "<th>95% CI</th><th>significant</th><th>latency infl. median diff ms</th>"
	             "<th>p90 diff ms</th></tr>\n"
	           : "\ndifferences (hit rate in percentage points, 95% CI; latency inflation "
	             "in ms):\n",
	      o);
	for (size_t i = 0; i < cmp_n_pairs(); i++) {
		if (!cmp_pair(r, i, &p))
			continue;
		fprintf(o,
		        html ? "<tr><td class=\"l\">%s - %s</td><td>%+.1f</td><td>%+.1f to %+.1f</td>"
		               "<td>%s</td><td>%s</td><td>%s</td></tr>\n"
		             : "  %-16s - %-16s hit rate %+6.1f pp [%+.1f to %+.1f] %-15s median %s  "
		               "p90 %s\n",
		        cmp_group_name[p.a], cmp_group_name[p.b], 100 * p.diff, 100 * p.lo,
		        100 * p.hi, p.significant ? "significant" : "not significant",
		        cmp_fmt_num(m, sizeof(m), p.median_diff, 1),
		        cmp_fmt_num(q, sizeof(q), p.p90_diff, 1));
	}
	if (html)
		fputs("</table>\n", o);
}

const char *cmp_fmt_time(char *buf, size_t cap, int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

const char *cmp_fmt_time_ms(char *buf, size_t cap, int64_t ms)
{
	int64_t sec = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	char t[40];
	cmp_fmt_time(t, sizeof(t), sec);
	t[strlen(t) - 1] = 0;   /* the 'Z', after the milliseconds */
	snprintf(buf, cap, "%s.%03dZ", t, (int)(ms - sec * 1000));
	return buf;
}

void cmp_write_series_text(const struct cmp_report *r, FILE *o)
{
	const struct cmp_series *s = &r->series;
	char t[32], lat[32];
	if (!s->n_bins)
		return;
	fprintf(o, "\ntime series: %zu bins of %lld s from %s; per method: hit rate (rated) and mean "
	           "latency inflation, ms:\n",
	        s->n_bins, (long long)s->bin_s, cmp_fmt_time(t, sizeof(t), s->start));
	for (size_t b = 0; b < s->n_bins; b++) {
		fprintf(o, "  %s", cmp_fmt_time(t, sizeof(t), s->start + (int64_t)b * s->bin_s));
		for (int g = 0; g < CG_N; g++) {
			const struct cmp_tslot *x = &s->bins[b * CG_N + g];
			if (!r->g[g].samples)
				continue;
			double mean = x->n_lat ? (double)x->lat_sum_us / 1000.0 / (double)x->n_lat : NAN;
			if (x->rated)
				fprintf(o, "  %s %5.1f%% (%llu) %s", cmp_group_name[g],
				        100.0 * (double)x->hits / (double)x->rated,
				        (unsigned long long)x->rated, cmp_fmt_num(lat, sizeof(lat), mean, 1));
			else
				fprintf(o, "  %s n/a (0) n/a", cmp_group_name[g]);
		}
		fputc('\n', o);
	}
}

/* The methods compared side by side: the three methods, then the arms. */
static const int side_groups[] = { CG_GEODNS_ECS, CG_GEODNS_RESOLVER, CG_ANYCAST, CG_AB_GEODNS,
	                           CG_AB_ANYCAST };
#define N_SIDE (sizeof(side_groups) / sizeof(side_groups[0]))

struct side_row {
	char key[3];
	size_t samples;
	const struct cmp_bucket *b[N_SIDE];
};

static int side_order(const void *a, const void *b)
{
	const struct side_row *x = a, *y = b;
	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	return strcmp(x->key, y->key);
}

void cmp_write_side_by_side(const struct cmp_report *r, FILE *o, bool html, bool continents)
{
	struct side_row *rows = NULL;
	size_t n = 0, cap = 0;
	for (size_t k = 0; k < N_SIDE; k++) {
		const struct cmp_group_fig *f = &r->g[side_groups[k]];
		const struct cmp_bucket *bs = continents ? f->continents : f->countries;
		size_t nb = continents ? f->n_continents : f->n_countries;
		for (size_t i = 0; i < nb; i++) {
			size_t j;
			for (j = 0; j < n && strcmp(rows[j].key, bs[i].key); j++)
				;
			if (j == n) {
				if (cmp_grow((void **)&rows, &cap, n, sizeof(*rows)) < 0) {
					free(rows);
					return;
				}
				memset(&rows[n], 0, sizeof(rows[n]));
				memcpy(rows[n].key, bs[i].key, 3);
				n++;
			}
			rows[j].b[k] = &bs[i];
			/* Traffic: the methods' samples, not the arms' (the same
			 * answers again). */
			if (side_groups[k] <= CG_ANYCAST)
				rows[j].samples += bs[i].samples;
		}
	}
	if (n)
		qsort(rows, n, sizeof(*rows), side_order);
	const char *what = continents ? "continent" : "country";
	if (html) {
		fprintf(o, "<table><tr><th class=\"l\">%s</th><th>samples</th>", what);
		for (size_t k = 0; k < N_SIDE; k++)
			if (r->g[side_groups[k]].samples)
				fprintf(o, "<th>%s: hit rate (n)</th><th>misses: latency infl. median / "
				           "p90 ms</th><th>misses: distance infl. median / p90 km</th>",
				        cmp_group_name[side_groups[k]]);
		fputs("</tr>\n", o);
	} else {
		fprintf(o, "\nby %s, methods side by side (rows by samples; per method: hit rate "
		           "(rated), and among misses latency inflation median/p90 ms, distance "
		           "inflation median/p90 km):\n",
		        what);
	}
	for (size_t i = 0; i < n; i++) {
		fprintf(o, html ? "<tr><td class=\"l\">%s</td><td>%zu</td>" : "  %-3s %8zu", rows[i].key,
		        rows[i].samples);
		for (size_t k = 0; k < N_SIDE; k++) {
			const struct cmp_bucket *b = rows[i].b[k];
			char hit[32], a[16], c2[16], d[16], e[16];
			if (!r->g[side_groups[k]].samples)
				continue;
			if (b && b->rated)
				snprintf(hit, sizeof(hit), "%.1f%% (%zu)",
				         100.0 * (double)b->hits / (double)b->rated, b->rated);
			else
				snprintf(hit, sizeof(hit), "n/a (0)");
			cmp_fmt_num(a, sizeof(a), b ? b->miss_lat_median : NAN, 1);
			cmp_fmt_num(c2, sizeof(c2), b ? b->miss_lat_p90 : NAN, 1);
			cmp_fmt_num(d, sizeof(d), b ? b->miss_km_median : NAN, 0);
			cmp_fmt_num(e, sizeof(e), b ? b->miss_km_p90 : NAN, 0);
			fprintf(o,
			        html ? "<td>%.0s%s</td><td>%s / %s</td><td>%s / %s</td>"
			             : " | %s %s %s/%s ms %s/%s km",
			        cmp_group_name[side_groups[k]], hit, a, c2, d, e);
		}
		fputs(html ? "</tr>\n" : "\n", o);
	}
	if (html)
		fputs("</table>\n", o);
	free(rows);
}

void cmp_write_clients(const struct cmp_report *r, FILE *o, bool html)
{
	const struct geo_config *geo = r->ctx->geo;
	if (!r->n_clients)
		return;
	if (html) {
		fputs("<table><tr><th class=\"l\">client</th><th class=\"l\">optimal PoP</th>"
		      "<th class=\"l\">nearest PoP</th>", o);
	} else {
		fprintf(o, "\nper client (probe vantage points, RIPE Atlas probes): optimal PoP (basis), "
		           "nearest PoP, each method's PoP: ok, or miss with its distance "
		           "inflation:\n  %-20s %-14s %-8s", "client", "optimal", "nearest");
	}
	for (int g = 0; g < CG_N; g++)
		if (r->g[g].samples)
			fprintf(o, html ? "<th class=\"l\">%s</th>" : " %-24s", cmp_group_name[g]);
	fputs(html ? "</tr>\n" : "\n", o);
	/* The page stays small whatever the input: the first CMP_MAX_CLIENT_ROWS
	 * clients here, every one in the JSON. */
	for (size_t i = 0; i < r->n_clients && i < CMP_MAX_CLIENT_ROWS; i++) {
		const struct cmp_client_row *c = &r->clients[i];
		char opt[64];
		snprintf(opt, sizeof(opt), "%s (%s)", c->optimal >= 0 ? geo->pops[c->optimal].name : "n/a",
		         c->optimal < 0 ? "unrated" : c->by_rtt ? "rtt" : "distance");
		const char *near = c->nearest >= 0 ? geo->pops[c->nearest].name : "n/a";
		if (html) {
			fputs("<tr><td class=\"l\">", o);
			cmp_html_esc(o, c->client);
			fprintf(o, "</td><td class=\"l\">%s</td><td class=\"l\">%s</td>", opt, near);
		} else {
			fprintf(o, "  %-20.20s %-14s %-8s", c->client, opt, near);
		}
		for (int g = 0; g < CG_N; g++) {
			char cell[64];
			if (!r->g[g].samples)
				continue;
			if (c->chosen[g] < 0)
				snprintf(cell, sizeof(cell), "-");
			else if (c->optimal < 0)
				snprintf(cell, sizeof(cell), "%s (unrated)", geo->pops[c->chosen[g]].name);
			else if (c->chosen[g] == c->optimal)
				snprintf(cell, sizeof(cell), "%s (ok)", geo->pops[c->chosen[g]].name);
			else if (!isnan(c->km[g]))
				snprintf(cell, sizeof(cell), "%s (miss, +%.0f km)", geo->pops[c->chosen[g]].name,
				         c->km[g]);
			else
				snprintf(cell, sizeof(cell), "%s (miss)", geo->pops[c->chosen[g]].name);
			if (html) {
				fputs("<td class=\"l\">", o);
				cmp_html_esc(o, cell);
				fputs("</td>", o);
			} else {
				fprintf(o, " %-24s", cell);
			}
		}
		fputs(html ? "</tr>\n" : "\n", o);
	}
	if (html)
		fputs("</table>\n", o);
	if (r->n_clients > CMP_MAX_CLIENT_ROWS)
		fprintf(o, html ? "<p>%zu more clients in the JSON report.</p>\n"
		                : "  (%zu more clients in the JSON report)\n",
		        r->n_clients - CMP_MAX_CLIENT_ROWS);
}

static int by_samples(const void *a, const void *b)
{
	const struct cmp_bucket *x = a, *y = b;
	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	return strcmp(x->key, y->key);
}

void cmp_write_catchment(const struct cmp_report *r, FILE *o, bool html)
{
	const struct geo_config *geo = r->ctx->geo;
	fputs(html ? "<table><tr><th class=\"l\">PoP</th><th class=\"l\">method</th>"
	             "<th class=\"l\">countries it receives (share of its samples, top 8)</th></tr>\n"
	           : "\ncatchment: per PoP and method, the countries it receives (share of its "
	             "samples, top 8):\n",
	      o);
	for (size_t p = 0; p < r->n_pops; p++) {
		for (int g = 0; g < CG_N; g++) {
			const struct cmp_catch *k = r->g[g].catchment ? &r->g[g].catchment[p] : NULL;
			size_t total = 0;
			if (!k || !k->n)
				continue;
			struct cmp_bucket *b = malloc(k->n * sizeof(*b));
			if (!b)
				return;
			memcpy(b, k->b, k->n * sizeof(*b));
			qsort(b, k->n, sizeof(*b), by_samples);
			for (size_t i = 0; i < k->n; i++)
				total += b[i].samples;
			fprintf(o, html ? "<tr><td class=\"l\">%s</td><td class=\"l\">%s</td><td class=\"l\">"
			                : "  %-8s %-16s", geo->pops[p].name, cmp_group_name[g]);
			for (size_t i = 0; i < k->n && i < 8; i++)
				fprintf(o, " %s %.0f%%", b[i].key, 100.0 * (double)b[i].samples / (double)total);
			fprintf(o, html ? " (n=%zu)</td></tr>\n" : " (n=%zu)\n", total);
			free(b);
		}
	}
	if (html)
		fputs("</table>\n", o);
}
