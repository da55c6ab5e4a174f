/*
 * geo_config_yaml.c: the `geoip`, `pops`, `policy` and `ecs` sections and
 * a zone name's `steer:` mapping. See geo_config_yaml.h.
 *
 * Each mapping is first walked with a schema table (ydoc_walk_map: unknown,
 * duplicate and missing keys, value kinds) and its values are then read in
 * a fixed order, because some depend on others: a check's default address
 * is its PoP's first address, and rules name PoPs.
 */
#include "geodns/geo_config_yaml.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/netprefix.h"
#include "common/check_conf_yaml.h"
#include "common/suggest.h"
#include "common/yaml_values.h"
#include "common/zone.h"
#include "common/zone_yaml.h"
#include "geodns/geo_schema.h"
#include "geodns/iso3166.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_POPS 1024          /* sanity bound; PoP indexes are small ints */
#define MAX_POP_NAME 63
#define MAX_FIELD_PARTS 8      /* as geodb.c's path parser */

/* Everything a section parser needs; err goes through E(). */
struct gctx {
	struct ydoc *d;
	struct arena *a;
	const char *dir;
	struct geo_config *g;
	char *err;
	size_t errlen;
};

#define E(c, n, ...) ydoc_err((c)->d, (n), (c)->err, (c)->errlen, __VA_ARGS__)

/* --- small helpers --- */

/* One value or a list of them; see yv_list_items. */
static long list_items(struct gctx *c, yaml_node_t *n, const char *what, yaml_node_t ***out)
{
	return yv_list_items(c->d, c->a, n, what, out, c->err, c->errlen);
}

static int get_str(struct gctx *c, yaml_node_t *n, const char *what, const char **out)
{
	return ydoc_expect_str(c->d, n, what, out, c->err, c->errlen);
}

static int get_number(struct gctx *c, yaml_node_t *n, const char *what, double *out)
{
	return yv_number(c->d, n, what, YV_EXPECT_NUMBER, out, c->err, c->errlen);
}

/* Optional integer key of mapping n that ydoc_walk_map already range
 * checked; read it again with the same table row (absent: its default). */
static int get_u32_key(struct gctx *c, yaml_node_t *n, const struct ydoc_key *k, uint32_t *out)
{
	return yv_u32_key(c->d, n, k, out, c->err, c->errlen);
}

static const char *resolve(struct gctx *c, const char *rel)
{
	return yv_resolve(c->a, c->dir, rel);
}

/* The file must exist and be readable now (the operator wants to hear of a
 * wrong path from checkconf, not at the first reload). Not parsed here.
 * *st (may be NULL) identifies the file, to catch one DB listed twice. */
static int check_readable(struct gctx *c, yaml_node_t *n, const char *rel, const char *path,
                          struct stat *st)
{
	struct stat tmp;
	if (!st)
		st = &tmp;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return E(c, n, "cannot open %s: %s", rel, strerror(errno));
	int rc = fstat(fd, st);
	int e = errno;
	close(fd);
	if (rc < 0)
		return E(c, n, "cannot open %s: %s", rel, strerror(e));
	if (S_ISDIR(st->st_mode))
		return E(c, n, "cannot open %s: %s", rel, strerror(EISDIR));
	return 0;
}

/* --- CIDR --- */

/* The parsing is common/netprefix.c's (the RRL's exempt networks use it
 * too); a geo_cidr holds the same two fields. */
int geo_cidr_parse(const char *text, struct geo_cidr *out)
{
	struct netprefix p;
	int rc = netprefix_parse(text, &p);

	memset(out, 0, sizeof(*out));
	if (rc == NETPREFIX_ELEN)
		return GEO_CIDR_ELEN;
	if (rc < 0)
		return GEO_CIDR_ESYNTAX;
	memcpy(out->addr, p.addr, sizeof(out->addr));
	out->len = p.len;
	return 0;
}

