/*
 * config_test_util.h: the fixture used by test_config.c, test_geo_config.c
 * and test_anycast_config.c. Each test runs in a fresh temporary directory
 * (so YAML files have short fixed names and the expected "file:line:col"
 * sits next to the text), writes files there with put(), and loads c.yaml
 * through config_load() with cfg_ok() / cfg_fail(). The directory and all
 * it holds (files, symlinks, subdirectories) is removed by cfg_tmp_leave().
 */
#ifndef STEERDNS_CONFIG_TEST_UTIL_H
#define STEERDNS_CONFIG_TEST_UTIL_H

#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "server/modules.h"
#include "common/dname.h"

static char tmpdir[64];
static char olddir[PATH_MAX];
static char err[CONFIG_ERRLEN]; /* the last load's message */

/* Make /tmp/steerdns-<tag>-XXXXXX and chdir into it; cfg_tmp_leave()
 * goes back to the directory we came from. */
__attribute__((unused)) static void cfg_tmp_enter(const char *tag)
{
	ck_assert_ptr_nonnull(getcwd(olddir, sizeof(olddir)));
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/steerdns-%s-XXXXXX", tag);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_eq(chdir(tmpdir), 0);
}

static int cfg_tmp_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0; /* keep going: remove as much as we can */
}

/* Back to where cfg_tmp_enter() was called, then remove the temporary
 * directory depth first, not following symlinks (the test DB links point
 * at common files that must survive). */
__attribute__((unused)) static void cfg_tmp_leave(void)
{
	if (chdir(olddir) == 0 && tmpdir[0])
		nftw(tmpdir, cfg_tmp_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write text to name (relative to the temporary directory). */
__attribute__((unused)) static void put(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Load c.yaml with this text; it must fail. Returns the message (in err,
 * valid until the next load). */
__attribute__((unused)) static const char *cfg_fail(const char *text)
{
	struct config *cfg = NULL;
	put("c.yaml", text);
	err[0] = 0;
	ck_assert_int_eq(config_load("c.yaml", &cfg, err), -1);
	ck_assert_ptr_null(cfg);
	return err;
}

/* Load c.yaml with this text; it must succeed. The caller frees the
 * config. */
__attribute__((unused)) static struct config *cfg_ok(const char *text)
{
	struct config *cfg = NULL;
	put("c.yaml", text);
	err[0] = 0;
	int rc = config_load("c.yaml", &cfg, err);
	ck_assert_msg(rc == 0, "config_load failed: %s", err);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

/* A name in wire form, in one of four rotating static buffers (so two
 * may be compared in one assertion). */
__attribute__((unused)) static const uint8_t *N(const char *text)
{
	static uint8_t buf[4][DNAME_MAXLEN];
	static int i;
	uint8_t *b = buf[i++ & 3];
	ck_assert_int_gt(dname_from_text(text, NULL, b), 0);
	return b;
}

/* Lines 2..9 of a zone file, after its origin: a valid SOA. */
#define ZSOA                                                                          \
	"soa:\n"                                                                      \
	"  mname: ns1\n"                                                              \
	"  rname: hostmaster\n"                                                       \
	"  serial: 1\n"                                                               \
	"  refresh: 3600\n"                                                           \
	"  retry: 900\n"                                                              \
	"  expire: 1209600\n"                                                         \
	"  minimum: 300\n"

/* A zone file head for the GeoDNS and anycast steer tests (lines 1..11):
 * records start at line 12. */
#define STEER_ZREC "origin: geo.test.\n" ZSOA "records:\n  \"@\": { NS: ns1.example.net. }\n"

#endif
