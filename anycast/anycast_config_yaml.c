/*
 * anycast_config_yaml.c: the `anycast:` section; see anycast_config_yaml.h.
 *
 * As in geodns/geo_config_yaml.c, each mapping is first walked with a
 * schema table (unknown, duplicate and missing keys, integer ranges) and its
 * values are then read in a fixed order, because some depend on others: a
 * BGP prefix must contain the anycast address, health checks take their
 * pace from the health section.
 */
#include "anycast/anycast_config_yaml.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "anycast/anycast_schema.h"
#include "common/check_conf_yaml.h"
#include "common/rdata_text.h"
#include "common/yaml_values.h"
#include "common/zone.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

#define CHECK_TIMEOUT_MIN_MS 10
#define MAX_PEER_NAME 63

/* Everything a parser needs; errors go through E(). */
struct actx {
	struct ydoc *d;
	struct arena *a;
	const char *dir;
	struct anycast_conf *ac;
	char *err;
	size_t errlen;
};

#define E(c, n, ...) ydoc_err((c)->d, (n), (c)->err, (c)->errlen, __VA_ARGS__)

/* ---- small helpers ---- */

static yaml_node_t *get(struct actx *c, yaml_node_t *map, const char *key)
{
	return ydoc_map_get(c->d, map, key);
}

/* Optional integer key, range checked again with its row of table t;
 * absent: the row's default (*out untouched when it has none). */
static int get_u32_key(struct actx *c, yaml_node_t *map, const struct ydoc_table *t,
                       const char *key, uint32_t *out)
{
	return yv_u32_key(c->d, map, ydoc_table_key(t, key), out, c->err, c->errlen);
}

/* Seconds as milliseconds: the value or the default of key's row in t. */
static int get_ms(struct actx *c, yaml_node_t *map, const struct ydoc_table *t, const char *key,
                  unsigned *ms)
{
	return yv_seconds_key(c->d, map, ydoc_table_key(t, key), YV_EXPECT_SECONDS, ms, c->err,
	                      c->errlen);
}

static int get_bool(struct actx *c, yaml_node_t *n, const char *what, bool *out)
{
	return yv_bool(c->d, n, what, out, c->err, c->errlen);
}

static int get_text(struct actx *c, yaml_node_t *n, const char *what, size_t max,
                    const char **out)
{
	return yv_text(c->d, c->a, n, what, max, out, c->err, c->errlen);
}

static const char *resolve(struct actx *c, const char *rel)
{
	return yv_resolve(c->a, c->dir, rel);
}

/* ---- anycast addresses ---- */

static int parse_anycast_addr(struct actx *c, yaml_node_t *n, int af)
{
	const char *what = af == AF_INET ? "ipv4" : "ipv6";
	const char *s;
	uint8_t buf[16];
	if (yv_addr_af(c->d, n, what, af, buf, &s, c->err, c->errlen) < 0)
		return -1;
	if (af == AF_INET) {
		memcpy(&c->ac->v4, buf, 4);
		c->ac->has_v4 = true;
		return 0;
	}
	/* Answered in AAAA, where a v4-mapped address is useless to a client. */
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)buf))
		return E(c, n, "ipv6: '%s' is an IPv4-mapped address; use ipv4", s);
	memcpy(&c->ac->v6, buf, 16);
	c->ac->has_v6 = true;
	return 0;
}

/* ---- bgp prefixes ---- */

static bool host_bits_clear(const uint8_t *a, unsigned alen, unsigned len)
{
	for (unsigned bit = len; bit < alen * 8; bit++)
		if (a[bit / 8] & (0x80u >> (bit % 8)))
			return false;
	return true;
}

