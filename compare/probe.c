/* probe.c: `steerdns probe`: options, targets, one JSON line; see probe.h. */
#include "compare/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/config.h"
#include "common/health.h"
#include "compare/probe_dns.h"
#include "compare/probe_net.h"
#include "geodns/geo_compile.h"
#include "geodns/geo_config.h"
#include "geodns/geotree.h"
#include "geodns/steer.h"
#include "server/modules.h"

#define DEFAULT_CONFIG "/etc/steerdns/steerdns.yaml"
#define TYPE_A 1
#define TYPE_TXT 16
#define CLASS_IN 1
#define CLASS_CH 3

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: steerdns probe -c CONFIG [OPTIONS]\n"
	        "\n"
	        "Measure, from this vantage point, where GeoDNS and anycast steer it\n"
	        "and the RTT to every PoP; writes one JSON line.\n"
	        "\n"
	        "  -c, --config FILE          steerdns config with the PoPs (and GeoIP DB)\n"
	        "      --name VP              vantage point name (default: hostname)\n"
	        "      --vp-addr ADDR         our public address (default: the source\n"
	        "                             address the kernel picks towards the targets)\n"
	        "      --resolver ADDR[:PORT] ask this resolver for --geo-name (RD set)\n"
	        "      --geodns-server ADDR[:PORT]\n"
	        "                             ask the GeoDNS server directly, with ECS\n"
	        "      --geo-name NAME        the GeoDNS-steered name (type A)\n"
	        "      --subnet PREFIX        ECS subnet (default: vp-addr /24 or /56)\n"
	        "      --anycast ADDR[:PORT]  the anycast address: NSID and RTT\n"
	        "      --port N               DNS port of the PoPs' unicast addresses (53)\n"
	        "  -k N                       queries per RTT target, median taken (5)\n"
	        "      --timeout MS           per-query timeout (1000)\n"
	        "      --out FILE             append the JSON line to FILE (default stdout)\n"
	        "  -h, --help                 show this help\n");
}

