/*
 * config_guard.h: the `cookies:` and `rrl:` config sections (the server's
 * defences against spoofed sources; common/cookie.h, common/rrl.h).
 */
#ifndef STEERDNS_CONFIG_GUARD_H
#define STEERDNS_CONFIG_GUARD_H

#include "common/arena.h"
#include "common/cookie.h"
#include "common/rrl.h"
#include "common/yaml_doc.h"

/* The sections' schema rows (common/conf_schema.h). */
extern const struct ydoc_key cookies_section_row, rrl_section_row;

/* Defaults: cookies on with the process's random secret; RRL off. */
void guard_defaults(struct cookie_conf *cc, struct rrl_conf *rc);

/* `cookies: { enabled: BOOL, secret_file: PATH }` (n may be NULL: the
 * defaults). A relative secret_file is relative to dir. */
int cookies_config_from_yaml(struct ydoc *d, yaml_node_t *n, struct arena *a, const char *dir,
                             struct cookie_conf *cc, char *err, size_t errlen);

/* `rrl: { rate, slip, window, ipv4_prefix, ipv6_prefix, exempt: [NET...] }`:
 * present means on (unless `enabled: false`). */
int rrl_config_from_yaml(struct ydoc *d, yaml_node_t *n, struct arena *a, struct rrl_conf *rc,
                         char *err, size_t errlen);

/* The module (common/steer_module.h) owning the two sections: listed in
 * the daemon's table (server/modules.c) like the steering modules. */
struct steer_module;
extern const struct steer_module guard_module;

#endif
