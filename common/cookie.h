/*
 * cookie.h: DNS Cookies (RFC 7873) with interoperable server cookies
 * (RFC 9018), so every server of an anycast site, whatever its software,
 * accepts the cookies of the others when they share a secret.
 *
 * Server cookie, version 1 (RFC 9018 4.2): Version (1) | Reserved (3, zero)
 * | Timestamp (4, seconds, serial number arithmetic) | Hash (8), where Hash
 * = SipHash-2-4 over Client Cookie | Version | Reserved | Timestamp |
 * Client IP (4 or 16 bytes), keyed with the 128-bit secret.
 */
#ifndef STEERDNS_COOKIE_H
#define STEERDNS_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define EDNS_OPT_COOKIE 10
#define COOKIE_CLIENT_LEN 8
#define COOKIE_SERVER_LEN 16           /* what we issue */
#define COOKIE_SERVER_MIN 8            /* RFC 7873 4: 8..32 bytes */
#define COOKIE_SERVER_MAX 32
/* RFC 9018 4.3: a cookie older than this is not accepted ... */
#define COOKIE_MAX_AGE 3600
/* ... nor one from further than this in the future (clock skew). */
#define COOKIE_MAX_AHEAD 300

/* The `cookies:` config section, resolved at load. */
struct cookie_conf {
	bool enabled;                  /* default on */
	uint8_t secret[16];            /* issue with this one */
	uint8_t previous[16];          /* still accepted during a rollover */
	bool has_previous;
	const char *secret_file;       /* NULL: the process's random secret */
};

/* What a query's COOKIE option held (RFC 7873 4). The bytes are borrowed
 * from the query packet (no copy on the answer path). */
struct cookie_query {
	bool present;
	bool malformed;                /* length not 8 and not 16..40: FORMERR (5.2.2) */
	uint8_t len;                   /* option length: 8 client only, else client + server */
	const uint8_t *data;
};

/* Note an option's data (len bytes, borrowed) in out. */
void cookie_parse(const uint8_t *data, size_t len, struct cookie_query *out);

/*
 * The server cookie for client_cookie from the client at peer, stamped
 * now (seconds since the epoch), under secret: 16 bytes into out.
 * peer: AF_INET or AF_INET6 (v4-mapped addresses are hashed as IPv4, as
 * the client sees itself).
 */
void cookie_make(const uint8_t secret[16], const uint8_t client_cookie[8],
                 const struct sockaddr *peer, uint32_t now, uint8_t out[16]);

/*
 * True when q carries a server cookie we issued to this client (under the
 * current or the previous secret) no older than COOKIE_MAX_AGE and no
 * more than COOKIE_MAX_AHEAD ahead of now. A cookie of another length or
 * version is not ours: not valid (the client is answered with a fresh one).
 */
bool cookie_valid(const struct cookie_conf *cc, const struct cookie_query *q,
                  const struct sockaddr *peer, uint32_t now);

/*
 * Load a secret file: one line of 32 hex digits (the current secret),
 * optionally a second (the previous one, still accepted). Blank lines and
 * surrounding spaces are ignored. Returns 0, or -1 with "path:line: what"
 * in err.
 */
int cookie_load_secret(const char *path, struct cookie_conf *cc, char *err, size_t errlen);

/*
 * The process's random secret, drawn once (getrandom) on first use and
 * kept across reloads, so cookies stay valid when the config changes.
 */
void cookie_random_secret(uint8_t out[16]);

#endif
