/* config_compare.c: the `ab:` and `decision_log:` sections; see config_compare.h. */
#include "common/config_compare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/decision_log.h"
#include "common/qlog.h"

/* A plain decimal number (no inf/nan/hex) in lo..hi. */
static int get_real(struct ydoc *d, yaml_node_t *n, const char *what, double lo, double hi,
                    bool lo_open, double *out, char *err, size_t errlen)
{
	const char *s = ydoc_scalar(n);
	char *end;
	if (!s || !*s || strspn(s, "0123456789.+-eE") != strlen(s))
		return ydoc_err(d, n, err, errlen, "%s: expected a number, got '%s'", what,
		                s ? s : "(not a scalar)");
	errno = 0;
	double v = strtod(s, &end);
	if (*end || errno || !isfinite(v))
		return ydoc_err(d, n, err, errlen, "%s: expected a number, got '%s'", what, s);
	if (v > hi || v < lo || (lo_open && v == lo))
		return ydoc_err(d, n, err, errlen, "%s: %s out of range %s%g..%g", what, s,
		                lo_open ? "above " : "", lo, hi);
	*out = v;
	return 0;
}

static int on_ab(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                 void *ctx, char *err, size_t errlen)
{
	struct ab_conf *ab = ctx;
	double p;
	(void)num;
	if (get_real(d, val, "anycast_percent", k->lo, k->hi, false, &p, err, errlen) < 0)
		return -1;
	ab->anycast_bp = (uint32_t)lround(p * 100);
	return 0;
}

static const struct ydoc_key ab_keys[] = {
	{ .key = "anycast_percent", .kind = YK_NUMBER, .lo = 0, .hi = 100, .handler = on_ab,
	  .def = "50", .doc = "share of client subnets (/24, /56) in the anycast arm, may be fractional" },
};
static const struct ydoc_table ab_table = YDOC_TABLE("ab", ab_keys);

const struct ydoc_key ab_section_row = {
	.key = "ab", .kind = YK_MAP, .sub = &ab_table, .flags = YF_IMPLIED,
	.doc = "the A/B split of `mode: ab` between GeoDNS and anycast",
};

int ab_config_from_yaml(struct ydoc *d, yaml_node_t *n, struct arena *a, struct ab_conf **out,
                        char *err, size_t errlen)
{
	struct ab_conf *ab = arena_alloc(a, sizeof(*ab));
	ab->anycast_bp = (uint32_t)lround(strtod(ab_keys[0].def, NULL) * 100);
	if (ydoc_walk_table(d, n, &ab_table, ab, err, errlen) < 0)
		return -1;
	*out = ab;
	return 0;
}

struct qlog_ctx {
	struct qlog_conf *q;
	struct arena *a;
	const char *dir;
};

/* Writable now: the file if it exists, else its directory. */
static int check_writable(const char *path, char *why, size_t whylen)
{
	struct stat st;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(why, whylen, "is a directory");
			return -1;
		}
		if (access(path, W_OK) != 0) {
			snprintf(why, whylen, "%s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(why, whylen, "its directory: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int on_qlog(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                   void *ctx, char *err, size_t errlen)
{
	struct qlog_ctx *c = ctx;
	(void)num;
	if (strcmp(k->key, "sample") == 0) {
		double s;
		if (get_real(d, val, "sample", k->lo, k->hi, true, &s, err, errlen) < 0)
			return -1;
		long ppm = lround(s * 1e6);
		c->q->sample_ppm = ppm < 1 ? 1 : (uint32_t)ppm;
		return 0;
	}
	const char *rel = ydoc_scalar(val);
	if (!rel || !*rel)
		return ydoc_err(d, val, err, errlen, "path: must not be empty");
	size_t plen = strlen(c->dir) + strlen(rel) + 1;
	char *path = arena_alloc(c->a, plen);
	snprintf(path, plen, "%s%s", rel[0] == '/' ? "" : c->dir, rel);
	char why[256];
	if (check_writable(path, why, sizeof(why)) < 0)
		return ydoc_err(d, val, err, errlen, "path: cannot write the decision log %s: %s", path,
		                why);
	c->q->path = path;
	return 0;
}

static const struct ydoc_key qlog_keys[] = {
	{ .key = "path", .kind = YK_STR, .required = true, .handler = on_qlog, .flags = YF_PATH,
	  .doc = "the JSON-lines file, writable now (renamed or removed: reopened)" },
	{ .key = "sample", .kind = YK_NUMBER, .lo = 0, .hi = 1, .handler = on_qlog, .def = "1",
	  .doc = "share of steered answers logged, above 0" },
};
static const struct ydoc_table qlog_table = YDOC_TABLE("decision_log", qlog_keys);

const struct ydoc_key decision_log_section_row = {
	.key = "decision_log", .kind = YK_MAP, .sub = &qlog_table,
	.doc = "one JSON line per steered answer; absent: no log",
};

int qlog_config_from_yaml(struct ydoc *d, yaml_node_t *n, struct arena *a, const char *dir,
                          struct qlog_conf **out, char *err, size_t errlen)
{
	struct qlog_conf *q = arena_alloc(a, sizeof(*q));
	struct qlog_ctx c = { q, a, dir };
	q->path = NULL;
	q->sample_ppm = (uint32_t)lround(strtod(qlog_keys[1].def, NULL) * 1e6);
	if (ydoc_walk_table(d, n, &qlog_table, &c, err, errlen) < 0)
		return -1;
	*out = q;
	return 0;
}

static int decision_log_load(const struct steer_load *l, yaml_node_t *const *v, char *err,
                             size_t errlen)
{
	struct qlog_conf *q = NULL;
	if (!v[0])
		return 0;
	if (qlog_config_from_yaml(l->d, v[0], &l->cfg->arena, l->dir, &q, err, errlen) < 0)
		return -1;
	l->cfg->qlog = q;
	return 0;
}

const struct steer_module decision_log_module = {
	.name = "decision_log",
	.sections = { &decision_log_section_row, NULL },
	.load = decision_log_load,
};
