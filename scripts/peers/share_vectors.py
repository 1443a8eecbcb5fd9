#!/usr/bin/env python3
"""Writes the share-link interop vectors (docs/shares.md, format version 1)
with an implementation independent of Heartlock's: Python's `cryptography`
and `unicodedata`. The output is committed as
crates/heartlock-core/tests/share_vectors.json; the Rust tests open every
vector and, given the same key, nonce and salt, seal to the same bytes.

    python3 scripts/peers/share_vectors.py > crates/heartlock-core/tests/share_vectors.json

The keys, nonces and salts are fixed (never do this outside test vectors)
and the iteration count is small so that the tests run fast; the format is
the same at 600 000 iterations.
"""
import base64
import hashlib
import json
import sys
import unicodedata

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

LABEL = b"heartlock-share-v1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hkdf(ikm: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=LABEL, info=info).derive(ikm)


def ikm(key: bytes, passphrase, salt, iterations) -> bytes:
    if passphrase is None:
        return key
    normalized = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    p = PBKDF2HMAC(
        algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations
    ).derive(normalized)
    return key + p


def envelope(content: dict) -> bytes:
    if content["type"] == "text":
        header = {"v": 1, "type": "text"}
        body = content["text"].encode("utf-8")
    else:
        header = {"v": 1, "type": "file", "name": content["name"]}
        if content.get("mime") is not None:
            header["mime"] = content["mime"]
        body = bytes.fromhex(content["bytes_hex"])
    # Compact, and non-ASCII as UTF-8 (what JSON.stringify and serde_json write).
    line = json.dumps(header, separators=(",", ":"), ensure_ascii=False)
    return line.encode("utf-8") + b"\n" + body


def vector(name, content, key, nonce, passphrase=None, salt=None, iterations=None):
    material = ikm(key, passphrase, salt, iterations)
    enc = hkdf(material, b"encryption")
    access = hkdf(material, b"access")
    plain = envelope(content)
    sealed = nonce + AESGCM(enc).encrypt(nonce, plain, LABEL)
    out = {
        "name": name,
        "key": b64url(key),
        "nonce": b64url(nonce),
        "content": content,
        "envelope_hex": plain.hex(),
        "encryption_key_hex": enc.hex(),
        "access": b64url(access),
        "access_sha256_hex": hashlib.sha256(access).hexdigest(),
        "ciphertext": b64url(sealed),
        "kdf": None,
        "passphrase": None,
    }
    if passphrase is not None:
        out["passphrase"] = passphrase
        out["kdf"] = {"name": "pbkdf2-sha256", "salt": b64url(salt), "iterations": iterations}
    return out


def main() -> None:
    vectors = [
        vector(
            "text",
            {"type": "text", "text": "hunter2 ✓ é\nsecond line"},
            key=bytes(range(32)),
            nonce=bytes(range(100, 112)),
        ),
        vector(
            "empty-text",
            {"type": "text", "text": ""},
            key=bytes([0xFF] * 32),
            nonce=bytes(12),
        ),
        vector(
            "file",
            {
                "type": "file",
                "name": "id_ed25519",
                "mime": "application/octet-stream",
                "bytes_hex": bytes(range(256)).hex(),
            },
            key=bytes(range(32, 64)),
            nonce=bytes(range(12)),
        ),
        vector(
            "file-no-mime",
            {"type": "file", "name": "notes é.txt", "mime": None, "bytes_hex": "00ff0a0d"},
            key=bytes(range(64, 96)),
            nonce=bytes([7] * 12),
        ),
        # The passphrase is written decomposed (e + U+0301): NFC makes it é.
        vector(
            "passphrase",
            {"type": "text", "text": "DATABASE_URL=postgres://u:p@db/x"},
            key=bytes(range(96, 128)),
            nonce=bytes(range(200, 212)),
            passphrase="corre\u0301ct horse",
            salt=bytes(range(16)),
            iterations=1000,
        ),
    ]
    json.dump({"format": 1, "vectors": vectors}, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
