/* ctl_client.c: `steerdns ctl`; see ctl_client.h. */
#include "common/ctl_client.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/control.h"
#include "common/yaml_doc.h"

static const char usage_text[] =
	"usage: steerdns ctl [-c FILE | -s SOCKET] COMMAND [ARGS] [--json]\n"
	"\n"
	"Talk to a running steerdns over its control socket.\n"
	"\n"
	"commands:\n"
	"  status [--json]          version, identity, uptime, config generation, PoPs\n"
	"                           (health per check, admin state), BGP peers, listeners\n"
	"  stats [--json]           the counters (Prometheus text, or JSON)\n"
	"  reload                   reload the configuration and wait: exit 0 once the new\n"
	"                           one is serving, else 1 with the error (file:line:col)\n"
	"  pop NAME down|up|auto    admin override of a PoP (kept across reloads/restarts)\n"
	"  drain | undrain          withdraw / re-announce the anycast routes\n"
	"  lookup ADDR[/LEN] [--json]  the answer this server gives that client now\n"
	"  log-reopen               reopen the decision log (after logrotate)\n"
	"\n"
	"options:\n"
	"  -c, --config FILE        find the socket in FILE's control: section\n"
	"  -s, --socket PATH        the control socket (default $RUNTIME_DIRECTORY/steerdns.sock\n"
	"                           or /run/steerdns/steerdns.sock)\n"
	"  -h, --help               show this help\n";

/* Commands and how many words follow them (--json excluded). */
static const struct { const char *name; int nargs; bool json; } commands[] = {
	{ "status", 0, true }, { "stats", 0, true }, { "reload", 0, false }, { "pop", 2, false },
	{ "drain", 0, false }, { "undrain", 0, false }, { "lookup", 1, true },
	{ "log-reopen", 0, false },
};

/* The socket named by config file path, or the default. */
static int socket_of_config(const char *path, char *out, size_t len)
{
	struct ydoc d;
	char err[512];
	if (ydoc_load(&d, path, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "steerdns ctl: %s\n", err);
		return -1;
	}
	yaml_node_t *root = ydoc_root(&d);
	yaml_node_t *c = root && root->type == YAML_MAPPING_NODE ? ydoc_map_get(&d, root, "control") : NULL;
	yaml_node_t *s = c && c->type == YAML_MAPPING_NODE ? ydoc_map_get(&d, c, "socket") : NULL;
	const char *v = s ? ydoc_scalar(s) : NULL;
	if (v && *v) {
		const char *slash = strrchr(path, '/');
		if (v[0] != '/' && slash)
			snprintf(out, len, "%.*s%s", (int)(slash - path + 1), path, v);
		else
			snprintf(out, len, "%s", v);
	} else {
		control_default_socket(out, len);
	}
	ydoc_free(&d);
	return 0;
}

int ctl_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *sock = NULL;
	int ch;
	optind = 1;
	opterr = 0;
	/* '+': stop at the command, so `lookup ::1/64 --json` keeps its words. */
	while ((ch = getopt_long(argc, argv, "+c:s:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 's': sock = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default:
			fprintf(stderr, "steerdns ctl: bad option '%s' (see steerdns ctl --help)\n",
			        argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "steerdns ctl: no command (see steerdns ctl --help)\n");
		return 2;
	}
	int nwords = argc - optind;
	bool json = strcmp(argv[argc - 1], "--json") == 0;
	const char *cmd = argv[optind];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	size_t k;
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(commands[k].name, cmd) == 0)
			break;
	if (k == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr, "steerdns ctl: unknown command '%s' (see steerdns ctl --help)\n", cmd);
		return 2;
	}
	if (nwords - 1 - json != commands[k].nargs || (json && !commands[k].json)) {
		fprintf(stderr, "steerdns ctl: wrong arguments for '%s' (see steerdns ctl --help)\n", cmd);
		return 2;
	}
	char path[512];
	if (sock)
		snprintf(path, sizeof(path), "%s", sock);
	else if (config) {
		if (socket_of_config(config, path, sizeof(path)) < 0)
			return 1;
	} else
		control_default_socket(path, sizeof(path));

	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "steerdns ctl: %s: path too long\n", path);
		return 1;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		if (e == ENOENT || e == ECONNREFUSED)
			fprintf(stderr, "steerdns ctl: %s: server not running (%s)\n", path, strerror(e));
		else if (e == EACCES || e == EPERM)
			fprintf(stderr, "steerdns ctl: %s: permission denied (run as root or the server's "
			                "user/group)\n", path);
		else
			fprintf(stderr, "steerdns ctl: %s: %s\n", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	char line[CONTROL_MAX_LINE];
	size_t n = 0;
	for (int i = optind; i < argc; i++)
		n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0, "%s%s",
		                      i > optind ? " " : "", argv[i]);
	if (n + 1 >= sizeof(line)) {
		fprintf(stderr, "steerdns ctl: command too long\n");
		close(fd);
		return 2;
	}
	line[n++] = '\n';
	if (write(fd, line, n) != (ssize_t)n) {
		fprintf(stderr, "steerdns ctl: %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	/* The reply: "ok" or "error", then the body until the server closes. */
	char buf[65536];
	size_t got = 0;
	bool first = true, ok = false;
	ssize_t r;
	FILE *dst = stdout;
	while ((r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
		got += (size_t)r;
		buf[got] = 0;
		if (first) {
			char *nl = strchr(buf, '\n');
			if (!nl)
				continue;
			*nl = 0;
			ok = strcmp(buf, "ok") == 0;
			dst = ok ? stdout : stderr;
			first = false;
			size_t rest = got - (size_t)(nl + 1 - buf);
			fwrite(nl + 1, 1, rest, dst);
		} else {
			fwrite(buf, 1, got, dst);
		}
		got = 0;
	}
	close(fd);
	if (first) {
		fprintf(stderr, "steerdns ctl: %s: the server closed the connection without a reply\n",
		        path);
		return 1;
	}
	return ok ? 0 : 1;
}
