/* rrl.c: response rate limiting; see rrl.h for the scheme. */
#include "common/rrl.h"

#include <pthread.h>
#include <endian.h>
#include <stdatomic.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/hash_mix.h"

struct rrl_table {
	uint64_t mask;
	_Atomic uint64_t slot[];
};

/* Word layout: fingerprint (24) | time (16) | balance + 2^23 (24). */
#define FP_SHIFT 40
#define TIME_SHIFT 24
#define BAL_BIAS (1 << 23)
#define BAL_MAX (BAL_BIAS - 1)

struct rrl_table *rrl_table_new(unsigned bits)
{
	if (bits < 10)
		bits = 10;
	if (bits > 24)
		bits = 24;
	size_t n = (size_t)1 << bits;
	struct rrl_table *t = calloc(1, sizeof(*t) + n * sizeof(t->slot[0]));
	if (!t)
		return NULL;
	t->mask = n - 1;
	return t;
}

void rrl_table_free(struct rrl_table *t)
{
	free(t);
}

static struct rrl_table *shared;
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;

static void shared_make(void)
{
	shared = rrl_table_new(18);
}

struct rrl_table *rrl_shared(void)
{
	pthread_once(&shared_once, shared_make);
	return shared;
}

/* Fold 8 bytes at a time (the answer path runs this for every UDP
 * response): h = fmix(h ^ word) per word, the tail zero-padded. */
static uint64_t fold(uint64_t h, const uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = hash_fmix64(h ^ w);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, p, n);
		h = hash_fmix64(h ^ w ^ (uint64_t)n << 59);
	}
	return h;
}

bool rrl_exempt(const struct rrl_conf *c, const struct sockaddr *peer)
{
	uint8_t a[16];

	if (!c->n_exempt)
		return false;
	netprefix_from_sockaddr(peer, a);
	for (size_t i = 0; i < c->n_exempt; i++)
		if (netprefix_contains(&c->exempt[i], a))
			return true;
	return false;
}

/* The account of a response: its source prefix, class and name, mixed.
 * Unkeyed: an attacker who aims collisions at a victim's account only
 * resets it to a full balance, which limits nobody. */
static uint64_t account_key(const struct rrl_conf *c, const struct sockaddr *peer,
                            enum rrl_class cls, const uint8_t *name)
{
	uint64_t hi = 0, lo;
	unsigned len;

	/* The source prefix as two words of the 128-bit space, masked. */
	if (peer->sa_family == AF_INET) {
		uint32_t a;
		memcpy(&a, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		lo = be32toh(a);
		len = c->ipv4_prefix;
		lo = len ? lo & ~(uint64_t)0 << (32 - len) : 0;
		lo |= (uint64_t)0xffff << 32;   /* as ::ffff:a.b.c.d */
	} else {
		const uint8_t *a = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
		memcpy(&hi, a, 8);
		memcpy(&lo, a + 8, 8);
		hi = be64toh(hi);
		lo = be64toh(lo);
		if (hi == 0 && lo >> 32 == 0xffff) {
			len = 96u + c->ipv4_prefix;   /* v4-mapped: its IPv4 prefix */
		} else {
			len = c->ipv6_prefix;
		}
		if (len <= 64) {
			hi = len ? hi & ~(uint64_t)0 << (64 - len) : 0;
			lo = 0;
		} else if (len < 128) {
			lo &= ~(uint64_t)0 << (128 - len);
		}
	}
	uint64_t h = hash_fmix64(hi ^ 0x9e3779b97f4a7c15ULL);
	h = hash_fmix64(h ^ lo);
	h = hash_fmix64(h ^ ((uint64_t)cls + 1));
	if (name)
		h = fold(h, name, dname_len(name));
	return h;
}

enum rrl_action rrl_account(struct rrl_table *t, const struct rrl_conf *c,
                            const struct sockaddr *peer, enum rrl_class cls,
                            const uint8_t *name, uint32_t now_s, uint32_t *slip_ctr)
{
	uint64_t key = account_key(c, peer, cls, name);
	_Atomic uint64_t *slot = &t->slot[key & t->mask];
	uint64_t fp = (key >> 40) & 0xffffff;
	int64_t rate = c->rate > BAL_MAX ? BAL_MAX : c->rate;
	int64_t floor = -(int64_t)c->rate * c->window;
	uint16_t now16 = (uint16_t)now_s;
	uint64_t old = atomic_load_explicit(slot, memory_order_relaxed);
	int64_t bal;

	if (floor < -BAL_MAX)
		floor = -BAL_MAX;
	for (;;) {
		if ((old >> FP_SHIFT) != fp || old == 0) {
			bal = rate;   /* a new account starts full */
		} else {
			uint16_t then = (uint16_t)(old >> TIME_SHIFT);
			int64_t dt = (uint16_t)(now16 - then);
			bal = (int64_t)(old & 0xffffff) - BAL_BIAS;
			/* dt <= 65535 and rate < 2^23: no overflow. A time
			 * 2^16 s old looks recent; an account idle that long
			 * has surely been taken by another key meanwhile. */
			bal += dt * rate;
			if (bal > rate)
				bal = rate;
		}
		bal -= 1;
		if (bal < floor)
			bal = floor;
		uint64_t nw = fp << FP_SHIFT | (uint64_t)now16 << TIME_SHIFT | (uint64_t)(bal + BAL_BIAS);
		if (atomic_compare_exchange_weak_explicit(slot, &old, nw, memory_order_relaxed,
		                                          memory_order_relaxed))
			break;
	}
	if (bal >= 0)
		return RRL_PASS;
	if (c->slip && ++*slip_ctr % c->slip == 0)
		return RRL_SLIP;
	return RRL_DROP;
}
