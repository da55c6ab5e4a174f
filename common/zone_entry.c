/* zone_entry.c: a `zones:` entry to a loaded zone; see zone_entry.h. */
#include "common/zone_entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/dnssec_zone.h"
#include "common/zone_rfc1035.h"

enum zone_format { ZF_AUTO, ZF_YAML, ZF_RFC1035 };

struct entry_keys {
	yaml_node_t *file, *origin, *dnssec;
	enum zone_format format;
};

struct dnssec_keys {
	yaml_node_t *key_dir;
	int algorithm;
};

static int store_dnssec(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                        void *ctx, char *err, size_t errlen)
{
	struct dnssec_keys *dk = ctx;
	(void)num;
	if (strcmp(k->key, "key_dir") == 0) {
		dk->key_dir = val;
	} else {
		dk->algorithm = dnssec_algorithm_from_name(ydoc_scalar(val));
		if (dk->algorithm < 0)
			return ydoc_err(d, val, err, errlen,
			                "algorithm: expected ecdsap256sha256 or ed25519, got '%s'",
			                ydoc_scalar(val));
	}
	return 0;
}

static const struct ydoc_key dnssec_keys[] = {
	{ .key = "key_dir", .kind = YK_STR, .required = true, .handler = store_dnssec,
	  .doc = "directory holding the zone's signing key (created there on first load)" },
	{ .key = "algorithm", .kind = YK_STR, .handler = store_dnssec, .def = "ecdsap256sha256",
	  .doc = "the key's algorithm: ecdsap256sha256 or ed25519" },
};

/* `dnssec: {key_dir, algorithm}`: the zone's key loaded (or created) and
 * its DNSKEY/CDS/CDNSKEY added. */
static int setup_dnssec(struct ydoc *d, yaml_node_t *node, const char *dir, struct zone *z,
                        char *err, size_t errlen)
{
	struct dnssec_keys dk = { NULL, 13 };
	char msg[512];
	if (ydoc_walk_map(d, node, "dnssec", dnssec_keys, sizeof(dnssec_keys) / sizeof(dnssec_keys[0]),
	                  &dk, err, errlen) < 0)
		return -1;
	const char *rel = ydoc_scalar(dk.key_dir);
	size_t plen = strlen(dir) + strlen(rel) + 1;
	char *path = malloc(plen);
	if (!path)
		return ydoc_err(d, dk.key_dir, err, errlen, "out of memory");
	snprintf(path, plen, "%s%s", rel[0] == '/' ? "" : dir, rel);
	int rc = dnssec_zone_setup(z, path, (uint8_t)dk.algorithm, msg, sizeof(msg));
	free(path);
	if (rc < 0)
		return ydoc_err(d, node, err, errlen, "%s", msg);
	return 0;
}

static int store_entry(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                       void *ctx, char *err, size_t errlen)
{
	struct entry_keys *ek = ctx;
	(void)num;
	if (strcmp(k->key, "file") == 0) {
		ek->file = val;
	} else if (strcmp(k->key, "origin") == 0) {
		ek->origin = val;
	} else if (strcmp(k->key, "dnssec") == 0) {
		ek->dnssec = val;
	} else if (strcmp(k->key, "format") == 0) {
		const char *f = ydoc_scalar(val);
		if (strcmp(f, "yaml") == 0)
			ek->format = ZF_YAML;
		else if (strcmp(f, "rfc1035") == 0)
			ek->format = ZF_RFC1035;
		else
			return ydoc_err(d, val, err, errlen, "format: expected yaml or rfc1035, got '%s'", f);
	}
	return 0;
}

static const struct ydoc_key entry_keys[] = {
	{ .key = "file", .kind = YK_STR, .required = true, .handler = store_entry,
	  .doc = "the zone file; a name ending in .zone is a master file" },
	{ .key = "format", .kind = YK_STR, .handler = store_entry, .doc = "yaml or rfc1035 (default: by the name)" },
	{ .key = "origin", .kind = YK_STR, .handler = store_entry,
	  .doc = "master files: the zone's name (default: the file name without .zone)" },
	{ .key = "dnssec", .kind = YK_MAP, .handler = store_entry,
	  .doc = "sign the zone online: {key_dir, algorithm}" },
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int zone_entry_load(struct ydoc *d, yaml_node_t *item, const char *dir,
                    const struct zone_steer_caps *caps, struct zone **out, char *err,
                    size_t errlen)
{
	struct entry_keys ek = { NULL, NULL, NULL, ZF_AUTO };
	yaml_node_t *fnode = item;
	if (item->type == YAML_MAPPING_NODE) {
		if (ydoc_walk_map(d, item, "zones entry", entry_keys,
		                  sizeof(entry_keys) / sizeof(entry_keys[0]), &ek, err, errlen) < 0)
			return -1;
		fnode = ek.file;
	} else {
		const char *s;
		if (ydoc_expect_str(d, item, "zones entry", &s, err, errlen) < 0)
			return -1;
	}
	const char *rel = ydoc_scalar(fnode);
	enum zone_format fmt = ek.format;
	if (fmt == ZF_AUTO)
		fmt = ends_with(rel, ".zone") ? ZF_RFC1035 : ZF_YAML;
	if (ek.origin && fmt != ZF_RFC1035)
		return ydoc_err(d, ek.origin, err, errlen,
		                "origin: only for master files (a YAML zone names its own origin)");

	/* Relative zone paths are relative to the config file, not to the
	 * working directory, so the server can be started from anywhere. */
	size_t plen = strlen(dir) + strlen(rel) + 1;
	char *path = malloc(plen);
	if (!path)
		return ydoc_err(d, fnode, err, errlen, "out of memory");
	snprintf(path, plen, "%s%s", rel[0] == '/' ? "" : dir, rel);

	int rc, open_errno = 0;
	if (fmt == ZF_YAML) {
		rc = zone_yaml_load_caps(path, caps, out, err, errlen, &open_errno);
	} else {
		uint8_t origin[DNAME_MAXLEN];
		static const uint8_t root[1] = { 0 };
		if (ek.origin && dname_from_text(ydoc_scalar(ek.origin), root, origin) < 0) {
			free(path);
			return ydoc_err(d, ek.origin, err, errlen, "origin: bad name '%.80s'",
			                ydoc_scalar(ek.origin));
		}
		if (!ek.origin && zone_rfc1035_origin_from_path(path, origin) < 0) {
			free(path);
			return ydoc_err(d, fnode, err, errlen,
			                "%s: the file name is no zone name; give origin:", rel);
		}
		rc = zone_rfc1035_load(path, origin, out, err, errlen, &open_errno);
	}
	free(path);
	if (rc == -2)
		return ydoc_err(d, fnode, err, errlen, "cannot open %s: %s", rel, strerror(open_errno));
	if (rc < 0)
		return -1;
	if (ek.dnssec && setup_dnssec(d, ek.dnssec, dir, *out, err, errlen) < 0) {
		zone_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
