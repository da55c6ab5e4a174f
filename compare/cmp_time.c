/*
 * cmp_time.c: the time series of `steerdns compare`: every observation
 * that has a time (decision-log and probe lines: "ts") is rated as it is
 * read and counted in its group's one-second slot (samples, rated, hits,
 * latency inflation as a sum of whole microseconds, so that merged
 * partial files add up to exactly one pass). The report groups the slots
 * into at most CMP_SERIES_MAX_BINS bins of a width chosen from the data's
 * span (cmp_series_build).
 *
 * Rating at read time needs the RTT rows first: `compare` reads RTT CSV
 * inputs before the others (compare_cmd.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compare/cmp_report.h"

int64_t cmp_parse_ts(const char *s)
{
	/* RFC 3339 UTC as written: YYYY-MM-DDTHH:MM:SS[.fff]Z. */
	struct tm tm;
	int ms = 0;
	if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return CMP_NO_TS;
	for (int i = 0; i < 19; i++)
		if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
			return CMP_NO_TS;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = (s[5] - '0') * 10 + (s[6] - '0') - 1;
	tm.tm_mday = (s[8] - '0') * 10 + (s[9] - '0');
	tm.tm_hour = (s[11] - '0') * 10 + (s[12] - '0');
	tm.tm_min = (s[14] - '0') * 10 + (s[15] - '0');
	tm.tm_sec = (s[17] - '0') * 10 + (s[18] - '0');
	const char *p = s + 19;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (*p != 'Z' || p[1] || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return CMP_NO_TS;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static struct cmp_tslot *slot(struct cmp_ctx *c, uint8_t g, int64_t sec)
{
	if (c->last_tslot < c->n_tslots && c->tslots[c->last_tslot].group == g &&
	    c->tslots[c->last_tslot].sec == sec)
		return &c->tslots[c->last_tslot];
	if (c->n_tslots + 1 > c->tindex_cap / 2) {
		size_t nc = c->tindex_cap ? c->tindex_cap * 2 : 1024;
		uint32_t *t = calloc(nc, sizeof(*t));
		if (!t)
			return NULL;
		for (size_t i = 0; i < c->n_tslots; i++) {
			size_t h = ((uint64_t)c->tslots[i].sec * 0x9e3779b97f4a7c15ull +
			            c->tslots[i].group) & (nc - 1);
			while (t[h])
				h = (h + 1) & (nc - 1);
			t[h] = (uint32_t)i + 1;
		}
		free(c->tindex);
		c->tindex = t;
		c->tindex_cap = nc;
	}
	size_t h = ((uint64_t)sec * 0x9e3779b97f4a7c15ull + g) & (c->tindex_cap - 1);
	for (; c->tindex[h]; h = (h + 1) & (c->tindex_cap - 1)) {
		struct cmp_tslot *e = &c->tslots[c->tindex[h] - 1];
		if (e->group == g && e->sec == sec) {
			c->last_tslot = c->tindex[h] - 1;
			return e;
		}
	}
	if (cmp_grow((void **)&c->tslots, &c->cap_tslots, c->n_tslots, sizeof(*c->tslots)) < 0)
		return NULL;
	struct cmp_tslot *e = &c->tslots[c->n_tslots];
	memset(e, 0, sizeof(*e));
	e->group = g;
	e->sec = sec;
	c->tindex[h] = (uint32_t)c->n_tslots + 1;
	c->last_tslot = c->n_tslots++;
	return e;
}

/* a + b microseconds, held at the int64 limits: sums of an RTT CSV's
 * absurd RTTs (any finite number) or of a hostile partial file's slots
 * must not overflow (undefined behaviour). */
static int64_t sum_us(int64_t a, int64_t b)
{
	int64_t s;
	if (!__builtin_add_overflow(a, b, &s))
		return s;
	return b > 0 ? INT64_MAX : INT64_MIN;
}

int cmp_tslot_add(struct cmp_ctx *c, const struct cmp_tslot *add)
{
	struct cmp_tslot *e = slot(c, add->group, add->sec);
	if (!e)
		return -1;
	e->samples += add->samples;
	e->rated += add->rated;
	e->hits += add->hits;
	e->n_lat += add->n_lat;
	e->lat_sum_us = sum_us(e->lat_sum_us, add->lat_sum_us);
	return 0;
}

int cmp_time_add(struct cmp_ctx *c, const struct cmp_obs *o, struct cmp_obs *held, int64_t ts_ms)
{
	struct cmp_rating rt;
	if (ts_ms == CMP_NO_TS)
		return 0;
	if (held && held->memo_rows == c->n_rows + 1) {
		/* Same observation, same RTT rows: same rating. */
		rt.optimal = held->memo_optimal;
		rt.have_lat = held->memo_have_lat;
		rt.lat = held->memo_lat;
	} else {
		if (!c->scratch) {
			c->scratch = calloc(1, sizeof(*c->scratch));
			if (!c->scratch || cmp_scratch_init(c->scratch, c) < 0) {
				free(c->scratch);
				c->scratch = NULL;
				return -1;
			}
		}
		if (c->rows_sorted != c->n_rows) {
			qsort(c->rows, c->n_rows, sizeof(*c->rows), cmp_row_order);
			c->rows_sorted = c->n_rows;
		}
		const double *rtt = cmp_obs_rtts(c, o, c->rows, c->n_rows, c->scratch);
		cmp_rate_obs(c, o, rtt, c->scratch, &rt);
		if (held) {
			held->memo_rows = c->n_rows + 1;
			held->memo_optimal = rt.optimal;
			held->memo_have_lat = rt.have_lat;
			held->memo_lat = rt.lat;
		}
	}
	uint64_t w = o->count ? o->count : 1;
	struct cmp_tslot add = {
		.group = o->group,
		.sec = ts_ms >= 0 ? ts_ms / 1000 : (ts_ms - 999) / 1000,
		.samples = w,
		.rated = rt.optimal >= 0 ? w : 0,
		.hits = rt.optimal >= 0 && rt.optimal == o->chosen ? w : 0,
		.n_lat = rt.have_lat ? w : 0,
		.lat_sum_us = rt.have_lat ? llround(rt.lat * 1000) * (int64_t)w : 0,
	};
	if (o->chosen >= 0 && cmp_presence_add(c, o->group, o->chosen, ts_ms, ts_ms, w) < 0)
		return -1;
	return cmp_tslot_add(c, &add);
}

/* Bin widths, seconds: the first that makes at most CMP_SERIES_MAX_BINS. */
static const int64_t widths[] = { 1,    2,    5,     10,    15,    30,    60,    120,  300,
	                          600,  900,  1800,  3600,  7200,  10800, 21600, 43200,
	                          86400, 172800, 604800 };

/* lo rounded down to a multiple of w (bins are aligned to their width). */
static int64_t align_down(int64_t lo, int64_t w)
{
	return lo - ((lo % w) + w) % w;
}

/* Bins of width w from lo's aligned start to hi: the alignment can add
 * one to the span's own count (lo = 1, hi = 96, w = 2: 49). */
static int64_t bins_for(int64_t lo, int64_t hi, int64_t w)
{
	return (hi - align_down(lo, w)) / w + 1;
}

int cmp_series_build(const struct cmp_ctx *c, struct cmp_series *s)
{
	memset(s, 0, sizeof(*s));
	if (!c->n_tslots)
		return 0;
	int64_t lo = c->tslots[0].sec, hi = lo;
	for (size_t i = 1; i < c->n_tslots; i++) {
		lo = c->tslots[i].sec < lo ? c->tslots[i].sec : lo;
		hi = c->tslots[i].sec > hi ? c->tslots[i].sec : hi;
	}
	size_t k = 0;
	while (k + 1 < sizeof(widths) / sizeof(widths[0]) &&
	       bins_for(lo, hi, widths[k]) > CMP_SERIES_MAX_BINS)
		k++;
	s->bin_s = widths[k];
	/* Past the table (a span of more than 48 weeks; "ts" allows 10,000
	 * years): the same rule in whole weeks, or a 2-line log would make
	 * half a million bins (146 MB, a 125 MB JSON report). */
	if (bins_for(lo, hi, s->bin_s) > CMP_SERIES_MAX_BINS)
		s->bin_s = ((hi - lo) / (CMP_SERIES_MAX_BINS * 604800) + 1) * 604800;
	while (bins_for(lo, hi, s->bin_s) > CMP_SERIES_MAX_BINS)
		s->bin_s += 604800;
	s->start = align_down(lo, s->bin_s);
	s->n_bins = (size_t)bins_for(lo, hi, s->bin_s);
	s->bins = calloc(s->n_bins * CG_N, sizeof(*s->bins));
	if (!s->bins)
		return -1;
	for (size_t i = 0; i < c->n_tslots; i++) {
		const struct cmp_tslot *t = &c->tslots[i];
		struct cmp_tslot *b =
			&s->bins[(size_t)((t->sec - s->start) / s->bin_s) * CG_N + t->group];
		b->samples += t->samples;
		b->rated += t->rated;
		b->hits += t->hits;
		b->n_lat += t->n_lat;
		b->lat_sum_us = sum_us(b->lat_sum_us, t->lat_sum_us);
	}
	return 0;
}
