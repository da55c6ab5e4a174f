/*
 * metrics.c: label tables, the registry of per-thread counter blocks and
 * the Prometheus text exposition (format 0.0.4); see metrics.h.
 */
#include "common/metrics.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

__thread struct metrics_block *metrics_tls;

/* qtype -> bucket; every type not listed is METRICS_QT_OTHER (0). CAA
 * (257) is above the table: metrics_count_query tests it. */
const uint8_t metrics_qtype_index[256] = {
	[1] = METRICS_QT_A, [2] = METRICS_QT_NS, [5] = METRICS_QT_CNAME, [6] = METRICS_QT_SOA,
	[12] = METRICS_QT_PTR, [15] = METRICS_QT_MX, [16] = METRICS_QT_TXT, [28] = METRICS_QT_AAAA,
	[33] = METRICS_QT_SRV, [43] = METRICS_QT_DS, [65] = METRICS_QT_HTTPS,
	[251] = METRICS_QT_IXFR, [252] = METRICS_QT_AXFR, [255] = METRICS_QT_ANY,
};

static const char *const qtype_names[METRICS_QT_COUNT] = {
	"other", "A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "DS", "HTTPS",
	"CAA", "ANY", "AXFR", "IXFR",
};

const uint8_t metrics_rcode_index[32] = {
	METRICS_RC_NOERROR, METRICS_RC_FORMERR, METRICS_RC_SERVFAIL, METRICS_RC_NXDOMAIN,
	METRICS_RC_NOTIMP, METRICS_RC_REFUSED, METRICS_RC_OTHER, METRICS_RC_OTHER,
	METRICS_RC_OTHER, METRICS_RC_NOTAUTH, METRICS_RC_OTHER, METRICS_RC_OTHER,
	METRICS_RC_OTHER, METRICS_RC_OTHER, METRICS_RC_OTHER, METRICS_RC_OTHER,
	METRICS_RC_BADVERS, METRICS_RC_OTHER, METRICS_RC_OTHER, METRICS_RC_OTHER,
	METRICS_RC_OTHER, METRICS_RC_OTHER, METRICS_RC_OTHER, METRICS_RC_BADCOOKIE,
	METRICS_RC_OTHER, METRICS_RC_OTHER, METRICS_RC_OTHER, METRICS_RC_OTHER,
	METRICS_RC_OTHER, METRICS_RC_OTHER, METRICS_RC_OTHER, METRICS_RC_OTHER,
};

static const char *const rcode_names[METRICS_RC_COUNT] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "NOTAUTH",
	"BADVERS", "BADCOOKIE", "other",
};

static struct {
	struct metrics_block *const *blocks;
	size_t n;
	uint64_t reloads_ok, reloads_failed;
	double last_success;     /* unix time of the last config loaded (start or reload) */
	char identity[256];
} reg;

void metrics_set_blocks(struct metrics_block *const *blocks, size_t n)
{
	reg.blocks = blocks;
	reg.n = n;
}

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void metrics_sum(struct metrics_block *out)
{
	uint64_t *o = (uint64_t *)out;
	size_t words = sizeof(*out) / sizeof(uint64_t);
	memset(out, 0, sizeof(*out));
	for (size_t b = 0; b < reg.n; b++) {
		const uint64_t *in = (const uint64_t *)reg.blocks[b];
		if (!in)
			continue;
		for (size_t i = 0; i < words; i++)
			o[i] += load(&in[i]);
	}
}

