/*
 * decision_log.h: fill a decision-log record (common/qlog.h) for one
 * steered answer, on the worker that answered. Cheap when not logged: no
 * ring bound to the thread, no `decision_log:` in the config, or sampled
 * out all return before any lookup. It is fed from the steering interface
 * (steer_observe, common/steer_observe.h), never by a method; where the
 * client is, the nearest PoP and the distances come from the config's
 * locator (the module that owns the PoP table binds it). Everything is
 * copied into the record, so nothing in it points into the config
 * snapshot.
 */
#ifndef STEERDNS_DECISION_LOG_H
#define STEERDNS_DECISION_LOG_H

#include <stdint.h>

#include "common/query_ctx.h"
#include "common/steer_method.h"
#include "common/steer_module.h"

struct config;

/* Log the answer out (qtype) to query q answered from cfg, if it is to be
 * logged. out->pop is already resolved (not STEER_POP_SELF). */
void decision_log(const struct config *cfg, const struct query_ctx *q, uint16_t qtype,
                  const struct steer_outcome *out);

/* The `decision_log:` section (config_compare.h) as a module: no method,
 * no runtime service of its own (the server drains the rings). */
extern const struct steer_module decision_log_module;

#endif
