/*
 * test_geotree_tables.c: the table-driven lookups (geotree_lookup,
 * dtree_lookup, dtree_lookup_v4) against the reference bit-walk: same
 * value and prefix length for millions of addresses (every leaf's edges,
 * every 16-bit table index, random addresses of every kind) on every
 * MaxMind test DB, a CIDR-overlay product, the generated flat DBs, a
 * generated big DB and edge-case CIDR trees.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "geodns/geodb.h"
#include "geodns/geotree.h"
#include "geodns/geotree_int.h"
#include "tests/unit/geotree_test_util.h"

/* ---- table-driven lookups against the reference bit-walk ---- */

struct eqctx {
	const struct geotree *t;
	struct dtree *d[2];
	unsigned checked, aliased;
};

static const char *ntop(const uint8_t a[16])
{
	static char s[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, a, s, sizeof(s));
	return s;
}

static const uint8_t mapped_pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Table lookups of a equal the bit-walk's, value and length, for the
 * geotree, both dtrees, and dtree_lookup_v4 on IPv4-mapped a. */
static void same_as_bitwalk(struct eqctx *c, const uint8_t a[16])
{
	unsigned l1 = 1000, l2 = 2000;
	uint32_t v1 = geotree_lookup(c->t, a, &l1), v2 = gt_lookup_bitwalk(c->t, a, &l2);
	REQUIRE(v1 == v2 && l1 == l2, "geotree %s: table %u/%u, bit-walk %u/%u", ntop(a), v1, l1,
	        v2, l2);
	REQUIRE(geotree_lookup(c->t, a, NULL) == v2, "geotree %s without length", ntop(a));
	for (int k = 0; k < 2; k++) {
		if (!c->d[k])
			continue;
		l1 = 1000, l2 = 2000;
		v1 = dtree_lookup(c->d[k], a, &l1);
		v2 = gt_dtree_lookup_bitwalk(c->d[k], a, &l2);
		REQUIRE(v1 == v2 && l1 == l2, "dtree %d %s: table %u/%u, bit-walk %u/%u", k, ntop(a),
		        v1, l1, v2, l2);
		REQUIRE(dtree_lookup(c->d[k], a, NULL) == v2, "dtree %s without scope", ntop(a));
		if (memcmp(a, mapped_pfx, 12) == 0) {
			unsigned s = 1000;
			v1 = dtree_lookup_v4(c->d[k], a + 12, &s);
			REQUIRE(v1 == v2 && s == (l2 > 96 ? l2 - 96 : 0),
			        "dtree_lookup_v4 %d %s: %u/%u, bit-walk %u/%u", k, ntop(a), v1, s, v2, l2);
			REQUIRE(dtree_lookup_v4(c->d[k], a + 12, NULL) == v2, "v4 %s without scope",
			        ntop(a));
		}
	}
	c->checked++;
}

/* a +/- 1 as a 128-bit number (wrapping). */
static void addr_step(uint8_t a[16], int up)
{
	for (int i = 15; i >= 0; i--) {
		a[i] = (uint8_t)(a[i] + (up ? 1 : -1));
		if (a[i] != (up ? 0x00 : 0xff))
			break;
	}
}

/* Every leaf (network): its first and last address and the addresses just
 * outside it, where a wrong depth or an off-by-one index would show. The
 * IPv4 subtree's aliases at ::/96 and 2002::/16 (the same nodes, reached
 * through table slots 0 and 0x2002, walked 100+ levels deep per lookup)
 * are sampled, one leaf in 8, to keep the sanitizer build's time sane. */
static int edge_leaf(const uint8_t prefix[16], unsigned len, uint32_t val, void *ctx)
{
	(void)val;
	struct eqctx *c = ctx;
	static const uint8_t zero12[12];
	if (((len > 96 && memcmp(prefix, zero12, 12) == 0) ||
	     (len > 32 && prefix[0] == 0x20 && prefix[1] == 0x02)) &&
	    c->aliased++ % 8 != 0)
		return 0;
	uint8_t a[16];
	memcpy(a, prefix, 16);
	same_as_bitwalk(c, a);
	addr_step(a, 0);
	same_as_bitwalk(c, a);
	memcpy(a, prefix, 16);
	for (unsigned bit = len; bit < 128; bit++)
		a[bit >> 3] |= (uint8_t)(0x80u >> (bit & 7));
	same_as_bitwalk(c, a);
	addr_step(a, 1);
	same_as_bitwalk(c, a);
	return 0;
}

