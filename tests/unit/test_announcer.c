/*
 * test_announcer.c: the anycast announcer against fake BGP peers (loopback
 * TCP listeners the test scripts by hand, checking the exact bytes the
 * session sends) and a tiny UDP DNS responder for the self check: announce
 * only when ready and healthy, withdraw after `fall` failures on the fast
 * interval, re-announce after `rise`, drain file and drain by signal, the
 * shutdown sequence (withdraw, linger, Cease 6/2 with our message), reload
 * (unchanged / changed / removed peers) from a config that is freed, and
 * the on_announce / on_withdraw commands.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "anycast/announcer.h"
#include "anycast/bgp_msg.h"
#include "common/log.h"
#include "tests/unit/bgp_test_util.h"

static struct event_base *base;

static void pump(int ms)
{
	double end = now_ms() + ms;
	do {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	} while (now_ms() < end);
}

/* Run the loop until pred(arg) or max_ms; true if pred came true. */
static bool pump_until(bool (*pred)(void *), void *arg, int max_ms)
{
	double end = now_ms() + max_ms;
	while (!pred(arg)) {
		if (now_ms() > end)
			return false;
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	return true;
}

/* ---- the DNS responder ---- */

enum dns_mode { DNS_ANSWER, DNS_SILENT };

static struct dns_srv {
	int fd;
	struct event *ev;
	enum dns_mode mode;
	unsigned queries, answered;
	double t[512];               /* time of each query */
	uint16_t port;
} dns;

static void dns_cb(evutil_socket_t fd, short what, void *arg)
{
	uint8_t buf[512];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	(void)what;
	(void)arg;
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	if (n < 12)
		return;
	if (dns.queries < 512)
		dns.t[dns.queries] = now_ms();
	dns.queries++;
	if (dns.mode == DNS_SILENT)
		return;
	buf[2] |= 0x84;  /* QR, AA */
	buf[3] = 0;      /* NOERROR */
	sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
	dns.answered++;
}

static void dns_open(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(&dns, 0, sizeof(dns));
	dns.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(bind(dns.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(dns.fd, (struct sockaddr *)&sin, &sl), 0);
	dns.port = ntohs(sin.sin_port);
	dns.ev = event_new(base, dns.fd, EV_READ | EV_PERSIST, dns_cb, NULL);
	event_add(dns.ev, NULL);
}

/* ---- fake BGP peers ---- */

struct fpeer {
	int lfd;                 /* listening */
	struct fake_rx rx;       /* the accepted session, fd -1 before */
	uint16_t port;
};

static void fpeer_open(struct fpeer *p)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(p, 0, sizeof(*p));
	p->rx.fd = -1;
	p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(bind(p->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(p->lfd, 4), 0);
	ck_assert_int_eq(getsockname(p->lfd, (struct sockaddr *)&sin, &sl), 0);
	p->port = ntohs(sin.sin_port);
}

static void fpeer_close(struct fpeer *p)
{
	if (p->rx.fd >= 0)
		close(p->rx.fd);
	close(p->lfd);
}

static bool accepted(void *arg)
{
	struct fpeer *p = arg;
	if (p->rx.fd < 0)
		p->rx.fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK);
	return p->rx.fd >= 0;
}

static void fpeer_accept(struct fpeer *p)
{
	if (p->rx.fd >= 0)
		close(p->rx.fd);
	p->rx.fd = -1;
	p->rx.have = 0;
	ck_assert_msg(pump_until(accepted, p, 3000), "the session never connected");
}

/* The next whole message into msg: its length, 0 on EOF, -1 on timeout. */
static int recv_msg(struct fpeer *p, uint8_t *msg, int timeout_ms)
{
	return fake_recv_msg(&p->rx, base, msg, timeout_ms);
}

/* The next message that is not a KEEPALIVE (unless one is expected): our
 * keepalive timer runs on its own, and on a loaded machine (or under ASan)
 * one may come out before the message a test waits for. */
static int recv_msg_skip_keepalive(struct fpeer *p, uint8_t *m, bool want_keepalive)
{
	for (;;) {
		int n = recv_msg(p, m, 3000);
		if (want_keepalive || n != BGP_HDR_LEN || m[18] != BGP_MSG_KEEPALIVE)
			return n;
	}
}

#define expect_msg(p, exp) do { \
	uint8_t m_[4096]; \
	int n_ = recv_msg_skip_keepalive((p), m_, \
	                                 sizeof(exp) == BGP_HDR_LEN && (exp)[18] == BGP_MSG_KEEPALIVE); \
	ck_assert_int_eq(n_, (int)sizeof(exp)); \
	ck_assert_mem_eq(m_, (exp), sizeof(exp)); \
} while (0)

