/*
 * geo_hash.h: a fast 64-bit hash of byte strings for the GeoIP cache
 * (geo_cache.h): the cache key (DB file contents, compile-relevant
 * config) and the cache file's checksum. Not cryptographic: it detects
 * changed inputs and corrupt files, it does not resist an attacker who
 * can write the cache directory (who could write any tree anyway).
 *
 * Four independent lanes over 32-byte stripes (multiply-rotate rounds),
 * so hashing a GeoLite2-City file from the page cache costs a few tens of
 * milliseconds; the tail and the length are mixed in at the end.
 */
#ifndef STEERDNS_GEO_HASH_H
#define STEERDNS_GEO_HASH_H

#include <stddef.h>
#include <stdint.h>

struct geo_hash {
	uint64_t v[4];
	uint8_t buf[32];
	size_t nbuf;
	uint64_t total;
};

void geo_hash_init(struct geo_hash *h, uint64_t seed);
void geo_hash_update(struct geo_hash *h, const void *data, size_t len);
uint64_t geo_hash_final(const struct geo_hash *h);

/* One-shot. */
uint64_t geo_hash64(const void *data, size_t len, uint64_t seed);

/* Hash of a whole file's bytes (read in large chunks); -1 with errno set
 * if it cannot be read. */
int geo_hash_file(const char *path, uint64_t seed, uint64_t *out);

#endif
