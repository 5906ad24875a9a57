#!/bin/bash
# Integration tests of greywall-netns-helper and `greywall --no-bwrap
# --netns PIN`, the way they are meant to run: the helper installed by
# scripts/install-helper.sh (file capabilities, /run/greywall), used by an
# unprivileged user for whom user namespaces are unavailable (the
# no-userns shim, loaded without no_new_privs as a container runtime's
# filter is, so that file capabilities still apply).  The proxy behind the
# pins is `greywall proxy` with allowedDomains.  Then the abuse cases: a
# symlinked pin, another user's pin, paths outside /run/greywall, plain
# files, a recycled PID in the sidecar, wrong capabilities.  TAP.
#
# usage: helper.sh PATH/TO/greywall DIR/WITH/HELPERS PATH/TO/greywall-netns-helper
set -u
GW_BUILT=$1
HELPERS=$2
HELPER_BUILT=$3
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

it_begin gw-helper
if [ "$(id -u)" != 0 ]; then
	if can_skip; then
		t_skip "greywall-netns-helper" "installing it (setcap, /run/greywall) needs root"
		t_done
		exit 0
	fi
	t_not_ok "greywall-netns-helper" "installing it (setcap, /run/greywall) needs root"
	t_done
	exit 1
fi
it_user
id gwtest2 >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/bash gwtest2
U2_UID=$(id -u gwtest2)
GROUP=greywall
PINS=()
it_cleanup() {
	# Whatever a failed test left: the daemons first, by the PID their
	# sidecar records, then the pins.
	local p pid
	for p in "${PINS[@]}"; do
		pid=$(cut -d' ' -f1 "$p.pid" 2>/dev/null)
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
		umount -l "$p" 2>/dev/null
		rm -f "$p" "$p.pid" "$p.sock"
	done
	[ -n "${SLEEPER:-}" ] && kill "$SLEEPER" 2>/dev/null
	pkill -x -u "$U_UID" pin-mover
	for p in /run/greywall/moved-*; do umount -l "$p" 2>/dev/null; rm -f "$p"; done
}

mkdir -p "$T/bin" "$T/www" "$T/conf" "$T/ws/sub" "$T/home" "$T/tmpfiles"
install -m 755 "$GW_BUILT" "$HELPERS/no-userns" "$T/bin/"
chown -R "$U_UID:$U_GID" "$T/ws" "$T/home"
GW=$T/bin/greywall

# ===== make install-helper ======================================================
out=$(TMPFILES_DIR=$T/tmpfiles "$HERE/../../scripts/install-helper.sh" "$HELPER_BUILT" "$T/bin" "$GROUP" 2>&1)
rc=$?
H=$T/bin/greywall-netns-helper
GID=$(getent group "$GROUP" | cut -d: -f3)
[ "$rc" = 0 ] && t_ok "install-helper succeeds" || t_not_ok "install-helper" "$out"
caps=$(getcap "$H" | sed 's/^[^ ]* //')
[ "$caps" = "cap_net_admin,cap_sys_admin=ep" ] && t_ok "the helper has exactly cap_net_admin,cap_sys_admin+ep" ||
	t_not_ok "helper capabilities" "$caps"
st=$(stat -c '%a %U %G' "$H")
[ "$st" = "750 root $GROUP" ] && t_ok "the helper is root:$GROUP 0750" || t_not_ok "helper mode" "$st"
st=$(stat -c '%a %U %G' /run/greywall)
[ "$st" = "1770 root $GROUP" ] && t_ok "/run/greywall is 1770 root:$GROUP" || t_not_ok "/run/greywall" "$st"
grep -qx "d /run/greywall 1770 root $GROUP -" "$T/tmpfiles/greywall.conf" && t_ok "the tmpfiles.d entry recreates it at boot" ||
	t_not_ok "tmpfiles.d entry" "$(cat "$T/tmpfiles/greywall.conf" 2>&1)"

# ===== fixtures ==================================================================
HTTP_PORT=$(free_port)
UP_PORT=$(free_port)
echo "hello-from-test-server" >"$T/www/hello.txt"
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$HTTP_PORT" >/dev/null 2>&1 &
PIDS+=($!)
echo "127.0.0.1 allowed.test denied.test" >"$T/conf/hosts"
echo '{ "network": { "allowedDomains": ["allowed.test"], "allowLocalOutbound": true } }' >"$T/conf/up.json"
echo "{ \"filesystem\": { \"allowWrite\": [\"$T/ws\"] } }" >"$T/conf/gw.json"
GREYWALL_TEST_HOSTS=$T/conf/hosts "$GW" proxy --listen "127.0.0.1:$UP_PORT" --settings "$T/conf/up.json" \
	2>"$T/up.log" &
