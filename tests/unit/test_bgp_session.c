/*
 * test_bgp_session.c: the BGP session FSM over a socketpair against a
 * scripted fake peer (it sends hand-written OPEN/KEEPALIVE/UPDATE bytes and
 * checks what the session sends), the hold timer, RFC 7606 handling of
 * malformed UPDATEs, errors, shutdown, the passive listener, and reconnect
 * backoff against a closed port and across short-lived sessions.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "anycast/bgp_msg.h"
#include "anycast/bgp_session.h"
#include "tests/unit/bgp_7606_vectors.h"
#include "tests/unit/bgp_test_util.h"

struct env {
	struct event_base *base;
	struct bgp_conf conf;
	struct bgp_peer_conf peer;
	struct bgp_session *s;
	struct fake_rx rx;         /* the fake peer's end */
	enum bgp_state states[64]; /* every state entered */
	unsigned retry[64];        /* retry_ms when Active was entered */
	unsigned n_states, n_retry;
};

static void on_state(struct bgp_session *s, enum bgp_state from, enum bgp_state to, void *arg)
{
	(void)from;
	struct env *e = arg;
	if (e->n_states < 64)
		e->states[e->n_states++] = to;
	struct bgp_session_info i;
	bgp_session_get_info(s, &i);
	if (to == BGP_ST_ACTIVE && e->n_retry < 64)
		e->retry[e->n_retry++] = i.retry_ms;
}

static void pump(struct env *e, int ms)
{
	double end = now_ms() + ms;
	do {
		event_base_loop(e->base, EVLOOP_NONBLOCK);
		usleep(1000);
	} while (now_ms() < end);
}

/* The next whole message from the session into msg; 0 on EOF, -1 on
 * timeout. Runs the event loop while waiting. */
static int recv_msg(struct env *e, uint8_t *msg, int timeout_ms)
{
	return fake_recv_msg(&e->rx, e->base, msg, timeout_ms);
}

static void send_raw(struct env *e, const uint8_t *b, size_t n)
{
	fake_send_raw(&e->rx, b, n);
}

/* Our expected messages for the default setup. */
static const uint8_t our_open[] = {
	M16, 0x00, 0x31, 0x01,            /* length 49, OPEN */
	0x04, 0xfd, 0xe9, 0x00, 0x09,     /* version 4, AS 65001, hold 9 */
	0x0a, 0x00, 0x00, 0x01,           /* id 10.0.0.1 */
	0x14, 0x02, 0x12,                 /* capabilities, 18 bytes */
	0x01, 0x04, 0x00, 0x01, 0x00, 0x01,  /* MP IPv4 unicast */
	0x01, 0x04, 0x00, 0x02, 0x00, 0x01,  /* MP IPv6 unicast */
	0x41, 0x04, 0x00, 0x00, 0xfd, 0xe9,  /* AS4 65001 */
};

static void conf_init(struct env *e, unsigned hold)
{
	memset(e, 0, sizeof(*e));
	e->rx.fd = -1;
	e->base = event_base_new();
	bgp_conf_defaults(&e->conf);
	e->conf.local_as = 65001;
	e->conf.router_id = 0x0a000001;
	e->conf.hold_time = hold;
	e->conf.v4 = (struct bgp_prefix){ AF_INET, { 198, 51, 100 }, 24 };
	e->conf.v6 = (struct bgp_prefix){ AF_INET6, { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00 }, 48 };
	bgp_peer_conf_defaults(&e->peer);
	e->peer.name = "fake";
	e->peer.remote_as = 65002;
	e->peer.passive = e->peer.passive_only = true;
	e->peer.has_nh4 = e->peer.has_nh6 = true;
	inet_pton(AF_INET, "192.0.2.1", &e->peer.nh4);
	inet_pton(AF_INET6, "2001:db8::1", &e->peer.nh6);
	e->peer.communities[0] = 0xfde90064;
	e->peer.n_communities = 1;
	e->conf.peers = &e->peer;
	e->conf.n_peers = 1;
}

