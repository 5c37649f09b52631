"""TOTP codes (RFC 6238: SHA-1, 6 digits, 30-second steps, via pyotp), the QR code
that carries the secret to an authenticator app (drawn here as inline SVG by segno:
no image service, no CDN) and recovery codes. Pure: no database, no Flask."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from flask_babel import gettext as _

ISSUER = "CERT Council"
STEP_S = 30
DIGITS = 6
# Codes of the previous and next step are accepted too: phones' clocks drift.
WINDOW = 1
RECOVERY_COUNT = 10
# No 0/o, 1/l/i: read off paper without doubt. 31 symbols x 12 = ~59 bits per code.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 12


def new_secret() -> str:
    """160 random bits in base32, as RFC 4226 recommends."""
    return pyotp.random_base32(32)


def step_at(now: datetime) -> int:
    return int(now.timestamp()) // STEP_S


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).generate_otp(step)


def looks_like_code(text: str) -> bool:
    return len(text) == DIGITS and text.isascii() and text.isdigit()


def clean(text: str) -> str:
    """What a person typed, without spaces and dashes (codes are often grouped)."""
    return "".join(ch for ch in (text or "")[:64] if ch not in " -\t").lower()


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step whose code ``code`` is, within the window and after ``last_step``
    (a code already accepted, or an older one, is never taken again); else None."""
    if not looks_like_code(code):
        return None
    current = step_at(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(
        name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code (dark on light, quiet zone kept)."""
    return str(segno.make(uri, error="m").svg_inline(
        scale=5, border=4, dark="#111", light="#fff", omitsize=True, svgclass="qr",
        title=_("QR code: scan it with your authenticator app")))


def grouped(secret: str) -> str:
    """The manual key in groups of four, as authenticator apps show it."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def new_recovery_codes() -> list[str]:
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_COUNT)]
    return [f"{c[:4]}-{c[4:8]}-{c[8:]}" for c in codes]


def recovery_shape(text: str) -> bool:
    return len(text) == RECOVERY_LENGTH and all(ch in RECOVERY_ALPHABET for ch in text)