PIDS+=($!)
wait_port "$HTTP_PORT" || echo "# http server did not start"
wait_port "$UP_PORT" || echo "# upstream proxy did not start"
sleep 300 &
SLEEPER_ROOT=$!
PIDS+=($SLEEPER_ROOT)
chmod -R a+rX "$T/conf" "$T/www"

# The unprivileged user, member of the helper's group, with user
# namespaces unavailable.
as_uid() {
	local uid=$1
	shift
	(cd "$T/ws" && env -i HOME="$T/home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
		ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" ${EXTRA_ENV:-} \
		"$T/bin/no-userns" --no-nnp setpriv --reuid="$uid" --regid="$uid" --groups="$GID" \
		--inh-caps=-all "$@")
}
as_user() { as_uid "$U_UID" "$@"; }
as_user2() { as_uid "$U2_UID" "$@"; }
gwn() { as_user "$GW" --no-bwrap -s "$T/conf/gw.json" --netns "$PIN" "$@"; }
echo '{ "network": { "allowedDomains": ["allowed.test"] } }' >"$T/conf/gw-domains.json"
chmod 644 "$T/conf/gw-domains.json"
CURL=(curl -fsS --max-time 10)
HOST_NS=$(readlink /proc/self/ns/net)
mounted() { grep -q " $1 " /proc/self/mountinfo; }
daemon_of() { cut -d' ' -f1 "$1.pid" 2>/dev/null; }
# /dev/net/tun is 0600 root here and the helper has no CAP_DAC_OVERRIDE:
# an unprivileged user's namespace gets the lo-only fallback.
if as_user sh -c '[ -r /dev/net/tun ] && [ -w /dev/net/tun ]'; then LINKS="lo tun0"; else LINKS="lo"; fi

expect_fail_out "user namespaces are unavailable to the test user (the case the helper is for)" \
	"Operation not permitted" as_user unshare -Urn true

# ===== create ===================================================================
PIN=$(as_user "$H" create --proxy "socks5://127.0.0.1:$UP_PORT" 2>"$T/create.err")
PINS+=("$PIN")
if [[ $PIN =~ ^/run/greywall/ns-[0-9a-f]{32}$ ]]; then
	t_ok "create prints a pin"
else
	t_not_ok "create prints a pin" "got '$PIN'" "$(cat "$T/create.err")"
fi
mounted "$PIN" && t_ok "the pin is a mount" || t_not_ok "pin mounted" "$(grep greywall /proc/self/mountinfo)"
st=$(stat -c '%U %a' "$PIN.pid" 2>&1)
[ "$st" = "gwtest 600" ] && t_ok "the sidecar belongs to the user, 0600" || t_not_ok "sidecar" "$st"
D=$(daemon_of "$PIN")
dstat=$(grep -E '^(Uid|CapPrm|CapEff|CapAmb|NoNewPrivs)' "/proc/$D/status" 2>&1 | tr -s '\t ' ' ' | tr '\n' ';')
want="Uid: $U_UID $U_UID $U_UID $U_UID;CapPrm: 0000000000000000;CapEff: 0000000000000000;CapAmb: 0000000000000000;NoNewPrivs: 1;"
[ "$dstat" = "$want" ] && t_ok "the capture daemon runs as the user, no capability, no_new_privs" ||
	t_not_ok "capture daemon credentials" "$dstat"
[ "$(readlink "/proc/$D/ns/net")" = "$HOST_NS" ] && t_ok "the capture daemon is in the host's network namespace" ||
	t_not_ok "daemon netns" "$(readlink "/proc/$D/ns/net")"
env_bytes=$(tr -d '\0' <"/proc/$D/environ" 2>/dev/null | wc -c)
[ "$env_bytes" = 0 ] && t_ok "the capture daemon's environment is empty (and wiped)" ||
	t_not_ok "daemon env" "$(tr '\0' '\n' <"/proc/$D/environ")"
expect_out "list shows the pin running" "^$PIN running $D\$" as_user "$H" list

# ===== greywall --no-bwrap --netns ===============================================
out=$(gwn -- sh -c 'id -u; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status | tr -d "\t"
	readlink /proc/self/ns/net; echo links $(tail -n +3 /proc/net/dev | cut -d: -f1)' 2>&1)
want="$U_UID
CapEff:0000000000000000
NoNewPrivs:1
Seccomp:2"
case $out in "$want"*) t_ok "the command runs as the user: CapEff 0, NoNewPrivs 1, Seccomp 2" ;;
*) t_not_ok "command credentials" "$out" ;; esac
ns=$(printf '%s\n' "$out" | sed -n 5p)
[ -n "$ns" ] && [ "$ns" != "$HOST_NS" ] && t_ok "...in a network namespace other than the host's" ||
	t_not_ok "command netns" "$out"
