#!/bin/bash
# Network policy tests: greywall's own proxy (SOCKS5 and HTTP listeners of a
# sandboxed run, and `greywall proxy` standalone), driven by real clients
# (curl, python3, git) against loopback HTTP/HTTPS/echo servers.  TAP.
#
# usage: net.sh PATH/TO/greywall DIR/WITH/HELPERS
#
# Test names (allowed.test, denied.test, ...) resolve to 127.0.0.1 through
# GREYWALL_TEST_HOSTS, greywall's test-only resolver setting (resolver.h);
# the policy lets allowed names reach loopback with allowLocalOutbound.
set -u
GW_BUILT=$1
HELPERS=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

it_begin gw-net
it_user
mkdir -p "$T/bin" "$T/www" "$T/conf" "$T/srv" "$T/home"
install -m 755 "$GW_BUILT" "$T/bin/"
install -m 755 "$HERE/netprobe.py" "$HELPERS/no-nftables" "$T/bin/"
GW=$T/bin/greywall
WS=$T/ws
mkdir -p "$WS/sub"
chown -R "$U_UID:$U_GID" "$WS" "$T/home"

# --- servers -------------------------------------------------------------------
echo "hello-from-test-server" >"$T/srv/hello.txt"
mkdir -p "$T/srv/www"
cp "$T/srv/hello.txt" "$T/srv/www/hello.txt"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=allowed.test \
	-addext "subjectAltName=DNS:allowed.test,DNS:denied.test,DNS:other.test,DNS:a.wild.test" \
	-keyout "$T/srv/key.pem" -out "$T/srv/cert.pem" >/dev/null 2>&1
cp "$T/srv/cert.pem" "$T/conf/ca.pem"
# A git repository served by the dumb HTTP protocol.
git init -q --bare "$T/srv/www/repo.git"
git clone -q "$T/srv/www/repo.git" "$T/srv/work" 2>/dev/null
(cd "$T/srv/work" && echo "readme" >README && git add README &&
	git -c user.email=t@t -c user.name=t commit -qm init && git push -q origin HEAD:master) >/dev/null 2>&1
git -C "$T/srv/www/repo.git" symbolic-ref HEAD refs/heads/master
git -C "$T/srv/www/repo.git" update-server-info
python3 "$HERE/netserv.py" "$T/srv" >/dev/null 2>&1 &
PIDS+=($!)
for i in $(seq 1 100); do [ -s "$T/srv/ports" ] && break; sleep 0.05; done
read -r HTTP_PORT HTTPS_PORT ECHO_PORT MUTE_PORT HALF_PORT <"$T/srv/ports"

cat >"$T/conf/hosts" <<EOF
127.0.0.1 allowed.test denied.test other.test a.wild.test
127.0.0.1 b.wild.test sni.test
EOF
export GREYWALL_TEST_HOSTS=$T/conf/hosts

CONF=$T/conf/greywall.json
cat >"$CONF" <<JSON
{
  "network": {
    "allowedDomains": ["allowed.test", "*.wild.test", "denied.test"],
    "deniedDomains": ["denied.test"],
    "allowLocalOutbound": true
  },
  "filesystem": { "allowRead": ["$T/bin", "$T/conf"] }
}
JSON
NOLOCAL=$T/conf/nolocal.json
cat >"$NOLOCAL" <<JSON
{ "network": { "allowedDomains": ["allowed.test"] }, "filesystem": { "allowRead": ["$T/bin"] } }
JSON
chmod -R a+rX "$T/conf" "$T/bin"

as_user() {
	(cd "$WS" && env -i HOME="$T/home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
		ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
		GREYWALL_TEST_HOSTS="$GREYWALL_TEST_HOSTS" "${SETPRIV[@]}" "$@")
}
gw() { as_user "$GW" --no-bwrap -s "$CONF" "$@"; }
CURL=(curl -fsS --max-time 10)
U_HTTP=http://allowed.test:$HTTP_PORT/hello.txt

