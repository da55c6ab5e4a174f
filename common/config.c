/*
 * config.c: the main configuration file (YAML) -> struct config.
 *
 * Each section is a schema table (struct ydoc_key: key, kind, range,
 * handler) walked by ydoc_walk_map, which rejects unknown and duplicate
 * keys. A new top-level section is one more row in top_keys plus its
 * handler. Message positions follow yaml_doc.h. Only `server` and
 * `zones` are this file's; every other section belongs to a module of the
 * table the caller passes (common/steer_module.h), which this file walks
 * without naming any. Sections are collected in the walk and read
 * afterwards, whatever their order in the file: first the modules' (in
 * table order), then server.mode (it needs to know which methods are
 * usable), then the zones (their `steer:` names need usable methods).
 */
#include "common/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf_schema.h"
#include "common/dname.h"
#include "common/steer_module.h"
#include "common/yaml_doc.h"
#include "common/zone_entry.h"
#include "common/zone_yaml.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_LISTEN 64
#define MAX_WORKERS 64
#define DEFAULT_PORT 53
#define MAX_MODULES 16
#define MAX_TOP_KEYS (2 + MAX_MODULES * STEER_MODULE_SECTIONS)
_Static_assert(MAX_TOP_KEYS <= CONFIG_MAX_SECTIONS, "CONFIG_MAX_SECTIONS too small");

struct load_ctx {
	struct config *cfg;
	const struct steer_modules *mods;
	const char *dir;        /* config file's directory with a trailing '/', or "" */
	size_t zones_cap;
	/* Sections read after the top-level walk (see the top of the file):
	 * the zones, and each module's sections by table row and position. */
	yaml_node_t *zones;
	yaml_node_t *sections[MAX_MODULES][STEER_MODULE_SECTIONS];
	/* server.mode, checked once the modules are loaded. */
	yaml_node_t *mode;
};

/* --- listen addresses --- */

static int parse_port(const char *s, uint16_t *port)
{
	uint32_t v;
	if (ydoc_parse_u32(s, &v) < 0 || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/*
 * "addr", "addr:port", "[v6]", "[v6]:port"; a bare IPv6 address (no
 * brackets) is accepted too since it cannot be mistaken for addr:port.
 * out->text is normalised to "addr:port" / "[v6]:port" for log lines.
 */
static int parse_listen(const char *s, struct listen_addr *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s = NULL;
	uint16_t port = DEFAULT_PORT;
	bool v6;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (size_t)(close - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = 0;
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1])
			return -1;
		v6 = true;
	} else {
		const char *colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':')) {
			if (strlen(s) >= sizeof(host))
				return -1;
			strcpy(host, s);
			v6 = true;
		} else {
			size_t hl = colon ? (size_t)(colon - s) : strlen(s);
			if (hl >= sizeof(host))
				return -1;
			memcpy(host, s, hl);
			host[hl] = 0;
			port_s = colon ? colon + 1 : NULL;
			v6 = false;
		}
	}
	if (port_s && parse_port(port_s, &port) < 0)
		return -1;
	if (v6) {
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&out->ss;
		if (inet_pton(AF_INET6, host, &sa->sin6_addr) != 1)
			return -1;
		sa->sin6_family = AF_INET6;
		sa->sin6_port = htons(port);
		out->sslen = sizeof(*sa);
		snprintf(out->text, sizeof(out->text), "[%s]:%u", host, port);
	} else {
		struct sockaddr_in *sa = (struct sockaddr_in *)&out->ss;
		if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
			return -1;
		sa->sin_family = AF_INET;
		sa->sin_port = htons(port);
		out->sslen = sizeof(*sa);
		snprintf(out->text, sizeof(out->text), "%s:%u", host, port);
	}
	return 0;
}

