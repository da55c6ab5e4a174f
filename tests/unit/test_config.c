/*
 * test_config.c: config_load() and zone_yaml_load(): the exact message
 * ("file:line:col: text") of every kind of mistake, and the contents of
 * what loads. Fixtures are written into a fresh temporary directory that
 * each test runs in, so the expected line:col sits next to its YAML here.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
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
#include "tests/unit/config_test_util.h"

static void setup(void)
{
	cfg_tmp_enter("cfg");
}

static void teardown(void)
{
	cfg_tmp_leave();
}

/* Load z.yaml with this text; it must fail. */
static const char *zone_fail(const char *text)
{
	struct zone *z = NULL;
	put("z.yaml", text);
	err[0] = 0;
	ck_assert_int_eq(zone_yaml_load("z.yaml", &z, err), -1);
	return err;
}

static struct zone *zone_ok(const char *text)
{
	struct zone *z = NULL;
	put("z.yaml", text);
	err[0] = 0;
	int rc = zone_yaml_load("z.yaml", &z, err);
	ck_assert_msg(rc == 0, "zone_yaml_load failed: %s", err);
	return z;
}

/* A valid zone head: lines 1..9. Records start at line 10. */
#define ZHEAD "origin: example.test.\n" ZSOA
/* ...plus the apex NS, so records added after it make a complete zone. */
#define ZREC ZHEAD "records:\n  \"@\": { NS: ns1 }\n"

/* ---------------- config: errors ---------------- */

START_TEST(cfg_unknown_top_key)
{
	ck_assert_str_eq(cfg_fail("server: {}\nbogus: 1\n"),
	                 "c.yaml:2:1: unknown key 'bogus' in config");
}
END_TEST

START_TEST(cfg_unknown_server_key)
{
	ck_assert_str_eq(cfg_fail("server:\n  workers: 1\n  listen_on: x\n"),
	                 "c.yaml:3:3: unknown key 'listen_on' in server");
}
END_TEST

START_TEST(cfg_wrong_type)
{
	ck_assert_str_eq(cfg_fail("server: [1, 2]\n"), "c.yaml:1:9: server: expected a mapping");
	ck_assert_str_eq(cfg_fail("server:\n  identity: [a]\n"),
	                 "c.yaml:2:13: identity: expected a string");
	ck_assert_str_eq(cfg_fail("zones: z.yaml\n"), "c.yaml:1:8: zones: expected a sequence");
	ck_assert_str_eq(cfg_fail("zones:\n  - {a: 1}\n"),
	                 "c.yaml:2:6: unknown key 'a' in zones entry");
	ck_assert_str_eq(cfg_fail("- a\n- b\n"), "c.yaml:1:1: config: expected a mapping");
}
END_TEST

START_TEST(cfg_out_of_range)
{
	ck_assert_str_eq(cfg_fail("server:\n  edns_payload: 100\n"),
	                 "c.yaml:2:17: edns_payload: 100 out of range 512..4096");
	ck_assert_str_eq(cfg_fail("server:\n  workers: 65\n"),
	                 "c.yaml:2:12: workers: 65 out of range 0..64");
	ck_assert_str_eq(cfg_fail("server:\n  tcp_idle_timeout: 0\n"),
	                 "c.yaml:2:21: tcp_idle_timeout: 0 out of range 1..3600");
	ck_assert_str_eq(cfg_fail("server:\n  tcp_max_clients: 99999999999\n"),
	                 "c.yaml:2:20: tcp_max_clients: 99999999999 out of range 1..65535");
	ck_assert_str_eq(cfg_fail("server:\n  workers: two\n"),
	                 "c.yaml:2:12: workers: expected an integer, got 'two'");
	ck_assert_str_eq(cfg_fail("server:\n  workers: -1\n"),
	                 "c.yaml:2:12: workers: expected an integer, got '-1'");
}
END_TEST

