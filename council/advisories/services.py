"""Advisories: publishing, new versions, each organisation's answer, the help
its answer may ask for, and the read log.

Every change is audited. Content is sanitised once, on write (render_markdown).
A version that raises the severity starts a new round: every audience
organisation is asked to acknowledge again (its earlier answer stays, in the
earlier round's row); any other version keeps the answers given.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from council.advisories import delivery
from council.advisories.audience import require_publisher, resolve
from council.advisories.models import (
    APPLICABLE,
    SEVERITIES,
    SEVERITY_ORDER,
    STATUSES,
    TLPS,
    Advisory,
    AdvisoryAudience,
    AdvisoryCounter,
    AdvisoryDelivery,
    AdvisoryHelp,
    AdvisoryPerson,
    AdvisoryVersion,
)
from council.advisories.visibility import Sight, load_advisory
from council.audit.services import record
from council.auth.models import User
from council.counters import next_number
from council.db import utcnow
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.text import clean_line, clean_text, render_markdown

CVE = re.compile(r"^CVE-(19|20|21)\d{2}-\d{4,7}$")
CONTENT = ("title", "tlp", "severity", "body", "actions", "cves", "products", "ack_hours")


def _next_ref(session: Session, year: int) -> str:
    return f"ADV-{year}-{next_number(session, AdvisoryCounter, year):04d}"


def _list(value: Any, field: str, errors: dict[str, str], *, cve: bool = False) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"[\n,]+" if not cve else r"[\s,;]+", value) if v.strip()]
    if not isinstance(value, list | tuple) or len(value) > 50 or not all(isinstance(v, str) for v in value):
        errors[field] = _("A list of at most 50 texts.")
        return []
    out: list[str] = []
    for raw in value:
        item = clean_line(raw.strip())
        if cve:
            item = item.upper()
            if not CVE.match(item):
                errors[field] = _("%(item)s is not a CVE id (CVE-YYYY-NNNN).", item=repr(item[:40]))
                return []
        elif not 0 < len(item) <= 200:
            errors[field] = _("Each product: 1 to 200 characters.")
            return []
        if item not in out:
            out.append(item)
    return out


def _content(given: dict[str, Any], what: str) -> dict[str, Any]:
    """The content fields of ``given`` checked and cleaned (only those given)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if "title" in given:
        title = clean_line(str(given["title"] or "").strip())
        if not title or len(title) > 300:
            errors["title"] = _("A title of 1 to 300 characters.")
        out["title"] = title
    if "tlp" in given and given["tlp"] not in TLPS:
        errors["tlp"] = _("Use one of: %(choices)s.", choices=", ".join(TLPS))
    if "severity" in given and given["severity"] not in SEVERITIES:
        errors["severity"] = _("Use one of: %(choices)s.", choices=", ".join(SEVERITIES))
    for key in ("tlp", "severity"):
        if key in given:
            out[key] = given[key]
    for key, required in (("body", True), ("actions", False)):
        if key in given:
            text = clean_text(str(given[key] or "")).strip()
            if len(text) > 50_000 or (required and not text):
                errors[key] = _("Markdown of 1 to 50,000 characters.") if required else _("At most 50,000 characters.")
            out[key] = text
    if "cves" in given:
        out["cves"] = _list(given["cves"], "cves", errors, cve=True)
    if "products" in given:
        out["products"] = _list(given["products"], "products", errors)
    if "ack_hours" in given:
        hours = given["ack_hours"]
        if isinstance(hours, str) and hours.strip().isascii() and hours.strip().isdigit() and len(hours) < 8:
            hours = int(hours.strip())
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 720:
            errors["ack_hours"] = _("Hours to acknowledge: a whole number from 1 to 720.")
        out["ack_hours"] = hours
    if errors:
        raise Invalid(what, errors)
    return out


def _apply(advisory: Advisory, content: dict[str, Any]) -> None:
    for key, value in content.items():
        if key in ("cves", "products"):
            setattr(advisory, key, json.dumps(value, ensure_ascii=False))
        elif key in ("body", "actions"):
            setattr(advisory, key, value)
            setattr(advisory, f"{key}_html", render_markdown(value))
        else:
            setattr(advisory, key, value)


