/*
 * bgp_session_int.h: the session struct, shared by bgp_session.c (FSM and
 * messages) and bgp_conn.c (sockets, connect, close). Not for other users.
 */
#ifndef STEERDNS_BGP_SESSION_INT_H
#define STEERDNS_BGP_SESSION_INT_H

#include "anycast/bgp_msg.h"
#include "anycast/bgp_session.h"

struct bufferevent;
struct event;

struct bgp_session {
	struct event_base *base;
	const struct bgp_conf *conf;        /* borrowed */
	const struct bgp_peer_conf *peer;   /* borrowed */
	char name[64];
	enum bgp_state state;
	double since;                       /* monotonic seconds of the last change */
	struct bufferevent *bev;            /* the connection, NULL when none */
	struct bufferevent *draining;       /* a closed one flushing a NOTIFICATION */
	struct event *hold_ev, *ka_ev, *retry_ev;
	bool stopped;                       /* no reconnects (before start, after shutdown) */
	bool want;                          /* owner wants the prefixes announced */
	bool announced;                     /* they are out on this connection */
	unsigned backoff_ms;                /* the next reconnect delay */
	unsigned retry_ms;                  /* the pending/last one */
	unsigned attempts, flaps;
	uint16_t hold;                      /* negotiated hold time */
	uint32_t peer_id;                   /* from the last OPEN, 0 = never seen */
	bool peer_as4;
	bool our_v4, our_v6;                /* families we offer (prefix + next hop) */
	bool fam_v4, fam_v6;                /* negotiated */
	struct bgp_route_attrs attrs;       /* prepared per connection */
	char last_error[192];
	/* RFC 7606 errors handled without a reset: each (action, attribute
	 * type) is logged in full once per peer; later ones are counted and
	 * summed up in one line at most every BGP_UPD_LOG_EVERY_S. */
	uint8_t upd_logged[BGP_ACT_SESSION_RESET + 1][32];
	unsigned upd_errors, upd_unlogged;
	double upd_log_at;
	bgp_state_fn cb;
	void *cb_arg;
};

/* bgp_session.c */
void bgp_set_state(struct bgp_session *s, enum bgp_state to);
void bgp_set_error(struct bgp_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bgp_drop(struct bgp_session *s, bool flush, enum bgp_state next);
void bgp_send_open(struct bgp_session *s);
void bgp_read_cb(struct bufferevent *bev, void *arg);

/* bgp_conn.c */
void bgp_conn_start(struct bgp_session *s);
void bgp_conn_close(struct bgp_session *s, bool flush);
void bgp_peer_name(const struct bgp_peer_conf *p, char *buf, size_t len);

#endif
