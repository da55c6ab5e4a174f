/*
 * announcer.c: the anycast announcement gate (see announcer.h): peers and
 * their sessions across reloads, the health gate, the drain, the commands
 * and the shutdown sequence.
 *
 * Design notes:
 *  - Fast interval: the health checker does rise/fall; it got a checker-wide
 *    fast interval (health_checker_set_fast_interval), and the announcer
 *    runs its own checker so the setting touches no GeoDNS check.
 *  - A new gate check must prove itself: its slot is set DOWN before the
 *    checker first sees it, so `rise` successes are needed before we
 *    announce (slots are created UP). Except a check added by a reload
 *    while we announce: it starts UP, so a reload never flaps the route.
 *  - Sessions borrow their conf: each peer entry holds its own copy of the
 *    global bgp_conf and of its peer (strings duplicated), so a reload can
 *    replace one peer without touching the others.
 */
#include "anycast/announcer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/health.h"
#include "common/log.h"
#include "anycast/bgp_msg.h"

extern char **environ;

#define DEF_INTERVAL_MS 1000
#define DEF_FAST_MS 200
#define DEF_RISE 3
#define DEF_FALL 2
#define DEF_LINGER_MS 2000
/* The self check asks our own listener over loopback: an answer slower
 * than this means the server is stuck, whatever the interval. */
#define SELF_TIMEOUT_MS 500
#define SHUTDOWN_MSG "steerdns shutting down"

struct peer_ent {
	struct peer_ent *next;
	struct announcer *a;
	struct bgp_conf conf;          /* copy of the global part; peers = &peer */
	struct bgp_peer_conf peer;     /* copy; name and password owned */
	struct bgp_session *s;
	struct event *reap;            /* once retired: frees the entry */
};

enum cmd_kind { CMD_NONE, CMD_ANNOUNCE, CMD_WITHDRAW };

struct announcer {
	struct event_base *base;

	/* settings copied from the config */
	unsigned interval_ms, fast_ms, rise, fall, linger_ms;
	char *drain_path, *on_announce, *on_withdraw;

	/* health gate */
	struct health_checker *hc;
	char **names;                  /* check slot names, owned */
	_Atomic uint8_t **slots;
	size_t n_names;
	bool checks_broken;            /* some gate check did not start */

	/* drain */
	struct event *drain_tick;
	bool drain_sig, drain_file;

	/* BGP */
	struct peer_ent *peers;        /* config order */
	struct peer_ent *dying;        /* shut down, freed after the flush */
	struct bgp_session **sess_arr; /* for the passive listener */
	struct bgp_listener *listener;

	/* state */
	bool ready, announced, shutting_down;
	unsigned announces, withdraws, flaps;
	char last_reason[128];

	/* commands */
	pid_t cmd_pid;
	enum cmd_kind cmd_running, cmd_pending;
	struct event *reap_tick;
	unsigned commands_run;

	/* shutdown */
	struct event *stop_tick;
	int stop_phase;                /* 1 lingering, 2 flushing */
	void (*done)(void *);
	void *done_arg;
};

