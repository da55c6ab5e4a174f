/* dname.c: domain names in wire form; see dname.h. */
#include "common/dname.h"

#include <stdio.h>
#include <string.h>

#define LC4(c) (c), (c) + 1, (c) + 2, (c) + 3
#define LC16(c) LC4(c), LC4((c) + 4), LC4((c) + 8), LC4((c) + 12)
#define LC64(c) LC16(c), LC16((c) + 16), LC16((c) + 32), LC16((c) + 48)
const uint8_t dname_lc_table[256] = {
	LC64(0),
	/* 64 '@', then 'A'..'Z' mapped to 'a'..'z', then 91 '[' .. 95 '_' */
	64, LC16(97), LC4(113), LC4(117), 121, 122, 91, 92, 93, 94, 95,
	LC16(96), LC16(112),
	LC64(128), LC64(192),
};

static inline uint8_t lower(uint8_t c)
{
	return dname_lc_table[c];
}

void dname_copy_lower(uint8_t *dst, const uint8_t *src, size_t len)
{
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, src + i, 8);
		w = dname_lower8(w);
		memcpy(dst + i, &w, 8);
	}
	for (; i < len; i++)
		dst[i] = lower(src[i]);
}

void dname_label_offsets(const uint8_t *name, struct dname_labels *out)
{
	unsigned n = 0, i = 0;
	while (name[i] && n < DNAME_MAXLABELS) {
		out->off[n++] = (uint8_t)i;
		i += 1 + (unsigned)name[i];
	}
	out->off[n] = (uint8_t)i;
	out->n = (uint8_t)n;
	out->len = (uint8_t)(i + 1);
}

int dname_parse(const uint8_t *msg, size_t msglen, size_t *pos,
                uint8_t out[DNAME_MAXLEN], bool allow_ptr)
{
	size_t p = *pos;
	size_t outlen = 0;
	size_t end = 0;         /* where the name ends in the message, once a pointer is taken */
	size_t limit = p;       /* a pointer must point strictly before this (RFC 1035 4.1.4) */
	bool jumped = false;

	for (;;) {
		if (p >= msglen)
			return DNAME_ETRUNC;
		uint8_t len = msg[p];
		if ((len & 0xC0) == 0xC0) {
			if (!allow_ptr)
				return DNAME_ECOMPRESS;
			if (p + 1 >= msglen)
				return DNAME_ETRUNC;
			size_t target = (size_t)(len & 0x3F) << 8 | msg[p + 1];
			/* Only backward pointers, each strictly before the previous
			 * one: this makes loops impossible. */
			if (target >= limit)
				return DNAME_EPTR;
			if (!jumped) {
				end = p + 2;
				jumped = true;
			}
			limit = target;
			p = target;
			continue;
		}
		if (len & 0xC0)
			return DNAME_ELABEL;  /* 0x40 / 0x80: obsolete or reserved label types */
		if (outlen + 1 + len > DNAME_MAXLEN)
			return DNAME_ETOOLONG;
		if (p + 1 + len > msglen)
			return DNAME_ETRUNC;
		out[outlen++] = len;
		if (len == 0)
			break;
		memcpy(out + outlen, msg + p + 1, len);
		outlen += len;
		p += 1 + (size_t)len;
	}
	*pos = jumped ? end : p + 1;
	return (int)outlen;
}

int dname_parse_question(const uint8_t *msg, size_t msglen, size_t *pos,
                         uint8_t out[DNAME_MAXLEN], uint8_t lc[DNAME_MAXLEN],
                         struct dname_labels *l)
{
	size_t start = *pos, p = start;
	unsigned n = 0;

	/* Check the framing and note where each label starts; then the name,
	 * which is contiguous here, is copied and lowercased whole. */
	for (;;) {
		if (p >= msglen)
			return DNAME_ETRUNC;
		uint8_t len = msg[p];
		if ((len & 0xC0) == 0xC0)
			return DNAME_ECOMPRESS;
		if (len & 0xC0)
			return DNAME_ELABEL;
		if (p - start + 1 + len > DNAME_MAXLEN)
			return DNAME_ETOOLONG;
		if (p + 1 + len > msglen)
			return DNAME_ETRUNC;
		/* 255 bytes hold at most 127 labels and the root: off[] fits. */
		l->off[n] = (uint8_t)(p - start);
		if (len == 0)
			break;
		n++;
		p += 1 + (size_t)len;
	}
	size_t outlen = p + 1 - start;
	memcpy(out, msg + start, outlen);
	dname_copy_lower(lc, out, outlen);
	l->n = (uint8_t)n;
	l->len = (uint8_t)outlen;
	*pos = p + 1;
	return (int)outlen;
}

size_t dname_len(const uint8_t *name)
{
	size_t n = 0;
	while (name[n])
		n += 1 + (size_t)name[n];
	return n + 1;
}

int dname_labels(const uint8_t *name)
{
	int n = 0;
	for (size_t i = 0; name[i]; i += 1 + (size_t)name[i])
		n++;
	return n;
}

void dname_lower(uint8_t *name)
{
	for (size_t i = 0; name[i]; i += 1 + (size_t)name[i])
		for (size_t j = 1; j <= name[i]; j++)
			name[i + j] = lower(name[i + j]);
}

