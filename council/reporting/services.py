"""Incidents through the tiers: filing, stage submissions, review, consent,
escalation to a room, the read log, and the overdue sweep.

Every state change is audited and, when a room is linked, is a room event of
kind ``incident`` (reference and state only, never content, marked with the
incident's TLP). Deadlines are computed on the server in UTC (or in exercise
time for a drill's test incidents: clocks.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth.models import User
from council.counters import next_number
from council.db import utcnow
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.orgs.models import Organization
from council.reporting import clocks, regimes
from council.reporting.clocks import running_rooms
from council.reporting.models import NOTIFICATION_TYPES, Incident, IncidentCounter, IncidentRead, IncidentStage
from council.reporting.taxonomy import classes
from council.reporting.visibility import Sight, load_incident, national_sees_full, sight_of
from council.rooms.kinds import parse_time
from council.rooms.models import TLPS, Room
from council.text import render_markdown

DRILL_IDS = "drill:"  # client ids of test incidents started by drills; nobody else files with them
IMPACT_KEYS = ("users_affected", "services", "duration_h", "critical_infrastructure")


# --- the chain -------------------------------------------------------------------------------

def chain_of(session: Session, org: Organization) -> tuple[Organization, Organization | None]:
    """(reviewer, national CERT) of a reporting organisation: its nearest sectoral (or
    provincial) ancestor reviews; else the national CERT above it; a national CERT, or an
    organisation outside the tree, reports to the platform's national CERT."""
    nationals = list(session.scalars(select(Organization).where(Organization.tier == "national")
                                     .order_by(Organization.id)))
    national: Organization | None = None
    reviewer: Organization | None = None
    current = org.parent
    seen: set[int] = set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if reviewer is None and current.tier in ("sectoral", "provincial"):
            reviewer = current
        if current.tier == "national":
            national = current
            break
        current = current.parent
    if national is None:
        national = org if org.tier == "national" else (nationals[0] if nationals else None)
    return reviewer or national or org, national


# --- filing ------------------------------------------------------------------------------------

def _next_ref(session: Session, year: int) -> str:
    return f"INC-{year}-{next_number(session, IncidentCounter, year):04d}"


