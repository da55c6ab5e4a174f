/* control.c: the control socket's listener and line protocol; see control.h. */
#include "common/control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "common/log.h"

struct control {
	struct evconnlistener *lis;
	char *path;
	control_handler fn;
	void *arg;
};

static void first_dir(char *buf, size_t len, const char *env, const char *dflt, const char *file)
{
	const char *d = getenv(env);
	/* systemd may list several directories separated by ':': the first. */
	size_t dl = d && *d ? strcspn(d, ":") : 0;
	if (dl)
		snprintf(buf, len, "%.*s/%s", (int)dl, d, file);
	else
		snprintf(buf, len, "%s/%s", dflt, file);
}

void control_default_socket(char *buf, size_t len)
{
	first_dir(buf, len, "RUNTIME_DIRECTORY", "/run/steerdns", CONTROL_SOCK_NAME);
}

void control_default_state(char *buf, size_t len)
{
	first_dir(buf, len, "STATE_DIRECTORY", "/var/lib/steerdns", "admin-state");
}

static void reply_done(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_free(bev);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

/* Split line into words (spaces and tabs); returns the count. */
static int split(char *line, char **argv)
{
	int n = 0;
	for (char *tok = strtok(line, " \t\r"); tok && n < CONTROL_MAX_ARGS; tok = strtok(NULL, " \t\r"))
		argv[n++] = tok;
	return n;
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	struct control *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (!line) {
		if (evbuffer_get_length(in) > CONTROL_MAX_LINE)
			bufferevent_free(bev);
		return;
	}
	char *argv[CONTROL_MAX_ARGS];
	int argc = split(line, argv);
	struct evbuffer *body = evbuffer_new();
	int rc = -1;
	if (body) {
		if (argc == 0)
			evbuffer_add_printf(body, "empty command\n");
		else
			rc = c->fn(c->arg, argc, argv, body);
		struct evbuffer *out = bufferevent_get_output(bev);
		evbuffer_add_printf(out, "%s\n", rc == 0 ? "ok" : "error");
		evbuffer_add_buffer(out, body);
		evbuffer_free(body);
	}
	free(line);
	/* One exchange: close once the reply is written. */
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, reply_done, conn_event, c);
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_free(bev);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	(void)sa;
	(void)salen;
	struct bufferevent *bev = bufferevent_socket_new(evconnlistener_get_base(lis), fd,
	                                                 BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		close(fd);
		return;
	}
	/* A client that never sends its line is dropped. */
	struct timeval tv = { 10, 0 };
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_setcb(bev, conn_read, NULL, conn_event, arg);
	bufferevent_enable(bev, EV_READ);
}

/* Is a server answering on path? (A socket file nobody listens on is stale.) */
static bool live(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool up = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return up;
}

struct control *control_new(struct event_base *base, const char *path, control_handler fn,
                            void *arg, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	if (live(&sun)) {
		snprintf(err, errlen, "control socket %s: another server is listening on it", path);
		return NULL;
	}
	unlink(path);
	struct control *c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fn = fn;
	c->arg = arg;
	c->lis = evconnlistener_new_bind(base, on_accept, c,
	                                  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	                                  (struct sockaddr *)&sun, sizeof(sun));
	int e = errno;
	/* 0660: the server's user and group may control it, nobody else.
	 * (chmod, not umask: umask is the whole process's, threads included.) */
	if (c->lis && chmod(path, 0660) != 0) {
		e = errno;
		evconnlistener_free(c->lis);
		c->lis = NULL;
	}
	if (!c->lis) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(e));
		free(c->path);
		free(c);
		return NULL;
	}
	return c;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	evconnlistener_free(c->lis);
	unlink(c->path);
	free(c->path);
	free(c);
}