static bool prefix_contains(const struct bgp_prefix *p, const uint8_t *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(p->addr, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return (p->addr[full] & mask) == (a[full] & mask);
}

/* prefix4 / prefix6: "addr/len" of the key's family, host bits clear,
 * containing the anycast address of that family when one is set. */
static int parse_prefix(struct actx *c, yaml_node_t *n, int af, struct bgp_prefix *out)
{
	const char *what = af == AF_INET ? "prefix4" : "prefix6";
	const char *fam = af == AF_INET ? "IPv4" : "IPv6";
	unsigned alen = af == AF_INET ? 4 : 16;
	const char *s;
	char host[INET6_ADDRSTRLEN + 1];
	uint8_t buf[16];
	uint32_t len;

	if (ydoc_expect_str(c->d, n, what, &s, c->err, c->errlen) < 0)
		return -1;
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : 0;
	if (!slash || hl == 0 || hl >= sizeof(host) || ydoc_parse_u32(slash + 1, &len) < 0)
		return E(c, n, "%s: bad prefix '%s' (expected %s address/length)", what, s, fam);
	memcpy(host, s, hl);
	host[hl] = 0;
	int got = yv_addr_parse(host, buf);
	if (got == 0)
		return E(c, n, "%s: bad prefix '%s' (expected %s address/length)", what, s, fam);
	if (got != af)
		return E(c, n, "%s: '%s' is not an %s prefix", what, s, fam);
	if (len > alen * 8)
		return E(c, n, "%s: prefix length %u out of range 0..%u", what, len, alen * 8);
	if (!host_bits_clear(buf, alen, len))
		return E(c, n, "%s: '%s' has host bits set beyond /%u", what, s, len);
	memset(out, 0, sizeof(*out));
	out->family = af;
	memcpy(out->addr, buf, alen);
	out->len = (uint8_t)len;

	/* Announcing a prefix that does not carry the address we answer
	 * would send every client to a route nobody announces. */
	const struct anycast_conf *ac = c->ac;
	if (af == AF_INET && ac->has_v4 && !prefix_contains(out, (const uint8_t *)&ac->v4)) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &ac->v4, a, sizeof(a));
		return E(c, n, "prefix4: %s does not contain the anycast ipv4 address %s", s, a);
	}
	if (af == AF_INET6 && ac->has_v6 && !prefix_contains(out, ac->v6.s6_addr)) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &ac->v6, a, sizeof(a));
		return E(c, n, "prefix6: %s does not contain the anycast ipv6 address %s", s, a);
	}
	return 0;
}

/* ---- bgp peers ---- */

/* A peer's integer key: its value, else its row's default. */
#define PEER_GET_U32(c, n, key, out) get_u32_key((c), (n), &anycast_peer_table, (key), (out))

/*
 * Peer address: "a.b.c.d", "a.b.c.d:port", "v6", "[v6]", "[v6]:port".
 * *port is left alone when the text has none. Returns the family or 0.
 */
static int parse_peer_addr(const char *s, uint8_t buf[16], uint32_t *port, bool *has_port)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s = NULL;
	size_t hl;
	*has_port = false;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return 0;
		hl = (size_t)(close - s - 1);
		if (hl >= sizeof(host))
			return 0;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1])
			return 0;
		if (inet_pton(AF_INET6, host, buf) != 1)
			return 0;
	} else {
		const char *colon = strchr(s, ':');
		if (colon && !strchr(colon + 1, ':')) {
			hl = (size_t)(colon - s);
			if (hl >= sizeof(host))
				return 0;
			memcpy(host, s, hl);
			host[hl] = 0;
			port_s = colon + 1;
			if (inet_pton(AF_INET, host, buf) != 1)
				return 0;
		} else {
			return yv_addr_parse(s, buf);
		}
	}
	if (port_s) {
		if (ydoc_parse_u32(port_s, port) < 0 || *port < 1 || *port > 65535)
			return 0;
		*has_port = true;
	}
	return s[0] == '[' ? AF_INET6 : AF_INET;
}

/* "a:b" with both parts 0..max; returns 0 or -1. */
static int parse_comm_parts(const char *s, unsigned nparts, uint32_t max, uint32_t *parts)
{
	char buf[64];
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	char *p = buf;
	for (unsigned i = 0; i < nparts; i++) {
		char *colon = strchr(p, ':');
		if ((i + 1 < nparts) != (colon != NULL))
			return -1;
		if (colon)
			*colon = 0;
		if (ydoc_parse_u32(p, &parts[i]) < 0 || parts[i] > max)
			return -1;
		p = colon ? colon + 1 : p;
	}
	return 0;
}

