/*
 * steer_rec.h: how one zone name is steered (`www: {steer: {...}}`), shared
 * by the GeoDNS and anycast answer code; hung on znode.steer, allocated in
 * the zone's arena.
 */
#ifndef STEERDNS_STEER_REC_H
#define STEERDNS_STEER_REC_H

#include <stdint.h>

/* Steering method of one name; STEER_MODE_DEFAULT means the server's mode. */
enum steer_mode { STEER_MODE_DEFAULT = 0, STEER_MODE_GEODNS, STEER_MODE_ANYCAST, STEER_MODE_AB };

struct steer_rec {
	uint32_t ttl;             /* default 30 */
	unsigned answers;         /* how many PoPs to answer (GeoDNS), default 1 */
	enum steer_mode mode;
};

#endif