def _snapshot(advisory: Advisory, actor: User, *, reack: bool, note: str, now: datetime) -> AdvisoryVersion:
    return AdvisoryVersion(
        advisory_id=advisory.id, version=advisory.version, title=advisory.title, tlp=advisory.tlp,
        severity=advisory.severity, body=advisory.body, body_html=advisory.body_html, actions=advisory.actions,
        actions_html=advisory.actions_html, cves=advisory.cves, products=advisory.products,
        ack_hours=advisory.ack_hours, reack=reack, note=note[:500], created_by_id=actor.id, created_at=now)


def publish(session: Session, *, actor: User, title: Any, tlp: Any, severity: Any, body: Any, audience: Any,
            ack_hours: Any, cves: Any = None, products: Any = None, actions: Any = "",
            now: datetime | None = None) -> Advisory:
    """The national CERT or a sectoral CERT publishes an advisory: delivered to every
    audience organisation and told to everyone who must acknowledge it."""
    require_publisher(actor)
    what = _("The advisory was not published.")
    content = _content({"title": title, "tlp": tlp, "severity": severity, "body": body, "actions": actions,
                        "cves": cves, "products": products, "ack_hours": ack_hours}, what)
    who = resolve(session, actor=actor, tlp=content["tlp"], asked=audience, what=what)
    now = now or utcnow()
    advisory = Advisory(ref=_next_ref(session, now.year), version=1, ack_round=1,
                        audience=json.dumps(who.asked), publisher_org_id=actor.org_id, created_by_id=actor.id,
                        created_at=now, updated_at=now, ack_due_at=now + timedelta(hours=content["ack_hours"]))
    _apply(advisory, content)
    advisory.audience_orgs = [AdvisoryAudience(org_id=o) for o in sorted(who.org_ids)]
    advisory.people = [AdvisoryPerson(user_id=u) for u in sorted(who.person_ids)]
    session.add(advisory)
    session.flush()
    session.add(_snapshot(advisory, actor, reack=True, note="Published.", now=now))
    delivery.deliver(session, advisory, who.org_ids, now=now)
    told = delivery.tell_audience(session, advisory, who.org_ids, actor=actor, now=now)
    record(session, action="advisory.publish", actor=actor, target_type="advisory", target_id=advisory.id,
           details={"ref": advisory.ref, "tlp": advisory.tlp, "severity": advisory.severity,
                    "orgs": len(who.org_ids), "people": len(who.person_ids), "told": told,
                    "audience": who.asked}, at=now)
    return advisory


def new_version(session: Session, *, actor: User, advisory_id: int, changes: dict[str, Any],
                audience: Any = None, note: Any = "", now: datetime | None = None) -> tuple[Advisory, bool]:
    """The publisher organisation writes the next version; (advisory, re-acknowledgement asked).
    ``changes``: the content fields to change (absent ones are kept)."""
    advisory, sight = load_advisory(session, actor, advisory_id, lock=True)
    if not sight.publisher:
        raise Forbidden(_("Only the publishing organisation updates its advisory."))
    what = _("No new version was written.")
    content = {k: v for k, v in _content({k: v for k, v in changes.items() if k in CONTENT}, what).items()
               if v != _current(advisory, k)}
    if not content and audience is None:
        raise Invalid(what, {"body": _("Change something: the content, the marking, the audience.")})
    now = now or utcnow()
    tlp = content.get("tlp", advisory.tlp)
    reack = SEVERITY_ORDER[content.get("severity", advisory.severity)] > SEVERITY_ORDER[advisory.severity]
    who = None
    if audience is not None or (tlp == "RED") != (advisory.tlp == "RED"):
        asked = audience if audience is not None else json.loads(advisory.audience)
        who = resolve(session, actor=actor, tlp=tlp, asked=asked, what=what)
    _apply(advisory, content)
    advisory.version += 1
    advisory.updated_at = now
    if reack:
        advisory.ack_round = advisory.version
        advisory.ack_due_at = now + timedelta(hours=advisory.ack_hours)
    elif "ack_hours" in content:
        advisory.ack_due_at = _round_start(session, advisory) + timedelta(hours=advisory.ack_hours)
    before = set(advisory.org_ids)
    if who is not None:
        _set_audience(session, advisory, who.org_ids, who.person_ids)
        advisory.audience = json.dumps(who.asked)
    session.add(_snapshot(advisory, actor, reack=reack, note=str(note or ""), now=now))
    session.flush()
    targets = advisory.org_ids if reack else advisory.org_ids - before
    delivery.deliver(session, advisory, targets, now=now)
    told = delivery.tell_audience(session, advisory, targets, actor=actor, now=now) if targets else 0
    record(session, action="advisory.version", actor=actor, target_type="advisory", target_id=advisory.id,
           details={"ref": advisory.ref, "version": advisory.version, "reack": reack, "changed": sorted(content),
                    "audience": who.asked if who else None, "told": told}, at=now)
    return advisory, reack


