/*
 * bgp_update.c: UPDATE messages (RFC 4271 §4.3, §5, §6.3; RFC 4760 MP
 * reach/unreach; RFC 6793 AS4_PATH; RFC 1997 / RFC 8092 communities;
 * RFC 4724 End-of-RIB). We only send our one prefix per family; received
 * UPDATEs are validated (RFC 7606 error handling) and then ignored.
 */
#include "anycast/bgp_msg.h"

#include <sys/socket.h>
#include <string.h>

#include "anycast/bgp_msg_int.h"

/* Path attribute type codes. */
enum {
	A_ORIGIN = 1, A_AS_PATH = 2, A_NEXT_HOP = 3, A_MED = 4, A_LOCAL_PREF = 5,
	A_ATOMIC_AGG = 6, A_AGGREGATOR = 7, A_COMMUNITIES = 8, A_ORIGINATOR_ID = 9,
	A_CLUSTER_LIST = 10, A_MP_REACH = 14,
	A_MP_UNREACH = 15, A_EXT_COMMUNITIES = 16, A_AS4_PATH = 17,
	A_AS4_AGGREGATOR = 18, A_LARGE_COMMUNITY = 32,
};
#define F_OPTIONAL   0x80
#define F_TRANSITIVE 0x40
#define F_PARTIAL    0x20
#define F_EXTLEN     0x10

#define AS_SEQUENCE 2
#define ORIGIN_IGP  0

/* ---- encoding ---- */

static void attr_hdr(struct wire_wr *w, uint8_t flags, uint8_t type, size_t len)
{
	if (len > 255) {
		wire_wr_u8(w, flags | F_EXTLEN);
		wire_wr_u8(w, type);
		wire_wr_u16(w, (uint16_t)len);
	} else {
		wire_wr_u8(w, flags);
		wire_wr_u8(w, type);
		wire_wr_u8(w, (uint8_t)len);
	}
}

static size_t prefix_bytes(const struct bgp_prefix *p)
{
	return 1 + (p->len + 7u) / 8;
}

static void put_prefix(struct wire_wr *w, const struct bgp_prefix *p)
{
	wire_wr_u8(w, p->len);
	wire_wr_bytes(w, p->addr, (p->len + 7u) / 8);
}

/* AS_PATH (width 2 or 4) or AS4_PATH: one AS_SEQUENCE of our AS, repeated
 * 1 + prepend times; empty for iBGP (RFC 4271 §5.1.2). */
static void put_as_path(struct wire_wr *w, const struct bgp_route_attrs *a,
			uint8_t type, unsigned width)
{
	if (!a->ebgp) {
		attr_hdr(w, F_TRANSITIVE, type, 0);
		return;
	}
	unsigned n = 1 + (a->prepend > BGP_MAX_PREPEND ? BGP_MAX_PREPEND : a->prepend);
	uint8_t flags = type == A_AS4_PATH ? F_OPTIONAL | F_TRANSITIVE : F_TRANSITIVE;
	attr_hdr(w, flags, type, 2 + n * width);
	wire_wr_u8(w, AS_SEQUENCE);
	wire_wr_u8(w, (uint8_t)n);
	for (unsigned i = 0; i < n; i++) {
		if (width == 4)
			wire_wr_u32(w, a->local_as);
		else  /* RFC 6793 §4.2.2: unmappable ASNs become AS_TRANS */
			wire_wr_u16(w, a->local_as > 0xffff ? BGP_AS_TRANS : (uint16_t)a->local_as);
	}
}