static int parse_communities(struct actx *c, yaml_node_t *n, struct bgp_peer_conf *p)
{
	unsigned cnt = (unsigned)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > BGP_MAX_COMMUNITIES)
		return E(c, n, "communities: more than %d", BGP_MAX_COMMUNITIES);
	for (unsigned i = 0; i < cnt; i++) {
		yaml_node_t *it = ydoc_node(c->d, n->data.sequence.items.start[i]);
		const char *s;
		uint32_t v[2];
		if (ydoc_expect_str(c->d, it, "communities", &s, c->err, c->errlen) < 0)
			return -1;
		if (parse_comm_parts(s, 2, 65535, v) < 0)
			return E(c, it, "communities: bad community '%s' (expected a:b, each 0..65535)",
			         s);
		uint32_t val = v[0] << 16 | v[1];
		for (unsigned j = 0; j < i; j++)
			if (p->communities[j] == val)
				return E(c, it, "communities: duplicate '%s'", s);
		p->communities[i] = val;
	}
	p->n_communities = cnt;
	return 0;
}

static int parse_lcommunities(struct actx *c, yaml_node_t *n, struct bgp_peer_conf *p)
{
	unsigned cnt = (unsigned)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > BGP_MAX_LCOMMUNITIES)
		return E(c, n, "large_communities: more than %d", BGP_MAX_LCOMMUNITIES);
	for (unsigned i = 0; i < cnt; i++) {
		yaml_node_t *it = ydoc_node(c->d, n->data.sequence.items.start[i]);
		const char *s;
		uint32_t v[3];
		if (ydoc_expect_str(c->d, it, "large_communities", &s, c->err, c->errlen) < 0)
			return -1;
		if (parse_comm_parts(s, 3, UINT32_MAX, v) < 0)
			return E(c, it, "large_communities: bad large community '%s' (expected a:b:c, "
			         "each 0..4294967295)", s);
		struct bgp_lcomm lc = { v[0], v[1], v[2] };
		for (unsigned j = 0; j < i; j++)
			if (memcmp(&p->lcommunities[j], &lc, sizeof(lc)) == 0)
				return E(c, it, "large_communities: duplicate '%s'", s);
		p->lcommunities[i] = lc;
	}
	p->n_lcommunities = cnt;
	return 0;
}

/* next_hop: "self", an address, or a list of at most one per family. */
static int parse_next_hop(struct actx *c, yaml_node_t *n, struct bgp_peer_conf *p)
{
	yaml_node_t *one[1] = { n };
	yaml_node_t **items = one;
	size_t cnt = 1;
	if (n->type == YAML_MAPPING_NODE)
		return E(c, n, "next_hop: expected self, an address or a list of addresses");
	if (n->type == YAML_SEQUENCE_NODE) {
		cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
		if (cnt == 0 || cnt > 2)
			return E(c, n, "next_hop: expected one or two addresses (one per family)");
		items = arena_alloc(c->a, cnt * sizeof(*items));
		for (size_t i = 0; i < cnt; i++)
			items[i] = ydoc_node(c->d, n->data.sequence.items.start[i]);
	}
	for (size_t i = 0; i < cnt; i++) {
		const char *s;
		uint8_t buf[16];
		if (ydoc_expect_str(c->d, items[i], "next_hop", &s, c->err, c->errlen) < 0)
			return -1;
		if (strcmp(s, "self") == 0) {
			if (cnt > 1)
				return E(c, items[i], "next_hop: 'self' cannot be listed with addresses");
			continue;  /* the default: has_nh4/has_nh6 stay false */
		}
		int af = yv_addr_parse(s, buf);
		if (af == 0)
			return E(c, items[i], "next_hop: bad next hop '%s' (expected self or an IP "
			         "address)", s);
		if (af == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)buf))
			return E(c, items[i], "next_hop: '%s' is an IPv4-mapped address", s);
		if ((af == AF_INET && p->has_nh4) || (af == AF_INET6 && p->has_nh6))
			return E(c, items[i], "next_hop: two %s next hops", af == AF_INET ? "IPv4" : "IPv6");
		if (af == AF_INET) {
			memcpy(&p->nh4, buf, 4);
			p->has_nh4 = true;
		} else {
			memcpy(&p->nh6, buf, 16);
			p->has_nh6 = true;
		}
	}
	return 0;
}

