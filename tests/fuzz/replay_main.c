/*
 * replay_main.c: main() for a fuzz target without libFuzzer. Feeds
 * LLVMFuzzerTestOneInput every file named on the command line, and every
 * file in every directory named, once each, so `make check` replays the
 * committed corpora and regression inputs under ASan + UBSan with any
 * compiler. Prints how many inputs ran; a crash aborts with the file name
 * printed just before.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	/* As libFuzzer does: an exact-size heap copy, so a read past the
	 * end is caught. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	if (len)
		memcpy(exact, buf, len);
	free(buf);
	fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	unsigned ran = 0;
	int fail = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			fail = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			fail |= run_file(argv[i]) != 0;
			ran++;
			continue;
		}
		struct dirent **ents;
		int n = scandir(argv[i], &ents, NULL, alphasort);
		if (n < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			fail = 1;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", argv[i], ents[k]->d_name);
			struct stat fs;
			if (ents[k]->d_name[0] != '.' && stat(p, &fs) == 0 && S_ISREG(fs.st_mode)) {
				fail |= run_file(p) != 0;
				ran++;
			}
			free(ents[k]);
		}
		free(ents);
	}
	printf("%s: %u inputs replayed%s\n", argv[0], ran, fail ? ", some unreadable" : "");
	return fail;
}
