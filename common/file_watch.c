/* file_watch.c: stat-polling change detection with a quiet period; see file_watch.h. */
#include "common/file_watch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>

struct watched {
	char *path;
	struct stat st;
	bool exists;
};

struct file_watch {
	struct event *timer;
	unsigned quiet_ms;
	void (*cb)(void *arg);
	void *arg;
	struct watched *files;
	size_t n;
	bool pending;            /* a change is waiting for its quiet period */
	struct timespec changed; /* when the last change was seen */
};

static void snap(struct watched *w)
{
	w->exists = stat(w->path, &w->st) == 0;
}

static bool differs(const struct watched *w)
{
	struct stat st;
	bool exists = stat(w->path, &st) == 0;
	if (exists != w->exists)
		return true;
	if (!exists)
		return false;
	return st.st_ino != w->st.st_ino || st.st_dev != w->st.st_dev ||
	       st.st_size != w->st.st_size || st.st_mtim.tv_sec != w->st.st_mtim.tv_sec ||
	       st.st_mtim.tv_nsec != w->st.st_mtim.tv_nsec;
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct file_watch *fw = arg;
	(void)fd;
	(void)what;
	bool changed = false;
	for (size_t i = 0; i < fw->n; i++) {
		if (differs(&fw->files[i])) {
			snap(&fw->files[i]);
			changed = true;
		}
	}
	if (changed) {
		fw->pending = true;
		clock_gettime(CLOCK_MONOTONIC, &fw->changed);
		return;
	}
	if (fw->pending && ms_since(&fw->changed) >= (long)fw->quiet_ms) {
		fw->pending = false;
		fw->cb(fw->arg);
	}
}

struct file_watch *file_watch_new(struct event_base *base, unsigned poll_ms, unsigned quiet_ms,
                                  void (*cb)(void *arg), void *arg)
{
	struct file_watch *fw = calloc(1, sizeof(*fw));
	if (!fw)
		return NULL;
	fw->quiet_ms = quiet_ms;
	fw->cb = cb;
	fw->arg = arg;
	fw->timer = event_new(base, -1, EV_PERSIST, tick, fw);
	struct timeval tv = { poll_ms / 1000, (poll_ms % 1000) * 1000 };
	if (!fw->timer || event_add(fw->timer, &tv) != 0) {
		file_watch_free(fw);
		return NULL;
	}
	return fw;
}

static void clear(struct file_watch *fw)
{
	for (size_t i = 0; i < fw->n; i++)
		free(fw->files[i].path);
	free(fw->files);
	fw->files = NULL;
	fw->n = 0;
}

void file_watch_set(struct file_watch *fw, const char *const *paths, size_t n)
{
	clear(fw);
	fw->pending = false;
	if (n == 0)
		return;
	fw->files = calloc(n, sizeof(*fw->files));
	if (!fw->files)
		return;
	for (size_t i = 0; i < n; i++) {
		fw->files[i].path = strdup(paths[i]);
		if (!fw->files[i].path)
			break;
		snap(&fw->files[i]);
		fw->n = i + 1;
	}
}

void file_watch_free(struct file_watch *fw)
{
	if (!fw)
		return;
	if (fw->timer)
		event_free(fw->timer);
	clear(fw);
	free(fw);
}
