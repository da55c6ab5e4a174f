/*
 * bgp_session.c: the per-peer FSM (RFC 4271 §8) of the announce-only
 * speaker: message framing on a bufferevent (partial reads are buffered
 * until a whole message is there; writes go through the output buffer),
 * OPEN negotiation, hold and keepalive timers, announce/withdraw, and
 * reconnect with capped exponential backoff. Sockets and connect are in
 * bgp_conn.c.
 */
#include "anycast/bgp_session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "anycast/bgp_msg.h"
#include "anycast/bgp_session_int.h"
#include "common/log.h"

/* RFC 4271 §8: the hold timer in OpenSent is "a large value" (4 min). */
#define OPENSENT_HOLD_S 240

static const char *const state_names[] = {
	"Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established",
};

const char *bgp_state_name(enum bgp_state st)
{
	return (unsigned)st < 6 ? state_names[st] : "?";
}

unsigned bgp_backoff_next(unsigned cur_ms, unsigned min_ms, unsigned max_ms)
{
	if (min_ms == 0)
		min_ms = 1;
	if (max_ms < min_ms)
		max_ms = min_ms;
	unsigned next = cur_ms < min_ms ? min_ms : (cur_ms > max_ms / 2 ? max_ms : cur_ms * 2);
	return next > max_ms ? max_ms : next;
}

void bgp_set_error(struct bgp_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->last_error, sizeof(s->last_error), fmt, ap);
	va_end(ap);
	log_warn("bgp", "peer %s: %s", s->name, s->last_error);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void bgp_set_state(struct bgp_session *s, enum bgp_state to)
{
	enum bgp_state from = s->state;
	if (from == to)
		return;
	double t = now_s();
	log_info("bgp", "peer %s: %s -> %s after %.1fs", s->name, bgp_state_name(from),
		 bgp_state_name(to), t - s->since);
	s->state = to;
	s->since = t;
	if (from == BGP_ST_ESTABLISHED)
		s->flaps++;
	if (s->cb)
		s->cb(s, from, to, s->cb_arg);
}

static void timer_ms(struct event *ev, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(ev, &tv);
}

static void send_bytes(struct bgp_session *s, const uint8_t *b, int n)
{
	if (s->bev && n > 0)
		bufferevent_write(s->bev, b, (size_t)n);
}

static void send_notification(struct bgp_session *s, const struct bgp_err *e)
{
	uint8_t buf[BGP_HDR_LEN + 2 + BGP_ERR_DATA_MAX];
	struct wire_wr w = wire_wr_init(buf, sizeof(buf));
	send_bytes(s, buf, bgp_encode_notification(&w, e->code, e->subcode, e->data, e->data_len));
}

/*
 * Connection over (any reason). flush: let queued bytes (a NOTIFICATION)
 * go out before the socket closes. Then Idle, or Active after a failed
 * connect, and a reconnect after the backoff unless stopped.
 */
void bgp_drop(struct bgp_session *s, bool flush, enum bgp_state next)
{
	evtimer_del(s->hold_ev);
	evtimer_del(s->ka_ev);
	evtimer_del(s->retry_ev);
	if (s->bev)
		bgp_conn_close(s, flush);
	s->announced = false;
	if (s->stopped) {
		bgp_set_state(s, BGP_ST_IDLE);
		return;
	}
	if (s->peer->passive_only) {
		bgp_set_state(s, BGP_ST_ACTIVE);  /* wait for the peer to call */
		return;
	}
	/* The backoff starts over only after a session that held; one that
	 * dropped sooner counts as another failure (see bgp_backoff_next). */
	if (s->state == BGP_ST_ESTABLISHED && now_s() - s->since >= s->conf->backoff_max_ms / 1e3)
		s->backoff_ms = bgp_backoff_next(0, s->conf->backoff_min_ms, s->conf->backoff_max_ms);
	/* retry_ms first, so the state callback already sees it */
	s->retry_ms = s->backoff_ms;
	s->backoff_ms = bgp_backoff_next(s->backoff_ms, s->conf->backoff_min_ms,
					 s->conf->backoff_max_ms);
	bgp_set_state(s, next);
	timer_ms(s->retry_ev, s->retry_ms);
	log_info("bgp", "peer %s: reconnect in %u ms", s->name, s->retry_ms);
}

