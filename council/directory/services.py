"""Team records: the directory's list and search, one record, editing, and the
import of FIRST JSON.

Names, team records and duty contacts are visible to every signed-in council
member: it is a directory. An organisation's org admins and the platform admins
edit its record; an import is the platform admins' (any organisation) or an org
admin's (their own organisation's record only), and is all or nothing: a problem
in any row refuses every row, each problem named by its row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth.models import User
from council.db import utcnow
from council.directory import first
from council.directory.models import DutyShift, TeamRecord
from council.directory.roster import get_org, on_duty, require_editor
from council.directory.shapes import FirstTeam
from council.errors import Conflict, Forbidden, Invalid
from council.orgs.models import Organization


def not_imported() -> str:
    return _("Nothing was imported.")


@dataclass
class Team:
    """One organisation as the directory shows it."""

    org: Organization
    record: TeamRecord | None
    on_duty: list[DutyShift]

    @property
    def short_name(self) -> str:
        return self.record.short_team_name if self.record and self.record.short_team_name else self.org.short_name

    def first(self) -> dict[str, Any]:
        return first.to_first(self.org, self.record, self.on_duty)


def _records(session: Session, org_ids: list[int] | None = None) -> dict[int, TeamRecord]:
    stmt = select(TeamRecord)
    if org_ids is not None:
        stmt = stmt.where(TeamRecord.org_id.in_(org_ids))
    return {r.org_id: r for r in session.scalars(stmt)}


def list_teams(session: Session, viewer: User, *, q: str | None = None, now: datetime | None = None) -> list[Team]:
    """Every organisation with its record and who is on duty now; ``q`` searches the
    names, constituency, e-mail and the people on duty (case-insensitive)."""
    now = now or utcnow()
    orgs = list(session.scalars(select(Organization).order_by(Organization.name)))
    records = _records(session)
    duty = on_duty(session, [o.id for o in orgs], now)
    teams = [Team(o, records.get(o.id), duty.get(o.id, [])) for o in orgs]
    order = {"national": 0, "sectoral": 1, "provincial": 2, "organizational": 3}
    teams.sort(key=lambda t: (order.get(t.org.tier or "", 4), t.org.name.lower()))
    words = [w for w in (q or "").lower().split() if w][:10]
    if not words:
        return teams
    return [t for t in teams if all(w in _haystack(t) for w in words)]


def _haystack(team: Team) -> str:
    r = team.record
    parts = [team.org.name, team.org.short_name, team.org.tier_label, team.org.sector_label]
    if r is not None:
        parts += [r.short_team_name, r.official_team_name, r.constituency, r.email, r.country, r.host]
    parts += [s.user.name for s in team.on_duty]
    return " ".join(parts).lower()


def team_of(session: Session, viewer: User, org_id: int, now: datetime | None = None) -> Team:
    """One organisation's entry (404 when there is no such organisation)."""
    org = get_org(session, org_id)
    return Team(org, session.get(TeamRecord, org.id), on_duty(session, [org.id], now).get(org.id, []))


def save_record(session: Session, *, actor: Any, org_id: int, team: FirstTeam,
                now: datetime | None = None) -> TeamRecord:
    """Write ``org_id``'s record from a validated FIRST record (the edit form and the import)."""
    org = get_org(session, org_id)
    require_editor(actor, org.id)
    problems = _problems(session, team, org.id)
    if problems:
        raise Invalid(_("The record was not saved."), problems)
    row, _created = _write(session, actor, org, team, now or utcnow(), "directory.record_edit")
    return row


def _problems(session: Session, team: FirstTeam, org_id: int, prefix: str = "") -> dict[str, str]:
    """What the shapes cannot say: a name another organisation answers to (its record's short
    name, its own short name or name) — a directory entry must never pass for another team."""
    problems: dict[str, str] = {}
    for field, value in (("short-team-name", team.short_team_name), ("official-team-name", team.official_team_name)):
        name = value.strip().lower()
        if not name:
            continue
        taken = session.scalar(select(TeamRecord.org_id).where(
            func.lower(TeamRecord.short_team_name) == name, TeamRecord.org_id != org_id))
        other = session.scalar(select(Organization.id).where(
            (func.lower(Organization.short_name) == name) | (func.lower(Organization.name) == name),
            Organization.id != org_id))
        if taken is not None or other is not None:
            problems[f"{prefix}{field}"] = _("Another organisation answers to this name.")
    return problems


