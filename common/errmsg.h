/*
 * errmsg.h: writing an error message into a caller's buffer, the way every
 * loader and compiler here reports failure (char *err, size_t errlen).
 */
#ifndef STEERDNS_ERRMSG_H
#define STEERDNS_ERRMSG_H

#include <stddef.h>

/* snprintf into err; does nothing when err is NULL or errlen is 0. */
void errmsg_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