struct probe_opts {
	const char *config;
	const char *name;
	const char *vp_addr;
	const char *resolver;
	const char *geodns;
	const char *geo_name;
	const char *anycast;
	const char *subnet;
	const char *out;
	unsigned port;
	unsigned k;
	unsigned timeout_ms;
};

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Returns 0, 1 for --help, -1 for a usage error (message printed). */
static int parse_args(int argc, char **argv, struct probe_opts *o)
{
	enum { O_NAME = 256, O_VP, O_RES, O_GEO, O_GEONAME, O_ANY, O_SUB, O_OUT, O_PORT, O_TMO };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "name", required_argument, NULL, O_NAME },
		{ "vp-addr", required_argument, NULL, O_VP },
		{ "resolver", required_argument, NULL, O_RES },
		{ "geodns-server", required_argument, NULL, O_GEO },
		{ "geo-name", required_argument, NULL, O_GEONAME },
		{ "anycast", required_argument, NULL, O_ANY },
		{ "subnet", required_argument, NULL, O_SUB },
		{ "out", required_argument, NULL, O_OUT },
		{ "port", required_argument, NULL, O_PORT },
		{ "timeout", required_argument, NULL, O_TMO },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->config = DEFAULT_CONFIG;
	o->port = 53;
	o->k = 5;
	o->timeout_ms = 1000;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:hk:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'h': return 1;
		case O_NAME: o->name = optarg; break;
		case O_VP: o->vp_addr = optarg; break;
		case O_RES: o->resolver = optarg; break;
		case O_GEO: o->geodns = optarg; break;
		case O_GEONAME: o->geo_name = optarg; break;
		case O_ANY: o->anycast = optarg; break;
		case O_SUB: o->subnet = optarg; break;
		case O_OUT: o->out = optarg; break;
		case 'k':
			if (parse_uint(optarg, 1, PROBE_MAX_K, &o->k) < 0) {
				fprintf(stderr, "steerdns probe: -k wants 1..%d\n", PROBE_MAX_K);
				return -1;
			}
			break;
		case O_PORT:
			if (parse_uint(optarg, 1, 65535, &o->port) < 0) {
				fprintf(stderr, "steerdns probe: --port wants 1..65535\n");
				return -1;
			}
			break;
		case O_TMO:
			if (parse_uint(optarg, 1, 60000, &o->timeout_ms) < 0) {
				fprintf(stderr, "steerdns probe: --timeout wants 1..60000 ms\n");
				return -1;
			}
			break;
		default:
			fprintf(stderr, "steerdns probe: bad option '%s'\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "steerdns probe: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if ((o->resolver || o->geodns) && !o->geo_name) {
		fprintf(stderr, "steerdns probe: --resolver and --geodns-server need --geo-name\n");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* PoP mapping */

const struct pop *probe_pop_by_v4(const struct geo_config *geo, const struct in_addr *a)
{
	if (!geo)
		return NULL;
	for (size_t i = 0; i < geo->n_pops; i++)
		for (size_t j = 0; j < geo->pops[i].n_v4; j++)
			if (geo->pops[i].v4[j].s_addr == a->s_addr)
				return &geo->pops[i];
	return NULL;
}

const struct pop *probe_pop_by_nsid(const struct geo_config *geo, const char *nsid)
{
	if (!geo || !nsid)
		return NULL;
	for (size_t i = 0; i < geo->n_pops; i++) {
		const struct pop *p = &geo->pops[i];
		const char *id = p->identity ? p->identity : p->name;
		if (!strcmp(id, nsid))
			return p;
	}
	return NULL;
}

/* The address to measure a PoP's RTT at: the first of the VP's family if
 * it has one, else its first address of the other family. */
static bool pop_target(const struct pop *p, int prefer, uint16_t port,
                       struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	bool use6 = (prefer == AF_INET6 && p->n_v6) || !p->n_v4;

	memset(ss, 0, sizeof(*ss));
	if (!use6 && p->n_v4) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr = p->v4[0];
		*len = sizeof(*s4);
		return true;
	}
	if (p->n_v6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = p->v6[0];
		*len = sizeof(*s6);
		return true;
	}
	return false;
}

/* The source address the kernel would use towards dst: connect() on a UDP
 * socket picks the route and source without sending anything. */
static bool source_towards(const struct sockaddr_storage *dst, socklen_t dlen,
                           struct sockaddr_storage *src)
{
	bool ok = false;
	int fd = socket(dst->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t slen = sizeof(*src);

	if (fd < 0)
		return false;
	if (connect(fd, (const struct sockaddr *)dst, dlen) == 0 &&
	    getsockname(fd, (struct sockaddr *)src, &slen) == 0)
		ok = true;
	close(fd);
	return ok;
}

/* ------------------------------------------------------------------ */
/* JSON */

/* NSID payloads are opaque bytes (RFC 5001 2.3); JSON strings must be
 * UTF-8, so anything but printable ASCII is written as \xNN text. */
static json_t *json_bytes_text(const char *s)
{
	char buf[PROBE_NSID_MAX * 4 + 1];
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < sizeof(buf); p++) {
		if (*p >= 0x20 && *p < 0x7f)
			buf[o++] = (char)*p;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", *p);
	}
	buf[o] = '\0';
	return json_string(buf);
}

static json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* Milliseconds rounded to microseconds: more digits are noise. */
static json_t *json_ms(double ms)
{
	return json_real(round(ms * 1000.0) / 1000.0);
}

static void ts_now(char *buf, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, cap - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static json_t *vp_location_json(const struct config *cfg, const struct sockaddr_storage *vp)
{
	const struct geo_compiled *gc = cfg->geo_compiled;
	uint8_t a16[16] = { 0 };

	if (!gc || !gc->loc_tree)
		return json_null();
	if (vp->ss_family == AF_INET) {
		a16[10] = a16[11] = 0xff;   /* ::ffff:a.b.c.d, geotree.h */
		memcpy(a16 + 12, &((const struct sockaddr_in *)vp)->sin_addr, 4);
	} else {
		memcpy(a16, &((const struct sockaddr_in6 *)vp)->sin6_addr, 16);
	}
	uint32_t id = geotree_lookup(gc->loc_tree, a16, NULL);
	if (id == GEO_LOC_UNKNOWN)
		return json_null();
	const struct geo_location *loc = geotree_location(gc->loc_tree, id);
	bool coords = loc->coords != GEO_COORD_NONE;
	/* The tree also carries ASN and cidr-rule attributes (a loopback VP
	 * matches a cidr rule): without a place it is still unlocated. */
	if (!coords && !loc->country[0] && !loc->continent[0])
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "lat", coords ? json_real(loc->lat) : json_null());
	json_object_set_new(o, "lon", coords ? json_real(loc->lon) : json_null());
	json_object_set_new(o, "country", loc->country[0] ? json_string(loc->country) : json_null());
	json_object_set_new(o, "continent",
	                    loc->continent[0] ? json_string(loc->continent) : json_null());
	return o;
}

/* "answer", "pop" and "rcode" of a GeoDNS measurement into o. No reply:
 * answer [], pop null, rcode null. */
static void geo_answer_json(json_t *o, const struct config *cfg, const struct probe_job *j)
{
	json_t *ans = json_array();
	const struct pop *pop = NULL;
	if (j->have_reply) {
		for (size_t i = 0; i < j->first.n_a; i++) {
			char t[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &j->first.a[i], t, sizeof(t));
			json_array_append_new(ans, json_string(t));
			if (!pop)
				pop = probe_pop_by_v4(cfg->geo, &j->first.a[i]);
		}
	}
	json_object_set_new(o, "answer", ans);
	json_object_set_new(o, "pop", json_str_or_null(pop ? pop->name : NULL));
	json_object_set_new(o, "rcode",
	                    j->have_reply ? json_string(probe_rcode_name(j->first.rcode)) : json_null());
}

static void ecs_text(const struct ecs *e, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];
	inet_ntop(e->family == ECS_FAMILY_IPV4 ? AF_INET : AF_INET6, e->addr, a, sizeof(a));
	snprintf(buf, cap, "%s/%u", a, e->source);
}

