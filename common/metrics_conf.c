/*
 * metrics_conf.c: the `metrics:` section as a module (steer_module.h): no
 * method, no runtime of its own (the server serves /metrics, since the
 * counters are its threads').
 *
 *   metrics:
 *     listen: "127.0.0.1:9153"    # ADDR:PORT, the port is required
 */
#include "common/metrics.h"

#include <string.h>

#include "common/config.h"
#include "common/steer_module.h"
#include "common/yaml_doc.h"

static int on_metrics(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                      void *ctx, char *err, size_t errlen)
{
	struct metrics_conf *m = ctx;
	struct listen_addr la;
	const char *s = ydoc_scalar(val);
	(void)k;
	(void)num;
	/* A port is required: the DNS default (53) is never what is meant. */
	const char *port = s ? strrchr(s, ':') : NULL;
	if (!s || parse_listen(s, &la) < 0 || !port || (s[0] != '[' && strchr(s, ':') != port) ||
	    (s[0] == '[' && port < strchr(s, ']')))
		return ydoc_err(d, val, err, errlen, "listen: expected ADDR:PORT or [V6ADDR]:PORT");
	m->listen = s;
	return 0;
}

static const struct ydoc_key metrics_keys[] = {
	{ .key = "listen", .kind = YK_STR, .required = true, .handler = on_metrics,
	  .doc = "ADDR:PORT or [V6]:PORT (port required) where /metrics is served" },
};
static const struct ydoc_table metrics_table = YDOC_TABLE("metrics", metrics_keys);

static const struct ydoc_key metrics_section_row = {
	.key = "metrics", .kind = YK_MAP, .sub = &metrics_table,
	.doc = "Prometheus /metrics endpoint (text format); absent: none",
};

static int metrics_load(const struct steer_load *l, yaml_node_t *const *v, char *err, size_t errlen)
{
	if (!v[0])
		return 0;
	struct metrics_conf *m = arena_alloc(&l->cfg->arena, sizeof(*m));
	m->listen = NULL;
	if (ydoc_walk_table(l->d, v[0], &metrics_table, m, err, errlen) < 0)
		return -1;
	m->listen = arena_strdup(&l->cfg->arena, m->listen);
	l->cfg->metrics = m;
	return 0;
}

const struct steer_module metrics_module = {
	.name = "metrics",
	.sections = { &metrics_section_row, NULL },
	.load = metrics_load,
};
