/*
 * cmp_csv.c: RTT samples as CSV, header `client,pop,rtt_ms` (e.g. nginx
 * $tcpinfo_rtt behind each PoP, converted to ms). Each row becomes an RTT
 * row keyed by the client's /24 or /56, the granularity of the A/B split,
 * so decision log lines of the same client subnet join it.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cmp_ctx.h"
#include "compare/cmp_sources.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -1)

int cmp_csv_is_header(const char *line)
{
	static const char want[] = "client,pop,rtt_ms";
	size_t j = 0;
	for (const char *p = line; *p; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if (!want[j] || tolower((unsigned char)*p) != want[j])
			return 0;
		j++;
	}
	return want[j] == 0;
}

/* Field i (0-based) of a comma-separated line, trimmed, into out. */
static int field(const char *line, int i, char *out, size_t cap)
{
	const char *p = line;
	for (int k = 0; k < i; k++) {
		p = strchr(p, ',');
		if (!p)
			return -1;
		p++;
	}
	size_t n = strcspn(p, ",");
	while (n && isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	if (n >= cap)
		return -1;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

int cmp_rec_csv(struct cmp_ctx *c, const char *line, char *why, size_t whylen)
{
	char client[64], pop[128], rtt[64], extra[8];
	struct cmp_key k;

	if (field(line, 0, client, sizeof(client)) < 0 || field(line, 1, pop, sizeof(pop)) < 0 ||
	    field(line, 2, rtt, sizeof(rtt)) < 0 || field(line, 3, extra, sizeof(extra)) == 0)
		return WHY("RTT CSV: expected 3 fields client,pop,rtt_ms");
	if (cmp_subnet_key(client, &k) < 0)
		return WHY("RTT CSV: bad client address '%s'", client);
	char *end;
	errno = 0;
	double v = strtod(rtt, &end);
	if (!rtt[0] || *end || errno || !isfinite(v) || v < 0)
		return WHY("RTT CSV: bad rtt_ms '%s'", rtt);
	int p = cmp_pop_by_name(c, pop);
	if (p < 0) {
		snprintf(why, whylen, "RTT CSV: PoP '%s' is not in the config", pop);
		return 1;
	}
	if (cmp_add_rtt(c, &k, p, v) < 0)
		return WHY("out of memory");
	return 0;
}
