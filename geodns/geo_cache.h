/*
 * geo_cache.h: reusing compiled GeoIP trees instead of rebuilding them.
 *
 * What geo_compile() builds from the DBs and the policy (the location
 * tree, the decision tree, the PoP lists, the rule per location) is held
 * in a struct geo_core, shared by reference count between the config
 * generations that compiled to the same thing and freed with the last of
 * them. It depends on exactly two inputs, hashed into the key:
 *  - the bytes of every DB file (geoip.databases in order, asn_database);
 *  - the compile-relevant config: the schema, PoP coordinates and count,
 *    the policy rules and the fallback list (geo_cache_cfg_hash()). PoP
 *    names, addresses, checks and health are not in it: they are bound per
 *    config (geo_compiled.pop_state), health is runtime state.
 *
 * A reload whose DB files have the same identity (device, inode, size,
 * mtime, ctime) and whose config hash is unchanged reuses the running
 * core without reading the DBs; one whose files changed identity but not
 * content (touched, copied over) reuses it after hashing them.
 *
 * On disk: `geoip: { cache_dir: PATH }` (default in geo_schema.c;
 * "" turns it off) holds one file per set of DB paths,
 * geoip-<hash of the paths>.cache, so a restart with nothing changed
 * reads the trees instead of compiling them. Layout (host byte order):
 *   header: magic "STDNSGEO", u32 version, u32 byte-order mark,
 *           u64 key, u64 payload length, u64 payload hash
 *   payload: the DB files' identities and content hashes, PoP and rule
 *            counts, the PoP lists, the rule per location, the nearest
 *            PoP and its distance per location, the location tree and the
 *            decision tree (geotree_io.h), arrays padded to 8 bytes so the
 *            trees can point into the buffer read
 * At start, a DB file whose identity is the one recorded is not read
 * again: its recorded hash is used for the key.
 * Written to a temporary file and renamed over, so a reader sees the old
 * file or the new one. The file is untrusted: a wrong magic, version,
 * byte order, key, length or hash, or any out-of-range count, offset,
 * index or reference, makes it ignored (logged) and the trees compiled.
 */
#ifndef STEERDNS_GEO_CACHE_H
#define STEERDNS_GEO_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "geodns/geo_config.h"

struct geotree;
struct dtree;

/* Identity of one DB file, and the hash of its bytes when they were
 * read with that identity (geo_cache_key). */
struct geo_db_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	uint64_t hash;
};

/* The compiled trees: immutable once built, shared by refs. */
struct geo_core {
	atomic_uint refs;
	struct dtree *tree;
	struct geotree *loc_tree;
	uint16_t *lists;
	uint32_t *list_off;
	uint16_t *list_len;
	uint32_t n_lists, fallback_list;
	uint32_t *loc_rule;
	uint16_t *loc_nearest;     /* per location (geo_compile.h) */
	double *loc_nearest_km;
	uint32_t n_locs;
	uint32_t n_pops, n_rules;  /* of the config it was compiled for */
	uint64_t cfg_hash;         /* geo_cache_cfg_hash() */
	uint64_t key;              /* geo_cache_key(): cfg_hash + DB bytes */
	struct geo_db_id *ids;     /* n_ids DB files as compiled; NULL if unknown */
	size_t n_ids;
	/* Read from a cache file: the arrays above (and the tries' nodes)
	 * point into this buffer, freed with the core. */
	uint8_t *blob;
	size_t blob_len;
	bool blob_mapped;          /* mmap'ed (else malloc'ed) */
};

/* Free a cache image buffer (mmap'ed or malloc'ed). */
void geo_blob_free(uint8_t *buf, size_t len, bool mapped);

/* Free a core and what it owns (not its refcount logic: geo_compile.c). */
void geo_core_destroy(struct geo_core *c);

/* Hash of the compile-relevant part of conf (see above). */
uint64_t geo_cache_cfg_hash(const struct geo_config *conf);

/* Identities of conf's DB files (databases, then asn_database) into a new
 * array of *n, hashes unset; NULL if one cannot be stat'ed (or out of
 * memory). */
struct geo_db_id *geo_db_ids(const struct geo_config *conf, size_t *n);
bool geo_db_ids_equal(const struct geo_db_id *a, size_t na, const struct geo_db_id *b,
                      size_t nb);

/* The key: cfg_hash and the bytes of every DB file (ids from
 * geo_db_ids(conf)). Each ids[i].hash is filled in: taken from ka[i] or
 * kb[i] (previous records of the same files, may be NULL) when that has
 * the same identity, so a file is only read when it is new or changed;
 * else by reading the file. -1 with a message naming the file if one
 * cannot be read. */
int geo_cache_key(const struct geo_config *conf, uint64_t cfg_hash, struct geo_db_id *ids,
                  size_t n, const struct geo_db_id *ka, size_t na, const struct geo_db_id *kb,
                  size_t nb, uint64_t *key, char *err, size_t errlen);

/* The cache file for conf (malloc'd), or NULL when there is no cache_dir. */
char *geo_cache_path(const struct geo_config *conf);

/* Serialize core's trees, its key and DB identities into a cache file
 * image (malloc'd, *len bytes); NULL on out of memory. */
uint8_t *geo_cache_encode(const struct geo_core *core, size_t *len);

/* Rewrite the payload length and hash of an image of len (>= 40) bytes,
 * e.g. after changing its payload: how the tests make the decoder's
 * structural checks, not the hash, face corrupt payloads. */
void geo_cache_seal(uint8_t *img, size_t len);

/* A cache file read and checked up to its DB identities: magic, version,
 * byte order and length are valid, the DB table read; key, checksum and
 * the trees are checked by geo_cache_take(). */
struct geo_cache_img {
	uint8_t *buf;
	size_t len, pos;
	uint64_t key, sum;
	struct geo_db_id *ids;
	size_t n_ids;
	bool mapped;               /* buf is mmap'ed (else malloc'ed) */
};

/* Map path into img; -1 with why. */
int geo_cache_open(const char *path, struct geo_cache_img *img, char *why, size_t whylen);

/* The same for an image in memory (copied). */
int geo_cache_open_mem(const uint8_t *buf, size_t len, struct geo_cache_img *img, char *why,
                       size_t whylen);

/* The trees of img, which must be for key, n_pops PoPs and n_rules rules
 * and match its checksum; NULL with why otherwise or if any count, offset,
 * index or reference is out of range. The core takes img's buffer (its arrays point into it);
 * img is emptied either way. refs 0, cfg_hash and ids unset. */
struct geo_core *geo_cache_take(struct geo_cache_img *img, uint64_t key, uint32_t n_pops,
                                uint32_t n_rules, char *why, size_t whylen);

void geo_cache_img_free(struct geo_cache_img *img);

/* geo_cache_open_mem() + geo_cache_take(). */
struct geo_core *geo_cache_decode(const uint8_t *buf, size_t len, uint64_t key, uint32_t n_pops,
                                  uint32_t n_rules, char *why, size_t whylen);

/* Encode core and write it to path atomically (temp file + rename,
 * creating the cache dir if its parent exists); -1 with why. */
int geo_cache_write(const char *path, const struct geo_core *core, char *why, size_t whylen);

#endif
