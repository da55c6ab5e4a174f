/* geo_cache.c: the GeoIP compile key and the cache file; see geo_cache.h. */
#include "geodns/geo_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "geodns/geo_blob.h"
#include "geodns/geo_hash.h"
#include "geodns/geotree.h"
#include "geodns/geotree_io.h"

static const char MAGIC[8] = { 'S', 'T', 'D', 'N', 'S', 'G', 'E', 'O' };
/* Bump when the payload layout or anything the compile does changes. */
#define CACHE_VERSION 1u
#define BYTE_ORDER_MARK 0x01020304u
#define HEADER_BYTES 40
#define SEED_KEY 0x5d1e0c0a9e0b7a11ull
#define SEED_SUM 0x2c4f9a83b1d0e657ull
#define SEED_PATHS 0x71b3e4a5c2d80f19ull

void geo_core_destroy(struct geo_core *c)
{
	if (!c)
		return;
	dtree_free(c->tree);
	geotree_free(c->loc_tree);
	free(c->lists);
	free(c->list_off);
	free(c->list_len);
	free(c->loc_rule);
	free(c->ids);
	free(c);
}

/* --- key --- */

static void h_u64(struct geo_hash *h, uint64_t v)
{
	geo_hash_update(h, &v, sizeof(v));
}

/* A string with its length, NULL distinct from "". */
static void h_str(struct geo_hash *h, const char *s)
{
	h_u64(h, s ? strlen(s) + 1 : 0);
	if (s)
		geo_hash_update(h, s, strlen(s));
}

static void h_double(struct geo_hash *h, double d)
{
	uint64_t v;
	memcpy(&v, &d, sizeof(v));
	h_u64(h, v);
}

uint64_t geo_cache_cfg_hash(const struct geo_config *conf)
{
	struct geo_hash h;
	geo_hash_init(&h, SEED_KEY);
	h_u64(&h, CACHE_VERSION);
	h_u64(&h, conf->n_databases);
	h_u64(&h, conf->asn_database != NULL);
	const struct geodb_fields *f = &conf->schema;
	h_str(&h, f->latitude);
	h_str(&h, f->longitude);
	h_str(&h, f->country);
	h_str(&h, f->continent);
	h_str(&h, f->subdivision);
	h_str(&h, f->asn);
	h_u64(&h, conf->n_pops);
	for (size_t p = 0; p < conf->n_pops; p++) {
		h_double(&h, conf->pops[p].lat);
		h_double(&h, conf->pops[p].lon);
	}
	h_u64(&h, conf->n_rules);
	for (size_t r = 0; r < conf->n_rules; r++) {
		const struct geo_rule *ru = &conf->rules[r];
		h_u64(&h, ru->kind);
		h_u64(&h, ru->n_values);
		for (size_t i = 0; i < ru->n_values; i++) {
			if (ru->codes)
				h_str(&h, ru->codes[i]);
			if (ru->asns)
				h_u64(&h, ru->asns[i]);
			if (ru->cidrs) {
				geo_hash_update(&h, ru->cidrs[i].addr, 16);
				h_u64(&h, ru->cidrs[i].len);
			}
		}
		h_u64(&h, ru->n_pops);
		for (size_t i = 0; i < ru->n_pops; i++)
			h_u64(&h, ru->pops[i]);
	}
	h_u64(&h, conf->n_fallback);
	for (size_t i = 0; i < conf->n_fallback; i++)
		h_u64(&h, conf->fallback[i]);
	return geo_hash_final(&h);
}

static const char *db_path(const struct geo_config *conf, size_t i)
{
	return i < conf->n_databases ? conf->databases[i] : conf->asn_database;
}

static size_t n_db_files(const struct geo_config *conf)
{
	return conf->n_databases + (conf->asn_database != NULL);
}

int geo_cache_key(const struct geo_config *conf, uint64_t cfg_hash, uint64_t *key, char *err,
                  size_t errlen)
{
	struct geo_hash h;
	geo_hash_init(&h, SEED_KEY);
	h_u64(&h, cfg_hash);
	for (size_t i = 0; i < n_db_files(conf); i++) {
		uint64_t fh;
		if (geo_hash_file(db_path(conf, i), SEED_KEY, &fh) < 0) {
			snprintf(err, errlen, "%s: %s", db_path(conf, i), strerror(errno));
			return -1;
		}
		h_u64(&h, fh);
	}
	*key = geo_hash_final(&h);
	return 0;
}

