/*
 * cmp_atlas.c: RIPE Atlas results as the Atlas API serves them
 * (/api/v2/measurements/<id>/results/): `type: dns` against the anycast
 * address, whose base64 `abuf` carries the NSID of the PoP that answered,
 * and `type: ping` against each PoP's unicast address.
 *
 * A DNS result becomes an anycast observation (chosen PoP = the NSID's);
 * a ping result an RTT row; both keyed by `prb_id`, so a probe's DNS
 * result is rated against the same probe's pings in phase two.
 */
#include <math.h>
#include <string.h>

#include "common/wire.h"
#include "compare/cmp_ctx.h"
#include "compare/cmp_sources.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -1)

static int b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

long cmp_base64_decode(const char *text, uint8_t *out, size_t cap)
{
	size_t len = strlen(text), n = 0;
	if (len % 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			int ch = (unsigned char)text[i + j];
			/* '=' only as the last one or two characters. */
			if (ch == '=' && i + 4 == len && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad || (v[j] = b64val(ch)) < 0)
				return -1;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		             (uint32_t)v[3];
		size_t k = 3 - (size_t)pad;
		if (n + k > cap)
			return -1;
		out[n++] = (uint8_t)(w >> 16);
		if (k > 1)
			out[n++] = (uint8_t)(w >> 8);
		if (k > 2)
			out[n++] = (uint8_t)w;
	}
	return (long)n;
}

/* Skip an owner name: labels up to a zero byte or a compression pointer
 * (RFC 1035 section 4.1.4), which ends the name in the message. */
static void skip_name(struct wire_rd *r)
{
	for (int labels = 0; labels < 128; labels++) {
		uint8_t l = wire_rd_u8(r);
		if (r->err || l == 0)
			return;
		if ((l & 0xc0) == 0xc0) {
			wire_rd_skip(r, 1);
			return;
		}
		if (l & 0xc0) {  /* 0x40, 0x80: extended label types, unused */
			r->err = 1;
			return;
		}
		wire_rd_skip(r, l);
	}
	r->err = 1;
}

long cmp_dns_nsid(const uint8_t *msg, size_t len, char *out, size_t cap)
{
	struct wire_rd r = wire_rd_init(msg, len);
	wire_rd_skip(&r, 4);  /* ID, flags */
	unsigned qd = wire_rd_u16(&r), an = wire_rd_u16(&r), ns = wire_rd_u16(&r),
	         ar = wire_rd_u16(&r);
	for (unsigned i = 0; i < qd && !r.err; i++) {
		skip_name(&r);
		wire_rd_skip(&r, 4);
	}
	for (unsigned i = 0; i < an + ns + ar && !r.err; i++) {
		skip_name(&r);
		uint16_t type = wire_rd_u16(&r);
		wire_rd_skip(&r, 6);  /* class, TTL */
		uint16_t rdlen = wire_rd_u16(&r);
		struct wire_rd rd = wire_rd_sub(&r, rdlen);
		/* OPT (RFC 6891 section 6.1.2) only counts in the additional
		 * section; its RDATA is {code, length, data}* options. */
		if (type != 41 || i < an + ns)
			continue;
		while (wire_rd_left(&rd) > 0) {
			uint16_t code = wire_rd_u16(&rd), olen = wire_rd_u16(&rd);
			struct wire_rd od = wire_rd_sub(&rd, olen);
			if (rd.err)
				return -1;
			if (code != 3)  /* NSID, RFC 5001 section 2.3 */
				continue;
			if ((size_t)olen + 1 > cap)
				return -1;
			wire_rd_bytes(&od, out, olen);
			out[olen] = 0;
			return olen;
		}
	}
	return r.err ? -1 : 0;
}

/* prb_id as an integer in 1..2^32-1. */
static int get_prb(const json_t *rec, uint32_t *out)
{
	const json_t *v = json_object_get(rec, "prb_id");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX)
		return -1;
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

struct dns_tally {
	int used, errors, no_nsid, unmapped;
	char last_nsid[64];
};

/* One DNS result entry (the record itself, or a resultset element). */
static int dns_entry(struct cmp_ctx *c, const json_t *rec, const json_t *ent, uint32_t prb,
                     struct dns_tally *t, char *why, size_t whylen)
{
	static uint8_t msg[65536];  /* a DNS message is at most 64 KiB; single-threaded */
	char nsid[512];
	const json_t *res = json_object_get(ent, "result");

