/*
 * cmp_failover_out.c: the failover windows of the report (built by
 * compare/cmp_failover.c) as text, an HTML table and a JSON value.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cmp_report.h"
#include "geodns/geo_config.h"

static const char *source(const struct cmp_failover *w)
{
	return w->reported ? "reported" : "inferred";
}

/* What one method did, in words: "stopped after 2.100 s", ... */
static const char *method_text(char *buf, size_t cap, const struct cmp_failover *w,
                               const struct cmp_fo_method *m, bool html)
{
	char t[40];
	switch (m->status) {
	case FO_STOPPED:
		if (html)
			snprintf(buf, cap, "%.3f s%s", (double)m->kept_ms / 1000,
			         m->resumed ? ", resumed" : "");
		else
			snprintf(buf, cap, "stopped after %.3f s (last answer %s)%s",
			         (double)m->kept_ms / 1000, cmp_fmt_time_ms(t, sizeof(t), m->last_ms),
			         m->resumed ? ", resumed inside the window" : "");
		break;
	case FO_THROUGH:
		snprintf(buf, cap, html ? "&ge; %.3f s (to the %s)" : "kept sending to the %2$s (%1$.3f s)",
		         (double)m->kept_ms / 1000, w->open ? "data's end" : "end");
		break;
	default:
		snprintf(buf, cap, "n/a");
	}
	return buf;
}

void cmp_write_failover(const struct cmp_report *r, FILE *o, bool html)
{
	const struct geo_config *geo = r->ctx->geo;
	double gap = (double)r->ctx->gap_ms / 1000;
	char a[40], b[40], m[160];
	if (!r->n_failover) {
		fprintf(o, html ? "<p class=\"legend\">None: no PoP was reported down, and none fell "
		                  "silent in a method's answers for more than %g s.</p>\n"
		                : "\nfailover windows: none (no PoP reported down or silent for more "
		                  "than %g s)\n",
		        gap);
		return;
	}
	if (html) {
		fprintf(o, "<p class=\"legend\">A window opens where the decision log's health lines "
		           "report the PoP down (reported), or where it fell silent for more than %g s "
		           "in the answers of a method that went on answering (inferred: the start is "
		           "the first method's last answer). Each method: how long after the start it "
		           "still sent clients to the PoP.</p>\n<table><tr><th class=\"l\">PoP</th>"
		           "<th class=\"l\">source</th><th class=\"l\">start</th><th>duration</th>",
		        gap);
		for (int g = 0; g < CG_N; g++)
			if (r->g[g].samples)
				fprintf(o, "<th>%s</th>", cmp_group_name[g]);
		fputs("</tr>\n", o);
	} else {
		fprintf(o, "\nfailover windows (a PoP reported down by health lines, or silent for more "
		           "than %g s in a method's answers: inferred), and how long each method kept "
		           "sending clients to it:\n",
		        gap);
	}
	for (size_t i = 0; i < r->n_failover && i < CMP_MAX_FAILOVER_ROWS; i++) {
		const struct cmp_failover *w = &r->failover[i];
		double dur = (double)(w->end_ms - w->start_ms) / 1000;
		if (html)
			fprintf(o, "<tr><td class=\"l\">%s</td><td class=\"l\">%s</td><td class=\"l\">%s"
			           "</td><td>%.3f s%s</td>",
			        geo->pops[w->pop].name, source(w),
			        cmp_fmt_time_ms(a, sizeof(a), w->start_ms), dur, w->open ? " (open)" : "");
		else
			fprintf(o, "  %-8s %s - %s (%.3f s, %s%s)\n", geo->pops[w->pop].name,
			        cmp_fmt_time_ms(a, sizeof(a), w->start_ms),
			        w->open ? "open" : cmp_fmt_time_ms(b, sizeof(b), w->end_ms), dur, source(w),
			        w->open ? ", to the data's end" : "");
		for (int g = 0; g < CG_N; g++) {
			if (!r->g[g].samples)
				continue;
			method_text(m, sizeof(m), w, &w->m[g], html);
			if (html)
				fprintf(o, "<td>%s</td>", m);
			else
				fprintf(o, "    %-16s %s\n", cmp_group_name[g], m);
		}
		if (html)
			fputs("</tr>\n", o);
	}
	if (html)
		fputs("</table>\n", o);
	if (r->n_failover > CMP_MAX_FAILOVER_ROWS)
		fprintf(o, html ? "<p class=\"legend\">The first %d of %zu windows (the JSON has all)."
		                  "</p>\n"
		                : "  (the first %d of %zu windows; the JSON has all)\n",
		        CMP_MAX_FAILOVER_ROWS, r->n_failover);
}

struct json_t *cmp_failover_json(const struct cmp_report *r)
{
	const struct geo_config *geo = r->ctx->geo;
	char a[40], b[40];
	json_t *ws = json_array();
	for (size_t i = 0; ws && i < r->n_failover; i++) {
		const struct cmp_failover *w = &r->failover[i];
		json_t *ms = json_object();
		for (int g = 0; ms && g < CG_N; g++) {
			const struct cmp_fo_method *m = &w->m[g];
			json_t *v;
			if (!r->g[g].samples)
				continue;
			if (m->status == FO_STOPPED)
				v = json_pack("{s:s, s:f, s:s, s:b}", "status", "stopped", "kept_s",
				              (double)m->kept_ms / 1000, "last",
				              cmp_fmt_time_ms(a, sizeof(a), m->last_ms), "resumed", m->resumed);
			else if (m->status == FO_THROUGH)
				v = json_pack("{s:s, s:f}", "status", "through", "kept_s",
				              (double)m->kept_ms / 1000);
			else
				v = json_null();
			json_object_set_new(ms, cmp_group_name[g], v);
		}
		json_t *end = w->open ? json_null()
		                      : json_string(cmp_fmt_time_ms(b, sizeof(b), w->end_ms));
		json_array_append_new(
			ws, json_pack("{s:s, s:s, s:s, s:o, s:b, s:f, s:o}", "pop", geo->pops[w->pop].name,
		                      "source", source(w), "start",
		                      cmp_fmt_time_ms(a, sizeof(a), w->start_ms), "end", end, "open",
		                      w->open, "duration_s", (double)(w->end_ms - w->start_ms) / 1000,
		                      "methods", ms));
	}
	return json_pack("{s:f, s:o}", "gap_s", (double)r->ctx->gap_ms / 1000, "windows", ws);
}
