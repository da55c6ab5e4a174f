/*
 * loadgen: a small DNS load generator for the steerdns benchmark.
 *
 *   loadgen -p PORT -q QUERIES [-s ADDR] [-d SECONDS] [-c OUTSTANDING]
 *           [-e ECSFILE | -E SUBNET] [-T [-C CONNS] [-n PER_CONN]]
 *           [-t TIMEOUT] [-w WARMUP] [-Q RATE] [-K]
 *
 * Keeps OUTSTANDING queries in flight for SECONDS, then waits up to TIMEOUT
 * for the last answers, and prints one JSON line: sent, answered, lost,
 * answered queries/s, average and p99 latency (µs, 1 µs buckets), and the
 * count of each rcode. A query is lost when no answer arrives within
 * TIMEOUT (or, over TCP, when its connection fails first).
 *
 * QUERIES has one query per line, "name type [ecs|do|ecs,do]" (type A, AAAA, TXT, MX,
 * NS, SOA or a number); the lines are used round robin, so a mixed workload
 * is a file with its lines in the proportions wanted. Lines marked "ecs"
 * carry an EDNS Client Subnet option (RFC 7871 section 6) taken from -E (one
 * fixed subnet) or -e (the next record of a file, in file order: mmdb_nets
 * writes every network of a DB shuffled, so each query gets a different
 * one). Lines marked "do" (or "ecs,do") set the DO bit (RFC 3225): signed
 * answers. Every query carries EDNS(0) with a 1232-byte payload, RD clear.
 *
 * UDP: one socket, sendmmsg/recvmmsg in batches of up to 64; the query ID
 * names the slot (low bits) and the slot's generation (high bits) so a late
 * answer to a timed-out query is not taken for its successor.
 * TCP (-T): CONNS connections share the OUTSTANDING queries (at least one
 * each), each sends PER_CONN queries pipelined (RFC 7766 section 6.2.1.1)
 * and is then closed by us and reopened. Latency is per query, from its
 * write to its answer; connection setup is not part of it.
 * -w runs the load for WARMUP seconds first without counting it.
 * -Q caps the UDP send rate at RATE queries/s (as dnsperf -Q does), for
 * comparing servers or generators at the same offered load.
 * -K adds a DNS COOKIE option (RFC 7873) with a fixed client cookie to every
 * query, as a resolver with cookies does before it knows the server cookie.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXQ 512           /* one query's wire size is far below this */
#define HIST_US 200000     /* latency histogram: 1 µs buckets up to 200 ms */
#define SLOT_BITS 12
#define MAX_SLOTS (1 << SLOT_BITS)

struct qline {             /* one query of the list, header+question built */
	uint8_t wire[300];
	size_t len;
	int ecs;
	int dnssec_ok;         /* flag "do": the OPT's DO bit (RFC 3225) */
};

struct ecsnet {            /* same layout as mmdb_nets -b records */
	uint8_t fam, len, addr[16];
};

struct stats {
	uint64_t sent, answered, lost, stale, conns, connfail;
	uint64_t rcode[16];
	uint64_t lat_sum_ns;
	uint32_t *hist;
};

static struct qline *qlines;
static size_t nqlines, qnext;
static struct ecsnet *ecs;
static int with_cookie;      /* -K */
static size_t necs, ecsnext;
static struct stats st;
static int counting;       /* 0 during warmup */
static double rate;        /* -Q: queries/s cap, 0 = none */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *msg)
{
	fprintf(stderr, "loadgen: %s\n", msg);
	exit(1);
}

