/* netsvc.h: the network service of one sandboxed run: greywall's own
 * proxy (SOCKS5 and HTTP listeners on the host's loopback, behind a
 * credential made for this run) with the config's policy, and what the
 * command needs to find it.
 *
 * When the run uses it:
 *   - no proxy is configured at all (no network.proxyUrl/httpProxyUrl,
 *     no --proxy/--http-proxy): the built-in proxy with the policy of
 *     allowedDomains/deniedDomains (empty: no network);
 *   - a proxy is configured (SOCKS5 or HTTP) and domains are listed: the
 *     built-in proxy decides first, then sends allowed connections
 *     through that proxy, by name (both must allow).
 * A configured proxy with no domain listed is used directly, as before
 * (the upstream, e.g. greyproxy, decides alone) -- except with `capture`
 * (the namespace sandbox captures every connection), where it becomes
 * the upstream of greywall's proxy, which then leaves every decision to
 * it.  With nothing allowed, nothing configured and no
 * --monitor, there is no proxy: the command has no network.
 *
 * The credential keeps other local users and processes off the
 * listeners: it is random per run and only the command's environment
 * carries it.
 *
 * Ownership: struct gw_netsvc owns its listeners until netsvc_start()
 * hands them to the proxy, and the proxy until netsvc_stop(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "config.h"
#include "evloop.h"
#include "fakedns.h"
#include "netpolicy.h"
#include "proxy.h"
#include "proxyurl.h"
#include "util.h"

struct gw_netsvc {
	struct gw_netpolicy policy;
	struct gw_proxy_url upstream;
	bool has_upstream;
	const char *dns_addr;          /* borrowed from the config */
	bool monitor;
	int socks_fd, http_fd;
	uint16_t socks_port, http_port;
	char user[16];
	char pass[33];
	struct gw_proxy *px;
	struct gw_evloop *loop;         /* while started */
	/* Capture sockets from the sandbox's network namespace (all -1
	 * without capture), owned until netsvc_start() hands them over. */
	struct gw_capture_fds cap;
	struct gw_fakedns *dns;
	struct gw_fake_names names;
	struct gw_ev tun;               /* drained: stray packets are dropped */
};

/* Empty: no listener, no capture socket; netsvc_free() is a no-op. */
#define GW_NETSVC_INIT { .socks_fd = -1, .http_fd = -1, .cap = GW_CAPTURE_FDS_INIT, .tun.fd = -1 }

/* Decide whether this run uses the built-in proxy and, if it does, create
 * its listeners.  socks_url / http_url are the proxies named by flag or
 * config (NULL when none); upstream_user is the user name sent to an
 * upstream whose URL has none (the command's name, as greyproxy expects).
 * Returns 1 (in use), 0 (not used: the command talks to the configured
 * proxy directly), 2 (no network at all: nothing is allowed and no
 * --monitor wants to see the refusals, so no proxy is started), or -errno
 * with err set. */
int netsvc_prepare(struct gw_netsvc *n, const struct gw_config *cfg, const char *socks_url,
		   const char *http_url, const char *upstream_user, const uint16_t *forwards,
		   size_t n_forwards, bool monitor, bool capture, struct gw_error *err);

/* The capture engine alone, for greywall-netns-helper's daemon: no
 * listeners on the host's loopback and no credential, every decision left
 * to the SOCKS5 proxy socks_url (policy.delegate), which gets each
 * connection by name, with the URL's own credential if it has one.  The
 * capture sockets are then put in n->cap before netsvc_start().  Returns 0
 * or -errno with err set (not a SOCKS5 URL, a name that does not
 * resolve). */
int netsvc_prepare_upstream(struct gw_netsvc *n, const char *socks_url, struct gw_error *err);

/* The URLs the command gets (caller frees): socks5h://user:pass@127.0.0.1:P
 * and http://user:pass@127.0.0.1:P. */
char *netsvc_socks_url(const struct gw_netsvc *n);
char *netsvc_http_url(const struct gw_netsvc *n);

/* supervise.h services hooks; ctx is the struct gw_netsvc.  With capture
 * sockets in n->cap, start also serves the capture DNS and the redirected
 * connections. */
int netsvc_start(struct gw_evloop *loop, void *ctx);
void netsvc_stop(void *ctx);

/* Release everything (listeners not handed over, policy, upstream). */
void netsvc_free(struct gw_netsvc *n);
