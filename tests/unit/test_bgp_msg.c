/*
 * test_bgp_msg.c: BGP message encoding against byte vectors written out by
 * hand (comments name each byte group), decoding of peer OPENs (several
 * parameters, unknown capability, RFC 9072), malformed headers and OPENs
 * mapped to their RFC 4271 §6 NOTIFICATION code/subcode, and malformed
 * UPDATEs to their RFC 7606 action (the NOTIFICATION only where it resets).
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "anycast/bgp_msg.h"
#include "tests/unit/bgp_7606_vectors.h"

#define M16 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff

static uint8_t out[BGP_MAX_LEN];

#define ck_bytes(got_len, exp) do { \
	ck_assert_int_eq((got_len), (int)sizeof(exp)); \
	ck_assert_mem_eq(out, exp, sizeof(exp)); \
} while (0)

START_TEST(open_encode)
{
	static const uint8_t exp[] = {
		M16, 0x00, 0x35, 0x01,        /* marker, length 53, OPEN */
		0x04,                         /* version 4 */
		0xfd, 0xe9,                   /* my AS 65001 */
		0x00, 0x09,                   /* hold time 9 */
		0xc0, 0x00, 0x02, 0x01,       /* BGP id 192.0.2.1 */
		0x18,                         /* optional parameters length 24 */
		0x02, 0x16,                   /* parameter 2 (capabilities), 22 bytes */
		0x01, 0x04, 0x00, 0x01, 0x00, 0x01,  /* MP: AFI 1 IPv4, SAFI 1 */
		0x01, 0x04, 0x00, 0x02, 0x00, 0x01,  /* MP: AFI 2 IPv6, SAFI 1 */
		0x41, 0x04, 0x00, 0x00, 0xfd, 0xe9,  /* 4-octet AS 65001 */
		0x40, 0x02, 0x00, 0x00,       /* graceful restart: flags/time 0, no AFI/SAFI */
	};
	struct bgp_open_out o = { 65001, 9, 0xc0000201, true, true, true };
	struct wire_wr w = wire_wr_init(out, sizeof(out));
	ck_bytes(bgp_encode_open(&w, &o), exp);

	/* A 4-byte AS: AS_TRANS in the 2-byte field, the real one in the cap. */
	static const uint8_t exp4[] = {
		M16, 0x00, 0x2b, 0x01,        /* length 43, OPEN */
		0x04, 0x5b, 0xa0,             /* version, AS_TRANS 23456 */
		0x00, 0x00,                   /* hold 0 */
		0x0a, 0x00, 0x00, 0x01,       /* id 10.0.0.1 */
		0x0e, 0x02, 0x0c,             /* optlen 14, caps param of 12 */
		0x01, 0x04, 0x00, 0x01, 0x00, 0x01,  /* MP IPv4 unicast */
		0x41, 0x04, 0xfa, 0x56, 0xea, 0x01,  /* AS4 4200000001 */
	};
	struct bgp_open_out o4 = { 4200000001u, 0, 0x0a000001, true, false, false };
	w = wire_wr_init(out, sizeof(out));
	ck_bytes(bgp_encode_open(&w, &o4), exp4);

	/* ... and our own OPEN decodes back. */
	struct bgp_open_in in;
	struct bgp_err e;
	ck_assert_int_eq(bgp_decode_open(out + 19, sizeof(exp4) - 19, &in, &e), 0);
	ck_assert_uint_eq(in.my_as, BGP_AS_TRANS);
	ck_assert_uint_eq(in.peer_as, 4200000001u);
	ck_assert(in.cap_as4 && in.cap_mp_v4 && !in.cap_mp_v6);
}
END_TEST

START_TEST(keepalive_notification)
{
	static const uint8_t ka[] = { M16, 0x00, 0x13, 0x04 };  /* 19 bytes, KEEPALIVE */
	struct wire_wr w = wire_wr_init(out, sizeof(out));
	ck_bytes(bgp_encode_keepalive(&w), ka);

	static const uint8_t hold[] = { M16, 0x00, 0x15, 0x03, 0x04, 0x00 };  /* 4/0 */
	w = wire_wr_init(out, sizeof(out));
	ck_bytes(bgp_encode_notification(&w, 4, 0, NULL, 0), hold);

	static const uint8_t cease[] = {
		M16, 0x00, 0x19, 0x03,        /* length 25, NOTIFICATION */
		0x06, 0x02,                   /* Cease / Administrative Shutdown */
		0x03, 'b', 'y', 'e',          /* RFC 8203: length 3, "bye" */
	};
	w = wire_wr_init(out, sizeof(out));
	ck_bytes(bgp_encode_shutdown(&w, 2, "bye"), cease);

	struct bgp_notification_in n;
	ck_assert_int_eq(bgp_decode_notification(cease + 19, sizeof(cease) - 19, &n), 0);
	ck_assert_uint_eq(n.code, 6);
	ck_assert_uint_eq(n.subcode, 2);
	ck_assert_str_eq(n.shutdown_msg, "bye");
	/* inconsistent message length: no text, still a notification */
	static const uint8_t bad[] = { 0x06, 0x02, 0x09, 'x' };
	ck_assert_int_eq(bgp_decode_notification(bad, sizeof(bad), &n), 0);
	ck_assert_str_eq(n.shutdown_msg, "");

	/* a 300-byte message is cut to 255 on a UTF-8 boundary ("é" = c3 a9) */
	char longmsg[301];
	for (int i = 0; i < 300; i += 2) {
		longmsg[i] = (char)0xc3;
		longmsg[i + 1] = (char)0xa9;
	}
	longmsg[300] = '\0';
	w = wire_wr_init(out, sizeof(out));
	ck_assert_int_eq(bgp_encode_shutdown(&w, 2, longmsg), 19 + 2 + 1 + 254);
	ck_assert_uint_eq(out[21], 254);
}
END_TEST

