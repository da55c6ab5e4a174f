/*
 * privdrop.h: give up root after the sockets are bound.
 */
#ifndef STEERDNS_PRIVDROP_H
#define STEERDNS_PRIVDROP_H

#include <stddef.h>

/*
 * Switch the process to user and/or group (either may be NULL; both NULL is
 * a no-op returning 0). With only a user, the group is the user's primary
 * group. Supplementary groups are reduced to that one group. Must run before
 * any thread starts. Returns 0, or -1 with a message in err (errlen bytes);
 * the caller must then exit, never serve with half-dropped privileges.
 */
int privdrop(const char *user, const char *group, char *err, size_t errlen);

#endif
