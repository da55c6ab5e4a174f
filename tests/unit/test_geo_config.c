/*
 * test_geo_config.c: the GeoDNS sections of the main config (geoip, pops,
 * policy, ecs) and zones' `steer:` key, through config_load(): the exact
 * "file:line:col: message" of each mistake, and the parsed values of what
 * loads. Each test runs in a fresh temporary directory holding symlinks
 * db.mmdb and asn.mmdb to MaxMind's test databases, so the YAML below can
 * name them with fixed columns.
 */
#include <arpa/inet.h>
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/dname.h"
#include "common/zone.h"
#include "common/zone_yaml.h"
#include "geodns/geo_config.h"
#include "geodns/geo_config_yaml.h"
#include "tests/unit/config_test_util.h"
#include "tests/unit/geo_test_util.h"

static void setup(void)
{
	char db[PATH_MAX], asn[PATH_MAX];
	/* resolve before leaving the working directory: mmdb_dir() may be relative */
	ck_assert_msg(realpath(tpath(mmdb_dir(), "GeoIP2-City-Test.mmdb"), db) != NULL,
	              "test DB not found under %s", mmdb_dir());
	ck_assert_ptr_nonnull(realpath(tpath(mmdb_dir(), "GeoLite2-ASN-Test.mmdb"), asn));
	cfg_tmp_enter("geocfg");
	ck_assert_int_eq(symlink(db, "db.mmdb"), 0);
	ck_assert_int_eq(symlink(asn, "asn.mmdb"), 0);
	mkdir("sub", 0700);
	ck_assert_int_eq(symlink(db, "sub/city.mmdb"), 0);
}

static void teardown(void)
{
	cfg_tmp_leave();
}

/* Lines 1..5: a minimal valid GeoDNS config; tests append from line 6. */
#define GHEAD                                                                         \
	"geoip:\n"                                                                    \
	"  databases: [db.mmdb]\n"                                                    \
	"pops:\n"                                                                     \
	"  fra: { location: [50.11, 8.68], ipv4: 192.0.2.10 }\n"                      \
	"  iad: { location: [38.95, -77.45], ipv4: 192.0.2.20, ipv6: \"2001:db8::20\" }\n"

/* Lines 1..3 of a config whose PoP (line 4 on) is the test's. */
#define GPOPS "geoip:\n  databases: [db.mmdb]\npops:\n"

/* Fails loading GHEAD + zones: [z.yaml] with this zone text. */
static const char *steer_fail(const char *zone)
{
	put("z.yaml", zone);
	return cfg_fail(GHEAD "zones: [z.yaml]\n");
}

/* ---------------- errors: section structure ---------------- */

START_TEST(err_sections_pairing)
{
	ck_assert_str_eq(cfg_fail("pops:\n  fra: { location: [1, 2], ipv4: 192.0.2.1 }\n"),
	                 "c.yaml:2:3: pops: requires a geoip section");
	ck_assert_str_eq(cfg_fail("geoip:\n  databases: [db.mmdb]\n"),
	                 "c.yaml:2:3: geoip: requires a pops section");
	ck_assert_str_eq(cfg_fail("ecs: { trust: all }\n"), "c.yaml:1:6: ecs: requires a geoip section");
	ck_assert_str_eq(cfg_fail("geoip: [db.mmdb]\n"), "c.yaml:1:8: geoip: expected a mapping");
}
END_TEST

START_TEST(err_databases)
{
	ck_assert_str_eq(cfg_fail("geoip:\n  databases: []\npops: {}\n"),
	                 "c.yaml:2:14: databases: empty list");
	ck_assert_str_eq(cfg_fail("geoip:\n  databases: [db.mmdb, nope.mmdb]\npops: {}\n"),
	                 "c.yaml:2:24: cannot open nope.mmdb: No such file or directory");
	ck_assert_str_eq(cfg_fail("geoip:\n  schema: flat\npops: {}\n"),
	                 "c.yaml:2:3: missing required key 'databases' in geoip");
	ck_assert_str_eq(cfg_fail("geoip:\n  databases: db.mmdb\n  asn_database: sub\npops: {}\n"),
	                 "c.yaml:3:17: cannot open sub: Is a directory");
	ck_assert_str_eq(cfg_fail("geoip:\n  databases: [db.mmdb, ./db.mmdb]\npops: {}\n"),
	                 "c.yaml:2:24: databases: duplicate './db.mmdb'");
	ck_assert_str_eq(cfg_fail("geoip:\n  databases: [db.mmdb]\n  db: x\npops: {}\n"),
	                 "c.yaml:3:3: unknown key 'db' in geoip");
}
END_TEST

