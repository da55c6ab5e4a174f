/*
 * bgp_listen.c: the passive side of the speaker. One listening socket (the
 * owner's, or [::]:179 by default) hands each accepted connection to the
 * session configured for that peer address with passive accept allowed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "anycast/bgp_session.h"
#include "common/log.h"

struct bgp_listener {
	struct evconnlistener *l;
	struct bgp_session **sessions;  /* borrowed */
	unsigned n;
};

/* The address as 16 bytes, IPv4 mapped into IPv6, so a dual-stack
 * listener matches peers configured with either form. */
static bool addr16(const struct sockaddr *sa, uint8_t out[16])
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

static void accept_cb(struct evconnlistener *el, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	(void)el, (void)salen;
	struct bgp_listener *l = arg;
	uint8_t from[16], want[16];
	char text[INET6_ADDRSTRLEN] = "?";
	if (addr16(sa, from))
		inet_ntop(AF_INET6, from, text, sizeof(text));
	for (unsigned i = 0; i < l->n; i++) {
		const struct bgp_peer_conf *p = bgp_session_peer(l->sessions[i]);
		if (!p->passive || !addr16((const struct sockaddr *)&p->addr, want) ||
		    memcmp(from, want, 16) != 0)
			continue;
		log_info("bgp", "accepted connection from %s", text);
		bgp_session_attach(l->sessions[i], (int)fd);
		return;
	}
	log_warn("bgp", "connection from %s: not a passive peer, closed", text);
	close((int)fd);
}

/* [::]:179 bound while we still had the privilege to (bgp_listen_prebind),
 * or -1. Each listener gets a dup(), so reloads can rebuild theirs. */
static int prebound_fd = -1;

int bgp_listen_prebind(void)
{
	if (prebound_fd >= 0)
		return 0;
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1, zero = 0;
	struct sockaddr_in6 any;
	memset(&any, 0, sizeof(any));
	any.sin6_family = AF_INET6;
	any.sin6_port = htons(BGP_PORT);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0 ||
	    bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	prebound_fd = fd;
	return 0;
}

void bgp_listen_unbind(void)
{
	if (prebound_fd >= 0)
		close(prebound_fd);
	prebound_fd = -1;
}

struct bgp_listener *bgp_listener_new(struct event_base *base, int fd,
				      const struct sockaddr *bind_addr, socklen_t bind_len,
				      struct bgp_session **sessions, unsigned n)
{
	struct bgp_listener *l = calloc(1, sizeof(*l));
	if (!l) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	l->sessions = sessions;
	l->n = n;
	if (fd < 0 && !bind_addr && prebound_fd >= 0)
		fd = fcntl(prebound_fd, F_DUPFD_CLOEXEC, 0);
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE;
	if (fd >= 0) {
		evutil_make_socket_nonblocking(fd);
		l->l = evconnlistener_new(base, accept_cb, l, flags, -1, fd);
	} else {
		struct sockaddr_in6 any;
		if (!bind_addr) {
			memset(&any, 0, sizeof(any));
			any.sin6_family = AF_INET6;
			any.sin6_port = htons(BGP_PORT);
			bind_addr = (const struct sockaddr *)&any;
			bind_len = sizeof(any);
		}
		l->l = evconnlistener_new_bind(base, accept_cb, l, flags, 16, bind_addr,
					       (int)bind_len);
	}
	if (!l->l) {
		log_err("bgp", "cannot listen for BGP: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		free(l);
		return NULL;
	}
	/* RFC 2385: a passive peer's key must be on the listener, or its
	 * signed SYN is dropped. */
	int lfd = (int)evconnlistener_get_fd(l->l);
	for (unsigned i = 0; i < n; i++) {
		const struct bgp_peer_conf *p = bgp_session_peer(sessions[i]);
		if (!p->passive || !p->password || !p->password[0])
			continue;
		const struct sockaddr *pa = (const struct sockaddr *)&p->addr;
		socklen_t plen = p->addrlen;
		struct sockaddr_in6 mapped;
		struct sockaddr_storage ls;
		socklen_t lslen = sizeof(ls);
		/* Linux wants an IPv4 peer as ::ffff:a.b.c.d on an IPv6 socket. */
		if (getsockname(lfd, (struct sockaddr *)&ls, &lslen) == 0 &&
		    ls.ss_family == AF_INET6 && pa->sa_family == AF_INET) {
			memset(&mapped, 0, sizeof(mapped));
			mapped.sin6_family = AF_INET6;
			addr16(pa, mapped.sin6_addr.s6_addr);
			pa = (const struct sockaddr *)&mapped;
			plen = sizeof(mapped);
		}
		if (bgp_tcp_md5(lfd, pa, plen, p->password) < 0)
			log_err("bgp", "TCP_MD5SIG on listener: %s", strerror(errno));
	}
	return l;
}

void bgp_listener_free(struct bgp_listener *l)
{
	if (!l)
		return;
	evconnlistener_free(l->l);
	free(l);
}
