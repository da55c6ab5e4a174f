/*
 * tcp.c: DNS over TCP (RFC 7766) with one plain libevent event per
 * connection and direct recv/send.
 *
 * Why not bufferevents: they toggle write interest around every answer
 * (two epoll_ctl calls per query) and copy every message through evbuffer
 * chains. Here a connection waits for EV_READ only; answers are written at
 * once with one send() for all the queries a read brought, and only when
 * the socket does not take them all does the connection switch to EV_WRITE
 * until they drain. The worker's receive and answer buffers are shared by
 * its connections (a worker handles one at a time); a connection owns
 * memory only while it holds a partial query or unsent answers.
 *
 * Idle timeouts without a timer per connection: the worker's connection
 * list is kept in order of last activity (a connection moves to the front
 * when a whole query arrives or answers get out), and one sweep timer
 * closes from the back those idle too long. A per-event timeout would make
 * libevent re-arm it on every activation.
 *
 * Bytes of a message that is not complete yet are not activity: a client
 * dripping one byte a second would otherwise hold its slot for ever. A
 * connection holding a partial message is also on a second list, in the
 * order its message began, and must complete it within the I/O timeout
 * (Knot DNS: tcp-io-timeout); the same sweep closes it from the front of
 * that list. At the connection limit a new connection evicts this
 * worker's least recently active one (Knot and NSD do the same), so idle
 * connections cannot lock newcomers out.
 */
#include "common/tcp.h"

#include <errno.h>
#include <time.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/config.h"
#include "common/log.h"
#include "common/query.h"
#include "common/snapshot.h"
#include "common/sys_direct.h"

#define TCP_MSG_MAX 65535
/* One read takes up to this much; a whole largest message fits. */
#define TCP_RX_MAX (2 + TCP_MSG_MAX + 16384)
/* Answers of one read are gathered here and sent together; before each
 * answer there must be room for the largest one. */
#define TCP_TX_MAX (2 * (2 + TCP_MSG_MAX))

struct tcp_listener {
	struct tcp_worker *tw;
	struct event *ev;
	struct event *resume;   /* re-arms ev after running out of descriptors */
	int fd;
};

struct tcp_conn {
	struct tcp_worker *tw;
	struct event *ev;       /* EV_READ, or EV_WRITE while out holds bytes */
	struct tcp_conn *prev, *next;  /* worker's list, most recently active first */
	uint64_t active_ms;            /* last activity, monotonic */
	/* On the worker's partial list (a message begun, not complete, no
	 * answers pending), oldest first; msg_ms is when that message began. */
	struct tcp_conn *pprev, *pnext;
	bool partial;
	uint64_t msg_ms;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	int fd;
	/* Input not answered yet: a partial message (then in_cap is what the
	 * message needs, so a slow sender pins no more than its message), or
	 * everything after the answer that did not fit the socket. */
	uint8_t *in;
	size_t in_len, in_cap;
	/* Answer bytes the socket has not taken; reading stops until they
	 * are out, so a client that does not read cannot grow them. */
	uint8_t *out;
	size_t out_len, out_off;
};

struct tcp_worker {
	struct event_base *base;
	struct snapshot *snap;
	size_t idx;
	_Atomic unsigned *clients;
	struct tcp_listener **ls;
	size_t nls;
	struct tcp_conn *conns, *conns_tail;
	struct tcp_conn *partials, *partials_tail;
	size_t nconns;
	struct event *sweep;    /* pending while there are connections */
	unsigned idle_ms;       /* of the config seen at the last accept */
	unsigned io_ms;         /* likewise: deadline for one whole message */
	uint8_t rx[TCP_RX_MAX];
	uint8_t tx[TCP_TX_MAX];
};

static void conn_cb(evutil_socket_t fd, short what, void *arg);
static void sweep_arm(struct tcp_worker *tw);

/* CLOCK_MONOTONIC_COARSE: a few ms of resolution is plenty for timeouts
 * of seconds, and it costs no syscall. */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void list_unlink(struct tcp_worker *tw, struct tcp_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		tw->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		tw->conns_tail = c->prev;
	c->prev = c->next = NULL;
}

