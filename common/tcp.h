/*
 * tcp.h: one worker's DNS over TCP (RFC 7766). Each worker owns one
 * listening socket per listen address (SO_REUSEPORT) and the connections it
 * accepts. Messages carry a 2-byte length prefix (RFC 1035 4.2.2); several
 * queries per connection are answered in order; idle connections are
 * closed; the whole server holds at most tcp_max_clients connections.
 */
#ifndef STEERDNS_TCP_H
#define STEERDNS_TCP_H

#include <stdatomic.h>
#include <stddef.h>

struct event_base;
struct snapshot;
struct tcp_worker;

/* Stop reading a connection's queries while this many answer bytes wait
 * to be sent: a client that pipelines without reading cannot grow our
 * memory without bound. */
#define TCP_OUT_HIGH (256 * 1024)
/* Connections accepted per readiness event before yielding to the loop. */
#define TCP_ACCEPT_BATCH 64

/*
 * A worker's TCP state serving from snap as worker idx, events on base.
 * clients is the server-wide open-connection counter shared by all workers
 * (borrowed, like base and snap). NULL on out of memory.
 */
struct tcp_worker *tcp_worker_new(struct event_base *base, struct snapshot *snap,
                                  size_t idx, _Atomic unsigned *clients);

/* Accept connections on the bound, listening, nonblocking socket fd (still
 * owned by the caller). Returns 0 or -1. */
int tcp_worker_add(struct tcp_worker *tw, int fd);

/* Number of connections this worker holds (for tests and logs). */
size_t tcp_worker_conns(const struct tcp_worker *tw);

/* Close every connection, drop the listener events and free. Call only
 * when the worker's loop has stopped. NULL is fine. */
void tcp_worker_free(struct tcp_worker *tw);

#endif
