/*
 * distance.c: haversine distance and PoP ranking.
 */
#include "geodns/distance.h"

#include <math.h>

#define DEG2RAD (M_PI / 180.0)

double geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * DEG2RAD, p2 = lat2 * DEG2RAD;
	double dp = (lat2 - lat1) * DEG2RAD, dl = (lon2 - lon1) * DEG2RAD;
	double s1 = sin(dp / 2), s2 = sin(dl / 2);
	double h = s1 * s1 + cos(p1) * cos(p2) * s2 * s2;
	/* Rounding can push h a hair above 1 for antipodal points. */
	if (h > 1.0)
		h = 1.0;
	return 2.0 * GEO_EARTH_RADIUS_KM * asin(sqrt(h));
}

void geo_distances(double lat, double lon, const struct geo_point *pops, size_t n,
                   double *dist_km)
{
	for (size_t i = 0; i < n; i++)
		dist_km[i] = geo_distance_km(lat, lon, pops[i].lat, pops[i].lon);
}

size_t geo_nearest(const double *dist_km, size_t n)
{
	size_t best = 0;
	for (size_t i = 1; i < n; i++)
		if (dist_km[i] < dist_km[best])   /* strictly: ties keep the first */
			best = i;
	return best;
}

void geo_rank(double lat, double lon, const struct geo_point *pops, size_t n, size_t *order,
              double *dist_km)
{
	double local[64];
	double *d = dist_km ? dist_km : (n <= 64 ? local : NULL);
	for (size_t i = 0; i < n; i++) {
		double di = geo_distance_km(lat, lon, pops[i].lat, pops[i].lon);
		if (d)
			d[i] = di;
		order[i] = i;
	}
	/* Stable insertion sort on distance. Without a distance buffer (n > 64
	 * and dist_km NULL) recompute distances in the comparisons. */
	for (size_t i = 1; i < n; i++) {
		size_t cur = order[i];
		double dc = d ? d[cur] : geo_distance_km(lat, lon, pops[cur].lat, pops[cur].lon);
		size_t j = i;
		while (j > 0) {
			size_t prev = order[j - 1];
			double dprev = d ? d[prev]
			                 : geo_distance_km(lat, lon, pops[prev].lat, pops[prev].lon);
			if (dprev <= dc)
				break;
			order[j] = prev;
			j--;
		}
		order[j] = cur;
	}
}