/* n random addresses of every kind: IPv4-mapped, ::/96, 6to4, 2000::/4,
 * 2400::/5, anywhere, and near misses of ::ffff:0:0/96 (one bit of the
 * first 96 flipped, which must not take the IPv4 table). */
static void random_same(struct eqctx *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t a[16];
		uint64_t r1 = rng(), r2 = rng();
		memcpy(a, &r1, 8);
		memcpy(a + 8, &r2, 8);
		switch (i % 8) {
		case 0:
		case 1:
			memcpy(a, mapped_pfx, 12);
			break;
		case 2:
			memset(a, 0, 12);
			break;
		case 3:
			a[0] = 0x20, a[1] = 0x02;
			break;
		case 4:
			a[0] = (uint8_t)(0x20 | (a[0] & 0x0f));
			break;
		case 5:
			a[0] = (uint8_t)(0x24 | (a[0] & 0x07));
			break;
		case 6:
			break;
		case 7: {
			unsigned bit = (unsigned)(r1 >> 32) % 96;
			memcpy(a, mapped_pfx, 12);
			a[bit >> 3] ^= (uint8_t)(0x80u >> (bit & 7));
			break;
		}
		}
		same_as_bitwalk(c, a);
	}
}

/* Every 16-bit table index (both tables) with a few tails each. */
static void every_index_same(struct eqctx *c)
{
	for (uint32_t hi = 0; hi < 65536; hi++) {
		for (int k = 0; k < 3; k++) {
			uint8_t a[16];
			uint64_t r1 = rng(), r2 = rng();
			memcpy(a, &r1, 8);
			memcpy(a + 8, &r2, 8);
			if (k == 1)
				memset(a, 0, 16);
			else if (k == 2)
				memset(a, 0xff, 16);
			a[0] = (uint8_t)(hi >> 8), a[1] = (uint8_t)hi;
			same_as_bitwalk(c, a);
			memcpy(a, mapped_pfx, 12);
			a[12] = (uint8_t)(hi >> 8), a[13] = (uint8_t)hi;
			same_as_bitwalk(c, a);
		}
	}
}

/* The whole comparison for t, with an identity and a 3-valued random
 * decision tree. */
static void check_tables(const struct geotree *t, unsigned nrandom)
{
	uint32_t n = geotree_nlocations(t);
	uint32_t *ident = malloc(n * sizeof(*ident)), *rnd = malloc(n * sizeof(*rnd));
	ck_assert(ident && rnd);
	for (uint32_t i = 0; i < n; i++) {
		ident[i] = i;
		rnd[i] = (uint32_t)(rng() % 3);
	}
	struct eqctx c = { .t = t };
	c.d[0] = dtree_build(t, ident, n, err, sizeof(err));
	ck_assert_msg(c.d[0] != NULL, "%s", err);
	c.d[1] = dtree_build(t, rnd, n, err, sizeof(err));
	ck_assert_msg(c.d[1] != NULL, "%s", err);
	/* Otherwise the comparison would be of the bit-walk with itself. */
	ck_assert(gt_has_tables(t));
	ck_assert(gt_dtree_has_tables(c.d[0]) && gt_dtree_has_tables(c.d[1]));
	ck_assert_int_eq(geotree_walk(t, edge_leaf, &c), 0);
	ck_assert_int_eq(dtree_walk(c.d[0], edge_leaf, &c), 0);
	ck_assert_int_eq(dtree_walk(c.d[1], edge_leaf, &c), 0);
	every_index_same(&c);
	random_same(&c, nrandom);
	ck_assert_uint_ge(c.checked, nrandom + 6 * 65536);
	dtree_free(c.d[0]);
	dtree_free(c.d[1]);
	free(ident);
	free(rnd);
}

