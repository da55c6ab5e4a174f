/*
 * bgp_conf.h: the configuration of the announce-only BGP speaker (anycast
 * mode), as the config loader will fill it in. Data only, so the YAML code
 * and the speaker depend on this header and not on each other.
 *
 * Every pointer is borrowed: the config owns it (usually in its arena) and
 * must outlive the sessions built from it. bgp_conf_defaults() and
 * bgp_peer_conf_defaults() give the documented defaults.
 */
#ifndef STEERDNS_BGP_CONF_H
#define STEERDNS_BGP_CONF_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#define BGP_PORT                179
#define BGP_HOLD_DEFAULT        9      /* seconds; 0 (no keepalives) or >= 3 */
/* Reconnect backoff in seconds, as the schema rows (anycast_schema.c)
 * write them; bgp_conf_defaults() takes the same numbers in ms. */
#define BGP_BACKOFF_MIN_DEFAULT_S 1    /* first reconnect delay */
#define BGP_BACKOFF_MAX_DEFAULT_S 60   /* cap of the doubling */
#define BGP_LOCAL_PREF_DEFAULT  100
#define BGP_MAX_COMMUNITIES     32
#define BGP_MAX_LCOMMUNITIES    16
#define BGP_MAX_PREPEND         16
#define BGP_PASSWORD_MAX        80     /* TCP_MD5SIG_MAXKEYLEN */

/* One prefix to announce. family 0 = none configured. */
struct bgp_prefix {
	int family;          /* AF_INET, AF_INET6 or 0 */
	uint8_t addr[16];    /* network order; host bits zero */
	uint8_t len;         /* prefix length, <= 32 or <= 128 */
};

/* RFC 8092 large community "global:local1:local2". */
struct bgp_lcomm {
	uint32_t global, local1, local2;
};

struct bgp_peer_conf {
	const char *name;                 /* for logs; default the address */
	struct sockaddr_storage addr;     /* peer address and port (default 179) */
	socklen_t addrlen;
	uint32_t remote_as;               /* eBGP when != local_as, iBGP otherwise */
	struct sockaddr_storage local;    /* optional source address; ss_family 0 = any */
	socklen_t local_len;
	bool passive;                     /* accept connections from this peer */
	bool passive_only;                /* never connect out; wait for the peer */
	const char *password;             /* TCP MD5 (RFC 2385) key; NULL = none */
	unsigned prepend;                 /* extra copies of our AS (eBGP), 0..16 */
	/* NEXT_HOP: a family without a configured one uses "self", the
	 * local address of the TCP session (when it is of that family). */
	bool has_nh4, has_nh6, has_nh6_ll;
	struct in_addr nh4;               /* IPv4 next hop */
	struct in6_addr nh6;              /* IPv6 global next hop */
	struct in6_addr nh6_ll;           /* optional IPv6 link-local next hop */
	bool has_med;
	uint32_t med;                     /* MULTI_EXIT_DISC */
	uint32_t local_pref;              /* iBGP only; default 100 */
	uint32_t communities[BGP_MAX_COMMUNITIES];   /* RFC 1997, "asn<<16 | value" */
	unsigned n_communities;
	struct bgp_lcomm lcommunities[BGP_MAX_LCOMMUNITIES];  /* RFC 8092 */
	unsigned n_lcommunities;
};

struct bgp_conf {
	uint32_t local_as;                /* 4-octet AS (RFC 6793) */
	uint32_t router_id;               /* BGP identifier, host order, non-zero */
	unsigned hold_time;               /* seconds: 0 or >= 3; default 9 */
	bool graceful_restart;            /* send the GR capability, with NO address
	                                   * families (issue 4: peers would keep our
	                                   * route after we die otherwise) */
	struct bgp_prefix v4, v6;         /* what we announce; either may be absent */
	unsigned backoff_min_ms;          /* reconnect delay, doubled per failure */
	unsigned backoff_max_ms;          /* ... up to this */
	struct bgp_peer_conf *peers;      /* borrowed array */
	unsigned n_peers;
};

/* Fill *c with the defaults (no peers, no prefixes, hold 9 s). */
static inline void bgp_conf_defaults(struct bgp_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->hold_time = BGP_HOLD_DEFAULT;
	c->backoff_min_ms = BGP_BACKOFF_MIN_DEFAULT_S * 1000u;
	c->backoff_max_ms = BGP_BACKOFF_MAX_DEFAULT_S * 1000u;
}

/* Fill *p with the defaults (next hop self, LOCAL_PREF 100, no MED). */
static inline void bgp_peer_conf_defaults(struct bgp_peer_conf *p)
{
	memset(p, 0, sizeof(*p));
	p->local_pref = BGP_LOCAL_PREF_DEFAULT;
}

static inline bool bgp_peer_is_ebgp(const struct bgp_conf *c, const struct bgp_peer_conf *p)
{
	return c->local_as != p->remote_as;
}

#endif
