/*
 * cmp_decision.c: decision-log lines (compare/formats.md): the rules that
 * turn one line into observations (cmp_decision_apply), and a scanner for
 * the fixed form steerdns writes (common/qlog_fmt.c: fixed key order,
 * strings of printable ASCII without escapes, numbers without exponents),
 * which reads a line without building a JSON tree. Anything else goes to
 * jansson (cmp_rec_decision), so that every line reads the same either
 * way (tests/fuzz/fuzz_cmp_decision.c holds the scanner to that).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cmp_ctx.h"
#include "compare/cmp_sources.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -1)

void cmp_code_copy(char dst[3], const char *s)
{
	if (s && s[0] && s[1] && !s[2]) {
		dst[0] = s[0];
		dst[1] = s[1];
		dst[2] = 0;
	}
}

/*
 * Whether a GeoDNS answer located its client by the query's ECS: the
 * line's "ecs_used" when present, else inferred from what the server
 * writes: "client" is the ECS subnet when ECS was used, the resolver's
 * address (/32, /128) when not (SOURCE 0, a private subnet, a resolver not
 * trusted).
 */
static bool ecs_used(const struct cmp_decision *d)
{
	if (d->ecs_used >= 0)
		return d->ecs_used;
	if (!d->ecs || !d->client)
		return false;
	if (!strcmp(d->ecs, d->client))
		return true;
	uint8_t a[16], b[16];
	unsigned la, lb;
	if (cmp_prefix_parse(d->ecs, a, &la) < 0 || cmp_prefix_parse(d->client, b, &lb) < 0)
		return false;
	return la == lb && !memcmp(a, b, 16);
}

int cmp_decision_apply(struct cmp_ctx *c, const struct cmp_decision *d, char *why,
                       size_t whylen)
{
	struct cmp_obs o;

	if (!d->method || (strcmp(d->method, "geodns") != 0 && strcmp(d->method, "anycast") != 0))
		return WHY("decision log: 'method' must be \"geodns\" or \"anycast\"");
	if (d->arm && strcmp(d->arm, "geodns") != 0 && strcmp(d->arm, "anycast") != 0)
		return WHY("decision log: 'arm' must be \"geodns\", \"anycast\" or null");
	bool anycast = d->method[0] == 'a';
	bool used = ecs_used(d);
	enum cmp_group g = anycast ? CG_ANYCAST : used ? CG_GEODNS_ECS : CG_GEODNS_RESOLVER;
	int p = cmp_pop_by_name(c, d->pop);
	if (p < 0) {
		c->unknown_pop++;
		snprintf(why, whylen, "decision log: PoP %s%s%s is not in the config",
		         d->pop ? "'" : "", d->pop ? d->pop : "null", d->pop ? "'" : "");
		return 1;
	}
	cmp_obs_init(&o, g, p);
	if (!anycast && d->ecs && !used)
		c->ecs_unused++;
	if (d->resolver) {
		struct cmp_resolver rv = { .answers = 1, .ecs_present = d->ecs != NULL,
		                           .geodns = !anycast, .ecs_used = !anycast && used };
		/* Cut to fit at a character boundary: a partial file saves
		 * the name as a JSON string, which must be UTF-8. */
		size_t n = strnlen(d->resolver, sizeof(rv.addr) - 1);
		while (n && ((unsigned char)d->resolver[n] & 0xc0) == 0x80)
			n--;
		memcpy(rv.addr, d->resolver, n);
		rv.addr[n] = 0;
		if (cmp_resolver_add(c, &rv) < 0)
			return WHY("out of memory");
	}
	if (!anycast && !used) {
		/* Steered by the resolver's address: the logged location is the
		 * resolver's, where this answer is right by construction, and
		 * the log does not know the client. Not rated (formats.md). */
		o.at_resolver = true;
	} else {
		if (d->has_coords && fabs(d->lat) <= 90 && fabs(d->lon) <= 180) {
			o.has_coords = true;
			o.lat = d->lat;
			o.lon = d->lon;
		}
		cmp_code_copy(o.country, d->country);
		cmp_code_copy(o.continent, d->continent);
		if (!o.has_coords || !o.country[0] || !o.continent[0])
			cmp_locate(c, d->client, &o);
		/* RTTs come from the RTT CSV, joined by the client's /24 or /56. */
		if (d->client && cmp_subnet_key(d->client, &o.key) == 0)
			o.join = CJ_SUBNET;
	}
	if (cmp_add_obs(c, &o) < 0 || cmp_time_add(c, &o, &c->obs[c->last_obs], d->ts) < 0)
		return WHY("out of memory");
	if (d->arm) {
		o.group = d->arm[0] == 'g' ? CG_AB_GEODNS : CG_AB_ANYCAST;
		if (cmp_add_obs(c, &o) < 0 || cmp_time_add(c, &o, &c->obs[c->last_obs], d->ts) < 0)
			return WHY("out of memory");
	}
	return 0;
}

