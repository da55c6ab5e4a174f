/*
 * modules.h: the daemon's wiring. Every part above common/ is one row of
 * steerdns_modules (server/modules.c); common/ takes the table as an
 * argument and names no module. main.c and the tests load configs through
 * config_load, which is config_load_mods with this table.
 */
#ifndef STEERDNS_SERVER_MODULES_H
#define STEERDNS_SERVER_MODULES_H

#include "common/config.h"
#include "common/steer_module.h"

extern const struct steer_modules steerdns_modules;

/* config_load_mods (common/config.h) with steerdns_modules and no
 * previous config. */
int config_load(const char *path, struct config **out, char *err);

#endif
