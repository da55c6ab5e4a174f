/*
 * rrl.h: response rate limiting for UDP, in the manner of BIND and Knot
 * DNS: an open authoritative server must not be a reflector that
 * amplifies a spoofed victim's traffic.
 *
 * Responses are accounted per (source prefix, response class, name) in
 * one table shared by every UDP reader. Each account is a token balance
 * credited `rate` per second up to `rate`, debited one per response, and
 * allowed down to -rate*window, so that a flood stays limited for up to
 * `window` seconds after it ends (BIND's window). A response that finds
 * the balance spent is over the limit: dropped, except every `slip`th,
 * which is sent truncated (TC, no records) so that a real client behind
 * the prefix retries over TCP, which is never limited. Queries with a
 * valid server cookie (their source is proven) and exempt networks are
 * never limited either; the caller decides those.
 *
 * The table is a fixed array of 64-bit words, each packing a 24-bit key
 * fingerprint, a 16-bit time in seconds and a 24-bit balance, updated
 * with one compare-and-swap: no lock, and no allocation after start. An
 * account whose slot is taken by another key starts afresh (full
 * balance), so collisions can only let through, never limit, a client.
 */
#ifndef STEERDNS_RRL_H
#define STEERDNS_RRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/netprefix.h"

/* The `rrl:` config section; off when absent. */
struct rrl_conf {
	bool enabled;
	uint32_t rate;           /* responses per second per account, 1..100000 */
	uint32_t slip;           /* 0: drop all over the limit; N: every Nth truncated; 1..100 */
	uint32_t window;         /* seconds, 1..60 */
	uint8_t ipv4_prefix;     /* accounts per /24 by default (8..32) */
	uint8_t ipv6_prefix;     /* per /56 by default (32..128) */
	const struct netprefix *exempt;
	size_t n_exempt;
};

#define RRL_DEFAULT_RATE 20
#define RRL_DEFAULT_SLIP 2
#define RRL_DEFAULT_WINDOW 15
#define RRL_DEFAULT_V4 24
#define RRL_DEFAULT_V6 56

/* Response classes (BIND/Knot): each has its own accounts, so a flood of
 * NXDOMAINs for random names counts against one account per prefix. */
enum rrl_class {
	RRL_POSITIVE = 0,   /* answer records: keyed by the query name */
	RRL_NODATA,         /* keyed by the query name */
	RRL_NXDOMAIN,       /* keyed by the zone: random subdomains share one */
	RRL_REFERRAL,       /* keyed by the zone cut */
	RRL_ERROR,          /* REFUSED, FORMERR, ...: keyed by the prefix alone */
	RRL_CLASSES
};

enum rrl_action { RRL_PASS = 0, RRL_DROP, RRL_SLIP };

struct rrl_table;

/* A table of 2^bits accounts (bits 10..24). NULL on out of memory. */
struct rrl_table *rrl_table_new(unsigned bits);
void rrl_table_free(struct rrl_table *t);

/*
 * Account one UDP response of class cls for the client at peer, keyed by
 * the lowercase wire name (NULL for none), at now_s (seconds, any
 * monotonic clock). *slip_ctr is the caller's own counter of over-limit
 * responses (one per thread: no shared write for it).
 */
enum rrl_action rrl_account(struct rrl_table *t, const struct rrl_conf *c,
                            const struct sockaddr *peer, enum rrl_class cls,
                            const uint8_t *name, uint32_t now_s, uint32_t *slip_ctr);

/* The process's table (2^18 accounts, 2 MiB), made on first use (from
 * config load, on the control thread) and kept across reloads so a
 * reload does not forgive a flood. NULL on out of memory. */
struct rrl_table *rrl_shared(void);

/* True when peer lies in one of c's exempt networks. */
bool rrl_exempt(const struct rrl_conf *c, const struct sockaddr *peer);

#endif