static int on_listen(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                     void *ctx, char *err, size_t errlen)
{
	struct config *cfg = ((struct load_ctx *)ctx)->cfg;
	yaml_node_t *items[MAX_LISTEN];
	size_t n = 0;
	(void)k;
	(void)num;

	/* A single address may be written without the list brackets. */
	if (val->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = val->data.sequence.items.start;
		     it < val->data.sequence.items.top; it++) {
			if (n == MAX_LISTEN)
				return ydoc_err(d, ydoc_node(d, *it), err, errlen,
				                "listen: more than %d addresses", MAX_LISTEN);
			items[n++] = ydoc_node(d, *it);
		}
		if (n == 0)
			return ydoc_err(d, val, err, errlen, "listen: empty list");
	} else {
		items[n++] = val;
	}
	struct listen_addr *la = arena_alloc(&cfg->arena, n * sizeof(*la));
	for (size_t i = 0; i < n; i++) {
		const char *s;
		if (ydoc_expect_str(d, items[i], "listen", &s, err, errlen) < 0)
			return -1;
		if (parse_listen(s, &la[i]) < 0)
			return ydoc_err(d, items[i], err, errlen,
			                "listen: bad address '%s' (expected IP, IP:port, [IPv6] or [IPv6]:port)", s);
		for (size_t j = 0; j < i; j++)
			if (strcmp(la[j].text, la[i].text) == 0)
				return ydoc_err(d, items[i], err, errlen, "listen: duplicate address %s",
				                la[i].text);
	}
	cfg->server.listen = la;
	cfg->server.n_listen = n;
	return 0;
}

/* --- server section --- */

static int on_server_field(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val,
                           uint32_t num, void *ctx, char *err, size_t errlen)
{
	struct config *cfg = ((struct load_ctx *)ctx)->cfg;
	struct server_config *sv = &cfg->server;
	const char *s = ydoc_scalar(val);

	if (strcmp(k->key, "workers") == 0) {
		sv->workers = num;
	} else if (strcmp(k->key, "edns_payload") == 0) {
		sv->edns_payload = (uint16_t)num;
	} else if (strcmp(k->key, "tcp_idle_timeout") == 0) {
		sv->tcp_idle_timeout_ms = num * 1000;
	} else if (strcmp(k->key, "tcp_io_timeout") == 0) {
		sv->tcp_io_timeout_ms = num;
	} else if (strcmp(k->key, "tcp_max_clients") == 0) {
		sv->tcp_max_clients = num;
	} else if (strcmp(k->key, "identity") == 0 || strcmp(k->key, "version") == 0) {
		/* Both are answered as one TXT character-string (RFC 1035 3.3.14). */
		if (strlen(s) > 255)
			return ydoc_err(d, val, err, errlen, "%s: longer than 255 bytes", k->key);
		if (k->key[0] == 'i') {
			if (!*s)
				return ydoc_err(d, val, err, errlen, "identity: must not be empty");
			sv->identity = arena_strdup(&cfg->arena, s);
		} else {
			sv->version = arena_strdup(&cfg->arena, s);
		}
	} else if (strcmp(k->key, "mode") == 0) {
		/* A method slot's name; whether it is usable is resolve_mode's. */
		sv->mode = STEER_MODE_DEFAULT;
		for (int m = STEER_MODE_DEFAULT + 1; m < STEER_MODE_COUNT; m++)
			if (strcmp(s, steer_mode_name((enum steer_mode)m)) == 0)
				sv->mode = (enum steer_mode)m;
		if (sv->mode == STEER_MODE_DEFAULT)
			return ydoc_err(d, val, err, errlen,
			                "mode: unknown mode '%s' (expected geodns, anycast or ab)", s);
		((struct load_ctx *)ctx)->mode = val;
	} else if (strcmp(k->key, "user") == 0 || strcmp(k->key, "group") == 0) {
		if (!*s)
			return ydoc_err(d, val, err, errlen, "%s: must not be empty", k->key);
		*(k->key[0] == 'u' ? &sv->user : &sv->group) = arena_strdup(&cfg->arena, s);
	}
	return 0;
}

/* Computed defaults, printed from the loaded config (conf_schema.h). */
static bool def_workers(const struct ydoc_penv *e, char *buf, size_t len)
{
	snprintf(buf, len, "%u", ((const struct config *)e->user)->server.workers);
	return true;
}

static bool def_identity(const struct ydoc_penv *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s", ((const struct config *)e->user)->server.identity);
	return true;
}

/* The mode in force, when a method is usable (without one, no mode can
 * be written, and none is printed). */
static bool def_mode(const struct ydoc_penv *e, char *buf, size_t len)
{
	const struct config *cfg = e->user;
	char why[256];
	if (cfg->server.mode == STEER_MODE_DEFAULT ||
	    steer_usable(cfg, cfg->server.mode, false, why, sizeof(why)) < 0)
		return false;
	snprintf(buf, len, "%s", steer_mode_name(cfg->server.mode));
	return true;
}

