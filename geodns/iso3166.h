/*
 * iso3166.h: built-in ISO 3166-1 alpha-2 table: continent code and an
 * approximate country centroid for every assigned code (plus XK, and the
 * legacy pseudo-countries EU and AP some databases still emit).
 *
 * Why: flat-schema databases (DB-IP lite, ip-location-db) carry only a
 * country code, sometimes without coordinates. The continent comes from
 * here, and the centroid lets such a client still be ranked by distance.
 * Centroids are rough (about a degree); they only need to pick the nearer
 * of PoPs that are usually hundreds of kilometres apart.
 */
#ifndef STEERDNS_ISO3166_H
#define STEERDNS_ISO3166_H

#include <stddef.h>

struct iso3166_country {
	char code[3];      /* "DE", upper case, NUL-terminated */
	char continent[3]; /* AF AN AS EU NA OC SA */
	double lat, lon;   /* approximate centroid, degrees */
};

/* Look up a two-letter code, case-insensitive. Returns a pointer into the
 * static table (never freed), or NULL for an unknown or malformed code. */
const struct iso3166_country *iso3166_lookup(const char *code);

/* The whole table, sorted by code, for tests and `steerdns lookup`. Sets
 * *n to the number of entries. The table is static. */
const struct iso3166_country *iso3166_table(size_t *n);

#endif
