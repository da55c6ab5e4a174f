/*
 * mmdb_record.c: one-pass reader of MaxMind DB records for a fixed set of
 * field paths; see mmdb_record.h. Format: MaxMind DB File Format
 * Specification 2.0, "Output Data Section".
 */
#include "geodns/mmdb_record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Nesting the skipper follows before it declines: real records nest 3 or
 * 4 deep (record / names map / string); corrupt ones nest hundreds deep,
 * and libmaxminddb is left to judge those. */
#define SKIP_MAX_DEPTH 32

#define NO_NODE 0xffffu

/* The memo: a direct-mapped table from (pointed-to container, trie node)
 * to where the values of the paths below that node are. MaxMind DBs
 * share sub-maps by pointer (a country map, a continent map, a
 * subdivision list, a location for every network of a city), so most
 * pointed-to containers are walked for thousands of records. */
#define MEMO_BITS 15
#define MEMO_VALS 4
#define MEMO_NONE 0xffffffffu

struct memo_slot {
	uint32_t key;  /* container offset + 1; 0 = empty */
	uint32_t node;
	uint32_t val[MEMO_VALS]; /* item offset per path below, MEMO_NONE = absent */
};

struct mmdb_record_memo {
	struct memo_slot slot[1u << MEMO_BITS];
};

/* How a path component reads as an array index, the way libmaxminddb's
 * lookup_path_in_array() (strtol) reads it. */
enum idx_kind {
	IDX_NONE,  /* not a whole number: never selects an array element */
	IDX_PLAIN, /* 1..9 decimal digits: element idx */
	IDX_ODD,   /* a whole number strtol takes but we do not ("-1", "+2",
	            * " 3", ten digits...): decline when it meets an array */
};

/* A trie of the configured paths: node 0 is the record itself; a node's
 * children are the next components of the paths through it. */
struct rnode {
	char *comp;          /* component (NULL for the root) */
	uint32_t len;        /* strlen(comp) */
	uint8_t idx_kind;    /* enum idx_kind */
	uint32_t idx;        /* element index if IDX_PLAIN */
	uint32_t fields;     /* bit i: path i ends here */
	uint16_t first_child, next_sibling;
	uint8_t nchild;
	uint8_t array_ok;    /* children select distinct elements, none IDX_ODD */
	uint32_t max_idx;    /* largest IDX_PLAIN child index */
	uint8_t nplain;      /* children that are IDX_PLAIN */
	uint16_t parent;
	uint32_t sub_fields; /* paths ending here or below */
	uint8_t memo_ok;     /* at most MEMO_VALS of them: memoizable */
};

struct mmdb_record_paths {
	int npaths;
	unsigned nnodes;
	struct rnode node[1 + MMDB_RECORD_MAX_PATHS * MMDB_RECORD_MAX_PARTS];
};

static enum idx_kind classify_index(const char *s, uint32_t *idx)
{
	size_t n = strlen(s);
	if (n >= 1 && n <= 9 && strspn(s, "0123456789") == n) {
		*idx = (uint32_t)strtoul(s, NULL, 10);
		return IDX_PLAIN;
	}
	char *end;
	int saved = errno;
	errno = 0;
	(void)strtol(s, &end, 10);
	int range = errno == ERANGE;
	errno = saved;
	/* Anything strtol consumes whole (or overflows on) might select an
	 * element under libmaxminddb's rules; the rest never does. */
	if (range || (end != s && *end == 0))
		return IDX_ODD;
	return IDX_NONE;
}