static int get_cidr(struct gctx *c, yaml_node_t *n, const char *what, struct geo_cidr *out)
{
	const char *s;
	if (get_str(c, n, what, &s) < 0)
		return -1;
	int rc = geo_cidr_parse(s, out);
	if (rc == GEO_CIDR_ELEN)
		return E(c, n, "%s: prefix length too long in '%s'", what, s);
	if (rc < 0)
		return E(c, n, "%s: bad network '%s' (expected address/length)", what, s);
	return 0;
}

/* --- geoip --- */

/* "a/b/0/c": non-empty components, at most MAX_FIELD_PARTS of them. */
static bool field_path_ok(const char *s)
{
	int parts = 1;
	if (!*s || *s == '/')
		return false;
	for (const char *p = s; *p; p++) {
		if (*p != '/')
			continue;
		if (p[1] == '/' || p[1] == 0)
			return false;
		parts++;
	}
	return parts <= MAX_FIELD_PARTS;
}

static int parse_schema(struct gctx *c, yaml_node_t *n)
{
	struct geodb_fields *f = &c->g->schema;
	if (n->type == YAML_SCALAR_NODE && !ydoc_is_null(n)) {
		const char *s = ydoc_scalar(n);
		/* The asn preset is for asn_database, never for locations. */
		const struct geodb_fields *p = s && strcmp(s, "asn") ? geodb_preset(s) : NULL;
		if (!p)
			return E(c, n, "schema: unknown preset '%s' (expected maxmind, flat or a mapping "
			         "of field paths)", s ? s : "");
		*f = *p;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return E(c, n, "schema: expected a preset name or a mapping of field paths");
	if (ydoc_walk_table(c->d, n, &geo_fields_table, NULL, c->err, c->errlen) < 0)
		return -1;
	const char **slots[] = { &f->latitude, &f->longitude, &f->country, &f->continent,
	                         &f->subdivision };
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < geo_fields_table.n; i++) {
		yaml_node_t *v = ydoc_map_get(c->d, n, geo_fields_table.keys[i].key);
		if (!v)
			continue;
		const char *s = ydoc_scalar(v);
		if (!field_path_ok(s))
			return E(c, v, "%s: bad field path '%s' (expected keys and array indexes "
			         "separated by '/', e.g. location/latitude)", geo_fields_table.keys[i].key, s);
		*slots[i] = arena_strdup(c->a, s);
	}
	if (!f->latitude != !f->longitude)
		return E(c, n, "schema: latitude and longitude must be given together");
	if (!f->latitude && !f->country)
		return E(c, n, "schema: needs latitude and longitude, or country");
	return 0;
}

static int parse_geoip(struct gctx *c, yaml_node_t *n)
{
	struct geo_config *g = c->g;
	yaml_node_t **items;

	if (ydoc_walk_table(c->d, n, &geo_geoip_table, NULL, c->err, c->errlen) < 0)
		return -1;
	long cnt = list_items(c, ydoc_map_get(c->d, n, "databases"), "databases", &items);
	if (cnt < 0)
		return -1;
	g->databases = arena_alloc(c->a, (size_t)cnt * sizeof(*g->databases));
	struct stat *ids = arena_alloc(c->a, (size_t)cnt * sizeof(*ids));
	for (long i = 0; i < cnt; i++) {
		const char *rel;
		if (get_str(c, items[i], "databases", &rel) < 0)
			return -1;
		const char *path = resolve(c, rel);
		if (check_readable(c, items[i], rel, path, &ids[i]) < 0)
			return -1;
		/* The same file under two names would only double the work. */
		for (long j = 0; j < i; j++)
			if (ids[j].st_dev == ids[i].st_dev && ids[j].st_ino == ids[i].st_ino)
				return E(c, items[i], "databases: duplicate '%s'", rel);
		g->databases[i] = path;
	}
	g->n_databases = (size_t)cnt;

	/* The row's default is a preset name. */
	g->schema = *geodb_preset(ydoc_table_key(&geo_geoip_table, "schema")->def);
	yaml_node_t *schema = ydoc_map_get(c->d, n, "schema");
	if (schema && parse_schema(c, schema) < 0)
		return -1;

	yaml_node_t *asn = ydoc_map_get(c->d, n, "asn_database");
	if (asn) {
		const char *rel = ydoc_scalar(asn);
		const char *path = resolve(c, rel);
		if (check_readable(c, asn, rel, path, NULL) < 0)
			return -1;
		g->asn_database = path;
	}

	/* The compiled-tree cache dir (geo_cache.h); "" turns it off. */
	yaml_node_t *cd = ydoc_map_get(c->d, n, "cache_dir");
	const char *cdir = cd ? ydoc_scalar(cd) : ydoc_table_key(&geo_geoip_table, "cache_dir")->def;
	g->cache_dir = *cdir ? resolve(c, cdir) : NULL;
	return 0;
}