static void list_push_front(struct tcp_worker *tw, struct tcp_conn *c)
{
	c->prev = NULL;
	c->next = tw->conns;
	if (tw->conns)
		tw->conns->prev = c;
	else
		tw->conns_tail = c;
	tw->conns = c;
}

/* c did something: it is now the most recently active. */
static void conn_touch(struct tcp_conn *c)
{
	struct tcp_worker *tw = c->tw;

	c->active_ms = now_ms();
	if (tw->conns != c) {
		list_unlink(tw, c);
		list_push_front(tw, c);
	}
}

/* Leave the partial list (message complete, answers pending, or closing). */
static void partial_leave(struct tcp_conn *c)
{
	struct tcp_worker *tw = c->tw;

	if (!c->partial)
		return;
	if (c->pprev)
		c->pprev->pnext = c->pnext;
	else
		tw->partials = c->pnext;
	if (c->pnext)
		c->pnext->pprev = c->pprev;
	else
		tw->partials_tail = c->pprev;
	c->pprev = c->pnext = NULL;
	c->partial = false;
}

/* A new message has begun (its first bytes are in c->in): its deadline
 * runs from now. The list stays in deadline order because every entry
 * gets the same timeout. */
static void partial_begin(struct tcp_conn *c)
{
	struct tcp_worker *tw = c->tw;

	partial_leave(c);
	c->msg_ms = now_ms();
	c->partial = true;
	c->pnext = NULL;
	c->pprev = tw->partials_tail;
	if (tw->partials_tail) {
		tw->partials_tail->pnext = c;
	} else {
		tw->partials = c;
		sweep_arm(tw);  /* the idle sweep may be up to 1 s away */
	}
	tw->partials_tail = c;
}

static void conn_free(struct tcp_conn *c)
{
	struct tcp_worker *tw = c->tw;

	partial_leave(c);
	list_unlink(tw, c);
	tw->nconns--;
	if (c->ev)
		event_free(c->ev);
	sys_close(c->fd);
	free(c->in);
	free(c->out);
	atomic_fetch_sub(tw->clients, 1);
	free(c);
}

/* Wait for the socket to be readable (answers all sent) or writable
 * (answers pending). The idle sweep covers both: no query bytes for that
 * long (RFC 7766 6.2.3), or a client that stopped reading our answers. */
static int conn_wait(struct tcp_conn *c, bool writing)
{
	struct tcp_worker *tw = c->tw;

	event_del(c->ev);
	if (event_assign(c->ev, tw->base, c->fd, (writing ? EV_WRITE : EV_READ) | EV_PERSIST,
	                 conn_cb, c) != 0)
		return -1;
	return event_add(c->ev, NULL);
}

/*
 * Send len bytes; what the socket does not take is kept in c->out.
 * Returns 1 when all went out, 0 when some wait in c->out, -1 when the
 * connection is broken (reset by the peer, or out of memory).
 */
/* Send data[*done..len) until the socket takes no more; *done advances.
 * Returns 0 (all sent, or the socket is full) or -1 (connection broken). */
