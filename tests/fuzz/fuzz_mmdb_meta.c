/*
 * fuzz_mmdb_meta.c: the metadata pre-check geodb_open runs before
 * MMDB_open() (geodns/mmdb_meta.c), with libmaxminddb as the oracle.
 * Input: a whole .mmdb file.
 * Invariants: a file the check refuses is one MMDB_open() also fails on
 * (the check never refuses a DB libmaxminddb accepts); on a file the
 * check lets through, MMDB_open() must not leak - libFuzzer's leak
 * detection (LeakSanitizer after each input) reports it if it does,
 * which is the libmaxminddb < 1.12 leak the check exists to prevent.
 */
#include "geodns/mmdb_meta.h"

#include <maxminddb.h>

#include "tests/fuzz/fuzz.h"

/* LeakSanitizer's switches, when it is linked in: the oracle call on a
 * refused file is allowed to leak (that is why it is refused). */
__attribute__((weak)) void __lsan_disable(void);
__attribute__((weak)) void __lsan_enable(void);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	const char *path = fuzz_data_path(data, size);
	char err[512];
	int refused = mmdb_meta_check(path, err, sizeof(err)) < 0;
	if (refused && __lsan_disable)
		__lsan_disable();
	MMDB_s m;
	int rc = MMDB_open(path, MMDB_MODE_MMAP, &m);
	if (refused && __lsan_enable)
		__lsan_enable();
	if (rc == MMDB_SUCCESS)
		MMDB_close(&m);
	FUZZ_CHECK(!refused || rc != MMDB_SUCCESS, "refused a DB libmaxminddb opens: %s", err);
	return 0;
}