START_TEST(tables_match_bitwalk_maxmind)
{
	struct built b;
	build1(&b, MMDB(maxmind_dbs[_i]), &geodb_preset_maxmind);
	rng_state = 1234 + (uint64_t)_i;
	check_tables(b.t, 1u << 19);
	/* And a product with a CIDR overlay (its tables come from gt_seal). */
	static const uint8_t pa[3][16] = {
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 81, 2, 0, 0 },
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 89, 160, 20, 128 },
		{ 0x20, 0x01, 0x04, 0x80 },
	};
	static const uint8_t pl[3] = { 96 + 15, 96 + 25, 20 };
	static const uint32_t pr[3] = { 1, 2, 3 };
	struct geotree *o = geotree_from_prefixes(pa, pl, pr, 3, err, sizeof(err));
	ck_assert_msg(o != NULL, "%s", err);
	struct geotree *p = geotree_product(b.t, o, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	check_tables(p, 1u << 17);
	geotree_free(p);
	geotree_free(o);
	close_all(&b);
}
END_TEST

START_TEST(tables_match_bitwalk_flat)
{
	NEED_FLAT();
	static const char *const names[] = { "flat-v6.mmdb", "flat-v4.mmdb", "flat-v6only.mmdb",
		                             "flat-noalias.mmdb" };
	struct built b;
	build1(&b, tpath(flat_dir, names[_i]), &geodb_preset_flat);
	rng_state = 777 + (uint64_t)_i;
	check_tables(b.t, 1u << 19);
	close_all(&b);
}
END_TEST

START_TEST(tables_match_bitwalk_big)
{
	NEED_FLAT();
	const char *path = tpath(flat_dir, "big-tables.mmdb");
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "perl tests/unit/gen/big_mmdb.pl %s 50000 11", path);
	ck_assert_int_eq(system(cmd), 0);
	struct built b;
	build1(&b, path, &geodb_preset_maxmind);
	unlink(path);
	struct geotree_stats st;
	geotree_get_stats(b.t, &st);
	ck_assert_uint_gt(st.nodes, 200000);
	rng_state = 4242;
	check_tables(b.t, 2u << 20);
	close_all(&b);
}
END_TEST

/* Location id at addr (string) in a from_prefixes tree -> its cidr_rule,
 * with the prefix length in *len, after checking it against the walk. */
static uint32_t rule_at(const struct geotree *t, const char *s, unsigned *len)
{
	uint8_t a[16];
	addr16(s, a);
	unsigned l2;
	uint32_t id = geotree_lookup(t, a, len);
	ck_assert_uint_eq(id, gt_lookup_bitwalk(t, a, &l2));
	ck_assert_uint_eq(*len, l2);
	return geotree_location(t, id)->cidr_rule;
}

/* Trees whose leaves sit above, at and below the tables' depths, and the
 * empty tree: exact values and lengths, then the full comparison. */