printf '%s\n' "$out" | grep -qx "links $LINKS" && t_ok "...with only: $LINKS" || t_not_ok "links" "$out"
expect_out "the helper next to greywall is found without --netns-helper" "^ok$" gwn -- echo ok
expect_out "greywall check reports the helper usable" \
	"✓ greywall-netns-helper, for --no-bwrap --netns: $T/bin/greywall-netns-helper" as_user "$GW" check
out=$(cd / && setpriv --reuid="$U_UID" --regid="$U_GID" --clear-groups "$GW" check 2>&1)
printf '%s' "$out" | grep -q "✗ greywall-netns-helper.*you may not run it: join its group" &&
	t_ok "...and, to a user outside its group, why it is not" || t_not_ok "check outside the group" "$out"
expect_out "the pin's namespace reuses TIME_WAIT ports" "^1$" gwn -- cat /proc/sys/net/ipv4/tcp_tw_reuse
expect_out "exec's command keeps the caller's umask" "^0022$" \
	as_user sh -c 'umask 022; exec "$0" exec --netns "$1" -- sh -c umask' "$H" "$PIN"
expect_out "--netns-helper names it explicitly" "^ok$" \
	as_user "$GW" --no-bwrap --netns "$PIN" --netns-helper "$H" -- echo ok
expect_out "curl reaches an allowed name through the pin's proxy" "hello-from-test-server" \
	gwn -- "${CURL[@]}" "http://allowed.test:$HTTP_PORT/hello.txt"
expect_fail_out "a denied name fails" "" gwn -- "${CURL[@]}" "http://denied.test:$HTTP_PORT/hello.txt"
grep -q "denied denied.test:$HTTP_PORT" "$T/up.log" && t_ok "...refused by the upstream proxy, by name" ||
	t_not_ok "upstream saw the name" "$(cat "$T/up.log")"
expect_fail_out "a raw TCP connection to an IP literal fails" "" gwn -- python3 -c \
	"import socket; s=socket.create_connection(('192.0.2.1', 80), timeout=5); s.sendall(b'GET / HTTP/1.0\r\n\r\n'); assert s.recv(1)"
grep -q "denied 192.0.2.1:80" "$T/up.log" && t_ok "...captured and refused by the upstream" ||
	t_not_ok "IP literal at the upstream" "$(cat "$T/up.log")"
expect_out "UDP other than DNS fails at once" "PermissionError" gwn -- python3 -c \
	"import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try: s.sendto(b'x', ('8.8.8.8', 9999))
except OSError as e: print(type(e).__name__)"
EXTRA_ENV="ALL_PROXY=socks5h://127.0.0.1:1 HTTPS_PROXY=http://127.0.0.1:1" \
	expect_out "no proxy variable is exported (inherited ones removed)" "^none$" \
	gwn -- sh -c 'env | grep -i _proxy || echo none'
EXTRA_ENV="TZDIR=/usr/share/zoneinfo" expect_out "the environment survives the helper (TMPDIR private, TZDIR kept)" \
	"^/tmp/greywall-[^ ]+ /usr/share/zoneinfo$" gwn -- sh -c 'echo "$TMPDIR $TZDIR"'
expect "the command's exit status comes through" 7 gwn -- sh -c 'exit 7'
expect_fail_out "--netns requires --no-bwrap" "--netns requires --no-bwrap" as_user "$GW" --netns "$PIN" -- true
expect_fail_out "a missing helper is named, with a hint (exit 125)" "not an executable file.*|never looked up in PATH" \
	as_user "$GW" --no-bwrap --netns "$PIN" --netns-helper /nonexistent -- true

