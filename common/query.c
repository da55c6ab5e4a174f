/*
 * query.c: the authoritative answer path; see query.h.
 *
 * Order of checks, as Knot DNS 3.2 does it (our differential oracle):
 *   1. shorter than a header, or QR set: drop;
 *   2. the whole message must parse (question without compression, every
 *      RR framed correctly, one OPT in the additional section, no trailing
 *      bytes): else FORMERR, question echoed if it parsed, no OPT;
 *   3. EDNS: a broken ECS option is FORMERR, a version above 0 BADVERS,
 *      both with an OPT;
 *   0. an opcode other than QUERY: NOTIMP, before anything else;
 *   4. no question: FORMERR;
 *   5. class and opcode dispatch; then zone lookup for IN queries.
 */
#include "common/query.h"

#include <stddef.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/dnstap.h"
#include "common/dname.h"
#include "common/dnssec_answer.h"
#include "common/dnssec_sign.h"
#include "common/edns.h"
#include "common/lookup.h"
#include "common/metrics.h"
#include "common/msg_build.h"
#include "common/query_ctx.h"
#include "common/query_guard.h"
#include "common/steer_method.h"
#include "common/steer_observe.h"
#include "common/wire.h"
#include "common/zone.h"

enum {
	RCODE_NOERROR = 0, RCODE_FORMERR = 1, RCODE_SERVFAIL = 2, RCODE_NXDOMAIN = 3,
	RCODE_NOTIMP = 4, RCODE_REFUSED = 5, RCODE_NOTAUTH = 9, RCODE_BADVERS = 16,
};

enum { OPCODE_QUERY = 0, OPCODE_NOTIFY = 4, OPCODE_UPDATE = 5 };
enum { CLASS_IN = 1, CLASS_CH = 3, CLASS_ANY = 255 };

#define DNS_MIN_UDP 512          /* RFC 1035 4.2.1 */
#define DNS_MAX_MSG 65535
#define DEFAULT_EDNS_PAYLOAD 1232
#define MAX_GLUE_NODES 64

/* ---- parsing ---------------------------------------------------------- */

/* Check that the rdata of the well-known types is what its type says
 * (Knot refuses a message whose rdata does not parse). Names in rdata may
 * be compressed in queries (RFC 3597 4). */
static bool rdata_ok(const uint8_t *msg, size_t start, size_t end, uint16_t type)
{
	uint8_t tmp[DNAME_MAXLEN];
	size_t pos = start;
	switch (type) {
	case RRT_A:
		return end - start == 4;
	case RRT_AAAA:
		return end - start == 16;
	case RRT_NS:
	case RRT_CNAME:
	case RRT_PTR:
		return dname_parse(msg, end, &pos, tmp, true) > 0 && pos == end;
	case RRT_MX:
		if (end - start < 3)
			return false;
		pos += 2;
		return dname_parse(msg, end, &pos, tmp, true) > 0 && pos == end;
	case RRT_SOA:
		if (dname_parse(msg, end, &pos, tmp, true) <= 0)
			return false;
		if (dname_parse(msg, end, &pos, tmp, true) <= 0)
			return false;
		return end - pos == 20;
	default:
		return true;
	}
}

