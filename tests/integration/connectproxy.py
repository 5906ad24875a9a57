#!/usr/bin/env python3
"""A minimal HTTP CONNECT proxy for the tests: it tunnels to whatever it is
asked for (resolving names from GREYWALL_TEST_HOSTS' file when set, so test
names work), and appends every CONNECT authority and its
Proxy-Authorization to LOG, so a test can see what greywall sent upstream.

usage: connectproxy.py PORTFILE LOG
"""
import os
import socket
import socketserver
import sys
import threading

HOSTS = {}


def load_hosts():
    path = os.environ.get("GREYWALL_TEST_HOSTS")
    if path:
        for line in open(path):
            parts = line.split()
            for name in parts[1:]:
                HOSTS[name.lower()] = parts[0]


def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(30)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 16384:
            chunk = self.request.recv(1)
            if not chunk:
                return
            head += chunk
        lines = head.decode("latin-1").split("\r\n")
        method, target = lines[0].split(" ")[:2]
        auth = [l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("proxy-authorization:")]
        with open(self.server.log, "a") as f:
            f.write("%s %s %s\n" % (method, target, auth[0] if auth else "-"))
        host, port = target.rsplit(":", 1)
        try:
            up = socket.create_connection((HOSTS.get(host.lower(), host), int(port)), timeout=10)
        except OSError:
            self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            return
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        t = threading.Thread(target=pipe, args=(up, self.request), daemon=True)
        t.start()
        pipe(self.request, up)
        t.join(30)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    load_hosts()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.log = sys.argv[2]
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