/* Session on one end of a socketpair; the test holds the other. */
static void setup(struct env *e, unsigned hold, bool announce)
{
	conf_init(e, hold);
	e->s = bgp_session_new(e->base, &e->conf, &e->peer);
	ck_assert_ptr_nonnull(e->s);
	bgp_session_set_callback(e->s, on_state, e);
	bgp_session_set_announce(e->s, announce);
	bgp_session_start(e->s);
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	e->rx.fd = sv[1];
	ck_assert_int_eq(bgp_session_attach(e->s, sv[0]), 0);
}

static void teardown(struct env *e)
{
	bgp_session_free(e->s);
	if (e->rx.fd >= 0)
		close(e->rx.fd);
	event_base_free(e->base);
}

static enum bgp_state state(struct env *e)
{
	struct bgp_session_info i;
	bgp_session_get_info(e->s, &i);
	return i.state;
}

#define expect_msg(e, exp) do { \
	uint8_t m_[4096]; \
	int n_ = recv_msg((e), m_, 2000); \
	ck_assert_int_eq(n_, (int)sizeof(exp)); \
	ck_assert_mem_eq(m_, (exp), sizeof(exp)); \
} while (0)

/* OPEN / KEEPALIVE exchange up to Established. */
static void establish(struct env *e)
{
	uint8_t open[sizeof(our_open)];
	memcpy(open, our_open, sizeof(open));
	open[23] = (uint8_t)e->conf.hold_time;  /* our hold time */
	expect_msg(e, open);
	ck_assert_int_eq(state(e), BGP_ST_OPENSENT);
	send_raw(e, peer_open, sizeof(peer_open));
	expect_msg(e, keepalive);
	ck_assert_int_eq(state(e), BGP_ST_OPENCONFIRM);
	send_raw(e, keepalive, sizeof(keepalive));
	pump(e, 20);
	ck_assert_int_eq(state(e), BGP_ST_ESTABLISHED);
}

static void expect_eof(struct env *e)
{
	uint8_t m[4096];
	ck_assert_int_eq(recv_msg(e, m, 3000), 0);
}

START_TEST(established_announce_withdraw)
{
	struct env e;
	setup(&e, 9, true);
	establish(&e);
	/* initial announcement, then End-of-RIB for both families */
	expect_msg(&e, upd_v4);
	expect_msg(&e, upd_v6);
	expect_msg(&e, eor_v4);
	expect_msg(&e, eor_v6);
	struct bgp_session_info i;
	bgp_session_get_info(e.s, &i);
	ck_assert(i.announced && i.fam_v4 && i.fam_v6 && i.peer_as4);
	ck_assert_uint_eq(i.hold_time, 9);
	ck_assert_uint_eq(i.peer_id, 0x0a000002);
	ck_assert_str_eq(i.last_error, "");

	bgp_session_set_announce(e.s, false);
	expect_msg(&e, wd_v4);
	expect_msg(&e, wd_v6);
	bgp_session_get_info(e.s, &i);
	ck_assert(!i.announced && !i.want_announce);
	bgp_session_set_announce(e.s, true);
	expect_msg(&e, upd_v4);
	expect_msg(&e, upd_v6);
	/* the peer's own UPDATEs and KEEPALIVEs are accepted quietly */
	static const uint8_t upd[] = {
		M16, 0x00, 0x36, 0x02, 0x00, 0x00, 0x00, 0x1b,
		0x40, 0x01, 0x01, 0x00, 0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xea,
		0x40, 0x03, 0x04, 0x0a, 0x00, 0x00, 0x02, 0xc0, 0x08, 0x04, 0xfd, 0xea, 0x00, 0x01,
		0x18, 0xcb, 0x00, 0x71,
	};
	send_raw(&e, upd, sizeof(upd));
	send_raw(&e, keepalive, sizeof(keepalive));
	pump(&e, 30);
	ck_assert_int_eq(state(&e), BGP_ST_ESTABLISHED);
	teardown(&e);
}
END_TEST

