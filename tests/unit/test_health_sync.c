/*
 * test_health_sync.c: common/health*.c beyond the network probes: the
 * state registry's slots, invalid check configs skipped, state files
 * edited on disk (up/drain/down, missing at start), re-read only when
 * their stat (inode, size, mtime) changed, sync across
 * "reloads" keeping unchanged checks and their state, and the change
 * callback's record. Runs on a real libevent loop; the helpers are in
 * health_test_util.h, the tcp/http/dns checks in test_health.c.
 */
#include <check.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/health.h"
#include "common/health_int.h"
#include "tests/unit/health_test_util.h"

/* ------------------------------------------------------------------ */
/* Registry and invalid configs */

START_TEST(registry_slots)
{
	_Atomic uint8_t *a = health_slot("eu-west");
	_Atomic uint8_t *b = health_slot("us-east");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	ck_assert_ptr_eq(health_slot("eu-west"), a);
	ck_assert_int_eq(atomic_load(a), HEALTH_UP);
	atomic_store(a, HEALTH_DRAIN);
	/* stable and common to all: a second lookup sees the same byte */
	ck_assert_int_eq(atomic_load(health_slot("eu-west")), HEALTH_DRAIN);
	ck_assert_int_eq(atomic_load(b), HEALTH_UP);
	ck_assert_str_eq(health_state_name(HEALTH_UP), "up");
	ck_assert_str_eq(health_state_name(HEALTH_DOWN), "down");
	ck_assert_str_eq(health_state_name(HEALTH_DRAIN), "drain");
}
END_TEST

START_TEST(invalid_confs_skipped)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	struct tcp_srv srv = { 0 };
	srv_open(&srv, base, 0);
	struct check_conf good = net_conf(CHECK_TCP, fd_port(srv.fd), 100, 50, 1, 1);
	struct check_conf noname = net_conf(CHECK_DNS, 53, 100, 50, 1, 1);
	struct check_conf noport = net_conf(CHECK_TCP, 0, 100, 50, 1, 1);
	struct check_conf nofile = { .type = CHECK_FILE };
	struct check_conf badtype = { .type = 99 };
	const char *names[] = { "iv-dns", "iv-good", "iv-port", "iv-file", "iv-type", "iv-good" };
	const struct check_conf *confs[] = { &noname, &good, &noport, &nofile, &badtype, &good };

	ck_assert_int_eq(health_checker_sync(hc, names, confs, 6), -1);
	/* the valid one runs anyway */
	ck_assert_int_ne(run_until(base, accepted_more, &srv, 500), -1);
	health_checker_free(hc);
	srv_close(&srv);
	event_base_free(base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* file */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

#define I_FILE 100

START_TEST(file_states)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	char dir[] = "/tmp/steerdns-health-XXXXXX", path[64];
	int calls = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	write_file(path, "up\n");
	health_checker_on_change(hc, record_change, &calls);
	struct check_conf c = { .type = CHECK_FILE, .file = path, .interval_ms = I_FILE };
	sync1(hc, "t-file", &c);
	run_for(base, I_FILE / 2);
	ck_assert_int_eq(state_of("t-file"), HEALTH_UP);

	/* each edit applies at the next tick, at once (no rise/fall) */
	write_file(path, "  drain \n");
	long t = wait_state(base, "t-file", HEALTH_DRAIN, 3 * I_FILE);
	ck_assert_int_le(t, I_FILE + 30);
	write_file(path, "down");
	t = wait_state(base, "t-file", HEALTH_DOWN, 3 * I_FILE);
	ck_assert_int_le(t, I_FILE + 30);
	write_file(path, "UP\r\n");
	ck_assert_int_le(wait_state(base, "t-file", HEALTH_UP, 3 * I_FILE), I_FILE + 30);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_le(wait_state(base, "t-file", HEALTH_DOWN, 3 * I_FILE), I_FILE + 30);
	write_file(path, "maybe");   /* not a state: down */
	run_for(base, 2 * I_FILE);
	ck_assert_int_eq(state_of("t-file"), HEALTH_DOWN);
	write_file(path, "up");
	ck_assert_int_le(wait_state(base, "t-file", HEALTH_UP, 3 * I_FILE), I_FILE + 30);
	/* An operator's override (`ctl pop NAME down`) publishes DOWN over
	 * the checks, which keep their own state underneath and report no
	 * change; auto publishes theirs again. */
	ck_assert_int_eq(health_admin_set("t-file", HEALTH_ADMIN_DOWN), 0);
	run_for(base, 2 * I_FILE);
	ck_assert_int_eq(state_of("t-file"), HEALTH_DOWN);
	ck_assert_int_eq(health_check_get("t-file"), HEALTH_UP);
	write_file(path, "drain");
	run_for(base, 2 * I_FILE);
	ck_assert_int_eq(health_check_get("t-file"), HEALTH_DRAIN);
	ck_assert_int_eq(state_of("t-file"), HEALTH_DOWN);
	ck_assert_int_eq(health_admin_set("t-file", HEALTH_ADMIN_UP), 0);
	ck_assert_int_eq(state_of("t-file"), HEALTH_UP);
	ck_assert_int_eq(health_admin_set("t-file", HEALTH_ADMIN_AUTO), 0);
	ck_assert_int_eq(state_of("t-file"), HEALTH_DRAIN);
	write_file(path, "up ");
	wait_state(base, "t-file", HEALTH_UP, 3 * I_FILE);

	ck_assert_int_eq(calls, 7);
	assert_change(0, "t-file", HEALTH_UP, HEALTH_DRAIN);
	assert_change(1, "t-file", HEALTH_DRAIN, HEALTH_DOWN);
	assert_change(2, "t-file", HEALTH_DOWN, HEALTH_UP);
	assert_change(3, "t-file", HEALTH_UP, HEALTH_DOWN);
	assert_change(4, "t-file", HEALTH_DOWN, HEALTH_UP);
	assert_change(5, "t-file", HEALTH_UP, HEALTH_DRAIN);  /* under the override */
	assert_change(6, "t-file", HEALTH_DRAIN, HEALTH_UP);

	health_checker_free(hc);
	unlink(path);
	rmdir(dir);
	event_base_free(base);
}
END_TEST