/* Normalised "addr" / "[v6]" plus ":port" when it is not 179, for logs. */
static void peer_text_of(const struct sockaddr_storage *ss, char *t, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	uint16_t port;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sa = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &sa->sin_addr, a, sizeof(a));
		port = ntohs(sa->sin_port);
		if (port == BGP_PORT)
			snprintf(t, len, "%s", a);
		else
			snprintf(t, len, "%s:%u", a, port);
	} else {
		const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &sa->sin6_addr, a, sizeof(a));
		port = ntohs(sa->sin6_port);
		if (port == BGP_PORT)
			snprintf(t, len, "%s", a);
		else
			snprintf(t, len, "[%s]:%u", a, port);
	}
}

static const char *peer_text(struct actx *c, const struct bgp_peer_conf *p)
{
	char t[INET6_ADDRSTRLEN + 10];
	peer_text_of(&p->addr, t, sizeof(t));
	return arena_strdup(c->a, t);
}

int anycast_peer_name(const char *address, const char *port, char *buf, size_t len)
{
	uint8_t a[16];
	uint32_t pt = BGP_PORT;
	bool has_port;
	int af = parse_peer_addr(address, a, &pt, &has_port);
	if (af == 0 || (*port && ydoc_parse_u32(port, &pt) < 0))
		return -1;
	struct sockaddr_storage ss;
	socklen_t sl;
	yv_set_sockaddr(&ss, &sl, af, a, (uint16_t)pt);
	peer_text_of(&ss, buf, len);
	return 0;
}

bool anycast_peer_has_port(const char *address)
{
	uint8_t a[16];
	uint32_t pt;
	bool has_port = false;
	return parse_peer_addr(address, a, &pt, &has_port) != 0 && has_port;
}

static int parse_peer(struct actx *c, yaml_node_t *n, struct bgp_peer_conf *p)
{
	yaml_node_t *v;
	uint32_t u;

	if (ydoc_walk_table(c->d, n, &anycast_peer_table, NULL, c->err, c->errlen) < 0)
		return -1;
	bgp_peer_conf_defaults(p);

	/* address and port */
	v = get(c, n, "address");
	const char *s = ydoc_scalar(v);
	uint8_t buf[16];
	uint32_t port = BGP_PORT;
	bool has_port;
	int af = parse_peer_addr(s, buf, &port, &has_port);
	if (af == 0)
		return E(c, v, "address: bad peer address '%s' (expected IP, IPv4:port or "
		         "[IPv6]:port)", s);
	if (af == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)buf))
		return E(c, v, "address: '%s' is an IPv4-mapped address; write it as IPv4", s);
	yaml_node_t *pn = get(c, n, "port");
	if (pn) {
		if (has_port)
			return E(c, pn, "port: the address already has a port");
		if (PEER_GET_U32(c, n, "port", &port) < 0)
			return -1;
	}
	yv_set_sockaddr(&p->addr, &p->addrlen, af, buf, (uint16_t)port);

	if (PEER_GET_U32(c, n, "as", &p->remote_as) < 0)
		return -1;

	if ((v = get(c, n, "local_address"))) {
		uint8_t lb[16];
		s = ydoc_scalar(v);
		int laf = yv_addr_parse(s, lb);
		if (laf == 0)
			return E(c, v, "local_address: bad IP address '%s'", s);
		if (laf != af)
			return E(c, v, "local_address: '%s' is not of the peer address's family", s);
		yv_set_sockaddr(&p->local, &p->local_len, laf, lb, 0);
	}

	bool passive_set = false;
	if ((v = get(c, n, "passive"))) {
		if (get_bool(c, v, "passive", &p->passive) < 0)
			return -1;
		passive_set = true;
	}
	if ((v = get(c, n, "passive_only"))) {
		if (get_bool(c, v, "passive_only", &p->passive_only) < 0)
			return -1;
		/* Waiting for the peer without accepting its connection
		 * would never come up. */
		if (p->passive_only && passive_set && !p->passive)
			return E(c, v, "passive_only: contradicts passive: false");
		if (p->passive_only)
			p->passive = true;
	}

	if ((v = get(c, n, "password"))) {
		s = ydoc_scalar(v);
		if (!*s)
			return E(c, v, "password: must not be empty");
		if (strlen(s) > BGP_PASSWORD_MAX)
			return E(c, v, "password: longer than %d bytes (the TCP MD5 key limit)",
			         BGP_PASSWORD_MAX);
		p->password = arena_strdup(c->a, s);
	}
	if (PEER_GET_U32(c, n, "prepend", &u) < 0)
		return -1;
	p->prepend = u;

	if ((v = get(c, n, "next_hop")) && parse_next_hop(c, v, p) < 0)
		return -1;
	if ((v = get(c, n, "next_hop6_link_local"))) {
		s = ydoc_scalar(v);
		if (inet_pton(AF_INET6, s, &p->nh6_ll) != 1 || !IN6_IS_ADDR_LINKLOCAL(&p->nh6_ll))
			return E(c, v, "next_hop6_link_local: '%s' is not an IPv6 link-local address", s);
		if (af != AF_INET6)
			return E(c, v, "next_hop6_link_local: only for IPv6 peers");
		p->has_nh6_ll = true;
	}

	if ((v = get(c, n, "med"))) {
		if (PEER_GET_U32(c, n, "med", &p->med) < 0)
			return -1;
		p->has_med = true;
	}
	if (PEER_GET_U32(c, n, "local_pref", &p->local_pref) < 0)
		return -1;
	if ((v = get(c, n, "communities")) && parse_communities(c, v, p) < 0)
		return -1;
	if ((v = get(c, n, "large_communities")) && parse_lcommunities(c, v, p) < 0)
		return -1;

	if ((v = get(c, n, "name"))) {
		if (get_text(c, v, "name", MAX_PEER_NAME, &p->name) < 0)
			return -1;
	} else {
		p->name = peer_text(c, p);
	}
	return 0;
}