/* Nothing but KEEPALIVEs for ms. */
static void expect_quiet(struct fpeer *p, int ms)
{
	uint8_t m[4096];
	double end = now_ms() + ms;
	while (now_ms() < end) {
		int n = recv_msg(p, m, (int)(end - now_ms()) + 1);
		if (n < 0)
			return;
		ck_assert_int_eq(n, (int)sizeof(keepalive));
		ck_assert_int_eq(m[18], BGP_MSG_KEEPALIVE);
	}
}

static void send_raw(struct fpeer *p, const uint8_t *b, size_t n)
{
	fake_send_raw(&p->rx, b, n);
}

/* Accept the session's connection and take it to Established. */
static void establish(struct fpeer *p)
{
	uint8_t m[4096];
	fpeer_accept(p);
	int n = recv_msg(p, m, 3000);
	ck_assert_int_gt(n, BGP_HDR_LEN);
	ck_assert_int_eq(m[18], BGP_MSG_OPEN);
	send_raw(p, peer_open, sizeof(peer_open));
	expect_msg(p, keepalive);
	send_raw(p, keepalive, sizeof(keepalive));
}

/* ---- the config, built in code; everything on the heap so a test can
 * free it (scribbled over) to prove the announcer copied it ---- */

struct conf {
	struct anycast_conf ac;
	struct bgp_peer_conf peers[2];
	char name[2][16];
	char qname[32];
};

static void peer_init(struct conf *c, unsigned i, uint16_t port)
{
	struct bgp_peer_conf *p = &c->peers[i];
	struct sockaddr_in *sin = (struct sockaddr_in *)&p->addr;
	bgp_peer_conf_defaults(p);
	snprintf(c->name[i], sizeof(c->name[i]), "fake%u", i + 1);
	p->name = c->name[i];
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->addrlen = sizeof(*sin);
	p->remote_as = 65002;
	p->has_nh4 = p->has_nh6 = true;
	inet_pton(AF_INET, "192.0.2.1", &p->nh4);
	inet_pton(AF_INET6, "2001:db8::1", &p->nh6);
	p->communities[0] = 0xfde90064;
	p->n_communities = 1;
}

static struct conf *conf_new(unsigned n_peers, const uint16_t *ports)
{
	struct conf *c = calloc(1, sizeof(*c));
	struct anycast_conf *ac = &c->ac;
	snprintf(c->qname, sizeof(c->qname), "www.example.test");
	ac->self_qname = c->qname;
	ac->self_qtype = 1;
	ac->interval_ms = 1000;
	ac->fast_interval_ms = 50;
	ac->rise = 2;
	ac->fall = 2;
	ac->linger_ms = 300;
	if (n_peers) {
		ac->has_bgp = true;
		bgp_conf_defaults(&ac->bgp);
		ac->bgp.local_as = 65001;
		ac->bgp.router_id = 0x0a000001;
		ac->bgp.v4 = (struct bgp_prefix){ AF_INET, { 198, 51, 100 }, 24 };
		ac->bgp.v6 = (struct bgp_prefix){ AF_INET6, { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00 }, 48 };
		for (unsigned i = 0; i < n_peers; i++)
			peer_init(c, i, ports[i]);
		ac->bgp.peers = c->peers;
		ac->bgp.n_peers = n_peers;
	}
	return c;
}

static void conf_free(struct conf *c)
{
	memset(c, 0xa5, sizeof(*c));
	free(c);
}

static struct sockaddr_in self_addr(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_port = htons(dns.port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);   /* a wildcard listener: loopback is asked */
	return sin;
}

static struct announcer *make(struct conf *c)
{
	struct sockaddr_in self = self_addr();
	struct announcer *a = announcer_new(base, &c->ac, (struct sockaddr *)&self, sizeof(self));
	ck_assert_ptr_nonnull(a);
	return a;
}

static bool is_announced(void *arg)
{
	struct announcer_stats st;
	announcer_get_stats(arg, &st);
	return st.announced;
}

