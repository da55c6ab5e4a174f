/*
 * test_anycast_config.c: the `anycast:` section, `server.mode` and the
 * anycast side of zones' `steer:` key, through config_load(): the exact
 * "file:line:col: message" of each mistake (a table: YAML text and the
 * message it must give), and every parsed field, defaults included, of
 * configs that load. Each test runs in a fresh temporary directory; the
 * GeoDNS cases link MaxMind's test DB there as db.mmdb.
 */
#include <arpa/inet.h>
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anycast/anycast_conf.h"
#include "anycast/anycast_config_yaml.h"
#include "common/config.h"
#include "common/dname.h"
#include "common/zone.h"
#include "tests/unit/config_test_util.h"
#include "tests/unit/geo_test_util.h"

static void setup(void)
{
	char db[PATH_MAX];
	/* resolve before leaving the working directory: mmdb_dir() may be relative */
	ck_assert_msg(realpath(tpath(mmdb_dir(), "GeoIP2-City-Test.mmdb"), db) != NULL,
	              "test DB not found under %s", mmdb_dir());
	cfg_tmp_enter("accfg");
	ck_assert_int_eq(symlink(db, "db.mmdb"), 0);
}

static void teardown(void)
{
	cfg_tmp_leave();
}

/* ---------------- errors: one table row per mistake ---------------- */

/*
 * The expected positions were computed from the YAML text (the column of
 * the token at fault), not taken from the parser's output: peer values at
 * the value, missing keys at the mapping, unknown keys at the key.
 */
