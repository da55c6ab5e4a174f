/*
 * decision_log.h: fill a decision-log record (common/qlog.h) for one
 * steered answer, on the worker that answered. Cheap when not logged: no
 * ring bound to the thread, no `decision_log:` in the config, or sampled
 * out all return before any lookup. Location, PoP names and distances are
 * computed here and copied into the record, so nothing in it points into
 * the config snapshot.
 */
#ifndef STEERDNS_DECISION_LOG_H
#define STEERDNS_DECISION_LOG_H

#include <stdint.h>

#include "common/query_ctx.h"
#include "common/qlog.h"
#include "geodns/steer.h"

struct config;

/* What was answered. */
struct decision {
	enum qlog_method method;        /* the method that produced the answer */
	uint8_t arm;                    /* 0, or the A/B arm (enum qlog_method) */
	uint16_t qtype;
	const struct steer_client *c;   /* NULL: worked out here (anycast mode) */
	const struct steer_result *res; /* GeoDNS answer (its first PoP is `pop`); NULL for anycast */
	int scope;                      /* ECS scope returned, -1 when the query had no ECS */
};

/* Log d for query q answered from cfg, if this answer is to be logged. */
void decision_log(const struct config *cfg, const struct query_ctx *q, const struct decision *d);

/* The PoP index (geo_config.pops) of this server for anycast answers: the
 * PoP whose identity is server.identity, else the one so named; -1 if none. */
int decision_self_pop(const struct config *cfg);

#endif