def _write(session: Session, actor: Any, org: Organization, team: FirstTeam, now: datetime,
           action: str) -> tuple[TeamRecord, bool]:
    row = session.get(TeamRecord, org.id)
    created = row is None
    if row is None:
        row = TeamRecord(org_id=org.id)
        session.add(row)
    changed = first.apply(row, first.columns(team))
    if changed or created:
        row.updated_at, row.updated_by_id = now, actor.id
        record(session, action=action, actor=actor, target_type="org", target_id=org.id, at=now,
               details={"created": created, "changed": changed, "short_team_name": row.short_team_name})
    try:
        session.flush()
    except IntegrityError:  # two first saves of one organisation's record at once: the other won
        raise Conflict(_("The record was saved by someone else a moment ago: reload it and try again.")) from None
    return row, created


def _match(session: Session, team: FirstTeam) -> Organization | None:
    """The organisation a record is about: -council-org-id, else its short name (a
    record's, an organisation's short name or name), else its official name."""
    if team.council_org_id is not None:
        return session.get(Organization, team.council_org_id)
    short = team.short_team_name.strip().lower()
    names = [n for n in (short, team.official_team_name.strip().lower()) if n]
    # The organisations' own names first: a record cannot take another organisation's name
    # (see _problems), and the organisation's own word is the one to trust.
    for name in names:
        found = session.scalars(select(Organization).where(
            (func.lower(Organization.short_name) == name) | (func.lower(Organization.name) == name))).first()
        if found is not None:
            return found
    org_id = session.scalar(select(TeamRecord.org_id).where(func.lower(TeamRecord.short_team_name) == short))
    return session.get(Organization, org_id) if org_id is not None else None


def import_teams(session: Session, *, actor: User, teams: list[FirstTeam],
                 now: datetime | None = None) -> list[tuple[TeamRecord, bool]]:
    """Write every record, or none: each row's organisation is found (see :func:`_match`)
    and must be the actor's to edit; (record, created) per row."""
    if not (actor.is_admin or actor.org_admin):
        raise Forbidden(_("Only platform admins, and org admins for their own organisation's record, import."))
    if not teams:
        raise Invalid(not_imported(), {"teams": _("Give at least one team record.")})
    problems: dict[str, str] = {}
    targets: list[Organization] = []
    seen: dict[int, int] = {}
    refused: list[str] = []
    for n, team in enumerate(teams):
        org = _match(session, team)
        if org is None:
            what = "-council-org-id" if team.council_org_id is not None else "short-team-name"
            problems[f"teams.{n}.{what}"] = (_("No such organisation in the council.") if team.council_org_id
                                             else _("No organisation of the council has this name; "
                                                    "give -council-org-id."))
            continue
        if org.id in seen:
            problems[f"teams.{n}"] = _("%(org)s is row %(row)s already: one record per organisation.",
                                       org=org.name, row=seen[org.id])
            continue
        seen[org.id] = n
        if not (actor.is_admin or org.id == actor.org_id):
            refused.append(_("row %(row)s (%(org)s)", row=n, org=org.name))
        problems.update(_problems(session, team, org.id, f"teams.{n}."))
        shorts = [t.short_team_name.strip().lower() for t in teams[:n]]
        if team.short_team_name.strip().lower() in shorts:
            problems.setdefault(f"teams.{n}.short-team-name", _("Two rows have this short team name."))
        targets.append(org)
    if refused:
        raise Forbidden(_("Nothing was imported: an org admin imports their own organisation's record only; "
                          "not yours: %(rows)s.", rows=", ".join(refused[:20])))
    if problems:
        raise Invalid(not_imported(), problems)
    now = now or utcnow()
    written = [_write(session, actor, org, team, now, "directory.record_import")
               for org, team in zip(targets, teams, strict=True)]
    record(session, action="directory.import", actor=actor, target_type="directory", target_id="", at=now,
           details={"rows": len(teams), "org_ids": [org.id for org in targets],
                    "created": sum(1 for _r, c in written if c)})
    return written


def contacts_of(record: TeamRecord | None) -> list[dict[str, Any]]:
    return first.loads(record, "contacts") if record is not None else []


def contact_users(session: Session, org_ids: list[int]) -> dict[int, list[User]]:
    """Organisation id -> the active members its record names as points of contact (by e-mail)."""
    out: dict[int, list[User]] = {}
    records = _records(session, org_ids)
    wanted = {(oid, (c.get("email") or "").lower()) for oid, r in records.items() for c in contacts_of(r)
              if c.get("email")}
    if not wanted:
        return out
    emails = sorted({e for _o, e in wanted})
    for user in session.scalars(select(User).where(User.org_id.in_(sorted(records)), User.active.is_(True),
                                                   func.lower(User.email).in_(emails)).order_by(User.id)):
        if (user.org_id, user.email.lower()) in wanted:
            out.setdefault(user.org_id, []).append(user)
    return out
