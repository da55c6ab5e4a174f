/*
 * check_conf_yaml.c: a health check mapping; see check_conf_yaml.h.
 *
 * The mapping is walked twice: first only for `type` (it selects the key
 * table), then against that type's table, so an unknown key is reported
 * as "unknown key 'x' in http check". Values are read in a fixed order
 * (pace, timeout, then the type's own keys) so the first error is the same
 * whatever order the keys are written in.
 */
#include "common/check_conf_yaml.h"

#include <string.h>

#include "common/rdata_text.h"
#include "common/yaml_values.h"
#include "common/zone.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

#define TIMEOUT_KEY { "timeout", YK_ANY, 0, 0, false, NULL }
#define PACE_KEYS                                          \
	{ "interval", YK_ANY, 0, 0, false, NULL },         \
	TIMEOUT_KEY,                                       \
	{ "rise", YK_UINT, 1, 100, false, NULL },          \
	{ "fall", YK_UINT, 1, 100, false, NULL }
#define TYPE_KEY { "type", YK_STR, 0, 0, true, NULL }
#define ADDRESS_KEY { "address", YK_STR, 0, 0, false, NULL }
#define PORT_KEY(req) { "port", YK_UINT, 1, 65535, req, NULL }
#define TCP_KEYS PORT_KEY(true), ADDRESS_KEY
#define HTTP_KEYS                                          \
	PORT_KEY(false), ADDRESS_KEY,                      \
	{ "path", YK_STR, 0, 0, false, NULL },             \
	{ "host", YK_STR, 0, 0, false, NULL },             \
	{ "status", YK_ANY, 0, 0, false, NULL }
#define DNS_KEYS                                           \
	PORT_KEY(false), ADDRESS_KEY,                      \
	{ "qname", YK_STR, 0, 0, true, NULL },             \
	{ "qtype", YK_STR, 0, 0, false, NULL }
#define FILE_KEYS { "file", YK_STR, 0, 0, true, NULL }

/* With per-check pace (geo PoPs): every type takes the pace keys. */
static const struct ydoc_key tcp_paced[] = { TYPE_KEY, PACE_KEYS, TCP_KEYS };
static const struct ydoc_key http_paced[] = { TYPE_KEY, PACE_KEYS, HTTP_KEYS };
static const struct ydoc_key dns_paced[] = { TYPE_KEY, PACE_KEYS, DNS_KEYS };
static const struct ydoc_key file_paced[] = { TYPE_KEY, PACE_KEYS, FILE_KEYS };
/* Without (anycast): a timeout only, and a file check has none (reading a
 * local file cannot hang). */
static const struct ydoc_key tcp_plain[] = { TYPE_KEY, TIMEOUT_KEY, TCP_KEYS };
static const struct ydoc_key http_plain[] = { TYPE_KEY, TIMEOUT_KEY, HTTP_KEYS };
static const struct ydoc_key dns_plain[] = { TYPE_KEY, TIMEOUT_KEY, DNS_KEYS };
static const struct ydoc_key file_plain[] = { TYPE_KEY, FILE_KEYS };

#define KEYS(t) t, NKEYS(t)

static const struct check_type_def {
	const char *name;
	enum check_type type;
	const struct ydoc_key *paced;
	size_t npaced;
	const struct ydoc_key *plain;
	size_t nplain;
	const char *what;
	uint16_t default_port;
} check_types[] = {
	{ "tcp", CHECK_TCP, KEYS(tcp_paced), KEYS(tcp_plain), "tcp check", 0 },
	{ "http", CHECK_HTTP, KEYS(http_paced), KEYS(http_plain), "http check", 80 },
	{ "dns", CHECK_DNS, KEYS(dns_paced), KEYS(dns_plain), "dns check", 53 },
	{ "file", CHECK_FILE, KEYS(file_paced), KEYS(file_plain), "file check", 0 },
};

/* rise, fall, interval (pace_keys), then timeout with its rule. */
static int parse_pace(struct ydoc *d, yaml_node_t *n, const struct check_yaml_opts *o,
                      const struct ydoc_key *keys, size_t nkeys, struct check_conf *ck,
                      char *err, size_t errlen)
{
	ck->interval_ms = o->interval_ms;
	ck->rise = o->rise;
	ck->fall = o->fall;
	if (o->pace_keys) {
		uint32_t v;
		if (yv_u32_key(d, n, yv_find_key(keys, nkeys, "rise"), o->rise, &v, err,
		               errlen) < 0)
			return -1;
		ck->rise = v;
		if (yv_u32_key(d, n, yv_find_key(keys, nkeys, "fall"), o->fall, &v, err,
		               errlen) < 0)
			return -1;
		ck->fall = v;
		yaml_node_t *in = ydoc_map_get(d, n, "interval");
		if (in && yv_seconds_ms(d, in, "interval", o->seconds_expect, o->interval_min_ms,
		                        o->interval_max_ms, &ck->interval_ms, err, errlen) < 0)
			return -1;
	}
	/* A check must finish before the next one starts. Per-check pace:
	 * half a short interval by default, so `interval: 1` alone is valid. */
	unsigned pace = o->pace_keys ? ck->interval_ms / 2 : o->pace_ms;
	ck->timeout_ms = pace < o->timeout_default_ms ? pace : o->timeout_default_ms;
	yaml_node_t *to = ydoc_map_get(d, n, "timeout");
	if (!to)
		return 0;
	if (yv_seconds_ms(d, to, "timeout", o->seconds_expect, o->timeout_min_ms,
	                  o->timeout_max_ms, &ck->timeout_ms, err, errlen) < 0)
		return -1;
	if (o->pace_keys && ck->timeout_ms >= ck->interval_ms)
		return ydoc_err(d, to, err, errlen,
		                "timeout: %g s must be shorter than the interval (%g s)",
		                ck->timeout_ms / 1000.0, ck->interval_ms / 1000.0);
	if (!o->pace_keys && ck->timeout_ms > o->pace_ms)
		return ydoc_err(d, to, err, errlen,
		                "timeout: %g s is longer than the health interval (%g s)",
		                ck->timeout_ms / 1000.0, o->pace_ms / 1000.0);
	return 0;
}