/* Parse everything after the header. Returns 0 or -1 (FORMERR). */
static int parse_query(const uint8_t *req, size_t len, struct query_ctx *q)
{
	uint16_t qd = (uint16_t)(req[4] << 8 | req[5]);
	uint16_t cnt[3] = {
		(uint16_t)(req[6] << 8 | req[7]),
		(uint16_t)(req[8] << 8 | req[9]),
		(uint16_t)(req[10] << 8 | req[11]),
	};
	size_t pos = 12;

	/* RFC 9619: exactly one question (or none, answered later). */
	if (qd > 1)
		return -1;
	if (qd == 1) {
		/* No compression in the question: it is the first name and
		 * there is nothing earlier to point to. */
		int n = dname_parse_question(req, len, &pos, q->qname, q->qname_lc, &q->qlabels);
		if (n < 0 || len - pos < 4)
			return -1;
		q->qtype = (uint16_t)(req[pos] << 8 | req[pos + 1]);
		q->qclass = (uint16_t)(req[pos + 2] << 8 | req[pos + 3]);
		pos += 4;
		q->has_question = true;
	}

	q->nscount = cnt[1];
	for (int sec = 0; sec < 3; sec++) {
		for (unsigned i = 0; i < cnt[sec]; i++) {
			uint8_t owner[DNAME_MAXLEN];
			int n = 1;
			/* The root, the OPT's owner, is one byte: skip the
			 * general parser (~45 instructions) for it. */
			if (pos < len && req[pos] == 0)
				pos++;
			else
				n = dname_parse(req, len, &pos, owner, true);
			if (n < 0 || len - pos < 10)
				return -1;
			struct wire_rd r = wire_rd_init(req + pos, 10);
			uint16_t type = wire_rd_u16(&r);
			uint16_t rclass = wire_rd_u16(&r);
			uint32_t ttl = wire_rd_u32(&r);
			uint16_t rdlen = wire_rd_u16(&r);
			pos += 10;
			if (len - pos < rdlen)
				return -1;
			if (sec == 1 && i == 0)
				q->first_ns_type = type;
			if (type == RRT_OPT) {
				/* RFC 6891 6.1.1: one OPT, in the additional
				 * section, owned by the root. */
				if (sec != 2 || q->edns.present || n != 1)
					return -1;
				if (edns_parse_opt(rclass, ttl, req + pos, rdlen, &q->edns) != EDNS_OK)
					return -1;
			} else if (!rdata_ok(req, pos, pos + rdlen, type)) {
				return -1;
			}
			pos += rdlen;
		}
	}
	/* Bytes beyond the declared sections make the message malformed. */
	if (pos != len)
		return -1;
	return 0;
}

/* ---- response helpers -------------------------------------------------- */

struct responder {
	const struct config *cfg;
	struct query_ctx *q;
	struct msg m;
	struct edns_answer opt;
	bool with_opt;
	struct ecs ecs_echo;
	uint8_t cookie[COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN];
	const struct dnssec_zone *sign;  /* DO query to a signed zone: sign with this */
};

static uint16_t base_flags(const struct query_ctx *q)
{
	/* RFC 1035 4.1.1: echo ID, OPCODE and RD; RA, Z, AD, CD stay clear. */
	return (uint16_t)(MSG_FLAG_QR | (q->opcode & 0x0F) << 11 | (q->rd ? MSG_FLAG_RD : 0));
}

static size_t size_limit(const struct config *cfg, const struct query_client *cl,
                         const struct query_ctx *q, bool edns)
{
	if (cl && cl->tcp)
		return DNS_MAX_MSG;
	if (!edns)
		return DNS_MIN_UDP;
	/* RFC 6891 6.2.5: the smaller of both sides' sizes, never below 512. */
	uint16_t ours = cfg->server.edns_payload ? cfg->server.edns_payload : DEFAULT_EDNS_PAYLOAD;
	size_t p = q->edns.payload < ours ? q->edns.payload : ours;
	return p < DNS_MIN_UDP ? DNS_MIN_UDP : p;
}

/* Start the response: header, OPT reservation, the question if we have one. */
static void start(struct responder *rs, const struct query_client *cl, uint8_t *out,
                  size_t outcap, bool with_opt, bool echo_ecs)
{
	struct query_ctx *q = rs->q;
	rs->with_opt = with_opt && q->edns.present;
	memset(&rs->opt, 0, sizeof(rs->opt));
	if (rs->with_opt) {
		rs->opt.payload = rs->cfg->server.edns_payload ? rs->cfg->server.edns_payload
		                                               : DEFAULT_EDNS_PAYLOAD;
		rs->opt.do_bit = q->edns.do_bit;
		/* RFC 5001 2.2: the NSID payload is our identity. */
		if (q->edns.nsid && rs->cfg->server.identity && rs->cfg->server.identity[0])
			rs->opt.nsid = rs->cfg->server.identity;
		if (echo_ecs && q->edns.has_ecs) {
			/* RFC 7871 7.2.1: echo with SCOPE 0, as no answer here
			 * depends on the client's address. */
			rs->ecs_echo = q->edns.ecs;
			rs->ecs_echo.scope = 0;
			rs->opt.ecs = &rs->ecs_echo;
		}
		/* RFC 7873 5.2.3/5.2.4: every answer to a client cookie carries
		 * a server cookie (a fresh one also when the client's was
		 * stale or not ours). */
		if (q->edns.cookie.present) {
			rs->opt.cookie_len = (uint8_t)guard_cookie(rs->cfg, q, rs->cookie);
			if (rs->opt.cookie_len)
				rs->opt.cookie = rs->cookie;
		}
	}
	size_t reserve = rs->with_opt ? edns_opt_size(&rs->opt) : 0;
	size_t limit = size_limit(rs->cfg, cl, q, rs->with_opt);
	if (limit > outcap)
		limit = outcap;
	msg_init(&rs->m, out, outcap, limit, reserve, q->id, base_flags(q));
	if (q->has_question)
		(void)msg_question(&rs->m, q->qname, q->qtype, q->qclass);
}

