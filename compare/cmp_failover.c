/*
 * cmp_failover.c: failover windows (compare/formats.md "Failover
 * windows"): when a PoP was down, and how long each method kept sending
 * clients to it.
 *
 * While reading, every answer with a time is folded into its method's
 * runs for its PoP (struct cmp_run: answers no more than the gap apart),
 * and the decision log's health lines are kept as they are (a handful per
 * outage). Memory is bounded by the silences, not by the lines, and a run
 * set is a function of the answers' times alone, whatever order they are
 * read in, which keeps merged partial files exact.
 *
 * After reading, a window opens where the health lines report the PoP
 * down, or, where no report covers it, where a busy PoP falls silent in
 * some method's answers while that method goes on answering. Each
 * method's runs then say when it last sent a client to the PoP.
 */
#include <stdlib.h>
#include <string.h>

#include "compare/cmp_report.h"
#include "compare/cmp_sources.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -1)

/* A silence counts as a disappearance only after a run whose own pace
 * predicted at least this many answers within one gap (a Poisson
 * stream at that rate stays silent for a gap with probability e^-10),
 * and of at least this many answers. */
#define BUSY_ANSWERS 10

/* Index of the first run of rs whose last is >= t (rs->n if none). */
static size_t first_ending_at_or_after(const struct cmp_runs *rs, int64_t t)
{
	size_t lo = 0, hi = rs->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rs->r[mid].last < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int cmp_presence_add(struct cmp_ctx *c, int g, int pop, int64_t first, int64_t last, uint64_t n)
{
	if (g < 0 || g >= CG_N || pop < 0 || (size_t)pop >= c->n_pops || last < first)
		return 0;
	if (!c->runs && !(c->runs = calloc(CG_N * c->n_pops, sizeof(*c->runs))))
		return -1;
	struct cmp_runs *rs = &c->runs[(size_t)g * c->n_pops + (size_t)pop];
	int64_t gap = c->gap_ms;
	/* Logs are mostly read in time order: the answer joins the last run. */
	if (rs->n && first >= rs->r[rs->n - 1].first && first - rs->r[rs->n - 1].last <= gap) {
		struct cmp_run *e = &rs->r[rs->n - 1];
		e->last = last > e->last ? last : e->last;
		e->n += n;
		return 0;
	}
	/* Runs [lo, hi) come within the gap of [first, last]: they and it
	 * become one. */
	size_t lo = first_ending_at_or_after(rs, first > INT64_MIN + gap ? first - gap : INT64_MIN);
	size_t hi = lo;
	while (hi < rs->n && rs->r[hi].first - last <= gap)
		hi++;
	if (lo == hi) {
		if (cmp_grow((void **)&rs->r, &rs->cap, rs->n, sizeof(*rs->r)) < 0)
			return -1;
		memmove(&rs->r[lo + 1], &rs->r[lo], (rs->n - lo) * sizeof(*rs->r));
		rs->r[lo] = (struct cmp_run){ .first = first, .last = last, .n = n };
		rs->n++;
		return 0;
	}
	struct cmp_run m = rs->r[lo];
	m.first = first < m.first ? first : m.first;
	m.last = last > rs->r[hi - 1].last ? last : rs->r[hi - 1].last;
	m.n += n;
	for (size_t i = lo + 1; i < hi; i++)
		m.n += rs->r[i].n;
	rs->r[lo] = m;
	memmove(&rs->r[lo + 1], &rs->r[hi], (rs->n - hi) * sizeof(*rs->r));
	rs->n -= hi - lo - 1;
	return 0;
}

int cmp_health_add(struct cmp_ctx *c, int64_t ms, const char *server, int pop, int state)
{
	if (cmp_grow((void **)&c->health, &c->cap_health, c->n_health, sizeof(*c->health)) < 0)
		return -1;
	char *s = strdup(server ? server : "");
	if (!s)
		return -1;
	c->health[c->n_health++] =
		(struct cmp_health){ .ms = ms, .pop = pop, .state = (uint8_t)state, .server = s };
	return 0;
}

int cmp_rec_event(struct cmp_ctx *c, const json_t *rec, char *why, size_t whylen)
{
	const char *ev = json_string_value(json_object_get(rec, "event"));
	const char *ts = json_string_value(json_object_get(rec, "ts"));
	const json_t *sv = json_object_get(rec, "server");
	const char *server = json_string_value(sv);
	const char *pop = json_string_value(json_object_get(rec, "pop"));
	const char *state = json_string_value(json_object_get(rec, "state"));
	if (!ev)
		return WHY("decision log: 'event' must be a string");
	if (strcmp(ev, "health") != 0) {
		snprintf(why, whylen, "decision log: unknown event '%.64s'", ev);
		return 1;
	}
	int64_t ms = cmp_parse_ts(ts);
	int st = !state ? -1 : !strcmp(state, "up") ? CH_UP : !strcmp(state, "down") ? CH_DOWN
	                     : !strcmp(state, "drain") ? CH_DRAIN : -1;
	if (ms == CMP_NO_TS || !pop || st < 0 || (sv && !server && !json_is_null(sv)))
		return WHY("decision log: a health line needs 'ts', 'pop', 'server' and 'state' "
		           "(up, down or drain)");
	int p = cmp_pop_by_name(c, pop);
	if (p < 0) {
		c->unknown_pop++;
		snprintf(why, whylen, "decision log: PoP '%.64s' is not in the config", pop);
		return 1;
	}
	return cmp_health_add(c, ms, server, p, st) < 0 ? WHY("out of memory") : 0;
}

/* --- windows --- */

/* The windows as they are found, and where the data ends: computed once
 * for the whole build (every window and PoP reads them). */
struct fo_list {
	struct cmp_failover *w;
	size_t n, cap;
	int64_t group_end[CG_N];  /* each group's last answer, CMP_NO_TS: none */
	int64_t end;              /* the last answer of any (open windows end there) */
};

/* The last answer of any method in group g (its data's end). */
static int64_t group_end(const struct cmp_ctx *c, int g)
{
	int64_t end = CMP_NO_TS;
	for (size_t p = 0; p < c->n_pops; p++) {
		const struct cmp_runs *rs = &c->runs[(size_t)g * c->n_pops + p];
		if (rs->n && rs->r[rs->n - 1].last > end)
			end = rs->r[rs->n - 1].last;
	}
	return end;
}

/* What group g did with PoP w->pop during the window (formats.md). */
static void rate_method(const struct cmp_ctx *c, const struct fo_list *l, int g,
                        struct cmp_failover *w)
{
	const struct cmp_runs *rs = &c->runs[(size_t)g * c->n_pops + (size_t)w->pop];
	struct cmp_fo_method *m = &w->m[g];
	memset(m, 0, sizeof(*m));
	size_t j = first_ending_at_or_after(rs, w->start_ms - c->gap_ms);
	if (j == rs->n || rs->r[j].first >= w->end_ms)
		return;   /* no answer with the PoP near the window: n/a */
	int64_t e = rs->r[j].last;
	bool through = w->open ? e + c->gap_ms >= l->group_end[g] : e >= w->end_ms;
	if (through) {
		m->status = FO_THROUGH;
		m->kept_ms = w->end_ms - w->start_ms;
		return;
	}
	m->status = FO_STOPPED;
	m->last_ms = e;
	m->kept_ms = e > w->start_ms ? e - w->start_ms : 0;
	m->resumed = j + 1 < rs->n && rs->r[j + 1].first < w->end_ms;
}

static int add_window(struct fo_list *l, int pop, bool reported, int64_t start, int64_t end,
                      bool open)
{
	if (cmp_grow((void **)&l->w, &l->cap, l->n, sizeof(*l->w)) < 0)
		return -1;
	l->w[l->n++] = (struct cmp_failover){
		.pop = pop, .reported = reported, .start_ms = start, .end_ms = end, .open = open
	};
	return 0;
}

static int health_order(const void *a, const void *b)
{
	const struct cmp_health *x = a, *y = b;
	if (x->pop != y->pop)
		return x->pop < y->pop ? -1 : 1;
	if (x->ms != y->ms)
		return x->ms < y->ms ? -1 : 1;
	int s = strcmp(x->server, y->server);
	return s ? s : (int)x->state - (int)y->state;
}

/*
 * Reported windows of one PoP (its reports h[0..n), sorted by time): the
 * PoP is down while at least one server's latest report says down or
 * drain; the window opens at the report that makes the first such
 * server, and closes at the one that clears the last.
 */
static int reported_windows(struct fo_list *l, const struct cmp_health *h, size_t n)
{
	const char **srv = malloc((n ? n : 1) * sizeof(*srv));
	uint8_t *st = malloc(n ? n : 1);
	size_t n_srv = 0, n_down = 0;
	int64_t start = 0;
	int rc = 0;
	if (!srv || !st) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < n_srv && strcmp(srv[k], h[i].server) != 0)
			k++;
		if (k == n_srv) {
			srv[n_srv] = h[i].server;
			st[n_srv++] = CH_UP;
		}
		bool was = st[k] != CH_UP, now = h[i].state != CH_UP;
		st[k] = h[i].state;
		if (!was && now && n_down++ == 0)
			start = h[i].ms;
		if (was && !now && --n_down == 0 && add_window(l, h[i].pop, true, start, h[i].ms, false) < 0) {
			rc = -1;
			goto out;
		}
	}
	if (n_down)
		rc = add_window(l, h[0].pop, true, start,
		                l->end > start ? l->end : start, true);
