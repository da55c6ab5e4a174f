/* log.c: timestamped lines on stderr, one write(2) each so threads do not
 * interleave within a line. When stderr is the journal (systemd sets
 * JOURNAL_STREAM to its device:inode), each line starts with its syslog
 * priority ("<3>" error ... "<7>" debug, sd-daemon(3)) and no timestamp:
 * journald parses the one and adds the other. */
#include "common/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_max = LOG_LVL_INFO;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

/* 0 unknown, 1 stderr is the journal, 2 it is not. Racy first use is
 * harmless: every thread computes the same answer. */
static int journal;

static bool to_journal(void)
{
	if (!journal) {
		const char *js = getenv("JOURNAL_STREAM");
		unsigned long long dev, ino;
		struct stat st;
		journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
		          fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
		          (unsigned long long)st.st_ino == ino ? 1 : 2;
	}
	return journal == 1;
}

void log_set_level(enum log_level lvl)
{
	log_max = lvl;
}

void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
	if (lvl > log_max)
		return;
	char line[2048];
	struct timespec ts;
	struct tm tm;
	int n;
	if (to_journal()) {
		static const char prio[] = { '3', '4', '6', '7' };  /* err, warning, info, debug */
		n = snprintf(line, sizeof(line), "<%c>%s %s: ", prio[lvl], level_names[lvl], subsys);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
		             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		             tm.tm_sec, ts.tv_nsec / 1000000, level_names[lvl], subsys);
	}
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}
