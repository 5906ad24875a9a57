/* proxymain.c: see proxymain.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "proxymain.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "netpolicy.h"
#include "proxy.h"
#include "run.h"

#define DEFAULT_LISTEN "127.0.0.1:43052"

/* One loaded settings file, as the proxy uses it. */
struct settings {
	struct gw_config cfg;
	struct gw_netpolicy policy;
	struct gw_proxy_url upstream;
	bool has_upstream;
};

struct daemon {
	const struct gw_opts *o;
	struct gw_evloop loop;
	struct gw_ev sig;
	struct gw_proxy *px;
	struct settings *cur;
};

static void settings_free(struct settings *s)
{
	if (!s)
		return;
	netpolicy_free(&s->policy);
	if (s->has_upstream)
		proxyurl_free(&s->upstream);
	config_free(&s->cfg);
	free(s);
}

/* Load the settings and compile them.  NULL with a message on failure. */
static struct settings *settings_load(const struct gw_opts *o)
{
	struct settings *s = xcalloc(1, sizeof *s);
	struct gw_error err = { 0 };
	if (run_try_load_config(o, &s->cfg, &err) < 0 ||
	    netpolicy_build(&s->cfg, NULL, 0, &s->policy, &err) < 0)
		goto fail;
	if (s->cfg.network.proxy_url) {
		if (proxyurl_parse(s->cfg.network.proxy_url, &s->upstream, &err) < 0)
			goto fail;
		s->has_upstream = true;
		if (proxyurl_resolve_host(&s->upstream, &err) < 0)
			goto fail;
	}
	return s;
fail:
	log_error("%s", err.msg ? err.msg : "cannot load the settings");
	gw_error_clear(&err);
	settings_free(s);
	return NULL;
}

static int parse_listen(const char *text, struct sockaddr_storage *ss)
{
	const char *colon = strrchr(text, ':');
	if (!colon || !colon[1])
		return -EINVAL;
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (*end || errno || port < 1 || port > 65535)
		return -EINVAL;
	_cleanup_free_ char *host = xstrndup(text, (size_t)(colon - text));
	return netpolicy_parse_literal(host, (uint16_t)port, ss) ? 0 : -EINVAL;
}

static int open_listener(const struct sockaddr_storage *ss)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	socklen_t len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in)
						  : sizeof(struct sockaddr_in6);
	if (bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void reload(struct daemon *d)
{
	struct settings *s = settings_load(d->o);
	if (!s) {
		log_error("settings not reloaded: the previous policy stays in force");
		return;
	}
	if (s->has_upstream != d->cur->has_upstream ||
	    (s->has_upstream && (strcmp(s->upstream.host, d->cur->upstream.host) != 0 ||
				 s->upstream.port != d->cur->upstream.port))) {
		log_error("settings not reloaded: network.proxyUrl changed (restart the proxy for that)");
		settings_free(s);
		return;
	}
	proxy_set_policy(d->px, &s->policy);
	settings_free(d->cur);
	d->cur = s;
	log_warn("settings reloaded: %zu allowed and %zu denied patterns", s->policy.n_allow,
		 s->policy.n_deny);
}

static void sig_cb(struct gw_ev *ev, uint32_t events)
{
	struct daemon *d = gw_container_of(ev, struct daemon, sig);
	struct signalfd_siginfo si;
	(void)events;
	while (read(ev->fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP)
			reload(d);
		else
			d->loop.stop = true;
	}
}

static int serve(struct daemon *d, int fd)
{
	const char *auth = getenv("GREYWALL_PROXY_AUTH");
	_cleanup_free_ char *user = NULL;
	const char *pass = NULL;
	if (auth && *auth) {
		const char *colon = strchr(auth, ':');
		if (!colon || colon == auth || !colon[1]) {
			log_error("GREYWALL_PROXY_AUTH must be USER:PASS");
			return -EINVAL;
		}
		user = xstrndup(auth, (size_t)(colon - auth));
		pass = colon + 1;
	} else {
		log_warn("no GREYWALL_PROXY_AUTH: any process that reaches the listener can use this proxy");
	}
	struct gw_proxy_opts po = {
		.policy = &d->cur->policy,
		.dns_addr = d->cur->cfg.network.dns_addr,
		.upstream = d->cur->has_upstream ? &d->cur->upstream : NULL,
		.user = user,
		.pass = pass,
		.monitor = true,
	};
	int r = proxy_new(&d->loop, &po, &d->px);
	if (r < 0) {
		close(fd);
		return r;
	}
	r = proxy_add_listener(d->px, GW_PROXY_SOCKS5, fd);
	if (r < 0)
		return r;
	return evloop_run(&d->loop);
}

int proxy_main(const struct gw_opts *o)
{
	struct daemon d = { .o = o, .sig.fd = -1 };
	const char *listen_at = o->listen ? o->listen : DEFAULT_LISTEN;
	struct sockaddr_storage ss;
	if (parse_listen(listen_at, &ss) < 0)
		die(GW_EXIT_USAGE, "--listen %s: expected ADDRESS:PORT with a numeric address "
		    "(127.0.0.1:43052, [::1]:1080)", listen_at);
	d.cur = settings_load(o);
	if (!d.cur)
		return GW_EXIT_USAGE;
	int fd = open_listener(&ss);
	if (fd < 0)
		die_errno(GW_EXIT_SETUP, fd, "cannot listen on %s", listen_at);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int r = evloop_init(&d.loop);
	if (r == 0) {
		evloop_ev_init(&d.sig, signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC), sig_cb);
		r = d.sig.fd < 0 ? -errno : evloop_set(&d.loop, &d.sig, EPOLLIN);
	}
	if (r == 0) {
		log_warn("proxy listening on %s (SOCKS5), %zu allowed and %zu denied patterns",
			 listen_at, d.cur->policy.n_allow, d.cur->policy.n_deny);
		r = serve(&d, fd);
	} else {
		close(fd);
	}
	proxy_free(d.px);
	if (d.sig.fd >= 0)
		evloop_close(&d.loop, &d.sig);
	evloop_free(&d.loop);
	settings_free(d.cur);
	if (r < 0) {
		log_error_errno(r, "proxy");
		return GW_EXIT_SETUP;
	}
	return 0;
}
