/*
 * ab_method.c: the `ab` method and the `ab:` section as a module
 * (common/steer_module.h); see ab.h. The method composes the methods
 * bound to the GeoDNS and anycast slots through the steering interface.
 */
#include <stdio.h>

#include "common/arena.h"
#include "common/config.h"
#include "steer/ab.h"

struct ab_state {
	struct steer_binding geo;   /* locates the client; the GeoDNS arm */
	struct steer_binding any;   /* the anycast arm */
	uint32_t anycast_bp;
};

/* The client is located once, by the GeoDNS arm's method, and both arms
 * answer for that client; the scope is never under the split's /24 or /56
 * (ab_scope), so no cached answer spans both arms. */
static void ab_answer(const void *state, const struct steer_rec *sr, const struct query_ctx *q,
                      uint16_t qtype, struct steer_outcome *out)
{
	const struct ab_state *s = state;
	const struct steer_client *c = &out->client;
	if (!s->geo.ops || !s->geo.ops->locate || !s->geo.ops->locate(s->geo.state, q, &out->client))
		return;  /* no client to split: NODATA */
	out->has_client = true;
	if (ab_arm_of(c, s->anycast_bp) == AB_ARM_GEODNS) {
		s->geo.ops->answer(s->geo.state, sr, q, qtype, out);
		out->scope = ab_scope(c, AB_ARM_GEODNS, (uint8_t)out->scope);
		out->arm = s->geo.ops->name;
		return;
	}
	if (s->any.ops)
		s->any.ops->answer(s->any.state, sr, q, qtype, out);
	out->scope = ab_scope(c, AB_ARM_ANYCAST, 0);
	out->from_ecs = c->from_ecs;
	out->arm = s->any.ops ? s->any.ops->name : "anycast";
}

const struct steer_method_ops ab_method = {
	.name = "ab",
	.answer = ab_answer,
	.locate = NULL,
};

static int ab_load(const struct steer_load *l, yaml_node_t *const *v, char *err, size_t errlen)
{
	struct ab_conf *ab = NULL;
	if (!v[0])
		return 0;
	if (ab_config_from_yaml(l->d, v[0], &l->cfg->arena, &ab, err, errlen) < 0)
		return -1;
	l->cfg->ab = ab;
	return 0;
}

/* After the arms' modules (table order). */
static void ab_bind(struct config *cfg)
{
	struct ab_state *s = arena_alloc(&cfg->arena, sizeof(*s));
	s->geo = cfg->steer[STEER_MODE_GEODNS];
	s->any = cfg->steer[STEER_MODE_ANYCAST];
	s->anycast_bp = cfg->ab ? cfg->ab->anycast_bp : AB_DEFAULT_BP;
	cfg->steer[STEER_MODE_AB] = (struct steer_binding){ &ab_method, s };
}

/* Both arms must be usable; the anycast arm always needs an address. */
static int ab_usable(const struct config *cfg, bool answers, char *why, size_t whylen)
{
	char g[128], a[128];
	bool geo = steer_usable(cfg, STEER_MODE_GEODNS, answers, g, sizeof(g)) == 0;
	bool any = steer_usable(cfg, STEER_MODE_ANYCAST, true, a, sizeof(a)) == 0;
	if (geo && any)
		return 0;
	snprintf(why, whylen, "%s%s%s", geo ? "" : g, !geo && !any ? " and " : "", any ? "" : a);
	return -1;
}

const struct steer_module ab_module = {
	.name = "ab",
	.sections = { &ab_section_row, NULL },
	.load = ab_load,
	.bind = ab_bind,
	.mode = STEER_MODE_AB,
	.usable = ab_usable,
};
