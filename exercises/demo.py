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
from council.db import utcnow
from council.orgs.models import Organization
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
    if find_user(session, "duty@ncert.example") is None:
        return
    author = _user(session, "duty@ncert.example")
    for path in sorted(LIBRARY.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if session.scalars(select(Scenario.id).where(Scenario.title == doc["title"])).first() is None:
            import_json(session, actor=author, doc=doc)
    session.flush()
    _planned_drill(session, author)
    _completed_exercise(session, author)
    _closed_incident(session)


def _scenario(session: Session, words: str) -> Scenario | None:
    return session.scalars(select(Scenario).where(Scenario.title.ilike(f"%{words}%"))).first()


def _orgs_of(session: Session, scenario: Scenario) -> list[int]:
    names = sorted({n.strip() for i in scenario.injects for n in i.recipients.split(";")} - {"all", ""})
    return _org_ids(session, [*names, "National CERT"])


def _teams(session: Session, org_ids: list[int], emails: tuple[str, ...]) -> dict[str, list[str]]:
    """One team per participating organisation, with the given people as its players."""
    players: dict[str, list[str]] = {session.get(Organization, o).name: [] for o in org_ids}
    for email in emails:
        user = _user(session, email)
        if user.org.name in players:
            players[user.org.name].append(email)
    return players


def _planned_drill(session: Session, author: User) -> None:
    title = "Banking sector drill: payment switch ransomware (cohort A)"
    scenario = _scenario(session, "payment switch")
    if scenario is None or session.scalars(select(Exercise.id).where(Exercise.title == title)).first():
        return
    orgs = _orgs_of(session, scenario)
    players = _teams(session, orgs, ("lead@bankcert.example", "csirt@indusbank.example",
                                     "analyst@telcocert.example", "soc@energycert.example"))
    runs.create_exercise(session, actor=author, scenario_id=scenario.id, title=title, org_ids=orgs,
                         controllers=["ops@govcert.example"], evaluators=["ir@healthcert.example"],
                         observers=["admin@ncert.example"], players=players, speed=10, tlp="AMBER")


def _completed_exercise(session: Session, director: User) -> None:
    title = "Telecom drill: BGP hijack of Crescent Telecom prefixes (October)"
    scenario = _scenario(session, "BGP")
    if scenario is None or session.scalars(select(Exercise.id).where(Exercise.title == title)).first():
        return
    orgs = _orgs_of(session, scenario)
    players = _teams(session, orgs, ("analyst@telcocert.example", "noc@crescent.example",
                                     "lead@bankcert.example", "csirt@indusbank.example"))
    ex = runs.create_exercise(session, actor=director, scenario_id=scenario.id, title=title, org_ids=orgs,
                              controllers=["ops@govcert.example"], evaluators=["ir@healthcert.example"],
                              players=players, speed=1, tlp="GREEN")
    start = (utcnow() - timedelta(days=32)).replace(hour=5, minute=0, second=0, microsecond=0)
    runs.clock_op(session, actor=director, exercise_id=ex.id, op="start", now=start)
    controller, evaluator = _user(session, "ops@govcert.example"), _user(session, "ir@healthcert.example")
    by_team = {p.team_id: session.get(User, p.user_id) for p in ex.people if p.role == "player"}
    injects = list(session.scalars(select(ExerciseInject).where(ExerciseInject.exercise_id == ex.id)
                                   .order_by(ExerciseInject.offset_s)))
    for n, inject in enumerate(injects):
        at = start + timedelta(seconds=inject.offset_s)
        if inject.release == "manual":
            runs.release_now(session, actor=controller, exercise_id=ex.id, msel_id=inject.msel_id, now=at)
        else:
            runs.release_due(session, now=at)
        session.flush()
        if inject.released_seq is None:
            continue
        for k, team_id in enumerate(json.loads(inject.team_ids)):
            player = by_team.get(team_id)
            if player is None or (n + k) % 7 == 6:  # now and then a team misses an inject
                continue
            delay = timedelta(seconds=60 + ((n * 37 + k * 53) % 9) * 45)
            post(session, actor=player, room_id=ex.room_id, kind="ack", payload={"inject_seq": inject.released_seq},
                 now=at + delay)
            if (n + k) % 3 != 2:
                post(session, actor=player, room_id=ex.room_id, kind="response", now=at + delay * 3, payload={
                    "inject_seq": inject.released_seq,
                    "body": f"{player.org.name}: {_RESPONSES[(n + k) % len(_RESPONSES)]}"})
    _observations(session, ex, evaluator, start, injects)
    _exercise_decision(session, ex, director, start)
    end = start + timedelta(seconds=max(i.offset_s for i in injects) + 1800)
    runs.clock_op(session, actor=director, exercise_id=ex.id, op="end", now=end)
    report = reports.start_report(session, actor=director, room_id=ex.room_id, timezone=ZONE)
    _write(session, report, director, "executive_summary", _EXERCISE_SUMMARY)
    plan = list(session.scalars(select(CorrectiveAction).where(CorrectiveAction.report_id == report.id)))
    for i, ca in enumerate(plan):
        ca.action = _EXERCISE_ACTIONS[i % len(_EXERCISE_ACTIONS)]
        ca.element = ("planning", "training", "equipment", "organisation")[i % 4]
        ca.start_date = (end + timedelta(days=7)).date()
        ca.due_date = (end + timedelta(days=60 + 30 * i)).date()
        ca.contact = "Routing security lead"
    _publish(session, report, director, ["analyst@telcocert.example", "noc@crescent.example", "lead@bankcert.example",
                                         "csirt@indusbank.example", "duty@ncert.example", "ops@govcert.example"])


def _observations(session: Session, ex: Exercise, evaluator: User, start: datetime, injects: list[Any]) -> None:
    objectives = [o["id"] for o in json.loads(ex.objectives)]
    capabilities = json.loads(ex.capabilities)
    for n, (rating, text) in enumerate(_OBSERVATIONS):
        inject = injects[min(len(injects) - 1, n * 3)]
        team = ex.teams[n % len(ex.teams)]
        post(session, actor=evaluator, room_id=ex.room_id, kind="observation",
             now=start + timedelta(seconds=inject.offset_s + 900), payload={
                 "rating": rating, "body": text, "objective_id": objectives[n % len(objectives)],
                 "capability": capabilities[n % len(capabilities)], "msel_id": inject.msel_id, "team_id": team.id,
                 "evidence_seq": inject.released_seq})


def _exercise_decision(session: Session, ex: Exercise, director: User, start: datetime) -> None:
    at = start + timedelta(minutes=95)
    event, _ = post(session, actor=director, room_id=ex.room_id, kind="decision", now=at, payload={
        "op": "propose", "title": "Ask upstream providers to filter the hijacked more-specifics",
        "background": "The /24s announced from AS64511 cover Crescent Telecom's DNS and Indus Bank's portal.",
        "rule": "majority"})
    decision_id = json.loads(event.data)["decision_id"]
    for n, email in enumerate(("analyst@telcocert.example", "noc@crescent.example", "lead@bankcert.example")):
        user = _user(session, email)
        post(session, actor=user, room_id=ex.room_id, kind="decision", now=at + timedelta(minutes=4 + n),
             payload={"op": "position", "decision_id": decision_id, "position": "support" if n < 2 else "abstain",
                      "comment": "" if n < 2 else "Banking sector defers to the telecom CERTs on routing."})
    post(session, actor=director, room_id=ex.room_id, kind="decision", now=at + timedelta(minutes=12), payload={
        "op": "close", "decision_id": decision_id,
        "rationale": "The affected operators support filtering; quorum met. National CERT contacts the upstreams."})


def _write(session: Session, report: Report, author: User, key: str, body: str) -> None:
    section = next(s for s in report.sections if s.key == key)
    reports.save_section(session, actor=author, report_id=report.id, key=key, body=body, base_version=section.version)


def _publish(session: Session, report: Report, director: User, reviewers: list[str]) -> None:
    session.flush()
    reports.submit(session, actor=director, report_id=report.id, reviewer_emails=reviewers)
    for email in reviewers:
        reports.review(session, actor=_user(session, email), report_id=report.id, decision="approve",
                       note="Agreed for our organisation.")
    reports.publish(session, actor=director, report_id=report.id)


def _closed_incident(session: Session) -> None:
    title = "DNS amplification against ministry portals (September)"
    if session.scalars(select(Room.id).where(Room.title == title)).first():
        return
    lead, gov = _user(session, "duty@ncert.example"), _user(session, "ops@govcert.example")
    telco = _user(session, "analyst@telcocert.example")
    start = (utcnow() - timedelta(days=64)).replace(hour=8, minute=10, second=0, microsecond=0)
    room = create_room(session, actor=lead, title=title, severity="high", tlp="GREEN",
                       org_ids=_org_ids(session, ["Government Sector CERT", "Telecom Sector CERT"]),
                       summary="Reflected DNS traffic of up to 80 Gbit/s took three ministry portals offline.",
                       now=start)
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
        post(session, actor=actor, room_id=room.id, kind=kind, payload=payload, now=start + timedelta(minutes=minutes))
    report = reports.start_report(session, actor=lead, room_id=room.id, timezone=ZONE)
    _write(session, report, lead, "executive_summary", _INCIDENT_SUMMARY)
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
        reports.save_action(session, actor=lead, report_id=report.id, fields=fields)
    _publish(session, report, lead, ["ops@govcert.example", "analyst@telcocert.example", "duty@ncert.example"])
    ca = session.scalars(select(CorrectiveAction).where(CorrectiveAction.report_id == report.id)
                         .order_by(CorrectiveAction.id.desc())).first()
    if ca is not None:
        ca_register.update_status(session, actor=telco, action_id=ca.id, status="in_progress",
                                  note="First monthly notification sent to 14 operators.")


_RESPONSES = [
    "confirmed from two route collectors; the more-specifics originate in AS64511. Escalating to National CERT.",
    "looking glasses agree. We have asked our upstream to filter and opened a ticket with the IXP.",
    "no impact seen on our prefixes so far; monitoring and sharing telemetry in the room.",
    "customer notice drafted; holding it until the council agrees the joint advisory.",
]
_OBSERVATIONS = [
    ("S", "The telecom CERT confirmed the hijack within 18 minutes but relied on one route collector at first."),
    ("M", "Nobody owned the contact list for upstream NOCs; two teams called the same provider."),
    ("P", "The joint advisory was drafted, reviewed and agreed in the room within the hour."),
    ("U", "The fraudulent certificate inject went unanswered: no team knew who could request revocation."),
    ("S", "Banking teams switched customers to the backup login domain, but late."),
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
    "revocation did not. Four corrective actions follow, owned by the telecom and banking CERTs."
)
_INCIDENT_SUMMARY = (
    "Three ministry portals were unreachable for 70 minutes. Scrubbing at two transit providers restored them. "
    "The absence of standing scrubbing agreements and the number of open resolvers in national networks are "
    "the two gaps this report asks the council to close."
)