START_TEST(err_schema)
{
	ck_assert_str_eq(cfg_fail("geoip:\n  databases: [db.mmdb]\n  schema: dbip\npops: {}\n"),
	                 "c.yaml:3:11: schema: unknown preset 'dbip' (expected maxmind, flat or a "
	                 "mapping of field paths)");
	/* asn is a preset for asn_database only */
	ck_assert_str_eq(cfg_fail("geoip:\n  databases: [db.mmdb]\n  schema: asn\npops: {}\n"),
	                 "c.yaml:3:11: schema: unknown preset 'asn' (expected maxmind, flat or a "
	                 "mapping of field paths)");
	ck_assert_str_eq(cfg_fail("geoip:\n  databases: [db.mmdb]\n  schema: { latitude: lat }\n"
	                          "pops: {}\n"),
	                 "c.yaml:3:11: schema: latitude and longitude must be given together");
	ck_assert_str_eq(cfg_fail("geoip:\n  databases: [db.mmdb]\n  schema: { country: a//b }\n"
	                          "pops: {}\n"),
	                 "c.yaml:3:22: country: bad field path 'a//b' (expected keys and array "
	                 "indexes separated by '/', e.g. location/latitude)");
	ck_assert_str_eq(cfg_fail("geoip:\n  databases: [db.mmdb]\n  schema: { city: x }\npops: {}\n"),
	                 "c.yaml:3:13: unknown key 'city' in schema");
}
END_TEST

/* ---------------- errors: pops ---------------- */

START_TEST(err_pop_location)
{
	ck_assert_str_eq(cfg_fail(GPOPS "  fra: { location: [95, 8.68], ipv4: 192.0.2.10 }\n"),
	                 "c.yaml:4:21: location: latitude 95 out of range -90..90");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra: { location: [50, -180.5], ipv4: 192.0.2.10 }\n"),
	                 "c.yaml:4:25: location: longitude -180.5 out of range -180..180");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra: { location: [50, 0x10], ipv4: 192.0.2.10 }\n"),
	                 "c.yaml:4:25: location: expected a number, got '0x10'");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra: { location: [50], ipv4: 192.0.2.10 }\n"),
	                 "c.yaml:4:20: location: expected [latitude, longitude]");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    ipv4: 192.0.2.10\n"),
	                 "c.yaml:5:5: missing required key 'location' in pop 'fra'");
}
END_TEST

START_TEST(err_pop_addresses)
{
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n"),
	                 "c.yaml:5:5: pop 'fra': needs an ipv4 or ipv6 address");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra: { location: [1, 2], ipv4: [192.0.2.1, 192.0.2.300] }\n"),
	                 "c.yaml:4:46: ipv4: bad IPv4 address '192.0.2.300'");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra: { location: [1, 2], ipv4: [192.0.2.1, 192.0.2.1] }\n"),
	                 "c.yaml:4:46: ipv4: duplicate address 192.0.2.1");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra: { location: [1, 2], ipv6: \"::ffff:192.0.2.1\" }\n"),
	                 "c.yaml:4:34: ipv6: '::ffff:192.0.2.1' is an IPv4-mapped address; list it "
	                 "under ipv4");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra: { location: [1, 2], ipv6: 192.0.2.1 }\n"),
	                 "c.yaml:4:34: ipv6: bad IPv6 address '192.0.2.1'");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra: { location: [1, 2], ipv4: [] }\n"),
	                 "c.yaml:4:34: ipv4: empty list");
}
END_TEST

/* identity: optional; defaults to the PoP name; a string without spaces. */
START_TEST(pop_identity)
{
	struct config *cfg = cfg_ok(GPOPS "  fra: { location: [1, 2], ipv4: 192.0.2.1, identity: fra1 }\n"
	                                  "  iad: { location: [3, 4], ipv4: 192.0.2.2 }\n");
	ck_assert_str_eq(cfg->geo->pops[0].identity, "fra1");
	ck_assert_str_eq(cfg->geo->pops[1].identity, "iad");
	config_free(cfg);
	ck_assert_str_eq(cfg_fail(GPOPS "  fra: { location: [1, 2], ipv4: 192.0.2.1, identity: \"a b\" }\n"),
	                 "c.yaml:4:55: identity: 'a b' has a space or non-printable character");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra: { location: [1, 2], ipv4: 192.0.2.1, identity: \"\" }\n"),
	                 "c.yaml:4:55: identity: expected 1 to 255 characters");
}
END_TEST

START_TEST(err_pop_names)
{
	ck_assert_str_eq(cfg_fail(GPOPS "  \"fr a\": { location: [1, 2], ipv4: 192.0.2.1 }\n"),
	                 "c.yaml:4:3: bad PoP name 'fr a' (letters, digits, '-' and '_', at most 63)");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra: { location: [1, 2], ipv4: 192.0.2.1, weight: 3 }\n"),
	                 "c.yaml:4:45: unknown key 'weight' in pop 'fra'");
	ck_assert_str_eq(cfg_fail("geoip:\n  databases: [db.mmdb]\npops: {}\n"),
	                 "c.yaml:3:7: pops: no PoPs defined");
}
END_TEST

/* ---------------- errors: checks ---------------- */