# ===== --no-bwrap through greywall's own proxy ================================
expect_out "the command gets greywall's SOCKS5 proxy with a credential" \
	'^socks5h://greywall:[0-9a-f]{32}@127\.0\.0\.1:[0-9]+$' gw -- sh -c 'echo "$ALL_PROXY"'
expect_out "the command keeps the caller's open-file limit (the proxy raised its own)" "^$(ulimit -Sn)\$" \
	gw -- sh -c 'ulimit -Sn'
expect_out "curl reaches an allowed name over SOCKS5" "hello-from-test-server" gw -- "${CURL[@]}" "$U_HTTP"
expect_out "curl reaches an allowed name through the HTTP proxy" "hello-from-test-server" \
	gw -- sh -c "${CURL[*]} -x \"\$HTTP_PROXY\" $U_HTTP"
expect_out "a wildcard admits a subdomain" "hello-from-test-server" gw -- "${CURL[@]}" "http://a.wild.test:$HTTP_PORT/hello.txt"
expect_fail_out "a denied name fails, and -m says why" "denied denied\.test:$HTTP_PORT .* in deniedDomains" \
	gw -m -- "${CURL[@]}" "http://denied.test:$HTTP_PORT/hello.txt"
expect_fail_out "an unlisted name fails" "not in allowedDomains" \
	gw -m -- "${CURL[@]}" "http://other.test:$HTTP_PORT/hello.txt"
expect_fail_out "the wildcard's own base is not admitted" "denied wild\.test" \
	gw -m -- "${CURL[@]}" "http://wild.test:$HTTP_PORT/hello.txt"
expect_fail_out "an IP literal is refused" "an IP address not in allowedDomains" \
	gw -m -- "${CURL[@]}" "http://127.0.0.1:$HTTP_PORT/hello.txt"
# N3: an IPv4 address hidden in an IPv6 literal is judged as that address.
expect_fail_out "an IPv4-mapped IPv6 literal is refused like the IPv4 address" "denied 127\.0\.0\.1:$HTTP_PORT" \
	gw -m -- "${CURL[@]}" "http://[::ffff:127.0.0.1]:$HTTP_PORT/hello.txt"
# N10: case and a trailing dot do not make another name.
expect_out "an allowed name in upper case with a trailing dot is the same name" "hello-from-test-server" \
	gw -- "${CURL[@]}" "http://ALLOWED.Test.:$HTTP_PORT/hello.txt"
# N14: a rule with a port allows that port only.
PORTCONF=$T/conf/port.json
echo "{ \"network\": { \"allowedDomains\": [\"allowed.test:$HTTPS_PORT\"], \"allowLocalOutbound\": true },
  \"filesystem\": { \"allowRead\": [\"$T/conf\"] } }" >"$PORTCONF"
chmod 644 "$PORTCONF"
expect_out "a port-qualified rule allows its port" "hello-from-test-server" \
	as_user "$GW" --no-bwrap -s "$PORTCONF" -- "${CURL[@]}" --cacert "$T/conf/ca.pem" "https://allowed.test:$HTTPS_PORT/hello.txt"
expect_fail_out "...and not another port of the same name" "not in allowedDomains" \
	as_user "$GW" --no-bwrap -m -s "$PORTCONF" -- "${CURL[@]}" "$U_HTTP"
expect_fail_out "the HTTP proxy refuses a denied name with 403" "403" \
	gw -- sh -c "${CURL[*]} -f -x \"\$HTTP_PROXY\" http://denied.test:$HTTP_PORT/hello.txt"
expect_fail_out "an allowed name resolving to loopback is refused without allowLocalOutbound" \
	"loopback address" as_user "$GW" --no-bwrap -m -s "$NOLOCAL" -- "${CURL[@]}" "$U_HTTP"
expect_out "python urllib uses the HTTP proxy" "hello-from-test-server" \
	gw -- python3 -c "import urllib.request; print(urllib.request.urlopen('$U_HTTP', timeout=10).read().decode())"
