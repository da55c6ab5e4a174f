/*
 * test_dnssec_keys: the zone key, its DNSKEY/DS and the RRSIGs of
 * common/dnssec_zone.c and common/dnssec_sign.c against values computed
 * without them:
 *
 *  - keys: the example private keys of RFC 8080 6.1 (Ed25519) and RFC 6605
 *    6.1 (ECDSA P-256), as PKCS #8 PEM in tests/data/dnssec (README there);
 *    the DNSKEY, key tag and SHA-256 DS the zone publishes must be the
 *    RFC's, printed in those sections;
 *  - signatures: the RRSIG header fields from RFC 4034 3.1 by hand, the
 *    signed data (RFC 4034 3.1.8.1: RRSIG rdata without the signature, then
 *    the RRset in canonical form and order, 6.2 and 6.3) built here, and
 *    the signature checked by OpenSSL's libcrypto (libdnssec signs through
 *    GnuTLS): Ed25519 is deterministic (RFC 8032), so OpenSSL's signature
 *    over our signed data must equal ours byte for byte; ECDSA is
 *    randomized, so OpenSSL verifies it with the RFC's public key (r||s,
 *    RFC 6605 4, turned into DER here);
 *  - the cache: an ECDSA signature asked twice comes back identical (a new
 *    one would differ: a fresh k each time).
 * The NSEC bytes and canonical rdata are test_dnssec_sign's.
 */
#include <check.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/dname.h"
#include "common/dnssec_sign.h"
#include "common/dnssec_zone.h"
#include "common/zone.h"

#ifndef DATA_DIR
#define DATA_DIR "tests/data/dnssec"
#endif

/* The example keys, their DNSKEY public key and SHA-256 DS as the RFCs print them. */
struct vec {
	const char *pem, *origin;
	uint8_t alg;
	const char *pub_b64;
	uint16_t tag;
	const char *ds_hex;
};
static const struct vec RFC8080 = {
	"rfc8080-ed25519.pem", "example.com.", 15, "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 3613,
	"3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b",
};
static const struct vec RFC6605 = {
	"rfc6605-p256.pem", "example.net.", 13,
	"GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
	55648, "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17",
};

static const uint32_t NOW = 1700000000u;  /* a fixed clock */

static size_t b64(const char *in, uint8_t *out)
{
	int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)strlen(in));
	ck_assert_int_gt(n, 0);
	size_t len = strlen(in);
	while (len && in[len - 1] == '=') {  /* EVP_DecodeBlock counts the padding */
		n--;
		len--;
	}
	return (size_t)n;
}

