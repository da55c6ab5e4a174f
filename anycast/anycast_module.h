/*
 * anycast_module.h: anycast as a module of the daemon
 * (common/steer_module.h): the `anycast:` section (anycast_config_yaml.c),
 * the anycast method (every client gets the configured anycast address of
 * the asked family, ECS scope 0: the answer does not depend on the
 * client), and at run time the announcer with its BGP sessions, the drain
 * signals and the graceful stop (anycast_runtime.c).
 */
#ifndef STEERDNS_ANYCAST_MODULE_H
#define STEERDNS_ANYCAST_MODULE_H

#include "common/steer_method.h"
#include "common/steer_module.h"

extern const struct steer_module anycast_module;
/* State: the config's struct anycast_conf. */
extern const struct steer_method_ops anycast_method;

#endif
