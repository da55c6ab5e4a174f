/*
 * fuzz_query.c: the whole answer path (common/query.c), packet in,
 * answer out, from the fixed config tests/data/fuzz/query.yaml (GeoDNS
 * on MaxMind's City test DB, the example zone, steered names).
 * Input: one flags byte (bit 0: TCP, bit 1: IPv6 client), 16 bytes of
 * client address (an IPv4 client uses the first 4), then the query.
 * Invariants, checked with a message parser written here (not the
 * server's): no answer only for a packet shorter than a header or with
 * QR set; the answer fits the buffer, 512 bytes without EDNS over UDP
 * and the EDNS payload (512..4096) with it; QR set, ID and opcode echoed;
 * it parses with exactly the section counts its header gives and no
 * bytes left; compression pointers point backwards; at most one OPT, in
 * the additional section, owned by the root; TC only over UDP; a
 * question in the answer is the query's, type and class included.
 */
#include <arpa/inet.h>
#include <string.h>

#include "common/config.h"
#include "common/query.h"
#include "tests/fuzz/fuzz.h"

static const struct config *cfg;
static uint8_t out[65535];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_common_init();
	cfg = fuzz_query_config();
	return 0;
}

/* A name at *pos of m[0..len): its end in *pos (past the first pointer
 * or the root label), its uncompressed form in name (lowercased if fold).
 * Pointers must point before the label they are in. -1 if malformed. */
static int parse_name(const uint8_t *m, size_t len, size_t *pos, uint8_t *name, size_t *nlen,
                      int fold)
{
	size_t p = *pos, n = 0, limit = p;
	int jumped = 0, hops = 0;
	for (;;) {
		if (p >= len)
			return -1;
		uint8_t l = m[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len)
				return -1;
			size_t t = (size_t)(l & 0x3f) << 8 | m[p + 1];
			if (t >= limit || ++hops > 127)
				return -1;
			if (!jumped)
				*pos = p + 2;
			jumped = 1;
			limit = t;
			p = t;
			continue;
		}
		if (l & 0xc0)
			return -1;
		if (p + 1 + l > len || n + 1 + l > 255)
			return -1;
		name[n++] = l;
		for (unsigned i = 0; i < l; i++) {
			uint8_t c = m[p + 1 + i];
			name[n++] = fold && c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
		}
		p += 1 + l;
		if (l == 0)
			break;
	}
	if (!jumped)
		*pos = p;
	*nlen = n;
	return 0;
}

static unsigned u16(const uint8_t *b)
{
	return (unsigned)b[0] << 8 | b[1];
}

/* The query's OPT payload (512..; 0 when it has no OPT), found the way a
 * client would: the first OPT in the additional section of a query that
 * parses. -1 if the query does not parse. */
static int query_payload(const uint8_t *q, size_t len)
{
	if (len < 12)
		return -1;
	unsigned qd = u16(q + 4), an = u16(q + 6), ns = u16(q + 8), ar = u16(q + 10);
	size_t p = 12;
	uint8_t name[256];
	size_t nl;
	for (unsigned i = 0; i < qd; i++) {
		if (parse_name(q, len, &p, name, &nl, 0) < 0 || len - p < 4)
			return -1;
		p += 4;
	}
	int payload = 0;
	for (unsigned i = 0; i < an + ns + ar; i++) {
		if (parse_name(q, len, &p, name, &nl, 0) < 0 || len - p < 10)
			return -1;
		unsigned type = u16(q + p), cls = u16(q + p + 2), rdl = u16(q + p + 8);
		if (len - p - 10 < rdl)
			return -1;
		if (type == 41 && i >= an + ns && !payload)
			payload = cls < 512 ? 512 : (int)cls;
		p += 10 + rdl;
	}
	return payload;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 17 || size - 17 > 65535)
		return 0;
	bool tcp = data[0] & 1;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t sl;
	if (data[0] & 2) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, data + 1, 16);
		s6->sin6_port = htons(5353);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, data + 1, 4);
		s4->sin_port = htons(5353);
		sl = sizeof(*s4);
	}
	const uint8_t *q = data + 17;
	size_t qlen = size - 17;
	struct query_client cl = { (const struct sockaddr *)&ss, sl, tcp };
	size_t cap = tcp ? sizeof(out) : 4096;
	size_t n = query_answer(cfg, &cl, q, qlen, out, cap);

	if (n == 0) {
		FUZZ_CHECK(qlen < 12 || (q[2] & 0x80), "no answer to a query of %zu bytes", qlen);
		return 0;
	}
	FUZZ_CHECK(qlen >= 12 && !(q[2] & 0x80), "answered a response or a short packet");
	FUZZ_CHECK(n >= 12 && n <= cap, "answer of %zu bytes", n);
	FUZZ_CHECK(out[0] == q[0] && out[1] == q[1], "ID not echoed");
	FUZZ_CHECK(out[2] & 0x80, "QR not set");
	FUZZ_CHECK((out[2] & 0x78) == (q[2] & 0x78), "opcode not echoed");
	FUZZ_CHECK(tcp ? !(out[2] & 0x02) : 1, "TC over TCP");
	if (!tcp) {
		int pl = query_payload(q, qlen);
		size_t limit = pl > 0 ? (size_t)pl : 512;
		if (limit > 4096)
			limit = 4096;
		FUZZ_CHECK(n <= limit, "UDP answer of %zu bytes for a payload of %d", n, pl);
	}

	/* The answer parses, with exactly its counts. */
	unsigned qd = u16(out + 4), an = u16(out + 6), ns = u16(out + 8), ar = u16(out + 10);
	size_t p = 12;
	uint8_t name[256], qname[256];
	size_t nl, qnl;
	FUZZ_CHECK(qd <= 1, "%u questions", qd);
	if (qd == 1) {
		FUZZ_CHECK(parse_name(out, n, &p, name, &nl, 1) == 0 && n - p >= 4,
		           "question does not parse");
		/* The query's first question, as sent. */
		size_t qp = 12;
		FUZZ_CHECK(u16(q + 4) >= 1 && parse_name(q, qlen, &qp, qname, &qnl, 1) == 0 &&
		                   qlen - qp >= 4,
		           "a question in the answer to a query without one");
		FUZZ_CHECK(nl == qnl && memcmp(name, qname, nl) == 0, "question name changed");
		FUZZ_CHECK(memcmp(out + p, q + qp, 4) == 0, "question type/class changed");
		p += 4;
	}
	unsigned opts = 0;
	for (unsigned i = 0; i < an + ns + ar; i++) {
		FUZZ_CHECK(parse_name(out, n, &p, name, &nl, 0) == 0, "RR %u: owner", i);
		FUZZ_CHECK(n - p >= 10, "RR %u: cut", i);
		unsigned type = u16(out + p), rdl = u16(out + p + 8);
		FUZZ_CHECK(n - p - 10 >= rdl, "RR %u: rdata past the end", i);
		if (type == 41) {
			opts++;
			FUZZ_CHECK(i >= an + ns, "OPT outside the additional section");
			FUZZ_CHECK(nl == 1, "OPT owner not the root");
		}
		p += 10 + rdl;
	}
	FUZZ_CHECK(p == n, "%zu bytes after the last RR", n - p);
	FUZZ_CHECK(opts <= 1, "%u OPTs", opts);
	return 0;
}
