/* cookie.c: DNS Cookies (RFC 7873, RFC 9018); see cookie.h. */
#include "common/cookie.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "common/siphash.h"

void cookie_parse(const uint8_t *data, size_t len, struct cookie_query *out)
{
	memset(out, 0, sizeof(*out));
	out->present = true;
	/* RFC 7873 5.2.2: a client cookie alone (8), or with a server cookie
	 * of 8 to 32 bytes; any other length is malformed. */
	if (len != COOKIE_CLIENT_LEN &&
	    (len < COOKIE_CLIENT_LEN + COOKIE_SERVER_MIN || len > COOKIE_CLIENT_LEN + COOKIE_SERVER_MAX)) {
		out->malformed = true;
		return;
	}
	out->len = (uint8_t)len;
	out->data = data;
}

/* The client's address as the hash input wants it: 4 bytes for IPv4
 * (also when it arrived v4-mapped on a dual-stack socket), else 16. */
static size_t peer_addr(const struct sockaddr *peer, uint8_t out[16])
{
	if (peer->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		return 4;
	}
	const uint8_t *a = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(a, mapped, 12) == 0) {
		memcpy(out, a + 12, 4);
		return 4;
	}
	memcpy(out, a, 16);
	return 16;
}

/* Version 1's hash over client cookie | version, reserved, timestamp
 * (the first 8 bytes of the server cookie) | client IP. */
static uint64_t cookie_hash(const uint8_t secret[16], const uint8_t client_cookie[8],
                            const uint8_t head[8], const struct sockaddr *peer)
{
	uint8_t in[8 + 8 + 16];

	memcpy(in, client_cookie, 8);
	memcpy(in + 8, head, 8);
	size_t n = 16 + peer_addr(peer, in + 16);
	return siphash24(secret, in, n);
}

void cookie_make(const uint8_t secret[16], const uint8_t client_cookie[8],
                 const struct sockaddr *peer, uint32_t now, uint8_t out[16])
{
	out[0] = 1;   /* version */
	out[1] = out[2] = out[3] = 0;
	out[4] = (uint8_t)(now >> 24);
	out[5] = (uint8_t)(now >> 16);
	out[6] = (uint8_t)(now >> 8);
	out[7] = (uint8_t)now;
	uint64_t h = cookie_hash(secret, client_cookie, out, peer);
	/* The hash goes out in SipHash's own byte order (little-endian), as
	 * RFC 9018's test vectors show. */
	for (int i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(h >> (8 * i));
}

static bool hash_matches(const uint8_t secret[16], const uint8_t *cookie,
                         const struct sockaddr *peer)
{
	uint64_t h = cookie_hash(secret, cookie, cookie + 8, peer);
	uint8_t got = 0;

	/* Constant time: the comparison must not tell how much matched. */
	for (int i = 0; i < 8; i++)
		got |= (uint8_t)(cookie[16 + i] ^ (uint8_t)(h >> (8 * i)));
	return got == 0;
}

bool cookie_valid(const struct cookie_conf *cc, const struct cookie_query *q,
                  const struct sockaddr *peer, uint32_t now)
{
	if (!q->present || q->malformed || q->len != COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN)
		return false;
	const uint8_t *sc = q->data + COOKIE_CLIENT_LEN;
	if (sc[0] != 1 || sc[1] || sc[2] || sc[3])
		return false;
	uint32_t ts = (uint32_t)sc[4] << 24 | (uint32_t)sc[5] << 16 | (uint32_t)sc[6] << 8 | sc[7];
	/* Serial number arithmetic (RFC 1982): the age wraps with the clock. */
	int32_t age = (int32_t)(now - ts);
	if (age > COOKIE_MAX_AGE || age < -COOKIE_MAX_AHEAD)
		return false;
	if (hash_matches(cc->secret, q->data, peer))
		return true;
	return cc->has_previous && hash_matches(cc->previous, q->data, peer);
}

/* 32 hex digits of s[0..n) into out; -1 if not exactly that. */
static int parse_hex16(const char *s, size_t n, uint8_t out[16])
{
	if (n != 32)
		return -1;
	for (size_t i = 0; i < 32; i++) {
		int c = tolower((unsigned char)s[i]);
		int v = isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return 0;
}

int cookie_load_secret(const char *path, struct cookie_conf *cc, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned lineno = 0, got = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = line, *e = line + strlen(line);
		while (*s && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (e == s)
			continue;
		if (got == 2) {
			snprintf(err, errlen, "%s:%u: more than two secrets (current, previous)", path,
			         lineno);
			goto fail;
		}
		if (parse_hex16(s, (size_t)(e - s), got ? cc->previous : cc->secret) != 0) {
			/* Never echo the line: it may be a secret with one typo. */
			snprintf(err, errlen, "%s:%u: expected 32 hex digits (a 128-bit secret)", path,
			         lineno);
			goto fail;
		}
		got++;
	}
	if (got == 0) {
		snprintf(err, errlen, "%s: no secret in the file", path);
		goto fail;
	}
	cc->has_previous = got == 2;
	fclose(f);
	return 0;
fail:
	fclose(f);
	return -1;
}

static uint8_t process_secret[16];
static pthread_once_t process_secret_once = PTHREAD_ONCE_INIT;

static void draw_secret(void)
{
	size_t got = 0;

	while (got < sizeof(process_secret)) {
		ssize_t n = getrandom(process_secret + got, sizeof(process_secret) - got, 0);
		if (n > 0)
			got += (size_t)n;
		else if (errno != EINTR)
			break;  /* no entropy source at all: leave zeros rather than abort */
	}
}

void cookie_random_secret(uint8_t out[16])
{
	pthread_once(&process_secret_once, draw_secret);
	memcpy(out, process_secret, 16);
}
