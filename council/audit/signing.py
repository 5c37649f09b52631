"""The audit signing key: an Ed25519 key kept in a file, never in the database.

Anchors are worth something only if whoever can rewrite the database cannot
also sign a new tip, so the private half lives in a file of its own (mode 0600,
made on first use) and the public half is what operators hand to an auditor.
Ed25519 (through ``cryptography``, the maintained binding of OpenSSL) gives
short, deterministic signatures with no parameters to get wrong.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

log = logging.getLogger("council.audit.anchor")


class SigningKeyError(Exception):
    """A key file that cannot be read or made (its message is safe to show: no key material)."""


def load_or_create(path: str | Path) -> Ed25519PrivateKey:
    """The signing key at ``path``, made once with mode 0600 if there is none.

    As with the instance's secret key, the new key is written whole to a private
    temporary file and linked into place, which fails if the name exists: two
    processes anchoring at once agree on one key, and none reads half a file."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        made = Ed25519PrivateKey.generate()
        pem = made.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
        tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
                fh.flush()
                os.fsync(fh.fileno())
            os.link(tmp, path)
            log.info("audit signing key made at %s (public key %s)", path, fingerprint(made.public_key()))
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return load(path)


def load(path: str | Path) -> Ed25519PrivateKey:
    """The existing signing key; one that others may read still works, with a warning."""
    path = Path(path)
    try:
        data = path.read_bytes()
        mode = path.stat().st_mode & 0o777
    except OSError as exc:
        raise SigningKeyError(f"cannot read the audit signing key {path}: {exc.strerror or exc}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path} is not a PEM Ed25519 private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} is not an Ed25519 key")
    if mode & 0o077:
        log.warning("audit signing key %s has mode %o: anyone who can read it can forge anchors (chmod 600)",
                    path, mode)
    return key


def raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_b64(public: Ed25519PublicKey) -> str:
    """The 32 raw bytes of a public key in base64: what each anchor line carries."""
    return base64.b64encode(raw(public)).decode()


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint(public: Ed25519PublicKey) -> str:
    """``SHA256:`` and the unpadded base64 of the key's SHA-256, as OpenSSH shows keys."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw(public)).digest()).decode().rstrip("=")


def read_public(path: str | Path) -> Ed25519PublicKey:
    """A public key handed to an auditor: PEM, or the 32 raw bytes in base64."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read the public key {path}: {exc.strerror or exc}") from exc
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"{path} is not a PEM public key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"{path} is not an Ed25519 public key")
        return key
    try:
        decoded = base64.b64decode(data.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(decoded)
    except ValueError as exc:
        raise SigningKeyError(f"{path} is neither a PEM public key nor 32 bytes of base64") from exc


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode()


def verifies(public: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True
