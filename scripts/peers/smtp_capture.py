#!/usr/bin/env python3
"""A small SMTP server that captures messages, for Heartlock's tests.

  smtp_capture.py --port 2525 --out DIR [--tls CERT KEY] [--auth user:pass]

Each message is written to DIR as NNNN.eml, with one JSON line per message
appended to DIR/index.jsonl: mail_from, rcpt_tos, tls (whether STARTTLS was
used), auth_user, file. With --tls the server offers STARTTLS; with --auth,
AUTH (PLAIN/LOGIN) is required, and only after STARTTLS when --tls is given.
Each index line also holds the decoded subject, from, to, content_type and
the plain and html parts.
Prints "ready PORT" on stdout once listening.
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def decoded(raw):
    """Subject and the plain and HTML parts, decoded, so tests need no MIME parser."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = {"subject": str(msg.get("subject", "")), "to": str(msg.get("to", "")),
           "from": str(msg.get("from", "")), "content_type": msg.get_content_type()}
    for kind in ("plain", "html"):
        part = msg.get_body(preferencelist=(kind,))
        out[kind] = part.get_content() if part is not None else None
    return out


class Capture:
    def __init__(self, out):
        self.out = out
        self.count = len([f for f in os.listdir(out) if f.endswith(".eml")])

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = "%04d.eml" % self.count
        with open(os.path.join(self.out, name), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        line = decoded(envelope.original_content or envelope.content)
        line.update({
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "auth_user": (session.auth_data.login.decode()
                          if isinstance(session.auth_data, LoginPassword) else None),
            "file": name,
        })
        with open(os.path.join(self.out, "index.jsonl"), "a") as f:
            f.write(json.dumps(line) + "\n")
        return "250 Message accepted for delivery"


def authenticator(expected):
    user, _, password = expected.partition(":")

    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        return AuthResult(success=ok, auth_data=auth_data if ok else None)

    return check


def main():
    # aiosmtpd warns about its own deprecated attribute on every AUTH.
    warnings.filterwarnings("ignore", message="Session.login_data")
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth", metavar="USER:PASS")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    kwargs = {}
    if a.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        kwargs["tls_context"] = ctx
        kwargs["require_starttls"] = True
    if a.auth:
        kwargs["authenticator"] = authenticator(a.auth)
        kwargs["auth_required"] = True
        # Without TLS (plain test relays) AUTH must still be allowed.
        kwargs["auth_require_tls"] = bool(a.tls)
    controller = Controller(Capture(a.out), hostname="127.0.0.1", port=a.port,
                            ready_timeout=10, **kwargs)
    controller.start()
    print("ready %d" % a.port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