START_TEST(err_check_timeout)
{
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n    ipv4: 192.0.2.1\n"
	                                "    check: { type: tcp, port: 80, interval: 2, timeout: 2 }\n"),
	                 "c.yaml:7:57: timeout: 2 s must be shorter than the interval (2 s)");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n    ipv4: 192.0.2.1\n"
	                                "    check: { type: tcp, port: 80, interval: 0.05 }\n"),
	                 "c.yaml:7:45: interval: 0.05 out of range 0.1..3600 seconds");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n    ipv4: 192.0.2.1\n"
	                                "    check: { type: tcp, port: 80, rise: 0 }\n"),
	                 "c.yaml:7:41: rise: 0 out of range 1..100");
}
END_TEST

START_TEST(err_check_http_status)
{
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n    ipv4: 192.0.2.1\n"
	                                "    check: { type: http, status: [200, 600] }\n"),
	                 "c.yaml:7:40: status: 600 out of range 100..599");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n    ipv4: 192.0.2.1\n"
	                                "    check: { type: http, path: health }\n"),
	                 "c.yaml:7:32: path: must start with '/' and contain no spaces or control "
	                 "characters");
}
END_TEST

START_TEST(err_check_types)
{
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n    ipv4: 192.0.2.1\n"
	                                "    check: { type: tcp }\n"),
	                 "c.yaml:7:12: missing required key 'port' in tcp check");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n    ipv4: 192.0.2.1\n"
	                                "    check: { type: tcp, port: 443, path: / }\n"),
	                 "c.yaml:7:36: unknown key 'path' in tcp check");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n    ipv4: 192.0.2.1\n"
	                                "    check: { type: icmp }\n"),
	                 "c.yaml:7:20: type: unknown check type 'icmp' (expected tcp, http, dns or file)");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n    ipv4: 192.0.2.1\n"
	                                "    check: { port: 80 }\n"),
	                 "c.yaml:7:12: missing required key 'type' in check");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n    ipv4: 192.0.2.1\n"
	                                "    check: { type: dns, qname: www.example.com, qtype: AXFR }\n"),
	                 "c.yaml:7:56: qtype: unknown record type 'AXFR'");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n    ipv4: 192.0.2.1\n"
	                                "    check: { type: http, address: localhost }\n"),
	                 "c.yaml:7:35: address: bad IP address 'localhost'");
	ck_assert_str_eq(cfg_fail(GPOPS "  fra:\n    location: [1, 2]\n    ipv4: 192.0.2.1\n"
	                                "    check: { type: file }\n"),
	                 "c.yaml:7:12: missing required key 'file' in file check");
}
END_TEST

/* ---------------- errors: policy ---------------- */

START_TEST(err_rule_pops)
{
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { continent: EU }\n"
	                                "      pops: [fra, ams]\n"),
	                 "c.yaml:9:19: pops: unknown PoP 'ams'");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { continent: EU }\n"
	                                "      pops: [fra, iad, fra]\n"),
	                 "c.yaml:9:24: pops: duplicate PoP 'fra'");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { continent: EU }\n"),
	                 "c.yaml:8:7: missing required key 'pops' in rule");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  fallback: [iad, nyc]\n"),
	                 "c.yaml:7:19: fallback: unknown PoP 'nyc'");
}
END_TEST

START_TEST(err_match_kinds)
{
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n"
	                                "    - match: { continent: EU, country: DE }\n"
	                                "      pops: [fra]\n"),
	                 "c.yaml:8:31: match: only one of continent, country, subdivision, asn or "
	                 "cidr per rule");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: {}\n      pops: [fra]\n"),
	                 "c.yaml:8:14: match: needs one of continent, country, subdivision, asn or cidr");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { city: Berlin }\n"
	                                "      pops: [fra]\n"),
	                 "c.yaml:8:16: unknown key 'city' in match");
}
END_TEST

START_TEST(err_match_values)
{
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { continent: [EU, EA] }\n"
	                                "      pops: [fra]\n"),
	                 "c.yaml:8:32: continent: unknown continent code 'EA' (expected AF, AN, AS, "
	                 "EU, NA, OC or SA)");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { country: USA }\n"
	                                "      pops: [fra]\n"),
	                 "c.yaml:8:25: country: bad country code 'USA' (expected ISO 3166-1 alpha-2, "
	                 "e.g. DE)");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { country: uk }\n"
	                                "      pops: [fra]\n"),
	                 "c.yaml:8:25: country: unknown country code 'uk'");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { subdivision: CA }\n"
	                                "      pops: [fra]\n"),
	                 "c.yaml:8:29: subdivision: bad subdivision code 'CA' (expected CC-SUB, e.g. "
	                 "US-CA)");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { asn: [64500, 0] }\n"
	                                "      pops: [fra]\n"),
	                 "c.yaml:8:29: asn: 0 out of range 1..4294967295");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { country: [DE, de] }\n"
	                                "      pops: [fra]\n"),
	                 "c.yaml:8:30: country: duplicate 'DE'");
}
END_TEST