START_TEST(cfg_bad_listen)
{
	ck_assert_str_eq(cfg_fail("server:\n  listen: [\"127.0.0.1:5353\", \"localhost:53\"]\n"),
	                 "c.yaml:2:30: listen: bad address 'localhost:53' (expected IP, IP:port, "
	                 "[IPv6] or [IPv6]:port)");
	ck_assert_str_eq(cfg_fail("server:\n  listen:\n    - \"[::1]:99999\"\n"),
	                 "c.yaml:3:7: listen: bad address '[::1]:99999' (expected IP, IP:port, "
	                 "[IPv6] or [IPv6]:port)");
	ck_assert_str_eq(cfg_fail("server:\n  listen:\n    - 127.0.0.1:0\n"),
	                 "c.yaml:3:7: listen: bad address '127.0.0.1:0' (expected IP, IP:port, "
	                 "[IPv6] or [IPv6]:port)");
	ck_assert_str_eq(cfg_fail("server:\n  listen: [\"[::1\"]\n"),
	                 "c.yaml:2:12: listen: bad address '[::1' (expected IP, IP:port, "
	                 "[IPv6] or [IPv6]:port)");
	ck_assert_str_eq(cfg_fail("server:\n  listen: [127.0.0.1, \"127.0.0.1:53\"]\n"),
	                 "c.yaml:2:23: listen: duplicate address 127.0.0.1:53");
	ck_assert_str_eq(cfg_fail("server:\n  listen: []\n"), "c.yaml:2:11: listen: empty list");
	/* A quoted token with control characters (here a terminal escape
	 * from the YAML "\e" escape) is quoted escaped, as \xHH. */
	ck_assert_str_eq(cfg_fail("server:\n  listen: [\"\\e[31m\"]\n"),
	                 "c.yaml:2:12: listen: bad address '\\x1b[31m' (expected IP, IP:port, "
	                 "[IPv6] or [IPv6]:port)");
}
END_TEST

START_TEST(cfg_duplicate_key)
{
	ck_assert_str_eq(cfg_fail("server:\n  workers: 1\n  workers: 2\n"),
	                 "c.yaml:3:3: duplicate key 'workers'");
	ck_assert_str_eq(cfg_fail("zones: []\nzones: []\n"), "c.yaml:2:1: duplicate key 'zones'");
}
END_TEST

START_TEST(cfg_yaml_syntax)
{
	/* libyaml's own problem text at its problem mark */
	ck_assert_str_eq(cfg_fail("server:\n  workers: [1, 2\n"),
	                 "c.yaml:3:1: did not find expected ',' or ']'");
	ck_assert_str_eq(cfg_fail("server:\n  workers: 1\n bad: 2\n"),
	                 "c.yaml:3:2: did not find expected key");
	/* bad UTF-8: libyaml gives an offset, we turn it into line:col */
	ck_assert_str_eq(cfg_fail("server:\n  identity: a\xff\n"),
	                 "c.yaml:2:14: invalid leading UTF-8 octet");
	ck_assert_str_eq(cfg_fail("server: {}\n---\nzones: []\n"),
	                 "c.yaml:3:1: only one YAML document per file is allowed");
}
END_TEST

START_TEST(cfg_missing_file)
{
	struct config *cfg = NULL;
	ck_assert_int_eq(config_load("absent.yaml", &cfg, err), -1);
	ck_assert_str_eq(err, "absent.yaml: cannot open: No such file or directory");
}
END_TEST

START_TEST(cfg_missing_zone_file)
{
	ck_assert_str_eq(cfg_fail("server: {}\nzones:\n  - nope.yaml\n"),
	                 "c.yaml:3:5: cannot open nope.yaml: No such file or directory");
}
END_TEST

START_TEST(cfg_duplicate_zone)
{
	put("z.yaml", ZREC);
	char z2[1024];
	/* the same origin spelled differently; +22 skips ZREC's origin line */
	snprintf(z2, sizeof(z2), "origin: EXAMPLE.test\n%s", ZREC + 22);
	put("z2.yaml", z2);
	ck_assert_str_eq(cfg_fail("zones:\n  - z.yaml\n  - z2.yaml\n"),
	                 "c.yaml:3:5: duplicate zone example.test. (already loaded from z.yaml)");
}
END_TEST

