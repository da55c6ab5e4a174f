/*
 * server_health.c: from a loaded config to the checker's target list.
 * Kept apart from server.c so the server loop does not depend on the geo
 * config layout, and the anycast self check can join here later.
 */
#include "common/server_health.h"

#include <stdlib.h>

#include "common/config.h"
#include "common/health.h"
#include "common/log.h"
#include "geodns/geo_config.h"

void server_health_sync(struct health_checker *hc, const struct config *cfg)
{
	const struct geo_config *geo = cfg ? cfg->geo : NULL;
	size_t n_pops = geo ? geo->n_pops : 0, n = 0;
	const char **names = NULL;
	const struct check_conf **confs = NULL;

	if (!hc)
		return;
	if (n_pops) {
		names = calloc(n_pops, sizeof(*names));
		confs = calloc(n_pops, sizeof(*confs));
		if (!names || !confs) {
			/* keep the checks we have rather than dropping them all */
			log_err("health", "out of memory: health checks not updated");
			goto out;
		}
	}
	for (size_t i = 0; i < n_pops; i++) {
		if (!geo->pops[i].check)
			continue;
		names[n] = geo->pops[i].name;
		confs[n] = geo->pops[i].check;
		n++;
	}
	/* health_checker_sync logs every target it could not start. */
	health_checker_sync(hc, names, confs, n);
out:
	free(names);
	free(confs);
}
