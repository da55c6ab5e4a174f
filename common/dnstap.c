/*
 * dnstap.c: dnstap messages (dnstap.h): the `dnstap:` section, the hand
 * encoder, and the libfstrm I/O thread they are written through.
 *
 * Field numbers, from dnstap.proto (https://github.com/dnstap/dnstap.pb,
 * public domain / CC0):
 *   Dnstap:  identity 1 (bytes), version 2 (bytes), extra 3 (bytes),
 *            message 14 (Message), type 15 (enum, MESSAGE = 1)
 *   Message: type 1 (enum), socket_family 2 (INET 1, INET6 2),
 *            socket_protocol 3 (UDP 1, TCP 2), query_address 4,
 *            query_port 6 (uint32), query_time_sec 8 (uint64),
 *            query_time_nsec 9 (fixed32), query_message 10,
 *            response_time_sec 12 (uint64), response_time_nsec 13
 *            (fixed32), response_message 14
 * The server's own address and port (response_address/port) are left
 * out: the listeners do not pass the local address to the answer path.
 */
#include "common/dnstap.h"

#include <fstrm.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/conf_schema.h"
#include "common/config.h"
#include "common/log.h"
#include "common/steer_method.h"
#include "common/yaml_doc.h"
#include "common/yaml_values.h"

/* ---- encoder ------------------------------------------------------------ */

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Wire types: 0 varint, 2 length-delimited, 5 fixed32. */
static size_t put_key(uint8_t *p, unsigned field, unsigned wt)
{
	return put_varint(p, (uint64_t)field << 3 | wt);
}

static size_t put_bytes(uint8_t *p, unsigned field, const void *b, size_t len)
{
	size_t n = put_key(p, field, 2);
	n += put_varint(p + n, len);
	memcpy(p + n, b, len);
	return n + len;
}

static size_t put_uint(uint8_t *p, unsigned field, uint64_t v)
{
	size_t n = put_key(p, field, 0);
	return n + put_varint(p + n, v);
}

static size_t put_fixed32(uint8_t *p, unsigned field, uint32_t v)
{
	size_t n = put_key(p, field, 5);
	for (int i = 0; i < 4; i++)
		p[n++] = (uint8_t)(v >> (8 * i));
	return n;
}

static size_t put_str(uint8_t *p, unsigned field, const char *s)
{
	if (!s || !s[0])
		return 0;
	return put_bytes(p, field, s, strnlen(s, DNSTAP_STR_MAX));
}

/* The Message body (without its own key and length). */
static size_t encode_message(const struct dnstap_msg *m, uint8_t *p)
{
	size_t n = put_uint(p, 1, (uint64_t)m->type);
	if (m->peer && m->peer->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)m->peer;
		n += put_uint(p + n, 2, 1);
		n += put_uint(p + n, 3, m->tcp ? 2 : 1);
		n += put_bytes(p + n, 4, &s4->sin_addr, 4);
		n += put_uint(p + n, 6, ntohs(s4->sin_port));
	} else if (m->peer && m->peer->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)m->peer;
		n += put_uint(p + n, 2, 2);
		n += put_uint(p + n, 3, m->tcp ? 2 : 1);
		n += put_bytes(p + n, 4, &s6->sin6_addr, 16);
		n += put_uint(p + n, 6, ntohs(s6->sin6_port));
	}
	n += put_uint(p + n, 8, (uint64_t)m->qtime.tv_sec);
	n += put_fixed32(p + n, 9, (uint32_t)m->qtime.tv_nsec);
	if (m->query && m->qlen)
		n += put_bytes(p + n, 10, m->query, m->qlen);
	if (m->type == DNSTAP_AUTH_RESPONSE) {
		n += put_uint(p + n, 12, (uint64_t)m->rtime.tv_sec);
		n += put_fixed32(p + n, 13, (uint32_t)m->rtime.tv_nsec);
		if (m->response && m->rlen)
			n += put_bytes(p + n, 14, m->response, m->rlen);
	}
	return n;
}

