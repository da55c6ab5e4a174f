/*
 * msg_build.h: writing a DNS response into a caller's buffer.
 *
 * A struct msg wraps a struct wire_wr with the four section counters, a
 * size limit (the UDP payload or 65535 minus the room kept for the OPT RR)
 * and a table of offsets of names already written, used for name
 * compression (RFC 1035 4.1.4). Everything lives in the struct, which the
 * caller keeps on its stack; nothing is allocated.
 *
 * RRsets are written whole or not at all: when one does not fit, the buffer
 * is rolled back to where it was and the caller decides about TC.
 */
#ifndef STEERDNS_MSG_BUILD_H
#define STEERDNS_MSG_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wire.h"
#include "common/zone.h"

enum msg_section { MSG_QD = 0, MSG_AN = 1, MSG_NS = 2, MSG_AR = 3 };

/* Header flag bits (RFC 1035 4.1.1) in the second 16-bit header word. */
#define MSG_FLAG_QR 0x8000
#define MSG_FLAG_AA 0x0400
#define MSG_FLAG_TC 0x0200
#define MSG_FLAG_RD 0x0100

/* Offsets of name labels we remember for compression. Beyond this many,
 * later names are simply written with less compression. */
#define MSG_COMPR_MAX 96

struct msg {
	struct wire_wr w;      /* w.cap is the current limit */
	size_t bufcap;         /* real size of the buffer */
	size_t limit;          /* bytes allowed for the message without the reserve */
	size_t reserve;        /* kept back for the OPT RR */
	uint16_t count[4];
	uint16_t flags;        /* second header word: QR, opcode, AA, TC, RD, RCODE */
	uint16_t compr[MSG_COMPR_MAX];     /* offsets of labels written literally */
	uint8_t compr_len[MSG_COMPR_MAX];  /* length of the name from there on */
	unsigned ncompr;
	const uint8_t *qname;  /* the question's name when it is compr[0], else NULL */
};

/*
 * Start a response in buf (bufcap bytes, borrowed). limit is the largest
 * message allowed (512, the EDNS payload or 65535), reserve the bytes kept
 * for the OPT RR at the end. Writes a header with the given ID and flags
 * word; counts and final flags are filled in by msg_finish.
 */
void msg_init(struct msg *m, uint8_t *buf, size_t bufcap, size_t limit, size_t reserve,
              uint16_t id, uint16_t flags);

/* Set the RCODE (low 4 bits) in the header flags. */
void msg_set_rcode(struct msg *m, uint8_t rcode);

/*
 * Write the question. qname is written as given (keeping the query's
 * case), uncompressed, and remembered for later compression. Returns 0, or
 * -1 when it does not fit (nothing written). Owners passed later as the
 * same pointer (borrowed until the message is finished) become a pointer
 * to it without comparing names: the common answer's owner is the qname.
 */
int msg_question(struct msg *m, const uint8_t *qname, uint16_t qtype, uint16_t qclass);

/*
 * Append one RRset to section sec: owner (uncompressed wire, any case) is
 * compressed against earlier names, as are the names inside NS, CNAME,
 * PTR, MX and SOA rdata (RFC 3597 4); the SRV target is written
 * uncompressed (RFC 2782). Returns 0, or -1 when the RRset does not fit
 * within the limit, in which case nothing was written.
 */
int msg_put_rrset(struct msg *m, enum msg_section sec, const uint8_t *owner, uint16_t type,
                  uint16_t rclass, uint32_t ttl, const struct rdata *rr, uint16_t count);

/* A point in the message to roll back to: several RRsets that must go
 * together (an RRset and its RRSIG) are written whole or not at all. */
struct msg_mark {
	struct wire_wr w;
	unsigned ncompr;
	uint16_t count[4];
};

static inline void msg_mark(const struct msg *m, struct msg_mark *mk)
{
	mk->w = m->w;
	mk->ncompr = m->ncompr;
	for (int i = 0; i < 4; i++)
		mk->count[i] = m->count[i];
}

static inline void msg_rollback(struct msg *m, const struct msg_mark *mk)
{
	m->w = mk->w;
	m->ncompr = mk->ncompr;
	for (int i = 0; i < 4; i++)
		m->count[i] = mk->count[i];
}

/* Release the reserve so the OPT RR can be written through m->w. */
void msg_open_reserve(struct msg *m);

/* Write the counts and flags into the header; returns the message length
 * (0 if even the header did not fit). */
size_t msg_finish(struct msg *m);

/*
 * Write name at the current position, compressed against earlier names,
 * and remember its labels. Exposed for tests and for callers that write
 * their own records. Does nothing useful if w has already failed.
 */
void msg_put_name(struct msg *m, const uint8_t *name, bool compress);

#endif