/* ------------------------------------------------------------------ */
/* The run */

enum { J_RESOLVER, J_ECS, J_ANYCAST, J_POPS };

struct run {
	struct probe_opts o;
	struct config *cfg;
	uint8_t geo_name[DNAME_MAXLEN];
	bool have_vp;
	struct sockaddr_storage vp;
	bool have_subnet;
	struct ecs subnet;
	struct probe_job *jobs;        /* J_POPS + n_pops; count 0 = not run */
	size_t n_jobs;
};

static void question(struct probe_question *q, const uint8_t *qname, uint16_t qtype,
                     uint16_t qclass)
{
	memset(q, 0, sizeof(*q));
	memcpy(q->qname, qname, dname_len(qname));
	q->qtype = qtype;
	q->qclass = qclass;
}

static const uint8_t id_server[] = { 2, 'i', 'd', 6, 's', 'e', 'r', 'v', 'e', 'r', 0 };

/* True when subnet is not routable (steer_addr_private): a resolver would
 * not forward it, nor GeoDNS use it. */
static bool subnet_private(const struct ecs *e)
{
	uint8_t a[16] = { 0 };
	if (e->family == ECS_FAMILY_IPV4) {
		a[10] = a[11] = 0xff;
		memcpy(a + 12, e->addr, 4);
	} else {
		memcpy(a, e->addr, 16);
	}
	return steer_addr_private(a);
}

