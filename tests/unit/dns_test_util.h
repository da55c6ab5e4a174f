/*
 * dns_test_util.h: helpers used by the wire/edns/query unit tests: build
 * query packets (keeping the case of names as written) and decode response
 * bytes into plain structs the tests can assert on. Header-only so each
 * test binary stays a single file; every function is static.
 */
#ifndef STEERDNS_DNS_TEST_UTIL_H
#define STEERDNS_DNS_TEST_UTIL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/dname.h"

/* "WwW.Example.test." -> wire, case kept, no escapes. Returns the length. */
static __attribute__((unused)) size_t tu_name(uint8_t *out, const char *text)
{
	size_t o = 0;
	const char *s = text;
	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		out[o++] = (uint8_t)l;
		memcpy(out + o, s, l);
		o += l;
		s += l;
		if (*s == '.')
			s++;
	}
	out[o++] = 0;
	return o;
}

struct tu_q {
	uint8_t b[4096];
	size_t len;
};

/* Header + one question. flags is the second header word. */
static __attribute__((unused)) void tu_query(struct tu_q *q, uint16_t id, uint16_t flags, const char *name,
                     uint16_t qtype, uint16_t qclass)
{
	memset(q, 0, sizeof(*q));
	q->b[0] = (uint8_t)(id >> 8);
	q->b[1] = (uint8_t)id;
	q->b[2] = (uint8_t)(flags >> 8);
	q->b[3] = (uint8_t)flags;
	q->b[5] = 1;
	q->len = 12 + tu_name(q->b + 12, name);
	q->b[q->len++] = (uint8_t)(qtype >> 8);
	q->b[q->len++] = (uint8_t)qtype;
	q->b[q->len++] = (uint8_t)(qclass >> 8);
	q->b[q->len++] = (uint8_t)qclass;
}

static __attribute__((unused)) void tu_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static __attribute__((unused)) void tu_inc_count(struct tu_q *q, int sec /* 0 qd 1 an 2 ns 3 ar */)
{
	uint16_t v = (uint16_t)(q->b[4 + 2 * sec] << 8 | q->b[5 + 2 * sec]);
	tu_put16(q->b + 4 + 2 * sec, (uint16_t)(v + 1));
}

/* Append an OPT RR (root owner) with raw option bytes to the additional section. */
static __attribute__((unused)) void tu_opt(struct tu_q *q, uint16_t payload, uint8_t version, int do_bit,
                   const uint8_t *opts, size_t optlen)
{
	uint8_t *p = q->b + q->len;
	p[0] = 0;
	tu_put16(p + 1, 41);
	tu_put16(p + 3, payload);
	p[5] = 0;
	p[6] = version;
	p[7] = do_bit ? 0x80 : 0;
	p[8] = 0;
	tu_put16(p + 9, (uint16_t)optlen);
	if (optlen)
		memcpy(p + 11, opts, optlen);
	q->len += 11 + optlen;
	tu_inc_count(q, 3);
}

/* ---- decoding ---- */

struct tu_rr {
	char owner[DNAME_MAXTEXT];
	size_t owner_off;   /* where the owner starts in the message */
	uint16_t type, cls;
	uint32_t ttl;
	size_t rdoff;
	uint16_t rdlen;
	int section;        /* 1 an, 2 ns, 3 ar */
};

struct tu_msg {
	const uint8_t *b;
	size_t len;
	uint16_t id, flags, qd, an, ns, ar;
	char qname[DNAME_MAXTEXT];
	uint16_t qtype, qclass;
	struct tu_rr rr[200];
	int nrr;
	/* OPT, if any */
	int has_opt;
	uint16_t opt_payload;
	uint32_t opt_ttl;
	size_t opt_rdoff;
	uint16_t opt_rdlen;
};

#define TU_RCODE(m) ((m)->flags & 0x000F)
#define TU_AA(m) (((m)->flags & 0x0400) != 0)
#define TU_TC(m) (((m)->flags & 0x0200) != 0)

