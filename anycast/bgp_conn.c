/*
 * bgp_conn.c: the transport of a BGP session: nonblocking active connect
 * (with TCP MD5 and an optional source address), adopting an accepted
 * socket (with simple collision handling), next-hop "self" from the local
 * address, and closing after a final NOTIFICATION is flushed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "anycast/bgp_session_int.h"
#include "common/log.h"

#define CONNECT_TIMEOUT_S 5
#define DRAIN_TIMEOUT_S   2

void bgp_peer_name(const struct bgp_peer_conf *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	if (p->name) {
		snprintf(buf, len, "%s", p->name);
		return;
	}
	if (p->addr.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&p->addr)->sin_addr, a, sizeof(a));
	else if (p->addr.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&p->addr)->sin6_addr, a, sizeof(a));
	snprintf(buf, len, "%s", a);
}

int bgp_tcp_md5(int fd, const struct sockaddr *peer, socklen_t len, const char *key)
{
	struct tcp_md5sig md5;
	size_t klen = key ? strlen(key) : 0;
	if (klen > TCP_MD5SIG_MAXKEYLEN || len > sizeof(md5.tcpm_addr)) {
		errno = EINVAL;
		return -1;
	}
	memset(&md5, 0, sizeof(md5));
	memcpy(&md5.tcpm_addr, peer, len);
	md5.tcpm_keylen = (uint16_t)klen;  /* 0 deletes the key */
	memcpy(md5.tcpm_key, key ? key : "", klen);
	return setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5));
}

static bool same_prefix(const uint8_t *a, const uint8_t *b, const uint8_t *mask)
{
	for (int i = 0; i < 16; i++)
		if ((a[i] & mask[i]) != (b[i] & mask[i]))
			return false;
	return true;
}

/*
 * RFC 2545 3: when we share a subnet with the peer, the IPv6 next hop
 * carries our link-local address too. Find the interface that holds our
 * global session address (local), check the peer is on one of its
 * prefixes, and take that interface's link-local address.
 */
static bool find_link_local(int fd, const uint8_t local[16], uint8_t ll[16])
{
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	if (getpeername(fd, (struct sockaddr *)&peer, &pl) != 0 || peer.ss_family != AF_INET6)
		return false;
	const uint8_t *paddr = ((struct sockaddr_in6 *)&peer)->sin6_addr.s6_addr;
	struct ifaddrs *ifs;
	if (getifaddrs(&ifs) != 0)
		return false;
	const char *ifname = NULL;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 || !i->ifa_netmask)
			continue;
		const uint8_t *a = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr;
		const uint8_t *m = ((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr.s6_addr;
		if (memcmp(a, local, 16) == 0 && same_prefix(a, paddr, m))
			ifname = i->ifa_name;
	}
	bool found = false;
	for (struct ifaddrs *i = ifs; i && ifname && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 || strcmp(i->ifa_name, ifname))
			continue;
		const struct in6_addr *a = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (IN6_IS_ADDR_LINKLOCAL(a)) {
			memcpy(ll, a->s6_addr, 16);
			found = true;
		}
	}
	freeifaddrs(ifs);
	return found;
}

/* Next hops and offered families for this connection (RFC 4271 §5.1.3:
 * "self" is the address we speak from). */
