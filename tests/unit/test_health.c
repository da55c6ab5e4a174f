/*
 * test_health.c: common/health*.c against real sockets on 127.0.0.1 and a
 * real libevent loop: tcp listeners opened and closed, a tiny HTTP server
 * answering chosen statuses (or nothing), a tiny UDP DNS responder
 * (NOERROR, REFUSED, silence, wrong ID), state files edited on disk; the
 * timing of rise/fall, sync across "reloads", and the change callback.
 * Every test server runs on the checker's own event base, so each test is
 * single-threaded and its timing deterministic up to scheduler latency.
 */
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/health.h"
#include "common/health_int.h"
#include "common/log.h"

/* ------------------------------------------------------------------ */
/* Loop helpers */

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct until {
	struct event_base *base;
	bool (*pred)(void *);
	void *arg;
	bool hit;
};

static void until_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct until *u = arg;
	(void)fd;
	(void)what;
	if (u->pred && u->pred(u->arg)) {
		u->hit = true;
		event_base_loopbreak(u->base);
	}
}

static void until_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* Run base until pred(arg) holds (polled every millisecond) or max_ms
 * passed. Returns the elapsed ms when pred held, else -1. pred NULL: just
 * run for max_ms. */
static long run_until(struct event_base *base, bool (*pred)(void *), void *arg, long max_ms)
{
	struct until u = { base, pred, arg, false };
	struct timeval poll = { 0, 1000 }, stop = { max_ms / 1000, (max_ms % 1000) * 1000 };
	struct event *p = event_new(base, -1, EV_PERSIST, until_poll_cb, &u);
	struct event *s = evtimer_new(base, until_stop_cb, base);
	long t0 = now_ms();

	ck_assert(p && s);
	if (pred && pred(arg)) {
		event_free(p);
		event_free(s);
		return 0;
	}
	event_add(p, &poll);
	event_add(s, &stop);
	event_base_dispatch(base);
	event_free(p);
	event_free(s);
	return u.hit ? now_ms() - t0 : -1;
}

static void run_for(struct event_base *base, long ms)
{
	run_until(base, NULL, NULL, ms);
}

struct slot_want {
	_Atomic uint8_t *slot;
	uint8_t want;
};

static bool slot_is(void *arg)
{
	struct slot_want *w = arg;
	return atomic_load_explicit(w->slot, memory_order_relaxed) == w->want;
}

/* Run until the named slot holds want (failing the test if it does not
 * within max_ms); returns the elapsed ms. */
static long wait_state(struct event_base *base, const char *name, enum health_state want, long max_ms)
{
	struct slot_want w = { health_slot(name), (uint8_t)want };
	long t = run_until(base, slot_is, &w, max_ms);
	ck_assert_msg(t >= 0, "%s did not become %s within %ld ms", name,
	              health_state_name(want), max_ms);
	return t;
}

static enum health_state state_of(const char *name)
{
	return (enum health_state)atomic_load_explicit(health_slot(name), memory_order_relaxed);
}

/* The change callback's record. */
#define MAX_CHANGES 32
static struct change {
	char name[32];
	enum health_state old, now;
} changes[MAX_CHANGES];
static int n_changes;

static void record_change(const char *name, enum health_state old, enum health_state now, void *arg)
{
	int *calls = arg;
	(*calls)++;
	ck_assert_int_lt(n_changes, MAX_CHANGES);
	snprintf(changes[n_changes].name, sizeof(changes[n_changes].name), "%s", name);
	changes[n_changes].old = old;
	changes[n_changes].now = now;
	n_changes++;
}

static void assert_change(int i, const char *name, enum health_state old, enum health_state now)
{
	ck_assert_int_gt(n_changes, i);
	ck_assert_str_eq(changes[i].name, name);
	ck_assert_int_eq(changes[i].old, old);
	ck_assert_int_eq(changes[i].now, now);
}

static struct sockaddr_in lo_addr(uint16_t port)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

static uint16_t fd_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

static struct check_conf net_conf(enum check_type type, uint16_t port, unsigned interval,
                                  unsigned timeout, unsigned rise, unsigned fall)
{
	struct check_conf c;
	struct sockaddr_in sin = lo_addr(port);
	memset(&c, 0, sizeof(c));
	c.type = type;
	memcpy(&c.addr, &sin, sizeof(sin));
	c.addrlen = sizeof(sin);
	c.interval_ms = interval;
	c.timeout_ms = timeout;
	c.rise = rise;
	c.fall = fall;
	return c;
}

