/*
 * yaml_doc.c: load a YAML document with libyaml and check its shape with
 * precise "file:line:col: message" errors. See yaml_doc.h.
 */
#include "common/yaml_doc.h"

#include "common/suggest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Zone files are loaded whole into memory; refuse absurd sizes early rather
 * than let a mistaken path (a disk image, /dev/zero) eat the machine. */
#define YDOC_MAX_FILE (256u << 20)

/* Read a whole file into a malloc'd buffer. Returns 0, or -errno. */
static int read_file(const char *path, unsigned char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 4096, n = 0;
	unsigned char *b = malloc(cap);
	int rc = 0;
	if (!b) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= YDOC_MAX_FILE) {
				rc = -EFBIG;
				goto out;
			}
			unsigned char *nb = realloc(b, cap * 2);
			if (!nb) {
				rc = -ENOMEM;
				goto out;
			}
			b = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
out:
	close(fd);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* Line/column (1-based) of a byte offset, for reader errors where libyaml
 * reports only an offset (bad UTF-8, control characters). */
static void offset_pos(const unsigned char *buf, size_t len, size_t off,
                       unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static int parser_err(const char *file, const yaml_parser_t *p, const unsigned char *buf,
                      size_t len, char *err, size_t errlen)
{
	unsigned line, col;
	const char *problem = p->problem ? p->problem : "YAML error";
	if (p->error == YAML_MEMORY_ERROR) {
		snprintf(err, errlen, "%s: out of memory", file);
		return YDOC_ESYNTAX;
	}
	if (p->error == YAML_READER_ERROR) {
		offset_pos(buf, len, p->problem_offset, &line, &col);
	} else {
		line = (unsigned)p->problem_mark.line + 1;
		col = (unsigned)p->problem_mark.column + 1;
	}
	snprintf(err, errlen, "%s:%u:%u: %s", file, line, col, problem);
	return YDOC_ESYNTAX;
}

int ydoc_load(struct ydoc *d, const char *path, const char *file, char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	yaml_parser_t parser;
	int rc;

	memset(d, 0, sizeof(*d));
	d->file = file;
	rc = read_file(path, &buf, &len);
	if (rc < 0) {
		d->open_errno = -rc;
		snprintf(err, errlen, "%s: cannot open: %s", file, strerror(-rc));
		return YDOC_EOPEN;
	}
	if (!yaml_parser_initialize(&parser)) {
		free(buf);
		snprintf(err, errlen, "%s: out of memory", file);
		return YDOC_ESYNTAX;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &d->doc)) {
		rc = parser_err(file, &parser, buf, len, err, errlen);
		goto out;
	}
	d->loaded = true;

	/* A second document ("---" again) would silently be ignored; say so. */
	yaml_document_t extra;
	if (!yaml_parser_load(&parser, &extra)) {
		rc = parser_err(file, &parser, buf, len, err, errlen);
		goto fail;
	}
	yaml_node_t *xroot = yaml_document_get_root_node(&extra);
	if (xroot) {
		snprintf(err, errlen, "%s:%u:%u: only one YAML document per file is allowed", file,
		         ydoc_line(xroot), ydoc_col(xroot));
		yaml_document_delete(&extra);
		rc = YDOC_ESYNTAX;
		goto fail;
	}
	yaml_document_delete(&extra);
	rc = 0;
	goto out;
fail:
	ydoc_free(d);
out:
	yaml_parser_delete(&parser);
	free(buf);
	return rc;
}

void ydoc_free(struct ydoc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->doc);
	d->loaded = false;
}

yaml_node_t *ydoc_root(struct ydoc *d)
{
	return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

yaml_node_t *ydoc_node(struct ydoc *d, int id)
{
	return yaml_document_get_node(&d->doc, id);
}

unsigned ydoc_line(const yaml_node_t *n)
{
	return n ? (unsigned)n->start_mark.line + 1 : 1;
}

unsigned ydoc_col(const yaml_node_t *n)
{
	return n ? (unsigned)n->start_mark.column + 1 : 1;
}

int ydoc_err(const struct ydoc *d, const yaml_node_t *n, char *err, size_t errlen,
             const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ydoc_err_prefix(d, n, err, errlen, msg);
}

/* msg with control characters as \xHH: messages quote tokens of files
 * that may be anything (a zone path pointing at a binary, an identity
 * with escape sequences), and they end up on terminals and in journals. */
static void escape_controls(const char *msg, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)msg; *p && o + 5 < cap; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = 0;
}

int ydoc_err_prefix(const struct ydoc *d, const yaml_node_t *n, char *err, size_t errlen,
                    const char *msg)
{
	char safe[1024];
	escape_controls(msg, safe, sizeof(safe));
	snprintf(err, errlen, "%s:%u:%u: %s", d->file, ydoc_line(n), ydoc_col(n), safe);
	return -1;
}

