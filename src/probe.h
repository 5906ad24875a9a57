/* probe.h: what this machine offers greywall, found out by trying each
 * feature in a throw-away child process (never by version numbers alone).
 * Used by `greywall check`, `--linux-features` and `--version`. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct gw_features {
	char kernel[65]; /* utsname.release */
	int landlock_abi;       /* >= 1, or -errno */
	bool landlock_works;    /* a restricted child was really denied a read */
	bool seccomp_works;     /* greywall's filter loaded and denied ptrace */
	bool userns;            /* a user + network namespace could be created */
	char userns_why[512];   /* if not: the diagnosis */
	bool bwrap;             /* bubblewrap is installed (root-owned, fixed path) */
	bool ns_sandbox;        /* `greywall -- true` really ran in the namespace sandbox */
	char ns_why[512];       /* if not: its first error line */
	bool dev_net_tun;       /* /dev/net/tun exists */
	bool capture;           /* traffic capture (tun0/lo route, nftables redirect,
				 * sockets) was set up in a throwaway namespace */
	char capture_why[512];
};

void features_probe(struct gw_features *f);

/* true when the default (namespace) mode works here. */
bool features_ns_ok(const struct gw_features *f);

/* true when --no-bwrap can enforce the full policy here. */
bool features_nobwrap_ok(const struct gw_features *f);

void features_print_linux(FILE *out, const struct gw_features *f);
/* `greywall check`; returns the exit status (0 when --no-bwrap works). */
int features_check(FILE *out);
void features_print_version(FILE *out);
