/*
 * suggest.h: the nearest of a set of names to a misspelt one, for "did you
 * mean" hints (unknown config keys).
 *
 * Distance is the optimal string alignment form of Damerau-Levenshtein:
 * insertions, deletions, substitutions and swaps of two adjacent
 * characters each cost 1 ("listn" -> "listen" 1, "prot" -> "port" 1).
 * A name is suggested only when it is close: at most 2 edits, and at most
 * one edit per three characters of the longer name ("asn" -> "as": 1 of 3,
 * yes; "db" -> "ab": 1 of 2, no; "databse" -> "databases": 2 of 9, yes).
 * Ties go to the first candidate in the caller's order.
 */
#ifndef STEERDNS_SUGGEST_H
#define STEERDNS_SUGGEST_H

#include <stddef.h>

/* Edit distance between a and b (optimal string alignment); names longer
 * than 63 bytes count as far from everything. */
unsigned suggest_distance(const char *a, const char *b);

/* Is candidate close enough to name to be suggested (see above)? */
int suggest_close(const char *name, const char *candidate);

/* Keep in *best the closest of the candidates offered so far that is
 * close to name (*best NULL before the first call, and when none is). */
struct suggest_best {
	const char *best;
	unsigned dist;
};
void suggest_consider(struct suggest_best *b, const char *name, const char *candidate);

#endif
