/* netsvc.c: see netsvc.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "netsvc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

static bool lists_domains(const struct gw_config *cfg)
{
	return (cfg->network.allowed_domains && cfg->network.allowed_domains[0]) ||
	       (cfg->network.denied_domains && cfg->network.denied_domains[0]);
}

static int make_credential(struct gw_netsvc *n)
{
	uint8_t raw[16];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -errno;
	snprintf(n->user, sizeof n->user, "greywall");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(n->pass + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof raw);
	return 0;
}

static int set_upstream(struct gw_netsvc *n, const char *url, const char *user,
			struct gw_error *err)
{
	if (proxyurl_parse(url, &n->upstream, err) < 0)
		return -EINVAL;
	n->has_upstream = true;
	/* As the original greywall: greyproxy groups connections by the
	 * user name, so the command's name goes there when the URL has none. */
	if (!n->upstream.user && user) {
		n->upstream.user = xstrdup(user);
		n->upstream.pass = xstrdup("proxy");
	}
	/* TLS to the proxy itself (https://) is not spoken. */
	if (strncmp(n->upstream.scheme, "socks5", 6) != 0 && strcmp(n->upstream.scheme, "http") != 0)
		return gw_error_set(err, -EINVAL, "%s: greywall's upstream must be a socks5:// or "
				    "http:// proxy", url);
	return proxyurl_resolve_host(&n->upstream, err);
}

int netsvc_prepare(struct gw_netsvc *n, const struct gw_config *cfg, const char *socks_url,
		   const char *http_url, const char *upstream_user, const uint16_t *forwards,
		   size_t n_forwards, bool monitor, bool capture, struct gw_error *err)
{
	*n = (struct gw_netsvc)GW_NETSVC_INIT;
	n->monitor = monitor;
	n->dns_addr = cfg->network.dns_addr;
	bool domains = lists_domains(cfg);
	if ((socks_url || http_url) && !domains && !capture)
		return 0;
	/* Nothing allowed and nobody watching: no proxy to start at all. */
	if (!domains && !monitor && !socks_url && !http_url)
		return 2;
	int r = netpolicy_build(cfg, forwards, n_forwards, &n->policy, err);
	/* Either kind resolves names itself; SOCKS5 is preferred when both
	 * are named. */
	if (r == 0 && (socks_url || http_url))
		r = set_upstream(n, socks_url ? socks_url : http_url, upstream_user, err);
	if (r < 0)
		return r;
	/* Listed domains: both decide; none: the upstream alone. */
	n->policy.delegate = n->has_upstream && !domains;
	r = make_credential(n);
	if (r < 0)
		return gw_error_set(err, r, "cannot make the proxy credential: %s", strerror(-r));
	n->socks_fd = proxy_listen_loopback(&n->socks_port);
	n->http_fd = n->socks_fd < 0 ? -1 : proxy_listen_loopback(&n->http_port);
	r = n->socks_fd < 0 ? n->socks_fd : n->http_fd;
	if (r < 0)
		return gw_error_set(err, r, "cannot listen on 127.0.0.1 for the proxy: %s", strerror(-r));
	return 1;
}

int netsvc_prepare_upstream(struct gw_netsvc *n, const char *socks_url, struct gw_error *err)
{
	*n = (struct gw_netsvc)GW_NETSVC_INIT;
	struct gw_config cfg;
	config_init(&cfg);
	int r = netpolicy_build(&cfg, NULL, 0, &n->policy, err);
	config_free(&cfg);
	if (r == 0)
		r = set_upstream(n, socks_url, NULL, err);
	if (r < 0)
		return r;
	n->policy.delegate = true;
	return 0;
}

char *netsvc_socks_url(const struct gw_netsvc *n)
{
	return xasprintf("socks5h://%s:%s@127.0.0.1:%u", n->user, n->pass, n->socks_port);
}

char *netsvc_http_url(const struct gw_netsvc *n)
{
	return xasprintf("http://%s:%s@127.0.0.1:%u", n->user, n->pass, n->http_port);
}

/* tun0 exists so that the namespace has a default route that leads
 * nowhere; whatever reaches it (nothing should: the rules redirect or
 * drop) is read and dropped so the device never backs up. */
static void tun_cb(struct gw_ev *ev, uint32_t events)
{
	uint8_t pkt[2048];
	(void)events;
	for (int i = 0; i < 64 && read(ev->fd, pkt, sizeof pkt) > 0; i++)
		;
}

static int start_capture(struct gw_evloop *loop, struct gw_netsvc *n)
{
	int r = fakedns_start(loop, &n->policy, n->cap.dns_udp, n->cap.dns_tcp, n->monitor, &n->dns);
	n->cap.dns_udp = n->cap.dns_tcp = -1;
	if (r < 0)
		return r;
	n->names = (struct gw_fake_names){ fakedns_name, fakedns_hold, fakedns_release, n->dns };
	if (n->cap.tun >= 0) {
		evloop_ev_init(&n->tun, n->cap.tun, tun_cb);
		n->cap.tun = -1;
		r = evloop_set(loop, &n->tun, EPOLLIN);
		if (r < 0)
			return r;
	}
	return 0;
}

int netsvc_start(struct gw_evloop *loop, void *ctx)
{
	struct gw_netsvc *n = ctx;
	bool capture = n->cap.tcp_listener >= 0;
	n->loop = loop;
	int r = capture ? start_capture(loop, n) : 0;
	struct gw_proxy_opts o = {
		.policy = &n->policy,
		.dns_addr = n->dns_addr,
		.upstream = n->has_upstream ? &n->upstream : NULL,
		/* No credential without listeners of our own. */
		.user = n->user[0] ? n->user : NULL,
		.pass = n->user[0] ? n->pass : NULL,
		.fake = capture ? &n->names : NULL,
		.monitor = n->monitor,
	};
	if (r == 0)
		r = proxy_new(loop, &o, &n->px);
	/* Capture alone (netsvc_prepare_upstream()) has no listeners of
	 * its own. */
	if (r == 0 && n->socks_fd >= 0) {
		r = proxy_add_listener(n->px, GW_PROXY_SOCKS5, n->socks_fd);
		n->socks_fd = -1;
	}
	if (r == 0 && n->http_fd >= 0) {
		r = proxy_add_listener(n->px, GW_PROXY_HTTP, n->http_fd);
		n->http_fd = -1;
	}
	if (r == 0 && capture) {
		r = proxy_add_listener(n->px, GW_PROXY_CAPTURE, n->cap.tcp_listener);
		n->cap.tcp_listener = -1;
	}
	if (r < 0)
		log_error_errno(r, "cannot start greywall's proxy");
	return r;
}

void netsvc_stop(void *ctx)
{
	struct gw_netsvc *n = ctx;
	proxy_free(n->px);
	n->px = NULL;
	fakedns_free(n->dns);
	n->dns = NULL;
	if (n->tun.fd >= 0)
		evloop_close(n->loop, &n->tun);
}

void netsvc_free(struct gw_netsvc *n)
{
	netsvc_stop(n);
	gw_close_fd(n->socks_fd);
	gw_close_fd(n->http_fd);
	n->socks_fd = n->http_fd = -1;
	capture_fds_close(&n->cap);
	netpolicy_free(&n->policy);
	if (n->has_upstream)
		proxyurl_free(&n->upstream);
	n->has_upstream = false;
	explicit_bzero(n->pass, sizeof n->pass);
}
