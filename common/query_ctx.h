/*
 * query_ctx.h: what the answer path knows about one query once it has been
 * parsed: the question, the transport, and the EDNS data (client subnet
 * included). Built on the stack by query_answer and passed down, so answer
 * code that depends on the client (GeoDNS) has one place to look.
 */
#ifndef STEERDNS_QUERY_CTX_H
#define STEERDNS_QUERY_CTX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/dname.h"
#include "common/edns.h"

struct query_ctx {
	const struct sockaddr *peer;   /* borrowed from struct query_client */
	socklen_t peerlen;
	bool tcp;
	uint16_t id;
	uint8_t opcode;
	bool rd;
	bool has_question;
	uint16_t qtype;
	uint16_t qclass;
	struct edns_query edns;        /* edns.present false without OPT */
	uint16_t nscount;              /* authority RRs in the query */
	uint16_t first_ns_type;        /* type of the first authority RR (IXFR) */
	/* The names last: query_answer clears the fields above and only the
	 * first byte of each name (the root), not 2 x 255 bytes per query. */
	uint8_t qname[DNAME_MAXLEN];   /* as asked (query's case) */
	uint8_t qname_lc[DNAME_MAXLEN];/* lowercased, for lookups */
	struct dname_labels qlabels;   /* label offsets of qname (valid with has_question) */
};

#endif
