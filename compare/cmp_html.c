/*
 * cmp_html.c: the HTML report of `steerdns compare` (--html FILE): one
 * self-contained page, no external assets (inline CSS, inline SVG), so it
 * can be mailed or opened offline. Written as well-formed XHTML (every
 * element closed, attributes quoted, text escaped) so that both
 * `xmllint --html` and an XML parser accept it.
 *
 * Charts: one CDF per metric (latency and distance inflation, class "cdf")
 * with every method / arm overlaid on a shared log axis, the hit rate over
 * time (class "series"), and a grouped bar chart of hit rate by continent
 * with the Wilson interval and count on each bar (class "bars"). Every
 * chart is drawn from aggregates (at most one step per pixel column), so
 * the page stays small whatever the input.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "compare/cmp_report.h"
#include "geodns/geo_config.h"

static const char *const color[CG_N] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#d62728" };

/* Text with &, <, >, " escaped. */
void cmp_html_esc(FILE *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", o); break;
		case '<': fputs("&lt;", o); break;
		case '>': fputs("&gt;", o); break;
		case '"': fputs("&quot;", o); break;
		default:
			/* Control bytes are not allowed in XML 1.0. */
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, o);
		}
	}
}

/* The few-samples mark (not on n/a figures: there is nothing to mark). */
static const char *few(const struct cmp_report *r, size_t n)
{
	return n && cmp_few(r, n) ? " <span class=\"few\">(few samples)</span>" : "";
}

/* A share as "12.5%", "n/a" without values. */
static const char *pct_or_na(char *buf, size_t cap, double share)
{
	if (isnan(share))
		return cmp_fmt_num(buf, cap, share, 1);
	snprintf(buf, cap, "%.1f%%", 100 * share);
	return buf;
}

static const char css[] =
	"body{font-family:sans-serif;margin:24px;color:#222;background:#fff}"
	"h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:15px}"
	"table{border-collapse:collapse;margin:8px 0}"
	"td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;font-size:13px}"
	"th{background:#f0f0f0}td.l,th.l{text-align:left}"
	".verdict{font-size:16px;background:#f4f8ff;border:1px solid #9bd;padding:8px}"
	".few{color:#b00;font-size:11px}.legend{color:#555;font-size:13px}"
	".charts{display:flex;flex-wrap:wrap;gap:16px}"
	".fig{margin:0;border:1px solid #ddd;padding:8px}"
	".cap{font-size:13px;text-align:center;margin:4px}"
	"svg text{font-family:sans-serif;font-size:11px;fill:#333}";

/* Upper end of an axis: 1, 2, 5 x 10^k at or above v (v > 0). */
static double nice_max(double v)
{
	double m = 1;
	if (v <= 1)
		return 1;
	while (m * 10 < v)
		m *= 10;
	if (v <= m)
		return m;
	if (v <= 2 * m)
		return 2 * m;
	if (v <= 5 * m)
		return 5 * m;
	return 10 * m;
}

enum { CW = 380, CH = 250, ML = 44, MR = 12, MT = 12, MB = 36 };

/* x of value v on a log axis: log10(1 + v) over log10(1 + xmax), so that
 * both the bulk near 0 and the tail show. */
static double log_x(double v, double xmax, double pw)
{
	if (v > xmax)
		v = xmax;
	return ML + pw * log10(1 + (v > 0 ? v : 0)) / log10(1 + xmax);
}

/* One CDF of a metric (latency or distance inflation) with every group
 * that has values overlaid on one shared log axis; groups without values
 * are named in the caption, not drawn as empty panels. */