START_TEST(tables_edge_trees)
{
	struct {
		const char *addr;
		uint8_t len;
		uint32_t rule;
	} pfx[] = {
		{ "10.0.0.0", 96 + 8, 1 },     /* IPv4 leaf above tab4's depth */
		{ "10.20.0.0", 96 + 16, 2 },   /* exactly at it */
		{ "1.2.3.4", 128, 3 },         /* a /32 */
		{ "2001:db8::", 32, 4 },       /* IPv6 below tab6's depth */
		{ "2000::", 3, 5 },            /* IPv6 leaf above it */
		{ "4000::", 16, 6 },           /* exactly at it */
		{ "::ffff:0:0", 96, 7 },       /* all of IPv4 */
		{ "::", 1, 8 },                /* ::/1: a leaf at depth 1 */
	};
	enum { NP = sizeof(pfx) / sizeof(pfx[0]) };
	uint8_t addr[NP][16], len[NP];
	uint32_t rule[NP];
	for (int i = 0; i < NP; i++) {
		addr16(pfx[i].addr, addr[i]);
		len[i] = pfx[i].len;
		rule[i] = pfx[i].rule;
	}
	unsigned l;
	/* The empty tree: one leaf at depth 0. */
	struct geotree *t = geotree_from_prefixes(addr, len, rule, 0, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_uint_eq(rule_at(t, "10.1.1.1", &l), 0);
	ck_assert_uint_eq(l, 0);
	ck_assert_uint_eq(rule_at(t, "2001:db8::1", &l), 0);
	ck_assert_uint_eq(l, 0);
	rng_state = 5;
	check_tables(t, 1u << 16);
	geotree_free(t);

	/* ::/1 alone: IPv4 (under ::/1) ends at depth 1, v4 scope 0. */
	t = geotree_from_prefixes(addr + 7, len + 7, rule + 7, 1, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_uint_eq(rule_at(t, "10.1.1.1", &l), 8);
	ck_assert_uint_eq(l, 1);
	ck_assert_uint_eq(rule_at(t, "8000::1", &l), 0);
	ck_assert_uint_eq(l, 1);
	check_tables(t, 1u << 16);
	geotree_free(t);

	/* The first six: leaves at 104, 128, 32, 16 and shallower ones. */
	t = geotree_from_prefixes(addr, len, rule, 6, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_uint_eq(rule_at(t, "10.99.1.1", &l), 1);
	ck_assert_uint_eq(l, 104);
	ck_assert_uint_eq(rule_at(t, "10.20.255.1", &l), 1); /* rule 1 is earlier */
	ck_assert_uint_eq(l, 104);
	ck_assert_uint_eq(rule_at(t, "1.2.3.4", &l), 3);
	ck_assert_uint_eq(l, 128);
	ck_assert_uint_eq(rule_at(t, "1.2.3.5", &l), 0);
	ck_assert_uint_eq(l, 128);
	ck_assert_uint_eq(rule_at(t, "2001:db8:1::1", &l), 4);
	ck_assert_uint_eq(l, 32);
	ck_assert_uint_eq(rule_at(t, "2400::1", &l), 5); /* splits from 2001:db8:: at bit 5 */
	ck_assert_uint_eq(l, 6);
	ck_assert_uint_eq(rule_at(t, "3fff:1::", &l), 5);
	ck_assert_uint_eq(l, 4);
	ck_assert_uint_eq(rule_at(t, "4000:ffff::", &l), 6);
	ck_assert_uint_eq(l, 16);
	ck_assert_uint_eq(rule_at(t, "4001::", &l), 0);
	ck_assert_uint_eq(l, 16);
	check_tables(t, 1u << 18);
	/* dtree: 10/8 as an IPv4 scope of 8, 1.2.3.4 as 32. */
	uint32_t n = geotree_nlocations(t), dec[16];
	ck_assert_uint_le(n, 16);
	for (uint32_t i = 0; i < n; i++)
		dec[i] = geotree_location(t, i)->cidr_rule;
	struct dtree *d = dtree_build(t, dec, n, err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	static const uint8_t ten[4] = { 10, 20, 30, 40 }, one[4] = { 1, 2, 3, 4 };
	ck_assert_uint_eq(dtree_lookup_v4(d, ten, &l), 1);
	ck_assert_uint_eq(l, 8);
	ck_assert_uint_eq(dtree_lookup_v4(d, one, &l), 3);
	ck_assert_uint_eq(l, 32);
	dtree_free(d);
	geotree_free(t);

	/* With all of IPv4 (rule 7) under the finer ones. */
	t = geotree_from_prefixes(addr, len, rule, 7, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_uint_eq(rule_at(t, "9.9.9.9", &l), 7);
	ck_assert_uint_eq(rule_at(t, "10.20.1.1", &l), 1);
	ck_assert_uint_eq(l, 104);
	check_tables(t, 1u << 18);
	geotree_free(t);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("geotree_tables");
	TCase *tc = tcase_create("maxmind");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, tables_match_bitwalk_maxmind, 0, 4);
	tcase_add_test(tc, tables_edge_trees);
	suite_add_tcase(s, tc);

	TCase *flat = tcase_create("generated");
	tcase_set_timeout(flat, 120);
	tcase_add_unchecked_fixture(flat, gen_flat_dbs, rm_flat_dbs);
	tcase_add_loop_test(flat, tables_match_bitwalk_flat, 0, 4);
	tcase_add_test(flat, tables_match_bitwalk_big);
	suite_add_tcase(s, flat);
	return s;
}

#include "tests/unit/check_main.h"