static size_t unhex(const char *in, uint8_t *out)
{
	size_t n = strlen(in) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf(in + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void name(const char *text, uint8_t *out)
{
	static const uint8_t root[1] = { 0 };
	ck_assert_int_ge(dname_from_text(text, root, out), 0);
}

static char keydir[64];

/* A minimal zone at v->origin signed with v's key (copied into a fresh key_dir). */
static struct zone *signed_zone(const struct vec *v)
{
	snprintf(keydir, sizeof(keydir), "/tmp/steerdns-dnssec-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(keydir));
	char src[256], dst[128], buf[4096];
	snprintf(src, sizeof(src), "%s/%s", DATA_DIR, v->pem);
	snprintf(dst, sizeof(dst), "%s/k.pem", keydir);
	FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	size_t n = fread(buf, 1, sizeof(buf), in);
	ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);

	uint8_t origin[DNAME_MAXLEN], ns[DNAME_MAXLEN], soa[512];
	name(v->origin, origin);
	name("ns.example.", ns);
	size_t nl = dname_len(ns), sl = 0;
	memcpy(soa, ns, nl);
	memcpy(soa + nl, ns, nl);
	sl = 2 * nl;
	static const uint8_t nums[20] = { 0, 0, 0, 1, 0, 0, 0x0e, 0x10, 0, 0, 0x0e, 0x10,
		                          0, 0, 0x0e, 0x10, 0, 0, 0x0e, 0x10 };
	memcpy(soa + sl, nums, sizeof(nums));
	sl += sizeof(nums);
	char err[256];
	struct zone *z = zone_new(origin, "test");
	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq(zone_add_rr(z, origin, RRT_SOA, 3600, soa, (uint16_t)sl, err, sizeof(err)), 0);
	ck_assert_int_eq(zone_add_rr(z, origin, RRT_NS, 3600, ns, (uint16_t)nl, err, sizeof(err)), 0);
	ck_assert_msg(zone_finish(z, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(dnssec_zone_setup(z, keydir, v->alg, err, sizeof(err)) == 0, "%s", err);
	return z;
}

static void drop_zone(struct zone *z)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/k.pem", keydir);
	unlink(p);
	rmdir(keydir);
	zone_free(z);
}

/* The DNSKEY, CDNSKEY and CDS at the apex and the DS are the RFC's. */
static void check_key(const struct vec *v)
{
	struct zone *z = signed_zone(v);
	uint8_t want[256];
	want[0] = 0x01;  /* flags 257: Zone Key + SEP */
	want[1] = 0x01;
	want[2] = 3;     /* protocol */
	want[3] = v->alg;
	size_t wl = 4 + b64(v->pub_b64, want + 4);
	static const uint16_t types[2] = { RRT_DNSKEY, RRT_CDNSKEY };
	for (int i = 0; i < 2; i++) {
		const struct rrset *s = znode_rrset(z->apex, types[i]);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(s->count, 1);
		ck_assert_uint_eq(s->rr[0].len, wl);
		ck_assert_mem_eq(s->rr[0].data, want, wl);
	}
	ck_assert_uint_eq(z->dnssec->keytag, v->tag);

	uint8_t ds[128], wds[128];
	wds[0] = (uint8_t)(v->tag >> 8);
	wds[1] = (uint8_t)v->tag;
	wds[2] = v->alg;
	wds[3] = 2;
	size_t dl = 4 + unhex(v->ds_hex, wds + 4);
	ck_assert_int_eq(dnssec_zone_ds(z->dnssec, 2, ds, sizeof(ds)), (int)dl);
	ck_assert_mem_eq(ds, wds, dl);
	const struct rrset *cds = znode_rrset(z->apex, RRT_CDS);
	ck_assert_ptr_nonnull(cds);
	ck_assert_uint_eq(cds->rr[0].len, dl);
	ck_assert_mem_eq(cds->rr[0].data, wds, dl);
	drop_zone(z);
}

START_TEST(ed25519_key_is_rfc8080s) { check_key(&RFC8080); }
END_TEST

START_TEST(p256_key_is_rfc6605s) { check_key(&RFC6605); }
END_TEST

/* A name in wire form, lowercased (RFC 4034 6.2). */
static size_t lower(const uint8_t *in, uint8_t *out)
{
	size_t n = dname_len(in);
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)((in[i] >= 'A' && in[i] <= 'Z') ? in[i] + 32 : in[i]);
	return n;
}

/*
 * The signed data of RFC 4034 3.1.8.1 for sig's header (everything before
 * the signature, hdrlen bytes) over the MX records mx[0..n) given here
 * already in canonical order and lowercase, at owner (lowercased here).
 */
static size_t signed_data(const uint8_t *sig, size_t hdrlen, const uint8_t *owner,
                          const uint8_t *const *mx, const size_t *mxlen, int n, uint8_t *out)
{
	size_t p = 0;
	memcpy(out, sig, hdrlen);
	p = hdrlen;
	for (int i = 0; i < n; i++) {
		p += lower(owner, out + p);
		static const uint8_t t[8] = { 0, 15, 0, 1, 0, 0, 0x0e, 0x10 };  /* MX IN 3600 */
		memcpy(out + p, t, 8);
		p += 8;
		out[p++] = (uint8_t)(mxlen[i] >> 8);
		out[p++] = (uint8_t)mxlen[i];
		memcpy(out + p, mx[i], mxlen[i]);
		p += mxlen[i];
	}
	return p;
}

/* MX rdata: preference then the exchange name (as written, any case). */
static size_t mx_rdata(uint16_t pref, const char *exch, uint8_t *out)
{
	out[0] = (uint8_t)(pref >> 8);
	out[1] = (uint8_t)pref;
	uint8_t n[DNAME_MAXLEN];
	name(exch, n);
	size_t l = dname_len(n);
	memcpy(out + 2, n, l);
	return 2 + l;
}

/*
 * Sign a two-record MX RRset given in mixed case and out of canonical
 * order at a mixed-case owner; check the RRSIG header by RFC 4034 3.1 and
 * return the rdata (in *sig) and where its signature starts (*hdrlen), with
 * the signed data built independently in data (datalen bytes).
 */
static void sign_mx(const struct zone *z, const char *owner_text, struct rdata *sig,
                    size_t *hdrlen, uint8_t *data, size_t *datalen)
{
	uint8_t owner[DNAME_MAXLEN], a[300], b[300], la[300], lb[300];
	name(owner_text, owner);
	/* As given: "20 Mail2.EXAMPLE.com." then "10 mail.Example.COM.". */
	size_t al = mx_rdata(20, "Mail2.EXAMPLE.com.", a);
	size_t bl = mx_rdata(10, "mail.Example.COM.", b);
	struct rdata rr[2] = { { (uint16_t)al, a }, { (uint16_t)bl, b } };
	ck_assert_int_eq(dnssec_sign_rrset(z->dnssec, owner, RRT_MX, 3600, rr, 2, NOW, sig), 0);

	const uint8_t *s = sig->data;
	ck_assert_uint_ge(sig->len, 18);
	ck_assert_uint_eq((unsigned)(s[0] << 8 | s[1]), RRT_MX);  /* type covered */
	ck_assert_uint_eq(s[2], z->dnssec->algorithm);
	ck_assert_uint_eq(s[3], dname_labels(owner));             /* labels, no wildcard */
	uint32_t ttl = (uint32_t)s[4] << 24 | (uint32_t)s[5] << 16 | (uint32_t)s[6] << 8 | s[7];
	uint32_t exp = (uint32_t)s[8] << 24 | (uint32_t)s[9] << 16 | (uint32_t)s[10] << 8 | s[11];
	uint32_t inc = (uint32_t)s[12] << 24 | (uint32_t)s[13] << 16 | (uint32_t)s[14] << 8 | s[15];
	ck_assert_uint_eq(ttl, 3600);
	ck_assert_uint_le(inc, NOW);      /* valid now ... */
	ck_assert_uint_gt(exp, NOW + 86400u);  /* ... and for more than a day */
	ck_assert_uint_eq((unsigned)(s[16] << 8 | s[17]), z->dnssec->keytag);
	uint8_t signer[DNAME_MAXLEN];
	size_t sn = lower(z->origin, signer);
	ck_assert_uint_ge(sig->len, 18 + sn);
	ck_assert_mem_eq(s + 18, signer, sn);  /* signer = zone, lowercase (RFC 6840 5.1) */
	*hdrlen = 18 + sn;

	/* Canonical: names lowercased, then ordered by rdata bytes (10 < 20). */
	lower(b + 2, lb + 2);
	lb[0] = b[0], lb[1] = b[1];
	lower(a + 2, la + 2);
	la[0] = a[0], la[1] = a[1];
	const uint8_t *mx[2] = { lb, la };
	size_t mxlen[2] = { bl, al };
	*datalen = signed_data(s, *hdrlen, owner, mx, mxlen, 2, data);
}

/* Ed25519: OpenSSL's signature over our signed data is ours, byte for byte. */
START_TEST(ed25519_rrsig_equals_openssl)
{
	struct zone *z = signed_zone(&RFC8080);
	struct rdata sig;
	size_t hdr, dlen;
	static uint8_t data[4096];
	sign_mx(z, "ExAmple.COM.", &sig, &hdr, data, &dlen);
	ck_assert_uint_eq(sig.len - hdr, 64);

	uint8_t priv[64];
	ck_assert_uint_eq(b64("ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=", priv), 32);
	EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	ck_assert_ptr_nonnull(pk);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t want[64];
	size_t wl = sizeof(want);
	ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk), 1);
	ck_assert_int_eq(EVP_DigestSign(ctx, want, &wl, data, dlen), 1);
	ck_assert_uint_eq(wl, 64);
	ck_assert_mem_eq(sig.data + hdr, want, 64);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	drop_zone(z);
}
END_TEST

