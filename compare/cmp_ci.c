/*
 * cmp_ci.c: the 95% intervals of `steerdns compare` (definitions in
 * compare/cmp_report.h): Wilson score intervals for hit rates, Newcombe's
 * hybrid score interval for the difference of two hit rates, and
 * distribution-free order-statistic intervals for percentiles.
 */
#include <math.h>

#include "compare/cmp_report.h"

/* The 97.5% point of the standard normal distribution. */
#define Z95 1.959963984540054

void cmp_wilson(size_t k, size_t n, double *lo, double *hi)
{
	if (n == 0) {
		*lo = *hi = NAN;
		return;
	}
	double nn = (double)n, p = (double)k / nn, z2 = Z95 * Z95;
	double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
	double half = Z95 / (1 + z2 / nn) * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
	*lo = fmax(0, centre - half);
	*hi = fmin(1, centre + half);
}

void cmp_diff_ci(size_t k1, size_t n1, size_t k2, size_t n2, double *d, double *lo, double *hi)
{
	double l1, u1, l2, u2;
	if (n1 == 0 || n2 == 0) {
		*d = *lo = *hi = NAN;
		return;
	}
	double p1 = (double)k1 / (double)n1, p2 = (double)k2 / (double)n2;
	cmp_wilson(k1, n1, &l1, &u1);
	cmp_wilson(k2, n2, &l2, &u2);
	*d = p1 - p2;
	*lo = *d - sqrt((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2));
	*hi = *d + sqrt((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2));
}

void cmp_rank_ci(size_t n, unsigned p, size_t *lo, size_t *hi)
{
	if (n == 0) {
		*lo = *hi = 0;
		return;
	}
	double q = p / 100.0, nq = (double)n * q, sd = sqrt(nq * (1 - q));
	double l = floor(nq - Z95 * sd), u = ceil(nq + Z95 * sd) + 1;
	*lo = l < 1 ? 1 : l > (double)n ? n : (size_t)l;
	*hi = u < 1 ? 1 : u > (double)n ? n : (size_t)u;
}
