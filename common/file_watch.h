/*
 * file_watch.h: notice that files changed (GeoIP databases, replaced by
 * geoipupdate or a cron job) and call back once they have been quiet for a
 * while, so a DB still being written is not loaded half-way.
 *
 * Polls stat() on the control loop: a few files once a second cost nothing,
 * and unlike inotify it follows a file replaced by rename() without
 * re-arming watches.
 */
#ifndef STEERDNS_FILE_WATCH_H
#define STEERDNS_FILE_WATCH_H

#include <stddef.h>

struct event_base;
struct file_watch;

/* Poll every poll_ms; call cb(arg) once no watched file has changed for
 * quiet_ms after a change. Returns NULL on out of memory. */
struct file_watch *file_watch_new(struct event_base *base, unsigned poll_ms, unsigned quiet_ms,
                                  void (*cb)(void *arg), void *arg);

/* Watch exactly these paths (copied) from now on; their current state is
 * the baseline, so setting the same set again after a reload does not
 * trigger. n == 0 watches nothing. */
void file_watch_set(struct file_watch *fw, const char *const *paths, size_t n);

void file_watch_free(struct file_watch *fw);

#endif
