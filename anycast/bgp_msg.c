/*
 * bgp_msg.c: BGP message header, OPEN, KEEPALIVE and NOTIFICATION encoding
 * and validation (RFC 4271 §4.1-4.5, §6.1-6.2; RFC 5492 capabilities,
 * RFC 9072 extended optional parameters, RFC 8203 shutdown messages).
 */
#include "anycast/bgp_msg.h"

#include <string.h>

#include "anycast/bgp_msg_int.h"

/* Capability codes (RFC 5492 registry). */
enum {
	CAP_MP = 1, CAP_ROUTE_REFRESH = 2, CAP_EXT_MSG = 6, CAP_GR = 64,
	CAP_AS4 = 65,
};

void bgp_err_set(struct bgp_err *err, uint8_t code, uint8_t subcode,
		 const uint8_t *data, size_t len)
{
	err->code = code;
	err->subcode = subcode;
	if (len > BGP_ERR_DATA_MAX)
		len = BGP_ERR_DATA_MAX;
	if (data && len)
		memcpy(err->data, data, len);
	err->data_len = data ? len : 0;
}

size_t bgp_msg_begin(struct wire_wr *w, uint8_t type)
{
	size_t start = w->pos;
	static const uint8_t marker[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	wire_wr_bytes(w, marker, sizeof(marker));
	wire_wr_u16(w, 0);  /* length, patched by bgp_msg_end */
	wire_wr_u8(w, type);
	return start;
}

int bgp_msg_end(struct wire_wr *w, size_t start)
{
	size_t len = w->pos - start;
	if (w->err || len > BGP_MAX_LEN)
		return -1;
	wire_wr_put_u16_at(w, start + 16, (uint16_t)len);
	return (int)len;
}

/* RFC 4271 §4: the smallest legal length of each message type. */
static size_t min_len(uint8_t type)
{
	switch (type) {
	case BGP_MSG_OPEN:          return 29;
	case BGP_MSG_UPDATE:        return 23;
	case BGP_MSG_NOTIFICATION:  return 21;
	case BGP_MSG_KEEPALIVE:     return 19;
	case BGP_MSG_ROUTE_REFRESH: return 23;  /* RFC 2918 §3 */
	default:                    return 0;
	}
}

int bgp_hdr_check(const uint8_t *buf, size_t *msg_len, uint8_t *type,
		  struct bgp_err *err)
{
	/* RFC 4271 §6.1: a marker that is not all ones is Connection Not
	 * Synchronized. */
	for (int i = 0; i < 16; i++) {
		if (buf[i] != 0xff) {
			bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_NOT_SYNC, NULL, 0);
			return -1;
		}
	}
	size_t len = (size_t)buf[16] << 8 | buf[17];
	uint8_t t = buf[18];
	size_t min = min_len(t);
	/* Bad Message Length carries the erroneous length field; checked
	 * before the type so a garbage stream stops on the length. */
	if (len < BGP_HDR_LEN || len > BGP_MAX_LEN) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LEN, buf + 16, 2);
		return -1;
	}
	if (min == 0) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_TYPE, buf + 18, 1);
		return -1;
	}
	if (len < min || (t == BGP_MSG_KEEPALIVE && len != BGP_HDR_LEN)) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LEN, buf + 16, 2);
		return -1;
	}
	*msg_len = len;
	*type = t;
	return 0;
}

static void put_cap_mp(struct wire_wr *w, uint16_t afi)
{
	wire_wr_u8(w, CAP_MP);
	wire_wr_u8(w, 4);
	wire_wr_u16(w, afi);
	wire_wr_u8(w, 0);  /* reserved */
	wire_wr_u8(w, 1);  /* SAFI unicast */
}

