/* probe_dns.c: the probe's queries and response reading; see probe_dns.h. */
#include "compare/probe_dns.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wire.h"

#define TYPE_A 1
#define TYPE_OPT 41
#define CLASS_IN 1
#define PROBE_PAYLOAD 1232

int probe_dns_build(const struct probe_question *q, uint16_t id, uint8_t *buf, size_t cap)
{
	struct wire_wr w = wire_wr_init(buf, cap);

	wire_wr_u16(&w, id);
	wire_wr_u16(&w, q->rd ? 0x0100 : 0);  /* QUERY, RD as asked */
	wire_wr_u16(&w, 1);                   /* QDCOUNT */
	wire_wr_u16(&w, 0);
	wire_wr_u16(&w, 0);
	wire_wr_u16(&w, 1);                   /* ARCOUNT: the OPT */
	wire_wr_bytes(&w, q->qname, dname_len(q->qname));
	wire_wr_u16(&w, q->qtype);
	wire_wr_u16(&w, q->qclass);

	/* OPT RR (RFC 6891 6.1.2): root owner, CLASS = our payload size, TTL 0
	 * (version 0, DO clear). edns_write_opt cannot write the empty NSID
	 * option a requestor sends, so the options are written here. */
	wire_wr_u8(&w, 0);
	wire_wr_u16(&w, TYPE_OPT);
	wire_wr_u16(&w, PROBE_PAYLOAD);
	wire_wr_u32(&w, 0);
	size_t rdlen_at = w.pos;
	wire_wr_u16(&w, 0);
	if (q->nsid) {
		/* RFC 5001 2.1: the request carries an empty NSID option. */
		wire_wr_u16(&w, EDNS_OPT_NSID);
		wire_wr_u16(&w, 0);
	}
	if (q->has_ecs) {
		/* RFC 7871 6: FAMILY, SOURCE, SCOPE 0, ceil(SOURCE/8) address bytes. */
		size_t dlen = ecs_data_len(&q->ecs);
		wire_wr_u16(&w, EDNS_OPT_ECS);
		wire_wr_u16(&w, (uint16_t)dlen);
		wire_wr_u16(&w, q->ecs.family);
		wire_wr_u8(&w, q->ecs.source);
		wire_wr_u8(&w, 0);
		wire_wr_bytes(&w, q->ecs.addr, dlen - 4);
	}
	if (w.err)
		return -1;
	wire_wr_put_u16_at(&w, rdlen_at, (uint16_t)(w.pos - rdlen_at - 2));
	return (int)w.pos;
}

/* Options of a response's OPT RR. Framing errors make the message malformed. */
static int parse_opt_rdata(struct wire_rd *rd, struct probe_reply *out)
{
	while (wire_rd_left(rd) > 0) {
		uint16_t code = wire_rd_u16(rd);
		uint16_t olen = wire_rd_u16(rd);
		struct wire_rd o = wire_rd_sub(rd, olen);
		if (rd->err)
			return -1;
		if (code == EDNS_OPT_NSID) {
			/* RFC 5001 2.3: the payload is opaque bytes; we keep it as
			 * text (servers put their identity there) and let the JSON
			 * writer escape whatever it holds. */
			size_t n = olen < PROBE_NSID_MAX - 1 ? olen : PROBE_NSID_MAX - 1;
			wire_rd_bytes(&o, out->nsid, n);
			out->nsid[n] = '\0';
			out->has_nsid = true;
		} else if (code == EDNS_OPT_ECS && olen >= 4) {
			/* RFC 7871 6: the response echoes FAMILY, SOURCE and
			 * ADDRESS and sets SCOPE. */
			(void)wire_rd_u16(&o);
			out->ecs_source = wire_rd_u8(&o);
			out->ecs_scope = wire_rd_u8(&o);
			out->has_ecs = true;
		}
	}
	return 0;
}

int probe_dns_parse(const struct probe_question *q, uint16_t id, const uint8_t *msg, size_t len,
                    struct probe_reply *out)
{
	struct wire_rd r = wire_rd_init(msg, len);
	uint8_t name[DNAME_MAXLEN];

	memset(out, 0, sizeof(*out));
	uint16_t rid = wire_rd_u16(&r);
	uint16_t flags = wire_rd_u16(&r);
	uint16_t qd = wire_rd_u16(&r);
	uint16_t an = wire_rd_u16(&r);
	uint16_t ns = wire_rd_u16(&r);
	uint16_t ar = wire_rd_u16(&r);
	if (r.err)
		return PROBE_PARSE_MALFORMED;
	if (rid != id || !(flags & 0x8000) || qd != 1)
		return PROBE_PARSE_MISMATCH;
	out->rcode = flags & 0x0f;
	out->aa = (flags & 0x0400) != 0;

