/*
 * geo_test_util.h: helpers used by test_geodb.c and test_geotree*.c:
 * where MaxMind's test databases are, generating the flat-schema DBs with
 * tests/unit/gen/flat_mmdb.pl, address parsing, a seeded PRNG and
 * REQUIRE() for assertions in hot loops.
 */
#ifndef STEERDNS_GEO_TEST_UTIL_H
#define STEERDNS_GEO_TEST_UTIL_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

/* For hot loops: Check's ck_assert reports every passing assertion to the
 * parent process in fork mode (a write per call); this only on failure. */
#define REQUIRE(cond, ...)                               \
	do {                                             \
		if (!(cond))                             \
			ck_abort_msg(__VA_ARGS__);       \
	} while (0)

/* MaxMind's test DBs: $STEERDNS_MMDB_DIR, else tests/data/mmdb in the
 * repository (relative: `make unit` runs the suites from the repo root). */
__attribute__((unused)) static const char *mmdb_dir(void)
{
	const char *e = getenv("STEERDNS_MMDB_DIR");
	if (e && *e)
		return e;
	return "tests/data/mmdb";
}

/* dir/name in a rotating static buffer (several may be live at once). */
__attribute__((unused)) static const char *tpath(const char *dir, const char *name)
{
	static char bufs[8][1024];
	static int i;
	char *b = bufs[i++ & 7];
	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

#define MMDB(name) tpath(mmdb_dir(), (name))

/* Generated flat DBs live here (set by gen_flat_dbs, "" if skipped). */
static char flat_dir[64];
static const char *flat_skip_reason;

/* Run tests/unit/gen/flat_mmdb.pl into a fresh temp dir. On a missing Perl
 * module leaves flat_dir empty and sets flat_skip_reason (printed once);
 * any other failure aborts: the generator itself is under test. */
__attribute__((unused)) static void gen_flat_dbs(void)
{
	strcpy(flat_dir, "/tmp/steerdns-geo-XXXXXX");
	if (!mkdtemp(flat_dir)) {
		perror("mkdtemp");
		exit(1);
	}
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "perl tests/unit/gen/flat_mmdb.pl %s", flat_dir);
	int rc = system(cmd);
	if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 2) {
		flat_skip_reason = "SKIP flat-schema tests: perl MaxMind::DB::Writer missing "
		                   "(apt-get install libmaxmind-db-writer-perl)";
		fprintf(stderr, "%s\n", flat_skip_reason);
		rmdir(flat_dir);
		flat_dir[0] = 0;
		return;
	}
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
		fprintf(stderr, "%s failed (%d)\n", cmd, rc);
		exit(1);
	}
}

__attribute__((unused)) static void rm_flat_dbs(void)
{
	static const char *const names[] = { "flat-v6.mmdb", "flat-v4.mmdb", "flat-v6only.mmdb",
		                             "flat-noalias.mmdb", "big.mmdb" };
	if (!flat_dir[0])
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tpath(flat_dir, names[i]));
	rmdir(flat_dir);
}

/* "1.2.3.4" -> ::ffff:1.2.3.4; anything with ':' as IPv6. Aborts on junk. */
__attribute__((unused)) static void addr16(const char *s, uint8_t a[16])
{
	memset(a, 0, 16);
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a) != 1)
			abort();
		return;
	}
	a[10] = a[11] = 0xff;
	if (inet_pton(AF_INET, s, a + 12) != 1)
		abort();
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

__attribute__((unused)) static uint64_t rng(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* A random address under prefix/len (bits past len random). */
__attribute__((unused)) static void random_under(const uint8_t prefix[16], unsigned len,
                                                 uint8_t out[16])
{
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)rng();
	for (unsigned b = 0; b < len; b++) {
		uint8_t m = (uint8_t)(0x80u >> (b & 7));
		out[b >> 3] = (uint8_t)((out[b >> 3] & ~m) | (prefix[b >> 3] & m));
	}
}

#endif
