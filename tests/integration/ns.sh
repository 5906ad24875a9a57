#!/bin/bash
# Integration tests of the default (namespace) mode: bubblewrap + Landlock +
# seccomp in a private network namespace.  Every case runs twice: as root
# (when the suite runs as root) and as an unprivileged user this script
# creates; the attacks are tried for real from inside the sandbox.  TAP.
#
# usage: ns.sh PATH/TO/greywall DIR/WITH/HELPERS
set -u
GW_BUILT=$1
HELPERS=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

it_begin gw-ns
it_cleanup() {
	[ -n "${IPC_ID:-}" ] && ipcrm -m "$IPC_ID" 2>/dev/null
	rm -f /dev/shm/gw-ns-host-$$
}

mkdir -p "$T/bin" "$T/www" "$T/conf" "$T/outside"
for b in "$GW_BUILT" "$HELPERS/try-syscall" "$HELPERS/no-userns"; do
	install -m 755 "$b" "$T/bin/"
done
GW=$T/bin/greywall
echo "outside secret" >"$T/outside/secret"

if [ ! -x /usr/bin/bwrap ]; then
	if can_skip; then
		t_skip "namespace mode" "bubblewrap is not installed"
		t_done
		exit 0
	fi
	t_not_ok "bubblewrap installed" "apt install bubblewrap"
	t_done
	exit 1
fi

# --- host-side fixtures, shared by both identities ------------------------------
HTTP_PORT=$(free_port)
SOCKS_PORT=$(free_port)
echo "hello-from-test-server" >"$T/www/hello.txt"
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$HTTP_PORT" >/dev/null 2>&1 &
PIDS+=($!)
microsocks -i 127.0.0.1 -p "$SOCKS_PORT" >/dev/null 2>&1 &
PIDS+=($!)
wait_port "$HTTP_PORT" || echo "# http server did not start"
wait_port "$SOCKS_PORT" || echo "# socks server did not start"
sleep 300 &
HOST_SLEEP=$!
PIDS+=($HOST_SLEEP)
IPC_ID=$(ipcmk -M 4096 2>/dev/null | awk '{print $NF}')
echo host >/dev/shm/gw-ns-host-$$
ABS_NAME="gw-ns-abstract-$$"
python3 - "$ABS_NAME" "$T/host.sock" "$T/allowed.sock" >/dev/null 2>&1 <<'PY' &
import os, socket, sys, threading, time
a = socket.socket(socket.AF_UNIX); a.bind("\0" + sys.argv[1]); a.listen(5)
p = socket.socket(socket.AF_UNIX); p.bind(sys.argv[2]); p.listen(5)
q = socket.socket(socket.AF_UNIX); q.bind(sys.argv[3]); q.listen(5)
for path in sys.argv[2:]:
    os.chmod(path, 0o777)
def serve():
    while True:
        c, _ = q.accept(); c.sendall(b"hello-from-allowed-socket\n"); c.close()
threading.Thread(target=serve, daemon=True).start()
time.sleep(300)
PY
PIDS+=($!)
for i in $(seq 1 100); do [ -S "$T/allowed.sock" ] && break; sleep 0.05; done
HOST_NS_NET=$(readlink /proc/self/ns/net)

if [ "$(id -u)" = 0 ]; then
	id gwtest >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/bash gwtest
	IDENTITIES="root gwtest"
else
	IDENTITIES=$(id -un)
fi