/* Fill the jobs from the options. Returns 0, or 2 for a usage error. */
static int plan(struct run *r)
{
	const struct probe_opts *o = &r->o;
	size_t n_pops = r->cfg->geo ? r->cfg->geo->n_pops : 0;
	struct probe_job *j;

	r->n_jobs = J_POPS + n_pops;
	r->jobs = calloc(r->n_jobs, sizeof(*r->jobs));
	if (!r->jobs)
		return 1;
	if (o->geo_name) {
		static const uint8_t root[1] = { 0 };
		if (dname_from_text(o->geo_name, root, r->geo_name) < 0) {
			fprintf(stderr, "steerdns probe: --geo-name '%s' is not a domain name\n",
			        o->geo_name);
			return 2;
		}
	}
	if (o->resolver) {
		j = &r->jobs[J_RESOLVER];
		if (probe_parse_hostport(o->resolver, 53, &j->addr, &j->addrlen) < 0) {
			fprintf(stderr, "steerdns probe: --resolver '%s' is not ADDR[:PORT]\n", o->resolver);
			return 2;
		}
		question(&j->q, r->geo_name, TYPE_A, CLASS_IN);
		j->q.rd = true;   /* a recursive resolver's answer, as users get it */
		j->count = 1;
	}
	if (o->geodns) {
		j = &r->jobs[J_ECS];
		if (probe_parse_hostport(o->geodns, 53, &j->addr, &j->addrlen) < 0) {
			fprintf(stderr, "steerdns probe: --geodns-server '%s' is not ADDR[:PORT]\n",
			        o->geodns);
			return 2;
		}
		question(&j->q, r->geo_name, TYPE_A, CLASS_IN);
		j->count = 1;
	}
	if (o->anycast) {
		j = &r->jobs[J_ANYCAST];
		if (probe_parse_hostport(o->anycast, 53, &j->addr, &j->addrlen) < 0) {
			fprintf(stderr, "steerdns probe: --anycast '%s' is not ADDR[:PORT]\n", o->anycast);
			return 2;
		}
		/* id.server CH TXT: every steerdns (and most servers) answers
		 * it, whatever zones it has; NSID names who answered. */
		question(&j->q, id_server, TYPE_TXT, CLASS_CH);
		j->q.nsid = true;
		j->count = o->k;
	}
	if (o->subnet && probe_parse_subnet(o->subnet, &r->subnet) < 0) {
		fprintf(stderr, "steerdns probe: --subnet '%s' is not ADDR/LEN\n", o->subnet);
		return 2;
	}
	r->have_subnet = o->subnet != NULL;

	/* The VP's address: given, or the kernel's source towards the first
	 * target we have (GeoDNS server first: it is what ECS describes). */
	if (o->vp_addr) {
		socklen_t l;
		if (probe_parse_hostport(o->vp_addr, 0, &r->vp, &l) < 0) {
			fprintf(stderr, "steerdns probe: --vp-addr '%s' is not an address\n", o->vp_addr);
			return 2;
		}
		r->have_vp = true;
	} else {
		static const int order[] = { J_ECS, J_RESOLVER, J_ANYCAST };
		for (size_t i = 0; i < 3 && !r->have_vp; i++)
			if (r->jobs[order[i]].count)
				r->have_vp = source_towards(&r->jobs[order[i]].addr,
				                            r->jobs[order[i]].addrlen, &r->vp);
	}
	int prefer = r->have_vp ? r->vp.ss_family : AF_INET;
	for (size_t i = 0; i < n_pops; i++) {
		j = &r->jobs[J_POPS + i];
		if (!pop_target(&r->cfg->geo->pops[i], prefer, (uint16_t)o->port, &j->addr,
		                &j->addrlen))
			continue;
		question(&j->q, id_server, TYPE_TXT, CLASS_CH);
		j->q.nsid = true;
		j->count = o->k;
		if (!r->have_vp)
			r->have_vp = source_towards(&j->addr, j->addrlen, &r->vp);
	}
	if (!r->have_subnet && r->have_vp) {
		probe_default_subnet(&r->vp, &r->subnet);
		r->have_subnet = true;
	}
	if (r->jobs[J_ECS].count && r->have_subnet) {
		r->jobs[J_ECS].q.has_ecs = true;
		r->jobs[J_ECS].q.ecs = r->subnet;
	}
	/* Whether the resolver sends ECS upstream: we send it the subnet it
	 * would derive from our address itself, and a resolver that does
	 * ECS answers with the authoritative's SCOPE (RFC 7871 7.2.2); one
	 * that does not drops the option. Only that subnet, and only when it
	 * is public: any other (--subnet, a private one behind NAT) would
	 * change the answer users of the resolver get. */
	if (r->jobs[J_RESOLVER].count && r->have_subnet && !o->subnet &&
	    !subnet_private(&r->subnet)) {
		r->jobs[J_RESOLVER].q.has_ecs = true;
		r->jobs[J_RESOLVER].q.ecs = r->subnet;
	}
	return 0;
}

