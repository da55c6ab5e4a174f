/*
 * distance.h: great-circle distance and ranking of PoPs by distance from a
 * client. Pure functions, no allocation except where stated.
 */
#ifndef STEERDNS_DISTANCE_H
#define STEERDNS_DISTANCE_H

#include <stddef.h>

/* Mean Earth radius (IUGG), km. */
#define GEO_EARTH_RADIUS_KM 6371.0088

struct geo_point {
	double lat, lon; /* degrees; lat in [-90, 90], lon in [-180, 180] */
};

/* Great-circle distance in km between two points (haversine formula,
 * spherical Earth: within ~0.5% of the ellipsoidal distance, plenty to
 * rank PoPs). */
double geo_distance_km(double lat1, double lon1, double lat2, double lon2);

/* Order the n points in pops[] by distance from (lat, lon), nearest first.
 * Writes the indices into order[n] (caller-owned) and, if dist_km is not
 * NULL, each point's distance into dist_km[i] indexed like pops[] (not like
 * order[]). Equal distances keep their input order, so a configured PoP
 * order breaks ties deterministically. No allocation; O(n^2) insertion sort
 * because n is a handful of PoPs. */
void geo_rank(double lat, double lon, const struct geo_point *pops, size_t n, size_t *order,
              double *dist_km);

/* Distance from (lat, lon) to each of pops[0..n) into dist_km[0..n). */
void geo_distances(double lat, double lon, const struct geo_point *pops, size_t n,
                   double *dist_km);

/* Index of the smallest of dist_km[0..n) (n >= 1), the first of equal
 * ones: the nearest PoP, config order breaking ties as in geo_rank. */
size_t geo_nearest(const double *dist_km, size_t n);

#endif
