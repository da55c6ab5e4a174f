/*
 * mmdb_record_test_util.h: used by the two suites of the one-pass record
 * reader (test_mmdb_record.c: hand-built data; test_mmdb_record_dbs.c: the
 * test DBs). same() checks the contract everywhere: when the reader
 * answers OK, libmaxminddb answers every path without error and with the
 * same type, value and offset; when libmaxminddb reports an error the
 * reader must have declined (FALLBACK). Tests then assert which of the two
 * they expect, so a reader that always declines fails them.
 */
#ifndef STEERDNS_MMDB_RECORD_TEST_UTIL_H
#define STEERDNS_MMDB_RECORD_TEST_UTIL_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geodns/mmdb_record.h"
#include "tests/unit/mmdb_same_value.h"
#include "tests/unit/geo_test_util.h"

#define MAXP MMDB_RECORD_MAX_PATHS

/* A set of paths given as "a/b/c" strings, split for both readers. */
struct pathset {
	int n;
	char buf[MAXP][128];
	const char *parts[MAXP][MMDB_RECORD_MAX_PARTS + 1];
	struct mmdb_record_paths *rp;
};

__attribute__((unused))
static void pathset_init(struct pathset *ps, const char *const *paths, int n)
{
	memset(ps, 0, sizeof(*ps));
	ps->n = n;
	const char *const *pp[MAXP];
	for (int i = 0; i < n; i++) {
		pp[i] = NULL;
		if (!paths[i])
			continue;
		strcpy(ps->buf[i], paths[i]);
		int k = 0;
		for (char *tok = strtok(ps->buf[i], "/"); tok; tok = strtok(NULL, "/"))
			ps->parts[i][k++] = tok;
		ps->parts[i][k] = NULL;
		pp[i] = ps->parts[i];
	}
	ps->rp = mmdb_record_paths_new(pp, n);
	ck_assert_ptr_nonnull(ps->rp);
}

__attribute__((unused))
static void pathset_free(struct pathset *ps)
{
	mmdb_record_paths_free(ps->rp);
}

/* libmaxminddb on data[0..size) at offset. MMDB_aget_value reads only
 * the handle's data_section and data_section_size, so a bare MMDB_s
 * with those set stands in for an opened file. */
__attribute__((unused))
static int lib_read(const struct pathset *ps, const uint8_t *data, uint32_t size, uint32_t off,
                    MMDB_entry_data_s *out)
{
	MMDB_s fake;
	memset(&fake, 0, sizeof(fake));
	fake.data_section = data;
	fake.data_section_size = size;
	int lib_err = 0;
	for (int i = 0; i < ps->n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if (!ps->parts[i][0])
			continue;
		MMDB_entry_s e = { .mmdb = &fake, .offset = off };
		int rc = MMDB_aget_value(&e, &out[i], ps->parts[i]);
		if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
		    rc == MMDB_INVALID_LOOKUP_PATH_ERROR)
			out[i].has_data = false;
		else if (rc != MMDB_SUCCESS)
			lib_err = 1;
	}
	return lib_err;
}

static int n_ok, n_fallback;

/* Both readers at off; REQUIREs the contract; returns the reader's answer
 * (and libmaxminddb's error flag in *lib_err if not NULL). The reader's
 * values are left in got[]. The reader runs without a memo and, if memo
 * is not NULL, with it (a memo kept across calls on the same data): both
 * must give the same answer. */
__attribute__((unused))
static int same_memo(const struct pathset *ps, struct mmdb_record_memo *memo,
                     const uint8_t *data, uint32_t size, uint32_t off, int *lib_err,
                     MMDB_entry_data_s *got)
{
	MMDB_entry_data_s fast[MAXP], lib[MAXP], memoed[MAXP];
	int rc = mmdb_record_read(ps->rp, NULL, data, size, off, fast);
	if (memo) {
		int rc2 = mmdb_record_read(ps->rp, memo, data, size, off, memoed);
		REQUIRE(rc2 == rc, "offset %u: %d with the memo, %d without", off, rc2, rc);
		for (int i = 0; rc == MMDB_RECORD_OK && i < ps->n; i++)
			REQUIRE(same_value(&fast[i], &memoed[i]), "offset %u path %d: memo differs",
			        off, i);
	}
	int le = lib_read(ps, data, size, off, lib);
	if (lib_err)
		*lib_err = le;
	if (rc == MMDB_RECORD_OK) {
		n_ok++;
		REQUIRE(!le, "offset %u: reader OK where libmaxminddb reports an error", off);
		for (int i = 0; i < ps->n; i++)
			REQUIRE(same_value(&fast[i], &lib[i]),
			        "offset %u path %d: reader %d/type %u, libmaxminddb %d/type %u", off,
			        i, fast[i].has_data, fast[i].type, lib[i].has_data, lib[i].type);
		if (got)
			memcpy(got, fast, sizeof(fast[0]) * (size_t)ps->n);
	} else {
		REQUIRE(rc == MMDB_RECORD_FALLBACK, "rc %d", rc);
		n_fallback++;
	}
	return rc;
}

/* same_memo with a fresh memo (hand-built data changes between calls). */
__attribute__((unused))
static int same(const struct pathset *ps, const uint8_t *data, uint32_t size, uint32_t off,
                int *lib_err, MMDB_entry_data_s *got)
{
	struct mmdb_record_memo *m = mmdb_record_memo_new();
	ck_assert_ptr_nonnull(m);
	int rc = same_memo(ps, m, data, size, off, lib_err, got);
	/* Twice: the second read may come from the memo. */
	REQUIRE(same_memo(ps, m, data, size, off, NULL, NULL) == rc, "offset %u", off);
	mmdb_record_memo_free(m);
	return rc;
}

#endif
