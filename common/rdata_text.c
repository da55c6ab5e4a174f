/*
 * rdata_text.c: presentation-format rdata to wire form. See rdata_text.h.
 *
 * Text is split into blank-separated tokens; a token starting with '"' runs
 * to the matching unescaped '"' (RFC 1035 5.1 character-strings), and a
 * backslash always protects the next character, so "a\ b" is one token.
 */
#include "common/rdata_text.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/dname.h"
#include "common/wire.h"
#include "common/zone.h"

#define MAX_TOKENS 16  /* for fixed-field types; TXT is tokenized lazily */

struct tok {
	const char *p;   /* raw text, quotes and escapes included */
	size_t len;
	bool quoted;
};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Next token from *s. Returns 1 with t set, 0 at the end, -1 on an
 * unterminated quote or a trailing backslash. */
static int next_tok(const char **s, struct tok *t, char *err, size_t errlen)
{
	const char *p = *s;
	while (is_blank(*p))
		p++;
	if (!*p) {
		*s = p;
		return 0;
	}
	t->p = p;
	t->quoted = *p == '"';
	if (t->quoted)
		p++;
	for (;;) {
		if (!*p) {
			if (t->quoted)
				return fail(err, errlen, "unterminated quoted string");
			break;
		}
		if (*p == '\\') {
			if (!p[1])
				return fail(err, errlen, "backslash at end of text");
			p += 2;
			continue;
		}
		if (t->quoted && *p == '"') {
			p++;
			/* A closing quote must end the token: `"a"b` is ambiguous. */
			if (*p && !is_blank(*p))
				return fail(err, errlen, "missing blank after closing quote");
			break;
		}
		if (!t->quoted && is_blank(*p))
			break;
		p++;
	}
	t->len = (size_t)(p - t->p);
	*s = p;
	return 1;
}

/* Split all of text into at most max tokens. Returns the count or -1. */
static int split(const char *text, struct tok *toks, int max, char *err, size_t errlen)
{
	int n = 0, r;
	struct tok t;
	while ((r = next_tok(&text, &t, err, errlen)) > 0) {
		if (n == max)
			return fail(err, errlen, "too many fields");
		toks[n++] = t;
	}
	return r < 0 ? -1 : n;
}

/* Decode a token's content (quotes stripped, \X and \DDD resolved) into out,
 * at most cap bytes. what names the field in messages. Returns the length
 * or -1. */
