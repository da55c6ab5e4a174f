/*
 * query_guard.h: the answer path's defences against spoofed sources:
 * DNS Cookies (RFC 7873/9018) and response rate limiting (rrl.h), kept out
 * of query.c so the answer logic reads without them.
 */
#ifndef STEERDNS_QUERY_GUARD_H
#define STEERDNS_QUERY_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "common/query_ctx.h"
#include "common/rrl.h"

struct config;

#define RCODE_BADCOOKIE 23   /* RFC 7873 8 */

/*
 * The COOKIE option for the response to q: the client cookie followed by
 * a fresh server cookie (24 bytes into out). 0 when there is none to send
 * (cookies off, no client cookie, malformed, or no peer address).
 */
size_t guard_cookie(const struct config *cfg, const struct query_ctx *q, uint8_t out[24]);

/*
 * The RRL verdict for the UDP response resp[0..len) to q: RRL_PASS when
 * RRL is off, over TCP, for an exempt source or one proven by a valid
 * server cookie; else the account's verdict for the response's class.
 */
enum rrl_action guard_rrl(const struct config *cfg, const struct query_ctx *q,
                          const uint8_t *resp, size_t len);

#endif