static unsigned child_of(struct mmdb_record_paths *p, unsigned parent, const char *comp)
{
	unsigned last = NO_NODE;
	for (unsigned c = p->node[parent].first_child; c != NO_NODE; c = p->node[c].next_sibling) {
		if (strcmp(p->node[c].comp, comp) == 0)
			return c;
		last = c;
	}
	unsigned c = p->nnodes++;
	struct rnode *nd = &p->node[c];
	memset(nd, 0, sizeof(*nd));
	nd->parent = (uint16_t)parent;
	nd->comp = strdup(comp);
	if (!nd->comp)
		return NO_NODE;
	nd->len = (uint32_t)strlen(comp);
	nd->idx_kind = (uint8_t)classify_index(comp, &nd->idx);
	nd->first_child = nd->next_sibling = NO_NODE;
	if (last == NO_NODE)
		p->node[parent].first_child = (uint16_t)c;
	else
		p->node[last].next_sibling = (uint16_t)c;
	p->node[parent].nchild++;
	return c;
}

/* Per node: can its children be matched against an array in one pass? */
static void finish_node(struct rnode *nodes, unsigned i)
{
	struct rnode *nd = &nodes[i];
	nd->array_ok = 1;
	nd->max_idx = 0;
	nd->nplain = 0;
	for (unsigned c = nd->first_child; c != NO_NODE; c = nodes[c].next_sibling) {
		if (nodes[c].idx_kind == IDX_ODD)
			nd->array_ok = 0;
		if (nodes[c].idx_kind != IDX_PLAIN)
			continue;
		nd->nplain++;
		if (nodes[c].idx > nd->max_idx)
			nd->max_idx = nodes[c].idx;
		for (unsigned d = nodes[c].next_sibling; d != NO_NODE; d = nodes[d].next_sibling)
			if (nodes[d].idx_kind == IDX_PLAIN && nodes[d].idx == nodes[c].idx)
				nd->array_ok = 0; /* "0" and "00": one element, two paths */
	}
}

struct mmdb_record_paths *mmdb_record_paths_new(const char *const *const *paths, int n)
{
	if (n < 0 || n > MMDB_RECORD_MAX_PATHS)
		return NULL;
	struct mmdb_record_paths *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->npaths = n;
	p->nnodes = 1;
	p->node[0].first_child = p->node[0].next_sibling = NO_NODE;
	for (int i = 0; i < n; i++) {
		if (!paths[i] || !paths[i][0])
			continue;
		unsigned at = 0;
		for (int k = 0; paths[i][k]; k++) {
			if (k == MMDB_RECORD_MAX_PARTS)
				goto fail;
			at = child_of(p, at, paths[i][k]);
			if (at == NO_NODE)
				goto fail;
		}
		p->node[at].fields |= 1u << i;
	}
	for (unsigned i = 0; i < p->nnodes; i++) {
		if (p->node[i].nchild > 64)
			goto fail; /* matched-children masks are 64 bits */
		finish_node(p->node, i);
	}
	/* Children come after their parents: sum the paths bottom-up. */
	for (unsigned i = p->nnodes; i-- > 0;) {
		p->node[i].sub_fields |= p->node[i].fields;
		if (i > 0)
			p->node[p->node[i].parent].sub_fields |= p->node[i].sub_fields;
		p->node[i].memo_ok = __builtin_popcount(p->node[i].sub_fields) <= MEMO_VALS;
	}
	return p;
fail:
	mmdb_record_paths_free(p);
	return NULL;
}

void mmdb_record_paths_free(struct mmdb_record_paths *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->nnodes; i++)
		free(p->node[i].comp);
	free(p);
}

/* One decoded item (control byte(s) and, for scalars, the payload). */
struct item {
	uint32_t at;      /* offset of its control byte */
	uint32_t type;    /* MMDB_DATA_TYPE_* */
	uint32_t size;    /* payload bytes; entries for a map or array; the
	                   * value of a boolean; pointer size for a pointer */
	uint32_t payload; /* offset of the payload / first entry */
	uint32_t next;    /* offset just past the item (for a map or array:
	                   * its first entry) */
	uint32_t ptr;     /* a pointer's target offset */
};

struct reader {
	const uint8_t *d;
	uint32_t n;
	const struct mmdb_record_paths *p;
	struct mmdb_record_memo *memo; /* may be NULL */
	MMDB_entry_data_s *out;
};

