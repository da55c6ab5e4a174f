/*
 * server_health.h: the server's side of health checking: which targets of
 * a loaded config are checked. The checker itself is common/health.h; it
 * runs on the server's control loop (common/server.c).
 */
#ifndef STEERDNS_SERVER_HEALTH_H
#define STEERDNS_SERVER_HEALTH_H

struct config;
struct health_checker;

/*
 * Make hc check exactly the PoPs of cfg that have a `check:` (none when
 * cfg has no geo section): unchanged checks keep running, new ones start,
 * removed ones stop and their PoP counts as up. Called on the control
 * thread at start and after each published reload; cfg may be freed
 * afterwards (the checker copies what it keeps). Failures are logged.
 */
void server_health_sync(struct health_checker *hc, const struct config *cfg);

#endif
