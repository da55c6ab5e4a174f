/*
 * steer_method.h: the steering interface. A steered name (znode.steer,
 * common/steer_rec.h) is answered by the method bound to its mode's slot in
 * the config (struct config.steer[]); common/query.c knows no method by
 * name, only this interface.
 *
 *   query.c ──answer()──> method (geodns/, anycast/, or a composer like
 *                         the A/B split in steer/ that calls two others)
 *           <─outcome───  records, ECS scope, the decision
 *   query.c ──steer_observe(outcome)──> decision log (and, later, metrics)
 *
 * A method's state is built when a config is loaded (struct steer_module,
 * common/steer_module.h) and freed with it, so the answer path takes no
 * lock and allocates nothing: answer() only reads its state and fills the
 * caller's outcome on the stack.
 */
#ifndef STEERDNS_STEER_METHOD_H
#define STEERDNS_STEER_METHOD_H

#include <stdbool.h>
#include <stdint.h>

#include "common/query_ctx.h"
#include "common/steer_rec.h"
#include "common/zone.h"

/* Most addresses one steered answer carries (answers: N PoPs x their addresses). */
#define STEER_MAX_RR 64

/* `pop` of an answer that sends the client to this server's own PoP
 * (anycast): steer_observe turns it into config.self_pop. */
#define STEER_POP_SELF (-2)

/* The client as a method located it (RFC 7871 7.1.1). */
struct steer_client {
	uint8_t addr[16];     /* IPv6, IPv4 as ::ffff:a.b.c.d */
	bool is_v4;
	bool from_ecs;        /* located by the ECS subnet (else: the resolver) */
	bool ecs_v6;          /* the ECS option is family 2, also when the address
	                       * is v4-mapped: its scope counts in 128 bits */
	uint8_t source;       /* ECS source prefix length used (family-relative) */
};

/* One steered answer: what the method wrote and why. Shared with the
 * observers (decision log, metrics, dnstap): keep the field names. */
struct steer_outcome {
	struct rdata rr[STEER_MAX_RR];  /* the records (pointing into method state) */
	unsigned n;                     /* 0: NODATA, nothing observed */
	const char *method;             /* "geodns" | "anycast": the method that produced rr */
	const char *arm;                /* "" or the A/B arm ("geodns" | "anycast") */
	int pop;                        /* answered PoP in the config's PoP table, -1 none,
	                                 * STEER_POP_SELF: this server's */
	const char *pop_name;           /* NULL: none */
	/* ECS scope. The method sets it for a client located by ECS
	 * (from_ecs); query.c echoes it, then sets it to the scope returned
	 * (-1 when the query had no ECS) before the observers see it. */
	int scope;
	bool from_ecs;                  /* client located by the ECS subnet, else by the resolver */
	/* In and out: a composer that located the client sets has_client
	 * before calling a method, which then answers for that client; a
	 * method that located it sets it too. false after answer(): the
	 * method did not look at the client (anycast). */
	bool has_client;
	struct steer_client client;
};

/* Reset the decision fields before a method answers. Not rr, method and
 * scope: a method that writes records sets method, one that sets from_ecs
 * sets scope (this runs for every steered answer). */
static inline void steer_outcome_init(struct steer_outcome *o)
{
	o->n = 0;
	o->arm = "";
	o->pop = -1;
	o->pop_name = NULL;
	o->from_ecs = false;
	o->has_client = false;
}

struct steer_method_ops {
	const char *name;   /* the `mode:` value, as steer_mode_name */
	/*
	 * Answer qtype (A or AAAA) at the name steered by sr for query q:
	 * fill out->rr/n (n 0: NODATA), method, pop/pop_name, and scope with
	 * from_ecs when the client was located by ECS. No allocation, no
	 * lock; state is what the module bound in the config.
	 */
	void (*answer)(const void *state, const struct steer_rec *sr, const struct query_ctx *q,
	               uint16_t qtype, struct steer_outcome *out);
	/* Locate q's client as answer() would (a composer asks before it
	 * picks an arm). NULL: the method does not locate clients. */
	bool (*locate)(const void *state, const struct query_ctx *q, struct steer_client *out);
};

/* A method bound to a config slot: ops NULL when the slot has none. */
struct steer_binding {
	const struct steer_method_ops *ops;
	const void *state;
};

/*
 * Where clients are, for the decision log: provided by a module that can
 * place clients (geodns), bound in config.locator. state may be NULL
 * (no GeoDNS config: client() then trusts every ECS, place() does nothing).
 */
struct qlog_rec;
struct steer_locator_ops {
	/* Locate q's client for an answer whose method did not (anycast). */
	bool (*client)(const void *state, const struct query_ctx *q, struct steer_client *out);
	/* Fill r's client location, nearest PoP and distances (to PoP pop
	 * when >= 0). */
	void (*place)(const void *state, const struct steer_client *c, int pop, struct qlog_rec *r);
};

struct steer_locator {
	const struct steer_locator_ops *ops;
	const void *state;
};

#endif
