/*
 * fuzz_config.c: the YAML config loader (common/config.c and the
 * geoip/pops/anycast/ab/decision_log sections it hands on), with the
 * compile step it runs.
 * Input: a main config file. It is written as c.yaml into a private
 * directory that also holds zones/ (the repository's config/zones) and
 * mmdb/ (tests/data/mmdb), so the seeds taken from config/ load their
 * zones and the MaxMind test DBs.
 * Invariants: success gives a config that frees cleanly; failure gives
 * one message that starts with a file name ("file:line:col: message" or
 * "file: ..."), ends within CONFIG_ERRLEN and has no newline.
 */
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "server/modules.h"
#include "tests/fuzz/fuzz.h"

static char dir[64], file[96];

static void cleanup(void)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/zones", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/mmdb", dir);
	unlink(p);
	unlink(file);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_common_init();
	char cwd[PATH_MAX], src[PATH_MAX + 32], p[128];
	snprintf(dir, sizeof(dir), "/tmp/steerdns-fuzz-config-XXXXXX");
	if (!getcwd(cwd, sizeof(cwd)) || !mkdtemp(dir))
		abort();
	atexit(cleanup);
	snprintf(src, sizeof(src), "%s/config/zones", cwd);
	snprintf(p, sizeof(p), "%s/zones", dir);
	if (symlink(src, p) != 0)
		abort();
	snprintf(src, sizeof(src), "%s/tests/data/mmdb", cwd);
	snprintf(p, sizeof(p), "%s/mmdb", dir);
	if (symlink(src, p) != 0)
		abort();
	snprintf(file, sizeof(file), "%s/c.yaml", dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	FILE *f = fopen(file, "wb");
	FUZZ_CHECK(f != NULL, "cannot write %s", file);
	FUZZ_CHECK(fwrite(data, 1, size, f) == size && fclose(f) == 0, "write %s", file);
	struct config *cfg = NULL;
	char err[CONFIG_ERRLEN];
	memset(err, 0x55, sizeof(err));
	if (config_load(file, &cfg, err) == 0) {
		FUZZ_CHECK(cfg != NULL, "success without a config");
		config_free(cfg);
		return 0;
	}
	size_t len = strnlen(err, sizeof(err));
	FUZZ_CHECK(len > 0 && len < sizeof(err), "error message of length %zu", len);
	/* The main file, a zone or a DB it names: "path:...". */
	FUZZ_CHECK(strchr(err, ':') != NULL && err[0] != ':', "error without a file: %s", err);
	FUZZ_CHECK(!strchr(err, '\n'), "newline in the error: %s", err);
	return 0;
}
