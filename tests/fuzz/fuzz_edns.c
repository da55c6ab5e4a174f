/*
 * fuzz_edns.c: the OPT RR and ECS option parsers (common/edns.c).
 * Input: OPT CLASS (2 bytes), TTL (4 bytes), then the RDATA.
 * Invariants: a valid ECS option obeys RFC 7871 7.1.2 (family 1/2,
 * SOURCE within the family, SCOPE 0, no bits past SOURCE) and survives a
 * write by edns_write_opt and a second parse unchanged; ecs_parse on the
 * ECS option data agrees with edns_parse_opt.
 */
#include <string.h>

#include "common/edns.h"
#include "common/wire.h"
#include "tests/fuzz/fuzz.h"

static void check_ecs(const struct ecs *e)
{
	unsigned max = e->family == ECS_FAMILY_IPV4 ? 32 : 128;
	FUZZ_CHECK(e->family == ECS_FAMILY_IPV4 || e->family == ECS_FAMILY_IPV6, "family %u",
	           e->family);
	FUZZ_CHECK(e->source <= max, "source %u", e->source);
	FUZZ_CHECK(e->scope == 0, "scope %u", e->scope);
	for (unsigned bit = e->source; bit < max; bit++)
		FUZZ_CHECK(!(e->addr[bit / 8] & (0x80 >> (bit % 8))), "bit %u set past source %u",
		           bit, e->source);
}

/* Find the first ECS option (code 8) in rdata; its data and length. */
static const uint8_t *find_ecs(const uint8_t *rd, size_t len, size_t *olen)
{
	size_t p = 0;
	while (len - p >= 4) {
		unsigned code = (unsigned)rd[p] << 8 | rd[p + 1];
		size_t l = (size_t)rd[p + 2] << 8 | rd[p + 3];
		if (len - p - 4 < l)
			return NULL;
		if (code == 8) {
			*olen = l;
			return rd + p + 4;
		}
		p += 4 + l;
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 6 || size - 6 > 65535)
		return 0;
	uint16_t cls = (uint16_t)(data[0] << 8 | data[1]);
	uint32_t ttl = (uint32_t)data[2] << 24 | (uint32_t)data[3] << 16 | (uint32_t)data[4] << 8 |
	               data[5];
	const uint8_t *rd = data + 6;
	uint16_t rdlen = (uint16_t)(size - 6);
	struct edns_query q;
	memset(&q, 0, sizeof(q));
	int rc = edns_parse_opt(cls, ttl, rd, rdlen, &q);
	FUZZ_CHECK(rc == EDNS_OK || rc == EDNS_EFORMAT, "rc %d", rc);

	/* ecs_parse alone on the first ECS option's data. */
	size_t olen;
	const uint8_t *od = find_ecs(rd, rdlen, &olen);
	if (od) {
		struct ecs e;
		if (ecs_parse(od, olen, &e) == 0) {
			check_ecs(&e);
			FUZZ_CHECK(ecs_data_len(&e) == olen, "length %zu for %zu", ecs_data_len(&e),
			           olen);
		}
	}
	if (rc != EDNS_OK)
		return 0;
	FUZZ_CHECK(q.present, "parsed but not present");
	FUZZ_CHECK(q.payload == cls, "payload %u class %u", q.payload, cls);
	FUZZ_CHECK(!(q.has_ecs && q.ecs_invalid), "ECS both valid and invalid");
	if (!q.has_ecs)
		return 0;
	check_ecs(&q.ecs);

	/* Round trip through the writer (with an NSID too). */
	uint8_t buf[512];
	struct edns_answer a = { .payload = 1232, .do_bit = q.do_bit, .nsid = "pop1", .ecs = &q.ecs };
	struct wire_wr w = wire_wr_init(buf, sizeof(buf));
	edns_write_opt(&w, &a);
	FUZZ_CHECK(!w.err && w.pos == edns_opt_size(&a), "wrote %zu, size %zu", w.pos,
	           edns_opt_size(&a));
	/* root owner, TYPE 41, CLASS, TTL, RDLEN, RDATA */
	FUZZ_CHECK(w.pos >= 11 && buf[0] == 0 && buf[1] == 0 && buf[2] == 41, "OPT header");
	uint16_t cls2 = (uint16_t)(buf[3] << 8 | buf[4]);
	uint32_t ttl2 = (uint32_t)buf[5] << 24 | (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 8 |
	                buf[8];
	uint16_t rdlen2 = (uint16_t)(buf[9] << 8 | buf[10]);
	FUZZ_CHECK(11u + rdlen2 == w.pos, "rdlen %u in %zu", rdlen2, w.pos);
	struct edns_query q2;
	memset(&q2, 0, sizeof(q2));
	FUZZ_CHECK(edns_parse_opt(cls2, ttl2, buf + 11, rdlen2, &q2) == EDNS_OK, "reparse");
	FUZZ_CHECK(q2.has_ecs && memcmp(&q2.ecs, &q.ecs, sizeof(q.ecs)) == 0, "ECS changed");
	FUZZ_CHECK(q2.do_bit == q.do_bit, "DO changed");
	return 0;
}