expect_out "git clone over HTTP through the proxy" "^readme$" \
	gw -- sh -c "git clone -q http://allowed.test:$HTTP_PORT/repo.git sub/clone && cat sub/clone/README"
rm -rf "$WS/sub/clone"

# HTTPS: CONNECT and SOCKS5, then the SNI must name the host.
expect_out "HTTPS over CONNECT to an allowed name" "hello-from-test-server" \
	gw -- sh -c "${CURL[*]} --cacert $T/conf/ca.pem -x \"\$HTTP_PROXY\" https://allowed.test:$HTTPS_PORT/hello.txt"
expect_out "HTTPS over SOCKS5 to an allowed name" "hello-from-test-server" \
	gw -- "${CURL[@]}" --cacert "$T/conf/ca.pem" "https://allowed.test:$HTTPS_PORT/hello.txt"
expect_out "TLS whose SNI names the host passes" "^ok HTTP/1.. 200" \
	gw -- python3 "$T/bin/netprobe.py" tls allowed.test "$HTTPS_PORT" allowed.test "$T/conf/ca.pem"
expect_out "TLS whose SNI names another host is cut off" "^refused" \
	gw -- python3 "$T/bin/netprobe.py" tls allowed.test "$HTTPS_PORT" other.test "$T/conf/ca.pem"
expect_out "plain HTTP whose Host names another host is cut off" "^refused 0 responses" \
	gw -- python3 "$T/bin/netprobe.py" http allowed.test "$HTTP_PORT" other.test
expect_out "a second keep-alive request for another host is cut off" "^refused" \
	gw -- python3 "$T/bin/netprobe.py" http allowed.test "$HTTP_PORT" allowed.test other.test
expect_out "keep-alive requests for the same host all pass" "^ok 2 responses" \
	gw -- python3 "$T/bin/netprobe.py" http allowed.test "$HTTP_PORT" allowed.test "allowed.test:$HTTP_PORT"
expect_out "a client that sends a few letters and waits is answered (not held to judge HTTP)" "^ok" \
	gw -- python3 "$T/bin/netprobe.py" short allowed.test "$ECHO_PORT"
# WebSocket over ws:// and its kin: after the server's 101, the bytes are
# another protocol and pass as they are; without a 101 they must be HTTP.
expect_out "an HTTP upgrade the server accepts (101) carries the new protocol's bytes" "^ok 101 echoed" \
	gw -- python3 "$T/bin/netprobe.py" upgrade allowed.test "$HTTP_PORT" /ws-yes allowed.test
expect_out "...also when the client sends them before the answer (held until the 101)" "^ok 101 echoed" \
	gw -- python3 "$T/bin/netprobe.py" upgrade allowed.test "$HTTP_PORT" /ws-yes allowed.test eager
expect_out "an upgrade the server refuses (200): the next bytes must be HTTP, and are cut off" "^refused after 200" \
	gw -- python3 "$T/bin/netprobe.py" upgrade allowed.test "$HTTP_PORT" /ws-no allowed.test
expect_out "...also when sent before the answer" "^refused" \
	gw -- python3 "$T/bin/netprobe.py" upgrade allowed.test "$HTTP_PORT" /ws-no allowed.test eager
expect_out "an upgrade request naming another host is cut off" "^refused" \
	gw -- python3 "$T/bin/netprobe.py" upgrade allowed.test "$HTTP_PORT" /ws-yes other.test
# The mute servers log how each connection ended, "timeout" after 3 s;
# the probe keeps its sandbox (and so the proxy) 4 s longer.
gw -- python3 "$T/bin/netprobe.py" upgrade-close allowed.test "$MUTE_PORT" 0 >/dev/null 2>&1
out=$(tail -1 "$T/srv/mute.log" 2>/dev/null)
[ "$out" = eof ] && t_ok "a client that leaves while its upgrade request waits for the answer: the server sees the end" ||
	t_not_ok "client gone while held" "server saw: $out"
