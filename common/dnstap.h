/*
 * dnstap.h: dnstap output (https://dnstap.info) of AUTH_QUERY and
 * AUTH_RESPONSE messages, written as Frame Streams by libfstrm's own I/O
 * thread to a file or a Unix socket (e.g. fstrm_capture).
 *
 * Writing never blocks an answer: each worker/reader thread gets its own
 * fstrm input queue and frame ring (dnstap.c) the first time it logs;
 * messages are encoded straight into the ring, fstrm_iothr_submit does
 * not block, and a full queue drops the message and counts it
 * (steerdns_dnstap_dropped_total). A file is written by our own fstrm
 * writer (one writev per batch).
 *
 * The steering decision of a steered answer goes in the Dnstap `extra`
 * field as one line of space-separated key=value pairs, always in this
 * order (README "dnstap"):
 *
 *   method=geodns arm= pop=lon scope=24
 *
 * method geodns|anycast, arm "" or the A/B arm, pop "" when none, scope
 * the ECS scope returned or -1 when the query had no ECS. Answers that were
 * not steered carry no `extra`.
 *
 * The protobuf is encoded by hand (dnstap_encode): the two messages use
 * ten fields of four wire types, and hand encoding into one buffer spares
 * the answer path protobuf-c's per-field structs and allocations and the
 * build a code generator. The field numbers are dnstap.proto's (public
 * domain / CC0 per the dnstap project), listed in dnstap.c.
 */
#ifndef STEERDNS_DNSTAP_H
#define STEERDNS_DNSTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "common/steer_module.h"

struct steer_outcome;

/* The `dnstap:` config section. */
struct dnstap_conf {
	const char *file;        /* exactly one of file and socket */
	const char *socket;
	const char *identity;    /* default server.identity */
	const char *version;     /* default "steerdns VERSION" */
	bool log_queries;
	bool log_responses;
	/* identity and version encoded once per config (dnstap_head): every
	 * message starts with these bytes. */
	const uint8_t *head;
	size_t head_len;
};

extern const struct steer_module dnstap_module;

/* Message types (dnstap.proto Message.Type). */
enum { DNSTAP_AUTH_QUERY = 1, DNSTAP_AUTH_RESPONSE = 2 };

/* The steering decision of a steered answer (the `extra` line); strings
 * borrowed from the config the answer was made with. */
struct dnstap_extra {
	const char *method, *arm, *pop;  /* NULL: written as "" */
	int scope;
};

/* One message to encode; bytes are borrowed. */
struct dnstap_msg {
	int type;                        /* DNSTAP_AUTH_QUERY | DNSTAP_AUTH_RESPONSE */
	const uint8_t *head;             /* dnstap_head's bytes (identity, version) */
	size_t head_len;
	const struct dnstap_extra *extra;  /* NULL: no `extra` field */
	const struct sockaddr *peer;     /* NULL: no address, family or port */
	bool tcp;
	struct timespec qtime;
	const uint8_t *query;
	size_t qlen;
	struct timespec rtime;           /* responses only */
	const uint8_t *response;
	size_t rlen;
};

/* identity and version strings are at most this long (the config's limit). */
#define DNSTAP_STR_MAX 255
/* The `extra` line: three names and the scope; more is cut. */
#define DNSTAP_EXTRA_MAX 255

/* Encode the Dnstap identity and version fields (NULL or "": left out)
 * into buf (at least 2 * (DNSTAP_STR_MAX + 3) bytes). Returns the length. */
size_t dnstap_head(const char *identity, const char *version, uint8_t *buf);

/* Most bytes dnstap_encode writes for m: its head and two DNS messages,
 * the extra line and the fixed fields (under 128 bytes). */
#define DNSTAP_ENC_MAX(m) ((m)->head_len + (m)->qlen + (m)->rlen + DNSTAP_EXTRA_MAX + 160u)

/* Encode m as a serialized Dnstap protobuf into buf (cap at least
 * DNSTAP_ENC_MAX(m)). Returns the length, 0 when cap is short. */
size_t dnstap_encode(const struct dnstap_msg *m, uint8_t *buf, size_t cap);

/* The answer path (common/query.c, common/steer_observe.h). */
void dnstap_note(const struct steer_outcome *o);
void dnstap_log(const struct dnstap_conf *dc, const struct sockaddr *peer, bool tcp,
                const struct timespec *qtime, const uint8_t *req, size_t reqlen,
                const uint8_t *resp, size_t resplen);

/* Once no thread answers any more (server_free, after the workers are
 * joined): flush the queues, close the output. */
void dnstap_close(void);

/* Messages dropped because a queue was full (or out of memory). */
uint64_t dnstap_dropped(void);

#endif
