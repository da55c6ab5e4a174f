/* netprefix.c: see netprefix.h. */
#include "common/netprefix.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "common/yaml_doc.h"

void netprefix_mask(uint8_t addr[16], unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bit = i * 8;
		if (bit >= len)
			addr[i] = 0;
		else if (len - bit < 8)
			addr[i] &= (uint8_t)(0xff00u >> (len - bit));
	}
}

int netprefix_parse(const char *text, struct netprefix *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t hl = slash ? (size_t)(slash - text) : strlen(text);
	uint32_t len;

	if (hl == 0 || hl >= sizeof(host))
		return NETPREFIX_ESYNTAX;
	memcpy(host, text, hl);
	host[hl] = 0;
	memset(out, 0, sizeof(*out));
	bool v6 = strchr(host, ':') != NULL;
	if (v6) {
		if (inet_pton(AF_INET6, host, out->addr) != 1)
			return NETPREFIX_ESYNTAX;
	} else {
		if (inet_pton(AF_INET, host, out->addr + 12) != 1)
			return NETPREFIX_ESYNTAX;
		out->addr[10] = out->addr[11] = 0xff;
	}
	unsigned max = v6 ? 128 : 32;
	if (slash) {
		if (ydoc_parse_u32(slash + 1, &len) < 0)
			return NETPREFIX_ESYNTAX;
		if (len > max)
			return NETPREFIX_ELEN;
	} else {
		len = max;
	}
	out->len = (uint8_t)(v6 ? len : len + 96);
	netprefix_mask(out->addr, out->len);
	return 0;
}

void netprefix_from_sockaddr(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else {
		memcpy(out, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr, 16);
	}
}

bool netprefix_contains(const struct netprefix *p, const uint8_t addr[16])
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (memcmp(p->addr, addr, full) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return (addr[full] & mask) == p->addr[full];
}
