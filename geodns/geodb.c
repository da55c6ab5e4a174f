/*
 * geodb.c: open a .mmdb with libmaxminddb, and decode one record into a
 * struct geo_location through the configured field paths (one pass over
 * the record with mmdb_record.c; libmaxminddb for what that declines).
 */
#include "common/errmsg.h"
#include "geodns/geodb.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>

#include "geodns/iso3166.h"
#include "geodns/mmdb_meta.h"
#include "geodns/mmdb_record.h"

const struct geodb_fields geodb_preset_maxmind = {
	.latitude = "location/latitude",
	.longitude = "location/longitude",
	.country = "country/iso_code",
	.continent = "continent/code",
	.subdivision = "subdivisions/0/iso_code",
};

const struct geodb_fields geodb_preset_flat = {
	.latitude = "latitude",
	.longitude = "longitude",
	.country = "country_code",
	.continent = NULL,
	.subdivision = NULL,
};

const struct geodb_fields geodb_preset_asn = {
	.asn = "autonomous_system_number",
};

const struct geodb_fields *geodb_preset(const char *name)
{
	if (!name)
		return NULL;
	if (strcmp(name, "maxmind") == 0)
		return &geodb_preset_maxmind;
	if (strcmp(name, "flat") == 0)
		return &geodb_preset_flat;
	if (strcmp(name, "asn") == 0)
		return &geodb_preset_asn;
	return NULL;
}

enum { F_LAT, F_LON, F_COUNTRY, F_CONTINENT, F_SUBDIV, F_ASN, F_COUNT };

#define MAX_PATH_PARTS 8

/* One parsed path: parts point into buf; NULL-terminated as MMDB_aget_value
 * wants. nparts == 0 means the field is not configured. */
struct field_path {
	char *buf;
	const char *parts[MAX_PATH_PARTS + 1];
	int nparts;
};

struct geodb {
	MMDB_s mmdb;
	char *path;
	struct field_path f[F_COUNT];
	struct mmdb_record_paths *fast; /* the same paths, for the one-pass reader */
	struct mmdb_record_memo *memo;  /* its memo of shared sub-maps */
};


/* Split "a/b/0/c" into parts. Empty components and over-long paths are
 * configuration errors, reported rather than silently never matching. */
static int parse_path(struct field_path *fp, const char *s)
{
	fp->nparts = 0;
	fp->buf = NULL;
	if (!s || !*s)
		return 0;
	fp->buf = strdup(s);
	if (!fp->buf)
		return -1;
	char *p = fp->buf;
	for (;;) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = 0;
		if (!*p || fp->nparts == MAX_PATH_PARTS)
			return -1;
		fp->parts[fp->nparts++] = p;
		if (!slash)
			break;
		p = slash + 1;
	}
	fp->parts[fp->nparts] = NULL;
	return 0;
}

struct geodb *geodb_open(const char *path, const struct geodb_fields *fields, char *err,
                         size_t errlen)
{
	struct geodb *db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(path))) {
		errmsg_set(err, errlen, "%s: out of memory", path);
		free(db);
		return NULL;
	}
	const char *src[F_COUNT] = { fields->latitude, fields->longitude, fields->country,
		                     fields->continent, fields->subdivision, fields->asn };
	static const char *const names[F_COUNT] = { "latitude", "longitude", "country",
		                                    "continent", "subdivision", "asn" };
	for (int i = 0; i < F_COUNT; i++) {
		if (parse_path(&db->f[i], src[i]) < 0) {
			errmsg_set(err, errlen, "%s: bad %s field path \"%s\"", path, names[i], src[i]);
			goto fail_paths;
		}
	}
	const char *const *parts[F_COUNT];
	for (int i = 0; i < F_COUNT; i++)
		parts[i] = db->f[i].nparts ? db->f[i].parts : NULL;
	db->fast = mmdb_record_paths_new(parts, F_COUNT);
	db->memo = mmdb_record_memo_new();
	if (!db->fast || !db->memo) {
		errmsg_set(err, errlen, "%s: out of memory", path);
		goto fail_paths;
	}
	/* A file whose metadata MMDB_open() would fail on with a leak
	 * (libmaxminddb < 1.12) is refused first: see mmdb_meta.h. */
	if (mmdb_meta_check(path, err, errlen) < 0)
		goto fail_paths;
	int rc = MMDB_open(path, MMDB_MODE_MMAP, &db->mmdb);
	if (rc != MMDB_SUCCESS) {
		if (rc == MMDB_IO_ERROR || rc == MMDB_FILE_OPEN_ERROR)
			errmsg_set(err, errlen, "%s: cannot open: %s (%s)", path, MMDB_strerror(rc),
			       strerror(errno));
		else
			errmsg_set(err, errlen, "%s: cannot open: %s", path, MMDB_strerror(rc));
		goto fail_paths;
	}
	if (db->mmdb.metadata.ip_version != 4 && db->mmdb.metadata.ip_version != 6) {
		errmsg_set(err, errlen, "%s: unsupported ip_version %u", path,
		       (unsigned)db->mmdb.metadata.ip_version);
		MMDB_close(&db->mmdb);
		goto fail_paths;
	}
	return db;

