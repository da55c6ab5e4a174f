/*
 * health_test_util.h: helpers used by test_health.c and
 * test_health_sync.c: running the checker's libevent loop until a
 * condition holds (run_until, wait_state), the change callback's record
 * (record_change, assert_change), loopback check_confs, sync1(), the
 * setup/teardown fixture, and a TCP listener that can also answer as a
 * tiny HTTP server (srv_open, srv_close, accepted_more, closed_port).
 * Every function is static: each test file is its own binary.
 */
#ifndef STEERDNS_HEALTH_TEST_UTIL_H
#define STEERDNS_HEALTH_TEST_UTIL_H

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

__attribute__((unused)) static long now_ms(void)
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

__attribute__((unused)) static void until_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct until *u = arg;
	(void)fd;
	(void)what;
	if (u->pred && u->pred(u->arg)) {
		u->hit = true;
		event_base_loopbreak(u->base);
	}
}

__attribute__((unused)) static void until_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* Run base until pred(arg) holds (polled every millisecond) or max_ms
 * passed. Returns the elapsed ms when pred held, else -1. pred NULL: just
 * run for max_ms. */
__attribute__((unused)) static long run_until(struct event_base *base, bool (*pred)(void *), void *arg, long max_ms)
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

__attribute__((unused)) static void run_for(struct event_base *base, long ms)
{
	run_until(base, NULL, NULL, ms);
}

struct slot_want {
	_Atomic uint8_t *slot;
	uint8_t want;
};

__attribute__((unused)) static bool slot_is(void *arg)
{
	struct slot_want *w = arg;
	return atomic_load_explicit(w->slot, memory_order_relaxed) == w->want;
}

/* Run until the named slot holds want (failing the test if it does not
 * within max_ms); returns the elapsed ms. */
__attribute__((unused)) static long wait_state(struct event_base *base, const char *name, enum health_state want, long max_ms)
{
	struct slot_want w = { health_slot(name), (uint8_t)want };
	long t = run_until(base, slot_is, &w, max_ms);
	ck_assert_msg(t >= 0, "%s did not become %s within %ld ms", name,
	              health_state_name(want), max_ms);
	return t;
}

__attribute__((unused)) static enum health_state state_of(const char *name)
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

__attribute__((unused)) static void record_change(const char *name, enum health_state old, enum health_state now, void *arg)
{
	int *calls = arg;
	(*calls)++;
	ck_assert_int_lt(n_changes, MAX_CHANGES);
	snprintf(changes[n_changes].name, sizeof(changes[n_changes].name), "%s", name);
	changes[n_changes].old = old;
	changes[n_changes].now = now;
	n_changes++;
}

__attribute__((unused)) static void assert_change(int i, const char *name, enum health_state old, enum health_state now)
{
	ck_assert_int_gt(n_changes, i);
	ck_assert_str_eq(changes[i].name, name);
	ck_assert_int_eq(changes[i].old, old);
	ck_assert_int_eq(changes[i].now, now);
}

__attribute__((unused)) static struct sockaddr_in lo_addr(uint16_t port)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

__attribute__((unused)) static uint16_t fd_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

__attribute__((unused)) static struct check_conf net_conf(enum check_type type, uint16_t port, unsigned interval,
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

__attribute__((unused)) static void sync1(struct health_checker *hc, const char *name, const struct check_conf *c)
{
	const char *names[] = { name };
	const struct check_conf *confs[] = { c };
	ck_assert_int_eq(health_checker_sync(hc, names, confs, 1), 0);
}

__attribute__((unused)) static void setup(void)
{
	/* HEALTH_TEST_LOG=1 shows the checker's own lines while debugging */
	log_set_level(getenv("HEALTH_TEST_LOG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	n_changes = 0;
}

__attribute__((unused)) static void teardown(void)
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

__attribute__((unused)) static void http_conn_cb(evutil_socket_t fd, short what, void *arg)
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

__attribute__((unused)) static void accept_cb(evutil_socket_t fd, short what, void *arg)
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
__attribute__((unused)) static void srv_open(struct tcp_srv *s, struct event_base *base, uint16_t port)
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

__attribute__((unused)) static void srv_close(struct tcp_srv *s)
{
	event_free(s->ev);
	close(s->fd);
	s->ev = NULL;
	s->fd = -1;
}

__attribute__((unused)) static bool accepted_more(void *arg)
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
__attribute__((unused)) static uint16_t closed_port(void)
{
	struct sockaddr_in sin = lo_addr(0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	uint16_t port = fd_port(fd);
	close(fd);
	return port;
}

#endif