size_t dnstap_encode(const struct dnstap_msg *m, uint8_t *buf, size_t cap)
{
	if (cap < DNSTAP_ENC_MAX(m))
		return 0;
	size_t n = put_str(buf, 1, m->identity);
	n += put_str(buf + n, 2, m->version);
	n += put_str(buf + n, 3, m->extra);
	/* Message: its length first, so encode it past a 3-byte gap (its
	 * body is under 2^21 bytes) and move it down to fit. */
	uint8_t *body = buf + n + 1 + 3;
	size_t blen = encode_message(m, body);
	size_t k = put_key(buf + n, 14, 2);
	k += put_varint(buf + n + k, blen);
	memmove(buf + n + k, body, blen);
	n += k + blen;
	n += put_uint(buf + n, 15, 1);
	return n;
}

size_t dnstap_extra(const struct steer_outcome *o, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "method=%s arm=%s pop=%s scope=%d", o->method ? o->method : "",
	                 o->arm ? o->arm : "", o->pop_name ? o->pop_name : "", o->scope);
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* ---- the output: one fstrm I/O thread, a queue per answering thread ---- */

#define DNSTAP_QUEUES 256     /* threads that may log: workers, TCP threads */
#define DNSTAP_QUEUE_SIZE 4096 /* messages per queue (a power of two) */

static _Atomic(struct fstrm_iothr *) g_iothr;
static _Atomic uint64_t g_dropped;

/* Per thread: its input queue, and the steered decision of the answer
 * being written (dnstap_note), consumed by dnstap_log. */
static __thread struct fstrm_iothr_queue *t_queue;
static __thread bool t_no_queue;
static __thread bool t_noted;
static __thread char t_extra[256];

void dnstap_note(const struct steer_outcome *o)
{
	dnstap_extra(o, t_extra, sizeof(t_extra));
	t_noted = true;
}

uint64_t dnstap_dropped(void)
{
	return atomic_load_explicit(&g_dropped, memory_order_relaxed);
}

static void drop(void)
{
	atomic_fetch_add_explicit(&g_dropped, 1, memory_order_relaxed);
}

static void submit(struct fstrm_iothr *io, const struct dnstap_msg *m)
{
	/* A few hundred bytes to 4 KB: malloc's thread cache, not mmap. */
	size_t cap = DNSTAP_ENC_MAX(m);
	uint8_t *buf = malloc(cap);
	if (!buf) {
		drop();
		return;
	}
	size_t len = dnstap_encode(m, buf, cap);
	/* fstrm frees buf with free() once written; on a full queue it is
	 * still ours. */
	if (fstrm_iothr_submit(io, t_queue, buf, len, fstrm_free_wrapper, NULL) !=
	    fstrm_res_success) {
		free(buf);
		drop();
	}
}

void dnstap_log(const struct dnstap_conf *dc, const struct sockaddr *peer, bool tcp,
                const struct timespec *qtime, const uint8_t *req, size_t reqlen,
                const uint8_t *resp, size_t resplen)
{
	bool noted = t_noted;
	t_noted = false;
	struct fstrm_iothr *io = atomic_load_explicit(&g_iothr, memory_order_acquire);
	if (!io || t_no_queue)
		return;
	if (!t_queue) {
		t_queue = fstrm_iothr_get_input_queue(io);
		if (!t_queue) {
			t_no_queue = true;  /* more threads than queues: logged once */
			log_warn("dnstap", "no input queue left for this thread; its "
			                           "queries are not logged");
			return;
		}
	}
	struct dnstap_msg m = {
		.identity = dc->identity, .version = dc->version, .peer = peer, .tcp = tcp,
		.qtime = *qtime, .query = req, .qlen = reqlen,
	};
	if (dc->log_queries) {
		m.type = DNSTAP_AUTH_QUERY;
		submit(io, &m);
	}
	if (dc->log_responses && resplen) {
		m.type = DNSTAP_AUTH_RESPONSE;
		m.extra = noted ? t_extra : NULL;
		clock_gettime(CLOCK_REALTIME, &m.rtime);
		m.response = resp;
		m.rlen = resplen;
		submit(io, &m);
	}
}

/* ---- the `dnstap:` section ---------------------------------------------- */

struct dnstap_ctx {
	struct dnstap_conf *c;
	struct arena *a;
	const char *dir;
};