static void sync1(struct health_checker *hc, const char *name, const struct check_conf *c)
{
	const char *names[] = { name };
	const struct check_conf *confs[] = { c };
	ck_assert_int_eq(health_checker_sync(hc, names, confs, 1), 0);
}

static void setup(void)
{
	/* HEALTH_TEST_LOG=1 shows the checker's own lines while debugging */
	log_set_level(getenv("HEALTH_TEST_LOG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	n_changes = 0;
}

static void teardown(void)
{
	health_registry_free();
}

/* ------------------------------------------------------------------ */
/* TCP listener (also the HTTP server's) */

struct tcp_srv {
	int fd;
	struct event *ev;
	int accepted;
	long last_accept_ms;
	/* http */
	bool http;
	int status;               /* 0: never answer */
	char request[1024];       /* the last request received */
	int held[64];             /* connections never answered */
	int n_held;
	struct event_base *base;
};

struct http_conn {
	struct tcp_srv *srv;
	int fd;
	struct event *ev;
	char buf[1024];
	size_t len;
};

static void http_conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	ssize_t n = recv(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	(void)what;
	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = 0;
		if (!strstr(c->buf, "\r\n\r\n"))
			return;
		snprintf(c->srv->request, sizeof(c->srv->request), "%s", c->buf);
		if (c->srv->status == 0) {
			/* never answer: keep the socket for the test to inspect */
			if (c->srv->n_held < 64)
				c->srv->held[c->srv->n_held++] = fd;
			else
				close(fd);
			event_free(c->ev);
			free(c);
			return;
		}
		char resp[128];
		int len = snprintf(resp, sizeof(resp), "HTTP/1.1 %d Whatever\r\nContent-Length: 0\r\n\r\n",
		                   c->srv->status);
		ck_assert_int_eq(send(fd, resp, (size_t)len, MSG_NOSIGNAL), len);
	} else if (n < 0 && errno == EAGAIN) {
		return;
	}
	close(fd);
	event_free(c->ev);
	free(c);
}

static void accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_srv *s = arg;
	int c;
	(void)what;
	while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		s->accepted++;
		s->last_accept_ms = now_ms();
		if (!s->http) {
			close(c);
			continue;
		}
		struct http_conn *hc = calloc(1, sizeof(*hc));
		ck_assert_ptr_nonnull(hc);
		hc->srv = s;
		hc->fd = c;
		hc->ev = event_new(s->base, c, EV_READ | EV_PERSIST, http_conn_cb, hc);
		event_add(hc->ev, NULL);
	}
}

/* Listen on 127.0.0.1:port (0: any) on base. */
static void srv_open(struct tcp_srv *s, struct event_base *base, uint16_t port)
{
	struct sockaddr_in sin = lo_addr(port);
	int one = 1;
	s->base = base;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->fd, 0);
	ck_assert_int_eq(setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(s->fd, 64), 0);
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, accept_cb, s);
	event_add(s->ev, NULL);
}

static void srv_close(struct tcp_srv *s)
{
	event_free(s->ev);
	close(s->fd);
	s->ev = NULL;
	s->fd = -1;
}

static bool accepted_more(void *arg)
{
	struct tcp_srv *s = arg;
	static int seen = -1;
	if (seen < 0 || s->accepted < seen) {
		seen = s->accepted;
		return false;
	}
	if (s->accepted > seen) {
		seen = -1;
		return true;
	}
	return false;
}