bool dname_bytes_equal_ci(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y && dname_lower8(x) != dname_lower8(y))
			return false;
	}
	for (; i < n; i++)
		if (a[i] != b[i] && lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

bool dname_equal(const uint8_t *a, const uint8_t *b)
{
	size_t i = 0;
	for (;;) {
		if (a[i] != b[i])
			return false;
		if (a[i] == 0)
			return true;
		size_t n = a[i];
		for (size_t j = 1; j <= n; j++)
			if (lower(a[i + j]) != lower(b[i + j]))
				return false;
		i += 1 + n;
	}
}

bool dname_is_sub(const uint8_t *name, const uint8_t *parent)
{
	int nl = dname_labels(name), pl = dname_labels(parent);
	if (nl < pl)
		return false;
	return dname_equal(dname_strip(name, nl - pl), parent);
}

const uint8_t *dname_strip(const uint8_t *name, int n)
{
	while (n-- > 0 && *name)
		name += 1 + *name;
	return name;
}

uint32_t dname_hash(const uint8_t *name)
{
	uint8_t lc[DNAME_MAXLEN];
	struct dname_labels l;
	dname_copy_lower(lc, name, dname_len(name));
	dname_label_offsets(lc, &l);
	uint32_t h = DNAME_HASH_ROOT;
	for (unsigned k = l.n; k-- > 0;)
		h = dname_hash_label(h, lc + l.off[k]);
	return h;
}

int dname_from_text(const char *text, const uint8_t *origin, uint8_t out[DNAME_MAXLEN])
{
	size_t outlen = 0;
	const char *s = text;

	if (strcmp(s, "@") == 0) {
		if (!origin)
			return DNAME_ESYNTAX;
		size_t ol = dname_len(origin);
		memcpy(out, origin, ol);
		return (int)ol;
	}
	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	if (*s == '\0' || *s == '.')
		return DNAME_ESYNTAX;

	bool absolute = false;
	while (*s) {
		size_t lenpos = outlen++;
		size_t llen = 0;
		if (outlen > DNAME_MAXLEN)
			return DNAME_ETOOLONG;
		while (*s && *s != '.') {
			uint8_t c;
			if (*s == '\\') {
				s++;
				if (s[0] >= '0' && s[0] <= '9') {
					if (!(s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9'))
						return DNAME_ESYNTAX;
					int v = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
					if (v > 255)
						return DNAME_ESYNTAX;
					c = (uint8_t)v;
					s += 3;
				} else if (*s) {
					c = (uint8_t)*s++;
				} else {
					return DNAME_ESYNTAX;
				}
			} else {
				c = (uint8_t)*s++;
			}
			if (++llen > DNAME_MAXLABEL)
				return DNAME_ELABEL;
			if (outlen + 1 > DNAME_MAXLEN)
				return DNAME_ETOOLONG;
			out[outlen++] = lower(c);
		}
		if (llen == 0)
			return DNAME_ESYNTAX;   /* empty label: "a..b" */
		out[lenpos] = (uint8_t)llen;
		if (*s == '.') {
			s++;
			if (*s == '\0')
				absolute = true;
		}
	}
	if (absolute || !origin) {
		if (!absolute && !origin)
			return DNAME_ESYNTAX;
		if (outlen + 1 > DNAME_MAXLEN)
			return DNAME_ETOOLONG;
		out[outlen++] = 0;
		return (int)outlen;
	}
	size_t ol = dname_len(origin);
	if (outlen + ol > DNAME_MAXLEN)
		return DNAME_ETOOLONG;
	memcpy(out + outlen, origin, ol);
	return (int)(outlen + ol);
}

/* Label bytes written as they are in presentation format: printable
 * ASCII but the space and the characters RFC 1035 5.1 gives a meaning
 * (. \ " ( ) ; @ $), which are escaped, as are all others (\DDD). */
static const bool text_plain[256] = {
	[0x21] = true,              /* ! (0x22 is the quote) */
	['#'] = true,
	['%' ... '\''] = true,     /* % & ' (0x24 is $) */
	['*' ... '-'] = true,       /* * + , - (0x28-0x29 are the parentheses) */
	['/' ... ':'] = true,       /* / 0-9 : (0x2e is the dot) */
	['<' ... '?'] = true,       /* < = > ? (0x3b is ;) */
	['A' ... '['] = true,       /* A-Z [ (0x40 is @) */
	[']' ... '~'] = true,       /* ] ^ _ ` a-z { | } ~ (0x5c is the backslash) */
};

int dname_to_text(const uint8_t *name, char *buf, size_t cap)
{
	size_t n = 0;
	if (name[0] == 0) {
		if (cap < 2)
			return -1;
		buf[0] = '.';
		buf[1] = '\0';
		return 1;
	}
	for (size_t i = 0; name[i]; i += 1 + (size_t)name[i]) {
		const uint8_t *l = name + i + 1;
		size_t ll = name[i];
		/* Written by hand, not with snprintf, and plain runs copied
		 * whole: the decision log turns every logged name into text
		 * (300k a second). */
		for (size_t j = 0; j < ll;) {
			size_t run = j;
			while (run < ll && text_plain[l[run]])
				run++;
			if (n + (run - j) + 1 > cap)
				return -1;
			memcpy(buf + n, l + j, run - j);
			n += run - j;
			if (run == ll)
				break;
			uint8_t c = l[run];
			char tmp[4];
			size_t k = 0;
			tmp[k++] = '\\';
			if (c <= 0x20 || c >= 0x7f) {
				tmp[k++] = (char)('0' + c / 100);
				tmp[k++] = (char)('0' + c / 10 % 10);
				tmp[k++] = (char)('0' + c % 10);
			} else {
				tmp[k++] = (char)c;   /* . \\ " ( ) ; @ $ */
			}
			if (n + k + 1 > cap)
				return -1;
			memcpy(buf + n, tmp, k);
			n += k;
			j = run + 1;
		}
		if (n + 2 > cap)
			return -1;
		buf[n++] = '.';
	}
	buf[n] = '\0';
	return (int)n;
}