static int on_dnstap(struct ydoc *d, const struct ydoc_key *k, yaml_node_t *val, uint32_t num,
                     void *ctx, char *err, size_t errlen)
{
	struct dnstap_ctx *x = ctx;
	(void)num;
	if (strcmp(k->key, "log_queries") == 0)
		return yv_bool(d, val, "log_queries", &x->c->log_queries, err, errlen);
	if (strcmp(k->key, "log_responses") == 0)
		return yv_bool(d, val, "log_responses", &x->c->log_responses, err, errlen);
	const char *s = ydoc_scalar(val);
	if (!s || !s[0])
		return ydoc_err(d, val, err, errlen, "%s: must not be empty", k->key);
	if (strlen(s) > 255)
		return ydoc_err(d, val, err, errlen, "%s: longer than 255 bytes", k->key);
	if (strcmp(k->key, "identity") == 0) {
		x->c->identity = arena_strdup(x->a, s);
		return 0;
	}
	if (strcmp(k->key, "version") == 0) {
		x->c->version = arena_strdup(x->a, s);
		return 0;
	}
	const char *path = yv_resolve(x->a, x->dir, s);
	if (strcmp(k->key, "socket") == 0) {
		if (strlen(path) >= 108)
			return ydoc_err(d, val, err, errlen, "socket: path longer than 107 bytes");
		x->c->socket = path;
	} else {
		x->c->file = path;
	}
	return 0;
}

/* The defaults --print shows: the server's identity, our version. */
static bool def_identity(const struct ydoc_penv *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s", ((const struct config *)e->user)->server.identity);
	return true;
}

static bool def_version(const struct ydoc_penv *e, char *buf, size_t len)
{
	(void)e;
	snprintf(buf, len, "steerdns %s", STEERDNS_VERSION);
	return true;
}

static const struct ydoc_key dnstap_keys[] = {
	{ .key = "file", .kind = YK_STR, .handler = on_dnstap, .flags = YF_PATH,
	  .doc = "write Frame Streams to this file (one of file and socket)" },
	{ .key = "socket", .kind = YK_STR, .handler = on_dnstap, .flags = YF_PATH,
	  .doc = "write Frame Streams to this Unix socket, e.g. fstrm_capture's" },
	{ .key = "identity", .kind = YK_STR, .handler = on_dnstap, .def = "server.identity",
	  .defprint = def_identity,
	  .doc = "the dnstap identity field" },
	{ .key = "version", .kind = YK_STR, .handler = on_dnstap, .def = "steerdns and its version",
	  .defprint = def_version,
	  .doc = "the dnstap version field" },
	{ .key = "log_queries", .kind = YK_BOOL, .handler = on_dnstap, .def = "true",
	  .doc = "write AUTH_QUERY messages" },
	{ .key = "log_responses", .kind = YK_BOOL, .handler = on_dnstap, .def = "true",
	  .doc = "write AUTH_RESPONSE messages (with the steering decision in extra)" },
};
static const struct ydoc_table dnstap_table = YDOC_TABLE("dnstap", dnstap_keys);

static const struct ydoc_key dnstap_section_row = {
	.key = "dnstap", .kind = YK_MAP, .sub = &dnstap_table,
	.doc = "dnstap output of queries and responses; absent: none",
};

static int dnstap_load(const struct steer_load *l, yaml_node_t *const *v, char *err,
                       size_t errlen)
{
	if (!v[0])
		return 0;
	struct dnstap_conf *c = arena_alloc(&l->cfg->arena, sizeof(*c));
	memset(c, 0, sizeof(*c));
	c->log_queries = c->log_responses = true;
	struct dnstap_ctx x = { c, &l->cfg->arena, l->dir };
	if (ydoc_walk_table(l->d, v[0], &dnstap_table, &x, err, errlen) < 0)
		return -1;
	if (!c->file == !c->socket)
		return ydoc_err(l->d, v[0], err, errlen, "dnstap: exactly one of file and socket");
	if (!c->version)
		c->version = "steerdns " STEERDNS_VERSION;
	l->cfg->dnstap = c;
	return 0;
}

/* Default the identity once the server section is read (bind runs after
 * every module loaded). */
static void dnstap_bind(struct config *cfg)
{
	struct dnstap_conf *c = (struct dnstap_conf *)cfg->dnstap;
	if (c && !c->identity)
		c->identity = cfg->server.identity;
}

