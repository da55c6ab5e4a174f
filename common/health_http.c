/*
 * health_http.c: the text of an HTTP health check: the request we send and
 * the status line we accept. The socket work is in health_tcp.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/health_int.h"

char *health_http_request(const char *path, const char *host, size_t *len)
{
	/* HTTP/1.0 with Connection: close: the server ends the response by
	 * closing, and no keep-alive state is left on either side. */
	static const char fmt[] = "GET %s HTTP/1.0\r\nHost: %s\r\n"
	                          "User-Agent: steerdns-health\r\nConnection: close\r\n\r\n";
	char *req = NULL;
	int n = asprintf(&req, fmt, path, host);

	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return req;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int health_http_status(const char *line, size_t len)
{
	/* RFC 9112 section 4: status-line = HTTP-version SP status-code SP
	 * [ reason-phrase ], HTTP-version = "HTTP/" DIGIT "." DIGIT. The
	 * reason phrase is optional and ignored; a missing SP after the code
	 * is tolerated (RFC 9112 says recipients should be lenient). */
	if (len < 12 || memcmp(line, "HTTP/", 5) != 0 || !is_digit(line[5]) ||
	    line[6] != '.' || !is_digit(line[7]) || line[8] != ' ')
		return -1;
	if (!is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]))
		return -1;
	if (len > 12 && line[12] != ' ' && line[12] != '\r')
		return -1;
	return (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
}
