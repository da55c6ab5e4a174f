/*
 * udp.c: a reader thread per UDP socket: block in recvmmsg for a batch,
 * answer each query from the snapshot, sendmmsg the answers. All buffers
 * live in struct udp_reader, allocated once.
 *
 * Why a blocking thread and not the worker's event loop: a socket
 * registered with epoll keeps an entry on its wait queue for good, so the
 * kernel takes the queue's lock and calls into epoll for every datagram
 * that arrives (charged to the sender) and for every answer freed after
 * sending (charged to us); profiles showed ~3% of our CPU there. A thread
 * asleep in recvmmsg is on the wait queue only while it sleeps, which
 * under load is almost never. gdnsd serves UDP the same way.
 */
#include "common/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <stdatomic.h>

#include "common/log.h"
#include "common/qlog.h"
#include "common/query.h"
#include "common/snapshot.h"
#include "common/sys_direct.h"

/* Room for one IPv4 or IPv6 pktinfo control message, suitably aligned. */
union udp_cmsgbuf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
};

struct udp_reader {
	struct snapshot *snap;
	size_t slot;                 /* our snapshot slot */
	struct qlog_ring *qlog;      /* our decision-log ring */
	int fd;
	bool pktinfo;
	_Atomic bool stop;

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
static void send_batch(struct udp_reader *ur, unsigned ntx)
{
	unsigned off = 0;

	while (off < ntx) {
		int r = sys_sendmmsg(ur->fd, ur->tx + off, ntx - off, MSG_DONTWAIT);
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

/* Point every receive header at its buffers, once. */
static void rx_init(struct udp_reader *ur)
{
	for (unsigned i = 0; i < UDP_BATCH; i++) {
		struct msghdr *h = &ur->rx[i].msg_hdr;
		ur->rxiov[i].iov_base = ur->rxbuf[i];
		ur->rxiov[i].iov_len = UDP_RX_MAX;
		h->msg_name = &ur->peer[i];
		h->msg_namelen = sizeof(ur->peer[i]);
		h->msg_iov = &ur->rxiov[i];
		h->msg_iovlen = 1;
		h->msg_control = ur->pktinfo ? ur->rxc[i].buf : NULL;
		h->msg_controllen = ur->pktinfo ? sizeof(ur->rxc[i]) : 0;
		h->msg_flags = 0;
	}
}

/* The kernel wrote only the address and control lengths (and flags) of
 * the n headers it filled; give those their room back. Resetting all 32
 * every time was a quarter of our user-space instructions at low load. */
static void rx_reset(struct udp_reader *ur, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct msghdr *h = &ur->rx[i].msg_hdr;
		h->msg_namelen = sizeof(ur->peer[i]);
		h->msg_controllen = ur->pktinfo ? sizeof(ur->rxc[i]) : 0;
	}
}

/* Answer the n queries received, all from one snapshot, and send. */
static void serve_batch(struct udp_reader *ur, unsigned n)
{
	const struct config *cfg = snapshot_enter(ur->snap, ur->slot);
	unsigned ntx = 0;

	for (unsigned i = 0; i < n; i++) {
		struct msghdr *h = &ur->rx[i].msg_hdr;
		/* A datagram bigger than our buffer arrived cut short;
		 * parsing a prefix could answer the wrong question. */
		if (h->msg_flags & MSG_TRUNC)
			continue;
		struct query_client cl = {
			.peer = (const struct sockaddr *)&ur->peer[i],
			.peerlen = h->msg_namelen,
			.tcp = false,
		};
		size_t len = query_answer(cfg, &cl, ur->rxbuf[i], ur->rx[i].msg_len,
		                          ur->txbuf[i], UDP_TX_MAX);
		if (len == 0)
			continue;
		struct msghdr *t = &ur->tx[ntx].msg_hdr;
		ur->txiov[ntx].iov_base = ur->txbuf[i];
		ur->txiov[ntx].iov_len = len;
		t->msg_name = &ur->peer[i];
		t->msg_namelen = h->msg_namelen;
		t->msg_iov = &ur->txiov[ntx];
		t->msg_iovlen = 1;
		t->msg_flags = 0;
		t->msg_control = NULL;
		t->msg_controllen = 0;
		if (ur->pktinfo) {
			size_t cl_len = reply_pktinfo(h, &ur->txc[ntx]);
			if (cl_len) {
				t->msg_control = ur->txc[ntx].buf;
				t->msg_controllen = cl_len;
			}
		}
		ntx++;
	}
	snapshot_exit(ur->snap, ur->slot);
	if (ntx)
		send_batch(ur, ntx);
}

void *udp_reader_main(void *arg)
{
	struct udp_reader *ur = arg;

	/* The answer path finds its decision-log ring through the thread. */
	qlog_thread_bind(ur->qlog);
	rx_init(ur);
	while (!atomic_load(&ur->stop)) {
		/* MSG_WAITFORONE: sleep until one datagram is there, then take
		 * whatever else is queued without waiting. We hold no snapshot
		 * while asleep, so reloads never wait for an idle reader. */
		int n = sys_recvmmsg(ur->fd, ur->rx, UDP_BATCH, MSG_WAITFORONE);
		if (n > 0) {
			serve_batch(ur, (unsigned)n);
			rx_reset(ur, (unsigned)n);
			continue;
		}
		if (n == 0)
			break;  /* shut down for reading: udp_reader_stop */
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			log_debug("udp", "recvmmsg: %s", strerror(errno));
	}
	return NULL;
}

struct udp_reader *udp_reader_new(struct snapshot *snap, size_t slot, struct qlog_ring *qlog,
                                  int fd, bool pktinfo)
{
	/* A wakeup now and then while idle, so a reader whose stop signal
	 * were somehow missed still notices within a second. */
	struct timeval tv = { 1, 0 };
	int fl = fcntl(fd, F_GETFL);
	struct udp_reader *ur;

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
		return NULL;
	ur = calloc(1, sizeof(*ur));
	if (!ur)
		return NULL;
	ur->snap = snap;
	ur->slot = slot;
	ur->qlog = qlog;
	ur->fd = fd;
	ur->pktinfo = pktinfo;
	atomic_init(&ur->stop, false);
	return ur;
}

void udp_reader_stop(struct udp_reader *ur)
{
	if (!ur)
		return;
	atomic_store(&ur->stop, true);
	/* Wakes a reader asleep in recvmmsg, and makes every later receive
	 * return 0 at once, so there is no window in which the wakeup is
	 * lost. On an unconnected UDP socket Linux still does this but
	 * reports ENOTCONN, which is expected here. */
	shutdown(ur->fd, SHUT_RD);
}

void udp_reader_free(struct udp_reader *ur)
{
	free(ur);
}