/* --- health checks --- */

/* `check:` under PoP p (whose addresses are already parsed): its own pace,
 * and the PoP's first address unless it names one. */
static int parse_check(struct gctx *c, yaml_node_t *n, const struct pop *p,
                       struct check_conf **out)
{
	struct check_yaml_opts o = {
		.pace_keys = true,   /* interval, rise, fall: the rows of check_paced_table */
		.seconds_expect = YV_EXPECT_NUMBER,
		.default_af = p->n_v4 ? AF_INET : AF_INET6,
		.default_addr = p->n_v4 ? (const uint8_t *)&p->v4[0] : (const uint8_t *)&p->v6[0],
		.dir = c->dir,
		.a = c->a,
	};
	struct check_conf *ck = arena_alloc(c->a, sizeof(*ck));
	if (check_conf_from_yaml(c->d, n, &o, ck, c->err, c->errlen) < 0)
		return -1;
	*out = ck;
	return 0;
}

/* --- pops --- */

/* identity: the server.identity (NSID, RFC 5001) of the steerdns at the
 * PoP, so `compare` and `probe` can map an NSID back to its PoP. Printable
 * ASCII without spaces, as an operator would type a host name. */
static int parse_identity(struct gctx *c, yaml_node_t *n, struct pop *p)
{
	const char *s;
	if (get_str(c, n, "identity", &s) < 0)
		return -1;
	size_t len = strlen(s);
	if (len < 1 || len > 255)
		return E(c, n, "identity: expected 1 to 255 characters");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return E(c, n, "identity: '%.80s' has a space or non-printable character", s);
	p->identity = arena_strdup(c->a, s);
	return 0;
}

static bool pop_name_ok(const char *s)
{
	size_t len = strlen(s);
	return len >= 1 && len <= MAX_POP_NAME &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == len;
}

static int parse_location(struct gctx *c, yaml_node_t *n, struct pop *p)
{
	if (n->type != YAML_SEQUENCE_NODE ||
	    n->data.sequence.items.top - n->data.sequence.items.start != 2)
		return E(c, n, "location: expected [latitude, longitude]");
	yaml_node_t *la = ydoc_node(c->d, n->data.sequence.items.start[0]);
	yaml_node_t *lo = ydoc_node(c->d, n->data.sequence.items.start[1]);
	if (get_number(c, la, "location", &p->lat) < 0)
		return -1;
	if (p->lat < -90 || p->lat > 90)
		return E(c, la, "location: latitude %s out of range -90..90", ydoc_scalar(la));
	if (get_number(c, lo, "location", &p->lon) < 0)
		return -1;
	if (p->lon < -180 || p->lon > 180)
		return E(c, lo, "location: longitude %s out of range -180..180", ydoc_scalar(lo));
	return 0;
}

/* ipv4: or ipv6: of a PoP; addresses in alen-byte slots of a new array. */
static int parse_addrs(struct gctx *c, yaml_node_t *n, int af, void **out, size_t *n_out)
{
	const char *what = af == AF_INET ? "ipv4" : "ipv6";
	size_t alen = af == AF_INET ? 4 : 16;
	yaml_node_t **items;
	long cnt = list_items(c, n, what, &items);
	if (cnt < 0)
		return -1;
	uint8_t *arr = arena_alloc(c->a, (size_t)cnt * alen);
	for (long i = 0; i < cnt; i++) {
		const char *s;
		uint8_t *slot = arr + (size_t)i * alen, buf[16];
		if (yv_addr_af(c->d, items[i], what, af, buf, &s, c->err, c->errlen) < 0)
			return -1;
		memcpy(slot, buf, alen);
		/* An IPv4-mapped address is answered in AAAA, where a client
		 * cannot use it; the operator meant ipv4. */
		if (af == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)slot))
			return E(c, items[i], "ipv6: '%s' is an IPv4-mapped address; list it under ipv4",
			         s);
		for (long j = 0; j < i; j++)
			if (memcmp(arr + (size_t)j * alen, slot, alen) == 0)
				return E(c, items[i], "%s: duplicate address %s", what, s);
	}
	*out = arr;
	*n_out = (size_t)cnt;
	return 0;
}

