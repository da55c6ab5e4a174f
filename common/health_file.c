/*
 * health_file.c: the file check. An operator (or a deploy script) writes
 * "up", "down" or "drain" into a file; the state applies at the next tick
 * after the file changes, without rise/fall. The file is local and tiny,
 * so one stat() per tick and a read() when it changed are fine on the
 * control loop.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/health_int.h"
#include "common/log.h"

/* Parse the file's bytes: one word, surrounding whitespace ignored.
 * Returns the state or -1. */
static int parse_state(const char *buf, size_t len)
{
	size_t a = 0, b = len;

	while (a < b && isspace((unsigned char)buf[a]))
		a++;
	while (b > a && isspace((unsigned char)buf[b - 1]))
		b--;
	if (b - a == 2 && strncasecmp(buf + a, "up", 2) == 0)
		return HEALTH_UP;
	if (b - a == 4 && strncasecmp(buf + a, "down", 4) == 0)
		return HEALTH_DOWN;
	if (b - a == 5 && strncasecmp(buf + a, "drain", 5) == 0)
		return HEALTH_DRAIN;
	return -1;
}

static bool same_stat(const struct health_target *t, const struct stat *st)
{
	return t->file_dev == st->st_dev && t->file_ino == st->st_ino &&
	       t->file_size == st->st_size && t->file_mtime.tv_sec == st->st_mtim.tv_sec &&
	       t->file_mtime.tv_nsec == st->st_mtim.tv_nsec;
}

void health_file_run(struct health_target *t)
{
	const char *path = t->conf.file;
	struct stat st;
	char buf[64], why[HEALTH_REASON_LEN + 64];
	ssize_t n;
	int fd, s;

	if (stat(path, &st) != 0) {
		/* Logged once per disappearance, not on every tick. */
		if (!t->file_known || !t->file_missing)
			log_warn("health", "pop %s: state file %s: %s, taking it as down", t->name,
			         path, strerror(errno));
		t->file_known = true;
		t->file_missing = true;
		snprintf(why, sizeof(why), "state file %s missing", path);
		health_set_state(t, HEALTH_DOWN, why);
		return;
	}
	if (t->file_known && !t->file_missing && same_stat(t, &st))
		return;
	t->file_known = true;
	t->file_missing = false;
	t->file_dev = st.st_dev;
	t->file_ino = st.st_ino;
	t->file_size = st.st_size;
	t->file_mtime = st.st_mtim;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		log_warn("health", "pop %s: state file %s: %s, taking it as down", t->name, path,
		         strerror(errno));
		snprintf(why, sizeof(why), "state file %s unreadable", path);
		health_set_state(t, HEALTH_DOWN, why);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	s = n < 0 ? -1 : parse_state(buf, (size_t)n);
	if (s < 0) {
		/* Fail safe: what we cannot read as up is not up. A file caught
		 * half-written is read again at the next tick (its stat changes). */
		log_warn("health", "pop %s: state file %s does not hold up, down or drain; "
		         "taking it as down", t->name, path);
		snprintf(why, sizeof(why), "state file %s unreadable", path);
		health_set_state(t, HEALTH_DOWN, why);
		return;
	}
	snprintf(why, sizeof(why), "state file %s", path);
	health_set_state(t, (enum health_state)s, why);
}
