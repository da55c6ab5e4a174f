/*
 * geodns_module.h: GeoDNS as a module of the daemon (common/steer_module.h):
 * the `geoip`, `pops`, `policy` and `ecs` sections (parsed by
 * geo_config_yaml.c, compiled by geo_compile.c), the geodns method
 * (steer.c behind common/steer_method.h), the decision log's locator (where
 * a client is, nearest PoP, distances) and this server's own PoP, and at
 * run time the PoP health checks and the watch on the GeoIP DB files.
 */
#ifndef STEERDNS_GEODNS_MODULE_H
#define STEERDNS_GEODNS_MODULE_H

#include "common/steer_method.h"
#include "common/steer_module.h"

extern const struct steer_module geodns_module;
extern const struct steer_method_ops geodns_method;
extern const struct steer_locator_ops geodns_locator;

#endif
