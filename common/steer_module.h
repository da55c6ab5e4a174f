/*
 * steer_module.h: one part of the daemon above common/ (GeoDNS, anycast,
 * the A/B split, the decision log) as the generic code sees it: the config
 * sections it owns, the steering method it answers (common/steer_method.h)
 * and the runtime services it runs on the control loop. The daemon lists
 * its modules in one table (server/modules.c) and hands it to config_load
 * and the server; common/ names no module.
 *
 * Lifecycle of a module's data, all on the control thread:
 *   load    parse its sections (and compile what the answer path needs)
 *           into the config being loaded; prev is the config serving now
 *   bind    once every module has loaded, the zones are read and the
 *           defaults set: put its method state in cfg->steer[mode]
 *   free    with the config (after no worker can see it any more)
 *
 * Reuse across reloads: load may take compiled data from prev (the same
 * module's, e.g. GeoIP trees whose DBs and policy did not change) instead
 * of building it again. prev is freed some time after the new config is
 * published, so shared data must be reference counted: load takes a
 * reference, free drops one, and the last one frees it. prev stays valid
 * for the whole load (the control thread reclaims configs, not workers).
 */
#ifndef STEERDNS_STEER_MODULE_H
#define STEERDNS_STEER_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "common/steer_rec.h"

struct config;
struct ydoc;
struct ydoc_key;
struct event_base;

/* What a module's load gets. */
struct steer_load {
	struct ydoc *d;              /* the main file, for file:line:col messages */
	struct config *cfg;          /* the config being loaded (arena: cfg->arena) */
	const struct config *prev;   /* the config serving now; NULL at start, checkconf, tests */
	const char *dir;             /* the main file's directory: "" or ending in '/' */
};

/* What a module's runtime services get from the server. */
struct steer_runtime_env {
	struct event_base *ctl;      /* the control loop */
	/* Reload now, as SIGHUP does (e.g. a GeoIP DB changed on disk). */
	void (*reload)(void *arg);
	void *arg;
};

#define STEER_MODULE_SECTIONS 4

struct steer_module {
	const char *name;
	/* The top-level sections it owns: their schema rows (yaml_doc.h; the
	 * row's key is the section's name, its table the section's keys),
	 * NULL-terminated. The loader walks them, `checkconf --print` and the
	 * README reference print from them (common/conf_schema.h). */
	const struct ydoc_key *sections[STEER_MODULE_SECTIONS + 1];
	/* Parse its sections: vals[i] is the value of sections[i], NULL when
	 * absent. Called on every load, in table order, after the server
	 * section and before the zones. Returns 0 or -1 with err. */
	int (*load)(const struct steer_load *l, yaml_node_t *const *vals, char *err, size_t errlen);
	/* Bind its method and hooks into the finished cfg (table order, so a
	 * composer comes after the methods it composes). */
	void (*bind)(struct config *cfg);
	/* Free what load and bind allocated outside cfg->arena. */
	void (*free)(struct config *cfg);

	/* The method slot it answers (STEER_MODE_DEFAULT: none), and whether
	 * cfg can use it: 0, or -1 with what is missing in why ("geoip and
	 * pops"). answers false: for `server.mode` (its sections are there);
	 * true: a name steered by it must be answerable. */
	enum steer_mode mode;
	int (*usable)(const struct config *cfg, bool answers, char *why, size_t whylen);

	/* Runtime services on the control loop; each optional. */
	/* Before privileges are dropped (e.g. bind port 179); undone by unbind. */
	int (*prebind)(const struct config *cfg, char *err, size_t errlen);
	void (*unbind)(void);
	/* After the listeners answer: start with cfg (which may be freed
	 * afterwards). *rt is handed to the other hooks. Returns 0 or -1
	 * (logged): the server does not start. */
	int (*start)(const struct steer_runtime_env *env, const struct config *cfg, void **rt);
	/* A reload was published; cfg may be freed afterwards. */
	void (*reload)(void *rt, const struct config *cfg);
	/* SIGTERM: begin a graceful stop and return true, calling done(arg)
	 * on the loop when over; false: nothing to wait for. */
	bool (*stop)(void *rt, void (*done)(void *arg), void *arg);
	void (*stop_free)(void *rt);
};

/* The daemon's table (server/modules.c). */
struct steer_modules {
	const struct steer_module *const *mods;
	size_t n;
};

/*
 * Can cfg use method slot m (see usable above)? 0, or -1 with what it
 * needs in why. STEER_MODE_DEFAULT: can it use any method (why: what the
 * first method needs). A slot no module answers is never usable.
 */
int steer_usable(const struct config *cfg, enum steer_mode m, bool answers, char *why,
                 size_t whylen);

#endif