static int type_code(const char *t)
{
	static const struct { const char *n; int c; } tab[] = {
		{"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"PTR", 12}, {"MX", 15},
		{"TXT", 16}, {"AAAA", 28}, {"SRV", 33}, {"CAA", 257},
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (!strcasecmp(t, tab[i].n))
			return tab[i].c;
	char *end;
	long v = strtol(t, &end, 10);
	return *end || v < 0 || v > 65535 ? -1 : (int)v;
}

/* Header (ID filled per query) and question for one "name type" line. */
static int build_question(struct qline *q, const char *name, int type)
{
	uint8_t *p = q->wire;
	memset(p, 0, 12);
	p[5] = 1;                                  /* QDCOUNT 1 */
	p[11] = 1;                                 /* ARCOUNT 1: the OPT */
	p += 12;
	const char *s = name;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > 63 || (size_t)(p - q->wire) + l + 6 > 270)
			return -1;
		*p++ = (uint8_t)l;
		memcpy(p, s, l);
		p += l;
		s += l;
		if (*s == '.')
			s++;
	}
	*p++ = 0;
	*p++ = (uint8_t)(type >> 8);
	*p++ = (uint8_t)type;
	*p++ = 0;
	*p++ = 1;                                  /* class IN */
	q->len = (size_t)(p - q->wire);
	return 0;
}

static void load_queries(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512], name[300], type[32], flag[32];
	size_t cap = 0;
	if (!f)
		die("cannot open the query file");
	while (fgets(line, sizeof line, f)) {
		int n = sscanf(line, "%299s %31s %31s", name, type, flag);
		if (n < 2 || name[0] == '#')
			continue;
		if (nqlines == cap) {
			cap = cap ? cap * 2 : 64;
			qlines = realloc(qlines, cap * sizeof *qlines);
			if (!qlines)
				die("out of memory");
		}
		struct qline *q = &qlines[nqlines];
		int t = type_code(type);
		if (t < 0 || build_question(q, name, t) < 0)
			die("bad line in the query file");
		/* flags: "ecs", "do" or "ecs,do" */
		q->ecs = n == 3 && strstr(flag, "ecs") != NULL;
		q->dnssec_ok = n == 3 && (!strcasecmp(flag, "do") || strstr(flag, ",do") != NULL);
		nqlines++;
	}
	fclose(f);
	if (!nqlines)
		die("the query file has no queries");
}

static int parse_subnet(const char *s, struct ecsnet *e)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t l = slash ? (size_t)(slash - s) : strlen(s);
	if (l >= sizeof buf)
		return -1;
	memcpy(buf, s, l);
	buf[l] = 0;
	memset(e, 0, sizeof *e);
	if (inet_pton(AF_INET, buf, e->addr) == 1)
		e->fam = 4;
	else if (inet_pton(AF_INET6, buf, e->addr) == 1)
		e->fam = 6;
	else
		return -1;
	e->len = (uint8_t)(slash ? atoi(slash + 1) : (e->fam == 4 ? 32 : 128));
	return e->len > (e->fam == 4 ? 32 : 128) ? -1 : 0;
}

/* ECS file: mmdb_nets -b records when the name ends in .bin, else text. */
static void load_ecs(const char *path)
{
	size_t pl = strlen(path);
	if (pl > 4 && !strcmp(path + pl - 4, ".bin")) {
		struct stat sb;
		int fd = open(path, O_RDONLY);
		if (fd < 0 || fstat(fd, &sb) < 0)
			die("cannot open the ECS file");
		necs = (size_t)sb.st_size / sizeof *ecs;
		ecs = malloc(necs * sizeof *ecs + 1);
		size_t want = necs * sizeof *ecs, got = 0;
		while (ecs && got < want) {
			ssize_t r = read(fd, (char *)ecs + got, want - got);
			if (r <= 0)
				die("short read on the ECS file");
			got += (size_t)r;
		}
		close(fd);
	} else {
		FILE *f = fopen(path, "r");
		char line[128];
		size_t cap = 0;
		if (!f)
			die("cannot open the ECS file");
		while (fgets(line, sizeof line, f)) {
			line[strcspn(line, "\r\n")] = 0;
			if (!line[0] || line[0] == '#')
				continue;
			if (necs == cap) {
				cap = cap ? cap * 2 : 1024;
				ecs = realloc(ecs, cap * sizeof *ecs);
				if (!ecs)
					die("out of memory");
			}
			if (parse_subnet(line, &ecs[necs]) < 0)
				die("bad subnet in the ECS file");
			necs++;
		}
		fclose(f);
	}
	if (!ecs || !necs)
		die("the ECS file has no subnets");
}

