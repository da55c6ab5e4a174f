/*
 * listen_guard.h: refuse to share a listen address with another process.
 *
 * Our own listeners set SO_REUSEPORT so that every worker has its own
 * socket on one address. The kernel lets any socket of the same user with
 * SO_REUSEPORT join that group, so a second `steerdns serve` on the same
 * address would start without error and take half the queries with other
 * data. Before binding its own sockets the server binds a probe socket
 * without SO_REUSEPORT: that bind fails with EADDRINUSE exactly when
 * somebody already serves the address, as Knot DNS reports it.
 */
#ifndef STEERDNS_LISTEN_GUARD_H
#define STEERDNS_LISTEN_GUARD_H

#include <sys/socket.h>

/*
 * 0 when nobody else holds ss for type (SOCK_DGRAM or SOCK_STREAM); -1
 * with errno set otherwise (EADDRINUSE when it is served already). The
 * probe is closed again before returning.
 */
int listen_guard_check(const struct sockaddr *ss, socklen_t sslen, int type);

#endif
