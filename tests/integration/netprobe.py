#!/usr/bin/env python3
"""Network probes the tests run inside (or next to) the sandbox, each of
which prints one line: "ok ..." when the connection did what a client
expects, "refused ..." when it was cut off.  Proxies come from ALL_PROXY /
HTTP_PROXY (scheme://user:pass@host:port), as a sandboxed tool sees them.

usage:
  netprobe.py tls NAME PORT SNI CAFILE    SOCKS5 to NAME:PORT, TLS with SNI
  netprobe.py http NAME PORT HOST...      SOCKS5 to NAME:PORT, one pipelined
                                          GET per HOST header
  netprobe.py connect-in-connect NAME PORT INNER
                                          HTTP CONNECT, then CONNECT inside
  netprobe.py tls-direct NAME PORT SNI CAFILE
                                          the same without a proxy (captured)
  netprobe.py http-direct NAME PORT HOST...
                                          the same without a proxy (captured)
  netprobe.py http-split NAME PORT HOST   an empty line, a pause, then a GET
  netprobe.py short[-direct] NAME PORT    "ab", wait for the echo, "c d", wait
  netprobe.py eof[-direct] NAME PORT      "ab" and the end of the stream
  netprobe.py upgrade[-direct] NAME PORT PATH HOST [eager [PROTO]]
                                          an HTTP upgrade request (websocket;
                                          eager: "" or "eager"), then binary
                                          bytes, echoed after a 101
  netprobe.py upgrade-close NAME PORT WAIT [EXTRA]
                                          after WAIT s, an upgrade request
                                          (and EXTRA), then the client closes
  netprobe.py dns SERVER NAME [tcp]      one A query; prints the rcode
  netprobe.py greet HOST PORT             SOCKS5 greeting offering only
                                          "no authentication"
  netprobe.py many N NAME PORT            N concurrent SOCKS5 connections to
                                          an echo server, 64 KiB each, checked
  netprobe.py many-direct N NAME PORT     the same without a proxy (captured),
                                          all N open at once (asyncio)
Every socket has a timeout: a probe never hangs.
"""
import hashlib
import os
import socket
import ssl
import sys
import threading
import urllib.parse

TIMEOUT = 10


def proxy(var):
    u = urllib.parse.urlsplit(os.environ[var])
    return u.hostname, u.port, urllib.parse.unquote(u.username or ""), \
        urllib.parse.unquote(u.password or "")


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed during the handshake")
        buf += chunk
    return buf


def socks_connect(name, port):
    host, pport, user, pw = proxy("ALL_PROXY")
    s = socket.create_connection((host, pport), timeout=TIMEOUT)
    s.sendall(b"\x05\x02\x00\x02" if user else b"\x05\x01\x00")
    method = recv_exact(s, 2)
    if method == b"\x05\x02" and user:
        s.sendall(bytes([1, len(user)]) + user.encode() + bytes([len(pw)]) + pw.encode())
        if recv_exact(s, 2)[1] != 0:
            raise ConnectionError("credential refused")
    elif method != b"\x05\x00":
        raise ConnectionError("no acceptable method")
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name.encode() + port.to_bytes(2, "big"))
    rep = recv_exact(s, 4)
    if rep[1] != 0:
        raise ConnectionError("SOCKS5 reply %d" % rep[1])
    recv_exact(s, {1: 4, 4: 16}.get(rep[3], 0) + 2)
    return s


def read_all(s):
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionError, OSError) as e:
            return out, e
        if not chunk:
            return out, None
        out += chunk


def direct_connect(name, port):
    return socket.create_connection((name, port), timeout=TIMEOUT)


def probe_tls(name, port, sni, cafile, connect=socks_connect):
    s = connect(name, int(port))
    ctx = ssl.create_default_context(cafile=cafile)
    t = ctx.wrap_socket(s, server_hostname=sni)
    t.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % sni.encode())
    out, _ = read_all(t)
    return "ok " + out.split(b"\r\n")[0].decode() if out else "refused: empty"


