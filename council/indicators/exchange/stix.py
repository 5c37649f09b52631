"""STIX 2.1 bundles of a room's indicators, written and read with the stix2 library
(which checks every property, identifier and pattern as the specification says),
validated in the tests by stix2-validator.

A bundle holds the TLP 2.0 marking definitions used, an identity per organisation
(source and sighting organisations), an indicator per value with its STIX pattern (a
CVE becomes a vulnerability, an "other" value a note), a sighting per organisation's
report, and a ``report`` for the room referring to them all. Ids are stable (UUIDv5
from the council's namespace), so a bundle exported twice names the same objects.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import stix2
from flask_babel import gettext as _
from stix2.pattern_visitor import create_pattern_object
from stix2.patterns import EqualityComparisonExpression, ObservationExpression

from council.db import utcnow
from council.indicators.exchange.markings import EXERCISE, EXERCISE_ID, TLP_OF_ID, tlp_marking
from council.indicators.models import Indicator, marking
from council.indicators.values import BadValue, normalise
from council.rooms.models import Room

NAMESPACE = uuid.UUID("1b0f5a3e-7c2d-5e8a-9b4f-0c6d2e1a7f35")
# Our type -> the STIX object path its pattern compares.
PATHS = {
    "ipv4": "ipv4-addr:value", "ipv6": "ipv6-addr:value", "domain": "domain-name:value", "url": "url:value",
    "email": "email-addr:value", "md5": "file:hashes.MD5", "sha1": "file:hashes.'SHA-1'",
    "sha256": "file:hashes.'SHA-256'", "file_name": "file:name", "asn": "autonomous-system:number",
    "registry_key": "windows-registry-key:key",
    "user_agent": "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'",
}
OF_PATH = {v: k for k, v in PATHS.items()} | {"file:hashes.'MD5'": "md5", "file:hashes.SHA1": "sha1",
                                              "file:hashes.SHA256": "sha256", "file:hashes.'SHA1'": "sha1",
                                              "file:hashes.'SHA256'": "sha256"}


def stable_id(kind: str, key: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, f'{kind}:{key}')}"


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_of(ind: Indicator) -> str:
    if ind.type == "cidr":
        path = "ipv6-addr:value" if ":" in ind.value else "ipv4-addr:value"
        return f"[{path} = {_quote(ind.value)}]"
    if ind.type == "asn":
        return f"[{PATHS['asn']} = {int(ind.value[2:])}]"
    return f"[{PATHS[ind.type]} = {_quote(ind.value)}]"


def _markings(tlp: str, exercise: bool) -> list[str]:
    return [tlp_marking(tlp)["id"], *([EXERCISE_ID] if exercise else [])]


def bundle(room: Room, indicators: list[Indicator], *, exercise: bool = False, now: datetime | None = None,
           ) -> dict[str, Any]:
    """The room's indicators (those the caller may see: the caller filters) as a bundle."""
    now = now or utcnow()
    objects: list[Any] = []
    identities: dict[int, str] = {}
    tlps_used = {room.tlp}

    def identity(org_id: int, name: str) -> str:
        if org_id not in identities:
            identities[org_id] = stable_id("identity", f"org:{org_id}")
            objects.append(stix2.Identity(id=identities[org_id], name=name, identity_class="organization",
                                          created=datetime(2026, 1, 1), modified=datetime(2026, 1, 1)))
        return identities[org_id]

    refs: list[str] = []
    for ind in indicators:
        tlps_used.add(marking(ind.tlp, room.tlp))
        marks = _markings(marking(ind.tlp, room.tlp), exercise)
        creator = identity(ind.source_org_id, ind.source_org.name)
        labels = json.loads(ind.tags) or None
        common: dict[str, Any] = {"created": ind.created_at, "modified": max(ind.updated_at, ind.created_at),
                                  "created_by_ref": creator, "object_marking_refs": marks,
                                  "revoked": ind.status == "retired"}
        if ind.type == "cve":
            obj: Any = stix2.Vulnerability(
                id=stable_id("vulnerability", f"indicator:{ind.id}"), name=ind.value,
                description=ind.description or None, labels=labels, confidence=ind.confidence,
                external_references=[{"source_name": "cve", "external_id": ind.value}], **common)
        elif ind.type == "other":
            common.pop("revoked")
            obj = stix2.Note(id=stable_id("note", f"indicator:{ind.id}"), abstract="Indicator (other)",
                             content=ind.value + (f"\n\n{ind.description}" if ind.description else ""),
                             object_refs=[creator], labels=labels, confidence=ind.confidence, **common)
        else:
            valid_from = ind.first_seen or ind.created_at
            until = ind.last_seen if ind.last_seen and ind.last_seen > valid_from else None
            obj = stix2.Indicator(
                id=stable_id("indicator", f"indicator:{ind.id}"), name=f"{ind.type}: {ind.value}"[:250],
                description=ind.description or f"Indicator of compromise from {room.title}",
                pattern=pattern_of(ind), pattern_type="stix", valid_from=valid_from, valid_until=until,
                indicator_types=["malicious-activity"], labels=labels, confidence=ind.confidence, **common)
        objects.append(obj)
        refs.append(obj.id)
        if ind.type in ("cve", "other"):
            continue
        for s in ind.sightings:
            org_ref = identity(s.org_id, s.org.name)
            sighting = stix2.Sighting(
                id=stable_id("sighting", f"sighting:{s.id}"), created=s.created_at, modified=s.created_at,
                sighting_of_ref=obj.id, where_sighted_refs=[org_ref], first_seen=s.seen_at, last_seen=s.seen_at,
                count=s.count, description=" · ".join(p for p in (s.location, s.note) if p) or None,
                created_by_ref=org_ref, object_marking_refs=marks)
            objects.append(sighting)
            refs.append(sighting.id)
    title = ("EXERCISE — " if exercise else "") + room.title
    report = stix2.Report(
        id=stable_id("report", f"room:{room.id}"), name=title, published=now, created=room.created_at,
        modified=max(now, room.created_at), report_types=["threat-report"],
        description=f"Indicators of the council room #{room.id}, as exported on {now:%Y-%m-%d %H:%M} UTC.",
        object_refs=refs or list(identities.values()) or [stable_id("identity", "council")],
        object_marking_refs=_markings(room.tlp, exercise))
    if not identities:
        objects.append(stix2.Identity(id=stable_id("identity", "council"), name="CERT Council",
                                      identity_class="organization", created=datetime(2026, 1, 1),
                                      modified=datetime(2026, 1, 1)))
    markings = [tlp_marking(t) for t in ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED") if t in tlps_used]
    if exercise:
        markings.append(EXERCISE)
    body = [*markings, *(json.loads(o.serialize()) for o in objects), json.loads(report.serialize())]
    return {"type": "bundle", "id": stable_id("bundle", f"room:{room.id}:{now.isoformat()}"), "objects": body}


# --- reading a bundle -------------------------------------------------------------------------

class ObjectRefused(ValueError):
    pass


def value_of(pattern: str) -> tuple[str, str]:
    """(type, raw value) of a single-comparison pattern ``[path = 'value']``; else ObjectRefused."""
    try:
        parsed = create_pattern_object(pattern, version="2.1")
    except Exception:
        raise ObjectRefused(_("The pattern is not valid STIX 2.1.")) from None
    expr = parsed.operand if isinstance(parsed, ObservationExpression) else None
    if not isinstance(expr, EqualityComparisonExpression) or expr.negated:
        raise ObjectRefused(_("Only patterns of one equality ([type:property = 'value']) are imported."))
    path = str(expr.lhs)
    value = expr.rhs.value
    if path in ("ipv4-addr:value", "ipv6-addr:value") and "/" in str(value):
        return "cidr", str(value)
    if path not in OF_PATH:
        raise ObjectRefused(_("No indicator type of the council for %(path)s.", path=path))
    return OF_PATH[path], str(value)


def read(data: dict[str, Any], room_tlp: str, room_is_exercise: bool) -> tuple[list[dict[str, Any]], int,
                                                                                    list[tuple[int, str]]]:
    """(indicator fields, objects skipped, errors by index) of a bundle. Nothing is written here."""
    objects = data.get("objects")
    if not isinstance(objects, list):
        return [], 0, [(0, _("A STIX bundle has a list of objects."))]
    out: list[dict[str, Any]] = []
    errors: list[tuple[int, str]] = []
    skipped = 0
    for index, raw in enumerate(objects):
        try:
            if not isinstance(raw, dict):
                raise ObjectRefused(_("Not a STIX object."))
            kind = raw.get("type")
            if kind not in ("indicator", "vulnerability"):
                if kind in ("marking-definition", "identity", "report", "grouping", "sighting", "note",
                            "relationship", "extension-definition", "observed-data", "malware", "threat-actor",
                            "campaign", "attack-pattern", "tool", "infrastructure", "intrusion-set", "location",
                            "course-of-action", "opinion", "incident") or str(kind).startswith("x-"):
                    skipped += 1
                    continue
                raise ObjectRefused(_("Not a STIX 2.1 object type: %(kind)s.", kind=str(kind)[:40]))
            try:
                obj = stix2.parse(raw, allow_custom=True, version="2.1")
            except Exception as err:
                raise ObjectRefused(_("Not valid STIX 2.1: %(error)s", error=str(err)[:200])) from None
            out.append({**_fields(obj, raw, room_tlp, room_is_exercise), "_index": index})
        except (ObjectRefused, BadValue) as err:
            errors.append((index, str(err)))
    return out, skipped, errors


def marking_of(refs: Iterable[str] | None, room_tlp: str, room_is_exercise: bool) -> str:
    """The council's TLP for an object: its own if at least as strict as the room's, else the room's."""
    from council.access import not_looser

    refs = [refs] if isinstance(refs, str) else list(refs or [])
    if EXERCISE_ID in refs and not room_is_exercise:
        raise ObjectRefused(_("Marked EXERCISE: exercise data is never imported into a real room."))
    unknown = [r for r in refs if r not in TLP_OF_ID and r != EXERCISE_ID]
    if unknown:  # deny by default: a marking we cannot read may be stricter than any we know
        raise ObjectRefused(_("Marked with %(marking)s, which the council does not know: "
                              "mark it with a TLP 2.0 marking definition.", marking=str(unknown[0])[:80]))
    levels = [TLP_OF_ID[r] for r in refs if r in TLP_OF_ID]
    if not levels:
        return room_tlp
    strictest = max(levels, key=lambda t: ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED").index(t))
    return strictest if not_looser(strictest, room_tlp) else room_tlp


def _fields(obj: Any, raw: dict[str, Any], room_tlp: str, room_is_exercise: bool) -> dict[str, Any]:
    # The parsed object's refs (stix2 reads a lone string as a list of one; the raw JSON would
    # be read a character at a time and lose the marking).
    if obj.get("granular_markings") or raw.get("granular_markings"):
        raise ObjectRefused(_("Granular markings are not carried: mark the whole object."))
    tlp = marking_of(obj.get("object_marking_refs"), room_tlp, room_is_exercise)
    if obj.type == "vulnerability":
        cves = [r.get("external_id") for r in raw.get("external_references") or [] if r.get("source_name") == "cve"]
        type_, value = "cve", (cves[0] if cves else obj.name)
    else:
        if getattr(obj, "pattern_type", "stix") != "stix":
            raise ObjectRefused(_("Only STIX patterns are imported, not %(kind)s.", kind=obj.pattern_type))
        type_, value = value_of(obj.pattern)
    value = normalise(type_, value)
    first = getattr(obj, "valid_from", None)
    last = getattr(obj, "valid_until", None)
    return {"type": type_, "value": value, "tlp": tlp, "confidence": getattr(obj, "confidence", None),
            "description": (getattr(obj, "description", None) or "")[:20_000],
            "tags": [str(t)[:64] for t in (getattr(obj, "labels", None) or [])][:20],
            "first_seen": first.isoformat() if first else None,
            "last_seen": last.isoformat() if last and (not first or last >= first) else None,
            "origin": f"stix:{obj.id}"[:120]}