static bool same_peer(const struct bgp_peer_conf *a, const struct bgp_peer_conf *b)
{
	return a->addrlen == b->addrlen && memcmp(&a->addr, &b->addr, a->addrlen) == 0;
}

static int parse_peers(struct actx *c, yaml_node_t *n, struct bgp_conf *b)
{
	unsigned cnt = (unsigned)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt == 0)
		return E(c, n, "peers: empty list");
	if (cnt > ANYCAST_MAX_PEERS)
		return E(c, n, "peers: more than %d peers", ANYCAST_MAX_PEERS);
	b->peers = arena_alloc(c->a, cnt * sizeof(*b->peers));
	for (unsigned i = 0; i < cnt; i++) {
		yaml_node_t *it = ydoc_node(c->d, n->data.sequence.items.start[i]);
		if (parse_peer(c, it, &b->peers[i]) < 0)
			return -1;
		for (unsigned j = 0; j < i; j++) {
			if (same_peer(&b->peers[j], &b->peers[i]))
				return E(c, get(c, it, "address"), "address: duplicate peer %s",
				         ydoc_scalar(get(c, it, "address")));
			if (strcmp(b->peers[j].name, b->peers[i].name) == 0)
				return E(c, get(c, it, "name") ? get(c, it, "name") : it,
				         "name: duplicate peer name '%s'", b->peers[i].name);
		}
	}
	b->n_peers = cnt;
	return 0;
}

/* ---- bgp ---- */