static struct timeval ms_tv(unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	return tv;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s || !*s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static bool str_eq(const char *x, const char *y)
{
	if (!x || !y)
		return x == y;
	return strcmp(x, y) == 0;
}

/* ------------------------------------------------------------------ */
/* Commands */

static void spawn_cmd(struct announcer *a, enum cmd_kind kind);

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct announcer *a = arg;
	int st = 0;
	pid_t r;
	struct timeval tv = ms_tv(ANNOUNCER_REAP_MS);

	(void)fd;
	(void)what;
	if (!a->cmd_pid)
		return;
	/* Only our own child: never reap a pid someone else is waiting for. */
	r = waitpid(a->cmd_pid, &st, WNOHANG);
	if (r == 0 || (r < 0 && errno == EINTR)) {
		event_add(a->reap_tick, &tv);
		return;
	}
	const char *what_cmd = a->cmd_running == CMD_ANNOUNCE ? "on_announce" : "on_withdraw";
	if (r < 0)
		log_warn("anycast", "%s (pid %d): %s", what_cmd, (int)a->cmd_pid, strerror(errno));
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		log_info("anycast", "%s (pid %d) succeeded", what_cmd, (int)a->cmd_pid);
	else if (WIFEXITED(st))
		log_warn("anycast", "%s (pid %d) exited with status %d", what_cmd,
		         (int)a->cmd_pid, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		log_warn("anycast", "%s (pid %d) killed by signal %d", what_cmd,
		         (int)a->cmd_pid, WTERMSIG(st));
	a->cmd_pid = 0;
	a->cmd_running = CMD_NONE;
	if (a->cmd_pending != CMD_NONE) {
		enum cmd_kind k = a->cmd_pending;
		a->cmd_pending = CMD_NONE;
		spawn_cmd(a, k);
	}
}

/*
 * Start on_announce or on_withdraw with /bin/sh -c. One runs at a time so
 * "enable" and "disable" reach BIRD in order; while one runs only the
 * latest wanted one waits. posix_spawn (fork+exec) is safe in our threaded
 * process; the child gets default signal handling and an empty mask, not
 * our ignored SIGPIPE or blocked signals.
 */
static void spawn_cmd(struct announcer *a, enum cmd_kind kind)
{
	const char *cmd = kind == CMD_ANNOUNCE ? a->on_announce : a->on_withdraw;
	const char *what = kind == CMD_ANNOUNCE ? "on_announce" : "on_withdraw";
	posix_spawnattr_t attr;
	sigset_t none, def;
	pid_t pid;
	int e;

	if (!cmd)
		return;
	if (a->cmd_pid) {
		a->cmd_pending = kind;
		return;
	}
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGUSR1);
	sigaddset(&def, SIGUSR2);
	sigaddset(&def, SIGCHLD);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	e = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (e != 0) {
		log_err("anycast", "%s: cannot start /bin/sh: %s", what, strerror(e));
		return;
	}
	a->cmd_pid = pid;
	a->cmd_running = kind;
	a->commands_run++;
	log_info("anycast", "%s: running \"%s\" (pid %d)", what, cmd, (int)pid);
	struct timeval tv = ms_tv(ANNOUNCER_REAP_MS);
	event_add(a->reap_tick, &tv);
}

/* ------------------------------------------------------------------ */
/* The gate */

/* First thing that holds the routes back, for the log; NULL if none. */
static const char *blocker(const struct announcer *a, char *buf, size_t cap)
{
	if (a->shutting_down)
		return "shutdown";
	if (!a->ready)
		return "DNS listeners not up";
	if (a->drain_sig)
		return "drain by SIGUSR1";
	if (a->drain_file) {
		snprintf(buf, cap, "drain file %s exists", a->drain_path);
		return buf;
	}
	if (a->checks_broken)
		return "a health check could not start";
	for (size_t i = 0; i < a->n_names; i++) {
		uint8_t st = atomic_load_explicit(a->slots[i], memory_order_relaxed);
		if (st != HEALTH_UP) {
			snprintf(buf, cap, "health check %s %s", a->names[i],
			         health_state_name((enum health_state)st));
			return buf;
		}
	}
	return NULL;
}

static bool all_healthy(const struct announcer *a)
{
	if (a->checks_broken)
		return false;
	for (size_t i = 0; i < a->n_names; i++)
		if (atomic_load_explicit(a->slots[i], memory_order_relaxed) != HEALTH_UP)
			return false;
	return true;
}

/* Announce or withdraw if the gate says so; trigger names what just
 * happened, logged with an announce (a withdraw logs what blocks). */
static void evaluate(struct announcer *a, const char *trigger)
{
	char buf[128];
	const char *why = blocker(a, buf, sizeof(buf));
	bool want = why == NULL;

	if (want == a->announced)
		return;
	a->announced = want;
	for (struct peer_ent *p = a->peers; p; p = p->next)
		bgp_session_set_announce(p->s, want);
	if (want) {
		a->announces++;
		snprintf(a->last_reason, sizeof(a->last_reason), "%s", trigger);
		log_info("anycast", "announce: %s", trigger);
	} else {
		a->withdraws++;
		if (!a->shutting_down)
			a->flaps++;
		snprintf(a->last_reason, sizeof(a->last_reason), "%s", why);
		log_info("anycast", "withdraw: %s", why);
	}
	spawn_cmd(a, want ? CMD_ANNOUNCE : CMD_WITHDRAW);
}

