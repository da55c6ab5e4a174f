/* server_ctl.c: the control socket's commands; see server_ctl.h. */
#include "common/server_ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "common/config.h"
#include "common/control.h"
#include "common/health.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/query_ctx.h"
#include "common/server.h"
#include "common/steer_method.h"

struct server_ctl {
	struct server *srv;
	struct control *sock;
	char state_path[512];
};

/* --- admin state file: lines "pop NAME down|up" (auto is not written) --- */

static int admin_parse(const char *word, enum health_admin *a)
{
	if (strcmp(word, "auto") == 0)
		*a = HEALTH_ADMIN_AUTO;
	else if (strcmp(word, "up") == 0)
		*a = HEALTH_ADMIN_UP;
	else if (strcmp(word, "down") == 0)
		*a = HEALTH_ADMIN_DOWN;
	else
		return -1;
	return 0;
}

static void state_load(struct server_ctl *sc)
{
	FILE *f = fopen(sc->state_path, "r");
	char line[512], name[256], word[16];
	if (!f)
		return;  /* none yet: every PoP auto */
	while (fgets(line, sizeof(line), f)) {
		enum health_admin a;
		if (sscanf(line, "pop %255s %15s", name, word) == 2 && admin_parse(word, &a) == 0) {
			health_admin_set(name, a);
			log_info("control", "pop %s: admin state %s (from %s)", name, word, sc->state_path);
		}
	}
	fclose(f);
}

