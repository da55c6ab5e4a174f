/*
 * qlog_fmt.c: one decision-log record as a JSON line, by hand. Field order
 * and types follow compare/formats.md, and compare's fast scanner relies
 * on that order.
 *
 * This runs for every logged answer (300k a second and more), so it writes
 * straight into the output buffer: no printf on the common paths (the date
 * is formatted once per second, numbers by integer arithmetic), strings
 * copied in runs. It produced 3.3 us a record with vsnprintf; the output
 * is the same byte for byte.
 *
 * PoP health event lines (qlog_format_event) share the ts and server
 * fields' code with the answer lines.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/health.h"
#include "common/qlog.h"
#include "common/zone.h"

static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

/* A JSON string (RFC 8259 7): quote, backslash and control characters
 * escaped; other bytes as they are (config strings are UTF-8, as libyaml
 * requires; names are presentation text, which escapes non-ASCII). Plain
 * runs are copied whole. */
/* Bytes a JSON string can hold as they are: not NUL (the end), not a
 * control character, DEL, quote or backslash. */
static const bool json_plain[256] = {
	[0x20 ... 0x21] = true,     /* 0x22 is the quote */
	[0x23 ... 0x5b] = true,     /* 0x5c is the backslash */
	[0x5d ... 0x7e] = true,     /* 0x7f is DEL */
	[0x80 ... 0xff] = true,
};

static char *put_str(char *p, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	*p++ = '"';
	for (;;) {
		const char *run = s;
		while (json_plain[(unsigned char)*s])
			s++;
		p = put(p, run, (size_t)(s - run));
		unsigned char c = (unsigned char)*s;
		if (!c)
			break;
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else {
			p = PUT_LIT(p, "\\u00");
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
		s++;
	}
	*p++ = '"';
	return p;
}

/* ,"key": (k a string literal: its length is known at compile time) */
#define put_key(p, k) PUT_LIT((p), ",\"" k "\":")

static char *put_str_or_null_(char *p, const char *v)
{
	return v && v[0] ? put_str(p, v) : PUT_LIT(p, "null");
}

#define put_str_or_null(p, k, v) put_str_or_null_(put_key((p), k), (v))

static char *put_uint(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* As printf "%.*f" with prec 1 or 4. v * 10^prec is rounded to the
 * nearest integer, half away from zero (as llround); only where that
 * product lies within 1e-6 of a half (where its own rounding could
 * decide, or printf's round-half-even on an exact tie) is printf asked.
 * Inlined with prec a constant, so the divisions become multiplications,
 * and without libm calls (floor, llround): 4 numbers a line. */
static inline __attribute__((always_inline)) char *put_fixed(char *p, double v, int prec)
{
	const uint64_t unit = prec == 1 ? 10 : 10000;
	double t = fabs(v) * (double)unit;
	if (!(t < 1e15))
		return p + sprintf(p, "%.*f", prec, v);
	/* For 0 <= t < 2^63 the conversion truncates, i.e. floors, and
	 * t - floor(t) is exact. */
	uint64_t n = (uint64_t)t;
	double frac = t - (double)n;
	if (fabs(frac - 0.5) < 1e-6)
		return p + sprintf(p, "%.*f", prec, v);
	n += frac > 0.5;
	if (v < 0 && n != 0)
		*p++ = '-';
	else if (signbit(v) && n == 0)
		*p++ = '-';   /* printf prints -0.0 for tiny negatives */
	p = put_uint(p, n / unit);
	*p++ = '.';
	uint64_t f = n % unit;
	for (int i = prec - 1; i >= 0; i--) {
		p[i] = (char)('0' + f % 10);
		f /= 10;
	}
	return p + prec;
}

static inline __attribute__((always_inline)) char *put_num_or_null_(char *p, bool have, double v,
                                                                    int prec)
{
	return have ? put_fixed(p, v, prec) : PUT_LIT(p, "null");
}

#define put_num_or_null(p, k, have, v, prec) put_num_or_null_(put_key((p), k), (have), (v), (prec))

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Dotted quad, as inet_ntop writes it: each octet's digits from a table
 * (built once; two addresses a record). */
static char octet_text[256][4];   /* digits, then the count in [3] */

static void __attribute__((constructor)) octet_text_init(void)
{
	for (int i = 0; i < 256; i++) {
		char *e = put_uint(octet_text[i], (uint64_t)i);
		octet_text[i][3] = (char)(e - octet_text[i]);
	}
}

static char *put_ipv4(char *p, const uint8_t a[4])
{
	for (int i = 0; i < 4; i++) {
		const char *t = octet_text[a[i]];
		memcpy(p, t, 3);     /* the count says how many of them count */
		p += t[3];
		*p++ = '.';
	}
	return p - 1;
}

/*
 * IPv6 text exactly as glibc's inet_ntop writes it (RFC 5952 style: lower
 * case hex without leading zeros, the longest run of two or more zero
 * groups, the first of equals, as "::"; ::ffff:a.b.c.d and ::a.b.c.d
 * with the last 32 bits dotted). inet_ntop formats each group with
 * sprintf, ~660 instructions an address, on every logged IPv6 client.
 */
static char *put_ipv6(char *p, const uint8_t a[16])
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8];
	int best = -1, best_len = 0;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8;) {
		if (w[i]) {
			i++;
			continue;
		}
		int j = i;
		while (j < 8 && !w[j])
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j;
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			*p++ = ':';
			i += best_len - 1;
			if (i == 7)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		/* The last 32 bits as a dotted quad after six zero groups, or
		 * after five and ffff (glibc's test, kept to the letter). */
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return put_ipv4(p, a + 12);
		unsigned v = w[i];
		int shift = v >= 0x1000 ? 12 : v >= 0x100 ? 8 : v >= 0x10 ? 4 : 0;
		for (; shift >= 0; shift -= 4)
			*p++ = hex[(v >> shift) & 15];
	}
	return p;
}

