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

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf_schema.h"
#include "common/rdata_text.h"
#include "common/yaml_values.h"
#include "common/zone.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/* A check must finish before the next one starts, and never takes longer
 * than this by default. */
#define TIMEOUT_CAP_MS 2000
#define PACED_MIN_MS 100          /* per-check interval: 0.1 s .. 1 h */
#define PACED_TIMEOUT_MIN_MS 50   /* its timeout: down to half the shortest interval */
#define PLAIN_TIMEOUT_MIN_MS 10   /* a health-paced check's timeout: 0.01 s .. 1 h */
#define CHECK_MAX_MS 3600000

/* Seconds text -> milliseconds, as the loader rounds them. */
static unsigned ms_of(double seconds)
{
	return (unsigned)lround(seconds * 1000.0);
}

/* The default timeout for a pace: min(pace, 2 s), printed in seconds. */
static bool timeout_text(unsigned pace_ms, char *buf, size_t len)
{
	conf_seconds_text((pace_ms < TIMEOUT_CAP_MS ? pace_ms : TIMEOUT_CAP_MS) / 1000.0, buf, len);
	return true;
}

/* Per-check pace: half a short interval by default, so `interval: 1`
 * alone is valid (integer milliseconds, as parse_pace computes it). */
static bool paced_timeout(const struct ydoc_penv *e, char *buf, size_t len)
{
	return timeout_text(ms_of(ydoc_penv_number(e, 0, "interval", 0)) / 2, buf, len);
}

/* Paced by the enclosing health section (one mapping up; the list of
 * checks between is no mapping): the faster of its intervals. */
static bool plain_timeout(const struct ydoc_penv *e, char *buf, size_t len)
{
	unsigned iv = ms_of(ydoc_penv_number(e, 1, "interval", 0));
	unsigned fast = ms_of(ydoc_penv_number(e, 1, "fast_interval", iv / 1000.0));
	return timeout_text(fast < iv ? fast : iv, buf, len);
}

/* The first address of the entry holding the check (a PoP's ipv4, else
 * its ipv6): one mapping up. */
static bool entry_first_addr(const struct ydoc_penv *e, char *buf, size_t len)
{
	const char *keys[] = { "ipv4", "ipv6" };
	for (size_t i = 0; i < 2; i++) {
		yaml_node_t *m = e->depth >= 2 ? e->maps[e->depth - 2] : NULL;
		yaml_node_t *v = ydoc_map_get(e->d, m, keys[i]);
		if (v && v->type == YAML_SEQUENCE_NODE)
			v = v->data.sequence.items.start < v->data.sequence.items.top
			    ? ydoc_node(e->d, v->data.sequence.items.start[0]) : NULL;
		const char *s = ydoc_scalar(v);
		if (s) {
			snprintf(buf, len, "%s", s);
			return true;
		}
	}
	return false;
}

#define TYPE_KEY() { .key = "type", .kind = YK_STR, .required = true, \
	.doc = "what to check: tcp, http, dns or file", .type = "tcp | http | dns | file" }
#define PACE_KEYS                                                                         \
	{ .key = "interval", .kind = YK_SECONDS, .lo = PACED_MIN_MS, .hi = CHECK_MAX_MS,   \
	  .def = "5", .doc = "seconds between checks" },                                   \
	{ .key = "timeout", .kind = YK_SECONDS, .lo = PACED_TIMEOUT_MIN_MS, .hi = CHECK_MAX_MS, \
	  .def = "interval / 2, at most 2", .defprint = paced_timeout,                     \
	  .doc = "seconds one check may take; shorter than the interval" },               \
	{ .key = "rise", .kind = YK_UINT, .lo = 1, .hi = 100, .def = "2",                  \
	  .doc = "successes in a row that bring it up" },                                  \
	{ .key = "fall", .kind = YK_UINT, .lo = 1, .hi = 100, .def = "3",                  \
	  .doc = "failures in a row that bring it down" }
#define PLAIN_TIMEOUT_KEY                                                                 \
	{ .key = "timeout", .kind = YK_SECONDS, .lo = PLAIN_TIMEOUT_MIN_MS, .hi = CHECK_MAX_MS, \
	  .def = "the health interval (the faster one), at most 2", .defprint = plain_timeout, \
	  .doc = "seconds one check may take; at most the health interval" }
#define PORT_KEY(req, d) { .key = "port", .kind = YK_UINT, .lo = 1, .hi = 65535, .required = req, \
	.def = d, .doc = "port to connect to" }
