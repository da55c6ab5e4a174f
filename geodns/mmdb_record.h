/*
 * mmdb_record.h: read the values at a fixed set of field paths out of one
 * MaxMind DB data-section record in a single pass.
 *
 * libmaxminddb's MMDB_aget_value() walks a record's top-level map from its
 * start again for every path; a City record has five paths of interest.
 * This reader walks each map on the configured paths once, follows
 * pointers only along those paths, and steps over every other value by
 * its encoded size. It is written to the MaxMind DB format spec (control
 * byte, extended types, size and pointer encodings) and answers exactly
 * what MMDB_aget_value() answers, or declines:
 *
 *   - it returns MMDB_RECORD_OK only when MMDB_aget_value() would succeed
 *     for every path with the same value (it checks at least everything
 *     libmaxminddb checks on the bytes libmaxminddb reads);
 *   - anything else (data libmaxminddb rejects, data past the data
 *     section, nesting deeper than it bothers with, a type or path form it
 *     does not handle) gives MMDB_RECORD_FALLBACK, and the caller asks
 *     libmaxminddb, which decides and reports the error.
 *
 * Every read is bounds-checked against the data section it is given, and
 * pointers are followed only along the (finite) paths, so corrupt data
 * cannot make it read out of bounds or loop.
 */
#ifndef STEERDNS_MMDB_RECORD_H
#define STEERDNS_MMDB_RECORD_H

#include <maxminddb.h>
#include <stdint.h>

/* Limits on what mmdb_record_paths_new() takes. */
#define MMDB_RECORD_MAX_PATHS 16
#define MMDB_RECORD_MAX_PARTS 8

enum { MMDB_RECORD_OK = 0, MMDB_RECORD_FALLBACK = -1 };

struct mmdb_record_paths;

/* Compile n (<= MMDB_RECORD_MAX_PATHS) paths into the reader's form.
 * paths[i] is a NULL-terminated array of 1..MMDB_RECORD_MAX_PARTS
 * components, each a map key or (if it reads as a decimal number) an
 * array index, as MMDB_aget_value() takes them; NULL means path i is not
 * configured (never has data). Components are copied. Returns NULL if
 * out of memory or over a limit. Caller owns the result:
 * mmdb_record_paths_free(). */
struct mmdb_record_paths *mmdb_record_paths_new(const char *const *const *paths, int n);

/* Free; NULL is fine. */
void mmdb_record_paths_free(struct mmdb_record_paths *p);

/* Memo of shared (pointed-to) sub-maps and arrays already walked, for
 * one data section and one mmdb_record_paths: MaxMind DBs point every
 * record of a country to one country map, every network of a city to one
 * location map. About 0.8 MB (calloc'd; pages are touched as used).
 * NULL if out of memory. Not thread-safe: one reader at a time. */
struct mmdb_record_memo *mmdb_record_memo_new(void);

/* Free; NULL is fine. */
void mmdb_record_memo_free(struct mmdb_record_memo *m);

/* Forget everything, so m can serve other data (or paths). */
void mmdb_record_memo_clear(struct mmdb_record_memo *m);

/* Read the record at data section offset `offset` of data[0..size) (the
 * DB's data section, e.g. MMDB_s.data_section / data_section_size). memo
 * (may be NULL) must only ever have been used with this same data and
 * paths; the answer is the same with or without it. On
 * MMDB_RECORD_OK, out[i] (one per compiled path) is what MMDB_aget_value()
 * gives for path i: has_data false when the path is absent or does not
 * fit the data's shape, else type and value (type, value and, for
 * strings, bytes, maps and arrays, data_size; strings point into data).
 * On MMDB_RECORD_FALLBACK out[] is unspecified. Reads only data; no
 * allocation; writes only out[] and memo. */
int mmdb_record_read(const struct mmdb_record_paths *p, struct mmdb_record_memo *memo,
                     const uint8_t *data, uint32_t size, uint32_t offset, MMDB_entry_data_s *out);

#endif
