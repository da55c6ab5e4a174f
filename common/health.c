/*
 * health.c: the slot registry and the checker: target set, schedule,
 * timeouts and rise/fall. The probes themselves are in health_tcp.c,
 * health_dns.c and health_file.c.
 */
#include "common/health.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/health_int.h"
#include "common/log.h"

/* Defaults of check_conf.h, applied to zero fields so a conf built in code
 * (or by an older parser) still runs sensibly. */
#define DEF_INTERVAL_MS 5000
#define DEF_TIMEOUT_MS 2000
#define DEF_RISE 2
#define DEF_FALL 3

/* ------------------------------------------------------------------ */
/* Registry */

/* state is what readers see: the checks' result (check) unless an
 * operator's override (admin, `steerdns ctl pop NAME up|down`) says
 * otherwise. Only the control thread writes check and admin. */
struct slot_entry {
	struct slot_entry *next;
	_Atomic uint8_t state;
	_Atomic uint8_t check;
	_Atomic uint8_t admin;     /* enum health_admin */
	char name[];
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot_entry *reg_head;

_Atomic uint8_t *health_slot(const char *name)
{
	struct slot_entry *e;
	size_t len = strlen(name);

	pthread_mutex_lock(&reg_lock);
	for (e = reg_head; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			goto out;
	/* Entries are never moved or freed before exit, so the pointer handed
	 * out stays valid across reloads. */
	e = malloc(sizeof(*e) + len + 1);
	if (e) {
		memcpy(e->name, name, len + 1);
		atomic_init(&e->state, HEALTH_UP);
		atomic_init(&e->check, HEALTH_UP);
		atomic_init(&e->admin, HEALTH_ADMIN_AUTO);
		e->next = reg_head;
		reg_head = e;
	}
out:
	pthread_mutex_unlock(&reg_lock);
	return e ? &e->state : NULL;
}

static struct slot_entry *entry_of(_Atomic uint8_t *slot)
{
	return (struct slot_entry *)((char *)slot - offsetof(struct slot_entry, state));
}

/* Publish the effective state of e from its check and admin state. */
static void publish(struct slot_entry *e)
{
	uint8_t admin = atomic_load_explicit(&e->admin, memory_order_relaxed);
	uint8_t st = admin == HEALTH_ADMIN_DOWN ? HEALTH_DOWN
	             : admin == HEALTH_ADMIN_UP ? HEALTH_UP
	             : atomic_load_explicit(&e->check, memory_order_relaxed);
	atomic_store_explicit(&e->state, st, memory_order_relaxed);
}

void health_slot_reset(_Atomic uint8_t *slot, enum health_state st)
{
	struct slot_entry *e = entry_of(slot);
	atomic_store_explicit(&e->check, (uint8_t)st, memory_order_relaxed);
	publish(e);
}

int health_admin_set(const char *name, enum health_admin a)
{
	_Atomic uint8_t *slot = health_slot(name);
	if (!slot)
		return -1;
	struct slot_entry *e = entry_of(slot);
	atomic_store_explicit(&e->admin, (uint8_t)a, memory_order_relaxed);
	publish(e);
	return 0;
}

enum health_admin health_admin_get(const char *name)
{
	_Atomic uint8_t *slot = health_slot(name);
	return slot ? atomic_load_explicit(&entry_of(slot)->admin, memory_order_relaxed)
	            : HEALTH_ADMIN_AUTO;
}

enum health_state health_check_get(const char *name)
{
	_Atomic uint8_t *slot = health_slot(name);
	return slot ? atomic_load_explicit(&entry_of(slot)->check, memory_order_relaxed) : HEALTH_UP;
}

const char *health_admin_name(enum health_admin a)
{
	return a == HEALTH_ADMIN_UP ? "up" : a == HEALTH_ADMIN_DOWN ? "down" : "auto";
}

/* The checker's own view of a target (hysteresis runs on it, not on
 * what an override publishes). */
static enum health_state check_state(const struct health_target *t)
{
	return atomic_load_explicit(&entry_of(t->slot)->check, memory_order_relaxed);
}

void health_registry_free(void)
{
	pthread_mutex_lock(&reg_lock);
	while (reg_head) {
		struct slot_entry *e = reg_head;
		reg_head = e->next;
		free(e);
	}
	pthread_mutex_unlock(&reg_lock);
}

const char *health_state_name(enum health_state s)
{
	switch (s) {
	case HEALTH_UP:
		return "up";
	case HEALTH_DOWN:
		return "down";
	case HEALTH_DRAIN:
		return "drain";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* Checker */

struct health_checker {
	struct event_base *base;
	struct health_target *targets;
	void (*cb)(const char *name, enum health_state old, enum health_state now, void *arg);
	void *cb_arg;
	unsigned fast_ms;   /* 0, or the interval while a target's state is changing */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct timeval ms_tv(uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	return tv;
}

static const char *type_name(enum check_type type)
{
	switch (type) {
	case CHECK_TCP:
		return "tcp";
	case CHECK_HTTP:
		return "http";
	case CHECK_DNS:
		return "dns";
	case CHECK_FILE:
		return "file";
	}
	return "?";
}

void health_set_state(struct health_target *t, enum health_state now, const char *why)
{
	enum health_state old = check_state(t);

	if (old == now)
		return;
	/* Readers only need to see the new value eventually; there is no
	 * other data published with it. */
	atomic_store_explicit(&entry_of(t->slot)->check, (uint8_t)now, memory_order_relaxed);
	publish(entry_of(t->slot));
	log_info("health", "pop %s: %s -> %s (%s)", t->name, health_state_name(old),
	         health_state_name(now), why);
	if (t->hc->cb)
		t->hc->cb(t->name, old, now, t->hc->cb_arg);
}

/* Is t on its way to another state: failures while up, successes while
 * not up? Then rise/fall is running and the fast interval applies. */
static bool changing(const struct health_target *t)
{
	enum health_state st = check_state(t);

	return st == HEALTH_UP ? t->fail_run > 0 : t->ok_run > 0;
}

static unsigned next_interval(const struct health_target *t)
{
	unsigned fast = t->hc->fast_ms;

	if (fast && fast < t->conf.interval_ms && changing(t))
		return fast;
	return t->conf.interval_ms;
}

/* After a result that started (or continued) a change: the tick armed at
 * the stable interval comes sooner, in fast_ms. */
static void speed_up(struct health_target *t)
{
	uint64_t now;
	struct timeval tv;

	if (!t->hc->fast_ms || next_interval(t) == t->conf.interval_ms || !t->tick)
		return;
	now = mono_ms();
	if (t->due_ms <= now + t->hc->fast_ms)
		return;
	t->due_ms = now + t->hc->fast_ms;
	tv = ms_tv(t->hc->fast_ms);
	event_add(t->tick, &tv);
}

/* Close the probe's socket and drop its events; nothing is pending after. */
static void probe_stop(struct health_target *t)
{
	if (t->io) {
		event_free(t->io);
		t->io = NULL;
	}
	if (t->deadline)
		event_del(t->deadline);
	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
	t->running = false;
}

void health_probe_result(struct health_target *t, bool ok, const char *reason)
{
	enum health_state st = check_state(t);
	char why[HEALTH_REASON_LEN + 64];

	probe_stop(t);
	if (ok) {
		t->fail_run = 0;
		t->ok_run++;
		/* DRAIN left over from a file check that was replaced counts as
		 * not up: the new check has to prove the target. */
		if (st != HEALTH_UP && t->ok_run >= t->conf.rise) {
			snprintf(why, sizeof(why), "%u %s in a row", t->ok_run,
			         t->ok_run == 1 ? "success" : "successes");
			health_set_state(t, HEALTH_UP, why);
		}
		speed_up(t);
		return;
	}
	t->ok_run = 0;
	t->fail_run++;
	snprintf(t->last_err, sizeof(t->last_err), "%s", reason ? reason : "failed");
	log_debug("health", "pop %s: %s check of %s failed: %s", t->name,
	          type_name(t->conf.type), t->addr_text, t->last_err);
	if (st == HEALTH_UP && t->fail_run >= t->conf.fall) {
		snprintf(why, sizeof(why), "%u %s: %s", t->fail_run,
		         t->fail_run == 1 ? "failure" : "failures", t->last_err);
		health_set_state(t, HEALTH_DOWN, why);
	}
	speed_up(t);
}

int health_arm_io(struct health_target *t, short what, event_callback_fn cb)
{
	if (t->io) {
		event_free(t->io);
		t->io = NULL;
	}
	t->io = event_new(t->hc->base, t->fd, (short)(what | EV_PERSIST), cb, t);
	if (!t->io)
		return -1;
	if (event_add(t->io, NULL) != 0) {
		event_free(t->io);
		t->io = NULL;
		return -1;
	}
	return 0;
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health_target *t = arg;

	(void)fd;
	(void)what;
	health_probe_result(t, false, t->timeout_reason ? t->timeout_reason : "timed out");
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health_target *t = arg;
	uint64_t now = mono_ms();
	struct timeval tv;

	(void)fd;
	(void)what;
	/* Schedule from the planned time, not from now, so the period does
	 * not drift by the loop's latency; after a stall, restart from now. */
	unsigned step = next_interval(t);
	t->due_ms += step;
	if (t->due_ms <= now)
		t->due_ms = now + step;
	tv = ms_tv(t->due_ms - now);
	event_add(t->tick, &tv);

	/* On the fast schedule a tick may come before the probe's timeout
	 * (timeouts are only kept below the stable interval): let that probe
	 * finish rather than count the tick as a failure. */
	if (t->running && t->hc->fast_ms)
		return;
	if (t->running)  /* only if timeout >= interval slipped through */
		health_probe_result(t, false, t->timeout_reason ? t->timeout_reason : "timed out");
	if (t->conf.type == CHECK_FILE) {
		health_file_run(t);
		return;
	}
	t->running = true;
	t->timeout_reason = "timed out";
	tv = ms_tv(t->conf.timeout_ms);
	event_add(t->deadline, &tv);
	if (t->conf.type == CHECK_DNS)
		health_dns_start(t);
	else
		health_tcp_start(t);
}

/* ---- conf copy and comparison ---- */

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Address, port and family; the padding of sockaddr_storage is ignored. */
static bool addr_eq(const struct check_conf *a, const struct check_conf *b)
{
	const struct sockaddr *sa = (const struct sockaddr *)&a->addr;
	const struct sockaddr *sb = (const struct sockaddr *)&b->addr;

	if (a->addrlen != b->addrlen || (a->addrlen && sa->sa_family != sb->sa_family))
		return false;
	if (a->addrlen == 0)
		return true;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)sa, *y = (const void *)sb;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)sa, *y = (const void *)sb;
		return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return memcmp(sa, sb, a->addrlen) == 0;
}

/* Compare two confs after defaults (conf_fill) were applied to both. */
static bool conf_eq(const struct check_conf *a, const struct check_conf *b)
{
	if (a->type != b->type || a->interval_ms != b->interval_ms ||
	    a->timeout_ms != b->timeout_ms || a->rise != b->rise || a->fall != b->fall)
		return false;
	switch (a->type) {
	case CHECK_TCP:
		return addr_eq(a, b);
	case CHECK_HTTP:
		return addr_eq(a, b) && str_eq(a->path, b->path) && str_eq(a->host, b->host) &&
		       a->n_status == b->n_status &&
		       memcmp(a->status, b->status, a->n_status * sizeof(*a->status)) == 0;
	case CHECK_DNS:
		return addr_eq(a, b) && a->qtype == b->qtype && str_eq(a->qname, b->qname);
	case CHECK_FILE:
		return str_eq(a->file, b->file);
	}
	return false;
}

static uint16_t sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

/* "1.2.3.4:80" / "[::1]:53", and the Host form ("1.2.3.4", port only when
 * not 80, RFC 9110 section 7.2). */
static void addr_format(const struct check_conf *c, char *out, size_t cap, bool host_form)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	uint16_t port = sockaddr_port(&c->addr);
	bool v6 = c->addr.ss_family == AF_INET6;

	if (c->addr.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&c->addr)->sin_addr, ip, sizeof(ip));
	else if (v6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&c->addr)->sin6_addr, ip, sizeof(ip));
	if (host_form && port == 80)
		snprintf(out, cap, v6 ? "[%s]" : "%s", ip);
	else
		snprintf(out, cap, v6 ? "[%s]:%u" : "%s:%u", ip, port);
}

