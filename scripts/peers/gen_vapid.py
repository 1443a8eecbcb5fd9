#!/usr/bin/env python3
"""Prints a VAPID key pair exactly as the documented generator does (see
docs/push.md): the public key as padded base64url of the 65-byte
uncompressed P-256 point, the private key as padded base64url of its PKCS#8
DER, then the placeholder subject. The tests use it to prove Heartlock reads
keys made outside it.
"""
import base64

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

key = ec.generate_private_key(ec.SECP256R1())
der = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
print("VAPID_PUBLIC_KEY=" + base64.urlsafe_b64encode(point).decode())
print("VAPID_PRIVATE_KEY=" + base64.urlsafe_b64encode(der).decode())
print("VAPID_SUBJECT=mailto:admin@example.com")
