/*
 * bgp_test_util.h: the fake BGP peer's side used by test_bgp_session.c
 * and test_announcer.c: the hand-written messages of the default setup
 * (local AS 65001, router id 10.0.0.1, peer AS 65002 id 10.0.0.2, next hops
 * 192.0.2.1 / 2001:db8::1, community 65001:100, prefixes 198.51.100.0/24 and
 * 2001:db8:100::/48), and reading whole messages off the peer's socket
 * while the session's event loop keeps running. The byte arrays are
 * written out by hand (not built with bgp_msg) so they check the encoder.
 */
#ifndef STEERDNS_BGP_TEST_UTIL_H
#define STEERDNS_BGP_TEST_UTIL_H

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "anycast/bgp_msg.h"

/* The 16-byte all-ones marker every message starts with (RFC 4271 4.1). */
#define M16 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff

/* The peer's OPEN. Not const: a test may patch a byte (hold time, AS) and
 * put it back. */
__attribute__((unused)) static uint8_t peer_open[] = {
	M16, 0x00, 0x31, 0x01,            /* length 49, OPEN */
	0x04, 0xfd, 0xea, 0x00, 0x5a,     /* version 4, AS 65002, hold 90 */
	0x0a, 0x00, 0x00, 0x02,           /* id 10.0.0.2 */
	0x14, 0x02, 0x12,                 /* 20 bytes of parameters: capabilities, 18 */
	0x01, 0x04, 0x00, 0x01, 0x00, 0x01,  /* MP IPv4 unicast */
	0x01, 0x04, 0x00, 0x02, 0x00, 0x01,  /* MP IPv6 unicast */
	0x41, 0x04, 0x00, 0x00, 0xfd, 0xea,  /* AS4 65002 */
};
__attribute__((unused)) static const uint8_t keepalive[] = { M16, 0x00, 0x13, 0x04 };

/* What the session sends in the default setup. */
__attribute__((unused)) static const uint8_t upd_v4[] = {
	M16, 0x00, 0x36, 0x02, 0x00, 0x00, 0x00, 0x1b,  /* UPDATE 54, 27 bytes of attributes */
	0x40, 0x01, 0x01, 0x00,                         /* ORIGIN IGP */
	0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9,  /* AS_PATH 65001 */
	0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x01,       /* NEXT_HOP 192.0.2.1 */
	0xc0, 0x08, 0x04, 0xfd, 0xe9, 0x00, 0x64,       /* COMMUNITIES 65001:100 */
	0x18, 0xc6, 0x33, 0x64,                         /* 198.51.100.0/24 */
};
__attribute__((unused)) static const uint8_t upd_v6[] = {
	M16, 0x00, 0x4a, 0x02, 0x00, 0x00, 0x00, 0x33,  /* UPDATE 74, 51 bytes of attributes */
	0x80, 0x0e, 0x1c, 0x00, 0x02, 0x01, 0x10,       /* MP_REACH 28: IPv6 unicast, nh 16 */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,  /* 2001:db8::1 */
	0x00, 0x30, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, /* reserved, 2001:db8:100::/48 */
	0x40, 0x01, 0x01, 0x00,
	0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9,
	0xc0, 0x08, 0x04, 0xfd, 0xe9, 0x00, 0x64,
};
__attribute__((unused)) static const uint8_t wd_v4[] = {
	M16, 0x00, 0x1b, 0x02, 0x00, 0x04, 0x18, 0xc6, 0x33, 0x64, 0x00, 0x00,
};
__attribute__((unused)) static const uint8_t wd_v6[] = {
	M16, 0x00, 0x24, 0x02, 0x00, 0x00, 0x00, 0x0d,
	0x80, 0x0f, 0x0a, 0x00, 0x02, 0x01, 0x30, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00,
};
/* End-of-RIB markers (RFC 4724 2): an empty UPDATE / empty MP_UNREACH. */
__attribute__((unused)) static const uint8_t eor_v4[] = {
	M16, 0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00,
};
__attribute__((unused)) static const uint8_t eor_v6[] = {
	M16, 0x00, 0x1d, 0x02, 0x00, 0x00, 0x00, 0x06, 0x80, 0x0f, 0x03, 0x00, 0x02, 0x01,
};

__attribute__((unused)) static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The fake peer's end of one connection: a nonblocking socket and the
 * bytes read from it that are not yet returned as whole messages. */
struct fake_rx {
	int fd;
	uint8_t in[16384];
	size_t have;
};

/* The next whole message from r into msg: its length, 0 on EOF, -1 on
 * timeout. Runs base's loop while waiting so the session can send. */
__attribute__((unused)) static int fake_recv_msg(struct fake_rx *r, struct event_base *base,
                                                 uint8_t *msg, int timeout_ms)
{
	double end = now_ms() + timeout_ms;
	for (;;) {
		if (r->have >= BGP_HDR_LEN) {
			size_t len = (size_t)r->in[16] << 8 | r->in[17];
			if (r->have >= len) {
				memcpy(msg, r->in, len);
				memmove(r->in, r->in + len, r->have - len);
				r->have -= len;
				return (int)len;
			}
		}
		ssize_t n = recv(r->fd, r->in + r->have, sizeof(r->in) - r->have, 0);
		if (n == 0)
			return 0;
		if (n > 0) {
			r->have += (size_t)n;
			continue;
		}
		ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
		if (now_ms() > end)
			return -1;
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(500);
	}
}

/* Send n bytes from the fake peer; all of them must go. */
__attribute__((unused)) static void fake_send_raw(const struct fake_rx *r, const uint8_t *b, size_t n)
{
	ck_assert_int_eq(send(r->fd, b, n, 0), (ssize_t)n);
}

#endif