# The command dies with greywall's supervisor (the helper re-arms the
# parent-death signal the kernel cleared when it executed a program with
# file capabilities).
rm -f "$T/ws/sub/cmd.pid"
gwn -- sh -c 'echo $$ > sub/cmd.pid; exec sleep 60' </dev/null >/dev/null 2>&1 &
bg=$!
for i in $(seq 1 100); do [ -s "$T/ws/sub/cmd.pid" ] && break; sleep 0.05; done
cmdpid=$(cat "$T/ws/sub/cmd.pid" 2>/dev/null)
sup=$(pgrep -u "$U_UID" -f "^$GW --no-bwrap -s $T/conf/gw.json --netns $PIN -- sh -c echo" | head -1)
[ -n "$sup" ] && kill -KILL "$sup"
wait "$bg" 2>/dev/null
for i in $(seq 1 40); do [ -n "$cmdpid" ] && [ -d "/proc/$cmdpid" ] || break; sleep 0.05; done
[ -n "$cmdpid" ] && [ -n "$sup" ] && [ ! -d "/proc/$cmdpid" ] && t_ok "the command dies with the supervisor" ||
	t_not_ok "command outlived the supervisor" "supervisor '$sup', command '$cmdpid'"

# greywall cannot apply its own domain lists inside a pin: it refuses
# rather than run with more network than the config says.
expect_fail_out "--netns with allowedDomains in greywall's config is refused" "cannot be enforced with --netns" \
	as_user "$GW" --no-bwrap -s "$T/conf/gw-domains.json" --netns "$PIN" -- true

# ===== abuse =====================================================================
X=/run/greywall/ns-0123456789abcdef0123456789abcdef
PINS+=("$X")
ln -s "$PIN" "$X"
expect_fail_out "a symlinked pin is refused by exec (even to one's own pin)" "a symlink, not a pin" \
	as_user "$H" exec --netns "$X" -- true
expect_fail_out "...and by greywall --netns (exit 125)" "a symlink" as_user "$GW" --no-bwrap --netns "$X" -- true
expect_fail_out "...and by destroy" "a symlink" as_user "$H" destroy "$X"
mounted "$PIN" && [ -d "/proc/$D" ] && t_ok "...which left the real pin alone" || t_not_ok "real pin after symlink" ""
rm -f "$X"

touch "$X"
expect_fail_out "a regular file of root's in /run/greywall is refused" "a pin of user 0, not yours" \
	as_user "$H" exec --netns "$X" -- true
chown "$U_UID" "$X"
expect_fail_out "a regular file of the user's own is refused (no namespace mounted)" "no network namespace is mounted" \
	as_user "$H" exec --netns "$X" -- true
rm -f "$X"

for p in /tmp/ns-0123456789abcdef0123456789abcdef "/run/greywall/../greywall/${PIN##*/}" \
	"/run/greywall//${PIN##*/}" "$PIN/.." "$PIN.pid" /run/greywall/ns-0123 /proc/1/ns/net; do
	expect_fail_out "a path other than /run/greywall/ns-<hex> is refused: $p" "a pin is /run/greywall/ns-<32 hex digits>" \
		as_user "$H" exec --netns "$p" -- true
done
# An nsfs bind mount outside /run/greywall: refused by name alone.
touch "$T/ns-0123456789abcdef0123456789abcdef"
mount --bind /proc/self/ns/net "$T/ns-0123456789abcdef0123456789abcdef"
expect_fail_out "an nsfs mount outside /run/greywall is refused" "a pin is" \
	as_user "$H" exec --netns "$T/ns-0123456789abcdef0123456789abcdef" -- true
umount "$T/ns-0123456789abcdef0123456789abcdef"

PIN2=$(as_user2 "$H" create --proxy "socks5://127.0.0.1:$UP_PORT" 2>&1)
PINS+=("$PIN2")
D2=$(daemon_of "$PIN2")
expect_fail_out "another user's pin is refused by exec" "a pin of user $U2_UID, not yours" \
	as_user "$H" exec --netns "$PIN2" -- true
expect_fail_out "...by greywall --netns" "not yours" as_user "$GW" --no-bwrap --netns "$PIN2" -- true
expect_fail_out "...and by destroy" "not yours" as_user "$H" destroy "$PIN2"
mounted "$PIN2" && [ -d "/proc/$D2" ] && t_ok "...which left it mounted, its daemon running" ||
	t_not_ok "other user's pin after the attempts" "$(grep greywall /proc/self/mountinfo)"
expect_out "list shows only one's own pins" "^$PIN running" as_user "$H" list
as_user "$H" list | grep -q "${PIN2##*/}" && t_not_ok "list hides others' pins" "" || t_ok "list hides others' pins"
# Another member of the group fills the directory (more than 4 MiB of
# names, 2,000 of them pin names): list and gc still see one's own pins.
as_user2 python3 -c "
import os
for i in range(2000):
    open('/run/greywall/ns-%032x' % (0xf00d0000 + i), 'w').close()
