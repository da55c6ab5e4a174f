/*
 * anycast_conf.h: the `anycast:` section of the main config, data only.
 *
 *   anycast:
 *     ipv4: 198.51.100.1            # answered for steered names in anycast mode
 *     ipv6: "2001:db8:100::1"
 *     bgp:                          # optional: announce while healthy
 *       local_as: 65001
 *       router_id: 10.0.0.1
 *       hold_time: 9
 *       prefix4: 198.51.100.0/24
 *       prefix6: "2001:db8:100::/48"
 *       peers:
 *         - { address: 10.0.0.2, as: 64512, password: s3cret, prepend: 1,
 *             next_hop: self, med: 10, communities: ["65001:100"],
 *             large_communities: ["65001:1:2"], passive: false }
 *     health:
 *       self_check: { name: www.example.test, type: A }   # real query to our own listener
 *       checks: [ {type: tcp, port: 443, address: 127.0.0.1} ]  # optional, on the local service
 *       interval: 1                 # seconds between checks when stable
 *       fast_interval: 0.2          # while the state is changing
 *       rise: 3
 *       fall: 2
 *       drain_file: /run/steerdns/drain   # exists => withdraw (maintenance)
 *     linger: 2                     # seconds of DNS after the SIGTERM withdraw
 *     on_announce: "birdc enable anycast"   # optional shell commands
 *     on_withdraw: "birdc disable anycast"
 *
 * Everything lives in the owning config's arena and is immutable after
 * loading; the announcer copies what must outlive a reload.
 */
#ifndef STEERDNS_ANYCAST_CONF_H
#define STEERDNS_ANYCAST_CONF_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anycast/bgp_conf.h"
#include "common/check_conf.h"

struct anycast_conf {
	bool has_v4, has_v6;
	struct in_addr v4;               /* the anycast A answer */
	struct in6_addr v6;              /* the anycast AAAA answer */

	bool has_bgp;
	struct bgp_conf bgp;             /* peers in the config arena */

	/* Health that gates the announcement. */
	const char *self_qname;          /* presentation form; NULL = no self check */
	uint16_t self_qtype;             /* default A */
	struct check_conf *checks;       /* extra checks on the local service */
	size_t n_checks;
	unsigned interval_ms;            /* default 1000 */
	unsigned fast_interval_ms;       /* default 200: while rising or falling */
	unsigned rise, fall;             /* defaults 3 and 2 */
	const char *drain_file;          /* NULL = none */

	unsigned linger_ms;              /* default 2000 */
	const char *on_announce;         /* /bin/sh -c command, or NULL */
	const char *on_withdraw;
};

#endif
