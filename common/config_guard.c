/* config_guard.c: the cookies and rrl sections; see config_guard.h. */
#include "common/config_guard.h"

#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/steer_module.h"
#include "common/yaml_values.h"

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

#define STR_(x) #x
#define STR(x) STR_(x)

static const struct ydoc_key cookie_keys[] = {
	{ .key = "enabled", .kind = YK_BOOL, .handler = on_cookie, .def = "true",
	  .doc = "DNS Cookies (RFC 7873): answer a client cookie with a server cookie" },
	{ .key = "secret_file", .kind = YK_STR, .handler = on_cookie, .flags = YF_PATH,
	  .doc = "32 hex digits, optionally a second line (the previous secret); absent: a "
	         "random secret per process" },
};
static const struct ydoc_table cookie_table = YDOC_TABLE("cookies", cookie_keys);

const struct ydoc_key cookies_section_row = {
	.key = "cookies", .kind = YK_MAP, .sub = &cookie_table, .flags = YF_IMPLIED,
	.doc = "DNS Cookies (RFC 7873, RFC 9018 server cookies)",
};

/* The default of a boolean row, as `checkconf --print` writes it. */
static bool row_bool(const struct ydoc_table *t, const char *key)
{
	return yv_bool_text(ydoc_table_key(t, key)->def) == 1;
}

/* cookies.enabled from its row; RRL off until an rrl section turns it on
 * (then rrl.enabled's row applies, in rrl_config_from_yaml). */
void guard_defaults(struct cookie_conf *cc, struct rrl_conf *rc)
{
	memset(cc, 0, sizeof(*cc));
	cc->enabled = row_bool(&cookie_table, "enabled");
	cookie_random_secret(cc->secret);
	memset(rc, 0, sizeof(*rc));
	rc->rate = RRL_DEFAULT_RATE;
	rc->slip = RRL_DEFAULT_SLIP;
	rc->window = RRL_DEFAULT_WINDOW;
	rc->ipv4_prefix = RRL_DEFAULT_V4;
	rc->ipv6_prefix = RRL_DEFAULT_V6;
}

int cookies_config_from_yaml(struct ydoc *d, yaml_node_t *n, struct arena *a, const char *dir,
                             struct cookie_conf *cc, char *err, size_t errlen)
{
	struct cookie_ctx c = { cc, a, dir };
	return ydoc_walk_table(d, n, &cookie_table, &c, err, errlen);
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
	{ .key = "enabled", .kind = YK_BOOL, .handler = on_rrl, .def = "true",
	  .doc = "limit responses (the section present means on)" },
	{ .key = "rate", .kind = YK_UINT, .lo = 1, .hi = 100000, .handler = on_rrl,
	  .def = STR(RRL_DEFAULT_RATE), .doc = "responses per second per account" },
	{ .key = "slip", .kind = YK_UINT, .lo = 0, .hi = 100, .handler = on_rrl,
	  .def = STR(RRL_DEFAULT_SLIP),
	  .doc = "0: drop every response over the limit; N: every Nth goes out truncated" },
	{ .key = "window", .kind = YK_UINT, .lo = 1, .hi = 60, .handler = on_rrl,
	  .def = STR(RRL_DEFAULT_WINDOW), .doc = "seconds of debt an account may build up" },
	{ .key = "ipv4_prefix", .kind = YK_UINT, .lo = 8, .hi = 32, .handler = on_rrl,
	  .def = STR(RRL_DEFAULT_V4), .doc = "IPv4 clients share an account per prefix" },
	{ .key = "ipv6_prefix", .kind = YK_UINT, .lo = 32, .hi = 128, .handler = on_rrl,
	  .def = STR(RRL_DEFAULT_V6), .doc = "IPv6 clients share an account per prefix" },
	{ .key = "exempt", .kind = YK_ANY, .handler = on_rrl, .type = "network or list",
	  .doc = "client networks never limited; absent: none" },
};
static const struct ydoc_table rrl_table = YDOC_TABLE("rrl", rrl_keys);

const struct ydoc_key rrl_section_row = {
	.key = "rrl", .kind = YK_MAP, .sub = &rrl_table,
	.doc = "response rate limiting; absent: off",
};

int rrl_config_from_yaml(struct ydoc *d, yaml_node_t *n, struct arena *a, struct rrl_conf *rc,
                         char *err, size_t errlen)
{
	struct rrl_ctx c = { rc, a };
	rc->enabled = row_bool(&rrl_table, "enabled");   /* the section present */
	return ydoc_walk_table(d, n, &rrl_table, &c, err, errlen);
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
	.sections = { &cookies_section_row, &rrl_section_row, NULL },
	.load = guard_load,
};
