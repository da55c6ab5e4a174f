/*
 * rdata_zscanner.c: presentation rdata through libzscanner; see
 * rdata_zscanner.h.
 *
 * Each value becomes the master-file line "@ 0 IN TYPE text" fed to a
 * scanner whose origin is the zone's, so relative names, escapes, quoting,
 * parentheses and every type's syntax are exactly what a master file would
 * take. The text must be exactly one record of that type: after it only
 * blanks and comments may follow, so a value cannot smuggle in a second
 * record or a directive.
 */
#include "common/rdata_zscanner.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/descriptor.h>
#include <libzscanner/scanner.h>

#include "common/dname.h"
#include "common/errmsg.h"

struct rdata_scanner {
	zs_scanner_t zs;
	char origin[DNAME_MAXTEXT + 2];
	bool ok;        /* zs is initialised and between records */
	char *line;     /* the record line being parsed */
	size_t linecap;
};

const char *rr_type_text(uint16_t type, char *buf, size_t cap)
{
	if (knot_rrtype_to_string(type, buf, cap) < 0)
		snprintf(buf, cap, "TYPE%u", type);
	return buf;
}

static bool scanner_init(struct rdata_scanner *rs)
{
	rs->ok = zs_init(&rs->zs, rs->origin, 1 /* IN */, 0) == 0;
	if (!rs->ok)
		zs_deinit(&rs->zs);
	return rs->ok;
}

struct rdata_scanner *rdata_scanner_new(const uint8_t *origin)
{
	struct rdata_scanner *rs = calloc(1, sizeof(*rs));
	if (!rs)
		return NULL;
	static const uint8_t root[1] = { 0 };
	if (dname_to_text(origin ? origin : root, rs->origin, sizeof(rs->origin)) < 0 ||
	    !scanner_init(rs)) {
		free(rs);
		return NULL;
	}
	return rs;
}

void rdata_scanner_free(struct rdata_scanner *rs)
{
	if (!rs)
		return;
	if (rs->ok)
		zs_deinit(&rs->zs);
	free(rs->line);
	free(rs);
}

/* After an error the scanner may be inside a record: start it afresh. */
static int fail_reset(struct rdata_scanner *rs, char *err, size_t errlen, const char *tname,
                      const char *why, const char *text)
{
	/* Long values would flood the message; show their start only. */
	errmsg_set(err, errlen, "%s: %s in '%.80s%s'", tname, why, text,
	           strlen(text) > 80 ? "..." : "");
	zs_deinit(&rs->zs);
	scanner_init(rs);
	return -1;
}

/* Is [p, end) only blanks and comments? */
static bool only_blanks(const char *p, const char *end)
{
	while (p < end) {
		if (*p == ';') {
			while (p < end && *p != '\n')
				p++;
		} else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			p++;
		} else {
			return false;
		}
	}
	return true;
}

int rdata_scanner_parse(struct rdata_scanner *rs, uint16_t type, const char *text,
                        uint8_t *out, size_t cap, char *err, size_t errlen)
{
	char tname[32];
	rr_type_text(type, tname, sizeof(tname));
	if (!rs->ok && !scanner_init(rs))
		return fail_reset(rs, err, errlen, tname, "out of memory", text);

	/* "@ 0 IN TYPE " + text + "\n" */
	size_t tl = strlen(text), need = tl + strlen(tname) + 16;
	if (need > rs->linecap) {
		char *l = realloc(rs->line, need);
		if (!l)
			return fail_reset(rs, err, errlen, tname, "out of memory", text);
		rs->line = l;
		rs->linecap = need;
	}
	int n = snprintf(rs->line, rs->linecap, "@ 0 IN %s ", tname);
	memcpy(rs->line + n, text, tl);
	size_t len = (size_t)n + tl;
	rs->line[len++] = '\n';

	zs_scanner_t *s = &rs->zs;
	if (zs_set_input_string(s, rs->line, len) != 0 || zs_parse_record(s) != 0 ||
	    s->state != ZS_STATE_DATA) {
		const char *why = s->state == ZS_STATE_ERROR || s->error.code != ZS_OK
		                          ? zs_strerror(s->error.code)
		                          : "empty rdata";
		return fail_reset(rs, err, errlen, tname, why, text);
	}
	if (s->r_type != type)
		return fail_reset(rs, err, errlen, tname, "value is not rdata of this type", text);
	if (s->r_data_length > cap) {
		fail_reset(rs, NULL, 0, tname, "", text);
		errmsg_set(err, errlen, "%s: rdata longer than %zu bytes", tname, cap);
		return -1;
	}
	uint32_t rlen = s->r_data_length;
	memcpy(out, s->r_data, rlen);
	if (!only_blanks(s->input.current, s->input.end))
		return fail_reset(rs, err, errlen, tname, "more than one record", text);
	return (int)rlen;
}