static void cdf_chart(const struct cmp_report *r, bool km, FILE *o)
{
	double pw = CW * 2 - ML - MR - 150, ph = CH - MT - MB, vmax = 0;
	int w = CW * 2;
	for (int g = 0; g < CG_N; g++) {
		const struct cmp_dist *d = km ? &r->g[g].km : &r->g[g].lat;
		if (d->n_vals && d->vals[d->n_vals - 1].v > vmax)
			vmax = d->vals[d->n_vals - 1].v;
	}
	double xmax = nice_max(vmax > 0 ? vmax : 1);
	fprintf(o, "<div class=\"fig\"><svg xmlns=\"http://www.w3.org/2000/svg\" class=\"cdf\" "
	           "data-metric=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
	        km ? "distance" : "latency", w, CH, w, CH);
	fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" "
	           "stroke=\"#999\"/>\n",
	        ML, MT, pw, ph);
	for (int i = 0; i <= 4; i++) {
		double y = MT + ph - ph * i / 4;
		fprintf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		           "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n",
		        ML, y, ML + pw, y, ML - 4, y + 4, i / 4.0);
	}
	for (double t = 0; t <= xmax; t = t ? t * 10 : 1) {
		double x = log_x(t, xmax, pw);
		fprintf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#ddd\"/>"
		           "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%g</text>\n",
		        x, MT, x, MT + ph, x, MT + ph + 14, t);
	}
	fprintf(o, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">%s (log scale)</text>\n",
	        ML + pw / 2, CH - 6, km ? "distance inflation (km)" : "latency inflation (ms)");
	int gi = 0;
	for (int g = 0; g < CG_N; g++) {
		const struct cmp_dist *d = km ? &r->g[g].km : &r->g[g].lat;
		if (!r->g[g].samples)
			continue;
		fprintf(o, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		           "<text x=\"%.0f\" y=\"%d\">%s %s</text>\n",
		        ML + pw + 16, MT + 4 + gi * 18, d->n ? color[g] : "#ccc", ML + pw + 32,
		        MT + 14 + gi * 18, cmp_group_name[g], d->n ? "" : "(n/a)");
		gi++;
		if (!d->n)
			continue;
		/* A step line, at most one step per pixel column, so that the
		 * page's size does not grow with the input. */
		fprintf(o, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" data-method=\"%s\" "
		           "d=\"M%d %.1f",
		        color[g], cmp_group_name[g], ML, MT + ph);
		uint64_t cum = 0;
		double last_y = MT + ph;
		for (size_t i = 0; i < d->n_vals; i++) {
			double x = log_x(d->vals[i].v, xmax, pw);
			cum += d->vals[i].w;
			if (i + 1 < d->n_vals && (int)log_x(d->vals[i + 1].v, xmax, pw) == (int)x)
				continue;
			double y = MT + ph - ph * (double)cum / (double)d->n;
			fprintf(o, " L%.1f %.1f L%.1f %.1f", x, last_y, x, y);
			last_y = y;
		}
		fprintf(o, " L%.0f %.1f\"/>\n", ML + pw, last_y);
	}
	fprintf(o, "</svg><p class=\"cap\">CDF of %s per method: share of samples at or below "
	           "each value</p></div>\n",
	        km ? "distance inflation" : "latency inflation");
}

/* An SVG of class cls, w x h, opened with a 0-100% y axis whose grid
 * lines run from the left margin to x_end. */
static void percent_axes(FILE *o, const char *cls, int w, int h, double x_end)
{
	double ph = h - MT - MB;
	fprintf(o, "<div class=\"fig\"><svg xmlns=\"http://www.w3.org/2000/svg\" class=\"%s\" "
	           "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
	        cls, w, h, w, h);
	for (int i = 0; i <= 4; i++) {
		double y = MT + ph - ph * i / 4;
		fprintf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		           "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>\n",
		        ML, y, x_end, y, ML - 4, y + 4, i * 25);
	}
}

/* Hit rate per bin over time, every group on one axis; a bin without
 * rated samples breaks the line. */
static void series_chart(const struct cmp_report *r, FILE *o)
{
	const struct cmp_series *s = &r->series;
	int w = 760, h = 260;
	double pw = w - ML - MR - 150, ph = h - MT - MB;
	char t[32];
	percent_axes(o, "series", w, h, ML + pw);
	double step = s->n_bins > 1 ? pw / (double)(s->n_bins - 1) : 0;
	for (size_t b = 0; b < s->n_bins; b += (s->n_bins + 5) / 6)
		fprintf(o, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n",
		        ML + step * (double)b, MT + ph + 14,
		        cmp_fmt_time(t, sizeof(t), s->start + (int64_t)b * s->bin_s) + 11);
	/* Failover windows as grey bands behind the lines, so a dip in the
	 * hit rate can be read against the outage that caused it. */
	for (size_t i = 0; i < r->n_failover && i < CMP_MAX_FAILOVER_ROWS && step > 0; i++) {
		const struct cmp_failover *fw = &r->failover[i];
		double x0 = ML + step * ((double)fw->start_ms / 1000 - (double)s->start) / (double)s->bin_s;
		double x1 = ML + step * ((double)fw->end_ms / 1000 - (double)s->start) / (double)s->bin_s;
		x0 = x0 < ML ? ML : x0 > ML + pw ? ML + pw : x0;
		x1 = x1 < x0 + 1 ? x0 + 1 : x1 > ML + pw ? ML + pw : x1;
		fprintf(o, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.0f\" fill=\"#888\" "
		           "fill-opacity=\"0.18\"><title>%s down (%s)</title></rect>\n",
		        x0, MT, x1 - x0, ph, r->ctx->geo->pops[fw->pop].name,
		        fw->reported ? "reported" : "inferred");
	}
	int gi = 0;
	for (int g = 0; g < CG_N; g++) {
		if (!r->g[g].rated)
			continue;
		bool pen = false;
		fprintf(o, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"", color[g]);
		for (size_t b = 0; b < s->n_bins; b++) {
			const struct cmp_tslot *x = &s->bins[b * CG_N + g];
			if (!x->rated) {
				pen = false;
				continue;
			}
			double v = (double)x->hits / (double)x->rated;
			fprintf(o, "%s%.1f %.1f ", pen ? "L" : "M", ML + step * (double)b,
			        MT + ph - ph * v);
			pen = true;
		}
		fputs("\"/>\n", o);
		fprintf(o, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		           "<text x=\"%.0f\" y=\"%d\">%s</text>\n",
		        ML + pw + 20, MT + 4 + gi * 18, color[g], ML + pw + 38, MT + 14 + gi * 18,
		        cmp_group_name[g]);
		gi++;
	}
	fprintf(o, "</svg><p class=\"cap\">optimal-PoP hit rate over time, bins of %lld s (UTC)%s"
	           "</p></div>\n",
	        (long long)s->bin_s, r->n_failover ? "; grey: failover windows" : "");
}

