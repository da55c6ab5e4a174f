/*
 * anycast_schema.c: the keys of the `anycast:` section; see
 * anycast_schema.h.
 */
#include "anycast/anycast_schema.h"

#include <stdio.h>

#include "anycast/anycast_config_yaml.h"
#include "anycast/bgp_conf.h"
#include "common/check_conf_yaml.h"
#include "common/conf_schema.h"
#include "common/yaml_values.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* --- bgp --- */

/* A peer's name defaults to its address (with the port when not 179). */
static bool def_peer_name(const struct ydoc_penv *e, char *buf, size_t len)
{
	char addr[128], port[16];
	if (!ydoc_penv_value(e, 0, "address", addr, sizeof(addr)))
		return false;
	if (!ydoc_penv_value(e, 0, "port", port, sizeof(port)))
		port[0] = 0;
	return anycast_peer_name(addr, port, buf, len) == 0;
}

/* The port key defaults to 179 unless the address carries one. */
static bool def_peer_port(const struct ydoc_penv *e, char *buf, size_t len)
{
	char addr[128];
	if (ydoc_penv_value(e, 0, "address", addr, sizeof(addr)) && anycast_peer_has_port(addr))
		return false;
	snprintf(buf, len, "%d", BGP_PORT);
	return true;
}

/* passive_only implies passive. */
static bool def_passive(const struct ydoc_penv *e, char *buf, size_t len)
{
	char po[16];
	bool only = ydoc_penv_value(e, 0, "passive_only", po, sizeof(po)) && yv_bool_text(po) == 1;
	snprintf(buf, len, "%s", only ? "true" : "false");
	return true;
}

static const struct ydoc_key peer_keys[] = {
	{ .key = "address", .kind = YK_STR, .required = true,
	  .doc = "the peer: IP, IPv4:port or [IPv6]:port" },
	{ .key = "as", .kind = YK_UINT, .lo = 1, .hi = UINT32_MAX, .required = true,
	  .doc = "its AS: eBGP when it differs from local_as, else iBGP" },
	{ .key = "port", .kind = YK_UINT, .lo = 1, .hi = 65535,
	  .def = STR(BGP_PORT) ", unless the address has one", .defprint = def_peer_port,
	  .doc = "its port (when the address has none)" },
	{ .key = "name", .kind = YK_STR, .def = "the address", .defprint = def_peer_name,
	  .doc = "for logs, at most 63 bytes" },
	{ .key = "local_address", .kind = YK_STR,
	  .doc = "our source address, of the peer's family; absent: the kernel's choice" },
	{ .key = "passive", .kind = YK_BOOL, .def = "false (true with passive_only)",
	  .defprint = def_passive, .doc = "also accept the peer's connections" },
	{ .key = "passive_only", .kind = YK_BOOL, .def = "false",
	  .doc = "never connect out; wait for the peer (implies passive)" },
	{ .key = "password", .kind = YK_STR,
	  .doc = "TCP MD5 key (RFC 2385), at most 80 bytes; absent: none" },
	{ .key = "prepend", .kind = YK_UINT, .lo = 0, .hi = BGP_MAX_PREPEND, .def = "0",
	  .doc = "extra copies of our AS in the AS_PATH (eBGP)" },
	{ .key = "next_hop", .kind = YK_ANY, .def = "self", .type = "self, address or list",
	  .doc = "NEXT_HOP: self (the session's local address) or one address per family" },
	{ .key = "next_hop6_link_local", .kind = YK_STR,
	  .doc = "IPv6 link-local next hop (IPv6 peers); absent: ours when on the peer's subnet" },
	{ .key = "med", .kind = YK_UINT, .lo = 0, .hi = UINT32_MAX,
	  .doc = "MULTI_EXIT_DISC; absent: not sent" },
	{ .key = "local_pref", .kind = YK_UINT, .lo = 0, .hi = UINT32_MAX,
	  .def = STR(BGP_LOCAL_PREF_DEFAULT), .doc = "LOCAL_PREF (iBGP only)" },
	{ .key = "communities", .kind = YK_SEQ, .def = "[]", .type = "list of a:b",
	  .doc = "RFC 1997 communities, each part 0..65535" },
	{ .key = "large_communities", .kind = YK_SEQ, .def = "[]", .type = "list of a:b:c",
	  .doc = "RFC 8092 large communities" },
};
const struct ydoc_table anycast_peer_table = YDOC_TABLE("peer", peer_keys);

static const struct ydoc_key backoff_keys[] = {
	{ .key = "min", .kind = YK_SECONDS, .lo = 100, .hi = 3600000,
	  .def = STR(BGP_BACKOFF_MIN_DEFAULT_S),
	  .doc = "first reconnect delay, doubled per failure" },
	{ .key = "max", .kind = YK_SECONDS, .lo = 100, .hi = 3600000,
	  .def = STR(BGP_BACKOFF_MAX_DEFAULT_S),
	  .doc = "longest reconnect delay" },
};
const struct ydoc_table anycast_backoff_table = YDOC_TABLE("backoff", backoff_keys);

