/*
 * announcer.h: health-driven announcement of the anycast prefixes (issue 4
 * §3). One per process, on the server's control event_base. It owns:
 *  - one BGP session per configured peer, built from a deep copy of the
 *    `anycast.bgp` config (configs are freed on reload);
 *  - a private health_checker running the self check (a real DNS query to
 *    our own listener) and the extra `anycast.health.checks`, all AND-ed,
 *    with rise/fall and the fast interval while a state is changing;
 *  - the maintenance drain (drain_file, stat'ed every interval, or
 *    announcer_drain() from SIGUSR1/SIGUSR2);
 *  - the on_announce/on_withdraw commands (/bin/sh -c, never waited for
 *    on the loop: reaped with waitpid(WNOHANG) on a timer, one at a time);
 *  - the SIGTERM sequence: withdraw, linger, Cease with a message, a short
 *    flush, then the caller's done callback.
 *
 * The prefixes are announced exactly while: the listeners are up
 * (announcer_set_ready), every check is up, no drain is on and no shutdown
 * has begun. Each change is logged with its reason.
 *
 * Threading: every function runs on the base's thread.
 * Ownership: nothing passed in is kept; the announcer copies what it uses.
 */
#ifndef STEERDNS_ANNOUNCER_H
#define STEERDNS_ANNOUNCER_H

#include <stdbool.h>
#include <sys/socket.h>

#include "anycast/anycast_conf.h"
#include "anycast/bgp_session.h"
#include "common/health.h"

struct event_base;
struct announcer;

/* Health slot names of the gate's checks (common/health.h registry). */
#define ANNOUNCER_SELF_NAME HEALTH_ANYCAST_SELF
#define ANNOUNCER_CHECK_PREFIX "anycast-check-"   /* + 1, 2, ... */

/* After the withdraw of a shutdown: time for the NOTIFICATION to go out. */
#define ANNOUNCER_FLUSH_MS 500
/* Poll for exited on_announce/on_withdraw children this often. */
#define ANNOUNCER_REAP_MS 100

struct announcer_stats {
	bool ready;             /* listeners up */
	bool healthy;           /* every check up (true with no check) */
	bool drain_signal;      /* announcer_drain(true) (SIGUSR1) */
	bool drain_file;        /* the drain file exists */
	bool shutting_down;
	bool announced;         /* what the sessions are told to do */
	unsigned announces;     /* withdrawn -> announced transitions */
	unsigned withdraws;     /* announced -> withdrawn transitions */
	unsigned flaps;         /* withdraws not caused by shutdown */
	unsigned n_sessions;
	unsigned established;   /* sessions in Established now */
	unsigned routes_out;    /* sessions with our routes out now */
	unsigned session_flaps; /* sum of the sessions' Established losses */
	unsigned commands_run;  /* on_announce/on_withdraw started */
	char last_reason[128];  /* reason of the last transition, "" before */
};

/*
 * Build the announcer on base from ac, with the self check sent to self
 * (the first listen address; a wildcard becomes loopback; NULL = no self
 * check). Nothing is announced until announcer_set_ready(a, true). Sessions
 * start connecting at once. Returns NULL on allocation failure.
 */
struct announcer *announcer_new(struct event_base *base, const struct anycast_conf *ac,
                                const struct sockaddr *self, socklen_t self_len);

/*
 * Apply a reloaded config (ac NULL: the section was removed; every peer
 * and check goes). Checks: unchanged ones keep their counters. Peers,
 * matched by address (BIRD's bgp_reconfigure): unchanged sessions keep
 * running; changed ones are shut down ("configuration changed") and
 * started again; removed ones get a Cease ("peer de-configured"); new ones
 * start. ac may be freed after the call. Returns 0, -1 if something could
 * not be applied (logged; the rest is).
 */
int announcer_reload(struct announcer *a, const struct anycast_conf *ac,
                     const struct sockaddr *self, socklen_t self_len);

/* The DNS listeners are up (true) or about to close (false: withdraw now). */
void announcer_set_ready(struct announcer *a, bool ready);

/* Maintenance drain by signal: true (SIGUSR1) withdraws, false (SIGUSR2)
 * re-announces if nothing else holds the routes back. DNS keeps serving. */
void announcer_drain(struct announcer *a, bool on);

/*
 * Begin the graceful stop: withdraw on every session (and run
 * on_withdraw), keep serving for linger_ms if we were announcing, send
 * Cease / Administrative Shutdown "steerdns shutting down" (RFC 8203) on
 * every session, wait ANNOUNCER_FLUSH_MS, then call done(arg) on the loop.
 * With no session and no command, done is called at once. A second call
 * while one is in progress calls done at once (an impatient second
 * SIGTERM). The announcer stays valid; free it after done.
 */
void announcer_shutdown(struct announcer *a, void (*done)(void *arg), void *arg);

void announcer_get_stats(const struct announcer *a, struct announcer_stats *out);

/* Session i (0 .. n_sessions-1) in config order: its info and peer name
 * (valid until the next reload). -1 if i is out of range. */
int announcer_session_info(const struct announcer *a, unsigned i,
                           struct bgp_session_info *info, const char **name);

/* Close everything at once (no NOTIFICATION: shut down first). Running
 * commands are left to finish on their own. NULL is fine. */
void announcer_free(struct announcer *a);

#endif