def probe_http(name, port, *hosts, connect=socks_connect):
    s = connect(name, int(port))
    # The last request closes the connection, so that reading ends.
    req = b"".join(b"GET /hello.txt HTTP/1.1\r\nHost: %s\r\n%s\r\n"
                   % (h.encode(), b"Connection: close\r\n" if i == len(hosts) - 1 else b"")
                   for i, h in enumerate(hosts))
    s.sendall(req)
    out, err = read_all(s)
    n = out.count(b"HTTP/1.")
    return "%s %d responses%s" % ("ok" if err is None and n == len(hosts) else "refused", n,
                                  "" if err is None else " (%s)" % err)


def probe_http_split(name, port, host):
    """An empty line alone first, then the request: some servers skip
    empty lines, so what follows must still be checked."""
    import time
    s = socks_connect(name, int(port))
    s.sendall(b"\r\n")
    time.sleep(0.3)
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host.encode())
    out, err = read_all(s)
    return "%s %d responses" % ("ok" if out and err is None else "refused", out.count(b"HTTP/1."))


def probe_short(name, port, connect=socks_connect):
    """A few letters, then wait for the answer (an echo server): they
    could start an HTTP method, but must not be held back for that."""
    s = connect(name, int(port))
    s.settimeout(3)
    s.sendall(b"ab")
    got = recv_exact(s, 2)
    s.sendall(b"c d")
    got += recv_exact(s, 3)
    return "ok" if got == b"abc d" else "refused: %r" % got


def probe_eof(name, port, connect=socks_connect):
    """Two letters and the end of the stream at once (`printf ab | nc`):
    the echo must still come back."""
    s = connect(name, int(port))
    s.sendall(b"ab")
    s.shutdown(socket.SHUT_WR)
    out, err = read_all(s)
    return "ok" if out == b"ab" else "refused: %r %s" % (out, err)


def probe_upgrade(name, port, path, host, eager="", proto="websocket", connect=socks_connect):
    """An HTTP/1.1 upgrade request to proto, then binary bytes of "another
    protocol" (with eager, in the same write as the request, before the
    answer), which must come back echoed after a 101."""
    s = connect(name, int(port))
    req = (b"GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: %s\r\n"
           b"Connection: Upgrade\r\n\r\n" % (path.encode(), host.encode(), proto.encode()))
    frame = b"\x81\x05\x00\xffno http here\n"
    s.sendall(req + frame if eager else req)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            return "refused: end of stream after %r" % head
        head += chunk
    status = head.split(b" ")[1].decode()
    if not eager:
        s.sendall(frame)
    try:
        got = recv_exact(s, len(frame))
    except Exception as e:  # noqa: BLE001 - the probe's answer
        return "refused after %s: %r" % (status, e)
    return ("ok %s echoed" % status) if got == frame else "refused: %r" % got


def probe_upgrade_close(name, port, wait, extra=""):
    """After `wait` seconds, an upgrade request (with extra bytes after
    it) to a server that never answers, then the client goes away: the
    server must see the end of the stream.  The probe stays 4 s more, so
    that the proxy (which ends with the sandbox) is still there."""
    import time
    s = socks_connect(name, int(port))
    time.sleep(float(wait))
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\n\r\n%s" % (name.encode(), extra.encode()))
    time.sleep(0.2)
    s.close()
    time.sleep(4)
    return "ok sent"


def probe_cic(name, port, inner):
    host, pport, user, pw = proxy("HTTP_PROXY")
    import base64
    cred = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
    s = socket.create_connection((host, pport), timeout=TIMEOUT)
    s.sendall(("CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\nProxy-Authorization: Basic %s\r\n\r\n"
               % (name, port, name, port, cred)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            return "refused: outer CONNECT closed"
        head += chunk
    if b" 200 " not in head.split(b"\r\n")[0]:
        return "refused: outer " + head.split(b"\r\n")[0].decode()
    s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (inner, inner)).encode())
    out, err = read_all(s)
    return "ok inner answered" if out else "refused: %s" % (err or "closed")


