/*
 * config_compare.h: the config sections of the comparison (issue 5):
 *   ab:           { anycast_percent: 50 }          0..100, may be fractional
 *   decision_log: { path: FILE, sample: 1.0 }      0 < sample <= 1
 * Parsed into the config arena; errors "file:line:col: message" at the
 * value at fault (yaml_doc.h conventions).
 */
#ifndef STEERDNS_CONFIG_COMPARE_H
#define STEERDNS_CONFIG_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/yaml_doc.h"

/* ab.anycast_percent when not configured: 50 %. */
#define AB_DEFAULT_BP 5000u

/* The `ab:` section (the split itself is steer/ab.h). */
struct ab_conf {
	uint32_t anycast_bp;   /* anycast share in basis points (percent * 100), default 5000 */
};

struct qlog_conf;

/* The sections' schema rows (common/conf_schema.h). */
extern const struct ydoc_key ab_section_row, decision_log_section_row;

/* `ab:` mapping n -> *out (arena). */
int ab_config_from_yaml(struct ydoc *d, yaml_node_t *n, struct arena *a, struct ab_conf **out,
                        char *err, size_t errlen);

/* `decision_log:` mapping n -> *out (arena). A relative path is taken
 * from the config file's directory dir ("" or ending in '/'). The file
 * must be writable (or creatable in its directory) now, so a typo fails
 * the load instead of silently logging nothing; it is not created here
 * (the server opens it after dropping privileges). */
int qlog_config_from_yaml(struct ydoc *d, yaml_node_t *n, struct arena *a, const char *dir,
                          struct qlog_conf **out, char *err, size_t errlen);

#endif