gw -- python3 "$T/bin/netprobe.py" upgrade-close allowed.test "$HALF_PORT" 0.3 "more bytes" >/dev/null 2>&1
out=$(tail -1 "$T/srv/mute.log" 2>/dev/null)
[ "$out" = "half eof" ] && t_ok "...and when the server had already ended its side (nothing is held then)" ||
	t_not_ok "upgrade after the server's end" "server saw: $out"
expect_out "an upgrade to h2c is not let through, even with a 101 (its requests could name any host)" \
	"^refused after 101" gw -- python3 "$T/bin/netprobe.py" upgrade allowed.test "$HTTP_PORT" /ws-yes allowed.test "" h2c
expect_out "a client that sends a few letters and ends its stream gets the answer" "^ok" \
	gw -- python3 "$T/bin/netprobe.py" eof allowed.test "$ECHO_PORT"
expect_out "a request after an empty line sent on its own is checked too" "^refused 0 responses" \
	gw -- python3 "$T/bin/netprobe.py" http-split allowed.test "$HTTP_PORT" other.test
expect_out "CONNECT inside CONNECT is cut off" "^refused" \
	gw -- python3 "$T/bin/netprobe.py" connect-in-connect allowed.test "$HTTP_PORT" "denied.test:80"
expect_fail_out "UDP still fails (seccomp)" "" gw -- python3 -c \
	"import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'x', ('8.8.8.8', 53))"

# Upstream proxies: with domains listed, greywall decides first, then asks
# the upstream by name.
python3 "$HERE/connectproxy.py" "$T/cpport" "$T/cp.log" >/dev/null 2>&1 &
PIDS+=($!)
for i in $(seq 1 100); do [ -s "$T/cpport" ] && break; sleep 0.05; done
UPCONF=$T/conf/upstream-http.json
cat >"$UPCONF" <<JSON
{ "network": { "allowedDomains": ["allowed.test"], "httpProxyUrl": "http://u:p@127.0.0.1:$(cat "$T/cpport")" } }
JSON
chmod 644 "$UPCONF"
expect_out "an HTTP upstream gets allowed names by name" "hello-from-test-server" \
	as_user "$GW" --no-bwrap -s "$UPCONF" -- "${CURL[@]}" "$U_HTTP"
grep -q "^CONNECT allowed.test:$HTTP_PORT Basic dTpw\$" "$T/cp.log" && t_ok "...as CONNECT allowed.test with the URL's credential" ||
	t_not_ok "HTTP upstream request" "$(cat "$T/cp.log")"
expect_fail_out "...and never sees a name greywall denies" "not in allowedDomains" \
	as_user "$GW" --no-bwrap -m -s "$UPCONF" -- "${CURL[@]}" "http://other.test:$HTTP_PORT/hello.txt"
grep -q other.test "$T/cp.log" && t_not_ok "the upstream saw a denied name" "$(cat "$T/cp.log")" ||
	t_ok "the upstream saw no denied name"
if [ -n "$(command -v microsocks)" ]; then
	MSP=$(free_port)
	microsocks -i 127.0.0.1 -p "$MSP" >/dev/null 2>&1 &
	PIDS+=($!)
	wait_port "$MSP"
	SUPCONF=$T/conf/upstream-socks.json
	echo "{ \"network\": { \"allowedDomains\": [\"localhost\"], \"proxyUrl\": \"socks5://127.0.0.1:$MSP\" } }" >"$SUPCONF"
	chmod 644 "$SUPCONF"
	expect_out "a SOCKS5 upstream resolves the allowed name itself" "hello-from-test-server" \
		as_user "$GW" --no-bwrap -s "$SUPCONF" -- "${CURL[@]}" "http://localhost:$HTTP_PORT/hello.txt"
elif can_skip; then
	t_skip "SOCKS5 upstream" "microsocks not installed"
else
	t_not_ok "SOCKS5 upstream" "microsocks missing in CI"
