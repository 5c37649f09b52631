"""Builders of the after-action report tests: a whole exercise played through the
services with explicit past times (as exercises/demo.py does), a closed incident
room with its record, and the report workflow steps.

Every number the draft must show follows from the times below:

inject  T+        to          released at    bank (player_a)              telco (player_b)
1       00:00:00  all         t0              ack +60, response +300/+400  ack +30
2       00:10:00  bank        t0 + 600        ack +180, response +500      -
3       00:20:00  all (man.)  t0 + 1200       missed                       ack +90
4       00:30:00  telco       t0 + 1800       -                            ack +150, response +240

bank:  addressed 3, acked 2, responded 2, missed 1; ack 60/180 -> median 120, max 180;
       first responses 300/500 -> median 400, max 500
telco: addressed 3, acked 3, responded 1, missed 0; ack 30/90/150 -> median 90, max 150;
       first response 240 -> median 240, max 240
"""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from council.audit.models import AuditEntry
from council.auth.models import User
from council.db import utcnow
from council.rooms.models import Room
from council.rooms.services import create_room
from council.rooms.stream import post
from exercises.models import Exercise, ExerciseInject
from exercises.reports import services as reports
from exercises.reports.models import Report
from exercises.runs import services as runs
from exercises.scenarios import services as scenarios
from tests.exercises.helpers import BANK, TELCO, inject, make_people, read

ZONE = "UTC"
OBJECTIVES = [{"id": "O1", "text": "Detect the intrusion on the payment switch"},
              {"id": "O2", "text": "Coordinate the council's public response"}]
CAPABILITIES = ["detection", "coordination"]
ROWS = (
    inject("1", "T+00:00", "Ransom note on the payment switch", to="all"),
    inject("2", "T+00:10", "Bank: customers cannot pay", to=BANK),
    inject("3", "T+00:20", "Journalist calls", to="all", release="manual", delivery="phone"),
    inject("4", "T+00:30", "Telco: SMS gateway slow", to=TELCO),
)
# (objective, capability, rating, team, text): two areas for improvement (M, U).
OBSERVATIONS = (
    ("O1", "detection", "P", BANK, "Bank spotted the ransom note within a minute"),
    ("O1", "detection", "S", TELCO, "Telco confirmed the intrusion but only from one log source"),
    ("O1", "coordination", "M", TELCO, "Nobody owned the upstream contact list"),
    ("O2", "coordination", "U", BANK, "The journalist call went unanswered by every team"),
    ("O2", "detection", "S", BANK, "Customer complaints were noticed late"),
)
DECISION_TITLE = "Ask the regulator to announce the outage"
INCIDENT_TITLE = "DNS amplification against ministry portals"


def _user(session: Any, user: Any) -> User:
    found = session.get(User, user.id)
    assert found is not None
    return found


