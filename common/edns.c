/* edns.c: OPT RR parsing and writing; see edns.h. */
#include "common/edns.h"

#include <string.h>

#include "common/zone.h"

/* NSID payloads longer than this are cut: an identity is a short label. */
#define NSID_MAXLEN 255

int ecs_parse(const uint8_t *data, size_t len, struct ecs *out)
{
	memset(out, 0, sizeof(*out));
	/* RFC 7871 6: FAMILY (2), SOURCE (1), SCOPE (1), ADDRESS. */
	if (len < 4)
		return -1;
	uint16_t family = (uint16_t)(data[0] << 8 | data[1]);
	uint8_t source = data[2], scope = data[3];
	unsigned maxbits;
	if (family == ECS_FAMILY_IPV4)
		maxbits = 32;
	else if (family == ECS_FAMILY_IPV6)
		maxbits = 128;
	else
		return -1;  /* 7.1.2: unknown FAMILY is FORMERR */
	if (source > maxbits)
		return -1;
	/* 7.1.2: SCOPE PREFIX-LENGTH must be 0 in queries. */
	if (scope != 0)
		return -1;
	/* 6: ADDRESS is exactly ceil(SOURCE/8) octets ... */
	size_t alen = ((size_t)source + 7) / 8;
	if (len - 4 != alen)
		return -1;
	const uint8_t *a = data + 4;
	/* ... and bits beyond SOURCE PREFIX-LENGTH must be zero (7.1.2). */
	if (source % 8) {
		uint8_t mask = (uint8_t)(0xFF >> (source % 8));
		if (a[alen - 1] & mask)
			return -1;
	}
	out->family = family;
	out->source = source;
	out->scope = scope;
	memcpy(out->addr, a, alen);
	return 0;
}

size_t ecs_data_len(const struct ecs *e)
{
	return 4 + ((size_t)e->source + 7) / 8;
}

int edns_parse_opt(uint16_t rrclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen,
                   struct edns_query *out)
{
	memset(out, 0, sizeof(*out));
	out->present = true;
	/* RFC 6891 6.1.3: CLASS is the payload size, TTL carries EXTENDED-RCODE,
	 * VERSION and the DO flag. */
	out->payload = rrclass;
	out->ext_rcode = (uint8_t)(ttl >> 24);
	out->version = (uint8_t)(ttl >> 16);
	out->do_bit = (ttl & 0x8000) != 0;

	struct wire_rd r = wire_rd_init(rdata, rdlen);
	while (wire_rd_left(&r) > 0) {
		uint16_t code = wire_rd_u16(&r);
		uint16_t olen = wire_rd_u16(&r);
		if (r.err || wire_rd_left(&r) < olen)
			return EDNS_EFORMAT;  /* option header or data runs past RDLEN */
		const uint8_t *odata = r.p + r.pos;
		wire_rd_skip(&r, olen);
		switch (code) {
		case EDNS_OPT_NSID:
			/* RFC 5001 2.1: the request carries an empty option. */
			out->nsid = true;
			break;
		case EDNS_OPT_ECS:
			/* RFC 7871 has no rule for two ECS options; the first wins
			 * and a broken one is remembered. */
			if (out->has_ecs || out->ecs_invalid)
				break;
			if (ecs_parse(odata, olen, &out->ecs) == 0)
				out->has_ecs = true;
			else
				out->ecs_invalid = true;
			break;
		case EDNS_OPT_COOKIE:
			/* RFC 7873 has no rule for two; the first one counts. */
			if (!out->cookie.present)
				cookie_parse(odata, olen, &out->cookie);
			break;
		default:
			break;  /* RFC 6891 6.1.2: unknown options are ignored */
		}
	}
	return r.err ? EDNS_EFORMAT : EDNS_OK;
}

static size_t nsid_len(const struct edns_answer *a)
{
	if (!a->nsid)
		return 0;
	size_t n = strlen(a->nsid);
	return n > NSID_MAXLEN ? NSID_MAXLEN : n;
}

size_t edns_opt_size(const struct edns_answer *a)
{
	/* root owner (1) + type, class, ttl, rdlen (10) */
	size_t n = 11;
	size_t nl = nsid_len(a);
	if (nl)
		n += 4 + nl;
	if (a->ecs)
		n += 4 + ecs_data_len(a->ecs);
	if (a->cookie)
		n += 4 + (size_t)a->cookie_len;
	return n;
}

void edns_write_opt(struct wire_wr *w, const struct edns_answer *a)
{
	size_t nl = nsid_len(a);
	size_t total = edns_opt_size(a);
	/* One room check for the whole RR, then plain stores: this is on
	 * every EDNS answer. */
	if (!wire_wr_room(w, total))
		return;
	uint8_t *b = w->p + w->pos;
	*b++ = 0;  /* RFC 6891 6.1.2: owner is the root */
	b = wire_put_u16(b, RRT_OPT);
	b = wire_put_u16(b, a->payload);
	/* TTL: extended RCODE, VERSION 0 (we implement version 0 only), DO
	 * echoed, Z zero. */
	*b++ = a->ext_rcode;
	*b++ = 0;
	b = wire_put_u16(b, a->do_bit ? 0x8000u : 0);
	b = wire_put_u16(b, (uint16_t)(total - 11));
	if (nl) {
		b = wire_put_u16(b, EDNS_OPT_NSID);
		b = wire_put_u16(b, (uint16_t)nl);
		memcpy(b, a->nsid, nl);
		b += nl;
	}
	if (a->ecs) {
		/* RFC 7871 7.2.1: echo FAMILY, SOURCE and ADDRESS; SCOPE is ours. */
		size_t alen = ecs_data_len(a->ecs) - 4;
		b = wire_put_u16(b, EDNS_OPT_ECS);
		b = wire_put_u16(b, (uint16_t)(4 + alen));
		b = wire_put_u16(b, a->ecs->family);
		*b++ = a->ecs->source;
		*b++ = a->ecs->scope;
		memcpy(b, a->ecs->addr, alen);
		b += alen;
	}
	if (a->cookie) {
		b = wire_put_u16(b, EDNS_OPT_COOKIE);
		b = wire_put_u16(b, a->cookie_len);
		memcpy(b, a->cookie, a->cookie_len);
		b += a->cookie_len;
	}
	w->pos += total;
}
