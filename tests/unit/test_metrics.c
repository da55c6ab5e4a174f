/*
 * test_metrics.c: the counter blocks and the text exposition (metrics.c).
 * Type and rcode numbers are written here from the IANA registries and the
 * label escaping from the Prometheus text-format definition, not from the
 * code's tables; counts from real threads are summed as a scrape does.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/metrics.h"

static struct metrics_block *blocks[4];

static void setup(void)
{
	for (int i = 0; i < 4; i++)
		blocks[i] = calloc(1, sizeof(struct metrics_block));
	metrics_set_blocks(blocks, 4);
}

static void teardown(void)
{
	metrics_thread_bind(NULL);
	metrics_set_blocks(NULL, 0);
	for (int i = 0; i < 4; i++)
		free(blocks[i]);
}

/* The exposition as a NUL-terminated string (caller frees). */
static char *exposition(const char *const *pops, size_t n)
{
	struct evbuffer *b = evbuffer_new();
	metrics_write(b, pops, n, NULL, NULL);
	size_t len = evbuffer_get_length(b);
	char *s = malloc(len + 1);
	evbuffer_remove(b, s, len);
	s[len] = 0;
	evbuffer_free(b);
	return s;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* (IANA type number, label) and (rcode, label), RFC 1035/3596/6891/7873/8659/9460. */
static const struct { int code; const char *name; } types[] = {
	{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" }, { 15, "MX" },
	{ 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" }, { 43, "DS" }, { 65, "HTTPS" },
	{ 257, "CAA" }, { 255, "ANY" }, { 252, "AXFR" }, { 251, "IXFR" },
	{ 99, "other" }, { 64, "other" }, { 256, "other" }, { 65535, "other" }, { -1, "other" },
};
static const struct { unsigned code; const char *name; } rcodes[] = {
	{ 0, "NOERROR" }, { 1, "FORMERR" }, { 2, "SERVFAIL" }, { 3, "NXDOMAIN" }, { 4, "NOTIMP" },
	{ 5, "REFUSED" }, { 9, "NOTAUTH" }, { 16, "BADVERS" }, { 23, "BADCOOKIE" },
	{ 6, "other" }, { 22, "other" }, { 4095, "other" },
};

START_TEST(type_and_rcode_labels)
{
	metrics_thread_bind(blocks[0]);
	/* Each (type, rcode) pair its own count, so a swapped bucket shows. */
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		for (size_t r = 0; r < sizeof(rcodes) / sizeof(rcodes[0]); r++)
			metrics_count_query(t % 2, types[t].code, rcodes[r].code, false);
	char *s = exposition(NULL, 0);
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		for (size_t r = 0; r < sizeof(rcodes) / sizeof(rcodes[0]); r++) {
			/* Several codes share "other": count how many land on this line. */
			unsigned n = 0;
			for (size_t t2 = 0; t2 < sizeof(types) / sizeof(types[0]); t2++)
				for (size_t r2 = 0; r2 < sizeof(rcodes) / sizeof(rcodes[0]); r2++)
					n += t2 % 2 == t % 2 && !strcmp(types[t2].name, types[t].name) &&
					     !strcmp(rcodes[r2].name, rcodes[r].name);
			char line[160];
			snprintf(line, sizeof(line),
			         "steerdns_queries_total{transport=\"%s\",qtype=\"%s\",rcode=\"%s\"} %u",
			         t % 2 ? "tcp" : "udp", types[t].name, rcodes[r].name, n);
			ck_assert_msg(has_line(s, line), "missing: %s", line);
		}
	free(s);
}
END_TEST

START_TEST(unbound_thread_counts_nothing)
{
	metrics_thread_bind(NULL);
	metrics_count_query(false, 1, 0, true);
	struct steer_outcome o = { .method = "geodns", .arm = "", .pop = 0 };
	metrics_count_steered(&o);
	struct metrics_block sum;
	metrics_sum(&sum);
	static const struct metrics_block zero;
	ck_assert(memcmp(&sum, &zero, sizeof(sum)) == 0);
}
END_TEST

struct worker_arg {
	struct metrics_block *b;
	unsigned n;
	int pop;
};

static void *count_thread(void *p)
{
	struct worker_arg *a = p;
	metrics_thread_bind(a->b);
	struct steer_outcome geo = { .method = "geodns", .arm = "", .pop = a->pop };
	struct steer_outcome ab = { .method = "anycast", .arm = "anycast", .pop = -1 };
	for (unsigned i = 0; i < a->n; i++) {
		metrics_count_steered(&geo);
		if (i % 3 == 0)
			metrics_count_steered(&ab);
	}
	return NULL;
}

START_TEST(threads_summed_by_method_arm_pop)
{
	static const char *const pops[] = { "lon", "fra", "a\"b\\c\nd" };
	struct worker_arg args[4] = {
		{ blocks[0], 1000, 0 }, { blocks[1], 2000, 1 }, { blocks[2], 3000, 0 }, { blocks[3], 7, 2 },
	};
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, count_thread, &args[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	char *s = exposition(pops, 3);
	ck_assert(has_line(s, "steerdns_steered_answers_total{method=\"geodns\",arm=\"\",pop=\"lon\"} 4000"));
	ck_assert(has_line(s, "steerdns_steered_answers_total{method=\"geodns\",arm=\"\",pop=\"fra\"} 2000"));
	/* Label values escape \, " and newline (text format 0.0.4). */
	ck_assert(has_line(s, "steerdns_steered_answers_total{method=\"geodns\",arm=\"\",pop=\"a\\\"b\\\\c\\nd\"} 7"));
	/* ceil(n/3) per thread: 334 + 667 + 1000 + 3 */
	ck_assert(has_line(s, "steerdns_steered_answers_total{method=\"anycast\",arm=\"anycast\",pop=\"\"} 2004"));
	free(s);
}
END_TEST

START_TEST(pop_past_the_table_counts_as_none)
{
	static const char *const pops[] = { "lon" };
	metrics_thread_bind(blocks[1]);
	struct steer_outcome o = { .method = "geodns", .arm = "geodns", .pop = 5 };
	metrics_count_steered(&o);
	o.pop = 200;  /* beyond METRICS_MAX_POPS */
	metrics_count_steered(&o);
	o.pop = 0;
	metrics_count_steered(&o);
	char *s = exposition(pops, 1);
	ck_assert(has_line(s, "steerdns_steered_answers_total{method=\"geodns\",arm=\"geodns\",pop=\"\"} 2"));
	ck_assert(has_line(s, "steerdns_steered_answers_total{method=\"geodns\",arm=\"geodns\",pop=\"lon\"} 1"));
	free(s);
}
END_TEST

START_TEST(reloads_counted)
{
	metrics_note_reload(true);
	metrics_note_reload(false);
	metrics_note_reload(false);
	char *s = exposition(NULL, 0);
	ck_assert(has_line(s, "steerdns_config_reloads_total{result=\"success\"} 1"));
	ck_assert(has_line(s, "steerdns_config_reloads_total{result=\"failure\"} 2"));
	free(s);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, type_and_rcode_labels);
	tcase_add_test(tc, unbound_thread_counts_nothing);
	tcase_add_test(tc, threads_summed_by_method_arm_pop);
	tcase_add_test(tc, pop_past_the_table_counts_as_none);
	tcase_add_test(tc, reloads_counted);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