/* Set path's mtime to mtime (atime left alone). */
static void set_mtime(const char *path, struct timespec mtime)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, mtime };
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static struct stat stat_of(const char *path)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st;
}

static bool same_mtime(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * health.h: a file check re-reads its file only when its stat (inode,
 * size, mtime) changed, not on every interval. So new text written under
 * the same inode, size and mtime is not seen, however many intervals
 * pass; a change of the mtime alone, of the size alone or of the inode
 * alone (a file renamed over it) makes the next tick read it. Each step
 * first checks with stat() that the file changed exactly as meant.
 */
START_TEST(file_reread_only_on_stat_change)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	char dir[] = "/tmp/steerdns-health-XXXXXX", path[64], next[64];
	int calls = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(next, sizeof(next), "%s/state.new", dir);
	write_file(path, "down");
	health_checker_on_change(hc, record_change, &calls);
	struct check_conf c = { .type = CHECK_FILE, .file = path, .interval_ms = I_FILE };
	sync1(hc, "t-reread", &c);
	wait_state(base, "t-reread", HEALTH_DOWN, 3 * I_FILE);

	/* Same inode (rewritten in place), same size (4 bytes), mtime put
	 * back: "up  " is never read. */
	struct stat was = stat_of(path);
	write_file(path, "up  ");
	set_mtime(path, was.st_mtim);
	struct stat now = stat_of(path);
	ck_assert(now.st_ino == was.st_ino && now.st_size == was.st_size && same_mtime(&now, &was));
	run_for(base, 3 * I_FILE);
	ck_assert_int_eq(health_check_get("t-reread"), HEALTH_DOWN);
	ck_assert_int_eq(calls, 1);

	/* Touched: the mtime alone moves (one second on), the text is read. */
	struct timespec later = { was.st_mtim.tv_sec + 1, was.st_mtim.tv_nsec };
	set_mtime(path, later);
	now = stat_of(path);
	ck_assert(now.st_ino == was.st_ino && now.st_size == was.st_size && !same_mtime(&now, &was));
	ck_assert_int_le(wait_state(base, "t-reread", HEALTH_UP, 3 * I_FILE), I_FILE + 30);

	/* The size alone: "drain" (5 bytes) in place, mtime put back. */
	was = stat_of(path);
	write_file(path, "drain");
	set_mtime(path, was.st_mtim);
	now = stat_of(path);
	ck_assert(now.st_ino == was.st_ino && now.st_size == was.st_size + 1 && same_mtime(&now, &was));
	ck_assert_int_le(wait_state(base, "t-reread", HEALTH_DRAIN, 3 * I_FILE), I_FILE + 30);

	/* The inode alone: another file of 5 bytes with the same mtime
	 * renamed over it (as a deploy script replaces a file). */
	was = stat_of(path);
	write_file(next, "down ");
	set_mtime(next, was.st_mtim);
	ck_assert_int_eq(rename(next, path), 0);
	now = stat_of(path);
	ck_assert(now.st_ino != was.st_ino && now.st_size == was.st_size && same_mtime(&now, &was));
	ck_assert_int_le(wait_state(base, "t-reread", HEALTH_DOWN, 3 * I_FILE), I_FILE + 30);

	/* Left alone: nothing more happens. */
	run_for(base, 3 * I_FILE);
	ck_assert_int_eq(calls, 4);
	assert_change(0, "t-reread", HEALTH_UP, HEALTH_DOWN);   /* slots start up */
	assert_change(1, "t-reread", HEALTH_DOWN, HEALTH_UP);
	assert_change(2, "t-reread", HEALTH_UP, HEALTH_DRAIN);
	assert_change(3, "t-reread", HEALTH_DRAIN, HEALTH_DOWN);

	health_checker_free(hc);
	unlink(path);
	rmdir(dir);
	event_base_free(base);
}
END_TEST

