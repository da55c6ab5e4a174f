/* metrics_http.c: the /metrics endpoint; see metrics_http.h. */
#include "common/metrics_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "common/config.h"

struct metrics_http {
	struct evhttp *http;
	metrics_fill_fn fill;
	void *arg;
};

static void on_request(struct evhttp_request *req, void *arg)
{
	struct metrics_http *mh = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (!path || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics here");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, 405, "GET only");
		return;
	}
	struct evbuffer *buf = evbuffer_new();
	if (!buf) {
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	mh->fill(mh->arg, buf);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", buf);
	evbuffer_free(buf);
}

struct metrics_http *metrics_http_new(struct event_base *base, const char *listen,
                                      metrics_fill_fn fill, void *arg, char *err, size_t errlen)
{
	struct listen_addr la;
	if (parse_listen(listen, &la) < 0) {
		snprintf(err, errlen, "metrics: cannot parse listen address %s", listen);
		return NULL;
	}
	struct metrics_http *mh = calloc(1, sizeof(*mh));
	if (!mh || !(mh->http = evhttp_new(base))) {
		free(mh);
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	mh->fill = fill;
	mh->arg = arg;
	evhttp_set_allowed_methods(mh->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(mh->http, on_request, mh);
	/* evhttp_bind_socket takes a host and a port: split the parsed text. */
	char host[64];
	unsigned port = 0;
	const char *colon = strrchr(la.text, ':');
	size_t hl = colon ? (size_t)(colon - la.text) : 0;
	if (la.text[0] == '[' && hl >= 2) {
		snprintf(host, sizeof(host), "%.*s", (int)(hl - 2), la.text + 1);
	} else {
		snprintf(host, sizeof(host), "%.*s", (int)hl, la.text);
	}
	if (colon)
		port = (unsigned)strtoul(colon + 1, NULL, 10);
	if (evhttp_bind_socket(mh->http, host, (uint16_t)port) != 0) {
		snprintf(err, errlen, "metrics: cannot listen on %s: %s", la.text, strerror(errno));
		metrics_http_free(mh);
		return NULL;
	}
	return mh;
}

void metrics_http_free(struct metrics_http *mh)
{
	if (!mh)
		return;
	if (mh->http)
		evhttp_free(mh->http);
	free(mh);
}
