/*
 * geotree_io.h: geotrees and dtrees (geotree.h) serialized into a byte
 * buffer and read back, for the GeoIP cache file (geo_cache.h). The
 * buffers are geo_blob.h's. A tree read back answers every lookup and
 * walk exactly as the tree that was saved (its lookup tables are rebuilt).
 */
#ifndef STEERDNS_GEOTREE_IO_H
#define STEERDNS_GEOTREE_IO_H

#include <stdint.h>

#include "geodns/geotree.h"

struct geo_wbuf;
struct geo_rbuf;

/* Append t / d to w (w->oom on out of memory). */
void geotree_save(const struct geotree *t, struct geo_wbuf *w);
void dtree_save(const struct dtree *d, struct geo_wbuf *w);

/* Read a tree at r's cursor; NULL if the bytes are short, out of range
 * or inconsistent (see geotree_io.c), or on out of memory. A dtree's leaf
 * values must be below n_values. The tree's nodes point into r's buffer,
 * which must outlive it. Caller owns: geotree_free() / dtree_free(). */
struct geotree *geotree_load(struct geo_rbuf *r);
struct dtree *dtree_load(struct geo_rbuf *r, uint32_t n_values);

#endif
