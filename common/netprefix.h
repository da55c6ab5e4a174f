/*
 * netprefix.h: an IPv4 or IPv6 network in one 128-bit space (IPv4 as
 * ::ffff:a.b.c.d/96+len), for lists of networks in the config (RRL
 * exemptions) and membership tests on the answer path.
 */
#ifndef STEERDNS_NETPREFIX_H
#define STEERDNS_NETPREFIX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct netprefix {
	uint8_t addr[16];   /* zero beyond len */
	uint8_t len;        /* in the 128-bit space */
};

#define NETPREFIX_ESYNTAX (-1)   /* not "address" or "address/length" */
#define NETPREFIX_ELEN (-2)      /* length beyond the family's bits */

/* "192.0.2.0/24", "2001:db8::/32", or a bare address (a host). Bits
 * beyond the length are cleared. Returns 0 or NETPREFIX_E*. */
int netprefix_parse(const char *text, struct netprefix *out);

/* The peer's address in the 128-bit space (IPv4 mapped). */
void netprefix_from_sockaddr(const struct sockaddr *sa, uint8_t out[16]);

/* Clear the bits of addr beyond len. */
void netprefix_mask(uint8_t addr[16], unsigned len);

/* True when addr (128-bit space) lies in p. */
bool netprefix_contains(const struct netprefix *p, const uint8_t addr[16]);

#endif