/* Continents present in any group, sorted (at most 8 codes + "??"). */
static size_t continents(const struct cmp_report *r, char keys[][3], size_t max)
{
	size_t n = 0;
	for (int g = 0; g < CG_N; g++)
		for (size_t i = 0; i < r->g[g].n_continents; i++) {
			size_t j;
			for (j = 0; j < n; j++)
				if (!strcmp(keys[j], r->g[g].continents[i].key))
					break;
			if (j == n && n < max)
				memcpy(keys[n++], r->g[g].continents[i].key, 3);
		}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			char t[3];
			memcpy(t, keys[j], 3);
			memcpy(keys[j], keys[j - 1], 3);
			memcpy(keys[j - 1], t, 3);
		}
	return n;
}

static void bar_chart(const struct cmp_report *r, FILE *o)
{
	char keys[16][3];
	size_t nk = continents(r, keys, 16);
	int groups[CG_N], ng = 0;
	for (int g = 0; g < CG_N; g++)
		if (r->g[g].rated)
			groups[ng++] = g;
	int bw = 16, gap = 20;
	int slot = ng * bw + gap;
	int w = ML + MR + (int)nk * slot + 150, h = 260;
	double ph = h - MT - MB;

	percent_axes(o, "bars", w, h, w - 150);
	for (size_t k = 0; k < nk; k++) {
		int x0 = ML + (int)k * slot + gap / 2;
		for (int gi = 0; gi < ng; gi++) {
			const struct cmp_group_fig *f = &r->g[groups[gi]];
			const struct cmp_bucket *b = NULL;
			for (size_t i = 0; i < f->n_continents; i++)
				if (!strcmp(f->continents[i].key, keys[k]))
					b = &f->continents[i];
			if (!b || !b->rated)
				continue;
			double v = (double)b->hits / (double)b->rated, lo, hi;
			cmp_wilson(b->hits, b->rated, &lo, &hi);
			int x = x0 + gi * bw;
			/* Bars on few samples are drawn pale; a 0% bar is a
			 * 2 px stub, so it does not read as "no data"; the
			 * whisker is the Wilson 95% interval; n above it. */
			fprintf(o, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\" "
			           "fill-opacity=\"%s\"><title>%s %s: %.1f%% [%.1f-%.1f] of %zu</title>"
			           "</rect>\n",
			        x, MT + ph - ph * v - (v > 0 ? 0 : 2), bw - 2, v > 0 ? ph * v : 2,
			        color[groups[gi]], cmp_few(r, b->rated) ? "0.35" : "1",
			        cmp_group_name[groups[gi]], keys[k], 100 * v, 100 * lo, 100 * hi, b->rated);
			double cx = x + (bw - 2) / 2.0;
			fprintf(o, "<path d=\"M%.1f %.1f V%.1f M%.1f %.1f h6 M%.1f %.1f h6\" stroke=\"#222\" "
			           "stroke-width=\"1\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			           "font-size=\"8\">%zu</text>\n",
			        cx, MT + ph - ph * lo, MT + ph - ph * hi, cx - 3, MT + ph - ph * lo, cx - 3,
			        MT + ph - ph * hi, cx, MT + ph - ph * hi - 3, b->rated);
		}
		fprintf(o, "<text x=\"%d\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n",
		        x0 + ng * bw / 2, MT + ph + 14, keys[k]);
	}
	for (int gi = 0; gi < ng; gi++)
		fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		           "<text x=\"%d\" y=\"%d\">%s</text>\n",
		        w - 140, MT + 4 + gi * 18, color[groups[gi]], w - 122, MT + 14 + gi * 18,
		        cmp_group_name[groups[gi]]);
	fprintf(o, "<text x=\"%d\" y=\"%d\">pale: few samples</text>\n", w - 140,
	        MT + 14 + ng * 18);
	fprintf(o, "</svg><p class=\"cap\">optimal-PoP hit rate by continent: whiskers are the "
	           "Wilson 95%% interval, numbers the rated samples</p></div>\n");
}

