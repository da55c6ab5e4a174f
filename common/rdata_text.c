/*
 * rdata_text.c: presentation-format rdata to wire form for YAML zones; see
 * rdata_text.h. Everything but literal TXT goes to libzscanner.
 */
#include "common/rdata_text.h"

#include <string.h>

#include <libknot/descriptor.h>

#include "common/errmsg.h"
#include "common/zone.h"

/* TXT text taken literally (RFC 1035 3.3.14 strings of at most 255 bytes). */
static int txt_literal(const char *text, uint8_t *out, size_t cap, char *err, size_t errlen)
{
	size_t len = strlen(text), off = 0, pos = 0;
	if (cap > 65535)
		cap = 65535;
	do {
		size_t n = len - off > 255 ? 255 : len - off;
		if (pos + 1 + n > cap) {
			errmsg_set(err, errlen, "TXT: rdata longer than %zu bytes", cap);
			return -1;
		}
		out[pos++] = (uint8_t)n;
		memcpy(out + pos, text + off, n);
		pos += n;
		off += n;
	} while (off < len);
	return (int)pos;
}

int rdata_text_parse(struct rdata_scanner *rs, uint16_t type, const char *text,
                     uint8_t *out, size_t cap, char *err, size_t errlen)
{
	if (type == RRT_TXT && text[0] != '"')
		return txt_literal(text, out, cap, err, errlen);
	return rdata_scanner_parse(rs, type, text, out, cap > 65535 ? 65535 : cap, err, errlen);
}

int rdata_from_text(uint16_t type, const char *text, const uint8_t *origin,
                    uint8_t *out, size_t cap, char *err, size_t errlen)
{
	struct rdata_scanner *rs = rdata_scanner_new(origin);
	if (!rs) {
		errmsg_set(err, errlen, "out of memory");
		return -1;
	}
	int n = rdata_text_parse(rs, type, text, out, cap, err, errlen);
	rdata_scanner_free(rs);
	return n;
}

int rr_type_from_name(const char *name)
{
	uint16_t t;
	if (knot_rrtype_from_string(name, &t) != 0 || t == 0 || knot_rrtype_is_metatype(t))
		return -1;
	return t;
}

const char *rr_type_name(uint16_t type)
{
	const knot_rdata_descriptor_t *d = knot_get_rdata_descriptor(type);
	return d ? d->type_name : NULL;
}