START_TEST(err_cidr)
{
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { cidr: 10.0.0.0/33 }\n"
	                                "      pops: [fra]\n"),
	                 "c.yaml:8:22: cidr: prefix length too long in '10.0.0.0/33'");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { cidr: [\"2001:db8::/129\"] }\n"
	                                "      pops: [fra]\n"),
	                 "c.yaml:8:23: cidr: prefix length too long in '2001:db8::/129'");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { cidr: 10.0.0/8 }\n"
	                                "      pops: [fra]\n"),
	                 "c.yaml:8:22: cidr: bad network '10.0.0/8' (expected address/length)");
	ck_assert_str_eq(cfg_fail(GHEAD "policy:\n  rules:\n    - match: { cidr: 10.0.0.0/-1 }\n"
	                                "      pops: [fra]\n"),
	                 "c.yaml:8:22: cidr: bad network '10.0.0.0/-1' (expected address/length)");
}
END_TEST

/* ---------------- errors: ecs ---------------- */

START_TEST(err_ecs)
{
	ck_assert_str_eq(cfg_fail(GHEAD "ecs:\n  scope: { ipv4: { min: 24, max: 16 } }\n"),
	                 "c.yaml:7:18: ipv4: min 24 is greater than max 16");
	ck_assert_str_eq(cfg_fail(GHEAD "ecs:\n  scope: { ipv4: { max: 33 } }\n"),
	                 "c.yaml:7:25: max: 33 out of range 0..32");
	ck_assert_str_eq(cfg_fail(GHEAD "ecs:\n  trust: none\n"),
	                 "c.yaml:7:10: trust: expected 'all' or a list of resolver networks");
	ck_assert_str_eq(cfg_fail(GHEAD "ecs:\n  trust: [192.0.2.0/24, \"2001:db8::/200\"]\n"),
	                 "c.yaml:7:25: trust: prefix length too long in '2001:db8::/200'");
}
END_TEST

/* ---------------- errors: steer in zones ---------------- */

START_TEST(err_steer_without_geoip)
{
	put("z.yaml", STEER_ZREC "  www: { steer: { ttl: 30 } }\n");
	ck_assert_str_eq(cfg_fail("zones: [z.yaml]\n"),
	                 "z.yaml:12:10: steer: requires geoip and pops in the main config");
	/* Loaded on its own, a zone never allows steering. */
	struct zone *z = NULL;
	ck_assert_int_eq(zone_yaml_load("z.yaml", &z, err), -1);
	ck_assert_str_eq(err, "z.yaml:12:10: steer: requires geoip and pops in the main config");
}
END_TEST

START_TEST(err_steer_with_address)
{
	/* steer is attached first, so the record is at fault, wherever it is */
	ck_assert_str_eq(steer_fail(STEER_ZREC "  www: { A: 192.0.2.1, steer: {} }\n"),
	                 "z.yaml:12:13: A at a steered name");
	ck_assert_str_eq(steer_fail(STEER_ZREC "  www: { steer: {}, AAAA: \"::1\" }\n"),
	                 "z.yaml:12:27: AAAA at a steered name");
	ck_assert_str_eq(steer_fail(STEER_ZREC "  www: { steer: {}, CNAME: x }\n"),
	                 "z.yaml:12:28: CNAME at a steered name");
	/* the address came first under another spelling of the owner */
	ck_assert_str_eq(steer_fail(STEER_ZREC "  WWW: { A: 192.0.2.1 }\n"
	                            "  www.geo.test.: { steer: {} }\n"),
	                 "z.yaml:13:20: a steered name cannot also have A, AAAA or CNAME records");
}
END_TEST

START_TEST(err_steer_values)
{
	ck_assert_str_eq(steer_fail(STEER_ZREC "  www: { steer: { answers: 17 } }\n"),
	                 "z.yaml:12:28: answers: 17 out of range 1..16");
	ck_assert_str_eq(steer_fail(STEER_ZREC "  www: { steer: { answers: 0 } }\n"),
	                 "z.yaml:12:28: answers: 0 out of range 1..16");
	ck_assert_str_eq(steer_fail(STEER_ZREC "  www: { steer: { mode: nearest } }\n"),
	                 "z.yaml:12:25: mode: unknown steer mode 'nearest' (expected geodns, anycast "
	                 "or ab)");
	ck_assert_str_eq(steer_fail(STEER_ZREC "  www: { steer: { weight: 1 } }\n"),
	                 "z.yaml:12:19: unknown key 'weight' in steer");
	ck_assert_str_eq(steer_fail(STEER_ZREC "  www: { steer: 30 }\n"),
	                 "z.yaml:12:17: steer: expected a mapping");
}
END_TEST

/* ---------------- positive ---------------- */

START_TEST(ok_no_geo)
{
	struct config *cfg = cfg_ok("server: { workers: 1 }\n");
	ck_assert_ptr_null(cfg->geo);
	ck_assert_ptr_null(cfg->geo_compiled);
	config_free(cfg);
}
END_TEST

