/*
 * udp.h: one worker's UDP serving. Each worker owns one UDP socket per
 * listen address (SO_REUSEPORT spreads packets over them) and one set of
 * batch buffers, allocated once: the per-packet path allocates nothing.
 */
#ifndef STEERDNS_UDP_H
#define STEERDNS_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct snapshot;
struct udp_worker;

/* Packets taken per recvmmsg, and batches handled per readiness event
 * before returning to the loop so one busy socket cannot starve others. */
#define UDP_BATCH 32
#define UDP_MAX_BATCHES 4
/* Largest query we accept (bigger ones are truncated and dropped) and
 * the answer buffer (query.h wants at least 4096 for UDP). */
#define UDP_RX_MAX 4096
#define UDP_TX_MAX 4096

/* True for 0.0.0.0 and ::, where replies need IP(V6)_PKTINFO to leave from
 * the address the query came to. */
bool sockaddr_is_wildcard(const struct sockaddr *sa);

/* Ask the kernel for the destination address of every datagram on fd (a
 * socket of family AF_INET or AF_INET6). Returns 0 or -1 with errno. */
int udp_enable_pktinfo(int fd, int family);

/*
 * A worker's UDP state serving from snap as worker number idx, with its
 * events on base (all borrowed; they must outlive it). NULL on out of
 * memory.
 */
struct udp_worker *udp_worker_new(struct event_base *base, struct snapshot *snap, size_t idx);

/* Serve the bound nonblocking UDP socket fd (still owned by the caller)
 * from this worker. pktinfo: fd had udp_enable_pktinfo. Returns 0 or -1. */
int udp_worker_add(struct udp_worker *uw, int fd, bool pktinfo);

/* Remove the events and free the buffers; sockets are the caller's.
 * Call only when the worker's loop has stopped. NULL is fine. */
void udp_worker_free(struct udp_worker *uw);

#endif
