/* suggest.c: edit distance for "did you mean" hints; see suggest.h. */
#include "common/suggest.h"

#include <string.h>

#define SUGGEST_MAX 63
#define FAR 1000u

unsigned suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
		return FAR;
	/* d[i][j]: distance between the first i bytes of a and the first j of b. */
	unsigned d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

int suggest_close(const char *name, const char *candidate)
{
	size_t la = strlen(name), lb = strlen(candidate);
	size_t longer = la > lb ? la : lb;
	unsigned dist = suggest_distance(name, candidate);
	return dist >= 1 && dist <= 2 && dist * 3 <= longer;
}

void suggest_consider(struct suggest_best *b, const char *name, const char *candidate)
{
	if (!suggest_close(name, candidate))
		return;
	unsigned dist = suggest_distance(name, candidate);
	if (!b->best || dist < b->dist) {
		b->best = candidate;
		b->dist = dist;
	}
}