static const struct ydoc_key server_keys[] = {
	{ .key = "listen", .kind = YK_ANY, .handler = on_listen,
	  .def = "[\"127.0.0.1:53\", \"[::1]:53\"]", .type = "address or list",
	  .doc = "addresses to answer on: addr, addr:port, [v6] or [v6]:port (port 53 when none)" },
	{ .key = "workers", .kind = YK_UINT, .lo = 0, .hi = MAX_WORKERS, .handler = on_server_field,
	  .def = "the number of CPUs", .defprint = def_workers,
	  .doc = "per address: a UDP reader and a TCP worker each; 0: the number of CPUs" },
	{ .key = "identity", .kind = YK_STR, .handler = on_server_field, .def = "the host name",
	  .defprint = def_identity, .doc = "NSID and CHAOS id.server / hostname.bind, at most 255 bytes" },
	{ .key = "version", .kind = YK_STR, .handler = on_server_field,
	  .doc = "CHAOS version.bind / version.server; absent: REFUSED" },
	{ .key = "edns_payload", .kind = YK_UINT, .lo = 512, .hi = 4096, .handler = on_server_field,
	  .def = "1232", .doc = "our EDNS UDP payload size" },
	{ .key = "tcp_idle_timeout", .kind = YK_UINT, .lo = 1, .hi = 3600, .handler = on_server_field,
	  .def = "10", .doc = "seconds before a TCP connection that sends or reads nothing is closed" },
	{ .key = "tcp_io_timeout", .kind = YK_UINT, .lo = 10, .hi = 60000, .handler = on_server_field,
	  .def = "500", .doc = "milliseconds within which a begun TCP query must arrive whole" },
	{ .key = "tcp_max_clients", .kind = YK_UINT, .lo = 1, .hi = 65535,
	  .handler = on_server_field, .def = "1024",
	  .doc = "TCP connections across the server; a newcomer evicts the least active" },
	{ .key = "user", .kind = YK_STR, .handler = on_server_field,
	  .doc = "drop to this user after binding; absent: stay as started" },
	{ .key = "group", .kind = YK_STR, .handler = on_server_field,
	  .doc = "drop to this group after binding; absent: the user's" },
	{ .key = "mode", .kind = YK_STR, .handler = on_server_field, .type = "geodns | anycast | ab",
	  .def = "geodns with geoip, else anycast with an anycast section", .defprint = def_mode,
	  .doc = "how steered names without their own steer mode answer" },
};

static const struct ydoc_table server_table = YDOC_TABLE("server", server_keys);

static int on_server(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                     void *ctx, char *err, size_t errlen)
{
	(void)k;
	(void)num;
	return ydoc_walk_table(d, val, &server_table, ctx, err, errlen);
}

/* --- zones section --- */

/* Load every zone file named by the `zones:` sequence val. */
static int load_zones(struct ydoc *d, struct load_ctx *lc, yaml_node_t *val, char *err,
                      size_t errlen)
{
	struct zoneset *zs = &lc->cfg->zones;
	struct zone_steer_caps caps = { .cfg = lc->cfg, .server_mode = lc->cfg->server.mode };

	for (yaml_node_item_t *it = val->data.sequence.items.start;
	     it < val->data.sequence.items.top; it++) {
		yaml_node_t *item = ydoc_node(d, *it);
		struct zone *z = NULL;
		if (zone_entry_load(d, item, lc->dir, &caps, &z, err, errlen) < 0)
			return -1;
		for (size_t i = 0; i < zs->count; i++) {
			if (dname_equal(zs->zones[i]->origin, z->origin)) {
				char name[DNAME_MAXTEXT];
				dname_to_text(z->origin, name, sizeof(name));
				zone_free(z);
				return ydoc_err(d, item, err, errlen,
				                "duplicate zone %s (already loaded from %s)", name,
				                zs->zones[i]->file);
			}
		}
		if (zs->count == lc->zones_cap) {
			size_t ncap = lc->zones_cap ? lc->zones_cap * 2 : 8;
			struct zone **nz = realloc(zs->zones, ncap * sizeof(*nz));
			if (!nz) {
				zone_free(z);
				return ydoc_err(d, item, err, errlen, "out of memory");
			}
			zs->zones = nz;
			lc->zones_cap = ncap;
		}
		zs->zones[zs->count++] = z;
	}
	return 0;
}

