/*
 * hash_mix.h: MurmurHash3's 64-bit finaliser, shared by the hashes that
 * need their every input bit spread over the word (the A/B split's subnet
 * hash, the RRL account keys).
 */
#ifndef STEERDNS_HASH_MIX_H
#define STEERDNS_HASH_MIX_H

#include <stdint.h>

/* A bijection on 64 bits: every input bit affects every output bit. */
static inline uint64_t hash_fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

#endif