/* ECDSA P-256 with SHA-256: OpenSSL verifies our r||s with the RFC's public key. */
static int ecdsa_verify(const uint8_t *pub64, const uint8_t *rs, const uint8_t *data, size_t dlen)
{
	uint8_t spki[91];
	/* SubjectPublicKeyInfo of a P-256 point: fixed DER prefix, then 04||x||y. */
	static const uint8_t pre[27] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
		                         0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
		                         0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04 };
	memcpy(spki, pre, sizeof(pre));
	memcpy(spki + sizeof(pre), pub64, 64);
	const unsigned char *p = spki;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, sizeof(spki));
	ck_assert_ptr_nonnull(pk);
	ECDSA_SIG *es = ECDSA_SIG_new();
	ECDSA_SIG_set0(es, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL));
	unsigned char *der = NULL;
	int derlen = i2d_ECDSA_SIG(es, &der);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pk), 1);
	int ok = EVP_DigestVerify(ctx, der, (size_t)derlen, data, dlen);
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_PKEY_free(pk);
	return ok;
}

START_TEST(p256_rrsig_verifies_in_openssl)
{
	struct zone *z = signed_zone(&RFC6605);
	struct rdata sig;
	size_t hdr, dlen;
	static uint8_t data[4096];
	sign_mx(z, "www.EXAMPLE.net.", &sig, &hdr, data, &dlen);
	ck_assert_uint_eq(sig.len - hdr, 64);
	uint8_t pub[80], rs[64];
	ck_assert_uint_eq(b64(RFC6605.pub_b64, pub), 64);
	memcpy(rs, sig.data + hdr, 64);
	ck_assert_int_eq(ecdsa_verify(pub, rs, data, dlen), 1);
	/* A changed byte of the signed data fails: the check can fail. */
	data[dlen - 1] ^= 1;
	ck_assert_int_ne(ecdsa_verify(pub, rs, data, dlen), 1);
	data[dlen - 1] ^= 1;

	/* The same RRset again: the cached signature (a new ECDSA one would
	 * differ in r). */
	size_t hdr2, dlen2;
	static uint8_t data2[4096];
	struct rdata sig2;
	sign_mx(z, "www.EXAMPLE.net.", &sig2, &hdr2, data2, &dlen2);
	ck_assert_uint_eq(sig2.len, hdr + 64);
	ck_assert_mem_eq(sig2.data + hdr2, rs, 64);
	drop_zone(z);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("dnssec_keys");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, ed25519_key_is_rfc8080s);
	tcase_add_test(tc, p256_key_is_rfc6605s);
	tcase_add_test(tc, ed25519_rrsig_equals_openssl);
	tcase_add_test(tc, p256_rrsig_verifies_in_openssl);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
