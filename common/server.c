/*
 * server.c: sockets, worker threads and the control loop. See server.h for
 * the lifecycle and snapshot.h for how reload hands configs to workers.
 */
#include "common/server.h"

#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/config.h"
#include "common/dnstap.h"
#include "common/health.h"
#include "common/listen_guard.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/metrics_http.h"
#include "common/sdnotify.h"
#include "common/server_ctl.h"
#include "common/qlog.h"
#include "common/snapshot.h"
#include "common/steer_module.h"
#include "common/tcp.h"
#include "common/udp.h"

#define TCP_BACKLOG 1024
#define MAX_WORKERS 256
#define MAX_MODULES 16

struct worker {
	struct server *srv;
	size_t idx;
	pthread_t thread;
	bool running;
	struct event_base *base;
	int stop_fd;            /* eventfd the control thread writes to stop us */
	struct event *stop;     /* reads stop_fd */
	struct tcp_worker *tcp;
	struct qlog_ring *qlog;  /* decision-log records of this worker */
};

/* A UDP socket's reader thread (udp.h says why UDP has threads of its own
 * rather than events on the workers' loops). */
struct reader {
	pthread_t thread;
	bool running;
	struct udp_reader *ur;
	struct qlog_ring *qlog;
	struct metrics_block *mblock;
};

struct server {
	char *path;
	const struct steer_modules *mods;  /* the daemon's (server/modules.c) */
	struct listen_addr *listen;  /* copy: configs come and go on reload */
	size_t n_listen;
	size_t n_workers;
	int *udp_fd;                 /* [worker * n_listen + addr], -1 if unset */
	int *tcp_fd;
	struct worker *workers;
	struct reader *readers;      /* [worker * n_listen + addr] */
	struct snapshot snap;
	bool snap_ready;
	_Atomic unsigned tcp_clients;

	struct event_base *ctl;
	struct event *sig_hup, *sig_term, *sig_int, *reclaim;
	/* The modules' runtime services on ctl (steer_module.h start),
	 * by table row; started[] until server_free. */
	struct steer_runtime_env env;
	void *rt[MAX_MODULES];
	bool started[MAX_MODULES];
	bool prebound[MAX_MODULES];
	unsigned stopping;              /* graceful stops still running after SIGTERM */
	/* Snapshot slots and decision-log rings: TCP workers first, then
	 * the UDP readers, one each. */
	size_t n_threads;
	struct qlog_ring **qlog_rings;
	struct qlog_writer *qlog;       /* on ctl; NULL until server_run */
	/* Answer-path counters, one block per thread in the same order as
	 * the rings (common/metrics.h), and /metrics when configured. */
	struct metrics_block **mblocks;
	struct metrics_http *metrics;
	/* The control socket (server_ctl.c) and what `ctl status` reports. */
	struct server_ctl *ctlsock;
	double started_at, loaded_at;   /* unix time */
	unsigned generation;            /* configs published: 1 at start */
};

/*
 * One socket for one listen address. SO_REUSEPORT lets every worker bind
 * the same address and the kernel spread queries (and connections) over
 * them. v6 sockets are v6-only so "[::]:53" and "0.0.0.0:53" can both be
 * listed. Returns the fd or -1 with errno.
 */