def file_incident(
    session: Session, *, actor: User, title: Any, type: Any, detected_at: Any, tlp: Any,
    aware_at: Any = None, description: Any = "", classification: Any = None, impact: Any = None,
    cross_sector: Any = False, cross_border: Any = False, regime_keys: Any = None, client_id: Any = None,
    room_id: int | None = None, tz: Any = None, clock_room_id: int | None = None, detected_t: float | None = None,
    now: datetime | None = None,
) -> tuple[Incident, bool]:
    """File an incident for the actor's organisation; (incident, created). A repeated
    ``client_id`` of the same person returns the first incident. ``clock_room_id`` and
    ``detected_t`` are for trusted callers only (a drill's inject starting a test incident),
    as is ``now`` (the drill's release time)."""
    if client_id is not None and (not isinstance(client_id, str) or not 0 < len(client_id) <= 64 or (
            clock_room_id is None and client_id.startswith(DRILL_IDS))):
        raise Invalid(_("The incident was not filed."), {"client_id": _(
            "Text of 1 to 64 characters, not beginning with %(prefixes)s (drills' own).", prefixes=repr(DRILL_IDS))})
    first = _first_filed(session, actor, client_id, clock_room_id)
    if first is not None:
        return first, False
    errors: dict[str, str] = {}
    if not isinstance(title, str) or not title.strip():
        errors["title"] = _("A title is required.")
    elif len(title.strip()) > 300:
        errors["title"] = _("At most 300 characters.")
    if not isinstance(description, str | None) or len(description or "") > 50_000:
        errors["description"] = _("Markdown of at most 50,000 characters.")
    if type not in NOTIFICATION_TYPES:
        errors["type"] = _("One of: %(choices)s.", choices=", ".join(NOTIFICATION_TYPES))
    if tlp not in TLPS:
        errors["tlp"] = _("One of: %(choices)s.", choices=", ".join(TLPS))
    class_key, type_key = "other", "undetermined"
    if classification is not None:
        class_key, type_key = classification.get("class"), classification.get("type")
        if class_key not in classes() or type_key not in classes()[class_key]:
            errors["classification"] = _("A class of the taxonomy and one of its types.")
    if type == "test" and classification is None:
        class_key, type_key = "test", "test"
    detected = aware = None
    try:
        detected = parse_time(detected_at, "detected_at", tz)
        aware = parse_time(aware_at, "aware_at", tz)
    except Invalid as err:
        errors.update(err.fields)
    now = now or utcnow()
    if detected is None and "detected_at" not in errors:
        errors["detected_at"] = _("When it was detected (ISO 8601).")
    elif detected is not None and detected > now:
        errors["detected_at"] = _("Not in the future.")
    if aware is not None and detected is not None and not detected <= aware <= now:
        errors["aware_at"] = _("Between detection and now.")
    impact = _impact(impact, errors)
    if errors:
        raise Invalid(_("The incident was not filed."), errors)
    assert detected is not None
    org = actor.org
    reviewer, national = chain_of(session, org)
    chosen = _regimes(session, regime_keys, org.sector)
    incident = Incident(
        ref=_next_ref(session, now.year), title=title.strip(), type=type, class_key=class_key, type_key=type_key,
        detected_at=detected, aware_at=aware, description=str(description or ""),
        description_html=render_markdown(str(description or "")), impact=json.dumps(impact),
        cross_sector=bool(cross_sector), cross_border=bool(cross_border), tlp=tlp, sector=org.sector,
        reporter_org_id=org.id, reporter_user_id=actor.id, reviewer_org_id=reviewer.id,
        national_org_id=national.id if national else None, client_id=client_id, room_id=room_id,
        clock_room_id=clock_room_id, detected_t=detected_t, created_at=now, updated_at=now)
    incident.regimes = chosen
    for regime in chosen:
        for position, stage in enumerate(regimes.stages_of(regime)):
            row = IncidentStage(regime_id=regime.id, key=stage["key"], title=stage["title"], position=position,
                                hours=stage["hours"], clock=stage["clock"], status="pending")
            if detected_t is not None:
                row.due_t = clocks.due(clocks.start_of(stage["clock"], detected_t, detected_t, None), stage["hours"])
            else:
                row.due_at = clocks.due(clocks.start_of(stage["clock"], detected, aware, None), stage["hours"])
            incident.stages.append(row)
    try:
        with session.begin_nested():  # the same client_id filed twice at once: the second gets the first
            session.add(incident)
            session.flush()
    except IntegrityError:
        first = _first_filed(session, actor, client_id, clock_room_id)
        if first is None:
            raise
        return first, False
    record(session, action="incident.file", actor=actor, target_type="incident", target_id=incident.id,
           details={"ref": incident.ref, "tlp": tlp, "type": type, "reviewer_org_id": reviewer.id,
                    "regimes": [f"{r.key}@{r.version}" for r in chosen]})
    announce(session, incident, actor, "filed")
    return incident, True


def _first_filed(session: Session, actor: User, client_id: str | None, clock_room_id: int | None) -> Incident | None:
    """The incident this person already filed with this client id. A drill's ids live
    apart (its clock room): nobody pre-files an incident a drill's inject would adopt."""
    if client_id is None:
        return None
    room = Incident.clock_room_id.is_(None) if clock_room_id is None else Incident.clock_room_id == clock_room_id
    return session.scalars(select(Incident).where(Incident.reporter_user_id == actor.id,
                                                  Incident.client_id == client_id, room)).one_or_none()


def _impact(value: Any, errors: dict[str, str]) -> dict[str, Any]:
    if value in (None, {}):
        return {}
    if not isinstance(value, dict) or set(value) - set(IMPACT_KEYS):
        errors["impact"] = _("An object of: %(keys)s.", keys=", ".join(IMPACT_KEYS))
        return {}
    return {k: value[k] for k in IMPACT_KEYS if k in value}


def _regimes(session: Session, keys: Any, sector: str | None) -> list[Any]:
    if keys is None:
        found = regimes.applying_to(session, sector)
        if not found:
            raise Invalid(_("The incident was not filed."),
                          {"regimes": _("No reporting regime applies to your sector.")})
        return found
    if not isinstance(keys, list) or not keys:
        raise Invalid(_("The incident was not filed."), {"regimes": _("A list of regime keys.")})
    out = []
    for key in dict.fromkeys(keys):
        try:
            out.append(regimes.by_key(session, key))
        except NotFound:
            raise Invalid(_("The incident was not filed."),
                          {"regimes": _("No regime %(key)s.", key=repr(key))}) from None
    return out


