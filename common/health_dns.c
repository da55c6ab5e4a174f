/*
 * health_dns.c: the dns probe. One UDP query per probe from a fresh
 * connected socket (a new source port each time, and the kernel drops
 * datagrams from any other address), then wait for our answer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/health_int.h"
#include "common/wire.h"

#define DNS_HDR 12
#define DNS_CLASS_IN 1

int health_dns_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *qname, uint16_t qtype)
{
	struct wire_wr w = wire_wr_init(buf, cap);

	/* RFC 1035 section 4.1.1: flags all zero: a standard QUERY, RD=0
	 * (we ask the authoritative server itself, not a recursion). */
	wire_wr_u16(&w, id);
	wire_wr_u16(&w, 0);
	wire_wr_u16(&w, 1);  /* QDCOUNT */
	wire_wr_u16(&w, 0);
	wire_wr_u16(&w, 0);
	wire_wr_u16(&w, 0);
	wire_wr_bytes(&w, qname, dname_len(qname));
	wire_wr_u16(&w, qtype);
	wire_wr_u16(&w, DNS_CLASS_IN);
	return w.err ? -1 : (int)w.pos;
}

int health_dns_check_response(const uint8_t *resp, size_t len, uint16_t id,
                              const uint8_t *qname, uint16_t qtype, int *rcode)
{
	struct wire_rd r = wire_rd_init(resp, len);
	uint16_t rid = wire_rd_u16(&r);
	uint16_t flags = wire_rd_u16(&r);
	uint16_t qdcount = wire_rd_u16(&r);
	uint8_t name[DNAME_MAXLEN];
	size_t pos = DNS_HDR;

	wire_rd_skip(&r, 6);
	/* RFC 1035 section 4.1.1: QR set, the ID of our query. */
	if (r.err || rid != id || !(flags & 0x8000))
		return -1;
	/* RFC 5452 section 9.1: when the question is echoed it must be ours;
	 * error responses (FORMERR) may carry none. */
	if (qdcount >= 1) {
		if (dname_parse(resp, len, &pos, name, true) < 0 || !dname_equal(name, qname))
			return -1;
		r.pos = pos;
		if (wire_rd_u16(&r) != qtype || wire_rd_u16(&r) != DNS_CLASS_IN || r.err)
			return -1;
	}
	*rcode = flags & 0x000f;
	return *rcode == 0 ? 1 : 0;
}

static const char *rcode_name(int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	                                     "NOTIMP", "REFUSED" };
	return rcode >= 0 && rcode < 6 ? names[rcode] : NULL;
}

static void dns_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health_target *t = arg;
	uint8_t buf[4096];
	char reason[HEALTH_REASON_LEN];

	(void)what;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		int rcode = 0, v;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;  /* keep waiting until the deadline */
			if (errno == EINTR)
				continue;
			/* ECONNREFUSED: ICMP port unreachable, on a connected socket */
			snprintf(reason, sizeof(reason), "recv: %s", strerror(errno));
			health_probe_result(t, false, reason);
			return;
		}
		v = health_dns_check_response(buf, (size_t)n, t->dns_id, t->qname,
		                              t->conf.qtype, &rcode);
		if (v < 0)
			continue;  /* not ours: a stray or spoofed datagram */
		if (v == 1) {
			health_probe_result(t, true, NULL);
			return;
		}
		if (rcode_name(rcode))
			snprintf(reason, sizeof(reason), "rcode %s", rcode_name(rcode));
		else
			snprintf(reason, sizeof(reason), "rcode %d", rcode);
		health_probe_result(t, false, reason);
		return;
	}
}

void health_dns_start(struct health_target *t)
{
	const struct sockaddr *sa = (const struct sockaddr *)&t->conf.addr;
	uint8_t q[DNS_HDR + DNAME_MAXLEN + 4];
	char reason[HEALTH_REASON_LEN];
	int len;

	/* An unpredictable ID (RFC 5452 section 4.3); rand() would do for a
	 * health check, but getrandom costs nothing here. */
	if (getrandom(&t->dns_id, sizeof(t->dns_id), GRND_NONBLOCK) != sizeof(t->dns_id))
		t->dns_id = (uint16_t)(t->dns_id * 31421u + 6927u);
	len = health_dns_query(q, sizeof(q), t->dns_id, t->qname, t->conf.qtype);
	if (len < 0) {
		health_probe_result(t, false, "query does not fit");
		return;
	}
	t->timeout_reason = "no DNS response";
	t->fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		snprintf(reason, sizeof(reason), "socket: %s", strerror(errno));
		health_probe_result(t, false, reason);
		return;
	}
	/* connect() on UDP only sets the peer: it does not block. */
	if (connect(t->fd, sa, t->conf.addrlen) != 0 || send(t->fd, q, (size_t)len, 0) != len) {
		snprintf(reason, sizeof(reason), "send: %s", strerror(errno));
		health_probe_result(t, false, reason);
		return;
	}
	if (health_arm_io(t, EV_READ, dns_io_cb) != 0)
		health_probe_result(t, false, "out of memory");
}
