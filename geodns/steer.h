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
#include "common/steer_method.h"
#include "common/zone.h"
#include "geodns/geo_compile.h"

/* The client (struct steer_client) and STEER_MAX_RR are the steering
 * interface's (common/steer_method.h); geodns/geodns_method.c binds these
 * functions to it. */

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
	struct rdata *rr;     /* the caller's STEER_MAX_RR entries */
	unsigned n;
	const struct pop *first;  /* the first PoP answered, NULL none */
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