START_TEST(cfg_identity_too_long)
{
	char text[400];
	char id[300];
	memset(id, 'i', 256);
	id[256] = 0;
	snprintf(text, sizeof(text), "server:\n  identity: %s\n", id);
	ck_assert_str_eq(cfg_fail(text), "c.yaml:2:13: identity: longer than 255 bytes");
	ck_assert_str_eq(cfg_fail("server:\n  identity: \"\"\n"),
	                 "c.yaml:2:13: identity: must not be empty");
	ck_assert_str_eq(cfg_fail("server:\n  user:\n"), "c.yaml:2:8: user: expected a string");
}
END_TEST

/* A bad zone named by the config is reported in the zone file, whose path
 * is resolved against the config file's directory. */
START_TEST(cfg_zone_error_position)
{
	struct config *cfg = NULL;
	mkdir("sub", 0700);
	put("sub/z.yaml", ZREC "  www: { A: 192.0.2.300 }\n");
	put("sub/c.yaml", "zones: [z.yaml]\n");
	ck_assert_int_eq(config_load("sub/c.yaml", &cfg, err), -1);
	ck_assert_str_eq(err, "sub/z.yaml:12:13: A: invalid IPv4 address in '192.0.2.300'");
}
END_TEST

/* ---------------- zone files: errors ---------------- */

START_TEST(zone_missing_soa)
{
	ck_assert_str_eq(zone_fail("origin: example.test.\nrecords: {}\n"),
	                 "z.yaml:1:9: zone has no SOA record");
}
END_TEST

START_TEST(zone_missing_origin)
{
	/* ZHEAD without its first line */
	ck_assert_str_eq(zone_fail(ZHEAD + 22), "z.yaml:1:1: missing required key 'origin' in zone file");
}
END_TEST

START_TEST(zone_missing_soa_field)
{
	ck_assert_str_eq(zone_fail("origin: example.test.\nsoa:\n  mname: ns1\n  rname: h\n"),
	                 "z.yaml:3:3: missing required key 'serial' in soa");
	ck_assert_str_eq(zone_fail(ZHEAD "  retries: 3\n"), "z.yaml:10:3: unknown key 'retries' in soa");
	ck_assert_str_eq(zone_fail(ZHEAD "  ttl: 2147483648\n"),
	                 "z.yaml:10:8: ttl: 2147483648 out of range 0..2147483647");
}
END_TEST

START_TEST(zone_unknown_key)
{
	ck_assert_str_eq(zone_fail(ZHEAD "steer: {}\n"), "z.yaml:10:1: unknown key 'steer' in zone file");
}
END_TEST

START_TEST(zone_bad_a)
{
	ck_assert_str_eq(zone_fail(ZREC "  www: { A: [192.0.2.1, 192.0.2.256] }\n"),
	                 "z.yaml:12:25: A: invalid IPv4 address in '192.0.2.256'");
}
END_TEST

START_TEST(zone_bad_aaaa)
{
	ck_assert_str_eq(zone_fail(ZREC "  www:\n    AAAA: \"2001:db8::zz\"\n"),
	                 "z.yaml:13:11: AAAA: invalid address character in '2001:db8::zz'");
}
END_TEST

START_TEST(zone_label_too_long)
{
	ck_assert_str_eq(
		zone_fail(ZREC "  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: { A: 192.0.2.1 }\n"),
		"z.yaml:12:3: bad owner name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': "
		"label longer than 63 bytes");
	ck_assert_str_eq(zone_fail(ZREC "  www: { CNAME: a..b }\n"),
	                 "z.yaml:12:17: CNAME: invalid domain name character in 'a..b'");
}
END_TEST

START_TEST(zone_name_too_long)
{
	/* 4 labels of 60 plus example.test. (14) = 258 bytes > 255 */
	char text[2048];
	const char *l60 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	snprintf(text, sizeof(text), ZREC "  %s.%s.%s.%s: { A: 192.0.2.1 }\n", l60, l60, l60, l60);
	ck_assert_str_eq(zone_fail(text),
	                 "z.yaml:12:3: bad owner name "
	                 "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaa...': "
	                 "name longer than 255 bytes");
}
END_TEST

START_TEST(zone_owner_outside)
{
	ck_assert_str_eq(zone_fail(ZREC "  www.example.net.: { A: 192.0.2.1 }\n"),
	                 "z.yaml:12:3: owner 'www.example.net.' is outside the zone example.test.");
}
END_TEST

