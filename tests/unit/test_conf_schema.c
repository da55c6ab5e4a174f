/*
 * test_conf_schema.c: the schema engine and what every section gets from
 * it.
 *   - suggest_distance / suggest_close against distances worked out by hand
 *     (optimal string alignment: insert, delete, substitute, swap = 1);
 *   - an unknown key in each section of the main file: the exact
 *     "file:line:col: unknown key 'x' in <section>; did you mean 'y'?" (the
 *     column counted by hand from the YAML text next to it), and none when
 *     no key is close; a misspelt PoP name in a rule or the fallback;
 *   - PoP names that read as a method or keyword, refused at the name;
 *   - conf_print and conf_markdown on a small table defined here, against
 *     the canonical text written out by hand.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf_schema.h"
#include "common/config.h"
#include "common/suggest.h"
#include "tests/unit/config_test_util.h"
#include "tests/unit/geo_test_util.h"

static void setup(void)
{
	char db[PATH_MAX];
	ck_assert_msg(realpath(tpath(mmdb_dir(), "GeoIP2-City-Test.mmdb"), db) != NULL,
	              "test DB not found under %s", mmdb_dir());
	cfg_tmp_enter("schema");
	ck_assert_int_eq(symlink(db, "db.mmdb"), 0);
}

static void teardown(void)
{
	cfg_tmp_leave();
}

/* ---------------- distances ---------------- */

START_TEST(distances)
{
	/* insertions, deletions, substitutions, adjacent swaps */
	ck_assert_uint_eq(suggest_distance("listn", "listen"), 1);
	ck_assert_uint_eq(suggest_distance("listen", "listn"), 1);
	ck_assert_uint_eq(suggest_distance("prot", "port"), 1);
	ck_assert_uint_eq(suggest_distance("servre", "server"), 1);
	ck_assert_uint_eq(suggest_distance("local-as", "local_as"), 1);
	ck_assert_uint_eq(suggest_distance("databse", "databases"), 2);
	ck_assert_uint_eq(suggest_distance("kitten", "sitting"), 3);
	ck_assert_uint_eq(suggest_distance("", "abc"), 3);
	ck_assert_uint_eq(suggest_distance("abc", "abc"), 0);
	/* OSA, not full Damerau: "ca" -> "abc" is 3 (no edit of a swapped pair) */
	ck_assert_uint_eq(suggest_distance("ca", "abc"), 3);

	ck_assert(suggest_close("listn", "listen"));
	ck_assert(suggest_close("asn", "as"));        /* 1 of 3 */
	ck_assert(!suggest_close("db", "ab"));        /* 1 of 2 */
	ck_assert(suggest_close("databse", "databases")); /* 2 of 9 */
	ck_assert(!suggest_close("hold", "hold_time"));   /* 5 */
	ck_assert(!suggest_close("port", "port"));    /* the same name is no hint */
}
END_TEST

/* ---------------- unknown keys in each section ---------------- */