START_TEST(partial_reads_eor_only)
{
	struct env e;
	setup(&e, 9, false);
	expect_msg(&e, our_open);
	/* the peer's OPEN dribbles in one byte at a time */
	for (size_t i = 0; i < sizeof(peer_open); i++) {
		send_raw(&e, peer_open + i, 1);
		pump(&e, 1);
		if (i + 1 < sizeof(peer_open))
			ck_assert_int_eq(state(&e), BGP_ST_OPENSENT);
	}
	expect_msg(&e, keepalive);
	send_raw(&e, keepalive, sizeof(keepalive));
	/* not announcing: only the End-of-RIB markers */
	expect_msg(&e, eor_v4);
	expect_msg(&e, eor_v6);
	uint8_t m[4096];
	ck_assert_int_eq(recv_msg(&e, m, 100), -1);
	ck_assert_int_eq(state(&e), BGP_ST_ESTABLISHED);
	teardown(&e);
}
END_TEST

START_TEST(hold_timer_expiry)
{
	struct env e;
	setup(&e, 3, false);
	peer_open[23] = 0x03;  /* the peer offers hold 3 too */
	establish(&e);
	peer_open[23] = 0x5a;
	double t0 = now_ms();
	uint8_t m[4096];
	int n, keepalives = 0;
	/* we keep sending KEEPALIVEs (every 1 s) but the peer stays silent */
	while ((n = recv_msg(&e, m, 5000)) > 0 && m[18] != BGP_MSG_NOTIFICATION)
		keepalives += m[18] == BGP_MSG_KEEPALIVE;
	double dt = now_ms() - t0;
	ck_assert_int_eq(n, 21);
	ck_assert_uint_eq(m[19], 4);  /* Hold Timer Expired */
	ck_assert_uint_eq(m[20], 0);
	ck_assert_int_ge(keepalives, 2);
	ck_assert_msg(dt > 2500 && dt < 4500, "expired after %.0f ms", dt);
	expect_eof(&e);
	struct bgp_session_info i;
	bgp_session_get_info(e.s, &i);
	ck_assert(strstr(i.last_error, "4/0") && strstr(i.last_error, "hold"));
	ck_assert_uint_eq(i.flaps, 1);
	ck_assert_int_eq(i.state, BGP_ST_ACTIVE);  /* passive: waits for the peer */
	teardown(&e);
}
END_TEST

/* Send UPDATE body b (n bytes) with its header from the fake peer. */
static void send_update(struct env *e, const uint8_t *b, size_t n)
{
	uint8_t m[4096];
	memset(m, 0xff, 16);
	m[16] = (uint8_t)((n + BGP_HDR_LEN) >> 8);
	m[17] = (uint8_t)(n + BGP_HDR_LEN);
	m[18] = BGP_MSG_UPDATE;
	memcpy(m + BGP_HDR_LEN, b, n);
	send_raw(e, m, n + BGP_HDR_LEN);
}

/*
 * RFC 7606: the peer sends every malformed UPDATE of bgp_7606_vectors.h
 * (each handled by treat-as-withdraw, attribute discard or AFI/SAFI
 * disable); the session stays Established, sends nothing (no
 * NOTIFICATION, no withdraw of our prefixes) and still answers a ROUTE-
 * REFRESH with our UPDATEs. The reset cases still reset, with their
 * NOTIFICATION.
 */