/* Start the I/O thread on the output the config names. The output is
 * opened once: a reload that changes file or socket is logged and needs
 * a restart (identity, version and log_* apply at once). */
struct dnstap_rt {
	char *file, *socket;
};

static int dnstap_start(const struct steer_runtime_env *env, const struct config *cfg, void **rt)
{
	(void)env;
	*rt = NULL;
	const struct dnstap_conf *c = cfg->dnstap;
	if (!c)
		return 0;
	struct fstrm_writer *w = NULL;
	struct fstrm_writer_options *wopt = fstrm_writer_options_init();
	static const char ctype[] = "protobuf:dnstap.Dnstap";
	fstrm_writer_options_add_content_type(wopt, ctype, sizeof(ctype) - 1);
	if (c->file) {
		struct fstrm_file_options *fo = fstrm_file_options_init();
		fstrm_file_options_set_file_path(fo, c->file);
		w = fstrm_file_writer_init(fo, wopt);
		fstrm_file_options_destroy(&fo);
	} else {
		struct fstrm_unix_writer_options *uo = fstrm_unix_writer_options_init();
		fstrm_unix_writer_options_set_socket_path(uo, c->socket);
		w = fstrm_unix_writer_init(uo, wopt);
		fstrm_unix_writer_options_destroy(&uo);
	}
	fstrm_writer_options_destroy(&wopt);
	if (!w) {
		log_err("dnstap", "cannot open %s", c->file ? c->file : c->socket);
		return -1;
	}
	struct fstrm_iothr_options *io = fstrm_iothr_options_init();
	fstrm_iothr_options_set_num_input_queues(io, DNSTAP_QUEUES);
	fstrm_iothr_options_set_input_queue_size(io, DNSTAP_QUEUE_SIZE);
	struct fstrm_iothr *iothr = fstrm_iothr_init(io, &w);
	fstrm_iothr_options_destroy(&io);
	if (!iothr) {
		fstrm_writer_destroy(&w);
		log_err("dnstap", "cannot start the output thread");
		return -1;
	}
	struct dnstap_rt *r = calloc(1, sizeof(*r));
	if (r) {
		r->file = c->file ? strdup(c->file) : NULL;
		r->socket = c->socket ? strdup(c->socket) : NULL;
	}
	atomic_store_explicit(&g_iothr, iothr, memory_order_release);
	log_info("dnstap", "writing to %s %s", c->file ? "file" : "socket",
	        c->file ? c->file : c->socket);
	*rt = r;
	return 0;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void dnstap_reload(void *rt, const struct config *cfg)
{
	const struct dnstap_rt *r = rt;
	const struct dnstap_conf *c = cfg->dnstap;
	bool had = atomic_load(&g_iothr) != NULL;
	if ((c != NULL) != had || (r && c && (!same(r->file, c->file) || !same(r->socket, c->socket))))
		log_warn("dnstap", "a new output takes effect at the next restart");
}

/* The I/O thread, kept for dnstap_close: stop_free runs while workers may
 * still answer (server_free stops modules before the listeners). */
static struct fstrm_iothr *g_owned;

/* Stop: no new messages from here on (a worker that loaded the pointer
 * still submits safely, dnstap_close destroys it later). */
static void dnstap_stop_free(void *rt)
{
	struct dnstap_rt *r = rt;
	struct fstrm_iothr *io = atomic_exchange(&g_iothr, NULL);
	if (io)
		g_owned = io;
	if (r) {
		free(r->file);
		free(r->socket);
		free(r);
	}
}

void dnstap_close(void)
{
	struct fstrm_iothr *io = atomic_exchange(&g_iothr, NULL);
	if (!io)
		io = g_owned;
	g_owned = NULL;
	if (io)
		fstrm_iothr_destroy(&io);  /* flushes what is queued */
}

const struct steer_module dnstap_module = {
	.name = "dnstap",
	.sections = { &dnstap_section_row, NULL },
	.load = dnstap_load,
	.bind = dnstap_bind,
	.start = dnstap_start,
	.reload = dnstap_reload,
	.stop_free = dnstap_stop_free,
};
