/*
 * fuzz_cmp_partial.c: partial files of `steerdns compare --save-partial`
 * (compare/cmp_partial.c) read back as an input through cmp_read_file,
 * with the PoPs and location DB of tests/data/fuzz/query.yaml (those of
 * fuzz_cmp_input). The line kinds are not the target's business: it
 * only reads the file as `compare` does.
 * Input: one file (the seeds are partial files steerdns wrote).
 * Invariants: a refused file says why in one message naming the file;
 * an accepted one builds a report, and its state saved again and read
 * back saves the same bytes (what a partial file says survives one
 * round trip exactly, so merged shards are exact).
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/config.h"
#include "compare/cmp_ctx.h"
#include "compare/cmp_report.h"
#include "geodns/geo_compile.h"
#include "tests/fuzz/fuzz.h"

static char msgs[8192];
static FILE *errf;

/* A file for a saved partial: its own memfd (fuzz_data_path's holds the
 * input), truncated by each save. */
static const char *save_path(int i)
{
	static int fd[2] = { -1, -1 };
	static char path[2][64];
	if (fd[i] < 0) {
		fd[i] = memfd_create("fuzz-partial", 0);
		FUZZ_CHECK(fd[i] >= 0, "memfd_create");
		snprintf(path[i], sizeof(path[i]), "/proc/self/fd/%d", fd[i]);
	}
	return path[i];
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	FUZZ_CHECK(f != NULL, "open %s", path);
	char *buf = NULL;
	size_t cap = 0;
	FILE *m = open_memstream(&buf, &cap);
	FUZZ_CHECK(m != NULL, "open_memstream");
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	*len = cap;
	return buf;
}

/* Read path into a new context; the context, or NULL when it was refused
 * (then the message is checked). */
static struct cmp_ctx *read_one(const char *path)
{
	memset(msgs, 0, sizeof(msgs));
	errf = fmemopen(msgs, sizeof(msgs) - 1, "w");
	FUZZ_CHECK(errf != NULL, "fmemopen");
	const struct config *cfg = fuzz_query_config();   /* loaded once */
	struct cmp_ctx *c = cmp_ctx_new(cfg->geo, cfg->geo_compiled->loc_tree, errf);
	FUZZ_CHECK(c != NULL, "cmp_ctx_new");
	int rc = cmp_read_file(c, path);
	fclose(errf);
	if (rc == 0)
		return c;
	FUZZ_CHECK(rc == -1, "cmp_read_file returned %d", rc);
	FUZZ_CHECK(!strncmp(msgs, path, strlen(path)) && msgs[strlen(path)] == ':',
	           "refused without a message naming the file: '%s'", msgs);
	cmp_ctx_free(c);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	const char *path = fuzz_data_path(data, size);
	struct cmp_ctx *c = read_one(path);
	if (!c)
		return 0;
	struct cmp_report *r = cmp_report_build(c, 1);
	FUZZ_CHECK(r != NULL, "cmp_report_build");
	cmp_report_free(r);
	/* Saved, read back, saved again: the same bytes. A file that is not
	 * a partial (another input format) is saved the same way. */
	char err[256];
	size_t n1, n2;
	FUZZ_CHECK(cmp_save_partial(c, save_path(0), err, sizeof(err)) == 0, "save: %s", err);
	cmp_ctx_free(c);
	c = read_one(save_path(0));
	FUZZ_CHECK(c != NULL, "its own partial file refused: %s", msgs);
	FUZZ_CHECK(cmp_save_partial(c, save_path(1), err, sizeof(err)) == 0, "save: %s", err);
	cmp_ctx_free(c);
	char *s1 = slurp(save_path(0), &n1), *s2 = slurp(save_path(1), &n2);
	FUZZ_CHECK(n1 == n2 && !memcmp(s1, s2, n1), "saved %zu bytes, then %zu", n1, n2);
	free(s1);
	free(s2);
	return 0;
}
