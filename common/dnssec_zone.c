/* dnssec_zone.c: a zone's CSK and its apex records; see dnssec_zone.h. */
#include "common/dnssec_zone.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libdnssec/binary.h>
#include <libdnssec/crypto.h>
#include <libdnssec/error.h>
#include <libdnssec/key.h>
#include <libdnssec/keystore.h>

#include "common/dname.h"
#include "common/errmsg.h"

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t next_id = 1;

static void crypto_init(void)
{
	dnssec_crypto_init();
}

int dnssec_algorithm_from_name(const char *name)
{
	if (strcasecmp(name, "ecdsap256sha256") == 0 || strcmp(name, "13") == 0)
		return 13;
	if (strcasecmp(name, "ed25519") == 0 || strcmp(name, "15") == 0)
		return 15;
	return -1;
}

/* The ID of the one key in dir ("<id>.pem"), NULL when there is none; -1
 * through *many when there are several. */
static char *find_key(const char *dir, int *many)
{
	DIR *d = opendir(dir);
	char *id = NULL;
	*many = 0;
	if (!d)
		return NULL;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= 4 || strcmp(e->d_name + n - 4, ".pem") != 0)
			continue;
		if (id) {
			*many = 1;
			break;
		}
		id = strndup(e->d_name, n - 4);
	}
	closedir(d);
	return id;
}

/* The key in key_dir, generated first when there is none. */
static int load_key(const char *key_dir, uint8_t alg, const uint8_t *origin,
                    dnssec_key_t **out, char *err, size_t errlen)
{
	dnssec_keystore_t *ks = NULL;
	dnssec_key_t *key = NULL;
	char *id = NULL;
	int many = 0, r;

	if (mkdir(key_dir, 0700) < 0 && errno != EEXIST) {
		errmsg_set(err, errlen, "dnssec: cannot create key_dir %s: %s", key_dir, strerror(errno));
		return -1;
	}
	if ((r = dnssec_keystore_init_pkcs8(&ks)) != DNSSEC_EOK ||
	    (r = dnssec_keystore_open(ks, key_dir)) != DNSSEC_EOK) {
		errmsg_set(err, errlen, "dnssec: key_dir %s: %s", key_dir, dnssec_strerror(r));
		goto fail;
	}
	id = find_key(key_dir, &many);
	if (many) {
		errmsg_set(err, errlen, "dnssec: key_dir %s holds more than one key (.pem)", key_dir);
		goto fail;
	}
	if (!id) {
		/* First load: one CSK. The size argument is the curve's. */
		unsigned bits = alg == 13 ? 256 : 256;
		if ((r = dnssec_keystore_generate(ks, alg, bits, NULL, &id)) != DNSSEC_EOK) {
			errmsg_set(err, errlen, "dnssec: cannot create a key in %s: %s", key_dir,
			           dnssec_strerror(r));
			goto fail;
		}
	}
	if ((r = dnssec_key_new(&key)) != DNSSEC_EOK ||
	    (r = dnssec_key_set_algorithm(key, alg)) != DNSSEC_EOK ||
	    (r = dnssec_keystore_get_private(ks, id, key)) != DNSSEC_EOK) {
		errmsg_set(err, errlen, "dnssec: key %s/%s.pem: %s (is it a key of algorithm %u?)",
		           key_dir, id, dnssec_strerror(r), alg);
		goto fail;
	}
	if ((r = dnssec_key_set_flags(key, DNSSEC_CSK_FLAGS)) != DNSSEC_EOK ||
	    (r = dnssec_key_set_dname(key, origin)) != DNSSEC_EOK) {
		errmsg_set(err, errlen, "dnssec: key %s: %s", id, dnssec_strerror(r));
		goto fail;
	}
	free(id);
	dnssec_keystore_deinit(ks);
	*out = key;
	return 0;
fail:
	free(id);
	dnssec_key_free(key);
	if (ks)
		dnssec_keystore_deinit(ks);
	return -1;
}

int dnssec_zone_ds(const struct dnssec_zone *dz, uint8_t digest, uint8_t *out, size_t cap)
{
	dnssec_binary_t ds = { 0 };
	if (dnssec_key_create_ds(dz->key, digest, &ds) != DNSSEC_EOK)
		return -1;
	int n = -1;
	if (ds.size <= cap) {
		memcpy(out, ds.data, ds.size);
		n = (int)ds.size;
	}
	dnssec_binary_free(&ds);
	return n;
}

int dnssec_zone_setup(struct zone *z, const char *key_dir, uint8_t algorithm, char *err,
                      size_t errlen)
{
	pthread_once(&crypto_once, crypto_init);
	if (!dnssec_algorithm_key_support(algorithm)) {
		errmsg_set(err, errlen, "dnssec: algorithm %u is not supported here", algorithm);
		return -1;
	}
	dnssec_key_t *key = NULL;
	if (load_key(key_dir, algorithm, z->origin, &key, err, errlen) < 0)
		return -1;
	struct dnssec_zone *dz = calloc(1, sizeof(*dz));
	if (!dz) {
		dnssec_key_free(key);
		errmsg_set(err, errlen, "out of memory");
		return -1;
	}
	dz->key = key;
	dz->algorithm = algorithm;
	dz->keytag = dnssec_key_get_keytag(key);
	dz->id = atomic_fetch_add(&next_id, 1);
	dz->signer = z->origin;
	dz->signer_len = z->origin_len;
	pthread_mutex_init(&dz->sign_lock, NULL);
	z->dnssec = dz;

	/* DNSKEY and CDNSKEY carry the same rdata (RFC 7344 3.2), CDS the
	 * DS the parent should hold (SHA-256, RFC 8624 3.3). */
	char msg[256];
	uint8_t ds[128];
	dnssec_binary_t rd = { 0 };
	const struct rrset *soa = znode_rrset(z->apex, RRT_SOA);
	uint32_t ttl = soa ? soa->ttl : 3600;
	int dslen = dnssec_zone_ds(dz, 2, ds, sizeof(ds));
	if (dnssec_key_get_rdata(key, &rd) != DNSSEC_EOK || dslen < 0) {
		errmsg_set(err, errlen, "dnssec: cannot encode the key");
		return -1;
	}
	if (zone_add_rr(z, z->origin, RRT_DNSKEY, ttl, rd.data, (uint16_t)rd.size, msg,
	                sizeof(msg)) < 0 ||
	    zone_add_rr(z, z->origin, RRT_CDNSKEY, ttl, rd.data, (uint16_t)rd.size, msg,
	                sizeof(msg)) < 0 ||
	    zone_add_rr(z, z->origin, RRT_CDS, ttl, ds, (uint16_t)dslen, msg, sizeof(msg)) < 0) {
		errmsg_set(err, errlen, "dnssec: %s", msg);
		return -1;
	}
	return 0;
}

void dnssec_zone_free(struct dnssec_zone *dz)
{
	if (!dz)
		return;
	dnssec_key_free(dz->key);
	pthread_mutex_destroy(&dz->sign_lock);
	free(dz);
}