/* Send a NOTIFICATION for *e, record it, close and go Idle. */
static void fail(struct bgp_session *s, const struct bgp_err *e, const char *why)
{
	bgp_set_error(s, "sent NOTIFICATION %u/%u (%s)", e->code, e->subcode, why);
	send_notification(s, e);
	bgp_drop(s, true, BGP_ST_IDLE);
}

static void fail_code(struct bgp_session *s, uint8_t code, uint8_t sub, const char *why)
{
	struct bgp_err e;
	bgp_err_set(&e, code, sub, NULL, 0);
	fail(s, &e, why);
}

static void restart_hold(struct bgp_session *s, unsigned secs)
{
	evtimer_del(s->hold_ev);
	if (secs)
		timer_ms(s->hold_ev, secs * 1000);
}

static void hold_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct bgp_session *s = arg;
	/* RFC 4271 §6.5: Hold Timer Expired. */
	fail_code(s, BGP_ERR_HOLD, 0, "hold timer expired");
}

static void send_keepalive(struct bgp_session *s)
{
	uint8_t buf[BGP_HDR_LEN];
	struct wire_wr w = wire_wr_init(buf, sizeof(buf));
	send_bytes(s, buf, bgp_encode_keepalive(&w));
}

static void ka_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	send_keepalive(arg);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct bgp_session *s = arg;
	if (!s->stopped && !s->bev)
		bgp_conn_start(s);
}

void bgp_send_open(struct bgp_session *s)
{
	uint8_t buf[BGP_MAX_LEN];
	struct wire_wr w = wire_wr_init(buf, sizeof(buf));
	struct bgp_open_out o = {
		.local_as = s->conf->local_as,
		.hold_time = (uint16_t)s->conf->hold_time,
		.router_id = s->conf->router_id,
		.mp_v4 = s->our_v4,
		.mp_v6 = s->our_v6,
		.graceful_restart = s->conf->graceful_restart,
	};
	send_bytes(s, buf, bgp_encode_open(&w, &o));
	bgp_set_state(s, BGP_ST_OPENSENT);
	restart_hold(s, OPENSENT_HOLD_S);
}

/* UPDATEs for every negotiated family that has a prefix. */
static void send_routes(struct bgp_session *s, bool announce)
{
	uint8_t buf[BGP_MAX_LEN];
	const struct bgp_prefix *pfx[2] = { &s->conf->v4, &s->conf->v6 };
	bool fam[2] = { s->fam_v4, s->fam_v6 };
	for (int i = 0; i < 2; i++) {
		if (!fam[i] || !pfx[i]->family)
			continue;
		struct wire_wr w = wire_wr_init(buf, sizeof(buf));
		int n = bgp_encode_update(&w, &s->attrs, pfx[i], announce);
		if (n < 0)
			log_err("bgp", "peer %s: cannot encode UPDATE for IPv%c", s->name, i ? '6' : '4');
		send_bytes(s, buf, n);
	}
	s->announced = announce;
	log_info("bgp", "peer %s: %s", s->name, announce ? "announced" : "withdrawn");
}

static void enter_established(struct bgp_session *s)
{
	bgp_set_state(s, BGP_ST_ESTABLISHED);
	s->last_error[0] = '\0';
	if (s->hold) {
		/* KEEPALIVE every third of the hold time (§4.4). */
		struct timeval tv = { s->hold / 3, (s->hold % 3) * 333333 };
		evtimer_add(s->ka_ev, &tv);
	}
	if (s->want)
		send_routes(s, true);
	/* RFC 4724 §2: End-of-RIB once the initial UPDATEs are out. */
	uint8_t buf[64];
	for (int fam = 0; fam < 2; fam++) {
		if (!(fam ? s->fam_v6 : s->fam_v4))
			continue;
		struct wire_wr w = wire_wr_init(buf, sizeof(buf));
		send_bytes(s, buf, bgp_encode_eor(&w, fam ? AF_INET6 : AF_INET));
	}
}