static int parse_endpoint(struct ydoc *d, yaml_node_t *n, const struct check_yaml_opts *o,
                          const struct check_type_def *t, const struct ydoc_key *keys,
                          size_t nkeys, struct check_conf *ck, char *err, size_t errlen)
{
	uint32_t port;
	if (yv_u32_key(d, n, yv_find_key(keys, nkeys, "port"), t->default_port, &port, err,
	               errlen) < 0)
		return -1;
	uint8_t addr[16];
	int af = o->default_af;
	memcpy(addr, o->default_addr, af == AF_INET ? 4 : 16);
	yaml_node_t *an = ydoc_map_get(d, n, "address");
	if (an) {
		af = yv_addr_parse(ydoc_scalar(an), addr);
		if (af == 0)
			return ydoc_err(d, an, err, errlen, "address: bad IP address '%s'",
			                ydoc_scalar(an));
	}
	yv_set_sockaddr(&ck->addr, &ck->addrlen, af, addr, (uint16_t)port);
	return 0;
}

static int parse_http(struct ydoc *d, yaml_node_t *n, struct arena *a, struct check_conf *ck,
                      char *err, size_t errlen)
{
	yaml_node_t *v;
	ck->path = "/";
	if ((v = ydoc_map_get(d, n, "path"))) {
		const char *s = ydoc_scalar(v);
		if (s[0] != '/' || !yv_http_token_ok(s))
			return ydoc_err(d, v, err, errlen, "path: must start with '/' and contain no "
			                "spaces or control characters");
		ck->path = arena_strdup(a, s);
	}
	if ((v = ydoc_map_get(d, n, "host"))) {
		const char *s = ydoc_scalar(v);
		if (!yv_http_token_ok(s))
			return ydoc_err(d, v, err, errlen, "host: must not be empty or contain spaces "
			                "or control characters");
		ck->host = arena_strdup(a, s);
	}
	if (!(v = ydoc_map_get(d, n, "status"))) {
		ck->status = arena_alloc(a, sizeof(*ck->status));
		ck->status[0] = 200;
		ck->n_status = 1;
		return 0;
	}
	yaml_node_t **items;
	long cnt = yv_list_items(d, a, v, "status", &items, err, errlen);
	if (cnt < 0)
		return -1;
	ck->status = arena_alloc(a, (size_t)cnt * sizeof(*ck->status));
	for (long i = 0; i < cnt; i++) {
		uint32_t code;
		if (ydoc_get_u32(d, items[i], "status", 100, 599, &code, err, errlen) < 0)
			return -1;
		ck->status[i] = (uint16_t)code;
	}
	ck->n_status = (unsigned)cnt;
	return 0;
}

int check_conf_from_yaml(struct ydoc *d, yaml_node_t *n, const struct check_yaml_opts *o,
                         struct check_conf *out, char *err, size_t errlen)
{
	if (ydoc_check_map(d, n, "check", err, errlen) < 0)
		return -1;
	yaml_node_t *tn = ydoc_map_get(d, n, "type");
	if (!tn)
		return ydoc_err(d, n, err, errlen, "missing required key 'type' in check");
	const char *ts;
	if (ydoc_expect_str(d, tn, "type", &ts, err, errlen) < 0)
		return -1;
	const struct check_type_def *t = NULL;
	for (size_t i = 0; i < NKEYS(check_types); i++)
		if (strcmp(check_types[i].name, ts) == 0)
			t = &check_types[i];
	if (!t)
		return ydoc_err(d, tn, err, errlen,
		                "type: unknown check type '%s' (expected tcp, http, dns or file)", ts);
	const struct ydoc_key *keys = o->pace_keys ? t->paced : t->plain;
	size_t nkeys = o->pace_keys ? t->npaced : t->nplain;
	if (ydoc_walk_map(d, n, t->what, keys, nkeys, NULL, err, errlen) < 0)
		return -1;

	memset(out, 0, sizeof(*out));
	out->type = t->type;
	if (parse_pace(d, n, o, keys, nkeys, out, err, errlen) < 0)
		return -1;
	if (t->type == CHECK_FILE) {
		out->file = yv_resolve(o->a, o->dir, ydoc_scalar(ydoc_map_get(d, n, "file")));
		return 0;
	}
	if (parse_endpoint(d, n, o, t, keys, nkeys, out, err, errlen) < 0)
		return -1;
	if (t->type == CHECK_HTTP && parse_http(d, n, o->a, out, err, errlen) < 0)
		return -1;
	if (t->type == CHECK_DNS) {
		if (yv_qname(d, o->a, ydoc_map_get(d, n, "qname"), "qname", &out->qname, err,
		             errlen) < 0)
			return -1;
		out->qtype = RRT_A;
		yaml_node_t *v = ydoc_map_get(d, n, "qtype");
		if (v && yv_qtype(d, v, "qtype", &out->qtype, err, errlen) < 0)
			return -1;
	}
	return 0;
}
