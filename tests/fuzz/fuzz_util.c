/*
 * fuzz_util.c: the helpers of fuzz.h, linked into every fuzz target.
 */
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/config.h"
#include "server/modules.h"
#include "common/log.h"

const char *fuzz_data_path(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-input", 0);
		FUZZ_CHECK(fd >= 0, "memfd_create");
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	FUZZ_CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, data, size, 0) == (ssize_t)size,
	           "write the memfd");
	return path;
}

const struct config *fuzz_query_config(void)
{
	static struct config *cfg;
	char err[CONFIG_ERRLEN];
	if (!cfg && config_load("tests/data/fuzz/query.yaml", &cfg, err) != 0) {
		fprintf(stderr, "%s (fuzz targets run from the repository root)\n", err);
		abort();
	}
	return cfg;
}

/* Targets that need nothing more get this one. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_common_init();
	return 0;
}

void fuzz_common_init(void)
{
	log_set_level(LOG_LVL_ERR);
	int fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
}
