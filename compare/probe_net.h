/*
 * probe_net.h: run the probe's DNS exchanges over UDP, all targets at once.
 *
 * Each job sends `count` queries, one after the other, to one target; the
 * jobs run concurrently in a single poll() loop, so the whole run takes at
 * most max(count) x timeout however many targets there are. A query that
 * gets no matching reply within the timeout, or whose socket reports an
 * ICMP error (ECONNREFUSED and the like, seen through a connected socket),
 * is lost. Unreachable targets are data, not errors.
 */
#ifndef STEERDNS_PROBE_NET_H
#define STEERDNS_PROBE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "compare/probe_dns.h"

#define PROBE_MAX_K 100

struct probe_job {
	/* Set by the caller. */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct probe_question q;
	unsigned count;                 /* queries to send, 1..PROBE_MAX_K */

	/* Results. */
	double rtt_ms[PROBE_MAX_K];     /* of the answered queries, in order */
	unsigned n_rtt;
	unsigned lost;                  /* count - n_rtt */
	bool have_reply;                /* first is valid */
	struct probe_reply first;       /* the first matching reply */

	/* Private to probe_net.c. */
	int fd;
	unsigned sent;
	bool waiting;
	unsigned short id;
	struct timespec t_sent;
};

/*
 * Run jobs[0..n-1] to completion with a per-query timeout of timeout_ms.
 * The caller owns the jobs; only the result fields are written. Returns 0,
 * or -1 if a socket could not be created for some job (that job's queries
 * are then all counted lost, the others still run).
 */
int probe_net_run(struct probe_job *jobs, size_t n, unsigned timeout_ms);

/* Median of v[0..n-1] (sorted in place); n > 0. */
double probe_median(double *v, size_t n);

#endif