START_TEST(zone_cname_and_other)
{
	ck_assert_str_eq(zone_fail(ZREC "  www: { A: 192.0.2.1, CNAME: web }\n"),
	                 "z.yaml:12:31: CNAME and other data at the same name");
}
END_TEST

START_TEST(zone_ttl_mismatch)
{
	/* Two spellings of one owner with different TTLs make one RRset. */
	ck_assert_str_eq(zone_fail(ZREC "  www: { A: 192.0.2.1, ttl: 60 }\n"
	                                "  WWW.example.test.: { A: 192.0.2.2 }\n"),
	                 "z.yaml:13:27: TTL 3600 differs from the TTL 60 of the other A records at this name");
	ck_assert_str_eq(zone_fail(ZREC "  www: { A: 192.0.2.1, ttl: -5 }\n"),
	                 "z.yaml:12:29: ttl: expected an integer, got '-5'");
}
END_TEST

START_TEST(zone_bad_types)
{
	ck_assert_str_eq(zone_fail(ZREC "  www: { AX: 192.0.2.1 }\n"),
	                 "z.yaml:12:10: unknown record type 'AX'");
	ck_assert_str_eq(zone_fail(ZREC "  www: { soa: x }\n"),
	                 "z.yaml:12:10: SOA goes in the top-level 'soa:' mapping, not under records");
	ck_assert_str_eq(zone_fail(ZREC "  www: { A: 192.0.2.1, a: 192.0.2.2 }\n"),
	                 "z.yaml:12:24: duplicate record type 'a'");
	ck_assert_str_eq(zone_fail(ZREC "  www: { A: [] }\n"), "z.yaml:12:13: A: empty list");
	ck_assert_str_eq(zone_fail(ZREC "  www: { A: {x: 1} }\n"),
	                 "z.yaml:12:13: A: expected a value or a list of values");
	ck_assert_str_eq(zone_fail(ZREC "  www: 192.0.2.1\n"),
	                 "z.yaml:12:8: records of 'www': expected a mapping");
	ck_assert_str_eq(zone_fail(ZREC "  www: {}\n"), "z.yaml:12:8: records of 'www': no records");
}
END_TEST

START_TEST(zone_bad_soa)
{
	ck_assert_str_eq(zone_fail("origin: example.test.\nsoa:\n  mname: ns1\n"
	                           "  rname: hostmaster@example.test\n  serial: 1\n  refresh: 1\n  retry: 1\n"
	                           "  expire: 1\n  minimum: 1\n"),
	                 "z.yaml:4:10: rname: write the mailbox as a name (hostmaster.example.com.), "
	                 "not an e-mail address");
	ck_assert_str_eq(zone_fail("origin: example.test.\nsoa:\n  mname: ns1\n  rname: h\n"
	                           "  serial: 4294967296\n"),
	                 "z.yaml:5:11: serial: 4294967296 out of range 0..4294967295");
}
END_TEST

START_TEST(zone_finish_error)
{
	/* No NS at the apex: reported at the origin value. */
	ck_assert_str_eq(zone_fail(ZHEAD "records:\n  www: { A: 192.0.2.1 }\n"),
	                 "z.yaml:1:9: zone has no NS records at the apex");
}
END_TEST

START_TEST(zone_empty_and_syntax)
{
	ck_assert_str_eq(zone_fail("# nothing\n"), "z.yaml:1:1: zone file is empty");
	ck_assert_str_eq(zone_fail("origin: [\n"), "z.yaml:2:1: did not find expected node content");
	ck_assert_str_eq(zone_fail("origin: \"a\\0b\"\n"), "z.yaml:1:9: origin: expected a string");
	struct zone *z = NULL;
	ck_assert_int_eq(zone_yaml_load("nope.yaml", &z, err), -1);
	ck_assert_str_eq(err, "nope.yaml: cannot open: No such file or directory");
}
END_TEST

/* `steer:` at a name needs the caller's permission (the main config's
 * geoip + pops); zone_yaml_load never gives it. */