static void summary(const struct cmp_report *r, FILE *o)
{
	fputs("<table><tr><th class=\"l\">method</th><th>samples</th><th>rated</th>"
	           "<th>by RTT</th><th>by distance</th><th>unrated at resolver</th><th>partial RTTs"
	           "</th><th>hit rate [95% CI] (hits/n)</th><th>latency infl. median ms [95% CI]"
	           "</th><th>p90 [95% CI]</th><th>p99</th><th>&gt;10 ms</th><th>&gt;25 ms</th>"
	           "<th>n (latency)</th><th>distance infl. median km</th><th>n (distance)</th></tr>\n", o);
	for (int g = 0; g < CG_N; g++) {
		const struct cmp_group_fig *f = &r->g[g];
		char hit[64], med[48], p90[48], p99[24], o10[24], o25[24], km[24];
		if (!f->samples)
			continue;
		fprintf(o, "<tr><td class=\"l\">%s</td><td>%zu</td><td>%zu</td><td>%zu</td><td>%zu</td>"
		           "<td>%zu</td><td>%zu</td><td>%s%s</td><td>%s%s</td><td>%s</td><td>%s</td>"
		           "<td>%s</td><td>%s</td><td>%zu</td><td>%s%s</td><td>%zu</td></tr>\n",
		        cmp_group_name[g], f->samples, f->rated, f->by_rtt, f->by_dist,
		        f->unrated_resolver, f->partial_rtt,
		        cmp_fmt_rate(hit, sizeof(hit), f->hits, f->rated), few(r, f->rated),
		        cmp_fmt_dist(med, sizeof(med), f->lat.median, f->lat.median_lo, f->lat.median_hi),
		        few(r, f->lat.n),
		        cmp_fmt_dist(p90, sizeof(p90), f->lat.p90, f->lat.p90_lo, f->lat.p90_hi),
		        cmp_fmt_num(p99, sizeof(p99), f->lat.p99, 1),
		        pct_or_na(o10, sizeof(o10), f->lat.over10),
		        pct_or_na(o25, sizeof(o25), f->lat.over25), f->lat.n,
		        cmp_fmt_num(km, sizeof(km), f->km.median, 0), few(r, f->km.n), f->km.n);
	}
	fprintf(o, "</table>\n");
}

static void buckets(const struct cmp_report *r, const char *what, const struct cmp_bucket *b,
                    size_t n, FILE *o)
{
	char hit[64], med[24];
	fprintf(o, "<table><tr><th class=\"l\">%s</th><th>samples</th><th>rated</th><th>hit rate"
	           " [95%% CI] (hits/n)</th><th>latency infl. median ms</th><th>n (latency)</th></tr>\n",
	        what);
	for (size_t i = 0; i < n; i++)
		fprintf(o, "<tr><td class=\"l\">%s</td><td>%zu</td><td>%zu</td><td>%s%s</td>"
		           "<td>%s%s</td><td>%zu</td></tr>\n",
		        b[i].key, b[i].samples, b[i].rated,
		        cmp_fmt_rate(hit, sizeof(hit), b[i].hits, b[i].rated), few(r, b[i].rated),
		        cmp_fmt_num(med, sizeof(med), b[i].lat_median, 1),
		        b[i].n_lat ? few(r, b[i].n_lat) : "", b[i].n_lat);
	fprintf(o, "</table>\n");
}

static void details(const struct cmp_report *r, int g, FILE *o)
{
	const struct cmp_group_fig *f = &r->g[g];
	const struct geo_config *geo = r->ctx->geo;
	fprintf(o, "<h3>%s</h3>\n<p>Confusion matrix: rows chosen PoP, columns optimal PoP "
	           "(n=%zu)%s</p>\n<table><tr><th></th>",
	        cmp_group_name[g], f->rated, few(r, f->rated));
	for (size_t j = 0; j < r->n_pops; j++) {
		fputs("<th>", o);
		cmp_html_esc(o, geo->pops[j].name);
		fputs("</th>", o);
	}
	fputs("</tr>\n", o);
	for (size_t i = 0; i < r->n_pops; i++) {
		fputs("<tr><th class=\"l\">", o);
		cmp_html_esc(o, geo->pops[i].name);
		fputs("</th>", o);
		for (size_t j = 0; j < r->n_pops; j++)
			fprintf(o, "<td>%zu</td>", f->confusion[i * r->n_pops + j]);
		fputs("</tr>\n", o);
	}
	fputs("</table>\n", o);
	buckets(r, "continent", f->continents, f->n_continents, o);
	buckets(r, "country", f->countries, f->n_countries, o);
}