static int open_socket(const struct listen_addr *la, int type, unsigned defer_s)
{
	int family = la->ss.ss_family;
	int one = 1;
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int saved;

	if (fd < 0)
		return -1;
	if (type == SOCK_STREAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto fail;
	/* Accepted connections inherit TCP_NODELAY from the listener, so
	 * tcp.c needs no setsockopt per connection. Answers are written
	 * whole; Nagle would only hold a pipelined answer back behind the
	 * client's delayed ACK. */
	if (type == SOCK_STREAM &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		goto fail;
	/* Hand a connection to accept() only once its first query has
	 * arrived (or after defer_s): tcp.c then answers it at once, with no
	 * loop round trip, and connections that never send take no slot
	 * until then. gdnsd and NSD do the same. */
	int defer = (int)defer_s;
	if (type == SOCK_STREAM &&
	    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer)) != 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		goto fail;
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
		goto fail;
	if (type == SOCK_DGRAM && sockaddr_is_wildcard((const struct sockaddr *)&la->ss) &&
	    udp_enable_pktinfo(fd, family) != 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&la->ss, la->sslen) != 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, TCP_BACKLOG) != 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

struct server *server_open(struct config *cfg, const char *path, const struct steer_modules *mods,
                           char *err, size_t errlen)
{
	struct server *srv = calloc(1, sizeof(*srv));
	size_t n_listen, n_workers, nsock;

	if (!srv)
		goto oom;
	if (mods->n > MAX_MODULES) {
		snprintf(err, errlen, "more than %d modules", MAX_MODULES);
		goto fail;
	}
	srv->mods = mods;
	n_listen = cfg->server.n_listen;
	n_workers = cfg->server.workers ? cfg->server.workers : 1;
	if (n_workers > MAX_WORKERS)
		n_workers = MAX_WORKERS;
	nsock = n_listen * n_workers;
	srv->path = strdup(path);
	srv->listen = calloc(n_listen ? n_listen : 1, sizeof(*srv->listen));
	srv->udp_fd = malloc((nsock ? nsock : 1) * sizeof(int));
	srv->tcp_fd = malloc((nsock ? nsock : 1) * sizeof(int));
	if (!srv->path || !srv->listen || !srv->udp_fd || !srv->tcp_fd)
		goto oom;
	for (size_t i = 0; i < nsock; i++)
		srv->udp_fd[i] = srv->tcp_fd[i] = -1;
	/* Only now: server_free closes n_listen * n_workers descriptors. */
	srv->n_listen = n_listen;
	srv->n_workers = n_workers;
	if (srv->n_listen)
		memcpy(srv->listen, cfg->server.listen, srv->n_listen * sizeof(*srv->listen));

	for (size_t a = 0; a < srv->n_listen; a++) {
		const struct listen_addr *la = &srv->listen[a];
		/* SO_REUSEPORT only among our own sockets (listen_guard.h). */
		for (int t = 0; t < 2; t++) {
			int type = t ? SOCK_STREAM : SOCK_DGRAM;
			if (listen_guard_check((const struct sockaddr *)&la->ss, la->sslen, type) != 0) {
				snprintf(err, errlen, "%s (%s): %s%s", la->text, t ? "tcp" : "udp",
				         strerror(errno),
				         errno == EADDRINUSE ? " (another server is listening there)" : "");
				goto fail;
			}
		}
		for (size_t w = 0; w < srv->n_workers; w++) {
			size_t k = w * srv->n_listen + a;
			srv->udp_fd[k] = open_socket(la, SOCK_DGRAM, 0);
			if (srv->udp_fd[k] < 0) {
				snprintf(err, errlen, "%s (udp): %s", la->text, strerror(errno));
				goto fail;
			}
			/* The idle timeout at start; a reload does not change
			 * the listeners' deferral. */
			srv->tcp_fd[k] = open_socket(la, SOCK_STREAM,
			                             (cfg->server.tcp_idle_timeout_ms + 999) / 1000);
			if (srv->tcp_fd[k] < 0) {
				snprintf(err, errlen, "%s (tcp): %s", la->text, strerror(errno));
				goto fail;
			}
		}
		log_info("server", "listening on %s (udp, tcp)", la->text);
	}
	/* What modules must bind before privileges are dropped (BGP's 179). */
	for (size_t m = 0; m < mods->n; m++) {
		if (!mods->mods[m]->prebind)
			continue;
		if (mods->mods[m]->prebind(cfg, err, errlen) != 0)
			goto fail;
		srv->prebound[m] = true;
	}
	srv->n_threads = srv->n_workers + nsock;
	if (snapshot_init(&srv->snap, cfg, srv->n_threads, config_free) != 0)
		goto oom;
	srv->snap_ready = true;
	return srv;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	server_free(srv);
	return NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	/* The answer path finds its decision-log ring through the thread. */
	qlog_thread_bind(w->qlog);
	metrics_thread_bind(w->srv->mblocks[w->idx]);
	/* NO_EXIT_ON_EMPTY: the loop ends only through the stop event. */
	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void worker_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(w->base);
}

static int worker_build(struct server *srv, struct worker *w, size_t idx)
{
	w->srv = srv;
	w->idx = idx;
	/* No locks: only this worker's thread touches its base. The control
	 * thread stops it by writing to an eventfd, not through libevent (a
	 * locked base costs a mutex round trip on every event operation). */
	struct event_config *ec = event_config_new();
	if (!ec)
		return -1;
	event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
	w->base = event_base_new_with_config(ec);
	event_config_free(ec);
	w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!w->base || w->stop_fd < 0)
		return -1;
	/* Unlike event_base_loopbreak() from outside, a write made before
	 * the loop starts is not lost: the eventfd stays readable. */
	w->stop = event_new(w->base, w->stop_fd, EV_READ, worker_stop_cb, w);
	if (w->stop && event_add(w->stop, NULL) != 0)
		return -1;
	w->tcp = tcp_worker_new(w->base, &srv->snap, idx, &srv->tcp_clients);
	/* Always there, whether or not the config logs decisions now: a
	 * reload may turn the log on. calloc'd, so untouched pages cost nothing. */
	w->qlog = qlog_ring_new();
	if (!w->stop || !w->tcp || !w->qlog)
		return -1;
	srv->qlog_rings[idx] = w->qlog;
	for (size_t a = 0; a < srv->n_listen; a++) {
		if (tcp_worker_add(w->tcp, srv->tcp_fd[idx * srv->n_listen + a]) != 0)
			return -1;
	}
	return 0;
}