def probe_dns(server, name, tcp=None):
    import random
    import struct
    qid = random.randrange(65536)
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    q += struct.pack("!HH", 1, 1)
    if tcp:
        s = socket.create_connection((server, 53), timeout=TIMEOUT)
        s.sendall(struct.pack("!H", len(q)) + q)
        n = struct.unpack("!H", recv_exact(s, 2))[0]
        a = recv_exact(s, n)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(TIMEOUT)
        s.sendto(q, (server, 53))
        a = s.recv(4096)
    if struct.unpack("!H", a[:2])[0] != qid:
        return "refused: wrong id"
    rcode = a[3] & 15
    return "ok rcode %d answers %d" % (rcode, struct.unpack("!H", a[6:8])[0])


def probe_greet(host, port):
    s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    s.sendall(b"\x05\x01\x00")
    rep = s.recv(2)
    return "ok accepted" if rep == b"\x05\x00" else "refused %s" % rep.hex()


def probe_many(n, name, port):
    n, port = int(n), int(port)
    results = [None] * n
    start = threading.Barrier(n, timeout=60)

    def one(i):
        try:
            s = socks_connect(name, port)
            start.wait()
            data = hashlib.sha256(b"%d" % i).digest() * 2048  # 64 KiB
            threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)),
                             daemon=True).start()
            out, err = read_all(s)
            results[i] = err is None and out == data
        except Exception as e:  # noqa: BLE001 - reported below
            results[i] = repr(e)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    good = sum(1 for r in results if r is True)
    bad = [r for r in results if r is not True][:3]
    return ("ok" if good == n else "refused") + " %d/%d %s" % (good, n, bad if bad else "")


def probe_many_direct(n, name, port):
    import asyncio
    import resource
    n, port = int(n), int(port)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    async def one(i, opened, go):
        r, w = await asyncio.wait_for(asyncio.open_connection(name, port), TIMEOUT)
        opened.append(i)
        await go.wait()  # every connection is open before any data flows
        data = hashlib.sha256(b"%d" % i).digest() * 2048  # 64 KiB
        w.write(data)
        await w.drain()
        w.write_eof()
        got = await asyncio.wait_for(r.read(), 60)
        w.close()
        return got == data

    async def run():
        opened, go = [], asyncio.Event()
        tasks = [asyncio.ensure_future(one(i, opened, go)) for i in range(n)]
        for _ in range(600):
            if len(opened) == n or any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.05)
        at_once = len(opened)
        go.set()
        res = await asyncio.gather(*tasks, return_exceptions=True)
        return at_once, res
    at_once, res = asyncio.run(run())
    good = sum(1 for r in res if r is True)
    bad = [repr(r) for r in res if r is not True][:3]
    return ("ok" if good == n and at_once == n else "refused") + \
        " %d/%d (%d open at once) %s" % (good, n, at_once, bad if bad else "")


def main():
    socket.setdefaulttimeout(TIMEOUT)
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"tls": probe_tls, "http": probe_http, "connect-in-connect": probe_cic,
          "greet": probe_greet, "many": probe_many, "dns": probe_dns,
          "many-direct": probe_many_direct, "http-split": probe_http_split,
          "short": probe_short, "short-direct": lambda *a: probe_short(*a, connect=direct_connect),
          "eof": probe_eof, "eof-direct": lambda *a: probe_eof(*a, connect=direct_connect),
          "tls-direct": lambda *a: probe_tls(*a, connect=direct_connect),
          "http-direct": lambda *a: probe_http(*a, connect=direct_connect),
          "upgrade": probe_upgrade, "upgrade-close": probe_upgrade_close,
          "upgrade-direct": lambda *a: probe_upgrade(*a, connect=direct_connect)}[cmd]
    try:
        print(fn(*args))
    except Exception as e:  # noqa: BLE001 - the probe's answer
        print("refused: %r" % e)


if __name__ == "__main__":
    main()