/* Everything but MP_REACH and NEXT_HOP, in type order around NEXT_HOP. */
static void put_common_attrs(struct wire_wr *w, const struct bgp_route_attrs *a,
			     bool v4)
{
	attr_hdr(w, F_TRANSITIVE, A_ORIGIN, 1);
	wire_wr_u8(w, ORIGIN_IGP);
	put_as_path(w, a, A_AS_PATH, a->peer_as4 ? 4 : 2);
	if (v4) {
		attr_hdr(w, F_TRANSITIVE, A_NEXT_HOP, 4);
		wire_wr_bytes(w, a->nh4, 4);
	}
	if (a->has_med) {
		attr_hdr(w, F_OPTIONAL, A_MED, 4);
		wire_wr_u32(w, a->med);
	}
	if (!a->ebgp) {  /* RFC 4271 §5.1.5: iBGP only */
		attr_hdr(w, F_TRANSITIVE, A_LOCAL_PREF, 4);
		wire_wr_u32(w, a->local_pref);
	}
	if (a->n_communities) {
		attr_hdr(w, F_OPTIONAL | F_TRANSITIVE, A_COMMUNITIES, 4u * a->n_communities);
		for (unsigned i = 0; i < a->n_communities; i++)
			wire_wr_u32(w, a->communities[i]);
	}
	if (!a->peer_as4 && a->ebgp && a->local_as > 0xffff)
		put_as_path(w, a, A_AS4_PATH, 4);
	if (a->n_lcommunities) {
		attr_hdr(w, F_OPTIONAL | F_TRANSITIVE, A_LARGE_COMMUNITY, 12u * a->n_lcommunities);
		for (unsigned i = 0; i < a->n_lcommunities; i++) {
			wire_wr_u32(w, a->lcommunities[i].global);
			wire_wr_u32(w, a->lcommunities[i].local1);
			wire_wr_u32(w, a->lcommunities[i].local2);
		}
	}
}

int bgp_encode_update(struct wire_wr *w, const struct bgp_route_attrs *a,
		      const struct bgp_prefix *p, bool announce)
{
	bool v4 = p->family == AF_INET;
	if ((!v4 && p->family != AF_INET6) || p->len > (v4 ? 32 : 128))
		return -1;
	if (announce && (v4 ? !a->has_nh4 : !a->has_nh6))
		return -1;
	size_t start = bgp_msg_begin(w, BGP_MSG_UPDATE);
	if (v4 && !announce) {
		wire_wr_u16(w, (uint16_t)prefix_bytes(p));  /* withdrawn routes */
		put_prefix(w, p);
		wire_wr_u16(w, 0);                          /* no attributes */
		return bgp_msg_end(w, start);
	}
	wire_wr_u16(w, 0);  /* no withdrawn routes */
	size_t alen_at = w->pos;
	wire_wr_u16(w, 0);  /* total path attribute length, patched */
	if (!v4 && !announce) {
		/* RFC 4760 §4: only MP_UNREACH_NLRI is needed to withdraw. */
		attr_hdr(w, F_OPTIONAL, A_MP_UNREACH, 3 + prefix_bytes(p));
		wire_wr_u16(w, BGP_AFI_IPV6);
		wire_wr_u8(w, 1);
		put_prefix(w, p);
	} else if (!v4) {
		/* RFC 7606 §5.1: MP_REACH_NLRI goes first. Next hop: global,
		 * then the optional link-local (RFC 2545 §3). */
		size_t nhlen = a->has_nh6_ll ? 32 : 16;
		attr_hdr(w, F_OPTIONAL, A_MP_REACH, 5 + nhlen + prefix_bytes(p));
		wire_wr_u16(w, BGP_AFI_IPV6);
		wire_wr_u8(w, 1);
		wire_wr_u8(w, (uint8_t)nhlen);
		wire_wr_bytes(w, a->nh6, 16);
		if (a->has_nh6_ll)
			wire_wr_bytes(w, a->nh6_ll, 16);
		wire_wr_u8(w, 0);  /* reserved */
		put_prefix(w, p);
		put_common_attrs(w, a, false);
	} else {
		put_common_attrs(w, a, true);
	}
	if (w->err)
		return -1;
	wire_wr_put_u16_at(w, alen_at, (uint16_t)(w->pos - alen_at - 2));
	if (v4)
		put_prefix(w, p);  /* NLRI */
	return bgp_msg_end(w, start);
}