static bool had_name(const struct announcer *a, const char *name);

static void on_health(const char *name, enum health_state old, enum health_state now,
                      void *arg)
{
	struct announcer *a = arg;
	char trig[128];

	if (!had_name(a, name))   /* dropped by a reload: "removed -> up" */
		snprintf(trig, sizeof(trig), "health check %s removed", name);
	else
		snprintf(trig, sizeof(trig), "health check %s %s -> %s", name,
		         health_state_name(old), health_state_name(now));
	evaluate(a, trig);
}

/* ---- drain file ---- */

static void drain_look(struct announcer *a)
{
	struct stat st;
	bool on = a->drain_path && stat(a->drain_path, &st) == 0;

	if (on == a->drain_file)
		return;
	a->drain_file = on;
	log_info("anycast", "drain file %s %s", a->drain_path ? a->drain_path : "(none)",
	         on ? "appeared" : "gone");
	evaluate(a, on ? "drain file appeared" : "drain file removed");
}

static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drain_look(arg);
}

/* ------------------------------------------------------------------ */
/* Health sync */

/* Loopback in place of a wildcard listen address: the self check must
 * reach our own listener. */
static void self_addr(struct check_conf *c, const struct sockaddr *sa, socklen_t len)
{
	if (len > sizeof(c->addr))
		len = sizeof(c->addr);
	memcpy(&c->addr, sa, len);
	c->addrlen = len;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&c->addr;
		if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&c->addr;
		if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			sin6->sin6_addr = in6addr_loopback;
	}
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool had_name(const struct announcer *a, const char *name)
{
	for (size_t i = 0; i < a->n_names; i++)
		if (strcmp(a->names[i], name) == 0)
			return true;
	return false;
}

/* Make the checker run exactly the gate checks of ac. */
static int sync_checks(struct announcer *a, const struct anycast_conf *ac,
                       const struct sockaddr *self, socklen_t self_len)
{
	size_t n_extra = ac ? ac->n_checks : 0, cap = n_extra + 1, n = 0;
	char **names = calloc(cap, sizeof(*names));
	_Atomic uint8_t **slots = calloc(cap, sizeof(*slots));
	struct check_conf *confs = calloc(cap, sizeof(*confs));
	const struct check_conf **cptr = calloc(cap, sizeof(*cptr));
	int rc = -1;

	if (!names || !slots || !confs || !cptr)
		goto out;
	if (ac && ac->self_qname && self && self_len) {
		struct check_conf *c = &confs[n];
		c->type = CHECK_DNS;
		self_addr(c, self, self_len);
		c->interval_ms = a->interval_ms;
		c->timeout_ms = a->interval_ms > SELF_TIMEOUT_MS ? SELF_TIMEOUT_MS : a->interval_ms - 1;
		c->rise = a->rise;
		c->fall = a->fall;
		c->qname = ac->self_qname;
		c->qtype = ac->self_qtype ? ac->self_qtype : 1;
		names[n] = strdup(ANNOUNCER_SELF_NAME);
		n++;
	} else if (ac && ac->self_qname) {
		log_warn("anycast", "no listen address: self check not run");
	}
	for (size_t i = 0; i < n_extra; i++) {
		struct check_conf *c = &confs[n];
		char nm[64];
		/* The anycast-level schedule applies where the check sets none. */
		*c = ac->checks[i];
		if (!c->interval_ms)
			c->interval_ms = a->interval_ms;
		if (!c->rise)
			c->rise = a->rise;
		if (!c->fall)
			c->fall = a->fall;
		snprintf(nm, sizeof(nm), "%s%zu", ANNOUNCER_CHECK_PREFIX, i + 1);
		names[n] = strdup(nm);
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		if (!names[i])
			goto out;
		slots[i] = health_slot(names[i]);
		if (!slots[i])
			goto out;
		/* New to the gate. Not announcing yet: down until it has risen,
		 * so we never announce unproven. Added by a reload while
		 * announcing: up until it has failed `fall` times, so a reload
		 * does not flap the route. */
		if (!had_name(a, names[i]))
			health_slot_reset(slots[i], a->announced ? HEALTH_UP : HEALTH_DOWN);
		cptr[i] = &confs[i];
	}
	/* Install the new set first: the checker's callbacks during sync
	 * (a removed check goes up) evaluate against it. */
	free_names(a->names, a->n_names);
	free(a->slots);
	a->names = names;
	a->slots = slots;
	a->n_names = n;
	names = NULL;
	slots = NULL;
	health_checker_set_fast_interval(a->hc, a->fast_ms);
	rc = health_checker_sync(a->hc, (const char *const *)a->names, cptr, n);
	/* A check that cannot run must not count as up (the checker would
	 * call a skipped one "removed", so up). */
	a->checks_broken = rc != 0;
	if (rc != 0)
		log_err("anycast", "a health check of the gate did not start: not announcing until a reload fixes it");
out:
	if (names)
		free_names(names, cap);
	free(slots);
	free(confs);
	free(cptr);
	if (rc != 0 && names)
		log_err("anycast", "out of memory: health checks not updated");
	return rc;
}

