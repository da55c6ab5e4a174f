/*
 * anycast_runtime.h: the server's side of anycast announcement: the
 * announcer (anycast/announcer.h) on the control loop, built from the
 * config's `anycast:` section, SIGUSR1/SIGUSR2 drain, and the graceful
 * SIGTERM sequence. The server reaches it through the anycast module's
 * runtime hooks (anycast/anycast_module.c).
 */
#ifndef STEERDNS_ANYCAST_RUNTIME_H
#define STEERDNS_ANYCAST_RUNTIME_H

#include <stdbool.h>

struct config;
struct event_base;
struct anycast_runtime;

/*
 * On the control loop ctl, after the listeners are up (server_start done):
 * handle SIGUSR1/SIGUSR2 (always, so they never kill the server; without
 * an announcer they are logged and ignored) and, when cfg has an anycast
 * section with BGP peers or on_announce/on_withdraw, start the announcer
 * and declare the listeners ready. cfg may be freed afterwards. NULL if
 * out of memory or the signals could not be set up (logged).
 */
struct anycast_runtime *anycast_runtime_new(struct event_base *ctl, const struct config *cfg);

/* Apply a published reload (creating the announcer if the section
 * appeared, emptying it if it went). cfg may be freed afterwards. */
void anycast_runtime_reload(struct anycast_runtime *sa, const struct config *cfg);

/*
 * SIGTERM/SIGINT. With an announcer: start its shutdown (withdraw, linger,
 * Cease, flush) and return true; done(arg) is called on the loop when it
 * is over (at once for a second call). Without: return false, the caller
 * stops now. NULL sa: false.
 */
bool anycast_runtime_stop(struct anycast_runtime *sa, void (*done)(void *arg), void *arg);

/* Withdraw (the listeners are about to close) and free. NULL is fine. */
void anycast_runtime_free(struct anycast_runtime *sa);

#endif