START_TEST(ok_defaults)
{
	struct config *cfg = cfg_ok(GHEAD);
	const struct geo_config *g = cfg->geo;
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->n_databases, 1);
	ck_assert_str_eq(g->databases[0], "db.mmdb");
	ck_assert_ptr_null(g->asn_database);
	/* schema: maxmind */
	ck_assert_str_eq(g->schema.latitude, "location/latitude");
	ck_assert_str_eq(g->schema.country, "country/iso_code");
	ck_assert_str_eq(g->schema.continent, "continent/code");
	ck_assert_str_eq(g->schema.subdivision, "subdivisions/0/iso_code");

	ck_assert_uint_eq(g->n_pops, 2);
	ck_assert_str_eq(g->pops[0].name, "fra");
	ck_assert_str_eq(g->pops[1].name, "iad");
	ck_assert_uint_eq(g->pops[1].index, 1);
	ck_assert_double_eq(g->pops[0].lat, 50.11);
	ck_assert_double_eq(g->pops[1].lon, -77.45);
	ck_assert_uint_eq(g->pops[0].n_v4, 1);
	ck_assert_uint_eq(g->pops[0].n_v6, 0);
	ck_assert_uint_eq(ntohl(g->pops[0].v4[0].s_addr), 0xc000020a);
	ck_assert_uint_eq(g->pops[1].n_v6, 1);
	ck_assert_mem_eq(g->pops[1].v6[0].s6_addr,
	                 "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x20", 16);
	ck_assert_ptr_null(g->pops[0].check);

	ck_assert_uint_eq(g->n_rules, 0);
	ck_assert_uint_eq(g->n_fallback, 2); /* every PoP in config order */
	ck_assert_uint_eq(g->fallback[0], 0);
	ck_assert_uint_eq(g->fallback[1], 1);

	ck_assert(g->ecs_trust_all);
	ck_assert_uint_eq(g->n_ecs_trusted, 0);
	ck_assert_uint_eq(g->scope4.min, 0);
	ck_assert_uint_eq(g->scope4.max, 32);
	ck_assert_uint_eq(g->scope6.min, 0);
	ck_assert_uint_eq(g->scope6.max, 128);
	config_free(cfg);
}
END_TEST

START_TEST(ok_sections_any_order)
{
	/* policy before pops, zones before geoip, databases relative to the
	 * config file's directory */
	put("z.yaml", STEER_ZREC "  www: { steer: {} }\n");
	put("sub/c.yaml", "policy: { fallback: [b] }\n"
	                  "zones: [../z.yaml]\n"
	                  "pops:\n  a: { location: [0, 0], ipv4: 192.0.2.1 }\n"
	                  "  b: { location: [1, 1], ipv6: \"2001:db8::1\" }\n"
	                  "geoip: { databases: city.mmdb, schema: maxmind, asn_database: ../asn.mmdb }\n");
	struct config *cfg = NULL;
	int rc = config_load("sub/c.yaml", &cfg, err);
	ck_assert_msg(rc == 0, "%s", err);
	const struct geo_config *g = cfg->geo;
	ck_assert_str_eq(g->databases[0], "sub/city.mmdb");
	ck_assert_str_eq(g->asn_database, "sub/../asn.mmdb");
	ck_assert_str_eq(g->schema.latitude, "location/latitude");
	ck_assert_str_eq(g->schema.country, "country/iso_code");
	ck_assert_str_eq(g->schema.continent, "continent/code");
	ck_assert_uint_eq(g->n_fallback, 1);
	ck_assert_uint_eq(g->fallback[0], 1);
	ck_assert_uint_eq(cfg->zones.count, 1);
	config_free(cfg);
}
END_TEST

START_TEST(ok_schema_mapping)
{
	/* Loading compiles the DB, so the paths must find a location in it. */
	struct config *cfg = cfg_ok("geoip:\n  databases: [db.mmdb]\n"
	                            "  schema: { country: country/iso_code, subdivision: subs/0/code }\n"
	                            "pops:\n  fra: { location: [50.11, 8.68], ipv4: 192.0.2.10 }\n");
	const struct geo_config *g = cfg->geo;
	ck_assert_uint_eq(g->n_databases, 1);
	ck_assert_str_eq(g->databases[0], "db.mmdb");
	ck_assert_ptr_null(g->schema.latitude);
	ck_assert_ptr_null(g->schema.longitude);
	ck_assert_ptr_null(g->schema.continent);
	ck_assert_str_eq(g->schema.country, "country/iso_code");
	ck_assert_str_eq(g->schema.subdivision, "subs/0/code");
	config_free(cfg);
}
END_TEST