START_TEST(malformed_update)
{
	struct env e;
	setup(&e, 9, true);
	establish(&e);
	expect_msg(&e, upd_v4);
	expect_msg(&e, upd_v6);
	expect_msg(&e, eor_v4);
	expect_msg(&e, eor_v6);
	uint8_t b[128], m[4096];
	unsigned ebgp = 0;
	for (size_t i = 0; i < V7606_N; i++) {
		const struct v7606 *c = &v7606_cases[i];
		if (c->ibgp || !c->as4)
			continue;  /* this session: eBGP, 4-octet AS */
		send_update(&e, b, v7606_body(c, b));
		ebgp++;
	}
	ck_assert_uint_eq(ebgp, 41);
	ck_assert_int_eq(recv_msg(&e, m, 300), -1);   /* nothing sent back */
	struct bgp_session_info i;
	bgp_session_get_info(e.s, &i);
	ck_assert_int_eq(i.state, BGP_ST_ESTABLISHED);
	ck_assert(i.announced);
	ck_assert_uint_eq(i.flaps, 0);
	ck_assert_uint_eq(i.malformed_updates, ebgp);
	ck_assert_str_eq(i.last_error, "");
	/* our route is still out: a ROUTE-REFRESH (RFC 2918) gets it again */
	static const uint8_t rr[] = { M16, 0x00, 0x17, 0x05, 0x00, 0x01, 0x00, 0x01 };
	send_raw(&e, rr, sizeof(rr));
	expect_msg(&e, upd_v4);
	expect_msg(&e, upd_v6);

	/* RFC 7606 §5.2: withdrawn routes only, plus ORIGIN 3: reset, 3/6 */
	static const uint8_t bad[] = {
		M16, 0x00, 0x1f, 0x02, 0x00, 0x04, 0x18, 0xcb, 0x00, 0x71,
		0x00, 0x04, 0x40, 0x01, 0x01, 0x03,  /* ORIGIN 3: invalid */
	};
	send_raw(&e, bad, sizeof(bad));
	static const uint8_t notif[] = {
		M16, 0x00, 0x19, 0x03, 0x03, 0x06,   /* 3/6 Invalid ORIGIN */
		0x40, 0x01, 0x01, 0x03,              /* data: the attribute */
	};
	expect_msg(&e, notif);
	expect_eof(&e);
	bgp_session_get_info(e.s, &i);
	ck_assert_uint_eq(i.flaps, 1);
	ck_assert_ptr_nonnull(strstr(i.last_error, "3/6"));
	teardown(&e);
}
END_TEST

/* The UPDATEs RFC 7606 still answers with a reset, each with its
 * NOTIFICATION (code, subcode) sent before the close. */
START_TEST(reset_cases_still_reset)
{
	static const struct { const char *what; uint8_t b[32]; size_t n; uint8_t sub; } cases[] = {
		/* §3.b: total attribute length past the message */
		{ "3.b", { 0x00, 0x00, 0x00, 0x20, 0x40, 0x01, 0x01, 0x00 }, 8, 1 },
		/* §3.g: MP_UNREACH_NLRI twice */
		{ "3.g", { 0x00, 0x00, 0x00, 0x0c, 0x80, 0x0f, 0x03, 0x00, 0x02, 0x01,
			   0x80, 0x0f, 0x03, 0x00, 0x02, 0x01 }, 16, 1 },
		/* §5.3: an NLRI of length 33 */
		{ "5.3", { 0x00, 0x00, 0x00, 0x00, 0x21, 1, 2, 3, 4, 5 }, 10, 10 },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct env e;
		setup(&e, 9, false);
		establish(&e);
		expect_msg(&e, eor_v4);
		expect_msg(&e, eor_v6);
		send_update(&e, cases[k].b, cases[k].n);
		uint8_t m[4096];
		int n = recv_msg(&e, m, 2000);
		ck_assert_msg(n >= 21 && m[18] == BGP_MSG_NOTIFICATION, "%s: no NOTIFICATION", cases[k].what);
		ck_assert_msg(m[19] == 3 && m[20] == cases[k].sub, "%s: sent %u/%u", cases[k].what,
			      m[19], m[20]);
		expect_eof(&e);
		teardown(&e);
	}
}
END_TEST