int bgp_encode_open(struct wire_wr *w, const struct bgp_open_out *o)
{
	size_t start = bgp_msg_begin(w, BGP_MSG_OPEN);
	wire_wr_u8(w, BGP_VERSION);
	/* RFC 6793 §4.1: an AS that does not fit goes out as AS_TRANS. */
	wire_wr_u16(w, o->local_as > 0xffff ? BGP_AS_TRANS : (uint16_t)o->local_as);
	wire_wr_u16(w, o->hold_time);
	wire_wr_u32(w, o->router_id);
	size_t optlen_at = w->pos;
	wire_wr_u8(w, 0);               /* optional parameters length */
	wire_wr_u8(w, 2);               /* one parameter: capabilities */
	size_t caplen_at = w->pos;
	wire_wr_u8(w, 0);
	if (o->mp_v4)
		put_cap_mp(w, BGP_AFI_IPV4);
	if (o->mp_v6)
		put_cap_mp(w, BGP_AFI_IPV6);
	wire_wr_u8(w, CAP_AS4);
	wire_wr_u8(w, 4);
	wire_wr_u32(w, o->local_as);
	if (o->graceful_restart) {
		/* RFC 4724 §3: restart flags 0, restart time 0 and, on purpose,
		 * no <AFI, SAFI> tuples: a helper then has nothing to retain
		 * when we go away, so our anycast route disappears at once. */
		wire_wr_u8(w, CAP_GR);
		wire_wr_u8(w, 2);
		wire_wr_u16(w, 0);
	}
	if (w->err)
		return -1;
	w->p[caplen_at] = (uint8_t)(w->pos - caplen_at - 1);
	w->p[optlen_at] = (uint8_t)(w->pos - optlen_at - 1);
	return bgp_msg_end(w, start);
}

/* RFC 5492 §4: walk the capabilities of one parameter. */
static int parse_caps(struct wire_rd *r, struct bgp_open_in *o, struct bgp_err *err)
{
	while (wire_rd_left(r) > 0) {
		uint8_t code = wire_rd_u8(r);
		uint8_t clen = wire_rd_u8(r);
		struct wire_rd v = wire_rd_sub(r, clen);
		if (r->err)
			goto malformed;
		o->n_caps++;
		switch (code) {
		case CAP_MP: {
			if (clen != 4)
				goto malformed;
			uint16_t afi = wire_rd_u16(&v);
			(void)wire_rd_u8(&v);
			uint8_t safi = wire_rd_u8(&v);
			o->any_mp = true;
			if (afi == BGP_AFI_IPV4 && safi == 1)
				o->cap_mp_v4 = true;
			if (afi == BGP_AFI_IPV6 && safi == 1)
				o->cap_mp_v6 = true;
			break;
		}
		case CAP_AS4:
			if (clen != 4)
				goto malformed;
			o->cap_as4 = true;
			o->peer_as = wire_rd_u32(&v);
			break;
		case CAP_ROUTE_REFRESH: o->cap_route_refresh = true; break;
		case CAP_EXT_MSG:       o->cap_ext_msg = true; break;
		case CAP_GR:            o->cap_gr = true; break;
		default:
			/* RFC 5492 §4: unknown capabilities are ignored. */
			o->n_unknown_caps++;
			break;
		}
	}
	return 0;
malformed:
	bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_UNSPEC, NULL, 0);
	return -1;
}

int bgp_decode_open(const uint8_t *body, size_t len, struct bgp_open_in *o,
		    struct bgp_err *err)
{
	struct wire_rd r = wire_rd_init(body, len);
	memset(o, 0, sizeof(*o));
	o->version = wire_rd_u8(&r);
	o->my_as = wire_rd_u16(&r);
	o->hold_time = wire_rd_u16(&r);
	o->router_id = wire_rd_u32(&r);
	uint8_t optlen = wire_rd_u8(&r);
	if (r.err)
		goto unspec;
	o->peer_as = o->my_as;
	if (o->version != BGP_VERSION) {
		/* §6.2: data = the largest version we support. */
		static const uint8_t v[2] = { 0, BGP_VERSION };
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_VERSION, v, 2);
		return -1;
	}
	if (o->hold_time == 1 || o->hold_time == 2) {
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_HOLD, NULL, 0);
		return -1;
	}
	if (o->router_id == 0) {
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_ID, NULL, 0);
		return -1;
	}
	/* RFC 9072 §2: length 255 followed by type 255 announces the
	 * extended form: a 2-octet length, and 2-octet parameter lengths. */
	bool ext = optlen == 255 && wire_rd_left(&r) >= 1 && r.p[r.pos] == 255;
	struct wire_rd params;
	if (ext) {
		wire_rd_skip(&r, 1);
		uint16_t elen = wire_rd_u16(&r);
		params = wire_rd_sub(&r, elen);
		o->extended_params = true;
	} else {
		params = wire_rd_sub(&r, optlen);
	}
	/* The parameters must fill the message exactly. */
	if (r.err || params.err || wire_rd_left(&r) != 0)
		goto unspec;
	while (wire_rd_left(&params) > 0) {
		uint8_t ptype = wire_rd_u8(&params);
		size_t plen = ext ? wire_rd_u16(&params) : wire_rd_u8(&params);
		struct wire_rd pv = wire_rd_sub(&params, plen);
		if (params.err)
			goto unspec;
		o->n_params++;
		if (ptype != 2) {
			/* §6.2: Unsupported Optional Parameter (type 1,
			 * authentication, is deprecated by RFC 5492). */
			bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_PARAM, NULL, 0);
			return -1;
		}
		if (parse_caps(&pv, o, err) < 0)
			return -1;
	}
	return 0;
