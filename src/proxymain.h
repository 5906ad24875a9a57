/* proxymain.h: `greywall proxy`, the filtering proxy as a standalone
 * daemon for orchestrators (and for greywall-netns-helper's namespaces).
 *
 * It serves SOCKS5 on --listen (default 127.0.0.1:43052) with the policy
 * of the settings file (network.allowedDomains / deniedDomains, dnsAddr,
 * proxyUrl as upstream), runs until SIGINT or SIGTERM, and reloads the
 * settings on SIGHUP (a settings file that no longer loads keeps the old
 * policy, with an error on stderr).
 *
 * Clients must authenticate (SOCKS5 username/password) when the
 * environment has GREYWALL_PROXY_AUTH=USER:PASS; without it any process
 * that can reach the listener may use it, which greywall says when it
 * starts. */
#pragma once

#include "cli.h"

/* Returns the exit status. */
int proxy_main(const struct gw_opts *o);
