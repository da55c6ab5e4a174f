/* probe_net.c: concurrent UDP exchanges for the probe; see probe_net.h. */
#include "compare/probe_net.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* A fresh message ID per query (RFC 5452 9.2: unpredictable IDs), so a
 * late reply to an earlier query is not taken for the current one. */
static unsigned short new_id(void)
{
	unsigned short id;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id))
		id = (unsigned short)random();
	return id;
}

static void open_job(struct probe_job *j)
{
	j->fd = socket(j->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (j->fd < 0)
		return;
	/* Connected, so that the kernel drops datagrams from other sources
	 * and reports ICMP unreachables to us as ECONNREFUSED. */
	if (connect(j->fd, (const struct sockaddr *)&j->addr, j->addrlen) != 0) {
		close(j->fd);
		j->fd = -1;
	}
}

static bool job_active(const struct probe_job *j)
{
	return j->fd >= 0 && (j->waiting || j->sent < j->count);
}

/* Lose the outstanding query (timeout or ICMP error). */
static void lose(struct probe_job *j)
{
	j->waiting = false;
	j->lost++;
}

/* Send queries until one is outstanding or none are left. */
static void send_next(struct probe_job *j)
{
	uint8_t buf[PROBE_QUERY_MAX];

	while (!j->waiting && j->sent < j->count) {
		j->id = new_id();
		j->sent++;
		int len = probe_dns_build(&j->q, j->id, buf, sizeof(buf));
		clock_gettime(CLOCK_MONOTONIC, &j->t_sent);
		j->waiting = true;
		if (len < 0 || send(j->fd, buf, (size_t)len, 0) != len)
			lose(j);
	}
}

/* Read every queued datagram of j's socket. */
static void read_job(struct probe_job *j)
{
	uint8_t buf[65535];

	for (;;) {
		ssize_t n = recv(j->fd, buf, sizeof(buf), 0);
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			/* An ICMP error for the outstanding query. */
			if (j->waiting)
				lose(j);
			continue;
		}
		if (!j->waiting)
			continue;  /* a late or duplicate reply */
		struct probe_reply rep;
		if (probe_dns_parse(&j->q, j->id, buf, (size_t)n, &rep) != PROBE_PARSE_OK)
			continue;
		j->rtt_ms[j->n_rtt++] = ms_between(&j->t_sent, &now);
		j->waiting = false;
		if (!j->have_reply) {
			j->first = rep;
			j->have_reply = true;
		}
	}
}

int probe_net_run(struct probe_job *jobs, size_t n, unsigned timeout_ms)
{
	int rc = 0;
	struct pollfd *pfd = calloc(n ? n : 1, sizeof(*pfd));
	size_t *map = calloc(n ? n : 1, sizeof(*map));

	for (size_t i = 0; i < n; i++) {
		struct probe_job *j = &jobs[i];
		if (j->count > PROBE_MAX_K)
			j->count = PROBE_MAX_K;
		j->n_rtt = j->lost = j->sent = 0;
		j->have_reply = j->waiting = false;
		j->fd = -1;
	}
	if (!pfd || !map) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct probe_job *j = &jobs[i];
		if (!j->count)
			continue;  /* not asked for */
		open_job(j);
		if (j->fd < 0) {
			j->lost = j->count;
			rc = -1;
		}
	}
	for (;;) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		size_t np = 0;
		double wait_ms = -1;
		for (size_t i = 0; i < n; i++) {
			struct probe_job *j = &jobs[i];
			if (!job_active(j))
				continue;
			if (j->waiting && ms_between(&j->t_sent, &now) >= timeout_ms)
				lose(j);
			send_next(j);
			if (!j->waiting)
				continue;
			double left = timeout_ms - ms_between(&j->t_sent, &now);
			if (left < 0)
				left = 0;
			if (wait_ms < 0 || left < wait_ms)
				wait_ms = left;
			pfd[np].fd = j->fd;
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
			map[np++] = i;
		}
		if (np == 0)
			break;
		int r = poll(pfd, np, (int)wait_ms + 1);
		if (r < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		for (size_t p = 0; r > 0 && p < np; p++)
			if (pfd[p].revents)
				read_job(&jobs[map[p]]);
	}
out:
	for (size_t i = 0; i < n; i++) {
		struct probe_job *j = &jobs[i];
		if (j->fd >= 0)
			close(j->fd);
		j->fd = -1;
		/* A poll failure leaves queries unsent: they count as lost too. */
		j->lost = j->count - j->n_rtt;
		j->waiting = false;
	}
	free(pfd);
	free(map);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double probe_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
