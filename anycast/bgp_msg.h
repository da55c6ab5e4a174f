/*
 * bgp_msg.h: BGP-4 message encoding and validation (RFC 4271 §4, §6), for
 * an announce-only speaker.
 *
 * Encoders write one whole message (header included) into a caller-owned
 * struct wire_wr and return its length, or -1 if it did not fit. Decoders
 * read untrusted bytes through bounded cursors (common/wire.h) and return 0,
 * or -1 with *err set to the NOTIFICATION we must send (RFC 4271 §6 code,
 * subcode and data). Nothing here allocates or keeps a pointer past the
 * call, except where a struct field says it points into the input.
 *
 * bgp_msg.c: header, OPEN, KEEPALIVE, NOTIFICATION.
 * bgp_update.c: UPDATE encode/decode, End-of-RIB.
 */
#ifndef STEERDNS_BGP_MSG_H
#define STEERDNS_BGP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anycast/bgp_conf.h"
#include "common/wire.h"

#define BGP_HDR_LEN    19
#define BGP_MAX_LEN    4096   /* RFC 8654 extended messages not negotiated */
#define BGP_VERSION    4
#define BGP_AS_TRANS   23456  /* RFC 6793 §9 */

enum bgp_msg_type {
	BGP_MSG_OPEN = 1,
	BGP_MSG_UPDATE = 2,
	BGP_MSG_NOTIFICATION = 3,
	BGP_MSG_KEEPALIVE = 4,
	BGP_MSG_ROUTE_REFRESH = 5,   /* RFC 2918 */
};

/* NOTIFICATION error codes (RFC 4271 §4.5) and the subcodes we use. */
enum {
	BGP_ERR_HEADER = 1, BGP_ERR_OPEN = 2, BGP_ERR_UPDATE = 3,
	BGP_ERR_HOLD = 4, BGP_ERR_FSM = 5, BGP_ERR_CEASE = 6,
};
enum {  /* 1: message header */
	BGP_HDR_NOT_SYNC = 1, BGP_HDR_BAD_LEN = 2, BGP_HDR_BAD_TYPE = 3,
};
enum {  /* 2: OPEN */
	BGP_OPEN_UNSPEC = 0, BGP_OPEN_BAD_VERSION = 1, BGP_OPEN_BAD_AS = 2,
	BGP_OPEN_BAD_ID = 3, BGP_OPEN_BAD_PARAM = 4, BGP_OPEN_BAD_HOLD = 6,
	BGP_OPEN_UNSUP_CAP = 7,
};
enum {  /* 3: UPDATE */
	BGP_UPD_MALFORMED_LIST = 1, BGP_UPD_UNRECOG_WK = 2, BGP_UPD_MISSING_WK = 3,
	BGP_UPD_FLAGS = 4, BGP_UPD_LENGTH = 5, BGP_UPD_ORIGIN = 6,
	BGP_UPD_NEXT_HOP = 8, BGP_UPD_OPTIONAL = 9, BGP_UPD_NETWORK = 10,
	BGP_UPD_AS_PATH = 11,
};
enum {  /* 5: FSM (RFC 6608) */
	BGP_FSM_OPENSENT = 1, BGP_FSM_OPENCONFIRM = 2, BGP_FSM_ESTABLISHED = 3,
};
enum {  /* 6: Cease (RFC 4486) */
	BGP_CEASE_ADMIN_SHUTDOWN = 2, BGP_CEASE_PEER_DECONFIGURED = 3, BGP_CEASE_ADMIN_RESET = 4,
	BGP_CEASE_OTHER_CONFIG_CHANGE = 6,
	BGP_CEASE_COLLISION = 7,
};

/* The NOTIFICATION a decoder wants sent. data is copied (bounded). */
#define BGP_ERR_DATA_MAX 64
struct bgp_err {
	uint8_t code, subcode;
	uint8_t data[BGP_ERR_DATA_MAX];
	size_t data_len;
};

/* ---- header ---- */

/*
 * Validate the 19-byte header at buf (len >= 19 bytes available): marker
 * all ones (1/1), length within 19..4096 and at least the minimum of its
 * type, KEEPALIVE exactly 19 (1/2, data = the length field), known type
 * (1/3, data = the type). On success sets *msg_len and *type, returns 0.
 */
int bgp_hdr_check(const uint8_t *buf, size_t *msg_len, uint8_t *type,
		  struct bgp_err *err);

/* ---- OPEN ---- */

