/*
 * geodb.h: one opened MaxMind DB (.mmdb) file plus the field paths that
 * say where latitude, longitude, country, continent, subdivision and the
 * autonomous system number live in its records. The file is mmap'd by
 * libmaxminddb (MMDB_MODE_MMAP).
 *
 * A record's fields are read in one pass by mmdb_record.h's reader;
 * what it declines (corrupt data) goes to libmaxminddb's MMDB_aget_value,
 * so answers and error messages are libmaxminddb's either way.
 *
 * geodb is the load-time side only: geotree.h compiles every record into
 * a lookup tree once, so no libmaxminddb call happens per query. The slow
 * geodb_lookup() here exists for `steerdns lookup` and for tests that
 * cross-check the compiled tree against libmaxminddb.
 */
#ifndef STEERDNS_GEODB_H
#define STEERDNS_GEODB_H

#include <maxminddb.h>
#include <stddef.h>
#include <stdint.h>

/* Buffer size for the error strings below: enough for a path and a
 * libmaxminddb message. */
#define GEODB_ERRLEN 512

/* Where a location's coordinates came from. */
enum geo_coord_source {
	GEO_COORD_NONE = 0,     /* none: rank by rules/fallback only */
	GEO_COORD_DB = 1,       /* the record's own latitude/longitude */
	GEO_COORD_CENTROID = 2, /* the country's centroid (iso3166.c) */
};

/* What is known about a client: where it is (one DB record), plus the
 * attributes that trees combined by geotree_product() add: its autonomous
 * system (ASN DB) and the first CIDR policy rule covering it
 * (geotree_from_prefixes). Empty strings and zero numbers mean "not
 * known". Compared by value (geo_location_eq) to deduplicate. */
struct geo_location {
	double lat, lon;        /* valid when coords != GEO_COORD_NONE */
	uint8_t coords;         /* enum geo_coord_source */
	char country[3];        /* ISO 3166-1 alpha-2, upper case, or "" */
	char continent[3];      /* AF AN AS EU NA OC SA, or "" */
	char subdivision[8];    /* first subdivision's ISO code (e.g. "CA"), or "" */
	uint32_t asn;           /* autonomous system number, 0 = unknown */
	uint32_t cidr_rule;     /* 1 + index of the first matching CIDR rule, 0 = none */
};

/* Field paths, "a/b/0/c": map keys separated by '/', a decimal component
 * indexes an array. NULL (or "") means the DB has no such field. */
struct geodb_fields {
	const char *latitude;
	const char *longitude;
	const char *country;
	const char *continent;   /* NULL: derived from country via iso3166 */
	const char *subdivision;
	const char *asn;         /* unsigned integer; NULL in the location presets */
};

/* GeoIP2/GeoLite2 City and Country: location/latitude, location/longitude,
 * country/iso_code, continent/code, subdivisions/0/iso_code. */
extern const struct geodb_fields geodb_preset_maxmind;
/* DB-IP lite / ip-location-db flat records: latitude, longitude,
 * country_code at top level; continent from the ISO 3166 table. */
extern const struct geodb_fields geodb_preset_flat;
/* GeoLite2-ASN / GeoIP2-ISP: autonomous_system_number only. A tree built
 * from such a DB carries locations with just .asn set; geotree_product()
 * joins it to a location tree. */
extern const struct geodb_fields geodb_preset_asn;

/* Preset by name ("maxmind", "flat" or "asn"); NULL if unknown. Static
 * storage. */
const struct geodb_fields *geodb_preset(const char *name);

struct geodb;

/* Open path with libmaxminddb in MMAP mode and parse the field paths
 * (copied; fields need not outlive the call). On failure returns NULL and
 * writes "PATH: cannot open: <libmaxminddb or errno message>" (or the bad
 * field path) into err[errlen]. Caller owns the result: geodb_close(). */
struct geodb *geodb_open(const char *path, const struct geodb_fields *fields, char *err,
                         size_t errlen);

/* Unmap and free. NULL is fine. Trees built from the DB stay valid: they
 * copy what they need. */
void geodb_close(struct geodb *db);

/* The path given to geodb_open (owned by db). */
const char *geodb_path(const struct geodb *db);

/* The underlying handle, for geotree.c's walk of the search tree. Owned
 * by db; read-only. */
const MMDB_s *geodb_mmdb(const struct geodb *db);

/* Let go of the mapped file's pages for bytes [from, to): they leave
 * this process's RSS but stay in the page cache, and a later read of them
 * faults them back in, so no result changes. Whole pages only, from the
 * one holding `from` to the one holding `to` (excluded; `to` at or past
 * the end of the file means through the last page), so a caller passes
 * `from` only for bytes it is done with. The tree build calls this behind
 * its walk of the search tree and for a DB it has finished. */
void geodb_drop_pages(const struct geodb *db, size_t from, size_t to);

/* Decode the record at entry into *out (always fully written, zeroed
 * first): coordinates only if both are present and in range; the ASN if
 * it is an unsigned integer in 1..2^32-1 (cidr_rule stays 0); continent
 * from the table when the DB has none; coordinates from the country's
 * centroid when the DB has none. Missing fields are not errors. Updates
 * db's memo of shared sub-maps (mmdb_record.h), so one thread at a time
 * per db (geodb_lookup too). Returns 0,
 * or -1 with "PATH: data at offset N: <libmaxminddb message>" in err for
 * corrupt data. */
int geodb_read_entry(const struct geodb *db, MMDB_entry_s *entry, struct geo_location *out,
                     char *err, size_t errlen);

/* True if the location says nothing usable (no coordinates, country,
 * continent, subdivision, ASN or CIDR rule): such records map to location
 * id 0. */
int geo_location_empty(const struct geo_location *loc);

/* Value equality of two locations, every field (coordinates compared bit
 * for bit). */
int geo_location_eq(const struct geo_location *a, const struct geo_location *b);

/* Slow path: look addr16 (IPv6, IPv4 as ::ffff:a.b.c.d) up with
 * libmaxminddb. IPv4-mapped addresses are looked up as IPv4, which a v6 DB
 * answers from its ::/96 IPv4 subtree (the same place geotree grafts
 * ::ffff:0:0/96 from). Returns 1 and fills *out (may still be empty) when
 * the DB has a record, 0 when the address is not in the DB (or is IPv6
 * and the DB is IPv4-only), -1 with err on a libmaxminddb error. Writes
 * the DB network length (in the 128-bit space) to *prefix_len if not NULL. */
int geodb_lookup(const struct geodb *db, const uint8_t addr16[16], struct geo_location *out,
                 unsigned *prefix_len, char *err, size_t errlen);

#endif