for i in range(20000):
    open('/run/greywall/junk-%05d-' % i + 'x' * 230, 'w').close()"
expect_out "list works in a directory another user filled" "^$PIN running" as_user "$H" list
expect "...and so does gc" 0 as_user "$H" gc
find /run/greywall -maxdepth 1 \( -name 'junk-*' -o -name 'ns-000000000000000000000000f00d*' \) -delete
# A pin replaced between validation and use: the user swaps a name of
# theirs, as fast as rename(2) goes, between a plain file of their own
# (which passes the owner check) and symlinks to the other user's pin and
# to the host's namespace, while exec is run on that name again and again.
# Every exec must be refused; none may enter a namespace.
X=/run/greywall/ns-00000000000000000000000000000bad
PINS+=("$X")
NS2=$(as_user2 "$H" exec --netns "$PIN2" -- readlink /proc/self/ns/net 2>&1)
as_user python3 -c "
import os, sys, time
x, targets = sys.argv[1], sys.argv[2:]
end = time.time() + 30
while time.time() < end and not os.path.exists('$T/ws/sub/race-stop'):
    for t in targets:
        os.symlink(t, x + '.l'); os.rename(x + '.l', x)
        open(x + '.f', 'w').close(); os.rename(x + '.f', x)
os.unlink(x)" "$X" "$PIN2" "/proc/$SLEEPER_ROOT/ns/net" "${PIN2##*/}" &
racer=$!
entered=0 refused=0
for i in $(seq 1 60); do
	out=$(as_user "$H" exec --netns "$X" -- readlink /proc/self/ns/net 2>&1) && entered=$((entered + 1)) ||
		refused=$((refused + 1))
	case $out in *"net:["*) entered=$((entered + 1)) ;; esac
done
touch "$T/ws/sub/race-stop"
wait "$racer"
[ "$entered" = 0 ] && [ "$refused" = 60 ] && ! [ -e "$X" ] &&
	t_ok "a pin swapped between a file of one's own and symlinks to others: 60 execs, all refused" ||
	t_not_ok "pin replaced during validation" "entered $entered refused $refused (other ns $NS2)" "$out"
rm -f "$X" "$X.l" "$X.f"
expect "the other user destroys it" 0 as_user2 "$H" destroy "$PIN2"

# The pin renamed between its creation and its mount (the file is the
# user's until it is a mount point): the mount would follow it to a name
# no pin command looks at.  create must undo it and fail, every time.
install -m 755 "$HELPERS/pin-mover" "$T/bin/"
leaks="" made=0 refused=0
for attempt in 1 2 3 4; do
	as_user "$T/bin/pin-mover" /run/greywall 20 >"$T/mover.out" 2>&1 &
	mover=$!
	for i in $(seq 1 100); do grep -q watching "$T/mover.out" && break; sleep 0.02; done
	out=$(as_user "$H" create --proxy "socks5://127.0.0.1:$UP_PORT" 2>&1) && rc=0 || rc=$?
	pkill -x -u "$U_UID" pin-mover
	wait "$mover" 2>/dev/null
	if [ "$rc" = 0 ]; then
		# The mover lost the race: the pin must be where it was printed.
		PINS+=("$out")
		mounted "$out" && made=$((made + 1)) || leaks="$leaks printed $out but it is not mounted;"
		as_user "$H" destroy "$out" >/dev/null 2>&1
	elif printf '%s' "$out" | grep -q "was moved while it was being mounted"; then
		refused=$((refused + 1))
	else
		leaks="$leaks create failed otherwise: $out;"
	fi
	grep " /run/greywall/moved-" /proc/self/mountinfo >/dev/null &&
		leaks="$leaks a mount at $(grep -o " /run/greywall/moved-[^ ]*" /proc/self/mountinfo | head -1);"
	for m in /run/greywall/moved-*; do umount -l "$m" 2>/dev/null; rm -f "$m"; done
done
[ -z "$leaks" ] && [ "$refused" -ge 1 ] &&
	t_ok "a pin renamed before its mount: create undoes the mount and fails ($refused of 4; $made won by create)" ||
	t_not_ok "pin renamed before its mount" "refused $refused made $made;$leaks"

# Wrong capabilities: copies of the helper the user may run.
for c in none "cap_net_admin+ep" "cap_net_admin,cap_sys_admin,cap_dac_override+ep"; do
	install -m 755 "$HELPER_BUILT" "$T/bin/h-copy"
	[ "$c" != none ] && setcap "$c" "$T/bin/h-copy"
	expect_fail_out "a helper with capabilities '$c' refuses to run, with the setcap hint" \
		"setcap cap_net_admin,cap_sys_admin\+ep" as_user "$T/bin/h-copy" list