static const struct err_case {
	const char *yaml;
	const char *msg;
} err_cases[] = {
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 0 }\n",
	  "c.yaml:9:34: as: 0 out of range 1..4294967295" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 65001x }\n",
	  "c.yaml:9:34: as: expected an integer, got '65001x'" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 4294967296 }\n",
	  "c.yaml:9:34: as: 4294967296 out of range 1..4294967295" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { as: 64512 }\n",
	  "c.yaml:9:9: missing required key 'address' in peer" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2 }\n",
	  "c.yaml:9:9: missing required key 'as' in peer" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.256, as: 1 }\n",
	  "c.yaml:9:20: address: bad peer address '10.0.0.256' (expected IP, IPv4:port or [IPv6]:port)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: \"[2001:db8::2]:70000\", as: 1 }\n",
	  "c.yaml:9:20: address: bad peer address '[2001:db8::2]:70000' (expected IP, IPv4:port or [IPv6]:port)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2:1179, port: 180, as: 1 }\n",
	  "c.yaml:9:41: port: the address already has a port" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, password: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx }\n",
	  "c.yaml:9:47: password: longer than 80 bytes (the TCP MD5 key limit)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, password: \"\" }\n",
	  "c.yaml:9:47: password: must not be empty" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, communities: [\"65001:1\", \"65536:1\"] }\n",
	  "c.yaml:9:62: communities: bad community '65536:1' (expected a:b, each 0..65535)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, communities: [\"65001\"] }\n",
	  "c.yaml:9:51: communities: bad community '65001' (expected a:b, each 0..65535)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, communities: [\"1:2\", \"1:2\"] }\n",
	  "c.yaml:9:58: communities: duplicate '1:2'" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, large_communities: [\"1:2\"] }\n",
	  "c.yaml:9:57: large_communities: bad large community '1:2' (expected a:b:c, each 0..4294967295)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, large_communities: [\"1:2:4294967296\"] }\n",
	  "c.yaml:9:57: large_communities: bad large community '1:2:4294967296' (expected a:b:c, each 0..4294967295)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, large_communities: [\"1:2:3:4\"] }\n",
	  "c.yaml:9:57: large_communities: bad large community '1:2:3:4' (expected a:b:c, each 0..4294967295)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, prepend: 17 }\n",
	  "c.yaml:9:46: prepend: 17 out of range 0..16" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, next_hop: router1 }\n",
	  "c.yaml:9:47: next_hop: bad next hop 'router1' (expected self or an IP address)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, next_hop: [192.0.2.1, 192.0.2.2] }\n",
	  "c.yaml:9:59: next_hop: two IPv4 next hops" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, next_hop: [self, 192.0.2.2] }\n",
	  "c.yaml:9:48: next_hop: 'self' cannot be listed with addresses" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, next_hop6_link_local: \"fe80::1\" }\n",
	  "c.yaml:9:59: next_hop6_link_local: only for IPv6 peers" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: \"2001:db8::2\", as: 1, next_hop6_link_local: \"2001:db8::1\" }\n",
	  "c.yaml:9:64: next_hop6_link_local: '2001:db8::1' is not an IPv6 link-local address" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, local_address: \"2001:db8::1\" }\n",
	  "c.yaml:9:52: local_address: '2001:db8::1' is not of the peer address's family" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, passive: maybe }\n",
	  "c.yaml:9:46: passive: expected true or false, got 'maybe'" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, passive: false, passive_only: true }\n",
	  "c.yaml:9:67: passive_only: contradicts passive: false" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, asn: 5 }\n",
	  "c.yaml:9:37: unknown key 'asn' in peer; did you mean 'as'?" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, med: -1 }\n",
	  "c.yaml:9:42: med: expected an integer, got '-1'" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 64512 }\n      - { address: 10.0.0.2, as: 64513 }\n",
	  "c.yaml:10:20: address: duplicate peer 10.0.0.2" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers:\n      - { address: 10.0.0.2, as: 1, name: up }\n      - { address: 10.0.0.3, as: 1, name: up }\n",
	  "c.yaml:10:43: name: duplicate peer name 'up'" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers: []\n",
	  "c.yaml:8:12: peers: empty list" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 0\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers: [ { address: 10.0.0.2, as: 64512 } ]\n",
	  "c.yaml:5:15: local_as: 0 out of range 1..4294967295" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0\n    prefix4: 198.51.100.0/24\n    peers: [ { address: 10.0.0.2, as: 1 } ]\n",
	  "c.yaml:6:16: router_id: expected an IPv4 address (dotted quad), got '10.0.0'" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: \"2001:db8::1\"\n    prefix4: 198.51.100.0/24\n    peers: [ { address: 10.0.0.2, as: 1 } ]\n",
	  "c.yaml:6:16: router_id: expected an IPv4 address (dotted quad), got '2001:db8::1'" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 0.0.0.0\n    prefix4: 198.51.100.0/24\n    peers: [ { address: 10.0.0.2, as: 1 } ]\n",
	  "c.yaml:6:16: router_id: must not be 0.0.0.0 (RFC 6286)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    hold_time: 1\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers: [ { address: 10.0.0.2, as: 64512 } ]\n",
	  "c.yaml:6:16: hold_time: 1 must be 0 or at least 3 (RFC 4271 4.2)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    hold_time: 2\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers: [ { address: 10.0.0.2, as: 64512 } ]\n",
	  "c.yaml:6:16: hold_time: 2 must be 0 or at least 3 (RFC 4271 4.2)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    hold_time: 65536\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers: [ { address: 10.0.0.2, as: 64512 } ]\n",
	  "c.yaml:6:16: hold_time: 65536 out of range 0..65535" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.1/24\n    peers: [ { address: 10.0.0.2, as: 1 } ]\n",
	  "c.yaml:7:14: prefix4: '198.51.100.1/24' has host bits set beyond /24" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0\n    peers: [ { address: 10.0.0.2, as: 1 } ]\n",
	  "c.yaml:7:14: prefix4: bad prefix '198.51.100.0' (expected IPv4 address/length)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/33\n    peers: [ { address: 10.0.0.2, as: 1 } ]\n",
	  "c.yaml:7:14: prefix4: prefix length 33 out of range 0..32" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 203.0.113.0/24\n    peers: [ { address: 10.0.0.2, as: 1 } ]\n",
	  "c.yaml:7:14: prefix4: 203.0.113.0/24 does not contain the anycast ipv4 address 198.51.100.1" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix6: 10.0.0.0/8\n    peers: [ { address: 10.0.0.2, as: 1 } ]\n",
	  "c.yaml:7:14: prefix6: '10.0.0.0/8' is not an IPv6 prefix" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix6: \"2001:db8:200::/48\"\n    peers: [ { address: 10.0.0.2, as: 1 } ]\n",
	  "c.yaml:7:14: prefix6: 2001:db8:200::/48 does not contain the anycast ipv6 address 2001:db8:100::1" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    peers: [ { address: 10.0.0.2, as: 1 } ]\n",
	  "c.yaml:5:5: bgp: needs prefix4 or prefix6 to announce" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers: [ { address: 10.0.0.2, as: 1 } ]\n",
	  "c.yaml:5:5: missing required key 'local_as' in bgp" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n",
	  "c.yaml:5:5: missing required key 'peers' in bgp" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    graceful_restart: 1\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers: [ { address: 10.0.0.2, as: 64512 } ]\n",
	  "c.yaml:6:23: graceful_restart: expected true or false, got '1'" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    backoff: { min: 5, max: 2 }\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers: [ { address: 10.0.0.2, as: 64512 } ]\n",
	  "c.yaml:6:14: backoff: min 5 s is greater than max 2 s" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    backoff: { min: 0.01 }\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers: [ { address: 10.0.0.2, as: 64512 } ]\n",
	  "c.yaml:6:21: min: 0.01 out of range 0.1..3600 seconds" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  ipv6: \"2001:db8:100::1\"\n  bgp:\n    local_as: 65001\n    hold: 9\n    router_id: 10.0.0.1\n    prefix4: 198.51.100.0/24\n    peers: [ { address: 10.0.0.2, as: 64512 } ]\n",
	  "c.yaml:6:5: unknown key 'hold' in bgp" },
	{ "anycast:\n  ipv4: 198.51.100.300\n",
	  "c.yaml:2:9: ipv4: bad IPv4 address '198.51.100.300'" },
	{ "anycast:\n  ipv6: 198.51.100.1\n",
	  "c.yaml:2:9: ipv6: bad IPv6 address '198.51.100.1'" },
	{ "anycast:\n  ipv6: \"::ffff:198.51.100.1\"\n",
	  "c.yaml:2:9: ipv6: '::ffff:198.51.100.1' is an IPv4-mapped address; use ipv4" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  linger: -1\n",
	  "c.yaml:3:11: linger: -1 out of range 0..3600 seconds" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  linger: soon\n",
	  "c.yaml:3:11: linger: expected a number of seconds, got 'soon'" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  announce: yes\n",
	  "c.yaml:3:3: unknown key 'announce' in anycast" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  on_withdraw: \"\"\n",
	  "c.yaml:3:16: on_withdraw: must not be empty" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { fall: 0 }\n",
	  "c.yaml:3:19: fall: 0 out of range 1..100" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { rise: 101 }\n",
	  "c.yaml:3:19: rise: 101 out of range 1..100" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { interval: 0.01 }\n",
	  "c.yaml:3:23: interval: 0.01 out of range 0.05..3600 seconds" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { interval: 1, fast_interval: 2 }\n",
	  "c.yaml:3:41: fast_interval: 2 s is longer than the interval (1 s)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { self_check: { name: \"a..b\" } }\n",
	  "c.yaml:3:33: name: bad name 'a..b'" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { self_check: { name: www.example.test, type: AXFR } }\n",
	  "c.yaml:3:57: type: unknown record type 'AXFR'" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { self_check: { type: A } }\n",
	  "c.yaml:3:25: missing required key 'name' in self_check" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { checks: [ { type: ping } ] }\n",
	  "c.yaml:3:31: type: unknown check type 'ping' (expected tcp, http, dns or file)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { checks: [ { type: tcp, port: 443, rise: 2 } ] }\n",
	  "c.yaml:3:47: unknown key 'rise' in tcp check" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { checks: [ { type: tcp } ] }\n",
	  "c.yaml:3:23: missing required key 'port' in tcp check" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { checks: [ { type: tcp, port: 443, timeout: 0.5 } ] }\n",
	  "c.yaml:3:56: timeout: 0.5 s is longer than the health interval (0.2 s)" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { checks: [ { type: http, address: localhost } ] }\n",
	  "c.yaml:3:46: address: bad IP address 'localhost'" },
	{ "anycast:\n  ipv4: 198.51.100.1\n  health: { drain: x }\n",
	  "c.yaml:3:13: unknown key 'drain' in health" },
	{ "anycast: [198.51.100.1]\n",
	  "c.yaml:1:10: anycast: expected a mapping" },
	{ "server: { mode: anycast }\n",
	  "c.yaml:1:17: mode: anycast requires an anycast section" },
	{ "server: { mode: geodns }\nanycast: { ipv4: 198.51.100.1 }\n",
	  "c.yaml:1:17: mode: geodns requires geoip and pops sections" },
	{ "server: { mode: ab }\nanycast: { ipv4: 198.51.100.1 }\n",
	  "c.yaml:1:17: mode: ab requires geoip and pops sections" },
	{ "server: { mode: nearest }\n",
	  "c.yaml:1:17: mode: unknown mode 'nearest' (expected geodns, anycast or ab)" },
};

