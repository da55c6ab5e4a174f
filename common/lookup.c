/* lookup.c: zone lookup semantics; see lookup.h. */
#include "common/lookup.h"

#include <string.h>

#include "common/dname.h"

#define RRT_RRSIG 46
#define RRT_NSEC 47

/* Build "*.<parent>" into buf; returns false if it would be too long. */
static bool wildcard_name(const uint8_t *parent, uint8_t buf[DNAME_MAXLEN])
{
	size_t pl = dname_len(parent);
	if (pl + 2 > DNAME_MAXLEN)
		return false;
	buf[0] = 1;
	buf[1] = '*';
	memcpy(buf + 2, parent, pl);
	return true;
}

void lookup_node(const struct zone *z, const uint8_t *name, uint16_t qtype, struct lookup_node *out)
{
	memset(out, 0, sizeof(*out));
	int ol = dname_labels(z->origin);
	int nl = dname_labels(name);
	const struct znode *prev = z->apex;

	/* zone.h: every ancestor of a node exists, so walking down from the
	 * apex stops at the first missing label: that parent is the closest
	 * encloser (RFC 4592 3.3.1). Zone cuts are seen on the way down. */
	for (int k = ol + 1; k <= nl; k++) {
		const struct znode *n = zone_find(z, dname_strip(name, nl - k));
		if (!n)
			break;
		if ((n->flags & ZN_DELEG) && !(k == nl && qtype == RRT_DS)) {
			/* RFC 1034 4.3.2 step 3.b; a DS at the cut itself is
			 * parent-side data (RFC 4035 3.1.4.1). */
			out->kind = LK_DELEG;
			out->cut = n;
			return;
		}
		prev = n;
		if (k == nl) {
			out->kind = LK_FOUND;
			out->node = n;
			return;
		}
	}
	if (nl <= ol) {
		/* the name is the origin itself */
		out->kind = LK_FOUND;
		out->node = z->apex;
		return;
	}
	out->encloser = prev;
	if (prev->flags & ZN_HAS_WILDCARD) {
		/* RFC 4592 3.3.1: the source of synthesis is "*.<closest encloser>". */
		uint8_t wc[DNAME_MAXLEN];
		if (wildcard_name(prev->name, wc)) {
			const struct znode *w = zone_find(z, wc);
			if (w) {
				out->kind = LK_FOUND;
				out->node = w;
				out->wildcard = true;
				return;
			}
		}
	}
	out->kind = LK_NXDOMAIN;
}

static bool already_answered(const struct lookup_result *res, const struct rrset *s)
{
	for (unsigned i = 0; i < res->n_an; i++)
		if (res->an[i].rrset == s)
			return true;
	return false;
}

static void add_an(struct lookup_result *res, const uint8_t *owner, const struct rrset *s)
{
	if (res->n_an < LOOKUP_MAX_AN)
		res->an[res->n_an++] = (struct lookup_rr){ .owner = owner, .rrset = s };
}

void lookup_answer(const struct zone *z, const uint8_t *qname, uint16_t qtype,
                   struct lookup_result *res)
{
	/* Only the header is reset: an[] (2 KB) is written entry by entry
	 * and read only below n_an. */
	res->state = LS_HIT;
	res->aa = true;
	res->n_an = 0;
	res->cut = NULL;
	res->last = NULL;
	const uint8_t *sname = qname;
	unsigned links = 0;

