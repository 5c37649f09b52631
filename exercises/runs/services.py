"""Exercise runs: creation from a scenario version, the clock, and injects.

Releasing an inject claims its row first (``UPDATE … WHERE status IN
('pending', 'held')``); only the transaction whose claim matched a row
writes the ``inject`` event. So an inject is released once whether the
scheduler of one process or of five, or a controller's "release now", gets
there first, and a rolled-back release leaves it pending.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from council.access import not_looser
from council.audit.services import record
from council.auth.models import User
from council.db import utcnow
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.orgs.models import Organization
from council.reporting.services import DRILL_IDS, file_incident
from council.rooms.models import TLPS, Room
from council.rooms.services import create_room, name_members
from council.rooms.stream import Draft, append
from council.text import clean_line, render_markdown
from exercises.models import Exercise, ExerciseInject, Participant, Scenario, Team
from exercises.notices import inject_released
from exercises.runs.clock import Clock, ClockError, apply
from exercises.runs.shapes import is_id
from exercises.runs.teams import ProposedTeam, addressed, propose_teams, unknown_recipients, users_by_email
from exercises.scenarios import msel
from exercises.scenarios.services import require_msel_reader
from exercises.vocab import CONTROLLER_ONLY, STAFF

log = logging.getLogger(__name__)

ROOM_ROLES = {"director": "lead", "controller": "member", "evaluator": "observer", "player": "member",
              "observer": "observer"}
CLOCK_ROLES = {"start": STAFF - {"evaluator"}, "pause": STAFF - {"evaluator"}, "resume": STAFF - {"evaluator"},
               "end": STAFF - {"evaluator"}, "stop": {"director"}}
CONTROLLERS = frozenset({"director", "controller"})


def clock_of(ex: Exercise) -> Clock:
    return Clock(ex.state, ex.clock_t_s, ex.clock_wall, ex.speed)


def t_plus(ex: Exercise, now: datetime | None = None) -> float:
    return clock_of(ex).t_plus(now or utcnow())


def role_of(ex: Exercise, user: User) -> Participant | None:
    return next((p for p in ex.people if p.user_id == user.id), None)


def exercise_for_room(session: Session, room_id: int) -> Exercise | None:
    cache: dict[int, Exercise | None] = session.info.setdefault("council_exercise_by_room", {})
    if room_id not in cache:
        cache[room_id] = session.scalars(select(Exercise).where(Exercise.room_id == room_id)).one_or_none()
    return cache[room_id]


def controls_exercise(session: Session, room: Room, user: User) -> bool:
    """The exercise's director and controllers: they set its own crisis level (council/governance)."""
    ex = exercise_for_room(session, room.id)
    part = role_of(ex, user) if ex is not None else None
    return part is not None and part.role in ("director", "controller")


def load_exercise(session: Session, actor: User, exercise_id: int) -> tuple[Exercise, Participant]:
    """The exercise and the actor's part in it; NotFound for anyone not in it."""
    ex = session.get(Exercise, exercise_id)
    part = role_of(ex, actor) if ex is not None else None
    if ex is None or part is None:
        raise NotFound(_("No such exercise."))
    return ex, part


def require(part: Participant, roles: frozenset[str] | set[str], refusal: str) -> None:
    """``refusal``: the whole sentence (e.g. "Only the exercise's controller or director may …")."""
    if part.role not in roles:
        raise Forbidden(refusal)


def _clock_refusal(op: str) -> str:
    return {
        "start": _("Only the exercise's controller or director may start the exercise."),
        "pause": _("Only the exercise's controller or director may pause the exercise."),
        "resume": _("Only the exercise's controller or director may resume the exercise."),
        "end": _("Only the exercise's controller or director may end the exercise."),
        "stop": _("Only the exercise's director may stop the exercise."),
    }[op]


def _cannot(op: str, state: str) -> str:
    """The clock refuses ``op`` in ``state`` (exercises/runs/clock.py's ClockError, said to a person)."""
    return {
        "start": _("Cannot start an exercise that is %(state)s.", state=state),
        "pause": _("Cannot pause an exercise that is %(state)s.", state=state),
        "resume": _("Cannot resume an exercise that is %(state)s.", state=state),
        "end": _("Cannot end an exercise that is %(state)s.", state=state),
        "stop": _("Cannot stop an exercise that is %(state)s.", state=state),
    }[op]