START_TEST(err_table)
{
	const struct err_case *t = &err_cases[_i];
	const char *got = cfg_fail(t->yaml);
	ck_assert_msg(strcmp(got, t->msg) == 0, "case %d:\n%s\nwant: %s\ngot:  %s", _i, t->yaml,
	              t->msg, got);
}
END_TEST

/* ---------------- errors: steer in zones ---------------- */

#define GEO                                                                           \
	"geoip: { databases: [db.mmdb] }\n"                                           \
	"pops: { fra: { location: [50.11, 8.68], ipv4: 192.0.2.10 } }\n"

static const char *zone_fail(const char *cfg, const char *zone)
{
	put("z.yaml", zone);
	return cfg_fail(cfg);
}

START_TEST(err_steer_modes)
{
	/* mode anycast in a GeoDNS-only server: at the steer key */
	ck_assert_str_eq(zone_fail(GEO "zones: [z.yaml]\n",
	                           STEER_ZREC "  www: { steer: { mode: anycast } }\n"),
	                 "z.yaml:12:10: steer: mode anycast requires anycast ipv4 or ipv6 in the "
	                 "main config");
	/* an anycast section without an address does not help */
	ck_assert_str_eq(zone_fail(GEO "anycast: { linger: 1 }\nzones: [z.yaml]\n",
	                           STEER_ZREC "  www: { steer: { mode: anycast } }\n"),
	                 "z.yaml:12:10: steer: mode anycast requires anycast ipv4 or ipv6 in the "
	                 "main config");
	/* server mode anycast but no address: a default-mode name fails too */
	ck_assert_str_eq(zone_fail(GEO "server: { mode: anycast }\nanycast: { linger: 1 }\n"
	                           "zones: [z.yaml]\n",
	                           STEER_ZREC "  api: { steer: {} }\n"),
	                 "z.yaml:12:10: steer: mode anycast requires anycast ipv4 or ipv6 in the "
	                 "main config");
	/* mode geodns in an anycast-only server */
	ck_assert_str_eq(zone_fail("anycast: { ipv4: 198.51.100.1 }\nzones: [z.yaml]\n",
	                           STEER_ZREC "  www: { TXT: x, steer: { mode: geodns } }\n"),
	                 "z.yaml:12:18: steer: mode geodns requires geoip and pops in the main "
	                 "config");
	/* ab needs both methods: at the steer key, naming what is missing */
	ck_assert_str_eq(zone_fail(GEO "zones: [z.yaml]\n", STEER_ZREC "  www: { steer: { mode: ab } }\n"),
	                 "z.yaml:12:10: steer: mode ab requires anycast ipv4 or ipv6 in the main "
	                 "config");
	ck_assert_str_eq(zone_fail("anycast: { ipv4: 198.51.100.1 }\nzones: [z.yaml]\n",
	                           STEER_ZREC "  www: { steer: { mode: ab } }\n"),
	                 "z.yaml:12:10: steer: mode ab requires geoip and pops in the main config");
	/* nothing to steer with at all */
	ck_assert_str_eq(zone_fail("zones: [z.yaml]\n", STEER_ZREC "  www: { steer: {} }\n"),
	                 "z.yaml:12:10: steer: requires geoip and pops in the main config");
}
END_TEST

