/*
 * test_qlog_writer.c: the decision-log writer's PoP health event lines
 * (compare/formats.md "Decision log"), with a real writer thread, real
 * files and the real health registry (states set as `steerdns ctl pop`
 * sets them, health_admin_set). Which lines the rules of qlog.h
 * (qlog_writer_set_health) call for is worked out here by hand: a line per
 * change, none for a PoP up at start or unchanged, PoPs not up at start,
 * when added and atop each new file, two slots reported under one PoP
 * name, the identity of the set that saw the change. Every line's ts must
 * lie between wall-clock times taken around the step that caused it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/health.h"
#include "common/qlog.h"

static char dir[64];
static char path1[128], path2[128];

/* The next line of f after its ts value: `","server":...}` (NUL-cut at
 * the newline); the ts into ts[25]. NULL at the end of the file. */
static const char *next_line(FILE *f, char ts[25])
{
	static char buf[4096];
	if (!fgets(buf, sizeof(buf), f))
		return NULL;
	buf[strcspn(buf, "\n")] = 0;
	ck_assert_msg(strncmp(buf, "{\"ts\":\"", 7) == 0 && strlen(buf) > 31, "%s", buf);
	memcpy(ts, buf + 7, 24);
	ts[24] = 0;
	return buf + 31;
}

/* The wall clock now in the log's ts text, printed independently of
 * qlog_fmt.c (strftime). ISO text of one length orders as time does. */
static void now_text(char out[25])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 25, "%Y-%m-%dT%H:%M:%S.", &tm);
	ck_assert_uint_eq(n, 20);
	int ms = (int)(ts.tv_nsec / 1000000);
	out[20] = (char)('0' + ms / 100);
	out[21] = (char)('0' + ms / 10 % 10);
	out[22] = (char)('0' + ms % 10);
	out[23] = 'Z';
	out[24] = 0;
}

/* Expect exactly the lines want[0..n) (after the ts) in path, each
 * stamped within [lo, hi]. */
static void expect(const char *path, const char *const *want, size_t n, const char *lo,
                   const char *hi)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	char ts[25];
	const char *l;
	size_t i = 0;
	while ((l = next_line(f, ts))) {
		ck_assert_msg(i < n, "%s: extra line %s", path, l);
		ck_assert_str_eq(l, want[i]);
		ck_assert_msg(strcmp(ts, lo) >= 0 && strcmp(ts, hi) <= 0, "%s: ts %s not in [%s, %s]",
		              want[i], ts, lo, hi);
		i++;
	}
	fclose(f);
	ck_assert_msg(i == n, "%s: %zu lines, want %zu", path, i, n);
}

#define LINE(server, pop, state) \
	"\",\"server\":\"" server "\",\"event\":\"health\",\"pop\":\"" pop "\",\"state\":\"" state "\"}"

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/qlog-writer-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path1, sizeof(path1), "%s/d1.jsonl", dir);
	snprintf(path2, sizeof(path2), "%s/d2.jsonl", dir);
}

static void teardown(void)
{
	unlink(path1);
	unlink(path2);
	rmdir(dir);
}