struct geo_db_id *geo_db_ids(const struct geo_config *conf, size_t *n)
{
	*n = n_db_files(conf);
	struct geo_db_id *ids = calloc(*n ? *n : 1, sizeof(*ids));
	if (!ids)
		return NULL;
	for (size_t i = 0; i < *n; i++) {
		struct stat st;
		if (stat(db_path(conf, i), &st) < 0) {
			free(ids);
			return NULL;
		}
		ids[i] = (struct geo_db_id){ .dev = st.st_dev, .ino = st.st_ino, .size = st.st_size,
		                             .mtime = st.st_mtim, .ctime = st.st_ctim };
	}
	return ids;
}

bool geo_db_ids_equal(const struct geo_db_id *a, size_t na, const struct geo_db_id *b, size_t nb)
{
	if (!a || !b || na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].dev != b[i].dev || a[i].ino != b[i].ino || a[i].size != b[i].size ||
		    a[i].mtime.tv_sec != b[i].mtime.tv_sec || a[i].mtime.tv_nsec != b[i].mtime.tv_nsec ||
		    a[i].ctime.tv_sec != b[i].ctime.tv_sec || a[i].ctime.tv_nsec != b[i].ctime.tv_nsec)
			return false;
	return true;
}

char *geo_cache_path(const struct geo_config *conf)
{
	if (!conf->cache_dir)
		return NULL;
	struct geo_hash h;
	geo_hash_init(&h, SEED_PATHS);
	for (size_t i = 0; i < n_db_files(conf); i++)
		h_str(&h, db_path(conf, i));
	char *p = NULL;
	if (asprintf(&p, "%s/geoip-%016llx.cache", conf->cache_dir,
	             (unsigned long long)geo_hash_final(&h)) < 0)
		return NULL;
	return p;
}

/* --- file image --- */

uint8_t *geo_cache_encode(const struct geo_core *c, uint64_t key, size_t *len)
{
	struct geo_wbuf w = { 0 };
	geo_wbuf_room(&w, HEADER_BYTES);
	geo_wbuf_u32(&w, c->n_pops);
	geo_wbuf_u32(&w, c->n_rules);
	geo_wbuf_u32(&w, c->n_lists);
	geo_wbuf_u32(&w, c->fallback_list);
	uint32_t total = 0;
	for (uint32_t d = 0; d < c->n_lists; d++)
		if (c->list_off[d] + c->list_len[d] > total)
			total = c->list_off[d] + c->list_len[d];
	geo_wbuf_u32(&w, total);
	geo_wbuf_put(&w, c->list_off, (size_t)c->n_lists * sizeof(*c->list_off));
	geo_wbuf_put(&w, c->list_len, (size_t)c->n_lists * sizeof(*c->list_len));
	geo_wbuf_put(&w, c->lists, (size_t)total * sizeof(*c->lists));
	geo_wbuf_u32(&w, c->n_locs);
	geo_wbuf_put(&w, c->loc_rule, (size_t)c->n_locs * sizeof(*c->loc_rule));
	geotree_save(c->loc_tree, &w);
	dtree_save(c->tree, &w);
	if (w.oom) {
		free(w.p);
		return NULL;
	}
	uint8_t *b = w.p;
	uint32_t version = CACHE_VERSION, bom = BYTE_ORDER_MARK;
	memcpy(b, MAGIC, 8);
	memcpy(b + 8, &version, 4);
	memcpy(b + 12, &bom, 4);
	memcpy(b + 16, &key, 8);
	geo_cache_seal(b, w.len);
	*len = w.len;
	return b;
}

void geo_cache_seal(uint8_t *img, size_t len)
{
	uint64_t plen = len - HEADER_BYTES;
	uint64_t sum = geo_hash64(img + HEADER_BYTES, plen, SEED_SUM);
	memcpy(img + 24, &plen, 8);
	memcpy(img + 32, &sum, 8);
}