/* Set the (extended) RCODE, write the OPT and the counts. */
static size_t finish_msg(struct responder *rs, unsigned rcode)
{
	/* RFC 6891 6.1.3: the upper 8 bits of a 12-bit RCODE go in the OPT. */
	msg_set_rcode(&rs->m, (uint8_t)(rcode & 0x0F));
	if (rs->with_opt) {
		rs->opt.ext_rcode = (uint8_t)(rcode >> 4);
		msg_open_reserve(&rs->m);
		size_t at = rs->m.w.pos;
		edns_write_opt(&rs->m.w, &rs->opt);
		if (rs->m.w.err) {
			rs->m.w.err = 0;
			rs->m.w.pos = at;
		} else {
			rs->m.count[MSG_AR]++;
		}
	}
	return msg_finish(&rs->m);
}

/* finish_msg, counted in the thread's metrics (common/metrics.h): every
 * query passes here once (an RRL slip rewrites its answer with finish_msg). */
static size_t finish(struct responder *rs, unsigned rcode)
{
	const struct query_ctx *q = rs->q;
	metrics_count_query(q->tcp, q->has_question ? q->qtype : -1, rcode, q->edns.has_ecs);
	return finish_msg(rs, rcode);
}

/* ---- CHAOS ------------------------------------------------------------- */

static bool name_is(const uint8_t *lc, const char *text)
{
	uint8_t n[DNAME_MAXLEN];
	return dname_from_text(text, NULL, n) > 0 && dname_equal(lc, n);
}

/* Knot-compatible CH TXT: id.server/hostname.bind give the identity,
 * version.bind/version.server the version; anything else is REFUSED. No
 * AA bit: Knot does not set it on CHAOS answers. */
static unsigned answer_chaos(struct responder *rs)
{
	struct query_ctx *q = rs->q;
	const char *text = NULL;
	if (q->qtype != RRT_TXT)
		return RCODE_REFUSED;
	if (name_is(q->qname_lc, "id.server.") || name_is(q->qname_lc, "hostname.bind."))
		text = rs->cfg->server.identity;
	else if (name_is(q->qname_lc, "version.bind.") || name_is(q->qname_lc, "version.server."))
		text = rs->cfg->server.version;
	if (!text || !text[0])
		return RCODE_REFUSED;
	uint8_t rdata[256];
	size_t tl = strlen(text);
	if (tl > 255)
		tl = 255;  /* one character-string */
	rdata[0] = (uint8_t)tl;
	memcpy(rdata + 1, text, tl);
	struct rdata rd = { (uint16_t)(tl + 1), rdata };
	if (msg_put_rrset(&rs->m, MSG_AN, q->qname, RRT_TXT, CLASS_CH, 0, &rd, 1) < 0)
		rs->m.flags |= MSG_FLAG_TC;
	return RCODE_NOERROR;
}

/* ---- IN ---------------------------------------------------------------- */

struct glue_state {
	const struct znode *done[MAX_GLUE_NODES];
	unsigned ndone;
	bool stop;
};

static bool glue_seen(struct glue_state *g, const struct znode *n)
{
	for (unsigned i = 0; i < g->ndone; i++)
		if (g->done[i] == n)
			return true;
	if (g->ndone < MAX_GLUE_NODES)
		g->done[g->ndone++] = n;
	return false;
}

/*
 * Additional A/AAAA for the targets of one NS/MX/SRV RRset (RFC 1034 4.3.2
 * step 6). Like Knot: mandatory glue first; when a record does not fit the
 * section ends there, and only missing mandatory glue of a referral sets
 * TC (RFC 9471).
 */