static void handle_open(struct bgp_session *s, const uint8_t *body, size_t len)
{
	struct bgp_open_in o;
	struct bgp_err e;
	if (bgp_decode_open(body, len, &o, &e) < 0 ||
	    bgp_check_open(&o, s->peer->remote_as, s->conf->local_as, s->conf->router_id, &e) < 0) {
		fail(s, &e, "bad OPEN");
		return;
	}
	s->peer_id = o.router_id;
	s->peer_as4 = o.cap_as4;
	/* RFC 4271 §4.2: the smaller hold time; 0 disables keepalives. */
	s->hold = s->conf->hold_time < o.hold_time ? (uint16_t)s->conf->hold_time : o.hold_time;
	/* RFC 4760 §8: a peer without MP capabilities speaks IPv4 unicast. */
	s->fam_v4 = s->our_v4 && (o.cap_mp_v4 || !o.any_mp);
	s->fam_v6 = s->our_v6 && o.cap_mp_v6;
	s->attrs.peer_as4 = o.cap_as4;
	log_info("bgp", "peer %s: OPEN as %u id %08x hold %u (negotiated %u) as4 %d v4 %d v6 %d",
		 s->name, o.peer_as, o.router_id, o.hold_time, s->hold, o.cap_as4,
		 s->fam_v4, s->fam_v6);
	send_keepalive(s);
	bgp_set_state(s, BGP_ST_OPENCONFIRM);
	restart_hold(s, s->hold);
}

static void handle_notification(struct bgp_session *s, const uint8_t *body, size_t len)
{
	struct bgp_notification_in n;
	bgp_decode_notification(body, len, &n);
	bgp_set_error(s, "received NOTIFICATION %u/%u%s%s%s", n.code, n.subcode,
		      n.shutdown_msg[0] ? " \"" : "", n.shutdown_msg,
		      n.shutdown_msg[0] ? "\"" : "");
	/* §6.4: no reply; just close. */
	bgp_drop(s, false, BGP_ST_IDLE);
}

/* Up to this many bytes of a malformed UPDATE go into its log line. */
#define UPD_LOG_BYTES 64
#define BGP_UPD_LOG_EVERY_S 60

/*
 * Log an UPDATE error (RFC 7606 §6: the error, the routes involved and
 * the message). The first of each (action, attribute type) per peer is
 * logged in full; the rest are counted, and summed up at most once a
 * BGP_UPD_LOG_EVERY_S, so a peer flooding bad UPDATEs cannot flood the log.
 */
static void report_update_error(struct bgp_session *s, const struct bgp_update_in *u,
				const struct bgp_err *e, const uint8_t *body, size_t len)
{
	const struct bgp_upd_error *er = &u->error;
	uint8_t *bits = s->upd_logged[er->action];
	uint8_t bit = (uint8_t)(1u << (er->attr % 8));
	double t = now_s();
	s->upd_errors++;
	if (bits[er->attr / 8] & bit) {
		s->upd_unlogged++;
		if (t - s->upd_log_at < BGP_UPD_LOG_EVERY_S)
			return;
		log_warn("bgp", "peer %s: %u more malformed UPDATEs handled in the last %.0f s "
			 "(latest: %s type %u, %s, %s)", s->name, s->upd_unlogged, t - s->upd_log_at,
			 bgp_attr_name(er->attr), er->attr, bgp_upd_action_name(er->action), er->rule);
		s->upd_unlogged = 0;
		s->upd_log_at = t;
		return;
	}
	bits[er->attr / 8] |= bit;
	s->upd_log_at = t;
	char hex[2 * UPD_LOG_BYTES + 4];
	size_t n = len < UPD_LOG_BYTES ? len : UPD_LOG_BYTES;
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", body[i]);
	snprintf(hex + 2 * n, 4, "%s", len > n ? "..." : "");
	char afi[48] = "";
	if (er->action == BGP_ACT_AFI_SAFI_DISABLE)
		snprintf(afi, sizeof(afi), ", AFI %u SAFI %u ignored from now on", u->disable_afi,
			 u->disable_safi);
	log_warn("bgp", "peer %s: malformed UPDATE: %s (type %u) %s -> %s (%s; RFC 4271 "
		 "NOTIFICATION %u/%u)%s; %u error(s), %u+%u routes withdrawn; body %zu bytes %s",
		 s->name, bgp_attr_name(er->attr), er->attr, er->why, bgp_upd_action_name(er->action),
		 er->rule, e->code, e->subcode, afi, u->n_errors, u->n_withdrawn, u->n_mp_unreach,
		 len, hex);
}

