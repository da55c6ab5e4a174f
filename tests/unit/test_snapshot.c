/*
 * test_snapshot.c: epoch-based config reclamation (snapshot.c). The
 * snapshot never looks inside a config, so fake configs stand in for real
 * ones and a fake free records what was released. Most tests play the
 * workers by hand from one thread, so each interleaving is exact; one test
 * runs real threads against a publishing control loop.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/snapshot.h"

#define FAKE_LIVE 0x5eed1e55u

struct fake {
	unsigned magic;
	int id;
};

static int freed_ids[64];
static int nfreed;

static struct config *fake_new(int id)
{
	struct fake *f = malloc(sizeof(*f));
	ck_assert_ptr_nonnull(f);
	f->magic = FAKE_LIVE;
	f->id = id;
	return (struct config *)f;
}

static int fake_id(const struct config *c)
{
	return ((const struct fake *)c)->id;
}

static void fake_free(struct config *c)
{
	struct fake *f = (struct fake *)c;
	ck_assert_uint_eq(f->magic, FAKE_LIVE);  /* never freed twice */
	if (nfreed < 64)
		freed_ids[nfreed] = f->id;
	nfreed++;
	f->magic = 0;
	free(f);
}

static bool was_freed(int id)
{
	for (int i = 0; i < nfreed && i < 64; i++)
		if (freed_ids[i] == id)
			return true;
	return false;
}

static void reset(void)
{
	nfreed = 0;
	memset(freed_ids, 0, sizeof(freed_ids));
}

START_TEST(min_epoch_pure)
{
	uint64_t none[1] = { 0 };
	uint64_t all_q[3] = { SNAPSHOT_QUIESCENT, SNAPSHOT_QUIESCENT, SNAPSHOT_QUIESCENT };
	uint64_t mixed[4] = { 7, SNAPSHOT_QUIESCENT, 3, 9 };

	ck_assert_uint_eq(snapshot_min_epoch(none, 0), SNAPSHOT_QUIESCENT);
	ck_assert_uint_eq(snapshot_min_epoch(all_q, 3), SNAPSHOT_QUIESCENT);
	ck_assert_uint_eq(snapshot_min_epoch(mixed, 4), 3);
	ck_assert_uint_eq(snapshot_min_epoch(mixed, 1), 7);
}
END_TEST

START_TEST(enter_sees_initial_then_published)
{
	struct snapshot s;
	reset();
	ck_assert_int_eq(snapshot_init(&s, fake_new(1), 2, fake_free), 0);
	ck_assert_int_eq(fake_id(snapshot_enter(&s, 0)), 1);
	snapshot_exit(&s, 0);
	snapshot_publish(&s, fake_new(2));
	ck_assert_int_eq(fake_id(snapshot_current(&s)), 2);
	ck_assert_int_eq(fake_id(snapshot_enter(&s, 1)), 2);
	snapshot_exit(&s, 1);
	ck_assert_uint_eq(snapshot_pending(&s), 1);
	snapshot_destroy(&s);
	ck_assert_int_eq(nfreed, 2);
}
END_TEST

START_TEST(idle_workers_do_not_pin)
{
	struct snapshot s;
	reset();
	snapshot_init(&s, fake_new(1), 4, fake_free);
	snapshot_publish(&s, fake_new(2));
	/* No worker is inside a batch: the old config is unreachable. */
	ck_assert_uint_eq(snapshot_reclaim(&s), 1);
	ck_assert(was_freed(1));
	ck_assert_uint_eq(snapshot_pending(&s), 0);
	snapshot_destroy(&s);
	ck_assert_int_eq(nfreed, 2);
}
END_TEST

START_TEST(reader_in_old_epoch_pins_until_exit)
{
	struct snapshot s;
	reset();
	snapshot_init(&s, fake_new(1), 2, fake_free);
	const struct config *held = snapshot_enter(&s, 0);
	ck_assert_int_eq(fake_id(held), 1);
	snapshot_publish(&s, fake_new(2));
	ck_assert_uint_eq(snapshot_reclaim(&s), 0);
	ck_assert_int_eq(nfreed, 0);
	/* Still readable: the worker is mid-batch. */
	ck_assert_uint_eq(((const struct fake *)held)->magic, FAKE_LIVE);
	/* The other worker comes and goes: changes nothing. */
	snapshot_enter(&s, 1);
	snapshot_exit(&s, 1);
	ck_assert_uint_eq(snapshot_reclaim(&s), 0);
	snapshot_exit(&s, 0);
	ck_assert_uint_eq(snapshot_reclaim(&s), 1);
	ck_assert(was_freed(1));
	snapshot_destroy(&s);
}
END_TEST

START_TEST(reader_entered_after_publish_does_not_pin)
{
	struct snapshot s;
	reset();
	snapshot_init(&s, fake_new(1), 1, fake_free);
	snapshot_publish(&s, fake_new(2));
	const struct config *c = snapshot_enter(&s, 0);
	ck_assert_int_eq(fake_id(c), 2);
	/* Busy, but in the new epoch: the old one can go. */
	ck_assert_uint_eq(snapshot_reclaim(&s), 1);
	ck_assert(was_freed(1));
	ck_assert(!was_freed(2));
	snapshot_exit(&s, 0);
	snapshot_destroy(&s);
	ck_assert(was_freed(2));
}
END_TEST

