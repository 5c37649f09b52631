"""Creating and editing organisations; only platform admins (or the CLI) may."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from council.audit.services import record
from council.errors import Forbidden, Invalid, NotFound
from council.names import org_short_name
from council.names import valid as valid_handle
from council.orgs.models import KINDS, SECTORS, TIERS, Organization


def require_admin(actor: Any) -> None:
    if not getattr(actor, "is_admin", False):
        raise Forbidden(_("Only platform admins may do this."))


def list_orgs(session: Session) -> list[Organization]:
    """Every organisation: names and tiers are not sensitive inside the council."""
    return list(session.scalars(select(Organization).order_by(Organization.tier, Organization.name)))


def get_org(session: Session, org_id: int) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(_("No such organisation."))
    return org


def find_org_by_name(session: Session, name: str) -> Organization | None:
    return session.scalars(
        select(Organization).where(func.lower(Organization.name) == name.strip().lower())
    ).one_or_none()


def _validate(
    session: Session, *, name: str, tier: str | None, sector: str | None, parent_id: int | None,
    org_id: int | None = None, kind: str = "cert",
) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = _("Name is required.")
    elif len(name) > 200:
        errors["name"] = _("Name is too long (200 characters at most).")
    else:
        other = find_org_by_name(session, name)
        if other is not None and other.id != org_id:
            errors["name"] = _("An organisation named %(name)s already exists.", name=repr(name))
    if kind not in KINDS:
        errors["kind"] = _("Kind must be one of: %(choices)s.", choices=", ".join(KINDS))
    elif kind == "cert" and tier not in TIERS:
        errors["tier"] = _("Tier must be one of: %(choices)s (a CERT has a tier).", choices=", ".join(TIERS))
    elif kind != "cert" and tier:
        errors["tier"] = _("Only a CERT has a tier; leave it empty for a ministry, regulator or other body.")
    if sector and sector not in SECTORS:
        errors["sector"] = _("Sector must be one of: %(choices)s.", choices=", ".join(SECTORS))
    if parent_id is not None:
        parent = session.get(Organization, parent_id)
        if parent is None:
            errors["parent"] = _("No such parent organisation.")
        elif org_id is not None:
            seen: set[int] = set()
            node: Organization | None = parent
            while node is not None and node.id not in seen:
                if node.id == org_id:
                    errors["parent"] = _("An organisation cannot sit below itself.")
                    break
                seen.add(node.id)
                node = node.parent
    return errors


def _short_name_taken(session: Session, short_name: str, org_id: int | None = None) -> bool:
    """Taken by another organisation, or by a person's handle (one "@" namespace)."""
    from council.auth.models import User

    found = session.scalar(select(Organization.id).where(Organization.short_name == short_name))
    if found is not None and found != org_id:
        return True
    return session.scalar(select(User.id).where(User.handle == short_name)) is not None


def create_org(
    session: Session, *, actor: Any, name: str, tier: str | None, sector: str | None = None,
    parent_id: int | None = None, kind: str = "cert",
) -> Organization:
    require_admin(actor)
    sector, tier = sector or None, tier or None
    errors = _validate(session, name=name, tier=tier, sector=sector, parent_id=parent_id, kind=kind)
    if errors:
        raise Invalid(_("The organisation could not be saved."), errors)
    org = Organization(name=name.strip(), kind=kind, tier=tier, sector=sector, parent_id=parent_id,
                       short_name=org_short_name(name, lambda n: _short_name_taken(session, n)))
    session.add(org)
    session.flush()
    record(session, action="org.create", actor=actor, target_type="org", target_id=org.id,
           details={"name": org.name, "kind": kind, "tier": tier, "sector": sector, "parent_id": parent_id})
    return org


def update_org(
    session: Session, *, actor: Any, org_id: int, name: str, tier: str | None,
    sector: str | None = None, parent_id: int | None = None, short_name: str | None = None,
    kind: str | None = None,
) -> Organization:
    require_admin(actor)
    org = get_org(session, org_id)
    sector, tier, kind = sector or None, tier or None, kind or org.kind
    errors = _validate(session, name=name, tier=tier, sector=sector, parent_id=parent_id, org_id=org.id,
                       kind=kind)
    if short_name is not None:
        short_name = short_name.strip().lower()
        if not valid_handle(short_name):
            errors["short_name"] = _("Letters a-z, digits, '.', '-' or '_', starting and ending with a letter "
                                     "or digit, at most 40.")
        elif _short_name_taken(session, short_name, org.id):
            errors["short_name"] = _("Another organisation or a person already answers to this name.")
    if errors:
        raise Invalid(_("The organisation could not be saved."), errors)
    before = {"name": org.name, "kind": org.kind, "tier": org.tier, "sector": org.sector,
              "parent_id": org.parent_id, "short_name": org.short_name}
    org.name, org.kind, org.tier, org.sector, org.parent_id = name.strip(), kind, tier, sector, parent_id
    if short_name is not None:
        org.short_name = short_name
    after = {"name": org.name, "kind": org.kind, "tier": org.tier, "sector": org.sector,
             "parent_id": org.parent_id, "short_name": org.short_name}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        record(session, action="org.update", actor=actor, target_type="org", target_id=org.id,
               details={"changed": changed})
    return org


def child_org_ids(session: Session, org_ids: set[int]) -> set[int]:
    """All organisations below any of ``org_ids`` (children, grandchildren…)."""
    result: set[int] = set()
    frontier = set(org_ids)
    while frontier:
        children = set(session.scalars(
            select(Organization.id).where(Organization.parent_id.in_(frontier))
        ))
        frontier = children - result - org_ids
        result |= children
    return result - org_ids