/* Sections kept for after the walk (see struct load_ctx). */
static int on_deferred(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                       void *ctx, char *err, size_t errlen)
{
	struct load_ctx *lc = ctx;
	(void)d;
	(void)num;
	(void)err;
	(void)errlen;
	if (strcmp(k->key, "zones") == 0) {
		lc->zones = val;
		return 0;
	}
	for (size_t m = 0; m < lc->mods->n; m++)
		for (size_t i = 0; lc->mods->mods[m]->sections[i]; i++)
			if (strcmp(k->key, lc->mods->mods[m]->sections[i]->key) == 0)
				lc->sections[m][i] = val;
	return 0;
}

/* Top-level sections: server and zones here, then every module's rows
 * (their keys are in each row's table). */
static const struct ydoc_key server_row = {
	.key = "server", .kind = YK_MAP, .handler = on_server, .sub = &server_table,
	.flags = YF_IMPLIED, .doc = "the DNS server itself",
};

static const struct ydoc_key zones_row = {
	.key = "zones", .kind = YK_SEQ, .handler = on_deferred, .def = "[]", .flags = YF_PATH,
	.type = "list of paths", .doc = "zone files, relative to this file's directory",
};

size_t config_schema_keys(const struct steer_modules *mods, struct ydoc_key *keys, size_t max)
{
	size_t n = 0;
	if (max < 2)
		return 0;
	keys[n++] = server_row;
	keys[n++] = zones_row;
	for (size_t m = 0; mods && m < mods->n; m++) {
		for (size_t i = 0; mods->mods[m]->sections[i] && n < max; i++) {
			keys[n] = *mods->mods[m]->sections[i];
			keys[n].handler = on_deferred;
			n++;
		}
	}
	return n;
}

/* --- defaults --- */

/* A server key's default, from its row. */
static unsigned server_default(const char *key)
{
	uint32_t v = 0;
	ydoc_parse_u32(ydoc_table_key(&server_table, key)->def, &v);
	return v;
}

static void set_defaults(struct config *cfg)
{
	struct server_config *sv = &cfg->server;
	sv->workers = 0;
	sv->edns_payload = (uint16_t)server_default("edns_payload");
	sv->tcp_idle_timeout_ms = server_default("tcp_idle_timeout") * 1000;
	sv->tcp_io_timeout_ms = server_default("tcp_io_timeout");
	sv->tcp_max_clients = server_default("tcp_max_clients");
}

static int finish_defaults(struct config *cfg)
{
	struct server_config *sv = &cfg->server;
	if (!sv->listen) {
		/* The row's default: the quoted addresses of its flow list. */
		const char *def = ydoc_table_key(&server_table, "listen")->def;
		sv->listen = arena_alloc(&cfg->arena, MAX_LISTEN * sizeof(*sv->listen));
		for (const char *q = strchr(def, '"'); q && sv->n_listen < MAX_LISTEN;
		     q = strchr(q + 1, '"')) {
			const char *end = strchr(q + 1, '"');
			char one[64];
			if (!end || (size_t)(end - q) > sizeof(one))
				return -1;
			snprintf(one, sizeof(one), "%.*s", (int)(end - q - 1), q + 1);
			if (parse_listen(one, &sv->listen[sv->n_listen++]) < 0)
				return -1;
			q = end;
		}
	}
	if (sv->workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		sv->workers = n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (unsigned)n;
	}
	if (!sv->identity) {
		char host[256] = "";
		if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = 0;
		sv->identity = arena_strdup(&cfg->arena, host);
	}
	return 0;
}

int steer_usable(const struct config *cfg, enum steer_mode m, bool answers, char *why,
                 size_t whylen)
{
	const struct steer_modules *mods = cfg->mods;
	const struct steer_module *first = NULL;
	snprintf(why, whylen, "a steering method");
	for (size_t i = 0; mods && i < mods->n; i++) {
		const struct steer_module *mod = mods->mods[i];
		if (mod->mode == STEER_MODE_DEFAULT || !mod->usable)
			continue;
		if (!first)
			first = mod;
		if (m == STEER_MODE_DEFAULT ? mod->usable(cfg, answers, why, whylen) == 0
		                            : mod->mode == m)
			return m == STEER_MODE_DEFAULT ? 0 : mod->usable(cfg, answers, why, whylen);
	}
	if (m == STEER_MODE_DEFAULT && first)
		first->usable(cfg, answers, why, whylen);
	return -1;
}