def _current(advisory: Advisory, key: str) -> Any:
    value = getattr(advisory, key)
    return json.loads(value) if key in ("cves", "products") else value


def _round_start(session: Session, advisory: Advisory) -> datetime:
    started = session.scalar(select(AdvisoryVersion.created_at).where(
        AdvisoryVersion.advisory_id == advisory.id, AdvisoryVersion.version == advisory.ack_round))
    return started or advisory.created_at


def _set_audience(session: Session, advisory: Advisory, org_ids: frozenset[int], person_ids: frozenset[int]) -> None:
    """Replace the audience; the unanswered rows of organisations no longer in it go
    (answered ones stay, as the record of what they said)."""
    gone = advisory.org_ids - org_ids
    advisory.audience_orgs = [a for a in advisory.audience_orgs if a.org_id in org_ids] + [
        AdvisoryAudience(org_id=o) for o in sorted(org_ids - advisory.org_ids)]
    advisory.people = [p for p in advisory.people if p.user_id in person_ids] + [
        AdvisoryPerson(user_id=u) for u in sorted(person_ids - advisory.person_ids)]
    if gone:
        session.execute(delete(AdvisoryDelivery).where(
            AdvisoryDelivery.advisory_id == advisory.id, AdvisoryDelivery.org_id.in_(gone),
            AdvisoryDelivery.acked_at.is_(None)))


def current_row(session: Session, advisory: Advisory, org_id: int) -> AdvisoryDelivery | None:
    return session.scalars(select(AdvisoryDelivery).where(
        AdvisoryDelivery.advisory_id == advisory.id, AdvisoryDelivery.org_id == org_id,
        AdvisoryDelivery.round == advisory.ack_round)).one_or_none()


def acknowledge(session: Session, *, actor: User, advisory_id: int, applicable: Any = None, status: Any = None,
                comment: Any = None, now: datetime | None = None) -> AdvisoryDelivery:
    """A member of an audience organisation acknowledges for it (once per round), and
    says whether it applies and where they stand; later calls update the status."""
    advisory, sight = load_advisory(session, actor, advisory_id, lock=True)
    if not sight.audience:
        raise Forbidden(_("Only the organisations this advisory is addressed to acknowledge it."))
    row = current_row(session, advisory, actor.org_id)
    if row is None:
        raise Forbidden(_("Your organisation has nothing to acknowledge on this advisory."))
    errors: dict[str, str] = {}
    if applicable is not None and applicable not in APPLICABLE:
        errors["applicable"] = _("Use one of: %(choices)s.", choices=", ".join(APPLICABLE))
    if status is not None and status not in STATUSES:
        errors["status"] = _("Use one of: %(choices)s.", choices=", ".join(STATUSES))
    if comment is not None and (not isinstance(comment, str) or len(comment) > 5000):
        errors["comment"] = _("At most 5,000 characters.")
    if status == "need_help" and not str(comment or row.comment or "").strip():
        errors["comment"] = _("Say what help your organisation needs.")
    if errors:
        raise Invalid(_("Your answer was not recorded."), errors)
    now = now or utcnow()
    first = row.acked_at is None
    if not first and applicable is None and status is None and comment is None:
        if row.acked_by:
            raise Conflict(_("Already acknowledged by %(name)s for version %(version)s; update the status instead.",
                             name=row.acked_by.name, version=row.round))
        raise Conflict(_("Already acknowledged by your organisation for version %(version)s; "
                         "update the status instead.", version=row.round))
    if first:
        row.acked_at, row.acked_by_id = now, actor.id
        if row.read_at is None:
            row.read_at, row.read_by_id = now, actor.id
    before = (row.applicable, row.status)
    if applicable is not None:
        row.applicable = applicable
    if status is not None:
        row.status = status
    if comment is not None:
        row.comment = clean_text(comment.strip())
    if applicable is not None or status is not None or comment is not None:
        row.status_at, row.status_by_id = now, actor.id
    details = {"ref": advisory.ref, "version": advisory.version, "round": row.round, "org_id": actor.org_id,
               "applicable": row.applicable, "status": row.status}
    if first:
        record(session, action="advisory.ack", actor=actor, target_type="advisory", target_id=advisory.id,
               details=details, at=now)
    if not first or status is not None or applicable is not None:
        record(session, action="advisory.status", actor=actor, target_type="advisory", target_id=advisory.id,
               details={**details, "before": list(before), "comment": row.comment[:500]}, at=now)
    if status == "need_help" and before[1] != "need_help":
        _ask_help(session, advisory, actor, row, now)
    return row


