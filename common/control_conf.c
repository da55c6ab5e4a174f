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

/* The defaults --print shows: where this process would put them. */
static bool def_socket(const struct ydoc_penv *e, char *buf, size_t len)
{
	(void)e;
	control_default_socket(buf, len);
	return true;
}

static bool def_state(const struct ydoc_penv *e, char *buf, size_t len)
{
	(void)e;
	control_default_state(buf, len);
	return true;
}

static const struct ydoc_key control_keys[] = {
	{ .key = "socket", .kind = YK_STR, .handler = on_control, .flags = YF_PATH,
	  .def = "$RUNTIME_DIRECTORY/steerdns.sock, else /run/steerdns/steerdns.sock",
	  .defprint = def_socket,
	  .doc = "the control socket of `steerdns ctl` (mode 0660)" },
	{ .key = "state", .kind = YK_STR, .handler = on_control, .flags = YF_PATH,
	  .def = "$STATE_DIRECTORY/admin-state, else /var/lib/steerdns/admin-state",
	  .defprint = def_state,
	  .doc = "where `ctl pop` overrides are kept across restarts" },
};
static const struct ydoc_table control_table = YDOC_TABLE("control", control_keys);

static const struct ydoc_key control_section_row = {
	.key = "control", .kind = YK_MAP, .sub = &control_table, .flags = YF_IMPLIED,
	.doc = "the control socket (always on; `steerdns ctl`)",
};

static int control_load(const struct steer_load *l, yaml_node_t *const *v, char *err, size_t errlen)
{
	struct control_conf *c = arena_alloc(&l->cfg->arena, sizeof(*c));
	struct control_ctx cc = { c, &l->cfg->arena, l->dir };
	c->socket = c->state = NULL;
	if (v[0] && ydoc_walk_table(l->d, v[0], &control_table, &cc, err, errlen) < 0)
		return -1;
	l->cfg->control = c;
	return 0;
}

const struct steer_module control_module = {
	.name = "control",
	.sections = { &control_section_row, NULL },
	.load = control_load,
};