/* ------------------------------------------------------------------ */
/* Peers */

static int peer_copy(struct bgp_peer_conf *dst, const struct bgp_peer_conf *src)
{
	bool oom = false;

	*dst = *src;
	dst->name = dup_or_null(src->name, &oom);
	dst->password = dup_or_null(src->password, &oom);
	return oom ? -1 : 0;
}

static bool sa_eq(const struct sockaddr_storage *x, socklen_t xl,
                  const struct sockaddr_storage *y, socklen_t yl)
{
	return xl == yl && (xl == 0 || memcmp(x, y, xl) == 0);
}

static bool prefix_eq(const struct bgp_prefix *x, const struct bgp_prefix *y)
{
	return x->family == y->family && x->len == y->len &&
	       memcmp(x->addr, y->addr, sizeof(x->addr)) == 0;
}

/* The session-wide settings a running session depends on. */
static bool global_eq(const struct bgp_conf *x, const struct bgp_conf *y)
{
	return x->local_as == y->local_as && x->router_id == y->router_id &&
	       x->hold_time == y->hold_time && x->graceful_restart == y->graceful_restart &&
	       prefix_eq(&x->v4, &y->v4) && prefix_eq(&x->v6, &y->v6) &&
	       x->backoff_min_ms == y->backoff_min_ms && x->backoff_max_ms == y->backoff_max_ms;
}

static bool peer_eq(const struct bgp_peer_conf *x, const struct bgp_peer_conf *y)
{
	return str_eq(x->name, y->name) && sa_eq(&x->addr, x->addrlen, &y->addr, y->addrlen) &&
	       x->remote_as == y->remote_as && sa_eq(&x->local, x->local_len, &y->local, y->local_len) &&
	       x->passive == y->passive && x->passive_only == y->passive_only &&
	       str_eq(x->password, y->password) && x->prepend == y->prepend &&
	       x->has_nh4 == y->has_nh4 && x->has_nh6 == y->has_nh6 &&
	       x->has_nh6_ll == y->has_nh6_ll &&
	       (!x->has_nh4 || x->nh4.s_addr == y->nh4.s_addr) &&
	       (!x->has_nh6 || memcmp(&x->nh6, &y->nh6, sizeof(x->nh6)) == 0) &&
	       (!x->has_nh6_ll || memcmp(&x->nh6_ll, &y->nh6_ll, sizeof(x->nh6_ll)) == 0) &&
	       x->has_med == y->has_med && (!x->has_med || x->med == y->med) &&
	       x->local_pref == y->local_pref && x->n_communities == y->n_communities &&
	       memcmp(x->communities, y->communities, x->n_communities * sizeof(uint32_t)) == 0 &&
	       x->n_lcommunities == y->n_lcommunities &&
	       memcmp(x->lcommunities, y->lcommunities,
	              x->n_lcommunities * sizeof(struct bgp_lcomm)) == 0;
}

static void ent_free(struct peer_ent *p)
{
	if (!p)
		return;
	bgp_session_free(p->s);
	if (p->reap)
		event_free(p->reap);
	free((char *)p->peer.name);
	free((char *)p->peer.password);
	free(p);
}