/* A UDP reader's thread: its counter block, then udp.c's loop. */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	metrics_thread_bind(r->mblock);
	return udp_reader_main(r->ur);
}

/* One UDP reader per UDP socket: one per worker and listen address. */
static size_t n_readers(const struct server *srv)
{
	return srv->n_listen * srv->n_workers;
}

/* The reader of UDP socket k (worker k / n_listen, address k % n_listen). */
static int reader_build(struct server *srv, size_t k)
{
	struct reader *r = &srv->readers[k];
	size_t slot = srv->n_workers + k;
	bool pktinfo = sockaddr_is_wildcard(
		(const struct sockaddr *)&srv->listen[k % srv->n_listen].ss);

	r->qlog = qlog_ring_new();
	if (!r->qlog)
		return -1;
	srv->qlog_rings[slot] = r->qlog;
	r->mblock = srv->mblocks[slot];
	r->ur = udp_reader_new(&srv->snap, slot, r->qlog, srv->udp_fd[k], pktinfo);
	return r->ur ? 0 : -1;
}

/* The decision log's PoP health events (qlog_writer_set_health) for cfg:
 * every PoP of the table by its own slot and, with anycast, this server's
 * own PoP (what anycast answer lines carry as pop) by the anycast gate's
 * self check. Without an own PoP, anycast answers log pop null and the
 * gate has no PoP to report. */
static void qlog_watch_sync(struct server *srv, const struct config *cfg)
{
	struct qlog_watch *wl = calloc(cfg->n_pops + 1, sizeof(*wl));
	size_t n = 0;
	if (!wl) {
		log_err("server", "out of memory: decision log PoP health events not updated");
		return;
	}
	for (size_t i = 0; i < cfg->n_pops; i++)
		wl[n++] = (struct qlog_watch){ cfg->pop_names[i], cfg->pop_names[i] };
	if (cfg->anycast && cfg->self_pop_name)
		wl[n++] = (struct qlog_watch){ cfg->self_pop_name, HEALTH_ANYCAST_SELF };
	qlog_writer_set_health(srv->qlog, cfg->server.identity, wl, n);
	free(wl);
}

