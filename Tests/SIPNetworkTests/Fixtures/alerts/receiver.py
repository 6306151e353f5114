#!/usr/bin/python3
"""An HTTP receiver for siptrunk's alert tests (webhooks and Twilio-compatible SMS requests), on loopback only.

Writes one JSON line per request (method, path, headers, body) to --log, and answers as told:
  --status N     answer every request with status N (default 200; 201 for SMS paths)
  --fail-first N answer the first N requests 500, then as --status says
  --hang         never answer (the client's timeout is under test)
  --huge         answer with a 20 MB body (the client's cap is under test)
  --cert/--key   serve HTTPS with this certificate
Prints "listening PORT" on stdout once it accepts connections.
"""
import argparse, json, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--log", required=True)
parser.add_argument("--status", type=int, default=200)
parser.add_argument("--fail-first", type=int, default=0)
parser.add_argument("--hang", action="store_true")
parser.add_argument("--huge", action="store_true", help="answer with a 20 MB body")
parser.add_argument("--cert")
parser.add_argument("--key")
args = parser.parse_args()
lock = threading.Lock()
seen = {"count": 0}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        with lock:
            seen["count"] += 1
            count = seen["count"]
        status = 500 if count <= args.fail_first else args.status
        if status == 200 and "/Messages.json" in self.path:
            status = 201
        with lock:
            with open(args.log, "a") as log:
                log.write(json.dumps({"method": "POST", "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": body, "status": None if args.hang else status}) + "\n")
        if args.hang:
            time.sleep(3600)
            return
        answer = json.dumps({"received": True, "sid": "SM%06d" % count} if status < 300 else {"error": "receiver told to fail"}).encode()
        if args.huge:
            answer = b"x" * (20 * 1024 * 1024)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_):
        pass

server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
if args.cert:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
print("listening %d" % server.server_address[1], flush=True)
server.serve_forever()
