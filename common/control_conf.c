/*
 * control_conf.c: the `control:` section as a module (steer_module.h).
 * Absent, the control socket is on at its default path (control.h).
 *
 *   control:
 *     socket: /run/steerdns/steerdns.sock   # relative: to the config's directory
 *     state: /var/lib/steerdns/admin-state  # `ctl pop` overrides, kept across restarts
 */
#include "common/control.h"

#include <string.h>

#include "common/config.h"
#include "common/steer_module.h"
#include "common/yaml_doc.h"
#include "common/yaml_values.h"

struct control_ctx {
	struct control_conf *c;
	struct arena *a;
	const char *dir;
};

static int on_control(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                      void *ctx, char *err, size_t errlen)
{
	struct control_ctx *cc = ctx;
	const char *rel = ydoc_scalar(val);
	(void)num;
	if (!rel || !*rel)
		return ydoc_err(d, val, err, errlen, "%s: must not be empty", k->key);
	const char *path = yv_resolve(cc->a, cc->dir, rel);
	if (strcmp(k->key, "socket") == 0) {
		if (strlen(path) >= 108)
			return ydoc_err(d, val, err, errlen, "socket: path longer than 107 bytes");
		cc->c->socket = path;
	} else {
		cc->c->state = path;
	}
	return 0;
}

static const struct ydoc_key control_keys[] = {
	{ "socket", YK_STR, 0, 0, false, on_control },
	{ "state", YK_STR, 0, 0, false, on_control },
};

static int control_load(const struct steer_load *l, yaml_node_t *const *v, char *err, size_t errlen)
{
	struct control_conf *c = arena_alloc(&l->cfg->arena, sizeof(*c));
	struct control_ctx cc = { c, &l->cfg->arena, l->dir };
	c->socket = c->state = NULL;
	if (v[0] && ydoc_walk_map(l->d, v[0], "control", control_keys, 2, &cc, err, errlen) < 0)
		return -1;
	l->cfg->control = c;
	return 0;
}

const struct steer_module control_module = {
	.name = "control",
	.sections = { "control", NULL },
	.load = control_load,
};
