/*
 * metrics_http.h: the /metrics endpoint (libevent evhttp on the control
 * loop). Every GET /metrics builds the exposition anew (metrics.h); any
 * other path is 404. Scrapes are served one at a time on the control
 * thread, never on a worker.
 */
#ifndef STEERDNS_METRICS_HTTP_H
#define STEERDNS_METRICS_HTTP_H

#include <stddef.h>

struct event_base;
struct evbuffer;
struct metrics_http;

/* Writes the exposition into buf (metrics_write and the server's gauges). */
typedef void (*metrics_fill_fn)(void *arg, struct evbuffer *buf);

/* Listen on "ADDR:PORT" ("[v6]:PORT" too). NULL with the reason in err. */
struct metrics_http *metrics_http_new(struct event_base *base, const char *listen,
                                      metrics_fill_fn fill, void *arg, char *err, size_t errlen);

/* Close and free; NULL is fine. */
void metrics_http_free(struct metrics_http *mh);

#endif
