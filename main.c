/*
 * main.c: the steerdns command line.
 *
 *   steerdns serve -c FILE [-v]   serve until SIGTERM (SIGHUP reloads)
 *   steerdns checkconf -c FILE [--print]   load config and zones, report (or print
 *                                 the effective configuration), exit
 *   steerdns checkconf --schema-markdown   the README's configuration reference
 *   steerdns lookup -c FILE ADDR[/LEN] [--resolver ADDR]   explain a GeoDNS answer
 *   steerdns probe -c FILE [...]  measure steering from a vantage point (compare/probe.h)
 *   steerdns compare [-c FILE] [--json F] [--html F] INPUT...  compare steering (compare/compare.h)
 *   steerdns dnssec -c FILE ds ZONE   print a signed zone's DS (server/dnssec_cmd.h)
 *   steerdns --help | --version
 *
 * Exit codes: 0 success, 1 bad configuration or runtime failure, 2 usage.
 *
 * The daemon's parts are wired here and in server/modules.c (the module
 * table handed to the config loader and the server); nothing below
 * this file and that table names them.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "common/conf_schema.h"
#include "common/config.h"
#include "server/dnssec_cmd.h"
#include "common/log.h"
#include "common/privdrop.h"
#include "common/server.h"
#include "common/zone.h"
#include "common/health.h"
#include "compare/compare.h"
#include "compare/probe.h"
#include "geodns/lookup_cmd.h"
#include "server/modules.h"

#define DEFAULT_CONFIG "/etc/steerdns/steerdns.yaml"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: steerdns COMMAND [OPTIONS]\n"
	        "\n"
	        "commands:\n"
	        "  serve -c FILE [-v]   serve DNS with the configuration in FILE\n"
	        "                       (SIGHUP reloads it, SIGTERM/SIGINT stop)\n"
	        "  checkconf -c FILE [--print]\n"
	        "                       load FILE and its zones, report errors, exit;\n"
	        "                       --print: write the effective configuration (YAML)\n"
	        "  checkconf --schema-markdown\n"
	        "                       write the configuration reference (Markdown)\n"
	        "  lookup -c FILE ADDR[/LEN] [--resolver ADDR]\n"
	        "                       explain the GeoDNS answer for a client address\n"
	        "                       (ADDR/LEN: as an ECS subnet sent by the resolver)\n"
	        "  probe -c FILE [...]  measure GeoDNS, anycast and PoP RTTs from here\n"
	        "                       (one JSON line; `steerdns probe --help`)\n"
	        "  compare [-c FILE] [--json F] [--html F] [--min-samples N] INPUT...\n"
	        "                       report which steering method picks the best PoP\n"
	        "  dnssec -c FILE ds ZONE\n"
	        "                       print the DS record of a signed zone's key\n"
	        "\n"
	        "options:\n"
	        "  -c, --config FILE    configuration file (default " DEFAULT_CONFIG ")\n"
	        "  -v, --verbose        log debug messages\n"
	        "  -h, --help           show this help\n"
	        "  -V, --version        show the version\n");
}

/* Records in every zone: the sum of RRset sizes over all nodes. */
static size_t count_records(const struct zoneset *zs)
{
	size_t n = 0;

	for (size_t i = 0; i < zs->count; i++) {
		const struct zone *z = zs->zones[i];
		if (!z->table)
			continue;
		for (size_t b = 0; b <= z->table_mask; b++)
			for (const struct znode *node = z->table[b]; node; node = node->hnext)
				for (const struct rrset *rs = node->rrsets; rs; rs = rs->next)
					n += rs->count;
	}
	return n;
}

struct opts {
	const char *config;
	int verbose;
	const char *resolver;   /* lookup --resolver */
	const char *client;     /* lookup's ADDR[/LEN] */
	int print;              /* checkconf --print */
	int schema_markdown;    /* checkconf --schema-markdown */
};