/*
 * Copy src into dst with defaults filled in. Strings are borrowed from src
 * (fill only; conf_own makes them owned). Returns 0, or -1 with why set
 * when the conf cannot run.
 */
static int conf_fill(struct check_conf *dst, const struct check_conf *src, const char **why)
{
	static uint16_t def_status[] = { 200 };

	*dst = *src;
	if (!dst->interval_ms)
		dst->interval_ms = DEF_INTERVAL_MS;
	if (!dst->timeout_ms)
		dst->timeout_ms = DEF_TIMEOUT_MS;
	/* A probe must end before the next one starts. */
	if (dst->timeout_ms >= dst->interval_ms)
		dst->timeout_ms = dst->interval_ms > 1 ? dst->interval_ms - 1 : 1;
	if (!dst->rise)
		dst->rise = DEF_RISE;
	if (!dst->fall)
		dst->fall = DEF_FALL;
	switch (dst->type) {
	case CHECK_HTTP:
		if (!dst->path)
			dst->path = "/";
		if (!dst->n_status || !dst->status) {
			dst->status = def_status;
			dst->n_status = 1;
		}
		/* needs an address, like tcp and dns */
		/* fall through */
	case CHECK_TCP:
	case CHECK_DNS:
		if ((dst->addr.ss_family != AF_INET && dst->addr.ss_family != AF_INET6) ||
		    dst->addrlen == 0 || sockaddr_port(&dst->addr) == 0) {
			*why = "no address or port";
			return -1;
		}
		if (dst->type == CHECK_DNS) {
			if (!dst->qname) {
				*why = "no query name";
				return -1;
			}
			if (!dst->qtype)
				dst->qtype = 1;  /* A */
		}
		return 0;
	case CHECK_FILE:
		if (!dst->file || !*dst->file) {
			*why = "no state file";
			return -1;
		}
		return 0;
	}
	*why = "unknown check type";
	return -1;
}