/* server.mode: by default the first method of the table that cfg can use
 * (else the first); an explicit mode must be usable (reported at the mode
 * value). */
static int resolve_mode(struct ydoc *d, struct load_ctx *lc, char *err, size_t errlen)
{
	struct config *cfg = lc->cfg;
	struct server_config *sv = &cfg->server;
	char why[256];
	if (lc->mode) {
		if (steer_usable(cfg, sv->mode, false, why, sizeof(why)) < 0)
			return ydoc_err(d, lc->mode, err, errlen, "mode: %s requires %s",
			                steer_mode_name(sv->mode), why);
		return 0;
	}
	sv->mode = STEER_MODE_DEFAULT;
	for (size_t i = 0; i < lc->mods->n; i++) {
		const struct steer_module *mod = lc->mods->mods[i];
		if (mod->mode == STEER_MODE_DEFAULT || !mod->usable)
			continue;
		if (sv->mode == STEER_MODE_DEFAULT)
			sv->mode = mod->mode;  /* the first, unless one is usable */
		if (mod->usable(cfg, false, why, sizeof(why)) == 0) {
			sv->mode = mod->mode;
			break;
		}
	}
	return 0;
}

/* --- entry points --- */

int config_load_mods(const char *path, const struct steer_modules *mods,
                     const struct config *prev, struct config **out, char *err)
{
	static const struct steer_modules none = { NULL, 0 };
	struct ydoc d;
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct ydoc_key keys[MAX_TOP_KEYS];
	struct load_ctx lc = { .cfg = cfg, .mods = mods ? mods : &none, .dir = "" };
	int rc;

	if (!cfg) {
		snprintf(err, CONFIG_ERRLEN, "%s: out of memory", path);
		return -1;
	}
	if (lc.mods->n > MAX_MODULES) {
		snprintf(err, CONFIG_ERRLEN, "%s: more than %d modules", path, MAX_MODULES);
		free(cfg);
		return -1;
	}
	cfg->mods = lc.mods;
	cfg->self_pop = -1;
	cfg->path = arena_strdup(&cfg->arena, path);
	set_defaults(cfg);

	const char *slash = strrchr(path, '/');
	if (slash) {
		size_t dl = (size_t)(slash - path) + 1;
		char *dir = arena_alloc(&cfg->arena, dl + 1);
		memcpy(dir, path, dl);
		lc.dir = dir;
	}

	rc = ydoc_load(&d, path, cfg->path, err, CONFIG_ERRLEN);
	if (rc < 0)
		goto fail;
	rc = -1;
	yaml_node_t *root = ydoc_root(&d);
	/* An empty file is a valid config: every default, no zones. */
	if (root && ydoc_walk_map(&d, root, "config", keys,
	                          config_schema_keys(lc.mods, keys, MAX_TOP_KEYS), &lc, err,
	                          CONFIG_ERRLEN) < 0)
		goto fail;
	struct steer_load sl = { .d = &d, .cfg = cfg, .prev = prev, .dir = lc.dir };
	for (size_t m = 0; m < lc.mods->n; m++) {
		const struct steer_module *mod = lc.mods->mods[m];
		if (mod->load && mod->load(&sl, lc.sections[m], err, CONFIG_ERRLEN) < 0)
			goto fail;
	}
	if (resolve_mode(&d, &lc, err, CONFIG_ERRLEN) < 0)
		goto fail;
	if (lc.zones && load_zones(&d, &lc, lc.zones, err, CONFIG_ERRLEN) < 0)
		goto fail;
	if (finish_defaults(cfg) < 0) {
		snprintf(err, CONFIG_ERRLEN, "%s: cannot set default listen addresses", path);
		goto fail;
	}
	for (size_t m = 0; m < lc.mods->n; m++)
		if (lc.mods->mods[m]->bind)
			lc.mods->mods[m]->bind(cfg);
	ydoc_free(&d);
	*out = cfg;
	return 0;
fail:
	ydoc_free(&d);
	config_free(cfg);
	return -1;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	zoneset_free(&cfg->zones);
	for (size_t m = cfg->mods ? cfg->mods->n : 0; m-- > 0;)
		if (cfg->mods->mods[m]->free)
			cfg->mods->mods[m]->free(cfg);
	arena_free(&cfg->arena);
	free(cfg);
}
