/*
 * check_conf_yaml.h: one health check mapping (`check:` under a geo PoP,
 * an item of anycast.health.checks) into a struct check_conf.
 *
 * The two users differ in who sets the pace: a PoP check has its own
 * interval, rise and fall keys; an anycast check takes them from the health
 * section and accepts no such keys. They also differ in the default
 * address (the PoP's first address, or loopback) and the timeout rule.
 */
#ifndef STEERDNS_CHECK_CONF_YAML_H
#define STEERDNS_CHECK_CONF_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/check_conf.h"
#include "common/yaml_doc.h"

struct check_yaml_opts {
	/* true: interval, rise and fall keys per check, with the rows'
	 * defaults (interval_ms, rise and fall below are not used); timeout
	 * defaults to min(interval / 2, 2 s) and must be shorter than the
	 * interval ("must be shorter than the interval"). false: no such
	 * keys, interval_ms, rise and fall are copied in; timeout defaults to
	 * min(pace_ms, 2 s) and must not exceed pace_ms ("is longer than the
	 * health interval"). Ranges and defaults of the keys are the rows of
	 * check_paced_table / check_plain_table (per check: interval
	 * 0.1..3600 s, timeout 0.05..3600 s; paced by the health section:
	 * timeout 0.01..3600 s). */
	bool pace_keys;
	unsigned interval_ms, rise, fall;
	unsigned pace_ms;                   /* pace_keys false only */
	const char *seconds_expect;        /* YV_EXPECT_NUMBER or YV_EXPECT_SECONDS */
	/* Address used when the check has no address: key and its row has no
	 * fixed default (a PoP's first address). */
	int default_af;                     /* AF_INET or AF_INET6 */
	const uint8_t *default_addr;        /* 4 or 16 bytes */
	const char *dir;                    /* file checks: relative to this ("" or ".../") */
	struct arena *a;                    /* strings and arrays of *out go here */
};

/* The schema of a check mapping: per-check pace (a PoP's check) or paced
 * by the enclosing health section (anycast), one variant per type. */
extern const struct ydoc_table check_paced_table;
extern const struct ydoc_table check_plain_table;

/*
 * Parse check mapping n into *out (zeroed first). Messages, at the node at
 * fault: "check: expected a mapping", "missing required key 'type' in
 * check", "type: unknown check type '<t>' (expected tcp, http, dns or
 * file)", then the walk of the type's table ("... in tcp check") and the
 * value errors of each key. Returns 0 or -1 with err written.
 */
int check_conf_from_yaml(struct ydoc *d, yaml_node_t *n, const struct check_yaml_opts *o,
                         struct check_conf *out, char *err, size_t errlen);

#endif