/* Rewrite the file with every PoP of cfg not in auto (write, then rename). */
static int state_save(struct server_ctl *sc, const struct config *cfg, char *why, size_t whylen)
{
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", sc->state_path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < cfg->n_pops; i++) {
		enum health_admin a = health_admin_get(cfg->pop_names[i]);
		if (a != HEALTH_ADMIN_AUTO)
			fprintf(f, "pop %s %s\n", cfg->pop_names[i], health_admin_name(a));
	}
	if (fclose(f) != 0 || rename(tmp, sc->state_path) != 0) {
		snprintf(why, whylen, "%s: %s", sc->state_path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* --- status --- */

static void iso_time(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The modules' gauges (BGP sessions, announced prefixes) as sample lines. */
static json_t *gauge_lines(struct server *srv, const char *family)
{
	struct evbuffer *b = evbuffer_new();
	json_t *arr = json_array();
	if (!b)
		return arr;
	metrics_write_source(b, server_gauges, srv);
	size_t n;
	char *line;
	while ((line = evbuffer_readln(b, &n, EVBUFFER_EOL_LF))) {
		if (strncmp(line, family, strlen(family)) == 0 && line[strlen(family)] == '{') {
			/* name{label="v"} value -> {"label": "v", "value": 1} */
			char key[64], val[256];
			double v = 0;
			if (sscanf(line + strlen(family), "{%63[^=]=\"%255[^\"]\"} %lf", key, val, &v) == 3)
				json_array_append_new(arr, json_pack("{s:s, s:b}", key, val, "up", v == 1));
		}
		free(line);
	}
	evbuffer_free(b);
	return arr;
}

static json_t *status_json(struct server *srv)
{
	const struct config *cfg = server_config_now(srv);
	double started, loaded;
	unsigned gen;
	char lt[32];
	server_times(srv, &started, &loaded, &gen);
	iso_time(loaded, lt, sizeof(lt));
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	json_t *j = json_pack("{s:s, s:s, s:f, s:{s:i, s:s, s:s}}", "version", STEERDNS_VERSION,
	                      "identity", cfg->server.identity ? cfg->server.identity : "",
	                      "uptime_seconds", (double)now.tv_sec - started, "config",
	                      "generation", (int)gen, "loaded_at", lt, "path", cfg->path);
	json_t *pops = json_array();
	for (size_t i = 0; i < cfg->n_pops; i++) {
		const char *name = cfg->pop_names[i];
		_Atomic uint8_t *slot = health_slot(name);
		enum health_state eff = slot ? atomic_load_explicit(slot, memory_order_relaxed) : HEALTH_UP;
		json_array_append_new(pops, json_pack("{s:s, s:s, s:s, s:s}", "name", name, "health",
		                                      health_state_name(health_check_get(name)), "admin",
		                                      health_admin_name(health_admin_get(name)), "answered",
		                                      eff == HEALTH_UP ? "yes" : "no"));
	}
	json_object_set_new(j, "pops", pops);
	json_object_set_new(j, "bgp_peers", gauge_lines(srv, "steerdns_bgp_session_established"));
	json_object_set_new(j, "anycast_prefixes", gauge_lines(srv, "steerdns_anycast_announced"));
	json_t *ls = json_array();
	size_t nl;
	const struct listen_addr *la = server_listeners(srv, &nl);
	for (size_t i = 0; i < nl; i++)
		json_array_append_new(ls, json_string(la[i].text));
	json_object_set_new(j, "listeners", ls);
	json_object_set_new(j, "metrics", cfg->metrics ? json_string(cfg->metrics->listen) : json_null());
	return j;
}

static void status_text(json_t *j, struct evbuffer *out)
{
	json_t *c = json_object_get(j, "config");
	evbuffer_add_printf(out, "steerdns %s, identity %s, up %.0f s\n",
	                    json_string_value(json_object_get(j, "version")),
	                    json_string_value(json_object_get(j, "identity")),
	                    json_real_value(json_object_get(j, "uptime_seconds")));
	evbuffer_add_printf(out, "config %s: generation %d, loaded %s\n",
	                    json_string_value(json_object_get(c, "path")),
	                    (int)json_integer_value(json_object_get(c, "generation")),
	                    json_string_value(json_object_get(c, "loaded_at")));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "listeners"), i, v)
		evbuffer_add_printf(out, "listen %s (udp, tcp)\n", json_string_value(v));
	json_array_foreach(json_object_get(j, "pops"), i, v)
		evbuffer_add_printf(out, "pop %s: health %s, admin %s, answered %s\n",
		                    json_string_value(json_object_get(v, "name")),
		                    json_string_value(json_object_get(v, "health")),
		                    json_string_value(json_object_get(v, "admin")),
		                    json_string_value(json_object_get(v, "answered")));
	json_array_foreach(json_object_get(j, "bgp_peers"), i, v)
		evbuffer_add_printf(out, "bgp peer %s: %s\n", json_string_value(json_object_get(v, "peer")),
		                    json_is_true(json_object_get(v, "up")) ? "Established" : "not established");
	json_array_foreach(json_object_get(j, "anycast_prefixes"), i, v)
		evbuffer_add_printf(out, "anycast %s: %s\n", json_string_value(json_object_get(v, "prefix")),
		                    json_is_true(json_object_get(v, "up")) ? "announced" : "withdrawn");
}

/* --- lookup ADDR[/LEN]: the answer the live server gives that client --- */

static int cmd_lookup(struct server *srv, const char *arg, bool json, struct evbuffer *out)
{
	const struct config *cfg = server_config_now(srv);
	char addr[64];
	unsigned len = 0;
	const char *slash = strchr(arg, '/');
	snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - arg) : (int)strlen(arg), arg);
	struct query_ctx q;
	struct sockaddr_storage ss = { 0 };
	memset(&q, 0, sizeof(q));
	bool v6 = strchr(addr, ':') != NULL;
	uint8_t bytes[16];
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bytes) != 1 ||
	    (slash && (sscanf(slash + 1, "%u", &len) != 1 || len > (v6 ? 128u : 32u)))) {
		evbuffer_add_printf(out, "lookup: expected ADDR or ADDR/LEN, got %s\n", arg);
		return -1;
	}
	/* The resolver is the address itself; /LEN makes it an ECS subnet. */
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, bytes, 16);
		q.peerlen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, bytes, 4);
		q.peerlen = sizeof(*s4);
	}
	q.peer = (const struct sockaddr *)&ss;
	if (slash) {
		q.edns.present = true;
		q.edns.has_ecs = true;
		q.edns.ecs.family = v6 ? ECS_FAMILY_IPV6 : ECS_FAMILY_IPV4;
		q.edns.ecs.source = (uint8_t)len;
		for (unsigned b = 0; b < (v6 ? 16u : 4u); b++) {
			unsigned keep = len >= 8 * (b + 1) ? 8 : len > 8 * b ? len - 8 * b : 0;
			q.edns.ecs.addr[b] = (uint8_t)(bytes[b] & (0xff00u >> keep));
		}
	}
	enum steer_mode mode = cfg->server.mode;
	const struct steer_binding *b = &cfg->steer[mode];
	if (!b->ops) {
		evbuffer_add_printf(out, "lookup: no steering method for mode %s\n", steer_mode_name(mode));
		return -1;
	}
	struct steer_rec sr = { .ttl = 30, .answers = 1, .mode = STEER_MODE_DEFAULT };
	struct steer_outcome o;
	steer_outcome_init(&o);
	o.scope = -1;
	uint16_t qtype = v6 ? 28 : 1;
	b->ops->answer(b->state, &sr, &q, qtype, &o);
	if (o.pop == STEER_POP_SELF) {
		o.pop = cfg->self_pop;
		o.pop_name = cfg->self_pop_name;
	}
	json_t *recs = json_array();
	for (unsigned i = 0; i < o.n; i++) {
		char text[INET6_ADDRSTRLEN] = "";
		inet_ntop(o.rr[i].len == 16 ? AF_INET6 : AF_INET, o.rr[i].data, text, sizeof(text));
		json_array_append_new(recs, json_string(text));
	}
	json_t *j = json_pack("{s:s, s:s, s:s, s:s?, s:i, s:b, s:o}", "client", arg, "method",
	                      o.n ? o.method : steer_mode_name(mode), "arm", o.arm, "pop",
	                      o.pop_name, "scope", o.from_ecs ? o.scope : -1, "from_ecs", o.from_ecs,
	                      "answer", recs);
	if (json) {
		char *s = json_dumps(j, JSON_COMPACT);
		evbuffer_add_printf(out, "%s\n", s);
		free(s);
	} else {
		evbuffer_add_printf(out, "client %s: method %s, pop %s, scope %d, answer", arg,
		                    json_string_value(json_object_get(j, "method")),
		                    o.pop_name ? o.pop_name : "-", o.from_ecs ? o.scope : -1);
		size_t i;
		json_t *v;
		json_array_foreach(recs, i, v)
			evbuffer_add_printf(out, " %s", json_string_value(v));
		evbuffer_add_printf(out, "%s\n", o.n ? "" : " (none: NODATA)");
	}
	json_decref(j);
	return 0;
}