static double now_unix(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void metrics_note_reload(bool ok)
{
	if (ok) {
		reg.reloads_ok++;
		reg.last_success = now_unix();
	} else {
		reg.reloads_failed++;
	}
}

void metrics_set_identity(const char *identity)
{
	snprintf(reg.identity, sizeof(reg.identity), "%s", identity ? identity : "");
	if (reg.last_success == 0)
		reg.last_success = now_unix();
}

/* --- text format --- */

struct metrics_out {
	struct evbuffer *b;
};

void metrics_family(struct metrics_out *o, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(o->b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void add_escaped(struct evbuffer *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

void metrics_sample(struct metrics_out *o, const char *name, const char *const *labels, double v)
{
	evbuffer_add_printf(o->b, "%s", name);
	if (labels && labels[0]) {
		evbuffer_add(o->b, "{", 1);
		for (size_t i = 0; labels[i]; i += 2) {
			evbuffer_add_printf(o->b, "%s%s=\"", i ? "," : "", labels[i]);
			add_escaped(o->b, labels[i + 1] ? labels[i + 1] : "");
			evbuffer_add(o->b, "\"", 1);
		}
		evbuffer_add(o->b, "}", 1);
	}
	/* Counters are integers; %.17g prints them exactly up to 2^53. */
	evbuffer_add_printf(o->b, " %.17g\n", v);
}

static void write_queries(struct metrics_out *o, const struct metrics_block *s)
{
	static const char *const transports[2] = { "udp", "tcp" };
	metrics_family(o, "steerdns_queries_total", "counter",
	               "Queries answered, by transport, query type and response code.");
	for (int t = 0; t < 2; t++)
		for (int q = 0; q < METRICS_QT_COUNT; q++)
			for (int r = 0; r < METRICS_RC_COUNT; r++) {
				if (!s->queries[t][q][r])
					continue;
				const char *l[] = { "transport", transports[t], "qtype", qtype_names[q],
					            "rcode", rcode_names[r], NULL };
				metrics_sample(o, "steerdns_queries_total", l, (double)s->queries[t][q][r]);
			}
	metrics_family(o, "steerdns_ecs_queries_total", "counter",
	               "Queries by where the client address comes from: a valid EDNS Client "
	               "Subnet option (ecs) or the resolver's address (resolver).");
	const char *le[] = { "source", "ecs", NULL };
	metrics_sample(o, "steerdns_ecs_queries_total", le, (double)s->ecs[1]);
	const char *lr[] = { "source", "resolver", NULL };
	metrics_sample(o, "steerdns_ecs_queries_total", lr, (double)s->ecs[0]);
}

static void write_steered(struct metrics_out *o, const struct metrics_block *s,
                          const char *const *pop_names, size_t n_pops)
{
	static const char *const method[METRICS_ST_COUNT] = { "geodns", "anycast", "geodns", "anycast" };
	static const char *const arm[METRICS_ST_COUNT] = { "", "", "geodns", "anycast" };
	metrics_family(o, "steerdns_steered_answers_total", "counter",
	               "Steered answers, by method, A/B arm (\"\" for names not split) and PoP.");
	for (int m = 0; m < METRICS_ST_COUNT; m++) {
		/* pop="" collects answers without a PoP and PoPs past the table. */
		uint64_t none = 0;
		for (size_t p = 0; p <= METRICS_MAX_POPS; p++) {
			uint64_t v = s->steered[m][p];
			if (!v)
				continue;
			if (p == 0 || p > n_pops) {
				none += v;
				continue;
			}
			const char *l[] = { "method", method[m], "arm", arm[m], "pop", pop_names[p - 1], NULL };
			metrics_sample(o, "steerdns_steered_answers_total", l, (double)v);
		}
		if (none) {
			const char *l[] = { "method", method[m], "arm", arm[m], "pop", "", NULL };
			metrics_sample(o, "steerdns_steered_answers_total", l, (double)none);
		}
	}
}

static void write_one(struct metrics_out *o, const char *name, const char *type, const char *help,
                      double v)
{
	metrics_family(o, name, type, help);
	metrics_sample(o, name, NULL, v);
}

static size_t count_fds(void)
{
	size_t n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n > 3 ? n - 3 : 0;  /* ".", ".." and the DIR's own fd */
}

/* The standard process_* metrics (as the Go and Python clients name them), from /proc. */
static void write_process(struct metrics_out *o)
{
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long utime = 0, stime = 0, vsize = 0;
	unsigned long long start = 0;
	long rss = 0;
	FILE *f = fopen("/proc/self/stat", "r");
	if (f) {
		char line[1024];
		if (fgets(line, sizeof(line), f)) {
			/* Fields after the command name, which may hold spaces. */
			const char *p = strrchr(line, ')');
			if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d "
			                       "%*d %*d %*d %*d %llu %lu %ld",
			                &utime, &stime, &start, &vsize, &rss) != 5)
				utime = stime = 0;
		}
		fclose(f);
	}
	double boot = 0;
	f = fopen("/proc/stat", "r");
	if (f) {
		char line[256];
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "btime %lf", &boot) == 1)
				break;
		fclose(f);
	}
	struct rlimit rl;
	double maxfds = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (double)rl.rlim_cur : 0;
	write_one(o, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
	          tick > 0 ? (double)(utime + stime) / (double)tick : 0);
	write_one(o, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
	          (double)rss * (double)page);
	write_one(o, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
	          (double)vsize);
	write_one(o, "process_start_time_seconds", "gauge",
	          "Start time of the process since unix epoch in seconds.",
	          tick > 0 ? boot + (double)start / (double)tick : 0);
	write_one(o, "process_open_fds", "gauge", "Number of open file descriptors.",
	          (double)count_fds());
	write_one(o, "process_max_fds", "gauge", "Maximum number of open file descriptors.", maxfds);
}