static void prepare(struct bgp_session *s, int fd)
{
	const struct bgp_conf *c = s->conf;
	const struct bgp_peer_conf *p = s->peer;
	struct bgp_route_attrs *a = &s->attrs;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	bool self4 = false, self6 = false;
	uint8_t a4[4] = { 0 }, a6[16] = { 0 };
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			memcpy(a4, &((struct sockaddr_in *)&ss)->sin_addr, 4);
			self4 = true;
		} else if (ss.ss_family == AF_INET6) {
			const struct in6_addr *in6 = &((struct sockaddr_in6 *)&ss)->sin6_addr;
			if (IN6_IS_ADDR_V4MAPPED(in6)) {
				memcpy(a4, in6->s6_addr + 12, 4);
				self4 = true;
			} else if (!IN6_IS_ADDR_LINKLOCAL(in6)) {
				memcpy(a6, in6->s6_addr, 16);
				self6 = true;
			}
		}
	}
	memset(a, 0, sizeof(*a));
	a->local_as = c->local_as;
	a->ebgp = bgp_peer_is_ebgp(c, p);
	a->prepend = p->prepend;
	a->peer_as4 = true;  /* updated from the peer's OPEN */
	a->has_nh4 = p->has_nh4 || self4;
	memcpy(a->nh4, p->has_nh4 ? (const uint8_t *)&p->nh4 : a4, 4);
	a->has_nh6 = p->has_nh6 || self6;
	memcpy(a->nh6, p->has_nh6 ? p->nh6.s6_addr : a6, 16);
	a->has_nh6_ll = a->has_nh6 && p->has_nh6_ll;
	memcpy(a->nh6_ll, p->nh6_ll.s6_addr, 16);
	if (self6 && !p->has_nh6 && !p->has_nh6_ll && find_link_local(fd, a6, a->nh6_ll))
		a->has_nh6_ll = true;
	a->has_med = p->has_med;
	a->med = p->med;
	a->local_pref = p->local_pref;
	a->communities = p->communities;
	a->n_communities = p->n_communities;
	a->lcommunities = p->lcommunities;
	a->n_lcommunities = p->n_lcommunities;
	s->our_v4 = c->v4.family == AF_INET && a->has_nh4;
	s->our_v6 = c->v6.family == AF_INET6 && a->has_nh6;
	if (c->v4.family && !s->our_v4)
		log_warn("bgp", "peer %s: no IPv4 next hop; IPv4 prefix not offered", s->name);
	if (c->v6.family && !s->our_v6)
		log_warn("bgp", "peer %s: no IPv6 next hop; IPv6 prefix not offered", s->name);
	if (!s->our_v4 && !s->our_v6)
		s->our_v4 = true;  /* an OPEN needs some family; nothing will be sent */
	s->peer_id = 0;
	s->hold = 0;
	s->fam_v4 = s->fam_v6 = false;
}

static void event_cb(struct bufferevent *bev, short what, void *arg);

/* The socket is connected: start the BGP conversation on it. */
static void connected(struct bgp_session *s)
{
	int fd = (int)bufferevent_getfd(s->bev);
	int one = 1;
	/* Small, latency-sensitive messages; fails harmlessly on AF_UNIX. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bufferevent_set_timeouts(s->bev, NULL, NULL);
	prepare(s, fd);
	bgp_send_open(s);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bgp_session *s = arg;
	if (bev != s->bev)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		connected(s);
		return;
	}
	int e = EVUTIL_SOCKET_ERROR();
	if (s->state == BGP_ST_CONNECT) {
		bgp_set_error(s, "connect: %s", (what & BEV_EVENT_TIMEOUT) ? "timed out" :
			      e ? strerror(e) : "failed");
		bgp_drop(s, false, BGP_ST_ACTIVE);
	} else {
		bgp_set_error(s, "connection %s", (what & BEV_EVENT_EOF) ? "closed by peer" :
			      (what & BEV_EVENT_TIMEOUT) ? "timed out" :
			      e ? strerror(e) : "error");
		bgp_drop(s, false, BGP_ST_IDLE);
	}
}

static void adopt(struct bgp_session *s, struct bufferevent *bev)
{
	s->bev = bev;
	bufferevent_setcb(bev, bgp_read_cb, NULL, event_cb, s);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void bgp_conn_start(struct bgp_session *s)
{
	const struct bgp_peer_conf *p = s->peer;
	int fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->attempts++;
	bgp_set_state(s, BGP_ST_CONNECT);
	if (fd < 0) {
		bgp_set_error(s, "socket: %s", strerror(errno));
		goto fail;
	}
	/* RFC 2385: the key must be on the socket before the SYN. */
	if (p->password && p->password[0] &&
	    bgp_tcp_md5(fd, (const struct sockaddr *)&p->addr, p->addrlen, p->password) < 0) {
		bgp_set_error(s, "TCP_MD5SIG: %s", strerror(errno));
		close(fd);
		goto fail;
	}
	if (p->local.ss_family && bind(fd, (const struct sockaddr *)&p->local, p->local_len) < 0) {
		bgp_set_error(s, "bind source: %s", strerror(errno));
		close(fd);
		goto fail;
	}
	struct bufferevent *bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		close(fd);
		bgp_set_error(s, "bufferevent: out of memory");
		goto fail;
	}
	adopt(s, bev);
	struct timeval tv = { CONNECT_TIMEOUT_S, 0 };
	bufferevent_set_timeouts(bev, NULL, &tv);
	if (bufferevent_socket_connect(bev, (const struct sockaddr *)&p->addr, (int)p->addrlen) < 0) {
		/* Immediate failure; libevent may also report it through the
		 * event callback, which then finds bev gone. */
		bgp_set_error(s, "connect: %s", strerror(errno));
		goto fail;
	}
	return;
