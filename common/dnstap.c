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

#include <errno.h>
#include <fcntl.h>
#include <fstrm.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/conf_schema.h"
#include "common/config.h"
#include "common/log.h"
#include "common/steer_method.h"
#include "common/yaml_doc.h"
#include "common/yaml_values.h"

/* ---- encoder ------------------------------------------------------------ */

/* Every field number here is under 16, so every key is one byte. Wire
 * types: 0 varint, 2 length-delimited, 5 fixed32. */
#define KEY(field, wt) ((uint8_t)((field) << 3 | (wt)))

static inline size_t varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint8_t *put_uint(uint8_t *p, unsigned field, uint64_t v)
{
	*p++ = KEY(field, 0);
	return put_varint(p, v);
}

static inline uint8_t *put_bytes(uint8_t *p, unsigned field, const void *b, size_t len)
{
	*p++ = KEY(field, 2);
	p = put_varint(p, len);
	memcpy(p, b, len);
	return p + len;
}

static inline uint8_t *put_fixed32(uint8_t *p, unsigned field, uint32_t v)
{
	*p++ = KEY(field, 5);
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

size_t dnstap_head(const char *identity, const char *version, uint8_t *buf)
{
	uint8_t *p = buf;
	if (identity && identity[0])
		p = put_bytes(p, 1, identity, strnlen(identity, DNSTAP_STR_MAX));
	if (version && version[0])
		p = put_bytes(p, 2, version, strnlen(version, DNSTAP_STR_MAX));
	return (size_t)(p - buf);
}

/* v in decimal into out (12 bytes); returns its length. */
static size_t put_dec(char *out, int v)
{
	char rev[10];
	size_t n = 0, k = 0;
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
	do {
		rev[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[k++] = '-';
	while (n)
		out[k++] = rev[--n];
	return k;
}

static inline uint8_t *put_str(uint8_t *p, const char *s, size_t len)
{
	if (len)                /* s may be NULL then */
		memcpy(p, s, len);
	return p + len;
}

/* The `extra` field (3): "method=M arm=A pop=P scope=S" (dnstap.h). Its
 * length is known before it is written; a PoP name that would make it
 * longer than DNSTAP_EXTRA_MAX is cut. */
#define LIT(p, s) put_str(p, s, sizeof(s) - 1)
static uint8_t *put_extra(uint8_t *p, const struct dnstap_extra *x)
{
	size_t lm = x->method ? strnlen(x->method, 16) : 0;
	size_t la = x->arm ? strnlen(x->arm, 16) : 0;
	char num[12];
	size_t ln = put_dec(num, x->scope);
	size_t len = sizeof("method= arm= pop= scope=") - 1 + lm + la + ln;
	size_t lp = x->pop ? strnlen(x->pop, DNSTAP_EXTRA_MAX - len) : 0;
	*p++ = KEY(3, 2);
	p = put_varint(p, len + lp);
	p = LIT(p, "method=");
	p = put_str(p, x->method, lm);
	p = LIT(p, " arm=");
	p = put_str(p, x->arm, la);
	p = LIT(p, " pop=");
	p = put_str(p, x->pop, lp);
	p = LIT(p, " scope=");
	return put_str(p, num, ln);
}

/* A time's seconds (field 8 or 12): a 5-byte varint that changes once a
 * second, so each thread keeps the last one encoded. */
static __thread uint64_t t_sec;
static __thread uint8_t t_sec_enc[10];
static __thread size_t t_sec_len;

static inline uint8_t *put_sec(uint8_t *p, unsigned field, uint64_t sec)
{
	if (__builtin_expect(sec != t_sec || !t_sec_len, 0)) {
		t_sec = sec;
		t_sec_len = (size_t)(put_varint(t_sec_enc, sec) - t_sec_enc);
	}
	*p++ = KEY(field, 0);
	/* All 10 bytes, a fixed-size copy: MESSAGE_FIXED_MAX counts 10 for
	 * each, and what lies past the varint is written over next. */
	memcpy(p, t_sec_enc, sizeof(t_sec_enc));
	return p + t_sec_len;
}

/* The Message body (without its own key and length): at most 68 bytes
 * besides the two DNS messages (keys, 18 of address, varints). */
#define MESSAGE_FIXED_MAX 68

static uint8_t *encode_message(const struct dnstap_msg *m, uint8_t *p)
{
	p = put_uint(p, 1, (uint64_t)m->type);
	if (m->peer && m->peer->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)m->peer;
		p = put_uint(p, 2, 1);
		p = put_uint(p, 3, m->tcp ? 2 : 1);
		p = put_bytes(p, 4, &s4->sin_addr, 4);
		p = put_uint(p, 6, ntohs(s4->sin_port));
	} else if (m->peer && m->peer->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)m->peer;
		p = put_uint(p, 2, 2);
		p = put_uint(p, 3, m->tcp ? 2 : 1);
		p = put_bytes(p, 4, &s6->sin6_addr, 16);
		p = put_uint(p, 6, ntohs(s6->sin6_port));
	}
	p = put_sec(p, 8, (uint64_t)m->qtime.tv_sec);
	p = put_fixed32(p, 9, (uint32_t)m->qtime.tv_nsec);
	if (m->query && m->qlen)
		p = put_bytes(p, 10, m->query, m->qlen);
	if (m->type == DNSTAP_AUTH_RESPONSE) {
		p = put_sec(p, 12, (uint64_t)m->rtime.tv_sec);
		p = put_fixed32(p, 13, (uint32_t)m->rtime.tv_nsec);
		if (m->response && m->rlen)
			p = put_bytes(p, 14, m->response, m->rlen);
	}
	return p;
}

size_t dnstap_encode(const struct dnstap_msg *m, uint8_t *buf, size_t cap)
{
	if (cap < DNSTAP_ENC_MAX(m))
		return 0;
	uint8_t *p = put_str(buf, (const char *)m->head, m->head_len);
	if (m->extra)
		p = put_extra(p, m->extra);
	/* Message: its length comes first. Encode the body past room for the
	 * length its bound needs; when the actual length is shorter by a byte
	 * (bodies just under 128 or 16384 bytes), move the body down. */
	size_t room = varint_len(m->qlen + m->rlen + MESSAGE_FIXED_MAX);
	*p++ = KEY(14, 2);
	uint8_t *body = p + room;
	size_t blen = (size_t)(encode_message(m, body) - body);
	p = put_varint(p, blen);
	if (p != body)
		memmove(p, body, blen);
	p = put_uint(p + blen, 15, 1);
	return (size_t)(p - buf);
}

/* ---- the output: one fstrm I/O thread, a queue per answering thread ---- */

/*
 * Each answering thread encodes its messages into a ring of its own and
 * hands fstrm a pointer into it (fstrm_iothr_submit's buffer with
 * ring_release as its free function): no malloc per message, and frames
 * lie one after another in memory. fstrm's I/O thread releases a
 * queue's buffers in the order they were submitted (it writes and frees
 * each queue's entries in order, also when the output is closed or at
 * destroy), so a ring needs only its tail: the end of the last frame
 * released. Each frame is preceded by its end position (8 bytes). A
 * frame that finds the ring full is malloc'd instead (and freed by fstrm).
 */
#define DNSTAP_RING (1u << 20)     /* bytes per thread: 4 of the largest message fit */
#define DNSTAP_QUEUE_SIZE 4096     /* messages per queue (a power of two) */
/* Queued messages that wake the I/O thread (fstrm signals it when a
 * queue's free space falls to the notify threshold). Until then it
 * sleeps up to its 1 s flush timeout. A batch this large also leaves no
 * window for a lost wakeup: the thread cannot have gone to sleep on an
 * empty queue while 512 messages were queued. */
#define DNSTAP_WAKE 512
#define DNSTAP_MAX_QUEUES 1024

struct ring {
	uint8_t *base;
	uint64_t head;                       /* next byte to reserve: its thread only */
	uint64_t tail_seen;                  /* tail when its thread last read it */
	struct fstrm_iothr_queue *q;
	_Alignas(64) _Atomic uint64_t tail;  /* released up to here (the I/O thread) */
};

static _Atomic(struct fstrm_iothr *) g_iothr;
static _Atomic uint64_t g_dropped;
/* The rings handed out, freed by dnstap_close once fstrm is done with
 * them; g_gen counts the outputs started, so a thread that outlives one
 * takes a new ring from the next. */
static pthread_mutex_t g_rings_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ring *g_rings[DNSTAP_MAX_QUEUES];
static size_t g_nrings;
static _Atomic unsigned g_gen;

/* Per thread: its ring (and queue), and the steered decision of the
 * answer being written (dnstap_note), consumed by dnstap_log. */
static __thread struct ring *t_ring;
static __thread unsigned t_gen;
static __thread bool t_noted;
static __thread struct dnstap_extra t_extra;

void dnstap_note(const struct steer_outcome *o)
{
	t_extra.method = o->method;
	t_extra.arm = o->arm;
	t_extra.pop = o->pop_name;
	t_extra.scope = o->scope;
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

/* This thread's ring, made on its first message of this output. NULL
 * (and a warning, once) when every queue is taken. */
static struct ring *ring_new(struct fstrm_iothr *io, unsigned gen)
{
	t_gen = gen;
	t_ring = NULL;
	struct fstrm_iothr_queue *q = fstrm_iothr_get_input_queue(io);
	struct ring *r = q ? calloc(1, sizeof(*r)) : NULL;
	if (r)
		r->base = malloc(DNSTAP_RING);
	pthread_mutex_lock(&g_rings_lock);
	bool kept = r && r->base && g_nrings < DNSTAP_MAX_QUEUES;
	if (kept)
		g_rings[g_nrings++] = r;
	pthread_mutex_unlock(&g_rings_lock);
	if (!kept) {
		if (r)
			free(r->base);
		free(r);
		log_warn("dnstap", "no output queue for this thread; its queries are not logged");
		return NULL;
	}
	r->q = q;
	t_ring = r;
	return r;
}

/* fstrm's free function: the frame at data is written (or discarded),
 * and so is every frame before it. */
static void ring_release(void *data, void *ring)
{
	struct ring *r = ring;
	uint64_t end;
	memcpy(&end, (const uint8_t *)data - 8, 8);
	atomic_store_explicit(&r->tail, end, memory_order_release);
}

/* Room in r for a frame of up to cap bytes (after its 8-byte end), or
 * NULL; *hp: the ring position of its end header. */
static uint8_t *ring_reserve(struct ring *r, size_t cap, uint64_t *hp)
{
	size_t need = (8 + cap + 7) & ~(size_t)7;
	uint64_t h = r->head;
	size_t at = (size_t)(h & (DNSTAP_RING - 1));
	if (at + need > DNSTAP_RING) {
		h += DNSTAP_RING - at;   /* no room before the end: start over at 0 */
		at = 0;
	}
	/* The tail is read (a cache line the I/O thread writes) only when
	 * the last one read leaves too little room. */
	if (h + need - r->tail_seen > DNSTAP_RING) {
		r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h + need - r->tail_seen > DNSTAP_RING)
			return NULL;
	}
	*hp = h;
	return r->base + at + 8;
}

static void submit(struct fstrm_iothr *io, struct ring *r, const struct dnstap_msg *m)
{
	size_t cap = DNSTAP_ENC_MAX(m);
	uint64_t h;
	uint8_t *frame = ring_reserve(r, cap, &h);
	if (!frame) {
		/* The ring is full: the I/O thread is behind, or large frames
		 * (TCP answers of many KB) filled it before 512 messages woke
		 * the thread. This one is malloc'd, fstrm frees it; only a
		 * full queue drops. */
		uint8_t *buf = malloc(cap);
		if (!buf) {
			drop();
			return;
		}
		size_t len = dnstap_encode(m, buf, cap);
		if (fstrm_iothr_submit(io, r->q, buf, len, fstrm_free_wrapper, NULL) !=
		    fstrm_res_success) {
			free(buf);
			drop();
		}
		return;
	}
	size_t len = dnstap_encode(m, frame, cap);
	uint64_t end = h + ((8 + len + 7) & ~(uint64_t)7);
	memcpy(frame - 8, &end, 8);
	uint64_t old = r->head;
	r->head = end;
	/* A full queue leaves the frame ours: take it back. */
	if (fstrm_iothr_submit(io, r->q, frame, len, ring_release, r) != fstrm_res_success) {
		r->head = old;
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
	if (!io)
		return;
	unsigned gen = atomic_load_explicit(&g_gen, memory_order_relaxed);
	struct ring *r = t_ring;
	if (__builtin_expect(t_gen != gen, 0))
		r = ring_new(io, gen);
	if (!r)
		return;   /* no queue was left for this thread */
	struct dnstap_msg m = {
		.head = dc->head, .head_len = dc->head_len, .peer = peer, .tcp = tcp,
		.qtime = *qtime, .query = req, .qlen = reqlen,
	};
	if (dc->log_queries) {
		m.type = DNSTAP_AUTH_QUERY;
		submit(io, r, &m);
	}
	if (dc->log_responses && resplen) {
		m.type = DNSTAP_AUTH_RESPONSE;
		m.extra = noted ? &t_extra : NULL;
		clock_gettime(CLOCK_REALTIME, &m.rtime);
		m.response = resp;
		m.rlen = resplen;
		submit(io, r, &m);
	}
}

/* ---- the file output ------------------------------------------------------ */

/* fstrm's own file writer hands each frame and its length to fwrite, one
 * call apiece; this one writes the I/O thread's whole batch (up to 128
 * frames, 64 KB) with one writev. Opened as fstrm opens it: created or
 * truncated, so a reopen after a write error starts a new, whole stream. */
struct tap_file {
	char *path;
	int fd;
};

static fstrm_res tap_file_open(void *obj)
{
	struct tap_file *f = obj;
	if (f->fd >= 0)
		return fstrm_res_failure;
	f->fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	return f->fd < 0 ? fstrm_res_failure : fstrm_res_success;
}

static fstrm_res tap_file_close(void *obj)
{
	struct tap_file *f = obj;
	if (f->fd < 0)
		return fstrm_res_failure;
	int rc = close(f->fd);
	f->fd = -1;
	return rc == 0 ? fstrm_res_success : fstrm_res_failure;
}

static fstrm_res tap_file_write(void *obj, const struct iovec *iov, int iovcnt)
{
	struct tap_file *f = obj;
	struct iovec cur;           /* the rest of a frame a short write cut */
	cur.iov_len = 0;
	while (iovcnt > 0 || cur.iov_len) {
		ssize_t n = cur.iov_len ? write(f->fd, cur.iov_base, cur.iov_len)
		                        : writev(f->fd, iov, iovcnt > IOV_MAX ? IOV_MAX : iovcnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			tap_file_close(f);
			return fstrm_res_failure;
		}
		size_t done = (size_t)n;
		if (cur.iov_len) {
			cur.iov_base = (uint8_t *)cur.iov_base + done;
			cur.iov_len -= done;
			continue;
		}
		while (iovcnt > 0 && done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (done) {
			cur.iov_base = (uint8_t *)iov->iov_base + done;
			cur.iov_len = iov->iov_len - done;
			iov++;
			iovcnt--;
		}
	}
	return fstrm_res_success;
}

static fstrm_res tap_file_destroy(void *obj)
{
	struct tap_file *f = obj;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
	return fstrm_res_success;
}

static struct fstrm_writer *tap_file_writer(const char *path,
                                            const struct fstrm_writer_options *wopt)
{
	struct tap_file *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->fd = -1;
	f->path = strdup(path);
	struct fstrm_rdwr *rw = f->path ? fstrm_rdwr_init(f) : NULL;
	if (!rw) {
		free(f->path);
		free(f);
		return NULL;
	}
	fstrm_rdwr_set_destroy(rw, tap_file_destroy);
	fstrm_rdwr_set_open(rw, tap_file_open);
	fstrm_rdwr_set_close(rw, tap_file_close);
	fstrm_rdwr_set_write(rw, tap_file_write);
	return fstrm_writer_init(wopt, &rw);
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
	if (!c)
		return;
	if (!c->identity)
		c->identity = cfg->server.identity;
	uint8_t *head = arena_alloc(&cfg->arena, 2 * (DNSTAP_STR_MAX + 3));
	c->head_len = dnstap_head(c->identity, c->version, head);
	c->head = head;
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
		w = tap_file_writer(c->file, wopt);
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
	/* One queue per answering thread (common/server.c: a TCP worker and
	 * a UDP reader per listen address, per worker): fstrm's I/O thread
	 * polls every queue in turn, used or not. A change of workers or
	 * listen addresses takes a restart, as for the server. */
	size_t nq = (size_t)(cfg->server.workers ? cfg->server.workers : 1) *
	            (cfg->server.n_listen + 1);
	if (nq > DNSTAP_MAX_QUEUES)
		nq = DNSTAP_MAX_QUEUES;
	struct fstrm_iothr_options *io = fstrm_iothr_options_init();
	fstrm_iothr_options_set_num_input_queues(io, (unsigned)nq);
	fstrm_iothr_options_set_input_queue_size(io, DNSTAP_QUEUE_SIZE);
	fstrm_iothr_options_set_queue_notify_threshold(io, DNSTAP_QUEUE_SIZE - 1 - DNSTAP_WAKE);
	/* Larger writes: up to 64 KB (its most) or 128 frames at a time. */
	fstrm_iothr_options_set_buffer_hint(io, 65536);
	fstrm_iothr_options_set_output_queue_size(io, 128);
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
	atomic_fetch_add_explicit(&g_gen, 1, memory_order_relaxed);
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
	/* fstrm has released every frame: the rings can go. */
	pthread_mutex_lock(&g_rings_lock);
	for (size_t i = 0; i < g_nrings; i++) {
		free(g_rings[i]->base);
		free(g_rings[i]);
	}
	g_nrings = 0;
	pthread_mutex_unlock(&g_rings_lock);
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
