/*
 * anycast_config_yaml.h: the `anycast:` section of the main config file,
 * YAML -> struct anycast_conf (anycast/anycast_conf.h, which documents the
 * format).
 *
 * Errors follow common/yaml_doc.h exactly ("file:line:col: message";
 * unknown and duplicate keys at the key, bad values at the value, missing
 * keys and cross-field problems at the enclosing mapping, except where a
 * single value is clearly at fault, e.g. a prefix that does not contain the
 * anycast address is reported at the prefix).
 *
 * Durations are seconds in the file (fractions allowed) and milliseconds in
 * the struct. Nothing is opened or bound here: a drain file or a check's
 * file may legitimately not exist yet.
 */
#ifndef STEERDNS_ANYCAST_CONFIG_YAML_H
#define STEERDNS_ANYCAST_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "anycast/anycast_conf.h"
#include "common/arena.h"
#include "common/yaml_doc.h"

/*
 * Parse the mapping n (the value of the top-level `anycast:` key).
 * Everything, *out included, is allocated in arena a (the config's); it
 * lives as long as the arena. Relative paths (drain_file, file checks) are
 * resolved against dir (the config file's directory with a trailing '/',
 * or ""). Returns 0 and sets *out, or -1 with the message in err.
 */
int anycast_config_from_yaml(struct ydoc *d, yaml_node_t *n, struct arena *a, const char *dir,
                             struct anycast_conf **out, char *err, size_t errlen);

/* Limits the parser enforces, exported for tests and docs. */
#define ANYCAST_MAX_PEERS      64
#define ANYCAST_MAX_CHECKS     16
#define ANYCAST_LINGER_MAX_MS  3600000   /* linger: 0..3600 s */
#define ANYCAST_INTERVAL_MIN_MS 50       /* interval, fast_interval: 0.05..3600 s */
#define ANYCAST_INTERVAL_MAX_MS 3600000
#define ANYCAST_FAST_INTERVAL_DEFAULT_MS 200   /* at most the interval */

/* A peer's default name (for logs and --print) from its address text and
 * port key text ("" when absent): "addr", "[v6]" or with ":port" when it
 * is not 179. Returns 0, or -1 for a bad address. */
int anycast_peer_name(const char *address, const char *port, char *buf, size_t len);

/* Does a peer address text carry its own port ("a.b.c.d:1179")? */
bool anycast_peer_has_port(const char *address);

#endif