# --- stages ------------------------------------------------------------------------------------

def _stage(incident: Incident, key: str, regime_key: str | None) -> IncidentStage:
    found = [s for s in incident.stages if s.key == key and (regime_key is None or s.regime.key == regime_key)]
    if not found:
        raise NotFound(_("No such stage of this incident."))
    if len(found) > 1:
        raise Invalid(_("Say which regime."), {"regime": _("Several regimes of this incident have this stage: "
                                                           "%(keys)s.", keys=", ".join(s.regime.key for s in found))})
    return found[0]


def _now_t(session: Session, incident: Incident, now: datetime) -> float | None:
    clock = clocks.drill_clock(session, incident.clock_room_id)
    return clock.t_plus(now) if clock is not None else None


def submit_stage(session: Session, *, actor: User, incident_id: int, key: str, body: Any, fields: Any = None,
                 regime_key: str | None = None, now: datetime | None = None) -> IncidentStage:
    """The reporter's organisation submits one stage (again, after a revision request)."""
    incident, sight = load_incident(session, actor, incident_id, lock=True)
    if sight.relation != "reporter":
        raise Forbidden(_("Only the reporting organisation submits its stages."))
    stage = _stage(incident, key, regime_key)
    if stage.status in ("submitted", "accepted"):
        raise Conflict(_("Stage %(stage)s is %(status)s; a revision request reopens it.", stage=stage.title,
                         status=stage.status))
    earlier = [s for s in incident.stages if s.regime_id == stage.regime_id and s.position < stage.position]
    if any(s.first_submitted_at is None for s in earlier):
        raise Conflict(_("Submit the earlier stages of this regime first."))
    if not isinstance(body, str) or not body.strip() or len(body) > 50_000:
        raise Invalid(_("The stage was not submitted."), {"body": _("Write the report (at most 50,000 characters).")})
    if fields is not None and (not isinstance(fields, dict) or len(fields) > 50):
        raise Invalid(_("The stage was not submitted."), {"fields": _("An object of at most 50 fields.")})
    now = now or utcnow()
    t = _now_t(session, incident, now)
    stage.body, stage.body_html = body.strip(), render_markdown(body.strip())
    stage.fields = json.dumps(fields or {}, ensure_ascii=False, default=str)
    stage.status, stage.submitted_at, stage.submitted_by_id = "submitted", now, actor.id
    if stage.first_submitted_at is None:
        stage.first_submitted_at, stage.first_submitted_t = now, t
        stage.late = (t > stage.due_t) if (t is not None and stage.due_t is not None) else (
            stage.due_at is not None and now > stage.due_at)
        for later in incident.stages:
            if later.regime_id != stage.regime_id or later.position != stage.position + 1:
                continue
            if later.clock == "previous" and t is not None:
                later.due_t = clocks.due(t, later.hours)
            elif later.clock == "previous":
                later.due_at = clocks.due(now, later.hours)
    stage.review_comment = ""
    incident.updated_at = now
    record(session, action="incident.stage_submit", actor=actor, target_type="incident", target_id=incident.id,
           details={"ref": incident.ref, "regime": stage.regime.key, "stage": key, "late": stage.late}, at=now)
    announce(session, incident, actor, "stage_submitted", stage=stage)
    return stage


