/*
 * cmp_resolvers.c: the per-resolver view of decision logs: per resolver
 * address, its answers, how many of its queries carried ECS, and of its
 * GeoDNS answers how many the server located by that ECS. Memory grows
 * with distinct resolvers; the table merges by addition (partial files).
 */
#include <stdlib.h>
#include <string.h>

#include "compare/cmp_report.h"

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static int rindex_grow(struct cmp_ctx *c)
{
	size_t nc = c->rindex_cap ? c->rindex_cap * 2 : 256;
	uint32_t *t = calloc(nc, sizeof(*t));
	if (!t)
		return -1;
	for (size_t i = 0; i < c->n_resolvers; i++) {
		size_t h = hash_str(c->resolvers[i].addr) & (nc - 1);
		while (t[h])
			h = (h + 1) & (nc - 1);
		t[h] = (uint32_t)i + 1;
	}
	free(c->rindex);
	c->rindex = t;
	c->rindex_cap = nc;
	return 0;
}

int cmp_resolver_add(struct cmp_ctx *c, const struct cmp_resolver *add)
{
	if (c->n_resolvers + 1 > c->rindex_cap / 2 && rindex_grow(c) < 0)
		return -1;
	size_t h = hash_str(add->addr) & (c->rindex_cap - 1);
	for (; c->rindex[h]; h = (h + 1) & (c->rindex_cap - 1)) {
		struct cmp_resolver *e = &c->resolvers[c->rindex[h] - 1];
		if (!strcmp(e->addr, add->addr)) {
			e->answers += add->answers;
			e->ecs_present += add->ecs_present;
			e->geodns += add->geodns;
			e->ecs_used += add->ecs_used;
			return 0;
		}
	}
	if (cmp_grow((void **)&c->resolvers, &c->cap_resolvers, c->n_resolvers,
	             sizeof(*c->resolvers)) < 0)
		return -1;
	c->resolvers[c->n_resolvers] = *add;
	c->rindex[h] = (uint32_t)c->n_resolvers + 1;
	c->n_resolvers++;
	return 0;
}

static int by_answers(const void *a, const void *b)
{
	const struct cmp_resolver *x = *(const struct cmp_resolver *const *)a;
	const struct cmp_resolver *y = *(const struct cmp_resolver *const *)b;
	if (x->answers != y->answers)
		return x->answers < y->answers ? 1 : -1;
	return strcmp(x->addr, y->addr);
}

void cmp_write_resolvers(const struct cmp_report *r, FILE *o, bool html, size_t top)
{
	const struct cmp_ctx *c = r->ctx;
	uint64_t ans = 0, ans_ecs = 0;
	size_t n_ecs = 0;
	if (!c->n_resolvers)
		return;
	const struct cmp_resolver **v = malloc(c->n_resolvers * sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < c->n_resolvers; i++) {
		v[i] = &c->resolvers[i];
		ans += v[i]->answers;
		if (v[i]->ecs_present) {
			n_ecs++;
			ans_ecs += v[i]->answers;
		}
	}
	qsort(v, c->n_resolvers, sizeof(*v), by_answers);
	fprintf(o,
	        html ? "<p>%zu resolvers; %zu sent ECS on some query (%.1f%% of the %llu answers); "
	               "the top %zu by answers:</p>\n<table><tr><th class=\"l\">resolver</th>"
	               "<th>answers</th><th>with ECS</th><th>GeoDNS answers</th>"
	               "<th>located by ECS</th></tr>\n"
	             : "\nresolvers (decision logs): %zu; %zu sent ECS on some query (%.1f%% of the "
	               "%llu answers); the top %zu by answers: answers, with ECS, GeoDNS answers, "
	               "of those located by their ECS:\n",
	        c->n_resolvers, n_ecs, ans ? 100.0 * (double)ans_ecs / (double)ans : 0.0,
	        (unsigned long long)ans, top < c->n_resolvers ? top : c->n_resolvers);
	for (size_t i = 0; i < c->n_resolvers && i < top; i++) {
		char a[64];
		snprintf(a, sizeof(a), "%s", v[i]->addr);
		if (html) {
			fputs("<tr><td class=\"l\">", o);
			cmp_html_esc(o, a);
			fputs("</td>", o);
		} else {
			fprintf(o, "  %-40s", a);
		}
		fprintf(o, html ? "<td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td></tr>\n"
		                : " %10llu %10llu %10llu %10llu\n",
		        (unsigned long long)v[i]->answers, (unsigned long long)v[i]->ecs_present,
		        (unsigned long long)v[i]->geodns, (unsigned long long)v[i]->ecs_used);
	}
	if (html)
		fputs("</table>\n", o);
	free(v);
}
