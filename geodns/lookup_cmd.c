/* lookup_cmd.c: explain one client's answer; see lookup_cmd.h. */
#include "geodns/lookup_cmd.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/health.h"
#include "common/query_ctx.h"
#include "geodns/distance.h"
#include "geodns/geotree.h"
#include "geodns/steer.h"

static const char *rule_kind(enum geo_match k)
{
	switch (k) {
	case GM_CONTINENT: return "continent";
	case GM_COUNTRY: return "country";
	case GM_SUBDIVISION: return "subdivision";
	case GM_ASN: return "asn";
	case GM_CIDR: return "cidr";
	}
	return "?";
}

static void print_addr(FILE *out, const uint8_t a[16], unsigned len)
{
	char buf[INET6_ADDRSTRLEN];
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(a, mapped, 12) == 0 && len >= 96) {
		inet_ntop(AF_INET, a + 12, buf, sizeof(buf));
		fprintf(out, "%s/%u", buf, len - 96);
	} else {
		inet_ntop(AF_INET6, a, buf, sizeof(buf));
		fprintf(out, "%s/%u", buf, len);
	}
}

/* Parse "ADDR" or "ADDR/LEN" into a sockaddr-free form. */
static int parse_client(const char *s, struct ecs *e, bool *has_len)
{
	char buf[INET6_ADDRSTRLEN + 8];
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	long len = -1;
	if (slash) {
		*slash = '\0';
		char *end;
		len = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1)
			return -1;
	}
	memset(e, 0, sizeof(*e));
	if (inet_pton(AF_INET, buf, e->addr) == 1) {
		e->family = 1;
		if (len > 32)
			return -1;
		e->source = (uint8_t)(len < 0 ? 32 : len);
	} else if (inet_pton(AF_INET6, buf, e->addr) == 1) {
		e->family = 2;
		if (len > 128)
			return -1;
		e->source = (uint8_t)(len < 0 ? 128 : len);
	} else {
		return -1;
	}
	/* Zero the bits beyond the prefix, as a resolver's ECS would. */
	unsigned bytes = e->family == 1 ? 4 : 16;
	for (unsigned i = 0; i < bytes; i++) {
		int keep = (int)e->source - (int)i * 8;
		if (keep <= 0)
			e->addr[i] = 0;
		else if (keep < 8)
			e->addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
	*has_len = len >= 0;
	return 0;
}