def play_exercise(make: Any, people: SimpleNamespace, *, title: str = "Cohort A drill", tlp: str = "AMBER",
                  end: bool = True) -> SimpleNamespace:
    """A whole run, two days ago, in one transaction; ENDEX unless ``end`` is False."""
    t0 = (utcnow() - timedelta(days=2)).replace(microsecond=0)

    def _play(session: Any) -> SimpleNamespace:
        director, controller = _user(session, people.director), _user(session, people.controller)
        evaluator = _user(session, people.evaluator)
        bank_player, telco_player = _user(session, people.player_a), _user(session, people.player_b)
        scenario = scenarios.create_scenario(session, actor=director, fields={
            "title": f"{title} scenario", "summary": "A ransomware crew hits the national payment switch.",
            "threat": "Ransomware", "objectives": OBJECTIVES, "capabilities": CAPABILITIES,
            "sectors": ["banking-finance"]}, injects=list(ROWS))
        ex = runs.create_exercise(
            session, actor=director, scenario_id=scenario.id, title=title, org_ids=[people.bank.id, people.telco.id],
            controllers=[people.controller.email], evaluators=[people.evaluator.email],
            observers=[people.observer.email],
            players={BANK: [people.player_a.email], TELCO: [people.player_b.email]}, speed=1, tlp=tlp)
        runs.clock_op(session, actor=director, exercise_id=ex.id, op="start", now=t0)
        assert runs.release_due(session, now=t0) == [(ex.id, "1")]
        assert runs.release_due(session, now=t0 + timedelta(seconds=600)) == [(ex.id, "2")]
        runs.release_now(session, actor=controller, exercise_id=ex.id, msel_id="3",
                         now=t0 + timedelta(seconds=1200))
        assert runs.release_due(session, now=t0 + timedelta(seconds=1800)) == [(ex.id, "4")]
        session.flush()
        injects = {i.msel_id: i for i in session.scalars(
            select(ExerciseInject).where(ExerciseInject.exercise_id == ex.id))}
        released = {k: t0 + timedelta(seconds=i.offset_s) for k, i in injects.items()}

        def say(who: User, kind: str, msel: str, after: int, **payload: Any) -> None:
            post(session, actor=who, room_id=ex.room_id, kind=kind, now=released[msel] + timedelta(seconds=after),
                 payload={"inject_seq": injects[msel].released_seq, **payload})

        say(bank_player, "ack", "1", 60)
        say(bank_player, "response", "1", 300, body="Bank: switch isolated from the network")
        say(bank_player, "response", "1", 400, body="Bank: second update, backups verified")
        say(bank_player, "ack", "2", 180)
        say(bank_player, "response", "2", 500, body="Bank: customers told to use cards offline")
        say(telco_player, "ack", "1", 30)
        say(telco_player, "ack", "3", 90)
        say(telco_player, "ack", "4", 150)
        say(telco_player, "response", "4", 240, body="Telco: SMS gateway rerouted")

        teams = {t.name: t.id for t in ex.teams}
        for n, (objective, capability, rating, team, text) in enumerate(OBSERVATIONS):
            post(session, actor=evaluator, room_id=ex.room_id, kind="observation",
                 now=t0 + timedelta(seconds=2000 + 60 * n), payload={
                     "rating": rating, "body": text, "objective_id": objective, "capability": capability,
                     "team_id": teams[team], "msel_id": "1"})

        at = t0 + timedelta(seconds=2400)
        event, _ = post(session, actor=director, room_id=ex.room_id, kind="decision", now=at, payload={
            "op": "propose", "title": DECISION_TITLE, "rule": "majority"})
        decision_id = json.loads(event.data)["decision_id"]
        for n, who in enumerate((bank_player, telco_player)):
            post(session, actor=who, room_id=ex.room_id, kind="decision", now=at + timedelta(seconds=60 + n),
                 payload={"op": "position", "decision_id": decision_id, "position": "support"})
        post(session, actor=director, room_id=ex.room_id, kind="decision", now=at + timedelta(seconds=300),
             payload={"op": "close", "decision_id": decision_id, "rationale": "Both sectors support it."})
        if end:
            runs.clock_op(session, actor=director, exercise_id=ex.id, op="end", now=t0 + timedelta(seconds=3600))
        return SimpleNamespace(id=ex.id, room_id=ex.room_id, scenario_id=scenario.id, teams=teams,
                               seqs={k: i.released_seq for k, i in injects.items()})

    return make.run(_play)


def exercise_setup(make: Any, prefix: str = "", **options: Any) -> SimpleNamespace:
    """People (tests/exercises/helpers.make_people) and their played exercise."""
    people = make_people(make, prefix)
    return SimpleNamespace(people=people, ex=play_exercise(make, people, **options))


def drafted(app: Any, make: Any, people: SimpleNamespace, *, objectives: list[dict[str, str]],
            ratings: list[tuple[str, str, str]], capabilities: tuple[str, ...] = ("detection",)) -> Report:
    """The report drafted from an ended run of ``objectives`` and ``capabilities``, with
    one observation per (objective, capability, rating) of ``ratings``."""
    scenario = make.run(scenarios.create_scenario, actor=people.director, fields={
        "title": "Grid", "objectives": objectives, "capabilities": list(capabilities)},
        injects=[inject("1", "T+00:00", to="all")])
    ex = make.run(runs.create_exercise, actor=people.director, scenario_id=scenario.id, title="Grid drill",
                  org_ids=[people.bank.id, people.telco.id], evaluators=[people.evaluator.email])
    make.run(runs.clock_op, actor=people.director, exercise_id=ex.id, op="start")
    for objective, capability, rating in ratings:
        make.run(post, actor=people.evaluator, room_id=ex.room_id, kind="observation", payload={
            "rating": rating, "body": f"Rated {rating}", "objective_id": objective, "capability": capability})
    make.run(runs.clock_op, actor=people.director, exercise_id=ex.id, op="end")
    return load(app, start(make, people.director, ex.room_id).id)