/* A port with nothing listening (bound, then closed). */
static uint16_t closed_port(void)
{
	struct sockaddr_in sin = lo_addr(0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	uint16_t port = fd_port(fd);
	close(fd);
	return port;
}

/* ------------------------------------------------------------------ */
/* Registry and text helpers */

START_TEST(registry_slots)
{
	_Atomic uint8_t *a = health_slot("eu-west");
	_Atomic uint8_t *b = health_slot("us-east");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	ck_assert_ptr_eq(health_slot("eu-west"), a);
	ck_assert_int_eq(atomic_load(a), HEALTH_UP);
	atomic_store(a, HEALTH_DRAIN);
	/* stable and shared: a second lookup sees the same byte */
	ck_assert_int_eq(atomic_load(health_slot("eu-west")), HEALTH_DRAIN);
	ck_assert_int_eq(atomic_load(b), HEALTH_UP);
	ck_assert_str_eq(health_state_name(HEALTH_UP), "up");
	ck_assert_str_eq(health_state_name(HEALTH_DOWN), "down");
	ck_assert_str_eq(health_state_name(HEALTH_DRAIN), "drain");
}
END_TEST

START_TEST(http_text)
{
	size_t len;
	char *req = health_http_request("/health", "pop1.example.test", &len);
	const char *want = "GET /health HTTP/1.0\r\nHost: pop1.example.test\r\n"
	                   "User-Agent: steerdns-health\r\nConnection: close\r\n\r\n";
	ck_assert_str_eq(req, want);
	ck_assert_uint_eq(len, strlen(want));
	free(req);

#define ST(s) health_http_status(s, strlen(s))
	ck_assert_int_eq(ST("HTTP/1.1 200 OK"), 200);
	ck_assert_int_eq(ST("HTTP/1.0 503 Service Unavailable"), 503);
	ck_assert_int_eq(ST("HTTP/1.1 204"), 204);      /* no reason phrase */
	ck_assert_int_eq(ST("HTTP/1.1 204 "), 204);
	ck_assert_int_eq(ST("HTTP/1.1 20 OK"), -1);
	ck_assert_int_eq(ST("HTTP/1.1 2000 OK"), -1);
	ck_assert_int_eq(ST("HTTP/1.1  200 OK"), -1);
	ck_assert_int_eq(ST("HTTP/11 200 OK"), -1);
	ck_assert_int_eq(ST("SSH-2.0-OpenSSH_9.2"), -1);
	ck_assert_int_eq(ST(""), -1);
#undef ST
}
END_TEST

START_TEST(dns_text)
{
	uint8_t qname[DNAME_MAXLEN], other[DNAME_MAXLEN], q[512], r[512];
	int rcode = -1;
	ck_assert_int_gt(dname_from_text("health.example.test.", NULL, qname), 0);
	ck_assert_int_gt(dname_from_text("other.example.test.", NULL, other), 0);
	int len = health_dns_query(q, sizeof(q), 0xbeef, qname, 28);
	ck_assert_int_eq(len, 12 + 21 + 4);
	ck_assert_int_eq(q[0], 0xbe);
	ck_assert_int_eq(q[1], 0xef);
	ck_assert_int_eq(q[2], 0);     /* QR=0, opcode QUERY, RD=0 */
	ck_assert_int_eq(q[3], 0);
	ck_assert_int_eq(q[5], 1);     /* QDCOUNT */
	ck_assert_int_eq(q[len - 3], 28);
	ck_assert_int_eq(q[len - 1], 1);
	ck_assert_int_eq(health_dns_query(q, 20, 1, qname, 1), -1);

	/* the query echoed back as a response */
	len = health_dns_query(r, sizeof(r), 0xbeef, qname, 28);
	r[2] |= 0x84;                  /* QR, AA */
	ck_assert_int_eq(health_dns_check_response(r, (size_t)len, 0xbeef, qname, 28, &rcode), 1);
	ck_assert_int_eq(rcode, 0);
	r[3] = 5;                      /* REFUSED */
	ck_assert_int_eq(health_dns_check_response(r, (size_t)len, 0xbeef, qname, 28, &rcode), 0);
	ck_assert_int_eq(rcode, 5);
	r[3] = 0;
	/* not ours: wrong ID, no QR, other qtype, other name, truncated */
	ck_assert_int_eq(health_dns_check_response(r, (size_t)len, 0xbeee, qname, 28, &rcode), -1);
	ck_assert_int_eq(health_dns_check_response(r, (size_t)len, 0xbeef, qname, 1, &rcode), -1);
	ck_assert_int_eq(health_dns_check_response(r, (size_t)len, 0xbeef, other, 28, &rcode), -1);
	ck_assert_int_eq(health_dns_check_response(r, 11, 0xbeef, qname, 28, &rcode), -1);
	ck_assert_int_eq(health_dns_check_response(r, (size_t)len - 2, 0xbeef, qname, 28, &rcode), -1);
	r[2] &= 0x7f;
	ck_assert_int_eq(health_dns_check_response(r, (size_t)len, 0xbeef, qname, 28, &rcode), -1);
	/* FORMERR without a question is still an answer to us */
	r[2] |= 0x80;
	r[3] = 1;
	r[5] = 0;
	ck_assert_int_eq(health_dns_check_response(r, 12, 0xbeef, qname, 28, &rcode), 0);
	ck_assert_int_eq(rcode, 1);
}
END_TEST

START_TEST(invalid_confs_skipped)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	struct tcp_srv srv = { 0 };
	srv_open(&srv, base, 0);
	struct check_conf good = net_conf(CHECK_TCP, fd_port(srv.fd), 100, 50, 1, 1);
	struct check_conf noname = net_conf(CHECK_DNS, 53, 100, 50, 1, 1);
	struct check_conf noport = net_conf(CHECK_TCP, 0, 100, 50, 1, 1);
	struct check_conf nofile = { .type = CHECK_FILE };
	struct check_conf badtype = { .type = 99 };
	const char *names[] = { "iv-dns", "iv-good", "iv-port", "iv-file", "iv-type", "iv-good" };
	const struct check_conf *confs[] = { &noname, &good, &noport, &nofile, &badtype, &good };

	ck_assert_int_eq(health_checker_sync(hc, names, confs, 6), -1);
	/* the valid one runs anyway */
	ck_assert_int_ne(run_until(base, accepted_more, &srv, 500), -1);
	health_checker_free(hc);
	srv_close(&srv);
	event_base_free(base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* tcp */

#define I_TCP 200

START_TEST(tcp_fall_rise)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	struct tcp_srv srv = { 0 };
	int calls = 0;

	health_checker_on_change(hc, record_change, &calls);
	srv_open(&srv, base, 0);
	uint16_t port = fd_port(srv.fd);
	struct check_conf c = net_conf(CHECK_TCP, port, I_TCP, 100, 2, 3);
	sync1(hc, "t-tcp", &c);

	/* up and probed every interval: 0, 200, 400, 600 ms */
	run_for(base, 3 * I_TCP + I_TCP / 2);
	ck_assert_int_eq(state_of("t-tcp"), HEALTH_UP);
	ck_assert_int_ge(srv.accepted, 3);
	ck_assert_int_le(srv.accepted, 5);

	/* Close right after a probe connected: the next 3 ticks fail, so
	 * DOWN comes at 3 intervals, not 2 (fall - 1) nor 4 (fall + 1). */
	ck_assert_int_ne(run_until(base, accepted_more, &srv, 2 * I_TCP), -1);
	srv_close(&srv);
	long t0 = srv.last_accept_ms;
	wait_state(base, "t-tcp", HEALTH_DOWN, 6 * I_TCP);
	long down = now_ms() - t0;
	ck_assert_int_ge(down, 3 * I_TCP - I_TCP / 2);
	ck_assert_int_lt(down, 3 * I_TCP + I_TCP / 2);

	/* Reopen right after the failing tick: UP after rise = 2 ticks. */
	srv_open(&srv, base, port);
	long up = wait_state(base, "t-tcp", HEALTH_UP, 6 * I_TCP);
	ck_assert_int_ge(up, 2 * I_TCP - I_TCP / 2);
	ck_assert_int_lt(up, 2 * I_TCP + I_TCP / 2);

	ck_assert_int_eq(calls, 2);
	assert_change(0, "t-tcp", HEALTH_UP, HEALTH_DOWN);
	assert_change(1, "t-tcp", HEALTH_DOWN, HEALTH_UP);

	health_checker_free(hc);
	srv_close(&srv);
	event_base_free(base);
}
END_TEST

START_TEST(tcp_connect_timeout)
{
	/* 192.0.2.1 (TEST-NET-1, RFC 5737) is never answered; whether the
	 * connect hangs or fails at once (no route), the probe fails and
	 * the loop is never blocked: the fast timer keeps firing. */
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	struct check_conf c = net_conf(CHECK_TCP, 80, 100, 50, 1, 1);
	((struct sockaddr_in *)&c.addr)->sin_addr.s_addr = htonl(0xc0000201);
	sync1(hc, "t-tcp-to", &c);
	long t = wait_state(base, "t-tcp-to", HEALTH_DOWN, 1000);
	ck_assert_int_lt(t, 200);
	health_checker_free(hc);
	event_base_free(base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* http */

#define I_HTTP 150

START_TEST(http_status_change)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	struct tcp_srv srv = { .http = true, .status = 200 };
	int calls = 0;

	health_checker_on_change(hc, record_change, &calls);
	srv_open(&srv, base, 0);
	struct check_conf c = net_conf(CHECK_HTTP, fd_port(srv.fd), I_HTTP, 100, 1, 2);
	c.path = "/health";
	c.host = "pop1.example.test";
	sync1(hc, "t-http", &c);

	run_for(base, 3 * I_HTTP);
	ck_assert_int_eq(state_of("t-http"), HEALTH_UP);
	ck_assert_int_ge(srv.accepted, 2);
	ck_assert_str_eq(srv.request, "GET /health HTTP/1.0\r\nHost: pop1.example.test\r\n"
	                              "User-Agent: steerdns-health\r\nConnection: close\r\n\r\n");

	srv.status = 503;
	long t = wait_state(base, "t-http", HEALTH_DOWN, 5 * I_HTTP);
	ck_assert_int_ge(t, I_HTTP / 2);   /* needs two failures, one interval apart */

	srv.status = 200;
	wait_state(base, "t-http", HEALTH_UP, 3 * I_HTTP);
	ck_assert_int_eq(calls, 2);
	assert_change(0, "t-http", HEALTH_UP, HEALTH_DOWN);
	assert_change(1, "t-http", HEALTH_DOWN, HEALTH_UP);

	health_checker_free(hc);
	srv_close(&srv);
	event_base_free(base);
}
END_TEST

START_TEST(http_status_list)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	struct tcp_srv srv = { .http = true, .status = 204 };
	uint16_t ok[] = { 204, 301 };

	srv_open(&srv, base, 0);
	uint16_t port = fd_port(srv.fd);
	struct check_conf listed = net_conf(CHECK_HTTP, port, I_HTTP, 100, 1, 1);
	listed.status = ok;
	listed.n_status = 2;
	struct check_conf dflt = net_conf(CHECK_HTTP, port, I_HTTP, 100, 1, 1);
	const char *names[] = { "t-http-list", "t-http-default" };
	const struct check_conf *confs[] = { &listed, &dflt };
	ck_assert_int_eq(health_checker_sync(hc, names, confs, 2), 0);

	/* 204 is in the list, not in the default {200} */
	run_for(base, 3 * I_HTTP);
	ck_assert_int_eq(state_of("t-http-list"), HEALTH_UP);
	ck_assert_int_eq(state_of("t-http-default"), HEALTH_DOWN);
	/* default path and Host (the address, with its port as it is not 80) */
	char want[256];
	snprintf(want, sizeof(want), "GET / HTTP/1.0\r\nHost: 127.0.0.1:%u\r\n"
	         "User-Agent: steerdns-health\r\nConnection: close\r\n\r\n", port);
	ck_assert_str_eq(srv.request, want);

	srv.status = 301;
	run_for(base, 2 * I_HTTP);
	ck_assert_int_eq(state_of("t-http-list"), HEALTH_UP);
	srv.status = 200;
	wait_state(base, "t-http-list", HEALTH_DOWN, 3 * I_HTTP);
	wait_state(base, "t-http-default", HEALTH_UP, 3 * I_HTTP);

	health_checker_free(hc);
	srv_close(&srv);
	event_base_free(base);
}
END_TEST

START_TEST(http_silent_server)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	struct tcp_srv srv = { .http = true, .status = 0 };

	srv_open(&srv, base, 0);
	struct check_conf c = net_conf(CHECK_HTTP, fd_port(srv.fd), 200, 80, 1, 2);
	sync1(hc, "t-http-silent", &c);
	/* two probes time out: DOWN at ~ 200 + 80 ms */
	long t = wait_state(base, "t-http-silent", HEALTH_DOWN, 1000);
	ck_assert_int_ge(t, 200);
	ck_assert_int_lt(t, 400);
	ck_assert_int_ge(srv.n_held, 2);
	/* the checker closed the first connection at its timeout */
	char b;
	ck_assert_int_eq(recv(srv.held[0], &b, 1, MSG_DONTWAIT), 0);

	health_checker_free(hc);
	for (int i = 0; i < srv.n_held; i++)
		close(srv.held[i]);
	srv_close(&srv);
	event_base_free(base);
}
END_TEST

