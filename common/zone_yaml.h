/*
 * zone_yaml.h: load one zone from a YAML zone file (format: see
 * config/zones/example.test.yaml).
 *
 * Errors are "file:line:col: message" (see yaml_doc.h for which node a
 * position names). Record data errors and zone_add_rr() errors are placed at
 * the offending record value; zone_finish() errors at the `origin:` value.
 */
#ifndef STEERDNS_ZONE_YAML_H
#define STEERDNS_ZONE_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "common/zone.h"

/* Largest TTL we accept anywhere (RFC 2181 8). */
#define ZONE_MAX_TTL 2147483647u

/* What the main config offers the zones it names. */
struct zone_yaml_opts {
	/* names may carry `steer:` (struct steer_rec, common/steer_rec.h,
	 * hung on znode.steer), in any mode, unchecked. */
	bool steer_ok;
};

/*
 * Load the zone in path. On success returns 0 and *out is a finished zone
 * owned by the caller (zone_free). On error returns -1 with the message in
 * err (CONFIG_ERRLEN bytes, see config.h). No steering: a `steer:` key is
 * an error, as with steer_ok false.
 */
int zone_yaml_load(const char *path, struct zone **out, char *err);

/*
 * As zone_yaml_load with options (NULL: all false) and an explicit err
 * size. When the file cannot be read returns -2, writes "path: cannot
 * open: <strerror>" and sets *open_errno (may be NULL), so a caller can
 * re-word the message at its own position.
 */
int zone_yaml_load_ex(const char *path, const struct zone_yaml_opts *opts, struct zone **out,
                      char *err, size_t errlen, int *open_errno);

#endif