START_TEST(file_missing_at_start)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	struct check_conf c = { .type = CHECK_FILE, .file = "/nonexistent/steerdns/state",
	                        .interval_ms = I_FILE };
	sync1(hc, "t-file-missing", &c);
	wait_state(base, "t-file-missing", HEALTH_DOWN, 50);
	health_checker_free(hc);
	event_base_free(base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* sync */

START_TEST(sync_keeps_unchanged)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	char dir[] = "/tmp/steerdns-health-XXXXXX", pb[64], pc[64];
	int calls = 0;

	health_checker_on_change(hc, record_change, &calls);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(pb, sizeof(pb), "%s/b", dir);
	snprintf(pc, sizeof(pc), "%s/c", dir);
	write_file(pb, "down");
	write_file(pc, "drain");

	/* A: http to a closed port, fails every 200 ms, fall 3 */
	uint16_t port = closed_port();
	struct check_conf a = net_conf(CHECK_HTTP, port, 200, 100, 1, 3);
	a.path = "/a";
	struct check_conf b = { .type = CHECK_FILE, .file = pb, .interval_ms = 50 };
	const char *n1[] = { "s-a", "s-b" };
	const struct check_conf *c1[] = { &a, &b };
	ck_assert_int_eq(health_checker_sync(hc, n1, c1, 2), 0);

	/* failures at 0 and 200 ms: A still up; B down */
	run_for(base, 300);
	ck_assert_int_eq(state_of("s-a"), HEALTH_UP);
	ck_assert_int_eq(state_of("s-b"), HEALTH_DOWN);

	/* Reload: A equal in content (other pointers), B removed, C new. */
	char *path_copy = strdup("/a");
	struct check_conf a2 = a;
	a2.path = path_copy;
	struct check_conf c = { .type = CHECK_FILE, .file = pc, .interval_ms = 50 };
	const char *n2[] = { "s-c", "s-a" };
	const struct check_conf *c2[] = { &c, &a2 };
	ck_assert_int_eq(health_checker_sync(hc, n2, c2, 2), 0);
	free(path_copy);   /* the checker copied it */
	/* removed: up at once */
	ck_assert_int_eq(state_of("s-b"), HEALTH_UP);
	/* A kept its two failures and its schedule: the third comes at
	 * ~400 ms, 100 ms from now. Restarted, it would take 400 ms. */
	long t = wait_state(base, "s-a", HEALTH_DOWN, 1000);
	ck_assert_int_lt(t, 250);
	wait_state(base, "s-c", HEALTH_DRAIN, 200);
	/* B is no longer watched */
	write_file(pb, "drain");
	run_for(base, 200);
	ck_assert_int_eq(state_of("s-b"), HEALTH_UP);

	/* A changed (fall 5): restarted, its slot keeps DOWN for the new
	 * check to confirm or clear. */
	struct check_conf a3 = a;
	a3.fall = 5;
	const struct check_conf *c3[] = { &c, &a3 };
	ck_assert_int_eq(health_checker_sync(hc, n2, c3, 2), 0);
	ck_assert_int_eq(state_of("s-a"), HEALTH_DOWN);
	run_for(base, 100);
	ck_assert_int_eq(state_of("s-a"), HEALTH_DOWN);

	/* nothing checked any more: everything up */
	ck_assert_int_eq(health_checker_sync(hc, NULL, NULL, 0), 0);
	ck_assert_int_eq(state_of("s-a"), HEALTH_UP);
	ck_assert_int_eq(state_of("s-c"), HEALTH_UP);

	ck_assert_int_eq(calls, 6);
	assert_change(0, "s-b", HEALTH_UP, HEALTH_DOWN);
	assert_change(1, "s-b", HEALTH_DOWN, HEALTH_UP);
	/* s-a DOWN and s-c DRAIN in either order */
	ck_assert(strcmp(changes[2].name, "s-a") == 0 || strcmp(changes[3].name, "s-a") == 0);
	ck_assert(changes[4].now == HEALTH_UP && changes[5].now == HEALTH_UP);

	health_checker_free(hc);
	unlink(pb);
	unlink(pc);
	rmdir(dir);
	event_base_free(base);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("health_sync");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, registry_slots);
	tcase_add_test(tc, invalid_confs_skipped);
	tcase_add_test(tc, file_states);
	tcase_add_test(tc, file_reread_only_on_stat_change);
	tcase_add_test(tc, file_missing_at_start);
	tcase_add_test(tc, sync_keeps_unchanged);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
