/*
 * bgp_7606_vectors.h: received UPDATEs with one malformed path attribute
 * each, written out byte by byte, and the action the RFC section named in
 * each case requires. Shared by test_bgp_msg.c (the decoder's verdict)
 * and test_bgp_session.c (the session stays Established and our route
 * stays announced through every one of them).
 *
 * Every case here carries an IPv4 NLRI (198.51.100.0/24) or an
 * MP_REACH_NLRI, so none is an RFC 7606 §5.2 "no reachable NLRI" UPDATE
 * (those reset; see the reset tables in the tests).
 */
#ifndef STEERDNS_BGP_7606_VECTORS_H
#define STEERDNS_BGP_7606_VECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "anycast/bgp_msg.h"

/* Well-formed attributes: ORIGIN IGP, AS_PATH (SEQ 65002, 4-octet),
 * NEXT_HOP 10.0.0.2, LOCAL_PREF 100, the NLRI 198.51.100.0/24. */
#define V_ORIGIN  0x40, 0x01, 0x01, 0x00
#define V_PATH    0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xea
#define V_PATH2   0x40, 0x02, 0x04, 0x02, 0x01, 0xfd, 0xea   /* 2-octet ASNs */
#define V_NH      0x40, 0x03, 0x04, 0x0a, 0x00, 0x00, 0x02
#define V_LP      0x40, 0x05, 0x04, 0x00, 0x00, 0x00, 0x64
#define V_BASE    V_ORIGIN, V_PATH, V_NH                      /* 20 bytes */
#define V_NLRI    0x18, 0xc6, 0x33, 0x64

struct v7606 {
	const char *what;          /* the malformation and its RFC section */
	uint8_t attrs[72];         /* the path attributes */
	size_t alen;
	bool as4, ibgp;            /* session: 4-octet AS, internal peer */
	bool nlri;                 /* IPv4 NLRI after the attributes */
	enum bgp_upd_action act;   /* what the section says */
	uint8_t attr;              /* the attribute named in the log */
	const char *rule;          /* the section, as the decoder reports it */
	uint8_t sub;               /* the RFC 4271 subcode it would have sent */
};

#define TAW  BGP_ACT_TREAT_AS_WITHDRAW
#define DISC BGP_ACT_ATTR_DISCARD
#define AFSD BGP_ACT_AFI_SAFI_DISABLE

