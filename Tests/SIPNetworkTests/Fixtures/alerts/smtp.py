#!/usr/bin/python3
"""A real SMTP server (aiosmtpd, Debian's python3-aiosmtpd) for siptrunk's alert email tests, on loopback only.

Writes one JSON line per accepted message (envelope and the data as received) to --log.
  --user/--password   require AUTH (PLAIN or LOGIN) with these credentials; anything else is refused with 535
  --cert/--key        offer STARTTLS with this certificate (and require it before AUTH)
Prints "listening PORT" on stdout once it accepts connections.
"""
import argparse, json, socket, ssl, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

parser = argparse.ArgumentParser()
parser.add_argument("--log", required=True)
parser.add_argument("--user")
parser.add_argument("--password")
parser.add_argument("--cert")
parser.add_argument("--key")
args = parser.parse_args()

class Store:
    async def handle_DATA(self, server, session, envelope):
        with open(args.log, "a") as log:
            log.write(json.dumps({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                                  "data": envelope.content.decode("utf-8", "replace"), "tls": session.ssl is not None}) + "\n")
        return "250 Message accepted for delivery"

def authenticate(server, session, envelope, mechanism, auth_data):
    ok = args.user is not None and auth_data.login.decode() == args.user and auth_data.password.decode() == args.password
    return AuthResult(success=ok, handled=False)

with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
kwargs = {}
if args.cert:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    kwargs["tls_context"] = context
    kwargs["require_starttls"] = True
if args.user:
    kwargs["authenticator"] = authenticate
    kwargs["auth_required"] = True
    kwargs["auth_require_tls"] = args.cert is not None
controller = Controller(Store(), hostname="127.0.0.1", port=port, server_hostname="localhost", **kwargs)
controller.start()
print("listening %d" % port, flush=True)
while True:
    time.sleep(3600)
