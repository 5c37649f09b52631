"""Who may publish, and to whom: an audience asked as selectors (all, tiers,
sectors, named organisations; named people for RED) becomes the set of
organisations that must acknowledge.

The national CERT publishes to the whole platform; a sectoral CERT within its own
tree (itself and the organisations below it): its selectors are applied inside
that tree, and naming an organisation outside it is refused. The publishing
organisation is never in its own audience: it does not acknowledge itself, and it
sees the advisory and its matrix anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from council.api.shapes import MAX_ID
from council.auth.models import User
from council.errors import Forbidden, Invalid
from council.orgs.models import SECTORS, TIERS, Organization
from council.orgs.services import child_org_ids

PUBLISHING_TIERS = ("national", "sectoral", "provincial")
KEYS = ("all", "tiers", "sectors", "orgs", "people")


@dataclass(frozen=True)
class Audience:
    org_ids: frozenset[int]
    person_ids: frozenset[int]
    asked: dict[str, Any]  # the selectors as given (kept on the advisory, for the record)


def may_publish(user: User) -> bool:
    return user.active and user.org.tier in PUBLISHING_TIERS


def require_publisher(user: User) -> None:
    if not may_publish(user):
        raise Forbidden(_("Only the national CERT and sectoral and provincial CERTs publish advisories."))


def reach_of(session: Session, org: Organization) -> set[int] | None:
    """The organisations ``org`` may address: None for every one (the national CERT)."""
    if org.tier == "national":
        return None
    return {org.id} | child_org_ids(session, {org.id})


def _names(session: Session, ids: set[int]) -> str:
    return ", ".join(session.scalars(select(Organization.name).where(Organization.id.in_(ids))
                                     .order_by(Organization.name)))


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def resolve(session: Session, *, actor: User, tlp: str, asked: Any, what: str) -> Audience:
    """The organisations (and, for RED, people) an audience names, within the actor's reach."""
    if not isinstance(asked, dict) or not asked or set(asked) - set(KEYS):
        raise Invalid(what, {"audience": _("An object of: all, tiers, sectors, orgs (and people, for RED).")})
    errors: dict[str, str] = {}
    tiers, sectors = list(asked.get("tiers") or []), list(asked.get("sectors") or [])
    # Ids a database can hold (anything else names nothing and is refused below as unknown).
    raw_orgs, raw_people = list(asked.get("orgs") or []), list(asked.get("people") or [])
    org_list = [i for i in raw_orgs if _is_id(i)]
    person_list = [i for i in raw_people if _is_id(i)]
    if len(org_list) != len(raw_orgs) or len(person_list) != len(raw_people):
        errors["audience"] = _("Organisation and person ids are whole numbers from 1 to 2^63 - 1.")
    org_ids, people = set(org_list), set(person_list)
    if any(t not in TIERS for t in tiers):
        errors["audience.tiers"] = _("Use one of: %(choices)s.", choices=", ".join(TIERS))
    if any(s not in SECTORS for s in sectors):
        errors["audience.sectors"] = _("Use one of: %(choices)s.", choices=", ".join(SECTORS))
    if tlp == "RED":
        if asked.get("all") or tiers or sectors or org_ids:
            errors["audience"] = _("A RED advisory goes to named people only: give audience.people, "
                                   "not organisations.")
        if not people:
            errors["audience.people"] = _("Name the people a RED advisory is for.")
    elif people:
        errors["audience.people"] = _("Only a RED advisory names people; others go to organisations.")
    if errors:
        raise Invalid(what, errors)
    reach = reach_of(session, actor.org)
    if tlp == "RED":
        users = list(session.scalars(select(User).where(User.id.in_(people), User.active.is_(True))))
        missing = people - {u.id for u in users}
        if missing:
            listed = ", ".join(map(str, sorted(missing)))
            raise Invalid(what, {"audience.people": _("No active person with id %(ids)s.", ids=listed)})
        outside = {u.org_id for u in users} - reach if reach is not None else set()
        if outside:
            raise Invalid(what, {"audience.people": _("A sectoral CERT shares within its own tree; outside it: "
                                                      "%(names)s.", names=_names(session, outside))})
        found = {u.org_id for u in users}
    else:
        found = _selected(session, reach, bool(asked.get("all")), tiers, sectors)
        known = set(session.scalars(select(Organization.id).where(Organization.id.in_(org_ids)))) if org_ids else set()
        if org_ids - known:
            raise Invalid(what, {"audience.orgs": _("No organisation with id %(ids)s.",
                                                    ids=", ".join(map(str, sorted(org_ids - known))))})
        if reach is not None and known - reach:
            raise Invalid(what, {"audience.orgs": _("A sectoral CERT publishes to itself and the organisations below "
                                                    "it; outside its tree: %(names)s.",
                                                    names=_names(session, known - reach))})
        found |= known
    found.discard(actor.org_id)
    if not found:
        raise Invalid(what, {"audience": _("No organisation other than yours is in this audience.")})
    clean = {k: v for k, v in {"all": bool(asked.get("all")) or None, "tiers": sorted(set(tiers)) or None,
                               "sectors": sorted(set(sectors)) or None, "orgs": sorted(org_ids) or None,
                               "people": sorted(people) or None}.items() if v}
    return Audience(frozenset(found), frozenset(people), clean)


def _selected(session: Session, reach: set[int] | None, everyone: bool, tiers: list[str],
              sectors: list[str]) -> set[int]:
    if not (everyone or tiers or sectors):
        return set()
    stmt = select(Organization.id)
    if not everyone:
        stmt = stmt.where(or_(Organization.tier.in_(tiers), Organization.sector.in_(sectors)))
    if reach is not None:
        stmt = stmt.where(Organization.id.in_(reach))
    return set(session.scalars(stmt))


def people_named(session: Session, text: str, what: str) -> list[int]:
    """The ids of the people a form names by email or @handle (comma or space separated)."""
    names = [n.strip().lower().lstrip("@") for n in text.replace(",", " ").split() if n.strip()]
    if len(names) > 500:
        raise Invalid(what, {"audience.people": _("At most 500 people.")})
    found = {}
    for user in session.scalars(select(User).where(or_(User.email.in_(names), User.handle.in_(names)),
                                                   User.active.is_(True))):
        found[user.email] = found[user.handle] = user.id
    missing = [n for n in names if n not in found]
    if missing:
        raise Invalid(what, {"audience.people": _("Nobody active is %(names)s.", names=", ".join(missing[:5]))})
    return sorted({found[n] for n in names})


def orgs_in_reach(session: Session, org: Organization) -> list[Organization]:
    """The organisations a publisher may name (for the form), without itself."""
    reach = reach_of(session, org)
    stmt = select(Organization).where(Organization.id != org.id).order_by(Organization.name)
    if reach is not None:
        stmt = stmt.where(Organization.id.in_(reach))
    return list(session.scalars(stmt))