START_TEST(several_reloads_free_in_epoch_order)
{
	struct snapshot s;
	reset();
	snapshot_init(&s, fake_new(1), 2, fake_free);
	snapshot_enter(&s, 0);                 /* worker 0 holds 1 */
	snapshot_publish(&s, fake_new(2));     /* retires 1 */
	snapshot_enter(&s, 1);                 /* worker 1 holds 2 */
	snapshot_publish(&s, fake_new(3));     /* retires 2 */
	snapshot_publish(&s, fake_new(4));     /* retires 3: nobody saw it */
	ck_assert_uint_eq(snapshot_pending(&s), 3);
	/* Worker 0 is in the oldest epoch, so nothing newer than it can go
	 * either: it might have loaded any of them. */
	ck_assert_uint_eq(snapshot_reclaim(&s), 0);
	snapshot_exit(&s, 0);
	/* Now only worker 1 (epoch of config 2) pins 2 and 3, not 1. */
	ck_assert_uint_eq(snapshot_reclaim(&s), 1);
	ck_assert(was_freed(1));
	ck_assert_uint_eq(snapshot_pending(&s), 2);
	snapshot_exit(&s, 1);
	ck_assert_uint_eq(snapshot_reclaim(&s), 2);
	ck_assert(was_freed(2) && was_freed(3));
	ck_assert(!was_freed(4));
	snapshot_destroy(&s);
	ck_assert_int_eq(nfreed, 4);
}
END_TEST

START_TEST(reclaim_upto_boundary)
{
	struct snapshot s;
	reset();
	snapshot_init(&s, fake_new(1), 1, fake_free);
	uint64_t e2 = snapshot_publish(&s, fake_new(2));  /* 1 retired at e2 */
	uint64_t e3 = snapshot_publish(&s, fake_new(3));  /* 2 retired at e3 */
	ck_assert_uint_eq(e3, e2 + 1);
	/* A worker announced e2 - 1 loaded before the first swap: pins both. */
	ck_assert_uint_eq(snapshot_reclaim_upto(&s, e2 - 1), 0);
	/* Announced e2: loaded after swap 1, maybe before swap 2. */
	ck_assert_uint_eq(snapshot_reclaim_upto(&s, e2), 1);
	ck_assert(was_freed(1) && !was_freed(2));
	ck_assert_uint_eq(snapshot_reclaim_upto(&s, e3), 1);
	ck_assert(was_freed(2));
	ck_assert_uint_eq(snapshot_reclaim_upto(&s, SNAPSHOT_QUIESCENT), 0);
	snapshot_destroy(&s);
	ck_assert_int_eq(nfreed, 3);
}
END_TEST

/* --- real threads: readers must never see a freed config --- */

#define STRESS_WORKERS 3
#define STRESS_PUBLISHES 2000

struct stress {
	struct snapshot s;
	atomic_bool stop;
	atomic_uint bad;
	atomic_ulong reads;
};

struct stress_arg {
	struct stress *st;
	size_t idx;
};

static void *stress_worker(void *p)
{
	struct stress_arg *a = p;
	struct stress *st = a->st;

	while (!atomic_load(&st->stop)) {
		const struct config *c = snapshot_enter(&st->s, a->idx);
		const volatile struct fake *f = (const volatile struct fake *)c;
		/* Read several times across the batch, like a real worker. */
		for (int i = 0; i < 16; i++)
			if (f->magic != FAKE_LIVE)
				atomic_fetch_add(&st->bad, 1);
		atomic_fetch_add(&st->reads, 1);
		snapshot_exit(&st->s, a->idx);
	}
	return NULL;
}

START_TEST(threads_never_see_freed)
{
	static struct stress st;
	struct stress_arg args[STRESS_WORKERS];
	pthread_t th[STRESS_WORKERS];

	reset();
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(snapshot_init(&st.s, fake_new(0), STRESS_WORKERS, fake_free), 0);
	for (size_t i = 0; i < STRESS_WORKERS; i++) {
		args[i].st = &st;
		args[i].idx = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, stress_worker, &args[i]), 0);
	}
	size_t freed = 0;
	for (int i = 1; i <= STRESS_PUBLISHES; i++) {
		snapshot_publish(&st.s, fake_new(i));
		freed += snapshot_reclaim(&st.s);
	}
	atomic_store(&st.stop, true);
	for (size_t i = 0; i < STRESS_WORKERS; i++)
		pthread_join(th[i], NULL);
	/* With every worker stopped (quiescent) everything retired goes. */
	freed += snapshot_reclaim(&st.s);
	ck_assert_uint_eq(freed, STRESS_PUBLISHES);
	ck_assert_uint_eq(snapshot_pending(&st.s), 0);
	ck_assert_uint_eq(atomic_load(&st.bad), 0);
	ck_assert_uint_gt(atomic_load(&st.reads), 0);
	snapshot_destroy(&st.s);
	ck_assert_int_eq(nfreed, STRESS_PUBLISHES + 1);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("epochs");

	tcase_add_test(tc, min_epoch_pure);
	tcase_add_test(tc, enter_sees_initial_then_published);
	tcase_add_test(tc, idle_workers_do_not_pin);
	tcase_add_test(tc, reader_in_old_epoch_pins_until_exit);
	tcase_add_test(tc, reader_entered_after_publish_does_not_pin);
	tcase_add_test(tc, several_reloads_free_in_epoch_order);
	tcase_add_test(tc, reclaim_upto_boundary);
	suite_add_tcase(s, tc);

	TCase *tt = tcase_create("threads");
	tcase_set_timeout(tt, 30);
	tcase_add_test(tt, threads_never_see_freed);
	suite_add_tcase(s, tt);
	return s;
}

#include "tests/unit/check_main.h"