unspec:
	bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_UNSPEC, NULL, 0);
	return -1;
}

int bgp_check_open(const struct bgp_open_in *o, uint32_t expected_as,
		   uint32_t local_as, uint32_t local_id, struct bgp_err *err)
{
	/* RFC 6793 §4.2: a 4-octet speaker's real AS is in the capability;
	 * without it, an AS_TRANS in the 2-octet field cannot match anyone. */
	if (o->peer_as != expected_as) {
		uint8_t d[2] = { (uint8_t)(o->my_as >> 8), (uint8_t)o->my_as };
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_AS, d, 2);
		return -1;
	}
	/* RFC 6286 §2.2: within an AS the identifiers must differ. */
	if (expected_as == local_as && o->router_id == local_id) {
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_ID, NULL, 0);
		return -1;
	}
	return 0;
}

int bgp_encode_keepalive(struct wire_wr *w)
{
	size_t start = bgp_msg_begin(w, BGP_MSG_KEEPALIVE);
	return bgp_msg_end(w, start);
}

int bgp_encode_notification(struct wire_wr *w, uint8_t code, uint8_t subcode,
			    const uint8_t *data, size_t len)
{
	size_t start = bgp_msg_begin(w, BGP_MSG_NOTIFICATION);
	wire_wr_u8(w, code);
	wire_wr_u8(w, subcode);
	if (len)
		wire_wr_bytes(w, data, len);
	return bgp_msg_end(w, start);
}

int bgp_encode_shutdown(struct wire_wr *w, uint8_t subcode, const char *msg)
{
	uint8_t d[256];
	size_t n = msg ? strlen(msg) : 0;
	if (n > 255) {
		/* RFC 9003 §2: at most 255 octets; never split a UTF-8
		 * sequence (continuation bytes are 10xxxxxx). */
		n = 255;
		while (n > 0 && ((uint8_t)msg[n] & 0xc0) == 0x80)
			n--;
	}
	d[0] = (uint8_t)n;
	if (n)
		memcpy(d + 1, msg, n);
	return bgp_encode_notification(w, BGP_ERR_CEASE, subcode, d, n + 1);
}

int bgp_decode_notification(const uint8_t *body, size_t len,
			    struct bgp_notification_in *n)
{
	struct wire_rd r = wire_rd_init(body, len);
	memset(n, 0, sizeof(*n));
	n->code = wire_rd_u8(&r);
	n->subcode = wire_rd_u8(&r);
	if (r.err)
		return -1;
	n->data = body + r.pos;
	n->data_len = wire_rd_left(&r);
	/* RFC 8203 §2: length byte then UTF-8 text; an inconsistent length
	 * just means no message (the notification itself still counts). */
	if (n->code == BGP_ERR_CEASE && (n->subcode == BGP_CEASE_ADMIN_SHUTDOWN ||
	    n->subcode == BGP_CEASE_ADMIN_RESET) && n->data_len >= 1) {
		uint8_t ml = wire_rd_u8(&r);
		struct wire_rd m = wire_rd_sub(&r, ml);
		if (!m.err && ml) {
			for (size_t i = 0; i < ml; i++) {
				uint8_t c = m.p[i];
				/* keep logs one line and printable */
				n->shutdown_msg[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
			}
			n->shutdown_msg[ml] = '\0';
		}
	}
	return 0;
}
