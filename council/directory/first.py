"""A team record to and from FIRST's Global IRT JSON (the field names of
https://github.com/FIRSTdotorg/global-irt, api.md and examples/singleTeam.json).

Export leaves empty values out, as FIRST's API does. What the council computes
itself is written, never read back: ``parent-organisation`` (the council's tree),
``last-modified`` (the record's last change), ``meta`` (this repository), and the
``-council-`` extras ``-council-org-id``, ``-council-tier`` and
``-council-on-duty-now``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from council.directory.models import DutyShift, TeamRecord
from council.directory.shapes import FirstTeam
from council.orgs.models import Organization

SOURCE_NAME = "CERT Council"
SCHEMA_URL = "https://github.com/FIRSTdotorg/global-irt/tree/v2/"
LISTS = ("country_codes", "additional_country_codes", "websites", "phone_numbers", "enckeys", "cert_types",
         "languages", "contacts")


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).isoformat(timespec="seconds")


def contact_json(contact: Any) -> dict[str, Any]:
    """One point of contact as stored and exported (FIRST's names, empty values left out)."""
    out = contact.model_dump(by_alias=True, exclude_none=True)
    return {k: v for k, v in out.items() if v != []}


def columns(team: FirstTeam) -> dict[str, Any]:
    """The record's column values from a validated FIRST record (nothing else is read)."""
    hours: Any = team.operating_hours
    hours_text = team.operating_hours_freetext
    if isinstance(hours, str):  # FIRST's API v1 gave the hours as text
        hours_text, hours = hours_text or hours, {}
    values: dict[str, Any] = {
        "short_team_name": team.short_team_name.strip(), "official_team_name": team.official_team_name.strip(),
        "postal_address": team.postal_address.strip(), "country_codes": team.country_code,
        "additional_country_codes": team.additional_country_code, "country": team.country.strip(),
        "websites": team.website, "email": team.email or "", "host": team.host.strip(),
        "establishment": team.establishment, "phone_numbers": team.phone_numbers, "enckeys": team.enckeys,
        "hours_text": hours_text.strip(), "hours": hours or {}, "constituency": team.constituency.strip(),
        "constituency_code": team.constituency_code.strip(),
        "constituency_description": team.constituency_description.strip(),
        "first_member_type": team.first_member_type.strip(), "cert_types": team.cert_type,
        "languages": team.languages, "preferred_language": team.preferred_language or "",
        "contacts": [contact_json(c) for c in team.team_members],
        "emergency_phone": team.council_emergency_phone or "",
    }
    if team.council_time_zone:
        values["time_zone"] = team.council_time_zone
    return values


def apply(record: TeamRecord, values: dict[str, Any]) -> dict[str, Any]:
    """Write ``values`` onto ``record``; the changed fields (for the audit) as {name: [before, after]}."""
    changed: dict[str, Any] = {}
    for key, value in values.items():
        stored = json.dumps(value, ensure_ascii=False) if key in LISTS or key == "hours" else value
        before = getattr(record, key)
        if before != stored:
            shown_before = before.isoformat() if hasattr(before, "isoformat") else before
            shown_after = stored.isoformat() if hasattr(stored, "isoformat") else stored
            # Contacts and hours as they were and are: checks fall back to contacts, so the
            # record must say whose e-mail or phone changed.
            changed[key] = [json.loads(before) if key in ("contacts", "hours") and before else shown_before,
                            value if key in ("contacts", "hours") else shown_after]
            setattr(record, key, stored)
    return changed


def loads(record: TeamRecord, key: str) -> Any:
    return json.loads(getattr(record, key) or ("{}" if key == "hours" else "[]"))


def on_duty_json(shifts: list[DutyShift]) -> list[dict[str, Any]]:
    return [{"name": s.user.name, "email": s.user.email, "user-id": s.user_id, "until": iso(s.ends_at)}
            for s in shifts]


def to_first(org: Organization, record: TeamRecord | None, on_duty: list[DutyShift]) -> dict[str, Any]:
    """The FIRST JSON of ``org``'s record (an organisation without one: its names only)."""
    out: dict[str, Any] = {}
    if record is None:
        out["short-team-name"] = org.short_name.upper()
        out["official-team-name"] = org.name
    else:
        out.update({
            "short-team-name": record.short_team_name, "official-team-name": record.official_team_name,
            "postal-address": record.postal_address, "country-code": loads(record, "country_codes"),
            "additional-country-code": loads(record, "additional_country_codes"),
            "website": loads(record, "websites"), "country": record.country, "email": record.email,
            "host": record.host, "establishment": record.establishment.isoformat() if record.establishment else "",
            "phone-numbers": loads(record, "phone_numbers"),
            "enckeys": ["0x" + key for key in loads(record, "enckeys")],
            "operating-hours-freetext": record.hours_text, "operating-hours": loads(record, "hours"),
            "constituency": record.constituency, "constituency-code": record.constituency_code,
            "constituency-description": record.constituency_description,
            "-first-member-type": record.first_member_type,
            "cert-type": loads(record, "cert_types"), "languages": loads(record, "languages"),
            "preferred language": record.preferred_language,
            "team-members": [{**c, "enckeys": ["0x" + k for k in c["enckeys"]]} if c.get("enckeys") else c
                             for c in loads(record, "contacts")],
            "-council-time-zone": record.time_zone, "-council-emergency-phone": record.emergency_phone,
            "last-modified": iso(record.updated_at),
        })
    if org.parent is not None:
        out["parent-organisation"] = org.parent.name
    out["meta"] = {"source-name": SOURCE_NAME, "schema_version": 2, "schema-url": SCHEMA_URL}
    out = {k: v for k, v in out.items() if v not in ("", None, [], {})}
    out["-council-org-id"] = org.id
    out["-council-tier"] = org.tier_label
    out["-council-on-duty-now"] = on_duty_json(on_duty)
    return out