static const struct ydoc_key bgp_keys[] = {
	{ .key = "local_as", .kind = YK_UINT, .lo = 1, .hi = UINT32_MAX, .required = true,
	  .doc = "our AS (4-octet)" },
	{ .key = "router_id", .kind = YK_STR, .required = true,
	  .doc = "BGP identifier: an IPv4 address, not 0.0.0.0" },
	{ .key = "hold_time", .kind = YK_UINT, .lo = 0, .hi = 65535, .def = STR(BGP_HOLD_DEFAULT),
	  .doc = "seconds: 0 or at least 3; keepalives every third" },
	{ .key = "prefix4", .kind = YK_STR,
	  .doc = "IPv4 prefix to announce; contains anycast ipv4 (prefix4 or prefix6 needed)" },
	{ .key = "prefix6", .kind = YK_STR, .doc = "IPv6 prefix to announce; contains anycast ipv6" },
	{ .key = "graceful_restart", .kind = YK_BOOL, .def = "false",
	  .doc = "send the capability with no address families, so peers never keep our route" },
	{ .key = "backoff", .kind = YK_MAP, .sub = &anycast_backoff_table, .flags = YF_IMPLIED,
	  .doc = "reconnect delays in seconds" },
	{ .key = "peers", .kind = YK_SEQ, .required = true, .flags = YF_ENTRIES,
	  .sub = &anycast_peer_table, .doc = "the BGP sessions, at most 64" },
};
const struct ydoc_table anycast_bgp_table = YDOC_TABLE("bgp", bgp_keys);

/* --- health --- */

/* The fast pace cannot be slower than the stable one. */
static bool def_fast_interval(const struct ydoc_penv *e, char *buf, size_t len)
{
	double iv = ydoc_penv_number(e, 0, "interval", 0);
	double fast = ANYCAST_FAST_INTERVAL_DEFAULT_MS / 1000.0;
	conf_seconds_text(fast < iv ? fast : iv, buf, len);
	return true;
}

static const struct ydoc_key self_keys[] = {
	{ .key = "name", .kind = YK_STR, .required = true, .doc = "name to ask; up on NOERROR" },
	{ .key = "type", .kind = YK_STR, .def = "A", .type = "record type", .doc = "type to ask" },
};
const struct ydoc_table anycast_self_table = YDOC_TABLE("self_check", self_keys);

static const struct ydoc_key health_keys[] = {
	{ .key = "self_check", .kind = YK_MAP, .sub = &anycast_self_table,
	  .doc = "a real DNS query to our own first listen address; absent: none" },
	{ .key = "checks", .kind = YK_SEQ, .flags = YF_ENTRIES, .sub = &check_plain_table,
	  .doc = "checks on the local service, all must pass (at most 16); absent: none" },
	{ .key = "interval", .kind = YK_SECONDS, .lo = ANYCAST_INTERVAL_MIN_MS,
	  .hi = ANYCAST_INTERVAL_MAX_MS, .def = "1", .doc = "seconds between checks while stable" },
	{ .key = "fast_interval", .kind = YK_SECONDS, .lo = ANYCAST_INTERVAL_MIN_MS,
	  .hi = ANYCAST_INTERVAL_MAX_MS, .def = "0.2, at most the interval",
	  .defprint = def_fast_interval, .doc = "seconds between checks while the state changes" },
	{ .key = "rise", .kind = YK_UINT, .lo = 1, .hi = 100, .def = "3",
	  .doc = "successes in a row before announcing" },
	{ .key = "fall", .kind = YK_UINT, .lo = 1, .hi = 100, .def = "2",
	  .doc = "failures in a row before withdrawing" },
	{ .key = "drain_file", .kind = YK_STR, .flags = YF_PATH,
	  .doc = "while this file exists the prefix is withdrawn; absent: none" },
};
const struct ydoc_table anycast_health_table = YDOC_TABLE("health", health_keys);

/* --- the section --- */

static const struct ydoc_key anycast_keys[] = {
	{ .key = "ipv4", .kind = YK_STR, .doc = "the address steered names answer for A" },
	{ .key = "ipv6", .kind = YK_STR, .doc = "the address steered names answer for AAAA" },
	{ .key = "bgp", .kind = YK_MAP, .sub = &anycast_bgp_table,
	  .doc = "announce the prefixes while healthy; absent: no BGP" },
	{ .key = "health", .kind = YK_MAP, .sub = &anycast_health_table, .flags = YF_IMPLIED,
	  .doc = "what gates the announcement" },
	{ .key = "linger", .kind = YK_SECONDS, .lo = 0, .hi = ANYCAST_LINGER_MAX_MS, .def = "2",
	  .doc = "seconds of DNS after the withdraw on SIGTERM" },
	{ .key = "on_announce", .kind = YK_STR,
	  .doc = "shell command run after each announcement; absent: none" },
	{ .key = "on_withdraw", .kind = YK_STR,
	  .doc = "shell command run after each withdrawal; absent: none" },
};
const struct ydoc_table anycast_table = YDOC_TABLE("anycast", anycast_keys);

const struct ydoc_key anycast_section_row = {
	.key = "anycast", .kind = YK_MAP, .sub = &anycast_table,
	.doc = "anycast mode: the anycast addresses, BGP and the health that gates it",
};
