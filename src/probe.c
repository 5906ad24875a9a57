/* probe.c: see features.h. */
#include "probe.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "gw-version.h"
#include "landlock.h"
#include "netns.h"
#include "nsrun.h"
#include "pin.h"
#include "seccomp-filter.h"

/* Run fn in a child; true when it exits 0.  Probes are irreversible
 * (restrict_self, seccomp), hence the fork. */
static bool in_child(int (*fn)(void))
{
	fflush(NULL);
	pid_t p = fork();
	if (p < 0)
		return false;
	if (p == 0) {
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (devnull >= 0)
			dup2(devnull, 2);
		_exit(fn());
	}
	int st;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int probe_landlock(void)
{
	int fd = landlock_ruleset_create(GW_LL_FS_READ_FILE, 0, 0);
	if (fd < 0 || landlock_enforce(fd) < 0)
		return 1;
	/* Nothing is allowed: a read must now fail with EACCES. */
	int t = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	return t < 0 && errno == EACCES ? 0 : 1;
}

static int probe_seccomp(void)
{
	struct gw_seccomp_opts o = { 0 };
	if (seccomp_filter_apply(&o) < 0)
		return 1;
	return ptrace(PTRACE_TRACEME, 0, 0, 0) < 0 && errno == EPERM ? 0 : 1;
}

static void probe_userns(struct gw_features *f)
{
	struct gw_error err = { 0 };
	f->userns = netns_probe(&err) == 0;
	if (!f->userns)
		snprintf(f->userns_why, sizeof f->userns_why, "%s", err.msg ? err.msg : "");
	gw_error_clear(&err);
}

/* The whole default mode, for real: `greywall -- /bin/true` with the
 * default policy, in an empty scratch directory. */
static void probe_ns_sandbox(struct gw_features *f)
{
	char dir[] = "/tmp/greywall-check-XXXXXX";
	int errp[2];
	if (!mkdtemp(dir) || pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(f->ns_why, sizeof f->ns_why, "cannot prepare the probe: %s", strerror(errno));
		return;
	}
	fflush(NULL);
	pid_t p = fork();
	if (p == 0) {
		int cfg = memfd_create("greywall-check", 0);
		char cfg_path[64];
		snprintf(cfg_path, sizeof cfg_path, "/proc/self/fd/%d", cfg);
		if (cfg < 0 || write(cfg, "{}", 2) != 2 || chdir(dir) < 0 || dup2(errp[1], 2) < 0)
			_exit(125);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		char *argv[] = { "greywall", "--settings", cfg_path, "--", "/bin/true", NULL };
		execv("/proc/self/exe", argv);
		_exit(125);
	}
	close(errp[1]);
	char buf[sizeof f->ns_why] = "";
	ssize_t n = p > 0 ? read(errp[0], buf, sizeof buf - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	close(errp[0]);
	int st = -1;
	while (p > 0 && waitpid(p, &st, 0) < 0 && errno == EINTR)
		;
	f->ns_sandbox = p > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(f->ns_why, sizeof f->ns_why, "%s", buf);
	_cleanup_close_ int tmp = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tmp >= 0)
		fs_remove_tree(tmp, dir + 5);
}

void features_probe(struct gw_features *f)
{
	*f = (struct gw_features){ 0 };
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(f->kernel, sizeof f->kernel, "%s", u.release);
	f->landlock_abi = landlock_abi();
	f->landlock_works = f->landlock_abi > 0 && in_child(probe_landlock);
	f->seccomp_works = in_child(probe_seccomp);
	probe_userns(f);
	_cleanup_free_ char *bwrap = nsrun_find_bwrap(NULL);
	f->bwrap = bwrap != NULL;
	f->dev_net_tun = access("/dev/net/tun", F_OK) == 0;
	if (f->userns) {
		struct gw_error err = { 0 };
		f->capture = netns_probe_capture(&err) == 0;
		if (!f->capture)
			snprintf(f->capture_why, sizeof f->capture_why, "%s", err.msg ? err.msg : "");
		gw_error_clear(&err);
	}
	if (f->userns && f->bwrap)
		probe_ns_sandbox(f);
}

bool features_ns_ok(const struct gw_features *f)
{
	return f->userns && f->bwrap && f->ns_sandbox && f->capture;
}

bool features_nobwrap_ok(const struct gw_features *f)
{
	return f->landlock_works && f->landlock_abi >= 4 && f->seccomp_works;
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

void features_print_linux(FILE *out, const struct gw_features *f)
{
	fprintf(out, "Linux Sandbox Features:\n");
	fprintf(out, "  Kernel: %s\n", f->kernel);
	if (f->landlock_abi > 0)
		fprintf(out, "  Landlock: %s (ABI v%d)\n", tf(f->landlock_works), f->landlock_abi);
	else
		fprintf(out, "  Landlock: false (%s)\n", strerror(-f->landlock_abi));
	fprintf(out, "  Landlock TCP rules (ABI 4): %s\n", tf(f->landlock_abi >= 4));
	fprintf(out, "  Landlock scoping (ABI 6): %s\n", tf(f->landlock_abi >= 6));
	fprintf(out, "  Seccomp (greywall filter): %s\n", tf(f->seccomp_works));
	fprintf(out, "  User namespaces: %s\n", tf(f->userns));
	fprintf(out, "  Bubblewrap (bwrap): %s\n", tf(f->bwrap));
	fprintf(out, "  /dev/net/tun: %s\n", tf(f->dev_net_tun));
	fprintf(out, "  Traffic capture (nftables redirect): %s\n", tf(f->capture));
	fprintf(out, "\nFeature Status:\n");
	fprintf(out, "  %s --no-bwrap sandbox (Landlock + seccomp)%s\n",
		features_nobwrap_ok(f) ? "✓" : "✗",
		features_nobwrap_ok(f) ? "" : ": needs Landlock ABI >= 4 (Linux 6.7) and seccomp");
	if (features_ns_ok(f))
		fprintf(out, "  ✓ namespace sandbox (bubblewrap + Landlock + seccomp, private network)\n");
	else
		fprintf(out, "  ✗ namespace sandbox: %s\n",
			!f->userns ? f->userns_why
			: !f->bwrap ? "bubblewrap is not installed (apt install bubblewrap)"
				    : f->ns_why);
}

static void line(FILE *out, bool ok, const char *what, const char *why)
{
	bool color = isatty(fileno(out)) && !getenv("NO_COLOR");
	const char *mark = ok ? "✓" : "✗";
	if (color)
		fprintf(out, "  %s%s\033[0m %s%s%s\n", ok ? "\033[32m" : "\033[31m", mark, what,
			ok || !why ? "" : " — ", ok || !why ? "" : why);
	else
		fprintf(out, "  %s %s%s%s\n", mark, what, ok || !why ? "" : " — ", ok || !why ? "" : why);
}

void features_print_version(FILE *out)
{
	fprintf(out, "greywall - lightweight, container-free sandbox for running untrusted commands\n");
	fprintf(out, "  Version: %s\n", GW_VERSION);
	fprintf(out, "  Built:   %s\n", GW_BUILD_DATE);
	fprintf(out, "  Commit:  %s\n", GW_COMMIT);
}

/* ---- greywall-netns-helper (for --netns) ---- */

#define HELPER_CAPS ((1ull << CAP_NET_ADMIN) | (1ull << CAP_SYS_ADMIN))

/* The file capabilities of path, from its security.capability attribute:
 * 0 with the permitted set and the effective flag, -ENODATA when it has
 * none, or another -errno. */
static int file_caps(const char *path, uint64_t *permitted, bool *effective)
{
	struct vfs_ns_cap_data d = { 0 };
	ssize_t n = getxattr(path, "security.capability", &d, sizeof d);
	if (n < 0)
		return -errno;
	uint32_t rev = le32toh(d.magic_etc) & VFS_CAP_REVISION_MASK;
	if (n < (ssize_t)XATTR_CAPS_SZ_2 ||
	    (rev != VFS_CAP_REVISION_2 && rev != VFS_CAP_REVISION_3))
		return -EINVAL;
	*permitted = le32toh(d.data[0].permitted) | (uint64_t)le32toh(d.data[1].permitted) << 32;
	*effective = le32toh(d.magic_etc) & VFS_CAP_FLAGS_EFFECTIVE;
	return 0;
}

/* Why the helper installed next to greywall cannot serve --netns for the
 * caller, or NULL when it can; *where gets its path (caller frees). */
static const char *helper_problem(char **where, char *why, size_t size)
{
	_cleanup_free_ char *self = fs_self_exe();
	char *slash = self ? strrchr(self, '/') : NULL;
	if (!slash)
		return "cannot tell where greywall itself is";
	*slash = '\0';
	*where = xasprintf("%s/greywall-netns-helper", self);
	if (access(*where, X_OK) < 0) {
		if (errno == EACCES)
			snprintf(why, size, "%s: you may not run it: join its group (usermod -aG "
				 "greywall USER)", *where);
		else
			snprintf(why, size, "optional: %s: %s (make install-helper)", *where,
				 strerror(errno));
		return why;
	}
	uint64_t perm = 0;
	bool eff = false;
	int r = file_caps(*where, &perm, &eff);
	if (r < 0 || perm != HELPER_CAPS || !eff) {
		snprintf(why, size, "%s: %s%s; it needs exactly cap_net_admin,cap_sys_admin+ep "
			 "(make install-helper)", *where,
			 r == -ENODATA ? "no file capabilities"
			 : r < 0       ? "its file capabilities cannot be read: "
				       : "other file capabilities",
			 r < 0 && r != -ENODATA ? strerror(-r) : "");
		return why;
	}
	struct gw_error err = { 0 };
	_cleanup_close_ int dir = pin_dir_open(false, &err);
	if (dir < 0) {
		snprintf(why, size, "%s", err.msg ? err.msg : strerror(-dir));
		gw_error_clear(&err);
		return why;
	}
	if (faccessat(dir, ".", W_OK | X_OK, AT_EACCESS) < 0) {
		snprintf(why, size, PIN_DIR " is not writable for you: pins are made as their "
			 "owner; join its group (usermod -aG greywall USER)");
		return why;
	}
	return NULL;
}

static void check_helper(FILE *out)
{
	char why[512];
	_cleanup_free_ char *where = NULL;
	const char *problem = helper_problem(&where, why, sizeof why);
	char what[PATH_MAX + 64];
	snprintf(what, sizeof what, "greywall-netns-helper, for --no-bwrap --netns%s%s",
		 problem ? "" : ": ", problem ? "" : where);
	line(out, !problem, what, problem);
}

int features_check(FILE *out)
{
	struct gw_features f;
	features_probe(&f);
	features_print_version(out);
	fprintf(out, "\nPlatform: linux (kernel %s)\n\nChecking system capabilities:\n", f.kernel);
	char ll[64];
	snprintf(ll, sizeof ll, "landlock (v%d)", f.landlock_abi > 0 ? f.landlock_abi : 0);
	line(out, f.landlock_works, ll, "required; Linux >= 6.7 with Landlock enabled");
	line(out, f.landlock_abi >= 4, "landlock TCP rules", "required without a network namespace (ABI 4)");
	line(out, f.landlock_abi >= 6, "landlock scoping", "optional (ABI 6): signals and abstract sockets");
	line(out, f.seccomp_works, "seccomp", "required; CONFIG_SECCOMP_FILTER");
	line(out, f.userns, "user + network namespaces", f.userns_why);
	line(out, f.bwrap, "bubblewrap", "needed by the default mode: apt install bubblewrap");
	if (f.userns)
		line(out, f.capture, "traffic capture (nftables NAT redirect, conntrack)", f.capture_why);
	if (f.userns && f.bwrap)
		line(out, f.ns_sandbox, "namespace sandbox runs a command", f.ns_why);
	check_helper(out);
	bool ok = features_nobwrap_ok(&f);
	bool ns = features_ns_ok(&f) && ok;
	fprintf(out, "\n%s\n", ns   ? "greywall can sandbox commands on this machine (default mode and --no-bwrap)."
				 : ok ? "greywall --no-bwrap can sandbox commands on this machine; the default "
					"(namespace) mode cannot (see the ✗ lines above)."
				      : "greywall cannot sandbox commands on this machine (see the ✗ lines above).");
	return ok ? 0 : 1;
}
