/*
 * server_ctl.h: the commands of the control socket (control.h), run on
 * the control thread against the live server: status, stats, reload,
 * pop NAME down|up|auto, drain, undrain, lookup ADDR[/LEN], log-reopen.
 * `ctl` (ctl_client.c) is the client. Admin overrides (`pop`) live in
 * the health registry (health.h), so they hold across reloads, and in the
 * admin-state file, so they hold across restarts.
 */
#ifndef STEERDNS_SERVER_CTL_H
#define STEERDNS_SERVER_CTL_H

struct config;
struct event_base;
struct server;
struct server_ctl;

/*
 * Apply the admin-state file, then listen on cfg's control socket. A
 * socket configured explicitly that cannot be opened fails the start
 * (-1, logged); the default one only logs a warning (e.g. no
 * /run/steerdns outside systemd). *out NULL when not listening.
 */
int server_ctl_start(struct server_ctl **out, struct server *srv, struct event_base *base,
                     const struct config *cfg);

void server_ctl_free(struct server_ctl *sc);

#endif
