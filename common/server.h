/*
 * server.h: the serving process. N worker threads, each with its own
 * event_base and its own UDP and TCP socket per listen address
 * (SO_REUSEPORT), plus the control loop on the main thread: signals
 * (SIGHUP reload, SIGTERM/SIGINT stop) and the timer that frees configs
 * no worker can see any more.
 *
 * Lifecycle, all on the main thread:
 *   server_open   bind every socket (as root if need be), nothing runs yet
 *   (privdrop)    the caller drops privileges here
 *   server_start  build the workers' loops and start the threads
 *   server_run    the control loop, until SIGTERM/SIGINT
 *   server_free   stop and join the workers, free everything
 * evthread_use_pthreads() must have been called before server_open.
 */
#ifndef STEERDNS_SERVER_H
#define STEERDNS_SERVER_H

#include <stddef.h>

struct config;
struct server;

/* How often the control loop tries to free retired configs. */
#define SERVER_RECLAIM_MS 100
/* GeoIP DBs are polled this often, and reloaded once quiet this long. */
#define SERVER_DBWATCH_POLL_MS 1000
#define SERVER_DBWATCH_QUIET_MS 2000

/*
 * Bind cfg->server.workers UDP and TCP sockets per listen address and log
 * one line per address. path is the config file re-read on SIGHUP (copied).
 * On success returns the server, which owns cfg from then on. On failure
 * returns NULL with "address: reason" in err (errlen bytes); cfg stays the
 * caller's.
 */
struct server *server_open(struct config *cfg, const char *path, char *err, size_t errlen);

/* Start the worker threads and log "ready". Returns 0, or -1 with a
 * message logged (the caller then calls server_free and exits). */
int server_start(struct server *srv);

/* Run the control loop until SIGTERM or SIGINT. Returns 0, -1 on setup
 * failure. */
int server_run(struct server *srv);

/* Reload now, as SIGHUP does: load the file again and publish it, or log
 * the error and keep the current config. Returns 0 when published. */
int server_reload(struct server *srv);

/* Stop and join the workers (if started), close the sockets, free every
 * config and the server. NULL is fine. */
void server_free(struct server *srv);

#endif
