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

/* Case-insensitive equality. */
bool dname_equal(const uint8_t *a, const uint8_t *b);

/* Case-insensitive: is name equal to or below parent? */
bool dname_is_sub(const uint8_t *name, const uint8_t *parent);

/* Pointer to the suffix of name with n leading labels removed. */
const uint8_t *dname_strip(const uint8_t *name, int n);

/* Hash of the lowercased name (FNV-1a), stable across runs. */
uint32_t dname_hash(const uint8_t *name);

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