static void setup(void)
{
	log_set_level(LOG_LVL_DEBUG);
	base = event_base_new();
	dns_open();
}

static void teardown(void)
{
	event_free(dns.ev);
	close(dns.fd);
	event_base_free(base);
}

/* Healthy and ready: announce; silence: withdraw after `fall` failed
 * probes on the fast interval; answers again: announce after `rise`. */
START_TEST(health_gate)
{
	struct fpeer p;
	fpeer_open(&p);
	struct conf *c = conf_new(1, &p.port);
	struct announcer *a = make(c);
	conf_free(c);   /* the announcer keeps copies only */

	/* healthy, but the listeners are not declared up: nothing announced */
	pump(300);
	struct announcer_stats st;
	announcer_get_stats(a, &st);
	ck_assert(st.healthy && !st.ready && !st.announced);
	ck_assert_uint_ge(dns.answered, 2);
	announcer_set_ready(a, true);
	ck_assert(is_announced(a));

	establish(&p);
	expect_msg(&p, upd_v4);
	expect_msg(&p, upd_v6);
	expect_msg(&p, eor_v4);
	expect_msg(&p, eor_v6);
	announcer_get_stats(a, &st);
	ck_assert_uint_eq(st.n_sessions, 1);
	ck_assert_uint_eq(st.established, 1);
	ck_assert_uint_eq(st.routes_out, 1);
	ck_assert_uint_eq(st.announces, 1);

	/* stable: probes every interval (1 s), not every fast interval */
	unsigned q0 = dns.queries;
	pump(1500);
	ck_assert_uint_le(dns.queries - q0, 2);

	/* the responder stops answering */
	dns.mode = DNS_SILENT;
	unsigned first = dns.queries;
	double t0 = now_ms();
	expect_msg(&p, wd_v4);
	expect_msg(&p, wd_v6);
	double took = now_ms() - t0;
	/* two probes timed out (500 ms each); the second started on the fast
	 * interval after the first failure, not a whole interval later */
	ck_assert_uint_eq(dns.queries - first, 2);
	ck_assert_double_lt(dns.t[first + 1] - dns.t[first], 500 + 200);
	ck_assert_double_lt(took, 1000 + 500 + 200 + 500 + 300);
	announcer_get_stats(a, &st);
	ck_assert(!st.healthy && !st.announced);
	ck_assert_uint_eq(st.withdraws, 1);
	ck_assert_uint_eq(st.flaps, 1);
	ck_assert_str_eq(st.last_reason, "health check " ANNOUNCER_SELF_NAME " down");
	ck_assert_uint_eq(st.established, 1);   /* the session itself stays up */

	/* back: announced after `rise` (2) answered probes */
	dns.mode = DNS_ANSWER;
	unsigned ans0 = dns.answered;
	expect_msg(&p, upd_v4);
	expect_msg(&p, upd_v6);
	ck_assert_uint_eq(dns.answered - ans0, 2);
	announcer_get_stats(a, &st);
	ck_assert(st.healthy && st.announced);
	ck_assert_uint_eq(st.announces, 2);

	announcer_free(a);
	fpeer_close(&p);
}
END_TEST

static char drain_path[64];

