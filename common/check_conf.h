/*
 * check_conf.h: the configuration of one health check, as parsed from YAML
 * (`check:` under a PoP, later also under the anycast self check). The
 * checker itself is in health.h; this header is data only, so config code
 * and checker code depend on it and not on each other.
 */
#ifndef STEERDNS_CHECK_CONF_H
#define STEERDNS_CHECK_CONF_H

#include <stdint.h>
#include <sys/socket.h>

enum check_type { CHECK_TCP = 1, CHECK_HTTP, CHECK_DNS, CHECK_FILE };

struct check_conf {
	enum check_type type;
	/* tcp, http, dns: where to connect. Default address: the PoP's first
	 * unicast address; port defaults: http 80, dns 53, tcp required. */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned interval_ms;     /* default 5000 */
	unsigned timeout_ms;      /* default 2000, must be < interval */
	unsigned rise;            /* successes in a row to go up, default 2 */
	unsigned fall;            /* failures in a row to go down, default 3 */
	/* http */
	const char *path;         /* default "/" */
	const char *host;         /* Host header; default the address */
	uint16_t *status;         /* accepted status codes; default {200} */
	unsigned n_status;
	/* dns: query name and type, NOERROR expected */
	const char *qname;        /* presentation form; required for dns */
	uint16_t qtype;           /* default A */
	/* file: holds "up", "down" or "drain"; re-read when it changes */
	const char *file;
};

#endif