	for (;;) {
		if (!dname_is_sub(sname, z->origin)) {
			/* A CNAME target outside this zone: the resolver takes it
			 * from here (RFC 1034 4.3.2 step 3.a; Knot does not chase
			 * into other zones either). */
			res->state = LS_HIT;
			return;
		}
		struct lookup_node ln;
		lookup_node(z, sname, qtype, &ln);
		if (ln.kind == LK_DELEG) {
			res->state = LS_DELEG;
			res->cut = ln.cut;
			res->last = ln.cut;
			/* Only a referral for the question itself is
			 * non-authoritative; a CNAME into a cut keeps AA (as Knot). */
			if (links == 0)
				res->aa = false;
			return;
		}
		if (ln.kind == LK_NXDOMAIN) {
			res->state = LS_NXDOMAIN;
			res->last = NULL;
			return;
		}
		const struct znode *n = ln.node;
		res->last = n;
		const struct rrset *cname = znode_rrset(n, RRT_CNAME);
		if (cname && cname->count > 0 && qtype != RRT_CNAME && qtype != RRT_ANY &&
		    qtype != RRT_RRSIG && qtype != RRT_NSEC) {
			/* A loop shows as a CNAME RRset met twice (a wildcard CNAME
			 * counts once however it is reached): stop there with what
			 * we have, as Knot does. */
			if (already_answered(res, cname) || links >= LOOKUP_MAX_CHAIN) {
				res->state = LS_HIT;
				res->last = NULL;
				return;
			}
			add_an(res, sname, cname);
			links++;
			const struct rdata *t = &cname->rr[0];
			if (t->len == 0 || t->len > DNAME_MAXLEN || dname_len(t->data) != t->len) {
				res->state = LS_HIT;  /* unusable target; the zone loader prevents this */
				return;
			}
			sname = t->data;
			continue;
		}
		unsigned before = res->n_an;
		if (n->steer && (qtype == RRT_A || qtype == RRT_AAAA || qtype == RRT_ANY)) {
			/* A steered name: its A/AAAA depend on the client, so
			 * the caller builds them. For ANY, A is the lowest type
			 * (RFC 8482 4.1 single RRset, as below). */
			if (res->n_an < LOOKUP_MAX_AN) {
				struct lookup_rr *e = &res->an[res->n_an++];
				e->owner = sname;
				e->rrset = NULL;
				e->steer = n->steer;
				e->steer_type = qtype == RRT_AAAA ? RRT_AAAA : RRT_A;
			}
		} else if (qtype == RRT_ANY) {
			/* RFC 8482 4.1: answer ANY with one RRset, not all of
			 * them. Knot 3.2 picks the lowest type; so do we, so
			 * the answer is stable and the same as the oracle's. */
			const struct rrset *pick = NULL;
			for (const struct rrset *s = n->rrsets; s; s = s->next)
				if (s->count > 0 && (!pick || s->type < pick->type))
					pick = s;
			if (pick)
				add_an(res, sname, pick);
		} else {
			const struct rrset *s = znode_rrset(n, qtype);
			if (s && s->count > 0)
				add_an(res, sname, s);
		}
		res->state = res->n_an > before ? LS_HIT : LS_NODATA;
		return;
	}
}

/* Is n at or below a zone cut of its zone (that is, not authoritative)? */
static bool at_or_below_cut(const struct znode *n)
{
	for (; n && !(n->flags & ZN_APEX); n = n->parent)
		if (n->flags & ZN_DELEG)
			return true;
	return false;
}

const struct znode *lookup_additional(const struct zone *z, const uint8_t *target,
                                      const uint8_t *ns_owner, bool *mandatory)
{
	*mandatory = false;
	if (!dname_is_sub(target, z->origin))
		return NULL;
	const struct znode *n = zone_find(z, target);
	if (!n) {
		/* As Knot: a wildcard covering the target supplies its addresses. */
		int ol = dname_labels(z->origin), nl = dname_labels(target);
		const struct znode *enc = z->apex;
		for (int k = ol + 1; k < nl; k++) {
			const struct znode *p = zone_find(z, dname_strip(target, nl - k));
			if (!p)
				break;
			enc = p;
		}
		uint8_t wc[DNAME_MAXLEN];
		if (!(enc->flags & ZN_HAS_WILDCARD) || !wildcard_name(enc->name, wc))
			return NULL;
		n = zone_find(z, wc);
		if (!n)
			return NULL;
	}
	/* RFC 9471: glue below the delegation it belongs to is required. */
	if (ns_owner && at_or_below_cut(n) && dname_is_sub(target, ns_owner))
		*mandatory = true;
	return n;
}
