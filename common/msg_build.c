/* msg_build.c: response writing with name compression; see msg_build.h. */
#include "common/msg_build.h"

#include <string.h>

#include "common/dname.h"

/* Compression pointers carry 14 bits of offset (RFC 1035 4.1.4). */
#define PTR_MAX_OFFSET 0x3FFF

void msg_init(struct msg *m, uint8_t *buf, size_t bufcap, size_t limit, size_t reserve,
              uint16_t id, uint16_t flags)
{
	/* compr[] is filled as used (ncompr), so only the rest is cleared. */
	memset(m->count, 0, sizeof(m->count));
	m->ncompr = 0;
	m->qname = NULL;
	m->bufcap = bufcap;
	if (limit > bufcap)
		limit = bufcap;
	m->limit = limit;
	m->reserve = reserve;
	size_t cap = limit > reserve ? limit - reserve : 0;
	m->w = wire_wr_init(buf, cap);
	m->flags = flags;
	/* ID, flags and four zero counts (RFC 1035 4.1.1), in one write. */
	const uint8_t hdr[12] = { (uint8_t)(id >> 8), (uint8_t)id, (uint8_t)(flags >> 8), (uint8_t)flags };
	wire_wr_bytes(&m->w, hdr, sizeof(hdr));
}

void msg_set_rcode(struct msg *m, uint8_t rcode)
{
	m->flags = (uint16_t)((m->flags & ~0x000F) | (rcode & 0x0F));
}

/*
 * Does the name written in our own packet at off equal name (wire form,
 * len bytes, starting at a label boundary)? The literal labels up to each
 * pointer are compared as one run of bytes. Pointers in our packet only
 * ever point backward, but the hop count is bounded anyway.
 */
static bool name_at_equals(const struct msg *m, size_t off, const uint8_t *name, size_t len)
{
	const uint8_t *p = m->w.p;
	size_t end = m->w.pos;
	size_t i = 0;
	int hops = 0;
	for (;;) {
		size_t run = 0;
		uint8_t l;
		for (;;) {
			if (off + run >= end || i + run >= len)
				return false;
			l = p[off + run];
			if (l == 0 || (l & 0xC0) == 0xC0)
				break;
			run += 1 + (size_t)l;
		}
		/* The loop left i + run < len and off + run < end. */
		if (!dname_bytes_equal_ci(p + off, name + i, run))
			return false;
		i += run;
		if (l == 0)
			return name[i] == 0;
		if (off + run + 1 >= end || ++hops > 64)
			return false;
		off = (size_t)(l & 0x3F) << 8 | p[off + run + 1];
	}
}

/* Offset of an earlier copy of name (len bytes) in the packet, or 0 if
 * none. Equal names have equal lengths, so only remembered names of the
 * same length are compared: most candidates cost one byte compare. */
static size_t find_suffix(const struct msg *m, const uint8_t *name, size_t len)
{
	for (unsigned k = 0; k < m->ncompr; k++)
		if (m->compr_len[k] == len && name_at_equals(m, m->compr[k], name, len))
			return m->compr[k];
	return 0;
}

/* Remember a label written at off, from which the name is len bytes long
 * uncompressed (what follows it is either literal or points to an equal
 * name, so len is known without reading the packet). */
static void remember(struct msg *m, size_t off, size_t len)
{
	if (off <= PTR_MAX_OFFSET && m->ncompr < MSG_COMPR_MAX) {
		m->compr[m->ncompr] = (uint16_t)off;
		m->compr_len[m->ncompr++] = (uint8_t)len;
	}
}

void msg_put_name(struct msg *m, const uint8_t *name, bool compress)
{
	if (compress && name == m->qname) {
		/* find_suffix would find the question first: it is compr[0]. */
		wire_wr_u16(&m->w, (uint16_t)(0xC000 | m->compr[0]));
		return;
	}
	size_t len = dname_len(name);
	size_t lit = len - 1;  /* bytes of labels written literally */
	size_t at = 0;
	if (compress) {
		/* The longest suffix written before; none of this name's own
		 * labels can match, as a suffix is shorter than the name. */
		for (size_t i = 0; name[i]; i += 1 + (size_t)name[i]) {
			at = find_suffix(m, name + i, len - i);
			if (at) {
				lit = i;
				break;
			}
		}
	}
	size_t start = m->w.pos;
	wire_wr_bytes(&m->w, name, at ? lit : len);
	if (m->w.err)
		return;
	/* Every label written literally is a suffix later names may point
	 * to, even when this name itself was not compressed. */
	for (size_t j = 0; j < lit; j += 1 + (size_t)name[j])
		remember(m, start + j, len - j);
	if (at)
		wire_wr_u16(&m->w, (uint16_t)(0xC000 | at));
}

int msg_question(struct msg *m, const uint8_t *qname, uint16_t qtype, uint16_t qclass)
{
	struct wire_wr save = m->w;
	unsigned ncompr = m->ncompr;
	msg_put_name(m, qname, false);
	wire_wr_u16(&m->w, qtype);
	wire_wr_u16(&m->w, qclass);
	if (m->w.err) {
		m->w = save;
		m->ncompr = ncompr;
		return -1;
	}
	if (ncompr == 0 && m->ncompr > 0)
		m->qname = qname;
	m->count[MSG_QD]++;
	return 0;
}