START_TEST(bad_open_and_fsm_errors)
{
	struct env e;
	setup(&e, 9, false);
	expect_msg(&e, our_open);
	peer_open[21] = 0xeb;  /* AS 65003: not who we expect */
	peer_open[48] = 0xeb;
	send_raw(&e, peer_open, sizeof(peer_open));
	peer_open[21] = peer_open[48] = 0xea;
	static const uint8_t n22[] = { M16, 0x00, 0x17, 0x03, 0x02, 0x02, 0xfd, 0xeb };
	expect_msg(&e, n22);
	expect_eof(&e);
	teardown(&e);

	/* an UPDATE in OpenConfirm: FSM error 5/2 (RFC 6608) */
	setup(&e, 9, false);
	expect_msg(&e, our_open);
	send_raw(&e, peer_open, sizeof(peer_open));
	expect_msg(&e, keepalive);
	send_raw(&e, eor_v4, sizeof(eor_v4));
	static const uint8_t n52[] = { M16, 0x00, 0x15, 0x03, 0x05, 0x02 };
	expect_msg(&e, n52);
	expect_eof(&e);
	teardown(&e);

	/* garbage marker: 1/1 */
	setup(&e, 9, false);
	expect_msg(&e, our_open);
	uint8_t junk[19];
	memset(junk, 0x41, sizeof(junk));
	send_raw(&e, junk, sizeof(junk));
	static const uint8_t n11[] = { M16, 0x00, 0x15, 0x03, 0x01, 0x01 };
	expect_msg(&e, n11);
	expect_eof(&e);
	teardown(&e);

	/* the peer closes mid-message: back to waiting, no crash */
	setup(&e, 9, false);
	expect_msg(&e, our_open);
	send_raw(&e, peer_open, 10);
	close(e.rx.fd);
	e.rx.fd = -1;
	pump(&e, 30);
	ck_assert_int_eq(state(&e), BGP_ST_ACTIVE);
	teardown(&e);
}
END_TEST

START_TEST(shutdown_message)
{
	struct env e;
	setup(&e, 9, true);
	establish(&e);
	expect_msg(&e, upd_v4);
	expect_msg(&e, upd_v6);
	expect_msg(&e, eor_v4);
	expect_msg(&e, eor_v6);
	bgp_session_set_announce(e.s, false);
	bgp_session_shutdown(e.s, "maintenance");
	expect_msg(&e, wd_v4);
	expect_msg(&e, wd_v6);
	static const uint8_t cease[] = {
		M16, 0x00, 0x21, 0x03, 0x06, 0x02,   /* length 33, Cease / Admin Shutdown */
		0x0b, 'm', 'a', 'i', 'n', 't', 'e', 'n', 'a', 'n', 'c', 'e',
	};
	expect_msg(&e, cease);
	expect_eof(&e);
	ck_assert_int_eq(state(&e), BGP_ST_IDLE);
	/* stopped: a new connection is refused until start */
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_lt(bgp_session_attach(e.s, sv[0]), 0);
	close(sv[1]);
	teardown(&e);
}
END_TEST

/* A listening socket on 127.0.0.1 (an ephemeral port), which also
 * becomes the peer's configured address. */
static int loopback_listener(struct env *e, int flags, struct sockaddr_in *sin)
{
	int lfd = socket(AF_INET, SOCK_STREAM | flags, 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof(*sin);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)sin, sizeof(*sin)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)sin, &sl), 0);
	memcpy(&e->peer.addr, sin, sizeof(*sin));
	e->peer.addrlen = sizeof(*sin);
	return lfd;
}