static char *dup_opt(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

/* Make every pointer in c owned by c (after conf_fill). */
static int conf_own(struct check_conf *c)
{
	bool oom = false;
	uint16_t *st = NULL;

	c->path = dup_opt(c->path, &oom);
	c->host = dup_opt(c->host, &oom);
	c->qname = dup_opt(c->qname, &oom);
	c->file = dup_opt(c->file, &oom);
	if (c->n_status) {
		st = malloc(c->n_status * sizeof(*st));
		if (st)
			memcpy(st, c->status, c->n_status * sizeof(*st));
		else
			oom = true;
	}
	c->status = st;
	return oom ? -1 : 0;
}

static void conf_release(struct check_conf *c)
{
	free((char *)c->path);
	free((char *)c->host);
	free((char *)c->qname);
	free((char *)c->file);
	free(c->status);
}

static void target_free(struct health_target *t)
{
	if (!t)
		return;
	probe_stop(t);
	if (t->tick)
		event_free(t->tick);
	if (t->deadline)
		event_free(t->deadline);
	conf_release(&t->conf);
	free(t->request);
	free(t->name);
	free(t);
}

/* A running target for name/conf (conf already filled); NULL on failure. */
static struct health_target *target_new(struct health_checker *hc, const char *name,
                                        const struct check_conf *filled)
{
	struct health_target *t = calloc(1, sizeof(*t));
	struct timeval zero = { 0, 0 };
	char host[80];

	if (!t)
		return NULL;
	t->hc = hc;
	t->fd = -1;
	t->conf = *filled;
	if (conf_own(&t->conf) != 0) {
		conf_release(&t->conf);
		free(t);
		return NULL;
	}
	t->name = strdup(name);
	t->slot = health_slot(name);
	t->tick = evtimer_new(hc->base, tick_cb, t);
	t->deadline = evtimer_new(hc->base, deadline_cb, t);
	if (!t->name || !t->slot || !t->tick || !t->deadline)
		goto fail;
	if (t->conf.type == CHECK_FILE) {
		snprintf(t->addr_text, sizeof(t->addr_text), "%s", "file");
	} else {
		addr_format(&t->conf, t->addr_text, sizeof(t->addr_text), false);
	}
	if (t->conf.type == CHECK_DNS &&
	    dname_from_text(t->conf.qname, NULL, t->qname) < 0) {
		/* relative names are taken as absolute: there is no origin */
		char abs[DNAME_MAXTEXT + 2];
		snprintf(abs, sizeof(abs), "%s.", t->conf.qname);
		if (dname_from_text(abs, NULL, t->qname) < 0) {
			log_err("health", "pop %s: bad dns check name '%s'", name, t->conf.qname);
			goto fail;
		}
	}
	if (t->conf.type == CHECK_HTTP) {
		if (!t->conf.host)
			addr_format(&t->conf, host, sizeof(host), true);
		t->request = health_http_request(t->conf.path, t->conf.host ? t->conf.host : host,
		                                  &t->request_len);
		if (!t->request)
			goto fail;
	}
	/* First probe on the next loop iteration, then every interval. */
	t->due_ms = mono_ms();
	if (event_add(t->tick, &zero) != 0)
		goto fail;
	return t;
fail:
	target_free(t);
	return NULL;
}

struct health_checker *health_checker_new(struct event_base *base)
{
	struct health_checker *hc = calloc(1, sizeof(*hc));

	if (hc)
		hc->base = base;
	return hc;
}

void health_checker_set_fast_interval(struct health_checker *hc, unsigned fast_ms)
{
	hc->fast_ms = fast_ms;
}

void health_checker_on_change(struct health_checker *hc,
                              void (*cb)(const char *name, enum health_state old,
                                         enum health_state now, void *arg),
                              void *arg)
{
	hc->cb = cb;
	hc->cb_arg = arg;
}

int health_checker_sync(struct health_checker *hc, const char *const *names,
                        const struct check_conf *const *confs, size_t n)
{
	struct health_target *keep = NULL, **keep_tail = &keep;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		struct check_conf filled;
		const char *why = NULL;
		struct health_target **pp, *t = NULL;
		bool dup = false;

		for (struct health_target *k = keep; k; k = k->next)
			dup = dup || strcmp(k->name, names[i]) == 0;
		if (dup) {
			log_err("health", "pop %s: more than one check, using the first", names[i]);
			rc = -1;
			continue;
		}
		if (conf_fill(&filled, confs[i], &why) != 0) {
			log_err("health", "pop %s: check not started: %s", names[i], why);
			rc = -1;
			continue;
		}
		/* An unchanged target moves to the new list as it is. */
		for (pp = &hc->targets; *pp; pp = &(*pp)->next) {
			if (strcmp((*pp)->name, names[i]) == 0 && conf_eq(&(*pp)->conf, &filled)) {
				t = *pp;
				*pp = t->next;
				break;
			}
		}
		if (!t) {
			t = target_new(hc, names[i], &filled);
			if (!t) {
				log_err("health", "pop %s: cannot start its check", names[i]);
				rc = -1;
				continue;
			}
			if (t->conf.type == CHECK_FILE)
				log_info("health", "pop %s: state file %s, looked at every %u ms",
				         t->name, t->conf.file, t->conf.interval_ms);
			else
				log_info("health", "pop %s: %s check of %s every %u ms (timeout %u ms, rise %u, fall %u)",
				         t->name, type_name(t->conf.type), t->addr_text,
				         t->conf.interval_ms, t->conf.timeout_ms, t->conf.rise, t->conf.fall);
		}
		t->next = NULL;
		*keep_tail = t;
		keep_tail = &t->next;
	}
	/* What is left was removed or changed. A changed target's slot keeps
	 * its state for the new check to confirm; a removed one is up. */
	while (hc->targets) {
		struct health_target *old = hc->targets;
		bool still = false;

		hc->targets = old->next;
		for (struct health_target *k = keep; k; k = k->next)
			still = still || strcmp(k->name, old->name) == 0;
		probe_stop(old);
		if (!still)
			health_set_state(old, HEALTH_UP, "check removed");
		target_free(old);
	}
	hc->targets = keep;
	return rc;
}

void health_checker_free(struct health_checker *hc)
{
	if (!hc)
		return;
	while (hc->targets) {
		struct health_target *t = hc->targets;
		hc->targets = t->next;
		target_free(t);
	}
	free(hc);
}
