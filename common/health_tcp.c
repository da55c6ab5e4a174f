/*
 * health_tcp.c: tcp and http probes over one nonblocking TCP socket:
 * connect (success ends a tcp probe), then for http send the request and
 * read up to the end of the status line. Each step waits on the socket's
 * readiness; the checker's deadline bounds the whole probe.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/health_int.h"

static void tcp_io_cb(evutil_socket_t fd, short what, void *arg);

/* Fail the probe with "what: strerror(err)". */
static void fail_errno(struct health_target *t, const char *what, int err)
{
	char reason[HEALTH_REASON_LEN];

	snprintf(reason, sizeof(reason), "%s: %s", what, strerror(err));
	health_probe_result(t, false, reason);
}

static bool status_accepted(const struct health_target *t, int code)
{
	for (unsigned i = 0; i < t->conf.n_status; i++)
		if (t->conf.status[i] == code)
			return true;
	return false;
}

/* We have the bytes of the status line (without its line end) or, at EOF,
 * whatever came: judge them. */
static void http_judge(struct health_target *t, size_t len)
{
	char reason[HEALTH_REASON_LEN];
	int code = health_http_status(t->line, len);

	if (code < 0) {
		health_probe_result(t, false, "not an HTTP status line");
		return;
	}
	if (status_accepted(t, code)) {
		health_probe_result(t, true, NULL);
		return;
	}
	snprintf(reason, sizeof(reason), "HTTP status %d", code);
	health_probe_result(t, false, reason);
}

static void http_send(struct health_target *t)
{
	while (t->sent < t->request_len) {
		ssize_t n = send(t->fd, t->request + t->sent, t->request_len - t->sent,
		                 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* io is still armed for EV_WRITE */
				return;
			}
			if (errno == EINTR)
				continue;
			fail_errno(t, "send", errno);
			return;
		}
		t->sent += (size_t)n;
	}
	t->phase = HPH_READ;
	t->timeout_reason = "timed out waiting for the status line";
	t->line_len = 0;
	if (health_arm_io(t, EV_READ, tcp_io_cb) != 0)
		health_probe_result(t, false, "out of memory");
}

static void http_read(struct health_target *t)
{
	for (;;) {
		size_t room = sizeof(t->line) - t->line_len;
		ssize_t n;
		char *nl;

		if (room == 0) {
			health_probe_result(t, false, "status line too long");
			return;
		}
		n = recv(t->fd, t->line + t->line_len, room, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			fail_errno(t, "recv", errno);
			return;
		}
		if (n == 0) {
			/* closed before a full line: judge what came (it may be a
			 * status line without its CRLF) */
			if (t->line_len == 0)
				health_probe_result(t, false, "connection closed without a response");
			else
				http_judge(t, t->line_len);
			return;
		}
		nl = memchr(t->line + t->line_len, '\n', (size_t)n);
		t->line_len += (size_t)n;
		if (nl) {
			size_t len = (size_t)(nl - t->line);
			if (len > 0 && t->line[len - 1] == '\r')
				len--;
			http_judge(t, len);
			return;
		}
	}
}

static void connected(struct health_target *t)
{
	if (t->conf.type == CHECK_TCP) {
		health_probe_result(t, true, NULL);
		return;
	}
	t->phase = HPH_SEND;
	t->timeout_reason = "timed out sending the request";
	t->sent = 0;
	if (health_arm_io(t, EV_WRITE, tcp_io_cb) != 0) {
		health_probe_result(t, false, "out of memory");
		return;
	}
	http_send(t);
}

static void tcp_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health_target *t = arg;
	int err = 0;
	socklen_t elen = sizeof(err);

	(void)what;
	switch (t->phase) {
	case HPH_CONNECT:
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
			err = errno;
		if (err) {
			fail_errno(t, "connect", err);
			return;
		}
		connected(t);
		break;
	case HPH_SEND:
		http_send(t);
		break;
	case HPH_READ:
		http_read(t);
		break;
	}
}

void health_tcp_start(struct health_target *t)
{
	const struct sockaddr *sa = (const struct sockaddr *)&t->conf.addr;

	t->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		fail_errno(t, "socket", errno);
		return;
	}
	t->phase = HPH_CONNECT;
	t->timeout_reason = "connect timed out";
	if (connect(t->fd, sa, t->conf.addrlen) == 0) {
		connected(t);
		return;
	}
	if (errno != EINPROGRESS) {
		fail_errno(t, "connect", errno);
		return;
	}
	if (health_arm_io(t, EV_WRITE, tcp_io_cb) != 0)
		health_probe_result(t, false, "out of memory");
}
