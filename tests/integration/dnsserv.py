#!/usr/bin/env python3
"""A recording DNS server for the tests: answers A queries for the names
given on the command line with 127.0.0.1, NXDOMAIN for the rest, and
appends every question's name to LOG, so a test can assert that a query
never reached any resolver.

usage: dnsserv.py PORTFILE LOG NAME...   (listens on 127.0.0.1, UDP)
"""
import socket
import struct
import sys


def qname(msg):
    labels, i = [], 12
    while i < len(msg) and msg[i]:
        n = msg[i]
        labels.append(msg[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    return ".".join(labels).lower(), i + 5


def main():
    portfile, log, names = sys.argv[1], sys.argv[2], {n.lower() for n in sys.argv[3:]}
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    import os
    os.rename(portfile + ".tmp", portfile)
    while True:
        msg, peer = s.recvfrom(4096)
        if len(msg) < 17:
            continue
        name, end = qname(msg)
        with open(log, "a") as f:
            f.write(name + "\n")
        qtype = struct.unpack("!H", msg[end - 4:end - 2])[0]
        known = name in names
        flags = 0x8180 if known else 0x8183
        an = 1 if known and qtype == 1 else 0
        head = msg[:2] + struct.pack("!HHHHH", flags, 1, an, 0, 0)
        body = msg[12:end]
        if an:
            body += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton("127.0.0.1")
        s.sendto(head + body, peer)


if __name__ == "__main__":
    main()
