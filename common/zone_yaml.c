/*
 * zone_yaml.c: YAML zone file -> struct zone. See zone_yaml.h.
 *
 * The top-level keys are collected first (in any order) and then applied in
 * a fixed order: origin, ttl, soa, records, because records need the origin
 * and default TTL whatever order the file lists them in.
 *
 * A name may carry `steer: {ttl, answers, mode}` beside its records when the
 * main config has GeoDNS sections or an anycast address; it is attached
 * before the records at that owner, so an A/AAAA/CNAME there is reported at
 * that record's value. Through zone_yaml_load_caps (config.h) the name's
 * mode is checked against what the config offers.
 */
#include "common/zone_yaml.h"

#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/dname.h"
#include "common/rdata_text.h"
#include "common/steer_module.h"
#include "common/steer_rec_yaml.h"
#include "common/wire.h"
#include "common/yaml_doc.h"
#include "common/zone_rfc1035.h"

struct zone_keys {
	yaml_node_t *origin, *ttl, *soa, *records, *include;
	uint32_t ttl_val;
};

struct soa_keys {
	yaml_node_t *mname, *rname;
	uint32_t v[5];           /* serial refresh retry expire minimum */
	bool has_ttl;
	uint32_t ttl;
};

static int store_top(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                     void *ctx, char *err, size_t errlen)
{
	struct zone_keys *zk = ctx;
	(void)d;
	(void)err;
	(void)errlen;
	if (strcmp(k->key, "origin") == 0)
		zk->origin = val;
	else if (strcmp(k->key, "ttl") == 0)
		zk->ttl = val, zk->ttl_val = num;
	else if (strcmp(k->key, "soa") == 0)
		zk->soa = val;
	else if (strcmp(k->key, "records") == 0)
		zk->records = val;
	else if (strcmp(k->key, "include") == 0)
		zk->include = val;
	return 0;
}

static const struct ydoc_key top_keys[] = {
	{ .key = "origin", .kind = YK_STR, .required = true, .handler = store_top },
	{ .key = "ttl", .kind = YK_UINT, .lo = 0, .hi = ZONE_MAX_TTL, .handler = store_top },
	{ .key = "soa", .kind = YK_MAP, .handler = store_top },
	{ .key = "records", .kind = YK_MAP, .handler = store_top },
	{ .key = "include", .kind = YK_STR, .handler = store_top },
};

static int store_soa(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                     void *ctx, char *err, size_t errlen)
{
	static const char *const nums[5] = { "serial", "refresh", "retry", "expire", "minimum" };
	struct soa_keys *sk = ctx;
	(void)d;
	(void)err;
	(void)errlen;
	if (strcmp(k->key, "mname") == 0) {
		sk->mname = val;
	} else if (strcmp(k->key, "rname") == 0) {
		sk->rname = val;
	} else if (strcmp(k->key, "ttl") == 0) {
		sk->has_ttl = true;
		sk->ttl = num;
	} else {
		for (int i = 0; i < 5; i++)
			if (strcmp(k->key, nums[i]) == 0)
				sk->v[i] = num;
	}
	return 0;
}

/* RFC 1035 3.3.13: SERIAL is a full 32-bit number; the timers are TTL-like
 * and limited to 2^31-1 (RFC 2181 8). */
static const struct ydoc_key soa_keys[] = {
	{ .key = "mname", .kind = YK_STR, .required = true, .handler = store_soa },
	{ .key = "rname", .kind = YK_STR, .required = true, .handler = store_soa },
	{ .key = "serial", .kind = YK_UINT, .lo = 0, .hi = UINT32_MAX, .required = true, .handler = store_soa },
	{ .key = "refresh", .kind = YK_UINT, .lo = 0, .hi = ZONE_MAX_TTL, .required = true, .handler = store_soa },
	{ .key = "retry", .kind = YK_UINT, .lo = 0, .hi = ZONE_MAX_TTL, .required = true, .handler = store_soa },
	{ .key = "expire", .kind = YK_UINT, .lo = 0, .hi = ZONE_MAX_TTL, .required = true, .handler = store_soa },
	{ .key = "minimum", .kind = YK_UINT, .lo = 0, .hi = ZONE_MAX_TTL, .required = true, .handler = store_soa },
	{ .key = "ttl", .kind = YK_UINT, .lo = 0, .hi = ZONE_MAX_TTL, .handler = store_soa },
};

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static const char *dname_reason(int rc)
{
	switch (rc) {
	case DNAME_ELABEL: return "label longer than 63 bytes";
	case DNAME_ETOOLONG: return "name longer than 255 bytes";
	default: return "bad name syntax";
	}
}