static const struct err_case {
	const char *yaml;
	const char *msg;
} unknown_cases[] = {
	/* top level and server */
	{ "zone: []\n", "c.yaml:1:1: unknown key 'zone' in config; did you mean 'zones'?" },
	{ "servre: {}\n", "c.yaml:1:1: unknown key 'servre' in config; did you mean 'server'?" },
	{ "server:\n  listn: 127.0.0.1\n",
	  "c.yaml:2:3: unknown key 'listn' in server; did you mean 'listen'?" },
	{ "server:\n  tcp_max_client: 5\n",
	  "c.yaml:2:3: unknown key 'tcp_max_client' in server; did you mean 'tcp_max_clients'?" },
	{ "server:\n  bogus: 1\n", "c.yaml:2:3: unknown key 'bogus' in server" },
	/* geoip, its schema mapping, pops, a PoP's check */
	{ "geoip:\n  databses: [db.mmdb]\npops:\n  fra: { location: [50.1, 8.7], ipv4: 192.0.2.1 }\n",
	  "c.yaml:2:3: unknown key 'databses' in geoip; did you mean 'databases'?" },
	{ "geoip:\n  databases: [db.mmdb]\n  schema: { latitude: a/b, longitud: c/d }\npops:\n"
	  "  fra: { location: [50.1, 8.7], ipv4: 192.0.2.1 }\n",
	  "c.yaml:3:28: unknown key 'longitud' in schema; did you mean 'longitude'?" },
	{ "geoip:\n  databases: [db.mmdb]\npops:\n"
	  "  fra: { location: [50.1, 8.7], ipv4: 192.0.2.1, idenity: x }\n",
	  "c.yaml:4:50: unknown key 'idenity' in pop 'fra'; did you mean 'identity'?" },
	{ "geoip:\n  databases: [db.mmdb]\npops:\n"
	  "  fra: { location: [50.1, 8.7], ipv4: 192.0.2.1, check: { type: http, pth: /x } }\n",
	  "c.yaml:4:71: unknown key 'pth' in http check; did you mean 'path'?" },
	/* policy, a rule, its match */
	{ "geoip:\n  databases: [db.mmdb]\npops:\n  fra: { location: [50.1, 8.7], ipv4: 192.0.2.1 }\n"
	  "policy:\n  rule: []\n",
	  "c.yaml:6:3: unknown key 'rule' in policy; did you mean 'rules'?" },
	{ "geoip:\n  databases: [db.mmdb]\npops:\n  fra: { location: [50.1, 8.7], ipv4: 192.0.2.1 }\n"
	  "policy:\n  rules:\n    - { match: { country: DE }, pop: [fra] }\n",
	  "c.yaml:7:33: unknown key 'pop' in rule; did you mean 'pops'?" },
	{ "geoip:\n  databases: [db.mmdb]\npops:\n  fra: { location: [50.1, 8.7], ipv4: 192.0.2.1 }\n"
	  "policy:\n  rules:\n    - { match: { contry: DE }, pops: [fra] }\n",
	  "c.yaml:7:18: unknown key 'contry' in match; did you mean 'country'?" },
	/* ecs, its scope, a family's clamp */
	{ "geoip:\n  databases: [db.mmdb]\npops:\n  fra: { location: [50.1, 8.7], ipv4: 192.0.2.1 }\n"
	  "ecs: { trsut: all }\n",
	  "c.yaml:5:8: unknown key 'trsut' in ecs; did you mean 'trust'?" },
	{ "geoip:\n  databases: [db.mmdb]\npops:\n  fra: { location: [50.1, 8.7], ipv4: 192.0.2.1 }\n"
	  "ecs: { scope: { ipv: {} } }\n",
	  "c.yaml:5:17: unknown key 'ipv' in scope; did you mean 'ipv4'?" },
	{ "geoip:\n  databases: [db.mmdb]\npops:\n  fra: { location: [50.1, 8.7], ipv4: 192.0.2.1 }\n"
	  "ecs: { scope: { ipv4: { mx: 24 } } }\n",
	  "c.yaml:5:25: unknown key 'mx' in ipv4; did you mean 'max'?" },
	/* anycast, bgp, backoff, a peer, health, self_check, a check */
	{ "anycast:\n  lnger: 2\n",
	  "c.yaml:2:3: unknown key 'lnger' in anycast; did you mean 'linger'?" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  bgp:\n    local-as: 65001\n",
	  "c.yaml:4:5: unknown key 'local-as' in bgp; did you mean 'local_as'?" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n"
	  "    prefix4: 198.51.100.0/24\n    backoff: { mn: 1 }\n    peers:\n"
	  "      - { address: 10.0.0.2, as: 64512 }\n",
	  "c.yaml:7:16: unknown key 'mn' in backoff; did you mean 'min'?" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n"
	  "    prefix4: 198.51.100.0/24\n    peers:\n"
	  "      - { address: 10.0.0.2, as: 64512, pasive: true }\n",
	  "c.yaml:8:41: unknown key 'pasive' in peer; did you mean 'passive'?" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { fal: 2 }\n",
	  "c.yaml:3:13: unknown key 'fal' in health; did you mean 'fall'?" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { self_check: { nme: www.example. } }\n",
	  "c.yaml:3:27: unknown key 'nme' in self_check; did you mean 'name'?" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { checks: [ { type: tcp, prot: 80 } ] }\n",
	  "c.yaml:3:36: unknown key 'prot' in tcp check; did you mean 'port'?" },
	/* ab, decision_log, cookies, rrl */
	{ "ab: { anycast_precent: 10 }\n",
	  "c.yaml:1:7: unknown key 'anycast_precent' in ab; did you mean 'anycast_percent'?" },
	{ "decision_log: { pth: d.jsonl }\n",
	  "c.yaml:1:17: unknown key 'pth' in decision_log; did you mean 'path'?" },
	{ "cookies: { enable: false }\n",
	  "c.yaml:1:12: unknown key 'enable' in cookies; did you mean 'enabled'?" },
	{ "rrl: { rates: 5 }\n", "c.yaml:1:8: unknown key 'rates' in rrl; did you mean 'rate'?" },
	/* a PoP name in a rule or the fallback list */
	{ "geoip:\n  databases: [db.mmdb]\npops:\n  fra: { location: [50.1, 8.7], ipv4: 192.0.2.1 }\n"
	  "  iad: { location: [38.9, -77.4], ipv4: 192.0.2.2 }\n"
	  "policy:\n  rules:\n    - { match: { country: DE }, pops: [fr, iad] }\n",
	  "c.yaml:8:40: pops: unknown PoP 'fr'; did you mean 'fra'?" },
	{ "geoip:\n  databases: [db.mmdb]\npops:\n  fra: { location: [50.1, 8.7], ipv4: 192.0.2.1 }\n"
	  "  iad: { location: [38.9, -77.4], ipv4: 192.0.2.2 }\n"
	  "policy:\n  fallback: [iad, ida, xyz]\n",
	  "c.yaml:7:19: fallback: unknown PoP 'ida'; did you mean 'iad'?" },
};

