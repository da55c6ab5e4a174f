/*
 * yaml_doc.h: a loaded YAML document (libyaml's document API) plus the
 * helpers every loader of ours needs: positions, type checks, numbers in
 * range, and a schema table walker that rejects unknown and duplicate keys.
 *
 * Message convention (config and zone files alike): every error is exactly
 * "file:line:col: message", line and column 1-based, taken from the start
 * mark of the node at fault:
 *   - unknown key, duplicate key, a key that is not a string: at the KEY;
 *   - wrong type, bad or out-of-range value: at the VALUE;
 *   - a missing required key: at the enclosing MAPPING (libyaml puts a block
 *     mapping's start at its first key);
 *   - YAML syntax errors: at libyaml's problem mark, with its problem text;
 *   - a file that cannot be read: "file: cannot open: <strerror>".
 */
#ifndef STEERDNS_YAML_DOC_H
#define STEERDNS_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

struct ydoc {
	yaml_document_t doc;
	bool loaded;           /* doc must be deleted */
	const char *file;      /* name used in messages (borrowed) */
	int open_errno;        /* set when ydoc_load returned YDOC_EOPEN */
};

/* ydoc_load() results besides 0. */
#define YDOC_ESYNTAX (-1)  /* err holds "file:line:col: problem" */
#define YDOC_EOPEN   (-2)  /* err holds "file: cannot open: ..."; d->open_errno set */

/*
 * Read and parse path (the first and only YAML document in it). file is the
 * name used in messages and is borrowed for the life of d. On error d needs
 * no ydoc_free (calling it is harmless). An empty file is a document whose
 * root is NULL.
 */
int ydoc_load(struct ydoc *d, const char *path, const char *file, char *err, size_t errlen);

/* Release the document. Safe on a zeroed or already freed ydoc. */
void ydoc_free(struct ydoc *d);

/* Root node, or NULL for an empty document. */
yaml_node_t *ydoc_root(struct ydoc *d);

/* Node by libyaml id (as found in sequence items and mapping pairs). */
yaml_node_t *ydoc_node(struct ydoc *d, int id);

/* 1-based line and column of a node's start. */
unsigned ydoc_line(const yaml_node_t *n);
unsigned ydoc_col(const yaml_node_t *n);

/*
 * Write "file:line:col: <fmt...>" for node n into err and return -1, so a
 * caller can `return ydoc_err(...)`. n NULL gives position 1:1.
 */