int server_start(struct server *srv)
{
	size_t nr = n_readers(srv);
	sigset_t all, old;
	int rc = 0;

	srv->workers = calloc(srv->n_workers, sizeof(*srv->workers));
	srv->readers = calloc(nr ? nr : 1, sizeof(*srv->readers));
	srv->qlog_rings = calloc(srv->n_threads, sizeof(*srv->qlog_rings));
	srv->mblocks = calloc(srv->n_threads, sizeof(*srv->mblocks));
	for (size_t i = 0; srv->mblocks && i < srv->n_threads; i++) {
		/* Cache-line aligned: no two threads' counters share a line. */
		size_t sz = (sizeof(struct metrics_block) + 63) / 64 * 64;
		srv->mblocks[i] = aligned_alloc(64, sz);
		if (!srv->mblocks[i]) {
			log_err("server", "out of memory");
			return -1;
		}
		memset(srv->mblocks[i], 0, sz);
	}
	if (!srv->workers || !srv->readers || !srv->qlog_rings || !srv->mblocks) {
		log_err("server", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < srv->n_workers; i++)
		srv->workers[i].stop_fd = -1;  /* server_free closes those >= 0 */
	for (size_t i = 0; i < srv->n_workers; i++) {
		if (worker_build(srv, &srv->workers[i], i) != 0) {
			log_err("server", "cannot set up worker %zu", i);
			return -1;
		}
	}
	for (size_t k = 0; k < nr; k++) {
		if (reader_build(srv, k) != 0) {
			log_err("server", "cannot set up UDP reader %zu: %s", k, strerror(errno));
			return -1;
		}
	}
	/* The decision log's writer (a thread of its own) drains the rings.
	 * It opens the file here, as the user we run as, before anything
	 * answers: a log that cannot be written fails the start before
	 * "ready", never after (the config check ran before privileges were
	 * dropped). */
	{
		const struct config *cur = snapshot_current(&srv->snap);
		char qerr[512];
		srv->qlog = qlog_writer_new(srv->qlog_rings, srv->n_threads,
		                            cur->qlog ? cur->qlog->path : NULL, qerr, sizeof(qerr));
		if (!srv->qlog) {
			log_err("server", "%s", qerr);
			return -1;
		}
		qlog_watch_sync(srv, cur);
	}
	/* Threads inherit a mask blocking every signal, so SIGHUP/SIGTERM
	 * always reach the control thread's loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (size_t i = 0; i < srv->n_workers && rc == 0; i++) {
		struct worker *w = &srv->workers[i];
		int e = pthread_create(&w->thread, NULL, worker_main, w);
		if (e != 0) {
			log_err("server", "cannot start worker %zu: %s", i, strerror(e));
			rc = -1;
			break;
		}
		w->running = true;
	}
	for (size_t k = 0; k < nr && rc == 0; k++) {
		struct reader *r = &srv->readers[k];
		int e = pthread_create(&r->thread, NULL, reader_main, r);
		if (e != 0) {
			log_err("server", "cannot start UDP reader %zu: %s", k, strerror(e));
			rc = -1;
			break;
		}
		r->running = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	metrics_set_blocks(srv->mblocks, srv->n_threads);
	metrics_set_identity(snapshot_current(&srv->snap)->server.identity);
	if (rc == 0)
		log_info("server", "ready: %zu workers (%zu UDP reader threads), %zu zones",
		         srv->n_workers, nr, snapshot_current(&srv->snap)->zones.count);
	return rc;
}

static bool listen_changed(const struct server *srv, const struct config *cfg)
{
	if (cfg->server.n_listen != srv->n_listen)
		return true;
	for (size_t i = 0; i < srv->n_listen; i++) {
		const struct listen_addr *a = &srv->listen[i], *b = &cfg->server.listen[i];
		if (a->sslen != b->sslen || memcmp(&a->ss, &b->ss, a->sslen) != 0)
			return true;
	}
	return false;
}

int server_load_again(struct server *srv, char *err, size_t errlen)
{
	struct config *cfg = NULL;
	char e[CONFIG_ERRLEN];

	if (config_load_mods(srv->path, srv->mods, snapshot_current(&srv->snap), &cfg, e) != 0) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	snapshot_publish(&srv->snap, cfg);
	return 0;
}

static double unix_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int server_reload(struct server *srv)
{
	char err[CONFIG_ERRLEN];
	return server_reload_msg(srv, err, sizeof(err));
}

int server_reload_msg(struct server *srv, char *err, size_t errlen)
{
	struct config *cfg = NULL;
	(void)errlen;  /* CONFIG_ERRLEN */
	sdn_reloading();

	/* The config serving now is handed to the modules, which may reuse
	 * what did not change; the reclaim timer runs on this thread, so it
	 * stays valid for the whole load. */
	if (config_load_mods(srv->path, srv->mods, snapshot_current(&srv->snap), &cfg, err) != 0) {
		log_err("reload", "%s", err);
		log_err("reload", "keeping the previous configuration");
		metrics_note_reload(false);
		sdn_ready("serving; the last reload failed, see the log");
		return -1;
	}
	metrics_note_reload(true);
	srv->generation++;
	srv->loaded_at = unix_now();
	sdn_ready("serving");
	metrics_set_identity(cfg->server.identity);
	const struct metrics_conf *om = snapshot_current(&srv->snap)->metrics, *nm = cfg->metrics;
	if ((om == NULL) != (nm == NULL) || (om && strcmp(om->listen, nm->listen) != 0))
		log_warn("reload", "metrics listen address changed: restart to apply");
	if (listen_changed(srv, cfg))
		log_warn("reload", "listen addresses changed: restart to apply, still serving the old ones");
	if ((cfg->server.workers ? cfg->server.workers : 1) != srv->n_workers)
		log_warn("reload", "worker count changed (%u, running %zu): restart to apply",
		         cfg->server.workers, srv->n_workers);
	snapshot_publish(&srv->snap, cfg);
	log_info("reload", "serving %zu zones", cfg->zones.count);
	/* cfg is current, so the reclaim timer (same thread) cannot free it
	 * under us; the modules copy what they keep. */
	for (size_t m = 0; m < srv->mods->n; m++)
		if (srv->started[m] && srv->mods->mods[m]->reload)
			srv->mods->mods[m]->reload(srv->rt[m], cfg);
	/* A reload (SIGHUP) also reopens the decision log: the path may have
	 * changed, or logrotate may want it reopened; and the PoPs whose
	 * health it reports may have changed. */
	if (srv->qlog) {
		qlog_writer_set_path(srv->qlog, cfg->qlog ? cfg->qlog->path : NULL, true);
		qlog_watch_sync(srv, cfg);
	}
	return 0;
}

const struct config *server_config_now(struct server *srv)
{
	return snapshot_current(&srv->snap);
}

void server_times(const struct server *srv, double *started, double *loaded, unsigned *gen)
{
	*started = srv->started_at;
	*loaded = srv->loaded_at;
	*gen = srv->generation;
}

const struct listen_addr *server_listeners(const struct server *srv, size_t *n)
{
	*n = srv->n_listen;
	return srv->listen;
}

int server_log_reopen(struct server *srv)
{
	const struct config *cfg = snapshot_current(&srv->snap);
	if (!srv->qlog)
		return 0;
	return qlog_writer_set_path(srv->qlog, cfg->qlog ? cfg->qlog->path : NULL, true);
}

/* A /metrics scrape: the core families, the decision log's and dnstap's
 * drops, then each started module's gauges. */
void server_gauges(void *arg, struct metrics_out *o)
{
	struct server *srv = arg;
	const struct config *cfg = snapshot_current(&srv->snap);
	metrics_family(o, "steerdns_decision_log_dropped_total", "counter",
	               "Decision-log records dropped because a worker's ring was full.");
	metrics_sample(o, "steerdns_decision_log_dropped_total", NULL,
	               srv->qlog ? (double)qlog_writer_dropped(srv->qlog) : 0);
	metrics_family(o, "steerdns_dnstap_dropped_total", "counter",
	               "dnstap messages dropped because the output queue was full.");
	metrics_sample(o, "steerdns_dnstap_dropped_total", NULL, (double)dnstap_dropped());
	for (size_t m = 0; m < srv->mods->n; m++)
		if (srv->mods->mods[m]->metrics)
			srv->mods->mods[m]->metrics(srv->started[m] ? srv->rt[m] : NULL, cfg, o);
}

static void metrics_fill(void *arg, struct evbuffer *buf)
{
	struct server *srv = arg;
	const struct config *cfg = snapshot_current(&srv->snap);
	metrics_write(buf, cfg->pop_names, cfg->n_pops, server_gauges, srv);
}

/* A module asks for a reload (steer_runtime_env.reload). */
static void module_reload_cb(void *arg)
{
	server_reload(arg);
}

static void sighup_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	log_info("reload", "SIGHUP: reloading");
	server_reload(arg);
}