int bgp_encode_eor(struct wire_wr *w, int family)
{
	size_t start = bgp_msg_begin(w, BGP_MSG_UPDATE);
	wire_wr_u16(w, 0);
	if (family == AF_INET) {
		/* RFC 4724 §2: an UPDATE with nothing in it. */
		wire_wr_u16(w, 0);
	} else {
		/* ...and for other families an empty MP_UNREACH_NLRI. */
		wire_wr_u16(w, 6);
		attr_hdr(w, F_OPTIONAL, A_MP_UNREACH, 3);
		wire_wr_u16(w, BGP_AFI_IPV6);
		wire_wr_u8(w, 1);
	}
	return bgp_msg_end(w, start);
}

/* ---- decoding (RFC 4271 §6.3 as revised by RFC 7606) ---- */

const char *bgp_upd_action_name(enum bgp_upd_action a)
{
	switch (a) {
	case BGP_ACT_NONE:              return "none";
	case BGP_ACT_ATTR_DISCARD:      return "attribute-discard";
	case BGP_ACT_TREAT_AS_WITHDRAW: return "treat-as-withdraw";
	case BGP_ACT_AFI_SAFI_DISABLE:  return "AFI/SAFI-disable";
	case BGP_ACT_SESSION_RESET:     return "session-reset";
	}
	return "?";
}

const char *bgp_attr_name(uint8_t type)
{
	switch (type) {
	case A_ORIGIN:          return "ORIGIN";
	case A_AS_PATH:         return "AS_PATH";
	case A_NEXT_HOP:        return "NEXT_HOP";
	case A_MED:             return "MULTI_EXIT_DISC";
	case A_LOCAL_PREF:      return "LOCAL_PREF";
	case A_ATOMIC_AGG:      return "ATOMIC_AGGREGATE";
	case A_AGGREGATOR:      return "AGGREGATOR";
	case A_COMMUNITIES:     return "COMMUNITIES";
	case A_ORIGINATOR_ID:   return "ORIGINATOR_ID";
	case A_CLUSTER_LIST:    return "CLUSTER_LIST";
	case A_MP_REACH:        return "MP_REACH_NLRI";
	case A_MP_UNREACH:      return "MP_UNREACH_NLRI";
	case A_EXT_COMMUNITIES: return "EXTENDED_COMMUNITIES";
	case A_AS4_PATH:        return "AS4_PATH";
	case A_AS4_AGGREGATOR:  return "AS4_AGGREGATOR";
	case A_LARGE_COMMUNITY: return "LARGE_COMMUNITY";
	case 0:                 return "path attributes";  /* framing, not one attribute */
	default:                return "attribute";
	}
}

/* Walk a run of prefixes; returns the count or -1 when the run is
 * syntactically incorrect (RFC 7606 §5.3: a length above maxlen, or a
 * last prefix running past the field). */
static int parse_prefixes(struct wire_rd *r, unsigned maxlen, struct bgp_update_in *u)
{
	int n = 0;
	while (wire_rd_left(r) > 0) {
		uint8_t plen = wire_rd_u8(r);
		if (plen > maxlen)
			return -1;
		size_t nb = (plen + 7u) / 8;
		if (n == 0 && u && wire_rd_left(r) >= nb) {
			memset(u->first_prefix, 0, sizeof(u->first_prefix));
			memcpy(u->first_prefix, r->p + r->pos, nb);
			u->first_prefix_len = plen;
		}
		wire_rd_skip(r, nb);
		if (r->err)
			return -1;
		n++;
	}
	return n;
}

/*
 * AS_PATH / AS4_PATH segments. Malformed (RFC 7606 §7.2, RFC 6793 §6) on
 * an unknown segment type, a segment length of 0, a segment running past
 * the attribute, or a single octet left over. confed: accept the RFC 5065
 * types 3 and 4 (AS_PATH); AS4_PATH skips their ASNs instead (6793 §6:
 * those segments are discarded).
 */