static void add_glue(struct responder *rs, const struct zone *z, const uint8_t *owner,
                     const struct rrset *s, bool referral, struct glue_state *g)
{
	uint16_t types[3];
	unsigned ntypes = lookup_additional_types(s->type, types);
	if (ntypes == 0)
		return;  /* no targets: most answers end here */
	for (int pass = 0; pass < 2 && !g->stop; pass++) {
		for (uint16_t i = 0; i < s->count && !g->stop; i++) {
			const uint8_t *t = lookup_additional_target(s->type, &s->rr[i]);
			if (!t)
				continue;
			bool mandatory;
			const struct znode *n = lookup_additional(z, t, s->type == RRT_NS ? owner : NULL,
			                                          &mandatory);
			if (!n || mandatory != (pass == 0) || glue_seen(g, n))
				continue;
			for (unsigned k = 0; k < ntypes; k++) {
				const struct rrset *a = znode_rrset(n, types[k]);
				if (!a || a->count == 0)
					continue;
				if (msg_put_rrset(&rs->m, MSG_AR, t, a->type, CLASS_IN, a->ttl,
				                  a->rr, a->count) < 0) {
					if (referral && mandatory)
						rs->m.flags |= MSG_FLAG_TC;
					g->stop = true;
					break;
				}
				/* RFC 4035 3.1.1: authoritative additional data with its
				 * RRSIG, which may be dropped for room; glue unsigned. */
				if (rs->sign && !lookup_below_cut(n) &&
				    dnssec_put_rrsig(&rs->m, rs->sign, MSG_AR, t, a->type, a->ttl, a->ttl,
				                     a->rr, a->count) < 0) {
					g->stop = true;
					break;
				}
			}
		}
	}
}

/*
 * Write the client-dependent A/AAAA of a steered name through the method
 * bound to its mode (the name's, or else the server's; common/
 * steer_method.h) and set the ECS scope of the answer: the method's scope
 * when it located the client by ECS (RFC 7871 7.2.1), else the SCOPE 0
 * start() already echoed. Every answer written is observed once
 * (steer_observe). Returns 1 if written, 0 if there was nothing to write
 * (NODATA), -1 if it did not fit. Not inlined: the outcome's STEER_MAX_RR
 * records stay out of query_answer's frame (inlined, they moved the
 * question's buffers and cost ~12 instructions a query in memcmp
 * alignment paths on every lookup, steered or not).
 */
static __attribute__((noinline)) int put_steered(struct responder *rs, const struct lookup_rr *e)
{
	const struct steer_rec *sr = e->steer;
	enum steer_mode mode = sr->mode != STEER_MODE_DEFAULT ? sr->mode : rs->cfg->server.mode;
	const struct steer_binding *b = &rs->cfg->steer[mode];
	struct steer_outcome out;
	if (!b->ops)
		return 0;
	steer_outcome_init(&out);
	b->ops->answer(b->state, sr, rs->q, e->steer_type, &out);
	if (out.from_ecs && rs->opt.ecs)
		rs->ecs_echo.scope = (uint8_t)out.scope;
	if (out.n == 0)
		return 0;
	if (msg_put_rrset(&rs->m, MSG_AN, e->owner, e->steer_type, CLASS_IN, sr->ttl, out.rr,
	                  (uint16_t)out.n) < 0 ||
	    (rs->sign && dnssec_put_rrsig(&rs->m, rs->sign, MSG_AN, e->owner, e->steer_type, sr->ttl,
	                                  sr->ttl, out.rr, (uint16_t)out.n) < 0))
		return -1;
	out.scope = rs->opt.ecs ? rs->ecs_echo.scope : -1;
	steer_observe(rs->cfg, rs->q, e->steer_type, &out);
	return 1;
}

