/*
 * edns.h: the OPT pseudo-RR (RFC 6891) of a query and of its response,
 * with the two options we act on: NSID (RFC 5001) and EDNS Client Subnet
 * (RFC 7871).
 *
 * Parsing works on borrowed bytes and fills plain structs (no allocation);
 * the parsed ECS is kept so that answer code (GeoDNS) can steer on it.
 */
#ifndef STEERDNS_EDNS_H
#define STEERDNS_EDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cookie.h"
#include "common/wire.h"

#define EDNS_OPT_NSID 3
#define EDNS_OPT_ECS 8

#define ECS_FAMILY_IPV4 1
#define ECS_FAMILY_IPV6 2

/* A client subnet (RFC 7871 6). addr holds the prefix, zero beyond it. */
struct ecs {
	uint16_t family;   /* ECS_FAMILY_IPV4 or ECS_FAMILY_IPV6 */
	uint8_t source;    /* SOURCE PREFIX-LENGTH */
	uint8_t scope;     /* SCOPE PREFIX-LENGTH */
	uint8_t addr[16];
};

/* What the query's OPT said. All fields are zero when present is false. */
struct edns_query {
	bool present;
	uint16_t payload;  /* requestor's UDP payload size (the OPT CLASS) */
	uint8_t ext_rcode; /* upper 8 bits of the extended RCODE (should be 0) */
	uint8_t version;
	bool do_bit;       /* DNSSEC OK */
	bool nsid;         /* an NSID option was present (RFC 5001 2.1) */
	bool has_ecs;      /* a valid ECS option was present */
	bool ecs_invalid;  /* an ECS option was present but malformed */
	struct ecs ecs;
	struct cookie_query cookie;  /* RFC 7873: cookie.present when sent */
};

/* Results of edns_parse_opt. */
enum edns_err {
	EDNS_OK = 0,
	EDNS_EFORMAT = -1,  /* option framing broken: the message is malformed */
};

/*
 * Parse the OPT RR whose CLASS, TTL and RDATA (rdlen bytes at rdata, borrowed)
 * were read by the caller. Option framing errors make the whole message
 * malformed (EDNS_EFORMAT). A malformed ECS option does not: it sets
 * out->ecs_invalid so the caller can answer FORMERR with an OPT, as
 * RFC 7871 7.1.2 asks. Unknown options are ignored (RFC 6891 6.1.2).
 */
int edns_parse_opt(uint16_t rrclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen,
                   struct edns_query *out);

/*
 * Parse the data of one ECS option (len bytes, without the option header).
 * Query rules of RFC 7871 7.1.2: FORMERR (returns -1) when the family is not
 * 1 or 2, SOURCE exceeds the family's address length, SCOPE is not 0, the
 * address is not exactly ceil(SOURCE/8) bytes, or bits beyond SOURCE are set.
 */
int ecs_parse(const uint8_t *data, size_t len, struct ecs *out);

/* Length of the ECS option data for e (4 + ceil(source/8)). */
size_t ecs_data_len(const struct ecs *e);

/* What to put into the response's OPT. */
struct edns_answer {
	uint16_t payload;       /* our UDP payload size */
	uint8_t ext_rcode;      /* upper 8 bits of the response's RCODE */
	bool do_bit;            /* echoed from the query (RFC 3225 3) */
	const char *nsid;       /* borrowed; NULL or "" = no NSID option */
	const struct ecs *ecs;  /* borrowed; NULL = no ECS option */
	const uint8_t *cookie;  /* borrowed: client + server cookie; NULL = none */
	uint8_t cookie_len;
};

/* Wire size of the OPT RR edns_write_opt would write. */
size_t edns_opt_size(const struct edns_answer *a);

/* Write the OPT RR (root owner, type 41) to w. */
void edns_write_opt(struct wire_wr *w, const struct edns_answer *a);

#endif