__attribute__((unused)) static const struct v7606 v7606_cases[] = {
	/* §7.1 ORIGIN: length not 1 or undefined value -> treat-as-withdraw */
	{ "7.1 ORIGIN value 5", { 0x40, 0x01, 0x01, 0x05, V_PATH, V_NH }, 20,
	  true, false, true, TAW, 1, "RFC 7606 7.1", 6 },
	{ "7.1 ORIGIN length 2", { 0x40, 0x01, 0x02, 0x00, 0x00, V_PATH, V_NH }, 21,
	  true, false, true, TAW, 1, "RFC 7606 7.1", 5 },
	{ "7.1 ORIGIN length 0 (also §4 zero length)", { 0x40, 0x01, 0x00, V_PATH, V_NH }, 19,
	  true, false, true, TAW, 1, "RFC 7606 7.1", 5 },
	/* §3.c: Optional/Transitive bits in conflict -> treat-as-withdraw */
	{ "3.c ORIGIN flagged optional", { 0xc0, 0x01, 0x01, 0x00, V_PATH, V_NH }, 20,
	  true, false, true, TAW, 1, "RFC 7606 3.c", 4 },
	{ "3.c AS_PATH flagged non-transitive", { V_ORIGIN, 0x00, 0x02, 0x06, 0x02, 0x01, 0, 0, 0xfd, 0xea, V_NH },
	  20, true, false, true, TAW, 2, "RFC 7606 3.c", 4 },
	{ "3.c MED flagged transitive", { V_BASE, 0x40, 0x04, 0x04, 0, 0, 0, 1 }, 27,
	  true, false, true, TAW, 4, "RFC 7606 3.c", 4 },
	{ "3.c COMMUNITIES flagged non-transitive", { V_BASE, 0x80, 0x08, 0x04, 0xfd, 0xea, 0, 1 }, 27,
	  true, false, true, TAW, 8, "RFC 7606 3.c", 4 },
	{ "3.c unknown type 99 flagged well-known", { V_BASE, 0x40, 0x63, 0x01, 0x00 }, 24,
	  true, false, true, TAW, 99, "RFC 7606 3.c", 2 },
	/* §7.2 AS_PATH: bad segment type, count 0, overrun, underrun */
	{ "7.2 AS_PATH segment type 5", { V_ORIGIN, 0x40, 0x02, 0x06, 0x05, 0x01, 0, 0, 0xfd, 0xea, V_NH }, 20,
	  true, false, true, TAW, 2, "RFC 7606 7.2", 11 },
	{ "7.2 AS_PATH segment length 0", { V_ORIGIN, 0x40, 0x02, 0x02, 0x02, 0x00, V_NH }, 16,
	  true, false, true, TAW, 2, "RFC 7606 7.2", 11 },
	{ "7.2 AS_PATH segment overrun", { V_ORIGIN, 0x40, 0x02, 0x06, 0x02, 0x02, 0, 0, 0xfd, 0xea, V_NH }, 20,
	  true, false, true, TAW, 2, "RFC 7606 7.2", 11 },
	{ "7.2 AS_PATH one octet left over", { V_ORIGIN, 0x40, 0x02, 0x07, 0x02, 0x01, 0, 0, 0xfd, 0xea, 0x02,
	  V_NH }, 21, true, false, true, TAW, 2, "RFC 7606 7.2", 11 },
	{ "7.2 AS_PATH of 2-octet ASNs on a 4-octet session", { V_ORIGIN, V_PATH2, V_NH }, 18,
	  true, false, true, TAW, 2, "RFC 7606 7.2", 11 },
	/* §7.3 NEXT_HOP: length not 4; §3.e: RFC 4271's reset for a
	 * syntactically incorrect one becomes treat-as-withdraw */
	{ "7.3 NEXT_HOP length 3", { V_ORIGIN, V_PATH, 0x40, 0x03, 0x03, 10, 0, 0 }, 19,
	  true, false, true, TAW, 3, "RFC 7606 7.3", 5 },
	{ "3.e NEXT_HOP 0.0.0.0", { V_ORIGIN, V_PATH, 0x40, 0x03, 0x04, 0, 0, 0, 0 }, 20,
	  true, false, true, TAW, 3, "RFC 7606 3.e", 8 },
	{ "3.e NEXT_HOP 224.0.0.1", { V_ORIGIN, V_PATH, 0x40, 0x03, 0x04, 224, 0, 0, 1 }, 20,
	  true, false, true, TAW, 3, "RFC 7606 3.e", 8 },
	/* §7.4 MULTI_EXIT_DISC: length not 4 */
	{ "7.4 MED length 3", { V_BASE, 0x80, 0x04, 0x03, 0, 0, 1 }, 26,
	  true, false, true, TAW, 4, "RFC 7606 7.4", 5 },
	/* §7.5 LOCAL_PREF: from eBGP discarded; iBGP length not 4 */
	{ "7.5 LOCAL_PREF from an external peer", { V_BASE, V_LP }, 27,
	  true, false, true, DISC, 5, "RFC 7606 7.5", 9 },
	{ "7.5 LOCAL_PREF length 2 (iBGP)", { V_BASE, 0x40, 0x05, 0x02, 0x00, 0x64 }, 25,
	  true, true, true, TAW, 5, "RFC 7606 7.5", 5 },
	/* §7.6 ATOMIC_AGGREGATE: length not 0 -> attribute discard */
	{ "7.6 ATOMIC_AGGREGATE length 1", { V_BASE, 0x40, 0x06, 0x01, 0x00 }, 24,
	  true, false, true, DISC, 6, "RFC 7606 7.6", 9 },
	/* §7.7 AGGREGATOR: length not 8 (4-octet) / 6 (2-octet) -> discard */
	{ "7.7 AGGREGATOR length 6 on a 4-octet session", { V_BASE, 0xc0, 0x07, 0x06, 0xfd, 0xea, 10, 0, 0, 2 },
	  29, true, false, true, DISC, 7, "RFC 7606 7.7", 9 },
	{ "7.7 AGGREGATOR length 8 on a 2-octet session", { V_ORIGIN, V_PATH2, V_NH,
	  0xc0, 0x07, 0x08, 0, 0, 0xfd, 0xea, 10, 0, 0, 2 }, 29, false, false, true, DISC, 7, "RFC 7606 7.7", 9 },
	/* §7.8 COMMUNITIES: not a non-zero multiple of 4 */
	{ "7.8 COMMUNITIES length 5", { V_BASE, 0xc0, 0x08, 0x05, 0xfd, 0xea, 0, 1, 0 }, 28,
	  true, false, true, TAW, 8, "RFC 7606 7.8", 9 },
	{ "7.8 COMMUNITIES length 0", { V_BASE, 0xc0, 0x08, 0x00 }, 23,
	  true, false, true, TAW, 8, "RFC 7606 7.8", 9 },
	/* §7.9 ORIGINATOR_ID: from eBGP discarded; iBGP length not 4 */
	{ "7.9 ORIGINATOR_ID from an external peer", { V_BASE, 0x80, 0x09, 0x04, 10, 0, 0, 9 }, 27,
	  true, false, true, DISC, 9, "RFC 7606 7.9", 9 },
	{ "7.9 ORIGINATOR_ID length 3 (iBGP)", { V_BASE, V_LP, 0x80, 0x09, 0x03, 10, 0, 0 }, 33,
	  true, true, true, TAW, 9, "RFC 7606 7.9", 5 },
	/* §7.10 CLUSTER_LIST: from eBGP discarded; iBGP not a non-zero multiple of 4 */
	{ "7.10 CLUSTER_LIST from an external peer", { V_BASE, 0x80, 0x0a, 0x04, 10, 0, 0, 1 }, 27,
	  true, false, true, DISC, 10, "RFC 7606 7.10", 9 },
	{ "7.10 CLUSTER_LIST length 6 (iBGP)", { V_BASE, V_LP, 0x80, 0x0a, 0x06, 10, 0, 0, 1, 10, 0 }, 36,
	  true, true, true, TAW, 10, "RFC 7606 7.10", 5 },
	/* §7.14 EXTENDED_COMMUNITIES: not a non-zero multiple of 8 */
	{ "7.14 EXTENDED_COMMUNITIES length 12", { V_BASE, 0xc0, 0x10, 0x0c, 0, 2, 0xfd, 0xea, 0, 0, 0, 1,
	  1, 2, 3, 4 }, 35, true, false, true, TAW, 16, "RFC 7606 7.14", 9 },
	{ "7.14 EXTENDED_COMMUNITIES length 0", { V_BASE, 0xc0, 0x10, 0x00 }, 23,
	  true, false, true, TAW, 16, "RFC 7606 7.14", 9 },
	/* RFC 8092 §6 LARGE_COMMUNITY: not a non-zero multiple of 12 */
	{ "RFC 8092 6 LARGE_COMMUNITY length 13", { V_BASE, 0xc0, 0x20, 0x0d, 0, 0, 0xfd, 0xea, 0, 0, 0, 1,
	  0, 0, 0, 2, 9 }, 36, true, false, true, TAW, 32, "RFC 8092 6", 9 },
	/* RFC 6793: AS4_PATH / AS4_AGGREGATOR between 4-octet speakers are
	 * discarded (§4.1), malformed ones from a 2-octet one too (§6) */
	{ "RFC 6793 4.1 AS4_PATH from a 4-octet speaker", { V_BASE, 0xc0, 0x11, 0x06, 0x02, 0x01, 0, 0, 0xfd,
	  0xea }, 29, true, false, true, DISC, 17, "RFC 6793 4.1", 9 },
	{ "RFC 6793 6 AS4_PATH segment length 0", { V_ORIGIN, V_PATH2, V_NH, 0xc0, 0x11, 0x06, 0x02, 0x00,
	  0, 0, 0xfd, 0xea }, 27, false, false, true, DISC, 17, "RFC 6793 6", 9 },
	{ "RFC 6793 6 AS4_PATH length 5", { V_ORIGIN, V_PATH2, V_NH, 0xc0, 0x11, 0x05, 0x02, 0x01, 0, 0,
	  0xfd }, 26, false, false, true, DISC, 17, "RFC 6793 6", 9 },
	{ "RFC 6793 6 AS4_AGGREGATOR length 6", { V_ORIGIN, V_PATH2, V_NH, 0xc0, 0x12, 0x06, 0, 0, 0xfd, 0xea,
	  10, 0 }, 27, false, false, true, DISC, 18, "RFC 6793 6", 9 },
	{ "RFC 6793 4.1 AS4_AGGREGATOR from a 4-octet speaker", { V_BASE, 0xc0, 0x12, 0x08, 0, 0, 0xfd, 0xea,
	  10, 0, 0, 2 }, 31, true, false, true, DISC, 18, "RFC 6793 4.1", 9 },
	/* §3.g: a repeated attribute other than MP_* -> the first one kept */
	{ "3.g ORIGIN twice", { V_BASE, 0x40, 0x01, 0x01, 0x02 }, 24,
	  true, false, true, DISC, 1, "RFC 7606 3.g", 1 },
	/* §3.d: a well-known mandatory attribute missing -> treat-as-withdraw */
	{ "3.d ORIGIN missing", { V_PATH, V_NH }, 16, true, false, true, TAW, 1, "RFC 7606 3.d", 3 },
	{ "3.d AS_PATH missing", { V_ORIGIN, V_NH }, 11, true, false, true, TAW, 2, "RFC 7606 3.d", 3 },
	{ "3.d NEXT_HOP missing", { V_ORIGIN, V_PATH }, 13, true, false, true, TAW, 3, "RFC 7606 3.d", 3 },
	{ "3.d LOCAL_PREF missing (iBGP)", { V_BASE }, 20, true, true, true, TAW, 5, "RFC 7606 3.d", 3 },
	/* §4: the last attribute overruns the path attributes, or a header
	 * is cut short: treat-as-withdraw, NLRI found from the total length */
	{ "4 COMMUNITIES length 8 with 4 bytes left", { V_BASE, 0xc0, 0x08, 0x08, 0xfd, 0xea, 0, 1 }, 27,
	  true, false, true, TAW, 0, "RFC 7606 4", 1 },
	{ "4 two bytes of attribute header", { V_BASE, 0xc0, 0x08 }, 22,
	  true, false, true, TAW, 0, "RFC 7606 4", 1 },
	{ "4 extended length cut", { V_BASE, 0xd0, 0x08, 0x00 }, 23,
	  true, false, true, TAW, 0, "RFC 7606 4", 1 },
	/* §5.3 / §7.11 MP_REACH_NLRI / MP_UNREACH_NLRI incorrect: the
	 * AFI/SAFI is readable, so "AFI/SAFI disable" (RFC 4760 §7) */
	{ "7.11 MP_REACH IPv6 next hop length 8", { 0x80, 0x0e, 0x14, 0x00, 0x02, 0x01, 0x08,
	  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0x00, 0x30, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, V_ORIGIN, V_PATH },
	  36, true, false, false, AFSD, 14, "RFC 7606 7.11", 9 },
	{ "5.3 MP_REACH IPv6 prefix /129", { 0x80, 0x0e, 0x17, 0x00, 0x02, 0x01, 0x10,
	  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x81, 0x20, V_ORIGIN, V_PATH },
	  39, true, false, false, AFSD, 14, "RFC 7606 5.3", 9 },
	{ "5.3 MP_REACH flagged transitive", { 0xc0, 0x0e, 0x1c, 0x00, 0x02, 0x01, 0x10,
	  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x30, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00,
	  V_ORIGIN, V_PATH }, 44, true, false, false, AFSD, 14, "RFC 7606 5.3", 4 },
	{ "5.3 MP_REACH length 4", { 0x80, 0x0e, 0x04, 0x00, 0x02, 0x01, 0x10, V_ORIGIN, V_PATH }, 20,
	  true, false, false, AFSD, 14, "RFC 7606 5.3", 9 },
	{ "5.3 MP_UNREACH IPv6 prefix cut", { 0x80, 0x0f, 0x06, 0x00, 0x02, 0x01, 0x30, 0x20, 0x01 }, 9,
	  true, false, false, AFSD, 15, "RFC 7606 5.3", 9 },
};

#define V7606_N (sizeof(v7606_cases) / sizeof(v7606_cases[0]))

/* Build the UPDATE body of case c into out (no withdrawn routes, the
 * attributes, the NLRI if any); returns its length. */
__attribute__((unused)) static size_t v7606_body(const struct v7606 *c, uint8_t *out)
{
	static const uint8_t nlri[] = { V_NLRI };
	size_t n = 0;
	out[n++] = 0;
	out[n++] = 0;
	out[n++] = (uint8_t)(c->alen >> 8);
	out[n++] = (uint8_t)c->alen;
	memcpy(out + n, c->attrs, c->alen);
	n += c->alen;
	if (c->nlri) {
		memcpy(out + n, nlri, sizeof(nlri));
		n += sizeof(nlri);
	}
	return n;
}

#undef TAW
#undef DISC
#undef AFSD

#endif
