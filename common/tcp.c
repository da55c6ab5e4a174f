/*
 * tcp.c: DNS over TCP with bufferevents. Each connection is an allocated
 * struct tcp_conn on its worker's list; the 64 KiB query and answer buffers
 * are per worker (a worker handles one message at a time).
 */
#include "common/tcp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/config.h"
#include "common/log.h"
#include "common/query.h"
#include "common/snapshot.h"

#define TCP_MSG_MAX 65535

struct tcp_listener {
	struct tcp_worker *tw;
	struct event *ev;
	struct event *resume;   /* re-arms ev after running out of descriptors */
	int fd;
};

struct tcp_conn {
	struct tcp_worker *tw;
	struct bufferevent *bev;
	struct tcp_conn *prev, *next;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	bool paused;    /* reading stopped until the answers drain */
	bool draining;  /* peer sent EOF: close once the answers are out */
};

struct tcp_worker {
	struct event_base *base;
	struct snapshot *snap;
	size_t idx;
	_Atomic unsigned *clients;
	struct tcp_listener **ls;
	size_t nls;
	struct tcp_conn *conns;
	size_t nconns;
	uint8_t rx[TCP_MSG_MAX];
	uint8_t tx[2 + TCP_MSG_MAX];
};

static void conn_free(struct tcp_conn *c)
{
	struct tcp_worker *tw = c->tw;

	if (c->prev)
		c->prev->next = c->next;
	else
		tw->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	tw->nconns--;
	bufferevent_free(c->bev);  /* closes the socket (BEV_OPT_CLOSE_ON_FREE) */
	atomic_fetch_sub(tw->clients, 1);
	free(c);
}

/*
 * Answer every complete message in the input buffer, in order (RFC 7766
 * 6.2.1.1 allows any order; in order is the simple, always-correct one).
 * May free c; the caller must not touch it afterwards.
 */
static void conn_process(struct tcp_conn *c)
{
	struct tcp_worker *tw = c->tw;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const struct config *cfg = snapshot_enter(tw->snap, tw->idx);
	bool close_now = false;

	for (;;) {
		if (evbuffer_get_length(out) >= TCP_OUT_HIGH) {
			/* Backpressure: resume from the write callback. */
			bufferevent_disable(c->bev, EV_READ);
			c->paused = true;
			break;
		}
		size_t have = evbuffer_get_length(in);
		uint8_t pfx[2];
		if (have < 2)
			break;
		evbuffer_copyout(in, pfx, 2);
		size_t mlen = (size_t)pfx[0] << 8 | pfx[1];
		if (mlen == 0) {
			/* No DNS message is empty: the stream is garbage. */
			close_now = true;
			break;
		}
		if (have < 2 + mlen)
			break;  /* wait for the rest */
		evbuffer_drain(in, 2);
		evbuffer_remove(in, tw->rx, mlen);
		struct query_client cl = {
			.peer = (const struct sockaddr *)&c->peer,
			.peerlen = c->peerlen,
			.tcp = true,
		};
		size_t alen = query_answer(cfg, &cl, tw->rx, mlen, tw->tx + 2, TCP_MSG_MAX);
		if (alen == 0)
			continue;  /* query_answer says drop: no answer, keep the stream */
		tw->tx[0] = (uint8_t)(alen >> 8);
		tw->tx[1] = (uint8_t)alen;
		if (bufferevent_write(c->bev, tw->tx, alen + 2) != 0) {
			close_now = true;
			break;
		}
	}
	snapshot_exit(tw->snap, tw->idx);
	if (close_now)
		conn_free(c);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_process(arg);
}

/* Output drained (to the default low watermark, 0). */
static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;

	(void)bev;
	if (c->draining) {
		conn_free(c);
		return;
	}
	if (c->paused) {
		c->paused = false;
		bufferevent_enable(c->bev, EV_READ);
		conn_process(c);  /* queries already buffered get no new read event */
	}
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_conn *c = arg;

	/* EOF after whole queries: send what we owe, then close (a client may
	 * half-close after writing). EOF mid-message, errors and the idle
	 * timeout (RFC 7766 6.2.3) just close. */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		c->draining = true;
		bufferevent_disable(bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("tcp", "closing idle connection");
	conn_free(c);
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

static void conn_open(struct tcp_worker *tw, int fd, const struct sockaddr_storage *ss,
                      socklen_t sslen, unsigned idle_ms)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c)
		goto fail;
	/* Each answer is written whole; Nagle would only delay the next
	 * pipelined answer behind the client's delayed ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->bev = bufferevent_socket_new(tw->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev)
		goto fail;
	c->tw = tw;
	memcpy(&c->peer, ss, sslen);
	c->peerlen = sslen;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	if (idle_ms > 0) {
		struct timeval tv = { idle_ms / 1000, (idle_ms % 1000) * 1000 };
		/* Read timeout = idle: no new query bytes for that long.
		 * Write timeout: a client that stops reading our answers. */
		bufferevent_set_timeouts(c->bev, &tv, &tv);
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = tw->conns;
	if (tw->conns)
		tw->conns->prev = c;
	tw->conns = c;
	tw->nconns++;
	return;
fail:
	log_warn("tcp", "out of memory for a connection");
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
	unsigned idle_ms = cfg->server.tcp_idle_timeout_ms;

	snapshot_exit(tw->snap, tw->idx);
	(void)what;
	for (int i = 0; i < TCP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
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
		/* Server-wide limit: over it, accept and close at once so the
		 * client fails fast instead of waiting in the backlog. */
		if (atomic_fetch_add(tw->clients, 1) >= max) {
			atomic_fetch_sub(tw->clients, 1);
			close(cfd);
			log_debug("tcp", "connection limit %u reached, closed a new one", max);
			continue;
		}
		conn_open(tw, cfd, &ss, sslen, idle_ms);
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
	for (size_t i = 0; i < tw->nls; i++) {
		event_free(tw->ls[i]->ev);
		event_free(tw->ls[i]->resume);
		free(tw->ls[i]);
	}
	free(tw->ls);
	free(tw);
}
