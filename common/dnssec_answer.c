/* dnssec_answer.c: signed answer parts; see dnssec_answer.h. */
#include "common/dnssec_answer.h"

#include <time.h>

#include "common/dname.h"
#include "common/dnssec_sign.h"

#define CLASS_IN 1

int dnssec_put_rrsig(struct msg *m, const struct dnssec_zone *dz, enum msg_section sec,
                     const uint8_t *owner, uint16_t type, uint32_t ttl, uint32_t orig_ttl,
                     const struct rdata *rr, uint16_t count)
{
	struct rdata sig;
	if (dnssec_sign_rrset(dz, owner, type, orig_ttl, rr, count, (uint32_t)time(NULL), &sig) < 0)
		return -1;
	return msg_put_rrset(m, sec, owner, RRT_RRSIG, CLASS_IN, ttl, &sig, 1);
}

/* An RRset and its RRSIG, both or neither. */
static int put_signed(struct msg *m, const struct dnssec_zone *dz, enum msg_section sec,
                      const uint8_t *owner, uint16_t type, uint32_t ttl, uint32_t orig_ttl,
                      const struct rdata *rr, uint16_t count)
{
	struct msg_mark mk;
	msg_mark(m, &mk);
	if (msg_put_rrset(m, sec, owner, type, CLASS_IN, ttl, rr, count) < 0)
		return -1;
	if (dnssec_put_rrsig(m, dz, sec, owner, type, ttl, orig_ttl, rr, count) < 0) {
		msg_rollback(m, &mk);
		return -1;
	}
	return 0;
}

int dnssec_put_denial(struct msg *m, const struct zone *z, const uint8_t *name,
                      const struct znode *node, uint16_t qtype)
{
	const struct dnssec_zone *dz = z->dnssec;
	struct msg_mark mk;
	msg_mark(m, &mk);
	if (z->soa && put_signed(m, dz, MSG_NS, z->origin, RRT_SOA, z->neg_ttl, z->soa->ttl,
	                               z->soa->rr, z->soa->count) < 0)
		return -1;
	uint8_t lc[DNAME_MAXLEN], nsec[DNAME_MAXLEN + 2 + 256 * 34];
	dname_copy_lower(lc, name, dname_len(name));
	int n = dnssec_nsec_compact(lc, node, qtype, nsec, sizeof(nsec));
	struct rdata rd = { (uint16_t)n, nsec };
	if (n < 0 || put_signed(m, dz, MSG_NS, name, RRT_NSEC, z->neg_ttl, z->neg_ttl, &rd,
	                              1) < 0) {
		msg_rollback(m, &mk);
		return -1;
	}
	return 0;
}

int dnssec_put_referral(struct msg *m, const struct zone *z, const struct znode *cut)
{
	const struct rrset *ds = znode_rrset(cut, RRT_DS);
	if (ds && ds->count > 0)
		return put_signed(m, z->dnssec, MSG_NS, cut->name, RRT_DS, ds->ttl, ds->ttl, ds->rr,
		                        ds->count);
	uint8_t nsec[DNAME_MAXLEN + 2 + 256 * 34];
	int n = dnssec_nsec_compact(cut->name, cut, RRT_DS, nsec, sizeof(nsec));
	struct rdata rd = { (uint16_t)n, nsec };
	return n < 0 ? -1
	             : put_signed(m, z->dnssec, MSG_NS, cut->name, RRT_NSEC, z->neg_ttl,
	                                z->neg_ttl, &rd, 1);
}
