/* steer_observe.c: the observers of a steered answer; see steer_observe.h. */
#include "common/steer_observe.h"

#include "common/config.h"
#include "common/decision_log.h"

void steer_observe(const struct config *cfg, const struct query_ctx *q, uint16_t qtype,
                   struct steer_outcome *out)
{
	if (out->pop == STEER_POP_SELF) {
		out->pop = cfg->self_pop;
		out->pop_name = cfg->self_pop_name;
	}
	/* Per-worker counters (metrics) go here, beside the decision log. */
	decision_log(cfg, q, qtype, out);
}