/* What we put in our OPEN. */
struct bgp_open_out {
	uint32_t local_as;      /* > 65535 goes out as AS_TRANS + the AS4 capability */
	uint16_t hold_time;
	uint32_t router_id;     /* host order */
	bool mp_v4, mp_v6;      /* RFC 4760 capabilities to list */
	bool graceful_restart;  /* RFC 4724 capability, restart time 0, no AFI/SAFI */
};

int bgp_encode_open(struct wire_wr *w, const struct bgp_open_out *o);

/* A peer's OPEN, decoded. */
struct bgp_open_in {
	uint8_t version;
	uint16_t my_as;          /* the 2-octet field */
	uint16_t hold_time;
	uint32_t router_id;      /* host order */
	uint32_t peer_as;        /* AS4 capability if present, else my_as */
	bool cap_as4;
	bool cap_mp_v4, cap_mp_v6;
	bool any_mp;             /* listed some MP capability (else IPv4 implied) */
	bool cap_gr, cap_route_refresh, cap_ext_msg;
	bool extended_params;    /* RFC 9072 encoding was used */
	unsigned n_params;       /* optional parameters seen */
	unsigned n_caps;         /* capabilities seen */
	unsigned n_unknown_caps; /* ignored, as RFC 5492 §4 allows */
};

/*
 * Decode an OPEN body (after the header) and check what needs no context:
 * version 4 (2/1, data = 0x0004), hold time 0 or >= 3 (2/6), BGP id not 0
 * (2/3), optional parameters (RFC 5492 / RFC 9072) well framed (2/0) and of
 * a known type (2/4).
 */
int bgp_decode_open(const uint8_t *body, size_t len, struct bgp_open_in *o,
		    struct bgp_err *err);

/*
 * The checks that need our configuration: the peer AS must be the one
 * configured (2/2, data = the 2-octet field), and for iBGP the BGP id must
 * differ from ours (2/3, RFC 6286 §2.2).
 */
int bgp_check_open(const struct bgp_open_in *o, uint32_t expected_as,
		   uint32_t local_as, uint32_t local_id, struct bgp_err *err);

/* ---- KEEPALIVE / NOTIFICATION ---- */

int bgp_encode_keepalive(struct wire_wr *w);

/* NOTIFICATION code/subcode with data (data may be NULL when len is 0). */
int bgp_encode_notification(struct wire_wr *w, uint8_t code, uint8_t subcode,
			    const uint8_t *data, size_t len);

/*
 * Cease with an RFC 8203 / RFC 9003 shutdown communication: one length byte
 * and up to 255 bytes of UTF-8 (longer messages are cut on a character
 * boundary). subcode is 2 (Administrative Shutdown) or 4 (Reset).
 */
int bgp_encode_shutdown(struct wire_wr *w, uint8_t subcode, const char *msg);

struct bgp_notification_in {
	uint8_t code, subcode;
	const uint8_t *data;     /* points into the input */
	size_t data_len;
	char shutdown_msg[256];  /* RFC 8203 text for 6/2 and 6/4, else "" */
};

/* Decode a NOTIFICATION body. Never fails on a well-framed message. */
int bgp_decode_notification(const uint8_t *body, size_t len,
			    struct bgp_notification_in *n);

/* ---- UPDATE (bgp_update.c) ---- */

/* The attributes of our announcement, prepared per session. */
struct bgp_route_attrs {
	uint32_t local_as;
	bool ebgp;               /* AS_PATH = local_as x (1 + prepend); iBGP: empty + LOCAL_PREF */
	unsigned prepend;
	bool peer_as4;           /* false: 2-octet AS_PATH with AS_TRANS + AS4_PATH */
	bool has_nh4;
	uint8_t nh4[4];
	bool has_nh6, has_nh6_ll;
	uint8_t nh6[16], nh6_ll[16];
	bool has_med;
	uint32_t med;
	uint32_t local_pref;     /* sent for iBGP only */
	const uint32_t *communities;
	unsigned n_communities;
	const struct bgp_lcomm *lcommunities;
	unsigned n_lcommunities;
};

/*
 * UPDATE announcing (announce=true) or withdrawing prefix p. IPv4 goes in
 * the NLRI / withdrawn routes fields with NEXT_HOP (needs has_nh4), IPv6
 * in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760; needs has_nh6).
 */
int bgp_encode_update(struct wire_wr *w, const struct bgp_route_attrs *a,
		      const struct bgp_prefix *p, bool announce);

/* End-of-RIB marker (RFC 4724 §2) for AF_INET or AF_INET6. */
int bgp_encode_eor(struct wire_wr *w, int family);