static unsigned answer_in(struct responder *rs)
{
	struct query_ctx *q = rs->q;
	const struct zoneset *zs = &rs->cfg->zones;
	const struct zone *z = NULL;

	/* DS lives in the parent: look for the zone above the name first
	 * (RFC 4035 3.1.4.1; Knot does the same). */
	if (q->qtype == RRT_DS && q->qname_lc[0] != 0)
		z = zoneset_find(zs, dname_strip(q->qname_lc, 1));
	if (!z)
		z = zoneset_find_labels(zs, q->qname_lc, &q->qlabels);
	if (!z)
		return RCODE_REFUSED;  /* not ours: no AA */

	struct lookup_result res;
	lookup_answer(z, q->qname, q->qname_lc, &q->qlabels, q->qtype, &res);
	if (res.aa)
		rs->m.flags |= MSG_FLAG_AA;
	rs->sign = q->edns.do_bit ? z->dnssec : NULL;

	unsigned rcode = RCODE_NOERROR;
	const uint8_t *steer_owner = NULL;   /* a steered name that had no answer */
	for (unsigned i = 0; i < res.n_an; i++) {
		const struct rrset *s = res.an[i].rrset;
		if (!s) {
			/* A steered name, always the last entry of a chain. */
			int r = put_steered(rs, &res.an[i]);
			if (r < 0) {
				rs->m.flags |= MSG_FLAG_TC;
				return rcode;
			}
			if (r == 0)
				res.state = LS_NODATA;  /* no PoP has this family */
			steer_owner = res.an[i].owner;
			res.n_an = i;               /* nothing to add glue for */
			break;
		}
		if (msg_put_rrset(&rs->m, MSG_AN, res.an[i].owner, s->type, CLASS_IN, s->ttl, s->rr,
		                  s->count) < 0 ||
		    (rs->sign && dnssec_put_rrsig(&rs->m, rs->sign, MSG_AN, res.an[i].owner, s->type,
		                                  s->ttl, s->ttl, s->rr, s->count) < 0)) {
			/* Knot keeps the RRsets that fit, sets TC and stops. */
			rs->m.flags |= MSG_FLAG_TC;
			return rcode;
		}
	}

	if (rs->sign && (res.state == LS_NXDOMAIN || res.state == LS_NODATA)) {
		/* Compact denial (RFC 9824): NOERROR, one NSEC at the name the
		 * answer is about: the question, the end of its CNAME chain, or
		 * the steered name without an address of that family. */
		if (q->qtype == RRT_NXNAME)
			return RCODE_FORMERR;  /* RFC 9824 3.5: NXNAME is no query type */
		const uint8_t *name = q->qname;
		if (steer_owner)
			name = steer_owner;
		else if (res.n_an > 0 && res.an[res.n_an - 1].rrset->type == RRT_CNAME)
			name = res.an[res.n_an - 1].rrset->rr[0].data;
		if (dnssec_put_denial(&rs->m, z, name, res.state == LS_NODATA ? res.last : NULL,
		                      q->qtype) < 0)
			rs->m.flags |= MSG_FLAG_TC;  /* a denial without its proof is bogus */
		return rcode;
	}
	switch (res.state) {
	case LS_NXDOMAIN:
		rcode = RCODE_NXDOMAIN;
		/* fall through */
	case LS_NODATA:
		/* RFC 2308 3: SOA with TTL min(SOA TTL, MINIMUM). Missing room
		 * here ends the message without TC, as in Knot. */
		if (z->soa)
			(void)msg_put_rrset(&rs->m, MSG_NS, z->origin, RRT_SOA, CLASS_IN, z->neg_ttl,
			                    z->soa->rr, z->soa->count);
		return rcode;
	case LS_DELEG: {
		const struct rrset *ns = znode_rrset(res.cut, RRT_NS);
		if (!ns || ns->count == 0)
			return RCODE_SERVFAIL;
		if (msg_put_rrset(&rs->m, MSG_NS, res.cut->name, RRT_NS, CLASS_IN, ns->ttl,
		                  ns->rr, ns->count) < 0 ||
		    (rs->sign && dnssec_put_referral(&rs->m, z, res.cut) < 0)) {
			rs->m.flags |= MSG_FLAG_TC;
			return rcode;
		}
		break;
	}
	case LS_HIT:
		break;
	}

	/* Additional section from the RRsets written, in order. */
	struct glue_state g;  /* done[] is filled as used: no need to clear it */
	g.ndone = 0;
	g.stop = false;
	for (unsigned i = 0; i < res.n_an && !g.stop; i++)
		add_glue(rs, z, res.an[i].owner, res.an[i].rrset, false, &g);
	if (res.state == LS_DELEG && !g.stop)
		add_glue(rs, z, res.cut->name, znode_rrset(res.cut, RRT_NS), true, &g);
	return rcode;
}

/* Qtype dispatch for classes IN and ANY (Knot: ANY is IN). */
static unsigned dispatch_in(struct responder *rs)
{
	switch (rs->q->qtype) {
	case 0:
		return RCODE_NOTIMP;  /* reserved type */
	case RRT_AXFR:
	case RRT_IXFR:
		/* We offer no zone transfers to anyone. */
		return RCODE_REFUSED;
	default:
		return answer_in(rs);
	}
}