int ydoc_err(const struct ydoc *d, const yaml_node_t *n, char *err, size_t errlen,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Like ydoc_err but msg is a plain string put after the position
 * (used to prefix messages from other modules). */
int ydoc_err_prefix(const struct ydoc *d, const yaml_node_t *n, char *err, size_t errlen,
                    const char *msg);

/* The scalar's text (NUL-terminated by libyaml), or NULL if n is not a
 * scalar or contains a NUL byte. */
const char *ydoc_scalar(const yaml_node_t *n);

/* A plain (unquoted) empty scalar, i.e. "key:" with nothing after it. */
bool ydoc_is_null(const yaml_node_t *n);

/* Type checks: 0 if n has the kind, else an error at n naming `what`
 * ("server: expected a mapping"). */
int ydoc_expect_map(const struct ydoc *d, const yaml_node_t *n, const char *what,
                    char *err, size_t errlen);
int ydoc_expect_seq(const struct ydoc *d, const yaml_node_t *n, const char *what,
                    char *err, size_t errlen);
/* As above; on success *out is the string (owned by the document). */
int ydoc_expect_str(const struct ydoc *d, const yaml_node_t *n, const char *what,
                    const char **out, char *err, size_t errlen);

/*
 * A decimal unsigned integer in lo..hi. Errors at n:
 *   "<what>: expected an integer, got '<text>'" (a non-scalar: "<what>:
 *   expected an integer") and
 *   "<what>: <v> out of range lo..hi".
 */
int ydoc_get_u32(const struct ydoc *d, const yaml_node_t *n, const char *what,
                 uint32_t lo, uint32_t hi, uint32_t *out, char *err, size_t errlen);

/* Parse text as a decimal integer in 0..UINT32_MAX without any YAML
 * context (no sign, no spaces, no leading '+'). Returns 0 or -1. */
int ydoc_parse_u32(const char *text, uint32_t *out);

/*
 * Check that n is a mapping whose keys are all strings and unique.
 * Errors: "<what>: expected a mapping" (at n), "<what>: keys must be
 * strings" and "duplicate key '<k>'" (at the key).
 */
int ydoc_check_map(const struct ydoc *d, const yaml_node_t *n, const char *what,
                   char *err, size_t errlen);

/* Value of key in mapping n (exact, case-sensitive), or NULL. */
yaml_node_t *ydoc_map_get(struct ydoc *d, const yaml_node_t *n, const char *key);

/* --- schema tables --- */

/*
 * A schema table lists the keys of one mapping. Each row declares a key
 * once: its name, kind and range (checked by ydoc_walk_map or read with the
 * row by the yv_*_key helpers of yaml_values.h), whether it is required,
 * its default and a one-line description. The same rows drive `checkconf
 * --print` and the README's configuration reference (common/conf_schema.h).
 */
enum ydoc_kind {
	YK_ANY,       /* handler or section parser checks; `type` says what it is */
	YK_STR,       /* scalar; num unused */
	YK_UINT,      /* scalar integer in lo..hi, passed as num */
	YK_SEQ,       /* sequence */
	YK_MAP,       /* mapping */
	YK_SECONDS,   /* seconds, fractions allowed, lo..hi in ms: read with yv_seconds_key */
	YK_NUMBER,    /* a decimal number: read by the section's parser */
	YK_BOOL,      /* true or false: read with yv_bool */
};

/* ydoc_key.flags */
#define YF_IMPLIED 1u  /* a section that exists with its defaults when absent */
#define YF_PATH    2u  /* a file path (or a list of them), relative to the config's directory */
#define YF_NAMED   4u  /* YK_MAP whose keys are names, each value an entry of `sub` */
#define YF_ENTRIES 8u  /* YK_SEQ whose items are entries of `sub` */

struct ydoc_key;
struct ydoc_table;
struct ydoc_penv;

/* Called for one key present in the mapping after its kind was checked.
 * ctx is the walker's ctx. Returns 0, or -1 with err written. */
typedef int (*ydoc_handler)(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val,
                            uint32_t num, void *ctx, char *err, size_t errlen);

/* A default that depends on other values (common/conf_schema.h): writes the
 * YAML text --print shows into buf and returns true, or false for none. */
typedef bool (*ydoc_defprint)(const struct ydoc_penv *e, char *buf, size_t len);

struct ydoc_key {
	const char *key;
	enum ydoc_kind kind;
	uint32_t lo, hi;        /* YK_UINT range, inclusive; YK_SECONDS: in milliseconds */
	bool required;
	ydoc_handler handler;
	const char *def;        /* default, as YAML text (a computed one: its description) */
	const char *doc;        /* one line for the configuration reference */
	const char *type;       /* the value's shape when the kind does not say it */
	const struct ydoc_table *sub;  /* YK_MAP: its keys; YF_NAMED / YF_ENTRIES: an entry's */
	unsigned flags;         /* YF_* */
	const char *with;       /* YF_IMPLIED only when this sibling key is present */
	ydoc_defprint defprint; /* the default is computed (then def describes it) */
};

struct ydoc_table {
	const char *what;       /* its name in messages: "server", "peer", "tcp check" */
	const struct ydoc_key *keys;
	size_t n;
	/* A mapping whose keys depend on one of its values (a check's type):
	 * the value of variant_key picks the variant whose tag it is; keys is
	 * then empty and the reference merges the variants' rows. */
	const char *variant_key;
	const struct ydoc_table *const *variants;
	size_t nvariants;
	const char *tag;        /* a variant's value of variant_key */
};

#define YDOC_NKEYS(keys) (sizeof(keys) / sizeof((keys)[0]))
#define YDOC_TABLE(name_, keys_) { .what = (name_), .keys = (keys_), .n = YDOC_NKEYS(keys_) }

/*
 * Walk mapping n (`what` names it in messages) against keys[0..nkeys):
 * ydoc_check_map, then "unknown key '<k>' in <what>" at a key not in the
 * table (with "; did you mean '<nearest>'?" when a key of the table is
 * close, common/suggest.h), kind/range errors at values (YK_STR "<key>: expected a string",
 * YK_SEQ "<key>: expected a sequence", YK_MAP "<key>: expected a mapping",
 * YK_UINT as ydoc_get_u32 with what = key), then the handler, in file
 * order. Finally "missing required key '<k>' in <what>" at n.
 */
int ydoc_walk_map(struct ydoc *d, yaml_node_t *n, const char *what,
                  const struct ydoc_key *keys, size_t nkeys, void *ctx,
                  char *err, size_t errlen);

/* ydoc_walk_map with a table. */
int ydoc_walk_table(struct ydoc *d, yaml_node_t *n, const struct ydoc_table *t, void *ctx,
                    char *err, size_t errlen);

/* The row named name in t, or NULL. */
const struct ydoc_key *ydoc_table_key(const struct ydoc_table *t, const char *name);

#endif