fail:
	bgp_drop(s, false, BGP_ST_ACTIVE);
}

static void drain_done(struct bufferevent *bev, void *arg)
{
	struct bgp_session *s = arg;
	if (s->draining == bev)
		s->draining = NULL;
	bufferevent_free(bev);
}

static void drain_write_cb(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		drain_done(bev, arg);
}

static void drain_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	drain_done(bev, arg);
}

void bgp_conn_close(struct bgp_session *s, bool flush)
{
	struct bufferevent *bev = s->bev;
	s->bev = NULL;
	if (!bev)
		return;
	if (!flush || evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		bufferevent_free(bev);
		return;
	}
	/* Keep the socket until the NOTIFICATION is written (or a short
	 * timeout), then close; a new connection may start meanwhile. */
	if (s->draining)
		bufferevent_free(s->draining);
	s->draining = bev;
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, drain_write_cb, drain_event_cb, s);
	struct timeval tv = { DRAIN_TIMEOUT_S, 0 };
	bufferevent_set_timeouts(bev, NULL, &tv);
	bufferevent_enable(bev, EV_WRITE);
}

int bgp_session_attach(struct bgp_session *s, int fd)
{
	struct bgp_err e;
	/* RFC 4271 §6.8, simplified: compare identifiers when we know the
	 * peer's; the connection started by the higher one survives. */
	if (s->state == BGP_ST_ESTABLISHED || s->stopped ||
	    ((s->state == BGP_ST_OPENSENT || s->state == BGP_ST_OPENCONFIRM) &&
	     !(s->peer_id && s->conf->router_id < s->peer_id))) {
		log_info("bgp", "peer %s: incoming connection refused in %s", s->name,
			 bgp_state_name(s->state));
		close(fd);
		return -1;
	}
	if (s->state == BGP_ST_OPENSENT || s->state == BGP_ST_OPENCONFIRM) {
		log_info("bgp", "peer %s: collision, keeping the peer's connection", s->name);
		bgp_err_set(&e, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0);
		uint8_t buf[32];
		struct wire_wr w = wire_wr_init(buf, sizeof(buf));
		int n = bgp_encode_notification(&w, e.code, e.subcode, NULL, 0);
		if (n > 0)
			bufferevent_write(s->bev, buf, (size_t)n);
	}
	bgp_conn_close(s, true);  /* an outgoing attempt or the collided one */
	evtimer_del(s->retry_ev);
	evtimer_del(s->hold_ev);
	evtimer_del(s->ka_ev);
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		close(fd);
		return -1;
	}
	struct bufferevent *bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		close(fd);
		return -1;
	}
	bgp_set_state(s, BGP_ST_ACTIVE);  /* connection from the peer (§8.2.2) */
	adopt(s, bev);
	connected(s);
	return 0;
}