START_TEST(unknown_keys)
{
	const struct err_case *c = &unknown_cases[_i];
	const char *got = cfg_fail(c->yaml);
	ck_assert_msg(strcmp(got, c->msg) == 0, "case %d:\n%s\nwant: %s\ngot:  %s", _i, c->yaml,
	              c->msg, got);
}
END_TEST

/* ---------------- reserved PoP names ---------------- */

START_TEST(reserved_pop_names)
{
	static const char *const names[] = { "geodns", "anycast", "ab", "all", "none", "self",
	                                     "default", "auto", "Anycast", "SELF" };
	char yaml[256], want[512];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(yaml, sizeof(yaml),
		         "geoip:\n  databases: [db.mmdb]\npops:\n  fra: { location: [1, 2], ipv4: 192.0.2.1 }\n"
		         "  %s: { location: [3, 4], ipv4: 192.0.2.2 }\n", names[i]);
		snprintf(want, sizeof(want),
		         "c.yaml:5:3: PoP name '%s' is reserved (it reads as a steering method or "
		         "keyword: geodns, anycast, ab, all, none, self, default, auto)", names[i]);
		ck_assert_str_eq(cfg_fail(yaml), want);
	}
	/* Names that only contain one are fine. */
	struct config *cfg = cfg_ok("geoip:\n  databases: [db.mmdb]\npops:\n"
	                            "  geodns2: { location: [1, 2], ipv4: 192.0.2.1 }\n"
	                            "  selfie: { location: [3, 4], ipv4: 192.0.2.2 }\n");
	config_free(cfg);
}
END_TEST

/* ---------------- the engine on a table of its own ---------------- */

/* twice: 2 x n of the same mapping (a computed default). */
static bool def_twice(const struct ydoc_penv *e, char *buf, size_t len)
{
	snprintf(buf, len, "%g", 2 * ydoc_penv_number(e, 0, "n", 0));
	return true;
}

