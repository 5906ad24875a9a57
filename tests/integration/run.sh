#!/bin/bash
# Integration tests: drive the built greywall as a user would, as an
# unprivileged user this script creates, and try the attacks for real from
# inside the sandbox.  TAP on stdout.
#
# usage: run.sh PATH/TO/greywall DIR/WITH/HELPERS
# Needs root to create the test user; without root it runs everything as the
# current (unprivileged) user.  In CI (CI=true) nothing may be skipped.
set -u
GW_BUILT=$1
HELPERS=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

it_begin gw-it

mkdir -p "$T/bin" "$T/www" "$T/conf" "$T/outside" "$T/home"
for b in "$GW_BUILT" "$HELPERS/try-syscall" "$HELPERS/no-landlock" "$HELPERS/no-userns"; do
	install -m 755 "$b" "$T/bin/"
done
GW=$T/bin/greywall

# --- the unprivileged user ---------------------------------------------------
it_user
WS=$T/ws
mkdir -p "$WS/sub"
echo "top secret" >"$WS/secret.txt"
echo "API_KEY=abc" >"$WS/.env"
echo "original" >"$WS/notes.txt"
echo "wip" >"$WS/[WIP] plan.txt"
echo "outside secret" >"$T/outside/secret"
mkdir -p "$T/home/.ssh"
echo "PRIVATE KEY" >"$T/home/.ssh/id_rsa"
git -C "$WS" init -q 2>/dev/null || mkdir -p "$WS/.git/hooks"
mkdir -p "$WS/.git/hooks"
chown -R "$U_UID:$U_GID" "$WS" "$T/home"