START_TEST(events)
{
	char err[256], t0[25], t1[25], t2[25], t3[25];
	struct qlog_ring *ring = qlog_ring_new();
	ck_assert_ptr_nonnull(ring);

	/* fra is down before the log starts; ams is up. */
	ck_assert_int_eq(health_admin_set("fra", HEALTH_ADMIN_DOWN), 0);
	health_slot("ams");
	now_text(t0);
	struct qlog_writer *w = qlog_writer_new(&ring, 1, path1, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	const struct qlog_watch set1[] = { { "fra", "fra" }, { "ams", "ams" } };
	ck_assert_int_eq(qlog_writer_set_health(w, "fra1", set1, 2), 0);
	qlog_writer_flush(w);
	now_text(t1);
	const char *want1[] = { LINE("fra1", "fra", "down") };
	expect(path1, want1, 1, t0, t1);

	/* fra comes back, then ams goes down: one line each (in this order
	 * whether the writer's tick falls between them or not: within a
	 * tick, lines follow the set's order); nothing more after. */
	ck_assert_int_eq(health_admin_set("fra", HEALTH_ADMIN_AUTO), 0);
	ck_assert_int_eq(health_admin_set("ams", HEALTH_ADMIN_DOWN), 0);
	qlog_writer_flush(w);
	qlog_writer_flush(w);
	now_text(t2);
	const char *want2[] = { want1[0], LINE("fra1", "fra", "up"), LINE("fra1", "ams", "down") };
	expect(path1, want2, 3, t0, t2);

	/* A reload: the same PoPs keep their state (no line), a new one that
	 * is down gets a line at once, under the new identity; the
	 * anycast-style second slot reported as fra: fra's own slot is up,
	 * the gate's down, so one line "fra down" for the gate. */
	ck_assert_int_eq(health_admin_set("gate", HEALTH_ADMIN_DOWN), 0);
	const struct qlog_watch set2[] = { { "fra", "fra" }, { "ams", "ams" }, { "fra", "gate" } };
	now_text(t2);
	ck_assert_int_eq(qlog_writer_set_health(w, "fra\"2", set2, 3), 0);
	qlog_writer_flush(w);
	now_text(t3);
	FILE *f = fopen(path1, "r");
	char ts[25];
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(next_line(f, ts));
	const char *l = next_line(f, ts);
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(l, LINE("fra\\\"2", "fra", "down"));
	ck_assert(strcmp(ts, t2) >= 0 && strcmp(ts, t3) <= 0);
	ck_assert_ptr_null(next_line(f, ts));
	fclose(f);

	/* A new file begins with every watched slot not up: ams, and the
	 * gate as fra (fra's own slot is up: no line). */
	now_text(t2);
	ck_assert_int_eq(qlog_writer_set_path(w, path2, false), 0);
	qlog_writer_flush(w);
	now_text(t3);
	const char *want3[] = { LINE("fra\\\"2", "ams", "down"), LINE("fra\\\"2", "fra", "down") };
	expect(path2, want3, 2, t2, t3);

	/* Reopening the same file (SIGHUP) repeats nothing; the gate coming
	 * up is one line, the watch list gone is no line. */
	ck_assert_int_eq(qlog_writer_set_path(w, path2, true), 0);
	ck_assert_int_eq(health_admin_set("gate", HEALTH_ADMIN_AUTO), 0);
	qlog_writer_flush(w);
	ck_assert_int_eq(qlog_writer_set_health(w, "fra\"2", NULL, 0), 0);
	ck_assert_int_eq(health_admin_set("ams", HEALTH_ADMIN_AUTO), 0);
	qlog_writer_flush(w);
	now_text(t3);
	const char *want4[] = { want3[0], want3[1], LINE("fra\\\"2", "fra", "up") };
	expect(path2, want4, 3, t2, t3);

	qlog_writer_free(w);
	qlog_ring_free(ring);
	health_registry_free();
}
END_TEST

/* The writer's own tick finds a change without a flush, within a few
 * drain intervals. */
START_TEST(polled_on_tick)
{
	char err[256], t0[25], t1[25];
	struct qlog_ring *ring = qlog_ring_new();
	struct qlog_writer *w = qlog_writer_new(&ring, 1, path1, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	const struct qlog_watch set[] = { { "lon", "lon" } };
	ck_assert_int_eq(qlog_writer_set_health(w, "s", set, 1), 0);
	now_text(t0);
	ck_assert_int_eq(health_admin_set("lon", HEALTH_ADMIN_DOWN), 0);
	const char *want[] = { LINE("s", "lon", "down") };
	FILE *f = NULL;
	char ts[25];
	const char *l = NULL;
	for (int i = 0; i < 200 && !l; i++) {
		usleep(10000);
		f = fopen(path1, "r");
		l = f ? next_line(f, ts) : NULL;
		if (f)
			fclose(f);
	}
	now_text(t1);
	ck_assert_ptr_nonnull(l);
	expect(path1, want, 1, t0, t1);
	qlog_writer_free(w);
	qlog_ring_free(ring);
	health_registry_free();
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("qlog_writer");
	TCase *tc = tcase_create("health_events");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, events);
	tcase_add_test(tc, polled_on_tick);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