/* A received UPDATE: validated (RFC 7606), its routes ignored. Returns
 * false when it reset the session. */
static bool handle_update(struct bgp_session *s, const uint8_t *body, size_t len)
{
	struct bgp_update_in u;
	struct bgp_err e;
	bool ibgp = s->peer->remote_as == s->conf->local_as;
	int rc = bgp_decode_update(body, len, s->peer_as4, ibgp, &u, &e);
	if (u.error.action != BGP_ACT_NONE)
		report_update_error(s, &u, &e, body, len);
	if (rc < 0) {
		fail(s, &e, "malformed UPDATE");
		return false;
	}
	return true;
}

/* One whole message; returns false once the connection is gone. */
static bool handle_msg(struct bgp_session *s, uint8_t type, const uint8_t *body, size_t len)
{
	if (type == BGP_MSG_NOTIFICATION) {
		handle_notification(s, body, len);
		return false;
	}
	switch (s->state) {
	case BGP_ST_OPENSENT:
		if (type != BGP_MSG_OPEN) {
			fail_code(s, BGP_ERR_FSM, BGP_FSM_OPENSENT, "unexpected message in OpenSent");
			return false;
		}
		handle_open(s, body, len);
		break;
	case BGP_ST_OPENCONFIRM:
		if (type != BGP_MSG_KEEPALIVE) {
			fail_code(s, BGP_ERR_FSM, BGP_FSM_OPENCONFIRM, "unexpected message in OpenConfirm");
			return false;
		}
		restart_hold(s, s->hold);
		enter_established(s);
		break;
	case BGP_ST_ESTABLISHED:
		if (type == BGP_MSG_OPEN) {
			fail_code(s, BGP_ERR_FSM, BGP_FSM_ESTABLISHED, "OPEN in Established");
			return false;
		}
		restart_hold(s, s->hold);
		if (type == BGP_MSG_UPDATE) {
			if (!handle_update(s, body, len))
				return false;
		} else if (type == BGP_MSG_ROUTE_REFRESH && s->announced) {
			send_routes(s, true);
		}
		break;
	default:
		return false;
	}
	return s->bev != NULL;
}

void bgp_read_cb(struct bufferevent *bev, void *arg)
{
	struct bgp_session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	/* Messages may arrive in pieces: act only on whole ones. */
	while (s->bev == bev && evbuffer_get_length(in) >= BGP_HDR_LEN) {
		uint8_t *hdr = evbuffer_pullup(in, BGP_HDR_LEN);
		size_t mlen;
		uint8_t type;
		struct bgp_err e;
		if (bgp_hdr_check(hdr, &mlen, &type, &e) < 0) {
			fail(s, &e, "bad message header");
			return;
		}
		if (evbuffer_get_length(in) < mlen)
			return;
		uint8_t *msg = evbuffer_pullup(in, (ev_ssize_t)mlen);
		bool more = handle_msg(s, type, msg + BGP_HDR_LEN, mlen - BGP_HDR_LEN);
		if (!more)
			return;  /* bev may already be freed */
		evbuffer_drain(in, mlen);
	}
}

/* ---- public API ---- */