START_TEST(http_refused)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	struct check_conf c = net_conf(CHECK_HTTP, closed_port(), 100, 50, 1, 1);
	sync1(hc, "t-http-refused", &c);
	ck_assert_int_lt(wait_state(base, "t-http-refused", HEALTH_DOWN, 300), 50);
	health_checker_free(hc);
	event_base_free(base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* dns */

enum dns_mode { DNS_NOERROR, DNS_REFUSED, DNS_SILENT, DNS_WRONG_ID };

struct dns_srv {
	int fd;
	struct event *ev;
	enum dns_mode mode;
	int queries;
	bool rd_seen, bad_question;
	uint16_t ids[256];
	uint8_t qname[DNAME_MAXLEN];
};

static void dns_srv_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_srv *s = arg;
	uint8_t buf[512];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	(void)what;
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	if (n < 12)
		return;
	if (s->queries < 256)
		s->ids[s->queries] = (uint16_t)(buf[0] << 8 | buf[1]);
	s->queries++;
	if (buf[2] & 0x01)
		s->rd_seen = true;
	size_t ql = dname_len(s->qname);
	if ((size_t)n != 12 + ql + 4 || memcmp(buf + 12, s->qname, ql) != 0 ||
	    buf[12 + ql + 1] != 1 || buf[12 + ql + 3] != 1)
		s->bad_question = true;
	if (s->mode == DNS_SILENT)
		return;
	buf[2] |= 0x84;
	buf[3] = s->mode == DNS_REFUSED ? 5 : 0;
	if (s->mode == DNS_WRONG_ID)
		buf[1] ^= 1;
	sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
}