START_TEST(zone_steer_opts)
{
	static const char text[] = ZREC "  www: { steer: { answers: 3 }, MX: \"10 mail\" }\n";
	ck_assert_str_eq(zone_fail(text),
	                 "z.yaml:12:10: steer: requires geoip and pops in the main config");
	struct zone_yaml_opts no = { .steer_ok = false }, yes = { .steer_ok = true };
	struct zone *z = NULL;
	ck_assert_int_eq(zone_yaml_load_ex("z.yaml", &no, &z, err, sizeof(err), NULL), -1);
	ck_assert_str_eq(err, "z.yaml:12:10: steer: requires geoip and pops in the main config");
	int rc = zone_yaml_load_ex("z.yaml", &yes, &z, err, sizeof(err), NULL);
	ck_assert_msg(rc == 0, "%s", err);
	const struct znode *www = zone_find(z, N("www.example.test."));
	const struct steer_rec *s = www->steer;
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->answers, 3);
	ck_assert_uint_eq(s->ttl, 30);
	ck_assert_ptr_nonnull(znode_rrset(www, RRT_MX));
	ck_assert_ptr_null(zone_find(z, N("example.test."))->steer);
	zone_free(z);
}
END_TEST

/* ---------------- positive ---------------- */

START_TEST(cfg_defaults)
{
	struct config *cfg = cfg_ok("# all defaults\n");
	const struct server_config *sv = &cfg->server;
	ck_assert_uint_eq(sv->n_listen, 2);
	ck_assert_str_eq(sv->listen[0].text, "127.0.0.1:53");
	ck_assert_str_eq(sv->listen[1].text, "[::1]:53");
	ck_assert_int_eq(sv->listen[1].ss.ss_family, AF_INET6);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	ck_assert_uint_eq(sv->workers, ncpu > 64 ? 64 : (unsigned)ncpu);
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	ck_assert_str_eq(sv->identity, host[0] ? host : "localhost");
	ck_assert_ptr_null(sv->version);
	ck_assert_ptr_null(sv->user);
	ck_assert_uint_eq(sv->edns_payload, 1232);
	ck_assert_uint_eq(sv->tcp_idle_timeout_ms, 10000);
	ck_assert_uint_eq(sv->tcp_max_clients, 1024);
	ck_assert_uint_eq(cfg->zones.count, 0);
	ck_assert_ptr_null(cfg->geo); /* no GeoDNS sections */
	config_free(cfg);
}
END_TEST

START_TEST(cfg_all_fields)
{
	struct config *cfg = cfg_ok("server:\n"
	                            "  listen: [\"192.0.2.1\", \"10.1.2.3:5300\", \"[2001:db8::1]\", "
	                            "\"[::1]:5353\", \"::2\"]\n"
	                            "  workers: 3\n  identity: pop9\n  version: v1\n"
	                            "  edns_payload: 4096\n  tcp_idle_timeout: 7\n"
	                            "  tcp_max_clients: 5\n  user: nobody\n  group: nogroup\n");
	const struct server_config *sv = &cfg->server;
	ck_assert_uint_eq(sv->n_listen, 5);
	ck_assert_str_eq(sv->listen[0].text, "192.0.2.1:53");
	ck_assert_str_eq(sv->listen[1].text, "10.1.2.3:5300");
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&sv->listen[1].ss;
	ck_assert_uint_eq(ntohs(sin->sin_port), 5300);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x0a010203);
	ck_assert_uint_eq(sv->listen[1].sslen, sizeof(struct sockaddr_in));
	ck_assert_str_eq(sv->listen[2].text, "[2001:db8::1]:53");
	ck_assert_str_eq(sv->listen[3].text, "[::1]:5353");
	ck_assert_str_eq(sv->listen[4].text, "[::2]:53");
	ck_assert_uint_eq(sv->listen[3].sslen, sizeof(struct sockaddr_in6));
	ck_assert_uint_eq(sv->workers, 3);
	ck_assert_str_eq(sv->identity, "pop9");
	ck_assert_str_eq(sv->version, "v1");
	ck_assert_uint_eq(sv->edns_payload, 4096);
	ck_assert_uint_eq(sv->tcp_idle_timeout_ms, 7000);
	ck_assert_uint_eq(sv->tcp_max_clients, 5);
	ck_assert_str_eq(sv->user, "nobody");
	ck_assert_str_eq(sv->group, "nogroup");
	config_free(cfg);

	/* a single listen address without brackets */
	cfg = cfg_ok("server:\n  listen: 127.0.0.2:99\n");
	ck_assert_uint_eq(cfg->server.n_listen, 1);
	ck_assert_str_eq(cfg->server.listen[0].text, "127.0.0.2:99");
	config_free(cfg);
}
END_TEST