# setup_identity NAME: workspace, home and runner for one identity.
setup_identity() {
	local who=$1
	U_UID=$(id -u "$who")
	U_GID=$(id -g "$who")
	U_NAME=$who
	if [ "$U_UID" = "$(id -u)" ]; then SETPRIV=(); else
		SETPRIV=(setpriv --reuid="$U_UID" --regid="$U_GID" --clear-groups --inh-caps=-all)
	fi
	WS=$T/ws-$who
	H=$T/home-$who
	mkdir -p "$WS/sub" "$H/.ssh"
	echo "PRIVATE KEY" >"$H/.ssh/id_rsa"
	echo "top secret" >"$WS/secret.txt"
	echo "API_KEY=abc" >"$WS/.env"
	echo "DB=prod" >"$WS/.env.production"
	echo "original" >"$WS/notes.txt"
	git -C "$WS" init -q 2>/dev/null
	git -C "$WS" -c user.email=t@t -c user.name=t commit -q --allow-empty -m init 2>/dev/null
	chown -R "$U_UID:$U_GID" "$WS" "$H"
	CONF=$T/conf/$who.json
	cat >"$CONF" <<JSON
{
  "network": { "proxyUrl": "socks5://127.0.0.1:$SOCKS_PORT" },
  "filesystem": { "denyRead": ["secret.txt"], "allowRead": ["$T/bin"] },
}
JSON
	chmod 644 "$CONF"
	DOMCONF=$T/conf/$who-domains.json
	echo '{ "network": { "allowedDomains": ["example.invalid"] } }' >"$DOMCONF"
	chmod 644 "$DOMCONF"
}

