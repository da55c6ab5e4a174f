/*
 * mmdb_meta.h: check a MaxMind DB's metadata section before MMDB_open().
 *
 * libmaxminddb up to 1.11 (Debian ships 1.7.1) leaks memory when
 * MMDB_open() fails while reading the metadata's `languages` array or
 * `description` map (MMDB_get_entry_data_list() does not free its pool on
 * a decode error, and populate_languages_metadata() returns without
 * freeing the list when a member is not a string; fixed upstream in
 * 1.12.0). A reload loop on such a file would grow without bound. This
 * check walks those two values with libmaxminddb's own lookup
 * (MMDB_aget_value(), which allocates nothing) on the metadata section,
 * exactly where MMDB_open() would read them, and refuses the file when a
 * member is not a string or does not decode: MMDB_open() would fail on
 * that file anyway, so no DB it accepts is refused.
 */
#ifndef STEERDNS_MMDB_META_H
#define STEERDNS_MMDB_META_H

#include <stddef.h>

/* 0 when path's metadata is safe to give MMDB_open() (or cannot be read
 * at all: MMDB_open() then reports that itself); -1 with
 * "<path>: cannot open: ..." in err when it is not. */
int mmdb_meta_check(const char *path, char *err, size_t errlen);

#endif