static int parse_pop(struct gctx *c, yaml_node_t *kn, yaml_node_t *n, struct pop *p)
{
	const char *name = ydoc_scalar(kn);
	char what[96];
	if (!pop_name_ok(name))
		return E(c, kn, "bad PoP name '%.80s' (letters, digits, '-' and '_', at most %d)", name,
		         MAX_POP_NAME);
	if (geo_pop_name_reserved(name))
		return E(c, kn, "PoP name '%s' is reserved (it reads as a steering method or keyword: "
		         "geodns, anycast, ab, all, none, self, default, auto)", name);
	snprintf(what, sizeof(what), "pop '%s'", name);
	if (ydoc_walk_map(c->d, n, what, geo_pop_table.keys, geo_pop_table.n, NULL, c->err,
	                  c->errlen) < 0)
		return -1;
	p->name = arena_strdup(c->a, name);
	if (parse_location(c, ydoc_map_get(c->d, n, "location"), p) < 0)
		return -1;
	yaml_node_t *v;
	if ((v = ydoc_map_get(c->d, n, "ipv4")) &&
	    parse_addrs(c, v, AF_INET, (void **)&p->v4, &p->n_v4) < 0)
		return -1;
	if ((v = ydoc_map_get(c->d, n, "ipv6")) &&
	    parse_addrs(c, v, AF_INET6, (void **)&p->v6, &p->n_v6) < 0)
		return -1;
	if (!p->n_v4 && !p->n_v6)
		return E(c, n, "%s: needs an ipv4 or ipv6 address", what);
	if ((v = ydoc_map_get(c->d, n, "check")) && parse_check(c, v, p, &p->check) < 0)
		return -1;
	p->identity = p->name;
	if ((v = ydoc_map_get(c->d, n, "identity")) && parse_identity(c, v, p) < 0)
		return -1;
	return 0;
}

static int parse_pops(struct gctx *c, yaml_node_t *n)
{
	struct geo_config *g = c->g;
	if (ydoc_check_map(c->d, n, "pops", c->err, c->errlen) < 0)
		return -1;
	size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (cnt == 0)
		return E(c, n, "pops: no PoPs defined");
	if (cnt > MAX_POPS)
		return E(c, n, "pops: more than %d PoPs", MAX_POPS);
	g->pops = arena_alloc(c->a, cnt * sizeof(*g->pops));
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
		g->pops[i].index = (unsigned)i;
		if (parse_pop(c, ydoc_node(c->d, pr->key), ydoc_node(c->d, pr->value), &g->pops[i]) < 0)
			return -1;
	}
	g->n_pops = cnt;
	return 0;
}

/* --- policy --- */

/* An ordered list of PoP names (rule `pops:` or `fallback:`) as indexes. */
static int parse_pop_list(struct gctx *c, yaml_node_t *n, const char *what, unsigned **out,
                          size_t *n_out)
{
	const struct geo_config *g = c->g;
	yaml_node_t **items;
	long cnt = list_items(c, n, what, &items);
	if (cnt < 0)
		return -1;
	unsigned *idx = arena_alloc(c->a, (size_t)cnt * sizeof(*idx));
	for (long i = 0; i < cnt; i++) {
		const char *s;
		if (get_str(c, items[i], what, &s) < 0)
			return -1;
		size_t j;
		for (j = 0; j < g->n_pops; j++)
			if (strcmp(g->pops[j].name, s) == 0)
				break;
		if (j == g->n_pops) {
			struct suggest_best b = { 0 };
			for (j = 0; j < g->n_pops; j++)
				suggest_consider(&b, s, g->pops[j].name);
			if (b.best)
				return E(c, items[i], "%s: unknown PoP '%s'; did you mean '%s'?", what, s,
				         b.best);
			return E(c, items[i], "%s: unknown PoP '%s'", what, s);
		}
		for (long k = 0; k < i; k++)
			if (idx[k] == j)
				return E(c, items[i], "%s: duplicate PoP '%s'", what, s);
		idx[i] = (unsigned)j;
	}
	*out = idx;
	*n_out = (size_t)cnt;
	return 0;
}