/* The drain file (looked at every interval) and the drain by signal. */
START_TEST(drain)
{
	struct fpeer p;
	fpeer_open(&p);
	snprintf(drain_path, sizeof(drain_path), "/tmp/announcer-drain-%d", (int)getpid());
	unlink(drain_path);
	struct conf *c = conf_new(1, &p.port);
	c->ac.interval_ms = 200;
	c->ac.drain_file = drain_path;
	struct announcer *a = make(c);
	conf_free(c);
	announcer_set_ready(a, true);
	ck_assert(pump_until(is_announced, a, 2000));
	establish(&p);
	expect_msg(&p, upd_v4);
	expect_msg(&p, upd_v6);
	expect_msg(&p, eor_v4);
	expect_msg(&p, eor_v6);

	FILE *f = fopen(drain_path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	expect_msg(&p, wd_v4);
	expect_msg(&p, wd_v6);
	struct announcer_stats st;
	announcer_get_stats(a, &st);
	ck_assert(st.drain_file && st.healthy && !st.announced);
	ck_assert_str_eq(st.last_reason + strlen(st.last_reason) - 7, " exists");
	/* SIGUSR2 does not lift a drain the file still holds */
	announcer_drain(a, false);
	expect_quiet(&p, 300);
	unlink(drain_path);
	expect_msg(&p, upd_v4);
	expect_msg(&p, upd_v6);

	/* SIGUSR1 / SIGUSR2 */
	announcer_drain(a, true);
	expect_msg(&p, wd_v4);
	expect_msg(&p, wd_v6);
	announcer_get_stats(a, &st);
	ck_assert(st.drain_signal && !st.announced);
	ck_assert_str_eq(st.last_reason, "drain by SIGUSR1");
	expect_quiet(&p, 300);   /* stays withdrawn while healthy */
	announcer_drain(a, false);
	expect_msg(&p, upd_v4);
	expect_msg(&p, upd_v6);
	announcer_get_stats(a, &st);
	ck_assert_uint_eq(st.announces, 3);
	ck_assert_uint_eq(st.withdraws, 2);

	announcer_free(a);
	fpeer_close(&p);
}
END_TEST

static int done_calls;
static double done_at;

static void on_done(void *arg)
{
	(void)arg;
	done_calls++;
	done_at = now_ms();
}

/* SIGTERM: withdraw at once, Cease 6/2 with the message after linger, then
 * done after the flush delay. */
START_TEST(shutdown_sequence)
{
	struct fpeer p;
	fpeer_open(&p);
	struct conf *c = conf_new(1, &p.port);
	struct announcer *a = make(c);
	conf_free(c);
	announcer_set_ready(a, true);
	ck_assert(pump_until(is_announced, a, 2000));
	establish(&p);
	expect_msg(&p, upd_v4);
	expect_msg(&p, upd_v6);
	expect_msg(&p, eor_v4);
	expect_msg(&p, eor_v6);

	done_calls = 0;
	double t0 = now_ms();
	announcer_shutdown(a, on_done, NULL);
	expect_msg(&p, wd_v4);
	expect_msg(&p, wd_v6);
	ck_assert_double_lt(now_ms() - t0, 200);
	static const uint8_t cease[] = {
		M16, 0x00, 0x2c, 0x03, 0x06, 0x02, 0x16,
		's', 't', 'e', 'e', 'r', 'd', 'n', 's', ' ', 's', 'h', 'u', 't', 't', 'i', 'n', 'g',
		' ', 'd', 'o', 'w', 'n',
	};
	expect_msg(&p, cease);
	double t_cease = now_ms() - t0;
	ck_assert_double_ge(t_cease, 300 - 20);  /* after the linger */
	ck_assert_int_eq(done_calls, 0);
	uint8_t m[4096];
	ck_assert_int_eq(recv_msg(&p, m, 2000), 0);  /* closed */
	struct announcer_stats st;
	announcer_get_stats(a, &st);
	ck_assert(st.shutting_down && !st.announced);
	ck_assert_uint_eq(st.flaps, 0);   /* a shutdown is not a flap */
	ck_assert_str_eq(st.last_reason, "shutdown");
	pump(ANNOUNCER_FLUSH_MS + 200);
	ck_assert_int_eq(done_calls, 1);
	ck_assert_double_ge(done_at - t0, 300 + ANNOUNCER_FLUSH_MS - 20);
	/* the health changes no more: never announced again */
	ck_assert(!is_announced(a));
	announcer_free(a);
	fpeer_close(&p);
}
END_TEST

/* No session and no command: done at once, no linger. */
START_TEST(shutdown_no_bgp)
{
	struct conf *c = conf_new(0, NULL);
	struct announcer *a = make(c);
	conf_free(c);
	announcer_set_ready(a, true);
	ck_assert(pump_until(is_announced, a, 2000));
	done_calls = 0;
	announcer_shutdown(a, on_done, NULL);
	ck_assert_int_eq(done_calls, 1);
	ck_assert(!is_announced(a));
	announcer_free(a);
}
END_TEST

static bool two_connected(void *arg)
{
	struct fpeer *p = arg;
	int fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK);
	if (fd < 0)
		return false;
	close(p->rx.fd);
	p->rx.fd = fd;
	p->rx.have = 0;
	return true;
}

/* Reload: peer 1 unchanged keeps its session (no message), peer 2 changed
 * is shut down and reconnects; then peer 2 removed gets a Cease. */
