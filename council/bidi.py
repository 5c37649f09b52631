"""Technical tokens inside right-to-left text: found once, on write, and marked to be
shown left to right.

In an Urdu sentence an IP address, a domain, a hash or a CVE id is a run of weak and
neutral characters (digits, dots, hyphens, colons) between Arabic-script words; the
Unicode bidi algorithm then reorders its parts ("CVE-2024-3094" shows as
"3094-2024-CVE", "198.51.100.7:443" loses its port to the far side). Each such token
is wrapped in ``<bdi class="ltr" dir="ltr">``, which isolates it and reads it left
to right. Text without right-to-left characters is left exactly as written.
"""

from __future__ import annotations

import re

# Arabic script (Urdu), Hebrew, Syriac, Thaana, N'Ko and the Arabic presentation forms.
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")

TOKEN = re.compile(
    r"""
      (?:h(?:tt|xx)ps?|ftp)(?::|\[:\])//[^\s<>"'`]+                              # URLs, defanged too
    | \bTLP:(?:CLEAR|GREEN|AMBER\+STRICT|AMBER|RED)(?![\w+])                     # markings
    | \bCVE-\d{4}-\d{4,}\b                                                        # CVE ids
    | \b[A-Z]{2,8}-\d{4}-\d{2,}\b                                                 # references (INC-2026-0007)
    | \bT[+\u2212-]\d{1,3}(?::\d{2}){1,2}\b                                       # exercise offsets (T+01:30)
    | \b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b                              # e-mail addresses
    | \b\d{1,3}(?:(?:\.|\[\.\])\d{1,3}){3}(?:/\d{1,2})?(?::\d{1,5})?\b            # IPv4, CIDR, port
    | (?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{1,4}(?:/\d{1,3})?(?![\w:])    # IPv6 (and clock times)
    | \b[0-9A-Fa-f]{32,128}\b                                                     # hashes
    | \b(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.|\[\.\]))+[A-Za-z]{2,24}\b    # domains,
      (?::\d{1,5})?(?:/[^\s<>"'`]*)?                                               # with port and path
    """,
    re.VERBOSE,
)


def has_right_to_left(text: str) -> bool:
    return RIGHT_TO_LEFT.search(text) is not None


# No token holds a space, and none is this long: the pattern runs word by word, so its cost
# stays linear in the text (on one 20,000-character "word" it would take seconds).
LONGEST = 512
WORD = re.compile(r"\S+")


def split_tokens(text: str) -> list[tuple[str, bool]]:
    """``text`` as (piece, is_token) runs, in order; joined, they give ``text`` back."""
    out: list[tuple[str, bool]] = []
    at = 0
    for word in WORD.finditer(text):
        if word.end() - word.start() > LONGEST:
            continue
        for match in TOKEN.finditer(text, word.start(), word.end()):
            if match.start() > at:
                out.append((text[at:match.start()], False))
            out.append((match.group(0), True))
            at = match.end()
    if at < len(text):
        out.append((text[at:], False))
    return out
