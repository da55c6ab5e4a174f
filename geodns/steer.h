/*
 * steer.h: the answer for a steered name (GeoDNS): which client address to
 * locate, which PoPs it gets, and the ECS scope to return.
 *
 * Runs on the answer path: no allocation, no lock, no libmaxminddb call.
 * Results point into the compiled config (PoP addresses) and stay valid as
 * long as the config snapshot does.
 */
#ifndef STEERDNS_STEER_H
#define STEERDNS_STEER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/query_ctx.h"
#include "common/zone.h"
#include "geodns/geo_compile.h"

/* Most addresses one steered answer carries (answers: N PoPs x their addresses). */
#define STEER_MAX_RR 64

/* The client as GeoDNS sees it. */
struct steer_client {
	uint8_t addr[16];     /* IPv6, IPv4 as ::ffff:a.b.c.d */
	bool is_v4;
	bool from_ecs;        /* located by the ECS subnet (else: the resolver) */
	bool ecs_v6;          /* the ECS option is family 2, also when the address
	                       * is v4-mapped: its scope counts in 128 bits */
	uint8_t source;       /* ECS source prefix length used (family-relative) */
};

/*
 * Pick the address to locate (RFC 7871 7.1.1): the ECS subnet when the
 * query has one with a non-zero source prefix, the resolver is trusted to
 * send it, and the subnet is public; else the resolver's own address.
 * Returns false when there is no usable address at all.
 */
bool steer_client(const struct geo_config *conf, const struct query_ctx *q, struct steer_client *out);

/* True for loopback, RFC 1918, link-local, CGNAT, ULA, multicast,
 * unspecified and other non-routable addresses (addr16 as above). */
bool steer_addr_private(const uint8_t addr16[16]);

struct steer_result {
	struct rdata rr[STEER_MAX_RR];
	unsigned n;
	uint8_t scope;        /* ECS scope to return when the client came from ECS */
	uint32_t decision;    /* PoP list used */
	bool failed_open;     /* every PoP in the list was down: all treated as up */
};

/*
 * Answer qtype (A or AAAA) at a name steered by sr for client c: the
 * addresses of the first sr->answers healthy PoPs of the client's list
 * that have addresses of that family (skipping down and drained PoPs,
 * or none of them when every one is down: fail open).
 */
void steer_answer(const struct geo_compiled *gc, const struct steer_rec *sr,
                  const struct steer_client *c, uint16_t qtype, struct steer_result *res);

#endif