START_TEST(listener_accepts_peer)
{
	struct env e;
	conf_init(&e, 9);
	struct sockaddr_in sin;
	int lfd = loopback_listener(&e, 0, &sin);  /* the peer is 127.0.0.1 */
	e.peer.has_nh4 = false;  /* next hop self: 127.0.0.1 */
	e.s = bgp_session_new(e.base, &e.conf, &e.peer);
	bgp_session_start(e.s);
	struct bgp_listener *l = bgp_listener_new(e.base, lfd, NULL, 0, &e.s, 1);
	ck_assert_ptr_nonnull(l);
	e.rx.fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(e.rx.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	fcntl(e.rx.fd, F_SETFL, O_NONBLOCK);
	expect_msg(&e, our_open);
	send_raw(&e, peer_open, sizeof(peer_open));
	expect_msg(&e, keepalive);
	send_raw(&e, keepalive, sizeof(keepalive));
	expect_msg(&e, eor_v4);
	expect_msg(&e, eor_v6);
	uint8_t m[4096];
	ck_assert_int_eq(recv_msg(&e, m, 100), -1);
	bgp_session_set_announce(e.s, true);
	int n = recv_msg(&e, m, 2000);
	ck_assert_int_eq(n, (int)sizeof(upd_v4));
	ck_assert_mem_eq(m + 36, ((uint8_t[]){ 0x40, 0x03, 0x04, 127, 0, 0, 1 }), 7);
	bgp_listener_free(l);
	teardown(&e);
}
END_TEST

START_TEST(collision)
{
	struct env e;
	setup(&e, 9, false);
	expect_msg(&e, our_open);
	send_raw(&e, peer_open, sizeof(peer_open));
	expect_msg(&e, keepalive);
	ck_assert_int_eq(state(&e), BGP_ST_OPENCONFIRM);
	/* a second connection: the peer's id 10.0.0.2 beats our 10.0.0.1, so
	 * the existing one gets Cease / Connection Collision (6/7) */
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(bgp_session_attach(e.s, sv[0]), 0);
	static const uint8_t n67[] = { M16, 0x00, 0x15, 0x03, 0x06, 0x07 };
	expect_msg(&e, n67);
	expect_eof(&e);
	close(e.rx.fd);
	e.rx.fd = sv[1];
	e.rx.have = 0;
	fcntl(e.rx.fd, F_SETFL, O_NONBLOCK);
	establish(&e);
	/* in Established a new connection is refused */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_lt(bgp_session_attach(e.s, sv[0]), 0);
	close(sv[1]);
	ck_assert_int_eq(state(&e), BGP_ST_ESTABLISHED);
	teardown(&e);
}
END_TEST

START_TEST(reconnect_backoff)
{
	ck_assert_uint_eq(bgp_backoff_next(0, 100, 400), 100);
	ck_assert_uint_eq(bgp_backoff_next(100, 100, 400), 200);
	ck_assert_uint_eq(bgp_backoff_next(300, 100, 400), 400);
	ck_assert_uint_eq(bgp_backoff_next(400, 100, 400), 400);
	ck_assert_uint_eq(bgp_backoff_next(4000000000u, 100, 4000000000u), 4000000000u);

	struct env e;
	conf_init(&e, 9);
	/* a loopback port nobody listens on */
	int tmp = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof(sin);
	bind(tmp, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(tmp, (struct sockaddr *)&sin, &sl);
	close(tmp);
	memcpy(&e.peer.addr, &sin, sizeof(sin));
	e.peer.addrlen = sizeof(sin);
	e.peer.passive_only = false;
	e.conf.backoff_min_ms = 100;
	e.conf.backoff_max_ms = 400;
	e.s = bgp_session_new(e.base, &e.conf, &e.peer);
	bgp_session_set_callback(e.s, on_state, &e);
	bgp_session_start(e.s);
	pump(&e, 1700);  /* fails at ~0, 0.1, 0.3, 0.7, 1.1, 1.5 s */
	ck_assert_uint_ge(e.n_retry, 5);
	ck_assert_uint_eq(e.retry[0], 100);
	ck_assert_uint_eq(e.retry[1], 200);
	ck_assert_uint_eq(e.retry[2], 400);
	ck_assert_uint_eq(e.retry[3], 400);
	ck_assert_uint_eq(e.retry[4], 400);
	struct bgp_session_info i;
	bgp_session_get_info(e.s, &i);
	ck_assert_uint_ge(i.connect_attempts, 5);
	ck_assert_uint_le(i.connect_attempts, 7);
	ck_assert_ptr_nonnull(strstr(i.last_error, "connect"));
	ck_assert_uint_eq(e.states[0], BGP_ST_CONNECT);
	ck_assert_uint_eq(e.states[1], BGP_ST_ACTIVE);
	bgp_session_shutdown(e.s, "bye");
	ck_assert_int_eq(state(&e), BGP_ST_IDLE);
	unsigned before = e.n_states;
	pump(&e, 300);  /* stopped: no more attempts */
	ck_assert_uint_eq(e.n_states, before);
	teardown(&e);
}
END_TEST

/* Accept one connection on the nonblocking listener lfd while the
 * session's loop runs; the fake peer's end, or -1 on timeout. */
static int accept_peer(struct env *e, int lfd, int timeout_ms)
{
	double end = now_ms() + timeout_ms;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd >= 0) {
			fcntl(fd, F_SETFL, O_NONBLOCK);
			return fd;
		}
		if (now_ms() > end)
			return -1;
		event_base_loop(e->base, EVLOOP_NONBLOCK);
		usleep(500);
	}
}

