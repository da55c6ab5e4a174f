/*
 * sys_direct.h: the socket calls of the answer path, made straight to the
 * kernel with syscall(2).
 *
 * glibc's wrappers of recv, send, recvmmsg, sendmmsg, accept4 and close are
 * thread cancellation points: each call turns asynchronous cancellation on
 * and off around the system call, ~60 user-space instructions a call
 * (callgrind: 6-7% of a TCP query's). No thread of steerdns is ever
 * cancelled (pthread_cancel is not used), so those are pure cost. The
 * semantics are the system call's: -1 and errno on failure.
 */
#ifndef STEERDNS_SYS_DIRECT_H
#define STEERDNS_SYS_DIRECT_H

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline int sys_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	return (int)syscall(SYS_recvmmsg, fd, v, n, flags, NULL);
}

static inline int sys_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	return (int)syscall(SYS_sendmmsg, fd, v, n, flags);
}

/* recv and send are recvfrom and sendto without an address. */
static inline ssize_t sys_recv(int fd, void *buf, size_t len, int flags)
{
	return syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
}

static inline ssize_t sys_send(int fd, const void *buf, size_t len, int flags)
{
	return syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
}

static inline int sys_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	return (int)syscall(SYS_accept4, fd, sa, len, flags);
}

static inline int sys_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

#endif