static inline uint32_t be(const uint8_t *b, uint32_t len)
{
	uint32_t v = 0;
	for (uint32_t i = 0; i < len; i++)
		v = (v << 8) | b[i];
	return v;
}

/* Decode the item at off. -1 if any of it lies outside data[0..n), if
 * libmaxminddb's decode_one() would reject it (a numeric type's size over
 * its width, a float/double not 4/8 bytes), or if it is a type we do not
 * read (data cache container, end marker, unknown extended types). */
static inline int decode(const struct reader *r, uint32_t off, struct item *it)
{
	const uint8_t *d = r->d;
	uint32_t n = r->n;
	if (off >= n)
		return -1;
	it->at = off;
	uint8_t ctrl = d[off++];
	uint32_t type = ctrl >> 5;
	if (type == 0) {
		/* Extended: the next byte is the type minus 7. */
		if (off >= n)
			return -1;
		type = 7u + d[off++];
	}
	it->type = type;
	if (type == MMDB_DATA_TYPE_POINTER) {
		/* Size bits SS give a 1..4 byte pointer; the 1..3 byte forms
		 * take the control byte's low 3 bits as their top bits and are
		 * biased by 0, 2048 and 526336 (spec, "Pointer - 1"). */
		uint32_t ps = ((ctrl >> 3) & 3u) + 1;
		if (n - off < ps)
			return -1;
		const uint8_t *b = d + off;
		uint32_t v;
		switch (ps) {
		case 1: v = ((ctrl & 7u) << 8) | b[0]; break;
		case 2: v = 2048u + (((ctrl & 7u) << 16) | be(b, 2)); break;
		case 3: v = 526336u + (((ctrl & 7u) << 24) | be(b, 3)); break;
		default: v = be(b, 4); break;
		}
		it->ptr = v;
		it->size = ps;
		it->payload = off;
		it->next = off + ps;
		return 0;
	}
	/* Size: 0..28 in the control byte; 29, 30, 31 say 1, 2 or 3 more
	 * bytes follow, biased by 29, 285 and 65821. */
	uint32_t size = ctrl & 31u;
	if (size >= 29) {
		uint32_t extra = size - 28;
		if (n - off < extra)
			return -1;
		uint32_t v = be(d + off, extra);
		size = size == 29 ? 29 + v : size == 30 ? 285 + v : 65821 + v;
		off += extra;
	}
	it->size = size;
	it->payload = off;
	switch (type) {
	case MMDB_DATA_TYPE_MAP:
	case MMDB_DATA_TYPE_ARRAY:
	case MMDB_DATA_TYPE_BOOLEAN:
		/* No payload: entries follow, or the size is the value. */
		it->next = off;
		return 0;
	case MMDB_DATA_TYPE_UTF8_STRING:
	case MMDB_DATA_TYPE_BYTES: break;
	case MMDB_DATA_TYPE_UINT16:
		if (size > 2)
			return -1;
		break;
	case MMDB_DATA_TYPE_UINT32:
	case MMDB_DATA_TYPE_INT32:
		if (size > 4)
			return -1;
		break;
	case MMDB_DATA_TYPE_UINT64:
		if (size > 8)
			return -1;
		break;
	case MMDB_DATA_TYPE_UINT128:
		if (size > 16)
			return -1;
		break;
	case MMDB_DATA_TYPE_FLOAT:
		if (size != 4)
			return -1;
		break;
	case MMDB_DATA_TYPE_DOUBLE:
		if (size != 8)
			return -1;
		break;
	default: return -1;
	}
	if (n - off < size)
		return -1;
	it->next = off + size;
	return 0;
}

/* Decode at off and, if that is a pointer, the item it points to, which
 * must not be another pointer (spec: pointers to pointers are invalid).
 * *after: offset just past what is stored at off. Sets *followed. */
