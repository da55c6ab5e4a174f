/*
 * udp.h: UDP serving. Every UDP socket (one per listen address and
 * worker; SO_REUSEPORT spreads packets over them) has a reader thread of
 * its own, asleep in recvmmsg when there is nothing to do, with one set of
 * batch buffers allocated once: the per-packet path allocates nothing.
 */
#ifndef STEERDNS_UDP_H
#define STEERDNS_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct qlog_ring;
struct snapshot;
struct udp_reader;

/* Most packets taken per recvmmsg and answered per sendmmsg. */
#define UDP_BATCH 32
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
 * A reader for the bound UDP socket fd (still owned by the caller; made
 * blocking here), answering from snap as snapshot slot `slot` and logging
 * decisions to qlog (snap and qlog are borrowed and must outlive it).
 * pktinfo: fd had udp_enable_pktinfo. NULL on failure (errno set).
 */
struct udp_reader *udp_reader_new(struct snapshot *snap, size_t slot, struct qlog_ring *qlog,
                                  int fd, bool pktinfo);

/* Thread body (pthread_create with the reader as argument): serve until
 * udp_reader_stop. Returns NULL. */
void *udp_reader_main(void *ur);

/* From another thread: make the reader's thread return soon. It shuts the
 * socket down for reading, so the socket serves nothing afterwards. NULL
 * is fine. */
void udp_reader_stop(struct udp_reader *ur);

/* Free a reader whose thread has returned (or never ran). NULL is fine. */
void udp_reader_free(struct udp_reader *ur);

#endif
