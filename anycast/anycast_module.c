/* anycast_module.c: anycast's row of the daemon's module table; see anycast_module.h. */
#include "anycast/anycast_module.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "anycast/anycast_conf.h"
#include "anycast/anycast_config_yaml.h"
#include "anycast/anycast_runtime.h"
#include "anycast/anycast_schema.h"
#include "anycast/bgp_session.h"
#include "common/config.h"
#include "common/log.h"

/* --- the method --- */

/* The one configured address of the asked family, the same for every
 * client; NODATA when that family is not configured. The ECS option keeps
 * the SCOPE 0 query.c echoed (RFC 7871 7.2.1). The PoP is this server's. */
static void anycast_answer(const void *state, const struct steer_rec *sr,
                           const struct query_ctx *q, uint16_t qtype, struct steer_outcome *out)
{
	const struct anycast_conf *ac = state;
	(void)sr;
	(void)q;
	if (qtype == RRT_A && ac->has_v4)
		out->rr[0] = (struct rdata){ 4, (const uint8_t *)&ac->v4 };
	else if (qtype == RRT_AAAA && ac->has_v6)
		out->rr[0] = (struct rdata){ 16, ac->v6.s6_addr };
	else
		return;
	out->n = 1;
	out->method = "anycast";
	out->pop = STEER_POP_SELF;
	out->from_ecs = out->has_client && out->client.from_ecs;
}

const struct steer_method_ops anycast_method = {
	.name = "anycast",
	.answer = anycast_answer,
	.locate = NULL,
};

/* --- config --- */

static int anycast_load(const struct steer_load *l, yaml_node_t *const *v, char *err,
                        size_t errlen)
{
	struct anycast_conf *ac = NULL;
	if (!v[0])
		return 0;
	if (anycast_config_from_yaml(l->d, v[0], &l->cfg->arena, l->dir, &ac, err, errlen) < 0)
		return -1;
	l->cfg->anycast = ac;
	return 0;
}

static void anycast_bind(struct config *cfg)
{
	if (cfg->anycast)
		cfg->steer[STEER_MODE_ANYCAST] = (struct steer_binding){ &anycast_method, cfg->anycast };
	/* The self check asks the first listen address (announcer.c), so its
	 * queries come from there. Only a specific, non-loopback address
	 * tells them apart: on a wildcard or loopback one they come from
	 * 127.0.0.1 or ::1 like any local client's, and are logged. */
	memset(&cfg->health_self, 0, sizeof(cfg->health_self));
	if (cfg->anycast && cfg->anycast->self_qname && cfg->server.n_listen) {
		const struct sockaddr_storage *l = &cfg->server.listen[0].ss;
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)l;
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)l;
		bool local = l->ss_family == AF_INET
			? v4->sin_addr.s_addr == htonl(INADDR_ANY) ||
			          (ntohl(v4->sin_addr.s_addr) >> 24) == 127
			: IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr) || IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
		if (!local)
			memcpy(&cfg->health_self, l, sizeof(cfg->health_self));
	}
}

/* server.mode needs the section; a steered name needs an address. */
static int anycast_usable(const struct config *cfg, bool answers, char *why, size_t whylen)
{
	const struct anycast_conf *ac = cfg->anycast;
	if (answers ? ac && (ac->has_v4 || ac->has_v6) : ac != NULL)
		return 0;
	snprintf(why, whylen, "%s", answers ? "anycast ipv4 or ipv6" : "an anycast section");
	return -1;
}

/* --- runtime --- */

/* Passive BGP peers need port 179: bound before privileges are dropped,
 * so the announcer (and every reload) can listen. */
static int anycast_prebind(const struct config *cfg, char *err, size_t errlen)
{
	const struct anycast_conf *ac = cfg->anycast;
	bool passive = false;
	for (unsigned i = 0; ac && ac->has_bgp && i < ac->bgp.n_peers; i++)
		passive |= ac->bgp.peers[i].passive || ac->bgp.peers[i].passive_only;
	if (!passive)
		return 0;
	if (bgp_listen_prebind() != 0) {
		snprintf(err, errlen, "[::]:179 (bgp): %s", strerror(errno));
		return -1;
	}
	log_info("server", "listening on [::]:179 (bgp, passive peers)");
	return 0;
}

static int anycast_start(const struct steer_runtime_env *env, const struct config *cfg, void **rt)
{
	*rt = anycast_runtime_new(env->ctl, cfg);
	return *rt ? 0 : -1;
}

static void anycast_reload(void *rt, const struct config *cfg)
{
	anycast_runtime_reload(rt, cfg);
}

static bool anycast_stop(void *rt, void (*done)(void *arg), void *arg)
{
	return anycast_runtime_stop(rt, done, arg);
}

static void anycast_stop_free(void *rt)
{
	anycast_runtime_free(rt);
}

static void anycast_metrics(void *rt, const struct config *cfg, struct metrics_out *o)
{
	anycast_runtime_metrics(rt, cfg, o);
}

const struct steer_module anycast_module = {
	.name = "anycast",
	.sections = { &anycast_section_row, NULL },
	.load = anycast_load,
	.bind = anycast_bind,
	.mode = STEER_MODE_ANYCAST,
	.usable = anycast_usable,
	.prebind = anycast_prebind,
	.unbind = bgp_listen_unbind,
	.start = anycast_start,
	.reload = anycast_reload,
	.stop = anycast_stop,
	.stop_free = anycast_stop_free,
	.metrics = anycast_metrics,
};