#define PACED_ADDRESS_KEY { .key = "address", .kind = YK_STR, .def = "the PoP's first address", \
	.defprint = entry_first_addr, .doc = "IPv4 or IPv6 address to check" }
#define PLAIN_ADDRESS_KEY { .key = "address", .kind = YK_STR, .def = "127.0.0.1", \
	.doc = "IPv4 or IPv6 address to check" }
#define HTTP_KEYS                                                                         \
	{ .key = "path", .kind = YK_STR, .def = "/", .doc = "path of the GET request" },   \
	{ .key = "host", .kind = YK_STR, .doc = "Host header; absent: the address" },     \
	{ .key = "status", .kind = YK_ANY, .lo = 100, .hi = 599, .def = "[200]",         \
	  .type = "code or list of codes",                                                 \
	  .doc = "status codes that count as up" }
#define DNS_KEYS                                                                          \
	{ .key = "qname", .kind = YK_STR, .required = true,                                \
	  .doc = "name to ask for; up on NOERROR" },                                       \
	{ .key = "qtype", .kind = YK_STR, .def = "A", .type = "record type",              \
	  .doc = "type to ask for" }
#define FILE_KEYS { .key = "file", .kind = YK_STR, .required = true, .flags = YF_PATH, \
	.doc = "file holding up, down or drain, read again when it changes" }

/* With per-check pace (geo PoPs): every type takes the pace keys. */
static const struct ydoc_key tcp_paced[] = { TYPE_KEY(), PACE_KEYS, PORT_KEY(true, NULL),
                                             PACED_ADDRESS_KEY };
static const struct ydoc_key http_paced[] = { TYPE_KEY(), PACE_KEYS, PORT_KEY(false, "80"),
                                              PACED_ADDRESS_KEY, HTTP_KEYS };
static const struct ydoc_key dns_paced[] = { TYPE_KEY(), PACE_KEYS, PORT_KEY(false, "53"),
                                             PACED_ADDRESS_KEY, DNS_KEYS };
static const struct ydoc_key file_paced[] = { TYPE_KEY(), PACE_KEYS, FILE_KEYS };
/* Without (anycast): a timeout only, and a file check has none (reading a
 * local file cannot hang). */
static const struct ydoc_key tcp_plain[] = { TYPE_KEY(), PLAIN_TIMEOUT_KEY, PORT_KEY(true, NULL),
                                             PLAIN_ADDRESS_KEY };
static const struct ydoc_key http_plain[] = { TYPE_KEY(), PLAIN_TIMEOUT_KEY,
                                              PORT_KEY(false, "80"), PLAIN_ADDRESS_KEY,
                                              HTTP_KEYS };
static const struct ydoc_key dns_plain[] = { TYPE_KEY(), PLAIN_TIMEOUT_KEY, PORT_KEY(false, "53"),
                                             PLAIN_ADDRESS_KEY, DNS_KEYS };
static const struct ydoc_key file_plain[] = { TYPE_KEY(), FILE_KEYS };

#define VARIANT(t_, k_) { .what = t_ " check", .keys = k_, .n = NKEYS(k_), .tag = t_ }
static const struct ydoc_table paced_tables[] = {
	VARIANT("tcp", tcp_paced), VARIANT("http", http_paced),
	VARIANT("dns", dns_paced), VARIANT("file", file_paced),
};
static const struct ydoc_table plain_tables[] = {
	VARIANT("tcp", tcp_plain), VARIANT("http", http_plain),
	VARIANT("dns", dns_plain), VARIANT("file", file_plain),
};
static const struct ydoc_table *const paced_list[] = {
	&paced_tables[0], &paced_tables[1], &paced_tables[2], &paced_tables[3],
};
static const struct ydoc_table *const plain_list[] = {
	&plain_tables[0], &plain_tables[1], &plain_tables[2], &plain_tables[3],
};
const struct ydoc_table check_paced_table = {
	.what = "check", .variant_key = "type", .variants = paced_list, .nvariants = 4,
};
const struct ydoc_table check_plain_table = {
	.what = "check", .variant_key = "type", .variants = plain_list, .nvariants = 4,
};

static const enum check_type check_type_of[] = { CHECK_TCP, CHECK_HTTP, CHECK_DNS, CHECK_FILE };