static int parse_bgp(struct actx *c, yaml_node_t *n)
{
	struct bgp_conf *b = &c->ac->bgp;
	yaml_node_t *v;
	uint32_t u;

	if (ydoc_walk_table(c->d, n, &anycast_bgp_table, NULL, c->err, c->errlen) < 0)
		return -1;
	bgp_conf_defaults(b);
	if (get_u32_key(c, n, &anycast_bgp_table, "local_as", &b->local_as) < 0)
		return -1;

	v = get(c, n, "router_id");
	struct in_addr rid;
	if (inet_pton(AF_INET, ydoc_scalar(v), &rid) != 1)
		return E(c, v, "router_id: expected an IPv4 address (dotted quad), got '%s'",
		         ydoc_scalar(v));
	if (rid.s_addr == 0)
		return E(c, v, "router_id: must not be 0.0.0.0 (RFC 6286)");
	b->router_id = ntohl(rid.s_addr);

	if (get_u32_key(c, n, &anycast_bgp_table, "hold_time", &u) < 0)
		return -1;
	/* RFC 4271 4.2: the Hold Time MUST be either zero or at least three
	 * seconds. */
	if (u == 1 || u == 2)
		return E(c, get(c, n, "hold_time"), "hold_time: %u must be 0 or at least 3 (RFC 4271 "
		         "4.2)", u);
	b->hold_time = u;

	yaml_node_t *p4 = get(c, n, "prefix4"), *p6 = get(c, n, "prefix6");
	if (!p4 && !p6)
		return E(c, n, "bgp: needs prefix4 or prefix6 to announce");
	if (p4 && parse_prefix(c, p4, AF_INET, &b->v4) < 0)
		return -1;
	if (p6 && parse_prefix(c, p6, AF_INET6, &b->v6) < 0)
		return -1;

	if ((v = get(c, n, "graceful_restart")) &&
	    get_bool(c, v, "graceful_restart", &b->graceful_restart) < 0)
		return -1;

	/* The rows' defaults, also without a backoff mapping. */
	v = get(c, n, "backoff");
	if (v && ydoc_walk_table(c->d, v, &anycast_backoff_table, NULL, c->err, c->errlen) < 0)
		return -1;
	if (get_ms(c, v, &anycast_backoff_table, "min", &b->backoff_min_ms) < 0 ||
	    get_ms(c, v, &anycast_backoff_table, "max", &b->backoff_max_ms) < 0)
		return -1;
	if (v && b->backoff_min_ms > b->backoff_max_ms)
		return E(c, v, "backoff: min %g s is greater than max %g s",
		         b->backoff_min_ms / 1000.0, b->backoff_max_ms / 1000.0);

	if (parse_peers(c, get(c, n, "peers"), b) < 0)
		return -1;
	c->ac->has_bgp = true;
	return 0;
}

/* ---- health ---- */

/*
 * Checks on the local service. Their pace (interval, rise, fall) is the
 * health section's, so those keys are not accepted per check; each gets
 * the section's values copied in. A check must finish before the next one
 * starts, also at the fast pace. The address is loopback unless given.
 */
static int parse_check(struct actx *c, yaml_node_t *n, struct check_conf *ck)
{
	static const uint8_t loopback[4] = { 127, 0, 0, 1 };
	const struct anycast_conf *ac = c->ac;
	struct check_yaml_opts o = {
		.pace_keys = false,
		.interval_ms = ac->interval_ms, .rise = ac->rise, .fall = ac->fall,
		.pace_ms = ac->fast_interval_ms < ac->interval_ms ? ac->fast_interval_ms
		                                                  : ac->interval_ms,
		.seconds_expect = YV_EXPECT_SECONDS,
		.default_af = AF_INET,   /* the address row's default (loopback) applies */
		.default_addr = loopback,
		.dir = c->dir,
		.a = c->a,
	};
	return check_conf_from_yaml(c->d, n, &o, ck, c->err, c->errlen);
}