static int parse_path(struct wire_rd r, unsigned width, bool as4_path, uint32_t *out, unsigned *n)
{
	*n = 0;
	while (wire_rd_left(&r) > 0) {
		uint8_t st = wire_rd_u8(&r);
		uint8_t cnt = wire_rd_u8(&r);
		if (r.err || st < 1 || st > 4 || cnt == 0)
			return -1;
		bool keep = !(as4_path && st > 2);
		for (unsigned i = 0; i < cnt; i++) {
			uint32_t as = width == 4 ? wire_rd_u32(&r) : wire_rd_u16(&r);
			if (keep && *n < BGP_PATH_MAX)
				out[(*n)++] = as;
		}
		if (r.err)
			return -1;
	}
	return 0;
}

struct attr_ctx {
	const uint8_t *start;   /* the attribute, for NOTIFICATION data */
	size_t total;
	uint8_t flags, type;
	struct wire_rd v;
};

/* The decoder's state over one UPDATE. */
struct upd {
	struct bgp_update_in *u;
	struct bgp_err *err;
	bool as4, ibgp;
};

/*
 * Record one error. The strongest wins (RFC 7606 §3.h); *err keeps the
 * RFC 4271 NOTIFICATION of that one (data: the attribute when c is given),
 * which is sent if it is, or becomes (§5.2), a session reset.
 */
static void note(struct upd *x, enum bgp_upd_action act, uint8_t attr, const char *rule,
		 const char *why, uint8_t sub, const struct attr_ctx *c)
{
	struct bgp_update_in *u = x->u;
	u->n_errors++;
	if (act <= u->error.action)
		return;
	u->error = (struct bgp_upd_error){ act, attr, rule, why };
	bgp_err_set(x->err, BGP_ERR_UPDATE, sub, c ? c->start : NULL, c ? c->total : 0);
}

/* A session reset found while walking: recorded, and the walk stops. */
static int reset(struct upd *x, uint8_t attr, const char *rule, const char *why, uint8_t sub,
		 const struct attr_ctx *c)
{
	note(x, BGP_ACT_SESSION_RESET, attr, rule, why, sub, c);
	return -1;
}

/*
 * RFC 7606 §3.c: the Optional and Transitive bits must be the ones the
 * attribute's specification gives (the Partial and Extended Length bits
 * are not checked). A conflict is treat-as-withdraw for every attribute,
 * also those whose malformed value is only discarded (§3.c names no
 * exception for them), except MP_REACH/MP_UNREACH (§5.3, see mp_attr).
 */
static uint8_t expected_ot(uint8_t type)
{
	switch (type) {
	case A_ORIGIN: case A_AS_PATH: case A_NEXT_HOP: case A_LOCAL_PREF:
	case A_ATOMIC_AGG:                                   /* well-known */
		return F_TRANSITIVE;
	case A_MED: case A_ORIGINATOR_ID: case A_CLUSTER_LIST:
	case A_MP_REACH: case A_MP_UNREACH:                  /* optional non-transitive */
		return F_OPTIONAL;
	default:                                             /* optional transitive */
		return F_OPTIONAL | F_TRANSITIVE;
	}
}

static bool is_known(uint8_t t)
{
	return (t >= A_ORIGIN && t <= A_CLUSTER_LIST) || (t >= A_MP_REACH && t <= A_AS4_AGGREGATOR) ||
	       t == A_LARGE_COMMUNITY;
}

/*
 * MP_REACH_NLRI / MP_UNREACH_NLRI. "Incorrect" (RFC 7606 §5.3, §7.11):
 * shorter than 5 / 3 octets, a next hop length the AFI/SAFI does not
 * allow, a prefix too long for the family or running past the attribute,
 * flags other than RFC 4760's. We take RFC 4760 §7's AFI/SAFI disable
 * when the family can be read (the session, and our announcement, stay
 * up), and reset only when it cannot. Families we never negotiate are
 * checked for framing only.
 */