/*
 * RFC 7606 §2 error-handling approaches, weakest first, so that the one to
 * use when an UPDATE has several errors is the largest (§3.h).
 */
enum bgp_upd_action {
	BGP_ACT_NONE = 0,
	BGP_ACT_ATTR_DISCARD,       /* the attribute is dropped, the UPDATE processed */
	BGP_ACT_TREAT_AS_WITHDRAW,  /* every route in the UPDATE is taken as withdrawn */
	BGP_ACT_AFI_SAFI_DISABLE,   /* RFC 4760 §7: that family's routes ignored for the session */
	BGP_ACT_SESSION_RESET,      /* NOTIFICATION (3/x) and close */
};

/* One error of a received UPDATE: what to do, and why (for the log). */
struct bgp_upd_error {
	enum bgp_upd_action action;
	uint8_t attr;               /* type code of the attribute at fault, 0 = none */
	const char *rule;           /* the section that names the action, "RFC 7606 7.1" */
	const char *why;            /* static text, "value not 0..2" */
};

/* "discard", "treat-as-withdraw", ... */
const char *bgp_upd_action_name(enum bgp_upd_action a);
/* "ORIGIN", "AS_PATH", ... or "attribute" for codes we do not know. */
const char *bgp_attr_name(uint8_t type);

#define BGP_PATH_MAX 32
/* What a received UPDATE contained; only for logs and tests. */
struct bgp_update_in {
	/* RFC 7606: the strongest error found (action NONE when clean), the
	 * number of errors, and with AFI_SAFI_DISABLE the family to ignore.
	 * With treat-as-withdraw the reachable prefixes are counted as
	 * withdrawn (n_nlri -> n_withdrawn, n_mp_reach -> n_mp_unreach). */
	struct bgp_upd_error error;
	unsigned n_errors;
	uint16_t disable_afi;
	uint8_t disable_safi;
	unsigned n_withdrawn, n_nlri;          /* IPv4 prefixes */
	unsigned n_mp_reach, n_mp_unreach;     /* MP prefixes */
	uint16_t mp_afi;                       /* of MP_REACH or MP_UNREACH */
	uint8_t mp_safi, mp_nh_len;
	uint8_t mp_nh[32];
	bool eor;                              /* an End-of-RIB marker */
	int eor_family;                        /* AF_INET / AF_INET6 */
	bool has_origin, has_as_path, has_next_hop, has_med, has_local_pref;
	uint8_t origin;
	uint8_t next_hop[4];
	uint32_t med, local_pref;
	uint32_t as_path[BGP_PATH_MAX];        /* ASNs flattened over segments */
	unsigned as_path_len;
	uint32_t as4_path[BGP_PATH_MAX];
	unsigned as4_path_len;
	bool has_as4_path;
	unsigned n_communities, n_lcommunities;
	uint32_t first_community;
	struct bgp_lcomm first_lcommunity;
	uint8_t first_prefix[16];              /* first announced prefix (v4 or MP) */
	uint8_t first_prefix_len;
};

/*
 * Validate an UPDATE body per RFC 4271 §6.3 as revised by RFC 7606 (and
 * RFC 6793 §6 for AS4_PATH / AS4_AGGREGATOR, RFC 8092 for large
 * communities) and summarise it into *u. as4: the session negotiated
 * 4-octet AS (AS_PATH uses 4-byte ASNs). ibgp: the peer is internal
 * (LOCAL_PREF expected; ORIGINATOR_ID and CLUSTER_LIST checked rather
 * than discarded).
 *
 * Returns -1 with *err (the NOTIFICATION) only when the session must be
 * reset: lengths that do not fit the message (7606 §3.b), unparsable NLRI
 * or withdrawn routes (§3.j, §5.3), a repeated MP attribute (§3.g), an
 * MP attribute too short to name its family (§5.3), or any error other
 * than attribute discard in an UPDATE that announces nothing (§5.2).
 * Otherwise 0, with u->error naming the strongest handled error (and
 * *err the NOTIFICATION RFC 4271 would have sent, for the log).
 * Only reads body[0..len).
 */
int bgp_decode_update(const uint8_t *body, size_t len, bool as4, bool ibgp,
		      struct bgp_update_in *u, struct bgp_err *err);

/* Set *err to code/subcode with a copy of data (cut to BGP_ERR_DATA_MAX). */
void bgp_err_set(struct bgp_err *err, uint8_t code, uint8_t subcode,
		 const uint8_t *data, size_t len);

#endif