static struct peer_ent *ent_new(struct announcer *a, const struct bgp_conf *g,
                                const struct bgp_peer_conf *src)
{
	struct peer_ent *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->a = a;
	if (peer_copy(&p->peer, src) != 0)
		goto fail;
	p->conf = *g;
	p->conf.peers = &p->peer;
	p->conf.n_peers = 1;
	p->s = bgp_session_new(a->base, &p->conf, &p->peer);
	if (!p->s)
		goto fail;
	bgp_session_set_announce(p->s, a->announced);
	bgp_session_start(p->s);
	return p;
fail:
	ent_free(p);
	return NULL;
}

static void reap_ent_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer_ent *p = arg;
	struct announcer *a = p->a;

	(void)fd;
	(void)what;
	for (struct peer_ent **pp = &a->dying; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	ent_free(p);
}

/*
 * Withdraw and Cease on p's session with RFC 4486 subcode (3 Peer
 * De-configured, 6 Other Configuration Change), then free it once the
 * NOTIFICATION had time to leave.
 */
static void ent_retire(struct announcer *a, struct peer_ent *p, uint8_t subcode, const char *msg)
{
	struct timeval tv = ms_tv(ANNOUNCER_FLUSH_MS);

	bgp_session_set_announce(p->s, false);
	bgp_session_shutdown_code(p->s, subcode, msg);
	p->next = a->dying;
	a->dying = p;
	p->reap = evtimer_new(a->base, reap_ent_cb, p);
	if (!p->reap || event_add(p->reap, &tv) != 0) {
		/* cannot wait: free now, the NOTIFICATION may be lost */
		a->dying = p->next;
		ent_free(p);
	}
}

/* Rebuild the passive listener's session list (it borrows the array). */
static void listener_sync(struct announcer *a)
{
	unsigned n = 0, passive = 0;
	struct bgp_session **arr;

	for (struct peer_ent *p = a->peers; p; p = p->next) {
		n++;
		passive += p->peer.passive || p->peer.passive_only;
	}
	bgp_listener_free(a->listener);
	a->listener = NULL;
	free(a->sess_arr);
	a->sess_arr = NULL;
	if (!passive)
		return;
	arr = calloc(n, sizeof(*arr));
	if (!arr) {
		log_err("anycast", "out of memory: no passive BGP");
		return;
	}
	n = 0;
	for (struct peer_ent *p = a->peers; p; p = p->next)
		arr[n++] = p->s;
	a->sess_arr = arr;
	/* [::]:179; needs the privilege to bind it (logged when missing). */
	a->listener = bgp_listener_new(a->base, -1, NULL, 0, arr, n);
}

static int sync_peers(struct announcer *a, const struct anycast_conf *ac)
{
	const struct bgp_conf *g = ac && ac->has_bgp ? &ac->bgp : NULL;
	unsigned n = g ? g->n_peers : 0;
	struct peer_ent *old = a->peers, *head = NULL, **tail = &head;
	bool changed = false;
	int rc = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct bgp_peer_conf *np = &g->peers[i];
		struct peer_ent *p = NULL;

		for (struct peer_ent **pp = &old; *pp; pp = &(*pp)->next) {
			if (sa_eq(&(*pp)->peer.addr, (*pp)->peer.addrlen, &np->addr, np->addrlen)) {
				p = *pp;
				*pp = p->next;
				break;
			}
		}
		if (p && global_eq(&p->conf, g) && peer_eq(&p->peer, np)) {
			/* unchanged: keeps its session */
		} else {
			if (p) {
				log_info("anycast", "peer %s: configuration changed, restarting its session",
				         p->peer.name ? p->peer.name : "?");
				ent_retire(a, p, BGP_CEASE_OTHER_CONFIG_CHANGE, "configuration changed");
			}
			changed = true;
			p = ent_new(a, g, np);
			if (!p) {
				log_err("anycast", "peer %u: cannot start its session (out of memory)", i + 1);
				rc = -1;
				continue;
			}
		}
		p->next = NULL;
		*tail = p;
		tail = &p->next;
	}
	while (old) {
		struct peer_ent *p = old;
		old = p->next;
		log_info("anycast", "peer %s: removed from the configuration",
		         p->peer.name ? p->peer.name : "?");
		ent_retire(a, p, BGP_CEASE_PEER_DECONFIGURED, "peer de-configured");
		changed = true;
	}
	a->peers = head;
	if (changed)
		listener_sync(a);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Public */

