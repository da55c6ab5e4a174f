/*
 * fuzz_zone.c: the YAML zone loader (common/zone_yaml.c, the record data
 * parsers in common/rdata_text.c, zone_finish in common/zone.c), with
 * steering checked against tests/data/fuzz/query.yaml (GeoDNS).
 * Input: one zone file.
 * Invariants: success gives a zone that frees cleanly; failure gives one
 * message that starts with the file's name, ends within CONFIG_ERRLEN and
 * has no newline.
 */
#include <string.h>

#include "common/config.h"
#include "common/zone_yaml.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	const char *path = fuzz_data_path(data, size);
	/* Steering checked against the GeoDNS config of the query target. */
	const struct zone_steer_caps caps = { .cfg = fuzz_query_config(),
		                              .server_mode = STEER_MODE_GEODNS };
	struct zone *z = NULL;
	char err[CONFIG_ERRLEN];
	memset(err, 0x55, sizeof(err));
	int rc = zone_yaml_load_caps(path, &caps, &z, err, sizeof(err), NULL);
	if (rc == 0) {
		FUZZ_CHECK(z != NULL, "success without a zone");
		zone_free(z);
		return 0;
	}
	size_t len = strnlen(err, sizeof(err));
	FUZZ_CHECK(len > 0 && len < sizeof(err), "error message of length %zu", len);
	FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':',
	           "error without the file: %s", err);
	FUZZ_CHECK(!strchr(err, '\n'), "newline in the error: %s", err);
	return 0;
}
