/*
 * yaml_values.c: value parsers shared by the config loaders; see
 * yaml_values.h. Messages are part of the interface (tests compare them
 * byte for byte), so each one is written in exactly one place here.
 */
#include "common/yaml_values.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/rdata_text.h"
#include "common/zone.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

long yv_list_items(struct ydoc *d, struct arena *a, yaml_node_t *n, const char *what,
                   yaml_node_t ***out, char *err, size_t errlen)
{
	if (n->type == YAML_MAPPING_NODE)
		return ydoc_err(d, n, err, errlen, "%s: expected a value or a list of values", what);
	if (n->type == YAML_SCALAR_NODE) {
		yaml_node_t **v = arena_alloc(a, sizeof(*v));
		v[0] = n;
		*out = v;
		return 1;
	}
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt == 0)
		return ydoc_err(d, n, err, errlen, "%s: empty list", what);
	yaml_node_t **v = arena_alloc(a, cnt * sizeof(*v));
	for (size_t i = 0; i < cnt; i++)
		v[i] = ydoc_node(d, n->data.sequence.items.start[i]);
	*out = v;
	return (long)cnt;
}

int yv_number(const struct ydoc *d, const yaml_node_t *n, const char *what, const char *expect,
              double *out, char *err, size_t errlen)
{
	const char *s = ydoc_scalar(n);
	if (!s || ydoc_is_null(n))
		return ydoc_err(d, n, err, errlen, "%s: expected %s", what, expect);
	char *end;
	double v = strtod(s, &end);
	/* strtod would also take hex, inf and nan: allow decimals only. */
	if (!*s || *end || end == s || strspn(s, "0123456789+-.eE") != strlen(s) || !isfinite(v))
		return ydoc_err(d, n, err, errlen, "%s: expected %s, got '%s'", what, expect, s);
	*out = v;
	return 0;
}

int yv_seconds_ms(const struct ydoc *d, const yaml_node_t *n, const char *what,
                  const char *expect, unsigned lo_ms, unsigned hi_ms, unsigned *ms, char *err,
                  size_t errlen)
{
	double v;
	if (yv_number(d, n, what, expect, &v, err, errlen) < 0)
		return -1;
	double m = v * 1000.0;
	if (!(m >= lo_ms - 0.5 && m <= hi_ms + 0.5))
		return ydoc_err(d, n, err, errlen, "%s: %s out of range %g..%g seconds", what,
		                ydoc_scalar(n), lo_ms / 1000.0, hi_ms / 1000.0);
	*ms = (unsigned)lround(m);
	return 0;
}

