/* lookup.c: zone lookup semantics; see lookup.h. */
#include "common/lookup.h"

#include <string.h>

#include "common/dname.h"


/* The wildcard child "*.<parent>" of a node, or NULL. */
static const struct znode *wildcard_child(const struct zone *z, const struct znode *parent)
{
	static const uint8_t star[2] = { 1, '*' };
	uint8_t wc[DNAME_MAXLEN];
	if ((size_t)parent->namelen + 2 > DNAME_MAXLEN)
		return NULL;
	memcpy(wc, star, 2);
	memcpy(wc + 2, parent->name, parent->namelen);
	return zone_find_lc(z, wc, (size_t)parent->namelen + 2, dname_hash_label(parent->hash, star));
}

/* Is the lowercase name (labels l) at or below z's origin? */
static bool in_zone(const struct zone *z, const uint8_t *name, const struct dname_labels *l)
{
	if (l->n < z->origin_labels)
		return false;
	size_t sl;
	const uint8_t *suffix = dname_suffix(name, l, z->origin_labels, &sl);
	return sl == z->origin_len && memcmp(suffix, z->origin, sl) == 0;
}

/*
 * lookup_node for a lowercase name already split into labels. zone.h:
 * every ancestor of a node exists, so walking down from the apex stops at
 * the first missing label: that parent is the closest encloser (RFC 4592
 * 3.3.1). Zone cuts are seen on the way down. Each step hashes one more
 * label onto its parent's hash.
 */
static void find_node(const struct zone *z, const uint8_t *name, const struct dname_labels *l,
                      uint16_t qtype, struct lookup_node *out)
{
	memset(out, 0, sizeof(*out));
	int ol = z->origin_labels, nl = l->n;
	const struct znode *prev = z->apex;

	for (int k = ol + 1; k <= nl; k++) {
		size_t sl;
		const uint8_t *suffix = dname_suffix(name, l, (unsigned)k, &sl);
		const struct znode *n = zone_find_lc(z, suffix, sl, dname_hash_label(prev->hash, suffix));
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
		const struct znode *w = wildcard_child(z, prev);
		if (w) {
			out->kind = LK_FOUND;
			out->node = w;
			out->wildcard = true;
			return;
		}
	}
	out->kind = LK_NXDOMAIN;
}

void lookup_node(const struct zone *z, const uint8_t *name, uint16_t qtype, struct lookup_node *out)
{
	uint8_t lc[DNAME_MAXLEN];
	struct dname_labels l;
	dname_copy_lower(lc, name, dname_len(name));
	dname_label_offsets(lc, &l);
	find_node(z, lc, &l, qtype, out);
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

void lookup_answer(const struct zone *z, const uint8_t *qname, const uint8_t *qname_lc,
                   const struct dname_labels *qlabels, uint16_t qtype,
                   struct lookup_result *res)
{
	/* Only the header is reset: an[] (2 KB) is written entry by entry
	 * and read only below n_an. */
	res->state = LS_HIT;
	res->aa = true;
	res->n_an = 0;
	res->cut = NULL;
	res->last = NULL;
	const uint8_t *sname = qname;   /* owner to write */
	const uint8_t *lc = qname_lc;   /* the same, lowercase, to look up */
	const struct dname_labels *l = qlabels;  /* lc's labels, NULL until known */
	struct dname_labels own;
	uint8_t target_lc[DNAME_MAXLEN];
	unsigned links = 0;

	for (;;) {
		if (!l) {
			dname_label_offsets(lc, &own);
			l = &own;
		}
		if (!in_zone(z, lc, l)) {
			/* A CNAME target outside this zone: the resolver takes it
			 * from here (RFC 1034 4.3.2 step 3.a; Knot does not chase
			 * into other zones either). */
			res->state = LS_HIT;
			return;
		}
		struct lookup_node ln;
		find_node(z, lc, l, qtype, &ln);
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
			/* zone.h keeps rdata names lowercase; copying costs little
			 * and keeps lookups right whatever built the zone. */
			dname_copy_lower(target_lc, t->data, t->len);
			lc = target_lc;
			l = NULL;
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

bool lookup_below_cut(const struct znode *n)
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
	uint8_t lc[DNAME_MAXLEN];
	struct dname_labels l;
	dname_copy_lower(lc, target, dname_len(target));
	dname_label_offsets(lc, &l);
	if (!in_zone(z, lc, &l))
		return NULL;
	/* Walk down from the apex: the target itself when every label is
	 * there, else (as Knot) the wildcard of the closest encloser. */
	const struct znode *n = z->apex, *enc = z->apex;
	for (int k = z->origin_labels + 1; k <= l.n; k++) {
		size_t sl;
		const uint8_t *suffix = dname_suffix(lc, &l, (unsigned)k, &sl);
		n = zone_find_lc(z, suffix, sl, dname_hash_label(enc->hash, suffix));
		if (!n)
			break;
		enc = n;
	}
	if (!n) {
		if (!(enc->flags & ZN_HAS_WILDCARD))
			return NULL;
		n = wildcard_child(z, enc);
		if (!n)
			return NULL;
	}
	/* RFC 9471: glue below the delegation it belongs to is required. */
	if (ns_owner && lookup_below_cut(n) && dname_is_sub(target, ns_owner))
		*mandatory = true;
	return n;
}

const uint8_t *lookup_additional_target(uint16_t type, const struct rdata *rd)
{
	size_t off;
	switch (type) {
	case RRT_NS: off = 0; break;
	case RRT_MX: off = 2; break;
	case RRT_SRV: off = 6; break;
	case RRT_SVCB:
	case RRT_HTTPS: off = 2; break;  /* after SvcPriority (RFC 9460 2.2) */
	default: return NULL;
	}
	if (rd->len <= off)
		return NULL;
	/* The zone holds well-formed names; check the length anyway. */
	size_t i = off;
	while (i < rd->len && rd->data[i])
		i += 1 + (size_t)rd->data[i];
	if (i >= rd->len)
		return NULL;
	return rd->data + off;
}
