/* rrl.c: response rate limiting; see rrl.h for the scheme. */
#include "common/rrl.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"

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

/* FNV-1a 64 with the MurmurHash3 finalizer (as geodns/ab.c explains: FNV
 * alone leaves short inputs' low bits poorly mixed). Unkeyed: an attacker
 * who aims collisions at a victim's account only resets it to a full
 * balance, which limits nobody. */
static uint64_t mix(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
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

static uint64_t account_key(const struct rrl_conf *c, const struct sockaddr *peer,
                            enum rrl_class cls, const uint8_t *name)
{
	uint8_t a[16];
	netprefix_from_sockaddr(peer, a);
	bool v4 = peer->sa_family == AF_INET || (a[10] == 0xff && a[11] == 0xff &&
	                                         !memcmp(a, "\0\0\0\0\0\0\0\0\0\0", 10));
	netprefix_mask(a, v4 ? 96u + c->ipv4_prefix : c->ipv6_prefix);
	uint64_t h = mix(0xcbf29ce484222325ULL, a, 16);
	uint8_t k = (uint8_t)cls;
	h = mix(h, &k, 1);
	if (name)
		h = mix(h, name, dname_len(name));
	return fmix64(h);
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