static const struct ydoc_key inner_keys[] = {
	{ .key = "n", .kind = YK_UINT, .lo = 1, .hi = 9, .def = "3", .doc = "a number" },
	{ .key = "s", .kind = YK_STR, .doc = "a string | no default" },
	{ .key = "twice", .kind = YK_UINT, .lo = 0, .hi = 18, .def = "2 x n",
	  .defprint = def_twice, .doc = "twice n" },
};
static const struct ydoc_table inner = YDOC_TABLE("inner", inner_keys);

static const struct ydoc_key top_keys[] = {
	{ .key = "a", .kind = YK_MAP, .sub = &inner, .flags = YF_IMPLIED, .doc = "implied" },
	{ .key = "b", .kind = YK_MAP, .sub = &inner, .doc = "optional" },
	{ .key = "list", .kind = YK_SEQ, .flags = YF_ENTRIES, .sub = &inner, .def = "[]",
	  .doc = "entries" },
	{ .key = "named", .kind = YK_MAP, .flags = YF_NAMED, .sub = &inner, .doc = "by name" },
	{ .key = "path", .kind = YK_STR, .flags = YF_PATH, .doc = "a file" },
	{ .key = "q", .kind = YK_STR, .def = "x: y", .doc = "needs quotes" },
	{ .key = "t", .kind = YK_SECONDS, .lo = 100, .hi = 3600000, .def = "0.5", .doc = "time" },
};

START_TEST(engine_print)
{
	put("c.yaml", "named: { k1: { n: 1 } }\nb: { s: \"hi there\", n: 5 }\n"
	              "list: [ { s: 'a#b' }, {} ]\npath: rel/file\nt: 2\n");
	struct conf_schema s = { top_keys, sizeof(top_keys) / sizeof(top_keys[0]) };
	char *out = NULL, cwd[PATH_MAX], want[2 * PATH_MAX + 512], e[256];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	ck_assert_int_eq(conf_print(&s, "c.yaml", NULL, f, e, sizeof(e)), 0);
	fclose(f);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want),
	         "# steerdns checkconf --print: the effective configuration, every default filled in\n"
	         "a:\n  n: 3\n  twice: 6\n"
	         "b:\n  n: 5\n  s: \"hi there\"\n  twice: 10\n"
	         "list:\n  - n: 3\n    s: \"a#b\"\n    twice: 6\n  - n: 3\n    twice: 6\n"
	         "named:\n  k1:\n    n: 1\n    twice: 2\n"
	         "path: %s/rel/file\n"
	         "q: \"x: y\"\n"
	         "t: 2\n", cwd);
	ck_assert_str_eq(out, want);
	free(out);
}
END_TEST

START_TEST(engine_markdown)
{
	struct conf_schema s = { top_keys, 2 };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	conf_markdown(&s, f);
	fclose(f);
	ck_assert_str_eq(out,
	                 "| key | type | default | range | description |\n"
	                 "|---|---|---|---|---|\n"
	                 "| `a` | mapping | its keys' defaults |  | implied |\n"
	                 "| `a.n` | integer | `3` | 1..9 | a number |\n"
	                 "| `a.s` | string | none |  | a string \\| no default |\n"
	                 "| `a.twice` | integer | 2 x n | 0..18 | twice n |\n"
	                 "\n"
	                 "| key | type | default | range | description |\n"
	                 "|---|---|---|---|---|\n"
	                 "| `b` | mapping | none |  | optional |\n"
	                 "| `b.n` | integer | `3` | 1..9 | a number |\n"
	                 "| `b.s` | string | none |  | a string \\| no default |\n"
	                 "| `b.twice` | integer | 2 x n | 0..18 | twice n |\n");
	free(out);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("conf_schema");
	TCase *tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, distances);
	tcase_add_loop_test(tc, unknown_keys, 0,
	                    (int)(sizeof(unknown_cases) / sizeof(unknown_cases[0])));
	tcase_add_test(tc, reserved_pop_names);
	tcase_add_test(tc, engine_print);
	tcase_add_test(tc, engine_markdown);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