/* Next query into buf with the given ID; returns its length. */
static int last_do;        /* the query make_query built last asks for DNSSEC */

/* Set the DO bit in the OPT RR that follows the question in buf. */
static void set_do(uint8_t *buf)
{
	size_t p = 12;
	while (buf[p])
		p += 1u + buf[p];
	p += 1 + 4;                  /* root, type, class of the question */
	buf[p + 1 + 2 + 2 + 2] |= 0x80;  /* OPT owner, type, class; TTL's DO byte */
}

static size_t make_query(uint8_t *buf, uint16_t id)
{
	const struct qline *q = &qlines[qnext];
	last_do = q->dnssec_ok;
	uint8_t *p;
	if (++qnext == nqlines)
		qnext = 0;
	memcpy(buf, q->wire, q->len);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	p = buf + q->len;
	/* OPT RR (RFC 6891 section 6.1.2): root owner, type 41, class = payload. */
	*p++ = 0;
	*p++ = 0; *p++ = 41;
	*p++ = 1232 >> 8; *p++ = 1232 & 0xff;
	*p++ = 0; *p++ = 0; *p++ = 0; *p++ = 0;
	uint8_t *rdlen = p;
	*p++ = 0; *p++ = 0;
	if (with_cookie) {
		static const uint8_t cookie[12] = { 0, 10, 0, 8, 's', 't', 'e', 'e', 'r', 'd', 'n', 's' };
		memcpy(p, cookie, sizeof(cookie));
		p += sizeof(cookie);
	}
	if (!q->ecs) {
		rdlen[0] = (uint8_t)((p - rdlen - 2) >> 8);
		rdlen[1] = (uint8_t)(p - rdlen - 2);
		return (size_t)(p - buf);
	}
	const struct ecsnet *e = &ecs[ecsnext];
	if (++ecsnext == necs)
		ecsnext = 0;
	/* ECS option (RFC 7871 section 6): family, source, scope 0, address
	 * truncated to ceil(source/8) bytes (the file's addresses are masked). */
	unsigned alen = (e->len + 7u) / 8u;
	unsigned olen = 4 + alen;
	*p++ = 0; *p++ = 8;
	*p++ = (uint8_t)(olen >> 8); *p++ = (uint8_t)olen;
	*p++ = 0; *p++ = e->fam == 4 ? 1 : 2;
	*p++ = e->len;
	*p++ = 0;
	memcpy(p, e->addr, alen);
	p += alen;
	rdlen[0] = (uint8_t)((p - rdlen - 2) >> 8);
	rdlen[1] = (uint8_t)(p - rdlen - 2);
	return (size_t)(p - buf);
}

static void record_answer(const uint8_t *msg, size_t len, uint64_t sent_at, uint64_t now)
{
	if (!counting)
		return;
	uint64_t d = now - sent_at;
	uint64_t us = d / 1000;
	st.answered++;
	st.lat_sum_ns += d;
	st.hist[us < HIST_US ? us : HIST_US - 1]++;
	if (len >= 4)
		st.rcode[msg[3] & 0xf]++;
}

/* ------------------------------------------------------------------ UDP */

struct slot {
	uint64_t sent_at;
	uint16_t id;
	uint8_t busy;
	uint8_t counted;   /* sent while counting */
};

