/* cli.c: see cli.h.  Table-driven: one row per option. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum opt_id {
	OPT_DEBUG, OPT_VERSION, OPT_SETTINGS, OPT_NO_BWRAP, OPT_PROXY, OPT_HTTP_PROXY,
	OPT_DNS, OPT_CMD, OPT_FEATURES, OPT_DEGRADED, OPT_HELP, OPT_PORT, OPT_FORWARD,
	OPT_MONITOR, OPT_LISTEN, OPT_NETNS, OPT_NETNS_HELPER,
};

struct opt_def {
	char short_name; /* 0: none */
	const char *long_name;
	bool takes_value;
	enum opt_id id;
};

static const struct opt_def opts[] = {
	{ 'd', "debug", false, OPT_DEBUG },
	{ 'v', "version", false, OPT_VERSION },
	{ 's', "settings", true, OPT_SETTINGS },
	{ 0, "no-bwrap", false, OPT_NO_BWRAP },
	{ 0, "proxy", true, OPT_PROXY },
	{ 0, "http-proxy", true, OPT_HTTP_PROXY },
	{ 0, "dns", true, OPT_DNS },
	{ 'c', "c", true, OPT_CMD },
	{ 0, "linux-features", false, OPT_FEATURES },
	{ 0, "allow-degraded", false, OPT_DEGRADED },
	{ 'h', "help", false, OPT_HELP },
	{ 'p', "port", true, OPT_PORT },
	{ 'f', "forward", true, OPT_FORWARD },
	{ 'm', "monitor", false, OPT_MONITOR },
	{ 0, "listen", true, OPT_LISTEN },
	{ 0, "netns", true, OPT_NETNS },
	{ 0, "netns-helper", true, OPT_NETNS_HELPER },
};

void cli_usage(FILE *f)
{
	fputs("Usage: greywall [flags] -- COMMAND [ARGS...]\n"
	      "       greywall [flags] -c \"SHELL COMMAND\"\n"
	      "       greywall check\n"
	      "       greywall proxy [--listen ADDR:PORT] [--settings FILE]\n"
	      "\n"
	      "Run a command in a sandbox built from a JSONC policy\n"
	      "(~/.config/greywall/greywall.json, or --settings FILE).\n"
	      "\n"
	      "Flags:\n"
	      "  -c STRING            run STRING with bash -c\n"
	      "  -s, --settings FILE  policy file (default: ~/.config/greywall/greywall.json)\n"
	      "      --no-bwrap       sandbox without namespaces: Landlock + seccomp + proxy\n"
	      "                       variables; needs no privileges (for containers)\n"
	      "      --netns PIN      with --no-bwrap: run in a network namespace pinned by\n"
	      "                       greywall-netns-helper create (every connection and\n"
	      "                       DNS query captured and passed to its proxy)\n"
	      "      --netns-helper PATH  greywall-netns-helper to use (default: the one\n"
	      "                       next to greywall)\n"
	      "      --proxy URL      SOCKS5 proxy (overrides network.proxyUrl); without\n"
	      "                       one, greywall's own proxy applies allowedDomains\n"
	      "      --http-proxy URL HTTP proxy (overrides network.httpProxyUrl)\n"
	      "      --dns HOST:PORT  DNS server (overrides network.dnsAddr)\n"
	      "  -p, --port N         let host clients reach a server the command runs on\n"
	      "                       port N (host side: 127.0.0.1:N; repeatable)\n"
	      "  -f, --forward N      let the command reach the host's 127.0.0.1:N\n"
	      "                       (repeatable)\n"
	      "  -m, --monitor        print one line per denied connection, with its reason\n"
	      "      --allow-degraded run even if the kernel cannot enforce the whole\n"
	      "                       policy (prints what is missing)\n"
	      "      --linux-features report the kernel features greywall uses\n"
	      "  -d, --debug          explain every sandbox decision on stderr (config,\n"
	      "                       mount plan, Landlock rules, seccomp, signals)\n"
	      "  -v, --version        print the version and a dependency check\n"
	      "  -h, --help           this text\n"
	      "\n"
	      "Exit status: the command's own; 128+N if it died of signal N; 127 command\n"
	      "not found; 126 not executable; 125 sandbox setup failed (the command did\n"
	      "not run); 1 usage, configuration or command-policy error.\n"
	      "\n"
	      "greywall proxy serves the same policy (network.allowedDomains and\n"
	      "deniedDomains) as a standalone SOCKS5 proxy, on 127.0.0.1:43052 unless\n"
	      "--listen says otherwise; SIGHUP reloads the settings.\n",
	      f);
}

