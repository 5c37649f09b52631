"""Paste to extract: the indicators in a report or a log, found by ioc-finder (its
grammars handle defanged text, URLs in brackets, hashes among words and a hundred
edge cases a hand-written regular expression misses), then normalised as any other
value so duplicates are seen."""

from __future__ import annotations

from pathlib import PureWindowsPath

import ioc_finder

from council.indicators.values import BadValue, normalise

TEXT_MAX = 200_000
FOUND_MAX = 500
# ioc-finder's name -> ours, in the order the review lists them.
KINDS = (("urls", "url"), ("domains", "domain"), ("ipv4s", "ipv4"), ("ipv6s", "ipv6"), ("ipv4_cidrs", "cidr"),
         ("ipv6_cidrs", "cidr"), ("email_addresses", "email"), ("sha256s", "sha256"), ("sha1s", "sha1"),
         ("md5s", "md5"), ("cves", "cve"), ("asns", "asn"), ("registry_key_paths", "registry_key"),
         ("user_agents", "user_agent"), ("file_paths", "file_name"))


# Found in a second reading without round brackets: ioc-fanger reads "et (" and "at )" as a
# defanged "@" (so "cdn-sync.net (AS64500)" loses its domain). Values of these types never
# hold a round bracket; user agents and paths can, and are read from the text as it is.
UNBRACKETED = {"urls", "domains", "ipv4s", "ipv6s", "ipv4_cidrs", "ipv6_cidrs", "email_addresses", "asns"}


def _find(text: str, kinds: list[str]) -> dict[str, list[str]]:
    return dict(ioc_finder.find_iocs(
        text, parse_domain_from_url=False, parse_from_url_path=False, parse_domain_from_email_address=False,
        parse_address_from_cidr=False, parse_urls_without_scheme=False, included_ioc_types=kinds))


def extract(text: str) -> list[tuple[str, str]]:
    """(type, normalised value) pairs found in ``text``, each once, in the order above."""
    text = text[:TEXT_MAX]
    found = _find(text, [name for name, _ in KINDS])
    again = _find(text.translate({ord("("): " ", ord(")"): " "}), sorted(UNBRACKETED))
    for name in UNBRACKETED:
        found[name] = list(found.get(name) or []) + list(again.get(name) or [])
    out: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for name, type_ in KINDS:
        for raw in found.get(name) or []:
            if type_ == "url":
                raw = raw.rstrip(".,;:'\")]")  # the sentence's full stop, not the URL's
            if type_ == "file_name":
                raw = PureWindowsPath(raw).name
            try:
                value = normalise(type_, raw)
            except BadValue:
                continue
            if (type_, value) not in seen:
                seen.add((type_, value))
                out.append((type_, value))
            if len(out) >= FOUND_MAX:
                return out
    return out