fi

# N9: the listeners want the run's credential.
gw -- sh -c 'echo "$ALL_PROXY" > sub/url; sleep 3' &
bg=$!
for i in $(seq 1 100); do [ -s "$WS/sub/url" ] && break; sleep 0.05; done
url=$(cat "$WS/sub/url" 2>/dev/null)
port=${url##*:}
if [ -n "$port" ]; then
	out=$(python3 "$HERE/netprobe.py" greet 127.0.0.1 "$port")
	case $out in refused*) t_ok "another process cannot use the proxy without the credential" ;;
	*) t_not_ok "proxy without credential" "$out" ;; esac
	out=$("${CURL[@]}" --socks5-hostname "greywall:wrong@127.0.0.1:$port" "$U_HTTP" 2>&1) &&
		t_not_ok "a wrong password is refused" "$out" || t_ok "a wrong password is refused"
	out=$("${CURL[@]}" --proxy "$url" "$U_HTTP" 2>&1)
	case $out in hello-from-test-server) t_ok "the credential of the run works (control)" ;;
	*) t_not_ok "credential control" "$out" ;; esac
else
	t_not_ok "proxy URL of a run" "none written"
fi
wait "$bg"

# ===== namespace mode: every connection is captured ===========================
# No proxy variables needed: the sandbox's network namespace redirects every
# TCP connection and all DNS to greywall (tun0 + nftables).
gwns() { as_user "$GW" -s "$CONF" "$@"; }
NP=(env -u ALL_PROXY -u all_proxy -u HTTP_PROXY -u http_proxy -u HTTPS_PROXY -u https_proxy)
if [ ! -x /usr/bin/bwrap ] || ! gwns -- true >/dev/null 2>&1; then
	if can_skip; then
		t_skip "capture in the namespace mode" "bubblewrap or user namespaces unavailable"
	else
		t_not_ok "capture in the namespace mode" "$(gwns -- true 2>&1)"
	fi