static void stop_now(void *arg)
{
	struct server *srv = arg;

	event_base_loopbreak(srv->ctl);
}

/* A module's graceful stop is over; the last one stops the loop. */
static void module_stopped(void *arg)
{
	struct server *srv = arg;

	if (srv->stopping && --srv->stopping == 0)
		stop_now(srv);
}

static void sigterm_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;

	(void)what;
	log_info("server", "signal %d: shutting down", (int)sig);
	sdn_stopping();
	/* A module may stop gracefully while DNS is still answered (anycast:
	 * withdraw, linger while traffic moves away, say goodbye to the BGP
	 * peers); the loop stops when the last one is done. A second signal
	 * reaches the modules again (anycast: done at once). */
	srv->stopping = 1;
	for (size_t m = 0; m < srv->mods->n; m++)
		if (srv->started[m] && srv->mods->mods[m]->stop) {
			srv->stopping++;
			if (!srv->mods->mods[m]->stop(srv->rt[m], module_stopped, srv))
				srv->stopping--;
		}
	module_stopped(srv);
}

static void reclaim_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	size_t freed;

	(void)fd;
	(void)what;
	freed = snapshot_reclaim(&srv->snap);
	if (freed) {
		/* A retired config is tens to hundreds of MiB of heap; glibc
		 * keeps freed heap for reuse, so without this the process stays
		 * that much bigger after every reload (GeoLite2: 63 MiB after a
		 * reload against 46 after start). About 1 ms. */
		malloc_trim(0);
		log_debug("reload", "freed %zu old configuration(s), %zu pending", freed,
		          snapshot_pending(&srv->snap));
	}
}