done
# greywall check looks at the helper next to it.
mkdir -p "$T/chk"
install -m 755 "$GW_BUILT" "$T/chk/greywall"
install -m 755 "$HELPER_BUILT" "$T/chk/greywall-netns-helper"
setcap cap_net_admin+ep "$T/chk/greywall-netns-helper"
expect_out "greywall check names a helper with the wrong capabilities" \
	"✗ greywall-netns-helper.*other file capabilities" as_user "$T/chk/greywall" check
rm -f "$T/chk/greywall-netns-helper"
expect_out "...and a missing one, as optional" "✗ greywall-netns-helper.*optional" as_user "$T/chk/greywall" check
install -m 4755 "$HELPER_BUILT" "$T/bin/h-copy"
expect_fail_out "a setuid-root helper refuses to run" "must not be setuid" as_user "$T/bin/h-copy" list
rm -f "$T/bin/h-copy"

# A recycled PID: the sidecar names a live process of the user's that is
# not the daemon (wrong start time).  destroy must not signal it.
as_user sh -c 'echo $$ > sub/sleeper.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &
for i in $(seq 1 100); do [ -s "$T/ws/sub/sleeper.pid" ] && break; sleep 0.05; done
SLEEPER=$(cat "$T/ws/sub/sleeper.pid")
rm -f "$PIN.pid"
echo "$SLEEPER 12345" >"$PIN.pid"
chown "$U_UID" "$PIN.pid"
expect "destroy with a recycled PID in the sidecar succeeds" 0 as_user "$H" destroy "$PIN"
[ -d "/proc/$SLEEPER" ] && t_ok "...without signalling the process that has the PID now" ||
	t_not_ok "recycled PID signalled" ""
kill "$D" 2>/dev/null
# And a sidecar naming another user's process with its true start time:
# the helper runs as the caller, so the kernel refuses the signal.
PIN=$(as_user "$H" create --proxy "socks5://127.0.0.1:$UP_PORT" 2>&1)
PINS+=("$PIN")
D=$(daemon_of "$PIN")
start=$(sed 's/.*) //' "/proc/$SLEEPER_ROOT/stat" | cut -d' ' -f20)
rm -f "$PIN.pid"
echo "$SLEEPER_ROOT $start" >"$PIN.pid"
chown "$U_UID" "$PIN.pid"
expect_fail_out "a sidecar naming root's process: destroy reports the refused signal" "cannot stop" \
	as_user "$H" destroy "$PIN"
[ -d "/proc/$SLEEPER_ROOT" ] && ! mounted "$PIN" && t_ok "...the process lives on, the pin is gone anyway" ||
	t_not_ok "root's process or the pin" "$(grep greywall /proc/self/mountinfo)"
kill "$D" 2>/dev/null

# Another member of the group plants a FIFO as the sidecar: destroy must
# neither hang on it nor trust it.
PIN=$(as_user "$H" create --proxy "socks5://127.0.0.1:$UP_PORT" 2>&1)
PINS+=("$PIN")
D=$(daemon_of "$PIN")
rm -f "$PIN.pid"
as_user2 mkfifo "$PIN.pid"
expect_out "a FIFO planted as the sidecar by another user: destroy neither hangs nor trusts it" \
	"not a file of yours" as_user timeout 20 "$H" destroy "$PIN"
mounted "$PIN" && t_not_ok "...and still removes the pin" "" || t_ok "...and still removes the pin"
rm -f "$PIN.pid"
kill "$D" 2>/dev/null

# Another member takes the bridge socket's name of a pin without a bridge:
# destroy still succeeds, and leaves that file (not the pin's) alone.
PIN=$(as_user "$H" create --proxy "socks5://127.0.0.1:$UP_PORT" 2>&1)
PINS+=("$PIN")
as_user2 touch "$PIN.sock"
expect "a sidecar name taken by another user does not make destroy fail" 0 as_user "$H" destroy "$PIN"
! mounted "$PIN" && [ ! -e "$PIN" ] && [ "$(stat -c %U "$PIN.sock")" = gwtest2 ] &&
	t_ok "...the pin is gone, the other user's file left alone" || t_not_ok "squatted sidecar" "$(ls -l "$PIN"*)"
rm -f "$PIN.sock"