static inline int decode_follow(const struct reader *r, uint32_t off, struct item *it,
                                uint32_t *after, int *followed)
{
	if (decode(r, off, it) < 0)
		return -1;
	*after = it->next;
	*followed = 0;
	if (it->type != MMDB_DATA_TYPE_POINTER)
		return 0;
	*followed = 1;
	if (decode(r, it->ptr, it) < 0 || it->type == MMDB_DATA_TYPE_POINTER)
		return -1;
	return 0;
}

/* Step over count consecutive items starting at off without following
 * pointers, exactly as libmaxminddb's skip_map_or_array() does; *end:
 * offset past the last. Within a map only values are descended into: a
 * key is decoded flat, as libmaxminddb does, so a map or array in key
 * position (corrupt data) ends at its control bytes and the walk goes on
 * at its first entry, where libmaxminddb goes on too. Iterative with an
 * explicit stack; every item consumes at least one byte, so this ends
 * within n steps whatever the counts claim. */
static int skip_items(const struct reader *r, uint32_t off, uint32_t count, uint32_t *end)
{
	uint32_t left[SKIP_MAX_DEPTH + 1];
	uint8_t in_map[SKIP_MAX_DEPTH + 1];
	int depth = 0;
	if (count == 0) {
		*end = off;
		return 0;
	}
	left[0] = count;
	in_map[0] = 0;
	for (;;) {
		struct item it;
		if (decode(r, off, &it) < 0)
			return -1;
		off = it.next;
		/* A map's entries count down from 2 * size: even = a key. */
		int is_key = in_map[depth] && !(left[depth] & 1);
		if ((it.type == MMDB_DATA_TYPE_MAP || it.type == MMDB_DATA_TYPE_ARRAY) && it.size &&
		    !is_key) {
			if (depth == SKIP_MAX_DEPTH)
				return -1;
			/* At most 2 * (65821 + 2^24 - 1): fits. */
			depth++;
			in_map[depth] = it.type == MMDB_DATA_TYPE_MAP;
			left[depth] = in_map[depth] ? 2 * it.size : it.size;
			continue;
		}
		/* One item done; so, perhaps, are the containers around it. */
		while (--left[depth] == 0) {
			if (depth == 0) {
				*end = off;
				return 0;
			}
			depth--;
		}
	}
}

static void set_value(const struct reader *r, const struct item *it, MMDB_entry_data_s *e)
{
	const uint8_t *b = r->d + it->payload;
	memset(e, 0, sizeof(*e));
	e->has_data = true;
	e->type = it->type;
	e->offset = it->at;
	e->offset_to_next = it->next;
	switch (it->type) {
	case MMDB_DATA_TYPE_UTF8_STRING:
		e->utf8_string = it->size ? (const char *)b : "";
		e->data_size = it->size;
		break;
	case MMDB_DATA_TYPE_BYTES:
		e->bytes = b;
		e->data_size = it->size;
		break;
	case MMDB_DATA_TYPE_MAP:
	case MMDB_DATA_TYPE_ARRAY: e->data_size = it->size; break;
	case MMDB_DATA_TYPE_BOOLEAN: e->boolean = it->size != 0; break;
	case MMDB_DATA_TYPE_UINT16: e->uint16 = (uint16_t)be(b, it->size); break;
	case MMDB_DATA_TYPE_UINT32: e->uint32 = be(b, it->size); break;
	/* Like libmaxminddb: the bytes as an unsigned number, then cast, so a
	 * short int32 is not sign-extended. */
	case MMDB_DATA_TYPE_INT32: e->int32 = (int32_t)be(b, it->size); break;
	case MMDB_DATA_TYPE_UINT64: {
		uint64_t v = 0;
		for (uint32_t i = 0; i < it->size; i++)
			v = (v << 8) | b[i];
		e->uint64 = v;
		break;
	}
	case MMDB_DATA_TYPE_UINT128: {
#if MMDB_UINT128_IS_BYTE_ARRAY
		if (it->size)
			memcpy(e->uint128 + 16 - it->size, b, it->size);
#else
		mmdb_uint128_t v = 0;
		for (uint32_t i = 0; i < it->size; i++)
			v = (v << 8) | b[i];
		e->uint128 = v;
#endif
		break;
	}
	case MMDB_DATA_TYPE_FLOAT: {
		/* IEEE 754 binary32, big-endian. */
		uint32_t bits = be(b, 4);
		memcpy(&e->float_value, &bits, 4);
		break;
	}
	case MMDB_DATA_TYPE_DOUBLE: {
		uint64_t bits = ((uint64_t)be(b, 4) << 32) | be(b + 4, 4);
		memcpy(&e->double_value, &bits, 8);
		break;
	}
	default: break;
	}
}