/* rise, fall, interval (pace_keys), then timeout with its rule. */
static int parse_pace(struct ydoc *d, yaml_node_t *n, const struct check_yaml_opts *o,
                      const struct ydoc_table *t, struct check_conf *ck, char *err,
                      size_t errlen)
{
	ck->interval_ms = o->interval_ms;
	ck->rise = o->rise;
	ck->fall = o->fall;
	if (o->pace_keys) {
		uint32_t v = 0;
		if (yv_u32_key(d, n, ydoc_table_key(t, "rise"), &v, err, errlen) < 0)
			return -1;
		ck->rise = v;
		if (yv_u32_key(d, n, ydoc_table_key(t, "fall"), &v, err, errlen) < 0)
			return -1;
		ck->fall = v;
		if (yv_seconds_key(d, n, ydoc_table_key(t, "interval"), o->seconds_expect,
		                   &ck->interval_ms, err, errlen) < 0)
			return -1;
	}
	/* A check must finish before the next one starts (see paced_timeout
	 * and plain_timeout, which print these defaults). */
	unsigned pace = o->pace_keys ? ck->interval_ms / 2 : o->pace_ms;
	ck->timeout_ms = pace < TIMEOUT_CAP_MS ? pace : TIMEOUT_CAP_MS;
	const struct ydoc_key *tk = ydoc_table_key(t, "timeout");
	yaml_node_t *to = ydoc_map_get(d, n, "timeout");
	if (!to)
		return 0;
	if (yv_seconds_ms(d, to, "timeout", o->seconds_expect, tk->lo, tk->hi, &ck->timeout_ms, err,
	                  errlen) < 0)
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
                          const struct ydoc_table *t, struct check_conf *ck, char *err,
                          size_t errlen)
{
	uint32_t port = 0;
	if (yv_u32_key(d, n, ydoc_table_key(t, "port"), &port, err, errlen) < 0)
		return -1;
	uint8_t addr[16];
	int af = o->default_af;
	const struct ydoc_key *ak = ydoc_table_key(t, "address");
	if (ak->def && !ak->defprint)
		af = yv_addr_parse(ak->def, addr);   /* a fixed default (anycast: loopback) */
	else
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
	ck->path = ydoc_table_key(&paced_tables[1], "path")->def;
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
		/* The row's default, "[200]". */
		ck->status = arena_alloc(a, sizeof(*ck->status));
		ck->status[0] = (uint16_t)strtoul(ydoc_table_key(&paced_tables[1], "status")->def + 1,
		                                  NULL, 10);
		ck->n_status = 1;
		return 0;
	}
	const struct ydoc_key *sk = ydoc_table_key(&paced_tables[1], "status");
	yaml_node_t **items;
	long cnt = yv_list_items(d, a, v, "status", &items, err, errlen);
	if (cnt < 0)
		return -1;
	ck->status = arena_alloc(a, (size_t)cnt * sizeof(*ck->status));
	for (long i = 0; i < cnt; i++) {
		uint32_t code;
		if (ydoc_get_u32(d, items[i], "status", sk->lo, sk->hi, &code, err, errlen) < 0)
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
	const struct ydoc_table *const *tables = o->pace_keys ? paced_list : plain_list;
	const struct ydoc_table *t = NULL;
	size_t ti;
	for (ti = 0; ti < NKEYS(check_type_of); ti++)
		if (strcmp(tables[ti]->tag, ts) == 0) {
			t = tables[ti];
			break;
		}
	if (!t)
		return ydoc_err(d, tn, err, errlen,
		                "type: unknown check type '%s' (expected tcp, http, dns or file)", ts);
	if (ydoc_walk_table(d, n, t, NULL, err, errlen) < 0)
		return -1;

	memset(out, 0, sizeof(*out));
	out->type = check_type_of[ti];
	if (parse_pace(d, n, o, t, out, err, errlen) < 0)
		return -1;
	if (out->type == CHECK_FILE) {
		out->file = yv_resolve(o->a, o->dir, ydoc_scalar(ydoc_map_get(d, n, "file")));
		return 0;
	}
	if (parse_endpoint(d, n, o, t, out, err, errlen) < 0)
		return -1;
	if (out->type == CHECK_HTTP && parse_http(d, n, o->a, out, err, errlen) < 0)
		return -1;
	if (out->type == CHECK_DNS) {
		if (yv_qname(d, o->a, ydoc_map_get(d, n, "qname"), "qname", &out->qname, err,
		             errlen) < 0)
			return -1;
		out->qtype = (uint16_t)rr_type_from_name(ydoc_table_key(t, "qtype")->def);
		yaml_node_t *v = ydoc_map_get(d, n, "qtype");
		if (v && yv_qtype(d, v, "qtype", &out->qtype, err, errlen) < 0)
			return -1;
	}
	return 0;
}
