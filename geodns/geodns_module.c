/*
 * geodns_module.c: GeoDNS's row of the daemon's module table; see
 * geodns_module.h. The section parsers and the compiler are
 * geo_config_yaml.c and geo_compile.c; this file only wires them to the
 * config's life and to the control loop.
 */
#include "geodns/geodns_module.h"

#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/file_watch.h"
#include "common/health.h"
#include "common/log.h"
#include "common/yaml_doc.h"
#include "geodns/geo_compile.h"
#include "geodns/geo_config.h"
#include "geodns/geo_config_yaml.h"
#include "geodns/geo_schema.h"

/* GeoIP DBs are polled this often, and reloaded once quiet this long. */
#define DBWATCH_POLL_MS 1000
#define DBWATCH_QUIET_MS 2000

/* --- config --- */

/* The four sections are parsed together (rules name PoPs), then the DBs
 * are opened and compiled with the policy now, so a missing or corrupt DB
 * fails this load (and a reload keeps the old config serving); that error
 * is reported at the databases list. */
static int geodns_load(const struct steer_load *l, yaml_node_t *const *v, char *err,
                       size_t errlen)
{
	struct geo_yaml_sections s = { .geoip = v[0], .pops = v[1], .policy = v[2], .ecs = v[3] };
	struct geo_config *geo = NULL;
	if (geo_config_from_yaml(l->d, &s, &l->cfg->arena, l->dir, &geo, err, errlen) < 0)
		return -1;
	l->cfg->geo = geo;
	if (!geo)
		return 0;
	char gerr[CONFIG_ERRLEN];
	l->cfg->geo_compiled = geo_compile(geo, gerr, sizeof(gerr));
	if (!l->cfg->geo_compiled) {
		yaml_node_t *dbs = ydoc_map_get(l->d, s.geoip, "databases");
		ydoc_err_prefix(l->d, dbs ? dbs : s.geoip, err, errlen, gerr);
		return -1;
	}
	return 0;
}

/* This server's PoP for anycast answers: the one whose identity is
 * server.identity, else the one so named. */
static int self_pop(const struct config *cfg)
{
	const char *id = cfg->server.identity;
	if (!cfg->geo || !id)
		return -1;
	for (size_t i = 0; i < cfg->geo->n_pops; i++)
		if (cfg->geo->pops[i].identity && strcmp(cfg->geo->pops[i].identity, id) == 0)
			return (int)i;
	for (size_t i = 0; i < cfg->geo->n_pops; i++)
		if (strcmp(cfg->geo->pops[i].name, id) == 0)
			return (int)i;
	return -1;
}

static void geodns_bind(struct config *cfg)
{
	/* The locator works without a GeoDNS config too (state NULL). */
	cfg->locator = (struct steer_locator){ &geodns_locator, cfg->geo_compiled };
	if (cfg->geo_compiled)
		cfg->steer[STEER_MODE_GEODNS] = (struct steer_binding){ &geodns_method,
		                                                        cfg->geo_compiled };
	cfg->self_pop = self_pop(cfg);
	cfg->self_pop_name = cfg->self_pop >= 0 ? cfg->geo->pops[cfg->self_pop].name : NULL;
}

static void geodns_free(struct config *cfg)
{
	geo_compiled_free(cfg->geo_compiled);
	cfg->geo_compiled = NULL;
}

static int geodns_usable(const struct config *cfg, bool answers, char *why, size_t whylen)
{
	if (cfg->geo)
		return 0;
	snprintf(why, whylen, "%s", answers ? "geoip and pops" : "geoip and pops sections");
	return -1;
}

/* --- runtime: health checks and the DB watch, on the control loop --- */

struct geodns_rt {
	struct steer_runtime_env env;
	struct health_checker *health;
	struct file_watch *dbwatch;
};

/* Check exactly the PoPs of cfg that have a `check:`: unchanged checks
 * keep running, new ones start, removed ones stop and their PoP counts as
 * up. The checker copies what it keeps. */
static void sync_health(struct health_checker *hc, const struct config *cfg)
{
	const struct geo_config *geo = cfg->geo;
	size_t n_pops = geo ? geo->n_pops : 0, n = 0;
	const char **names = NULL;
	const struct check_conf **confs = NULL;

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

/* Watch the config's GeoIP DBs: a DB replaced on disk is picked up like a
 * SIGHUP once it has been quiet for a while. */
static void watch_dbs(struct file_watch *fw, const struct config *cfg)
{
	const char *paths[64];
	size_t n = 0;
	if (cfg->geo) {
		for (size_t i = 0; i < cfg->geo->n_databases && n < 63; i++)
			paths[n++] = cfg->geo->databases[i];
		if (cfg->geo->asn_database)
			paths[n++] = cfg->geo->asn_database;
	}
	file_watch_set(fw, paths, n);
}

static void db_changed_cb(void *arg)
{
	struct geodns_rt *rt = arg;
	log_info("reload", "a GeoIP database changed: reloading");
	rt->env.reload(rt->env.arg);
}

static void geodns_stop_free(void *p)
{
	struct geodns_rt *rt = p;
	if (!rt)
		return;
	health_checker_free(rt->health);
	file_watch_free(rt->dbwatch);
	free(rt);
}

static int geodns_start(const struct steer_runtime_env *env, const struct config *cfg, void **out)
{
	struct geodns_rt *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return -1;
	rt->env = *env;
	/* Health checks run on the control loop, never on a worker. */
	rt->health = health_checker_new(env->ctl);
	rt->dbwatch = file_watch_new(env->ctl, DBWATCH_POLL_MS, DBWATCH_QUIET_MS, db_changed_cb, rt);
	if (!rt->health || !rt->dbwatch) {
		geodns_stop_free(rt);
		return -1;
	}
	sync_health(rt->health, cfg);
	watch_dbs(rt->dbwatch, cfg);
	*out = rt;
	return 0;
}

static void geodns_reload(void *p, const struct config *cfg)
{
	struct geodns_rt *rt = p;
	sync_health(rt->health, cfg);
	watch_dbs(rt->dbwatch, cfg);
}

const struct steer_module geodns_module = {
	.name = "geodns",
	.sections = { &geo_section_rows[0], &geo_section_rows[1], &geo_section_rows[2],
	              &geo_section_rows[3], NULL },
	.load = geodns_load,
	.bind = geodns_bind,
	.free = geodns_free,
	.mode = STEER_MODE_GEODNS,
	.usable = geodns_usable,
	.start = geodns_start,
	.reload = geodns_reload,
	.stop_free = geodns_stop_free,
};