static int walk(const struct reader *r, uint32_t off, unsigned ni, int need_end, uint32_t *next);

/* The entries of map `it` (payload at it->payload) under node ni. Stops
 * after the last child matched unless need_end; else *end is past the
 * map's last entry. A key that is not a string is corrupt data
 * (libmaxminddb: invalid data) - decline. Only the first entry with a
 * given key counts, as in libmaxminddb's lookup. */
static int walk_map(const struct reader *r, const struct item *it, unsigned ni, int need_end,
                    uint32_t *end)
{
	const struct rnode *nodes = r->p->node;
	const struct rnode *nd = &nodes[ni];
	uint64_t all = nd->nchild == 64 ? ~(uint64_t)0 : ((uint64_t)1 << nd->nchild) - 1;
	uint64_t matched = 0;
	uint32_t off = it->payload;
	for (uint32_t e = 0; e < it->size; e++) {
		struct item key;
		uint32_t voff;
		int followed;
		if (decode_follow(r, off, &key, &voff, &followed) < 0 ||
		    key.type != MMDB_DATA_TYPE_UTF8_STRING)
			return -1;
		const char *k = (const char *)r->d + key.payload;
		unsigned c = nd->first_child, ord = 0;
		for (; c != NO_NODE; c = nodes[c].next_sibling, ord++)
			if (!(matched & ((uint64_t)1 << ord)) && nodes[c].len == key.size &&
			    memcmp(nodes[c].comp, k, key.size) == 0)
				break;
		if (c == NO_NODE) {
			if (skip_items(r, voff, 1, &off) < 0)
				return -1;
			continue;
		}
		matched |= (uint64_t)1 << ord;
		int last = !need_end && matched == all;
		if (walk(r, voff, c, !last, &off) < 0)
			return -1;
		if (last)
			return 0;
	}
	*end = off;
	return 0;
}

/* The elements of array `it` under node ni (children are element
 * indexes, checked distinct and plain by finish_node). */
static int walk_array(const struct reader *r, const struct item *it, unsigned ni, int need_end,
                      uint32_t *end)
{
	const struct rnode *nodes = r->p->node;
	const struct rnode *nd = &nodes[ni];
	if (!nd->array_ok)
		return -1;
	if (!nd->nplain && !need_end)
		return 0; /* no child selects an element */
	uint32_t off = it->payload;
	for (uint32_t e = 0; e < it->size; e++) {
		unsigned c = nd->first_child;
		while (c != NO_NODE && !(nodes[c].idx_kind == IDX_PLAIN && nodes[c].idx == e))
			c = nodes[c].next_sibling;
		if (c == NO_NODE) {
			if (skip_items(r, off, 1, &off) < 0)
				return -1;
			continue;
		}
		int last = !need_end && e == nd->max_idx;
		if (walk(r, off, c, !last, &off) < 0)
			return -1;
		if (last)
			return 0;
	}
	*end = off;
	return 0;
}

static void set_fields(const struct reader *r, uint32_t fields, const struct item *it)
{
	for (; fields; fields &= fields - 1)
		set_value(r, it, &r->out[__builtin_ctz(fields)]);
}

static inline uint32_t memo_hash(uint32_t at, unsigned ni)
{
	return ((at * 0x9e3779b1u) ^ (ni * 0x85ebca6bu)) >> (32 - MEMO_BITS);
}