else
	expect_out "capture: curl without proxy variables reaches an allowed name" "hello-from-test-server" \
		gwns -- "${NP[@]}" "${CURL[@]}" "$U_HTTP"
	expect_fail_out "capture: a denied name does not even resolve" "denied denied\.test \(DNS\)" \
		gwns -m -- "${NP[@]}" "${CURL[@]}" "http://denied.test:$HTTP_PORT/hello.txt"
	expect_out "capture: the sandbox's namespace reuses TIME_WAIT ports (many short connections stay fast)" \
		"^1$" gwns -- cat /proc/sys/net/ipv4/tcp_tw_reuse
	expect_out "capture: python urllib with no proxy" "hello-from-test-server" gwns -- "${NP[@]}" python3 -c \
		"import urllib.request as u; print(u.build_opener(u.ProxyHandler({})).open('$U_HTTP', timeout=10).read().decode())"
	expect_out "capture: node fetch (which ignores proxy variables)" "hello-from-test-server" gwns -- node -e \
		"fetch('$U_HTTP').then(r => r.text()).then(t => console.log(t)).catch(e => { console.log(String(e.cause || e)); process.exit(1); })"
	expect_fail_out "capture: node fetch of a denied name fails" "ENOTFOUND|EAI_AGAIN" gwns -- node -e \
		"fetch('http://denied.test:$HTTP_PORT/hello.txt').then(r => r.text()).then(t => console.log(t)).catch(e => { console.log(String(e.cause || e)); process.exit(1); })"
	expect_out "capture: git clone over HTTP" "^readme$" gwns -- "${NP[@]}" sh -c \
		"git clone -q http://allowed.test:$HTTP_PORT/repo.git sub/clone2 && cat sub/clone2/README"
	rm -rf "$WS/sub/clone2"
	expect_fail_out "capture: an IP-literal connection is refused" "denied 192\.0\.2\.1:80 .*IP address" \
		gwns -m -- "${NP[@]}" "${CURL[@]}" "http://192.0.2.1/"
	expect_out "capture: TLS with the matching SNI passes" "^ok HTTP/1.. 200" \
		gwns -- python3 "$T/bin/netprobe.py" tls-direct allowed.test "$HTTPS_PORT" allowed.test "$T/conf/ca.pem"
	expect_out "capture: TLS whose SNI names another host is cut off" "^refused" \
		gwns -- python3 "$T/bin/netprobe.py" tls-direct allowed.test "$HTTPS_PORT" other.test "$T/conf/ca.pem"
	expect_out "capture: a client that sends a few letters and waits is answered" "^ok" \
		gwns -- python3 "$T/bin/netprobe.py" short-direct allowed.test "$ECHO_PORT"
	expect_out "capture: a client that sends a few letters and ends its stream gets the answer" "^ok" \
		gwns -- python3 "$T/bin/netprobe.py" eof-direct allowed.test "$ECHO_PORT"
	expect_out "capture: plain HTTP whose Host names another host is cut off" "^refused" \
		gwns -- python3 "$T/bin/netprobe.py" http-direct allowed.test "$HTTP_PORT" other.test
	expect_out "capture: an HTTP upgrade (ws://) the server accepts carries the new protocol" "^ok 101 echoed" \
		gwns -- python3 "$T/bin/netprobe.py" upgrade-direct allowed.test "$HTTP_PORT" /ws-yes allowed.test eager
	expect_out "capture: without the 101, the bytes after it must be HTTP" "^refused" \
		gwns -- python3 "$T/bin/netprobe.py" upgrade-direct allowed.test "$HTTP_PORT" /ws-no allowed.test
	expect_out "capture: DNS to 8.8.8.8 is answered by greywall: NXDOMAIN for a denied name" "^ok rcode 3" \
		gwns -- python3 "$T/bin/netprobe.py" dns 8.8.8.8 denied.test
	expect_out "capture: DNS over TCP to a hard-coded resolver too" "^ok rcode 3" \
		gwns -- python3 "$T/bin/netprobe.py" dns 9.9.9.9 evil.test tcp
	expect_out "capture: an allowed name gets an address" "^ok rcode 0 answers 1" \
		gwns -- python3 "$T/bin/netprobe.py" dns 8.8.8.8 allowed.test
	expect_out "capture: UDP to another port fails at once" "PermissionError" gwns -- python3 -c \
		"import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try: s.sendto(b'x', ('8.8.8.8', 9999))
except OSError as e: print(type(e).__name__)"
	expect_out "capture: ICMP and raw sockets fail" "^(PermissionError ?){2}$" gwns -- python3 -c \
		"import socket
out = []
for t, p in ((socket.SOCK_DGRAM, socket.IPPROTO_ICMP), (socket.SOCK_RAW, socket.IPPROTO_ICMP)):
    try: socket.socket(socket.AF_INET, t, p).sendto(b'\x08\0\xf7\xff\0\0\0\0', ('8.8.8.8', 0)); out.append('sent')
    except OSError as e: out.append(type(e).__name__)
print(' '.join(out))"
	expect_out "capture: IPv6 fails fast" "OSError|unreachable" gwns -- python3 -c \
		"import socket