struct bgp_session *bgp_session_new(struct event_base *base, const struct bgp_conf *conf,
				    const struct bgp_peer_conf *peer)
{
	struct bgp_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->base = base;
	s->conf = conf;
	s->peer = peer;
	s->stopped = true;
	s->since = now_s();
	s->backoff_ms = bgp_backoff_next(0, conf->backoff_min_ms, conf->backoff_max_ms);
	bgp_peer_name(peer, s->name, sizeof(s->name));
	s->hold_ev = evtimer_new(base, hold_cb, s);
	s->ka_ev = event_new(base, -1, EV_PERSIST, ka_cb, s);
	s->retry_ev = evtimer_new(base, retry_cb, s);
	if (!s->hold_ev || !s->ka_ev || !s->retry_ev) {
		bgp_session_free(s);
		return NULL;
	}
	return s;
}

void bgp_session_free(struct bgp_session *s)
{
	if (!s)
		return;
	if (s->bev)
		bufferevent_free(s->bev);
	if (s->draining)
		bufferevent_free(s->draining);
	if (s->hold_ev)
		event_free(s->hold_ev);
	if (s->ka_ev)
		event_free(s->ka_ev);
	if (s->retry_ev)
		event_free(s->retry_ev);
	free(s);
}

void bgp_session_set_callback(struct bgp_session *s, bgp_state_fn fn, void *arg)
{
	s->cb = fn;
	s->cb_arg = arg;
}

void bgp_session_start(struct bgp_session *s)
{
	s->stopped = false;
	if (s->bev || s->state != BGP_ST_IDLE)
		return;
	if (s->peer->passive_only)
		bgp_set_state(s, BGP_ST_ACTIVE);
	else
		bgp_conn_start(s);
}

void bgp_session_set_announce(struct bgp_session *s, bool on)
{
	if (s->want == on)
		return;
	s->want = on;
	if (s->state == BGP_ST_ESTABLISHED)
		send_routes(s, on);
}

void bgp_session_shutdown_code(struct bgp_session *s, uint8_t subcode, const char *msg)
{
	s->stopped = true;
	evtimer_del(s->retry_ev);
	bool up = s->state >= BGP_ST_OPENSENT && s->bev;
	if (up) {
		uint8_t buf[BGP_HDR_LEN + 2 + 256];
		struct wire_wr w = wire_wr_init(buf, sizeof(buf));
		bool has_text = subcode == BGP_CEASE_ADMIN_SHUTDOWN || subcode == BGP_CEASE_ADMIN_RESET;
		send_bytes(s, buf, has_text ? bgp_encode_shutdown(&w, subcode, msg)
		                            : bgp_encode_notification(&w, BGP_ERR_CEASE, subcode, NULL, 0));
	}
	snprintf(s->last_error, sizeof(s->last_error), "cease 6/%u: %s", subcode, msg ? msg : "");
	log_info("bgp", "peer %s: shutdown (cease 6/%u) \"%s\"", s->name, subcode, msg ? msg : "");
	bgp_drop(s, up, BGP_ST_IDLE);
}

void bgp_session_shutdown(struct bgp_session *s, const char *msg)
{
	bgp_session_shutdown_code(s, BGP_CEASE_ADMIN_SHUTDOWN, msg);
}

void bgp_session_get_info(const struct bgp_session *s, struct bgp_session_info *out)
{
	memset(out, 0, sizeof(*out));
	out->state = s->state;
	out->time_in_state = now_s() - s->since;
	snprintf(out->last_error, sizeof(out->last_error), "%s", s->last_error);
	out->want_announce = s->want;
	out->announced = s->announced && s->state == BGP_ST_ESTABLISHED;
	out->flaps = s->flaps;
	out->connect_attempts = s->attempts;
	out->malformed_updates = s->upd_errors;
	out->retry_ms = s->retry_ms;
	out->hold_time = s->hold;
	out->peer_id = s->peer_id;
	out->peer_as4 = s->peer_as4;
	out->fam_v4 = s->fam_v4;
	out->fam_v6 = s->fam_v6;
}

const struct bgp_peer_conf *bgp_session_peer(const struct bgp_session *s)
{
	return s->peer;
}