def list_exercises(session: Session, *, actor: User) -> list[tuple[Exercise, Participant]]:
    rows = session.execute(select(Exercise, Participant).join(Participant, Participant.exercise_id == Exercise.id)
                           .where(Participant.user_id == actor.id).order_by(Exercise.id.desc()))
    return [(e, p) for e, p in rows.all()]


# --- creation -----------------------------------------------------------------------

@dataclass(frozen=True)
class ExercisePlan:
    """A checked request for a run: what ``create_planned`` writes, nothing written yet."""

    scenario: Scenario
    title: str
    orgs: list[Organization]
    staff: list[tuple[User, str]]  # (person, role), the director first
    teams: list[ProposedTeam]
    speed: float
    tlp: str

    @property
    def teams_key(self) -> str:
        """A digest of the teams and their players: the creation page confirms the
        teams it showed, not ones that changed under the organiser since."""
        teams = [[t.name, [u.id for u in t.players]] for t in self.teams]
        return hashlib.sha256(json.dumps(teams).encode()).hexdigest()[:16]


def plan_exercise(
    session: Session, *, actor: User, scenario_id: Any, title: Any, org_ids: Any, controllers: Any = None,
    evaluators: Any = None, players: Any = None, observers: Any = None, speed: Any = 1, tlp: Any = "AMBER",
) -> ExercisePlan:
    """Check a request for a run and work out its teams, writing nothing: the
    creation page shows the teams for confirmation, then creates with the same plan."""
    errors: dict[str, str] = {}
    scenario = session.get(Scenario, scenario_id) if is_id(scenario_id) else None
    if scenario is None:
        errors["scenario_id"] = _("No such scenario.")
    else:
        require_msel_reader(session, actor, scenario)  # a player's own run would show them the MSEL
    problem = _team_names_problem(players)
    if problem:
        errors["players"] = problem
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        errors["title"] = _("A title of at most 200 characters.")
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 1 <= speed <= 60:
        errors["speed"] = _("A speed factor from 1 to 60.")
    if tlp not in TLPS:
        errors["tlp"] = _("One of: %(choices)s.", choices=", ".join(TLPS))
    orgs = _orgs(session, org_ids, errors)
    staff: list[tuple[User, str]] = [(actor, "director")]
    for field, role, emails in (("controllers", "controller", controllers), ("evaluators", "evaluator", evaluators),
                                ("observers", "observer", observers)):
        staff += [(u, role) for u in users_by_email(session, emails, field, errors)]
    teams = propose_teams(session, orgs=orgs, players=players, staff=[u for u, _role in staff], errors=errors)
    _one_role_each(staff + [(u, "player") for t in teams for u in t.players], errors)
    if errors:
        raise Invalid(_("The exercise was not created."), errors)
    assert scenario is not None
    missing = unknown_recipients([i.recipients for i in scenario.injects], teams)
    if missing:
        raise Invalid(_("The exercise was not created."), {"teams": _(
            "The MSEL addresses names that are neither a team nor a participating organisation: %(names)s",
            names=", ".join(missing))})
    return ExercisePlan(scenario=scenario, title=str(title).strip(), orgs=orgs, staff=staff, teams=teams,
                        speed=float(speed), tlp=str(tlp))


def _team_names_problem(players: Any) -> str | None:
    """Team names the database would refuse: too long, or equal to another once
    cleaned as every stored name is (council/db.py drops NUL and bidi controls)."""
    if not isinstance(players, dict):
        return None
    names = [clean_line(n).strip() for n in players if isinstance(n, str)]
    if any(len(n) > 200 for n in names):
        return _("Team names of at most 200 characters.")
    twice = sorted({n for n in names if names.count(n) > 1})
    return _("Two teams are named %(name)s.", name=repr(twice[0])) if twice else None


def _orgs(session: Session, org_ids: Any, errors: dict[str, str]) -> list[Organization]:
    """The participating organisations, in the order given."""
    if not isinstance(org_ids, list) or not org_ids or not all(is_id(i) for i in org_ids):
        errors["orgs"] = _("A list of participating organisation ids.")
        return []
    found = {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(org_ids)))}
    if len(found) != len(set(org_ids)):
        errors["orgs"] = _("Unknown organisation id(s).")
        return []
    return [found[i] for i in dict.fromkeys(org_ids)]


