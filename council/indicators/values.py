"""What an indicator's value is, per type: validated, refanged and put in one canonical
form, so that the same indicator written two ways is one value (search, "also in",
duplicates). And the defanged form shown in text.

Refanging and defanging are ioc-fanger's (its rules cover hxxp, [.], (dot), [at] and
dozens more variants seen in advisories); the checks below are of the already-clean value.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

import ioc_fanger
from flask_babel import gettext as _

from council.indicators.models import TYPES, VALUE_MAX

HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}
_HEX = re.compile(r"[0-9a-f]+")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_CVE = re.compile(r"CVE-(\d{4})-(\d{4,7})", re.ASCII)
_ASN = re.compile(r"(?:AS|ASN)?\s*(\d{1,10})", re.ASCII)
# A value is in three btree indexes: PostgreSQL keeps an index entry under ~2,700 bytes.
VALUE_MAX_BYTES = 2000
HIVES = {"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
         "HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG"}
URL_SCHEMES = ("http", "https", "ftp", "ftps", "sftp", "ws", "wss", "tcp", "udp", "smb", "file")
DEFANGED = ("ipv4", "cidr", "domain", "url", "email")
LABELS = {"ipv4": "IPv4", "ipv6": "IPv6", "cidr": "CIDR range", "domain": "Domain", "url": "URL",
          "email": "Email address", "md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "file_name": "File name",
          "cve": "CVE", "asn": "AS number", "registry_key": "Registry key", "user_agent": "User agent",
          "other": "Other"}


class BadValue(ValueError):
    """The value is not one of its type; the message says what it should be."""


def refang(text: str) -> str:
    return str(ioc_fanger.fang(text))


def defang(type_: str, value: str) -> str:
    """The form shown in text, which no mail client or chat turns into a live link."""
    if type_ in ("ipv4", "cidr"):  # 198.51.100[.]7: still readable as an address
        head, dot, tail = value.rpartition(".")
        return f"{head}[.]{tail}" if dot else value
    return str(ioc_fanger.defang(value)) if type_ in DEFANGED else value


def normalise(type_: str, raw: str) -> str:
    """The canonical value of ``raw`` as a ``type_``; BadValue if it is not one."""
    if type_ not in TYPES:
        raise BadValue(_("Use one of: %(choices)s.", choices=", ".join(TYPES)))
    if not isinstance(raw, str) or not raw.strip():
        raise BadValue(_("Required."))
    if len(raw) > VALUE_MAX:
        raise BadValue(_("At most %(num)s characters.", num=VALUE_MAX))
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in raw.strip()):
        raise BadValue(_("Without control or formatting characters."))
    text = raw.strip()
    if type_ not in ("user_agent", "other", "registry_key", "file_name"):
        text = refang(text).strip()
    value = _NORMALISERS[type_](text)
    if len(value) > VALUE_MAX:
        raise BadValue(_("At most %(num)s characters.", num=VALUE_MAX))
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate (JSON allows "\udcff")
        raise BadValue(_("Text, not broken characters.")) from None
    if size > VALUE_MAX_BYTES:
        raise BadValue(_("At most %(num)s bytes (fewer characters outside ASCII).", num=VALUE_MAX_BYTES))
    return value


def _ipv4(text: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise BadValue(_("An IPv4 address, e.g. 198.51.100.7.")) from None


def _ipv6(text: str) -> str:
    try:
        return ipaddress.IPv6Address(text.strip("[]")).compressed
    except ValueError:
        raise BadValue(_("An IPv6 address, e.g. 2001:db8::7.")) from None


def _cidr(text: str) -> str:
    if "/" not in text:
        raise BadValue(_("A network with its prefix length, e.g. 203.0.113.0/24."))
    try:
        return ipaddress.ip_network(text, strict=False).compressed
    except ValueError:
        raise BadValue(_("A network with its prefix length, e.g. 203.0.113.0/24.")) from None


def _domain(text: str) -> str:
    name = text.lower().rstrip(".")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise BadValue(_("A domain name, e.g. example.com.")) from None
    labels = name.split(".")
    if (len(name) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels)
            or labels[-1].isdigit()):
        raise BadValue(_("A domain name, e.g. example.com."))
    return name


def _host(host: str) -> str:
    try:
        return _ipv4(host)
    except BadValue:
        pass
    if host.startswith("["):
        return f"[{_ipv6(host)}]"
    return _domain(host)


def _url(text: str) -> str:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise BadValue(_("A URL with its scheme, e.g. https://example.com/path.")) from None
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES or not parts.hostname or any(c.isspace() for c in text):
        raise BadValue(_("A URL with its scheme, e.g. https://example.com/path."))
    host = parts.hostname
    host = _host(f"[{host}]" if ":" in host else host)
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port is None or port == default else f"{host}:{port}"
    if parts.username or parts.password:
        netloc = f"{parts.username or ''}{':' + parts.password if parts.password else ''}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or ("/" if not parts.query else ""), parts.query, ""))


def _email(text: str) -> str:
    local, at, domain = text.rpartition("@")
    if not at or not local or len(local) > 64 or any(c.isspace() or c in "<>()[],;:\"" for c in local):
        raise BadValue(_("An email address, e.g. billing@example.com."))
    return f"{local.lower()}@{_domain(domain)}"


def _hash(kind: str) -> object:
    def check(text: str) -> str:
        value = text.lower()
        if len(value) != HASH_LENGTHS[kind] or not _HEX.fullmatch(value):
            raise BadValue(_("%(num)s hexadecimal digits.", num=HASH_LENGTHS[kind]))
        return value
    return check


def _file_name(text: str) -> str:
    if any(c in text for c in "\r\n\t/\\") or len(text) > 255 or text in (".", ".."):
        raise BadValue(_("A file name without its folder (at most 255 characters)."))
    return text


def _cve(text: str) -> str:
    match = _CVE.fullmatch(text.upper())
    if not match:
        raise BadValue(_("A CVE identifier, e.g. CVE-2024-3400."))
    return match.group(0)


def _asn(text: str) -> str:
    match = _ASN.fullmatch(text.upper())
    if not match or int(match.group(1)) > 4_294_967_295:
        raise BadValue(_("An autonomous system number, e.g. AS64500."))
    return f"AS{int(match.group(1))}"


def _registry_key(text: str) -> str:
    hive, sep, rest = text.replace("/", "\\").partition("\\")
    full = HIVES.get(hive.upper(), hive.upper())
    if full not in HIVES.values() or any(c in text for c in "\r\n"):
        raise BadValue(_("A registry key under a hive, e.g. HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run."))
    return full + (sep + rest.strip("\\") if rest.strip("\\") else "")


def _line(kind: str, max_len: int) -> object:
    def check(text: str) -> str:
        value = " ".join(text.split())
        if len(value) > max_len:
            raise BadValue(_("A user agent of at most %(num)s characters.", num=max_len) if kind == "user_agent"
                           else _("A value of at most %(num)s characters.", num=max_len))
        return value
    return check


_NORMALISERS = {
    "ipv4": _ipv4, "ipv6": _ipv6, "cidr": _cidr, "domain": _domain, "url": _url, "email": _email,
    "md5": _hash("md5"), "sha1": _hash("sha1"), "sha256": _hash("sha256"), "file_name": _file_name,
    "cve": _cve, "asn": _asn, "registry_key": _registry_key, "user_agent": _line("user_agent", 1000),
    "other": _line("other", VALUE_MAX),
}


def guess(text: str) -> list[tuple[str, str]]:
    """(type, value) readings of one search query, most specific first (for search)."""
    out: list[tuple[str, str]] = []
    for type_ in ("ipv4", "ipv6", "cidr", "md5", "sha1", "sha256", "cve", "asn", "url", "email", "domain"):
        try:
            out.append((type_, normalise(type_, text)))
        except BadValue:
            continue
    return out
