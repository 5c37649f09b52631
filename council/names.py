"""Handles and short names: what people type after "@" to mention someone.

A person's handle comes from their name (``ayesha.siddiqui``), an organisation's
short name from its name (``banking-sector-cert``); a taken one gets ``-2``, ``-3``….
Names in another script fall back to the e-mail's local part (people) or ``org``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

MAX = 40
TOKEN = re.compile(r"[a-z0-9]+")
# What a mention may look like: starts and ends with a letter or digit.
HANDLE = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,38}[a-z0-9])?")


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return TOKEN.findall(folded)


def _free(base: str, taken: Callable[[str], bool]) -> str:
    base = base[:MAX].strip("._-") or "x"
    if not taken(base):
        return base
    n = 2
    while True:
        candidate = f"{base[: MAX - len(str(n)) - 1].rstrip('._-')}-{n}"
        if not taken(candidate):
            return candidate
        n += 1


def person_handle(name: str, email: str, taken: Callable[[str], bool]) -> str:
    words = _ascii_words(name) or _ascii_words(email.split("@", 1)[0]) or ["user"]
    return _free(".".join(words), taken)


def org_short_name(name: str, taken: Callable[[str], bool]) -> str:
    return _free("-".join(_ascii_words(name)) or "org", taken)


def valid(value: str) -> bool:
    return bool(HANDLE.fullmatch(value))