int yv_bool_text(const char *s)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "on", "On" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "off", "Off" };
	for (size_t i = 0; s && i < NKEYS(yes); i++) {
		if (strcmp(s, yes[i]) == 0)
			return 1;
		if (strcmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

int yv_bool(const struct ydoc *d, const yaml_node_t *n, const char *what, bool *out, char *err,
            size_t errlen)
{
	const char *s = ydoc_scalar(n);
	int v = yv_bool_text(s);
	if (v >= 0) {
		*out = v == 1;
		return 0;
	}
	if (!s)
		return ydoc_err(d, n, err, errlen, "%s: expected true or false", what);
	return ydoc_err(d, n, err, errlen, "%s: expected true or false, got '%s'", what, s);
}

int yv_text(const struct ydoc *d, struct arena *a, const yaml_node_t *n, const char *what,
            size_t max, const char **out, char *err, size_t errlen)
{
	const char *s;
	if (ydoc_expect_str(d, n, what, &s, err, errlen) < 0)
		return -1;
	if (!*s)
		return ydoc_err(d, n, err, errlen, "%s: must not be empty", what);
	if (strlen(s) > max)
		return ydoc_err(d, n, err, errlen, "%s: longer than %zu bytes", what, max);
	*out = arena_strdup(a, s);
	return 0;
}

int yv_u32_key(struct ydoc *d, const yaml_node_t *n, const struct ydoc_key *k, uint32_t *out,
               char *err, size_t errlen)
{
	if (!k)
		return 0;
	yaml_node_t *v = ydoc_map_get(d, n, k->key);
	if (!v) {
		if (k->def && ydoc_parse_u32(k->def, out) < 0)
			return ydoc_err(d, n, err, errlen, "%s: bad built-in default '%s'", k->key, k->def);
		return 0;
	}
	return ydoc_get_u32(d, v, k->key, k->lo, k->hi, out, err, errlen);
}

int yv_seconds_key(struct ydoc *d, const yaml_node_t *n, const struct ydoc_key *k,
                   const char *expect, unsigned *ms, char *err, size_t errlen)
{
	yaml_node_t *v = ydoc_map_get(d, n, k->key);
	if (v)
		return yv_seconds_ms(d, v, k->key, expect, k->lo, k->hi, ms, err, errlen);
	if (k->def)
		*ms = (unsigned)lround(strtod(k->def, NULL) * 1000.0);
	return 0;
}

int yv_addr_af(const struct ydoc *d, const yaml_node_t *n, const char *what, int af,
               uint8_t buf[16], const char **text, char *err, size_t errlen)
{
	const char *s;
	if (ydoc_expect_str(d, n, what, &s, err, errlen) < 0)
		return -1;
	if (inet_pton(af, s, buf) != 1)
		return ydoc_err(d, n, err, errlen, "%s: bad %s address '%s'", what,
		                af == AF_INET ? "IPv4" : "IPv6", s);
	*text = s;
	return 0;
}

int yv_addr_parse(const char *s, uint8_t buf[16])
{
	if (inet_pton(AF_INET, s, buf) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return AF_INET6;
	return 0;
}

void yv_set_sockaddr(struct sockaddr_storage *ss, socklen_t *len, int af, const uint8_t *addr,
                     uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		struct sockaddr_in *sa = (struct sockaddr_in *)ss;
		sa->sin_family = AF_INET;
		sa->sin_port = htons(port);
		memcpy(&sa->sin_addr, addr, 4);
		*len = sizeof(*sa);
	} else {
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)ss;
		sa->sin6_family = AF_INET6;
		sa->sin6_port = htons(port);
		memcpy(&sa->sin6_addr, addr, 16);
		*len = sizeof(*sa);
	}
}

int yv_qname(const struct ydoc *d, struct arena *a, const yaml_node_t *n, const char *what,
             const char **out, char *err, size_t errlen)
{
	static const uint8_t root[1] = { 0 };
	uint8_t wire[DNAME_MAXLEN];
	const char *s = ydoc_scalar(n);
	if (!s || !*s || strlen(s) > DNAME_MAXTEXT || dname_from_text(s, root, wire) < 0)
		return ydoc_err(d, n, err, errlen, "%s: bad name '%.80s'", what, s ? s : "");
	*out = arena_strdup(a, s);
	return 0;
}

int yv_qtype(const struct ydoc *d, const yaml_node_t *n, const char *what, uint16_t *out,
             char *err, size_t errlen)
{
	const char *s = ydoc_scalar(n);
	int t = s ? rr_type_from_name(s) : -1;
	/* Meta types are not data one can query for (RFC 6895 3.1). */
	if (t <= 0 || t == RRT_OPT || t == RRT_AXFR || t == RRT_IXFR || t == RRT_ANY)
		return ydoc_err(d, n, err, errlen, "%s: unknown record type '%s'", what, s ? s : "");
	*out = (uint16_t)t;
	return 0;
}

bool yv_http_token_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	return *s != 0;
}

const char *yv_resolve(struct arena *a, const char *dir, const char *rel)
{
	if (rel[0] == '/')
		dir = "";
	size_t len = strlen(dir) + strlen(rel) + 1;
	char *p = arena_alloc(a, len);
	snprintf(p, len, "%s%s", dir, rel);
	return p;
}