	size_t pos = r.pos;
	if (dname_parse(msg, len, &pos, name, true) < 0)
		return PROBE_PARSE_MALFORMED;
	r.pos = pos;
	uint16_t qtype = wire_rd_u16(&r);
	uint16_t qclass = wire_rd_u16(&r);
	if (r.err)
		return PROBE_PARSE_MALFORMED;
	if (!dname_equal(name, q->qname) || qtype != q->qtype || qclass != q->qclass)
		return PROBE_PARSE_MISMATCH;

	unsigned total = (unsigned)an + ns + ar;
	for (unsigned i = 0; i < total; i++) {
		pos = r.pos;
		if (dname_parse(msg, len, &pos, name, true) < 0)
			return PROBE_PARSE_MALFORMED;
		r.pos = pos;
		uint16_t type = wire_rd_u16(&r);
		uint16_t rclass = wire_rd_u16(&r);
		uint32_t ttl = wire_rd_u32(&r);
		uint16_t rdlen = wire_rd_u16(&r);
		struct wire_rd rd = wire_rd_sub(&r, rdlen);
		if (r.err)
			return PROBE_PARSE_MALFORMED;
		if (i < an && type == TYPE_A && rclass == CLASS_IN && rdlen == 4) {
			if (out->n_a < PROBE_MAX_A)
				wire_rd_bytes(&rd, &out->a[out->n_a++], 4);
		} else if (i >= (unsigned)an + ns && type == TYPE_OPT && name[0] == 0) {
			/* RFC 6891 6.1.3: the upper 8 bits of the extended RCODE
			 * are in the TTL's top byte. */
			out->rcode = (uint8_t)(out->rcode | ((ttl >> 24) & 0xff) << 4);
			if (parse_opt_rdata(&rd, out) < 0)
				return PROBE_PARSE_MALFORMED;
		}
	}
	return PROBE_PARSE_OK;
}

const char *probe_rcode_name(unsigned rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
	};
	static char other[16];

	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	if (rcode == 16)
		return "BADVERS";
	snprintf(other, sizeof(other), "RCODE%u", rcode);
	return other;
}

int probe_parse_hostport(const char *text, uint16_t default_port, struct sockaddr_storage *ss,
                         socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port_text = NULL;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end)
			return -1;
		hlen = (size_t)(end - text - 1);
		if (hlen >= sizeof(host))
			return -1;
		memcpy(host, text + 1, hlen);
		host[hlen] = '\0';
		if (end[1] == ':')
			port_text = end + 2;
		else if (end[1] != '\0')
			return -1;
	} else {
		const char *colon = strchr(text, ':');
		/* One colon: ADDR:PORT; more: a bare IPv6 address. */
		if (colon && !strchr(colon + 1, ':')) {
			hlen = (size_t)(colon - text);
			port_text = colon + 1;
		} else {
			hlen = strlen(text);
		}
		if (hlen >= sizeof(host))
			return -1;
		memcpy(host, text, hlen);
		host[hlen] = '\0';
	}
	unsigned long port = default_port;
	if (port_text) {
		char *end;
		port = strtoul(port_text, &end, 10);
		if (!*port_text || *end || port == 0 || port > 65535)
			return -1;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* Clear the bits of e->addr beyond e->source. */
static void ecs_mask(struct ecs *e)
{
	unsigned bytes = e->family == ECS_FAMILY_IPV4 ? 4 : 16;
	for (unsigned i = 0; i < 16; i++) {
		int keep = (int)e->source - (int)i * 8;
		if (i >= bytes || keep <= 0)
			e->addr[i] = 0;
		else if (keep < 8)
			e->addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

int probe_parse_subnet(const char *text, struct ecs *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t hlen = slash ? (size_t)(slash - text) : strlen(text);

	memset(out, 0, sizeof(*out));
	if (hlen >= sizeof(host))
		return -1;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	unsigned max;
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = ECS_FAMILY_IPV4;
		max = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = ECS_FAMILY_IPV6;
		max = 128;
	} else {
		return -1;
	}
	unsigned long plen = max;
	if (slash) {
		char *end;
		plen = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || plen > max)
			return -1;
	}
	out->source = (uint8_t)plen;
	ecs_mask(out);
	return 0;
}

void probe_default_subnet(const struct sockaddr_storage *ss, struct ecs *out)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET) {
		out->family = ECS_FAMILY_IPV4;
		out->source = 24;
		memcpy(out->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else {
		out->family = ECS_FAMILY_IPV6;
		out->source = 56;
		memcpy(out->addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	}
	ecs_mask(out);
}

const char *probe_addr_text(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	const void *a = ss->ss_family == AF_INET
	                ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
	                : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)cap))
		snprintf(buf, cap, "?");
	return buf;
}