def start(make: Any, actor: Any, room_id: int) -> Report:
    return make.run(reports.start_report, actor=actor, room_id=room_id, timezone=ZONE)  # type: ignore[no-any-return]


def section(report: Report, key: str) -> Any:
    return next(s for s in report.sections if s.key == key)


def load(app: Any, report_id: int) -> Report:
    """The report with its sections, reviewers and room loaded (detached)."""
    def _read(session: Any) -> Report:
        report = session.get(Report, report_id)
        for s in report.sections:
            s.updated_by  # noqa: B018 - load before the session closes
        for r in report.reviewers:
            r.user, r.org  # noqa: B018
        report.room.orgs, report.room.members  # noqa: B018
        return report  # type: ignore[no-any-return]
    return read(app, _read)  # type: ignore[no-any-return]


def write(make: Any, actor: Any, report_id: int, key: str, body: str) -> Any:
    """Save a section over its current version."""
    current = section(load(make.app, report_id), key).version
    return make.run(reports.save_section, actor=actor, report_id=report_id, key=key, body=body,
                    base_version=current)


def publish_through_review(make: Any, lead: Any, report_id: int, reviewers: list[Any]) -> Report:
    """Submit to ``reviewers``, have each approve, publish as ``lead``."""
    make.run(reports.submit, actor=lead, report_id=report_id, reviewer_emails=[r.email for r in reviewers])
    for reviewer in reviewers:
        make.run(reports.review, actor=reviewer, report_id=report_id, decision="approve", note="Agreed.")
    return make.run(reports.publish, actor=lead, report_id=report_id)  # type: ignore[no-any-return]


def closed_incident(make: Any, lead: Any, *, orgs: tuple[Any, ...], members: tuple[Any, ...] = (),
                    title: str = INCIDENT_TITLE, tlp: str = "GREEN", close: bool = True,
                    assignee: Any = None) -> Any:
    """An incident room with timeline entries, a decision, two action items (one done,
    one still open, assigned to ``assignee``'s organisation), closed by its lead."""
    start_at = (utcnow() - timedelta(days=3)).replace(microsecond=0)

    def _build(session: Any) -> Room:
        actor = _user(session, lead)
        room = create_room(session, actor=actor, title=title, severity="high", tlp=tlp,
                           org_ids=[o.id for o in orgs], member_emails=[m.email for m in members],
                           summary="Reflected DNS traffic took three ministry portals offline.", now=start_at)

        def say(kind: str, minutes: int, **payload: Any) -> Any:
            event, _ = post(session, actor=actor, room_id=room.id, kind=kind, payload=payload,
                            now=start_at + timedelta(minutes=minutes))
            return event

        say("timeline", 2, category="detection", occurred_at=start_at.isoformat(),
            body="Ministry portals unreachable; 80 Gbit/s of DNS responses")
        say("timeline", 70, category="containment",
            occurred_at=(start_at + timedelta(minutes=70)).isoformat(), body="Portals back behind scrubbing")
        decision = say("decision", 30, op="propose", title="Engage the national scrubbing centre", rule="majority")
        decision_id = json.loads(decision.data)["decision_id"]
        say("decision", 31, op="position", decision_id=decision_id, position="support")
        say("decision", 35, op="close", decision_id=decision_id, rationale="The lead's organisation supports it.")
        owner = (assignee or orgs[0]).id
        done = say("action", 40, title="Block the reflector list at the IXP", assignee_org_id=owner)
        say("action", 50, action_id=json.loads(done.data)["action_id"], status="done")
        say("action", 60, title="Publish an advisory on open resolvers", assignee_org_id=owner)
        if close:
            say("status", 240, status="closed")
        return room

    return make.run(_build)


def audit_actions(app: Any, report_id: int) -> list[str]:
    """The audit rows about one report, in order."""
    return read(app, lambda s: list(s.scalars(select(AuditEntry.action).where(  # type: ignore[no-any-return]
        AuditEntry.target_type == "report", AuditEntry.target_id == str(report_id)).order_by(AuditEntry.id))))


def audit_rows(app: Any, action: str) -> list[dict[str, Any]]:
    def _read(session: Any) -> list[dict[str, Any]]:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return [{"actor_id": r.actor_id, "target_id": r.target_id, "details": json.loads(r.details)} for r in rows]
    return read(app, _read)  # type: ignore[no-any-return]


def exercise_of(app: Any, exercise_id: int) -> Exercise:
    return read(app, lambda s: s.get(Exercise, exercise_id))  # type: ignore[no-any-return]
