/*
 * fuzz_zone_rfc1035.c: libFuzzer target for the master-file loader
 * (common/zone_rfc1035.c over libzscanner): arbitrary bytes as a master
 * file for the zone "fuzz.test.", then the zone checks (zone_finish).
 * $INCLUDE is refused for text in memory, so the input cannot open files.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *     tests/fuzz/fuzz_zone_rfc1035.c common/zone_rfc1035.c common/zone.c \
 *     common/dname.c common/arena.c common/errmsg.c common/dnssec_zone.c \
 *     $(pkg-config --cflags --libs libzscanner libknot libdnssec) -D_GNU_SOURCE \
 *     -o fuzz_zone_rfc1035
 *   ./fuzz_zone_rfc1035 tests/data/zones/
 */
#include <stddef.h>
#include <stdint.h>

#include "common/zone.h"
#include "common/zone_rfc1035.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t origin[] = "\4fuzz\4test";
	char err[512];
	struct zone *z = zone_new(origin, "fuzz");
	if (!z)
		return 0;
	if (zone_rfc1035_add_text(z, "fuzz", (const char *)data, size, err, sizeof(err)) == 0)
		(void)zone_finish(z, err, sizeof(err));
	zone_free(z);
	return 0;
}
