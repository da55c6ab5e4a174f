/*
 * steer_observe.h: the one place a steered answer is observed. query.c
 * calls steer_observe once a method's records are written, with the
 * method's outcome; every observer (the decision log, per-worker
 * counters, dnstap) is fed from here, never from a method.
 */
#ifndef STEERDNS_STEER_OBSERVE_H
#define STEERDNS_STEER_OBSERVE_H

#include <stdint.h>

#include "common/config.h"
#include "common/decision_log.h"
#include "common/dnstap.h"
#include "common/metrics.h"
#include "common/query_ctx.h"
#include "common/steer_method.h"

/* out->scope is the scope returned (-1: the query had no ECS).
 * STEER_POP_SELF in out->pop is resolved here to the config's self PoP.
 * Inline: it runs for every steered answer. */
static inline void steer_observe(const struct config *cfg, const struct query_ctx *q,
                                 uint16_t qtype, struct steer_outcome *out)
{
	if (out->pop == STEER_POP_SELF) {
		out->pop = cfg->self_pop;
		out->pop_name = cfg->self_pop_name;
	}
	metrics_count_steered(out);
	decision_log(cfg, q, qtype, out);
	if (cfg->dnstap)
		dnstap_note(out);
}

#endif
