/*
 * bgp_update.c: UPDATE messages (RFC 4271 §4.3, §5, §6.3; RFC 4760 MP
 * reach/unreach; RFC 6793 AS4_PATH; RFC 1997 / RFC 8092 communities;
 * RFC 4724 End-of-RIB). We only send our one prefix per family; received
 * UPDATEs are validated for framing and then ignored.
 */
#include "anycast/bgp_msg.h"

#include <sys/socket.h>
#include <string.h>

#include "anycast/bgp_msg_int.h"

/* Path attribute type codes. */
enum {
	A_ORIGIN = 1, A_AS_PATH = 2, A_NEXT_HOP = 3, A_MED = 4, A_LOCAL_PREF = 5,
	A_ATOMIC_AGG = 6, A_AGGREGATOR = 7, A_COMMUNITIES = 8, A_MP_REACH = 14,
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

/* ---- decoding ---- */

/* Walk a run of prefixes; returns the count or -1 on a bad length. */
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

/* AS_PATH / AS4_PATH segments (RFC 4271 §4.3, RFC 5065 confed types). */
static int parse_path(struct wire_rd r, unsigned width, uint32_t *out, unsigned *n)
{
	*n = 0;
	while (wire_rd_left(&r) > 0) {
		uint8_t st = wire_rd_u8(&r);
		uint8_t cnt = wire_rd_u8(&r);
		if (r.err || st < 1 || st > 4 || cnt == 0)
			return -1;
		for (unsigned i = 0; i < cnt; i++) {
			uint32_t as = width == 4 ? wire_rd_u32(&r) : wire_rd_u16(&r);
			if (*n < BGP_PATH_MAX)
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

static int attr_fail(struct bgp_err *err, uint8_t sub, const struct attr_ctx *c)
{
	bgp_err_set(err, BGP_ERR_UPDATE, sub, c->start, c->total);
	return -1;
}

/* RFC 4271 §6.3 Attribute Flags Error: the category bits must match. */
static bool flags_ok(uint8_t type, uint8_t flags)
{
	switch (type) {
	case A_ORIGIN: case A_AS_PATH: case A_NEXT_HOP: case A_LOCAL_PREF:
	case A_ATOMIC_AGG:  /* well-known: not optional, transitive, not partial */
		return (flags & (F_OPTIONAL | F_TRANSITIVE | F_PARTIAL)) == F_TRANSITIVE;
	case A_MED: case A_MP_REACH: case A_MP_UNREACH:  /* optional non-transitive */
		return (flags & (F_OPTIONAL | F_TRANSITIVE | F_PARTIAL)) == F_OPTIONAL;
	default:  /* the optional transitive ones we know */
		return (flags & (F_OPTIONAL | F_TRANSITIVE)) == (F_OPTIONAL | F_TRANSITIVE);
	}
}

static int mp_attr(struct attr_ctx *c, struct bgp_update_in *u, struct bgp_err *err)
{
	struct wire_rd *v = &c->v;
	u->mp_afi = wire_rd_u16(v);
	u->mp_safi = wire_rd_u8(v);
	unsigned maxlen = u->mp_afi == BGP_AFI_IPV4 ? 32 : u->mp_afi == BGP_AFI_IPV6 ? 128 : 0;
	if (c->type == A_MP_REACH) {
		u->mp_nh_len = wire_rd_u8(v);
		struct wire_rd nh = wire_rd_sub(v, u->mp_nh_len);
		(void)wire_rd_u8(v);  /* reserved */
		if (v->err || (u->mp_afi == BGP_AFI_IPV6 && u->mp_nh_len != 16 && u->mp_nh_len != 32))
			return attr_fail(err, BGP_UPD_OPTIONAL, c);
		wire_rd_bytes(&nh, u->mp_nh, u->mp_nh_len > 32 ? 32 : u->mp_nh_len);
	}
	if (v->err)
		return attr_fail(err, BGP_UPD_OPTIONAL, c);
	if (maxlen == 0 || u->mp_safi != 1)
		return 0;  /* a family we never negotiated: framing only */
	int n = parse_prefixes(v, maxlen, c->type == A_MP_REACH ? u : NULL);
	if (n < 0)
		return attr_fail(err, BGP_UPD_OPTIONAL, c);
	if (c->type == A_MP_REACH)
		u->n_mp_reach = (unsigned)n;
	else
		u->n_mp_unreach = (unsigned)n;
	return 0;
}

/* One recognised attribute's value checks. */
static int attr_value(struct attr_ctx *c, bool as4, struct bgp_update_in *u,
		      struct bgp_err *err)
{
	size_t len = c->v.len;
	switch (c->type) {
	case A_ORIGIN:
		if (len != 1)
			return attr_fail(err, BGP_UPD_LENGTH, c);
		u->origin = wire_rd_u8(&c->v);
		if (u->origin > 2)
			return attr_fail(err, BGP_UPD_ORIGIN, c);
		u->has_origin = true;
		return 0;
	case A_AS_PATH:
		if (parse_path(c->v, as4 ? 4 : 2, u->as_path, &u->as_path_len) < 0) {
			bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_AS_PATH, NULL, 0);
			return -1;
		}
		u->has_as_path = true;
		return 0;
	case A_NEXT_HOP: {
		if (len != 4)
			return attr_fail(err, BGP_UPD_LENGTH, c);
		wire_rd_bytes(&c->v, u->next_hop, 4);
		uint8_t a = u->next_hop[0];
		bool zero = !(a | u->next_hop[1] | u->next_hop[2] | u->next_hop[3]);
		/* §6.3: syntactically incorrect: 0.0.0.0, multicast (and
		 * above: class E and broadcast). */
		if (zero || a >= 224)
			return attr_fail(err, BGP_UPD_NEXT_HOP, c);
		u->has_next_hop = true;
		return 0;
	}
	case A_MED: case A_LOCAL_PREF:
		if (len != 4)
			return attr_fail(err, BGP_UPD_LENGTH, c);
		if (c->type == A_MED) {
			u->med = wire_rd_u32(&c->v);
			u->has_med = true;
		} else {
			u->local_pref = wire_rd_u32(&c->v);
			u->has_local_pref = true;
		}
		return 0;
	case A_ATOMIC_AGG:
		return len == 0 ? 0 : attr_fail(err, BGP_UPD_LENGTH, c);
	case A_AGGREGATOR:
		return len == (as4 ? 8u : 6u) ? 0 : attr_fail(err, BGP_UPD_LENGTH, c);
	case A_COMMUNITIES:
		if (len == 0 || len % 4)
			return attr_fail(err, BGP_UPD_OPTIONAL, c);
		u->n_communities = (unsigned)(len / 4);
		u->first_community = wire_rd_u32(&c->v);
		return 0;
	case A_LARGE_COMMUNITY:
		if (len == 0 || len % 12)
			return attr_fail(err, BGP_UPD_OPTIONAL, c);
		u->n_lcommunities = (unsigned)(len / 12);
		u->first_lcommunity.global = wire_rd_u32(&c->v);
		u->first_lcommunity.local1 = wire_rd_u32(&c->v);
		u->first_lcommunity.local2 = wire_rd_u32(&c->v);
		return 0;
	case A_EXT_COMMUNITIES:
		return len % 8 == 0 ? 0 : attr_fail(err, BGP_UPD_OPTIONAL, c);
	case A_MP_REACH: case A_MP_UNREACH:
		return mp_attr(c, u, err);
	case A_AS4_PATH:
		/* RFC 6793 §6: a malformed AS4_PATH is discarded, not fatal. */
		u->has_as4_path = parse_path(c->v, 4, u->as4_path, &u->as4_path_len) == 0;
		return 0;
	default:  /* AS4_AGGREGATOR and the rest: framing only */
		return 0;
	}
}

static bool is_known(uint8_t t)
{
	return (t >= A_ORIGIN && t <= A_COMMUNITIES) || (t >= A_MP_REACH && t <= A_AS4_AGGREGATOR) ||
	       t == A_LARGE_COMMUNITY;
}

static int missing(struct bgp_err *err, uint8_t type)
{
	/* §6.3: data = the type code of the missing attribute. */
	bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_MISSING_WK, &type, 1);
	return -1;
}

int bgp_decode_update(const uint8_t *body, size_t len, bool as4, bool ibgp,
		      struct bgp_update_in *u, struct bgp_err *err)
{
	struct wire_rd r = wire_rd_init(body, len);
	memset(u, 0, sizeof(*u));
	uint16_t wlen = wire_rd_u16(&r);
	struct wire_rd wd = wire_rd_sub(&r, wlen);
	uint16_t alen = wire_rd_u16(&r);
	struct wire_rd attrs = wire_rd_sub(&r, alen);
	/* §6.3: withdrawn and attribute lengths must fit the message. */
	if (r.err) {
		bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_MALFORMED_LIST, NULL, 0);
		return -1;
	}
	int n = parse_prefixes(&wd, 32, NULL);
	if (n < 0) {
		bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_NETWORK, NULL, 0);
		return -1;
	}
	u->n_withdrawn = (unsigned)n;
	uint8_t seen[32] = { 0 };
	bool mp_reach = false, mp_unreach = false;
	while (wire_rd_left(&attrs) > 0) {
		struct attr_ctx c;
		c.start = attrs.p + attrs.pos;
		c.flags = wire_rd_u8(&attrs);
		c.type = wire_rd_u8(&attrs);
		size_t vlen = (c.flags & F_EXTLEN) ? wire_rd_u16(&attrs) : wire_rd_u8(&attrs);
		size_t hdr = (c.flags & F_EXTLEN) ? 4 : 3;
		c.v = wire_rd_sub(&attrs, vlen);
		c.total = hdr + vlen;
		/* An attribute running past the attribute list (or a header
		 * cut short) breaks the list's framing. */
		if (attrs.err) {
			bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_MALFORMED_LIST, NULL, 0);
			return -1;
		}
		/* §6.3: an attribute appearing twice is a malformed list. */
		if (seen[c.type / 8] & (1u << (c.type % 8))) {
			bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_MALFORMED_LIST, NULL, 0);
			return -1;
		}
		seen[c.type / 8] |= (uint8_t)(1u << (c.type % 8));
		if (!is_known(c.type)) {
			if (!(c.flags & F_OPTIONAL))
				return attr_fail(err, BGP_UPD_UNRECOG_WK, &c);
			continue;  /* unknown optional: ignored (we pass nothing on) */
		}
		if (!flags_ok(c.type, c.flags))
			return attr_fail(err, BGP_UPD_FLAGS, &c);
		if (attr_value(&c, as4, u, err) < 0)
			return -1;
		mp_reach |= c.type == A_MP_REACH;
		mp_unreach |= c.type == A_MP_UNREACH;
	}
	struct wire_rd nlri = wire_rd_sub(&r, wire_rd_left(&r));
	n = parse_prefixes(&nlri, 32, u);
	if (n < 0) {
		bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_NETWORK, NULL, 0);
		return -1;
	}
	u->n_nlri = (unsigned)n;
	/* §6.3 / RFC 4760 §3: reachability needs the well-known mandatory
	 * attributes (NEXT_HOP only for IPv4 NLRI; LOCAL_PREF on iBGP). */
	if (u->n_nlri || mp_reach) {
		if (!u->has_origin)
			return missing(err, A_ORIGIN);
		if (!u->has_as_path)
			return missing(err, A_AS_PATH);
		if (u->n_nlri && !u->has_next_hop)
			return missing(err, A_NEXT_HOP);
		if (ibgp && !u->has_local_pref)
			return missing(err, A_LOCAL_PREF);
	}
	/* RFC 4724 §2: End-of-RIB markers. */
	if (wlen == 0 && alen == 0 && u->n_nlri == 0) {
		u->eor = true;
		u->eor_family = AF_INET;
	} else if (mp_unreach && !mp_reach && u->n_mp_unreach == 0 && wlen == 0 &&
		   u->n_nlri == 0 && alen == 6) {
		u->eor = u->mp_afi == BGP_AFI_IPV6 || u->mp_afi == BGP_AFI_IPV4;
		u->eor_family = u->mp_afi == BGP_AFI_IPV6 ? AF_INET6 : AF_INET;
	}
	return 0;
}
