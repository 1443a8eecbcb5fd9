#!/usr/bin/env python3
"""A stand-in for Cloudflare Turnstile's siteverify endpoint, for Heartlock's
tests (Cloudflare itself is out of reach from the test machines).

  turnstile_siteverify.py --port PORT --log FILE [--hostname NAME]

Speaks the documented protocol: POST /turnstile/v0/siteverify (any path is
accepted) with a form-encoded or JSON body holding `secret`, `response`,
and optionally `remoteip` and `idempotency_key`; answers JSON
{success, error-codes, challenge_ts, hostname, action, cdata}.

The secret decides, as Cloudflare's documented test secrets do:
  1x0000000000000000000000000000000AA  always passes
  2x0000000000000000000000000000000AA  always fails (invalid-input-response)
  3x0000000000000000000000000000000AA  yields timeout-or-duplicate
  any other secret                     invalid-input-secret
An empty secret is missing-input-secret, an empty response
missing-input-response; a response longer than 2048 characters is
invalid-input-response. With --hostname, successful answers name that host
(default "example.com", like Cloudflare's test secrets).

Every request is appended to FILE as one JSON line: secret (these are test
keys), response, remoteip, idempotency_key, content_type, path, answer.
Prints "ready PORT" on stdout once listening; SIGTERM stops it.
"""
import argparse
import datetime
import json
import signal
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PASS = "1x0000000000000000000000000000000AA"
FAIL = "2x0000000000000000000000000000000AA"
SPENT = "3x0000000000000000000000000000000AA"
MAX_TOKEN = 2048


def answer(fields, hostname):
    secret = fields.get("secret") or ""
    response = fields.get("response") or ""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    codes = []
    if not secret:
        codes.append("missing-input-secret")
    elif secret not in (PASS, FAIL, SPENT):
        codes.append("invalid-input-secret")
    if not response:
        codes.append("missing-input-response")
    elif len(response) > MAX_TOKEN:
        codes.append("invalid-input-response")
    if not codes and secret == FAIL:
        codes.append("invalid-input-response")
    if not codes and secret == SPENT:
        codes.append("timeout-or-duplicate")
    if codes:
        return {"success": False, "error-codes": codes, "messages": []}
    return {"success": True, "error-codes": [], "challenge_ts": now,
            "hostname": hostname, "action": "", "cdata": "",
            "metadata": {"interactive": False}}


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-siteverify/1"

    def log_message(self, fmt, *args):  # quiet: tests read the JSON log
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        # Cloudflare answers 405 to anything but POST.
        self.reply(405, {"success": False, "error-codes": ["method-not-allowed"]})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            if ctype == "application/json":
                parsed = json.loads(raw or "{}")
                fields = {k: v for k, v in parsed.items() if isinstance(v, str)} \
                    if isinstance(parsed, dict) else {}
            else:
                fields = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
        except ValueError:
            self.reply(400, {"success": False, "error-codes": ["bad-request"]})
            return
        body = answer(fields, self.server.hostname)
        line = {k: fields.get(k) for k in ("secret", "response", "remoteip", "idempotency_key")}
        line.update({"content_type": ctype, "path": self.path, "answer": body})
        with open(self.server.log_path, "a") as f:
            f.write(json.dumps(line) + "\n")
        self.reply(200, body)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", required=True)
    p.add_argument("--hostname", default="example.com")
    a = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.log_path = a.log
    srv.hostname = a.hostname
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
