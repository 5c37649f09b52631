"""Demo content of the exercises slice. Idempotent (by title).

* the scenario library (exercises/library/*.json);
* a planned drill on the payment-switch scenario, ready for STARTEX;
* a completed BGP-hijack exercise from last month, played through the real
  services with times in the past, with its published after-action report;
* a closed incident from two months ago with its published report and open
  corrective actions (some overdue, so dashboards show them).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.auth.services import find_user
from council.db import history_clock, utcnow
from council.demo import demo_epoch
from council.orgs.services import find_org_by_name
from council.rooms.models import Room
from council.rooms.services import create_room
from council.rooms.stream import post
from exercises.models import Exercise, ExerciseInject, Scenario
from exercises.reports import actions as ca_register
from exercises.reports import services as reports
from exercises.reports.models import CorrectiveAction, Report
from exercises.runs import services as runs
from exercises.scenarios.services import import_json

LIBRARY = Path(__file__).resolve().parent / "library"
ZONE = "Asia/Karachi"


def _user(session: Session, email: str) -> User:
    user = find_user(session, email)
    assert user is not None, email
    return user


def _org_ids(session: Session, names: list[str]) -> list[int]:
    return [o.id for o in (find_org_by_name(session, n) for n in names) if o is not None]


def seed(session: Session) -> None:
    """Oldest first (council/demo.py explains why): the library, September's
    incident, October's drill, then yesterday's planned drill."""
    if find_user(session, "duty@ncert.example") is None:
        return
    author = _user(session, "duty@ncert.example")
    for path in sorted(LIBRARY.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if session.scalars(select(Scenario.id).where(Scenario.title == doc["title"])).first() is None:
            _at(session, demo_epoch() + timedelta(days=1), import_json, session, actor=author, doc=doc)
    _closed_incident(session)
    _completed_exercise(session, author)
    _planned_drill(session, author)


def _at(session: Session, when: datetime, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one step of the demo's history at ``when`` (its rows flushed inside, so defaults take that time)."""
    with history_clock(when):
        result = fn(*args, **kwargs)
        session.flush()
    return result


def _scenario(session: Session, words: str) -> Scenario | None:
    return session.scalars(select(Scenario).where(Scenario.title.ilike(f"%{words}%"))).first()


def _orgs_of(session: Session, scenario: Scenario) -> list[int]:
    names = sorted({n.strip() for i in scenario.injects for n in i.recipients.split(";")} - {"all", ""})
    return _org_ids(session, [*names, "National CERT"])


def _planned_drill(session: Session, author: User) -> None:
    title = "Banking sector drill: payment switch ransomware (cohort A)"
    scenario = _scenario(session, "payment switch")
    if scenario is None or session.scalars(select(Exercise.id).where(Exercise.title == title)).first():
        return
    # No players named: one team per participating organisation with its members
    # (the National CERT's is its admin: its duty officer directs). Set up yesterday.
    _at(session, utcnow() - timedelta(days=1), runs.create_exercise, session, actor=author, scenario_id=scenario.id,
        title=title, org_ids=_orgs_of(session, scenario), controllers=["ops@govcert.example"],
        evaluators=["ir@healthcert.example"], speed=10, tlp="AMBER")