/* A name from a scalar node, relative to origin (NULL: always absolute). */
static int node_name(struct ydoc *d, yaml_node_t *n, const char *what, const uint8_t *origin,
                     uint8_t out[DNAME_MAXLEN], char *err, size_t errlen)
{
	const char *s;
	if (ydoc_expect_str(d, n, what, &s, err, errlen) < 0)
		return -1;
	if (strlen(s) > DNAME_MAXTEXT)
		return ydoc_err(d, n, err, errlen, "%s: bad name: %s", what, dname_reason(DNAME_ETOOLONG));
	int rc = dname_from_text(s, origin, out);
	if (rc < 0)
		return ydoc_err(d, n, err, errlen, "%s: bad name '%.80s%s': %s", what, s,
		                strlen(s) > 80 ? "..." : "", dname_reason(rc));
	return rc;
}

static int load_soa(struct ydoc *d, struct zone *z, yaml_node_t *soa, uint32_t zone_ttl,
                    char *err, size_t errlen)
{
	struct soa_keys sk = { 0 };
	uint8_t mname[DNAME_MAXLEN], rname[DNAME_MAXLEN], rd[2 * DNAME_MAXLEN + 20];
	char msg[CONFIG_ERRLEN];

	if (ydoc_walk_map(d, soa, "soa", soa_keys, NKEYS(soa_keys), &sk, err, errlen) < 0)
		return -1;
	int ml = node_name(d, sk.mname, "mname", z->origin, mname, err, errlen);
	if (ml < 0)
		return -1;
	/* RFC 1035 8: RNAME is a mailbox written as a name; "a@b" is a
	 * common slip that would otherwise become the odd label "a@b". */
	if (strchr(ydoc_scalar(sk.rname), '@'))
		return ydoc_err(d, sk.rname, err, errlen,
		                "rname: write the mailbox as a name (hostmaster.example.com.), not an e-mail address");
	int rl = node_name(d, sk.rname, "rname", z->origin, rname, err, errlen);
	if (rl < 0)
		return -1;
	struct wire_wr w = wire_wr_init(rd, sizeof(rd));
	wire_wr_bytes(&w, mname, (size_t)ml);
	wire_wr_bytes(&w, rname, (size_t)rl);
	for (int i = 0; i < 5; i++)
		wire_wr_u32(&w, sk.v[i]);
	if (zone_add_rr(z, z->origin, RRT_SOA, sk.has_ttl ? sk.ttl : zone_ttl, rd,
	                (uint16_t)w.pos, msg, sizeof(msg)) < 0)
		return ydoc_err_prefix(d, soa, err, errlen, msg);
	return 0;
}

/* One record value (a scalar) of type at owner. */
static int load_value(struct ydoc *d, struct zone *z, struct rdata_scanner *rs,
                      const uint8_t *owner, uint16_t type, uint32_t ttl, yaml_node_t *v,
                      char *err, size_t errlen)
{
	uint8_t rd[65535];
	char msg[CONFIG_ERRLEN], tn[16];
	const char *s = ydoc_scalar(v);
	if (!s || ydoc_is_null(v))
		return ydoc_err(d, v, err, errlen, "%s: expected a value or a list of values",
		                rr_type_text(type, tn, sizeof(tn)));
	int len = rdata_text_parse(rs, type, s, rd, sizeof(rd), msg, sizeof(msg));
	if (len < 0)
		return ydoc_err_prefix(d, v, err, errlen, msg);
	if (zone_add_rr(z, owner, type, ttl, rd, (uint16_t)len, msg, sizeof(msg)) < 0)
		return ydoc_err_prefix(d, v, err, errlen, msg);
	return 0;
}

/* How a zone may steer: zone_yaml_load_ex's steer_ok (any mode, no mode
 * checks: the zone is used on its own, e.g. by tests) or config_load's
 * caps (every name checked against what the config offers). */
struct steer_policy {
	bool allowed;
	const struct zone_steer_caps *caps;   /* NULL: no mode checks */
};

/* The steering a name asks for must exist in the main config; the
 * messages point at the steer key. */
static int check_steer_mode(struct ydoc *d, const struct steer_policy *pol,
                            const struct steer_rec *rec, yaml_node_t *kn, char *err,
                            size_t errlen)
{
	char why[256];
	if (!pol->caps)
		return 0;
	enum steer_mode m = rec->mode != STEER_MODE_DEFAULT ? rec->mode : pol->caps->server_mode;
	if (steer_usable(pol->caps->cfg, m, true, why, sizeof(why)) < 0)
		return ydoc_err(d, kn, err, errlen, "steer: mode %s requires %s in the main config",
		                steer_mode_name(m), why);
	return 0;
}

