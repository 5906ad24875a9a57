# lib.sh: TAP helpers and fixtures for greywall's integration tests.
# Sourced by run.sh.  Every wait loop here is bounded.

# it_begin NAME: what every integration script starts with.  Sanitizer
# options for the binaries under test (LeakSanitizer needs ptrace, which the
# sandbox denies; ld.so preloads in the LD_PRELOAD test must not upset
# ASan's link-order check), and a scratch directory $T that is removed at
# exit, after the background processes in PIDS and the script's own
# it_cleanup (if it defines one).
it_begin() {
	export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	T=$(mktemp -d "/tmp/$1.XXXXXX")
	chmod 755 "$T"
	PIDS=()
	trap it_end EXIT
}
it_end() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	if declare -F it_cleanup >/dev/null; then it_cleanup; fi
	rm -rf "$T"
}

# it_user: the unprivileged user the tests run the sandbox as (created when
# running as root, else the current user): sets U_UID, U_GID and SETPRIV
# (the command prefix that switches to it, empty when already there).
it_user() {
	if [ "$(id -u)" = 0 ]; then
		id gwtest >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/bash gwtest
		U_UID=$(id -u gwtest)
		U_GID=$(id -g gwtest)
		SETPRIV=(setpriv --reuid="$U_UID" --regid="$U_GID" --clear-groups --inh-caps=-all)
	else
		U_UID=$(id -u)
		U_GID=$(id -g)
		SETPRIV=()
	fi
}

T_N=0
T_FAILED=0
T_SKIPPED=0

t_ok() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
t_not_ok() {
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $1"
	shift
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}
t_skip() {
	T_N=$((T_N + 1)); T_SKIPPED=$((T_SKIPPED + 1))
	echo "ok $T_N - $1 # SKIP $2"
}
t_done() { echo "1..$T_N"; [ "$T_FAILED" -eq 0 ]; }

# must_skip REASON: outside CI a missing feature skips; in CI it fails.
can_skip() {
	[ "${CI:-}" = "true" ] && return 1
	return 0
}

# expect NAME EXPECTED_STATUS CMD...: run, compare exit status.
expect() {
	local name=$1 want=$2
	shift 2
	local out rc
	out=$("$@" 2>&1) && rc=0 || rc=$?
	if [ "$rc" = "$want" ]; then t_ok "$name"; else t_not_ok "$name" "want status $want, got $rc" "$out"; fi
}

# expect_out NAME REGEX CMD...: exit 0 and output matching REGEX (grep -E).
expect_out() {
	local name=$1 re=$2
	shift 2
	local out rc
	out=$("$@" 2>&1) && rc=0 || rc=$?
	if [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -Eq -- "$re"; then
		t_ok "$name"
	else
		t_not_ok "$name" "status $rc, wanted output matching: $re" "$out"
	fi
}

# expect_fail_out NAME REGEX CMD...: non-zero exit and output matching REGEX.
expect_fail_out() {
	local name=$1 re=$2
	shift 2
	local out rc
	out=$("$@" 2>&1) && rc=0 || rc=$?
	if [ "$rc" != 0 ] && printf '%s\n' "$out" | grep -Eq -- "$re"; then
		t_ok "$name"
	else
		t_not_ok "$name" "status $rc, wanted failure with output matching: $re" "$out"
	fi
}

# wait_port PORT: up to 5 s for a TCP listener on 127.0.0.1:PORT.
wait_port() {
	local i
	for i in $(seq 1 100); do
		if (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	return 1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