/* Decode a whole response; fails the test if it is not well-formed. */
static __attribute__((unused)) void tu_decode(const uint8_t *b, size_t len, struct tu_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->b = b;
	m->len = len;
	ck_assert_uint_ge(len, 12);
	m->id = (uint16_t)(b[0] << 8 | b[1]);
	m->flags = (uint16_t)(b[2] << 8 | b[3]);
	m->qd = (uint16_t)(b[4] << 8 | b[5]);
	m->an = (uint16_t)(b[6] << 8 | b[7]);
	m->ns = (uint16_t)(b[8] << 8 | b[9]);
	m->ar = (uint16_t)(b[10] << 8 | b[11]);
	size_t pos = 12;
	uint8_t name[DNAME_MAXLEN];
	ck_assert_uint_le(m->qd, 1);
	if (m->qd) {
		ck_assert_int_gt(dname_parse(b, len, &pos, name, true), 0);
		ck_assert_int_ge(dname_to_text(name, m->qname, sizeof(m->qname)), 0);
		ck_assert_uint_ge(len - pos, 4);
		m->qtype = (uint16_t)(b[pos] << 8 | b[pos + 1]);
		m->qclass = (uint16_t)(b[pos + 2] << 8 | b[pos + 3]);
		pos += 4;
	}
	int total = m->an + m->ns + m->ar;
	ck_assert_int_le(total, 200);
	for (int i = 0; i < total; i++) {
		struct tu_rr *r = &m->rr[m->nrr++];
		r->section = i < m->an ? 1 : i < m->an + m->ns ? 2 : 3;
		r->owner_off = pos;
		ck_assert_int_gt(dname_parse(b, len, &pos, name, true), 0);
		ck_assert_int_ge(dname_to_text(name, r->owner, sizeof(r->owner)), 0);
		ck_assert_uint_ge(len - pos, 10);
		r->type = (uint16_t)(b[pos] << 8 | b[pos + 1]);
		r->cls = (uint16_t)(b[pos + 2] << 8 | b[pos + 3]);
		r->ttl = (uint32_t)b[pos + 4] << 24 | (uint32_t)b[pos + 5] << 16 |
		         (uint32_t)b[pos + 6] << 8 | b[pos + 7];
		r->rdlen = (uint16_t)(b[pos + 8] << 8 | b[pos + 9]);
		pos += 10;
		ck_assert_uint_ge(len - pos, r->rdlen);
		r->rdoff = pos;
		pos += r->rdlen;
		if (r->type == 41) {
			ck_assert_int_eq(r->section, 3);
			ck_assert_int_eq(m->has_opt, 0);
			ck_assert_str_eq(r->owner, ".");
			m->has_opt = 1;
			m->opt_payload = r->cls;
			m->opt_ttl = r->ttl;
			m->opt_rdoff = r->rdoff;
			m->opt_rdlen = r->rdlen;
		}
	}
	ck_assert_uint_eq(pos, len);  /* no trailing bytes */
}

/* Decompress a name inside rdata at rdata offset off into text. */
static __attribute__((unused)) void tu_rdname(const struct tu_msg *m, const struct tu_rr *r, size_t off, char *out, size_t cap)
{
	uint8_t name[DNAME_MAXLEN];
	size_t pos = r->rdoff + off;
	ck_assert_int_gt(dname_parse(m->b, r->rdoff + r->rdlen, &pos, name, true), 0);
	ck_assert_int_ge(dname_to_text(name, out, cap), 0);
}

/* Count RRs of a type in a section (0 = any section). */
static __attribute__((unused)) int tu_count(const struct tu_msg *m, int section, uint16_t type)
{
	int n = 0;
	for (int i = 0; i < m->nrr; i++)
		if ((section == 0 || m->rr[i].section == section) && m->rr[i].type == type)
			n++;
	return n;
}

/* First RR of a type in a section, or NULL. */
static __attribute__((unused)) const struct tu_rr *tu_find(const struct tu_msg *m, int section, uint16_t type)
{
	for (int i = 0; i < m->nrr; i++)
		if (m->rr[i].section == section && m->rr[i].type == type)
			return &m->rr[i];
	return NULL;
}

/* Find an EDNS option in the response OPT; returns its data offset or 0. */
static __attribute__((unused)) size_t tu_opt_find(const struct tu_msg *m, uint16_t code, uint16_t *olen)
{
	size_t p = m->opt_rdoff, end = m->opt_rdoff + m->opt_rdlen;
	while (p + 4 <= end) {
		uint16_t c = (uint16_t)(m->b[p] << 8 | m->b[p + 1]);
		uint16_t l = (uint16_t)(m->b[p + 2] << 8 | m->b[p + 3]);
		ck_assert_uint_le(p + 4 + l, end);
		if (c == code) {
			*olen = l;
			return p + 4;
		}
		p += 4 + (size_t)l;
	}
	return 0;
}

#endif