const char *ydoc_scalar(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	/* "\0" escapes in double-quoted scalars would cut C strings short. */
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

bool ydoc_is_null(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0 &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

int ydoc_expect_map(const struct ydoc *d, const yaml_node_t *n, const char *what,
                    char *err, size_t errlen)
{
	if (n && n->type == YAML_MAPPING_NODE)
		return 0;
	return ydoc_err(d, n, err, errlen, "%s: expected a mapping", what);
}

int ydoc_expect_seq(const struct ydoc *d, const yaml_node_t *n, const char *what,
                    char *err, size_t errlen)
{
	if (n && n->type == YAML_SEQUENCE_NODE)
		return 0;
	return ydoc_err(d, n, err, errlen, "%s: expected a sequence", what);
}

int ydoc_expect_str(const struct ydoc *d, const yaml_node_t *n, const char *what,
                    const char **out, char *err, size_t errlen)
{
	const char *s = ydoc_scalar(n);
	if (!s || ydoc_is_null(n))
		return ydoc_err(d, n, err, errlen, "%s: expected a string", what);
	*out = s;
	return 0;
}

int ydoc_parse_u32(const char *text, uint32_t *out)
{
	uint64_t v = 0;
	if (!text || !*text)
		return -1;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int ydoc_get_u32(const struct ydoc *d, const yaml_node_t *n, const char *what,
                 uint32_t lo, uint32_t hi, uint32_t *out, char *err, size_t errlen)
{
	const char *s = ydoc_scalar(n);
	uint32_t v;
	if (!s || ydoc_parse_u32(s, &v) < 0) {
		/* Distinguish "huge number" from "not a number" for the reader. */
		bool digits = s && *s && strspn(s, "0123456789") == strlen(s);
		if (digits)
			return ydoc_err(d, n, err, errlen, "%s: %s out of range %u..%u", what, s, lo, hi);
		if (!s)
			return ydoc_err(d, n, err, errlen, "%s: expected an integer", what);
		return ydoc_err(d, n, err, errlen, "%s: expected an integer, got '%s'", what, s);
	}
	if (v < lo || v > hi)
		return ydoc_err(d, n, err, errlen, "%s: %u out of range %u..%u", what, v, lo, hi);
	*out = v;
	return 0;
}

int ydoc_check_map(const struct ydoc *d, const yaml_node_t *n, const char *what,
                   char *err, size_t errlen)
{
	if (ydoc_expect_map(d, n, what, err, errlen) < 0)
		return -1;
	yaml_document_t *doc = (yaml_document_t *)&d->doc;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		const char *ks = ydoc_scalar(k);
		if (!ks)
			return ydoc_err(d, k, err, errlen, "%s: keys must be strings", what);
		/* Quadratic, but mappings here are small except the records of a
		 * zone, where a few thousand owners cost a few million compares. */
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
			const char *qs = ydoc_scalar(yaml_document_get_node(doc, q->key));
			if (qs && strcmp(qs, ks) == 0)
				return ydoc_err(d, k, err, errlen, "duplicate key '%s'", ks);
		}
	}
	return 0;
}

yaml_node_t *ydoc_map_get(struct ydoc *d, const yaml_node_t *n, const char *key)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *ks = ydoc_scalar(ydoc_node(d, p->key));
		if (ks && strcmp(ks, key) == 0)
			return ydoc_node(d, p->value);
	}
	return NULL;
}

static int check_kind(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *v, uint32_t *num,
                      char *err, size_t errlen)
{
	const char *s;
	switch (k->kind) {
	case YK_ANY:
	case YK_SECONDS:
	case YK_NUMBER:
	case YK_BOOL:
		return 0;
	case YK_STR:
		return ydoc_expect_str(d, v, k->key, &s, err, errlen);
	case YK_UINT:
		return ydoc_get_u32(d, v, k->key, k->lo, k->hi, num, err, errlen);
	case YK_SEQ:
		return ydoc_expect_seq(d, v, k->key, err, errlen);
	case YK_MAP:
		return ydoc_expect_map(d, v, k->key, err, errlen);
	}
	return 0;
}

/* "unknown key 'listn' in server; did you mean 'listen'?" at the key; the
 * hint names the nearest key of the table when it is close (suggest.h). */
static int unknown_key(struct ydoc *d, yaml_node_t *kn, const char *ks, const char *what,
                       const struct ydoc_key *keys, size_t nkeys, char *err, size_t errlen)
{
	struct suggest_best b = { 0 };
	for (size_t i = 0; i < nkeys; i++)
		suggest_consider(&b, ks, keys[i].key);
	const char *best = b.best;
	if (best)
		return ydoc_err(d, kn, err, errlen, "unknown key '%s' in %s; did you mean '%s'?", ks,
		                what, best);
	return ydoc_err(d, kn, err, errlen, "unknown key '%s' in %s", ks, what);
}

int ydoc_walk_map(struct ydoc *d, yaml_node_t *n, const char *what,
                  const struct ydoc_key *keys, size_t nkeys, void *ctx,
                  char *err, size_t errlen)
{
	if (ydoc_check_map(d, n, what, err, errlen) < 0)
		return -1;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ydoc_node(d, p->key);
		yaml_node_t *vn = ydoc_node(d, p->value);
		const char *ks = ydoc_scalar(kn);
		const struct ydoc_key *k = NULL;
		for (size_t i = 0; i < nkeys; i++) {
			if (strcmp(keys[i].key, ks) == 0) {
				k = &keys[i];
				break;
			}
		}
		if (!k)
			return unknown_key(d, kn, ks, what, keys, nkeys, err, errlen);
		uint32_t num = 0;
		if (check_kind(d, k, vn, &num, err, errlen) < 0)
			return -1;
		if (k->handler && k->handler(d, k, vn, num, ctx, err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].required && !ydoc_map_get(d, n, keys[i].key))
			return ydoc_err(d, n, err, errlen, "missing required key '%s' in %s",
			                keys[i].key, what);
	}
	return 0;
}

int ydoc_walk_table(struct ydoc *d, yaml_node_t *n, const struct ydoc_table *t, void *ctx,
                    char *err, size_t errlen)
{
	return ydoc_walk_map(d, n, t->what, t->keys, t->n, ctx, err, errlen);
}

const struct ydoc_key *ydoc_table_key(const struct ydoc_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->keys[i].key, name) == 0)
			return &t->keys[i];
	return NULL;
}