out:
	free(srv);
	free(st);
	return rc;
}

/* A silence of PoP p in one method's answers: its last answer and when
 * the PoP came back in them (INT64_MAX: never). */
struct silence {
	int64_t at, back;
};

static int silence_order(const void *a, const void *b)
{
	const struct silence *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at ? 1 : 0;
}

static bool in_reported(const struct fo_list *l, int pop, int64_t t, int64_t gap)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->w[i].pop == pop && l->w[i].reported && t >= l->w[i].start_ms - gap &&
		    t < l->w[i].end_ms + (l->w[i].open ? 1 : 0))
			return true;
	return false;
}

/*
 * Inferred windows of PoP p: every silence longer than the gap after a
 * busy run, in a method that still answered after it, outside the
 * reported windows. A window opens at the earliest silence and closes
 * when the PoP comes back in the answers of a method that fell silent;
 * silences starting before that close belong to the same window.
 */
static int inferred_windows(const struct cmp_ctx *c, struct fo_list *l, int p)
{
	struct silence *s = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (int g = 0; g < CG_N; g++) {
		const struct cmp_runs *rs = &c->runs[(size_t)g * c->n_pops + (size_t)p];
		int64_t gend = l->group_end[g];
		for (size_t k = 0; k < rs->n; k++) {
			const struct cmp_run *r = &rs->r[k];
			bool busy = r->n >= BUSY_ANSWERS &&
			            (double)(r->n - 1) * (double)c->gap_ms >=
			                    BUSY_ANSWERS * (double)(r->last - r->first);
			bool goes_on = k + 1 < rs->n || gend - r->last > c->gap_ms;
			if (!busy || !goes_on || in_reported(l, p, r->last, c->gap_ms))
				continue;
			if (cmp_grow((void **)&s, &cap, n, sizeof(*s)) < 0) {
				rc = -1;
				goto out;
			}
			s[n++] = (struct silence){ .at = r->last,
			                           .back = k + 1 < rs->n ? rs->r[k + 1].first : INT64_MAX };
		}
	}
	if (n)
		qsort(s, n, sizeof(*s), silence_order);
	for (size_t i = 0; i < n;) {
		int64_t start = s[i].at, end = s[i].back;
		for (i++; i < n && s[i].at < end; i++)
			end = s[i].back < end ? s[i].back : end;
		bool open = end == INT64_MAX;
		if (add_window(l, p, false, start, open ? (l->end > start ? l->end : start) : end,
		               open) < 0) {
			rc = -1;
			goto out;
		}
	}
out:
	free(s);
	return rc;
}

