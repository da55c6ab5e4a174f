/*
 * geotree_test_util.h: helpers used by test_geotree.c and
 * test_geotree_tables.c: building a geotree from open DBs (kept open for
 * cross-checks), MaxMind's four test DBs by name, and NEED_FLAT() to skip a
 * test when the generated flat DBs are unavailable. Every function is
 * static: each test file is its own binary.
 */
#ifndef STEERDNS_GEOTREE_TEST_UTIL_H
#define STEERDNS_GEOTREE_TEST_UTIL_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "geodns/geodb.h"
#include "geodns/geotree.h"
#include "tests/unit/geo_test_util.h"

__attribute__((unused)) static char err[GEODB_ERRLEN];

/* Open paths[0..n-1] and build one tree. DBs stay open in dbs[] for
 * cross-checks; close_all() frees both. */
struct built {
	struct geodb *dbs[4];
	size_t n;
	struct geotree *t;
};

__attribute__((unused)) static void build(struct built *b, const char *const *paths,
                                           size_t n, const struct geodb_fields *f)
{
	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < n; i++) {
		b->dbs[i] = geodb_open(paths[i], f, err, sizeof(err));
		ck_assert_msg(b->dbs[i] != NULL, "%s", err);
	}
	b->n = n;
	b->t = geotree_build(b->dbs, n, err, sizeof(err));
	ck_assert_msg(b->t != NULL, "%s", err);
}

__attribute__((unused)) static void build1(struct built *b, const char *path,
                                            const struct geodb_fields *f)
{
	build(b, &path, 1, f);
}

__attribute__((unused)) static void close_all(struct built *b)
{
	geotree_free(b->t);
	for (size_t i = 0; i < b->n; i++)
		geodb_close(b->dbs[i]);
}

/* MaxMind's four test DBs, indexed by a loop test's _i. */
__attribute__((unused)) static const char *const maxmind_dbs[] = {
	"GeoIP2-City-Test.mmdb", "GeoLite2-City-Test.mmdb", "GeoIP2-Country-Test.mmdb",
	"GeoLite2-Country-Test.mmdb"
};

#define NEED_FLAT()                                        \
	do {                                               \
		if (!flat_dir[0]) {                        \
			printf("%s\n", flat_skip_reason); \
			return;                            \
		}                                          \
	} while (0)

#endif