/*
 * The rule of bgp_backoff_next across sessions: a peer that resets every
 * session right after it reaches Established (here with an UPDATE that
 * RFC 7606 §5.3 still resets on) is retried after 100, 200, 400, 400 ms
 * (min 100, max 400), not after 100 ms each time; a session that stayed
 * Established for max (400 ms) or longer starts the backoff over.
 */
START_TEST(backoff_grows_across_short_sessions)
{
	struct env e;
	conf_init(&e, 9);
	struct sockaddr_in sin;
	int lfd = loopback_listener(&e, SOCK_NONBLOCK, &sin);
	e.peer.passive = e.peer.passive_only = false;
	e.conf.backoff_min_ms = 100;
	e.conf.backoff_max_ms = 400;
	e.s = bgp_session_new(e.base, &e.conf, &e.peer);
	bgp_session_set_callback(e.s, on_state, &e);
	bgp_session_start(e.s);
	static const uint8_t nlri33[] = { M16, 0x00, 0x1d, 0x02, 0, 0, 0, 0, 0x21, 1, 2, 3, 4, 5 };
	static const unsigned want[] = { 100, 200, 400, 400 };
	uint8_t m[4096];
	struct bgp_session_info i;
	for (unsigned k = 0; k < 5; k++) {
		e.rx.fd = accept_peer(&e, lfd, 3000);
		ck_assert_int_ge(e.rx.fd, 0);
		e.rx.have = 0;
		establish(&e);
		expect_msg(&e, eor_v4);
		expect_msg(&e, eor_v6);
		if (k < 4) {
			send_raw(&e, nlri33, sizeof(nlri33));
			int n = recv_msg(&e, m, 2000);
			ck_assert_int_eq(n, 21);
			ck_assert_uint_eq(m[18], BGP_MSG_NOTIFICATION);
			ck_assert_uint_eq(m[20], BGP_UPD_NETWORK);
		} else {
			pump(&e, 500);  /* held for longer than max */
		}
		close(e.rx.fd);
		e.rx.fd = -1;
		pump(&e, 20);
		bgp_session_get_info(e.s, &i);
		ck_assert_int_ne(i.state, BGP_ST_ESTABLISHED);
		ck_assert_msg(i.retry_ms == (k < 4 ? want[k] : 100), "session %u: retry %u ms", k, i.retry_ms);
	}
	ck_assert_uint_eq(i.flaps, 5);
	bgp_session_shutdown(e.s, "bye");
	close(lfd);
	teardown(&e);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("bgp_session");
	TCase *tc = tcase_create("fsm");
	tcase_set_timeout(tc, 15);
	tcase_add_test(tc, established_announce_withdraw);
	tcase_add_test(tc, partial_reads_eor_only);
	tcase_add_test(tc, hold_timer_expiry);
	tcase_add_test(tc, malformed_update);
	tcase_add_test(tc, reset_cases_still_reset);
	tcase_add_test(tc, bad_open_and_fsm_errors);
	tcase_add_test(tc, shutdown_message);
	tcase_add_test(tc, listener_accepts_peer);
	tcase_add_test(tc, collision);
	tcase_add_test(tc, reconnect_backoff);
	tcase_add_test(tc, backoff_grows_across_short_sessions);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
