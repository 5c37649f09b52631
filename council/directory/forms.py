"""The record's edit form to and from FIRST JSON: the page fills the same shape the
import takes (council/directory/shapes.py FirstTeam), so a rule is written once.

Lists are one item a line (or, for codes, separated by commas or spaces); the
weekly operating hours are one line a day, "mon 09:00-12:00 14:00-17:00".
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from council.directory import first
from council.directory.models import TeamRecord
from council.errors import Invalid
from council.orgs.models import Organization

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CONTACT_ROWS_FREE = 3
MAX_CONTACT_ROWS = 50
FIELDS = ("short", "official", "host", "establishment", "country", "country_codes", "postal_address", "websites",
          "email", "phones", "emergency_phone", "time_zone", "hours_text", "hours", "constituency",
          "constituency_code", "constituency_description", "cert_types", "languages", "preferred_language",
          "enckeys", "first_member_type")
REFUSED = "The record was not saved."


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace("\r", "").split("\n") if line.strip()]


def _words(value: str) -> list[str]:
    return [w for w in re.split(r"[\s,;]+", value) if w]


def hours_lines(hours: dict[str, str]) -> str:
    out = []
    for day in DAYS:
        spans = [f"{hours[f'{day}_{n}_open']}-{hours[f'{day}_{n}_close']}" for n in (1, 2, 3)
                 if f"{day}_{n}_open" in hours and f"{day}_{n}_close" in hours]
        if spans:
            out.append(f"{day} {' '.join(spans)}")
    return "\n".join(out)


def parse_hours(text: str) -> dict[str, str]:
    """ "mon 09:00-17:00" lines -> FIRST's operating-hours object (times checked by the shape)."""
    hours: dict[str, str] = {}
    bad = Invalid(_("The record was not saved."), {
        "operating-hours": _("One line a day: a day (mon … sun) and up to three spans, "
                             "e.g. \"mon 09:00-12:00 14:00-17:00\".")})
    for line in _lines(text)[:7]:
        day, *spans = line.lower().split()
        if day[:3] not in DAYS or not 1 <= len(spans) <= 3:
            raise bad
        for n, span in enumerate(spans, start=1):
            opens, _sep, closes = span.partition("-")
            if not opens or not closes:
                raise bad
            hours[f"{day[:3]}_{n}_open"], hours[f"{day[:3]}_{n}_close"] = opens, closes
    if len(_lines(text)) > 7:
        raise bad
    return hours


def values_of(org: Organization, record: TeamRecord | None, zone: str) -> dict[str, Any]:
    """The form's values for an existing record (or a new one's defaults)."""
    if record is None:
        return {"short": org.short_name.upper(), "official": org.name, "time_zone": zone, "country": "Pakistan",
                "country_codes": "PK", "contacts": [{} for _ in range(CONTACT_ROWS_FREE)]}
    contacts = first.loads(record, "contacts")
    return {
        "short": record.short_team_name, "official": record.official_team_name, "host": record.host,
        "establishment": record.establishment.isoformat() if record.establishment else "",
        "country": record.country, "country_codes": " ".join(first.loads(record, "country_codes")),
        "postal_address": record.postal_address, "websites": "\n".join(first.loads(record, "websites")),
        "email": record.email, "phones": "\n".join(first.loads(record, "phone_numbers")),
        "emergency_phone": record.emergency_phone, "time_zone": record.time_zone, "hours_text": record.hours_text,
        "hours": hours_lines(first.loads(record, "hours")), "constituency": record.constituency,
        "constituency_code": record.constituency_code, "constituency_description": record.constituency_description,
        "cert_types": " ".join(first.loads(record, "cert_types")),
        "languages": " ".join(first.loads(record, "languages")),
        "preferred_language": record.preferred_language, "enckeys": "\n".join(first.loads(record, "enckeys")),
        "first_member_type": record.first_member_type,
        "contacts": [{"name": c.get("name", ""), "email": c.get("email", ""), "phone": c.get("-council-phone", ""),
                      "role": c.get("-council-role", ""), "keys": "\n".join(c.get("enckeys", [])),
                      "langs": " ".join(c.get("languages", [])), "first_rep": bool(c.get("is-first-rep")),
                      "second_rep": bool(c.get("is_second_rep"))} for c in contacts]
        + [{} for _ in range(CONTACT_ROWS_FREE)],
    }


def values_from(form: Any) -> dict[str, Any]:
    """The submitted values, as the form shows them again after a refusal."""
    values: dict[str, Any] = {k: str(form.get(k, ""))[:20_000] for k in FIELDS}
    rows = []
    for n in range(MAX_CONTACT_ROWS + CONTACT_ROWS_FREE):
        if f"c{n}_name" not in form:
            break
        rows.append({k: str(form.get(f"c{n}_{k}", ""))[:5000] for k in ("name", "email", "phone", "role", "keys",
                                                                       "langs")}
                    | {"first_rep": bool(form.get(f"c{n}_first_rep")),
                       "second_rep": bool(form.get(f"c{n}_second_rep"))})
    values["contacts"] = rows + [{} for _ in range(CONTACT_ROWS_FREE - sum(1 for r in rows if not r["name"].strip()))]
    return values


def first_of(values: dict[str, Any], record: TeamRecord | None) -> dict[str, Any]:
    """FIRST JSON from the form's values (validated next by the FirstTeam shape)."""
    def opt(key: str) -> str | None:
        return values[key].strip() or None

    data: dict[str, Any] = {
        "short-team-name": values["short"].strip(), "official-team-name": values["official"].strip(),
        "host": values["host"].strip(), "country": values["country"].strip(),
        "country-code": _words(values["country_codes"]), "postal-address": values["postal_address"].strip(),
        "website": _lines(values["websites"]), "email": opt("email"), "phone-numbers": _lines(values["phones"]),
        "-council-emergency-phone": opt("emergency_phone"), "-council-time-zone": opt("time_zone"),
        "operating-hours-freetext": values["hours_text"].strip(), "operating-hours": parse_hours(values["hours"]),
        "constituency": values["constituency"].strip(), "constituency-code": values["constituency_code"].strip(),
        "constituency-description": values["constituency_description"].strip(),
        "cert-type": _words(values["cert_types"]), "languages": _words(values["languages"].lower()),
        "preferred language": opt("preferred_language"), "enckeys": _lines(values["enckeys"]),
        "-first-member-type": values["first_member_type"].strip(),
        "establishment": opt("establishment"),
    }
    if record is not None:
        data["additional-country-code"] = first.loads(record, "additional_country_codes")
    members = []
    for row in values["contacts"]:
        if not row or not row.get("name", "").strip():
            continue
        member: dict[str, Any] = {"name": row["name"].strip(), "enckeys": _lines(row["keys"]),
                                  "languages": _words(row["langs"].lower())}
        for key, name in (("email", "email"), ("phone", "-council-phone"), ("role", "-council-role")):
            if row[key].strip():
                member[name] = row[key].strip()
        if row["first_rep"]:
            member["is-first-rep"] = True
        if row["second_rep"]:
            member["is_second_rep"] = True
        members.append(member)
    data["team-members"] = members
    return {k: v for k, v in data.items() if v is not None}