/* The keys of a line as qlog_format writes them, in its order. */
enum { K_TS, K_SERVER, K_METHOD, K_ARM, K_QNAME, K_QTYPE, K_RESOLVER, K_ECS, K_CLIENT,
       K_COUNTRY, K_CONTINENT, K_LAT, K_LON, K_POP, K_NEAREST, K_POP_KM, K_NEAREST_KM,
       K_SCOPE, K_N };
static const char *const keys[K_N] = {
	"ts", "server", "method", "arm", "qname", "qtype", "resolver", "ecs", "client",
	"country", "continent", "lat", "lon", "pop", "nearest", "pop_km", "nearest_km", "scope",
};
static size_t key_len[K_N];

/* One value: [start, end) of a string's contents, or of a number; null. */
struct val {
	char *start, *end;
	bool null, string;
};

/*
 * The end of a number at p in the form qlog_format writes: RFC 8259's
 * grammar without an exponent ("-"? int ("." digits)?), at most 18
 * digits when it has no fraction (jansson reads those as json_int_t) and
 * 64 bytes in all (no overflow to infinity). NULL for anything else,
 * which the full parser reads, so that a line is accepted exactly when
 * jansson accepts it.
 */
static char *number_end(char *p, char *end)
{
	char *q = p, *digits;
	if (q < end && *q == '-')
		q++;
	digits = q;
	while (q < end && *q >= '0' && *q <= '9')
		q++;
	if (q == digits || (*digits == '0' && q - digits > 1))
		return NULL;
	if (q < end && *q == '.') {
		char *f = ++q;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q == f)
			return NULL;
	} else if (q - digits > 18) {
		return NULL;
	}
	if (q - p > 64 || (q < end && (*q == 'e' || *q == 'E')))
		return NULL;
	return q;
}

int cmp_scan_decision(struct cmp_ctx *c, char *line, size_t len, char *why, size_t whylen)
{
	struct val v[K_N];
	char *p = line, *end = line + len;

	if (!key_len[0])
		for (int k = 0; k < K_N; k++)
			key_len[k] = strlen(keys[k]);
	if (p == end || *p++ != '{')
		return 2;
	for (int k = 0; k < K_N; k++) {
		size_t kl = key_len[k];
		if ((size_t)(end - p) < kl + 4 || p[0] != '"' || memcmp(p + 1, keys[k], kl) != 0 ||
		    p[kl + 1] != '"' || p[kl + 2] != ':')
			return 2;
		p += kl + 3;
		struct val *x = &v[k];
		x->null = x->string = false;
		if (*p == '"') {
			/* A string of printable ASCII (a backslash, a control
			 * character or a byte of UTF-8, which jansson checks: the
			 * full parser). */
			char *q = ++p;
			while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 &&
			       (unsigned char)*q < 0x80)
				q++;
			if (q == end || *q != '"')
				return 2;
			x->string = true;
			x->start = p;
			x->end = q;
			p = q + 1;
		} else if (end - p >= 4 && !memcmp(p, "null", 4)) {
			x->null = true;
			p += 4;
		} else {
			char *q = number_end(p, end);
			if (!q)
				return 2;
			x->start = p;
			x->end = q;
			p = q;
		}
		if (p == end || *p != (k + 1 < K_N ? ',' : '}'))
			return 2;
		p++;
	}
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p != end)
		return 2;
	/* The types compare relies on; anything else: the full parser, which
	 * names the problem. */
	static const int strs[] = { K_TS, K_METHOD, K_ARM, K_ECS, K_CLIENT, K_COUNTRY, K_CONTINENT,
	                            K_POP, K_RESOLVER };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!v[strs[i]].null && !v[strs[i]].string)
			return 2;
	if ((!v[K_LAT].null && v[K_LAT].string) || (!v[K_LON].null && v[K_LON].string))
		return 2;
	/* jansson reads an integer as json_int_t: "-0" is 0, not strtod's
	 * -0.0 (a coordinate without a fraction: the full parser). */
	for (int k = K_LAT; k <= K_LON; k++)
		if (!v[k].null && !memchr(v[k].start, '.', (size_t)(v[k].end - v[k].start)))
			return 2;
	struct cmp_decision d = { .ecs_used = -1 };
	const char *ts = NULL;
	const char **outs[] = { &ts, &d.method, &d.arm, &d.ecs, &d.client, &d.country, &d.continent,
	                        &d.pop, &d.resolver };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		struct val *x = &v[strs[i]];
		if (x->null)
			continue;
		*x->end = 0;   /* the closing quote: the line is ours */
		*outs[i] = x->start;
	}
	d.ts = cmp_parse_ts(ts);
	if (!v[K_LAT].null && !v[K_LON].null) {
		char *e1, *e2;
		char save = *v[K_LAT].end;
		*v[K_LAT].end = 0;
		d.lat = strtod(v[K_LAT].start, &e1);
		*v[K_LAT].end = save;
		save = *v[K_LON].end;
		*v[K_LON].end = 0;
		d.lon = strtod(v[K_LON].start, &e2);
		*v[K_LON].end = save;
		if (e1 != v[K_LAT].end || e2 != v[K_LON].end)
			return WHY("decision log: bad location field types");
		d.has_coords = true;
	}
	return cmp_decision_apply(c, &d, why, whylen);
}