def review_stage(session: Session, *, actor: User, incident_id: int, key: str, decision: Any, comment: Any = "",
                 regime_key: str | None = None, now: datetime | None = None) -> IncidentStage:
    """The reviewer organisation accepts a submission (forwarding it up the chain) or
    asks for a revision (with a comment; the stage reopens)."""
    incident, sight = load_incident(session, actor, incident_id, lock=True)
    if sight.relation != "reviewer":
        raise Forbidden(_("Only the reviewing organisation reviews submissions."))
    stage = _stage(incident, key, regime_key)
    if stage.status != "submitted":
        raise Conflict(_("Stage %(stage)s is %(status)s: only a submission is reviewed.", stage=stage.title,
                         status=stage.status))
    comment = str(comment or "").strip()
    if decision not in ("accepted", "revision"):
        raise Invalid(_("Not reviewed."), {"decision": _("accepted or revision.")})
    if decision == "revision" and not comment:
        raise Invalid(_("Not reviewed."), {"comment": _("Say what the reporter should revise.")})
    now = now or utcnow()
    stage.status = "accepted" if decision == "accepted" else "revision"
    stage.reviewed_at, stage.reviewed_by_id, stage.review_comment = now, actor.id, comment[:5000]
    if decision == "accepted" and stage.regime.audience == "chain" and incident.forwarded_at is None:
        incident.forwarded_at = now
    incident.updated_at = now
    record(session, action="incident.stage_review", actor=actor, target_type="incident", target_id=incident.id,
           details={"ref": incident.ref, "regime": stage.regime.key, "stage": key, "decision": decision}, at=now)
    announce(session, incident, actor, "stage_reviewed", stage=stage, decision=decision)
    return stage


def consent(session: Session, *, actor: User, incident_id: int, forward: Any) -> Incident:
    """The reporter consents to forwarding an AMBER+STRICT or RED incident in full."""
    incident, sight = load_incident(session, actor, incident_id, lock=True)
    if sight.relation != "reporter":
        raise Forbidden(_("Only the reporting organisation consents to forwarding."))
    if forward != "full":
        raise Invalid(_("No consent recorded."), {"forward": "full"})
    if not incident.consent_full:
        incident.consent_full, incident.consent_by_id, incident.consent_at = True, actor.id, utcnow()
        record(session, action="incident.consent", actor=actor, target_type="incident", target_id=incident.id,
               details={"ref": incident.ref, "forward": "full", "tlp": incident.tlp})
        announce(session, incident, actor, "consent")
    return incident


# --- the read log ------------------------------------------------------------------------------

def log_read(session: Session, *, user: User, incident: Incident, sight: Sight) -> None:
    """A read by another organisation than the reporter's (pages and REST)."""
    if sight.relation != "reporter":
        session.add(IncidentRead(incident_id=incident.id, org_id=user.org_id, user_id=user.id, full=sight.full))


def reads_of(session: Session, *, actor: User, incident_id: int) -> list[IncidentRead]:
    incident, sight = load_incident(session, actor, incident_id)
    if sight.relation != "reporter":
        raise Forbidden(_("Only the reporting organisation sees who read its report."))
    return list(session.scalars(select(IncidentRead).where(IncidentRead.incident_id == incident.id)
                                .order_by(IncidentRead.id)))


# --- rooms -------------------------------------------------------------------------------------

def open_room(session: Session, *, actor: User, incident_id: int, room_id: Any = None) -> Room:
    """The reviewer or the national CERT opens a coordination room from the incident (or
    links one they lead): the reporter and its chain take part, detection comes first."""
    from council.rooms.services import create_room, get_room
    from council.rooms.stream import Draft, append

    incident, sight = load_incident(session, actor, incident_id, lock=True)
    if sight.relation not in ("reviewer", "national") or not sight.full:
        raise Forbidden(_("The reviewer or the national CERT (with the report in full) escalates it to a room."))
    if incident.room_id is not None:
        raise Conflict(_("%(ref)s is already linked to room %(room)s.", ref=incident.ref, room=incident.room_id))
    if room_id is not None:
        room, role = get_room(session, actor=actor, room_id=room_id)
        if role != "lead":
            raise Forbidden(_("Link a room you lead."))
    else:
        # The national CERT takes part only once it may read the report in full: the room's
        # title and summary are the report's (the reviewer adds it later, as for any room).
        national = {incident.national_org_id} if incident.national_org_id and national_sees_full(incident) else set()
        orgs = sorted({incident.reporter_org_id, incident.reviewer_org_id} | national)
        room = create_room(session, actor=actor, title=f"{incident.ref}: {incident.title}"[:200], severity="high",
                           tlp=incident.tlp, org_ids=orgs, summary=incident.description[:20_000])
        append(session, room=room, kind="timeline", actor=actor, draft=Draft(
            body=f"Detected ({incident.ref}).", body_html=render_markdown(f"Detected ({incident.ref})."),
            data={"occurred_at": _iso(incident.detected_at), "category": "detection"}))
    incident.room_id = room.id
    record(session, action="incident.room", actor=actor, target_type="incident", target_id=incident.id,
           room_id=room.id, details={"ref": incident.ref, "linked": room_id is not None})
    announce(session, incident, actor, "linked")
    return room