static size_t answer(const struct config *cfg, const struct query_client *cl,
                     const uint8_t *req, size_t reqlen, uint8_t *out, size_t outcap)
{
	if (!req || !out || reqlen < 12 || outcap < 12)
		return 0;
	if (req[2] & 0x80)
		return 0;  /* a response: never answer it (RFC 1035 4.1.1 QR) */

	struct query_ctx q;
	memset(&q, 0, offsetof(struct query_ctx, qname));
	q.qname[0] = 0;
	q.qname_lc[0] = 0;
	q.peer = cl ? cl->peer : NULL;
	q.peerlen = cl ? cl->peerlen : 0;
	q.tcp = cl && cl->tcp;
	q.id = (uint16_t)(req[0] << 8 | req[1]);
	q.opcode = (req[2] >> 3) & 0x0F;
	q.rd = req[2] & 0x01;

	struct responder rs;
	rs.cfg = cfg;
	rs.q = &q;

	int parsed = parse_query(req, reqlen, &q);
	if (q.opcode != OPCODE_QUERY) {
		/* NOTIFY, UPDATE and the rest: we are a primary without
		 * dynamic updates or secondaries to notify, so these are not
		 * implemented (RFC 1035 4.1.1, RFC 2136 3.1, RFC 1996). The
		 * question is echoed only when it parsed. */
		start(&rs, cl, out, outcap, false, false);
		return finish(&rs, RCODE_NOTIMP);
	}
	if (parsed < 0) {
		/* Malformed: no OPT, as the OPT itself may be what is wrong. */
		start(&rs, cl, out, outcap, false, false);
		return finish(&rs, RCODE_FORMERR);
	}

	if (q.edns.present) {
		if (q.edns.cookie.malformed) {
			/* RFC 7873 5.2.2: FORMERR for a malformed COOKIE option. */
			start(&rs, cl, out, outcap, true, false);
			return finish(&rs, RCODE_FORMERR);
		}
		if (q.edns.ecs_invalid) {
			/* RFC 7871 7.1.2: FORMERR for a broken ECS option. */
			start(&rs, cl, out, outcap, true, false);
			return finish(&rs, RCODE_FORMERR);
		}
		if (q.edns.version != 0) {
			/* RFC 6891 6.1.3: BADVERS, with our version (0) in the OPT. */
			start(&rs, cl, out, outcap, true, true);
			return finish(&rs, RCODE_BADVERS);
		}
	}

	start(&rs, cl, out, outcap, true, true);
	if (!q.has_question)
		return finish(&rs, RCODE_FORMERR);  /* QDCOUNT 0 */

	unsigned rcode;
	switch (q.qclass) {
	case CLASS_IN:
	case CLASS_ANY:
		rcode = dispatch_in(&rs);
		break;
	case CLASS_CH:
		if (q.qtype == 0)
			rcode = RCODE_NOTIMP;
		else if (q.qtype == RRT_AXFR || q.qtype == RRT_IXFR)
			rcode = RCODE_REFUSED;
		else
			rcode = answer_chaos(&rs);
		break;
	default:
		rcode = RCODE_REFUSED;
		break;
	}
	size_t n = finish(&rs, rcode);
	if (!cfg->rrl.enabled || q.tcp)
		return n;
	switch (guard_rrl(cfg, &q, out, n)) {
	case RRL_PASS:
		return n;
	case RRL_DROP:
		return 0;
	case RRL_SLIP:
		break;
	}
	/* Over the limit, this one slips: a client with a client cookie gets
	 * BADCOOKIE and a server cookie, which its retry will carry and be
	 * exempt with (RFC 7873 5.2.3); others get an empty truncated answer
	 * and retry over TCP. Either is no larger than the query. */
	start(&rs, cl, out, outcap, true, false);
	if (rs.opt.cookie)
		return finish_msg(&rs, RCODE_BADCOOKIE);
	rs.m.flags |= MSG_FLAG_TC;
	return finish_msg(&rs, rcode);
}

/* dnstap (common/dnstap.h) sees every query that is answered or dropped
 * after parsing began: one branch when it is off. */
size_t query_answer(const struct config *cfg, const struct query_client *cl,
                    const uint8_t *req, size_t reqlen, uint8_t *out, size_t outcap)
{
	if (__builtin_expect(!cfg->dnstap, 1))
		return answer(cfg, cl, req, reqlen, out, outcap);
	struct timespec qtime;
	clock_gettime(CLOCK_REALTIME, &qtime);
	size_t n = answer(cfg, cl, req, reqlen, out, outcap);
	if (req && reqlen >= 12 && !(req[2] & 0x80))
		dnstap_log(cfg->dnstap, cl ? cl->peer : NULL, cl && cl->tcp, &qtime, req, reqlen, out, n);
	return n;
}