def _completed_exercise(session: Session, director: User) -> None:
    title = "Telecom drill: BGP hijack of Crescent Telecom prefixes (October)"
    scenario = _scenario(session, "BGP")
    if scenario is None or session.scalars(select(Exercise.id).where(Exercise.title == title)).first():
        return
    # The Government Sector CERT plays here (the MSEL addresses it): the Transport CERT controls.
    start = (utcnow() - timedelta(days=32)).replace(hour=5, minute=0, second=0, microsecond=0)
    ex = _at(session, start - timedelta(days=7), runs.create_exercise, session, actor=director,
             scenario_id=scenario.id, title=title, org_ids=_orgs_of(session, scenario),
             controllers=["ops@transportcert.example"], evaluators=["ir@healthcert.example"], speed=1, tlp="GREEN")
    _at(session, start, runs.clock_op, session, actor=director, exercise_id=ex.id, op="start", now=start)
    controller, evaluator = _user(session, "ops@transportcert.example"), _user(session, "ir@healthcert.example")
    by_team = {p.team_id: session.get(User, p.user_id) for p in ex.people if p.role == "player"}
    injects = list(session.scalars(select(ExerciseInject).where(ExerciseInject.exercise_id == ex.id)
                                   .order_by(ExerciseInject.offset_s)))
    # Everything the drill wrote, gathered first and then written in time order
    # (releases, acknowledgements, responses, observations, the decision).
    steps: list[tuple[datetime, int, Any]] = []
    for n, inject in enumerate(injects):
        at = start + timedelta(seconds=inject.offset_s)
        steps.append((at, 0, lambda i=inject, at=at: _release(session, ex, controller, i, at)))
        for k, team_id in enumerate(json.loads(inject.team_ids)):
            player = by_team.get(team_id)
            if player is None or (n + k) % 7 == 6:  # now and then a team misses an inject
                continue
            delay = timedelta(seconds=60 + ((n * 37 + k * 53) % 9) * 45)
            steps.append((at + delay, 1, lambda p=player, i=inject, t=at + delay: i.released_seq and post(
                session, actor=p, room_id=ex.room_id, kind="ack", payload={"inject_seq": i.released_seq}, now=t)))
            if (n + k) % 3 != 2:
                body = f"{player.org.name}: {_RESPONSES[(n + k) % len(_RESPONSES)]}"
                steps.append((at + delay * 3, 2, lambda p=player, i=inject, t=at + delay * 3, b=body: i.released_seq
                              and post(session, actor=p, room_id=ex.room_id, kind="response", now=t,
                                       payload={"inject_seq": i.released_seq, "body": b})))
    steps += _observations(session, ex, evaluator, start, injects)
    steps += _exercise_decision(session, ex, director, start)
    for when, _order, step in sorted(steps, key=lambda s: (s[0], s[1])):
        _at(session, when, step)
    end = start + timedelta(seconds=max(i.offset_s for i in injects) + 1800)
    _at(session, end, runs.clock_op, session, actor=director, exercise_id=ex.id, op="end", now=end)
    # The hot wash is over: the director closes the drill's room.
    _at(session, end + timedelta(minutes=20), post, session, actor=director, room_id=ex.room_id, kind="status",
        payload={"status": "closed"})
    report = _at(session, end + timedelta(days=1), reports.start_report, session, actor=director, room_id=ex.room_id,
                 timezone=ZONE)
    _at(session, end + timedelta(days=1, hours=2), _write, session, report, director, "executive_summary",
        _EXERCISE_SUMMARY)
    plan = list(session.scalars(select(CorrectiveAction).where(CorrectiveAction.report_id == report.id)))
    for i, ca in enumerate(plan):
        ca.action = _EXERCISE_ACTIONS[i % len(_EXERCISE_ACTIONS)]
        ca.element = ("planning", "training", "equipment", "organisation")[i % 4]
        ca.start_date = (end + timedelta(days=7)).date()
        ca.due_date = (end + timedelta(days=60 + 30 * i)).date()
        ca.contact = "Routing security lead"
    _publish(session, report, director, ["analyst@telcocert.example", "noc@crescent.example", "lead@bankcert.example",
                                         "csirt@indusbank.example", "duty@ncert.example", "ops@govcert.example"],
             end + timedelta(days=3))


def _release(session: Session, ex: Exercise, controller: User, inject: ExerciseInject, at: datetime) -> None:
    if inject.release == "manual":
        runs.release_now(session, actor=controller, exercise_id=ex.id, msel_id=inject.msel_id, now=at)
    else:
        runs.release_due(session, now=at)


def _observations(session: Session, ex: Exercise, evaluator: User, start: datetime,
                  injects: list[Any]) -> list[tuple[datetime, int, Any]]:
    objectives = [o["id"] for o in json.loads(ex.objectives)]
    capabilities = json.loads(ex.capabilities)
    steps = []
    for n, (rating, finding, text) in enumerate(_OBSERVATIONS):
        inject = injects[min(len(injects) - 1, n * 3)]
        team = ex.teams[n % len(ex.teams)]
        at = start + timedelta(seconds=inject.offset_s + 900)
        steps.append((at, 3, lambda i=inject, t=at, r=rating, f=finding, b=text, o=objectives[n % len(objectives)],
                      c=capabilities[n % len(capabilities)], team=team: post(
                          session, actor=evaluator, room_id=ex.room_id, kind="observation", now=t, payload={
                              "rating": r, "finding": f, "body": b, "objective_id": o, "capability": c,
                              "msel_id": i.msel_id, "team_id": team.id, "evidence_seq": i.released_seq})))
    return steps