def _one_role_each(people: list[tuple[User, str]], errors: dict[str, str]) -> None:
    seen: dict[int, str] = {}
    for user, role in people:
        if user.id in seen and not (seen[user.id] == "director" and role == "director"):
            errors["people"] = _("%(email)s has two roles (%(first)s and %(second)s); give each person one.",
                                 email=user.email, first=seen[user.id], second=role)
        seen.setdefault(user.id, role)


def create_exercise(session: Session, *, actor: User, **request: Any) -> Exercise:
    """Plan and create a run in one step (REST, demo): the arguments of ``plan_exercise``."""
    return create_planned(session, actor=actor, plan=plan_exercise(session, actor=actor, **request))


def create_planned(session: Session, *, actor: User, plan: ExercisePlan) -> Exercise:
    """A run of one scenario version, with its own exercise room; the creator directs it."""
    if plan.staff[0][0].id != actor.id:
        raise Forbidden(_("A run is created by whoever planned it: they direct it."))
    scenario = plan.scenario
    room = create_room(session, actor=actor, title=plan.title, severity="medium", tlp=plan.tlp,
                       org_ids=[o.id for o in plan.orgs], summary=scenario.summary, kind="exercise")
    ex = Exercise(scenario_id=scenario.id, scenario_version=scenario.version, room_id=room.id, title=plan.title,
                  speed=plan.speed, objectives=scenario.objectives, capabilities=scenario.capabilities,
                  created_by_id=actor.id)
    ex.teams = [Team(name=t.name, org_id=t.org.id if t.org else None) for t in plan.teams]
    session.add(ex)
    session.flush()
    ex.people = [Participant(user_id=user.id, role=role) for user, role in plan.staff]
    ex.people += [Participant(user_id=user.id, role="player", team_id=team.id)
                  for proposed, team in zip(plan.teams, ex.teams, strict=True) for user in proposed.players]
    for inject in scenario.injects:
        targets = resolve_recipients(inject.recipients, ex.teams)
        fields = {c: getattr(inject, c) for c in _COLUMNS}
        session.add(ExerciseInject(exercise_id=ex.id, team_ids=json.dumps(targets), **fields))
    session.flush()
    name_members(session, room=room, actor=actor, members=[
        (session.get(User, p.user_id), ROOM_ROLES[p.role]) for p in ex.people if p.user_id != actor.id])
    record(session, action="exercise.create", actor=actor, target_type="exercise", target_id=ex.id,
           room_id=room.id, details={"scenario_id": scenario.id, "version": scenario.version,
                                     "teams": [t.name for t in ex.teams], "speed": ex.speed})
    return ex


def resolve_recipients(recipients: str, teams: list[Team]) -> list[int]:
    """Team ids an inject's "to" reaches: all, or named teams / organisations."""
    return [t.id for t in addressed(recipients, teams)]


_COLUMNS = [msel.ATTR.get(c, c) for c in (
    "msel_id", "offset", "type", "delivery", "from", "to", "title", "message", "expected_action", "objectives",
    "capability", "controller", "notes", "release", "depends_on", "priority", "tlp", "incident")] + ["custom"]


# --- clock ----------------------------------------------------------------------------

def clock_draft(ex: Exercise, op: str, now: datetime, reason: str = "") -> Draft:
    t = t_plus(ex, now)
    body = ""
    if op == "stop":
        body = f"**REAL-WORLD EMERGENCY: the exercise is stopped.** {reason}".strip()
    return Draft(body=body, body_html=render_markdown(body), data={
        "op": op, "state": ex.state, "t_plus_s": round(t, 3), "speed": ex.speed, "exercise_id": ex.id,
        "clock_wall": ex.clock_wall.isoformat() if ex.clock_wall else None, "reason": reason,
    }, audit={"op": op, "exercise_id": ex.id, "t_plus_s": round(t, 1)})


def clock_op(session: Session, *, actor: User, exercise_id: int, op: str, reason: str = "",
             now: datetime | None = None) -> Exercise:
    """STARTEX, pause, resume, ENDEX, or the director's real-world-emergency stop."""
    ex, part = load_exercise(session, actor, exercise_id)
    if op not in CLOCK_ROLES:
        raise Invalid(_("Unknown clock operation."), {"op": _("start, pause, resume, end or stop.")})
    require(part, CLOCK_ROLES[op], _clock_refusal(op))
    now = now or utcnow()
    try:
        clock = apply(clock_of(ex), op, now)
    except ClockError:
        raise Conflict(_cannot(op, ex.state)) from None
    ex.state, ex.clock_t_s, ex.clock_wall = clock.state, clock.t_s, clock.wall
    if op == "start":
        ex.started_at = now
    if op in ("end", "stop"):
        ex.ended_at = now
        ex.stop_reason = reason[:2000] if op == "stop" else ""
    room = session.get(Room, ex.room_id)
    assert room is not None
    append(session, room=room, kind="clock", actor=actor, draft=clock_draft(ex, op, now, reason[:2000]), now=now)
    return ex