static int window_order(const void *a, const void *b)
{
	const struct cmp_failover *x = a, *y = b;
	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	if (x->pop != y->pop)
		return x->pop < y->pop ? -1 : 1;
	return (int)y->reported - (int)x->reported;
}

int cmp_failover_build(const struct cmp_ctx *c, struct cmp_failover **out, size_t *n_out)
{
	struct fo_list l = { 0 };
	struct cmp_health *h = NULL;
	*out = NULL;
	*n_out = 0;
	if (!c->runs && !c->n_health)
		return 0;
	if (c->n_health) {
		if (!(h = malloc(c->n_health * sizeof(*h))))
			return -1;
		memcpy(h, c->health, c->n_health * sizeof(*h));
		qsort(h, c->n_health, sizeof(*h), health_order);
	}
	l.end = CMP_NO_TS;
	for (int g = 0; g < CG_N; g++) {
		l.group_end[g] = c->runs ? group_end(c, g) : CMP_NO_TS;
		l.end = l.group_end[g] > l.end ? l.group_end[g] : l.end;
	}
	for (size_t i = 0; i < c->n_health;) {
		size_t j = i;
		while (j < c->n_health && h[j].pop == h[i].pop)
			j++;
		if (reported_windows(&l, &h[i], j - i) < 0)
			goto fail;
		i = j;
	}
	for (size_t p = 0; c->runs && p < c->n_pops; p++)
		if (inferred_windows(c, &l, (int)p) < 0)
			goto fail;
	for (size_t i = 0; c->runs && i < l.n; i++)
		for (int g = 0; g < CG_N; g++)
			rate_method(c, &l, g, &l.w[i]);
	if (l.n)
		qsort(l.w, l.n, sizeof(*l.w), window_order);
	free(h);
	*out = l.w;
	*n_out = l.n;
	return 0;
fail:
	free(h);
	free(l.w);
	return -1;
}