try: socket.create_connection(('2001:db8::1', 80), timeout=3)
except OSError as e: print('OSError', e)"

	# 1,000 concurrent captured connections, checksummed; the supervisor
	# holds no descriptor more afterwards than before.
	rm -f "$WS/sub/started" "$WS/sub/done"
	gwns -- sh -c ": > sub/started; sleep 1; python3 $T/bin/netprobe.py many-direct 1000 allowed.test $ECHO_PORT > sub/many.out 2>&1; : > sub/done; sleep 2" &
	bg=$!
	for i in $(seq 1 100); do [ -e "$WS/sub/started" ] && break; sleep 0.05; done
	sup=$(pgrep -o -f "^$GW -s $CONF -- sh -c : > sub/started")
	fd_before=$(ls /proc/$sup/fd 2>/dev/null | wc -l)
	for i in $(seq 1 1200); do [ -e "$WS/sub/done" ] && break; sleep 0.1; done
	# Idle, the proxy gives back the pipes it pooled (within a second).
	for i in $(seq 1 30); do
		fd_after=$(ls /proc/$sup/fd 2>/dev/null | wc -l)
		[ "$fd_after" -le "$fd_before" ] && break
		sleep 0.1
	done
	rss=$(awk '/VmHWM/ {print $2}' /proc/$sup/status 2>/dev/null)
	wait "$bg"
	out=$(cat "$WS/sub/many.out" 2>/dev/null)
	case $out in "ok 1000/1000 (1000 open at once)"*) t_ok "capture: 1000 concurrent connections relay checksummed data (supervisor peak RSS ${rss:-?} KiB)" ;;
	*) t_not_ok "capture: 1000 concurrent connections" "$out" ;; esac
	[ -n "$sup" ] && [ "$fd_after" -le "$fd_before" ] && t_ok "capture: no descriptor leaked ($fd_before before, $fd_after after)" ||
		t_not_ok "capture: fd leak" "supervisor $sup: before $fd_before, after $fd_after"

	# N4: with a real resolver behind greywall, a denied name never reaches it.
	python3 "$HERE/dnsserv.py" "$T/dnsport" "$T/dns.log" allowed.test >/dev/null 2>&1 &
	PIDS+=($!)
	for i in $(seq 1 100); do [ -s "$T/dnsport" ] && break; sleep 0.05; done
	DNSCONF=$T/conf/dns.json
	cat >"$DNSCONF" <<JSON
{ "network": { "allowedDomains": ["allowed.test"], "allowLocalOutbound": true,
               "dnsAddr": "127.0.0.1:$(cat "$T/dnsport")" },
  "filesystem": { "allowRead": ["$T/bin"] } }
JSON
	chmod 644 "$DNSCONF"
	out=$(GREYWALL_TEST_HOSTS= as_user "$GW" -s "$DNSCONF" -- python3 "$T/bin/netprobe.py" dns 8.8.8.8 secret-data.denied.test 2>&1)
	out2=$(GREYWALL_TEST_HOSTS= as_user "$GW" -s "$DNSCONF" -- "${NP[@]}" "${CURL[@]}" "$U_HTTP" 2>&1)
	if printf '%s' "$out" | grep -q "^ok rcode 3" && ! grep -q secret "$T/dns.log" 2>/dev/null &&
		grep -q '^allowed.test$' "$T/dns.log" && [ "$out2" = hello-from-test-server ]; then
		t_ok "capture: a denied name's query never reaches the resolver (dnsAddr is used for allowed ones)"
	else
		t_not_ok "DNS exfiltration" "$out" "$out2" "resolver saw: $(tr '\n' ' ' <"$T/dns.log" 2>/dev/null)"
	fi

	# Fail closed: when the supervisor dies, so does the sandbox.
	as_user "$GW" -s "$CONF" -- sh -c 'echo $$ > sub/pid; while sleep 0.1; do :; done' &
	bg=$!
	for i in $(seq 1 100); do [ -s "$WS/sub/pid" ] && break; sleep 0.05; done
	# The supervisor (and its namespace keeper, a fork with the same
	# command line); bubblewrap and the command have other ones.
	pkill -9 -f "^$GW -s $CONF -- sh"
	{ wait "$bg"; } 2>/dev/null
	sleep 0.3
	inner=$(cat "$WS/sub/pid" 2>/dev/null)
	left=$(pgrep -f 'while sleep 0.1' || true)
	[ -z "$left" ] && t_ok "capture: killing the supervisor ends the sandbox (nothing keeps a network)" ||
		t_not_ok "sandbox outlived its supervisor" "left: $left (inner $inner)"
	rm -f "$WS/sub/pid"

	# N17: without nf_tables the sandbox does not start at all.
	rm -f "$WS/sub/ran"
	expect "capture: no nf_tables means exit 125" 125 as_user "$T/bin/no-nftables" "$GW" -s "$CONF" -- sh -c ': > sub/ran'
	expect_fail_out "capture: ...with the reason" "cannot set up traffic capture.*nf_tables|nf_tables.*capture" \
		as_user "$T/bin/no-nftables" "$GW" -s "$CONF" -- true
	[ -e "$WS/sub/ran" ] && t_not_ok "capture: the command never ran" || t_ok "capture: the command never ran"
	expect_out "check names the missing capture" "✗ traffic capture" as_user "$T/bin/no-nftables" "$GW" check
