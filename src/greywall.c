/* greywall.c: main.  Dispatches to the internal in-sandbox mode, the
 * informational modes and the run path; nothing else lives here. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "probe.h"
#include "proxymain.h"
#include "log.h"
#include "run.h"
#include "sandbox.h"

int main(int argc, char **argv)
{
	/* The internal mode is recognised before any option parsing, as in
	 * the original, so an orchestrator can chain it directly. */
	if (argc > 1 && strcmp(argv[1], "--landlock-apply") == 0) {
		log_set_prog("greywall:landlock-wrapper");
		sandbox_main(argc, argv);
	}
	struct gw_opts o;
	struct gw_error err = { 0 };
	if (cli_parse(argc, argv, &o, &err) < 0) {
		log_error("%s", err.msg);
		fprintf(stderr, "Run 'greywall --help' for usage.\n");
		gw_error_clear(&err);
		return GW_EXIT_USAGE;
	}
	log_set_debug(o.debug);
	switch (o.mode) {
	case GW_MODE_HELP:
		cli_usage(stdout);
		return 0;
	case GW_MODE_VERSION:
		features_print_version(stdout);
		return 0;
	case GW_MODE_FEATURES: {
		struct gw_features f;
		features_probe(&f);
		features_print_linux(stdout, &f);
		return 0;
	}
	case GW_MODE_CHECK:
		return features_check(stdout);
	case GW_MODE_PROXY:
		return proxy_main(&o);
	case GW_MODE_RUN:
		break;
	}
	return run_command(&o);
}
