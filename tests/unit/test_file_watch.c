/* test_file_watch.c: change detection with a quiet period, on a real event loop. */
#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/file_watch.h"

struct ctx {
	struct event_base *base;
	int calls;
	struct timespec when;
};

static void on_change(void *arg)
{
	struct ctx *c = arg;
	c->calls++;
	clock_gettime(CLOCK_MONOTONIC, &c->when);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Run the loop for ms milliseconds. */
static void run_for(struct event_base *base, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

START_TEST(change_then_quiet)
{
	char dir[] = "/tmp/steerdns-fw-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/db.mmdb", dir);
	write_file(path, "one");

	struct ctx c = { event_base_new(), 0, { 0, 0 } };
	struct file_watch *fw = file_watch_new(c.base, 50, 200, on_change, &c);
	ck_assert_ptr_nonnull(fw);
	const char *paths[] = { path };
	file_watch_set(fw, paths, 1);

	run_for(c.base, 300);
	ck_assert_int_eq(c.calls, 0);            /* baseline: no change, no call */

	struct timespec t0;
	write_file(path, "two, longer");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_for(c.base, 100);
	ck_assert_int_eq(c.calls, 0);            /* still within the quiet period */
	write_file(path, "three, longer still");  /* a writer still busy restarts it */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_for(c.base, 600);
	ck_assert_int_eq(c.calls, 1);            /* exactly once for the burst */
	ck_assert_int_ge(ms_between(&t0, &c.when), 200);

	/* Replaced by rename (as geoipupdate does), then removed. */
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	write_file(tmp, "four");
	ck_assert_int_eq(rename(tmp, path), 0);
	run_for(c.base, 500);
	ck_assert_int_eq(c.calls, 2);
	unlink(path);
	run_for(c.base, 500);
	ck_assert_int_eq(c.calls, 3);

	/* Setting the same set again takes the current state as baseline. */
	write_file(path, "five");
	file_watch_set(fw, paths, 1);
	run_for(c.base, 400);
	ck_assert_int_eq(c.calls, 3);

	/* Nothing watched: changes go unnoticed. */
	file_watch_set(fw, NULL, 0);
	write_file(path, "six, changed");
	run_for(c.base, 400);
	ck_assert_int_eq(c.calls, 3);

	file_watch_free(fw);
	event_base_free(c.base);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("file_watch");
	TCase *tc = tcase_create("watch");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, change_then_quiet);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
