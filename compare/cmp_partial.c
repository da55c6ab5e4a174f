/*
 * cmp_partial.c: partial results of `steerdns compare` (--save-partial
 * FILE): the read state (every distinct observation with its count, the
 * RTT rows, the per-file and attribution counts) as JSON Lines, so that
 * each PoP reduces its own logs and one compare merges the partial files
 * as inputs. Observations fold by value and every figure is computed
 * after all inputs are read, so merged shards give exactly the figures of
 * one pass over all lines. Doubles are written with 17 significant
 * digits, which read back to the same bits.
 *
 * Lines: {"steerdns_compare_partial":1,"pops":[names in config order]},
 * then any of
 *   {"file":{"path","format","lines","used","skipped","malformed","scanned"}}
 *   {"counts":{"unknown_pop",...,"atlas":{...}}}
 *   {"o":[group,join,chosen,key,experienced,has_coords,at_resolver,lat,lon,
 *         country,continent,count,client,rtt]}   (client: the per-client
 *                                          table's name or null; rtt: null or per PoP, null = not
 *                                          measured, "inf" = no reply)
 *   {"r":[key,pop,rtt]}
 *   {"t":[group,second,samples,rated,hits,n_lat,lat_sum_us]}   (time series)
 *   {"v":[resolver,answers,with_ecs,geodns,ecs_used]}         (resolvers)
 *   {"u":[group,pop,first_ms,last_ms,answers]}                (failover runs)
 *   {"h":[ms,server,pop,state]}                               (health lines)
 * The header also carries the failover gap ("gap_ms"): runs folded with
 * another gap would not merge exactly, so a partial file with another gap
 * is refused.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cmp_ctx.h"
#include "compare/cmp_sources.h"
#include "geodns/geo_config.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -1)

/* The size_t counters of the context and of its Atlas tally, by name. */
#define CTX_COUNT(f) { #f, offsetof(struct cmp_ctx, f) }
#define ATLAS_COUNT(f) { #f, offsetof(struct cmp_ctx, atlas) + offsetof(struct cmp_atlas_stats, f) }
static const struct {
	const char *name;
	size_t off;
} counts[] = {
	CTX_COUNT(unknown_pop), CTX_COUNT(resolver_ecs_unknown), CTX_COUNT(ecs_direct_superseded),
	CTX_COUNT(ecs_unused), ATLAS_COUNT(dns_results), ATLAS_COUNT(dns_nsid),
	ATLAS_COUNT(dns_no_nsid), ATLAS_COUNT(dns_errors), ATLAS_COUNT(nsid_unmapped),
	ATLAS_COUNT(ping_results), ATLAS_COUNT(ping_no_reply), ATLAS_COUNT(ping_unmapped),
};
#define N_COUNTS (sizeof(counts) / sizeof(counts[0]))

/* The seconds of a time slot compare makes: those cmp_parse_ts can give,
 * 0000-01-01T00:00:00Z to 9999-12-31T23:59:60Z. A slot outside is no
 * slot compare made, and would make the series span more than its bins
 * can (cmp_series_build allocates a bin per week of the span). */
#define TS_MIN_S (-62167219200LL)
#define TS_MAX_S 253402300800LL

static size_t *count_at(struct cmp_ctx *c, size_t i)
{
	return (size_t *)((char *)c + counts[i].off);
}

static void key_hex(const struct cmp_key *k, char out[35])
{
	for (size_t i = 0; i < sizeof(k->b); i++)
		snprintf(out + 2 * i, 3, "%02x", k->b[i]);
}

static int hex_key(const char *s, struct cmp_key *k)
{
	if (!s || strlen(s) != 2 * sizeof(k->b))
		return -1;
	for (size_t i = 0; i < sizeof(k->b); i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		k->b[i] = (uint8_t)v;
	}
	return 0;
}

/* A double: null for NAN, "inf" for +INFINITY, else %.17g. */
static void put_num(FILE *o, double v)
{
	if (isnan(v))
		fputs("null", o);
	else if (isinf(v))
		fputs("\"inf\"", o);
	else
		fprintf(o, "%.17g", v);
}

