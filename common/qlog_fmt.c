/*
 * qlog_fmt.c: one decision-log record as a JSON line, by hand (this runs
 * for every logged answer on the control thread; a JSON library would
 * allocate per field). Field order and types follow compare/formats.md.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/qlog.h"
#include "common/zone.h"

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->cap - o->len < n) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) putf(struct out *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->full = true;
		return;
	}
	put(o, tmp, (size_t)n);
}

/* A JSON string (RFC 8259 7): quote, backslash and control characters
 * escaped; other bytes as they are (config strings are UTF-8, as libyaml
 * requires; names are presentation text, which escapes non-ASCII). */
static void put_str(struct out *o, const char *s)
{
	put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(o, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			putf(o, "\\u%04x", c);
		} else {
			put(o, (const char *)&c, 1);
		}
	}
	put(o, "\"", 1);
}

static void put_key(struct out *o, const char *k, bool first)
{
	if (!first)
		put(o, ",", 1);
	put_str(o, k);
	put(o, ":", 1);
}

static void put_str_or_null(struct out *o, const char *k, const char *v)
{
	put_key(o, k, false);
	if (v && v[0])
		put_str(o, v);
	else
		puts_(o, "null");
}

static void put_num_or_null(struct out *o, const char *k, bool have, double v, int prec)
{
	put_key(o, k, false);
	if (have)
		putf(o, "%.*f", prec, v);
	else
		puts_(o, "null");
}

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* addr16/len in the 128-bit space as text: IPv4 when v4-mapped. */
static void prefix_text(const uint8_t a[16], unsigned len, bool want_len, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	bool v4 = memcmp(a, v4_mapped, 12) == 0 && len >= 96;
	inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? a + 12 : a, ip, sizeof(ip));
	if (want_len)
		snprintf(buf, cap, "%s/%u", ip, v4 ? len - 96 : len);
	else
		snprintf(buf, cap, "%s", ip);
}

static const char *method_name(uint8_t m)
{
	return m == QLOG_ANYCAST ? "anycast" : "geodns";
}

static void qtype_text(uint16_t t, char *buf, size_t cap)
{
	switch (t) {
	case RRT_A: snprintf(buf, cap, "A"); break;
	case RRT_AAAA: snprintf(buf, cap, "AAAA"); break;
	default: snprintf(buf, cap, "TYPE%u", t); break;  /* RFC 3597 5 */
	}
}

size_t qlog_format(const struct qlog_rec *r, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, false };
	char tmp[DNAME_MAXTEXT];

	/* RFC 3339, UTC, milliseconds. */
	time_t sec = (time_t)(r->ts_ms / 1000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	put(&o, "{", 1);
	put_key(&o, "ts", true);
	putf(&o, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
	     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(r->ts_ms % 1000));
	put_str_or_null(&o, "server", r->server);
	put_str_or_null(&o, "method", method_name(r->method));
	put_str_or_null(&o, "arm", r->arm ? method_name(r->arm) : NULL);
	if (dname_to_text(r->qname, tmp, sizeof(tmp)) < 0)
		tmp[0] = 0;
	put_str_or_null(&o, "qname", tmp);
	qtype_text(r->qtype, tmp, sizeof(tmp));
	put_str_or_null(&o, "qtype", tmp);
	if (r->has_resolver)
		prefix_text(r->resolver, 128, false, tmp, sizeof(tmp));
	put_str_or_null(&o, "resolver", r->has_resolver ? tmp : NULL);
	if (r->ecs_family) {
		/* The option's own family: an IPv4 subnet in a family-2
		 * option stays IPv6 text. */
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(r->ecs_family == 1 ? AF_INET : AF_INET6, r->ecs_addr, ip, sizeof(ip));
		snprintf(tmp, sizeof(tmp), "%s/%u", ip, r->ecs_source);
	}
	put_str_or_null(&o, "ecs", r->ecs_family ? tmp : NULL);
	if (r->has_client)
		prefix_text(r->client, r->client_len, true, tmp, sizeof(tmp));
	put_str_or_null(&o, "client", r->has_client ? tmp : NULL);
	put_str_or_null(&o, "country", r->country);
	put_str_or_null(&o, "continent", r->continent);
	put_num_or_null(&o, "lat", r->has_coords, r->lat, 4);
	put_num_or_null(&o, "lon", r->has_coords, r->lon, 4);
	put_str_or_null(&o, "pop", r->pop);
	put_str_or_null(&o, "nearest", r->nearest);
	put_num_or_null(&o, "pop_km", r->has_pop_km, r->pop_km, 1);
	put_num_or_null(&o, "nearest_km", r->has_nearest_km, r->nearest_km, 1);
	put_key(&o, "scope", false);
	if (r->scope >= 0)
		putf(&o, "%d", r->scope);
	else
		puts_(&o, "null");
	put(&o, "}\n", 2);
	return o.full ? 0 : o.len;
}