static struct bgp_route_attrs base_attrs(void)
{
	static const uint32_t comm[] = { 0xfde90064 };            /* 65001:100 */
	static const struct bgp_lcomm lc[] = { { 65001, 1, 2 } };  /* 65001:1:2 */
	struct bgp_route_attrs a;
	memset(&a, 0, sizeof(a));
	a.local_as = 65001;
	a.ebgp = true;
	a.prepend = 1;
	a.peer_as4 = true;
	a.has_nh4 = true;
	memcpy(a.nh4, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	a.has_med = true;
	a.med = 50;
	a.communities = comm;
	a.n_communities = 1;
	a.lcommunities = lc;
	a.n_lcommunities = 1;
	return a;
}

static const struct bgp_prefix p4 = { AF_INET, { 198, 51, 100 }, 24 };
static const struct bgp_prefix p6 = { AF_INET6, { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00 }, 48 };

START_TEST(update_v4)
{
	static const uint8_t exp[] = {
		M16, 0x00, 0x50, 0x02,        /* length 80, UPDATE */
		0x00, 0x00,                   /* no withdrawn routes */
		0x00, 0x35,                   /* 53 bytes of attributes */
		0x40, 0x01, 0x01, 0x00,       /* ORIGIN (well-known) IGP */
		0x40, 0x02, 0x0a,             /* AS_PATH, 10 bytes */
		0x02, 0x02,                   /* AS_SEQUENCE of 2 */
		0x00, 0x00, 0xfd, 0xe9, 0x00, 0x00, 0xfd, 0xe9,  /* 65001 65001 (prepend 1) */
		0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x01,        /* NEXT_HOP 192.0.2.1 */
		0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x32,        /* MED (optional) 50 */
		0xc0, 0x08, 0x04, 0xfd, 0xe9, 0x00, 0x64,        /* COMMUNITIES 65001:100 */
		0xc0, 0x20, 0x0c,             /* LARGE_COMMUNITY, 12 bytes */
		0x00, 0x00, 0xfd, 0xe9, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
		0x18, 0xc6, 0x33, 0x64,       /* NLRI 198.51.100.0/24 */
	};
	struct bgp_route_attrs a = base_attrs();
	struct wire_wr w = wire_wr_init(out, sizeof(out));
	ck_bytes(bgp_encode_update(&w, &a, &p4, true), exp);

	struct bgp_update_in u;
	struct bgp_err e;
	ck_assert_int_eq(bgp_decode_update(exp + 19, sizeof(exp) - 19, true, false, &u, &e), 0);
	ck_assert_uint_eq(u.n_nlri, 1);
	ck_assert_uint_eq(u.as_path_len, 2);
	ck_assert_uint_eq(u.as_path[1], 65001);
	ck_assert_uint_eq(u.med, 50);
	ck_assert_uint_eq(u.first_community, 0xfde90064);
	ck_assert_uint_eq(u.first_lcommunity.local2, 2);
	ck_assert_uint_eq(u.first_prefix_len, 24);
	ck_assert_uint_eq(u.first_prefix[2], 100);
	ck_assert(!u.eor);

	static const uint8_t wd[] = {
		M16, 0x00, 0x1b, 0x02,        /* length 27, UPDATE */
		0x00, 0x04,                   /* 4 bytes of withdrawn routes */
		0x18, 0xc6, 0x33, 0x64,       /* 198.51.100.0/24 */
		0x00, 0x00,                   /* no attributes */
	};
	w = wire_wr_init(out, sizeof(out));
	ck_bytes(bgp_encode_update(&w, &a, &p4, false), wd);
	ck_assert_int_eq(bgp_decode_update(wd + 19, sizeof(wd) - 19, true, false, &u, &e), 0);
	ck_assert_uint_eq(u.n_withdrawn, 1);
}
END_TEST

START_TEST(update_v6_ibgp)
{
	static const uint8_t exp[] = {
		M16, 0x00, 0x54, 0x02,        /* length 84, UPDATE */
		0x00, 0x00, 0x00, 0x3d,       /* no withdrawn, 61 bytes of attributes */
		0x80, 0x0e, 0x2c,             /* MP_REACH_NLRI (optional), 44 bytes */
		0x00, 0x02, 0x01,             /* AFI IPv6, SAFI unicast */
		0x20,                         /* next hop length 32: global + link-local */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,  /* 2001:db8::1 */
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,        /* fe80::1 */
		0x00,                         /* reserved */
		0x30, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00,  /* 2001:db8:100::/48 */
		0x40, 0x01, 0x01, 0x00,       /* ORIGIN IGP */
		0x40, 0x02, 0x00,             /* AS_PATH empty (iBGP) */
		0x40, 0x05, 0x04, 0x00, 0x00, 0x00, 0xc8,  /* LOCAL_PREF 200 */
	};
	struct bgp_route_attrs a;
	memset(&a, 0, sizeof(a));
	a.local_as = 65001;
	a.peer_as4 = true;
	a.local_pref = 200;
	a.has_nh6 = a.has_nh6_ll = true;
	inet_pton(AF_INET6, "2001:db8::1", a.nh6);
	inet_pton(AF_INET6, "fe80::1", a.nh6_ll);
	struct wire_wr w = wire_wr_init(out, sizeof(out));
	ck_bytes(bgp_encode_update(&w, &a, &p6, true), exp);

	struct bgp_update_in u;
	struct bgp_err e;
	ck_assert_int_eq(bgp_decode_update(exp + 19, sizeof(exp) - 19, true, true, &u, &e), 0);
	ck_assert_uint_eq(u.n_mp_reach, 1);
	ck_assert_uint_eq(u.mp_nh_len, 32);
	ck_assert_uint_eq(u.local_pref, 200);
	ck_assert_uint_eq(u.as_path_len, 0);
	ck_assert_uint_eq(u.first_prefix_len, 48);

	static const uint8_t wd[] = {
		M16, 0x00, 0x24, 0x02,        /* length 36, UPDATE */
		0x00, 0x00, 0x00, 0x0d,       /* no withdrawn, 13 bytes of attributes */
		0x80, 0x0f, 0x0a,             /* MP_UNREACH_NLRI, 10 bytes */
		0x00, 0x02, 0x01,             /* IPv6 unicast */
		0x30, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00,  /* 2001:db8:100::/48 */
	};
	w = wire_wr_init(out, sizeof(out));
	ck_bytes(bgp_encode_update(&w, &a, &p6, false), wd);
	ck_assert_int_eq(bgp_decode_update(wd + 19, sizeof(wd) - 19, true, true, &u, &e), 0);
	ck_assert_uint_eq(u.n_mp_unreach, 1);
	ck_assert(!u.eor);
}
END_TEST

START_TEST(update_as2_peer)
{
	static const uint8_t exp[] = {
		M16, 0x00, 0x36, 0x02,        /* length 54, UPDATE */
		0x00, 0x00, 0x00, 0x1b,       /* no withdrawn, 27 bytes of attributes */
		0x40, 0x01, 0x01, 0x00,       /* ORIGIN IGP */
		0x40, 0x02, 0x04, 0x02, 0x01, 0x5b, 0xa0,  /* AS_PATH: SEQ of 1, AS_TRANS (2-byte) */
		0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x01,  /* NEXT_HOP 192.0.2.1 */
		0xc0, 0x11, 0x06, 0x02, 0x01,              /* AS4_PATH: SEQ of 1 */
		0xfa, 0x56, 0xea, 0x01,                    /* 4200000001 */
		0x18, 0xc6, 0x33, 0x64,       /* NLRI 198.51.100.0/24 */
	};
	struct bgp_route_attrs a = base_attrs();
	a.local_as = 4200000001u;
	a.prepend = 0;
	a.peer_as4 = false;
	a.has_med = false;
	a.n_communities = a.n_lcommunities = 0;
	struct wire_wr w = wire_wr_init(out, sizeof(out));
	ck_bytes(bgp_encode_update(&w, &a, &p4, true), exp);

	struct bgp_update_in u;
	struct bgp_err e;
	ck_assert_int_eq(bgp_decode_update(exp + 19, sizeof(exp) - 19, false, false, &u, &e), 0);
	ck_assert_uint_eq(u.as_path[0], BGP_AS_TRANS);
	ck_assert(u.has_as4_path);
	ck_assert_uint_eq(u.as4_path[0], 4200000001u);
}
END_TEST

START_TEST(eor)
{
	static const uint8_t v4[] = { M16, 0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00 };  /* empty UPDATE */
	static const uint8_t v6[] = {
		M16, 0x00, 0x1d, 0x02, 0x00, 0x00, 0x00, 0x06,  /* length 29, 6 bytes of attributes */
		0x80, 0x0f, 0x03, 0x00, 0x02, 0x01,             /* empty MP_UNREACH IPv6 unicast */
	};
	struct wire_wr w = wire_wr_init(out, sizeof(out));
	ck_bytes(bgp_encode_eor(&w, AF_INET), v4);
	w = wire_wr_init(out, sizeof(out));
	ck_bytes(bgp_encode_eor(&w, AF_INET6), v6);
	struct bgp_update_in u;
	struct bgp_err e;
	ck_assert_int_eq(bgp_decode_update(v4 + 19, 4, true, false, &u, &e), 0);
	ck_assert(u.eor && u.eor_family == AF_INET);
	ck_assert_int_eq(bgp_decode_update(v6 + 19, 10, true, false, &u, &e), 0);
	ck_assert(u.eor && u.eor_family == AF_INET6);
}
END_TEST

START_TEST(open_decode_peer)
{
	/* A peer OPEN with four optional parameters, one capability each. */
	static const uint8_t body[] = {
		0x04, 0xfd, 0xea, 0x00, 0x5a,  /* version 4, AS 65002, hold 90 */
		0x0a, 0x00, 0x00, 0x02,        /* id 10.0.0.2 */
		0x1e,                          /* 30 bytes of parameters */
		0x02, 0x06, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01,  /* MP IPv4 unicast */
		0x02, 0x02, 0x02, 0x00,                          /* route refresh */
		0x02, 0x08, 0x49, 0x06, 0x03, 'b', 'g', 'p', 0x00, 0x00,  /* unknown cap 73 (FQDN) */
		0x02, 0x06, 0x41, 0x04, 0x00, 0x00, 0xfd, 0xea,  /* AS4 65002 */
	};
	struct bgp_open_in o;
	struct bgp_err e;
	ck_assert_int_eq(bgp_decode_open(body, sizeof(body), &o, &e), 0);
	ck_assert_uint_eq(o.n_params, 4);
	ck_assert_uint_eq(o.n_caps, 4);
	ck_assert_uint_eq(o.n_unknown_caps, 1);
	ck_assert(o.cap_mp_v4 && !o.cap_mp_v6 && o.cap_route_refresh && o.cap_as4);
	ck_assert_uint_eq(o.hold_time, 90);
	ck_assert_uint_eq(o.router_id, 0x0a000002);
	ck_assert_int_eq(bgp_check_open(&o, 65002, 65001, 0x0a000001, &e), 0);

	/* RFC 9072: 255, type 255, 2-byte length, 2-byte parameter lengths. */
	static const uint8_t ext[] = {
		0x04, 0xfd, 0xea, 0x00, 0x09, 0x0a, 0x00, 0x00, 0x02,
		0xff, 0xff, 0x00, 0x0f,        /* extended: 15 bytes of parameters */
		0x02, 0x00, 0x0c,              /* capabilities, 12 bytes */
		0x01, 0x04, 0x00, 0x02, 0x00, 0x01,  /* MP IPv6 unicast */
		0x41, 0x04, 0x00, 0x00, 0xfd, 0xea,  /* AS4 65002 */
	};
	ck_assert_int_eq(bgp_decode_open(ext, sizeof(ext), &o, &e), 0);
	ck_assert(o.extended_params);
	ck_assert(o.cap_mp_v6 && o.cap_as4 && !o.cap_mp_v4);
	ck_assert_uint_eq(o.peer_as, 65002);

	/* no parameters at all: a plain old IPv4 speaker */
	static const uint8_t none[] = { 0x04, 0xfd, 0xea, 0x00, 0x03, 0x0a, 0, 0, 2, 0x00 };
	ck_assert_int_eq(bgp_decode_open(none, sizeof(none), &o, &e), 0);
	ck_assert(!o.any_mp && !o.cap_as4);
	ck_assert_uint_eq(o.peer_as, 65002);
}
END_TEST

/* ---- malformed inputs ---- */

struct bad_hdr { const char *what; uint8_t b[19]; uint8_t code, sub; };

START_TEST(bad_headers)
{
	static const struct bad_hdr cases[] = {
		{ "marker", { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff,
			      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x04 }, 1, 1 },
		{ "len 18", { M16, 0x00, 0x12, 0x04 }, 1, 2 },
		{ "len 4097", { M16, 0x10, 0x01, 0x02 }, 1, 2 },
		{ "keepalive 20", { M16, 0x00, 0x14, 0x04 }, 1, 2 },
		{ "open 28", { M16, 0x00, 0x1c, 0x01 }, 1, 2 },
		{ "notification 20", { M16, 0x00, 0x14, 0x03 }, 1, 2 },
		{ "type 7", { M16, 0x00, 0x13, 0x07 }, 1, 3 },
		{ "type 0", { M16, 0x00, 0x13, 0x00 }, 1, 3 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		uint8_t type;
		struct bgp_err e;
		ck_assert_msg(bgp_hdr_check(cases[i].b, &len, &type, &e) < 0, "%s", cases[i].what);
		ck_assert_msg(e.code == cases[i].code && e.subcode == cases[i].sub,
			      "%s: got %u/%u", cases[i].what, e.code, e.subcode);
	}
	/* bad length carries the length field; bad type the type */
	struct bgp_err e;
	size_t len;
	uint8_t type;
	bgp_hdr_check(cases[2].b, &len, &type, &e);
	ck_assert_uint_eq(e.data_len, 2);
	ck_assert_uint_eq(e.data[0], 0x10);
	bgp_hdr_check(cases[6].b, &len, &type, &e);
	ck_assert_uint_eq(e.data_len, 1);
	ck_assert_uint_eq(e.data[0], 7);
	static const uint8_t ok[] = { M16, 0x10, 0x00, 0x02 };  /* 4096 UPDATE is fine */
	ck_assert_int_eq(bgp_hdr_check(ok, &len, &type, &e), 0);
	ck_assert_uint_eq(len, 4096);
}
END_TEST

struct bad_open { const char *what; uint8_t b[32]; size_t len; uint8_t code, sub; };

START_TEST(bad_opens)
{
	static const struct bad_open cases[] = {
		{ "version 3", { 0x03, 0xfd, 0xea, 0, 9, 10, 0, 0, 2, 0 }, 10, 2, 1 },
		{ "hold 2", { 0x04, 0xfd, 0xea, 0, 2, 10, 0, 0, 2, 0 }, 10, 2, 6 },
		{ "id 0", { 0x04, 0xfd, 0xea, 0, 9, 0, 0, 0, 0, 0 }, 10, 2, 3 },
		{ "param type 1", { 0x04, 0xfd, 0xea, 0, 9, 10, 0, 0, 2, 3, 0x01, 0x01, 0x00 }, 13, 2, 4 },
		{ "optlen past end", { 0x04, 0xfd, 0xea, 0, 9, 10, 0, 0, 2, 8, 0x02, 0x00 }, 12, 2, 0 },
		{ "trailing bytes", { 0x04, 0xfd, 0xea, 0, 9, 10, 0, 0, 2, 0, 0x99 }, 11, 2, 0 },
		{ "MP cap len 3", { 0x04, 0xfd, 0xea, 0, 9, 10, 0, 0, 2, 7, 0x02, 0x05,
				    0x01, 0x03, 0x00, 0x01, 0x00 }, 17, 2, 0 },
		{ "cap past param", { 0x04, 0xfd, 0xea, 0, 9, 10, 0, 0, 2, 4, 0x02, 0x02,
				      0x41, 0x04 }, 14, 2, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bgp_open_in o;
		struct bgp_err e;
		ck_assert_msg(bgp_decode_open(cases[i].b, cases[i].len, &o, &e) < 0, "%s", cases[i].what);
		ck_assert_msg(e.code == cases[i].code && e.subcode == cases[i].sub,
			      "%s: got %u/%u", cases[i].what, e.code, e.subcode);
	}
	/* version error data: the version we support */
	struct bgp_open_in o;
	struct bgp_err e;
	bgp_decode_open(cases[0].b, cases[0].len, &o, &e);
	ck_assert_uint_eq(e.data_len, 2);
	ck_assert_uint_eq(e.data[1], 4);
	/* context checks: wrong AS (2/2), iBGP with our own id (2/3) */
	static const uint8_t good[] = { 0x04, 0xfd, 0xea, 0, 9, 10, 0, 0, 2, 0 };
	ck_assert_int_eq(bgp_decode_open(good, sizeof(good), &o, &e), 0);
	ck_assert_int_lt(bgp_check_open(&o, 65003, 65001, 0x0a000001, &e), 0);
	ck_assert_uint_eq(e.code, 2);
	ck_assert_uint_eq(e.subcode, 2);
	ck_assert_uint_eq(e.data[1], 0xea);
	ck_assert_int_lt(bgp_check_open(&o, 65002, 65002, 0x0a000002, &e), 0);
	ck_assert_uint_eq(e.subcode, 3);
}
END_TEST

/* UPDATE bodies (after the header). ORIGIN/AS_PATH/NEXT_HOP groups: */
#define ORIGIN_OK  0x40, 0x01, 0x01, 0x00
#define PATH_OK    0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xea
#define NH_OK      0x40, 0x03, 0x04, 0x0a, 0x00, 0x00, 0x02
#define NLRI_OK    0x18, 0xc6, 0x33, 0x64

struct bad_upd { const char *what; uint8_t b[48]; size_t len; bool ibgp; uint8_t code, sub; };

/*
 * The UPDATEs that still reset the session under RFC 7606, each with the
 * NOTIFICATION it must send. Most carry one malformed attribute and no
 * reachable NLRI: RFC 7606 §5.2 makes any error other than attribute
 * discard in such an UPDATE a session reset, with the RFC 4271 subcode of
 * the error (the same attributes with NLRI are in bgp_7606_vectors.h).
 */
START_TEST(reset_updates)
{
	static const struct bad_upd cases[] = {
		/* §3.b: the two length fields do not fit the message */
		{ "3.b withdrawn past end", { 0x00, 0x09, 0x18, 0xc6, 0x33, 0x64, 0, 0 }, 8, false, 3, 1 },
		{ "3.b attrs past end", { 0x00, 0x00, 0x00, 0x20, ORIGIN_OK }, 8, false, 3, 1 },
		{ "3.b no attribute length", { 0x00, 0x00, 0x00 }, 3, false, 3, 1 },
		/* §5.2 + §4: framing errors with nothing reachable */
		{ "5.2 attr header cut", { 0x00, 0x00, 0x00, 0x06, ORIGIN_OK, 0x40, 0x02 }, 10, false, 3, 1 },
		{ "5.2 attr value past list", { 0x00, 0x00, 0x00, 0x07, ORIGIN_OK, 0x40, 0x02, 0x08 }, 11, false, 3, 1 },
		/* §5.2 + §3.c / §7.x: one malformed attribute, no NLRI */
		{ "5.2 unknown well-known", { 0x00, 0x00, 0x00, 0x04, 0x40, 0x63, 0x01, 0x00 }, 8, false, 3, 2 },
		{ "5.2 ORIGIN optional flag", { 0x00, 0x00, 0x00, 0x04, 0xc0, 0x01, 0x01, 0x00 }, 8, false, 3, 4 },
		{ "5.2 MED transitive flag", { 0x00, 0x00, 0x00, 0x07, 0x40, 0x04, 0x04, 0, 0, 0, 1 }, 11, false, 3, 4 },
		{ "5.2 ORIGIN length 2", { 0x00, 0x00, 0x00, 0x05, 0x40, 0x01, 0x02, 0x00, 0x00 }, 9, false, 3, 5 },
		{ "5.2 NEXT_HOP length 5", { 0x00, 0x00, 0x00, 0x08, 0x40, 0x03, 0x05, 10, 0, 0, 2, 0 }, 12, false, 3, 5 },
		{ "5.2 ORIGIN 3", { 0x00, 0x00, 0x00, 0x04, 0x40, 0x01, 0x01, 0x03 }, 8, false, 3, 6 },
		{ "5.2 NEXT_HOP 0.0.0.0", { 0x00, 0x00, 0x00, 0x07, 0x40, 0x03, 0x04, 0, 0, 0, 0 }, 11, false, 3, 8 },
		{ "5.2 NEXT_HOP multicast", { 0x00, 0x00, 0x00, 0x07, 0x40, 0x03, 0x04, 224, 0, 0, 1 }, 11, false, 3, 8 },
		{ "5.2 COMMUNITIES len 3", { 0x00, 0x00, 0x00, 0x06, 0xc0, 0x08, 0x03, 1, 2, 3 }, 10, false, 3, 9 },
		{ "5.2 LARGE_COMMUNITY len 8", { 0x00, 0x00, 0x00, 0x0b, 0xc0, 0x20, 0x08, 0, 0, 0, 1, 0, 0, 0, 2 },
		  15, false, 3, 9 },
		{ "5.2 AS_PATH segment type 5", { 0x00, 0x00, 0x00, 0x09, 0x40, 0x02, 0x06, 0x05, 0x01, 0, 0, 0xfd, 0xea },
		  13, false, 3, 11 },
		{ "5.2 AS_PATH count 0", { 0x00, 0x00, 0x00, 0x05, 0x40, 0x02, 0x02, 0x02, 0x00 }, 9, false, 3, 11 },
		{ "5.2 AS_PATH cut", { 0x00, 0x00, 0x00, 0x08, 0x40, 0x02, 0x05, 0x02, 0x01, 0, 0, 0xfd }, 12, false, 3, 11 },
		/* §5.2: withdrawn routes only, plus a bad ORIGIN */
		{ "5.2 withdraw with ORIGIN 5", { 0x00, 0x04, NLRI_OK, 0x00, 0x04, 0x40, 0x01, 0x01, 0x05 }, 12,
		  false, 3, 6 },
		/* §3.j, §5.3: NLRI or withdrawn routes that do not parse */
		{ "5.3 NLRI /33", { 0x00, 0x00, 0x00, 0x14, ORIGIN_OK, PATH_OK, NH_OK, 0x21, 1, 2, 3, 4, 5 },
		  30, false, 3, 10 },
		{ "5.3 NLRI cut", { 0x00, 0x00, 0x00, 0x14, ORIGIN_OK, PATH_OK, NH_OK, 0x18, 0xc6 }, 26, false, 3, 10 },
		{ "5.3 withdrawn /40", { 0x00, 0x02, 0x28, 0x01, 0x00, 0x00 }, 6, false, 3, 10 },
		{ "5.3 withdrawn cut", { 0x00, 0x02, 0x18, 0xc6, 0x00, 0x00 }, 6, false, 3, 10 },
		/* §3.g: MP_UNREACH_NLRI twice */
		{ "3.g MP_UNREACH twice", { 0x00, 0x00, 0x00, 0x0c, 0x80, 0x0f, 0x03, 0x00, 0x02, 0x01,
					    0x80, 0x0f, 0x03, 0x00, 0x02, 0x01 }, 16, false, 3, 1 },
		/* §5.3: MP_UNREACH_NLRI too short to name its family */
		{ "5.3 MP_UNREACH length 2", { 0x00, 0x00, 0x00, 0x05, 0x80, 0x0f, 0x02, 0x00, 0x02 }, 9, false, 3, 9 },
		{ "5.3 MP_REACH length 0", { 0x00, 0x00, 0x00, 0x10, 0x80, 0x0e, 0x00, ORIGIN_OK, PATH_OK }, 20,
		  false, 3, 9 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bgp_update_in u;
		struct bgp_err e;
		ck_assert_msg(bgp_decode_update(cases[i].b, cases[i].len, true, cases[i].ibgp, &u, &e) < 0,
			      "%s: accepted", cases[i].what);
		ck_assert_msg(e.code == cases[i].code && e.subcode == cases[i].sub,
			      "%s: got %u/%u", cases[i].what, e.code, e.subcode);
		ck_assert_msg(u.error.action == BGP_ACT_SESSION_RESET, "%s", cases[i].what);
		/* the section named: the case's own, before its first space */
		char sec[16];
		snprintf(sec, sizeof(sec), "%.*s", (int)strcspn(cases[i].what, " "), cases[i].what);
		ck_assert_msg(strcmp(u.error.rule + strlen("RFC 7606 "), sec) == 0, "%s: rule %s",
			      cases[i].what, u.error.rule);
	}
	/* data: ORIGIN 3 -> the attribute */
	struct bgp_update_in u;
	struct bgp_err e;
	bgp_decode_update(cases[10].b, cases[10].len, true, false, &u, &e);
	ck_assert_uint_eq(e.data_len, 4);
	ck_assert_mem_eq(e.data, ((uint8_t[]){ 0x40, 0x01, 0x01, 0x03 }), 4);
}
END_TEST

/* The attributes of a case, walked by their own length fields, end
 * exactly at its total length (checks the hand-written vectors; the §4
 * cases are the ones that must not). */
static bool attrs_frame(const struct v7606 *c)
{
	size_t pos = 0;
	while (pos < c->alen) {
		if (pos + 3 > c->alen)
			return false;
		bool ext = c->attrs[pos] & 0x10;
		size_t hl = ext ? 4 : 3;
		if (pos + hl > c->alen)
			return false;
		size_t vl = ext ? (size_t)c->attrs[pos + 2] << 8 | c->attrs[pos + 3] : c->attrs[pos + 2];
		pos += hl + vl;
	}
	return pos == c->alen;
}

/*
 * Every case of bgp_7606_vectors.h: the UPDATE is accepted (no reset),
 * with the action, attribute and section RFC 7606 (or RFC 6793 / 8092)
 * names, the RFC 4271 subcode kept for the log, and treat-as-withdraw
 * turning the announced prefix into a withdrawn one.
 */
START_TEST(handled_updates)
{
	uint8_t b[128];
	for (size_t i = 0; i < V7606_N; i++) {
		const struct v7606 *c = &v7606_cases[i];
		ck_assert_msg(attrs_frame(c) == (strncmp(c->what, "4 ", 2) != 0), "%s: vector framing",
			      c->what);
		size_t n = v7606_body(c, b);
		struct bgp_update_in u;
		struct bgp_err e;
		ck_assert_msg(bgp_decode_update(b, n, c->as4, c->ibgp, &u, &e) == 0, "%s: reset (%u/%u)",
			      c->what, e.code, e.subcode);
		ck_assert_msg(u.error.action == c->act, "%s: action %s", c->what,
			      bgp_upd_action_name(u.error.action));
		ck_assert_msg(u.error.attr == c->attr, "%s: attribute %u", c->what, u.error.attr);
		ck_assert_msg(strcmp(u.error.rule, c->rule) == 0, "%s: rule %s", c->what, u.error.rule);
		ck_assert_msg(e.code == 3 && e.subcode == c->sub, "%s: would send %u/%u", c->what,
			      e.code, e.subcode);
		ck_assert_msg(u.n_errors >= 1, "%s", c->what);
		ck_assert(!u.eor);
		switch (c->act) {
		case BGP_ACT_TREAT_AS_WITHDRAW:   /* §2: the /24 is withdrawn, not announced */
			ck_assert_msg(u.n_nlri == 0 && u.n_withdrawn == 1, "%s", c->what);
			break;
		case BGP_ACT_ATTR_DISCARD:        /* §2: the UPDATE is processed */
			ck_assert_msg(u.n_nlri == 1 && u.n_withdrawn == 0, "%s", c->what);
			break;
		default:                          /* RFC 4760 §7: IPv6 unicast ignored */
			ck_assert_msg(u.disable_afi == 2 && u.disable_safi == 1, "%s", c->what);
			ck_assert_msg(u.n_mp_reach == 0 && u.n_mp_unreach == 0, "%s", c->what);
			break;
		}
	}
	ck_assert_uint_ge(V7606_N, 45);

	/* §3.g: of two ORIGINs the first counts */
	struct bgp_update_in u;
	struct bgp_err e;
	size_t n;
	for (size_t i = 0; i < V7606_N; i++) {
		if (strcmp(v7606_cases[i].what, "3.g ORIGIN twice") == 0) {
			n = v7606_body(&v7606_cases[i], b);
			ck_assert_int_eq(bgp_decode_update(b, n, true, false, &u, &e), 0);
			ck_assert_uint_eq(u.origin, 0);
		}
	}
	/* §3.h: of several errors the strongest action wins: an ATOMIC_AGGREGATE
	 * to discard, then a COMMUNITIES to treat-as-withdraw */
	static const uint8_t two[] = {
		0x00, 0x00, 0x00, 0x1e, ORIGIN_OK, PATH_OK, NH_OK,
		0x40, 0x06, 0x01, 0x00,                   /* ATOMIC_AGGREGATE length 1 */
		0xc0, 0x08, 0x03, 1, 2, 3,                /* COMMUNITIES length 3 */
		NLRI_OK,
	};
	ck_assert_int_eq(bgp_decode_update(two, sizeof(two), true, false, &u, &e), 0);
	ck_assert_uint_eq(u.error.action, BGP_ACT_TREAT_AS_WITHDRAW);
	ck_assert_uint_eq(u.error.attr, 8);
	ck_assert_uint_eq(u.n_errors, 2);
	/* §3.d: the missing type is the NOTIFICATION data */
	static const uint8_t noorigin[] = { 0x00, 0x00, 0x00, 0x10, PATH_OK, NH_OK, NLRI_OK };
	ck_assert_int_eq(bgp_decode_update(noorigin, sizeof(noorigin), true, false, &u, &e), 0);
	ck_assert_uint_eq(e.data_len, 1);
	ck_assert_uint_eq(e.data[0], 1);
	/* §7.14: an unknown extended community type is not an error */
	static const uint8_t ext[] = {
		0x00, 0x00, 0x00, 0x1f, ORIGIN_OK, PATH_OK, NH_OK,
		0xc0, 0x10, 0x08, 0xee, 0xee, 1, 2, 3, 4, 5, 6, NLRI_OK,
	};
	ck_assert_int_eq(bgp_decode_update(ext, sizeof(ext), true, false, &u, &e), 0);
	ck_assert_uint_eq(u.error.action, BGP_ACT_NONE);
	ck_assert_uint_eq(u.n_nlri, 1);
	/* RFC 6793 §6: AS_CONFED segments of an AS4_PATH are dropped, the rest kept */
	static const uint8_t as4conf[] = {
		0x00, 0x00, 0x00, 0x25, ORIGIN_OK,
		0x40, 0x02, 0x08, 0x03, 0x01, 0xfd, 0xe8,             /* 2-octet: CONFED_SEQ 65000, */
		0x02, 0x01, 0x5b, 0xa0,                               /* SEQ AS_TRANS */
		NH_OK,
		0xc0, 0x11, 0x0c, 0x03, 0x01, 0, 0, 0xfd, 0xe8,       /* AS4_PATH: CONFED_SEQ 65000 */
		0x02, 0x01, 0xfa, 0x56, 0xea, 0x01,                   /* SEQ 4200000001 */
		NLRI_OK,
	};
	ck_assert_int_eq(bgp_decode_update(as4conf, sizeof(as4conf), false, false, &u, &e), 0);
	ck_assert_uint_eq(u.error.action, BGP_ACT_NONE);
	ck_assert(u.has_as4_path);
	ck_assert_uint_eq(u.as4_path_len, 1);
	ck_assert_uint_eq(u.as4_path[0], 4200000001u);
	ck_assert_str_eq(bgp_attr_name(17), "AS4_PATH");
	ck_assert_str_eq(bgp_upd_action_name(BGP_ACT_ATTR_DISCARD), "attribute-discard");
}
END_TEST

START_TEST(good_update_variants)
{
	struct bgp_update_in u;
	struct bgp_err e;
	/* extended-length ORIGIN, an unknown optional attribute, partial bit */
	static const uint8_t ext[] = {
		0x00, 0x00, 0x00, 0x19,
		0x50, 0x01, 0x00, 0x01, 0x00,            /* ORIGIN, extended length 1 */
		PATH_OK, NH_OK,
		0xe0, 0x63, 0x01, 0xaa,                  /* unknown optional transitive, partial */
		NLRI_OK,
	};
	ck_assert_int_eq(bgp_decode_update(ext, sizeof(ext), true, false, &u, &e), 0);
	ck_assert_uint_eq(u.n_nlri, 1);
	ck_assert_uint_eq(u.as_path[0], 65002);
	/* 2-byte AS_PATH from a peer without AS4 */
	static const uint8_t as2[] = {
		0x00, 0x00, 0x00, 0x12, ORIGIN_OK,
		0x40, 0x02, 0x04, 0x02, 0x01, 0xfd, 0xea, NH_OK, NLRI_OK,
	};
	ck_assert_int_eq(bgp_decode_update(as2, sizeof(as2), false, false, &u, &e), 0);
	ck_assert_uint_eq(u.as_path[0], 65002);
	/* the same bytes read as 4-byte ASNs do not frame: RFC 7606 7.2
	 * treat-as-withdraw (3/11 before) */
	ck_assert_int_eq(bgp_decode_update(as2, sizeof(as2), true, false, &u, &e), 0);
	ck_assert_uint_eq(u.error.action, BGP_ACT_TREAT_AS_WITHDRAW);
	ck_assert_uint_eq(e.subcode, 11);
	/* withdraw-only UPDATE with no attributes is fine */
	static const uint8_t wd[] = { 0x00, 0x04, NLRI_OK, 0x00, 0x00 };
	ck_assert_int_eq(bgp_decode_update(wd, sizeof(wd), true, true, &u, &e), 0);
	ck_assert_uint_eq(u.n_withdrawn, 1);
	ck_assert(!u.eor);
}
END_TEST

/* Random and bit-flipped inputs: decoders must never read out of bounds
 * (run under ASan by `make SANITIZE=1 unit`) and either accept or name a
 * NOTIFICATION of the right class. */
START_TEST(random_inputs)
{
	static const uint8_t seed_upd[] = {
		0x00, 0x00, 0x00, 0x19, 0x50, 0x01, 0x00, 0x01, 0x00, PATH_OK, NH_OK,
		0xe0, 0x63, 0x01, 0xaa, NLRI_OK,
	};
	static const uint8_t seed_open[] = {
		0x04, 0xfd, 0xea, 0x00, 0x09, 0x0a, 0x00, 0x00, 0x02,
		0xff, 0xff, 0x00, 0x0f, 0x02, 0x00, 0x0c,
		0x01, 0x04, 0x00, 0x02, 0x00, 0x01, 0x41, 0x04, 0x00, 0x00, 0xfd, 0xea,
	};
	uint8_t b[64];
	unsigned x = 12345;
	for (int round = 0; round < 20000; round++) {
		bool upd = round & 1;
		size_t n = upd ? sizeof(seed_upd) : sizeof(seed_open);
		memcpy(b, upd ? seed_upd : seed_open, n);
		x = x * 1103515245u + 12345u;
		if (round % 3 == 0) {  /* random bytes, random length */
			n = (x >> 8) % sizeof(b);
			for (size_t i = 0; i < n; i++) {
				x = x * 1103515245u + 12345u;
				b[i] = (uint8_t)(x >> 16);
			}
		} else {  /* flip one byte of a valid message, maybe truncate */
			b[(x >> 8) % n] ^= (uint8_t)(x >> 20 | 1);
			if (round % 5 == 0)
				n = (x >> 4) % n;
		}
		struct bgp_err e;
		if (upd) {
			struct bgp_update_in u;
			if (bgp_decode_update(b, n, round & 2, false, &u, &e) < 0)
				ck_assert_uint_eq(e.code, 3);
		} else {
			struct bgp_open_in o;
			if (bgp_decode_open(b, n, &o, &e) < 0)
				ck_assert_uint_eq(e.code, 2);
		}
	}
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("bgp_msg");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, open_encode);
	tcase_add_test(tc, keepalive_notification);
	tcase_add_test(tc, update_v4);
	tcase_add_test(tc, update_v6_ibgp);
	tcase_add_test(tc, update_as2_peer);
	tcase_add_test(tc, eor);
	tcase_add_test(tc, open_decode_peer);
	tcase_add_test(tc, bad_headers);
	tcase_add_test(tc, bad_opens);
	tcase_add_test(tc, reset_updates);
	tcase_add_test(tc, handled_updates);
	tcase_add_test(tc, good_update_variants);
	tcase_add_test(tc, random_inputs);
	suite_add_tcase(s, tc);
	return s;
}

#include "tests/unit/check_main.h"
