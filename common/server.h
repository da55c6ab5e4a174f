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
struct steer_modules;

/* How often the control loop tries to free retired configs. */
#define SERVER_RECLAIM_MS 100

/*
 * Bind cfg->server.workers UDP and TCP sockets per listen address and log
 * one line per address, and run the modules' prebind hooks. path is the
 * config file re-read on SIGHUP (copied) with the modules mods (the
 * daemon's table, common/steer_module.h; borrowed for the server's life),
 * whose runtime services server_run starts, reloads and stops.
 * On success returns the server, which owns cfg from then on. On failure
 * returns NULL with "address: reason" in err (errlen bytes); cfg stays the
 * caller's.
 */
struct server *server_open(struct config *cfg, const char *path, const struct steer_modules *mods,
                           char *err, size_t errlen);

/* Start the worker threads and log "ready". Returns 0, or -1 with a
 * message logged (the caller then calls server_free and exits). */
int server_start(struct server *srv);

/* Run the control loop until SIGTERM or SIGINT. Returns 0, -1 on setup
 * failure. */
int server_run(struct server *srv);

/*
 * Before server_start: load the file again, with the privileges the
 * process has now, and serve that instead. 0, or -1 with the load's
 * "file:line:col: message" in err (errlen bytes), the old config kept.
 */
int server_load_again(struct server *srv, char *err, size_t errlen);

/* Reload now, as SIGHUP does: load the file again and publish it, or log
 * the error and keep the current config. Returns 0 when published. */
int server_reload(struct server *srv);

/* Stop and join the workers (if started), close the sockets, free every
 * config and the server. NULL is fine. */
void server_free(struct server *srv);

#endif
