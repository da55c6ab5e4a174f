/*
 * cmp_sources.h: the per-format record readers behind cmp_read_file().
 * Each turns one parsed record into observations and RTT rows of the
 * context. Return: 0 used, 1 skipped (well-formed but unusable: a PoP not
 * in the config, an NSID naming no PoP, a timeout), -1 malformed. On 1 and
 * -1 `why` says what, for the "file:line: why" message.
 */
#ifndef STEERDNS_CMP_SOURCES_H
#define STEERDNS_CMP_SOURCES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare/cmp_ctx.h"

enum cmp_format { CF_NONE, CF_PROBE, CF_DECISION, CF_ATLAS, CF_CSV, CF_PARTIAL };

/* The format a JSON record is in, judged by its keys: "vp" (probe),
 * "method" or "event" (decision log), "type" dns/ping with "prb_id" or "msm_id"
 * (RIPE Atlas). CF_NONE if none. */
enum cmp_format cmp_detect_json(const json_t *rec);

/* compare/cmp_logs.c: a `steerdns probe` line; a decision log line. */
int cmp_rec_probe(struct cmp_ctx *c, const json_t *rec, char *why, size_t whylen);
int cmp_rec_decision(struct cmp_ctx *c, const json_t *rec, char *why, size_t whylen);

/* compare/cmp_failover.c: a decision log's event line (health). */
int cmp_rec_event(struct cmp_ctx *c, const json_t *rec, char *why, size_t whylen);

/* The fields of a decision-log line compare uses (strings NULL for JSON
 * null; ecs_used -1 when the line has none). */
struct cmp_decision {
	const char *method, *arm, *ecs, *client, *pop, *country, *continent, *resolver;
	int ecs_used;
	int64_t ts;               /* Unix ms, or CMP_NO_TS */
	bool has_coords;
	double lat, lon;
};

/* Copy a two-letter code s (ISO country or continent) into dst; anything
 * else (NULL, another length) leaves dst as it is. */
void cmp_code_copy(char dst[3], const char *s);
/* compare/cmp_decision.c: the attribution rules for one decision-log line
 * (same returns as the readers). */
int cmp_decision_apply(struct cmp_ctx *c, const struct cmp_decision *d, char *why,
                       size_t whylen);
/* One line (len bytes, not NUL-terminated necessarily; modified) in the
 * exact form steerdns writes: as the readers, or 2 when the line is in
 * any other form (then read it with jansson and cmp_rec_decision). */
int cmp_scan_decision(struct cmp_ctx *c, char *line, size_t len, char *why, size_t whylen);

/* compare/cmp_partial.c: one line of a partial file (--save-partial). */
int cmp_rec_partial(struct cmp_ctx *c, const json_t *rec, char *why, size_t whylen);
/* The static name of a format ("probe", ...) equal to name; "unknown". */
const char *cmp_format_name(const char *name);

/* compare/cmp_atlas.c: one RIPE Atlas result (type dns or ping). */
int cmp_rec_atlas(struct cmp_ctx *c, const json_t *rec, char *why, size_t whylen);

/* compare/cmp_csv.c: one data line "client,pop,rtt_ms" of an RTT CSV. */
int cmp_rec_csv(struct cmp_ctx *c, const char *line, char *why, size_t whylen);
/* True if line is the RTT CSV header (case and spaces ignored). */
int cmp_csv_is_header(const char *line);

/*
 * Decode standard base64 (RFC 4648 section 4, '=' padding, whitespace not
 * allowed) of text into out (cap bytes). Returns the decoded length, or -1
 * on a bad character, bad padding or overflow.
 */
long cmp_base64_decode(const char *text, uint8_t *out, size_t cap);

/*
 * The NSID (RFC 5001) of a DNS message: the payload of EDNS option 3 in
 * the OPT record (RFC 6891 section 6.1.2) of the additional section.
 * Copies it NUL-terminated into out (cap bytes; must be > the payload).
 * Returns its length, 0 when the message has no OPT or no NSID option,
 * -1 when the message is malformed or the NSID does not fit.
 */
long cmp_dns_nsid(const uint8_t *msg, size_t len, char *out, size_t cap);

#endif
