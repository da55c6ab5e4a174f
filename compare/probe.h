/*
 * probe.h: `steerdns probe`, run by operators at a vantage point (VP).
 *
 *   steerdns probe -c CONFIG [--name VP] [--vp-addr ADDR]
 *       [--resolver ADDR[:PORT]] [--geodns-server ADDR[:PORT]] [--geo-name NAME]
 *       [--anycast ADDR[:PORT]] [--port N] [-k N] [--timeout MS]
 *       [--subnet PREFIX] [--out FILE]
 *
 * Measures, as the arguments ask: which PoP the VP's resolver's answer for
 * the geo name points to; which PoP the GeoDNS server answers for the VP's
 * own subnet sent as ECS, and the scope; which PoP the anycast address
 * reaches (NSID); the median RTT of k DNS queries to every PoP's unicast
 * address and to the anycast address. Writes one JSON line (format in
 * compare/formats.md) to stdout or appends it to --out.
 */
#ifndef STEERDNS_PROBE_H
#define STEERDNS_PROBE_H

#include <netinet/in.h>

struct geo_config;
struct pop;

/*
 * The command. argv[0] is "probe"; argv[1..] are its options. Returns the
 * exit status: 0 done (unreachable targets are data, not failures), 1 the
 * config cannot be loaded or the output not written, 2 usage error.
 */
int probe_main(int argc, char **argv);

/* The PoP (of geo, may be NULL) with unicast IPv4 address a, or NULL. */
const struct pop *probe_pop_by_v4(const struct geo_config *geo, const struct in_addr *a);

/* The PoP whose identity (`identity:`, default its name) equals the NSID
 * text, or NULL. */
const struct pop *probe_pop_by_nsid(const struct geo_config *geo, const char *nsid);

#endif
