/*
 * mmdb_nets: list every network of one or more MaxMind DB files as ECS
 * client subnets for the benchmark's random-ECS workload.
 *
 *   mmdb_nets [-s SEED] [-4 LEN] [-6 LEN] [-b] [-o FILE] DB.mmdb...
 *
 * Walks each DB's search tree (MMDB_read_node) and, for every network that
 * holds a data record, writes one line "addr/len": a random address inside
 * the network, masked to the source prefix a public resolver would send
 * (-4, default 24; -6, default 56) or to the network itself when it is
 * longer than that. Networks under ::/96 of an IPv6 tree are the IPv4 space
 * and are written as IPv4; the aliases of that subtree (::ffff:0:0/96,
 * 2002::/16) are skipped so every network appears once. The lines are
 * shuffled (Fisher-Yates, fixed seed) so consecutive queries hit unrelated
 * parts of the tree. -b writes 18-byte binary records instead (family 4|6,
 * prefix length, 16 address bytes), which loadgen reads without parsing.
 * The last line on stderr gives the counts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct net { /* also the -b record: 18 bytes, no padding */
	uint8_t fam;      /* 4 or 6 */
	uint8_t len;      /* source prefix length to send */
	uint8_t addr[16]; /* masked address, network order */
};

struct walk {
	MMDB_s *db;
	uint32_t v4_start;   /* node of ::/96 in an IPv6 tree, UINT32_MAX if none */
	int v6tree;
	unsigned max4, max6;
	uint64_t rng;
	struct net *out;
	size_t n, cap;
	size_t n4, n6;
};