int server_run(struct server *srv)
{
	struct timeval tv = { 0, SERVER_RECLAIM_MS * 1000 };

	srv->ctl = event_base_new();
	if (!srv->ctl)
		goto fail;
	srv->sig_hup = evsignal_new(srv->ctl, SIGHUP, sighup_cb, srv);
	srv->sig_term = evsignal_new(srv->ctl, SIGTERM, sigterm_cb, srv);
	srv->sig_int = evsignal_new(srv->ctl, SIGINT, sigterm_cb, srv);
	srv->reclaim = event_new(srv->ctl, -1, EV_PERSIST, reclaim_cb, srv);
	if (!srv->sig_hup || !srv->sig_term || !srv->sig_int || !srv->reclaim ||
	    evsignal_add(srv->sig_hup, NULL) || evsignal_add(srv->sig_term, NULL) ||
	    evsignal_add(srv->sig_int, NULL) || event_add(srv->reclaim, &tv))
		goto fail;
	/* Handlers are in place: let the signals main() held through start-up in. */
	sigset_t ctl;
	sigemptyset(&ctl);
	sigaddset(&ctl, SIGHUP);
	sigaddset(&ctl, SIGTERM);
	sigaddset(&ctl, SIGINT);
	sigaddset(&ctl, SIGUSR1);
	sigaddset(&ctl, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &ctl, NULL);
	const struct config *cur = snapshot_current(&srv->snap);
	srv->started_at = srv->loaded_at = unix_now();
	srv->generation = 1;
	/* The control socket first: it loads the admin overrides (`ctl pop`)
	 * kept across restarts, which the modules' services start from (a PoP
	 * held down keeps its anycast routes withdrawn from the start).
	 * Commands are only read once the loop runs, after the modules. */
	if (server_ctl_start(&srv->ctlsock, srv, srv->ctl, cur) != 0)
		return -1;
	/* The modules' services (e.g. health checks, the BGP announcer),
	 * after server_start: the listeners answer, so announcing is allowed. */
	srv->env = (struct steer_runtime_env){ srv->ctl, module_reload_cb, srv };
	for (size_t m = 0; m < srv->mods->n; m++) {
		if (!srv->mods->mods[m]->start)
			continue;
		if (srv->mods->mods[m]->start(&srv->env, cur, &srv->rt[m]) != 0)
			goto fail;
		srv->started[m] = true;
	}
	if (cur->metrics) {
		char merr[256];
		srv->metrics = metrics_http_new(srv->ctl, cur->metrics->listen, metrics_fill, srv, merr,
		                                sizeof(merr));
		if (!srv->metrics) {
			log_err("server", "%s", merr);
			return -1;
		}
		log_info("server", "metrics on http://%s/metrics", cur->metrics->listen);
	}
	sdn_ready("serving");
	event_base_dispatch(srv->ctl);
	return 0;
fail:
	log_err("server", "cannot set up the control loop");
	return -1;
}

