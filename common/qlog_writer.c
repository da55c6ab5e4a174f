/*
 * qlog_writer.c: the decision log's writer, a thread of its own; see
 * qlog.h for the rotation rules. One buffer; every drain formats what the
 * rings hold into it and writes it out with one write(2) (more only when a
 * drain holds more than the buffer, or the kernel takes a partial write).
 *
 * Why a thread and not a timer on the control loop: at 300k logged answers
 * a second each reader's ring fills in tens of milliseconds, and the
 * control loop also runs health checks, BGP and reloads. The writer sleeps
 * in poll() on an eventfd for at most QLOG_DRAIN_MS, and a ring that
 * reaches a quarter full wakes it at once (one eventfd write per quarter
 * ring, from the worker that crossed the mark). The mutex serialises the
 * thread with the control thread's set_path/flush/counters; the workers
 * never take it.
 *
 * PoP health events: on the same tick, after the rings, the writer reads
 * each watched health slot (one relaxed atomic load each) and writes a
 * line for every slot that differs from what it last wrote. Polling, not
 * a callback from the checker: the published state is the registry slot
 * (checks and operator overrides together), which nothing announces, and
 * the writer already wakes every QLOG_DRAIN_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/health.h"
#include "common/log.h"
#include "common/qlog.h"

#define QLOG_BUF (1u << 20)
#define QLOG_STAT_MS 1000
#define QLOG_DROP_REPORT_S 10

/* One watched health slot and the state last written for it. */
struct watched {
	_Atomic uint8_t *slot;     /* health_slot(): valid until the process exits */
	char pop[QLOG_NAME_MAX];   /* cut as answer records cut PoP names */
	uint8_t last;
};

