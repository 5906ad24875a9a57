/* cli.h: greywall's command line (greywall-compatible flags).
 *
 *   greywall [flags] -- CMD [ARGS...]
 *   greywall [flags] -c "SHELL COMMAND"
 *   greywall check | --linux-features | --version
 *   greywall proxy [--listen ADDR:PORT] [--settings FILE]
 *
 * Option parsing stops at "--" or at the first word that is not an option,
 * so `greywall ls -la` runs `ls -la`.  The returned struct points into argv
 * (nothing to free). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

#define GW_CLI_MAX_PORTS 8

enum gw_mode {
	GW_MODE_RUN,
	GW_MODE_CHECK,
	GW_MODE_FEATURES,
	GW_MODE_VERSION,
	GW_MODE_HELP,
	GW_MODE_PROXY,     /* greywall proxy: the standalone filtering proxy */
};

struct gw_opts {
	enum gw_mode mode;
	bool debug;
	bool no_bwrap;
	bool allow_degraded;
	const char *settings;   /* -s/--settings */
	const char *proxy;      /* --proxy */
	const char *http_proxy; /* --http-proxy */
	const char *dns;        /* --dns */
	const char *shell_cmd;  /* -c */
	bool monitor;           /* -m/--monitor: log denied connections */
	const char *listen;     /* greywall proxy --listen ADDR:PORT */
	const char *netns;      /* --netns PIN (with --no-bwrap): a pinned network namespace */
	const char *netns_helper; /* --netns-helper PATH */
	uint16_t ports[GW_CLI_MAX_PORTS];    /* -p/--port: host clients reach these inside */
	int n_ports;
	uint16_t forwards[GW_CLI_MAX_PORTS]; /* -f/--forward: the command reaches these on the host */
	int n_forwards;
	char **argv;            /* the command after the options (may be empty) */
};

/* Returns 0, or -EINVAL with err set to a one-line usage error. */
int cli_parse(int argc, char **argv, struct gw_opts *out, struct gw_error *err);
void cli_usage(FILE *f);