START_TEST(reload_peers)
{
	struct fpeer p[2];
	fpeer_open(&p[0]);
	fpeer_open(&p[1]);
	uint16_t ports[2] = { p[0].port, p[1].port };
	struct conf *c = conf_new(2, ports);
	struct announcer *a = make(c);
	conf_free(c);
	announcer_set_ready(a, true);
	ck_assert(pump_until(is_announced, a, 2000));
	for (int i = 0; i < 2; i++) {
		establish(&p[i]);
		expect_msg(&p[i], upd_v4);
		expect_msg(&p[i], upd_v6);
		expect_msg(&p[i], eor_v4);
		expect_msg(&p[i], eor_v6);
	}
	struct bgp_session_info info;
	const char *name;
	ck_assert_int_eq(announcer_session_info(a, 1, &info, &name), 0);
	ck_assert_str_eq(name, "fake2");
	ck_assert_int_eq(info.state, BGP_ST_ESTABLISHED);
	ck_assert_int_eq(announcer_session_info(a, 2, &info, &name), -1);

	/* peer 2 gets a MED */
	c = conf_new(2, ports);
	c->peers[1].has_med = true;
	c->peers[1].med = 10;
	struct sockaddr_in self = self_addr();
	ck_assert_int_eq(announcer_reload(a, &c->ac, (struct sockaddr *)&self, sizeof(self)), 0);
	conf_free(c);
	/* Cease / Other Configuration Change (RFC 4486 6/6): no message. */
	static const uint8_t cease_changed[] = { M16, 0x00, 0x15, 0x03, 0x06, 0x06 };
	expect_msg(&p[1], wd_v4);
	expect_msg(&p[1], wd_v6);
	expect_msg(&p[1], cease_changed);
	/* the new session connects again and announces with the MED */
	ck_assert(pump_until(two_connected, &p[1], 3000));
	uint8_t m[4096];
	ck_assert_int_gt(recv_msg(&p[1], m, 3000), BGP_HDR_LEN);
	ck_assert_int_eq(m[18], BGP_MSG_OPEN);
	send_raw(&p[1], peer_open, sizeof(peer_open));
	expect_msg(&p[1], keepalive);
	send_raw(&p[1], keepalive, sizeof(keepalive));
	int n = recv_msg(&p[1], m, 3000);
	ck_assert_int_eq(n, (int)sizeof(upd_v4) + 7);   /* + MULTI_EXIT_DISC */
	ck_assert(memmem(m, (size_t)n, (uint8_t[]){ 0x80, 0x04, 0x04, 0, 0, 0, 10 }, 7) != NULL);
	/* peer 1 saw nothing but keepalives */
	expect_quiet(&p[0], 200);

	/* peer 2 removed */
	c = conf_new(1, ports);
	ck_assert_int_eq(announcer_reload(a, &c->ac, (struct sockaddr *)&self, sizeof(self)), 0);
	conf_free(c);
	/* Cease / Peer De-configured (RFC 4486 6/3): no message. */
	static const uint8_t cease_removed[] = { M16, 0x00, 0x15, 0x03, 0x06, 0x03 };
	/* skip its remaining announcement messages (v6 update, EoRs) */
	for (;;) {
		n = recv_msg(&p[1], m, 3000);
		ck_assert_int_gt(n, 0);
		if (m[18] == BGP_MSG_NOTIFICATION)
			break;
	}
	ck_assert_int_eq(n, (int)sizeof(cease_removed));
	ck_assert_mem_eq(m, cease_removed, sizeof(cease_removed));
	ck_assert_int_eq(recv_msg(&p[1], m, 2000), 0);
	expect_quiet(&p[0], 200);
	struct announcer_stats st;
	announcer_get_stats(a, &st);
	ck_assert_uint_eq(st.n_sessions, 1);
	ck_assert_uint_eq(st.established, 1);
	ck_assert(st.announced);
	pump(ANNOUNCER_FLUSH_MS + 100);   /* the retired sessions are freed */
	announcer_free(a);
	fpeer_close(&p[0]);
	fpeer_close(&p[1]);
}
END_TEST

static char cmd_log[64];

