/* dnssec_cmd.c: the `dnssec` subcommand; see dnssec_cmd.h. */
#include "server/dnssec_cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/dname.h"
#include "common/dnssec_zone.h"
#include "server/modules.h"

#define DEFAULT_CONFIG "/etc/steerdns/steerdns.yaml"

static int usage(void)
{
	fprintf(stderr, "usage: steerdns dnssec [-c FILE] ds ZONE\n");
	return 2;
}

/* "ZONE. IN DS tag alg digest-type HEX", hex in capitals. */
static void print_ds(const uint8_t *origin, const uint8_t *ds, int len)
{
	char name[DNAME_MAXTEXT];
	dname_to_text(origin, name, sizeof(name));
	printf("%s IN DS %u %u %u ", name, (unsigned)ds[0] << 8 | ds[1], ds[2], ds[3]);
	for (int i = 4; i < len; i++)
		printf("%02X", ds[i]);
	printf("\n");
}

int dnssec_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = DEFAULT_CONFIG;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		if (ch != 'c')
			return usage();
		config = optarg;
	}
	if (argc - optind != 2 || strcmp(argv[optind], "ds") != 0)
		return usage();
	uint8_t want[DNAME_MAXLEN];
	static const uint8_t root[1] = { 0 };
	if (dname_from_text(argv[optind + 1], root, want) < 0) {
		fprintf(stderr, "steerdns dnssec: bad zone name '%s'\n", argv[optind + 1]);
		return 2;
	}

	struct config *cfg = NULL;
	char err[CONFIG_ERRLEN];
	if (config_load(config, &cfg, err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	int rc = 1;
	const struct zone *z = NULL;
	for (size_t i = 0; i < cfg->zones.count; i++)
		if (dname_equal(cfg->zones.zones[i]->origin, want))
			z = cfg->zones.zones[i];
	uint8_t ds[128];
	int len;
	if (!z)
		fprintf(stderr, "steerdns dnssec: %s serves no zone %s\n", config, argv[optind + 1]);
	else if (!z->dnssec)
		fprintf(stderr, "steerdns dnssec: zone %s is not signed (no dnssec: in its zones entry)\n",
		        argv[optind + 1]);
	else if ((len = dnssec_zone_ds(z->dnssec, 2, ds, sizeof(ds))) < 4)
		fprintf(stderr, "steerdns dnssec: cannot compute the DS\n");
	else {
		print_ds(z->origin, ds, len);
		rc = 0;
	}
	config_free(cfg);
	return rc;
}