void metrics_write(struct evbuffer *buf, const char *const *pop_names, size_t n_pops,
                   metrics_source_fn src, void *src_arg)
{
	struct metrics_out o = { buf };
	struct metrics_block *s = malloc(sizeof(*s));
	if (s) {
		metrics_sum(s);
		write_queries(&o, s);
		write_steered(&o, s, pop_names, n_pops);
		free(s);
	}
	metrics_family(&o, "steerdns_config_reloads_total", "counter",
	               "Configuration reloads, by result (success: serving, failure: old config kept).");
	const char *lok[] = { "result", "success", NULL };
	metrics_sample(&o, "steerdns_config_reloads_total", lok, (double)reg.reloads_ok);
	const char *lfail[] = { "result", "failure", NULL };
	metrics_sample(&o, "steerdns_config_reloads_total", lfail, (double)reg.reloads_failed);
	write_one(&o, "steerdns_config_last_reload_success_timestamp_seconds", "gauge",
	          "When the configuration serving now was loaded (unix time).", reg.last_success);
	metrics_family(&o, "steerdns_build_info", "gauge",
	               "Always 1: the version and identity (NSID) of this server.");
	const char *lb[] = { "version", STEERDNS_VERSION, "identity", reg.identity, NULL };
	metrics_sample(&o, "steerdns_build_info", lb, 1);
	if (src)
		src(src_arg, &o);
	write_process(&o);
}

void metrics_write_source(struct evbuffer *buf, metrics_source_fn src, void *src_arg)
{
	struct metrics_out o = { buf };
	src(src_arg, &o);
}

void metrics_write_json(struct evbuffer *buf, const char *const *pop_names, size_t n_pops)
{
	static const char *const method[METRICS_ST_COUNT] = { "geodns", "anycast", "geodns", "anycast" };
	static const char *const arm[METRICS_ST_COUNT] = { "", "", "geodns", "anycast" };
	struct metrics_block *s = malloc(sizeof(*s));
	if (!s)
		return;
	metrics_sum(s);
	json_t *q = json_array(), *st = json_array();
	for (int t = 0; t < 2; t++)
		for (int k = 0; k < METRICS_QT_COUNT; k++)
			for (int r = 0; r < METRICS_RC_COUNT; r++)
				if (s->queries[t][k][r])
					json_array_append_new(q, json_pack("{s:s, s:s, s:s, s:I}", "transport",
					                                   t ? "tcp" : "udp", "qtype", qtype_names[k],
					                                   "rcode", rcode_names[r], "count",
					                                   (json_int_t)s->queries[t][k][r]));
	for (int m = 0; m < METRICS_ST_COUNT; m++)
		for (size_t p = 0; p <= METRICS_MAX_POPS; p++)
			if (s->steered[m][p])
				json_array_append_new(st, json_pack("{s:s, s:s, s:s, s:I}", "method", method[m],
				                                    "arm", arm[m], "pop",
				                                    p && p <= n_pops ? pop_names[p - 1] : "",
				                                    "count", (json_int_t)s->steered[m][p]));
	json_t *j = json_pack("{s:o, s:o, s:{s:I, s:I}, s:{s:I, s:I}}", "queries", q, "steered_answers",
	                      st, "ecs_queries", "ecs", (json_int_t)s->ecs[1], "resolver",
	                      (json_int_t)s->ecs[0], "config_reloads", "success",
	                      (json_int_t)reg.reloads_ok, "failure", (json_int_t)reg.reloads_failed);
	char *text = json_dumps(j, JSON_INDENT(2));
	if (text)
		evbuffer_add_printf(buf, "%s\n", text);
	free(text);
	json_decref(j);
	free(s);
}
