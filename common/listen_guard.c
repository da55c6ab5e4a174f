/*
 * listen_guard.c: see listen_guard.h.
 */
#include "common/listen_guard.h"

#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

int listen_guard_check(const struct sockaddr *ss, socklen_t sslen, int type)
{
	int one = 1;
	int fd = socket(ss->sa_family, type | SOCK_CLOEXEC, 0);
	int r, saved;

	if (fd < 0)
		return -1;
	/* TCP: SO_REUSEADDR only so that connections of an earlier run in
	 * TIME_WAIT do not count; it never lets two listeners share a port.
	 * UDP: nothing, since SO_REUSEADDR would let a UDP probe share. */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Our IPv6 listeners are v6-only: probe the same way, so an IPv4
	 * listener on the same port is not taken for a conflict. */
	if (ss->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	r = bind(fd, ss, sslen);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}