struct qlog_writer {
	struct qlog_ring **rings;
	size_t n;
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	int wake;                  /* eventfd: rings filling, or stop */
	pthread_t thread;
	bool started;
	_Atomic bool stop;
	pthread_mutex_t mu;        /* everything below the rings */
	char *buf;
	size_t len;
	uint64_t written, dropped_seen;
	long last_stat_ms, last_drop_report;
	bool write_failed;         /* an error was logged; quiet until a write works */
	struct watched *watch;     /* qlog_writer_set_health's copy */
	size_t n_watch;
	char server[256];          /* server.identity, for event lines */
};

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_file(struct qlog_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static void add_event(struct qlog_writer *w, const struct watched *e, int64_t ts_ms);

/* Open w->path for appending and remember which file it is. A file other
 * than the one open before starts with the PoPs not up (a log that starts
 * during an outage says so). */
static int open_file(struct qlog_writer *w, char *err, size_t errlen)
{
	struct stat st;
	bool was_open = w->fd >= 0;
	dev_t dev = w->dev;
	ino_t ino = w->ino;
	close_file(w);
	if (!w->path)
		return 0;
	/* 0640: the log holds client subnets and locations. */
	int fd = open(w->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "decision log %s: cannot open: %s", w->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	w->fd = fd;
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	if (!was_open || dev != st.st_dev || ino != st.st_ino) {
		int64_t now = wall_ms();
		for (size_t i = 0; i < w->n_watch; i++)
			if (w->watch[i].last != HEALTH_UP)
				add_event(w, &w->watch[i], now);
	}
	return 0;
}

static void write_out(struct qlog_writer *w)
{
	size_t off = 0;
	while (w->fd >= 0 && off < w->len) {
		ssize_t r = write(w->fd, w->buf + off, w->len - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!w->write_failed)
				log_err("qlog", "decision log %s: write: %s (lines are lost until it works again)",
				        w->path, r < 0 ? strerror(errno) : "wrote nothing");
			w->write_failed = true;
			break;
		}
		off += (size_t)r;
	}
	if (off == w->len && w->write_failed && w->len) {
		log_info("qlog", "decision log %s: writing again", w->path);
		w->write_failed = false;
	}
	w->len = 0;
}

static void add_rec(const struct qlog_rec *rec, void *arg)
{
	struct qlog_writer *w = arg;
	if (w->fd < 0)
		return;  /* log off or not open: discard */
	if (QLOG_BUF - w->len < QLOG_LINE_MAX)
		write_out(w);
	size_t n = qlog_format(rec, w->buf + w->len, QLOG_BUF - w->len);
	if (n) {
		w->len += n;
		w->written++;
	}
}

/* The event line of e's state last, at ts_ms, into the buffer (which
 * write_out sends). */
static void add_event(struct qlog_writer *w, const struct watched *e, int64_t ts_ms)
{
	if (w->fd < 0)
		return;  /* log off or not open: the state is still tracked */
	if (QLOG_BUF - w->len < QLOG_LINE_MAX)
		write_out(w);
	struct qlog_event ev = { .ts_ms = ts_ms, .state = e->last };
	memcpy(ev.server, w->server, sizeof(ev.server));
	memcpy(ev.pop, e->pop, sizeof(ev.pop));
	size_t n = qlog_format_event(&ev, w->buf + w->len, QLOG_BUF - w->len);
	if (n) {
		w->len += n;
		w->written++;
	}
}

/* A line for every watched slot that changed since its last line. After
 * the rings: their records were taken before now, so the file stays
 * nearly in time order. w->mu held. */
static void poll_health(struct qlog_writer *w)
{
	int64_t now = 0;
	for (size_t i = 0; i < w->n_watch; i++) {
		struct watched *e = &w->watch[i];
		uint8_t st = atomic_load_explicit(e->slot, memory_order_relaxed);
		if (st == e->last)
			continue;
		if (!now)
			now = wall_ms();
		e->last = st;
		add_event(w, e, now);
	}
}

/* Drain every ring, poll the health slots, and write; w->mu held. */
static size_t flush_locked(struct qlog_writer *w)
{
	uint64_t before = w->written;
	for (size_t i = 0; i < w->n; i++)
		qlog_ring_drain(w->rings[i], add_rec, w);
	poll_health(w);
	write_out(w);
	return (size_t)(w->written - before);
}

size_t qlog_writer_flush(struct qlog_writer *w)
{
	pthread_mutex_lock(&w->mu);
	size_t n = flush_locked(w);
	pthread_mutex_unlock(&w->mu);
	return n;
}

/* Reopen when logrotate moved or removed our file (see qlog.h). */
static void check_rotated(struct qlog_writer *w)
{
	struct stat st;
	if (!w->path)
		return;
	if (w->fd >= 0 && stat(w->path, &st) == 0 && st.st_dev == w->dev && st.st_ino == w->ino)
		return;
	char err[512];
	if (open_file(w, err, sizeof(err)) < 0) {
		if (!w->write_failed)
			log_err("qlog", "%s", err);
		w->write_failed = true;
	} else {
		log_info("qlog", "decision log %s reopened", w->path);
		w->write_failed = false;
	}
}

static void report_drops(struct qlog_writer *w)
{
	long now = now_ms() / 1000;
	if (now - w->last_drop_report < QLOG_DROP_REPORT_S)
		return;
	w->last_drop_report = now;
	uint64_t d = qlog_writer_dropped(w);
	if (d > w->dropped_seen)
		log_warn("qlog", "decision log: %llu records dropped (worker rings full), %llu in all",
		         (unsigned long long)(d - w->dropped_seen), (unsigned long long)d);
	w->dropped_seen = d;
}

static void *writer_main(void *arg)
{
	struct qlog_writer *w = arg;
	struct pollfd pfd = { .fd = w->wake, .events = POLLIN };

	while (!atomic_load(&w->stop)) {
		if (poll(&pfd, 1, QLOG_DRAIN_MS) > 0) {
			uint64_t v;
			(void)!read(w->wake, &v, sizeof(v));
		}
		pthread_mutex_lock(&w->mu);
		/* Drain first: lines of the old file go to the old file. */
		flush_locked(w);
		long now = now_ms();
		if (now - w->last_stat_ms >= QLOG_STAT_MS) {
			w->last_stat_ms = now;
			check_rotated(w);
		}
		report_drops(w);
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

struct qlog_writer *qlog_writer_new(struct qlog_ring **rings, size_t n, const char *path,
                                    char *err, size_t errlen)
{
	struct qlog_writer *w = calloc(1, sizeof(*w));
	if (!w)
		goto oom;
	w->fd = -1;
	w->wake = -1;
	w->rings = rings;
	w->n = n;
	pthread_mutex_init(&w->mu, NULL);
	w->buf = malloc(QLOG_BUF);
	w->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!w->buf || w->wake < 0)
		goto oom;
	w->last_stat_ms = now_ms();
	w->last_drop_report = w->last_stat_ms / 1000;
	if (path) {
		w->path = strdup(path);
		if (!w->path)
			goto oom;
		if (open_file(w, err, errlen) < 0) {
			qlog_writer_free(w);
			return NULL;
		}
	}
	for (size_t i = 0; i < n; i++)
		qlog_ring_set_wake(rings[i], w->wake);
	/* Signals are the control thread's: the writer starts with all of
	 * them blocked. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "decision log: cannot start its writer thread");
		qlog_writer_free(w);
		return NULL;
	}
	w->started = true;
	return w;
oom:
	snprintf(err, errlen, "decision log: out of memory");
	qlog_writer_free(w);
	return NULL;
}

int qlog_writer_set_path(struct qlog_writer *w, const char *path, bool reopen)
{
	bool same = (!path && !w->path) || (path && w->path && strcmp(path, w->path) == 0);
	if (same && !reopen)
		return 0;
	pthread_mutex_lock(&w->mu);
	flush_locked(w);
	int rc = -1;
	char *np = path ? strdup(path) : NULL;
	if (path && !np)
		goto out;
	free(w->path);
	w->path = np;
	char err[512];
	if (open_file(w, err, sizeof(err)) < 0) {
		log_err("qlog", "%s", err);
		w->write_failed = true;
		goto out;
	}
	w->write_failed = false;
	if (path)
		log_info("qlog", "decision log %s %s", path, same ? "reopened" : "opened");
	rc = 0;
out:
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int qlog_writer_set_health(struct qlog_writer *w, const char *server, const struct qlog_watch *watch,
                           size_t n)
{
	struct watched *nw = n ? calloc(n, sizeof(*nw)) : NULL;
	if (n && !nw)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		nw[i].slot = health_slot(watch[i].slot);
		if (!nw[i].slot)
			goto oom;
		qlog_copy_str(nw[i].pop, sizeof(nw[i].pop), watch[i].pop);
	}
	pthread_mutex_lock(&w->mu);
	/* Changes so far are reported with the set and identity they
	 * happened under. */
	flush_locked(w);
	qlog_copy_str(w->server, sizeof(w->server), server);
	int64_t now = wall_ms();
	for (size_t i = 0; i < n; i++) {
		struct watched *e = &nw[i];
		size_t j = 0;
		while (j < w->n_watch &&
		       (w->watch[j].slot != e->slot || strcmp(w->watch[j].pop, e->pop) != 0))
			j++;
		if (j < w->n_watch) {
			e->last = w->watch[j].last;   /* watched before: changes only */
			continue;
		}
		e->last = atomic_load_explicit(e->slot, memory_order_relaxed);
		if (e->last != HEALTH_UP)
			add_event(w, e, now);
	}
	free(w->watch);
	w->watch = nw;
	w->n_watch = n;
	write_out(w);
	pthread_mutex_unlock(&w->mu);
	return 0;
oom:
	free(nw);
	log_err("qlog", "decision log: out of memory: PoP health events not updated");
	return -1;
}

uint64_t qlog_writer_written(struct qlog_writer *w)
{
	pthread_mutex_lock(&w->mu);
	uint64_t n = w->written;
	pthread_mutex_unlock(&w->mu);
	return n;
}

uint64_t qlog_writer_dropped(const struct qlog_writer *w)
{
	uint64_t d = 0;
	for (size_t i = 0; i < w->n; i++)
		d += atomic_load_explicit(&w->rings[i]->dropped, memory_order_relaxed);
	return d;
}

void qlog_writer_free(struct qlog_writer *w)
{
	if (!w)
		return;
	if (w->started) {
		atomic_store(&w->stop, true);
		uint64_t one = 1;
		(void)!write(w->wake, &one, sizeof(one));
		pthread_join(w->thread, NULL);
	}
	for (size_t i = 0; i < w->n; i++)
		qlog_ring_set_wake(w->rings[i], -1);
	if (w->buf) {
		qlog_writer_flush(w);
		uint64_t d = qlog_writer_dropped(w);
		if (w->path)
			log_info("qlog", "decision log: %llu lines written, %llu dropped",
			         (unsigned long long)w->written, (unsigned long long)d);
	}
	if (w->wake >= 0)
		close(w->wake);
	close_file(w);
	pthread_mutex_destroy(&w->mu);
	free(w->buf);
	free(w->path);
	free(w->watch);
	free(w);
}
