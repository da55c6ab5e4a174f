/*
 * net_test_util.h: socket addresses from text for unit tests.
 */
#ifndef STEERDNS_NET_TEST_UTIL_H
#define STEERDNS_NET_TEST_UTIL_H

#include <arpa/inet.h>
#include <check.h>
#include <string.h>
#include <sys/socket.h>

/* "192.0.2.1" or "2001:db8::1" as a sockaddr (port 0); fails the test on
 * anything else. */
static inline struct sockaddr_storage test_addr(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

#endif