START_TEST(zone_contents)
{
	struct zone *z = zone_ok("origin: Example.TEST\n"  /* no trailing dot: still absolute */
	                         "ttl: 600\n"
	                         "soa: { mname: ns1, rname: h.example.net., serial: 7, refresh: 1,"
	                         " retry: 2, expire: 3, minimum: 4, ttl: 100 }\n"
	                         "records:\n"
	                         "  \"@\": { ns: [ns1, ns2.example.net.], TXT: \"hi\" }\n"
	                         "  WWW: { A: [192.0.2.1, 192.0.2.2, 192.0.2.1], ttl: 30 }\n"
	                         "  www.example.test.: { AAAA: \"::1\", ttl: 30 }\n"
	                         "  a.b: { MX: \"5 @\" }\n");
	ck_assert_mem_eq(z->origin, N("example.test."), 14);
	const struct rrset *soa = znode_rrset(z->apex, RRT_SOA);
	ck_assert_ptr_nonnull(soa);
	ck_assert_uint_eq(soa->ttl, 100);
	static const uint8_t soa_rd[] = { 3, 'n', 's', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	                                  4, 't', 'e', 's', 't', 0, 1, 'h', 7, 'e', 'x', 'a', 'm',
	                                  'p', 'l', 'e', 3, 'n', 'e', 't', 0, 0, 0, 0, 7, 0, 0, 0,
	                                  1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4 };
	ck_assert_uint_eq(soa->rr[0].len, sizeof(soa_rd));
	ck_assert_mem_eq(soa->rr[0].data, soa_rd, sizeof(soa_rd));

	const struct rrset *ns = znode_rrset(z->apex, RRT_NS);
	ck_assert_ptr_nonnull(ns);
	ck_assert_uint_eq(ns->count, 2);
	ck_assert_uint_eq(ns->ttl, 600);
	ck_assert_mem_eq(ns->rr[1].data, N("ns2.example.net."), 17);

	const struct znode *www = zone_find(z, N("www.example.test."));
	ck_assert_ptr_nonnull(www);
	const struct rrset *a = znode_rrset(www, RRT_A);
	ck_assert_uint_eq(a->count, 2); /* the duplicate merged */
	ck_assert_uint_eq(a->ttl, 30);
	ck_assert_mem_eq(a->rr[1].data, "\xc0\x00\x02\x02", 4);
	ck_assert_ptr_nonnull(znode_rrset(www, RRT_AAAA));

	/* a.b exists, and so does the empty non-terminal b */
	const struct znode *ab = zone_find(z, N("a.b.example.test."));
	ck_assert_ptr_nonnull(ab);
	ck_assert_mem_eq(znode_rrset(ab, RRT_MX)->rr[0].data, "\x00\x05\x07" "example\x04test", 16);
	const struct znode *b = zone_find(z, N("b.example.test."));
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_null(b->rrsets);
	zone_free(z);
}
END_TEST