fail_paths:
	mmdb_record_paths_free(db->fast);
	mmdb_record_memo_free(db->memo);
	for (int i = 0; i < F_COUNT; i++)
		free(db->f[i].buf);
	free(db->path);
	free(db);
	return NULL;
}

void geodb_close(struct geodb *db)
{
	if (!db)
		return;
	MMDB_close(&db->mmdb);
	mmdb_record_paths_free(db->fast);
	mmdb_record_memo_free(db->memo);
	for (int i = 0; i < F_COUNT; i++)
		free(db->f[i].buf);
	free(db->path);
	free(db);
}

const char *geodb_path(const struct geodb *db)
{
	return db->path;
}

const MMDB_s *geodb_mmdb(const struct geodb *db)
{
	return &db->mmdb;
}

void geodb_drop_pages(const struct geodb *db, size_t from, size_t to)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = (size_t)db->mmdb.file_size;
	/* The mapping (from mmap) is page-aligned and covers the last,
	 * partial page too. */
	if (to >= size)
		to = (size + page - 1) & ~(page - 1);
	else
		to &= ~(page - 1);
	from &= ~(page - 1);
	if (from < to)
		madvise((void *)((uintptr_t)db->mmdb.file_content + from), to - from, MADV_DONTNEED);
}

/* Fetch one field. Returns 1 with *ed filled, 0 if absent (including a
 * path that does not fit the data's shape, e.g. an index into a map), -1
 * on corrupt data. */
static int get_field(const struct geodb *db, const struct field_path *fp, MMDB_entry_s *entry,
                     MMDB_entry_data_s *ed, char *err, size_t errlen)
{
	if (fp->nparts == 0)
		return 0;
	int rc = MMDB_aget_value(entry, ed, fp->parts);
	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR || rc == MMDB_INVALID_LOOKUP_PATH_ERROR)
		return 0;
	if (rc != MMDB_SUCCESS) {
		errmsg_set(err, errlen, "%s: data at offset %u: %s", db->path, (unsigned)entry->offset,
		       MMDB_strerror(rc));
		return -1;
	}
	return ed->has_data ? 1 : 0;
}

/* A number from a double, float, integer or numeric string (some flat
 * converters store coordinates as text). */
static int as_number(const MMDB_entry_data_s *ed, double *out)
{
	switch (ed->type) {
	case MMDB_DATA_TYPE_DOUBLE: *out = ed->double_value; return 1;
	case MMDB_DATA_TYPE_FLOAT: *out = ed->float_value; return 1;
	case MMDB_DATA_TYPE_INT32: *out = ed->int32; return 1;
	case MMDB_DATA_TYPE_UINT16: *out = ed->uint16; return 1;
	case MMDB_DATA_TYPE_UINT32: *out = ed->uint32; return 1;
	case MMDB_DATA_TYPE_UTF8_STRING: {
		char buf[64];
		if (ed->data_size == 0 || ed->data_size >= sizeof(buf))
			return 0;
		memcpy(buf, ed->utf8_string, ed->data_size);
		buf[ed->data_size] = 0;
		char *end;
		double v = strtod(buf, &end);
		if (*end)
			return 0;
		*out = v;
		return 1;
	}
	default: return 0;
	}
}

/* An ASN: an unsigned integer type (MaxMind writes uint32) or a
 * non-negative int32, within 1..2^32-1; 0 (unknown) otherwise. */
static uint32_t as_asn(const MMDB_entry_data_s *ed)
{
	switch (ed->type) {
	case MMDB_DATA_TYPE_UINT16: return ed->uint16;
	case MMDB_DATA_TYPE_UINT32: return ed->uint32;
	case MMDB_DATA_TYPE_INT32: return ed->int32 > 0 ? (uint32_t)ed->int32 : 0;
	case MMDB_DATA_TYPE_UINT64: return ed->uint64 <= UINT32_MAX ? (uint32_t)ed->uint64 : 0;
	default: return 0;
	}
}

/* Copy a short code string, upper-cased, if it has 1..maxlen characters
 * of [A-Za-z0-9-]; otherwise leave dst empty. */