static void run_udp(const struct sockaddr_storage *sa, socklen_t salen, unsigned outstanding,
		    double warmup, double duration, double timeout)
{
	int fd = socket(sa->ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int big = 8 << 20;
	struct slot *slots = calloc(outstanding, sizeof *slots);
	unsigned *freelist = malloc(outstanding * sizeof *freelist), nfree = outstanding;
	static uint8_t sbuf[BATCH][MAXQ], rbuf[BATCH][MAXQ];
	struct mmsghdr smsg[BATCH], rmsg[BATCH];
	struct iovec siov[BATCH], riov[BATCH];
	unsigned sslot[BATCH];
	uint64_t t0, t_count, t_end, t_stop, last_scan;
	uint64_t to_ns = (uint64_t)(timeout * 1e9);
	unsigned inflight = 0;
	uint64_t total_sent = 0;

	if (fd < 0 || !slots || !freelist)
		die("socket/alloc failed");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
	if (connect(fd, (const struct sockaddr *)sa, salen) < 0)
		die("connect failed");
	for (unsigned i = 0; i < outstanding; i++)
		freelist[i] = outstanding - 1 - i;
	memset(rmsg, 0, sizeof rmsg);
	for (int i = 0; i < BATCH; i++) {
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = MAXQ;
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_ns();
	t_count = t0 + (uint64_t)(warmup * 1e9);
	t_end = t_count + (uint64_t)(duration * 1e9);
	t_stop = t_end + to_ns;
	last_scan = t0;
	counting = warmup <= 0;
	for (;;) {
		uint64_t now = now_ns();
		if (!counting && now >= t_count) {
			counting = 1;
			/* Queries still in flight from the warmup are not counted. */
		}
		int sending = now < t_end;
		if (!sending && (inflight == 0 || now >= t_stop))
			break;
		/* Send into every free slot, in batches, within the -Q budget. */
		uint64_t budget = UINT64_MAX;
		if (rate > 0) {
			uint64_t due = (uint64_t)((double)(now - t0) * rate / 1e9) + 1;
			budget = due > total_sent ? due - total_sent : 0;
		}
		while (sending && nfree && budget) {
			unsigned n = 0;
			memset(smsg, 0, sizeof smsg);
			while (n < BATCH && nfree && n < budget) {
				unsigned s = freelist[--nfree];
				uint16_t gen = (uint16_t)((slots[s].id >> SLOT_BITS) + 1);
				slots[s].id = (uint16_t)((gen << SLOT_BITS) | s);
				siov[n].iov_base = sbuf[n];
				siov[n].iov_len = make_query(sbuf[n], slots[s].id);
				if (last_do)
					set_do(sbuf[n]);
				smsg[n].msg_hdr.msg_iov = &siov[n];
				smsg[n].msg_hdr.msg_iovlen = 1;
				sslot[n] = s;
				n++;
			}
			int r = sendmmsg(fd, smsg, n, 0);
			if (r < 0)
				r = 0;
			uint64_t ts = now_ns();
			total_sent += (uint64_t)r;
			budget -= (uint64_t)r;
			for (int i = 0; i < r; i++) {
				struct slot *sl = &slots[sslot[i]];
				sl->busy = 1;
				sl->sent_at = ts;
				sl->counted = (uint8_t)counting;
				inflight++;
				if (counting)
					st.sent++;
			}
			for (unsigned i = (unsigned)r; i < n; i++)  /* unsent: back to the pool */
				freelist[nfree++] = sslot[i];
			if ((unsigned)r < n)
				break;
		}
		int r = recvmmsg(fd, rmsg, BATCH, MSG_DONTWAIT, NULL);
		if (r <= 0) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			poll(&pfd, 1, 1);
		} else {
			uint64_t ts = now_ns();
			for (int i = 0; i < r; i++) {
				const uint8_t *m = rbuf[i];
				size_t len = rmsg[i].msg_len;
				if (len < 12)
					continue;
				uint16_t id = (uint16_t)(m[0] << 8 | m[1]);
				unsigned s = id & (MAX_SLOTS - 1);
				if (s >= outstanding || !slots[s].busy || slots[s].id != id) {
					st.stale++;
					continue;
				}
				slots[s].busy = 0;
				inflight--;
				freelist[nfree++] = s;
				if (slots[s].counted)
					record_answer(m, len, slots[s].sent_at, ts);
			}
		}
		/* Every 10 ms, expire queries older than the timeout. */
		if (now - last_scan > 10000000u) {
			last_scan = now;
			for (unsigned s = 0; s < outstanding; s++) {
				/* sent_at may be later than `now` (sent this round). */
				if (slots[s].busy && now > slots[s].sent_at &&
				    now - slots[s].sent_at > to_ns) {
					slots[s].busy = 0;
					inflight--;
					freelist[nfree++] = s;
					if (slots[s].counted)
						st.lost++;
				}
			}
		}
	}
	for (unsigned s = 0; s < outstanding; s++)
		if (slots[s].busy && slots[s].counted)
			st.lost++;
	close(fd);
	free(slots);
	free(freelist);
}

/* ------------------------------------------------------------------ TCP */

struct conn {
	int fd;
	int connecting;
	unsigned sent, answered, inflight, depth;
	uint64_t sent_at[64];      /* per pipelined query, by ID low bits */
	uint8_t counted[64];
	uint16_t ids[64];
	uint8_t rbuf[4096];
	size_t rlen;
	uint16_t idbase;
};

static int tcp_open(int ep, struct conn *c, const struct sockaddr_storage *sa, socklen_t salen)
{
	int one = 1;
	c->fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* Every connection we close leaves a TIME_WAIT entry for 60 s. At
	 * several thousand connections/s one source address runs through its
	 * ~28k ports within a run, and finding a free port gets slower and
	 * slower, so later runs (and servers) would pay for earlier ones.
	 * Against IPv4 loopback, spread the connections over 127.1.0.0/16
	 * source addresses, each with its own ports. */
	if (sa->ss_family == AF_INET &&
	    ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
		static uint32_t next_src;
		struct sockaddr_in src = {.sin_family = AF_INET};
		src.sin_addr.s_addr = htonl(0x7f010001u + (next_src++ % 65000));
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
		bind(c->fd, (const struct sockaddr *)&src, sizeof src);
	}
	c->sent = c->answered = c->inflight = 0;
	c->rlen = 0;
	c->connecting = 1;
	memset(c->counted, 0, sizeof c->counted);
	memset(c->ids, 0, sizeof c->ids);
	if (counting)
		st.conns++;
	if (connect(c->fd, (const struct sockaddr *)sa, salen) < 0 && errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		if (counting)
			st.connfail++;
		return -1;
	}
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

static void tcp_close(int ep, struct conn *c, int lose)
{
	if (c->fd < 0)
		return;
	if (lose)
		for (unsigned i = 0; i < c->depth; i++)
			if (c->counted[i])
				st.lost++;
	memset(c->counted, 0, sizeof c->counted);
	memset(c->ids, 0, sizeof c->ids);
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->inflight = 0;
}

/* Fill the connection's pipeline up to its depth and its per-connection quota. */
static int tcp_fill(struct conn *c, unsigned per_conn)
{
	uint8_t buf[BATCH * (MAXQ + 2)];
	size_t off = 0;
	unsigned k = 0;
	uint64_t ts = now_ns();
	for (unsigned i = 0; i < c->depth && c->sent < per_conn; i++) {
		if (c->counted[i] || c->ids[i] & 0x8000)
			continue;  /* slot busy */
		uint16_t id = (uint16_t)(0x8000 | ((c->idbase++ & 0xff) << 6) | i);
		size_t l = make_query(buf + off + 2, id);
		if (last_do)
			set_do(buf + off + 2);
		buf[off] = (uint8_t)(l >> 8);
		buf[off + 1] = (uint8_t)l;
		off += l + 2;
		c->ids[i] = id;
		c->sent_at[i] = ts;
		c->counted[i] = (uint8_t)counting;
		c->sent++;
		c->inflight++;
		k++;
		if (counting)
			st.sent++;
		if (k == BATCH)
			break;
	}
	if (!off)
		return 0;
	ssize_t w = send(c->fd, buf, off, MSG_NOSIGNAL);
	return w == (ssize_t)off ? 0 : -1;  /* a short write of a few hundred bytes: give up */
}

static void run_tcp(const struct sockaddr_storage *sa, socklen_t salen, unsigned outstanding,
		    unsigned nconns, unsigned per_conn, double warmup, double duration, double timeout)
{
	int ep = epoll_create1(0);
	struct conn *conns = calloc(nconns, sizeof *conns);
	struct epoll_event evs[64];
	uint64_t t0 = now_ns();
	uint64_t t_count = t0 + (uint64_t)(warmup * 1e9);
	uint64_t t_end = t_count + (uint64_t)(duration * 1e9);
	uint64_t t_stop = t_end + (uint64_t)(timeout * 1e9);
	uint64_t to_ns = (uint64_t)(timeout * 1e9), last_scan = t0;
	unsigned depth = outstanding / nconns;
	if (depth < 1)
		depth = 1;
	if (depth > 64)
		depth = 64;
	if (ep < 0 || !conns)
		die("epoll/alloc failed");
	counting = warmup <= 0;
	for (unsigned i = 0; i < nconns; i++) {
		conns[i].fd = -1;
		conns[i].depth = depth;
		conns[i].idbase = (uint16_t)(i * 37);
		tcp_open(ep, &conns[i], sa, salen);
	}
	for (;;) {
		uint64_t now = now_ns();
		if (!counting && now >= t_count)
			counting = 1;
		int sending = now < t_end;
		unsigned open_inflight = 0;
		if (!sending) {
			for (unsigned i = 0; i < nconns; i++)
				if (conns[i].fd >= 0)
					open_inflight += conns[i].inflight;
			if (!open_inflight || now >= t_stop)
				break;
		}
		int n = epoll_wait(ep, evs, 64, 1);
		for (int e = 0; e < n; e++) {
			struct conn *c = evs[e].data.ptr;
			if (c->fd < 0)
				continue;
			if (c->connecting && (evs[e].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
				int err = 0;
				socklen_t el = sizeof err;
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err) {
					if (counting)
						st.connfail++;
					tcp_close(ep, c, 0);
					continue;
				}
				c->connecting = 0;
				struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				if (sending && tcp_fill(c, per_conn) < 0) {
					tcp_close(ep, c, 1);
					continue;
				}
			}
			if (!(evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			ssize_t r = recv(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen, 0);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				tcp_close(ep, c, 1);
				continue;
			}
			c->rlen += (size_t)r;
			uint64_t ts = now_ns();
			size_t off = 0;
			while (c->rlen - off >= 2) {
				size_t ml = (size_t)c->rbuf[off] << 8 | c->rbuf[off + 1];
				if (c->rlen - off < 2 + ml)
					break;
				const uint8_t *m = c->rbuf + off + 2;
				if (ml >= 12) {
					uint16_t id = (uint16_t)(m[0] << 8 | m[1]);
					unsigned i = id & 63;
					if (i < c->depth && c->ids[i] == id) {
						if (c->counted[i])
							record_answer(m, ml, c->sent_at[i], ts);
						c->counted[i] = 0;
						c->ids[i] = 0;
						c->inflight--;
						c->answered++;
					} else {
						st.stale++;
					}
				}
				off += 2 + ml;
			}
			memmove(c->rbuf, c->rbuf + off, c->rlen - off);
			c->rlen -= off;
			if (c->rlen == sizeof c->rbuf) {   /* a frame larger than our buffer */
				tcp_close(ep, c, 1);
				continue;
			}
			if (c->answered >= per_conn) {
				tcp_close(ep, c, 0);
			} else if (sending && tcp_fill(c, per_conn) < 0) {
				tcp_close(ep, c, 1);
			}
		}
		/* Reopen closed connections; expire stuck ones every 10 ms. */
		if (sending)
			for (unsigned i = 0; i < nconns; i++)
				if (conns[i].fd < 0)
					tcp_open(ep, &conns[i], sa, salen);
		if (now - last_scan > 10000000u) {
			last_scan = now;
			for (unsigned i = 0; i < nconns; i++) {
				struct conn *c = &conns[i];
				if (c->fd < 0 || !c->inflight)
					continue;
				for (unsigned j = 0; j < c->depth; j++)
					if ((c->ids[j] & 0x8000) && now > c->sent_at[j] &&
					    now - c->sent_at[j] > to_ns) {
						tcp_close(ep, c, 1);
						break;
					}
			}
		}
	}
	for (unsigned i = 0; i < nconns; i++)
		tcp_close(ep, &conns[i], 1);
	close(ep);
	free(conns);
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen -p PORT -q QUERIES [-s ADDR] [-d SECONDS] [-c OUTSTANDING]\n"
		"               [-e ECSFILE | -E SUBNET] [-T [-C CONNS] [-n PER_CONN]]\n"
		"               [-t TIMEOUT] [-w WARMUP] [-Q RATE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *qfile = NULL, *efile = NULL, *esub = NULL;
	int port = 0, tcp = 0, opt;
	unsigned outstanding = 100, nconns = 16, per_conn = 10;
	double duration = 5, timeout = 1, warmup = 0;
	struct sockaddr_storage sa;
	socklen_t salen;

	while ((opt = getopt(argc, argv, "s:p:q:e:E:d:c:TC:n:t:w:Q:K")) != -1) {
		switch (opt) {
		case 's': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'q': qfile = optarg; break;
		case 'e': efile = optarg; break;
		case 'E': esub = optarg; break;
		case 'd': duration = atof(optarg); break;
		case 'c': outstanding = (unsigned)atoi(optarg); break;
		case 'T': tcp = 1; break;
		case 'C': nconns = (unsigned)atoi(optarg); break;
		case 'n': per_conn = (unsigned)atoi(optarg); break;
		case 't': timeout = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'Q': rate = atof(optarg); break;
		case 'K': with_cookie = 1; break;
		default: usage();
		}
	}
	if (!port || !qfile || duration <= 0 || outstanding < 1 || outstanding > MAX_SLOTS ||
	    nconns < 1 || per_conn < 1)
		usage();
	load_queries(qfile);
	if (efile)
		load_ecs(efile);
	else if (esub) {
		ecs = malloc(sizeof *ecs);
		necs = 1;
		if (!ecs || parse_subnet(esub, ecs) < 0)
			die("bad -E subnet");
	}
	for (size_t i = 0; i < nqlines; i++)
		if (qlines[i].ecs && !necs)
			die("a query wants ECS but neither -e nor -E was given");
	memset(&sa, 0, sizeof sa);
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&sa)->sin_addr) == 1) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		salen = sizeof *s4;
	} else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&sa)->sin6_addr) == 1) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		salen = sizeof *s6;
	} else {
		die("bad server address");
	}
	st.hist = calloc(HIST_US, sizeof *st.hist);
	if (!st.hist)
		die("out of memory");

	uint64_t t0 = now_ns();
	if (tcp)
		run_tcp(&sa, salen, outstanding, nconns, per_conn, warmup, duration, timeout);
	else
		run_udp(&sa, salen, outstanding, warmup, duration, timeout);
	double wall = (double)(now_ns() - t0) / 1e9;

	/* p99: the bucket where the running count reaches 99% of answers. */
	uint64_t need = (uint64_t)ceil((double)st.answered * 0.99), acc = 0;
	unsigned p99 = 0;
	for (unsigned i = 0; i < HIST_US && st.answered; i++) {
		acc += st.hist[i];
		if (acc >= need) {
			p99 = i;
			break;
		}
	}
	printf("{\"mode\":\"%s\",\"duration\":%.3f,\"wall\":%.3f,\"sent\":%llu,\"answered\":%llu,"
	       "\"lost\":%llu,\"stale\":%llu,\"qps\":%.1f,\"avg_us\":%.1f,\"p99_us\":%u,"
	       "\"conns\":%llu,\"connfail\":%llu,\"ecs_subnets\":%zu,\"rcodes\":{",
	       tcp ? "tcp" : "udp", duration, wall, (unsigned long long)st.sent,
	       (unsigned long long)st.answered, (unsigned long long)st.lost,
	       (unsigned long long)st.stale, (double)st.answered / duration,
	       st.answered ? (double)st.lat_sum_ns / 1000.0 / (double)st.answered : 0.0,
	       p99 + 1, (unsigned long long)st.conns, (unsigned long long)st.connfail, necs);
	int first = 1;
	for (int i = 0; i < 16; i++)
		if (st.rcode[i]) {
			printf("%s\"%d\":%llu", first ? "" : ",", i, (unsigned long long)st.rcode[i]);
			first = 0;
		}
	printf("}}\n");
	return 0;
}