static double get_num(const json_t *v, bool *ok)
{
	if (json_is_null(v))
		return NAN;
	if (json_is_string(v) && !strcmp(json_string_value(v), "inf"))
		return INFINITY;
	if (json_is_number(v))
		return json_number_value(v);
	*ok = false;
	return NAN;
}

/* A string as JSON (null when it is not UTF-8). */
static void put_str(FILE *o, const char *s)
{
	json_t *j = json_string(s);
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	fputs(t ? t : "null", o);
	free(t);
	json_decref(j);
}

/* A country or continent code: copied from an input, it may be any two
 * bytes, a quote or a control character too (put_str then). */
static void put_code(FILE *o, const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\') {
			put_str(o, s);
			return;
		}
	fprintf(o, "\"%s\"", s);
}

int cmp_save_partial(const struct cmp_ctx *c, const char *path, char *err, size_t errlen)
{
	FILE *o = fopen(path, "w");
	char hex[35];
	if (!o) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		return -1;
	}
	fputs("{\"steerdns_compare_partial\":1,\"pops\":[", o);
	for (size_t i = 0; i < c->n_pops; i++) {
		fputs(i ? "," : "", o);
		put_str(o, c->geo->pops[i].name);
	}
	fprintf(o, "],\"gap_ms\":%lld}\n", (long long)c->gap_ms);
	for (size_t i = 0; i < c->n_files; i++) {
		const struct cmp_file *f = &c->files[i];
		fputs("{\"file\":{\"path\":", o);
		put_str(o, f->path);
		fprintf(o, ",\"format\":\"%s\",\"lines\":%zu,\"used\":%zu,\"skipped\":%zu,"
		           "\"malformed\":%zu,\"scanned\":%zu}}\n",
		        f->format, f->lines, f->records, f->skipped, f->malformed, f->scanned);
	}
	fputs("{\"counts\":{", o);
	for (size_t i = 0; i < N_COUNTS; i++)
		fprintf(o, "%s\"%s\":%zu", i ? "," : "", counts[i].name,
		        *count_at((struct cmp_ctx *)c, i));
	fputs("}}\n", o);
	for (size_t i = 0; i < c->n_obs; i++) {
		const struct cmp_obs *b = &c->obs[i];
		key_hex(&b->key, hex);
		fprintf(o, "{\"o\":[%u,%u,%d,\"%s\",", b->group, b->join, b->chosen, hex);
		put_num(o, b->experienced);
		fprintf(o, ",%s,%s,", b->has_coords ? "true" : "false",
		        b->at_resolver ? "true" : "false");
		put_num(o, b->has_coords ? b->lat : NAN);
		fputc(',', o);
		put_num(o, b->has_coords ? b->lon : NAN);
		fputc(',', o);
		put_code(o, b->country);
		fputc(',', o);
		put_code(o, b->continent);
		fprintf(o, ",%llu,", (unsigned long long)b->count);
		if (b->client)
			put_str(o, c->labels[b->client - 1]);
		else
			fputs("null", o);
		fputc(',', o);
		if (!b->rtt) {
			fputs("null", o);
		} else {
			fputc('[', o);
			for (size_t p = 0; p < c->n_pops; p++) {
				fputs(p ? "," : "", o);
				put_num(o, b->rtt[p]);
			}
			fputc(']', o);
		}
		fputs("]}\n", o);
	}
	for (size_t i = 0; i < c->n_resolvers; i++) {
		const struct cmp_resolver *v = &c->resolvers[i];
		fputs("{\"v\":[", o);
		put_str(o, v->addr);
		fprintf(o, ",%llu,%llu,%llu,%llu]}\n", (unsigned long long)v->answers,
		        (unsigned long long)v->ecs_present, (unsigned long long)v->geodns,
		        (unsigned long long)v->ecs_used);
	}
	for (size_t i = 0; i < c->n_tslots; i++) {
		const struct cmp_tslot *t = &c->tslots[i];
		fprintf(o, "{\"t\":[%u,%lld,%llu,%llu,%llu,%llu,%lld]}\n", t->group, (long long)t->sec,
		        (unsigned long long)t->samples, (unsigned long long)t->rated,
		        (unsigned long long)t->hits, (unsigned long long)t->n_lat,
		        (long long)t->lat_sum_us);
	}
	for (size_t i = 0; c->runs && i < CG_N * c->n_pops; i++)
		for (size_t k = 0; k < c->runs[i].n; k++) {
			const struct cmp_run *u = &c->runs[i].r[k];
			fprintf(o, "{\"u\":[%zu,%zu,%lld,%lld,%llu]}\n", i / c->n_pops, i % c->n_pops,
			        (long long)u->first, (long long)u->last, (unsigned long long)u->n);
		}
	for (size_t i = 0; i < c->n_health; i++) {
		const struct cmp_health *h = &c->health[i];
		fprintf(o, "{\"h\":[%lld,", (long long)h->ms);
		put_str(o, h->server);
		fprintf(o, ",%d,%u]}\n", h->pop, h->state);
	}
	for (size_t i = 0; i < c->n_rows; i++) {
		key_hex(&c->rows[i].key, hex);
		fprintf(o, "{\"r\":[\"%s\",%d,", hex, c->rows[i].pop);
		put_num(o, c->rows[i].rtt);
		fputs("]}\n", o);
	}
	if (fclose(o) != 0) {
		snprintf(err, errlen, "%s: write error: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The header: the PoPs must be the config's, in its order (observations
 * name PoPs by index). */
static int partial_header(struct cmp_ctx *c, const json_t *rec, char *why, size_t whylen)
{
	const json_t *pops = json_object_get(rec, "pops");
	if (!json_is_array(pops) || json_array_size(pops) != c->n_pops)
		return WHY("partial file: its PoPs are not the config's");
	for (size_t i = 0; i < c->n_pops; i++) {
		const char *n = json_string_value(json_array_get(pops, i));
		if (!n || strcmp(n, c->geo->pops[i].name) != 0)
			return WHY("partial file: PoP %zu is '%s', the config's is '%s'", i,
			           n ? n : "?", c->geo->pops[i].name);
	}
	const json_t *gap = json_object_get(rec, "gap_ms");
	if (!json_is_integer(gap) || json_integer_value(gap) != c->gap_ms)
		return WHY("partial file: written with a failover gap of %lld ms, this compare uses "
		           "%lld ms (--failover-gap)",
		           json_is_integer(gap) ? (long long)json_integer_value(gap) : -1LL,
		           (long long)c->gap_ms);
	return 0;
}

static int partial_file(struct cmp_ctx *c, const json_t *f, char *why, size_t whylen)
{
	json_int_t v[5];
	static const char *const k[5] = { "lines", "used", "skipped", "malformed", "scanned" };
	const char *path = json_string_value(json_object_get(f, "path"));
	const char *format = json_string_value(json_object_get(f, "format"));
	for (int i = 0; i < 5; i++) {
		const json_t *x = json_object_get(f, k[i]);
		if (!json_is_integer(x) || json_integer_value(x) < 0)
			return WHY("partial file: bad file entry");
		v[i] = json_integer_value(x);
	}
	if (!path || !format)
		return WHY("partial file: bad file entry");
	/* The same input reduced into several partials (an RTT CSV every
	 * shard needs) is listed once; its rows only repeat, and the RTT
	 * join takes the minimum per PoP anyway. Formats compare as kept
	 * (a name not known is "unknown", and saved so), or a file would
	 * list fewer entries each time it is saved and read back. */
	for (size_t i = 0; i < c->n_files; i++) {
		const struct cmp_file *x = &c->files[i];
		if (!strcmp(x->path, path) && !strcmp(x->format, cmp_format_name(format)) &&
		    x->lines == (size_t)v[0] && x->records == (size_t)v[1] &&
		    x->skipped == (size_t)v[2] && x->malformed == (size_t)v[3])
			return 0;
	}
	struct cmp_file *e = cmp_add_file(c, path);
	if (!e)
		return WHY("out of memory");
	e->format = cmp_format_name(format);
	e->lines = (size_t)v[0];
	e->records = (size_t)v[1];
	e->skipped = (size_t)v[2];
	e->malformed = (size_t)v[3];
	e->scanned = (size_t)v[4];
	return 0;
}

static int partial_obs(struct cmp_ctx *c, const json_t *a, char *why, size_t whylen)
{
	struct cmp_obs o;
	bool ok = json_is_array(a) && json_array_size(a) == 14;
	const json_t *rtt = ok ? json_array_get(a, 13) : NULL;
	const json_t *label = ok ? json_array_get(a, 12) : NULL;
	if (!ok)
		return WHY("partial file: bad observation");
	json_int_t g = json_integer_value(json_array_get(a, 0));
	json_int_t join = json_integer_value(json_array_get(a, 1));
	json_int_t chosen = json_integer_value(json_array_get(a, 2));
	json_int_t count = json_integer_value(json_array_get(a, 11));
	if (g < 0 || g >= CG_N || join < CJ_OWN || join > CJ_PROBE || chosen < 0 ||
	    (size_t)chosen >= c->n_pops || count < 1)
		return WHY("partial file: bad observation");
	cmp_obs_init(&o, (enum cmp_group)g, (int)chosen);
	o.join = (uint8_t)join;
	o.count = (uint64_t)count;
	if (hex_key(json_string_value(json_array_get(a, 3)), &o.key) < 0)
		return WHY("partial file: bad observation key");
	o.experienced = get_num(json_array_get(a, 4), &ok);
	o.has_coords = json_is_true(json_array_get(a, 5));
	o.at_resolver = json_is_true(json_array_get(a, 6));
	if (o.has_coords) {
		o.lat = get_num(json_array_get(a, 7), &ok);
		o.lon = get_num(json_array_get(a, 8), &ok);
	}
	if (json_is_string(label) && !(o.client = cmp_label(c, json_string_value(label))))
		return WHY("out of memory");
	cmp_code_copy(o.country, json_string_value(json_array_get(a, 9)));
	cmp_code_copy(o.continent, json_string_value(json_array_get(a, 10)));
	if (!ok || (!json_is_null(rtt) && (!json_is_array(rtt) || json_array_size(rtt) != c->n_pops)))
		return WHY("partial file: bad observation values");
	if (json_is_array(rtt)) {
		o.rtt = malloc((c->n_pops ? c->n_pops : 1) * sizeof(double));
		if (!o.rtt)
			return WHY("out of memory");
		for (size_t p = 0; p < c->n_pops; p++)
			o.rtt[p] = get_num(json_array_get(rtt, p), &ok);
		if (!ok) {
			free(o.rtt);
			return WHY("partial file: bad RTT");
		}
	}
	if (cmp_add_obs(c, &o) < 0) {
		free(o.rtt);
		return WHY("out of memory");
	}
	return 0;
}

int cmp_rec_partial(struct cmp_ctx *c, const json_t *rec, char *why, size_t whylen)
{
	const json_t *v;
	bool ok = true;
	if (json_object_get(rec, "steerdns_compare_partial"))
		return partial_header(c, rec, why, whylen);
	if ((v = json_object_get(rec, "file")))
		return partial_file(c, v, why, whylen);
	if ((v = json_object_get(rec, "o")))
		return partial_obs(c, v, why, whylen);
	if ((v = json_object_get(rec, "r"))) {
		struct cmp_key k;
		json_int_t p = json_integer_value(json_array_get(v, 1));
		double rtt = get_num(json_array_get(v, 2), &ok);
		if (!json_is_array(v) || hex_key(json_string_value(json_array_get(v, 0)), &k) < 0 ||
		    p < 0 || (size_t)p >= c->n_pops || !ok)
			return WHY("partial file: bad RTT row");
		return cmp_add_rtt(c, &k, (int)p, rtt) < 0 ? WHY("out of memory") : 0;
	}
	if ((v = json_object_get(rec, "t"))) {
		json_int_t x[7];
		if (!json_is_array(v) || json_array_size(v) != 7)
			return WHY("partial file: bad time slot");
		for (size_t i = 0; i < 7; i++) {
			const json_t *e = json_array_get(v, i);
			if (!json_is_integer(e) || (i != 1 && i != 6 && json_integer_value(e) < 0))
				return WHY("partial file: bad time slot");
			x[i] = json_integer_value(e);
		}
		if (x[0] >= CG_N || x[1] < TS_MIN_S || x[1] > TS_MAX_S)
			return WHY("partial file: bad time slot");
		struct cmp_tslot t = { .group = (uint8_t)x[0], .sec = x[1], .samples = (uint64_t)x[2],
		                       .rated = (uint64_t)x[3], .hits = (uint64_t)x[4],
		                       .n_lat = (uint64_t)x[5], .lat_sum_us = x[6] };
		return cmp_tslot_add(c, &t) < 0 ? WHY("out of memory") : 0;
	}
	if ((v = json_object_get(rec, "v"))) {
		struct cmp_resolver rv = { .answers = 0 };
		const char *addr = json_string_value(json_array_get(v, 0));
		uint64_t *f[4] = { &rv.answers, &rv.ecs_present, &rv.geodns, &rv.ecs_used };
		if (!json_is_array(v) || json_array_size(v) != 5 || !addr || strlen(addr) >= sizeof(rv.addr))
			return WHY("partial file: bad resolver");
		for (size_t i = 0; i < 4; i++) {
			const json_t *e = json_array_get(v, i + 1);
			if (!json_is_integer(e) || json_integer_value(e) < 0)
				return WHY("partial file: bad resolver");
			*f[i] = (uint64_t)json_integer_value(e);
		}
		memcpy(rv.addr, addr, strlen(addr) + 1);
		return cmp_resolver_add(c, &rv) < 0 ? WHY("out of memory") : 0;
	}
	if ((v = json_object_get(rec, "u"))) {
		json_int_t x[5];
		if (!json_is_array(v) || json_array_size(v) != 5)
			return WHY("partial file: bad run");
		for (size_t i = 0; i < 5; i++) {
			const json_t *e = json_array_get(v, i);
			if (!json_is_integer(e))
				return WHY("partial file: bad run");
			x[i] = json_integer_value(e);
		}
		/* Times a "ts" can give, so run arithmetic cannot overflow. */
		if (x[0] < 0 || x[0] >= CG_N || x[1] < 0 || (size_t)x[1] >= c->n_pops || x[3] < x[2] ||
		    x[4] < 1 || x[2] < TS_MIN_S * 1000 || x[3] > TS_MAX_S * 1000)
			return WHY("partial file: bad run");
		return cmp_presence_add(c, (int)x[0], (int)x[1], x[2], x[3], (uint64_t)x[4]) < 0
		               ? WHY("out of memory")
		               : 0;
	}
	if ((v = json_object_get(rec, "h"))) {
		const json_t *ms = json_array_get(v, 0), *pop = json_array_get(v, 2),
			     *st = json_array_get(v, 3);
		const char *server = json_string_value(json_array_get(v, 1));
		if (!json_is_array(v) || json_array_size(v) != 4 || !json_is_integer(ms) || !server ||
		    json_integer_value(ms) < TS_MIN_S * 1000 || json_integer_value(ms) > TS_MAX_S * 1000 ||
		    !json_is_integer(pop) || json_integer_value(pop) < 0 ||
		    (size_t)json_integer_value(pop) >= c->n_pops || !json_is_integer(st) ||
		    json_integer_value(st) < CH_UP || json_integer_value(st) > CH_DRAIN)
			return WHY("partial file: bad health line");
		return cmp_health_add(c, json_integer_value(ms), server, (int)json_integer_value(pop),
		                      (int)json_integer_value(st)) < 0
		               ? WHY("out of memory")
		               : 0;
	}
	if ((v = json_object_get(rec, "counts"))) {
		for (size_t i = 0; i < N_COUNTS; i++) {
			const json_t *x = json_object_get(v, counts[i].name);
			if (json_is_integer(x) && json_integer_value(x) >= 0)
				*count_at(c, i) += (size_t)json_integer_value(x);
		}
		return 0;
	}
	return WHY("partial file: unknown line");
}