static int send_some(int fd, const uint8_t *data, size_t len, size_t *done)
{
	while (*done < len) {
		/* MSG_NOSIGNAL: a peer that went away is an error, not SIGPIPE. */
		ssize_t n = sys_send(fd, data + *done, len - *done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			*done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		log_debug("tcp", "send: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int conn_send(struct tcp_conn *c, const uint8_t *data, size_t len)
{
	size_t done = 0;

	if (send_some(c->fd, data, len, &done) != 0)
		return -1;
	if (done == len)
		return 1;
	c->out = malloc(len - done);
	if (!c->out)
		return -1;
	memcpy(c->out, data + done, len - done);
	c->out_len = len - done;
	c->out_off = 0;
	return 0;
}

/* Keep the unanswered tail of the input (which may already live in c->in)
 * for later. Returns 0, or -1 on out of memory. */
static int conn_keep_input(struct tcp_conn *c, const uint8_t *rest, size_t len)
{
	if (len == 0) {
		free(c->in);
		c->in = NULL;
		c->in_len = c->in_cap = 0;
		return 0;
	}
	if (c->in && rest >= c->in && rest < c->in + c->in_cap) {
		memmove(c->in, rest, len);
		c->in_len = len;
		return 0;
	}
	if (len > c->in_cap) {
		uint8_t *p = realloc(c->in, len);
		if (!p)
			return -1;
		c->in = p;
		c->in_cap = len;
	}
	memcpy(c->in, rest, len);
	c->in_len = len;
	return 0;
}

/*
 * Answer every complete message in buf[0..len), in order (RFC 7766
 * 6.2.1.1 allows any order; in order is the simple, always-correct one),
 * send the answers, keep what is left, and wait for the next event. Frees
 * c when the stream is garbage or broken; the caller must not touch c
 * afterwards.
 */
static void conn_serve(struct tcp_conn *c, const uint8_t *buf, size_t len)
{
	struct tcp_worker *tw = c->tw;
	const struct config *cfg = snapshot_enter(tw->snap, tw->idx);
	struct query_client cl = {
		.peer = (const struct sockaddr *)&c->peer,
		.peerlen = c->peerlen,
		.tcp = true,
	};
	size_t off = 0, olen = 0;
	int sent = 1;
	bool garbage = false;

	while (len - off >= 2) {
		size_t mlen = (size_t)buf[off] << 8 | buf[off + 1];
		if (mlen == 0) {
			/* No DNS message is empty: the stream is garbage. */
			garbage = true;
			break;
		}
		if (len - off < 2 + mlen)
			break;  /* wait for the rest */
		if (olen + 2 + TCP_MSG_MAX > sizeof(tw->tx)) {
			sent = conn_send(c, tw->tx, olen);
			olen = 0;
			if (sent != 1)
				break;
		}
		size_t alen = query_answer(cfg, &cl, buf + off + 2, mlen, tw->tx + olen + 2,
		                           TCP_MSG_MAX);
		off += 2 + mlen;
		if (alen == 0)
			continue;  /* query_answer says drop: no answer, keep the stream */
		tw->tx[olen] = (uint8_t)(alen >> 8);
		tw->tx[olen + 1] = (uint8_t)alen;
		olen += 2 + alen;
	}
	snapshot_exit(tw->snap, tw->idx);
	if (sent == 1 && olen > 0)
		sent = conn_send(c, tw->tx, olen);
	if (garbage || sent < 0 || conn_keep_input(c, buf + off, len - off) != 0) {
		conn_free(c);
		return;
	}
	/* A whole query arrived: that, not a stray byte, is activity. */
	if (off > 0)
		conn_touch(c);
	if (sent == 0 || c->in_len == 0)
		partial_leave(c);   /* answers pending: the idle rule bounds it */
	else if (off > 0 || !c->partial)
		partial_begin(c);   /* what is left is the start of a new message */
	if (sent == 0 && conn_wait(c, true) != 0)
		conn_free(c);
}

/* How many bytes the partial message in c->in still needs: first its
 * length prefix, then its body. */
static size_t conn_missing(const struct tcp_conn *c)
{
	if (c->in_len < 2)
		return 2 - c->in_len;
	return 2 + ((size_t)c->in[0] << 8 | c->in[1]) - c->in_len;
}

/* Readable: read into the worker's buffer, or, while a partial message
 * waits, into that message only (no copying of it on every read). */
static void conn_read(struct tcp_conn *c)
{
	struct tcp_worker *tw = c->tw;
	uint8_t *dst = tw->rx;
	size_t room = sizeof(tw->rx);

	if (c->in_len > 0) {
		size_t need = conn_missing(c);
		if (c->in_len + need > c->in_cap) {
			uint8_t *p = realloc(c->in, c->in_len + need);
			if (!p) {
				conn_free(c);
				return;
			}
			c->in = p;
			c->in_cap = c->in_len + need;
		}
		dst = c->in + c->in_len;
		room = need;
	}
	ssize_t n = sys_recv(c->fd, dst, room, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		log_debug("tcp", "recv: %s", strerror(errno));
		conn_free(c);
		return;
	}
	if (n == 0) {
		/* EOF. Every answer we owe is already out (reading stops while
		 * any are pending), so close; a message cut short by the EOF
		 * gets no answer. */
		conn_free(c);
		return;
	}
	if (dst == tw->rx) {
		conn_serve(c, tw->rx, (size_t)n);
		return;
	}
	c->in_len += (size_t)n;
	/* Complete (or a zero length prefix, which conn_serve rejects). */
	if (conn_missing(c) == 0)
		conn_serve(c, c->in, c->in_len);
}

/* Writable while answers were pending: send them; once all are out, go
 * back to reading, answering first what was read meanwhile. */
static void conn_flush(struct tcp_conn *c)
{
	size_t before = c->out_off;

	if (send_some(c->fd, c->out, c->out_len, &c->out_off) != 0) {
		conn_free(c);
		return;
	}
	if (c->out_off > before)
		conn_touch(c);  /* the client is reading: not stalled */
	if (c->out_off < c->out_len)
		return;  /* still full: wait for the next EV_WRITE */
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (conn_wait(c, false) != 0) {
		conn_free(c);
		return;
	}
	if (c->in_len > 0)
		conn_serve(c, c->in, c->in_len);
}

static void conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->out_len)
		conn_flush(c);
	else
		conn_read(c);
}

static void listener_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_listener *l = arg;

	(void)fd;
	(void)what;
	event_add(l->ev, NULL);
}

/* Out of descriptors: accept would fail again at once and spin the loop,
 * so stop listening on this socket for 100 ms. */
static void listener_pause(struct tcp_listener *l)
{
	struct timeval tv = { 0, 100 * 1000 };

	event_del(l->ev);
	evtimer_add(l->resume, &tv);
}

/* Sweep interval: a quarter of the idle timeout, so a connection is closed
 * at most 25% late, between 10 ms and 1 s. */
static struct timeval sweep_interval(unsigned idle_ms)
{
	unsigned ms = idle_ms / 4;
	struct timeval tv;

	if (ms < 10)
		ms = 10;
	if (ms > 1000)
		ms = 1000;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* (Re)arm the sweep while there are connections: often enough for the
 * I/O deadline while a message is partial, else for the idle timeout. */
static void sweep_arm(struct tcp_worker *tw)
{
	struct timeval tv;

	if (!tw->conns)
		return;
	tv = sweep_interval(tw->partials && tw->io_ms < tw->idle_ms ? tw->io_ms : tw->idle_ms);
	evtimer_del(tw->sweep);
	evtimer_add(tw->sweep, &tv);
}

/* Close, from the least recently active end, every connection idle (or
 * stalled) for the timeout; come back while any remain. */
static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_worker *tw = arg;
	uint64_t now = now_ms();

	(void)fd;
	(void)what;
	while (tw->partials && now - tw->partials->msg_ms >= tw->io_ms) {
		log_debug("tcp", "closing a connection whose message took over %u ms", tw->io_ms);
		conn_free(tw->partials);
	}
	while (tw->conns_tail && now - tw->conns_tail->active_ms >= tw->idle_ms) {
		struct tcp_conn *c = tw->conns_tail;
		log_debug("tcp", "closing %s connection",
		          c->out_len ? "stalled (answers not read)" : "idle");
		conn_free(c);
	}
	sweep_arm(tw);
}

static void conn_open(struct tcp_worker *tw, int fd, const struct sockaddr_storage *ss,
                      socklen_t sslen)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		goto fail;
	c->tw = tw;
	c->fd = fd;
	memcpy(&c->peer, ss, sslen);
	c->peerlen = sslen;
	c->ev = event_new(tw->base, fd, EV_READ | EV_PERSIST, conn_cb, c);
	if (!c->ev || event_add(c->ev, NULL) != 0)
		goto fail;
	c->active_ms = now_ms();
	list_push_front(tw, c);
	tw->nconns++;
	if (!evtimer_pending(tw->sweep, NULL))
		sweep_arm(tw);
	/* The listener defers accept until data arrives (server.c), so the
	 * first query is usually here already: answer it now rather than
	 * after another turn of the loop. */
	conn_read(c);
	return;
fail:
	log_warn("tcp", "out of memory for a connection");
	if (c && c->ev)
		event_free(c->ev);
	free(c);
	close(fd);
	atomic_fetch_sub(tw->clients, 1);
}