static void dns_open(struct dns_srv *s, struct event_base *base)
{
	struct sockaddr_in sin = lo_addr(0);
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, dns_srv_cb, s);
	event_add(s->ev, NULL);
	ck_assert_int_gt(dname_from_text("health.example.test.", NULL, s->qname), 0);
}

#define I_DNS 150

START_TEST(dns_rcodes)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	struct dns_srv srv = { .mode = DNS_NOERROR };
	int calls = 0;

	health_checker_on_change(hc, record_change, &calls);
	dns_open(&srv, base);
	struct check_conf c = net_conf(CHECK_DNS, fd_port(srv.fd), I_DNS, 80, 1, 2);
	c.qname = "Health.Example.Test";   /* relative: taken as absolute */
	sync1(hc, "t-dns", &c);

	run_for(base, 3 * I_DNS + I_DNS / 2);
	ck_assert_int_eq(state_of("t-dns"), HEALTH_UP);
	ck_assert_int_ge(srv.queries, 3);
	ck_assert(!srv.rd_seen);
	ck_assert(!srv.bad_question);
	/* random IDs: three in a row equal would be a 1 in 2^32 event */
	ck_assert(!(srv.ids[0] == srv.ids[1] && srv.ids[1] == srv.ids[2]));

	srv.mode = DNS_REFUSED;
	wait_state(base, "t-dns", HEALTH_DOWN, 4 * I_DNS);
	srv.mode = DNS_NOERROR;
	wait_state(base, "t-dns", HEALTH_UP, 2 * I_DNS);
	srv.mode = DNS_SILENT;
	long t = wait_state(base, "t-dns", HEALTH_DOWN, 4 * I_DNS);
	ck_assert_int_ge(t, I_DNS / 2);   /* a timeout, one interval, a timeout */
	srv.mode = DNS_NOERROR;
	wait_state(base, "t-dns", HEALTH_UP, 2 * I_DNS);
	/* an answer with another ID is ignored: the probe times out */
	srv.mode = DNS_WRONG_ID;
	wait_state(base, "t-dns", HEALTH_DOWN, 4 * I_DNS);
	ck_assert_int_eq(calls, 5);

	health_checker_free(hc);
	event_free(srv.ev);
	close(srv.fd);
	event_base_free(base);
}
END_TEST