/* ---------------- positive ---------------- */

START_TEST(ok_defaults)
{
	struct config *cfg = cfg_ok("anycast:\n  ipv4: 198.51.100.1\n");
	const struct anycast_conf *ac = cfg->anycast;
	ck_assert_ptr_nonnull(ac);
	ck_assert_ptr_null(cfg->geo);
	ck_assert_int_eq(cfg->server.mode, STEER_MODE_ANYCAST);  /* only anycast: its mode */
	ck_assert(ac->has_v4);
	ck_assert(!ac->has_v6);
	ck_assert_uint_eq(ntohl(ac->v4.s_addr), 0xc6336401);
	ck_assert(!ac->has_bgp);
	ck_assert_uint_eq(ac->bgp.n_peers, 0);
	ck_assert_uint_eq(ac->bgp.hold_time, 9);
	ck_assert_ptr_null(ac->self_qname);
	ck_assert_uint_eq(ac->self_qtype, 1);
	ck_assert_ptr_null(ac->checks);
	ck_assert_uint_eq(ac->n_checks, 0);
	ck_assert_uint_eq(ac->interval_ms, 1000);
	ck_assert_uint_eq(ac->fast_interval_ms, 200);
	ck_assert_uint_eq(ac->rise, 3);
	ck_assert_uint_eq(ac->fall, 2);
	ck_assert_ptr_null(ac->drain_file);
	ck_assert_uint_eq(ac->linger_ms, 2000);
	ck_assert_ptr_null(ac->on_announce);
	ck_assert_ptr_null(ac->on_withdraw);
	config_free(cfg);

	/* no anycast section: geodns nominally, and no anycast data */
	cfg = cfg_ok("server: { workers: 1 }\n");
	ck_assert_ptr_null(cfg->anycast);
	ck_assert_int_eq(cfg->server.mode, STEER_MODE_GEODNS);
	config_free(cfg);
	/* both sections: geodns unless told otherwise */
	cfg = cfg_ok(GEO "anycast: { ipv6: \"2001:db8::53\" }\n");
	ck_assert_int_eq(cfg->server.mode, STEER_MODE_GEODNS);
	ck_assert(cfg->anycast->has_v6 && !cfg->anycast->has_v4);
	ck_assert_uint_eq(cfg->anycast->v6.s6_addr[15], 0x53);
	config_free(cfg);
	cfg = cfg_ok(GEO "anycast: { ipv4: 198.51.100.1 }\nserver: { mode: anycast }\n");
	ck_assert_int_eq(cfg->server.mode, STEER_MODE_ANYCAST);
	config_free(cfg);
	/* a short interval pulls the fast interval down with it */
	cfg = cfg_ok("anycast: { health: { interval: 0.1 } }\n");
	ck_assert_uint_eq(cfg->anycast->interval_ms, 100);
	ck_assert_uint_eq(cfg->anycast->fast_interval_ms, 100);
	config_free(cfg);
}
END_TEST

