#!/usr/bin/env python3
"""Synthetic SIP trunk traffic for the capture benchmarks (issue 16): answered calls of seven messages each
(INVITE, 100, 180, 200, ACK, BYE, 200), every call with its own Call-ID.

  traffic.py pcap FILE MESSAGES            # an Ethernet/IPv4/UDP pcap of MESSAGES SIP messages
  traffic.py hep HOST PORT MESSAGES RATE   # HEP3 datagrams at RATE messages per second (0: as fast as possible)
"""
import socket, struct, sys, time

def call(i):
    cid = f"bench-{i}@192.0.2.10"
    via = f"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK{i}\r\n"
    hdr = f"From: <sip:+16505550100@192.0.2.10>;tag=a{i}\r\nCall-ID: {cid}\r\nMax-Forwards: 70\r\n"
    to = "To: <sip:+14155550100@198.51.100.20>"
    sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    inv = f"INVITE sip:+14155550100@198.51.100.20 SIP/2.0\r\n{via}{hdr}{to}\r\nCSeq: 1 INVITE\r\nContact: <sip:+16505550100@192.0.2.10:5060>\r\nContent-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}"
    resp = lambda code, reason, cseq, tag=True: f"SIP/2.0 {code} {reason}\r\n{via}{hdr}{to}{';tag=b' if tag else ''}\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
    ack = f"ACK sip:+14155550100@198.51.100.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKa{i}\r\n{hdr}{to};tag=b\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
    bye = f"BYE sip:+14155550100@198.51.100.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKb{i}\r\n{hdr}{to};tag=b\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
    out = [(True, inv), (False, resp(100, "Trying", "1 INVITE", False)), (False, resp(180, "Ringing", "1 INVITE")), (False, resp(200, "OK", "1 INVITE")),
           (True, ack), (True, bye), (False, resp(200, "OK", "2 BYE"))]
    return [(fwd, m.encode()) for fwd, m in out]

def messages(n):
    i = 0
    while True:
        for item in call(i):
            if n <= 0:
                return
            yield item
            n -= 1
        i += 1

def hep3(fwd, payload, ts):
    src, dst = ((192, 0, 2, 10), (198, 51, 100, 20)) if fwd else ((198, 51, 100, 20), (192, 0, 2, 10))
    def chunk(t, body): return struct.pack(">HHH", 0, t, len(body) + 6) + body
    body = (chunk(1, b"\x02") + chunk(2, b"\x11") + chunk(3, bytes(src)) + chunk(4, bytes(dst)) + chunk(7, struct.pack(">H", 5060))
            + chunk(8, struct.pack(">H", 5060)) + chunk(9, struct.pack(">I", int(ts))) + chunk(10, struct.pack(">I", int((ts % 1) * 1e6)))
            + chunk(11, b"\x01") + chunk(12, struct.pack(">I", 1)) + chunk(15, payload))
    return b"HEP3" + struct.pack(">H", len(body) + 6) + body

def udp_frame(fwd, payload):
    src, dst = ((192, 0, 2, 10), (198, 51, 100, 20)) if fwd else ((198, 51, 100, 20), (192, 0, 2, 10))
    udp = struct.pack(">HHHH", 5060, 5060, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes(src), bytes(dst)) + udp
    return b"\x02" * 12 + b"\x08\x00" + ip

if sys.argv[1] == "pcap":
    path, n = sys.argv[2], int(sys.argv[3])
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1_800_000_000.0
        for k, (fwd, m) in enumerate(messages(n)):
            frame = udp_frame(fwd, m)
            t += 0.0005
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(frame), len(frame)) + frame)
elif sys.argv[1] == "hep":
    host, port, n, rate = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    start = time.time()
    for k, (fwd, m) in enumerate(messages(n)):
        s.sendto(hep3(fwd, m, start + k * 0.0001), (host, port))
        if rate > 0 and k % 1000 == 999:
            ahead = start + (k + 1) / rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
    print(f"sent {n} in {time.time() - start:.2f} s", file=sys.stderr)