static int apply(struct announcer *a, const struct anycast_conf *ac,
                 const struct sockaddr *self, socklen_t self_len)
{
	bool oom = false;
	int rc = 0;
	struct timeval tv;

	a->interval_ms = ac && ac->interval_ms ? ac->interval_ms : DEF_INTERVAL_MS;
	a->fast_ms = ac && ac->fast_interval_ms ? ac->fast_interval_ms : DEF_FAST_MS;
	a->rise = ac && ac->rise ? ac->rise : DEF_RISE;
	a->fall = ac && ac->fall ? ac->fall : DEF_FALL;
	a->linger_ms = ac ? ac->linger_ms : DEF_LINGER_MS;   /* the parser fills the default; 0 = none */
	free(a->drain_path);
	free(a->on_announce);
	free(a->on_withdraw);
	a->drain_path = dup_or_null(ac ? ac->drain_file : NULL, &oom);
	a->on_announce = dup_or_null(ac ? ac->on_announce : NULL, &oom);
	a->on_withdraw = dup_or_null(ac ? ac->on_withdraw : NULL, &oom);
	if (oom) {
		log_err("anycast", "out of memory copying the anycast settings");
		rc = -1;
	}
	/* The drain file is looked at every (stable) interval. */
	event_del(a->drain_tick);
	if (a->drain_path) {
		tv = ms_tv(a->interval_ms);
		event_add(a->drain_tick, &tv);
	}
	/* Look now: starting or reloading with the file present must not
	 * announce even once. */
	drain_look(a);
	if (sync_checks(a, ac, self, self_len) != 0)
		rc = -1;
	if (sync_peers(a, ac) != 0)
		rc = -1;
	evaluate(a, "configuration loaded");
	return rc;
}

struct announcer *announcer_new(struct event_base *base, const struct anycast_conf *ac,
                                const struct sockaddr *self, socklen_t self_len)
{
	struct announcer *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->base = base;
	a->hc = health_checker_new(base);
	a->drain_tick = event_new(base, -1, EV_PERSIST, drain_cb, a);
	a->reap_tick = evtimer_new(base, reap_cb, a);
	if (!a->hc || !a->drain_tick || !a->reap_tick) {
		announcer_free(a);
		return NULL;
	}
	health_checker_on_change(a->hc, on_health, a);
	apply(a, ac, self, self_len);
	log_info("anycast", "announcer: %u peer(s), %zu check(s), interval %u ms (fast %u), rise %u, fall %u",
	         ac && ac->has_bgp ? ac->bgp.n_peers : 0, a->n_names, a->interval_ms, a->fast_ms,
	         a->rise, a->fall);
	return a;
}

int announcer_reload(struct announcer *a, const struct anycast_conf *ac,
                     const struct sockaddr *self, socklen_t self_len)
{
	if (a->shutting_down)
		return 0;
	return apply(a, ac, self, self_len);
}

void announcer_set_ready(struct announcer *a, bool ready)
{
	if (a->ready == ready)
		return;
	a->ready = ready;
	evaluate(a, ready ? "DNS listeners up" : "DNS listeners closing");
}

void announcer_drain(struct announcer *a, bool on)
{
	if (a->drain_sig == on) {
		log_info("anycast", "drain by signal already %s", on ? "on" : "off");
		return;
	}
	a->drain_sig = on;
	log_info("anycast", "drain by signal %s%s", on ? "on (SIGUSR1)" : "off (SIGUSR2)",
	         !on && a->drain_file ? ", but the drain file still exists" : "");
	evaluate(a, on ? "SIGUSR1" : "drain lifted by SIGUSR2");
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct announcer *a = arg;
	struct timeval tv = ms_tv(ANNOUNCER_FLUSH_MS);

	(void)fd;
	(void)what;
	if (a->stop_phase == 1 && a->peers) {
		/* RFC 8203: Cease / Administrative Shutdown with our message. */
		for (struct peer_ent *p = a->peers; p; p = p->next)
			bgp_session_shutdown(p->s, SHUTDOWN_MSG);
		a->stop_phase = 2;
		event_add(a->stop_tick, &tv);
		return;
	}
	a->stop_phase = 3;
	if (a->done)
		a->done(a->done_arg);
}

