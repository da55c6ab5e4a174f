/*
 * mmdb_meta.c: the metadata pre-check of mmdb_meta.h. The metadata
 * section is found as libmaxminddb's find_metadata() finds it: after the
 * last "\xab\xcd\xefMaxMind.com" marker in the file's last 128 KiB.
 */
#include "geodns/mmdb_meta.h"

#include <fcntl.h>
#include <maxminddb.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errmsg.h"

#define META_MARKER "\xab\xcd\xefMaxMind.com"
#define META_MARKER_LEN (sizeof(META_MARKER) - 1)
#define META_SEARCH_MAX 131072u /* libmaxminddb's METADATA_BLOCK_MAX_SIZE */

/* The metadata section of file[0..size), or NULL without a marker. */
static const uint8_t *find_meta(const uint8_t *file, size_t size, size_t *len)
{
	size_t span = size > META_SEARCH_MAX ? META_SEARCH_MAX : size;
	const uint8_t *p = file + size - span, *found = NULL;
	for (;;) {
		const uint8_t *m = memmem(p, (size_t)(file + size - p), META_MARKER, META_MARKER_LEN);
		if (!m)
			break;
		found = m + META_MARKER_LEN;
		p = found;
	}
	if (found)
		*len = (size_t)(file + size - found);
	return found;
}

/* n consecutive items from *off, each decoded as MMDB_get_entry_data_list()
 * decodes a member (following a pointer), must be strings; *off moves
 * past them. Each item takes at least one byte, so n is bounded by the
 * section's size first. */
static int all_strings(MMDB_s *meta, uint32_t *off, uint64_t n)
{
	if (n > meta->data_section_size)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		MMDB_entry_s e = { .mmdb = meta, .offset = *off };
		MMDB_entry_data_s d;
		static const char *const none[] = { NULL };
		if (MMDB_aget_value(&e, &d, none) != MMDB_SUCCESS ||
		    d.type != MMDB_DATA_TYPE_UTF8_STRING)
			return -1;
		*off = d.offset_to_next;
	}
	return 0;
}

/* The value at key in the metadata map, if it has the type MMDB_open()
 * reads it as: its entries must all be strings. Absent, or of another
 * type: fine here (MMDB_open() fails on it without leaking). */
static int container_ok(MMDB_s *meta, const char *key, uint32_t type)
{
	MMDB_entry_s top = { .mmdb = meta, .offset = 0 };
	MMDB_entry_data_s d;
	const char *const path[] = { key, NULL };
	if (MMDB_aget_value(&top, &d, path) != MMDB_SUCCESS || d.type != type)
		return 0;
	/* The entries start at offset_to_next (for a pointed-to container,
	 * libmaxminddb leaves it at the target's first entry). */
	uint32_t off = d.offset_to_next;
	uint64_t items = type == MMDB_DATA_TYPE_MAP ? 2 * (uint64_t)d.data_size : d.data_size;
	return all_strings(meta, &off, items);
}

int mmdb_meta_check(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	void *map = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && S_ISREG(st.st_mode))
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 0;
	size_t len = 0;
	const uint8_t *sec = find_meta(map, (size_t)st.st_size, &len);
	int rc = 0;
	if (sec) {
		MMDB_s meta;
		memset(&meta, 0, sizeof(meta));
		meta.data_section = sec;
		meta.data_section_size = (uint32_t)len;
		if (container_ok(&meta, "languages", MMDB_DATA_TYPE_ARRAY) < 0 ||
		    container_ok(&meta, "description", MMDB_DATA_TYPE_MAP) < 0) {
			errmsg_set(err, errlen,
			           "%s: cannot open: corrupt metadata (a languages or description "
			           "entry is not a string)",
			           path);
			rc = -1;
		}
	}
	munmap(map, (size_t)st.st_size);
	return rc;
}
