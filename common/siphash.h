/*
 * siphash.h: SipHash-2-4 (Aumasson and Bernstein, 2012), 64-bit output,
 * 128-bit key: the MAC of RFC 9018 server cookies. No library on Debian
 * exports it in a form worth a dependency for 16 bytes of input.
 */
#ifndef STEERDNS_SIPHASH_H
#define STEERDNS_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of data[0..len) under key[16]; the result as the
 * reference implementation's 8 output bytes read little-endian. */
uint64_t siphash24(const uint8_t key[16], const uint8_t *data, size_t len);

#endif