static void mp_attr(struct upd *x, struct attr_ctx *c, bool flags_bad)
{
	struct bgp_update_in *u = x->u;
	struct wire_rd *v = &c->v;
	bool reach = c->type == A_MP_REACH;
	if (v->len < 3) {
		reset(x, c->type, "RFC 7606 5.3", "too short to name its AFI/SAFI", BGP_UPD_OPTIONAL, c);
		return;
	}
	uint16_t afi = wire_rd_u16(v);
	uint8_t safi = wire_rd_u8(v);
	u->mp_afi = afi;
	u->mp_safi = safi;
	const char *why = NULL, *rule = "RFC 7606 5.3";
	unsigned maxlen = afi == BGP_AFI_IPV4 ? 32 : afi == BGP_AFI_IPV6 ? 128 : 0;
	bool known = maxlen && safi == 1;
	if (flags_bad) {
		why = "flags not optional non-transitive";
	} else if (reach && v->len < 5) {
		why = "shorter than 5 octets";
	} else if (reach) {
		u->mp_nh_len = wire_rd_u8(v);
		struct wire_rd nh = wire_rd_sub(v, u->mp_nh_len);
		(void)wire_rd_u8(v);  /* reserved */
		bool nh_ok = !known || (afi == BGP_AFI_IPV6 ? (u->mp_nh_len == 16 || u->mp_nh_len == 32)
		                                            : u->mp_nh_len == 4);
		if (v->err) {
			why = "next hop runs past the attribute";
		} else if (!nh_ok) {
			rule = "RFC 7606 7.11";
			why = "next hop length not valid for the AFI/SAFI";
		} else {
			wire_rd_bytes(&nh, u->mp_nh, u->mp_nh_len > 32 ? 32 : u->mp_nh_len);
		}
	}
	if (!why && known) {
		int n = parse_prefixes(v, maxlen, reach ? u : NULL);
		if (n < 0)
			why = "prefix too long or running past the attribute";
		else if (reach)
			u->n_mp_reach = (unsigned)n;
		else
			u->n_mp_unreach = (unsigned)n;
	}
	if (!why)
		return;
	u->n_mp_reach = u->n_mp_unreach = 0;  /* nothing of that family is taken */
	if (u->error.action < BGP_ACT_AFI_SAFI_DISABLE) {
		u->disable_afi = afi;
		u->disable_safi = safi;
	}
	note(x, BGP_ACT_AFI_SAFI_DISABLE, c->type, rule, why,
	     flags_bad ? BGP_UPD_FLAGS : BGP_UPD_OPTIONAL, c);
}

/* Shorthands for the per-attribute rules of RFC 7606 §7. */
#define TAW(rule, why, sub) note(x, BGP_ACT_TREAT_AS_WITHDRAW, c->type, rule, why, sub, c)
#define DISCARD(rule, why)  note(x, BGP_ACT_ATTR_DISCARD, c->type, rule, why, BGP_UPD_OPTIONAL, c)