/* Every field, set to something other than its default. */
static const char full[] =
	"server: { mode: anycast }\n"
	"anycast:\n"
	"  ipv4: 198.51.100.1\n"
	"  ipv6: \"2001:db8:100::1\"\n"
	"  bgp:\n"
	"    local_as: 4200000001\n"
	"    router_id: 10.0.0.1\n"
	"    hold_time: 30\n"
	"    prefix4: 198.51.100.0/24\n"
	"    prefix6: \"2001:db8:100::/48\"\n"
	"    graceful_restart: true\n"
	"    backoff: { min: 0.5, max: 30 }\n"
	"    peers:\n"
	"      - { address: 10.0.0.2, as: 64512, password: s3cret, prepend: 2,\n"
	"          next_hop: 192.0.2.99, med: 10, communities: [\"65001:100\", \"0:65535\"],\n"
	"          large_communities: [\"4200000001:1:2\"], passive: yes,\n"
	"          local_address: 10.0.0.1, name: upstream-a }\n"
	"      - address: \"[2001:db8::2]:1179\"\n"
	"        as: 4200000001\n"
	"        passive_only: true\n"
	"        next_hop: [\"2001:db8::1\", 192.0.2.1]\n"
	"        next_hop6_link_local: \"fe80::1\"\n"
	"        local_pref: 200\n"
	"      - { address: \"2001:db8::3\", as: 65010, port: 1790, next_hop: self }\n"
	"  health:\n"
	"    self_check: { name: www.example.test, type: AAAA }\n"
	"    checks:\n"
	"      - { type: tcp, port: 443 }\n"
	"      - { type: http, address: \"::1\", port: 8080, path: /health, status: [200, 204] }\n"
	"      - { type: dns, qname: example.test, qtype: SOA, timeout: 0.1 }\n"
	"      - { type: file, file: state }\n"
	"    interval: 2\n"
	"    fast_interval: 0.25\n"
	"    rise: 4\n"
	"    fall: 1\n"
	"    drain_file: /run/steerdns/drain\n"
	"  linger: 0.5\n"
	"  on_announce: \"birdc enable anycast\"\n"
	"  on_withdraw: \"birdc disable anycast\"\n";