static bool log_has(void *arg)
{
	char buf[256] = "";
	FILE *f = fopen(cmd_log, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return strcmp(buf, arg) == 0;
}

/* on_announce / on_withdraw: run through /bin/sh, in order, never blocking
 * the loop. */
START_TEST(commands)
{
	snprintf(cmd_log, sizeof(cmd_log), "/tmp/announcer-cmd-%d", (int)getpid());
	unlink(cmd_log);
	struct conf *c = conf_new(0, NULL);
	char on_a[128], on_w[128];
	/* the sleep makes the withdraw queue behind a still-running announce */
	snprintf(on_a, sizeof(on_a), "sleep 0.2; echo announce >> %s", cmd_log);
	snprintf(on_w, sizeof(on_w), "echo withdraw >> %s; exit 3", cmd_log);
	c->ac.on_announce = on_a;
	c->ac.on_withdraw = on_w;
	struct announcer *a = make(c);
	conf_free(c);
	announcer_set_ready(a, true);
	ck_assert(pump_until(is_announced, a, 2000));
	double t0 = now_ms();
	announcer_drain(a, true);
	ck_assert_double_lt(now_ms() - t0, 50);   /* did not wait for the command */
	ck_assert(pump_until(log_has, "announce\nwithdraw\n", 3000));
	struct announcer_stats st;
	announcer_get_stats(a, &st);
	ck_assert_uint_eq(st.commands_run, 2);
	pump(ANNOUNCER_REAP_MS * 3);   /* reaped: no zombie left */
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	announcer_free(a);
	unlink(cmd_log);
}
END_TEST

/* A drain file present at start: never announced, not even once. */
START_TEST(drain_at_start)
{
	snprintf(drain_path, sizeof(drain_path), "/tmp/announcer-drain0-%d", (int)getpid());
	FILE *f = fopen(drain_path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	struct conf *c = conf_new(0, NULL);
	c->ac.drain_file = drain_path;
	c->ac.interval_ms = 100;
	struct announcer *a = make(c);
	conf_free(c);
	announcer_set_ready(a, true);
	pump(600);
	struct announcer_stats st;
	announcer_get_stats(a, &st);
	ck_assert(st.healthy && st.drain_file && !st.announced);
	ck_assert_uint_eq(st.announces, 0);
	unlink(drain_path);
	ck_assert(pump_until(is_announced, a, 1000));
	announcer_free(a);
}
END_TEST

static bool withdrawn(void *arg)
{
	return !is_announced(arg);
}

/* Checks across reloads: one added while announcing starts up (a reload
 * does not flap the route) and withdraws only after `fall` failures; with
 * the self check removed, the gate follows the remaining check. */
START_TEST(reload_checks)
{
	struct conf *c = conf_new(0, NULL);
	struct announcer *a = make(c);
	conf_free(c);
	announcer_set_ready(a, true);
	ck_assert(pump_until(is_announced, a, 2000));

	/* a tcp check of a port nobody listens on */
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	close(lfd);
	struct check_conf chk = { .type = CHECK_TCP, .timeout_ms = 100 };
	memcpy(&chk.addr, &sin, sizeof(sin));
	chk.addrlen = sizeof(sin);
	c = conf_new(0, NULL);
	c->ac.checks = &chk;
	c->ac.n_checks = 1;
	struct sockaddr_in self = self_addr();
	ck_assert_int_eq(announcer_reload(a, &c->ac, (struct sockaddr *)&self, sizeof(self)), 0);
	conf_free(c);
	ck_assert(is_announced(a));   /* not withdrawn by the reload itself */
	double t0 = now_ms();
	ck_assert(pump_until(withdrawn, a, 3000));
	/* refused at once: first probe now, second on the fast interval */
	ck_assert_double_lt(now_ms() - t0, 300);
	struct announcer_stats st;
	announcer_get_stats(a, &st);
	ck_assert_str_eq(st.last_reason, "health check " ANNOUNCER_CHECK_PREFIX "1 down");

	/* back to the self check only: the removed check no longer counts */
	c = conf_new(0, NULL);
	ck_assert_int_eq(announcer_reload(a, &c->ac, (struct sockaddr *)&self, sizeof(self)), 0);
	conf_free(c);
	ck_assert(pump_until(is_announced, a, 1000));
	announcer_free(a);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("announcer");
	TCase *tc = tcase_create("announcer");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, health_gate);
	tcase_add_test(tc, drain);
	tcase_add_test(tc, shutdown_sequence);
	tcase_add_test(tc, shutdown_no_bgp);
	tcase_add_test(tc, reload_peers);
	tcase_add_test(tc, commands);
	tcase_add_test(tc, drain_at_start);
	tcase_add_test(tc, reload_checks);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
