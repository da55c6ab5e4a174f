/* steer_rec_yaml.c: a zone name's `steer:` mapping; see steer_rec_yaml.h. */
#include "common/steer_rec_yaml.h"

#include <string.h>

#include "common/yaml_values.h"
#include "common/zone_yaml.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_STEER_ANSWERS 16

static const struct ydoc_key steer_keys[] = {
	{ .key = "ttl", .kind = YK_UINT, .lo = 0, .hi = ZONE_MAX_TTL, .def = "30",
	  .doc = "TTL of the steered answers" },
	{ .key = "answers", .kind = YK_UINT, .lo = 1, .hi = MAX_STEER_ANSWERS, .def = "1",
	  .doc = "how many PoPs' addresses to answer" },
	{ .key = "mode", .kind = YK_STR, .type = "geodns | anycast | ab",
	  .doc = "this name's method; absent: server.mode" },
};

int steer_rec_from_yaml(struct ydoc *d, yaml_node_t *n, struct steer_rec *out, char *err,
                        size_t errlen)
{
	uint32_t v = 0;

	if (ydoc_walk_map(d, n, "steer", steer_keys, NKEYS(steer_keys), NULL, err, errlen) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	if (yv_u32_key(d, n, &steer_keys[0], &v, err, errlen) < 0)
		return -1;
	out->ttl = v;
	if (yv_u32_key(d, n, &steer_keys[1], &v, err, errlen) < 0)
		return -1;
	out->answers = v;
	out->mode = STEER_MODE_DEFAULT;
	yaml_node_t *m = ydoc_map_get(d, n, "mode");
	if (m) {
		const char *s = ydoc_scalar(m);
		for (int i = STEER_MODE_DEFAULT + 1; i < STEER_MODE_COUNT; i++)
			if (strcmp(steer_mode_name((enum steer_mode)i), s) == 0)
				out->mode = (enum steer_mode)i;
		if (out->mode == STEER_MODE_DEFAULT)
			return ydoc_err(d, m, err, errlen,
			                "mode: unknown steer mode '%s' (expected geodns, anycast or ab)", s);
	}
	return 0;
}