fi

# ===== greywall proxy, standalone ===============================================
SP=$(free_port)
STAND=$T/conf/standalone.json
echo '{ "network": { "allowedDomains": ["allowed.test"], "allowLocalOutbound": true } }' >"$STAND"
"$GW" proxy --listen "127.0.0.1:$SP" --settings "$STAND" 2>"$T/proxy.log" &
PPID_STAND=$!
PIDS+=($PPID_STAND)
if wait_port "$SP"; then
	expect_out "standalone: an allowed name passes" "hello-from-test-server" \
		"${CURL[@]}" --socks5-hostname "127.0.0.1:$SP" "$U_HTTP"
	expect_fail_out "standalone: an unlisted name fails" "" \
		"${CURL[@]}" --socks5-hostname "127.0.0.1:$SP" "http://other.test:$HTTP_PORT/hello.txt"
	echo '{ "network": { "allowedDomains": ["allowed.test", "other.test"], "allowLocalOutbound": true } }' >"$STAND"
	kill -HUP "$PPID_STAND"
	for i in $(seq 1 50); do grep -q "reloaded" "$T/proxy.log" && break; sleep 0.05; done
	expect_out "standalone: SIGHUP reloads the policy" "hello-from-test-server" \
		"${CURL[@]}" --socks5-hostname "127.0.0.1:$SP" "http://other.test:$HTTP_PORT/hello.txt"
	echo '{ "network": { "allowedDomains": ["*.com"] } }' >"$STAND"
	kill -HUP "$PPID_STAND"
	for i in $(seq 1 50); do grep -q "previous policy" "$T/proxy.log" && break; sleep 0.05; done
	expect_out "standalone: a bad reload keeps the old policy" "hello-from-test-server" \
		"${CURL[@]}" --socks5-hostname "127.0.0.1:$SP" "http://other.test:$HTTP_PORT/hello.txt"
	grep -q "too broad" "$T/proxy.log" && t_ok "standalone: the bad reload is reported" ||
		t_not_ok "bad reload reported" "$(cat "$T/proxy.log")"
	nfd_before=$(ls /proc/$PPID_STAND/fd | wc -l)
	export ALL_PROXY=socks5h://127.0.0.1:$SP
	out=$(python3 "$HERE/netprobe.py" many 200 allowed.test "$ECHO_PORT" 2>&1)
	unset ALL_PROXY
	case $out in "ok 200/200"*) t_ok "200 concurrent connections relay checksummed data" ;;
	*) t_not_ok "concurrent connections" "$out" ;; esac
	for i in $(seq 1 100); do
		nfd_after=$(ls /proc/$PPID_STAND/fd | wc -l)
		[ "$nfd_after" -le "$nfd_before" ] && break
		sleep 0.05
	done
	[ "$nfd_after" -le "$nfd_before" ] && t_ok "no descriptor leaked ($nfd_before before, $nfd_after after)" ||
		t_not_ok "fd leak" "before $nfd_before after $nfd_after"
	kill "$PPID_STAND"
	wait "$PPID_STAND"
	rc=$?
	[ "$rc" = 0 ] && t_ok "standalone: exits 0 on SIGTERM" || t_not_ok "standalone exit" "status $rc"
else
	t_not_ok "standalone proxy listens" "$(cat "$T/proxy.log")"
fi

t_done