START_TEST(dns_port_unreachable)
{
	/* ICMP port unreachable on the connected socket: fails at once. */
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	struct sockaddr_in sin = lo_addr(0);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	uint16_t port = fd_port(fd);
	close(fd);
	struct check_conf c = net_conf(CHECK_DNS, port, 1000, 900, 1, 1);
	c.qname = "example.test.";
	sync1(hc, "t-dns-unreach", &c);
	long t = wait_state(base, "t-dns-unreach", HEALTH_DOWN, 1000);
	ck_assert_int_lt(t, 500);   /* well before the 900 ms timeout */
	health_checker_free(hc);
	event_base_free(base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* file */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

#define I_FILE 100

START_TEST(file_states)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	char dir[] = "/tmp/steerdns-health-XXXXXX", path[64];
	int calls = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	write_file(path, "up\n");
	health_checker_on_change(hc, record_change, &calls);
	struct check_conf c = { .type = CHECK_FILE, .file = path, .interval_ms = I_FILE };
	sync1(hc, "t-file", &c);
	run_for(base, I_FILE / 2);
	ck_assert_int_eq(state_of("t-file"), HEALTH_UP);

	/* each edit applies at the next tick, at once (no rise/fall) */
	write_file(path, "  drain \n");
	long t = wait_state(base, "t-file", HEALTH_DRAIN, 3 * I_FILE);
	ck_assert_int_le(t, I_FILE + 30);
	write_file(path, "down");
	t = wait_state(base, "t-file", HEALTH_DOWN, 3 * I_FILE);
	ck_assert_int_le(t, I_FILE + 30);
	write_file(path, "UP\r\n");
	ck_assert_int_le(wait_state(base, "t-file", HEALTH_UP, 3 * I_FILE), I_FILE + 30);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_le(wait_state(base, "t-file", HEALTH_DOWN, 3 * I_FILE), I_FILE + 30);
	write_file(path, "maybe");   /* not a state: down */
	run_for(base, 2 * I_FILE);
	ck_assert_int_eq(state_of("t-file"), HEALTH_DOWN);
	write_file(path, "up");
	ck_assert_int_le(wait_state(base, "t-file", HEALTH_UP, 3 * I_FILE), I_FILE + 30);
	/* The file is re-read only when its stat changes: a slot poked by
	 * hand stays poked while the file is untouched. */
	atomic_store(health_slot("t-file"), HEALTH_DRAIN);
	run_for(base, 2 * I_FILE);
	ck_assert_int_eq(state_of("t-file"), HEALTH_DRAIN);
	write_file(path, "up ");
	wait_state(base, "t-file", HEALTH_UP, 3 * I_FILE);

	ck_assert_int_eq(calls, 6);
	assert_change(0, "t-file", HEALTH_UP, HEALTH_DRAIN);
	assert_change(1, "t-file", HEALTH_DRAIN, HEALTH_DOWN);
	assert_change(2, "t-file", HEALTH_DOWN, HEALTH_UP);
	assert_change(3, "t-file", HEALTH_UP, HEALTH_DOWN);
	assert_change(4, "t-file", HEALTH_DOWN, HEALTH_UP);
	assert_change(5, "t-file", HEALTH_DRAIN, HEALTH_UP);  /* the poked value */

	health_checker_free(hc);
	unlink(path);
	rmdir(dir);
	event_base_free(base);
}
END_TEST

START_TEST(file_missing_at_start)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	struct check_conf c = { .type = CHECK_FILE, .file = "/nonexistent/steerdns/state",
	                        .interval_ms = I_FILE };
	sync1(hc, "t-file-missing", &c);
	wait_state(base, "t-file-missing", HEALTH_DOWN, 50);
	health_checker_free(hc);
	event_base_free(base);
}
END_TEST

