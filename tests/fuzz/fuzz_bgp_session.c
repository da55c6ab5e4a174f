/*
 * fuzz_bgp_session.c: the BGP session FSM (anycast/bgp_session.c) fed a
 * byte stream from its peer, over a socketpair as test_bgp_session.c
 * drives it: the session (local AS 65001, peer AS 65002, announcing
 * 198.51.100.0/24 and 2001:db8:100::/48) adopts one end, the input is
 * written into the other, then that end is shut for writing and the
 * session's event loop runs until it has read everything.
 * Invariants: everything the session sends is a sequence of whole,
 * valid BGP messages (header check passes, length as framed), the first
 * our OPEN, nothing after a NOTIFICATION; it is never Established
 * without having sent a KEEPALIVE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "anycast/bgp_msg.h"
#include "anycast/bgp_session.h"
#include "tests/fuzz/fuzz.h"

static struct bgp_conf conf;
static struct bgp_peer_conf peer;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_common_init();
	bgp_conf_defaults(&conf);
	conf.local_as = 65001;
	conf.router_id = 0x0a000001;
	conf.hold_time = 9;
	conf.v4 = (struct bgp_prefix){ AF_INET, { 198, 51, 100 }, 24 };
	conf.v6 = (struct bgp_prefix){ AF_INET6, { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00 }, 48 };
	bgp_peer_conf_defaults(&peer);
	peer.name = "fuzz";
	peer.remote_as = 65002;
	peer.passive = peer.passive_only = true;
	peer.has_nh4 = peer.has_nh6 = true;
	inet_pton(AF_INET, "192.0.2.1", &peer.nh4);
	inet_pton(AF_INET6, "2001:db8::1", &peer.nh6);
	peer.communities[0] = 0xfde90064;
	peer.n_communities = 1;
	conf.peers = &peer;
	conf.n_peers = 1;
	return 0;
}

/* What the session sent, checked message by message as it arrives. */
struct sent {
	uint8_t buf[1 << 16];
	size_t have;
	unsigned msgs;
	bool notified, keepalive;
};

static void take(struct sent *s)
{
	size_t p = 0;
	while (s->have - p >= BGP_HDR_LEN) {
		size_t len;
		uint8_t type;
		struct bgp_err err;
		FUZZ_CHECK(bgp_hdr_check(s->buf + p, &len, &type, &err) == 0,
		           "message %u: header %u/%u", s->msgs, err.code, err.subcode);
		if (s->have - p < len)
			break;
		FUZZ_CHECK(!s->notified, "message %u (type %u) after a NOTIFICATION", s->msgs, type);
		FUZZ_CHECK(s->msgs > 0 || type == BGP_MSG_OPEN, "first message of type %u", type);
		if (type == BGP_MSG_NOTIFICATION)
			s->notified = true;
		if (type == BGP_MSG_KEEPALIVE)
			s->keepalive = true;
		s->msgs++;
		p += len;
	}
	memmove(s->buf, s->buf + p, s->have - p);
	s->have -= p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sent sent;
	if (size > 65536)
		return 0;
	memset(&sent, 0, sizeof(sent));
	struct event_base *base = event_base_new();
	FUZZ_CHECK(base != NULL, "event_base_new");
	struct bgp_session *s = bgp_session_new(base, &conf, &peer);
	FUZZ_CHECK(s != NULL, "bgp_session_new");
	bgp_session_set_announce(s, true);
	bgp_session_start(s);
	int sv[2];
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	FUZZ_CHECK(bgp_session_attach(s, sv[0]) == 0, "attach");

	size_t off = 0;
	bool eof = false, shut = false;
	/* Each round: write what fits, let the session run, read what it
	 * sent. Ends when the session closed its end, or after rounds with
	 * nothing moving once all input is in. */
	for (int idle = 0; !eof && idle < 4;) {
		bool moved = false;
		if (off < size) {
			ssize_t w = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
			if (w > 0) {
				off += (size_t)w;
				moved = true;
			} else if (w < 0 && errno != EAGAIN) {
				off = size; /* the session closed: the rest cannot go */
			}
		} else if (!shut) {
			shutdown(sv[1], SHUT_WR);
			shut = moved = true;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		for (;;) {
			ssize_t r = recv(sv[1], sent.buf + sent.have, sizeof(sent.buf) - sent.have, 0);
			if (r == 0) {
				eof = true;
				break;
			}
			if (r < 0)
				break;
			sent.have += (size_t)r;
			moved = true;
			take(&sent);
			FUZZ_CHECK(sent.have < sizeof(sent.buf), "a message over 64 KiB");
		}
		idle = moved ? 0 : idle + 1;
	}
	struct bgp_session_info info;
	bgp_session_get_info(s, &info);
	FUZZ_CHECK(info.state != BGP_ST_ESTABLISHED || sent.keepalive,
	           "Established without sending a KEEPALIVE");
	if (eof)
		FUZZ_CHECK(sent.have == 0, "closed in the middle of a message (%zu bytes)", sent.have);
	bgp_session_free(s);
	close(sv[1]);
	event_base_free(base);
	return 0;
}
