/*
 * dnssec_sign.c: RRSIGs on the answer path and compact-denial NSECs; see
 * dnssec_sign.h.
 *
 * Per thread: a scratch buffer for the data to sign and a direct-mapped
 * cache of signatures. The cache key is the zone key's id plus the
 * canonical RRset exactly as it is signed (RFC 4034 3.1.8.1 "RR(1) |
 * RR(2) ..."), compared in full, so a hit is certain to be the same RRset.
 */
#include "common/dnssec_sign.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libdnssec/binary.h>
#include <libdnssec/error.h>
#include <libdnssec/sign.h>
#include <libknot/descriptor.h>

#include "common/dname.h"
#include "common/wire.h"

#define CACHE_SLOTS 8192   /* per thread; a power of two */
#define RRSIG_FIXED 18     /* RRSIG rdata before the signer name */

struct sig_entry {
	uint64_t hash, zone_id;
	uint32_t refresh_at;   /* sign again from this time on */
	uint32_t keylen;
	uint8_t *key;          /* the canonical RRset signed */
	uint16_t siglen;
	uint8_t *sig;          /* the RRSIG rdata */
};

struct sign_thread {
	struct sig_entry slots[CACHE_SLOTS];
	uint8_t *buf;          /* RRSIG header + canonical RRset */
	size_t bufcap;
	uint8_t **sorted;      /* canonical rdata in canonical order */
	size_t sortedcap;
	size_t used;           /* bytes of buf filled by build_data */
};

static pthread_key_t tkey;
static pthread_once_t tkey_once = PTHREAD_ONCE_INIT;

static void thread_free(void *p)
{
	struct sign_thread *t = p;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		free(t->slots[i].key);
		free(t->slots[i].sig);
	}
	free(t->buf);
	free(t->sorted);
	free(t);
}

static void tkey_init(void)
{
	pthread_key_create(&tkey, thread_free);
}

static struct sign_thread *thread_state(void)
{
	pthread_once(&tkey_once, tkey_init);
	struct sign_thread *t = pthread_getspecific(tkey);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (t)
			pthread_setspecific(tkey, t);
	}
	return t;
}

