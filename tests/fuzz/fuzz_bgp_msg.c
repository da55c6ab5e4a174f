/*
 * fuzz_bgp_msg.c: the BGP message decoders (anycast/bgp_msg.h): header
 * check, OPEN, UPDATE, NOTIFICATION.
 * Input: one flags byte (bit 0: 4-octet AS session, bit 1: iBGP), then
 * a whole message, header included. The body is also given to every
 * decoder whatever the header's type says.
 * Invariants: a rejected message names a NOTIFICATION code 1..6 with at
 * most BGP_ERR_DATA_MAX bytes of data, and that NOTIFICATION encodes and
 * decodes back to the same code, subcode and data; an accepted header
 * has a length within 19..4096; an accepted OPEN is version 4 with a hold
 * time of 0 or >= 3 and a BGP id that is not 0; an accepted UPDATE's
 * summary stays within its arrays.
 */
#include <string.h>

#include "anycast/bgp_msg.h"
#include "tests/fuzz/fuzz.h"

static void check_err(const struct bgp_err *e)
{
	FUZZ_CHECK(e->code >= BGP_ERR_HEADER && e->code <= BGP_ERR_CEASE, "code %u", e->code);
	FUZZ_CHECK(e->data_len <= BGP_ERR_DATA_MAX, "data %zu", e->data_len);
	uint8_t buf[BGP_MAX_LEN];
	struct wire_wr w = wire_wr_init(buf, sizeof(buf));
	FUZZ_CHECK(bgp_encode_notification(&w, e->code, e->subcode, e->data, e->data_len) > 0,
	           "encode %u/%u", e->code, e->subcode);
	size_t len;
	uint8_t type;
	struct bgp_err e2;
	FUZZ_CHECK(bgp_hdr_check(buf, &len, &type, &e2) == 0 && type == BGP_MSG_NOTIFICATION &&
	                   len == w.pos,
	           "our NOTIFICATION's header");
	struct bgp_notification_in n;
	FUZZ_CHECK(bgp_decode_notification(buf + BGP_HDR_LEN, len - BGP_HDR_LEN, &n) == 0,
	           "decode our NOTIFICATION");
	FUZZ_CHECK(n.code == e->code && n.subcode == e->subcode && n.data_len == e->data_len &&
	                   (!n.data_len || memcmp(n.data, e->data, n.data_len) == 0),
	           "NOTIFICATION round trip");
}

static void decode_body(const uint8_t *body, size_t len, bool as4, bool ibgp)
{
	struct bgp_err err;
	struct bgp_open_in o;
	memset(&err, 0, sizeof(err));
	if (bgp_decode_open(body, len, &o, &err) == 0) {
		FUZZ_CHECK(o.version == BGP_VERSION, "version %u", o.version);
		FUZZ_CHECK(o.hold_time == 0 || o.hold_time >= 3, "hold %u", o.hold_time);
		FUZZ_CHECK(o.router_id != 0, "id 0");
		FUZZ_CHECK(o.cap_as4 || o.peer_as == o.my_as, "peer AS %u without AS4", o.peer_as);
		memset(&err, 0, sizeof(err));
		if (bgp_check_open(&o, 65002, 65001, 0x0a000001, &err) != 0)
			check_err(&err);
	} else {
		check_err(&err);
	}

	struct bgp_update_in u;
	memset(&err, 0, sizeof(err));
	memset(&u, 0, sizeof(u));
	if (bgp_decode_update(body, len, as4, ibgp, &u, &err) < 0) {
		check_err(&err);
	} else {
		FUZZ_CHECK(u.as_path_len <= BGP_PATH_MAX && u.as4_path_len <= BGP_PATH_MAX,
		           "path %u/%u", u.as_path_len, u.as4_path_len);
		/* mp_nh_len is the wire length: over 32 for an unknown AFI/SAFI,
		 * of which mp_nh keeps the first 32 bytes. */
		FUZZ_CHECK(u.first_prefix_len <= 128, "prefix /%u", u.first_prefix_len);
	}

	struct bgp_notification_in n;
	if (bgp_decode_notification(body, len, &n) == 0) {
		FUZZ_CHECK(n.data_len <= len && (!n.data_len || n.data >= body), "data");
		FUZZ_CHECK(memchr(n.shutdown_msg, 0, sizeof(n.shutdown_msg)) != NULL,
		           "shutdown message not terminated");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 + BGP_MAX_LEN)
		return 0;
	bool as4 = data[0] & 1, ibgp = data[0] & 2;
	const uint8_t *msg = data + 1;
	size_t n = size - 1;
	/* The body ends where the input does (libFuzzer's and replay_main's
	 * buffers are exact-size heap copies), so a read past it is caught. */
	if (n < BGP_HDR_LEN) {
		decode_body(msg, n, as4, ibgp);
		return 0;
	}
	size_t len;
	uint8_t type;
	struct bgp_err err;
	memset(&err, 0, sizeof(err));
	if (bgp_hdr_check(msg, &len, &type, &err) == 0)
		FUZZ_CHECK(len >= BGP_HDR_LEN && len <= BGP_MAX_LEN, "length %zu", len);
	else
		check_err(&err);
	decode_body(msg + BGP_HDR_LEN, n - BGP_HDR_LEN, as4, ibgp);
	return 0;
}