static void as_code(const MMDB_entry_data_s *ed, char *dst, size_t maxlen)
{
	dst[0] = 0;
	if (ed->type != MMDB_DATA_TYPE_UTF8_STRING || ed->data_size == 0 || ed->data_size > maxlen)
		return;
	for (uint32_t i = 0; i < ed->data_size; i++) {
		char c = ed->utf8_string[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return;
		dst[i] = c;
	}
	dst[ed->data_size] = 0;
}

/* Every field of the record at entry into v[F_COUNT] (has_data false
 * when absent). The one-pass reader answers what MMDB_aget_value() would;
 * whatever it declines (corrupt data above all) goes to libmaxminddb
 * path by path, as before, so results and error messages are the same
 * either way. */
static int get_fields(const struct geodb *db, MMDB_entry_s *entry, MMDB_entry_data_s *v,
                      char *err, size_t errlen)
{
	if (mmdb_record_read(db->fast, db->memo, db->mmdb.data_section,
	                     db->mmdb.data_section_size, entry->offset, v) == MMDB_RECORD_OK)
		return 0;
	for (int i = 0; i < F_COUNT; i++) {
		int r = get_field(db, &db->f[i], entry, &v[i], err, errlen);
		if (r < 0)
			return -1;
		if (r == 0)
			v[i].has_data = false;
	}
	return 0;
}

int geodb_read_entry(const struct geodb *db, MMDB_entry_s *entry, struct geo_location *out,
                     char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	MMDB_entry_data_s v[F_COUNT];
	double lat = 0, lon = 0;
	int have_lat = 0, have_lon = 0;

	if (get_fields(db, entry, v, err, errlen) < 0)
		return -1;
	if (v[F_LAT].has_data)
		have_lat = as_number(&v[F_LAT], &lat);
	if (v[F_LON].has_data)
		have_lon = as_number(&v[F_LON], &lon);
	if (have_lat && have_lon && isfinite(lat) && isfinite(lon) && fabs(lat) <= 90.0 &&
	    fabs(lon) <= 180.0) {
		out->lat = lat;
		out->lon = lon;
		out->coords = GEO_COORD_DB;
	}

	if (v[F_COUNTRY].has_data) {
		as_code(&v[F_COUNTRY], out->country, 2);
		/* DB-IP and others write ZZ (ISO "unknown") for unlocated
		 * ranges; treat as no country so the fallback applies. */
		if (strlen(out->country) != 2 || strcmp(out->country, "ZZ") == 0)
			out->country[0] = 0;
	}
	if (v[F_CONTINENT].has_data) {
		as_code(&v[F_CONTINENT], out->continent, 2);
		if (strlen(out->continent) != 2)
			out->continent[0] = 0;
	}
	if (v[F_SUBDIV].has_data)
		as_code(&v[F_SUBDIV], out->subdivision, sizeof(out->subdivision) - 1);
	if (v[F_ASN].has_data)
		out->asn = as_asn(&v[F_ASN]);

	const struct iso3166_country *c = out->country[0] ? iso3166_lookup(out->country) : NULL;
	if (c && !out->continent[0])
		memcpy(out->continent, c->continent, 3);
	if (c && out->coords == GEO_COORD_NONE) {
		out->lat = c->lat;
		out->lon = c->lon;
		out->coords = GEO_COORD_CENTROID;
	}
	return 0;
}

int geo_location_empty(const struct geo_location *loc)
{
	return loc->coords == GEO_COORD_NONE && !loc->country[0] && !loc->continent[0] &&
	       !loc->subdivision[0] && loc->asn == 0 && loc->cidr_rule == 0;
}

int geo_location_eq(const struct geo_location *a, const struct geo_location *b)
{
	return memcmp(&a->lat, &b->lat, sizeof(double)) == 0 &&
	       memcmp(&a->lon, &b->lon, sizeof(double)) == 0 && a->coords == b->coords &&
	       strcmp(a->country, b->country) == 0 && strcmp(a->continent, b->continent) == 0 &&
	       strcmp(a->subdivision, b->subdivision) == 0 && a->asn == b->asn &&
	       a->cidr_rule == b->cidr_rule;
}

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int geodb_lookup(const struct geodb *db, const uint8_t addr16[16], struct geo_location *out,
                 unsigned *prefix_len, char *err, size_t errlen)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa;
	int is4 = memcmp(addr16, v4mapped_prefix, 12) == 0;
	memset(out, 0, sizeof(*out));
	if (is4) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, addr16 + 12, 4);
		sa = (const struct sockaddr *)&sin;
	} else {
		if (db->mmdb.metadata.ip_version == 4)
			return 0;
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, addr16, 16);
		sa = (const struct sockaddr *)&sin6;
	}
	int mmdb_err = MMDB_SUCCESS;
	MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&db->mmdb, sa, &mmdb_err);
	if (mmdb_err != MMDB_SUCCESS) {
		errmsg_set(err, errlen, "%s: lookup: %s", db->path, MMDB_strerror(mmdb_err));
		return -1;
	}
	if (prefix_len) {
		/* libmaxminddb counts an IPv4 lookup's netmask in the tree's own
		 * space: 0..32 in a v4 DB, 96..128 in a v6 DB. */
		unsigned n = res.netmask;
		if (is4 && db->mmdb.metadata.ip_version == 4)
			n += 96;
		else if (is4 && n < 96)
			n = 96;
		*prefix_len = n;
	}
	if (!res.found_entry)
		return 0;
	if (geodb_read_entry(db, &res.entry, out, err, errlen) < 0)
		return -1;
	return 1;
}