static int parse_health(struct actx *c, yaml_node_t *n)
{
	struct anycast_conf *ac = c->ac;
	yaml_node_t *v;
	uint32_t u;

	if (ydoc_walk_table(c->d, n, &anycast_health_table, NULL, c->err, c->errlen) < 0)
		return -1;
	const struct ydoc_table *ht = &anycast_health_table;
	if (get_ms(c, n, ht, "interval", &ac->interval_ms) < 0)
		return -1;
	if ((v = get(c, n, "fast_interval"))) {
		if (get_ms(c, n, ht, "fast_interval", &ac->fast_interval_ms) < 0)
			return -1;
		if (ac->fast_interval_ms > ac->interval_ms)
			return E(c, v, "fast_interval: %g s is longer than the interval (%g s)",
			         ac->fast_interval_ms / 1000.0, ac->interval_ms / 1000.0);
	} else if (ac->fast_interval_ms > ac->interval_ms) {
		ac->fast_interval_ms = ac->interval_ms;  /* a short interval is fast already */
	}
	if (get_u32_key(c, n, ht, "rise", &u) < 0)
		return -1;
	ac->rise = u;
	if (get_u32_key(c, n, ht, "fall", &u) < 0)
		return -1;
	ac->fall = u;

	if ((v = get(c, n, "self_check"))) {
		if (ydoc_walk_table(c->d, v, &anycast_self_table, NULL, c->err, c->errlen) < 0)
			return -1;
		if (yv_qname(c->d, c->a, get(c, v, "name"), "name", &ac->self_qname, c->err, c->errlen) < 0)
			return -1;
		yaml_node_t *t = get(c, v, "type");
		if (t && yv_qtype(c->d, t, "type", &ac->self_qtype, c->err, c->errlen) < 0)
			return -1;
	}
	if ((v = get(c, n, "checks"))) {
		size_t cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
		if (cnt == 0)
			return E(c, v, "checks: empty list");
		if (cnt > ANYCAST_MAX_CHECKS)
			return E(c, v, "checks: more than %d checks", ANYCAST_MAX_CHECKS);
		ac->checks = arena_alloc(c->a, cnt * sizeof(*ac->checks));
		for (size_t i = 0; i < cnt; i++)
			if (parse_check(c, ydoc_node(c->d, v->data.sequence.items.start[i]),
			                &ac->checks[i]) < 0)
				return -1;
		ac->n_checks = cnt;
	}
	if ((v = get(c, n, "drain_file"))) {
		const char *s = ydoc_scalar(v);
		if (!*s)
			return E(c, v, "drain_file: must not be empty");
		ac->drain_file = resolve(c, s);
	}
	return 0;
}

/* ---- the section ---- */

#define MAX_COMMAND 4096

int anycast_config_from_yaml(struct ydoc *d, yaml_node_t *n, struct arena *a, const char *dir,
                             struct anycast_conf **out, char *err, size_t errlen)
{
	struct actx c = { .d = d, .a = a, .dir = dir ? dir : "", .err = err, .errlen = errlen };
	yaml_node_t *v;

	*out = NULL;
	if (ydoc_walk_table(d, n, &anycast_table, NULL, err, errlen) < 0)
		return -1;
	struct anycast_conf *ac = arena_alloc(a, sizeof(*ac));
	c.ac = ac;
	ac->self_qtype = (uint16_t)rr_type_from_name(ydoc_table_key(&anycast_self_table, "type")->def);
	/* The health and linger defaults (rows), for a section without them. */
	uint32_t u = 0;
	ac->fast_interval_ms = ANYCAST_FAST_INTERVAL_DEFAULT_MS;
	if (get_ms(&c, NULL, &anycast_health_table, "interval", &ac->interval_ms) < 0 ||
	    get_u32_key(&c, NULL, &anycast_health_table, "rise", &u) < 0)
		return -1;
	ac->rise = u;
	if (get_u32_key(&c, NULL, &anycast_health_table, "fall", &u) < 0)
		return -1;
	ac->fall = u;
	if (ac->fast_interval_ms > ac->interval_ms)
		ac->fast_interval_ms = ac->interval_ms;
	bgp_conf_defaults(&ac->bgp);

	/* Addresses first: the BGP prefixes are checked against them. */
	if ((v = get(&c, n, "ipv4")) && parse_anycast_addr(&c, v, AF_INET) < 0)
		return -1;
	if ((v = get(&c, n, "ipv6")) && parse_anycast_addr(&c, v, AF_INET6) < 0)
		return -1;
	if ((v = get(&c, n, "bgp")) && parse_bgp(&c, v) < 0)
		return -1;
	if ((v = get(&c, n, "health")) && parse_health(&c, v) < 0)
		return -1;
	if (get_ms(&c, n, &anycast_table, "linger", &ac->linger_ms) < 0)
		return -1;
	if ((v = get(&c, n, "on_announce")) &&
	    get_text(&c, v, "on_announce", MAX_COMMAND, &ac->on_announce) < 0)
		return -1;
	if ((v = get(&c, n, "on_withdraw")) &&
	    get_text(&c, v, "on_withdraw", MAX_COMMAND, &ac->on_withdraw) < 0)
		return -1;
	*out = ac;
	return 0;
}