int cmp_report_html(const struct cmp_report *r, const char *path, char *err, size_t errlen)
{
	FILE *o = fopen(path, "w");
	const struct cmp_ctx *c = r->ctx;

	if (!o) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		return -1;
	}
	fprintf(o, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
	           "<head><meta charset=\"utf-8\"/><title>steerdns compare</title>"
	           "<style>%s</style></head>\n<body>\n<h1>steerdns compare</h1>\n",
	        css);
	char verdict[512];
	cmp_verdict(r, verdict, sizeof(verdict));
	fputs("<p class=\"verdict\"><b>Verdict:</b> ", o);
	cmp_html_esc(o, verdict);
	fputs(".</p>\n", o);
	fprintf(o, "<p class=\"legend\">%s. [lo-hi] are 95%% intervals (Wilson for hit rates, "
	           "order statistics for percentiles); n/a: no samples. Figures on fewer than %u "
	           "samples are marked <span class=\"few\">(few samples)</span>. Optimal PoP: lowest "
	           "RTT where the client has RTTs to every PoP, else nearest by distance; answers "
	           "located only at their resolver are not rated.</p>\n",
	        CMP_PERCENTILE_LEGEND, r->min_samples);
	fputs("<h2>Inputs</h2>\n<table><tr><th class=\"l\">file</th><th class=\"l\">format</th>"
	      "<th>lines</th><th>used</th><th>skipped</th><th>malformed</th></tr>\n", o);
	for (size_t i = 0; i < c->n_files; i++) {
		fputs("<tr><td class=\"l\">", o);
		cmp_html_esc(o, c->files[i].path);
		fprintf(o, "</td><td class=\"l\">%s</td><td>%zu</td><td>%zu</td><td>%zu</td><td>%zu"
		           "</td></tr>\n",
		        c->files[i].format, c->files[i].lines, c->files[i].records,
		        c->files[i].skipped, c->files[i].malformed);
	}
	fputs("</table>\n<h2>Summary</h2>\n", o);
	summary(r, o);
	fputs("<h2>Differences between methods</h2>\n", o);
	cmp_write_differences(r, o, true);
	fputs("<h2>By continent and country, methods side by side</h2>\n", o);
	cmp_write_side_by_side(r, o, true, true);
	cmp_write_side_by_side(r, o, true, false);
	fputs("<h2>Catchment</h2>\n", o);
	cmp_write_catchment(r, o, true);
	if (c->n_resolvers) {
		fputs("<h2>Resolvers</h2>\n", o);
		cmp_write_resolvers(r, o, true, 20);
	}
	if (r->n_clients) {
		fputs("<h2>Per client</h2>\n", o);
		cmp_write_clients(r, o, true);
	}
	fputs("<h2>Latency and distance inflation</h2>\n<div class=\"charts\">\n", o);
	for (int km = 0; km < 2; km++) {
		bool any = false;
		for (int g = 0; g < CG_N; g++)
			any |= (km ? r->g[g].km.n : r->g[g].lat.n) > 0;
		if (any)
			cdf_chart(r, km, o);
		else
			fprintf(o, "<p class=\"legend\">No %s values: %s.</p>\n",
			        km ? "distance inflation" : "latency inflation",
			        km ? "no sample is located" : "no sample has RTTs to every PoP");
	}
	if (r->series.n_bins) {
		fputs("</div>\n<h2>Over time</h2>\n<div class=\"charts\">\n", o);
		series_chart(r, o);
	}
	fputs("</div>\n<h2>Failover windows</h2>\n<div>\n", o);
	cmp_write_failover(r, o, true);
	fputs("</div>\n<h2>Hit rate by continent</h2>\n<div class=\"charts\">\n", o);
	bar_chart(r, o);
	fputs("</div>\n<h2>Details</h2>\n", o);
	for (int g = 0; g < CG_N; g++)
		if (r->g[g].samples)
			details(r, g, o);
	fputs("</body>\n</html>\n", o);
	if (fclose(o) != 0) {
		snprintf(err, errlen, "%s: write error: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
