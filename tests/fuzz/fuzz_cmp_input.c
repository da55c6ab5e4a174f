/*
 * fuzz_cmp_input.c: `steerdns compare`'s input readers (compare/cmp_input.c
 * and the probe, decision log, RIPE Atlas and RTT CSV readers behind it)
 * and the report built from what they read, with the PoPs and location DB
 * of tests/data/fuzz/query.yaml.
 * Input: one input file (JSON lines, a JSON array or CSV).
 * Invariants: reading a file that exists never fails for its content
 * except "no known format"; every malformed and skipped line was a line
 * seen (a JSON array: one more, where reading stopped); the report
 * builds.
 */
#include <string.h>

#include "common/config.h"
#include "compare/cmp_ctx.h"
#include "compare/cmp_report.h"
#include "geodns/geo_compile.h"
#include "tests/fuzz/fuzz.h"

static const struct config *cfg;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_common_init();
	cfg = fuzz_query_config();
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	const char *path = fuzz_data_path(data, size);
	struct cmp_ctx *c = cmp_ctx_new(cfg->geo, cfg->geo_compiled->loc_tree, devnull);
	FUZZ_CHECK(c != NULL, "cmp_ctx_new");
	int rc = cmp_read_file(c, path);
	/* A partial file (compare --save-partial) brings its own file
	 * entries, counts as saved; the checks are for a file read here. */
	const struct cmp_file *f = c->n_files ? &c->files[c->n_files - 1] : NULL;
	if (f && strcmp(f->path, path) == 0) {
		FUZZ_CHECK(rc == 0 || f->records == 0, "failed after %zu records", f->records);
		/* A JSON array's elements are its lines; reading stops at the
		 * first element or separator that does not parse, counted
		 * malformed but not as an element. */
		size_t ws = 0;
		while (ws < size && (data[ws] == ' ' || (data[ws] >= '\t' && data[ws] <= '\r')))
			ws++;
		size_t extra = ws < size && data[ws] == '[' ? 1 : 0;
		FUZZ_CHECK(f->malformed + f->skipped <= f->lines + extra,
		           "%zu malformed + %zu skipped of %zu lines", f->malformed, f->skipped,
		           f->lines);
	}
	struct cmp_report *r = cmp_report_build(c, 1);
	FUZZ_CHECK(r != NULL, "cmp_report_build");
	cmp_report_free(r);
	cmp_ctx_free(c);
	return 0;
}