START_TEST(ok_checks)
{
	struct config *cfg = cfg_ok(
		GPOPS
		"  a:\n    location: [1, 2]\n    ipv4: [192.0.2.1, 192.0.2.2]\n"
		"    check: { type: http, host: www.example.com, status: [200, 204], interval: 0.5,"
		" timeout: 0.25, rise: 1, fall: 100 }\n"
		"  b:\n    location: [1, 2]\n    ipv6: \"2001:db8::2\"\n"
		"    check: { type: tcp, port: 443, interval: 1 }\n"
		"  c:\n    location: [1, 2]\n    ipv4: 192.0.2.3\n"
		"    check: { type: dns, qname: check.example., address: \"2001:db8::53\", qtype: aaaa }\n"
		"  d:\n    location: [1, 2]\n    ipv4: 192.0.2.4\n"
		"    check: { type: file, file: d.state }\n");
	const struct geo_config *g = cfg->geo;
	ck_assert_uint_eq(g->n_pops, 4);

	const struct check_conf *a = g->pops[0].check;
	ck_assert_int_eq(a->type, CHECK_HTTP);
	ck_assert_uint_eq(a->interval_ms, 500);
	ck_assert_uint_eq(a->timeout_ms, 250);
	ck_assert_uint_eq(a->rise, 1);
	ck_assert_uint_eq(a->fall, 100);
	ck_assert_str_eq(a->path, "/");
	ck_assert_str_eq(a->host, "www.example.com");
	ck_assert_uint_eq(a->n_status, 2);
	ck_assert_uint_eq(a->status[1], 204);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->addr;
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(sin->sin_port), 80);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0xc0000201); /* first ipv4 */
	ck_assert_uint_eq(a->addrlen, sizeof(struct sockaddr_in));

	const struct check_conf *b = g->pops[1].check;
	ck_assert_int_eq(b->type, CHECK_TCP);
	ck_assert_uint_eq(b->interval_ms, 1000);
	ck_assert_uint_eq(b->timeout_ms, 500); /* half a short interval */
	ck_assert_uint_eq(b->rise, 2);
	ck_assert_uint_eq(b->fall, 3);
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&b->addr;
	ck_assert_int_eq(s6->sin6_family, AF_INET6); /* no ipv4: the first ipv6 */
	ck_assert_uint_eq(ntohs(s6->sin6_port), 443);
	ck_assert_uint_eq(s6->sin6_addr.s6_addr[15], 2);

	const struct check_conf *c = g->pops[2].check;
	ck_assert_int_eq(c->type, CHECK_DNS);
	ck_assert_uint_eq(c->interval_ms, 5000);
	ck_assert_uint_eq(c->timeout_ms, 2000);
	ck_assert_str_eq(c->qname, "check.example.");
	ck_assert_uint_eq(c->qtype, RRT_AAAA);
	s6 = (const struct sockaddr_in6 *)&c->addr;
	ck_assert_int_eq(s6->sin6_family, AF_INET6); /* explicit address */
	ck_assert_uint_eq(ntohs(s6->sin6_port), 53);
	ck_assert_uint_eq(s6->sin6_addr.s6_addr[15], 0x53);

	const struct check_conf *d = g->pops[3].check;
	ck_assert_int_eq(d->type, CHECK_FILE);
	ck_assert_str_eq(d->file, "d.state");
	config_free(cfg);
}
END_TEST

