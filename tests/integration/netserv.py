#!/usr/bin/env python3
"""Loopback servers for the network tests: HTTP, HTTPS and TCP echo.

usage: netserv.py DIR

Serves DIR/www over HTTP and HTTPS (certificate DIR/cert.pem, made by the
caller), and echoes on a third port.  GET /ws-yes with an Upgrade header
is answered 101 and then echoed byte for byte; GET /ws-no gets an empty
200 (an upgrade refused).  Two more ports never answer and log how each
connection ended (see Mute), one of them shutting its side at once.  Writes "HTTP HTTPS ECHO MUTE HALF" ports to
DIR/ports once everything listens.  Runs until killed; every connection
has a 30 s timeout so a stuck client cannot keep it busy.
"""
import functools
import http.server
import os
import socket
import socketserver
import ssl
import sys
import threading


class Quiet(http.server.SimpleHTTPRequestHandler):
    # Keep-alive, so that tests can send several requests on a connection.
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        self.request.settimeout(30)
        super().setup()

    def do_GET(self):
        """/ws-yes with Upgrade: 101, then every byte echoed (another
        protocol); /ws-no: an empty 200, the connection stays HTTP."""
        if self.path == "/ws-yes" and self.headers.get("Upgrade"):
            self.send_response(101)
            self.send_header("Upgrade", self.headers["Upgrade"])
            self.send_header("Connection", "Upgrade")
            self.end_headers()
            self.wfile.flush()
            while True:
                data = self.rfile.read1(65536)
                if not data:
                    break
                self.wfile.write(data)
                self.wfile.flush()
            self.close_connection = True
            return
        if self.path == "/ws-no":
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(30)
        while True:
            data = self.request.recv(65536)
            if not data:
                self.request.shutdown(socket.SHUT_WR)
                return
            self.request.sendall(data)


class Mute(socketserver.BaseRequestHandler):
    """Never answers: reads until the end of the stream (3 s at most)
    and appends how it ended ("eof", "reset" or "timeout") to DIR/mute.log.
    On the second port of this kind it shuts its sending side at once."""
    half = False

    def handle(self):
        if self.half:
            self.request.shutdown(socket.SHUT_WR)
        self.request.settimeout(3)
        how = "timeout"
        try:
            while self.request.recv(65536):
                pass
            how = "eof"
        except ConnectionResetError:
            how = "reset"
        except OSError:
            pass
        with open(self.server.log, "a") as f:
            f.write(("half " if self.half else "") + how + "\n")


class Half(Mute):
    half = True


class Threaded(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def main():
    d = sys.argv[1]
    handler = functools.partial(Quiet, directory=os.path.join(d, "www"))
    http_srv = Threaded(("127.0.0.1", 0), handler)
    https_srv = Threaded(("127.0.0.1", 0), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "cert.pem"), os.path.join(d, "key.pem"))
    https_srv.socket = ctx.wrap_socket(https_srv.socket, server_side=True)
    echo_srv = Threaded(("127.0.0.1", 0), Echo)
    mute_srv = Threaded(("127.0.0.1", 0), Mute)
    half_srv = Threaded(("127.0.0.1", 0), Half)
    mute_srv.log = half_srv.log = os.path.join(d, "mute.log")
    servers = (http_srv, https_srv, echo_srv, mute_srv, half_srv)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    ports = " ".join(str(s.server_address[1]) for s in servers)
    tmp = os.path.join(d, "ports.tmp")
    with open(tmp, "w") as f:
        f.write(ports + "\n")
    os.rename(tmp, os.path.join(d, "ports"))
    threading.Event().wait()


if __name__ == "__main__":
    main()