static const char *const continents[] = { "AF", "AN", "AS", "EU", "NA", "OC", "SA" };

/* Upper-case copy of s into the arena. */
static char *upper_dup(struct gctx *c, const char *s)
{
	char *u = arena_strdup(c->a, s);
	for (char *p = u; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return u;
}

static bool is_alpha2(const char *s)
{
	return strlen(s) == 2 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 2;
}

/* One continent / country / subdivision code, validated, upper case. */
static int parse_code(struct gctx *c, enum geo_match kind, yaml_node_t *n, const char **out)
{
	static const char *const names[] = { [GM_CONTINENT] = "continent", [GM_COUNTRY] = "country",
	                                     [GM_SUBDIVISION] = "subdivision" };
	const char *what = names[kind];
	const char *s;
	if (get_str(c, n, what, &s) < 0)
		return -1;
	char *u = upper_dup(c, s);
	if (kind == GM_CONTINENT) {
		for (size_t i = 0; i < NKEYS(continents); i++)
			if (strcmp(continents[i], u) == 0)
				goto ok;
		return E(c, n, "continent: unknown continent code '%s' (expected AF, AN, AS, EU, NA, "
		         "OC or SA)", s);
	}
	if (kind == GM_COUNTRY) {
		if (!is_alpha2(u))
			return E(c, n, "country: bad country code '%s' (expected ISO 3166-1 alpha-2, "
			         "e.g. DE)", s);
		/* Catch "UK" for GB and similar slips: the DBs only emit assigned codes. */
		if (!iso3166_lookup(u))
			return E(c, n, "country: unknown country code '%s'", s);
		goto ok;
	}
	/* ISO 3166-2: "US-CA", "GB-ENG", "FR-75": country, '-', 1-3 alphanumerics. */
	char cc[3] = { u[0], u[0] ? u[1] : 0, 0 };
	size_t sl = strlen(u);
	if (sl < 4 || sl > 6 || u[2] != '-' || !is_alpha2(cc) ||
	    strspn(u + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != sl - 3)
		return E(c, n, "subdivision: bad subdivision code '%s' (expected CC-SUB, e.g. US-CA)",
		         s);
	if (!iso3166_lookup(cc))
		return E(c, n, "subdivision: unknown country code in '%s'", s);
ok:
	*out = u;
	return 0;
}

static int parse_match(struct gctx *c, yaml_node_t *n, struct geo_rule *r)
{
	if (ydoc_walk_table(c->d, n, &geo_match_table, NULL, c->err, c->errlen) < 0)
		return -1;
	yaml_node_pair_t *p0 = n->data.mapping.pairs.start;
	if (p0 == n->data.mapping.pairs.top)
		return E(c, n, "match: needs one of continent, country, subdivision, asn or cidr");
	if (p0 + 1 < n->data.mapping.pairs.top)
		return E(c, ydoc_node(c->d, p0[1].key),
		         "match: only one of continent, country, subdivision, asn or cidr per rule");
	const char *ks = ydoc_scalar(ydoc_node(c->d, p0->key));
	yaml_node_t *v = ydoc_node(c->d, p0->value);
	/* The match table's rows are in enum geo_match order. */
	r->kind = (enum geo_match)((size_t)(ydoc_table_key(&geo_match_table, ks) - geo_match_table.keys) + 1);

	yaml_node_t **items;
	long cnt = list_items(c, v, ks, &items);
	if (cnt < 0)
		return -1;
	r->n_values = (size_t)cnt;
	switch (r->kind) {
	case GM_ASN:
		r->asns = arena_alloc(c->a, (size_t)cnt * sizeof(*r->asns));
		for (long i = 0; i < cnt; i++) {
			if (ydoc_get_u32(c->d, items[i], "asn", 1, UINT32_MAX, &r->asns[i], c->err,
			                 c->errlen) < 0)
				return -1;
			for (long j = 0; j < i; j++)
				if (r->asns[j] == r->asns[i])
					return E(c, items[i], "asn: duplicate %u", r->asns[i]);
		}
		break;
	case GM_CIDR:
		r->cidrs = arena_alloc(c->a, (size_t)cnt * sizeof(*r->cidrs));
		for (long i = 0; i < cnt; i++) {
			if (get_cidr(c, items[i], "cidr", &r->cidrs[i]) < 0)
				return -1;
			for (long j = 0; j < i; j++)
				if (memcmp(&r->cidrs[j], &r->cidrs[i], sizeof(r->cidrs[i])) == 0)
					return E(c, items[i], "cidr: duplicate network '%s'",
					         ydoc_scalar(items[i]));
		}
		break;
	default:
		r->codes = arena_alloc(c->a, (size_t)cnt * sizeof(*r->codes));
		for (long i = 0; i < cnt; i++) {
			if (parse_code(c, r->kind, items[i], &r->codes[i]) < 0)
				return -1;
			for (long j = 0; j < i; j++)
				if (strcmp(r->codes[j], r->codes[i]) == 0)
					return E(c, items[i], "%s: duplicate '%s'", ks, r->codes[i]);
		}
		break;
	}
	return 0;
}

static int parse_policy(struct gctx *c, yaml_node_t *n)
{
	struct geo_config *g = c->g;
	if (ydoc_walk_table(c->d, n, &geo_policy_table, NULL, c->err, c->errlen) < 0)
		return -1;
	yaml_node_t *rules = ydoc_map_get(c->d, n, "rules");
	if (rules) {
		size_t cnt = (size_t)(rules->data.sequence.items.top - rules->data.sequence.items.start);
		g->rules = arena_alloc(c->a, (cnt ? cnt : 1) * sizeof(*g->rules));
		for (size_t i = 0; i < cnt; i++) {
			yaml_node_t *rn = ydoc_node(c->d, rules->data.sequence.items.start[i]);
			struct geo_rule *r = &g->rules[i];
			if (ydoc_walk_table(c->d, rn, &geo_rule_table, NULL, c->err, c->errlen) < 0)
				return -1;
			r->line = ydoc_line(rn);
			if (parse_match(c, ydoc_map_get(c->d, rn, "match"), r) < 0)
				return -1;
			if (parse_pop_list(c, ydoc_map_get(c->d, rn, "pops"), "pops", &r->pops,
			                   &r->n_pops) < 0)
				return -1;
		}
		g->n_rules = cnt;
	}
	yaml_node_t *fb = ydoc_map_get(c->d, n, "fallback");
	if (fb && parse_pop_list(c, fb, "fallback", &g->fallback, &g->n_fallback) < 0)
		return -1;
	return 0;
}

/* --- ecs --- */

/* A scope clamp; its defaults are the rows' (the family's whole range). */
static int parse_clamp(struct gctx *c, yaml_node_t *n, const struct ydoc_table *t,
                       struct ecs_scope_clamp *out)
{
	uint32_t lo = 0, hi = 0;
	if (ydoc_walk_table(c->d, n, t, NULL, c->err, c->errlen) < 0)
		return -1;
	if (get_u32_key(c, n, &t->keys[0], &lo) < 0 || get_u32_key(c, n, &t->keys[1], &hi) < 0)
		return -1;
	if (lo > hi)
		return E(c, n, "%s: min %u is greater than max %u", t->what, lo, hi);
	out->min = (uint8_t)lo;
	out->max = (uint8_t)hi;
	return 0;
}

/* The clamp with the defaults of table t's rows. */
static struct ecs_scope_clamp clamp_default(const struct ydoc_table *t)
{
	uint32_t lo = 0, hi = 0;
	ydoc_parse_u32(t->keys[0].def, &lo);
	ydoc_parse_u32(t->keys[1].def, &hi);
	return (struct ecs_scope_clamp){ (uint8_t)lo, (uint8_t)hi };
}

static int parse_ecs(struct gctx *c, yaml_node_t *n)
{
	struct geo_config *g = c->g;
	if (ydoc_walk_table(c->d, n, &geo_ecs_table, NULL, c->err, c->errlen) < 0)
		return -1;
	yaml_node_t *t = ydoc_map_get(c->d, n, "trust");
	if (t) {
		const char *s = ydoc_scalar(t);
		if (t->type == YAML_SEQUENCE_NODE) {
			/* An empty list trusts nobody: ECS is then ignored. */
			size_t cnt = (size_t)(t->data.sequence.items.top - t->data.sequence.items.start);
			g->ecs_trust_all = false;
			g->ecs_trusted = arena_alloc(c->a, (cnt ? cnt : 1) * sizeof(*g->ecs_trusted));
			for (size_t i = 0; i < cnt; i++)
				if (get_cidr(c, ydoc_node(c->d, t->data.sequence.items.start[i]), "trust",
				             &g->ecs_trusted[i]) < 0)
					return -1;
			g->n_ecs_trusted = cnt;
		} else if (!s || strcmp(s, "all") != 0) {
			return E(c, t, "trust: expected 'all' or a list of resolver networks");
		}
	}
	yaml_node_t *sc = ydoc_map_get(c->d, n, "scope");
	if (sc) {
		if (ydoc_walk_table(c->d, sc, &geo_scope_table, NULL, c->err, c->errlen) < 0)
			return -1;
		yaml_node_t *v;
		if ((v = ydoc_map_get(c->d, sc, "ipv4")) &&
		    parse_clamp(c, v, &geo_clamp4_table, &g->scope4) < 0)
			return -1;
		if ((v = ydoc_map_get(c->d, sc, "ipv6")) &&
		    parse_clamp(c, v, &geo_clamp6_table, &g->scope6) < 0)
			return -1;
	}
	return 0;
}

/* --- entry points --- */

int geo_config_from_yaml(struct ydoc *d, const struct geo_yaml_sections *s, struct arena *a,
                         const char *dir, struct geo_config **out, char *err, size_t errlen)
{
	struct gctx c = { .d = d, .a = a, .dir = dir, .err = err, .errlen = errlen };
	*out = NULL;
	if (!s->geoip && !s->pops && !s->policy && !s->ecs)
		return 0;
	/* The sections only mean something together: say which is missing at
	 * the one that is there. */
	if (!s->geoip) {
		yaml_node_t *n = s->pops ? s->pops : s->policy ? s->policy : s->ecs;
		const char *name = s->pops ? "pops" : s->policy ? "policy" : "ecs";
		return E(&c, n, "%s: requires a geoip section", name);
	}
	if (!s->pops)
		return E(&c, s->geoip, "geoip: requires a pops section");

	struct geo_config *g = arena_alloc(a, sizeof(*g));
	c.g = g;
	g->ecs_trust_all = strcmp(ydoc_table_key(&geo_ecs_table, "trust")->def, "all") == 0;
	g->scope4 = clamp_default(&geo_clamp4_table);
	g->scope6 = clamp_default(&geo_clamp6_table);
	if (parse_geoip(&c, s->geoip) < 0 || parse_pops(&c, s->pops) < 0)
		return -1;
	if (s->policy && parse_policy(&c, s->policy) < 0)
		return -1;
	if (!g->fallback) {
		g->fallback = arena_alloc(a, g->n_pops * sizeof(*g->fallback));
		for (size_t i = 0; i < g->n_pops; i++)
			g->fallback[i] = (unsigned)i;
		g->n_fallback = g->n_pops;
	}
	if (s->ecs && parse_ecs(&c, s->ecs) < 0)
		return -1;
	*out = g;
	return 0;
}