def _ask_help(session: Session, advisory: Advisory, actor: User, row: AdvisoryDelivery, now: datetime) -> None:
    """"Need help" opens an action item for the publisher (see AdvisoryHelp)."""
    from council.notifications.mentions import members_of
    from council.notifications.services import notify

    open_one = session.scalars(select(AdvisoryHelp).where(
        AdvisoryHelp.advisory_id == advisory.id, AdvisoryHelp.org_id == actor.org_id,
        AdvisoryHelp.resolved_at.is_(None))).first()
    if open_one is not None:
        open_one.comment = row.comment
        return
    help_row = AdvisoryHelp(advisory_id=advisory.id, org_id=actor.org_id, version=advisory.version,
                            comment=row.comment, requested_by_id=actor.id, requested_at=now)
    session.add(help_row)
    session.flush()
    note = delivery.note_for(advisory, "action_assigned", f"{advisory.ref}: {actor.org.name} needs help",
                             f"advisory:{advisory.id}:help:{help_row.id}", body=row.comment)
    notify(session, note, members_of(session, [advisory.publisher_org_id]), actor=actor, now=now)
    record(session, action="advisory.help", actor=actor, target_type="advisory", target_id=advisory.id,
           details={"ref": advisory.ref, "help_id": help_row.id, "org_id": actor.org_id}, at=now)


def resolve_help(session: Session, *, actor: User, advisory_id: int, help_id: int, resolved: bool,
                 now: datetime | None = None) -> AdvisoryHelp:
    """The publisher marks a help request resolved (or open again)."""
    advisory, sight = load_advisory(session, actor, advisory_id, lock=True)
    if not sight.publisher:  # asked first: the answer never tells others which help ids exist
        raise Forbidden(_("The publishing organisation resolves help requests."))
    help_row = session.get(AdvisoryHelp, help_id)
    if help_row is None or help_row.advisory_id != advisory.id:  # the row touched, not only the URL's advisory
        raise NotFound(_("No such help request on this advisory."))
    now = now or utcnow()
    if resolved != (help_row.resolved_at is not None):
        help_row.resolved_at, help_row.resolved_by_id = (now, actor.id) if resolved else (None, None)
        record(session, action="advisory.help_resolve", actor=actor, target_type="advisory",
               target_id=advisory.id, details={"ref": advisory.ref, "help_id": help_row.id, "resolved": resolved},
               at=now)
    return help_row


def log_read(session: Session, *, user: User, advisory: Advisory, sight: Sight, now: datetime | None = None) -> None:
    """The first read by a member of an audience organisation is its organisation's
    ``read_at`` (a conditional UPDATE: concurrent first reads write it once)."""
    if not sight.audience:
        return
    session.execute(update(AdvisoryDelivery).where(
        AdvisoryDelivery.advisory_id == advisory.id, AdvisoryDelivery.org_id == user.org_id,
        AdvisoryDelivery.round == advisory.ack_round, AdvisoryDelivery.read_at.is_(None))
        .values(read_at=now or utcnow(), read_by_id=user.id).execution_options(synchronize_session=False))
