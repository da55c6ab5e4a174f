/*
 * control.h: the control socket (`control: { socket: PATH }`), a Unix
 * stream socket served on the control loop, and what `steerdns ctl` sends
 * over it.
 *
 * Protocol (one exchange per connection, text, so `socat` works too):
 *   client:  one line, the command and its words separated by spaces
 *   server:  "ok\n" or "error\n", then the body (text or one JSON
 *            document), then it closes the connection
 * Commands are run one at a time on the control thread (a reload blocks
 * the next command until it is done, never a worker).
 */
#ifndef STEERDNS_CONTROL_H
#define STEERDNS_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct evbuffer;
struct control;

#define CONTROL_MAX_LINE 1024
#define CONTROL_MAX_ARGS 16
#define CONTROL_SOCK_NAME "steerdns.sock"

/* Run argv[0..argc) and write the body into out: 0 (ok) or -1 (error;
 * the body then is a one-line message). */
typedef int (*control_handler)(void *arg, int argc, char **argv, struct evbuffer *out);

/*
 * Listen on path (mode 0660; a stale socket file left by a dead server is
 * replaced, a live one is not). NULL with the reason in err.
 */
struct control *control_new(struct event_base *base, const char *path, control_handler fn,
                            void *arg, char *err, size_t errlen);

/* Stop listening, remove the socket file, free. NULL is fine. */
void control_free(struct control *c);

/* `control:` section (common/control_conf.c). */
struct control_conf {
	const char *socket;    /* NULL: the default (control_default_socket) */
	const char *state;     /* admin-state file; NULL: the default */
};

/* $RUNTIME_DIRECTORY/steerdns.sock (systemd), else /run/steerdns/steerdns.sock. */
void control_default_socket(char *buf, size_t len);
/* $STATE_DIRECTORY/admin-state, else /var/lib/steerdns/admin-state. */
void control_default_state(char *buf, size_t len);

extern const struct steer_module control_module;

#endif