/* A pointed-to container `it` under node ni (its end is not needed).
 * What it gives depends only on (its offset, ni) - the data does not
 * change - so a memo hit restores the values from their offsets. Only
 * successful walks are stored. */
static int walk_shared(const struct reader *r, const struct item *it, unsigned ni)
{
	const struct rnode *nd = &r->p->node[ni];
	struct memo_slot *s = NULL;
	if (r->memo && nd->memo_ok) {
		s = &r->memo->slot[memo_hash(it->at, ni)];
		if (s->key == it->at + 1 && s->node == ni) {
			unsigned j = 0;
			for (uint32_t m = nd->sub_fields; m; m &= m - 1, j++) {
				if (s->val[j] == MEMO_NONE)
					continue;
				struct item v;
				if (decode(r, s->val[j], &v) < 0)
					return -1; /* decoded before: cannot happen */
				set_value(r, &v, &r->out[__builtin_ctz(m)]);
			}
			return 0;
		}
	}
	set_fields(r, nd->fields, it);
	uint32_t end;
	int rc = it->type == MMDB_DATA_TYPE_MAP ? walk_map(r, it, ni, 0, &end)
	                                        : walk_array(r, it, ni, 0, &end);
	if (rc < 0 || !s)
		return rc;
	s->key = it->at + 1;
	s->node = ni;
	unsigned j = 0;
	for (uint32_t m = nd->sub_fields; m; m &= m - 1, j++) {
		const MMDB_entry_data_s *e = &r->out[__builtin_ctz(m)];
		s->val[j] = e->has_data ? e->offset : MEMO_NONE;
	}
	return 0;
}

/* The value stored at off, reached by node ni's path: record it for the
 * paths ending here, then descend into a map or array for the children.
 * *next (needed only if need_end): offset just past the stored value -
 * past the pointer if it is one. */
static int walk(const struct reader *r, uint32_t off, unsigned ni, int need_end, uint32_t *next)
{
	const struct rnode *nd = &r->p->node[ni];
	struct item it;
	uint32_t after;
	int followed;
	if (decode_follow(r, off, &it, &after, &followed) < 0)
		return -1;
	int container = it.type == MMDB_DATA_TYPE_MAP || it.type == MMDB_DATA_TYPE_ARRAY;
	if (!container || nd->first_child == NO_NODE) {
		set_fields(r, nd->fields, &it);
		/* Nothing inside is looked at (nor by libmaxminddb), except
		 * to find an inline container's end. */
		if (container && need_end && !followed)
			return skip_items(r, off, 1, next);
		*next = after;
		return 0;
	}
	if (followed) {
		*next = after;
		return walk_shared(r, &it, ni);
	}
	set_fields(r, nd->fields, &it);
	uint32_t end = after;
	int rc = it.type == MMDB_DATA_TYPE_MAP ? walk_map(r, &it, ni, need_end, &end)
	                                       : walk_array(r, &it, ni, need_end, &end);
	*next = end;
	return rc;
}

struct mmdb_record_memo *mmdb_record_memo_new(void)
{
	return calloc(1, sizeof(struct mmdb_record_memo));
}

void mmdb_record_memo_free(struct mmdb_record_memo *m)
{
	free(m);
}

void mmdb_record_memo_clear(struct mmdb_record_memo *m)
{
	memset(m, 0, sizeof(*m));
}

int mmdb_record_read(const struct mmdb_record_paths *p, struct mmdb_record_memo *memo,
                     const uint8_t *data, uint32_t size, uint32_t offset, MMDB_entry_data_s *out)
{
	struct reader r = { .d = data, .n = size, .p = p, .memo = memo, .out = out };
	for (int i = 0; i < p->npaths; i++)
		out[i].has_data = false;
	uint32_t next;
	return walk(&r, offset, 0, 0, &next) < 0 ? MMDB_RECORD_FALLBACK : MMDB_RECORD_OK;
}