static uint64_t rnd(uint64_t *s)
{
	/* splitmix64: good enough to place addresses and shuffle. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void set_bit(uint8_t *a, unsigned i, int v)
{
	if (v)
		a[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	else
		a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

/* Record one network: bits [0,depth) of addr (of a `bits`-wide space). */
static int add_net(struct walk *w, const uint8_t *addr, unsigned depth, int fam)
{
	struct net n;
	unsigned bits = fam == 4 ? 32 : 128;
	unsigned send = fam == 4 ? w->max4 : w->max6;
	memset(&n, 0, sizeof n);
	n.fam = (uint8_t)fam;
	memcpy(n.addr, addr, bits / 8);
	/* A random host inside the network, then masked to what is sent. */
	for (unsigned i = depth; i < bits; i++)
		set_bit(n.addr, i, (int)(rnd(&w->rng) & 1));
	n.len = (uint8_t)(depth > send ? depth : send);
	if (n.len > bits)
		n.len = (uint8_t)bits;
	for (unsigned i = n.len; i < bits; i++)
		set_bit(n.addr, i, 0);
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1 << 20;
		struct net *p = realloc(w->out, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		w->out = p;
		w->cap = cap;
	}
	w->out[w->n++] = n;
	if (fam == 4)
		w->n4++;
	else
		w->n6++;
	return 0;
}

static int walk_node(struct walk *w, uint32_t node, unsigned depth, uint8_t *addr);

/* True only for the genuine ::/96 position of the IPv4 subtree. */
static int is_v4_root(const uint8_t *addr, unsigned depth)
{
	if (depth != 96)
		return 0;
	for (int i = 0; i < 12; i++)
		if (addr[i])
			return 0;
	return 1;
}

static int walk_record(struct walk *w, uint64_t rec, uint8_t type, unsigned depth,
		       uint8_t *addr)
{
	if (type == MMDB_RECORD_TYPE_SEARCH_NODE) {
		/* Aliases of the IPv4 subtree elsewhere in an IPv6 tree. */
		if (w->v6tree && rec == w->v4_start && !is_v4_root(addr, depth))
			return 0;
		return walk_node(w, (uint32_t)rec, depth, addr);
	}
	if (type != MMDB_RECORD_TYPE_DATA)
		return 0;
	if (!w->v6tree)
		return add_net(w, addr, depth, 4);
	if (depth >= 96) {
		int v4 = 1;
		for (int i = 0; i < 12; i++)
			v4 &= addr[i] == 0;
		if (v4)
			return add_net(w, addr + 12, depth - 96, 4);
	}
	return add_net(w, addr, depth, 6);
}

static int walk_node(struct walk *w, uint32_t node, unsigned depth, uint8_t *addr)
{
	MMDB_search_node_s sn;
	unsigned bits = w->v6tree ? 128 : 32;
	int rc;
	if (depth >= bits)
		return 0;
	if (MMDB_read_node(w->db, node, &sn) != MMDB_SUCCESS)
		return -EINVAL;
	set_bit(addr, depth, 0);
	rc = walk_record(w, sn.left_record, sn.left_record_type, depth + 1, addr);
	if (rc < 0)
		return rc;
	set_bit(addr, depth, 1);
	rc = walk_record(w, sn.right_record, sn.right_record_type, depth + 1, addr);
	set_bit(addr, depth, 0);
	return rc;
}

static int walk_db(struct walk *w, const char *path)
{
	MMDB_s db;
	uint8_t addr[16] = {0};
	int rc = MMDB_open(path, MMDB_MODE_MMAP, &db);
	if (rc != MMDB_SUCCESS) {
		fprintf(stderr, "mmdb_nets: %s: %s\n", path, MMDB_strerror(rc));
		return -1;
	}
	w->db = &db;
	w->v6tree = db.metadata.ip_version == 6;
	w->v4_start = 0;
	if (w->v6tree) {
		/* Follow 96 zero bits from the root to find the IPv4 subtree. */
		uint32_t node = 0;
		MMDB_search_node_s sn;
		int i;
		for (i = 0; i < 96; i++) {
			if (MMDB_read_node(&db, node, &sn) != MMDB_SUCCESS ||
			    sn.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE)
				break;
			node = (uint32_t)sn.left_record;
		}
		/* An IPv6-only DB has no IPv4 subtree, hence no aliases of it. */
		w->v4_start = i == 96 ? node : UINT32_MAX;
	}
	rc = walk_node(w, 0, 0, addr);
	MMDB_close(&db);
	if (rc < 0)
		fprintf(stderr, "mmdb_nets: %s: broken search tree\n", path);
	return rc;
}

int main(int argc, char **argv)
{
	struct walk w;
	const char *out = NULL;
	FILE *f = stdout;
	int opt, binary = 0;
	char buf[INET6_ADDRSTRLEN];
	memset(&w, 0, sizeof w);
	w.max4 = 24;
	w.max6 = 56;
	w.rng = 20261122;
	while ((opt = getopt(argc, argv, "s:4:6:o:b")) != -1) {
		switch (opt) {
		case 's': w.rng = strtoull(optarg, NULL, 10); break;
		case '4': w.max4 = (unsigned)atoi(optarg); break;
		case '6': w.max6 = (unsigned)atoi(optarg); break;
		case 'o': out = optarg; break;
		case 'b': binary = 1; break;
		default:
			fprintf(stderr, "usage: mmdb_nets [-s SEED] [-4 LEN] [-6 LEN] [-b] [-o FILE] DB...\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "mmdb_nets: no database given\n");
		return 2;
	}
	for (int i = optind; i < argc; i++)
		if (walk_db(&w, argv[i]) < 0)
			return 1;
	for (size_t i = w.n; i > 1; i--) {
		size_t j = (size_t)(rnd(&w.rng) % i);
		struct net t = w.out[i - 1];
		w.out[i - 1] = w.out[j];
		w.out[j] = t;
	}
	if (out && !(f = fopen(out, "w"))) {
		perror(out);
		return 1;
	}
	for (size_t i = 0; i < w.n; i++) {
		if (binary) {
			fwrite(&w.out[i], sizeof w.out[i], 1, f);
			continue;
		}
		inet_ntop(w.out[i].fam == 4 ? AF_INET : AF_INET6, w.out[i].addr, buf, sizeof buf);
		fprintf(f, "%s/%u\n", buf, w.out[i].len);
	}
	if (fclose(f) != 0) {
		perror(out ? out : "stdout");
		return 1;
	}
	fprintf(stderr, "mmdb_nets: %zu networks (%zu IPv4, %zu IPv6)\n", w.n, w.n4, w.n6);
	free(w.out);
	return 0;
}