static int unescape(const struct tok *t, uint8_t *out, size_t cap, const char *what,
                    char *err, size_t errlen)
{
	const char *p = t->p, *end = t->p + t->len;
	size_t n = 0;
	if (t->quoted) {
		p++;
		end--;
	}
	while (p < end) {
		unsigned c = (unsigned char)*p++;
		if (c == '\\' && p < end) {
			if (p[0] >= '0' && p[0] <= '9') {
				/* \DDD: exactly three decimal digits, value <= 255. */
				if (end - p < 3 || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
					return fail(err, errlen, "%s: bad \\DDD escape", what);
				c = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
				if (c > 255)
					return fail(err, errlen, "%s: bad \\DDD escape (%u > 255)", what, c);
				p += 3;
			} else {
				c = (unsigned char)*p++;
			}
		}
		if (n == cap)
			return fail(err, errlen, "%s: string longer than %zu bytes", what, cap);
		out[n++] = (uint8_t)c;
	}
	return (int)n;
}

/* Copy a token to a C string for inet_pton and the like. */
static int tok_str(const struct tok *t, char *buf, size_t cap, const char *what,
                   char *err, size_t errlen)
{
	if (t->len >= cap)
		return fail(err, errlen, "%s too long", what);
	memcpy(buf, t->p, t->len);
	buf[t->len] = 0;
	return 0;
}

static int tok_num(const struct tok *t, uint32_t max, const char *what, uint32_t *out,
                   char *err, size_t errlen)
{
	uint64_t v = 0;
	if (t->quoted || t->len == 0 || t->len > 10)
		goto bad;
	for (size_t i = 0; i < t->len; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			goto bad;
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	if (v > max)
		return fail(err, errlen, "%s: %llu out of range 0..%u", what, (unsigned long long)v, max);
	*out = (uint32_t)v;
	return 0;
bad:
	return fail(err, errlen, "%s: expected an integer 0..%u, got '%.*s'", what, max,
	            (int)(t->len > 64 ? 64 : t->len), t->p);
}

static const char *dname_errstr(int rc)
{
	switch (rc) {
	case DNAME_ELABEL: return "label longer than 63 bytes";
	case DNAME_ETOOLONG: return "name longer than 255 bytes";
	default: return "bad name syntax";
	}
}

/* Parse a name token and append its wire form. */
static int put_name(struct wire_wr *w, const struct tok *t, const uint8_t *origin,
                    const char *what, char *err, size_t errlen)
{
	char buf[DNAME_MAXTEXT + 1];
	uint8_t name[DNAME_MAXLEN];
	if (t->quoted)
		return fail(err, errlen, "%s: a name cannot be quoted", what);
	if (tok_str(t, buf, sizeof(buf), what, err, errlen) < 0)
		return -1;
	if (!origin && buf[t->len - 1] != '.')
		return fail(err, errlen, "%s: '%s' must be absolute (end in '.')", what, buf);
	int rc = dname_from_text(buf, origin, name);
	if (rc < 0) {
		/* Long names would flood the message; show their start only. */
		return fail(err, errlen, "%s: bad name '%.*s%s': %s", what, 80, buf,
		            strlen(buf) > 80 ? "..." : "", dname_errstr(rc));
	}
	wire_wr_bytes(w, name, (size_t)rc);
	return 0;
}

static int want(int n, int expect, const char *type, const char *fields, char *err, size_t errlen)
{
	if (n == expect)
		return 0;
	if (n == 0)
		return fail(err, errlen, "%s: empty rdata, expected '%s'", type, fields);
	return fail(err, errlen, "%s: expected %d field%s '%s', got %d", type, expect,
	            expect == 1 ? "" : "s", fields, n);
}

/* TXT, RFC 1035 3.3.14: one or more <character-string>s. */
static int txt(struct wire_wr *w, const char *text, char *err, size_t errlen)
{
	uint8_t buf[255];
	if (text[0] != '"') {
		/* Literal text: the common case in YAML ("v=spf1 -all") needs no
		 * DNS quoting; long text is cut into 255-byte strings. */
		size_t len = strlen(text);
		size_t off = 0;
		do {
			size_t n = len - off > 255 ? 255 : len - off;
			wire_wr_u8(w, (uint8_t)n);
			wire_wr_bytes(w, text + off, n);
			off += n;
		} while (off < len);
		return 0;
	}
	struct tok t;
	int r;
	while ((r = next_tok(&text, &t, err, errlen)) > 0) {
		int n = unescape(&t, buf, sizeof(buf), "TXT", err, errlen);
		if (n < 0)
			return -1;
		wire_wr_u8(w, (uint8_t)n);
		wire_wr_bytes(w, buf, (size_t)n);
	}
	return r < 0 ? -1 : 0;
}

/* CAA, RFC 8659 4.1.1: flags, tag (1..15 letters/digits), value. */
static int caa(struct wire_wr *w, const struct tok *tk, int n, char *err, size_t errlen)
{
	uint32_t flags;
	uint8_t val[4096];
	if (want(n, 3, "CAA", "flags tag value", err, errlen) < 0)
		return -1;
	if (tok_num(&tk[0], 255, "CAA flags", &flags, err, errlen) < 0)
		return -1;
	if (tk[1].quoted || tk[1].len < 1 || tk[1].len > 15)
		return fail(err, errlen, "CAA tag: expected 1..15 letters and digits, got '%.*s'",
		            (int)(tk[1].len > 64 ? 64 : tk[1].len), tk[1].p);
	for (size_t i = 0; i < tk[1].len; i++) {
		char c = tk[1].p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return fail(err, errlen, "CAA tag: expected 1..15 letters and digits, got '%.*s'",
			            (int)tk[1].len, tk[1].p);
	}
	int vlen = unescape(&tk[2], val, sizeof(val), "CAA value", err, errlen);
	if (vlen < 0)
		return -1;
	wire_wr_u8(w, (uint8_t)flags);
	wire_wr_u8(w, (uint8_t)tk[1].len);
	/* Tags are case-insensitive (RFC 8659 4.1); store them lowercase so
	 * answers look canonical. */
	for (size_t i = 0; i < tk[1].len; i++) {
		char c = tk[1].p[i];
		wire_wr_u8(w, (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c));
	}
	wire_wr_bytes(w, val, (size_t)vlen);
	return 0;
}

static int addr(struct wire_wr *w, int af, const struct tok *tk, int n, char *err, size_t errlen)
{
	const char *type = af == AF_INET ? "A" : "AAAA";
	char buf[INET6_ADDRSTRLEN + 8];
	uint8_t a[16];
	if (want(n, 1, type, af == AF_INET ? "IPv4 address" : "IPv6 address", err, errlen) < 0)
		return -1;
	if (tk[0].quoted || tk[0].len >= sizeof(buf) ||
	    (memcpy(buf, tk[0].p, tk[0].len), buf[tk[0].len] = 0, inet_pton(af, buf, a) != 1))
		return fail(err, errlen, "%s: bad IPv%d address '%.*s'", type, af == AF_INET ? 4 : 6,
		            (int)(tk[0].len > 64 ? 64 : tk[0].len), tk[0].p);
	wire_wr_bytes(w, a, af == AF_INET ? 4 : 16);
	return 0;
}

int rdata_from_text(uint16_t type, const char *text, const uint8_t *origin,
                    uint8_t *out, size_t cap, char *err, size_t errlen)
{
	struct tok tk[MAX_TOKENS];
	struct wire_wr w = wire_wr_init(out, cap > 65535 ? 65535 : cap);
	uint32_t v[5];
	int n = 0;

	if (type != RRT_TXT && (n = split(text, tk, MAX_TOKENS, err, errlen)) < 0)
		return -1;

	switch (type) {
	case RRT_A:
		if (addr(&w, AF_INET, tk, n, err, errlen) < 0)
			return -1;
		break;
	case RRT_AAAA:
		if (addr(&w, AF_INET6, tk, n, err, errlen) < 0)
			return -1;
		break;
	case RRT_NS:
	case RRT_CNAME:
	case RRT_PTR: {
		const char *tn = rr_type_name(type);
		if (want(n, 1, tn, "name", err, errlen) < 0 ||
		    put_name(&w, &tk[0], origin, tn, err, errlen) < 0)
			return -1;
		break;
	}
	case RRT_MX:
		/* RFC 1035 3.3.9 */
		if (want(n, 2, "MX", "preference exchange", err, errlen) < 0 ||
		    tok_num(&tk[0], 65535, "MX preference", &v[0], err, errlen) < 0)
			return -1;
		wire_wr_u16(&w, (uint16_t)v[0]);
		if (put_name(&w, &tk[1], origin, "MX exchange", err, errlen) < 0)
			return -1;
		break;
	case RRT_SRV:
		/* RFC 2782: the target is never compressed, which our uncompressed
		 * storage already guarantees. */
		if (want(n, 4, "SRV", "priority weight port target", err, errlen) < 0 ||
		    tok_num(&tk[0], 65535, "SRV priority", &v[0], err, errlen) < 0 ||
		    tok_num(&tk[1], 65535, "SRV weight", &v[1], err, errlen) < 0 ||
		    tok_num(&tk[2], 65535, "SRV port", &v[2], err, errlen) < 0)
			return -1;
		wire_wr_u16(&w, (uint16_t)v[0]);
		wire_wr_u16(&w, (uint16_t)v[1]);
		wire_wr_u16(&w, (uint16_t)v[2]);
		if (put_name(&w, &tk[3], origin, "SRV target", err, errlen) < 0)
			return -1;
		break;
	case RRT_SOA: {
		/* RFC 1035 3.3.13 */
		static const char *const what[5] = { "SOA serial", "SOA refresh", "SOA retry",
		                                     "SOA expire", "SOA minimum" };
		if (want(n, 7, "SOA", "mname rname serial refresh retry expire minimum", err,
		         errlen) < 0 ||
		    put_name(&w, &tk[0], origin, "SOA mname", err, errlen) < 0 ||
		    put_name(&w, &tk[1], origin, "SOA rname", err, errlen) < 0)
			return -1;
		for (int i = 0; i < 5; i++) {
			if (tok_num(&tk[2 + i], UINT32_MAX, what[i], &v[i], err, errlen) < 0)
				return -1;
			wire_wr_u32(&w, v[i]);
		}
		break;
	}
	case RRT_TXT:
		if (txt(&w, text, err, errlen) < 0)
			return -1;
		break;
	case RRT_CAA:
		if (caa(&w, tk, n, err, errlen) < 0)
			return -1;
		break;
	default:
		return fail(err, errlen, "type %u is not supported", type);
	}
	if (w.err)
		return fail(err, errlen, "%s: rdata longer than %zu bytes", rr_type_name(type),
		            w.cap);
	return (int)w.pos;
}

static const struct {
	const char *name;
	uint16_t type;
} types[] = {
	{ "A", RRT_A },       { "NS", RRT_NS },   { "CNAME", RRT_CNAME }, { "SOA", RRT_SOA },
	{ "PTR", RRT_PTR },   { "MX", RRT_MX },   { "TXT", RRT_TXT },     { "AAAA", RRT_AAAA },
	{ "SRV", RRT_SRV },   { "CAA", RRT_CAA },
};

int rr_type_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(types[i].name, name) == 0)
			return types[i].type;
	return -1;
}

const char *rr_type_name(uint16_t type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	return NULL;
}