# as_user CMD...: run as the test user, in the workspace, with a clean env.
as_user() {
	(cd "$WS" && env -i HOME="$T/home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
		ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" ${EXTRA_ENV:-} \
		"${SETPRIV[@]}" "$@")
}

# --- test servers on loopback --------------------------------------------------
HTTP_PORT=$(free_port)
SOCKS_PORT=$(free_port)
echo "hello-from-test-server" >"$T/www/hello.txt"
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$HTTP_PORT" >/dev/null 2>&1 &
PIDS+=($!)
SOCKS_BIN=$(command -v microsocks || true)
if [ -n "$SOCKS_BIN" ]; then
	"$SOCKS_BIN" -i 127.0.0.1 -p "$SOCKS_PORT" >/dev/null 2>&1 &
	PIDS+=($!)
fi
wait_port "$HTTP_PORT" || echo "# http server did not start"

CONF=$T/conf/greywall.json
cat >"$CONF" <<JSON
{
  // test policy
  "network": { "proxyUrl": "socks5://127.0.0.1:$SOCKS_PORT" },
  // the probes in $T/bin must be executable inside
  "filesystem": { "denyRead": ["secret.txt", "[WIP] plan.txt"], "allowRead": ["$T/bin"], },
}
JSON
chmod 644 "$CONF"

gw() { as_user "$GW" --no-bwrap -s "$CONF" "$@"; }

# ===== identity and process hardening ========================================
out=$(gw -- cat /proc/self/status 2>&1)
field() { printf '%s\n' "$out" | awk -v k="$1:" '$1 == k { print $2 }'; }
[ "$(field Uid)" = "$U_UID" ] && t_ok "runs as the calling user (uid $U_UID)" || t_not_ok "uid" "$out"
[ "$(field CapEff)" = "0000000000000000" ] && t_ok "CapEff is 0" || t_not_ok "CapEff" "$out"
[ "$(field NoNewPrivs)" = "1" ] && t_ok "NoNewPrivs is 1" || t_not_ok "NoNewPrivs" "$out"
[ "$(field Seccomp)" = "2" ] && t_ok "Seccomp is 2 (filter)" || t_not_ok "Seccomp" "$out"
[ "$(field Seccomp_filters)" = "1" ] && t_ok "exactly one seccomp filter" || t_not_ok "Seccomp_filters" "$out"
expect_out "id -u inside is the user" "^$U_UID\$" gw -- id -u
# Run by root (with CAP_SETPCAP), the bounding set is emptied too: dropped
# up to the first number the kernel rejects, without reading /proc (the
# child that does it shares greywall's memory and only makes system calls).
if [ "$(id -u)" = 0 ]; then
	gw_root() { (cd "$WS" && env -i HOME="$T/home" PATH=/usr/local/bin:/usr/bin:/bin \
		ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" "$GW" --no-bwrap -s "$CONF" "$@"); }
	out=$(gw_root -- cat /proc/self/status 2>&1)
	all0=1
	for f in CapEff CapPrm CapInh CapAmb CapBnd; do [ "$(field $f)" = 0000000000000000 ] || all0=0; done
	[ $all0 = 1 ] && t_ok "run by root: every capability set is empty, the bounding set too" ||
		t_not_ok "root capability sets" "$out"
	expect_out "run by root: still uid 0, without its powers" "^0\$" gw_root -- id -u
	# A file the sandbox may read by policy but only its owner by mode:
	# root without CAP_DAC_OVERRIDE is refused.
	printf 'private\n' > "$WS/owner-only" && chown "$U_UID:$U_GID" "$WS/owner-only" && chmod 600 "$WS/owner-only"
	expect_out "  ...the owner reads it" "private" gw -- cat owner-only
	expect_fail_out "  ...root inside cannot (no CAP_DAC_OVERRIDE)" "Permission denied" gw_root -- cat owner-only
	rm -f "$WS/owner-only"
fi

# ===== filesystem =============================================================
expect_fail_out "write to /etc fails" "" gw -- sh -c 'echo x > /etc/greywall-test'
[ ! -e /etc/greywall-test ] && t_ok "/etc untouched" || { t_not_ok "/etc untouched"; rm -f /etc/greywall-test; }
expect "overwrite a workspace file" 0 gw -- sh -c 'echo changed > notes.txt'
grep -q changed "$WS/notes.txt" && t_ok "the write reached the workspace" || t_not_ok "workspace write visible"
expect "create a file in a workspace subdirectory" 0 gw -- sh -c 'echo new > sub/new.txt && mkdir sub/d && mv sub/new.txt sub/d/'
[ -f "$WS/sub/d/new.txt" ] && t_ok "new file visible on the host" || t_not_ok "new file visible"
expect_fail_out "denyRead file is unreadable" "" gw -- cat secret.txt
expect_fail_out ".env is unreadable" "" gw -- cat .env
expect_fail_out "a denyRead name with glob characters is denied literally" "" gw -- cat "[WIP] plan.txt"
expect_fail_out ".env cannot be renamed to unmask it" "" gw -- mv .env sub/env
[ -f "$WS/.env" ] && t_ok ".env still in place" || t_not_ok ".env still in place"
expect_fail_out ".git/hooks/x cannot be created" "" gw -- sh -c 'echo "#!/bin/sh" > .git/hooks/x'
[ ! -e "$WS/.git/hooks/x" ] && t_ok "no hook was created" || t_not_ok "no hook was created"
expect_fail_out ".git/config is read-only" "" gw -- sh -c 'echo "[core] fsmonitor=evil" >> .git/config'
expect_fail_out "a missing .bashrc cannot be created" "" gw -- sh -c 'echo evil > .bashrc'
expect_fail_out "a missing .vscode/ cannot be created" "" gw -- mkdir .vscode
expect_fail_out ".git cannot be renamed away" "" gw -- mv .git sub/git
expect_fail_out "home secrets are unreadable" "" gw -- cat "$T/home/.ssh/id_rsa"
expect_fail_out "files outside the workspace are unreadable" "" gw -- cat "$T/outside/secret"
expect_fail_out "symlink escape is denied" "" gw -- sh -c "ln -s '$T/outside/secret' sub/link && cat sub/link"
expect_fail_out "hard link of an outside file is denied" "" gw -- ln "$T/outside/secret" sub/hl
expect_fail_out "the policy file cannot be modified" "" gw -- sh -c "echo '{}' > '$CONF'"
mkdir -p "$WS/tools" && install -m 755 "$GW" "$WS/tools/greywall" && chown -R "$U_UID:$U_GID" "$WS/tools"
expect_fail_out "greywall's own binary cannot be replaced from inside" "" \
	as_user "$WS/tools/greywall" --no-bwrap -s "$CONF" -- sh -c 'echo x >> tools/greywall || mv tools/greywall tools/old'
cmp -s "$GW" "$WS/tools/greywall" && t_ok "  ...and is unchanged" || t_not_ok "greywall binary unchanged"
out=$(gw -- sh -c 'echo "$TMPDIR"; echo t > "$TMPDIR/x" && cat "$TMPDIR/x"' 2>&1)
tmpd=$(printf '%s\n' "$out" | head -1)
case "$tmpd" in
/tmp/greywall-*) [ "$(printf '%s\n' "$out" | sed -n 2p)" = t ] && t_ok "private TMPDIR is writable" || t_not_ok "private TMPDIR writable" "$out" ;;
*) t_not_ok "private TMPDIR set" "$out" ;;
esac
[ ! -e "$tmpd" ] && t_ok "private TMPDIR removed after the run" || t_not_ok "private TMPDIR removed" "$tmpd"
expect_fail_out "the shared /tmp is not writable" "" gw -- sh -c "echo x > /tmp/gw-shared-\$\$"
expect_out "python3 runs" "^2$" gw -- python3 -c 'print(1+1)'
if command -v git >/dev/null; then
	expect "git status works in the workspace" 0 gw -- git status --short
fi

# ===== system calls ===========================================================
ts() { gw -- "$T/bin/try-syscall" "$1" 2>&1; }
for c in ptrace io_uring_setup unshare_user unshare_net setns clone_newuser mount chroot \
	open_by_handle_at fsopen bpf keyctl userfaultfd perf_event_open personality_exec tiocsti \
	tiocsti_high tioclinux socket_packet socket_vsock socket_raw socket_udp socket_udp6 \
	socket_sctp socket_mptcp socket_unix socket_netlink_audit; do
	r=$(ts "$c")
	[ "$r" = EPERM ] && t_ok "seccomp denies $c" || t_not_ok "seccomp denies $c" "got: $r"
done
r=$(ts clone3)
[ "$r" = ENOSYS ] && t_ok "clone3 gives ENOSYS (libc falls back)" || t_not_ok "clone3 ENOSYS" "got: $r"
for c in socket_tcp socketpair_unix personality_query; do
	r=$(ts "$c")
	[ "$r" = ok ] && t_ok "$c still works" || t_not_ok "$c works" "got: $r"
done
for c in int80 x32; do
	gw -- "$T/bin/try-syscall" "$c" >/dev/null 2>&1
	rc=$?
	[ "$rc" = 159 ] && t_ok "$c system call kills the process (SIGSYS)" || t_not_ok "$c killed" "status $rc"
done
expect_fail_out "unshare -U fails" "" gw -- unshare -U true
expect_out "multithreaded programs work (clone3 fallback)" "^ok$" gw -- python3 -c 'import threading; t=threading.Thread(target=lambda: None); t.start(); t.join(); print("ok")'

# ===== environment ============================================================
out=$(EXTRA_ENV="LD_PRELOAD=/nonexistent-gw.so GREYWALL_CONFIG_JSON={} BASH_ENV=/tmp/x" gw -- env 2>/dev/null)
printf '%s\n' "$out" | grep -q '^LD_PRELOAD=' && t_not_ok "LD_PRELOAD removed" "$out" || t_ok "LD_PRELOAD removed"
printf '%s\n' "$out" | grep -q '^GREYWALL_CONFIG_JSON=' && t_not_ok "GREYWALL_CONFIG_JSON removed" "$out" || t_ok "GREYWALL_CONFIG_JSON removed"
printf '%s\n' "$out" | grep -q '^BASH_ENV=' && t_not_ok "BASH_ENV removed" || t_ok "BASH_ENV removed"
printf '%s\n' "$out" | grep -q '^GREYWALL_SANDBOX=1$' && t_ok "GREYWALL_SANDBOX=1 set" || t_not_ok "GREYWALL_SANDBOX" "$out"
printf '%s\n' "$out" | grep -q "^ALL_PROXY=socks5h://.*@127.0.0.1:$SOCKS_PORT\$" && t_ok "ALL_PROXY is socks5h with credentials" || t_not_ok "ALL_PROXY" "$out"
printf '%s\n' "$out" | grep -q '^NO_PROXY=$' && t_ok "NO_PROXY has no loopback shortcut" || t_not_ok "NO_PROXY" "$out"
printf '%s\n' "$out" | grep -q '^HTTP_PROXY=' && t_not_ok "no HTTP proxy invented when only SOCKS is named" "$out" || t_ok "no HTTP proxy invented when only SOCKS is named"
out=$(gw -- cat /proc/self/cmdline 2>&1 | tr '\0' ' ')
printf '%s' "$out" | grep -q 'proxy' && t_not_ok "no policy in argv" "$out" || t_ok "no policy or credentials in argv"

# ===== the original's chain, for orchestrators =================================
out=$(EXTRA_ENV="GREYWALL_CONFIG_JSON={\"filesystem\":{\"denyRead\":[\"notes.txt\"]}}" \
	as_user "$GW" --landlock-apply --seccomp -- sh -c 'env | grep -c GREYWALL_CONFIG_JSON; cat notes.txt; grep Seccomp: /proc/self/status' 2>&1)
printf '%s\n' "$out" | grep -qx 0 && printf '%s\n' "$out" | grep -q 'Permission denied' &&
	printf '%s\n' "$out" | grep -q 'Seccomp:.*2' && t_ok "GREYWALL_CONFIG_JSON chain applies the policy and hides it" ||
	t_not_ok "GREYWALL_CONFIG_JSON chain" "$out"
expect_fail_out "internal mode without a policy refuses to run" "no policy" as_user "$GW" --landlock-apply -- true

# ===== network ================================================================
expect_fail_out "direct TCP to a non-proxy port fails" "" gw -- curl -sS --max-time 5 --noproxy '*' "http://127.0.0.1:$HTTP_PORT/hello.txt"
expect_fail_out "bash /dev/tcp to a non-proxy port fails" "" gw -- bash -c "exec 3<>/dev/tcp/127.0.0.1/$HTTP_PORT"
if [ -n "$SOCKS_BIN" ] && wait_port "$SOCKS_PORT"; then
	expect_out "curl through the configured SOCKS5 proxy works" "hello-from-test-server" gw -- curl -sS --max-time 10 "http://127.0.0.1:$HTTP_PORT/hello.txt"
	expect_out "--proxy overrides the config" "hello-from-test-server" gw --proxy "socks5://127.0.0.1:$SOCKS_PORT" -- curl -sS --max-time 10 "http://127.0.0.1:$HTTP_PORT/hello.txt"
elif can_skip; then
	t_skip "curl through SOCKS5" "microsocks not installed"
else
	t_not_ok "curl through SOCKS5" "microsocks missing in CI"
fi
BADCONF=$T/conf/other-port.json
echo "{\"network\":{\"proxyUrl\":\"socks5://127.0.0.1:$HTTP_PORT\"}}" >"$BADCONF"
chmod 644 "$BADCONF"
expect_out "the proxy port itself is reachable" "^ok$" as_user "$GW" --no-bwrap -s "$BADCONF" -- bash -c "exec 3<>/dev/tcp/127.0.0.1/$HTTP_PORT && echo ok"

# ===== containment of the host's processes ===================================
expect_fail_out "the supervisor's environment is unreadable" "" gw -- sh -c 'cat /proc/$PPID/environ'
if [ "$("$GW" --linux-features | awk -F': ' '/scoping/ {print $2}')" = true ]; then
	expect_fail_out "processes outside cannot be signalled" "" gw -- sh -c 'kill -0 $PPID'
elif can_skip; then
	t_skip "signal scoping" "Landlock ABI < 6"
else
	t_not_ok "signal scoping" "Landlock ABI < 6 in CI"
fi
gw -- sh -c 'setsid sleep 300 >/dev/null 2>&1 & echo $! > sub/bgpid; sleep 300 >/dev/null 2>&1 & echo $! > sub/bgpid2'
sleep 0.2
alive=""
for f in bgpid bgpid2; do
	p=$(cat "$WS/sub/$f" 2>/dev/null)
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && alive="$alive $p"
done
[ -z "$alive" ] && [ -n "$(cat "$WS/sub/bgpid" 2>/dev/null)" ] && t_ok "background and setsid children die with the sandbox" || t_not_ok "no leftovers" "alive:$alive"

# ===== exit statuses ==========================================================
expect "exit status is the command's" 7 gw -- sh -c 'exit 7'
expect "death by signal N gives 128+N" 143 gw -- sh -c 'kill -TERM $$'
expect "command not found gives 127" 127 gw -- no-such-command-gw
expect "non-executable gives 126" 126 gw -- /etc/hostname
expect "-c runs a shell command" 0 gw -c 'test "$GREYWALL_SANDBOX" = 1 && true | cat'

# ===== signals reach the command ==============================================
for sig in TERM INT HUP QUIT USR1 USR2 WINCH; do
	rm -f "$WS/sub/ppid"
	gw -- sh -c "echo \$PPID > sub/ppid; trap 'echo got-$sig; exit 3' $sig; i=0; while [ \$i -lt 100 ]; do sleep 0.1; i=\$((i+1)); done; exit 9" >"$T/sig.out" 2>&1 &
	bg=$!
	for i in $(seq 1 100); do [ -s "$WS/sub/ppid" ] && break; sleep 0.05; done
	kill -"$sig" "$(cat "$WS/sub/ppid")" 2>/dev/null
	wait "$bg"
	rc=$?
	grep -q "got-$sig" "$T/sig.out" && [ "$rc" = 3 ] && t_ok "SIG$sig reaches the command" || t_not_ok "SIG$sig forwarded" "status $rc" "$(cat "$T/sig.out")"
done

# ===== policy and configuration errors ========================================
expect_fail_out "default command policy blocks shutdown" "blocked by default sandbox command policy" gw -c 'ls; shutdown -h now'
expect_fail_out "policy sees through newlines" "blocked" gw -c "$(printf 'ls\nreboot')"
echo '{ "filesystem": { "allowRead": [ "a", } ' >"$T/conf/bad.json"
chmod 644 "$T/conf/bad.json"
expect "syntax error exits 1" 1 as_user "$GW" --no-bwrap -s "$T/conf/bad.json" -- true
expect_fail_out "syntax error names line:column" "bad.json:[0-9]+:[0-9]+" as_user "$GW" --no-bwrap -s "$T/conf/bad.json" -- true
echo '{ "filesystem": { "denyread": [] } }' >"$T/conf/typo.json"
chmod 644 "$T/conf/typo.json"
expect_fail_out "unknown key is reported with its path" "filesystem.denyread" as_user "$GW" --no-bwrap -s "$T/conf/typo.json" -- true
: >"$T/conf/empty.json"
chmod 644 "$T/conf/empty.json"
expect_fail_out "empty --settings file is an error" "empty" as_user "$GW" --no-bwrap -s "$T/conf/empty.json" -- true
expect_fail_out "missing --settings file is an error" "no such file|No such file" as_user "$GW" --no-bwrap -s "$T/conf/nope.json" -- true
expect_fail_out "bad --proxy is rejected" "proxy" gw --proxy "http://127.0.0.1:1" -- true
expect_fail_out "bad --dns is rejected like the config key" "must include a port" gw --dns localhost -- true

# ===== kernel features missing: fail closed ===================================
expect "no Landlock: setup fails with 125" 125 as_user "$T/bin/no-landlock" "$GW" --no-bwrap -s "$CONF" -- true
expect_fail_out "no Landlock: the message says why and how" "lacks Landlock.*|allow-degraded" as_user "$T/bin/no-landlock" "$GW" --no-bwrap -s "$CONF" -- true
expect_fail_out "Landlock disabled: boot hint" "lsm=" as_user "$T/bin/no-landlock" --errno EOPNOTSUPP "$GW" --no-bwrap -s "$CONF" -- true
expect_out "--allow-degraded runs with a warning" "weaker sandbox" as_user "$T/bin/no-landlock" "$GW" --no-bwrap --allow-degraded -s "$CONF" -- true

# ===== as in a container: user namespaces unavailable ===========================
expect_fail_out "the simulated container blocks user namespaces" "" as_user "$T/bin/no-userns" unshare -U true
out=$(as_user "$T/bin/no-userns" "$GW" --no-bwrap -s "$CONF" -- cat /proc/self/status 2>&1)
[ "$(field NoNewPrivs)" = 1 ] && [ "$(field CapEff)" = 0000000000000000 ] && [ "$(field Seccomp)" = 2 ] &&
	t_ok "--no-bwrap works without user namespaces" || t_not_ok "--no-bwrap without userns" "$out"
expect_fail_out "  ...and still denies writes outside" "" as_user "$T/bin/no-userns" "$GW" --no-bwrap -s "$CONF" -- sh -c 'echo x > /etc/gw-x'
expect_fail_out "  ...and .git/hooks" "" as_user "$T/bin/no-userns" "$GW" --no-bwrap -s "$CONF" -- sh -c 'echo x > .git/hooks/y'
expect_fail_out "  ...and direct TCP" "" as_user "$T/bin/no-userns" "$GW" --no-bwrap -s "$CONF" -- bash -c "exec 3<>/dev/tcp/127.0.0.1/$HTTP_PORT"
if [ -n "$SOCKS_BIN" ]; then
	expect_out "  ...while the proxy path works" "hello-from-test-server" as_user "$T/bin/no-userns" "$GW" --no-bwrap -s "$CONF" -- curl -sS --max-time 10 "http://127.0.0.1:$HTTP_PORT/hello.txt"
fi

# ===== informational modes ====================================================
expect_out "--version" "Version: " "$GW" --version
expect_out "--linux-features" "Landlock: true" "$GW" --linux-features
expect_out "check reports a working sandbox" "can sandbox" "$GW" check

t_done