/* --- pop NAME down|up|auto --- */

static int cmd_pop(struct server_ctl *sc, const char *name, const char *word, struct evbuffer *out)
{
	const struct config *cfg = server_config_now(sc->srv);
	enum health_admin a;
	bool known = false;
	for (size_t i = 0; i < cfg->n_pops; i++)
		known = known || strcmp(cfg->pop_names[i], name) == 0;
	if (!known) {
		evbuffer_add_printf(out, "pop %s: no such PoP in %s\n", name, cfg->path);
		return -1;
	}
	if (admin_parse(word, &a) != 0) {
		evbuffer_add_printf(out, "pop %s: expected down, up or auto, got %s\n", name, word);
		return -1;
	}
	if (health_admin_set(name, a) != 0) {
		evbuffer_add_printf(out, "out of memory\n");
		return -1;
	}
	log_info("control", "pop %s: admin state %s", name, word);
	/* This host's own PoP: the anycast announcement follows (drain). */
	if (cfg->self_pop_name && strcmp(cfg->self_pop_name, name) == 0)
		raise(a == HEALTH_ADMIN_DOWN ? SIGUSR1 : SIGUSR2);
	char why[1200];
	if (state_save(sc, cfg, why, sizeof(why)) != 0) {
		log_warn("control", "admin state not kept across restarts: %s", why);
		evbuffer_add_printf(out, "pop %s: %s (not kept across restarts: %s)\n", name, word, why);
		return 0;
	}
	evbuffer_add_printf(out, "pop %s: %s\n", name, word);
	return 0;
}

static const char ctl_help[] =
	"commands: status [--json], stats [--json], reload, pop NAME down|up|auto,\n"
	"          drain, undrain, lookup ADDR[/LEN] [--json], log-reopen\n";

