/*
 * dname.h: domain names in uncompressed wire form.
 *
 * A name is a sequence of length-prefixed labels ending with the root label
 * (0), at most DNAME_MAXLEN bytes, each label at most 63 bytes. Inside the
 * server names are kept lowercased; the query's own spelling is kept only to
 * echo the question and the owner of answers to it.
 */
#ifndef STEERDNS_DNAME_H
#define STEERDNS_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNAME_MAXLEN 255
#define DNAME_MAXLABEL 63
#define DNAME_MAXTEXT 1024  /* enough for 255 bytes with \DDD escapes */

/* Error codes returned (negative) by the parsing functions. */
enum dname_err {
	DNAME_OK = 0,
	DNAME_ETRUNC = -1,    /* ran past the end of the message */
	DNAME_ELABEL = -2,    /* label longer than 63 or bad label type */
	DNAME_ETOOLONG = -3,  /* name longer than 255 */
	DNAME_EPTR = -4,      /* compression pointer not strictly backward, or a loop */
	DNAME_ECOMPRESS = -5, /* compression where it is not allowed */
	DNAME_ESYNTAX = -6,   /* bad presentation format */
};

/*
 * Read a name from a DNS message at *pos into out (uncompressed wire form).
 * Compression pointers are followed only when allow_ptr, and only strictly
 * backward (so loops are impossible). *pos is advanced past the name as it
 * stands in the message. Returns the length of out (>= 1) or a dname_err.
 */
int dname_parse(const uint8_t *msg, size_t msglen, size_t *pos,
                uint8_t out[DNAME_MAXLEN], bool allow_ptr);

/* Length of a well-formed uncompressed name, including the root label. */
size_t dname_len(const uint8_t *name);

/* Number of labels, not counting the root. */
int dname_labels(const uint8_t *name);

/* Lowercase ASCII letters in place. */
void dname_lower(uint8_t *name);

/* ASCII lowercase of one byte, by table (no branch). Label length bytes
 * (0..63) are below 'A', so a whole wire name can be mapped bytewise. */
extern const uint8_t dname_lc_table[256];
static inline uint8_t dname_lc(uint8_t c)
{
	return dname_lc_table[c];
}

/*
 * Eight bytes lowercased at once: 0x20 is added to exactly the bytes
 * 'A'..'Z'. Per byte, h (the low 7 bits) plus 0x3f has its top bit set iff
 * h >= 'A', plus 0x25 iff h > 'Z'; neither sum carries into the next byte.
 * Bytes with the top bit set are left alone, as by dname_lc.
 */
static inline uint64_t dname_lower8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t h = x & (0x7f * ones);
	uint64_t ge_a = h + (0x80 - 'A') * ones;
	uint64_t gt_z = h + (0x7f - 'Z') * ones;
	uint64_t upper = (ge_a ^ gt_z) & ~x & (0x80 * ones);
	return x | upper >> 2;
}

/* Are the n bytes at a and b equal but for ASCII case? For wire names
 * (or runs of whole labels) this is case-insensitive name equality:
 * length bytes are below 'A', so lowercasing never changes them. */
bool dname_bytes_equal_ci(const uint8_t *a, const uint8_t *b, size_t n);

/* Copy the len bytes of wire name src to dst lowercased (one pass). */
void dname_copy_lower(uint8_t *dst, const uint8_t *src, size_t len);

/* Where the labels of a name start, so that its suffixes (the names a
 * lookup walks from the zone apex down) are found without rescanning. */
#define DNAME_MAXLABELS 127   /* (255 - 1) / 2: one-byte labels */
struct dname_labels {
	uint8_t n;                          /* labels, not counting the root */
	uint8_t len;                        /* wire length, root included */
	uint8_t off[DNAME_MAXLABELS + 1];   /* off[i]: label i (0 = leftmost); off[n]: the root */
};

/* Fill out for a well-formed uncompressed name. */
void dname_label_offsets(const uint8_t *name, struct dname_labels *out);

/*
 * Read the question's name at *pos in one pass: uncompressed (nothing
 * earlier in the message to point to), copied as asked to out, lowercased
 * to lc, and its label offsets into l, so the lookups that follow need no
 * second or third walk over it. Errors as dname_parse with allow_ptr
 * false. Returns the length (>= 1) or a dname_err.
 */
int dname_parse_question(const uint8_t *msg, size_t msglen, size_t *pos,
                         uint8_t out[DNAME_MAXLEN], uint8_t lc[DNAME_MAXLEN],
                         struct dname_labels *l);

/* The suffix of a name with `keep` labels (0 = the root) and its length. */
static inline const uint8_t *dname_suffix(const uint8_t *name, const struct dname_labels *l,
                                          unsigned keep, size_t *len)
{
	unsigned at = l->off[l->n - keep];
	*len = (size_t)l->len - at;
	return name + at;
}

/* Case-insensitive equality. */
bool dname_equal(const uint8_t *a, const uint8_t *b);

/* Case-insensitive: is name equal to or below parent? */
bool dname_is_sub(const uint8_t *name, const uint8_t *parent);

/* Pointer to the suffix of name with n leading labels removed. */
const uint8_t *dname_strip(const uint8_t *name, int n);

/*
 * Hash of the lowercased name, stable across runs. It is built label by
 * label from the root (FNV-1a over each label's length and bytes), so the
 * hash of "label.parent" follows from the parent's with dname_hash_label:
 * a lookup walking down from the zone apex hashes each label once.
 */
#define DNAME_HASH_ROOT 2166136261u
uint32_t dname_hash(const uint8_t *name);

/* The hash of "<label>.<parent>" from parent_hash; label points at its
 * length byte and must be lowercase. */
static inline uint32_t dname_hash_label(uint32_t parent_hash, const uint8_t *label)
{
	uint32_t h = parent_hash;
	for (unsigned i = 0; i <= label[0]; i++) {
		h ^= label[i];
		h *= 16777619u;
	}
	return h;
}

/*
 * Parse presentation format ("www", "mail.example.com.", "@", with \. and
 * \DDD escapes) into lowercase wire form. A name not ending in '.' is
 * relative to origin (which may be NULL only for absolute names). Returns
 * the wire length or a dname_err.
 */
int dname_from_text(const char *text, const uint8_t *origin, uint8_t out[DNAME_MAXLEN]);

/* Write the name as absolute presentation text (ends in '.'). Returns the
 * length written, or -1 if buf is too small. */
int dname_to_text(const uint8_t *name, char *buf, size_t cap);

#endif
