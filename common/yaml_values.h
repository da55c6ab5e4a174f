/*
 * yaml_values.h: value parsers shared by the config loaders (geo sections,
 * anycast section, health checks): lists, numbers, seconds, booleans,
 * bounded text, addresses, DNS names and types, paths.
 *
 * Every parser takes the document, the value node, the name used in
 * messages (`what`) and err/errlen; it returns 0, or -1 with err holding
 * "file:line:col: <what>: ..." at the value node (yaml_doc.h convention).
 * Strings handed back are arena copies or owned by the document, as said.
 */
#ifndef STEERDNS_YAML_VALUES_H
#define STEERDNS_YAML_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/arena.h"
#include "common/yaml_doc.h"

/* `expect` texts for yv_number / yv_seconds_ms: "<what>: expected <expect>". */
#define YV_EXPECT_NUMBER "a number"
#define YV_EXPECT_SECONDS "a number of seconds"

/*
 * A value that may be one scalar or a list: the item nodes in an arena
 * array *out (a sequence's items are not checked here). Errors at n:
 * "<what>: expected a value or a list of values" (a mapping), "<what>:
 * empty list". Returns the count (>= 1) or -1.
 */
long yv_list_items(struct ydoc *d, struct arena *a, yaml_node_t *n, const char *what,
                   yaml_node_t ***out, char *err, size_t errlen);

/*
 * A finite decimal number ("50.11", "-7", "1e2"; no hex, inf or nan, which
 * strtod alone would take). Errors: "<what>: expected <expect>" (not a
 * scalar, or null) and "<what>: expected <expect>, got '<text>'".
 */
int yv_number(const struct ydoc *d, const yaml_node_t *n, const char *what, const char *expect,
              double *out, char *err, size_t errlen);

/*
 * Seconds, possibly fractional, as milliseconds rounded, in lo_ms..hi_ms
 * (half a millisecond of slack either way). Errors as yv_number, then
 * "<what>: <text> out of range <lo>..<hi> seconds".
 */
int yv_seconds_ms(const struct ydoc *d, const yaml_node_t *n, const char *what,
                  const char *expect, unsigned lo_ms, unsigned hi_ms, unsigned *ms, char *err,
                  size_t errlen);

/* YAML 1.1 booleans as operators write them (true/yes/on, false/no/off in
 * lower, Capital or (true/false) UPPER case). Errors: "<what>: expected
 * true or false" (not a scalar), "...,  got '<text>'". */
int yv_bool(const struct ydoc *d, const yaml_node_t *n, const char *what, bool *out, char *err,
            size_t errlen);

/* The same booleans without YAML context: 1 true, 0 false, -1 neither. */
int yv_bool_text(const char *s);

/* A non-empty string of at most max bytes, copied into a. Errors: as
 * ydoc_expect_str, "<what>: must not be empty", "<what>: longer than <max>
 * bytes". */
int yv_text(const struct ydoc *d, struct arena *a, const yaml_node_t *n, const char *what,
            size_t max, const char **out, char *err, size_t errlen);

/*
 * An integer key of mapping n that ydoc_walk_map already range checked
 * with table row k: the value read again with k's range, else k's default
 * (k->def); *out is left alone when k is NULL or has no default.
 */
int yv_u32_key(struct ydoc *d, const yaml_node_t *n, const struct ydoc_key *k, uint32_t *out,
               char *err, size_t errlen);

/* A YK_SECONDS key of mapping n, as yv_seconds_ms with row k's range
 * (k->lo..k->hi ms) and `what` k's name; absent: k's default, or *ms left
 * alone when k has none. */
int yv_seconds_key(struct ydoc *d, const yaml_node_t *n, const struct ydoc_key *k,
                   const char *expect, unsigned *ms, char *err, size_t errlen);

/* A string address of family af ("ipv4" / "ipv6" keys): bytes (4 or 16)
 * in buf, *text the document's string. Errors: as ydoc_expect_str, then
 * "<what>: bad IPv4 address '<text>'" (or IPv6). */
int yv_addr_af(const struct ydoc *d, const yaml_node_t *n, const char *what, int af,
               uint8_t buf[16], const char **text, char *err, size_t errlen);

/* An IPv4 or IPv6 address with no YAML context: AF_INET / AF_INET6 with
 * the bytes in buf (4 or 16), or 0. */
int yv_addr_parse(const char *s, uint8_t buf[16]);

/* Fill *ss / *len with address addr (4 or 16 bytes, family af) and port. */
void yv_set_sockaddr(struct sockaddr_storage *ss, socklen_t *len, int af, const uint8_t *addr,
                     uint16_t port);

/* A query name in presentation form (absolute, or relative to the root),
 * copied into a. Error: "<what>: bad name '<text, at most 80 bytes>'". */
int yv_qname(const struct ydoc *d, struct arena *a, const yaml_node_t *n, const char *what,
             const char **out, char *err, size_t errlen);

/* A record type we can ask for: known and not a meta type (OPT, AXFR,
 * IXFR, ANY). Error: "<what>: unknown record type '<text>'". */
int yv_qtype(const struct ydoc *d, const yaml_node_t *n, const char *what, uint16_t *out,
             char *err, size_t errlen);

/* Text that may go verbatim into an HTTP request line or header: non-empty,
 * no spaces or control characters. */
bool yv_http_token_ok(const char *s);

/* rel against dir (which ends in '/' or is "") unless rel is absolute;
 * an arena copy. */
const char *yv_resolve(struct arena *a, const char *dir, const char *rel);

#endif