START_TEST(ok_full)
{
	struct config *cfg = cfg_ok(full);
	const struct anycast_conf *ac = cfg->anycast;
	ck_assert_int_eq(cfg->server.mode, STEER_MODE_ANYCAST);
	ck_assert(ac->has_v4 && ac->has_v6);
	ck_assert_mem_eq(ac->v6.s6_addr, "\x20\x01\x0d\xb8\x01\x00\0\0\0\0\0\0\0\0\0\x01", 16);

	const struct bgp_conf *b = &ac->bgp;
	ck_assert(ac->has_bgp);
	ck_assert_uint_eq(b->local_as, 4200000001u);
	ck_assert_uint_eq(b->router_id, 0x0a000001);  /* host order */
	ck_assert_uint_eq(b->hold_time, 30);
	ck_assert(b->graceful_restart);
	ck_assert_int_eq(b->v4.family, AF_INET);
	ck_assert_uint_eq(b->v4.len, 24);
	ck_assert_mem_eq(b->v4.addr, "\xc6\x33\x64\x00", 4);
	ck_assert_int_eq(b->v6.family, AF_INET6);
	ck_assert_uint_eq(b->v6.len, 48);
	ck_assert_mem_eq(b->v6.addr, "\x20\x01\x0d\xb8\x01\x00\0\0\0\0\0\0\0\0\0\0", 16);
	ck_assert_uint_eq(b->backoff_min_ms, 500);
	ck_assert_uint_eq(b->backoff_max_ms, 30000);
	ck_assert_uint_eq(b->n_peers, 3);

	const struct bgp_peer_conf *p = &b->peers[0];
	const struct sockaddr_in *sa = (const struct sockaddr_in *)&p->addr;
	ck_assert_str_eq(p->name, "upstream-a");
	ck_assert_int_eq(sa->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(sa->sin_port), 179);
	ck_assert_uint_eq(ntohl(sa->sin_addr.s_addr), 0x0a000002);
	ck_assert_uint_eq(p->addrlen, sizeof(struct sockaddr_in));
	ck_assert_uint_eq(p->remote_as, 64512);
	ck_assert(bgp_peer_is_ebgp(b, p));
	ck_assert_int_eq(p->local.ss_family, AF_INET);
	ck_assert_uint_eq(ntohl(((const struct sockaddr_in *)&p->local)->sin_addr.s_addr), 0x0a000001);
	ck_assert(p->passive && !p->passive_only);
	ck_assert_str_eq(p->password, "s3cret");
	ck_assert_uint_eq(p->prepend, 2);
	ck_assert(p->has_nh4 && !p->has_nh6 && !p->has_nh6_ll);
	ck_assert_uint_eq(ntohl(p->nh4.s_addr), 0xc0000263);
	ck_assert(p->has_med);
	ck_assert_uint_eq(p->med, 10);
	ck_assert_uint_eq(p->local_pref, 100);
	ck_assert_uint_eq(p->n_communities, 2);
	ck_assert_uint_eq(p->communities[0], (65001u << 16) | 100);
	ck_assert_uint_eq(p->communities[1], 65535);
	ck_assert_uint_eq(p->n_lcommunities, 1);
	ck_assert_uint_eq(p->lcommunities[0].global, 4200000001u);
	ck_assert_uint_eq(p->lcommunities[0].local1, 1);
	ck_assert_uint_eq(p->lcommunities[0].local2, 2);

	p = &b->peers[1];
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&p->addr;
	ck_assert_str_eq(p->name, "[2001:db8::2]:1179");
	ck_assert_int_eq(s6->sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(s6->sin6_port), 1179);
	ck_assert_uint_eq(s6->sin6_addr.s6_addr[15], 2);
	ck_assert_uint_eq(p->addrlen, sizeof(struct sockaddr_in6));
	ck_assert(!bgp_peer_is_ebgp(b, p));  /* iBGP */
	ck_assert(p->passive && p->passive_only);
	ck_assert_ptr_null(p->password);
	ck_assert_int_eq(p->local.ss_family, 0);
	ck_assert(p->has_nh4 && p->has_nh6 && p->has_nh6_ll);
	ck_assert_uint_eq(ntohl(p->nh4.s_addr), 0xc0000201);
	ck_assert_uint_eq(p->nh6.s6_addr[15], 1);
	ck_assert_uint_eq(p->nh6_ll.s6_addr[0], 0xfe);
	ck_assert(!p->has_med);
	ck_assert_uint_eq(p->local_pref, 200);
	ck_assert_uint_eq(p->n_communities, 0);

	p = &b->peers[2];
	ck_assert_str_eq(p->name, "[2001:db8::3]:1790");
	ck_assert_uint_eq(ntohs(((const struct sockaddr_in6 *)&p->addr)->sin6_port), 1790);
	ck_assert(!p->passive && !p->has_nh4 && !p->has_nh6);  /* self */
	ck_assert_uint_eq(p->prepend, 0);

	ck_assert_str_eq(ac->self_qname, "www.example.test");
	ck_assert_uint_eq(ac->self_qtype, 28);
	ck_assert_uint_eq(ac->interval_ms, 2000);
	ck_assert_uint_eq(ac->fast_interval_ms, 250);
	ck_assert_uint_eq(ac->rise, 4);
	ck_assert_uint_eq(ac->fall, 1);
	ck_assert_str_eq(ac->drain_file, "/run/steerdns/drain");
	ck_assert_uint_eq(ac->linger_ms, 500);
	ck_assert_str_eq(ac->on_announce, "birdc enable anycast");
	ck_assert_str_eq(ac->on_withdraw, "birdc disable anycast");

	ck_assert_uint_eq(ac->n_checks, 4);
	const struct check_conf *ck = &ac->checks[0];
	ck_assert_int_eq(ck->type, CHECK_TCP);
	sa = (const struct sockaddr_in *)&ck->addr;
	ck_assert_uint_eq(ntohl(sa->sin_addr.s_addr), 0x7f000001);  /* local service */
	ck_assert_uint_eq(ntohs(sa->sin_port), 443);
	ck_assert_uint_eq(ck->interval_ms, 2000);  /* the section's pace */
	ck_assert_uint_eq(ck->rise, 4);
	ck_assert_uint_eq(ck->fall, 1);
	ck_assert_uint_eq(ck->timeout_ms, 250);    /* at most the fast interval */
	ck = &ac->checks[1];
	ck_assert_int_eq(ck->type, CHECK_HTTP);
	ck_assert_int_eq(ck->addr.ss_family, AF_INET6);
	ck_assert_uint_eq(ntohs(((const struct sockaddr_in6 *)&ck->addr)->sin6_port), 8080);
	ck_assert_str_eq(ck->path, "/health");
	ck_assert_ptr_null(ck->host);
	ck_assert_uint_eq(ck->n_status, 2);
	ck_assert_uint_eq(ck->status[1], 204);
	ck = &ac->checks[2];
	ck_assert_int_eq(ck->type, CHECK_DNS);
	ck_assert_uint_eq(ntohs(((const struct sockaddr_in *)&ck->addr)->sin_port), 53);
	ck_assert_str_eq(ck->qname, "example.test");
	ck_assert_uint_eq(ck->qtype, 6);
	ck_assert_uint_eq(ck->timeout_ms, 100);
	ck = &ac->checks[3];
	ck_assert_int_eq(ck->type, CHECK_FILE);
	ck_assert_str_eq(ck->file, "state");       /* relative to the config's dir ("") */
	config_free(cfg);
}
END_TEST

