/*
 * bgp_msg_int.h: helpers shared by bgp_msg.c and bgp_update.c only.
 */
#ifndef STEERDNS_BGP_MSG_INT_H
#define STEERDNS_BGP_MSG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/wire.h"

#define BGP_AFI_IPV4 1
#define BGP_AFI_IPV6 2

/* Write the marker, a placeholder length and the type; returns the offset
 * of the message start for bgp_msg_end. */
size_t bgp_msg_begin(struct wire_wr *w, uint8_t type);

/* Patch the length; returns the message length, or -1 if the writer
 * overflowed or the message exceeds 4096 bytes. */
int bgp_msg_end(struct wire_wr *w, size_t start);

#endif