static int handle(void *arg, int argc, char **argv, struct evbuffer *out)
{
	struct server_ctl *sc = arg;
	struct server *srv = sc->srv;
	const char *cmd = argv[0];
	bool json = argc > 1 && strcmp(argv[argc - 1], "--json") == 0;
	int nargs = argc - 1 - json;

	if (strcmp(cmd, "status") == 0 && nargs == 0) {
		json_t *j = status_json(srv);
		if (json) {
			char *s = json_dumps(j, JSON_INDENT(2));
			evbuffer_add_printf(out, "%s\n", s);
			free(s);
		} else {
			status_text(j, out);
		}
		json_decref(j);
		return 0;
	}
	if (strcmp(cmd, "stats") == 0 && nargs == 0) {
		const struct config *cfg = server_config_now(srv);
		if (json)
			metrics_write_json(out, cfg->pop_names, cfg->n_pops);
		else
			metrics_write(out, cfg->pop_names, cfg->n_pops, server_gauges, srv);
		return 0;
	}
	if (strcmp(cmd, "reload") == 0 && nargs == 0) {
		char err[CONFIG_ERRLEN];
		log_info("reload", "control socket: reloading");
		if (server_reload_msg(srv, err, sizeof(err)) != 0) {
			evbuffer_add_printf(out, "%s\n", err);
			return -1;
		}
		double started, loaded;
		unsigned gen;
		server_times(srv, &started, &loaded, &gen);
		evbuffer_add_printf(out, "reloaded: generation %u serving\n", gen);
		return 0;
	}
	if (strcmp(cmd, "pop") == 0 && nargs == 2)
		return cmd_pop(sc, argv[1], argv[2], out);
	if ((strcmp(cmd, "drain") == 0 || strcmp(cmd, "undrain") == 0) && nargs == 0) {
		/* The anycast runtime's drain signals, handled on this loop. */
		raise(cmd[0] == 'd' ? SIGUSR1 : SIGUSR2);
		evbuffer_add_printf(out, "%s\n", cmd[0] == 'd' ? "draining: anycast routes withdrawn"
		                                              : "undrained: anycast routes announced when healthy");
		return 0;
	}
	if (strcmp(cmd, "lookup") == 0 && nargs == 1)
		return cmd_lookup(srv, argv[1], json, out);
	if (strcmp(cmd, "log-reopen") == 0 && nargs == 0) {
		if (server_log_reopen(srv) != 0) {
			evbuffer_add_printf(out, "log-reopen: cannot reopen the decision log (see the server log)\n");
			return -1;
		}
		evbuffer_add_printf(out, "logs reopened\n");
		return 0;
	}
	evbuffer_add_printf(out, "unknown command or wrong arguments: %s\n%s", cmd, ctl_help);
	return -1;
}

int server_ctl_start(struct server_ctl **out, struct server *srv, struct event_base *base,
                     const struct config *cfg)
{
	struct server_ctl *sc = calloc(1, sizeof(*sc));
	char path[512], err[700];
	*out = NULL;
	if (!sc)
		return -1;
	sc->srv = srv;
	if (cfg->control && cfg->control->state)
		snprintf(sc->state_path, sizeof(sc->state_path), "%s", cfg->control->state);
	else
		control_default_state(sc->state_path, sizeof(sc->state_path));
	state_load(sc);
	bool explicit = cfg->control && cfg->control->socket;
	if (explicit)
		snprintf(path, sizeof(path), "%s", cfg->control->socket);
	else
		control_default_socket(path, sizeof(path));
	sc->sock = control_new(base, path, handle, sc, err, sizeof(err));
	if (!sc->sock) {
		if (explicit) {
			log_err("control", "%s", err);
			free(sc);
			return -1;
		}
		log_warn("control", "%s: no control socket (`steerdns ctl` will not reach this server)",
		         err);
	} else {
		log_info("control", "control socket %s", path);
	}
	*out = sc;
	return 0;
}

void server_ctl_free(struct server_ctl *sc)
{
	if (!sc)
		return;
	control_free(sc->sock);
	free(sc);
}