START_TEST(ok_bgp_defaults)
{
	struct config *cfg = cfg_ok("anycast:\n"
	                            "  ipv6: \"2001:db8:100::1\"\n"
	                            "  bgp:\n"
	                            "    local_as: 65001\n"
	                            "    router_id: 10.0.0.1\n"
	                            "    hold_time: 0\n"
	                            "    prefix6: \"2001:db8:100::/48\"\n"
	                            "    peers: [ { address: \"2001:db8::2\", as: 65002 } ]\n");
	const struct bgp_conf *b = &cfg->anycast->bgp;
	ck_assert(cfg->anycast->has_bgp);
	ck_assert_uint_eq(b->hold_time, 0);  /* 0 is allowed: no keepalives */
	ck_assert(!b->graceful_restart);
	ck_assert_int_eq(b->v4.family, 0);
	ck_assert_int_eq(b->v6.family, AF_INET6);
	/* README: backoff {min: 1, max: 60} seconds */
	ck_assert_uint_eq(b->backoff_min_ms, 1000);
	ck_assert_uint_eq(b->backoff_max_ms, 60000);
	const struct bgp_peer_conf *p = &b->peers[0];
	ck_assert_str_eq(p->name, "2001:db8::2");
	ck_assert_uint_eq(ntohs(((const struct sockaddr_in6 *)&p->addr)->sin6_port), 179);
	ck_assert(!p->passive && !p->passive_only && !p->has_med && !p->password);
	ck_assert_uint_eq(p->local_pref, 100);
	ck_assert_uint_eq(p->prepend, 0);
	ck_assert_uint_eq(p->n_communities + p->n_lcommunities, 0);
	config_free(cfg);

	/* prefix containment is only checked for configured addresses, and
	 * "v4:port" is a peer address with a port */
	cfg = cfg_ok("anycast:\n"
	             "  bgp: { local_as: 1, router_id: 1.2.3.4, prefix4: 203.0.113.0/24,\n"
	             "         peers: [ { address: \"10.0.0.2:1179\", as: 2 } ] }\n");
	ck_assert_uint_eq(ntohs(((const struct sockaddr_in *)&cfg->anycast->bgp.peers[0].addr)->sin_port),
	                  1179);
	ck_assert_str_eq(cfg->anycast->bgp.peers[0].name, "10.0.0.2:1179");
	config_free(cfg);
}
END_TEST

