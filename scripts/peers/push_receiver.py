#!/usr/bin/env python3
"""A local Web Push service that decrypts like a browser, for Heartlock's tests.

  push_receiver.py --port 9500 --dir STATE

It plays both the push service and the browser behind it:
  GET  /new/NAME            makes a browser subscription for endpoint
                            http://127.0.0.1:PORT/push/NAME (a fresh P-256 key
                            pair and 16-byte auth secret) and returns it as
                            PushSubscription JSON {endpoint, keys: {p256dh, auth}}.
                            "sub1" exists from the start (STATE/subscription.json).
  POST /push/NAME           a push: checks the VAPID header (RFC 8292: ES256
                            signature with the k= key, aud = the endpoint's origin
                            including its port, exp within 24 h, sub mailto:/https:),
                            Content-Encoding aes128gcm and TTL, decrypts the body
                            with http_ece (RFC 8291), appends a JSON line to
                            STATE/received.jsonl and answers 201 (400 when a check
                            fails). A subscription marked gone answers 410 instead.
  POST /control/answer/NAME/CODE  makes later pushes to NAME answer CODE
                            (e.g. 410 = the browser unsubscribed, 500 = outage);
                            CODE 0 restores normal handling.
Prints "ready PORT" on stdout once listening.
"""
import argparse
import base64
import json
import os
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def check_vapid(header, endpoint):
    """The decoded token and a list of problems (empty when it is valid)."""
    problems = []
    if not header.lower().startswith("vapid "):
        return None, ["Authorization is not the RFC 8292 vapid scheme: %r" % header[:20]]
    params = {}
    for part in header[6:].split(","):
        k, _, v = part.strip().partition("=")
        params[k.strip()] = v.strip()
    token, k = params.get("t", ""), params.get("k", "")
    if "=" in k:
        problems.append("k is padded (RFC 8292 wants unpadded base64url)")
    try:
        h64, p64, s64 = token.split(".")
        head, claims, sig = json.loads(b64d(h64)), json.loads(b64d(p64)), b64d(s64)
    except Exception as e:  # noqa: BLE001 - any malformed token is a problem
        return None, ["malformed token: %r" % e]
    if head.get("alg") != "ES256":
        problems.append("alg is %r, not ES256" % head.get("alg"))
    try:
        pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(k))
        r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
        pub.verify(utils.encode_dss_signature(r, s), ("%s.%s" % (h64, p64)).encode(),
                   ec.ECDSA(hashes.SHA256()))
    except Exception:  # noqa: BLE001
        problems.append("the signature does not verify with k")
    origin = "/".join(endpoint.split("/")[:3])
    if claims.get("aud") != origin:
        problems.append("aud %r is not the endpoint origin %r" % (claims.get("aud"), origin))
    now = time.time()
    if not now < claims.get("exp", 0) <= now + 24 * 3600:
        problems.append("exp %r is not within the next 24 hours" % claims.get("exp"))
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        problems.append("sub must be a mailto: or https: URL")
    return {"header": head, "claims": claims, "k": k}, problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    lock = threading.Lock()
    subs = {}      # name -> (private key, auth secret, endpoint)
    answers = {}   # name -> status code to answer instead of handling

    def new_sub(name):
        priv = ec.generate_private_key(ec.SECP256R1())
        auth = secrets.token_bytes(16)
        endpoint = "http://127.0.0.1:%d/push/%s" % (a.port, name)
        with lock:
            subs[name] = (priv, auth, endpoint)
        raw = priv.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {"endpoint": endpoint, "keys": {"p256dh": b64e(raw), "auth": b64e(auth)}}

    with open(os.path.join(a.dir, "subscription.json"), "w") as f:
        json.dump(new_sub("sub1"), f)

    class Handler(BaseHTTPRequestHandler):
        def reply(self, code, body=b"", ctype="application/json"):
            self.send_response(code)
            if body:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            parts = self.path.strip("/").split("/")
            if len(parts) == 2 and parts[0] == "new" and parts[1]:
                self.reply(200, json.dumps(new_sub(parts[1])).encode())
            else:
                self.reply(404)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            parts = self.path.strip("/").split("/")
            if len(parts) == 4 and parts[:2] == ["control", "answer"]:
                with lock:
                    answers[parts[2]] = int(parts[3])
                return self.reply(204)
            if len(parts) != 2 or parts[0] != "push":
                return self.reply(404)
            name = parts[1]
            with lock:
                sub = subs.get(name)
                forced = answers.get(name, 0)
            rec = {"name": name, "headers": dict(self.headers.items()), "len": len(body)}
            if sub is None:
                code = 404
            elif forced:
                code = forced
                rec["forced"] = forced
            else:
                priv, auth, endpoint = sub
                vapid, problems = check_vapid(self.headers.get("Authorization", ""), endpoint)
                rec["vapid"] = vapid
                if self.headers.get("Content-Encoding") != "aes128gcm":
                    problems.append("Content-Encoding is not aes128gcm")
                if "TTL" not in self.headers:
                    problems.append("no TTL header")
                try:
                    rec["plaintext"] = http_ece.decrypt(
                        body, private_key=priv, auth_secret=auth, version="aes128gcm").decode()
                except Exception as e:  # noqa: BLE001
                    problems.append("does not decrypt: %r" % e)
                rec["problems"] = problems
                code = 400 if problems else 201
            rec["status"] = code
            with lock, open(os.path.join(a.dir, "received.jsonl"), "a") as f:
                f.write(json.dumps(rec) + "\n")
            self.reply(code)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    print("ready %d" % a.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
