/*
 * fuzz_cmp_decision.c: the decision-log fixed-form scanner
 * (cmp_scan_decision, compare/cmp_decision.c) against the jansson reader
 * (cmp_rec_decision, compare/cmp_logs.c) as oracle, with the PoPs and
 * location DB of tests/data/fuzz/query.yaml.
 * Input: text, one decision-log line per '\n' (a leading 0x00 byte
 * instead: a qlog_rec described by the bytes after it, formatted by the
 * server's qlog_format, see rec_from_bytes).
 * Invariants: a line the scanner reads (anything but "not the fixed
 * form") parses with jansson to the same outcome (used, skipped,
 * malformed) and the same message when used or skipped, and leaves the
 * same state: observations with their counts and every field (group,
 * chosen PoP, location, country, continent, join key), time slots,
 * resolvers, the unknown-PoP and ECS-unused counts. A line qlog_format
 * writes without escapes and in ASCII is read by the scanner.
 */
#include <math.h>
#include <string.h>

#include "common/config.h"
#include "common/qlog.h"
#include "compare/cmp_ctx.h"
#include "compare/cmp_sources.h"
#include "geodns/geo_compile.h"
#include "tests/fuzz/fuzz.h"


/* Doubles equal as values or both NaN (-0.0 and 0.0 are one location). */
static bool same_num(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

/* The read state of a (scanner) and b (jansson) is the same. */
static void same_state(const struct cmp_ctx *a, const struct cmp_ctx *b, const char *line)
{
	FUZZ_CHECK(a->n_obs == b->n_obs, "%zu vs %zu observations after %s", a->n_obs, b->n_obs,
	           line);
	for (size_t i = 0; i < a->n_obs; i++) {
		const struct cmp_obs *x = &a->obs[i], *y = &b->obs[i];
		FUZZ_CHECK(x->count == y->count && x->group == y->group && x->join == y->join &&
		                   x->client == y->client && x->chosen == y->chosen &&
		                   !memcmp(&x->key, &y->key, sizeof(x->key)) &&
		                   x->has_coords == y->has_coords && x->at_resolver == y->at_resolver &&
		                   same_num(x->experienced, y->experienced) &&
		                   (!x->has_coords || (same_num(x->lat, y->lat) &&
		                                       same_num(x->lon, y->lon))) &&
		                   !strcmp(x->country, y->country) &&
		                   !strcmp(x->continent, y->continent),
		           "observation %zu differs (group %u/%u, PoP %d/%d, count %llu/%llu, "
		           "coords %d %g,%g / %d %g,%g, country %s/%s, continent %s/%s) after %s",
		           i, x->group, y->group, x->chosen, y->chosen, (unsigned long long)x->count,
		           (unsigned long long)y->count, x->has_coords, x->lat, x->lon, y->has_coords,
		           y->lat, y->lon, x->country, y->country, x->continent, y->continent, line);
	}
	FUZZ_CHECK(a->n_tslots == b->n_tslots, "%zu vs %zu time slots after %s", a->n_tslots,
	           b->n_tslots, line);
	for (size_t i = 0; i < a->n_tslots; i++) {
		const struct cmp_tslot *x = &a->tslots[i], *y = &b->tslots[i];
		FUZZ_CHECK(x->sec == y->sec && x->group == y->group && x->samples == y->samples &&
		                   x->rated == y->rated && x->hits == y->hits && x->n_lat == y->n_lat &&
		                   x->lat_sum_us == y->lat_sum_us,
		           "time slot %zu differs (second %lld/%lld) after %s", i, (long long)x->sec,
		           (long long)y->sec, line);
	}
	FUZZ_CHECK(a->n_resolvers == b->n_resolvers, "%zu vs %zu resolvers after %s",
	           a->n_resolvers, b->n_resolvers, line);
	for (size_t i = 0; i < a->n_resolvers; i++) {
		const struct cmp_resolver *x = &a->resolvers[i], *y = &b->resolvers[i];
		FUZZ_CHECK(!strcmp(x->addr, y->addr) && x->answers == y->answers &&
		                   x->ecs_present == y->ecs_present && x->geodns == y->geodns &&
		                   x->ecs_used == y->ecs_used,
		           "resolver %zu differs (%s/%s) after %s", i, x->addr, y->addr, line);
	}
	FUZZ_CHECK(a->unknown_pop == b->unknown_pop && a->ecs_unused == b->ecs_unused,
	           "counts differ (unknown PoP %zu/%zu, ECS unused %zu/%zu) after %s",
	           a->unknown_pop, b->unknown_pop, a->ecs_unused, b->ecs_unused, line);
}

/* One line through the scanner into a, and, if the scanner read it, through
 * jansson into b. Returns the scanner's result. */
static int one_line(struct cmp_ctx *a, struct cmp_ctx *b, const uint8_t *data, size_t len)
{
	/* As read_lines hands it over: the '\r' of a CRLF gone; an
	 * exact-size copy, so a read past the line is caught. */
	while (len && data[len - 1] == '\r')
		len--;
	char *scan = malloc(len ? len : 1);
	FUZZ_CHECK(scan != NULL, "malloc");
	if (len)
		memcpy(scan, data, len);
	char why_a[256] = "", why_b[256] = "", shown[120];
	snprintf(shown, sizeof(shown), "%.*s", (int)(len < 100 ? len : 100), (const char *)data);
	int ra = cmp_scan_decision(a, scan, len, why_a, sizeof(why_a));
	free(scan);
	FUZZ_CHECK(ra >= -1 && ra <= 2, "scanner returned %d", ra);
	if (ra == 2) {
		same_state(a, b, shown);   /* "not mine" changes nothing */
		return ra;
	}
	json_error_t je;
	json_t *rec = json_loadb((const char *)data, len, 0, &je);
	int rb = rec ? cmp_rec_decision(b, rec, why_b, sizeof(why_b)) : -1;
	json_decref(rec);
	FUZZ_CHECK(ra == rb, "scanner %d (%s), jansson %d (%s) for %s", ra, why_a, rb,
	           rec ? why_b : je.text, shown);
	FUZZ_CHECK(ra < 0 || !strcmp(why_a, why_b), "messages differ: '%s' vs '%s' for %s", why_a,
	           why_b, shown);
	same_state(a, b, shown);
	return ra;
}

/* Bytes taken in order; zeros past the end. */
struct take {
	const uint8_t *p;
	size_t n;
};

static void take(struct take *t, void *out, size_t n)
{
	size_t k = n < t->n ? n : t->n;
	memcpy(out, t->p, k);
	memset((uint8_t *)out + k, 0, n - k);
	t->p += k;
	t->n -= k;
}

static uint8_t take_u8(struct take *t)
{
	uint8_t v;
	take(t, &v, 1);
	return v;
}

/* A length byte, then that many bytes (cut to cap - 1) as a C string. */
static void take_str(struct take *t, char *out, size_t cap)
{
	size_t n = take_u8(t);
	if (n >= cap)
		n = cap - 1;
	take(t, out, n);
	out[n] = 0;
}

/* A double the server can hold: finite and within 1e6 (coordinates and
 * kilometres), as the server's own values are. */
static double take_num(struct take *t)
{
	double v;
	take(t, &v, sizeof(v));
	return isfinite(v) && fabs(v) < 1e6 ? v : 0;
}

/*
 * A qlog_rec from bytes, as a worker fills one: ts (8), method, arm,
 * qtype (2), qname text, resolver (flag + 16), ECS (family, source, 16),
 * client (flag, length, 16), country (2), continent (2), coordinates
 * (flag, 2 doubles), pop, nearest, km (flags, 2 doubles), scope (2),
 * server; strings as length + bytes.
 */
static void rec_from_bytes(struct qlog_rec *r, struct take *t)
{
	char name[256];
	memset(r, 0, sizeof(*r));
	take(t, &r->ts_ms, sizeof(r->ts_ms));
	/* CLOCK_REALTIME: 1970 up to the end of year 9999. */
	r->ts_ms = (int64_t)((uint64_t)r->ts_ms % 253402300800000ull);
	r->method = take_u8(t) & 1 ? QLOG_ANYCAST : QLOG_GEODNS;
	r->arm = take_u8(t) % 3;
	take(t, &r->qtype, sizeof(r->qtype));
	take_str(t, name, sizeof(name));
	if (dname_from_text(name, NULL, r->qname) < 0)
		r->qname[0] = 0;
	r->has_resolver = take_u8(t) & 1;
	take(t, r->resolver, 16);
	r->ecs_family = take_u8(t) % 3;
	r->ecs_source = take_u8(t) % (r->ecs_family == 1 ? 33 : 129);
	take(t, r->ecs_addr, 16);
	r->has_client = take_u8(t) & 1;
	r->client_len = take_u8(t) % 129;
	take(t, r->client, 16);
	take(t, r->country, 2);
	take(t, r->continent, 2);
	r->has_coords = take_u8(t) & 1;
	r->lat = take_num(t);
	r->lon = take_num(t);
	take_str(t, r->pop, sizeof(r->pop));
	take_str(t, r->nearest, sizeof(r->nearest));
	uint8_t f = take_u8(t);
	r->has_pop_km = f & 1;
	r->has_nearest_km = f & 2;
	r->pop_km = take_num(t);
	r->nearest_km = take_num(t);
	take(t, &r->scope, sizeof(r->scope));
	if (r->scope < -1 || r->scope > 128)
		r->scope = -1;
	take_str(t, r->server, sizeof(r->server));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	const struct config *cfg = fuzz_query_config();   /* loaded once */
	struct cmp_ctx *a = cmp_ctx_new(cfg->geo, cfg->geo_compiled->loc_tree, NULL);
	struct cmp_ctx *b = cmp_ctx_new(cfg->geo, cfg->geo_compiled->loc_tree, NULL);
	FUZZ_CHECK(a && b, "cmp_ctx_new");
	if (size && data[0] == 0) {
		static struct qlog_rec r;
		static char line[QLOG_LINE_MAX];
		struct take t = { data + 1, size - 1 };
		rec_from_bytes(&r, &t);
		size_t n = qlog_format(&r, line, sizeof(line));
		FUZZ_CHECK(n > 1 && line[n - 1] == '\n', "qlog_format");
		bool plain = true;   /* no escape, ASCII only */
		for (size_t i = 0; i < n; i++)
			plain &= line[i] != '\\' && (unsigned char)line[i] < 0x80;
		int ra = one_line(a, b, (const uint8_t *)line, n - 1);
		FUZZ_CHECK(ra != 2 || !plain, "the scanner does not read qlog_format's %.*s",
		           (int)n - 1, line);
	} else {
		const uint8_t *p = data, *end = data + size;
		while (p < end) {
			const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
			one_line(a, b, p, len);
			p += len + (nl != NULL);
		}
	}
	cmp_ctx_free(a);
	cmp_ctx_free(b);
	return 0;
}