int lookup_cmd(const struct config *cfg, const char *client, const char *resolver, FILE *out)
{
	const struct geo_compiled *gc = cfg->geo_compiled;
	if (!gc) {
		fprintf(stderr, "%s: no geoip section: nothing is steered\n", cfg->path);
		return 1;
	}
	struct ecs e;
	bool is_subnet;
	if (parse_client(client, &e, &is_subnet) < 0) {
		fprintf(stderr, "lookup: '%s' is not an address or ADDR/LEN\n", client);
		return 1;
	}
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	const char *res_text = resolver ? resolver : (is_subnet ? "127.0.0.1" : NULL);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (res_text) {
		if (inet_pton(AF_INET, res_text, &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
		} else if (inet_pton(AF_INET6, res_text, &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
		} else {
			fprintf(stderr, "lookup: resolver '%s' is not an address\n", res_text);
			return 1;
		}
	} else if (e.family == 1) {
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, e.addr, 4);
	} else {
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, e.addr, 16);
	}

	struct query_ctx q;
	memset(&q, 0, sizeof(q));
	q.peer = (const struct sockaddr *)&ss;
	q.peerlen = sizeof(ss);
	if (is_subnet) {
		q.edns.present = true;
		q.edns.has_ecs = true;
		q.edns.ecs = e;
	}
	struct steer_client c;
	if (!steer_client(gc->conf, &q, &c)) {
		fprintf(stderr, "lookup: no usable client address\n");
		return 1;
	}
	fprintf(out, "client:    ");
	print_addr(out, c.addr, c.from_ecs ? (c.is_v4 ? 96u : 0u) + c.source : 128);
	fprintf(out, " (%s)\n", c.from_ecs ? "ECS subnet" :
	        is_subnet ? "resolver address: ECS not used (untrusted resolver, private or /0 subnet)"
	                  : "resolver address, no ECS");

	unsigned plen;
	uint32_t id = geotree_lookup(gc->loc_tree, c.addr, &plen);
	const struct geo_location *loc = geotree_location(gc->loc_tree, id);
	fprintf(out, "location:  ");
	if (id == GEO_LOC_UNKNOWN) {
		fprintf(out, "unknown");
	} else {
		fprintf(out, "country %s continent %s", loc->country[0] ? loc->country : "-",
		        loc->continent[0] ? loc->continent : "-");
		if (loc->subdivision[0])
			fprintf(out, " subdivision %s", loc->subdivision);
		if (loc->asn)
			fprintf(out, " asn %u", loc->asn);
		if (loc->coords != GEO_COORD_NONE)
			fprintf(out, " at %.4f,%.4f%s", loc->lat, loc->lon,
			        loc->coords == GEO_COORD_CENTROID ? " (country centroid)" : "");
	}
	fprintf(out, ", DB network ");
	uint8_t net[16];
	memcpy(net, c.addr, 16);
	for (unsigned i = 0; i < 16; i++) {
		int keep = (int)plen - (int)i * 8;
		if (keep <= 0)
			net[i] = 0;
		else if (keep < 8)
			net[i] &= (uint8_t)(0xff << (8 - keep));
	}
	print_addr(out, net, plen);
	fprintf(out, "\n");

	struct steer_rec sr = { .ttl = 0, .answers = 1, .mode = STEER_MODE_GEODNS };
	struct rdata rr4[STEER_MAX_RR], rr6[STEER_MAX_RR];
	struct steer_result res = { .rr = rr4 };
	steer_answer(gc, &sr, &c, RRT_A, &res);
	uint32_t rule = id < gc->n_locs ? gc->loc_rule[id] : 0;
	if (res.decision == gc->fallback_list && rule == 0 &&
	    (id == GEO_LOC_UNKNOWN || loc->coords == GEO_COORD_NONE))
		fprintf(out, "rule:      fallback list (client not located)\n");
	else if (rule)
		fprintf(out, "rule:      policy rule %u (%s), line %u\n", rule,
		        rule_kind(gc->conf->rules[rule - 1].kind), gc->conf->rules[rule - 1].line);
	else
		fprintf(out, "rule:      none matched: PoPs ranked by distance\n");

	unsigned n;
	const uint16_t *list = geo_list(gc, res.decision, &n);
	fprintf(out, "pops:\n");
	for (unsigned i = 0; i < n; i++) {
		const struct pop *p = &gc->conf->pops[list[i]];
		uint8_t st = gc->pop_state[list[i]] ? atomic_load(gc->pop_state[list[i]]) : HEALTH_UP;
		fprintf(out, "  %u. %-12s", i + 1, p->name);
		if (id != GEO_LOC_UNKNOWN && loc->coords != GEO_COORD_NONE)
			fprintf(out, " %8.0f km", geo_distance_km(loc->lat, loc->lon, p->lat, p->lon));
		fprintf(out, "  %s\n", st == HEALTH_UP ? "up" : st == HEALTH_DRAIN ? "drain" : "down");
	}
	fprintf(out, "scope:     ");
	if (c.from_ecs)
		fprintf(out, "/%u (the answer holds for the whole prefix)\n", res.scope);
	else if (is_subnet)
		fprintf(out, "/0 (ECS not used for this answer)\n");
	else
		fprintf(out, "none (no ECS in the query)\n");
	fprintf(out, "answer:    ");
	for (unsigned i = 0; i < res.n; i++) {
		char buf[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, res.rr[i].data, buf, sizeof(buf));
		fprintf(out, "%sA %s", i ? ", " : "", buf);
	}
	struct steer_result res6 = { .rr = rr6 };
	steer_answer(gc, &sr, &c, RRT_AAAA, &res6);
	for (unsigned i = 0; i < res6.n; i++) {
		char buf[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, res6.rr[i].data, buf, sizeof(buf));
		fprintf(out, "%sAAAA %s", (i || res.n) ? ", " : "", buf);
	}
	fprintf(out, "%s\n", res.n + res6.n ? "" : "(none)");
	return 0;
}
