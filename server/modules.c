/*
 * modules.c: the one table of the daemon's modules (common/steer_module.h).
 *
 * Order matters and is the order of everything a module does: sections
 * are loaded, methods bound and runtime services started in table order
 * (stopped and freed in reverse), and without `server.mode` the first
 * method the config can use is the default. So: the methods first
 * (geodns before anycast: with both sections GeoDNS is the default), then
 * the composer that needs their bindings (ab), then the observers.
 */
#include "server/modules.h"

#include "anycast/anycast_module.h"
#include "common/config_guard.h"
#include "common/decision_log.h"
#include "common/dnstap.h"
#include "common/control.h"
#include "common/metrics.h"
#include "geodns/geodns_module.h"
#include "steer/ab.h"

static const struct steer_module *const table[] = {
	&geodns_module,        /* geoip, pops, policy, ecs; method geodns; health checks, DB watch */
	&anycast_module,       /* anycast; method anycast; announcer, BGP, drain signals */
	&ab_module,            /* ab; method ab (composes geodns and anycast) */
	&decision_log_module,  /* decision_log */
	&guard_module,         /* cookies, rrl: the answer path's defences */
	&metrics_module,       /* metrics: the /metrics endpoint's address */
	&control_module,       /* control: the control socket and admin-state file */
	&dnstap_module,        /* dnstap: its output thread */
};

const struct steer_modules steerdns_modules = { table, sizeof(table) / sizeof(table[0]) };

int config_load(const char *path, struct config **out, char *err)
{
	return config_load_mods(path, &steerdns_modules, NULL, out, err);
}
