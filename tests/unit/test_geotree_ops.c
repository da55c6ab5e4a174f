/*
 * test_geotree_ops.c: trees of client attributes besides location and
 * their combination: the GeoLite2-ASN test DB compiled with the asn
 * preset (every source-data network gives its ASN), geotree_product() of
 * the City test DBs and the ASN DB (the product equals looking each
 * address up in both inputs, at every network start and end of both
 * source-data files, through the IPv4 aliases and at random addresses;
 * prefixes never too short and merged where siblings agree), the CIDR
 * overlay of geotree_from_prefixes() (nested prefixes: the smallest rule
 * number wins, checked exactly and against brute force), identity of a
 * product with an empty overlay, and the build time on generated DBs.
 */
#include <check.h>
#include <string.h>
#include <time.h>

#include "geodns/geodb.h"
#include "geodns/geotree.h"
#include "tests/unit/geo_test_util.h"

static char err[GEODB_ERRLEN];

static struct geotree *build_one(const char *path, const struct geodb_fields *f)
{
	struct geodb *db = geodb_open(path, f, err, sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	struct geotree *t = geotree_build(&db, 1, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	geodb_close(db);
	return t;
}

static const struct geo_location *at(const struct geotree *t, const uint8_t a[16], unsigned *plen)
{
	return geotree_location(t, geotree_lookup(t, a, plen));
}

/* What the product must hold: a's location with b's asn / cidr_rule
 * where b has one. Written independently of geotree_ops.c on purpose. */
static struct geo_location combined(const struct geo_location *a, const struct geo_location *b)
{
	struct geo_location c = *a;
	if (b->asn)
		c.asn = b->asn;
	if (b->cidr_rule)
		c.cidr_rule = b->cidr_rule;
	return c;
}

static const char *fmt(const uint8_t a[16])
{
	static char s[8][INET6_ADDRSTRLEN];
	static int i;
	char *b = s[i++ & 7];
	inet_ntop(AF_INET6, a, b, INET6_ADDRSTRLEN);
	return b;
}

/* ---- source-data networks (tests/unit/gen/source_nets.pl) ---- */

struct net {
	uint8_t a[16];
	unsigned len;
	uint32_t asn;
};

/* Every network of a source-data JSON file; *n gets the count. */
static struct net *source_nets(const char *json, size_t *n)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "perl tests/unit/gen/source_nets.pl %s", json);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	size_t cap = 1024, cnt = 0;
	struct net *v = malloc(cap * sizeof(*v));
	char addr[128];
	unsigned len, asn;
	while (fscanf(f, "%127s %u %u", addr, &len, &asn) == 3) {
		if (cnt == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		addr16(addr, v[cnt].a);
		v[cnt].len = len;
		v[cnt].asn = asn;
		cnt++;
	}
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_uint_gt(cnt, 100);
	*n = cnt;
	return v;
}

static void last_addr(const uint8_t p[16], unsigned len, uint8_t out[16])
{
	memcpy(out, p, 16);
	for (unsigned b = len; b < 128; b++)
		out[b >> 3] |= (uint8_t)(0x80u >> (b & 7));
}

/* source-data/NAME under the test DB dir (own buffer: tpath() nested in
 * tpath() would format a buffer into its neighbour). */
static const char *SRC(const char *name)
{
	static char b[1024];
	snprintf(b, sizeof(b), "%s/source-data/%s", mmdb_dir(), name);
	return b;
}

/* ---- ASN tree ---- */

START_TEST(asn_tree_lookups)
{
	struct geotree *t = build_one(MMDB("GeoLite2-ASN-Test.mmdb"), &geodb_preset_asn);
	static const struct {
		const char *addr;
		uint32_t asn;
		unsigned plen;
	} known[] = {
		{ "1.0.0.1", 15169, 120 },        /* 1.0.0.0/24 */
		{ "1.128.5.5", 1221, 107 },       /* 1.128.0.0/11 */
		{ "::1.128.5.5", 1221, 107 },     /* the same through ::/96 */
		{ "2002:180:505::1", 1221, 27 },  /* ... and 6to4 */
		{ "12.81.92.200", 7018, 118 },    /* 12.81.92.0/22 */
		{ "2001:1700::1", 6730, 27 },     /* 2001:1700::/27 */
		{ "240f::1", 2516, 24 },          /* 240f::/24 */
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		uint8_t a[16];
		unsigned plen;
		addr16(known[i].addr, a);
		const struct geo_location *l = at(t, a, &plen);
		ck_assert_msg(l->asn == known[i].asn, "%s: AS%u want AS%u", known[i].addr, l->asn,
		              known[i].asn);
		ck_assert_msg(plen == known[i].plen, "%s: /%u want /%u", known[i].addr, plen,
		              known[i].plen);
		/* Only the ASN: no place, no CIDR rule. */
		ck_assert_str_eq(l->country, "");
		ck_assert_str_eq(l->continent, "");
		ck_assert_int_eq(l->coords, GEO_COORD_NONE);
		ck_assert_uint_eq(l->cidr_rule, 0);
	}
	uint8_t a[16];
	addr16("8.8.8.8", a);
	ck_assert_uint_eq(geotree_lookup(t, a, NULL), GEO_LOC_UNKNOWN);

	/* Every source-data network, first and last address. */
	size_t n;
	struct net *nets = source_nets(SRC("GeoLite2-ASN-Test.json"), &n);
	for (size_t i = 0; i < n; i++) {
		uint8_t last[16];
		last_addr(nets[i].a, nets[i].len, last);
		unsigned p1, p2;
		REQUIRE(at(t, nets[i].a, &p1)->asn == nets[i].asn, "%s/%u", fmt(nets[i].a),
		        nets[i].len);
		REQUIRE(at(t, last, &p2)->asn == nets[i].asn, "%s", fmt(last));
		/* The tree's prefix may merge neighbours, never split a network. */
		REQUIRE(p1 <= nets[i].len && p2 <= nets[i].len, "%s/%u: /%u /%u", fmt(nets[i].a),
		        nets[i].len, p1, p2);
	}
	/* Distinct ASNs only: one location per ASN. */
	for (uint32_t i = 1; i < geotree_nlocations(t); i++)
		for (uint32_t j = i + 1; j < geotree_nlocations(t); j++)
			ck_assert_uint_ne(geotree_location(t, i)->asn, geotree_location(t, j)->asn);
	free(nets);
	geotree_free(t);
}
END_TEST

/* ---- product: exact agreement with the inputs ---- */

struct pcheck {
	const struct geotree *a, *b, *p;
	unsigned checked, both, leaves;
};

/* addr through a, b and the product: combined location, and the
 * product's prefix no longer than the longer of the inputs' (at that
 * depth both inputs are constant, so the product is too). */
static void check_addr(struct pcheck *c, const uint8_t a[16])
{
	unsigned pa, pb, pp;
	const struct geo_location *la = at(c->a, a, &pa), *lb = at(c->b, a, &pb);
	const struct geo_location *lp = at(c->p, a, &pp);
	struct geo_location want = combined(la, lb);
	REQUIRE(geo_location_eq(lp, &want), "%s: product %s/%s AS%u, want %s/%s AS%u", fmt(a),
	        lp->country, lp->subdivision, lp->asn, want.country, want.subdivision, want.asn);
	REQUIRE(pp <= (pa > pb ? pa : pb), "%s: product /%u, inputs /%u /%u", fmt(a), pp, pa, pb);
	if (la->country[0] && lb->asn)
		c->both++;
	c->checked++;
}

/* The address with IPv4 address v4 (4 bytes) in each place IPv4 lives. */
static void check_v4_aliases(struct pcheck *c, const uint8_t v4[4])
{
	uint8_t a[16] = { 0 };
	a[10] = a[11] = 0xff;
	memcpy(a + 12, v4, 4);
	check_addr(c, a);
	memset(a, 0, 16);
	memcpy(a + 12, v4, 4);
	check_addr(c, a);
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x02;
	memcpy(a + 2, v4, 4);
	check_addr(c, a);
}

static void check_nets(struct pcheck *c, const struct net *nets, size_t n)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	for (size_t i = 0; i < n; i++) {
		uint8_t last[16];
		last_addr(nets[i].a, nets[i].len, last);
		check_addr(c, nets[i].a);
		check_addr(c, last);
		if (memcmp(nets[i].a, mapped, 12) == 0) {
			check_v4_aliases(c, nets[i].a + 12);
			check_v4_aliases(c, last + 12);
		}
	}
}

