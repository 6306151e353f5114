#!/usr/bin/env python3
"""Answers SIP OPTIONS with 200 OK on a range of UDP ports of one loopback address, for the monitor-at-scale
benchmark (`ProbeBenchmarks alerts`): 1,500 distinct healthy endpoints without 1,500 kamailio sockets (kamailio
forks its workers per listening socket). Only the monitor's CPU is measured; this answerer's is not.

usage: options-responder.py ADDRESS FIRST_PORT COUNT
"""
import selectors, socket, sys

address, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
selector = selectors.DefaultSelector()
for port in range(first, first + count):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, port))
    sock.setblocking(False)
    selector.register(sock, selectors.EVENT_READ)
print("listening %d" % count, flush=True)

COPIED = ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")
while True:
    for key, _ in selector.select():
        sock = key.fileobj
        try:
            data, peer = sock.recvfrom(65535)
        except BlockingIOError:
            continue
        head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace").split("\r\n")
        if not head or not head[0].startswith("OPTIONS "):
            continue
        lines = ["SIP/2.0 200 OK"]
        for line in head[1:]:
            name = line.split(":", 1)[0].strip().lower()
            if name in COPIED:
                lines.append(line + (";tag=bench" if name in ("to", "t") and "tag=" not in line else ""))
        lines += ["Server: options-responder", "Content-Length: 0", "", ""]
        sock.sendto("\r\n".join(lines).encode(), peer)
