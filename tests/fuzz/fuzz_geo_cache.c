/*
 * fuzz_geo_cache.c: libFuzzer target for the GeoIP cache file reader
 * (geodns/geo_cache.c, geotree_io.c). The input is a cache file; its
 * payload length and checksum are rewritten (geo_cache_seal) and its own
 * key is the one expected, so every input reaches the structural checks
 * instead of stopping at the checksum. A core that passes them is used:
 * lookups on fixed and input-derived addresses (with their location's
 * nearest PoP), both tree walks, every PoP list entry read.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_geo_cache.c geodns/geo_cache.c geodns/geo_hash.c \
 *     geodns/geotree.c geodns/geotree_io.c geodns/geotree_intern.c geodns/geotree_ops.c \
 *     geodns/geodb.c geodns/mmdb_record.c geodns/mmdb_meta.c geodns/iso3166.c common/errmsg.c \
 *     $(pkg-config --cflags --libs libmaxminddb) -lm -o fuzz_geo_cache
 *   # seeds: the cache files a test config writes (PoP and rule counts 5, 3:
 *   # the policy of tests/unit/test_geo_cache.c), e.g. from build/tests/test_geo_cache
 *   ./fuzz_geo_cache -max_len=65536 CORPUS_DIR
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geodns/geo_cache.h"
#include "geodns/geo_compile.h"
#include "geodns/geotree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int leaf(const uint8_t prefix[16], unsigned len, uint32_t value, void *ctx)
{
	(void)prefix;
	(void)len;
	*(uint64_t *)ctx += value;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 40 || size > (1u << 20))
		return 0;
	uint8_t *img = malloc(size);
	if (!img)
		return 0;
	memcpy(img, data, size);
	geo_cache_seal(img, size);
	uint64_t key;
	memcpy(&key, img + 16, 8);
	char why[128];
	for (uint32_t n_pops = 1; n_pops <= 5; n_pops += 4) {
		struct geo_core *c = geo_cache_decode(img, size, key, n_pops, 3, why, sizeof(why));
		if (!c)
			continue;
		uint64_t sum = 0;
		uint8_t a[16] = { [10] = 0xff, [11] = 0xff, 81, 2, 69, 160 };
		for (size_t i = 0; i < 64; i++) {
			unsigned s;
			uint32_t d = dtree_lookup(c->tree, a, &s);
			for (unsigned k = 0; k < c->list_len[d]; k++)
				sum += c->lists[c->list_off[d] + k];
			uint32_t id = geotree_lookup(c->loc_tree, a, &s);
			sum += geotree_location(c->loc_tree, id)->asn;
			/* As the decision log's locator reads them. */
			if (c->loc_nearest[id] != GEO_NEAREST_NONE)
				sum += c->loc_nearest[id] + (uint64_t)c->loc_nearest_km[id];
			a[i & 15] ^= data[i % size];
		}
		dtree_walk(c->tree, leaf, &sum);
		geotree_walk(c->loc_tree, leaf, &sum);
		geo_core_destroy(c);
		(void)sum;
	}
	free(img);
	return 0;
}
