/*
 * compare_cmd.c: the `steerdns compare` command line: options, the
 * config's PoPs and GeoIP tree, every input read, then the reports.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "compare/cmp_ctx.h"
#include "compare/cmp_report.h"
#include "compare/compare.h"
#include "geodns/geo_compile.h"
#include "server/modules.h"

#define DEFAULT_CONFIG "/etc/steerdns/steerdns.yaml"

static void usage(FILE *f)
{
	fprintf(f, "usage: steerdns compare [-c CONFIG] [--json FILE] [--html FILE] "
	           "[--min-samples N] [--failover-gap SECONDS] INPUT...\n"
	           "       steerdns compare [-c CONFIG] --save-partial FILE INPUT...\n"
	           "       steerdns compare [-c CONFIG] --sql clickhouse [--sql-table NAME]\n"
	           "  INPUT: probe results, decision logs, RIPE Atlas results (JSON Lines or a\n"
	           "  JSON array), RTT CSV (client,pop,rtt_ms) or partial files written by\n"
	           "  --save-partial; the format is detected. --save-partial writes what was\n"
	           "  read (the aggregate state) instead of a report, for merging later.\n"
	           "  --sql clickhouse prints the query for the main figures of decision logs\n"
	           "  in ClickHouse (table steerdns_decisions, compare/formats.md).\n"
	           "  --failover-gap: a PoP silent this long in a method's answers may be\n"
	           "  down (default 10; partial files merge only with the same gap).\n");
}

int compare_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "min-samples", required_argument, NULL, 'm' },
		{ "save-partial", required_argument, NULL, 'P' },
		{ "sql", required_argument, NULL, 'S' },
		{ "sql-table", required_argument, NULL, 'T' },
		{ "failover-gap", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = DEFAULT_CONFIG, *json = NULL, *html = NULL, *partial = NULL;
	const char *sql = NULL, *table = "steerdns_decisions";
	unsigned long min_samples = 30;
	int64_t gap_ms = CMP_FAILOVER_GAP_MS;
	struct config *cfg = NULL;
	struct cmp_ctx *c = NULL;
	struct cmp_report *r = NULL;
	char err[CONFIG_ERRLEN];
	int ch, rc = 1;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'j':
			json = optarg;
			break;
		case 'H':
			html = optarg;
			break;
		case 'P':
			partial = optarg;
			break;
		case 'S':
			sql = optarg;
			if (strcmp(sql, "clickhouse") != 0) {
				fprintf(stderr, "steerdns compare: --sql knows only 'clickhouse'\n");
				return 2;
			}
			break;
		case 'T':
			table = optarg;
			if (!*table || strspn(table, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			                             "0123456789_.") != strlen(table)) {
				fprintf(stderr, "steerdns compare: bad --sql-table '%s'\n", table);
				return 2;
			}
			break;
		case 'm': {
			char *end;
			min_samples = strtoul(optarg, &end, 10);
			if (!*optarg || *end || min_samples > 1000000000) {
				fprintf(stderr, "steerdns compare: bad --min-samples '%s'\n", optarg);
				return 2;
			}
			break;
		}
		case 'g': {
			char *end;
			double v = strtod(optarg, &end);
			if (!*optarg || *end || !(v >= 0.001 && v <= 86400 * 7)) {
				fprintf(stderr, "steerdns compare: bad --failover-gap '%s' (seconds, "
				                "0.001 to 604800)\n", optarg);
				return 2;
			}
			gap_ms = (int64_t)(v * 1000 + 0.5);
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "steerdns compare: bad option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc && !sql) {
		fprintf(stderr, "steerdns compare: give at least one input file\n");
		usage(stderr);
		return 2;
	}
	if (config_load(config, &cfg, err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!cfg->geo || !cfg->geo->n_pops) {
		fprintf(stderr, "%s: compare needs the PoPs of a `pops:` section\n", config);
		goto out;
	}
	if (sql) {
		rc = cmp_sql_clickhouse(cfg->geo, table, stdout) == 0 ? 0 : 1;
		goto out;
	}
	c = cmp_ctx_new(cfg->geo, cfg->geo_compiled ? cfg->geo_compiled->loc_tree : NULL, stderr);
	if (!c)
		goto out;
	c->progress = isatty(STDERR_FILENO);
	c->gap_ms = gap_ms;
	/* RTT CSVs first: lines are rated for the time series as they are
	 * read, with the RTT rows known by then. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = optind; i < argc; i++)
			if (cmp_file_is_rtt_csv(argv[i]) == (pass == 0) && cmp_read_file(c, argv[i]) < 0)
				goto out;
	if (partial) {
		/* Each shard reduces its own inputs; the merge reports. */
		if (cmp_save_partial(c, partial, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			goto out;
		}
		rc = 0;
		goto out;
	}
	r = cmp_report_build(c, (unsigned)min_samples);
	if (!r) {
		fprintf(stderr, "steerdns compare: out of memory\n");
		goto out;
	}
	cmp_report_text(r, stdout);
	if (json && cmp_report_json(r, json, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	if (html && cmp_report_html(r, html, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	rc = 0;
out:
	cmp_report_free(r);
	cmp_ctx_free(c);
	config_free(cfg);
	return rc;
}