	c->atlas.dns_results++;
	if (json_object_get(ent, "error") || !json_is_object(res)) {
		/* An error result: {"error": {"timeout": 5000}} and the like. */
		c->atlas.dns_errors++;
		t->errors++;
		return 0;
	}
	const char *abuf = json_string_value(json_object_get(res, "abuf"));
	if (!abuf) {
		c->atlas.dns_no_nsid++;
		t->no_nsid++;
		return 0;
	}
	long n = cmp_base64_decode(abuf, msg, sizeof(msg));
	if (n < 0)
		return WHY("atlas dns result: 'abuf' is not valid base64");
	long nl = cmp_dns_nsid(msg, (size_t)n, nsid, sizeof(nsid));
	if (nl < 0)
		return WHY("atlas dns result: 'abuf' is not a well-formed DNS message");
	if (nl == 0) {
		c->atlas.dns_no_nsid++;
		t->no_nsid++;
		return 0;
	}
	c->atlas.dns_nsid++;
	snprintf(t->last_nsid, sizeof(t->last_nsid), "%.63s", nsid);
	int p = cmp_pop_by_identity(c, nsid, (size_t)nl);
	if (p < 0) {
		c->atlas.nsid_unmapped++;
		t->unmapped++;
		return 0;
	}
	struct cmp_obs o;
	cmp_obs_init(&o, CG_ANYCAST, p);
	o.join = CJ_PROBE;
	cmp_probe_key(prb, &o.key);
	char label[24];
	snprintf(label, sizeof(label), "atlas-prb-%u", prb);
	if (!(o.client = cmp_label(c, label)))
		return WHY("out of memory");
	/* The anycast path's RTT is taken as the ping RTT to the unicast
	 * address of the PoP it reached (same measurement as the best
	 * PoP's); the DNS `rt` mixes in UDP and server time, so unused. */
	cmp_locate(c, json_string_value(json_object_get(rec, "from")), &o);
	if (cmp_add_obs(c, &o) < 0)
		return WHY("out of memory");
	t->used++;
	return 0;
}

static int atlas_dns(struct cmp_ctx *c, const json_t *rec, uint32_t prb, char *why, size_t whylen)
{
	const json_t *set = json_object_get(rec, "resultset");
	struct dns_tally t = { 0 };

	if (set) {
		size_t i;
		const json_t *ent;
		if (!json_is_array(set))
			return WHY("atlas dns result: 'resultset' is not a list");
		json_array_foreach(set, i, ent) {
			if (!json_is_object(ent))
				return WHY("atlas dns result: resultset[%zu] is not an object", i);
			if (dns_entry(c, rec, ent, prb, &t, why, whylen) < 0)
				return -1;
		}
	} else if (dns_entry(c, rec, rec, prb, &t, why, whylen) < 0) {
		return -1;
	}
	if (t.used)
		return 0;
	snprintf(why, whylen, "atlas dns result of probe %u: %s", prb,
	         t.unmapped  ? "NSID names no PoP identity in the config"
	         : t.no_nsid ? "no NSID in the answer"
	         : t.errors  ? "error result (timeout)"
	                     : "no results");
	if (t.unmapped) {
		size_t l = strlen(why);
		snprintf(why + l, whylen - l, " ('%s')", t.last_nsid);
	}
	return 1;
}

/* Ping RTT: the minimum per-packet `rtt`, leaving out replies marked
 * `dup` (duplicates) and lost packets ({"x": "*"}), as Atlas's own `min`
 * does; the minimum is the path's propagation delay without queueing. */
static int atlas_ping(struct cmp_ctx *c, const json_t *rec, uint32_t prb, char *why, size_t whylen)
{
	const char *dst = json_string_value(json_object_get(rec, "dst_addr"));
	const json_t *res = json_object_get(rec, "result");
	double best = NAN;
	size_t i;
	const json_t *pkt;

	c->atlas.ping_results++;
	if (!dst)
		return WHY("atlas ping result: no 'dst_addr'");
	if (!json_is_array(res))
		return WHY("atlas ping result: 'result' is not a list");
	json_array_foreach(res, i, pkt) {
		const json_t *rtt = json_object_get(pkt, "rtt");
		if (!json_is_number(rtt) || json_object_get(pkt, "dup"))
			continue;
		double v = json_number_value(rtt);
		if (v >= 0 && (isnan(best) || v < best))
			best = v;
	}
	int p = cmp_pop_by_addr(c, dst);
	if (p < 0) {
		c->atlas.ping_unmapped++;
		snprintf(why, whylen, "atlas ping result: %s is no PoP's unicast address", dst);
		return 1;
	}
	if (isnan(best)) {
		c->atlas.ping_no_reply++;
		snprintf(why, whylen, "atlas ping result of probe %u to %s: no reply", prb, dst);
		return 1;
	}
	struct cmp_key k;
	cmp_probe_key(prb, &k);
	if (cmp_add_rtt(c, &k, p, best) < 0)
		return WHY("out of memory");
	return 0;
}

int cmp_rec_atlas(struct cmp_ctx *c, const json_t *rec, char *why, size_t whylen)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	uint32_t prb;

	if (!json_is_object(rec) || !type)
		return WHY("atlas result: not an object with a 'type'");
	if (get_prb(rec, &prb) < 0)
		return WHY("atlas result: 'prb_id' is not an integer");
	if (!strcmp(type, "dns"))
		return atlas_dns(c, rec, prb, why, whylen);
	if (!strcmp(type, "ping"))
		return atlas_ping(c, rec, prb, why, whylen);
	snprintf(why, whylen, "atlas result of type '%s' is not used", type);
	return 1;
}