/* `steer:` at owner: parsed, checked, copied into the zone arena, attached. */
static int load_steer(struct ydoc *d, struct zone *z, const uint8_t *owner, yaml_node_t *kn,
                      yaml_node_t *vn, const struct steer_policy *pol, char *err,
                      size_t errlen)
{
	struct steer_rec rec;
	char msg[CONFIG_ERRLEN];
	if (!pol->allowed) {
		/* What the first method needs; without a config, GeoDNS's. */
		char why[256] = "geoip and pops";
		if (pol->caps)
			steer_usable(pol->caps->cfg, STEER_MODE_DEFAULT, true, why, sizeof(why));
		return ydoc_err(d, kn, err, errlen, "steer: requires %s in the main config", why);
	}
	if (steer_rec_from_yaml(d, vn, &rec, err, errlen) < 0)
		return -1;
	if (check_steer_mode(d, pol, &rec, kn, err, errlen) < 0)
		return -1;
	void *copy = arena_memdup(&z->arena, &rec, sizeof(rec));
	if (zone_set_steer(z, owner, copy, msg, sizeof(msg)) < 0)
		return ydoc_err_prefix(d, kn, err, errlen, msg);
	return 0;
}

/* All records at one owner: `{ TYPE: value-or-list, ..., ttl: N, steer: {...} }`. */
static int load_owner(struct ydoc *d, struct zone *z, struct rdata_scanner *rs, yaml_node_t *kn,
                      yaml_node_t *vn, uint32_t zone_ttl, const struct steer_policy *opts,
                      char *err, size_t errlen)
{
	const char *os = ydoc_scalar(kn);
	uint8_t owner[DNAME_MAXLEN];
	char what[128];

	/* "@" is the origin; everything else is relative unless it ends in '.'. */
	int rc = strlen(os) > DNAME_MAXTEXT ? DNAME_ETOOLONG : dname_from_text(os, z->origin, owner);
	if (rc < 0)
		return ydoc_err(d, kn, err, errlen, "bad owner name '%.80s%s': %s", os,
		                strlen(os) > 80 ? "..." : "", dname_reason(rc));
	if (!dname_is_sub(owner, z->origin)) {
		char ztext[DNAME_MAXTEXT];
		dname_to_text(z->origin, ztext, sizeof(ztext));
		return ydoc_err(d, kn, err, errlen, "owner '%s' is outside the zone %s", os, ztext);
	}
	snprintf(what, sizeof(what), "records of '%.80s'", os);
	if (ydoc_check_map(d, vn, what, err, errlen) < 0)
		return -1;
	if (vn->data.mapping.pairs.start == vn->data.mapping.pairs.top)
		return ydoc_err(d, vn, err, errlen, "%s: no records", what);

	uint32_t ttl = zone_ttl;
	yaml_node_t *tn = ydoc_map_get(d, vn, "ttl");
	if (tn && ydoc_get_u32(d, tn, "ttl", 0, ZONE_MAX_TTL, &ttl, err, errlen) < 0)
		return -1;
	for (yaml_node_pair_t *p = vn->data.mapping.pairs.start; p < vn->data.mapping.pairs.top; p++)
		if (strcmp(ydoc_scalar(ydoc_node(d, p->key)), "steer") == 0 &&
		    load_steer(d, z, owner, ydoc_node(d, p->key), ydoc_node(d, p->value), opts, err,
		               errlen) < 0)
			return -1;

	for (yaml_node_pair_t *p = vn->data.mapping.pairs.start; p < vn->data.mapping.pairs.top; p++) {
		yaml_node_t *tk = ydoc_node(d, p->key), *tv = ydoc_node(d, p->value);
		const char *ts = ydoc_scalar(tk);
		if (strcmp(ts, "ttl") == 0 || strcmp(ts, "steer") == 0)
			continue;
		int type = rr_type_from_name(ts);
		if (type == RRT_SOA)
			return ydoc_err(d, tk, err, errlen,
			                "SOA goes in the top-level 'soa:' mapping, not under records");
		if (type < 0)
			return ydoc_err(d, tk, err, errlen, "unknown record type '%s'", ts);
		/* Type names are case-insensitive, so "A" and "a" are one key. */
		for (yaml_node_pair_t *q = vn->data.mapping.pairs.start; q < p; q++)
			if (rr_type_from_name(ydoc_scalar(ydoc_node(d, q->key))) == type)
				return ydoc_err(d, tk, err, errlen, "duplicate record type '%s'", ts);
		if (tv->type == YAML_SEQUENCE_NODE) {
			if (tv->data.sequence.items.start == tv->data.sequence.items.top)
				return ydoc_err(d, tv, err, errlen, "%s: empty list", ts);
			for (yaml_node_item_t *it = tv->data.sequence.items.start;
			     it < tv->data.sequence.items.top; it++)
				if (load_value(d, z, rs, owner, (uint16_t)type, ttl, ydoc_node(d, *it),
				               err, errlen) < 0)
					return -1;
		} else if (load_value(d, z, rs, owner, (uint16_t)type, ttl, tv, err, errlen) < 0) {
			return -1;
		}
	}
	return 0;
}