def _exercise_decision(session: Session, ex: Exercise, director: User,
                       start: datetime) -> list[tuple[datetime, int, Any]]:
    at = start + timedelta(minutes=95)
    made: dict[str, int] = {}

    def propose() -> None:
        event, _ = post(session, actor=director, room_id=ex.room_id, kind="decision", now=at, payload={
            "op": "propose", "title": "Ask upstream providers to filter the hijacked more-specifics",
            "background": "The /24s announced from AS64511 cover Crescent Telecom's DNS and Indus Bank's portal.",
            "rule": "majority"})
        made["id"] = json.loads(event.data)["decision_id"]

    steps: list[tuple[datetime, int, Any]] = [(at, 4, propose)]
    for n, email in enumerate(("analyst@telcocert.example", "noc@crescent.example", "lead@bankcert.example")):
        t = at + timedelta(minutes=4 + n)
        steps.append((t, 4, lambda u=_user(session, email), t=t, n=n: post(
            session, actor=u, room_id=ex.room_id, kind="decision", now=t, payload={
                "op": "position", "decision_id": made["id"], "position": "support" if n < 2 else "abstain",
                "comment": "" if n < 2 else "Banking sector defers to the telecom CERTs on routing."})))
    t = at + timedelta(minutes=12)
    steps.append((t, 4, lambda: post(session, actor=director, room_id=ex.room_id, kind="decision", now=t, payload={
        "op": "close", "decision_id": made["id"],
        "rationale": "The affected operators support filtering; quorum met. National CERT contacts the upstreams."})))
    return steps


def _write(session: Session, report: Report, author: User, key: str, body: str) -> None:
    section = next(s for s in report.sections if s.key == key)
    reports.save_section(session, actor=author, report_id=report.id, key=key, body=body, base_version=section.version)


def _publish(session: Session, report: Report, director: User, reviewers: list[str], when: datetime) -> None:
    """Submit at ``when``, sign-offs over the next hours, publication the day after."""
    session.flush()
    _at(session, when, reports.submit, session, actor=director, report_id=report.id, reviewer_emails=reviewers)
    for n, email in enumerate(reviewers):
        _at(session, when + timedelta(hours=2 + n), reports.review, session, actor=_user(session, email),
            report_id=report.id, decision="approve", note="Agreed for our organisation.")
    _at(session, when + timedelta(days=1), reports.publish, session, actor=director, report_id=report.id)


