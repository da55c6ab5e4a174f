/*
 * anycast_runtime.c: from a loaded config to the announcer, and the drain
 * signals. See anycast_runtime.h.
 */
#include "anycast/anycast_runtime.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "anycast/announcer.h"
#include "anycast/anycast_conf.h"
#include "common/config.h"
#include "common/health.h"
#include "common/log.h"
#include "common/metrics.h"

struct anycast_runtime {
	struct event_base *ctl;
	struct announcer *an;         /* NULL until some config wants one */
	struct event *sig_usr1, *sig_usr2;
};

/* Anything to announce with? Only the anycast answers otherwise. */
static bool wants_announcer(const struct anycast_conf *ac)
{
	return ac && ((ac->has_bgp && ac->bgp.n_peers) || ac->on_announce || ac->on_withdraw);
}

/* The self check asks the first listen address (a wildcard becomes
 * loopback in the announcer). */
static void self_addr(const struct config *cfg, const struct sockaddr **sa, socklen_t *len)
{
	*sa = NULL;
	*len = 0;
	if (cfg->server.n_listen) {
		*sa = (const struct sockaddr *)&cfg->server.listen[0].ss;
		*len = cfg->server.listen[0].sslen;
	}
}

static void start(struct anycast_runtime *sa, const struct config *cfg)
{
	const struct sockaddr *self;
	socklen_t len;

	self_addr(cfg, &self, &len);
	sa->an = announcer_new(sa->ctl, cfg->anycast, self, len);
	if (!sa->an) {
		log_err("anycast", "out of memory: not announcing");
		return;
	}
	/* This host's PoP held down by `ctl pop NAME down` (the admin state
	 * kept across restarts) keeps the routes withdrawn, as the command
	 * did (common/server_ctl.c: down drains, up and auto undrain). */
	if (cfg->self_pop_name && health_admin_get(cfg->self_pop_name) == HEALTH_ADMIN_DOWN) {
		log_info("anycast", "pop %s is down by `steerdns ctl pop`: routes drained",
		         cfg->self_pop_name);
		announcer_drain(sa->an, true);
	}
	/* server_start has run: the workers answer on every listener. */
	announcer_set_ready(sa->an, true);
}

static void sigusr_cb(evutil_socket_t sig, short what, void *arg)
{
	struct anycast_runtime *sa = arg;

	(void)what;
	if (!sa->an) {
		log_info("anycast", "signal %d: no anycast announcement configured, ignored", (int)sig);
		return;
	}
	announcer_drain(sa->an, sig == SIGUSR1);
}

struct anycast_runtime *anycast_runtime_new(struct event_base *ctl, const struct config *cfg)
{
	struct anycast_runtime *sa = calloc(1, sizeof(*sa));

	if (!sa)
		goto fail;
	sa->ctl = ctl;
	sa->sig_usr1 = evsignal_new(ctl, SIGUSR1, sigusr_cb, sa);
	sa->sig_usr2 = evsignal_new(ctl, SIGUSR2, sigusr_cb, sa);
	if (!sa->sig_usr1 || !sa->sig_usr2 || evsignal_add(sa->sig_usr1, NULL) ||
	    evsignal_add(sa->sig_usr2, NULL))
		goto fail;
	if (wants_announcer(cfg->anycast))
		start(sa, cfg);
	return sa;
fail:
	log_err("anycast", "cannot set up the drain signals");
	anycast_runtime_free(sa);
	return NULL;
}

void anycast_runtime_reload(struct anycast_runtime *sa, const struct config *cfg)
{
	const struct sockaddr *self;
	socklen_t len;

	if (!sa)
		return;
	if (!sa->an) {
		if (wants_announcer(cfg->anycast))
			start(sa, cfg);
		return;
	}
	/* A section that went away withdraws and closes every session; the
	 * announcer stays, empty, for a later reload. */
	self_addr(cfg, &self, &len);
	announcer_reload(sa->an, wants_announcer(cfg->anycast) ? cfg->anycast : NULL, self, len);
}

bool anycast_runtime_stop(struct anycast_runtime *sa, void (*done)(void *arg), void *arg)
{
	if (!sa || !sa->an)
		return false;
	announcer_shutdown(sa->an, done, arg);
	return true;
}

void anycast_runtime_free(struct anycast_runtime *sa)
{
	if (!sa)
		return;
	if (sa->an) {
		announcer_set_ready(sa->an, false);
		announcer_free(sa->an);
	}
	if (sa->sig_usr1)
		event_free(sa->sig_usr1);
	if (sa->sig_usr2)
		event_free(sa->sig_usr2);
	free(sa);
}

/* --- metrics: BGP sessions and what we announce --- */

static void prefix_text(const struct bgp_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "";
	inet_ntop(p->family, p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
}

void anycast_runtime_metrics(struct anycast_runtime *sa, const struct config *cfg,
                             struct metrics_out *o)
{
	const struct anycast_conf *ac = cfg->anycast;
	struct announcer_stats st = { 0 };
	if (!ac)
		return;
	if (sa && sa->an)
		announcer_get_stats(sa->an, &st);
	metrics_family(o, "steerdns_bgp_session_established", "gauge",
	               "1 when the BGP session with the peer is Established.");
	for (unsigned i = 0; sa && sa->an && i < st.n_sessions; i++) {
		struct bgp_session_info info;
		const char *name = NULL;
		if (announcer_session_info(sa->an, i, &info, &name) != 0)
			continue;
		const char *l[] = { "peer", name ? name : "", NULL };
		metrics_sample(o, "steerdns_bgp_session_established", l,
		               info.state == BGP_ST_ESTABLISHED);
	}
	metrics_family(o, "steerdns_anycast_announced", "gauge",
	               "1 while the anycast prefix is announced (health, drain and readiness allow it).");
	const struct bgp_prefix *pf[2] = { &ac->bgp.v4, &ac->bgp.v6 };
	for (int i = 0; ac->has_bgp && i < 2; i++) {
		char text[INET6_ADDRSTRLEN + 8];
		if (!pf[i]->family)
			continue;
		prefix_text(pf[i], text, sizeof(text));
		const char *l[] = { "prefix", text, NULL };
		metrics_sample(o, "steerdns_anycast_announced", l, st.announced);
	}
}