static void listener_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_listener *l = arg;
	struct tcp_worker *tw = l->tw;
	const struct config *cfg = snapshot_enter(tw->snap, tw->idx);
	unsigned max = cfg->server.tcp_max_clients;

	/* A reload's new timeouts apply from its first accept on. */
	tw->idle_ms = cfg->server.tcp_idle_timeout_ms;
	tw->io_ms = cfg->server.tcp_io_timeout_ms;
	snapshot_exit(tw->snap, tw->idx);
	(void)what;
	for (int i = 0; i < TCP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		int cfd = sys_accept4(fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			log_warn("tcp", "accept: %s", strerror(errno));
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				listener_pause(l);
			return;
		}
		/* Server-wide limit: over it, make room by closing this
		 * worker's least recently active connection, so idle ones
		 * cannot lock newcomers out. A worker that holds none (the
		 * others hold them all) admits the newcomer anyway: refusing
		 * it would let idle connections on other workers lock out
		 * everyone this worker's listener is handed, and the limit is
		 * exceeded by at most one connection per such worker. */
		if (atomic_fetch_add(tw->clients, 1) >= max && tw->conns_tail) {
			log_debug("tcp", "connection limit %u reached, evicting the longest idle", max);
			conn_free(tw->conns_tail);   /* its count goes; the newcomer's stays */
		}
		conn_open(tw, cfd, &ss, sslen);
	}
}