/* One recognised attribute with correct flags: check its value. */
static void attr_value(struct upd *x, struct attr_ctx *c)
{
	struct bgp_update_in *u = x->u;
	size_t len = c->v.len;
	switch (c->type) {
	case A_ORIGIN:
		if (len != 1)
			return TAW("RFC 7606 7.1", "length not 1", BGP_UPD_LENGTH);
		u->origin = wire_rd_u8(&c->v);
		if (u->origin > 2)
			return TAW("RFC 7606 7.1", "value not IGP, EGP or INCOMPLETE", BGP_UPD_ORIGIN);
		u->has_origin = true;
		return;
	case A_AS_PATH:
		if (parse_path(c->v, x->as4 ? 4 : 2, false, u->as_path, &u->as_path_len) < 0)
			return TAW("RFC 7606 7.2", "malformed segment", BGP_UPD_AS_PATH);
		u->has_as_path = true;
		return;
	case A_NEXT_HOP: {
		if (len != 4)
			return TAW("RFC 7606 7.3", "length not 4", BGP_UPD_LENGTH);
		uint8_t nh[4];
		wire_rd_bytes(&c->v, nh, 4);
		/* RFC 4271 §6.3 "syntactically incorrect" (0.0.0.0, multicast
		 * and above) was a reset; RFC 7606 §3.e makes it a withdraw. */
		if (!(nh[0] | nh[1] | nh[2] | nh[3]) || nh[0] >= 224)
			return TAW("RFC 7606 3.e", "not a unicast address", BGP_UPD_NEXT_HOP);
		memcpy(u->next_hop, nh, 4);
		u->has_next_hop = true;
		return;
	}
	case A_MED:
		if (len != 4)
			return TAW("RFC 7606 7.4", "length not 4", BGP_UPD_LENGTH);
		u->med = wire_rd_u32(&c->v);
		u->has_med = true;
		return;
	case A_LOCAL_PREF:
		if (!x->ibgp)
			return DISCARD("RFC 7606 7.5", "from an external peer");
		if (len != 4)
			return TAW("RFC 7606 7.5", "length not 4", BGP_UPD_LENGTH);
		u->local_pref = wire_rd_u32(&c->v);
		u->has_local_pref = true;
		return;
	case A_ATOMIC_AGG:
		if (len != 0)
			DISCARD("RFC 7606 7.6", "length not 0");
		return;
	case A_AGGREGATOR:
		if (len != (x->as4 ? 8u : 6u))
			DISCARD("RFC 7606 7.7", x->as4 ? "length not 8 (4-octet AS session)"
			                              : "length not 6 (2-octet AS session)");
		return;
	case A_COMMUNITIES:
		if (len == 0 || len % 4)
			return TAW("RFC 7606 7.8", "length not a non-zero multiple of 4", BGP_UPD_OPTIONAL);
		u->n_communities = (unsigned)(len / 4);
		u->first_community = wire_rd_u32(&c->v);
		return;
	case A_ORIGINATOR_ID:
		if (!x->ibgp)
			return DISCARD("RFC 7606 7.9", "from an external peer");
		if (len != 4)
			TAW("RFC 7606 7.9", "length not 4", BGP_UPD_LENGTH);
		return;
	case A_CLUSTER_LIST:
		if (!x->ibgp)
			return DISCARD("RFC 7606 7.10", "from an external peer");
		if (len == 0 || len % 4)
			TAW("RFC 7606 7.10", "length not a non-zero multiple of 4", BGP_UPD_LENGTH);
		return;
	case A_EXT_COMMUNITIES:
		/* §7.14: unknown types and sub-types are not errors. */
		if (len == 0 || len % 8)
			TAW("RFC 7606 7.14", "length not a non-zero multiple of 8", BGP_UPD_OPTIONAL);
		return;
	case A_LARGE_COMMUNITY:
		if (len == 0 || len % 12)
			return TAW("RFC 8092 6", "length not a non-zero multiple of 12", BGP_UPD_OPTIONAL);
		u->n_lcommunities = (unsigned)(len / 12);
		u->first_lcommunity.global = wire_rd_u32(&c->v);
		u->first_lcommunity.local1 = wire_rd_u32(&c->v);
		u->first_lcommunity.local2 = wire_rd_u32(&c->v);
		return;
	case A_AS4_PATH:
		/* RFC 6793 §4.1: never between two 4-octet speakers; §6: a
		 * malformed one (length odd or < 6, bad segments) is discarded. */
		if (x->as4)
			return DISCARD("RFC 6793 4.1", "sent by a 4-octet AS speaker");
		if (len < 6 || len % 2 ||
		    parse_path(c->v, 4, true, u->as4_path, &u->as4_path_len) < 0) {
			u->as4_path_len = 0;
			return DISCARD("RFC 6793 6", "malformed");
		}
		u->has_as4_path = true;
		return;
	case A_AS4_AGGREGATOR:
		if (x->as4)
			return DISCARD("RFC 6793 4.1", "sent by a 4-octet AS speaker");
		if (len != 8)
			DISCARD("RFC 6793 6", "length not 8");
		return;
	default:
		return;
	}
}