static bool reserve(uint8_t **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap : 4096;
	while (n < need)
		n *= 2;
	uint8_t *q = realloc(*p, n);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

/* Length of the uncompressed name at rd[pos..len), 0 if there is none. */
static size_t name_len_at(const uint8_t *rd, size_t pos, size_t len)
{
	size_t i = pos;
	while (i < len) {
		if (rd[i] == 0)
			return i + 1 - pos;
		if (rd[i] > DNAME_MAXLABEL)
			return 0;
		i += 1 + (size_t)rd[i];
	}
	return 0;
}

void dnssec_rdata_canonical(uint16_t type, uint8_t *rd, size_t len)
{
	if (!knot_rrtype_should_be_lowercased(type))
		return;
	const knot_rdata_descriptor_t *d = knot_get_rdata_descriptor(type);
	size_t pos = 0;
	for (int i = 0; d->block_types[i] != KNOT_RDATA_WF_END && pos < len; i++) {
		int b = d->block_types[i];
		if (b > 0) {
			pos += (size_t)b;
		} else if (b == KNOT_RDATA_WF_COMPRESSIBLE_DNAME ||
		           b == KNOT_RDATA_WF_DECOMPRESSIBLE_DNAME || b == KNOT_RDATA_WF_FIXED_DNAME) {
			size_t n = name_len_at(rd, pos, len);
			if (n == 0)
				return;
			dname_lower(rd + pos);
			pos += n;
		} else if (b == KNOT_RDATA_WF_NAPTR_HEADER) {
			/* order, preference, then flags, services, regexp */
			pos += 4;
			for (int k = 0; k < 3 && pos < len; k++)
				pos += 1 + (size_t)rd[pos];
		} else {
			return;  /* the remainder holds no names */
		}
	}
}

/* RFC 4034 6.3: RRs sorted by their canonical rdata as octet strings. */
static int cmp_rdata(const void *a, const void *b)
{
	const uint8_t *x = *(uint8_t *const *)a, *y = *(uint8_t *const *)b;
	size_t lx = (size_t)x[0] << 8 | x[1], ly = (size_t)y[0] << 8 | y[1];
	int c = memcmp(x + 2, y + 2, lx < ly ? lx : ly);
	if (c)
		return c;
	return lx < ly ? -1 : lx > ly;
}

static uint64_t hash_bytes(const uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t h = seed ^ 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* Labels of owner for the RRSIG Labels field (RFC 4034 3.1.3). */
static uint8_t rrsig_labels(const uint8_t *owner)
{
	int n = dname_labels(owner);
	if (owner[0] == 1 && owner[1] == '*')
		n--;
	return (uint8_t)n;
}

/*
 * Into t->buf: the RRSIG rdata without signature (RRSIG_FIXED bytes with
 * times and key tag, then the signer), followed by the canonical RRset.
 * Returns the offset of the RRset, 0 on failure.
 */
static size_t build_data(struct sign_thread *t, const struct dnssec_zone *dz,
                         const uint8_t *owner, uint16_t type, uint32_t ttl,
                         const struct rdata *rr, uint16_t count, uint32_t now)
{
	size_t olen = dname_len(owner), total = 0;
	for (uint16_t i = 0; i < count; i++)
		total += 2 + (size_t)rr[i].len;
	size_t head = RRSIG_FIXED + dz->signer_len;
	/* header, the RRset, and a copy area for the canonical rdata */
	size_t need = head + (size_t)count * (olen + 10) + total + total;
	if (!reserve(&t->buf, &t->bufcap, need) ||
	    !reserve((uint8_t **)&t->sorted, &t->sortedcap, (size_t)count * sizeof(uint8_t *)))
		return 0;
	uint8_t *b = t->buf;
	wire_put_u16(b, type);
	b[2] = dz->algorithm;
	b[3] = rrsig_labels(owner);
	wire_put_u32(b + 4, ttl);
	wire_put_u32(b + 8, now + DNSSEC_SIG_VALIDITY);
	wire_put_u32(b + 12, now - DNSSEC_SIG_BACKDATE);
	wire_put_u16(b + 16, dz->keytag);
	memcpy(b + RRSIG_FIXED, dz->signer, dz->signer_len);

	/* canonical rdata (length-prefixed) in the copy area, then sorted */
	uint8_t *copy = t->buf + need - total;
	uint8_t **sorted = (uint8_t **)t->sorted;
	for (uint16_t i = 0; i < count; i++) {
		sorted[i] = copy;
		wire_put_u16(copy, rr[i].len);
		memcpy(copy + 2, rr[i].data, rr[i].len);
		dnssec_rdata_canonical(type, copy + 2, rr[i].len);
		copy += 2 + rr[i].len;
	}
	if (count > 1)
		qsort(sorted, count, sizeof(*sorted), cmp_rdata);

	uint8_t lc[DNAME_MAXLEN];
	dname_copy_lower(lc, owner, olen);
	uint8_t *w = t->buf + head;
	for (uint16_t i = 0; i < count; i++) {
		/* RFC 2181 5: no duplicates in an RRset; skip equal neighbours */
		if (i > 0 && cmp_rdata(&sorted[i - 1], &sorted[i]) == 0)
			continue;
		size_t rl = (size_t)sorted[i][0] << 8 | sorted[i][1];
		memcpy(w, lc, olen);
		w += olen;
		w = wire_put_u16(w, type);
		w = wire_put_u16(w, 1);  /* IN */
		w = wire_put_u32(w, ttl);
		memcpy(w, sorted[i], 2 + rl);
		w += 2 + rl;
	}
	t->used = (size_t)(w - t->buf);
	return head;
}

int dnssec_sign_rrset(const struct dnssec_zone *dz, const uint8_t *owner, uint16_t type,
                      uint32_t ttl, const struct rdata *rr, uint16_t count, uint32_t now,
                      struct rdata *sig)
{
	struct sign_thread *t = thread_state();
	if (!t || count == 0)
		return -1;
	size_t head = build_data(t, dz, owner, type, ttl, rr, count, now);
	if (head == 0)
		return -1;
	/* The key: the RRset from head on, plus type and TTL already in it. */
	const uint8_t *key = t->buf + head;
	size_t keylen = t->used - head;
	uint64_t h = hash_bytes(key, keylen, dz->id);
	struct sig_entry *e = &t->slots[h & (CACHE_SLOTS - 1)];
	if (e->sig && e->hash == h && e->zone_id == dz->id && e->keylen == keylen &&
	    now < e->refresh_at && memcmp(e->key, key, keylen) == 0) {
		*sig = (struct rdata){ e->siglen, e->sig };
		return 0;
	}

	dnssec_sign_ctx_t *ctx = NULL;
	dnssec_binary_t data = { .size = t->used, .data = t->buf }, s = { 0 };
	pthread_mutex_lock((pthread_mutex_t *)&dz->sign_lock);
	int r = dnssec_sign_new(&ctx, dz->key);
	if (r == DNSSEC_EOK)
		r = dnssec_sign_add(ctx, &data);
	if (r == DNSSEC_EOK)
		r = dnssec_sign_write(ctx, DNSSEC_SIGN_NORMAL, &s);
	if (ctx)
		dnssec_sign_free(ctx);
	pthread_mutex_unlock((pthread_mutex_t *)&dz->sign_lock);
	if (r != DNSSEC_EOK)
		return -1;

	size_t siglen = head + s.size;
	uint8_t *nsig = malloc(siglen), *nkey = malloc(keylen);
	if (!nsig || !nkey || siglen > UINT16_MAX) {
		free(nsig);
		free(nkey);
		dnssec_binary_free(&s);
		return -1;
	}
	memcpy(nsig, t->buf, head);
	memcpy(nsig + head, s.data, s.size);
	memcpy(nkey, key, keylen);
	dnssec_binary_free(&s);
	free(e->sig);
	free(e->key);
	*e = (struct sig_entry){ h, dz->id, now + DNSSEC_SIG_REFRESH, (uint32_t)keylen, nkey,
		                 (uint16_t)siglen, nsig };
	*sig = (struct rdata){ e->siglen, e->sig };
	return 0;
}

/* Append the RFC 4034 4.1.2 type bitmap of the sorted types[0..n). */
static int put_bitmap(struct wire_wr *w, const uint16_t *types, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t win = (uint8_t)(types[i] >> 8), bits[32] = { 0 };
		unsigned len = 0;
		for (; i < n && (types[i] >> 8) == win; i++) {
			uint8_t lo = (uint8_t)types[i];
			bits[lo / 8] |= (uint8_t)(0x80 >> (lo % 8));
			len = lo / 8 + 1u;
		}
		wire_wr_u8(w, win);
		wire_wr_u8(w, (uint8_t)len);
		wire_wr_bytes(w, bits, len);
	}
	return w->err ? -1 : 0;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

int dnssec_nsec_compact(const uint8_t *owner, const struct znode *n, uint16_t qtype,
                        uint8_t *out, size_t cap)
{
	uint16_t types[64 + 4];
	size_t nt = 0;
	types[nt++] = RRT_RRSIG;
	types[nt++] = RRT_NSEC;
	if (!n) {
		types[nt++] = RRT_NXNAME;
	} else {
		if (n->steer) {
			types[nt++] = RRT_A;
			types[nt++] = RRT_AAAA;
		}
		for (const struct rrset *s = n->rrsets; s && nt < 64; s = s->next)
			if (s->count > 0)
				types[nt++] = s->type;
	}
	qsort(types, nt, sizeof(types[0]), cmp_u16);
	size_t k = 0;
	for (size_t i = 0; i < nt; i++)
		if ((i == 0 || types[i] != types[i - 1]) && (types[i] != qtype || !n ||
		                                             qtype == RRT_RRSIG || qtype == RRT_NSEC))
			types[k++] = types[i];
	size_t olen = dname_len(owner);
	/* No room for "\000.": refuse rather than send a next name equal to
	 * the owner, which would deny every other name of the zone. */
	if (olen + 2 > DNAME_MAXLEN)
		return -1;
	struct wire_wr w = wire_wr_init(out, cap);
	static const uint8_t zero_label[2] = { 1, 0 };
	wire_wr_bytes(&w, zero_label, 2);
	wire_wr_bytes(&w, owner, olen);
	if (put_bitmap(&w, types, k) < 0)
		return -1;
	return (int)w.pos;
}
