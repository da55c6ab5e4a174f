/*
 * config.h: the loaded configuration (YAML, libyaml) and its zones.
 *
 * config_load() reads the main file and every zone file it names into one
 * immutable struct config. Nothing in it changes after loading; reload
 * builds a new one. All errors are reported as "file:line:col: message"
 * (line and column 1-based, from libyaml's marks) and loading stops at the
 * first error.
 */
#ifndef STEERDNS_CONFIG_H
#define STEERDNS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/arena.h"
#include "common/cookie.h"
#include "common/rrl.h"
#include "common/steer_method.h"
#include "common/steer_rec.h"
#include "common/zone.h"

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t sslen;
	char text[64];          /* normalised "addr:port" or "[v6]:port", for logs */
};

/* "addr", "addr:port", "[v6]", "[v6]:port" (port default 53) into out,
 * text normalised. 0, or -1 when it does not parse. */
int parse_listen(const char *s, struct listen_addr *out);

struct server_config {
	struct listen_addr *listen;   /* default: 127.0.0.1:53 and [::1]:53 */
	size_t n_listen;
	unsigned workers;             /* 0 in the file = number of CPUs (resolved at load) */
	const char *identity;         /* NSID, id.server, hostname.bind; default gethostname() */
	const char *version;          /* version.bind answer; NULL = REFUSED */
	uint16_t edns_payload;        /* our EDNS UDP payload size, default 1232, 512..4096 */
	unsigned tcp_idle_timeout_ms; /* default 10000 */
	unsigned tcp_io_timeout_ms;   /* one whole query must arrive within this, default 500 */
	unsigned tcp_max_clients;     /* whole-server TCP connection limit, default 1024 */
	const char *user;             /* drop privileges to after binding; NULL = stay */
	const char *group;
	/* How steered names without their own `steer: {mode}` answer:
	 * `mode: geodns | anycast`. Default geodns when the geoip section is
	 * there, else anycast when the anycast section is; geodns when
	 * neither (then no name may be steered). Never STEER_MODE_DEFAULT
	 * after config_load; `ab` needs both geoip/pops and anycast. */
	enum steer_mode mode;
};

struct geo_config;
struct geo_compiled;
struct anycast_conf;
struct ab_conf;
struct qlog_conf;
struct metrics_conf;
struct dnstap_conf;
struct control_conf;
struct steer_modules;

struct config {
	const char *path;             /* the main file as given */
	struct server_config server;
	struct zoneset zones;
	/* The modules (common/steer_module.h) this config was loaded with. */
	const struct steer_modules *mods;
	/* Steering: the method bound to each mode slot (ops NULL: none), and
	 * the decision log's client locator; bound by the modules. */
	struct steer_binding steer[STEER_MODE_COUNT];
	struct steer_locator locator;
	/* This server's PoP in the PoP table (anycast answers), -1 and NULL
	 * when none: set by the module that owns the PoP table. */
	int self_pop;
	const char *self_pop_name;
	/* The address a health check of this server's own answers asks (the
	 * anycast self check: the first listen address, a wildcard as
	 * loopback). Its queries come from that address and are health
	 * checks, not clients: the decision log leaves them out. Set by the
	 * module that runs the check; ss_family 0 when none. */
	struct sockaddr_storage health_self;
	/* The PoP table's names by index (steer_outcome.pop), for counters;
	 * set by the module that owns the table (arena), NULL/0 without. */
	const char *const *pop_names;
	size_t n_pops;
	/*
	 * The modules' sections. common/ only carries these pointers (their
	 * types are the modules'), so tests and tools can read them; each is
	 * set by its module's load and NULL when the section is absent.
	 *   geo, geo_compiled   geodns/geo_config.h, geo_compile.h (geodns)
	 *   anycast             anycast/anycast_conf.h (anycast)
	 *   ab                  common/config_compare.h (A/B split)
	 *   qlog                common/qlog.h (decision log)
	 */
	const struct geo_config *geo;
	struct geo_compiled *geo_compiled;
	const struct anycast_conf *anycast;
	const struct ab_conf *ab;
	const struct qlog_conf *qlog;
	/* `metrics:` (common/metrics.h); NULL: no /metrics endpoint. */
	const struct metrics_conf *metrics;
	/* `dnstap:` (common/dnstap.h); NULL: no dnstap. */
	const struct dnstap_conf *dnstap;
	/* `control:` (common/control.h); always set (defaults when absent). */
	const struct control_conf *control;
	/* `cookies:` and `rrl:` (common/config_guard.h); always set. */
	struct cookie_conf cookies;
	struct rrl_conf rrl;
	/* The accounts RRL counts in: one table for the process, kept
	 * across reloads (rrl_shared); NULL while RRL is off. */
	struct rrl_table *rrl_table;
	struct arena arena;           /* strings and arrays above */
};

/* Maximum length of one error message, position included. */
#define CONFIG_ERRLEN 512

/*
 * Load path and its zones with the sections of the modules mods (the
 * daemon's: config_load in server/modules.h). prev is the config serving
 * now (a reload), for modules that reuse compiled data; NULL otherwise. On
 * success returns 0 and sets *out (owned by the caller; free with
 * config_free). On error returns -1 and writes "file:line:col: message"
 * into err (CONFIG_ERRLEN bytes).
 */
int config_load_mods(const char *path, const struct steer_modules *mods,
                     const struct config *prev, struct config **out, char *err);

void config_free(struct config *cfg);

/* The rows of the top-level sections (common/conf_schema.h): server and
 * zones, then every module's in table order, at most max, copied into
 * keys; returns how many. The loader walks them; `checkconf --print` and
 * `--schema-markdown` print from them. */
#define CONFIG_MAX_SECTIONS (2 + 16 * 4)
struct ydoc_key;
struct steer_modules;
size_t config_schema_keys(const struct steer_modules *mods, struct ydoc_key *keys, size_t max);

/*
 * What the zones of a config may steer, for the zone loader: names may
 * carry `steer:` when some method is usable; each name's mode (or
 * server_mode) is checked with usable (steer_usable, steer_module.h).
 */
struct zone_steer_caps {
	const struct config *cfg;
	enum steer_mode server_mode;  /* what a name without `mode:` uses */
};

/*
 * zone_yaml_load_ex (common/zone_yaml.h) with steering checked against
 * caps (implemented in common/zone_yaml.c): `steer:` needs some usable
 * method, and the name's effective mode must be usable (errors at the
 * steer key). caps NULL allows no steering.
 */
int zone_yaml_load_caps(const char *path, const struct zone_steer_caps *caps, struct zone **out,
                        char *err, size_t errlen, int *open_errno);

#endif
