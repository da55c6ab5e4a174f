/*
 * conf_schema.h: the generic side of the config schema. Every key of the
 * main file is one row of a schema table (struct ydoc_key in yaml_doc.h:
 * name, kind, range, default, description); each part declares the rows of
 * its own sections in its own file, and the top of the daemon hands the
 * list of top-level sections in (struct conf_schema). This engine knows no
 * section by name. From the rows it
 *   - walks mappings (ydoc_walk_map: unknown keys with a "did you mean"
 *     hint, duplicates, kinds, ranges, required keys),
 *   - prints the effective configuration (`steerdns checkconf --print`):
 *     every key in table order, the values written in the file, every
 *     default filled in, paths made absolute, in one canonical YAML form,
 *     so that printing the printed file again gives the same bytes,
 *   - writes the README's configuration reference (`checkconf
 *     --schema-markdown`): one table per top-level section.
 */
#ifndef STEERDNS_CONF_SCHEMA_H
#define STEERDNS_CONF_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/yaml_doc.h"

/* The top-level sections: the rows of the root mapping, in print order
 * (config.c builds it from what the parts declare). */
struct conf_schema {
	const struct ydoc_key *keys;
	size_t n;
};

#define CONF_PRINT_DEPTH 16

/* Where a computed default (ydoc_defprint) is being printed: the mappings
 * from the root (maps[0]) to the one holding the key (maps[depth - 1]),
 * each with its table and, for entries of a YF_NAMED mapping, its name.
 * A mapping absent from the file (an implied section) is NULL. */
struct ydoc_penv {
	struct ydoc *d;
	size_t depth;
	yaml_node_t *maps[CONF_PRINT_DEPTH];
	const struct ydoc_table *tables[CONF_PRINT_DEPTH];
	const char *names[CONF_PRINT_DEPTH];
	const void *user;       /* what conf_print was given (the loaded config) */
};

/*
 * The effective scalar text of key in the mapping `up` levels above the
 * innermost one (0: the innermost): the file's value, else the row's
 * default (computed ones included). false when the key is absent and has
 * no default, or is not a scalar.
 */
bool ydoc_penv_value(const struct ydoc_penv *e, size_t up, const char *key, char *buf,
                     size_t len);

/* As ydoc_penv_value, read as a number; fallback when there is none. */
double ydoc_penv_number(const struct ydoc_penv *e, size_t up, const char *key, double fallback);

/* Write a number of seconds the way defaults are written ("%g"). */
void conf_seconds_text(double seconds, char *buf, size_t len);

/*
 * Print the effective configuration of the file at path (already loaded
 * without error) to out. user is handed to computed defaults. Returns 0,
 * or -1 with "file: message" in err.
 */
int conf_print(const struct conf_schema *s, const char *path, const void *user, FILE *out,
               char *err, size_t errlen);

/* Write the configuration reference (Markdown) to out. */
void conf_markdown(const struct conf_schema *s, FILE *out);

#endif