struct tcp_worker *tcp_worker_new(struct event_base *base, struct snapshot *snap,
                                  size_t idx, _Atomic unsigned *clients)
{
	struct tcp_worker *tw = calloc(1, sizeof(*tw));

	if (!tw)
		return NULL;
	tw->base = base;
	tw->snap = snap;
	tw->idx = idx;
	tw->clients = clients;
	tw->sweep = evtimer_new(base, sweep_cb, tw);
	if (!tw->sweep) {
		free(tw);
		return NULL;
	}
	return tw;
}

int tcp_worker_add(struct tcp_worker *tw, int fd)
{
	struct tcp_listener **ls = realloc(tw->ls, (tw->nls + 1) * sizeof(*ls));
	struct tcp_listener *l;

	if (!ls)
		return -1;
	tw->ls = ls;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -1;
	l->tw = tw;
	l->fd = fd;
	l->ev = event_new(tw->base, fd, EV_READ | EV_PERSIST, listener_cb, l);
	l->resume = evtimer_new(tw->base, listener_resume_cb, l);
	if (!l->ev || !l->resume || event_add(l->ev, NULL) != 0)
		goto fail;
	tw->ls[tw->nls++] = l;
	return 0;
fail:
	if (l->ev)
		event_free(l->ev);
	if (l->resume)
		event_free(l->resume);
	free(l);
	return -1;
}

size_t tcp_worker_conns(const struct tcp_worker *tw)
{
	return tw->nconns;
}

void tcp_worker_free(struct tcp_worker *tw)
{
	if (!tw)
		return;
	while (tw->conns)
		conn_free(tw->conns);
	event_free(tw->sweep);
	for (size_t i = 0; i < tw->nls; i++) {
		event_free(tw->ls[i]->ev);
		event_free(tw->ls[i]->resume);
		free(tw->ls[i]);
	}
	free(tw->ls);
	free(tw);
}