/* Parse the options after the subcommand. Returns 0, 1 for --help (done),
 * or -1 for a usage error. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "print", no_argument, NULL, 'P' },
		{ "schema-markdown", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	o->config = DEFAULT_CONFIG;
	o->verbose = 0;
	o->resolver = NULL;
	o->client = NULL;
	o->print = 0;
	o->schema_markdown = 0;
	optind = 1;
	opterr = 0;  /* we print usage ourselves */
	while ((ch = getopt_long(argc, argv, "c:vhr:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			o->resolver = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			return 1;
		case 'P':
		case 'M':
			if (strcmp(argv[0], "checkconf") != 0) {
				fprintf(stderr, "steerdns: %s is an option of checkconf\n", argv[optind - 1]);
				return -1;
			}
			*(ch == 'P' ? &o->print : &o->schema_markdown) = 1;
			break;
		default:
			if (optopt && optopt != '?')
				fprintf(stderr, "steerdns: bad option '-%c'\n", optopt);
			else
				fprintf(stderr, "steerdns: bad option '%s'\n", argv[optind - 1]);
			return -1;
		}
	}
	/* lookup takes one client argument; the others none. */
	if (!strcmp(argv[0], "lookup") && optind == argc - 1)
		o->client = argv[optind++];
	if (optind != argc) {
		fprintf(stderr, "steerdns: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* checkconf [--print | --schema-markdown]: load and report; --print
 * writes the effective configuration instead of the summary (the summary
 * goes to stderr then); --schema-markdown writes the configuration
 * reference of the README and loads nothing. */
static int cmd_checkconf(const struct opts *o)
{
	struct config *cfg = NULL;
	char err[CONFIG_ERRLEN];
	struct ydoc_key keys[CONFIG_MAX_SECTIONS];
	struct conf_schema schema = { keys, config_schema_keys(&steerdns_modules, keys,
	                                                       CONFIG_MAX_SECTIONS) };

	if (o->schema_markdown) {
		conf_markdown(&schema, stdout);
		return 0;
	}
	if (config_load(o->config, &cfg, err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	int rc = 0;
	if (o->print) {
		if (conf_print(&schema, o->config, cfg, stdout, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			rc = 1;
		}
	} else {
		printf("%s: OK (%zu zones, %zu records)\n", o->config, cfg->zones.count,
		       count_records(&cfg->zones));
	}
	config_free(cfg);
	return rc;
}

static int cmd_lookup(const struct opts *o)
{
	struct config *cfg = NULL;
	char err[CONFIG_ERRLEN];

	if (!o->client) {
		fprintf(stderr, "steerdns lookup: give a client address, ADDR or ADDR/LEN\n");
		return 2;
	}
	if (config_load(o->config, &cfg, err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	int rc = lookup_cmd(cfg, o->client, o->resolver, stdout);
	config_free(cfg);
	health_registry_free();
	return rc;
}

static int cmd_serve(const struct opts *o)
{
	struct config *cfg = NULL;
	struct server *srv = NULL;
	char err[CONFIG_ERRLEN];
	int rc = 1;

	/* A peer closing a TCP connection mid-write must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (o->verbose)
		log_set_level(LOG_LVL_DEBUG);
	if (config_load(o->config, &cfg, err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* Workers' loops are stopped from the control thread. */
	if (evthread_use_pthreads() != 0) {
		log_err("server", "libevent has no pthreads support");
		config_free(cfg);
		return 1;
	}
	srv = server_open(cfg, o->config, &steerdns_modules, err, sizeof(err));
	if (!srv) {
		log_err("server", "cannot bind %s", err);
		config_free(cfg);
		goto out;
	}
	/* cfg now belongs to srv; it may be freed by a reload, so take what
	 * we need from it before the workers start. */
	if (privdrop(cfg->server.user, cfg->server.group, err, sizeof(err)) != 0) {
		log_err("server", "cannot drop privileges: %s", err);
		goto out;
	}
	if (cfg->server.user || cfg->server.group) {
		log_info("server", "running as user %s group %s",
		         cfg->server.user ? cfg->server.user : "(unchanged)",
		         cfg->server.group ? cfg->server.group : "(user's)");
		/* Every later reload reads the files as this user: read them all
		 * again now, so that a file only root can read stops the start
		 * here instead of failing every SIGHUP while we look healthy.
		 * (A module may reuse what did not change, e.g. compiled GeoIP
		 * trees, as on any reload.) */
		if (server_load_again(srv, err, sizeof(err)) != 0) {
			log_err("server", "%s", err);
			log_err("server", "every file the configuration names must be readable by the "
			                  "user it runs as (server.user/group); not starting");
			goto out;
		}
	}
	/* Hold the control signals until server_run has its handlers in
	 * place: workers answer (and tests send SIGHUP) as soon as they
	 * start, and an unhandled SIGHUP would kill us. Worker threads
	 * inherit the mask; server_run unblocks it on the control thread. */
	sigset_t ctl;
	sigemptyset(&ctl);
	sigaddset(&ctl, SIGHUP);
	sigaddset(&ctl, SIGTERM);
	sigaddset(&ctl, SIGINT);
	sigaddset(&ctl, SIGUSR1);   /* anycast drain: default action would kill us */
	sigaddset(&ctl, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &ctl, NULL);
	if (server_start(srv) != 0)
		goto out;
	if (server_run(srv) == 0)
		rc = 0;
out:
	server_free(srv);
	libevent_global_shutdown();  /* frees libevent's locks: a clean ASan report */
	if (rc == 0)
		log_info("server", "stopped");
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;
	int r;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
		printf("steerdns %s\n", STEERDNS_VERSION);
		return 0;
	}
	/* probe has its own options (compare/probe.c). */
	if (!strcmp(cmd, "probe"))
		return probe_main(argc - 1, argv + 1);
	/* compare has its own options (compare/compare_cmd.c). */
	if (!strcmp(cmd, "compare"))
		return compare_cmd(argc - 1, argv + 1);
	/* dnssec ds ZONE (server/dnssec_cmd.c). */
	if (!strcmp(cmd, "dnssec"))
		return dnssec_cmd(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "checkconf") != 0 &&
	    strcmp(cmd, "lookup") != 0) {
		fprintf(stderr, "steerdns: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	r = parse_opts(argc - 1, argv + 1, &o);
	if (r == 1) {
		usage(stdout);
		return 0;
	}
	if (r < 0) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "checkconf"))
		return cmd_checkconf(&o);
	if (!strcmp(cmd, "lookup"))
		return cmd_lookup(&o);
	return cmd_serve(&o);
}