/* A product leaf: every sampled address under it combines to its
 * location (never too short), and the sibling prefix is not a leaf of the
 * same location (else they should have merged). */
static int product_leaf(const uint8_t prefix[16], unsigned len, uint32_t id, void *ctx)
{
	struct pcheck *c = ctx;
	c->leaves++;
	const struct geo_location *lp = geotree_location(c->p, id);
	for (int k = 0; k < 6; k++) {
		uint8_t a[16];
		if (k == 0)
			memcpy(a, prefix, 16);
		else if (k == 1)
			last_addr(prefix, len, a);
		else
			random_under(prefix, len, a);
		unsigned pp;
		REQUIRE(geotree_lookup(c->p, a, &pp) == id && pp == len, "%s: lookup vs walk",
		        fmt(a));
		struct geo_location want = combined(at(c->a, a, NULL), at(c->b, a, NULL));
		REQUIRE(geo_location_eq(lp, &want), "scope too short: /%u of %s holds %s AS%u",
		        len, fmt(prefix), fmt(a), want.asn);
	}
	if (len > 0) {
		uint8_t sib[16], a[16];
		memcpy(sib, prefix, 16);
		sib[(len - 1) >> 3] ^= (uint8_t)(0x80u >> ((len - 1) & 7));
		random_under(sib, len, a);
		unsigned ps;
		uint32_t v = geotree_lookup(c->p, a, &ps);
		REQUIRE(!(ps == len && v == id), "sibling leaves /%u of %s both id %u", len,
		        fmt(prefix), id);
	}
	return 0;
}

