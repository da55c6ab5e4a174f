/*
 * probe_dns.h: the DNS messages of `steerdns probe`: building one query
 * (optionally with an empty NSID option and an ECS option) and reading the
 * parts of a response the probe uses (rcode, A answers, NSID, ECS scope).
 *
 * Pure functions over caller-owned buffers: no sockets, no allocation.
 * Responses are untrusted bytes and are read with the bounded cursors of
 * common/wire.h.
 */
#ifndef STEERDNS_PROBE_DNS_H
#define STEERDNS_PROBE_DNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/dname.h"
#include "common/edns.h"

#define PROBE_MAX_A 16        /* A answers kept from one response */
#define PROBE_NSID_MAX 256    /* NSID bytes kept (NUL-terminated text) */
#define PROBE_QUERY_MAX 512   /* our queries are far smaller */

/* What to ask. qname is uncompressed wire form (dname.h). */
struct probe_question {
	uint8_t qname[DNAME_MAXLEN];
	uint16_t qtype, qclass;
	bool rd;                  /* recursion desired: set for a resolver */
	bool nsid;                /* send an empty NSID option (RFC 5001 2.1) */
	bool has_ecs;             /* send ECS (RFC 7871 6) with SCOPE 0 */
	struct ecs ecs;           /* addr zero beyond source */
};

/* What a response said, as far as the probe cares. */
struct probe_reply {
	uint8_t rcode;            /* header RCODE, extended by the OPT's bits */
	bool aa;
	struct in_addr a[PROBE_MAX_A];   /* A rdata of the answer section, in order */
	size_t n_a;
	bool has_nsid;            /* an NSID option was present */
	char nsid[PROBE_NSID_MAX];       /* its payload as text, NUL-terminated */
	bool has_ecs;             /* an ECS option was present */
	uint8_t ecs_source, ecs_scope;
};

/*
 * Write the query for q with message ID id into buf (cap bytes). Always
 * adds an OPT RR (payload 1232); options NSID and ECS as q asks. Returns
 * the message length, or -1 if it does not fit.
 */
int probe_dns_build(const struct probe_question *q, uint16_t id, uint8_t *buf, size_t cap);

/* Results of probe_dns_parse. */
enum probe_parse_err {
	PROBE_PARSE_OK = 0,
	PROBE_PARSE_MALFORMED = -1,  /* framing broken: ignore the datagram */
	PROBE_PARSE_MISMATCH = -2,   /* not a response to this query (ID, QR, question) */
};

/*
 * Parse a response to q sent with id (msg: len bytes, borrowed) into out.
 * A response must have QR set, our ID and our question (name compared
 * case-insensitively, RFC 4343) so that stray or spoofed datagrams are not
 * taken as answers. A records are read from the answer section whatever
 * their owner (a CNAME chain may precede them).
 */
int probe_dns_parse(const struct probe_question *q, uint16_t id, const uint8_t *msg, size_t len,
                    struct probe_reply *out);

/* RCODE mnemonic ("NOERROR", "SERVFAIL", ... or "RCODE%u" into a static
 * buffer for unknown values; not thread-safe for those). */
const char *probe_rcode_name(unsigned rcode);

/*
 * Parse "ADDR", "ADDR:PORT", "[V6ADDR]:PORT" or a bare IPv6 address into
 * ss/len; port defaults to default_port. Returns 0 or -1.
 */
int probe_parse_hostport(const char *text, uint16_t default_port, struct sockaddr_storage *ss,
                         socklen_t *len);

/*
 * Parse "ADDR/LEN" (or "ADDR", meaning /32 or /128) into an ECS subnet
 * (bits beyond LEN cleared). Returns 0 or -1.
 */
int probe_parse_subnet(const char *text, struct ecs *out);

/* The /24 (IPv4) or /56 (IPv6) subnet of an address, as a resolver's ECS
 * would send it (RFC 7871 11.1 recommends these lengths). */
void probe_default_subnet(const struct sockaddr_storage *ss, struct ecs *out);

/* Address of ss as text (no port) into buf; returns buf. */
const char *probe_addr_text(const struct sockaddr_storage *ss, char *buf, size_t cap);

#endif