START_TEST(ok_policy)
{
	struct config *cfg = cfg_ok(GHEAD "policy:\n  rules:\n"
	                                  "    - match: { continent: [eu, AF] }\n      pops: [fra, iad]\n"
	                                  "    - match: { country: us }\n      pops: iad\n"
	                                  "    - match: { subdivision: [us-ca, GB-ENG] }\n      pops: [iad]\n"
	                                  "    - match: { asn: [64500, 4200000000] }\n      pops: [fra]\n"
	                                  "    - match: { cidr: [192.0.2.77/24, \"2001:db8:ff::1/33\", 10.1.2.3] }\n"
	                                  "      pops: [iad, fra]\n"
	                                  "  fallback: [iad]\n");
	const struct geo_config *g = cfg->geo;
	ck_assert_uint_eq(g->n_rules, 5);
	const struct geo_rule *r = g->rules;
	ck_assert_int_eq(r[0].kind, GM_CONTINENT);
	ck_assert_uint_eq(r[0].n_values, 2);
	ck_assert_str_eq(r[0].codes[0], "EU");
	ck_assert_str_eq(r[0].codes[1], "AF");
	ck_assert_uint_eq(r[0].n_pops, 2);
	ck_assert_uint_eq(r[0].pops[0], 0);
	ck_assert_uint_eq(r[0].pops[1], 1);
	ck_assert_uint_eq(r[0].line, 8);

	ck_assert_int_eq(r[1].kind, GM_COUNTRY);
	ck_assert_str_eq(r[1].codes[0], "US");
	ck_assert_uint_eq(r[1].n_pops, 1);
	ck_assert_uint_eq(r[1].pops[0], 1);

	ck_assert_int_eq(r[2].kind, GM_SUBDIVISION);
	ck_assert_str_eq(r[2].codes[0], "US-CA");
	ck_assert_str_eq(r[2].codes[1], "GB-ENG");

	ck_assert_int_eq(r[3].kind, GM_ASN);
	ck_assert_uint_eq(r[3].asns[0], 64500);
	ck_assert_uint_eq(r[3].asns[1], 4200000000u);

	ck_assert_int_eq(r[4].kind, GM_CIDR);
	ck_assert_uint_eq(r[4].n_values, 3);
	/* 192.0.2.77/24: host bits cleared, IPv4-mapped, length + 96 */
	ck_assert_mem_eq(r[4].cidrs[0].addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x00", 16);
	ck_assert_uint_eq(r[4].cidrs[0].len, 120);
	/* 2001:db8:ff::1/33: 0x00ff of the third group keeps only its top bit (0) */
	ck_assert_mem_eq(r[4].cidrs[1].addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	ck_assert_uint_eq(r[4].cidrs[1].len, 33);
	/* a bare address is a host route */
	ck_assert_mem_eq(r[4].cidrs[2].addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\x01\x02\x03", 16);
	ck_assert_uint_eq(r[4].cidrs[2].len, 128);

	ck_assert_uint_eq(g->n_fallback, 1);
	ck_assert_uint_eq(g->fallback[0], 1);
	config_free(cfg);
}
END_TEST

START_TEST(ok_ecs)
{
	struct config *cfg = cfg_ok(GHEAD "ecs:\n  trust: [198.51.100.0/24, \"2001:db8:53::/48\"]\n"
	                                  "  scope: { ipv4: {min: 8, max: 24}, ipv6: {max: 56} }\n");
	const struct geo_config *g = cfg->geo;
	ck_assert(!g->ecs_trust_all);
	ck_assert_uint_eq(g->n_ecs_trusted, 2);
	ck_assert_uint_eq(g->ecs_trusted[0].len, 120);
	ck_assert_uint_eq(g->ecs_trusted[0].addr[12], 198);
	ck_assert_uint_eq(g->ecs_trusted[1].len, 48);
	ck_assert_uint_eq(g->scope4.min, 8);
	ck_assert_uint_eq(g->scope4.max, 24);
	ck_assert_uint_eq(g->scope6.min, 0);
	ck_assert_uint_eq(g->scope6.max, 56);
	config_free(cfg);

	/* an empty list trusts nobody */
	cfg = cfg_ok(GHEAD "ecs: { trust: [] }\n");
	ck_assert(!cfg->geo->ecs_trust_all);
	ck_assert_uint_eq(cfg->geo->n_ecs_trusted, 0);
	config_free(cfg);
}
END_TEST

START_TEST(ok_steer)
{
	put("z.yaml", STEER_ZREC "  www: { steer: { ttl: 20, answers: 2, mode: anycast }, TXT: hi }\n"
	                   "  api: { steer: {} }\n"
	                   "  \"*.w\": { steer: { mode: geodns } }\n"
	                   "  static: { A: 192.0.2.1 }\n");
	/* mode anycast needs an anycast address (test_anycast_config.c has
	 * the errors, and those of mode ab) */
	struct config *cfg = cfg_ok(GHEAD "anycast: { ipv4: 198.51.100.1 }\nzones: [z.yaml]\n");
	const struct zone *z = cfg->zones.zones[0];
	const struct znode *www = zone_find(z, N("www.geo.test."));
	ck_assert_ptr_nonnull(www);
	const struct steer_rec *s = www->steer;
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->ttl, 20);
	ck_assert_uint_eq(s->answers, 2);
	ck_assert_int_eq(s->mode, STEER_MODE_ANYCAST);
	ck_assert_ptr_nonnull(znode_rrset(www, RRT_TXT));

	s = zone_find(z, N("api.geo.test."))->steer;
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->ttl, 30);
	ck_assert_uint_eq(s->answers, 1);
	ck_assert_int_eq(s->mode, STEER_MODE_DEFAULT);

	s = zone_find(z, N("*.w.geo.test."))->steer;
	ck_assert_int_eq(s->mode, STEER_MODE_GEODNS);
	ck_assert_ptr_null(zone_find(z, N("static.geo.test."))->steer);
	config_free(cfg);
}
END_TEST

START_TEST(ok_cidr_parse)
{
	struct geo_cidr c;
	ck_assert_int_eq(geo_cidr_parse("10.255.255.255/9", &c), 0);
	ck_assert_uint_eq(c.len, 105);
	ck_assert_mem_eq(c.addr + 10, "\xff\xff\x0a\x80\x00\x00", 6);
	ck_assert_int_eq(geo_cidr_parse("0.0.0.0/0", &c), 0);
	ck_assert_uint_eq(c.len, 96);
	ck_assert_int_eq(geo_cidr_parse("::/0", &c), 0);
	ck_assert_uint_eq(c.len, 0);
	ck_assert_int_eq(geo_cidr_parse("2001:db8::/32", &c), 0);
	ck_assert_uint_eq(c.len, 32);
	ck_assert_int_eq(geo_cidr_parse("1.2.3.4/33", &c), GEO_CIDR_ELEN);
	ck_assert_int_eq(geo_cidr_parse("1.2.3.4/", &c), GEO_CIDR_ESYNTAX);
	ck_assert_int_eq(geo_cidr_parse("/8", &c), GEO_CIDR_ESYNTAX);
	ck_assert_int_eq(geo_cidr_parse("1.2.3.4/+8", &c), GEO_CIDR_ESYNTAX);
	ck_assert_int_eq(geo_cidr_parse("example.com/8", &c), GEO_CIDR_ESYNTAX);
}
END_TEST

/* config/geodns-example.yaml as shipped, with the test DBs for MaxMind's
 * real ones and the zone path made absolute. Runs from the repo root. */
START_TEST(example_config)
{
	char *text = NULL, zones[PATH_MAX + 16], line[1024];
	size_t cap = 0;
	FILE *in = fopen("config/geodns-example.yaml", "r");
	ck_assert_ptr_nonnull(in);
	FILE *out = open_memstream(&text, &cap);
	char cwd[PATH_MAX];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(zones, sizeof(zones), "%s/config/zones/", cwd);
	while (fgets(line, sizeof(line), in)) {
		char *p;
		if ((p = strstr(line, "/var/lib/GeoIP/GeoLite2-City.mmdb")))
			fprintf(out, "%.*sdb.mmdb%s", (int)(p - line), line,
			        p + strlen("/var/lib/GeoIP/GeoLite2-City.mmdb"));
		else if ((p = strstr(line, "/var/lib/GeoIP/GeoLite2-ASN.mmdb")))
			fprintf(out, "%.*sasn.mmdb%s", (int)(p - line), line,
			        p + strlen("/var/lib/GeoIP/GeoLite2-ASN.mmdb"));
		else if ((p = strstr(line, "- zones/")))
			fprintf(out, "%.*s- %s%s", (int)(p - line), line, zones, p + strlen("- zones/"));
		else
			fputs(line, out);
	}
	fclose(in);
	fclose(out);

	setup();
	put("ex.yaml", text);
	free(text);
	struct config *cfg = NULL;
	int rc = config_load("ex.yaml", &cfg, err);
	ck_assert_msg(rc == 0, "%s", err);
	const struct geo_config *g = cfg->geo;
	ck_assert_uint_eq(g->n_pops, 3);
	ck_assert_str_eq(g->pops[2].name, "sin");
	ck_assert_uint_eq(g->pops[0].n_v4, 2);
	ck_assert_int_eq(g->pops[0].check->type, CHECK_HTTP);
	ck_assert_int_eq(g->pops[1].check->type, CHECK_TCP);
	ck_assert_int_eq(g->pops[2].check->type, CHECK_FILE);
	ck_assert_uint_eq(g->n_rules, 3);
	ck_assert_int_eq(g->rules[0].kind, GM_CIDR);
	ck_assert_uint_eq(g->n_fallback, 3);
	ck_assert_uint_eq(g->scope6.max, 56);
	const struct zone *z = cfg->zones.zones[0];
	const struct steer_rec *s = zone_find(z, N("api.geo.example.test."))->steer;
	ck_assert_uint_eq(s->answers, 2);
	ck_assert_ptr_nonnull(zone_find(z, N("www.geo.example.test."))->steer);
	config_free(cfg);
	teardown();
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("geo_config");
	TCase *tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, err_sections_pairing);
	tcase_add_test(tc, err_databases);
	tcase_add_test(tc, err_schema);
	tcase_add_test(tc, err_pop_location);
	tcase_add_test(tc, err_pop_addresses);
	tcase_add_test(tc, err_pop_names);
	tcase_add_test(tc, pop_identity);
	tcase_add_test(tc, err_check_timeout);
	tcase_add_test(tc, err_check_http_status);
	tcase_add_test(tc, err_check_types);
	tcase_add_test(tc, err_rule_pops);
	tcase_add_test(tc, err_match_kinds);
	tcase_add_test(tc, err_match_values);
	tcase_add_test(tc, err_cidr);
	tcase_add_test(tc, err_ecs);
	tcase_add_test(tc, err_steer_without_geoip);
	tcase_add_test(tc, err_steer_with_address);
	tcase_add_test(tc, err_steer_values);
	suite_add_tcase(s, tc);

	TCase *ok = tcase_create("loads");
	tcase_add_checked_fixture(ok, setup, teardown);
	tcase_add_test(ok, ok_no_geo);
	tcase_add_test(ok, ok_defaults);
	tcase_add_test(ok, ok_sections_any_order);
	tcase_add_test(ok, ok_schema_mapping);
	tcase_add_test(ok, ok_checks);
	tcase_add_test(ok, ok_policy);
	tcase_add_test(ok, ok_ecs);
	tcase_add_test(ok, ok_steer);
	tcase_add_test(ok, ok_cidr_parse);
	suite_add_tcase(s, ok);

	TCase *ex = tcase_create("example");
	tcase_add_test(ex, example_config);
	suite_add_tcase(s, ex);
	return s;
}

#include "tests/unit/check_main.h"
