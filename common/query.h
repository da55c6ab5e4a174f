/*
 * query.h: answer one DNS query from a config snapshot.
 *
 * This is the whole authoritative answer path: parse header, question and
 * OPT (EDNS, ECS, NSID) with bounded cursors, find the zone and the name
 * (exact, wildcard per RFC 4592, delegation, CNAME chain), and build the
 * response with name compression and truncation. It allocates nothing: all
 * scratch space lives on the stack or in the caller's buffers.
 */
#ifndef STEERDNS_QUERY_H
#define STEERDNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct config;

struct query_client {
	const struct sockaddr *peer;  /* the resolver's address (borrowed) */
	socklen_t peerlen;
	bool tcp;                     /* no size limit but 65535; no TC */
};

/*
 * Answer req (reqlen bytes) into out (outcap bytes, at least 65535 for TCP,
 * at least 4096 for UDP). Returns the response length, or 0 when the packet
 * must be dropped (QR set, or too short to echo a header).
 */
size_t query_answer(const struct config *cfg, const struct query_client *cl,
                    const uint8_t *req, size_t reqlen, uint8_t *out, size_t outcap);

#endif
