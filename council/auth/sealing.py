"""Keys derived from the app's secret key, for what the database must not hold in clear.

TOTP secrets must be readable by the server (it computes the codes), so they
cannot be hashed: they are sealed with AES-256-GCM under a key derived from
``COUNCIL_SECRET_KEY`` (or ``instance/secret_key``). A database dump or backup
alone then reveals no secret; changing the secret key makes the sealed secrets
unreadable, and everyone enrols again (said in the README).

Recovery codes only need checking, and carry ~59 random bits: a keyed hash
(HMAC-SHA256 under another derived key) looks one up in one indexed query, and
without the key a dump gives nothing to brute-force. argon2 would cost ~50 ms
per code per attempt for no gain over a key the attacker does not have.

AES-GCM comes from pycryptodomex, already installed for pyzipper.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from Cryptodome.Cipher import AES

SEAL_PURPOSE = b"council/second-factor/seal/v1"
DIGEST_PURPOSE = b"council/second-factor/recovery/v1"
VERSION = "v1"


def derive(secret_key: str, purpose: bytes) -> bytes:
    """A 256-bit key for one purpose (HKDF-style extract with HMAC-SHA256)."""
    return hmac.new(secret_key.encode(), purpose, hashlib.sha256).digest()


def keys_for(secret_key: str) -> dict[str, bytes]:
    """The keys the app hands every database session (``session.info["council_keys"]``)."""
    return {"seal": derive(secret_key, SEAL_PURPOSE), "digest": derive(secret_key, DIGEST_PURPOSE)}


def seal(key: bytes, text: str) -> str:
    nonce = secrets.token_bytes(12)
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
    body, tag = cipher.encrypt_and_digest(text.encode())
    return f"{VERSION}:" + base64.urlsafe_b64encode(nonce + tag + body).decode()


def unseal(key: bytes, sealed: str) -> str | None:
    """The text, or None when it was sealed under another key (or tampered with)."""
    version, _, packed = sealed.partition(":")
    if version != VERSION:
        return None
    try:
        raw = base64.urlsafe_b64decode(packed.encode())
        cipher = AES.new(key, AES.MODE_GCM, nonce=raw[:12])
        return cipher.decrypt_and_verify(raw[28:], raw[12:28]).decode()
    except (ValueError, KeyError):
        return None


def keyed_digest(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