# A crafted PATH: nothing the helper runs is looked up there (the original
# ran ip, socat and tun2socks from the caller's PATH with its capabilities).
mkdir -p "$T/evil"
for prog in ip nft socat tun2socks iptables mount umount greywall greywall-capd sh; do
	printf '#!/bin/sh\necho %s >> %s/evil/ran.log\n' "$prog" "$T" >"$T/evil/$prog"
	chmod 755 "$T/evil/$prog"
done
chmod 777 "$T/evil"
EVILPIN=$(EXTRA_ENV="PATH=$T/evil:/usr/bin:/bin" as_user "$H" create --proxy "socks5://127.0.0.1:$UP_PORT" 2>"$T/evil.err")
if [[ $EVILPIN =~ ^/run/greywall/ns-[0-9a-f]{32}$ ]] && [ ! -e "$T/evil/ran.log" ]; then
	t_ok "a crafted PATH runs nothing of the caller's (create works, no planted program ran)"
else
	t_not_ok "crafted PATH" "pin '$EVILPIN'" "$(cat "$T/evil/ran.log" "$T/evil.err" 2>/dev/null)"
fi
[ -n "$EVILPIN" ] && as_user "$H" destroy "$EVILPIN" >/dev/null 2>&1

# ===== --bridge-port =============================================================
BP=$(free_port)
expect_fail_out "--bridge-port wants a port" "not a port" as_user "$H" create --proxy "socks5://127.0.0.1:$UP_PORT" --bridge-port 0
PIN=$(as_user "$H" create --proxy "socks5://gw:s3cr3t-pw@127.0.0.1:$UP_PORT" --bridge-port "$BP" 2>&1)
PINS+=("$PIN")
D=$(daemon_of "$PIN")
K=$(pgrep -P 1 -u "$U_UID" -x greywall-bridge | while read -r k; do
	[ "$(readlink "/proc/$k/ns/net")" = "$(as_user "$H" exec --netns "$PIN" -- readlink /proc/self/ns/net)" ] && echo "$k"; done | head -1)
kstat=$(grep -E '^(CapPrm|CapEff|NoNewPrivs)' "/proc/$K/status" 2>&1 | tr -s '\t ' ' ' | tr '\n' ';')
[ -n "$K" ] && [ "$kstat" = "CapPrm: 0000000000000000;CapEff: 0000000000000000;NoNewPrivs: 1;" ] &&
	t_ok "the bridge keeper in the namespace has no capability, no_new_privs" || t_not_ok "bridge keeper" "'$K' $kstat"
cmdlines=$(tr '\0' ' ' <"/proc/$D/cmdline"; echo; tr '\0' ' ' <"/proc/$K/cmdline")
if printf '%s' "$cmdlines" | grep -q "s3cr3t"; then
	t_not_ok "the proxy's credentials do not show in the daemons' command lines" "$cmdlines"
elif printf '%s' "$cmdlines" | grep -q -- "--proxy socks5://\*\**@127.0.0.1"; then
	t_ok "the proxy's credentials do not show in the daemons' command lines"
else
	t_not_ok "daemon command lines" "$cmdlines"
fi
echo "bridged-hello" >"$T/ws/sub/b.txt"
chown "$U_UID" "$T/ws/sub/b.txt"
rm -f "$T/ws/sub/ready"
as_user "$GW" --no-bwrap -s "$T/conf/gw.json" -p "$BP" --netns "$PIN" -- python3 -c "
import http.server, functools, os
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory='sub')
s = http.server.HTTPServer(('127.0.0.1', $BP), h)
open('sub/ready', 'w').write(str(os.getpid()))
s.serve_forever()" </dev/null >/dev/null 2>&1 &
bg=$!
for i in $(seq 1 100); do [ -s "$T/ws/sub/ready" ] && break; sleep 0.05; done
expect_out "a host client of the pin's owner reaches the command's server through --bridge-port" \
	"^bridged-hello$" as_user "${CURL[@]}" "http://127.0.0.1:$BP/b.txt"
expect_out "...and at [::1], where localhost may lead" "^bridged-hello$" \
	as_user "${CURL[@]}" -g "http://[::1]:$BP/b.txt"
expect_fail_out "...which another user cannot use either" "" as_user2 "${CURL[@]}" -g "http://[::1]:$BP/b.txt"
expect_out "...and through the pin's Unix socket" "^bridged-hello$" \
	as_user "${CURL[@]}" --unix-socket "$PIN.sock" "http://bridge/b.txt"
st=$(stat -c '%F %U %a' "$PIN.sock" 2>&1)
[ "$st" = "socket gwtest 700" ] && t_ok "the bridge's socket is beside the pin, the user's, 0700" ||
	t_not_ok "bridge socket" "$st"