def _closed_incident(session: Session) -> None:
    title = "DNS amplification against ministry portals (September)"
    if session.scalars(select(Room.id).where(Room.title == title)).first():
        return
    lead, gov = _user(session, "duty@ncert.example"), _user(session, "ops@govcert.example")
    telco = _user(session, "analyst@telcocert.example")
    start = (utcnow() - timedelta(days=64)).replace(hour=8, minute=10, second=0, microsecond=0)
    room = _at(session, start, create_room, session, actor=lead, title=title, severity="high", tlp="GREEN",
               org_ids=_org_ids(session, ["Government Sector CERT", "Telecom Sector CERT"]),
               summary="Reflected DNS traffic of up to 80 Gbit/s took three ministry portals offline.")
    steps: list[tuple[User, str, dict[str, Any], int]] = [
        (gov, "timeline", {"category": "detection", "occurred_at": start.isoformat(),
                           "body": "Ministry portals unreachable; upstream reports 80 Gbit/s of DNS responses."}, 2),
        (telco, "message", {"body": "Scrubbing enabled at the two largest transit providers."}, 25),
        (lead, "action", {"title": "Publish an advisory on open resolvers", "assignee_org_id":
                          _org_ids(session, ["Telecom Sector CERT"])[0]}, 40),
        (gov, "timeline", {"category": "containment", "occurred_at": (start + timedelta(minutes=70)).isoformat(),
                           "body": "Portals back behind the scrubbing centre."}, 72),
        (lead, "status", {"status": "closed"}, 240),
    ]
    for actor, kind, payload, minutes in steps:
        _at(session, start + timedelta(minutes=minutes), post, session, actor=actor, room_id=room.id, kind=kind,
            payload=payload)
    written = start + timedelta(days=2)
    report = _at(session, written, reports.start_report, session, actor=lead, room_id=room.id, timezone=ZONE)
    _at(session, written + timedelta(hours=1), _write, session, report, lead, "executive_summary", _INCIDENT_SUMMARY)
    gov_org, telco_org = _org_ids(session, ["Government Sector CERT"]), _org_ids(session, ["Telecom Sector CERT"])
    today = date.today()
    for fields in (
        {"area": "Ministries had no pre-agreed scrubbing contract", "capability": "recovery",
         "action": "Sign standing DDoS-scrubbing agreements for all federal portals", "element": "planning",
         "responsible_org_id": gov_org[0], "contact": "Head of GovCERT operations",
         "start_date": str(today - timedelta(days=50)), "due_date": str(today - timedelta(days=5))},
        {"area": "Open resolvers in national networks amplified the attack", "capability": "information-sharing",
         "action": "Notify operators of open resolvers monthly and track remediation", "element": "organisation",
         "responsible_org_id": telco_org[0], "contact": "Telecom CERT duty desk",
         "start_date": str(today - timedelta(days=50)), "due_date": str(today + timedelta(days=40))},
    ):
        _at(session, written + timedelta(hours=2), reports.save_action, session, actor=lead, report_id=report.id,
            fields=fields)
    _publish(session, report, lead, ["ops@govcert.example", "analyst@telcocert.example", "duty@ncert.example"],
             written + timedelta(days=1))
    ca = session.scalars(select(CorrectiveAction).where(CorrectiveAction.report_id == report.id)
                         .order_by(CorrectiveAction.id.desc())).first()
    if ca is not None:
        _at(session, start + timedelta(days=20), ca_register.update_status, session, actor=telco, action_id=ca.id,
            status="in_progress", note="First monthly notification sent to 14 operators.")


_RESPONSES = [
    "confirmed from two route collectors; the more-specifics originate in AS64511. Escalating to National CERT.",
    "looking glasses agree. We have asked our upstream to filter and opened a ticket with the IXP.",
    "no impact seen on our prefixes so far; monitoring and sharing telemetry in the room.",
    "customer notice drafted; holding it until the council agrees the joint advisory.",
]
# (rating, finding, text): the evaluator files each as a strength or an area for
# improvement; a task performed with some challenges may be either.
_OBSERVATIONS = [
    ("S", "strength", "The telecom CERT confirmed the hijack within 18 minutes, from one route collector at first."),
    ("M", "improvement", "Nobody owned the contact list for upstream NOCs; two teams called the same provider."),
    ("P", "strength", "The joint advisory was drafted, reviewed and agreed in the room within the hour."),
    ("U", "improvement", "The fraudulent certificate inject went unanswered: no team knew who could request "
                         "revocation."),
    ("S", "improvement", "Banking teams switched customers to the backup login domain, but late, and did not brief "
                         "the council before doing so."),
]
_EXERCISE_ACTIONS = [
    "Publish and maintain a shared contact sheet of upstream NOCs",
    "Add certificate revocation requests to the incident playbook and train the duty officers",
    "Subscribe every sector CERT to two independent route-monitoring feeds",
    "Run a follow-up drill on RPKI origin-forgery",
]
_EXERCISE_SUMMARY = (
    "The council detected and contained the simulated hijack of Crescent Telecom's prefixes within two hours. "
    "Detection and the joint advisory went well; coordination with upstream providers and certificate "
    "revocation did not, and the banks moved customers before briefing the council. Three corrective actions "
    "follow."
)
_INCIDENT_SUMMARY = (
    "Three ministry portals were unreachable for 70 minutes. Scrubbing at two transit providers restored them. "
    "The absence of standing scrubbing agreements and the number of open resolvers in national networks are "
    "the two gaps this report asks the council to close."
)
