/* geo_cache.c: the GeoIP compile key and the cache file; see geo_cache.h. */
#include "geodns/geo_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "geodns/distance.h"
#include "geodns/geo_blob.h"
#include "geodns/geo_compile.h"
#include "geodns/geo_hash.h"
#include "geodns/geotree.h"
#include "geodns/geotree_io.h"

static const char MAGIC[8] = { 'S', 'T', 'D', 'N', 'S', 'G', 'E', 'O' };
/* Bump when the payload layout or anything the compile does changes. */
#define CACHE_VERSION 2u   /* 2: nearest PoP and distance per location */
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
	if (!c->blob) {
		free(c->lists);
		free(c->list_off);
		free(c->list_len);
		free(c->loc_rule);
		free(c->loc_nearest);
		free(c->loc_nearest_km);
	}
	geo_blob_free(c->blob, c->blob_len, c->blob_mapped);
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

static bool same_file(const struct geo_db_id *a, const struct geo_db_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

int geo_cache_key(const struct geo_config *conf, uint64_t cfg_hash, struct geo_db_id *ids,
                  size_t n, const struct geo_db_id *ka, size_t na, const struct geo_db_id *kb,
                  size_t nb, uint64_t *key, char *err, size_t errlen)
{
	struct geo_hash h;
	geo_hash_init(&h, SEED_KEY);
	h_u64(&h, cfg_hash);
	for (size_t i = 0; i < n; i++) {
		if (i < na && same_file(&ka[i], &ids[i])) {
			ids[i].hash = ka[i].hash;
		} else if (i < nb && same_file(&kb[i], &ids[i])) {
			ids[i].hash = kb[i].hash;
		} else if (geo_hash_file(db_path(conf, i), SEED_KEY, &ids[i].hash) < 0) {
			snprintf(err, errlen, "%s: %s", db_path(conf, i), strerror(errno));
			return -1;
		}
		h_u64(&h, ids[i].hash);
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
		if (!same_file(&a[i], &b[i]))
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

/* A DB identity as stored: 8 x u64. */
static void put_id(struct geo_wbuf *w, const struct geo_db_id *id)
{
	geo_wbuf_u64(w, (uint64_t)id->dev);
	geo_wbuf_u64(w, (uint64_t)id->ino);
	geo_wbuf_u64(w, (uint64_t)id->size);
	geo_wbuf_u64(w, (uint64_t)id->mtime.tv_sec);
	geo_wbuf_u64(w, (uint64_t)id->mtime.tv_nsec);
	geo_wbuf_u64(w, (uint64_t)id->ctime.tv_sec);
	geo_wbuf_u64(w, (uint64_t)id->ctime.tv_nsec);
	geo_wbuf_u64(w, id->hash);
}

static void get_id(struct geo_rbuf *r, struct geo_db_id *id)
{
	id->dev = (dev_t)geo_rbuf_u64(r);
	id->ino = (ino_t)geo_rbuf_u64(r);
	id->size = (off_t)geo_rbuf_u64(r);
	id->mtime.tv_sec = (time_t)geo_rbuf_u64(r);
	id->mtime.tv_nsec = (long)geo_rbuf_u64(r);
	id->ctime.tv_sec = (time_t)geo_rbuf_u64(r);
	id->ctime.tv_nsec = (long)geo_rbuf_u64(r);
	id->hash = geo_rbuf_u64(r);
}

uint8_t *geo_cache_encode(const struct geo_core *c, size_t *len)
{
	struct geo_wbuf w = { 0 };
	geo_wbuf_room(&w, HEADER_BYTES);
	geo_wbuf_u64(&w, c->n_ids);
	for (size_t i = 0; i < c->n_ids; i++)
		put_id(&w, &c->ids[i]);
	geo_wbuf_u32(&w, c->n_pops);
	geo_wbuf_u32(&w, c->n_rules);
	geo_wbuf_u32(&w, c->n_lists);
	geo_wbuf_u32(&w, c->fallback_list);
	uint32_t total = 0;
	for (uint32_t d = 0; d < c->n_lists; d++)
		if (c->list_off[d] + c->list_len[d] > total)
			total = c->list_off[d] + c->list_len[d];
	geo_wbuf_u32(&w, total);
	geo_wbuf_u32(&w, c->n_locs);
	geo_wbuf_array(&w, c->list_off, (size_t)c->n_lists * sizeof(*c->list_off));
	geo_wbuf_array(&w, c->list_len, (size_t)c->n_lists * sizeof(*c->list_len));
	geo_wbuf_array(&w, c->lists, (size_t)total * sizeof(*c->lists));
	geo_wbuf_array(&w, c->loc_rule, (size_t)c->n_locs * sizeof(*c->loc_rule));
	geo_wbuf_array(&w, c->loc_nearest, (size_t)c->n_locs * sizeof(*c->loc_nearest));
	geo_wbuf_array(&w, c->loc_nearest_km, (size_t)c->n_locs * sizeof(*c->loc_nearest_km));
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
	memcpy(b + 16, &c->key, 8);
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

/* The most DB files a config can name (geoip.databases + asn_database). */
#define MAX_IDS 65

/* Header and DB identities of img->buf (img->len bytes); -1 with why.
 * Takes the buffer: freed on failure. */
static int open_buf(struct geo_cache_img *img, char *why, size_t whylen)
{
	const uint8_t *buf = img->buf;
	uint32_t version, bom;
	uint64_t plen, sum;
	if (img->len < HEADER_BYTES || memcmp(buf, MAGIC, 8) != 0) {
		WHY("not a steerdns GeoIP cache");
		goto fail;
	}
	memcpy(&version, buf + 8, 4);
	memcpy(&bom, buf + 12, 4);
	memcpy(&img->key, buf + 16, 8);
	memcpy(&plen, buf + 24, 8);
	memcpy(&sum, buf + 32, 8);
	if (version != CACHE_VERSION || bom != BYTE_ORDER_MARK) {
		WHY("written by another version or host");
		goto fail;
	}
	if (plen != img->len - HEADER_BYTES) {
		WHY("truncated or overlong");
		goto fail;
	}
	img->sum = sum;
	/* The DB table is read (bounds-checked) before the checksum is
	 * verified: it gives the key, and a stale file (the usual case when
	 * there is something to compile) need not be hashed at all. */
	struct geo_rbuf r = { .p = buf + HEADER_BYTES, .len = plen };
	uint64_t n = geo_rbuf_u64(&r);
	if (r.bad || n > MAX_IDS) {
		WHY("bad DB file table");
		goto fail;
	}
	img->n_ids = (size_t)n;
	img->ids = calloc(n ? n : 1, sizeof(*img->ids));
	if (!img->ids) {
		WHY("out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		get_id(&r, &img->ids[i]);
	if (r.bad) {
		WHY("bad DB file table");
		goto fail;
	}
	img->pos = HEADER_BYTES + r.pos;
	return 0;
fail:
	geo_cache_img_free(img);
	return -1;
}

void geo_blob_free(uint8_t *buf, size_t len, bool mapped)
{
	if (mapped && buf)
		munmap(buf, len);
	else
		free(buf);
}

void geo_cache_img_free(struct geo_cache_img *img)
{
	geo_blob_free(img->buf, img->len, img->mapped);
	free(img->ids);
	memset(img, 0, sizeof(*img));
}

int geo_cache_open_mem(const uint8_t *buf, size_t len, struct geo_cache_img *img, char *why,
                       size_t whylen)
{
	memset(img, 0, sizeof(*img));
	img->buf = malloc(len ? len : 1);
	if (!img->buf) {
		WHY("out of memory");
		return -1;
	}
	memcpy(img->buf, buf, len);
	img->len = len;
	return open_buf(img, why, whylen);
}

int geo_cache_open(const char *path, struct geo_cache_img *img, char *why, size_t whylen)
{
	memset(img, 0, sizeof(*img));
	/* O_NONBLOCK: a FIFO planted there must not hang the load. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		WHY("%s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < HEADER_BYTES) {
		close(fd);
		WHY("not a regular file of a cache's size");
		return -1;
	}
	/* Mapped, not read: the trees then point at the page cache's copy
	 * (no 40 MB copy, no fresh pages to clear). The file is only ever
	 * replaced by rename, never rewritten in place, so the mapping stays
	 * whole while in use. */
	size_t len = (size_t)st.st_size;
	void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		WHY("mmap: %s", strerror(errno));
		return -1;
	}
	img->buf = m;
	img->len = len;
	img->mapped = true;
	return open_buf(img, why, whylen);
}

/* Every location with coordinates names a PoP, at a distance a sphere
 * allows; one without names none. */
static bool nearest_ok(const struct geo_core *c, uint32_t n_pops)
{
	const double max_km = M_PI * GEO_EARTH_RADIUS_KM * (1 + 1e-9);
	for (uint32_t i = 0; i < c->n_locs; i++) {
		bool located = geotree_location(c->loc_tree, i)->coords != GEO_COORD_NONE;
		uint16_t p = c->loc_nearest[i];
		double km = c->loc_nearest_km[i];
		if (located ? p >= n_pops || !(km >= 0 && km <= max_km) : p != GEO_NEAREST_NONE)
			return false;
	}
	return true;
}

static struct geo_core *decode_payload(struct geo_rbuf *r, struct geo_core *c, uint32_t n_pops,
                                       uint32_t n_rules, char *why, size_t whylen)
{
	c->n_pops = geo_rbuf_u32(r);
	c->n_rules = geo_rbuf_u32(r);
	c->n_lists = geo_rbuf_u32(r);
	c->fallback_list = geo_rbuf_u32(r);
	uint32_t total = geo_rbuf_u32(r);
	c->n_locs = geo_rbuf_u32(r);
	if (r->bad || c->n_pops != n_pops || c->n_rules != n_rules || c->n_lists == 0 ||
	    c->fallback_list >= c->n_lists)
		return WHY("bad PoP list header");
	c->list_off = geo_rbuf_array(r, c->n_lists, sizeof(*c->list_off));
	c->list_len = geo_rbuf_array(r, c->n_lists, sizeof(*c->list_len));
	c->lists = geo_rbuf_array(r, total, sizeof(*c->lists));
	bool ok = !r->bad;
	for (uint32_t d = 0; ok && d < c->n_lists; d++)
		ok = c->list_off[d] <= total && c->list_len[d] <= total - c->list_off[d];
	for (uint32_t i = 0; ok && i < total; i++)
		ok = c->lists[i] < n_pops;
	if (!ok)
		return WHY("bad PoP lists");
	c->loc_rule = geo_rbuf_array(r, c->n_locs, sizeof(*c->loc_rule));
	for (uint32_t i = 0; !r->bad && i < c->n_locs; i++)
		if (c->loc_rule[i] > n_rules)
			r->bad = true;
	if (r->bad)
		return WHY("bad rule table");
	c->loc_nearest = geo_rbuf_array(r, c->n_locs, sizeof(*c->loc_nearest));
	c->loc_nearest_km = geo_rbuf_array(r, c->n_locs, sizeof(*c->loc_nearest_km));
	if (r->bad)
		return WHY("bad nearest PoP table");
	c->loc_tree = geotree_load(r);
	if (!c->loc_tree || geotree_nlocations(c->loc_tree) != c->n_locs)
		return WHY("bad location tree");
	if (!nearest_ok(c, n_pops))
		return WHY("bad nearest PoP table");
	c->tree = dtree_load(r, c->n_lists);
	if (!c->tree || r->pos != r->len)
		return WHY("bad decision tree");
	return c;
}

struct geo_core *geo_cache_take(struct geo_cache_img *img, uint64_t key, uint32_t n_pops,
                                uint32_t n_rules, char *why, size_t whylen)
{
	struct geo_core *c = NULL;
	if (img->key != key) {
		WHY("stale (DB files or policy changed)");
		goto out;
	}
	if (geo_hash64(img->buf + HEADER_BYTES, img->len - HEADER_BYTES, SEED_SUM) != img->sum) {
		WHY("checksum mismatch");
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		WHY("out of memory");
		goto out;
	}
	/* The core owns the buffer from here: its arrays point into it. */
	c->blob = img->buf;
	c->blob_len = img->len;
	c->blob_mapped = img->mapped;
	img->buf = NULL;
	struct geo_rbuf r = { .p = c->blob + img->pos, .len = img->len - img->pos };
	if (!decode_payload(&r, c, n_pops, n_rules, why, whylen)) {
		geo_core_destroy(c);
		c = NULL;
		goto out;
	}
	c->key = key;
out:
	geo_cache_img_free(img);
	return c;
}

struct geo_core *geo_cache_decode(const uint8_t *buf, size_t len, uint64_t key, uint32_t n_pops,
                                  uint32_t n_rules, char *why, size_t whylen)
{
	struct geo_cache_img img;
	if (geo_cache_open_mem(buf, len, &img, why, whylen) < 0)
		return NULL;
	return geo_cache_take(&img, key, n_pops, n_rules, why, whylen);
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
	uint8_t *img = geo_cache_encode(core, &len);
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
