/*
 * wire.h: bounded cursors over untrusted bytes (reading) and capacity-bounded
 * output buffers (writing).
 *
 * Both carry a sticky error: after the first overrun every read returns 0 and
 * every write is ignored, so a parser reads a whole structure and checks
 * `err` once at the end. The cursor never owns its bytes.
 */
#ifndef STEERDNS_WIRE_H
#define STEERDNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wire_rd {
	const uint8_t *p;  /* borrowed */
	size_t len;
	size_t pos;
	int err;           /* non-zero after an overrun */
};

static inline struct wire_rd wire_rd_init(const uint8_t *p, size_t len)
{
	struct wire_rd r = { p, len, 0, 0 };
	return r;
}

static inline size_t wire_rd_left(const struct wire_rd *r)
{
	return r->err ? 0 : r->len - r->pos;
}

static inline bool wire_rd_need(struct wire_rd *r, size_t n)
{
	if (r->err || r->len - r->pos < n) {
		r->err = 1;
		return false;
	}
	return true;
}

static inline uint8_t wire_rd_u8(struct wire_rd *r)
{
	if (!wire_rd_need(r, 1))
		return 0;
	return r->p[r->pos++];
}

static inline uint16_t wire_rd_u16(struct wire_rd *r)
{
	if (!wire_rd_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)(r->p[r->pos] << 8 | r->p[r->pos + 1]);
	r->pos += 2;
	return v;
}

static inline uint32_t wire_rd_u32(struct wire_rd *r)
{
	if (!wire_rd_need(r, 4))
		return 0;
	const uint8_t *b = r->p + r->pos;
	r->pos += 4;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline void wire_rd_skip(struct wire_rd *r, size_t n)
{
	if (wire_rd_need(r, n))
		r->pos += n;
}

/* Copy n bytes out; on overrun `out` is zero-filled. */
static inline void wire_rd_bytes(struct wire_rd *r, void *out, size_t n)
{
	if (!wire_rd_need(r, n)) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p + r->pos, n);
	r->pos += n;
}

/*
 * A sub-cursor over the next n bytes, for a length-prefixed field, so an
 * inner parse cannot run past its outer length. The parent skips past it.
 */
static inline struct wire_rd wire_rd_sub(struct wire_rd *r, size_t n)
{
	struct wire_rd s = { NULL, 0, 0, 1 };
	if (!wire_rd_need(r, n))
		return s;
	s = wire_rd_init(r->p + r->pos, n);
	r->pos += n;
	return s;
}

struct wire_wr {
	uint8_t *p;   /* borrowed */
	size_t cap;
	size_t pos;
	int err;      /* non-zero once a write did not fit */
};

static inline struct wire_wr wire_wr_init(uint8_t *p, size_t cap)
{
	struct wire_wr w = { p, cap, 0, 0 };
	return w;
}

static inline bool wire_wr_room(struct wire_wr *w, size_t n)
{
	if (w->err || w->cap - w->pos < n) {
		w->err = 1;
		return false;
	}
	return true;
}

static inline void wire_wr_u8(struct wire_wr *w, uint8_t v)
{
	if (wire_wr_room(w, 1))
		w->p[w->pos++] = v;
}

static inline void wire_wr_u16(struct wire_wr *w, uint16_t v)
{
	if (!wire_wr_room(w, 2))
		return;
	w->p[w->pos] = (uint8_t)(v >> 8);
	w->p[w->pos + 1] = (uint8_t)v;
	w->pos += 2;
}

static inline void wire_wr_u32(struct wire_wr *w, uint32_t v)
{
	if (!wire_wr_room(w, 4))
		return;
	uint8_t *b = w->p + w->pos;
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
	w->pos += 4;
}

static inline void wire_wr_bytes(struct wire_wr *w, const void *src, size_t n)
{
	if (wire_wr_room(w, n)) {
		memcpy(w->p + w->pos, src, n);
		w->pos += n;
	}
}

/* Store big-endian integers at b, for a caller that has checked the room
 * of a whole structure once (wire_wr_room); return the byte after. */
static inline uint8_t *wire_put_u16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
	return b + 2;
}

static inline uint8_t *wire_put_u32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
	return b + 4;
}

/* Overwrite a u16 already written at `at` (length fields, counts). */
static inline void wire_wr_put_u16_at(struct wire_wr *w, size_t at, uint16_t v)
{
	if (at + 2 <= w->pos) {
		w->p[at] = (uint8_t)(v >> 8);
		w->p[at + 1] = (uint8_t)v;
	}
}

#endif