START_TEST(ok_steer_mixed)
{
	put("z.yaml", STEER_ZREC "  www: { steer: { mode: anycast, ttl: 10 } }\n"
	                   "  geo: { steer: {} }\n"
	                   "  g2: { steer: { mode: geodns } }\n");
	struct config *cfg = cfg_ok(GEO "anycast: { ipv4: 198.51.100.1 }\nzones: [z.yaml]\n");
	const struct zone *z = cfg->zones.zones[0];
	const struct steer_rec *s = zone_find(z, N("www.geo.test."))->steer;
	ck_assert_int_eq(s->mode, STEER_MODE_ANYCAST);
	ck_assert_uint_eq(s->ttl, 10);
	ck_assert_int_eq(((const struct steer_rec *)zone_find(z, N("geo.geo.test."))->steer)->mode,
	                 STEER_MODE_DEFAULT);
	ck_assert_int_eq(((const struct steer_rec *)zone_find(z, N("g2.geo.test."))->steer)->mode,
	                 STEER_MODE_GEODNS);
	config_free(cfg);

	/* anycast-only: default-mode names are anycast names */
	put("z.yaml", STEER_ZREC "  www: { steer: {} }\n");
	cfg = cfg_ok("anycast: { ipv6: \"2001:db8::1\" }\nzones: [z.yaml]\n");
	ck_assert_int_eq(cfg->server.mode, STEER_MODE_ANYCAST);
	ck_assert_ptr_nonnull(zone_find(cfg->zones.zones[0], N("www.geo.test."))->steer);
	config_free(cfg);
}
END_TEST

/* The example in anycast_conf.h's header comment loads as documented. */
START_TEST(ok_header_example)
{
	struct config *cfg = cfg_ok(
		"anycast:\n"
		"  ipv4: 198.51.100.1\n"
		"  ipv6: \"2001:db8:100::1\"\n"
		"  bgp:\n"
		"    local_as: 65001\n"
		"    router_id: 10.0.0.1\n"
		"    hold_time: 9\n"
		"    prefix4: 198.51.100.0/24\n"
		"    prefix6: \"2001:db8:100::/48\"\n"
		"    peers:\n"
		"      - { address: 10.0.0.2, as: 64512, password: s3cret, prepend: 1,\n"
		"          next_hop: self, med: 10, communities: [\"65001:100\"],\n"
		"          large_communities: [\"65001:1:2\"], passive: false }\n"
		"  health:\n"
		"    self_check: { name: www.example.test, type: A }\n"
		"    checks: [ {type: tcp, port: 443, address: 127.0.0.1} ]\n"
		"    interval: 1\n"
		"    fast_interval: 0.2\n"
		"    rise: 3\n"
		"    fall: 2\n"
		"    drain_file: /run/steerdns/drain\n"
		"  linger: 2\n"
		"  on_announce: \"birdc enable anycast\"\n"
		"  on_withdraw: \"birdc disable anycast\"\n");
	ck_assert_uint_eq(cfg->anycast->bgp.peers[0].prepend, 1);
	ck_assert_uint_eq(cfg->anycast->checks[0].timeout_ms, 200);
	config_free(cfg);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("anycast_config");
	TCase *tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, err_table, 0, (int)(sizeof(err_cases) / sizeof(err_cases[0])));
	tcase_add_test(tc, err_steer_modes);
	suite_add_tcase(s, tc);
	tc = tcase_create("ok");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ok_defaults);
	tcase_add_test(tc, ok_full);
	tcase_add_test(tc, ok_bgp_defaults);
	tcase_add_test(tc, ok_steer_mixed);
	tcase_add_test(tc, ok_header_example);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