#undef TAW
#undef DISCARD

/*
 * Walk the path attributes. Returns -1 once a session reset is certain
 * (the walk stops there); framing errors stop the walk too but leave the
 * NLRI to be found from the Total Path Attribute Length (RFC 7606 §4).
 * *reach: an MP_REACH_NLRI was seen; *other: an attribute other than
 * MP_UNREACH_NLRI was (both for §5.2).
 */
static int walk_attrs(struct upd *x, struct wire_rd attrs, bool *reach, bool *other,
		      uint8_t seen[32])
{
	while (wire_rd_left(&attrs) > 0) {
		struct attr_ctx c;
		c.start = attrs.p + attrs.pos;
		c.flags = wire_rd_u8(&attrs);
		c.type = wire_rd_u8(&attrs);
		size_t vlen = (c.flags & F_EXTLEN) ? wire_rd_u16(&attrs) : wire_rd_u8(&attrs);
		size_t hdr = (c.flags & F_EXTLEN) ? 4 : 3;
		c.v = wire_rd_sub(&attrs, vlen);
		if (c.type != A_MP_UNREACH || attrs.err)
			*other = true;
		if (attrs.err) {
			/* §4: a header cut short or a length past the list. */
			note(x, BGP_ACT_TREAT_AS_WITHDRAW, 0, "RFC 7606 4",
			     "attribute length overruns the path attributes", BGP_UPD_MALFORMED_LIST, NULL);
			return 0;
		}
		c.total = hdr + vlen;
		bool dup = seen[c.type / 8] & (1u << (c.type % 8));
		seen[c.type / 8] |= (uint8_t)(1u << (c.type % 8));
		*reach |= c.type == A_MP_REACH;
		if (dup) {
			/* §3.g: a repeated MP attribute resets, any other
			 * repeat is dropped and the first one kept. */
			if (c.type == A_MP_REACH || c.type == A_MP_UNREACH)
				return reset(x, c.type, "RFC 7606 3.g", "appears twice",
					     BGP_UPD_MALFORMED_LIST, NULL);
			note(x, BGP_ACT_ATTR_DISCARD, c.type, "RFC 7606 3.g", "appears twice",
			     BGP_UPD_MALFORMED_LIST, NULL);
			continue;
		}
		if (!is_known(c.type)) {
			/* Unknown optional attributes are ignored (we pass
			 * nothing on); an unknown one flagged well-known has
			 * flags in conflict with any specification: §3.c. */
			if (!(c.flags & F_OPTIONAL))
				note(x, BGP_ACT_TREAT_AS_WITHDRAW, c.type, "RFC 7606 3.c",
				     "unrecognized and not flagged optional", BGP_UPD_UNRECOG_WK, &c);
			continue;
		}
		bool flags_bad = (c.flags & (F_OPTIONAL | F_TRANSITIVE)) != expected_ot(c.type);
		if (c.type == A_MP_REACH || c.type == A_MP_UNREACH) {
			mp_attr(x, &c, flags_bad);
			if (x->u->error.action == BGP_ACT_SESSION_RESET)
				return -1;
		} else if (flags_bad) {
			note(x, BGP_ACT_TREAT_AS_WITHDRAW, c.type, "RFC 7606 3.c",
			     "Optional/Transitive flags conflict with the type", BGP_UPD_FLAGS, &c);
		} else {
			attr_value(x, &c);
		}
	}
	return 0;
}

#define SEEN(t) (seen[(t) / 8] & (1u << ((t) % 8)))

