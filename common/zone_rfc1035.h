/*
 * zone_rfc1035.h: zones from RFC 1035 master files (section 5), parsed by
 * Knot's libzscanner: $ORIGIN, $TTL, $INCLUDE, relative names, "@",
 * parentheses, comments, every type libzscanner knows and RFC 3597
 * "TYPEnnn \# len hex" for the rest. Only class IN.
 *
 * Errors are "file:line: message" (libzscanner counts lines, not columns);
 * a record that zone_add_rr refuses is reported at its line too.
 */
#ifndef STEERDNS_ZONE_RFC1035_H
#define STEERDNS_ZONE_RFC1035_H

#include <stddef.h>
#include <stdint.h>

#include "common/zone.h"

/* $INCLUDE nesting allowed (a file including itself stops here). */
#define ZONE_RFC1035_MAX_INCLUDE 8

/*
 * Add every record of the master file at path to z, relative names being
 * relative to z's origin until a $ORIGIN. Returns 0, -1 with the message in
 * err, or -2 when path cannot be opened (message "path: cannot open: ...",
 * *open_errno set when not NULL).
 */
int zone_rfc1035_add_file(struct zone *z, const char *path, char *err, size_t errlen,
                          int *open_errno);

/*
 * The same for master-file text in memory (len bytes; name is used in
 * messages). $INCLUDE is refused: the text names no directory to resolve
 * it against. For the fuzz target and tests.
 */
int zone_rfc1035_add_text(struct zone *z, const char *name, const char *text, size_t len,
                          char *err, size_t errlen);

/*
 * Load a whole zone from the master file at path. origin (wire form)
 * names the zone; NULL takes it from the file name ("example.com.zone" is
 * example.com.). The zone is finished (zone_finish). Returns as
 * zone_rfc1035_add_file; on success *out is owned by the caller.
 */
int zone_rfc1035_load(const char *path, const uint8_t *origin, struct zone **out, char *err,
                      size_t errlen, int *open_errno);

/* The origin a file name implies (its base name without ".zone"), into
 * out; returns its length or -1. */
int zone_rfc1035_origin_from_path(const char *path, uint8_t out[DNAME_MAXLEN]);

#endif
