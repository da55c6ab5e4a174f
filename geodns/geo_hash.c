/* geo_hash.c: see geo_hash.h. */
#include "geodns/geo_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define P1 0x9e3779b185ebca87ull
#define P2 0xc2b2ae3d27d4eb4full
#define P3 0x165667b19e3779f9ull
#define P4 0x85ebca77c2b2ae63ull

static inline uint64_t rotl(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8); /* host order: the cache is per host */
	return v;
}

static inline uint64_t round1(uint64_t acc, uint64_t w)
{
	return rotl(acc + w * P2, 31) * P1;
}

void geo_hash_init(struct geo_hash *h, uint64_t seed)
{
	h->v[0] = seed + P1 + P2;
	h->v[1] = seed + P2;
	h->v[2] = seed;
	h->v[3] = seed - P1;
	h->nbuf = 0;
	h->total = 0;
}

static void stripes(struct geo_hash *h, const uint8_t *p, size_t n)
{
	uint64_t a = h->v[0], b = h->v[1], c = h->v[2], d = h->v[3];
	for (size_t i = 0; i < n; i++, p += 32) {
		a = round1(a, rd64(p));
		b = round1(b, rd64(p + 8));
		c = round1(c, rd64(p + 16));
		d = round1(d, rd64(p + 24));
	}
	h->v[0] = a;
	h->v[1] = b;
	h->v[2] = c;
	h->v[3] = d;
}

void geo_hash_update(struct geo_hash *h, const void *data, size_t len)
{
	const uint8_t *p = data;
	h->total += len;
	if (h->nbuf) {
		size_t k = 32 - h->nbuf < len ? 32 - h->nbuf : len;
		memcpy(h->buf + h->nbuf, p, k);
		h->nbuf += k;
		p += k;
		len -= k;
		if (h->nbuf < 32)
			return;
		stripes(h, h->buf, 1);
		h->nbuf = 0;
	}
	stripes(h, p, len / 32);
	p += len / 32 * 32;
	len %= 32;
	memcpy(h->buf, p, len);
	h->nbuf = len;
}

uint64_t geo_hash_final(const struct geo_hash *h)
{
	uint64_t x = rotl(h->v[0], 1) + rotl(h->v[1], 7) + rotl(h->v[2], 12) + rotl(h->v[3], 18);
	for (unsigned i = 0; i < 4; i++)
		x = (x ^ round1(0, h->v[i])) * P1 + P4;
	x += h->total;
	size_t i = 0;
	for (; i + 8 <= h->nbuf; i += 8)
		x = rotl(x ^ round1(0, rd64(h->buf + i)), 27) * P1 + P4;
	for (; i < h->nbuf; i++)
		x = rotl(x ^ (h->buf[i] * P3), 11) * P1;
	x ^= x >> 33;
	x *= P2;
	x ^= x >> 29;
	x *= P3;
	x ^= x >> 32;
	return x;
}

uint64_t geo_hash64(const void *data, size_t len, uint64_t seed)
{
	struct geo_hash h;
	geo_hash_init(&h, seed);
	geo_hash_update(&h, data, len);
	return geo_hash_final(&h);
}

int geo_hash_file(const char *path, uint64_t seed, uint64_t *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	enum { CHUNK = 1 << 20 };
	uint8_t *buf = malloc(CHUNK);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	struct geo_hash h;
	geo_hash_init(&h, seed);
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		geo_hash_update(&h, buf, (size_t)n);
	}
	free(buf);
	close(fd);
	*out = geo_hash_final(&h);
	return 0;
}