/* Length of an uncompressed name at p within n bytes, or 0 if it is not one. */
static size_t rdata_name_len(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t len = p[i];
		if (len == 0)
			return i + 1;
		if (len > DNAME_MAXLABEL)
			return 0;
		i += 1 + (size_t)len;
	}
	return 0;
}

/* Copy a name from rdata, compressed if allowed; returns bytes consumed
 * from the rdata or 0 if the rdata does not hold a name there. */
static size_t put_rdata_name(struct msg *m, const uint8_t *p, size_t n, bool compress)
{
	size_t len = rdata_name_len(p, n);
	if (len == 0 || len > DNAME_MAXLEN)
		return 0;
	msg_put_name(m, p, compress);
	return len;
}

/* Does put_rdata compress or remember names in this type's rdata? These
 * are exactly the types of its switch; any other type it copies as it is,
 * which msg_put_rrset then does itself after one room check. */
static bool rdata_has_names(uint16_t type)
{
	switch (type) {
	case RRT_NS:
	case RRT_CNAME:
	case RRT_PTR:
	case RRT_MX:
	case RRT_SOA:
	case RRT_SRV:
		return true;
	default:
		return false;
	}
}

/*
 * Write rdata, compressing the embedded names of the well-known types
 * (RFC 3597 4 allows this only for the RFC 1035 types). Rdata that does not
 * parse as its type is copied as it is.
 */
static void put_rdata(struct msg *m, uint16_t type, const struct rdata *rd)
{
	const uint8_t *p = rd->data;
	size_t n = rd->len;
	size_t start = m->w.pos;
	unsigned ncompr = m->ncompr;
	size_t used = 0, k;

	switch (type) {
	case RRT_NS:
	case RRT_CNAME:
	case RRT_PTR:
		used = put_rdata_name(m, p, n, true);
		if (used != n)
			goto raw;
		return;
	case RRT_MX:
		if (n < 3)
			goto raw;
		wire_wr_bytes(&m->w, p, 2);
		used = put_rdata_name(m, p + 2, n - 2, true);
		if (used == 0 || 2 + used != n)
			goto raw;
		return;
	case RRT_SOA:
		used = put_rdata_name(m, p, n, true);
		if (used == 0)
			goto raw;
		k = put_rdata_name(m, p + used, n - used, true);
		if (k == 0 || used + k + 20 != n)
			goto raw;
		wire_wr_bytes(&m->w, p + used + k, 20);
		return;
	case RRT_SRV:
		/* RFC 2782: the target is not compressed. We still remember it,
		 * so the additional-section owner can point to it. */
		if (n < 7)
			goto raw;
		wire_wr_bytes(&m->w, p, 6);
		used = put_rdata_name(m, p + 6, n - 6, false);
		if (used == 0 || 6 + used != n)
			goto raw;
		return;
	default:
		break;
	}
raw:
	if (!m->w.err) {
		m->w.pos = start;
		m->ncompr = ncompr;
	}
	wire_wr_bytes(&m->w, p, n);
}

int msg_put_rrset(struct msg *m, enum msg_section sec, const uint8_t *owner, uint16_t type,
                  uint16_t rclass, uint32_t ttl, const struct rdata *rr, uint16_t count)
{
	struct wire_wr save = m->w;
	unsigned ncompr = m->ncompr;
	bool names = rdata_has_names(type);
	for (uint16_t i = 0; i < count; i++) {
		msg_put_name(m, owner, true);
		if (!names) {
			/* Rdata copied as it is (A, AAAA, TXT...): the fixed
			 * fields and the rdata after one room check. */
			size_t n = rr[i].len;
			if (!wire_wr_room(&m->w, 10 + n))
				break;
			uint8_t *b = m->w.p + m->w.pos;
			b = wire_put_u16(b, type);
			b = wire_put_u16(b, rclass);
			b = wire_put_u32(b, ttl);
			b = wire_put_u16(b, (uint16_t)n);
			memcpy(b, rr[i].data, n);
			m->w.pos += 10 + n;
			continue;
		}
		wire_wr_u16(&m->w, type);
		wire_wr_u16(&m->w, rclass);
		wire_wr_u32(&m->w, ttl);
		size_t lenpos = m->w.pos;
		wire_wr_u16(&m->w, 0);
		put_rdata(m, type, &rr[i]);
		if (m->w.err)
			break;
		wire_wr_put_u16_at(&m->w, lenpos, (uint16_t)(m->w.pos - lenpos - 2));
	}
	/* Section counts are 16 bits; an RRset that would wrap one is refused. */
	if (m->w.err || (uint32_t)m->count[sec] + count > UINT16_MAX) {
		m->w = save;
		m->ncompr = ncompr;
		return -1;
	}
	m->count[sec] = (uint16_t)(m->count[sec] + count);
	return 0;
}

void msg_open_reserve(struct msg *m)
{
	m->w.cap = m->limit;
	m->reserve = 0;
}

size_t msg_finish(struct msg *m)
{
	if (m->w.pos < 12)
		return 0;
	uint8_t *b = wire_put_u16(m->w.p + 2, m->flags);
	for (int i = 0; i < 4; i++)
		b = wire_put_u16(b, m->count[i]);
	return m->w.pos;
}