void announcer_shutdown(struct announcer *a, void (*done)(void *arg), void *arg)
{
	bool was = a->announced;
	struct timeval tv;

	if (a->shutting_down) {
		log_warn("anycast", "shutdown already in progress: stopping now");
		if (done)
			done(arg);
		return;
	}
	a->done = done;
	a->done_arg = arg;
	a->shutting_down = true;
	event_del(a->drain_tick);
	evaluate(a, "shutdown");
	if (was && had_name(a, ANNOUNCER_SELF_NAME)) {
		/* The decision log reports anycast-self as this server's PoP:
		 * a graceful stop says "drain" at the withdrawal, where the
		 * PoP's failover window opens (compare/formats.md). The checks
		 * stop first, or a passing probe would publish up again while
		 * we linger; a reload no longer syncs them once shutting down. */
		health_checker_free(a->hc);
		a->hc = NULL;
		_Atomic uint8_t *self = health_slot(ANNOUNCER_SELF_NAME);
		if (self)
			health_slot_reset(self, HEALTH_DRAIN);
	}
	if (!a->peers && !a->on_withdraw) {
		a->stop_phase = 3;
		if (done)
			done(arg);
		return;
	}
	/* Traffic follows the withdraw within a few seconds: keep answering
	 * until it has moved. Nothing to wait for if we were not announcing. */
	unsigned linger = was ? a->linger_ms : 0;
	log_info("anycast", "shutdown: routes withdrawn, serving DNS for %u ms more", linger);
	a->stop_tick = evtimer_new(a->base, stop_cb, a);
	if (!a->stop_tick) {
		if (done)
			done(arg);
		return;
	}
	a->stop_phase = 1;
	tv = ms_tv(linger);
	event_add(a->stop_tick, &tv);
}

void announcer_get_stats(const struct announcer *a, struct announcer_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->ready = a->ready;
	out->healthy = all_healthy(a);
	out->drain_signal = a->drain_sig;
	out->drain_file = a->drain_file;
	out->shutting_down = a->shutting_down;
	out->announced = a->announced;
	out->announces = a->announces;
	out->withdraws = a->withdraws;
	out->flaps = a->flaps;
	out->commands_run = a->commands_run;
	snprintf(out->last_reason, sizeof(out->last_reason), "%s", a->last_reason);
	for (const struct peer_ent *p = a->peers; p; p = p->next) {
		struct bgp_session_info i;
		bgp_session_get_info(p->s, &i);
		out->n_sessions++;
		out->established += i.state == BGP_ST_ESTABLISHED;
		out->routes_out += i.announced;
		out->session_flaps += i.flaps;
	}
}

int announcer_session_info(const struct announcer *a, unsigned i,
                           struct bgp_session_info *info, const char **name)
{
	const struct peer_ent *p = a->peers;

	while (p && i--)
		p = p->next;
	if (!p)
		return -1;
	if (info)
		bgp_session_get_info(p->s, info);
	if (name)
		*name = p->peer.name;
	return 0;
}

void announcer_free(struct announcer *a)
{
	if (!a)
		return;
	bgp_listener_free(a->listener);
	free(a->sess_arr);
	while (a->peers) {
		struct peer_ent *p = a->peers;
		a->peers = p->next;
		ent_free(p);
	}
	while (a->dying) {
		struct peer_ent *p = a->dying;
		a->dying = p->next;
		ent_free(p);
	}
	health_checker_free(a->hc);
	free_names(a->names, a->n_names);
	free(a->slots);
	if (a->drain_tick)
		event_free(a->drain_tick);
	if (a->reap_tick)
		event_free(a->reap_tick);
	if (a->stop_tick)
		event_free(a->stop_tick);
	free(a->drain_path);
	free(a->on_announce);
	free(a->on_withdraw);
	free(a);
}
