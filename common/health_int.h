/*
 * health_int.h: internals shared by the checker (health.c) and its probes
 * (health_tcp.c for tcp and http, health_http.c for the HTTP text,
 * health_dns.c, health_file.c). Not for use outside common/health*.c.
 *
 * One probe runs at a time per target: the target's tick timer starts it,
 * the probe arms `io` on its socket and the checker arms `deadline`; the
 * probe ends with health_probe_result(), which closes the socket, disarms
 * both events and applies rise/fall.
 */
#ifndef STEERDNS_HEALTH_INT_H
#define STEERDNS_HEALTH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>

#include "common/check_conf.h"
#include "common/dname.h"
#include "common/health.h"

#define HEALTH_REASON_LEN 128
#define HEALTH_HTTP_LINE_MAX 512   /* longest status line we wait for */

/* What a running tcp/http probe waits for. */
enum health_phase { HPH_CONNECT, HPH_SEND, HPH_READ };

struct health_target {
	struct health_checker *hc;
	struct health_target *next;
	char *name;                    /* owned */
	struct check_conf conf;        /* owned deep copy, defaults filled in */
	_Atomic uint8_t *slot;         /* registry's, outlives the target */
	char addr_text[64];            /* "1.2.3.4:80", "[::1]:53", for logs */

	/* rise/fall: consecutive results since the last change of direction */
	unsigned ok_run, fail_run;
	char last_err[HEALTH_REASON_LEN];

	uint64_t due_ms;               /* monotonic time of the next tick */
	struct event *tick;            /* one-shot timer, re-armed each tick */
	struct event *deadline;        /* the running probe's timeout */
	struct event *io;              /* on fd; NULL when no probe waits */
	int fd;                        /* the running probe's socket or -1 */
	bool running;
	enum health_phase phase;
	const char *timeout_reason;    /* what the probe was waiting for */

	/* dns */
	uint8_t qname[DNAME_MAXLEN];
	uint16_t dns_id;

	/* http */
	char *request;                 /* owned, built once */
	size_t request_len, sent;
	char line[HEALTH_HTTP_LINE_MAX];
	size_t line_len;

	/* file: what we saw last; file_known false until the first look */
	bool file_known, file_missing;
	dev_t file_dev;
	ino_t file_ino;
	off_t file_size;
	struct timespec file_mtime;
};

/* End the running probe: close its socket, drop io and deadline, then
 * count the result against rise/fall. reason: why it failed (ignored when
 * ok). The target stays valid. */
void health_probe_result(struct health_target *t, bool ok, const char *reason);

/* Set the state now (file checks: no rise/fall), logging and calling the
 * change callback when it differs. why is logged with the change. */
void health_set_state(struct health_target *t, enum health_state now, const char *why);

/* (Re)arm t->io on t->fd for `what` (EV_READ or EV_WRITE, persistent)
 * with callback cb(fd, what, t). Returns 0 or -1. */
int health_arm_io(struct health_target *t, short what, event_callback_fn cb);

/* Probe starters, called by the tick with no probe running. They either
 * arm io (the checker arms the deadline) or call health_probe_result. */
void health_tcp_start(struct health_target *t);   /* tcp and http */
void health_dns_start(struct health_target *t);
void health_file_run(struct health_target *t);     /* synchronous: a local stat/read */

/* HTTP text (health_http.c). The request: malloc'd, NUL-terminated, *len
 * set; NULL if out of memory. */
char *health_http_request(const char *path, const char *host, size_t *len);

/* Status code of a status line "HTTP/x.y NNN reason" (the bytes up to, not
 * including, CRLF or LF), or -1 when it is not one. RFC 9112 section 4. */
int health_http_status(const char *line, size_t len);

/* DNS query text (health_dns.c): write a query with id for qname/qtype,
 * class IN, RD=0, into buf. Returns its length or -1. */
int health_dns_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *qname, uint16_t qtype);

/* Is resp an answer to the query (id, qname, qtype)? Returns 1 when it is
 * and says NOERROR, 0 when it is ours with another rcode (*rcode set), -1
 * when it is not ours (or malformed) and should be ignored. */
int health_dns_check_response(const uint8_t *resp, size_t len, uint16_t id,
                              const uint8_t *qname, uint16_t qtype, int *rcode);

#endif