def incidents_of_room(session: Session, user: User, room_id: int) -> list[tuple[Incident, Sight]]:
    rows = session.scalars(select(Incident).where(Incident.room_id == room_id).order_by(Incident.id))
    return [(i, s) for i in rows if (s := sight_of(user, i)) is not None]


def announce(session: Session, incident: Incident, actor: User | None, op: str, *,
             stage: IncidentStage | None = None, **extra: Any) -> None:
    """Tell the people concerned (notices.py) and, when a room is linked, the change
    as an ``incident`` event (state, never content)."""
    from council.reporting.notices import tell

    tell(session, incident, actor, op, stage, extra.get("decision"))
    if incident.room_id is None:
        return
    from council.rooms.stream import Draft, append

    room = session.get(Room, incident.room_id)
    if room is None:
        return
    # For the organisations that see the incident (the room may be wider than its chain);
    # the national CERT only once forwarded, and never of a reviewer-only regime's stage.
    orgs = {incident.reporter_org_id, incident.reviewer_org_id}
    if incident.national_org_id and incident.forwarded_at is not None and (
            stage is None or stage.regime.audience == "chain"):
        orgs.add(incident.national_org_id)
    data: dict[str, Any] = {"op": op, "incident_id": incident.id, "ref": incident.ref, "tlp": incident.tlp,
                            "exercise": incident.is_test, "orgs": sorted(orgs), **extra}
    if stage is not None:
        data.update({"stage": stage.key, "stage_title": stage.title, "regime": stage.regime.key,
                     "status": stage.status, "late": stage.late})
    append(session, room=room, kind="incident", actor=actor, draft=Draft(data=data, audit={"op": op,
                                                                                          "ref": incident.ref}))


def _iso(value: datetime | None) -> str | None:
    from council.rooms.stream import iso

    return iso(value)


# --- the overdue sweep -------------------------------------------------------------------------

def sweep_overdue(session: Session, now: datetime | None = None) -> list[int]:
    """Mark each stage that passed its deadline never submitted, once, whatever the
    number of processes: the row is claimed with an UPDATE that matches only while it is
    still pending and unmarked, and only the transaction whose claim matched writes the
    audit row and the room event. Rows are taken in id order (two processes never lock
    the same rows in opposite orders). Drill stages are looked at only while their
    exercise clock runs, so stopped drills never crowd out running ones."""
    now = now or utcnow()
    marked: list[int] = []
    owed = and_(IncidentStage.status == "pending", IncidentStage.overdue_at.is_(None))
    walls = session.execute(select(IncidentStage.id, IncidentStage.incident_id).where(
        owed, IncidentStage.due_at.is_not(None), IncidentStage.due_at <= now)
        .order_by(IncidentStage.id).limit(200)).all()
    drills: list[Any] = []
    running = running_rooms(session)
    if running:
        drills = list(session.execute(select(IncidentStage.id, IncidentStage.incident_id).join(
            Incident, Incident.id == IncidentStage.incident_id).where(
            owed, IncidentStage.due_t.is_not(None), Incident.clock_room_id.in_(running))
            .order_by(IncidentStage.id).limit(500)).all())
    for stage_id, incident_id in sorted([*walls, *drills]):
        incident = session.get(Incident, incident_id)
        stage = session.get(IncidentStage, stage_id)
        if incident is None or stage is None:
            continue
        if stage.due_t is not None:
            t = _now_t(session, incident, now)
            if t is None or t <= stage.due_t:
                continue
        claimed = session.execute(update(IncidentStage).where(IncidentStage.id == stage_id, owed)
                                  .values(overdue_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            continue
        session.refresh(stage)
        record(session, action="incident.stage_overdue", target_type="incident", target_id=incident.id,
               details={"ref": incident.ref, "regime": stage.regime.key, "stage": stage.key})
        announce(session, incident, None, "stage_overdue", stage=stage)
        marked.append(stage_id)
    return marked