int bgp_decode_update(const uint8_t *body, size_t len, bool as4, bool ibgp,
		      struct bgp_update_in *u, struct bgp_err *err)
{
	struct upd x = { u, err, as4, ibgp };
	struct wire_rd r = wire_rd_init(body, len);
	memset(u, 0, sizeof(*u));
	memset(err, 0, sizeof(*err));
	uint16_t wlen = wire_rd_u16(&r);
	struct wire_rd wd = wire_rd_sub(&r, wlen);
	uint16_t alen = wire_rd_u16(&r);
	struct wire_rd attrs = wire_rd_sub(&r, alen);
	/* §3.b (unchanged from RFC 4271): the two lengths must fit. */
	if (r.err)
		return reset(&x, 0, "RFC 7606 3.b", "withdrawn or attribute length past the message",
			     BGP_UPD_MALFORMED_LIST, NULL);
	/* §3.i, §5.3: withdrawn routes that do not parse reset (§3.j). */
	int n = parse_prefixes(&wd, 32, NULL);
	if (n < 0)
		return reset(&x, 0, "RFC 7606 5.3", "withdrawn routes syntactically incorrect",
			     BGP_UPD_NETWORK, NULL);
	u->n_withdrawn = (unsigned)n;
	uint8_t seen[32] = { 0 };
	bool mp_reach = false, other = false;
	if (walk_attrs(&x, attrs, &mp_reach, &other, seen) < 0)
		return -1;
	struct wire_rd nlri = wire_rd_sub(&r, wire_rd_left(&r));
	bool has_nlri = nlri.len > 0;
	n = parse_prefixes(&nlri, 32, u);
	if (n < 0)
		return reset(&x, 0, "RFC 7606 5.3", "NLRI syntactically incorrect", BGP_UPD_NETWORK, NULL);
	u->n_nlri = (unsigned)n;
	/* §3.d: reachability without a well-known mandatory attribute
	 * (NEXT_HOP only for the NLRI field, RFC 4760 §3; LOCAL_PREF on
	 * iBGP, RFC 4271 §5.1.5) is withdrawn. Data: the missing type. */
	if (has_nlri || mp_reach) {
		uint8_t miss = !SEEN(A_ORIGIN) ? A_ORIGIN : !SEEN(A_AS_PATH) ? A_AS_PATH :
			       (has_nlri && !SEEN(A_NEXT_HOP)) ? A_NEXT_HOP :
			       (ibgp && !SEEN(A_LOCAL_PREF)) ? A_LOCAL_PREF : 0;
		if (miss) {
			u->n_errors++;
			if (u->error.action < BGP_ACT_TREAT_AS_WITHDRAW) {
				u->error = (struct bgp_upd_error){ BGP_ACT_TREAT_AS_WITHDRAW, miss,
					"RFC 7606 3.d", "well-known attribute missing" };
				bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_MISSING_WK, &miss, 1);
			}
		}
	}
	enum bgp_upd_action act = u->error.action;
	/* §5.2: an UPDATE with attributes (other than MP_UNREACH_NLRI) but
	 * nothing reachable cannot prove its NLRI were parsed right: any
	 * error stronger than attribute discard resets. */
	if (act > BGP_ACT_ATTR_DISCARD && !has_nlri && !mp_reach && other) {
		u->error.action = BGP_ACT_SESSION_RESET;
		u->error.rule = "RFC 7606 5.2";
		return -1;
	}
	if (act == BGP_ACT_TREAT_AS_WITHDRAW) {
		/* §2: every route in it is taken as withdrawn. */
		u->n_withdrawn += u->n_nlri;
		u->n_mp_unreach += u->n_mp_reach;
		u->n_nlri = u->n_mp_reach = 0;
	}
	if (act != BGP_ACT_NONE)
		return 0;
	/* RFC 4724 §2: End-of-RIB markers. */
	if (wlen == 0 && alen == 0 && u->n_nlri == 0) {
		u->eor = true;
		u->eor_family = AF_INET;
	} else if (SEEN(A_MP_UNREACH) && !mp_reach && u->n_mp_unreach == 0 && wlen == 0 &&
		   u->n_nlri == 0 && alen == 6) {
		u->eor = u->mp_afi == BGP_AFI_IPV6 || u->mp_afi == BGP_AFI_IPV4;
		u->eor_family = u->mp_afi == BGP_AFI_IPV6 ? AF_INET6 : AF_INET;
	}
	return 0;
}