/* `include: FILE`: the static records of a master file (relative to the
 * YAML file's directory), added before the YAML's own records. */
static int include_master(struct ydoc *d, struct zone *z, const char *path, yaml_node_t *val,
                          char *err, size_t errlen)
{
	const char *rel = ydoc_scalar(val);
	const char *slash = strrchr(path, '/');
	size_t dl = rel[0] == '/' || !slash ? 0 : (size_t)(slash - path) + 1;
	char full[4096], msg[CONFIG_ERRLEN];
	int open_errno = 0;
	if (dl + strlen(rel) >= sizeof(full))
		return ydoc_err(d, val, err, errlen, "include: path too long");
	memcpy(full, path, dl);
	strcpy(full + dl, rel);
	int rc = zone_rfc1035_add_file(z, full, msg, sizeof(msg), &open_errno);
	if (rc == -2)
		return ydoc_err(d, val, err, errlen, "include: cannot open %s: %s", rel,
		                strerror(open_errno));
	if (rc < 0) {
		/* The master file's own file:line says where. */
		snprintf(err, errlen, "%s", msg);
		return -1;
	}
	return 0;
}

static int load_zone(const char *path, const struct steer_policy *opts, struct zone **out,
                     char *err, size_t errlen, int *open_errno)
{
	struct ydoc d;
	struct zone_keys zk = { .ttl_val = 3600 };
	struct zone *z = NULL;
	struct rdata_scanner *rs = NULL;
	uint8_t origin[DNAME_MAXLEN];
	char msg[CONFIG_ERRLEN];
	int rc = ydoc_load(&d, path, path, err, errlen);

	if (rc == YDOC_EOPEN && open_errno)
		*open_errno = d.open_errno;
	if (rc < 0)
		return rc == YDOC_EOPEN ? -2 : -1;
	rc = -1;
	yaml_node_t *root = ydoc_root(&d);
	if (!root) {
		ydoc_err(&d, NULL, err, errlen, "zone file is empty");
		goto out;
	}
	if (ydoc_walk_map(&d, root, "zone file", top_keys, NKEYS(top_keys), &zk, err, errlen) < 0)
		goto out;
	/* The origin is always absolute, trailing dot or not: relative to the
	 * root it is itself. */
	static const uint8_t root_name[1] = { 0 };
	if (node_name(&d, zk.origin, "origin", root_name, origin, err, errlen) < 0)
		goto out;
	z = zone_new(origin, path);
	if (zk.soa && load_soa(&d, z, zk.soa, zk.ttl_val, err, errlen) < 0)
		goto out;
	if (zk.include && include_master(&d, z, path, zk.include, err, errlen) < 0)
		goto out;
	rs = rdata_scanner_new(z->origin);
	if (!rs) {
		ydoc_err(&d, zk.origin, err, errlen, "out of memory");
		goto out;
	}
	if (zk.records) {
		yaml_node_t *r = zk.records;
		if (ydoc_check_map(&d, r, "records", err, errlen) < 0)
			goto out;
		for (yaml_node_pair_t *p = r->data.mapping.pairs.start; p < r->data.mapping.pairs.top; p++)
			if (load_owner(&d, z, rs, ydoc_node(&d, p->key), ydoc_node(&d, p->value),
			               zk.ttl_val, opts, err, errlen) < 0)
				goto out;
	}
	if (zone_finish(z, msg, sizeof(msg)) < 0) {
		ydoc_err_prefix(&d, zk.origin, err, errlen, msg);
		goto out;
	}
	*out = z;
	z = NULL;
	rc = 0;
out:
	rdata_scanner_free(rs);
	if (z)
		zone_free(z);
	ydoc_free(&d);
	return rc;
}

int zone_yaml_load_ex(const char *path, const struct zone_yaml_opts *opts, struct zone **out,
                      char *err, size_t errlen, int *open_errno)
{
	struct steer_policy pol = { .allowed = opts && opts->steer_ok, .caps = NULL };
	return load_zone(path, &pol, out, err, errlen, open_errno);
}

int zone_yaml_load_caps(const char *path, const struct zone_steer_caps *caps, struct zone **out,
                        char *err, size_t errlen, int *open_errno)
{
	char why[256];
	struct steer_policy pol = {
		.allowed = caps && steer_usable(caps->cfg, STEER_MODE_DEFAULT, true, why, sizeof(why)) == 0,
		.caps = caps,
	};
	return load_zone(path, &pol, out, err, errlen, open_errno);
}

int zone_yaml_load(const char *path, struct zone **out, char *err)
{
	int rc = zone_yaml_load_ex(path, NULL, out, err, CONFIG_ERRLEN, NULL);
	return rc < 0 ? -1 : 0;
}