# Another user (in the helper's group too) and root: the kernel accepts
# the TCP connection, the daemon resets it before a byte passes.
expect_fail_out "another user's client cannot use the bridge's TCP port" "" \
	as_user2 "${CURL[@]}" "http://127.0.0.1:$BP/b.txt"
expect_fail_out "...nor root's" "" "${CURL[@]}" "http://127.0.0.1:$BP/b.txt"
out=$(as_user2 python3 -c "
import socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect('$PIN.sock')
    print('connected')
except PermissionError:
    print('EACCES')" 2>&1)
[ "$out" = "EACCES" ] && t_ok "...nor the Unix socket (permission denied)" || t_not_ok "other user's bridge socket" "$out"
out=$(as_user2 python3 -c "
import socket
try:
    s = socket.create_connection(('127.0.0.1', $BP), timeout=5)
    s.sendall(b'GET /b.txt HTTP/1.0\r\n\r\n')
    print('got', len(s.recv(100)))
except (ConnectionResetError, BrokenPipeError):
    print('reset')" 2>&1)
[ "$out" = "reset" ] && t_ok "...which is reset with nothing relayed" || t_not_ok "other user's bridge connection" "$out"
# The server, then greywall, which ends with its command.
kill "$(cat "$T/ws/sub/ready")" 2>/dev/null
wait "$bg" 2>/dev/null
expect "destroy the bridged pin" 0 as_user "$H" destroy "$PIN"
for i in $(seq 1 40); do [ -d "/proc/$K" ] && [ "$(cut -d' ' -f3 "/proc/$K/stat" 2>/dev/null)" != Z ] || break; sleep 0.05; done
[ -d "/proc/$K" ] && [ "$(cut -d' ' -f3 "/proc/$K/stat" 2>/dev/null)" != Z ] && t_not_ok "bridge keeper outlived its pin" "$K" ||
	t_ok "...its bridge keeper exits with the daemon"
expect_fail_out "...and the host port is closed" "" as_user "${CURL[@]}" "http://127.0.0.1:$BP/b.txt"
[ ! -e "$PIN.sock" ] && t_ok "...and the bridge's socket is removed" || t_not_ok "bridge socket left" "$(ls -l "$PIN.sock")"

# ===== destroy and gc ============================================================
# Created by a caller that ignores SIGTERM: the daemon does not inherit
# that, so destroy's SIGTERM stops it at once (no SIGKILL after 3 s).
PIN=$(as_user sh -c 'trap "" TERM INT; exec "$0" create --proxy "$1"' "$H" "socks5://127.0.0.1:$UP_PORT" 2>&1)
PINS+=("$PIN")
D=$(daemon_of "$PIN")
t0=$(date +%s%N)
expect "destroy" 0 as_user "$H" destroy "$PIN"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 2500 ] && t_ok "...stops the daemon with SIGTERM (${ms} ms), even when the caller ignored it" ||
	t_not_ok "destroy took ${ms} ms (SIGTERM ignored?)" ""
for i in $(seq 1 40); do [ -d "/proc/$D" ] || break; sleep 0.05; done
left=""
[ -d "/proc/$D" ] && [ "$(cut -d' ' -f3 "/proc/$D/stat")" != Z ] && left="$left daemon $D;"
mounted "$PIN" && left="$left mount;"
ls "$PIN" "$PIN.pid" "$PIN.sock" >/dev/null 2>&1 && left="$left files: $(ls "$PIN"*);"
[ -z "$left" ] && t_ok "destroy leaves no process, mount or file" || t_not_ok "destroy left" "$left"
expect "destroy again is a no-op" 0 as_user "$H" destroy "$PIN"

PIN=$(as_user "$H" create --proxy "socks5://127.0.0.1:$UP_PORT" 2>&1)
PINS+=("$PIN")
D=$(daemon_of "$PIN")
kill -9 "$D"
for i in $(seq 1 40); do [ -d "/proc/$D" ] || break; sleep 0.05; done
expect_out "list shows a pin whose daemon died as stale" "^$PIN stale$" as_user "$H" list
expect_out "exec into it warns that nothing will reach the network" "capture daemon is gone" \
	as_user "$H" exec --netns "$PIN" -- true
expect_out "gc destroys it" "^destroyed $PIN$" as_user "$H" gc
mounted "$PIN" || [ -e "$PIN" ] && t_not_ok "gc left the pin" "" || t_ok "...leaving nothing"

t_done