/* config/example.yaml as shipped: run from the repository root. */
START_TEST(example_config)
{
	struct config *cfg = NULL;
	int rc = config_load("config/example.yaml", &cfg, err);
	ck_assert_msg(rc == 0, "%s", err);
	const struct server_config *sv = &cfg->server;
	ck_assert_uint_eq(sv->n_listen, 2);
	ck_assert_str_eq(sv->listen[0].text, "127.0.0.1:5353");
	ck_assert_str_eq(sv->listen[1].text, "[::1]:5353");
	ck_assert_uint_eq(sv->workers, 2);
	ck_assert_str_eq(sv->identity, "example-pop");
	ck_assert_str_eq(sv->version, "steerdns");
	ck_assert_uint_eq(cfg->zones.count, 1);

	const struct zone *z = zoneset_find(&cfg->zones, N("www.example.test."));
	ck_assert_ptr_nonnull(z);
	ck_assert_str_eq(z->file, "config/zones/example.test.yaml");
	ck_assert_uint_eq(z->neg_ttl, 300);

	const struct rrset *mx = znode_rrset(z->apex, RRT_MX);
	ck_assert_uint_eq(mx->count, 2);
	ck_assert_mem_eq(mx->rr[0].data, "\x00\x0a\x04mail\x07" "example\x04test", 20);
	ck_assert_ptr_nonnull(znode_rrset(z->apex, RRT_TXT));
	ck_assert_ptr_nonnull(znode_rrset(z->apex, RRT_CAA));

	const struct znode *www = zone_find(z, N("www.example.test."));
	const struct rrset *a = znode_rrset(www, RRT_A);
	ck_assert_uint_eq(a->count, 2);
	ck_assert_uint_eq(a->ttl, 300);
	ck_assert_mem_eq(a->rr[0].data, "\xc0\x00\x02\x01", 4);

	const struct znode *sub = zone_find(z, N("sub.example.test."));
	ck_assert_ptr_nonnull(sub);
	ck_assert(sub->flags & ZN_DELEG);
	ck_assert_ptr_nonnull(zone_find(z, N("ns.sub.example.test.")));

	const struct znode *wild = zone_find(z, N("*.wild.example.test."));
	ck_assert_ptr_nonnull(wild);
	ck_assert(wild->flags & ZN_WILDCARD);

	const struct znode *srv = zone_find(z, N("_sip._udp.example.test."));
	ck_assert_ptr_nonnull(znode_rrset(srv, RRT_SRV));
	const struct znode *alias = zone_find(z, N("alias.example.test."));
	ck_assert_mem_eq(znode_rrset(alias, RRT_CNAME)->rr[0].data, N("www.example.test."), 18);

	const struct znode *txt = zone_find(z, N("txt.example.test."));
	const struct rdata *t = &znode_rrset(txt, RRT_TXT)->rr[0];
	ck_assert_uint_eq(t->len, 1 + 12 + 1 + 27);
	ck_assert_mem_eq(t->data, "\x0c" "first string\x1b" "second string with \"quotes\"", 41);
	config_free(cfg);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cfg_unknown_top_key);
	tcase_add_test(tc, cfg_unknown_server_key);
	tcase_add_test(tc, cfg_wrong_type);
	tcase_add_test(tc, cfg_out_of_range);
	tcase_add_test(tc, cfg_bad_listen);
	tcase_add_test(tc, cfg_duplicate_key);
	tcase_add_test(tc, cfg_yaml_syntax);
	tcase_add_test(tc, cfg_missing_file);
	tcase_add_test(tc, cfg_missing_zone_file);
	tcase_add_test(tc, cfg_duplicate_zone);
	tcase_add_test(tc, cfg_identity_too_long);
	tcase_add_test(tc, cfg_zone_error_position);
	tcase_add_test(tc, zone_missing_soa);
	tcase_add_test(tc, zone_missing_origin);
	tcase_add_test(tc, zone_missing_soa_field);
	tcase_add_test(tc, zone_unknown_key);
	tcase_add_test(tc, zone_bad_a);
	tcase_add_test(tc, zone_bad_aaaa);
	tcase_add_test(tc, zone_label_too_long);
	tcase_add_test(tc, zone_name_too_long);
	tcase_add_test(tc, zone_owner_outside);
	tcase_add_test(tc, zone_cname_and_other);
	tcase_add_test(tc, zone_ttl_mismatch);
	tcase_add_test(tc, zone_bad_types);
	tcase_add_test(tc, zone_bad_soa);
	tcase_add_test(tc, zone_finish_error);
	tcase_add_test(tc, zone_empty_and_syntax);
	tcase_add_test(tc, zone_steer_opts);
	suite_add_tcase(s, tc);

	TCase *ok = tcase_create("loads");
	tcase_add_checked_fixture(ok, setup, teardown);
	tcase_add_test(ok, cfg_defaults);
	tcase_add_test(ok, cfg_all_fields);
	tcase_add_test(ok, zone_contents);
	suite_add_tcase(s, ok);

	TCase *ex = tcase_create("example");
	tcase_add_test(ex, example_config);
	suite_add_tcase(s, ex);
	return s;
}

#include "tests/unit/check_main.h"
