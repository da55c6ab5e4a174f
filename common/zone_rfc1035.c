/*
 * zone_rfc1035.c: master files into a zone; see zone_rfc1035.h.
 *
 * libzscanner runs record by record (zs_parse_record), not with its
 * automatic mode, so that $INCLUDE is ours to follow: nesting is bounded
 * and text in memory (the fuzz target) cannot open files.
 */
#include "common/zone_rfc1035.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libzscanner/scanner.h>

#include "common/dname.h"
#include "common/errmsg.h"
#include "common/zone_yaml.h"

#define CLASS_IN 1
#define DEFAULT_TTL 3600   /* without $TTL, as Knot's default-ttl */

struct scan {
	struct zone *z;
	int depth;
	char *err;
	size_t errlen;
};

static int fail_at(struct scan *sc, const zs_scanner_t *s, const char *name, const char *msg)
{
	/* A record's line is its last one (of a parenthesised record). */
	errmsg_set(sc->err, sc->errlen, "%s:%llu: %s", name, (unsigned long long)s->line_counter,
	           msg);
	return -1;
}

static int add_record(struct scan *sc, const zs_scanner_t *s, const char *name)
{
	char msg[256];
	if (s->r_class != CLASS_IN)
		return fail_at(sc, s, name, "only class IN is served");
	if (s->r_ttl > ZONE_MAX_TTL)
		return fail_at(sc, s, name, "TTL over 2147483647 (RFC 2181 8)");
	if (zone_add_rr(sc->z, s->r_owner, s->r_type, s->r_ttl, s->r_data,
	                (uint16_t)s->r_data_length, msg, sizeof(msg)) < 0)
		return fail_at(sc, s, name, msg);
	return 0;
}

static int scan_file(struct scan *sc, zs_scanner_t *s, const char *name);

/* $INCLUDE: libzscanner has made the file name absolute (relative to the
 * including file) and put the origin to use in s->buffer. */
static int include(struct scan *sc, zs_scanner_t *s, const char *name)
{
	if (sc->depth < 0)
		return fail_at(sc, s, name, "$INCLUDE is not allowed here");
	if (sc->depth >= ZONE_RFC1035_MAX_INCLUDE)
		return fail_at(sc, s, name, "$INCLUDE nested too deep (a loop?)");
	zs_scanner_t *in = malloc(sizeof(*in));
	if (!in)
		return fail_at(sc, s, name, "out of memory");
	int rc = -1;
	if (zs_init(in, (const char *)s->buffer, s->default_class, s->default_ttl) != 0) {
		fail_at(sc, s, name, "bad $INCLUDE origin");
	} else if (zs_set_input_file(in, s->include_filename) != 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), "$INCLUDE %.300s: %s", s->include_filename,
		         zs_strerror(in->error.code));
		fail_at(sc, s, name, msg);
	} else {
		sc->depth++;
		rc = scan_file(sc, in, s->include_filename);
		sc->depth--;
	}
	zs_deinit(in);
	free(in);
	return rc;
}

static int scan_file(struct scan *sc, zs_scanner_t *s, const char *name)
{
	for (;;) {
		if (zs_parse_record(s) != 0 && s->state != ZS_STATE_ERROR)
			return fail_at(sc, s, name, zs_strerror(s->error.code));
		switch (s->state) {
		case ZS_STATE_DATA:
			if (add_record(sc, s, name) < 0)
				return -1;
			break;
		case ZS_STATE_INCLUDE:
			if (include(sc, s, name) < 0)
				return -1;
			break;
		case ZS_STATE_ERROR:
			return fail_at(sc, s, name, zs_strerror(s->error.code));
		default:
			return 0;  /* EOF */
		}
	}
}

/* A scanner at z's origin; -1 with the message when it cannot be set up. */
static zs_scanner_t *scanner_for(struct scan *sc, const char *name)
{
	char origin[DNAME_MAXTEXT + 2];
	zs_scanner_t *s = malloc(sizeof(*s));
	if (!s || dname_to_text(sc->z->origin, origin, sizeof(origin)) < 0 ||
	    zs_init(s, origin, CLASS_IN, DEFAULT_TTL) != 0) {
		if (s)
			zs_deinit(s);
		free(s);
		errmsg_set(sc->err, sc->errlen, "%s: cannot set up the zone scanner", name);
		return NULL;
	}
	return s;
}

int zone_rfc1035_add_file(struct zone *z, const char *path, char *err, size_t errlen,
                          int *open_errno)
{
	struct scan sc = { z, 0, err, errlen };
	zs_scanner_t *s = scanner_for(&sc, path);
	if (!s)
		return -1;
	int rc;
	errno = 0;
	if (zs_set_input_file(s, path) != 0) {
		int e = errno ? errno : EINVAL;
		if (open_errno)
			*open_errno = e;
		errmsg_set(err, errlen, "%s: cannot open: %s", path, strerror(e));
		rc = -2;
	} else {
		rc = scan_file(&sc, s, path);
	}
	zs_deinit(s);
	free(s);
	return rc;
}

int zone_rfc1035_add_text(struct zone *z, const char *name, const char *text, size_t len,
                          char *err, size_t errlen)
{
	struct scan sc = { z, -1, err, errlen };
	zs_scanner_t *s = scanner_for(&sc, name);
	if (!s)
		return -1;
	int rc = -1;
	if (zs_set_input_string(s, text, len) != 0)
		errmsg_set(err, errlen, "%s: cannot read", name);
	else
		rc = scan_file(&sc, s, name);
	zs_deinit(s);
	free(s);
	return rc;
}

int zone_rfc1035_origin_from_path(const char *path, uint8_t out[DNAME_MAXLEN])
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".zone") == 0)
		n -= 5;
	char text[DNAME_MAXTEXT + 2];
	if (n == 0 || n > DNAME_MAXTEXT)
		return -1;
	memcpy(text, base, n);
	text[n] = 0;
	static const uint8_t root[1] = { 0 };
	return dname_from_text(text, root, out);
}

int zone_rfc1035_load(const char *path, const uint8_t *origin, struct zone **out, char *err,
                      size_t errlen, int *open_errno)
{
	uint8_t o[DNAME_MAXLEN];
	if (!origin) {
		if (zone_rfc1035_origin_from_path(path, o) < 0) {
			errmsg_set(err, errlen, "%s: the file name is no zone name; give origin:", path);
			return -1;
		}
		origin = o;
	}
	struct zone *z = zone_new(origin, path);
	if (!z) {
		errmsg_set(err, errlen, "%s: out of memory", path);
		return -1;
	}
	char msg[256];
	int rc = zone_rfc1035_add_file(z, path, err, errlen, open_errno);
	if (rc == 0 && zone_finish(z, msg, sizeof(msg)) < 0) {
		errmsg_set(err, errlen, "%s: %s", path, msg);
		rc = -1;
	}
	if (rc < 0) {
		zone_free(z);
		return rc;
	}
	*out = z;
	return 0;
}
