/*
 * bgp_session.h: one BGP peering of the announce-only speaker: the RFC 4271
 * §8 FSM (Idle, Connect, Active, OpenSent, OpenConfirm, Established) on a
 * libevent event_base, with active connect and capped exponential backoff,
 * optional passive accept (bgp_listen.c), hold/keepalive timers, TCP MD5,
 * and the announce/withdraw of our prefixes.
 *
 * Threading: everything runs on the owner's event_base thread.
 * Ownership: the session borrows conf and peer (they must outlive it) and
 * owns its sockets, bufferevents and timers; bgp_session_free releases them.
 */
#ifndef STEERDNS_BGP_SESSION_H
#define STEERDNS_BGP_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "anycast/bgp_conf.h"

struct event_base;
struct bgp_session;

enum bgp_state {
	BGP_ST_IDLE, BGP_ST_CONNECT, BGP_ST_ACTIVE,
	BGP_ST_OPENSENT, BGP_ST_OPENCONFIRM, BGP_ST_ESTABLISHED,
};

/* Called after every state change. Must not free the session. */
typedef void (*bgp_state_fn)(struct bgp_session *s, enum bgp_state from,
			     enum bgp_state to, void *arg);

/* A snapshot for logs and metrics. */
struct bgp_session_info {
	enum bgp_state state;
	double time_in_state;      /* seconds */
	char last_error[192];      /* "" until something went wrong */
	bool want_announce;        /* what the owner asked for */
	bool announced;            /* our routes are out on this session now */
	unsigned flaps;            /* times Established was left */
	unsigned connect_attempts; /* outgoing connects started */
	unsigned malformed_updates;/* UPDATEs with an RFC 7606 error (any action) */
	unsigned retry_ms;         /* delay before the pending/last reconnect */
	uint16_t hold_time;        /* negotiated; valid from OpenConfirm */
	uint32_t peer_id;          /* peer BGP identifier, host order, 0 = unknown */
	bool peer_as4;             /* peer sent the 4-octet AS capability */
	bool fam_v4, fam_v6;       /* address families negotiated */
};

/* Create a session in Idle (nothing happens until start/attach). NULL on
 * allocation failure. */
struct bgp_session *bgp_session_new(struct event_base *base, const struct bgp_conf *conf,
				    const struct bgp_peer_conf *peer);

/* Close everything (no NOTIFICATION; use shutdown first for a clean stop). */
void bgp_session_free(struct bgp_session *s);

void bgp_session_set_callback(struct bgp_session *s, bgp_state_fn fn, void *arg);

/* Leave Idle: connect out now (Connect), or with passive_only wait for the
 * peer (Active). Also re-arms a session stopped by shutdown. */
void bgp_session_start(struct bgp_session *s);

/*
 * Adopt a connected stream socket (accepted from the listener, or one end
 * of a socketpair in tests); the session owns fd from here on, and closes
 * it if it refuses it. Sends our OPEN. Collision (RFC 4271 §6.8, simple):
 * in Established the new connection is refused; in OpenConfirm the one
 * initiated by the higher BGP identifier survives; in OpenSent (peer id
 * not yet known) the existing one is kept unless a previous OPEN told us
 * the peer's id is higher. Returns 0 if adopted, -1 if refused.
 */
int bgp_session_attach(struct bgp_session *s, int fd);

/*
 * Desired announcement state. In Established this sends the UPDATEs
 * (announce or withdraw) at once; otherwise it is applied on reaching
 * Established (announce, then End-of-RIB).
 */
void bgp_session_set_announce(struct bgp_session *s, bool on);

/*
 * Send Cease / Administrative Shutdown (6/2) with the RFC 8203 message if
 * a connection is up, close after it is flushed, and stay Idle (no
 * reconnect) until bgp_session_start. Withdraw first (set_announce false)
 * and linger if traffic should move away before the session drops.
 */
void bgp_session_shutdown(struct bgp_session *s, const char *msg);

/*
 * The same with another Cease subcode (RFC 4486): 3 Peer De-configured,
 * 6 Other Configuration Change, ... The RFC 8203 message is sent only with
 * subcodes 2 and 4, which define it; for the others it is only logged.
 */
void bgp_session_shutdown_code(struct bgp_session *s, uint8_t subcode, const char *msg);

void bgp_session_get_info(const struct bgp_session *s, struct bgp_session_info *out);

const struct bgp_peer_conf *bgp_session_peer(const struct bgp_session *s);

/* "Idle", "Connect", ... */
const char *bgp_state_name(enum bgp_state st);

/*
 * The next reconnect delay after one of cur_ms: doubled, within [min, max].
 * The delay grows across failed connects and across sessions that drop
 * soon after reaching Established; it starts over at min only when the
 * session that dropped had stayed Established for at least max (the
 * backoff cap, 60 s by default). So a peer that resets every new session
 * (e.g. re-sending a route it breaks on) is retried ever more slowly.
 */
unsigned bgp_backoff_next(unsigned cur_ms, unsigned min_ms, unsigned max_ms);

/* Set the RFC 2385 TCP MD5 key for peer on fd (a socket before connect, or
 * a listener). key NULL or "" removes it. 0 or -1 with errno. */
int bgp_tcp_md5(int fd, const struct sockaddr *peer, socklen_t len, const char *key);

/* ---- passive side (bgp_listen.c) ---- */

struct bgp_listener;

/*
 * Accept BGP connections and hand each to the session whose peer address
 * matches and that allows passive accept; others are closed. fd: a
 * listening socket the owner made (adopted), or -1 to listen on bind_addr
 * (NULL: [::]:179, dual stack). Installs the MD5 key of every passive
 * peer with a password on the listener. sessions is borrowed.
 */
struct bgp_listener *bgp_listener_new(struct event_base *base, int fd,
				      const struct sockaddr *bind_addr, socklen_t bind_len,
				      struct bgp_session **sessions, unsigned n);

void bgp_listener_free(struct bgp_listener *l);

/*
 * Bind [::]:179 now, while the process may still bind a privileged port
 * (before dropping privileges); listeners later created with fd -1 and no
 * bind_addr use a duplicate of it. Returns 0, or -1 with errno.
 * bgp_listen_unbind() closes it at exit.
 */
int bgp_listen_prebind(void);
void bgp_listen_unbind(void);

#endif