static const struct opt_def *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (strlen(opts[i].long_name) == len && strncmp(opts[i].long_name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static const struct opt_def *find_short(char c)
{
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (opts[i].short_name == c)
			return &opts[i];
	return NULL;
}

static int add_port(uint16_t *ports, int *n, const char *flag, const char *v,
		    struct gw_error *err)
{
	char *end;
	errno = 0;
	long p = strtol(v, &end, 10);
	if (!*v || *end || errno || p < 1 || p > 65535)
		return gw_error_set(err, -EINVAL, "invalid port: %s (%s takes 1-65535)", v, flag);
	for (int i = 0; i < *n; i++)
		if (ports[i] == p)
			return 0;
	if (*n >= GW_CLI_MAX_PORTS)
		return gw_error_set(err, -EINVAL, "too many %s flags (at most %d)", flag, GW_CLI_MAX_PORTS);
	ports[(*n)++] = (uint16_t)p;
	return 0;
}

static int set_opt(struct gw_opts *o, enum opt_id id, const char *v, struct gw_error *err)
{
	switch (id) {
	case OPT_PORT: return add_port(o->ports, &o->n_ports, "-p/--port", v, err);
	case OPT_FORWARD: return add_port(o->forwards, &o->n_forwards, "-f/--forward", v, err);
	case OPT_DEBUG: o->debug = true; break;
	case OPT_VERSION: o->mode = GW_MODE_VERSION; break;
	case OPT_SETTINGS: o->settings = v; break;
	case OPT_NO_BWRAP: o->no_bwrap = true; break;
	case OPT_PROXY: o->proxy = v; break;
	case OPT_HTTP_PROXY: o->http_proxy = v; break;
	case OPT_DNS: o->dns = v; break;
	case OPT_CMD: o->shell_cmd = v; break;
	case OPT_FEATURES: o->mode = GW_MODE_FEATURES; break;
	case OPT_DEGRADED: o->allow_degraded = true; break;
	case OPT_HELP: o->mode = GW_MODE_HELP; break;
	case OPT_MONITOR: o->monitor = true; break;
	case OPT_LISTEN: o->listen = v; break;
	case OPT_NETNS: o->netns = v; break;
	case OPT_NETNS_HELPER: o->netns_helper = v; break;
	}
	return 0;
}

/* Parses argv[*i]; may consume argv[*i + 1] as the value. */
static int parse_one(int argc, char **argv, int *i, struct gw_opts *o, struct gw_error *err)
{
	const char *a = argv[*i];
	const struct opt_def *d;
	const char *val = NULL;
	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		d = find_long(a + 2, len);
		if (!d)
			return gw_error_set(err, -EINVAL, "unknown flag: %.*s", (int)len + 2, a);
		if (eq && !d->takes_value)
			return gw_error_set(err, -EINVAL, "flag --%s takes no value", d->long_name);
		val = eq ? eq + 1 : NULL;
	} else {
		d = find_short(a[1]);
		if (!d)
			return gw_error_set(err, -EINVAL, "unknown flag: -%c", a[1]);
		if (a[2] && !d->takes_value)
			return gw_error_set(err, -EINVAL, "unknown flag: %s (flags are not combined)", a);
		val = a[2] ? a + 2 : NULL;
	}
	if (d->takes_value && !val) {
		if (*i + 1 >= argc)
			return gw_error_set(err, -EINVAL, "flag %s needs a value", a);
		val = argv[++*i];
	}
	return set_opt(o, d->id, val, err);
}

int cli_parse(int argc, char **argv, struct gw_opts *o, struct gw_error *err)
{
	*o = (struct gw_opts){ .mode = GW_MODE_RUN };
	int i = 1;
	bool dashdash = false;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		int r = parse_one(argc, argv, &i, o, err);
		if (r < 0)
			return r;
	}
	o->argv = argv + i;
	if (o->mode == GW_MODE_RUN && !dashdash && o->argv[0] && strcmp(o->argv[0], "check") == 0) {
		o->mode = GW_MODE_CHECK;
		if (o->argv[1])
			return gw_error_set(err, -EINVAL, "check takes no arguments");
	}
	if (o->mode == GW_MODE_RUN && !dashdash && o->argv[0] && strcmp(o->argv[0], "proxy") == 0) {
		/* Flags may follow the word: greywall proxy --listen ... */
		o->mode = GW_MODE_PROXY;
		for (i++; i < argc; i++) {
			if (argv[i][0] != '-' || argv[i][1] == '\0')
				return gw_error_set(err, -EINVAL, "proxy takes no arguments: %s", argv[i]);
			int r = parse_one(argc, argv, &i, o, err);
			if (r < 0)
				return r;
		}
		o->argv = argv + argc;
		return 0;
	}
	if (o->listen)
		return gw_error_set(err, -EINVAL, "--listen is for greywall proxy");
	if (o->mode != GW_MODE_RUN)
		return 0;
	if (o->netns && !o->no_bwrap)
		return gw_error_set(err, -EINVAL, "--netns requires --no-bwrap");
	if (o->shell_cmd && o->argv[0])
		return gw_error_set(err, -EINVAL, "give either -c \"COMMAND\" or a command after --, not both");
	if (!o->shell_cmd && !o->argv[0])
		return gw_error_set(err, -EINVAL, "no command specified. Use -c <command> or provide command arguments");
	return 0;
}