static json_t *result_json(struct run *r, const char *ts)
{
	const struct probe_opts *o = &r->o;
	const struct config *cfg = r->cfg;
	json_t *root = json_object();
	char buf[INET6_ADDRSTRLEN + 8];
	char host[256];

	json_object_set_new(root, "ts", json_string(ts));
	if (!o->name && gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		json_object_set_new(root, "vp", json_bytes_text(host));
	} else {
		json_object_set_new(root, "vp", o->name ? json_bytes_text(o->name) : json_null());
	}
	json_object_set_new(root, "vp_addr",
	                    r->have_vp ? json_string(probe_addr_text(&r->vp, buf, sizeof(buf)))
	                               : json_null());
	json_object_set_new(root, "vp_location", r->have_vp ? vp_location_json(cfg, &r->vp)
	                                                    : json_null());

	struct probe_job *j = &r->jobs[J_RESOLVER];
	if (j->count) {
		json_t *g = json_object();
		json_object_set_new(g, "resolver", json_string(probe_addr_text(&j->addr, buf, sizeof(buf))));
		dname_to_text(r->geo_name, host, sizeof(host));
		json_object_set_new(g, "qname", json_bytes_text(host));
		geo_answer_json(g, cfg, j);
		/* ecs: true when the answer came back with ECS SCOPE > 0 (the
		 * resolver forwarded our subnet and the authoritative used it),
		 * false when the option was dropped, null when unknown (not
		 * asked, no reply, or SCOPE 0: forwarded but not used). */
		bool asked = j->q.has_ecs && j->have_reply;
		json_object_set_new(g, "ecs", !asked                ? json_null()
		                              : !j->first.has_ecs   ? json_false()
		                              : j->first.ecs_scope  ? json_true()
		                                                    : json_null());
		json_object_set_new(g, "ecs_scope", asked && j->first.has_ecs
		                                    ? json_integer(j->first.ecs_scope) : json_null());
		json_object_set_new(root, "geodns_resolver", g);
	} else {
		json_object_set_new(root, "geodns_resolver", json_null());
	}

	j = &r->jobs[J_ECS];
	if (j->count) {
		json_t *g = json_object();
		json_object_set_new(g, "server", json_string(probe_addr_text(&j->addr, buf, sizeof(buf))));
		dname_to_text(r->geo_name, host, sizeof(host));
		json_object_set_new(g, "qname", json_bytes_text(host));
		if (j->q.has_ecs) {
			ecs_text(&j->q.ecs, buf, sizeof(buf));
			json_object_set_new(g, "subnet", json_string(buf));
		} else {
			json_object_set_new(g, "subnet", json_null());
		}
		geo_answer_json(g, cfg, j);
		json_object_set_new(g, "scope", j->have_reply && j->first.has_ecs
		                                ? json_integer(j->first.ecs_scope) : json_null());
		json_object_set_new(root, "geodns_ecs", g);
	} else {
		json_object_set_new(root, "geodns_ecs", json_null());
	}

	j = &r->jobs[J_ANYCAST];
	if (j->count) {
		json_t *a = json_object();
		const char *nsid = j->have_reply && j->first.has_nsid ? j->first.nsid : NULL;
		const struct pop *p = probe_pop_by_nsid(cfg->geo, nsid);
		json_object_set_new(a, "address", json_string(probe_addr_text(&j->addr, buf, sizeof(buf))));
		json_object_set_new(a, "nsid", nsid ? json_bytes_text(nsid) : json_null());
		json_object_set_new(a, "pop", json_str_or_null(p ? p->name : NULL));
		json_object_set_new(root, "anycast", a);
	} else {
		json_object_set_new(root, "anycast", json_null());
	}

	/* RTTs: PoPs in config order, then the anycast address. */
	json_t *rtt = json_object(), *lost = json_object();
	for (size_t i = J_ANYCAST; i < r->n_jobs; i++) {
		j = &r->jobs[i];
		if (!j->count)
			continue;
		const char *key = i == J_ANYCAST ? "anycast" : cfg->geo->pops[i - J_POPS].name;
		if (j->n_rtt)
			json_object_set_new(rtt, key, json_ms(probe_median(j->rtt_ms, j->n_rtt)));
		json_object_set_new(lost, key, json_integer(j->lost));
	}
	/* Key order: the PoPs first, "anycast" last. */
	json_t *a_rtt = json_object_get(rtt, "anycast");
	if (a_rtt) {
		json_incref(a_rtt);
		json_object_del(rtt, "anycast");
		json_object_set_new(rtt, "anycast", a_rtt);
	}
	json_t *a_lost = json_object_get(lost, "anycast");
	if (a_lost) {
		json_incref(a_lost);
		json_object_del(lost, "anycast");
		json_object_set_new(lost, "anycast", a_lost);
	}
	json_object_set_new(root, "rtt_ms", rtt);
	json_object_set_new(root, "k", json_integer(o->k));
	json_object_set_new(root, "timeout_ms", json_integer(o->timeout_ms));
	json_object_set_new(root, "lost", lost);
	return root;
}

