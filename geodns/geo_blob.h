/*
 * geo_blob.h: the byte buffer the GeoIP cache file is written into and
 * the bounds-checked cursor it is read back with (geo_cache.c,
 * geotree_io.c). Fields are host-order fixed-width integers: the cache is
 * only ever read by the host that wrote it (the header says which byte
 * order; another one makes the file stale).
 *
 * The reader never reads past its end: a short read sets `bad` and
 * yields zeros, so a parser can read a whole record and check `bad` once.
 *
 * Arrays are padded to 8 bytes (geo_wbuf_array / geo_rbuf_array), so a
 * reader whose buffer is aligned like malloc's points into it instead of
 * copying every array out; the buffer must outlive those pointers.
 */
#ifndef STEERDNS_GEO_BLOB_H
#define STEERDNS_GEO_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct geo_wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static inline void *geo_wbuf_room(struct geo_wbuf *w, size_t n)
{
	if (w->oom)
		return NULL;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *q = realloc(w->p, cap);
		if (!q) {
			w->oom = true;
			return NULL;
		}
		w->p = q;
		w->cap = cap;
	}
	void *r = w->p + w->len;
	w->len += n;
	return r;
}

static inline void geo_wbuf_put(struct geo_wbuf *w, const void *src, size_t n)
{
	void *d = geo_wbuf_room(w, n);
	if (d && n)
		memcpy(d, src, n);
}

static inline void geo_wbuf_u32(struct geo_wbuf *w, uint32_t v)
{
	geo_wbuf_put(w, &v, sizeof(v));
}

static inline void geo_wbuf_u64(struct geo_wbuf *w, uint64_t v)
{
	geo_wbuf_put(w, &v, sizeof(v));
}

static inline void geo_wbuf_pad8(struct geo_wbuf *w)
{
	static const uint8_t zero[8];
	geo_wbuf_put(w, zero, (8 - (w->len & 7)) & 7);
}

/* An array, then padding to 8 bytes (read back by geo_rbuf_array). */
static inline void geo_wbuf_array(struct geo_wbuf *w, const void *src, size_t n)
{
	geo_wbuf_put(w, src, n);
	geo_wbuf_pad8(w);
}

struct geo_rbuf {
	const uint8_t *p;   /* 8-byte aligned */
	size_t len, pos;
	bool bad;
};

/* n bytes at the cursor, or NULL (and bad) if fewer are left. */
static inline const void *geo_rbuf_take(struct geo_rbuf *r, size_t n)
{
	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return NULL;
	}
	const void *q = r->p + r->pos;
	r->pos += n;
	return q;
}

static inline uint32_t geo_rbuf_u32(struct geo_rbuf *r)
{
	uint32_t v = 0;
	const void *q = geo_rbuf_take(r, sizeof(v));
	if (q)
		memcpy(&v, q, sizeof(v));
	return v;
}

static inline uint64_t geo_rbuf_u64(struct geo_rbuf *r)
{
	uint64_t v = 0;
	const void *q = geo_rbuf_take(r, sizeof(v));
	if (q)
		memcpy(&v, q, sizeof(v));
	return v;
}

/* count elements of size each, then padding to 8 bytes: a pointer to
 * them in the buffer (aligned for any element type, see above), or NULL
 * with bad set when short. */
static inline void *geo_rbuf_array(struct geo_rbuf *r, size_t count, size_t size)
{
	if (size && count > (r->len - r->pos) / size) {
		r->bad = true;
		return NULL;
	}
	const void *q = geo_rbuf_take(r, count * size);
	geo_rbuf_take(r, (8 - (r->pos & 7)) & 7);
	return r->bad ? NULL : (void *)(uintptr_t)q;
}

#endif