/* ------------------------------------------------------------------ */
/* sync */

START_TEST(sync_keeps_unchanged)
{
	struct event_base *base = event_base_new();
	struct health_checker *hc = health_checker_new(base);
	char dir[] = "/tmp/steerdns-health-XXXXXX", pb[64], pc[64];
	int calls = 0;

	health_checker_on_change(hc, record_change, &calls);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(pb, sizeof(pb), "%s/b", dir);
	snprintf(pc, sizeof(pc), "%s/c", dir);
	write_file(pb, "down");
	write_file(pc, "drain");

	/* A: http to a closed port, fails every 200 ms, fall 3 */
	uint16_t port = closed_port();
	struct check_conf a = net_conf(CHECK_HTTP, port, 200, 100, 1, 3);
	a.path = "/a";
	struct check_conf b = { .type = CHECK_FILE, .file = pb, .interval_ms = 50 };
	const char *n1[] = { "s-a", "s-b" };
	const struct check_conf *c1[] = { &a, &b };
	ck_assert_int_eq(health_checker_sync(hc, n1, c1, 2), 0);

	/* failures at 0 and 200 ms: A still up; B down */
	run_for(base, 300);
	ck_assert_int_eq(state_of("s-a"), HEALTH_UP);
	ck_assert_int_eq(state_of("s-b"), HEALTH_DOWN);

	/* Reload: A equal in content (other pointers), B removed, C new. */
	char *path_copy = strdup("/a");
	struct check_conf a2 = a;
	a2.path = path_copy;
	struct check_conf c = { .type = CHECK_FILE, .file = pc, .interval_ms = 50 };
	const char *n2[] = { "s-c", "s-a" };
	const struct check_conf *c2[] = { &c, &a2 };
	ck_assert_int_eq(health_checker_sync(hc, n2, c2, 2), 0);
	free(path_copy);   /* the checker copied it */
	/* removed: up at once */
	ck_assert_int_eq(state_of("s-b"), HEALTH_UP);
	/* A kept its two failures and its schedule: the third comes at
	 * ~400 ms, 100 ms from now. Restarted, it would take 400 ms. */
	long t = wait_state(base, "s-a", HEALTH_DOWN, 1000);
	ck_assert_int_lt(t, 250);
	wait_state(base, "s-c", HEALTH_DRAIN, 200);
	/* B is no longer watched */
	write_file(pb, "drain");
	run_for(base, 200);
	ck_assert_int_eq(state_of("s-b"), HEALTH_UP);

	/* A changed (fall 5): restarted, its slot keeps DOWN for the new
	 * check to confirm or clear. */
	struct check_conf a3 = a;
	a3.fall = 5;
	const struct check_conf *c3[] = { &c, &a3 };
	ck_assert_int_eq(health_checker_sync(hc, n2, c3, 2), 0);
	ck_assert_int_eq(state_of("s-a"), HEALTH_DOWN);
	run_for(base, 100);
	ck_assert_int_eq(state_of("s-a"), HEALTH_DOWN);

	/* nothing checked any more: everything up */
	ck_assert_int_eq(health_checker_sync(hc, NULL, NULL, 0), 0);
	ck_assert_int_eq(state_of("s-a"), HEALTH_UP);
	ck_assert_int_eq(state_of("s-c"), HEALTH_UP);

	ck_assert_int_eq(calls, 6);
	assert_change(0, "s-b", HEALTH_UP, HEALTH_DOWN);
	assert_change(1, "s-b", HEALTH_DOWN, HEALTH_UP);
	/* s-a DOWN and s-c DRAIN in either order */
	ck_assert(strcmp(changes[2].name, "s-a") == 0 || strcmp(changes[3].name, "s-a") == 0);
	ck_assert(changes[4].now == HEALTH_UP && changes[5].now == HEALTH_UP);

	health_checker_free(hc);
	unlink(pb);
	unlink(pc);
	rmdir(dir);
	event_base_free(base);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, registry_slots);
	tcase_add_test(tc, http_text);
	tcase_add_test(tc, dns_text);
	tcase_add_test(tc, invalid_confs_skipped);
	tcase_add_test(tc, tcp_fall_rise);
	tcase_add_test(tc, tcp_connect_timeout);
	tcase_add_test(tc, http_status_change);
	tcase_add_test(tc, http_status_list);
	tcase_add_test(tc, http_silent_server);
	tcase_add_test(tc, http_refused);
	tcase_add_test(tc, dns_rcodes);
	tcase_add_test(tc, dns_port_unreachable);
	tcase_add_test(tc, file_states);
	tcase_add_test(tc, file_missing_at_start);
	tcase_add_test(tc, sync_keeps_unchanged);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
