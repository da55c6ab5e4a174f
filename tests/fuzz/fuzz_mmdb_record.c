/*
 * fuzz_mmdb_record.c: the one-pass MaxMind DB record reader
 * (geodns/mmdb_record.c) against libmaxminddb's MMDB_aget_value() as the
 * oracle, the contract geodns/mmdb_record.h states.
 * Input (the layout of the earlier campaign's findings, so they replay):
 * bytes 0-3 a big-endian record offset, taken modulo the length of the
 * rest; bytes 4.. a data section.
 * Invariants: when the reader answers OK, libmaxminddb answers every path
 * without error and with the same type, offset and value; with a memo
 * (read twice, so the second may come from it) the answer is the same.
 */
#include <string.h>

#include "geodns/mmdb_record.h"
#include "tests/fuzz/fuzz.h"
#include "tests/unit/mmdb_same_value.h"

/* The paths GeoDNS reads with each preset, plus array, deep and
 * container paths. */
static const char *const path_text[] = {
	"location/latitude", "location/longitude", "country/iso_code", "continent/code",
	"subdivisions/0/iso_code", "autonomous_system_number", "latitude", "longitude",
	"country_code", "subdivisions/1/iso_code", "names/en", "city/names/en", "a/b/c/d",
	"location",
};
#define NPATHS (int)(sizeof(path_text) / sizeof(path_text[0]))

static char part_buf[NPATHS][64];
static const char *parts[NPATHS][MMDB_RECORD_MAX_PARTS + 1];
static struct mmdb_record_paths *rp;
static struct mmdb_record_memo *memo;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *const *pp[NPATHS];
	for (int i = 0; i < NPATHS; i++) {
		snprintf(part_buf[i], sizeof(part_buf[i]), "%s", path_text[i]);
		int k = 0;
		for (char *save, *t = strtok_r(part_buf[i], "/", &save); t;
		     t = strtok_r(NULL, "/", &save))
			parts[i][k++] = t;
		parts[i][k] = NULL;
		pp[i] = parts[i];
	}
	rp = mmdb_record_paths_new(pp, NPATHS);
	memo = mmdb_record_memo_new();
	if (!rp || !memo)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5 || size - 4 > (1u << 20))
		return 0;
	const uint8_t *ds = data + 4;
	uint32_t n = (uint32_t)(size - 4);
	uint32_t off = ((uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
	                (uint32_t)data[2] << 8 | data[3]) % n;

	MMDB_entry_data_s fast[NPATHS], memoed[NPATHS], lib[NPATHS];
	int rc = mmdb_record_read(rp, NULL, ds, n, off, fast);
	FUZZ_CHECK(rc == MMDB_RECORD_OK || rc == MMDB_RECORD_FALLBACK, "rc %d", rc);
	/* The memo is for one data section: empty it for each input (its
	 * size is the library's; clearing beats a calloc under ASan), then
	 * read twice (the second read may come from it). */
	mmdb_record_memo_clear(memo);
	for (int round = 0; round < 2; round++) {
		int rc2 = mmdb_record_read(rp, memo, ds, n, off, memoed);
		FUZZ_CHECK(rc2 == rc, "round %d: %d with the memo, %d without", round, rc2, rc);
		for (int i = 0; rc == MMDB_RECORD_OK && i < NPATHS; i++)
			FUZZ_CHECK(same_value(&fast[i], &memoed[i]), "path %s: memo differs",
			           path_text[i]);
	}

	/* libmaxminddb reads only data_section and data_section_size of the
	 * handle, so a bare MMDB_s with those stands in for an opened DB. */
	MMDB_s fake;
	memset(&fake, 0, sizeof(fake));
	fake.data_section = ds;
	fake.data_section_size = n;
	int lib_err = 0, first_err = -1;
	for (int i = 0; i < NPATHS; i++) {
		memset(&lib[i], 0, sizeof(lib[i]));
		MMDB_entry_s e = { .mmdb = &fake, .offset = off };
		int lrc = MMDB_aget_value(&e, &lib[i], parts[i]);
		if (lrc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
		    lrc == MMDB_INVALID_LOOKUP_PATH_ERROR) {
			lib[i].has_data = false;
		} else if (lrc != MMDB_SUCCESS) {
			lib_err = lrc;
			if (first_err < 0)
				first_err = i;
		}
	}
	if (rc != MMDB_RECORD_OK)
		return 0;
	FUZZ_CHECK(!lib_err, "offset %u: reader OK, libmaxminddb error %d (%s) on path %s", off,
	           lib_err, MMDB_strerror(lib_err), first_err >= 0 ? path_text[first_err] : "");
	for (int i = 0; i < NPATHS; i++)
		FUZZ_CHECK(same_value(&fast[i], &lib[i]),
		           "offset %u path %s: reader %d/type %u/offset %u, libmaxminddb %d/type "
		           "%u/offset %u",
		           off, path_text[i], fast[i].has_data, fast[i].type, fast[i].offset,
		           lib[i].has_data, lib[i].type, lib[i].offset);
	return 0;
}