as_user() {
	(cd "$WS" && exec env -i HOME="$H" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
		ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" ${EXTRA_ENV:-} \
		"${SETPRIV[@]}" "$@")
}
gw() { as_user "$GW" -s "$CONF" "$@"; }
gwc() { local c=$1; shift; as_user "$GW" -s "$c" "$@"; }
conf() { # conf NAME JSON: a config file readable by the user
	printf '%s\n' "$2" >"$T/conf/$1.json"
	chmod 644 "$T/conf/$1.json"
	echo "$T/conf/$1.json"
}

lowfd() { (ulimit -Sn 1024 && "$@"); }
with_fd7() { "$@" 7</etc/hostname; } # an inherited descriptor greywall must close

suite() {
	local P="[$U_NAME]"
	# ===== identity and isolation =================================================
	out=$(gw -- cat /proc/self/status 2>&1)
	field() { printf '%s\n' "$out" | awk -v k="$1:" '$1 == k { print $2 }'; }
	[ "$(field Uid)" = "$U_UID" ] && t_ok "$P runs as uid $U_UID" || t_not_ok "$P uid" "$out"
	for f in CapEff CapPrm CapBnd CapInh CapAmb; do
		[ "$(field $f)" = 0000000000000000 ] && t_ok "$P $f is empty" || t_not_ok "$P $f" "$out"
	done
	[ "$(field NoNewPrivs)" = 1 ] && t_ok "$P NoNewPrivs is 1" || t_not_ok "$P NoNewPrivs" "$out"
	[ "$(field Seccomp)" = 2 ] && t_ok "$P seccomp filter loaded" || t_not_ok "$P Seccomp" "$out"
	expect_out "$P getpwuid resolves the user" "^$U_NAME\$" gw -- id -un
	out=$(gw -- sh -c 'for n in net pid ipc uts mnt user cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done' 2>&1)
	bad=""
	for n in net pid ipc uts mnt user; do
		inside=$(printf '%s\n' "$out" | awk -v n=$n '$1 == n {print $2}')
		[ -n "$inside" ] && [ "$inside" != "$(readlink /proc/self/ns/$n)" ] || bad="$bad $n"
	done
	[ -z "$bad" ] && t_ok "$P new net, pid, ipc, uts, mount and user namespaces" || t_not_ok "$P namespaces" "same as host:$bad" "$out"
	# tun0 when /dev/net/tun can be opened (root), else loopback alone.
	expect_out "$P only lo and the capture device in the network namespace" "^\['lo'(, 'tun0')?\]$" gw -- python3 -c 'import socket; print([n for _, n in socket.if_nameindex()])'
	expect_fail_out "$P nested user namespaces are refused" "" gw -- unshare -U true
	expect_fail_out "$P host PIDs are invisible" "" gw -- test -e /proc/$HOST_SLEEP
	expect_fail_out "$P host processes cannot be signalled" "" gw -- kill -0 $HOST_SLEEP
	kill -0 $HOST_SLEEP && t_ok "$P  ...the host process lives on" || t_not_ok "$P host sleep alive"
	n=$(gw -- sh -c 'ls /proc | grep -c "^[0-9]"' 2>/dev/null)
	[ -n "$n" ] && [ "$n" -lt 8 ] && t_ok "$P only the sandbox's processes in /proc ($n)" || t_not_ok "$P /proc pids" "$n"
	if [ -n "${IPC_ID:-}" ]; then
		expect_fail_out "$P host SysV shared memory is invisible" "" gw -- sh -c "ipcs -m | grep -w $IPC_ID"
	fi
	ABSCONF=$(conf abs "{\"network\":{\"allowAllUnixSockets\":true}}")
	expect_fail_out "$P host abstract unix socket unreachable" "" gwc "$ABSCONF" -- python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.connect('\0$ABS_NAME')"
	expect_fail_out "$P host /tmp socket unreachable" "" gwc "$ABSCONF" -- python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.connect('$T/host.sock')"
	SOCKCONF=$(conf sock "{\"network\":{\"allowUnixSockets\":[\"$T/allowed.sock\"]}}")
	expect_out "$P a socket named in allowUnixSockets is reachable" "hello-from-allowed-socket" gwc "$SOCKCONF" -- python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.connect('$T/allowed.sock'); print(s.recv(100).decode())"
	expect_fail_out "$P  ...and only that one" "" gwc "$SOCKCONF" -- python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.connect('$T/host.sock')"
	# ls itself holds fd 3 (the directory it lists)
	expect_out "$P no descriptor of greywall's reaches the command" "^0 1 2 3 $" with_fd7 gw -- sh -c 'ls /proc/self/fd | tr "\n" " "'
	expect_out "$P /run is empty" "^0$" gw -- sh -c 'ls -A /run | wc -l'
	expect_fail_out "$P host /dev/shm is invisible" "" gw -- cat /dev/shm/gw-ns-host-$$
	expect "$P /tmp and /dev/shm are private and writable" 0 gw -- sh -c 'echo x > /tmp/gw-ns-in-$$ && echo y > /dev/shm/gw-ns-in-$$ && cat /tmp/gw-ns-in-$$ /dev/shm/gw-ns-in-$$'
	[ ! -e /tmp/gw-ns-in-$$ ] && [ ! -e /dev/shm/gw-ns-in-$$ ] && t_ok "$P  ...and nothing reached the host" || t_not_ok "$P private tmp leaked"
	expect_out "$P /dev is minimal" "^ok$" gw -- sh -c 'for d in sda vda mem kmsg port tty0 console; do [ -e /dev/$d ] && exit 1; done; for d in null zero full random urandom tty; do [ -c /dev/$d ] || exit 2; done; echo ok'
	expect_fail_out "$P mknod fails" "" gw -- mknod "$WS/sub/dev" c 1 3
	expect_fail_out "$P a FIFO cannot be made in a read-only tree" "" gw -- mkfifo /etc/gw-fifo
	expect_fail_out "$P the sandbox's PID 1 (bubblewrap) is out of reach: environ" "" gw -- cat /proc/1/environ
	expect_fail_out "$P  ...its descriptors" "" gw -- sh -c 'for f in /proc/1/fd/*; do cat "$f" </dev/null && exit 0; done; exit 1'
	expect_fail_out "$P  ...its memory" "" gw -- python3 -c 'open("/proc/1/mem", "rb").read(1)'
	expect_fail_out "$P chmod of a read-only file fails" "" gw -- chmod 777 /etc/hostname
	expect_fail_out "$P chmod of a protected file fails" "" gw -- chmod 777 .git/config
	expect_fail_out "$P a hard link from a read-only tree into the workspace fails" "" gw -- ln /etc/hostname sub/hl
	if [ "$U_UID" != 0 ]; then
		expect_fail_out "$P a setuid binary does not elevate (su)" "" gw -- sh -c 'su -c "id -u" root </dev/null | grep -x 0'
		# nothing can be created there, so no placeholder is needed (or possible)
		expect_out "$P runs in a directory it may not write" "^ok$" \
			bash -c "cd /usr/share && exec env -i HOME='$H' PATH=/usr/bin:/bin ${SETPRIV[*]} '$GW' -- sh -c 'ls >/dev/null && echo ok'"
	fi
	expect_fail_out "$P mount fails" "" gw -- mount -t tmpfs none /tmp
	for c in mount setns unshare_user open_by_handle_at fsopen ptrace tiocsti; do
		r=$(gw -- "$T/bin/try-syscall" "$c" 2>&1)
		[ "$r" = EPERM ] && t_ok "$P seccomp denies $c" || t_not_ok "$P seccomp denies $c" "got: $r"
	done

	# ===== filesystem ===============================================================
	expect_fail_out "$P host home is invisible" "" gw -- cat "$H/.ssh/id_rsa"
	expect_fail_out "$P files outside the workspace are invisible" "" gw -- cat "$T/outside/secret"
	expect_fail_out "$P /proc/self/root does not reach the host" "" gw -- cat "/proc/self/root$T/outside/secret"
	expect_fail_out "$P /proc/1/root does not reach the host" "" gw -- cat "/proc/1/root$T/outside/secret"
	expect_fail_out "$P symlink escape fails" "" gw -- sh -c "ln -sf '$T/outside/secret' sub/link && cat sub/link"
	expect_fail_out "$P relative ../ symlink escape fails" "" gw -- sh -c "ln -sf ../../outside/secret sub/rel && cat sub/rel"
	expect_fail_out "$P write to /etc fails" "" gw -- sh -c 'echo x > /etc/gw-ns-test'
	expect_fail_out "$P the root is read-only" "" gw -- mkdir /gw-ns-newdir
	expect_out "$P home is private and writable" "^ok$" gw -- sh -c 'echo x > "$HOME/.cache-test" && ls -A "$HOME" | grep -vq ssh && echo ok'
	[ ! -e "$H/.cache-test" ] && t_ok "$P  ...and discarded" || t_not_ok "$P private home leaked"
	expect "$P write in the workspace" 0 gw -- sh -c 'echo changed > notes.txt && echo new > top-level-new.txt && mkdir -p build/obj && touch build/obj/a.o'
	grep -q changed "$WS/notes.txt" && [ -f "$WS/top-level-new.txt" ] && [ -f "$WS/build/obj/a.o" ] &&
		t_ok "$P  ...writes reach the workspace, new top-level entries too" || t_not_ok "$P workspace writes"
	out=$(gw -- sh -c 'cat .env; cat .env.production; wc -c < .env' 2>&1)
	[ "$(printf '%s' "$out" | tr -d '[:space:]')" = 0 ] && t_ok "$P .env files read as empty" || t_not_ok "$P .env empty" "$out"
	expect_fail_out "$P .env cannot be replaced" "" gw -- sh -c 'echo X=1 > .env'
	expect_fail_out "$P .env cannot be renamed to unmask it" "" gw -- mv .env sub/env
	grep -q API_KEY "$WS/.env" && t_ok "$P  ...the host's .env is intact" || t_not_ok "$P .env intact"
	out=$(gw -- cat secret.txt 2>&1)
	printf '%s' "$out" | grep -q "top secret" && t_not_ok "$P denyRead file hidden" "$out" || t_ok "$P denyRead file is hidden"
	expect_fail_out "$P .git/hooks/pre-commit cannot be created" "" gw -- sh -c 'printf "#!/bin/sh\n" > .git/hooks/pre-commit'
	[ ! -e "$WS/.git/hooks/pre-commit" ] && t_ok "$P  ...no hook on the host" || t_not_ok "$P hook created"
	expect_fail_out "$P .git/config cannot be changed" "" gw -- git config core.fsmonitor evil
	expect_fail_out "$P .git cannot be renamed away" "" gw -- mv .git sub/git
	expect_fail_out "$P .git/hooks cannot be renamed away" "" gw -- mv .git/hooks .git/h2
	expect_fail_out "$P the workspace itself cannot be renamed" "" gw -- sh -c "mv '$WS' '$WS.x'"
	rm -rf "$WS/.git/hooks"
	expect_fail_out "$P a missing .git/hooks cannot be created" "" gw -- sh -c 'mkdir -p .git/hooks && echo x > .git/hooks/pre-commit'
	[ ! -e "$WS/.git/hooks" ] && t_ok "$P  ...and its placeholder is gone after the run" || t_not_ok "$P hooks placeholder removed" "$(ls -la "$WS/.git")"
	for p in .bashrc .envrc .mcp.json .vscode/tasks.json .idea/x .claude/commands/x.md .husky/pre-commit .gitmodules; do
		expect_fail_out "$P missing $p cannot be created" "" gw -- sh -c "mkdir -p \$(dirname $p) 2>/dev/null; echo evil > $p"
	done
	left=$(cd "$WS" && ls -A | grep -E '^\.(bashrc|envrc|mcp\.json|vscode|idea|claude|husky|gitmodules)$')
	[ -z "$left" ] && t_ok "$P no placeholder is left in the workspace" || t_not_ok "$P placeholders left" "$left"
	expect_out "$P git status shows no placeholder" "^ok$" gw -- sh -c 'test -z "$(git status --porcelain --untracked-files=all | grep -E "bashrc|vscode|mcp|envrc")" && echo ok'
	GITCFG=$(conf gitcfg "{\"filesystem\":{\"allowGitConfig\":true,\"allowRead\":[\"$T/bin\"]}}")
	expect "$P allowGitConfig lets .git/config be written" 0 gwc "$GITCFG" -- git config gwtest.key value
	# a worktree: its .git file and the directories it points to are protected
	MAIN=$T/main-$U_NAME
	git init -q "$MAIN" 2>/dev/null && git -C "$MAIN" -c user.email=t@t -c user.name=t commit -q --allow-empty -m i
	git -C "$MAIN" worktree add -q "$T/wt-$U_NAME" 2>/dev/null
	chown -R "$U_UID:$U_GID" "$MAIN" "$T/wt-$U_NAME"
	WTCONF=$(conf wt-$U_NAME "{\"filesystem\":{\"allowWrite\":[\"$MAIN\"]}}")
	wt() { (cd "$T/wt-$U_NAME" && env -i HOME="$H" PATH=/usr/bin:/bin "${SETPRIV[@]}" "$GW" -s "$WTCONF" "$@"); }
	expect_fail_out "$P a worktree's .git file cannot be rewritten" "" wt -- sh -c 'echo "gitdir: /tmp/evil" > .git'
	expect_fail_out "$P the main repository's hooks cannot be created from a worktree" "" wt -- sh -c "echo x > '$MAIN/.git/hooks/post-checkout'"
	expect_fail_out "$P the main repository's config cannot be changed from a worktree" "" wt -- sh -c "echo '[core]' >> '$MAIN/.git/config'"
	expect "$P git status works in the worktree" 0 wt -- git status --short
	# config paths through symlinks and globs never break the run
	ln -sfn "$T/outside" "$WS/sub/outlink"
	chown -h "$U_UID:$U_GID" "$WS/sub/outlink"
	SYMCONF=$(conf sym "{\"filesystem\":{\"allowRead\":[\"sub/outlink\",\"$T/nope/*\"],\"denyWrite\":[\"sub/outlink\"]}}")
	expect_fail_out "$P a symlinked allowRead entry is not followed" "" gwc "$SYMCONF" -- cat sub/outlink/secret
	expect "$P  ...and the run still works" 0 gwc "$SYMCONF" -- true
	# defaultDenyRead false: the host's root read-only, denies still win
	LEGACY=$(conf legacy-$U_NAME "{\"filesystem\":{\"defaultDenyRead\":false,\"denyRead\":[\"secret.txt\"]}}")
	expect_fail_out "$P /var is invisible by default" "" gw -- head -c1 /var/lib/dpkg/status
	expect_out "$P defaultDenyRead false: the host is readable (/var)" "^ok$" gwc "$LEGACY" -- sh -c 'head -c1 /var/lib/dpkg/status >/dev/null && echo ok'
	expect_fail_out "$P  ...but not writable" "" gwc "$LEGACY" -- sh -c "echo x > /var/tmp/gw-legacy-$$"
	[ ! -e /var/tmp/gw-legacy-$$ ] && t_ok "$P  ...nothing was written" || { t_not_ok "$P legacy write"; rm -f /var/tmp/gw-legacy-$$; }
	expect_out "$P  ...the workspace and a private /tmp are" "^ok$" gwc "$LEGACY" -- sh -c 'echo x > legacy.txt && echo y > /tmp/gw-legacy-$$ && echo ok'
	[ ! -e /tmp/gw-legacy-$$ ] && t_ok "$P  ...and /tmp stays private" || t_not_ok "$P legacy /tmp private"
	out=$(gwc "$LEGACY" -- cat secret.txt 2>&1)
	printf '%s' "$out" | grep -q "top secret" && t_not_ok "$P  ...denyRead still hides" "$out" || t_ok "$P  ...denyRead still hides"
	# a large policy: more entries than fit in the argument list and than the default fd limit
	mkdir -p "$T/many-$U_NAME"
	for i in $(seq 1 1500); do : >"$T/many-$U_NAME/file-with-a-rather-long-name-to-grow-the-arguments-$i"; done
	chmod -R a+rX "$T/many-$U_NAME"
	python3 - "$T/many-$U_NAME" "$T/conf/large-$U_NAME.json" <<'PY'
import json, os, sys
d = sys.argv[1]
paths = [os.path.join(d, n) for n in sorted(os.listdir(d))]
json.dump({"filesystem": {"allowRead": paths}}, open(sys.argv[2], "w"))
PY
	chmod 644 "$T/conf/large-$U_NAME.json"
	f1=$T/many-$U_NAME/file-with-a-rather-long-name-to-grow-the-arguments
	expect_out "$P a policy of 1500 paths works (soft fd limit 1024)" "^ok 1024$" \
		lowfd gwc "$T/conf/large-$U_NAME.json" -- sh -c "cat '${f1}-1' '${f1}-777' '${f1}-1500' && echo ok \$(ulimit -n)"

	# ===== network ==================================================================
	expect_fail_out "$P the host's loopback is unreachable" "" gw -- curl -sS --max-time 5 --noproxy '*' "http://127.0.0.1:$HTTP_PORT/hello.txt"
	expect_fail_out "$P an IP address not in allowedDomains is refused" "" as_user "$GW" -s "$DOMCONF" -- curl -sS --max-time 5 --noproxy '*' "http://10.255.255.1/"
	expect_out "$P the configured proxy is relayed into the sandbox" "hello-from-test-server" gw -- curl -sS --max-time 10 "http://127.0.0.1:$HTTP_PORT/hello.txt"
	expect_out "$P  ...through greywall's own proxy, at 127.0.0.1 inside" "^socks5h://greywall:[0-9a-f]{32}@127.0.0.1:[0-9]+\$" gw -- sh -c 'echo "$ALL_PROXY"'
	expect_out "$P -f reaches a host loopback service" "hello-from-test-server" gw -f "$HTTP_PORT" -- curl -sS --max-time 10 --noproxy '*' "http://127.0.0.1:$HTTP_PORT/hello.txt"
	INPORT=$(free_port)
	echo "served-from-inside" >"$WS/inside.txt"
	chown "$U_UID:$U_GID" "$WS/inside.txt"
	# exec: $! must be greywall itself, to stop it below
	(cd "$WS" && exec env -i HOME="$H" PATH=/usr/bin:/bin ASAN_OPTIONS="$ASAN_OPTIONS" "${SETPRIV[@]}" \
		"$GW" -s "$CONF" -p "$INPORT" -- python3 -m http.server --bind 127.0.0.1 "$INPORT") >"$T/p.out" 2>&1 &
	gwpid=$!
	got=""
	for i in $(seq 1 100); do
		got=$(curl -s --max-time 2 "http://127.0.0.1:$INPORT/inside.txt" 2>/dev/null) && [ -n "$got" ] && break
		sleep 0.1
	done
	[ "$got" = served-from-inside ] && t_ok "$P -p lets a host client reach a server inside" || t_not_ok "$P -p" "got: $got" "$(cat "$T/p.out")"
	ss -ltn "sport = :$INPORT" | grep -q "127.0.0.1:$INPORT" && t_ok "$P  ...bound on 127.0.0.1 only" || t_not_ok "$P -p bound to loopback"
	kill -TERM $gwpid 2>/dev/null
	wait $gwpid 2>/dev/null
	! kill -0 $gwpid 2>/dev/null && t_ok "$P  ...and greywall stops on SIGTERM" || t_not_ok "$P -p greywall still running"

	# two runs at once in one workspace share the placeholders: the first
	# to end must not unmask the other's
	rm -f "$WS/sub/a-started" "$WS/sub/b-started" "$WS/sub/b-result"
	(cd "$WS" && exec env -i HOME="$H" PATH=/usr/bin:/bin ASAN_OPTIONS="$ASAN_OPTIONS" "${SETPRIV[@]}" \
		"$GW" -s "$CONF" -- sh -c ': > sub/a-started; sleep 1') >/dev/null 2>&1 &
	pa=$!
	for i in $(seq 1 100); do [ -e "$WS/sub/a-started" ] && break; sleep 0.05; done
	(cd "$WS" && exec env -i HOME="$H" PATH=/usr/bin:/bin ASAN_OPTIONS="$ASAN_OPTIONS" "${SETPRIV[@]}" \
		"$GW" -s "$CONF" -- sh -c ': > sub/b-started; sleep 2.5; if echo evil > .bashrc; then echo WROTE; else echo DENIED; fi > sub/b-result') >/dev/null 2>&1 &
	pb=$!
	wait $pa $pb
	[ "$(cat "$WS/sub/b-result" 2>/dev/null)" = DENIED ] && [ ! -f "$WS/.bashrc" ] &&
		t_ok "$P a run ending first does not unmask a concurrent run's protections" ||
		t_not_ok "$P concurrent placeholders" "$(cat "$WS/sub/b-result" 2>/dev/null)" "$(ls -la "$WS")"
	left=$(cd "$WS" && find . -maxdepth 2 -type s | head -5)
	[ -z "$left" ] && t_ok "$P  ...and the last one removes them" || t_not_ok "$P placeholders left" "$left"

	# ===== processes, exit codes, signals ===========================================
	gw -- sh -c 'setsid sleep 3131 >/dev/null 2>&1 & nohup sleep 3132 >/dev/null 2>&1 & sleep 0.1'
	sleep 0.2
	pgrep -f "sleep 313[12]" >/dev/null && t_not_ok "$P background children die" "$(pgrep -af 'sleep 313')" || t_ok "$P background and setsid children die with the sandbox"
	rm -f "$WS/sub/started"
	STATE_BEFORE=$(ls -d /dev/shm/greywall-* /tmp/greywall-* 2>/dev/null)
	(cd "$WS" && exec env -i HOME="$H" PATH=/usr/bin:/bin ASAN_OPTIONS="$ASAN_OPTIONS" "${SETPRIV[@]}" \
		"$GW" -s "$CONF" -- sh -c 'setsid sleep 3133 >/dev/null 2>&1 & sleep 3134 & : > sub/started; wait') >/dev/null 2>&1 &
	bg=$!
	for i in $(seq 1 100); do [ -e "$WS/sub/started" ] && break; sleep 0.05; done
	kill -KILL $bg
	wait $bg 2>/dev/null
	for i in $(seq 1 50); do pgrep -f "sleep 313[34]" >/dev/null || break; sleep 0.1; done
	pgrep -f "sleep 313[34]" >/dev/null && t_not_ok "$P nothing survives greywall's SIGKILL" "$(pgrep -af 'sleep 313')" ||
		t_ok "$P nothing of the sandbox survives greywall's SIGKILL"
	left=$(ls -d /dev/shm/greywall-* /tmp/greywall-* 2>/dev/null | grep -vxF -e "${STATE_BEFORE:-none}")
	[ -z "$left" ] && t_ok "$P  ...and no per-run state is left on the host" || t_not_ok "$P state left" "$left"
	expect "$P exit status is the command's" 7 gw -- sh -c 'exit 7'
	expect "$P death by signal N gives 128+N" 143 gw -- sh -c 'kill -TERM $$'
	expect "$P command not found gives 127" 127 gw -- no-such-command-gw
	expect "$P non-executable gives 126" 126 gw -- /etc/hostname
	rm -f "$T/sig.out" "$WS/sub/started"
	(cd "$WS" && exec env -i HOME="$H" PATH=/usr/bin:/bin ASAN_OPTIONS="$ASAN_OPTIONS" "${SETPRIV[@]}" \
		"$GW" -s "$CONF" -- sh -c "trap 'echo got-TERM; exit 3' TERM; : > sub/started; i=0; while [ \$i -lt 100 ]; do sleep 0.1; i=\$((i+1)); done; exit 9") >"$T/sig.out" 2>&1 &
	bg=$!
	for i in $(seq 1 100); do [ -e "$WS/sub/started" ] && break; sleep 0.05; done
	kill -TERM $bg
	wait $bg
	rc=$?
	grep -q got-TERM "$T/sig.out" && [ "$rc" = 3 ] && t_ok "$P SIGTERM to greywall reaches the command" || t_not_ok "$P SIGTERM forwarded" "status $rc" "$(cat "$T/sig.out")"

	# ===== everyday work ============================================================
	expect "$P git commit in the workspace" 0 gw -- sh -c 'git add -A && git -c user.email=a@b -c user.name=a commit -qm work'
	expect_out "$P python3 works" "^2$" gw -- python3 -c 'print(1+1)'
	expect_out "$P node works" "^3$" gw -- node -e 'console.log(1+2)'
	printf 'all: hello\nhello: hello.c\n\tcc -o hello hello.c\n' >"$WS/Makefile"
	printf '#include <stdio.h>\nint main(void){puts("compiled");return 0;}\n' >"$WS/hello.c"
	chown "$U_UID:$U_GID" "$WS/Makefile" "$WS/hello.c"
	expect_out "$P make and a compiler work" "^compiled$" gw -- sh -c 'make -s && ./hello'
	expect_out "$P --debug shows the mount plan" "mount plan" gw -d -- true
}

for who in $IDENTITIES; do
	setup_identity "$who"
	suite
done

# ===== user namespaces unavailable (as in a container) =============================
setup_identity "$(echo $IDENTITIES | awk '{print $NF}')"
expect "no user namespaces: exit 125" 125 as_user "$T/bin/no-userns" "$GW" -s "$CONF" -- true
expect_fail_out "no user namespaces: the message names the cause and the ways out" "seccomp.*--no-bwrap|--no-bwrap.*seccomp" as_user "$T/bin/no-userns" "$GW" -s "$CONF" -- true
expect_fail_out "no user namespaces: the command never runs" "" as_user "$T/bin/no-userns" "$GW" -s "$CONF" -- sh -c 'echo RAN > /tmp/gw-ns-ran-$$; echo RAN'
[ ! -e /tmp/gw-ns-ran-$$ ] && t_ok "  ...nothing ran" || t_not_ok "command ran without namespaces"

expect_fail_out "greywall refuses to run in / (it would be writable)" "refusing to run in /" bash -c "cd / && '$GW' -- true"
expect_fail_out "  ...with --no-bwrap too" "refusing to run in /" bash -c "cd / && '$GW' --no-bwrap -- true"
expect_out "check: the namespace sandbox runs a command" "✓ namespace sandbox runs a command" "$GW" check
expect_out "check: no user namespaces names the cause" "✗ user \+ network namespaces.*seccomp" as_user "$T/bin/no-userns" "$GW" check
expect_out "--linux-features: namespace sandbox available" "✓ namespace sandbox" "$GW" --linux-features

t_done