void server_free(struct server *srv)
{
	if (!srv)
		return;
	/* Stop the modules' services (anycast: withdraw) before the
	 * listeners close, in reverse table order. */
	for (size_t m = srv->mods ? srv->mods->n : 0; m-- > 0;) {
		const struct steer_module *mod = srv->mods->mods[m];
		if (srv->started[m] && mod->stop_free)
			mod->stop_free(srv->rt[m]);
		srv->started[m] = false;
		if (srv->prebound[m] && mod->unbind)
			mod->unbind();
	}
	if (srv->readers) {
		for (size_t k = 0; k < n_readers(srv); k++)
			if (srv->readers[k].running)
				udp_reader_stop(srv->readers[k].ur);
		for (size_t k = 0; k < n_readers(srv); k++)
			if (srv->readers[k].running)
				pthread_join(srv->readers[k].thread, NULL);
	}
	if (srv->workers) {
		for (size_t i = 0; i < srv->n_workers; i++) {
			uint64_t one = 1;
			if (srv->workers[i].running &&
			    write(srv->workers[i].stop_fd, &one, sizeof(one)) != sizeof(one))
				log_err("server", "cannot stop worker %zu: %s", i, strerror(errno));
		}
		for (size_t i = 0; i < srv->n_workers; i++)
			if (srv->workers[i].running)
				pthread_join(srv->workers[i].thread, NULL);
		/* Workers are stopped: write every record they left. */
		qlog_writer_free(srv->qlog);
		srv->qlog = NULL;
		for (size_t i = 0; i < srv->n_workers; i++) {
			struct worker *w = &srv->workers[i];
			qlog_ring_free(w->qlog);
			tcp_worker_free(w->tcp);
			if (w->stop)
				event_free(w->stop);
			if (w->stop_fd >= 0)
				close(w->stop_fd);
			if (w->base)
				event_base_free(w->base);
		}
		free(srv->workers);
	}
	qlog_writer_free(srv->qlog);  /* no workers were started */
	dnstap_close();               /* every answering thread is joined */
	srv->qlog = NULL;
	if (srv->readers) {
		for (size_t k = 0; k < n_readers(srv); k++) {
			udp_reader_free(srv->readers[k].ur);
			qlog_ring_free(srv->readers[k].qlog);
		}
		free(srv->readers);
	}
	free(srv->qlog_rings);
	metrics_http_free(srv->metrics);
	server_ctl_free(srv->ctlsock);
	metrics_set_blocks(NULL, 0);
	for (size_t i = 0; srv->mblocks && i < srv->n_threads; i++)
		free(srv->mblocks[i]);
	free(srv->mblocks);
	if (srv->sig_hup)
		event_free(srv->sig_hup);
	if (srv->sig_term)
		event_free(srv->sig_term);
	if (srv->sig_int)
		event_free(srv->sig_int);
	if (srv->reclaim)
		event_free(srv->reclaim);
	if (srv->ctl)
		event_base_free(srv->ctl);
	for (size_t i = 0; srv->udp_fd && i < srv->n_listen * srv->n_workers; i++)
		if (srv->udp_fd[i] >= 0)
			close(srv->udp_fd[i]);
	for (size_t i = 0; srv->tcp_fd && i < srv->n_listen * srv->n_workers; i++)
		if (srv->tcp_fd[i] >= 0)
			close(srv->tcp_fd[i]);
	if (srv->snap_ready)
		snapshot_destroy(&srv->snap);
	free(srv->udp_fd);
	free(srv->tcp_fd);
	free(srv->listen);
	free(srv->path);
	free(srv);
	/* Last: the configs just freed were the slots' only other users
	 * (compiled geo data points at them). The process exits next. */
	health_registry_free();
}
