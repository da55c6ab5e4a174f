/*
 * udp.c: recvmmsg a batch, answer each query from the worker's snapshot,
 * sendmmsg the answers. All buffers live in struct udp_worker, allocated
 * once when the worker is built.
 */
#include "common/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/query.h"
#include "common/snapshot.h"

/* Room for one IPv4 or IPv6 pktinfo control message, suitably aligned. */
union udp_cmsgbuf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
};

struct udp_sock {
	struct udp_worker *uw;
	struct event *ev;
	int fd;
	bool pktinfo;
};

struct udp_worker {
	struct event_base *base;
	struct snapshot *snap;
	size_t idx;
	struct udp_sock **socks;
	size_t nsocks;

	struct mmsghdr rx[UDP_BATCH];
	struct mmsghdr tx[UDP_BATCH];
	struct iovec rxiov[UDP_BATCH];
	struct iovec txiov[UDP_BATCH];
	struct sockaddr_storage peer[UDP_BATCH];
	union udp_cmsgbuf rxc[UDP_BATCH];
	union udp_cmsgbuf txc[UDP_BATCH];
	uint8_t rxbuf[UDP_BATCH][UDP_RX_MAX];
	uint8_t txbuf[UDP_BATCH][UDP_TX_MAX];
};

bool sockaddr_is_wildcard(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		return s4->sin_addr.s_addr == htonl(INADDR_ANY);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		return IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
	}
	return false;
}

int udp_enable_pktinfo(int fd, int family)
{
	int one = 1;

	if (family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	errno = EAFNOSUPPORT;
	return -1;
}

/*
 * Turn the pktinfo the query arrived with into the one its reply is sent
 * with, so a wildcard-bound socket answers from the address that was asked
 * (a resolver drops answers from any other source). Returns the control
 * length written into out, 0 when the query carried none.
 */
static size_t reply_pktinfo(struct msghdr *rxh, union udp_cmsgbuf *out)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(rxh); c; c = CMSG_NXTHDR(rxh, c)) {
		struct cmsghdr *o = &out->align;
		memset(out, 0, sizeof(*out));
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			/* Source = the address queried; ifindex 0 lets routing
			 * pick the interface, as for a normal reply. */
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			/* Keep the interface: a link-local destination is only
			 * meaningful on the link it came from. */
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
	}
	return 0;
}

/* Send ntx prepared answers. UDP is best effort: a full socket buffer
 * drops the rest of the batch, and a message the kernel rejects (say, an
 * unreachable peer) is skipped so the others still go out. */
static void send_batch(struct udp_worker *uw, int fd, unsigned ntx)
{
	unsigned off = 0;

	while (off < ntx) {
		int r = sendmmsg(fd, uw->tx + off, ntx - off, MSG_DONTWAIT);
		if (r > 0) {
			off += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
			log_debug("udp", "socket buffer full, dropped %u answers", ntx - off);
			return;
		}
		/* sendmmsg fails only when the first message fails: skip it. */
		log_debug("udp", "sendmsg: %s", strerror(errno));
		off++;
	}
}

/* Readiness callback: up to UDP_MAX_BATCHES batches, all answered from
 * one snapshot (the epoch is announced once per callback). */
static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp_sock *us = arg;
	struct udp_worker *uw = us->uw;
	const struct config *cfg = snapshot_enter(uw->snap, uw->idx);

	(void)what;
	for (int round = 0; round < UDP_MAX_BATCHES; round++) {
		for (unsigned i = 0; i < UDP_BATCH; i++) {
			struct msghdr *h = &uw->rx[i].msg_hdr;
			uw->rxiov[i].iov_base = uw->rxbuf[i];
			uw->rxiov[i].iov_len = UDP_RX_MAX;
			h->msg_name = &uw->peer[i];
			h->msg_namelen = sizeof(uw->peer[i]);
			h->msg_iov = &uw->rxiov[i];
			h->msg_iovlen = 1;
			h->msg_control = us->pktinfo ? uw->rxc[i].buf : NULL;
			h->msg_controllen = us->pktinfo ? sizeof(uw->rxc[i]) : 0;
			h->msg_flags = 0;
		}
		int n = recvmmsg(fd, uw->rx, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_debug("udp", "recvmmsg: %s", strerror(errno));
			break;
		}
		unsigned ntx = 0;
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &uw->rx[i].msg_hdr;
			/* A datagram bigger than our buffer arrived cut short;
			 * parsing a prefix could answer the wrong question. */
			if (h->msg_flags & MSG_TRUNC)
				continue;
			struct query_client cl = {
				.peer = (const struct sockaddr *)&uw->peer[i],
				.peerlen = h->msg_namelen,
				.tcp = false,
			};
			size_t len = query_answer(cfg, &cl, uw->rxbuf[i], uw->rx[i].msg_len,
			                          uw->txbuf[i], UDP_TX_MAX);
			if (len == 0)
				continue;
			struct msghdr *t = &uw->tx[ntx].msg_hdr;
			uw->txiov[ntx].iov_base = uw->txbuf[i];
			uw->txiov[ntx].iov_len = len;
			t->msg_name = &uw->peer[i];
			t->msg_namelen = h->msg_namelen;
			t->msg_iov = &uw->txiov[ntx];
			t->msg_iovlen = 1;
			t->msg_flags = 0;
			t->msg_control = NULL;
			t->msg_controllen = 0;
			if (us->pktinfo) {
				size_t cl_len = reply_pktinfo(h, &uw->txc[ntx]);
				if (cl_len) {
					t->msg_control = uw->txc[ntx].buf;
					t->msg_controllen = cl_len;
				}
			}
			ntx++;
		}
		if (ntx)
			send_batch(uw, fd, ntx);
		if (n < UDP_BATCH)
			break;  /* drained */
	}
	snapshot_exit(uw->snap, uw->idx);
}

struct udp_worker *udp_worker_new(struct event_base *base, struct snapshot *snap, size_t idx)
{
	struct udp_worker *uw = calloc(1, sizeof(*uw));

	if (!uw)
		return NULL;
	uw->base = base;
	uw->snap = snap;
	uw->idx = idx;
	return uw;
}

int udp_worker_add(struct udp_worker *uw, int fd, bool pktinfo)
{
	struct udp_sock **socks = realloc(uw->socks, (uw->nsocks + 1) * sizeof(*socks));
	struct udp_sock *us;

	if (!socks)
		return -1;
	uw->socks = socks;
	us = calloc(1, sizeof(*us));
	if (!us)
		return -1;
	us->uw = uw;
	us->fd = fd;
	us->pktinfo = pktinfo;
	us->ev = event_new(uw->base, fd, EV_READ | EV_PERSIST, udp_read_cb, us);
	if (!us->ev || event_add(us->ev, NULL) != 0) {
		if (us->ev)
			event_free(us->ev);
		free(us);
		return -1;
	}
	uw->socks[uw->nsocks++] = us;
	return 0;
}

void udp_worker_free(struct udp_worker *uw)
{
	if (!uw)
		return;
	for (size_t i = 0; i < uw->nsocks; i++) {
		event_free(uw->socks[i]->ev);
		free(uw->socks[i]);
	}
	free(uw->socks);
	free(uw);
}
