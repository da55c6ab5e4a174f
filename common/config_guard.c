/* config_guard.c: the cookies and rrl sections; see config_guard.h. */
#include "common/config_guard.h"

#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/steer_module.h"
#include "common/yaml_values.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

void guard_defaults(struct cookie_conf *cc, struct rrl_conf *rc)
{
	memset(cc, 0, sizeof(*cc));
	cc->enabled = true;
	cookie_random_secret(cc->secret);
	memset(rc, 0, sizeof(*rc));
	rc->rate = RRL_DEFAULT_RATE;
	rc->slip = RRL_DEFAULT_SLIP;
	rc->window = RRL_DEFAULT_WINDOW;
	rc->ipv4_prefix = RRL_DEFAULT_V4;
	rc->ipv6_prefix = RRL_DEFAULT_V6;
}

struct cookie_ctx {
	struct cookie_conf *cc;
	struct arena *a;
	const char *dir;
};

static int on_cookie(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                     void *ctx, char *err, size_t errlen)
{
	struct cookie_ctx *c = ctx;
	(void)num;
	if (strcmp(k->key, "enabled") == 0)
		return yv_bool(d, val, "enabled", &c->cc->enabled, err, errlen);
	const char *rel = ydoc_scalar(val);
	if (!rel || !*rel)
		return ydoc_err(d, val, err, errlen, "secret_file: must not be empty");
	const char *path = yv_resolve(c->a, c->dir, rel);
	char why[256];
	if (cookie_load_secret(path, c->cc, why, sizeof(why)) < 0)
		return ydoc_err(d, val, err, errlen, "secret_file: %s", why);
	c->cc->secret_file = path;
	return 0;
}

static const struct ydoc_key cookie_keys[] = {
	{ "enabled", YK_ANY, 0, 0, false, on_cookie },
	{ "secret_file", YK_STR, 0, 0, false, on_cookie },
};

int cookies_config_from_yaml(struct ydoc *d, yaml_node_t *n, struct arena *a, const char *dir,
                             struct cookie_conf *cc, char *err, size_t errlen)
{
	struct cookie_ctx c = { cc, a, dir };
	return ydoc_walk_map(d, n, "cookies", cookie_keys, NKEYS(cookie_keys), &c, err, errlen);
}

struct rrl_ctx {
	struct rrl_conf *rc;
	struct arena *a;
};

static int on_exempt(struct ydoc *d, struct rrl_ctx *c, yaml_node_t *val, char *err,
                     size_t errlen)
{
	yaml_node_t **items;
	long n = yv_list_items(d, c->a, val, "exempt", &items, err, errlen);
	if (n < 0)
		return -1;
	struct netprefix *ex = arena_alloc(c->a, (size_t)n * sizeof(*ex));
	for (long i = 0; i < n; i++) {
		const char *s;
		if (ydoc_expect_str(d, items[i], "exempt", &s, err, errlen) < 0)
			return -1;
		int rc = netprefix_parse(s, &ex[i]);
		if (rc == NETPREFIX_ELEN)
			return ydoc_err(d, items[i], err, errlen, "exempt: prefix length too long in '%.80s'",
			                s);
		if (rc < 0)
			return ydoc_err(d, items[i], err, errlen,
			                "exempt: bad network '%.80s' (expected address/length)", s);
	}
	c->rc->exempt = ex;
	c->rc->n_exempt = (size_t)n;
	return 0;
}

static int on_rrl(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                  void *ctx, char *err, size_t errlen)
{
	struct rrl_ctx *c = ctx;
	struct rrl_conf *rc = c->rc;
	if (strcmp(k->key, "enabled") == 0)
		return yv_bool(d, val, "enabled", &rc->enabled, err, errlen);
	if (strcmp(k->key, "exempt") == 0)
		return on_exempt(d, c, val, err, errlen);
	if (strcmp(k->key, "rate") == 0)
		rc->rate = num;
	else if (strcmp(k->key, "slip") == 0)
		rc->slip = num;
	else if (strcmp(k->key, "window") == 0)
		rc->window = num;
	else if (strcmp(k->key, "ipv4_prefix") == 0)
		rc->ipv4_prefix = (uint8_t)num;
	else
		rc->ipv6_prefix = (uint8_t)num;
	return 0;
}

static const struct ydoc_key rrl_keys[] = {
	{ "enabled", YK_ANY, 0, 0, false, on_rrl },
	{ "rate", YK_UINT, 1, 100000, false, on_rrl },
	{ "slip", YK_UINT, 0, 100, false, on_rrl },
	{ "window", YK_UINT, 1, 60, false, on_rrl },
	{ "ipv4_prefix", YK_UINT, 8, 32, false, on_rrl },
	{ "ipv6_prefix", YK_UINT, 32, 128, false, on_rrl },
	{ "exempt", YK_ANY, 0, 0, false, on_rrl },
};

int rrl_config_from_yaml(struct ydoc *d, yaml_node_t *n, struct arena *a, struct rrl_conf *rc,
                         char *err, size_t errlen)
{
	struct rrl_ctx c = { rc, a };
	rc->enabled = true;
	return ydoc_walk_map(d, n, "rrl", rrl_keys, NKEYS(rrl_keys), &c, err, errlen);
}

/* Every load: the defaults, then what the sections say. */
static int guard_load(const struct steer_load *l, yaml_node_t *const *v, char *err,
                      size_t errlen)
{
	struct config *cfg = l->cfg;
	guard_defaults(&cfg->cookies, &cfg->rrl);
	if (v[0] && cookies_config_from_yaml(l->d, v[0], &cfg->arena, l->dir, &cfg->cookies, err,
	                                     errlen) < 0)
		return -1;
	if (v[1] && rrl_config_from_yaml(l->d, v[1], &cfg->arena, &cfg->rrl, err, errlen) < 0)
		return -1;
	if (cfg->rrl.enabled && !(cfg->rrl_table = rrl_shared())) {
		snprintf(err, errlen, "%s: out of memory for the rrl table", cfg->path);
		return -1;
	}
	return 0;
}

const struct steer_module guard_module = {
	.name = "guard",
	.sections = { "cookies", "rrl", NULL },
	.load = guard_load,
};