static void random_addrs(struct pcheck *c, int count)
{
	for (int i = 0; i < count; i++) {
		uint8_t a[16] = { 0 };
		uint64_t r1 = rng(), r2 = rng();
		memcpy(a, &r1, 8);
		memcpy(a + 8, &r2, 8);
		switch (i % 4) {
		case 0: /* IPv4 */
			memset(a, 0, 10);
			a[10] = a[11] = 0xff;
			break;
		case 1: /* ::/96 */
			memset(a, 0, 12);
			break;
		case 2: /* 2000::/4 where both DBs have IPv6 data */
			a[0] = (uint8_t)(0x20 | (a[0] & 0x0f));
			break;
		default: /* near the test networks: 2001:0xxx, 2a02, 2400::/5 */
			a[0] = (uint8_t)(i & 4 ? 0x24 : 0x2a);
			a[1] = (uint8_t)(i & 8 ? 0x02 : 0x0f);
			break;
		}
		check_addr(c, a);
	}
}

static const char *const city_dbs[][2] = {
	{ "GeoIP2-City-Test.mmdb", "GeoIP2-City-Test.json" },
	{ "GeoLite2-City-Test.mmdb", "GeoLite2-City-Test.json" },
};

START_TEST(product_city_asn)
{
	struct geotree *ct = build_one(MMDB(city_dbs[_i][0]), &geodb_preset_maxmind);
	struct geotree *at_ = build_one(MMDB("GeoLite2-ASN-Test.mmdb"), &geodb_preset_asn);
	struct geotree *p = geotree_product(ct, at_, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	struct pcheck c = { .a = ct, .b = at_, .p = p };

	size_t n1, n2;
	struct net *city = source_nets(SRC(city_dbs[_i][1]), &n1);
	struct net *asn = source_nets(SRC("GeoLite2-ASN-Test.json"), &n2);
	check_nets(&c, city, n1);
	check_nets(&c, asn, n2);
	rng_state = 0xabcdef12u + (uint64_t)_i;
	random_addrs(&c, 40000);
	printf("product %s x ASN: %u addresses checked, %u with both a place and an ASN\n",
	       city_dbs[_i][0], c.checked, c.both);
	ck_assert_uint_gt(c.checked, 40000 + 2 * (n1 + n2));
	ck_assert_uint_gt(c.both, 20); /* the DBs do overlap: the product is not trivial */

	/* Scope property over every leaf of the product. */
	ck_assert_int_eq(geotree_walk(p, product_leaf, &c), 0);
	struct geotree_stats st, sa, sb;
	geotree_get_stats(p, &st);
	geotree_get_stats(ct, &sa);
	geotree_get_stats(at_, &sb);
	ck_assert_uint_ge(c.leaves, st.nodes + 1);
	/* Shared subtrees are paired once: size is about the sum, not 3x. */
	ck_assert_uint_le(st.nodes, sa.nodes + sb.nodes);
	ck_assert_uint_eq(st.db_records, sa.db_records + sb.db_records);
	/* Locations deduplicated by value. */
	uint32_t nl = geotree_nlocations(p);
	ck_assert(geo_location_empty(geotree_location(p, 0)));
	for (uint32_t i = 1; i < nl; i++) {
		ck_assert(!geo_location_empty(geotree_location(p, i)));
		for (uint32_t j = i + 1; j < nl; j++)
			ck_assert(!geo_location_eq(geotree_location(p, i), geotree_location(p, j)));
	}
	free(city);
	free(asn);
	geotree_free(p);
	geotree_free(at_);
	geotree_free(ct);
}
END_TEST

/* Exact values where the City and ASN test DBs overlap. */
START_TEST(product_known_values)
{
	struct geotree *ct = build_one(MMDB("GeoIP2-City-Test.mmdb"), &geodb_preset_maxmind);
	struct geotree *at_ = build_one(MMDB("GeoLite2-ASN-Test.mmdb"), &geodb_preset_asn);
	struct geotree *p = geotree_product(ct, at_, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	static const struct {
		const char *addr, *country, *subdiv;
		uint32_t asn;
		unsigned plen;
	} known[] = {
		{ "89.160.20.129", "SE", "E", 29518, 121 },
		{ "::89.160.20.129", "SE", "E", 29518, 121 },
		{ "216.160.83.57", "US", "WA", 209, 125 },
		{ "214.78.120.1", "US", "CA", 721, 118 },
		{ "81.2.69.160", "GB", "ENG", 0, 123 },   /* no ASN record there */
		{ "1.0.0.1", "", "", 15169, 120 },        /* ASN only */
		{ "2001:218::1", "JP", "", 0, 32 },
		{ "8.8.8.8", "", "", 0, 0 },              /* neither: plen checked below */
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		uint8_t a[16];
		unsigned plen, pa, pb;
		addr16(known[i].addr, a);
		const struct geo_location *l = at(p, a, &plen);
		ck_assert_msg(strcmp(l->country, known[i].country) == 0 &&
		                      strcmp(l->subdivision, known[i].subdiv) == 0 &&
		                      l->asn == known[i].asn,
		              "%s: %s/%s AS%u", known[i].addr, l->country, l->subdivision, l->asn);
		at(ct, a, &pa);
		at(at_, a, &pb);
		if (known[i].plen)
			ck_assert_msg(plen == known[i].plen, "%s: /%u want /%u", known[i].addr, plen,
			              known[i].plen);
		ck_assert_uint_le(plen, pa > pb ? pa : pb);
	}
	/* 8.8.8.8: unknown in both, so its prefix is the longer of the two
	 * unknown ranges around it, at most. */
	uint8_t a[16];
	addr16("8.8.8.8", a);
	ck_assert_uint_eq(geotree_lookup(p, a, NULL), GEO_LOC_UNKNOWN);
	geotree_free(p);
	geotree_free(at_);
	geotree_free(ct);
}
END_TEST

/* ---- CIDR overlay ---- */

struct pfxs {
	uint8_t addr[512][16];
	uint8_t len[512];
	uint32_t rule[512];
	size_t n;
};

static void add_pfx(struct pfxs *p, const char *s, unsigned len, uint32_t rule)
{
	addr16(s, p->addr[p->n]);
	p->len[p->n] = (uint8_t)(strchr(s, ':') ? len : len + 96);
	p->rule[p->n] = rule;
	p->n++;
}

/* Brute force: smallest rule among prefixes covering a, 0 if none. */
static uint32_t brute_rule(const struct pfxs *p, const uint8_t a[16])
{
	uint32_t best = 0;
	for (size_t i = 0; i < p->n; i++) {
		int in = 1;
		for (unsigned b = 0; b < p->len[i] && in; b++) {
			uint8_t m = (uint8_t)(0x80u >> (b & 7));
			in = (a[b >> 3] & m) == (p->addr[i][b >> 3] & m);
		}
		if (in && (best == 0 || p->rule[i] < best))
			best = p->rule[i];
	}
	return best;
}

struct ocheck {
	const struct pfxs *p;
	const struct geotree *t;
	unsigned leaves;
};

static int overlay_leaf(const uint8_t prefix[16], unsigned len, uint32_t id, void *ctx)
{
	struct ocheck *c = ctx;
	uint32_t v = geotree_location(c->t, id)->cidr_rule;
	c->leaves++;
	for (int k = 0; k < 6; k++) {
		uint8_t a[16];
		if (k == 0)
			memcpy(a, prefix, 16);
		else if (k == 1)
			last_addr(prefix, len, a);
		else
			random_under(prefix, len, a);
		REQUIRE(brute_rule(c->p, a) == v, "/%u of %s says rule %u, %s has %u", len,
		        fmt(prefix), v, fmt(a), brute_rule(c->p, a));
	}
	if (len > 0) {
		uint8_t sib[16], a[16];
		memcpy(sib, prefix, 16);
		sib[(len - 1) >> 3] ^= (uint8_t)(0x80u >> ((len - 1) & 7));
		random_under(sib, len, a);
		unsigned ps;
		uint32_t s = geotree_lookup(c->t, a, &ps);
		REQUIRE(!(ps == len && s == id), "sibling leaves /%u both id %u", len, id);
	}
	return 0;
}

static struct geotree *overlay(const struct pfxs *p)
{
	struct geotree *t = geotree_from_prefixes((const uint8_t(*)[16])p->addr, p->len, p->rule,
	                                          p->n, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	return t;
}

static uint32_t rule_at(const struct geotree *t, const char *s, unsigned *plen)
{
	uint8_t a[16];
	addr16(s, a);
	return at(t, a, plen)->cidr_rule;
}

START_TEST(overlay_nested_min)
{
	static struct pfxs p;
	memset(&p, 0, sizeof(p));
	add_pfx(&p, "10.0.0.0", 8, 3);
	add_pfx(&p, "10.1.0.0", 16, 1);
	add_pfx(&p, "10.1.2.0", 24, 2);    /* inside rule 1: still 1 */
	add_pfx(&p, "10.2.0.0", 16, 5);    /* inside rule 3: still 3 */
	add_pfx(&p, "10.3.4.0", 24, 2);    /* inside rule 3: 2 wins */
	add_pfx(&p, "192.0.2.0", 24, 7);
	add_pfx(&p, "192.0.2.0", 24, 6);   /* the same prefix twice: 6 */
	add_pfx(&p, "192.0.2.77", 32, 4);  /* a host */
	add_pfx(&p, "2001:db8::", 32, 4);
	add_pfx(&p, "2001:db8:1::", 48, 2);
	add_pfx(&p, "2001:db8:1:2::1", 128, 9);
	add_pfx(&p, "2001:db9:ffff::", 16, 8); /* host bits past len ignored */
	struct geotree *t = overlay(&p);
	unsigned plen;

	ck_assert_uint_eq(rule_at(t, "10.1.2.3", &plen), 1);
	ck_assert_uint_eq(plen, 96 + 16); /* the /24 of rule 2 merged away */
	ck_assert_uint_eq(rule_at(t, "10.1.255.255", NULL), 1);
	ck_assert_uint_eq(rule_at(t, "10.2.3.4", &plen), 3);
	ck_assert_uint_eq(plen, 96 + 16); /* rule 5's /16, its sibling 10.3/16 differs */
	ck_assert_uint_eq(rule_at(t, "10.200.0.1", &plen), 3);
	ck_assert_uint_eq(plen, 96 + 9);
	ck_assert_uint_eq(rule_at(t, "10.3.4.200", &plen), 2);
	ck_assert_uint_eq(plen, 96 + 24);
	ck_assert_uint_eq(rule_at(t, "10.3.5.0", NULL), 3);
	ck_assert_uint_eq(rule_at(t, "11.0.0.1", &plen), 0);
	ck_assert_uint_eq(plen, 96 + 8);
	ck_assert_uint_eq(rule_at(t, "192.0.2.1", &plen), 6);
	ck_assert_uint_eq(plen, 96 + 26); /* .0/26; .64/26 holds the host */
	ck_assert_uint_eq(rule_at(t, "192.0.2.77", &plen), 4);
	ck_assert_uint_eq(plen, 128);
	ck_assert_uint_eq(rule_at(t, "192.0.2.76", &plen), 6);
	ck_assert_uint_eq(plen, 128);
	ck_assert_uint_eq(rule_at(t, "2001:db8:5::1", NULL), 4);
	ck_assert_uint_eq(rule_at(t, "2001:db8:1:2::1", &plen), 2); /* 9 loses to 2 */
	ck_assert_uint_eq(plen, 48);
	ck_assert_uint_eq(rule_at(t, "2001:db8:1::", &plen), 2);
	ck_assert_uint_eq(rule_at(t, "2001:0:1::", &plen), 8);
	ck_assert_uint_eq(plen, 21); /* 2001::/21; 2001:800::/21 holds 2001:db8::/32 */
	/* IPv4 rules are for IPv4 clients only, not ::/96. */
	ck_assert_uint_eq(rule_at(t, "::10.1.2.3", NULL), 0);
	/* The whole tree against brute force, leaf by leaf. */
	rng_state = 7;
	struct ocheck c = { .p = &p, .t = t };
	ck_assert_int_eq(geotree_walk(t, overlay_leaf, &c), 0);
	/* Location per distinct winning rule: 1 2 3 4 6 8 + empty (5, 7
	 * and 9 never win anywhere). */
	ck_assert_uint_eq(geotree_nlocations(t), 7);
	geotree_free(t);
}
END_TEST

START_TEST(overlay_random_vs_brute_force)
{
	static struct pfxs p;
	memset(&p, 0, sizeof(p));
	rng_state = 0x5eed + (uint64_t)_i;
	/* 400 prefixes clustered under 100.64.0.0/16 and 2001:db8::/40 so
	 * that they nest and overlap; every 40th is a short one (the whole
	 * cluster) with a large rule number, which must lose inside. Rule
	 * numbers grow with shortness plus noise (operators list specific
	 * rules first, mostly), so both inner and outer prefixes win. */
	for (int i = 0; i < 400; i++) {
		uint8_t base[16] = { 0 };
		unsigned lo, span;
		if (i & 1) {
			base[10] = base[11] = 0xff;
			base[12] = 100;
			base[13] = 64;
			lo = 96 + 16;
			span = 17;
		} else {
			base[0] = 0x20;
			base[1] = 0x01;
			base[2] = 0x0d;
			base[3] = 0xb8;
			lo = 40;
			span = 24;
		}
		int wide = i % 40 < 2;
		random_under(base, lo, p.addr[p.n]);
		unsigned extra = wide ? 0 : 2 + (unsigned)(rng() % (span - 2));
		p.len[p.n] = (uint8_t)(lo + extra);
		p.rule[p.n] = wide ? 100 : 1 + 3 * (span - extra) + (uint32_t)(rng() % 12);
		p.n++;
	}
	struct geotree *t = overlay(&p);
	struct ocheck c = { .p = &p, .t = t };
	ck_assert_int_eq(geotree_walk(t, overlay_leaf, &c), 0);
	printf("overlay: 400 prefixes -> %u leaves, %u rules winning somewhere\n", c.leaves,
	       geotree_nlocations(t) - 1);
	fflush(stdout);
	ck_assert_uint_gt(c.leaves, 100);
	ck_assert_uint_gt(geotree_nlocations(t), 20);
	/* And random addresses near the prefixes. */
	for (int i = 0; i < 20000; i++) {
		uint8_t a[16];
		const uint8_t *b = p.addr[rng() % p.n];
		random_under(b, (b[0] ? 40 : 112) + (unsigned)(rng() % 17), a);
		REQUIRE(at(t, a, NULL)->cidr_rule == brute_rule(&p, a), "%s", fmt(a));
	}
	geotree_free(t);
}
END_TEST

START_TEST(overlay_edge_cases)
{
	static struct pfxs p;
	memset(&p, 0, sizeof(p));
	/* Empty: one leaf, location 0 everywhere, prefix 0. */
	struct geotree *t = overlay(&p);
	ck_assert_uint_eq(geotree_nlocations(t), 1);
	unsigned plen = 99;
	ck_assert_uint_eq(rule_at(t, "1.2.3.4", &plen), 0);
	ck_assert_uint_eq(plen, 0);
	geotree_free(t);

	/* ::/0 covers everything: one leaf again. */
	add_pfx(&p, "::", 0, 3);
	t = overlay(&p);
	ck_assert_uint_eq(rule_at(t, "2001:db8::1", &plen), 3);
	ck_assert_uint_eq(plen, 0);
	geotree_free(t);

	/* Bad input: a clear error, no tree. */
	p.len[0] = 129;
	ck_assert_ptr_null(geotree_from_prefixes((const uint8_t(*)[16])p.addr, p.len, p.rule, 1,
	                                         err, sizeof(err)));
	ck_assert_msg(strstr(err, "length 129"), "%s", err);
	p.len[0] = 8;
	p.rule[0] = 0;
	ck_assert_ptr_null(geotree_from_prefixes((const uint8_t(*)[16])p.addr, p.len, p.rule, 1,
	                                         err, sizeof(err)));
	ck_assert_msg(strstr(err, "rule number 0"), "%s", err);
}
END_TEST

/* ---- product with overlays ---- */

struct ident {
	const struct geotree *a, *p;
};

static int ident_leaf(const uint8_t prefix[16], unsigned len, uint32_t id, void *ctx)
{
	struct ident *c = ctx;
	unsigned pp;
	uint32_t pid = geotree_lookup(c->p, prefix, &pp);
	REQUIRE(geo_location_eq(geotree_location(c->p, pid), geotree_location(c->a, id)), "%s/%u",
	        fmt(prefix), len);
	REQUIRE(pp == len, "%s/%u: product /%u", fmt(prefix), len, pp);
	return 0;
}

START_TEST(product_with_empty_overlay_is_identity)
{
	struct geotree *ct = build_one(MMDB(city_dbs[_i][0]), &geodb_preset_maxmind);
	static struct pfxs none;
	struct geotree *ov = overlay(&none);
	struct geotree *p = geotree_product(ct, ov, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	struct ident c = { .a = ct, .p = p };
	ck_assert_int_eq(geotree_walk(ct, ident_leaf, &c), 0);
	struct geotree_stats sa, sp;
	geotree_get_stats(ct, &sa);
	geotree_get_stats(p, &sp);
	ck_assert_uint_eq(sp.locations, sa.locations);
	ck_assert_uint_le(sp.nodes, sa.nodes);
	geotree_free(p);
	geotree_free(ov);
	geotree_free(ct);
}
END_TEST

/* Where b overrides the only field in which a's leaves differ, the
 * product must merge them: a's /9s of rules 3 and 4 under b's /8 of rule
 * 1 give one /8 leaf. (With City x ASN this never happens: a's leaves
 * differ in place, which b never overrides.) */
START_TEST(product_merges_where_b_overrides)
{
	static struct pfxs pa, pb;
	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	add_pfx(&pa, "10.0.0.0", 9, 3);
	add_pfx(&pa, "10.128.0.0", 9, 4);
	add_pfx(&pa, "10.77.0.0", 16, 2);
	add_pfx(&pa, "2001:db8::", 33, 5);
	add_pfx(&pa, "2001:db8:8000::", 33, 6);
	add_pfx(&pb, "10.0.0.0", 8, 1);
	add_pfx(&pb, "2001:db8::", 32, 7);
	struct geotree *ta = overlay(&pa), *tb = overlay(&pb);
	struct geotree *p = geotree_product(ta, tb, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	unsigned plen;
	ck_assert_uint_eq(rule_at(p, "10.77.1.1", &plen), 1);
	ck_assert_uint_eq(plen, 96 + 8);
	ck_assert_uint_eq(rule_at(p, "10.200.1.1", &plen), 1);
	ck_assert_uint_eq(plen, 96 + 8);
	ck_assert_uint_eq(rule_at(p, "2001:db8:ffff::1", &plen), 7);
	ck_assert_uint_eq(plen, 32);
	ck_assert_uint_eq(rule_at(p, "11.0.0.1", &plen), 0);
	/* Only rules 1 and 7 survive. */
	ck_assert_uint_eq(geotree_nlocations(p), 3);
	struct pcheck c = { .a = ta, .b = tb, .p = p };
	rng_state = 99;
	ck_assert_int_eq(geotree_walk(p, product_leaf, &c), 0);
	geotree_free(p);
	geotree_free(tb);

	/* Random a under a partial b: merges and splits mixed. */
	static struct pfxs pr;
	memset(&pr, 0, sizeof(pr));
	rng_state = 1234;
	for (int i = 0; i < 300; i++) {
		uint8_t base[16] = { 0 };
		base[10] = base[11] = 0xff;
		base[12] = 10;
		random_under(base, 104, pr.addr[pr.n]);
		pr.len[pr.n] = (uint8_t)(106 + rng() % 20);
		pr.rule[pr.n] = 1 + (uint32_t)(rng() % 50);
		pr.n++;
	}
	geotree_free(ta);
	ta = overlay(&pr);
	memset(&pb, 0, sizeof(pb));
	add_pfx(&pb, "10.0.0.0", 10, 2);
	add_pfx(&pb, "10.64.0.0", 11, 9);
	add_pfx(&pb, "10.200.0.0", 13, 60);
	tb = overlay(&pb);
	p = geotree_product(ta, tb, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	c = (struct pcheck){ .a = ta, .b = tb, .p = p };
	ck_assert_int_eq(geotree_walk(p, product_leaf, &c), 0);
	ck_assert_uint_eq(rule_at(p, "10.0.0.0", &plen), 2);
	ck_assert_uint_eq(plen, 96 + 10);
	random_addrs(&c, 2000);
	geotree_free(p);
	geotree_free(tb);
	geotree_free(ta);
}
END_TEST

/* The lead's chain: product(product(city, asn), cidr). */
START_TEST(product_chain_city_asn_cidr)
{
	struct geotree *ct = build_one(MMDB("GeoIP2-City-Test.mmdb"), &geodb_preset_maxmind);
	struct geotree *at_ = build_one(MMDB("GeoLite2-ASN-Test.mmdb"), &geodb_preset_asn);
	static struct pfxs p;
	memset(&p, 0, sizeof(p));
	add_pfx(&p, "89.160.20.128", 26, 2);
	add_pfx(&p, "89.160.0.0", 16, 1);
	add_pfx(&p, "2001:218::", 31, 3);
	struct geotree *ov = overlay(&p);
	struct geotree *ga = geotree_product(ct, at_, err, sizeof(err));
	ck_assert_msg(ga != NULL, "%s", err);
	struct geotree *all = geotree_product(ga, ov, err, sizeof(err));
	ck_assert_msg(all != NULL, "%s", err);

	uint8_t a[16];
	unsigned plen;
	addr16("89.160.20.129", a);
	const struct geo_location *l = at(all, a, &plen);
	ck_assert_str_eq(l->country, "SE");
	ck_assert_uint_eq(l->asn, 29518);
	ck_assert_uint_eq(l->cidr_rule, 1); /* /16 rule 1 beats the /26's rule 2 */
	ck_assert_uint_eq(plen, 121);       /* the City network's /25 */
	addr16("89.160.99.1", a);
	l = at(all, a, NULL);
	ck_assert_uint_eq(l->cidr_rule, 1);
	ck_assert_str_eq(l->country, "");
	addr16("2001:218:ffff::1", a);
	l = at(all, a, &plen);
	ck_assert_str_eq(l->country, "JP");
	ck_assert_uint_eq(l->cidr_rule, 3);
	ck_assert_uint_eq(plen, 32);
	addr16("2001:219::1", a); /* rule 3's /31, no City record */
	l = at(all, a, NULL);
	ck_assert_str_eq(l->country, "");
	ck_assert_uint_eq(l->cidr_rule, 3);
	addr16("2001:220::1", a);
	ck_assert_uint_eq(at(all, a, NULL)->cidr_rule, 0);

	/* Everything at random and at every City network against the three
	 * inputs. */
	size_t n;
	struct net *nets = source_nets(SRC("GeoIP2-City-Test.json"), &n);
	rng_state = 31337;
	for (size_t i = 0; i < n + 20000; i++) {
		if (i < n)
			memcpy(a, nets[i].a, 16);
		else
			random_under(nets[i % n].a, 96 + (unsigned)(rng() % 16), a);
		struct geo_location w1 = combined(at(ct, a, NULL), at(at_, a, NULL));
		struct geo_location w2 = combined(&w1, at(ov, a, NULL));
		REQUIRE(geo_location_eq(at(all, a, NULL), &w2), "%s", fmt(a));
	}
	free(nets);
	geotree_free(all);
	geotree_free(ga);
	geotree_free(ov);
	geotree_free(at_);
	geotree_free(ct);
}
END_TEST

/* ---- generated DBs: build time ---- */

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* City-shaped x ASN-shaped generated DBs (tests/unit/gen), and the
 * City-shaped one with itself: time, size, and agreement on random
 * addresses. STEERDNS_PRODUCT_NETS scales it (default 20000 networks;
 * ~500000 is GeoLite2-City scale) for measuring by hand. */
START_TEST(generated_product)
{
	if (!flat_dir[0]) {
		printf("%s\n", flat_skip_reason);
		return;
	}
	const char *e = getenv("STEERDNS_PRODUCT_NETS");
	long nn = e && *e ? atol(e) : 20000;
	char city[256], asn[256], cmd[1024];
	snprintf(city, sizeof(city), "%s/prod-city.mmdb", flat_dir);
	snprintf(asn, sizeof(asn), "%s/prod-asn.mmdb", flat_dir);
	snprintf(cmd, sizeof(cmd),
	         "perl tests/unit/gen/big_mmdb.pl %s %ld 11 && perl tests/unit/gen/asn_mmdb.pl %s "
	         "%ld 12",
	         city, nn, asn, nn);
	ck_assert_int_eq(system(cmd), 0);
	struct geotree *ct = build_one(city, &geodb_preset_maxmind);
	struct geotree *at_ = build_one(asn, &geodb_preset_asn);
	unlink(city);
	unlink(asn);

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct geotree *p = geotree_product(ct, at_, err, sizeof(err));
	double ms = ms_since(&t0);
	ck_assert_msg(p != NULL, "%s", err);
	struct geotree_stats sc, sa, sp;
	geotree_get_stats(ct, &sc);
	geotree_get_stats(at_, &sa);
	geotree_get_stats(p, &sp);
	fflush(stdout);
	printf("generated_product: city %u nodes x asn %u nodes -> %u nodes, %u locations, "
	       "%zu bytes, %.1f ms\n",
	       sc.nodes, sa.nodes, sp.nodes, sp.locations, sp.bytes, ms);
	ck_assert_uint_le(sp.nodes, sc.nodes + sa.nodes);
	if (nn <= 20000)
		ck_assert_msg(ms < 2000, "product took %.1f ms", ms);
	struct pcheck c = { .a = ct, .b = at_, .p = p };
	rng_state = 4242;
	random_addrs(&c, 100000);
	ck_assert_uint_gt(c.both, 1000);

	/* With itself: every location pairs with itself (b's asn is 0). */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct geotree *pp = geotree_product(ct, ct, err, sizeof(err));
	ms = ms_since(&t0);
	ck_assert_msg(pp != NULL, "%s", err);
	struct geotree_stats s2;
	geotree_get_stats(pp, &s2);
	printf("generated_product: city x city -> %u nodes, %.1f ms\n", s2.nodes, ms);
	/* Same shape; the input may hold up to 96 unreachable nodes left by
	 * the ::ffff:0:0/96 graft that the product does not copy. */
	ck_assert_uint_le(s2.nodes, sc.nodes);
	ck_assert_uint_ge(s2.nodes + 96, sc.nodes);
	ck_assert_uint_eq(s2.locations, sc.locations);
	geotree_free(pp);
	geotree_free(p);
	geotree_free(at_);
	geotree_free(ct);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("geotree_ops");
	TCase *tc = tcase_create("maxmind");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, asn_tree_lookups);
	tcase_add_loop_test(tc, product_city_asn, 0, 2);
	tcase_add_test(tc, product_known_values);
	tcase_add_test(tc, overlay_nested_min);
	tcase_add_loop_test(tc, overlay_random_vs_brute_force, 0, 3);
	tcase_add_test(tc, overlay_edge_cases);
	tcase_add_loop_test(tc, product_with_empty_overlay_is_identity, 0, 2);
	tcase_add_test(tc, product_merges_where_b_overrides);
	tcase_add_test(tc, product_chain_city_asn_cidr);
	suite_add_tcase(s, tc);

	TCase *gen = tcase_create("generated");
	tcase_set_timeout(gen, 600);
	tcase_add_unchecked_fixture(gen, gen_flat_dbs, rm_flat_dbs);
	tcase_add_test(gen, generated_product);
	suite_add_tcase(s, gen);
	return s;
}

#include "tests/unit/check_main.h"