# --- injects -----------------------------------------------------------------------------

def inject_data(inject: ExerciseInject, ex: Exercise, t: float) -> dict[str, Any]:
    return {
        "exercise_id": ex.id, "msel_id": inject.msel_id, "title": inject.title, "from": inject.sender,
        "delivery": inject.delivery, "to": inject.recipients, "team_ids": json.loads(inject.team_ids),
        "type": inject.type, "priority": inject.priority, "tlp": inject.tlp, "t_plus_s": round(t, 3),
        "offset_s": inject.offset_s, "adhoc": inject.adhoc,
        "expected_action": inject.expected_action, "notes": inject.notes, "controller": inject.controller,
    }


def _release(session: Session, ex: Exercise, inject: ExerciseInject, actor: User | None, now: datetime) -> bool:
    """Claim and release one inject; False if someone else released it first."""
    claimed = session.execute(
        update(ExerciseInject).where(ExerciseInject.id == inject.id,
                                     ExerciseInject.status.in_(("pending", "held")))
        .values(status="released", released_at=now, released_by_id=actor.id if actor else None)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        session.refresh(inject)
        return False
    session.refresh(inject)
    t = t_plus(ex, now)
    room = session.get(Room, ex.room_id)
    assert room is not None
    event = append(session, room=room, kind="inject", actor=actor, draft=Draft(
        body=inject.message, body_html=render_markdown(inject.message), data=inject_data(inject, ex, t),
        audit={"exercise_id": ex.id, "msel_id": inject.msel_id, "by": "controller" if actor else "schedule"}),
        now=now)
    inject.released_t_s, inject.released_seq = t, event.seq
    inject_released(session, ex, inject, room.tlp, event.seq, event.id)
    if inject.incident:
        start_test_incidents(session, ex, inject, room, now, t)
    return True


def start_test_incidents(session: Session, ex: Exercise, inject: ExerciseInject, room: Room, now: datetime,
                         t: float) -> None:
    """An inject marked ``incident``: each team it reaches (with an organisation and a
    player of it) now has a test incident to report up the tiers, on this drill's clock,
    marked as the stricter of the inject and the room. Filed for the team's first player
    of that organisation: the players then submit its stages themselves."""
    classification = None
    if "/" in inject.incident:
        class_key, _sep, type_key = inject.incident.partition("/")
        classification = {"class": class_key, "type": type_key}
    tlp = inject.tlp if inject.tlp and not_looser(inject.tlp, room.tlp) else room.tlp
    teams = {team.id: team for team in ex.teams}
    for team_id in json.loads(inject.team_ids):
        team = teams.get(team_id)
        if team is None or team.org_id is None:
            continue
        player = next((user for p in ex.people if p.role == "player" and p.team_id == team_id
                       and (user := session.get(User, p.user_id)) is not None and user.org_id == team.org_id), None)
        if player is None:
            continue
        try:
            with session.begin_nested():  # a team no regime applies to gets no incident; the release stands
                file_incident(session, actor=player, title=inject.title, type="test", tlp=tlp,
                              detected_at=now.isoformat(), description=inject.message,
                              classification=classification, room_id=room.id, clock_room_id=room.id,
                              detected_t=t, client_id=f"{DRILL_IDS}{ex.id}:{inject.msel_id}:{team_id}", now=now)
        except Invalid as err:
            log.warning("exercise %s inject %s: no test incident for team %s: %s", ex.id, inject.msel_id,
                        team.name, err.fields)


def _inject(session: Session, ex: Exercise, msel_id: str) -> ExerciseInject:
    inject = session.scalars(select(ExerciseInject).where(ExerciseInject.exercise_id == ex.id,
                                                          ExerciseInject.msel_id == msel_id)).one_or_none()
    if inject is None:
        raise NotFound(_("No such inject in this exercise."))
    return inject


def release_now(session: Session, *, actor: User, exercise_id: int, msel_id: str,
                now: datetime | None = None) -> ExerciseInject:
    """A controller releases an inject at once: early, held, or during a pause."""
    ex, part = load_exercise(session, actor, exercise_id)
    require(part, CONTROLLERS, _("Only the exercise's controller or director may release injects."))
    if ex.state not in ("running", "paused"):
        raise Conflict(_("Injects are released between STARTEX and ENDEX."))
    inject = _inject(session, ex, msel_id)
    if not _release(session, ex, inject, actor, now or utcnow()):
        raise Conflict(_("Inject %(id)s was already released.", id=msel_id))
    return inject


def set_held(session: Session, *, actor: User, exercise_id: int, msel_id: str, held: bool) -> ExerciseInject:
    ex, part = load_exercise(session, actor, exercise_id)
    require(part, CONTROLLERS, _("Only the exercise's controller or director may hold injects."))
    inject = _inject(session, ex, msel_id)
    if inject.status not in ("pending", "held"):
        raise Conflict(_("Inject %(id)s is %(status)s.", id=msel_id, status=inject.status))
    inject.status = "held" if held else "pending"
    record(session, action="exercise.inject_hold" if held else "exercise.inject_unhold", actor=actor,
           target_type="exercise", target_id=ex.id, room_id=ex.room_id, details={"msel_id": msel_id})
    return inject


EDITABLE = ("title", "message", "expected_action", "notes", "from", "to", "delivery", "offset", "type",
            "priority", "tlp", "release", "capability", "objectives")


def edit_inject(session: Session, *, actor: User, exercise_id: int, msel_id: str,
                fields: dict[str, Any]) -> ExerciseInject:
    """Change an inject before its release (controllers)."""
    ex, part = load_exercise(session, actor, exercise_id)
    require(part, CONTROLLERS, _("Only the exercise's controller or director may edit injects."))
    inject = _inject(session, ex, msel_id)
    if inject.status == "released":
        raise Conflict(_("A released inject is part of the record and cannot be edited."))
    row = msel.inject_row(inject)
    row.update({k: str(v) for k, v in fields.items() if k in EDITABLE and v is not None})
    parsed = msel.parse_rows([row])
    errors = [e for e in parsed.errors if e.column != "depends_on"]
    if errors:
        raise Invalid(_("The inject was not changed."), {e.column or "row": e.message for e in errors})
    values = msel.model_fields(parsed.injects[0])
    try:
        team_ids = resolve_recipients(values["recipients"], ex.teams)
    except LookupError as exc:
        raise Invalid(_("The inject was not changed."),
                      {"to": _("No team or organisation %(name)s.", name=repr(exc.args[0]))}) from None
    for key in ("title", "message", "expected_action", "notes", "sender", "recipients", "delivery", "offset_s",
                "type", "priority", "tlp", "release", "capability", "objectives"):
        setattr(inject, key, values[key])
    inject.team_ids, inject.edited = json.dumps(team_ids), True
    record(session, action="exercise.inject_edit", actor=actor, target_type="exercise", target_id=ex.id,
           room_id=ex.room_id, details={"msel_id": msel_id, "fields": sorted(fields)})
    return inject


def adhoc_inject(session: Session, *, actor: User, exercise_id: int, fields: dict[str, Any],
                 now: datetime | None = None) -> ExerciseInject:
    """Write an inject live and release it at once (controllers)."""
    ex, part = load_exercise(session, actor, exercise_id)
    require(part, CONTROLLERS, _("Only the exercise's controller or director may write injects."))
    if ex.state not in ("running", "paused"):
        raise Conflict(_("Ad-hoc injects are released between STARTEX and ENDEX."))
    now = now or utcnow()
    count = len(list(session.scalars(select(ExerciseInject.id).where(ExerciseInject.exercise_id == ex.id,
                                                                     ExerciseInject.adhoc.is_(True)))))
    row = {k: str(v) for k, v in fields.items() if k in EDITABLE and v is not None}
    row.update({"msel_id": f"AH-{count + 1}", "offset": msel.format_offset(int(t_plus(ex, now))),
                "release": "manual"})
    parsed = msel.parse_rows([row])
    if parsed.errors:
        raise Invalid(_("The inject was not written."), {e.column or "row": e.message for e in parsed.errors})
    values = msel.model_fields(parsed.injects[0])
    try:
        team_ids = resolve_recipients(values["recipients"], ex.teams)
    except LookupError as exc:
        raise Invalid(_("The inject was not written."),
                      {"to": _("No team or organisation %(name)s.", name=repr(exc.args[0]))}) from None
    inject = ExerciseInject(exercise_id=ex.id, adhoc=True, team_ids=json.dumps(team_ids), **values)
    session.add(inject)
    session.flush()
    _release(session, ex, inject, actor, now)
    return inject


def release_due(session: Session, now: datetime | None = None) -> list[tuple[int, str]]:
    """Release every automatic inject whose offset T+ has reached (and whose
    dependency is out), in every running exercise. The scheduler's job."""
    now = now or utcnow()
    released: list[tuple[int, str]] = []
    for ex in session.scalars(select(Exercise).where(Exercise.state == "running")).all():
        t = t_plus(ex, now)
        injects = list(session.scalars(select(ExerciseInject).where(ExerciseInject.exercise_id == ex.id)
                                       .order_by(ExerciseInject.offset_s, ExerciseInject.id)))
        out = {i.msel_id for i in injects if i.status == "released"}
        for inject in injects:
            if inject.status != "pending" or inject.release != "auto" or inject.offset_s > t:
                continue
            if inject.depends_on and inject.depends_on not in out:
                continue
            if _release(session, ex, inject, None, now):
                released.append((ex.id, inject.msel_id))
            out.add(inject.msel_id)
    return released


def next_due(session: Session, now: datetime | None = None) -> datetime | None:
    """Wall time of the next automatic release across running exercises (for the scheduler's sleep)."""
    now = now or utcnow()
    soonest: datetime | None = None
    for ex in session.scalars(select(Exercise).where(Exercise.state == "running")).all():
        offset = session.scalar(select(ExerciseInject.offset_s).where(
            ExerciseInject.exercise_id == ex.id, ExerciseInject.status == "pending",
            ExerciseInject.release == "auto").order_by(ExerciseInject.offset_s).limit(1))
        if offset is not None:
            at = clock_of(ex).wall_at(offset)
            if at is not None and (soonest is None or at < soonest):
                soonest = at
    return soonest


# --- views ---------------------------------------------------------------------------------

def inject_json(inject: ExerciseInject, *, staff: bool) -> dict[str, Any]:
    out = {
        "msel_id": inject.msel_id, "offset_s": inject.offset_s, "offset": msel.format_offset(inject.offset_s),
        "type": inject.type, "delivery": inject.delivery, "from": inject.sender, "to": inject.recipients,
        "team_ids": json.loads(inject.team_ids), "title": inject.title, "message": inject.message,
        "message_html": render_markdown(inject.message) if staff else None,
        "capability": inject.capability, "objectives": inject.objectives, "release": inject.release,
        "depends_on": inject.depends_on, "priority": inject.priority, "tlp": inject.tlp, "status": inject.status,
        "released_t_s": inject.released_t_s, "released_seq": inject.released_seq, "adhoc": inject.adhoc,
        "edited": inject.edited,
    }
    if staff:
        out.update({k: getattr(inject, k) for k in CONTROLLER_ONLY})
    else:
        out.pop("message_html")
    return out


def exercise_json(session: Session, ex: Exercise, part: Participant, now: datetime | None = None) -> dict[str, Any]:
    """The run as the participant may see it; only staff get the MSEL."""
    now = now or utcnow()
    staff = part.role in STAFF
    out: dict[str, Any] = {
        "id": ex.id, "title": ex.title, "room_id": ex.room_id, "scenario_id": ex.scenario_id,
        "scenario_version": ex.scenario_version, "state": ex.state, "speed": ex.speed,
        "t_plus_s": round(t_plus(ex, now), 3), "clock_t_s": ex.clock_t_s,
        "clock_wall": ex.clock_wall.isoformat() if ex.clock_wall else None, "server_now": now.isoformat(),
        "role": part.role, "team_id": part.team_id, "exercise": True,
        "teams": [{"id": t.id, "name": t.name, "org_id": t.org_id} for t in ex.teams],
        "objectives": json.loads(ex.objectives), "capabilities": json.loads(ex.capabilities),
        "people": [{"user_id": p.user_id, "name": p.user.name, "role": p.role, "team_id": p.team_id}
                   for p in ex.people],
    }
    if staff:
        injects = session.scalars(select(ExerciseInject).where(ExerciseInject.exercise_id == ex.id)
                                  .order_by(ExerciseInject.offset_s, ExerciseInject.id))
        out["injects"] = [inject_json(i, staff=True) for i in injects]
    return out