/* Set the reason and yield NULL, for `return WHY(...)`. */
static struct geo_core *why_null(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct geo_core *why_null(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return NULL;
}
#define WHY(...) why_null(why, whylen, __VA_ARGS__)

static struct geo_core *decode_payload(struct geo_rbuf *r, uint32_t n_pops, uint32_t n_rules,
                                       char *why, size_t whylen)
{
	struct geo_core *c = calloc(1, sizeof(*c));
	if (!c)
		return WHY("out of memory");
	c->n_pops = geo_rbuf_u32(r);
	c->n_rules = geo_rbuf_u32(r);
	c->n_lists = geo_rbuf_u32(r);
	c->fallback_list = geo_rbuf_u32(r);
	uint32_t total = geo_rbuf_u32(r);
	if (r->bad || c->n_pops != n_pops || c->n_rules != n_rules || c->n_lists == 0 ||
	    c->fallback_list >= c->n_lists) {
		geo_core_destroy(c);
		return WHY("bad PoP list header");
	}
	c->list_off = geo_rbuf_array(r, c->n_lists, sizeof(*c->list_off));
	c->list_len = geo_rbuf_array(r, c->n_lists, sizeof(*c->list_len));
	c->lists = geo_rbuf_array(r, total, sizeof(*c->lists));
	bool ok = !r->bad;
	for (uint32_t d = 0; ok && d < c->n_lists; d++)
		ok = c->list_off[d] <= total && c->list_len[d] <= total - c->list_off[d];
	for (uint32_t i = 0; ok && i < total; i++)
		ok = c->lists[i] < n_pops;
	if (!ok) {
		geo_core_destroy(c);
		return WHY("bad PoP lists");
	}
	c->n_locs = geo_rbuf_u32(r);
	c->loc_rule = geo_rbuf_array(r, c->n_locs, sizeof(*c->loc_rule));
	for (uint32_t i = 0; !r->bad && i < c->n_locs; i++)
		if (c->loc_rule[i] > n_rules)
			r->bad = true;
	if (r->bad) {
		geo_core_destroy(c);
		return WHY("bad rule table");
	}
	c->loc_tree = geotree_load(r);
	if (!c->loc_tree || geotree_nlocations(c->loc_tree) != c->n_locs) {
		geo_core_destroy(c);
		return WHY("bad location tree");
	}
	c->tree = dtree_load(r, c->n_lists);
	if (!c->tree || r->pos != r->len) {
		geo_core_destroy(c);
		return WHY("bad decision tree");
	}
	return c;
}

struct geo_core *geo_cache_decode(const uint8_t *buf, size_t len, uint64_t key, uint32_t n_pops,
                                  uint32_t n_rules, char *why, size_t whylen)
{
	uint32_t version, bom;
	uint64_t fkey, plen, sum;
	if (len < HEADER_BYTES || memcmp(buf, MAGIC, 8) != 0)
		return WHY("not a steerdns GeoIP cache");
	memcpy(&version, buf + 8, 4);
	memcpy(&bom, buf + 12, 4);
	memcpy(&fkey, buf + 16, 8);
	memcpy(&plen, buf + 24, 8);
	memcpy(&sum, buf + 32, 8);
	if (version != CACHE_VERSION || bom != BYTE_ORDER_MARK)
		return WHY("written by another version or host");
	if (fkey != key)
		return WHY("stale (DB files or policy changed)");
	if (plen != len - HEADER_BYTES)
		return WHY("truncated or overlong");
	if (geo_hash64(buf + HEADER_BYTES, plen, SEED_SUM) != sum)
		return WHY("checksum mismatch");
	struct geo_rbuf r = { .p = buf + HEADER_BYTES, .len = plen };
	struct geo_core *c = decode_payload(&r, n_pops, n_rules, why, whylen);
	if (c)
		c->key = key;
	return c;
}

struct geo_core *geo_cache_read(const char *path, uint64_t key, uint32_t n_pops,
                                uint32_t n_rules, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return WHY("%s", strerror(errno));
	struct stat st;
	uint8_t *buf = NULL;
	struct geo_core *c = NULL;
	if (fstat(fd, &st) < 0 || st.st_size < HEADER_BYTES) {
		WHY("too short");
		goto out;
	}
	size_t len = (size_t)st.st_size, got = 0;
	buf = malloc(len);
	if (!buf) {
		WHY("out of memory");
		goto out;
	}
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			WHY("%s", n < 0 ? strerror(errno) : "shrank while read");
			goto out;
		}
		got += (size_t)n;
	}
	c = geo_cache_decode(buf, len, key, n_pops, n_rules, why, whylen);
out:
	free(buf);
	close(fd);
	return c;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int geo_cache_write(const char *path, const struct geo_core *core, char *why, size_t whylen)
{
	size_t len;
	uint8_t *img = geo_cache_encode(core, core->key, &len);
	if (!img) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			snprintf(why, whylen, "%s: %s", dir, strerror(errno));
			free(img);
			return -1;
		}
	}
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
		free(img);
		return -1;
	}
	int rc = write_all(fd, img, len);
	int e = errno;
	free(img);
	if (close(fd) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc == 0 && rename(tmp, path) < 0) {
		rc = -1;
		e = errno;
	}
	if (rc < 0) {
		snprintf(why, whylen, "%s: %s", tmp, strerror(e));
		unlink(tmp);
	}
	return rc;
}