/* One line, written with a single write so that concurrent probes
 * appending to the same file (O_APPEND) do not interleave. */
static int write_line(const char *path, const char *text)
{
	size_t len = strlen(text);
	char *line = malloc(len + 2);
	int rc = -1;

	if (!line)
		return -1;
	memcpy(line, text, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	FILE *f = path ? fopen(path, "a") : stdout;
	if (f) {
		setvbuf(f, NULL, _IONBF, 0);
		if (fwrite(line, 1, len + 1, f) == len + 1)
			rc = 0;
		if (path && fclose(f) != 0)
			rc = -1;
		else if (!path && fflush(f) != 0)
			rc = -1;
	}
	free(line);
	return rc;
}

int probe_main(int argc, char **argv)
{
	struct run r;
	char err[CONFIG_ERRLEN];
	char ts[40];
	int rc;

	memset(&r, 0, sizeof(r));
	rc = parse_args(argc, argv, &r.o);
	if (rc == 1) {
		usage(stdout);
		return 0;
	}
	if (rc < 0) {
		usage(stderr);
		return 2;
	}
	if (config_load(r.o.config, &r.cfg, err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = plan(&r);
	if (rc != 0) {
		if (rc == 2)
			usage(stderr);
		goto out;
	}
	ts_now(ts, sizeof(ts));
	/* Socket failures (no IPv6 route, ...) leave those targets lost. */
	(void)probe_net_run(r.jobs, r.n_jobs, r.o.timeout_ms);

	json_t *root = result_json(&r, ts);
	char *text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(10));
	json_decref(root);
	if (!text || write_line(r.o.out, text) < 0) {
		fprintf(stderr, "steerdns probe: cannot write %s: %s\n",
		        r.o.out ? r.o.out : "stdout", strerror(errno));
		rc = 1;
	}
	free(text);
out:
	free(r.jobs);
	config_free(r.cfg);
	health_registry_free();
	return rc;
}
