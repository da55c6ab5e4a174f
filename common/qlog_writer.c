/*
 * qlog_writer.c: the decision log's writer on the control thread; see
 * qlog.h for the rotation rules. One buffer; every drain formats what the
 * rings hold into it and writes it out with one write(2) (more only when a
 * drain holds more than the buffer, or the kernel takes a partial write).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/qlog.h"

#define QLOG_BUF (1u << 20)
#define QLOG_LINE_MAX 2048     /* room kept free for one more line */
#define QLOG_STAT_MS 1000
#define QLOG_DROP_REPORT_S 10

struct qlog_writer {
	struct qlog_ring **rings;
	size_t n;
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	struct event *timer;
	char *buf;
	size_t len;
	uint64_t written, dropped_seen;
	long last_stat_ms, last_drop_report;
	bool write_failed;         /* an error was logged; quiet until a write works */
};

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_file(struct qlog_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* Open w->path for appending and remember which file it is. */
static int open_file(struct qlog_writer *w, char *err, size_t errlen)
{
	struct stat st;
	close_file(w);
	if (!w->path)
		return 0;
	int fd = open(w->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "decision log %s: cannot open: %s", w->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	w->fd = fd;
	w->dev = st.st_dev;
	w->ino = st.st_ino;
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

size_t qlog_writer_flush(struct qlog_writer *w)
{
	uint64_t before = w->written;
	for (size_t i = 0; i < w->n; i++)
		qlog_ring_drain(w->rings[i], add_rec, w);
	write_out(w);
	return (size_t)(w->written - before);
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

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct qlog_writer *w = arg;
	(void)fd;
	(void)what;
	/* Drain first: lines of the old file go to the old file. */
	qlog_writer_flush(w);
	long now = now_ms();
	if (now - w->last_stat_ms >= QLOG_STAT_MS) {
		w->last_stat_ms = now;
		check_rotated(w);
	}
	report_drops(w);
}

struct qlog_writer *qlog_writer_new(struct event_base *base, struct qlog_ring **rings, size_t n,
                                    const char *path, char *err, size_t errlen)
{
	struct qlog_writer *w = calloc(1, sizeof(*w));
	struct timeval tv = { 0, QLOG_DRAIN_MS * 1000 };
	if (!w)
		goto oom;
	w->fd = -1;
	w->rings = rings;
	w->n = n;
	w->buf = malloc(QLOG_BUF);
	w->timer = event_new(base, -1, EV_PERSIST, timer_cb, w);
	if (!w->buf || !w->timer || event_add(w->timer, &tv) != 0)
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
	qlog_writer_flush(w);
	char *np = path ? strdup(path) : NULL;
	if (path && !np)
		return -1;
	free(w->path);
	w->path = np;
	char err[512];
	if (open_file(w, err, sizeof(err)) < 0) {
		log_err("qlog", "%s", err);
		w->write_failed = true;
		return -1;
	}
	w->write_failed = false;
	if (path)
		log_info("qlog", "decision log %s %s", path, same ? "reopened" : "opened");
	return 0;
}

uint64_t qlog_writer_written(const struct qlog_writer *w)
{
	return w->written;
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
	if (w->buf) {
		qlog_writer_flush(w);
		uint64_t d = qlog_writer_dropped(w);
		if (w->path)
			log_info("qlog", "decision log: %llu lines written, %llu dropped",
			         (unsigned long long)w->written, (unsigned long long)d);
	}
	if (w->timer)
		event_free(w->timer);
	close_file(w);
	free(w->buf);
	free(w->path);
	free(w);
}
