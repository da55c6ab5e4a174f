/*
 * steer_rec.h: how one zone name is steered (`www: {steer: {...}}`), hung
 * on znode.steer, allocated in the zone's arena.
 *
 * enum steer_mode numbers the method slots of a config (struct
 * config.steer[], common/steer_method.h): a name's `mode:` (or the
 * server's) picks a slot, and whichever module of the daemon's table
 * (server/modules.c) registered that slot answers it. A new method adds a
 * value here, its name to steer_mode_name, and a row to the table.
 */
#ifndef STEERDNS_STEER_REC_H
#define STEERDNS_STEER_REC_H

#include <stdint.h>

/* Steering method of one name; STEER_MODE_DEFAULT means the server's mode. */
enum steer_mode {
	STEER_MODE_DEFAULT = 0, STEER_MODE_GEODNS, STEER_MODE_ANYCAST, STEER_MODE_AB,
	STEER_MODE_COUNT
};

/* The `mode:` value of each slot ("" for the default slot). */
static inline const char *steer_mode_name(enum steer_mode m)
{
	static const char *const names[STEER_MODE_COUNT] = {
		[STEER_MODE_DEFAULT] = "", [STEER_MODE_GEODNS] = "geodns",
		[STEER_MODE_ANYCAST] = "anycast", [STEER_MODE_AB] = "ab",
	};
	return (unsigned)m < STEER_MODE_COUNT ? names[m] : "";
}

struct steer_rec {
	uint32_t ttl;             /* default 30 */
	unsigned answers;         /* how many PoPs to answer (GeoDNS), default 1 */
	enum steer_mode mode;
};

#endif
