/*
 * test_health.c: the network checks of common/health*.c against real
 * sockets on 127.0.0.1 and a real libevent loop: tcp listeners opened and
 * closed, a tiny HTTP server answering chosen statuses (or nothing), a tiny
 * UDP DNS responder (NOERROR, REFUSED, silence, wrong ID), and the HTTP
 * status / DNS reply parsers; the timing of rise/fall. File checks, sync
 * across "reloads", the registry and the change callback are in
 * test_health_sync.c. Every test server runs on the checker's own event
 * base, so each test is single-threaded and its timing deterministic up
 * to scheduler latency.
 */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/health.h"
#include "common/health_int.h"
#include "tests/unit/health_test_util.h"


/* ------------------------------------------------------------------ */
/* HTTP status and DNS reply parsers */

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

static Suite *make_suite(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, http_text);
	tcase_add_test(tc, dns_text);
	tcase_add_test(tc, tcp_fall_rise);
	tcase_add_test(tc, tcp_connect_timeout);
	tcase_add_test(tc, http_status_change);
	tcase_add_test(tc, http_status_list);
	tcase_add_test(tc, http_silent_server);
	tcase_add_test(tc, http_refused);
	tcase_add_test(tc, dns_rcodes);
	tcase_add_test(tc, dns_port_unreachable);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