/* addr16/len in the 128-bit space as a JSON string: IPv4 when v4-mapped. */
static char *put_prefix(char *p, const uint8_t a[16], unsigned len, bool want_len)
{
	bool v4 = memcmp(a, v4_mapped, 12) == 0 && len >= 96;
	*p++ = '"';
	p = v4 ? put_ipv4(p, a + 12) : put_ipv6(p, a);
	if (want_len) {
		*p++ = '/';
		p = put_uint(p, v4 ? len - 96 : len);
	}
	*p++ = '"';
	return p;
}

static const char *method_name(uint8_t m)
{
	return m == QLOG_ANYCAST ? "anycast" : "geodns";
}

/* "YYYY-MM-DDTHH:MM:SS." for one second, formatted once per second per
 * thread (records come in time order, so this is nearly always a hit). */
static char *put_time(char *p, int64_t ts_ms)
{
	static _Thread_local int64_t cached_sec = -1;
	static _Thread_local char cached[32];
	static _Thread_local size_t cached_len;
	int64_t sec = ts_ms / 1000;
	if (sec != cached_sec) {
		time_t t = (time_t)sec;
		struct tm tm;
		gmtime_r(&t, &tm);
		int n = snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d.",
		                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		                 tm.tm_sec);
		cached_len = n > 0 && (size_t)n < sizeof(cached) ? (size_t)n : 0;
		cached_sec = sec;
	}
	p = put(p, cached, cached_len);
	int ms = (int)(ts_ms % 1000);
	*p++ = (char)('0' + ms / 100);
	*p++ = (char)('0' + ms / 10 % 10);
	*p++ = (char)('0' + ms % 10);
	return p;
}

/* The start every line shares: {"ts":"<RFC 3339, UTC, ms>Z","server":... */
static char *put_head(char *p, int64_t ts_ms, const char *server)
{
	p = PUT_LIT(p, "{\"ts\":\"");
	p = put_time(p, ts_ms);
	p = PUT_LIT(p, "Z\"");
	return put_str_or_null(p, "server", server);
}

size_t qlog_format_event(const struct qlog_event *ev, char *buf, size_t cap)
{
	char *p = buf;

	if (cap < QLOG_LINE_MAX)
		return 0;
	p = put_head(p, ev->ts_ms, ev->server);
	p = PUT_LIT(p, ",\"event\":\"health\"");
	p = put_str_or_null(p, "pop", ev->pop);
	p = put_str_or_null(p, "state", health_state_name((enum health_state)ev->state));
	p = PUT_LIT(p, "}\n");
	return (size_t)(p - buf);
}

size_t qlog_format(const struct qlog_rec *r, char *buf, size_t cap)
{
	char tmp[DNAME_MAXTEXT];
	char *p = buf;

	if (cap < QLOG_LINE_MAX)
		return 0;
	p = put_head(p, r->ts_ms, r->server);
	p = put_str_or_null(p, "method", method_name(r->method));
	p = put_str_or_null(p, "arm", r->arm ? method_name(r->arm) : NULL);
	if (dname_to_text(r->qname, tmp, sizeof(tmp)) < 0)
		tmp[0] = 0;
	p = put_str_or_null(p, "qname", tmp);
	p = put_key(p, "qtype");
	if (r->qtype == RRT_A) {
		p = PUT_LIT(p, "\"A\"");
	} else if (r->qtype == RRT_AAAA) {
		p = PUT_LIT(p, "\"AAAA\"");
	} else {
		p = PUT_LIT(p, "\"TYPE");   /* RFC 3597 5 */
		p = put_uint(p, r->qtype);
		*p++ = '"';
	}
	if (r->has_resolver)
		p = put_prefix(put_key(p, "resolver"), r->resolver, 128, false);
	else
		p = put_str_or_null(p, "resolver", NULL);
	p = put_key(p, "ecs");
	if (r->ecs_family) {
		/* The option's own family: an IPv4 subnet in a family-2
		 * option stays IPv6 text. */
		*p++ = '"';
		p = r->ecs_family == 1 ? put_ipv4(p, r->ecs_addr) : put_ipv6(p, r->ecs_addr);
		*p++ = '/';
		p = put_uint(p, r->ecs_source);
		*p++ = '"';
	} else {
		p = PUT_LIT(p, "null");
	}
	if (r->has_client)
		p = put_prefix(put_key(p, "client"), r->client, r->client_len, true);
	else
		p = put_str_or_null(p, "client", NULL);
	p = put_str_or_null(p, "country", r->country);
	p = put_str_or_null(p, "continent", r->continent);
	p = put_num_or_null(p, "lat", r->has_coords, r->lat, 4);
	p = put_num_or_null(p, "lon", r->has_coords, r->lon, 4);
	p = put_str_or_null(p, "pop", r->pop);
	p = put_str_or_null(p, "nearest", r->nearest);
	p = put_num_or_null(p, "pop_km", r->has_pop_km, r->pop_km, 1);
	p = put_num_or_null(p, "nearest_km", r->has_nearest_km, r->nearest_km, 1);
	p = put_key(p, "scope");
	if (r->scope >= 0)
		p = put_uint(p, (uint64_t)r->scope);
	else
		p = PUT_LIT(p, "null");
	p = PUT_LIT(p, "}\n");
	return (size_t)(p - buf);
}
